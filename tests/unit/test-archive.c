/* test-archive.c: backups, their manifest, verification and restore. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "lib/archive.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "testlib.h"

struct fx {
        char *base;             /* t_mkdtemp() */
        char *src;              /* base/data/srv: the tree we back up */
        char *member;           /* src without the leading "/" */
        char *dest;             /* base/backups */
        uint64_t file_bytes;    /* regular-file data, hard links once */
};

static void
write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

static char *
fx_path(const struct fx *f, const char *rel)
{
        return xasprintf("%s/%s", f->src, rel);
}

static void
fx_file(struct fx *f, const char *rel, const void *buf, size_t len, mode_t mode)
{
        char *p = fx_path(f, rel);

        write_file(p, buf, len, mode);
        f->file_bytes += len;
        free(p);
}

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof *f);
        char *big = xmalloc(300000), *p, *q;
        struct timespec ts[2] = { { 1577836800, 123456789 }, { 1577836800, 123456789 } };

        f->base = t_mkdtemp("archive");
        assert_non_null(f->base);
        f->src = xasprintf("%s/data/srv", f->base);
        f->member = xstrdup(f->src + 1);
        f->dest = xasprintf("%s/backups", f->base);
        p = xasprintf("%s/dir1/dir2", f->src);
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        for (size_t i = 0; i < 300000; i++)
                big[i] = (char)((i * 7919u) >> 3);
        fx_file(f, "regular.bin", big, 300000, 0644);
        fx_file(f, "dir1/dir2/nested.txt", "nested content marker\n", 22, 0644);
        fx_file(f, "empty", "", 0, 0644);
        fx_file(f, "mode640", "secret-ish\n", 11, 0640);
        fx_file(f, "exec.sh", "#!/bin/sh\necho hi\n", 18, 0755);
        fx_file(f, "with space.txt", "spaced\n", 7, 0644);
        fx_file(f, "hard1", "linked twice\n", 13, 0644);
        p = fx_path(f, "hard1");
        q = fx_path(f, "hard2");
        assert_int_equal(link(p, q), 0);
        free(q);
        q = fx_path(f, "link");
        assert_int_equal(symlink("regular.bin", q), 0);
        free(q);
        q = fx_path(f, "regular.bin");
        assert_int_equal(utimensat(AT_FDCWD, q, ts, 0), 0);
        free(q);
        free(p);
        free(big);
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
        free(f);
        return 0;
}

static int
backup(struct fx *f, const char *compression, const char *name, struct backup_result *res,
       struct diag *d)
{
        struct backup_opts o = { .compression = compression };
        char *paths[] = { f->src };

        diag_clear(d);
        return archive_backup(paths, 1, f->dest, name, &o, res, d);
}

static struct strv
tar_list(const char *archive)
{
        struct strv sv = {0};
        char *cmd = xasprintf("tar -tf '%s'", archive);
        char line[4096];
        FILE *p = popen(cmd, "r");

        assert_non_null(p);
        while (fgets(line, sizeof line, p) != NULL)
                strv_push(&sv, str_rtrim(line));
        assert_int_equal(pclose(p), 0);
        free(cmd);
        return sv;
}

static void
progress_cb(void *ud, uint64_t done, uint64_t total)
{
        uint64_t *last = ud;

        /* total 0: not measured yet (it is, meanwhile, on a thread) */
        assert_true(total == 0 || done <= total);
        last[0] = done;
        last[1] = total;
        last[2]++;
}

static void
test_backup_result_and_tar(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct backup_opts o = { .progress = progress_cb };
        char *paths[] = { f->src }, hex[SHA256_HEX_LEN + 1], *want, *mf;
        uint64_t size, measured, seen[3] = {0};
        struct diag d = {0};
        struct strv sv;
        struct stat st;

        o.ud = seen;
        assert_int_equal(archive_measure(paths, 1, &measured, &d), 0);
        /* hard1 and hard2 are one file: counted once */
        assert_int_equal(measured, f->file_bytes);
        assert_int_equal(archive_backup(paths, 1, f->dest, "b.tar.zst", &o, &res, &d), 0);
        want = xasprintf("%s/b.tar.zst", f->dest);
        assert_string_equal(res.path, want);
        /* srv, dir1, dir2 + 9 names below them */
        assert_int_equal(res.members, 12);
        assert_int_equal(res.bytes_in, f->file_bytes);
        assert_int_equal(seen[0], seen[1]);
        assert_int_equal(seen[1], measured);
        assert_true(seen[2] >= 1);
        assert_int_equal(stat(res.path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal((uint64_t)st.st_size, res.size);
        assert_true(res.size > 0);
        assert_int_equal(sha256_file(res.path, hex, &size, &d), 0);
        assert_string_equal(res.sha256, hex);
        assert_true(sha256_valid_hex(res.manifest_sha256));
        assert_int_equal(archive_verify(res.path, res.sha256, NULL, NULL, &d), 0);

        /* a clean zstd stream (no padding after the frame) */
        assert_int_equal(t_sh("zstd -tq '%s'", res.path), 0);
        sv = tar_list(res.path);
        assert_int_equal(sv.n, 13);
        assert_string_equal(sv.v[sv.n - 1], ARCHIVE_MANIFEST);
        mf = xasprintf("%s/with space.txt", f->member);
        assert_true(strv_find(sv.v, sv.n, mf) >= 0);
        free(mf);
        mf = xasprintf("%s/dir1/dir2/nested.txt", f->member);
        assert_true(strv_find(sv.v, sv.n, mf) >= 0);
        free(mf);
        strv_release(&sv);

        /* Checkable without upshift: tar + sha256sum -c */
        assert_int_equal(t_sh("mkdir '%s/x' && tar -xf '%s' -C '%s/x' && cd '%s/x' && "
                              "sha256sum --quiet -c " ARCHIVE_MANIFEST, f->base, res.path,
                              f->base, f->base), 0);
        assert_int_equal(t_sh("cd '%s/x' && test $(wc -l < " ARCHIVE_MANIFEST ") = 7",
                              f->base), 0);
        free(want);
        backup_result_release(&res);
}

static void
assert_same_file(const char *a, const char *b)
{
        char ha[SHA256_HEX_LEN + 1], hb[SHA256_HEX_LEN + 1];
        struct stat sa, sb;

        assert_int_equal(lstat(a, &sa), 0);
        assert_int_equal(lstat(b, &sb), 0);
        assert_int_equal(sa.st_mode, sb.st_mode);
        assert_int_equal(sa.st_uid, sb.st_uid);
        assert_int_equal(sa.st_gid, sb.st_gid);
        if (S_ISREG(sa.st_mode)) {
                assert_int_equal(sha256_file(a, ha, NULL, NULL), 0);
                assert_int_equal(sha256_file(b, hb, NULL, NULL), 0);
                assert_string_equal(ha, hb);
                assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
        }
}

static void
test_restore(void **state)
{
        struct fx *f = *state;
        static const char *const rel[] = {
                "regular.bin", "empty", "mode640", "exec.sh", "with space.txt",
                "hard1", "hard2", "dir1/dir2/nested.txt", "dir1", "dir1/dir2", "link",
        };
        struct backup_result res = {0};
        char *root = xasprintf("%s/root", f->base), *p, *q, target[64];
        struct diag d = {0};
        struct stat s1, s2;
        ssize_t n;

        assert_int_equal(backup(f, NULL, "r.tar.zst", &res, &d), 0);
        assert_int_equal(archive_restore(res.path, root, NULL, NULL, &d), 0);
        for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
                p = fx_path(f, rel[i]);
                q = xasprintf("%s/%s/%s", root, f->member, rel[i]);
                assert_same_file(p, q);
                free(p);
                free(q);
        }
        q = xasprintf("%s/%s/mode640", root, f->member);
        assert_int_equal(stat(q, &s1), 0);
        assert_int_equal(s1.st_mode & 07777, 0640);
        free(q);
        q = xasprintf("%s/%s/regular.bin", root, f->member);
        assert_int_equal(stat(q, &s1), 0);
        assert_int_equal(s1.st_mtim.tv_sec, 1577836800);
        free(q);
        q = xasprintf("%s/%s/link", root, f->member);
        n = readlink(q, target, sizeof target - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, "regular.bin");
        free(q);
        p = xasprintf("%s/%s/hard1", root, f->member);
        q = xasprintf("%s/%s/hard2", root, f->member);
        assert_int_equal(stat(p, &s1), 0);
        assert_int_equal(stat(q, &s2), 0);
        assert_int_equal(s1.st_ino, s2.st_ino);
        assert_int_equal(s1.st_nlink, 2);
        free(p);
        free(q);
        /* the manifest describes the backup and is not restored */
        q = xasprintf("%s/" ARCHIVE_MANIFEST, root);
        assert_false(path_exists(q));
        free(q);
        free(root);
        backup_result_release(&res);
}

/* Flip one byte of nested.txt's data inside an uncompressed backup. */
static void
test_verify_detects_corruption(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct diag d = {0};
        char *buf, *hit, *want;
        size_t len;

        assert_int_equal(backup(f, "none", "c.tar", &res, &d), 0);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        assert_int_equal(read_file(res.path, &buf, &len, &d), 0);
        hit = memmem(buf, len, "nested content marker", 21);
        assert_non_null(hit);
        hit[3] ^= 0x20;
        assert_int_equal(unlink(res.path), 0);
        write_file(res.path, buf, len, 0600);
        free(buf);
        diag_clear(&d);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), -EBADMSG);
        want = xasprintf("member \"%s/dir1/dir2/nested.txt\" does not match its SHA-256 in "
                         "the manifest", f->member);
        assert_non_null(strstr(d.msg, want));
        free(want);
        /* and the file's own checksum no longer matches what backup reported */
        diag_clear(&d);
        assert_int_equal(archive_verify(res.path, res.sha256, NULL, NULL, &d), -EBADMSG);
        assert_non_null(strstr(d.msg, "changed since it was written: SHA-256 is "));
        assert_non_null(strstr(d.msg, res.sha256));
        backup_result_release(&res);
}

static void
test_verify_wrong_sha256(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct diag d = {0};
        char zeros[SHA256_HEX_LEN + 1];

        memset(zeros, '0', SHA256_HEX_LEN);
        zeros[SHA256_HEX_LEN] = '\0';
        assert_int_equal(backup(f, "gzip", "w.tar.gz", &res, &d), 0);
        assert_int_equal(t_sh("gzip -tq '%s'", res.path), 0);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        assert_int_equal(archive_verify(res.path, zeros, NULL, NULL, &d), -EBADMSG);
        assert_non_null(strstr(d.msg, zeros));
        assert_non_null(strstr(d.msg, res.sha256));
        backup_result_release(&res);
}

static void
test_xz_and_bad_compression(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct diag d = {0};
        char *p;

        assert_int_equal(backup(f, "xz", "x.tar.xz", &res, &d), 0);
        assert_int_equal(archive_verify(res.path, res.sha256, NULL, NULL, &d), 0);
        assert_int_equal(t_sh("xz -t '%s'", res.path), 0);
        backup_result_release(&res);
        assert_int_equal(backup(f, "lz5", "y.tar", &res, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "unknown compression \"lz5\""));
        p = xasprintf("%s/y.tar", f->dest);
        assert_false(path_exists(p));
        free(p);
}

static void
test_missing_path(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        char *paths[] = { f->src, NULL }, *p;
        struct diag d = {0};

        paths[1] = xasprintf("%s/nope", f->base);
        assert_int_equal(archive_backup(paths, 2, f->dest, "m.tar.zst", NULL, &res, &d),
                         -ENOENT);
        assert_non_null(strstr(d.msg, paths[1]));
        assert_null(res.path);
        p = xasprintf("%s/m.tar.zst", f->dest);
        assert_false(path_exists(p));
        free(p);
        free(paths[1]);
}

static void
test_existing_archive_kept(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct diag d = {0};
        char *p = xasprintf("%s/e.tar.zst", f->dest), *buf;
        size_t len;

        assert_int_equal(mkdir_p(f->dest, 0700, NULL), 0);
        write_file(p, "keep me", 7, 0600);
        assert_int_equal(backup(f, NULL, "e.tar.zst", &res, &d), -EEXIST);
        assert_non_null(strstr(d.msg, p));
        assert_int_equal(read_file(p, &buf, &len, &d), 0);
        assert_string_equal(buf, "keep me");
        free(buf);
        free(p);
}

/* A write error half-way (EFBIG from RLIMIT_FSIZE stands in for a full
 * disk) removes the partial archive and says so. */
static void
test_write_error_removes_partial(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct rlimit old, lim;
        struct diag d = {0};
        char *p = xasprintf("%s/full.tar", f->dest);
        void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
        int r;

        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        lim = old;
        lim.rlim_cur = 100000;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        r = backup(f, "none", "full.tar", &res, &d);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, oldsig);
        assert_int_equal(r, -EFBIG);
        assert_non_null(strstr(d.msg, "cannot write backup \""));
        assert_non_null(strstr(d.msg, "the partial archive was removed"));
        assert_false(path_exists(p));
        free(p);
}

static void
test_odd_names_in_manifest(void **state)
{
        struct fx *f = *state;
        struct backup_result res = {0};
        struct diag d = {0};

        fx_file(f, "odd\\name\nwith newline", "odd\n", 4, 0644);
        assert_int_equal(backup(f, "gzip", "o.tar.gz", &res, &d), 0);
        assert_int_equal(archive_verify(res.path, NULL, NULL, NULL, &d), 0);
        assert_int_equal(t_sh("mkdir '%s/o' && tar -xf '%s' -C '%s/o' && cd '%s/o' && "
                              "grep -q '^\\\\' " ARCHIVE_MANIFEST " && "
                              "sha256sum --quiet -c " ARCHIVE_MANIFEST, f->base, res.path,
                              f->base, f->base), 0);
        backup_result_release(&res);
}

/* A tar written by someone else, without our manifest. */
static void
test_no_manifest(void **state)
{
        struct fx *f = *state;
        char *p = xasprintf("%s/plain.tar", f->base);
        struct archive *a = archive_write_new();
        struct archive_entry *e = archive_entry_new();
        struct diag d = {0};

        archive_write_set_format_pax_restricted(a);
        assert_int_equal(archive_write_open_filename(a, p), ARCHIVE_OK);
        archive_entry_set_pathname(e, "a");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, 2);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(a, "a\n", 2), 2);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        archive_entry_free(e);
        assert_int_equal(archive_verify(p, NULL, NULL, NULL, &d), -EBADMSG);
        assert_non_null(strstr(d.msg, "has no manifest"));
        assert_non_null(strstr(d.msg, p));
        free(p);
}

static void
test_sha256(void **state)
{
        struct fx *f = *state;
        char hex[SHA256_HEX_LEN + 1], *p = xasprintf("%s/abc", f->base);
        struct sha256 *c = sha256_new();
        struct diag d = {0};
        uint64_t size = 1;

        sha256_update(c, "a", 1);
        sha256_update(c, "bc", 2);
        sha256_final_hex(c, hex);
        assert_string_equal(hex,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        write_file(p, "", 0, 0600);
        assert_int_equal(sha256_file(p, hex, &size, &d), 0);
        assert_int_equal(size, 0);
        assert_string_equal(hex,
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_true(sha256_valid_hex(hex));
        assert_false(sha256_valid_hex("e3b0"));
        hex[5] = 'g';
        assert_false(sha256_valid_hex(hex));
        free(p);
        p = xasprintf("%s/none", f->base);
        assert_int_equal(sha256_file(p, hex, NULL, &d), -ENOENT);
        assert_non_null(strstr(d.msg, p));
        free(p);
}

/* A deterministic mix: text-like small files, a random and a repetitive
 * large one, more than the estimate reads (so it samples). It must be
 * within 15 % of the real archive. */
#define BIG (8u << 20)
static void
test_estimate(void **state)
{
        struct fx *f = *state;
        static const char *const words[] = {
                "checkpoint ", "segment ", "wal ", "page ", "tuple ", "index ", "vacuum ",
                "0x7f3a ", "commit ", "\n",
        };
        static const char *const comps[] = { "zstd", "gzip", "xz", "none" };
        char *dir = xasprintf("%s/est", f->base), *paths[] = { dir }, *p, *buf;
        uint32_t x = 12345;
        uint64_t raw, est, measured;
        struct diag d = {0};
        size_t len;

        assert_int_equal(mkdir(dir, 0700), 0);
        buf = xmalloc(BIG);
        for (int i = 0; i < 60; i++) {
                len = 0;
                for (size_t want = 1024 + (size_t)i * 150; len < want; ) {
                        const char *w;

                        x = x * 1103515245u + 12345u;
                        w = words[(x >> 16) % ARRAY_SIZE(words)];
                        memcpy(buf + len, w, strlen(w));
                        len += strlen(w);
                }
                p = xasprintf("%s/f%02d.txt", dir, i);
                write_file(p, buf, len, 0644);
                free(p);
        }
        for (size_t i = 0; i < BIG; i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (char)(x >> 16);
        }
        p = xasprintf("%s/random.bin", dir);
        write_file(p, buf, BIG, 0600);
        free(p);
        for (size_t i = 0; i < BIG; i++)
                buf[i] = "row 42, status ok; "[i % 19];
        p = xasprintf("%s/repeat.log", dir);
        write_file(p, buf, BIG, 0600);
        free(p);
        free(buf);
        assert_int_equal(archive_measure(paths, 1, &measured, &d), 0);
        for (size_t i = 0; i < ARRAY_SIZE(comps); i++) {
                struct backup_opts o = { .compression = comps[i] };
                struct backup_result res = {0};
                char name[32];
                double err;

                assert_int_equal(archive_estimate(paths, 1, &o, &raw, &est, &d), 0);
                assert_int_equal(raw, measured);
                snprintf(name, sizeof name, "e-%s.tar", comps[i]);
                assert_int_equal(archive_backup(paths, 1, f->dest, name, &o, &res, &d), 0);
                err = ((double)est - (double)res.size) / (double)res.size;
                print_message("estimate %s: %llu for %llu (%+.1f %%)\n", comps[i],
                              (unsigned long long)est, (unsigned long long)res.size,
                              err * 100);
                assert_true(err > -0.15 && err < 0.15);
                backup_result_release(&res);
        }
        diag_clear(&d);
        free(dir);
        dir = xasprintf("%s/nope", f->base);
        paths[0] = dir;
        assert_int_equal(archive_estimate(paths, 1, NULL, &raw, &est, &d), -ENOENT);
        assert_non_null(strstr(d.msg, dir));
        free(dir);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_sha256, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backup_result_and_tar, setup, teardown),
                cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_detects_corruption, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_verify_wrong_sha256, setup, teardown),
                cmocka_unit_test_setup_teardown(test_xz_and_bad_compression, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_existing_archive_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_error_removes_partial, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_odd_names_in_manifest, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_manifest, setup, teardown),
                cmocka_unit_test_setup_teardown(test_estimate, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
