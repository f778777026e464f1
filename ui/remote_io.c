/* remote_io.c: the worker frontend's I/O thread (remote.h). It writes the
 * queue, sends log lines at most every REMOTE_FLUSH_MS, and reads what the
 * client sends: its hello, replies and interrupt requests. A client that
 * goes away is taken as SIGHUP: the engine stops at its next safe point. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remote_int.h"

static void
lose_locked(struct remote *r)
{
        if (r->lost)
                return;
        r->lost = true;
        if (r->o.interrupt && *r->o.interrupt == 0)
                *r->o.interrupt = SIGHUP;
        r->q.len = r->q_off = 0;
        pthread_cond_broadcast(&r->cv);
}

static void
handle_locked(struct remote *r, struct proto_msg *m)
{
        if (proto_is(m, "hello")) {
                if (proto_get_int(m, "v", 0) != PROTO_VERSION)
                        lose_locked(r);
                r->hello = true;
        } else if (proto_is(m, "reply")) {
                if (r->want_id != 0 && proto_get_int(m, "id", -1) == r->want_id &&
                    !r->have_reply) {
                        r->reply = *m;
                        memset(m, 0, sizeof *m);
                        r->have_reply = true;
                        pthread_cond_broadcast(&r->cv);
                }
        } else if (proto_is(m, "interrupt")) {
                if (r->o.interrupt && *r->o.interrupt == 0)
                        *r->o.interrupt = SIGINT;
        }
}

static void
read_locked(struct remote *r)
{
        for (unsigned i = 0; i < 64; i++) {
                struct proto_msg m = {0};
                struct diag d = {0};
                int n = proto_read(&r->rd, r->o.fd);

                if (n == -EAGAIN)
                        break;
                if (n <= 0) {
                        lose_locked(r);
                        return;
                }
                while ((n = proto_next(&r->rd, &m, &d)) != 0) {
                        if (n == -EMSGSIZE) {
                                lose_locked(r);
                                return;
                        }
                        if (n == 1)
                                handle_locked(r, &m);
                        proto_release(&m);
                }
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
                struct pollfd pfd[2];
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
                        if (r->lost || (r->q_off >= r->q.len && !unsent))
                                break;
                        if (deadline == 0)
                                deadline = now + REMOTE_DRAIN_MS;
                        if (now >= deadline)
                                break;
                        if (timeout < 0 || timeout > deadline - now)
                                timeout = (int)(deadline - now);
                }
                pfd[0] = (struct pollfd){ .fd = r->lost ? -1 : r->o.fd, .events = POLLIN };
                if (r->q_off < r->q.len)
                        pfd[0].events |= POLLOUT;
                pfd[1] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
                pthread_mutex_unlock(&r->mu);
                if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
                        pthread_mutex_lock(&r->mu);
                        lose_locked(r);
                        continue;
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
