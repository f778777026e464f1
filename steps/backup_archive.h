/* backup_archive.h: the verified backup archive of the data paths.
 *
 * backup makes it (or stop, for a cold backup taken once the service is
 * down); migrate's undo restores from it. Its facts (FACT_BACKUP_*,
 * steps/facts.h) say where it is, its SHA-256 and that it was read back and
 * verified. All return STEP_OK or STEP_FAILED with the message in ctx->diag.
 */
#ifndef UPSHIFT_BACKUP_ARCHIVE_H
#define UPSHIFT_BACKUP_ARCHIVE_H

#include "lib/archive.h"
#include "lib/util.h"
#include "steps/step.h"

/* Compression and level into o: the answers' built-in keys, else the plan's. */
void backup_archive_options(struct step_ctx *ctx, struct backup_opts *o);
/* Append the expanded data paths to *ret, and ${backup_work} when online
 * backup commands wrote there. On failure *ret is released. */
int  backup_archive_paths(struct step_ctx *ctx, struct strv *ret);
/* Is the journaled archive there and whole (read back and checked)? */
int  backup_archive_probe(struct step_ctx *ctx);
/* Archive the data paths into ${backup_dir} and verify the archive by
 * reading it back; an unverified archive an interrupted attempt left is
 * removed first. Nothing to do when the archive is already made and whole. */
int  backup_archive_make(struct step_ctx *ctx);
/* Put the data paths back from the journaled, verified backup (migrate's
 * undo): checked first, unpacked beside each path, swapped in by rename;
 * the data it replaced is kept beside it. Re-entrant after a crash. */
int  backup_archive_restore(struct step_ctx *ctx);

#endif
