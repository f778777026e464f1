/* remote_io.c: the worker frontend's I/O thread (remote.h). It writes the
 * queue, sends log lines at most every REMOTE_FLUSH_MS, and reads what the
 * client sends: its hello, replies and interrupt requests. With a listening
 * socket it also accepts clients, attaches one, lets another take over and
 * answers "status"; without one, a client that goes away is taken as
 * SIGHUP: the engine stops at its next safe point. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/runlog.h"
#include "ui/proto_msg.h"
#include "ui/remote_int.h"
#include "ui/worker.h"

/* Held audit lines beyond this are dropped: the run log never opened. */
#define AUDIT_HELD_MAX 16384

static bool
stderr_is_log(void)
{
        struct stat st;

        return fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode);
}

void
remote_audit_flush_locked(struct remote *r)
{
        if (r->audit_held.len == 0 || !stderr_is_log())
                return;
        (void)write_all(STDERR_FILENO, r->audit_held.buf, r->audit_held.len);
        r->audit_held.len = 0;
}

/* In the worker, stderr is the run log once the engine has opened it
 * (engine_opts.stdio_to_log; /dev/null before, while the questions are
 * asked): who attached, took over, went away or was refused is written
 * there, so the log says who acted on the upgrade. Lines are held, with
 * the time they happened, until the log is open. Without a listening
 * socket there is no worker and nothing is written. */
static void __attribute__((format(printf, 2, 3)))
audit(struct remote *r, const char *fmt, ...)
{
        va_list ap;
        char *line;

        if (r->o.listen_fd < 0)
                return;
        va_start(ap, fmt);
        line = runlog_vformat(fmt, ap);
        va_end(ap);
        if (r->audit_held.len + strlen(line) <= AUDIT_HELD_MAX)
                strbuf_adds(&r->audit_held, line);
        free(line);
        remote_audit_flush_locked(r);
}

/* audit() naming the attached client: "upshift: <what>: root on /dev/pts/1, pid 12". */
static void
audit_client(struct remote *r, const char *what)
{
        char *who = worker_who(&r->client);

        audit(r, "upshift: %s: %s", what, who);
        free(who);
}

static void
lose_locked(struct remote *r)
{
        if (r->lost)
                return;
        r->lost = true;
        r->q.len = r->q_off = 0;
        pthread_cond_broadcast(&r->cv);
        if (r->o.listen_fd < 0) {
                if (r->o.interrupt && *r->o.interrupt == 0)
                        *r->o.interrupt = SIGHUP;
                return;
        }
        /* Clients come and go: close this one, wait for the next. */
        audit_client(r, _("the wizard went away"));
        close(r->o.fd);
        r->o.fd = -1;
        proto_reader_release(&r->rd);
        proto_release(&r->client);
        remote_note_locked(r, OUT_INFO, NULL, _("the wizard went away: the running step goes on, and the next question waits for an operator to attach"));
}

/* Send one short message at once, to a client that is not attached (it
 * is small: a socket's buffer takes it, or it is lost with the client). */
static void
send_now(int fd, const struct proto_msg *m)
{
        struct strbuf sb = {0};

        proto_encode(m, &sb);
        if (send(fd, sb.buf, sb.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                /* the peer is gone or not reading: nothing more to tell it */
        }
        strbuf_release(&sb);
}

static void
send_refused(int fd, const char *why)
{
        struct proto_msg m;

        pmsg_refused_encode(&(struct pmsg_refused){ .reason = why }, &m);
        send_now(fd, &m);
        proto_release(&m);
}

static void
drop_pending_locked(struct remote *r)
{
        if (r->pend_fd >= 0)
                close(r->pend_fd);
        r->pend_fd = -1;
        proto_reader_release(&r->pend_rd);
        proto_release(&r->pend);
}

/* Who a hello names: user, tty, pid, and since (now). */
static void
identify(struct proto_msg *to, const struct proto_msg *hello)
{
        char since[32];
        time_t now = time(NULL);
        struct tm tm;

        struct pmsg_who who;
        struct proto_msg m;

        pmsg_who_decode(hello, &who);
        strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
        who.since = since;
        pmsg_who_encode(PMSG_BUSY, &who, &m);
        proto_release(to);
        *to = m;
}

/* A busy or detached message naming who (a hello, or identify()'s). */
static void
send_who(int fd, enum pmsg_type type, const struct proto_msg *who)
{
        struct pmsg_who x;
        struct proto_msg out;

        pmsg_who_decode(who, &x);
        pmsg_who_encode(type, &x, &out);
        send_now(fd, &out);
        proto_release(&out);
}

/* The connecting client becomes the attached one: it is sent the worker's
 * hello and everything it needs to draw the current screen. */
static void
attach_locked(struct remote *r)
{
        struct proto_msg m;

        if (r->o.fd >= 0)
                close(r->o.fd);
        r->o.fd = r->pend_fd;
        r->pend_fd = -1;
        proto_reader_release(&r->rd);
        r->rd = r->pend_rd;
        memset(&r->pend_rd, 0, sizeof r->pend_rd);
        identify(&r->client, &r->pend);
        proto_release(&r->pend);
        r->lost = false;
        r->attached_once = true;
        r->q.len = r->q_off = 0;
        remote_hello(r, &m);
        proto_encode(&m, &r->q);
        proto_release(&m);
        remote_snapshot_locked(r, &r->q);
        r->seq_sent = r->seq_next;      /* the ring was in the snapshot */
        audit_client(r, _("a wizard attached"));
        /* No line in the wizard's log says so (the run log does): it would
         * only be noise there. A run with nothing to do sends its reason in
         * bye. */
}

static void
send_status_locked(struct remote *r, int fd)
{
        struct pmsg_status st = {
                .pid = (long)getpid(), .action = remote_action(r), .waiting = r->want_id != 0,
                .what = r->want_id ? r->pending_what : NULL,
        };
        struct proto_msg m;
        char *who = NULL;

        if (!r->lost && r->client.type)
                st.client = who = worker_who(&r->client);
        pmsg_status_encode(&st, &m);
        free(who);
        send_now(fd, &m);
        proto_release(&m);
}

/* What the connecting client says before it is attached. */
static void
handle_pending_locked(struct remote *r, struct proto_msg *m)
{
        enum pmsg_type type = pmsg_type_of(m);
        struct pmsg_hello h;

        if (type == PMSG_HELLO && r->pend.type == NULL) {
                pmsg_hello_decode(m, &h);
                if (h.v != PROTO_VERSION) {
                        char *why = xasprintf(_("this worker speaks protocol version %d"),
                                              PROTO_VERSION);

                        send_refused(r->pend_fd, why);
                        free(why);
                        drop_pending_locked(r);
                        return;
                }
                if (h.role && strcmp(h.role, "status") == 0) {
                        send_status_locked(r, r->pend_fd);
                        drop_pending_locked(r);
                        return;
                }
                r->pend = *m;
                memset(m, 0, sizeof *m);
                if (r->lost) {
                        attach_locked(r);
                        return;
                }
                send_who(r->pend_fd, PMSG_BUSY, &r->client);
        } else if (type == PMSG_TAKEOVER && r->pend.type != NULL) {
                if (!r->lost) {
                        audit_client(r, _("the wizard was detached: another one took over"));
                        r->q.len = r->q_off = 0;
                        send_who(r->o.fd, PMSG_DETACHED, &r->pend);
                        shutdown(r->o.fd, SHUT_RDWR);
                }
                attach_locked(r);
        }
}

static void handle_locked(struct remote *r, struct proto_msg *m);

/* The whole messages already read from the attached client (mu held). */
static void
handle_read_locked(struct remote *r)
{
        struct proto_msg m = {0};
        struct diag d = {0};
        int n;

        while (!r->lost && (n = proto_next(&r->rd, &m, &d)) != 0) {
                if (n == -EMSGSIZE) {
                        lose_locked(r);
                        return;
                }
                if (n == 1)
                        handle_locked(r, &m);
                proto_release(&m);
        }
}

static void
read_pending_locked(struct remote *r)
{
        for (unsigned i = 0; i < 16 && r->pend_fd >= 0; i++) {
                struct proto_msg m = {0};
                struct diag d = {0};
                int fd = r->pend_fd;
                int n = proto_read(&r->pend_rd, fd);

                if (n == -EAGAIN)
                        return;
                if (n <= 0) {
                        drop_pending_locked(r);
                        return;
                }
                while (r->pend_fd >= 0 && (n = proto_next(&r->pend_rd, &m, &d)) != 0) {
                        if (n == 1)
                                handle_pending_locked(r, &m);
                        proto_release(&m);
                        if (n == -EMSGSIZE)
                                drop_pending_locked(r);
                }
                /* Attached: what it sent after its hello is in r->rd now. */
                if (r->o.fd == fd) {
                        handle_read_locked(r);
                        return;
                }
        }
}

/* A new connection: refused unless its uid is ours or root's. It replaces
 * a connecting client that has not been attached yet. */
static void
accept_locked(struct remote *r)
{
        int fd = accept4(r->o.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        uid_t uid = (uid_t)-1;
        pid_t pid = 0;

        if (fd < 0)
                return;
        if (!worker_peer_ok(fd, &uid, &pid)) {
                char *why = xasprintf(_("user %ld (pid %ld) may not attach to this upgrade: only its own user or root may"),
                                      (long)uid, (long)pid);

                send_refused(fd, why);
                close(fd);
                r->refused++;
                remote_note_locked(r, OUT_WARN, NULL, why);
                audit(r, "upshift: %s", why);
                free(why);
                return;
        }
        drop_pending_locked(r);
        r->pend_fd = fd;
}

static void
handle_locked(struct remote *r, struct proto_msg *m)
{
        struct pmsg_hello h;
        struct pmsg_reply rep;

        switch (pmsg_type_of(m)) {
        case PMSG_HELLO:
                pmsg_hello_decode(m, &h);
                if (h.v != PROTO_VERSION)
                        lose_locked(r);
                break;
        case PMSG_REPLY:
                pmsg_reply_decode(m, &rep);
                if (r->want_id != 0 && rep.id == r->want_id && !r->have_reply) {
                        r->reply = *m;
                        memset(m, 0, sizeof *m);
                        r->have_reply = true;
                        pthread_cond_broadcast(&r->cv);
                }
                break;
        case PMSG_INTERRUPT:
                if (r->o.interrupt && *r->o.interrupt == 0)
                        *r->o.interrupt = SIGINT;
                break;
        default:
                break;
        }
}

static void
read_locked(struct remote *r)
{
        for (unsigned i = 0; i < 64 && !r->lost; i++) {
                int n = proto_read(&r->rd, r->o.fd);

                if (n == -EAGAIN)
                        break;
                if (n <= 0) {
                        lose_locked(r);
                        return;
                }
                handle_read_locked(r);
        }
}

static void
write_locked(struct remote *r)
{
        while (r->q_off < r->q.len) {
                ssize_t n = send(r->o.fd, r->q.buf + r->q_off, r->q.len - r->q_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n <= 0) {
                        lose_locked(r);
                        return;
                }
                r->q_off += (size_t)n;
        }
        r->q.len = r->q_off = 0;
}

static void
wait_events(struct remote *r, int timeout)
{
        struct pollfd pfd[4];

        pfd[0] = (struct pollfd){ .fd = r->lost ? -1 : r->o.fd, .events = POLLIN };
        if (r->q_off < r->q.len)
                pfd[0].events |= POLLOUT;
        pfd[1] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
        pfd[2] = (struct pollfd){ .fd = r->stopping && r->attached_once ? -1 : r->o.listen_fd,
                                  .events = POLLIN };
        pfd[3] = (struct pollfd){ .fd = r->pend_fd, .events = POLLIN };
        pthread_mutex_unlock(&r->mu);
        if (poll(pfd, 4, timeout) < 0 && errno != EINTR) {
                pthread_mutex_lock(&r->mu);
                lose_locked(r);
                return;
        }
        pthread_mutex_lock(&r->mu);
        if (pfd[1].revents & POLLIN) {
                char buf[64];

                while (read(r->wake[0], buf, sizeof buf) > 0)
                        ;
                r->woken = false;
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
                read_locked(r);
        if ((pfd[0].revents & POLLOUT) && !r->lost)
                write_locked(r);
        if (pfd[2].revents & POLLIN)
                accept_locked(r);
        if (pfd[3].revents & (POLLIN | POLLHUP | POLLERR))
                read_pending_locked(r);
}

static void *
io_main(void *arg)
{
        struct remote *r = arg;
        int64_t deadline = 0;
        sigset_t set;

        /* Signals are the engine thread's (they only set its flag). */
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        pthread_mutex_lock(&r->mu);
        for (;;) {
                int64_t now = now_ms();
                int timeout = -1;
                bool unsent = r->seq_sent != r->seq_next;

                if (unsent && (r->stopping || now >= r->last_flush + REMOTE_FLUSH_MS)) {
                        remote_flush_lines_locked(r);
                        unsent = false;
                } else if (unsent) {
                        timeout = (int)(r->last_flush + REMOTE_FLUSH_MS - now);
                }
                if (r->q_off < r->q.len && !r->lost)
                        write_locked(r);
                if (r->stopping) {
                        /* A run that ended before its first client came
                         * (nothing to do) still waits for it, bounded. */
                        bool first = r->lost && !r->attached_once && r->o.listen_fd >= 0;

                        if (!first && (r->lost || (r->q_off >= r->q.len && !unsent)))
                                break;
                        if (deadline == 0)
                                deadline = now + REMOTE_DRAIN_MS;
                        if (now >= deadline)
                                break;
                        if (timeout < 0 || timeout > deadline - now)
                                timeout = (int)(deadline - now);
                }
                wait_events(r, timeout);
        }
        pthread_mutex_unlock(&r->mu);
        return NULL;
}

int
remote_thread_start(struct remote *r)
{
        if (pthread_create(&r->thread, NULL, io_main, r) != 0)
                return -1;
        r->thread_started = true;
        return 0;
}

void
remote_thread_stop(struct remote *r)
{
        if (!r->thread_started)
                return;
        pthread_mutex_lock(&r->mu);
        r->stopping = true;
        r->woken = false;
        {
                char c = 1;

                r->woken = write(r->wake[1], &c, 1) == 1;
        }
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
        r->thread_started = false;
}
