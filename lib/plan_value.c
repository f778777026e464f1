/* plan_value.c: what a command's output and a fact are compared with
 * (man/upshift-plan.5, COMMANDS and CHECKS): a command's reject: and
 * stream:, a check's at_least:, at_most:, differs: and within:. */
#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"

int
pcmd_output(struct pctx *c, const struct ynode *n, struct cmd *cmd)
{
        static const char *const streams[] = { "stdout", "stderr", "both" };
        struct ynode *v;
        int r;

        if ((v = popt(n, "reject")) && (r = pregex(c, v, &cmd->reject)) < 0)
                return r;
        if ((v = popt(n, "stream")) == NULL)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(streams); i++)
                if (v->kind == YNODE_SCALAR && strcmp(v->str, streams[i]) == 0) {
                        cmd->stream = (enum cmd_stream)i;
                        return 0;
                }
        /* TRANSLATORS: keep stdout, stderr and both as they are. */
        return perr(c, v, _("unknown stream \"%s\" (expected stdout, stderr or both)"),
                    v->kind == YNODE_SCALAR ? v->str : "?");
}

static bool
shell_name_char(int ch, bool first)
{
        return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (!first && ch >= '0' && ch <= '9');
}

int
pshell(struct pctx *c, const struct ynode *n, char **ret)
{
        const char *s;

        if (n->kind != YNODE_SCALAR)
                return perr(c, n, _("expected a string, not %s"), ynode_kind_text(n));
        for (s = n->str; (s = strchr(s, '$')) != NULL; s++) {
                const char *name = s + 1 + (s[1] == '{'), *e = name;

                while (shell_name_char((unsigned char)*e, e == name))
                        e++;
                if (s[1] == '{' && *e == '.' && e > name) {
                        char *as = xstrndup(name, strcspn(name, "}"));
                        int r;

                        for (char *p = as; *p; p++)
                                if (*p == '.')
                                        *p = '_';
                        /* TRANSLATORS: a name such as "fact.rows", then the
                         * same with "_" ("fact_rows"); keep ${...}, shell:,
                         * "." and "_" as they are. */
                        r = perr(c, n, _("\"${%.*s}\" in a shell: script is the shell's, "
                                         "which cannot read that name: write \"$%s\" (plan "
                                         "variables reach the script as environment variables, "
                                         "a \".\" as \"_\")"), (int)strlen(as), name, as);
                        free(as);
                        return r;
                }
                if (e - name > 5 && strncmp(name, "fact_", 5) == 0) {
                        char *fact = xstrndup(name + 5, (size_t)(e - name - 5));

                        pname_add(&c->facts_used, fact, n);
                        free(fact);
                }
        }
        free(*ret);
        *ret = xstrdup(n->str);
        return 0;
}

static const struct {
        const char   *key;
        enum fact_cmp cmp;
} compares[] = {
        { "same", FACT_SAME }, { "at_least", FACT_AT_LEAST }, { "at_most", FACT_AT_MOST },
        { "differs", FACT_DIFFERS },
};

bool
pcheck_has_compare(const struct ynode *n)
{
        for (size_t i = 0; i < ARRAY_SIZE(compares); i++)
                if (popt(n, compares[i].key))
                        return true;
        return false;
}

/* within: N% (or a plain fraction such as 0.05). */
static int
pwithin(struct pctx *c, const struct ynode *v, double *ret)
{
        char *end = NULL;
        double x;

        if (v->kind != YNODE_SCALAR || v->str[0] == '\0')
                return perr(c, v, _("expected a percentage such as 5%%"));
        x = strtod(v->str, &end);
        if (end != v->str && strcmp(end, "%") == 0)
                x /= 100;
        else if (end == v->str || *end != '\0')
                x = -1;
        if (!(x >= 0 && x < 10) || !isfinite(x))
                /* TRANSLATORS: %s is what the plan gave. */
                return perr(c, v, _("bad within: \"%s\" (expected a percentage from 0%% "
                                    "such as 5%%)"), v->str);
        *ret = x;
        return 0;
}

int
pcheck_compare(struct pctx *c, const struct ynode *n, struct check *ck)
{
        struct ynode *v;
        const char *first = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(compares); i++) {
                if ((v = popt(n, compares[i].key)) == NULL)
                        continue;
                if (first)
                        /* TRANSLATORS: two keys such as "same" and "at_least". */
                        return perr(c, v, _("a check compares one way: %s: or %s:, not "
                                            "both"), first, compares[i].key);
                first = compares[i].key;
                if (v->kind != YNODE_SCALAR)
                        return perr(c, v, _("expected the name of a fact"));
                if (i == 0)
                        continue;               /* same: is read by pcheck() */
                ck->same = xstrdup(v->str);
                ck->cmp = compares[i].cmp;
                pname_add(&c->facts_used, v->str, v);
        }
        if ((v = popt(n, "within")) == NULL)
                return 0;
        if (popt(n, "same") == NULL)
                return perr(c, v, _("within: needs same: in the same check (a fact equal "
                                    "to detect's within a percentage)"));
        return pwithin(c, v, &ck->within);
}
