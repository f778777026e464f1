/* archive.h: backups (tar + manifest, libarchive) and their verification.
 *
 * A backup is a pax tar, compressed (zstd by default), holding each data path
 * under its absolute path without the leading "/", followed by a last member
 * named ARCHIVE_MANIFEST in sha256sum(1) format ("<hex>  <member>\n" for
 * every regular file), so that
 *     tar -xf B -C x && cd x && sha256sum -c UPSHIFT-MANIFEST.sha256
 * checks it without upshift. The archive is created 0600 with O_EXCL, fsynced
 * before archive_backup() returns; on any error the partial file is removed.
 * The archive's own SHA-256 is taken while it is written, or, with
 * backup_opts.sha256_later (what the backup step does), by the
 * archive_verify_sum() that reads it back anyway: the bytes on the disk.
 *
 * Kept for every member: owner and group (by name and number), mode, times,
 * xattrs, POSIX ACLs, symlink targets, hard links (a later name of a file is
 * a hard-link member to its first name). A sparse file's holes are stored
 * as zeros, which compress to almost nothing; restores make holes of runs
 * of zeros again. Sockets are left out, as tar does.
 *
 * zstd runs with one thread per CPU (libarchive's zstd:threads), except in
 * a partial backup (backup_opts.select: a few files); the level
 * is the plan's (backup_opts.level, 0 for the compressor's default: 3 for
 * zstd, 6 for gzip and xz). The files are hashed for the manifest on a
 * thread of their own as they are read once there is more than 1 MiB of
 * them (archive_hasher.c), which also writes the manifest as it goes. Per
 * member the backup makes one stat (a file readdir names as regular or a
 * directory is opened and fstat'ed, looked up relative to its directory)
 * and asks for xattrs and ACLs only when flistxattr lists some, and not at
 * all on a filesystem without xattrs or file flags (archive_meta.c); runs
 * of regular files are opened and read ahead on a thread of their own
 * (archive_ahead.c). The progress total is the caller's (backup_opts.total)
 * or else, when there is a progress callback, measured meanwhile on a
 * thread of its own (measure_start()).
 */
#ifndef UPSHIFT_ARCHIVE_H
#define UPSHIFT_ARCHIVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/stat.h>

#include "lib/diag.h"
#include "lib/sha256.h"

#define ARCHIVE_MANIFEST "UPSHIFT-MANIFEST.sha256"

/* Called at least once a second during long work. total may be 0 (unknown). */
typedef void (*progress_fn)(void *ud, uint64_t done, uint64_t total);

/* Hooks of a backup, given each entry's member name (its path without the
 * leading "/") and the stat(2) it is archived with, taken before its data
 * is read. */
typedef bool (*member_select_fn)(void *ud, const char *member, const struct stat *st);
typedef int  (*member_seen_fn)(void *ud, const char *member, const struct stat *st);

struct backup_opts {
        const char *compression;        /* "zstd" (default when NULL), "gzip", "xz", "none" */
        int         level;              /* 0: default */
        bool        sha256_later;       /* leave backup_result.sha256 empty: the caller
                                         * takes it from archive_verify_sum() */
        progress_fn progress;
        void       *ud;
        /* The data's size, when the caller has just measured it (the
         * backup step's space check): the progress total is then this, or
         * what was read once that is more, and the data is not walked a
         * second time to measure it. 0: measured meanwhile. */
        uint64_t    total;
        /* When set, it is asked about every entry, and an entry that is not
         * a directory is archived only when it says so (a partial backup:
         * directories are always archived). It is given a file's lstat, and
         * only the files it takes are opened (then fstat'ed: the entry has
         * the stat of what was read, and select is asked again when the name
         * led to another file by then). The progress total of a partial
         * backup is 0: it is not measured. */
        member_select_fn select;
        /* When set, called for every entry archived; non-zero (a -errno,
         * with the message in the diag) stops the backup. */
        member_seen_fn   seen;
        void            *hook_ud;
        /* The service runs while this backup reads (a partial backup taken
         * once it has stopped completes it): a file that shrinks while it is
         * read is padded with zeros to the size its entry gave instead of
         * failing the backup; its stamp changed, so the partial backup
         * takes it again. */
        bool             live;
};

struct backup_result {
        char     *path;                 /* the archive (new string) */
        uint64_t  bytes_in;             /* bytes of file data read */
        uint64_t  size;                 /* archive size on disk */
        size_t    members;              /* entries written, manifest excluded */
        char      sha256[SHA256_HEX_LEN + 1];  /* of the archive file itself ("" with
                                                * sha256_later) */
        char      manifest_sha256[SHA256_HEX_LEN + 1]; /* of the manifest member */
};

/* Sum of the sizes of the regular files under paths (for estimates). */
int  archive_measure(char *const *paths, size_t n, uint64_t *ret_bytes, struct diag *d);

/* What archive_measure sums, on a thread of its own, so that a backup's
 * progress total costs its walk nothing: measure_total() is 0 (unknown)
 * until the thread has finished, then the sum of what it could read (the
 * backup's own walk reports what is wrong). It walks in readdir's order,
 * without names, statting no directory: a lighter walk than the backup's,
 * on the same CPUs. paths must outlive measure_join(). */
struct measure_job {
        pthread_t         thread;
        char *const      *paths;
        size_t            n;
        _Atomic uint64_t  total;
        bool              running;
};
void     measure_start(struct measure_job *j, char *const *paths, size_t n);
uint64_t measure_total(struct measure_job *j);
void     measure_join(struct measure_job *j);

/* Estimate the size of the archive archive_backup() would write, for a
 * free-space check before it. *ret_raw is the bytes of file data (as
 * archive_measure gives). *ret_estimate is ratio * raw + overhead:
 *   - ratio: windows of 64 KiB are read from the data, in the order the
 *     backup reads it, and compressed in memory as one stream with o's
 *     compression and level (1 when "none"). Up to 200 windows, spread
 *     evenly over the bytes, so each file is sampled in proportion to its
 *     size, and a window may span several small files as the tar stream
 *     does. At most 12.5 MiB is read and compressed.
 *   - overhead: per member, its tar header and padding and its manifest
 *     line (96 bytes compressed, 1 KiB and the line uncompressed), half the
 *     length of the names, and the end of the archive.
 * It is an estimate, not a bound: data that compresses worse where it was
 * not sampled gives a bigger archive. The caller adds a safety margin.
 * Returns 0 or -errno with the message in d. */
int  archive_estimate(char *const *paths, size_t n, const struct backup_opts *o,
                      uint64_t *ret_raw, uint64_t *ret_estimate, struct diag *d);

/* Archive paths into dest_dir/<name> (name like "redis-20261122T030405Z.tar.zst").
 * Returns 0, or -errno (-ENOSPC when the disk filled: the partial archive is
 * gone) with the message in d. */
int  archive_backup(char *const *paths, size_t n, const char *dest_dir, const char *name,
                    const struct backup_opts *o, struct backup_result *ret, struct diag *d);
void backup_result_release(struct backup_result *r);

/* Read the whole archive back, hash every member and compare with the
 * manifest; also checks the archive file's own SHA-256 when want_sha256 is
 * not NULL. A mismatch returns -EBADMSG naming the member. */
int  archive_verify(const char *path, const char *want_sha256, progress_fn progress,
                    void *ud, struct diag *d);
/* The same, and on success the archive file's own SHA-256 (as read back
 * from the disk while verifying) in ret_sha256 when it is not NULL; that is
 * where a backup made with sha256_later takes its SHA-256 from. */
int  archive_verify_sum(const char *path, const char *want_sha256,
                        char ret_sha256[SHA256_HEX_LEN + 1], progress_fn progress, void *ud,
                        struct diag *d);

/* Extract the archive under root (members keep their relative paths),
 * restoring modes, owners, times, xattrs, ACLs, hard links and holes
 * (runs of zeros become holes again), refusing absolute and ".." paths.
 * The manifest is not extracted and not checked (archive_verify does).
 * Returns 0 or -errno. */
int  archive_restore(const char *path, const char *root, progress_fn progress, void *ud,
                     struct diag *d);

/* Put each data path back from the archive, in place. Used by migrate's
 * undo and by upshift rollback.
 *
 * paths are the data paths as given to archive_backup() (absolute or not,
 * normalised the same way; "/" is refused). Each path P is first resolved
 * to T: P with its symlinks followed (a data path that is a symlink to
 * /data/pg is restored at /data/pg, and the symlink stays). Then:
 *   1. the members under P are extracted into T.upshift-restore, a sibling
 *      on the same filesystem (a stale one is removed first), every regular
 *      file hashed while it is written; once the archive is read to its end
 *      each hash is checked against the manifest, and every manifest line
 *      under P must have been extracted. A mismatch returns -EBADMSG naming
 *      the member, removes the T.upshift-restore trees and changes nothing
 *      else. The new trees are then flushed to disk (syncfs).
 *   2. for every path: rename(T, T.upshift-replaced) when T exists, then
 *      rename(T.upshift-restore, T), fsyncing the parent after each.
 * All paths are extracted in one pass over the archive, and no rename
 * happens before every path is extracted and checked. A path that is a
 * single file works the same way. T must not be a mount point (the rename
 * would cross filesystems): that is refused before anything is written.
 * The replaced trees are kept until archive_restore_commit().
 *
 * Crash safety: calling it again after a crash at any point finishes the
 * work. On entry each path is in one of these states, told apart by which
 * of T, T.upshift-replaced and T.upshift-restore exist:
 *   - no T.upshift-replaced: step 1 had not finished (or had not begun);
 *     any T.upshift-restore is stale: removed, and the path is restored
 *     from the start.
 *   - T.upshift-replaced and T.upshift-restore exist, T does not: the
 *     crash came between the two renames; T.upshift-restore is complete
 *     (renames only start after every path was extracted, checked and
 *     flushed), so only the second rename is left to do.
 *   - T.upshift-replaced exists, T and T.upshift-restore do not: as above
 *     but the new tree is gone; it is extracted again, then renamed to T.
 *   - T and T.upshift-replaced exist (a T.upshift-restore beside them is
 *     stale and removed): both renames were done by an earlier call that
 *     was not committed. The files under T are hashed against the manifest:
 *     when they match, the path is left as it is; when they do not, the
 *     call fails with -EEXIST naming T.upshift-replaced (move it away, or
 *     commit, before restoring again) and changes nothing.
 * Progress is reported as archive bytes read of the archive's size.
 * Returns 0 or -errno with the message in d. */
int  archive_restore_paths(const char *archive, char *const *paths, size_t n,
                           progress_fn progress, void *ud, struct diag *d);

/* A partial backup (backup_opts.select) taken after a full one: the files
 * that changed, and the members of the full one that were gone (or had
 * become another kind of file) when it was taken. */
struct restore_delta {
        const char   *archive;
        char *const  *removed;          /* member names, without the leading "/" */
        size_t        nremoved;
};

/* archive_restore_paths() from a full backup with a partial one laid over
 * it (delta NULL: the full one alone). Each path's tree is extracted from
 * the full backup and checked, the members delta->removed names are
 * removed from it, the partial backup's members are extracted over it
 * (replacing, never writing through, what is there) and checked; only then
 * do the renames begin, as above. A check of T after both renames (crash
 * states, above) compares with what the two hold together. Progress is
 * reported per archive. */
int  archive_restore_layers(const char *archive, const struct restore_delta *delta,
                            char *const *paths, size_t n, progress_fn progress, void *ud,
                            struct diag *d);

/* Confirm a restore: remove every T.upshift-replaced tree (and any stale
 * T.upshift-restore) left by archive_restore_paths() for these paths. A path
 * with nothing to remove is fine. Returns 0 or -errno with the message in d. */
int  archive_restore_commit(char *const *paths, size_t n, struct diag *d);

/* The sibling archive_restore_paths() uses for path: T + suffix, where T is
 * path with its symlinks resolved as above (suffix ".upshift-replaced" or
 * ".upshift-restore"). New string, or NULL with the message in d when the
 * path cannot be resolved. */
char *archive_restore_sibling(const char *path, const char *suffix, struct diag *d);

#endif
