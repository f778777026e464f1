/* answers.c: the answers file (answers.h, man/upshift-answers.5). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/answers.h"
#include "lib/i18n.h"
#include "lib/version.h"
#include "lib/ynode.h"

const char *const answers_builtin_keys[] = {
        "backup_dir", "backup_compression", "backup_level", "on_doubt", NULL,
};

/* Why a built-in key's value is wrong, or NULL when it is right. */
static const char *
builtin_value_bad(const char *key, const char *v)
{
        if (strcmp(key, "on_doubt") == 0 && strcmp(v, "stop") != 0 &&
            strcmp(v, "rerun") != 0 && strcmp(v, "done") != 0)
                return _("\"on_doubt\" must be one of: stop, rerun, done");
        if (strcmp(key, "backup_compression") == 0 && strcmp(v, "zstd") != 0 &&
            strcmp(v, "gzip") != 0 && strcmp(v, "xz") != 0 && strcmp(v, "none") != 0)
                return _("\"backup_compression\" must be one of: zstd, gzip, xz, none");
        if (strcmp(key, "backup_level") == 0) {
                char *end;
                long n = strtol(v, &end, 10);

                if (*v == '\0' || *end != '\0' || n < 1 || n > 19)
                        return _("\"backup_level\" must be an integer from 1 to 19");
        }
        return NULL;
}

static bool
is_builtin_key(const char *key)
{
        for (size_t i = 0; answers_builtin_keys[i]; i++)
                if (strcmp(answers_builtin_keys[i], key) == 0)
                        return true;
        return false;
}

void
answers_free(struct answers *a)
{
        if (a == NULL)
                return;
        free(a->file);
        kvlist_release(&a->kv);
        for (size_t i = 0; i < a->n_maps; i++) {
                free(a->maps[i].key);
                kvlist_release(&a->maps[i].byver);
        }
        free(a->maps);
        free(a);
}

static int
yesno(const char *v)
{
        static const char *const yes[] = { "yes", "y", "true", "on" };
        static const char *const no[] = { "no", "n", "false", "off" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int
answers_check_value(const struct question *q, const char *value, char **ret,
                    struct diag *d)
{
        struct stat st;
        char *all, *v;
        int b;

        switch (q->type) {
        case Q_INTEGER: {
                char *end;
                long n;

                errno = 0;
                n = strtol(value, &end, 10);
                if (*value == '\0' || *end != '\0' || isspace((unsigned char)*value) ||
                    *value == '+' || errno == ERANGE || n < q->min || n > q->max) {
                        /* TRANSLATORS: a question key, then the smallest and largest value. */
                        diag_set(d, _("\"%s\" must be an integer from %ld to %ld"), q->key,
                                 q->min, q->max);
                        return -EINVAL;
                }
                break;
        }
        case Q_YESNO:
        case Q_CONFIRM:
                if ((b = yesno(value)) < 0) {
                        diag_set(d, _("\"%s\" must be yes or no"), q->key);
                        return -EINVAL;
                }
                *ret = xstrdup(b ? "yes" : "no");
                return 0;
        case Q_CHOICE:
                if (strv_find(q->choices.v, q->choices.n, value) < 0) {
                        all = strv_join(q->choices.v, q->choices.n, ", ");
                        /* TRANSLATORS: '"mode" must be one of: fast, safe' */
                        diag_set(d, _("\"%s\" must be one of: %s"), q->key, all);
                        free(all);
                        return -EINVAL;
                }
                break;
        case Q_SHA256:
                if ((*value != '\0' || q->required) &&
                    (strlen(value) != 64 || strspn(value, "0123456789abcdefABCDEF") != 64)) {
                        diag_set(d, _("\"%s\" must be 64 hexadecimal digits (a SHA-256)"),
                                 q->key);
                        return -EINVAL;
                }
                v = xstrdup(value);
                for (char *p = v; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                *ret = v;
                return 0;
        case Q_FILE:
                if (stat(value, &st) < 0) {
                        /* TRANSLATORS: '"package": no such file "/x.deb"' */
                        diag_set(d, _("\"%s\": no such file \"%s\""), q->key, value);
                        return -ENOENT;
                }
                if (!S_ISREG(st.st_mode)) {
                        diag_set(d, _("\"%s\": \"%s\" is not a regular file"), q->key, value);
                        return -EINVAL;
                }
                break;
        case Q_STRING:
        case Q_DIR:
        case Q_SECRET:
                break;
        }
        *ret = xstrdup(value);
        return 0;
}

/* The known key closest to key, when close enough to be a typo. */
static const char *
suggest(const struct plan *p, const char *key)
{
        size_t len = strlen(key), limit = len / 3 > 2 ? len / 3 : 2;
        size_t best_d = SIZE_MAX, dist;
        const char *best = NULL;

        for (size_t i = 0; i < p->n_ask; i++)
                if ((dist = str_distance(key, p->ask[i].key)) < best_d) {
                        best_d = dist;
                        best = p->ask[i].key;
                }
        for (size_t i = 0; answers_builtin_keys[i]; i++)
                if ((dist = str_distance(key, answers_builtin_keys[i])) < best_d) {
                        best_d = dist;
                        best = answers_builtin_keys[i];
                }
        return best_d <= limit ? best : NULL;
}

static int
unknown_key(const char *file, const struct plan *p, const struct ynode *k,
            struct diag *d)
{
        const char *best = suggest(p, k->str);
        struct strbuf sb = {0};

        if (best) {
                /* TRANSLATORS: 'a.yaml:4:1: unknown key "pakage" (did you mean
                 * "package"?)' */
                diag_set_at(d, file, k->line, k->col,
                            _("unknown key \"%s\" (did you mean \"%s\"?)"), k->str, best);
                return -EINVAL;
        }
        strbuf_adds(&sb, "");
        for (size_t i = 0; i < p->n_ask; i++)
                strbuf_addf(&sb, "%s, ", p->ask[i].key);
        for (size_t i = 0; answers_builtin_keys[i]; i++)
                strbuf_addf(&sb, "%s%s", answers_builtin_keys[i],
                            answers_builtin_keys[i + 1] ? ", " : "");
        diag_set_at(d, file, k->line, k->col, _("unknown key \"%s\" (expected one of: %s)"),
                    k->str, sb.buf);
        strbuf_release(&sb);
        return -EINVAL;
}

static struct answer_map *
map_add(struct answers *a, const char *key, const struct ynode *v)
{
        struct answer_map *m;

        a->maps = xrealloc(a->maps, (a->n_maps + 1) * sizeof *a->maps);
        m = &a->maps[a->n_maps++];
        memset(m, 0, sizeof *m);
        m->key = xstrdup(key);
        m->line = v->line;
        m->col = v->col;
        return m;
}

/* A per_hop question answered with a map: hop version -> value. */
static int
load_map(struct answers *a, const char *file, const struct question *q,
         const struct ynode *v, struct diag *d)
{
        struct answer_map *m = map_add(a, q->key, v);

        for (size_t i = 0; i < v->n; i++) {
                const struct ynode *k = v->pairs[i].key, *x = v->pairs[i].value;
                struct diag d2 = {0};
                char *norm = NULL;

                if (k->kind != YNODE_SCALAR || !version_valid(k->str)) {
                        /* TRANSLATORS: a question key, then what was written. */
                        diag_set_at(d, file, k->line, k->col,
                                    _("\"%s\": \"%s\" is not a version (a per-hop answer maps "
                                      "each hop's target version to its value)"), q->key,
                                    k->kind == YNODE_SCALAR ? k->str : ynode_kind_text(k));
                        return -EINVAL;
                }
                if (x->kind != YNODE_SCALAR) {
                        diag_set_at(d, file, x->line, x->col,
                                    _("\"%s\" must be a single value, not %s"), q->key,
                                    ynode_kind_text(x));
                        return -EINVAL;
                }
                if (ynode_is_null(x))
                        continue;
                if (answers_check_value(q, x->str, &norm, &d2) < 0) {
                        diag_set_at(d, file, x->line, x->col, "%s", d2.msg);
                        return -EINVAL;
                }
                kvlist_set(&m->byver, k->str, norm);
                free(norm);
        }
        return 0;
}

static int
load_pairs(struct answers *a, const char *file, const struct plan *p,
           const struct ynode *root, struct diag *d)
{
        for (size_t i = 0; i < root->n; i++) {
                const struct ynode *k = root->pairs[i].key, *v = root->pairs[i].value;
                const struct question *q = plan_question(p, k->str);
                struct diag d2 = {0};
                char *norm = NULL;
                int r;

                if (q == NULL && !is_builtin_key(k->str))
                        return unknown_key(file, p, k, d);
                if (q && q->per_hop && v->kind == YNODE_MAP) {
                        if ((r = load_map(a, file, q, v, d)) < 0)
                                return r;
                        continue;
                }
                if (v->kind != YNODE_SCALAR) {
                        /* TRANSLATORS: '"port" must be a single value, not a list' */
                        diag_set_at(d, file, v->line, v->col,
                                    _("\"%s\" must be a single value, not %s"),
                                    k->str, ynode_kind_text(v));
                        return -EINVAL;
                }
                if (ynode_is_null(v))
                        continue;               /* not answered */
                if (q == NULL) {
                        if (builtin_value_bad(k->str, v->str)) {
                                diag_set_at(d, file, v->line, v->col, "%s",
                                            builtin_value_bad(k->str, v->str));
                                return -EINVAL;
                        }
                        kvlist_set(&a->kv, k->str, v->str);
                        continue;
                }
                if ((r = answers_check_value(q, v->str, &norm, &d2)) < 0) {
                        diag_set_at(d, file, v->line, v->col, "%s", d2.msg);
                        return -EINVAL;
                }
                kvlist_set(&a->kv, k->str, norm);
                free(norm);
                if (q->per_hop)
                        map_add(a, q->key, v)->scalar = true;
        }
        return 0;
}

static int
check_missing(const struct answers *a, const struct plan *p, struct diag *d)
{
        struct strv miss = {0};
        char *list;

        for (size_t i = 0; i < p->n_ask; i++) {
                const struct question *q = &p->ask[i];
                const char *v = kvlist_get(&a->kv, q->key);

                if (!q->required || q->def != NULL || answers_map(a, q->key))
                        continue;
                if (v == NULL || (q->type == Q_CONFIRM && strcmp(v, "yes") != 0))
                        strv_push(&miss, q->key);
        }
        if (miss.n == 0)
                return 0;
        list = strv_join(miss.v, miss.n, ", ");
        /* TRANSLATORS: 'a.yaml: missing required answers: package, data_dir' */
        diag_set_at(d, a->file ? a->file : _("no answers file"), 0, 0,
                    _("missing required answers: %s"), list);
        free(list);
        strv_release(&miss);
        return -EINVAL;
}

/* As OpenSSH refuses a key file others can read: a file holding a secret
 * must be its owner's alone. */
static int
check_private(const struct answers *a, const char *path, const struct plan *p, struct diag *d)
{
        struct stat st;

        for (size_t i = 0; i < p->n_ask; i++) {
                const char *v = kvlist_get(&a->kv, p->ask[i].key);
                const struct answer_map *m = answers_map(a, p->ask[i].key);

                if (p->ask[i].type != Q_SECRET || ((v == NULL || v[0] == '\0') && m == NULL))
                        continue;
                if (stat(path, &st) < 0) {
                        diag_set(d, _("cannot open answers file \"%s\": %s"), path, strerror(errno));
                        return -errno;
                }
                if ((st.st_mode & 077) == 0)
                        return 0;
                /* TRANSLATORS: a file, a question key, a file mode such as 0644, the file. */
                diag_set(d, _("answers file \"%s\" holds the secret \"%s\" and others may read it "
                              "(mode %04o): make it private with chmod 600 %s"),
                         path, p->ask[i].key, (unsigned)(st.st_mode & 07777), path);
                return -EPERM;
        }
        return 0;
}

int
answers_load(const char *path, const struct plan *p, bool check_required,
             struct answers **ret, struct diag *d)
{
        struct answers *a = xcalloc(1, sizeof *a);
        struct ynode *root = NULL;
        int r = 0;

        if (path != NULL) {
                a->file = xstrdup(path);
                r = ynode_parse_file(path, &root, d);
                if (r < 0 && r != -EINVAL && r != -EFBIG)
                        diag_set(d, _("cannot open answers file \"%s\": %s"), path,
                                 strerror(-r));
        }
        if (r == 0 && root != NULL && !ynode_is_null(root)) {
                if (root->kind != YNODE_MAP) {
                        diag_set_at(d, path, root->line, root->col,
                                    _("expected a mapping of answer keys to values"));
                        r = -EINVAL;
                } else {
                        r = load_pairs(a, path, p, root, d);
                }
                if (r == 0)
                        r = check_private(a, path, p, d);
        }
        if (r == 0 && check_required)
                r = check_missing(a, p, d);
        ynode_free(root);
        if (r < 0) {
                answers_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

const struct answer_map *
answers_map(const struct answers *a, const char *key)
{
        for (size_t i = 0; a && i < a->n_maps; i++)
                if (!a->maps[i].scalar && strcmp(a->maps[i].key, key) == 0)
                        return &a->maps[i];
        return NULL;
}

static const struct answer_map *
answer_pos(const struct answers *a, const char *key)
{
        for (size_t i = 0; a && i < a->n_maps; i++)
                if (strcmp(a->maps[i].key, key) == 0)
                        return &a->maps[i];
        return NULL;
}

int
answers_check_hops(const struct plan *p, const struct answers *a, char *const *hops,
                   size_t n, struct diag *d)
{
        const char *file = a && a->file ? a->file : _("the answers");

        for (size_t i = 0; i < p->n_ask; i++) {
                const struct question *q = &p->ask[i];
                const struct answer_map *m = answer_pos(a, q->key);
                struct strv miss = {0};

                if (!q->per_hop || m == NULL)
                        continue;
                if (m->scalar && n > 1) {
                        char *all = strv_join(hops, n, ", ");

                        /* TRANSLATORS: a question key, a number of hops, their versions,
                         * then the key again. */
                        diag_set_at(d, file, m->line, m->col,
                                    _("\"%s\" has one value but the upgrade has %zu hops (%s): "
                                      "answer it with a map from each hop's version to its value, "
                                      "such as %s: {%s: VALUE, ...}"), q->key, n, all, q->key,
                                    hops[0]);
                        free(all);
                        return -EINVAL;
                }
                for (size_t h = 0; !m->scalar && !q->def && h < n; h++)
                        if (!kvlist_get(&m->byver, hops[h]))
                                strv_push(&miss, hops[h]);
                if (miss.n == 1) {
                        /* TRANSLATORS: a question key, a version, then both again. */
                        diag_set_at(d, file, m->line, m->col,
                                    _("\"%s\" has no value for the hop to %s: add \"%s: VALUE\" "
                                      "to the map of \"%s\""), q->key, miss.v[0], miss.v[0], q->key);
                } else if (miss.n > 1) {
                        char *all = strv_join(miss.v, miss.n, ", ");
                        struct strbuf add = {0};

                        for (size_t h = 0; h < miss.n; h++)
                                strbuf_addf(&add, "%s\"%s: VALUE\"", h ? ", " : "", miss.v[h]);
                        /* TRANSLATORS: a question key, a list of versions, a list of
                         * "VERSION: VALUE" lines to add, then the key again. */
                        diag_set_at(d, file, m->line, m->col,
                                    _("\"%s\" has no value for the hops to %s: add %s "
                                      "to the map of \"%s\""), q->key, all, add.buf, q->key);
                        strbuf_release(&add);
                        free(all);
                }
                if (miss.n > 0) {
                        strv_release(&miss);
                        return -EINVAL;
                }
        }
        return 0;
}

static void
set_answer(struct vars *vs, const struct question *q, const char *name, const char *v)
{
        if (q->type == Q_SECRET)
                vars_set_secret(vs, name, v);
        else
                vars_set(vs, name, v);
}

int
answers_apply_hop(const struct plan *p, struct vars *vs, const char *target, struct diag *d)
{
        for (size_t i = 0; i < p->n_ask; i++) {
                const struct question *q = &p->ask[i];
                char *name, *v = NULL;
                const char *how, *given;
                int r;

                if (!q->per_hop)
                        continue;
                name = xasprintf("%s@", q->key);
                how = vars_get(vs, name);
                free(name);
                if (how && strcmp(how, "scalar") == 0)
                        continue;
                name = xasprintf("%s@%s", q->key, target ? target : "");
                given = vars_get(vs, name);
                free(name);
                if (given) {
                        set_answer(vs, q, q->key, given);
                        continue;
                }
                if (q->def == NULL) {
                        /* a map without this hop: answers_check_hops said so */
                        if (how && strcmp(how, "map") == 0)
                                vars_set(vs, q->key, "");
                        continue;
                }
                if ((r = vars_expand(vs, q->def, &v, d)) < 0) {
                        diag_prefix(d, _("cannot use the default of \"%s\""), q->key);
                        return r;
                }
                set_answer(vs, q, q->key, v);
                free(v);
        }
        return 0;
}

int
answers_apply(const struct plan *p, const struct answers *a, struct vars *vs,
              struct diag *d)
{
        const struct kvlist *kv = a ? &a->kv : NULL;

        for (size_t i = 0; answers_builtin_keys[i]; i++) {
                const char *v = kv ? kvlist_get(kv, answers_builtin_keys[i]) : NULL;

                if (v)
                        vars_set(vs, answers_builtin_keys[i], v);
        }
        /* Answers first, so that any default may use any of them. */
        for (size_t i = 0; i < p->n_ask; i++) {
                const struct question *q = &p->ask[i];
                const char *v = kv ? kvlist_get(kv, q->key) : NULL;

                const struct answer_map *m = answers_map(a, q->key);

                if (m) {
                        const char *t = vars_get(vs, "target");

                        for (size_t j = 0; j < m->byver.n; j++) {
                                char *name = xasprintf("%s@%s", q->key, m->byver.v[j].key);

                                set_answer(vs, q, name, m->byver.v[j].value);
                                free(name);
                        }
                        /* Outside the hops: the last hop's value. */
                        v = t ? kvlist_get(&m->byver, t) : NULL;
                        set_answer(vs, q, q->key, v ? v : "");
                }
                if (q->per_hop) {
                        char *name = xasprintf("%s@", q->key);

                        vars_set(vs, name, m ? "map" : v ? "scalar" : "default");
                        free(name);
                }
                if (v == NULL || m)
                        continue;
                set_answer(vs, q, q->key, v);
        }
        for (size_t i = 0; i < p->n_ask; i++) {
                const struct question *q = &p->ask[i];
                char *v = NULL;
                int r;

                if ((kv && kvlist_get(kv, q->key)) || answers_map(a, q->key) || q->def == NULL)
                        continue;
                if ((r = vars_expand(vs, q->def, &v, d)) < 0) {
                        /* TRANSLATORS: %s is a question key. */
                        diag_prefix(d, _("cannot use the default of \"%s\""), q->key);
                        return r;
                }
                if (q->type == Q_SECRET)
                        vars_set_secret(vs, q->key, v);
                else
                        vars_set(vs, q->key, v);
                free(v);
        }
        return 0;
}
