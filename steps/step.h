/* step.h: step modules.
 *
 * One file per module in steps/, each exporting one const struct step_module
 * step_<key>; STEP_LIST (lib/upshift.h) lists them in order, and
 * step_registry[] is built from it. A module carries all of its step: its
 * plan section's keys and parser (.plan), what `upshift plan` shows of it
 * (.describe) and its methods. A module never draws and never reads
 * the keyboard: it asks through its host, the engine, with the step_* calls
 * below (the engine fills struct step_host_ops: steps/ sits below engine/
 * and never calls it by name). Methods return
 * enum step_result; on STEP_FAILED the message is in ctx->diag (and
 * ctx->diag->code may suggest an exit code, e.g. EXIT_INHIBITED for a
 * preflight refusal).
 */
#ifndef UPSHIFT_STEP_H
#define UPSHIFT_STEP_H

#include <stdbool.h>

#include <stdint.h>

#include "lib/answers.h"
#include "lib/diag.h"
#include "lib/exec.h"
#include "lib/plan.h"
#include "lib/plan_schema.h"
#include "lib/service.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "lib/vars.h"

#define STEP_ABI 1

enum risk {
        RISK_NONE,              /* reads, or writes only new files */
        RISK_REVERSIBLE,        /* changes the system, undone from journal facts */
        RISK_DESTRUCTIVE,       /* downtime or data change: needs confirmation */
};

/* Where a module writes what `upshift plan` shows of it (steps/describe.h). */
struct step_describe;

/* The engine as a step sees it: opaque; its methods are in ops. */
struct step_host;

/* What a step may ask of the engine. Each method is the engine's own
 * engine_* call of the same name (engine/engine.h says what it does). */
struct step_host_ops {
        void (*say)(struct step_host *h, enum out_kind kind, const char *msg);
        void (*progress)(struct step_host *h, const char *what, uint64_t done,
                         uint64_t total);
        void (*countdown)(struct step_host *h, const char *what, int64_t left_ms,
                          int64_t total_ms);
        int  (*confirm)(struct step_host *h, enum step_id step, const char *what,
                        const char *consequence, const char *point_of_no_return);
        int  (*fact_set)(struct step_host *h, const char *key, const char *value,
                         struct diag *d);
        const char *(*fact)(const struct step_host *h, const char *key);
        void (*fact_queue)(struct step_host *h, const char *key, const char *value);
        int  (*facts_commit)(struct step_host *h, struct diag *d);
        void (*note_set)(struct step_host *h, const char *key, const char *value);
        const char *(*note)(const struct step_host *h, const char *key);
        int  (*exec)(struct step_host *h, struct exec_opts *o, struct exec_result *ret,
                     struct diag *d);
        const struct runner *(*runner)(struct step_host *h);
        int  (*service)(struct step_host *h, struct service *ret, struct diag *d);
        unsigned (*hop)(const struct step_host *h);
        unsigned (*hop_count)(const struct step_host *h);
        void (*set_hops)(struct step_host *h, const struct strv *hops);
        int  (*set_hop)(struct step_host *h, unsigned hop, struct diag *d);
        const struct answers *(*answers)(const struct step_host *h);
        void (*set_interruptible)(struct step_host *h, bool yes);
        bool (*interrupted)(const struct step_host *h);
        bool (*sleep)(struct step_host *h, long ms);
        bool (*strict_packages)(const struct step_host *h);    /* --strict-packages */
};

struct step_ctx {
        struct step_host  *host;
        const struct step_host_ops *ops;
        const struct plan *plan;
        struct vars       *vars;
        enum step_id       id;
        struct diag       *diag;
};

struct step_module {
        unsigned     abi;
        /* id and name (the plan key, "backup") are not written in a module:
         * step_registry_init() sets them in its copy from STEP_LIST
         * (lib/upshift.h). Reading step_registry[id], use id and step_key(id). */
        enum step_id id;
        const char  *name;
        const char  *title;             /* N_("Back up data") */
        const char  *what;              /* N_() what it is about to do */
        const char  *consequence;       /* N_() what it costs, for RISK_DESTRUCTIVE */
        const char  *undo_what;         /* N_() what its undo does, or NULL ("undo") */
        const char  *undo_label;        /* what its undo's lines in the run log are
                                           labelled ("restore"), or NULL: its name */
        enum risk    risk;
        /* RISK_DESTRUCTIVE modules normally get one confirmation from the
         * engine before run; a module that knows better (migrate: only when a
         * migration applies) sets this and calls engine_confirm itself. */
        bool         confirms_itself;
        /* Runs once per hop of a path of several hops (swap, migrate,
         * verify). The per-hop steps are one run of consecutive steps. */
        bool         per_hop;
        /* Its undo runs once per hop, last hop first (detect's staging and
         * swap's files are kept per hop); otherwise once. */
        bool         undo_each_hop;
        /* its section of the plan: keys and parser (lib/plan_schema.h) */
        struct plan_section plan;
        /* what `upshift plan` and the wizard's review show of its part of
         * the plan, below its title (steps/describe.h); or NULL */
        void (*describe)(struct step_describe *s);
        /* preflight: reads only, never changes anything (it may leave a
         * note for run: step_note_set) */
        int (*check)(struct step_ctx *ctx);
        /* after a crash: STEP_OK = already done, STEP_FAILED = run again */
        int (*probe)(struct step_ctx *ctx);
        /* may be entered again after a crash */
        int (*run)(struct step_ctx *ctx);
        /* roll back what run did, from journal facts */
        int (*undo)(struct step_ctx *ctx);
        /* Optional: why the step has nothing to do in this plan (a hot
         * swap's stop), or NULL. The engine journals it as skipped and
         * neither confirms nor runs nor undoes it. */
        const char *(*skip)(struct step_ctx *ctx);
};

/* The modules, in step order (STEP_LIST), NULL-terminated. */
extern const struct step_module *const step_registry[STEP_COUNT + 1];

/* plan_load() with the modules' section parsers. */
int step_plan_load(const char *path, struct plan **ret, struct diag *d);

/* Copy the modules into out[n] (n >= STEP_COUNT) at start-up: check that
 * every module has run and its abi matches, set id and name, and fill unset
 * optional methods with defaults. Returns 0 or -1 with d set. */
int step_registry_init(struct step_module *out, size_t n, struct diag *d);

/* The first and last of the per_hop steps: they are one run of consecutive
 * steps, run once per hop. */
void step_hop_range(enum step_id *ret_first, enum step_id *ret_last);

/* The host's methods, for a module (steps/host.c) --------------------------- */

void step_say(struct step_ctx *ctx, enum out_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void step_progress(struct step_ctx *ctx, const char *what, uint64_t done, uint64_t total);
void step_countdown(struct step_ctx *ctx, const char *what, int64_t left_ms, int64_t total_ms);
/* Ask for confirmation of a destructive action. STEP_OK or STEP_ABORT.
 * point_of_no_return: NULL, or what cannot be undone once confirmed (then
 * consequence is NULL: frontend.h's confirm). */
int  step_confirm(struct step_ctx *ctx, enum step_id step, const char *what,
                  const char *consequence, const char *point_of_no_return);
/* Record a fact: journaled and fsynced before this returns. */
int  step_fact_set(struct step_ctx *ctx, const char *key, const char *value, struct diag *d);
const char *step_fact(const struct step_ctx *ctx, const char *key);
/* Group commit: queued facts are journaled together (one write, one sync)
 * by step_facts_commit(), and seen by step_fact() only then. Commit before
 * doing what a queued fact announces. */
void step_fact_queue(struct step_ctx *ctx, const char *key, const char *value);
int  step_facts_commit(struct step_ctx *ctx, struct diag *d);
/* What a check found out, for the run in the same process to use
 * (engine_note_set): memory only, so a check may leave one. */
void step_note_set(struct step_ctx *ctx, const char *key, const char *value);
const char *step_note(const struct step_ctx *ctx, const char *key);
int  step_exec(struct step_ctx *ctx, struct exec_opts *o, struct exec_result *ret,
               struct diag *d);
const struct runner *step_runner(struct step_ctx *ctx);
int  step_service(struct step_ctx *ctx, struct service *ret, struct diag *d);
unsigned step_hop(const struct step_ctx *ctx);
unsigned step_hop_count(const struct step_ctx *ctx);
/* The fact key fmt... names for the current hop: as it is in hop 1, with
 * "hopN." in front in hop N >= 2. */
void step_hop_key(const struct step_ctx *ctx, char *buf, size_t n, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void step_set_hops(struct step_ctx *ctx, const struct strv *hops);
int  step_set_hop(struct step_ctx *ctx, unsigned hop, struct diag *d);
const struct answers *step_answers(const struct step_ctx *ctx);
void step_set_interruptible(struct step_ctx *ctx, bool yes);
bool step_interrupted(const struct step_ctx *ctx);
bool step_sleep(struct step_ctx *ctx, long ms);
bool step_strict_packages(const struct step_ctx *ctx);

/* Helpers shared by modules (steps/common.c) -------------------------------- */

/* Does when: hold now? (version, target, facts, answers). */
int  step_cond(struct step_ctx *ctx, const struct cond *c, bool *ret_holds);

/* Run one plan command: expand variables, skip when its when: is false
 * (returns 1), run it, fail on a non-zero exit unless may_fail, fail when
 * match: does not match. *ret_value (when given) is the command's value:
 * with lines: its sorted output lines not matching ignore:, joined by "\n";
 * else with match: the match (group 1 if any); else stdout trimmed.
 * *ret_status (when given) is the exit status. Returns 0, 1 (skipped),
 * or STEP_FAILED with the message in ctx->diag. */
int  step_run_cmd(struct step_ctx *ctx, const struct cmd *c, char **ret_value,
                  int *ret_status);
/* Each command of the list in order; once a command with undo: has run,
 * that is journaled (FACT_CMD_UNDO_PREFIX) for step_undo_cmds(). */
int  step_run_cmdlist(struct step_ctx *ctx, const struct cmdlist *l);
/* Rollback: the undo: of every command of step ctx->id journaled as run
 * and not yet undone, last first, each journaled once it has run. One that
 * fails is said (the command and its exit status) and counted in
 * *ret_failed, and the others go on. Returns 0, or STEP_FAILED (journal). */
int  step_undo_cmds(struct step_ctx *ctx, unsigned *ret_failed);
/* Command c, which has an undo:, has run: journal its undo (once: a step
 * entered again after a crash runs it again). 0, or STEP_FAILED. */
int  step_undo_record(struct step_ctx *ctx, const struct cmd *c);
/* Expand a string against ctx->vars (message in ctx->diag on failure). */
int  step_expand(struct step_ctx *ctx, const char *in, char **ret);
/* Evaluate one check. Returns 0 when it passed or did not apply, 1 when it
 * failed with only a warning (said), STEP_FAILED when it failed. */
int  step_check(struct step_ctx *ctx, const struct check *c);
/* Count the lines a "clients" command prints (its value with lines:). */
int  step_count_lines(struct step_ctx *ctx, const struct cmd *c, int *ret_n, char **ret_list);
/* Epoch milliseconds as a string, for stop.at / verify.ready_at. */
char *step_epoch_ms(void);

/* What several modules share beyond these: steps/staging.h (the files staged
 * beside their targets), steps/backup_archive.h (the backup archive). */

#endif
