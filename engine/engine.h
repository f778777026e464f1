/* engine.h: the engine owns the order of steps, the journal and the lock.
 *
 * engine_run() is the whole of `upshift run`: it takes the lock, replays the
 * journal, and runs the steps that are not done yet, in order, journaling
 * each step's start, end and facts. It is the only code that moves from one
 * step to the next. Step modules use the engine_* calls below to talk to the
 * operator (through the frontend), to run commands (into the run log), and
 * to record facts (into the journal).
 *
 * Facts are journaled key/value strings. Their names are journal data: the
 * ones several files read are FACT_* in steps/facts.h, the records with an
 * index have their codec beside their owner (steps/staging.h for staged.N.*
 * and swap.*.N). Facts of the swap, migrate and verify of hop N >= 2, and the
 * staged package of that hop, carry the prefix "hopN." (step_hop_key,
 * steps/step.h).
 */
#ifndef UPSHIFT_ENGINE_H
#define UPSHIFT_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/frontend.h"
#include "lib/answers.h"
#include "lib/diag.h"
#include "lib/exec.h"
#include "lib/plan.h"
#include "lib/service.h"
#include "lib/vars.h"
#include "steps/facts.h"
#include "steps/step.h"

struct engine;

struct engine_opts {
        const char *state_dir;          /* required */
        const char *target;             /* --target, or NULL */
        bool        yes;                /* --yes: confirmations are given */
        bool        interactive;        /* the frontend can ask the operator */
        volatile sig_atomic_t *interrupt;   /* set by SIGINT/SIGTERM, or NULL */
        const char *resume_cmd;         /* shown after a failure: how to resume */
        const char *rollback_cmd;       /* how to finish an interrupted rollback, or NULL */
        const char *attach_cmd;         /* how to attach to a wizard's worker, or NULL */
        bool        new_state_dir;      /* the caller made the state directory for
                                           this run (the wizard's worker) */
        bool        stdio_to_log;       /* point stdout and stderr at the run log
                                           once it is open (the wizard's worker) */
        bool        strict_packages;    /* --strict-packages: refuse a package with
                                           hostile entries the plan does not map */
};

/* How a run or a rollback ended. Only cli/ turns it into the process's
 * exit status (run_outcome_exit). */
enum run_outcome {
        RUN_DONE,               /* finished, or nothing was left to do */
        RUN_STEP_FAILED,        /* a step failed, or was interrupted; resumable */
        RUN_DECLINED,           /* the operator said no to a step: stopped there */
        RUN_BAD_INPUT,          /* bad usage or bad input; nothing changed */
        RUN_INHIBITED,          /* a preflight check refused the upgrade */
        RUN_ROLLED_BACK,        /* the upgrade was rolled back */
        RUN_LOCKED,             /* another process holds the state directory */
};

/* The exit code of an outcome (upshift.h's EXIT_*, man/upshift.1): also
 * what the journal's {ev: run_end, exit} and the report's exit_code say. */
int         run_outcome_exit(enum run_outcome o);
/* The journal's name of it ({ev: run_end, result}): done, failed,
 * declined, refused, inhibited, rolled_back. */
const char *run_outcome_name(enum run_outcome o);

/* Run (or resume) the upgrade. The message of a failure has been shown
 * through the frontend and is also in d. */
enum run_outcome engine_run(const struct plan *p, const struct answers *a,
                            const struct engine_opts *o, struct frontend *fe,
                            struct diag *d);

/* State directories live under this root unless --state-dir is given; it
 * does not follow the install prefix (man/upshift.1 names it). */
#define ENGINE_STATE_ROOT "/var/lib/upshift"

/* Undo, in reverse, every step the journal says was started (upshift
 * rollback): restore the data from the verified backup, put the old files
 * back, start the service, and check the old version against the facts
 * captured in detect. Survives a crash: running it again finishes it.
 * Returns RUN_ROLLED_BACK, RUN_DONE when there was nothing to roll back,
 * or why it stopped. */
enum run_outcome engine_rollback(const struct plan *p, const struct answers *a,
                                 const struct engine_opts *o, struct frontend *fe,
                                 struct diag *d);
/* upshift clean: remove the *.upshift-old files of the finished upgrade and
 * the old files kept in the state directory's history (engine_history.c).
 * RUN_DONE, or RUN_INHIBITED when the upgrade has not finished (rollback
 * still needs them), or why it stopped. */
enum run_outcome engine_clean(const struct plan *p, const struct answers *a,
                              const struct engine_opts *o, struct frontend *fe,
                              struct diag *d);

/* Default directories. New strings. */
char *engine_default_state_dir(const char *plan_id);
/* 0 when dir is a directory (not a symlink) of the effective user that
 * group and others cannot write; else -errno with why in d
 * (engine_trust.c). */
int   engine_check_state_dir(const char *dir, struct diag *d);
/* 0 when every directory above dir that exists, as written and as
 * resolved, belongs to root or the effective user and, when group or
 * others may write it, has the sticky bit (as OpenSSH's StrictModes); else
 * -EPERM (or -errno) with why in d. Made before dir is created. */
int   engine_check_state_parents(const char *dir, struct diag *d);
char *engine_default_backup_dir(const char *plan_id);

/* Fill vs with what the plan's strings may use before anything has run:
 * answers and defaults, plan, state_dir, backup_dir, staging, target (from
 * opts or the plan); version only when facts has it. facts may be NULL.
 * 0, or a negative errno with the message in d. */
int engine_vars(const struct plan *p, const struct answers *a, const char *state_dir,
                const char *target, const struct kvlist *facts, struct vars *vs,
                struct diag *d);

/* For step modules: through struct step_host_ops (steps/step.h), which
 * engine_step_ops fills with these. */
extern const struct step_host_ops engine_step_ops;


/* Tell the operator (and the log). */
void engine_say(struct engine *e, enum out_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void engine_progress(struct engine *e, const char *what, uint64_t done, uint64_t total);
/* A wait with a limit (a drain, a readiness wait): left_ms of total_ms remain. */
void engine_countdown(struct engine *e, const char *what, int64_t left_ms, int64_t total_ms);
/* Ask for confirmation of a destructive action. STEP_OK or STEP_ABORT. */
int  engine_confirm(struct engine *e, enum step_id step, const char *what,
                    const char *consequence);

/* Record a fact: journaled and fsynced before this returns. */
int         engine_fact_set(struct engine *e, const char *key, const char *value,
                            struct diag *d);
const char *engine_fact(const struct engine *e, const char *key);
/* Group commit: a queued fact is journaled with the others queued by
 * engine_facts_commit() (one write, one sync) and only then seen by
 * engine_fact(). Commit before relying on what a queued fact names; any
 * other record journaled (a fact set, a step's end) commits them first. */
void        engine_fact_queue(struct engine *e, const char *key, const char *value);
int         engine_facts_commit(struct engine *e, struct diag *d);
/* A note: what a step's preflight found out, for its run in this process
 * (the backup's data size, measured by its space check). Kept in memory
 * only, never journaled: a run resumed elsewhere runs the preflight again.
 * engine_note() is NULL when there is none. */
void        engine_note_set(struct engine *e, const char *key, const char *value);
const char *engine_note(const struct engine *e, const char *key);

/* Run a command with the run's log, the frontend's output, the interrupt
 * flag and the plan's env filled in (o->env, when set, is added after the
 * plan's). Same returns as exec_run. */
int  engine_exec(struct engine *e, struct exec_opts *o, struct exec_result *ret,
                 struct diag *d);
const struct runner *engine_runner(struct engine *e);
/* The service with every variable expanded. */
int  engine_service(struct engine *e, struct service *ret, struct diag *d);
/* Paths of several hops (src/engine_hop.c). The current hop, from 1, and
 * how many there are (1 until detect has worked them out). */
unsigned engine_hop(const struct engine *e);
unsigned engine_hop_count(const struct engine *e);
/* Set the hops worked out by detect (each hop's target), and move to hop
 * (1..count): ${target}, ${hop_from}, ${staging} and the per_hop answers
 * become the hop's. */
void engine_set_hops(struct engine *e, const struct strv *hops);
/* The answers the run uses (for answers_check_hops). */
const struct answers *engine_answers(const struct engine *e);
int  engine_set_hop(struct engine *e, unsigned hop, struct diag *d);
/* What engine_set_hop does to vs, for upshift plan: installed is the
 * version before the first hop (or NULL). */
int  engine_hop_vars(const struct plan *p, const struct strv *hops, unsigned hop,
                     const char *installed, const char *state_dir, struct vars *vs,
                     struct diag *d);
/* While false, a running command is not asked to stop on SIGINT/SIGTERM/
 * SIGHUP: it finishes, and the run stops at the next safe point (a migration). */
void engine_set_interruptible(struct engine *e, bool yes);
/* True once SIGINT/SIGTERM/SIGHUP asked the run to stop. */
bool engine_interrupted(const struct engine *e);
/* Sleep up to ms, waking early on an interrupt. Returns false if interrupted. */
bool engine_sleep(struct engine *e, long ms);

#endif
