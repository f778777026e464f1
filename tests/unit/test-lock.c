/* test-lock.c: the state directory's lock, between processes. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/lock.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "testlib.h"

static void
read_all(int fd, char *buf, size_t size)
{
        size_t len = 0;
        ssize_t n;

        while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
}

/* Wait for pid; returns its exit status, or -1 if it did not exit. */
static int
reap(pid_t pid)
{
        int st;

        while (waitpid(pid, &st, 0) < 0)
                ;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_take_and_release(void **state)
{
        const char *dir = *state;
        char *path = path_join(dir, "lock");
        struct lock_holder h;
        struct diag d = {0};
        struct lock *l;
        struct stat st;
        struct passwd *pw = getpwuid(geteuid());
        char *buf, *want;
        size_t len;

        assert_int_equal(lock_peek(dir, &h), 0);
        assert_false(path_exists(path));        /* peek does not create it */

        assert_int_equal(lock_take(dir, &l, NULL, &d), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(read_file(path, &buf, &len, NULL), 0);
        want = xasprintf("pid=%ld user=%s tty=", (long)getpid(), pw->pw_name);
        assert_true(str_startswith(buf, want));
        assert_non_null(strstr(buf, " since="));
        assert_int_equal(buf[len - 1], '\n');
        assert_int_equal(buf[len - 2], 'Z');
        assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);      /* one line */
        free(want);

        /* peek from the same process uses its own open: it sees the holder */
        memset(&h, 0, sizeof h);
        assert_int_equal(lock_peek(dir, &h), 1);
        assert_int_equal(h.pid, getpid());
        assert_string_equal(h.user, pw->pw_name);
        assert_int_equal(strlen(h.since), 20);
        assert_non_null(strstr(buf, h.since));
        assert_true(h.tty[0] != '\0');
        free(buf);

        lock_release(l);
        assert_int_equal(lock_peek(dir, &h), 0);
        assert_true(path_exists(path));         /* not deleted */
        assert_int_equal(lock_take(dir, &l, NULL, &d), 0);
        lock_release(l);
        lock_release(NULL);
        free(path);
}

/* The parent holds the lock; a child must be refused and name the parent. */
static void
test_child_refused(void **state)
{
        const char *dir = *state;
        struct diag d = {0};
        struct lock *l;
        char msg[DIAG_MAX + 64];
        char *want;
        int p[2];
        pid_t pid;

        assert_int_equal(lock_take(dir, &l, NULL, &d), 0);
        assert_int_equal(pipe(p), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct lock_holder h;
                struct diag cd = {0};
                struct lock *cl = NULL;
                int r;

                close(p[0]);
                r = lock_take(dir, &cl, &h, &cd);
                dprintf(p[1], "%d %ld %d %s|%s", r, (long)h.pid, cd.code,
                        h.user, cd.msg);
                _exit(r == -EWOULDBLOCK && cl == NULL ? 0 : 1);
        }
        close(p[1]);
        read_all(p[0], msg, sizeof msg);
        close(p[0]);
        assert_int_equal(reap(pid), 0);

        want = xasprintf("%d %ld %d ", -EWOULDBLOCK, (long)getpid(), EXIT_LOCKED);
        assert_true(str_startswith(msg, want));
        free(want);
        want = xasprintf("|%s/lock is held by another upshift run: pid %ld, user ",
                         dir, (long)getpid());
        if (strstr(msg, want) == NULL)
                fail_msg("unexpected message: %s", msg);
        assert_non_null(strstr(msg, ", tty "));
        assert_non_null(strstr(msg, ", since 20"));
        free(want);
        lock_release(l);
}

/* A child holds the lock, then exits: the lock is free to take. */
static void
test_holder_exits(void **state)
{
        const char *dir = *state;
        struct lock_holder h;
        struct diag d = {0};
        struct lock *l;
        int ready[2], go[2];
        char c;
        pid_t pid;
        char *want;

        assert_int_equal(pipe(ready), 0);
        assert_int_equal(pipe(go), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct lock *cl;

                close(ready[0]);
                close(go[1]);
                if (lock_take(dir, &cl, NULL, NULL) != 0)
                        _exit(1);
                if (write(ready[1], "r", 1) != 1)
                        _exit(2);
                (void)!read(go[0], &c, 1);        /* until the parent closes it */
                _exit(0);               /* without lock_release: exit frees it */
        }
        close(ready[1]);
        close(go[0]);
        assert_int_equal(read(ready[0], &c, 1), 1);

        memset(&h, 0, sizeof h);
        assert_int_equal(lock_peek(dir, &h), 1);
        assert_int_equal(h.pid, pid);
        memset(&h, 0, sizeof h);
        assert_int_equal(lock_take(dir, &l, &h, &d), -EWOULDBLOCK);
        assert_int_equal(h.pid, pid);
        assert_int_equal(d.code, EXIT_LOCKED);
        want = xasprintf("pid %ld,", (long)pid);
        assert_non_null(strstr(d.msg, want));
        free(want);

        close(go[1]);
        assert_int_equal(reap(pid), 0);
        close(ready[0]);

        assert_int_equal(lock_peek(dir, &h), 0);
        assert_int_equal(lock_take(dir, &l, NULL, &d), 0);
        memset(&h, 0, sizeof h);
        assert_int_equal(lock_peek(dir, &h), 1);
        assert_int_equal(h.pid, getpid());      /* the holder line was rewritten */
        lock_release(l);
}

/* Held by someone who never wrote a holder line (or is writing it). */
static void
test_holder_line_missing(void **state)
{
        const char *dir = *state;
        char *path = path_join(dir, "lock");
        struct lock_holder h;
        struct diag d = {0};
        struct lock *l;
        char *want;
        int fd = open(path, O_RDWR | O_CREAT, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "garbage\n", 8), 8);
        /* A separate open file description: conflicts like another process. */
        assert_int_equal(flock(fd, LOCK_EX), 0);

        h.pid = 99;
        assert_int_equal(lock_take(dir, &l, &h, &d), -EWOULDBLOCK);
        assert_int_equal(h.pid, 0);
        want = xasprintf("%s is held by another upshift run", path);
        assert_string_equal(d.msg, want);
        assert_int_equal(lock_peek(dir, &h), 1);
        assert_int_equal(h.pid, 0);

        close(fd);
        assert_int_equal(lock_take(dir, &l, NULL, &d), 0);
        lock_release(l);
        free(want);
        free(path);
}

static void
test_symlink_refused(void **state)
{
        const char *dir = *state;
        char *path = path_join(dir, "lock");
        char *target = path_join(dir, "elsewhere");
        struct diag d = {0};
        struct lock *l;

        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(lock_take(dir, &l, NULL, &d), -ELOOP);
        assert_true(str_startswith(d.msg, "cannot open lock \""));
        assert_false(path_exists(target));
        assert_int_equal(lock_peek(dir, NULL), -ELOOP);
        free(path);
        free(target);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup_dir, t_teardown_dir)
                T(test_take_and_release),
                T(test_child_refused),
                T(test_holder_exits),
                T(test_holder_line_missing),
                T(test_symlink_refused),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
