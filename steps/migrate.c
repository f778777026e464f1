/* migrate: the plan's migration commands whose condition holds, output
 * streamed, a point of no return confirmed as such. */
#include <config.h>

#include <stdlib.h>

#include "i18n.h"
#include "step.h"

static const char step_migrate_consequence[] =
        N_("The data is changed for the new version; the backup is the way back.");

static int
migrate_run(struct step_ctx *ctx)
{
        const struct plan *p = ctx->plan;
        size_t ran = 0;

        bool confirmed = false;

        for (size_t i = 0; i < p->migrate.n; i++) {
                const struct migration *m = &p->migrate.v[i];
                char key[48];
                bool holds;

                if (step_cond(ctx, &m->when, &holds) < 0)
                        return STEP_FAILED;
                if (!holds)
                        continue;
                snprintf(key, sizeof key, "migrate.done.%zu", i);
                if (engine_fact(ctx->eng, key) != NULL) {
                        engine_say(ctx->eng, OUT_INFO, _("migration %zu was done before"), i + 1);
                        continue;
                }
                if (!confirmed && !m->point_of_no_return) {
                        if (engine_confirm(ctx->eng, STEP_MIGRATE, _("Migrate data"),
                                           _(step_migrate_consequence)) != STEP_OK) {
                                diag_set(ctx->diag, _("the migration was not confirmed"));
                                return STEP_ABORT;
                        }
                        confirmed = true;
                }
                if (m->point_of_no_return) {
                        char *msg = NULL;

                        if (step_expand(ctx, m->point_of_no_return, &msg) < 0)
                                return STEP_FAILED;
                        engine_say(ctx->eng, OUT_WARN, _("point of no return: %s"), msg);
                        if (engine_confirm(ctx->eng, STEP_MIGRATE, _("Run the migration"), msg) != STEP_OK) {
                                diag_set(ctx->diag, _("the migration was not confirmed"));
                                free(msg);
                                return STEP_ABORT;
                        }
                        free(msg);
                }
                if (step_run_cmdlist(ctx, &m->run) < 0)
                        return STEP_FAILED;
                if (engine_fact_set(ctx->eng, key, "yes", ctx->diag) < 0)
                        return STEP_FAILED;
                ran++;
        }
        if (ran == 0)
                engine_say(ctx->eng, OUT_INFO, _("nothing to migrate for this version"));
        return STEP_OK;
}

const struct step_module step_migrate = {
        .abi = STEP_ABI,
        .id = STEP_MIGRATE,
        .name = "migrate",
        .title = N_("Migrate data"),
        .what = N_("Run the plan's migration commands for this version."),
        .consequence = step_migrate_consequence,
        .risk = RISK_DESTRUCTIVE,
        .confirms_itself = true,
        .run = migrate_run,
};
