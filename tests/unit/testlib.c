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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "lib/util.h"
#include "testlib.h"

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

static void
write_ent(struct archive *a, const struct t_ent *en, bool sizeless)
{
        const size_t chunk = 1024u * 1024;
        struct archive_entry *e = archive_entry_new();
        size_t len = en->type != 'f' ? 0 : en->zeros > 0 ? en->zeros : strlen(en->data);

        archive_entry_set_pathname(e, en->name);
        archive_entry_set_perm(e, en->mode != 0 ? en->mode : 0644);
        archive_entry_set_mtime(e, 1700000000, 0);
        switch (en->type) {
        case 'f':
                archive_entry_set_filetype(e, AE_IFREG);
                break;
        case 'l':
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_set_symlink(e, en->data);
                break;
        case 'h':
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_hardlink(e, en->data);
                break;
        case 'c':
                archive_entry_set_filetype(e, AE_IFCHR);
                archive_entry_set_rdev(e, makedev(8, 0));
                break;
        case 'p':
                archive_entry_set_filetype(e, AE_IFIFO);
                break;
        default:
                archive_entry_set_filetype(e, AE_IFDIR);
                break;
        }
        if (!sizeless)
                archive_entry_set_size(e, (la_int64_t)len);
        assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
        if (en->zeros > 0) {
                char *z = xcalloc(1, chunk);

                for (size_t done = 0; done < len; done += chunk)
                        assert_true(archive_write_data(a, z, chunk) > 0);
                free(z);
        } else if (len > 0) {
                assert_int_equal(archive_write_data(a, en->data, len), len);
        }
        archive_entry_free(e);
}

void
t_mk_archive(const char *path, const char *format, const char *filter,
             const struct t_ent *ents, size_t n, bool sizeless)
{
        struct archive *a = archive_write_new();

        assert_int_equal(archive_write_set_format_by_name(a, format), ARCHIVE_OK);
        if (filter != NULL)
                assert_int_equal(archive_write_add_filter_by_name(a, filter), ARCHIVE_OK);
        assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
        for (size_t i = 0; i < n; i++)
                write_ent(a, &ents[i], sizeless);
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
}
