/* worker.h: where the wizard finds the engine's worker again (issue 8).
 *
 * A worker listens on DIR/worker.sock in its state directory (0700), a
 * Unix socket of mode 0600. It is made under a private name, listening,
 * and then hard-linked to that name: whoever finds DIR/worker.sock finds a
 * socket that was listening, so a connection refused there means its
 * worker is dead (a stale socket), and two workers starting at once cannot
 * both take the name. The worker accepts only peers of its own uid or root
 * (SO_PEERCRED). Paths too long for sun_path go through /proc/self/fd.
 *
 * No curses here: upshift status uses worker_query().
 */
#ifndef UPSHIFT_WORKER_H
#define UPSHIFT_WORKER_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/diag.h"
#include "lib/lock.h"
#include "ui/proto.h"

struct worker_sock {
        int   fd;                       /* listening; -1 when none */
        dev_t dev;                      /* of DIR/worker.sock, to remove only ours */
        ino_t ino;
};

/* Connect to the worker of state_dir. Returns 1 with *ret_fd connected; 0
 * when there is none (no socket, or a stale one, which is removed and
 * *ret_stale set); -1 with d set (for example another user's worker). */
int  worker_connect(const char *state_dir, int *ret_fd, bool *ret_stale, struct diag *d);

/* Listen on DIR/worker.sock. Returns 1; 0 when another worker's socket
 * took the name first (connect to it instead); -1 with d set. */
int  worker_listen(const char *state_dir, struct worker_sock *ret, struct diag *d);

/* Close the listening socket and remove DIR/worker.sock if it is still
 * the one ws made. */
void worker_unlisten(const char *state_dir, struct worker_sock *ws);

/* True when the peer on fd runs as our effective uid or as root; its uid
 * and pid in *ret_uid and *ret_pid (either may be NULL). */
bool worker_peer_ok(int fd, uid_t *ret_uid, pid_t *ret_pid);

/* A hello of this process in role ("client", "status"): the protocol
 * version, the user, the terminal, the pid. */
void worker_hello(struct proto_msg *m, const char *role);

/* What a worker says of itself (upshift status). */
struct worker_info {
        long  pid;
        bool  rollback;                 /* it runs a rollback, not an upgrade */
        bool  waiting;                  /* for the operator's answer */
        char *what;                     /* what it waits for, or NULL */
        char *client;                   /* who is attached ("root on /dev/pts/1, pid 12"), or NULL */
};

/* Ask the worker of state_dir how it stands (waits at most 2 s). Returns 1
 * with *ret filled (release it), 0 when no worker listens there, -1 with d
 * set. */
int  worker_query(const char *state_dir, struct worker_info *ret, struct diag *d);
void worker_info_release(struct worker_info *wi);

/* "USER on TTY, pid PID (since TIME)" from a hello or busy message's
 * user, tty, pid and since. New string. */
char *worker_who(const struct proto_msg *m);

#endif
