/* test-proto.c: the worker protocol's encoding (ui/proto.h). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "testlib.h"
#include "ui/proto.h"
#include "ui/proto_msg.h"

static char *
encode(const struct proto_msg *m)
{
        struct strbuf sb = {0};

        proto_encode(m, &sb);
        return strbuf_detach(&sb);
}

static void
test_round_trip(void **state)
{
        static const char nasty[] = "a b\\c\nd\te\rf=g\x01h\x7fi \xc3\xa9 \\s";
        struct proto_msg m, back = {0};
        struct diag d = {0};
        char *line;

        proto_init(&m, "out");
        proto_set(&m, "kind", "stdout");
        proto_set(&m, "text", nasty);
        proto_set(&m, "empty", "");
        proto_set(&m, "absent", NULL);
        proto_set_int(&m, "n", -42);
        line = encode(&m);
        /* One line: the only newline is the last byte. */
        assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
        assert_null(strchr(line, '\t'));
        assert_int_equal(proto_decode(line, strlen(line) - 1, &back, &d), 0);
        assert_true(proto_is(&back, "out"));
        assert_string_equal(proto_get(&back, "kind"), "stdout");
        assert_string_equal(proto_get(&back, "text"), nasty);
        assert_string_equal(proto_get(&back, "empty"), "");
        assert_null(proto_get(&back, "absent"));
        assert_int_equal(proto_get_int(&back, "n", 0), -42);
        assert_int_equal(proto_get_int(&back, "kind", 7), 7);
        assert_int_equal(proto_get_int(&back, "missing", 9), 9);
        free(line);
        proto_release(&m);
        proto_release(&back);
}

static void
test_escapes(void **state)
{
        struct strbuf sb = {0};
        char *out;
        size_t len;

        proto_escape(&sb, "x y\\z\n", 6);
        assert_string_equal(sb.buf, "x\\sy\\\\z\\n");
        assert_int_equal(proto_unescape(sb.buf, sb.len, &out, &len), 0);
        assert_int_equal(len, 6);
        assert_memory_equal(out, "x y\\z\n", 6);
        free(out);
        strbuf_release(&sb);
        /* A NUL byte survives as \x00. */
        proto_escape(&sb, "a\0b", 3);
        assert_string_equal(sb.buf, "a\\x00b");
        assert_int_equal(proto_unescape(sb.buf, sb.len, &out, &len), 0);
        assert_int_equal(len, 3);
        assert_memory_equal(out, "a\0b", 3);
        free(out);
        strbuf_release(&sb);
        /* Bad escapes are refused. */
        assert_int_equal(proto_unescape("\\q", 2, &out, NULL), -EBADMSG);
        assert_int_equal(proto_unescape("a\\", 2, &out, NULL), -EBADMSG);
        assert_int_equal(proto_unescape("\\x4", 3, &out, NULL), -EBADMSG);
        assert_int_equal(proto_unescape("\\xzz", 4, &out, NULL), -EBADMSG);
}

static void
test_bad_lines(void **state)
{
        static const char *const bad[] = {
                "", " x=1", "Out x=1", "out x", "out =1", "out X=1", "out x=\\q",
                "out x=1  y=2",
        };
        struct proto_msg m = {0};
        struct diag d = {0};

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_int_equal(proto_decode(bad[i], strlen(bad[i]), &m, &d), -EBADMSG);
                assert_true(diag_isset(&d));
                diag_clear(&d);
        }
        assert_int_equal(proto_decode("interrupt", 9, &m, &d), 0);
        assert_true(proto_is(&m, "interrupt"));
        assert_int_equal(m.kv.n, 0);
        proto_release(&m);
}

/* Messages split anywhere arrive whole, in order, through a socket. */
static void
test_reader(void **state)
{
        struct proto_reader r = {0};
        struct proto_msg m = {0};
        struct strbuf sb = {0};
        struct diag d = {0};
        int sv[2], got = 0;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        for (int i = 0; i < 100; i++) {
                proto_init(&m, "state");
                proto_set_int(&m, "i", i);
                proto_set(&m, "note", "a note with spaces");
                proto_encode(&m, &sb);
                proto_release(&m);
        }
        assert_int_equal(proto_read(&r, sv[0]), -EAGAIN);
        for (size_t off = 0; off < sb.len; off += 7) {
                size_t n = sb.len - off < 7 ? sb.len - off : 7;
                int rc;

                assert_int_equal(write(sv[1], sb.buf + off, n), (ssize_t)n);
                assert_true(proto_read(&r, sv[0]) > 0);
                while ((rc = proto_next(&r, &m, &d)) == 1) {
                        assert_true(proto_is(&m, "state"));
                        assert_int_equal(proto_get_int(&m, "i", -1), got);
                        assert_string_equal(proto_get(&m, "note"), "a note with spaces");
                        got++;
                        proto_release(&m);
                }
                assert_int_equal(rc, 0);
        }
        assert_int_equal(got, 100);
        close(sv[1]);
        assert_int_equal(proto_read(&r, sv[0]), 0);
        close(sv[0]);
        proto_reader_release(&r);
        strbuf_release(&sb);
}

static void
test_names(void **state)
{
        for (int i = ST_PENDING; i <= ST_UNDONE; i++)
                assert_int_equal(proto_status_from_name(proto_status_name((enum step_status)i)), i);
        for (int i = OUT_INFO; i <= OUT_WARN; i++)
                assert_int_equal(proto_kind_from_name(proto_kind_name((enum out_kind)i)), i);
        assert_int_equal(proto_status_from_name("nonsense"), -1);
        assert_int_equal(proto_kind_from_name(NULL), -1);
}

/* Encode x's message, put it through the wire (encode, decode) into *ret
 * (release it), and return the line it was. */
static char *
wire(const struct proto_msg *m, struct proto_msg *ret)
{
        struct diag d = {0};
        char *line = encode(m);

        assert_int_equal(proto_decode(line, strlen(line) - 1, ret, &d), 0);
        return line;
}

#define assert_str_eq_null(a, b) \
        do { if ((a) == NULL || (b) == NULL) assert_ptr_equal((a), (b)); \
             else assert_string_equal((a), (b)); } while (0)

static void
test_msg_names(void **state)
{
        struct proto_msg m;

        (void)state;
        for (int i = 0; i < PMSG_COUNT; i++) {
                assert_non_null(pmsg_name((enum pmsg_type)i));
                proto_init(&m, pmsg_name((enum pmsg_type)i));
                assert_int_equal(pmsg_type_of(&m), i);
                proto_release(&m);
        }
        proto_init(&m, "newer");
        assert_int_equal(pmsg_type_of(&m), PMSG_UNKNOWN);
        proto_release(&m);
        assert_null(pmsg_name(PMSG_COUNT));
}

static void
test_msg_hello(void **state)
{
        struct pmsg_hello a = { .v = 2, .role = "client", .user = "root", .tty = "",
                                .pid = 42 }, b;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_hello_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "hello v=2 role=client user=root tty= pid=42\n");
        pmsg_hello_decode(&w, &b);
        assert_int_equal(b.v, 2);
        assert_string_equal(b.role, "client");
        assert_string_equal(b.user, "root");
        assert_string_equal(b.tty, "");
        assert_int_equal(b.pid, 42);
        assert_null(b.action);
        free(line);
        proto_release(&m);
        proto_release(&w);
        a = (struct pmsg_hello){ .v = 2, .role = "worker", .pid = 7, .action = "run" };
        pmsg_hello_encode(&a, &m);
        line = encode(&m);
        assert_string_equal(line, "hello v=2 role=worker pid=7 action=run\n");
        free(line);
        proto_release(&m);
}

static void
test_msg_who(void **state)
{
        struct pmsg_who a = { .user = "root", .tty = "/dev/pts/1", .pid = "12",
                              .since = "2026-01-02 03:04:05" }, b;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_who_encode(PMSG_BUSY, &a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "busy user=root tty=/dev/pts/1 pid=12 since=2026-01-02\\s03:04:05\n");
        assert_int_equal(pmsg_type_of(&w), PMSG_BUSY);
        pmsg_who_decode(&w, &b);
        assert_string_equal(b.user, a.user);
        assert_string_equal(b.tty, a.tty);
        assert_string_equal(b.pid, a.pid);
        assert_string_equal(b.since, a.since);
        free(line);
        proto_release(&m);
        proto_release(&w);
        a.since = NULL;
        pmsg_who_encode(PMSG_DETACHED, &a, &m);
        line = encode(&m);
        assert_string_equal(line, "detached user=root tty=/dev/pts/1 pid=12\n");
        free(line);
        proto_release(&m);
}

static void
test_msg_refused_status(void **state)
{
        struct pmsg_refused r = { .reason = "another user" }, r2;
        struct pmsg_status a = { .pid = 9, .action = "rollback", .waiting = true,
                                 .what = "confirm: Verify", .client = "root, pid 3" }, b;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_refused_encode(&r, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "refused reason=another\\suser\n");
        pmsg_refused_decode(&w, &r2);
        assert_string_equal(r2.reason, r.reason);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_status_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "status pid=9 action=rollback waiting=1 what=confirm:\\sVerify client=root,\\spid\\s3\n");
        pmsg_status_decode(&w, &b);
        assert_int_equal(b.pid, 9);
        assert_string_equal(b.action, a.action);
        assert_true(b.waiting);
        assert_string_equal(b.what, a.what);
        assert_string_equal(b.client, a.client);
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_plan(void **state)
{
        struct pmsg_plan a = { .id = "redis", .title = "Redis", .host = "h", .target = "7.2",
                               .state_dir = "/s" }, b;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        for (int i = 0; i < STEP_COUNT; i++)
                a.step[i] = (struct pmsg_plan_step){ .title = step_key((enum step_id)i),
                                                     .what = "does", .risk = "none" };
        a.step[STEP_STOP].risk = "destructive";
        a.step[STEP_STOP].consequence = "It goes down.";
        pmsg_plan_encode(&a, &m);
        line = wire(&m, &w);
        assert_non_null(strstr(line, "plan id=redis title=Redis host=h target=7.2 state_dir=/s s.0.title=detect s.0.what=does s.0.risk=none s.1.title="));
        assert_non_null(strstr(line, " s.3.risk=destructive s.3.consequence=It\\sgoes\\sdown. s.4.title=swap"));
        pmsg_plan_decode(&w, &b);
        assert_string_equal(b.id, a.id);
        assert_string_equal(b.state_dir, a.state_dir);
        for (int i = 0; i < STEP_COUNT; i++) {
                assert_string_equal(b.step[i].title, a.step[i].title);
                assert_string_equal(b.step[i].risk, a.step[i].risk);
                assert_str_eq_null(b.step[i].consequence, a.step[i].consequence);
        }
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_begin(void **state)
{
        struct run_info a = { .plan_id = "redis", .plan_title = "Redis", .host = "h",
                              .version = NULL, .target = "7.2", .state_dir = "/s",
                              .log_path = "/s/log", .resuming = true,
                              .status = { [STEP_DETECT] = ST_DONE, [STEP_STOP] = ST_RUNNING } };
        struct pmsg_begin b;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_begin_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "begin plan=redis title=Redis host=h target=7.2 state_dir=/s log=/s/log resuming=1 st.0=done st.1=pending st.2=pending st.3=running st.4=pending st.5=pending st.6=pending st.7=pending\n");
        pmsg_begin_decode(&w, &b);
        assert_string_equal(b.ri.plan_id, a.plan_id);
        assert_null(b.ri.version);
        assert_string_equal(b.ri.log_path, a.log_path);
        assert_true(b.ri.resuming);
        for (int i = 0; i < STEP_COUNT; i++) {
                assert_true(b.has_status[i]);
                assert_int_equal(b.ri.status[i], a.status[i]);
        }
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_state_out_skip(void **state)
{
        struct pmsg_state a = { .step = STEP_MIGRATE, .status = ST_DONE, .ms = 1500,
                                .note = "2 ran" }, b;
        struct pmsg_out o = { .kind = OUT_STDERR, .text = "x y" }, o2;
        struct pmsg_skip s = { .n = 12 }, s2;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_state_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "state step=migrate status=done ms=1500 note=2\\sran\n");
        pmsg_state_decode(&w, &b);
        assert_int_equal(b.step, a.step);
        assert_int_equal(b.status, a.status);
        assert_int_equal(b.ms, a.ms);
        assert_string_equal(b.note, a.note);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_out_encode(&o, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "out kind=stderr text=x\\sy\n");
        pmsg_out_decode(&w, &o2);
        assert_int_equal(o2.kind, o.kind);
        assert_string_equal(o2.text, o.text);
        free(line);
        proto_release(&m);
        proto_release(&w);

        /* A line of the restore says so (label), after its text. */
        o.label = "restore";
        pmsg_out_encode(&o, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "out kind=stderr text=x\\sy label=restore\n");
        pmsg_out_decode(&w, &o2);
        assert_string_equal(o2.label, "restore");
        free(line);
        proto_release(&m);
        proto_release(&w);
        proto_init(&w, "out");
        pmsg_out_decode(&w, &o2);
        assert_null(o2.label);
        proto_release(&w);

        pmsg_skip_encode(&s, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "skip n=12\n");
        pmsg_skip_decode(&w, &s2);
        assert_int_equal(s2.n, 12);
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_progress_fact_vars(void **state)
{
        struct pmsg_progress a = { .what = "drain", .done = 3000, .total = 60000, .unit = "ms" }, b;
        struct pmsg_fact f = { .key = "version", .value = "7.0.15" }, f2;
        struct kvlist vars = {0};
        struct strv v = {0};
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_progress_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "progress what=drain done=3000 total=60000 unit=ms\n");
        pmsg_progress_decode(&w, &b);
        assert_string_equal(b.what, a.what);
        assert_int_equal(b.done, a.done);
        assert_int_equal(b.total, a.total);
        assert_string_equal(b.unit, a.unit);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_fact_encode(&f, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "fact key=version value=7.0.15\n");
        pmsg_fact_decode(&w, &f2);
        assert_string_equal(f2.key, f.key);
        assert_string_equal(f2.value, f.value);
        free(line);
        proto_release(&m);
        proto_release(&w);

        kvlist_set(&vars, "PORT", "6379");
        kvlist_set(&vars, "DIR", "/var/lib/a b");
        pmsg_vars_encode(&vars, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "vars v.0=PORT=6379 v.1=DIR=/var/lib/a\\sb\n");
        pmsg_vars_decode(&w, &v);
        assert_int_equal(v.n, 2);
        assert_string_equal(v.v[0], "PORT=6379");
        assert_string_equal(v.v[1], "DIR=/var/lib/a b");
        strv_release(&v);
        kvlist_release(&vars);
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_requests(void **state)
{
        struct pmsg_confirm c = { .step = "migrate", .what = "Run the migration",
                                  .consequence = "no way back", .ponr = true }, c2;
        struct pmsg_failure f = { .id = 4, .step = "verify", .message = "bad", .log = "/l" }, f2;
        struct pmsg_review r = { .id = 1, .text = "a\nb", .backup_dir = "/b",
                                 .data_bytes = 10, .free_bytes = 20 }, r2;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_confirm_encode(&c, &m);
        line = encode(&m);
        assert_string_equal(line, "confirm step=migrate what=Run\\sthe\\smigration consequence=no\\sway\\sback ponr=1\n");
        free(line);
        proto_release(&m);
        c.id = 3;
        pmsg_confirm_encode(&c, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "confirm step=migrate what=Run\\sthe\\smigration consequence=no\\sway\\sback ponr=1 id=3\n");
        pmsg_confirm_decode(&w, &c2);
        assert_int_equal(c2.id, 3);
        assert_string_equal(c2.step, c.step);
        assert_string_equal(c2.what, c.what);
        assert_string_equal(c2.consequence, c.consequence);
        assert_true(c2.ponr);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_failure_encode(&f, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "failure step=verify message=bad log=/l id=4\n");
        pmsg_failure_decode(&w, &f2);
        assert_int_equal(f2.id, 4);
        assert_string_equal(f2.step, f.step);
        assert_string_equal(f2.message, f.message);
        assert_string_equal(f2.log, f.log);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_review_encode(&r, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "review text=a\\nb backup_dir=/b data_bytes=10 free_bytes=20 id=1\n");
        pmsg_review_decode(&w, &r2);
        assert_int_equal(r2.id, 1);
        assert_string_equal(r2.text, r.text);
        assert_string_equal(r2.backup_dir, r.backup_dir);
        assert_int_equal(r2.data_bytes, 10);
        assert_int_equal(r2.free_bytes, 20);
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_end(void **state)
{
        struct run_report a = {
                .plan_id = "redis", .plan_title = "Redis", .version_before = "7.0.15",
                .version_after = "7.2.4", .backup_path = "/b/x.tar", .backup_sha256 = "ab",
                .backup_size = 1024, .hops = 2, .downtime_ms = 4000, .log_path = "/l",
                .state_dir = "/s", .declined = true, .exit_code = 0,
        }, b;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        for (int i = 0; i < STEP_COUNT; i++) {
                a.status[i] = ST_DONE;
                a.step_ms[i] = i * 10;
        }
        pmsg_end_encode(&a, &m);
        line = wire(&m, &w);
        assert_non_null(strstr(line, "end code=0 plan=redis title=Redis version_before=7.0.15 version_after=7.2.4 backup_path=/b/x.tar backup_sha256=ab backup_size=1024 downtime_ms=4000 log=/l state_dir=/s declined=1 hops=2 st.0=done ms.0=0 st.1=done ms.1=10 "));
        pmsg_end_decode(&w, &b);
        assert_int_equal(b.exit_code, 0);
        assert_null(b.message);
        assert_string_equal(b.plan_id, a.plan_id);
        assert_string_equal(b.plan_title, a.plan_title);
        assert_string_equal(b.version_before, a.version_before);
        assert_string_equal(b.version_after, a.version_after);
        assert_null(b.package_version);
        assert_string_equal(b.backup_path, a.backup_path);
        assert_string_equal(b.backup_sha256, a.backup_sha256);
        assert_int_equal(b.backup_size, a.backup_size);
        assert_int_equal(b.downtime_ms, a.downtime_ms);
        assert_string_equal(b.log_path, a.log_path);
        assert_string_equal(b.state_dir, a.state_dir);
        assert_null(b.resume_hint);
        assert_true(b.declined);
        assert_int_equal(b.hops, 2);
        assert_null(b.version_change);
        assert_int_equal(b.backup_delta_ms, 0);
        for (int i = 0; i < STEP_COUNT; i++) {
                assert_int_equal(b.status[i], a.status[i]);
                assert_int_equal(b.step_ms[i], a.step_ms[i]);
        }
        free(line);
        proto_release(&m);
        proto_release(&w);

        /* A Debian revision update with a cold backup: the revisions and
         * the backup's second part, after the downtime they are part of. */
        a.version_change = "deb12u3 -> deb12u4";
        a.backup_delta_ms = 1500;
        pmsg_end_encode(&a, &m);
        line = wire(&m, &w);
        assert_non_null(strstr(line, " version_change=deb12u3\\s->\\sdeb12u4 "));
        assert_non_null(strstr(line, " downtime_ms=4000 backup_delta_ms=1500 "));
        pmsg_end_decode(&w, &b);
        assert_string_equal(b.version_change, "deb12u3 -> deb12u4");
        assert_int_equal(b.backup_delta_ms, 1500);
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_bye_reply(void **state)
{
        static const char *const fields[] = { "a b", "" };
        struct pmsg_bye a = { .code = 3, .message = "nothing to do" }, b;
        struct pmsg_reply r = { .id = 5, .result = "ok", .fields = fields, .n = 2 }, r2;
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        pmsg_bye_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "bye code=3 message=nothing\\sto\\sdo\n");
        pmsg_bye_decode(&w, &b);
        assert_int_equal(b.code, 3);
        assert_string_equal(b.message, a.message);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_reply_encode(&r, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "reply id=5 result=ok f0=a\\sb f1=\n");
        pmsg_reply_decode(&w, &r2);
        assert_int_equal(r2.id, 5);
        assert_string_equal(r2.result, "ok");
        assert_null(r2.value);
        assert_null(r2.choice);
        assert_string_equal(pmsg_reply_field(&w, 0), "a b");
        assert_string_equal(pmsg_reply_field(&w, 1), "");
        assert_null(pmsg_reply_field(&w, 2));
        free(line);
        proto_release(&m);
        proto_release(&w);

        r = (struct pmsg_reply){ .id = 6, .result = "ok", .choice = "retry" };
        pmsg_reply_encode(&r, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "reply id=6 result=ok choice=retry\n");
        pmsg_reply_decode(&w, &r2);
        assert_string_equal(r2.choice, "retry");
        free(line);
        proto_release(&m);
        proto_release(&w);
}

static void
test_msg_ask_form(void **state)
{
        struct pmsg_field fields[2] = {
                { .key = "pkg", .text = "Package", .type = "file", .required = true,
                  .value = "/a b", .error = "no such file" },
                { .key = "how", .text = "How", .type = "choice", .def = "systemd",
                  .value = "" },
        };
        struct pmsg_ask a = { .f = fields[1] }, b = {0};
        struct pmsg_form f = { .title = "Questions", .index = 1, .count = 2, .no_back = true,
                               .n = 2, .fields = fields }, g;
        struct pmsg_field h = {0};
        struct proto_msg m, w = {0};
        char *line;

        (void)state;
        strv_push(&fields[1].choices, "systemd");
        strv_push(&fields[1].choices, "pidfile");
        a.f = fields[1];
        a.id = 2;
        pmsg_ask_encode(&a, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "ask key=how text=How type=choice required=0 default=systemd c.0=systemd c.1=pidfile value= id=2\n");
        pmsg_ask_decode(&w, &b);
        assert_int_equal(b.id, 2);
        assert_string_equal(b.f.key, "how");
        assert_string_equal(b.f.type, "choice");
        assert_false(b.f.required);
        assert_string_equal(b.f.def, "systemd");
        assert_string_equal(b.f.value, "");
        assert_null(b.f.error);
        assert_int_equal(b.f.choices.n, 2);
        assert_string_equal(b.f.choices.v[1], "pidfile");
        strv_release(&b.f.choices);
        free(line);
        proto_release(&m);
        proto_release(&w);

        pmsg_form_encode(&f, &m);
        line = wire(&m, &w);
        assert_string_equal(line, "form title=Questions index=1 count=2 no_back=1 n=2 f0.key=pkg f0.text=Package f0.type=file f0.required=1 f0.value=/a\\sb f0.error=no\\ssuch\\sfile f1.key=how f1.text=How f1.type=choice f1.required=0 f1.default=systemd f1.c.0=systemd f1.c.1=pidfile f1.value=\n");
        pmsg_form_decode(&w, &g);
        assert_string_equal(g.title, f.title);
        assert_null(g.intro);
        assert_null(g.error);
        assert_int_equal(g.index, 1);
        assert_int_equal(g.count, 2);
        assert_true(g.no_back);
        assert_int_equal(g.n, 2);
        for (size_t i = 0; i < g.n; i++) {
                pmsg_form_field(&w, i, &h);
                assert_string_equal(h.key, fields[i].key);
                assert_string_equal(h.text, fields[i].text);
                assert_string_equal(h.type, fields[i].type);
                assert_int_equal(h.required, fields[i].required);
                assert_str_eq_null(h.def, fields[i].def);
                assert_string_equal(h.value, fields[i].value);
                assert_str_eq_null(h.error, fields[i].error);
                assert_int_equal(h.choices.n, fields[i].choices.n);
                for (size_t j = 0; j < h.choices.n; j++)
                        assert_string_equal(h.choices.v[j], fields[i].choices.v[j]);
                strv_release(&h.choices);
        }
        free(line);
        proto_release(&m);
        proto_release(&w);
        strv_release(&fields[1].choices);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_reader),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_msg_names),
                cmocka_unit_test(test_msg_hello),
                cmocka_unit_test(test_msg_who),
                cmocka_unit_test(test_msg_refused_status),
                cmocka_unit_test(test_msg_plan),
                cmocka_unit_test(test_msg_begin),
                cmocka_unit_test(test_msg_state_out_skip),
                cmocka_unit_test(test_msg_progress_fact_vars),
                cmocka_unit_test(test_msg_requests),
                cmocka_unit_test(test_msg_end),
                cmocka_unit_test(test_msg_bye_reply),
                cmocka_unit_test(test_msg_ask_form),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
