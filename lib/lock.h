/* lock.h: the state directory's lock.
 *
 * DIR/lock is flock(2)ed exclusively while a run is live and holds one line
 * describing the holder: "pid=123 user=root tty=/dev/pts/1 since=2026-...Z".
 * A lock left by a dead process is free (flock dies with it) and is taken
 * over; its holder line is rewritten.
 */
#ifndef UPSHIFT_LOCK_H
#define UPSHIFT_LOCK_H

#include <sys/types.h>

#include "lib/diag.h"

/* The socket a wizard's worker listens on, beside the lock (ui/worker.c):
 * a held lock with this socket present is a worker's. */
#define WORKER_SOCK "worker.sock"

struct lock_holder {
        pid_t pid;
        char  user[64];
        char  tty[64];
        char  since[32];
};

struct lock;

/* Take the lock. Returns 0; -EWOULDBLOCK when another live process holds it
 * (then *ret_holder, if given, is filled, d->code is EXIT_LOCKED and d says
 * "DIR/lock is held by another upshift run: pid 123, user root, tty
 * /dev/pts/1, since ..."); or -errno. lock_release(NULL) does nothing. */
int  lock_take(const char *dir, struct lock **ret, struct lock_holder *ret_holder,
               struct diag *d);
/* Read who holds it without taking it. Returns 1 if held, 0 if free (or no
 * lock file), -errno on other errors. Never creates the file. */
int  lock_peek(const char *dir, struct lock_holder *ret_holder);
void lock_release(struct lock *l);

#endif
