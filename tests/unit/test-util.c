/* test-util: the shared base (util.h, diag.h). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/diag.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "testlib.h"

static void
test_duration(void **state)
{
        long ms = -1;

        assert_int_equal(duration_parse("90", &ms), 0);
        assert_int_equal(ms, 90000);
        assert_int_equal(duration_parse("500ms", &ms), 0);
        assert_int_equal(ms, 500);
        assert_int_equal(duration_parse("5m", &ms), 0);
        assert_int_equal(ms, 300000);
        assert_int_equal(duration_parse("1h", &ms), 0);
        assert_int_equal(ms, 3600000);
        assert_int_equal(duration_parse("1m30s", &ms), 0);
        assert_int_equal(ms, 90000);
        ms = 7;
        assert_int_not_equal(duration_parse("", &ms), 0);
        assert_int_not_equal(duration_parse("5x", &ms), 0);
        assert_int_not_equal(duration_parse("-5s", &ms), 0);
        assert_int_not_equal(duration_parse("s", &ms), 0);
        assert_int_not_equal(duration_parse("${drain}", &ms), 0);
        assert_int_equal(ms, 7);        /* untouched on failure */
}

static void
test_size(void **state)
{
        uint64_t b = 7;

        assert_int_equal(size_parse("4096", &b), 0);
        assert_int_equal(b, 4096);
        assert_int_equal(size_parse("512M", &b), 0);
        assert_int_equal(b, 512ull << 20);
        assert_int_equal(size_parse("2G", &b), 0);
        assert_int_equal(b, 2ull << 30);
        b = 7;
        assert_int_not_equal(size_parse("", &b), 0);
        assert_int_not_equal(size_parse("12Q", &b), 0);
        assert_int_not_equal(size_parse("-1K", &b), 0);
        assert_int_not_equal(size_parse("1KB", &b), 0);
        assert_int_not_equal(size_parse("99999999999999T", &b), 0);
        assert_int_equal(b, 7);         /* untouched on failure */
}

static void
test_duration_format(void **state)
{
        char b[32];

        duration_format(b, sizeof b, 1234);
        assert_string_equal(b, "1.2s");
        duration_format(b, sizeof b, 42000);
        assert_string_equal(b, "42s");
        duration_format(b, sizeof b, 184000);
        assert_string_equal(b, "3m04s");
        duration_format(b, sizeof b, 3720000);
        assert_string_equal(b, "1h02m");
        bytes_format(b, sizeof b, 512);
        assert_string_equal(b, "512 B");
        bytes_format(b, sizeof b, 1536);
        assert_string_equal(b, "1.5 KiB");
}

static void
test_distance(void **state)
{
        assert_int_equal(str_distance("match", "mtach"), 2);
        assert_int_equal(str_distance("port", "prot"), 2);
        assert_int_equal(str_distance("package", "pakage"), 1);
        assert_int_equal(str_distance("", "abc"), 3);
        assert_int_equal(str_distance("same", "same"), 0);
}

static void
test_strv_kv(void **state)
{
        struct strv v = {0};
        struct kvlist kv = {0};
        char *j;

        strv_push(&v, "a b");
        strv_push(&v, "c");
        assert_int_equal(v.n, 2);
        assert_null(v.v[2]);
        j = strv_join(v.v, v.n, ",");
        assert_string_equal(j, "a b,c");
        free(j);
        assert_int_equal(strv_find(v.v, v.n, "c"), 1);
        assert_int_equal(strv_find(v.v, v.n, "d"), -1);
        strv_release(&v);
        kvlist_set(&kv, "k", "1");
        kvlist_set(&kv, "k", "2");
        assert_int_equal(kv.n, 1);
        assert_string_equal(kvlist_get(&kv, "k"), "2");
        assert_null(kvlist_get(&kv, "x"));
        kvlist_release(&kv);
}

/* NUL-separated lists: each string taken whole, a last one without its NUL
 * refused with the vector as it was. */
static void
test_strv_split_nul(void **state)
{
        struct strv sv = {0};

        (void)state;
        strv_push(&sv, "kept");
        assert_int_equal(strv_split_nul(&sv, "a\0bc\0\0", 6), 0);
        assert_int_equal(sv.n, 4);
        assert_string_equal(sv.v[1], "a");
        assert_string_equal(sv.v[2], "bc");
        assert_string_equal(sv.v[3], "");
        assert_int_equal(strv_split_nul(&sv, "x\0yz", 4), -1);
        assert_int_equal(sv.n, 4);
        assert_int_equal(strv_split_nul(&sv, "", 0), 0);
        assert_int_equal(sv.n, 4);
        strv_release(&sv);
}

static void
test_paths(void **state)
{
        char *s;

        s = path_dirname("/a/b/c");
        assert_string_equal(s, "/a/b");
        free(s);
        s = path_dirname("/c");
        assert_string_equal(s, "/");
        free(s);
        s = path_basename("/a/b/c");
        assert_string_equal(s, "c");
        free(s);
        s = path_join("/a/", "b");
        assert_string_equal(s, "/a/b");
        free(s);
        s = path_join("/a", "/abs");
        assert_string_equal(s, "/abs");
        free(s);
}

static void
test_files(void **state)
{
        char *dir = t_mkdtemp("util"), *sub, *f, *buf = NULL;
        struct diag d = {0};
        struct stat st;
        size_t len = 0;

        assert_non_null(dir);
        sub = xasprintf("%s/x/y/z", dir);
        assert_int_equal(mkdir_p(sub, 0700, &d), 0);
        assert_int_equal(stat(sub, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        f = xasprintf("%s/file", sub);
        assert_int_equal(write_file_atomic(f, "hello\n", 6, 0600, &d), 0);
        assert_int_equal(stat(f, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_equal(read_file(f, &buf, &len, &d), 0);
        assert_int_equal(len, 6);
        assert_string_equal(buf, "hello\n");
        free(buf);
        assert_int_equal(read_file("/nonexistent/x", &buf, &len, &d), -2);
        assert_non_null(strstr(d.msg, "cannot open \"/nonexistent/x\""));
        unlink(f);
        free(f);
        free(sub);
        assert_int_equal(t_rm_rf(dir), 0);
        free(dir);
}

static void
test_diag(void **state)
{
        struct diag d = {0};

        diag_set_at(&d, "p.yaml", 3, 7, "unknown key \"%s\"", "x");
        assert_string_equal(d.msg, "p.yaml:3:7: unknown key \"x\"");
        diag_set_at(&d, "a.yaml", 0, 0, "missing");
        assert_string_equal(d.msg, "a.yaml: missing");
        diag_set(&d, "why");
        diag_prefix(&d, "what %d", 1);
        assert_string_equal(d.msg, "what 1: why");
        assert_true(diag_isset(&d));
        diag_clear(&d);
        assert_false(diag_isset(&d));
}

static void
test_step_keys(void **state)
{
        assert_string_equal(step_key(STEP_DETECT), "detect");
        assert_string_equal(step_key(STEP_RECONNECT), "reconnect");
        assert_null(step_key(STEP_COUNT));
        assert_int_equal(step_from_key("swap"), STEP_SWAP);
        assert_int_equal(step_from_key("nope"), STEP_NONE);
}

/* fs_open_beneath() one way (how): directories below root open, and
 * nothing that leaves root or passes a symlink does. */
static void
beneath_cases(const char *top, int how)
{
        char root[256], path[512];
        int fd, r;

        snprintf(root, sizeof root, "%s/root", top);
        fd = fs_open_beneath(root, "a/b", how);
        assert_true(fd >= 0);
        /* the fd is the directory: a file made through it lands there */
        assert_int_equal(mkdirat(fd, "made", 0700), 0);
        close(fd);
        snprintf(path, sizeof path, "%s/a/b/made", root);
        assert_int_equal(access(path, F_OK), 0);
        assert_int_equal(rmdir(path), 0);
        fd = fs_open_beneath(root, "", how);
        assert_true(fd >= 0);
        close(fd);
        /* a link to a directory outside, one inside, "..": refused */
        r = fs_open_beneath(root, "out/deep", how);
        assert_true(r == -ELOOP || r == -EXDEV);
        r = fs_open_beneath(root, "out", how);
        assert_true(r == -ELOOP || r == -EXDEV);
        r = fs_open_beneath(root, "a/in", how);
        assert_true(r == -ELOOP || r == -EXDEV);
        r = fs_open_beneath(root, "a/../../outside", how);
        assert_true(r == -ELOOP || r == -EXDEV);
        assert_int_equal(fs_open_beneath(root, "a/missing", how), -ENOENT);
        assert_int_equal(fs_open_beneath(root, "a/file", how), -ENOTDIR);
        /* root itself is followed */
        snprintf(root, sizeof root, "%s/root-link", top);
        fd = fs_open_beneath(root, "a", how);
        assert_true(fd >= 0);
        close(fd);
}

static void
test_open_beneath(void **state)
{
        char *top = t_mkdtemp("util");

        (void)state;
        assert_non_null(top);
        assert_int_equal(t_sh("cd '%s' && mkdir -p root/a/b outside/deep && : > root/a/file && "
                              "ln -s ../../outside root/out && ln -s b root/a/in && "
                              "ln -s root root-link", top), 0);
        beneath_cases(top, FS_BENEATH_ANY);
        beneath_cases(top, FS_BENEATH_WALK);
        assert_int_equal(t_rm_rf(top), 0);
        free(top);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_size),
                cmocka_unit_test(test_duration_format),
                cmocka_unit_test(test_distance),
                cmocka_unit_test(test_strv_kv),
                cmocka_unit_test(test_strv_split_nul),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_files),
                cmocka_unit_test(test_diag),
                cmocka_unit_test(test_step_keys),
                cmocka_unit_test(test_open_beneath),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
