/* stop: the service manager's stop (or the plan's commands), then wait until
 * the process is gone and the port closed. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "lib/i18n.h"
#include "lib/service.h"
#include "steps/backup_archive.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/hot.h"
#include "steps/step.h"

static int
stop_check(struct step_ctx *ctx)
{
        struct service s = {0};
        int r = step_service(ctx, &s, ctx->diag);

        service_release(&s);
        if (r < 0) {
                ctx->diag->code = EXIT_USAGE;
                return STEP_FAILED;
        }
        return STEP_OK;
}

static int
stop_probe(struct step_ctx *ctx)
{
        struct service s = {0};
        int r = STEP_FAILED;

        if (step_service(ctx, &s, ctx->diag) == 0 &&
            service_status(&s, step_runner(ctx), NULL, ctx->diag) == 0)
                r = STEP_OK;            /* already stopped */
        service_release(&s);
        /* Stopped, but a cold backup is taken once it has stopped: not done
         * until that is made (a kill between the two). */
        if (r == STEP_OK && ctx->plan->backup.cold && !backup_cold_done(ctx))
                r = STEP_FAILED;
        return r;
}

/* The cold backup's second part, timed: the report counts it as backup
 * time (and it is in the downtime). */
static int
stop_cold_backup(struct step_ctx *ctx)
{
        bool made = backup_cold_done(ctx);
        int64_t t0 = now_ms();
        char ms[32];

        if (backup_delta_make(ctx) != STEP_OK)
                return STEP_FAILED;
        if (made)
                return STEP_OK;
        snprintf(ms, sizeof ms, "%lld", (long long)(now_ms() - t0));
        /* For the report only: journaled with the step's end, in its sync. */
        step_fact_queue(ctx, FACT_DELTA_MS, ms);
        return STEP_OK;
}

static int
stop_run(struct step_ctx *ctx)
{
        struct service s = {0};
        char *at;
        int r;

        if (step_fact(ctx, FACT_STOP_AT) == NULL) {
                at = step_epoch_ms();
                r = step_fact_set(ctx, FACT_STOP_AT, at, ctx->diag);
                free(at);
                if (r < 0)
                        return STEP_FAILED;
        }
        if (ctx->plan->stop.run.n > 0) {
                if (step_run_cmdlist(ctx, &ctx->plan->stop.run) < 0)
                        return STEP_FAILED;
        }
        if (step_service(ctx, &s, ctx->diag) < 0)
                return STEP_FAILED;
        if (s.manager != SVC_NONE || ctx->plan->stop.run.n == 0) {
                step_say(ctx, OUT_INFO, _("stopping the service (%s)"),
                           service_manager_name(s.manager));
                r = service_stop(&s, step_runner(ctx), ctx->diag);
                if (r < 0) {
                        service_release(&s);
                        return STEP_FAILED;
                }
        }
        if (s.manager != SVC_NONE || ctx->plan->stop.run.n > 0)
                step_say(ctx, OUT_INFO, _("the service has stopped"));
        else
                step_say(ctx, OUT_INFO, _("no service to stop (service manager none)"));
        service_release(&s);
        if (ctx->plan->backup.cold)
                return stop_cold_backup(ctx);
        return STEP_OK;
}

/* Undo: start the service again. */
static int
stop_undo(struct step_ctx *ctx)
{
        struct service s = {0};
        int r;

        if (step_service(ctx, &s, ctx->diag) < 0)
                return STEP_FAILED;
        r = verify_service_start(ctx, &s);
        service_release(&s);
        return r < 0 ? STEP_FAILED : STEP_OK;
}

/* The plan's stop: section ------------------------------------------------ */

static const char *const stop_keys[] = { "run", NULL };

static int
stop_parse(struct pctx *c, const struct ynode *n)
{
        return popt_cmdlist(c, n, "run", &c->p->stop.run);
}

static void
stop_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        describe_cmds(s, NULL, &p->stop.run);
        describe_service(s, _("stop"), p->service.stop);
}

const struct step_module step_stop = {
        .abi = STEP_ABI,
        .title = N_("Stop the service"),
        .what = N_("Stop the service and wait until its process has exited."),
        .consequence = N_("The service is down from now until it is verified after the swap."),
        .risk = RISK_DESTRUCTIVE,
        .plan = { .keys = stop_keys, .parse = stop_parse },
        .describe = stop_describe,
        .check = stop_check,
        .probe = stop_probe,
        .run = stop_run,
        .skip = hot_skip,
        .undo = stop_undo,
};
