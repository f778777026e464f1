/* engine_int.h: what engine.c, engine_run.c and engine_undo.c share.
 * Not for step modules: they use engine.h. */
#ifndef UPSHIFT_ENGINE_INT_H
#define UPSHIFT_ENGINE_INT_H

#include "engine/engine.h"
#include "engine/state.h"
#include "lib/journal.h"
#include "lib/lock.h"
#include "lib/runlog.h"
#include "steps/step.h"

struct engine {
        const struct plan        *plan;
        const struct answers     *answers;
        const struct engine_opts *opts;
        struct frontend          *fe;
        struct vars               vars;
        struct run_state          st;
        struct journal           *journal;
        struct lock              *lock;
        struct runlog             log;
        struct runner             runner;
        struct step_module        mods[STEP_COUNT];
        enum step_id              current;
        unsigned                  hop;              /* current hop, from 1 (engine_hop.c) */
        struct strv               hops;             /* each hop's target, from detect */
        bool                      uninterruptible;  /* let a running command finish */
        bool                      ended;            /* the frontend's end was called */
        bool                      declined;         /* the operator said no to a step */
        struct answers           *asked;            /* what engine_ask gathered, or NULL */
};

/* Append r to the journal and fold it into e->st; releases r. */
int  engine_journal(struct engine *e, struct jrec *r, struct diag *d);
/* A record {ev, step?, k: v?}. A failure to write it is said in d (which
 * may be NULL when a message is already there to keep). */
int  engine_event(struct engine *e, const char *ev, enum step_id id, const char *k,
                  const char *v, struct diag *d);
/* Everything before the first step: checks of the inputs, state directory,
 * lock, journal replay, vars, run log, saved answers, {ev: run_start}.
 * Returns 0; -1 when there is nothing to do (the upgrade finished, or there
 * is nothing to roll back: said through the frontend); or an exit code with
 * the message in d. */
int  engine_open(struct engine *e, const char *action, struct diag *d);
/* Journal {ev: run_end}, show the report, release everything. */
int  engine_close(struct engine *e, int code, struct diag *d);
/* The report from the journal's facts. */
void engine_report(struct engine *e, struct run_report *rep, int code, const char *msg);
/* struct runner's run for the engine: shows the command, then engine_exec. */
int  engine_runner_run(void *ud, struct exec_opts *o, struct exec_result *ret, struct diag *d);
/* engine_hop.c: true when the plan has path: stops or per_hop questions. */
bool engine_plan_has_hops(const struct plan *p);
/* The package (in vs) is readable and matches its SHA-256: 0, or -1 (d). */
int  engine_check_package(const struct plan *p, struct vars *vs, struct diag *d);
/* Before anything changes: run detect's version command, work out the
 * hops, and check the per-hop answers and each hop's package. 0 also when
 * the hops cannot be known yet (detect checks them); -1 with d. */
int  engine_validate_hops(const struct plan *p, const struct answers *a,
                          const struct engine_opts *o, struct vars *vs, struct diag *d);
/* The hops as detect will find them (the version command run now, with
 * vs): 0 with ret filled, or -1 when they cannot be known yet (the wizard
 * asks per_hop questions once per hop, engine_ask.c). */
int  engine_probe_hops(const struct plan *p, struct vars *vs, struct strv *ret);
/* Undo the started steps in reverse and check the old version (engine_undo.c).
 * Returns EXIT_ROLLEDBACK or an exit code. */
int  engine_undo_all(struct engine *e, struct diag *d);
/* Read-only checks of the answers before anything changes: the package is
 * readable and matches its SHA-256. 0, or -1 with the message in d. */
int  engine_validate_inputs(const struct plan *p, const struct answers *a,
                            const struct engine_opts *o, struct diag *d);
/* An interactive run: ask what the answers lack, show the review, check the
 * inputs (engine_ask.c). 0 with e->answers replaced (owned by e->asked), or
 * an exit code with the message in d. */
int  engine_ask(struct engine *e, struct diag *d);
/* An interactive run: ask the items of step id's checklist not confirmed
 * yet, when the step is due. 0 when all are yes (or nothing to ask), or
 * EXIT_STEPFAIL with d set: the operator did not confirm them. */
int  engine_ask_checklist(struct engine *e, enum step_id id, struct diag *d);

#endif
