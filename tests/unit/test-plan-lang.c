/* test-plan-lang.c: the plan language's additions of issue 14 (plan.h,
 * man/upshift-plan.5): version_scheme:, ${package_version}, facts as values, swap: packages:. */
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

#include "lib/hops.h"
#include "lib/plan.h"
#include "lib/plan_schema.h"
#include "steps/step.h"
#include "testlib.h"

#define BAD SRCDIR "/tests/data/bad-plans"

static const char head[] = "schema: 1\nid: t\ntitle: T\n";
static const char detect[] =
        "detect:\n"
        "  version: {run: [tool, --version], match: '(\\S+)'}\n";

/* Load head + detect + text from a file in dir; NULL with the message in d
 * when it does not load. */
static struct plan *
load_text(const char *dir, const char *text, struct diag *d)
{
        struct plan *p = NULL;
        char *path = xasprintf("%s/plan.yaml", dir);
        char *all = xasprintf("%s%s%s", head, detect, text);

        t_write_text(path, all);
        free(all);
        if (step_plan_load(path, &p, d) < 0)
                p = NULL;
        free(path);
        return p;
}

static struct plan *
load_ok(const char *dir, const char *text)
{
        struct diag d = {0};
        struct plan *p = load_text(dir, text, &d);

        if (p == NULL)
                fail_msg("%s", d.msg);
        return p;
}

/* A file of tests/data/bad-plans: its error is the one its first line
 * ("# expect: LINE:COL: REGEX") names; the regex is checked by
 * tests/integration/bad-input.sh, the position and words here. */
static void
expect_bad(const char *name, const char *where, const char *words)
{
        struct plan *p = NULL;
        struct diag d = {0};
        char *path = xasprintf("%s/%s", BAD, name), *want = xasprintf("%s:%s: ", path, where);

        assert_int_equal(step_plan_load(path, &p, &d), -EINVAL);
        assert_null(p);
        if (strncmp(d.msg, want, strlen(want)) != 0 || strstr(d.msg, words) == NULL)
                fail_msg("message \"%s\" is not \"%s...%s...\"", d.msg, want, words);
        free(path);
        free(want);
}

/* The hops from installed to target, joined by spaces, or "E<errno>",
 * must be want. */
static void
expect_path(const struct plan *p, const char *installed, const char *target, const char *want)
{
        struct strv v = {0};
        struct diag d = {0};
        int r = hops_compute(p, installed, target, &v, &d);
        char *got = r < 0 ? xasprintf("E%d", -r) : hops_join(&v);

        if (strcmp(got, want) != 0)
                fail_msg("%s -> %s: got \"%s\", want \"%s\" %s", installed, target, got, want,
                         d.msg);
        strv_release(&v);
        free(got);
}

static void
test_version_scheme(void **state)
{
        const char *dir = *state;
        struct plan *p = load_ok(dir, "version_scheme: debian\ntarget: 1.6.18-1+deb12u1\n"
                                      "path: {stops: [1.6.18-1]}\n"), *sem;

        assert_int_equal(p->version_scheme, VERSION_DEBIAN);
        /* A Debian security update is a target, with dpkg's ordering. */
        expect_path(p, "1.6.18-1", "1.6.18-1+deb12u1", "1.6.18-1+deb12u1");
        expect_path(p, "1.6.18", "1.6.18-1+deb12u1", "1.6.18-1 1.6.18-1+deb12u1");
        expect_path(p, "1.6.18-1+deb12u2", "1.6.18-1+deb12u1", "E33");  /* EDOM */
        expect_path(p, "1.6.17-2", "1.6.18~rc1", "1.6.18~rc1");
        plan_free(p);

        /* Without it: semantic, where the same target is older. */
        sem = load_ok(dir, "");
        assert_int_equal(sem->version_scheme, VERSION_SEMANTIC);
        expect_path(sem, "1.6.18", "1.6.18-1+deb12u1", "E33");
        plan_free(sem);

        p = load_ok(dir, "version_scheme: rpm\n");
        assert_int_equal(p->version_scheme, VERSION_RPM);
        expect_path(p, "2.4.57-5.el9", "2.4.57-8.el9", "2.4.57-8.el9");
        plan_free(p);
}

/* The path's stops are ordered by the plan's scheme. */
static void
test_version_scheme_stops(void **state)
{
        struct diag d = {0};
        struct plan *p = load_text(*state, "version_scheme: debian\n"
                                   "path: {stops: [1.6.18-1+deb12u1, 1.6.18]}\n", &d);

        assert_null(p);
        assert_non_null(strstr(d.msg, "plan.yaml:7:"));
        assert_non_null(strstr(d.msg, "increasing order"));
}

/* ${package_version} is a built-in variable. */
static void
test_package_version_var(void **state)
{
        struct plan *p = load_ok(*state,
                                 "  checks:\n"
                                 "    - {run: [echo, \"${package_version}\"], match: deb12u}\n");

        assert_int_equal(p->detect.n_checks, 1);
        plan_free(p);
}

/* reject:, stream:, at_least:, at_most:, differs:, within:, ${fact.NAME}. */
static void
test_fact_values(void **state)
{
        struct plan *p = load_ok(*state,
                                 "  facts:\n"
                  "    rows: {run: [count], reject: 'ERROR', stream: both}\n"
                  "    v: {run: [tool, -v], stream: stderr, match: 'v(\\S+)'}\n"
                  "migrate:\n"
                  "  - run: [echo, \"${fact.rows}\"]\n"
                  "verify:\n"
                  "  checks:\n"
                  "    - {same: rows, within: 5%}\n"
                  "    - {at_least: rows}\n"
                  "    - {at_most: rows}\n"
                  "    - {differs: v}\n"
                  "    - {same: v}\n"
                  "    - {same: rows, within: 0.5}\n");
        const struct check *ck = p->verify.checks;

        assert_string_equal(p->detect.facts[0].cmd.reject, "ERROR");
        assert_int_equal(p->detect.facts[0].cmd.stream, STREAM_BOTH);
        assert_int_equal(p->detect.facts[1].cmd.stream, STREAM_STDERR);
        assert_int_equal(p->detect.version.stream, STREAM_STDOUT);
        assert_int_equal(p->verify.n_checks, 6);
        assert_string_equal(ck[0].same, "rows");
        assert_int_equal(ck[0].cmp, FACT_SAME);
        assert_true(ck[0].within > 0.0499 && ck[0].within < 0.0501);
        assert_int_equal(ck[1].cmp, FACT_AT_LEAST);
        assert_string_equal(ck[1].same, "rows");
        assert_int_equal(ck[2].cmp, FACT_AT_MOST);
        assert_int_equal(ck[3].cmp, FACT_DIFFERS);
        assert_string_equal(ck[3].same, "v");
        assert_int_equal(ck[4].cmp, FACT_SAME);
        assert_true(ck[4].within == 0);
        assert_true(ck[5].within > 0.499 && ck[5].within < 0.501);
        plan_free(p);
}

/* shell: scripts: ${...} is the shell's, $fact_NAME a declared fact. */
static void
test_shell(void **state)
{
        struct plan *p = load_ok(*state,
                                 "  facts:\n"
                                 "    rows: {shell: 'echo ${HOME%/*} $$'}\n"
                                 "  checks:\n"
                                 "    - shell: 'test \"${user%@*}\" = \"$fact_rows\" || echo ${nope:-x}'\n"
                                 "ask:\n  - {key: user, text: U}\n");

        assert_string_equal(p->detect.checks[0].cmd->shell,
                            "test \"${user%@*}\" = \"$fact_rows\" || echo ${nope:-x}");
        plan_free(p);
}

/* migrate: changes_data: */
static void
test_changes_data(void **state)
{
        struct plan *p = load_ok(*state,
                                 "migrate:\n"
                                 "  - {run: [app, check-config], changes_data: false}\n"
                                 "  - {run: [app, migrate], changes_data: true}\n"
                                 "  - {run: [app, reindex]}\n");

        assert_int_equal(p->migrate.n, 3);
        assert_true(p->migrate.v[0].keeps_data);
        assert_false(p->migrate.v[1].keeps_data);
        assert_false(p->migrate.v[2].keeps_data);
        plan_free(p);
}

/* changes_data: false on a check with a command (a configuration test):
 * accepted in detect and verify; what every check is. */
static void
test_check_changes_data(void **state)
{
        struct plan *p = load_ok(*state,
                                 "  checks:\n"
                                 "    - {run: [nginx, -t], changes_data: false}\n"
                                 "verify:\n"
                                 "  checks:\n"
                                 "    - {shell: 'app check', changes_data: false, warn: w}\n");

        assert_int_equal(p->detect.n_checks, 1);
        assert_non_null(p->detect.checks[0].cmd);
        assert_int_equal(p->verify.n_checks, 1);
        assert_string_equal(p->verify.checks[0].warn, "w");
        plan_free(p);
}

/* keys: joined with " " (keys is freed). */
static char *
keys_text(const char **keys)
{
        size_t n = 0;
        char *s;

        while (keys[n])
                n++;
        s = strv_join((char *const *)keys, n, " ");
        free(keys);
        return s;
}

/* The command keys of commands, checks, facts and ready: come from one
 * table (pcmd_keys()), each list as it was when they were four; reject:
 * and stream: read a command's output, so beside http: they are refused. */
static void
test_cmd_keys(void **state)
{
        static const char *const check_own[] = { "same", "fail", "warn", "when", NULL };
        static const struct {
                unsigned in, not_in;
                const char *const *own;
                const char *want;
        } t[] = {
                { 0, 0, NULL, "run shell env cwd timeout match ignore lines may_fail when "
                              "reject stream foreach undo" },
                { PCMD_IN_CHECK, 0, check_own, "run shell env cwd timeout match ignore lines "
                                               "may_fail same fail warn when reject stream" },
                { PCMD_IN_CHECK, PCMD_IN_RUN, NULL, "env cwd timeout match ignore lines "
                                                    "may_fail reject stream" },
                { PCMD_IN_FACT, 0, NULL, "run shell env cwd timeout match ignore lines "
                                         "may_fail when reject stream" },
                { PCMD_IN_READY, 0, NULL, "run shell env cwd match ignore reject stream" },
                { PCMD_IN_READY, PCMD_IN_HTTP | PCMD_IN_RUN, NULL, "env cwd ignore reject stream" },
        };
        struct diag d = {0};

        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                char *got = keys_text(pcmd_keys(t[i].in, t[i].not_in, t[i].own));

                assert_string_equal(got, t[i].want);
                free(got);
        }
        /* Equally close to same: and stream:, a check's own key first. */
        assert_null(load_text(*state, "verify:\n  checks:\n    - {seam: x}\n", &d));
        assert_non_null(strstr(d.msg, "(did you mean \"same\"?)"));
        /* In a fact and in a ready:, the command's keys are checked. */
        assert_null(load_text(*state, "  facts:\n    n: {run: [a], coutns: true}\n", &d));
        assert_non_null(strstr(d.msg, "(did you mean \"counts\"?)"));
        assert_null(load_text(*state, "verify:\n  ready: {http: 'http://h/', env: {A: b}}\n",
                              &d));
        assert_non_null(strstr(d.msg, "env: needs run: or shell: in the same ready"));
        diag_clear(&d);
}

/* disconnect: before_drain:, on_timeout: (kept by the module; what
 * upshift plan shows of them: tests/integration/disconnect-options.sh) */
static void
test_disconnect(void **state)
{
        plan_free(load_ok(*state, "disconnect:\n"
                                  "  before_drain: [[usermod, -L, app]]\n"
                                  "  clients: [list-clients]\n"
                                  "  on_timeout: continue\n"));
}

/* swap: packages: every package with its own file, SHA-256 and files, the
 * files in the packages' order; the package: form is one package. */
static void
test_swap_packages(void **state)
{
        const char *dir = *state;
        struct plan *p = load_ok(dir,
                "swap:\n"
                "  packages:\n"
                "    server:\n"
                "      package: /p/server.deb\n"
                "      sha256: \"${target}\"\n"
                "      files:\n"
                "        usr/lib/srv/: /opt/srv/\n"
                "        usr/bin/srv: /usr/bin/srv\n"
                "    client:\n"
                "      package: /p/client.deb\n"
                "      files: {usr/bin/cli: /usr/bin/cli}\n");

        assert_int_equal(p->swap.n_pkgs, 2);
        assert_string_equal(p->swap.pkgs[0].name, "server");
        assert_string_equal(p->swap.pkgs[0].package, "/p/server.deb");
        assert_string_equal(p->swap.pkgs[0].sha256, "${target}");
        assert_int_equal(p->swap.pkgs[0].first, 0);
        assert_int_equal(p->swap.pkgs[0].n_files, 2);
        assert_string_equal(p->swap.pkgs[1].name, "client");
        assert_null(p->swap.pkgs[1].sha256);
        assert_int_equal(p->swap.pkgs[1].first, 2);
        assert_int_equal(p->swap.pkgs[1].n_files, 1);
        assert_int_equal(p->swap.n_files, 3);
        assert_true(p->swap.files[0].dir);
        assert_int_equal(p->swap.files[1].pkg, 0);
        assert_int_equal(p->swap.files[2].pkg, 1);
        assert_string_equal(p->swap.files[2].target, "/usr/bin/cli");
        /* swap.package is the first package's: there is a package to stage. */
        assert_ptr_equal(p->swap.package, p->swap.pkgs[0].package);
        plan_free(p);

        p = load_ok(dir, "swap:\n  package: /p/one.deb\n  files: {usr/bin/x: /usr/bin/x}\n");
        assert_int_equal(p->swap.n_pkgs, 1);
        assert_null(p->swap.pkgs[0].name);
        assert_int_equal(p->swap.pkgs[0].n_files, 1);
        assert_string_equal(p->swap.package, "/p/one.deb");
        plan_free(p);

        /* An installer only: no package. */
        p = load_ok(dir, "swap:\n  run: [installer]\n");
        assert_int_equal(p->swap.n_pkgs, 0);
        assert_null(p->swap.package);
        plan_free(p);
}

/* Each misuse of tests/data/bad-plans: its file, position and words. */
static void
test_bad_plans(void **state)
{
        static const struct {
                const char *file, *where, *words;
        } t[] = {
                { "version-scheme.yaml", "5:17", "unknown version scheme \"dpkg\"" },
                { "bad-stream.yaml", "11:45", "unknown stream \"stdio\"" },
                { "within-without-same.yaml", "13:32", "within: needs same:" },
                { "bad-within.yaml", "13:28", "bad within: \"five\"" },
                { "two-compares.yaml", "13:30", "compares one way: same: or at_least:" },
                { "unknown-fact-var.yaml", "12:43", "unknown fact \"kyes\"" },
                { "shell-fact-dot.yaml", "13:16", "write \"$fact_keys\"" },
                { "shell-unknown-fact.yaml", "13:16", "unknown fact \"kyes\"" },
                { "changes-data-ponr.yaml", "9:19", "cannot have a point_of_no_return:" },
                { "changes-data-not-bool.yaml", "9:19", "expected true or false" },
                { "on-timeout-unknown.yaml", "9:15", "unknown on_timeout \"maybe\"" },
                { "on-timeout-without-clients.yaml", "9:15", "needs clients:" },
                { "swap-packages-and-package.yaml", "11:3", "swap has package: beside packages:" },
                { "swap-package-without-files.yaml", "18:7", "missing required key \"files\"" },
                { "swap-packages-duplicate.yaml", "17:5", "duplicate key \"tool\"" },
                { "swap-packages-same-target.yaml", "21:32",
                  "is a target of package \"tool\" already (line 17)" },
                { "swap-packages-inside-dir.yaml", "21:29",
                  "is below \"/opt/tool/\", which package \"tool\" maps as a directory (line 16)" },
                { "swap-packages-dir-over-target.yaml", "21:26",
                  "holds \"/opt/tool/bin/tool\", a target of package \"tool\" (line 16)" },
                { "hot-without-reload.yaml", "10:8", "hot: true needs reload:" },
                { "reload-without-hot.yaml", "10:11", "reload: is for a hot swap" },
                { "check-changes-data-true.yaml", "9:21",
                  "a check's command cannot change data" },
                { "check-changes-data-without-run.yaml", "12:21",
                  "changes_data: needs run: or shell: in the same check" },
                { "at-least-not-a-fact.yaml", "14:18", "expected the name of a fact" },
                { "within-not-a-percentage.yaml", "14:28", "expected a percentage such as 5%" },
                { "reject-bad-regex.yaml", "11:35", "bad regular expression" },
                { "shell-not-a-string.yaml", "11:14", "expected a string, not a list" },
                { "ready-url-not-http.yaml", "16:11", "expected an http:// or https:// URL" },
                { "ready-env-with-http.yaml", "17:10", "env: needs run: or shell: in the same" },
                { "ready-reject-with-http.yaml", "17:13", "reject: needs run: or shell: in the same" },
                { "ready-http-and-run.yaml", "16:5", "ready: takes exactly one of" },
                { "before-drain-not-commands.yaml", "11:17", "expected a list of commands" },
                { "swap-packages-not-a-mapping.yaml", "11:13",
                  "expected a mapping of package names" },
                { "swap-package-not-a-mapping.yaml", "12:11",
                  "expected a mapping with package:, sha256: and files:" },
                { "swap-package-bad-sha256.yaml", "14:15", "expected 64 hexadecimal digits" },
        };

        (void)state;
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
                expect_bad(t[i].file, t[i].where, t[i].words);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_plans),
                cmocka_unit_test_setup_teardown(test_version_scheme, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_version_scheme_stops, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_package_version_var, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_fact_values, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_shell, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_changes_data, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_disconnect, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_cmd_keys, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_check_changes_data, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_swap_packages, t_setup_dir,
                                                t_teardown_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
