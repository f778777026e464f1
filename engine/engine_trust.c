/* engine_trust.c: what a run takes on trust from the state directory.
 *
 * The state directory holds the journal, and the journal names the files
 * a rollback removes, renames and overwrites. So the directory must be one
 * that only the user running upshift can change (engine_check_state_dir),
 * and a path the journal names is used only where the plan could have put
 * it (engine_check_journal_paths): an archive under the backup or the
 * state directory; a swapped file at one of the plan's swap targets (or
 * where its symlink leads), or below one of its mapped directories; a
 * directory swap made above such a target. A journal edited to name
 * /etc/shadow is refused before any step runs. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/i18n.h"
#include "steps/facts.h"

int
engine_check_state_dir(const char *dir, struct diag *d)
{
        struct stat st;

        if (lstat(dir, &st) < 0) {
                diag_set(d, _("cannot read state directory \"%s\": %s"), dir, strerror(errno));
                return -errno;
        }
        if (S_ISLNK(st.st_mode)) {
                diag_set(d, _("state directory \"%s\" is a symbolic link: give the directory itself with --state-dir"),
                         dir);
                return -EPERM;
        }
        if (!S_ISDIR(st.st_mode)) {
                diag_set(d, _("state directory \"%s\" is not a directory"), dir);
                return -ENOTDIR;
        }
        if (st.st_uid != geteuid()) {
                /* TRANSLATORS: %u is a numeric user id. */
                diag_set(d, _("state directory \"%s\" belongs to another user (uid %u): give one of your own with --state-dir"),
                         dir, (unsigned)st.st_uid);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                /* TRANSLATORS: "%04o" is a file mode such as 0770. */
                diag_set(d, _("state directory \"%s\" is writable by group or others (mode %04o): check what is in it, then make it private with chmod 700"),
                         dir, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

/* One directory above the state directory dir: root's or the user's, and
 * not one that group or others may write without the sticky bit. One that
 * does not exist (yet) is made by upshift, 0700. */
static int
check_parent(const char *dir, const char *parent, struct diag *d)
{
        struct stat st;

        if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;       /* made next, or mkdir says why not */
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                /* TRANSLATORS: the state directory, a directory above it, a uid. */
                diag_set(d, _("state directory \"%s\" is inside \"%s\", which belongs to another user (uid %u) who could replace it: give one whose parents only you and root can change with --state-dir"),
                         dir, parent, (unsigned)st.st_uid);
                return -EPERM;
        }
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
                /* TRANSLATORS: the state directory, a directory above it, its
                 * mode such as 0777. */
                diag_set(d, _("state directory \"%s\" is inside \"%s\", which group or others may write (mode %04o, no sticky bit) and so replace it: make it chmod go-w, or give another with --state-dir"),
                         dir, parent, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

/* check_parent() of "/" and every ancestor of the absolute path abs; with
 * self, of abs too. */
static int
check_ancestors(const char *dir, char *abs, bool self, struct diag *d)
{
        size_t n = strlen(abs);
        int r = check_parent(dir, "/", d);

        for (size_t i = 1; i <= n && r == 0; i++) {
                char c = abs[i];

                if (i < n ? c != '/' : !self)
                        continue;
                abs[i] = '\0';
                r = check_parent(dir, abs, d);
                abs[i] = c;
        }
        return r;
}

int
engine_check_state_parents(const char *dir, struct diag *d)
{
        char *abs, *up, *real = NULL;
        int r;

        if (dir[0] == '/') {
                abs = xstrdup(dir);
        } else {
                char *cwd = getcwd(NULL, 0);

                if (cwd == NULL) {
                        diag_set(d, _("cannot read the current directory: %s"), strerror(errno));
                        return -errno;
                }
                abs = path_join(cwd, dir);
                free(cwd);
        }
        /* as written */
        r = check_ancestors(dir, abs, false, d);
        /* as resolved: the nearest that exists, and every one above it */
        up = path_dirname(abs);
        while (r == 0 && real == NULL && strcmp(up, "/") != 0) {
                char *next;

                if ((real = realpath(up, NULL)) != NULL)
                        break;
                next = path_dirname(up);
                free(up);
                up = next;
        }
        if (r == 0 && real != NULL)
                r = check_ancestors(dir, real, true, d);
        free(real);
        free(up);
        free(abs);
        return r;
}

/* path with "//" and "/./" taken out; NULL when it is relative or has a
 * ".." component. New string. */
static char *
clean_path(const char *path)
{
        char *out, *o;

        if (path == NULL || path[0] != '/')
                return NULL;
        out = o = xstrdup(path);
        for (const char *s = path; *s; ) {
                const char *end;
                size_t n;

                while (*s == '/')
                        s++;
                end = strchr(s, '/');
                n = end ? (size_t)(end - s) : strlen(s);
                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        free(out);
                        return NULL;
                }
                if (n > 0 && !(n == 1 && s[0] == '.')) {
                        *o++ = '/';
                        memcpy(o, s, n);
                        o += n;
                }
                s += n;
        }
        if (o == out)
                *o++ = '/';
        *o = '\0';
        return out;
}

/* dir is path or one of its ancestors (both clean). */
static bool
path_within(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        if (strcmp(dir, "/") == 0)
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The places the plan allows, for every hop: roots[] are exact targets
 * (file mappings, also where a symlink there leads), below[] mapped
 * directories (also where they lead). */
struct allowed {
        struct strv exact, below;
};

static void
allow(struct strv *l, const char *path)
{
        char *c = clean_path(path);

        if (c)
                strv_push_take(l, c);
}

static void
allow_targets(const struct plan *p, const struct vars *vs, struct allowed *a)
{
        for (size_t i = 0; i < p->swap.n_files; i++) {
                char *t = NULL, *real;

                if (vars_expand(vs, p->swap.files[i].target, &t, NULL) < 0)
                        continue;
                real = realpath(t, NULL);
                allow(p->swap.files[i].dir ? &a->below : &a->exact, t);
                if (real)
                        allow(p->swap.files[i].dir ? &a->below : &a->exact, real);
                free(real);
                free(t);
        }
}

static int
allowed_init(const struct engine *e, struct allowed *a, struct diag *d)
{
        struct vars vs = {0};
        unsigned hops = e->hops.n > 0 ? (unsigned)e->hops.n : 1;
        int r = engine_vars(e->plan, e->answers, e->opts->state_dir, e->opts->target,
                            &e->st.facts, &vs, d);

        for (unsigned h = 1; r == 0 && h <= hops; h++) {
                r = engine_hop_vars(e->plan, &e->hops, h, engine_fact(e, FACT_VERSION),
                                    e->opts->state_dir, &vs, d);
                if (r == 0)
                        allow_targets(e->plan, &vs, a);
        }
        vars_release(&vs);
        return r < 0 ? -EINVAL : 0;
}

/* A swapped file: an exact target, or below a mapped directory. A made
 * directory may also be an ancestor of either. */
static bool
target_allowed(const struct allowed *a, const char *path, bool made_dir)
{
        for (size_t i = 0; i < a->exact.n; i++)
                if (strcmp(path, a->exact.v[i]) == 0 ||
                    (made_dir && path_within(a->exact.v[i], path)))
                        return true;
        for (size_t i = 0; i < a->below.n; i++)
                if ((path_within(path, a->below.v[i]) && strcmp(path, a->below.v[i]) != 0) ||
                    (made_dir && path_within(a->below.v[i], path)))
                        return true;
        return false;
}

/* What kind of path the fact key names: 'b' an archive, 't' a swapped
 * file, 'm' a made directory, 0 none. */
static int
path_kind(const char *key)
{
        unsigned hop;
        int n = 0;

        if (strcmp(key, FACT_BACKUP_PATH) == 0 || strcmp(key, FACT_BACKUP_PENDING) == 0 ||
            strcmp(key, FACT_DELTA_PATH) == 0 || strcmp(key, FACT_DELTA_PENDING) == 0)
                return 'b';
        if (sscanf(key, "hop%u.%n", &hop, &n) == 1 && n > 0)
                key += n;
        if (strncmp(key, "swap.target.", 12) == 0)
                return 't';
        if (strncmp(key, "swap.mkdir.", 11) == 0)
                return 'm';
        return 0;
}

static bool
archive_allowed(const struct engine *e, const struct vars *vs, const char *path)
{
        const char *dirs[] = { e->opts->state_dir, vars_get(vs, "backup_dir") };
        bool ok = false;

        for (size_t i = 0; i < ARRAY_SIZE(dirs) && !ok; i++) {
                char *c = clean_path(dirs[i]);

                ok = c && path_within(path, c) && strcmp(path, c) != 0;
                free(c);
        }
        return ok;
}

int
engine_check_journal_paths(const struct engine *e, const struct vars *vs, struct diag *d)
{
        struct allowed a = {0};
        bool have_targets = false;
        int r = 0;

        for (size_t i = 0; i < e->st.facts.n && r == 0; i++) {
                const struct kv *kv = &e->st.facts.v[i];
                int kind = path_kind(kv->key);
                char *c;
                bool ok;

                if (kind == 0)
                        continue;
                if (kind != 'b' && !have_targets) {
                        if ((r = allowed_init(e, &a, d)) < 0)
                                break;
                        have_targets = true;
                }
                c = clean_path(kv->value);
                ok = c && (kind == 'b' ? archive_allowed(e, vs, c) : target_allowed(&a, c, kind == 'm'));
                free(c);
                if (!ok) {
                        /* TRANSLATORS: a path, a journal record's key, the journal,
                         * the backup directory. */
                        diag_set(d, _("refusing the journal: \"%s\" (%s) is outside the plan's swap targets, the backup directory and the state directory; was %s/journal edited, or did the upgrade use another backup_dir than %s?"),
                                 kv->value, kv->key, e->opts->state_dir,
                                 vars_get(vs, "backup_dir"));
                        r = -EPERM;
                }
        }
        strv_release(&a.exact);
        strv_release(&a.below);
        return r;
}
