/* engine_run.c: the steps of a run in order: preflight, each step (again
 * after an interrupted one is probed), the hops, retry or rollback after a
 * failure. The run's start and end are in engine_open.c. */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/fault.h"
#include "lib/i18n.h"
#include "lib/sha256.h"

int
engine_event(struct engine *e, const char *ev, enum step_id id, const char *k, const char *v,
             struct diag *d)
{
        struct jrec r = {0};

        jrec_set(&r, "ev", ev);
        if (id != STEP_NONE)
                jrec_set(&r, "step", step_key(id));
        if (id != STEP_NONE && state_is_hop_step(id) && engine_hop_count(e) > 1 &&
            strncmp(ev, "undo", 4) != 0)
                jrec_setf(&r, "hop", "%u", engine_hop(e));
        if (k)
                jrec_set(&r, k, v);
        return engine_journal(e, &r, d);
}

static bool
step_finished(const struct engine *e, enum step_id id)
{
        return e->st.status[id] == ST_DONE || e->st.status[id] == ST_SKIPPED;
}

/* What a step's failure means for the run: a step may say in its diag's
 * code that the input is bad (EXIT_USAGE) or the upgrade is refused
 * (EXIT_INHIBITED); otherwise dflt. */
static enum run_outcome
step_outcome(const struct diag *d, enum run_outcome dflt)
{
        switch (d->code) {
        case EXIT_USAGE:     return RUN_BAD_INPUT;
        case EXIT_INHIBITED: return RUN_INHIBITED;
        default:             return dflt;
        }
}

/* Every pending step's check; swap, migrate and verify once for each hop
 * still to come (with that hop's variables). 0, or -EPERM (a check refused
 * the upgrade) or another negative errno with the message in ctx->diag. */
static int
preflight(struct engine *e, struct step_ctx *ctx)
{
        unsigned n = engine_hop_count(e), first = e->st.hop;
        int r = 0;

        for (int i = STEP_DETECT + 1; i < STEP_COUNT && r == 0; i++) {
                enum step_id id = (enum step_id)i;
                bool hop_step = state_is_hop_step(id);

                for (unsigned h = first; h <= (hop_step ? n : first) && r == 0; h++) {
                        if (h == e->st.hop && step_finished(e, id))
                                continue;
                        if (hop_step && (r = engine_set_hop(e, h, ctx->diag)) < 0)
                                return r;
                        e->current = id;
                        ctx->id = id;
                        if (e->mods[i].check(ctx) != STEP_OK) {
                                if (hop_step && n > 1)
                                        /* TRANSLATORS: a hop's number, then its target. */
                                        diag_prefix(ctx->diag, _("hop %u (to %s)"), h,
                                                    vars_get(&e->vars, "target"));
                                r = -EPERM;
                        }
                }
        }
        /* Steps outside the hops see the last hop's target. */
        if (r == 0)
                r = engine_set_hop(e, n, ctx->diag);
        return r;
}

/* A preflight refusal changes nothing: what detect staged beside the
 * targets (TARGET.upshift-new) is removed again, for every hop. The staged
 * copies in the state directory stay, so a later run swaps from them. */
static void
preflight_unstage(struct engine *e, struct step_ctx *ctx)
{
        struct diag quiet = {0};
        struct diag *keep = ctx->diag;

        ctx->diag = &quiet;
        for (unsigned h = 1; h <= engine_hop_count(e); h++) {
                if (engine_set_hop(e, h, &quiet) < 0)
                        break;
                /* What the steps before the hops did per hop (detect's staging). */
                for (int i = 0; i < STEP_COUNT && !e->mods[i].per_hop; i++) {
                        if (!e->mods[i].undo_each_hop)
                                continue;
                        e->current = ctx->id = (enum step_id)i;
                        (void)e->mods[i].undo(ctx);
                }
        }
        ctx->diag = keep;
}

/* The engine's confirmation of a destructive step, once per process: a
 * step confirmed ahead (confirm_ahead) is not asked again. RUN_DONE, or
 * RUN_DECLINED with ctx->diag set. */
static enum run_outcome
confirm_step(struct engine *e, struct step_ctx *ctx, enum step_id id)
{
        const struct step_module *m = &e->mods[id];
        const char *extra = e->plan->step[id].confirm;
        char *why;
        int r;

        if (m->risk != RISK_DESTRUCTIVE || m->confirms_itself || e->confirmed[id])
                return RUN_DONE;
        why = extra ? xasprintf("%s %s", _(m->consequence), extra) : xstrdup(_(m->consequence));
        r = engine_confirm(e, id, _(m->title), why);
        free(why);
        if (r != STEP_OK) {
                diag_set(ctx->diag, _("step %s was not confirmed: nothing more was changed"),
                         m->name);
                return RUN_DECLINED;    /* "No: stop here": no failure screen */
        }
        e->confirmed[id] = true;
        return RUN_DONE;
}

/* A reversible step that leads to a destructive one (disconnect turns
 * clients away for the stop) asks the destructive step's confirmation
 * first, so that "No: stop here" leaves the service as it was, its clients
 * included. RUN_DONE, or RUN_DECLINED with ctx->diag set. */
static enum run_outcome
confirm_ahead(struct engine *e, struct step_ctx *ctx, enum step_id id)
{
        enum step_id next = (enum step_id)(id + 1);
        enum run_outcome out;

        if (e->mods[id].risk != RISK_REVERSIBLE || id + 1 >= STEP_COUNT ||
            step_finished(e, next) || e->st.begun[next])
                return RUN_DONE;
        e->current = next;
        ctx->id = next;
        out = confirm_step(e, ctx, next);
        e->current = id;
        ctx->id = id;
        return out;
}

/* Run one step to its end. RUN_DONE when it is done. */
static enum run_outcome
run_step(struct engine *e, struct step_ctx *ctx, enum step_id id)
{
        const struct step_module *m = &e->mods[id];
        int64_t t0;
        int r;

        e->current = id;
        ctx->id = id;
        diag_clear(ctx->diag);
        if (e->st.status[id] == ST_RUNNING) {
                /* In doubt: the last process died inside this step. */
                engine_say(e, OUT_WARN, _("step %s was interrupted last time: checking whether it finished"),
                           m->name);
                r = m->probe(ctx);
                if (r == STEP_OK) {
                        engine_say(e, OUT_INFO, _("step %s had finished"), m->name);
                        if (engine_event(e, "step_done", id, "ms", "0", ctx->diag) < 0)
                                return RUN_STEP_FAILED;
                        e->fe->ops->step_state(e->fe, id, ST_DONE, 0, NULL);
                        return RUN_DONE;
                }
                if (r == STEP_ABORT) {
                        /* The probe cannot tell and running it again could do harm. */
                        engine_event(e, "step_failed", id, "error", ctx->diag->msg, NULL);
                        e->fe->ops->step_state(e->fe, id, ST_FAILED, 0, ctx->diag->msg);
                        return RUN_STEP_FAILED;
                }
                diag_clear(ctx->diag);
        }
        if (confirm_step(e, ctx, id) != RUN_DONE)
                return RUN_DECLINED;
        if (engine_event(e, "step_start", id, NULL, NULL, ctx->diag) < 0) {
                diag_prefix(ctx->diag, _("stopping before step %s"), m->name);
                return RUN_STEP_FAILED;
        }
        e->fe->ops->step_state(e->fe, id, ST_RUNNING, 0, _(m->what));
        t0 = now_ms();
        r = m->run(ctx);
        e->uninterruptible = false;
        if (r == STEP_OK) {
                char ms[32];

                snprintf(ms, sizeof ms, "%lld", (long long)(now_ms() - t0));
                if (engine_event(e, "step_done", id, "ms", ms, ctx->diag) < 0)
                        return RUN_STEP_FAILED;
                e->fe->ops->step_state(e->fe, id, ST_DONE, now_ms() - t0, NULL);
                return RUN_DONE;
        }
        if (engine_interrupted(e) && !diag_isset(ctx->diag))
                diag_set(ctx->diag, _("interrupted"));
        if (!diag_isset(ctx->diag))
                diag_set(ctx->diag, _("step %s failed"), m->name);
        engine_event(e, "step_failed", id, "error", ctx->diag->msg, NULL);
        e->fe->ops->step_state(e->fe, id, ST_FAILED, now_ms() - t0, ctx->diag->msg);
        return step_outcome(ctx->diag, RUN_STEP_FAILED);
}

/* Nobody watches the run (the wizard went away): before a step starts,
 * wait for an operator, unless the step asks for a confirmation anyway.
 * The step that was running when the wizard went has finished. Returns
 * RUN_DONE, or RUN_STEP_FAILED with d set when the operator said no or a
 * signal came. */
static enum run_outcome
await_operator(struct engine *e, enum step_id id, struct diag *d)
{
        const struct step_module *m = &e->mods[id];
        bool asks = m->risk == RISK_DESTRUCTIVE && !m->confirms_itself && !e->opts->yes;

        if (e->fe->ops->attended == NULL || e->fe->ops->attended(e->fe) || asks)
                return RUN_DONE;
        e->current = id;
        engine_say(e, OUT_WARN, _("nobody is attached: waiting for an operator before step %s (attach with: %s)"),
                   m->name, e->opts->resume_cmd ? e->opts->resume_cmd : "upshift run");
        if (e->fe->ops->confirm(e->fe, id, _(m->title),
                                _("Nobody was watching when this step was due, so upshift waited for you. The step before it has finished; this one has not started."),
                                NULL) == STEP_OK)
                return RUN_DONE;
        diag_set(d, engine_interrupted(e) ? _("interrupted before step %s")
                                          : _("step %s was not started: nothing more was changed"),
                 m->name);
        return RUN_STEP_FAILED;
}

/* Preflight, once, before the first step after detect. A refusal
 * changes nothing (preflight_unstage). */
static enum run_outcome
loop_preflight(struct engine *e, struct step_ctx *ctx, enum step_id id, bool *checked)
{
        int r;

        if (id == STEP_DETECT || *checked)
                return RUN_DONE;
        e->current = STEP_NONE;
        engine_say(e, OUT_INFO, _("preflight checks"));
        r = preflight(e, ctx);
        if (r < 0) {
                preflight_unstage(e, ctx);
                return r == -EPERM ? step_outcome(ctx->diag, RUN_INHIBITED) : RUN_STEP_FAILED;
        }
        *checked = true;
        return RUN_DONE;
}

/* A step the plan leaves out (a hot swap's stop): journaled as skipped,
 * neither confirmed nor run. True when it was (or the journal failed: *ret
 * says which). */
static bool
skip_step(struct engine *e, struct step_ctx *ctx, enum step_id id, enum run_outcome *ret)
{
        const char *why;

        e->current = id;
        ctx->id = id;
        if (e->mods[id].skip == NULL || (why = e->mods[id].skip(ctx)) == NULL)
                return false;
        *ret = RUN_DONE;
        if (engine_event(e, "step_skipped", id, "why", why, ctx->diag) < 0)
                *ret = RUN_STEP_FAILED;
        else
                e->fe->ops->step_state(e->fe, id, ST_SKIPPED, 0, why);
        return true;
}

/* One step of the run, unless it finished before: preflight first when it
 * is the first step after detect; a failure offers retry or rollback.
 * *ret_over when a rollback ended the run. */
static enum run_outcome
loop_step(struct engine *e, struct step_ctx *ctx, enum step_id id, bool *checked,
          bool *ret_over, struct diag *d)
{
        enum run_outcome out;

        if (engine_interrupted(e)) {
                diag_set(d, _("interrupted before step %s"), step_key(id));
                return RUN_STEP_FAILED;
        }
        if ((out = loop_preflight(e, ctx, id, checked)) != RUN_DONE)
                return out;
        if (step_finished(e, id)) {
                e->fe->ops->step_state(e->fe, id, e->st.status[id], e->st.ms[id],
                                       _("done in an earlier run"));
                return RUN_DONE;
        }
        if (skip_step(e, ctx, id, &out))
                return out;
        if ((out = await_operator(e, id, d)) != RUN_DONE ||
            (out = engine_ask_checklist(e, id, d)) != RUN_DONE ||
            (out = confirm_ahead(e, ctx, id)) != RUN_DONE)
                return out;
        for (unsigned tries = 0; tries < 100; tries++) {
                enum fail_choice choice;

                out = run_step(e, ctx, id);
                if (out == RUN_DONE || out == RUN_BAD_INPUT || out == RUN_INHIBITED ||
                    out == RUN_DECLINED || engine_interrupted(e))
                        break;
                choice = e->fe->ops->failure(e->fe, id, d->msg, e->log.path);
                if (choice == FAIL_ROLLBACK) {
                        *ret_over = true;
                        return engine_undo_all(e, d);
                }
                if (choice != FAIL_RETRY)
                        break;
                out = RUN_DONE;
        }
        return out;
}

/* {ev: hop_start} for hop h >= 2, journaled before its swap. */
static int
start_hop(struct engine *e, unsigned h, struct diag *d)
{
        struct jrec r = {0};

        if (engine_interrupted(e)) {
                diag_set(d, _("interrupted before hop %u"), h);
                return -EINTR;
        }
        jrec_set(&r, "ev", "hop_start");
        jrec_setf(&r, "hop", "%u", h);
        jrec_set(&r, "target", vars_get(&e->vars, "target"));
        return engine_journal(e, &r, d);
}

/* The per_hop steps (swap, migrate, verify) for each hop from the current one. */
static enum run_outcome
run_hops(struct engine *e, struct step_ctx *ctx, bool *checked, bool *ret_over,
         struct diag *d)
{
        unsigned n = engine_hop_count(e);
        enum run_outcome out = RUN_DONE;
        enum step_id first, last;

        step_hop_range(&first, &last);
        for (unsigned h = e->st.hop; h <= n && out == RUN_DONE; h++) {
                if (engine_set_hop(e, h, d) < 0)
                        return RUN_STEP_FAILED;
                if (h > e->st.hop && start_hop(e, h, d) < 0)
                        return RUN_STEP_FAILED;
                if (n > 1) {
                        e->current = STEP_NONE;
                        /* TRANSLATORS: hop number, how many, then two versions. */
                        engine_say(e, OUT_INFO, _("hop %u of %u: %s to %s"), h, n,
                                   vars_get(&e->vars, "hop_from"), vars_get(&e->vars, "target"));
                }
                for (int i = first; i <= (int)last && out == RUN_DONE && !*ret_over; i++)
                        out = loop_step(e, ctx, (enum step_id)i, checked, ret_over, d);
                if (*ret_over)
                        return out;
        }
        if (out == RUN_DONE && engine_set_hop(e, n, d) < 0)
                return RUN_STEP_FAILED;
        return out;
}

enum run_outcome
engine_loop(struct engine *e, struct diag *d)
{
        struct step_ctx ctx = {
                .host = (struct step_host *)(void *)e, .ops = &engine_step_ops,
                .plan = e->plan, .vars = &e->vars, .diag = d,
        };
        bool checked = false, over = false;
        enum run_outcome out = RUN_DONE;

        enum step_id first, last;

        step_hop_range(&first, &last);
        for (int i = 0; i < STEP_COUNT && out == RUN_DONE && !over; i++) {
                if (i == (int)first) {
                        out = run_hops(e, &ctx, &checked, &over, d);
                        i = last;
                        continue;
                }
                out = loop_step(e, &ctx, (enum step_id)i, &checked, &over, d);
        }
        e->current = STEP_NONE;
        return out;
}
