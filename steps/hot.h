/* hot.h: a hot swap (swap: hot: true): the files are swapped while the
 * server runs, the plan's reload: makes it re-execute, and readiness is
 * polled throughout to measure the downtime, if any. */
#ifndef UPSHIFT_STEPS_HOT_H
#define UPSHIFT_STEPS_HOT_H

#include "lib/plan_schema.h"
#include "steps/describe.h"
#include "steps/serving.h"
#include "steps/step.h"

/* swap: hot: and reload: of mapping n (the swap section): 0, or a
 * negative errno with file:line:column in c. */
int  hot_parse(struct pctx *c, const struct ynode *n);

/* The reason stop and disconnect are skipped in a hot swap, else NULL. */
const char *hot_skip(struct step_ctx *ctx);

/* After the files are in place (side SERVING_NEW: the swap; SERVING_OLD:
 * its undo): run reload: and poll readiness until the serving process runs
 * that side's file and a little longer, counting failed polls. Journals the
 * downtime measured (FACT_HOT_DOWN_MS, the hop's) after the swap. STEP_OK at once when
 * the swap is not hot or the reload was done; STEP_FAILED with ctx->diag. */
int  hot_reload(struct step_ctx *ctx, enum serving_side side);

/* `upshift plan`: says the swap is hot and shows reload:. */
void hot_describe(struct step_describe *s);

/* verify.c: one readiness try of verify: ready: (STEP_OK when the plan has
 * none); STEP_FAILED with why in ctx->diag. */
int  verify_ready_once(struct step_ctx *ctx);
/* verify.c: service_start(s), with the plan's ready check (when it has
 * one) as what tells that a start command still running is up; says so
 * when it is left running as the service. service_start's return. */
struct service;
int  verify_service_start(struct step_ctx *ctx, struct service *s);

#endif
