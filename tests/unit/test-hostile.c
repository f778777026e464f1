/* test-hostile.c: what comes from outside is checked before it is used
 * (issue 13): secrets stay off command lines and out of captured output,
 * an answers file holding a secret is private, and plan and answers files
 * are bounded in size, with integers in range and errors at their line. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
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

#include "lib/answers.h"
#include "lib/exec.h"
#include "steps/step.h"
#include "testlib.h"

#define PLAN_HEAD \
        "schema: 1\nid: h\ntitle: Hostile input\ntarget: 1.2.3\n" \
        "ask:\n" \
        "  - {key: token, text: Token, type: secret, required: false, default: \"\"}\n" \
        "  - {key: port, text: Port, type: integer, default: 6379}\n" \
        "detect:\n" \
        "  version: {run: [echo, v1.2.3], match: 'v(\\d+\\.\\d+\\.\\d+)'}\n"

/* Write text as dir/name; the path goes into buf. */
static const char *
put(const char *dir, const char *name, const char *text, char *buf, size_t n)
{
        snprintf(buf, n, "%s/%s", dir, name);
        t_write_text(buf, text);
        return buf;
}

/* Load the plan text; returns what step_plan_load returned, the message in d. */
static int
load_plan(const char *dir, const char *text, struct plan **ret, struct diag *d)
{
        char path[256];

        put(dir, "plan.yaml", text, path, sizeof path);
        *ret = NULL;
        return step_plan_load(path, ret, d);
}

static void
test_secret_in_argv(void **state)
{
        struct diag d = {0};
        struct plan *p;

        /* The secret in a run: argument: line 12, its argument at column 18. */
        assert_int_equal(load_plan(*state, PLAN_HEAD
                "backup:\n"
                "  before:\n"
                "    - [curl, -H, \"Authorization: ${token}\", http://127.0.0.1/]\n", &p, &d),
                -EINVAL);
        assert_non_null(strstr(d.msg, "plan.yaml:12:18: "));
        assert_non_null(strstr(d.msg, "secret \"${token}\""));
        assert_non_null(strstr(d.msg, "env:"));
        diag_clear(&d);
        /* A mapping's run: too. */
        assert_int_equal(load_plan(*state, PLAN_HEAD
                "verify:\n"
                "  checks:\n"
                "    - run: [curl, \"http://u:${token}@127.0.0.1/\"]\n", &p, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "plan.yaml:12:"));
        diag_clear(&d);
        /* Through env: to a shell script or a program: loads. */
        assert_int_equal(load_plan(*state, PLAN_HEAD
                "backup:\n"
                "  before:\n"
                "    - {shell: 'curl -H \"Authorization: $TOKEN\" http://127.0.0.1/', env: {TOKEN: \"${token}\"}}\n"
                "    - {run: [printenv, TOKEN], env: {TOKEN: \"${token}\"}}\n", &p, &d), 0);
        plan_free(p);
}

static void
test_answers_with_secret_private(void **state)
{
        struct diag d = {0};
        struct plan *p;
        struct answers *a = NULL;
        char path[256];

        assert_int_equal(load_plan(*state, PLAN_HEAD, &p, &d), 0);
        put(*state, "a.yaml", "token: s3cret\n", path, sizeof path);
        chmod(path, 0644);
        assert_int_equal(answers_load(path, p, true, &a, &d), -EPERM);
        assert_null(a);
        assert_non_null(strstr(d.msg, "a.yaml"));
        assert_non_null(strstr(d.msg, "chmod 600"));
        diag_clear(&d);
        chmod(path, 0640);
        assert_int_equal(answers_load(path, p, true, &a, &d), -EPERM);
        diag_clear(&d);
        chmod(path, 0600);
        assert_int_equal(answers_load(path, p, true, &a, &d), 0);
        answers_free(a);
        /* No secret in it (an empty one is none): any mode. */
        put(*state, "b.yaml", "token: \"\"\nport: 7000\n", path, sizeof path);
        chmod(path, 0644);
        assert_int_equal(answers_load(path, p, true, &a, &d), 0);
        answers_free(a);
        plan_free(p);
}

struct lines {
        char all[4096];
};

static void
collect(void *ud, int fd, const char *line)
{
        struct lines *l = ud;
        size_t n = strlen(l->all);

        snprintf(l->all + n, sizeof l->all - n, "%d:%s\n", fd, line);
}

static void
test_exec_masks_secrets(void **state)
{
        char *const argv[] = { (char *)"sh", (char *)"-c",
                (char *)"echo \"url=postgresql://u:s3cret@h/db\"; echo \"s3cret s3cret\" >&2; exit 3", NULL };
        char *const mask[] = { (char *)"s3cret", NULL };
        struct lines l = {0};
        struct exec_opts o = { .argv = argv, .on_line = collect, .ud = &l, .mask = mask };
        struct exec_result res = {0};
        struct diag d = {0};
        char path[256], *log;

        snprintf(path, sizeof path, "%s/log", (char *)*state);
        o.log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(o.log_fd >= 0);
        assert_int_equal(exec_run(&o, &res, &d), 0);
        close(o.log_fd);
        assert_int_equal(res.status, 3);
        assert_null(strstr(l.all, "s3cret"));
        assert_non_null(strstr(l.all, "1:url=postgresql://u:********@h/db\n"));
        assert_non_null(strstr(l.all, "2:******** ********\n"));
        log = t_slurp(path, NULL);
        assert_null(strstr(log, "s3cret"));
        assert_non_null(strstr(log, "u:********@h"));
        free(log);
        assert_null(strstr(res.out, "s3cret"));
        assert_null(strstr(res.err_tail, "s3cret"));
        exec_result_release(&res);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_secret_in_argv, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_answers_with_secret_private, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_exec_masks_secrets, t_setup_dir, t_teardown_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
