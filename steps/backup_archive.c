/* backup_archive.c: the verified backup archive, made by backup (or by stop
 * for a cold backup) and restored by migrate's undo. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/archive.h"
#include "lib/i18n.h"
#include "steps/backup_archive.h"
#include "steps/facts.h"

void
backup_archive_options(struct step_ctx *ctx, struct backup_opts *o)
{
        const char *comp = vars_get(ctx->vars, "backup_compression");
        const char *level = vars_get(ctx->vars, "backup_level");

        o->compression = comp ? comp : ctx->plan->backup.compression;
        o->level = level ? atoi(level) : ctx->plan->backup.level;
}

/* The directory online backup commands write to, when they wrote anything. */
static bool
work_used(struct step_ctx *ctx)
{
        const char *work = vars_get(ctx->vars, "backup_work");
        DIR *dh = work ? opendir(work) : NULL;
        struct dirent *de;
        bool used = false;

        while (dh && (de = readdir(dh)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        used = true;
        if (dh)
                closedir(dh);
        return used;
}

int
backup_archive_paths(struct step_ctx *ctx, struct strv *ret)
{
        for (size_t i = 0; i < ctx->plan->backup.paths.n; i++) {
                char *s;

                if (step_expand(ctx, ctx->plan->backup.paths.v[i], &s) < 0) {
                        strv_release(ret);
                        return STEP_FAILED;
                }
                strv_push_take(ret, s);
        }
        if (work_used(ctx))
                strv_push(ret, vars_get(ctx->vars, "backup_work"));
        return 0;
}

static const char *
suffix_of(const char *compression)
{
        if (compression == NULL || strcmp(compression, "zstd") == 0)
                return ".tar.zst";
        if (strcmp(compression, "gzip") == 0)
                return ".tar.gz";
        if (strcmp(compression, "xz") == 0)
                return ".tar.xz";
        return ".tar";
}

/* A progress bar of the archive's: what it is, for whom. */
struct progress {
        struct step_ctx *ctx;
        const char      *what;
};

static void
on_progress(void *ud, uint64_t done, uint64_t total)
{
        const struct progress *p = ud;

        step_progress(p->ctx, p->what, done, total);
}

/* Read the archive at path back and check it against sum (NULL: against
 * nothing, its SHA-256 into ret_sum). */
static int
verify(struct step_ctx *ctx, const char *path, const char *sum,
       char ret_sum[SHA256_HEX_LEN + 1])
{
        struct progress p = { ctx, _("verify backup") };

        return archive_verify_sum(path, sum, ret_sum, on_progress, &p, ctx->diag);
}

int
backup_archive_probe(struct step_ctx *ctx)
{
        const char *path = step_fact(ctx, FACT_BACKUP_PATH);
        const char *sum = step_fact(ctx, FACT_BACKUP_SHA256);
        const char *ok = step_fact(ctx, FACT_BACKUP_VERIFIED);

        if (ctx->plan->backup.paths.n == 0)
                return STEP_FAILED;
        if (path == NULL || sum == NULL || ok == NULL || access(path, R_OK) != 0)
                return STEP_FAILED;
        if (verify(ctx, path, sum, NULL) < 0)
                return STEP_FAILED;
        return STEP_OK;
}

/* The archive's path: <plan>-<time><tag><suffix>, with -N when taken. New string. */
static char *
archive_path(struct step_ctx *ctx, const char *dir, const char *tag, const char *suffix)
{
        char stamp[32], *path = NULL;
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        for (int n = 0; n < 1000; n++) {
                free(path);
                path = n ? xasprintf("%s/%s-%s%s-%d%s", dir, ctx->plan->id, stamp, tag, n, suffix)
                         : xasprintf("%s/%s-%s%s%s", dir, ctx->plan->id, stamp, tag, suffix);
                if (!path_exists(path))
                        break;
        }
        return path;
}

/* The facts of one archive. */
static const struct backup_kind kind_full = {
        "", FACT_BACKUP_PENDING, FACT_BACKUP_PATH, FACT_BACKUP_SHA256, FACT_BACKUP_SIZE,
        FACT_BACKUP_VERIFIED,
};
const struct backup_kind backup_kind_delta = {
        "-changed", FACT_DELTA_PENDING, FACT_DELTA_PATH, FACT_DELTA_SHA256, FACT_DELTA_SIZE,
        FACT_DELTA_VERIFIED,
};

int
backup_archive_drop_pending(struct step_ctx *ctx, const struct backup_kind *k)
{
        const char *pending = step_fact(ctx, k->pending);

        /* An archive an interrupted attempt started is ours and unverified:
         * it goes, so that exactly one verified backup is left. */
        if (pending && path_exists(pending)) {
                step_say(ctx, OUT_INFO, _("removing the unfinished backup %s"), pending);
                if (unlink(pending) < 0) {
                        diag_set(ctx->diag, _("cannot remove the unfinished backup \"%s\": %s"),
                                 pending, strerror(errno));
                        return STEP_FAILED;
                }
        }
        return STEP_OK;
}

int
backup_archive_write(struct step_ctx *ctx, const struct backup_kind *k, struct strv *paths,
                     struct backup_opts *o, struct backup_result *res)
{
        struct progress pb = { ctx, _("backup") };
        const char *dir = vars_get(ctx->vars, "backup_dir");
        char *path, *name, human[32];
        int r;

        o->progress = on_progress;
        o->ud = &pb;
        o->sha256_later = true;         /* verify reads every byte back anyway */
        if (mkdir_p(dir, 0700, ctx->diag) < 0)
                return STEP_FAILED;
        path = archive_path(ctx, dir, k->tag, suffix_of(o->compression));
        /* Journaled before the file exists: a crash leaves no unknown archive. */
        if (step_fact_set(ctx, k->pending, path, ctx->diag) < 0) {
                free(path);
                return STEP_FAILED;
        }
        name = path_basename(path);
        step_say(ctx, OUT_INFO, _("archiving %zu path(s) into %s"), paths->n, path);
        r = archive_backup(paths->v, paths->n, dir, name, o, res, ctx->diag);
        free(name);
        free(path);
        if (r < 0)
                return STEP_FAILED;
        bytes_format(human, sizeof human, res->size);
        step_say(ctx, OUT_INFO, _("archive written: %s, %zu members"), human, res->members);
        return STEP_OK;
}

int
backup_archive_check(struct step_ctx *ctx, const struct backup_kind *k,
                     const struct backup_result *res, const char *const *facts)
{
        char sum[SHA256_HEX_LEN + 1], size[32];

        step_say(ctx, OUT_INFO, _("reading the archive back to verify every member"));
        if (verify(ctx, res->path, NULL, sum) < 0) {
                diag_prefix(ctx->diag, _("the backup failed verification"));
                return STEP_FAILED;
        }
        /* One batch, one sync: the archive and what names it (written and
         * synced by now), its SHA-256 as verify read it back from the disk,
         * verified last. A crash before it leaves the pending archive, which
         * the next attempt removes. */
        snprintf(size, sizeof size, "%llu", (unsigned long long)res->size);
        step_fact_queue(ctx, k->path, res->path);
        step_fact_queue(ctx, k->size, size);
        for (size_t i = 0; facts != NULL && facts[i] != NULL; i += 2)
                step_fact_queue(ctx, facts[i], facts[i + 1]);
        step_fact_queue(ctx, k->sha256, sum);
        step_fact_queue(ctx, k->verified, "yes");
        if (step_facts_commit(ctx, ctx->diag) < 0)
                return STEP_FAILED;
        step_say(ctx, OUT_INFO, _("backup verified: every member matches its SHA-256; "
                                  "archive SHA-256 %s"), sum);
        return STEP_OK;
}

int
backup_archive_full(struct step_ctx *ctx, bool live)
{
        struct backup_opts o = {0};
        struct backup_result res = {0};
        struct strv paths = {0};
        const char *noted;
        const char *facts[] = { FACT_BACKUP_MANIFEST_SHA256, NULL,
                                FACT_BACKUP_LIVE, live ? "yes" : "no", NULL };
        int r = STEP_FAILED;

        backup_archive_options(ctx, &o);
        /* The space check has just measured the data: the progress total,
         * unless the plan's backup commands have run since. */
        if (ctx->plan->backup.before.n == 0 && (noted = step_note(ctx, NOTE_BACKUP_BYTES)))
                o.total = strtoull(noted, NULL, 10);
        if (backup_archive_drop_pending(ctx, &kind_full) < 0 ||
            backup_archive_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        if (live && backup_stamps_begin(ctx, &o) < 0)
                goto out;
        if (backup_archive_write(ctx, &kind_full, &paths, &o, &res) < 0 ||
            (live && backup_stamps_end(ctx, &o, res.path) < 0))
                goto out;
        facts[1] = res.manifest_sha256;
        if (backup_archive_check(ctx, &kind_full, &res, facts) < 0)
                goto out;
        /* What the online commands wrote is in the verified archive now. */
        if (work_used(ctx) && rm_tree(vars_get(ctx->vars, "backup_work"), ctx->diag) < 0)
                goto out;
        r = STEP_OK;
out:
        if (live)
                backup_stamps_abort(&o);
        backup_result_release(&res);
        strv_release(&paths);
        return r;
}

int
backup_archive_make(struct step_ctx *ctx, bool live)
{
        if (ctx->plan->backup.paths.n == 0 && !work_used(ctx))
                return STEP_OK;
        if (backup_archive_probe(ctx) == STEP_OK) {
                step_say(ctx, OUT_INFO, _("the backup %s is already made and verified"),
                           step_fact(ctx, FACT_BACKUP_PATH));
                return STEP_OK;
        }
        diag_clear(ctx->diag);
        return backup_archive_full(ctx, live);
}

int
backup_archive_restore(struct step_ctx *ctx)
{
        const char *path = step_fact(ctx, FACT_BACKUP_PATH);
        const char *sum = step_fact(ctx, FACT_BACKUP_SHA256);
        struct progress pr = { ctx, _("restore") };
        struct restore_delta delta;
        struct strv paths = {0}, removed = {0};
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        int r = STEP_FAILED;

        if (ctx->plan->backup.paths.n == 0 || step_fact(ctx, FACT_RESTORE_DONE))
                return STEP_OK;
        if (ctx->plan->backup.keep_data) {
                step_say(ctx, OUT_INFO, _("restore_on_rollback: false: the data written since the upgrade is kept; the backup %s is not restored"),
                         path ? path : "-");
                return STEP_OK;
        }
        if (path == NULL || sum == NULL || step_fact(ctx, FACT_BACKUP_VERIFIED) == NULL) {
                diag_set(ctx->diag, _("there is no verified backup to restore the data from"));
                return STEP_FAILED;
        }
        if (backup_archive_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        step_say(ctx, OUT_INFO, _("checking the backup %s before restoring from it"), path);
        if (verify(ctx, path, sum, NULL) < 0) {
                diag_prefix(ctx->diag, _("the data was not restored"));
                goto out;
        }
        if (backup_delta_load(ctx, &delta, &removed) < 0)
                goto out;
        if (delta.archive != NULL) {
                step_say(ctx, OUT_INFO, _("checking %s, what changed before the stop"), delta.archive);
                if (verify(ctx, delta.archive, step_fact(ctx, FACT_DELTA_SHA256), NULL) < 0) {
                        diag_prefix(ctx->diag, _("the data was not restored"));
                        goto out;
                }
        }
        if (archive_restore_layers(path, delta.archive ? &delta : NULL, paths.v, paths.n,
                                   on_progress, &pr, ctx->diag) < 0)
                goto out;
        /* Keep what the restore replaced (writes made after the backup),
         * under a name no later restore will take for its own. */
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        for (size_t i = 0; i < paths.n; i++) {
                char *from = archive_restore_sibling(paths.v[i], ".upshift-replaced", NULL);
                char *to = from ? xasprintf("%s-%s", from, stamp) : NULL;

                char key[64];

                snprintf(key, sizeof key, FACT_RESTORE_REPLACED_PREFIX "%zu", i);
                /* Journaled first: the rollback's summary names it. */
                if (from && path_exists(from) && step_fact_set(ctx, key, to, ctx->diag) == 0 &&
                    rename(from, to) == 0)
                        step_say(ctx, OUT_INFO, _("the data the restore replaced is kept in %s"), to);
                free(from);
                free(to);
        }
        if (step_fact_set(ctx, FACT_RESTORE_DONE, "yes", ctx->diag) < 0)
                goto out;
        step_say(ctx, OUT_INFO, _("data restored from %s"), path);
        r = STEP_OK;
out:
        strv_release(&removed);
        strv_release(&paths);
        return r;
}
