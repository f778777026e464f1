/* test-answers.c: the answers file (answers.h). */
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

#include "lib/answers.h"
#include "steps/step.h"
#include "testlib.h"

#define PLANS SRCDIR "/tests/data/plans"
#define DATA SRCDIR "/tests/data/answers"

struct fx {
        char        *dir;               /* t_mkdtemp() */
        char         file[96];          /* answers file to write */
        char         pkg[96];           /* an existing regular file */
        struct plan *full;
};

static int
setup(void **state)
{
        struct fx *f = calloc(1, sizeof *f);
        struct diag d = {0};
        FILE *fp;

        umask(077);     /* full.yaml asks a secret: its answers files must be private */
        f->dir = t_mkdtemp("answers");
        if (f->dir == NULL)
                return -1;
        snprintf(f->file, sizeof f->file, "%s/a.yaml", f->dir);
        snprintf(f->pkg, sizeof f->pkg, "%s/full.tar.gz", f->dir);
        if ((fp = fopen(f->pkg, "w")) == NULL)
                return -1;
        fclose(fp);
        if (step_plan_load(PLANS "/full.yaml", &f->full, &d) < 0) {
                fprintf(stderr, "%s\n", d.msg);
                return -1;
        }
        *state = f;
        return 0;
}

static int
teardown(void **state)
{
        struct fx *f = *state;

        plan_free(f->full);
        if (t_rm_rf(f->dir) != 0)
                return -1;
        free(f->dir);
        free(f);
        return 0;
}

/* All required answers of full.yaml, then extra. */
static void
write_answers(struct fx *f, const char *extra)
{
        char buf[2048];

        snprintf(buf, sizeof buf,
                 "package: %s\nadmin_password: s3cret\ndetect_check_1: yes\n"
                 "backups_ok: true\ndisconnect_check_1: y\nreconnect_check_1: on\n%s",
                 f->pkg, extra);
        t_write_text(f->file, buf);
}

static void
expect_load_error(struct fx *f, int want_r, unsigned line, unsigned col, const char *msg)
{
        struct answers *a = NULL;
        struct diag d = {0};
        char want[512];

        assert_int_equal(answers_load(f->file, f->full, true, &a, &d), want_r);
        assert_null(a);
        snprintf(want, sizeof want, "%s:%u:%u: %s", f->file, line, col, msg);
        assert_string_equal(d.msg, want);
}

static void
test_good(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct diag d = {0};

        write_answers(f, "port: 7001\nmode: fast\nuse_tls: Off\n"
                         "package_sha256: ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\n"
                         "backup_dir: /srv/backups\nmanager: \"null\"\ndata_dir: ~\n");
        if (answers_load(f->file, f->full, true, &a, &d) != 0)
                fail_msg("%s", d.msg);
        assert_string_equal(a->file, f->file);
        assert_string_equal(kvlist_get(&a->kv, "package"), f->pkg);
        assert_string_equal(kvlist_get(&a->kv, "port"), "7001");
        assert_string_equal(kvlist_get(&a->kv, "use_tls"), "no");
        assert_string_equal(kvlist_get(&a->kv, "detect_check_1"), "yes");
        assert_string_equal(kvlist_get(&a->kv, "backups_ok"), "yes");
        assert_string_equal(kvlist_get(&a->kv, "disconnect_check_1"), "yes");
        assert_string_equal(kvlist_get(&a->kv, "reconnect_check_1"), "yes");
        assert_string_equal(kvlist_get(&a->kv, "package_sha256"),
                            "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
        assert_string_equal(kvlist_get(&a->kv, "backup_dir"), "/srv/backups");
        /* A quoted "null" is a string; a plain ~ is no answer. */
        assert_string_equal(kvlist_get(&a->kv, "manager"), "null");
        assert_null(kvlist_get(&a->kv, "data_dir"));
        answers_free(a);
}

static void
test_misspelt(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct diag d = {0};

        assert_int_equal(answers_load(DATA "/misspelt.yaml", f->full, false, &a, &d), -EINVAL);
        assert_string_equal(d.msg, DATA "/misspelt.yaml:3:1: unknown key \"pakage\" "
                            "(did you mean \"package\"?)");
        t_write_text(f->file, "data_dir: /x\nbakcup_dir: /y\n");
        expect_load_error(f, -EINVAL, 2, 1,
                          "unknown key \"bakcup_dir\" (did you mean \"backup_dir\"?)");
        t_write_text(f->file, "zzz: 1\n");
        expect_load_error(f, -EINVAL, 1, 1,
                          "unknown key \"zzz\" (expected one of: package, package_sha256, "
                          "data_dir, port, mode, use_tls, admin_password, manager, "
                          "detect_check_1, backups_ok, disconnect_check_1, "
                          "reconnect_check_1, backup_dir, backup_compression, backup_level, "
                          "on_doubt)");
        /* The built-in on_doubt takes only its three policies. */
        t_write_text(f->file, "on_doubt: maybe\n");
        expect_load_error(f, -EINVAL, 1, 11, "\"on_doubt\" must be one of: stop, rerun, done");
}

static void
test_missing(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct diag d = {0};
        char want[512];

        t_write_text(f->file, "data_dir: /x\ndetect_check_1: no\nbackups_ok: yes\n");
        assert_int_equal(answers_load(f->file, f->full, true, &a, &d), -EINVAL);
        snprintf(want, sizeof want, "%s: missing required answers: package, admin_password, "
                 "detect_check_1, disconnect_check_1, reconnect_check_1", f->file);
        assert_string_equal(d.msg, want);

        /* Not checked: loads, and keeps the "no". */
        assert_int_equal(answers_load(f->file, f->full, false, &a, &d), 0);
        assert_string_equal(kvlist_get(&a->kv, "detect_check_1"), "no");
        answers_free(a);

        assert_int_equal(answers_load(NULL, f->full, true, &a, &d), -EINVAL);
        assert_string_equal(d.msg, "no answers file: missing required answers: package, "
                            "admin_password, detect_check_1, backups_ok, "
                            "disconnect_check_1, reconnect_check_1");
        assert_int_equal(answers_load(NULL, f->full, false, &a, &d), 0);
        assert_null(a->file);
        assert_int_equal(a->kv.n, 0);
        answers_free(a);

        /* Empty file, or a null document: no answers. */
        t_write_text(f->file, "# nothing yet\n");
        assert_int_equal(answers_load(f->file, f->full, false, &a, &d), 0);
        assert_int_equal(a->kv.n, 0);
        answers_free(a);
        t_write_text(f->file, "---\n...\n");
        assert_int_equal(answers_load(f->file, f->full, false, &a, &d), 0);
        answers_free(a);
}

static void
test_type_errors(void **state)
{
        struct fx *f = *state;

        write_answers(f, "port: 70x\n");
        expect_load_error(f, -EINVAL, 7, 7, "\"port\" must be an integer from 0 to 2147483647");
        write_answers(f, "mode: turbo\n");
        expect_load_error(f, -EINVAL, 7, 7, "\"mode\" must be one of: fast, safe");
        write_answers(f, "use_tls: maybe\n");
        expect_load_error(f, -EINVAL, 7, 10, "\"use_tls\" must be yes or no");
        write_answers(f, "package_sha256: 12ab\n");
        expect_load_error(f, -EINVAL, 7, 17,
                          "\"package_sha256\" must be 64 hexadecimal digits (a SHA-256)");
        write_answers(f, "port: [1, 2]\n");
        expect_load_error(f, -EINVAL, 7, 7, "\"port\" must be a single value, not a list");
        t_write_text(f->file, "- a\n- b\n");
        expect_load_error(f, -EINVAL, 1, 1, "expected a mapping of answer keys to values");
        t_write_text(f->file, "port: [1\n");
        {
                struct answers *a = NULL;
                struct diag d = {0};
                char want[160];

                assert_int_equal(answers_load(f->file, f->full, true, &a, &d), -EINVAL);
                snprintf(want, sizeof want, "%s:2:1: ", f->file);
                assert_true(strncmp(d.msg, want, strlen(want)) == 0);
                assert_int_equal(answers_load("/nonexistent/a.yaml", f->full, true, &a, &d),
                                 -ENOENT);
                assert_string_equal(d.msg, "cannot open answers file \"/nonexistent/a.yaml\": "
                                    "No such file or directory");
        }
}

static void
test_file_must_exist(void **state)
{
        struct fx *f = *state;
        char buf[512];

        t_write_text(f->file, "package: /nonexistent/x.deb\n");
        expect_load_error(f, -EINVAL, 1, 10, "\"package\": no such file \"/nonexistent/x.deb\"");
        snprintf(buf, sizeof buf, "package: %s\n", f->dir);
        t_write_text(f->file, buf);
        snprintf(buf, sizeof buf, "\"package\": \"%s\" is not a regular file", f->dir);
        expect_load_error(f, -EINVAL, 1, 10, buf);
}

static void
test_check_value(void **state)
{
        struct fx *f = *state;
        static const struct {
                const char *in, *out;
        } yn[] = {
                { "yes", "yes" }, { "Y", "yes" }, { "true", "yes" }, { "ON", "yes" },
                { "no", "no" }, { "n", "no" }, { "False", "no" }, { "off", "no" },
        };
        const struct question *q = plan_question(f->full, "use_tls");
        struct diag d = {0};
        char *v = NULL;

        for (size_t i = 0; i < sizeof yn / sizeof yn[0]; i++) {
                assert_int_equal(answers_check_value(q, yn[i].in, &v, &d), 0);
                assert_string_equal(v, yn[i].out);
                free(v);
        }
        assert_int_equal(answers_check_value(q, "1", &v, &d), -EINVAL);
        assert_string_equal(d.msg, "\"use_tls\" must be yes or no");

        q = plan_question(f->full, "package_sha256");
        assert_int_equal(answers_check_value(q, "", &v, &d), 0);    /* not required */
        assert_string_equal(v, "");
        free(v);
        q = plan_question(f->full, "port");
        assert_int_equal(answers_check_value(q, "5", &v, &d), 0);
        free(v);
        /* Not below 0 unless the question's min: says so (test-hostile.c). */
        assert_int_equal(answers_check_value(q, "-5", &v, &d), -EINVAL);
        assert_int_equal(answers_check_value(q, "", &v, &d), -EINVAL);
        q = plan_question(f->full, "detect_check_1");
        assert_int_equal(answers_check_value(q, "Yes", &v, &d), 0);
        assert_string_equal(v, "yes");
        free(v);
}

/* Replace every line that is exactly "from" with "to". */
static char *
replace_line(char *text, const char *from, const char *to)
{
        size_t cap = strlen(text) + strlen(to) * 8 + 1;
        char *out = calloc(1, cap), *line, *save = NULL;

        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                strcat(out, strcmp(line, from) == 0 ? to : line);
                strcat(out, "\n");
        }
        free(text);
        return out;
}

static void
test_template_round_trip(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL;
        struct diag d = {0};
        char want[512], pkgline[160];
        char *text = NULL;
        size_t len = 0;
        FILE *fp = fopen(f->file, "w");

        answers_template(f->full, fp);
        fclose(fp);
        fp = fopen(f->file, "r");
        text = calloc(1, 8192);
        len = fread(text, 1, 8191, fp);
        fclose(fp);
        assert_true(len > 0);
        assert_non_null(strstr(text, "# Answers for plan \"full-test\": Full test service\n"));
        assert_non_null(strstr(text, "\n# New package file\n# The .tar.gz from the vendor.\n"
                               "# type: file; required\npackage:\n"));
        assert_non_null(strstr(text, "\n# type: choice, one of: fast, safe; default: safe\n"
                               "mode: safe\n"));
        assert_non_null(strstr(text, "\n# package_sha256:\n"));
        assert_non_null(strstr(text, "\n# Checklist (detect): Nobody else is upgrading this "
                               "server\n# answer yes once this is done\ndetect_check_1: no\n"));
        assert_non_null(strstr(text, "\n# backup_dir: /var/backups/upshift/full-test\n"));

        /* As it is, it lists every missing answer. */
        assert_int_equal(answers_load(f->file, f->full, true, &a, &d), -EINVAL);
        snprintf(want, sizeof want, "%s: missing required answers: package, admin_password, "
                 "detect_check_1, backups_ok, disconnect_check_1, reconnect_check_1", f->file);
        assert_string_equal(d.msg, want);

        /* Filled in, it loads. */
        snprintf(pkgline, sizeof pkgline, "package: %s", f->pkg);
        text = replace_line(text, "package:", pkgline);
        text = replace_line(text, "admin_password:", "admin_password: x");
        text = replace_line(text, "detect_check_1: no", "detect_check_1: yes");
        text = replace_line(text, "backups_ok: no", "backups_ok: yes");
        text = replace_line(text, "disconnect_check_1: no", "disconnect_check_1: yes");
        text = replace_line(text, "reconnect_check_1: no", "reconnect_check_1: yes");
        t_write_text(f->file, text);
        free(text);
        if (answers_load(f->file, f->full, true, &a, &d) != 0)
                fail_msg("%s", d.msg);
        assert_string_equal(kvlist_get(&a->kv, "mode"), "safe");
        assert_string_equal(kvlist_get(&a->kv, "port"), "7000");
        assert_string_equal(kvlist_get(&a->kv, "use_tls"), "yes");
        assert_string_equal(kvlist_get(&a->kv, "data_dir"), "/var/lib/full");
        assert_null(kvlist_get(&a->kv, "backup_dir"));
        answers_free(a);
}

static void
test_template_quoting(void **state)
{
        struct fx *f = *state;
        struct plan *p = NULL;
        struct answers *a = NULL;
        struct diag d = {0};
        FILE *fp;

        assert_int_equal(step_plan_load(DATA "/plan.yaml", &p, &d), 0);
        fp = fopen(f->file, "w");
        answers_template(p, fp);
        fclose(fp);
        /* The odd default reads back as itself; the default that uses
         * variables stays commented so that it is worked out at run time. */
        assert_int_equal(answers_load(f->file, p, false, &a, &d), 0);
        assert_string_equal(kvlist_get(&a->kv, "odd"), "a: #b \"c\"");
        assert_null(kvlist_get(&a->kv, "data_dir"));
        assert_string_equal(kvlist_get(&a->kv, "base"), "/srv/app");
        assert_string_equal(kvlist_get(&a->kv, "clients_back"), "no");
        answers_free(a);
        plan_free(p);
}

static void
test_apply(void **state)
{
        struct fx *f = *state;
        struct plan *p = NULL;
        struct answers *a = NULL;
        struct vars vs = {0};
        struct diag d = {0};

        assert_int_equal(step_plan_load(DATA "/plan.yaml", &p, &d), 0);
        t_write_text(f->file, "base: /opt/x\nbackup_dir: /b\nclients_back: yes\n");
        assert_int_equal(answers_load(f->file, p, true, &a, &d), 0);
        vars_set(&vs, "plan", "answers-test");
        assert_int_equal(answers_apply(p, a, &vs, &d), 0);
        assert_string_equal(vars_get(&vs, "base"), "/opt/x");
        assert_string_equal(vars_get(&vs, "data_dir"), "/opt/x/data/answers-test");
        assert_string_equal(vars_get(&vs, "token"), "t0ken");
        assert_true(vars_is_secret(&vs, "token"));
        assert_false(vars_is_secret(&vs, "base"));
        assert_string_equal(vars_get(&vs, "backup_dir"), "/b");
        assert_string_equal(vars_get(&vs, "clients_back"), "yes");
        assert_null(vars_get(&vs, "note"));
        vars_release(&vs);

        /* A default that needs a variable nobody set. */
        memset(&vs, 0, sizeof vs);
        assert_int_equal(answers_apply(p, NULL, &vs, &d), -ENOENT);
        assert_string_equal(d.msg, "cannot use the default of \"data_dir\": "
                            "unknown variable \"${plan}\"");
        vars_release(&vs);
        answers_free(a);
        plan_free(p);
}

static void
test_save(void **state)
{
        struct fx *f = *state;
        struct answers *a = NULL, *b = NULL;
        struct diag d = {0};
        char out[160], *text = NULL;
        struct stat st;
        size_t len;

        write_answers(f, "manager: \"say \\\"hi\\\"\\n\"\nbackup_dir: /srv/b\n");
        assert_int_equal(answers_load(f->file, f->full, true, &a, &d), 0);
        snprintf(out, sizeof out, "%s/saved.yaml", f->dir);
        assert_int_equal(answers_save(f->full, a, out, &d), 0);
        assert_int_equal(stat(out, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(read_file(out, &text, &len, &d), 0);
        assert_null(strstr(text, "s3cret"));
        assert_null(strstr(text, "admin_password"));
        assert_non_null(strstr(text, "manager: \"say \\\"hi\\\"\\n\"\n"));
        free(text);
        assert_int_equal(answers_load(out, f->full, false, &b, &d), 0);
        assert_string_equal(kvlist_get(&b->kv, "manager"), "say \"hi\"\n");
        assert_string_equal(kvlist_get(&b->kv, "package"), f->pkg);
        assert_string_equal(kvlist_get(&b->kv, "backup_dir"), "/srv/b");
        assert_null(kvlist_get(&b->kv, "admin_password"));
        assert_int_equal(b->kv.n, a->kv.n - 1);
        answers_free(a);
        answers_free(b);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_good),
                T(test_misspelt),
                T(test_missing),
                T(test_type_errors),
                T(test_file_must_exist),
                T(test_check_value),
                T(test_template_round_trip),
                T(test_template_quoting),
                T(test_apply),
                T(test_save),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
