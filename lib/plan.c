/* plan.c: load a plan file into struct plan (plan.h, man/upshift-plan.5).
 *
 * The YAML tree (ynode.h) is walked once; each part is checked against the
 * schema as it is read. ${name} references, fact names and answer keys are
 * collected with their positions and checked at the end, when all questions
 * and facts are known. Questions are read by plan_ask.c, the service by
 * plan_step.c, scalars, commands and conditions by plan_cmd.c, each step's
 * section by the parser plan_load() is given for it (plan_schema.h).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"
#include "lib/vars.h"

#define STEP_KEY_(id, key) #key,
static const char *const top_keys[] = {
        "schema", "id", "title", "description", "version_scheme", "target", "min_version", "path",
        "env", "ask", "service", STEP_LIST(STEP_KEY_) NULL,
};
#undef STEP_KEY_
static const char *const path_keys[] = { "stops", NULL };
/* path: stops: */
static int
ppath(struct pctx *c, const struct ynode *n)
{
        struct ynode *v;
        int r;

        if ((r = pkeys(c, n, path_keys, "path")) < 0)
                return r;
        if ((v = popt(n, "stops")) == NULL)
                return 0;
        if (v->kind != YNODE_SEQ)
                return perr(c, v, _("expected a list of versions"));
        for (size_t i = 0; i < v->n; i++) {
                char *s = NULL;

                if ((r = pversion(c, v->items[i], &s)) < 0)
                        return r;
                strv_push_take(&c->p->path_stops, s);
                if (i > 0 && version_compare_as(c->p->version_scheme, v->items[i - 1]->str,
                                                s) >= 0)
                        /* TRANSLATORS: both %s are versions. */
                        return perr(c, v->items[i], _("path stops must be in increasing "
                                                      "order (%s comes after %s)"),
                                    s, v->items[i - 1]->str);
        }
        return 0;
}

/* version_scheme: semantic, debian or rpm */
static int
pscheme(struct pctx *c, const struct ynode *n)
{
        int s = n->kind == YNODE_SCALAR ? version_scheme_from_name(n->str) : -1;

        if (s < 0)
                return perr(c, n, _("unknown version scheme \"%s\" (expected semantic, debian "
                                    "or rpm)"), n->kind == YNODE_SCALAR ? n->str : "?");
        c->p->version_scheme = (enum version_scheme)s;
        return 0;
}

/* Checks once the whole plan is read ---------------------------------------- */

static void
append_checklist(struct pctx *c)
{
        struct plan *p = c->p;

        if (c->n_cl == 0)
                return;
        p->ask = xrealloc(p->ask, (p->n_ask + c->n_cl) * sizeof *p->ask);
        memcpy(p->ask + p->n_ask, c->cl, c->n_cl * sizeof *c->cl);
        p->n_ask += c->n_cl;
        c->n_cl = 0;
}

/* The known name closest to name (distance at most 2), or NULL. */
static const char *
closest(const char *name, const char *const *a, const struct question *q, size_t nq,
        const struct fact *f, size_t nf)
{
        const char *best = NULL;
        size_t best_d = 3, dist;

        for (size_t i = 0; a && a[i]; i++)
                if ((dist = str_distance(name, a[i])) < best_d) {
                        best_d = dist;
                        best = a[i];
                }
        for (size_t i = 0; i < nq; i++)
                if ((dist = str_distance(name, q[i].key)) < best_d) {
                        best_d = dist;
                        best = q[i].key;
                }
        for (size_t i = 0; i < nf; i++)
                if ((dist = str_distance(name, f[i].name)) < best_d) {
                        best_d = dist;
                        best = f[i].name;
                }
        return best;
}

struct refcheck {
        struct pctx        *c;
        const struct pname *ref;
};

static int
check_ref(void *ud, const char *name, size_t off)
{
        struct refcheck *rc = ud;
        struct pctx *c = rc->c;
        struct plan *p = c->p;
        struct ynode at = { .line = rc->ref->pos.line, .col = rc->ref->pos.col };
        const char *best;

        if (name == NULL)
                /* TRANSLATORS: the second %s is the whole string. */
                return perr(c, &at, _("unterminated \"%s\" in \"%s\""), "${",
                            rc->ref->name);
        if (pis_builtin(name) || plan_question(p, name))
                return 0;
        if (str_startswith(name, "fact.")) {    /* checked with the other facts */
                pname_add(&c->facts_used, name + 5, &at);
                return 0;
        }
        if (strcmp(name, "item") == 0)          /* foreach: commands escaped theirs */
                return perr(c, &at, _("\"${item}\" is only set in a command with foreach: "
                                      "(it holds one line of the fact that foreach: names)"));
        best = closest(name, vars_builtin, p->ask, p->n_ask, NULL, 0);
        if (best)
                /* TRANSLATORS: 'unknown variable "${nmae}" (did you mean "${name}"?)' */
                return perr(c, &at, _("unknown variable \"${%s}\" (did you mean \"${%s}\"?)"),
                            name, best);
        return perr(c, &at, _("unknown variable \"${%s}\" (expected a built-in variable "
                              "such as ${target} or the key of a question)"), name);
}

/* A secret in a command's argv would show in ps and /proc to every user. */
static int
check_argv_secret(void *ud, const char *name, size_t off)
{
        struct refcheck *rc = ud;
        struct ynode at = { .line = rc->ref->pos.line, .col = rc->ref->pos.col };
        const struct question *q = name ? plan_question(rc->c->p, name) : NULL;

        (void)off;
        if (q == NULL || q->type != Q_SECRET)
                return 0;
        /* TRANSLATORS: %s is a question key; keep env: and ${...} as they are. */
        return perr(rc->c, &at, _("secret \"${%s}\" in a command's arguments would show on its "
                                  "command line to every user: pass it through env: "
                                  "(env: {NAME: \"${%s}\"}) and read it from there"),
                    name, name);
}

static int
check_facts(struct pctx *c)
{
        struct plan *p = c->p;

        for (size_t i = 0; i < c->facts_used.n; i++) {
                const struct pname *u = &c->facts_used.v[i];
                struct ynode at = { .line = u->pos.line, .col = u->pos.col };
                const char *best;
                bool found = false;
                char *all;

                for (size_t j = 0; j < p->detect.n_facts && !found; j++)
                        found = strcmp(p->detect.facts[j].name, u->name) == 0;
                if (found)
                        continue;
                best = closest(u->name, NULL, NULL, 0, p->detect.facts, p->detect.n_facts);
                if (best)
                        return perr(c, &at, _("unknown fact \"%s\" (did you mean \"%s\"?)"),
                                    u->name, best);
                if (p->detect.n_facts == 0)
                        return perr(c, &at, _("unknown fact \"%s\" (detect declares no "
                                              "facts)"), u->name);
                all = xstrdup("");
                for (size_t j = 0; j < p->detect.n_facts; j++) {
                        char *t = xasprintf("%s%s%s", all, j ? ", " : "",
                                            p->detect.facts[j].name);

                        free(all);
                        all = t;
                }
                perr(c, &at, _("unknown fact \"%s\" (facts declared in detect: %s)"),
                     u->name, all);
                free(all);
                return -EINVAL;
        }
        return 0;
}

static int
plan_check_names(struct pctx *c)
{
        struct plan *p = c->p;
        size_t first_cl = p->n_ask;
        int r;

        append_checklist(c);
        for (size_t i = first_cl; i < p->n_ask; i++) {
                struct ynode at = { .line = p->ask[i].pos.line, .col = p->ask[i].pos.col };

                if (pis_builtin(p->ask[i].key))
                        return perr(c, &at, _("\"%s\" is a built-in variable (choose "
                                              "another key)"), p->ask[i].key);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->ask[j].key, p->ask[i].key) == 0)
                                return perr(c, &at, _("question key \"%s\" is already "
                                                      "used at line %u"),
                                            p->ask[i].key, p->ask[j].pos.line);
        }
        for (size_t i = 0; i < c->refs.n; i++) {
                struct refcheck rc = { c, &c->refs.v[i] };

                if ((r = vars_each_ref(c->refs.v[i].name, check_ref, &rc)) != 0)
                        return r;
        }
        for (size_t i = 0; i < c->argv_refs.n; i++) {
                struct refcheck rc = { c, &c->argv_refs.v[i] };

                if ((r = vars_each_ref(c->argv_refs.v[i].name, check_argv_secret, &rc)) != 0)
                        return r;
        }
        if ((r = check_facts(c)) < 0)
                return r;
        for (size_t i = 0; i < c->answers_used.n; i++) {
                const struct pname *u = &c->answers_used.v[i];
                struct ynode at = { .line = u->pos.line, .col = u->pos.col };
                const char *best;

                if (plan_question(p, u->name))
                        continue;
                best = closest(u->name, NULL, p->ask, p->n_ask, NULL, 0);
                if (best)
                        return perr(c, &at, _("unknown question key \"%s\" (did you mean "
                                              "\"%s\"?)"), u->name, best);
                return perr(c, &at, _("unknown question key \"%s\" (when: answers: takes "
                                      "keys from ask: and checklists)"), u->name);
        }
        return 0;
}

/* Freeing and finding -------------------------------------------------------- */

void
plan_free(struct plan *p)
{
        if (p == NULL)
                return;
        free(p->file);
        free(p->id);
        free(p->title);
        free(p->description);
        free(p->target);
        free(p->min_version);
        strv_release(&p->path_stops);
        for (size_t i = 0; i < p->n_ask; i++) {
                free(p->ask[i].key);
                free(p->ask[i].text);
                free(p->ask[i].help);
                free(p->ask[i].def);
                strv_release(&p->ask[i].choices);
        }
        free(p->ask);
        kvlist_release(&p->env);
        free(p->service.manager_var);
        free(p->service.name);
        free(p->service.pidfile);
        cmd_free(p->service.start);
        cmd_free(p->service.stop);
        free(p->service.port);
        for (int i = 0; i < STEP_COUNT; i++) {
                strv_release(&p->step[i].checklist_keys);
                free(p->step[i].confirm);
        }
        cmd_release(&p->detect.version);
        for (size_t i = 0; i < p->detect.n_facts; i++) {
                free(p->detect.facts[i].name);
                cmd_release(&p->detect.facts[i].cmd);
        }
        free(p->detect.facts);
        for (size_t i = 0; i < p->detect.n_checks; i++)
                check_release(&p->detect.checks[i]);
        free(p->detect.checks);
        strv_release(&p->backup.paths);
        cmdlist_release(&p->backup.before);
        free(p->undos.v);
        free(p->backup.compression);
        cmd_free(p->disconnect.clients);
        cmdlist_release(&p->disconnect.kick);
        cmdlist_release(&p->disconnect.run);
        disable_release(p->disconnect.disable, p->disconnect.n_disable);
        cmdlist_release(&p->stop.run);
        for (size_t i = 0; i < p->swap.n_pkgs; i++) {
                free(p->swap.pkgs[i].name);
                free(p->swap.pkgs[i].package);
                free(p->swap.pkgs[i].sha256);
        }
        free(p->swap.pkgs);
        for (size_t i = 0; i < p->swap.n_files; i++) {
                free(p->swap.files[i].member);
                free(p->swap.files[i].target);
        }
        free(p->swap.files);
        cmdlist_release(&p->swap.run);
        cmdlist_release(&p->swap.reload);
        for (size_t i = 0; i < p->migrate.n; i++) {
                cond_release(&p->migrate.v[i].when);
                cmdlist_release(&p->migrate.v[i].run);
                free(p->migrate.v[i].point_of_no_return);
                cmd_free(p->migrate.v[i].probe);
        }
        free(p->migrate.v);
        cmd_free(p->verify.ready.cmd);
        free(p->verify.ready.http);
        free(p->verify.ready.ca_file);
        free(p->verify.ready.cert_file);
        free(p->verify.ready.key_file);
        free(p->verify.ready.match);
        for (size_t i = 0; i < p->verify.n_checks; i++)
                check_release(&p->verify.checks[i]);
        free(p->verify.checks);
        for (int i = 0; i < STEP_COUNT; i++) {
                if (p->own[i].data && p->own[i].release)
                        p->own[i].release(p->own[i].data);
                free(p->own[i].data);
        }
        free(p);
}

const void *
plan_step_data(const struct plan *p, enum step_id id)
{
        return p->own[id].data;
}

const struct question *
plan_question(const struct plan *p, const char *key)
{
        for (size_t i = 0; i < p->n_ask; i++)
                if (p->ask[i].key && strcmp(p->ask[i].key, key) == 0)
                        return &p->ask[i];
        return NULL;
}

/* Loading ------------------------------------------------------------------- */

/* One step's section: present, checklist:, confirm:, then its own keys. */
static int
psection(struct pctx *c, enum step_id id, const struct plan_section *sec,
         const struct ynode *n)
{
        int r;

        c->data = c->p->own[id].data;
        if ((r = pstep(c, id, n)) < 0)
                return r;
        if (sec->keys == NULL)
                return sec->parse ? sec->parse(c, n) : 0;
        if (ynode_is_null(n))
                return 0;
        if ((r = psection_keys(c, n, sec->keys, step_key(id))) < 0)
                return r;
        return sec->parse ? sec->parse(c, n) : 0;
}

static int
pplan(struct pctx *c, const struct plan_section *sections, const struct ynode *root)
{
        struct plan *p = c->p;
        const char *where = _("the plan");
        struct ynode *v;
        long schema;
        int r;

        if ((r = pkeys(c, root, top_keys, where)) < 0)
                return r;
        if ((v = popt(root, "schema")) == NULL)
                return pmissing(c, root, "schema", where);
        if (pint(c, v, &schema) < 0 || schema != 1)
                return perr(c, v, _("unsupported schema \"%s\" (this upshift reads "
                                    "schema 1)"), v->kind == YNODE_SCALAR ? v->str : "?");
        p->schema = 1;
        if ((v = popt(root, "id")) == NULL)
                return pmissing(c, root, "id", where);
        if (v->kind != YNODE_SCALAR || !pis_key(v->str, true))
                return perr(c, v, _("bad plan id (expected lower-case letters, digits, "
                                    "\"_\" and \"-\")"));
        p->id = xstrdup(v->str);
        if ((v = popt(root, "title")) == NULL)
                return pmissing(c, root, "title", where);
        if ((r = pstr(c, v, &p->title)) < 0)
                return r;
        if ((v = popt(root, "description")) && (r = pstr(c, v, &p->description)) < 0)
                return r;
        if ((v = popt(root, "version_scheme")) && (r = pscheme(c, v)) < 0)
                return r;
        if ((v = popt(root, "target")) && (r = pversion(c, v, &p->target)) < 0)
                return r;
        if ((v = popt(root, "min_version")) && (r = pversion(c, v, &p->min_version)) < 0)
                return r;
        if ((v = popt(root, "path")) && (r = ppath(c, v)) < 0)
                return r;
        if ((v = popt(root, "env")) && (r = penv(c, v, &p->env)) < 0)
                return r;
        if ((v = popt(root, "ask")) && (r = pask(c, v)) < 0)
                return r;
        if ((v = popt(root, "service")) && (r = pservice(c, v)) < 0)
                return r;
        for (int id = 0; id < STEP_COUNT; id++) {
                const struct ynode_pair *pr = ynode_get_pair(root, step_key(id));

                if (pr && (r = psection(c, (enum step_id)id, &sections[id], pr->value)) < 0)
                        return r;
        }
        return plan_check_names(c);
}

int
plan_load(const char *path, const struct plan_section *sections, struct plan **ret,
          struct diag *d)
{
        struct pctx c = { .file = path, .d = d };
        struct ynode *root = NULL;
        struct plan *p;
        int r;

        if ((r = ynode_parse_file(path, &root, d)) < 0)
                return r;
        if (root == NULL || ynode_is_null(root)) {
                ynode_free(root);
                diag_set_at(d, path, 0, 0, _("the plan is empty (expected a mapping "
                                             "with schema:, id: and title:)"));
                return -EINVAL;
        }
        p = xcalloc(1, sizeof *p);
        p->file = xstrdup(path);
        p->service.timeout_ms = 60000;
        p->backup.compression = xstrdup("zstd");
        p->disconnect.timeout_ms = 30000;
        p->verify.ready.timeout_ms = 60000;
        for (int i = 0; i < STEP_COUNT; i++) {
                if (sections[i].data_size == 0)
                        continue;
                p->own[i].data = xcalloc(1, sections[i].data_size);
                p->own[i].release = sections[i].release;
        }
        c.p = p;
        r = pplan(&c, sections, root);
        append_checklist(&c);           /* on error too: plan_free() frees them */
        free(c.cl);
        for (size_t i = 0; i < c.refs.n; i++)
                free(c.refs.v[i].name);
        for (size_t i = 0; i < c.argv_refs.n; i++)
                free(c.argv_refs.v[i].name);
        free(c.argv_refs.v);
        for (size_t i = 0; i < c.facts_used.n; i++)
                free(c.facts_used.v[i].name);
        for (size_t i = 0; i < c.answers_used.n; i++)
                free(c.answers_used.v[i].name);
        free(c.refs.v);
        free(c.facts_used.v);
        free(c.answers_used.v);
        ynode_free(root);
        if (r < 0) {
                plan_free(p);
                return r;
        }
        *ret = p;
        return 0;
}
