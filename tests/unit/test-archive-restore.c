/* test-archive-restore.c: a tree with everything a data directory may hold
 * (hard links, symlinks, a sparse file, xattrs, odd modes and owners, a
 * name that is not UTF-8) goes through backup, verify and both restores
 * unchanged; archive_restore_paths() finishes after a crash at any point;
 * archive_estimate() is close to the real size. */
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
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/archive.h"
#include "lib/kvlist.h"
#include "lib/stamp.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "testlib.h"

#define SPARSE_SIZE (64u * 1024 * 1024)
#define ODD_NAME "bad\xff\xfename"
#define XATTR_VAL "v\0binary\xff"
#define ACL_XATTR "system.posix_acl_access"

/* An access ACL in the kernel's xattr form (version 2, then tag, perm, id
 * per entry, little-endian): user::rw- user:12345:r-- group::r-- mask::r--
 * other::--- */
static const unsigned char acl_value[] = {
        2, 0, 0, 0,
        0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
        0x02, 0, 4, 0, 0x39, 0x30, 0, 0,
        0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
        0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
        0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
};

struct fx {
        char *base;
        char *src;              /* base/data/srv */
        char *member;           /* src + 1 */
        char *dest;             /* base/backups */
        char *orig;             /* base/orig/<member>: the tree as backed up */
        bool  xattrs;           /* the filesystem takes user.* xattrs */
        bool  acls;             /* and POSIX ACLs */
        bool  sparse;           /* and makes holes */
        char *archive;
};

static void
put(const struct fx *f, const char *rel, const char *text, mode_t mode)
{
        char *p = xasprintf("%s/%s", f->src, rel);

        t_write_text(p, text);
        assert_int_equal(chmod(p, mode), 0);
        free(p);
}

static char *
at(const struct fx *f, const char *rel)
{
        return xasprintf("%s/%s", f->src, rel);
}

static void
make_tree(struct fx *f)
{
        struct timespec ts[2] = { { 1600000000, 0 }, { 1600000000, 0 } };
        char *p, *q;
        int fd;

        p = at(f, "sub/deeper");
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        put(f, "a.txt", "alpha\n", 0644);
        put(f, "ro", "read only\n", 0444);
        put(f, "none", "no access\n", 0000);
        put(f, "exec", "#!/bin/sh\n", 0700);
        put(f, ODD_NAME, "not utf-8\n", 0640);
        put(f, "sub/deeper/file", "deep\n", 0600);
        put(f, "owned", "someone else's\n", 0604);
        p = at(f, "sticky");
        assert_int_equal(mkdir(p, 0755), 0);
        assert_int_equal(chmod(p, 01777), 0);
        free(p);
        p = at(f, "closed");
        assert_int_equal(mkdir(p, 0700), 0);
        free(p);
        put(f, "closed/inside", "inside\n", 0644);
        p = at(f, "closed");
        assert_int_equal(chmod(p, 0000), 0);
        free(p);
        /* hard links in two directories, and a symlink or two */
        put(f, "h1", "hard linked\n", 0644);
        p = at(f, "h1");
        q = at(f, "sub/h2");
        assert_int_equal(link(p, q), 0);
        free(q);
        q = at(f, "sub/deeper/h3");
        assert_int_equal(link(p, q), 0);
        free(q);
        free(p);
        p = at(f, "sym");
        assert_int_equal(symlink("a.txt", p), 0);
        free(p);
        p = at(f, "sub/dangling");
        assert_int_equal(symlink("../nowhere", p), 0);
        free(p);
        /* a 64 MiB file with 8 bytes of data */
        p = at(f, "sparse.db");
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "head", 4, 0), 4);
        assert_int_equal(pwrite(fd, "tail", 4, SPARSE_SIZE - 4), 4);
        assert_int_equal(close(fd), 0);
        free(p);
        if (geteuid() == 0) {
                p = at(f, "owned");
                assert_int_equal(chown(p, 12345, 23456), 0);
                free(p);
                p = at(f, "sub");
                assert_int_equal(chown(p, 12345, 23456), 0);
                free(p);
                p = at(f, "sym");
                assert_int_equal(lchown(p, 12345, 23456), 0);
                free(p);
        }
        p = at(f, "a.txt");
        f->xattrs = setxattr(p, "user.upshift", XATTR_VAL, sizeof XATTR_VAL - 1, 0) == 0;
        if (f->xattrs) {
                free(p);
                p = at(f, "sub");
                assert_int_equal(setxattr(p, "user.dir", "d", 1, 0), 0);
        }
        free(p);
        p = at(f, "a.txt");
        assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
        free(p);
        put(f, "acl.txt", "with an access ACL\n", 0640);
        p = at(f, "acl.txt");
        f->acls = setxattr(p, ACL_XATTR, acl_value, sizeof acl_value, 0) == 0;
        free(p);
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof *f);
        struct stat st;
        char *p;

        f->base = t_mkdtemp("archive-restore");
        assert_non_null(f->base);
        f->src = xasprintf("%s/data/srv", f->base);
        f->member = xstrdup(f->src + 1);
        f->dest = xasprintf("%s/backups", f->base);
        f->orig = xasprintf("%s/orig/%s", f->base, f->member);
        assert_int_equal(mkdir_p(f->src, 0750, NULL), 0);
        make_tree(f);
        p = at(f, "sparse.db");
        assert_int_equal(stat(p, &st), 0);
        f->sparse = (uint64_t)st.st_blocks * 512 < SPARSE_SIZE / 2;
        free(p);
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        assert_int_equal(t_rm_rf(f->base), 0);
        free(f->base);
        free(f->src);
        free(f->member);
        free(f->dest);
        free(f->orig);
        free(f->archive);
        free(f);
        return 0;
}

/* Back the tree up (zstd) and keep a reference copy in f->orig. */
static void
backup_and_reference(struct fx *f, const char *compression, const char *name)
{
        struct backup_opts o = { .compression = compression };
        struct backup_result res = {0};
        char *paths[] = { f->src }, *root = xasprintf("%s/orig", f->base);
        struct diag d = {0};

        assert_int_equal(archive_backup(paths, 1, f->dest, name, &o, &res, &d), 0);
        assert_int_equal(archive_verify(res.path, res.sha256, NULL, NULL, &d), 0);
        assert_int_equal(archive_restore(res.path, root, NULL, NULL, &d), 0);
        free(f->archive);
        f->archive = xstrdup(res.path);
        backup_result_release(&res);
        free(root);
}

/* Inode pairs seen in the two trees, so hard links must match up. */
struct inos {
        ino_t (*v)[2];
        size_t n, alloc;
};

static void
same_xattrs(const char *a, const char *b)
{
        char la[4096], lb[4096], va[256], vb[256];
        ssize_t na = llistxattr(a, la, sizeof la), nb = llistxattr(b, lb, sizeof lb);

        assert_true(na >= 0);
        assert_int_equal(na, nb);
        for (ssize_t i = 0; i < na; i += (ssize_t)strlen(la + i) + 1) {
                ssize_t x, y;

                if (strncmp(la + i, "user.", 5) != 0 && strcmp(la + i, ACL_XATTR) != 0)
                        continue;
                x = lgetxattr(a, la + i, va, sizeof va);
                y = lgetxattr(b, la + i, vb, sizeof vb);
                assert_true(x >= 0);
                assert_int_equal(x, y);
                assert_memory_equal(va, vb, (size_t)x);
        }
}

static void
same_entry(const char *a, const char *b, struct inos *in)
{
        struct stat sa, sb;

        assert_int_equal(lstat(a, &sa), 0);
        if (lstat(b, &sb) < 0)
                fail_msg("missing in the restored tree: %s", b);
        assert_int_equal(sa.st_mode, sb.st_mode);
        assert_int_equal(sa.st_uid, sb.st_uid);
        assert_int_equal(sa.st_gid, sb.st_gid);
        if (S_ISLNK(sa.st_mode)) {
                char ta[256] = "", tb[256] = "";

                assert_true(readlink(a, ta, sizeof ta - 1) > 0);
                assert_true(readlink(b, tb, sizeof tb - 1) > 0);
                assert_string_equal(ta, tb);
                return;
        }
        assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
        same_xattrs(a, b);
        if (!S_ISREG(sa.st_mode))
                return;
        assert_int_equal(sa.st_size, sb.st_size);
        assert_int_equal(sa.st_nlink, sb.st_nlink);
        if (sa.st_nlink > 1) {
                size_t i;

                for (i = 0; i < in->n && in->v[i][0] != sa.st_ino; i++)
                        ;
                if (i < in->n) {
                        assert_int_equal(in->v[i][1], sb.st_ino);
                } else {
                        xgrow((void **)&in->v, &in->alloc, in->n + 1, sizeof *in->v);
                        in->v[in->n][0] = sa.st_ino;
                        in->v[in->n++][1] = sb.st_ino;
                }
        }
        {
                char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1];

                assert_int_equal(sha256_file(a, ha, NULL, NULL), 0);
                assert_int_equal(sha256_file(b, hb, NULL, NULL), 0);
                assert_string_equal(ha, hb);
        }
}

static int
str_cmp(const void *x, const void *y)
{
        return strcmp(*(char *const *)x, *(char *const *)y);
}

static struct strv
names_of(const char *dir)
{
        struct strv sv = {0};
        DIR *dp = opendir(dir);
        struct dirent *de;

        assert_non_null(dp);
        while ((de = readdir(dp)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        strv_push(&sv, de->d_name);
        closedir(dp);
        if (sv.n > 0)
                qsort(sv.v, sv.n, sizeof *sv.v, str_cmp);
        return sv;
}

static void
same_tree_in(const char *a, const char *b, struct inos *in)
{
        struct stat st;

        same_entry(a, b, in);
        assert_int_equal(lstat(a, &st), 0);
        if (S_ISDIR(st.st_mode)) {
                struct strv na = names_of(a), nb = names_of(b);

                assert_int_equal(na.n, nb.n);
                for (size_t i = 0; i < na.n; i++) {
                        char *ca = path_join(a, na.v[i]), *cb = path_join(b, nb.v[i]);

                        assert_string_equal(na.v[i], nb.v[i]);
                        same_tree_in(ca, cb, in);
                        free(ca);
                        free(cb);
                }
                strv_release(&na);
                strv_release(&nb);
        }
}

/* Content, modes, owners, times, xattrs, symlinks, hard-link structure. */
static void
same_tree(const char *a, const char *b)
{
        struct inos in = {0};

        same_tree_in(a, b, &in);
        free(in.v);
}

static void
assert_sparse(const struct fx *f, const char *root)
{
        char *p = xasprintf("%s/sparse.db", root);
        struct stat st;

        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, SPARSE_SIZE);
        if (f->sparse)
                assert_true((uint64_t)st.st_blocks * 512 < SPARSE_SIZE / 16);
        free(p);
}

static void
test_round_trip(void **state)
{
        struct fx *f = *state;
        struct stat st;

        if (!f->xattrs)
                print_message("skipped: the filesystem under /tmp takes no user.* xattrs; "
                              "xattrs are not compared\n");
        if (!f->acls)
                print_message("skipped: the filesystem under /tmp takes no POSIX ACLs; "
                              "ACLs are not compared\n");
        backup_and_reference(f, NULL, "t.tar.zst");
        /* 64 MiB of zeros compress to almost nothing */
        assert_int_equal(stat(f->archive, &st), 0);
        assert_true(st.st_size < 1024 * 1024);
        same_tree(f->src, f->orig);
        assert_sparse(f, f->orig);
}

/* Change the tree after the backup, so a restore has something to undo. */
static void
scribble(const struct fx *f, const char *marker)
{
        char *p = at(f, marker);

        t_write_text(p, "written after the backup\n");
        free(p);
        put(f, "a.txt", "changed\n", 0600);
        p = at(f, "sym");
        unlink(p);
        free(p);
}

static char *
sib(const struct fx *f, const char *suffix)
{
        return xasprintf("%s%s", f->src, suffix);
}

static void
assert_restored(const struct fx *f, const char *marker)
{
        char *rep = sib(f, ".upshift-replaced"), *rst = sib(f, ".upshift-restore");
        char *m = xasprintf("%s/%s", rep, marker), *sp;
        char *paths[] = { f->src };
        struct diag d = {0};

        same_tree(f->orig, f->src);
        assert_sparse(f, f->src);
        assert_true(path_exists(m));            /* what was replaced is kept */
        assert_false(path_exists(rst));
        sp = archive_restore_sibling(f->src, ".upshift-replaced", &d);
        assert_string_equal(sp, rep);
        free(sp);
        assert_int_equal(archive_restore_commit(paths, 1, &d), 0);
        assert_false(path_exists(rep));
        same_tree(f->orig, f->src);
        free(rep);
        free(rst);
        free(m);
}

static void
progress_cb(void *ud, uint64_t done, uint64_t total)
{
        uint64_t *seen = ud;

        assert_true(done <= total);
        seen[0] = done;
        seen[1] = total;
}

static void
test_restore_paths(void **state)
{
        struct fx *f = *state;
        char *paths[] = { f->src }, *m;
        uint64_t seen[2] = {0};
        struct diag d = {0};
        struct stat st;

        backup_and_reference(f, NULL, "p.tar.zst");
        scribble(f, "junk");
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, progress_cb, seen, &d), 0);
        assert_int_equal(stat(f->archive, &st), 0);
        assert_int_equal(seen[0], (uint64_t)st.st_size);
        assert_int_equal(seen[1], (uint64_t)st.st_size);
        m = at(f, "junk");
        assert_false(path_exists(m));
        free(m);
        assert_restored(f, "junk");
}

/* Do by hand the first k of restore_paths' three operations (extract into
 * T.upshift-restore, rename T away, rename the new tree in), as a crash
 * after the k-th would leave them; then the call must finish the work. */
static void
crash_after(struct fx *f, int k)
{
        char *rep = sib(f, ".upshift-replaced"), *rst = sib(f, ".upshift-restore");
        char *tmp = xasprintf("%s/tmp-%d", f->base, k), *from;
        char *paths[] = { f->src }, marker[32];
        struct diag d = {0};

        snprintf(marker, sizeof marker, "junk-%d", k);
        scribble(f, marker);
        if (k >= 1) {
                assert_int_equal(archive_restore(f->archive, tmp, NULL, NULL, &d), 0);
                from = xasprintf("%s/%s", tmp, f->member);
                assert_int_equal(rename(from, rst), 0);
                free(from);
        }
        if (k >= 2)
                assert_int_equal(rename(f->src, rep), 0);
        if (k >= 3)
                assert_int_equal(rename(rst, f->src), 0);
        diag_clear(&d);
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), 0);
        assert_restored(f, marker);
        free(rep);
        free(rst);
        free(tmp);
}

static void
test_restore_paths_after_crash(void **state)
{
        struct fx *f = *state;
        char *rep = sib(f, ".upshift-replaced"), *rst = sib(f, ".upshift-restore");
        char *paths[] = { f->src }, *p;
        struct diag d = {0};

        backup_and_reference(f, "gzip", "c.tar.gz");
        for (int k = 0; k <= 3; k++)
                crash_after(f, k);

        /* a crash half-way through extracting: a partial, stale new tree */
        scribble(f, "junk-partial");
        assert_int_equal(mkdir(rst, 0700), 0);
        p = xasprintf("%s/half-written", rst);
        t_write_text(p, "x");
        free(p);
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), 0);
        p = at(f, "half-written");
        assert_false(path_exists(p));
        free(p);
        assert_restored(f, "junk-partial");

        /* the first rename done, the new tree lost: extracted again */
        scribble(f, "junk-lost");
        assert_int_equal(rename(f->src, rep), 0);
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), 0);
        assert_restored(f, "junk-lost");

        /* restored but not committed, then changed: refused, nothing moves */
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), 0);
        assert_true(path_exists(rep));
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), 0);
        scribble(f, "junk-late");
        diag_clear(&d);
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), -EEXIST);
        assert_non_null(strstr(d.msg, rep));
        assert_non_null(strstr(d.msg, "was not committed"));
        p = at(f, "junk-late");
        assert_true(path_exists(p));
        free(p);
        assert_true(path_exists(rep));
        assert_false(path_exists(rst));
        free(rep);
        free(rst);
}

/* A data path that is one file, and one that is a symlink to a directory. */
static void
test_restore_paths_file_and_symlink(void **state)
{
        struct fx *f = *state;
        char *conf = xasprintf("%s/data/app.conf", f->base);
        char *real = xasprintf("%s/data/real", f->base), *link = xasprintf("%s/data/link",
                                                                              f->base);
        char *paths[] = { conf, link }, *p, *sp;
        struct backup_result res = {0};
        struct diag d = {0};
        struct stat st;

        t_write_text(conf, "port = 1\n");
        assert_int_equal(mkdir(real, 0750), 0);
        p = xasprintf("%s/db", real);
        t_write_text(p, "rows\n");
        assert_int_equal(symlink("real", link), 0);
        assert_int_equal(archive_backup(paths, 2, f->dest, "fs.tar.zst", NULL, &res, &d), 0);
        t_write_text(conf, "port = 2\n");
        t_write_text(p, "other rows\n");
        assert_int_equal(archive_restore_paths(res.path, paths, 2, NULL, NULL, &d), 0);
        free(p);
        p = t_slurp(conf, NULL);
        assert_string_equal(p, "port = 1\n");
        free(p);
        p = xasprintf("%s/db", link);
        sp = t_slurp(p, NULL);
        assert_string_equal(sp, "rows\n");
        free(sp);
        free(p);
        /* the link stays a link; what it points to was restored */
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        p = xasprintf("%s.upshift-replaced/db", real);
        sp = t_slurp(p, NULL);
        assert_string_equal(sp, "other rows\n");
        free(sp);
        free(p);
        p = xasprintf("%s.upshift-replaced", conf);
        sp = t_slurp(p, NULL);
        assert_string_equal(sp, "port = 2\n");
        free(sp);
        free(p);
        sp = archive_restore_sibling(link, ".upshift-replaced", &d);
        p = xasprintf("%s.upshift-replaced", real);
        assert_string_equal(sp, p);
        free(p);
        free(sp);
        assert_int_equal(archive_restore_commit(paths, 2, &d), 0);
        p = xasprintf("%s.upshift-replaced", real);
        assert_false(path_exists(p));
        free(p);
        /* one data path inside another cannot be swapped by rename */
        paths[0] = real;
        paths[1] = xasprintf("%s/db", real);
        assert_int_equal(archive_restore_paths(res.path, paths, 2, NULL, NULL, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "one is inside the other"));
        free(paths[1]);
        backup_result_release(&res);
        free(conf);
        free(real);
        free(link);
}

/* One flipped byte: refused naming the member, the data path untouched. */
static void
test_restore_paths_corrupt(void **state)
{
        struct fx *f = *state;
        char *paths[] = { f->src }, *buf, *hit, *want, *p;
        struct diag d = {0};
        size_t len;
        int fd;

        backup_and_reference(f, "none", "x.tar");
        assert_int_equal(read_file(f->archive, &buf, &len, &d), 0);
        hit = memmem(buf, len, "deep\n", 5);
        assert_non_null(hit);
        hit[0] = 'D';
        fd = open(f->archive, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(close(fd), 0);
        free(buf);
        scribble(f, "junk");
        assert_int_equal(archive_restore_paths(f->archive, paths, 1, NULL, NULL, &d), -EBADMSG);
        want = xasprintf("member \"%s/sub/deeper/file\" does not match its SHA-256",
                         f->member);
        assert_non_null(strstr(d.msg, want));
        free(want);
        p = at(f, "junk");
        assert_true(path_exists(p));
        free(p);
        p = sib(f, ".upshift-restore");
        assert_false(path_exists(p));
        free(p);
        p = sib(f, ".upshift-replaced");
        assert_false(path_exists(p));
        free(p);
}


/* A full backup with each file's stamp, then a partial one of what changed
 * (as a cold backup's delta makes it): the two laid one over the other
 * restore the tree as it was when the partial one was taken. */
struct layers {
        struct kvlist stamps;           /* member -> stamp text, from the full backup */
        struct kvlist seen;             /* member -> type, from the partial one */
        struct kvlist taken;            /* the files the partial one archived */
};

static int
keep_stamp(void *ud, const char *member, const struct stat *st)
{
        struct layers *l = ud;
        char text[STAMP_TEXT_MAX];
        struct stamp s;

        /* as if taken 3 s after the tree was made: nothing is racy */
        stamp_of(st, stamp_clock_ns() + 3000000000LL, &s);
        stamp_format(&s, text);
        kvlist_set(&l->stamps, member, text);
        return 0;
}

static bool
changed_since(void *ud, const char *member, const struct stat *st)
{
        struct layers *l = ud;
        const char *text = kvlist_get(&l->stamps, member);
        struct stamp was, now;
        char type[16];

        snprintf(type, sizeof type, "%u", (unsigned)(st->st_mode & S_IFMT));
        kvlist_set(&l->seen, member, type);
        stamp_of(st, 0, &now);
        if (S_ISDIR(st->st_mode) || (text != NULL && stamp_parse(text, &was) == 0 &&
                                      stamp_settled(&was) && stamp_same(&was, &now)))
                return false;
        kvlist_set(&l->taken, member, "");
        return true;
}

static void
test_restore_layers(void **state)
{
        struct fx *f = *state;
        struct timespec ts[2] = { { 1600000000, 0 }, { 1600000000, 0 } };
        struct layers l = {0};
        struct backup_opts full = { .seen = keep_stamp, .hook_ud = &l };
        struct backup_opts part = { .select = changed_since, .hook_ud = &l };
        struct backup_result rf = {0}, rp = {0};
        struct strv removed = {0};
        struct restore_delta delta;
        char *paths[] = { f->src }, *p, *q;
        struct diag d = {0};

        assert_int_equal(archive_backup(paths, 1, f->dest, "full.tar.zst", &full, &rf, &d), 0);
        /* the same size and mtime, other bytes: only ctime tells */
        put(f, "a.txt", "ALPHA\n", 0644);
        p = at(f, "a.txt");
        assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
        free(p);
        p = at(f, "ro");                        /* a file gone */
        assert_int_equal(unlink(p), 0);
        free(p);
        put(f, "new.txt", "new\n", 0644);       /* a new one */
        p = at(f, "exec");                      /* a file that became a directory */
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkdir(p, 0755), 0);
        free(p);
        put(f, "exec/inside", "in\n", 0644);
        p = at(f, "sub/deeper");                /* a directory gone, with a link of h1 */
        assert_int_equal(t_rm_rf(p), 0);
        free(p);
        /* the tree now is the reference (f->orig) */
        p = xasprintf("%s/orig", f->base);
        assert_int_equal(t_rm_rf(p), 0);
        free(p);
        backup_and_reference(f, NULL, "ref.tar.zst");

        assert_int_equal(archive_backup(paths, 1, f->dest, "part.tar.zst", &part, &rp, &d), 0);
        assert_int_equal(archive_verify(rp.path, rp.sha256, NULL, NULL, &d), 0);
        for (size_t i = 0; i < l.stamps.n; i++) {
                const char *type = kvlist_get(&l.seen, l.stamps.v[i].key);
                struct stamp was;
                char want[16];

                assert_int_equal(stamp_parse(l.stamps.v[i].value, &was), 0);
                snprintf(want, sizeof want, "%u", (unsigned)(was.mode & S_IFMT));
                if (type == NULL || strcmp(type, want) != 0)
                        strv_push(&removed, l.stamps.v[i].key);
        }
        /* what changed is taken, what did not is not */
        p = xasprintf("%s/a.txt", f->member);
        q = xasprintf("%s/sparse.db", f->member);
        assert_non_null(kvlist_get(&l.taken, p));
        assert_null(kvlist_get(&l.taken, q));
        free(p);
        free(q);
        p = xasprintf("%s/ro", f->member);
        assert_true(strv_find(removed.v, removed.n, p) >= 0);
        free(p);

        scribble(f, "junk");
        delta = (struct restore_delta){ rp.path, removed.v, removed.n };
        assert_int_equal(archive_restore_layers(rf.path, &delta, paths, 1, NULL, NULL, &d), 0);
        /* called again before a commit: the tree is checked against both */
        assert_int_equal(archive_restore_layers(rf.path, &delta, paths, 1, NULL, NULL, &d), 0);
        assert_restored(f, "junk");

        strv_release(&removed);
        kvlist_release(&l.stamps);
        kvlist_release(&l.seen);
        kvlist_release(&l.taken);
        backup_result_release(&rf);
        backup_result_release(&rp);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restore_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restore_paths_after_crash, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_restore_paths_file_and_symlink, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_restore_paths_corrupt, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restore_layers, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
