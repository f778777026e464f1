/* test-kvlist: the ordered, indexed key/value list (lib/kvlist.h). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kvlist.h"
#include "testlib.h"

#define MANY 20000

/* A short list: set, replace in place, miss. */
static void
test_small(void **state)
{
        struct kvlist kv = {0};

        (void)state;
        assert_null(kvlist_get(&kv, "k"));
        kvlist_set(&kv, "k", "1");
        kvlist_set(&kv, "j", "x");
        kvlist_set(&kv, "k", "2");
        assert_int_equal(kv.n, 2);
        assert_string_equal(kv.v[0].key, "k");
        assert_string_equal(kvlist_get(&kv, "k"), "2");
        assert_string_equal(kvlist_get(&kv, "j"), "x");
        assert_null(kvlist_get(&kv, "x"));
        kvlist_release(&kv);
        assert_int_equal(kv.n, 0);
        assert_null(kvlist_get(&kv, "k"));
}

/* 20,000 fact-like keys: every one found with its value, replaced values
 * read back, absent keys missed, and iteration in first-set order. */
static void
test_many(void **state)
{
        struct kvlist kv = {0};
        char key[64], val[64];

        (void)state;
        for (size_t i = 0; i < MANY; i++) {
                snprintf(key, sizeof key, "hop2.staged.%zu.sha256", i);
                snprintf(val, sizeof val, "v%zu", i);
                kvlist_set(&kv, key, val);
        }
        assert_int_equal(kv.n, MANY);
        for (size_t i = 0; i < MANY; i += 2) {
                snprintf(key, sizeof key, "hop2.staged.%zu.sha256", i);
                snprintf(val, sizeof val, "w%zu", i);
                kvlist_set(&kv, key, val);
        }
        assert_int_equal(kv.n, MANY);
        for (size_t i = 0; i < MANY; i++) {
                snprintf(key, sizeof key, "hop2.staged.%zu.sha256", i);
                snprintf(val, sizeof val, "%c%zu", i % 2 ? 'v' : 'w', i);
                assert_non_null(kvlist_get(&kv, key));
                assert_string_equal(kvlist_get(&kv, key), val);
                assert_string_equal(kv.v[i].key, key);
                assert_int_equal(kvlist_find(&kv, key), i);
                snprintf(key, sizeof key, "staged.%zu.sha256", i);
                assert_null(kvlist_get(&kv, key));
                assert_true(kvlist_find(&kv, key) == SIZE_MAX);
        }
        kvlist_release(&kv);
        assert_null(kv.v);
        assert_null(kvlist_get(&kv, "hop2.staged.1.sha256"));
}

/* Moving a key keeps the others' order and the index right. */
static void
test_move(void **state)
{
        struct kvlist kv = {0};
        char key[32];

        (void)state;
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof key, "k%d", i);
                kvlist_set(&kv, key, key);
        }
        kvlist_move(&kv, "k30", 0);
        kvlist_move(&kv, "k31", 1);
        kvlist_move(&kv, "nope", 0);
        assert_string_equal(kv.v[0].key, "k30");
        assert_string_equal(kv.v[1].key, "k31");
        assert_string_equal(kv.v[2].key, "k0");
        assert_string_equal(kv.v[31].key, "k29");
        assert_string_equal(kv.v[32].key, "k32");
        for (int i = 0; i < 40; i++) {
                snprintf(key, sizeof key, "k%d", i);
                assert_string_equal(kvlist_get(&kv, key), key);
        }
        kvlist_set(&kv, "k0", "zero");
        assert_string_equal(kv.v[2].value, "zero");
        kvlist_release(&kv);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_small),
                cmocka_unit_test(test_many),
                cmocka_unit_test(test_move),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
