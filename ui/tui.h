/* tui.h: the ncurses wizard, a client of the engine's worker.
 *
 * src/cli_wizard.c starts it on a terminal: tui_new() takes the terminal
 * and draws the first frame from the plan alone; tui_resume() asks what to
 * do with an unfinished upgrade; then the engine is started in a worker
 * process (ui/remote.c) and tui_run() draws what it sends and answers its
 * questions over the socket until the run ends. Only ui/tui*.c include
 * curses. One poll() loop serves the keyboard, the socket and a self-pipe
 * for SIGWINCH, SIGCHLD, SIGHUP, SIGINT and SIGTERM: keys, resizes and log
 * lines stay live while a step runs.
 */
#ifndef UPSHIFT_TUI_H
#define UPSHIFT_TUI_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine/state.h"
#include "lib/diag.h"
#include "lib/plan.h"

struct tui_opts {
        const struct plan *plan;
        const char        *state_dir;
        const char        *resume_cmd;  /* shown when the run stops */
        const char        *rollback_cmd;        /* shown when the upgrade is done */
        bool               no_color;    /* --no-color or NO_COLOR */
        bool               rollback;    /* upshift rollback */
};

struct tui;

/* Take the terminal and draw the first frame. NULL with d set when it
 * cannot (no usable terminal). */
struct tui *tui_new(const struct tui_opts *o, struct diag *d);

enum tui_resume {
        TUI_RESUME,
        TUI_ROLLBACK,
        TUI_QUIT,
};

/* The resume screen: st is an unfinished upgrade (what was done, what was
 * in progress); log_path the last run's log or NULL. */
enum tui_resume tui_resume(struct tui *t, const struct run_state *st, const char *log_path);

/* Draw what the worker (pid, on the connected socket fd) sends and answer
 * it, until the run ends and the operator leaves the last screen. Returns
 * the run's exit code. Takes fd over. */
int  tui_run(struct tui *t, int fd, pid_t worker);

/* In the worker after fork(): drop the wizard's descriptors and signal
 * handlers without touching the terminal. */
void tui_forget(struct tui *t);

/* Give the terminal back (and print the report of the run, if any).
 * NULL does nothing. */
void tui_free(struct tui *t);

#endif
