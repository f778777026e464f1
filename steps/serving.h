/* serving.h: is the process that serves running the file the swap
 * installed (after verify), or the old file put back (after a rollback)?
 *
 * The service's pid comes from service_status() (systemd's MainPID, the
 * pid file); its executable from /proc/PID/exe (service_exe()). When that
 * executable is one of the swap's targets (swap.target.N), what it runs
 * must hash as the journal says: staged.N.sha256 after verify,
 * swap.old.N.sha256 after a rollback. A process still running a replaced
 * file shows " (deleted)" and hashes as that file. With no pid to ask, or
 * an executable the swap did not replace, nothing is checked (said so).
 */
#ifndef UPSHIFT_SERVING_H
#define UPSHIFT_SERVING_H

#include "steps/step.h"

enum serving_side {
        SERVING_NEW,            /* after verify: the current hop's new file */
        SERVING_OLD,            /* after a rollback: hop 1's old file */
};

/* STEP_OK, or STEP_FAILED with one line in ctx->diag naming the pid, what
 * it runs and what to do. For SERVING_OLD the caller makes hop 1 current. */
int  serving_check(struct step_ctx *ctx, enum serving_side side);

/* Quietly: 1 when the process serving runs side's file, 0 when it does not
 * (or none is running), a negative errno when it cannot be told (no pid,
 * an executable the swap does not replace). */
int  serving_runs(struct step_ctx *ctx, enum serving_side side);

#endif
