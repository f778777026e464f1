/* vars.c: plan variables and ${name} substitution (vars.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/vars.h"

const char *const vars_builtin[] = {
        "version", "target", "hop_from", "backup_dir", "backup_work", "staging", "state_dir",
        "plan", "package_version", NULL,
};

#define VARS_MASK "********"

enum expand_mode { EXPAND_PLAIN, EXPAND_REGEX, EXPAND_MASKED };

void
vars_set(struct vars *vs, const char *name, const char *value)
{
        kvlist_set(&vs->kv, name, value);
}

void
vars_set_secret(struct vars *vs, const char *name, const char *value)
{
        kvlist_set(&vs->kv, name, value);
        if (strv_find(vs->secret.v, vs->secret.n, name) < 0)
                strv_push(&vs->secret, name);
}

const char *
vars_get(const struct vars *vs, const char *name)
{
        return kvlist_get(&vs->kv, name);
}

bool
vars_is_secret(const struct vars *vs, const char *name)
{
        return strv_find(vs->secret.v, vs->secret.n, name) >= 0;
}

void
vars_release(struct vars *vs)
{
        kvlist_release(&vs->kv);
        strv_release(&vs->secret);
}

int
vars_expand_env(const struct vars *vs, const struct kvlist *env, struct strv *ret,
                struct diag *d)
{
        for (size_t i = 0; i < env->n; i++) {
                char *v;
                int r = vars_expand(vs, env->v[i].value, &v, d);

                if (r < 0)
                        return r;
                strv_push_take(ret, xasprintf("%s=%s", env->v[i].key, v));
                free(v);
        }
        return 0;
}

int
vars_each_ref(const char *s, int (*fn)(void *ud, const char *name, size_t off),
              void *ud)
{
        const char *p = s;

        while ((p = strchr(p, '$')) != NULL) {
                const char *end;
                char *name;
                int r;

                if (p[1] == '$') {
                        p += 2;
                        continue;
                }
                if (p[1] != '{') {
                        p++;
                        continue;
                }
                end = strchr(p + 2, '}');
                if (end == NULL)
                        return fn(ud, NULL, (size_t)(p - s));
                name = xstrndup(p + 2, (size_t)(end - p - 2));
                r = fn(ud, name, (size_t)(p - s));
                free(name);
                if (r != 0)
                        return r;
                p = end + 1;
        }
        return 0;
}

/* Append value quoted for PCRE2: \Q...\E, with any "\E" inside written as
 * "\E\\E\Q" so that it cannot end the quoting early. */
static void
add_regex_quoted(struct strbuf *sb, const char *value)
{
        const char *p = value, *e;

        strbuf_adds(sb, "\\Q");
        while ((e = strstr(p, "\\E")) != NULL) {
                strbuf_add(sb, p, (size_t)(e - p));
                strbuf_adds(sb, "\\E\\\\E\\Q");
                p = e + 2;
        }
        strbuf_adds(sb, p);
        strbuf_adds(sb, "\\E");
}

static int
expand(const struct vars *vs, const char *in, enum expand_mode mode, char **ret,
       struct diag *d)
{
        struct strbuf sb = {0};
        const char *p = in;

        strbuf_adds(&sb, "");
        while (*p) {
                const char *end;
                const char *value;
                char *name;

                if (p[0] != '$') {
                        size_t n = strcspn(p, "$");

                        strbuf_add(&sb, p, n);
                        p += n;
                        continue;
                }
                if (p[1] == '$') {
                        strbuf_addch(&sb, '$');
                        p += 2;
                        continue;
                }
                if (p[1] != '{') {
                        strbuf_addch(&sb, '$');
                        p++;
                        continue;
                }
                end = strchr(p + 2, '}');
                if (end == NULL) {
                        /* TRANSLATORS: the second %s is the whole string. */
                        diag_set(d, _("unterminated \"%s\" in \"%s\""), "${", in);
                        strbuf_release(&sb);
                        return -EINVAL;
                }
                name = xstrndup(p + 2, (size_t)(end - p - 2));
                value = vars_get(vs, name);
                if (value == NULL) {
                        /* TRANSLATORS: %s is a variable name, shown as ${name}. */
                        diag_set(d, _("unknown variable \"${%s}\""), name);
                        free(name);
                        strbuf_release(&sb);
                        return -ENOENT;
                }
                if (mode == EXPAND_REGEX)
                        add_regex_quoted(&sb, value);
                else if (mode == EXPAND_MASKED && vars_is_secret(vs, name))
                        strbuf_adds(&sb, VARS_MASK);
                else
                        strbuf_adds(&sb, value);
                free(name);
                p = end + 1;
        }
        *ret = strbuf_detach(&sb);
        return 0;
}

int
vars_expand(const struct vars *vs, const char *in, char **ret, struct diag *d)
{
        return expand(vs, in, EXPAND_PLAIN, ret, d);
}

int
vars_expand_regex(const struct vars *vs, const char *in, char **ret, struct diag *d)
{
        return expand(vs, in, EXPAND_REGEX, ret, d);
}

int
vars_expand_masked(const struct vars *vs, const char *in, char **ret, struct diag *d)
{
        return expand(vs, in, EXPAND_MASKED, ret, d);
}
