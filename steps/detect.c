/* detect: the installed version, the target, facts to compare later,
 * preflight checks, and the package staged and checksummed ahead of downtime. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hops.h"
#include "lib/i18n.h"
#include "lib/package.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/stage_check.h"
#include "steps/staging.h"
#include "steps/step.h"

/* Journal a fact under the current hop's key. */
static int
hfact_set(struct step_ctx *ctx, const char *key, const char *value)
{
        char k[128];

        step_hop_key(ctx, k, sizeof k, "%s", key);
        return step_fact_set(ctx, k, value, ctx->diag);
}

static bool
has_dir_mapping(const struct plan *p)
{
        for (size_t i = 0; i < p->swap.n_files; i++)
                if (p->swap.files[i].dir)
                        return true;
        return false;
}

/* The records of staged file i (steps/staging.h): its entry, and where it
 * goes when it was found below a mapped directory. */
static int
journal_staged(struct step_ctx *ctx, const struct staged_file *f, size_t i, bool dirs,
               char **dir_targets)
{
        struct staged_entry e = {
                .member = dirs ? f->member : NULL,
                .map = f->request,
                .link = f->link,
                .sha256 = f->sha256,
                .mode = f->mode,
        };
        char *t;

        if (staged_save(ctx, i, &e) < 0)
                return STEP_FAILED;
        if (!dirs || f->rel == NULL)
                return 0;
        t = xasprintf("%s%s", dir_targets[f->request], f->rel);
        swap_rec_queue(ctx, SWAP_TARGET, i, t);
        free(t);
        return 0;
}

/* Several packages (swap: packages:): FACT_PACKAGES, each name with its
 * version, the version said once when all say the same one, and
 * FACT_PACKAGES_SHA256, each name with its SHA-256. */
static int
journal_packages(struct step_ctx *ctx, const struct stage_pkgs *pkgs)
{
        const struct plan *p = ctx->plan;
        struct strbuf names = {0}, sums = {0};
        bool same = true;
        char *text;
        int r;

        if (p->swap.n_pkgs < 2 || pkgs->versions.n != p->swap.n_pkgs ||
            pkgs->sha256.n != p->swap.n_pkgs)
                return 0;
        for (size_t k = 0; k < p->swap.n_pkgs; k++)
                same = same && pkgs->versions.v[k][0] != '\0' &&
                       strcmp(pkgs->versions.v[k], pkgs->versions.v[0]) == 0;
        for (size_t k = 0; k < p->swap.n_pkgs; k++) {
                const char *v = pkgs->versions.v[k];

                strbuf_addf(&names, "%s%s%s%s", k > 0 ? ", " : "", p->swap.pkgs[k].name,
                            same || *v == '\0' ? "" : " ", same ? "" : v);
                strbuf_addf(&sums, "%s%s %s", k > 0 ? ", " : "", p->swap.pkgs[k].name,
                            pkgs->sha256.v[k]);
        }
        if (same)
                strbuf_addf(&names, " %s", pkgs->versions.v[0]);
        text = strbuf_detach(&names);
        step_say(ctx, OUT_INFO, _("packages: %s"), text);
        r = hfact_set(ctx, FACT_PACKAGES, text) < 0 ||
            hfact_set(ctx, FACT_PACKAGES_SHA256, sums.buf ? sums.buf : "") < 0 ? -1 : 0;
        free(text);
        strbuf_release(&sums);
        return r;
}

/* Stage the swap's package into ${staging}, checked as stage_check() does
 * (a directory mapping stands for every file below it), and journal what
 * was staged. */
static int
stage_package(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        struct staged st = {0};
        struct stage_pkgs pkgs = {0};
        char *pkg = NULL, **dir_targets = NULL;
        bool dirs = has_dir_mapping(p);
        int r = STEP_FAILED;

        if (p->swap.package == NULL || p->swap.n_files == 0)
                return STEP_OK;
        for (size_t k = 0; k < p->swap.n_pkgs; k++) {
                if (step_expand(ctx, p->swap.pkgs[k].package, &pkg) < 0)
                        return STEP_FAILED;
                step_say(ctx, OUT_INFO, _("staging %zu file(s) from package %s"),
                           p->swap.pkgs[k].n_files, pkg);
                free(pkg);
        }
        if (stage_check(p, ctx->vars, vars_get(ctx->vars, "staging"),
                        step_strict_packages(ctx), &st, &pkgs, &dir_targets, ctx->diag) < 0)
                return STEP_FAILED;
        if (st.hostile.n > 0) {
                char *text = package_hostile_text(&st);

                /* TRANSLATORS: package_hostile_text(): "3 entries the plan ...". */
                step_say(ctx, OUT_WARN, p->swap.n_pkgs > 1
                         /* TRANSLATORS: the same, each entry naming its package. */
                         ? _("the packages hold %s; --strict-packages refuses such a package")
                         : _("the package holds %s; --strict-packages refuses such a package"),
                         text);
                free(text);
        }
        if (hfact_set(ctx, FACT_PACKAGE_SHA256, st.sha256) < 0 ||
            (st.version && hfact_set(ctx, FACT_PACKAGE_VERSION, st.version) < 0) ||
            journal_packages(ctx, &pkgs) < 0)
                goto out;
        if (st.version)
                vars_set(ctx->vars, "package_version", st.version);
        if (dirs && staged_count_save(ctx, st.n) < 0)
                goto out;
        for (size_t i = 0; i < st.n; i++)
                if (journal_staged(ctx, &st.files[i], i, dirs, dir_targets) < 0)
                        goto out;
        /* The staged files' records, one batch: they name files in
         * ${staging} written already, nothing beside the targets yet. */
        if (step_facts_commit(ctx, ctx->diag) < 0)
                goto out;
        if (st.n != p->swap.n_files)
                /* TRANSLATORS: a number of files found in a package's mapped directories. */
                step_say(ctx, OUT_INFO, _("%zu file(s) to install in all"), st.n);
        step_say(ctx, OUT_INFO, _("package checked (SHA-256 %s)%s%s"), st.sha256,
                   st.version ? _(", version ") : "", st.version ? st.version : "");
        r = staging_prestage(ctx);
out:
        stage_check_targets_free(p, dir_targets);
        stage_pkgs_release(&pkgs);
        staged_release(&st);
        return r;
}

/* The hops from version to target: shown, journaled (fact "hops") and set
 * in the engine. Refused (exit 3): a downgrade, a version older than the
 * plan's min_version. The per-hop answers must cover every hop (exit 2). */
static int
decide_hops(struct step_ctx *ctx, const char *version, const char *target)
{
        struct strv hops = {0};
        char *list;
        int r;

        r = hops_compute(ctx->plan, version, target, &hops, ctx->diag);
        if (r < 0) {
                ctx->diag->code = EXIT_INHIBITED;
                return STEP_FAILED;
        }
        if (version_compare_as(ctx->plan->version_scheme, version, target) == 0)
                step_say(ctx, OUT_INFO,
                           _("the target is the same version (%s): the package is swapped as a rebuild"),
                           target);
        list = strv_join(hops.v, hops.n, ", ");
        if (hops.n > 1)
                /* TRANSLATORS: a number of hops, then their target versions. */
                step_say(ctx, OUT_INFO, _("upgrade path: %zu hops, to %s"), hops.n, list);
        free(list);
        list = hops_join(&hops);
        r = step_fact_set(ctx, FACT_HOPS, list, ctx->diag);
        free(list);
        if (r == 0) {
                step_set_hops(ctx, &hops);
                r = answers_check_hops(ctx->plan, step_answers(ctx), hops.v, hops.n,
                                       ctx->diag);
                if (r < 0)
                        ctx->diag->code = EXIT_USAGE;
        }
        strv_release(&hops);
        return r < 0 ? STEP_FAILED : 0;
}

/* Stage every hop's package, each checked before anything changes; the
 * variables are the last hop's afterwards. */
static int
stage_hops(struct step_ctx *ctx)
{
        unsigned n = step_hop_count(ctx);
        int r = 0;

        for (unsigned h = 1; h <= n && r == 0; h++) {
                r = step_set_hop(ctx, h, ctx->diag);
                if (r == 0 && n > 1)
                        /* TRANSLATORS: a hop's number, how many, then its target. */
                        step_say(ctx, OUT_INFO, _("hop %u of %u (to %s):"), h, n,
                                   vars_get(ctx->vars, "target"));
                if (r == 0)
                        r = stage_package(ctx);
                if (r < 0 && n > 1)
                        diag_prefix(ctx->diag, _("hop %u (to %s)"), h, vars_get(ctx->vars, "target"));
        }
        if (r == 0)
                r = step_set_hop(ctx, n, ctx->diag);
        return r < 0 ? STEP_FAILED : STEP_OK;
}

static int
detect_run(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        const char *target = vars_get(ctx->vars, "target");
        char *version = NULL;
        int r;

        r = step_run_cmd(ctx, &p->detect.version, &version, NULL);
        if (r != 0) {
                diag_prefix(ctx->diag, _("cannot tell the installed version"));
                return STEP_FAILED;
        }
        if (!version_valid(version)) {
                diag_set(ctx->diag, _("the installed version \"%s\" is not a version number"),
                         version);
                free(version);
                return STEP_FAILED;
        }
        if (step_fact_set(ctx, FACT_VERSION, version, ctx->diag) < 0) {
                free(version);
                return STEP_FAILED;
        }
        vars_set(ctx->vars, "version", version);
        step_say(ctx, OUT_INFO, _("installed version: %s"), version);
        if (target == NULL) {
                diag_set(ctx->diag, _("no target version: the plan has no target: and none was given with --target"));
                ctx->diag->code = EXIT_USAGE;
                free(version);
                return STEP_FAILED;
        }
        r = decide_hops(ctx, version, target);
        free(version);
        if (r < 0)
                return STEP_FAILED;
        if (step_fact_set(ctx, FACT_TARGET, target, ctx->diag) < 0)
                return STEP_FAILED;

        for (size_t i = 0; i < p->detect.n_facts; i++) {
                const struct fact *f = &p->detect.facts[i];
                char *value = NULL, *key;

                r = step_run_cmd(ctx, &f->cmd, &value, NULL);
                if (r < 0) {
                        diag_prefix(ctx->diag, _("fact \"%s\""), f->name);
                        return STEP_FAILED;
                }
                if (r == 1)
                        continue;
                key = xasprintf(FACT_PLAN_PREFIX "%s", f->name);
                r = step_fact_set(ctx, key, value, ctx->diag);
                if (r == 0)
                        vars_set(ctx->vars, key, value);        /* ${fact.NAME} */
                if (r == 0)
                        step_say(ctx, OUT_INFO, _("%s: %s"), f->name,
                                   strchr(value, '\n') ? _("(several lines)") : value);
                free(key);
                free(value);
                if (r < 0)
                        return STEP_FAILED;
        }
        for (size_t i = 0; i < p->detect.n_checks; i++) {
                r = step_check(ctx, &p->detect.checks[i]);
                if (r < 0) {
                        ctx->diag->code = EXIT_INHIBITED;
                        return STEP_FAILED;
                }
        }
        return stage_hops(ctx);
}

/* Undo: remove what was staged beside the targets. */
static int
detect_undo(struct step_ctx *ctx)
{
        staging_unstage(ctx, true);
        return STEP_OK;
}

/* The plan's detect: section ---------------------------------------------- */

static const char *const detect_keys[] = { "version", "facts", "checks", NULL };
/* A fact's own key, beside those of its command (pcmd_keys()). */
static const char *const fact_own_keys[] = { "counts", NULL };

/* One fact: a command, or a command's mapping with counts:. */
static int
pfact(struct pctx *c, const struct ynode *n, struct fact *f)
{
        const char **keys;
        struct ynode *v;
        int r;

        if (n->kind != YNODE_MAP)
                return pcmd(c, n, &f->cmd);
        keys = pcmd_keys(PCMD_IN_FACT, 0, fact_own_keys);
        r = pkeys(c, n, keys, _("a fact"));
        free(keys);
        if (r < 0)
                return r;
        if ((v = popt(n, "counts")) && (r = pbool(c, v, &f->counts)) < 0)
                return r;
        return pcmd_fields(c, n, &f->cmd, 0, -1);
}

static int
detect_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        const char *where = _("detect");
        struct ynode *v;
        int r;

        if (ynode_is_null(n))
                return pmissing(c, n, "version", where);
        if ((r = psection_keys(c, n, detect_keys, where)) < 0)
                return r;
        if ((v = popt(n, "version")) == NULL)
                return pmissing(c, n, "version", where);
        if ((r = pcmd(c, v, &p->detect.version)) < 0)
                return r;
        if (p->detect.version.match == NULL)
                return perr(c, v, _("detect version: needs match: (a regular expression "
                                    "whose group 1 is the version)"));
        if ((v = popt(n, "facts"))) {
                if (v->kind != YNODE_MAP)
                        return perr(c, v, _("expected a mapping of fact names to commands"));
                p->detect.facts = xcalloc(v->n + 1, sizeof *p->detect.facts);
                for (size_t i = 0; i < v->n; i++) {
                        struct fact *f = &p->detect.facts[i];
                        const struct ynode *k = v->pairs[i].key;

                        p->detect.n_facts = i + 1;
                        if (!pis_key(k->str, false))
                                return perr(c, k, _("bad fact name (expected lower-case "
                                                    "letters, digits and \"_\")"));
                        f->name = xstrdup(k->str);
                        f->pos = pnode_pos(k);
                        if ((r = pfact(c, v->pairs[i].value, f)) < 0)
                                return r;
                }
        }
        if ((v = popt(n, "checks")) &&
            (r = pchecks(c, v, &p->detect.checks, &p->detect.n_checks)) < 0)
                return r;
        return 0;
}

static void
detect_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        describe_cmd(s, _("version"), &p->detect.version);
        for (size_t i = 0; i < p->detect.n_facts; i++)
                describe_cmd(s, p->detect.facts[i].name, &p->detect.facts[i].cmd);
        describe_checks(s, p->detect.checks, p->detect.n_checks);
        for (size_t k = 0; k < p->swap.n_pkgs; k++) {
                char *pkg = describe_str(s, p->swap.pkgs[k].package);
                char *sum = describe_str(s, p->swap.pkgs[k].sha256);

                fprintf(s->out, _("      stage the package %s%s%s\n"), pkg, *sum ? _(", SHA-256 ") : "", sum);
                free(pkg);
                free(sum);
        }
}

const struct step_module step_detect = {
        .abi = STEP_ABI,
        .title = N_("Detect"),
        .what = N_("Find the installed version, record facts to compare after the upgrade, run the preflight checks and stage the new package."),
        .risk = RISK_NONE,
        .undo_each_hop = true,
        .plan = { .parse = detect_parse },
        .describe = detect_describe,
        .run = detect_run,
        .undo = detect_undo,
};
