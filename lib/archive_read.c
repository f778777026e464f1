/* archive_read.c: reading backups back: the manifest and what verifying
 * (archive_verify.c) and restoring (archive_restore.c) share. */
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

#include "lib/archive.h"
#include "lib/archive_int.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define MANIFEST_MAX (256u * 1024 * 1024)

void
manifest_add_line(struct strbuf *sb, const char *hex, const char *member)
{
        bool esc = strpbrk(member, "\\\n") != NULL;

        if (esc)
                strbuf_addch(sb, '\\');
        strbuf_adds(sb, hex);
        strbuf_adds(sb, "  ");
        if (!esc) {
                strbuf_adds(sb, member);
                strbuf_addch(sb, '\n');
                return;
        }
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
archive_read_progress(struct archive *a, struct read_progress *p, bool force)
{
        uint64_t done;
        int64_t now;

        if (p == NULL || p->fn == NULL)
                return;
        now = now_ms();
        if (!force && now - p->last < ARCHIVE_PROGRESS_MS)
                return;
        p->last = now;
        done = force ? p->total : (uint64_t)archive_filter_bytes(a, -1);
        p->fn(p->ud, done < p->total ? done : p->total, p->total);
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
