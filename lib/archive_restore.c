/* archive_restore.c: extracting backups: archive_restore() under a root,
 * and the extraction pass of archive_restore_paths() (whose renames, crash
 * states and commit live in archive_swap.c). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/archive.h"
#include "lib/archive_int.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define ZEROS_LEN (64 * 1024)

/* A member name we are willing to put under root: relative, no "..". */
static bool
member_safe(const char *name)
{
        if (name == NULL || name[0] == '\0' || name[0] == '/')
                return false;
        for (const char *p = name; *p != '\0'; ) {
                size_t l = strcspn(p, "/");

                if (l == 2 && p[0] == '.' && p[1] == '.')
                        return false;
                p += l;
                while (*p == '/')
                        p++;
        }
        return true;
}

/* Hash len zero bytes (a hole in a sparse member). */
static void
hash_zeros(struct sha256 *c, uint64_t len)
{
        static const char zeros[ZEROS_LEN];

        while (len > 0) {
                size_t n = len < ZEROS_LEN ? (size_t)len : ZEROS_LEN;

                sha256_update(c, zeros, n);
                len -= n;
        }
}

int
restore_writer_new(struct archive **ret, int extra)
{
        int flags = extra | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_ACL |
                    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SPARSE;
        struct archive *ext = archive_write_disk_new();

        if (geteuid() == 0)
                flags |= ARCHIVE_EXTRACT_OWNER;
        archive_write_disk_set_options(ext, flags);
        archive_write_disk_set_standard_lookup(ext);
        *ret = ext;
        return 0;
}

int
restore_entry(struct archive *a, struct archive *ext, struct archive_entry *e,
              const struct restore_to *to, struct diag *d)
{
        uint64_t pos = 0;

        archive_entry_copy_pathname(e, to->dest);
        if (to->hard_dest != NULL)
                archive_entry_copy_hardlink(e, to->hard_dest);
        if (archive_write_header(ext, e) < ARCHIVE_WARN)
                goto fail;
        for (;;) {
                const void *blk;
                size_t size;
                la_int64_t off;
                int rr = archive_read_data_block(a, &blk, &size, &off);

                if (rr == ARCHIVE_EOF)
                        break;
                if (rr < ARCHIVE_WARN) {
                        /* TRANSLATORS: a backup, the member being read, then the reason. */
                        diag_set(d, _("cannot read backup \"%s\" at member \"%s\": %s"),
                                 to->archive, to->name, archive_error_string(a));
                        return archive_read_errno(a);
                }
                if (to->hash != NULL) {
                        if ((uint64_t)off > pos)
                                hash_zeros(to->hash, (uint64_t)off - pos);
                        sha256_update(to->hash, blk, size);
                        pos = (uint64_t)off + size;
                }
                if (archive_write_data_block(ext, blk, size, off) < ARCHIVE_WARN)
                        goto fail;
                archive_read_progress(a, to->prog, false);
        }
        if (to->hash != NULL && archive_entry_size_is_set(e) &&
            (uint64_t)archive_entry_size(e) > pos)
                hash_zeros(to->hash, (uint64_t)archive_entry_size(e) - pos);
        if (archive_write_finish_entry(ext) < ARCHIVE_WARN)
                goto fail;
        return 0;
fail:
        /* TRANSLATORS: a file being restored, the backup, then the reason. */
        diag_set(d, _("cannot restore \"%s\" from backup \"%s\": %s"), to->dest, to->archive,
                 archive_error_string(ext));
        return archive_errno(ext) > 0 ? -archive_errno(ext) : -EIO;
}

/* Refuse a member with an absolute path or "..", naming it. */
int
refuse_unsafe(const char *archive, const char *name, const char *hard, struct diag *d)
{
        if (member_safe(name) && (hard == NULL || member_safe(hard)))
                return 0;
        /* TRANSLATORS: a backup, then a member with an absolute path or "..". */
        diag_set(d, _("backup \"%s\": member \"%s\" has an absolute path or \"..\" and is not "
                      "restored"), archive, name != NULL ? name : "");
        return -EPERM;
}

static int
restore_close(struct archive *ext, const char *path, const char *where, int r,
              struct diag *d)
{
        /* Directory modes and times are set on close. */
        if (archive_write_close(ext) < ARCHIVE_WARN && r == 0) {
                r = archive_errno(ext) > 0 ? -archive_errno(ext) : -EIO;
                /* TRANSLATORS: a backup, where it is restored, then the reason. */
                diag_set(d, _("cannot restore backup \"%s\" into \"%s\": %s"), path, where,
                         archive_error_string(ext));
        }
        archive_write_free(ext);
        return r;
}

int
archive_restore(const char *path, const char *root, progress_fn progress, void *ud,
                struct diag *d)
{
        struct read_progress prog = { .fn = progress, .ud = ud, .last = now_ms() };
        struct archive *a, *ext;
        struct archive_entry *e;
        char real[PATH_MAX];
        struct stat st;
        int r;

        if (stat(path, &st) < 0) {
                r = -errno;
                diag_set(d, _("cannot open backup \"%s\": %s"), path, strerror(-r));
                return r;
        }
        prog.total = (uint64_t)st.st_size;
        r = mkdir_p(root, 0700, d);
        if (r < 0)
                return r;
        /* Pathnames are built as real root + "/" + member after checking the
         * member, so root's own symlinks never trip SECURE_SYMLINKS. */
        if (realpath(root, real) == NULL) {
                r = -errno;
                /* TRANSLATORS: %s is a directory, then the system's reason. */
                diag_set(d, _("cannot restore into \"%s\": %s"), root, strerror(-r));
                return r;
        }
        a = archive_open_backup(path, d, &r);
        if (a == NULL)
                return r;
        restore_writer_new(&ext, 0);
        for (;;) {
                const char *sep = strcmp(real, "/") == 0 ? "" : "/";
                struct restore_to to = { .archive = path, .prog = &prog };
                char *hard;

                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF) {
                        r = 0;
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        r = archive_header_error(a, path, "", d);
                        break;
                }
                /* The manifest describes the backup, not the data: not restored. */
                to.name = archive_entry_pathname(e);
                if (to.name != NULL && strcmp(to.name, ARCHIVE_MANIFEST) == 0)
                        continue;
                hard = xstrdup(archive_entry_hardlink(e));
                r = refuse_unsafe(path, to.name, hard, d);
                if (r == 0) {
                        char *name = xstrdup(to.name);

                        to.name = name;
                        to.dest = xasprintf("%s%s%s", real, sep, name);
                        if (hard != NULL)
                                to.hard_dest = xasprintf("%s%s%s", real, sep, hard);
                        r = restore_entry(a, ext, e, &to, d);
                        free(to.dest);
                        free(to.hard_dest);
                        free(name);
                }
                free(hard);
                if (r < 0)
                        break;
                archive_read_progress(a, &prog, false);
        }
        r = restore_close(ext, path, root, r, d);
        if (r == 0)
                archive_read_progress(a, &prog, true);
        archive_read_free(a);
        return r;
}

/* Length of name without trailing slashes. */
static size_t
name_len(const char *name)
{
        size_t l = strlen(name);

        while (l > 1 && name[l - 1] == '/')
                l--;
        return l;
}

/* The data path the member belongs to (the longest that holds it), or -1. */
ssize_t
rp_match(const struct rp *v, size_t n, const char *name)
{
        size_t l = name_len(name), best_len = 0;
        ssize_t best = -1;

        for (size_t i = 0; i < n; i++) {
                size_t ml = strlen(v[i].member);

                if (l >= ml && strncmp(name, v[i].member, ml) == 0 &&
                    (l == ml || name[ml] == '/') && (best < 0 || ml > best_len)) {
                        best = (ssize_t)i;
                        best_len = ml;
                }
        }
        return best;
}

/* Where member name (under v[i]) goes: v[i].restore + the rest of name. */
char *
rp_dest(const struct rp *p, const char *name)
{
        size_t ml = strlen(p->member), l = name_len(name);

        return xasprintf("%s%.*s", p->restore, (int)(l - ml), name + ml);
}

static bool
rp_dir_exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Give each directory that was there before the pass its member's mode,
 * owner, xattrs and times, deepest first. */
static int
rp_fix_dirs(struct rp_pass *ps, struct diag *d)
{
        int r = 0;

        for (size_t k = ps->ndirs; r == 0 && k-- > 0;) {
                struct archive_entry *e = ps->dirs[k].e;
                const char *path = ps->dirs[k].path, *name;
                struct timespec ts[2] = {
                        { archive_entry_atime(e), archive_entry_atime_nsec(e) },
                        { archive_entry_mtime(e), archive_entry_mtime_nsec(e) },
                };
                const void *value;
                size_t size;

                if (geteuid() == 0 &&
                    lchown(path, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
                        r = -errno;
                archive_entry_xattr_reset(e);
                while (r == 0 && archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
                        if (lsetxattr(path, name, value, size, 0) < 0 && errno != ENOTSUP)
                                r = -errno;
                if (r == 0 && chmod(path, archive_entry_perm(e)) < 0)
                        r = -errno;
                if (r == 0 && !archive_entry_atime_is_set(e))
                        ts[0].tv_nsec = UTIME_OMIT;
                if (r == 0 && utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        r = -errno;
                if (r < 0)
                        /* TRANSLATORS: a directory being restored, then the reason. */
                        diag_set(d, _("cannot restore the attributes of \"%s\": %s"), path,
                                 strerror(-r));
        }
        return r;
}

void
rp_dirs_release(struct rp_pass *ps)
{
        for (size_t k = 0; k < ps->ndirs; k++) {
                free(ps->dirs[k].path);
                archive_entry_free(ps->dirs[k].e);
        }
        free(ps->dirs);
        ps->dirs = NULL;
        ps->ndirs = ps->dirs_alloc = 0;
}

/* One member of the pass: extract it when its data path wants it. */
static int
rp_member(struct rp_pass *ps, struct archive *a, struct archive *ext, struct archive_entry *e,
          const char *name, struct diag *d)
{
        const char *hard = archive_entry_hardlink(e);
        struct restore_to to = { .archive = ps->archive, .name = name, .prog = &ps->prog };
        ssize_t i = rp_match(ps->v, ps->n, name), j = -1;
        bool data = archive_entry_filetype(e) == AE_IFREG && hard == NULL;
        int r;

        if (i < 0 || !rp_extracts(&ps->v[i]))
                return 0;
        r = refuse_unsafe(ps->archive, name, hard, d);
        if (r < 0)
                return r;
        if (hard != NULL) {
                j = rp_match(ps->v, ps->n, hard);
                if (j < 0 || !rp_extracts(&ps->v[j])) {
                        /* TRANSLATORS: a backup, a member, then another member. */
                        diag_set(d, _("backup \"%s\": member \"%s\" is a hard link to \"%s\", "
                                      "which is not restored with it (restore both data "
                                      "paths together)"), ps->archive, name, hard);
                        return -EINVAL;
                }
                to.hard_dest = rp_dest(&ps->v[j], hard);
        }
        to.dest = rp_dest(&ps->v[i], name);
        if (ps->partial && archive_entry_filetype(e) == AE_IFDIR && rp_dir_exists(to.dest)) {
                /* libarchive leaves a directory that exists as it is: its
                 * mode, owner, xattrs and times are set after the pass. */
                xgrow((void **)&ps->dirs, &ps->dirs_alloc, ps->ndirs + 1, sizeof *ps->dirs);
                ps->dirs[ps->ndirs].path = to.dest;
                ps->dirs[ps->ndirs++].e = archive_entry_clone(e);
                ps->v[i].seen = true;
                return 0;
        }
        if (data)
                to.hash = sha256_new();
        r = restore_entry(a, ext, e, &to, d);
        if (data) {
                struct manifest_line *ml;

                xgrow((void **)&ps->files, &ps->files_alloc, ps->nfiles + 1, sizeof *ps->files);
                ml = &ps->files[ps->nfiles++];
                ml->name = xstrndup(name, name_len(name));
                sha256_final_hex(to.hash, ml->hex);
        }
        ps->v[i].seen = true;
        free(to.dest);
        free(to.hard_dest);
        return r;
}

int
rp_extract(struct rp_pass *ps, struct diag *d)
{
        struct archive *a, *ext;
        struct archive_entry *e;
        char *buf = NULL;
        int r;

        a = archive_open_backup(ps->archive, d, &r);
        if (a == NULL)
                return r;
        restore_writer_new(&ext, ps->partial ? ARCHIVE_EXTRACT_UNLINK : 0);
        for (;;) {
                const char *name;

                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF) {
                        r = 0;
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        r = archive_header_error(a, ps->archive, "", d);
                        break;
                }
                name = archive_entry_pathname(e) != NULL ? archive_entry_pathname(e) : "";
                if (strcmp(name, ARCHIVE_MANIFEST) == 0) {
                        if (buf == NULL)
                                buf = xmalloc(ARCHIVE_READ_BLOCK);
                        r = archive_read_member(a, ps->archive, name, buf, NULL,
                                                &ps->manifest, d);
                        ps->have_manifest = true;
                } else {
                        char *copy = xstrdup(name);

                        r = rp_member(ps, a, ext, e, copy, d);
                        free(copy);
                }
                if (r < 0)
                        break;
                archive_read_progress(a, &ps->prog, false);
        }
        r = restore_close(ext, ps->archive, ps->archive, r, d);
        if (r == 0)
                r = rp_fix_dirs(ps, d);
        if (r == 0)
                archive_read_progress(a, &ps->prog, true);
        archive_read_free(a);
        free(buf);
        return r;
}
