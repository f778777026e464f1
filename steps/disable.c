/* disable.c: disconnect: disable: at run time (see disable.h): systemd
 * units and timers through systemctl, crontab lines commented out in place.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/rx.h"
#include "lib/util.h"
#include "steps/disable.h"

#define SYSTEMD_RUNNING "/run/systemd/system"   /* as sd_booted(3) checks */

/* Helpers ------------------------------------------------------------------ */

/* The fact disable.N.KIND.M[SUFFIX]. */
static const char *
fact_f(struct step_ctx *ctx, const char *kind, size_t n, size_t m, const char *suffix)
{
        char *key = xasprintf("disable.%zu.%s.%zu%s", n, kind, m, suffix);
        const char *v = step_fact(ctx, key);

        free(key);
        return v;
}

static int
set_fact_f(struct step_ctx *ctx, const char *kind, size_t n, size_t m, const char *suffix,
           const char *value)
{
        char *key = xasprintf("disable.%zu.%s.%zu%s", n, kind, m, suffix);
        int r = step_fact_set(ctx, key, value, ctx->diag);

        free(key);
        return r < 0 ? STEP_FAILED : 0;
}

#define UNIT_KEY "unit"
#define LINE_KEY "line"

/* Run argv (shown and logged like a plan's command). *ret_out (when given)
 * is its stdout, trimmed. Returns 0 with *ret_status, or STEP_FAILED. */
static int
run_argv(struct step_ctx *ctx, const char *const *argv, char **ret_out, int *ret_status)
{
        struct exec_opts o = { .argv = (char *const *)argv, .timeout_ms = 120000 };
        struct exec_result res = {0};
        char *shown = exec_argv_display((char *const *)argv);
        int r = 0;

        step_say(ctx, OUT_CMD, "%s", shown);
        if (step_exec(ctx, &o, &res, ctx->diag) < 0) {
                r = STEP_FAILED;
        } else if (res.timed_out || res.interrupted) {
                diag_set(ctx->diag, _("command \"%s\" did not finish"), shown);
                r = STEP_FAILED;
        } else {
                *ret_status = res.status;
                if (ret_out)
                        *ret_out = str_rtrim(xstrdup(res.out ? res.out : ""));
        }
        exec_result_release(&res);
        free(shown);
        return r;
}

/* systemd -------------------------------------------------------------------- */

static bool
systemd_runs(void)
{
        return path_exists(SYSTEMD_RUNNING);
}

/* "systemctl VERB UNIT"'s first word of output ("enabled", "active"). */
static int
unit_state(struct step_ctx *ctx, const char *verb, const char *unit, char **ret)
{
        const char *argv[] = { "systemctl", verb, "--", unit, NULL };
        int status;

        if (run_argv(ctx, argv, ret, &status) < 0)
                return STEP_FAILED;
        (*ret)[strcspn(*ret, " \t\n")] = '\0';
        return 0;
}

static int
unit_now(struct step_ctx *ctx, const char *unit, bool *ret_enabled, bool *ret_active)
{
        char *en = NULL, *ac = NULL;
        int r = 0;

        if (unit_state(ctx, "is-enabled", unit, &en) < 0 ||
            unit_state(ctx, "is-active", unit, &ac) < 0) {
                r = STEP_FAILED;
        } else {
                *ret_enabled = strcmp(en, "enabled") == 0;
                *ret_active = strcmp(ac, "active") == 0 || strcmp(ac, "activating") == 0 ||
                              strcmp(ac, "reloading") == 0;
        }
        free(en);
        free(ac);
        return r;
}

/* The units a name or pattern stands for: a pattern (with * ? or [) is
 * looked up in the unit files and the loaded units. */
static int
units_of(struct step_ctx *ctx, const char *pattern, struct strv *ret)
{
        static const char *const lists[][7] = {
                { "systemctl", "list-unit-files", "--no-legend", "--no-pager", "--", NULL },
                { "systemctl", "list-units", "--all", "--plain", "--no-legend", "--no-pager", NULL },
        };

        if (strpbrk(pattern, "*?[") == NULL) {
                strv_push(ret, pattern);
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
                const char *argv[9];
                char *out = NULL, *save = NULL;
                size_t k = 0;
                int status;

                for (; lists[i][k]; k++)
                        argv[k] = lists[i][k];
                if (i == 1)
                        argv[k++] = "--";
                argv[k++] = pattern;
                argv[k] = NULL;
                if (run_argv(ctx, argv, &out, &status) < 0)
                        return STEP_FAILED;
                for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                        l += strspn(l, " \t");
                        l[strcspn(l, " \t")] = '\0';
                        if (*l && strv_find(ret->v, ret->n, l) < 0)
                                strv_push(ret, l);
                }
                free(out);
        }
        return 0;
}

static int
systemd_apply(struct step_ctx *ctx, size_t n, const char *pattern)
{
        struct strv units = {0};
        int r = 0;

        if (!systemd_runs()) {
                /* TRANSLATORS: %s is a systemd unit name or pattern. */
                step_say(ctx, OUT_INFO, _("systemd does not run on this host: nothing to disable for %s"),
                           pattern);
                return 0;
        }
        if (units_of(ctx, pattern, &units) < 0)
                return STEP_FAILED;
        if (units.n == 0)
                step_say(ctx, OUT_INFO, _("no systemd unit matches %s"), pattern);
        for (size_t i = 0; i < units.n && r == 0; i++) {
                const char *unit = units.v[i];
                const char *argv[] = { "systemctl", "disable", "--now", "--", unit, NULL };
                bool enabled = false, active = false, known = false;
                size_t m;
                int status;

                for (m = 0; fact_f(ctx, UNIT_KEY, n, m, ""); m++)
                        if (strcmp(fact_f(ctx, UNIT_KEY, n, m, ""), unit) == 0) {
                                known = true;
                                break;
                        }
                if (unit_now(ctx, unit, &enabled, &active) < 0) {
                        r = STEP_FAILED;
                        break;
                }
                if (!enabled && !active) {
                        if (!known)
                                step_say(ctx, OUT_INFO, _("%s is neither enabled nor active: left alone"),
                                           unit);
                        continue;
                }
                if (!known &&
                    (set_fact_f(ctx, UNIT_KEY, n, m, ".was",
                                enabled && active ? "enabled active"
                                                  : enabled ? "enabled" : "active") < 0 ||
                     set_fact_f(ctx, UNIT_KEY, n, m, "", unit) < 0)) {
                        r = STEP_FAILED;
                        break;
                }
                if (run_argv(ctx, argv, NULL, &status) < 0) {
                        r = STEP_FAILED;
                } else if (status != 0) {
                        diag_set(ctx->diag, _("\"systemctl disable --now %s\" failed with exit status %d: disable it by hand, then resume"),
                                 unit, status);
                        r = STEP_FAILED;
                } else {
                        /* TRANSLATORS: unit, then what it was: enabled, active */
                        step_say(ctx, OUT_INFO, _("disabled and stopped %s (it was %s)"),
                                   unit, fact_f(ctx, UNIT_KEY, n, m, ".was"));
                }
        }
        strv_release(&units);
        return r;
}

static int
systemd_restore(struct step_ctx *ctx, size_t n)
{
        for (size_t m = 0; fact_f(ctx, UNIT_KEY, n, m, ""); m++) {
                const char *unit = fact_f(ctx, UNIT_KEY, n, m, "");
                const char *was = fact_f(ctx, UNIT_KEY, n, m, ".was");
                bool enabled = false, active = false;
                int status;

                if (!systemd_runs()) {
                        step_say(ctx, OUT_WARN, _("systemd does not run on this host: %s was not turned back on (it was %s)"),
                                   unit, was ? was : "?");
                        continue;
                }
                if (unit_now(ctx, unit, &enabled, &active) < 0)
                        return STEP_FAILED;
                if (was && strstr(was, "enabled") && !enabled) {
                        const char *argv[] = { "systemctl", "enable", "--", unit, NULL };

                        if (run_argv(ctx, argv, NULL, &status) < 0)
                                return STEP_FAILED;
                        if (status != 0) {
                                diag_set(ctx->diag, _("\"systemctl enable %s\" failed with exit status %d: enable it by hand, then resume"),
                                         unit, status);
                                return STEP_FAILED;
                        }
                }
                if (was && strstr(was, "active") && !active) {
                        const char *argv[] = { "systemctl", "start", "--", unit, NULL };

                        if (run_argv(ctx, argv, NULL, &status) < 0)
                                return STEP_FAILED;
                        if (status != 0) {
                                diag_set(ctx->diag, _("\"systemctl start %s\" failed with exit status %d: start it by hand, then resume"),
                                         unit, status);
                                return STEP_FAILED;
                        }
                }
                step_say(ctx, OUT_INFO, _("%s is back as it was (%s)"), unit,
                           was ? was : "?");
        }
        return 0;
}

/* Crontab files ---------------------------------------------------------- */

/* The lines of buf, the last one empty when buf ends in a newline, so that
 * joining them with "\n" gives buf back byte for byte. */
static void
split_lines(const char *buf, struct strv *ret)
{
        const char *p = buf, *nl;

        while ((nl = strchr(p, '\n')) != NULL) {
                strv_push_take(ret, xstrndup(p, (size_t)(nl - p)));
                p = nl + 1;
        }
        strv_push(ret, p);
}

static bool
is_comment_or_blank(const char *l)
{
        l += strspn(l, " \t");
        return *l == '\0' || *l == '#';
}

struct crontab {
        char        *path;
        struct stat  st;
        struct strv  lines;
        bool        *claimed;           /* a journaled line stands for it */
};

static void
crontab_release(struct crontab *ct)
{
        free(ct->path);
        strv_release(&ct->lines);
        free(ct->claimed);
}

/* Read it; 1 when it does not exist. */
static int
crontab_read(struct crontab *ct, struct diag *d)
{
        char *buf = NULL;
        size_t len;

        if (lstat(ct->path, &ct->st) < 0) {
                if (errno == ENOENT)
                        return 1;
                diag_set(d, _("cannot read \"%s\": %s"), ct->path, strerror(errno));
                return STEP_FAILED;
        }
        if (!S_ISREG(ct->st.st_mode)) {
                diag_set(d, _("crontab \"%s\" is not a regular file (a link or a directory?): point the plan at the file itself"),
                         ct->path);
                return STEP_FAILED;
        }
        if (read_file_flags(ct->path, O_NOFOLLOW, &buf, &len, d) < 0)
                return STEP_FAILED;
        if (strlen(buf) != len) {
                diag_set(d, _("crontab \"%s\" holds a NUL byte: it is not a crontab"), ct->path);
                free(buf);
                return STEP_FAILED;
        }
        split_lines(buf, &ct->lines);
        free(buf);
        ct->claimed = xcalloc(ct->lines.n, sizeof *ct->claimed);
        return 0;
}

static int
crontab_write(struct crontab *ct, struct diag *d)
{
        char *buf = strv_join(ct->lines.v, ct->lines.n, "\n");
        int r = write_file_atomic_like(ct->path, buf, strlen(buf), 0600, &ct->st, d);

        free(buf);
        return r < 0 ? STEP_FAILED : 0;
}

/* The first line not claimed yet that is exactly s; -1 when none. */
static ssize_t
find_unclaimed(const struct crontab *ct, const char *s)
{
        for (size_t i = 0; i < ct->lines.n; i++)
                if (!ct->claimed[i] && strcmp(ct->lines.v[i], s) == 0)
                        return (ssize_t)i;
        return -1;
}

static char *
marker(struct step_ctx *ctx)
{
        return xasprintf("#upshift(%s) disabled: ", ctx->plan->id);
}

static const char *
file_fact(struct step_ctx *ctx, size_t n)
{
        char *key = xasprintf("disable.%zu.file", n);
        const char *v = step_fact(ctx, key);

        free(key);
        return v;
}

static void
set_line(struct crontab *ct, size_t i, char *s)
{
        free(ct->lines.v[i]);
        ct->lines.v[i] = s;
}

static int
crontab_apply(struct step_ctx *ctx, size_t n, const struct disable_item *it)
{
        struct crontab ct = {0};
        struct rx *re = NULL;
        char *pattern = NULL, *mark = marker(ctx);
        bool *used = NULL;              /* journaled line k stands for a line already */
        size_t m, done = 0, before;
        int r;

        r = step_expand(ctx, it->file, &ct.path);
        if (r == 0 && (r = crontab_read(&ct, ctx->diag)) == 1) {
                /* TRANSLATORS: %s is a file */
                step_say(ctx, OUT_INFO, _("there is no crontab %s: nothing to disable there"),
                           ct.path);
                r = 0;
                goto out;
        }
        if (r < 0)
                goto out;
        r = STEP_FAILED;
        if (vars_expand_regex(ctx->vars, it->match, &pattern, ctx->diag) < 0 ||
            rx_compile(pattern, &re, NULL, ctx->diag) < 0)
                goto out;
        if (file_fact(ctx, n) == NULL) {
                char *key = xasprintf("disable.%zu.file", n);

                r = step_fact_set(ctx, key, ct.path, ctx->diag);
                free(key);
                if (r < 0) {
                        r = STEP_FAILED;
                        goto out;
                }
                r = STEP_FAILED;
        }
        /* Lines journaled in an earlier run: commented out already, or (after
         * a crash between the journal and the file) not yet. */
        for (before = 0; fact_f(ctx, LINE_KEY, n, before, ""); before++)
                ;
        used = xcalloc(before + 1, sizeof *used);
        for (size_t k = 0; k < before; k++) {
                char *commented = xasprintf("%s%s", mark, fact_f(ctx, LINE_KEY, n, k, ""));
                ssize_t at = find_unclaimed(&ct, commented);

                free(commented);
                if (at >= 0)
                        ct.claimed[at] = used[k] = true;
        }
        m = before;
        for (size_t i = 0; i < ct.lines.n; i++) {
                const char *l = ct.lines.v[i];
                bool journaled = false;

                if (ct.claimed[i] || is_comment_or_blank(l) ||
                    rx_search(re, l, strlen(l), NULL) != 1)
                        continue;
                for (size_t k = 0; k < before && !journaled; k++)
                        if (!used[k] && strcmp(fact_f(ctx, LINE_KEY, n, k, ""), l) == 0)
                                journaled = used[k] = true;
                /* Write-ahead: the line as it was, before the file changes. */
                if (!journaled && set_fact_f(ctx, LINE_KEY, n, m++, "", l) < 0)
                        goto out;
                /* TRANSLATORS: a file, then one of its lines */
                step_say(ctx, OUT_INFO, _("commenting out in %s: %s"), ct.path, l);
                ct.claimed[i] = true;
                set_line(&ct, i, xasprintf("%s%s", mark, l));
                done++;
        }
        if (done == 0)
                step_say(ctx, OUT_INFO, _("no line of %s to disable"), ct.path);
        r = done ? crontab_write(&ct, ctx->diag) : 0;
out:
        free(used);
        rx_free(re);
        free(pattern);
        free(mark);
        crontab_release(&ct);
        return r < 0 ? STEP_FAILED : 0;
}

static int
crontab_restore(struct step_ctx *ctx, size_t n)
{
        struct crontab ct = {0};
        const char *path = file_fact(ctx, n);
        char *mark = marker(ctx);
        size_t changed = 0;
        int r;

        if (path == NULL) {
                free(mark);
                return 0;
        }
        ct.path = xstrdup(path);
        r = crontab_read(&ct, ctx->diag);
        if (r == 1) {
                for (size_t m = 0; fact_f(ctx, LINE_KEY, n, m, ""); m++)
                        step_say(ctx, OUT_WARN, _("crontab %s is gone: this line was not put back: %s"),
                                   ct.path, fact_f(ctx, LINE_KEY, n, m, ""));
                r = 0;
        }
        for (size_t m = 0; r == 0 && fact_f(ctx, LINE_KEY, n, m, ""); m++) {
                const char *orig = fact_f(ctx, LINE_KEY, n, m, "");
                char *commented = xasprintf("%s%s", mark, orig);
                ssize_t at = find_unclaimed(&ct, commented);

                free(commented);
                if (at >= 0) {
                        set_line(&ct, (size_t)at, xstrdup(orig));
                        ct.claimed[at] = true;
                        changed++;
                        step_say(ctx, OUT_INFO, _("putting back in %s: %s"), ct.path, orig);
                } else if ((at = find_unclaimed(&ct, orig)) >= 0) {
                        ct.claimed[at] = true;          /* back already */
                } else {
                        step_say(ctx, OUT_WARN, _("this line is no longer in %s, commented out or not: add it back by hand if it is still wanted: %s"),
                                   ct.path, orig);
                }
        }
        if (r == 0 && changed)
                r = crontab_write(&ct, ctx->diag);
        free(mark);
        crontab_release(&ct);
        return r < 0 ? STEP_FAILED : 0;
}

/* The steps' entry points --------------------------------------------------- */

int
disable_apply(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;

        for (size_t i = 0; i < p->disconnect.n_disable; i++) {
                const struct disable_item *it = &p->disconnect.disable[i];
                char *unit = NULL;
                bool holds;
                int r;

                if (step_cond(ctx, &it->when, &holds) < 0)
                        return STEP_FAILED;
                if (!holds)
                        continue;
                if (it->kind == DISABLE_CRONTAB) {
                        r = crontab_apply(ctx, i, it);
                } else if ((r = step_expand(ctx, it->unit, &unit)) == 0) {
                        r = systemd_apply(ctx, i, unit);
                }
                free(unit);
                if (r < 0)
                        return STEP_FAILED;
        }
        return STEP_OK;
}

int
disable_restore(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;

        /* Crontab lines first: a timer or unit started again may look at them. */
        for (size_t i = 0; i < p->disconnect.n_disable; i++)
                if (crontab_restore(ctx, i) < 0)
                        return STEP_FAILED;
        for (size_t i = 0; i < p->disconnect.n_disable; i++)
                if (systemd_restore(ctx, i) < 0)
                        return STEP_FAILED;
        return STEP_OK;
}
