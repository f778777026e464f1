/* verify: start the service, wait until it is ready, run the checks and
 * compare facts with those captured in detect. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "service.h"
#include "step.h"
#include "util.h"

static int
wait_ready(struct step_ctx *ctx)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        long timeout = rs->timeout_ms ? rs->timeout_ms : 60000;
        long interval = rs->interval_ms ? rs->interval_ms : 500;
        int64_t deadline = now_ms() + timeout;
        char d[32];

        if (rs->cmd == NULL)
                return STEP_OK;
        duration_format(d, sizeof d, timeout);
        engine_say(ctx->eng, OUT_INFO, _("waiting up to %s for the service to be ready"), d);
        for (unsigned tries = 0; tries < 100000; tries++) {
                struct cmd quiet = *rs->cmd;
                int r;

                quiet.may_fail = false;
                diag_clear(ctx->diag);
                r = step_run_cmd(ctx, &quiet, NULL, NULL);
                if (r == 0 || r == 1)
                        return STEP_OK;
                if (now_ms() >= deadline)
                        break;
                engine_progress(ctx->eng, _("waiting for the service"), 0, 0);
                if (!engine_sleep(ctx->eng, interval)) {
                        diag_set(ctx->diag, _("interrupted while waiting for the service"));
                        return STEP_FAILED;
                }
        }
        diag_prefix(ctx->diag, _("the service was not ready within %s"), d);
        return STEP_FAILED;
}

/* Preflight: refuse what this version cannot verify, before anything changes. */
static int
verify_check(struct step_ctx *ctx)
{
        if (ctx->plan->verify.ready.http) {
                diag_set(ctx->diag, _("%s:%u:%u: readiness over HTTP (ready: http:) is not supported by this upshift yet: use a ready: run: command"),
                         ctx->plan->file, ctx->plan->verify.ready.pos.line,
                         ctx->plan->verify.ready.pos.col);
                ctx->diag->code = EXIT_INHIBITED;
                return STEP_FAILED;
        }
        return STEP_OK;
}

static int
verify_run(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        struct service s = {0};
        char *after = NULL, *at;
        int r;

        if (engine_service(ctx->eng, &s, ctx->diag) < 0)
                return STEP_FAILED;
        if (s.manager != SVC_NONE) {
                engine_say(ctx->eng, OUT_INFO, _("starting the service (%s)"),
                           service_manager_name(s.manager));
                r = service_start(&s, engine_runner(ctx->eng), ctx->diag);
                if (r < 0) {
                        service_release(&s);
                        return STEP_FAILED;
                }
        }
        service_release(&s);
        if (wait_ready(ctx) < 0)
                return STEP_FAILED;
        if (engine_fact(ctx->eng, "verify.ready_at") == NULL) {
                at = step_epoch_ms();
                r = engine_fact_set(ctx->eng, "verify.ready_at", at, ctx->diag);
                free(at);
                if (r < 0)
                        return STEP_FAILED;
        }
        engine_say(ctx->eng, OUT_INFO, _("the service is ready"));
        r = step_run_cmd(ctx, &p->detect.version, &after, NULL);
        if (r != 0) {
                diag_prefix(ctx->diag, _("cannot tell the version after the upgrade"));
                return STEP_FAILED;
        }
        r = engine_fact_set(ctx->eng, "version_after", after, ctx->diag);
        if (r == 0 && strcmp(after, vars_get(ctx->vars, "target")) != 0 &&
            version_compare(after, vars_get(ctx->vars, "target")) != 0) {
                diag_set(ctx->diag, _("the service reports version %s after the upgrade, expected %s"),
                         after, vars_get(ctx->vars, "target"));
                r = STEP_FAILED;
        }
        free(after);
        if (r < 0)
                return STEP_FAILED;
        for (size_t i = 0; i < p->verify.n_checks; i++)
                if (step_check(ctx, &p->verify.checks[i]) < 0)
                        return STEP_FAILED;
        return STEP_OK;
}

/* Undo: stop the new version if verify started it; stop's undo starts the old. */
static int
verify_undo(struct step_ctx *ctx)
{
        struct service s = {0};
        int r;

        if (engine_service(ctx->eng, &s, ctx->diag) < 0)
                return STEP_FAILED;
        engine_say(ctx->eng, OUT_INFO, _("stopping the new version"));
        r = service_stop(&s, engine_runner(ctx->eng), ctx->diag);
        service_release(&s);
        return r < 0 ? STEP_FAILED : STEP_OK;
}

const struct step_module step_verify = {
        .abi = STEP_ABI,
        .id = STEP_VERIFY,
        .name = "verify",
        .title = N_("Verify"),
        .what = N_("Start the service, wait until it is ready, and check it against the facts captured before the upgrade."),
        .risk = RISK_NONE,
        .check = verify_check,
        .run = verify_run,
        .undo = verify_undo,
};
