/* test-journal.c: the journal's line format, appends, replay and repair. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "lib/journal.h"
#include "testlib.h"

/* ---- helpers ---- */

static void
spew(const char *path, const char *buf, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write_all(fd, buf, len), 0);
        close(fd);
}

/* A line "<crc> TEXT" with a correct checksum. */
static char *
line_with_crc(const char *text)
{
        return xasprintf("%08lx %s",
                         crc32(0L, (const Bytef *)text, (uInt)strlen(text)), text);
}

/* Write a journal with a header and n-1 records; returns its path. */
static char *
make_journal(const char *dir, int n)
{
        struct journal *j;
        struct diag d = {0};

        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        for (int i = 1; i < n; i++) {
                struct jrec r = {0};

                jrec_set(&r, "ev", "step_start");
                jrec_setf(&r, "step", "step %d: \"x\"", i);
                assert_int_equal(journal_append(j, &r, &d), 0);
                jrec_release(&r);
        }
        journal_close(j);
        return path_join(dir, "journal");
}

static size_t
line_start(const char *buf, int line)
{
        size_t off = 0;

        for (int i = 0; i < line; i++) {
                while (buf[off] != '\n')
                        off++;
                off++;
        }
        return off;
}

static void
replay_ok(const char *dir, size_t want_n)
{
        struct journal_damage dmg;
        struct diag d = {0};
        struct jrec *v;
        size_t n;

        assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
        assert_false(dmg.damaged);
        assert_int_equal(n, want_n);
        for (size_t i = 0; i < n; i++) {
                char want[32];

                snprintf(want, sizeof want, "%zu", i);
                assert_string_equal(jrec_get(&v[i], "seq"), want);
        }
        journal_records_free(v, n);
}

/* ---- encoding ---- */

static const char *const tricky[] = {
        "", "plain", "null", "NULL", "Null", "~", "yes", "no", "on", "off",
        "true", "False", "y", "n", "42", "-5", "-", "- x", "+1", ".5", ".inf",
        "a:b", "a: b", ":", "a, b", ",", "{x}", "}", "[1]", "]", "?", "? x",
        "say \"hi\"", "\"", "back\\slash", "\\", "\\x41", "\\n", "line\nbreak",
        "crlf\r\n", "\ttab", " leading", "trailing ", "  ", "#hash", "a #b",
        "&anchor", "*alias", "!tag", "%pct", "@at", "`tick", "|pipe", ">gt",
        "'single'", "'", "=", "2026-11-22T03:04:05Z", "/var/lib/upshift/pg",
        "caf\xc3\xa9 \xc3\xbc \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89",
        "\x01\x02\x1b\x7f", "nel\xc2\x85", "c1\xc2\x80\xc2\x9f", "nbsp\xc2\xa0",
        "ls\xe2\x80\xa8ps\xe2\x80\xa9", "\xef\xbb\xbf" "bom",
        "\xef\xbf\xbe\xef\xbf\xbf", "\xff", "\xfe\xff", "\xc3", "\xc3\xa9\xff",
        "\xc3\xbf", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong",
        "\xf4\x90\x80\x80 too big", "\xf0\x9f\x8e\x89\xff\xf0\x9f\x8e\x89",
        "---", "...", "a\\\"b\\", "%YAML", "<<",
};

static void
test_roundtrip(void **state)
{
        for (size_t i = 0; i < ARRAY_SIZE(tricky); i++) {
                struct jrec r = {0}, back = {0};
                struct diag d = {0};
                char *line;

                jrec_set(&r, "emoji", "\xf0\x9f\x8e\x89\xf0\x9f\x8e\x89 x");
                jrec_set(&r, "v", tricky[i]);
                jrec_set(&r, "k2", tricky[ARRAY_SIZE(tricky) - 1 - i]);
                line = journal_encode(&r);
                assert_null(strchr(line, '\n'));
                if (journal_decode(line, strlen(line), &back, &d) != 0)
                        fail_msg("value %zu (%s): %s: %s", i, tricky[i], line, d.msg);
                assert_int_equal(back.kv.n, 3);
                assert_string_equal(back.kv.v[0].key, "emoji");
                assert_string_equal(back.kv.v[1].key, "v");
                assert_string_equal(back.kv.v[2].key, "k2");
                assert_string_equal(jrec_get(&back, "emoji"), jrec_get(&r, "emoji"));
                if (strcmp(jrec_get(&back, "v"), tricky[i]) != 0)
                        fail_msg("value %zu did not round-trip: %s", i, line);
                assert_string_equal(jrec_get(&back, "k2"),
                                    tricky[ARRAY_SIZE(tricky) - 1 - i]);
                free(line);
                jrec_release(&r);
                jrec_release(&back);
        }
}

static void
test_encode_shape(void **state)
{
        struct jrec r = {0};
        char *line, *want;

        jrec_set(&r, "seq", "3");
        jrec_set(&r, "time", "2026-11-22T03:04:05Z");
        jrec_set(&r, "ev", "step_start");
        jrec_set(&r, "step", "backup");
        jrec_set(&r, "nv", "null");
        jrec_set(&r, "y", "on");
        jrec_set(&r, "e", "");
        jrec_set(&r, "q", "a\"b\\c\nd\te\x01");
        jrec_setf(&r, "f", "%d-%s", 7, "x");
        line = journal_encode(&r);
        want = line_with_crc("{seq: 3, time: \"2026-11-22T03:04:05Z\", ev: step_start, "
                             "step: backup, nv: \"null\", \"y\": \"on\", e: \"\", "
                             "q: \"a\\\"b\\\\c\\nd\\te\\u0001\", f: 7-x}");
        assert_string_equal(line, want);
        assert_string_equal(jrec_get(&r, "f"), "7-x");
        assert_null(jrec_get(&r, "missing"));
        free(line);
        free(want);
        jrec_release(&r);
}

static void
test_decode_rejects(void **state)
{
        static const char *const bad[] = {
                "{a: {b: c}}", "{a: [1, 2]}", "[a, b]", "a: b", "{a: b} {c: d}",
                "{a: &x b}", "{a: *x}", "{a: !!str b}", "plain", "\"s\"", "",
                "{a: b, a: c}", "--- {a: b}", "{a: \"\\0\"}", "{a: \"\\q\"}",
                "{a: \xff}", "{a: b", "{a: b}}", "!!map {a: b}",
        };
        struct jrec r = {0};
        struct diag d = {0};
        char *ok = line_with_crc("{a: b}");
        char *line;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                line = line_with_crc(bad[i]);
                diag_clear(&d);
                if (journal_decode(line, strlen(line), &r, &d) != -EBADMSG)
                        fail_msg("accepted %s", bad[i]);
                assert_true(str_startswith(d.msg, "bad journal record: "));
                free(line);
        }
        assert_int_equal(r.kv.n, 0);    /* untouched on failure */

        /* checksum and framing */
        line = xstrdup(ok);
        line[12] = 'c';
        assert_int_equal(journal_decode(line, strlen(line), &r, &d), -EBADMSG);
        assert_non_null(strstr(d.msg, "does not match"));
        free(line);
        /* upper-case hex is not what we write */
        line = xasprintf("%08lX {x: yz}", crc32(0L, (const Bytef *)"{x: yz}", 7));
        assert_true(strpbrk(line, "ABCDEF") != NULL && strpbrk(line, "ABCDEF") < line + 8);
        assert_int_equal(journal_decode(line, strlen(line), &r, &d), -EBADMSG);
        free(line);
        assert_int_equal(journal_decode(ok + 1, strlen(ok) - 1, &r, &d), -EBADMSG);
        assert_int_equal(journal_decode("12345678{a: b}", 14, &r, &d), -EBADMSG);
        assert_int_equal(journal_decode(ok, strlen(ok) - 1, &r, &d), -EBADMSG);

        assert_int_equal(journal_decode(ok, strlen(ok), &r, &d), 0);
        assert_string_equal(jrec_get(&r, "a"), "b");
        jrec_release(&r);
        free(ok);
}

/* ---- the file ---- */

static void
test_header_once_and_seq(void **state)
{
        const char *dir = *state;
        struct diag d = {0};
        struct journal *j;
        struct jrec *v;
        size_t n;
        char *path = path_join(dir, "journal");
        struct stat st;
        mode_t old = umask(0);

        for (int round = 0; round < 2; round++) {
                assert_int_equal(journal_open(dir, "pg-14-to-16", &j, &d), 0);
                for (int i = 0; i < 3; i++) {
                        struct jrec r = {0};
                        char want[32];

                        jrec_set(&r, "ev", "step_end");
                        jrec_set(&r, "seq", "999");     /* replaced */
                        jrec_setf(&r, "i", "%d", i);
                        assert_int_equal(journal_append(j, &r, &d), 0);
                        /* r now holds what was written: seq, time first */
                        snprintf(want, sizeof want, "%d", round * 3 + i + 1);
                        assert_string_equal(r.kv.v[0].key, "seq");
                        assert_string_equal(r.kv.v[0].value, want);
                        assert_string_equal(r.kv.v[1].key, "time");
                        assert_string_equal(r.kv.v[2].key, "ev");
                        assert_string_equal(r.kv.v[3].key, "i");
                        jrec_release(&r);
                }
                journal_close(j);
        }
        umask(old);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        assert_int_equal(journal_replay(dir, false, &v, &n, NULL, &d), 0);
        assert_int_equal(n, 7);
        assert_string_equal(v[0].kv.v[0].key, "seq");
        assert_string_equal(jrec_get(&v[0], "seq"), "0");
        assert_string_equal(jrec_get(&v[0], "ev"), "journal");
        assert_string_equal(jrec_get(&v[0], "format"), "1");
        assert_string_equal(jrec_get(&v[0], "plan"), "pg-14-to-16");
        for (size_t i = 0; i < n; i++) {
                char want[32];
                const char *t = jrec_get(&v[i], "time");

                snprintf(want, sizeof want, "%zu", i);
                assert_string_equal(jrec_get(&v[i], "seq"), want);
                assert_string_equal(v[i].kv.v[1].key, "time");
                assert_int_equal(strlen(t), 20);
                assert_int_equal(t[19], 'Z');
                if (i > 0) {
                        assert_string_equal(jrec_get(&v[i], "ev"), "step_end");
                        snprintf(want, sizeof want, "%zu", (i - 1) % 3);
                        assert_string_equal(jrec_get(&v[i], "i"), want);
                }
        }
        journal_records_free(v, n);
        free(path);
}

static void
test_missing_and_empty(void **state)
{
        const char *dir = *state;
        struct journal_damage dmg = { .damaged = true, .good_records = 9 };
        struct diag d = {0};
        struct jrec *v = (struct jrec *)&dmg;
        size_t n = 9;
        char *path = path_join(dir, "journal");
        char *missing = path_join(dir, "nope");
        struct journal *j;

        assert_int_equal(journal_replay(dir, true, &v, &n, &dmg, &d), 0);
        assert_int_equal(n, 0);
        assert_false(dmg.damaged);
        assert_int_equal(dmg.good_records, 0);
        assert_null(dmg.kept_copy);
        assert_false(path_exists(path));
        journal_records_free(v, n);

        spew(path, "", 0);
        assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
        assert_int_equal(n, 0);
        assert_false(dmg.damaged);
        journal_records_free(v, n);
        /* an empty journal gets its header on open */
        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        journal_close(j);
        replay_ok(dir, 1);

        assert_int_equal(journal_open(missing, "pg", &j, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "cannot open journal \""));
        assert_non_null(strstr(d.msg, "No such file or directory"));
        free(missing);
        free(path);
}

static void
test_symlink_refused(void **state)
{
        const char *dir = *state;
        char *path = path_join(dir, "journal");
        char *target = path_join(dir, "elsewhere");
        struct diag d = {0};
        struct journal *j;

        assert_int_equal(symlink(target, path), 0);
        assert_int_equal(journal_open(dir, "pg", &j, &d), -ELOOP);
        assert_false(path_exists(target));
        free(path);
        free(target);
}

static void
test_crc_mismatch_repair(void **state)
{
        const char *dir = *state;
        char *path = make_journal(dir, 5);
        struct journal_damage dmg;
        struct diag d = {0};
        struct jrec *v;
        struct journal *j;
        struct stat st;
        size_t n, len, off, klen;
        char *orig = t_slurp(path, &len);
        char *buf = xstrdup(orig);
        char *kept, *prefix;

        off = line_start(buf, 3);
        buf[off + 20] ^= 0x01;          /* inside record seq 3's mapping */
        spew(path, buf, len);

        /* without repair: report only */
        assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
        assert_true(dmg.damaged);
        assert_int_equal(dmg.good_records, 3);
        assert_int_equal(n, 3);
        assert_int_equal(dmg.bad_offset, off);
        assert_null(dmg.kept_copy);
        assert_string_equal(jrec_get(&v[2], "seq"), "2");
        journal_records_free(v, n);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal((size_t)st.st_size, len);

        /* journal_open refuses a damaged journal */
        assert_int_equal(journal_open(dir, "pg", &j, &d), -EBADMSG);
        assert_non_null(strstr(d.msg, "is damaged at byte"));
        assert_non_null(strstr(d.msg, path));

        /* with repair: the tail is kept, the journal cut to its good prefix */
        assert_int_equal(journal_replay(dir, true, &v, &n, &dmg, &d), 0);
        assert_true(dmg.damaged);
        assert_int_equal(dmg.good_records, 3);
        assert_int_equal(dmg.bad_offset, off);
        assert_non_null(dmg.kept_copy);
        prefix = xasprintf("%s/journal.damaged-", dir);
        assert_true(str_startswith(dmg.kept_copy, prefix));
        kept = t_slurp(dmg.kept_copy, &klen);
        assert_int_equal(klen, len - off);
        assert_memory_equal(kept, buf + off, klen);
        assert_int_equal(stat(dmg.kept_copy, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal((size_t)st.st_size, off);
        journal_records_free(v, n);
        free(kept);

        /* appends go on from the clean end with the right seq */
        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        {
                struct jrec r = {0};

                jrec_set(&r, "ev", "resumed");
                assert_int_equal(journal_append(j, &r, &d), 0);
                assert_string_equal(jrec_get(&r, "seq"), "3");
                jrec_release(&r);
        }
        journal_close(j);
        replay_ok(dir, 4);

        /* damage again within the same second: a second copy, not overwritten */
        {
                char *again = t_slurp(path, &len);
                char *first = dmg.kept_copy;

                again[len - 1] = 'x';   /* the last newline: torn */
                spew(path, again, len);
                assert_int_equal(journal_replay(dir, true, &v, &n, &dmg, &d), 0);
                assert_true(dmg.damaged);
                assert_int_equal(n, 3);
                assert_non_null(dmg.kept_copy);
                assert_string_not_equal(dmg.kept_copy, first);
                assert_true(path_exists(first));
                journal_records_free(v, n);
                free(first);
                free(dmg.kept_copy);
                free(again);
        }
        replay_ok(dir, 3);

        free(prefix);
        free(buf);
        free(orig);
        free(path);
}

static void
test_torn_tail(void **state)
{
        const char *dir = *state;
        char *path = make_journal(dir, 4);
        struct journal_damage dmg;
        struct diag d = {0};
        struct journal *j;
        struct jrec *v;
        size_t n, len, last;
        char *buf = t_slurp(path, &len);

        last = line_start(buf, 3);
        assert_true(last < len);
        for (size_t cut = last; cut < len; cut++) {
                spew(path, buf, cut);
                assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
                assert_int_equal(n, 3);
                assert_int_equal(dmg.good_records, 3);
                assert_string_equal(jrec_get(&v[2], "seq"), "2");
                if (cut == last) {
                        assert_false(dmg.damaged);
                } else {
                        assert_true(dmg.damaged);
                        assert_int_equal(dmg.bad_offset, last);
                }
                journal_records_free(v, n);
        }

        /* a torn header: nothing good at all */
        spew(path, buf, 10);
        assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
        assert_int_equal(n, 0);
        assert_true(dmg.damaged);
        assert_int_equal(dmg.bad_offset, 0);
        journal_records_free(v, n);

        /* repair the torn last record, then append */
        spew(path, buf, len - 1);
        assert_int_equal(journal_replay(dir, true, &v, &n, &dmg, &d), 0);
        assert_int_equal(n, 3);
        journal_records_free(v, n);
        free(dmg.kept_copy);
        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        {
                struct jrec r = {0};

                jrec_set(&r, "ev", "again");
                assert_int_equal(journal_append(j, &r, &d), 0);
                jrec_release(&r);
        }
        journal_close(j);
        replay_ok(dir, 4);
        free(buf);
        free(path);
}

static void
test_first_record_not_header(void **state)
{
        const char *dir = *state;
        char *path = path_join(dir, "journal");
        char *l1 = line_with_crc("{seq: 0, ev: step_start, format: 1}");
        char *l2 = line_with_crc("{seq: 0, ev: journal, format: x}");
        char *buf = xasprintf("%s\n", l1);
        struct journal_damage dmg;
        struct diag d = {0};
        struct jrec *v;
        size_t n;

        spew(path, buf, strlen(buf));
        assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
        assert_int_equal(n, 0);
        assert_true(dmg.damaged);
        assert_int_equal(dmg.bad_offset, 0);
        free(buf);
        buf = xasprintf("%s\n", l2);
        spew(path, buf, strlen(buf));
        assert_int_equal(journal_replay(dir, false, &v, &n, &dmg, &d), 0);
        assert_true(dmg.damaged);
        assert_int_equal(n, 0);
        free(buf);
        free(l1);
        free(l2);
        free(path);
}

static void
test_newer_format(void **state)
{
        const char *dir = *state;
        char *path = path_join(dir, "journal");
        char *l1 = line_with_crc("{seq: 0, time: \"2026-11-22T03:04:05Z\", ev: journal, format: 2, plan: pg}");
        char *l2 = line_with_crc("{seq: 1, ev: new_thing}");
        char *buf = xasprintf("%s\n%s", l1, l2);        /* torn second line */
        char *want = xasprintf("journal \"%s\" has format 2, newer than this upshift understands (1): use a newer upshift",
                               path);
        struct journal_damage dmg;
        struct diag d = {0};
        struct journal *j;
        struct jrec *v = NULL;
        size_t n = 77, len;
        char *after;

        spew(path, buf, strlen(buf));
        assert_int_equal(journal_replay(dir, true, &v, &n, &dmg, &d), -EPROTONOSUPPORT);
        assert_string_equal(d.msg, want);
        assert_null(v);
        assert_int_equal(n, 77);
        diag_clear(&d);
        assert_int_equal(journal_open(dir, "pg", &j, &d), -EPROTONOSUPPORT);
        assert_string_equal(d.msg, want);
        after = t_slurp(path, &len);
        assert_string_equal(after, buf);        /* left alone */
        free(after);
        free(want);
        free(buf);
        free(l1);
        free(l2);
        free(path);
}

/* journal_append_many() of rs[n] with the file allowed to grow by room
 * bytes only (a full disk, in effect). */
static int
append_with_room(struct journal *j, struct jrec *rs, size_t n, off_t size, off_t room,
                 struct diag *d)
{
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_sa;
        struct rlimit old_rl, rl;
        int e;

        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_rl), 0);
        sigaction(SIGXFSZ, &ign, &old_sa);
        rl = old_rl;
        rl.rlim_cur = (rlim_t)(size + room);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
        e = n == 1 ? journal_append(j, rs, d) : journal_append_many(j, rs, n, d);
        setrlimit(RLIMIT_FSIZE, &old_rl);
        sigaction(SIGXFSZ, &old_sa, NULL);
        return e;
}

static void
test_append_failure_leaves_clean_end(void **state)
{
        const char *dir = *state;
        char *path = make_journal(dir, 2);
        struct diag d = {0};
        struct journal *j;
        struct jrec r = {0};
        struct stat st;
        char big[300];
        int e;

        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        assert_int_equal(stat(path, &st), 0);
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        jrec_set(&r, "ev", "big");
        jrec_set(&r, "data", big);

        /* Only 40 more bytes may be written: the record is cut short. */
        e = append_with_room(j, &r, 1, st.st_size, 40, &d);

        assert_int_equal(e, -EFBIG);
        assert_true(str_startswith(d.msg, "cannot write journal \""));
        assert_non_null(strstr(d.msg, path));
        assert_null(jrec_get(&r, "seq"));       /* r untouched */
        {
                struct stat after;

                assert_int_equal(stat(path, &after), 0);
                assert_int_equal(after.st_size, st.st_size);
        }
        replay_ok(dir, 2);

        /* the seq was not used up */
        assert_int_equal(journal_append(j, &r, &d), 0);
        assert_string_equal(jrec_get(&r, "seq"), "2");
        journal_close(j);
        replay_ok(dir, 3);
        jrec_release(&r);
        free(path);
}

/* Group commit: a batch is written in order with consecutive seqs, each
 * record gets its seq and time, and replay reads them back one by one. */
static void
test_append_many(void **state)
{
        const char *dir = *state;
        struct journal *j;
        struct diag d = {0};
        struct jrec rs[3] = {{{0}}}, *v;
        size_t n;

        free(make_journal(dir, 2));
        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        for (int i = 0; i < 3; i++) {
                jrec_set(&rs[i], "ev", "fact");
                jrec_setf(&rs[i], "key", "swap.old.%d.sha256", i);
                jrec_set(&rs[i], "value", i == 1 ? "a \"quoted\"\nline" : "x");
        }
        assert_int_equal(journal_append_many(j, rs, 3, &d), 0);
        for (int i = 0; i < 3; i++) {
                char want[8];

                snprintf(want, sizeof want, "%d", 2 + i);
                assert_string_equal(jrec_get(&rs[i], "seq"), want);
                assert_non_null(jrec_get(&rs[i], "time"));
                jrec_release(&rs[i]);
        }
        /* an empty batch writes nothing; the next record follows on */
        assert_int_equal(journal_append_many(j, rs, 0, &d), 0);
        jrec_set(&rs[0], "ev", "step_done");
        assert_int_equal(journal_append(j, &rs[0], &d), 0);
        assert_string_equal(jrec_get(&rs[0], "seq"), "5");
        jrec_release(&rs[0]);
        journal_close(j);

        assert_int_equal(journal_replay(dir, false, &v, &n, NULL, &d), 0);
        assert_int_equal(n, 6);
        assert_string_equal(jrec_get(&v[2], "key"), "swap.old.0.sha256");
        assert_string_equal(jrec_get(&v[3], "value"), "a \"quoted\"\nline");
        assert_string_equal(jrec_get(&v[4], "seq"), "4");
        assert_string_equal(jrec_get(&v[5], "ev"), "step_done");
        journal_records_free(v, n);
}

/* A batch that cannot be written whole is not written at all: the file
 * ends where it ended, no seq is used up, and the records are untouched. */
static void
test_append_many_failure(void **state)
{
        const char *dir = *state;
        char *path = make_journal(dir, 2);
        struct diag d = {0};
        struct journal *j;
        struct jrec rs[4] = {{{0}}};
        struct stat st, after;
        int e;

        assert_int_equal(journal_open(dir, "pg", &j, &d), 0);
        assert_int_equal(stat(path, &st), 0);
        for (int i = 0; i < 4; i++) {
                jrec_set(&rs[i], "ev", "fact");
                jrec_setf(&rs[i], "key", "staged.%d.sha256", i);
                jrec_set(&rs[i], "value", "0123456789abcdef0123456789abcdef");
        }
        /* Room for about one record and a half. */
        e = append_with_room(j, rs, 4, st.st_size, 150, &d);

        assert_int_equal(e, -EFBIG);
        assert_true(str_startswith(d.msg, "cannot write journal \""));
        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(after.st_size, st.st_size);
        for (int i = 0; i < 4; i++)
                assert_null(jrec_get(&rs[i], "seq"));
        replay_ok(dir, 2);
        assert_int_equal(journal_append_many(j, rs, 4, &d), 0);
        assert_string_equal(jrec_get(&rs[0], "seq"), "2");
        assert_string_equal(jrec_get(&rs[3], "seq"), "5");
        journal_close(j);
        replay_ok(dir, 6);
        for (int i = 0; i < 4; i++)
                jrec_release(&rs[i]);
        free(path);
}

/* A key longer than 200 bytes is refused: escaped, it could pass YAML's
 * 1,024-character limit on a key and not be written back (found by the
 * journal fuzz target). */
static void
test_decode_long_key(void **state)
{
        struct jrec r = {0}, back = {0};
        struct diag d = {0};
        char key[202], *line;

        (void)state;
        memset(key, 'k', sizeof key - 1);
        key[sizeof key - 1] = '\0';
        kvlist_set(&r.kv, key, "v");
        line = journal_encode(&r);
        assert_true(journal_decode(line, strlen(line), &back, &d) < 0);
        assert_non_null(strstr(d.msg, "longer than 200 bytes"));
        free(line);
        jrec_release(&r);
        jrec_release(&back);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_encode_shape),
                cmocka_unit_test(test_decode_rejects),
                cmocka_unit_test(test_decode_long_key),
#define T(f) cmocka_unit_test_setup_teardown(f, t_setup_dir, t_teardown_dir)
                T(test_header_once_and_seq),
                T(test_missing_and_empty),
                T(test_symlink_refused),
                T(test_crc_mismatch_repair),
                T(test_torn_tail),
                T(test_first_record_not_header),
                T(test_newer_format),
                T(test_append_failure_leaves_clean_end),
                T(test_append_many),
                T(test_append_many_failure),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
