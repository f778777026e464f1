/* test-engine.c: the engine (engine_run, engine_rollback) driven through a
 * fake frontend that records what the engine called, on a tiny plan whose
 * "service" is a /bin/sh script under a temporary directory: a pidfile
 * service (a backgrounded `sleep`), one file swapped from a tar.gz, one
 * migration. Each command of the script appends its name to ROOT/calls.log,
 * so a test can count how often a step's command ran. */
#include <config.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/answers.h"
#include "engine/engine.h"
#include "engine/frontend.h"
#include "lib/journal.h"
#include "lib/plan.h"
#include "engine/state.h"
#include "testlib.h"
#include "lib/util.h"
#include "steps/step.h"

#define MAX_CALLS 256

struct fake {
        struct frontend fe;
        /* recorded: every step_state, confirm and failure, the last end */
        enum step_id    st_step[MAX_CALLS];
        enum step_status st_status[MAX_CALLS];
        size_t          n_states;
        enum step_id    confirm_step[MAX_CALLS];
        size_t          n_confirms;
        enum step_id    failure_step[MAX_CALLS];
        size_t          n_failures;
        int             n_ends, exit_code;
        bool            declined;
        enum step_status status[STEP_COUNT];
        char            before[64], after[64];
        /* scripted */
        enum step_id    abort_at;       /* confirm says no at this step */
        enum step_id    interrupt_after;/* set intr once this step is done */
        volatile sig_atomic_t intr;
};

static void fk_begin(struct frontend *fe, const struct run_info *ri) { (void)fe, (void)ri; }
static void fk_output(struct frontend *fe, enum out_kind k, const char *lb, const char *l) { (void)fe, (void)k, (void)lb, (void)l; }
static void
fk_progress(struct frontend *fe, const char *what, uint64_t done, uint64_t total)
{
        (void)fe, (void)what, (void)done, (void)total;
}

static int
fk_ask(struct frontend *fe, const struct question *q, const char *def, char **ret)
{
        (void)fe, (void)q;
        *ret = xstrdup(def ? def : "");         /* take what the answers file gave */
        return STEP_OK;
}

static int
fk_confirm(struct frontend *fe, enum step_id step, const char *what, const char *why,
           const char *ponr)
{
        struct fake *f = fe->priv;

        (void)what, (void)why, (void)ponr;
        assert_true(f->n_confirms < MAX_CALLS);
        f->confirm_step[f->n_confirms++] = step;
        return step == f->abort_at ? STEP_ABORT : STEP_OK;
}

static void
fk_step_state(struct frontend *fe, enum step_id step, enum step_status st, int64_t ms,
              const char *note)
{
        struct fake *f = fe->priv;

        (void)ms, (void)note;
        assert_true(f->n_states < MAX_CALLS);
        f->st_step[f->n_states] = step;
        f->st_status[f->n_states++] = st;
        if (st == ST_DONE && step == f->interrupt_after)
                f->intr = 1;            /* as SIGINT would, between two steps */
}

static enum fail_choice
fk_failure(struct frontend *fe, enum step_id step, const char *msg, const char *log)
{
        struct fake *f = fe->priv;

        (void)msg, (void)log;
        assert_true(f->n_failures < MAX_CALLS);
        f->failure_step[f->n_failures++] = step;
        return FAIL_QUIT;
}

static void
fk_end(struct frontend *fe, const struct run_report *rep)
{
        struct fake *f = fe->priv;

        f->n_ends++;
        f->exit_code = rep->exit_code;
        f->declined = rep->declined;
        memcpy(f->status, rep->status, sizeof f->status);
        snprintf(f->before, sizeof f->before, "%s", rep->version_before ? rep->version_before : "");
        snprintf(f->after, sizeof f->after, "%s", rep->version_after ? rep->version_after : "");
}

static const struct frontend_ops fk_ops = {
        .name = "fake", .begin = fk_begin, .ask = fk_ask, .confirm = fk_confirm,
        .step_state = fk_step_state, .output = fk_output, .progress = fk_progress,
        .failure = fk_failure, .end = fk_end,
};

static void
fake_init(struct fake *f)
{
        memset(f, 0, sizeof *f);
        f->fe.ops = &fk_ops;
        f->fe.priv = f;
        f->abort_at = STEP_COUNT;               /* never */
        f->interrupt_after = STEP_COUNT;
}

/* How often the engine told the frontend step is in status st. */
static int
seen(const struct fake *f, enum step_id step, enum step_status st)
{
        int n = 0;

        for (size_t i = 0; i < f->n_states; i++)
                n += f->st_step[i] == step && f->st_status[i] == st;
        return n;
}

/* The sandbox ---------------------------------------------------------- */

struct box {
        char          *dir, *root, *state, *plan_path, *pidfile;
        struct plan   *plan;
        struct answers *ans;
};

static const char svc_script[] =
        "#!/bin/sh\n"
        "R='%s'\n"
        "echo \"$1\" >> \"$R/calls.log\"\n"
        "case $1 in\n"
        "version) echo \"svc v$(cat \"$R/lib/version\")\" ;;\n"
        "start)   rm -f \"$R/run/svc.pid\"\n"
        "         nohup sh -c 'echo $$ > \"$1.tmp\" && mv \"$1.tmp\" \"$1\" && exec sleep 100000' \\\n"
        "                 sh \"$R/run/svc.pid\" </dev/null >/dev/null 2>&1 & ;;\n"
        "alive|ping) kill -0 \"$(cat \"$R/run/svc.pid\")\" 2>/dev/null ;;\n"
        "check)   [ ! -e \"$R/fail-verify\" ] ;;\n"
        "migrate) echo 2 > \"$R/data/schema\" ;;\n"
        "esac\n";

static const char plan_text[] =
        "schema: 1\n"
        "id: etest\n"
        "title: Engine test service\n"
        "target: 2.0.0\n"
        "ask:\n"
        "  - {key: root, text: Root, type: dir}\n"
        "  - {key: package, text: Package, type: file}\n"
        "service:\n"
        "  manager: pidfile\n"
        "  pidfile: \"${root}/run/svc.pid\"\n"
        "  start: {run: [\"${root}/bin/svc\", start]}\n"
        "  timeout: 10s\n"
        "detect:\n"
        "  version: {run: [\"${root}/bin/svc\", version], match: 'v(\\d+\\.\\d+\\.\\d+)'}\n"
        "  checks:\n"
        "    - {run: [\"${root}/bin/svc\", alive], fail: \"svc is not running\"}\n"
        "backup:\n"
        "  before: [[\"${root}/bin/svc\", backup]]\n"
        "  paths: [\"${root}/data\"]\n"
        "disconnect:\n"
        "  run: [[\"${root}/bin/svc\", disconnect]]\n"
        "stop: {}\n"
        "swap:\n"
        "  package: \"${package}\"\n"
        "  files:\n"
        "    lib/version: \"${root}/lib/version\"\n"
        "migrate:\n"
        "  - run: [[\"${root}/bin/svc\", migrate]]\n"
        "verify:\n"
        "  ready: {run: [\"${root}/bin/svc\", ping], timeout: 10s}\n"
        "  checks:\n"
        "    - {run: [\"${root}/bin/svc\", check], fail: \"the check failed\"}\n"
        "reconnect:\n"
        "  run: [[\"${root}/bin/svc\", reconnect]]\n";

static void
write_in(const char *dir, const char *name, const char *text)
{
        char *p = path_join(dir, name);

        t_write_text(p, text);
        free(p);
}

static char *
slurp_in(const char *dir, const char *name)
{
        char *p = path_join(dir, name), *s = t_slurp(p, NULL);

        free(p);
        return s;
}

/* The pid the pidfile names if that process runs, else 0. */
static pid_t
svc_pid(const struct box *b)
{
        char *buf = NULL;
        long pid;

        if (read_file(b->pidfile, &buf, NULL, NULL) < 0)
                return 0;
        pid = strtol(buf, NULL, 10);
        free(buf);
        return pid > 1 && !t_pid_gone((pid_t)pid) ? (pid_t)pid : 0;
}

static int
setup(void **state)
{
        struct box *b = xcalloc(1, sizeof *b);
        struct t_ent pkg[] = { {.name = "lib/version", .type = 'f', .data = "2.0.0\n"} };
        struct diag d = {0};
        char *s, *pkgpath;

        assert_int_equal(t_setup_dir((void **)&b->dir), 0);
        b->root = path_join(b->dir, "root");
        b->state = path_join(b->dir, "state");
        b->pidfile = path_join(b->root, "run/svc.pid");
        assert_int_equal(t_sh("mkdir -p '%s/bin' '%s/lib' '%s/run' '%s/data'", b->root, b->root,
                              b->root, b->root), 0);
        s = xasprintf(svc_script, b->root);
        write_in(b->root, "bin/svc", s);
        free(s);
        assert_int_equal(t_sh("chmod 755 '%s/bin/svc'", b->root), 0);
        write_in(b->root, "lib/version", "1.0.0\n");
        write_in(b->root, "data/schema", "1\n");
        pkgpath = path_join(b->dir, "svc-2.0.0.tar.gz");
        t_mk_archive(pkgpath, "ustar", "gzip", pkg, 1, false);
        b->plan_path = path_join(b->dir, "etest.yaml");
        t_write_text(b->plan_path, plan_text);
        s = xasprintf("root: %s\npackage: %s\nbackup_dir: %s/backups\n", b->root, pkgpath, b->dir);
        write_in(b->dir, "answers.yaml", s);
        free(s);
        free(pkgpath);
        if (step_plan_load(b->plan_path, &b->plan, &d) < 0)
                fail_msg("plan: %s", d.msg);
        s = path_join(b->dir, "answers.yaml");
        if (answers_load(s, b->plan, true, &b->ans, &d) < 0)
                fail_msg("answers: %s", d.msg);
        free(s);
        /* Start the service, and wait until its pidfile names it. */
        assert_int_equal(t_sh("'%s/bin/svc' start", b->root), 0);
        for (int i = 0; i < 1000 && svc_pid(b) == 0; i++)
                t_sleep_ms(10);
        assert_true(svc_pid(b) > 0);
        write_in(b->root, "calls.log", "");     /* count from here */
        *state = b;
        return 0;
}

static int
teardown(void **state)
{
        struct box *b = *state;
        pid_t pid = svc_pid(b);
        int r;

        if (pid > 0)
                kill(pid, SIGTERM);
        answers_free(b->ans);
        plan_free(b->plan);
        free(b->root);
        free(b->state);
        free(b->plan_path);
        free(b->pidfile);
        r = t_teardown_dir((void **)&b->dir);
        free(b);
        return r;
}

static enum run_outcome
run(struct box *b, struct fake *f, bool rollback)
{
        struct engine_opts o = {
                .state_dir = b->state, .interactive = true, .interrupt = &f->intr,
                .resume_cmd = "upshift run etest",
        };
        struct diag d = {0};

        return (rollback ? engine_rollback : engine_run)(b->plan, b->ans, &o, &f->fe, &d);
}

/* How many lines of ROOT/calls.log are word (how often that command ran). */
static int
calls(const struct box *b, const char *word)
{
        char *log = slurp_in(b->root, "calls.log"), *save = NULL;
        int n = 0;

        for (char *l = strtok_r(log, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                n += strcmp(l, word) == 0;
        free(log);
        return n;
}

/* The journal folded, as upshift status sees it. */
static void
replay(const struct box *b, struct run_state *st)
{
        struct jrec *recs = NULL;
        size_t n = 0;
        struct diag d = {0};

        state_init(st);
        assert_int_equal(journal_replay(b->state, false, &recs, &n, NULL, &d), 0);
        assert_int_equal(state_replay(st, recs, n, &d), 0);
        journal_records_free(recs, n);
}

/* The last journal record of event ev has key = want. */
static void
assert_field(const struct box *b, const char *ev, const char *key, const char *want)
{
        struct jrec *recs = NULL;
        size_t n = 0, i = 0;
        struct diag d = {0};

        assert_int_equal(journal_replay(b->state, false, &recs, &n, NULL, &d), 0);
        for (i = n; i-- > 0;)
                if (strcmp(jrec_get(&recs[i], "ev"), ev) == 0)
                        break;
        assert_true(i < n);
        assert_non_null(jrec_get(&recs[i], key));
        assert_string_equal(jrec_get(&recs[i], key), want);
        journal_records_free(recs, n);
}

static void
assert_file(const char *dir, const char *name, const char *want)
{
        char *s = slurp_in(dir, name);

        assert_string_equal(s, want);
        free(s);
}

/* The cases ------------------------------------------------------------ */

static void
test_whole_run(void **state)
{
        struct box *b = *state;
        struct fake f;
        struct run_state st;

        fake_init(&f);
        assert_int_equal(run(b, &f, false), RUN_DONE);
        for (int i = 0; i < STEP_COUNT; i++) {
                assert_int_equal(f.status[i], ST_DONE);
                assert_int_equal(seen(&f, (enum step_id)i, ST_RUNNING), 1);
                assert_int_equal(seen(&f, (enum step_id)i, ST_DONE), 1);
        }
        assert_int_equal(f.n_ends, 1);
        assert_int_equal(f.exit_code, EXIT_DONE);
        assert_false(f.declined);
        assert_string_equal(f.before, "1.0.0");
        assert_string_equal(f.after, "2.0.0");
        /* stop asks (the engine), then migrate (itself); nothing failed */
        assert_int_equal(f.n_confirms, 2);
        assert_int_equal(f.confirm_step[0], STEP_STOP);
        assert_int_equal(f.confirm_step[1], STEP_MIGRATE);
        assert_int_equal(f.n_failures, 0);
        /* on disk: the new file, the old one kept, migrated, running again */
        assert_file(b->root, "lib/version", "2.0.0\n");
        assert_file(b->root, "lib/version.upshift-old", "1.0.0\n");
        assert_file(b->root, "data/schema", "2\n");
        assert_true(svc_pid(b) > 0);
        assert_int_equal(calls(b, "migrate"), 1);
        /* the journal */
        replay(b, &st);
        assert_true(st.complete);
        for (int i = 0; i < STEP_COUNT; i++)
                assert_int_equal(st.status[i], ST_DONE);
        assert_string_equal(kvlist_get(&st.facts, "version"), "1.0.0");
        assert_string_equal(kvlist_get(&st.facts, "version_after"), "2.0.0");
        state_release(&st);
        assert_field(b, "run_end", "result", "done");
        assert_field(b, "run_end", "exit", "0");
}

static void
test_resume(void **state)
{
        struct box *b = *state;
        struct fake f;
        struct run_state st;

        /* Interrupted (as by Ctrl-C) once backup is done. */
        fake_init(&f);
        f.interrupt_after = STEP_BACKUP;
        assert_int_equal(run(b, &f, false), RUN_STEP_FAILED);
        assert_int_equal(f.status[STEP_BACKUP], ST_DONE);
        assert_int_equal(f.status[STEP_DISCONNECT], ST_PENDING);
        assert_int_equal(seen(&f, STEP_DISCONNECT, ST_RUNNING), 0);
        assert_int_equal(calls(b, "disconnect"), 0);
        assert_true(svc_pid(b) > 0);
        assert_file(b->root, "lib/version", "1.0.0\n");
        replay(b, &st);
        assert_false(st.complete);
        assert_int_equal(st.status[STEP_DETECT], ST_DONE);
        assert_int_equal(st.status[STEP_BACKUP], ST_DONE);
        assert_int_equal(st.status[STEP_DISCONNECT], ST_PENDING);
        state_release(&st);
        assert_field(b, "run_end", "result", "failed");

        /* Run again: it finishes; detect and backup are not run again. */
        fake_init(&f);
        assert_int_equal(run(b, &f, false), RUN_DONE);
        assert_int_equal(seen(&f, STEP_DETECT, ST_RUNNING), 0);
        assert_int_equal(seen(&f, STEP_BACKUP, ST_RUNNING), 0);
        assert_int_equal(seen(&f, STEP_DETECT, ST_DONE), 1);     /* "done in an earlier run" */
        for (int i = STEP_DISCONNECT; i < STEP_COUNT; i++)
                assert_int_equal(seen(&f, (enum step_id)i, ST_RUNNING), 1);
        assert_int_equal(calls(b, "alive"), 1);         /* detect's check */
        assert_int_equal(calls(b, "backup"), 1);        /* backup's before: */
        assert_int_equal(calls(b, "disconnect"), 1);
        assert_int_equal(calls(b, "migrate"), 1);
        assert_int_equal(calls(b, "reconnect"), 1);
        assert_string_equal(f.before, "1.0.0");
        assert_string_equal(f.after, "2.0.0");
        assert_file(b->root, "lib/version", "2.0.0\n");
        replay(b, &st);
        assert_true(st.complete);
        assert_int_equal(st.runs, 2);
        assert_int_equal(st.upgrade_runs, 2);   /* both of this upgrade */
        state_release(&st);
}

static void
test_refusal(void **state)
{
        struct box *b = *state;
        struct fake f;
        struct run_state st;
        pid_t pid = svc_pid(b);

        fake_init(&f);
        f.abort_at = STEP_STOP;
        /* A declined run is an outcome of its own (exit 1, journaled declined). */
        assert_int_equal(run(b, &f, false), RUN_DECLINED);
        assert_int_equal(f.n_confirms, 1);
        assert_int_equal(f.confirm_step[0], STEP_STOP);
        assert_int_equal(f.n_failures, 0);      /* a "no" is not a failure */
        assert_true(f.declined);
        assert_int_equal(f.exit_code, EXIT_STEPFAIL);
        assert_int_equal(seen(&f, STEP_STOP, ST_RUNNING), 0);
        /* asked before disconnect: no client was turned away */
        assert_int_equal(seen(&f, STEP_DISCONNECT, ST_RUNNING), 0);
        assert_int_equal(calls(b, "disconnect"), 0);
        assert_int_equal(f.status[STEP_BACKUP], ST_DONE);
        assert_int_equal(f.status[STEP_DISCONNECT], ST_PENDING);
        assert_int_equal(f.status[STEP_STOP], ST_PENDING);
        /* the service still runs, the same process, the old file in place */
        assert_true(pid > 0);
        assert_int_equal(svc_pid(b), pid);
        assert_file(b->root, "lib/version", "1.0.0\n");
        assert_int_equal(calls(b, "migrate"), 0);
        replay(b, &st);
        assert_int_equal(st.status[STEP_STOP], ST_PENDING);
        assert_false(st.begun[STEP_STOP]);
        assert_false(st.begun[STEP_DISCONNECT]);
        state_release(&st);
        assert_field(b, "run_end", "result", "declined");
        assert_field(b, "run_end", "exit", "1");
}

static void
test_rollback(void **state)
{
        struct box *b = *state;
        struct fake f;
        struct run_state st;

        write_in(b->root, "fail-verify", "");
        fake_init(&f);
        assert_int_equal(run(b, &f, false), RUN_STEP_FAILED);
        assert_int_equal(f.n_failures, 1);
        assert_int_equal(f.failure_step[0], STEP_VERIFY);
        assert_int_equal(f.status[STEP_MIGRATE], ST_DONE);
        assert_int_equal(f.status[STEP_VERIFY], ST_FAILED);
        assert_int_equal(f.status[STEP_RECONNECT], ST_PENDING);
        assert_file(b->root, "lib/version", "2.0.0\n");
        assert_file(b->root, "data/schema", "2\n");
        assert_field(b, "step_failed", "step", "verify");

        fake_init(&f);
        assert_int_equal(run(b, &f, true), RUN_ROLLED_BACK);
        assert_int_equal(f.n_confirms, 1);
        assert_int_equal(f.confirm_step[0], STEP_NONE);         /* "Roll back the upgrade" */
        for (int i = STEP_DETECT; i <= STEP_VERIFY; i++)
                assert_int_equal(seen(&f, (enum step_id)i, ST_UNDONE), 1);
        assert_int_equal(seen(&f, STEP_RECONNECT, ST_UNDONE), 0);
        /* the old file, the old data (from the backup), the old version runs */
        assert_file(b->root, "lib/version", "1.0.0\n");
        assert_file(b->root, "data/schema", "1\n");
        assert_true(svc_pid(b) > 0);
        replay(b, &st);
        assert_true(st.rolled_back);
        assert_false(st.rolling_back);
        assert_int_equal(st.runs, 2);
        assert_int_equal(st.upgrade_runs, 0);   /* rolled back: the next starts afresh */
        state_release(&st);
        assert_field(b, "rollback_end", "result", "done");
        assert_field(b, "run_end", "result", "rolled_back");
        assert_field(b, "run_end", "exit", "4");
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_whole_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
