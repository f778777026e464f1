/* flush.h: a big file made durable while it is written.
 *
 * A writer that ends with fsync() waits, at the end, for the disk to take
 * everything not yet on it: the page cache's dirty pages, then the device's
 * own cache (or, in a virtual machine, the host's). Told of each write, a
 * flusher starts the writeback of every WRITEBACK_EVERY bytes at once
 * (sync_file_range, which does not wait) and, on a thread of its own, asks
 * for an fdatasync() every FLUSH_EVERY bytes. The writer goes on meanwhile,
 * and its final fsync (flusher_finish) waits only for the tail.
 *
 * The thread is started by the first FLUSH_EVERY bytes: a small file waits on
 * no other thread. An fdatasync that fails there fails flusher_finish():
 * Linux reports a writeback error once per open file, so the final fsync
 * would not see it again. When the thread cannot be started, the final
 * fsync does it all.
 */
#ifndef UPSHIFT_FLUSH_H
#define UPSHIFT_FLUSH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define WRITEBACK_EVERY (32u * 1024 * 1024)
#define FLUSH_EVERY     (64u * 1024 * 1024)

struct flusher {
        int              fd;
        uint64_t         written;       /* bytes written through the flusher */
        uint64_t         started;       /* writeback started up to here */
        uint64_t         asked;         /* the last fdatasync asked at this many bytes */
        bool             running;       /* the thread was started */
        bool             no_thread;     /* it could not be */
        /* Under mu: */
        pthread_t        thread;
        pthread_mutex_t  mu;
        pthread_cond_t   cond;
        unsigned long    wanted;        /* fdatasyncs asked for */
        unsigned long    flushes;       /* of them, made (one fdatasync makes
                                         * every one asked before it began) */
        int              err;           /* errno of the first that failed, or 0 */
        bool             stop;
};

void flusher_init(struct flusher *f, int fd);
/* len more bytes were written to f's file. */
void flusher_wrote(struct flusher *f, size_t len);
/* The fdatasyncs asked for and made so far, successful or not. */
unsigned long flusher_flushes(struct flusher *f);
/* Stop the thread once every fdatasync asked for is made, then, if sync,
 * fsync the file. Returns 0, or -errno of the first failure. The file stays
 * open. */
int flusher_finish(struct flusher *f, bool sync);

#endif
