/* cli_wizard.c: upshift run, rollback and attach on a terminal. The wizard
 * (ui/tui.h) draws in this process; the engine runs in a child, the
 * worker, in a session of its own, with the lock and no terminal, through
 * the remote frontend (ui/remote.h). The worker listens on a socket in
 * the state directory (ui/worker.h) and the wizard is its client: when the
 * terminal goes away the worker runs on and waits for the operator at the
 * next question; upshift run (or attach) on another terminal re-attaches. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/state.h"
#include "lib/i18n.h"
#include "lib/journal.h"
#include "lib/lock.h"
#include "ui/remote.h"
#include "ui/tui.h"
#include "ui/worker.h"

/* The newest log file of the state directory, or NULL. New string. */
static char *
last_log(const char *state_dir)
{
        char *dir = path_join(state_dir, "log"), *best = NULL;
        struct dirent **names = NULL;
        time_t best_t = 0;
        int n = scandir(dir, &names, NULL, alphasort);

        for (int i = 0; i < n; i++) {
                char *p = path_join(dir, names[i]->d_name);
                struct stat st;

                if (names[i]->d_name[0] != '.' && stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
                    (best == NULL || st.st_mtime >= best_t)) {
                        free(best);
                        best = p;
                        best_t = st.st_mtime;
                } else {
                        free(p);
                }
                free(names[i]);
        }
        free(names);
        free(dir);
        return best;
}

/* An unfinished upgrade in the state directory: show the resume screen.
 * Returns what the operator chose; TUI_RESUME when there is nothing to
 * resume (or a live run holds the lock: the worker will say so). */
static enum tui_resume
ask_resume(struct tui *t, const char *state_dir, bool *ret_rolling_back)
{
        struct run_state st;
        struct lock_holder h;
        struct diag d = {0};
        enum tui_resume r = TUI_RESUME;

        if (lock_peek(state_dir, &h) == 1)
                return TUI_RESUME;
        state_init(&st);
        if (engine_state_load(state_dir, false, &st, NULL, NULL, &d) == 0 && st.records > 0 &&
            ((st.started && !st.complete) || st.rolling_back)) {
                char *log = last_log(state_dir);

                *ret_rolling_back = st.rolling_back;
                r = tui_resume(t, &st, log);
                free(log);
        }
        state_release(&st);
        return r;
}

static void
worker(struct tui *t, struct worker_sock *ws, const struct plan *p, const struct answers *a,
       const struct engine_opts *o, bool rollback, bool new_dir, void (*on_signal)(int))
{
        struct remote_opts ro = {
                .fd = -1, .listen_fd = ws->fd, .plan = p, .state_dir = o->state_dir,
                .interrupt = o->interrupt, .show_plan = cli_plan_write,
                .rollback = rollback,
        };
        struct engine_opts wo;
        struct frontend *fe;
        struct diag d = {0};
        int null, r;

        tui_forget(t);
        setsid();
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                close(null);
        }
        cli_catch_signals(on_signal);
        wo = *o;
        wo.stdio_to_log = true;
        wo.new_state_dir = new_dir;
        fe = remote_new(&ro);
        r = run_outcome_exit((rollback ? engine_rollback : engine_run)(p, a, &wo, fe, &d));
        remote_bye(fe, r);
        remote_free(fe);
        worker_unlisten(o->state_dir, ws);
        exit(r);
}

/* Start a worker listening in the state directory. Returns 1 with the
 * worker's pid and a connection to it, 0 when another worker took the
 * socket's name first (connect to that one), or an exit code. */
static int
start_worker(struct tui *t, const struct plan *p, const struct answers *a,
             const struct engine_opts *o, bool rollback, void (*on_signal)(int),
             pid_t *ret_pid, int *ret_fd)
{
        struct worker_sock ws;
        struct diag d = {0};
        bool new_dir = !path_exists(o->state_dir);
        pid_t pid;
        int r;

        if (engine_check_state_parents(o->state_dir, &d) < 0 ||
            mkdir_p(o->state_dir, 0700, &d) < 0 || engine_check_state_dir(o->state_dir, &d) < 0 ||
                    (r = worker_listen(o->state_dir, &ws, &d)) < 0) {
                tui_free(t);
                cli_error(d.msg);
                return EXIT_USAGE;
        }
        if (r == 0)
                return 0;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                int err = errno;

                worker_unlisten(o->state_dir, &ws);
                tui_free(t);
                fprintf(stderr, _("upshift: error: cannot start the engine's process: %s\n"),
                        strerror(err));
                return EXIT_STEPFAIL;
        }
        if (pid == 0)
                worker(t, &ws, p, a, o, rollback, new_dir, on_signal);
        close(ws.fd);
        /* It listened before it was forked: this connects at once. */
        if (worker_connect(o->state_dir, ret_fd, NULL, &d) != 1) {
                kill(pid, SIGTERM);
                tui_free(t);
                cli_error(diag_isset(&d) ? d.msg : _("cannot connect to the engine's process"));
                return EXIT_STEPFAIL;
        }
        *ret_pid = pid;
        return 1;
}

/* Connect to the worker of the state directory, if one runs. 1 with
 * *ret_fd, 0 when none runs, or an exit code (the wizard is freed). */
static int
find_worker(struct tui *t, const char *state_dir, int *ret_fd)
{
        struct diag d = {0};
        int r = worker_connect(state_dir, ret_fd, NULL, &d);

        if (r < 0) {
                tui_free(t);
                cli_error(d.msg);
                return EXIT_USAGE;
        }
        return r;
}

/* upshift rollback while a worker runs the upgrade: attaching would show
 * the upgrade, not a rollback. Say how to go on instead (exit 75, as for a
 * held lock). 0 when no upgrade's worker runs. */
static int
refuse_rollback_over_upgrade(const struct cli *c, struct tui *t, const struct plan *p,
                             const char *state_dir)
{
        struct worker_info wi;
        struct diag d = {0};
        char *msg, *attach;

        if (worker_query(state_dir, &wi, &d) != 1)
                return 0;
        if (wi.rollback) {
                worker_info_release(&wi);
                return 0;
        }
        tui_free(t);
        msg = xasprintf(_("the upgrade of %s is running (worker pid %ld): attach to it (it offers Roll back when a step fails), or stop it at its next safe point with kill -TERM %ld, then run the rollback again; attach with:"),
                        p->id, wi.pid, wi.pid);
        attach = cli_command(c, "attach");
        cli_error(msg);
        fprintf(stderr, "  %s\n", attach);
        free(attach);
        free(msg);
        worker_info_release(&wi);
        return EXIT_LOCKED;
}

/* Be the client of the worker on fd (our child pid, or 0) until the run
 * ends or the operator leaves. */
static int
attach(struct tui *t, int fd, pid_t pid)
{
        int code = tui_run(t, fd, pid);

        tui_free(t);
        return code;
}

int
cli_wizard(const struct cli *c, const struct plan *p, const struct answers *a,
           const struct engine_opts *o, bool rollback, const char *rollback_cmd,
           void (*on_signal)(int))
{
        struct tui_opts to = {
                .plan = p, .state_dir = o->state_dir, .resume_cmd = o->resume_cmd,
                .rollback_cmd = rollback_cmd, .no_color = c->no_color, .rollback = rollback,
        };
        struct diag d = {0};
        struct tui *t = tui_new(&to, &d);
        int fd = -1, r;
        pid_t pid = 0;

        if (t == NULL)
                return -1;
        if (rollback && (r = refuse_rollback_over_upgrade(c, t, p, o->state_dir)) != 0)
                return r;
        /* A worker runs already (its terminal went away): attach to it. */
        if ((r = find_worker(t, o->state_dir, &fd)) != 0)
                return r == 1 ? attach(t, fd, 0) : r;
        if (!rollback) {
                bool rolling_back = false;

                switch (ask_resume(t, o->state_dir, &rolling_back)) {
                case TUI_QUIT:
                        tui_free(t);
                        printf(rolling_back
                               ? _("upshift: the rollback was left as it was; finish it with:\n  %s\n")
                               : _("upshift: the upgrade was left as it was; resume with:\n  %s\n"),
                               rolling_back ? rollback_cmd : o->resume_cmd);
                        return EXIT_STEPFAIL;
                case TUI_ROLLBACK:
                        rollback = true;
                        break;
                default:
                        break;
                }
        }
        /* Two wizards starting at once: the second attaches to the first. */
        for (unsigned tries = 0; tries < 3; tries++) {
                r = start_worker(t, p, a, o, rollback, on_signal, &pid, &fd);
                if (r == 1)
                        return attach(t, fd, pid);
                if (r != 0 || (r = find_worker(t, o->state_dir, &fd)) != 0)
                        return r == 1 ? attach(t, fd, 0) : r;
        }
        tui_free(t);
        cli_error(_("another wizard keeps starting and stopping a worker in this state directory: try again"));
        return EXIT_LOCKED;
}

int
cli_attach(const struct cli *c, const struct plan *p, const struct engine_opts *o)
{
        struct tui_opts to = {
                .plan = p, .state_dir = o->state_dir, .resume_cmd = o->resume_cmd,
                .no_color = c->no_color,
        };
        struct diag d = {0};
        struct tui *t = tui_new(&to, &d);
        int fd = -1, r;

        if (t == NULL) {
                cli_error(_("upshift attach needs a terminal"));
                return EXIT_USAGE;
        }
        if ((r = find_worker(t, o->state_dir, &fd)) != 0)
                return r == 1 ? attach(t, fd, 0) : r;
        tui_free(t);
        fprintf(stderr, _("upshift: no upgrade of %s is running in %s: start or resume it with:\n  %s\n"),
                p->id, o->state_dir, o->resume_cmd);
        return EXIT_USAGE;
}
