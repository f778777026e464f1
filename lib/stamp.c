/* stamp.c: a file's stamp (stamp.h). */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/stamp.h"

int64_t
stamp_clock_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
stamp_of(const struct stat *st, int64_t taken_ns, struct stamp *ret)
{
        *ret = (struct stamp){
                .dev = st->st_dev,
                .ino = st->st_ino,
                .mode = st->st_mode,
                .size = (uint64_t)st->st_size,
                .mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
                .ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec,
                .taken_ns = taken_ns,
        };
}

int
stamp_path(const char *path, struct stamp *ret)
{
        int64_t now = stamp_clock_ns();
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        stamp_of(&st, now, ret);
        return 0;
}

bool
stamp_same(const struct stamp *a, const struct stamp *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->mode == b->mode &&
               a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

int64_t
stamp_racy_ns(const struct stamp *s)
{
        return s->ctime_ns % 1000000000LL != 0 ? STAMP_RACY_FINE_NS : STAMP_RACY_NS;
}

bool
stamp_settled(const struct stamp *s)
{
        return s->ctime_ns < s->taken_ns - stamp_racy_ns(s);
}

bool
stamp_unchanged(const struct stamp *s, const char *path)
{
        struct stamp now;

        return stamp_settled(s) && stamp_path(path, &now) == 0 && stamp_same(s, &now);
}

void
stamp_format(const struct stamp *s, char buf[STAMP_TEXT_MAX])
{
        snprintf(buf, STAMP_TEXT_MAX, "%" PRIu64 " %" PRIu64 " %" PRIu32 " %" PRIu64
                 " %" PRId64 " %" PRId64 " %" PRId64, s->dev, s->ino, s->mode, s->size,
                 s->mtime_ns, s->ctime_ns, s->taken_ns);
}

int
stamp_parse(const char *text, struct stamp *ret)
{
        struct stamp s;
        int end = -1;

        if (sscanf(text, "%" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNu64 " %" SCNd64
                   " %" SCNd64 " %" SCNd64 "%n", &s.dev, &s.ino, &s.mode, &s.size,
                   &s.mtime_ns, &s.ctime_ns, &s.taken_ns, &end) != 7 ||
            end < 0 || text[end] != '\0' || text[0] < '0' || text[0] > '9')
                return -1;
        *ret = s;
        return 0;
}
