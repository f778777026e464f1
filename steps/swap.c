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
 * A file whose hash already equals the new one is never saved as "old". */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "sha256.h"
#include "step.h"
#include "util.h"

#define OLD_SUFFIX ".upshift-old"
#define NEW_SUFFIX ".upshift-new"

/* The real path the member goes to: a symlink at the target is followed,
 * so Debian's /usr/bin/redis-server -> redis-check-rdb stays a link. */
static int
target_path(struct step_ctx *ctx, size_t i, char **ret)
{
        char *t = NULL, key[48];
        const char *known;
        struct stat st;

        snprintf(key, sizeof key, "swap.target.%zu", i);
        known = engine_fact(ctx->eng, key);
        if (known) {
                *ret = xstrdup(known);
                return 0;
        }
        if (step_expand(ctx, ctx->plan->swap.files[i].target, &t) < 0)
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

/* Make TARGET.upshift-new hold the new file, checked by hash: copied from
 * the staging directory unless it is there already. *ret_target is the
 * real target path (new string). */
static int
prestage_one(struct step_ctx *ctx, size_t i, char **ret_target)
{
        const char *staging = vars_get(ctx->vars, "staging");
        char key[48], *target = NULL, *new = NULL, *staged = NULL;
        char now[SHA256_HEX_LEN + 1] = "";
        const char *want, *mode_s;
        struct stat st;
        int r = STEP_FAILED;

        snprintf(key, sizeof key, "staged.%zu.sha256", i);
        want = engine_fact(ctx->eng, key);
        snprintf(key, sizeof key, "staged.%zu.mode", i);
        mode_s = engine_fact(ctx->eng, key);
        if (want == NULL || mode_s == NULL) {
                diag_set(ctx->diag, _("the package was not staged: run detect again"));
                return STEP_FAILED;
        }
        if (target_path(ctx, i, &target) < 0)
                return STEP_FAILED;
        snprintf(key, sizeof key, "swap.target.%zu", i);
        if (engine_fact(ctx->eng, key) == NULL &&
            engine_fact_set(ctx->eng, key, target, ctx->diag) < 0)
                goto out;
        new = xasprintf("%s%s", target, NEW_SUFFIX);
        if (path_exists(new) && sha256_file(new, now, NULL, NULL) == 0 && strcmp(now, want) == 0) {
                r = STEP_OK;
                goto out;
        }
        staged = xasprintf("%s/%zu", staging, i);
        if (copy_staged(ctx, staged, new, (mode_t)strtoul(mode_s, NULL, 8),
                        stat(target, &st) == 0 ? &st : NULL) < 0)
                goto out;
        if (sha256_file(new, now, NULL, ctx->diag) < 0)
                goto out;
        if (strcmp(now, want) != 0) {
                diag_set(ctx->diag, _("the staged copy of \"%s\" changed: SHA-256 is %s, expected %s"),
                         ctx->plan->swap.files[i].member, now, want);
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

int
swap_prestage(struct step_ctx *ctx)
{
        for (size_t i = 0; i < ctx->plan->swap.n_files; i++) {
                char *target = NULL;

                if (prestage_one(ctx, i, &target) < 0)
                        return STEP_FAILED;
                engine_say(ctx->eng, OUT_INFO, _("%s%s is ready beside its target"), target, NEW_SUFFIX);
                free(target);
        }
        return STEP_OK;
}

int
swap_unstage(struct step_ctx *ctx)
{
        for (size_t i = 0; i < ctx->plan->swap.n_files; i++) {
                char key[48], *new;
                const char *target;

                snprintf(key, sizeof key, "swap.target.%zu", i);
                target = engine_fact(ctx->eng, key);
                if (target == NULL)
                        continue;
                new = xasprintf("%s%s", target, NEW_SUFFIX);
                if (unlink(new) == 0)
                        engine_say(ctx->eng, OUT_INFO, _("removed %s"), new);
                free(new);
        }
        return STEP_OK;
}

static int
swap_one(struct step_ctx *ctx, size_t i)
{
        char key[48], *target = NULL, *old = NULL, *new = NULL;
        char now[SHA256_HEX_LEN + 1] = "";
        const char *want;
        bool exists;
        int r = STEP_FAILED;

        snprintf(key, sizeof key, "staged.%zu.sha256", i);
        want = engine_fact(ctx->eng, key);
        if (target_path(ctx, i, &target) < 0)
                return STEP_FAILED;
        old = xasprintf("%s%s", target, OLD_SUFFIX);
        new = xasprintf("%s%s", target, NEW_SUFFIX);
        exists = path_exists(target);
        if (exists && sha256_file(target, now, NULL, ctx->diag) < 0)
                goto out;
        if (want && exists && strcmp(now, want) == 0) {
                engine_say(ctx->eng, OUT_INFO, _("%s is already the new file"), target);
        } else {
                char *t2 = NULL;

                snprintf(key, sizeof key, "swap.old.%zu.sha256", i);
                if (engine_fact(ctx->eng, key) == NULL) {
                        if (engine_fact_set(ctx->eng, key, exists ? now : "none", ctx->diag) < 0)
                                goto out;
                }
                if (exists && !path_exists(old)) {
                        if (link(target, old) < 0) {
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
                engine_say(ctx->eng, OUT_INFO, _("%s replaced (old file kept as %s)"), target, old);
        }
        snprintf(key, sizeof key, "swap.done.%zu", i);
        if (engine_fact_set(ctx->eng, key, "yes", ctx->diag) < 0)
                goto out;
        r = STEP_OK;
out:
        free(target);
        free(old);
        free(new);
        return r;
}

/* Preflight: the files can be replaced, and no earlier .upshift-old is in the way. */
static int
swap_check(struct step_ctx *ctx)
{
        for (size_t i = 0; i < ctx->plan->swap.n_files; i++) {
                char *target = NULL, *dir, *old, key[48];
                int r = STEP_OK;

                if (target_path(ctx, i, &target) < 0)
                        return STEP_FAILED;
                dir = path_dirname(target);
                old = xasprintf("%s%s", target, OLD_SUFFIX);
                snprintf(key, sizeof key, "swap.old.%zu.sha256", i);
                if (access(dir, W_OK) != 0) {
                        diag_set(ctx->diag, _("cannot replace \"%s\": directory \"%s\" is not writable (%s)"),
                                 target, dir, strerror(errno));
                        r = STEP_FAILED;
                } else if (path_exists(old) && engine_fact(ctx->eng, key) == NULL) {
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
        for (size_t i = 0; i < ctx->plan->swap.n_files; i++)
                if (swap_one(ctx, i) < 0)
                        return STEP_FAILED;
        return step_run_cmdlist(ctx, &ctx->plan->swap.run);
}

/* After a crash inside swap: done when every target already holds the new
 * file (by hash). A vendor installer (run:) cannot be told: run again. */
static int
swap_probe(struct step_ctx *ctx)
{
        if (ctx->plan->swap.run.n > 0)
                return STEP_FAILED;
        for (size_t i = 0; i < ctx->plan->swap.n_files; i++) {
                char key[48], now[SHA256_HEX_LEN + 1];
                const char *target, *want;

                snprintf(key, sizeof key, "swap.target.%zu", i);
                target = engine_fact(ctx->eng, key);
                snprintf(key, sizeof key, "staged.%zu.sha256", i);
                want = engine_fact(ctx->eng, key);
                if (target == NULL || want == NULL ||
                    sha256_file(target, now, NULL, NULL) < 0 || strcmp(now, want) != 0)
                        return STEP_FAILED;
        }
        return STEP_OK;
}

/* Undo: put the old files back, remove what was staged beside them. */
static int
swap_undo(struct step_ctx *ctx)
{
        swap_unstage(ctx);
        for (size_t i = 0; i < ctx->plan->swap.n_files; i++) {
                char key[48], *old;
                const char *target, *was;

                snprintf(key, sizeof key, "swap.target.%zu", i);
                target = engine_fact(ctx->eng, key);
                snprintf(key, sizeof key, "swap.old.%zu.sha256", i);
                was = engine_fact(ctx->eng, key);
                if (target == NULL || was == NULL)
                        continue;
                old = xasprintf("%s%s", target, OLD_SUFFIX);
                if (strcmp(was, "none") == 0) {
                        unlink(target);
                } else if (path_exists(old) && rename(old, target) < 0) {
                        diag_set(ctx->diag, _("cannot put the old file back at \"%s\": %s"),
                                 target, strerror(errno));
                        free(old);
                        return STEP_FAILED;
                }
                free(old);
                if (fsync_dir_of(target, ctx->diag) < 0)
                        return STEP_FAILED;
                engine_say(ctx->eng, OUT_INFO, _("%s restored"), target);
        }
        return STEP_OK;
}

const struct step_module step_swap = {
        .abi = STEP_ABI,
        .id = STEP_SWAP,
        .name = "swap",
        .title = N_("Swap binaries"),
        .what = N_("Put the new package's files in place by atomic rename, keeping the old ones for undo."),
        .consequence = N_("The old binaries are replaced; they are kept as .upshift-old files."),
        .risk = RISK_REVERSIBLE,
        .check = swap_check,
        .probe = swap_probe,
        .run = swap_run,
        .undo = swap_undo,
};
