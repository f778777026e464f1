/* test-exec.c: child processes. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/exec.h"
#include "lib/util.h"
#include "testlib.h"

struct lines {
        struct strv fd[3];              /* [1] stdout, [2] stderr */
        size_t      bytes;
};

static void
collect(void *ud, int fd, const char *line)
{
        struct lines *l = ud;

        assert_true(fd == 1 || fd == 2);
        strv_push(&l->fd[fd], line);
        l->bytes += strlen(line);
}

static void
lines_release(struct lines *l)
{
        strv_release(&l->fd[1]);
        strv_release(&l->fd[2]);
}

static int
run(struct exec_opts *o, struct exec_result *r, struct lines *l, struct diag *d)
{
        o->log_fd = o->log_fd == 0 ? -1 : o->log_fd;
        o->on_line = collect;
        o->ud = l;
        return exec_run(o, r, d);
}

static void
test_argv_word_with_space(void **state)
{
        char *argv[] = { "printf", "%s\\n", "a b", "c", NULL };
        struct exec_opts o = { .argv = argv };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 0);
        assert_int_equal(l.fd[1].n, 2);
        assert_string_equal(l.fd[1].v[0], "a b");
        assert_string_equal(l.fd[1].v[1], "c");
        assert_int_equal(l.fd[2].n, 0);
        assert_string_equal(r.out, "a b\nc\n");
        assert_int_equal(r.out_len, 6);
        assert_false(r.timed_out);
        assert_false(r.interrupted);
        exec_result_release(&r);
        lines_release(&l);
}

static void
test_stdout_stderr_lines(void **state)
{
        struct exec_opts o = {
                .shell = "echo one; echo two >&2; echo three; echo four >&2",
        };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 0);
        assert_int_equal(l.fd[1].n, 2);
        assert_string_equal(l.fd[1].v[0], "one");
        assert_string_equal(l.fd[1].v[1], "three");
        assert_int_equal(l.fd[2].n, 2);
        assert_string_equal(l.fd[2].v[0], "two");
        assert_string_equal(l.fd[2].v[1], "four");
        assert_string_equal(r.out, "one\nthree\n");
        assert_string_equal(r.err_tail, "two\nfour");
        exec_result_release(&r);
        lines_release(&l);
}

static void
test_exit_status(void **state)
{
        struct exec_opts o = { .shell = "exit 3" };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 3);
        exec_result_release(&r);
}

static void
test_signal_status(void **state)
{
        struct exec_opts o = { .shell = "kill -KILL $$" };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 128 + SIGKILL);
        assert_false(r.timed_out);
        exec_result_release(&r);
}

static void
test_missing_program(void **state)
{
        char *argv[] = { "upshift-no-such-program", "x", NULL };
        struct exec_opts o = { .argv = argv };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), -ENOENT);
        assert_int_equal(r.status, -1);
        assert_string_equal(d.msg,
                "cannot run \"upshift-no-such-program\": No such file or directory");
        assert_int_equal(l.fd[1].n + l.fd[2].n, 0);
        exec_result_release(&r);
}

static void
test_env_added(void **state)
{
        char *env[] = { "UPSHIFT_T_NEW=hello world", "UPSHIFT_T_OLD=new", NULL };
        struct exec_opts o = {
                .shell = "printf '%s|' \"$UPSHIFT_T_NEW\"; env | grep -c '^UPSHIFT_T_OLD='; "
                         "printf '%s\\n' \"$UPSHIFT_T_OLD\" \"$UPSHIFT_T_KEEP\"",
                .env = env,
        };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        setenv("UPSHIFT_T_OLD", "old", 1);
        setenv("UPSHIFT_T_KEEP", "kept", 1);
        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "hello world|1\nnew\nkept\n");
        unsetenv("UPSHIFT_T_OLD");
        unsetenv("UPSHIFT_T_KEEP");
        exec_result_release(&r);
        lines_release(&l);
}

static void
test_cwd(void **state)
{
        char *dir = *state, *real, *want, *missing;
        char *argv[] = { "pwd", "-P", NULL };
        struct exec_opts o = { .argv = argv };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_non_null(dir);
        real = realpath(dir, NULL);
        assert_non_null(real);
        o.cwd = dir;
        assert_int_equal(run(&o, &r, &l, &d), 0);
        want = xasprintf("%s\n", real);
        assert_string_equal(r.out, want);
        exec_result_release(&r);

        missing = path_join(dir, "missing");
        o.cwd = missing;
        assert_int_equal(run(&o, &r, &l, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "cannot run \"pwd\""));
        assert_non_null(strstr(d.msg, missing));
        assert_non_null(strstr(d.msg, "No such file or directory"));
        exec_result_release(&r);

        free(missing);
        free(want);
        free(real);
        lines_release(&l);
}

static void
test_timeout_kills_group(void **state)
{
        char *dir = *state, *pidfile, *script, *buf = NULL;
        struct exec_opts o = { .timeout_ms = 300 };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};
        pid_t pid;
        int i;

        assert_non_null(dir);
        pidfile = path_join(dir, "pid");
        script = xasprintf("sleep 100 & echo $! > '%s'; wait", pidfile);
        o.shell = script;
        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_true(r.timed_out);
        assert_false(r.interrupted);
        assert_int_equal(r.status, 128 + SIGTERM);

        assert_int_equal(read_file(pidfile, &buf, NULL, &d), 0);
        pid = (pid_t)atoi(buf);
        assert_true(pid > 1);
        for (i = 0; i < 60 && !t_pid_gone(pid); i++)
                t_sleep_ms(50);
        assert_true(t_pid_gone(pid));

        free(buf);
        free(script);
        free(pidfile);
        exec_result_release(&r);
}

static void *
interrupt_later(void *arg)
{
        volatile sig_atomic_t *flag = arg;

        t_sleep_ms(200);
        *flag = 1;
        return NULL;
}

static void
test_interrupt(void **state)
{
        static volatile sig_atomic_t flag;
        char *argv[] = { "sleep", "30", NULL };
        struct exec_opts o = { .argv = argv, .interrupt = &flag };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};
        pthread_t t;

        flag = 0;
        assert_int_equal(pthread_create(&t, NULL, interrupt_later, (void *)&flag), 0);
        assert_int_equal(run(&o, &r, &l, &d), 0);
        pthread_join(t, NULL);
        assert_true(r.interrupted);
        assert_false(r.timed_out);
        assert_int_equal(r.status, 128 + SIGTERM);
        exec_result_release(&r);
}

static void
test_log_fd_and_partial_line(void **state)
{
        char *dir = *state, *log, *buf = NULL;
        struct exec_opts o = { .shell = "echo a; echo b >&2; printf 'c\\nlast'" };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};
        size_t len;

        assert_non_null(dir);
        log = path_join(dir, "log");
        o.log_fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(o.log_fd > 0);
        assert_int_equal(run(&o, &r, &l, &d), 0);
        close(o.log_fd);

        assert_int_equal(l.fd[1].n, 3);
        assert_string_equal(l.fd[1].v[2], "last");
        assert_string_equal(r.out, "a\nc\nlast");
        assert_int_equal(r.out_len, 8);
        assert_int_equal(read_file(log, &buf, &len, &d), 0);
        assert_int_equal(len, 11);
        assert_non_null(strstr(buf, "a\n"));
        assert_non_null(strstr(buf, "b\n"));
        assert_non_null(strstr(buf, "c\n"));
        /* The partial line comes at EOF, after everything else. */
        assert_true(str_endswith(buf, "last\n"));

        free(buf);
        free(log);
        exec_result_release(&r);
        lines_release(&l);
}

static void
test_long_line_chunks_and_capture_cap(void **state)
{
        struct exec_opts o = {
                .shell = "head -c 70000 /dev/zero | tr '\\0' x; echo; "
                         "head -c 5000000 /dev/zero | tr '\\0' y",
        };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 0);
        assert_true(l.fd[1].n >= 3);
        assert_int_equal(strlen(l.fd[1].v[0]), 65536);
        assert_int_equal(strlen(l.fd[1].v[1]), 70000 - 65536);
        /* Every byte was delivered, but only EXEC_CAPTURE_MAX kept. */
        assert_int_equal(l.bytes, 70000 + 5000000);
        assert_int_equal(r.out_len, EXEC_CAPTURE_MAX);
        assert_int_equal(strlen(r.out), EXEC_CAPTURE_MAX);
        exec_result_release(&r);
        lines_release(&l);
}

static void
test_err_tail_keeps_last_lines(void **state)
{
        struct exec_opts o = {
                .shell = "i=0; while [ $i -lt 600 ]; do echo \"err line $i\" >&2; "
                         "i=$((i+1)); done; exit 1",
        };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};

        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 1);
        assert_int_equal(l.fd[2].n, 600);
        assert_true(strlen(r.err_tail) <= 4096);
        assert_true(strlen(r.err_tail) > 3000);
        assert_true(str_startswith(r.err_tail, "err line "));
        assert_true(str_endswith(r.err_tail, "\nerr line 598\nerr line 599"));
        exec_result_release(&r);
        lines_release(&l);
}

static void
test_daemon_holding_pipes(void **state)
{
        struct exec_opts o = { .shell = "sleep 30 & echo $!" };
        struct exec_result r;
        struct lines l = {0};
        struct diag d = {0};
        pid_t pid;
        int i;

        /* The shell exits at once; the sleep keeps our pipes open. */
        assert_int_equal(run(&o, &r, &l, &d), 0);
        assert_int_equal(r.status, 0);
        assert_false(r.timed_out);
        assert_int_equal(l.fd[1].n, 1);
        pid = (pid_t)atoi(r.out);
        assert_true(pid > 1);
        assert_false(t_pid_gone(pid));
        kill(pid, SIGTERM);
        for (i = 0; i < 60 && !t_pid_gone(pid); i++)
                t_sleep_ms(50);
        assert_true(t_pid_gone(pid));
        exec_result_release(&r);
        lines_release(&l);
}

/* A command that runs for long says so while it runs: the notice makes the
 * file the command waits for, so the command ends only once it came. */
struct notices {
        struct strv text;
        char       *file;
};

static void
notice(void *ud, const char *text)
{
        struct notices *n = ud;
        int fd;

        strv_push(&n->text, text);
        fd = open(n->file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
}

static void
test_still_running_notice(void **state)
{
        char *dir = *state, *file;
        char *argv[] = { "sh", "-c", "while [ ! -e \"$1\" ]; do sleep 0.05; done", "sh", NULL, NULL };
        struct notices n = {0};
        struct exec_opts o = { .argv = argv, .timeout_ms = 60000, .log_fd = -1,
                               .on_notice = notice, .notice_ms = 100 };
        struct exec_result r;
        struct diag d = {0};

        file = path_join(dir, "noticed");
        argv[4] = file;
        n.file = file;
        o.ud = &n;
        assert_int_equal(exec_run(&o, &r, &d), 0);
        assert_false(r.timed_out);
        assert_int_equal(r.status, 0);
        assert_true(n.text.n >= 1);
        assert_true(strncmp(n.text.v[0], "still running after ", 20) == 0);
        assert_non_null(strstr(n.text.v[0], "s: sh -c "));
        assert_non_null(strstr(n.text.v[0], "sleep 0.05"));
        exec_result_release(&r);
        strv_release(&n.text);
        free(file);
}

static void
test_argv_display(void **state)
{
        char *argv[] = { "echo", "a b", "it's", "", "plain-1.0_x/y:z=w@%+,", "$HOME",
                         NULL };
        char *s = exec_argv_display(argv);

        assert_string_equal(s, "echo 'a b' 'it'\\''s' '' plain-1.0_x/y:z=w@%+, '$HOME'");
        free(s);
}

/* The line that says why, not the hint under it (restic). */
static void
test_headline(void **state)
{
        static const struct { const char *text, *want; } cases[] = {
                { "repo already locked, waiting up to 0s for the lock\n"
                  "Fatal: unable to create lock in backend: repository is already locked by PID 31363 on vm by root (UID 0, GID 0)\n"
                  "lock was created at 2026-12-05 08:00:00 (1m0s ago)\n"
                  "storage ID 5d2e8f9a\n"
                  "the `unlock` command can be used to remove stale locks\n",
                  "Fatal: unable to create lock in backend: repository is already locked by PID 31363 on vm by root (UID 0, GID 0)" },
                { "starting\nERROR:  relation \"t\" does not exist\nHINT:  create it first\n",
                  "ERROR:  relation \"t\" does not exist" },
                { "one\ntwo  \n\n  \n", "two" },
                { NULL, "" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char *h = exec_headline(cases[i].text);

                assert_string_equal(h, cases[i].want);
                free(h);
        }
}

/* A detached command (exec_spawn_detached, started by vfork): its own
 * session, its output appended to the log, the environment and directory
 * asked for, none of our descriptors; a program that is missing is said. */
static void
test_detached(void **state)
{
        char *dir = *state, *log = path_join(dir, "out.log"), *text, *want, *real;
        char *env[] = { "UPSHIFT_TEST_DETACHED=yes", NULL };
        char script[256];
        char *argv[] = { "sh", "-c", script, NULL };
        char *missing[] = { "upshift-no-such-program", NULL };
        struct exec_opts o = { .argv = argv, .env = env, .cwd = dir };
        struct diag d = {0};
        pid_t pid = -1;
        int st, fd = open("/dev/null", O_RDONLY);        /* inherited by a fork */

        assert_true(fd > 2);
        snprintf(script, sizeof script,
                 "echo \"sid $(cut -d' ' -f6 /proc/$$/stat) pid $$\"; pwd -P; "
                 "echo \"env $UPSHIFT_TEST_DETACHED\"; "
                 "if [ -e /proc/$$/fd/%d ]; then echo leaked; fi; echo err >&2", fd);
        t_write_text(log, "before\n");
        assert_int_equal(exec_spawn_detached(&o, log, &pid, &d), 0);
        assert_true(pid > 0);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        real = realpath(dir, NULL);
        assert_non_null(real);
        want = xasprintf("before\nsid %d pid %d\n%s\nenv yes\nerr\n", (int)pid, (int)pid, real);
        text = t_slurp(log, NULL);
        assert_string_equal(text, want);
        free(text);
        free(want);
        free(real);

        o.argv = missing;
        assert_int_equal(exec_spawn_detached(&o, log, &pid, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "cannot run \"upshift-no-such-program\""));
        close(fd);
        free(log);
}

/* A command starts with the signals we ignore or block at their defaults
 * (an ignored signal and the blocked mask would survive its exec): for
 * exec_run and for a detached command. status holds a /proc/PID/status. */
static void
assert_sigs_default(const char *status)
{
        const char *blk = strstr(status, "SigBlk:"), *ign = strstr(status, "SigIgn:");
        unsigned long long b = ~0ULL, i = ~0ULL;

        assert_non_null(blk);
        assert_non_null(ign);
        assert_int_equal(sscanf(blk, "SigBlk: %llx", &b), 1);
        assert_int_equal(sscanf(ign, "SigIgn: %llx", &i), 1);
        assert_int_equal(b & (1ULL << (SIGUSR1 - 1)), 0);
        assert_int_equal(i & (1ULL << (SIGPIPE - 1)), 0);
}

static void
test_signals_reset(void **state)
{
        char *dir = *state, *log = path_join(dir, "sig.log"), *text;
        char *argv[] = { "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };
        struct exec_opts o = { .argv = argv };
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
        sigset_t usr1, old_mask;
        struct exec_result r;
        struct diag d = {0};
        pid_t pid = -1;
        int st;

        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        assert_int_equal(sigaction(SIGPIPE, &ign, &old_pipe), 0);
        assert_int_equal(sigprocmask(SIG_BLOCK, &usr1, &old_mask), 0);
        assert_int_equal(exec_run(&o, &r, &d), 0);
        assert_int_equal(r.status, 0);
        assert_sigs_default(r.out);
        exec_result_release(&r);
        assert_int_equal(exec_spawn_detached(&o, log, &pid, &d), 0);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        text = t_slurp(log, NULL);
        assert_sigs_default(text);
        free(text);
        assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
        assert_int_equal(sigaction(SIGPIPE, &old_pipe, NULL), 0);
        free(log);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_argv_word_with_space),
                cmocka_unit_test(test_stdout_stderr_lines),
                cmocka_unit_test(test_exit_status),
                cmocka_unit_test(test_signal_status),
                cmocka_unit_test(test_missing_program),
                cmocka_unit_test(test_env_added),
                cmocka_unit_test_setup_teardown(test_cwd, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_timeout_kills_group, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test(test_interrupt),
                cmocka_unit_test_setup_teardown(test_log_fd_and_partial_line, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test(test_long_line_chunks_and_capture_cap),
                cmocka_unit_test(test_err_tail_keeps_last_lines),
                cmocka_unit_test(test_daemon_holding_pipes),
                cmocka_unit_test_setup_teardown(test_still_running_notice, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_detached, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_signals_reset, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test(test_argv_display),
                cmocka_unit_test(test_headline),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
