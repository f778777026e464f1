/* lock.c: the state directory's lock (see lock.h).
 *
 * The file is never deleted: a run that unlinked it could race with a new
 * taker that already holds a lock on the old inode.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/lock.h"
#include "lib/upshift.h"
#include "lib/util.h"

struct lock {
        int   fd;
        char *path;
};

/* Copy src into dst (size bytes), with spaces and controls as '?' so that
 * the holder line stays one line of space-separated fields. */
static void
copy_field(char *dst, size_t size, const char *src, size_t n)
{
        size_t i;

        for (i = 0; i < n && i + 1 < size && src[i] != '\0'; i++) {
                unsigned char c = (unsigned char)src[i];

                dst[i] = c <= ' ' || c == 0x7f ? '?' : (char)c;
        }
        dst[i] = '\0';
}

/* Parse "pid=N user=U tty=T since=S". Returns 0, or -EBADMSG. */
static int
parse_holder(const char *line, struct lock_holder *h)
{
        bool have_pid = false;
        const char *p = line;

        memset(h, 0, sizeof *h);
        while (*p != '\0' && *p != '\n') {
                size_t n = strcspn(p, " \n");
                const char *eq = memchr(p, '=', n);

                if (eq != NULL) {
                        size_t k = (size_t)(eq - p);
                        const char *v = eq + 1;
                        size_t vn = n - k - 1;

                        if (k == 3 && memcmp(p, "pid", 3) == 0 && vn > 0) {
                                char *end;
                                long pid = strtol(v, &end, 10);

                                if (end == v + vn && pid > 0) {
                                        h->pid = (pid_t)pid;
                                        have_pid = true;
                                }
                        } else if (k == 4 && memcmp(p, "user", 4) == 0) {
                                copy_field(h->user, sizeof h->user, v, vn);
                        } else if (k == 3 && memcmp(p, "tty", 3) == 0) {
                                copy_field(h->tty, sizeof h->tty, v, vn);
                        } else if (k == 5 && memcmp(p, "since", 5) == 0) {
                                copy_field(h->since, sizeof h->since, v, vn);
                        }
                }
                p += n;
                while (*p == ' ')
                        p++;
        }
        return have_pid ? 0 : -EBADMSG;
}

/* Read the holder line of an open lock file. */
static int
read_holder(int fd, struct lock_holder *h)
{
        char buf[512];
        ssize_t n;

        do
                n = pread(fd, buf, sizeof buf - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return parse_holder(buf, h);
}

static int
do_flock(int fd, int op)
{
        int r;

        do
                r = flock(fd, op | LOCK_NB);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : 0;
}

static int
write_holder(int fd)
{
        struct passwd *pw = getpwuid(geteuid());
        char user[64], tty[64], since[32], uid[32];
        const char *t = ttyname(0);
        char *line;
        int r;

        snprintf(uid, sizeof uid, "%lu", (unsigned long)geteuid());
        copy_field(user, sizeof user, pw ? pw->pw_name : uid, SIZE_MAX);
        copy_field(tty, sizeof tty, t ? t : "none", SIZE_MAX);
        time_iso8601(since, sizeof since, time(NULL));
        line = xasprintf("pid=%ld user=%s tty=%s since=%s\n",
                         (long)getpid(), user, tty, since);
        if (ftruncate(fd, 0) < 0)
                r = -errno;
        else
                r = 0;
        if (r == 0) {
                size_t len = strlen(line);
                ssize_t w;

                do
                        w = pwrite(fd, line, len, 0);
                while (w < 0 && errno == EINTR);
                if (w < 0)
                        r = -errno;
                else if ((size_t)w != len)
                        r = -EIO;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        free(line);
        return r;
}

int
lock_take(const char *dir, struct lock **ret, struct lock_holder *ret_holder,
          struct diag *d)
{
        char *path = path_join(dir, "lock");
        struct lock_holder h;
        struct lock *l;
        int fd, r;

        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                diag_set(d, _("cannot open lock \"%s\": %s"), path, strerror(errno));
                free(path);
                return r;
        }
        r = do_flock(fd, LOCK_EX);
        if (r == -EWOULDBLOCK) {
                if (read_holder(fd, &h) == 0) {
                        /* TRANSLATORS: "/var/lib/upshift/pg/lock is held by
                         * another upshift run: pid 123, user root, tty
                         * /dev/pts/1, since 2026-11-22T03:04:05Z". */
                        diag_set(d, _("%s is held by another upshift run: pid %ld, user %s, tty %s, since %s"),
                                 path, (long)h.pid, h.user, h.tty, h.since);
                } else {
                        /* The holder has not written its line yet. */
                        memset(&h, 0, sizeof h);
                        diag_set(d, _("%s is held by another upshift run"), path);
                }
                if (d != NULL)
                        d->code = EXIT_LOCKED;
                if (ret_holder != NULL)
                        *ret_holder = h;
        } else if (r < 0) {
                diag_set(d, _("cannot lock \"%s\": %s"), path, strerror(-r));
        } else {
                r = write_holder(fd);
                if (r < 0)
                        diag_set(d, _("cannot write lock \"%s\": %s"), path,
                                 strerror(-r));
        }
        if (r < 0) {
                close(fd);
                free(path);
                return r;
        }
        l = xmalloc(sizeof *l);
        l->fd = fd;
        l->path = path;
        *ret = l;
        return 0;
}

int
lock_peek(const char *dir, struct lock_holder *ret_holder)
{
        char *path = path_join(dir, "lock");
        struct lock_holder h;
        int fd, r;

        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        free(path);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        /* A shared lock: two peeks do not get in each other's way. */
        r = do_flock(fd, LOCK_SH);
        if (r == 0) {
                close(fd);      /* releases it */
                return 0;
        }
        if (r != -EWOULDBLOCK) {
                close(fd);
                return r;
        }
        if (read_holder(fd, &h) < 0)
                memset(&h, 0, sizeof h);
        close(fd);
        if (ret_holder != NULL)
                *ret_holder = h;
        return 1;
}

void
lock_release(struct lock *l)
{
        if (l == NULL)
                return;
        close(l->fd);
        free(l->path);
        free(l);
}
