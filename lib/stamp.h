/* stamp.h: what a file looked like when it was read, to tell later, from
 * one lstat(2) and without reading it again, that it has not changed.
 *
 * A stamp is the file's device, inode, type and mode, size, and its
 * modification and change times in nanoseconds. Any write to a file, a
 * rename onto its name, a chmod or a new hard link changes its ctime, which
 * no unprivileged program can set back. So a file whose lstat still gives
 * the same stamp holds what it held when the stamp was taken, except for a
 * change made in the same tick of the filesystem's clock as the change
 * before it. That is the "racy" case (as git's index has it): a stamp is
 * only trusted when the file's ctime was older than the moment the stamp
 * was taken by more than the filesystem's tick. A ctime with a fraction of
 * a second comes from a filesystem with fine timestamps (ext4, XFS, btrfs,
 * tmpfs: the kernel's clock, a jiffy of 10 ms at most): STAMP_RACY_FINE_NS.
 * A ctime of whole seconds may come from one that counts in seconds or
 * two (FAT): STAMP_RACY_NS. A racy stamp is read again, never trusted.
 */
#ifndef UPSHIFT_STAMP_H
#define UPSHIFT_STAMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

/* Two seconds: FAT's timestamps. */
#define STAMP_RACY_NS (2000000000LL)
/* A tenth of a second: ten jiffies of the slowest kernel clock (HZ=100). */
#define STAMP_RACY_FINE_NS (100000000LL)

/* "dev ino mode size mtime_ns ctime_ns taken_ns": at most 7 * 20 digits
 * and 6 spaces. */
#define STAMP_TEXT_MAX 160

struct stamp {
        uint64_t dev, ino;
        uint32_t mode;                  /* st_mode: type and permissions */
        uint64_t size;
        int64_t  mtime_ns, ctime_ns;
        int64_t  taken_ns;              /* CLOCK_REALTIME when it was taken */
};

/* The realtime clock in nanoseconds. */
int64_t stamp_clock_ns(void);
/* The stamp of st, taken at taken_ns (stamp_clock_ns() read before the
 * file's contents were). */
void    stamp_of(const struct stat *st, int64_t taken_ns, struct stamp *ret);
/* lstat(path) into *ret, taken now. Returns 0 or -errno. */
int     stamp_path(const char *path, struct stamp *ret);
/* The same file in the same state: every field but taken_ns equal. */
bool    stamp_same(const struct stamp *a, const struct stamp *b);
/* How long after its ctime a stamp of this file is settled: the tick of
 * its filesystem's timestamps, as its ctime shows it (above). */
int64_t stamp_racy_ns(const struct stamp *s);
/* The stamp may be trusted: its ctime is older than when it was taken by
 * more than stamp_racy_ns(). */
bool    stamp_settled(const struct stamp *s);
/* Is the file at path still as s says, with s settled? A missing file,
 * an error or a racy stamp answer false. */
bool    stamp_unchanged(const struct stamp *s, const char *path);
/* Text form, as journaled and stored ("dev ino mode size mtime ctime
 * taken", decimal). buf holds STAMP_TEXT_MAX. */
void    stamp_format(const struct stamp *s, char buf[STAMP_TEXT_MAX]);
/* Parse the text form (the whole string). Returns 0, or -1 when it is not
 * a stamp. */
int     stamp_parse(const char *text, struct stamp *ret);

#endif
