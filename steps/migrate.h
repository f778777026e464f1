/* migrate.h: the plan's migrations, shared by the migrate step (offline
 * migrations, the service stopped) and verify (online: true, run once the
 * new version is started and ready, before verify's checks).
 *
 * Both run with the same journaling (migrate.started.N / migrate.done.N, N
 * the migration's index in the plan), probe: and point-of-no-return rules:
 * see steps/migrate.c. */
#ifndef UPSHIFT_MIGRATE_H
#define UPSHIFT_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "steps/describe.h"
#include "steps/step.h"

/* Run the migrations whose online: is online and whose when: holds, those
 * done before skipped. *ret_ran (when given): how many ran now. STEP_OK,
 * STEP_FAILED or STEP_ABORT (not confirmed), the message in ctx->diag. */
int  migrate_run_some(struct step_ctx *ctx, bool online, size_t *ret_ran);
/* Does the plan have a migration with online: online? */
bool migrate_any(const struct plan *p, bool online);
/* `upshift plan`: the migrations whose online: is online. */
void migrate_describe_some(struct step_describe *s, bool online);

#endif
