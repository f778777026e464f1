/* archive_meta.c: what a backup records of a file besides its data, in as
 * few system calls as that takes.
 *
 * libarchive's archive_read_disk_entry_from_file() asks for everything
 * there could be: the file flags, the access ACL (and, through libacl, a
 * second fstat), then the list of xattrs, each with its own call. Most
 * files of a data directory have no xattr and no ACL, and on Linux an ACL
 * is an xattr (system.posix_acl_*), so one flistxattr() tells: when it
 * lists nothing, the entry gets the owner names and the file flags here
 * and nothing else is asked; when it lists anything, libarchive fills the
 * entry as it always did. A filesystem that has no xattrs or no file flags
 * at all (ENOTSUP, ENOTTY) is found out at its first file, by st_dev, and
 * not asked again. The entry is the same either way.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/fs.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/archive_int.h"
#include "lib/i18n.h"
#include "lib/util.h"

static struct fs_caps *
caps_of(struct entry_meta *m, dev_t dev)
{
        for (size_t i = 0; i < m->n; i++)
                if (m->v[i].dev == dev)
                        return &m->v[i];
        xgrow((void **)&m->v, &m->alloc, m->n + 1, sizeof *m->v);
        m->v[m->n] = (struct fs_caps){ .dev = dev, .xattrs = true, .flags = true };
        return &m->v[m->n++];
}

static bool
unsupported(int e)
{
        return e == ENOTSUP || e == EOPNOTSUPP || e == ENOTTY || e == ENOSYS;
}

int
entry_meta_probe(struct entry_meta *m, int fd, const struct stat *st, int *ret_flags)
{
        struct fs_caps *fs = caps_of(m, st->st_dev);
        int flags = 0;

        if (fs->xattrs) {
                ssize_t n = flistxattr(fd, NULL, 0);

                if (n < 0 && unsupported(errno))
                        fs->xattrs = false;
                else if (n != 0)
                        return 1;       /* xattrs, an ACL, or an error: libarchive says */
        }
        if (fs->flags && ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
                if (unsupported(errno))
                        fs->flags = false;
                flags = 0;
        }
        *ret_flags = flags;
        return 0;
}

void
entry_meta_known(struct entry_meta *m, struct archive_entry *e, const struct stat *st,
                 int flags)
{
        const char *name;

        archive_entry_copy_stat(e, st);
        name = archive_read_disk_uname(m->disk, (la_int64_t)st->st_uid);
        if (name != NULL)
                archive_entry_copy_uname(e, name);
        name = archive_read_disk_gname(m->disk, (la_int64_t)st->st_gid);
        if (name != NULL)
                archive_entry_copy_gname(e, name);
        if (flags != 0)
                archive_entry_set_fflags(e, (unsigned long)flags, 0);
}

int
entry_meta_fill(struct entry_meta *m, struct archive_entry *e, int fd, const char *src,
                const struct stat *st, struct diag *d)
{
        int flags;

        if (fd >= 0 && (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) &&
            entry_meta_probe(m, fd, st, &flags) == 0) {
                entry_meta_known(m, e, st, flags);
                return 0;
        }
        /* Symlinks and the like (rare), and files with xattrs: libarchive,
         * which looks the file up by its path where it has no fd. */
        archive_entry_copy_stat(e, st);
        archive_entry_copy_sourcepath(e, src);
        if (archive_read_disk_entry_from_file(m->disk, e, fd, st) < ARCHIVE_WARN) {
                int r = -(archive_errno(m->disk) > 0 ? archive_errno(m->disk) : EIO);

                /* TRANSLATORS: %s is a file being backed up, then the reason. */
                diag_set(d, _("cannot back up \"%s\": %s"), src, archive_error_string(m->disk));
                return r;
        }
        return 0;
}

void
entry_meta_release(struct entry_meta *m)
{
        free(m->v);
        m->v = NULL;
        m->n = m->alloc = 0;
}
