/* plan_schema.c: reading the scalars of a plan and checking its keys, with
 * FILE:LINE:COL messages (plan_schema.h). */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/i18n.h"
#include "lib/plan_schema.h"
#include "lib/vars.h"

/* Scalars ------------------------------------------------------------------ */

struct pos
pnode_pos(const struct ynode *n)
{
        struct pos p = { 0, 0 };

        if (n) {
                p.line = n->line;
                p.col = n->col;
        }
        return p;
}

int
perr(struct pctx *c, const struct ynode *n, const char *fmt, ...)
{
        char body[DIAG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(body, sizeof body, fmt, ap);
        va_end(ap);
        diag_set_at(c->d, c->file, n ? n->line : 0, n ? n->col : 0, "%s", body);
        return -EINVAL;
}

int
pmissing(struct pctx *c, const struct ynode *n, const char *key, const char *where)
{
        /* TRANSLATORS: the first %s is a key, the second a part of the plan. */
        return perr(c, n, _("missing required key \"%s\" in %s"), key, where);
}

bool
pis_key(const char *s, bool plan_id)
{
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (plan_id && *s >= '0' && *s <= '9')))
                return false;
        if (plan_id && *s == '_')
                return false;
        for (s++; *s; s++)
                if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                      (plan_id && *s == '-')))
                        return false;
        return true;
}

struct ynode *
popt(const struct ynode *map, const char *key)
{
        struct ynode *v = ynode_get(map, key);

        return ynode_is_null(v) ? NULL : v;
}

int
pkeys(struct pctx *c, const struct ynode *n, const char *const *allowed,
      const char *where)
{
        if (n->kind != YNODE_MAP)
                /* TRANSLATORS: %s is a part of the plan ("a command"). */
                return perr(c, n, _("expected a mapping for %s"), where);
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *k = n->pairs[i].key;
                const char *best = NULL;
                size_t best_d = 3;
                char *all;
                bool known = false;

                for (size_t j = 0; allowed[j] && !known; j++)
                        known = strcmp(allowed[j], k->str) == 0;
                if (known)
                        continue;
                for (size_t j = 0; allowed[j]; j++) {
                        size_t dist = str_distance(k->str, allowed[j]);

                        if (dist < best_d) {
                                best_d = dist;
                                best = allowed[j];
                        }
                }
                if (best)
                        /* TRANSLATORS: "unknown key "mtach" in a command (did
                         * you mean "match"?)" */
                        return perr(c, k, _("unknown key \"%s\" in %s (did you mean \"%s\"?)"),
                                    k->str, where, best);
                for (best_d = 0; allowed[best_d]; best_d++)
                        ;
                all = strv_join((char *const *)allowed, best_d, ", ");
                perr(c, k, _("unknown key \"%s\" in %s (expected one of: %s)"),
                     k->str, where, all);
                free(all);
                return -EINVAL;
        }
        return 0;
}

void
pname_add(struct pnames *l, const char *name, const struct ynode *n)
{
        xgrow((void **)&l->v, &l->alloc, l->n + 1, sizeof *l->v);
        l->v[l->n].name = xstrdup(name);
        l->v[l->n].pos = pnode_pos(n);
        l->n++;
}

void
pref_add(struct pctx *c, const char *s, const struct ynode *n)
{
        if (strstr(s, "${"))
                pname_add(&c->refs, s, n);
}

int
pstr(struct pctx *c, const struct ynode *n, char **ret)
{
        if (n->kind != YNODE_SCALAR)
                return perr(c, n, _("expected a string, not %s"), ynode_kind_text(n));
        free(*ret);
        *ret = xstrdup(n->str);
        pref_add(c, n->str, n);
        return 0;
}

int
pstrv(struct pctx *c, const struct ynode *n, struct strv *ret)
{
        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of strings"));
        for (size_t i = 0; i < n->n; i++) {
                if (n->items[i]->kind != YNODE_SCALAR)
                        return perr(c, n->items[i], _("expected a list of strings, "
                                                      "found %s in it"),
                                    ynode_kind_text(n->items[i]));
                strv_push(ret, n->items[i]->str);
                pref_add(c, n->items[i]->str, n->items[i]);
        }
        return 0;
}

int
pbool(struct pctx *c, const struct ynode *n, bool *ret)
{
        if (ynode_bool(n, ret) < 0)
                return perr(c, n, _("expected true or false"));
        return 0;
}

int
pint(struct pctx *c, const struct ynode *n, long *ret)
{
        const char *s = n->str;
        char *end;
        long v;

        if (n->kind != YNODE_SCALAR || *s == '\0' ||
            strspn(s + (*s == '-'), "0123456789") != strlen(s + (*s == '-')))
                return perr(c, n, _("expected an integer"));
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end)
                return perr(c, n, _("expected an integer"));
        *ret = v;
        return 0;
}

int
pduration(struct pctx *c, const struct ynode *n, long *ret)
{
        if (n->kind != YNODE_SCALAR || duration_parse(n->str, ret) < 0)
                return perr(c, n, _("expected a duration such as 30s, 5m or 90"));
        return 0;
}

int
pversion(struct pctx *c, const struct ynode *n, char **ret)
{
        if (n->kind != YNODE_SCALAR || !version_valid(n->str))
                return perr(c, n, _("expected a version such as 1.4.3"));
        *ret = xstrdup(n->str);
        return 0;
}

int
pregex(struct pctx *c, const struct ynode *n, char **ret)
{
        struct strbuf sb = {0};
        const char *p;
        pcre2_code *re;
        PCRE2_SIZE off;
        int err, r;

        if ((r = pstr(c, n, ret)) < 0)
                return r;
        /* Check it with every ${name} standing for "x", as at run time. */
        strbuf_adds(&sb, "");
        for (p = n->str; *p; p++) {
                const char *end;

                if (p[0] == '$' && p[1] == '$') {
                        strbuf_addch(&sb, '$');
                        p++;
                } else if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}'))) {
                        strbuf_addch(&sb, 'x');
                        p = end;
                } else {
                        strbuf_addch(&sb, *p);
                }
        }
        re = pcre2_compile((PCRE2_SPTR)sb.buf, sb.len, PCRE2_MULTILINE, &err, &off, NULL);
        strbuf_release(&sb);
        if (re == NULL) {
                PCRE2_UCHAR msg[256];

                pcre2_get_error_message(err, msg, sizeof msg);
                free(*ret);     /* not every caller's *ret is freed with the plan */
                *ret = NULL;
                /* TRANSLATORS: "bad regular expression "(x": missing closing
                 * parenthesis at offset 2" */
                return perr(c, n, _("bad regular expression \"%s\": %s at offset %zu"),
                            n->str, (const char *)msg, (size_t)off);
        }
        pcre2_code_free(re);
        return 0;
}

int
penv(struct pctx *c, const struct ynode *n, struct kvlist *ret)
{
        if (n->kind != YNODE_MAP)
                return perr(c, n, _("expected a mapping of environment variables "
                                    "to values"));
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;
                const char *s = k->str;

                if (!(*s == '_' || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) ||
                    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789_") != strlen(s))
                        return perr(c, k, _("bad environment variable name \"%s\""), s);
                if (v->kind != YNODE_SCALAR)
                        return perr(c, v, _("expected a string, not %s"), ynode_kind_text(v));
                kvlist_set(ret, s, v->str);
                pref_add(c, v->str, v);
        }
        return 0;
}

int
psection_keys(struct pctx *c, const struct ynode *n, const char *const *own,
              const char *where)
{
        size_t k = 0;
        const char **all;
        int r;

        while (own[k])
                k++;
        all = xcalloc(k + 3, sizeof *all);
        memcpy(all, own, k * sizeof *all);
        all[k] = "checklist";
        all[k + 1] = "confirm";
        r = pkeys(c, n, all, where);
        free(all);
        return r;
}
