/* state.h: what the journal says, summarised.
 *
 * state_replay() folds journal records (journal.h) into the state of the
 * current upgrade: each step's status and duration, the facts captured so
 * far, and whether the upgrade finished. The records and their meaning:
 *   {ev: journal, format, plan}                       header
 *   {ev: run_start, run, action, pid, user, target,
 *   plan_sha256?}                                    a process started working
 *   {ev: step_start, step, hop?}                      a step began (hop: see below)
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
 *   {ev: hop_start, hop}                              swap, migrate and verify
 *                                                     begin again, for hop N >= 2
 *   {ev: upgrade_kept, history, files}                the finished upgrade is over,
 *                                                     its old files moved to history
 *                                                     (engine_history.c); the next
 *                                                     upgrade starts afresh
 *   {ev: old_files_removed, files}                    upshift clean removed them
 * result is one of done, failed, inhibited, refused.
 *
 * A path of several hops (the fact "hops" lists each hop's target) runs
 * swap, migrate and verify once per hop. Their step records then carry
 * hop: N; status[] holds the current hop's (hop_start sets them pending
 * again), and the next step after the current hop's verify is the next
 * hop's swap. Journals without hops read as one hop.
 */
#ifndef UPSHIFT_STATE_H
#define UPSHIFT_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/frontend.h"
#include "lib/journal.h"
#include "lib/util.h"

struct run_state {
        int               runs;                 /* run_start records */
        int               upgrade_runs;         /* those of the current upgrade */
        bool              started;              /* any step started */
        bool              complete;             /* every step done */
        bool              live;                 /* last run_start has no run_end */
        bool              rolling_back;         /* rollback_start without rollback_end */
        bool              rolled_back;          /* the last upgrade was rolled back */
        bool              undone[STEP_COUNT];   /* undo_done in this rollback */
        bool              begun[STEP_COUNT];    /* step_start seen, in any hop */
        unsigned          hop;                  /* current hop, from 1 */
        unsigned          n_hops;               /* from the fact "hops"; 1 without it */
        enum step_status  status[STEP_COUNT];
        int64_t           ms[STEP_COUNT];       /* -1 unless done; of this hop */
        int64_t           ms_all[STEP_COUNT];   /* summed over the hops; -1: never done */
        char             *error[STEP_COUNT];    /* last failure, or NULL */
        char             *target;               /* from the last run_start, or NULL */
        char             *last_result;          /* of the last run_end, or NULL */
        char             *first_time;           /* time of this upgrade's first run_start */
        char             *rolled_back_at;       /* time of the last rollback_end done, or NULL */
        char             *finished_at;          /* when the last finished upgrade was kept, or NULL */
        char             *history;              /* where its old files went ("": none), or NULL */
        bool              old_files_removed;    /* upshift clean removed this upgrade's old files */
        char             *plan_id;              /* from the journal's header, or NULL */
        char             *plan_sha256;          /* of the last run_start, or NULL */
        char             *last_time;            /* time of the last record */
        struct kvlist     facts;
        size_t            records;              /* records read (engine_state_load) */
};

void state_init(struct run_state *s);
/* Fold records into s (which must be initialised). Unknown events are ignored
 * (a newer upshift may add some); a record without its fields is an error:
 * -EBADMSG with the message in d. */
int  state_apply(struct run_state *s, const struct jrec *r, struct diag *d);
int  state_replay(struct run_state *s, const struct jrec *recs, size_t n, struct diag *d);
void state_release(struct run_state *s);

/* The state of the upgrade in state_dir: replay its journal (repair as
 * journal_replay's: only with the lock held) and fold it into *ret, which
 * must be initialised and is replaced (release it with state_release). When
 * given, *ret_hops gets each hop's target (the fact "hops"; empty without
 * it) and *ret_damage what journal_replay found (free its kept_copy).
 * Returns 0, or a negative errno with the message in d: -EPROTONOSUPPORT
 * for a journal of a newer format, -EBADMSG for a record without its
 * fields; *ret and *ret_hops are untouched then. The one sequence that
 * `upshift run`, `upshift status` and the wizard's resume screen use. */
int  engine_state_load(const char *state_dir, bool repair, struct run_state *ret,
                       struct strv *ret_hops, struct journal_damage *ret_damage,
                       struct diag *d);

/* First step that is not done, or STEP_COUNT when all are (in every hop:
 * after a hop's verify, the next hop's swap). */
enum step_id state_next_step(const struct run_state *s);
const char  *state_status_name(enum step_status st);
/* Swap, migrate and verify: the steps run once per hop. */
bool         state_is_hop_step(enum step_id id);

#endif
