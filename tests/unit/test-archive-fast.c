/* test-archive-fast.c: what makes backups fast without changing them: the
 * archive's SHA-256 taken by verify (sha256_later, archive_verify_sum), the
 * members hashed on a thread of their own with one reused context, a
 * file's xattrs, ACL and flags asked for only when it has some, and small
 * files read ahead on a thread of their own (archive_ahead.c). */
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
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/fs.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "lib/archive.h"
#include "lib/archive_int.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "testlib.h"

/* More than the hasher's ring holds (8 buffers of 1 MiB), not a multiple
 * of its buffers. */
#define BIG (9 * 1024 * 1024 + 17)

struct fx {
        char base[256];         /* t_mkdtemp() */
        char src[300];          /* base/srv: the tree we back up */
        char dest[300];         /* base/backups */
};

static char *
fx_put(const struct fx *f, const char *rel, const void *buf, size_t len)
{
        char *p = xasprintf("%s/%s", f->src, rel);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(close(fd), 0);
        return p;
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof *f);
        char *big = xmalloc(BIG), *p = t_mkdtemp("archive-fast");

        assert_non_null(p);
        snprintf(f->base, sizeof f->base, "%s", p);
        snprintf(f->src, sizeof f->src, "%s/srv", p);
        snprintf(f->dest, sizeof f->dest, "%s/backups", p);
        free(p);
        p = xasprintf("%s/sub", f->src);
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        for (size_t i = 0; i < BIG; i++)
                big[i] = (char)((i * 2654435761u) >> 13);
        free(fx_put(f, "big", big, BIG));
        free(fx_put(f, "empty", "", 0));
        for (int i = 0; i < 300; i++) {
                char name[32];

                snprintf(name, sizeof name, "sub/small%03d", i);
                free(fx_put(f, name, big + i, (size_t)i * 37));
        }
        free(big);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        int r = t_rm_rf(((struct fx *)*state)->base);

        free(*state);
        return r == 0 ? 0 : -1;
}

/* With sha256_later the backup leaves its SHA-256 to verify, which gives
 * that of the file on disk; the archive is the same as ever. */
static void
test_sha256_from_verify(void **state)
{
        struct fx *f = *state;
        struct backup_opts o = { .sha256_later = true };
        struct backup_result res = {0};
        char *paths[] = { f->src }, sum[SHA256_HEX_LEN + 1], hex[SHA256_HEX_LEN + 1];
        struct diag d = {0};

        assert_int_equal(archive_backup(paths, 1, f->dest, "a.tar.zst", &o, &res, &d), 0);
        assert_string_equal(res.sha256, "");
        assert_int_equal(archive_verify_sum(res.path, NULL, sum, NULL, NULL, &d), 0);
        assert_int_equal(sha256_file(res.path, hex, NULL, &d), 0);
        assert_string_equal(sum, hex);
        assert_int_equal(t_sh("test \"$(sha256sum < '%s' | cut -d' ' -f1)\" = %s", res.path,
                              sum), 0);
        /* checked against it afterwards, as probe and restore do */
        assert_int_equal(archive_verify(res.path, sum, NULL, NULL, &d), 0);
        assert_int_equal(t_sh("mkdir '%s/x' && tar -xf '%s' -C '%s/x' && cd '%s/x' && "
                              "sha256sum --quiet -c " ARCHIVE_MANIFEST, f->base, res.path,
                              f->base, f->base), 0);
        /* the manifest's own SHA-256, taken as the hasher thread wrote it */
        assert_int_equal(t_sh("test \"$(sha256sum < '%s/x/" ARCHIVE_MANIFEST "' | cut -d' ' -f1)\" "
                              "= %s", f->base, res.manifest_sha256), 0);
        backup_result_release(&res);
}

/* One context, reused, gives each message's own SHA-256. */
static void
test_sha256_final_reset(void **state)
{
        struct sha256 *c = sha256_new();
        char hex[SHA256_HEX_LEN + 1];

        (void)state;
        sha256_update(c, "abc", 3);
        sha256_final_reset(c, hex);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        sha256_final_reset(c, hex);
        assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_update(c, "ab", 2);
        sha256_update(c, "c", 1);
        sha256_final_hex(c, hex);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* An access ACL in the kernel's xattr form: user::rw-, user:65534:r--,
 * group::r--, mask::r--, other::r--. */
static const unsigned char acl_value[] = {
        2, 0, 0, 0,
        0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
        0x02, 0, 4, 0, 0xfe, 0xff, 0, 0,
        0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
        0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
        0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
};

/* What the backup holds of member name (below the tree): its xattr count,
 * ACL entries beyond the mode, and file flags. */
struct meta_seen {
        int           xattrs;
        int           acls;
        unsigned long fflags;
        bool          found;
};

static struct meta_seen
meta_of(const char *archive, const char *src, const char *rel)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        struct meta_seen m = {0};
        char *want = xasprintf("%s/%s", src + 1, rel);

        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        assert_int_equal(archive_read_open_filename(a, archive, 65536), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(e);
                unsigned long clear;

                if (strcmp(name, want) != 0 && !(strncmp(name, want, strlen(want)) == 0 &&
                                                  strcmp(name + strlen(want), "/") == 0))
                        continue;
                m.found = true;
                m.xattrs = archive_entry_xattr_count(e);
                m.acls = archive_entry_acl_count(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS);
                archive_entry_fflags(e, &m.fflags, &clear);
        }
        archive_read_free(a);
        free(want);
        return m;
}

/* A file with an xattr, one with an ACL, one with a flag keep them among
 * files with none (whose xattrs are not read); a filesystem without
 * xattrs is skipped where this one has none. */
static void
test_xattrs_acls_flags_kept(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct backup_opts o = { .compression = "none" };
        char *paths[] = { f->src }, *x = fx_put(f, "sub/x", "x\n", 2);
        char *acl = fx_put(f, "sub/acl", "acl\n", 4), *nd = fx_put(f, "sub/nodump", "n\n", 2);
        char *dir = xasprintf("%s/sub", f->src);
        bool xattrs = setxattr(x, "user.upshift", "kept", 4, 0) == 0;
        bool acls = xattrs && setxattr(acl, "system.posix_acl_access", acl_value,
                                       sizeof acl_value, 0) == 0;
        bool dirx = xattrs && setxattr(dir, "user.dir", "d", 1, 0) == 0;
        bool flags = false;
        struct meta_seen m;
        struct diag d = {0};
        int fd = open(nd, O_RDONLY | O_CLOEXEC), fl = 0;

        assert_true(fd >= 0);
        if (ioctl(fd, FS_IOC_GETFLAGS, &fl) == 0) {
                fl |= FS_NODUMP_FL;
                flags = ioctl(fd, FS_IOC_SETFLAGS, &fl) == 0;
        }
        close(fd);
        assert_int_equal(archive_backup(paths, 1, f->dest, "m.tar", &o, &res, &d), 0);
        if (xattrs) {
                /* pax holds it twice (SCHILY. and LIBARCHIVE.), read back as 2 */
                m = meta_of(res.path, f->src, "sub/x");
                assert_true(m.found);
                assert_true(m.xattrs >= 1);
        } else {
                print_message("no user xattrs on %s: that part is skipped\n", f->base);
        }
        if (acls) {
                m = meta_of(res.path, f->src, "sub/acl");
                assert_true(m.found);
                assert_true(m.acls >= 5);
        }
        if (dirx) {
                m = meta_of(res.path, f->src, "sub");
                assert_true(m.found);
                assert_true(m.xattrs >= 1);
        }
        if (flags) {
                m = meta_of(res.path, f->src, "sub/nodump");
                assert_true(m.found);
                assert_true((m.fflags & FS_NODUMP_FL) != 0);
        }
        m = meta_of(res.path, f->src, "sub/small007");
        assert_true(m.found);
        assert_int_equal(m.xattrs, 0);
        assert_int_equal(m.acls, 0);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        backup_result_release(&res);
        free(x);
        free(acl);
        free(nd);
        free(dir);
}

/* A failed verify leaves ret_sha256 alone. */
static void
test_verify_sum_untouched_on_failure(void **state)
{
        struct fx *f = *state;
        struct backup_opts o = { .compression = "none", .sha256_later = true };
        struct backup_result res = {0};
        char *paths[] = { f->src }, sum[SHA256_HEX_LEN + 1] = "unchanged", *buf;
        struct diag d = {0};
        size_t len;
        int fd;

        assert_int_equal(archive_backup(paths, 1, f->dest, "b.tar", &o, &res, &d), 0);
        buf = t_slurp(res.path, &len);
        assert_true(len > 2 * 1024 * 1024);
        buf[1024 * 1024] ^= 1;          /* inside "big" */
        assert_int_equal(unlink(res.path), 0);
        fd = open(res.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(close(fd), 0);
        free(buf);
        assert_int_equal(archive_verify_sum(res.path, NULL, sum, NULL, NULL, &d), -EBADMSG);
        assert_string_equal(sum, "unchanged");
        backup_result_release(&res);
}

/* A partial backup (select) looks at every file with a stat and opens only
 * those it takes: inotify sees no open of a file left out. */
static bool
only_small007(void *ud, const char *member, const struct stat *st)
{
        size_t *asked = ud;

        (*asked)++;
        return S_ISDIR(st->st_mode) || strstr(member, "/sub/small007") != NULL;
}

static void
test_select_opens_only_taken(void **state)
{
        struct fx *f = *state;
        size_t asked = 0;
        struct backup_opts o = { .select = only_small007, .hook_ud = &asked };
        struct backup_result res = {0};
        char *paths[] = { f->src }, *sub = xasprintf("%s/sub", f->src), *list;
        char buf[64 * 1024] __attribute__((aligned(8)));
        struct diag d = {0};
        size_t opened = 0;
        ssize_t n;
        int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

        assert_true(in >= 0);
        assert_true(inotify_add_watch(in, f->src, IN_OPEN) >= 0);
        assert_true(inotify_add_watch(in, sub, IN_OPEN) >= 0);
        assert_int_equal(archive_backup(paths, 1, f->dest, "p.tar.zst", &o, &res, &d), 0);
        assert_int_equal(asked, 304);   /* srv, sub, big, empty, 300 small */
        /* the events of the opens are queued by the time open() returned */
        while ((n = read(in, buf, sizeof buf)) > 0) {
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const void *)p;

                        if (ev->len > 0 && !(ev->mask & IN_ISDIR)) {
                                assert_string_equal(ev->name, "small007");
                                opened++;
                        }
                        p += sizeof *ev + ev->len;
                }
        }
        assert_int_equal(opened, 1);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        list = xasprintf("test \"$(tar -tf '%s' | grep -c small)\" = 1", res.path);
        assert_int_equal(t_sh("%s", list), 0);
        close(in);
        free(list);
        free(sub);
        backup_result_release(&res);
}

/* What a backup holds of each member, in order, as one line each: name,
 * type and mode, owner, mtime, size, hard link target, file flags, xattr
 * and ACL count, and the SHA-256 of its data. The manifest's mtime (the
 * time it was written) is left out. */
static char *
members_of(const char *archive)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        struct strbuf sb = {0};
        char *buf = xmalloc(65536);

        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        assert_int_equal(archive_read_open_filename(a, archive, 65536), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                struct sha256 *c = sha256_new();
                char hex[SHA256_HEX_LEN + 1], *line;
                unsigned long set, clear;
                const char *hard = archive_entry_hardlink(e);
                bool manifest = strcmp(archive_entry_pathname(e), ARCHIVE_MANIFEST) == 0;
                la_ssize_t n;

                while ((n = archive_read_data(a, buf, 65536)) > 0)
                        sha256_update(c, buf, (size_t)n);
                assert_true(n == 0);
                sha256_final_hex(c, hex);
                archive_entry_fflags(e, &set, &clear);
                line = xasprintf("%s %o %s:%s %lld.%ld %lld %s %lx %d %d %s\n",
                                 archive_entry_pathname(e), (unsigned)archive_entry_mode(e),
                                 archive_entry_uname(e) ? archive_entry_uname(e) : "",
                                 archive_entry_gname(e) ? archive_entry_gname(e) : "",
                                 manifest ? 0LL : (long long)archive_entry_mtime(e),
                                 manifest ? 0L : archive_entry_mtime_nsec(e),
                                 (long long)archive_entry_size(e), hard ? hard : "-", set,
                                 archive_entry_xattr_count(e),
                                 archive_entry_acl_count(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS), hex);
                strbuf_adds(&sb, line);
                free(line);
        }
        archive_read_free(a);
        free(buf);
        return strbuf_detach(&sb);
}

static bool
take_all(void *ud, const char *member, const struct stat *st)
{
        (void)ud;
        (void)member;
        (void)st;
        return true;
}

/* A run of regular files longer than the read-ahead ring, holding a file
 * too big to read ahead, hard links, an xattr, a file flag and an empty
 * file, is archived as a partial backup taking every file archives it (a
 * partial backup reads nothing ahead). */
static void
test_read_ahead_same_members(void **state)
{
        struct fx *f = *state;
        struct backup_opts all = { .compression = "none" };
        struct backup_opts each = { .compression = "none", .select = take_all };
        struct backup_result ra = {0}, rb = {0};
        char *paths[] = { f->src }, *big = xcalloc(1, AHEAD_SMALL + 4097);
        char *x = fx_put(f, "sub/small150x", "x\n", 2), *nd = fx_put(f, "sub/small151n", "n\n", 2);
        char *la = xasprintf("%s/sub/small152l", f->src), *mine, *theirs, *line;
        struct diag d = {0};
        int fd, fl = 0;

        free(fx_put(f, "sub/small150big", big, AHEAD_SMALL + 4097));
        free(fx_put(f, "sub/small150empty", "", 0));
        for (int i = 0; i < AHEAD_SLOTS; i++) {
                char name[32];

                snprintf(name, sizeof name, "sub/more%04d", i);
                free(fx_put(f, name, big + i, (size_t)i));
        }
        assert_int_equal(link(x, la), 0);
        if (setxattr(x, "user.upshift", "kept", 4, 0) < 0)
                print_message("no user xattrs on %s: that part is skipped\n", f->base);
        fd = open(nd, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        if (ioctl(fd, FS_IOC_GETFLAGS, &fl) == 0) {
                fl |= FS_NODUMP_FL;
                if (ioctl(fd, FS_IOC_SETFLAGS, &fl) < 0)
                        print_message("no file flags on %s: that part is skipped\n", f->base);
        }
        close(fd);
        assert_int_equal(archive_backup(paths, 1, f->dest, "ahead.tar", &all, &ra, &d), 0);
        assert_int_equal(archive_backup(paths, 1, f->dest, "each.tar", &each, &rb, &d), 0);
        assert_int_equal(ra.members, rb.members);
        assert_true(ra.members > 300 + AHEAD_SLOTS);
        mine = members_of(ra.path);
        theirs = members_of(rb.path);
        assert_string_equal(mine, theirs);
        line = strstr(mine, "/sub/small152l ");        /* the second name: a hard link */
        assert_non_null(line);
        *strchr(line, '\n') = '\0';
        assert_non_null(strstr(line, "/sub/small150x "));
        assert_int_equal(archive_verify(ra.path, NULL, NULL, NULL, &d), 0);
        backup_result_release(&ra);
        backup_result_release(&rb);
        free(mine);
        free(theirs);
        free(big);
        free(x);
        free(nd);
        free(la);
}

/* srv/run: a run of regular files longer than the read-ahead ring, each
 * holding its own name. */
static void
put_long_run(const struct fx *f)
{
        char *run = xasprintf("%s/run", f->src);

        assert_int_equal(mkdir(run, 0755), 0);
        for (int i = 0; i < AHEAD_SLOTS + 300; i++) {
                char name[32];

                snprintf(name, sizeof name, "run/f%04d", i);
                free(fx_put(f, name, name + 4, 5));
        }
        free(run);
}

/* A name readdir said was a regular file is a directory by the time it is
 * read ahead: the backup walks into it as it always did, while the run it
 * was in is still being read ahead. */
struct swap_later {
        const char *src;
        bool        done;
};

static int
swap_later_to_dir(void *ud, const char *member, const struct stat *st)
{
        struct swap_later *w = ud;
        char *p;

        (void)st;
        if (w->done || strstr(member, "/run/f0000") == NULL)
                return 0;
        /* The reader is at most AHEAD_SLOTS names ahead: f0400 is not read yet. */
        w->done = true;
        p = xasprintf("%s/run/f0400", w->src);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkdir(p, 0755), 0);
        for (int i = 0; i < 10; i++) {
                char *q = xasprintf("%s/g%d", p, i);
                int fd = open(q, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

                assert_true(fd >= 0);
                assert_int_equal(write_all(fd, "g\n", 2), 0);
                close(fd);
                free(q);
        }
        free(p);
        return 0;
}

static void
test_read_ahead_name_became_dir(void **state)
{
        struct fx *f = *state;
        struct swap_later w = { .src = f->src };
        struct backup_opts o = { .compression = "none", .seen = swap_later_to_dir,
                                 .hook_ud = &w };
        struct backup_result res = {0};
        char *paths[] = { f->src };
        struct diag d = {0};

        put_long_run(f);
        assert_int_equal(archive_backup(paths, 1, f->dest, "dir.tar", &o, &res, &d), 0);
        assert_true(w.done);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        /* every file archived whole, each with its own data */
        assert_int_equal(t_sh("mkdir '%s/x' && tar -xf '%s' -C '%s/x' && cd '%s/x'/*/*/srv/run && "
                              "test -f f0400/g9 && test \"$(ls | wc -l)\" = %d && "
                              "for f in f*; do test -d $f || test \"$(cat $f)\" = $f || "
                              "exit 1; done",
                              f->base, res.path, f->base, f->base, AHEAD_SLOTS + 300), 0);
        backup_result_release(&res);
}

/* A name readdir said was a regular file is a FIFO by the time it is
 * opened: the backup neither blocks on it (no writer will ever come) nor
 * reads it; it is archived as the FIFO it now is. Both ways a file is
 * opened are taken: inside a run read ahead, and the last file of a
 * directory, which is opened where the backup walks. */
static int
to_fifo(void *ud, const char *member, const struct stat *st)
{
        struct swap_later *w = ud;
        static const char *const later[] = { "run/f0400", "zz/z" };

        (void)st;
        if (w->done || strstr(member, "/run/f0000") == NULL)
                return 0;
        w->done = true;
        for (size_t i = 0; i < sizeof later / sizeof *later; i++) {
                char *p = xasprintf("%s/%s", w->src, later[i]);

                assert_int_equal(unlink(p), 0);
                assert_int_equal(mkfifo(p, 0644), 0);
                free(p);
        }
        return 0;
}

static void
test_name_became_fifo(void **state)
{
        struct fx *f = *state;
        struct swap_later w = { .src = f->src };
        struct backup_opts o = { .compression = "none", .seen = to_fifo, .hook_ud = &w };
        struct backup_result res = {0};
        char *paths[] = { f->src }, *tail = xasprintf("%s/zz", f->src);
        struct diag d = {0};

        /* A blocked open would wait for ever: SIGALRM fails the test. */
        alarm(120);
        put_long_run(f);
        assert_int_equal(mkdir(tail, 0755), 0);
        free(fx_put(f, "zz/z", "z\n", 2));
        assert_int_equal(archive_backup(paths, 1, f->dest, "fifo.tar", &o, &res, &d), 0);
        alarm(0);
        assert_true(w.done);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        assert_int_equal(t_sh("tar -tvf '%s' | grep -q '^p.*/srv/run/f0400$' && "
                              "tar -tvf '%s' | grep -q '^p.*/srv/zz/z$'",
                              res.path, res.path), 0);
        backup_result_release(&res);
        free(tail);
}

/* The progress total's walk beside the backup (no names kept, directories
 * not statted) sums what archive_measure() sums: hard links once, symlinks
 * not followed below the data path. */
static void
test_measure_job_sums_as_measure(void **state)
{
        struct fx *f = *state;
        char *a = xasprintf("%s/sub/small001", f->src), *l = xasprintf("%s/sub/hard", f->src);
        char *s = xasprintf("%s/sub/sym", f->src), *paths[] = { f->src, a };
        struct measure_job j;
        struct diag d = {0};
        uint64_t want = 0;

        assert_int_equal(link(a, l), 0);
        assert_int_equal(symlink("../big", s), 0);
        assert_int_equal(archive_measure(paths, 2, &want, &d), 0);
        assert_int_equal(want, BIG + 300 * 299 / 2 * 37);
        measure_start(&j, paths, 2);
        measure_join(&j);
        assert_int_equal(measure_total(&j), want);
        free(a);
        free(l);
        free(s);
}

static int
open_fds(void)
{
        DIR *dir = opendir("/proc/self/fd");
        int n = 0;

        assert_non_null(dir);
        while (readdir(dir) != NULL)
                n++;
        closedir(dir);
        return n;
}

/* Each name gives one record, in order: what is not a regular file (or is
 * gone) only its name, a big file or one with xattrs opened, a small one
 * read; a run longer than the ring is handed over whole; a run ended early
 * leaves nothing open. */
static void
test_ahead_records(void **state)
{
        struct fx *f = *state;
        struct ahead a;
        char *sub = xasprintf("%s/sub", f->src), *x = fx_put(f, "x", "x\n", 2);
        char *ln = xasprintf("%s/link", f->src);
        char *names[] = { "sub", "gone", "link", "big", "empty", "x" };
        enum ahead_kind want[] = { AHEAD_NAME, AHEAD_NAME, AHEAD_NAME, AHEAD_OPEN, AHEAD_READ,
                                   AHEAD_READ };
        struct strv many = {0};
        bool xattrs = setxattr(x, "user.upshift", "kept", 4, 0) == 0;
        int dfd = open(f->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sfd, fds;

        assert_true(dfd >= 0);
        assert_int_equal(symlink("big", ln), 0);
        if (xattrs)
                want[5] = AHEAD_OPEN;
        ahead_init(&a);
        fds = open_fds();
        assert_int_equal(ahead_begin(&a, dfd, names, 6), 0);
        for (size_t i = 0; i < 6; i++) {
                struct ahead_rec *r = ahead_next(&a);

                assert_int_equal(r->kind, want[i]);
                if (r->kind == AHEAD_NAME) {
                        assert_int_equal(r->fd, -1);
                } else {
                        struct stat st;

                        assert_int_equal(fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW), 0);
                        assert_int_equal(r->st.st_ino, st.st_ino);
                }
                if (i == 3) {           /* big: open at its start, probed */
                        char c;

                        assert_true(r->fd >= 0);
                        assert_true(r->probed);
                        assert_int_equal(read(r->fd, &c, 1), 1);
                        assert_int_equal(c, 0);
                        close(r->fd);
                        r->fd = -1;
                }
                if (i == 5 && xattrs) {
                        assert_false(r->probed);
                        close(r->fd);
                        r->fd = -1;
                }
                if (i == 5 && !xattrs)
                        assert_memory_equal(r->buf, "x\n", 2);
                ahead_done(&a);
        }
        ahead_end(&a);
        assert_int_equal(open_fds(), fds);

        /* sub/small000..299: more than the ring holds, in order */
        sfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(sfd >= 0);
        for (int i = 0; i < 300; i++)
                strv_push_take(&many, xasprintf("small%03d", i));
        assert_int_equal(ahead_begin(&a, sfd, many.v, many.n), 0);
        for (int i = 0; i < 300; i++) {
                struct ahead_rec *r = ahead_next(&a);

                assert_int_equal(r->kind, AHEAD_READ);
                assert_int_equal(r->st.st_size, i * 37);
                ahead_done(&a);
        }
        ahead_end(&a);
        /* ended after 3 of 300, with the rest read ahead or being read */
        assert_int_equal(ahead_begin(&a, dfd, names + 3, 1), 0);
        ahead_end(&a);
        assert_int_equal(ahead_begin(&a, sfd, many.v, many.n), 0);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(ahead_next(&a)->st.st_size, i * 37);
                ahead_done(&a);
        }
        ahead_end(&a);
        assert_int_equal(open_fds(), fds + 1);  /* sfd */
        ahead_release(&a);
        close(sfd);
        close(dfd);
        strv_release(&many);
        free(sub);
        free(x);
        free(ln);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sha256_final_reset),
                cmocka_unit_test_setup_teardown(test_sha256_from_verify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_xattrs_acls_flags_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_sum_untouched_on_failure, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_select_opens_only_taken, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_ahead_same_members, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_ahead_name_became_dir, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_name_became_fifo, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ahead_records, setup, teardown),
                cmocka_unit_test_setup_teardown(test_measure_job_sums_as_measure, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
