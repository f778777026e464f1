/* package.c: staging files out of a package (.deb, .rpm, tar, zip, bare file).
 *
 * The package file is opened once; its SHA-256 is computed from that
 * descriptor before anything reads it as an archive. Then two passes over
 * the archive: the first lists every entry (name, type, link target), so
 * that requested members can be resolved through symlinks and hard links
 * whatever their order in the stream; the second extracts the regular files
 * the requests ended on.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/package_int.h"
#include "lib/util.h"

/* A staged file j whose data is the entry at stream position idx. */
struct want {
        size_t idx, j;
};

struct extract {
        const struct pkg_entry **target;        /* per staged file; NULL for a link */
        struct want          *wants;    /* every file to extract, by idx then j */
        size_t                n_wants;
        struct staged        *out;
        size_t                n, done;
        uint64_t              written;  /* by all staged files together */
};

static int
want_cmp(const void *a, const void *b)
{
        const struct want *x = a, *y = b;

        if (x->idx != y->idx)
                return x->idx < y->idx ? -1 : 1;
        return x->j < y->j ? -1 : x->j > y->j;
}

/* The first of x->wants at stream position idx or after. */
static size_t
want_first(const struct extract *x, size_t idx)
{
        size_t lo = 0, hi = x->n_wants;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (x->wants[mid].idx < idx)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int
open_staged(struct pkg *p, const char *path)
{
        int fd;

        if (unlink(path) < 0 && errno != ENOENT)
                fd = -1;
        else
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                /* TRANSLATORS: a staging file, then the system's reason. */
                diag_set(p->d, _("cannot create \"%s\": %s"), path, strerror(errno));
        return fd;
}

/* Copy the current entry's data into every staged file that wants it. */
static int
extract_entry(struct pkg *p, struct archive *a, struct archive_entry *e, size_t idx, void *ud)
{
        struct extract *x = ud;
        struct sha256 *c = NULL;
        size_t *want, nw = 0, first = want_first(x, idx);
        int *fds;
        uint64_t size = 0;
        char hex[SHA256_HEX_LEN + 1];
        int r = 0;

        while (first + nw < x->n_wants && x->wants[first + nw].idx == idx)
                nw++;
        if (nw == 0)
                return 0;
        want = xcalloc(nw, sizeof *want);
        fds = xcalloc(nw, sizeof *fds);
        for (size_t k = 0; k < nw; k++)
                want[k] = x->wants[first + k].j;
        for (size_t k = 0; k < nw; k++)
                fds[k] = -1;
        for (size_t k = 0; k < nw && r == 0; k++) {
                fds[k] = open_staged(p, x->out->files[want[k]].path);
                if (fds[k] < 0)
                        r = -errno;
        }
        c = sha256_new();
        while (r == 0) {
                la_ssize_t n = archive_read_data(a, p->buf, PKG_BUF);

                if (n == 0)
                        break;
                if (n < 0) {
                        r = pkg_read_error(p, a, x->out->files[want[0]].member);
                        break;
                }
                size += (uint64_t)n;
                /* Counted as it is decompressed, before it is written. */
                if ((uint64_t)n * nw > p->max_bytes - x->written) {
                        char lim[32];

                        bytes_format(lim, sizeof lim, p->max_bytes);
                        /* TRANSLATORS: a package, a member, then a size like "4.0 GiB". */
                        diag_set(p->d, _("package \"%s\": member \"%s\" expands past the size "
                                         "limit of %s and is refused (extraction stopped "
                                         "there)"), p->name, x->out->files[want[0]].member, lim);
                        r = -EFBIG;
                        break;
                }
                x->written += (uint64_t)n * nw;
                sha256_update(c, p->buf, (size_t)n);
                for (size_t k = 0; k < nw && r == 0; k++) {
                        r = write_all(fds[k], p->buf, (size_t)n);
                        if (r < 0)
                                diag_set(p->d, _("cannot write \"%s\": %s"),
                                         x->out->files[want[k]].path, strerror(-r));
                }
        }
        sha256_final_hex(c, hex);
        for (size_t k = 0; k < nw; k++) {
                struct staged_file *sf = &x->out->files[want[k]];

                if (fds[k] < 0)
                        continue;
                if (r == 0 && close(fds[k]) < 0) {
                        r = -errno;
                        diag_set(p->d, _("cannot write \"%s\": %s"), sf->path, strerror(-r));
                } else if (r != 0) {
                        close(fds[k]);
                }
                /* never writable by group or others, whatever the package says */
                sf->mode = x->target[want[k]]->perm & 07755;
                sf->size = size;
                memcpy(sf->sha256, hex, sizeof hex);
        }
        if (r == 0)
                x->done += nw;
        free(want);
        free(fds);
        return r;
}

/* Add a member's declared size to *sum; refuse when all of them together
 * would pass the limit. */
static int
declared_size(struct pkg *p, const char *member, uint64_t size, uint64_t *sum)
{
        char lim[32];

        if (size <= p->max_bytes - *sum) {
                *sum += size;
                return 0;
        }
        bytes_format(lim, sizeof lim, p->max_bytes);
        /* TRANSLATORS: a package, a member, then a size like "4.0 GiB". */
        diag_set(p->d, _("package \"%s\": member \"%s\" takes the staged files past the size "
                         "limit of %s and is refused"), p->name, member, lim);
        return -EFBIG;
}

/* Not an archive: the file itself is the single member's content. */
static int
stage_bare(struct pkg *p, struct staged *s)
{
        struct staged_file *sf = &s->files[0];
        struct sha256 *c = sha256_new();
        struct stat st;
        int out, r = 0;

        if (fstat(p->fd, &st) < 0 || lseek(p->fd, 0, SEEK_SET) < 0) {
                r = -errno;
                diag_set(p->d, _("cannot read package \"%s\": %s"), p->name, strerror(-r));
        } else {
                r = declared_size(p, sf->member, (uint64_t)st.st_size, &sf->size);
                sf->size = 0;
        }
        out = r == 0 ? open_staged(p, sf->path) : -1;
        if (r == 0 && out < 0)
                r = -errno;
        while (r == 0) {
                ssize_t n = read(p->fd, p->buf, PKG_BUF);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n < 0) {
                                r = -errno;
                                diag_set(p->d, _("cannot read package \"%s\": %s"), p->name,
                                         strerror(-r));
                        }
                        break;
                }
                sha256_update(c, p->buf, (size_t)n);
                sf->size += (uint64_t)n;
                r = write_all(out, p->buf, (size_t)n);
                if (r < 0)
                        diag_set(p->d, _("cannot write \"%s\": %s"), sf->path, strerror(-r));
        }
        sha256_final_hex(c, sf->sha256);
        if (out >= 0 && r == 0 && close(out) < 0) {
                r = -errno;
                diag_set(p->d, _("cannot write \"%s\": %s"), sf->path, strerror(-r));
        } else if (out >= 0 && r != 0) {
                close(out);
        }
        /* A downloaded binary often lacks x bits: whoever may read it may run it. */
        sf->mode = ((st.st_mode & 0777) | ((st.st_mode & 0444) >> 2)) & 0755;
        return r;
}

/* The staging directory: created 0700, ours, not writable by others. */
static int
staging_prepare(struct pkg *p, const char *dir)
{
        struct stat st;
        int r = mkdir_p(dir, 0700, p->d);

        if (r < 0)
                return r;
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
            (st.st_mode & 022) != 0) {
                /* TRANSLATORS: %s is a directory. */
                diag_set(p->d, _("staging directory \"%s\" must be a directory owned by you "
                                 "and writable only by you"), dir);
                return -EPERM;
        }
        return 0;
}

/* Hash the package from its descriptor and check want (when given). */
static int
pkg_checksum(struct pkg *p, const char *want, char got[SHA256_HEX_LEN + 1])
{
        struct sha256 *c = sha256_new();
        int r = 0;

        for (;;) {
                ssize_t n = read(p->fd, p->buf, PKG_BUF);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        diag_set(p->d, _("cannot read package \"%s\": %s"), p->name,
                                 strerror(-r));
                }
                if (n <= 0)
                        break;
                sha256_update(c, p->buf, (size_t)n);
        }
        sha256_final_hex(c, got);
        if (r == 0 && want != NULL && want[0] != '\0' && strcasecmp(got, want) != 0) {
                /* TRANSLATORS: a package, then two SHA-256 sums in hex. */
                diag_set(p->d, _("package \"%s\": SHA-256 is %s, expected %s"), p->name, got,
                         want);
                r = -EBADMSG;
        }
        return r;
}

/* Add a file to stage to s; its content goes to dir/<index>. */
static struct staged_file *
staged_add(struct staged *s, size_t *alloc, const char *member, const char *rel,
           size_t request, const char *dir)
{
        struct staged_file *sf;
        char num[32];

        xgrow((void **)&s->files, alloc, s->n + 1, sizeof *s->files);
        sf = &s->files[s->n];
        memset(sf, 0, sizeof *sf);
        snprintf(num, sizeof num, "%zu", s->n);
        sf->member = xstrdup(member);
        sf->rel = rel ? xstrdup(rel) : NULL;
        sf->request = request;
        sf->path = path_join(dir, num);
        s->n++;
        return sf;
}

/* Fill s with what to stage: each member asked for by name, and for a
 * member ending in "/" every entry below it that is not a directory (the
 * last of each name, in stream order). */
static int
expand(struct pkg *p, char *const *members, size_t n, const char *dir, struct staged *s)
{
        size_t alloc = 0;

        for (size_t j = 0; j < n; j++) {
                size_t len, found = 0;
                bool unsafe;
                char *key;
                int r = 0;

                if (!str_endswith(members[j], "/")) {
                        staged_add(s, &alloc, members[j], NULL, j, dir);
                        continue;
                }
                key = pkg_member_key(members[j], &unsafe);
                len = strlen(key);
                for (size_t i = 0; i < p->n && r == 0; i++) {
                        const struct pkg_entry *e = &p->v[i];
                        struct staged_file *sf;
                        const char *rel;

                        if (len > 0 && (strncmp(e->key, key, len) != 0 || e->key[len] != '/'))
                                continue;
                        rel = len > 0 ? e->key + len + 1 : e->key;
                        if (*rel == '\0' || e->type == AE_IFDIR || pkg_find_last(p, e->key) != e)
                                continue;
                        found++;
                        if (e->unsafe) {
                                diag_set(p->d, _("package \"%s\": member \"%s\" has an absolute "
                                                 "path or \"..\" and is refused"), p->name, e->key);
                                r = -EPERM;
                                break;
                        }
                        if (e->type == AE_IFLNK && !e->hard &&
                            (e->link == NULL || e->link[0] == '\0')) {
                                /* TRANSLATORS: a package, then a member. */
                                diag_set(p->d, _("package \"%s\": member \"%s\" is a link to "
                                                 "nothing"), p->name, e->key);
                                r = -EINVAL;
                                break;
                        }
                        if ((r = pkg_check_mapped(p, members[j], e, rel)) < 0)
                                break;
                        sf = staged_add(s, &alloc, e->key, rel, j, dir);
                        if (e->type != AE_IFLNK || e->hard)
                                continue;
                        sf->link = xstrdup(e->link);
                        sf->mode = 0777;
                        sf->size = strlen(e->link);
                        package_link_sha256(e->link, sf->sha256);
                }
                if (r == 0 && found == 0) {
                        /* TRANSLATORS: a package, then a directory in it ("usr/lib/x/"). */
                        diag_set(p->d, _("package \"%s\" has no files under \"%s\""), p->name,
                                 members[j]);
                        r = -ENOENT;
                }
                free(key);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
stage(struct pkg *p, const char *want, char *const *members, size_t n, const char *dir,
      struct staged *s)
{
        struct extract x = { .out = s };
        uint64_t declared = 0;
        size_t files = 0;
        struct stat st;
        int r;

        if (want != NULL && want[0] != '\0' && !sha256_valid_hex(want)) {
                /* TRANSLATORS: a checksum as given, then a package. */
                diag_set(p->d, _("invalid SHA-256 \"%s\" for package \"%s\": expected 64 "
                                 "hexadecimal digits"), want, p->name);
                return -EINVAL;
        }
        if (fstat(p->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                /* TRANSLATORS: %s is a package file. */
                diag_set(p->d, _("package \"%s\" is not a regular file"), p->name);
                return -EINVAL;
        }
        r = pkg_checksum(p, want, s->sha256);
        for (size_t j = 0; r == 0 && j < n; j++) {
                bool unsafe;
                char *key = pkg_member_key(members[j], &unsafe);

                free(key);
                if (unsafe) {
                        diag_set(p->d, _("package \"%s\": member \"%s\" has an absolute path or "
                                         "\"..\" and is refused"), p->name, members[j]);
                        r = -EPERM;
                }
        }
        if (r == 0)
                r = pkg_list(p);
        if (r == 0 && p->version == NULL)
                p->version = pkg_rpm_version(p->fd);
        if (r == 0)
                r = pkg_check_version(p, p->want_version);
        if (r == PKG_BARE) {
                size_t alloc = 0;

                if (n != 1) {
                        /* TRANSLATORS: a package, then how many files the plan asked for. */
                        diag_set(p->d, _("package \"%s\" is not an archive, so it holds one "
                                         "file, but %zu members were asked for"), p->name, n);
                        return -EINVAL;
                }
                if (str_endswith(members[0], "/")) {
                        /* TRANSLATORS: a package, then a directory the plan asked for. */
                        diag_set(p->d, _("package \"%s\" is not an archive, so it has no "
                                         "directory \"%s\""), p->name, members[0]);
                        return -EINVAL;
                }
                staged_add(s, &alloc, members[0], NULL, 0, dir);
                r = staging_prepare(p, dir);
                return r < 0 ? r : stage_bare(p, s);
        }
        if (r == 0)
                r = expand(p, members, n, dir, s);
        if (r < 0)
                return r;
        x.n = s->n;
        x.target = xcalloc(s->n ? s->n : 1, sizeof *x.target);
        for (size_t j = 0; r == 0 && j < s->n; j++) {
                const char *m = s->files[j].member;

                if (s->files[j].link != NULL)
                        continue;
                files++;
                r = pkg_resolve(p, m, &x.target[j]);
                if (r == 0 && x.target[j]->size > 0)
                        r = declared_size(p, m, (uint64_t)x.target[j]->size, &declared);
        }
        if (r == 0)
                r = pkg_find_hostile(p, s);     /* before anything is extracted */
        if (r == 0) {
                x.wants = xcalloc(files ? files : 1, sizeof *x.wants);
                for (size_t j = 0; j < s->n; j++)
                        if (x.target[j] != NULL)
                                x.wants[x.n_wants++] = (struct want){ x.target[j]->idx, j };
                qsort(x.wants, x.n_wants, sizeof *x.wants, want_cmp);
                r = staging_prepare(p, dir);
        }
        if (r == 0)
                r = pkg_each(p, extract_entry, &x, false);
        if (r == 0 && x.done != files) {
                /* TRANSLATORS: %s is a package file. */
                diag_set(p->d, _("package \"%s\" changed while it was being read"), p->name);
                r = -EIO;
        }

        free(x.target);
        free(x.wants);
        return r;
}

/* Release what the package readers (package_read.c) filled in p, and close it. */
static void
pkg_close(struct pkg *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->v[i].key);
                free(p->v[i].link);
        }
        free(p->v);
        kvlist_release(&p->names);
        free(p->last);
        free(p->version);
        free(p->buf);
        close(p->fd);
}

/* The staged files and their entries to disk: one syncfs, not an fsync each. */
static int
sync_staged(const char *dir, struct diag *d)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = fd < 0 || syncfs(fd) < 0 ? -errno : 0;

        if (r < 0)      /* TRANSLATORS: a directory, then the system's reason. */
                diag_set(d, _("cannot sync the filesystem of \"%s\": %s"), dir, strerror(-r));
        if (fd >= 0)
                close(fd);
        return r;
}

int
package_stage(const char *pkg, const char *want_sha256, char *const *members, size_t n,
              const char *staging_dir, const struct stage_opts *o, struct staged *ret,
              struct diag *d)
{
        struct pkg p = { .name = pkg, .d = d, .max_bytes = PKG_MAX_SIZE };
        struct staged s = {0};
        int r;

        /* O_NONBLOCK: a FIFO given by mistake must not hang us (fstat refuses it) */
        p.fd = open(pkg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (p.fd < 0) {
                r = -errno;
                /* TRANSLATORS: a package file, then the system's reason. */
                diag_set(d, _("cannot open package \"%s\": %s"), pkg, strerror(-r));
                return r;
        }
        if (o != NULL) {
                p.allow_setid = o->allow_setid;
                p.want_version = o->want_version;
                p.strict = o->strict;
                if (o->max_bytes > 0)
                        p.max_bytes = o->max_bytes;
        }
        p.buf = xmalloc(PKG_BUF);
        r = stage(&p, want_sha256, members, n, staging_dir, &s);
        if (r == 0 && (r = sync_staged(staging_dir, d)) == 0) {
                s.version = p.version;
                p.version = NULL;
                *ret = s;
        } else {
                for (size_t j = 0; j < s.n; j++)
                        if (s.files[j].link == NULL &&
                            (s.files[j].size > 0 || s.files[j].sha256[0] != '\0'))
                                unlink(s.files[j].path);
                staged_release(&s);
        }
        pkg_close(&p);
        return r;
}

void
staged_release(struct staged *s)
{
        if (s == NULL)
                return;
        for (size_t j = 0; j < s->n; j++) {
                free(s->files[j].member);
                free(s->files[j].path);
                free(s->files[j].rel);
                free(s->files[j].link);
        }
        free(s->files);
        free(s->version);
        strv_release(&s->hostile);
        s->files = NULL;
        s->version = NULL;
        s->n = 0;
}

void
package_link_sha256(const char *text, char hex[SHA256_HEX_LEN + 1])
{
        struct sha256 *c = sha256_new();

        sha256_update(c, "symlink:", 8);
        sha256_update(c, text, strlen(text));
        sha256_final_hex(c, hex);
}

int
package_list(const char *pkg, char *const *members, size_t n, struct strv *ret_members,
             struct strv *ret_rels, struct strv *ret_links, struct diag *d)
{
        struct pkg p = { .name = pkg, .d = d, .max_bytes = PKG_MAX_SIZE };
        struct staged s = {0};
        size_t alloc = 0;
        int r;

        p.fd = open(pkg, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (p.fd < 0) {
                r = -errno;
                diag_set(d, _("cannot open package \"%s\": %s"), pkg, strerror(-r));
                return r;
        }
        p.buf = xmalloc(PKG_BUF);
        r = pkg_list(&p);
        if (r == PKG_BARE) {
                for (size_t j = 0; j < n; j++)
                        staged_add(&s, &alloc, members[j], NULL, j, "");
                r = 0;
        } else if (r == 0) {
                r = expand(&p, members, n, "", &s);
        }
        for (size_t j = 0; r == 0 && j < s.n; j++) {
                strv_push(ret_members, s.files[j].member);
                strv_push(ret_rels, s.files[j].rel ? s.files[j].rel : "");
                strv_push(ret_links, s.files[j].link ? s.files[j].link : "");
        }
        staged_release(&s);
        pkg_close(&p);
        return r;
}
