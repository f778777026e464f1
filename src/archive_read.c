/* archive_read.c: reading backups back: the manifest, verification, restore. */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive.h"
#include "archive_int.h"
#include "i18n.h"
#include "util.h"

#define READ_BLOCK (1024 * 1024)
#define PROGRESS_MS 250
#define MANIFEST_MAX (256u * 1024 * 1024)

void
manifest_add_line(struct strbuf *sb, const char *hex, const char *member)
{
        bool esc = strpbrk(member, "\\\n") != NULL;

        if (esc)
                strbuf_addch(sb, '\\');
        strbuf_adds(sb, hex);
        strbuf_adds(sb, "  ");
        for (const char *p = member; *p != '\0'; p++) {
                if (esc && *p == '\\')
                        strbuf_adds(sb, "\\\\");
                else if (esc && *p == '\n')
                        strbuf_adds(sb, "\\n");
                else
                        strbuf_addch(sb, *p);
        }
        strbuf_addch(sb, '\n');
}

void
manifest_lines_free(struct manifest_line *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

/* Parse one line (without its newline) into *ml. Returns 0 or -EBADMSG. */
static int
manifest_parse_line(const char *s, size_t len, struct manifest_line *ml)
{
        struct strbuf name = {0};
        bool esc = len > 0 && s[0] == '\\';
        size_t i = esc ? 1 : 0;

        if (len < i + SHA256_HEX_LEN + 3)
                return -EBADMSG;
        memcpy(ml->hex, s + i, SHA256_HEX_LEN);
        ml->hex[SHA256_HEX_LEN] = '\0';
        if (!sha256_valid_hex(ml->hex))
                return -EBADMSG;
        i += SHA256_HEX_LEN;
        if (s[i] != ' ' || (s[i + 1] != ' ' && s[i + 1] != '*'))
                return -EBADMSG;
        for (i += 2; i < len; i++) {
                if (esc && s[i] == '\\' && i + 1 < len) {
                        i++;
                        strbuf_addch(&name, s[i] == 'n' ? '\n' : s[i] == 'r' ? '\r' : s[i]);
                } else {
                        strbuf_addch(&name, s[i]);
                }
        }
        ml->name = strbuf_detach(&name);
        return 0;
}

int
manifest_parse(const char *buf, size_t len, struct manifest_line **ret_lines,
               size_t *ret_n, size_t *ret_bad_line)
{
        struct manifest_line *v = NULL;
        size_t n = 0, alloc = 0, lineno = 0;
        const char *p = buf, *end = buf + len;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

                lineno++;
                if (l > 0) {
                        xgrow((void **)&v, &alloc, n + 1, sizeof *v);
                        if (manifest_parse_line(p, l, &v[n]) < 0) {
                                manifest_lines_free(v, n);
                                *ret_bad_line = lineno;
                                return -EBADMSG;
                        }
                        n++;
                }
                p += l + 1;
        }
        *ret_lines = v;
        *ret_n = n;
        return 0;
}

static int
line_cmp(const void *a, const void *b)
{
        return strcmp(((const struct manifest_line *)a)->name,
                      ((const struct manifest_line *)b)->name);
}

/* -errno for a read error: a system error when libarchive has one, else
 * the data is bad (libarchive reports bad data as EILSEQ or EINVAL on Linux,
 * or as -1). */
static int
read_errno(struct archive *a)
{
        int e = archive_errno(a);

        if (e <= 0 || e == EILSEQ || e == EINVAL)
                return -EBADMSG;
        return -e;
}

static struct archive *
open_backup(const char *path, struct diag *d, int *ret_err)
{
        struct archive *a = archive_read_new();

        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        if (archive_read_open_filename(a, path, READ_BLOCK) != ARCHIVE_OK) {
                *ret_err = archive_errno(a) > 0 ? -archive_errno(a) : -EBADMSG;
                /* TRANSLATORS: %s is a backup archive, then libarchive's reason. */
                diag_set(d, _("cannot open backup \"%s\": %s"), path, archive_error_string(a));
                archive_read_free(a);
                return NULL;
        }
        return a;
}

static void
read_progress(struct archive *a, progress_fn progress, void *ud, uint64_t total,
              int64_t *last, bool force)
{
        int64_t now;

        if (progress == NULL)
                return;
        now = now_ms();
        if (!force && now - *last < PROGRESS_MS)
                return;
        *last = now;
        progress(ud, force ? total : (uint64_t)archive_filter_bytes(a, -1), total);
}

static int
header_error(struct archive *a, const char *path, const char *prev, struct diag *d)
{
        if (prev[0] != '\0')
                /* TRANSLATORS: a backup, the member read last, then the reason. */
                diag_set(d, _("cannot read backup \"%s\" after member \"%s\": %s"), path, prev,
                         archive_error_string(a));
        else
                diag_set(d, _("cannot read backup \"%s\": %s"), path, archive_error_string(a));
        return read_errno(a);
}

/* Hash (or, with sb, collect) the data of the current member. */
static int
read_member(struct archive *a, const char *path, const char *name, char *buf,
            struct sha256 *c, struct strbuf *sb, struct diag *d)
{
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, READ_BLOCK);

                if (n == 0)
                        return 0;
                if (n < 0) {
                        /* TRANSLATORS: a backup, the member being read, then the reason. */
                        diag_set(d, _("cannot read backup \"%s\" at member \"%s\": %s"), path,
                                 name, archive_error_string(a));
                        return read_errno(a);
                }
                if (c != NULL)
                        sha256_update(c, buf, (size_t)n);
                if (sb != NULL) {
                        if (sb->len + (size_t)n > MANIFEST_MAX) {
                                diag_set(d, _("backup \"%s\": the manifest is too large"),
                                         path);
                                return -EBADMSG;
                        }
                        strbuf_add(sb, buf, (size_t)n);
                }
        }
}

/* Every member must match its line and every line must have a member. */
static int
compare_manifest(const char *path, struct manifest_line *files, size_t nf,
                 struct manifest_line *lines, size_t nl, struct diag *d)
{
        size_t i = 0, j = 0;

        qsort(files, nf, sizeof *files, line_cmp);
        qsort(lines, nl, sizeof *lines, line_cmp);
        while (i < nf || j < nl) {
                int c = i == nf ? 1 : j == nl ? -1 : strcmp(files[i].name, lines[j].name);

                if (c < 0) {
                        /* TRANSLATORS: a backup, then a file inside it. */
                        diag_set(d, _("backup \"%s\": member \"%s\" is not in the manifest"),
                                 path, files[i].name);
                        return -EBADMSG;
                }
                if (c > 0) {
                        /* TRANSLATORS: a backup, then a file name from its manifest. */
                        diag_set(d, _("backup \"%s\": the manifest lists \"%s\" but the backup "
                                      "has no such member"), path, lines[j].name);
                        return -EBADMSG;
                }
                if (strcasecmp(files[i].hex, lines[j].hex) != 0) {
                        /* TRANSLATORS: a backup, then a file inside it. */
                        diag_set(d, _("backup \"%s\": member \"%s\" does not match its SHA-256 "
                                      "in the manifest"), path, files[i].name);
                        return -EBADMSG;
                }
                i++;
                j++;
        }
        return 0;
}

static int
verify_members(struct archive *a, const char *path, struct manifest_line **files,
               size_t *nf, struct strbuf *manifest, progress_fn progress, void *ud,
               uint64_t total, struct diag *d)
{
        struct archive_entry *e;
        char *buf = xmalloc(READ_BLOCK);
        char *prev = xstrdup("");
        bool seen = false;
        size_t alloc = 0;
        int64_t last = now_ms();
        int r = 0;

        for (;;) {
                const char *name;

                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF) {
                        r = 0;
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        r = header_error(a, path, prev, d);
                        break;
                }
                name = archive_entry_pathname(e);
                if (name == NULL)
                        name = "";
                if (seen) {
                        /* TRANSLATORS: a backup, then the member found after the manifest. */
                        diag_set(d, _("backup \"%s\": the manifest is not the last member "
                                      "(\"%s\" follows it)"), path, name);
                        r = -EBADMSG;
                        break;
                }
                free(prev);
                prev = xstrdup(name);
                if (strcmp(name, ARCHIVE_MANIFEST) == 0) {
                        seen = true;
                        r = read_member(a, path, name, buf, NULL, manifest, d);
                } else if (archive_entry_filetype(e) == AE_IFREG &&
                           archive_entry_hardlink(e) == NULL) {
                        struct sha256 *c = sha256_new();

                        xgrow((void **)files, &alloc, *nf + 1, sizeof **files);
                        r = read_member(a, path, name, buf, c, NULL, d);
                        (*files)[*nf].name = xstrdup(name);
                        sha256_final_hex(c, (*files)[*nf].hex);
                        (*nf)++;
                } else {
                        r = read_member(a, path, name, buf, NULL, NULL, d);
                }
                if (r < 0)
                        break;
                read_progress(a, progress, ud, total, &last, false);
        }
        if (r == 0 && !seen) {
                /* TRANSLATORS: %s is a backup archive. */
                diag_set(d, _("backup \"%s\" has no manifest"), path);
                r = -EBADMSG;
        }
        free(buf);
        free(prev);
        return r;
}

int
archive_verify(const char *path, const char *want_sha256, progress_fn progress,
               void *ud, struct diag *d)
{
        struct manifest_line *files = NULL, *lines = NULL;
        size_t nf = 0, nl = 0, bad = 0;
        struct strbuf manifest = {0};
        struct archive *a;
        struct stat st;
        int r = 0;

        if (stat(path, &st) < 0) {
                r = -errno;
                diag_set(d, _("cannot open backup \"%s\": %s"), path, strerror(-r));
                return r;
        }
        if (want_sha256 != NULL && want_sha256[0] != '\0') {
                char got[SHA256_HEX_LEN + 1];

                r = sha256_file(path, got, NULL, d);
                if (r < 0)
                        return r;
                if (strcasecmp(got, want_sha256) != 0) {
                        /* TRANSLATORS: a backup, then two SHA-256 sums in hex. */
                        diag_set(d, _("backup \"%s\" changed since it was written: SHA-256 is "
                                      "%s, expected %s"), path, got, want_sha256);
                        return -EBADMSG;
                }
        }
        a = open_backup(path, d, &r);
        if (a == NULL)
                return r;
        r = verify_members(a, path, &files, &nf, &manifest, progress, ud,
                           (uint64_t)st.st_size, d);
        if (r == 0 && manifest_parse(manifest.buf != NULL ? manifest.buf : "", manifest.len,
                                     &lines, &nl, &bad) < 0) {
                /* TRANSLATORS: a backup, then a line number in its manifest. */
                diag_set(d, _("backup \"%s\": line %zu of the manifest is not in sha256sum "
                              "format"), path, bad);
                r = -EBADMSG;
        }
        if (r == 0)
                r = compare_manifest(path, files, nf, lines, nl, d);
        if (r == 0) {
                int64_t last = 0;

                read_progress(a, progress, ud, (uint64_t)st.st_size, &last, true);
        }
        archive_read_free(a);
        manifest_lines_free(files, nf);
        manifest_lines_free(lines, nl);
        strbuf_release(&manifest);
        return r;
}

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

static int
restore_entry(struct archive *a, struct archive *ext, struct archive_entry *e,
              const char *path, const char *root, struct diag *d)
{
        char *name = xstrdup(archive_entry_pathname(e));
        char *hard = xstrdup(archive_entry_hardlink(e));
        const char *sep = strcmp(root, "/") == 0 ? "" : "/";
        char *dest = NULL;
        int r = 0;

        if (!member_safe(name) || (hard != NULL && !member_safe(hard))) {
                /* TRANSLATORS: a backup, then a member with an absolute path or "..". */
                diag_set(d, _("backup \"%s\": member \"%s\" has an absolute path or \"..\" "
                              "and is not restored"), path, name != NULL ? name : "");
                r = -EPERM;
                goto out;
        }
        dest = xasprintf("%s%s%s", root, sep, name);
        archive_entry_copy_pathname(e, dest);
        if (hard != NULL) {
                char *h = xasprintf("%s%s%s", root, sep, hard);

                archive_entry_copy_hardlink(e, h);
                free(h);
        }
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
                        diag_set(d, _("cannot read backup \"%s\" at member \"%s\": %s"), path,
                                 name, archive_error_string(a));
                        r = read_errno(a);
                        goto out;
                }
                if (archive_write_data_block(ext, blk, size, off) < ARCHIVE_WARN)
                        goto fail;
        }
        if (archive_write_finish_entry(ext) < ARCHIVE_WARN)
                goto fail;
        goto out;
fail:
        r = archive_errno(ext) > 0 ? -archive_errno(ext) : -EIO;
        /* TRANSLATORS: a file being restored, the backup, then the reason. */
        diag_set(d, _("cannot restore \"%s\" from backup \"%s\": %s"), dest, path,
                 archive_error_string(ext));
out:
        free(dest);
        free(name);
        free(hard);
        return r;
}

int
archive_restore(const char *path, const char *root, progress_fn progress, void *ud,
                struct diag *d)
{
        int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_ACL |
                    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                    ARCHIVE_EXTRACT_SECURE_SYMLINKS;
        struct archive *a, *ext;
        struct archive_entry *e;
        char real[PATH_MAX];
        struct stat st;
        int64_t last = now_ms();
        int r;

        if (geteuid() == 0)
                flags |= ARCHIVE_EXTRACT_OWNER;
        if (stat(path, &st) < 0) {
                r = -errno;
                diag_set(d, _("cannot open backup \"%s\": %s"), path, strerror(-r));
                return r;
        }
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
        a = open_backup(path, d, &r);
        if (a == NULL)
                return r;
        ext = archive_write_disk_new();
        archive_write_disk_set_options(ext, flags);
        archive_write_disk_set_standard_lookup(ext);
        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF) {
                        r = 0;
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        r = header_error(a, path, "", d);
                        break;
                }
                /* The manifest describes the backup, not the data: not restored. */
                if (archive_entry_pathname(e) != NULL &&
                    strcmp(archive_entry_pathname(e), ARCHIVE_MANIFEST) == 0) {
                        r = 0;
                        continue;
                }
                r = restore_entry(a, ext, e, path, real, d);
                if (r < 0)
                        break;
                read_progress(a, progress, ud, (uint64_t)st.st_size, &last, false);
        }
        /* Directory modes and times are set on close. */
        if (archive_write_close(ext) < ARCHIVE_WARN && r == 0) {
                r = archive_errno(ext) > 0 ? -archive_errno(ext) : -EIO;
                diag_set(d, _("cannot restore backup \"%s\" into \"%s\": %s"), path, root,
                         archive_error_string(ext));
        }
        if (r == 0)
                read_progress(a, progress, ud, (uint64_t)st.st_size, &last, true);
        archive_write_free(ext);
        archive_read_free(a);
        return r;
}
