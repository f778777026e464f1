/* package.h: staging files out of a package.
 *
 * A package is a .deb (ar with data.tar.{gz,xz,zst}), a tar (.tar, .tar.gz,
 * .tgz, .tar.xz, .tar.zst, .tar.bz2), a .zip, or a bare executable (any file
 * libarchive does not recognise as an archive). package_stage() checks the
 * SHA-256 first (when given), then extracts only the mapped members into a
 * staging directory. A member that is a symlink is followed inside the
 * package (relative to its directory, never outside the package). Absolute
 * paths and ".." are refused naming the member.
 */
#ifndef UPSHIFT_PACKAGE_H
#define UPSHIFT_PACKAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "sha256.h"

struct staged_file {
        char    *member;                /* as asked for */
        char    *path;                  /* staging_dir/<n>: the extracted content */
        mode_t   mode;                  /* permission bits from the package */
        uint64_t size;
        char     sha256[SHA256_HEX_LEN + 1];
};

struct staged {
        struct staged_file *files;
        size_t              n;
        char               *version;    /* Version: of a .deb's control file, or NULL */
        char                sha256[SHA256_HEX_LEN + 1];  /* of the package file */
};

/* members: n member paths ("usr/bin/x"; for a bare executable, any name).
 * want_sha256: NULL or "" to skip the check, else 64 hex digits.
 * staging_dir is created 0700 when missing; files in it are 0600 until the
 * swap installs them with their own mode. Returns 0; -EBADMSG on a checksum
 * mismatch ("package \"x.deb\": SHA-256 is <got>, expected <want>"); -ENOENT
 * when a member is not in the package; -EPERM for a refused member. */
int  package_stage(const char *pkg, const char *want_sha256, char *const *members,
                   size_t n, const char *staging_dir, struct staged *ret, struct diag *d);
void staged_release(struct staged *s);

#endif
