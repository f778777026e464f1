/* test-rx.c: PCRE2 wrapper. */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/rx.h"

static void
test_group_one_wins(void **state)
{
        struct diag d = {0};
        char *v = NULL;

        assert_int_equal(rx_match_once("^InfluxDB v(\\d+\\.\\d+\\.\\d+)",
                                       "InfluxDB v1.4.3 (git: 1.4 abc)", &v, &d), 1);
        assert_string_equal(v, "1.4.3");
        free(v);
}

static void
test_whole_match_without_group(void **state)
{
        struct diag d = {0};
        char *v = NULL;

        assert_int_equal(rx_match_once("\\d+\\.\\d+", "redis 7.0.15 ok", &v, &d), 1);
        assert_string_equal(v, "7.0");
        free(v);
}

static void
test_unset_group_gives_whole_match(void **state)
{
        struct diag d = {0};
        char *v = NULL;

        /* Group 1 exists but does not take part in this match. */
        assert_int_equal(rx_match_once("v(\\d+)|rc\\d", "build rc7", &v, &d), 1);
        assert_string_equal(v, "rc7");
        free(v);
}

static void
test_multiline_picks_a_line(void **state)
{
        const char *out = "# Server\r\nredis_version:7.2.4\nredis_mode:standalone\n"
                          "os:Linux\n";
        struct diag d = {0};
        char *v = NULL;

        assert_int_equal(rx_match_once("^redis_mode:(\\w+)$", out, &v, &d), 1);
        assert_string_equal(v, "standalone");
        free(v);
        assert_int_equal(rx_match_once("^os:.*$", out, &v, &d), 1);
        assert_string_equal(v, "os:Linux");
        free(v);
}

static void
test_no_match(void **state)
{
        struct diag d = {0};
        char *v = (char *)"untouched";

        assert_int_equal(rx_match_once("^version (\\d+)", "no version here\n", &v, &d), 0);
        assert_string_equal(v, "untouched");
        assert_false(diag_isset(&d));
}

static void
test_bad_pattern(void **state)
{
        struct diag d = {0};
        struct rx *r = NULL;
        size_t off = 999;

        assert_int_equal(rx_compile("ab(c", &r, &off, &d), -EINVAL);
        assert_null(r);
        assert_int_equal(off, 4);
        assert_non_null(strstr(d.msg, "bad regular expression \"ab(c\": "));
        assert_non_null(strstr(d.msg, "missing closing parenthesis"));
        assert_non_null(strstr(d.msg, " at offset 4"));

        diag_clear(&d);
        assert_int_equal(rx_match_once("x[", "x[", NULL, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "bad regular expression \"x[\""));
        assert_non_null(strstr(d.msg, "at offset 2"));
}

static void
test_length_bounded_with_nul(void **state)
{
        static const char subj[] = "head\0\xff\xfe tail 42\nrest 77";
        struct diag d = {0};
        struct rx *r;
        char *v = NULL;

        assert_int_equal(rx_compile("(\\d+)", &r, NULL, &d), 0);
        /* Past the NUL byte and the invalid UTF-8: still found. */
        assert_int_equal(rx_search(r, subj, sizeof subj - 1, &v), 1);
        assert_string_equal(v, "42");
        free(v);
        /* The length bounds the subject: "77" lies beyond it. */
        rx_free(r);
        assert_int_equal(rx_compile("rest (\\d+)", &r, NULL, &d), 0);
        assert_int_equal(rx_search(r, subj, sizeof subj - 1, NULL), 1);
        assert_int_equal(rx_search(r, subj, sizeof subj - 3, NULL), 0);
        /* Without ret_value it still says whether it matched. */
        assert_int_equal(rx_search(r, "rest 1", 6, NULL), 1);
        rx_free(r);
        rx_free(NULL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_group_one_wins),
                cmocka_unit_test(test_whole_match_without_group),
                cmocka_unit_test(test_unset_group_gives_whole_match),
                cmocka_unit_test(test_multiline_picks_a_line),
                cmocka_unit_test(test_no_match),
                cmocka_unit_test(test_bad_pattern),
                cmocka_unit_test(test_length_bounded_with_nul),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
