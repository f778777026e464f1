/* backup: the plan's online backup commands, then a tar archive of the data
 * paths with a SHA-256 manifest, read back and verified before any later
 * step may run. */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "lib/archive.h"
#include "lib/i18n.h"
#include "steps/backup_archive.h"
#include "steps/describe.h"
#include "steps/facts.h"
#include "steps/step.h"

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
        backup_archive_options(ctx, &o);
        if (backup_archive_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        if (archive_estimate(paths.v, paths.n, &o, &raw, &est, ctx->diag) < 0) {
                r = STEP_FAILED;
                goto out;
        }
        snprintf(c, sizeof c, "%" PRIu64, raw);
        step_note_set(ctx, NOTE_BACKUP_BYTES, c);
        /* The backup directory may not exist yet: measure its nearest parent. */
        probe = xstrdup(dir);
        while (statvfs(probe, &vfs) < 0 && strcmp(probe, "/") != 0) {
                char *up = path_dirname(probe);

                free(probe);
                probe = up;
        }
        avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        need = est + est / 5 + (1u << 20);
        /* A cold backup's delta may, at worst, hold everything again, and
         * it is written inside the downtime: room for both up front. */
        if (ctx->plan->backup.cold)
                need *= 2;
        bytes_format(a, sizeof a, need);
        bytes_format(b, sizeof b, avail);
        bytes_format(c, sizeof c, raw);
        if (avail < need) {
                /* TRANSLATORS: directory, bytes needed, bytes of data, bytes free */
                diag_set(ctx->diag, ctx->plan->backup.cold
                         ? _("not enough space for the backup in %s: it needs about %s (%s of data, compressed, with a margin, twice: a cold backup's second archive may hold it all again) and %s is free; free some space or set backup_dir to another filesystem")
                         : _("not enough space for the backup in %s: it needs about %s (%s of data, compressed, with a margin) and %s is free; free some space or set backup_dir to another filesystem"),
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

/* The plan's counting facts (counts: true) as the data is backed up,
 * journaled for a rollback to show against the count then. A count that
 * cannot be taken is a warning: the backup does not depend on it. */
static void
backup_counts(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;

        for (size_t i = 0; i < p->detect.n_facts; i++) {
                const struct fact *f = &p->detect.facts[i];
                char *value = NULL, *key;
                struct diag d = {0};
                struct step_ctx quiet = *ctx;

                if (!f->counts)
                        continue;
                quiet.diag = &d;
                if (step_run_cmd(&quiet, &f->cmd, &value, NULL) != 0 || value == NULL) {
                        step_say(ctx, OUT_WARN, _("cannot count %s at the backup: %s"), f->name,
                                 diag_isset(&d) ? d.msg : _("the command was skipped"));
                        free(value);
                        continue;
                }
                key = xasprintf(FACT_BACKUP_COUNT_PREFIX "%s", f->name);
                if (step_fact_set(ctx, key, value, &d) < 0)
                        step_say(ctx, OUT_WARN, "%s", d.msg);
                free(key);
                free(value);
        }
}

static int
backup_run(struct step_ctx *ctx)
{
        if (ctx->plan->backup.before.n > 0 &&
            mkdir_p(vars_get(ctx->vars, "backup_work"), 0700, ctx->diag) < 0)
                return STEP_FAILED;
        if (step_run_cmdlist(ctx, &ctx->plan->backup.before) < 0)
                return STEP_FAILED;
        backup_counts(ctx);
        if (ctx->plan->backup.cold)
                step_say(ctx, OUT_INFO,
                           _("cold backup: the data is archived now, while the service runs, and what changes until it has stopped is archived again then"));
        return backup_archive_make(ctx, ctx->plan->backup.cold);
}

/* The plan's backup: section ---------------------------------------------- */

static const char *const backup_keys[] = {
        "paths", "before", "cold", "compression", "level", "restore_on_rollback", NULL,
};

static int
backup_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        long level;
        bool restore = true;
        int r;

        if ((v = popt(n, "paths")) && (r = pstrv(c, v, &p->backup.paths)) < 0)
                return r;
        if ((v = popt(n, "before")) && (r = pcmdlist(c, v, &p->backup.before)) < 0)
                return r;
        if ((v = popt(n, "cold")) && (r = pbool(c, v, &p->backup.cold)) < 0)
                return r;
        if ((v = popt(n, "restore_on_rollback")) && (r = pbool(c, v, &restore)) < 0)
                return r;
        p->backup.keep_data = !restore;
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
                       p->backup.cold ? _(", while the service runs; once it has stopped, "
                                          "what changed since") : "", dir);
                for (size_t i = 0; i < p->backup.paths.n; i++) {
                        char *x = describe_str(s, p->backup.paths.v[i]);

                        fprintf(s->out, "        %s\n", x);
                        free(x);
                }
                fprintf(s->out, _("      then read it back and check every member's SHA-256\n"));
                if (p->backup.keep_data)
                        fprintf(s->out, _("      a rollback keeps the data written since the upgrade (restore_on_rollback: false)\n"));
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
        .probe = backup_archive_probe,
        .run = backup_run,
};
