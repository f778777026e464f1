/* state.h: what the journal says, summarised.
 *
 * state_replay() folds journal records (journal.h) into the state of the
 * current upgrade: each step's status and duration, the facts captured so
 * far, and whether the upgrade finished. The records and their meaning:
 *   {ev: journal, format, plan}                       header
 *   {ev: run_start, run, action, pid, user, target}   a process started working
 *   {ev: step_start, step}                            a step began
 *   {ev: fact, key, value}                            a fact (see engine.h)
 *   {ev: step_done, step, ms}                         it ended well
 *   {ev: step_failed, step, error}                    it failed (resumable)
 *   {ev: step_reset, step}                            back to pending (inhibited detect)
 *   {ev: run_end, result, exit}                       the process stopped working
 *   {ev: rollback_start}                              a rollback began
 *   {ev: undo_start, step} / {ev: undo_done, step}    one step's undo
 *   {ev: undo_failed, step, error}                    it failed (run rollback again)
 *   {ev: rollback_end, result}                        done: the upgrade is over,
 *                                                     the next run starts afresh
 * result is one of done, failed, inhibited, refused.
 */
#ifndef UPSHIFT_STATE_H
#define UPSHIFT_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "frontend.h"
#include "journal.h"
#include "util.h"

struct run_state {
        int               runs;                 /* run_start records */
        bool              started;              /* any step started */
        bool              complete;             /* every step done */
        bool              live;                 /* last run_start has no run_end */
        bool              rolling_back;         /* rollback_start without rollback_end */
        bool              rolled_back;          /* the last upgrade was rolled back */
        bool              undone[STEP_COUNT];   /* undo_done in this rollback */
        enum step_status  status[STEP_COUNT];
        int64_t           ms[STEP_COUNT];       /* -1 unless done */
        char             *error[STEP_COUNT];    /* last failure, or NULL */
        char             *target;               /* from the last run_start, or NULL */
        char             *last_result;          /* of the last run_end, or NULL */
        char             *first_time;           /* time of the first run_start */
        char             *last_time;            /* time of the last record */
        struct kvlist     facts;
};

void state_init(struct run_state *s);
/* Fold records into s (which must be initialised). Unknown events are ignored
 * (a newer upshift may add some); a record without its fields is an error. */
int  state_apply(struct run_state *s, const struct jrec *r, struct diag *d);
int  state_replay(struct run_state *s, const struct jrec *recs, size_t n, struct diag *d);
void state_release(struct run_state *s);

/* First step that is not done, or STEP_COUNT when all are. */
enum step_id state_next_step(const struct run_state *s);
const char  *state_status_name(enum step_status st);

#endif
