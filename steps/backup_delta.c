/* backup_delta.c: a cold backup in two parts.
 *
 * The service's data is archived while it still runs (backup step, "live"),
 * keeping each file's stamp (lib/stamp.h) in ARCHIVE.stamps; once it has
 * stopped, only what changed since is archived again (stop step): every
 * file whose stamp differs or is racy, every new file, every directory,
 * and in DELTA.removed the names the live backup holds that are gone (or
 * are another kind of file now). The live archive, laid under the delta
 * with the removed names taken out, is then exactly a cold copy:
 * archive_restore_layers() restores them so. Only the delta is made and
 * read back inside the downtime.
 *
 * DELTA.removed is the names, each followed by a NUL byte; its SHA-256 is
 * journaled (FACT_DELTA_REMOVED_SHA256). ARCHIVE.stamps is pairs of
 * NUL-terminated strings, a stamp's text form and a member name; it is
 * removed once the delta is verified.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/archive.h"
#include "lib/i18n.h"
#include "lib/kvlist.h"
#include "lib/stamp.h"
#include "steps/backup_archive.h"
#include "steps/facts.h"

#define STAMPS_SUFFIX  ".stamps"
#define REMOVED_SUFFIX ".removed"
#define STAMPS_TMP     ".upshift-stamps"

/* The stamps being written while the live backup runs. */
struct stamps_out {
        FILE        *f;
        char        *tmp;
        struct diag *d;
};

static int
stamp_seen(void *ud, const char *member, const struct stat *st)
{
        struct stamps_out *so = ud;
        char text[STAMP_TEXT_MAX];
        struct stamp s;

        stamp_of(st, stamp_clock_ns(), &s);
        stamp_format(&s, text);
        if (fputs(text, so->f) == EOF || fputc('\0', so->f) == EOF ||
            fputs(member, so->f) == EOF || fputc('\0', so->f) == EOF) {
                int r = -errno;

                diag_set(so->d, _("cannot write \"%s\": %s"), so->tmp, strerror(errno));
                return r ? r : -EIO;
        }
        return 0;
}

int
backup_stamps_begin(struct step_ctx *ctx, struct backup_opts *o)
{
        const char *dir = vars_get(ctx->vars, "backup_dir");
        struct stamps_out *so;
        int fd;

        if (mkdir_p(dir, 0700, ctx->diag) < 0)
                return STEP_FAILED;
        so = xcalloc(1, sizeof *so);
        so->tmp = path_join(dir, STAMPS_TMP);
        so->d = ctx->diag;
        fd = open(so->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || (so->f = fdopen(fd, "w")) == NULL) {
                diag_set(ctx->diag, _("cannot create \"%s\": %s"), so->tmp, strerror(errno));
                if (fd >= 0)
                        close(fd);
                free(so->tmp);
                free(so);
                return STEP_FAILED;
        }
        o->seen = stamp_seen;
        o->hook_ud = so;
        o->live = true;
        return STEP_OK;
}

int
backup_stamps_end(struct step_ctx *ctx, struct backup_opts *o, const char *archive)
{
        struct stamps_out *so = o->hook_ud;
        char *to = xasprintf("%s%s", archive, STAMPS_SUFFIX);
        int r = STEP_OK;

        if (fflush(so->f) == EOF || fsync(fileno(so->f)) < 0 || rename(so->tmp, to) < 0 ||
            fsync_dir_of(to, ctx->diag) < 0) {
                if (!diag_isset(ctx->diag))
                        diag_set(ctx->diag, _("cannot write \"%s\": %s"), to, strerror(errno));
                r = STEP_FAILED;
        }
        free(to);
        return r;
}

void
backup_stamps_abort(struct backup_opts *o)
{
        struct stamps_out *so = o->hook_ud;

        if (so == NULL)
                return;
        if (so->f != NULL)
                fclose(so->f);
        unlink(so->tmp);                /* gone already when it was renamed */
        free(so->tmp);
        free(so);
        o->hook_ud = NULL;
}

/* ARCHIVE.stamps into member -> stamp text. Returns 0, or -1 when it is
 * missing or not whole. */
static int
stamps_load(const char *archive, struct kvlist *ret)
{
        char *path = xasprintf("%s%s", archive, STAMPS_SUFFIX), *buf = NULL;
        struct strv f = {0};
        size_t len = 0;
        int r = read_file_flags(path, O_NOFOLLOW, &buf, &len, NULL);

        free(path);
        if (r == 0)
                r = strv_split_nul(&f, buf, len);
        if (r == 0 && f.n % 2 != 0)
                r = -1;
        for (size_t i = 0; r == 0 && i < f.n; i += 2) {
                struct stamp s;

                if (stamp_parse(f.v[i], &s) < 0)
                        r = -1;
                else
                        kvlist_set(ret, f.v[i + 1], f.v[i]);
        }
        strv_release(&f);
        free(buf);
        return r < 0 ? -1 : 0;
}

/* The delta's walk: what it saw, and what it takes. */
struct delta_walk {
        struct kvlist *stamps;
        struct kvlist  seen;            /* member -> its type, as a number */
        size_t         changed, files;
};

static bool
delta_select(void *ud, const char *member, const struct stat *st)
{
        struct delta_walk *w = ud;
        const char *text = kvlist_get(w->stamps, member);
        char type[16];
        struct stamp was, now;

        snprintf(type, sizeof type, "%u", (unsigned)(st->st_mode & S_IFMT));
        kvlist_set(&w->seen, member, type);
        if (S_ISDIR(st->st_mode))
                return true;
        w->files++;
        stamp_of(st, 0, &now);
        if (text != NULL && stamp_parse(text, &was) == 0 && stamp_settled(&was) &&
            stamp_same(&was, &now))
                return false;
        w->changed++;
        return true;
}

/* The names the live backup holds that the delta's walk did not see as
 * the same kind of file. */
static void
delta_removed(const struct delta_walk *w, struct strbuf *ret, size_t *n)
{
        for (size_t i = 0; i < w->stamps->n; i++) {
                const char *member = w->stamps->v[i].key;
                const char *type = kvlist_get(&w->seen, member);
                struct stamp was;
                char want[16];

                if (stamp_parse(w->stamps->v[i].value, &was) < 0)
                        continue;
                snprintf(want, sizeof want, "%u", (unsigned)(was.mode & S_IFMT));
                if (type != NULL && strcmp(type, want) == 0)
                        continue;
                strbuf_add(ret, member, strlen(member) + 1);
                (*n)++;
        }
}

/* Write DELTA.removed (0600, synced); its SHA-256 into hex. */
static int
removed_write(struct step_ctx *ctx, const char *delta, const struct strbuf *names,
              char hex[SHA256_HEX_LEN + 1])
{
        char *path = xasprintf("%s%s", delta, REMOVED_SUFFIX);
        int r;

        sha256_buf(names->buf, names->len, hex);
        r = write_file_atomic(path, names->buf != NULL ? names->buf : "", names->len, 0600,
                              ctx->diag);
        free(path);
        return r < 0 ? STEP_FAILED : STEP_OK;
}

/* The delta already made and whole? */
static bool
delta_done(struct step_ctx *ctx)
{
        const char *path = step_fact(ctx, FACT_DELTA_PATH);
        const char *sum = step_fact(ctx, FACT_DELTA_SHA256);

        return step_fact(ctx, FACT_DELTA_VERIFIED) != NULL && path != NULL && sum != NULL &&
               archive_verify(path, sum, NULL, NULL, ctx->diag) == 0;
}

/* No usable live backup: archive everything now, as a cold backup. */
static int
delta_full(struct step_ctx *ctx, const char *why)
{
        const char *base = step_fact(ctx, FACT_BACKUP_PATH);

        step_say(ctx, OUT_WARN, _("%s: archiving all of the data again now that the service has stopped"),
                 why);
        if (base != NULL && unlink(base) < 0 && errno != ENOENT) {
                diag_set(ctx->diag, _("cannot remove \"%s\": %s"), base, strerror(errno));
                return STEP_FAILED;
        }
        return backup_archive_full(ctx, false);
}

static int
delta_write(struct step_ctx *ctx, struct kvlist *stamps)
{
        struct delta_walk w = { .stamps = stamps };
        struct backup_opts o = { .select = delta_select, .hook_ud = &w };
        struct backup_result res = {0};
        struct strv paths = {0};
        struct strbuf removed = {0};
        char hex[SHA256_HEX_LEN + 1];
        const char *facts[] = { FACT_DELTA_REMOVED_SHA256, hex, NULL };
        size_t nremoved = 0;
        int r = STEP_FAILED;

        backup_archive_options(ctx, &o);
        /* Inside the downtime, and small: zstd's fastest level unless the
         * plan or the answers give one (about twice as fast as the default
         * 3 on a WAL segment, for a few percent of its size). */
        if (o.level == 0 && (o.compression == NULL || strcmp(o.compression, "zstd") == 0))
                o.level = 1;
        if (backup_archive_drop_pending(ctx, &backup_kind_delta) < 0 ||
            backup_archive_paths(ctx, &paths) < 0)
                return STEP_FAILED;
        step_say(ctx, OUT_INFO, _("archiving what changed since the backup taken while the service ran"));
        if (backup_archive_write(ctx, &backup_kind_delta, &paths, &o, &res) < 0)
                goto out;
        delta_removed(&w, &removed, &nremoved);
        /* TRANSLATORS: files changed or new, files in all, files gone */
        step_say(ctx, OUT_INFO, _("%zu of %zu files changed or are new since the live backup; %zu are gone"),
                 w.changed, w.files, nremoved);
        if (removed_write(ctx, res.path, &removed, hex) < 0 ||
            backup_archive_check(ctx, &backup_kind_delta, &res, facts) < 0)
                goto out;
        r = STEP_OK;
out:
        strbuf_release(&removed);
        kvlist_release(&w.seen);
        backup_result_release(&res);
        strv_release(&paths);
        return r;
}

/* Is the cold backup in two parts (by the journal): the backup step's
 * archive, taken while the service ran, and the delta that completes it?
 * Else it is one archive, made once the service has stopped (a journal
 * from before live backups). */
static bool
cold_is_delta(struct step_ctx *ctx)
{
        const char *live = step_fact(ctx, FACT_BACKUP_LIVE);

        return live != NULL && strcmp(live, "yes") == 0;
}

bool
backup_cold_done(struct step_ctx *ctx)
{
        if (ctx->plan->backup.paths.n == 0 && step_fact(ctx, FACT_BACKUP_PENDING) == NULL)
                return true;            /* nothing to archive */
        return step_fact(ctx, cold_is_delta(ctx) ? FACT_DELTA_VERIFIED
                                                 : FACT_BACKUP_VERIFIED) != NULL;
}

int
backup_delta_make(struct step_ctx *ctx)
{
        const char *base = step_fact(ctx, FACT_BACKUP_PATH);
        struct kvlist stamps = {0};
        char *spath;
        int r;

        /* Verified in backup, and verified again before any restore: not
         * read here, inside the downtime. */
        if (!cold_is_delta(ctx) || base == NULL ||
            step_fact(ctx, FACT_BACKUP_VERIFIED) == NULL || access(base, R_OK) != 0)
                return backup_archive_make(ctx, false);   /* a cold backup from a journal before */
        if (delta_done(ctx)) {
                step_say(ctx, OUT_INFO, _("the backup %s is already completed by %s"), base,
                         step_fact(ctx, FACT_DELTA_PATH));
                return STEP_OK;
        }
        diag_clear(ctx->diag);
        if (stamps_load(base, &stamps) < 0) {
                kvlist_release(&stamps);
                return delta_full(ctx, _("the stamps of the live backup are missing or damaged"));
        }
        r = delta_write(ctx, &stamps);
        kvlist_release(&stamps);
        spath = xasprintf("%s%s", base, STAMPS_SUFFIX);
        if (r == STEP_OK && unlink(spath) < 0 && errno != ENOENT)
                step_say(ctx, OUT_WARN, _("cannot remove \"%s\": %s"), spath, strerror(errno));
        free(spath);
        return r;
}

int
backup_delta_load(struct step_ctx *ctx, struct restore_delta *ret, struct strv *removed)
{
        const char *path = step_fact(ctx, FACT_DELTA_PATH);
        const char *want = step_fact(ctx, FACT_DELTA_REMOVED_SHA256);
        char *rpath, *buf = NULL, hex[SHA256_HEX_LEN + 1];
        size_t len = 0;
        int r;

        *ret = (struct restore_delta){0};
        if (path == NULL)
                return STEP_OK;
        if (step_fact(ctx, FACT_DELTA_VERIFIED) == NULL || want == NULL) {
                diag_set(ctx->diag, _("the backup taken while the service ran was never completed by its delta: there is no verified backup to restore the data from"));
                return STEP_FAILED;
        }
        rpath = xasprintf("%s%s", path, REMOVED_SUFFIX);
        r = read_file_flags(rpath, O_NOFOLLOW, &buf, &len, ctx->diag);
        sha256_buf(buf, len, hex);
        if (r == 0 && strcmp(hex, want) != 0) {
                diag_set(ctx->diag, _("\"%s\" changed since the backup: SHA-256 is %s, expected %s"),
                         rpath, hex, want);
                r = -1;
        }
        if (r == 0 && strv_split_nul(removed, buf, len) < 0) {
                diag_set(ctx->diag, _("\"%s\" is not a list of names each ended by a NUL byte"),
                         rpath);
                r = -1;
        }
        free(rpath);
        free(buf);
        if (r < 0)
                return STEP_FAILED;
        ret->archive = path;
        ret->removed = removed->v;
        ret->nremoved = removed->n;
        return STEP_OK;
}
