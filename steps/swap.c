/* swap: put the staged package files in place by atomic rename, keeping each
 * old file as <target>.upshift-old for undo.
 *
 * detect has already written each new file beside its target as
 * target.upshift-new (staging_prestage), so the downtime is renames. Order for
 * each file, so that a crash anywhere leaves a state that a second run (or
 * undo) understands:
 *   1. journal swap.old.N.sha256 (the hash of the file in place now)
 *   2. hard-link target -> target.upshift-old (the target never disappears)
 *   3. check target.upshift-new by hash (copy it again from staging if needed)
 *   4. rename target.upshift-new -> target, fsync the directory
 *   5. journal swap.done.N
 * A file whose hash already equals the new one is never saved as "old".
 * The hashes in 1 and 3 are detect's, without reading the file, when detect
 * stamped it (staged.N.old, staged.N.new_stamp) and one lstat finds it as
 * stamped (staging_hash_stamped, lib/stamp.h); a file changed since, or
 * one written less than two seconds before detect stamped it, is read.
 *
 * The entries and the records of each (staged.N.*, swap.*.N) are in
 * steps/staging.h, which also stages the files and removes them again.
 *
 * In a path of several hops, each hop's facts carry the hop's key prefix
 * (step_hop_key) and its new files are TARGET.upshift-new.HOP; the
 * .upshift-old of a target is made once, by the first hop that replaces it,
 * so it always holds the file from before the upgrade. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fault.h"
#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/hot.h"
#include "steps/staging.h"
#include "steps/swap_plan.h"
#include "steps/step.h"

#define OLD_SUFFIX ".upshift-old"

/* One file of the swap, as the first pass found it. */
struct swap_item {
        char  *target, *old, *new;
        bool   swap;                    /* to link and rename (not new already) */
        bool   exists;                  /* the target exists: keep it as .upshift-old */
        bool   dir;                     /* below a mapped directory */
        size_t map;
};

static void
swap_items_free(struct swap_item *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].target);
                free(v[i].old);
                free(v[i].new);
        }
        free(v);
}

/* The directory the last file of a pass was in: the files of one come one
 * after another, and a pass looks at (or opens) it once for all of them. */
struct swap_dircache {
        size_t  map;
        char   *dir;                    /* the target up to its last '/' */
        int     fd;                     /* opened beneath the mapping, or -1 */
        bool    touched;                /* a path in it is in the pass's list */
};

#define SWAP_DIRCACHE_INIT { .fd = -1 }

static void
swap_dircache_release(struct swap_dircache *c)
{
        free(c->dir);
        if (c->fd >= 0)
                close(c->fd);
        *c = (struct swap_dircache)SWAP_DIRCACHE_INIT;
}

/* Is target in c's directory, of the same mapping? */
static bool
swap_dircache_hit(const struct swap_dircache *c, size_t map, const char *target)
{
        size_t n = (size_t)(staging_path_last(target) - target);

        return c->dir != NULL && c->map == map && strlen(c->dir) == n &&
               strncmp(c->dir, target, n) == 0;
}

static void
swap_dircache_set(struct swap_dircache *c, size_t map, const char *target, int fd)
{
        swap_dircache_release(c);
        c->map = map;
        c->dir = xstrndup(target, (size_t)(staging_path_last(target) - target));
        c->fd = fd;
}

/* What the pass changed, for staging_sync (which syncs each filesystem
 * once): the first path changed in c's directory, not every one (the
 * names a pass makes there are all in that directory's filesystem). */
static void
swap_dircache_touched(struct swap_dircache *c, const char *path, struct strv *touched)
{
        if (!c->touched)
                strv_push(touched, path);
        c->touched = true;
}

/* A file below a mapped directory is never written through a symlink,
 * even one planted below the target since detect looked
 * (package_target_check, which looks at the directories only: once per
 * directory, c). */
static int
swap_beneath(struct step_ctx *ctx, const struct staged_entry *e, const char *target,
             struct swap_dircache *c)
{
        char *root = NULL;
        size_t n;
        int r = 0;

        if (swap_dircache_hit(c, e->map, target))
                return 0;
        if (step_expand(ctx, ctx->plan->swap.files[e->map].target, &root) < 0)
                return STEP_FAILED;
        n = strlen(root);
        if (strncmp(target, root, n) == 0 && package_target_check(root, target + n, ctx->diag) < 0)
                r = STEP_FAILED;
        free(root);
        if (r == 0)
                swap_dircache_set(c, e->map, target, -1);
        return r;
}

/* First pass, one file: where it goes and whether it is new already; the
 * old file's hash is queued (swap.old.N.sha256), journaled with the others
 * before any file is touched. */
static int
swap_look(struct step_ctx *ctx, size_t i, struct swap_item *it, struct swap_dircache *c)
{
        char now[SHA256_HEX_LEN + 1] = "";
        struct staged_entry e;
        int h;

        staged_load(ctx, i, &e);
        it->dir = e.dir;
        it->map = e.map;
        if (staging_target(ctx, i, &it->target) < 0 ||
            (e.dir && e.map < ctx->plan->swap.n_files && swap_beneath(ctx, &e, it->target, c) < 0))
                return STEP_FAILED;
        it->old = xasprintf("%s%s", it->target, OLD_SUFFIX);
        it->new = staging_new_path(ctx, it->target);
        h = staging_hash_stamped(ctx, i, STAGED_OLD, it->target, now);
        if (h < 0)
                return STEP_FAILED;
        it->exists = h == 0;
        if (e.sha256 && it->exists && strcmp(now, e.sha256) == 0) {
                unlink(it->new);        /* staged in detect, not needed */
                if (!e.dir)
                        step_say(ctx, OUT_INFO, _("%s is already the new file"), it->target);
                return 0;
        }
        it->swap = true;
        if (swap_rec(ctx, SWAP_OLD, i) == NULL)
                swap_rec_queue(ctx, SWAP_OLD, i, it->exists ? now : "none");
        return 0;
}

/* The directory of item i's files, beneath its mapped directory
 * (staging_open_dir), kept open in c for the next file in it (c owns it:
 * do not close it); the target's last component in *ret_name. */
static int
swap_dir(struct step_ctx *ctx, size_t i, const struct swap_item *it, const char **ret_name,
         struct swap_dircache *c)
{
        struct staged_entry e;
        int fd;

        if (c->fd >= 0 && swap_dircache_hit(c, it->map, it->target)) {
                *ret_name = staging_path_last(it->target);
                return c->fd;
        }
        staged_load(ctx, i, &e);
        fd = staging_open_dir(ctx, &e, it->target, ret_name, NULL);
        if (fd >= 0)
                swap_dircache_set(c, it->map, it->target, fd);
        return fd;
}

/* Second pass: keep each old file as TARGET.upshift-old (a hard link; a
 * symlink stays a link). */
static int
swap_link_olds(struct step_ctx *ctx, struct swap_item *v, size_t n, struct strv *touched)
{
        struct swap_dircache c = SWAP_DIRCACHE_INIT;
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                const char *name;
                int fd;

                if (!v[i].swap || !v[i].exists)
                        continue;
                if ((fd = swap_dir(ctx, i, &v[i], &name, &c)) < 0) {
                        r = STEP_FAILED;
                        break;
                }
                if (linkat(fd, name, fd, staging_path_last(v[i].old), 0) < 0) {
                        if (errno == EEXIST)
                                continue;       /* kept by a run before this one */
                        diag_set(ctx->diag, _("cannot keep the old file as \"%s\": %s"),
                                 v[i].old, strerror(errno));
                        r = STEP_FAILED;
                        break;
                }
                fault_fs_op();
                swap_dircache_touched(&c, v[i].old, touched);
        }
        swap_dircache_release(&c);
        return r;
}

/* Third pass: each new file (checked by hash, staged again if it went) by
 * rename over its target. */
static int
swap_renames(struct step_ctx *ctx, struct swap_item *v, size_t n, size_t *per_map,
             struct strv *touched)
{
        struct swap_dircache c = SWAP_DIRCACHE_INIT;
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++) {
                const char *name;
                char *t2 = NULL;
                int fd;

                if (!v[i].swap)
                        continue;
                /* Normally ready since detect; checked by hash all the same. */
                if (staging_prestage_one(ctx, i, &t2, true) < 0) {
                        r = STEP_FAILED;
                        break;
                }
                free(t2);
                if ((fd = swap_dir(ctx, i, &v[i], &name, &c)) < 0) {
                        r = STEP_FAILED;
                        break;
                }
                if (renameat(fd, staging_path_last(v[i].new), fd, name) < 0) {
                        diag_set(ctx->diag, _("cannot put \"%s\" in place: %s"), v[i].target,
                                 strerror(errno));
                        r = STEP_FAILED;
                        break;
                }
                fault_fs_op();
                swap_dircache_touched(&c, v[i].target, touched);
                if (v[i].dir)
                        per_map[v[i].map]++;
                else if (v[i].exists)
                        step_say(ctx, OUT_INFO, _("%s replaced (old file kept as %s)"),
                                 v[i].target, v[i].old);
                else
                        step_say(ctx, OUT_INFO, _("%s put in place (a new file)"), v[i].target);
        }
        swap_dircache_release(&c);
        return r;
}

/* The swap in group commits: every old file's hash journaled in one batch,
 * then every link, one sync; every rename, one sync; then every file's
 * swap.done.N in one batch. A crash between two of these is settled by the
 * probe (hashes) or undone by rollback, as a crash inside one file's swap. */
static int
swap_files(struct step_ctx *ctx, size_t n, size_t *per_map)
{
        struct swap_item *v = xcalloc(n ? n : 1, sizeof *v);
        struct swap_dircache c = SWAP_DIRCACHE_INIT;
        struct strv touched = {0};
        int r = STEP_FAILED;

        for (size_t i = 0; i < n; i++)
                if (swap_look(ctx, i, &v[i], &c) < 0)
                        goto out;
        if (step_facts_commit(ctx, ctx->diag) < 0 ||
            swap_link_olds(ctx, v, n, &touched) < 0 || staging_sync(ctx, &touched) < 0)
                goto out;
        strv_release(&touched);
        if (swap_renames(ctx, v, n, per_map, &touched) < 0 || staging_sync(ctx, &touched) < 0)
                goto out;
        for (size_t i = 0; i < n; i++)
                swap_rec_queue(ctx, SWAP_DONE, i, "yes");
        /* Nothing reads swap.done.N back: unless commands or a reload come
         * next, they go out with the step's end, in its write and sync. */
        if ((ctx->plan->swap.run.n > 0 || ctx->plan->swap.hot) &&
            step_facts_commit(ctx, ctx->diag) < 0)
                goto out;
        r = STEP_OK;
out:
        swap_dircache_release(&c);
        strv_release(&touched);
        swap_items_free(v, n);
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
        size_t n = staged_count(ctx);
        bool ours = step_hop(ctx) > 1 && step_fact(ctx, FACT_SWAP_BEGUN) != NULL;

        for (size_t i = 0; i < n; i++) {
                char *target = NULL, *dir, *old;
                int r = STEP_OK;

                if (staging_target(ctx, i, &target) < 0)
                        return STEP_FAILED;
                dir = existing_dir(target);
                old = xasprintf("%s%s", target, OLD_SUFFIX);
                if (access(dir, W_OK) != 0) {
                        diag_set(ctx->diag, _("cannot replace \"%s\": directory \"%s\" is not writable (%s)"),
                                 target, dir, strerror(errno));
                        r = STEP_FAILED;
                } else if (!ours && path_exists(old) &&
                           swap_rec(ctx, SWAP_OLD, i) == NULL) {
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
        size_t n = staged_count(ctx);
        size_t *per_map;
        int r = STEP_OK;

        if (n > 0 && step_fact(ctx, FACT_SWAP_BEGUN) == NULL &&
            step_fact_set(ctx, FACT_SWAP_BEGUN, "yes", ctx->diag) < 0)
                return STEP_FAILED;
        per_map = xcalloc(ctx->plan->swap.n_files + 1, sizeof *per_map);
        r = swap_files(ctx, n, per_map);
        staging_say_dirs(ctx, per_map, STAGING_SWAPPED);
        free(per_map);
        if (r != STEP_OK)
                return r;
        if (step_run_cmdlist(ctx, &ctx->plan->swap.run) < 0)
                return STEP_FAILED;
        return hot_reload(ctx, SERVING_NEW);
}

/* After a crash inside swap: done when every target already holds the new
 * file (by hash). A vendor installer (run:) cannot be told: run again. */
static int
swap_probe(struct step_ctx *ctx)
{
        size_t n = staged_count(ctx);

        if (ctx->plan->swap.run.n > 0)
                return STEP_FAILED;
        for (size_t i = 0; i < n; i++) {
                const char *target = swap_rec(ctx, SWAP_TARGET, i);
                char now[SHA256_HEX_LEN + 1];
                struct staged_entry e;

                staged_load(ctx, i, &e);
                if (target == NULL || e.sha256 == NULL || staging_hash(ctx, target, now) != 0 ||
                    strcmp(now, e.sha256) != 0) {
                        diag_clear(ctx->diag);
                        return STEP_FAILED;
                }
        }
        /* Done: what detect staged for files that were new already is not needed. */
        staging_unstage(ctx, false);
        return hot_reload(ctx, SERVING_NEW);
}

/* True when a and b, in dir fd, are two names of one inode (links are not
 * followed). */
static bool
same_file(int fd, const char *a, const char *b)
{
        struct stat sa, sb;

        return fstatat(fd, a, &sa, AT_SYMLINK_NOFOLLOW) == 0 &&
               fstatat(fd, b, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
}

/* Before undo touches a file: every directory it would write in is opened
 * beneath its mapped directory (staging_open_dir), as the swap did, so that
 * a link planted since is refused before anything changes. */
static int
undo_beneath(struct step_ctx *ctx, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *target = swap_rec(ctx, SWAP_TARGET, i), *name;
                struct staged_entry e;
                bool missing;
                int fd;

                staged_load(ctx, i, &e);
                if (target == NULL || !e.dir)
                        continue;
                fd = staging_open_dir(ctx, &e, target, &name, &missing);
                if (fd < 0 && !missing)
                        return STEP_FAILED;
                if (fd >= 0)
                        close(fd);
        }
        return STEP_OK;
}

/* Undo entry i in dir fd (name: the target's last component): *ret_changed
 * when a name changed. */
static int
undo_one(struct step_ctx *ctx, int fd, const char *target, const char *name, const char *was,
         bool *ret_changed)
{
        char *old = xasprintf("%s%s", name, OLD_SUFFIX);
        struct stat st;
        int r = STEP_OK;

        if (strcmp(was, "none") == 0) {
                if (unlinkat(fd, name, 0) == 0)
                        *ret_changed = true;
                else if (errno != ENOENT) {
                        diag_set(ctx->diag, _("cannot remove \"%s\": %s"), target, strerror(errno));
                        r = STEP_FAILED;
                }
        } else if (same_file(fd, old, name)) {
                /* Killed between the link and the rename: the target is
                 * still the old file, under both names. rename() of one
                 * name onto the other would do nothing. */
                *ret_changed = true;
                if (unlinkat(fd, old, 0) < 0) {
                        diag_set(ctx->diag, _("cannot remove \"%s%s\": %s"), target, OLD_SUFFIX,
                                 strerror(errno));
                        r = STEP_FAILED;
                }
        } else if (fstatat(fd, old, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                *ret_changed = true;
                if (renameat(fd, old, fd, name) < 0) {
                        diag_set(ctx->diag, _("cannot put the old file back at \"%s\": %s"),
                                 target, strerror(errno));
                        r = STEP_FAILED;
                }
        }
        free(old);
        return r;
}

/* Undo: put the old files back, remove what was staged beside them and the
 * new files that had no old one; nothing through a link planted below a
 * mapped directory (undo_beneath). */
static int
swap_undo(struct step_ctx *ctx)
{
        size_t n = staged_count(ctx);
        size_t *per_map;
        int r = undo_beneath(ctx, n);

        if (r != STEP_OK)
                return r;
        per_map = xcalloc(ctx->plan->swap.n_files + 1, sizeof *per_map);
        staging_unstage(ctx, false);
        for (size_t i = 0; i < n && r == STEP_OK; i++) {
                const char *target = swap_rec(ctx, SWAP_TARGET, i);
                const char *was = swap_rec(ctx, SWAP_OLD, i), *name;
                bool changed = false, missing;
                struct staged_entry e;
                int fd;

                if (target == NULL || was == NULL)
                        continue;
                staged_load(ctx, i, &e);
                fd = staging_open_dir(ctx, &e, target, &name, &missing);
                if (fd < 0 && missing)
                        continue;       /* nothing there to put back */
                if (fd < 0)
                        r = STEP_FAILED;
                else
                        r = undo_one(ctx, fd, target, name, was, &changed);
                if (fd >= 0)
                        close(fd);
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
                staging_say_dirs(ctx, per_map, STAGING_RESTORED);
                staging_remove_dirs(ctx);
        }
        free(per_map);
        return r == STEP_OK ? hot_reload(ctx, SERVING_OLD) : r;
}

/* A files: mapping of a directory: every file below it in the package,
 * when the package can be read now; else the mapping itself. */
static void
swap_describe_dir(struct step_describe *s, const struct filemap *fm, const char *t)
{
        struct strv members = {0}, rels = {0}, links = {0};
        char *pkg = describe_str(s, s->p->swap.pkgs[fm->pkg].package), *const one[] = { fm->member };

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
        hot_describe(s);
}

const struct step_module step_swap = {
        .abi = STEP_ABI,
        .title = N_("Swap binaries"),
        .what = N_("Put the new package's files in place by atomic rename, keeping the old ones for undo."),
        .consequence = N_("The old binaries are replaced; they are kept as .upshift-old files."),
        .risk = RISK_REVERSIBLE,
        .per_hop = true,
        .undo_each_hop = true,
        .plan = { .parse = swap_parse },
        .describe = swap_describe,
        .check = swap_check,
        .probe = swap_probe,
        .run = swap_run,
        .undo = swap_undo,
};
