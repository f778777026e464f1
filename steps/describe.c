/* describe.c: the describe_* helpers step modules write `upshift plan`
 * with, and describe_step(), one step's whole text (describe.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exec.h"
#include "lib/i18n.h"
#include "lib/service.h"
#include "lib/util.h"
#include "steps/describe.h"
#include "steps/step.h"

/* Expand for display: secrets masked; never fails. Each ${name} is
 * expanded on its own, so an unknown one stays as written and the known
 * ones around it are still shown resolved. */
char *
describe_str(struct step_describe *s, const char *in)
{
        struct strbuf sb = {0};
        const char *p = in;

        if (in == NULL)
                return xstrdup("");
        strbuf_adds(&sb, "");
        while (*p) {
                const char *end = p[0] == '$' && p[1] == '{' ? strchr(p + 2, '}') : NULL;
                char *one, *out = NULL;

                if (p[0] == '$' && p[1] == '$') {
                        strbuf_addch(&sb, '$');
                        p += 2;
                        continue;
                }
                if (end == NULL) {
                        size_t n = strcspn(p + 1, "$") + 1;

                        strbuf_add(&sb, p, n);
                        p += n;
                        continue;
                }
                one = xstrndup(p, (size_t)(end + 1 - p));
                if (vars_expand_masked(s->vars, one, &out, NULL) < 0)
                        strbuf_adds(&sb, one);
                else
                        strbuf_adds(&sb, out);
                free(out);
                free(one);
                p = end + 1;
        }
        return strbuf_detach(&sb);
}

void
describe_cond(struct step_describe *s, const struct cond *c)
{
        if (!c->set)
                return;
        fprintf(s->out, _("      when"));
        if (c->version)
                fprintf(s->out, _(" version %s"), vrange_text(c->version));
        if (c->target)
                fprintf(s->out, _(" target %s"), vrange_text(c->target));
        for (size_t i = 0; i < c->facts.n; i++)
                fprintf(s->out, _(" fact %s =~ /%s/"), c->facts.v[i].key, c->facts.v[i].value);
        for (size_t i = 0; i < c->answers.n; i++)
                fprintf(s->out, _(" %s = %s"), c->answers.v[i].key, c->answers.v[i].value);
        fprintf(s->out, ":\n");
}

void
describe_cmd(struct step_describe *s, const char *label, const struct cmd *c)
{
        char *line;

        if (c == NULL)
                return;
        describe_cond(s, &c->when);
        if (c->foreach) {
                /* TRANSLATORS: %s is a fact name; ${item} is plan syntax. */
                fprintf(s->out, _("      for each line of %s, as ${item}:\n"), c->foreach);
                vars_set(s->vars, "item", "${item}");
        }
        if (c->shell) {
                line = exec_shell_display(c->shell);
        } else {
                struct strv v = {0};

                for (size_t i = 0; i < c->argv.n; i++)
                        strv_push_take(&v, describe_str(s, c->argv.v[i]));
                line = exec_argv_display(v.v);
                strv_release(&v);
        }
        fprintf(s->out, "      %s%s$ %s", label ? label : "", label ? ": " : "", line);
        if (c->ignore)
                fprintf(s->out, _("   (leaving out lines matching /%s/)"), c->ignore);
        if (c->match) {
                char *m = describe_str(s, c->match);

                fprintf(s->out, _("   (must match /%s/)"), m);
                free(m);
        }
        if (c->timeout_ms) {
                char d[32];

                duration_format(d, sizeof d, c->timeout_ms);
                fprintf(s->out, _("   (timeout %s)"), d);
        }
        fprintf(s->out, "\n");
        free(line);
        if (c->undo)
                describe_cmd(s, _("undone by rollback with"), c->undo);
}

void
describe_cmds(struct step_describe *s, const char *label, const struct cmdlist *l)
{
        for (size_t i = 0; i < l->n; i++)
                describe_cmd(s, label, &l->v[i]);
}

void
describe_checks(struct step_describe *s, const struct check *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                describe_cond(s, &v[i].when);
                if (v[i].cmd)
                        describe_cmd(s, _("check"), v[i].cmd);
                if (v[i].same && v[i].cmp == FACT_SAME && v[i].within > 0)
                        fprintf(s->out, _("      check: %s is within %g%% of its value before the upgrade\n"),
                                v[i].same, v[i].within * 100);
                else if (v[i].same && v[i].cmp == FACT_AT_LEAST)
                        fprintf(s->out, _("      check: %s is at least as before the upgrade\n"), v[i].same);
                else if (v[i].same && v[i].cmp == FACT_AT_MOST)
                        fprintf(s->out, _("      check: %s is at most as before the upgrade\n"), v[i].same);
                else if (v[i].same && v[i].cmp == FACT_DIFFERS)
                        fprintf(s->out, _("      check: %s differs from before the upgrade\n"), v[i].same);
                else if (v[i].same)
                        fprintf(s->out, _("      check: %s is the same as before the upgrade\n"), v[i].same);
                if (v[i].fail) {
                        char *m = describe_str(s, v[i].fail);

                        fprintf(s->out, _("      otherwise stop: %s\n"), m);
                        free(m);
                }
                if (v[i].warn) {
                        char *m = describe_str(s, v[i].warn);

                        fprintf(s->out, _("      otherwise warn: %s\n"), m);
                        free(m);
                }
        }
}

void
describe_service(struct step_describe *s, const char *verb, const struct cmd *c)
{
        const struct service_spec *sp = &s->p->service;
        char *name = describe_str(s, sp->name), *pid = describe_str(s, sp->pidfile);
        char *mgr = sp->manager == SVC_FROM_VAR ? describe_str(s, sp->manager_var)
                                                : xstrdup(service_manager_name(sp->manager));

        fprintf(s->out, _("      %s the service (manager %s%s%s%s%s)\n"), verb, mgr, *name ? ", " : "", name,
               *pid ? _(", pidfile ") : "", pid);
        if (c)
                describe_cmd(s, NULL, c);
        free(name);
        free(pid);
        free(mgr);
}

void
describe_step(struct step_describe *s, enum step_id id)
{
        const struct step_module *m = step_registry[id];
        const struct plan *p = s->p;

        if (p->swap.hot && (id == STEP_DISCONNECT || id == STEP_STOP)) {
                /* TRANSLATORS: a step's number and key ("stop") */
                fprintf(s->out, _("\n%d. %s: skipped (a hot swap: the service keeps running)\n"),
                        (int)id + 1, step_key(id));
                return;
        }
        fprintf(s->out, "\n%d. %s: %s%s\n   %s\n", (int)id + 1, step_key(id), _(m->title),
               m->risk == RISK_DESTRUCTIVE && (id != STEP_MIGRATE || p->migrate.n > 0)
                       ? _("  [asks for confirmation]") : "", _(m->what));
        if (m->consequence)
                fprintf(s->out, _("   Cost: %s\n"), _(m->consequence));
        if (m->describe)
                m->describe(s);
        for (size_t i = 0; i < p->step[id].checklist_keys.n; i++) {
                const struct question *q = plan_question(p, p->step[id].checklist_keys.v[i]);

                if (q) {
                        char *t = describe_str(s, q->text);

                        fprintf(s->out, _("      checklist [%s]: %s\n"), q->key, t);
                        free(t);
                }
        }
}
