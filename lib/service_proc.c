/* service_proc.c: is a process alive, what a pidfile names, does a port
 * answer, a start command watched; service_release (service_int.h,
 * service.h). */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/service.h"
#include "lib/service_int.h"
#include "lib/sha256.h"
#include "lib/util.h"

#define SVC_CONNECT_MS          200
/* A start command watched: first after SVC_WATCH_FIRST_MS, then twice as
 * long each time up to SVC_WATCH_MS. */
#define SVC_WATCH_FIRST_MS      10
#define SVC_WATCH_MS            100
/* The plan's ready check, while a start command is watched: first after
 * SVC_READY_START_MS (most start commands daemonize and exit sooner, and a
 * check that runs meanwhile hides their exit until it ends: it cost Redis's
 * downtime a PING), then after SVC_READY_FIRST_MS, twice as long each time
 * up to SVC_READY_MS (it runs a command or asks over HTTP: fewer tries than
 * a pid file read). */
#define SVC_READY_START_MS      200
#define SVC_READY_FIRST_MS      50
#define SVC_READY_MS            500
#define SVC_LOG_TAIL            4096    /* a failed start command's output shown */

bool
service_pid_alive(pid_t pid)
{
        char path[64], buf[512], *p;
        ssize_t n;
        int fd;

        if (pid <= 0)
                return false;
        if (kill(pid, 0) < 0 && errno != EPERM)
                return false;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return true;            /* no /proc: trust kill() */
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return true;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        return !(p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int
service_pidfile_live(const char *path, pid_t *ret_pid, struct diag *d)
{
        char *buf = NULL, *end;
        struct diag ignore = {0};
        long v;
        int rc;

        rc = read_file(path, &buf, NULL, &ignore);
        if (rc == -ENOENT)
                return 0;
        if (rc < 0) {
                diag_set(d, "%s", ignore.msg);
                return rc;
        }
        str_rtrim(buf);
        if (buf[0] == '\0') {           /* being written */
                free(buf);
                return 0;
        }
        errno = 0;
        v = strtol(buf, &end, 10);
        if (errno != 0 || *end != '\0' || v <= 1 || (pid_t)v != v) {
                /* TRANSLATORS: %s is a file name. */
                diag_set(d, _("pid file \"%s\" does not hold a process id"), path);
                free(buf);
                return -EINVAL;
        }
        free(buf);
        if (!service_pid_alive((pid_t)v))
                return 0;
        if (ret_pid != NULL)
                *ret_pid = (pid_t)v;
        return 1;
}

int
service_exe(pid_t pid, char **ret_path, bool *ret_deleted, char hex[SHA256_HEX_LEN + 1],
            struct diag *d)
{
        static const char deleted[] = " (deleted)";
        char link[64], buf[PATH_MAX + sizeof deleted];
        size_t len, dl = sizeof deleted - 1;
        ssize_t n;
        bool gone = false;
        int rc;

        snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
        n = readlink(link, buf, sizeof buf - 1);
        if (n < 0) {
                rc = -errno;
                /* TRANSLATORS: %1$d is a process id, then the system's reason. */
                diag_set(d, _("cannot tell which executable pid %d runs: %s"), (int)pid,
                         strerror(-rc));
                return rc;
        }
        buf[n] = '\0';
        len = (size_t)n;
        if (len > dl && strcmp(buf + len - dl, deleted) == 0) {
                buf[len - dl] = '\0';
                gone = true;
        }
        rc = sha256_file(link, hex, NULL, d);
        if (rc < 0)
                return rc;
        *ret_path = xstrdup(buf);
        *ret_deleted = gone;
        return 0;
}

/* The last SVC_LOG_TAIL bytes written to path after offset from, or NULL. */
static char *
log_since(const char *path, off_t from)
{
        char *buf;
        ssize_t n;
        off_t end;
        int fd;

        if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
                return NULL;
        end = lseek(fd, 0, SEEK_END);
        if (end - from > SVC_LOG_TAIL)
                from = end - SVC_LOG_TAIL;
        buf = xmalloc(SVC_LOG_TAIL + 1);
        n = end > from ? pread(fd, buf, (size_t)(end - from), from) : 0;
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

/* Write pid to the pid file, for a foreground command that does not: as
 * start-stop-daemon --make-pidfile does. Best effort: status and stop then
 * find it, and a server that writes the file itself later writes the same. */
static void
pidfile_make(const char *path, pid_t pid)
{
        struct diag ignore = {0};
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%d\n", (int)pid);

        write_file_atomic(path, buf, (size_t)n, 0644, &ignore);
}

/* Tries of the plan's ready check while a start command is watched. */
struct watch {
        int64_t next_ready;
        long    gap;
};

/* Is the watched command (pid) up as the service? 1: the pid file names
 * it; or, the pid file naming no live process (or without one), the ready
 * check says so, or without a pid file the port answers (its pid is then
 * written to the pid file). 2: the pid file names another live process (it
 * daemonized). 0: not yet, or the pid file cannot be read. With a pid file
 * the port does not tell: a daemon listens before it writes its pid file
 * while its launcher (pg_ctl start -w) still runs. */
static int
watch_up(const struct service *s, pid_t pid, struct watch *w)
{
        struct diag ignore = {0};
        siginfo_t si = {0};
        pid_t fpid = 0;
        bool up;
        int named = s->pidfile != NULL ? service_pidfile_live(s->pidfile, &fpid, &ignore) : 0;

        if (named == 1)
                return fpid == pid ? 1 : 2;
        if (named < 0)
                return 0;
        up = s->pidfile == NULL && s->port > 0 && port_open(s->port);
        if (!up && s->ready != NULL && now_ms() >= w->next_ready) {
                up = s->ready(s->ready_ud) == 1;
                w->next_ready = now_ms() + w->gap;
                w->gap = w->gap * 2 > SVC_READY_MS ? SVC_READY_MS : w->gap * 2;
        }
        if (!up || waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
            si.si_pid != 0)
                return 0;               /* not up, or exited meanwhile: its status tells */
        if (s->pidfile == NULL)
                return 1;
        named = service_pidfile_live(s->pidfile, &fpid, &ignore);      /* written meanwhile? */
        if (named != 0)
                return named < 0 ? 0 : fpid == pid ? 1 : 2;
        pidfile_make(s->pidfile, pid);
        return 1;
}

int
service_spawn_watch(const struct service *s, const struct runner *r, char *const *argv,
                    const char *shell, int64_t deadline,
                    volatile sig_atomic_t **ret_interrupt, int *ret_status,
                    char **ret_output, struct diag *d)
{
        const char *log = s->start_log != NULL ? s->start_log : "/dev/null";
        struct exec_opts o = {
                .argv = shell != NULL ? NULL : argv, .shell = shell, .env = s->start_env,
                .log_fd = -1, .detach_log = log,
        };
        struct exec_result res;
        struct watch w = { .next_ready = now_ms() + SVC_READY_START_MS,
                           .gap = SVC_READY_FIRST_MS };
        long wait = SVC_WATCH_FIRST_MS;
        struct stat sb;
        off_t from = stat(log, &sb) == 0 ? sb.st_size : 0;
        bool stop;
        int rc, st, up, pidfd;

        rc = r->run(r->ud, &o, &res, d);
        if (rc < 0)
                return rc;
        exec_result_release(&res);
        *ret_interrupt = o.interrupt;
        /* The sleeps below end as soon as the command exits (a start
         * command that waits until the service is ready, as pg_ctl -w). */
        pidfd = exec_pidfd_open(res.pid);
        for (unsigned tries = 0; tries < 1000000; tries++) {
                if (waitpid(res.pid, &st, WNOHANG) == res.pid) {
                        *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        *ret_output = log_since(s->start_log, from);
                        rc = 0;
                        goto out;
                }
                /* Up while it runs: it is the service, unless the pid file
                 * names another process (it daemonized and is exiting). */
                up = watch_up(s, res.pid, &w);
                rc = 1;
                if (up == 1)
                        goto out;
                stop = o.interrupt != NULL && *o.interrupt;
                if (now_ms() >= deadline || stop) {
                        if (up == 2 && !stop)
                                goto out;
                        break;
                }
                if (pidfd >= 0)
                        poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, (int)wait);
                else
                        nanosleep(&(struct timespec){ .tv_nsec = wait * 1000000L }, NULL);
                wait = wait * 2 > SVC_WATCH_MS ? SVC_WATCH_MS : wait * 2;
        }
        kill(-res.pid, SIGTERM);
        *ret_output = log_since(s->start_log, from);
        rc = o.interrupt != NULL && *o.interrupt ? -EINTR : -ETIMEDOUT;
out:
        if (pidfd >= 0)
                close(pidfd);
        return rc;
}

bool
port_open(int port)
{
        struct sockaddr_in sa = { .sin_family = AF_INET };
        struct pollfd pfd;
        socklen_t len = sizeof(int);
        int fd, err = 0;
        bool open_ = false;

        if (port <= 0 || port > 65535)
                return false;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
                open_ = true;
        } else if (errno == EINPROGRESS) {
                pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
                if (poll(&pfd, 1, SVC_CONNECT_MS) == 1 &&
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
                        open_ = true;
        }
        close(fd);
        return open_;
}

static void
strv_free_null(char **v)
{
        if (v == NULL)
                return;
        for (char **p = v; *p != NULL; p++)
                free(*p);
        free(v);
}

void
service_release(struct service *s)
{
        if (s == NULL)
                return;
        free(s->name);
        free(s->pidfile);
        strv_free_null(s->start_argv);
        free(s->start_shell);
        strv_free_null(s->stop_argv);
        free(s->stop_shell);
        strv_free_null(s->start_env);
        strv_free_null(s->stop_env);
        free(s->start_log);
        s->start_log = NULL;
        s->name = s->pidfile = s->start_shell = s->stop_shell = NULL;
        s->start_argv = s->stop_argv = s->start_env = s->stop_env = NULL;
}
