/* test-package.c: staging files out of .deb, .rpm, tar, zip and bare packages.
 * Hostile packages are in test-package-hostile.c. */
#include <config.h>

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
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "lib/package.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "testlib.h"

struct fx {
        char *base;             /* t_mkdtemp() */
        char *staging;
};


static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof *f);

        f->base = t_mkdtemp("package");
        assert_non_null(f->base);
        f->staging = xasprintf("%s/staging/new", f->base);
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
        free(f);
        return 0;
}

/* Write an archive with libarchive: format "gnutar", "pax" or "zip";
 * filter "gzip" or NULL. Returns the path (caller frees). */
static char *
mk_archive(struct fx *f, const char *file, const char *format, const char *filter,
           const struct t_ent *ents, size_t n)
{
        char *path = xasprintf("%s/%s", f->base, file);

        t_mk_archive(path, format, filter, ents, n, false);
        return path;
}

static void
assert_staged(const struct staged_file *sf, const char *member, const char *content,
              mode_t mode)
{
        char hex[SHA256_HEX_LEN + 1], *got;
        struct stat st;
        uint64_t size;

        assert_string_equal(sf->member, member);
        got = t_slurp(sf->path, NULL);
        assert_string_equal(got, content);
        free(got);
        assert_int_equal(sf->mode, mode);
        assert_int_equal(sf->size, strlen(content));
        assert_int_equal(sha256_file(sf->path, hex, &size, NULL), 0);
        assert_string_equal(sf->sha256, hex);
        assert_int_equal(stat(sf->path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
}

static int
stage(struct fx *f, const char *pkg, const char *want, char *const *members, size_t n,
      struct staged *s, struct diag *d)
{
        diag_clear(d);
        memset(s, 0, sizeof *s);
        return package_stage(pkg, want, members, n, f->staging, NULL, s, d);
}

/* The package (of version own) is staged for the target good and refused,
 * before anything is extracted, for the target bad. */
static void
assert_version_checked(struct fx *f, const char *pkg, char *const *members, const char *own,
                       const char *good, const char *bad)
{
        struct stage_opts o = { .want_version = good };
        struct staged s = {0};
        struct diag d = {0};
        char *want;

        assert_int_equal(package_stage(pkg, NULL, members, 1, f->staging, &o, &s, &d), 0);
        staged_release(&s);
        assert_int_equal(t_rm_rf(f->staging), 0);
        o.want_version = bad;
        assert_int_equal(package_stage(pkg, NULL, members, 1, f->staging, &o, &s, &d), -EPERM);
        want = xasprintf("package \"%s\" is version %s, not the target %s", pkg, own, bad);
        if (strstr(d.msg, want) == NULL)
                fail_msg("got \"%s\", wanted \"%s\"", d.msg, want);
        free(want);
        assert_false(path_exists(f->staging));
}

/* The link comes before its target in the stream, names start with "./". */
static const struct t_ent tgz_ents[] = {
        { "./usr/", 'd', NULL, 0755, 0 },
        { "./usr/bin/", 'd', NULL, 0755, 0 },
        { "./usr/bin/link", 'l', "real", 0, 0 },
        { "./usr/bin/real", 'f', "real binary\n", 0755, 0 },
        { "./usr/bin/hard", 'h', "./usr/bin/real", 0, 0 },
        { "./usr/lib/up", 'l', "../bin/link", 0, 0 },
        { "./loop/a", 'l', "b", 0, 0 },
        { "./loop/b", 'l', "a", 0, 0 },
        { "./usr/bin/gone", 'l', "missing", 0, 0 },
};

static void
test_tar_gz_symlink_and_hardlink(void **state)
{
        struct fx *f = *state;
        char *pkg = mk_archive(f, "p.tar.gz", "pax", "gzip", tgz_ents, ARRAY_SIZE(tgz_ents));
        char *members[] = { "usr/bin/link", "usr/bin/real", "./usr/bin/hard", "usr/lib/up" };
        char hex[SHA256_HEX_LEN + 1], *p;
        struct staged s;
        struct diag d = {0};
        struct stat st;

        assert_int_equal(stage(f, pkg, NULL, members, 4, &s, &d), 0);
        assert_int_equal(s.n, 4);
        assert_null(s.version);
        for (size_t j = 0; j < 4; j++) {
                p = xasprintf("%s/%zu", f->staging, j);
                assert_string_equal(s.files[j].path, p);
                free(p);
                assert_staged(&s.files[j], members[j], "real binary\n", 0755);
        }
        assert_int_equal(sha256_file(pkg, hex, NULL, NULL), 0);
        assert_string_equal(s.sha256, hex);
        assert_int_equal(stat(f->staging, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0700);
        staged_release(&s);

        /* staging again over the same directory works */
        assert_int_equal(stage(f, pkg, hex, members, 1, &s, &d), 0);
        assert_staged(&s.files[0], "usr/bin/link", "real binary\n", 0755);
        staged_release(&s);
        free(pkg);
}

static void
test_tar_refusals(void **state)
{
        struct fx *f = *state;
        char *pkg = mk_archive(f, "p.tar.gz", "pax", "gzip", tgz_ents, ARRAY_SIZE(tgz_ents));
        char *missing[] = { "usr/bin/real", "usr/bin/redis-server" };
        char *loop[] = { "loop/a" }, *gone[] = { "usr/bin/gone" }, *dir[] = { "usr/bin" };
        struct staged s;
        struct diag d = {0};

        assert_int_equal(stage(f, pkg, NULL, missing, 2, &s, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "has no member \"usr/bin/redis-server\""));
        assert_non_null(strstr(d.msg, pkg));
        /* nothing is extracted when one member is missing */
        assert_false(path_exists(f->staging));
        assert_int_equal(stage(f, pkg, NULL, loop, 1, &s, &d), -ELOOP);
        assert_non_null(strstr(d.msg, "\"loop/a\" is a chain of more than 8 links"));
        assert_int_equal(stage(f, pkg, NULL, gone, 1, &s, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "is a link to \"usr/bin/missing\""));
        assert_int_equal(stage(f, pkg, NULL, dir, 1, &s, &d), -EISDIR);
        assert_non_null(strstr(d.msg, "\"usr/bin\" is a directory"));
        free(pkg);
}

static void
test_wrong_sha256(void **state)
{
        struct fx *f = *state;
        char *pkg = mk_archive(f, "p.tar.gz", "pax", "gzip", tgz_ents, ARRAY_SIZE(tgz_ents));
        char *members[] = { "usr/bin/real" }, want[SHA256_HEX_LEN + 1], got[SHA256_HEX_LEN + 1];
        char *msg;
        struct staged s;
        struct diag d = {0};

        memset(want, 'a', SHA256_HEX_LEN);
        want[SHA256_HEX_LEN] = '\0';
        assert_int_equal(sha256_file(pkg, got, NULL, NULL), 0);
        assert_int_equal(stage(f, pkg, want, members, 1, &s, &d), -EBADMSG);
        msg = xasprintf("package \"%s\": SHA-256 is %s, expected %s", pkg, got, want);
        assert_string_equal(d.msg, msg);
        free(msg);
        assert_false(path_exists(f->staging));
        assert_int_equal(stage(f, pkg, "12ab", members, 1, &s, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "invalid SHA-256 \"12ab\""));
        assert_false(path_exists(f->staging));
        free(pkg);
}

static void
test_hostile_archives(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "../evil", 'f', "evil\n", 0755, 0 },
                { "/etc/x", 'f', "abs\n", 0644, 0 },
                { "bin/x", 'l', "../../etc/passwd", 0, 0 },
                { "usr/bin/abs", 'l', "/etc/passwd", 0, 0 },
                { "usr/bin/up", 'l', "../../bin/x", 0, 0 },
                { "usr/bin/hl", 'h', "../outside", 0, 0 },
                { "usr/bin/toabs", 'l', "../../etc/x", 0, 0 },
                { "etc/passwd", 'f', "not really\n", 0644, 0 },
        };
        char *pkg = mk_archive(f, "h.tar", "gnutar", NULL, ents, ARRAY_SIZE(ents));
        static const struct {
                const char *member;
                const char *msg;
        } cases[] = {
                { "../evil", "member \"../evil\" has an absolute path or \"..\" and is refused" },
                { "/etc/x", "member \"/etc/x\" has an absolute path or \"..\" and is refused" },
                { "etc/x", "member \"etc/x\" has an absolute path or \"..\" and is refused" },
                { "bin/x", "member \"bin/x\" is a link that leads outside the package" },
                { "usr/bin/abs", "member \"usr/bin/abs\" is a link that leads outside the "
                                 "package" },
                { "usr/bin/up", "member \"usr/bin/up\" is a link that leads outside the "
                                "package" },
                { "usr/bin/hl", "member \"usr/bin/hl\" is a link that leads outside the "
                                "package" },
                { "usr/bin/toabs", "member \"usr/bin/toabs\" is a link that leads outside the "
                                   "package" },
        };
        struct staged s;
        struct diag d = {0};

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *members[] = { (char *)cases[i].member };

                assert_int_equal(stage(f, pkg, NULL, members, 1, &s, &d), -EPERM);
                assert_non_null(strstr(d.msg, cases[i].msg));
                assert_false(path_exists(f->staging));
        }
        free(pkg);
}

static void
test_deb(void **state)
{
        struct fx *f = *state;
        char *tree = xasprintf("%s/tree", f->base), *deb = xasprintf("%s/tool.deb", f->base);
        char *p, *members[] = { "usr/bin/tool" }, hex[SHA256_HEX_LEN + 1];
        static const char control[] =
                "Package: upshift-test-tool\n"
                "Version: 1:2.3-4\n"
                "Architecture: all\n"
                "Maintainer: Upshift Tests <tests@example.org>\n"
                "Description: a package for the unit tests\n";
        static const char tool[] = "#!/bin/sh\necho tool 2.3\n";
        struct staged s;
        struct diag d = {0};
        FILE *fp;

        p = xasprintf("%s/DEBIAN", tree);
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        p = xasprintf("%s/usr/bin", tree);
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        p = xasprintf("%s/DEBIAN/control", tree);
        assert_non_null(fp = fopen(p, "w"));
        fputs(control, fp);
        assert_int_equal(fclose(fp), 0);
        free(p);
        p = xasprintf("%s/usr/bin/tool", tree);
        assert_non_null(fp = fopen(p, "w"));
        fputs(tool, fp);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(chmod(p, 0755), 0);
        free(p);
        assert_int_equal(t_sh("dpkg-deb --root-owner-group --build '%s' '%s' >/dev/null",
                              tree, deb), 0);

        assert_int_equal(sha256_file(deb, hex, NULL, NULL), 0);
        assert_int_equal(stage(f, deb, hex, members, 1, &s, &d), 0);
        assert_staged(&s.files[0], "usr/bin/tool", tool, 0755);
        assert_non_null(s.version);
        assert_string_equal(s.version, "1:2.3-4");
        assert_string_equal(s.sha256, hex);
        staged_release(&s);

        members[0] = "usr/bin/redis-server";
        assert_int_equal(stage(f, deb, NULL, members, 1, &s, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "has no member \"usr/bin/redis-server\""));
        members[0] = "usr/bin/tool";
        assert_version_checked(f, deb, members, "1:2.3-4", "2.3", "2.4");
        free(tree);
        free(deb);
}

static void
test_bare_executable(void **state)
{
        struct fx *f = *state;
        static const char script[] = "#!/bin/sh\necho bare\n";
        char *pkg = xasprintf("%s/tool", f->base), *members[] = { "usr/bin/tool", "x" };
        struct staged s;
        struct diag d = {0};
        FILE *fp;

        assert_non_null(fp = fopen(pkg, "w"));
        fputs(script, fp);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(chmod(pkg, 0644), 0);
        assert_int_equal(stage(f, pkg, NULL, members, 1, &s, &d), 0);
        /* readable by all, so runnable by all */
        assert_staged(&s.files[0], "usr/bin/tool", script, 0755);
        assert_null(s.version);
        assert_string_equal(s.sha256, s.files[0].sha256);
        staged_release(&s);
        assert_int_equal(stage(f, pkg, NULL, members, 2, &s, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "is not an archive"));
        free(pkg);
}

static void
test_zip(void **state)
{
        struct fx *f = *state;
        static const struct t_ent ents[] = {
                { "tool-1.0/", 'd', NULL, 0755, 0 },
                { "tool-1.0/bin/tool", 'f', "zipped tool\n", 0750, 0 },
                { "tool-1.0/README", 'f', "read me\n", 0644, 0 },
        };
        char *pkg = mk_archive(f, "t.zip", "zip", NULL, ents, ARRAY_SIZE(ents));
        char *members[] = { "tool-1.0/README", "tool-1.0/bin/tool" };
        struct staged s;
        struct diag d = {0};

        assert_int_equal(t_sh("unzip -tq '%s' >/dev/null", pkg), 0);
        assert_int_equal(stage(f, pkg, NULL, members, 2, &s, &d), 0);
        assert_staged(&s.files[0], "tool-1.0/README", "read me\n", 0644);
        assert_staged(&s.files[1], "tool-1.0/bin/tool", "zipped tool\n", 0750);
        staged_release(&s);
        free(pkg);
}

/* Every compression a tar package may come in. */
static void
test_compressed_tars(void **state)
{
        struct fx *f = *state;
        static const char *const filters[][2] = {
                { "xz", "p.tar.xz" }, { "zstd", "p.tar.zst" }, { "bzip2", "p.tar.bz2" },
                { "gzip", "p.tgz" }, { NULL, "p.tar" },
        };
        char *members[] = { "usr/bin/link", "usr/lib/up" };
        struct staged s;
        struct diag d = {0};

        for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
                char *pkg = mk_archive(f, filters[i][1], "pax", filters[i][0], tgz_ents,
                                       ARRAY_SIZE(tgz_ents));

                assert_int_equal(stage(f, pkg, NULL, members, 2, &s, &d), 0);
                assert_staged(&s.files[0], "usr/bin/link", "real binary\n", 0755);
                assert_staged(&s.files[1], "usr/lib/up", "real binary\n", 0755);
                staged_release(&s);
                free(pkg);
        }
}

/* An .rpm (fixture built with rpmbuild: tests/data/packages/README). */
static void
test_rpm(void **state)
{
        struct fx *f = *state;
        char *pkg = xstrdup(SRCDIR "/tests/data/packages/upshift-test-tool-2.3-4.noarch.rpm");
        char *members[] = { "usr/bin/tool", "usr/bin/tool-link" }, hex[SHA256_HEX_LEN + 1];
        static const char tool[] = "#!/bin/sh\necho rpm tool 2.3\n";
        struct staged s;
        struct diag d = {0};

        assert_int_equal(sha256_file(pkg, hex, NULL, NULL), 0);
        assert_int_equal(stage(f, pkg, hex, members, 2, &s, &d), 0);
        assert_staged(&s.files[0], "usr/bin/tool", tool, 0755);
        assert_staged(&s.files[1], "usr/bin/tool-link", tool, 0755);
        assert_string_equal(s.sha256, hex);
        assert_non_null(s.version);
        assert_string_equal(s.version, "2.3-4");
        staged_release(&s);
        members[0] = "usr/bin/redis-server";
        assert_int_equal(stage(f, pkg, NULL, members, 1, &s, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "has no member \"usr/bin/redis-server\""));
        members[0] = "usr/bin/tool";
        assert_version_checked(f, pkg, members, "2.3-4", "2.3", "2.2");
        free(pkg);
}

/* Which package versions hold which targets. */
static void
test_version_matches(void **state)
{
        static const struct { const char *pkg, *target; bool ok; } cases[] = {
                { "5:7.0.15-1~deb12u10", "7.0.15", true },
                { "5:7.0.15-1~deb12u10", "7.0.16", false },
                { "5:7.0.15-1~deb12u10", "7.0.15-1~deb12u10", true },
                { "5:7.0.15-1~deb12u10", "5:7.0.15-1~deb12u10", true },
                { "5:7.0.15-1~deb12u7", "7.0.15-1~deb12u10", false },
                { "15.18-0+deb12u1", "15.20", false },
                { "15.20-0+deb12u1", "15.20", true },
                { "15.20-0+deb12u1", "15.2", false },
                { "1.6.7~rc0-1+b13", "1.6.7", true },
                { "1.2.3+dfsg-2", "v1.2.3", true },
                { "7.0.15-1", "7.0", false },
                { "2.3-4", "2.3.0", true },
                { "2.3", "2.3", true },
        };

        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
                if (package_version_matches(cases[i].pkg, cases[i].target) != cases[i].ok)
                        fail_msg("%s for %s: expected %s", cases[i].pkg, cases[i].target,
                                 cases[i].ok ? "a match" : "no match");
}

static void
test_not_a_package(void **state)
{
        struct fx *f = *state;
        char *members[] = { "x" }, *p = xasprintf("%s/none.deb", f->base);
        struct staged s;
        struct diag d = {0};

        assert_int_equal(stage(f, p, NULL, members, 1, &s, &d), -ENOENT);
        assert_non_null(strstr(d.msg, p));
        assert_int_equal(stage(f, f->base, NULL, members, 1, &s, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "is not a regular file"));
        free(p);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_tar_gz_symlink_and_hardlink, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_tar_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_sha256, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hostile_archives, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deb, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bare_executable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_zip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_compressed_tars, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rpm, setup, teardown),
                cmocka_unit_test_setup_teardown(test_not_a_package, setup, teardown),
                cmocka_unit_test(test_version_matches),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
