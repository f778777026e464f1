/* cli.h: the command line (man/upshift.1). main.c parses the options common to
 * every subcommand into struct cli and calls the subcommand's function, which
 * returns the exit code (upshift.h) and prints its own output. */
#ifndef UPSHIFT_CLI_H
#define UPSHIFT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/engine.h"
#include "lib/answers.h"
#include "lib/plan.h"

struct cli {
        const char *argv0;
        const char *sub;                /* the subcommand */
        const char *plan_arg;           /* PLAN as given, or NULL */
        const char *state_dir;          /* --state-dir, or NULL */
        const char *plans_dir;          /* --plans-dir, or NULL */
        const char *answers;            /* --answers, or NULL */
        const char *target;             /* --target, or NULL */
        bool        yes;
        bool        no_color;
        bool        plain;              /* --plain: the line frontend even on a terminal */
        bool        strict_packages;    /* --strict-packages */
        struct strv raw;                /* the arguments as given */
};

/* The plan search path, NULL-terminated (new vector; free with strv_release). */
void cli_plan_dirs(const struct cli *c, struct strv *ret);
/* Find and load the plan named by c->plan_arg; prints the error. 0 or EXIT_USAGE. */
int  cli_load_plan(const struct cli *c, struct plan **ret);
/* The state directory for plan id (--state-dir or the default). New string. */
char *cli_state_dir(const struct cli *c, const char *plan_id);
/* The command that does sub (run, rollback, attach, status) with what c
 * was given that sub takes: PLAN, --plans-dir and --state-dir (paths made
 * absolute), for run and rollback also --answers, --yes (--target for run),
 * shell-quoted, ready to paste. New string. */
char *cli_command(const struct cli *c, const char *sub);
/* Print "upshift: error: MSG" to stderr. */
void cli_error(const char *msg);

int cli_plan(struct cli *c);
/* run / rollback on a terminal: the wizard here, the engine in a worker
 * process (cli_wizard.c). on_signal is the handler that sets o->interrupt.
 * Returns the exit code, or -1 when the terminal cannot be used (then
 * nothing was done: use the line frontend). */
int cli_wizard(const struct cli *c, const struct plan *p, const struct answers *a,
               const struct engine_opts *o, bool rollback, const char *rollback_cmd,
               void (*on_signal)(int));
/* upshift attach: the wizard as a client of the worker already running in
 * o->state_dir (o->resume_cmd says how to resume). Returns the run's exit
 * code, or EXIT_USAGE when no worker runs there or there is no terminal. */
int cli_attach(const struct cli *c, const struct plan *p, const struct engine_opts *o);
/* What upshift plan shows, with vs's values (secrets masked), to out; the
 * wizard's review screen shows the same. */
void cli_plan_write(FILE *out, const struct plan *p, struct vars *vs, const char *state_dir);
int cli_status(struct cli *c);
/* Signals only set a flag through handler: SIGINT, SIGTERM and SIGHUP (a
 * closed terminal) stop the run at the next safe point; SIGPIPE is ignored,
 * so that writes to a vanished terminal or client never kill the run. */
void cli_catch_signals(void (*handler)(int));

#endif
