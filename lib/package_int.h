/* package_int.h: what package.c (staging) and package_read.c (walking the
 * package's archive, resolving members) share. Not a public contract. */
#ifndef UPSHIFT_PACKAGE_INT_H
#define UPSHIFT_PACKAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/diag.h"
#include "lib/kvlist.h"
#include "lib/package.h"

#define PKG_BUF (256 * 1024)
#define PKG_MAX_LINKS 8
#define PKG_MAX_SIZE (UINT64_C(4) << 30)        /* default stage_opts.max_bytes */
#define CONTROL_MAX (1024 * 1024)
#define PKG_BARE 1              /* pkg_each(): the file is not an archive */

struct pkg_entry {
        char    *key;           /* normalised name: no "./", no leading "/" */
        char    *link;          /* symlink target as stored, or hard link key */
        int      type;          /* AE_IFREG, AE_IFLNK, AE_IFDIR, ... */
        bool     hard;          /* a hard link to link */
        bool     unsafe;        /* absolute or ".." in the name */
        bool     link_unsafe;   /* the same for a hard link's target */
        int64_t  size;          /* -1 when the archive does not say */
        mode_t   perm;
        size_t   idx;           /* position in the stream */
};

struct pkg {
        const char       *name;         /* the package, for messages */
        int               fd;
        struct pkg_entry *v;
        size_t            n, alloc;
        struct kvlist     names;        /* each name once, indexed (pkg_list) */
        size_t           *last;         /* per name: its last entry in v */
        char             *version;
        char             *buf;
        bool              allow_setid;
        bool              strict;       /* stage_opts.strict */
        const char       *want_version; /* stage_opts.want_version */
        uint64_t          max_bytes;    /* never 0 */
        struct diag      *d;
};

/* Called for every entry of the package's content, in stream order; a
 * non-zero return stops the walk and is returned. */
typedef int (*visit_fn)(struct pkg *p, struct archive *a, struct archive_entry *e,
                        size_t idx, void *ud);

/* name without "", "." components and leading "/"; *ret_unsafe is set when
 * name was absolute or has a ".." component. New string. */
char *pkg_member_key(const char *name, bool *ret_unsafe);
/* The directory of key joined with the link text target, ".." applied;
 * NULL when it climbs above the root key is relative to. New string. */
char *pkg_link_resolve(const char *key, const char *target);
/* Refuse entry e, found at rel below the mapped directory dir, when it is a
 * link whose text is absolute or leads outside dir, or when a directory
 * between dir and it is a link of the package. 0, or -EPERM with the
 * message in p->d. */
int   pkg_check_mapped(struct pkg *p, const char *dir, const struct pkg_entry *e,
                       const char *rel);
/* Fill s->hostile from the entries of p that were not staged (the last of
 * each name only); with p->strict, refuse them: -EPERM, message in p->d. */
int   pkg_find_hostile(struct pkg *p, struct staged *s);
/* Set d from a's error (naming member when not NULL) and return -errno. */
int   pkg_read_error(struct pkg *p, struct archive *a, const char *member);
/* Walk the entries of the package's content (the tar or zip itself, or a
 * .deb's data.tar.*; with want_version also reads the .deb's Version:).
 * Returns 0, PKG_BARE when the file is no archive at all, or -errno. */
int   pkg_each(struct pkg *p, visit_fn fn, void *ud, bool want_version);
/* VERSION-RELEASE (EPOCH:VERSION-RELEASE when it has an epoch) from the
 * header of the .rpm open on fd; NULL when it is no .rpm or has none. */
char *pkg_rpm_version(int fd);
/* The last entry named key (a later one wins, as when extracting), or NULL. */
const struct pkg_entry *pkg_find_last(const struct pkg *p, const char *key);
/* pkg_each() filling p->v with every entry (and p->version), and its index. */
int   pkg_list(struct pkg *p);
/* Follow member through symlinks and hard links, its own and its parent
 * directories' (at most PKG_MAX_LINKS, never outside the package), to the
 * regular file holding its data. Refuses device nodes, FIFOs, sockets and
 * (unless p->allow_setid) setuid/setgid files, and a declared size past
 * p->max_bytes. Returns 0 with *ret pointing into p->v, or -ENOENT, -EPERM,
 * -ELOOP, -EISDIR, -EINVAL, -EFBIG with the message in p->d. */
int   pkg_resolve(struct pkg *p, const char *member, const struct pkg_entry **ret);
/* 0 when want is NULL or "", the package says no version, or its version
 * holds want (package_version_matches); else -EPERM with the message in p->d. */
int   pkg_check_version(struct pkg *p, const char *want);

#endif
