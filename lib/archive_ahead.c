/* archive_ahead.c: a backup's read-ahead thread (archive.c).
 *
 * For each member a backup makes six system calls: open, fstat, flistxattr,
 * FS_IOC_GETFLAGS, read, close. For a small file they cost more than
 * archiving its data, and on the backup's one thread they kept the
 * compressor waiting. So for a run of names that readdir says are regular
 * files, this thread makes those calls ahead of the backup's thread, in the
 * same order, and hands each file over opened, stat'ed, probed and, when it
 * is small, read whole. The backup's thread then only writes the entry.
 *
 * Whatever is out of the ordinary is handed over as it is, for the backup's
 * thread to do as it always does: a file with xattrs or an ACL, a large
 * file, a short read (with the file still open), or a name that is no
 * longer a regular file or cannot be opened (with nothing but the name).
 *
 * The two threads share a ring of AHEAD_SLOTS records and wake each other
 * only when AHEAD_BATCH records are ready or free (or the run is over), so
 * handing a file over costs no system call.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/archive_int.h"
#include "lib/util.h"

#define AHEAD_BATCH 32

/* Open, stat, probe and read name for the backup's thread. */
static void
ahead_fill(struct ahead *a, struct ahead_rec *r, const char *name)
{
        size_t size, got = 0;
        int fd;

        r->kind = AHEAD_NAME;
        r->fd = -1;
        r->probed = false;
        r->flags = 0;
        fd = openat(a->dirfd, name, ARCHIVE_OPEN_FLAGS | O_NOFOLLOW);
        if (fd < 0)
                return;                 /* gone or not a file: the name is looked at */
        if (fstat(fd, &r->st) < 0 || !S_ISREG(r->st.st_mode)) {
                close(fd);
                return;
        }
        r->fd = fd;
        r->kind = AHEAD_OPEN;
        if (entry_meta_probe(&a->caps, fd, &r->st, &r->flags) != 0)
                return;                 /* xattrs or an ACL: libarchive fills it */
        r->probed = true;
        if (r->st.st_size > AHEAD_SMALL)
                return;
        size = (size_t)r->st.st_size;
        if (r->alloc < size) {
                free(r->buf);
                r->alloc = size < 16384 ? 16384 : AHEAD_SMALL;
                r->buf = xmalloc(r->alloc);
        }
        /* pread leaves the offset at 0: after a short read, the backup's
         * thread reads the file from its start as it would have. */
        while (got < size) {
                ssize_t n = pread(fd, r->buf + got, size - got, (off_t)got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                got += (size_t)n;
        }
        close(fd);
        r->fd = -1;
        r->kind = AHEAD_READ;
}

static void *
ahead_main(void *ud)
{
        struct ahead *a = ud;

        pthread_mutex_lock(&a->mu);
        for (;;) {
                while (!a->job && !a->stop)
                        pthread_cond_wait(&a->reader, &a->mu);
                if (!a->job)
                        break;
                while (a->produced < a->n && !a->cancel) {
                        size_t i = a->produced;

                        if (i - a->consumed == AHEAD_SLOTS) {
                                a->reader_waits = true;
                                while (AHEAD_SLOTS - (a->produced - a->consumed) < AHEAD_BATCH &&
                                       !a->cancel)
                                        pthread_cond_wait(&a->reader, &a->mu);
                                a->reader_waits = false;
                                continue;
                        }
                        pthread_mutex_unlock(&a->mu);
                        ahead_fill(a, &a->recs[i % AHEAD_SLOTS], a->names[i]);
                        pthread_mutex_lock(&a->mu);
                        a->produced++;
                        if (a->writer_waits && (a->produced - a->consumed >= AHEAD_BATCH ||
                                                a->produced == a->n))
                                pthread_cond_signal(&a->writer);
                }
                a->job = false;
                pthread_cond_signal(&a->writer);
        }
        pthread_mutex_unlock(&a->mu);
        return NULL;
}

void
ahead_init(struct ahead *a)
{
        memset(a, 0, sizeof *a);
        pthread_mutex_init(&a->mu, NULL);
        pthread_cond_init(&a->reader, NULL);
        pthread_cond_init(&a->writer, NULL);
}

int
ahead_begin(struct ahead *a, int dirfd, char *const *names, size_t n)
{
        if (!a->running) {
                if (a->failed || pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
                        a->failed = true;
                        return -1;      /* no thread to be had: the caller reads */
                }
                a->running = true;
        }
        pthread_mutex_lock(&a->mu);
        a->dirfd = dirfd;
        a->names = names;
        a->n = n;
        a->produced = a->consumed = 0;
        a->cancel = false;
        a->job = true;
        pthread_cond_signal(&a->reader);
        pthread_mutex_unlock(&a->mu);
        return 0;
}

struct ahead_rec *
ahead_next(struct ahead *a)
{
        pthread_mutex_lock(&a->mu);
        if (a->produced == a->consumed) {
                a->writer_waits = true;
                while (a->produced - a->consumed < AHEAD_BATCH && a->produced < a->n)
                        pthread_cond_wait(&a->writer, &a->mu);
                a->writer_waits = false;
        }
        pthread_mutex_unlock(&a->mu);
        return &a->recs[a->consumed % AHEAD_SLOTS];
}

void
ahead_done(struct ahead *a)
{
        pthread_mutex_lock(&a->mu);
        a->consumed++;
        if (a->reader_waits && AHEAD_SLOTS - (a->produced - a->consumed) >= AHEAD_BATCH)
                pthread_cond_signal(&a->reader);
        pthread_mutex_unlock(&a->mu);
}

void
ahead_end(struct ahead *a)
{
        pthread_mutex_lock(&a->mu);
        a->cancel = true;
        pthread_cond_signal(&a->reader);
        while (a->job)
                pthread_cond_wait(&a->writer, &a->mu);
        /* What was read ahead and not taken (the backup stopped early). */
        for (size_t i = a->consumed; i < a->produced; i++) {
                struct ahead_rec *r = &a->recs[i % AHEAD_SLOTS];

                if (r->fd >= 0)
                        close(r->fd);
                r->fd = -1;
        }
        a->produced = a->consumed = a->n = 0;
        pthread_mutex_unlock(&a->mu);
}

void
ahead_release(struct ahead *a)
{
        if (a->running) {
                pthread_mutex_lock(&a->mu);
                a->stop = true;
                pthread_cond_signal(&a->reader);
                pthread_mutex_unlock(&a->mu);
                pthread_join(a->thread, NULL);
                a->running = false;
        }
        for (size_t i = 0; i < AHEAD_SLOTS; i++)
                free(a->recs[i].buf);
        entry_meta_release(&a->caps);
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->reader);
        pthread_cond_destroy(&a->writer);
}
