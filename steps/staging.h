/* staging.h: the package's files staged beside their targets, and the
 * journal records of what detect staged and what swap did to each file.
 *
 * detect extracts the package into ${staging}/<N> and journals entry N with
 * staged_save(); staging_prestage() then writes each new file beside its
 * target as TARGET.upshift-new (TARGET.upshift-new.HOP after the first hop),
 * checked by hash, so that the swap itself is renames, and stamps it and
 * the old target, so that the swap need not read either again. swap reads the
 * entries back with staged_load().
 *
 * Entry N is a file the swap installs: with a directory mapping (a member
 * ending in "/") detect journals one entry per file found below it, with its
 * member, its mapping (map) and, for a symlink, its text (link; installed as
 * a symlink); without one, entry N is the plan's mapping N (journals from
 * before mappings of directories look the same). A symlink's "hash" is
 * package_link_sha256() of its text.
 *
 * Every record is the current hop's: the key prefix "hopN." of hop N >= 2 is
 * added here (step_hop_key). The keys, which are journal data and never
 * change:
 *   staged.count                 entries, with a directory mapping
 *   staged.N.sha256, staged.N.mode (octal), staged.N.member, staged.N.map,
 *   staged.N.link                entry N (struct staged_entry)
 *   staged.N.old                 "HEX STAMP": the hash of what was at the
 *                                target when detect read it, and its stamp
 *   staged.N.new_stamp           the stamp of TARGET.upshift-new when detect
 *                                read it back (its hash is staged.N.sha256)
 *   swap.target.N                the real path entry N goes to
 *   swap.old.N.sha256            hash of what was there before, or "none"
 *   swap.done.N                  "yes": entry N is in place
 *   swap.mkdir.K                 a directory made for new files, in order
 */
#ifndef UPSHIFT_STAGING_H
#define UPSHIFT_STAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/sha256.h"
#include "lib/stamp.h"
#include "steps/step.h"

/* One file the swap installs. Strings point into the fact store: valid
 * until the same fact is set again. */
struct staged_entry {
        const char *member;     /* package member (the plan's own without a
                                   directory mapping); saved only when set */
        size_t      map;        /* index in plan->swap.files; saved with member */
        bool        dir;        /* found below a mapped directory (from the plan;
                                   not saved) */
        const char *link;       /* symlink text, or NULL */
        const char *sha256;     /* of the new file; NULL when not staged */
        mode_t      mode;       /* permission bits */
};

/* Queue entry i's records (journaled by step_facts_commit(), as one batch
 * with the others). Returns 0. */
int  staged_save(struct step_ctx *ctx, size_t i, const struct staged_entry *e);
/* Read entry i back, filling what is not journaled from the plan. Returns 0,
 * or -ENOENT when its hash or mode is not journaled (it was not staged). */
int  staged_load(struct step_ctx *ctx, size_t i, struct staged_entry *ret);
/* How many entries there are: staged.count (queued), else the plan's mappings. */
int  staged_count_save(struct step_ctx *ctx, size_t n);
size_t staged_count(struct step_ctx *ctx);

/* staged.I.FIELD of the current hop: read; queued (the codecs' own). */
const char *staged_get(struct step_ctx *ctx, size_t i, const char *field);
void staged_set(struct step_ctx *ctx, size_t i, const char *field, const char *value);

/* Detect's stamps (lib/stamp.h) of entry i's files, so that the swap need
 * not read again a file that has not changed since: its target
 * (staged.N.old, with the hash) or TARGET.upshift-new (staged.N.new_stamp,
 * whose hash is the entry's). Queued: journaled by step_facts_commit().
 * Journals from before stamps have none: every file is read. */
enum staged_side { STAGED_OLD, STAGED_NEW };
void staged_stamp_queue(struct step_ctx *ctx, size_t i, enum staged_side side,
                        const struct stamp *s, const char *hex);

/* swap's records of entry (or directory) i. */
enum swap_rec {
        SWAP_TARGET,            /* swap.target.N */
        SWAP_OLD,               /* swap.old.N.sha256 */
        SWAP_DONE,              /* swap.done.N */
        SWAP_MKDIR,             /* swap.mkdir.K */
};
const char *swap_rec(struct step_ctx *ctx, enum swap_rec r, size_t i);  /* NULL: absent */
int  swap_rec_set(struct step_ctx *ctx, enum swap_rec r, size_t i, const char *value);
/* The same, queued: journaled with the batch by step_facts_commit(). */
void swap_rec_queue(struct step_ctx *ctx, enum swap_rec r, size_t i, const char *value);

/* TARGET.upshift-new, or TARGET.upshift-new.HOP after the first hop. New string. */
char *staging_new_path(struct step_ctx *ctx, const char *target);
/* What is at path: 1 when nothing is, else 0 with its hash in hex (a
 * symlink's from its text, never followed), or STEP_FAILED. */
int  staging_hash(struct step_ctx *ctx, const char *path, char hex[SHA256_HEX_LEN + 1]);
/* staging_hash() of entry i's target (STAGED_OLD) or of its new file
 * (STAGED_NEW) at path, without reading it when detect's stamp of it is
 * settled and the file is as stamped (stamp_unchanged): then the hash detect
 * read. 1 when nothing is there, 0 with hex, or STEP_FAILED. */
int  staging_hash_stamped(struct step_ctx *ctx, size_t i, enum staged_side side,
                          const char *path, char hex[SHA256_HEX_LEN + 1]);
/* Read TARGET.upshift-new (new) of entry e back: it must hash as e says
 * (else it is removed). With ret_stamp, its stamp, taken before it is read
 * (all 0 when lstat failed: never settled). 0 or STEP_FAILED. */
int  staging_check_new(struct step_ctx *ctx, const struct staged_entry *e, const char *new,
                       struct stamp *ret_stamp);
/* Hash and stamp (queued) each entry's old target, targets->v[i] for entry
 * i, that is a file or a symlink; one that cannot be read gets no stamp.
 * ret_same[i] (targets->n of them): it holds entry i's new file already
 * (in hop 1 only: a later hop's targets change before its swap). */
void staging_stamp_olds(struct step_ctx *ctx, const struct strv *targets, bool *ret_same);
/* Wait until the files at paths, written before written_ns (stamp_clock_ns),
 * are settled, so that stamps taken next are trusted: at most a tick of
 * their filesystem's times (stamp_racy_ns) from written_ns, and only when they hold 4 MiB or more (fewer are read
 * again in the swap in a few milliseconds). Interruptible (step_sleep). */
void staging_settle(struct step_ctx *ctx, const struct strv *paths, int64_t written_ns);
/* The real path entry i goes to (journaled, else from the plan, a symlink
 * at the target followed). *ret is a new string. 0 or STEP_FAILED. */
int  staging_target(struct step_ctx *ctx, size_t i, char **ret);
/* The directory that holds path (entry e's target, or a file beside it),
 * opened (O_PATH) for the *at calls that write there: for an entry below a
 * mapped directory, beneath it (fs_open_beneath: never through a symlink
 * or out of it, whatever was planted since detect looked), else as it is.
 * *ret_name is path's last component. Returns the fd, or STEP_FAILED with
 * the message in ctx->diag; with ret_missing, a directory that does not
 * exist is STEP_FAILED with *ret_missing set and no message. */
int  staging_open_dir(struct step_ctx *ctx, const struct staged_entry *e, const char *path,
                      const char **ret_name, bool *ret_missing);
/* mkdir d (0755), a directory above entry e's target: beneath its mapped
 * directory when d is below it. 0 (made, or there already) or STEP_FAILED. */
int  staging_make_dir(struct step_ctx *ctx, const struct staged_entry *e, const char *d);
/* path's last component (a pointer into path). */
const char *staging_path_last(const char *path);
/* Make TARGET.upshift-new of entry i hold the new file (or link), checked
 * by hash: copied from the staging directory unless it is there already.
 * With sync, the copy and its directory entry are synced; without, the
 * caller syncs a batch (staging_sync). *ret_target is the real target path
 * (new string). 0 or STEP_FAILED. */
int  staging_prestage_one(struct step_ctx *ctx, size_t i, char **ret_target, bool sync);
/* Make durable what was written at paths (and their directory entries):
 * one syncfs() per filesystem. 0 or STEP_FAILED. */
int  staging_sync(struct step_ctx *ctx, const struct strv *paths);

/* Every entry, for detect after staging: every old target hashed and
 * stamped; every new file written (none for a target that holds it
 * already), one sync; then (staging_settle) every new file read back and
 * stamped, so that the stamps are settled when taken (a file written less
 * than a tick before is read again in the swap). The stamps are
 * journaled in one batch at the end. STEP_OK or STEP_FAILED. */
int  staging_prestage(struct step_ctx *ctx);
/* Remove the TARGET.upshift-new files, and with dirs the directories made
 * for them (detect's undo; swap's undo and its probe without). */
void staging_unstage(struct step_ctx *ctx, bool dirs);
/* Remove the directories made for new files, deepest first, when empty. */
void staging_remove_dirs(struct step_ctx *ctx);

/* Say how many files of each mapped directory something happened to;
 * per_map is indexed like plan->swap.files. */
enum staging_news { STAGING_STAGED, STAGING_SWAPPED, STAGING_RESTORED };
void staging_say_dirs(struct step_ctx *ctx, const size_t *per_map, enum staging_news what);

#endif
