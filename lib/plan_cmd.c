/* plan_cmd.c: scalars, commands and conditions in plans (COMMAND, COMMANDS
 * and COND in man/upshift-plan.5). */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"
#include "lib/vars.h"

static const char *const cmd_keys[] = {
        "run", "shell", "env", "cwd", "timeout", "match", "ignore", "lines",
        "may_fail", "when", "foreach", NULL,
};

static const char *const cond_keys[] = {
        "version", "target", "facts", "answers", NULL,
};

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

/* Commands ----------------------------------------------------------------- */

void
cond_release(struct cond *cond)
{
        vrange_free(cond->version);
        vrange_free(cond->target);
        kvlist_release(&cond->facts);
        kvlist_release(&cond->answers);
        memset(cond, 0, sizeof *cond);
}

void
cmd_release(struct cmd *cmd)
{
        strv_release(&cmd->argv);
        free(cmd->shell);
        kvlist_release(&cmd->env);
        free(cmd->cwd);
        free(cmd->match);
        free(cmd->ignore);
        free(cmd->foreach);
        cond_release(&cmd->when);
        memset(cmd, 0, sizeof *cmd);
}

void
cmd_free(struct cmd *cmd)
{
        if (cmd == NULL)
                return;
        cmd_release(cmd);
        free(cmd);
}

void
cmdlist_release(struct cmdlist *l)
{
        for (size_t i = 0; i < l->n; i++)
                cmd_release(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

void
check_release(struct check *ck)
{
        cond_release(&ck->when);
        cmd_free(ck->cmd);
        free(ck->same);
        free(ck->fail);
        free(ck->warn);
        memset(ck, 0, sizeof *ck);
}

/* ${item} ---------------------------------------------------------------- */

struct item_refs {
        size_t offs[64];                /* where each ${item} starts */
        size_t n;
};

static int
item_ref(void *ud, const char *name, size_t off)
{
        struct item_refs *ir = ud;

        if (name && strcmp(name, "item") == 0 && ir->n < ARRAY_SIZE(ir->offs))
                ir->offs[ir->n++] = off;
        return 0;
}

/* ${item} is bound only while a command with foreach: runs. Look at the
 * strings recorded since refs index first: outside such a command an
 * ${item} is an error; inside one, the recorded copy (not the plan's
 * string) gets it escaped as "$${item}", so that the check of names once
 * the plan is read does not take it for an unknown variable. */
static int
pitem_refs(struct pctx *c, size_t first, bool bound)
{
        for (size_t i = first; i < c->refs.n; i++) {
                struct pname *ref = &c->refs.v[i];
                struct item_refs ir = { .n = 0 };
                struct strbuf sb = {0};
                size_t from = 0;

                vars_each_ref(ref->name, item_ref, &ir);
                if (ir.n == 0)
                        continue;
                if (!bound) {
                        struct ynode at = { .line = ref->pos.line, .col = ref->pos.col };

                        /* TRANSLATORS: ${item} and foreach: are plan syntax. */
                        return perr(c, &at, _("\"${item}\" is only set in a command with "
                                              "foreach: (it holds one line of the fact that "
                                              "foreach: names)"));
                }
                strbuf_adds(&sb, "");
                for (size_t j = 0; j < ir.n; j++) {
                        strbuf_add(&sb, ref->name + from, ir.offs[j] - from);
                        strbuf_addch(&sb, '$');
                        from = ir.offs[j];
                }
                strbuf_adds(&sb, ref->name + from);
                free(ref->name);
                ref->name = strbuf_detach(&sb);
        }
        return 0;
}

/* foreach: FACT, a fact of detect captured with lines: true. */
static int
pforeach(struct pctx *c, const struct ynode *n, struct cmd *cmd)
{
        const struct plan *p = c->p;

        if (n->kind != YNODE_SCALAR || !pis_key(n->str, false))
                return perr(c, n, _("expected the name of a fact (foreach: runs the command "
                                    "once per line of it)"));
        for (size_t i = 0; i < p->detect.n_facts; i++)
                if (strcmp(p->detect.facts[i].name, n->str) == 0 &&
                    !p->detect.facts[i].cmd.lines)
                        /* TRANSLATORS: %s is a fact name; lines: true is plan syntax. */
                        return perr(c, n, _("fact \"%s\" is not captured with lines: true "
                                            "(foreach: runs the command once per line of it)"),
                                    n->str);
        if (plan_question(p, "item"))
                return perr(c, n, _("foreach: sets ${item}, but a question or checklist "
                                    "item has the key \"item\" (choose another key)"));
        pname_add(&c->facts_used, n->str, n);
        cmd->foreach = xstrdup(n->str);
        return 0;
}

/* The program and its arguments: a list of scalars. */
static int
pargv(struct pctx *c, const struct ynode *n, struct strv *ret)
{
        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of strings (the program and its arguments)"));
        if (n->n == 0)
                return perr(c, n, _("a command needs at least the program to run"));
        if (n->items[0]->kind == YNODE_SEQ)
                return perr(c, n, _("expected one command here (a list of strings), "
                                    "not a list of commands"));
        return pstrv(c, n, ret);
}

int
pcmd_fields(struct pctx *c, const struct ynode *n, struct cmd *cmd,
            unsigned flags, int run_index)
{
        struct ynode *run = popt(n, "run"), *shell = popt(n, "shell");
        struct ynode *v;
        size_t first_ref = c->refs.n;
        int r;

        cmd->pos = pnode_pos(n);
        if (run && shell)
                return perr(c, shell, _("a command takes run: or shell:, not both"));
        if (!run && !shell)
                return perr(c, n, _("a command needs run: (a list: the program and its "
                                    "arguments) or shell: (a script)"));
        if (run) {
                if (run_index >= 0)
                        run = run->items[run_index];
                if ((r = pargv(c, run, &cmd->argv)) < 0)
                        return r;
        } else {
                if ((r = pstr(c, shell, &cmd->shell)) < 0)
                        return r;
                if (cmd->shell[0] == '\0')
                        return perr(c, shell, _("shell: is empty (expected a script)"));
        }
        if ((v = popt(n, "env")) && (r = penv(c, v, &cmd->env)) < 0)
                return r;
        if ((v = popt(n, "cwd")) && (r = pstr(c, v, &cmd->cwd)) < 0)
                return r;
        if (!(flags & PCMD_NO_TIMEOUT) && (v = popt(n, "timeout")) &&
            (r = pduration(c, v, &cmd->timeout_ms)) < 0)
                return r;
        if ((v = popt(n, "match")) && (r = pregex(c, v, &cmd->match)) < 0)
                return r;
        if ((v = popt(n, "ignore")) && (r = pregex(c, v, &cmd->ignore)) < 0)
                return r;
        if ((v = popt(n, "lines")) && (r = pbool(c, v, &cmd->lines)) < 0)
                return r;
        if ((v = popt(n, "may_fail")) && (r = pbool(c, v, &cmd->may_fail)) < 0)
                return r;
        if (!(flags & PCMD_NO_WHEN) && (v = popt(n, "when")) &&
            (r = pcond(c, v, &cmd->when)) < 0)
                return r;
        if ((v = popt(n, "foreach")) && (r = pforeach(c, v, cmd)) < 0)
                return r;
        return pitem_refs(c, first_ref, cmd->foreach != NULL);
}

/* A command given as a list: the program and its arguments. */
static int
pcmd_argv(struct pctx *c, const struct ynode *n, struct cmd *cmd)
{
        size_t first_ref = c->refs.n;
        int r;

        cmd->pos = pnode_pos(n);
        if ((r = pargv(c, n, &cmd->argv)) < 0)
                return r;
        return pitem_refs(c, first_ref, false);
}

int
pcmd(struct pctx *c, const struct ynode *n, struct cmd *cmd)
{
        struct ynode *v;
        int r;

        if (n->kind == YNODE_SEQ)
                return pcmd_argv(c, n, cmd);
        if (n->kind != YNODE_MAP)
                return perr(c, n, _("expected a command: a list such as [redis-cli, ping] "
                                    "or a mapping with run: or shell:"));
        if ((r = pkeys(c, n, cmd_keys, _("a command"))) < 0)
                return r;
        if ((v = popt(n, "foreach")))
                return perr(c, v, _("foreach: is only for a command in a list of commands "
                                    "(such as run:, before: or kick:)"));
        return pcmd_fields(c, n, cmd, 0, -1);
}

int
pcmd_new(struct pctx *c, const struct ynode *n, struct cmd **ret)
{
        struct cmd *cmd = xcalloc(1, sizeof *cmd);
        int r = pcmd(c, n, cmd);

        if (r < 0) {
                cmd_free(cmd);
                return r;
        }
        *ret = cmd;
        return 0;
}

static struct cmd *
cmdlist_add(struct cmdlist *l)
{
        l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
        memset(&l->v[l->n], 0, sizeof *l->v);
        return &l->v[l->n++];
}

/* A command mapping in a list; run: [[a], [b]] gives one command per argv,
 * each with the mapping's other fields. */
static int
pcmd_multi(struct pctx *c, const struct ynode *n, struct cmdlist *l)
{
        struct ynode *run = popt(n, "run");
        int r;

        if ((r = pkeys(c, n, cmd_keys, _("a command"))) < 0)
                return r;
        if (run && run->kind == YNODE_SEQ && run->n > 0 &&
            run->items[0]->kind == YNODE_SEQ) {
                for (size_t i = 0; i < run->n; i++)
                        if ((r = pcmd_fields(c, n, cmdlist_add(l), 0, (int)i)) < 0)
                                return r;
                return 0;
        }
        return pcmd_fields(c, n, cmdlist_add(l), 0, -1);
}

int
pcmdlist(struct pctx *c, const struct ynode *n, struct cmdlist *l)
{
        int r;

        if (ynode_is_null(n))
                return 0;
        if (n->kind == YNODE_MAP)
                return pcmd_multi(c, n, l);
        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of commands"));
        if (n->n == 0)
                return 0;
        if (n->items[0]->kind == YNODE_SCALAR)
                return pcmd_argv(c, n, cmdlist_add(l));
        for (size_t i = 0; i < n->n; i++) {
                const struct ynode *it = n->items[i];

                if (it->kind == YNODE_MAP) {
                        r = pcmd_multi(c, it, l);
                } else if (it->kind == YNODE_SEQ) {
                        r = pcmd_argv(c, it, cmdlist_add(l));
                } else {
                        r = perr(c, it, _("expected a command: a list such as "
                                          "[redis-cli, ping] or a mapping with run: "
                                          "or shell:"));
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
prange(struct pctx *c, const struct ynode *n, struct vrange **ret)
{
        struct diag d2 = {0};

        if (n->kind != YNODE_SCALAR)
                return perr(c, n, _("expected a version range such as \">=0.10 <0.12\""));
        if (vrange_parse(n->str, ret, &d2) < 0)
                /* TRANSLATORS: the first %s is the range as written, the
                 * second says what is wrong with it. */
                return perr(c, n, _("bad version range \"%s\": %s"), n->str, d2.msg);
        return 0;
}

int
pcond(struct pctx *c, const struct ynode *n, struct cond *cond)
{
        struct ynode *v;
        int r;

        if (ynode_is_null(n))
                return 0;
        if ((r = pkeys(c, n, cond_keys, _("a condition"))) < 0)
                return r;
        cond->set = true;
        cond->pos = pnode_pos(n);
        if ((v = popt(n, "version")) && (r = prange(c, v, &cond->version)) < 0)
                return r;
        if ((v = popt(n, "target")) && (r = prange(c, v, &cond->target)) < 0)
                return r;
        if ((v = popt(n, "facts"))) {
                if (v->kind != YNODE_MAP)
                        return perr(c, v, _("expected a mapping of fact names to "
                                            "regular expressions"));
                for (size_t i = 0; i < v->n; i++) {
                        char *rx = NULL;

                        pname_add(&c->facts_used, v->pairs[i].key->str, v->pairs[i].key);
                        if ((r = pregex(c, v->pairs[i].value, &rx)) < 0)
                                return r;
                        kvlist_set(&cond->facts, v->pairs[i].key->str, rx);
                        free(rx);
                }
        }
        if ((v = popt(n, "answers"))) {
                if (v->kind != YNODE_MAP)
                        return perr(c, v, _("expected a mapping of answer keys to values"));
                for (size_t i = 0; i < v->n; i++) {
                        char *s = NULL;

                        pname_add(&c->answers_used, v->pairs[i].key->str, v->pairs[i].key);
                        if ((r = pstr(c, v->pairs[i].value, &s)) < 0)
                                return r;
                        kvlist_set(&cond->answers, v->pairs[i].key->str, s);
                        free(s);
                }
        }
        return 0;
}
