/* test-backup.c: the backup step through a fake host: its check measures
 * the data and leaves the figure (a note) for its run, whose progress bar
 * counts to it instead of walking the data again; unless the plan's backup
 * commands ran in between, which may add data. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exec.h"
#include "lib/kvlist.h"
#include "lib/util.h"
#include "lib/vars.h"
#include "steps/backup_archive.h"
#include "steps/step.h"
#include "testlib.h"

extern const struct step_module step_backup;

struct step_host {
        struct kvlist facts, notes;
        uint64_t      done, total;      /* the backup's last progress */
};

static void
fake_say(struct step_host *h, enum out_kind kind, const char *msg)
{
        (void)h;
        (void)kind;
        (void)msg;
}

static void
fake_progress(struct step_host *h, const char *what, uint64_t done, uint64_t total)
{
        if (strcmp(what, "backup") == 0) {
                h->done = done;
                h->total = total;
        }
}

static int
fake_fact_set(struct step_host *h, const char *key, const char *value, struct diag *d)
{
        (void)d;
        kvlist_set(&h->facts, key, value);
        return 0;
}

static const char *
fake_fact(const struct step_host *h, const char *key)
{
        return kvlist_get(&h->facts, key);
}

static void
fake_fact_queue(struct step_host *h, const char *key, const char *value)
{
        kvlist_set(&h->facts, key, value);
}

static int
fake_facts_commit(struct step_host *h, struct diag *d)
{
        (void)h;
        (void)d;
        return 0;
}

static void
fake_note_set(struct step_host *h, const char *key, const char *value)
{
        kvlist_set(&h->notes, key, value);
}

static const char *
fake_note(const struct step_host *h, const char *key)
{
        return kvlist_get(&h->notes, key);
}

static int
fake_exec(struct step_host *h, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        (void)h;
        return exec_run(o, ret, d);
}

static unsigned
fake_hop(const struct step_host *h)
{
        (void)h;
        return 1;
}

static const struct step_host_ops fake_ops = {
        .say = fake_say, .progress = fake_progress, .fact_set = fake_fact_set,
        .fact = fake_fact, .fact_queue = fake_fact_queue, .facts_commit = fake_facts_commit,
        .note_set = fake_note_set, .note = fake_note, .exec = fake_exec, .hop = fake_hop,
};

struct fx {
        char            *base;
        struct step_host host;
        struct plan      plan;
        struct vars      vars;
        struct diag      diag;
        struct step_ctx  ctx;
        struct cmd       cmd;           /* a backup command, when the test wants one */
};

static int
setup(void **state)
{
        struct fx *f = xcalloc(1, sizeof *f);
        char *p;

        f->base = t_mkdtemp("backup");
        assert_non_null(f->base);
        p = xasprintf("%s/data/sub", f->base);
        assert_int_equal(mkdir_p(p, 0755, NULL), 0);
        free(p);
        p = xasprintf("%s/data/a", f->base);
        t_write_text(p, "0123456789");
        free(p);
        p = xasprintf("%s/data/sub/b", f->base);
        t_write_text(p, "abcde");
        free(p);
        vars_set(&f->vars, "backup_dir", p = xasprintf("%s/backups", f->base));
        free(p);
        vars_set(&f->vars, "backup_work", p = xasprintf("%s/work", f->base));
        free(p);
        strv_push_take(&f->plan.backup.paths, xasprintf("%s/data", f->base));
        f->ctx = (struct step_ctx){ .host = &f->host, .ops = &fake_ops, .plan = &f->plan,
                                    .vars = &f->vars, .id = STEP_BACKUP, .diag = &f->diag };
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;
        int r = t_rm_rf(f->base);

        kvlist_release(&f->host.facts);
        kvlist_release(&f->host.notes);
        strv_release(&f->plan.backup.paths);
        strv_release(&f->cmd.argv);
        vars_release(&f->vars);
        free(f->base);
        free(f);
        return r == 0 ? 0 : -1;
}

/* The check notes the 15 bytes of data it measured. */
static void
test_check_notes_the_data(void **state)
{
        struct fx *f = *state;

        assert_int_equal(step_backup.check(&f->ctx), STEP_OK);
        assert_non_null(step_note(&f->ctx, NOTE_BACKUP_BYTES));
        assert_string_equal(step_note(&f->ctx, NOTE_BACKUP_BYTES), "15");
}

/* The run counts to the check's figure, not to one it measured again: a
 * figure above the data (as if some had been removed since) stays the
 * total. */
static void
test_run_counts_to_the_note(void **state)
{
        struct fx *f = *state;

        assert_int_equal(step_backup.check(&f->ctx), STEP_OK);
        step_note_set(&f->ctx, NOTE_BACKUP_BYTES, "1000000");
        assert_int_equal(step_backup.run(&f->ctx), STEP_OK);
        assert_int_equal(f->host.done, 15);
        assert_int_equal(f->host.total, 1000000);
}

/* A figure below the data (some was added since): the total is what was
 * read, never less than done. */
static void
test_total_never_below_done(void **state)
{
        struct fx *f = *state;

        assert_int_equal(step_backup.check(&f->ctx), STEP_OK);
        step_note_set(&f->ctx, NOTE_BACKUP_BYTES, "4");
        assert_int_equal(step_backup.run(&f->ctx), STEP_OK);
        assert_int_equal(f->host.done, 15);
        assert_int_equal(f->host.total, 15);
}

/* Without a check in this process (no note), the run measures. */
static void
test_run_measures_without_a_note(void **state)
{
        struct fx *f = *state;

        assert_int_equal(step_backup.run(&f->ctx), STEP_OK);
        assert_int_equal(f->host.done, 15);
        assert_int_equal(f->host.total, 15);
}

/* A backup command runs between the check and the archive: it may add
 * data (it does here, 7 bytes in backup_work), so the data is measured
 * again and the note is not used. */
static void
test_backup_commands_measure_again(void **state)
{
        struct fx *f = *state;
        char *out = xasprintf("%s/work/dump", f->base);

        strv_push(&f->cmd.argv, "/bin/sh");
        strv_push(&f->cmd.argv, "-c");
        strv_push(&f->cmd.argv, "printf 1234567 > \"$0\"");
        strv_push(&f->cmd.argv, out);
        f->plan.backup.before = (struct cmdlist){ .v = &f->cmd, .n = 1 };
        assert_int_equal(step_backup.check(&f->ctx), STEP_OK);
        step_note_set(&f->ctx, NOTE_BACKUP_BYTES, "1000000");
        assert_int_equal(step_backup.run(&f->ctx), STEP_OK);
        assert_int_equal(f->host.done, 22);
        assert_int_equal(f->host.total, 22);
        free(out);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_check_notes_the_data, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_counts_to_the_note, setup, teardown),
                cmocka_unit_test_setup_teardown(test_total_never_below_done, setup, teardown),
                cmocka_unit_test_setup_teardown(test_run_measures_without_a_note, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_backup_commands_measure_again, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
