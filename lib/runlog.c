#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/runlog.h"
#include "lib/util.h"

int
runlog_open(struct runlog *l, const char *state_dir, int run, struct diag *d)
{
        char stamp[32], *dir = path_join(state_dir, "log");
        time_t now = time(NULL);
        struct tm tm;
        int r;

        l->fd = -1;
        l->path = NULL;
        r = mkdir_p(dir, 0700, d);
        if (r < 0) {
                free(dir);
                return r;
        }
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        for (int n = 0; n < 100; n++) {
                free(l->path);
                l->path = n ? xasprintf("%s/run-%d-%s-%d.log", dir, run, stamp, n)
                            : xasprintf("%s/run-%d-%s.log", dir, run, stamp);
                l->fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                             O_APPEND | O_CLOEXEC, 0600);
                if (l->fd >= 0 || errno != EEXIST)
                        break;
        }
        free(dir);
        if (l->fd < 0) {
                r = -errno;
                diag_set(d, _("cannot create log \"%s\": %s"), l->path, strerror(errno));
                free(l->path);
                l->path = NULL;
                return r;
        }
        return 0;
}

char *
runlog_vformat(const char *fmt, va_list ap)
{
        char stamp[16], *body, *line;
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
        body = xvasprintf(fmt, ap);
        line = xasprintf("[%s] %s\n", stamp, body);
        free(body);
        return line;
}

void
runlog_printf(struct runlog *l, const char *fmt, ...)
{
        va_list ap;
        char *line;

        if (l->fd < 0)
                return;
        va_start(ap, fmt);
        line = runlog_vformat(fmt, ap);
        va_end(ap);
        (void)write_all(l->fd, line, strlen(line));
        free(line);
}

void
runlog_close(struct runlog *l)
{
        if (l->fd >= 0) {
                fsync(l->fd);
                close(l->fd);
        }
        l->fd = -1;
        free(l->path);
        l->path = NULL;
}
