/* upshift plan: what would be done, every command resolved; changes nothing. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/i18n.h"
#include "lib/util.h"
#include "steps/describe.h"
#include "steps/stage_check.h"
#include "steps/step.h"

/* A path with stops: swap, migrate and verify once per hop, each with the
 * hop's variables. The installed version is not known here, so the path is
 * shown from before the first stop. */
static void
show_hops(struct step_describe *s, const char *state_dir)
{
        const struct plan *p = s->p;
        struct strv hops = {0};
        char *target = xstrdup(vars_get(s->vars, "target")), *list;
        const char *installed = vars_get(s->vars, "version");
        enum step_id first, last;

        for (size_t i = 0; i < p->path_stops.n; i++)
                if (version_compare_as(p->version_scheme, p->path_stops.v[i], target) < 0)
                        strv_push(&hops, p->path_stops.v[i]);
        strv_push(&hops, target);
        list = strv_join(hops.v, hops.n, ", ");
        /* TRANSLATORS: a list of versions. */
        fprintf(s->out, _("Upgrade path: %s (a stop at or below the installed version is left out)\n"),
                list);
        free(list);
        step_hop_range(&first, &last);
        for (int i = 0; i < (int)first; i++)
                describe_step(s, (enum step_id)i);
        s->n_hops = (unsigned)hops.n;
        for (unsigned h = 1; h <= hops.n; h++) {
                s->hop = h;
                engine_hop_vars(p, &hops, h, installed, state_dir, s->vars, NULL);
                /* TRANSLATORS: hop number, how many, then two versions. */
                fprintf(s->out, _("\nHop %u of %zu: %s to %s\n"), h, hops.n,
                        vars_get(s->vars, "hop_from"), hops.v[h - 1]);
                for (size_t k = 0; k < p->swap.n_pkgs; k++) {
                        char *pkg = describe_str(s, p->swap.pkgs[k].package);

                        fprintf(s->out, _("      package %s\n"), pkg);
                        free(pkg);
                }
                for (int i = first; i <= (int)last; i++)
                        describe_step(s, (enum step_id)i);
        }
        s->hop = 0;
        engine_hop_vars(p, &hops, (unsigned)hops.n, installed, state_dir, s->vars, NULL);
        for (int i = last + 1; i < STEP_COUNT; i++)
                describe_step(s, (enum step_id)i);
        strv_release(&hops);
        free(target);
}

void
cli_plan_write(FILE *out, const struct plan *p, struct vars *vs, const char *state_dir)
{
        struct step_describe s = {.p = p, .vars = vs, .out = out};

        fprintf(out, _("Plan %s: %s (%s)\n"), p->id, p->title, p->file);
        if (p->description)
                fprintf(out, "%s\n", p->description);
        fprintf(out, _("Target version: %s\n"), vars_get(vs, "target") ? vars_get(vs, "target")
                                                                       : _("none (give --target)"));
        if (p->version_scheme != VERSION_SEMANTIC)
                /* TRANSLATORS: "debian" or "rpm", as the plan's version_scheme: says. */
                fprintf(out, _("Versions ordered as %s orders them (version_scheme: %s)\n"),
                        p->version_scheme == VERSION_DEBIAN ? "dpkg" : "rpm",
                        version_scheme_name(p->version_scheme));
        fprintf(out, _("State directory: %s\nBackup directory: %s\n"), state_dir,
                vars_get(vs, "backup_dir"));
        if (p->path_stops.n > 0 && vars_get(vs, "target")) {
                show_hops(&s, state_dir);
                return;
        }
        for (int i = 0; i < STEP_COUNT; i++)
                describe_step(&s, (enum step_id)i);
}

/* The variables upshift plan shows: unanswered questions as <key>, the
 * version as detect finds it. */
static int
plan_vars(const struct cli *c, const struct plan *p, const struct answers *a,
          const char *state, struct vars *vs, struct diag *d)
{
        for (size_t i = 0; i < p->n_ask; i++) {
                char *ph = xasprintf("<%s>", p->ask[i].key);

                vars_set(vs, p->ask[i].key, ph);
                free(ph);
        }
        vars_set(vs, "version", _("<installed version>"));
        return engine_vars(p, a, state, c->target, NULL, vs, d);
}

/* Each hop's package checked as run's detect checks it (stage_check_dry),
 * so that a package run would refuse is refused here. 0, or the exit code
 * with the message in d. */
static int
check_packages(const struct cli *c, const struct plan *p, const struct answers *a,
               const char *state, const char *target, struct diag *d)
{
        struct strv hops = {0};
        int r = 0;

        for (size_t i = 0; target != NULL && i < p->path_stops.n; i++)
                if (version_compare_as(p->version_scheme, p->path_stops.v[i], target) < 0)
                        strv_push(&hops, p->path_stops.v[i]);
        strv_push(&hops, target != NULL ? target : "");
        for (unsigned h = 1; h <= hops.n && r == 0; h++) {
                struct vars vs = {0};
                char *warning = NULL;

                r = plan_vars(c, p, a, state, &vs, d);
                if (r == 0 && hops.n > 1 &&
                    engine_hop_vars(p, &hops, h, NULL, state, &vs, NULL) < 0) {
                        vars_release(&vs);
                        continue;       /* a hop run may leave out */
                }
                if (r == 0 && stage_check_dry(p, &vs, c->strict_packages, &warning, d) < 0) {
                        if (hops.n > 1)
                                diag_prefix(d, _("hop %u (to %s)"), h, hops.v[h - 1]);
                        r = d->code ? d->code : EXIT_USAGE;
                } else if (r < 0) {
                        r = EXIT_USAGE;
                }
                if (warning != NULL)
                        /* TRANSLATORS: a warning about a package. */
                        fprintf(stderr, _("upshift: warning: %s\n"), warning);
                free(warning);
                vars_release(&vs);
        }
        strv_release(&hops);
        return r;
}

int
cli_plan(struct cli *c)
{
        struct vars vars = {0};
        struct plan *p = NULL;
        struct answers *a = NULL;
        struct diag d = {0};
        char *state;
        int r = cli_load_plan(c, &p);

        if (r)
                return r;
        /* With an answers file this is a dry run of it: check it as run would. */
        if (answers_load(c->answers, p, c->answers != NULL, &a, &d) < 0) {
                cli_error(d.msg);
                plan_free(p);
                return EXIT_USAGE;
        }
        state = cli_state_dir(c, p->id);
        if (plan_vars(c, p, a, state, &vars, &d) < 0) {
                cli_error(d.msg);
                r = EXIT_USAGE;
                goto out;
        }
        r = check_packages(c, p, a, state, vars_get(&vars, "target"), &d);
        if (r != 0) {
                cli_error(d.msg);
                goto out;
        }
        cli_plan_write(stdout, p, &vars, state);
        printf(_("\nNothing has been changed. Run it with: upshift run %s%s%s\n"), c->plan_arg,
               c->answers ? " --answers " : "", c->answers ? c->answers : "");
out:
        free(state);
        vars_release(&vars);
        answers_free(a);
        plan_free(p);
        return r;
}
