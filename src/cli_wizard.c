/* cli_wizard.c: upshift run and rollback on a terminal. The wizard (ui/tui.h)
 * draws in this process; the engine runs in a child, the worker, in a
 * session of its own and with the lock, talking to the wizard over a
 * socket pair through the remote frontend (ui/remote.h). A wizard that
 * goes away (the terminal closed) does not stop a running command: the
 * worker stops at its next safe point, as on SIGHUP. */
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

#include "cli.h"
#include "engine.h"
#include "i18n.h"
#include "journal.h"
#include "lock.h"
#include "remote.h"
#include "state.h"
#include "tui.h"

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
ask_resume(struct tui *t, const char *state_dir)
{
        struct journal_damage damage = {0};
        struct run_state st;
        struct lock_holder h;
        struct jrec *recs = NULL;
        struct diag d = {0};
        enum tui_resume r = TUI_RESUME;
        size_t n = 0;

        if (lock_peek(state_dir, &h) == 1)
                return TUI_RESUME;
        state_init(&st);
        if (journal_replay(state_dir, false, &recs, &n, &damage, &d) == 0 && n > 0 &&
            state_replay(&st, recs, n, &d) == 0 &&
            ((st.started && !st.complete) || st.rolling_back)) {
                char *log = last_log(state_dir);

                r = tui_resume(t, &st, log);
                free(log);
        }
        journal_records_free(recs, n);
        free(damage.kept_copy);
        state_release(&st);
        return r;
}

static void
worker(struct tui *t, int fd, const struct plan *p, const struct answers *a,
       const struct engine_opts *o, bool rollback, void (*on_signal)(int))
{
        struct remote_opts ro = {
                .fd = fd, .plan = p, .state_dir = o->state_dir, .interrupt = o->interrupt,
                .show_plan = cli_plan_write,
        };
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
        fe = remote_new(&ro);
        r = (rollback ? engine_rollback : engine_run)(p, a, o, fe, &d);
        remote_free(fe);
        exit(r);
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
        int sv[2], code;
        pid_t pid;

        if (t == NULL)
                return -1;
        if (!rollback) {
                switch (ask_resume(t, o->state_dir)) {
                case TUI_QUIT:
                        tui_free(t);
                        printf(_("upshift: the upgrade was left as it was; resume with: %s\n"),
                               o->resume_cmd);
                        return EXIT_STEPFAIL;
                case TUI_ROLLBACK:
                        rollback = true;
                        break;
                default:
                        break;
                }
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                tui_free(t);
                fprintf(stderr, _("upshift: error: cannot make a socket pair: %s\n"),
                        strerror(errno));
                return EXIT_STEPFAIL;
        }
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                tui_free(t);
                fprintf(stderr, _("upshift: error: cannot start the engine's process: %s\n"),
                        strerror(errno));
                close(sv[0]);
                close(sv[1]);
                return EXIT_STEPFAIL;
        }
        if (pid == 0) {
                close(sv[0]);
                worker(t, sv[1], p, a, o, rollback, on_signal);
        }
        close(sv[1]);
        code = tui_run(t, sv[0], pid);
        tui_free(t);
        return code;
}
