/* test-remote.c: the worker's frontend (ui/remote.h) seen from the
 * client's end of the socket: order, batching of log lines, requests and
 * replies, a client that goes away, the snapshot for a later client. */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"
#include "ui/proto.h"
#include "ui/remote.h"

struct fixture {
        struct plan             plan;
        volatile sig_atomic_t   interrupt;
        struct frontend        *fe;
        int                     fd;     /* the client's end */
        struct proto_reader     rd;
};

static int
setup_for(void **state, bool rollback)
{
        struct fixture *f = calloc(1, sizeof *f);
        struct remote_opts o = { .rollback = rollback };
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        f->plan.id = (char *)"t";
        f->plan.title = (char *)"A test";
        f->plan.target = (char *)"2.0.0";
        o.fd = sv[0];
        o.listen_fd = -1;
        o.plan = &f->plan;
        o.state_dir = "/nonexistent";
        o.interrupt = &f->interrupt;
        f->fe = remote_new(&o);
        f->fd = sv[1];
        *state = f;
        return 0;
}

static int
setup(void **state)
{
        return setup_for(state, false);
}

static int
setup_rollback(void **state)
{
        return setup_for(state, true);
}

static int
teardown(void **state)
{
        struct fixture *f = *state;

        remote_free(f->fe);
        if (f->fd >= 0)
                close(f->fd);
        proto_reader_release(&f->rd);
        free(f);
        return 0;
}

/* The next message, waiting at most 5 s. */
static void
next_msg(struct fixture *f, struct proto_msg *m)
{
        struct diag d = {0};

        for (int i = 0; i < 500; i++) {
                struct pollfd p = { .fd = f->fd, .events = POLLIN };
                int r = proto_next(&f->rd, m, &d);

                if (r == 1)
                        return;
                assert_int_equal(r, 0);
                if (poll(&p, 1, 10) > 0)
                        assert_true(proto_read(&f->rd, f->fd) > 0);
        }
        fail_msg("no message from the worker's frontend");
}

static void
expect(struct fixture *f, const char *type, struct proto_msg *m)
{
        next_msg(f, m);
        assert_string_equal(m->type, type);
}

static void
test_hello_then_plan(void **state)
{
        struct fixture *f = *state;
        struct proto_msg m;

        expect(f, "hello", &m);
        assert_int_equal(proto_get_int(&m, "v", 0), PROTO_VERSION);
        assert_string_equal(proto_get(&m, "action"), "run");
        proto_release(&m);
        expect(f, "plan", &m);
        assert_string_equal(proto_get(&m, "id"), "t");
        assert_string_equal(proto_get(&m, "target"), "2.0.0");
        assert_non_null(proto_get(&m, "s.0.title"));
        assert_string_equal(proto_get(&m, "s.3.risk"), "destructive");
        proto_release(&m);
}

/* A rollback's worker says so in its hello: the wizard's title follows. */
static void
test_hello_says_rollback(void **state)
{
        struct fixture *f = *state;
        struct proto_msg m;

        expect(f, "hello", &m);
        assert_string_equal(proto_get(&m, "action"), "rollback");
        proto_release(&m);
}

/* Many lines at once: the newest REMOTE_BATCH arrive, after a skip for the
 * rest, and before the state message that followed them. */
static void
test_lines_batched_in_order(void **state)
{
        struct fixture *f = *state;
        struct proto_msg m;
        long long skipped = 0, got = 0;
        char last[32] = "";

        expect(f, "hello", &m);
        proto_release(&m);
        expect(f, "plan", &m);
        proto_release(&m);
        for (int i = 0; i < 5000; i++) {
                char line[32];

                snprintf(line, sizeof line, "line %d", i);
                f->fe->ops->output(f->fe, OUT_STDOUT, NULL, line);
        }
        f->fe->ops->step_state(f->fe, STEP_BACKUP, ST_DONE, 12, NULL);
        for (;;) {
                next_msg(f, &m);
                if (proto_is(&m, "state")) {
                        assert_string_equal(proto_get(&m, "step"), "backup");
                        assert_string_equal(proto_get(&m, "status"), "done");
                        proto_release(&m);
                        break;
                }
                if (proto_is(&m, "skip")) {
                        skipped += proto_get_int(&m, "n", 0);
                } else {
                        assert_true(proto_is(&m, "out"));
                        assert_string_equal(proto_get(&m, "kind"), "stdout");
                        snprintf(last, sizeof last, "%s", proto_get(&m, "text"));
                        got++;
                }
                proto_release(&m);
        }
        assert_string_equal(last, "line 4999");
        assert_true(got <= REMOTE_BATCH * 3);
        assert_int_equal(skipped + got, 5000);
}

struct confirm_call {
        struct frontend *fe;
        int              result;
        const char      *ponr;          /* the point of no return, or NULL */
};

static void *
call_confirm(void *arg)
{
        struct confirm_call *c = arg;

        c->result = c->fe->ops->confirm(c->fe, STEP_STOP, "Stop the service",
                                        c->ponr ? NULL : "It goes down.", c->ponr);
        return NULL;
}

/* The attached client's first messages: the worker's hello and the plan. */
static void
skip_hello_plan(struct fixture *f)
{
        struct proto_msg m;

        expect(f, "hello", &m);
        proto_release(&m);
        expect(f, "plan", &m);
        proto_release(&m);
}

static void
test_confirm_waits_for_reply(void **state)
{
        struct fixture *f = *state;
        struct confirm_call c = { .fe = f->fe, .result = 99 };
        struct proto_msg m, rep;
        struct strbuf sb = {0};
        pthread_t th;

        skip_hello_plan(f);
        assert_int_equal(pthread_create(&th, NULL, call_confirm, &c), 0);
        expect(f, "confirm", &m);
        assert_string_equal(proto_get(&m, "step"), "stop");
        assert_string_equal(proto_get(&m, "consequence"), "It goes down.");
        /* A later client would be shown the same question. */
        remote_snapshot(f->fe, &sb);
        assert_non_null(strstr(sb.buf, "confirm "));
        assert_non_null(strstr(sb.buf, "plan "));
        strbuf_release(&sb);
        /* A reply to another request is ignored. */
        proto_init(&rep, "reply");
        proto_set_int(&rep, "id", proto_get_int(&m, "id", 0) + 7);
        proto_set(&rep, "result", "ok");
        proto_encode(&rep, &sb);
        proto_release(&rep);
        proto_init(&rep, "reply");
        proto_set_int(&rep, "id", proto_get_int(&m, "id", 0));
        proto_set(&rep, "result", "ok");
        proto_encode(&rep, &sb);
        proto_release(&rep);
        assert_int_equal(write(f->fd, sb.buf, sb.len), (ssize_t)sb.len);
        strbuf_release(&sb);
        pthread_join(th, NULL);
        assert_int_equal(c.result, STEP_OK);
        assert_int_equal(f->interrupt, 0);
        proto_release(&m);
}

static void
test_interrupt_request(void **state)
{
        struct fixture *f = *state;
        static const char msg[] = "interrupt\n";

        assert_int_equal(write(f->fd, msg, sizeof msg - 1), (ssize_t)(sizeof msg - 1));
        for (int i = 0; i < 500 && f->interrupt == 0; i++)
                t_sleep_ms(10);
        assert_int_equal(f->interrupt, SIGINT);
}

/* The client goes away: the engine is told as by SIGHUP, and a question
 * waiting for it is answered abort. */
static void
test_lost_client(void **state)
{
        struct fixture *f = *state;
        struct confirm_call c = { .fe = f->fe, .result = 99 };
        pthread_t th;

        assert_int_equal(pthread_create(&th, NULL, call_confirm, &c), 0);
        close(f->fd);
        f->fd = -1;
        pthread_join(th, NULL);
        assert_int_equal(c.result, STEP_ABORT);
        assert_int_equal(f->interrupt, SIGHUP);
        assert_true(remote_lost(f->fe));
        /* Nothing blocks any more. */
        f->fe->ops->output(f->fe, OUT_INFO, NULL, "after");
        assert_int_equal(f->fe->ops->failure(f->fe, STEP_VERIFY, "x", "/log"), FAIL_QUIT);
}

/* bye carries the engine's last info line (a run with nothing to do says
 * why), not a later command line or warning. */
static void
test_bye_says_last_info(void **state)
{
        struct fixture *f = *state;
        struct proto_msg m;
        bool labelled = false;

        f->fe->ops->output(f->fe, OUT_INFO, NULL, "first");
        f->fe->ops->output(f->fe, OUT_INFO, NULL, "nothing left to do: this upgrade has finished");
        f->fe->ops->output(f->fe, OUT_STDOUT, "restore", "a command's line");
        f->fe->ops->output(f->fe, OUT_WARN, NULL, "a warning");
        remote_bye(f->fe, 0);
        for (int i = 0; i < 20; i++) {
                next_msg(f, &m);
                if (strcmp(m.type, "bye") == 0)
                        break;
                /* A line's label travels with it; none for the run's own. */
                if (strcmp(m.type, "out") == 0 && strcmp(proto_get(&m, "text"), "a command's line") == 0) {
                        assert_string_equal(proto_get(&m, "label"), "restore");
                        labelled = true;
                } else if (strcmp(m.type, "out") == 0) {
                        assert_null(proto_get(&m, "label"));
                }
                proto_release(&m);
        }
        assert_true(labelled);
        assert_string_equal(m.type, "bye");
        assert_int_equal(proto_get_int(&m, "code", -1), 0);
        assert_string_equal(proto_get(&m, "message"), "nothing left to do: this upgrade has finished");
        proto_release(&m);
}

/* The point of no return is the confirmation's field, not a log line's
 * text: a warning that reads like one does not make the next
 * confirmation one, and a confirmation given one says so. */
static void
test_confirm_point_of_no_return(void **state)
{
        struct fixture *f = *state;
        struct confirm_call c = { .fe = f->fe, .result = 99 };
        struct proto_msg m, rep;
        struct strbuf sb = {0};
        pthread_t th;

        skip_hello_plan(f);
        for (int i = 0; i < 2; i++) {
                f->fe->ops->output(f->fe, OUT_WARN, NULL, "point of no return: not this one");
                c.ponr = i ? "the data format changes for good" : NULL;
                assert_int_equal(pthread_create(&th, NULL, call_confirm, &c), 0);
                for (next_msg(f, &m); !proto_is(&m, "confirm"); next_msg(f, &m)) {
                        assert_string_equal(m.type, "out");
                        proto_release(&m);
                }
                assert_int_equal(proto_get_int(&m, "ponr", -1), i);
                assert_string_equal(proto_get(&m, "consequence"),
                                    i ? "the data format changes for good" : "It goes down.");
                proto_init(&rep, "reply");
                proto_set_int(&rep, "id", proto_get_int(&m, "id", 0));
                proto_set(&rep, "result", i ? "abort" : "ok");
                proto_encode(&rep, &sb);
                proto_release(&rep);
                assert_int_equal(write(f->fd, sb.buf, sb.len), (ssize_t)sb.len);
                strbuf_release(&sb);
                pthread_join(th, NULL);
                assert_int_equal(c.result, i ? STEP_ABORT : STEP_OK);
                proto_release(&m);
        }
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_hello_then_plan, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hello_says_rollback, setup_rollback, teardown),
                cmocka_unit_test_setup_teardown(test_lines_batched_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_confirm_waits_for_reply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_confirm_point_of_no_return, setup, teardown),
                cmocka_unit_test_setup_teardown(test_interrupt_request, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lost_client, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bye_says_last_info, setup, teardown),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
