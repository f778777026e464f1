#include <config.h>

#include <stdlib.h>

#include "lib/cmd_expand.h"

int
cmd_expand(const struct cmd *c, const struct vars *vs, const struct kvlist *base_env,
           struct cmd_expanded *ret, struct diag *d)
{
        struct cmd_expanded x = {0};
        int r = 0;

        if (base_env && (r = vars_expand_env(vs, base_env, &x.env, d)) < 0)
                goto fail;
        for (size_t i = 0; i < c->argv.n; i++) {
                char *s;

                if ((r = vars_expand(vs, c->argv.v[i], &s, d)) < 0)
                        goto fail;
                strv_push_take(&x.argv, s);
        }
        if (c->shell) {
                x.shell = xstrdup(c->shell);
                for (size_t i = 0; i < vs->kv.n; i++) {
                        char *kv = xasprintf("%s=%s", vs->kv.v[i].key, vs->kv.v[i].value);

                        /* fact.NAME as fact_NAME: a name the shell can read */
                        for (char *p = kv; *p != '='; p++)
                                if (*p == '.')
                                        *p = '_';
                        strv_push_take(&x.env, kv);
                }
        }
        if ((r = vars_expand_env(vs, &c->env, &x.env, d)) < 0)
                goto fail;
        if (c->cwd && (r = vars_expand(vs, c->cwd, &x.cwd, d)) < 0)
                goto fail;
        *ret = x;
        return 0;
fail:
        cmd_expanded_release(&x);
        return r;
}

void
cmd_expanded_release(struct cmd_expanded *x)
{
        strv_release(&x->argv);
        strv_release(&x->env);
        free(x->shell);
        free(x->cwd);
        x->shell = x->cwd = NULL;
}
