/* reconnect: turn back on what disconnect turned off (disable.h), then the
 * plan's reconnect commands; the final report follows. */
#include <config.h>

#include <stdlib.h>

#include "lib/i18n.h"
#include "steps/disable.h"
#include "steps/describe.h"
#include "steps/step.h"

/* The plan's reconnect: section, kept by this module (plan_step_data). */
struct reconnect_plan {
        struct cmdlist run;
        char          *message;         /* said last (may hold ${...}), or NULL */
};

static int
reconnect_run(struct step_ctx *ctx)
{
        const struct reconnect_plan *rp = plan_step_data(ctx->plan, STEP_RECONNECT);
        char *msg = NULL;

        if (disable_restore(ctx) < 0)
                return STEP_FAILED;
        if (rp->run.n == 0)
                step_say(ctx, OUT_INFO, _("clients may connect again"));
        if (step_run_cmdlist(ctx, &rp->run) < 0)
                return STEP_FAILED;
        if (rp->message == NULL)
                return STEP_OK;
        /* Said, so logged and journaled: secrets stay masked. */
        if (vars_expand_masked(ctx->vars, rp->message, &msg, ctx->diag) < 0)
                return STEP_FAILED;
        step_say(ctx, OUT_INFO, "%s", msg);
        free(msg);
        return STEP_OK;
}

/* The plan's reconnect: section ------------------------------------------- */

static const char *const reconnect_keys[] = { "run", "message", NULL };

static int
reconnect_parse(struct pctx *c, const struct ynode *n)
{
        struct reconnect_plan *rp = c->data;
        struct ynode *v;
        int r;

        if ((r = popt_cmdlist(c, n, "run", &rp->run)) < 0)
                return r;
        if ((v = popt(n, "message")) && (r = pstr(c, v, &rp->message)) < 0)
                return r;
        return 0;
}

static void
reconnect_plan_release(void *data)
{
        struct reconnect_plan *rp = data;

        cmdlist_release(&rp->run);
        free(rp->message);
}

static void
reconnect_describe(struct step_describe *s)
{
        const struct plan *p = s->p;
        const struct reconnect_plan *rp = plan_step_data(p, STEP_RECONNECT);

        if (p->disconnect.n_disable)
                fprintf(s->out, _("      turn back on exactly what disconnect turned off\n"));
        describe_cmds(s, NULL, &rp->run);
        if (rp->message) {
                char *m = describe_str(s, rp->message);

                /* TRANSLATORS: %s is the plan's reconnect: message:. */
                fprintf(s->out, _("      then say: %s\n"), m);
                free(m);
        }
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
