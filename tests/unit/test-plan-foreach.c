/* test-plan-foreach.c: foreach: and undo: on commands and disconnect:
 * disable: as the plan loader reads them (lib/plan.h, lib/plan_cmd.c,
 * lib/plan_disable.c). */
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
        "  - {key: out, text: Out, default: /tmp}\n"            /* 6 */
        "detect:\n"                                             /* 7 */
        "  version: {run: [b, -V], match: '(\\d+\\.\\d+)'}\n"   /* 8 */
        "  facts:\n"                                            /* 9 */
        "    uids: {run: [b, ls], lines: true}\n"               /* 10 */
        "    count: {run: [b, count]}\n";                       /* 11 */

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
test_foreach_loads(void **state)
{
        struct plan *p = NULL;
        struct diag d = {0};

        assert_int_equal(load(state,
                              "stop:\n"
                              "  run:\n"
                              "    - {run: [b, export, '${item}', '${out}/${item}.csv'], foreach: uids}\n"
                              "    - [b, ls]\n"
                              "    - {shell: 'echo \"$item\"', foreach: uids, when: {answers: {out: /x}}}\n",
                              &p, &d), 0);
        assert_non_null(p);
        assert_int_equal(p->stop.run.n, 3);
        assert_string_equal(p->stop.run.v[0].foreach, "uids");
        assert_string_equal(p->stop.run.v[0].argv.v[2], "${item}");
        assert_string_equal(p->stop.run.v[0].argv.v[3], "${out}/${item}.csv");
        assert_null(p->stop.run.v[1].foreach);
        assert_string_equal(p->stop.run.v[2].foreach, "uids");
        assert_true(p->stop.run.v[2].when.set);
        plan_free(p);
}

static void
test_foreach_each_of_run_list(void **state)
{
        struct plan *p = NULL;
        struct diag d = {0};

        /* run: [[a], [b]] gives one command per list, each with foreach:. */
        assert_int_equal(load(state,
                              "migrate:\n"
                              "  - run:\n"
                              "      - run: [[b, import, '${item}'], [b, check, '${item}']]\n"
                              "        foreach: uids\n",
                              &p, &d), 0);
        assert_int_equal(p->migrate.n, 1);
        assert_int_equal(p->migrate.v[0].run.n, 2);
        assert_string_equal(p->migrate.v[0].run.v[0].foreach, "uids");
        assert_string_equal(p->migrate.v[0].run.v[1].foreach, "uids");
        plan_free(p);
}

static void
test_item_outside_foreach(void **state)
{
        /* in a plain argv command */
        expect_error(state, "stop:\n  run: [b, export, '${item}']\n", 13, 20,
                     "\"${item}\" is only set in a command with foreach:");
        /* in a command mapping without foreach: */
        expect_error(state, "stop:\n  run:\n    - {run: [b, '${item}']}\n", 14, 17,
                     "\"${item}\" is only set in a command with foreach:");
        /* in a check */
        expect_error(state, "verify:\n  checks:\n    - {run: [b, '${item}']}\n", 14, 17,
                     "\"${item}\" is only set");
        /* anywhere else: a checklist item */
        expect_error(state, "stop:\n  checklist: ['Stop ${item}']\n", 13, 15,
                     "\"${item}\" is only set");
        /* the other variables of a foreach: command are still checked */
        expect_error(state, "stop:\n  run:\n    - {run: [b, '${item}', '${uot}'], foreach: uids}\n",
                     14, 28, "unknown variable \"${uot}\" (did you mean \"${out}\"?)");
}

static void
test_foreach_errors(void **state)
{
        expect_error(state, "stop:\n  run:\n    - {run: [b], foreach: uid}\n", 14, 27,
                     "unknown fact \"uid\" (did you mean \"uids\"?)");
        expect_error(state, "stop:\n  run:\n    - {run: [b], foreach: count}\n", 14, 27,
                     "fact \"count\" is not captured with lines: true");
        expect_error(state, "stop:\n  run:\n    - {run: [b], foreach: [uids]}\n", 14, 27,
                     "expected the name of a fact");
        /* a single command (here a migration's probe) takes no foreach: */
        expect_error(state, "migrate:\n  - run: [b]\n    probe: {run: [b, '${item}'], foreach: uids}\n",
                     14, 43, "foreach: is only for a command in a list of commands");
        /* nor does a check */
        expect_error(state, "verify:\n  checks:\n    - {run: [b], foreach: uids}\n", 14, 18,
                     "unknown key \"foreach\" in a check");
}

static void
test_disable_loads(void **state)
{
        struct plan *p = NULL;
        struct diag d = {0};

        assert_int_equal(load(state,
                              "disconnect:\n"
                              "  disable:\n"
                              "    - systemd: 'kopia*.timer'\n"
                              "    - {crontab: '${out}/root', match: '\\bkopia\\b'}\n"
                              "    - {systemd: kopia-server.service, when: {answers: {out: /x}}}\n",
                              &p, &d), 0);
        assert_int_equal(p->disconnect.n_disable, 3);
        assert_int_equal(p->disconnect.disable[0].kind, DISABLE_SYSTEMD);
        assert_string_equal(p->disconnect.disable[0].unit, "kopia*.timer");
        assert_int_equal(p->disconnect.disable[1].kind, DISABLE_CRONTAB);
        assert_string_equal(p->disconnect.disable[1].file, "${out}/root");
        assert_string_equal(p->disconnect.disable[1].match, "\\bkopia\\b");
        assert_true(p->disconnect.disable[2].when.set);
        plan_free(p);
}

static void
test_disable_errors(void **state)
{
        expect_error(state, "disconnect:\n  disable: {systemd: x}\n", 13, 12,
                     "expected a list of things to disable");
        expect_error(state, "disconnect:\n  disable:\n    - {systemd: x, crontab: y, match: z}\n",
                     14, 7, "exactly one of systemd:");
        expect_error(state, "disconnect:\n  disable:\n    - {match: z}\n", 14, 7,
                     "exactly one of systemd:");
        expect_error(state, "disconnect:\n  disable:\n    - {crontab: /c}\n", 14, 7,
                     "missing required key \"match\" in a crontab: item");
        expect_error(state, "disconnect:\n  disable:\n    - {systemd: x, match: k}\n", 14, 27,
                     "match: is for crontab: items");
        expect_error(state, "disconnect:\n  disable:\n    - {crontab: /c, match: '(k'}\n", 14, 28,
                     "bad regular expression");
        expect_error(state, "disconnect:\n  disable:\n    - {systemd: 'a b'}\n", 14, 17,
                     "expected a systemd unit name");
        expect_error(state, "disconnect:\n  disable:\n    - {sytemd: x}\n", 14, 8,
                     "unknown key \"sytemd\" in a disable: item (did you mean \"systemd\"?)");
        expect_error(state, "disconnect:\n  disable:\n    - {crontab: '${uot}/c', match: k}\n",
                     14, 17, "unknown variable \"${uot}\"");
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
                              "    - run: [acl, lock, '${out}']\n"                     /* 14 */
                              "      undo: [acl, unlock, '${out}']\n"                  /* 15 */
                              "      env: {PGPASSWORD: '${out}'}\n"                      /* 16 */
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
        assert_string_equal(u->argv.v[2], "${out}");
        /* the command's env, cwd and timeout; its when: is the command's */
        assert_string_equal(kvlist_get(&u->env, "PGPASSWORD"), "${out}");
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
        expect_error(state, "verify:\n  checks:\n    - {run: [a], undo: [b]}\n", 14, 18,
                     "unknown key \"undo\" in a check");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_foreach_loads, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_foreach_each_of_run_list, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_item_outside_foreach, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_foreach_errors, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_disable_loads, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_disable_errors, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_undo_loads, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_undo_described, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_undo_errors, t_setup_dir, t_teardown_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
