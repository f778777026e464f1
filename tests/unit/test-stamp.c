/* test-stamp: a file's stamp (lib/stamp.h): unchanged, changed, racy. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/stamp.h"
#include "lib/util.h"
#include "testlib.h"

/* A file written long before the stamp: trusted while it stays as it is;
 * a write of the same size, a chmod, a rename onto its name each make it
 * "changed". */
static void
test_changes(void **state)
{
        char *dir = t_mkdtemp("stamp");
        char *f = path_join(dir, "f"), *g = path_join(dir, "g");
        struct stamp s;

        (void)state;
        t_write_text(f, "one\n");
        assert_int_equal(t_sh("touch -d '2020-01-01' '%s'", f), 0);
        assert_int_equal(stamp_path(f, &s), 0);
        /* ctime is now (touch changed it): racy until it is old enough. */
        assert_false(stamp_settled(&s));
        assert_false(stamp_unchanged(&s, f));
        s.taken_ns += STAMP_RACY_NS + 1000000000LL;  /* as if taken 3 s later */
        assert_true(stamp_settled(&s));
        assert_true(stamp_unchanged(&s, f));

        t_sleep_ms(20);
        t_write_text(f, "two\n");
        assert_false(stamp_unchanged(&s, f));

        assert_int_equal(stamp_path(f, &s), 0);
        s.taken_ns += 3000000000LL;
        assert_true(stamp_unchanged(&s, f));
        t_sleep_ms(20);
        assert_int_equal(chmod(f, 0600), 0);
        assert_false(stamp_unchanged(&s, f));

        assert_int_equal(stamp_path(f, &s), 0);
        s.taken_ns += 3000000000LL;
        t_write_text(g, "two\n");
        assert_int_equal(rename(g, f), 0);
        assert_false(stamp_unchanged(&s, f));
        assert_int_equal(unlink(f), 0);
        assert_false(stamp_unchanged(&s, f));

        free(f);
        free(g);
        t_rm_rf(dir);
        free(dir);
}

/* A ctime with a fraction of a second is settled a tenth of a second
 * after it; one of whole seconds (a coarse filesystem) two seconds after. */
static void
test_racy(void **state)
{
        struct stamp fine = { .ctime_ns = 1700000000123456789LL };
        struct stamp whole = { .ctime_ns = 1700000000000000000LL };

        (void)state;
        assert_true(stamp_racy_ns(&fine) == STAMP_RACY_FINE_NS);
        assert_true(stamp_racy_ns(&whole) == STAMP_RACY_NS);
        fine.taken_ns = fine.ctime_ns + STAMP_RACY_FINE_NS;
        assert_false(stamp_settled(&fine));
        fine.taken_ns += 1;
        assert_true(stamp_settled(&fine));
        whole.taken_ns = whole.ctime_ns + STAMP_RACY_FINE_NS + 1;
        assert_false(stamp_settled(&whole));
        whole.taken_ns = whole.ctime_ns + STAMP_RACY_NS + 1;
        assert_true(stamp_settled(&whole));
}

/* The text form round-trips; anything else is refused. */
static void
test_text(void **state)
{
        struct stamp s = { 2049, 1234567, 0100644, 42, 1700000000123456789LL,
                           1700000001000000001LL, 1700000009000000000LL }, t;
        char buf[STAMP_TEXT_MAX];

        (void)state;
        stamp_format(&s, buf);
        assert_string_equal(buf, "2049 1234567 33188 42 1700000000123456789 "
                                 "1700000001000000001 1700000009000000000");
        assert_int_equal(stamp_parse(buf, &t), 0);
        assert_true(stamp_same(&s, &t));
        assert_true(t.taken_ns == s.taken_ns);
        assert_int_equal(stamp_parse("", &t), -1);
        assert_int_equal(stamp_parse("1 2 3 4 5 6", &t), -1);
        assert_int_equal(stamp_parse("1 2 3 4 5 6 7 8", &t), -1);
        assert_int_equal(stamp_parse("1 2 3 4 5 6 7x", &t), -1);
        assert_int_equal(stamp_parse("x 2 3 4 5 6 7", &t), -1);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_changes),
                cmocka_unit_test(test_racy),
                cmocka_unit_test(test_text),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
