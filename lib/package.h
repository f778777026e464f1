/* package.h: staging files out of a package.
 *
 * A package is a .deb (ar with data.tar.{gz,xz,zst,bz2}), an .rpm, a tar
 * (.tar, .tar.gz, .tgz, .tar.xz, .tar.zst, .tar.bz2), a .zip, or a bare
 * executable (any file libarchive does not recognise as an archive). package_stage() checks the
 * SHA-256 first (when given), then extracts only the mapped members into a
 * staging directory. A member that is a symlink is followed inside the
 * package (relative to its directory, never outside the package), and so is
 * a symlink among its parent directories. Refused, each naming the member:
 * absolute paths and ".."; links (the member's or a parent's) that lead out
 * of the package; device nodes, FIFOs and sockets; the setuid or setgid bit
 * (unless allowed); more than the size limit in all (the data is counted as
 * it is decompressed, so a small package that expands past the limit stops
 * there). Nothing is ever written outside the staging directory: members are
 * read from the archive and copied into staging_dir/<n>, never extracted by
 * their own names.
 *
 * An .rpm is read through libarchive's rpm filter (its cpio payload,
 * compressed with gzip, xz, zstd or bzip2); its version comes from its
 * header.
 */
#ifndef UPSHIFT_PACKAGE_H
#define UPSHIFT_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/diag.h"
#include "lib/sha256.h"
#include "lib/util.h"

struct staged_file {
        char    *member;                /* as asked for; under a directory: its full key */
        char    *path;                  /* staging_dir/<n>: the extracted content */
        char    *rel;                   /* under a directory: the path below it, else NULL */
        char    *link;                  /* under a directory, a symlink: its text (no
                                         * file is staged; sha256 is package_link_sha256) */
        size_t   request;               /* index of the member asked for it came from */
        mode_t   mode;                  /* permission bits from the package, without
                                         * write for group and others */
        uint64_t size;
        char     sha256[SHA256_HEX_LEN + 1];
};

struct staged {
        struct staged_file *files;
        size_t              n;
        /* Version: of a .deb's control file, [EPOCH:]VERSION-RELEASE of an
         * .rpm, or NULL */
        char               *version;
        char                sha256[SHA256_HEX_LEN + 1];  /* of the package file */
        /* Entries not staged that would be refused if they were (the last of
         * each name): "NAME (why)" each, in the package's order */
        struct strv         hostile;
};

/* Limits for package_stage(); NULL means all defaults. */
struct stage_opts {
        bool     allow_setid;           /* accept members with the setuid/setgid bit */
        uint64_t max_bytes;             /* all staged members together; 0: 4 GiB */
        bool     strict;                /* refuse a package with hostile entries
                                         * that are not staged (-EPERM) */
        const char *want_version;       /* NULL, or the target: a package that says
                                         * its own version (.deb, .rpm) must hold it
                                         * (package_version_matches) */
};

/* members: n member paths ("usr/bin/x"; for a bare executable, any name).
 * A member ending in "/" is a directory of the package: it stands for every
 * file below it, recursively, in the package's order (directories are not
 * staged; a symlink is kept as a link, with its text in ->link and nothing
 * extracted; anything else is resolved and refused like a member asked for
 * by name). ret->files then has one entry per file found, each with ->rel
 * and ->request set; a directory with no file below it is -ENOENT.
 * want_sha256: NULL or "" to skip the check, else 64 hex digits.
 * staging_dir is created 0700 when missing; files in it are 0600 until the
 * swap installs them with their own mode. Returns 0; -EBADMSG on a checksum
 * mismatch ("package \"x.deb\": SHA-256 is <got>, expected <want>"); -ENOENT
 * when a member is not in the package; -EPERM for a refused member; -EFBIG
 * past the size limit. On failure no staged file is left behind. */
int  package_stage(const char *pkg, const char *want_sha256, char *const *members,
                   size_t n, const char *staging_dir, const struct stage_opts *o,
                   struct staged *ret, struct diag *d);
void staged_release(struct staged *s);

/* The files package_stage() would stage for members (directories expanded),
 * without staging anything (for upshift plan): ret_members gets each member
 * key, ret_rels the path below its directory ("" for a member asked for by
 * name), ret_links the symlink text or "". All three are appended to in
 * step. The package's checksum is not checked and members are not resolved.
 * Returns 0 or -errno with the message in d. */
int  package_list(const char *pkg, char *const *members, size_t n,
                  struct strv *ret_members, struct strv *ret_rels, struct strv *ret_links,
                  struct diag *d);

/* True when a package of version pkg_version ([EPOCH:]VERSION[-REVISION],
 * as a .deb or .rpm says it) holds target: the whole version without its
 * epoch is target; or VERSION is target, or target followed by a suffix that
 * starts with neither a digit nor "." ("1.6.7~rc0", "1.2.3+dfsg" hold 1.6.7
 * and 1.2.3; "7.0.15" does not hold 7.0.1). */
bool package_version_matches(const char *pkg_version, const char *target);

/* A staged file f (of package pkg) that is to replace target: 0 unless
 * target (followed when a symlink) is executable by anyone and f has no x
 * bit at all (a zip made without Unix modes), which is -EPERM with the
 * message in d: the service could not start from it. 0 for a link and for
 * a target that is missing. */
int  package_mode_check(const char *pkg, const struct staged_file *f, const char *target,
                        struct diag *d);

/* s->hostile as one line: "N entries the plan does not map that would be
 * refused if it did: A (why), B (why)" (the first few named). New string,
 * or NULL when there are none. */
char *package_hostile_text(const struct staged *s);

/* Files of a mapped directory are never written through a link: every
 * directory between root (the mapped target, itself followed) and root/rel
 * is looked at without following it (O_NOFOLLOW at every component) and
 * must be a directory or missing. Returns 0; -ELOOP when one is a symlink,
 * -ENOTDIR when one is something else, or -errno, with the message in d. */
int  package_target_check(const char *root, const char *rel, struct diag *d);

/* The hash that stands for a symlink whose text is text: SHA-256 of
 * "symlink:" followed by the text. Swap compares it with the link in place. */
void package_link_sha256(const char *text, char hex[SHA256_HEX_LEN + 1]);

#endif
