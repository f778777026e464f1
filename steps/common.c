#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "lib/cmd_expand.h"
#include "lib/i18n.h"
#include "lib/rx.h"
#include "lib/util.h"
#include "steps/facts.h"
#include "steps/step.h"

int
step_expand(struct step_ctx *ctx, const char *in, char **ret)
{
        if (in == NULL) {
                *ret = NULL;
                return 0;
        }
        if (vars_expand(ctx->vars, in, ret, ctx->diag) < 0)
                return STEP_FAILED;
        return 0;
}

int
step_cond(struct step_ctx *ctx, const struct cond *c, bool *ret_holds)
{
        const char *v;

        *ret_holds = true;
        if (!c->set)
                return 0;
        if (c->version) {
                v = vars_get(ctx->vars, "version");
                if (v == NULL || !vrange_match_as(c->version, ctx->plan->version_scheme, v)) {
                        *ret_holds = false;
                        return 0;
                }
        }
        if (c->target) {
                v = vars_get(ctx->vars, "target");
                if (v == NULL || !vrange_match_as(c->target, ctx->plan->version_scheme, v)) {
                        *ret_holds = false;
                        return 0;
                }
        }
        for (size_t i = 0; i < c->facts.n; i++) {
                char *key = xasprintf(FACT_PLAN_PREFIX "%s", c->facts.v[i].key), *re = NULL;
                int r;

                v = step_fact(ctx, key);
                free(key);
                if (v == NULL) {
                        *ret_holds = false;
                        return 0;
                }
                if (vars_expand_regex(ctx->vars, c->facts.v[i].value, &re, ctx->diag) < 0)
                        return STEP_FAILED;
                r = rx_match_once(re, v, NULL, ctx->diag);
                free(re);
                if (r < 0)
                        return STEP_FAILED;
                if (r == 0) {
                        *ret_holds = false;
                        return 0;
                }
        }
        for (size_t i = 0; i < c->answers.n; i++) {
                v = vars_get(ctx->vars, c->answers.v[i].key);
                if (v == NULL || strcmp(v, c->answers.v[i].value) != 0) {
                        *ret_holds = false;
                        return 0;
                }
        }
        return 0;
}

static int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The value of a command's output, per step_run_cmd's contract. */
static int
cmd_value(struct step_ctx *ctx, const struct cmd *c, const char *out, char **ret)
{
        struct rx *ign = NULL;
        char *re = NULL;
        int r = 0;

        if (c->ignore) {
                if (vars_expand_regex(ctx->vars, c->ignore, &re, ctx->diag) < 0 ||
                    rx_compile(re, &ign, NULL, ctx->diag) < 0) {
                        free(re);
                        return STEP_FAILED;
                }
                free(re);
        }
        if (c->lines) {
                struct strv lines = {0};
                char *copy = xstrdup(out), *save = NULL;

                for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        str_rtrim(l);
                        if (*l == '\0')
                                continue;
                        if (ign && rx_search(ign, l, strlen(l), NULL) == 1)
                                continue;
                        strv_push(&lines, l);
                }
                if (lines.n)
                        qsort(lines.v, lines.n, sizeof *lines.v, cmp_str);
                *ret = strv_join(lines.v, lines.n, "\n");
                strv_release(&lines);
                free(copy);
        } else if (c->match) {
                if (vars_expand_regex(ctx->vars, c->match, &re, ctx->diag) < 0) {
                        r = STEP_FAILED;
                } else {
                        int m = rx_match_once(re, out, ret, ctx->diag);

                        if (m < 0) {
                                r = STEP_FAILED;
                        } else if (m == 0) {
                                /* TRANSLATORS: %s is a regular expression */
                                diag_set(ctx->diag, _("its output does not match /%s/"), re);
                                r = STEP_FAILED;
                        }
                }
                free(re);
        } else {
                *ret = str_rtrim(xstrdup(out));
        }
        rx_free(ign);
        return r;
}

/* The output stream: says its command reads: a new string. */
static char *
cmd_output(const struct cmd *c, const struct exec_result *res)
{
        const char *out = res->out ? res->out : "", *err = res->err_tail ? res->err_tail : "";

        switch (c->stream) {
        case STREAM_STDERR:
                return xstrdup(err);
        case STREAM_BOTH:
                return xasprintf("%s%s%s", out, *out && out[strlen(out) - 1] != '\n' &&
                                 *err ? "\n" : "", err);
        case STREAM_STDOUT:
                break;
        }
        return xstrdup(out);
}

/* reject: fails the command when its output matches. */
static int
cmd_reject(struct step_ctx *ctx, const struct cmd *c, const char *out)
{
        char *re = NULL;
        int m;

        if (c->reject == NULL)
                return 0;
        if (vars_expand_regex(ctx->vars, c->reject, &re, ctx->diag) < 0) {
                free(re);
                return STEP_FAILED;
        }
        m = rx_match_once(re, out, NULL, ctx->diag);
        if (m > 0)
                /* TRANSLATORS: %s is a regular expression (the plan's reject:). */
                diag_set(ctx->diag, _("its output matches /%s/ (reject:)"), re);
        free(re);
        return m == 0 ? 0 : STEP_FAILED;
}

static int run_foreach(struct step_ctx *ctx, const struct cmd *c, size_t index, bool journal);

int
step_run_cmd(struct step_ctx *ctx, const struct cmd *c, char **ret_value, int *ret_status)
{
        struct exec_opts o = {0};
        struct exec_result res = {0};
        struct cmd_expanded x = {0};
        char *display = NULL, *value = NULL, *output = NULL;
        bool holds;
        int r = STEP_FAILED;

        if (c->foreach)         /* the loader allows it only in lists of commands */
                return run_foreach(ctx, c, 0, false);
        if (step_cond(ctx, &c->when, &holds) < 0)
                return STEP_FAILED;
        if (!holds)
                return 1;
        if (cmd_expand(c, ctx->vars, NULL, &x, ctx->diag) < 0)
                return STEP_FAILED;
        if (c->shell) {
                display = exec_shell_display(c->shell);
        } else {
                char *masked = NULL;
                struct strv shown = {0};

                for (size_t i = 0; i < c->argv.n; i++) {
                        if (vars_expand_masked(ctx->vars, c->argv.v[i], &masked, NULL) < 0)
                                masked = xstrdup(c->argv.v[i]);
                        strv_push_take(&shown, masked);
                }
                display = exec_argv_display(shown.v);
                strv_release(&shown);
        }
        step_say(ctx, OUT_CMD, "%s", display);
        o.argv = x.argv.v;
        o.shell = x.shell;
        o.env = x.env.v;
        o.cwd = x.cwd;
        o.timeout_ms = c->timeout_ms ? c->timeout_ms : 600000;
        if (step_exec(ctx, &o, &res, ctx->diag) < 0)
                goto out;
        if (ret_status)
                *ret_status = res.status;
        if (res.timed_out) {
                diag_set(ctx->diag, _("command \"%s\" did not finish within %lds and was stopped"),
                         display, o.timeout_ms / 1000);
                goto out;
        }
        if (res.interrupted) {
                diag_set(ctx->diag, _("command \"%s\" was interrupted"), display);
                goto out;
        }
        if (res.status != 0 && !c->may_fail) {
                char *why = exec_headline(res.err_tail);

                /* TRANSLATORS: command, exit status, the line of its errors that says why */
                diag_set(ctx->diag, _("command \"%s\" failed with exit status %d%s%s"),
                         display, res.status, *why ? ": " : "", why);
                free(why);
                goto out;
        }
        output = cmd_output(c, &res);
        if (cmd_reject(ctx, c, output) < 0 || cmd_value(ctx, c, output, &value) < 0) {
                diag_prefix(ctx->diag, _("command \"%s\""), display);
                goto out;
        }
        if (ret_value)
                *ret_value = value;
        else
                free(value);
        r = 0;
out:
        exec_result_release(&res);
        cmd_expanded_release(&x);
        free(display);
        free(output);
        return r;
}

/* foreach: the command once per line of its fact, ${item} bound to the
 * line. With journal set, each item done is journaled as the fact
 * foreach.STEP.LINE.COL.INDEX.N (its value the item; "hopH." in front in
 * hop H >= 2 of a multi-hop path), and an item journaled as done is not run
 * again when the step is entered again after a crash or a failure: LINE.COL
 * is where the command is in the plan, INDEX its place in its list (which
 * tells apart the commands of one mapping, run: [[a], [b]]). Returns 0, 1
 * (skipped by when:) or STEP_FAILED. */
static int
run_foreach(struct step_ctx *ctx, const struct cmd *c, size_t index, bool journal)
{
        struct cmd one = *c;
        struct strv items = {0};
        const char *value;
        char *fkey, *copy, *save = NULL;
        bool holds;
        int r = 0;

        if (step_cond(ctx, &c->when, &holds) < 0)
                return STEP_FAILED;
        if (!holds)
                return 1;
        fkey = xasprintf(FACT_PLAN_PREFIX "%s", c->foreach);
        value = step_fact(ctx, fkey);
        free(fkey);
        if (value == NULL) {
                /* TRANSLATORS: %s is a fact name. */
                diag_set(ctx->diag, _("foreach: fact \"%s\" was not captured in detect (check the when: of the fact and of this command)"),
                         c->foreach);
                return STEP_FAILED;
        }
        copy = xstrdup(value);
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                strv_push(&items, l);
        free(copy);
        if (items.n == 0)
                step_say(ctx, OUT_INFO, _("%s has no lines: nothing to run for each"),
                           c->foreach);
        one.foreach = NULL;
        one.when.set = false;
        for (size_t i = 0; i < items.n && r == 0; i++) {
                char key[128];
                const char *done;

                step_hop_key(ctx, key, sizeof key, "foreach.%s.%u.%u.%zu.%zu",
                               step_key(ctx->id), c->pos.line, c->pos.col, index, i);
                done = journal ? step_fact(ctx, key) : NULL;

                if (done && strcmp(done, items.v[i]) == 0) {
                        /* TRANSLATORS: item number, count, the item */
                        step_say(ctx, OUT_INFO, _("%zu/%zu %s: done in an earlier run"),
                                   i + 1, items.n, items.v[i]);
                        continue;
                }
                step_say(ctx, OUT_INFO, _("%zu/%zu %s"), i + 1, items.n, items.v[i]);
                vars_set(ctx->vars, "item", items.v[i]);
                r = step_run_cmd(ctx, &one, NULL, NULL);
                if (r < 0) {
                        /* TRANSLATORS: %s is one line of a fact (a foreach: item). */
                        diag_prefix(ctx->diag, _("for %s"), items.v[i]);
                        r = STEP_FAILED;
                } else if (journal &&
                           step_fact_set(ctx, key, items.v[i], ctx->diag) < 0) {
                        r = STEP_FAILED;
                }
        }
        vars_set(ctx->vars, "item", "");
        strv_release(&items);
        return r;
}

int
step_run_cmdlist(struct step_ctx *ctx, const struct cmdlist *l)
{
        for (size_t i = 0; i < l->n; i++) {
                int r = l->v[i].foreach ? run_foreach(ctx, &l->v[i], i, true)
                                        : step_run_cmd(ctx, &l->v[i], NULL, NULL);

                if (r < 0)
                        return STEP_FAILED;
                if (r == 0 && l->v[i].undo && step_undo_record(ctx, &l->v[i]) < 0)
                        return STEP_FAILED;
        }
        return STEP_OK;
}

/* A value as a number: whole, or "12.5"; false when it is not one. */
static bool
fact_number(const char *s, double *ret)
{
        char *end = NULL;

        *ret = strtod(s, &end);
        return end != s && *end == '\0' && *ret == *ret;
}

/* at_least:, at_most:, differs:, same: within: of check c. */
static int
step_fact_compare(struct step_ctx *ctx, const struct check *c, const char *before,
                  const char *now)
{
        double b = 0, n = 0, diff;
        bool ok;

        if (c->cmp == FACT_DIFFERS) {
                if (strcmp(now, before) != 0) {
                        step_say(ctx, OUT_INFO, _("%s changed, as it should: \"%s\" before "
                                                  "the upgrade, \"%s\" now"), c->same, before, now);
                        return 0;
                }
                /* TRANSLATORS: fact name, its value (the same before and after) */
                diag_set(ctx->diag, _("%s did not change: it is \"%s\" as before the upgrade "
                                      "(differs: wants another value)"), c->same, now);
                return STEP_FAILED;
        }
        if (!fact_number(before, &b) || !fact_number(now, &n)) {
                /* TRANSLATORS: fact name, value before, value now */
                diag_set(ctx->diag, _("%s is not a number (\"%s\" before the upgrade, \"%s\" now): "
                                      "at_least:, at_most: and within: compare numbers"),
                         c->same, before, now);
                return STEP_FAILED;
        }
        diff = n > b ? n - b : b - n;
        ok = c->cmp == FACT_AT_LEAST ? n >= b : c->cmp == FACT_AT_MOST ? n <= b
             : diff <= c->within * (b < 0 ? -b : b);
        if (ok) {
                /* TRANSLATORS: fact name, value before, value now */
                step_say(ctx, OUT_INFO, _("%s holds: %s before the upgrade, %s now"),
                         c->same, before, now);
                return 0;
        }
        if (c->cmp == FACT_AT_LEAST)
                diag_set(ctx->diag, _("%s fell: it was %s before the upgrade and is %s now "
                                      "(at_least: wants no less)"), c->same, before, now);
        else if (c->cmp == FACT_AT_MOST)
                diag_set(ctx->diag, _("%s grew: it was %s before the upgrade and is %s now "
                                      "(at_most: wants no more)"), c->same, before, now);
        else
                /* TRANSLATORS: fact name, value before, value now, a percentage */
                diag_set(ctx->diag, _("%s changed by more than %g%%: it was %s before the "
                                      "upgrade and is %s now"), c->same, c->within * 100,
                         before, now);
        return STEP_FAILED;
}

int
step_check(struct step_ctx *ctx, const struct check *c)
{
        bool holds;
        int r = 0;

        if (step_cond(ctx, &c->when, &holds) < 0)
                return STEP_FAILED;
        if (!holds)
                return 0;
        if (c->cmd) {
                r = step_run_cmd(ctx, c->cmd, NULL, NULL);
                if (r == 1)
                        return 0;
        }
        if (r == 0 && c->same) {
                char *key = xasprintf(FACT_PLAN_PREFIX "%s", c->same), *now = NULL;
                const char *before = step_fact(ctx, key);
                const struct fact *f = NULL;

                free(key);
                for (size_t i = 0; i < ctx->plan->detect.n_facts; i++)
                        if (strcmp(ctx->plan->detect.facts[i].name, c->same) == 0)
                                f = &ctx->plan->detect.facts[i];
                if (f == NULL || before == NULL) {
                        diag_set(ctx->diag, _("fact \"%s\" was not captured in detect"), c->same);
                        r = STEP_FAILED;
                } else if (step_run_cmd(ctx, &f->cmd, &now, NULL) != 0) {
                        r = STEP_FAILED;
                } else if (c->cmp != FACT_SAME || c->within > 0) {
                        r = step_fact_compare(ctx, c, before, now);
                } else if (strcmp(now, before) != 0) {
                        /* TRANSLATORS: fact name, value before, value now */
                        diag_set(ctx->diag, _("%s changed: it was \"%s\" before the upgrade and is \"%s\" now"),
                                 c->same, before, now);
                        r = STEP_FAILED;
                } else {
                        step_say(ctx, OUT_INFO, _("%s is the same as before the upgrade"),
                                   c->same);
                }
                free(now);
        } else if (r == 0 && c->cmd == NULL && (c->fail || c->warn)) {
                r = STEP_FAILED;        /* a bare condition: it holds, so it fails (or warns) */
                diag_clear(ctx->diag);
        }
        if (r == 0)
                return 0;
        if (c->warn) {
                char *msg = NULL;

                if (step_expand(ctx, c->warn, &msg) == 0)
                        step_say(ctx, OUT_WARN, "%s", msg);
                free(msg);
                diag_clear(ctx->diag);
                return 1;
        }
        if (c->fail) {
                char *msg = NULL, *why = diag_isset(ctx->diag) ? xstrdup(ctx->diag->msg) : NULL;

                if (step_expand(ctx, c->fail, &msg) == 0) {
                        if (why)
                                diag_set(ctx->diag, "%s (%s)", msg, why);
                        else
                                diag_set(ctx->diag, "%s", msg);
                }
                free(msg);
                free(why);
        }
        return STEP_FAILED;
}

int
step_count_lines(struct step_ctx *ctx, const struct cmd *c, int *ret_n, char **ret_list)
{
        struct cmd copy = *c;
        char *value = NULL;
        int n = 0, r;

        copy.lines = true;
        r = step_run_cmd(ctx, &copy, &value, NULL);
        if (r != 0) {
                free(value);
                return r == 1 ? 0 : STEP_FAILED;
        }
        if (*value) {
                n = 1;
                for (const char *p = value; *p; p++)
                        n += *p == '\n';
        }
        *ret_n = n;
        if (ret_list)
                *ret_list = value;
        else
                free(value);
        return 0;
}

char *
step_epoch_ms(void)
{
        struct timeval tv;

        gettimeofday(&tv, NULL);
        return xasprintf("%lld", (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
}
