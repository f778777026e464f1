/* archive_swap.c: archive_restore_paths() around its extraction pass:
 * resolving each data path, telling its crash state, checking the manifest,
 * the renames, and archive_restore_commit(). The states are described in
 * archive.h. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/archive.h"
#include "lib/archive_int.h"
#include "lib/i18n.h"
#include "lib/kvlist.h"
#include "lib/util.h"

#define SUFFIX_RESTORE  ".upshift-restore"
#define SUFFIX_REPLACED ".upshift-replaced"
#define MAX_SYMLINKS 40

/* path with its symlinks followed: the parent by realpath(), the last part
 * by reading the link ourselves, so that T need not exist. With create, a
 * missing parent is created (0755). */
static char *
resolve_target(const char *path, bool create, struct diag *d)
{
        char *cur = archive_abs_normalise(path);

        for (int hop = 0; ; hop++) {
                char *dir, *base, *real, *t, link[PATH_MAX];
                struct stat st;
                ssize_t n;

                if (strcmp(cur, "/") == 0) {
                        /* TRANSLATORS: %s is a data path. */
                        diag_set(d, _("cannot restore \"%s\": it is the root directory"), path);
                        free(cur);
                        return NULL;
                }
                dir = path_dirname(cur);
                base = path_basename(cur);
                real = realpath(dir, NULL);
                if (real == NULL && errno == ENOENT && create && mkdir_p(dir, 0755, NULL) == 0)
                        real = realpath(dir, NULL);
                if (real == NULL) {
                        /* TRANSLATORS: a data path, then the system's reason. */
                        diag_set(d, _("cannot restore \"%s\": %s"), path, strerror(errno));
                        free(dir);
                        free(base);
                        free(cur);
                        return NULL;
                }
                t = strcmp(real, "/") == 0 ? xasprintf("/%s", base)
                                           : xasprintf("%s/%s", real, base);
                n = -1;
                if (lstat(t, &st) == 0 && S_ISLNK(st.st_mode))
                        n = readlink(t, link, sizeof link - 1);
                free(dir);
                free(base);
                free(cur);
                if (n < 0) {
                        free(real);
                        return t;
                }
                link[n] = '\0';
                if (hop >= MAX_SYMLINKS) {
                        diag_set(d, _("cannot restore \"%s\": %s"), path, strerror(ELOOP));
                        free(real);
                        free(t);
                        return NULL;
                }
                free(t);
                t = link[0] == '/' ? xstrdup(link) : path_join(real, link);
                cur = archive_abs_normalise(t);
                free(t);
                free(real);
        }
}

char *
archive_restore_sibling(const char *path, const char *suffix, struct diag *d)
{
        char *t = resolve_target(path, false, d), *s;

        if (t == NULL)
                return NULL;
        s = xasprintf("%s%s", t, suffix);
        free(t);
        return s;
}

static bool
lexists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

/* rm -rf path, never following a symlink; directories without search
 * permission are opened up first. */
static int
remove_at(int dirfd, const char *name, const char *shown, struct diag *d)
{
        struct strv names = {0};
        struct stat st;
        int fd, r = 0;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                goto unlink;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == EACCES && fchmodat(dirfd, name, 0700, 0) == 0)
                fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto fail;
        }
        r = archive_dir_names(dup(fd), shown, &names, d);
        for (size_t i = 0; r == 0 && i < names.n; i++)
                r = remove_at(fd, names.v[i], shown, d);
        strv_release(&names);
        close(fd);
        if (r < 0)
                return r;
unlink:
        if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) == 0 ||
            errno == ENOENT)
                return 0;
        r = -errno;
fail:
        /* TRANSLATORS: a file or directory, then the system's reason. */
        diag_set(d, _("cannot remove \"%s\": %s"), shown, strerror(-r));
        return r;
}

static int
remove_tree(const char *path, struct diag *d)
{
        char *dir = path_dirname(path), *base = path_basename(path);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        if (fd < 0) {
                r = errno == ENOENT ? 0 : -errno;
                if (r < 0)
                        diag_set(d, _("cannot remove \"%s\": %s"), path, strerror(-r));
        } else {
                r = remove_at(fd, base, path, d);
                if (r == 0)
                        fsync(fd);
                close(fd);
        }
        free(dir);
        free(base);
        return r;
}

/* Two data paths, one inside the other, would be renamed under each other. */
static int
rp_overlap(char *const *paths, size_t n, struct diag *d)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < n; i++) {
                char *a = archive_abs_normalise(paths[i]);

                for (size_t j = 0; r == 0 && j < n; j++) {
                        char *b = archive_abs_normalise(paths[j]);
                        size_t la = strlen(a);

                        if (i != j && strncmp(a, b, la) == 0 && (b[la] == '/' || b[la] == '\0')) {
                                /* TRANSLATORS: two data paths. */
                                diag_set(d, _("cannot restore \"%s\" and \"%s\" together: one is "
                                              "inside the other"), paths[i], paths[j]);
                                r = -EINVAL;
                        }
                        free(b);
                }
                free(a);
        }
        return r;
}

/* Resolve path and tell its state; remove a stale restore tree. */
static int
rp_prepare(struct rp *p, const char *path, struct diag *d)
{
        char *norm = archive_abs_normalise(path);
        bool t, rep, rst;
        int r;

        p->member = xstrdup(norm + 1);
        free(norm);
        p->target = resolve_target(path, true, d);
        if (p->target == NULL)
                return -EINVAL;
        p->restore = xasprintf("%s" SUFFIX_RESTORE, p->target);
        p->replaced = xasprintf("%s" SUFFIX_REPLACED, p->target);
        t = lexists(p->target);
        rep = lexists(p->replaced);
        rst = lexists(p->restore);
        if (!rep)
                p->state = RP_FRESH;
        else if (!t)
                p->state = rst ? RP_SECOND : RP_REEXTRACT;
        else
                p->state = RP_CHECK;
        if (p->state != RP_SECOND && rst) {
                r = remove_tree(p->restore, d);
                if (r < 0)
                        return r;
        }
        if (p->state == RP_FRESH && t) {
                char *dir = path_dirname(p->target);
                struct stat st, pst;

                if (lstat(p->target, &st) == 0 && stat(dir, &pst) == 0 &&
                    st.st_dev != pst.st_dev) {
                        /* TRANSLATORS: a data path. */
                        diag_set(d, _("cannot restore \"%s\": it is a mount point, and a "
                                      "restore replaces the data path by renaming a new tree "
                                      "over it (restore into it with archive_restore, or give "
                                      "the directory above it as the data path)"), p->target);
                        free(dir);
                        return -EXDEV;
                }
                free(dir);
        }
        return 0;
}

static bool
line_under(const char *name, const char *member)
{
        size_t ml = strlen(member);

        return strncmp(name, member, ml) == 0 && (name[ml] == '\0' || name[ml] == '/');
}

/* The manifest lines under member (or, with member NULL, under every path
 * that was extracted): shallow copies, free the array only. */
static struct manifest_line *
lines_under(const struct rp_pass *ps, const struct manifest_line *lines, size_t nl,
            const char *member, size_t *ret_n)
{
        struct manifest_line *v = xcalloc(nl ? nl : 1, sizeof *v);
        size_t n = 0;

        for (size_t j = 0; j < nl; j++) {
                bool take = false;

                for (size_t i = 0; member == NULL && !take && i < ps->n; i++)
                        take = rp_extracts(&ps->v[i]) && line_under(lines[j].name,
                                                                    ps->v[i].member);
                if (member != NULL)
                        take = line_under(lines[j].name, member);
                if (take)
                        v[n++] = lines[j];
        }
        *ret_n = n;
        return v;
}

struct disk_hash {
        const char           *member;
        struct manifest_line *v;
        size_t                n, alloc;
        struct diag          *d;
};

static int
disk_hash_fn(void *ud, const char *src, const char *rel, const struct stat *st, bool first)
{
        struct disk_hash *h = ud;
        struct manifest_line *ml;

        if (!S_ISREG(st->st_mode) || !first)
                return 0;
        xgrow((void **)&h->v, &h->alloc, h->n + 1, sizeof *h->v);
        ml = &h->v[h->n];
        ml->name = rel[0] != '\0' ? path_join(h->member, rel) : xstrdup(h->member);
        h->n++;
        return sha256_file(src, ml->hex, NULL, h->d);
}

/* Both renames were done by an earlier call: is T still what the backup holds? */
static int
rp_check(const struct rp_pass *ps, const struct rp *p, const struct manifest_line *lines,
         size_t nl, struct diag *d)
{
        struct disk_hash h = { .member = p->member, .d = d };
        char *const paths[] = { p->target };
        struct manifest_line *want;
        size_t nw;
        int r = archive_walk(paths, 1, disk_hash_fn, &h, d);

        want = lines_under(ps, lines, nl, p->member, &nw);
        if (r == 0 && manifest_compare(ps->archive, h.v, h.n, want, nw, d) < 0) {
                /* TRANSLATORS: a data path, then its sibling left by a restore. */
                diag_prefix(d, _("cannot restore \"%s\": \"%s\" is left from an earlier restore "
                                 "that was not committed, and the data path no longer matches "
                                 "the backup (move it away or commit that restore, then try "
                                 "again)"), p->target, p->replaced);
                r = -EEXIST;
        }
        free(want);
        manifest_lines_free(h.v, h.n);
        return r;
}

/* After a pass: every path found (in a full backup), every file matching
 * its line. The manifest's lines go to *ret_lines for the caller to free. */
static int
rp_verify(struct rp_pass *ps, struct manifest_line **ret_lines, size_t *ret_nl,
          struct diag *d)
{
        struct manifest_line *lines = NULL, *want;
        size_t nl = 0, nw, bad = 0;
        int r;

        for (size_t i = 0; !ps->partial && i < ps->n; i++) {
                if (rp_extracts(&ps->v[i]) && !ps->v[i].seen) {
                        /* TRANSLATORS: a backup, then a data path. */
                        diag_set(d, _("backup \"%s\" holds nothing for \"/%s\""), ps->archive,
                                 ps->v[i].member);
                        return -ENOENT;
                }
        }
        if (!ps->have_manifest) {
                /* TRANSLATORS: %s is a backup archive. */
                diag_set(d, _("backup \"%s\" has no manifest"), ps->archive);
                return -EBADMSG;
        }
        if (manifest_parse(ps->manifest.buf != NULL ? ps->manifest.buf : "", ps->manifest.len,
                           &lines, &nl, &bad) < 0) {
                /* TRANSLATORS: a backup, then a line number in its manifest. */
                diag_set(d, _("backup \"%s\": line %zu of the manifest is not in sha256sum "
                              "format"), ps->archive, bad);
                return -EBADMSG;
        }
        want = lines_under(ps, lines, nl, NULL, &nw);
        r = manifest_compare(ps->archive, ps->files, ps->nfiles, want, nw, d);
        free(want);
        if (r < 0) {
                manifest_lines_free(lines, nl);
                return r;
        }
        *ret_lines = lines;
        *ret_nl = nl;
        return 0;
}

/* Is name, or a directory above it, in removed? */
static bool
removed_under(const struct kvlist *removed, const char *name)
{
        char *n = xstrdup(name), *slash;
        bool hit = kvlist_get(removed, n) != NULL;

        while (!hit && (slash = strrchr(n, '/')) != NULL) {
                *slash = '\0';
                hit = kvlist_get(removed, n) != NULL;
        }
        free(n);
        return hit;
}

/* What the paths hold once the partial backup is laid over the full one:
 * the partial backup's lines, and the full one's lines of files neither in
 * it nor removed. Shallow copies of both: free the array only. */
static struct manifest_line *
lines_merged(const struct manifest_line *full, size_t nf, const struct manifest_line *part,
             size_t np, const struct restore_delta *delta, size_t *ret_n)
{
        struct manifest_line *v = xcalloc(nf + np + 1, sizeof *v);
        struct kvlist over = {0}, gone = {0};
        size_t n = 0;

        for (size_t i = 0; i < np; i++) {
                kvlist_set(&over, part[i].name, "");
                v[n++] = part[i];
        }
        for (size_t i = 0; i < delta->nremoved; i++)
                kvlist_set(&gone, delta->removed[i], "");
        for (size_t i = 0; i < nf; i++)
                if (kvlist_get(&over, full[i].name) == NULL && !removed_under(&gone, full[i].name))
                        v[n++] = full[i];
        kvlist_release(&over);
        kvlist_release(&gone);
        *ret_n = n;
        return v;
}

/* Remove from the restore trees what the partial backup says is gone. */
static int
rp_remove(const struct rp_pass *ps, const struct restore_delta *delta, struct diag *d)
{
        int r = 0;

        for (size_t k = 0; r == 0 && k < delta->nremoved; k++) {
                const char *name = delta->removed[k];
                ssize_t i = rp_match(ps->v, ps->n, name);
                char *dest;

                if (i < 0 || !rp_extracts(&ps->v[i]) || strcmp(name, ps->v[i].member) == 0)
                        continue;
                r = refuse_unsafe(delta->archive, name, NULL, d);
                if (r < 0)
                        break;
                dest = rp_dest(&ps->v[i], name);
                r = remove_tree(dest, d);
                free(dest);
        }
        return r;
}

/* Flush the new tree to disk before any rename makes it the data. */
static int
rp_flush(const struct rp *p, struct diag *d)
{
        int fd = open(p->restore, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), r = 0;

        if (fd < 0 || syncfs(fd) < 0) {
                r = -errno;
                /* TRANSLATORS: a directory being restored, then the system's reason. */
                diag_set(d, _("cannot flush \"%s\" to disk: %s"), p->restore, strerror(-r));
        }
        if (fd >= 0)
                close(fd);
        return r;
}

static int
rp_rename(const char *from, const char *to, struct diag *d)
{
        if (rename(from, to) < 0) {
                int r = -errno;

                /* TRANSLATORS: two paths, then the system's reason. */
                diag_set(d, _("cannot rename \"%s\" to \"%s\": %s"), from, to, strerror(-r));
                return r;
        }
        return fsync_dir_of(to, d);
}

static int
rp_swap(const struct rp *p, struct diag *d)
{
        int r = 0;

        if (p->state == RP_CHECK)
                return 0;
        if (p->state == RP_FRESH && lexists(p->target))
                r = rp_rename(p->target, p->replaced, d);
        if (r == 0)
                r = rp_rename(p->restore, p->target, d);
        return r;
}

static void
rp_release(struct rp_pass *ps)
{
        for (size_t i = 0; i < ps->n; i++) {
                free(ps->v[i].member);
                free(ps->v[i].target);
                free(ps->v[i].restore);
                free(ps->v[i].replaced);
        }
        free(ps->v);
        manifest_lines_free(ps->files, ps->nfiles);
        strbuf_release(&ps->manifest);
}

/* Lay the partial backup over the trees the full one was extracted into:
 * what it says is gone is removed, then its members are extracted over the
 * rest and checked against its manifest. *merged gets what the paths must
 * hold now (shallow copies of full's and *part's lines). */
static int
rp_partial(struct rp_pass *ps, const struct restore_delta *delta, struct manifest_line *full,
           size_t nf, struct manifest_line **part, size_t *np,
           struct manifest_line **merged, size_t *nm, struct diag *d)
{
        struct rp_pass dp = { .archive = delta->archive, .v = ps->v, .n = ps->n,
                              .partial = true, .prog = ps->prog };
        struct stat st;
        int r;

        if (stat(delta->archive, &st) < 0) {
                r = -errno;
                diag_set(d, _("cannot open backup \"%s\": %s"), delta->archive, strerror(-r));
                return r;
        }
        dp.prog.total = (uint64_t)st.st_size;
        r = rp_remove(ps, delta, d);
        if (r == 0)
                r = rp_extract(&dp, d);
        if (r == 0)
                r = rp_verify(&dp, part, np, d);
        if (r == 0)
                *merged = lines_merged(full, nf, *part, *np, delta, nm);
        manifest_lines_free(dp.files, dp.nfiles);
        strbuf_release(&dp.manifest);
        rp_dirs_release(&dp);
        return r;
}

int
archive_restore_layers(const char *archive, const struct restore_delta *delta,
                       char *const *paths, size_t n, progress_fn progress, void *ud,
                       struct diag *d)
{
        struct rp_pass ps = { .archive = archive, .n = n };
        struct manifest_line *lines = NULL, *part = NULL, *merged = NULL;
        size_t nl = 0, np = 0, nm = 0;
        bool pass = false;
        struct stat st;
        int r = 0;

        if (stat(archive, &st) < 0) {
                r = -errno;
                diag_set(d, _("cannot open backup \"%s\": %s"), archive, strerror(-r));
                return r;
        }
        ps.archive_size = (uint64_t)st.st_size;
        ps.prog = (struct read_progress){ progress, ud, ps.archive_size, now_ms() };
        ps.v = xcalloc(n ? n : 1, sizeof *ps.v);
        r = rp_overlap(paths, n, d);
        for (size_t i = 0; r == 0 && i < n; i++) {
                r = rp_prepare(&ps.v[i], paths[i], d);
                pass = pass || ps.v[i].state != RP_SECOND;
        }
        /* One pass extracts what is to be extracted and reads the manifest
         * (a check needs it too); only second renames need no pass. */
        if (r == 0 && pass)
                r = rp_extract(&ps, d);
        if (r == 0 && pass)
                r = rp_verify(&ps, &lines, &nl, d);
        if (r == 0 && pass && delta != NULL)
                r = rp_partial(&ps, delta, lines, nl, &part, &np, &merged, &nm, d);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (ps.v[i].state == RP_CHECK)
                        r = rp_check(&ps, &ps.v[i], merged ? merged : lines,
                                     merged ? nm : nl, d);
        for (size_t i = 0; r == 0 && i < n; i++)
                if (rp_extracts(&ps.v[i]))
                        r = rp_flush(&ps.v[i], d);
        if (r < 0) {
                /* Nothing was renamed yet: what this call extracted goes. */
                for (size_t i = 0; i < n; i++)
                        if (ps.v[i].restore != NULL && rp_extracts(&ps.v[i]))
                                remove_tree(ps.v[i].restore, NULL);
        }
        for (size_t i = 0; r == 0 && i < n; i++)
                r = rp_swap(&ps.v[i], d);
        free(merged);
        manifest_lines_free(part, np);
        manifest_lines_free(lines, nl);
        rp_release(&ps);
        return r;
}

int
archive_restore_paths(const char *archive, char *const *paths, size_t n,
                      progress_fn progress, void *ud, struct diag *d)
{
        return archive_restore_layers(archive, NULL, paths, n, progress, ud, d);
}

int
archive_restore_commit(char *const *paths, size_t n, struct diag *d)
{
        int r = 0;

        for (size_t i = 0; r == 0 && i < n; i++) {
                char *t = resolve_target(paths[i], false, d), *s;

                if (t == NULL)
                        return -EINVAL;
                s = xasprintf("%s" SUFFIX_RESTORE, t);
                r = remove_tree(s, d);
                free(s);
                s = xasprintf("%s" SUFFIX_REPLACED, t);
                if (r == 0)
                        r = remove_tree(s, d);
                free(s);
                free(t);
        }
        return r;
}
