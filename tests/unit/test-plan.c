/* test-plan.c: loading plans (plan.h). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/plan.h"
#include "steps/describe.h"
#include "steps/step.h"
#include "testlib.h"

#define DATA SRCDIR "/tests/data/plans"

struct tmp {
        char *dir;              /* t_mkdtemp() */
        char file[96];
};

static int
setup(void **state)
{
        struct tmp *t = calloc(1, sizeof *t);

        t->dir = t_mkdtemp("plan");
        if (t->dir == NULL)
                return -1;
        snprintf(t->file, sizeof t->file, "%s/bad.yaml", t->dir);
        *state = t;
        return 0;
}

static int
teardown(void **state)
{
        struct tmp *t = *state;

        if (t_rm_rf(t->dir) != 0)
                return -1;
        free(t->dir);
        free(t);
        return 0;
}

static const char head[] = "schema: 1\nid: t\ntitle: T\n";

/* Load text (after the usual head when with_head) and expect an error at
 * line:col whose message holds every string in words (NULL-terminated). */
static void
expect_error(struct tmp *t, bool with_head, const char *text, unsigned line,
             unsigned col, ...)
{
        struct plan *p = NULL;
        struct diag d = {0};
        char prefix[160], *all;
        const char *w;
        va_list ap;

        all = malloc(strlen(head) + strlen(text) + 1);
        strcpy(all, with_head ? head : "");
        strcat(all, text);
        t_write_text(t->file, all);
        free(all);
        assert_int_equal(step_plan_load(t->file, &p, &d), -EINVAL);
        assert_null(p);
        snprintf(prefix, sizeof prefix, "%s:%u:%u: ", t->file, line, col);
        if (strncmp(d.msg, prefix, strlen(prefix)) != 0)
                fail_msg("message \"%s\" does not start with \"%s\"", d.msg, prefix);
        va_start(ap, col);
        while ((w = va_arg(ap, const char *)) != NULL)
                if (strstr(d.msg, w) == NULL)
                        fail_msg("message \"%s\" lacks \"%s\"", d.msg, w);
        va_end(ap);
}

static struct plan *
load_ok(const char *path)
{
        struct plan *p = NULL;
        struct diag d = {0};

        if (step_plan_load(path, &p, &d) != 0)
                fail_msg("%s", d.msg);
        return p;
}

/* What upshift plan shows for step id of p, with no variables set. */
static char *
describe(const struct plan *p, enum step_id id)
{
        struct vars vars = {0};
        struct step_describe s = { .p = p, .vars = &vars };
        char *text = NULL;
        size_t n = 0;

        s.out = open_memstream(&text, &n);
        assert_non_null(s.out);
        describe_step(&s, id);
        fclose(s.out);
        vars_release(&vars);
        return text;
}

static void
test_full(void **state)
{
        struct plan *p = load_ok(DATA "/full.yaml");
        char *text;
        const struct question *q;
        const struct cmd *c;

        assert_string_equal(p->file, DATA "/full.yaml");
        assert_int_equal(p->schema, 1);
        assert_string_equal(p->id, "full-test");
        assert_string_equal(p->title, "Full test service");
        assert_string_equal(p->description, "A made-up service used by the unit tests.\n");
        assert_string_equal(p->target, "2.1.0");
        assert_string_equal(p->min_version, "1.0");
        assert_int_equal(p->path_stops.n, 2);
        assert_string_equal(p->path_stops.v[1], "2.0.0");
        assert_string_equal(kvlist_get(&p->env, "LC_ALL"), "C");
        assert_string_equal(kvlist_get(&p->env, "FULL_HOME"), "${data_dir}");

        /* Questions: ask: first, then checklist items in step order. */
        assert_int_equal(p->n_ask, 12);
        q = plan_question(p, "package");
        assert_int_equal(q->type, Q_FILE);
        assert_true(q->required);
        assert_null(q->def);
        assert_string_equal(q->help, "The .tar.gz from the vendor.");
        assert_int_equal(q->step, STEP_NONE);
        assert_int_equal(q->pos.line, 16);
        assert_int_equal(q->pos.col, 5);
        q = plan_question(p, "package_sha256");
        assert_int_equal(q->type, Q_SHA256);
        assert_false(q->required);
        q = plan_question(p, "data_dir");
        assert_string_equal(q->def, "/var/lib/full");
        assert_false(q->required);
        assert_string_equal(plan_question(p, "port")->def, "7000");
        q = plan_question(p, "mode");
        assert_int_equal(q->type, Q_CHOICE);
        assert_int_equal(q->choices.n, 2);
        assert_string_equal(q->choices.v[0], "fast");
        assert_string_equal(plan_question(p, "use_tls")->def, "yes");
        assert_int_equal(plan_question(p, "admin_password")->type, Q_SECRET);
        assert_null(plan_question(p, "nope"));

        assert_string_equal(p->ask[8].key, "detect_check_1");
        assert_int_equal(p->ask[8].type, Q_CONFIRM);
        assert_true(p->ask[8].required);
        assert_int_equal(p->ask[8].step, STEP_DETECT);
        assert_string_equal(p->ask[8].text, "Nobody else is upgrading this server");
        assert_string_equal(p->ask[9].key, "backups_ok");
        assert_string_equal(p->ask[10].key, "disconnect_check_1");
        assert_int_equal(p->ask[10].step, STEP_DISCONNECT);
        assert_string_equal(p->ask[11].key, "reconnect_check_1");
        assert_int_equal(p->step[STEP_DETECT].checklist_keys.n, 2);
        assert_string_equal(p->step[STEP_DETECT].checklist_keys.v[1], "backups_ok");
        assert_string_equal(p->step[STEP_DISCONNECT].checklist_keys.v[0],
                            "disconnect_check_1");

        /* Service. */
        assert_int_equal(p->service.manager, SVC_FROM_VAR);
        assert_string_equal(p->service.manager_var, "${manager}");
        assert_string_equal(p->service.name, "full");
        assert_string_equal(p->service.pidfile, "/run/full.pid");
        assert_string_equal(p->service.port, "${port}");
        assert_int_equal(p->service.timeout_ms, 90000);
        assert_int_equal(p->service.stop->argv.n, 4);
        assert_string_equal(p->service.stop->argv.v[2], "${port}");
        assert_null(p->service.start);

        /* Steps present. */
        for (int i = 0; i < STEP_COUNT; i++)
                assert_true(p->step[i].present);

        /* Detect. */
        c = &p->detect.version;
        assert_int_equal(c->argv.n, 2);
        assert_string_equal(c->argv.v[0], "full-server");
        assert_string_equal(c->match, "^full v(\\d+\\.\\d+\\.\\d+)");
        assert_int_equal(c->timeout_ms, 5000);
        assert_int_equal(p->detect.n_facts, 2);
        assert_string_equal(p->detect.facts[0].name, "keys");
        assert_string_equal(p->detect.facts[0].cmd.shell, "full-cli keys | sort");
        assert_int_equal(p->detect.facts[0].cmd.argv.n, 0);
        assert_true(p->detect.facts[0].cmd.lines);
        assert_string_equal(p->detect.facts[0].cmd.ignore, "^_");
        assert_string_equal(p->detect.facts[1].cmd.match, "role:(\\w+)");
        assert_int_equal(p->detect.n_checks, 2);
        assert_true(p->detect.checks[0].when.set);
        assert_true(vrange_match(p->detect.checks[0].when.version, "0.9"));
        assert_false(vrange_match(p->detect.checks[0].when.version, "1.0"));
        assert_null(p->detect.checks[0].cmd);
        assert_string_equal(p->detect.checks[0].fail, "Upgrade to 1.0 first.");
        assert_string_equal(p->detect.checks[1].cmd->match, "PONG");
        assert_string_equal(p->detect.checks[1].warn, "no answer to ping");

        /* Backup. */
        assert_int_equal(p->backup.paths.n, 2);
        assert_string_equal(p->backup.paths.v[0], "${data_dir}");
        assert_int_equal(p->backup.before.n, 2);
        assert_true(p->backup.before.v[0].when.set);
        assert_string_equal(vrange_text(p->backup.before.v[0].when.version), ">=0.10 <0.12");
        assert_string_equal(p->backup.before.v[0].argv.v[2], "${backup_dir}/dump");
        assert_string_equal(p->backup.before.v[1].argv.v[0], "sync");
        assert_false(p->backup.before.v[1].when.set);
        assert_true(p->backup.cold);
        assert_string_equal(p->backup.compression, "gzip");
        assert_int_equal(p->backup.level, 6);

        /* Disconnect. */
        assert_true(p->disconnect.clients->lines);
        assert_int_equal(p->disconnect.drain_ms, 10000);
        assert_int_equal(p->disconnect.kick.n, 1);
        assert_int_equal(p->disconnect.kick.v[0].argv.n, 3);
        assert_int_equal(p->disconnect.timeout_ms, 45000);
        assert_string_equal(p->step[STEP_DISCONNECT].confirm,
                            "Clients will see errors until reconnect.");

        /* Stop given as null: present, nothing to run. */
        assert_int_equal(p->stop.run.n, 0);

        /* Swap. */
        assert_string_equal(p->swap.package, "${package}");
        assert_string_equal(p->swap.sha256, "${package_sha256}");
        assert_int_equal(p->swap.n_files, 2);
        assert_string_equal(p->swap.files[1].member, "usr/bin/full-cli");
        assert_string_equal(p->swap.files[1].target, "/usr/local/bin/full-cli");
        assert_true(p->swap.allow_setid);
        assert_int_equal(p->swap.max_bytes, 512ull << 20);

        /* Migrate, mapping form. */
        assert_int_equal(p->migrate.n, 2);
        assert_int_equal(p->migrate.v[0].run.n, 2);
        assert_string_equal(p->migrate.v[0].run.v[1].argv.v[2], "full:full");
        assert_true(vrange_match(p->migrate.v[0].when.target, "2.1.0"));
        assert_string_equal(p->migrate.v[0].point_of_no_return,
                            "1.x cannot read ${data_dir} after this.");
        assert_true(p->migrate.v[0].probe->may_fail);
        assert_string_equal(kvlist_get(&p->migrate.v[1].when.facts, "role"), "^master$");
        assert_string_equal(kvlist_get(&p->migrate.v[1].when.answers, "mode"), "safe");
        assert_int_equal(p->migrate.v[1].run.n, 1);
        assert_false(p->migrate.v[0].online);
        assert_true(p->migrate.v[1].online);
        assert_string_equal(p->step[STEP_MIGRATE].confirm, "The data format changes.");

        /* Verify. */
        assert_string_equal(p->verify.ready.cmd->argv.v[1], "ping");
        assert_int_equal(p->verify.ready.timeout_ms, 120000);
        assert_int_equal(p->verify.ready.interval_ms, 250);
        assert_int_equal(p->verify.ready.cmd->timeout_ms, 0);
        assert_int_equal(p->verify.n_checks, 3);
        assert_string_equal(p->verify.checks[0].cmd->match, "^full v${target}$");
        assert_string_equal(p->verify.checks[1].same, "keys");
        assert_string_equal(p->verify.checks[2].cmd->shell, "full-cli --tls ping");
        assert_string_equal(kvlist_get(&p->verify.checks[2].cmd->env, "TLS"), "1");
        assert_string_equal(p->verify.checks[2].cmd->cwd, "/tmp");
        assert_true(p->verify.checks[2].cmd->may_fail);
        assert_true(p->verify.checks[2].when.set);
        assert_false(p->verify.checks[2].cmd->when.set);

        /* Reconnect (its own data, seen through its describe): a mapping
         * whose run: holds two argvs gives two commands. */
        text = describe(p, STEP_RECONNECT);
        assert_non_null(strstr(text, "      $ full-cli resume   (timeout 30s)\n"
                                     "      $ full-cli info   (timeout 30s)\n"));
        free(text);
        plan_free(p);
}

static void
test_list_forms(void **state)
{
        struct plan *p = load_ok(DATA "/list-migrate.yaml");

        assert_int_equal(p->service.manager, SVC_SYSTEMD);
        assert_string_equal(p->service.name, "list-migrate.service");
        assert_int_equal(p->service.timeout_ms, 60000);
        assert_int_equal(p->migrate.n, 2);
        assert_int_equal(p->migrate.v[0].run.n, 1);
        assert_string_equal(p->migrate.v[0].run.v[0].argv.v[1], "${dir}");
        assert_false(p->migrate.v[0].when.set);
        assert_string_equal(p->migrate.v[1].run.v[0].shell, "two && three");
        assert_true(vrange_match(p->migrate.v[1].when.version, "0.4"));
        assert_false(vrange_match(p->migrate.v[1].when.version, "0.7"));
        assert_true(p->step[STEP_STOP].present);
        assert_false(p->step[STEP_DETECT].present);
        assert_false(p->step[STEP_BACKUP].present);
        assert_string_equal(p->backup.compression, "zstd");
        assert_int_equal(p->disconnect.timeout_ms, 30000);
        assert_int_equal(p->verify.ready.timeout_ms, 60000);
        assert_int_equal(p->verify.ready.interval_ms, 0);      /* adaptive */
        assert_int_equal(p->swap.run.n, 2);
        assert_string_equal(p->swap.run.v[0].argv.v[2], "/usr");
        assert_string_equal(p->swap.run.v[1].argv.v[0], "ldconfig");
        assert_int_equal(p->swap.n_files, 0);
        assert_int_equal(p->n_ask, 1);
        plan_free(p);
}

/* reconnect: message: is read, checked for variables and shown by upshift plan. */
static void
test_reconnect_message(void **state)
{
        struct tmp *t = *state;
        struct plan *p;
        char *text;

        t_write_text(t->file, "schema: 1\nid: t\ntitle: T\n"
                              "reconnect:\n  message: \"tell ops: ${target} is up\"\n");
        p = load_ok(t->file);
        text = describe(p, STEP_RECONNECT);
        assert_non_null(strstr(text, "\n      then say: tell ops: ${target} is up\n"));
        free(text);
        plan_free(p);

        expect_error(t, true, "reconnect:\n  message: [a, b]\n", 5, 12,
                     "expected a string", NULL);
        expect_error(t, true, "reconnect:\n  message: \"${tagret} is up\"\n", 5, 12,
                     "unknown variable \"${tagret}\"", "did you mean \"${target}\"", NULL);
        expect_error(t, true, "reconnect:\n  mesage: hi\n", 5, 3,
                     "unknown key \"mesage\" in reconnect", "did you mean \"message\"", NULL);
}

static void
test_fact_counts(void **state)
{
        struct tmp *t = *state;
        struct plan *p;

        t_write_text(t->file, "schema: 1\nid: t\ntitle: T\n"
                              "detect:\n  version: {run: [x], match: '(.*)'}\n"
                              "  facts:\n    keys: {run: [count], match: '(\\d+)', counts: true}\n"
                              "    digest: [digest]\n");
        p = load_ok(t->file);
        assert_int_equal(p->detect.n_facts, 2);
        assert_true(p->detect.facts[0].counts);
        assert_string_equal(p->detect.facts[0].cmd.match, "(\\d+)");
        assert_false(p->detect.facts[1].counts);
        plan_free(p);

        expect_error(t, true, "detect:\n  version: {run: [x], match: '(.*)'}\n"
                              "  facts:\n    keys: {run: [count], counts: 2}\n",
                     7, 34, "expected true or false", NULL);
        expect_error(t, true, "detect:\n  version: {run: [x], match: '(.*)'}\n"
                              "  facts:\n    keys: {run: [count], cuonts: true}\n",
                     7, 26, "unknown key \"cuonts\" in a fact", "(did you mean \"counts\"?)",
                     NULL);
}

static void
test_backup_restore_on_rollback(void **state)
{
        struct tmp *t = *state;
        struct plan *p;
        char *text;

        t_write_text(t->file, "schema: 1\nid: t\ntitle: T\n"
                              "backup:\n  paths: [/var/lib/t]\n");
        p = load_ok(t->file);
        assert_false(p->backup.keep_data);
        plan_free(p);
        t_write_text(t->file, "schema: 1\nid: t\ntitle: T\n"
                              "backup:\n  paths: [/var/lib/t]\n  restore_on_rollback: false\n");
        p = load_ok(t->file);
        assert_true(p->backup.keep_data);
        text = describe(p, STEP_BACKUP);
        assert_non_null(strstr(text, "a rollback keeps the data written since the upgrade"));
        free(text);
        plan_free(p);

        expect_error(t, true, "backup:\n  restore_on_rollback: sometimes\n", 5, 24,
                     "expected true or false", NULL);
}

static void
test_qtype_names(void **state)
{
        assert_string_equal(qtype_name(Q_FILE), "file");
        assert_string_equal(qtype_name(Q_CONFIRM), "confirm");
        assert_int_equal(qtype_from_name("sha256"), Q_SHA256);
        assert_int_equal(qtype_from_name("yesno"), Q_YESNO);
        assert_int_equal(qtype_from_name("bool"), -1);
}

static void
test_err_unknown_key(void **state)
{
        expect_error(*state, true, "detect:\n  version: {run: [x], mtach: 'v(.*)'}\n",
                     5, 23, "unknown key \"mtach\" in a command",
                     "(did you mean \"match\"?)", NULL);
        expect_error(*state, true, "zzzzzz: 1\n", 4, 1, "unknown key \"zzzzzz\" in the plan",
                     "(expected one of: schema, id, title", NULL);
        expect_error(*state, true, "backup: {pahts: [/x]}\n", 4, 10,
                     "unknown key \"pahts\" in backup (did you mean \"paths\"?)", NULL);
}

static void
test_err_wrong_type(void **state)
{
        expect_error(*state, true, "backup:\n  paths: /var/lib/x\n", 5, 10,
                     "expected a list of strings", NULL);
        expect_error(*state, true, "backup:\n  cold: maybe\n", 5, 9,
                     "expected true or false", NULL);
        expect_error(*state, true, "title2: x\n", 4, 1, "unknown key", NULL);
        expect_error(*state, false, "schema: 1\nid: t\ntitle: [a, b]\n", 3, 8,
                     "expected a string, not a list", NULL);
        expect_error(*state, true, "stop:\n  run: [[a], {shell: b, timeout: soon}]\n",
                     5, 34, "expected a duration", NULL);
        expect_error(*state, true, "env: [A]\n", 4, 6, "expected a mapping of environment",
                     NULL);
}

static void
test_err_bad_regex(void **state)
{
        expect_error(*state, true,
                     "detect:\n  version:\n    run: [x]\n    match: 'v(\\d+${target}'\n",
                     7, 12, "bad regular expression \"v(\\d+${target}\"",
                     "missing closing parenthesis", "at offset", NULL);
        /* In a when: facts: condition, whose pattern leaked (tests/fuzz/fuzz-plan;
         * LeakSanitizer fails this test in the sanitizer build). */
        expect_error(*state, true,
                     "migrate:\n  - when: {facts: {role: '\\master$'}}\n    run: [a]\n",
                     5, 26, "bad regular expression \"\\master$\"", NULL);
}

static void
test_err_bad_range(void **state)
{
        expect_error(*state, true,
                     "migrate:\n  - when: {version: \">=x\"}\n    run: [a]\n",
                     5, 21, "bad version range \">=x\"", "\">=x\" is not a comparison", NULL);
}

static void
test_err_unknown_variable(void **state)
{
        expect_error(*state, true,
                     "ask:\n  - {key: name, text: N}\nstop:\n  run: [echo, \"hi ${nmae}\"]\n",
                     7, 15, "unknown variable \"${nmae}\" (did you mean \"${name}\"?)", NULL);
        expect_error(*state, true, "stop:\n  run: [echo, \"${zzzzzzzz}\"]\n",
                     5, 15, "unknown variable \"${zzzzzzzz}\"", NULL);
        expect_error(*state, true, "stop:\n  run: [echo, \"${target\"]\n",
                     5, 15, "unterminated \"${\" in \"${target\"", NULL);
        /* Used before ask: declares it, and a checklist key: both fine. */
        {
                struct tmp *t = *state;
                struct plan *p = NULL;
                struct diag d = {0};

                t_write_text(t->file, "schema: 1\nid: t\ntitle: T\n"
                             "stop: {run: [a, '${later}', '${stop_check_1}', '${k2}', "
                             "'$${not_a_var}']}\n"
                             "reconnect: {checklist: [{key: k2, text: done}]}\n"
                             "stop2: 1\n");
                assert_int_equal(step_plan_load(t->file, &p, &d), -EINVAL);
                assert_non_null(strstr(d.msg, "stop2"));
                t_write_text(t->file, "schema: 1\nid: t\ntitle: T\n"
                             "stop: {run: [a, '${later}', '${stop_check_1}', '${k2}', "
                             "'$${not_a_var}'], checklist: [x]}\n"
                             "reconnect: {checklist: [{key: k2, text: done}]}\n"
                             "ask: [{key: later, text: L}]\n");
                assert_int_equal(step_plan_load(t->file, &p, &d), 0);
                plan_free(p);
        }
}

static void
test_err_bad_version(void **state)
{
        expect_error(*state, true, "target: latest\n", 4, 9,
                     "expected a version such as 1.4.3", NULL);
        expect_error(*state, true, "path: {stops: [1.0, 0.9]}\n", 4, 21,
                     "increasing order", NULL);
}

static void
test_err_missing_required(void **state)
{
        expect_error(*state, false, "schema: 1\ntitle: T\n", 1, 1,
                     "missing required key \"id\" in the plan", NULL);
        expect_error(*state, false, "schema: 1\nid: t\n", 1, 1,
                     "missing required key \"title\"", NULL);
        expect_error(*state, false, "id: t\ntitle: T\n", 1, 1,
                     "missing required key \"schema\"", NULL);
        expect_error(*state, true, "ask:\n  - {key: a}\n", 5, 5,
                     "missing required key \"text\" in a question", NULL);
        expect_error(*state, true, "detect:\n  facts: {}\n", 5, 3,
                     "missing required key \"version\" in detect", NULL);
        expect_error(*state, true, "detect:\n  version: [x, --version]\n", 5, 12,
                     "needs match:", NULL);
        expect_error(*state, true, "migrate:\n  - when: {version: '<1'}\n", 5, 5,
                     "missing required key \"run\" in a migration", NULL);
        expect_error(*state, true, "swap:\n  sha256: ''\n", 5, 3,
                     "swap needs files:", NULL);
        expect_error(*state, true, "service: {manager: pidfile, pidfile: /run/x.pid}\n",
                     4, 10, "missing required key \"start\" in service", NULL);
}

static void
test_err_schema(void **state)
{
        expect_error(*state, false, "schema: 2\nid: t\ntitle: T\n", 1, 9,
                     "unsupported schema \"2\"", "schema 1", NULL);
}

static void
test_err_yaml_syntax(void **state)
{
        expect_error(*state, true, "stop:\n  run: [a, b\nreconnect: {}\n", 6, 10,
                     "did not find expected ',' or ']'", "(while parsing a flow sequence)",
                     NULL);
        expect_error(*state, true, "ask: &a [x]\nstop: *a\n", 5, 7,
                     "aliases are not supported", NULL);
}

static void
test_err_duplicate_key(void **state)
{
        expect_error(*state, true, "stop: {}\nbackup: {}\nstop: {}\n", 6, 1,
                     "duplicate key \"stop\" (first given at line 4)", NULL);
        expect_error(*state, true,
                     "ask:\n  - {key: a, text: A}\n  - {key: a, text: B}\n", 6, 11,
                     "question key \"a\" is already used at line 5", NULL);
        expect_error(*state, true, "ask:\n  - {key: target, text: A}\n", 5, 11,
                     "\"target\" is a built-in variable", NULL);
        expect_error(*state, true, "ask:\n  - {key: backup_dir, text: A}\n", 5, 11,
                     "\"backup_dir\" is a built-in variable", NULL);
}

static void
test_err_same_fact(void **state)
{
        expect_error(*state, true,
                     "detect:\n  version: {run: [x], match: 'v(.*)'}\n"
                     "  facts: {databases: [x, dbs]}\n"
                     "verify:\n  checks:\n    - {same: databasse}\n",
                     9, 14, "unknown fact \"databasse\" (did you mean \"databases\"?)", NULL);
        expect_error(*state, true, "verify:\n  checks:\n    - {same: dbs}\n",
                     6, 14, "unknown fact \"dbs\"", "no facts", NULL);
}

static void
test_err_choice_default(void **state)
{
        expect_error(*state, true,
                     "ask:\n  - {key: m, text: M, type: choice, choices: [a, b], default: c}\n",
                     5, 63, "default \"c\" is not one of the choices: a, b", NULL);
        expect_error(*state, true, "ask:\n  - {key: m, text: M, type: choice}\n", 5, 5,
                     "missing required key \"choices\"", NULL);
        expect_error(*state, true, "ask:\n  - {key: m, text: M, type: colour}\n", 5, 29,
                     "unknown question type", NULL);
}

static void
test_err_misc(void **state)
{
        expect_error(*state, true, "swap:\n  package: p\n  files: {../etc/x: /etc/x}\n",
                     6, 11, "bad package member \"../etc/x\"", NULL);
        expect_error(*state, true, "service: {systemd: x, manager: sysv}\n", 4, 20,
                     "not both", NULL);
        expect_error(*state, true, "stop: {run: {run: [a], shell: b}}\n", 4, 31,
                     "run: or shell:, not both", NULL);
        expect_error(*state, true, "verify: {ready: {http: 'ftp://x'}}\n", 4, 24,
                     "URL", NULL);
        expect_error(*state, true,
                     "migrate:\n  - {when: {answers: {mdoe: x}}, run: [a]}\n"
                     "ask: [{key: mode, text: M}]\n",
                     5, 23, "unknown question key \"mdoe\" (did you mean \"mode\"?)", NULL);
        expect_error(*state, true, "ask: [{key: p, text: P, type: integer, default: x1}]\n",
                     4, 49, "expected an integer", NULL);
        expect_error(*state, true, "swap:\n  package: p\n  max_size: 12Q\n  files: {a: /a}\n",
                     6, 13, "expected a size such as 512M or 2G", NULL);
}

/* ready: http: over https with its TLS keys; misused, each is refused. */
static void
test_ready_https(void **state)
{
        struct tmp *t = *state;
        struct plan *p;
        char *all = xasprintf("%sverify:\n  ready:\n    http: 'https://127.0.0.1:2379/health'\n"
                              "    ca_file: /pki/ca.pem\n    cert_file: /pki/c.pem\n"
                              "    key_file: /pki/c-key.pem\n    match: '\"health\": *\"true\"'\n"
                              "    follow_redirects: true\n", head);

        t_write_text(t->file, all);
        free(all);
        p = load_ok(t->file);
        assert_string_equal(p->verify.ready.http, "https://127.0.0.1:2379/health");
        assert_string_equal(p->verify.ready.ca_file, "/pki/ca.pem");
        assert_string_equal(p->verify.ready.cert_file, "/pki/c.pem");
        assert_string_equal(p->verify.ready.key_file, "/pki/c-key.pem");
        assert_string_equal(p->verify.ready.match, "\"health\": *\"true\"");
        assert_true(p->verify.ready.follow_redirects);
        assert_null(p->verify.ready.cmd);
        all = describe(p, STEP_VERIFY);
        assert_non_null(strstr(all, "ready: GET https://127.0.0.1:2379/health\n"
                                    "        trusting the CAs of /pki/ca.pem\n"
                                    "        with the client certificate /pki/c.pem\n"));
        free(all);
        plan_free(p);
        expect_error(*state, true, "verify: {ready: {http: 'http://h/', ca_file: /c}}\n", 4, 46,
                     "ca_file: applies to an https:// URL only", NULL);
        expect_error(*state, true, "verify: {ready: {http: 'https://h/', key_file: /k}}\n", 4, 48,
                     "key_file: needs cert_file:", NULL);
        expect_error(*state, true, "verify: {ready: {run: [a], ca_file: /c}}\n", 4, 37,
                     "ca_file: needs http: in the same ready", NULL);
        expect_error(*state, true, "verify: {ready: {http: 'https://h/', env: {A: b}}}\n", 4, 43,
                     "env: needs run: or shell: in the same ready", NULL);
        expect_error(*state, true, "verify: {ready: {http: 'https://h/', match: '('}}\n", 4, 45,
                     NULL);
}

static void
test_empty_and_missing_file(void **state)
{
        struct tmp *t = *state;
        struct plan *p = NULL;
        struct diag d = {0};
        char want[160];

        t_write_text(t->file, "# nothing\n");
        assert_int_equal(step_plan_load(t->file, &p, &d), -EINVAL);
        snprintf(want, sizeof want, "%s: the plan is empty", t->file);
        assert_true(strncmp(d.msg, want, strlen(want)) == 0);
        snprintf(want, sizeof want, "%s/none.yaml", t->dir);
        assert_int_equal(step_plan_load(want, &p, &d), -ENOENT);
        assert_non_null(strstr(d.msg, "none.yaml"));
        assert_null(p);
}

static void
test_find(void **state)
{
        struct tmp *t = *state;
        char a[128], b[128], path[160], want[400];
        const char *dirs[] = { a, b, NULL };
        struct diag d = {0};
        char *found;

        snprintf(a, sizeof a, "%s/a", t->dir);
        snprintf(b, sizeof b, "%s/b", t->dir);
        assert_int_equal(mkdir(a, 0755), 0);
        assert_int_equal(mkdir(b, 0755), 0);
        snprintf(path, sizeof path, "%s/redis.yml", b);
        t_write_text(path, "x");
        chmod(path, 0644);

        found = plan_find("redis", dirs, &d);
        assert_non_null(found);
        assert_string_equal(found, path);
        free(found);

        /* .yaml wins over .yml, the first directory over the second. */
        snprintf(path, sizeof path, "%s/redis.yaml", b);
        t_write_text(path, "x");
        chmod(path, 0644);
        found = plan_find("redis", dirs, &d);
        assert_string_equal(found, path);
        free(found);

        /* Paths are used as they are. */
        found = plan_find("./x/redis", dirs, &d);
        assert_string_equal(found, "./x/redis");
        free(found);
        found = plan_find("my.yml", dirs, &d);
        assert_string_equal(found, "my.yml");
        free(found);

        assert_null(plan_find("mysql", dirs, &d));
        snprintf(want, sizeof want,
                 "no plan \"mysql\" in %s, %s (upshift list shows the plans found)", a, b);
        assert_string_equal(d.msg, want);

        /* Writable by others: refused. */
        assert_int_equal(chmod(b, 0777), 0);
        assert_null(plan_find("redis", dirs, &d));
        snprintf(want, sizeof want, "refusing plan \"redis\": \"%s\" is writable by others", b);
        assert_string_equal(d.msg, want);
        assert_int_equal(chmod(b, 0755), 0);
        assert_int_equal(chmod(path, 0664), 0);
        assert_null(plan_find("redis", dirs, &d));
        snprintf(want, sizeof want, "refusing plan \"redis\": \"%s\" is writable by others",
                 path);
        assert_string_equal(d.msg, want);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_list_forms),
                cmocka_unit_test(test_qtype_names),
                cmocka_unit_test_setup_teardown(test_reconnect_message, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backup_restore_on_rollback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fact_counts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_unknown_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_wrong_type, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_bad_regex, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_bad_range, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_unknown_variable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_bad_version, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_missing_required, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_schema, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_yaml_syntax, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_duplicate_key, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_same_fact, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_choice_default, setup, teardown),
                cmocka_unit_test_setup_teardown(test_err_misc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ready_https, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_and_missing_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
