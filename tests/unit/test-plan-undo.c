/* test-plan-undo.c: undo: beside run: in a list of commands, as the plan
 * loader reads it (lib/plan.h, lib/plan_cmd.c). */
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

#include "lib/plan.h"
#include "steps/describe.h"
#include "steps/step.h"
#include "testlib.h"

static const char head[] =
        "schema: 1\n"                                           /* 1 */
        "id: t\n"                                               /* 2 */
        "title: T\n"                                            /* 3 */
        "target: 2.0.0\n"                                       /* 4 */
        "ask:\n"                                                /* 5 */
        "  - {key: user, text: User, default: app}\n"           /* 6 */
        "  - {key: pw, text: Password, type: secret}\n"         /* 7 */
        "detect:\n"                                             /* 8 */
        "  version: {run: [b, -V], match: '(\\d+\\.\\d+)'}\n"   /* 9 */
        "  facts:\n"                                            /* 10 */
        "    uids: {run: [b, ls], lines: true}\n";              /* 11 */

/* Load head + text from a file in the test's directory. */
static int
load(void **state, const char *text, struct plan **ret, struct diag *d)
{
        char *path = NULL, *all = NULL;
        int r;

        assert_true(asprintf(&path, "%s/p.yaml", (char *)*state) > 0);
        assert_true(asprintf(&all, "%s%s", head, text) > 0);
        t_write_text(path, all);
        r = step_plan_load(path, ret, d);
        free(all);
        free(path);
        return r;
}

/* The error is at line:col and holds want. */
static void
expect_error(void **state, const char *text, unsigned line, unsigned col, const char *want)
{
        struct plan *p = NULL;
        struct diag d = {0};
        char at[64];

        assert_int_equal(load(state, text, &p, &d), -EINVAL);
        assert_null(p);
        snprintf(at, sizeof at, "p.yaml:%u:%u: ", line, col);
        if (strstr(d.msg, at) == NULL)
                fail_msg("message \"%s\" is not at %s", d.msg, at);
        if (strstr(d.msg, want) == NULL)
                fail_msg("message \"%s\" lacks \"%s\"", d.msg, want);
}

static void
test_undo_loads(void **state)
{
        struct plan *p = NULL;
        struct diag d = {0};
        const struct cmd *c, *u;

        assert_int_equal(load(state,
                              "disconnect:\n"                                           /* 12 */
                              "  run:\n"                                                /* 13 */
                              "    - run: [acl, lock, '${user}']\n"                     /* 14 */
                              "      undo: [acl, unlock, '${user}']\n"                  /* 15 */
                              "      env: {PGPASSWORD: '${pw}'}\n"                      /* 16 */
                              "      cwd: /srv\n"                                       /* 17 */
                              "      timeout: 5s\n"                                     /* 18 */
                              "      when: {version: '>=1.0'}\n"                        /* 19 */
                              "    - [b, pause]\n"                                      /* 20 */
                              "stop:\n"                                                 /* 21 */
                              "  run: {run: [b, drain], undo: [b, undrain]}\n",         /* 22 */
                              &p, &d), 0);
        assert_non_null(p);
        assert_int_equal(p->disconnect.run.n, 2);
        c = &p->disconnect.run.v[0];
        u = c->undo;
        assert_non_null(u);
        assert_int_equal(u->argv.n, 3);
        assert_string_equal(u->argv.v[0], "acl");
        assert_string_equal(u->argv.v[1], "unlock");
        assert_string_equal(u->argv.v[2], "${user}");
        /* the command's env, cwd and timeout; its when: is the command's */
        assert_string_equal(kvlist_get(&u->env, "PGPASSWORD"), "${pw}");
        assert_string_equal(u->cwd, "/srv");
        assert_int_equal(u->timeout_ms, 5000);
        assert_false(u->when.set);
        assert_true(c->when.set);
        assert_int_equal(u->pos.line, 15);
        assert_int_equal(u->pos.col, 13);
        assert_null(p->disconnect.run.v[1].undo);
        assert_non_null(p->stop.run.v[0].undo);
        assert_string_equal(p->stop.run.v[0].undo->argv.v[1], "undrain");
        /* found by where it is in the plan (the journal names it so) */
        assert_ptr_equal(plan_undo_at(p, 15, 13), u);
        assert_ptr_equal(plan_undo_at(p, 22, 32), p->stop.run.v[0].undo);
        assert_null(plan_undo_at(p, 14, 13));
        plan_free(p);
}

/* upshift plan shows each undo below its command. */
static void
test_undo_described(void **state)
{
        struct plan *p = NULL;
        struct diag d = {0};
        struct vars vars = {0};
        struct step_describe s = { .vars = &vars };
        char *text = NULL;
        size_t n = 0;

        assert_int_equal(load(state,
                              "disconnect:\n"
                              "  run:\n"
                              "    - {run: [acl, lock, app], undo: [acl, unlock, app]}\n",
                              &p, &d), 0);
        s.p = p;
        s.out = open_memstream(&text, &n);
        assert_non_null(s.out);
        describe_step(&s, STEP_DISCONNECT);
        fclose(s.out);
        if (strstr(text, "$ acl lock app\n      undone by rollback with: $ acl unlock app\n") == NULL)
                fail_msg("upshift plan shows:\n%s", text);
        free(text);
        vars_release(&vars);
        plan_free(p);
}

static void
test_undo_errors(void **state)
{
        expect_error(state, "disconnect:\n  run:\n    - {run: [a], undo: b}\n", 14, 24,
                     "expected a list of strings");
        expect_error(state, "disconnect:\n  run:\n    - {shell: 'a', undo: [b]}\n", 14, 26,
                     "undo: goes beside run:");
        expect_error(state, "disconnect:\n  run:\n    - {run: [[a], [c]], undo: [b]}\n", 14, 31,
                     "undo: reverts one command");
        expect_error(state, "disconnect:\n  run:\n    - {run: [a, '${item}'], foreach: uids, undo: [b]}\n",
                     14, 50, "undo: cannot be used with foreach:");
        expect_error(state, "disconnect:\n  run:\n    - {run: [a], undo: []}\n", 14, 24,
                     "a command needs at least the program");
        expect_error(state, "disconnect:\n  run:\n    - {run: [a], undo: [b, '${usr}']}\n", 14, 28,
                     "unknown variable \"${usr}\"");
        expect_error(state, "disconnect:\n  clients: {run: [a], undo: [b]}\n", 13, 29,
                     "undo: is only for a command in a list of commands");
        expect_error(state, "disconnect:\n  run:\n    - {run: [a], undo: [b, '${pw}']}\n", 14, 28,
                     "secret");
        expect_error(state, "verify:\n  checks:\n    - {run: [a], undo: [b]}\n", 14, 18,
                     "unknown key \"undo\" in a check");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_undo_loads, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_undo_described, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_undo_errors, t_setup_dir, t_teardown_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
