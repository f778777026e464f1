/* testlib.h - small helpers shared by the unit tests (tests/unit/test-*.c).
 *
 * Test code only: it is linked into every unit test, never into upshift.
 * Two kinds of helper live here:
 *
 *  - Plain ones (t_sh, t_sleep_ms, t_pid_gone, t_mkdtemp, t_rm_rf) report
 *    failure through their return value and never stop a test; the caller
 *    asserts on what they return.
 *  - Asserting ones (t_write_text, t_slurp) check each of their own steps with
 *    cmocka assertions, so a failure fails the calling test at once. Call them
 *    only from inside a cmocka test, setup or teardown.
 *
 * Temporary directories are always "/tmp/upshift-test-TAG-XXXXXX", so what a
 * crashed test leaves behind is easy to find and remove.
 */
#ifndef UPSHIFT_TESTLIB_H
#define UPSHIFT_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Run the command formatted from fmt with system(), i.e. by /bin/sh -c.
 * Returns the command's exit status (0..255), or -1 if the shell could not be
 * run or the command was killed by a signal. */
int t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sleep ms milliseconds, resuming after signals. */
void t_sleep_ms(long ms);

/* Whether pid is gone: no such process, or a zombie (or dying process) that
 * nobody has reaped yet. A process that is still running is not gone. */
bool t_pid_gone(pid_t pid);

/* Create a new private directory "/tmp/upshift-test-TAG-XXXXXX" (mkdtemp).
 * Returns its path, which the caller frees, or NULL with errno set. */
char *t_mkdtemp(const char *tag);

/* Remove dir and everything below it, like rm -rf: symbolic links are removed,
 * never followed, and a dir that does not exist is not an error. Stops at the
 * first entry it cannot remove. Returns 0, or a negative errno. */
int t_rm_rf(const char *dir);

/* cmocka setup/teardown pair for a test that wants an empty directory:
 * t_setup_dir sets *state to a new t_mkdtemp() path whose TAG is the program's
 * name without "test-" ("/tmp/upshift-test-exec-XXXXXX" for test-exec) and
 * returns 0, or returns -1 if it cannot. t_teardown_dir removes that directory
 * with all it holds (t_rm_rf) and frees the path; returns 0, or -1 if
 * something could not be removed. */
int t_setup_dir(void **state);
int t_teardown_dir(void **state);

/* Asserting: create or truncate path and write the string text into it. */
void t_write_text(const char *path, const char *text);

/* Asserting: read the whole file at path. Returns its contents,
 * NUL-terminated, which the caller frees; the length (without the NUL) goes
 * into *ret_len unless ret_len is NULL. */
char *t_slurp(const char *path, size_t *ret_len);

/* One entry of an archive a test builds: type 'f' a file (data, or zeros
 * bytes of zeros when zeros > 0), 'l' a symlink to data, 'h' a hard link to
 * the member data, 'c' a character device, 'p' a FIFO, 'd' a directory.
 * mode 0 means 0644. */
struct t_ent {
        const char *name;
        char        type;
        const char *data;
        mode_t      mode;
        size_t      zeros;
};

/* Asserting: write an archive of the n entries at path with libarchive,
 * format and filter named as libarchive names them (filter may be NULL).
 * sizeless leaves the entries' sizes out (zip then streams them). */
void t_mk_archive(const char *path, const char *format, const char *filter,
                  const struct t_ent *ents, size_t n, bool sizeless);

#endif
