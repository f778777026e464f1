/* backup: the plan's online backup commands, then a tar archive of the data
 * paths with a SHA-256 manifest, read back and verified before any later
 * step may run. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/archive.h"
#include "lib/i18n.h"
#include "steps/describe.h"
#include "steps/step.h"

/* Compression and level: the answers' built-in keys, else the plan's. */
static void
backup_options(struct step_ctx *ctx, struct backup_opts *o)
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

/* Expanded data paths, and ${backup_work} when online commands wrote there. */
static int
data_paths(struct step_ctx *ctx, struct strv *ret)
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

static void
on_progress(void *ud, uint64_t done, uint64_t total)
{
        struct step_ctx *ctx = ud;

        step_progress(ctx, _("backup"), done, total);
}

static void
on_verify_progress(void *ud, uint64_t done, uint64_t total)
{
        struct step_ctx *ctx = ud;

        step_progress(ctx, _("verify backup"), done, total);
}

/* Is the journaled archive there and whole? */
static int
backup_probe(struct step_ctx *ctx)
{
        const char *path = step_fact(ctx, "backup.path");
        const char *sum = step_fact(ctx, "backup.sha256");
        const char *ok = step_fact(ctx, "backup.verified");

        if (ctx->plan->backup.paths.n == 0)
                return STEP_FAILED;
        if (path == NULL || sum == NULL || ok == NULL || access(path, R_OK) != 0)
                return STEP_FAILED;
        if (archive_verify(path, sum, on_verify_progress, ctx, ctx->diag) < 0)
                return STEP_FAILED;
        return STEP_OK;
}

/* The archive's path: <plan>-<time><suffix>, with -N when taken. New string. */
static char *
archive_path(struct step_ctx *ctx, const char *dir, const char *suffix)
{
        char stamp[32], *path = NULL;
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        for (int n = 0; n < 1000; n++) {
                free(path);
                path = n ? xasprintf("%s/%s-%s-%d%s", dir, ctx->plan->id, stamp, n, suffix)
                         : xasprintf("%s/%s-%s%s", dir, ctx->plan->id, stamp, suffix);
                if (!path_exists(path))
                        break;
        }
        return path;
}

int
backup_make_archive(struct step_ctx *ctx)
{
        struct backup_opts o = {
                .progress = on_progress,
                .ud = ctx,
        };
        struct backup_result res = {0};
        struct strv paths = {0};
        const char *dir = vars_get(ctx->vars, "backup_dir");
        const char *pending = step_fact(ctx, "backup.pending");
        char *path = NULL, *name, size[32], human[32];
        int r = STEP_FAILED;

        backup_options(ctx, &o);
        if (ctx->plan->backup.paths.n == 0 && !work_used(ctx))
                return STEP_OK;
        if (backup_probe(ctx) == STEP_OK) {
                step_say(ctx, OUT_INFO, _("the backup %s is already made and verified"),
                           step_fact(ctx, "backup.path"));
                return STEP_OK;
        }
        diag_clear(ctx->diag);
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
        if (data_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        if (mkdir_p(dir, 0700, ctx->diag) < 0)
                goto out;
        path = archive_path(ctx, dir, suffix_of(o.compression));
        /* Journaled before the file exists: a crash leaves no unknown archive. */
        if (step_fact_set(ctx, "backup.pending", path, ctx->diag) < 0)
                goto out;
        name = path_basename(path);
        step_say(ctx, OUT_INFO, _("archiving %zu path(s) into %s"), paths.n, path);
        r = archive_backup(paths.v, paths.n, dir, name, &o, &res, ctx->diag);
        free(name);
        if (r < 0) {
                r = STEP_FAILED;
                goto out;
        }
        r = STEP_FAILED;
        snprintf(size, sizeof size, "%llu", (unsigned long long)res.size);
        if (step_fact_set(ctx, "backup.path", res.path, ctx->diag) < 0 ||
            step_fact_set(ctx, "backup.sha256", res.sha256, ctx->diag) < 0 ||
            step_fact_set(ctx, "backup.size", size, ctx->diag) < 0 ||
            step_fact_set(ctx, "backup.manifest_sha256", res.manifest_sha256,
                            ctx->diag) < 0)
                goto out;
        bytes_format(human, sizeof human, res.size);
        step_say(ctx, OUT_INFO, _("archive written: %s, %zu members, SHA-256 %s"),
                   human, res.members, res.sha256);
        step_say(ctx, OUT_INFO, _("reading the archive back to verify every member"));
        if (archive_verify(res.path, res.sha256, on_verify_progress, ctx, ctx->diag) < 0) {
                diag_prefix(ctx->diag, _("the backup failed verification"));
                goto out;
        }
        if (step_fact_set(ctx, "backup.verified", "yes", ctx->diag) < 0)
                goto out;
        step_say(ctx, OUT_INFO, _("backup verified: every member matches its SHA-256"));
        /* What the online commands wrote is in the verified archive now. */
        if (work_used(ctx) && rm_tree(vars_get(ctx->vars, "backup_work"), ctx->diag) < 0)
                goto out;
        r = STEP_OK;
out:
        backup_result_release(&res);
        strv_release(&paths);
        free(path);
        return r;
}

static void
on_restore_progress(void *ud, uint64_t done, uint64_t total)
{
        struct step_ctx *ctx = ud;

        step_progress(ctx, _("restore"), done, total);
}

int
backup_restore(struct step_ctx *ctx)
{
        const char *path = step_fact(ctx, "backup.path");
        const char *sum = step_fact(ctx, "backup.sha256");
        struct strv paths = {0};
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        int r = STEP_FAILED;

        if (ctx->plan->backup.paths.n == 0 || step_fact(ctx, "restore.done"))
                return STEP_OK;
        if (path == NULL || sum == NULL || step_fact(ctx, "backup.verified") == NULL) {
                diag_set(ctx->diag, _("there is no verified backup to restore the data from"));
                return STEP_FAILED;
        }
        if (data_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        step_say(ctx, OUT_INFO, _("checking the backup %s before restoring from it"), path);
        if (archive_verify(path, sum, on_verify_progress, ctx, ctx->diag) < 0) {
                diag_prefix(ctx->diag, _("the data was not restored"));
                goto out;
        }
        if (archive_restore_paths(path, paths.v, paths.n, on_restore_progress, ctx, ctx->diag) < 0)
                goto out;
        /* Keep what the restore replaced (writes made after the backup),
         * under a name no later restore will take for its own. */
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        for (size_t i = 0; i < paths.n; i++) {
                char *from = archive_restore_sibling(paths.v[i], ".upshift-replaced", NULL);
                char *to = from ? xasprintf("%s-%s", from, stamp) : NULL;

                if (from && path_exists(from) && rename(from, to) == 0)
                        step_say(ctx, OUT_INFO, _("the data the restore replaced is kept in %s"), to);
                free(from);
                free(to);
        }
        if (step_fact_set(ctx, "restore.done", "yes", ctx->diag) < 0)
                goto out;
        step_say(ctx, OUT_INFO, _("data restored from %s"), path);
        r = STEP_OK;
out:
        strv_release(&paths);
        return r;
}

/* Preflight: is there room for the backup? The archive's size is estimated
 * from a sampled compression ratio, with a 20 % margin and 1 MiB more. */
static int
backup_check(struct step_ctx *ctx)
{
        struct backup_opts o = {0};
        struct strv paths = {0};
        const char *dir = vars_get(ctx->vars, "backup_dir");
        struct statvfs vfs;
        uint64_t raw = 0, est = 0, need, avail;
        char *probe = NULL;
        char a[32], b[32], c[32];
        int r = STEP_OK;

        if (ctx->plan->backup.paths.n == 0)
                return STEP_OK;
        backup_options(ctx, &o);
        if (data_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        if (archive_estimate(paths.v, paths.n, &o, &raw, &est, ctx->diag) < 0) {
                r = STEP_FAILED;
                goto out;
        }
        /* The backup directory may not exist yet: measure its nearest parent. */
        probe = xstrdup(dir);
        while (statvfs(probe, &vfs) < 0 && strcmp(probe, "/") != 0) {
                char *up = path_dirname(probe);

                free(probe);
                probe = up;
        }
        avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        need = est + est / 5 + (1u << 20);
        bytes_format(a, sizeof a, need);
        bytes_format(b, sizeof b, avail);
        bytes_format(c, sizeof c, raw);
        if (avail < need) {
                /* TRANSLATORS: directory, bytes needed, bytes of data, bytes free */
                diag_set(ctx->diag, _("not enough space for the backup in %s: it needs about %s (%s of data, compressed, with a margin) and %s is free; free some space or set backup_dir to another filesystem"),
                         dir, a, c, b);
                ctx->diag->code = EXIT_INHIBITED;
                r = STEP_FAILED;
        } else {
                /* TRANSLATORS: bytes needed, bytes of data, bytes free, directory */
                step_say(ctx, OUT_INFO, _("the backup needs about %s (%s of data now, before the plan's backup commands run); %s free in %s"),
                           a, c, b, dir);
        }
out:
        free(probe);
        strv_release(&paths);
        return r;
}

static int
backup_run(struct step_ctx *ctx)
{
        if (ctx->plan->backup.before.n > 0 &&
            mkdir_p(vars_get(ctx->vars, "backup_work"), 0700, ctx->diag) < 0)
                return STEP_FAILED;
        if (step_run_cmdlist(ctx, &ctx->plan->backup.before) < 0)
                return STEP_FAILED;
        if (ctx->plan->backup.cold) {
                step_say(ctx, OUT_INFO,
                           _("cold backup: the data is archived once the service has stopped"));
                return STEP_OK;
        }
        return backup_make_archive(ctx);
}

/* The plan's backup: section ---------------------------------------------- */

static const char *const backup_keys[] = {
        "paths", "before", "cold", "compression", "level", NULL,
};

static int
backup_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        long level;
        int r;

        if ((v = popt(n, "paths")) && (r = pstrv(c, v, &p->backup.paths)) < 0)
                return r;
        if ((v = popt(n, "before")) && (r = pcmdlist(c, v, &p->backup.before)) < 0)
                return r;
        if ((v = popt(n, "cold")) && (r = pbool(c, v, &p->backup.cold)) < 0)
                return r;
        if ((v = popt(n, "compression"))) {
                static const char *const comp[] = { "zstd", "gzip", "xz", "none", NULL };

                if (v->kind != YNODE_SCALAR || strv_find((char *const *)comp, 4, v->str) < 0)
                        return perr(c, v, _("unknown compression (expected one of: zstd, "
                                            "gzip, xz, none)"));
                free(p->backup.compression);
                p->backup.compression = xstrdup(v->str);
        }
        if ((v = popt(n, "level"))) {
                long max = strcmp(p->backup.compression, "zstd") == 0 ? 19 : 9;

                if (pint(c, v, &level) < 0 || level < 1 || level > max)
                        return perr(c, v, _("expected a compression level from 1 to %ld"),
                                    max);
                p->backup.level = (int)level;
        }
        return 0;
}

static void
backup_describe(struct step_describe *s)
{
        const struct plan *p = s->p;

        describe_cmds(s, NULL, &p->backup.before);
        if (p->backup.paths.n) {
                char *dir = describe_str(s, "${backup_dir}");

                fprintf(s->out, _("      archive (%s%s) into %s:\n"),
                       p->backup.compression ? p->backup.compression : "zstd",
                       p->backup.cold ? _(", after the service has stopped") : "", dir);
                for (size_t i = 0; i < p->backup.paths.n; i++) {
                        char *x = describe_str(s, p->backup.paths.v[i]);

                        fprintf(s->out, "        %s\n", x);
                        free(x);
                }
                fprintf(s->out, _("      then read it back and check every member's SHA-256\n"));
                free(dir);
        }
}

const struct step_module step_backup = {
        .abi = STEP_ABI,
        .title = N_("Back up data"),
        .what = N_("Run the plan's backup commands, archive the data paths with a SHA-256 manifest, and read the archive back to verify it."),
        .risk = RISK_NONE,
        .plan = { .keys = backup_keys, .parse = backup_parse },
        .describe = backup_describe,
        .check = backup_check,
        .probe = backup_probe,
        .run = backup_run,
};
