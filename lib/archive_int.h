/* archive_int.h: what the archive_*.c files share: archive.c (writing),
 * archive_walk.c (walking data paths), archive_read.c (manifest, verify),
 * archive_restore.c, archive_swap.c (restore), archive_estimate.c. Not a
 * public contract. */
#ifndef UPSHIFT_ARCHIVE_INT_H
#define UPSHIFT_ARCHIVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/archive.h"
#include "lib/sha256.h"
#include "lib/util.h"

#define ARCHIVE_READ_BLOCK (1024 * 1024)
#define ARCHIVE_PROGRESS_MS 250
/* How the backup opens what it reads (O_NOFOLLOW added below the data
 * paths). O_NONBLOCK, as tar: a name that became a FIFO since it was
 * listed does not block the open, waiting for a writer; the fstat that
 * follows sees it. Regular files ignore it. */
#define ARCHIVE_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* Lexically normalise path into an absolute path without "." and ".."
 * components, without a trailing "/" (except for "/" itself). New string. */
char *archive_abs_normalise(const char *path);

/* Sorted names in the directory open on fd (which is consumed). */
int   archive_dir_names(int fd, const char *src, struct strv *ret, struct diag *d);
/* The same, and with ret_types, each name's d_type (DT_UNKNOWN when the
 * filesystem does not say) in a new array the caller frees. */
int   archive_dir_typed(int fd, const char *src, struct strv *ret, unsigned char **ret_types,
                        struct diag *d);

/* Files with more than one name, seen so far. */
struct link_seen {
        dev_t  dev;
        ino_t  ino;
        char  *member;
};
/* True when st was seen before under another name (*ret_member is then
 * that name, when ret_member is not NULL); remembers st (as member) if not.
 * Directories and files with one name are never remembered. */
bool  link_seen_before(struct link_seen **links, size_t *n, size_t *alloc,
                       const struct stat *st, const char *member, const char **ret_member);
void  links_free(struct link_seen *links, size_t n);

/* Called for every entry a backup of the paths would hold, in the order it
 * would hold them: src is the path on disk, rel the path below the data
 * path ("" for the data path itself), first false for the second and later
 * names of a hard-linked file. A non-zero return stops the walk. */
typedef int (*walk_fn)(void *ud, const char *src, const char *rel, const struct stat *st,
                       bool first);
/* Walk like archive_backup() does: each path is followed when it is a
 * symlink, nothing below it is; names sorted; entries that vanish during
 * the walk are skipped. Returns 0, fn's non-zero value, or -errno. */
int   archive_walk(char *const *paths, size_t n, walk_fn fn, void *ud, struct diag *d);

/* For a backup's walk, name in atfd, which readdir said is a regular file
 * or a directory (dtype): opened without an lstat first, its one stat the
 * fstat. Returns 0 with *ret_fd set, 0 with *ret_fd untouched when it is
 * gone or is a symlink by now, or 1: look with lstat instead (it is
 * neither, or cannot be opened). */
int   archive_open_typed(int atfd, const char *name, unsigned char dtype, struct stat *ret_st,
                         int *ret_fd);
/* Open the file or directory st says src (name in atfd) is, and fstat it:
 * the stat the entry is archived with is the one of what was read (*st).
 * *ret_other says the name led to another file than st's by then. Returns
 * 0 with *ret_fd set, 0 with *ret_fd untouched when it is gone or replaced
 * by a symlink (unless top: the plan's own path is followed), or -errno
 * with the message in d. */
int   archive_open_stat(int atfd, const char *name, const char *src, bool top,
                        struct stat *st, int *ret_fd, bool *ret_other, struct diag *d);

/* Add the compression filter comp ("zstd", "gzip", "xz", "none") at level
 * (0: the default) to a writer; with threads, zstd uses one per CPU. */
int   backup_set_filter(struct archive *a, const char *comp, int level, bool threads,
                        struct diag *d);

/* Append one sha256sum(1) line for member to sb. A name holding a newline or
 * a backslash is written the way sha256sum does: the line starts with "\"
 * and the name has "\\" and "\n" escapes. */
void manifest_add_line(struct strbuf *sb, const char *hex, const char *member);

/* One parsed manifest line. */
struct manifest_line {
        char *name;
        char  hex[SHA256_HEX_LEN + 1];
};

/* Parse a manifest (len bytes, need not be NUL-terminated). Returns 0, or
 * -EBADMSG with the 1-based number of the bad line in *ret_bad_line.
 * On success *ret_lines (caller frees with manifest_lines_free) and *ret_n. */
int  manifest_parse(const char *buf, size_t len, struct manifest_line **ret_lines,
                    size_t *ret_n, size_t *ret_bad_line);
void manifest_lines_free(struct manifest_line *v, size_t n);
/* Every file must match its line and every line must have a file (both
 * arrays are sorted in place). -EBADMSG naming the member, with path (the
 * backup) in the message. */
int  manifest_compare(const char *path, struct manifest_line *files, size_t nf,
                      struct manifest_line *lines, size_t nl, struct diag *d);

/* Open a backup for reading (any format and filter); NULL with *ret_err and
 * the message in d. */
struct archive *archive_open_backup(const char *path, struct diag *d, int *ret_err);
/* -errno for a read error on a (-EBADMSG when the data is bad). */
int  archive_read_errno(struct archive *a);
/* Set d for a failed header read after member prev ("" for none). */
int  archive_header_error(struct archive *a, const char *path, const char *prev,
                          struct diag *d);
/* Progress while reading a backup: archive bytes read of total. */
struct read_progress {
        progress_fn  fn;                /* may be NULL */
        void        *ud;
        uint64_t     total;             /* the archive's size */
        int64_t      last;              /* now_ms() of the last report */
};
/* Report, at most every ARCHIVE_PROGRESS_MS unless force (which reports
 * total as done). Called between members and inside long ones. */
void archive_read_progress(struct archive *a, struct read_progress *p, bool force);
/* Read the current member's data through buf (ARCHIVE_READ_BLOCK bytes),
 * hashing it into c and/or collecting it into sb (either may be NULL). */
int  archive_read_member(struct archive *a, const char *path, const char *name, char *buf,
                         struct sha256 *c, struct strbuf *sb, struct diag *d);

/* Hashing members on a thread of their own (archive_hasher.c). The caller
 * gives each member's data in order, then hasher_end(); the SHA-256 of the
 * i-th member is hex[i] once hasher_finish() has returned (the caller frees
 * hex). One context is reused for every member. A member ended with its
 * name gets a manifest line instead (manifest_add_line()), written on the
 * thread as its hash is known: the manifest and its SHA-256 are ready when
 * hasher_finish() returns (the caller releases manifest). */
#define HASHER_SLOTS 8
#define HASHER_SLOT_SIZE (256 * 1024)
struct hslot {
        char    *buf;
        size_t   len;
        size_t  *ends;                  /* offsets where a member ends */
        char   **names;                 /* and its name, or NULL */
        size_t   nends, ends_alloc, names_alloc;
};
struct hasher {
        pthread_t        thread;
        bool             threaded;      /* the thread runs */
        size_t           pushed;        /* buffers handed over before it did */
        pthread_mutex_t  mu;
        pthread_cond_t   cond;
        struct hslot     slots[HASHER_SLOTS];
        size_t           head;          /* the slot the caller fills */
        size_t           tail;          /* the next slot the thread takes */
        size_t           full;          /* slots handed over, not yet hashed */
        bool             stop;
        /* the thread's own until hasher_finish() */
        struct sha256   *c;
        char           (*hex)[SHA256_HEX_LEN + 1];
        size_t           nhex, hex_alloc;
        struct strbuf    manifest;
        struct sha256   *mc;            /* of manifest, as it is written */
        char             manifest_sha256[SHA256_HEX_LEN + 1];
};
void  hasher_start(struct hasher *h);
/* Where to put the current member's next bytes: *ret_len of room (at least
 * 64 KiB); say how many were put there with hasher_commit(). */
char *hasher_room(struct hasher *h, size_t *ret_len);
void  hasher_commit(struct hasher *h, size_t n);
/* Copy len bytes of the current member (data NULL: zeros, a hole). */
void  hasher_add(struct hasher *h, const void *data, size_t len);
/* The current member ends here (after an error too, to keep the order).
 * name: NULL, or the member's name for the manifest (taken). */
void  hasher_end(struct hasher *h, char *name);
/* Hash what is left, stop the thread, free the buffers. */
void  hasher_finish(struct hasher *h);

/* What a backup records of a file besides its data (archive_meta.c). */
struct fs_caps {
        dev_t  dev;
        bool   xattrs;                  /* false once the filesystem said ENOTSUP */
        bool   flags;                   /* false once FS_IOC_GETFLAGS said ENOTTY */
};
struct entry_meta {
        struct archive *disk;           /* the caller's, with its name lookups */
        struct fs_caps *v;
        size_t          n, alloc;
};
/* Fill e from st (the file's own, open on fd, or fd -1) as
 * archive_read_disk_entry_from_file() does: owner names, file flags,
 * symlink target, ACLs, xattrs; without asking for what the file cannot
 * have. Returns 0 or -errno with the message in d. */
int  entry_meta_fill(struct entry_meta *m, struct archive_entry *e, int fd, const char *src,
                     const struct stat *st, struct diag *d);
/* The first half of entry_meta_fill for the regular file or directory open
 * on fd, without m->disk (so on any thread, with an m of its own): 0 when
 * it has no xattr and no ACL, with its file flags (0 if none) in
 * *ret_flags; 1 when it has some, or they cannot be listed (then only
 * entry_meta_fill can fill its entry). */
int  entry_meta_probe(struct entry_meta *m, int fd, const struct stat *st, int *ret_flags);
/* The second half, after entry_meta_probe() said 0: e from st, the owner
 * names and flags. */
void entry_meta_known(struct entry_meta *m, struct archive_entry *e, const struct stat *st,
                      int flags);
void entry_meta_release(struct entry_meta *m);

/* A backup's read-ahead thread (archive_ahead.c): for a run of names in one
 * directory that readdir says are regular files, it opens, stats, probes
 * (entry_meta_probe) and reads small files ahead of the backup's thread, in
 * order. Each name gives one record, of one of these kinds: */
#define AHEAD_SLOTS 256
#define AHEAD_SMALL (64 * 1024)         /* read ahead whole up to this size */
enum ahead_kind {
        AHEAD_NAME,             /* nothing done: look at the name as always */
        AHEAD_OPEN,             /* a regular file open on fd, with st (and
                                   flags when probed): read it from fd */
        AHEAD_READ,             /* probed, and its st.st_size bytes in buf */
};
struct ahead_rec {
        enum ahead_kind kind;
        int          fd;                /* AHEAD_OPEN: the taker closes it */
        struct stat  st;
        bool         probed;            /* no xattr, no ACL; flags are its flags */
        int          flags;
        char        *buf;
        size_t       alloc;
};
struct ahead {
        pthread_t        thread;
        bool             running, failed;
        pthread_mutex_t  mu;
        pthread_cond_t   reader, writer;
        struct entry_meta caps;         /* the thread's own, for entry_meta_probe */
        int              dirfd;         /* the run: names[0..n) in dirfd */
        char *const     *names;
        size_t           n, produced, consumed;
        bool             job, cancel, stop, reader_waits, writer_waits;
        struct ahead_rec recs[AHEAD_SLOTS];
};
void ahead_init(struct ahead *a);
/* Start reading names[0..n) in dirfd ahead (both must last until
 * ahead_end()). -1 when no thread can be started: do without. */
int  ahead_begin(struct ahead *a, int dirfd, char *const *names, size_t n);
/* The next name's record, in order (waits for it); give it back with
 * ahead_done() before the next call. At most n calls per run. */
struct ahead_rec *ahead_next(struct ahead *a);
void ahead_done(struct ahead *a);
/* End the run, also before every record was taken (closing what was
 * opened ahead). */
void ahead_end(struct ahead *a);
/* Stop the thread and free it all. */
void ahead_release(struct ahead *a);

/* Restoring (archive_restore.c, archive_swap.c). */

/* Where one member goes. */
struct restore_to {
        const char    *archive;         /* the backup, for messages */
        const char    *name;            /* the member, for messages */
        char          *dest;            /* absolute path to create */
        char          *hard_dest;       /* the hard link's target path, or NULL */
        struct sha256 *hash;            /* hash the data into it, or NULL */
        struct read_progress *prog;     /* or NULL */
};
/* A disk writer with the flags restores use (owners when root, holes). */
/* extra: more ARCHIVE_EXTRACT_* flags (UNLINK for a partial backup laid
 * over a full one, so that no other name of a file is written through). */
int  restore_writer_new(struct archive **ret, int extra);
/* A member name that is absolute or climbs out with ".." (or a hard link
 * to one): -EPERM with the message in d. */
int  refuse_unsafe(const char *archive, const char *name, const char *hard, struct diag *d);
/* Write the current member e of a to to->dest (hashing holes as zeros). */
int  restore_entry(struct archive *a, struct archive *ext, struct archive_entry *e,
                   const struct restore_to *to, struct diag *d);

/* What archive_restore_paths() must do for a path (archive.h, crash states). */
enum rp_state {
        RP_FRESH,               /* extract, then rename T away (if any) and the new tree in */
        RP_REEXTRACT,           /* the first rename was done: extract, second rename */
        RP_SECOND,              /* extracted and first rename done: second rename only */
        RP_CHECK,               /* both renames done earlier: check T against the manifest */
};

struct rp {
        char          *member;          /* the data path without its leading "/" */
        char          *target;          /* T */
        char          *restore;         /* T.upshift-restore */
        char          *replaced;        /* T.upshift-replaced */
        enum rp_state  state;
        bool           seen;            /* the backup has members for it */
};

static inline bool
rp_extracts(const struct rp *p)
{
        return p->state == RP_FRESH || p->state == RP_REEXTRACT;
}

/* One pass over the backup for archive_restore_paths(). */
struct rp_pass {
        const char           *archive;
        uint64_t              archive_size;
        struct rp            *v;
        size_t                n;
        struct manifest_line *files;    /* regular files extracted, with their hashes */
        size_t                nfiles, files_alloc;
        struct strbuf         manifest;
        bool                  have_manifest;
        bool                  partial;  /* a partial backup laid over the full one */
        struct read_progress  prog;
        struct {                        /* directories that existed (partial pass) */
                char                 *path;
                struct archive_entry *e;
        }                    *dirs;
        size_t                ndirs, dirs_alloc;
};
/* Free what a partial pass kept of the directories it found. */
void rp_dirs_release(struct rp_pass *ps);
/* The path of v that holds member name (the longest), or -1. */
ssize_t rp_match(const struct rp *v, size_t n, const char *name);
/* Where member name goes below p's restore tree (new string). */
char   *rp_dest(const struct rp *p, const char *name);
/* Extract the members of every path that rp_extracts() into its restore
 * sibling, hashing regular files into ps->files, collecting the manifest. */
int  rp_extract(struct rp_pass *ps, struct diag *d);

#endif
