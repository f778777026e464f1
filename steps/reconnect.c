/* reconnect: turn back on what disconnect turned off (disable.h), then the
 * plan's reconnect commands; the final report follows. */
#include <config.h>

#include "lib/i18n.h"
#include "steps/disable.h"
#include "steps/describe.h"
#include "steps/step.h"

/* The plan's reconnect: section, kept by this module (plan_step_data). */
struct reconnect_plan {
        struct cmdlist run;
};

static int
reconnect_run(struct step_ctx *ctx)
{
        const struct reconnect_plan *rp = plan_step_data(ctx->plan, STEP_RECONNECT);

        if (disable_restore(ctx) < 0)
                return STEP_FAILED;
        if (rp->run.n == 0)
                step_say(ctx, OUT_INFO, _("clients may connect again"));
        return step_run_cmdlist(ctx, &rp->run);
}

/* The plan's reconnect: section ------------------------------------------- */

static const char *const reconnect_keys[] = { "run", NULL };

static int
reconnect_parse(struct pctx *c, const struct ynode *n)
{
        struct reconnect_plan *rp = c->data;

        return popt_cmdlist(c, n, "run", &rp->run);
}

static void
reconnect_plan_release(void *data)
{
        struct reconnect_plan *rp = data;

        cmdlist_release(&rp->run);
}

static void
reconnect_describe(struct step_describe *s)
{
        const struct plan *p = s->p;
        const struct reconnect_plan *rp = plan_step_data(p, STEP_RECONNECT);

        if (p->disconnect.n_disable)
                fprintf(s->out, _("      turn back on exactly what disconnect turned off\n"));
        describe_cmds(s, NULL, &rp->run);
}

const struct step_module step_reconnect = {
        .abi = STEP_ABI,
        .title = N_("Reconnect clients"),
        .what = N_("Turn back on what disconnect turned off, let clients back in and write the final report."),
        .risk = RISK_NONE,
        .plan = { .keys = reconnect_keys, .parse = reconnect_parse,
                  .data_size = sizeof(struct reconnect_plan),
                  .release = reconnect_plan_release },
        .describe = reconnect_describe,
        .run = reconnect_run,
};
