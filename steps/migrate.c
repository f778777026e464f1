/* migrate: the plan's migration commands whose condition holds, output
 * streamed, a point of no return confirmed as such.
 *
 * A migration is never run twice blindly: migrate.started.N is journaled
 * (yes) before it runs and migrate.done.N after; a command that exits
 * non-zero sets migrate.started.N to "failed". A failed migration runs
 * again on resume (unless the plan's probe: says it finished). One started
 * but neither done nor failed (the process died inside it) is in doubt:
 * the plan's probe: command decides (exit 0: it finished), else the
 * answers file's on_doubt: policy (stop, the default: ask the operator;
 * rerun; done). A running migration command
 * is not interrupted by SIGINT/SIGTERM/SIGHUP: it finishes, then the run
 * stops. Undo restores the data paths from the verified backup.
 *
 * In a path of several hops migrate runs once per hop, with ${target} the
 * hop's target and ${hop_from} the version before it, so that when:
 * {target: ...} picks each hop's migrations; the facts carry the hop's key
 * prefix (hop2.migrate.started.N). One restore undoes every hop's.
 *
 * A migration with online: true is skipped here: verify runs it through
 * migrate_run_some() once the new version is started and ready, with the
 * same facts and rules; the downtime ends before it (verify.ready_at). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "steps/backup_archive.h"
#include "steps/describe.h"
#include "steps/migrate.h"
#include "steps/step.h"

static const char step_migrate_consequence[] =
        N_("The data is changed for the new version; the backup is the way back.");

/* A migration that was started and not finished (failed: its command
 * exited non-zero; else the process died inside it): 1 done, 0 run it
 * again, STEP_FAILED stop and ask. */
static int
in_doubt(struct step_ctx *ctx, const struct migration *m, size_t i, bool failed)
{
        const char *policy = vars_get(ctx->vars, "on_doubt");

        if (failed)
                step_say(ctx, OUT_INFO, _("migration %zu failed last time"), i + 1);
        else
                step_say(ctx, OUT_WARN, _("migration %zu was interrupted last time"), i + 1);
        if (m->probe) {
                int status = -1, r;
                struct cmd probe = *m->probe;

                probe.may_fail = true;
                r = step_run_cmd(ctx, &probe, NULL, &status);
                if (r == 0 && status == 0) {
                        step_say(ctx, OUT_INFO, _("its probe says it finished"));
                        return 1;
                }
                step_say(ctx, OUT_INFO, _("its probe says it did not finish: running it again"));
                return 0;
        }
        if (failed) {
                step_say(ctx, OUT_INFO, _("running it again"));
                return 0;
        }
        if (policy && strcmp(policy, "rerun") == 0) {
                step_say(ctx, OUT_INFO, _("on_doubt: rerun: running it again"));
                return 0;
        }
        if (policy && strcmp(policy, "done") == 0) {
                step_say(ctx, OUT_INFO, _("on_doubt: done: taking it as finished"));
                return 1;
        }
        diag_set(ctx->diag, _("migration %zu was interrupted and the plan has no probe to tell whether it finished: check the data, then run again with on_doubt: rerun or on_doubt: done in the answers file (or roll back)"),
                 i + 1);
        return STEP_FAILED;
}

/* Confirm, journal and run migration i (not done before). */
static int
migrate_one(struct step_ctx *ctx, const struct migration *m, size_t i, bool *confirmed)
{
        char started[64], done[64];
        int r;

        step_hop_key(ctx, started, sizeof started, "migrate.started.%zu", i);
        step_hop_key(ctx, done, sizeof done, "migrate.done.%zu", i);
        if (step_fact(ctx, started) != NULL && m->keeps_data) {
                step_say(ctx, OUT_INFO, _("migration %zu (changes_data: false) was "
                                          "interrupted: running it again"), i + 1);
        } else if (step_fact(ctx, started) != NULL) {
                bool failed = strcmp(step_fact(ctx, started), "failed") == 0;

                r = in_doubt(ctx, m, i, failed);
                if (r < 0)
                        return STEP_FAILED;
                if (r == 1)
                        return step_fact_set(ctx, done, "yes", ctx->diag) < 0 ? STEP_FAILED : 1;
                /* Running again: in doubt if the process dies now. */
                if (failed && step_fact_set(ctx, started, "yes", ctx->diag) < 0)
                        return STEP_FAILED;
        } else {
                char *msg = NULL;

                if (m->point_of_no_return &&
                    step_expand(ctx, m->point_of_no_return, &msg) < 0)
                        return STEP_FAILED;
                if (msg)
                        step_say(ctx, OUT_WARN, _("point of no return: %s"), msg);
                if ((msg || !*confirmed) && !m->keeps_data &&
                    step_confirm(ctx, STEP_MIGRATE,
                                 msg ? _("Run the migration") : _("Migrate data"),
                                 msg ? NULL : _(step_migrate_consequence),
                                 msg) != STEP_OK) {
                        diag_set(ctx->diag, _("the migration was not confirmed"));
                        free(msg);
                        return STEP_ABORT;
                }
                free(msg);
                *confirmed = *confirmed || !m->keeps_data;
                if (step_fact_set(ctx, started, "yes", ctx->diag) < 0)
                        return STEP_FAILED;
        }
        if (m->online)
                step_say(ctx, OUT_INFO, _("online migration %zu, the service running"), i + 1);
        step_set_interruptible(ctx, false);
        r = step_run_cmdlist(ctx, &m->run);
        step_set_interruptible(ctx, true);
        if (r < 0) {
                struct diag ignored = {0};

                /* It ended, with an error: failed, not in doubt. */
                (void)step_fact_set(ctx, started, "failed", &ignored);
                return STEP_FAILED;
        }
        if (step_fact_set(ctx, done, "yes", ctx->diag) < 0)
                return STEP_FAILED;
        if (step_interrupted(ctx)) {
                diag_set(ctx->diag, _("interrupted after migration %zu finished"), i + 1);
                return STEP_FAILED;
        }
        return 0;
}

int
migrate_run_some(struct step_ctx *ctx, bool online, size_t *ret_ran)
{
        const struct plan *p = ctx->plan;
        bool confirmed = false;
        size_t ran = 0;

        for (size_t i = 0; i < p->migrate.n; i++) {
                const struct migration *m = &p->migrate.v[i];
                char done[64];
                bool holds;
                int r;

                if (m->online != online)
                        continue;
                if (step_cond(ctx, &m->when, &holds) < 0)
                        return STEP_FAILED;
                if (!holds)
                        continue;
                step_hop_key(ctx, done, sizeof done, "migrate.done.%zu", i);
                if (step_fact(ctx, done) != NULL) {
                        step_say(ctx, OUT_INFO, _("migration %zu was done before"), i + 1);
                        continue;
                }
                r = migrate_one(ctx, m, i, &confirmed);
                if (r < 0)
                        return r;
                if (r == 0)
                        ran++;
        }
        if (ret_ran)
                *ret_ran = ran;
        return STEP_OK;
}

bool
migrate_any(const struct plan *p, bool online)
{
        for (size_t i = 0; i < p->migrate.n; i++)
                if (p->migrate.v[i].online == online)
                        return true;
        return false;
}

static int
migrate_run(struct step_ctx *ctx)
{
        size_t ran = 0;
        int r = migrate_run_some(ctx, false, &ran);

        if (r == STEP_OK && ran == 0)
                step_say(ctx, OUT_INFO, migrate_any(ctx->plan, true)
                         ? _("nothing to migrate with the service stopped: the online migrations run once it is ready")
                         : _("nothing to migrate for this version"));
        return r;
}

/* Undo: the data paths back from the verified backup. */
static int
migrate_undo(struct step_ctx *ctx)
{
        return backup_archive_restore(ctx);
}

/* The plan's migrate: section --------------------------------------------- */

static const char *const migrate_keys[] = { "steps", NULL };
static const char *const migration_keys[] = {
        "when", "run", "point_of_no_return", "probe", "changes_data", "online", NULL,
};

/* changes_data: false: a command that changes nothing (a configuration
 * test), so never a point of no return. */
static int
pchanges_data(struct pctx *c, const struct ynode *n, struct migration *m)
{
        struct ynode *v = popt(n, "changes_data");
        bool changes = true;
        int r;

        if (v == NULL)
                return 0;
        if ((r = pbool(c, v, &changes)) < 0)
                return r;
        if (!changes && popt(n, "point_of_no_return"))
                return perr(c, v, _("a migration with changes_data: false cannot have a "
                                    "point_of_no_return: (it changes nothing)"));
        m->keeps_data = !changes;
        return 0;
}

static int
pmigration(struct pctx *c, const struct ynode *n, struct migration *m)
{
        const char *where = _("a migration");
        struct ynode *v;
        int r;

        if (n->kind != YNODE_MAP)
                return perr(c, n, _("expected a migration: a mapping with run:"));
        if ((r = pkeys(c, n, migration_keys, where)) < 0)
                return r;
        m->pos = pnode_pos(n);
        if ((v = popt(n, "run")) == NULL)
                return pmissing(c, n, "run", where);
        if ((r = pcmdlist(c, v, &m->run)) < 0)
                return r;
        if ((v = popt(n, "when")) && (r = pcond(c, v, &m->when)) < 0)
                return r;
        if ((v = popt(n, "point_of_no_return")) &&
            (r = pstr(c, v, &m->point_of_no_return)) < 0)
                return r;
        if ((v = popt(n, "probe")) && (r = pcmd_new(c, v, &m->probe)) < 0)
                return r;
        if ((v = popt(n, "online")) && (r = pbool(c, v, &m->online)) < 0)
                return r;
        return pchanges_data(c, n, m);
}

static int
migrate_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        const struct ynode *list = n;
        int r;

        if (n->kind == YNODE_MAP) {
                if ((r = psection_keys(c, n, migrate_keys, _("migrate"))) < 0)
                        return r;
                list = popt(n, "steps");
        }
        if (ynode_is_null(list))
                return 0;
        if (list->kind != YNODE_SEQ)
                return perr(c, list, _("expected a list of migrations"));
        p->migrate.v = xcalloc(list->n + 1, sizeof *p->migrate.v);
        for (size_t i = 0; i < list->n; i++) {
                p->migrate.n = i + 1;
                if ((r = pmigration(c, list->items[i], &p->migrate.v[i])) < 0)
                        return r;
        }
        return 0;
}

void
migrate_describe_some(struct step_describe *s, bool online)
{
        const struct plan *p = s->p;

        for (size_t i = 0; i < p->migrate.n; i++) {
                const struct vrange *t = p->migrate.v[i].when.target;

                if (p->migrate.v[i].online != online)
                        continue;
                /* In a hop, only what its target runs. */
                if (s->hop > 0 && t &&
                    !vrange_match_as(t, p->version_scheme, vars_get(s->vars, "target")))
                        continue;
                if (online)
                        fprintf(s->out, _("      online migration %zu, the service running:\n"), i + 1);
                describe_cond(s, &p->migrate.v[i].when);
                if (p->migrate.v[i].keeps_data)
                        fprintf(s->out, _("      changes no data (not confirmed)\n"));
                if (p->migrate.v[i].point_of_no_return) {
                        char *x = describe_str(s, p->migrate.v[i].point_of_no_return);

                        fprintf(s->out, _("      POINT OF NO RETURN: %s\n"), x);
                        free(x);
                }
                describe_cmds(s, NULL, &p->migrate.v[i].run);
        }
}

static void
migrate_describe(struct step_describe *s)
{
        if (!migrate_any(s->p, false))
                fprintf(s->out, migrate_any(s->p, true)
                        ? _("      nothing to migrate with the service stopped (see verify for the online migrations)\n")
                        : _("      nothing to migrate\n"));
        migrate_describe_some(s, false);
}

const struct step_module step_migrate = {
        .abi = STEP_ABI,
        .title = N_("Migrate data"),
        .what = N_("Run the plan's migration commands for this version."),
        .consequence = step_migrate_consequence,
        .undo_what = N_("Restore the data from the verified backup (the data it replaces is kept aside), unless the plan says restore_on_rollback: false."),
        .undo_label = "restore",
        .risk = RISK_DESTRUCTIVE,
        .per_hop = true,
        .plan = { .parse = migrate_parse },
        .describe = migrate_describe,
        .confirms_itself = true,
        .run = migrate_run,
        .undo = migrate_undo,
};
