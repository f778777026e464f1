/* staging.c: the package's files staged beside their targets (detect), the
 * records of each (staged.N.*, swap.*.N), and what swap shares with detect.
 * Detect's stamps of the files are in staging_stamp.c. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/sha256.h"
#include "lib/util.h"
#include "steps/staging.h"

#define NEW_SUFFIX ".upshift-new"

/* The codecs ---------------------------------------------------------------- */

const char *
staged_get(struct step_ctx *ctx, size_t i, const char *field)
{
        char key[96];

        step_hop_key(ctx, key, sizeof key, "staged.%zu.%s", i, field);
        return step_fact(ctx, key);
}

void
staged_set(struct step_ctx *ctx, size_t i, const char *field, const char *value)
{
        char key[96];

        step_hop_key(ctx, key, sizeof key, "staged.%zu.%s", i, field);
        step_fact_queue(ctx, key, value);
}

int
staged_save(struct step_ctx *ctx, size_t i, const struct staged_entry *e)
{
        char num[32];

        snprintf(num, sizeof num, "%o", (unsigned)(e->mode & 07777));
        staged_set(ctx, i, "sha256", e->sha256);
        staged_set(ctx, i, "mode", num);
        if (e->member == NULL)
                return 0;
        snprintf(num, sizeof num, "%zu", e->map);
        staged_set(ctx, i, "member", e->member);
        staged_set(ctx, i, "map", num);
        if (e->link)
                staged_set(ctx, i, "link", e->link);
        return 0;
}

int
staged_load(struct step_ctx *ctx, size_t i, struct staged_entry *ret)
{
        const struct plan *p = ctx->plan;
        const char *map = staged_get(ctx, i, "map");
        const char *mode = staged_get(ctx, i, "mode");
        struct staged_entry e = {
                .map = map ? (size_t)strtoul(map, NULL, 10) : i,
                .member = staged_get(ctx, i, "member"),
                .link = staged_get(ctx, i, "link"),
                .sha256 = staged_get(ctx, i, "sha256"),
                .mode = mode ? (mode_t)strtoul(mode, NULL, 8) : 0,
        };

        if (e.member == NULL)
                e.member = e.map < p->swap.n_files ? p->swap.files[e.map].member : "?";
        e.dir = e.map < p->swap.n_files && p->swap.files[e.map].dir;
        *ret = e;
        return e.sha256 != NULL && mode != NULL ? 0 : -ENOENT;
}

int
staged_count_save(struct step_ctx *ctx, size_t n)
{
        char key[96], num[32];

        step_hop_key(ctx, key, sizeof key, "%s", "staged.count");
        snprintf(num, sizeof num, "%zu", n);
        step_fact_queue(ctx, key, num);
        return 0;
}

size_t
staged_count(struct step_ctx *ctx)
{
        char key[96];
        const char *n;

        step_hop_key(ctx, key, sizeof key, "%s", "staged.count");
        n = step_fact(ctx, key);
        return n ? (size_t)strtoul(n, NULL, 10) : ctx->plan->swap.n_files;
}

static void
swap_rec_key(struct step_ctx *ctx, char *buf, size_t n, enum swap_rec r, size_t i)
{
        switch (r) {
        case SWAP_TARGET:
                step_hop_key(ctx, buf, n, "swap.target.%zu", i);
                break;
        case SWAP_OLD:
                step_hop_key(ctx, buf, n, "swap.old.%zu.sha256", i);
                break;
        case SWAP_DONE:
                step_hop_key(ctx, buf, n, "swap.done.%zu", i);
                break;
        case SWAP_MKDIR:
                step_hop_key(ctx, buf, n, "swap.mkdir.%zu", i);
                break;
        }
}

const char *
swap_rec(struct step_ctx *ctx, enum swap_rec r, size_t i)
{
        char key[96];

        swap_rec_key(ctx, key, sizeof key, r, i);
        return step_fact(ctx, key);
}

int
swap_rec_set(struct step_ctx *ctx, enum swap_rec r, size_t i, const char *value)
{
        char key[96];

        swap_rec_key(ctx, key, sizeof key, r, i);
        return step_fact_set(ctx, key, value, ctx->diag) < 0 ? STEP_FAILED : 0;
}

void
swap_rec_queue(struct step_ctx *ctx, enum swap_rec r, size_t i, const char *value)
{
        char key[96];

        swap_rec_key(ctx, key, sizeof key, r, i);
        step_fact_queue(ctx, key, value);
}

/* Paths and hashes ---------------------------------------------------------- */

char *
staging_new_path(struct step_ctx *ctx, const char *target)
{
        unsigned hop = step_hop(ctx);

        return hop > 1 ? xasprintf("%s%s.%u", target, NEW_SUFFIX, hop)
                       : xasprintf("%s%s", target, NEW_SUFFIX);
}

int
staging_hash(struct step_ctx *ctx, const char *path, char hex[SHA256_HEX_LEN + 1])
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

/* A symlink at the target is followed, so Debian's /usr/bin/redis-server ->
 * redis-check-rdb stays a link. Not for files below a mapped directory:
 * there the package says what is a link, and detect journaled their targets. */
int
staging_target(struct step_ctx *ctx, size_t i, char **ret)
{
        char *t = NULL;
        const char *known = swap_rec(ctx, SWAP_TARGET, i);
        struct staged_entry e;
        struct stat st;

        if (known) {
                *ret = xstrdup(known);
                return 0;
        }
        staged_load(ctx, i, &e);
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

/* Staging one file ---------------------------------------------------------- */

/* Make the missing directories above target, each journaled first
 * (swap.mkdir.K) so that undo can remove it again. */
static int
make_parents(struct step_ctx *ctx, const struct staged_entry *e, const char *target)
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
        while (swap_rec(ctx, SWAP_MKDIR, k) != NULL)
                k++;
        for (size_t j = missing.n; j > 0 && r == 0; j--, k++) {
                const char *d = missing.v[j - 1];

                if (swap_rec_set(ctx, SWAP_MKDIR, k, d) < 0) {
                        r = STEP_FAILED;
                } else if (staging_make_dir(ctx, e, d) < 0) {
                        r = STEP_FAILED;
                } else if (fsync_dir_of(d, ctx->diag) < 0) {
                        r = STEP_FAILED;
                }
        }
        strv_release(&missing);
        return r;
}

void
staging_remove_dirs(struct step_ctx *ctx)
{
        size_t k = 0;

        while (swap_rec(ctx, SWAP_MKDIR, k) != NULL)
                k++;
        for (; k > 0; k--) {
                const char *d = swap_rec(ctx, SWAP_MKDIR, k - 1);

                if (rmdir(d) == 0)
                        step_say(ctx, OUT_INFO, _("removed directory %s"), d);
        }
}

/* Copy the staged file from to name in dir (to, for messages): never
 * group- or world-writable, whatever mode says. */
static int
copy_staged(struct step_ctx *ctx, const char *from, int dir, const char *name, const char *to,
            mode_t mode, const struct stat *old, bool sync)
{
        char *buf = NULL;
        size_t len = 0;
        int fd, r;

        if (read_file(from, &buf, &len, ctx->diag) < 0)
                return STEP_FAILED;
        unlinkat(dir, name, 0);
        fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                diag_set(ctx->diag, _("cannot create \"%s\": %s"), to, strerror(errno));
                free(buf);
                return STEP_FAILED;
        }
        r = write_all(fd, buf, len);
        free(buf);
        if (r == 0 && old && fchown(fd, old->st_uid, old->st_gid) < 0 && geteuid() == 0)
                r = -errno;
        if (r == 0 && fchmod(fd, mode & 07755) < 0)
                r = -errno;
        if (r == 0 && sync && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                diag_set(ctx->diag, _("cannot write \"%s\": %s"), to, strerror(-r));
                unlinkat(dir, name, 0);
                return STEP_FAILED;
        }
        return 0;
}

/* Write TARGET.upshift-new of entry i (e): the link, or a copy of
 * ${staging}/i; not read back. With sync, the copy is synced. Written in
 * the target's directory opened beneath its mapped directory. */
static int
stage_write(struct step_ctx *ctx, size_t i, const struct staged_entry *e, const char *target,
            const char *new, bool sync)
{
        const char *staging = vars_get(ctx->vars, "staging"), *tname;
        struct stat st;
        char *staged;
        int dir, r = 0;

        if (e->dir && make_parents(ctx, e, target) < 0)
                return STEP_FAILED;
        if ((dir = staging_open_dir(ctx, e, target, &tname, NULL)) < 0)
                return STEP_FAILED;
        if (e->link) {
                if (unlinkat(dir, staging_path_last(new), 0) < 0 && errno != ENOENT) {
                        diag_set(ctx->diag, _("cannot remove \"%s\": %s"), new, strerror(errno));
                        r = STEP_FAILED;
                } else if (symlinkat(e->link, dir, staging_path_last(new)) < 0) {
                        diag_set(ctx->diag, _("cannot create the link \"%s\": %s"), new,
                                 strerror(errno));
                        r = STEP_FAILED;
                }
                close(dir);
                return r;
        }
        staged = xasprintf("%s/%zu", staging, i);
        r = copy_staged(ctx, staged, dir, staging_path_last(new), new, e->mode,
                        fstatat(dir, tname, &st, 0) == 0 ? &st : NULL, sync);
        free(staged);
        close(dir);
        return r;
}

int
staging_prestage_one(struct step_ctx *ctx, size_t i, char **ret_target, bool sync)
{
        char *target = NULL, *new = NULL;
        char now[SHA256_HEX_LEN + 1] = "";
        struct staged_entry e;
        int r = STEP_FAILED;

        if (staged_load(ctx, i, &e) < 0) {
                diag_set(ctx->diag, _("the package was not staged: run detect again"));
                return STEP_FAILED;
        }
        if (staging_target(ctx, i, &target) < 0)
                return STEP_FAILED;
        if (swap_rec(ctx, SWAP_TARGET, i) == NULL &&
            swap_rec_set(ctx, SWAP_TARGET, i, target) < 0)
                goto out;
        new = staging_new_path(ctx, target);
        if (staging_hash_stamped(ctx, i, STAGED_NEW, new, now) == 0 &&
            strcmp(now, e.sha256) == 0) {
                r = STEP_OK;
                goto out;
        }
        diag_clear(ctx->diag);
        if (stage_write(ctx, i, &e, target, new, sync) < 0 ||
            staging_check_new(ctx, &e, new, NULL) < 0 ||
            (sync && fsync_dir_of(new, ctx->diag) < 0))
                goto out;
        r = STEP_OK;
out:
        if (r == STEP_OK)
                *ret_target = target;
        else
                free(target);
        free(new);
        return r;
}

/* Every file ---------------------------------------------------------------- */

void
staging_say_dirs(struct step_ctx *ctx, const size_t *per_map, enum staging_news what)
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
                case STAGING_STAGED:
                        /* TRANSLATORS: a number of files, then a directory. */
                        step_say(ctx, OUT_INFO, _("%zu file(s) under %s are ready beside their targets"),
                                   per_map[m], t);
                        break;
                case STAGING_SWAPPED:
                        /* TRANSLATORS: a number of files, then a directory. */
                        step_say(ctx, OUT_INFO, _("%zu file(s) under %s put in place (old files kept as .upshift-old)"),
                                   per_map[m], t);
                        break;
                case STAGING_RESTORED:
                        /* TRANSLATORS: a number of files, then a directory. */
                        step_say(ctx, OUT_INFO, _("%zu file(s) under %s restored (new ones removed)"),
                                   per_map[m], t);
                        break;
                }
                free(t);
        }
}

/* Journal where each staged file goes (swap.target.N), in one batch, before
 * anything is written beside the targets. */
static int
journal_targets(struct step_ctx *ctx, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char *target = NULL;

                if (swap_rec(ctx, SWAP_TARGET, i) != NULL)
                        continue;
                if (staging_target(ctx, i, &target) < 0)
                        return STEP_FAILED;
                swap_rec_queue(ctx, SWAP_TARGET, i, target);
                free(target);
        }
        return step_facts_commit(ctx, ctx->diag) < 0 ? STEP_FAILED : 0;
}

int
staging_sync(struct step_ctx *ctx, const struct strv *paths)
{
        dev_t done[16];
        size_t n_done = 0;

        for (size_t i = 0; i < paths->n; i++) {
                struct stat st;
                bool seen = false;
                int fd;

                if (lstat(paths->v[i], &st) < 0)
                        continue;
                for (size_t j = 0; j < n_done && !seen; j++)
                        seen = done[j] == st.st_dev;
                if (seen)
                        continue;
                fd = open(paths->v[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0)
                        fd = open(".", O_RDONLY | O_CLOEXEC);
                if (fd < 0 || syncfs(fd) < 0) {
                        diag_set(ctx->diag, _("cannot sync the filesystem of \"%s\": %s"),
                                 paths->v[i], strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        return STEP_FAILED;
                }
                close(fd);
                if (n_done < sizeof done / sizeof *done)
                        done[n_done++] = st.st_dev;
        }
        return 0;
}

int
staging_prestage(struct step_ctx *ctx)
{
        size_t n = staged_count(ctx);
        size_t *per_map = xcalloc(ctx->plan->swap.n_files + 1, sizeof *per_map);
        bool *same = xcalloc(n + 1, sizeof *same);
        struct strv targets = {0}, news = {0};
        int64_t written_ns;
        int r = journal_targets(ctx, n);

        for (size_t i = 0; i < n && r == STEP_OK; i++) {
                char *target = NULL;
                struct staged_entry e;

                if (staged_load(ctx, i, &e) < 0) {
                        diag_set(ctx->diag, _("the package was not staged: run detect again"));
                        r = STEP_FAILED;
                } else if (staging_target(ctx, i, &target) < 0) {
                        r = STEP_FAILED;
                } else {
                        strv_push_take(&news, staging_new_path(ctx, target));
                        strv_push_take(&targets, target);
                }
        }
        /* The old targets first: one that holds its new file already gets
         * no copy (nor one from an earlier detect) for the swap to remove. */
        if (r == STEP_OK)
                staging_stamp_olds(ctx, &targets, same);
        for (size_t i = 0; i < n && r == STEP_OK; i++) {
                struct staged_entry e;

                staged_load(ctx, i, &e);
                if (same[i])
                        unlink(news.v[i]);
                else
                        r = stage_write(ctx, i, &e, targets.v[i], news.v[i], false);
        }
        written_ns = stamp_clock_ns();
        /* One sync per filesystem for every file written and its directory
         * entry, instead of an fsync of each file and of its directory. */
        if (r == STEP_OK && staging_sync(ctx, &news) < 0)
                r = STEP_FAILED;
        if (r == STEP_OK)
                staging_settle(ctx, &news, written_ns);
        for (size_t i = 0; i < n && r == STEP_OK; i++) {
                struct staged_entry e;
                struct stamp s;

                staged_load(ctx, i, &e);
                if (same[i]) {
                        if (!e.dir)
                                step_say(ctx, OUT_INFO, _("%s is already the new file"),
                                         targets.v[i]);
                        continue;
                }
                if (staging_check_new(ctx, &e, news.v[i], &s) < 0) {
                        r = STEP_FAILED;
                        break;
                }
                staged_stamp_queue(ctx, i, STAGED_NEW, &s, NULL);
                if (e.dir)
                        per_map[e.map]++;
                else
                        step_say(ctx, OUT_INFO, _("%s is ready beside its target"), news.v[i]);
        }
        /* The stamps, one batch: they describe files that exist. */
        if (r == STEP_OK && step_facts_commit(ctx, ctx->diag) < 0)
                r = STEP_FAILED;
        if (r == STEP_OK)
                staging_say_dirs(ctx, per_map, STAGING_STAGED);
        strv_release(&targets);
        strv_release(&news);
        free(same);
        free(per_map);
        return r;
}

void
staging_unstage(struct step_ctx *ctx, bool dirs)
{
        size_t n = staged_count(ctx), gone = 0;

        for (size_t i = 0; i < n; i++) {
                const char *target = swap_rec(ctx, SWAP_TARGET, i), *name;
                struct staged_entry e;
                bool missing;
                char *new;
                int fd;

                if (target == NULL)
                        continue;
                staged_load(ctx, i, &e);
                new = staging_new_path(ctx, target);
                /* never through a link planted below a mapped directory */
                fd = staging_open_dir(ctx, &e, new, &name, &missing);
                if (fd >= 0 && unlinkat(fd, name, 0) == 0) {
                        if (e.dir)
                                gone++;
                        else
                                step_say(ctx, OUT_INFO, _("removed %s"), new);
                }
                if (fd >= 0)
                        close(fd);
                else if (!missing)
                        diag_clear(ctx->diag);
                free(new);
        }
        if (gone > 0)
                step_say(ctx, OUT_INFO, _("removed %zu staged file(s) beside their targets"),
                           gone);
        if (dirs)
                staging_remove_dirs(ctx);
}
