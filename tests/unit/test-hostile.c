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
#include "engine/engine.h"
#include "steps/step.h"
#include "testlib.h"

#define PLAN_TOP \
        "schema: 1\nid: h\ntitle: Hostile input\ntarget: 1.2.3\n" \
        "ask:\n" \
        "  - {key: token, text: Token, type: secret, required: false, default: \"\"}\n" \
        "  - {key: port, text: Port, type: integer, default: 6379}\n"
#define PLAN_DETECT \
        "detect:\n" \
        "  version: {run: [echo, v1.2.3], match: 'v(\\d+\\.\\d+\\.\\d+)'}\n"
#define PLAN_HEAD PLAN_TOP PLAN_DETECT

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

/* Load answers text for the plan text; returns answers_load's result. */
static int
load_answers(const char *dir, const char *plan, const char *text, struct diag *d)
{
        struct plan *p;
        struct answers *a = NULL;
        char path[256];
        int r;

        assert_int_equal(load_plan(dir, plan, &p, d), 0);
        put(dir, "a.yaml", text, path, sizeof path);
        chmod(path, 0600);
        r = answers_load(path, p, false, &a, d);
        answers_free(a);
        plan_free(p);
        return r;
}

#define RANGE_PLAN PLAN_TOP \
        "  - {key: http_port, text: Port, type: integer, min: 1, max: 65535, default: 80}\n" \
        PLAN_DETECT

static void
test_integer_range(void **state)
{
        struct diag d = {0};
        struct plan *p;

        assert_int_equal(load_answers(*state, RANGE_PLAN, "token: \"\"\nport: -1\n", &d), -EINVAL);
        assert_non_null(strstr(d.msg, "a.yaml:2:7: "));
        assert_non_null(strstr(d.msg, "\"port\" must be an integer from 0 to 2147483647"));
        diag_clear(&d);
        assert_int_equal(load_answers(*state, RANGE_PLAN, "port: 99999999999999999999\n", &d), -EINVAL);
        assert_non_null(strstr(d.msg, "a.yaml:1:7: "));
        diag_clear(&d);
        assert_int_equal(load_answers(*state, RANGE_PLAN, "http_port: 70000\n", &d), -EINVAL);
        assert_non_null(strstr(d.msg, "\"http_port\" must be an integer from 1 to 65535"));
        diag_clear(&d);
        assert_int_equal(load_answers(*state, RANGE_PLAN, "http_port: 0\n", &d), -EINVAL);
        diag_clear(&d);
        assert_int_equal(load_answers(*state, RANGE_PLAN, "http_port: 65535\nport: 0\n", &d), 0);
        /* A default outside its range is the plan's mistake, found at load. */
        assert_int_equal(load_plan(*state, PLAN_TOP
                "  - {key: n, text: N, type: integer, min: 1, max: 9, default: 10}\n" PLAN_DETECT,
                &p, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "plan.yaml:8:"));
        assert_non_null(strstr(d.msg, "from 1 to 9"));
        diag_clear(&d);
        assert_int_equal(load_plan(*state, PLAN_TOP
                "  - {key: n, text: N, type: integer, min: 9, max: 1}\n" PLAN_DETECT, &p, &d),
                -EINVAL);
        assert_non_null(strstr(d.msg, "plan.yaml:8:"));
}

/* A file of size bytes: "k: " and a value of x's. */
static void
write_big(const char *path, size_t size)
{
        FILE *fp = fopen(path, "w");

        assert_non_null(fp);
        fputs("k: ", fp);
        for (size_t i = 3; i < size; i++)
                fputc('x', fp);
        fclose(fp);
        chmod(path, 0600);
}

/* Answers of n keys k0, k1, ... and then extra. */
static int
load_keys(const char *dir, const struct plan *p, int n, const char *extra, struct diag *d)
{
        struct strbuf sb = {0};
        struct answers *a = NULL;
        char path[256];
        int r;

        for (int i = 0; i < n; i++)
                strbuf_addf(&sb, "k%d: 1\n", i);
        strbuf_adds(&sb, extra);
        put(dir, "keys.yaml", sb.buf, path, sizeof path);
        strbuf_release(&sb);
        r = answers_load(path, p, false, &a, d);
        answers_free(a);
        return r;
}

static void
test_size_limits(void **state)
{
        struct diag d = {0};
        struct plan *p;
        struct answers *a = NULL;
        struct strbuf sb = {0};
        char path[256];

        assert_int_equal(load_plan(*state, PLAN_HEAD, &p, &d), 0);
        /* A whole file over the limit: refused before it is read. */
        snprintf(path, sizeof path, "%s/huge.yaml", (char *)*state);
        write_big(path, (5u << 20));
        assert_int_equal(answers_load(path, p, false, &a, &d), -EFBIG);
        assert_non_null(strstr(d.msg, "huge.yaml"));
        assert_non_null(strstr(d.msg, "4 MiB"));
        diag_clear(&d);
        assert_int_equal(step_plan_load(path, &(struct plan *){NULL}, &d), -EFBIG);
        diag_clear(&d);
        /* One value over the limit, at its line and column. */
        strbuf_adds(&sb, "port: 1\ntoken: ");
        for (int i = 0; i < 70000; i++)
                strbuf_addch(&sb, 'x');
        strbuf_adds(&sb, "\n");
        put(*state, "long.yaml", sb.buf, path, sizeof path);
        chmod(path, 0600);
        strbuf_release(&sb);
        assert_int_equal(answers_load(path, p, false, &a, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "long.yaml:2:8: "));
        assert_non_null(strstr(d.msg, "65536"));
        diag_clear(&d);
        /* Too many keys: refused at the first one over the limit. */
        assert_int_equal(load_keys(*state, p, 200000, "", &d), -EINVAL);
        assert_non_null(strstr(d.msg, "keys.yaml:10001:1: "));
        assert_non_null(strstr(d.msg, "10000 keys"));
        diag_clear(&d);
        /* Below it, a key given twice is still found, with its first line. */
        assert_int_equal(load_keys(*state, p, 9000, "k17: 2\n", &d), -EINVAL);
        assert_non_null(strstr(d.msg, "keys.yaml:9001:1: duplicate key \"k17\" (first given at line 18)"));
        plan_free(p);
}

/* libyaml's reader (encodings, control characters) marks no line: the
 * error still names the right one. */
static void
test_reader_error_line(void **state)
{
        struct diag d = {0};
        struct plan *p;
        char path[256];

        assert_int_equal(load_plan(*state, PLAN_HEAD, &p, &d), 0);
        put(*state, "bad.yaml", "port: 1\n# two\n# three\ntoken: \"a\x01b\"\n", path, sizeof path);
        chmod(path, 0600);
        assert_int_equal(answers_load(path, p, false, &(struct answers *){NULL}, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "bad.yaml:4:10: "));
        diag_clear(&d);
        put(*state, "utf.yaml", "port: 1\n\n# \xff\n", path, sizeof path);
        assert_int_equal(answers_load(path, p, false, &(struct answers *){NULL}, &d), -EINVAL);
        assert_non_null(strstr(d.msg, "utf.yaml:3:3: "));
        plan_free(p);
}

/* mkdir dir/name with mode (chmod: no umask); the path goes into buf. */
static const char *
mkdir_mode(const char *dir, const char *name, mode_t mode, char *buf, size_t n)
{
        snprintf(buf, n, "%s/%s", dir, name);
        assert_int_equal(mkdir(buf, 0700), 0);
        assert_int_equal(chmod(buf, mode), 0);
        return buf;
}

/* engine_check_state_parents on dir/rel: its return, the message in d. */
static int
parents(const char *dir, const char *rel, struct diag *d)
{
        char path[512];

        diag_clear(d);
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        return engine_check_state_parents(path, d);
}

/* The directories above the state directory: each owned by root or the
 * user, and none that group or others may write without the sticky bit
 * (OpenSSH's StrictModes), found as written and as resolved. */
static void
test_state_dir_parents(void **state)
{
        const char *top = *state;
        struct diag d = {0};
        char buf[512], real[512];

        assert_int_equal(parents(top, "state", &d), 0);
        assert_int_equal(parents(top, "not/yet/made/state", &d), 0);
        mkdir_mode(top, "loose", 0777, buf, sizeof buf);
        assert_int_equal(parents(top, "loose/state", &d), -EPERM);
        assert_non_null(strstr(d.msg, "/loose\""));
        assert_non_null(strstr(d.msg, "0777"));
        assert_null(strchr(d.msg, '\n'));
        mkdir_mode(top, "loose/mine", 0700, buf, sizeof buf);
        assert_int_equal(parents(top, "loose/mine/state", &d), -EPERM);
        assert_non_null(strstr(d.msg, "/loose\""));
        mkdir_mode(top, "group", 0770, buf, sizeof buf);
        assert_int_equal(parents(top, "group/state", &d), -EPERM);
        /* as /tmp: others may write, but not rename what is ours */
        mkdir_mode(top, "sticky", 01777, buf, sizeof buf);
        assert_int_equal(parents(top, "sticky/state", &d), 0);
        /* a link to a loose directory, from a safe one */
        snprintf(buf, sizeof buf, "%s/to-loose", top);
        snprintf(real, sizeof real, "%s/loose/mine", top);
        assert_int_equal(symlink(real, buf), 0);
        assert_int_equal(parents(top, "to-loose/state", &d), -EPERM);
        assert_non_null(strstr(d.msg, "/loose\""));
        if (geteuid() == 0) {
                mkdir_mode(top, "theirs", 0755, buf, sizeof buf);
                assert_int_equal(chown(buf, 65534, 65534), 0);
                assert_int_equal(parents(top, "theirs/state", &d), -EPERM);
                assert_non_null(strstr(d.msg, "/theirs\""));
                assert_non_null(strstr(d.msg, "65534"));
        }
        diag_clear(&d);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_secret_in_argv, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_answers_with_secret_private, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_exec_masks_secrets, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_integer_range, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_size_limits, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_reader_error_line, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_state_dir_parents, t_setup_dir, t_teardown_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
