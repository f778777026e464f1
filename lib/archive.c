/* archive.c: writing backups (pax tar + SHA-256 manifest) with libarchive.
 *
 * Reading them back (verify, restore) and the manifest format live in
 * archive_read.c; archive_int.h is what the two share.
 */
#include <config.h>

#include <dirent.h>
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
#include "lib/flush.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define PROGRESS_MS 250

struct bk {
        struct archive   *a;
        struct archive   *disk;
        int               werr;         /* errno of the first failed write */
        struct sha256    *arch;         /* of the archive, as it is written, or NULL */
        struct flusher    fl;           /* the archive being written (fl.fd), made
                                         * durable as it is written */
        struct link_seen *links;
        size_t            nlinks, links_alloc;
        struct hasher     h;            /* hashes the regular files' data */
        struct ahead      ahead;        /* opens and reads small files ahead */
        bool              use_ahead;
        struct entry_meta meta;
        uint64_t          done;
        struct measure_job total;       /* the progress total, measured meanwhile */
        bool              measuring;    /* total was started */
        int64_t           last_progress;
        size_t            members;
        const struct backup_opts *o;
        struct diag      *d;
};

static void
bk_progress(struct bk *b, bool force)
{
        uint64_t total = 0;
        int64_t now;

        if (b->o == NULL || b->o->progress == NULL)
                return;
        now = now_ms();
        if (!force && now - b->last_progress < PROGRESS_MS)
                return;
        b->last_progress = now;
        if (b->measuring)
                total = measure_total(&b->total);
        else if (b->o->select == NULL)
                total = b->o->total > b->done ? b->o->total : b->done;
        b->o->progress(b->o->ud, b->done, total);
}

/* Writes go through here. A failed write is remembered and the rest is
 * thrown away, but libarchive is told it worked: that keeps its handle usable
 * so that archive_write_close() can free its buffers; the callers check
 * b->werr after every call. */
static la_ssize_t
bk_write_cb(struct archive *a, void *ud, const void *buf, size_t len)
{
        struct bk *b = ud;

        if (b->werr == 0) {
                int r = write_all(b->fl.fd, buf, len);

                if (r < 0)
                        b->werr = -r;
        }
        if (b->werr == 0) {
                if (b->arch != NULL)
                        sha256_update(b->arch, buf, len);
                flusher_wrote(&b->fl, len);
        }
        return (la_ssize_t)len;
}

/* An error from the archive writer: the failed write's errno, else the one
 * libarchive has. */
static int
bk_write_error(struct bk *b)
{
        int e = b->werr != 0 ? b->werr : archive_errno(b->a);

        if (e <= 0)
                e = EIO;
        if (e == ENOSPC || e == EDQUOT || e == EFBIG)
                diag_set(b->d, "%s", strerror(e));
        else
                diag_set(b->d, "%s", archive_error_string(b->a) != NULL ?
                         archive_error_string(b->a) : strerror(e));
        return -e;
}

/* Write the data of the regular file open on fd, size bytes, and hand it
 * to the hasher: read into the hasher's buffer, so it is read once. */
static int
bk_data(struct bk *b, int fd, const char *src, const char *member, uint64_t size)
{
        uint64_t left = size;
        int r = 0;

        while (left > 0) {
                size_t room;
                char *buf = hasher_room(&b->h, &room);
                ssize_t n = read(fd, buf, left < room ? (size_t)left : room);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        /* TRANSLATORS: %s is a file being backed up, then the reason. */
                        diag_set(b->d, _("cannot read \"%s\": %s"), src, strerror(-r));
                        break;
                }
                if (n == 0 && b->o != NULL && b->o->live) {
                        n = (ssize_t)(left < room ? left : room);
                        memset(buf, 0, (size_t)n);
                }
                if (n == 0) {
                        r = -EIO;
                        /* TRANSLATORS: %s is a file being backed up. */
                        diag_set(b->d, _("cannot back up \"%s\": it shrank while it was "
                                         "being read (stop what writes to it and try again)"),
                                 src);
                        break;
                }
                if (archive_write_data(b->a, buf, (size_t)n) != n || b->werr != 0) {
                        r = bk_write_error(b);
                        break;
                }
                hasher_commit(&b->h, (size_t)n);
                left -= (uint64_t)n;
                b->done += (uint64_t)n;
                bk_progress(b, false);
        }
        hasher_end(&b->h, xstrdup(member));
        return r;
}

/* bk_data for a file read ahead: its len bytes are in buf. */
static int
bk_data_mem(struct bk *b, const char *member, const char *buf, size_t len)
{
        int r = 0;

        if (len > 0 && (archive_write_data(b->a, buf, len) != (la_ssize_t)len || b->werr != 0))
                r = bk_write_error(b);
        if (r == 0) {
                hasher_add(&b->h, buf, len);
                b->done += len;
                bk_progress(b, false);
        }
        hasher_end(&b->h, xstrdup(member));
        return r;
}

static int bk_walk(struct bk *b, int atfd, const char *name, const char *src,
                   const char *member, bool top, unsigned char dtype);
static int bk_entry(struct bk *b, int fd, struct stat *st, const char *src,
                    const char *member, const struct ahead_rec *rec);

/* A run of n names readdir says are regular files, read ahead on the
 * read-ahead thread (archive_ahead.c). */
static int
bk_regular_run(struct bk *b, int at, const char *src, const char *member,
               char *const *names, size_t n)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < n; i++) {
                struct ahead_rec *rec = ahead_next(&b->ahead);
                char *csrc = path_join(src, names[i]);
                char *cmem = member[0] != '\0' ? path_join(member, names[i])
                                               : xstrdup(names[i]);

                if (rec->kind == AHEAD_NAME) {
                        /* It may be a directory by now: what is below it is
                         * not read ahead, the thread is still on this run. */
                        b->use_ahead = false;
                        r = bk_walk(b, at, names[i], csrc, cmem, false, DT_REG);
                        b->use_ahead = true;
                } else {
                        r = bk_entry(b, rec->fd, &rec->st, csrc, cmem, rec);
                }
                rec->fd = -1;           /* bk_entry closed it */
                ahead_done(&b->ahead);
                free(csrc);
                free(cmem);
        }
        ahead_end(&b->ahead);
        return r;
}

/* How many names from i on readdir says are regular files, when that is
 * enough of them to read ahead; else 0. */
static size_t
bk_regular_names(const struct bk *b, const unsigned char *types, size_t i, size_t n)
{
        size_t j = i;

        if (!b->use_ahead)
                return 0;
        while (j < n && types[j] == DT_REG)
                j++;
        return j - i >= 4 ? j - i : 0;
}

static int
bk_children(struct bk *b, int dirfd, const char *src, const char *member)
{
        struct strv names = {0};
        unsigned char *types = NULL;
        int at = dup(dirfd);            /* children are opened relative to it */
        int r = archive_dir_typed(dirfd, src, &names, &types, b->d);

        for (size_t i = 0; r == 0 && i < names.n; i++) {
                size_t run = at >= 0 ? bk_regular_names(b, types, i, names.n) : 0;
                char *csrc, *cmem;

                if (run > 0 && ahead_begin(&b->ahead, at, names.v + i, run) == 0) {
                        r = bk_regular_run(b, at, src, member, names.v + i, run);
                        i += run - 1;
                        continue;
                }
                csrc = path_join(src, names.v[i]);
                cmem = member[0] != '\0' ? path_join(member, names.v[i]) : xstrdup(names.v[i]);
                r = bk_walk(b, at >= 0 ? at : AT_FDCWD, at >= 0 ? names.v[i] : csrc, csrc,
                            cmem, false, types[i]);
                free(csrc);
                free(cmem);
        }
        if (at >= 0)
                close(at);
        free(types);
        strv_release(&names);
        return r;
}

/* A second name of a file already written becomes a hard link entry. */
static const char *
bk_link_target(struct bk *b, const struct stat *st, const char *member)
{
        const char *first = NULL;

        if (link_seen_before(&b->links, &b->nlinks, &b->links_alloc, st, member, &first))
                return first;
        return NULL;
}

/* src is opened as name relative to atfd (its directory, or AT_FDCWD).
 * In a partial backup (select) a file is looked at with one lstat, and
 * opened only when select takes it. */
static int
bk_walk(struct bk *b, int atfd, const char *name, const char *src, const char *member,
        bool top, unsigned char dtype)
{
        member_select_fn select = b->o != NULL ? b->o->select : NULL;
        struct stat st;
        bool asked = false, other = false;
        int fd = -1, r = 0;

        if (select == NULL && !top && (dtype == DT_REG || dtype == DT_DIR) &&
            archive_open_typed(atfd, name, dtype, &st, &fd) == 0 && fd < 0)
                return 0;               /* gone or replaced meanwhile */
        /* A path given by the plan is followed when it is a symlink (like
         * bsdtar -H); everything below it is archived as it is. */
        if (fd < 0 && fstatat(atfd, name, &st, top ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
                if (!top && errno == ENOENT)
                        return 0;
                r = -errno;
                diag_set(b->d, _("cannot back up \"%s\": %s"), src, strerror(-r));
                return r;
        }
        if (S_ISSOCK(st.st_mode))
                return 0;               /* like tar: sockets cannot be archived */
        if (select != NULL && member[0] != '\0' && !S_ISDIR(st.st_mode)) {
                if (!select(b->o->hook_ud, member, &st))
                        return 0;       /* left out, and not opened */
                asked = true;
        }
        if (fd < 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
                r = archive_open_stat(atfd, name, src, top, &st, &fd, &other, b->d);
                if (r < 0 || fd < 0)
                        return r;
        }
        if (member[0] == '\0')          /* backing up "/" itself: no entry for it */
                return fd >= 0 ? bk_children(b, fd, src, member) : 0;
        /* A directory is asked about once open; a file again only when its
         * name led to another file than the one select was asked about. */
        if (select != NULL && (!asked || other) &&
            !select(b->o->hook_ud, member, &st) && !S_ISDIR(st.st_mode)) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        return bk_entry(b, fd, &st, src, member, NULL);
}

/* Archive member, whose stat is st, open on fd (or fd -1: not a regular
 * file or directory), which is closed. rec: what the read-ahead thread
 * knows of it already, or NULL. */
static int
bk_entry(struct bk *b, int fd, struct stat *st, const char *src, const char *member,
         const struct ahead_rec *rec)
{
        struct archive_entry *e = archive_entry_new();
        const char *link;
        int r;

        archive_entry_copy_pathname(e, member);
        if (rec != NULL && rec->probed) {
                entry_meta_known(&b->meta, e, st, rec->flags);
                r = 0;
        } else {
                r = entry_meta_fill(&b->meta, e, fd, src, st, b->d);
        }
        if (r < 0)
                goto out;
        archive_entry_copy_pathname(e, member);
        archive_entry_sparse_clear(e);
        if (b->o != NULL && b->o->seen != NULL &&
            (r = b->o->seen(b->o->hook_ud, member, st)) < 0)
                goto out;
        link = bk_link_target(b, st, member);
        if (link != NULL) {
                archive_entry_copy_hardlink(e, link);
                archive_entry_set_size(e, 0);
        }
        if (archive_write_header(b->a, e) < ARCHIVE_WARN || b->werr != 0) {
                r = bk_write_error(b);
                goto out;
        }
        b->members++;
        bk_progress(b, false);
        if (S_ISREG(st->st_mode) && link == NULL && rec != NULL && rec->kind == AHEAD_READ)
                r = bk_data_mem(b, member, rec->buf, (size_t)st->st_size);
        else if (S_ISREG(st->st_mode) && link == NULL)
                r = bk_data(b, fd, src, member, (uint64_t)st->st_size);
        else if (S_ISDIR(st->st_mode)) {
                r = bk_children(b, fd, src, member);
                fd = -1;                /* consumed */
        }
out:
        archive_entry_free(e);
        if (fd >= 0)
                close(fd);
        return r;
}

/* Write the manifest as the last member, owned by us, mode 0600, once the
 * hasher has hashed every file. */
static int
bk_manifest(struct bk *b, char hex[SHA256_HEX_LEN + 1])
{
        struct archive_entry *e = archive_entry_new();
        struct strbuf *sb = &b->h.manifest;
        size_t len;
        int r = 0;

        hasher_finish(&b->h);
        memcpy(hex, b->h.manifest_sha256, SHA256_HEX_LEN + 1);
        len = sb->len;
        archive_entry_copy_pathname(e, ARCHIVE_MANIFEST);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0600);
        archive_entry_set_uid(e, geteuid());
        archive_entry_set_gid(e, getegid());
        archive_entry_set_mtime(e, time(NULL), 0);
        archive_entry_set_size(e, (la_int64_t)len);
        if (archive_write_header(b->a, e) < ARCHIVE_WARN ||
            (len > 0 && archive_write_data(b->a, sb->buf, len) != (la_ssize_t)len) ||
            b->werr != 0)
                r = bk_write_error(b);
        archive_entry_free(e);
        return r;
}

static int
bk_run(struct bk *b, char *const *paths, size_t n, const char *comp,
       struct backup_result *res)
{
        int r;

        b->a = archive_write_new();
        b->disk = archive_read_disk_new();
        archive_read_disk_set_standard_lookup(b->disk);
        archive_read_disk_set_behavior(b->disk, ARCHIVE_READDISK_NO_SPARSE);
        b->meta.disk = b->disk;
        if (archive_write_set_format_pax_restricted(b->a) != ARCHIVE_OK) {
                diag_set(b->d, "%s", archive_error_string(b->a));
                return -EINVAL;
        }
        /* A partial backup is a few files: compressed on this thread,
         * waiting on no worker of zstd's. */
        r = backup_set_filter(b->a, comp, b->o != NULL ? b->o->level : 0,
                              b->o == NULL || b->o->select == NULL, b->d);
        if (r < 0)
                return r;
        /* No zero padding after the compressed stream: zstd refuses it.
         * Compressed output goes to the file as the compressor gives it
         * (blocks of 10 KiB would cost a write each); a plain tar is
         * written in blocks of 128 KiB. */
        archive_write_set_bytes_in_last_block(b->a, 1);
        archive_write_set_bytes_per_block(b->a, strcmp(comp, "none") == 0 ? 128 * 1024 : 0);
        if (archive_write_open(b->a, b, NULL, bk_write_cb, NULL) != ARCHIVE_OK)
                return bk_write_error(b);
        hasher_start(&b->h);
        for (size_t i = 0; r == 0 && i < n; i++) {
                char *src = archive_abs_normalise(paths[i]);

                r = bk_walk(b, AT_FDCWD, src, src, src + 1, true, DT_UNKNOWN);
                free(src);
        }
        if (r == 0)
                r = bk_manifest(b, res->manifest_sha256);
        else
                hasher_finish(&b->h);
        /* Closed even after an error, so that libarchive frees its buffers;
         * what it still writes then is thrown away. */
        if (b->werr == 0 && r < 0)
                b->werr = -r;
        if (archive_write_close(b->a) != ARCHIVE_OK || b->werr != 0)
                if (r == 0)
                        r = bk_write_error(b);
        return r;
}

int
archive_backup(char *const *paths, size_t n, const char *dest_dir, const char *name,
               const struct backup_opts *o, struct backup_result *ret, struct diag *d)
{
        const char *comp = o != NULL && o->compression != NULL ? o->compression : "zstd";
        struct backup_result res = {0};
        struct bk b = { .o = o, .d = d };
        struct stat st;
        int fd, r, fr;

        if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
            strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
                /* TRANSLATORS: %s is a file name for a backup archive. */
                diag_set(d, _("invalid backup name \"%s\""), name != NULL ? name : "");
                return -EINVAL;
        }
        r = mkdir_p(dest_dir, 0700, d);
        if (r < 0)
                return r;
        res.path = path_join(dest_dir, name);
        fd = open(res.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                /* TRANSLATORS: %s is the backup archive, then the system's reason. */
                diag_set(d, _("cannot create backup \"%s\": %s"), res.path, strerror(-r));
                free(res.path);
                return r;
        }
        flusher_init(&b.fl, fd);
        if (o == NULL || !o->sha256_later)
                b.arch = sha256_new();
        b.last_progress = now_ms();
        /* The progress total, unless the caller knows it, is measured on
         * another thread while the walk goes on; a partial backup's stays
         * unknown (0): measuring it would stat every file once more. */
        b.measuring = o != NULL && o->progress != NULL && o->select == NULL && o->total == 0;
        if (b.measuring)
                measure_start(&b.total, paths, n);
        /* A partial backup looks at each file with one lstat, before select
         * says whether to open it: nothing to read ahead. */
        b.use_ahead = o == NULL || o->select == NULL;
        ahead_init(&b.ahead);
        r = bk_run(&b, paths, n, comp, &res);
        ahead_release(&b.ahead);
        if (b.measuring) {
                measure_join(&b.total);
                if (r == 0)
                        bk_progress(&b, true);  /* the last, with the total known */
        }
        fr = flusher_finish(&b.fl, r == 0);
        if (r == 0 && fr < 0) {
                r = fr;
                diag_set(d, "%s", strerror(-r));
        }
        if (close(fd) < 0 && r == 0) {
                r = -errno;
                diag_set(d, "%s", strerror(-r));
        }
        /* The archive's SHA-256 was taken as it was written: it must be
         * all of the file. */
        if (b.arch != NULL)
                sha256_final_hex(b.arch, res.sha256);
        res.size = b.fl.written;
        if (r == 0)
                r = fsync_dir(dest_dir, d);
        if (r == 0 && (stat(res.path, &st) < 0 || !S_ISREG(st.st_mode) ||
                       (uint64_t)st.st_size != res.size)) {
                r = -EIO;
                diag_set(d, "%s", strerror(EIO));
        }
        if (r < 0) {
                char why[DIAG_MAX];

                snprintf(why, sizeof why, "%s", diag_isset(d) ? d->msg : strerror(-r));
                unlink(res.path);
                fsync_dir(dest_dir, NULL);
                if (r == -ENOSPC || r == -EDQUOT)
                        /* TRANSLATORS: %s is the backup archive, then the reason;
                         * backup_dir is a plan key, keep it. */
                        diag_set(d, _("cannot write backup \"%s\": %s (the partial archive "
                                      "was removed; free space on the backup filesystem or "
                                      "choose another backup_dir)"), res.path, why);
                else
                        /* TRANSLATORS: %s is the backup archive, then the reason. */
                        diag_set(d, _("cannot write backup \"%s\": %s (the partial archive "
                                      "was removed)"), res.path, why);
                free(res.path);
        } else {
                res.bytes_in = b.done;
                res.members = b.members;
                *ret = res;
                bk_progress(&b, true);
        }
        if (b.a != NULL)
                archive_write_free(b.a);
        if (b.disk != NULL)
                archive_read_free(b.disk);
        links_free(b.links, b.nlinks);
        entry_meta_release(&b.meta);
        free(b.h.hex);
        strbuf_release(&b.h.manifest);
        return r;
}

void
backup_result_release(struct backup_result *r)
{
        if (r == NULL)
                return;
        free(r->path);
        r->path = NULL;
}
