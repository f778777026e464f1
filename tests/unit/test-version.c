/* test-version.c: version ordering and ranges. */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/version.h"

static int
sign(int x)
{
        return (x > 0) - (x < 0);
}

static void
test_ordering(void **state)
{
        static const struct {
                const char *a, *b;
                int want;
        } t[] = {
                { "1.9", "1.10", -1 },
                { "1.10", "1.9", 1 },
                { "1.4", "1.4.0", 0 },
                { "1.4.0", "1.4", 0 },
                { "1.4.0~rc1", "1.4.0", -1 },
                { "1.4.0", "1.4.0~rc1", 1 },
                { "1.4.0-beta1", "1.4.0", -1 },
                { "1.4.0~rc1", "1.4.0~rc2", -1 },
                { "1.4.0~rc2", "1.4.0~rc10", -1 },
                { "1.4.0-beta1", "1.4.0-rc1", -1 },
                { "1.4.0~rc1", "1.3.9", 1 },
                { "v1.2", "1.2", 0 },
                { "5:7.0.15", "7.0.15", 0 },
                { "7.0.15", "7.2.4", -1 },
                { "0.10.0", "0.9.6", 1 },
                { "1.01", "1.1", 0 },
                { "2", "1.99.99", 1 },
                { "1.2.3a", "1.2.3b", -1 },
                { "1.2.3", "1.2.3a", -1 },
        };

        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                int got = sign(version_compare(t[i].a, t[i].b));

                if (got != t[i].want)
                        fail_msg("%s vs %s: got %d, want %d", t[i].a, t[i].b,
                                 got, t[i].want);
        }
}

static void
test_valid(void **state)
{
        assert_true(version_valid("1.4.3"));
        assert_true(version_valid("v1.4"));
        assert_true(version_valid("5:7.0.15"));
        assert_true(version_valid("1.4.0~rc1"));
        assert_true(version_valid("1.0^git1"));        /* rpm: after the release */
        assert_false(version_valid(""));
        assert_false(version_valid("x1"));
        assert_false(version_valid("latest"));
        assert_false(version_valid("1.4 3"));
        assert_false(version_valid(NULL));
}

static bool
in_range(const char *range, const char *v)
{
        struct vrange *r = NULL;
        struct diag d = {0};
        bool m;

        if (vrange_parse(range, &r, &d) < 0)
                fail_msg("range \"%s\" rejected: %s", range, d.msg);
        assert_string_equal(vrange_text(r), range);
        m = vrange_match(r, v);
        vrange_free(r);
        return m;
}

static void
test_ranges(void **state)
{
        assert_true(in_range(">=0.10 <0.12", "0.10.0"));
        assert_true(in_range(">=0.10 <0.12", "0.11.3"));
        assert_false(in_range(">=0.10 <0.12", "0.12.0"));
        assert_false(in_range(">=0.10 <0.12", "0.9.6"));
        assert_true(in_range("<0.10", "0.9.6"));
        assert_false(in_range("<0.10", "0.10"));
        assert_true(in_range("=1.4.3", "1.4.3"));
        assert_true(in_range("==1.4.3", "v1.4.3"));
        assert_true(in_range("1.4.3", "1.4.3"));
        assert_false(in_range("1.4.3", "1.4.4"));
        assert_true(in_range("!=1.0", "1.1"));
        assert_false(in_range("!=1.0", "1.0.0"));
        assert_true(in_range(">1 || <0.5", "0.4"));
        assert_true(in_range(">1 || <0.5", "1.1"));
        assert_false(in_range(">1 || <0.5", "0.7"));
        assert_true(in_range(">= 7.0 <= 7.2", "7.2"));
        assert_false(in_range(">1", "1.0~rc1"));
        assert_true(in_range("<1", "1.0~rc1"));
}

static void
bad_range(const char *text, const char *words)
{
        struct vrange *r = NULL;
        struct diag d = {0};

        assert_int_equal(vrange_parse(text, &r, &d), -EINVAL);
        assert_null(r);
        if (strstr(d.msg, words) == NULL)
                fail_msg("range \"%s\": message \"%s\" lacks \"%s\"", text, d.msg, words);
}

static void
check_scheme(enum version_scheme s, const char *a, const char *b, int want)
{
        int got = sign(version_compare_as(s, a, b)), back = sign(version_compare_as(s, b, a));

        if (got != want || back != -want)
                fail_msg("%s: %s vs %s: got %d (and %d back), want %d",
                         version_scheme_name(s), a, b, got, back, want);
}

/* dpkg --compare-versions gives the same answers (checked on Debian 12). */
static void
test_debian(void **state)
{
        static const struct {
                const char *a, *b;
                int want;
        } t[] = {
                { "1.6.18-1+deb12u1", "1.6.18", 1 },    /* semantic says -1 */
                { "1.6.18-1+deb12u1", "1.6.18-1", 1 },
                { "2.6.12-1+deb12u3", "2.6.12-1+deb12u4", -1 },
                { "5:7.0.15-1~deb12u7", "5:7.0.15-1~deb12u10", -1 },
                { "15.18-0+deb12u1", "15.20-0+deb12u1", -1 },
                { "1:1.0", "2.0", 1 },                  /* the epoch first */
                { "1.0~rc1", "1.0", -1 },               /* ~ before the end */
                { "1.0~rc1", "1.0~~", 1 },
                { "1.0-1", "1.0-1~bpo1", 1 },
                { "1.0a", "1.0+", -1 },                 /* letters before others */
                { "1.0", "1.0.0", -1 },
                { "1.01", "1.1", 0 },
                { "1.2.3-1", "1.2.3-1", 0 },
                { "2.30-1", "2.4-9", 1 },
        };

        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                check_scheme(VERSION_DEBIAN, t[i].a, t[i].b, t[i].want);
        assert_int_equal(sign(version_compare("1.6.18-1+deb12u1", "1.6.18")), -1);
}

/* rpmdev-vercmp's answers. */
static void
test_rpm(void **state)
{
        static const struct {
                const char *a, *b;
                int want;
        } t[] = {
                { "1.0", "1.0.1", -1 },
                { "1.0a", "1.0", 1 },
                { "1.0", "1.0a", -1 },
                { "1.0a", "1.0.1", -1 },                /* letters older than digits */
                { "1.0~rc1", "1.0", -1 },
                { "1.0^git1", "1.0", 1 },
                { "1.0^git1", "1.0.1", -1 },
                { "1.0_1", "1.0.1", 0 },                /* separators only separate */
                { "2.4.57-5.el9", "2.4.57-8.el9", -1 },
                { "1:1.0-1", "2.0-1", 1 },
                { "abc", "abd", -1 },
                { "1.010", "1.10", 0 },
        };

        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                check_scheme(VERSION_RPM, t[i].a, t[i].b, t[i].want);
}

static void
test_scheme_names_and_ranges(void **state)
{
        struct diag d = {0};
        struct vrange *r = NULL;

        assert_int_equal(version_scheme_from_name("debian"), VERSION_DEBIAN);
        assert_int_equal(version_scheme_from_name("rpm"), VERSION_RPM);
        assert_int_equal(version_scheme_from_name("semantic"), VERSION_SEMANTIC);
        assert_int_equal(version_scheme_from_name("dpkg"), -1);
        assert_int_equal(vrange_parse(">1.6.18", &r, &d), 0);
        assert_true(vrange_match_as(r, VERSION_DEBIAN, "1.6.18-1+deb12u1"));
        assert_false(vrange_match(r, "1.6.18-1+deb12u1"));
        assert_false(vrange_match_as(r, VERSION_DEBIAN, "1.6.18"));
        vrange_free(r);
}

static void
test_change(void **state)
{
        char *s;

        s = version_change(VERSION_DEBIAN, "2.6.12-1+deb12u3", "2.6.12-1+deb12u4");
        assert_string_equal(s, "deb12u3 -> deb12u4");
        free(s);
        s = version_change(VERSION_DEBIAN, "5:7.0.15-1~deb12u7", "5:7.0.15-1~deb12u10");
        assert_string_equal(s, "deb12u7 -> deb12u10");
        free(s);
        s = version_change(VERSION_DEBIAN, "1.6.18-1", "1.6.18-2");
        assert_string_equal(s, "1 -> 2");
        free(s);
        s = version_change(VERSION_RPM, "2.4.57-5.el9", "2.4.57-8.el9");
        assert_string_equal(s, "5.el9 -> 8.el9");
        free(s);
        /* the upstream version changed, a side without a revision, no change */
        assert_null(version_change(VERSION_DEBIAN, "15.18-0+deb12u1", "15.20-0+deb12u1"));
        assert_null(version_change(VERSION_DEBIAN, "1.6.18", "1.6.18-1"));
        assert_null(version_change(VERSION_DEBIAN, "1.6.18-1", "1.6.18-1"));
        assert_null(version_change(VERSION_SEMANTIC, "1.6.18-1", "1.6.18-2"));
}

static void
test_bad_ranges(void **state)
{
        bad_range(">=x", "\">=x\" is not a comparison");
        bad_range(">=0.10 <zz", "\"<zz\"");
        bad_range(">=", "\">=\" is not followed by a version");
        bad_range("", "empty");
        bad_range(">1 ||", "empty");
        bad_range("~>1.0", "\"~>1.0\"");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ordering),
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_bad_ranges),
                cmocka_unit_test(test_debian),
                cmocka_unit_test(test_rpm),
                cmocka_unit_test(test_scheme_names_and_ranges),
                cmocka_unit_test(test_change),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
