/* engine_undo.c: upshift rollback. Every step the journal says was started
 * is undone in reverse order, each undo journaled (undo_start, undo_done),
 * so that a rollback interrupted anywhere is finished by running it again.
 * Then the old version must answer with the facts captured in detect. */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/engine_int.h"
#include "lib/archive.h"
#include "lib/i18n.h"
#include "lib/service.h"
#include "steps/serving.h"

/* The old version answers, and every fact is what it was before. Its
 * lines are labelled "check" (by its caller): not with the last step
 * undone, nor as the run itself. */
static int
check_old(struct engine *e, struct step_ctx *ctx)
{
        const struct plan *p = e->plan;
        const char *was = engine_fact(e, FACT_VERSION);
        bool kept = p->backup.keep_data && p->backup.paths.n > 0;
        char *now = NULL;
        int r;

        e->current = STEP_NONE;
        engine_say(e, OUT_INFO, _("checking that the old version answers as before"));
        if (p->verify.ready.cmd) {
                long timeout = p->verify.ready.timeout_ms ? p->verify.ready.timeout_ms : 60000;
                int64_t deadline = now_ms() + timeout;

                for (unsigned tries = 0; tries < 100000; tries++) {
                        diag_clear(ctx->diag);
                        r = step_run_cmd(ctx, p->verify.ready.cmd, NULL, NULL);
                        if (r == 0 || r == 1)
                                break;
                        if (now_ms() >= deadline || !engine_sleep(e, 500)) {
                                diag_prefix(ctx->diag, _("the old version is not ready"));
                                return STEP_FAILED;
                        }
                }
        }
        if (was) {
                if (step_run_cmd(ctx, &p->detect.version, &now, NULL) != 0) {
                        diag_prefix(ctx->diag, _("cannot tell the version after the rollback"));
                        return STEP_FAILED;
                }
                if (version_compare_as(p->version_scheme, now, was) != 0) {
                        diag_set(ctx->diag, _("after the rollback the service reports version %s, expected %s"),
                                 now, was);
                        free(now);
                        return STEP_FAILED;
                }
                free(now);
        }
        if (kept)
                engine_say(e, OUT_INFO, _("the data written since the upgrade was kept (restore_on_rollback: false): the facts of detect are not compared"));
        for (size_t i = 0; !kept && i < p->detect.n_facts; i++) {
                struct check same = {.same = p->detect.facts[i].name};
                char *key = xasprintf(FACT_PLAN_PREFIX "%s", p->detect.facts[i].name);
                bool known = engine_fact(e, key) != NULL;

                free(key);
                if (known && step_check(ctx, &same) < 0)
                        return STEP_FAILED;
        }
        /* The process that serves runs the old file (hop 1's), not merely the disk. */
        if (engine_set_hop(e, 1, ctx->diag) < 0)
                return STEP_FAILED;
        r = serving_check(ctx, SERVING_OLD);
        if (engine_set_hop(e, engine_hop_count(e), ctx->diag) < 0)
                return STEP_FAILED;
        return r;
}

/* Will this rollback restore the data (migrate's undo still to run)? */
static bool
will_restore(const struct engine *e)
{
        enum step_status st = e->st.status[STEP_MIGRATE];

        if (e->plan->backup.paths.n == 0 || e->plan->backup.keep_data ||
            e->st.undone[STEP_MIGRATE] || engine_fact(e, FACT_RESTORE_DONE) != NULL)
                return false;
        return !((st == ST_PENDING || st == ST_SKIPPED) && !e->st.begun[STEP_MIGRATE]);
}

/* One archive of the backup, as the text before a rollback names it:
 * "taken TIME UTC: PATH (SIZE, SHA-256 SUM)". New string. */
static char *
archive_text(const struct engine *e, const char *path_key, const char *size_key,
             const char *sum_key)
{
        const char *path = engine_fact(e, path_key), *size = engine_fact(e, size_key);
        char when[32] = "?", human[32] = "?";
        struct stat sb;
        struct tm tm;

        if (path != NULL && stat(path, &sb) == 0 && gmtime_r(&sb.st_mtime, &tm) != NULL)
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        if (size != NULL)
                bytes_format(human, sizeof human, strtoull(size, NULL, 10));
        /* TRANSLATORS: time, archive path, size, SHA-256 */
        return xasprintf(_("taken %s UTC: %s (%s, SHA-256 %s)"), when, path ? path : "?", human,
                         engine_fact(e, sum_key) ? engine_fact(e, sum_key) : "?");
}

/* Say line (taken) and add it to what, on a line of its own. */
static void
say_line(struct engine *e, struct strbuf *what, char *line)
{
        engine_say(e, OUT_INFO, "%s", line);
        strbuf_addch(what, '\n');
        strbuf_adds(what, line);
        free(line);
}

/* Before a rollback is confirmed: what the restore puts back (each
 * archive), that the writes since are replaced, and each counting fact
 * now against the backup's. */
static void
say_restore(struct engine *e, struct step_ctx *ctx, struct strbuf *what)
{
        const struct plan *p = e->plan;
        char *a = archive_text(e, FACT_BACKUP_PATH, FACT_BACKUP_SIZE, FACT_BACKUP_SHA256);

        say_line(e, what, xasprintf(_("the rollback restores the data from the backup %s"), a));
        free(a);
        if (engine_fact(e, FACT_DELTA_PATH) != NULL) {
                a = archive_text(e, FACT_DELTA_PATH, FACT_DELTA_SIZE, FACT_DELTA_SHA256);
                say_line(e, what, xasprintf(_("and what changed until the stop, %s"), a));
                free(a);
        }
        for (size_t i = 0; i < p->backup.paths.n; i++) {
                char *path = NULL;

                if (step_expand(ctx, p->backup.paths.v[i], &path) < 0)
                        continue;
                /* TRANSLATORS: a data path */
                say_line(e, what, xasprintf(_("what was written to %s since then is replaced (and kept aside as %s.upshift-replaced-TIME)"),
                                            path, path));
                free(path);
        }
        for (size_t i = 0; i < p->detect.n_facts; i++) {
                const struct fact *f = &p->detect.facts[i];
                struct step_ctx quiet = *ctx;
                struct diag d = {0};
                const char *then;
                char *key, *now = NULL;

                if (!f->counts)
                        continue;
                key = xasprintf(FACT_BACKUP_COUNT_PREFIX "%s", f->name);
                then = engine_fact(e, key);
                free(key);
                quiet.diag = &d;
                if (step_run_cmd(&quiet, &f->cmd, &now, NULL) != 0 || now == NULL) {
                        free(now);
                        now = xstrdup(_("unknown (the command failed)"));
                }
                /* TRANSLATORS: fact name, its value now, its value at the backup */
                say_line(e, what, xasprintf(_("%s: %s now, %s in the backup"), f->name, now,
                                            then ? then : _("unknown")));
                free(now);
        }
}

/* After the restore: where each data path's replaced data is kept, and
 * its size ("; the data the restore replaced is kept in PATH (SIZE)"), or
 * "". New string. */
static char *
replaced_text(const struct engine *e)
{
        struct strbuf sb = {0};

        for (size_t i = 0; i < e->plan->backup.paths.n; i++) {
                char key[64], human[32] = "?";
                const char *to;
                uint64_t bytes;

                snprintf(key, sizeof key, FACT_RESTORE_REPLACED_PREFIX "%zu", i);
                if ((to = engine_fact(e, key)) == NULL || !path_exists(to))
                        continue;
                if (archive_measure((char *const *)&to, 1, &bytes, NULL) == 0)
                        bytes_format(human, sizeof human, bytes);
                /* TRANSLATORS: path, its size */
                strbuf_addf(&sb, _("; the data the restore replaced is kept in %s (%s)"), to, human);
        }
        return sb.buf ? sb.buf : xstrdup("");
}

/* Say what the rollback does with the data, in the log and in the
 * confirmation (wizard and --yes alike), confirm, journal its start. */
static int
confirm_rollback(struct engine *e, struct step_ctx *ctx, struct diag *d)
{
        struct strbuf what = {0};
        int r;

        if (e->plan->backup.keep_data && e->plan->backup.paths.n > 0) {
                strbuf_adds(&what, _("The service is stopped and the old files put back; the data written since the upgrade is kept (restore_on_rollback: false)."));
                engine_say(e, OUT_INFO, _("the old files are put back and the data written since the upgrade is kept (restore_on_rollback: false)"));
        } else {
                strbuf_adds(&what, _("The service is stopped, its data restored from the verified backup and the old files put back."));
                if (will_restore(e))
                        say_restore(e, ctx, &what);
        }
        r = engine_confirm(e, STEP_NONE, _("Roll back the upgrade"), what.buf);
        strbuf_release(&what);
        if (r != STEP_OK) {
                diag_set(d, _("the rollback was not confirmed: nothing was changed"));
                return -1;
        }
        if (engine_event(e, "rollback_start", STEP_NONE, NULL, NULL, d) < 0) {
                diag_prefix(d, _("the rollback did not start"));
                return -1;
        }
        return 0;
}

/* One step's undo. A module with undo_each_hop (swap, detect) undoes every
 * hop, the last first: each hop's swap kept its own old files, and those of the first hop are the
 * ones from before the upgrade (a later hop never replaces an .upshift-old),
 * so undoing the hops in reverse puts the original files back. The other
 * steps undo once: migrate's restore of the backup covers every hop's
 * migrations. Undo is idempotent, so a rollback interrupted among the hops
 * is finished by running it again. */
static int
undo_step(struct engine *e, struct step_ctx *ctx, const struct step_module *m)
{
        unsigned n = engine_hop_count(e);
        int r = STEP_OK;

        if (!m->undo_each_hop)
                return m->undo(ctx);
        for (unsigned h = n; h >= 1 && r == STEP_OK; h--) {
                if (engine_set_hop(e, h, ctx->diag) < 0)
                        return STEP_FAILED;
                if (n > 1)
                        /* TRANSLATORS: a hop's number, then its target. */
                        engine_say(e, OUT_INFO, _("undoing %s of hop %u (to %s)"), m->name, h,
                                   vars_get(&e->vars, "target"));
                r = m->undo(ctx);
        }
        if (engine_set_hop(e, n, ctx->diag) < 0)
                return STEP_FAILED;
        return r;
}

/* The undo: of the commands step id ran (step_undo_cmds), before the
 * step's own undo: they ran after what it undoes. Again in a rollback run
 * again, for those that failed. */
static int
undo_cmds(struct engine *e, struct step_ctx *ctx, enum step_id id, unsigned *failed)
{
        e->current = id;
        ctx->id = id;
        return step_undo_cmds(ctx, failed);
}

/* Undo step id (not yet undone): its events, its label in the log and on
 * screen. 0, or -1 with the message in ctx->diag. */
static int
undo_one_step(struct engine *e, struct step_ctx *ctx, enum step_id id)
{
        const struct step_module *m = &e->mods[id];
        struct diag *d = ctx->diag;
        int r;

        if (engine_interrupted(e)) {
                diag_set(d, _("interrupted before undoing %s"), m->name);
                return -1;
        }
        e->current = id;
        ctx->id = id;
        diag_clear(d);
        if (engine_event(e, "undo_start", id, NULL, NULL, d) < 0)
                return -1;
        /* What the undo does (migrate's: the data restore), in the
         * log too. */
        if (m->undo_label)
                runlog_printf(&e->log, "%s: %s", m->undo_label,
                              m->undo_what ? m->undo_what : "undo");
        else
                runlog_printf(&e->log, "%s: undo: %s", m->name,
                              m->undo_what ? m->undo_what : "undo");
        e->fe->ops->step_state(e->fe, id, ST_RUNNING, 0,
                               m->undo_what ? _(m->undo_what) : _("undo"));
        e->label = m->undo_label;
        r = undo_step(e, ctx, m);
        e->label = NULL;
        if (r != STEP_OK) {
                if (!diag_isset(d))
                        diag_set(d, _("undoing %s failed"), m->name);
                diag_prefix(d, _("rollback stopped at %s"), m->name);
                engine_event(e, "undo_failed", id, "error", d->msg, NULL);
                e->fe->ops->step_state(e->fe, id, ST_FAILED, 0, d->msg);
                return -1;
        }
        if (engine_event(e, "undo_done", id, NULL, NULL, d) < 0)
                return -1;
        e->fe->ops->step_state(e->fe, id, ST_UNDONE, 0, NULL);
        return 0;
}

enum run_outcome
engine_undo_all(struct engine *e, struct diag *d)
{
        struct step_ctx ctx = {
                .host = (struct step_host *)(void *)e, .ops = &engine_step_ops,
                .plan = e->plan, .vars = &e->vars, .diag = d,
        };
        bool keep = e->plan->backup.keep_data && e->plan->backup.paths.n > 0;
        unsigned failed = 0;
        char *was, *replaced;
        int r;

        if (!e->st.rolling_back && confirm_rollback(e, &ctx, d) < 0)
                return RUN_STEP_FAILED;
        for (int i = STEP_COUNT - 1; i >= 0; i--) {
                enum step_id id = (enum step_id)i;
                enum step_status st = e->st.status[id];

                if (undo_cmds(e, &ctx, id, &failed) < 0)
                        return RUN_STEP_FAILED;
                /* begun: a step of an earlier hop counts (status[] is the current hop's) */
                if (((st == ST_PENDING || st == ST_SKIPPED) && !e->st.begun[id]) ||
                    e->st.undone[id])
                        continue;
                if (undo_one_step(e, &ctx, id) < 0)
                        return RUN_STEP_FAILED;
        }
        diag_clear(d);
        e->label = "check";
        r = check_old(e, &ctx);
        e->label = NULL;
        if (r != STEP_OK) {
                diag_prefix(d, _("the files and data are back, but"));
                return RUN_STEP_FAILED;
        }
        if (failed > 0) {
                /* TRANSLATORS: how many failed, then the rollback command */
                diag_set(d, _("the files and data are back, but %u undo command(s) failed (said above): fix the cause and run them by hand, or run %s again"),
                         failed, e->opts->rollback_cmd ? e->opts->rollback_cmd : "upshift rollback");
                return RUN_STEP_FAILED;
        }
        was = xstrdup(engine_fact(e, FACT_VERSION) ? engine_fact(e, FACT_VERSION) : "?");
        replaced = replaced_text(e);
        if (engine_event(e, "rollback_end", STEP_NONE, "result", "done", d) < 0) {
                free(was);
                free(replaced);
                return RUN_STEP_FAILED;
        }
        if (keep)
                /* TRANSLATORS: plan title, version */
                diag_set(d, _("%s is rolled back to %s (the data written since the upgrade is kept: restore_on_rollback: false)"),
                         e->plan->title, was);
        else
                /* TRANSLATORS: plan title, version, where the replaced data is kept */
                diag_set(d, _("%s is rolled back to %s and answers as before the upgrade%s"),
                         e->plan->title, was, replaced);
        free(was);
        free(replaced);
        return RUN_ROLLED_BACK;
}
