/* exec.h: child processes.
 *
 * Commands are argv vectors run with execvp, never through a shell, except
 * exec_opts.shell which runs "/bin/sh -c SCRIPT" (the plan's shell: key;
 * variables reach it only through the environment). The child gets its own
 * process group; a timeout or an interrupt sends SIGTERM to the whole group,
 * then SIGKILL after 5 seconds. stdin is /dev/null. stdout and stderr are
 * read line by line as they come (poll, no busy wait): each line goes to
 * on_line and to log_fd; stdout is also captured for matching.
 */
#ifndef UPSHIFT_EXEC_H
#define UPSHIFT_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/diag.h"

#define EXEC_CAPTURE_MAX (4u << 20)     /* stdout kept for matching: 4 MiB */

struct exec_opts {
        char *const *argv;              /* NULL-terminated; or NULL when shell is set */
        const char  *shell;             /* script for /bin/sh -c, or NULL */
        char *const *env;               /* "K=V" added to the environment, NULL-terminated, or NULL */
        const char  *cwd;               /* or NULL */
        long         timeout_ms;        /* 0: none */
        int          log_fd;            /* every output line is appended here, or -1 */
        /* fd is 1 or 2; line has no newline. May be NULL. */
        void       (*on_line)(void *ud, int fd, const char *line);
        void        *ud;
        /* Secret values, NULL-terminated, or NULL: each is replaced by
         * "********" in every line before it is logged, passed to on_line
         * or kept (out, err_tail). */
        char *const *mask;
        /* When non-NULL and it becomes non-zero, the child's group is asked to stop. */
        volatile sig_atomic_t *interrupt;
        /* A command that runs for long is said to: "still running after 5s:
         * CMD", after notice_ms (0: EXEC_NOTICE_MS), then each time twice as
         * long has gone by. Each notice goes to on_notice, or when it is
         * NULL to log_fd. */
        void       (*on_notice)(void *ud, const char *text);
        long         notice_ms;
        /* When set, exec_run starts the command detached with its output
         * appended here (exec_spawn_detached), does not wait, and returns
         * its pid in ret->pid. */
        const char  *detach_log;
};

#define EXEC_NOTICE_MS 5000

struct exec_result {
        int     status;                 /* exit code; 128+N when killed by signal N; -1: not started */
        bool    timed_out;
        bool    interrupted;
        char   *out;                    /* captured stdout (NUL-terminated, at most EXEC_CAPTURE_MAX) */
        size_t  out_len;
        char   *err_tail;               /* last lines of stderr (up to 4 KiB), NUL-terminated */
        pid_t   pid;                    /* with detach_log: the detached child */
};

/* Run and wait. Returns 0 when the command ran (whatever its exit status:
 * look at ret->status), or -errno when it could not be started (the message
 * in d: 'cannot run "foo": No such file or directory'). */
int  exec_run(const struct exec_opts *o, struct exec_result *ret, struct diag *d);
void exec_result_release(struct exec_result *r);

/* Start o's command detached and do not wait for it: its own session
 * (setsid), stdin /dev/null, stdout and stderr appended to log_path
 * (created 0600; /dev/null when NULL), o->env added, o->cwd; the other
 * fields are ignored. It outlives its parent. *ret_pid is its pid (a child
 * of the caller: reap it with waitpid). Returns 0, or -errno when it could
 * not be started (message in d). */
int  exec_spawn_detached(const struct exec_opts *o, const char *log_path, pid_t *ret_pid,
                         struct diag *d);
/* Start a child that runs child(arg), which must end in exec or _exit
 * and call only async-signal-safe functions. The child borrows our memory
 * until then (vfork): a fork would copy the page tables of our heap (tens
 * of MiB in a large swap) and leave every page of it copy-on-write, so
 * that each page we wrote afterwards took a fault, inside the downtime.
 * Call with every signal blocked: child runs with every signal at its
 * default disposition and none blocked. Returns the pid, or -1 with errno. */
pid_t exec_vfork(void (*child)(void *arg), void *arg);
/* A pidfd of pid (close-on-exec): poll() says POLLIN once it has exited.
 * -1 when the kernel has none (then poll for the exit with waitpid). */
int  exec_pidfd_open(pid_t pid);
/* The environment a child gets: ours, with add ("K=V", NULL-terminated, or
 * NULL) on top. free() the vector only: the strings are borrowed. */
char **exec_env_new(char *const *add);

/* Quote argv for display: words with spaces or quotes get single quotes. New string. */
char *exec_argv_display(char *const *argv);
/* How a shell: script is shown: "sh -c 'SCRIPT'", quoted like argv. New string. */
char *exec_shell_display(const char *script);
/* The line of a failed command's output that says why it failed: the
 * first of those that say most of "fatal", "error" or "panic" (each
 * weighs most), "cannot", "unable", "failed", "denied", "refused", "not
 * found", "no such", "invalid", "already" (and the like), else the last
 * line that is not blank. restic's "unable to create lock ...: already locked by PID 31363",
 * not the hint under it. "" when text holds no such line. New string. */
char *exec_headline(const char *text);

#endif
