/* hot.c: a hot swap: no stop, the plan's reload: instead, readiness polled
 * throughout it (hot.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "steps/facts.h"
#include "steps/hot.h"

/* Polls after the serving process is seen running the file: the old
 * workers finish meanwhile, and a failure then counts too. */
#define HOT_POLL_MS     50
#define HOT_POLLS_AFTER 10

int
hot_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *hot = popt(n, "hot"), *reload = popt(n, "reload");
        int r;

        if (hot != NULL && (r = pbool(c, hot, &p->swap.hot)) < 0)
                return r;
        if (reload != NULL && (r = pcmdlist(c, reload, &p->swap.reload)) < 0)
                return r;
        if (p->swap.hot && reload == NULL)
                return perr(c, hot, _("hot: true needs reload: (the command that makes the "
                                      "running server re-execute its new file)"));
        if (!p->swap.hot && reload != NULL)
                return perr(c, reload, _("reload: is for a hot swap: add hot: true, or use "
                                         "the service's stop and start"));
        return 0;
}

const char *
hot_skip(struct step_ctx *ctx)
{
        if (!ctx->plan->swap.hot)
                return NULL;
        return _("hot swap: the service keeps running, the swap reloads it");
}

void
hot_describe(struct step_describe *s)
{
        if (!s->p->swap.hot)
                return;
        fprintf(s->out, _("      hot swap: swapped while the service runs (no stop, no "
                          "disconnect), then reloaded; readiness is polled throughout\n"));
        describe_cmds(s, _("reload"), &s->p->swap.reload);
}

struct hot_poll {
        unsigned polls, failed, after;
        int64_t  first, last;           /* the first and the last failed poll */
        bool     switched;
};

/* One poll: readiness, then which file the process serving runs. */
static void
hot_poll_once(struct step_ctx *ctx, enum serving_side side, struct hot_poll *hp)
{
        int64_t t = now_ms();

        hp->polls++;
        if (verify_ready_once(ctx) != STEP_OK) {
                if (hp->failed++ == 0)
                        hp->first = t;
                hp->last = now_ms();
        }
        diag_clear(ctx->diag);
        if (!hp->switched && serving_runs(ctx, side) != 0)
                hp->switched = true;    /* or it cannot be told: no use waiting */
        else if (hp->switched)
                hp->after++;
}

/* The downtime measured, said and (after the swap) journaled. */
static int
hot_report(struct step_ctx *ctx, enum serving_side side, const struct hot_poll *hp)
{
        int64_t down = hp->failed ? hp->last - hp->first + HOT_POLL_MS : 0;
        char d[32], ms[32], key[64];

        if (!hp->switched)
                step_say(ctx, OUT_WARN, side == SERVING_NEW
                         ? _("the process serving does not run the new file yet")
                         : _("the process serving does not run the old file yet"));
        if (hp->failed == 0)
                /* TRANSLATORS: %u is a number of readiness checks. */
                step_say(ctx, OUT_INFO, _("no downtime: the readiness check answered all "
                                          "%u times during the reload"), hp->polls);
        else {
                duration_format(d, sizeof d, down);
                /* TRANSLATORS: %1$u and %2$u are numbers of checks, %3$s a duration. */
                step_say(ctx, OUT_WARN, _("the readiness check failed %u times of %u during "
                                          "the reload: about %s of downtime"),
                         hp->failed, hp->polls, d);
        }
        if (side != SERVING_NEW)
                return STEP_OK;
        snprintf(ms, sizeof ms, "%lld", (long long)down);
        /* Each hop's own: the report sums them (engine_report). */
        step_hop_key(ctx, key, sizeof key, "%s", FACT_HOT_DOWN_MS);
        return step_fact_set(ctx, key, ms, ctx->diag) < 0 ? STEP_FAILED : STEP_OK;
}

int
hot_reload(struct step_ctx *ctx, enum serving_side side)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        struct hot_poll hp = {0};
        int64_t deadline;
        char key[128];

        if (!ctx->plan->swap.hot)
                return STEP_OK;
        step_hop_key(ctx, key, sizeof key, side == SERVING_NEW ? "swap.hot.reloaded"
                                                                : "swap.hot.reverted");
        if (step_fact(ctx, key) != NULL)
                return STEP_OK;
        step_say(ctx, OUT_INFO, side == SERVING_NEW
                 ? _("reloading the running service onto the new file (hot swap)")
                 : _("reloading the running service onto the old file (hot swap)"));
        deadline = now_ms() + (rs->timeout_ms ? rs->timeout_ms : 60000);
        hot_poll_once(ctx, side, &hp);
        if (step_run_cmdlist(ctx, &ctx->plan->swap.reload) < 0)
                return STEP_FAILED;
        for (unsigned i = 0; i < 100000 && hp.after < HOT_POLLS_AFTER; i++) {
                if (now_ms() >= deadline)
                        break;
                if (!step_sleep(ctx, HOT_POLL_MS)) {
                        diag_set(ctx->diag, _("interrupted during the reload"));
                        return STEP_FAILED;
                }
                hot_poll_once(ctx, side, &hp);
        }
        if (hot_report(ctx, side, &hp) != STEP_OK)
                return STEP_FAILED;
        return step_fact_set(ctx, key, "yes", ctx->diag) < 0 ? STEP_FAILED : STEP_OK;
}
