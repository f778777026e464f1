/* service.c: start, stop and ask about the service through its manager
 * (systemd, sysv, openrc) or a pidfile, and wait until it really changed. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/service.h"
#include "lib/service_int.h"
#include "lib/util.h"

#define SVC_DEFAULT_TIMEOUT     60000
/* pid, pidfile and port checks: first after SVC_POLL_FIRST_MS, then twice
 * as long each time up to SVC_POLL_MS, so that a service that stops or
 * starts fast is seen to as soon as it does. */
#define SVC_POLL_FIRST_MS       10
#define SVC_POLL_MS             100
#define SVC_STATUS_POLL_MS      500     /* status commands (systemctl is-active ...) */

static const char *const manager_names[] = {
        [SVC_NONE]    = "none",
        [SVC_SYSTEMD] = "systemd",
        [SVC_SYSV]    = "sysv",
        [SVC_OPENRC]  = "openrc",
        [SVC_PIDFILE] = "pidfile",
};

/* One start/stop/status call. */
struct svc_call {
        const struct service   *s;
        const struct runner    *r;
        const char             *what;           /* service name for messages */
        long                    timeout_ms;
        int64_t                 deadline;
        volatile sig_atomic_t  *interrupt;      /* learned from the runner's options */
        bool                    manager_running;        /* last answer of the manager */
        int64_t                 next_status;            /* when to ask it again */
};

int
service_manager_from_name(const char *name)
{
        size_t i;

        for (i = 0; name != NULL && i < ARRAY_SIZE(manager_names); i++)
                if (manager_names[i] != NULL && strcmp(name, manager_names[i]) == 0)
                        return (int)i;
        return -1;
}

const char *
service_manager_name(enum svc_manager m)
{
        if ((size_t)m < ARRAY_SIZE(manager_names) && manager_names[m] != NULL)
                return manager_names[m];
        return "?";
}

static void
call_init(struct svc_call *c, const struct service *s, const struct runner *r)
{
        c->s = s;
        c->r = r;
        c->what = s->name != NULL && s->name[0] != '\0' ? s->name :
                  s->pidfile != NULL ? s->pidfile : "service";
        c->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : SVC_DEFAULT_TIMEOUT;
        c->deadline = now_ms() + c->timeout_ms;
        c->interrupt = NULL;
        c->manager_running = true;
        c->next_status = 0;
}

static void
format_timeout(char *buf, size_t size, long ms)
{
        if (ms % 1000 == 0)
                snprintf(buf, size, "%lds", ms / 1000);
        else
                duration_format(buf, size, ms);
}

static void
sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static char *
cmd_display(char *const *argv, const char *shell)
{
        return shell != NULL ? xstrdup(shell) : exec_argv_display(argv);
}

/* The last few lines of what a failed command said, on one line. */
static char *
last_lines(const struct exec_result *res)
{
        const char *t = res->err_tail != NULL && res->err_tail[0] != '\0' ? res->err_tail :
                        res->out != NULL ? res->out : "";
        char *copy = xstrdup(t), *p, *start;
        struct strbuf sb = {0};
        int lines = 0;

        str_rtrim(copy);
        start = copy + strlen(copy);
        while (start > copy && lines < 3) {
                start--;
                if (*start == '\n')
                        lines++;
        }
        if (*start == '\n')
                start++;
        strbuf_adds(&sb, "");
        for (p = start; *p != '\0'; p++)
                if (*p == '\n')
                        strbuf_adds(&sb, "; ");
                else
                        strbuf_addch(&sb, *p);
        free(copy);
        return strbuf_detach(&sb);
}

/* Run one command through the caller's runner. Learns the interrupt flag
 * the runner uses, so the waits below can honour it too. */
static int
run_cmd(struct svc_call *c, char *const *argv, const char *shell, char *const *env,
        struct exec_result *res, struct diag *d)
{
        struct exec_opts o = {
                .argv = shell != NULL ? NULL : argv,
                .shell = shell,
                .env = env,
                .timeout_ms = c->timeout_ms,
                .log_fd = -1,
        };
        int rc;

        rc = c->r->run(c->r->ud, &o, res, d);
        if (o.interrupt != NULL)
                c->interrupt = o.interrupt;
        return rc;
}

/* Why a command failed into d: "PREFIX: \"CMD\" exited with status 1: last
 * lines" (or did not finish in time, or was interrupted); prefix may be
 * NULL. Returns what the caller should return. */
static int
cmd_failed(struct diag *d, const char *prefix, const struct svc_call *c,
           char *const *argv, const char *shell, const struct exec_result *res)
{
        char *cmd = cmd_display(argv, shell), *tail = last_lines(res);
        char tbuf[32];
        int rc = -EIO;

        if (res->interrupted) {
                /* TRANSLATORS: %s is a command. */
                diag_set(d, _("\"%s\" was interrupted"), cmd);
                rc = -EINTR;
        } else if (res->timed_out) {
                format_timeout(tbuf, sizeof tbuf, c->timeout_ms);
                /* TRANSLATORS: %1$s is a command, %2$s a time ("60s"). */
                diag_set(d, _("\"%s\" did not finish within %s"), cmd, tbuf);
                rc = -ETIMEDOUT;
        } else if (tail[0] != '\0') {
                /* TRANSLATORS: %1$s is a command, %2$d its exit status, %3$s
                 * the last lines it printed. */
                diag_set(d, _("\"%s\" exited with status %d: %s"), cmd, res->status, tail);
        } else {
                /* TRANSLATORS: %1$s is a command, %2$d its exit status. */
                diag_set(d, _("\"%s\" exited with status %d"), cmd, res->status);
        }
        if (prefix != NULL)
                diag_prefix(d, "%s", prefix);
        free(tail);
        free(cmd);
        return rc;
}

/* argv for a manager command; verb is "start", "stop" or "status" (which
 * systemd spells "is-active --quiet"). */
static void
manager_argv(const struct service *s, const char *verb, char *argv[5])
{
        char *const name = s->name;
        size_t n = 0;

        switch (s->manager) {
        case SVC_SYSTEMD:
                argv[n++] = "systemctl";
                if (strcmp(verb, "status") == 0) {
                        argv[n++] = "is-active";
                        argv[n++] = "--quiet";
                } else {
                        argv[n++] = (char *)verb;
                }
                argv[n++] = name;
                break;
        case SVC_SYSV:
        case SVC_OPENRC:
                argv[n++] = s->manager == SVC_SYSV ? "service" : "rc-service";
                argv[n++] = name;
                argv[n++] = (char *)verb;
                break;
        default:
                break;
        }
        argv[n] = NULL;
}

static bool
is_manager(enum svc_manager m)
{
        return m == SVC_SYSTEMD || m == SVC_SYSV || m == SVC_OPENRC;
}

static int
check_service(const struct service *s, const char *what, struct diag *d)
{
        if (s->manager == SVC_FROM_VAR || (size_t)s->manager >= ARRAY_SIZE(manager_names)) {
                /* TRANSLATORS: %s is a service name. */
                diag_set(d, _("service \"%s\" has no service manager chosen"), what);
                return -EINVAL;
        }
        if (is_manager(s->manager) && (s->name == NULL || s->name[0] == '\0')) {
                /* TRANSLATORS: %s is a service manager: systemd, sysv, openrc. */
                diag_set(d, _("the %s service has no name: the plan must give one"),
                         service_manager_name(s->manager));
                return -EINVAL;
        }
        if (s->manager == SVC_PIDFILE && s->pidfile == NULL) {
                /* TRANSLATORS: %s is a service name. */
                diag_set(d, _("service \"%s\" has no pid file: the plan must give one"),
                         what);
                return -EINVAL;
        }
        return 0;
}

/* Status from the manager's status command, pid from systemd or the pidfile. */
static int
manager_status(struct svc_call *c, pid_t *ret_pid, struct diag *d)
{
        const struct service *s = c->s;
        struct exec_result res;
        char prefix[512], *argv[5];
        pid_t pid = 0;
        int rc, running;

        manager_argv(s, "status", argv);
        rc = run_cmd(c, argv, NULL, NULL, &res, d);
        if (rc < 0) {
                diag_prefix(d, _("cannot tell whether service \"%s\" runs"), c->what);
                return rc;
        }
        if (res.interrupted || res.timed_out) {
                snprintf(prefix, sizeof prefix, _("cannot tell whether service \"%s\" runs"),
                         c->what);
                rc = cmd_failed(d, prefix, c, argv, NULL, &res);
                exec_result_release(&res);
                return rc;
        }
        running = res.status == 0;
        exec_result_release(&res);

        if (running && s->manager == SVC_SYSTEMD) {
                char *show[] = { "systemctl", "show", "-p", "MainPID", "--value",
                                 s->name, NULL };

                rc = run_cmd(c, show, NULL, NULL, &res, d);
                if (rc < 0)
                        return rc;
                if (res.status == 0 && res.out != NULL)
                        pid = (pid_t)strtol(res.out, NULL, 10);
                exec_result_release(&res);
        }
        if (pid <= 0 && s->pidfile != NULL) {
                pid = 0;
                rc = service_pidfile_live(s->pidfile, &pid, d);
                if (rc < 0)
                        return rc;
        }
        if (ret_pid != NULL && pid > 0)
                *ret_pid = pid;
        return running;
}

static int
call_status(struct svc_call *c, pid_t *ret_pid, struct diag *d)
{
        const struct service *s = c->s;

        if (is_manager(s->manager))
                return manager_status(c, ret_pid, d);
        if (s->pidfile != NULL)
                return service_pidfile_live(s->pidfile, ret_pid, d);
        if (s->port > 0)
                return port_open(s->port) ? 1 : 0;
        /* TRANSLATORS: %s is a service name. */
        diag_set(d, _("cannot tell whether service \"%s\" runs: the plan names no "
                      "service manager, pid file or port"), c->what);
        return -ENOTSUP;
}

int
service_status(const struct service *s, const struct runner *r, pid_t *ret_pid,
               struct diag *d)
{
        struct svc_call c;
        int rc;

        call_init(&c, s, r);
        rc = check_service(s, c.what, d);
        if (rc < 0)
                return rc;
        return call_status(&c, ret_pid, d);
}

/* For a stop, what still runs; for a start, what is not up yet: into why,
 * or "" when nothing. The manager is asked at most every 500 ms. */
static int
what_remains(struct svc_call *c, bool stopping, pid_t pid, char *why, size_t size,
             struct diag *d)
{
        const struct service *s = c->s;
        pid_t fpid = 0;
        int rc;

        why[0] = '\0';
        if (stopping && service_pid_alive(pid))
                fpid = pid;
        else if (s->pidfile != NULL && (rc = service_pidfile_live(s->pidfile, &fpid, d)) < 0)
                return rc;
        if (stopping && fpid > 0) {
                /* TRANSLATORS: ends "service X did not stop within 60s: ...". */
                snprintf(why, size, _("pid %d still runs"), (int)fpid);
        } else if (!stopping && s->pidfile != NULL && fpid <= 0) {
                /* TRANSLATORS: ends "service X did not start within 60s: ...". */
                snprintf(why, size, _("pid file \"%s\" names no running process"),
                         s->pidfile);
        } else if (s->port > 0 && port_open(s->port) == stopping) {
                if (stopping)
                        snprintf(why, size, _("port %d is still open"), s->port);
                else
                        snprintf(why, size, _("nothing accepts connections on port %d"),
                                 s->port);
        } else if (stopping && is_manager(s->manager)) {
                if (now_ms() >= c->next_status) {
                        rc = manager_status(c, NULL, d);
                        if (rc < 0)
                                return rc;
                        c->manager_running = rc == 1;
                        c->next_status = now_ms() + SVC_STATUS_POLL_MS;
                }
                if (c->manager_running)
                        /* TRANSLATORS: %s is systemd, sysv or openrc. */
                        snprintf(why, size, _("%s still reports it running"),
                                 service_manager_name(s->manager));
        }
        return 0;
}

/* Wait until nothing remains (see what_remains), at most until the
 * deadline. failure, when set, is how the stop command failed. */
static int
wait_for(struct svc_call *c, bool stopping, pid_t pid, const char *failure,
         struct diag *d)
{
        char why[PATH_MAX + 64], tbuf[32];
        int64_t now;
        long poll = SVC_POLL_FIRST_MS;
        int rc;

        for (;;) {
                now = now_ms();
                rc = what_remains(c, stopping, pid, why, sizeof why, d);
                if (rc < 0 || why[0] == '\0')
                        return rc;
                if (c->interrupt != NULL && *c->interrupt) {
                        /* TRANSLATORS: %s is a service name. */
                        diag_set(d, _("waiting for service \"%s\" was interrupted"), c->what);
                        return -EINTR;
                }
                if (now >= c->deadline)
                        break;
                sleep_ms(c->deadline - now < poll ? (long)(c->deadline - now) : poll);
                poll = poll * 2 > SVC_POLL_MS ? SVC_POLL_MS : poll * 2;
        }
        format_timeout(tbuf, sizeof tbuf, c->timeout_ms);
        if (stopping)
                /* TRANSLATORS: %1$s is a service name, %2$s a time ("60s"),
                 * %3$s what still runs ("pid 123 still runs"). */
                diag_set(d, _("service \"%s\" did not stop within %s: %s"), c->what, tbuf, why);
        else
                /* TRANSLATORS: %1$s is a service name, %2$s a time ("60s"),
                 * %3$s what is missing. */
                diag_set(d, _("service \"%s\" did not start within %s: %s"), c->what, tbuf,
                         why);
        if (failure != NULL && failure[0] != '\0') {
                /* TRANSLATORS: follows "... pid 123 still runs"; %s says how
                 * the stop command failed. */
                diag_append(d, _(" (after %s)"), failure);
        }
        return -ETIMEDOUT;
}

int
service_stop(const struct service *s, const struct runner *r, struct diag *d)
{
        char prefix[512], *argv[5];
        char *const *stop_argv = s->stop_argv;
        const char *stop_shell = s->stop_shell;
        struct diag failure = {0};
        struct exec_result res;
        struct svc_call c;
        pid_t pid = 0;
        int rc, running;

        call_init(&c, s, r);
        rc = check_service(s, c.what, d);
        if (rc < 0)
                return rc;
        if (is_manager(s->manager)) {
                manager_argv(s, "stop", argv);
                stop_argv = argv;
                stop_shell = NULL;
        }
        if (s->manager == SVC_NONE && s->pidfile == NULL && s->port <= 0)
                running = 1;            /* nothing to ask: run the stop command */
        else
                running = call_status(&c, &pid, d);
        if (running < 0)
                return running;
        if (running == 0 && !service_pid_alive(pid) && (s->port <= 0 || !port_open(s->port)))
                return 0;

        /* TRANSLATORS: %s is a service name. */
        snprintf(prefix, sizeof prefix, _("cannot stop service \"%s\""), c.what);
        if (stop_argv != NULL || stop_shell != NULL) {
                rc = run_cmd(&c, stop_argv, stop_shell, s->stop_env, &res, d);
                if (rc < 0) {
                        diag_prefix(d, "%s", prefix);
                        return rc;
                }
                if (res.status != 0 || res.timed_out || res.interrupted) {
                        bool give_up;

                        rc = cmd_failed(&failure, NULL, &c, stop_argv, stop_shell, &res);
                        /* A service may exit although its stop command
                         * failed (redis-cli SHUTDOWN drops the connection):
                         * wait and see, where there is something to watch. */
                        if (res.interrupted)
                                give_up = true;
                        else if (is_manager(s->manager))
                                give_up = manager_status(&c, NULL, d) != 0;
                        else
                                give_up = s->pidfile == NULL && s->port <= 0;
                        if (give_up) {
                                exec_result_release(&res);
                                diag_set(d, "%s", failure.msg);
                                diag_prefix(d, "%s", prefix);
                                return rc;
                        }
                }
                exec_result_release(&res);
        } else if (pid > 0 && kill(pid, SIGTERM) < 0 && errno != ESRCH) {
                int e = errno;

                /* TRANSLATORS: %1$s says what failed, %2$d is a process id. */
                diag_set(d, _("%s: cannot send SIGTERM to pid %d: %s"), prefix, (int)pid,
                         strerror(e));
                return -e;
        }

        return wait_for(&c, true, pid, failure.msg, d);
}

/* A start command run detached and watched (service_spawn_watch): 1 when
 * it stays in the foreground as the service; exited 0: it daemonized, wait
 * as after any start; else why it failed, and where its output is. */
static int
start_watched(struct svc_call *c, char *const *argv, const char *shell, const char *prefix,
              struct diag *d)
{
        struct exec_result res = { .status = -1 };
        int rc;

        rc = service_spawn_watch(c->s, c->r, argv, shell, c->deadline, &c->interrupt,
                                 &res.status, &res.err_tail, d);
        res.timed_out = rc == -ETIMEDOUT;
        res.interrupted = rc == -EINTR;
        if (rc == 1 || (rc == 0 && res.status == 0)) {
                rc = rc == 1 ? 1 : wait_for(c, false, 0, NULL, d);
        } else if (rc < 0 && !res.timed_out && !res.interrupted) {
                diag_prefix(d, "%s", prefix);
        } else {
                rc = cmd_failed(d, prefix, c, argv, shell, &res);
                if (c->s->start_log != NULL)
                        /* TRANSLATORS: follows why a start command failed; %s is a file. */
                        diag_append(d, _(" (its output is in %s)"), c->s->start_log);
        }
        exec_result_release(&res);
        return rc;
}

int
service_start(const struct service *s, const struct runner *r, struct diag *d)
{
        char prefix[512], *argv[5];
        char *const *start_argv = s->start_argv;
        const char *start_shell = s->start_shell;
        struct exec_result res;
        struct svc_call c;
        int rc;

        call_init(&c, s, r);
        rc = check_service(s, c.what, d);
        if (rc < 0)
                return rc;
        if (is_manager(s->manager)) {
                manager_argv(s, "start", argv);
                start_argv = argv;
                start_shell = NULL;
        }
        /* TRANSLATORS: %s is a service name. */
        snprintf(prefix, sizeof prefix, _("cannot start service \"%s\""), c.what);
        if (start_argv == NULL && start_shell == NULL && s->manager == SVC_PIDFILE) {
                diag_set(d, _("%s: the plan gives no start command"), prefix);
                return -EINVAL;
        }
        if (s->manager == SVC_PIDFILE && service_pidfile_live(s->pidfile, NULL, d) == 1)
                return 0;               /* already running */
        if ((start_argv != NULL || start_shell != NULL) && !is_manager(s->manager) &&
            (s->pidfile != NULL || s->port > 0 || s->ready != NULL))
                return start_watched(&c, start_argv, start_shell, prefix, d);
        if (start_argv != NULL || start_shell != NULL) {
                rc = run_cmd(&c, start_argv, start_shell, s->start_env, &res, d);
                if (rc < 0) {
                        diag_prefix(d, "%s", prefix);
                        return rc;
                }
                if (res.status != 0 || res.timed_out || res.interrupted) {
                        rc = cmd_failed(d, prefix, &c, start_argv, start_shell, &res);
                        if (res.timed_out && !is_manager(s->manager))
                                /* TRANSLATORS: follows "... did not finish within 60s";
                                 * plan keys, not to be translated. */
                                diag_append(d, "%s", _("; if it stays in the foreground, give "
                                                      "the plan's service: pidfile: or port:, "
                                                      "or a verify: ready: check, so that "
                                                      "upshift can tell when it is up"));
                        exec_result_release(&res);
                        return rc;
                }
                exec_result_release(&res);
        }

        return wait_for(&c, false, 0, NULL, d);
}
