/* undo_cmds.c: the undo: of a plan's commands, journaled when the command
 * has run (step_undo_record) and run by rollback, last first
 * (step_undo_cmds). The records are FACT_CMD_UNDO_PREFIX N = "STEP HOP
 * LINE:COL" (where the undo: is in the plan) and N.done once it has run. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "steps/facts.h"
#include "steps/step.h"

/* The journal key of the Nth command undo: record. */
static void
undo_key(char *buf, size_t n, unsigned i, const char *suffix)
{
        snprintf(buf, n, FACT_CMD_UNDO_PREFIX "%u%s", i, suffix);
}

/* How many cmd_undo.N records there are. */
static unsigned
undo_count(const struct step_ctx *ctx)
{
        char key[64];
        unsigned n;

        for (n = 0; n < 100000; n++) {
                undo_key(key, sizeof key, n + 1, "");
                if (step_fact(ctx, key) == NULL)
                        break;
        }
        return n;
}

int
step_undo_record(struct step_ctx *ctx, const struct cmd *c)
{
        unsigned n = undo_count(ctx);
        char key[64], *val;
        int r = 0;

        val = xasprintf("%s %u %u:%u", step_key(ctx->id), step_hop(ctx), c->undo->pos.line,
                        c->undo->pos.col);
        for (unsigned i = 1; i <= n && r == 0; i++) {
                undo_key(key, sizeof key, i, "");
                if (strcmp(step_fact(ctx, key), val) == 0)
                        r = 1;
        }
        undo_key(key, sizeof key, n + 1, "");
        if (r == 0 && step_fact_set(ctx, key, val, ctx->diag) < 0)
                r = STEP_FAILED;
        free(val);
        return r < 0 ? STEP_FAILED : 0;
}

/* One undo record: run its undo: in its hop. 0 done, 1 failed (said). */
static int
undo_one(struct step_ctx *ctx, unsigned i, unsigned hop, unsigned line, unsigned col)
{
        const struct cmd *u = plan_undo_at(ctx->plan, line, col);
        char key[64];
        int r;

        if (u == NULL) {
                /* TRANSLATORS: line and column of the plan file */
                step_say(ctx, OUT_WARN, _("cannot undo a command: the plan has no undo: at %u:%u any more (it was edited); undo it by hand"),
                         line, col);
                return 1;
        }
        if (hop != step_hop(ctx) && hop <= step_hop_count(ctx) &&
            step_set_hop(ctx, hop, ctx->diag) < 0)
                return STEP_FAILED;
        r = step_run_cmd(ctx, u, NULL, NULL);
        if (r < 0) {
                /* TRANSLATORS: %s says which command failed, its exit status and why */
                step_say(ctx, OUT_WARN, _("undo failed: %s; run it by hand once the cause is fixed"),
                         ctx->diag->msg);
                diag_clear(ctx->diag);
                return 1;
        }
        undo_key(key, sizeof key, i, ".done");
        return step_fact_set(ctx, key, "yes", ctx->diag) < 0 ? STEP_FAILED : 0;
}

int
step_undo_cmds(struct step_ctx *ctx, unsigned *ret_failed)
{
        unsigned n = undo_count(ctx), hop0 = step_hop(ctx);
        const char *step = step_key(ctx->id);
        int r = 0;

        for (unsigned i = n; i >= 1 && r >= 0; i--) {
                char key[64], name[32];
                unsigned hop, line, col;

                undo_key(key, sizeof key, i, ".done");
                if (step_fact(ctx, key))
                        continue;
                undo_key(key, sizeof key, i, "");
                if (sscanf(step_fact(ctx, key), "%31s %u %u:%u", name, &hop, &line, &col) != 4 ||
                    strcmp(name, step) != 0)
                        continue;
                r = undo_one(ctx, i, hop, line, col);
                if (r == 1)
                        (*ret_failed)++;
        }
        if (step_hop(ctx) != hop0 && step_set_hop(ctx, hop0, ctx->diag) < 0)
                r = STEP_FAILED;
        return r < 0 ? STEP_FAILED : 0;
}
