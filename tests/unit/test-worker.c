/* test-worker.c: the worker's socket in the state directory (ui/worker.h)
 * and the worker frontend's clients that come and go (ui/remote.h with a
 * listening socket): listen, a name taken, a stale socket, a long path;
 * a question waiting for the first client, takeover, status, interrupt,
 * a client that goes away, a client's messages sent with its hello, a
 * run that ended before its first client came. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/util.h"
#include "testlib.h"
#include "ui/proto.h"
#include "ui/remote.h"
#include "ui/worker.h"

#define WAIT_MS 5000

static const char hello_a[] = "hello v=2 role=client user=a tty=/dev/pts/9 pid=1\n";
static const char hello_b[] = "hello v=2 role=client user=b tty=/dev/pts/8 pid=2\n";

/* A client's end of the worker's socket. */
struct client {
        int                 fd;
        struct proto_reader rd;
        bool                closed;     /* the worker closed it */
};

/* The engine's thread, blocked in a confirmation. */
struct call {
        struct frontend *fe;
        pthread_t        th;
        bool             started;
        atomic_int       done;
        int              result;
};

struct fixture {
        char                   *dir;
        struct worker_sock      ws;
        struct plan             plan;
        volatile sig_atomic_t   interrupt;
        struct frontend        *fe;
        struct call             call;
        struct client           a, b;
};

static char *
sock_path(const char *dir)
{
        return path_join(dir, WORKER_SOCK);
}

static bool
exists(const char *path)
{
        struct stat st;

        return lstat(path, &st) == 0;
}

/* Connect a client to the worker of dir; it must be there. */
static void
client_connect(struct client *c, const char *dir)
{
        struct diag d = {0};
        bool stale = true;

        memset(c, 0, sizeof *c);
        c->fd = -1;
        assert_int_equal(worker_connect(dir, &c->fd, &stale, &d), 1);
        assert_false(stale);
        assert_true(c->fd >= 0);
        assert_int_equal(fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK), 0);
}

static void
client_close(struct client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        proto_reader_release(&c->rd);
}

static void
client_send(struct client *c, const char *text)
{
        size_t len = strlen(text);

        assert_int_equal(send(c->fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* The next message from the worker (1), or 0 when it closed the socket;
 * waits at most WAIT_MS. */
static int
client_next(struct client *c, struct proto_msg *m)
{
        int64_t end = now_ms() + WAIT_MS;
        struct diag d = {0};

        for (;;) {
                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                int r = proto_next(&c->rd, m, &d);

                if (r == 1)
                        return 1;
                assert_int_equal(r, 0);
                if (c->closed)
                        return 0;
                if (now_ms() >= end)
                        fail_msg("no message from the worker within %d ms", WAIT_MS);
                if (poll(&p, 1, 20) <= 0)
                        continue;
                r = proto_read(&c->rd, c->fd);
                if (r == 0 || r == -ECONNRESET)
                        c->closed = true;
                else if (r != -EAGAIN)
                        assert_true(r > 0);
        }
}

static void
client_expect(struct client *c, const char *type, struct proto_msg *m)
{
        assert_int_equal(client_next(c, m), 1);
        assert_string_equal(m->type, type);
}

/* Read the worker's hello and the snapshot up to the confirmation waiting
 * in it: the plan must come before it. Returns the request's id. */
static long long
client_until_confirm(struct client *c)
{
        struct proto_msg m;
        bool plan = false;
        long long id;

        client_expect(c, "hello", &m);
        assert_string_equal(proto_get(&m, "role"), "worker");
        assert_int_equal(proto_get_int(&m, "v", 0), PROTO_VERSION);
        assert_int_equal(proto_get_int(&m, "pid", 0), getpid());
        proto_release(&m);
        for (;;) {
                assert_int_equal(client_next(c, &m), 1);
                if (proto_is(&m, "confirm"))
                        break;
                if (proto_is(&m, "plan")) {
                        assert_string_equal(proto_get(&m, "id"), "t");
                        plan = true;
                }
                proto_release(&m);
        }
        assert_true(plan);
        assert_string_equal(proto_get(&m, "step"), "stop");
        assert_string_equal(proto_get(&m, "what"), "Stop the service");
        id = proto_get_int(&m, "id", 0);
        assert_true(id > 0);
        proto_release(&m);
        return id;
}

static void
client_reply(struct client *c, long long id, const char *result)
{
        char buf[128];

        snprintf(buf, sizeof buf, "reply id=%lld result=%s\n", id, result);
        client_send(c, buf);
}

/* --- worker.c: the socket ------------------------------------------------ */

static void
test_listen_taken_unlisten(void **state)
{
        const char *dir = *state;
        struct worker_sock ws = { .fd = -1 }, ws2 = { .fd = -1 };
        struct diag d = {0};
        char *path = sock_path(dir);
        struct stat st;
        bool stale = true;
        int fd = -1;

        assert_int_equal(worker_listen(dir, &ws, &d), 1);
        assert_true(ws.fd >= 0);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);

        /* The name is taken: the second worker is told to connect instead. */
        assert_int_equal(worker_listen(dir, &ws2, &d), 0);
        assert_int_equal(ws2.fd, -1);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(st.st_dev == ws.dev && st.st_ino == ws.ino);
        assert_int_equal(worker_connect(dir, &fd, &stale, &d), 1);
        assert_false(stale);
        assert_true(fd >= 0);
        close(fd);

        /* Nothing but worker.sock is left in the directory. */
        assert_int_equal(t_sh("test \"$(ls -A '%s')\" = worker.sock", dir), 0);

        worker_unlisten(dir, &ws);
        assert_int_equal(ws.fd, -1);
        assert_false(exists(path));
        fd = -1;
        stale = true;
        assert_int_equal(worker_connect(dir, &fd, &stale, &d), 0);
        assert_int_equal(fd, -1);
        assert_false(stale);
        free(path);
}

static void
test_stale_socket_removed(void **state)
{
        const char *dir = *state;
        struct worker_sock ws = { .fd = -1 }, ws2 = { .fd = -1 };
        struct diag d = {0};
        char *path = sock_path(dir);
        bool stale = false;
        int fd = -1;

        assert_int_equal(worker_listen(dir, &ws, &d), 1);
        /* The worker dies: its socket stays, nobody listens. */
        close(ws.fd);
        assert_true(exists(path));
        assert_int_equal(worker_connect(dir, &fd, &stale, &d), 0);
        assert_int_equal(fd, -1);
        assert_true(stale);
        assert_false(exists(path));

        /* The name is free for the next worker. */
        assert_int_equal(worker_listen(dir, &ws2, &d), 1);
        worker_unlisten(dir, &ws2);
        free(path);
}

static void
test_long_path(void **state)
{
        const char *dir = *state;
        struct worker_sock ws = { .fd = -1 };
        struct diag d = {0};
        struct strbuf sb = {0};
        struct worker_info wi;
        char *path;
        bool stale = true;
        int fd = -1;

        strbuf_adds(&sb, dir);
        strbuf_adds(&sb, "/");
        for (int i = 0; i < 120; i++)
                strbuf_adds(&sb, "d");
        assert_int_equal(mkdir(sb.buf, 0700), 0);
        path = sock_path(sb.buf);
        assert_true(strlen(path) >= 108);

        assert_int_equal(worker_listen(sb.buf, &ws, &d), 1);
        assert_true(exists(path));
        assert_int_equal(worker_connect(sb.buf, &fd, &stale, &d), 1);
        assert_false(stale);
        close(fd);
        /* Nobody answers a status query there: it times out, not hangs. */
        assert_int_equal(worker_query(sb.buf, &wi, &d), -1);
        worker_unlisten(sb.buf, &ws);
        assert_false(exists(path));
        assert_int_equal(worker_connect(sb.buf, &fd, &stale, &d), 0);
        free(path);
        strbuf_release(&sb);
}

/* --- remote.c with a listening socket -------------------------------- */

static int
setup(void **state)
{
        struct fixture *f = calloc(1, sizeof *f);
        struct remote_opts o = {0};
        struct diag d = {0};

        if (f == NULL)
                return -1;
        f->a.fd = f->b.fd = -1;
        f->ws.fd = -1;
        f->dir = t_mkdtemp("worker");
        if (f->dir == NULL || worker_listen(f->dir, &f->ws, &d) != 1) {
                free(f->dir);
                free(f);
                return -1;
        }
        f->plan.id = (char *)"t";
        f->plan.title = (char *)"A test";
        f->plan.target = (char *)"2.0.0";
        o.fd = -1;
        o.listen_fd = f->ws.fd;
        o.plan = &f->plan;
        o.state_dir = f->dir;
        o.interrupt = &f->interrupt;
        f->fe = remote_new(&o);
        f->call.fe = f->fe;
        *state = f;
        return 0;
}

/* Wait at most ms for the call to return. */
static bool
call_wait(struct call *c, long ms)
{
        for (long i = 0; i < ms / 10 && !atomic_load(&c->done); i++)
                t_sleep_ms(10);
        if (!atomic_load(&c->done))
                return false;
        if (c->started)
                pthread_join(c->th, NULL);
        c->started = false;
        return true;
}

static int
teardown(void **state)
{
        struct fixture *f = *state;
        int rc = 0;

        client_close(&f->a);
        client_close(&f->b);
        if (f->call.started && !atomic_load(&f->call.done)) {
                /* A test failed with the engine waiting: let it go. */
                f->interrupt = SIGTERM;
                if (!call_wait(&f->call, WAIT_MS))
                        rc = -1;
        }
        if (rc == 0)
                remote_free(f->fe);     /* else its thread still uses it */
        worker_unlisten(f->dir, &f->ws);
        if (t_rm_rf(f->dir) < 0)
                rc = -1;
        free(f->dir);
        free(f);
        return rc;
}

static void *
call_confirm(void *arg)
{
        struct call *c = arg;

        c->result = c->fe->ops->confirm(c->fe, STEP_STOP, "Stop the service", "It goes down.",
                                        NULL);
        atomic_store(&c->done, 1);
        return NULL;
}

/* The engine asks; the call blocks, as nobody is there to answer. */
static void
start_confirm(struct fixture *f)
{
        f->call.result = 99;
        assert_int_equal(pthread_create(&f->call.th, NULL, call_confirm, &f->call), 0);
        f->call.started = true;
        t_sleep_ms(300);
        assert_false(atomic_load(&f->call.done));
}

/* Wait until the worker attached a client (bounded). */
static void
wait_attended(struct fixture *f)
{
        for (int i = 0; i < WAIT_MS / 10 && !f->fe->ops->attended(f->fe); i++)
                t_sleep_ms(10);
        assert_true(f->fe->ops->attended(f->fe));
        assert_false(remote_lost(f->fe));
}

static void
test_first_client_gets_question(void **state)
{
        struct fixture *f = *state;
        long long id;

        assert_false(f->fe->ops->attended(f->fe));
        assert_true(remote_lost(f->fe));
        start_confirm(f);
        assert_false(f->fe->ops->attended(f->fe));

        client_connect(&f->a, f->dir);
        client_send(&f->a, hello_a);
        id = client_until_confirm(&f->a);
        wait_attended(f);
        assert_false(atomic_load(&f->call.done));

        client_reply(&f->a, id, "ok");
        assert_true(call_wait(&f->call, WAIT_MS));
        assert_int_equal(f->call.result, STEP_OK);
        assert_int_equal(f->interrupt, 0);
}

static void
test_takeover(void **state)
{
        struct fixture *f = *state;
        struct proto_msg m;
        long long id;
        bool detached = false;

        start_confirm(f);
        client_connect(&f->a, f->dir);
        client_send(&f->a, hello_a);
        id = client_until_confirm(&f->a);
        wait_attended(f);

        /* B is told who is attached. */
        client_connect(&f->b, f->dir);
        client_send(&f->b, hello_b);
        client_expect(&f->b, "busy", &m);
        assert_string_equal(proto_get(&m, "user"), "a");
        assert_string_equal(proto_get(&m, "tty"), "/dev/pts/9");
        assert_int_equal(proto_get_int(&m, "pid", 0), 1);
        assert_non_null(proto_get(&m, "since"));
        proto_release(&m);
        assert_true(f->fe->ops->attended(f->fe));

        /* B takes over: A is told by whom, then closed. */
        client_send(&f->b, "takeover\n");
        while (client_next(&f->a, &m) == 1) {
                if (proto_is(&m, "detached")) {
                        assert_false(detached);
                        detached = true;
                        assert_string_equal(proto_get(&m, "user"), "b");
                        assert_string_equal(proto_get(&m, "tty"), "/dev/pts/8");
                } else {
                        /* Nothing is sent to A after "detached". */
                        assert_false(detached);
                }
                proto_release(&m);
        }
        assert_true(detached);
        assert_true(f->a.closed);

        /* B gets the worker's hello and the snapshot with the question,
         * and B's answer is the one the engine waits for. */
        assert_int_equal(client_until_confirm(&f->b), id);
        assert_false(atomic_load(&f->call.done));
        client_reply(&f->b, id, "ok");
        assert_true(call_wait(&f->call, WAIT_MS));
        assert_int_equal(f->call.result, STEP_OK);
        assert_int_equal(f->interrupt, 0);
}

static void
test_status(void **state)
{
        struct fixture *f = *state;
        struct worker_info wi;
        struct diag d = {0};
        long long id;

        /* Nothing asked yet. */
        assert_int_equal(worker_query(f->dir, &wi, &d), 1);
        assert_int_equal(wi.pid, (long)getpid());
        assert_false(wi.rollback);             /* it runs an upgrade */
        assert_false(wi.waiting);
        assert_null(wi.client);
        worker_info_release(&wi);

        start_confirm(f);
        assert_int_equal(worker_query(f->dir, &wi, &d), 1);
        assert_int_equal(wi.pid, (long)getpid());
        assert_true(wi.waiting);
        assert_non_null(wi.what);
        assert_non_null(strstr(wi.what, "Stop the service"));
        assert_null(wi.client);
        worker_info_release(&wi);
        assert_false(f->fe->ops->attended(f->fe));

        client_connect(&f->a, f->dir);
        client_send(&f->a, hello_a);
        id = client_until_confirm(&f->a);
        wait_attended(f);
        assert_int_equal(worker_query(f->dir, &wi, &d), 1);
        assert_true(wi.waiting);
        assert_non_null(wi.client);
        assert_non_null(strstr(wi.client, "a on /dev/pts/9"));
        worker_info_release(&wi);

        /* The query did not disturb the attached client. */
        assert_true(f->fe->ops->attended(f->fe));
        client_reply(&f->a, id, "ok");
        assert_true(call_wait(&f->call, WAIT_MS));
        assert_int_equal(f->call.result, STEP_OK);
}

static void
test_interrupt_while_unattended(void **state)
{
        struct fixture *f = *state;

        start_confirm(f);
        f->interrupt = SIGTERM;
        assert_true(call_wait(&f->call, WAIT_MS));
        assert_int_equal(f->call.result, STEP_ABORT);
}

/* The client goes away: nothing is interrupted, the question waits, and
 * the next client is shown it and answers it. */
static void
test_client_goes_away(void **state)
{
        struct fixture *f = *state;
        long long id;

        start_confirm(f);
        client_connect(&f->a, f->dir);
        client_send(&f->a, hello_a);
        id = client_until_confirm(&f->a);
        wait_attended(f);
        client_close(&f->a);
        for (int i = 0; i < WAIT_MS / 10 && !remote_lost(f->fe); i++)
                t_sleep_ms(10);
        assert_true(remote_lost(f->fe));
        assert_false(f->fe->ops->attended(f->fe));
        t_sleep_ms(300);
        assert_false(atomic_load(&f->call.done));
        assert_int_equal(f->interrupt, 0);

        client_connect(&f->b, f->dir);
        client_send(&f->b, hello_b);
        assert_int_equal(client_until_confirm(&f->b), id);
        client_reply(&f->b, id, "ok");
        assert_true(call_wait(&f->call, WAIT_MS));
        assert_int_equal(f->call.result, STEP_OK);
        assert_int_equal(f->interrupt, 0);
}

static void *
call_free(void *arg)
{
        struct call *c = arg;

        remote_free(c->fe);
        atomic_store(&c->done, 1);
        return NULL;
}

/* A run that ended before its first client came (nothing to do) waits for
 * it: the client still gets the lines and the bye. */
static void
test_end_before_first_client(void **state)
{
        struct fixture *f = *state;
        struct proto_msg m;
        bool line = false, bye = false;

        f->fe->ops->output(f->fe, OUT_INFO, NULL, "nothing left to do");
        remote_bye(f->fe, 0);
        assert_int_equal(pthread_create(&f->call.th, NULL, call_free, &f->call), 0);
        f->call.started = true;
        t_sleep_ms(300);
        assert_false(atomic_load(&f->call.done));       /* still waiting */

        client_connect(&f->a, f->dir);
        client_send(&f->a, hello_a);
        client_expect(&f->a, "hello", &m);
        proto_release(&m);
        while (client_next(&f->a, &m) == 1) {
                if (proto_is(&m, "out") && strcmp(proto_get(&m, "text"), "nothing left to do") == 0)
                        line = true;
                if (proto_is(&m, "bye")) {
                        assert_int_equal(proto_get_int(&m, "code", -1), 0);
                        bye = true;
                }
                proto_release(&m);
        }
        assert_true(line);
        assert_true(bye);
        assert_true(call_wait(&f->call, WAIT_MS));
        f->fe = NULL;                   /* freed */
}

/* What a client sends together with its hello is handled when it is
 * attached, not when it next sends something. */
static void
test_hello_and_more_at_once(void **state)
{
        struct fixture *f = *state;
        char buf[256];

        client_connect(&f->a, f->dir);
        snprintf(buf, sizeof buf, "%sinterrupt\n", hello_a);
        client_send(&f->a, buf);
        for (int i = 0; i < WAIT_MS / 10 && f->interrupt == 0; i++)
                t_sleep_ms(10);
        assert_int_equal(f->interrupt, SIGINT);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_listen_taken_unlisten, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_stale_socket_removed, t_setup_dir,
                                                t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_long_path, t_setup_dir, t_teardown_dir),
                cmocka_unit_test_setup_teardown(test_first_client_gets_question, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_takeover, setup, teardown),
                cmocka_unit_test_setup_teardown(test_status, setup, teardown),
                cmocka_unit_test_setup_teardown(test_interrupt_while_unattended, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_client_goes_away, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hello_and_more_at_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_end_before_first_client, setup, teardown),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
