/* journal.c: the journal file: open, append, replay and repair (see
 * journal.h). The line format is in journal_codec.c.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/fault.h"
#include "lib/i18n.h"
#include "lib/journal.h"

struct journal {
        int                 fd;
        char               *dir;
        char               *path;
        unsigned long long  next_seq;
        off_t               end;        /* size of the clean journal */
        bool                broken;     /* a failed write could not be undone */
};

void
journal_records_free(struct jrec *v, size_t n)
{
        if (v == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                jrec_release(&v[i]);
        free(v);
}

/* Read path (not following a symlink). A missing journal is -ENOENT with
 * no message: the caller treats it as empty. */
static int
read_journal(const char *path, char **ret_buf, size_t *ret_len, struct diag *d)
{
        struct diag local = {0};
        int r = read_file_flags(path, O_NOFOLLOW, ret_buf, ret_len, &local);

        if (r < 0 && r != -ENOENT)
                diag_set(d, _("cannot read journal \"%s\": %s"), path, strerror(-r));
        return r;
}

/* Check the first record. 0 good; 1 not a header; -EPROTONOSUPPORT. */
static int
check_header(const struct jrec *h, const char *path, struct diag *d)
{
        const char *ev = jrec_get(h, "ev");
        const char *f = jrec_get(h, "format");
        unsigned long format;
        char *end;

        if (ev == NULL || strcmp(ev, "journal") != 0 || f == NULL ||
            !isdigit((unsigned char)f[0]))
                return 1;
        errno = 0;
        format = strtoul(f, &end, 10);
        if (*end != '\0' || errno != 0 || format == 0)
                return 1;
        if (format > JOURNAL_FORMAT) {
                /* TRANSLATORS: "journal "PATH" has format 2, newer than this
                 * upshift understands (1): use a newer upshift". */
                diag_set(d, _("journal \"%s\" has format %lu, newer than this upshift understands (%d): use a newer upshift"),
                         path, format, JOURNAL_FORMAT);
                return -EPROTONOSUPPORT;
        }
        return 0;
}

/* Copy the damaged tail to DIR/journal.damaged-<time>[-N]; new path in *ret. */
static int
keep_tail(const char *dir, const char *buf, size_t len, char **ret, struct diag *d)
{
        long long t = (long long)time(NULL);
        char *path = NULL;
        int fd = -1;
        int r;

        for (int i = 0; i < 1000 && fd < 0; i++) {
                free(path);
                path = i == 0 ? xasprintf("%s/journal.damaged-%lld", dir, t)
                              : xasprintf("%s/journal.damaged-%lld-%d", dir, t, i);
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && errno != EEXIST)
                        break;
        }
        if (fd < 0) {
                r = -errno;
                diag_set(d, _("cannot keep the damaged end of the journal in \"%s\": %s"),
                         path, strerror(errno));
                free(path);
                return r;
        }
        r = write_all(fd, buf, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r < 0) {
                diag_set(d, _("cannot keep the damaged end of the journal in \"%s\": %s"),
                         path, strerror(-r));
                unlink(path);
                free(path);
                return r;
        }
        *ret = path;
        return 0;
}

static int
truncate_journal(const char *dir, const char *path, size_t len, struct diag *d)
{
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        int r = 0;

        if (fd < 0 || ftruncate(fd, (off_t)len) < 0 || fsync(fd) < 0) {
                r = -errno;
                diag_set(d, _("cannot cut the damaged end off journal \"%s\": %s"),
                         path, strerror(errno));
        }
        if (fd >= 0)
                close(fd);
        return r < 0 ? r : fsync_dir(dir, d);
}

int
journal_replay(const char *dir, bool repair, struct jrec **ret, size_t *ret_n,
               struct journal_damage *ret_damage, struct diag *d)
{
        struct journal_damage dmg = {0};
        struct jrec *v = NULL;
        size_t n = 0, alloc = 0, off = 0, len = 0;
        char *path = path_join(dir, "journal");
        char *buf = NULL;
        int r;

        r = read_journal(path, &buf, &len, d);
        if (r == -ENOENT) {
                r = 0;
                len = 0;
        }
        if (r < 0)
                goto out;
        while (off < len) {
                const char *nl = memchr(buf + off, '\n', len - off);
                struct jrec rec = {0};

                if (nl == NULL || journal_decode(buf + off, (size_t)(nl - buf) - off,
                                                 &rec, NULL) < 0) {
                        dmg.damaged = true;
                        break;
                }
                if (n == 0) {
                        r = check_header(&rec, path, d);
                        if (r < 0) {
                                jrec_release(&rec);
                                goto out;
                        }
                        if (r > 0) {
                                jrec_release(&rec);
                                r = 0;
                                dmg.damaged = true;
                                break;
                        }
                }
                xgrow((void **)&v, &alloc, n + 1, sizeof *v);
                v[n++] = rec;
                off = (size_t)(nl - buf) + 1;
        }
        dmg.good_records = n;
        if (dmg.damaged) {
                dmg.bad_offset = off;
                if (repair) {
                        r = keep_tail(dir, buf + off, len - off, &dmg.kept_copy, d);
                        if (r == 0)
                                r = truncate_journal(dir, path, off, d);
                        if (r < 0)
                                goto out;
                }
        }
        *ret = v;
        *ret_n = n;
        v = NULL;
        if (ret_damage != NULL)
                *ret_damage = dmg;
        else
                free(dmg.kept_copy);
        dmg.kept_copy = NULL;
out:
        free(dmg.kept_copy);
        journal_records_free(v, n);
        free(buf);
        free(path);
        return r;
}

/* r's line with seq and time in front, newline included (*ret_len counts
 * it); new string. */
static char *
journal_line(const struct jrec *r, const char *seq, const char *when, size_t *ret_len)
{
        struct jrec tmp = {0};
        char *line;
        size_t len;

        /* A shallow list: seq, time, then r's keys; its strings are not ours. */
        tmp.kv.v = xcalloc(r->kv.n + 2, sizeof *tmp.kv.v);
        tmp.kv.v[0] = (struct kv){ .key = (char *)"seq", .value = (char *)seq };
        tmp.kv.v[1] = (struct kv){ .key = (char *)"time", .value = (char *)when };
        tmp.kv.n = 2;
        for (size_t i = 0; i < r->kv.n; i++)
                if (strcmp(r->kv.v[i].key, "seq") != 0 && strcmp(r->kv.v[i].key, "time") != 0)
                        tmp.kv.v[tmp.kv.n++] = r->kv.v[i];
        line = journal_encode(&tmp);
        free(tmp.kv.v);
        len = strlen(line);
        line = xrealloc(line, len + 2);
        line[len++] = '\n';
        line[len] = '\0';
        *ret_len = len;
        return line;
}

/* Write the n records of rs with seq and time in front, in one write and
 * one fdatasync. On success each record holds what was written (seq, time,
 * then its other keys). On failure none counts as written: whatever part
 * reached the file is cut off again. */
static int
journal_write(struct journal *j, struct jrec *rs, size_t n, struct diag *d)
{
        char when[32], seq[32];
        struct strbuf buf = {0};
        size_t cut = 0;
        int e;

        if (j->broken) {
                diag_set(d, _("cannot write journal \"%s\": an earlier write failed and could not be undone"),
                         j->path);
                return -EIO;
        }
        time_iso8601(when, sizeof when, time(NULL));
        for (size_t i = 0; i < n; i++) {
                size_t len;
                char *line;

                snprintf(seq, sizeof seq, "%llu", j->next_seq + i);
                line = journal_line(&rs[i], seq, when, &len);
                strbuf_add(&buf, line, len);
                free(line);
                if (fault_crash_after((unsigned long)(j->next_seq + i))) {
                        cut = buf.len;
                        break;
                }
        }
        e = write_all(j->fd, buf.buf, cut ? cut : buf.len);
        if (e == 0 && fdatasync(j->fd) < 0)
                e = -errno;
        if (e == 0 && cut)
                fault_crash();  /* killed right after that record (tests only) */
        if (e < 0) {
                diag_set(d, _("cannot write journal \"%s\": %s"), j->path, strerror(-e));
                /* The records count as not written: cut off whatever part of
                 * them reached the file so the journal ends cleanly. */
                if (ftruncate(j->fd, j->end) < 0 || fdatasync(j->fd) < 0)
                        j->broken = true;
                strbuf_release(&buf);
                return e;
        }
        j->end += (off_t)buf.len;
        strbuf_release(&buf);
        for (size_t i = 0; i < n; i++) {
                snprintf(seq, sizeof seq, "%llu", j->next_seq);
                j->next_seq++;
                /* Put seq and time into the record, in front. */
                kvlist_set(&rs[i].kv, "seq", seq);
                kvlist_set(&rs[i].kv, "time", when);
                kvlist_move(&rs[i].kv, "seq", 0);
                kvlist_move(&rs[i].kv, "time", 1);
        }
        return 0;
}

int
journal_append(struct journal *j, struct jrec *r, struct diag *d)
{
        return journal_write(j, r, 1, d);
}

int
journal_append_many(struct journal *j, struct jrec *rs, size_t n, struct diag *d)
{
        if (n == 0)
                return 0;
        return journal_write(j, rs, n, d);
}

void
journal_close(struct journal *j)
{
        if (j == NULL)
                return;
        if (j->fd >= 0)
                close(j->fd);
        free(j->dir);
        free(j->path);
        free(j);
}

/* Seq number after the last of the records read back. */
static unsigned long long
seq_after(const struct jrec *v, size_t n)
{
        const char *s = jrec_get(&v[n - 1], "seq");
        char *end;
        unsigned long long seq;

        if (s == NULL || !isdigit((unsigned char)s[0]))
                return n;
        seq = strtoull(s, &end, 10);
        return *end == '\0' ? seq + 1 : n;
}

int
journal_open(const char *dir, const char *plan_id, struct journal **ret,
             struct diag *d)
{
        struct journal *j = xcalloc(1, sizeof *j);
        struct stat st;
        int r = 0;

        j->dir = xstrdup(dir);
        j->path = path_join(dir, "journal");
        j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (j->fd < 0 || fstat(j->fd, &st) < 0) {
                r = -errno;
                diag_set(d, _("cannot open journal \"%s\": %s"), j->path, strerror(errno));
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = -EINVAL;
                diag_set(d, _("cannot open journal \"%s\": not a regular file"), j->path);
                goto fail;
        }
        if (st.st_size == 0) {
                struct jrec h = {0};

                jrec_set(&h, "ev", "journal");
                jrec_setf(&h, "format", "%d", JOURNAL_FORMAT);
                jrec_set(&h, "plan", plan_id ? plan_id : "");
                r = journal_write(j, &h, 1, d);
                jrec_release(&h);
                if (r == 0)
                        r = fsync_dir(dir, d);
        } else {
                struct journal_damage dmg;
                struct jrec *v;
                size_t n;

                r = journal_replay(dir, false, &v, &n, &dmg, d);
                if (r == 0 && dmg.damaged) {
                        /* TRANSLATORS: "cannot append to journal "PATH": it is
                         * damaged at byte 123, after 4 good records". */
                        diag_set(d, _("cannot append to journal \"%s\": it is damaged at byte %zu, after %zu good records"),
                                 j->path, dmg.bad_offset, dmg.good_records);
                        r = -EBADMSG;
                } else if (r == 0) {
                        j->next_seq = seq_after(v, n);
                        j->end = st.st_size;
                }
                if (r == 0 || r == -EBADMSG)
                        journal_records_free(v, n);
        }
        if (r < 0)
                goto fail;
        *ret = j;
        return 0;
fail:
        journal_close(j);
        return r;
}
