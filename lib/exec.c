/* exec.c: child processes: argv only, own process group, output streamed
 * line by line, timeouts and interrupts that stop the whole group. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/exec.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define EXEC_CHUNK        65536         /* read size and longest line delivered whole */
#define EXEC_ERR_TAIL     4096
#define EXEC_TICK_MS      200           /* longest sleep: *interrupt is checked this often */
#define EXEC_KILL_GRACE   5000          /* SIGTERM to SIGKILL */
#define EXEC_REAP_GRACE   500           /* reading after the child exited, when others hold its pipes */

/* What the child reports through the status pipe when it cannot exec. */
enum child_stage {
        CHILD_SETUP,
        CHILD_CHDIR,
        CHILD_EXEC,
};

struct child_report {
        int stage;
        int err;
};

struct stream {
        int             fd;             /* read end, or -1 at EOF */
        int             which;          /* 1 or 2 */
        struct strbuf   partial;        /* bytes after the last newline */
};

struct runstate {
        const struct exec_opts *o;
        struct exec_result     *res;
        struct strbuf           out;
        struct strbuf           tail;
        bool                    out_full;
};

/* Move fd out of the way of 0, 1 and 2, so the child's dup2 calls cannot
 * clobber one another. Keeps O_CLOEXEC. */
static int
fd_above_stdio(int fd)
{
        int nfd;

        if (fd > 2)
                return fd;
        nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        return nfd;
}

static int
pipe_above_stdio(int p[2])
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        p[0] = fd_above_stdio(p[0]);
        p[1] = fd_above_stdio(p[1]);
        if (p[0] < 0 || p[1] < 0) {
                int e = errno;

                if (p[0] >= 0)
                        close(p[0]);
                if (p[1] >= 0)
                        close(p[1]);
                return -e;
        }
        return 0;
}

static void
close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static int
child_move_fd(int from, int to)
{
        if (from == to)
                return fcntl(to, F_SETFD, 0);
        return dup2(from, to) < 0 ? -1 : 0;
}

static _Noreturn void
child_fail(int status_fd, int stage)
{
        struct child_report rep = { .stage = stage, .err = errno };
        ssize_t n;

        do
                n = write(status_fd, &rep, sizeof rep);
        while (n < 0 && errno == EINTR);
        _exit(127);
}

/* What child_run needs, built before the child starts. */
struct child_args {
        char *const *argv;
        char       **envp;
        const char  *cwd;
        int          null_fd, out_w, err_w, status_w;
};

/* In the child, after vfork: only async-signal-safe calls from here on. */
static void
child_run(void *arg)
{
        const struct child_args *c = arg;
        int status_w = c->status_w;

        setpgid(0, 0);
        if (child_move_fd(c->null_fd, 0) < 0 || child_move_fd(c->out_w, 1) < 0 ||
            child_move_fd(c->err_w, 2) < 0)
                child_fail(status_w, CHILD_SETUP);
        if (c->cwd != NULL && chdir(c->cwd) < 0)
                child_fail(status_w, CHILD_CHDIR);
        execvpe(c->argv[0], c->argv, c->envp);
        child_fail(status_w, CHILD_EXEC);
}

static void
tail_add(struct strbuf *t, const char *line, size_t len)
{
        size_t cut;

        strbuf_add(t, line, len);
        strbuf_addch(t, '\n');
        if (t->len <= EXEC_ERR_TAIL)
                return;
        /* Drop whole lines from the front; a single huge line keeps its end. */
        cut = t->len - EXEC_ERR_TAIL;
        if (t->buf[cut - 1] != '\n') {
                const char *nl = memchr(t->buf + cut, '\n', t->len - cut - 1);

                if (nl != NULL)
                        cut = (size_t)(nl - t->buf) + 1;
        }
        memmove(t->buf, t->buf + cut, t->len - cut + 1);
        t->len -= cut;
}

static void
emit_line(struct runstate *rs, int which, const char *line, size_t len)
{
        const struct exec_opts *o = rs->o;
        char *masked = str_mask(line, &len, o->mask), *copy;

        if (masked)
                line = masked;

        if (o->log_fd >= 0) {
                char *buf = xmalloc(len + 1);

                memcpy(buf, line, len);
                buf[len] = '\n';
                (void)write_all(o->log_fd, buf, len + 1);
                free(buf);
        }
        if (which == 2)
                tail_add(&rs->tail, line, len);
        if (o->on_line != NULL) {
                copy = xstrndup(line, len);
                o->on_line(o->ud, which, copy);
                free(copy);
        }
        free(masked);
}

/* Deliver every complete line in s->partial; at EOF also what is left. */
static void
stream_lines(struct runstate *rs, struct stream *s, bool eof)
{
        struct strbuf *p = &s->partial;
        size_t start = 0;

        while (start < p->len) {
                const char *nl = memchr(p->buf + start, '\n', p->len - start);
                size_t len;

                if (nl != NULL && nl - (p->buf + start) > EXEC_CHUNK)
                        nl = NULL;              /* a very long line: in pieces */
                if (nl != NULL)
                        len = (size_t)(nl - (p->buf + start));
                else if (p->len - start >= EXEC_CHUNK)
                        len = EXEC_CHUNK;
                else if (eof)
                        len = p->len - start;
                else
                        break;
                emit_line(rs, s->which, p->buf + start, len);
                start += len + (nl != NULL ? 1 : 0);
        }
        if (start > 0) {
                memmove(p->buf, p->buf + start, p->len - start + 1);
                p->len -= start;
        }
}

static void
stream_read(struct runstate *rs, struct stream *s)
{
        char buf[EXEC_CHUNK];
        ssize_t n;

        n = read(s->fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                /* The partial line waits for the other pipe's read in this
                 * round, which the child may have written before it:
                 * supervise() flushes it. */
                close_fd(&s->fd);
                return;
        }
        if (s->which == 1 && !rs->out_full) {
                size_t room = EXEC_CAPTURE_MAX - rs->out.len;
                size_t take = (size_t)n < room ? (size_t)n : room;

                strbuf_add(&rs->out, buf, take);
                rs->out_full = rs->out.len >= EXEC_CAPTURE_MAX;
        }
        strbuf_add(&s->partial, buf, (size_t)n);
        stream_lines(rs, s, false);
}

int
exec_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);

        if (fd >= 0)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
        return fd;
#else
        (void)pid;
        return -1;
#endif
}

static bool
try_reap(pid_t pid, int *ret_status)
{
        int st;
        pid_t r;

        do
                r = waitpid(pid, &st, WNOHANG);
        while (r < 0 && errno == EINTR);
        if (r == 0)
                return false;
        if (r < 0) {                    /* someone else reaped it (SIGCHLD ignored?) */
                *ret_status = -1;
                return true;
        }
        if (WIFEXITED(st))
                *ret_status = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
                *ret_status = 128 + WTERMSIG(st);
        else
                *ret_status = -1;
        return true;
}

/* "still running after 5s: CMD", to on_notice or the log. */
static void
still_running(const struct exec_opts *o, int64_t ms)
{
        char *cmd = o->argv ? exec_argv_display(o->argv) : exec_shell_display(o->shell);
        /* TRANSLATORS: a duration in seconds ("5s"), then a command. */
        char *text = xasprintf(_("still running after %llds: %s"), (long long)(ms / 1000), cmd);

        if (o->on_notice)
                o->on_notice(o->ud, text);
        else if (o->log_fd >= 0)
                (void)dprintf(o->log_fd, "%s\n", text);
        free(text);
        free(cmd);
}

static int64_t
min_wait(int64_t a, int64_t until, int64_t now)
{
        int64_t w = until - now;

        if (w < 0)
                w = 0;
        return w < a ? w : a;
}

/* Read both pipes and wait for the child, applying the deadline and the
 * interrupt flag. Fills rs->res->status and the flags. */
static void
supervise(struct runstate *rs, pid_t pid, int out_r, int err_r)
{
        const struct exec_opts *o = rs->o;
        struct stream s[2] = {
                { .fd = out_r, .which = 1 },
                { .fd = err_r, .which = 2 },
        };
        int64_t start = now_ms(), now, term_at = 0, kill_at = 0, reap_at = 0;
        int64_t deadline = o->timeout_ms > 0 ? start + o->timeout_ms : INT64_MAX;
        int64_t notice_at = start + (o->notice_ms > 0 ? o->notice_ms : EXEC_NOTICE_MS);
        int pidfd = exec_pidfd_open(pid);
        bool reaped = false, killing = false, killed = false;

        for (;;) {
                struct pollfd pfd[3];
                int64_t wait = EXEC_TICK_MS;
                int i, n;

                now = now_ms();
                if (!reaped)
                        reaped = try_reap(pid, &rs->res->status);
                if (reaped && reap_at == 0) {
                        reap_at = now;
                        close_fd(&pidfd);
                }
                if (!reaped && !killing) {
                        if (o->interrupt != NULL && *o->interrupt)
                                rs->res->interrupted = killing = true;
                        else if (now >= deadline)
                                rs->res->timed_out = killing = true;
                        if (killing) {
                                term_at = now;
                                kill(-pid, SIGTERM);
                        }
                }
                if (killing && !killed && now >= term_at + EXEC_KILL_GRACE) {
                        kill(-pid, SIGKILL);
                        killed = true;
                        kill_at = now;
                }
                if (reaped && s[0].fd < 0 && s[1].fd < 0)
                        break;
                if (reaped) {
                        /* Something else holds our pipes open: a daemon the
                         * command started, or what the group kill has not
                         * stopped yet. Stop listening after a grace. */
                        int64_t end = !killing ? reap_at + EXEC_REAP_GRACE :
                                      killed ? kill_at + EXEC_REAP_GRACE : INT64_MAX;

                        if (now >= end)
                                break;
                        wait = min_wait(wait, end, now);
                }
                if (!reaped && !killing && now >= notice_at) {
                        still_running(o, now - start);
                        notice_at = start + 2 * (now - start);
                }
                if (!reaped && !killing)
                        wait = min_wait(min_wait(wait, deadline, now), notice_at, now);
                if (killing && !killed)
                        wait = min_wait(wait, term_at + EXEC_KILL_GRACE, now);
                if (!reaped && pidfd < 0 && s[0].fd < 0 && s[1].fd < 0 && wait > 20)
                        wait = 20;      /* no pidfd: poll for the exit */

                for (i = 0; i < 2; i++)
                        pfd[i] = (struct pollfd){ .fd = s[i].fd, .events = POLLIN };
                pfd[2] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
                n = poll(pfd, 3, (int)wait);
                if (n <= 0)
                        continue;
                for (i = 0; i < 2; i++)
                        if (s[i].fd >= 0 && pfd[i].revents != 0)
                                stream_read(rs, &s[i]);
                for (i = 0; i < 2; i++)
                        if (s[i].fd < 0)        /* at EOF: empty after the first */
                                stream_lines(rs, &s[i], true);
        }
        for (int i = 0; i < 2; i++) {
                if (s[i].fd >= 0) {
                        stream_lines(rs, &s[i], true);
                        close_fd(&s[i].fd);
                }
                strbuf_release(&s[i].partial);
        }
        close_fd(&pidfd);
}

static void
result_init(struct exec_result *r)
{
        memset(r, 0, sizeof *r);
        r->status = -1;
}

int
exec_run(const struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        char *shell_argv[] = { "/bin/sh", "-c", (char *)o->shell, NULL };
        char *const *argv = o->shell != NULL ? shell_argv : o->argv;
        int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, stp[2] = { -1, -1 };
        int null_fd = -1, rc;
        struct child_report rep;
        struct runstate rs = { .o = o, .res = ret };
        sigset_t all, old;
        char **envp;
        ssize_t n;
        pid_t pid;

        result_init(ret);
        if (argv == NULL || argv[0] == NULL) {
                diag_set(d, _("cannot run an empty command"));
                return -EINVAL;
        }
        if (o->detach_log != NULL)
                return exec_spawn_detached(o, o->detach_log, &ret->pid, d);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd >= 0)
                null_fd = fd_above_stdio(null_fd);
        if (null_fd < 0 || (rc = pipe_above_stdio(outp)) < 0 ||
            (rc = pipe_above_stdio(errp)) < 0 || (rc = pipe_above_stdio(stp)) < 0) {
                rc = null_fd < 0 ? -errno : rc;
                /* TRANSLATORS: %1$s is a program, %2$s why it failed. */
                diag_set(d, _("cannot run \"%s\": %s"), argv[0], strerror(-rc));
                goto fail;
        }
        envp = exec_env_new(o->env);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid = exec_vfork(child_run, &(struct child_args){
                .argv = argv, .envp = envp, .cwd = o->cwd, .null_fd = null_fd,
                .out_w = outp[1], .err_w = errp[1], .status_w = stp[1] });
        rc = pid < 0 ? -errno : 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        free(envp);
        if (pid < 0) {
                diag_set(d, _("cannot run \"%s\": %s"), argv[0], strerror(-rc));
                goto fail;
        }
        setpgid(pid, pid);              /* also in the child: whoever is first */
        close_fd(&null_fd);
        close_fd(&outp[1]);
        close_fd(&errp[1]);
        close_fd(&stp[1]);

        /* EOF: exec happened. A report: it did not, and why. */
        do
                n = read(stp[0], &rep, sizeof rep);
        while (n < 0 && errno == EINTR);
        close_fd(&stp[0]);
        if (n == (ssize_t)sizeof rep) {
                int st;

                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                rc = -rep.err;
                if (rep.stage == CHILD_CHDIR)
                        /* TRANSLATORS: %1$s is a program, %2$s a directory,
                         * %3$s why it failed. */
                        diag_set(d, _("cannot run \"%s\" in \"%s\": %s"), argv[0],
                                 o->cwd, strerror(rep.err));
                else
                        diag_set(d, _("cannot run \"%s\": %s"), argv[0],
                                 strerror(rep.err));
                goto fail;
        }

        supervise(&rs, pid, outp[0], errp[0]);
        outp[0] = errp[0] = -1;         /* closed by supervise */
        strbuf_adds(&rs.out, "");
        strbuf_adds(&rs.tail, "");
        while (rs.tail.len > 0 && rs.tail.buf[rs.tail.len - 1] == '\n')
                rs.tail.buf[--rs.tail.len] = '\0';
        ret->out_len = rs.out.len;
        ret->out = str_mask(rs.out.buf, &ret->out_len, o->mask);
        if (ret->out)
                strbuf_release(&rs.out);
        else
                ret->out = strbuf_detach(&rs.out);
        ret->err_tail = strbuf_detach(&rs.tail);
        return 0;

fail:
        close_fd(&null_fd);
        for (int i = 0; i < 2; i++) {
                close_fd(&outp[i]);
                close_fd(&errp[i]);
                close_fd(&stp[i]);
        }
        return rc;
}

void
exec_result_release(struct exec_result *r)
{
        if (r == NULL)
                return;
        free(r->out);
        free(r->err_tail);
        r->out = NULL;
        r->err_tail = NULL;
        r->out_len = 0;
}

static bool
word_is_plain(const char *w)
{
        if (*w == '\0')
                return false;
        for (; *w != '\0'; w++) {
                unsigned char c = (unsigned char)*w;

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || strchr("_./:=@%+,-", c) != NULL))
                        return false;
        }
        return true;
}

char *
exec_argv_display(char *const *argv)
{
        struct strbuf sb = {0};
        size_t i;

        strbuf_adds(&sb, "");
        for (i = 0; argv != NULL && argv[i] != NULL; i++) {
                const char *w = argv[i];

                if (i > 0)
                        strbuf_addch(&sb, ' ');
                if (word_is_plain(w)) {
                        strbuf_adds(&sb, w);
                        continue;
                }
                strbuf_addch(&sb, '\'');
                for (; *w != '\0'; w++) {
                        if (*w == '\'')
                                strbuf_adds(&sb, "'\\''");
                        else
                                strbuf_addch(&sb, *w);
                }
                strbuf_addch(&sb, '\'');
        }
        return strbuf_detach(&sb);
}

char *
exec_shell_display(const char *script)
{
        char *argv[] = {(char *)"sh", (char *)"-c", (char *)script, NULL};

        return exec_argv_display(argv);
}
