/* test-service.c: service control, against real processes this test starts. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/service.h"
#include "lib/util.h"
#include "testlib.h"

static char self_exe[PATH_MAX];

struct fix {
        char   *dir;                    /* t_mkdtemp() */
        char   *pidfile;
        pid_t   started[8];             /* processes to kill at teardown, if still there */
        size_t  nstarted;
        int     runs;                   /* commands run through the runner */
        char   *old_path;
        bool    interrupt_after_run;    /* the runner "sees Ctrl-C" once a command ran */
        volatile sig_atomic_t flag;
};

static int
test_runner_run(void *ud, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        struct fix *f = ud;
        int rc;

        f->runs++;
        o->log_fd = -1;
        o->on_line = NULL;
        o->interrupt = &f->flag;
        rc = exec_run(o, ret, d);
        if (f->interrupt_after_run)
                f->flag = 1;
        return rc;
}

static pid_t
read_pid(struct fix *f)
{
        struct diag d = {0};
        char *buf = NULL;
        pid_t pid;

        assert_int_equal(read_file(f->pidfile, &buf, NULL, &d), 0);
        pid = (pid_t)atoi(buf);
        free(buf);
        assert_true(pid > 1);
        if (f->nstarted < sizeof f->started / sizeof f->started[0])
                f->started[f->nstarted++] = pid;
        return pid;
}

static int
setup(void **state)
{
        struct fix *f = xcalloc(1, sizeof *f);

        f->dir = t_mkdtemp("service");
        if (f->dir == NULL) {
                free(f);
                return -1;
        }
        f->pidfile = path_join(f->dir, "pid");
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fix *f = *state;
        size_t i;
        int r;

        for (i = 0; i < f->nstarted; i++)
                if (!t_pid_gone(f->started[i]))
                        kill(f->started[i], SIGKILL);
        if (f->old_path != NULL) {
                setenv("PATH", f->old_path, 1);
                free(f->old_path);
        }
        r = t_rm_rf(f->dir);
        free(f->dir);
        free(f->pidfile);
        free(f);
        return r < 0 ? -1 : 0;
}

static void
test_manager_names(void **state)
{
        static const char *const names[] = { "none", "systemd", "sysv", "openrc", "pidfile" };
        size_t i;

        for (i = 0; i < sizeof names / sizeof names[0]; i++) {
                int m = service_manager_from_name(names[i]);

                assert_true(m >= 0);
                assert_string_equal(service_manager_name((enum svc_manager)m), names[i]);
        }
        assert_int_equal(service_manager_from_name("systemd"), SVC_SYSTEMD);
        assert_int_equal(service_manager_from_name("pidfile"), SVC_PIDFILE);
        assert_int_equal(service_manager_from_name("upstart"), -1);
        assert_int_equal(service_manager_from_name(""), -1);
}

static void
test_pidfile_start_status_stop(void **state)
{
        struct fix *f = *state;
        char *script = xasprintf("sleep 60 >/dev/null 2>&1 & echo $! > '%s'", f->pidfile);
        char *argv[] = { "sh", "-c", script, NULL };
        struct service s = {
                .manager = SVC_PIDFILE, .name = "sleeper", .pidfile = f->pidfile,
                .start_argv = argv, .timeout_ms = 5000,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        pid_t pid, got = 0;
        int i;

        assert_int_equal(service_status(&s, &r, &got, &d), 0);
        assert_int_equal(got, 0);
        assert_int_equal(service_start(&s, &r, &d), 0);
        assert_int_equal(f->runs, 1);
        pid = read_pid(f);
        assert_int_equal(service_status(&s, &r, &got, &d), 1);
        assert_int_equal(got, pid);
        assert_false(t_pid_gone(pid));

        /* Starting a running service does not start a second one. */
        assert_int_equal(service_start(&s, &r, &d), 0);
        assert_int_equal(f->runs, 1);

        /* No stop command: SIGTERM, and service_stop returns once it is gone. */
        assert_int_equal(service_stop(&s, &r, &d), 0);
        for (i = 0; i < 5 && !t_pid_gone(pid); i++)     /* its reaper may lag */
                t_sleep_ms(20);
        assert_true(t_pid_gone(pid));
        assert_int_equal(service_status(&s, &r, &got, &d), 0);
        assert_int_equal(service_stop(&s, &r, &d), 0);
        assert_false(diag_isset(&d));
        free(script);
}

static void
test_start_command_fails(void **state)
{
        struct fix *f = *state;
        char *argv[] = { "sh", "-c", "echo first >&2; echo port in use >&2; exit 4", NULL };
        char *log = path_join(f->dir, "service.log"), *want;
        struct service s = {
                .manager = SVC_PIDFILE, .name = "broken", .pidfile = f->pidfile,
                .start_argv = argv, .timeout_ms = 5000, .start_log = log,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};

        /* Its output goes to the log, and the end of it into the message. */
        assert_true(service_start(&s, &r, &d) < 0);
        want = xasprintf("cannot start service \"broken\": \"sh -c 'echo first >&2; "
                         "echo port in use >&2; exit 4'\" exited with status 4: first; "
                         "port in use (its output is in %s)", log);
        assert_string_equal(d.msg, want);
        free(want);

        diag_clear(&d);
        s.start_argv = NULL;
        s.start_shell = "exit 3";
        assert_true(service_start(&s, &r, &d) < 0);
        want = xasprintf("cannot start service \"broken\": \"exit 3\" exited with status 3 "
                         "(its output is in %s)", log);
        assert_string_equal(d.msg, want);
        free(want);
        s.start_log = NULL;
        free(log);

        diag_clear(&d);
        s.start_shell = NULL;
        assert_int_equal(service_start(&s, &r, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "no start command"));
}

static void
test_start_times_out_without_pidfile(void **state)
{
        struct fix *f = *state;
        char *argv[] = { "true", NULL };
        struct service s = {
                .manager = SVC_PIDFILE, .name = "lazy", .pidfile = f->pidfile,
                .start_argv = argv, .timeout_ms = 300,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        char *want;

        assert_int_equal(service_start(&s, &r, &d), -ETIMEDOUT);
        want = xasprintf("service \"lazy\" did not start within 0.3s: pid file \"%s\" "
                         "names no running process", f->pidfile);
        assert_string_equal(d.msg, want);
        free(want);
}

/* Nothing to watch (no manager, pid file, port nor ready check): a start
 * command still running at the timeout fails the start, and the message
 * says what the plan must give for a foreground command to work. */
static void
test_start_nothing_to_watch_says_what_to_give(void **state)
{
        struct fix *f = *state;
        char *argv[] = { "sleep", "60", NULL };
        struct service s = {
                .manager = SVC_NONE, .name = "fg", .start_argv = argv, .timeout_ms = 300,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};

        assert_int_equal(service_start(&s, &r, &d), -ETIMEDOUT);
        assert_non_null(strstr(d.msg, "\"sleep 60\" did not finish within 0.3s"));
        assert_non_null(strstr(d.msg, "stays in the foreground"));
        assert_non_null(strstr(d.msg, "verify: ready:"));
}

static void
test_stop_times_out_without_sigkill(void **state)
{
        struct fix *f = *state;
        char *script = xasprintf("(trap '' TERM; exec sleep 60) >/dev/null 2>&1 & "
                                 "echo $! > '%s'", f->pidfile);
        struct service s = {
                .manager = SVC_PIDFILE, .name = "stubborn", .pidfile = f->pidfile,
                .start_shell = script, .stop_shell = "echo nope >&2; exit 1",
                .timeout_ms = 1000,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        char *want;
        pid_t pid;

        assert_int_equal(service_start(&s, &r, &d), 0);
        pid = read_pid(f);
        assert_int_equal(service_stop(&s, &r, &d), -ETIMEDOUT);
        want = xasprintf("service \"stubborn\" did not stop within 1s: pid %d still runs "
                         "(after \"echo nope >&2; exit 1\" exited with status 1: nope)",
                         (int)pid);
        assert_string_equal(d.msg, want);
        /* It was not killed behind our back. */
        assert_false(t_pid_gone(pid));
        assert_int_equal(service_status(&s, &r, NULL, &d), 1);
        free(want);
        free(script);
}

static void
test_failing_stop_command_but_process_exits(void **state)
{
        struct fix *f = *state;
        char *start = xasprintf("sleep 60 >/dev/null 2>&1 & echo $! > '%s'", f->pidfile);
        char *stop = xasprintf("kill $(cat '%s'); echo connection lost >&2; exit 1",
                               f->pidfile);
        struct service s = {
                .manager = SVC_PIDFILE, .name = "redis-like", .pidfile = f->pidfile,
                .start_shell = start, .stop_shell = stop, .timeout_ms = 5000,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        pid_t pid;

        assert_int_equal(service_start(&s, &r, &d), 0);
        pid = read_pid(f);
        assert_int_equal(service_stop(&s, &r, &d), 0);
        assert_true(t_pid_gone(pid));
        free(start);
        free(stop);
}

/* The listener this test binary becomes with --listen PORT PIDFILE: writes
 * its pidfile first, listens only later, like a daemon that loads data. */
static int
listener_main(int port, const char *pidfile)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        char buf[32];
        int fd, one = 1, pfd;

        pfd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        snprintf(buf, sizeof buf, "%d\n", (int)getpid());
        if (pfd < 0 || write(pfd, buf, strlen(buf)) < 0)
                return 1;
        close(pfd);
        t_sleep_ms(300);
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 8) < 0)
                return 1;
        for (int i = 0; i < 600; i++) {         /* at most a minute */
                int c = accept(fd, NULL, NULL);

                if (c >= 0)
                        close(c);
        }
        return 0;
}

static int
free_port(void)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0), port;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        port = ntohs(sa.sin_port);
        close(fd);
        return port;
}

static void
test_port_wait(void **state)
{
        struct fix *f = *state;
        int port = free_port();
        char *start = xasprintf("'%s' --listen %d '%s' >/dev/null 2>&1 &", self_exe, port,
                                f->pidfile);
        struct service s = {
                .manager = SVC_PIDFILE, .name = "listener", .pidfile = f->pidfile,
                .start_shell = start, .port = port, .timeout_ms = 5000,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        pid_t pid;

        assert_false(port_open(port));
        assert_int_equal(service_start(&s, &r, &d), 0);
        pid = read_pid(f);
        /* The pidfile came first; start also waited for the port. */
        assert_true(port_open(port));
        assert_int_equal(service_stop(&s, &r, &d), 0);
        assert_false(port_open(port));
        assert_true(t_pid_gone(pid));
        free(start);
}

/* A launcher (pg_ctl start -w) still running while its daemon listens but
 * has not yet written its pid file: the port does not make the launcher
 * the service, nor is its pid written there. It exits 0 once the daemon
 * (here: this test process, listening) wrote its pid: daemonized. */
static void
test_port_open_before_pidfile_is_not_foreground(void **state)
{
        struct fix *f = *state;
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        char *script, *buf = NULL;
        struct diag d = {0};

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        script = xasprintf("sleep 0.3; echo %d > '%s'", (int)getpid(), f->pidfile);
        {
                char *argv[] = { "sh", "-c", script, NULL };
                struct service s = {
                        .manager = SVC_PIDFILE, .name = "launcher", .pidfile = f->pidfile,
                        .start_argv = argv, .port = ntohs(sa.sin_port), .timeout_ms = 30000,
                };
                struct runner r = { .run = test_runner_run, .ud = f };

                assert_true(port_open(s.port));
                assert_int_equal(service_start(&s, &r, &d), 0);
        }
        assert_int_equal(read_file(f->pidfile, &buf, NULL, &d), 0);
        assert_int_equal(atoi(buf), (int)getpid());
        close(fd);
        free(buf);
        free(script);
}

/* A stand-in for systemctl or service, on PATH, that logs its arguments. */
static void
fake_manager(struct fix *f, const char *name)
{
        char *path = path_join(f->dir, name);
        char *body = xasprintf(
                "#!/bin/sh\n"
                "echo \"$*\" >> '%1$s/calls'\n"
                "for a; do case $a in\n"
                "  is-active|status) [ -e '%1$s/running' ]; exit $? ;;\n"
                "  start) touch '%1$s/running'; exit 0 ;;\n"
                "  stop) rm -f '%1$s/running'; exit 0 ;;\n"
                "  show) cat '%1$s/mainpid' 2>/dev/null || echo 0; exit 0 ;;\n"
                "esac; done\n"
                "exit 2\n", f->dir);
        struct diag d = {0};
        const char *old = getenv("PATH");
        char *newpath;

        assert_int_equal(write_file_atomic(path, body, strlen(body), 0755, &d), 0);
        if (f->old_path == NULL)
                f->old_path = xstrdup(old != NULL ? old : "/usr/bin:/bin");
        newpath = xasprintf("%s:%s", f->dir, f->old_path);
        setenv("PATH", newpath, 1);
        free(newpath);
        free(body);
        free(path);
}

static char *
read_calls(struct fix *f)
{
        char *path = path_join(f->dir, "calls"), *buf = NULL;
        struct diag d = {0};

        assert_int_equal(read_file(path, &buf, NULL, &d), 0);
        unlink(path);
        free(path);
        return buf;
}

static void
test_systemd_commands(void **state)
{
        struct fix *f = *state;
        struct service s = { .manager = SVC_SYSTEMD, .name = "demo.service", .timeout_ms = 5000 };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        char *calls, *mainpid = path_join(f->dir, "mainpid"), pidtext[32];
        pid_t got = 0;

        fake_manager(f, "systemctl");
        assert_int_equal(service_status(&s, &r, &got, &d), 0);
        assert_int_equal(service_stop(&s, &r, &d), 0);          /* already stopped */
        calls = read_calls(f);
        assert_string_equal(calls, "is-active --quiet demo.service\n"
                                   "is-active --quiet demo.service\n");
        free(calls);

        assert_int_equal(service_start(&s, &r, &d), 0);
        snprintf(pidtext, sizeof pidtext, "%d\n", (int)getpid());
        assert_int_equal(write_file_atomic(mainpid, pidtext, strlen(pidtext), 0644, &d), 0);
        assert_int_equal(service_status(&s, &r, &got, &d), 1);
        assert_int_equal(got, getpid());
        unlink(mainpid);
        assert_int_equal(service_stop(&s, &r, &d), 0);
        assert_int_equal(service_status(&s, &r, NULL, &d), 0);
        calls = read_calls(f);
        assert_string_equal(calls, "start demo.service\n"
                                   "is-active --quiet demo.service\n"
                                   "show -p MainPID --value demo.service\n"
                                   "is-active --quiet demo.service\n"
                                   "show -p MainPID --value demo.service\n"
                                   "stop demo.service\n"
                                   "is-active --quiet demo.service\n"
                                   "is-active --quiet demo.service\n");
        assert_false(diag_isset(&d));
        free(calls);
        free(mainpid);
}

static void
test_sysv_and_openrc_commands(void **state)
{
        struct fix *f = *state;
        struct service s = { .manager = SVC_SYSV, .name = "demo", .timeout_ms = 5000 };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        char *calls;

        fake_manager(f, "service");
        fake_manager(f, "rc-service");
        assert_int_equal(service_start(&s, &r, &d), 0);
        assert_int_equal(service_status(&s, &r, NULL, &d), 1);
        assert_int_equal(service_stop(&s, &r, &d), 0);
        s.manager = SVC_OPENRC;
        assert_int_equal(service_start(&s, &r, &d), 0);
        calls = read_calls(f);
        assert_string_equal(calls, "demo start\ndemo status\ndemo status\ndemo stop\n"
                                   "demo status\ndemo start\n");
        free(calls);

        /* A manager without a service name is refused before running anything. */
        s.name = NULL;
        assert_int_equal(service_stop(&s, &r, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "openrc"));
}

static void
test_interrupt_while_waiting(void **state)
{
        struct fix *f = *state;
        char *argv[] = { "sleep", "60", NULL };
        struct service s = {
                .manager = SVC_PIDFILE, .name = "never", .pidfile = f->pidfile,
                .start_argv = argv, .timeout_ms = 60000,
        };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};

        /* The pidfile never appears; the interrupt ends the wait, not 60 s. */
        f->interrupt_after_run = true;
        assert_int_equal(service_start(&s, &r, &d), -EINTR);
        assert_string_equal(d.msg, "cannot start service \"never\": \"sleep 60\" was interrupted");
}

/* s starts as a foreground command left running as the service (1), in a
 * session of its own, named by the pid file; status and stop find it. */
static void
assert_foreground_service(struct fix *f, const struct service *s)
{
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};
        pid_t pid;
        int i;

        assert_int_equal(service_start(s, &r, &d), 1);
        pid = read_pid(f);
        assert_false(t_pid_gone(pid));
        assert_int_equal(getsid(pid), pid);
        assert_int_equal(service_status(s, &r, NULL, &d), 1);
        assert_int_equal(service_stop(s, &r, &d), 0);
        for (i = 0; i < 5 && !t_pid_gone(pid); i++)
                t_sleep_ms(20);
        assert_true(t_pid_gone(pid));
}

/* A start command that stays in the foreground and writes its own pid:
 * once the pid file names it, it is the service, left running in a
 * session of its own (1), not waited for until the timeout. */
static void
test_foreground_start(void **state)
{
        struct fix *f = *state;
        char *script = xasprintf("echo $$ > '%s'; exec sleep 60", f->pidfile);
        char *argv[] = { "sh", "-c", script, NULL };
        struct service s = {
                .manager = SVC_PIDFILE, .name = "fg", .pidfile = f->pidfile,
                .start_argv = argv, .timeout_ms = 30000,
        };

        assert_foreground_service(f, &s);
        free(script);
}

/* The plan's ready check: 1 once the start command left its mark. */
static int
mark_ready(void *ud)
{
        return access(ud, F_OK) == 0;
}

/* A foreground start command that writes no pid file, with no port: the
 * plan's ready check tells that it is up while it runs. It is the service,
 * and its pid is written to the pid file, so status and stop find it. */
static void
test_foreground_start_ready_check(void **state)
{
        struct fix *f = *state;
        char *mark = xasprintf("%s/mark", f->dir);
        char *script = xasprintf("touch '%s'; exec sleep 60", mark);
        char *argv[] = { "sh", "-c", script, NULL };
        struct service s = {
                .manager = SVC_PIDFILE, .name = "fg", .pidfile = f->pidfile,
                .start_argv = argv, .timeout_ms = 30000,
                .ready = mark_ready, .ready_ud = mark,
        };

        assert_foreground_service(f, &s);
        free(script);
        free(mark);
}

static void
test_status_without_anything_to_ask(void **state)
{
        struct fix *f = *state;
        struct service s = { .manager = SVC_NONE, .name = "x" };
        struct runner r = { .run = test_runner_run, .ud = f };
        struct diag d = {0};

        assert_int_equal(service_status(&s, &r, NULL, &d), -ENOTSUP);
        assert_non_null(strstr(d.msg, "cannot tell whether service \"x\" runs"));
        assert_int_equal(f->runs, 0);
}

int
main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_manager_names),
                cmocka_unit_test_setup_teardown(test_pidfile_start_status_stop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_start_command_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_foreground_start, setup, teardown),
                cmocka_unit_test_setup_teardown(test_port_open_before_pidfile_is_not_foreground,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_foreground_start_ready_check, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_start_times_out_without_pidfile, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_start_nothing_to_watch_says_what_to_give,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_times_out_without_sigkill, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_failing_stop_command_but_process_exits,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_port_wait, setup, teardown),
                cmocka_unit_test_setup_teardown(test_systemd_commands, setup, teardown),
                cmocka_unit_test_setup_teardown(test_sysv_and_openrc_commands, setup, teardown),
                cmocka_unit_test_setup_teardown(test_interrupt_while_waiting, setup, teardown),
                cmocka_unit_test_setup_teardown(test_status_without_anything_to_ask, setup,
                                                teardown),
        };

        if (argc == 4 && strcmp(argv[1], "--listen") == 0)
                return listener_main(atoi(argv[2]), argv[3]);
        if (realpath("/proc/self/exe", self_exe) == NULL)
                return 1;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
