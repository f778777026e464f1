/* test-hops.c: paths of several hops: working out the hops (hops.h), the
 * per-hop answers (answers.h) and how the journal folds hops (state.h). */
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

#include "engine/state.h"
#include "lib/answers.h"
#include "lib/hops.h"
#include "steps/step.h"
#include "testlib.h"

#define TOY SRCDIR "/tests/data/plans/toy-hops.yaml"

static struct plan *
load_toy(void)
{
        struct plan *p = NULL;
        struct diag d = {0};

        if (step_plan_load(TOY, &p, &d) < 0)
                fail_msg("%s", d.msg);
        return p;
}

/* The hops from installed to target, joined by spaces, or "E<errno>". */
static char *
path_of(const struct plan *p, const char *installed, const char *target)
{
        struct strv v = {0};
        struct diag d = {0};
        char *s;
        int r = hops_compute(p, installed, target, &v, &d);

        if (r < 0) {
                assert_true(d.msg[0] != '\0');
                return xasprintf("E%d", -r);
        }
        s = hops_join(&v);
        strv_release(&v);
        return s;
}

static void
expect_path(const struct plan *p, const char *installed, const char *target, const char *want)
{
        char *got = path_of(p, installed, target);

        assert_string_equal(got, want);
        free(got);
}

static void
test_compute(void **state)
{
        struct plan *p = load_toy();

        (void)state;
        /* every stop strictly between, then the target */
        expect_path(p, "0.25.0", "1.0.0", "0.30.0 0.80.2 1.0.0");
        expect_path(p, "0.25.9", "1.0.0", "0.30.0 0.80.2 1.0.0");
        /* a stop equal to the installed version is not a hop */
        expect_path(p, "0.30.0", "1.0.0", "0.80.2 1.0.0");
        expect_path(p, "0.31.0", "1.0.0", "0.80.2 1.0.0");
        expect_path(p, "0.80.2", "1.0.0", "1.0.0");
        expect_path(p, "0.90.0", "1.2.0", "1.2.0");
        /* a target below a stop: the stop is not on the way */
        expect_path(p, "0.25.0", "0.50.0", "0.30.0 0.50.0");
        /* a target that is a stop: one hop there, not twice */
        expect_path(p, "0.25.0", "0.80.2", "0.30.0 0.80.2");
        /* the same version is one hop (a rebuild) */
        expect_path(p, "1.0.0", "1.0.0", "1.0.0");
        expect_path(p, "0.25.0", "0.25.0", "0.25.0");
        /* pre-releases order before their release */
        expect_path(p, "0.30.0~rc1", "1.0.0", "0.30.0 0.80.2 1.0.0");
        /* refused */
        expect_path(p, "1.0.0", "0.80.2", "E33");       /* EDOM: a downgrade */
        expect_path(p, "0.20.0", "1.0.0", "E34");       /* ERANGE: below min_version */
        expect_path(p, "x", "1.0.0", "E22");
        plan_free(p);
}

static void
test_split_join(void **state)
{
        struct strv v = {0};
        char *s;

        (void)state;
        hops_split("0.30.0 0.80.2  1.0.0", &v);
        assert_int_equal(v.n, 3);
        assert_string_equal(v.v[1], "0.80.2");
        s = hops_join(&v);
        assert_string_equal(s, "0.30.0 0.80.2 1.0.0");
        free(s);
        strv_release(&v);
        hops_split(NULL, &v);
        hops_split("", &v);
        assert_int_equal(v.n, 0);
}

/* Per-hop answers ------------------------------------------------------------ */

struct fx {
        char        *dir;
        char         file[128];
        char         pkg[3][128];
        struct plan *p;
};

static const char *const vers[] = { "0.30.0", "0.80.2", "1.0.0" };

static int
setup(void **state)
{
        struct fx *f = calloc(1, sizeof *f);
        struct diag d = {0};

        f->dir = t_mkdtemp("hops");
        if (f->dir == NULL)
                return -1;
        snprintf(f->file, sizeof f->file, "%s/a.yaml", f->dir);
        for (int i = 0; i < 3; i++) {
                FILE *fp;

                snprintf(f->pkg[i], sizeof f->pkg[i], "%s/toy-%s.tar.gz", f->dir, vers[i]);
                if ((fp = fopen(f->pkg[i], "w")) == NULL)
                        return -1;
                fclose(fp);
        }
        if (step_plan_load(TOY, &f->p, &d) < 0)
                return -1;
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        plan_free(f->p);
        if (t_rm_rf(f->dir) != 0)
                return -1;
        free(f->dir);
        free(f);
        return 0;
}

/* Write the answers: root, then package as a map of the given hops (a bit
 * per hop of vers[]), or as one value when scalar. */
static void
write_answers(struct fx *f, unsigned mask, bool scalar)
{
        char buf[1024];
        int n = snprintf(buf, sizeof buf, "root: /srv/toy\n");

        if (scalar) {
                n += snprintf(buf + n, sizeof buf - (size_t)n, "package: %s\n", f->pkg[2]);
        } else {
                n += snprintf(buf + n, sizeof buf - (size_t)n, "package:\n");
                for (int i = 0; i < 3; i++)
                        if (mask & (1u << i))
                                n += snprintf(buf + n, sizeof buf - (size_t)n, "  %s: %s\n",
                                              vers[i], f->pkg[i]);
        }
        t_write_text(f->file, buf);
}

static void
test_map_per_hop(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct vars vs = {0};
        struct diag d = {0};

        write_answers(f, 7, false);
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), 0);
        assert_non_null(answers_map(a, "package"));
        assert_int_equal(answers_check_hops(f->p, a, (char **)vers, 3, &d), 0);
        vars_set(&vs, "target", "1.0.0");
        assert_int_equal(answers_apply(f->p, a, &vs, &d), 0);
        /* outside the hops: the last hop's */
        assert_string_equal(vars_get(&vs, "package"), f->pkg[2]);
        for (int i = 0; i < 3; i++) {
                vars_set(&vs, "target", vers[i]);
                assert_int_equal(answers_apply_hop(f->p, &vs, vers[i], &d), 0);
                assert_string_equal(vars_get(&vs, "package"), f->pkg[i]);
                /* a default is worked out again in each hop */
                assert_string_equal(vars_get(&vs, "package_sha256"), "");
        }
        vars_release(&vs);
        answers_free(a);
}

static void
test_map_missing_hop(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct diag d = {0};

        write_answers(f, 5, false);     /* no 0.80.2 */
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), 0);
        /* a path that does not pass 0.80.2 needs no value for it */
        assert_int_equal(answers_check_hops(f->p, a, (char **)vers + 2, 1, &d), 0);
        assert_int_equal(answers_check_hops(f->p, a, (char **)vers, 3, &d), -EINVAL);
        /* file:line:col of the map, the version, what to add */
        assert_non_null(strstr(d.msg, "a.yaml:3:3: "));
        assert_non_null(strstr(d.msg, "no value for the hop to 0.80.2"));
        assert_non_null(strstr(d.msg, "add \"0.80.2: VALUE\""));
        answers_free(a);
}

static void
test_scalar(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct vars vs = {0};
        struct diag d = {0};

        write_answers(f, 0, true);
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), 0);
        assert_null(answers_map(a, "package"));
        /* one value is right for one hop ... */
        assert_int_equal(answers_check_hops(f->p, a, (char **)vers + 2, 1, &d), 0);
        vars_set(&vs, "target", "1.0.0");
        assert_int_equal(answers_apply(f->p, a, &vs, &d), 0);
        assert_int_equal(answers_apply_hop(f->p, &vs, "1.0.0", &d), 0);
        assert_string_equal(vars_get(&vs, "package"), f->pkg[2]);
        /* ... and bad input for three */
        assert_int_equal(answers_check_hops(f->p, a, (char **)vers, 3, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "a.yaml:2:10: "));
        assert_non_null(strstr(d.msg, "3 hops"));
        vars_release(&vs);
        answers_free(a);
}

static void
test_map_refused(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct diag d = {0};
        char buf[512];

        /* a key that is no version */
        snprintf(buf, sizeof buf, "root: /srv\npackage:\n  latest: %s\n", f->pkg[0]);
        t_write_text(f->file, buf);
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "a.yaml:3:3: "));
        /* a value that is no file */
        snprintf(buf, sizeof buf, "root: /srv\npackage:\n  0.30.0: %s/nothing\n", f->dir);
        t_write_text(f->file, buf);
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "a.yaml:3:11: "));
        /* a map for a question that is not per_hop */
        snprintf(buf, sizeof buf, "root:\n  0.30.0: /srv\npackage: %s\n", f->pkg[0]);
        t_write_text(f->file, buf);
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "single value"));
}

static void
test_save_reload(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL, *b = NULL;
        struct diag d = {0};
        char saved[160];

        write_answers(f, 7, false);
        assert_int_equal(answers_load(f->file, f->p, true, &a, &d), 0);
        snprintf(saved, sizeof saved, "%s/saved.yaml", f->dir);
        assert_int_equal(answers_save(f->p, a, saved, &d), 0);
        assert_int_equal(answers_load(saved, f->p, true, &b, &d), 0);
        assert_non_null(answers_map(b, "package"));
        assert_string_equal(kvlist_get(&answers_map(b, "package")->byver, "0.80.2"), f->pkg[1]);
        answers_free(a);
        answers_free(b);
}

static void
test_template(void **state)
{
        struct fx *f = *state;
        char *out = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&out, &len);

        answers_template(f->p, fp);
        fclose(fp);
        assert_non_null(strstr(out, "\npackage:\n  0.30.0:\n  0.80.2:\n  1.0.0:\n"));
        free(out);
}

/* The journal folded with hops ---------------------------------------------- */

static void
apply(struct run_state *s, const char *ev, const char *step, const char *k, const char *v)
{
        struct jrec r = {0};
        struct diag d = {0};

        jrec_set(&r, "ev", ev);
        if (step)
                jrec_set(&r, "step", step);
        if (k)
                jrec_set(&r, k, v);
        assert_int_equal(state_apply(s, &r, &d), 0);
        jrec_release(&r);
}

static void
test_state(void **state)
{
        static const char *const before[] = { "detect", "backup", "disconnect", "stop" };
        static const char *const hop_steps[] = { "swap", "migrate", "verify" };
        struct run_state s;
        struct jrec r = {0};
        struct diag d = {0};

        (void)state;
        state_init(&s);
        apply(&s, "run_start", NULL, "action", "run");
        for (int i = 0; i < 4; i++) {
                apply(&s, "step_start", before[i], NULL, NULL);
                apply(&s, "step_done", before[i], "ms", "1");
        }
        jrec_set(&r, "ev", "fact");
        jrec_set(&r, "key", "hops");
        jrec_set(&r, "value", "0.30.0 0.80.2 1.0.0");
        assert_int_equal(state_apply(&s, &r, &d), 0);
        jrec_release(&r);
        assert_int_equal(s.n_hops, 3);
        assert_int_equal(s.hop, 1);
        for (int i = 0; i < 3; i++) {
                apply(&s, "step_start", hop_steps[i], NULL, NULL);
                apply(&s, "step_done", hop_steps[i], "ms", "1");
        }
        /* hop 1 done: next is hop 2's swap, not reconnect */
        assert_int_equal(state_next_step(&s), STEP_SWAP);
        assert_false(s.complete);
        apply(&s, "hop_start", NULL, "hop", "2");
        assert_int_equal(s.hop, 2);
        assert_int_equal(s.status[STEP_SWAP], ST_PENDING);
        assert_int_equal(s.status[STEP_VERIFY], ST_PENDING);
        assert_int_equal(s.status[STEP_STOP], ST_DONE);
        assert_true(s.begun[STEP_MIGRATE]);     /* in hop 1: rollback must undo it */
        apply(&s, "step_start", "swap", "hop", "2");
        assert_int_equal(s.status[STEP_SWAP], ST_RUNNING);
        /* a step record of a later hop moves on without hop_start */
        apply(&s, "step_start", "swap", "hop", "3");
        assert_int_equal(s.hop, 3);
        for (int i = 0; i < 3; i++)
                apply(&s, "step_done", hop_steps[i], "ms", "1");
        assert_int_equal(state_next_step(&s), STEP_RECONNECT);
        apply(&s, "step_start", "reconnect", NULL, NULL);
        apply(&s, "step_done", "reconnect", "ms", "1");
        assert_true(s.complete);
        state_release(&s);
}

static void
test_state_old_journal(void **state)
{
        static const char *const all[] = { "detect", "backup", "disconnect", "stop", "swap",
                                           "migrate", "verify", "reconnect" };
        struct run_state s;

        (void)state;
        /* no hops fact, no hop fields: one hop, as upshift always read it */
        state_init(&s);
        for (int i = 0; i < 7; i++) {
                apply(&s, "step_start", all[i], NULL, NULL);
                apply(&s, "step_done", all[i], "ms", "1");
        }
        assert_int_equal(s.n_hops, 1);
        assert_int_equal(state_next_step(&s), STEP_RECONNECT);
        apply(&s, "step_start", all[7], NULL, NULL);
        apply(&s, "step_done", all[7], "ms", "1");
        assert_true(s.complete);
        state_release(&s);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_compute),
                cmocka_unit_test(test_split_join),
                cmocka_unit_test_setup_teardown(test_map_per_hop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_map_missing_hop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_scalar, setup, teardown),
                cmocka_unit_test_setup_teardown(test_map_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_save_reload, setup, teardown),
                cmocka_unit_test_setup_teardown(test_template, setup, teardown),
                cmocka_unit_test(test_state),
                cmocka_unit_test(test_state_old_journal),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
