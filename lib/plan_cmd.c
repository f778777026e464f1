/* plan_cmd.c: commands and conditions in plans (COMMAND, COMMANDS and COND
 * in man/upshift-plan.5); scalars are read by plan_schema.c. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"
#include "lib/vars.h"

/* Every key of a command mapping, and the other mappings that take it
 * (pcmd_keys()): the one list the command keys of checks, facts and ready:
 * are built from. The late ones come after the mapping's own keys: pkeys()
 * suggests the first of equally close keys, and lists them in this order. */
static const struct {
        const char *name;
        unsigned    in;                 /* PCMD_IN_* */
        bool        late;
} cmd_key_table[] = {
        { "run",      PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY | PCMD_IN_RUN, false },
        { "shell",    PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY | PCMD_IN_RUN, false },
        { "env",      PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY, false },
        { "cwd",      PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY, false },
        { "timeout",  PCMD_IN_CHECK | PCMD_IN_FACT, false },
        { "match",    PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY | PCMD_IN_HTTP, false },
        { "ignore",   PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY, false },
        { "lines",    PCMD_IN_CHECK | PCMD_IN_FACT, false },
        { "may_fail", PCMD_IN_CHECK | PCMD_IN_FACT, false },
        { "when",     PCMD_IN_FACT, false },
        { "reject",   PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY, true },
        { "stream",   PCMD_IN_CHECK | PCMD_IN_FACT | PCMD_IN_READY, true },
        { "foreach",  0, true },
        { "undo",     0, true },
};

const char **
pcmd_keys(unsigned in, unsigned not_in, const char *const *own)
{
        size_t n = 0, n_own = 0;
        const char **keys;

        while (own && own[n_own])
                n_own++;
        keys = xcalloc(ARRAY_SIZE(cmd_key_table) + n_own + 1, sizeof *keys);
        for (int late = 0; late < 2; late++) {
                for (size_t i = 0; i < ARRAY_SIZE(cmd_key_table); i++)
                        if (cmd_key_table[i].late == (late == 1) &&
                            (cmd_key_table[i].in & in) == in &&
                            (cmd_key_table[i].in & not_in) == 0)
                                keys[n++] = cmd_key_table[i].name;
                for (size_t i = 0; late == 0 && i < n_own; i++)
                        keys[n++] = own[i];
        }
        return keys;
}

/* pkeys() with the keys of a command mapping. */
static int
pcmd_check_keys(struct pctx *c, const struct ynode *n)
{
        const char **keys = pcmd_keys(0, 0, NULL);
        int r = pkeys(c, n, keys, _("a command"));

        free(keys);
        return r;
}

static const char *const cond_keys[] = {
        "version", "target", "facts", "answers", NULL,
};

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
        free(cmd->reject);
        free(cmd->foreach);
        cmd_free(cmd->undo);
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
        /* Checked at the end for secrets, which never go on a command line. */
        for (size_t i = 0; i < n->n; i++)
                if (n->items[i]->kind == YNODE_SCALAR && strstr(n->items[i]->str, "${"))
                        pname_add(&c->argv_refs, n->items[i]->str, n->items[i]);
        return pstrv(c, n, ret);
}

const struct cmd *
plan_undo_at(const struct plan *p, unsigned line, unsigned col)
{
        for (size_t i = 0; i < p->undos.n; i++)
                if (p->undos.v[i]->pos.line == line && p->undos.v[i]->pos.col == col)
                        return p->undos.v[i];
        return NULL;
}

/* undo: beside run: one command (a list of strings) run by rollback once
 * cmd has run, with cmd's env, cwd and timeout. */
static int
pundo(struct pctx *c, const struct ynode *n, const struct ynode *u, struct cmd *cmd,
      int run_index)
{
        struct plan *p = c->p;
        struct cmd *undo;
        int r;

        if (!popt(n, "run"))
                return perr(c, u, _("undo: goes beside run: (a command given as shell: "
                                    "cannot have one)"));
        if (run_index >= 0)
                return perr(c, u, _("undo: reverts one command: give run: one command "
                                    "(a list of strings), not a list of commands"));
        if (popt(n, "foreach"))
                return perr(c, u, _("undo: cannot be used with foreach:"));
        undo = xcalloc(1, sizeof *undo);
        cmd->undo = undo;
        if ((r = pargv(c, u, &undo->argv)) < 0)
                return r;
        undo->pos = pnode_pos(u);
        for (size_t i = 0; i < cmd->env.n; i++)
                kvlist_set(&undo->env, cmd->env.v[i].key, cmd->env.v[i].value);
        undo->cwd = cmd->cwd ? xstrdup(cmd->cwd) : NULL;
        undo->timeout_ms = cmd->timeout_ms;
        p->undos.v = xrealloc(p->undos.v, (p->undos.n + 1) * sizeof *p->undos.v);
        p->undos.v[p->undos.n++] = undo;
        return 0;
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
                if ((r = pshell(c, shell, &cmd->shell)) < 0)
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
        if ((r = pcmd_output(c, n, cmd)) < 0)
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
        if ((v = popt(n, "undo")) && (r = pundo(c, n, v, cmd, run_index)) < 0)
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
        if ((r = pcmd_check_keys(c, n)) < 0)
                return r;
        if ((v = popt(n, "foreach")))
                return perr(c, v, _("foreach: is only for a command in a list of commands "
                                    "(such as run:, before: or kick:)"));
        if ((v = popt(n, "undo")))
                return perr(c, v, _("undo: is only for a command in a list of commands "
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

        if ((r = pcmd_check_keys(c, n)) < 0)
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
