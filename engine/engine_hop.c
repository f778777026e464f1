/* engine_hop.c: where the engine stands in a path of several hops. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/cmd_expand.h"
#include "lib/hops.h"
#include "lib/i18n.h"
#include "lib/rx.h"
#include "lib/sha256.h"

unsigned
engine_hop(const struct engine *e)
{
        return e->hop > 0 ? e->hop : 1;
}

unsigned
engine_hop_count(const struct engine *e)
{
        return e->hops.n > 0 ? (unsigned)e->hops.n : 1;
}

void
engine_set_hops(struct engine *e, const struct strv *hops)
{
        strv_release(&e->hops);
        for (size_t i = 0; i < hops->n; i++)
                strv_push(&e->hops, hops->v[i]);
}

int
engine_hop_vars(const struct plan *p, const struct strv *hops, unsigned hop,
                const char *installed, const char *state_dir, struct vars *vs,
                struct diag *d)
{
        const char *target;
        char *staging, name[32];

        if (hop < 1 || hop > hops->n)
                return 0;
        target = hops->v[hop - 1];
        vars_set(vs, "target", target);
        if (hop > 1)
                vars_set(vs, "hop_from", hops->v[hop - 2]);
        else if (installed)
                vars_set(vs, "hop_from", installed);
        snprintf(name, sizeof name, "hop%u", hop);
        staging = hop > 1 ? xasprintf("%s/staging/%s", state_dir, name)
                          : path_join(state_dir, "staging");
        vars_set(vs, "staging", staging);
        free(staging);
        return answers_apply_hop(p, vs, target, d);
}

const char *
engine_hop_fact(const struct engine *e, unsigned hop, const char *key)
{
        char k[128];

        if (hop <= 1)
                return engine_fact(e, key);
        snprintf(k, sizeof k, "hop%u.%s", hop, key);
        return engine_fact(e, k);
}

/* ${package_version}: the version detect read from this hop's package. */
static void
engine_hop_package_version(struct engine *e, unsigned hop)
{
        const char *v = engine_hop_fact(e, hop, FACT_PACKAGE_VERSION);

        if (v != NULL)
                vars_set(&e->vars, "package_version", v);
}

int
engine_set_hop(struct engine *e, unsigned hop, struct diag *d)
{
        if (e->hops.n == 0) {
                /* A journal from before paths of several hops: one hop. */
                e->hop = 1;
                if (engine_fact(e, FACT_VERSION))
                        vars_set(&e->vars, "hop_from", engine_fact(e, FACT_VERSION));
                return 0;
        }
        if (hop < 1)
                hop = 1;
        if (hop > e->hops.n)
                hop = (unsigned)e->hops.n;
        e->hop = hop;
        engine_hop_package_version(e, hop);
        return engine_hop_vars(e->plan, &e->hops, hop, engine_fact(e, FACT_VERSION),
                               e->opts->state_dir, &e->vars, d);
}

bool
engine_plan_has_hops(const struct plan *p)
{
        if (p->path_stops.n > 0)
                return true;
        for (size_t i = 0; i < p->n_ask; i++)
                if (p->ask[i].per_hop)
                        return true;
        return false;
}

/* One package of the swap: readable, and its SHA-256 when given. */
static int
check_one_package(const struct swap_pkg *sp, struct vars *vs, struct diag *d)
{
        char *pkg = NULL, *sum = NULL, got[SHA256_HEX_LEN + 1];
        int r = 0;

        if (vars_expand(vs, sp->package, &pkg, d) < 0 ||
            (sp->sha256 && vars_expand(vs, sp->sha256, &sum, d) < 0)) {
                r = -ENOENT;
        } else if (access(pkg, R_OK) != 0) {
                r = -errno;
                diag_set(d, _("cannot read package \"%s\": %s"), pkg, strerror(-r));
        } else if (sum && *sum) {
                if (sha256_file(pkg, got, NULL, d) < 0) {
                        r = -EIO;
                } else if (strcasecmp(got, sum) != 0) {
                        /* TRANSLATORS: package file, SHA-256 found, SHA-256 expected */
                        diag_set(d, _("package \"%s\": SHA-256 is %s, expected %s: nothing was changed; check that this is the right file"),
                                 pkg, got, sum);
                        r = -EBADMSG;
                }
        }
        free(pkg);
        free(sum);
        return r;
}

int
engine_check_package(const struct plan *p, struct vars *vs, struct diag *d)
{
        int r = 0;

        if (p->swap.package == NULL || p->swap.n_files == 0)
                return 0;
        for (size_t k = 0; r == 0 && k < p->swap.n_pkgs; k++)
                r = check_one_package(&p->swap.pkgs[k], vs, d);
        return r;
}

/* The installed version as detect will find it, without a journal or a
 * log: only to check the inputs early. 0 with *ret, or -ENOENT (not known). */
static int
probe_installed(const struct plan *p, struct vars *vs, char **ret)
{
        const struct cmd *c = &p->detect.version;
        struct exec_opts o = { .log_fd = -1, .timeout_ms = c->timeout_ms ? c->timeout_ms : 60000 };
        struct exec_result res = {0};
        struct cmd_expanded x = {0};
        char *re = NULL, *v = NULL;
        int r = -ENOENT;

        if (c->shell != NULL || c->argv.n == 0)
                return -ENOENT;
        if (cmd_expand(c, vs, &p->env, &x, NULL) < 0)
                return -ENOENT;
        o.argv = x.argv.v;
        o.env = x.env.v;
        if (exec_run(&o, &res, NULL) < 0 || res.status != 0 || res.out == NULL)
                goto out;
        if (c->match) {
                if (vars_expand_regex(vs, c->match, &re, NULL) < 0 ||
                    rx_match_once(re, res.out, &v, NULL) != 1)
                        goto out;
        } else {
                v = str_rtrim(xstrdup(res.out));
        }
        if (v && version_valid(v)) {
                *ret = v;
                v = NULL;
                r = 0;
        }
out:
        free(v);
        free(re);
        exec_result_release(&res);
        cmd_expanded_release(&x);
        return r;
}

int
engine_probe_hops(const struct plan *p, struct vars *vs, struct strv *ret)
{
        const char *target = vars_get(vs, "target");
        char *installed = NULL;
        int r = -ENOENT;

        if (target && probe_installed(p, vs, &installed) == 0)
                r = hops_compute(p, installed, target, ret, NULL);
        free(installed);
        return r < 0 ? -ENOENT : 0;
}

int
engine_validate_hops(const struct plan *p, const struct answers *a,
                     const struct engine_opts *o, struct vars *vs, struct diag *d)
{
        struct strv hops = {0};
        const char *target = vars_get(vs, "target");
        char *installed = NULL;
        int r = 0;

        /* Not known yet (the service may be down): detect checks it all. */
        if (target == NULL || probe_installed(p, vs, &installed) < 0 ||
            hops_compute(p, installed, target, &hops, NULL) < 0) {
                free(installed);
                return 0;
        }
        r = answers_check_hops(p, a, hops.v, hops.n, d);
        for (unsigned h = 1; r == 0 && h <= hops.n; h++) {
                r = engine_hop_vars(p, &hops, h, installed, o->state_dir, vs, d);
                if (r == 0)
                        r = engine_check_package(p, vs, d);
        }
        strv_release(&hops);
        free(installed);
        return r < 0 ? r : 0;
}

const struct answers *
engine_answers(const struct engine *e)
{
        return e->answers;
}
