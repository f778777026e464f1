/* exec_detach.c: a command started in a session of its own, not waited for
 * (exec.h: exec_spawn_detached). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/exec.h"
#include "lib/i18n.h"
#include "lib/util.h"

/* What detached_child needs, built before the child starts. */
struct detached_args {
        char *const *argv;
        char       **envp;
        const char  *cwd;
        int          in_fd, out_fd, err_w;
};

/* In the child, after vfork: only async-signal-safe calls. On failure the
 * errno goes down err_w (close-on-exec: EOF means exec happened). */
static void
detached_child(void *arg)
{
        const struct detached_args *c = arg;
        int err_w = c->err_w;
        int e;

        if (setsid() < 0 || dup2(c->in_fd, 0) < 0 || dup2(c->out_fd, 1) < 0 ||
            dup2(c->out_fd, 2) < 0 || (c->cwd != NULL && chdir(c->cwd) < 0))
                goto fail;
        /* It outlives us: none of our descriptors (the journal, the lock)
         * may stay open in it, close-on-exec or not. err_w is. */
        if (err_w > 3)
                close_range(3, (unsigned)err_w - 1, 0);
        close_range((unsigned)err_w + 1, ~0U, 0);
        execvpe(c->argv[0], c->argv, c->envp);
fail:
        e = errno;
        while (write(err_w, &e, sizeof e) < 0 && errno == EINTR)
                ;
        _exit(127);
}

int
exec_spawn_detached(const struct exec_opts *o, const char *log_path, pid_t *ret_pid,
                    struct diag *d)
{
        char *sh[] = { "/bin/sh", "-c", (char *)o->shell, NULL };
        char *const *argv = o->shell != NULL ? sh : o->argv;
        int in_fd, out_fd, p[2] = { -1, -1 }, e = 0, st;
        sigset_t all, old;
        char **envp;
        ssize_t n;
        pid_t pid;

        in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        out_fd = open(log_path != NULL ? log_path : "/dev/null",
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (in_fd < 0 || out_fd < 0 || pipe2(p, O_CLOEXEC) < 0) {
                e = errno;
                if (out_fd < 0 && log_path != NULL)
                        /* TRANSLATORS: %1$s is a file, %2$s the system's reason. */
                        diag_set(d, _("cannot open \"%s\": %s"), log_path, strerror(e));
                else
                        /* TRANSLATORS: %1$s is a program, %2$s why it failed. */
                        diag_set(d, _("cannot run \"%s\": %s"), argv[0], strerror(e));
                goto out;
        }
        envp = exec_env_new(o->env);
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid = exec_vfork(detached_child, &(struct detached_args){
                .argv = argv, .envp = envp, .cwd = o->cwd, .in_fd = in_fd, .out_fd = out_fd,
                .err_w = p[1] });
        e = pid < 0 ? errno : 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        free(envp);
        close(p[1]);
        p[1] = -1;
        if (pid < 0) {
                diag_set(d, _("cannot run \"%s\": %s"), argv[0], strerror(e));
                goto out;
        }
        do
                n = read(p[0], &e, sizeof e);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof e) {
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                diag_set(d, _("cannot run \"%s\": %s"), argv[0], strerror(e));
                goto out;
        }
        e = 0;
        *ret_pid = pid;
out:
        if (in_fd >= 0)
                close(in_fd);
        if (out_fd >= 0)
                close(out_fd);
        if (p[0] >= 0)
                close(p[0]);
        if (p[1] >= 0)
                close(p[1]);
        return -e;
}
