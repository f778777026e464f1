/* fs.c: files, directories and paths (util.h): mkdir_p, fsync, whole-file
 * reads and atomic writes, rm_tree, path_join and friends. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "lib/fault.h"
#include "lib/i18n.h"
#include "lib/util.h"

int
mkdir_p(const char *path, mode_t mode, struct diag *d)
{
        char *p = xstrdup(path);
        int r = 0;

        for (char *s = p + 1; ; s++) {
                if (*s == '/' || *s == '\0') {
                        char c = *s;

                        *s = '\0';
                        if (mkdir(p, mode) < 0 && errno != EEXIST) {
                                r = -errno;
                                diag_set(d, _("cannot create directory \"%s\": %s"),
                                         p, strerror(errno));
                                break;
                        }
                        *s = c;
                        if (c == '\0')
                                break;
                }
        }
        free(p);
        return r;
}

int
fsync_dir(const char *dir, struct diag *d)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (fd < 0 || fsync(fd) < 0) {
                r = -errno;
                diag_set(d, _("cannot sync directory \"%s\": %s"), dir, strerror(errno));
        }
        if (fd >= 0)
                close(fd);
        return r;
}

int
fsync_dir_of(const char *path, struct diag *d)
{
        struct stat st;
        char *dir;
        int r;

        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                return fsync_dir(path, d);
        dir = path_dirname(path);
        r = fsync_dir(dir, d);
        free(dir);
        return r;
}

int
read_file(const char *path, char **ret_buf, size_t *ret_len, struct diag *d)
{
        return read_file_flags(path, 0, ret_buf, ret_len, d);
}

int
read_file_flags(const char *path, int oflags, char **ret_buf, size_t *ret_len,
                struct diag *d)
{
        struct strbuf sb = {0};
        char chunk[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC | oflags);

        if (fd < 0) {
                int e = errno;

                diag_set(d, _("cannot open \"%s\": %s"), path, strerror(e));
                return -e;
        }
        strbuf_adds(&sb, "");
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof chunk);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;

                        diag_set(d, _("cannot read \"%s\": %s"), path, strerror(e));
                        close(fd);
                        strbuf_release(&sb);
                        return -e;
                }
                if (n == 0)
                        break;
                strbuf_add(&sb, chunk, (size_t)n);
        }
        close(fd);
        if (ret_len)
                *ret_len = sb.len;
        *ret_buf = strbuf_detach(&sb);
        return 0;
}

int
write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        int f = fault_write();

        if (f < 0)
                return f;
        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int
write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
                  struct diag *d)
{
        return write_file_atomic_like(path, buf, len, mode, NULL, d);
}

/* The temporary file is hidden (".NAME.upshift-tmp" beside NAME): programs
 * that read every file of a directory, cron among them, skip dot files. */
int
write_file_atomic_like(const char *path, const void *buf, size_t len, mode_t mode,
                       const struct stat *like, struct diag *d)
{
        char *dir = path_dirname(path), *base = path_basename(path);
        char *tmp = xasprintf("%s/.%s.upshift-tmp", dir, base);
        int fd, r;

        free(dir);
        free(base);
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  like != NULL ? 0600 : mode);
        if (fd < 0) {
                r = -errno;
                diag_set(d, _("cannot create \"%s\": %s"), tmp, strerror(errno));
                free(tmp);
                return r;
        }
        r = write_all(fd, buf, len);
        if (r == 0 && like != NULL &&
            (fchown(fd, like->st_uid, like->st_gid) < 0 || fchmod(fd, like->st_mode & 07777) < 0))
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                diag_set(d, _("cannot write \"%s\": %s"), path, strerror(-r));
                unlink(tmp);
                free(tmp);
                return r;
        }
        free(tmp);
        return fsync_dir_of(path, d);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int
rm_tree(const char *path, struct diag *d)
{
        struct stat st;

        if (lstat(path, &st) < 0 && errno == ENOENT)
                return 0;
        if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
                int e = errno;

                diag_set(d, _("cannot remove \"%s\": %s"), path, strerror(e));
                return -e;
        }
        return 0;
}

char *
path_join(const char *a, const char *b)
{
        size_t la = strlen(a);

        if (b[0] == '/')
                return xstrdup(b);
        if (la > 0 && a[la - 1] == '/')
                return xasprintf("%s%s", a, b);
        return xasprintf("%s/%s", a, b);
}

char *
path_dirname(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (slash == NULL)
                return xstrdup(".");
        if (slash == path)
                return xstrdup("/");
        return xstrndup(path, (size_t)(slash - path));
}

char *
path_basename(const char *path)
{
        const char *slash = strrchr(path, '/');

        return xstrdup(slash ? slash + 1 : path);
}

bool
path_exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

/* fs_open_beneath() without openat2: each component of rel opened from
 * the one before with O_NOFOLLOW. */
static int
open_beneath_walk(int fd, const char *rel)
{
        for (const char *c = rel, *s; fd >= 0 && *c != '\0'; c = *s ? s + 1 : s) {
                char *name;
                int next;

                s = strchrnul(c, '/');
                name = xstrndup(c, (size_t)(s - c));
                if (strcmp(name, "..") == 0) {
                        next = -EXDEV;
                } else if (*name == '\0' || strcmp(name, ".") == 0) {
                        free(name);
                        continue;
                } else {
                        next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (next < 0) {
                                struct stat st;

                                next = -errno;
                                /* O_PATH|O_NOFOLLOW opens a link; O_DIRECTORY says ENOTDIR */
                                if (next == -ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                    S_ISLNK(st.st_mode))
                                        next = -ELOOP;
                        }
                }
                free(name);
                close(fd);
                fd = next;
        }
        return fd;
}

int
fs_open_beneath(const char *root, const char *rel, int how)
{
        struct open_how oh = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), r;

        if (fd < 0)
                return -errno;
        if (how != FS_BENEATH_WALK) {
                r = (int)syscall(SYS_openat2, fd, *rel ? rel : ".", &oh, sizeof oh);
                if (r >= 0 || errno != ENOSYS) {
                        r = r < 0 ? -errno : r;
                        close(fd);
                        return r;
                }
        }
        return open_beneath_walk(fd, rel);
}
