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

/* The note (step_note_set) backup's check leaves for its run: the bytes of
 * data it measured, the progress total of the full backup when no backup
 * command runs in between (one could add data). */
#define NOTE_BACKUP_BYTES "backup.data_bytes"

/* Compression and level into o: the answers' built-in keys, else the plan's. */
void backup_archive_options(struct step_ctx *ctx, struct backup_opts *o);
/* Append the expanded data paths to *ret, and ${backup_work} when online
 * backup commands wrote there. On failure *ret is released. */
int  backup_archive_paths(struct step_ctx *ctx, struct strv *ret);
/* Is the journaled archive there and whole (read back and checked)? */
int  backup_archive_probe(struct step_ctx *ctx);
/* Archive the data paths into ${backup_dir} and verify the archive by
 * reading it back; an unverified archive an interrupted attempt left is
 * removed first. Nothing to do when the archive is already made and whole.
 * live: the service runs meanwhile, and the stamp of every file archived
 * is kept beside the archive (ARCHIVE.stamps) for the delta that
 * completes it once the service has stopped (backup_delta_make). */
int  backup_archive_make(struct step_ctx *ctx, bool live);
/* The same, even when an archive was made already. */
int  backup_archive_full(struct step_ctx *ctx, bool live);

/* Which facts one archive's are: the full backup's (FACT_BACKUP_*) or the
 * delta's (FACT_DELTA_*); tag goes into its file name. */
struct backup_kind {
        const char *tag, *pending, *path, *sha256, *size, *verified;
};
extern const struct backup_kind backup_kind_delta;
/* Remove the unverified archive an interrupted attempt of this kind left. */
int  backup_archive_drop_pending(struct step_ctx *ctx, const struct backup_kind *k);
/* Write the archive of paths (journaled as pending first) with o's
 * compression and hooks. */
int  backup_archive_write(struct step_ctx *ctx, const struct backup_kind *k, struct strv *paths,
                          struct backup_opts *o, struct backup_result *res);
/* Read it back, check every member, then journal in one batch (one sync)
 * its path and size, facts (key, value pairs, NULL after the last; may be
 * NULL), its SHA-256, and verified. */
int  backup_archive_check(struct step_ctx *ctx, const struct backup_kind *k,
                          const struct backup_result *res, const char *const *facts);

/* steps/backup_delta.c: a cold backup in two parts. */
/* Keep the stamp (lib/stamp.h) of every file the backup in o archives, in
 * a file of the backup directory; backup_stamps_end() puts it beside the
 * archive as ARCHIVE.stamps, backup_stamps_abort() releases what is left. */
int  backup_stamps_begin(struct step_ctx *ctx, struct backup_opts *o);
int  backup_stamps_end(struct step_ctx *ctx, struct backup_opts *o, const char *archive);
void backup_stamps_abort(struct backup_opts *o);
/* Complete the live backup once the service has stopped: archive what
 * changed since it (by stamp), list what is gone, verify, journal
 * (FACT_DELTA_*). Without a live backup (or its stamps), a full one is
 * made instead, as a cold backup always was. */
int  backup_delta_make(struct step_ctx *ctx);
/* Is the cold backup complete (by the journal: its delta verified, or, for
 * a journal from before, its one archive)? */
bool backup_cold_done(struct step_ctx *ctx);
/* The journaled delta, checked against its SHA-256s, for a restore:
 * ret->archive and the removed list, or nothing (ret->archive NULL) when
 * the backup has no delta. The names are in removed (release it). */
int  backup_delta_load(struct step_ctx *ctx, struct restore_delta *ret, struct strv *removed);

/* Put the data paths back from the journaled, verified backup (migrate's
 * undo): checked first, unpacked beside each path, swapped in by rename;
 * the data it replaced is kept beside it. Re-entrant after a crash. */
int  backup_archive_restore(struct step_ctx *ctx);

#endif
