/* test-package-hostile.c: packages built to escape the staging directory,
 * smuggle device nodes or setuid files, or expand past the size limit. Each
 * is refused naming the member, and nothing is written outside staging.
 * (Absolute paths, "../" and links leading out are in test-package.c's
 * test_hostile_archives, a wrong checksum in its test_wrong_sha256.) */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "lib/package.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "testlib.h"

#define MiB (1024u * 1024)

struct fx {
        char *base;
        char *staging;          /* base/staging */
        char *outside;          /* base/outside: must stay empty */
};


static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof *f);

        f->base = t_mkdtemp("package-hostile");
        assert_non_null(f->base);
        f->staging = xasprintf("%s/staging", f->base);
        f->outside = xasprintf("%s/outside", f->base);
        assert_int_equal(mkdir(f->outside, 0755), 0);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        assert_int_equal(t_rm_rf(f->base), 0);
        free(f->base);
        free(f->staging);
        free(f->outside);
        free(f);
        return 0;
}

/* Write a package; sizeless leaves the sizes out (zip then streams them). */
static char *
mk_pkg(struct fx *f, const char *file, const char *format, const char *filter,
       const struct t_ent *ents, size_t n, bool sizeless)
{
        char *path = xasprintf("%s/%s", f->base, file);

        t_mk_archive(path, format, filter, ents, n, sizeless);
        return path;
}

static int
stage1(struct fx *f, const char *pkg, const char *member, const struct stage_opts *o,
       struct staged *s, struct diag *d)
{
        char *members[] = { (char *)member };

        diag_clear(d);
        memset(s, 0, sizeof *s);
        return package_stage(pkg, NULL, members, 1, f->staging, o, s, d);
}

/* dir does not exist, or is empty. */
static void
assert_empty(const char *dir)
{
        DIR *dp = opendir(dir);
        struct dirent *de;

        if (dp == NULL) {
                assert_int_equal(errno, ENOENT);
                return;
        }
        while ((de = readdir(dp)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        fail_msg("\"%s\" holds \"%s\"", dir, de->d_name);
        closedir(dp);
}

static void
refused(struct fx *f, const char *pkg, const char *member, const struct stage_opts *o,
        int err, const char *msg)
{
        struct staged s;
        struct diag d = {0};
        char *want = xasprintf("package \"%s\": member \"%s\" %s", pkg, member, msg);

        assert_int_equal(stage1(f, pkg, member, o, &s, &d), err);
        if (strstr(d.msg, want) == NULL)
                fail_msg("got \"%s\", wanted \"%s\"", d.msg, want);
        free(want);
        assert_empty(f->outside);
        assert_empty(f->staging);
}

/* evil -> OUTSIDE, then evil/file: extracting by name would write through
 * the link. Asking for evil/file is refused; a link inside is followed. */
static void
test_symlink_parent_escape(void **state)
{
        struct fx *f = *state;
        char *up = xasprintf("../../..%s", f->outside);
        struct t_ent ents[] = {
                { "evil", 'l', f->outside, 0, 0 },
                { "evil/file", 'f', "written through the link\n", 0755, 0 },
                { "up", 'l', up, 0, 0 },
                { "up/file", 'f', "written through the link\n", 0755, 0 },
                { "usr/lib/x", 'f', "inside\n", 0755, 0 },
                { "lib", 'l', "usr/lib", 0, 0 },
                { "lib/y", 'f', "beside\n", 0644, 0 },
        };
        char *pkg = mk_pkg(f, "escape.tar", "gnutar", NULL, ents, ARRAY_SIZE(ents), false);
        struct staged s;
        struct diag d = {0};
        char *got;

        refused(f, pkg, "evil/file", NULL, -EPERM,
                "is under \"evil\", a link that leads outside the package");
        refused(f, pkg, "./up/file", NULL, -EPERM,
                "is under \"up\", a link that leads outside the package");
        /* a link among the parents that stays inside is followed */
        assert_int_equal(stage1(f, pkg, "lib/x", NULL, &s, &d), 0);
        got = t_slurp(s.files[0].path, NULL);
        assert_string_equal(got, "inside\n");
        free(got);
        staged_release(&s);
        assert_int_equal(stage1(f, pkg, "lib/y", NULL, &s, &d), 0);
        got = t_slurp(s.files[0].path, NULL);
        assert_string_equal(got, "beside\n");
        free(got);
        staged_release(&s);
        assert_empty(f->outside);
        free(pkg);
        free(up);
}

static void
test_device_fifo(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "dev/sda", 'c', NULL, 0660, 0 },
                { "run/fifo", 'p', NULL, 0644, 0 },
                { "usr/bin/disk", 'l', "../../dev/sda", 0, 0 },
        };
        char *pkg = mk_pkg(f, "dev.tar.gz", "pax", "gzip", ents, ARRAY_SIZE(ents), false);

        refused(f, pkg, "dev/sda", NULL, -EPERM, "is a device node and is refused");
        refused(f, pkg, "run/fifo", NULL, -EPERM, "is a FIFO and is refused");
        refused(f, pkg, "usr/bin/disk", NULL, -EPERM, "is a device node and is refused");
        free(pkg);
}

static void
test_setuid(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "bin/su", 'f', "#!/bin/sh\nid\n", 04755, 0 },
                { "bin/sg", 'f', "#!/bin/sh\nid -g\n", 02711, 0 },
                { "bin/link", 'l', "su", 0, 0 },
        };
        char *pkg = mk_pkg(f, "suid.tar.xz", "pax", "xz", ents, ARRAY_SIZE(ents), false);
        struct stage_opts allow = { .allow_setid = true };
        struct staged s;
        struct diag d = {0};

        refused(f, pkg, "bin/su", NULL, -EPERM,
                "has the setuid or setgid bit (mode 4755) and is refused");
        refused(f, pkg, "bin/sg", NULL, -EPERM,
                "has the setuid or setgid bit (mode 2711) and is refused");
        refused(f, pkg, "bin/link", NULL, -EPERM,
                "has the setuid or setgid bit (mode 4755) and is refused");
        assert_int_equal(stage1(f, pkg, "bin/link", &allow, &s, &d), 0);
        assert_int_equal(s.files[0].mode, 04755);
        staged_release(&s);
        free(pkg);
}

/* 64 MiB of zeros in a package of some KiB, against a 1 MiB limit. */
static void
test_bomb_declared(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "small", 'f', "fits\n", 0644, 0 },
                { "zeros", 'f', NULL, 0644, 64 * MiB },
        };
        char *pkg = mk_pkg(f, "bomb.tar.gz", "pax", "gzip", ents, ARRAY_SIZE(ents), false);
        struct stage_opts lim = { .max_bytes = MiB };
        char *members[] = { "small", "zeros" };
        struct staged s;
        struct diag d = {0};
        struct stat st;

        assert_int_equal(stat(pkg, &st), 0);
        assert_true(st.st_size < 200 * 1024);
        refused(f, pkg, "zeros", &lim, -EFBIG,
                "is larger than the size limit of 1.0 MiB and is refused");
        /* under the limit alone, and together with another over it */
        assert_int_equal(stage1(f, pkg, "small", &lim, &s, &d), 0);
        staged_release(&s);
        assert_int_equal(t_rm_rf(f->staging), 0);
        lim.max_bytes = 64 * MiB + 4;
        assert_int_equal(package_stage(pkg, NULL, members, 2, f->staging, &lim, &s, &d),
                         -EFBIG);
        assert_non_null(strstr(d.msg, "member \"zeros\" takes the staged files past the size "
                                      "limit of 64.0 MiB"));
        assert_empty(f->staging);
        free(pkg);
}

/* Patch every uncompressed size in a zip's central directory to small:
 * the package now claims tiny members that expand to far more. */
static void
zip_lie(const char *path, uint32_t small)
{
        size_t len, n = 0;
        char *buf = t_slurp(path, &len);
        int fd;

        for (size_t i = 0; i + 46 <= len; i++) {
                if (memcmp(buf + i, "PK\001\002", 4) == 0) {
                        unsigned char *u = (unsigned char *)buf + i + 24;

                        u[0] = (unsigned char)small;
                        u[1] = (unsigned char)(small >> 8);
                        u[2] = (unsigned char)(small >> 16);
                        u[3] = (unsigned char)(small >> 24);
                        n++;
                }
        }
        assert_true(n > 0);
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(close(fd), 0);
        free(buf);
}

/* The limit counts what is decompressed, not what the headers say. */
static void
test_bomb_streamed(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "zeros", 'f', NULL, 0644, 64 * MiB },
        };
        char *pkg = mk_pkg(f, "bomb.zip", "zip", NULL, ents, ARRAY_SIZE(ents), true);
        struct stage_opts lim = { .max_bytes = MiB };
        struct stat st;

        zip_lie(pkg, 4096);
        assert_int_equal(stat(pkg, &st), 0);
        assert_true(st.st_size < 200 * 1024);
        refused(f, pkg, "zeros", &lim, -EFBIG,
                "expands past the size limit of 1.0 MiB and is refused");
        free(pkg);
}

/* Links below a mapped directory: one that is absolute or leads out of the
 * mapped directory (though not out of the package), and a file below a link
 * of the package, are refused; a link that stays inside is kept. */
static void
test_mapped_dir_links(void **state)
{
        struct fx *f = *state;
        static const struct { const char *member, *to, *msg; } cases[] = {
                { "opt/x/abs", "/etc", "is a link to \"/etc\" that leads outside the mapped "
                                       "directory \"opt/x/\" and is refused" },
                { "opt/x/bin/up", "../../y", "is a link to \"../../y\" that leads outside "
                                             "the mapped directory \"opt/x/\"" },
                { "opt/x/via/file", NULL, "is under \"opt/x/via\", a link, and is refused" },
        };
        char *members[] = { "opt/x/" };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct t_ent ents[] = {
                        { "opt/x/bin/tool", 'f', "tool\n", 0755, 0 },
                        { "opt/x/bin/ok", 'l', "../lib/../bin/tool", 0, 0 },
                        { "opt/y", 'f', "beside\n", 0644, 0 },
                        { "opt/x/via", 'l', "bin", 0, 0 },
                        { cases[i].member, cases[i].to ? 'l' : 'f', cases[i].to ? cases[i].to
                                                                              : "x\n", 0644, 0 },
                };
                char *pkg = mk_pkg(f, "links.tar", "pax", NULL, ents,
                                   ARRAY_SIZE(ents) - (i == 2 ? 0 : 1), false);
                struct staged s = {0};
                struct diag d = {0};
                char *want;

                if (i != 2) {   /* the package without the hostile member (or via/file) */
                        assert_int_equal(package_stage(pkg, NULL, members, 1, f->staging, NULL,
                                                       &s, &d), 0);
                        assert_int_equal(s.n, 3);
                        staged_release(&s);
                        assert_int_equal(t_rm_rf(f->staging), 0);
                        free(pkg);
                        pkg = mk_pkg(f, "links.tar", "pax", NULL, ents, ARRAY_SIZE(ents),
                                     false);
                }
                assert_int_equal(package_stage(pkg, NULL, members, 1, f->staging, NULL, &s,
                                               &d), -EPERM);
                want = xasprintf("package \"%s\": member \"%s\" %s", pkg, cases[i].member,
                                 cases[i].msg);
                if (strstr(d.msg, want) == NULL)
                        fail_msg("got \"%s\", wanted \"%s\"", d.msg, want);
                free(want);
                assert_empty(f->staging);
                free(pkg);
        }
}

/* Below a mapped target, a directory that is a symlink (planted by an
 * earlier package) is never written through. */
static void
test_target_beneath(void **state)
{
        struct fx *f = *state;
        char *root = xasprintf("%s/root", f->base), *p;
        struct diag d = {0};

        p = xasprintf("%s/lib/real", root);
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        p = xasprintf("%s/lib/sub", root);
        assert_int_equal(symlink(f->outside, p), 0);
        free(p);
        assert_int_equal(package_target_check(root, "lib/real/new/file", &d), 0);
        assert_int_equal(package_target_check(root, "lib/sub", &d), 0);
        assert_int_equal(package_target_check(root, "lib/sub/deep/file", &d), -ELOOP);
        p = xasprintf("\"%s/lib/sub\" is a symlink below the mapped directory", root);
        if (strstr(d.msg, p) == NULL)
                fail_msg("got \"%s\", wanted \"%s\"", d.msg, p);
        free(p);
        assert_int_equal(package_target_check(root, "lib/real/new", &d), 0);
        free(root);
}

/* A staged file is never writable by group or others; one without an x bit
 * does not replace an executable. */
static void
test_modes(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "bin/tool", 'f', "#!/bin/sh\n", 0777, 0 },
                { "lib/data", 'f', "data\n", 0666, 0 },
        };
        char *pkg = mk_pkg(f, "modes.zip", "zip", NULL, ents, ARRAY_SIZE(ents), false);
        char *members[] = { "bin/tool", "lib/data" };
        char *exe = xasprintf("%s/exe", f->outside), *plain = xasprintf("%s/plain", f->outside);
        struct staged s = {0};
        struct diag d = {0};
        char *want;

        assert_int_equal(package_stage(pkg, NULL, members, 2, f->staging, NULL, &s, &d), 0);
        assert_int_equal(s.files[0].mode, 0755);
        assert_int_equal(s.files[1].mode, 0644);
        t_write_text(exe, "old\n");
        assert_int_equal(chmod(exe, 0750), 0);
        t_write_text(plain, "old\n");
        assert_int_equal(package_mode_check(pkg, &s.files[0], exe, &d), 0);
        assert_int_equal(package_mode_check(pkg, &s.files[1], plain, &d), 0);
        assert_int_equal(package_mode_check(pkg, &s.files[1], "/nonexistent", &d), 0);
        assert_int_equal(package_mode_check(pkg, &s.files[1], exe, &d), -EPERM);
        want = xasprintf("member \"lib/data\" has mode 0644, without the x bit, but its "
                         "target \"%s\" is executable", exe);
        if (strstr(d.msg, want) == NULL)
                fail_msg("got \"%s\", wanted \"%s\"", d.msg, want);
        free(want);
        staged_release(&s);
        /* a bare file writable by all */
        assert_int_equal(chmod(plain, 0666), 0);
        assert_int_equal(t_rm_rf(f->staging), 0);
        assert_int_equal(package_stage(plain, NULL, members, 1, f->staging, NULL, &s, &d), 0);
        assert_int_equal(s.files[0].mode, 0755);
        staged_release(&s);
        free(exe);
        free(plain);
        free(pkg);
}

/* Entries the plan does not map that would be refused if it did are
 * listed; with strict, the package is refused before anything is staged. */
static void
test_unmapped_hostile(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "bin/tool", 'f', "#!/bin/sh\n", 0755, 0 },
                { "bin/link", 'l', "tool", 0, 0 },
                { "dev/sda", 'c', NULL, 0660, 0 },
                { "bin/su", 'f', "#!/bin/sh\nid\n", 04755, 0 },
                { "etc/passwd", 'l', "/etc/passwd", 0, 0 },
                { "up", 'l', "../x", 0, 0 },
        };
        char *pkg = mk_pkg(f, "extra.tar", "pax", NULL, ents, ARRAY_SIZE(ents), false);
        struct stage_opts strict = { .strict = true };
        struct staged s;
        struct diag d = {0};
        char *text;

        assert_int_equal(stage1(f, pkg, "bin/link", NULL, &s, &d), 0);
        assert_int_equal(s.hostile.n, 4);
        text = package_hostile_text(&s);
        assert_string_equal(text, "4 entries the plan does not map that would be refused if "
                                  "it did: dev/sda (a device node), bin/su (setuid or setgid), "
                                  "etc/passwd (a link out of the package), up (a link out of "
                                  "the package)");
        free(text);
        staged_release(&s);
        assert_int_equal(t_rm_rf(f->staging), 0);
        assert_int_equal(stage1(f, pkg, "bin/link", &strict, &s, &d), -EPERM);
        assert_non_null(strstr(d.msg, "is refused (--strict-packages): it holds 4 entries"));
        assert_empty(f->staging);
        strict.allow_setid = true;
        assert_int_equal(stage1(f, pkg, "bin/tool", &strict, &s, &d), -EPERM);
        assert_non_null(strstr(d.msg, "it holds 3 entries"));
        free(pkg);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_symlink_parent_escape, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_fifo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_setuid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bomb_declared, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bomb_streamed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mapped_dir_links, setup, teardown),
                cmocka_unit_test_setup_teardown(test_target_beneath, setup, teardown),
                cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unmapped_hostile, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
