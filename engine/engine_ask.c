/* engine_ask.c: the questions of an interactive run (o->interactive).
 *
 * Before anything changes, every question the answers do not settle is
 * asked through the frontend: one form per group (the plan's ask: items
 * with the built-in backup directory, then one per hop for the per_hop
 * questions), each value checked by the same code as the answers file
 * (answers.c), and asked again with the error in place. Then the review
 * (what upshift plan shows) and the package's checksum. A resumed upgrade
 * only asks for what the saved answers lack (secrets are never saved). A
 * frontend without form asks question by question (the line frontend on
 * a terminal). A step's checklist is asked when the step is due
 * (engine_ask_checklist), not before the run: it names what a person does
 * then ("the writers are resumed" makes no sense before the upgrade).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "engine/engine_int.h"
#include "lib/archive.h"
#include "lib/i18n.h"

struct group {
        char                   *title;
        char                   *hop;            /* per_hop questions of the hop to this version */
        struct form_field      *fields;
        size_t                  n;
};

struct asking {
        struct engine          *e;
        struct group           *groups;
        size_t                  n_groups;
        struct question         backup_q;       /* the built-in backup_dir */
        struct strv             errors;         /* messages the fields point to */
        char                   *form_error;
        bool                    hop_groups;     /* per_hop questions asked after the others */
        bool                    hops_added;
        bool                    at_step;        /* a step's checklist, asked when it is due */
};

static void
add_field(struct group *g, const struct question *q)
{
        g->fields = xrealloc(g->fields, (g->n + 1) * sizeof *g->fields);
        g->fields[g->n++] = (struct form_field){ .q = q };
}

static struct group *
add_group(struct asking *a, char *title)
{
        a->groups = xrealloc(a->groups, (a->n_groups + 1) * sizeof *a->groups);
        a->groups[a->n_groups] = (struct group){ .title = title };
        return &a->groups[a->n_groups++];
}

/* Does this question still need an answer on a resumed upgrade? */
static bool
missing(const struct engine *e, const struct question *q)
{
        const char *v = e->answers ? kvlist_get(&e->answers->kv, q->key) : NULL;

        if (q->type == Q_CONFIRM)
                return v == NULL || strcmp(v, "yes") != 0;
        if (q->per_hop && answers_map(e->answers, q->key))
                return false;
        return v == NULL && q->required && q->def == NULL;
}

static void
make_groups(struct asking *a, bool only_missing)
{
        const struct plan *p = a->e->plan;
        struct group *g = NULL;

        for (size_t i = 0; i < p->n_ask; i++)
                if (p->ask[i].per_hop && p->path_stops.n > 0 &&
                    !(only_missing && !missing(a->e, &p->ask[i])))
                        a->hop_groups = true;
        for (size_t i = 0; i < p->n_ask; i++) {
                const struct question *q = &p->ask[i];

                if (q->step != STEP_NONE || (only_missing && !missing(a->e, q)) ||
                    (q->per_hop && a->hop_groups))
                        continue;
                if (g == NULL)
                        g = add_group(a, xstrdup(_("Questions")));
                add_field(g, q);
        }
        if (!only_missing) {
                if (g == NULL)
                        g = add_group(a, xstrdup(_("Questions")));
                a->backup_q = (struct question){
                        .key = (char *)"backup_dir",
                        .text = (char *)_("Directory for the backup"),
                        .help = (char *)_("The data is archived and verified here before the service is touched."),
                        .type = Q_DIR, .step = STEP_NONE,
                };
                add_field(g, &a->backup_q);
        }
}

/* The map of per-hop answers for key in ans, added when missing. */
static struct answer_map *
map_of(struct answers *ans, const char *key)
{
        struct answer_map *m;

        for (size_t i = 0; i < ans->n_maps; i++)
                if (strcmp(ans->maps[i].key, key) == 0)
                        return &ans->maps[i];
        ans->maps = xrealloc(ans->maps, (ans->n_maps + 1) * sizeof *ans->maps);
        m = &ans->maps[ans->n_maps++];
        memset(m, 0, sizeof *m);
        m->key = xstrdup(key);
        return m;
}

/* The answers as the fields now stand (values already checked), on top of
 * what was given. Empty values are left out: the default applies. */
static struct answers *
collect(struct asking *a)
{
        struct answers *ans = xcalloc(1, sizeof *ans);
        const struct answers *given = a->e->answers;

        for (size_t i = 0; given && i < given->kv.n; i++)
                kvlist_set(&ans->kv, given->kv.v[i].key, given->kv.v[i].value);
        for (size_t i = 0; given && i < given->n_maps; i++) {
                const struct answer_map *m = &given->maps[i];
                struct answer_map *c = map_of(ans, m->key);

                c->scalar = m->scalar;
                c->line = m->line;
                c->col = m->col;
                for (size_t k = 0; k < m->byver.n; k++)
                        kvlist_set(&c->byver, m->byver.v[k].key, m->byver.v[k].value);
        }
        for (size_t g = 0; g < a->n_groups; g++)
                for (size_t i = 0; i < a->groups[g].n; i++) {
                        const struct form_field *f = &a->groups[g].fields[i];

                        if (f->value == NULL || *f->value == '\0' || f->error != NULL)
                                continue;
                        if (a->groups[g].hop)
                                kvlist_set(&map_of(ans, f->q->key)->byver, a->groups[g].hop,
                                           f->value);
                        else
                                kvlist_set(&ans->kv, f->q->key, f->value);
                }
        return ans;
}

/* Fill the fields never shown with the answer or the default, worked out
 * from the answers so far (a default may use an earlier answer). */
static void
fill_defaults(struct asking *a, struct group *g)
{
        struct answers *ans = collect(a);
        struct vars vs = {0};
        struct diag d = {0};
        bool ok = engine_vars(a->e->plan, ans, a->e->opts->state_dir, a->e->opts->target,
                              &a->e->st.facts, &vs, &d) == 0;

        if (ok && g->hop) {
                /* A hop's defaults see that hop's target. */
                vars_set(&vs, "target", g->hop);
                for (size_t i = 0; i < g->n; i++) {
                        char *v = NULL;

                        if (g->fields[i].value == NULL && g->fields[i].q->def &&
                            vars_expand(&vs, g->fields[i].q->def, &v, &d) == 0)
                                g->fields[i].value = v;
                }
        }
        for (size_t i = 0; i < g->n; i++) {
                struct form_field *f = &g->fields[i];
                const char *v = ok && !g->hop ? vars_get(&vs, f->q->key) : NULL;

                if (f->value != NULL)
                        continue;
                if (f->q->type == Q_CONFIRM)
                        v = kvlist_get(&ans->kv, f->q->key);
                f->value = xstrdup(v ? v : "");
        }
        vars_release(&vs);
        answers_free(ans);
}

/* Check every field of g; true when all are right. */
static bool
check_group(struct asking *a, struct group *g)
{
        bool all = true;

        for (size_t i = 0; i < g->n; i++) {
                struct form_field *f = &g->fields[i];
                const struct question *q = f->q;
                struct diag d = {0};
                char *norm = NULL;

                f->error = NULL;
                if (*f->value == '\0') {
                        if (q->type == Q_CONFIRM)
                                diag_set(&d, _("answer yes once this is done: the upgrade waits for it"));
                        else if (q->required && q->def == NULL)
                                diag_set(&d, _("an answer is needed"));
                        else
                                continue;
                } else if (answers_check_value(q, f->value, &norm, &d) == 0) {
                        if (q->type == Q_CONFIRM && strcmp(norm, "yes") != 0) {
                                diag_set(&d, _("answer yes once this is done: the upgrade waits for it"));
                        } else {
                                free(f->value);
                                f->value = norm;
                                continue;
                        }
                        free(norm);
                }
                strv_push(&a->errors, d.msg);
                f->error = a->errors.v[a->errors.n - 1];
                all = false;
        }
        return all;
}

/* One question at a time, for a frontend without forms. */
static int
ask_one_by_one(struct asking *a, struct group *g)
{
        struct frontend *fe = a->e->fe;

        for (size_t i = 0; i < g->n; i++) {
                struct form_field *f = &g->fields[i];
                char *def = *f->value ? xstrdup(f->value) : NULL;

                for (unsigned tries = 0; tries < 100; tries++) {
                        char *v = NULL;
                        int r;

                        /* A refused value is not offered again as the default. */
                        r = fe->ops->ask(fe, f->q, def, &v);
                        if (r != STEP_OK) {
                                free(def);
                                return r;
                        }
                        free(f->value);
                        f->value = v ? v : xstrdup("");
                        if (check_group(a, &(struct group){ .fields = f, .n = 1 }))
                                break;
                        fe->ops->output(fe, OUT_WARN, engine_line_label(a->e), f->error);
                }
                free(def);
        }
        return STEP_OK;
}

static int
ask_group(struct asking *a, size_t gi)
{
        struct group *g = &a->groups[gi];
        struct frontend *fe = a->e->fe;
        struct form f = {
                .title = g->title, .index = (unsigned)gi + 1,
                .fields = g->fields, .n = g->n, .error = a->form_error,
                .count = (unsigned)a->n_groups + (a->hop_groups && !a->hops_added),
                .intro = gi == 0 && !a->at_step ? a->e->plan->description : NULL,
                .no_back = a->at_step,
        };
        int r;

        fill_defaults(a, g);
        if (fe->ops->form == NULL)
                return ask_one_by_one(a, g);
        for (unsigned tries = 0; tries < 1000; tries++) {
                r = fe->ops->form(fe, &f);
                f.error = NULL;
                if (r != STEP_OK || check_group(a, g))
                        return r;
        }
        return STEP_ABORT;
}

/* The nearest existing directory at or above path. */
static uint64_t
free_space(const char *path)
{
        char *p = xstrdup(path);
        struct statvfs v;
        uint64_t r = 0;

        for (unsigned i = 0; i < 64; i++) {
                char *up;

                if (statvfs(p, &v) == 0) {
                        r = (uint64_t)v.f_bavail * v.f_frsize;
                        break;
                }
                if (strcmp(p, "/") == 0 || strcmp(p, ".") == 0)
                        break;
                up = path_dirname(p);
                free(p);
                p = up;
        }
        free(p);
        return r;
}

static int
review(struct asking *a, struct answers *ans)
{
        struct engine *e = a->e;
        struct vars vs = {0};
        struct strv paths = {0};
        struct diag d = {0};
        struct review rv = { .plan = e->plan, .vars = &vs, .state_dir = e->opts->state_dir };
        int r;

        if (e->fe->ops->review == NULL)
                return STEP_OK;
        if (engine_vars(e->plan, ans, e->opts->state_dir, e->opts->target, &e->st.facts, &vs,
                        &d) < 0) {
                vars_release(&vs);
                return STEP_OK;         /* said again, and stopped at, by the caller */
        }
        rv.backup_dir = vars_get(&vs, "backup_dir");
        for (size_t i = 0; i < e->plan->backup.paths.n; i++) {
                char *x = NULL;

                if (vars_expand(&vs, e->plan->backup.paths.v[i], &x, &d) == 0)
                        strv_push_take(&paths, x);
        }
        rv.data_known = paths.n && archive_measure(paths.v, paths.n, &rv.data_bytes, &d) == 0;
        if (rv.backup_dir)
                rv.free_bytes = free_space(rv.backup_dir);
        r = e->fe->ops->review(e->fe, &rv);
        strv_release(&paths);
        vars_release(&vs);
        return r;
}

/* Give the frontend the run's variables (the operator's shell). */
static void
tell_vars(struct engine *e)
{
        struct vars vs = {0};
        struct diag d = {0};

        if (e->fe->ops->vars && engine_vars(e->plan, e->answers, e->opts->state_dir,
                                            e->opts->target, &e->st.facts, &vs, &d) == 0)
                e->fe->ops->vars(e->fe, &vs);
        vars_release(&vs);
}

static void
asking_release(struct asking *a)
{
        for (size_t g = 0; g < a->n_groups; g++) {
                for (size_t i = 0; i < a->groups[g].n; i++)
                        free(a->groups[g].fields[i].value);
                free(a->groups[g].fields);
                free(a->groups[g].title);
                free(a->groups[g].hop);
        }
        free(a->groups);
        strv_release(&a->errors);
        free(a->form_error);
}

/* The per_hop questions, once the others are answered: one form for each
 * hop of the path as detect will find it, or one form when the path cannot
 * be known yet (detect then checks that there is a single hop). */
static void
add_hop_groups(struct asking *a)
{
        const struct plan *p = a->e->plan;
        struct answers *ans = collect(a);
        struct strv hops = {0};
        struct vars vs = {0};
        struct diag d = {0};

        a->hops_added = true;
        if (engine_vars(p, ans, a->e->opts->state_dir, a->e->opts->target, &a->e->st.facts, &vs,
                        &d) < 0 || engine_probe_hops(p, &vs, &hops) < 0 || hops.n == 0)
                strv_push(&hops, vars_get(&vs, "target") ? vars_get(&vs, "target") : "?");
        for (size_t h = 0; h < hops.n; h++) {
                /* TRANSLATORS: a hop's number, how many, its target version */
                struct group *g = add_group(a, xasprintf(_("Hop %zu of %zu: to %s"), h + 1,
                                                         hops.n, hops.v[h]));

                g->hop = hops.n > 1 ? xstrdup(hops.v[h]) : NULL;
                for (size_t i = 0; i < p->n_ask; i++)
                        if (p->ask[i].per_hop)
                                add_field(g, &p->ask[i]);
        }
        strv_release(&hops);
        vars_release(&vs);
        answers_free(ans);
}

enum run_outcome
engine_ask(struct engine *e, struct diag *d)
{
        struct asking a = { .e = e };
        bool resuming = e->st.started;
        size_t gi = 0;
        make_groups(&a, resuming);
        for (unsigned rounds = 0; rounds < 1000; rounds++) {
                struct answers *ans;
                int r = STEP_OK;

                while (gi < a.n_groups || (a.hop_groups && !a.hops_added)) {
                        if (gi == a.n_groups)
                                add_hop_groups(&a);
                        if (gi == a.n_groups)
                                continue;
                        r = ask_group(&a, gi);
                        if (r == STEP_BACK) {
                                gi = gi > 0 ? gi - 1 : 0;
                                continue;
                        }
                        if (r != STEP_OK)
                                break;
                        free(a.form_error);
                        a.form_error = NULL;
                        gi++;
                }
                if (r != STEP_OK && r != STEP_BACK)
                        break;
                ans = collect(&a);
                r = resuming ? STEP_OK : review(&a, ans);
                if (r == STEP_BACK) {
                        answers_free(ans);
                        gi = a.n_groups ? a.n_groups - 1 : 0;
                        continue;
                }
                if (r != STEP_OK) {
                        answers_free(ans);
                        break;
                }
                if (engine_validate_inputs(e->plan, ans, e->opts, d) < 0) {
                        if (a.n_groups == 0 || resuming) {
                                answers_free(ans);
                                return RUN_BAD_INPUT;
                        }
                        free(a.form_error);
                        a.form_error = xstrdup(d->msg);
                        diag_clear(d);
                        answers_free(ans);
                        gi = 0;
                        continue;
                }
                e->asked = ans;
                e->answers = ans;
                tell_vars(e);
                asking_release(&a);
                return RUN_DONE;
        }
        diag_set(d, _("stopped before anything was changed"));
        asking_release(&a);
        return RUN_STEP_FAILED;
}

/* A checklist item the operator confirmed in this upgrade: the fact
 * "checklist.KEY". A "yes" in the answers saved with an earlier upgrade
 * (one rolled back) is not a confirmation of this one: asked again; nor
 * is one this upgrade was started with (its answers file) when no run of
 * it reached the checklist. Which of the two is said. */
#define CHECKLIST_FACT "checklist."

static bool
confirmed_now(struct engine *e, const struct question *q)
{
        char *fk = xasprintf("%s%s", CHECKLIST_FACT, q->key);
        bool now = engine_fact(e, fk) != NULL;

        free(fk);
        if (now)
                return true;
        /* This run's run_start is journaled: an earlier run of this
         * upgrade saved the answers, else an earlier upgrade did. */
        if (e->st.upgrade_runs > 1)
                engine_say(e, OUT_INFO, _("checklist: \"%s\" is yes in the answers this upgrade was started with, but no run of it has confirmed this checklist yet: asking now"),
                           q->key);
        else
                engine_say(e, OUT_INFO, _("checklist: \"%s\" is yes in the answers saved with an earlier upgrade, not confirmed for this one: asking again"),
                           q->key);
        return false;
}

enum run_outcome
engine_ask_checklist(struct engine *e, enum step_id id, struct diag *d)
{
        const struct strv *keys = &e->plan->step[id].checklist_keys;
        struct asking a = { .e = e, .at_step = true };
        struct question *qs;
        struct group *g = NULL;
        size_t nq = 0;
        int r = STEP_OK;

        if (!e->opts->interactive || e->asked == NULL || keys->n == 0)
                return RUN_DONE;        /* the answers file confirmed them */
        /* The items as the operator reads them: ${target} and the like
         * expanded (the keys stay the plan's). */
        qs = xcalloc(keys->n, sizeof *qs);
        for (size_t i = 0; i < keys->n; i++) {
                const struct question *q = plan_question(e->plan, keys->v[i]);
                struct diag xd = {0};
                char *text = NULL;

                if (q == NULL || (!missing(e, q) && confirmed_now(e, q)))
                        continue;
                if (g == NULL)
                        /* TRANSLATORS: %s is a step's name ("disconnect") */
                        g = add_group(&a, xasprintf(_("Checklist before %s"), step_key(id)));
                qs[nq] = *q;
                qs[nq].text = vars_expand(&e->vars, q->text, &text, &xd) == 0 ? text
                                                                            : xstrdup(q->text);
                add_field(g, &qs[nq++]);
        }
        if (g == NULL) {
                free(qs);
                return RUN_DONE;
        }
        e->current = id;
        if (e->fe->ops->form == NULL)   /* asked item by item: say what they are */
                engine_say(e, OUT_INFO, _("the checklist before step %s: answer yes to each item once it is done"),
                           step_key(id));
        /* Nothing to go back to (the form offers no Back): a frontend that
         * answers back anyway is shown the checklist again. */
        for (unsigned tries = 0; tries < 100; tries++)
                if ((r = ask_group(&a, 0)) != STEP_BACK)
                        break;
        if (r == STEP_OK)
                for (size_t i = 0; i < nq && r == STEP_OK; i++) {
                        char *fk = xasprintf("%s%s", CHECKLIST_FACT, qs[i].key);

                        kvlist_set(&e->asked->kv, qs[i].key, "yes");
                        vars_set(&e->vars, qs[i].key, "yes");
                        engine_say(e, OUT_INFO, _("checklist: the operator confirmed: %s"),
                                   qs[i].text);
                        if (engine_fact_set(e, fk, "yes", d) < 0)
                                r = STEP_FAILED;
                        free(fk);
                }
        asking_release(&a);
        for (size_t i = 0; i < nq; i++)
                free(qs[i].text);
        free(qs);
        if (r == STEP_OK)
                return RUN_DONE;
        diag_set(d, engine_interrupted(e) ? _("interrupted before step %s")
                                          : _("the checklist before step %s was not confirmed: nothing more was changed"),
                 step_key(id));
        return RUN_STEP_FAILED;
}
