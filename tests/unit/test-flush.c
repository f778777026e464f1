/* test-flush.c: a big file made durable while it is written (lib/flush.c):
 * the fdatasync asked for every FLUSH_EVERY bytes is made on the flusher's
 * own thread while the writer goes on, a small file starts no thread, and
 * a background fdatasync that fails fails the backup that wrote the file
 * (fault injection: Linux reports a writeback error once, so the final
 * fsync would not). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/archive.h"
#include "lib/fault.h"
#include "lib/flush.h"
#include "lib/util.h"
#include "testlib.h"

#define CHUNK (1024 * 1024)

/* Write len bytes to fd, CHUNK at a time, through f unless it is NULL. */
static void
put(int fd, struct flusher *f, uint64_t len)
{
        char *buf = xmalloc(CHUNK);

        memset(buf, 'u', CHUNK);
        for (uint64_t done = 0; done < len; ) {
                size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;

                assert_int_equal(write_all(fd, buf, n), 0);
                if (f != NULL)
                        flusher_wrote(f, n);
                done += n;
        }
        free(buf);
}

static int
open_new(const char *dir, const char *name)
{
        char *p = path_join(dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        free(p);
        return fd;
}

/* The fdatasync asked for at FLUSH_EVERY bytes is made before the writer
 * finishes: on the flusher's thread, not by flusher_finish. */
static void
test_flushed_while_written(void **state)
{
        struct flusher f;
        struct stat st;
        int fd = open_new(*state, "big");

        flusher_init(&f, fd);
        put(fd, &f, FLUSH_EVERY + 1);
        assert_true(f.running);
        /* Bounded: 600 polls of 100 ms. */
        for (int i = 0; i < 600 && flusher_flushes(&f) == 0; i++)
                t_sleep_ms(100);
        assert_int_equal(flusher_flushes(&f), 1);
        assert_int_equal(flusher_finish(&f, true), 0);
        assert_false(f.running);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, FLUSH_EVERY + 1);
        close(fd);
}

/* Below FLUSH_EVERY bytes no thread is started: the final fsync is all. */
static void
test_small_file_no_thread(void **state)
{
        struct flusher f;
        int fd = open_new(*state, "small");

        flusher_init(&f, fd);
        put(fd, &f, FLUSH_EVERY - 1);
        assert_false(f.running);
        assert_int_equal(flusher_finish(&f, true), 0);
        assert_int_equal(flusher_flushes(&f), 0);
        assert_int_equal(f.written, FLUSH_EVERY - 1);
        close(fd);
}

/* eio-at-flush=1: the first background fdatasync fails. The backup that
 * wrote the archive fails with EIO, says so, and leaves no archive. */
static void
test_failed_flush_fails_backup(void **state)
{
#ifdef UPSHIFT_FAULT_INJECTION
        const char *dir = *state;
        char *src = path_join(dir, "srv");
        char *dest = path_join(dir, "backups");
        char *paths[] = { src, NULL };
        struct backup_opts o = { .compression = "none" };
        struct backup_result res = {0};
        struct diag d = {0};
        int fd;

        assert_int_equal(mkdir(src, 0700), 0);
        /* Uncompressed, the archive is more than FLUSH_EVERY bytes. */
        fd = open_new(src, "data");
        put(fd, NULL, FLUSH_EVERY + 1);
        close(fd);

        assert_int_equal(setenv("UPSHIFT_FAULT", "eio-at-flush=1", 1), 0);
        fault_init();
        assert_int_equal(archive_backup(paths, 1, dest, "a.tar", &o, &res, &d), -EIO);
        assert_non_null(strstr(d.msg, strerror(EIO)));
        assert_non_null(strstr(d.msg, "the partial archive was removed"));
        {
                char *a = path_join(dest, "a.tar");

                assert_int_equal(access(a, F_OK), -1);
                free(a);
        }
        free(src);
        free(dest);
#else
        (void)state;
        skip();
#endif
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_flushed_while_written, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_small_file_no_thread, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_failed_flush_fails_backup, t_setup_dir,
                                                t_teardown_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
