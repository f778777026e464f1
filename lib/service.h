/* service.h: starting and stopping the service.
 *
 * Backends: systemd (systemctl start|stop|is-active NAME), sysv
 * (service NAME start|stop|status), openrc (rc-service NAME ...), and pidfile
 * (start: the plan's start command, then wait until the pidfile names a live
 * process; stop: the plan's stop command, or SIGTERM to the pid). Every stop
 * waits until the process has exited (and the port, when given, is closed),
 * at most timeout_ms. Commands are run through the caller's runner, so their
 * output reaches the log and the frontend.
 */
#ifndef UPSHIFT_SERVICE_H
#define UPSHIFT_SERVICE_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/diag.h"
#include "lib/exec.h"
#include "lib/plan.h"
#include "lib/sha256.h"

/* A service with every ${...} already expanded. */
struct service {
        enum svc_manager manager;       /* never SVC_FROM_VAR here */
        char   *name;
        char   *pidfile;
        char  **start_argv;             /* NULL-terminated, or NULL */
        char   *start_shell;
        char  **stop_argv;
        char   *stop_shell;
        char  **start_env;              /* NAME=value added to the start command's, or NULL */
        char  **stop_env;
        char   *start_log;              /* a start command run detached writes here, or NULL */
        /* The plan's own readiness check, or NULL: 1 ready, 0 not yet. A
         * start command still running when it says ready is the service. */
        int    (*ready)(void *ud);
        void    *ready_ud;
        int     port;                   /* 0: none */
        long    timeout_ms;
};

/* How the service runs commands: fills in log_fd/on_line/env of opts. */
struct runner {
        int    (*run)(void *ud, struct exec_opts *o, struct exec_result *ret, struct diag *d);
        void    *ud;
};

/* Manager from its plan name ("systemd"), or -1. */
int  service_manager_from_name(const char *name);
const char *service_manager_name(enum svc_manager m);

/* 1 running, 0 stopped, <0 could not tell (message in d). *ret_pid, when
 * given and known, is the main pid. */
int  service_status(const struct service *s, const struct runner *r, pid_t *ret_pid,
                    struct diag *d);
/* Stop and wait until it is gone. Returns 0 or <0 with a message naming
 * what still runs. Stopping a stopped service succeeds. */
int  service_stop(const struct service *s, const struct runner *r, struct diag *d);
/* Start; for pidfile, wait until the pid file names a live process.
 * Without a manager, a start command is run detached (its own session,
 * output to start_log) when a pid file, port or ready check tells when the
 * service is up: one that exits 0 daemonized; one still running once the
 * service is up (the pid file names it; or, the pid file naming no live
 * process, ready says so; or, without a pid file, the port answers or
 * ready says so) stays in the foreground and is left running as the
 * service: returns 1. When the pid file does not name it, its pid is
 * written there (as start-stop-daemon --make-pidfile does), so that status
 * and stop find it. Else 0, or <0 with a message. */
int  service_start(const struct service *s, const struct runner *r, struct diag *d);
void service_release(struct service *s);

/* The executable process pid runs: *ret_path is where /proc/PID/exe says
 * it was started from (new string), without the " (deleted)" the kernel
 * adds when that name has since been replaced or removed (then
 * *ret_deleted is true); hex is the SHA-256 of what it runs, read through
 * /proc/PID/exe (the replaced file too). 0, or <0 with a message in d. */
int  service_exe(pid_t pid, char **ret_path, bool *ret_deleted,
                 char hex[SHA256_HEX_LEN + 1], struct diag *d);

/* True when something accepts TCP connections on 127.0.0.1:port. */
bool port_open(int port);

#endif
