/* upshift plan: what would be done, every command resolved; changes nothing. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/i18n.h"
#include "lib/util.h"
#include "steps/describe.h"
#include "steps/step.h"
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
                if (version_compare(p->path_stops.v[i], target) < 0)
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
                if (p->swap.package) {
                        char *pkg = describe_str(s, p->swap.package);

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
        fprintf(out, _("State directory: %s\nBackup directory: %s\n"), state_dir,
                vars_get(vs, "backup_dir"));
        if (p->path_stops.n > 0 && vars_get(vs, "target")) {
                show_hops(&s, state_dir);
                return;
        }
        for (int i = 0; i < STEP_COUNT; i++)
                describe_step(&s, (enum step_id)i);
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
        /* Unanswered questions show as <key>; the version as detect finds it. */
        for (size_t i = 0; i < p->n_ask; i++) {
                char *ph = xasprintf("<%s>", p->ask[i].key);

                vars_set(&vars, p->ask[i].key, ph);
                free(ph);
        }
        vars_set(&vars, "version", _("<installed version>"));
        if (engine_vars(p, a, state, c->target, NULL, &vars, &d) < 0) {
                cli_error(d.msg);
                r = EXIT_USAGE;
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
