/* disable.h: what disconnect: disable: turns off, and turning it back on.
 *
 * disable_apply() (disconnect's run) goes through the plan's disable: items
 * in order. Write-ahead: what is about to be turned off is journaled as
 * facts before it is changed, so that a crash at any point leaves nothing
 * the journal does not know about:
 *   disable.N.unit.M.was   what systemd unit M of item N was: "enabled",
 *                          "active" or "enabled active" (written first)
 *   disable.N.unit.M       its name (then "systemctl disable --now UNIT")
 *   disable.N.file         the crontab file of item N, as expanded
 *   disable.N.line.M       a line of it exactly as it was; the file then holds
 *                          "#upshift(PLAN) disabled: LINE" in its place (written
 *                          by rename beside it, mode and owner kept)
 * A unit that is neither enabled nor active, a missing crontab file and a
 * host where systemd does not run are left alone (said, not journaled).
 * Entered again after a crash it finishes the work without journaling
 * anything twice.
 *
 * disable_restore() (reconnect's run, disconnect's undo) turns back on
 * exactly what the journal names, and nothing else: a unit is enabled again
 * when it was enabled and is not now, started when it was active and is not
 * now; a commented-out line is put back as it was. It looks at the present
 * state first, so running it twice changes nothing the second time. A line
 * that can no longer be found is a warning naming it, not a failure.
 * Both return STEP_OK or STEP_FAILED with the message in ctx->diag.
 */
#ifndef UPSHIFT_DISABLE_H
#define UPSHIFT_DISABLE_H

#include "steps/step.h"

int disable_apply(struct step_ctx *ctx);
int disable_restore(struct step_ctx *ctx);

#endif
