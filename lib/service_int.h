/* service_int.h: what service.c and service_proc.c share. Not for use
 * outside lib/service*.c. */
#ifndef UPSHIFT_SERVICE_INT_H
#define UPSHIFT_SERVICE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/diag.h"

/* Alive: signal 0 reaches it (or is refused: it exists but is not ours),
 * and it is not a zombie waiting for its parent. */
bool service_pid_alive(pid_t pid);
/* Read the pid from a pidfile. 1 and *ret_pid: names a live process; 0: no
 * file, empty, or the process is gone; <0: the file is unreadable or holds
 * something other than a pid. */
int  service_pidfile_live(const char *path, pid_t *ret_pid, struct diag *d);

/* Start the service's start command (argv, or shell) detached, through
 * the runner (exec_opts.detach_log: its own session, its output appended
 * to s->start_log) and watch it until it exits, or the service is up (s's
 * pid file names it; or, the pid file naming no live process, s->ready
 * says so, or without a pid file s's port answers: then its pid is
 * written to the pid file) while it still runs, or deadline (now_ms())
 * passes, or the runner's interrupt flag (handed back in *ret_interrupt)
 * is set. 0: it exited, its status (128+N: killed by signal N) in
 * *ret_status and the end of what it wrote
 * to the log in *ret_output (new string, or NULL; also on -ETIMEDOUT and
 * -EINTR); 1: it still runs and the service is up (also at the deadline
 * when the pid file names another live process): it is the service, in
 * the foreground; -ETIMEDOUT, -EINTR (its session was sent SIGTERM), or
 * another <0 with a message in d. */
struct service;
struct runner;
int  service_spawn_watch(const struct service *s, const struct runner *r, char *const *argv,
                         const char *shell, int64_t deadline,
                         volatile sig_atomic_t **ret_interrupt, int *ret_status,
                         char **ret_output, struct diag *d);

#endif
