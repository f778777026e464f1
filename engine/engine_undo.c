/* engine_undo.c: upshift rollback. Every step the journal says was started
 * is undone in reverse order, each undo journaled (undo_start, undo_done),
 * so that a rollback interrupted anywhere is finished by running it again.
 * Then the old version must answer with the facts captured in detect. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/i18n.h"
#include "lib/service.h"

/* The old version answers, and every fact is what it was before. */
static int
check_old(struct engine *e, struct step_ctx *ctx)
{
        const struct plan *p = e->plan;
        const char *was = engine_fact(e, FACT_VERSION);
        char *now = NULL;
        int r;

        e->current = STEP_NONE;
        engine_say(e, OUT_INFO, _("checking that the old version answers as before"));
        if (p->verify.ready.cmd) {
                long timeout = p->verify.ready.timeout_ms ? p->verify.ready.timeout_ms : 60000;
                int64_t deadline = now_ms() + timeout;

                for (unsigned tries = 0; tries < 100000; tries++) {
                        diag_clear(ctx->diag);
                        r = step_run_cmd(ctx, p->verify.ready.cmd, NULL, NULL);
                        if (r == 0 || r == 1)
                                break;
                        if (now_ms() >= deadline || !engine_sleep(e, 500)) {
                                diag_prefix(ctx->diag, _("the old version is not ready"));
                                return STEP_FAILED;
                        }
                }
        }
        if (was) {
                if (step_run_cmd(ctx, &p->detect.version, &now, NULL) != 0) {
                        diag_prefix(ctx->diag, _("cannot tell the version after the rollback"));
                        return STEP_FAILED;
                }
                if (version_compare(now, was) != 0) {
                        diag_set(ctx->diag, _("after the rollback the service reports version %s, expected %s"),
                                 now, was);
                        free(now);
                        return STEP_FAILED;
                }
                free(now);
        }
        for (size_t i = 0; i < p->detect.n_facts; i++) {
                struct check same = {.same = p->detect.facts[i].name};
                char *key = xasprintf(FACT_PLAN_PREFIX "%s", p->detect.facts[i].name);
                bool known = engine_fact(e, key) != NULL;

                free(key);
                if (known && step_check(ctx, &same) < 0)
                        return STEP_FAILED;
        }
        return STEP_OK;
}

/* One step's undo. A module with undo_each_hop (swap, detect) undoes every
 * hop, the last first: each hop's swap kept its own old files, and those of the first hop are the
 * ones from before the upgrade (a later hop never replaces an .upshift-old),
 * so undoing the hops in reverse puts the original files back. The other
 * steps undo once: migrate's restore of the backup covers every hop's
 * migrations. Undo is idempotent, so a rollback interrupted among the hops
 * is finished by running it again. */
static int
undo_step(struct engine *e, struct step_ctx *ctx, const struct step_module *m)
{
        unsigned n = engine_hop_count(e);
        int r = STEP_OK;

        if (!m->undo_each_hop)
                return m->undo(ctx);
        for (unsigned h = n; h >= 1 && r == STEP_OK; h--) {
                if (engine_set_hop(e, h, ctx->diag) < 0)
                        return STEP_FAILED;
                if (n > 1)
                        /* TRANSLATORS: a hop's number, then its target. */
                        engine_say(e, OUT_INFO, _("undoing %s of hop %u (to %s)"), m->name, h,
                                   vars_get(&e->vars, "target"));
                r = m->undo(ctx);
        }
        if (engine_set_hop(e, n, ctx->diag) < 0)
                return STEP_FAILED;
        return r;
}

/* The undo: of the commands step id ran (step_undo_cmds), before the
 * step's own undo: they ran after what it undoes. Again in a rollback run
 * again, for those that failed. */
static int
undo_cmds(struct engine *e, struct step_ctx *ctx, enum step_id id, unsigned *failed)
{
        e->current = id;
        ctx->id = id;
        return step_undo_cmds(ctx, failed);
}

enum run_outcome
engine_undo_all(struct engine *e, struct diag *d)
{
        struct step_ctx ctx = {
                .host = (struct step_host *)(void *)e, .ops = &engine_step_ops,
                .plan = e->plan, .vars = &e->vars, .diag = d,
        };
        unsigned failed = 0;
        char *was;

        if (!e->st.rolling_back) {
                if (engine_confirm(e, STEP_NONE, _("Roll back the upgrade"),
                                   _("The service is stopped, its data restored from the verified backup and the old files put back.")) != STEP_OK) {
                        diag_set(d, _("the rollback was not confirmed: nothing was changed"));
                        return RUN_STEP_FAILED;
                }
                if (engine_event(e, "rollback_start", STEP_NONE, NULL, NULL, d) < 0) {
                        diag_prefix(d, _("the rollback did not start"));
                        return RUN_STEP_FAILED;
                }
        }
        for (int i = STEP_COUNT - 1; i >= 0; i--) {
                enum step_id id = (enum step_id)i;
                const struct step_module *m = &e->mods[id];
                enum step_status st = e->st.status[id];

                if (undo_cmds(e, &ctx, id, &failed) < 0)
                        return RUN_STEP_FAILED;
                /* begun: a step of an earlier hop counts (status[] is the current hop's) */
                if (((st == ST_PENDING || st == ST_SKIPPED) && !e->st.begun[id]) ||
                    e->st.undone[id])
                        continue;
                if (engine_interrupted(e)) {
                        diag_set(d, _("interrupted before undoing %s"), m->name);
                        return RUN_STEP_FAILED;
                }
                e->current = id;
                ctx.id = id;
                diag_clear(d);
                if (engine_event(e, "undo_start", id, NULL, NULL, d) < 0)
                        return RUN_STEP_FAILED;
                /* What the undo does (migrate's: the data restore), in the
                 * log too. */
                runlog_printf(&e->log, "%s: undo: %s", m->name,
                              m->undo_what ? m->undo_what : "undo");
                e->fe->ops->step_state(e->fe, id, ST_RUNNING, 0,
                                       m->undo_what ? _(m->undo_what) : _("undo"));
                if (undo_step(e, &ctx, m) != STEP_OK) {
                        if (!diag_isset(d))
                                diag_set(d, _("undoing %s failed"), m->name);
                        diag_prefix(d, _("rollback stopped at %s"), m->name);
                        engine_event(e, "undo_failed", id, "error", d->msg, NULL);
                        e->fe->ops->step_state(e->fe, id, ST_FAILED, 0, d->msg);
                        return RUN_STEP_FAILED;
                }
                if (engine_event(e, "undo_done", id, NULL, NULL, d) < 0)
                        return RUN_STEP_FAILED;
                e->fe->ops->step_state(e->fe, id, ST_UNDONE, 0, NULL);
        }
        diag_clear(d);
        if (check_old(e, &ctx) != STEP_OK) {
                diag_prefix(d, _("the files and data are back, but"));
                return RUN_STEP_FAILED;
        }
        if (failed > 0) {
                /* TRANSLATORS: how many failed, then the rollback command */
                diag_set(d, _("the files and data are back, but %u undo command(s) failed (said above): fix the cause and run them by hand, or run %s again"),
                         failed, e->opts->rollback_cmd ? e->opts->rollback_cmd : "upshift rollback");
                return RUN_STEP_FAILED;
        }
        was = xstrdup(engine_fact(e, FACT_VERSION) ? engine_fact(e, FACT_VERSION) : "?");
        if (engine_event(e, "rollback_end", STEP_NONE, "result", "done", d) < 0) {
                free(was);
                return RUN_STEP_FAILED;
        }
        /* TRANSLATORS: plan title, version */
        diag_set(d, _("%s is rolled back to %s and answers as before the upgrade"),
                 e->plan->title, was);
        free(was);
        return RUN_ROLLED_BACK;
}
