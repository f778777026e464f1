/* service_int.h: what service.c and service_proc.c share. Not for use
 * outside lib/service*.c. */
#ifndef UPSHIFT_SERVICE_INT_H
#define UPSHIFT_SERVICE_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/diag.h"

/* Alive: signal 0 reaches it (or is refused: it exists but is not ours),
 * and it is not a zombie waiting for its parent. */
bool service_pid_alive(pid_t pid);
/* Read the pid from a pidfile. 1 and *ret_pid: names a live process; 0: no
 * file, empty, or the process is gone; <0: the file is unreadable or holds
 * something other than a pid. */
int  service_pidfile_live(const char *path, pid_t *ret_pid, struct diag *d);

#endif
