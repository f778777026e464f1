/* disconnect: turn off what starts new clients (disable:, see disable.h),
 * list connected clients, let them drain, disconnect the rest, and wait
 * until none is left. Undo turns back on what was turned off. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "steps/disable.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/step.h"

/* Poll the clients command until none is left or ms have passed.
 * Returns the last count, or STEP_FAILED. */
static int
wait_for_none(struct step_ctx *ctx, long ms, const char *label)
{
        int64_t deadline = now_ms() + ms;
        int n = 0;

        for (unsigned tries = 0; tries < 100000; tries++) {
                if (step_count_lines(ctx, ctx->plan->disconnect.clients, &n, NULL) < 0)
                        return STEP_FAILED;
                if (n == 0 || now_ms() >= deadline)
                        return n;
                {
                        /* TRANSLATORS: what is waited for, then how many clients are left */
                        char *what = xasprintf(_("%s (%d connected)"), label, n);

                        step_countdown(ctx, what, deadline - now_ms(), ms);
                        free(what);
                }
                if (!step_sleep(ctx, 1000)) {
                        diag_set(ctx->diag, _("interrupted while waiting for clients to leave"));
                        return STEP_FAILED;
                }
        }
        return n;
}

static int
disconnect_run(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        char *list = NULL, count[16];
        long timeout = p->disconnect.timeout_ms ? p->disconnect.timeout_ms : 30000;
        int n = 0, r;

        if (disable_apply(ctx) < 0)
                return STEP_FAILED;
        if (p->disconnect.clients == NULL) {
                if (step_run_cmdlist(ctx, &p->disconnect.kick) < 0)
                        return STEP_FAILED;
                return step_run_cmdlist(ctx, &p->disconnect.run);
        }
        if (step_count_lines(ctx, p->disconnect.clients, &n, &list) < 0)
                return STEP_FAILED;
        snprintf(count, sizeof count, "%d", n);
        if (step_fact(ctx, FACT_DISCONNECT_CLIENTS) == NULL &&
            step_fact_set(ctx, FACT_DISCONNECT_CLIENTS, count, ctx->diag) < 0) {
                free(list);
                return STEP_FAILED;
        }
        step_say(ctx, OUT_INFO, n == 1 ? _("%d client connected") :
                   _("%d clients connected"), n);
        free(list);
        if (n > 0 && p->disconnect.drain_ms > 0) {
                char d[32];

                duration_format(d, sizeof d, p->disconnect.drain_ms);
                step_say(ctx, OUT_INFO, _("waiting up to %s for clients to leave"), d);
                n = wait_for_none(ctx, p->disconnect.drain_ms, _("draining clients"));
                if (n < 0)
                        return STEP_FAILED;
        }
        if (n > 0) {
                step_say(ctx, OUT_INFO, _("disconnecting %d remaining client(s)"), n);
                if (step_run_cmdlist(ctx, &p->disconnect.kick) < 0)
                        return STEP_FAILED;
                r = wait_for_none(ctx, timeout, _("waiting for clients to go"));
                if (r < 0)
                        return STEP_FAILED;
                if (r > 0) {
                        char d[32];

                        duration_format(d, sizeof d, timeout);
                        diag_set(ctx->diag, _("%d client(s) still connected after %s: find them with the plan's clients command and stop them, then resume"),
                                 r, d);
                        return STEP_FAILED;
                }
        }
        step_say(ctx, OUT_INFO, _("no client is connected"));
        return step_run_cmdlist(ctx, &p->disconnect.run);
}

/* Undo: turn back on exactly what the journal says was turned off. */
static int
disconnect_undo(struct step_ctx *ctx)
{
        return disable_restore(ctx);
}

/* The plan's disconnect: section ------------------------------------------ */

static const char *const disconnect_keys[] = {
        "clients", "drain", "kick", "timeout", "run", "disable", NULL,
};

static int
disconnect_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        int r;

        if ((v = popt(n, "clients")) && (r = pcmd_new(c, v, &p->disconnect.clients)) < 0)
                return r;
        if ((v = popt(n, "drain")) && (r = pduration(c, v, &p->disconnect.drain_ms)) < 0)
                return r;
        if ((v = popt(n, "kick")) && (r = pcmdlist(c, v, &p->disconnect.kick)) < 0)
                return r;
        if ((v = popt(n, "timeout")) &&
            (r = pduration(c, v, &p->disconnect.timeout_ms)) < 0)
                return r;
        if ((v = popt(n, "run")) && (r = pcmdlist(c, v, &p->disconnect.run)) < 0)
                return r;
        if ((v = popt(n, "disable")) && (r = pdisable(c, v)) < 0)
                return r;
        return 0;
}

static void
disconnect_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        for (size_t i = 0; i < p->disconnect.n_disable; i++) {
                const struct disable_item *it = &p->disconnect.disable[i];
                char *x = describe_str(s, it->unit ? it->unit : it->file);

                describe_cond(s, &it->when);
                if (it->unit)
                        fprintf(s->out, _("      turn off (systemctl disable --now) the systemd units %s that are enabled or active\n"),
                                x);
                else
                        fprintf(s->out, _("      comment out the lines of %s matching /%s/\n"),
                                x, it->match);
                free(x);
        }
        describe_cmd(s, _("clients"), p->disconnect.clients);
        describe_cmds(s, _("disconnect"), &p->disconnect.kick);
        describe_cmds(s, NULL, &p->disconnect.run);
}

const struct step_module step_disconnect = {
        .abi = STEP_ABI,
        .title = N_("Disconnect clients"),
        .what = N_("Turn off what starts new clients, list the connected clients, let them drain, then disconnect the rest."),
        .consequence = N_("Clients lose their connection to the service."),
        .risk = RISK_REVERSIBLE,
        .plan = { .keys = disconnect_keys, .parse = disconnect_parse },
        .describe = disconnect_describe,
        .run = disconnect_run,
        .undo = disconnect_undo,
};
