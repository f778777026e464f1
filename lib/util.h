/* util.h: allocation, strings, vectors, files, times.
 *
 * Allocation failure is handled here once: the x*() helpers print a message
 * and exit(70) when memory runs out, so callers never check for NULL.
 */
#ifndef UPSHIFT_UTIL_H
#define UPSHIFT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/diag.h"
#include "lib/kvlist.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (holding *alloc elements of size sz) so that it holds at least need. */
void  xgrow(void **p, size_t *alloc, size_t need, size_t sz);
char *xstrdup(const char *s);           /* NULL gives NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A NULL-terminated vector of owned strings (argv, lists). */
struct strv {
        char   **v;         /* NULL-terminated once anything was pushed */
        size_t   n;
        size_t   alloc;
};
void strv_push(struct strv *sv, const char *s);        /* copies s */
void strv_push_take(struct strv *sv, char *s);         /* takes ownership of s */
void strv_release(struct strv *sv);                    /* frees strings and vector */
void strv_keep(struct strv *sv, size_t n);             /* frees all but the first n */
/* Join with sep into a new string. */
char *strv_join(char *const *v, size_t n, const char *sep);
/* Index of s in v, or -1. */
ssize_t strv_find(char *const *v, size_t n, const char *s);
/* Append each NUL-terminated string of buf[0..len) to sv. Returns 0, or -1
 * (sv as it was) when the last one has no NUL. */
int strv_split_nul(struct strv *sv, const char *buf, size_t len);

/* A growable string buffer. buf is always NUL-terminated once used. */
struct strbuf {
        char   *buf;
        size_t  len;
        size_t  alloc;
};
void strbuf_add(struct strbuf *sb, const char *s, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_addch(struct strbuf *sb, char c);
char *strbuf_detach(struct strbuf *sb);                /* caller frees; sb is reset */
void strbuf_release(struct strbuf *sb);

/* struct kvlist, ordered key/value strings with an index: lib/kvlist.h. */

/* Remove trailing white space (and newlines) in place; returns s. */
char *str_rtrim(char *s);
/* buf[0..*len) with every occurrence of each string of secrets
 * (NULL-terminated, or NULL) replaced by "********", *len updated; NULL
 * (*len untouched) when none occurs. New string. */
char *str_mask(const char *buf, size_t *len, char *const *secrets);
bool  str_startswith(const char *s, const char *prefix);
bool  str_endswith(const char *s, const char *suffix);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t str_distance(const char *a, const char *b);

/* Files and paths (lib/fs.c). All return 0 or -errno, with a message in d. */
/* mkdir -p with the given mode for directories it creates. */
int  mkdir_p(const char *path, mode_t mode, struct diag *d);
/* fsync the directory that holds path (or path itself when it is a directory). */
int  fsync_dir_of(const char *path, struct diag *d);
int  fsync_dir(const char *dir, struct diag *d);
/* Read a whole file into a NUL-terminated buffer (caller frees). */
int  read_file(const char *path, char **ret_buf, size_t *ret_len, struct diag *d);
/* The same, with extra open(2) flags (O_NOFOLLOW). */
int  read_file_flags(const char *path, int oflags, char **ret_buf, size_t *ret_len,
                     struct diag *d);
/* Write buf to path atomically: a hidden .NAME.upshift-tmp beside it with O_EXCL,
 * fsync, rename, fsync dir. */
int  write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode, struct diag *d);
/* The same, but the new file takes like's owner and mode (when like is not NULL). */
struct stat;
int  write_file_atomic_like(const char *path, const void *buf, size_t len, mode_t mode,
                            const struct stat *like, struct diag *d);
/* Write all of buf to fd, retrying on EINTR / short writes; -errno on failure. */
int  write_all(int fd, const void *buf, size_t len);
/* Remove a tree (rm -rf), never following symbolic links. Missing is fine. */
int  rm_tree(const char *path, struct diag *d);
/* Open the directory rel below root, never leaving root: root itself is
 * followed, but no symlink below it is, nor "..", nor a magic link
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
 * where openat2 is ENOSYS, or with walk, openat with O_NOFOLLOW at every
 * component). rel "" or "." is root. Returns an O_PATH directory fd for
 * the *at calls (the caller closes it), or -errno: -ELOOP or -EXDEV when a
 * symlink or ".." is on the way, -ENOTDIR, -ENOENT. No message. */
enum { FS_BENEATH_ANY = 0, FS_BENEATH_WALK = 1 };
int  fs_open_beneath(const char *root, const char *rel, int how);
char *path_join(const char *a, const char *b);
/* Directory part / last part of a path, as new strings. */
char *path_dirname(const char *path);
char *path_basename(const char *path);
bool  path_exists(const char *path);

/* Times. */
int64_t now_ms(void);                   /* CLOCK_MONOTONIC, milliseconds */
/* Wall-clock time as "2026-11-22T03:04:05Z" into buf (at least 21 bytes). */
void    time_iso8601(char *buf, size_t size, time_t t);
/* Parse "90", "90s", "500ms", "5m", "1h", "1m30s" into milliseconds.
 * Returns 0, or -EINVAL. */
int     duration_parse(const char *s, long *ret_ms);
/* Parse "4096", "512K", "512M", "2G", "1T" (powers of 1024) into bytes.
 * Returns 0, or -EINVAL. */
int     size_parse(const char *s, uint64_t *ret_bytes);
/* "1.2s", "3m04s", "1h02m" into buf. */
void    duration_format(char *buf, size_t size, int64_t ms);
/* "1.5 GiB" style into buf. */
void    bytes_format(char *buf, size_t size, uint64_t bytes);

#endif
