/* testlib.c: helpers shared by the unit tests; see testlib.h. */
#include <config.h>

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "util.h"

int
t_sh(const char *fmt, ...)
{
        va_list ap;
        char *cmd;
        int st;

        va_start(ap, fmt);
        cmd = xvasprintf(fmt, ap);
        va_end(ap);
        st = system(cmd);
        free(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
t_sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

bool
t_pid_gone(pid_t pid)
{
        char path[64], buf[512], *p;
        FILE *fp;
        size_t n;

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        fp = fopen(path, "r");
        if (fp == NULL)
                return true;
        n = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
        buf[n] = '\0';
        /* "pid (comm) S ...": the state follows the last ')'. */
        p = strrchr(buf, ')');
        return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

char *
t_mkdtemp(const char *tag)
{
        char *dir = xasprintf("/tmp/upshift-test-%s-XXXXXX", tag);
        int e;

        if (mkdtemp(dir) == NULL) {
                e = errno;
                free(dir);
                errno = e;
                return NULL;
        }
        return dir;
}

/* nftw() callback: children come before their directory (FTW_DEPTH).
 * Returns 0 to go on, or a positive errno to stop the walk. */
static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        int r = type == FTW_DP || type == FTW_DNR ? rmdir(path) : unlink(path);

        if (r < 0 && errno != ENOENT)
                return errno;
        return 0;
}

int
t_rm_rf(const char *dir)
{
        int r = nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

        if (r > 0)
                return -r;
        if (r < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}

int
t_setup_dir(void **state)
{
        const char *tag = program_invocation_short_name;
        char *dir;

        if (strncmp(tag, "test-", 5) == 0)
                tag += 5;
        dir = t_mkdtemp(tag);
        if (dir == NULL)
                return -1;
        *state = dir;
        return 0;
}

int
t_teardown_dir(void **state)
{
        char *dir = *state;
        int r = t_rm_rf(dir);

        free(dir);
        return r < 0 ? -1 : 0;
}

void
t_write_text(const char *path, const char *text)
{
        FILE *fp = fopen(path, "w");

        assert_non_null(fp);
        fputs(text, fp);
        assert_int_equal(fclose(fp), 0);
}

char *
t_slurp(const char *path, size_t *ret_len)
{
        char *buf;
        size_t len;

        assert_int_equal(read_file(path, &buf, &len, NULL), 0);
        if (ret_len != NULL)
                *ret_len = len;
        return buf;
}
