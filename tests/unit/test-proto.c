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

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_reader),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
