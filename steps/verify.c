/* verify: start the service, wait until it is ready, run the plan's online
 * migrations (steps/migrate.h), then run the checks and compare facts with
 * those captured in detect. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/i18n.h"
#include "lib/rx.h"
#include "lib/service.h"
#include "lib/util.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/hot.h"
#include "steps/migrate.h"
#include "steps/serving.h"
#include "steps/step.h"

static bool
ready_cancelled(void *ud)
{
        return step_interrupted(ud);
}

/* Does the body of a 2xx answer match the plan's match:? 0, or STEP_FAILED
 * with why in ctx->diag. */
static int
ready_http_match(struct step_ctx *ctx, const struct http_response *resp, const char *shown)
{
        char *re = NULL;
        int m;

        if (ctx->plan->verify.ready.match == NULL)
                return 0;
        if (vars_expand_regex(ctx->vars, ctx->plan->verify.ready.match, &re, ctx->diag) < 0)
                return STEP_FAILED;
        m = rx_match_once(re, resp->body, NULL, ctx->diag);
        if (m == 0)
                /* TRANSLATORS: a URL, an HTTP status code, a regular expression */
                diag_set(ctx->diag, _("GET %s: the answer (HTTP %d) does not match /%s/"),
                         shown, resp->status, re);
        free(re);
        return m > 0 ? 0 : STEP_FAILED;
}

/* One GET of ready: http:, with the plan's TLS files and redirects. */
static int
ready_http_try(struct step_ctx *ctx, const char *url, const char *shown, long timeout_ms)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        char *files[3] = { NULL, NULL, NULL };
        const char *given[3] = { rs->ca_file, rs->cert_file, rs->key_file };
        struct http_response resp;
        int r = 0;

        for (size_t i = 0; i < 3 && r == 0; i++)
                if (given[i] != NULL && step_expand(ctx, given[i], &files[i]) < 0)
                        r = STEP_FAILED;
        if (r == 0) {
                struct http_opts ho = {
                        .timeout_ms = timeout_ms,
                        .follow_redirects = rs->follow_redirects,
                        .ca_file = files[0], .cert_file = files[1], .key_file = files[2],
                        .cancelled = ready_cancelled,
                        .ud = ctx,
                };

                if (http_get(url, &ho, &resp, ctx->diag) < 0) {
                        diag_prefix(ctx->diag, "GET %s", shown);
                        r = STEP_FAILED;
                } else {
                        if (!http_status_ok(resp.status)) {
                                /* TRANSLATORS: a URL, then an HTTP status code such as 503 */
                                diag_set(ctx->diag, _("GET %s: the answer is HTTP %d, not 2xx"),
                                         shown, resp.status);
                                r = STEP_FAILED;
                        } else {
                                r = ready_http_match(ctx, &resp, shown);
                        }
                        http_response_release(&resp);
                }
        }
        for (size_t i = 0; i < 3; i++)
                free(files[i]);
        return r;
}

/* One readiness try: 0 when ready, else STEP_FAILED with why in ctx->diag. */
static int
ready_try(struct step_ctx *ctx, const char *url, const char *shown, int64_t deadline)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        int64_t left = deadline - now_ms();
        struct cmd quiet;
        int r;

        diag_clear(ctx->diag);
        if (url == NULL) {
                quiet = *rs->cmd;
                quiet.may_fail = false;
                r = step_run_cmd(ctx, &quiet, NULL, NULL);
                return r == 0 || r == 1 ? 0 : STEP_FAILED;
        }
        /* one try never blocks longer than 5 s, nor past the deadline */
        return ready_http_try(ctx, url, shown,
                              left < 200 ? 200 : left > 5000 ? 5000 : (long)left);
}

int
verify_ready_once(struct step_ctx *ctx)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        char *url = NULL, *shown = NULL;
        int r = STEP_FAILED;

        if (rs->cmd == NULL && rs->http == NULL)
                return STEP_OK;
        if (rs->http == NULL ||
            (step_expand(ctx, rs->http, &url) == 0 &&
             vars_expand_masked(ctx->vars, rs->http, &shown, ctx->diag) == 0))
                r = ready_try(ctx, url, shown, now_ms() + 1000);
        free(url);
        free(shown);
        return r;
}

/* struct service's ready: one try of the plan's ready check, its failure
 * kept out of ctx->diag. */
static int
verify_ready_probe(void *ud)
{
        struct step_ctx *ctx = ud;
        struct diag *keep = ctx->diag, quiet = {0};
        int r;

        ctx->diag = &quiet;
        r = verify_ready_once(ctx);
        ctx->diag = keep;
        return r == STEP_OK;
}

int
verify_service_start(struct step_ctx *ctx, struct service *s)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        int r;

        if (rs->cmd != NULL || rs->http != NULL) {
                s->ready = verify_ready_probe;
                s->ready_ud = ctx;
        }
        r = service_start(s, step_runner(ctx), ctx->diag);
        if (r == 1)
                /* TRANSLATORS: %s is a log file. */
                step_say(ctx, OUT_INFO, _("the start command stays in the foreground: "
                                          "it is left running as the service, detached, "
                                          "its output in %s"), s->start_log);
        return r;
}

/* Without a plan's interval:, readiness is tried again after READY_FIRST_MS,
 * then after twice as long each time, up to READY_MAX_MS: a service that
 * starts fast is seen ready as soon as it is, a slow one costs few tries. */
#define READY_FIRST_MS  50
#define READY_MAX_MS    500

static int
wait_ready(struct step_ctx *ctx)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        long timeout = rs->timeout_ms ? rs->timeout_ms : 60000;
        long interval = rs->interval_ms ? rs->interval_ms : READY_FIRST_MS;
        int64_t deadline = now_ms() + timeout;
        char *url = NULL, *shown = NULL, *what = NULL, *last = NULL;
        char d[32];
        int r = STEP_FAILED;

        if (rs->cmd == NULL && rs->http == NULL)
                return STEP_OK;
        if (rs->http != NULL &&
            (step_expand(ctx, rs->http, &url) < 0 ||
             vars_expand_masked(ctx->vars, rs->http, &shown, ctx->diag) < 0))
                goto out;
        duration_format(d, sizeof d, timeout);
        if (url != NULL)
                /* TRANSLATORS: a duration, then a URL */
                what = xasprintf(_("waiting up to %s for GET %s to answer 2xx"), d, shown);
        else
                what = xasprintf(_("waiting up to %s for the service to be ready"), d);
        step_say(ctx, OUT_INFO, "%s", what);
        for (unsigned tries = 0; tries < 100000; tries++) {
                if (ready_try(ctx, url, shown, deadline) == 0) {
                        r = STEP_OK;
                        goto out;
                }
                /* Say why it is not ready yet, once each time the reason changes. */
                if (url != NULL && (last == NULL || strcmp(last, ctx->diag->msg) != 0)) {
                        free(last);
                        last = xstrdup(ctx->diag->msg);
                        step_say(ctx, OUT_INFO, _("not ready yet: %s"), last);
                }
                if (now_ms() >= deadline)
                        break;
                step_countdown(ctx, what, deadline - now_ms(), timeout);
                if (!step_sleep(ctx, interval)) {
                        diag_set(ctx->diag, _("interrupted while waiting for the service"));
                        goto out;
                }
                if (rs->interval_ms == 0)
                        interval = interval * 2 > READY_MAX_MS ? READY_MAX_MS : interval * 2;
        }
        diag_prefix(ctx->diag, _("the service was not ready within %s"), d);
out:
        free(url);
        free(shown);
        free(what);
        free(last);
        return r;
}

/* Preflight: the TLS files of ready: http: are for an https:// URL and can
 * be read. 0 or -EINVAL with why in ctx->diag. */
static int
verify_check_tls(struct step_ctx *ctx, bool tls)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        const char *keys[3] = { "ca_file", "cert_file", "key_file" };
        const char *given[3] = { rs->ca_file, rs->cert_file, rs->key_file };
        char *path;
        int r = 0;

        for (size_t i = 0; i < 3 && r == 0; i++) {
                if (given[i] == NULL)
                        continue;
                if (!tls) {
                        /* TRANSLATORS: a key such as "ca_file" */
                        diag_set(ctx->diag, _("%s: applies to an https:// URL only, and the "
                                              "URL is http://"), keys[i]);
                        return -EINVAL;
                }
                if (step_expand(ctx, given[i], &path) < 0)
                        return -EINVAL;
                if (access(path, R_OK) < 0) {
                        r = -errno;
                        /* TRANSLATORS: a key such as "ca_file", a path, why */
                        diag_set(ctx->diag, _("%s: cannot read \"%s\": %s"), keys[i], path,
                                 strerror(-r));
                        r = -EINVAL;
                }
                free(path);
        }
        return r;
}

/* Preflight: refuse what this version cannot verify, before anything changes.
 * An http: URL is checked once its variables are known, with its TLS files. */
static int
verify_check(struct step_ctx *ctx)
{
        const struct ready_spec *rs = &ctx->plan->verify.ready;
        struct http_url u = {0};
        char *url = NULL;
        int r;

        if (rs->http == NULL)
                return STEP_OK;
        if (step_expand(ctx, rs->http, &url) < 0) {
                ctx->diag->code = EXIT_USAGE;
                return STEP_FAILED;
        }
        r = http_url_parse(url, &u, ctx->diag);
        free(url);
        if (r == 0)
                r = verify_check_tls(ctx, u.tls);
        if (r < 0) {
                diag_prefix(ctx->diag, _("%s:%u:%u: ready"), ctx->plan->file,
                            rs->pos.line, rs->pos.col);
                ctx->diag->code = r == -EPROTONOSUPPORT ? EXIT_INHIBITED : EXIT_USAGE;
                http_url_release(&u);
                return STEP_FAILED;
        }
        http_url_release(&u);
        return STEP_OK;
}

/* A hop before the last: its version checked, the service stops again so
 * that the next hop's swap finds it stopped (journaled: verify.stopped). */
static int
stop_for_next_hop(struct step_ctx *ctx)
{
        struct service s = {0};
        char key[64];
        int r;

        if (step_service(ctx, &s, ctx->diag) < 0)
                return STEP_FAILED;
        /* TRANSLATORS: the version this hop installed. */
        step_say(ctx, OUT_INFO, _("stopping %s again for the next hop"),
                   vars_get(ctx->vars, "target"));
        /* As the stop step does: the plan's commands, then the manager's stop. */
        r = step_run_cmdlist(ctx, &ctx->plan->stop.run);
        if (r == 0 && (s.manager != SVC_NONE || ctx->plan->stop.run.n == 0))
                r = service_stop(&s, step_runner(ctx), ctx->diag);
        service_release(&s);
        if (r < 0)
                return STEP_FAILED;
        step_hop_key(ctx, key, sizeof key, FACT_VERIFY_STOPPED);
        return step_fact_set(ctx, key, "yes", ctx->diag) < 0 ? STEP_FAILED : STEP_OK;
}

static int
verify_run(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        bool last = step_hop(ctx) >= step_hop_count(ctx);
        struct service s = {0};
        char *after = NULL, *at;
        int r;

        if (step_service(ctx, &s, ctx->diag) < 0)
                return STEP_FAILED;
        if (s.manager != SVC_NONE && !p->swap.hot) {
                step_say(ctx, OUT_INFO, _("starting the service (%s)"),
                           service_manager_name(s.manager));
                r = verify_service_start(ctx, &s);
                if (r < 0) {
                        service_release(&s);
                        return STEP_FAILED;
                }
        }
        service_release(&s);
        if (wait_ready(ctx) < 0)
                return STEP_FAILED;
        if (last && step_fact(ctx, FACT_VERIFY_READY_AT) == NULL) {
                at = step_epoch_ms();
                r = step_fact_set(ctx, FACT_VERIFY_READY_AT, at, ctx->diag);
                free(at);
                if (r < 0)
                        return STEP_FAILED;
        }
        step_say(ctx, OUT_INFO, _("the service is ready"));
        /* After ready_at: the downtime does not include them. */
        r = migrate_run_some(ctx, true, NULL);
        if (r < 0)
                return r;
        r = step_run_cmd(ctx, &p->detect.version, &after, NULL);
        if (r != 0) {
                diag_prefix(ctx->diag, _("cannot tell the version after the upgrade"));
                return STEP_FAILED;
        }
        r = step_fact_set(ctx, FACT_VERSION_AFTER, after, ctx->diag);
        if (r == 0 && strcmp(after, vars_get(ctx->vars, "target")) != 0 &&
            version_compare_as(ctx->plan->version_scheme, after,
                               vars_get(ctx->vars, "target")) != 0) {
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
        if (serving_check(ctx, SERVING_NEW) != STEP_OK)
                return STEP_FAILED;
        /* A hot swap's next hop reloads the service: it keeps running. */
        return last || p->swap.hot ? STEP_OK : stop_for_next_hop(ctx);
}

/* Undo: stop the new version if verify started it; stop's undo starts the old. */
static int
verify_undo(struct step_ctx *ctx)
{
        struct service s = {0};
        int r;

        if (ctx->plan->swap.hot) {
                step_say(ctx, OUT_INFO, _("hot swap: the service keeps running (the swap's "
                                          "undo reloads it onto the old file)"));
                return STEP_OK;
        }
        if (step_service(ctx, &s, ctx->diag) < 0)
                return STEP_FAILED;
        step_say(ctx, OUT_INFO, _("stopping the new version"));
        r = service_stop(&s, step_runner(ctx), ctx->diag);
        service_release(&s);
        return r < 0 ? STEP_FAILED : STEP_OK;
}

/* The plan's verify: section ---------------------------------------------- */

static const char *const verify_keys[] = { "ready", "checks", NULL };

static int
verify_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        int r;

        if ((v = popt(n, "ready")) && (r = pready(c, v, &p->verify.ready)) < 0)
                return r;
        if ((v = popt(n, "checks")) &&
            (r = pchecks(c, v, &p->verify.checks, &p->verify.n_checks)) < 0)
                return r;
        return 0;
}

static void
verify_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        if (p->swap.hot)
                fprintf(s->out, _("      the service keeps running (reloaded by the swap)\n"));
        else
                describe_service(s, _("start"), p->service.start);
        describe_cmd(s, _("ready"), p->verify.ready.cmd);
        if (p->verify.ready.http) {
                char *u = describe_str(s, p->verify.ready.http);

                fprintf(s->out, _("      ready: GET %s\n"), u);
                free(u);
                if (p->verify.ready.ca_file) {
                        u = describe_str(s, p->verify.ready.ca_file);
                        /* TRANSLATORS: a file of CA certificates */
                        fprintf(s->out, _("        trusting the CAs of %s\n"), u);
                        free(u);
                }
                if (p->verify.ready.cert_file) {
                        u = describe_str(s, p->verify.ready.cert_file);
                        /* TRANSLATORS: a client certificate file */
                        fprintf(s->out, _("        with the client certificate %s\n"), u);
                        free(u);
                }
        }
        migrate_describe_some(s, true);
        describe_cmd(s, _("version"), &p->detect.version);
        describe_checks(s, p->verify.checks, p->verify.n_checks);
        if (s->hop > 0 && s->hop < s->n_hops)
                describe_service(s, _("then, for the next hop, stop"), p->service.stop);
}

const struct step_module step_verify = {
        .abi = STEP_ABI,
        .title = N_("Verify"),
        .what = N_("Start the service, wait until it is ready, and check it against the facts captured before the upgrade."),
        .undo_what = N_("Stop the new version, if it was started."),
        .risk = RISK_NONE,
        .per_hop = true,
        .plan = { .keys = verify_keys, .parse = verify_parse },
        .describe = verify_describe,
        .check = verify_check,
        .run = verify_run,
        .undo = verify_undo,
};
