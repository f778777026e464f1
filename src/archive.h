/* archive.h: backups (tar + manifest, libarchive) and their verification.
 *
 * A backup is a pax tar, compressed (zstd by default), holding each data path
 * under its absolute path without the leading "/", followed by a last member
 * named ARCHIVE_MANIFEST in sha256sum(1) format ("<hex>  <member>\n" for
 * every regular file), so that
 *     tar -xf B -C x && cd x && sha256sum -c UPSHIFT-MANIFEST.sha256
 * checks it without upshift. The archive is created 0600 with O_EXCL, fsynced
 * before archive_backup() returns; on any error the partial file is removed.
 */
#ifndef UPSHIFT_ARCHIVE_H
#define UPSHIFT_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sha256.h"

#define ARCHIVE_MANIFEST "UPSHIFT-MANIFEST.sha256"

/* Called at least once a second during long work. total may be 0 (unknown). */
typedef void (*progress_fn)(void *ud, uint64_t done, uint64_t total);

struct backup_opts {
        const char *compression;        /* "zstd" (default when NULL), "gzip", "xz", "none" */
        int         level;              /* 0: default */
        progress_fn progress;
        void       *ud;
};

struct backup_result {
        char     *path;                 /* the archive (new string) */
        uint64_t  bytes_in;             /* bytes of file data read */
        uint64_t  size;                 /* archive size on disk */
        size_t    members;              /* entries written, manifest excluded */
        char      sha256[SHA256_HEX_LEN + 1];  /* of the archive file itself */
        char      manifest_sha256[SHA256_HEX_LEN + 1]; /* of the manifest member */
};

/* Sum of the sizes of the regular files under paths (for estimates). */
int  archive_measure(char *const *paths, size_t n, uint64_t *ret_bytes, struct diag *d);

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

/* Extract the archive under root (members keep their relative paths),
 * restoring modes, owners and times, refusing absolute and ".." paths.
 * Used by migrate's undo. Returns 0 or -errno. */
int  archive_restore(const char *path, const char *root, progress_fn progress, void *ud,
                     struct diag *d);

#endif
