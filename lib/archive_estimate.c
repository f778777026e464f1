/* archive_estimate.c: how big will the backup be? The data is walked the
 * way archive_backup() walks it, windows sampled from it are compressed in
 * memory with the backup's compressor and level, and the ratio found is
 * applied to all of it (archive.h says the method). And the compressor
 * both use: backup_set_filter(). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/archive.h"
#include "lib/archive_int.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define EST_WINDOW (64 * 1024)
#define EST_WINDOWS 200
/* Per member: a 512-byte header, padding to 512, a pax header now and then;
 * compressed, that is a few dozen bytes. Per manifest line: 64 hex digits
 * (4 bits each) and the name. */
#define EST_MEMBER_RAW 1024
#define EST_MEMBER_PACKED 96
#define EST_TAIL (10 * 1024)

struct est {
        /* first walk */
        uint64_t         raw;
        uint64_t         members;
        uint64_t         name_bytes;
        /* second walk */
        uint64_t         pos;           /* data bytes passed so far */
        size_t           k, nwin;       /* current window, how many */
        uint64_t         stride;
        char            *win;
        size_t           win_len;       /* bytes in the current window */
        uint64_t         sampled;       /* bytes fed to the compressor */
        uint64_t         packed;        /* bytes it gave back */
        struct archive  *a;
        struct diag     *d;
};

static int
count_fn(void *ud, const char *src, const char *rel, const struct stat *st, bool first)
{
        struct est *e = ud;

        e->members++;
        e->name_bytes += strlen(src);
        if (S_ISREG(st->st_mode) && first)
                e->raw += (uint64_t)st->st_size;
        return 0;
}

/* Where window k starts in the data, and how long it is. */
static uint64_t
win_start(const struct est *e, size_t k)
{
        uint64_t pad = e->stride > EST_WINDOW ? (e->stride - EST_WINDOW) / 2 : 0;

        return (uint64_t)k * e->stride + pad;
}

static size_t
win_size(const struct est *e, size_t k)
{
        uint64_t s = win_start(e, k);

        return s >= e->raw ? 0 : e->raw - s < EST_WINDOW ? (size_t)(e->raw - s) : EST_WINDOW;
}

static la_ssize_t
count_cb(struct archive *a, void *ud, const void *buf, size_t len)
{
        struct est *e = ud;

        e->packed += len;
        return (la_ssize_t)len;
}

static int
win_flush(struct est *e)
{
        if (e->win_len > 0 && archive_write_data(e->a, e->win, e->win_len) < 0) {
                diag_set(e->d, "%s", archive_error_string(e->a));
                return -EIO;
        }
        e->sampled += e->win_len;
        e->win_len = 0;
        e->k++;
        return 0;
}

static int
sample_fn(void *ud, const char *src, const char *rel, const struct stat *st, bool first)
{
        struct est *e = ud;
        uint64_t size = (uint64_t)st->st_size, end;
        int fd = -1, r = 0;

        if (!S_ISREG(st->st_mode) || !first)
                return 0;
        end = e->pos + size;
        while (r == 0 && e->k < e->nwin) {
                uint64_t ws = win_start(e, e->k) + e->win_len;
                size_t want = win_size(e, e->k) - e->win_len;
                ssize_t got;

                if (ws >= end)
                        break;          /* the window starts in a later file */
                if (ws < e->pos) {      /* an earlier file shrank meanwhile */
                        r = win_flush(e);
                        continue;
                }
                if (want > end - ws)
                        want = (size_t)(end - ws);
                if (fd < 0)
                        fd = open(src, ARCHIVE_OPEN_FLAGS | O_NOFOLLOW);
                got = fd >= 0 ? pread(fd, e->win + e->win_len, want, (off_t)(ws - e->pos))
                              : -1;
                if (got < 0) {
                        if (errno == ENOENT || errno == ELOOP)
                                break;  /* gone meanwhile: its windows come up short */
                        r = -errno;
                        /* TRANSLATORS: a file being sampled, then the system's reason. */
                        diag_set(e->d, _("cannot read \"%s\": %s"), src, strerror(-r));
                        break;
                }
                e->win_len += (size_t)got;
                if ((size_t)got < want)
                        break;          /* shrank meanwhile */
                if (e->win_len == win_size(e, e->k))
                        r = win_flush(e);
        }
        if (fd >= 0)
                close(fd);
        e->pos = end;
        return r;
}

/* A writer of one raw stream through the backup's compressor, counting. */
static int
sampler_open(struct est *e, const struct backup_opts *o)
{
        const char *comp = o != NULL && o->compression != NULL ? o->compression : "zstd";
        struct archive_entry *ent;
        int r;

        e->a = archive_write_new();
        archive_write_set_format_raw(e->a);
        r = backup_set_filter(e->a, comp, o != NULL ? o->level : 0, false, e->d);
        if (r < 0)
                return r;
        archive_write_set_bytes_in_last_block(e->a, 1);
        if (archive_write_open(e->a, e, NULL, count_cb, NULL) != ARCHIVE_OK) {
                diag_set(e->d, "%s", archive_error_string(e->a));
                return -EIO;
        }
        ent = archive_entry_new();
        archive_entry_set_filetype(ent, AE_IFREG);
        archive_entry_set_perm(ent, 0600);
        r = archive_write_header(e->a, ent) < ARCHIVE_WARN ? -EIO : 0;
        if (r < 0)
                diag_set(e->d, "%s", archive_error_string(e->a));
        archive_entry_free(ent);
        return r;
}

int
archive_estimate(char *const *paths, size_t n, const struct backup_opts *o,
                 uint64_t *ret_raw, uint64_t *ret_estimate, struct diag *d)
{
        const char *comp = o != NULL && o->compression != NULL ? o->compression : "zstd";
        bool none = strcmp(comp, "none") == 0;
        struct est e = { .d = d };
        uint64_t data, over;
        int r;

        r = archive_walk(paths, n, count_fn, &e, d);
        if (r < 0)
                return r;
        e.nwin = (size_t)((e.raw + EST_WINDOW - 1) / EST_WINDOW);
        if (e.nwin > EST_WINDOWS)
                e.nwin = EST_WINDOWS;
        e.stride = e.nwin > 0 ? e.raw / e.nwin : 0;
        if (e.stride < EST_WINDOW)
                e.stride = EST_WINDOW;
        r = sampler_open(&e, o);
        if (r == 0 && e.nwin > 0) {
                e.win = xmalloc(EST_WINDOW);
                r = archive_walk(paths, n, sample_fn, &e, d);
                if (r == 0 && e.k < e.nwin)
                        r = win_flush(&e);      /* the data shrank meanwhile */
        }
        if (e.a != NULL && archive_write_close(e.a) != ARCHIVE_OK && r == 0) {
                diag_set(d, "%s", archive_error_string(e.a));
                r = -EIO;
        }
        if (e.a != NULL)
                archive_write_free(e.a);
        free(e.win);
        if (r < 0)
                return r;
        if (none || e.sampled == 0)
                data = e.raw;
        else
                data = (uint64_t)((double)e.raw * ((double)e.packed / (double)e.sampled)) + 1;
        if (none)
                over = e.members * (EST_MEMBER_RAW + SHA256_HEX_LEN + 3) + e.name_bytes * 2;
        else
                over = e.members * EST_MEMBER_PACKED + e.name_bytes / 2;
        *ret_raw = e.raw;
        *ret_estimate = data + over + EST_TAIL;
        return 0;
}

int
backup_set_filter(struct archive *a, const char *comp, int level, bool threads,
                  struct diag *d)
{
        char buf[32];
        int r;

        if (strcmp(comp, "zstd") == 0)
                r = archive_write_add_filter_zstd(a);
        else if (strcmp(comp, "gzip") == 0)
                r = archive_write_add_filter_gzip(a);
        else if (strcmp(comp, "xz") == 0)
                r = archive_write_add_filter_xz(a);
        else if (strcmp(comp, "none") == 0)
                return 0;
        else {
                /* TRANSLATORS: %s is what the plan asked for; keep the names. */
                diag_set(d, _("unknown compression \"%s\" (expected zstd, gzip, xz or none)"),
                         comp);
                return -EINVAL;
        }
        if (r < ARCHIVE_WARN) {
                diag_set(d, _("cannot use %s compression: %s"), comp, archive_error_string(a));
                return -ENOTSUP;
        }
        if (level > 0) {
                snprintf(buf, sizeof buf, "%d", level);
                if (archive_write_set_filter_option(a, comp, "compression-level", buf)
                    < ARCHIVE_WARN) {
                        /* TRANSLATORS: %d is a number, %s a compression name. */
                        diag_set(d, _("invalid compression level %d for %s"), level, comp);
                        return -EINVAL;
                }
        }
        if (threads && strcmp(comp, "zstd") == 0) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);

                /* libarchive 3.6 knows "threads"; older ones warn, which is fine. */
                snprintf(buf, sizeof buf, "%ld", cpus > 0 ? cpus : 1);
                archive_write_set_filter_option(a, "zstd", "threads", buf);
        }
        return 0;
}
