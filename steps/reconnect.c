/* reconnect: turn back on what disconnect turned off (disable.h), then the
 * plan's reconnect commands; the final report follows. */
#include <config.h>

#include "lib/i18n.h"
#include "steps/disable.h"
#include "steps/describe.h"
#include "steps/step.h"

static int
reconnect_run(struct step_ctx *ctx)
{
        if (disable_restore(ctx) < 0)
                return STEP_FAILED;
        if (ctx->plan->reconnect.run.n == 0)
                step_say(ctx, OUT_INFO, _("clients may connect again"));
        return step_run_cmdlist(ctx, &ctx->plan->reconnect.run);
}

/* The plan's reconnect: section ------------------------------------------- */

static const char *const reconnect_keys[] = { "run", NULL };

static int
reconnect_parse(struct pctx *c, const struct ynode *n)
{
        return popt_cmdlist(c, n, "run", &c->p->reconnect.run);
}

static void
reconnect_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        if (p->disconnect.n_disable)
                fprintf(s->out, _("      turn back on exactly what disconnect turned off\n"));
        describe_cmds(s, NULL, &p->reconnect.run);
}

const struct step_module step_reconnect = {
        .abi = STEP_ABI,
        .title = N_("Reconnect clients"),
        .what = N_("Turn back on what disconnect turned off, let clients back in and write the final report."),
        .risk = RISK_NONE,
        .plan = { .keys = reconnect_keys, .parse = reconnect_parse },
        .describe = reconnect_describe,
        .run = reconnect_run,
};
