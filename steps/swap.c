/* swap: put the staged package files in place by atomic rename, keeping each
 * old file as <target>.upshift-old for undo.
 *
 * detect has already written each new file beside its target as
 * target.upshift-new (swap_prestage), so the downtime is renames. Order for
 * each file, so that a crash anywhere leaves a state that a second run (or
 * undo) understands:
 *   1. journal swap.old.N.sha256 (the hash of the file in place now)
 *   2. hard-link target -> target.upshift-old (the target never disappears)
 *   3. check target.upshift-new by hash (copy it again from staging if needed)
 *   4. rename target.upshift-new -> target, fsync the directory
 *   5. journal swap.done.N
 * A file whose hash already equals the new one is never saved as "old".
 *
 * Entry N is a file the swap installs: with a directory mapping (a member
 * ending in "/"), detect journals one entry per file found below it
 * (staged.N.member, staged.N.map: which files: mapping, swap.target.N, and
 * staged.N.link for a symlink, which is installed as a symlink); without
 * one, entry N is the plan's mapping N (journals from before mappings of
 * directories look the same). A symlink's "hash" is package_link_sha256()
 * of its text. Directories created for new files are journaled as
 * swap.mkdir.K before they are made, and removed again (when empty) by
 * swap_unstage.
 *
 * In a path of several hops, each hop's facts carry the hop's key prefix
 * (step_hop_key) and its new files are TARGET.upshift-new.HOP; the
 * .upshift-old of a target is made once, by the first hop that replaces it,
 * so it always holds the file from before the upgrade. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "steps/describe.h"
#include "steps/step.h"

#define OLD_SUFFIX ".upshift-old"
#define NEW_SUFFIX ".upshift-new"

/* One file the swap installs. */
struct entry {
        size_t      map;                /* index in plan->swap.files */
        const char *member;
        const char *link;               /* symlink text, or NULL */
        bool        dir;                /* found below a mapped directory */
};

/* The fact key "A.I.B" (or "A.I" when b is NULL) for the current hop. */
static void
skey(struct step_ctx *ctx, char *buf, size_t n, const char *a, size_t i, const char *b)
{
        if (b)
                step_hop_key(ctx, buf, n, "%s.%zu.%s", a, i, b);
        else
                step_hop_key(ctx, buf, n, "%s.%zu", a, i);
}

static const char *
sfact(struct step_ctx *ctx, const char *a, size_t i, const char *b)
{
        char key[96];

        skey(ctx, key, sizeof key, a, i, b);
        return step_fact(ctx, key);
}

static int
sfact_set(struct step_ctx *ctx, const char *a, size_t i, const char *b, const char *value)
{
        char key[96];

        skey(ctx, key, sizeof key, a, i, b);
        return step_fact_set(ctx, key, value, ctx->diag);
}

/* How many files the swap installs (staged.count, else the plan's). */
static size_t
entry_count(struct step_ctx *ctx)
{
        char key[96];
        const char *n;

        step_hop_key(ctx, key, sizeof key, "%s", "staged.count");
        n = step_fact(ctx, key);
        return n ? (size_t)strtoul(n, NULL, 10) : ctx->plan->swap.n_files;
}

static void
entry_get(struct step_ctx *ctx, size_t i, struct entry *e)
{
        const struct plan *p = ctx->plan;
        const char *map = sfact(ctx, "staged", i, "map");

        e->map = map ? (size_t)strtoul(map, NULL, 10) : i;
        e->member = sfact(ctx, "staged", i, "member");
        if (e->member == NULL)
                e->member = e->map < p->swap.n_files ? p->swap.files[e->map].member : "?";
        e->link = sfact(ctx, "staged", i, "link");
        e->dir = e->map < p->swap.n_files && p->swap.files[e->map].dir;
}

/* TARGET.upshift-new, or TARGET.upshift-new.HOP after the first hop. */
static char *
new_path(struct step_ctx *ctx, const char *target)
{
        unsigned hop = step_hop(ctx);

        return hop > 1 ? xasprintf("%s%s.%u", target, NEW_SUFFIX, hop)
                       : xasprintf("%s%s", target, NEW_SUFFIX);
}

/* What is at path: 1 when nothing is, else 0 with its hash in hex (a
 * symlink's from its text, never followed). */
static int
entry_hash(struct step_ctx *ctx, const char *path, char hex[SHA256_HEX_LEN + 1])
{
        struct stat st;

        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 1;
                diag_set(ctx->diag, _("cannot look at \"%s\": %s"), path, strerror(errno));
                return STEP_FAILED;
        }
        if (S_ISLNK(st.st_mode)) {
                char buf[PATH_MAX + 1];
                ssize_t n = readlink(path, buf, sizeof buf - 1);

                if (n < 0) {
                        diag_set(ctx->diag, _("cannot read the link \"%s\": %s"), path,
                                 strerror(errno));
                        return STEP_FAILED;
                }
                buf[n] = '\0';
                package_link_sha256(buf, hex);
                return 0;
        }
        return sha256_file(path, hex, NULL, ctx->diag) < 0 ? STEP_FAILED : 0;
}

/* The real path the member goes to: a symlink at the target is followed,
 * so Debian's /usr/bin/redis-server -> redis-check-rdb stays a link. Not for
 * files below a mapped directory: there the package says what is a link, and
 * detect journaled their targets. */
static int
target_path(struct step_ctx *ctx, size_t i, char **ret)
{
        char *t = NULL;
        const char *known = sfact(ctx, "swap.target", i, NULL);
        struct entry e;
        struct stat st;

        if (known) {
                *ret = xstrdup(known);
                return 0;
        }
        entry_get(ctx, i, &e);
        if (e.dir || e.map >= ctx->plan->swap.n_files) {
                diag_set(ctx->diag, _("the package was not staged: run detect again"));
                return STEP_FAILED;
        }
        if (step_expand(ctx, ctx->plan->swap.files[e.map].target, &t) < 0)
                return STEP_FAILED;
        if (lstat(t, &st) == 0 && S_ISLNK(st.st_mode)) {
                char *real = realpath(t, NULL);

                if (real == NULL) {
                        diag_set(ctx->diag, _("cannot resolve the link \"%s\": %s"), t, strerror(errno));
                        free(t);
                        return STEP_FAILED;
                }
                free(t);
                t = real;
        }
        *ret = t;
        return 0;
}

/* Make the missing directories above target, each journaled first
 * (swap.mkdir.K) so that undo can remove it again. */
static int
make_parents(struct step_ctx *ctx, const char *target)
{
        struct strv missing = {0};
        char *dir = path_dirname(target);
        size_t k = 0;
        int r = 0;

        while (!path_exists(dir) && strcmp(dir, "/") != 0 && strcmp(dir, ".") != 0) {
                char *up = path_dirname(dir);

                strv_push_take(&missing, dir);
                dir = up;
        }
        free(dir);
        while (sfact(ctx, "swap.mkdir", k, NULL) != NULL)
                k++;
        for (size_t j = missing.n; j > 0 && r == 0; j--, k++) {
                const char *d = missing.v[j - 1];

                if (sfact_set(ctx, "swap.mkdir", k, NULL, d) < 0) {
                        r = STEP_FAILED;
                } else if (mkdir(d, 0755) < 0 && errno != EEXIST) {
                        diag_set(ctx->diag, _("cannot create directory \"%s\": %s"), d,
                                 strerror(errno));
                        r = STEP_FAILED;
                } else if (fsync_dir_of(d, ctx->diag) < 0) {
                        r = STEP_FAILED;
                }
        }
        strv_release(&missing);
        return r;
}

/* Remove the directories make_parents() made, deepest first, when empty. */
static void
remove_made_dirs(struct step_ctx *ctx)
{
        size_t k = 0;

        while (sfact(ctx, "swap.mkdir", k, NULL) != NULL)
                k++;
        for (; k > 0; k--) {
                const char *d = sfact(ctx, "swap.mkdir", k - 1, NULL);

                if (rmdir(d) == 0)
                        step_say(ctx, OUT_INFO, _("removed directory %s"), d);
        }
}

static int
copy_staged(struct step_ctx *ctx, const char *from, const char *to, mode_t mode,
            const struct stat *old)
{
        char *buf = NULL;
        size_t len = 0;
        int fd, r;

        if (read_file(from, &buf, &len, ctx->diag) < 0)
                return STEP_FAILED;
        unlink(to);
        fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                diag_set(ctx->diag, _("cannot create \"%s\": %s"), to, strerror(errno));
                free(buf);
                return STEP_FAILED;
        }
        r = write_all(fd, buf, len);
        free(buf);
        if (r == 0 && old && fchown(fd, old->st_uid, old->st_gid) < 0 && geteuid() == 0)
                r = -errno;
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                diag_set(ctx->diag, _("cannot write \"%s\": %s"), to, strerror(-r));
                unlink(to);
                return STEP_FAILED;
        }
        return 0;
}

/* Make TARGET.upshift-new hold the new file (or link), checked by hash:
 * copied from the staging directory unless it is there already. *ret_target
 * is the real target path (new string). */
static int
prestage_one(struct step_ctx *ctx, size_t i, char **ret_target)
{
        const char *staging = vars_get(ctx->vars, "staging");
        char *target = NULL, *new = NULL, *staged = NULL;
        char now[SHA256_HEX_LEN + 1] = "";
        const char *want, *mode_s;
        struct entry e;
        struct stat st;
        int r = STEP_FAILED;

        want = sfact(ctx, "staged", i, "sha256");
        mode_s = sfact(ctx, "staged", i, "mode");
        if (want == NULL || mode_s == NULL) {
                diag_set(ctx->diag, _("the package was not staged: run detect again"));
                return STEP_FAILED;
        }
        entry_get(ctx, i, &e);
        if (target_path(ctx, i, &target) < 0)
                return STEP_FAILED;
        if (sfact(ctx, "swap.target", i, NULL) == NULL &&
            sfact_set(ctx, "swap.target", i, NULL, target) < 0)
                goto out;
        new = new_path(ctx, target);
        if (entry_hash(ctx, new, now) == 0 && strcmp(now, want) == 0) {
                r = STEP_OK;
                goto out;
        }
        diag_clear(ctx->diag);
        if (e.dir && make_parents(ctx, target) < 0)
                goto out;
        if (e.link) {
                if (unlink(new) < 0 && errno != ENOENT) {
                        diag_set(ctx->diag, _("cannot remove \"%s\": %s"), new, strerror(errno));
                        goto out;
                }
                if (symlink(e.link, new) < 0) {
                        diag_set(ctx->diag, _("cannot create the link \"%s\": %s"), new,
                                 strerror(errno));
                        goto out;
                }
        } else {
                staged = xasprintf("%s/%zu", staging, i);
                if (copy_staged(ctx, staged, new, (mode_t)strtoul(mode_s, NULL, 8),
                                stat(target, &st) == 0 ? &st : NULL) < 0)
                        goto out;
        }
        if (entry_hash(ctx, new, now) != 0)
                goto out;
        if (strcmp(now, want) != 0) {
                diag_set(ctx->diag, _("the staged copy of \"%s\" changed: SHA-256 is %s, expected %s"),
                         e.member, now, want);
                unlink(new);
                goto out;
        }
        if (fsync_dir_of(new, ctx->diag) < 0)
                goto out;
        r = STEP_OK;
out:
        if (r == STEP_OK)
                *ret_target = target;
        else
                free(target);
        free(new);
        free(staged);
        return r;
}

enum dir_news { DIRS_STAGED, DIRS_SWAPPED, DIRS_RESTORED };

/* Say how many files of each mapped directory something happened to. */
static void
say_dirs(struct step_ctx *ctx, const size_t *per_map, enum dir_news what)
{
        const struct plan *p = ctx->plan;

        for (size_t m = 0; m < p->swap.n_files; m++) {
                char *t = NULL;

                if (!p->swap.files[m].dir || per_map[m] == 0)
                        continue;
                if (step_expand(ctx, p->swap.files[m].target, &t) < 0) {
                        diag_clear(ctx->diag);
                        t = xstrdup(p->swap.files[m].target);
                }
                switch (what) {
                case DIRS_STAGED:
                        /* TRANSLATORS: a number of files, then a directory. */
                        step_say(ctx, OUT_INFO, _("%zu file(s) under %s are ready beside their targets"),
                                   per_map[m], t);
                        break;
                case DIRS_SWAPPED:
                        /* TRANSLATORS: a number of files, then a directory. */
                        step_say(ctx, OUT_INFO, _("%zu file(s) under %s put in place (old files kept as .upshift-old)"),
                                   per_map[m], t);
                        break;
                case DIRS_RESTORED:
                        /* TRANSLATORS: a number of files, then a directory. */
                        step_say(ctx, OUT_INFO, _("%zu file(s) under %s restored (new ones removed)"),
                                   per_map[m], t);
                        break;
                }
                free(t);
        }
}

int
swap_prestage(struct step_ctx *ctx)
{
        size_t n = entry_count(ctx);
        size_t *per_map = xcalloc(ctx->plan->swap.n_files + 1, sizeof *per_map);
        int r = STEP_OK;

        for (size_t i = 0; i < n && r == STEP_OK; i++) {
                char *target = NULL, *new;
                struct entry e;

                if (prestage_one(ctx, i, &target) < 0) {
                        r = STEP_FAILED;
                        break;
                }
                entry_get(ctx, i, &e);
                new = new_path(ctx, target);
                if (e.dir)
                        per_map[e.map]++;
                else
                        step_say(ctx, OUT_INFO, _("%s is ready beside its target"), new);
                free(new);
                free(target);
        }
        if (r == STEP_OK)
                say_dirs(ctx, per_map, DIRS_STAGED);
        free(per_map);
        return r;
}

/* Remove the TARGET.upshift-new files, and with dirs the directories made
 * for them. */
static void
unstage(struct step_ctx *ctx, bool dirs)
{
        size_t n = entry_count(ctx), gone = 0;

        for (size_t i = 0; i < n; i++) {
                const char *target = sfact(ctx, "swap.target", i, NULL);
                struct entry e;
                char *new;

                if (target == NULL)
                        continue;
                entry_get(ctx, i, &e);
                new = new_path(ctx, target);
                if (unlink(new) == 0) {
                        if (e.dir)
                                gone++;
                        else
                                step_say(ctx, OUT_INFO, _("removed %s"), new);
                }
                free(new);
        }
        if (gone > 0)
                step_say(ctx, OUT_INFO, _("removed %zu staged file(s) beside their targets"),
                           gone);
        if (dirs)
                remove_made_dirs(ctx);
}

int
swap_unstage(struct step_ctx *ctx)
{
        unstage(ctx, true);
        return STEP_OK;
}

static int
swap_one(struct step_ctx *ctx, size_t i, size_t *per_map)
{
        char *target = NULL, *old = NULL, *new = NULL;
        char now[SHA256_HEX_LEN + 1] = "";
        const char *want = sfact(ctx, "staged", i, "sha256");
        struct entry e;
        bool exists;
        int r = STEP_FAILED, h;

        entry_get(ctx, i, &e);
        if (target_path(ctx, i, &target) < 0)
                return STEP_FAILED;
        old = xasprintf("%s%s", target, OLD_SUFFIX);
        new = new_path(ctx, target);
        h = entry_hash(ctx, target, now);
        if (h < 0)
                goto out;
        exists = h == 0;
        if (want && exists && strcmp(now, want) == 0) {
                unlink(new);    /* staged in detect, not needed */
                if (!e.dir)
                        step_say(ctx, OUT_INFO, _("%s is already the new file"), target);
        } else {
                char *t2 = NULL;

                if (sfact(ctx, "swap.old", i, "sha256") == NULL &&
                    sfact_set(ctx, "swap.old", i, "sha256", exists ? now : "none") < 0)
                        goto out;
                if (exists && !path_exists(old)) {
                        /* linkat without AT_SYMLINK_FOLLOW: a symlink is kept as a link */
                        if (linkat(AT_FDCWD, target, AT_FDCWD, old, 0) < 0) {
                                diag_set(ctx->diag, _("cannot keep the old file as \"%s\": %s"),
                                         old, strerror(errno));
                                goto out;
                        }
                        if (fsync_dir_of(target, ctx->diag) < 0)
                                goto out;
                }
                /* Normally ready since detect; checked by hash all the same. */
                if (prestage_one(ctx, i, &t2) < 0)
                        goto out;
                free(t2);
                if (rename(new, target) < 0) {
                        diag_set(ctx->diag, _("cannot put \"%s\" in place: %s"), target, strerror(errno));
                        goto out;
                }
                if (fsync_dir_of(target, ctx->diag) < 0)
                        goto out;
                if (e.dir)
                        per_map[e.map]++;
                else if (exists)
                        step_say(ctx, OUT_INFO, _("%s replaced (old file kept as %s)"),
                                   target, old);
                else
                        step_say(ctx, OUT_INFO, _("%s put in place (a new file)"), target);
        }
        if (sfact_set(ctx, "swap.done", i, NULL, "yes") < 0)
                goto out;
        r = STEP_OK;
out:
        free(target);
        free(old);
        free(new);
        return r;
}

/* The nearest directory above path that exists (new string). */
static char *
existing_dir(const char *path)
{
        char *dir = path_dirname(path);

        while (!path_exists(dir) && strcmp(dir, "/") != 0 && strcmp(dir, ".") != 0) {
                char *up = path_dirname(dir);

                free(dir);
                dir = up;
        }
        return dir;
}

/* Preflight: the files can be replaced, and no earlier .upshift-old is in
 * the way. After the first hop's swap began, a later hop finds the
 * .upshift-old files that hop made: they are this upgrade's own. */
static int
swap_check(struct step_ctx *ctx)
{
        size_t n = entry_count(ctx);
        bool ours = step_hop(ctx) > 1 && step_fact(ctx, "swap.begun") != NULL;

        for (size_t i = 0; i < n; i++) {
                char *target = NULL, *dir, *old;
                int r = STEP_OK;

                if (target_path(ctx, i, &target) < 0)
                        return STEP_FAILED;
                dir = existing_dir(target);
                old = xasprintf("%s%s", target, OLD_SUFFIX);
                if (access(dir, W_OK) != 0) {
                        diag_set(ctx->diag, _("cannot replace \"%s\": directory \"%s\" is not writable (%s)"),
                                 target, dir, strerror(errno));
                        r = STEP_FAILED;
                } else if (!ours && path_exists(old) &&
                           sfact(ctx, "swap.old", i, "sha256") == NULL) {
                        diag_set(ctx->diag, _("\"%s\" is left from an earlier upgrade: move it away (or delete it once you no longer need to roll back), then run again"),
                                 old);
                        r = STEP_FAILED;
                }
                free(target);
                free(dir);
                free(old);
                if (r != STEP_OK) {
                        ctx->diag->code = EXIT_INHIBITED;
                        return r;
                }
        }
        return STEP_OK;
}

static int
swap_run(struct step_ctx *ctx)
{
        size_t n = entry_count(ctx);
        size_t *per_map;
        int r = STEP_OK;

        if (n > 0 && step_fact(ctx, "swap.begun") == NULL &&
            step_fact_set(ctx, "swap.begun", "yes", ctx->diag) < 0)
                return STEP_FAILED;
        per_map = xcalloc(ctx->plan->swap.n_files + 1, sizeof *per_map);
        for (size_t i = 0; i < n && r == STEP_OK; i++)
                if (swap_one(ctx, i, per_map) < 0)
                        r = STEP_FAILED;
        say_dirs(ctx, per_map, DIRS_SWAPPED);
        free(per_map);
        if (r != STEP_OK)
                return r;
        return step_run_cmdlist(ctx, &ctx->plan->swap.run);
}

/* After a crash inside swap: done when every target already holds the new
 * file (by hash). A vendor installer (run:) cannot be told: run again. */
static int
swap_probe(struct step_ctx *ctx)
{
        size_t n = entry_count(ctx);

        if (ctx->plan->swap.run.n > 0)
                return STEP_FAILED;
        for (size_t i = 0; i < n; i++) {
                const char *target = sfact(ctx, "swap.target", i, NULL);
                const char *want = sfact(ctx, "staged", i, "sha256");
                char now[SHA256_HEX_LEN + 1];

                if (target == NULL || want == NULL || entry_hash(ctx, target, now) != 0 ||
                    strcmp(now, want) != 0) {
                        diag_clear(ctx->diag);
                        return STEP_FAILED;
                }
        }
        /* Done: what detect staged for files that were new already is not needed. */
        unstage(ctx, false);
        return STEP_OK;
}

/* Undo: put the old files back, remove what was staged beside them and the
 * new files that had no old one. */
static int
swap_undo(struct step_ctx *ctx)
{
        size_t n = entry_count(ctx);
        size_t *per_map = xcalloc(ctx->plan->swap.n_files + 1, sizeof *per_map);
        int r = STEP_OK;

        unstage(ctx, false);
        for (size_t i = 0; i < n; i++) {
                const char *target = sfact(ctx, "swap.target", i, NULL);
                const char *was = sfact(ctx, "swap.old", i, "sha256");
                bool changed = false;
                struct entry e;
                char *old;

                if (target == NULL || was == NULL)
                        continue;
                entry_get(ctx, i, &e);
                old = xasprintf("%s%s", target, OLD_SUFFIX);
                if (strcmp(was, "none") == 0) {
                        if (unlink(target) == 0)
                                changed = true;
                        else if (errno != ENOENT) {
                                diag_set(ctx->diag, _("cannot remove \"%s\": %s"), target,
                                         strerror(errno));
                                r = STEP_FAILED;
                        }
                } else if (path_exists(old)) {
                        changed = true;
                        if (rename(old, target) < 0) {
                                diag_set(ctx->diag, _("cannot put the old file back at \"%s\": %s"),
                                         target, strerror(errno));
                                r = STEP_FAILED;
                        }
                }
                free(old);
                if (r == STEP_OK && changed && fsync_dir_of(target, ctx->diag) < 0)
                        r = STEP_FAILED;
                if (r != STEP_OK)
                        break;
                if (e.dir)
                        per_map[e.map]++;
                else
                        step_say(ctx, OUT_INFO, _("%s restored"), target);
        }
        if (r == STEP_OK) {
                say_dirs(ctx, per_map, DIRS_RESTORED);
                remove_made_dirs(ctx);
        }
        free(per_map);
        return r;
}

/* The plan's swap: section ------------------------------------------------ */

static const char *const swap_keys[] = {
        "package", "sha256", "files", "run", "allow_setid", "max_size", NULL,
};

static int
swap_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v, *files = popt(n, "files");
        int r;

        if ((r = psection_keys(c, n, swap_keys, "swap")) < 0)
                return r;
        if (files == NULL && popt(n, "run") == NULL)
                return perr(c, n, _("swap needs files: (what to take from the package) "
                                    "or run: (an installer), or both"));
        if ((v = popt(n, "package")) && (r = pstr(c, v, &p->swap.package)) < 0)
                return r;
        if ((v = popt(n, "sha256")) && (r = pstr(c, v, &p->swap.sha256)) < 0)
                return r;
        if (p->swap.sha256 && !strstr(p->swap.sha256, "${") &&
            (strlen(p->swap.sha256) != 64 ||
             strspn(p->swap.sha256, "0123456789abcdefABCDEF") != 64))
                return perr(c, v, _("expected 64 hexadecimal digits (a SHA-256)"));
        if ((v = popt(n, "run")) && (r = pcmdlist(c, v, &p->swap.run)) < 0)
                return r;
        if ((v = popt(n, "allow_setid")) && (r = pbool(c, v, &p->swap.allow_setid)) < 0)
                return r;
        if ((v = popt(n, "max_size"))) {
                if (v->kind != YNODE_SCALAR || size_parse(v->str, &p->swap.max_bytes) < 0)
                        return perr(c, v, _("expected a size such as 512M or 2G"));
        }
        if (files == NULL)
                return 0;
        if (files->kind != YNODE_MAP)
                return perr(c, files, _("expected a mapping of package members to "
                                        "target paths"));
        if (p->swap.package == NULL)
                return pmissing(c, n, "package", _("swap (files: come from a package)"));
        p->swap.files = xcalloc(files->n + 1, sizeof *p->swap.files);
        for (size_t i = 0; i < files->n; i++) {
                struct filemap *fm = &p->swap.files[i];
                const struct ynode *k = files->pairs[i].key;
                const char *m = k->str;

                p->swap.n_files = i + 1;
                if (*m == '\0' || *m == '/' || strcmp(m, "..") == 0 ||
                    str_startswith(m, "../") || strstr(m, "/../") || str_endswith(m, "/.."))
                        return perr(c, k, _("bad package member \"%s\" (expected a "
                                            "relative path without \"..\")"), m);
                fm->member = xstrdup(m);
                fm->pos = pnode_pos(k);
                if ((r = pstr(c, files->pairs[i].value, &fm->target)) < 0)
                        return r;
                fm->dir = str_endswith(m, "/");
                if (fm->dir && !str_endswith(fm->target, "/"))
                        /* TRANSLATORS: a package member ending in "/", then its target. */
                        return perr(c, files->pairs[i].value,
                                    _("\"%s\" is a directory of the package, so its target "
                                      "must be a directory too: end \"%s\" with \"/\""),
                                    m, fm->target);
                if (!fm->dir && str_endswith(fm->target, "/"))
                        return perr(c, files->pairs[i].value,
                                    _("the target \"%s\" ends in \"/\" but \"%s\" is one "
                                      "file: end the member with \"/\" to map a directory, "
                                      "or name the target file"), fm->target, m);
        }
        return 0;
}

/* A files: mapping of a directory: every file below it in the package,
 * when the package can be read now; else the mapping itself. */
static void
swap_describe_dir(struct step_describe *s, const struct filemap *fm, const char *t)
{
        struct strv members = {0}, rels = {0}, links = {0};
        char *pkg = describe_str(s, s->p->swap.package), *const one[] = { fm->member };

        if (strstr(pkg, "${") != NULL || access(pkg, R_OK) != 0 ||
            package_list(pkg, one, 1, &members, &rels, &links, NULL) < 0) {
                fprintf(s->out, _("      %s <- %s (every file and symlink below it; old files kept as .upshift-old)\n"),
                        t, fm->member);
        } else {
                for (size_t j = 0; j < members.n; j++) {
                        if (*links.v[j])
                                fprintf(s->out, _("      %s%s <- %s (a symlink to %s)\n"), t,
                                        rels.v[j], members.v[j], links.v[j]);
                        else
                                fprintf(s->out, _("      %s%s <- %s (old file kept as %s%s.upshift-old)\n"),
                                        t, rels.v[j], members.v[j], t, rels.v[j]);
                }
        }
        strv_release(&members);
        strv_release(&rels);
        strv_release(&links);
        free(pkg);
}

static void
swap_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        for (size_t i = 0; i < p->swap.n_files; i++) {
                char *t = describe_str(s, p->swap.files[i].target);

                if (p->swap.files[i].dir)
                        swap_describe_dir(s, &p->swap.files[i], t);
                else
                        fprintf(s->out, _("      %s <- %s (old file kept as %s.upshift-old)\n"), t,
                               p->swap.files[i].member, t);
                free(t);
        }
        describe_cmds(s, NULL, &p->swap.run);
}

const struct step_module step_swap = {
        .abi = STEP_ABI,
        .title = N_("Swap binaries"),
        .what = N_("Put the new package's files in place by atomic rename, keeping the old ones for undo."),
        .consequence = N_("The old binaries are replaced; they are kept as .upshift-old files."),
        .risk = RISK_REVERSIBLE,
        .plan = { .parse = swap_parse },
        .describe = swap_describe,
        .check = swap_check,
        .probe = swap_probe,
        .run = swap_run,
        .undo = swap_undo,
};
