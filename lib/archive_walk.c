/* archive_walk.c: walking the data paths the way a backup does (sorted
 * names, hard links once, the top path followed when it is a symlink),
 * for archive_measure() and the estimate; opening what a backup's walk
 * finds; path normalisation. */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/archive.h"
#include "lib/archive_int.h"
#include "lib/i18n.h"
#include "lib/util.h"

char *
archive_abs_normalise(const char *path)
{
        struct strbuf sb = {0};
        char *tmp, *save = NULL;

        if (path[0] != '/') {
                char *cwd = getcwd(NULL, 0);

                tmp = xasprintf("%s/%s", cwd != NULL ? cwd : "", path);
                free(cwd);
        } else {
                tmp = xstrdup(path);
        }
        for (char *c = strtok_r(tmp, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        char *slash = sb.buf != NULL ? strrchr(sb.buf, '/') : NULL;

                        if (slash != NULL) {
                                sb.len = (size_t)(slash - sb.buf);
                                sb.buf[sb.len] = '\0';
                        }
                        continue;
                }
                strbuf_addch(&sb, '/');
                strbuf_adds(&sb, c);
        }
        free(tmp);
        if (sb.len == 0)
                strbuf_adds(&sb, "/");
        return strbuf_detach(&sb);
}

/* A name and its d_type, while they are sorted together. */
struct typed_name {
        char          *name;
        unsigned char  type;
};

static int
typed_cmp(const void *a, const void *b)
{
        return strcmp(((const struct typed_name *)a)->name,
                      ((const struct typed_name *)b)->name);
}

int
archive_dir_typed(int fd, const char *src, struct strv *ret, unsigned char **ret_types,
                  struct diag *d)
{
        DIR *dir = fdopendir(fd);
        struct typed_name *v = NULL;
        size_t n = 0, alloc = 0;
        struct dirent *de;
        int e = 0;

        if (dir == NULL) {
                e = errno;
                close(fd);
                /* TRANSLATORS: %s is a directory, then the system's reason. */
                diag_set(d, _("cannot read directory \"%s\": %s"), src, strerror(e));
                return -e;
        }
        errno = 0;
        while ((de = readdir(dir)) != NULL) {
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        xgrow((void **)&v, &alloc, n + 1, sizeof *v);
                        v[n++] = (struct typed_name){ xstrdup(de->d_name), de->d_type };
                }
                errno = 0;
        }
        e = errno;
        closedir(dir);
        if (e == 0 && n > 0)
                qsort(v, n, sizeof *v, typed_cmp);
        if (e == 0 && ret_types != NULL)
                *ret_types = xmalloc(n > 0 ? n : 1);
        for (size_t i = 0; i < n; i++) {
                if (e == 0 && ret_types != NULL)
                        (*ret_types)[i] = v[i].type;
                if (e == 0)
                        strv_push_take(ret, v[i].name);
                else
                        free(v[i].name);
        }
        free(v);
        if (e != 0) {
                diag_set(d, _("cannot read directory \"%s\": %s"), src, strerror(e));
                return -e;
        }
        return 0;
}

int
archive_dir_names(int fd, const char *src, struct strv *ret, struct diag *d)
{
        return archive_dir_typed(fd, src, ret, NULL, d);
}

bool
link_seen_before(struct link_seen **links, size_t *n, size_t *alloc, const struct stat *st,
                 const char *member, const char **ret_member)
{
        if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
                return false;
        for (size_t i = 0; i < *n; i++) {
                if ((*links)[i].dev == st->st_dev && (*links)[i].ino == st->st_ino) {
                        if (ret_member != NULL)
                                *ret_member = (*links)[i].member;
                        return true;
                }
        }
        xgrow((void **)links, alloc, *n + 1, sizeof **links);
        (*links)[(*n)++] = (struct link_seen){ st->st_dev, st->st_ino,
                                               xstrdup(member != NULL ? member : "") };
        return false;
}

void
links_free(struct link_seen *links, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(links[i].member);
        free(links);
}

struct walk {
        walk_fn           fn;
        void             *ud;
        struct link_seen *links;        /* files with more than one name */
        size_t            n, alloc;
        struct diag      *d;
};

/* src is looked up as name relative to atfd (its directory, or AT_FDCWD),
 * which costs one path component, not all of them. */
static int
walk_one(struct walk *w, int atfd, const char *name, const char *src, const char *rel,
         bool top)
{
        struct strv names = {0};
        struct stat st;
        bool again;
        int fd, at, r;

        if (fstatat(atfd, name, &st, top ? 0 : AT_SYMLINK_NOFOLLOW) < 0) {
                if (!top && errno == ENOENT)
                        return 0;       /* vanished meanwhile: not ours to judge */
                r = -errno;
                /* TRANSLATORS: %s is a data path, then the system's reason. */
                diag_set(w->d, _("cannot back up \"%s\": %s"), src, strerror(-r));
                return r;
        }
        again = link_seen_before(&w->links, &w->n, &w->alloc, &st, NULL, NULL);
        r = w->fn(w->ud, src, rel, &st, !again);
        if (r != 0 || !S_ISDIR(st.st_mode))
                return r;
        fd = openat(atfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (top ? 0 : O_NOFOLLOW));
        if (fd < 0) {
                if (!top && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR))
                        return 0;
                r = -errno;
                diag_set(w->d, _("cannot back up \"%s\": %s"), src, strerror(-r));
                return r;
        }
        at = dup(fd);
        r = archive_dir_names(fd, src, &names, w->d);
        for (size_t i = 0; r == 0 && i < names.n; i++) {
                char *child = path_join(src, names.v[i]);
                char *crel = rel[0] != '\0' ? path_join(rel, names.v[i]) : xstrdup(names.v[i]);

                r = walk_one(w, at >= 0 ? at : AT_FDCWD, at >= 0 ? names.v[i] : child, child,
                             crel, false);
                free(child);
                free(crel);
        }
        if (at >= 0)
                close(at);
        strv_release(&names);
        return r;
}

int
archive_walk(char *const *paths, size_t n, walk_fn fn, void *ud, struct diag *d)
{
        struct walk w = { .fn = fn, .ud = ud, .d = d };
        int r = 0;

        for (size_t i = 0; r == 0 && i < n; i++) {
                char *p = archive_abs_normalise(paths[i]);

                r = walk_one(&w, AT_FDCWD, p, p, "", true);
                free(p);
        }
        links_free(w.links, w.n);
        return r;
}

int
archive_open_typed(int atfd, const char *name, unsigned char dtype, struct stat *ret_st,
                   int *ret_fd)
{
        int fd = openat(atfd, name, ARCHIVE_OPEN_FLAGS | O_NOFOLLOW |
                        (dtype == DT_DIR ? O_DIRECTORY : 0));

        if (fd < 0)
                return errno == ENOENT || errno == ELOOP ? 0 : 1;
        if (fstat(fd, ret_st) < 0 || !(S_ISREG(ret_st->st_mode) || S_ISDIR(ret_st->st_mode))) {
                close(fd);
                return 1;
        }
        *ret_fd = fd;
        return 0;
}

int
archive_open_stat(int atfd, const char *name, const char *src, bool top, struct stat *st,
                  int *ret_fd, bool *ret_other, struct diag *d)
{
        struct stat fst;
        int fd = openat(atfd, name, ARCHIVE_OPEN_FLAGS |
                        (top ? 0 : O_NOFOLLOW) | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0));
        int r;

        if (fd < 0 && !top && (errno == ENOENT || errno == ELOOP))
                return 0;               /* gone or replaced meanwhile */
        if (fd < 0 || fstat(fd, &fst) < 0) {
                r = -errno;
                diag_set(d, _("cannot back up \"%s\": %s"), src, strerror(-r));
                if (fd >= 0)
                        close(fd);
                return r;
        }
        *ret_other = fst.st_dev != st->st_dev || fst.st_ino != st->st_ino ||
                     (fst.st_mode & S_IFMT) != (st->st_mode & S_IFMT);
        *st = fst;
        *ret_fd = fd;
        return 0;
}

static int
measure_fn(void *ud, const char *src, const char *rel, const struct stat *st, bool first)
{
        uint64_t *sum = ud;

        if (S_ISREG(st->st_mode) && first)
                *sum += (uint64_t)st->st_size;
        return 0;
}

int
archive_measure(char *const *paths, size_t n, uint64_t *ret_bytes, struct diag *d)
{
        uint64_t sum = 0;
        int r = archive_walk(paths, n, measure_fn, &sum, d);

        if (r == 0)
                *ret_bytes = sum;
        return r;
}

/* The progress total: the regular files' sizes below the directory open on
 * fd (consumed), hard links once. Unlike archive_walk() it keeps no names,
 * does not sort them, and stats only what readdir does not say is a
 * directory or something other than a regular file: it runs beside the
 * backup, on the same CPUs. */
static void
measure_dir(int fd, struct link_seen **links, size_t *n, size_t *alloc, uint64_t *sum)
{
        DIR *dir = fdopendir(fd);
        struct dirent *de;

        if (dir == NULL) {
                close(fd);
                return;
        }
        while ((de = readdir(dir)) != NULL) {
                struct stat st;
                int sub;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                        continue;
                if (de->d_type != DT_DIR) {
                        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        if (S_ISREG(st.st_mode) &&
                            !link_seen_before(links, n, alloc, &st, NULL, NULL))
                                *sum += (uint64_t)st.st_size;
                        if (!S_ISDIR(st.st_mode))
                                continue;
                }
                sub = openat(dirfd(dir), de->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        measure_dir(sub, links, n, alloc, sum);
        }
        closedir(dir);
}

static void *
measure_main(void *ud)
{
        struct measure_job *j = ud;
        struct link_seen *links = NULL;
        size_t n = 0, alloc = 0;
        uint64_t sum = 0;

        for (size_t i = 0; i < j->n; i++) {
                char *p = archive_abs_normalise(j->paths[i]);
                struct stat st;
                int fd;

                /* A data path is followed when it is a symlink; one that
                 * cannot be looked at is the backup's walk's to report. */
                if (stat(p, &st) < 0) {
                        free(p);
                        continue;
                }
                if (S_ISREG(st.st_mode) && !link_seen_before(&links, &n, &alloc, &st, NULL, NULL))
                        sum += (uint64_t)st.st_size;
                else if (S_ISDIR(st.st_mode) &&
                         (fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
                        measure_dir(fd, &links, &n, &alloc, &sum);
                free(p);
        }
        links_free(links, n);
        atomic_store(&j->total, sum);
        return NULL;
}

void
measure_start(struct measure_job *j, char *const *paths, size_t n)
{
        j->paths = paths;
        j->n = n;
        atomic_init(&j->total, 0);
        j->running = pthread_create(&j->thread, NULL, measure_main, j) == 0;
        if (!j->running)
                (void)measure_main(j);  /* no thread to be had: measure first */
}

uint64_t
measure_total(struct measure_job *j)
{
        return atomic_load(&j->total);
}

void
measure_join(struct measure_job *j)
{
        if (j->running)
                pthread_join(j->thread, NULL);
        j->running = false;
}
