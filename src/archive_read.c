/* archive_read.c: reading backups back: the manifest and verification.
 * Restoring them is in archive_restore.c. */
#include <config.h>

#include <errno.h>
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
int
archive_read_errno(struct archive *a)
{
        int e = archive_errno(a);

        if (e <= 0 || e == EILSEQ || e == EINVAL)
                return -EBADMSG;
        return -e;
}

struct archive *
archive_open_backup(const char *path, struct diag *d, int *ret_err)
{
        struct archive *a = archive_read_new();

        archive_read_support_filter_all(a);
        archive_read_support_format_all(a);
        if (archive_read_open_filename(a, path, ARCHIVE_READ_BLOCK) != ARCHIVE_OK) {
                *ret_err = archive_errno(a) > 0 ? -archive_errno(a) : -EBADMSG;
                /* TRANSLATORS: %s is a backup archive, then libarchive's reason. */
                diag_set(d, _("cannot open backup \"%s\": %s"), path, archive_error_string(a));
                archive_read_free(a);
                return NULL;
        }
        return a;
}

void
archive_read_progress(struct archive *a, progress_fn progress, void *ud, uint64_t total,
                      int64_t *last, bool force)
{
        int64_t now;

        if (progress == NULL)
                return;
        now = now_ms();
        if (!force && now - *last < ARCHIVE_PROGRESS_MS)
                return;
        *last = now;
        progress(ud, force ? total : (uint64_t)archive_filter_bytes(a, -1), total);
}

int
archive_header_error(struct archive *a, const char *path, const char *prev, struct diag *d)
{
        if (prev[0] != '\0')
                /* TRANSLATORS: a backup, the member read last, then the reason. */
                diag_set(d, _("cannot read backup \"%s\" after member \"%s\": %s"), path, prev,
                         archive_error_string(a));
        else
                diag_set(d, _("cannot read backup \"%s\": %s"), path, archive_error_string(a));
        return archive_read_errno(a);
}

/* Hash (or, with sb, collect) the data of the current member. */
int
archive_read_member(struct archive *a, const char *path, const char *name, char *buf,
                    struct sha256 *c, struct strbuf *sb, struct diag *d)
{
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, ARCHIVE_READ_BLOCK);

                if (n == 0)
                        return 0;
                if (n < 0) {
                        /* TRANSLATORS: a backup, the member being read, then the reason. */
                        diag_set(d, _("cannot read backup \"%s\" at member \"%s\": %s"), path,
                                 name, archive_error_string(a));
                        return archive_read_errno(a);
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
int
manifest_compare(const char *path, struct manifest_line *files, size_t nf,
                 struct manifest_line *lines, size_t nl, struct diag *d)
{
        size_t i = 0, j = 0;

        /* qsort's base must not be NULL, even for no elements. */
        if (nf > 0)
                qsort(files, nf, sizeof *files, line_cmp);
        if (nl > 0)
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
        char *buf = xmalloc(ARCHIVE_READ_BLOCK);
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
                        r = archive_header_error(a, path, prev, d);
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
                        r = archive_read_member(a, path, name, buf, NULL, manifest, d);
                } else if (archive_entry_filetype(e) == AE_IFREG &&
                           archive_entry_hardlink(e) == NULL) {
                        struct sha256 *c = sha256_new();

                        xgrow((void **)files, &alloc, *nf + 1, sizeof **files);
                        r = archive_read_member(a, path, name, buf, c, NULL, d);
                        (*files)[*nf].name = xstrdup(name);
                        sha256_final_hex(c, (*files)[*nf].hex);
                        (*nf)++;
                } else {
                        r = archive_read_member(a, path, name, buf, NULL, NULL, d);
                }
                if (r < 0)
                        break;
                archive_read_progress(a, progress, ud, total, &last, false);
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
        a = archive_open_backup(path, d, &r);
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
                r = manifest_compare(path, files, nf, lines, nl, d);
        if (r == 0) {
                int64_t last = 0;

                archive_read_progress(a, progress, ud, (uint64_t)st.st_size, &last, true);
        }
        archive_read_free(a);
        manifest_lines_free(files, nf);
        manifest_lines_free(lines, nl);
        strbuf_release(&manifest);
        return r;
}
