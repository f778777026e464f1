/* plan_ask.c: the questions of a plan: ask: and each step's checklist:
 * and confirm: (man/upshift-plan.5), and the question types. */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"
#include "lib/vars.h"

static const char *const question_keys[] = {
        "key", "text", "type", "default", "required", "help", "choices", "per_hop", "min",
        "max", NULL,
};
static const char *const item_keys[] = { "key", "text", NULL };

static const char *const qtype_names[] = {
        [Q_STRING] = "string", [Q_INTEGER] = "integer", [Q_FILE] = "file",
        [Q_DIR] = "dir", [Q_YESNO] = "yesno", [Q_CHOICE] = "choice",
        [Q_SECRET] = "secret", [Q_SHA256] = "sha256", [Q_CONFIRM] = "confirm",
};

const char *
qtype_name(enum qtype t)
{
        if ((unsigned)t >= ARRAY_SIZE(qtype_names))
                return NULL;
        return qtype_names[t];
}

int
qtype_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(qtype_names); i++)
                if (strcmp(qtype_names[i], name) == 0)
                        return (int)i;
        return -1;
}

bool
pis_builtin(const char *name)
{
        for (size_t i = 0; vars_builtin[i]; i++)
                if (strcmp(vars_builtin[i], name) == 0)
                        return true;
        return false;
}

static int
pchecklist(struct pctx *c, enum step_id id, const struct ynode *n)
{
        int r;

        if (ynode_is_null(n))
                return 0;
        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of checklist items"));
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *it = n->items[i], *text = it, *key = NULL;
                struct question q = { .type = Q_CONFIRM, .required = true, .step = id };

                if (it->kind == YNODE_MAP) {
                        if ((r = pkeys(c, it, item_keys, _("a checklist item"))) < 0)
                                return r;
                        key = popt(it, "key");
                        if ((text = popt(it, "text")) == NULL)
                                return pmissing(c, it, "text", _("a checklist item"));
                } else if (it->kind != YNODE_SCALAR) {
                        return perr(c, it, _("expected a checklist item: a string or "
                                             "a mapping with key: and text:"));
                }
                if (key && (key->kind != YNODE_SCALAR || !pis_key(key->str, false)))
                        return perr(c, key, _("bad key (expected lower-case letters, "
                                              "digits and \"_\")"));
                q.key = key ? xstrdup(key->str)
                            : xasprintf("%s_check_%zu", step_key(id), i + 1);
                q.pos = pnode_pos(key ? key : it);
                xgrow((void **)&c->cl, &c->alloc_cl, c->n_cl + 1, sizeof *c->cl);
                c->cl[c->n_cl++] = q;
                strv_push(&c->p->step[id].checklist_keys, q.key);
                if ((r = pstr(c, text, &c->cl[c->n_cl - 1].text)) < 0)
                        return r;
        }
        return 0;
}

/* present, checklist:, confirm: */
int
pstep(struct pctx *c, enum step_id id, const struct ynode *n)
{
        struct ynode *v;
        int r;

        c->p->step[id].present = true;
        if (n->kind != YNODE_MAP)
                return 0;
        if ((v = popt(n, "checklist")) && (r = pchecklist(c, id, v)) < 0)
                return r;
        if ((v = popt(n, "confirm")) && (r = pstr(c, v, &c->p->step[id].confirm)) < 0)
                return r;
        return 0;
}

static int
pdefault(struct pctx *c, struct question *q, const struct ynode *n)
{
        bool b;
        long v;

        if (n->kind != YNODE_SCALAR)
                return perr(c, n, _("expected a single value as the default"));
        if (q->type == Q_YESNO) {
                if (ynode_bool(n, &b) < 0)
                        return perr(c, n, _("expected yes or no as the default"));
                q->def = xstrdup(b ? "yes" : "no");
                return 0;
        }
        q->def = xstrdup(n->str);
        pref_add(c, q->def, n);
        if (strstr(q->def, "${"))
                return 0;
        if (q->type == Q_INTEGER && pint(c, n, &v) < 0)
                return perr(c, n, _("expected an integer as the default"));
        if (q->type == Q_INTEGER && (v < q->min || v > q->max))
                /* TRANSLATORS: the default, then the smallest and largest value. */
                return perr(c, n, _("default %ld is not an integer from %ld to %ld (min: and max:)"),
                            v, q->min, q->max);
        if (q->type == Q_CHOICE &&
            strv_find(q->choices.v, q->choices.n, q->def) < 0) {
                char *all = strv_join(q->choices.v, q->choices.n, ", ");

                perr(c, n, _("default \"%s\" is not one of the choices: %s"), q->def, all);
                free(all);
                return -EINVAL;
        }
        if (q->type == Q_SHA256 && q->def[0] != '\0' &&
            (strlen(q->def) != 64 || strspn(q->def, "0123456789abcdefABCDEF") != 64))
                return perr(c, n, _("expected 64 hexadecimal digits as the default"));
        return 0;
}

/* min: and max: of an integer question. */
static int
prange(struct pctx *c, const struct ynode *n, struct question *q)
{
        struct ynode *lo = popt(n, "min"), *hi = popt(n, "max");
        int r;

        q->min = 0;
        q->max = INT32_MAX;
        if ((lo || hi) && q->type != Q_INTEGER)
                return perr(c, lo ? lo : hi, _("min: and max: are only for type: integer"));
        if (lo && (r = pint(c, lo, &q->min)) < 0)
                return r;
        if (hi && (r = pint(c, hi, &q->max)) < 0)
                return r;
        if (q->min > q->max)
                return perr(c, hi ? hi : lo, _("min: %ld is more than max: %ld"), q->min, q->max);
        return 0;
}

static int
pquestion(struct pctx *c, const struct ynode *n, struct question *q)
{
        const char *where = _("a question");
        struct ynode *v;
        int r;

        if ((r = pkeys(c, n, question_keys, where)) < 0)
                return r;
        q->pos = pnode_pos(n);
        q->step = STEP_NONE;
        if ((v = popt(n, "key")) == NULL)
                return pmissing(c, n, "key", where);
        if (v->kind != YNODE_SCALAR || !pis_key(v->str, false))
                return perr(c, v, _("bad key (expected lower-case letters, digits and "
                                    "\"_\", not starting with a digit)"));
        if (pis_builtin(v->str))
                /* TRANSLATORS: %s is a question key. */
                return perr(c, v, _("\"%s\" is a built-in variable (choose another key)"),
                            v->str);
        if (plan_question(c->p, v->str))
                return perr(c, v, _("question key \"%s\" is already used at line %u"),
                            v->str, plan_question(c->p, v->str)->pos.line);
        q->key = xstrdup(v->str);
        if ((v = popt(n, "text")) == NULL)
                return pmissing(c, n, "text", where);
        if ((r = pstr(c, v, &q->text)) < 0)
                return r;
        if ((v = popt(n, "type"))) {
                int t = v->kind == YNODE_SCALAR ? qtype_from_name(v->str) : -1;

                if (t < 0 || t == Q_CONFIRM)
                        return perr(c, v, _("unknown question type (expected one of: "
                                            "string, integer, file, dir, yesno, choice, "
                                            "secret, sha256)"));
                q->type = (enum qtype)t;
        }
        if ((v = popt(n, "help")) && (r = pstr(c, v, &q->help)) < 0)
                return r;
        if ((v = popt(n, "choices"))) {
                if (q->type != Q_CHOICE)
                        return perr(c, v, _("choices: is only for type: choice"));
                if ((r = pstrv(c, v, &q->choices)) < 0)
                        return r;
                if (q->choices.n == 0)
                        return perr(c, v, _("choices: is empty"));
        } else if (q->type == Q_CHOICE) {
                return pmissing(c, n, "choices", where);
        }
        if ((r = prange(c, n, q)) < 0)
                return r;
        if ((v = popt(n, "default")) && (r = pdefault(c, q, v)) < 0)
                return r;
        q->required = q->def == NULL;
        if ((v = popt(n, "required")) && (r = pbool(c, v, &q->required)) < 0)
                return r;
        if ((v = popt(n, "per_hop")) && (r = pbool(c, v, &q->per_hop)) < 0)
                return r;
        return 0;
}

int
pask(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        int r;

        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of questions"));
        p->ask = xcalloc(n->n + 1, sizeof *p->ask);
        for (size_t i = 0; i < n->n; i++) {
                if (n->items[i]->kind != YNODE_MAP)
                        return perr(c, n->items[i], _("expected a question: a mapping "
                                                      "with key: and text:"));
                p->n_ask = i + 1;
                if ((r = pquestion(c, n->items[i], &p->ask[i])) < 0)
                        return r;
        }
        return 0;
}
