/* disconnect: turn off what starts new clients (disable:, see disable.h),
 * list connected clients, let them drain, disconnect the rest, and wait
 * until none is left. Undo turns back on what was turned off. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "steps/hot.h"
#include "steps/disable.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/step.h"

/* The part of the plan's disconnect: section this module keeps
 * (plan_step_data): before_drain: and on_timeout:. */
struct disconnect_plan {
        struct cmdlist before_drain;    /* run before the clients are listed */
        bool           go_on;           /* on_timeout: continue */
};

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

/* on_timeout: continue: say which clients are still there, and go on. */
static int
clients_left(struct step_ctx *ctx, long timeout)
{
        const struct plan *p = ctx->plan;
        char *list = NULL, d[32];
        int n = 0;

        if (step_count_lines(ctx, p->disconnect.clients, &n, &list) < 0)
                return STEP_FAILED;
        for (char *s = list; s && *s; s++)
                if (*s == '\n')
                        *s = ';';
        duration_format(d, sizeof d, timeout);
        if (n > 0)
                /* TRANSLATORS: a count, a duration, then the clients
                 * command's lines, separated by ";". */
                step_say(ctx, OUT_WARN, _("%d client(s) still connected after %s, going on "
                                          "(on_timeout: continue): %s"), n, d, list ? list : "");
        free(list);
        return step_run_cmdlist(ctx, &p->disconnect.run);
}

static int
disconnect_run(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        const struct disconnect_plan *dp = plan_step_data(p, STEP_DISCONNECT);
        char *list = NULL, count[16];
        long timeout = p->disconnect.timeout_ms ? p->disconnect.timeout_ms : 30000;
        int n = 0, r;

        if (disable_apply(ctx) < 0)
                return STEP_FAILED;
        if (dp && step_run_cmdlist(ctx, &dp->before_drain) < 0)
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
                if (r > 0 && dp && dp->go_on)
                        return clients_left(ctx, timeout);
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
        "clients", "drain", "kick", "timeout", "run", "disable", "on_timeout", "before_drain",
        NULL,
};

/* before_drain: and on_timeout: fail|continue */
static int
disconnect_parse_own(struct pctx *c, const struct ynode *n)
{
        struct disconnect_plan *dp = c->data;
        struct ynode *v;
        int r;

        if ((v = popt(n, "before_drain")) && (r = pcmdlist(c, v, &dp->before_drain)) < 0)
                return r;
        if ((v = popt(n, "on_timeout")) == NULL)
                return 0;
        if (v->kind == YNODE_SCALAR && (strcmp(v->str, "fail") == 0 ||
                                         strcmp(v->str, "continue") == 0)) {
                dp->go_on = strcmp(v->str, "continue") == 0;
                if (dp->go_on && !popt(n, "clients"))
                        return perr(c, v, _("on_timeout: continue needs clients: (the "
                                            "command that lists the clients still there)"));
                return 0;
        }
        /* TRANSLATORS: keep fail and continue as they are. */
        return perr(c, v, _("unknown on_timeout \"%s\" (expected fail or continue)"),
                    v->kind == YNODE_SCALAR ? v->str : "?");
}

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
        return disconnect_parse_own(c, n);
}

static void
disconnect_plan_release(void *data)
{
        struct disconnect_plan *dp = data;

        cmdlist_release(&dp->before_drain);
}

static void
disconnect_describe(struct step_describe *s)
{
        const struct plan *p = s->p;
        const struct disconnect_plan *dp = plan_step_data(p, STEP_DISCONNECT);

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
        if (dp)
                describe_cmds(s, _("before the drain"), &dp->before_drain);
        describe_cmd(s, _("clients"), p->disconnect.clients);
        describe_cmds(s, _("disconnect"), &p->disconnect.kick);
        describe_cmds(s, NULL, &p->disconnect.run);
        if (dp && dp->go_on)
                fprintf(s->out, _("      clients still connected after the timeout: a warning, "
                                  "and the upgrade goes on\n"));
}

const struct step_module step_disconnect = {
        .abi = STEP_ABI,
        .title = N_("Disconnect clients"),
        .what = N_("Turn off what starts new clients, list the connected clients, let them drain, then disconnect the rest."),
        .consequence = N_("Clients lose their connection to the service."),
        .risk = RISK_REVERSIBLE,
        .plan = { .keys = disconnect_keys, .parse = disconnect_parse,
                  .data_size = sizeof(struct disconnect_plan),
                  .release = disconnect_plan_release },
        .describe = disconnect_describe,
        .run = disconnect_run,
        .skip = hot_skip,
        .undo = disconnect_undo,
};
