/* remote.h: the frontend of the engine's worker process.
 *
 * The wizard runs the engine in a child process (the worker, src/main.c)
 * and draws in the parent. In the worker, this frontend turns every call
 * the engine makes into a message of the worker protocol (ui/proto.h) on
 * a socket, and blocks for the reply where the call needs one (ask, form,
 * confirm, failure, review). A thread of its own writes and reads the
 * socket, so that the engine never waits on the wizard except for an
 * answer, and the wizard's requests (interrupt) arrive while a command runs.
 *
 * Log lines are not sent one by one: they go into a ring of the last
 * REMOTE_RING lines and are sent at most every REMOTE_FLUSH_MS, the newest
 * REMOTE_BATCH of them, with a "skip" message counting the others (the
 * whole output is in the run log). So a command printing a gigabyte costs
 * the wizard a few thousand lines a second at most.
 *
 * The worker keeps what a client needs to draw the current screen: the
 * plan, the begin message, each step's last state, the last progress, the
 * ring of lines, the question waiting for an answer and the end.
 *
 * Clients (issue 8): with a listening socket (ui/worker.h), the worker
 * starts with no client and accepts them there. The first one to say
 * hello is attached and is sent remote_snapshot(); a later one is told who
 * is attached ("busy") and takes over by sending "takeover", whereupon the
 * first is sent "detached" and closed. A client that goes away costs
 * nothing: the engine runs on, and a question waits for the next client.
 * Peers of another uid than the worker's (and not root) are refused.
 */
#ifndef UPSHIFT_REMOTE_H
#define UPSHIFT_REMOTE_H

#include <signal.h>
#include <stdio.h>

#include "engine/frontend.h"
#include "lib/plan.h"
#include "lib/util.h"
#include "lib/vars.h"

#define REMOTE_RING      1024
#define REMOTE_BATCH     200
#define REMOTE_FLUSH_MS  50
#define REMOTE_LINE_MAX  4096           /* longer lines are cut (whole in the log) */

struct remote_opts {
        int                    fd;              /* a connected stream socket, taken over; or -1 */
        /* A listening socket (worker_listen) for clients to come, or -1:
         * then the one client is fd, and when it goes away the engine is
         * interrupted as by SIGHUP. Not taken over. */
        int                    listen_fd;
        const struct plan     *plan;
        const char            *state_dir;
        bool                   rollback;        /* the engine rolls back: said in hello and status */
        /* Set to SIGINT when the wizard asks to stop, to SIGHUP when it goes
         * away: the engine stops at its next safe point. */
        volatile sig_atomic_t *interrupt;
        /* Writes what upshift plan shows (cli_plan_write), for the review. */
        void (*show_plan)(FILE *out, const struct plan *p, struct vars *vs,
                          const char *state_dir);
};

/* Start the frontend and its thread, and send hello and plan. */
struct frontend *remote_new(const struct remote_opts *o);
/* Send what is queued (waiting a bounded time for a client that does not
 * read), stop the thread, close the socket, free. NULL does nothing. */
void remote_free(struct frontend *fe);
/* True while no client is attached (it went away, or none came yet). */
bool remote_lost(struct frontend *fe);
/* Append, encoded, what a client connecting now needs to draw the current
 * screen. */
void remote_snapshot(struct frontend *fe, struct strbuf *out);
/* Tell the client the worker is about to exit with code ("bye"). */
void remote_bye(struct frontend *fe, int code);

#endif
