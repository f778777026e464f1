/* archive_verify.c: reading a whole backup back and checking it.
 *
 * Three strands run at once, so that a verification costs about what the
 * decompression alone costs: the calling thread decompresses and walks the
 * members; a hasher thread (archive_hasher.c) takes each member's data
 * (copied into a ring of buffers) and hashes it; a third thread hashes the
 * archive file itself
 * when its SHA-256 is to be checked or returned. When a thread cannot be
 * started, its work is done inline.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
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

/* Send the current member's data to the hasher. */
static int
hash_member(struct archive *a, struct archive_entry *e, struct hasher *h,
            struct read_progress *prog, const char *path, const char *name, struct diag *d)
{
        uint64_t pos = 0;
        int r = 0;

        for (;;) {
                const void *blk;
                size_t size;
                la_int64_t off;
                int rr = archive_read_data_block(a, &blk, &size, &off);

                if (rr == ARCHIVE_EOF)
                        break;
                if (rr < ARCHIVE_WARN) {
                        /* TRANSLATORS: a backup, the member being read, then the reason. */
                        diag_set(d, _("cannot read backup \"%s\" at member \"%s\": %s"), path,
                                 name, archive_error_string(a));
                        r = archive_read_errno(a);
                        break;
                }
                if ((uint64_t)off > pos)
                        hasher_add(h, NULL, (uint64_t)off - pos);
                hasher_add(h, blk, size);
                pos = (uint64_t)off + size;
                archive_read_progress(a, prog, false);
        }
        if (r == 0 && archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > pos)
                hasher_add(h, NULL, (uint64_t)archive_entry_size(e) - pos);
        hasher_end(h, NULL);            /* ends the member even after an error */
        return r;
}

static int
verify_members(struct archive *a, const char *path, struct hasher *h,
               struct manifest_line **files, size_t *nf, struct strbuf *manifest,
               struct read_progress *prog, struct diag *d)
{
        struct archive_entry *e;
        char *buf = xmalloc(ARCHIVE_READ_BLOCK);
        char *prev = xstrdup("");
        bool seen = false;
        size_t alloc = 0;
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
                        xgrow((void **)files, &alloc, *nf + 1, sizeof **files);
                        (*files)[*nf].name = xstrdup(name);
                        (*files)[*nf].hex[0] = '\0';
                        (*nf)++;
                        r = hash_member(a, e, h, prog, path, prev, d);
                }
                if (r < 0)
                        break;
                archive_read_progress(a, prog, false);
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

/* The archive file's own SHA-256, in a thread of its own. */
struct file_hash {
        pthread_t    thread;
        const char  *path;
        char         hex[SHA256_HEX_LEN + 1];
        struct diag  d;
        int          r;
};

static void *
file_hash_main(void *ud)
{
        struct file_hash *fh = ud;

        fh->r = sha256_file(fh->path, fh->hex, NULL, &fh->d);
        return NULL;
}

static int
check_file_hash(struct file_hash *fh, const char *want, struct diag *d)
{
        if (fh->r < 0) {
                diag_set(d, "%s", fh->d.msg);
                return fh->r;
        }
        if (strcasecmp(fh->hex, want) != 0) {
                /* TRANSLATORS: a backup, then two SHA-256 sums in hex. */
                diag_set(d, _("backup \"%s\" changed since it was written: SHA-256 is %s, "
                              "expected %s"), fh->path, fh->hex, want);
                return -EBADMSG;
        }
        return 0;
}

static int
check_manifest(const char *path, struct manifest_line *files, size_t nf,
               const struct strbuf *manifest, struct diag *d)
{
        struct manifest_line *lines = NULL;
        size_t nl = 0, bad = 0;
        int r;

        if (manifest_parse(manifest->buf != NULL ? manifest->buf : "", manifest->len, &lines,
                           &nl, &bad) < 0) {
                /* TRANSLATORS: a backup, then a line number in its manifest. */
                diag_set(d, _("backup \"%s\": line %zu of the manifest is not in sha256sum "
                              "format"), path, bad);
                return -EBADMSG;
        }
        r = manifest_compare(path, files, nf, lines, nl, d);
        manifest_lines_free(lines, nl);
        return r;
}

int
archive_verify_sum(const char *path, const char *want_sha256, char ret_sha256[SHA256_HEX_LEN + 1],
                   progress_fn progress, void *ud, struct diag *d)
{
        struct file_hash fh = { .path = path };
        struct read_progress prog = { .fn = progress, .ud = ud, .last = now_ms() };
        bool want = want_sha256 != NULL && want_sha256[0] != '\0';
        bool hash_file = want || ret_sha256 != NULL;
        bool fh_thread = false;
        struct manifest_line *files = NULL;
        struct strbuf manifest = {0};
        struct hasher h;
        struct archive *a;
        struct stat st;
        size_t nf = 0;
        int r = 0;

        if (stat(path, &st) < 0) {
                r = -errno;
                /* TRANSLATORS: a backup, then the system's reason. */
                diag_set(d, _("cannot open backup \"%s\": %s"), path, strerror(-r));
                return r;
        }
        prog.total = (uint64_t)st.st_size;
        if (hash_file) {
                fh_thread = pthread_create(&fh.thread, NULL, file_hash_main, &fh) == 0;
                if (!fh_thread)
                        file_hash_main(&fh);
        }
        a = archive_open_backup(path, d, &r);
        if (a != NULL) {
                hasher_start(&h);
                r = verify_members(a, path, &h, &files, &nf, &manifest, &prog, d);
                hasher_finish(&h);
                for (size_t i = 0; i < nf && i < h.nhex; i++)
                        memcpy(files[i].hex, h.hex[i], sizeof files[i].hex);
                free(h.hex);
        }
        if (fh_thread)
                pthread_join(fh.thread, NULL);
        /* A changed file explains everything else: it is said first. */
        if (want && (r == 0 || check_file_hash(&fh, want_sha256, NULL) == -EBADMSG)) {
                int fr = check_file_hash(&fh, want_sha256, d);

                if (fr < 0)
                        r = fr;
        }
        if (r == 0 && hash_file && fh.r < 0) {
                diag_set(d, "%s", fh.d.msg);
                r = fh.r;
        }
        if (r == 0)
                r = check_manifest(path, files, nf, &manifest, d);
        if (r == 0) {
                archive_read_progress(a, &prog, true);
                if (ret_sha256 != NULL)
                        memcpy(ret_sha256, fh.hex, SHA256_HEX_LEN + 1);
        }
        if (a != NULL)
                archive_read_free(a);
        manifest_lines_free(files, nf);
        strbuf_release(&manifest);
        return r;
}

int
archive_verify(const char *path, const char *want_sha256, progress_fn progress, void *ud,
               struct diag *d)
{
        return archive_verify_sum(path, want_sha256, NULL, progress, ud, d);
}
