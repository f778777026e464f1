/* engine_int.h: what the engine's files share.
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
        const char               *label;        /* labels the run log's lines instead of
                                                   current's name (an undo's undo_label) */
        unsigned                  hop;              /* current hop, from 1 (engine_hop.c) */
        struct strv               hops;             /* each hop's target, from detect */
        bool                      uninterruptible;  /* let a running command finish */
        bool                      confirmed[STEP_COUNT];    /* asked ahead (engine_run.c) */
        bool                      ended;            /* the frontend's end was called */
        bool                      new_state_dir;    /* this run made the state directory */
        char                     *plan_text;        /* the plan file, or NULL (engine_plan.c) */
        char                      plan_sha256[65];  /* its SHA-256 */
        bool                      journal_failed;   /* a journal write failed */
        struct answers           *asked;            /* what engine_ask gathered, or NULL */
        struct strv               queued_keys;      /* facts queued, not journaled yet */
        struct strv               queued_values;
        struct kvlist             notes;            /* engine_note_set(): memory only */
        bool                      clean;            /* upshift clean */
        bool                      next_upgrade;     /* the last upgrade finished: keep its
                                                       old files, start afresh */
        char                     *version_change;   /* the report's, or NULL */
};

/* What the run log and the frontend label a line with now: e->label, the
 * current step's key, or NULL (the run itself: "upshift" in the log). */
const char *engine_line_label(const struct engine *e);
/* Append r to the journal and fold it into e->st; releases r. */
int  engine_journal(struct engine *e, struct jrec *r, struct diag *d);
/* A record {ev, step?, k: v?}. A failure to write it is said in d (which
 * may be NULL when a message is already there to keep). */
int  engine_event(struct engine *e, const char *ev, enum step_id id, const char *k,
                  const char *v, struct diag *d);
/* Everything before the first step (engine_open.c): checks of the inputs,
 * state directory, lock, journal replay, vars, run log, saved answers,
 * {ev: run_start}. RUN_DONE to go on, with *ret_over set when there is
 * nothing to do (the upgrade finished, or there is nothing to roll back:
 * said through the frontend); or why the run ends, the message in d. */
enum run_outcome engine_open(struct engine *e, const char *action, bool *ret_over,
                             struct diag *d);
/* Journal {ev: run_end}, show the report, release everything. Returns o. */
enum run_outcome engine_close(struct engine *e, enum run_outcome o, struct diag *d);
/* The report from the journal's facts. */
void engine_report(struct engine *e, struct run_report *rep, enum run_outcome o,
                   const char *msg);
/* Read the plan's file and its SHA-256 into e (engine_plan.c). 0, or
 * -EIO with the message in d. */
int  engine_plan_read(struct engine *e, struct diag *d);
/* When the plan's hash is not was_sha256 (the last run_start's; NULL: not
 * recorded), say so and which lines changed; then keep a copy of the plan
 * in the state directory. */
void engine_plan_note(struct engine *e, const char *was_sha256);
/* The run stops with the service down after a journal write failed
 * (engine_down.c). */
bool engine_down_after_failure(const struct engine *e);
/* msg, then that the service is down, how to start the old version by
 * hand (or roll back), and the path of a note written off the state
 * directory (*ret_log, NULL when none could be written). New string. */
char *engine_down_message(struct engine *e, const char *msg, char **ret_log);
/* The steps in order, from the first not done (engine_run.c). */
enum run_outcome engine_loop(struct engine *e, struct diag *d);
/* struct runner's run for the engine: shows the command, then engine_exec. */
int  engine_runner_run(void *ud, struct exec_opts *o, struct exec_result *ret, struct diag *d);
/* Refuse a journal naming a path where the plan could not have put one
 * (engine_trust.c): 0, or -EPERM with the record in d. vs: the run's vars. */
int  engine_check_journal_paths(const struct engine *e, const struct vars *vs,
                                struct diag *d);
/* engine_hop.c: true when the plan has path: stops or per_hop questions. */
bool engine_plan_has_hops(const struct plan *p);
/* engine_hop.c: the fact key of hop (from 1), as steps journal it
 * (step_hop_key: "hopN." before key after hop 1), or NULL. */
const char *engine_hop_fact(const struct engine *e, unsigned hop, const char *key);
/* The package (in vs) is readable and matches its SHA-256: 0, or a
 * negative errno with the message in d. */
int  engine_check_package(const struct plan *p, struct vars *vs, struct diag *d);
/* Before anything changes: run detect's version command, work out the
 * hops, and check the per-hop answers and each hop's package. 0 also when
 * the hops cannot be known yet (detect checks them); a negative errno
 * with d. */
int  engine_validate_hops(const struct plan *p, const struct answers *a,
                          const struct engine_opts *o, struct vars *vs, struct diag *d);
/* The hops as detect will find them (the version command run now, with
 * vs): 0 with ret filled, or -ENOENT when they cannot be known yet (the wizard
 * asks per_hop questions once per hop, engine_ask.c). */
int  engine_probe_hops(const struct plan *p, struct vars *vs, struct strv *ret);
/* Undo the started steps in reverse and check the old version (engine_undo.c).
 * Returns RUN_ROLLED_BACK, or RUN_STEP_FAILED with the message in d. */
enum run_outcome engine_undo_all(struct engine *e, struct diag *d);
/* Read-only checks of the answers before anything changes: the package is
 * readable and matches its SHA-256. 0, or a negative errno with d. */
int  engine_validate_inputs(const struct plan *p, const struct answers *a,
                            const struct engine_opts *o, struct diag *d);
/* An interactive run: ask what the answers lack, show the review, check the
 * inputs (engine_ask.c). RUN_DONE with e->answers replaced (owned by
 * e->asked), or RUN_BAD_INPUT / RUN_STEP_FAILED with the message in d. */
enum run_outcome engine_ask(struct engine *e, struct diag *d);
/* An interactive run: ask the items of step id's checklist not confirmed
 * yet, when the step is due. RUN_DONE when all are yes (or nothing to
 * ask), or RUN_STEP_FAILED with d set: the operator did not confirm them. */
enum run_outcome engine_ask_checklist(struct engine *e, enum step_id id, struct diag *d);
/* The finished upgrade's *.upshift-old files (the journal's swap targets)
 * moved into STATE/history/TIME/ and {ev: upgrade_kept} journaled, which
 * starts the next upgrade afresh; or, remove, deleted (and the history
 * with them), {ev: old_files_removed}. 0, or a negative errno with d. */
int  engine_history_keep(struct engine *e, bool remove, struct diag *d);

#endif
