/* test-vars.c: ${name} substitution, and a plan command expanded (cmd_expand.h). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/cmd_expand.h"
#include "lib/vars.h"

static int
setup(void **state)
{
        struct vars *vs = calloc(1, sizeof *vs);

        vars_set(vs, "target", "1.4.3");
        vars_set(vs, "data_dir", "/var/lib/x y");
        vars_set(vs, "odd", "a\\Eb.c");
        vars_set_secret(vs, "password", "hunter2");
        *state = vs;
        return 0;
}

static int
teardown(void **state)
{
        vars_release(*state);
        free(*state);
        return 0;
}

static char *
expand_ok(const struct vars *vs, const char *in)
{
        struct diag d = {0};
        char *out = NULL;

        if (vars_expand(vs, in, &out, &d) != 0)
                fail_msg("\"%s\": %s", in, d.msg);
        return out;
}

static void
test_substitute(void **state)
{
        struct vars *vs = *state;
        char *s;

        s = expand_ok(vs, "--dir=${data_dir}/sub");
        assert_string_equal(s, "--dir=/var/lib/x y/sub");
        free(s);
        s = expand_ok(vs, "${target}${target}");
        assert_string_equal(s, "1.4.31.4.3");
        free(s);
        s = expand_ok(vs, "no variables");
        assert_string_equal(s, "no variables");
        free(s);
        s = expand_ok(vs, "");
        assert_string_equal(s, "");
        free(s);
        assert_string_equal(vars_get(vs, "target"), "1.4.3");
        assert_null(vars_get(vs, "nope"));
        vars_set(vs, "target", "2.0");
        assert_string_equal(vars_get(vs, "target"), "2.0");
}

static void
test_dollar(void **state)
{
        struct vars *vs = *state;
        char *s;

        s = expand_ok(vs, "cost $$5 and $$${target} and $HOME and end$");
        assert_string_equal(s, "cost $5 and $1.4.3 and $HOME and end$");
        free(s);
        s = expand_ok(vs, "$${target}");
        assert_string_equal(s, "${target}");
        free(s);
}

static void
test_unknown(void **state)
{
        struct diag d = {0};
        char *out = NULL;

        assert_int_equal(vars_expand(*state, "a ${nope} b", &out, &d), -ENOENT);
        assert_null(out);
        assert_string_equal(d.msg, "unknown variable \"${nope}\"");
}

static void
test_unterminated(void **state)
{
        struct diag d = {0};
        char *out = NULL;

        assert_int_equal(vars_expand(*state, "x ${target", &out, &d), -EINVAL);
        assert_null(out);
        assert_string_equal(d.msg, "unterminated \"${\" in \"x ${target\"");
}

static bool
rx_matches(const char *pattern, const char *subject)
{
        int err;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                       0, &err, &off, NULL);
        pcre2_match_data *md;
        int r;

        if (re == NULL)
                fail_msg("pattern \"%s\" does not compile", pattern);
        md = pcre2_match_data_create_from_pattern(re, NULL);
        r = pcre2_match(re, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        pcre2_code_free(re);
        return r >= 0;
}

static void
test_regex(void **state)
{
        struct vars *vs = *state;
        struct diag d = {0};
        char *s = NULL;

        assert_int_equal(vars_expand_regex(vs, "^v${target}$", &s, &d), 0);
        assert_string_equal(s, "^v\\Q1.4.3\\E$");
        assert_true(rx_matches(s, "v1.4.3"));
        assert_false(rx_matches(s, "v1x4y3"));
        free(s);

        /* A value holding "\E" still matches only itself. */
        assert_int_equal(vars_expand_regex(vs, "^${odd}$", &s, &d), 0);
        assert_true(rx_matches(s, "a\\Eb.c"));
        assert_false(rx_matches(s, "a\\Ebxc"));
        free(s);

        assert_int_equal(vars_expand_regex(vs, "${nope}", &s, &d), -ENOENT);
}

static void
test_masked(void **state)
{
        struct vars *vs = *state;
        struct diag d = {0};
        char *s = NULL;

        assert_true(vars_is_secret(vs, "password"));
        assert_false(vars_is_secret(vs, "target"));
        assert_int_equal(vars_expand_masked(vs, "-p ${password} -v ${target}", &s, &d), 0);
        assert_string_equal(s, "-p ******** -v 1.4.3");
        free(s);
        s = expand_ok(vs, "-p ${password}");
        assert_string_equal(s, "-p hunter2");
        free(s);
}

struct refs {
        char   names[8][32];
        size_t offs[8];
        int    n;
};

static int
collect(void *ud, const char *name, size_t off)
{
        struct refs *r = ud;

        snprintf(r->names[r->n], sizeof r->names[0], "%s", name ? name : "(null)");
        r->offs[r->n++] = off;
        return strcmp(name ? name : "", "stop") == 0 ? 7 : 0;
}

static void
test_each_ref(void **state)
{
        struct refs r = {0};

        assert_int_equal(vars_each_ref("a ${x} $${y} ${z}b ${", collect, &r), 0);
        assert_int_equal(r.n, 3);
        assert_string_equal(r.names[0], "x");
        assert_int_equal(r.offs[0], 2);
        assert_string_equal(r.names[1], "z");
        assert_int_equal(r.offs[1], 13);
        assert_string_equal(r.names[2], "(null)");
        assert_int_equal(r.offs[2], 19);

        memset(&r, 0, sizeof r);
        assert_int_equal(vars_each_ref("${stop} ${later}", collect, &r), 7);
        assert_int_equal(r.n, 1);
}

static void
test_expand_env(void **state)
{
        struct vars *vs = *state;
        struct kvlist env = {0};
        struct strv out = {0};
        struct diag d = {0};

        kvlist_set(&env, "DIR", "${data_dir}");
        kvlist_set(&env, "PLAIN", "x");
        assert_int_equal(vars_expand_env(vs, &env, &out, &d), 0);
        assert_int_equal(out.n, 2);
        assert_string_equal(out.v[0], "DIR=/var/lib/x y");
        assert_string_equal(out.v[1], "PLAIN=x");
        kvlist_set(&env, "BAD", "${nope}");
        assert_int_equal(vars_expand_env(vs, &env, &out, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "nope"));
        strv_release(&out);
        kvlist_release(&env);
}

/* argv, env: and cwd: expanded; the plan's env first; a value never
 * splits an argv element. */
static void
test_cmd_argv(void **state)
{
        struct vars *vs = *state;
        struct cmd c = {0};
        struct kvlist base = {0};
        struct cmd_expanded x;
        struct diag d = {0};

        strv_push(&c.argv, "ls");
        strv_push(&c.argv, "${data_dir}");
        kvlist_set(&c.env, "T", "${target}");
        kvlist_set(&base, "P", "p-${target}");
        c.cwd = strdup("${data_dir}/sub");
        assert_int_equal(cmd_expand(&c, vs, &base, &x, &d), 0);
        assert_int_equal(x.argv.n, 2);
        assert_string_equal(x.argv.v[1], "/var/lib/x y");
        assert_null(x.shell);
        assert_int_equal(x.env.n, 2);
        assert_string_equal(x.env.v[0], "P=p-1.4.3");
        assert_string_equal(x.env.v[1], "T=1.4.3");
        assert_string_equal(x.cwd, "/var/lib/x y/sub");
        cmd_expanded_release(&x);

        strv_push(&c.argv, "${nope}");
        assert_int_equal(cmd_expand(&c, vs, NULL, &x, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "nope"));
        strv_release(&c.argv);
        kvlist_release(&c.env);
        kvlist_release(&base);
        free(c.cwd);
}

/* A shell: script is kept as written and gets every variable, before the
 * command's env:, through its environment. */
static void
test_cmd_shell(void **state)
{
        struct vars *vs = *state;
        struct cmd c = {0};
        struct cmd_expanded x;
        struct diag d = {0};

        c.shell = strdup("echo \"$target\" ${target}");
        kvlist_set(&c.env, "T", "${target}");
        assert_int_equal(cmd_expand(&c, vs, NULL, &x, &d), 0);
        assert_string_equal(x.shell, c.shell);
        assert_int_equal(x.argv.n, 0);
        assert_int_equal(x.env.n, vs->kv.n + 1);
        assert_string_equal(x.env.v[0], "target=1.4.3");
        assert_string_equal(x.env.v[x.env.n - 1], "T=1.4.3");
        cmd_expanded_release(&x);
        free(c.shell);
        kvlist_release(&c.env);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_substitute, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dollar, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unterminated, setup, teardown),
                cmocka_unit_test_setup_teardown(test_regex, setup, teardown),
                cmocka_unit_test_setup_teardown(test_masked, setup, teardown),
                cmocka_unit_test_setup_teardown(test_each_ref, setup, teardown),
                cmocka_unit_test_setup_teardown(test_expand_env, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cmd_argv, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cmd_shell, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
