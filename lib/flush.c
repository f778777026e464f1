/* flush.c: a big file made durable while it is written (flush.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/fault.h"
#include "lib/flush.h"

static void *
flusher_main(void *ud)
{
        struct flusher *f = ud;

        pthread_mutex_lock(&f->mu);
        for (;;) {
                unsigned long want;
                int e;

                while (f->flushes == f->wanted && !f->stop)
                        pthread_cond_wait(&f->cond, &f->mu);
                if (f->flushes == f->wanted)
                        break;
                want = f->wanted;
                pthread_mutex_unlock(&f->mu);
                /* One fdatasync covers every request made before it starts. */
                e = fault_flush();
                if (e == 0 && fdatasync(f->fd) < 0)
                        e = -errno;
                pthread_mutex_lock(&f->mu);
                if (e < 0 && f->err == 0)
                        f->err = -e;
                f->flushes = want;
        }
        pthread_mutex_unlock(&f->mu);
        return NULL;
}

void
flusher_init(struct flusher *f, int fd)
{
        *f = (struct flusher){ .fd = fd };
}

static void
ask_flush(struct flusher *f)
{
        if (!f->running && !f->no_thread) {
                pthread_mutex_init(&f->mu, NULL);
                pthread_cond_init(&f->cond, NULL);
                if (pthread_create(&f->thread, NULL, flusher_main, f) != 0) {
                        pthread_cond_destroy(&f->cond);
                        pthread_mutex_destroy(&f->mu);
                        f->no_thread = true;
                        return;
                }
                f->running = true;
        }
        if (!f->running)
                return;
        pthread_mutex_lock(&f->mu);
        f->wanted++;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->mu);
}

void
flusher_wrote(struct flusher *f, size_t len)
{
        f->written += len;
        if (f->written - f->started >= WRITEBACK_EVERY) {
                sync_file_range(f->fd, (off_t)f->started, (off_t)(f->written - f->started),
                                SYNC_FILE_RANGE_WRITE);
                f->started = f->written;
        }
        if (f->written - f->asked >= FLUSH_EVERY) {
                f->asked = f->written;
                ask_flush(f);
        }
}

unsigned long
flusher_flushes(struct flusher *f)
{
        unsigned long n;

        if (!f->running)
                return f->flushes;
        pthread_mutex_lock(&f->mu);
        n = f->flushes;
        pthread_mutex_unlock(&f->mu);
        return n;
}

int
flusher_finish(struct flusher *f, bool sync)
{
        int e = 0;

        if (f->running) {
                pthread_mutex_lock(&f->mu);
                f->stop = true;
                pthread_cond_signal(&f->cond);
                pthread_mutex_unlock(&f->mu);
                pthread_join(f->thread, NULL);
                e = f->err;
                pthread_cond_destroy(&f->cond);
                pthread_mutex_destroy(&f->mu);
                f->running = false;
        }
        if (e == 0 && sync && fsync(f->fd) < 0)
                e = errno;
        return -e;
}
