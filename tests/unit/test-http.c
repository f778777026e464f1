/* test-http.c: URL parsing, and GET (libcurl) against a tiny listener this
 * test runs itself on 127.0.0.1 (a forked child): 2xx, 4xx/5xx, the body,
 * garbage, a silent server (timeout), a closed port (refused), an
 * interrupt, a redirect not followed, a proxy in the environment not used,
 * https:// to a plain server. (TLS against a real server: etcd-tls.sh.) */
#include <config.h>

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/http.h"
#include "lib/util.h"
#include "testlib.h"

/* URLs ------------------------------------------------------------------ */

static void
test_url_parts(void **state)
{
        static const struct {
                const char *url, *host, *port, *target;
                bool ipv6, tls;
        } ok[] = {
                { "http://127.0.0.1:8086/ping", "127.0.0.1", "8086", "/ping", false, false },
                { "http://localhost", "localhost", "80", "/", false, false },
                { "HTTP://db.example:80/", "db.example", "80", "/", false, false },
                { "http://[::1]:8086/ping?verbose=true", "::1", "8086", "/ping?verbose=true",
                  true, false },
                { "http://h?x=1#frag", "h", "80", "/?x=1", false, false },
                { "http://h:1/a/b#c", "h", "1", "/a/b", false, false },
                { "http://my_host-1.local:65535", "my_host-1.local", "65535", "/", false, false },
                { "https://127.0.0.1:2379/health", "127.0.0.1", "2379", "/health", false, true },
                { "HTTPS://h/", "h", "443", "/", false, true },
                { "https://[::1]", "::1", "443", "/", true, true },
        };
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                struct http_url u = {0};
                struct diag d = {0};

                assert_int_equal(http_url_parse(ok[i].url, &u, &d), 0);
                assert_string_equal(u.host, ok[i].host);
                assert_string_equal(u.port, ok[i].port);
                assert_string_equal(u.target, ok[i].target);
                assert_int_equal(u.ipv6, ok[i].ipv6);
                assert_int_equal(u.tls, ok[i].tls);
                http_url_release(&u);
        }
}

static void
test_url_refused(void **state)
{
        static const struct {
                const char *url;
                int err;
                const char *msg;
        } bad[] = {
                { "ftp://h/", -EPROTONOSUPPORT, "only http:// and https://" },
                { "127.0.0.1:8086/ping", -EINVAL, "is not an http:// or https:// URL" },
                { "https://", -EINVAL, "names no host" },
                { "https://user:pw@h/", -EINVAL, "passwords in the URL" },
                { "http://", -EINVAL, "names no host" },
                { "http:///ping", -EINVAL, "names no host" },
                { "http://:8086/", -EINVAL, "names no host" },
                { "http://h:0/", -EINVAL, "bad port" },
                { "http://h:65536/", -EINVAL, "bad port" },
                { "http://h:80x/", -EINVAL, "bad port" },
                { "http://h:/", -EINVAL, "bad port" },
                { "http://user:pw@h/", -EINVAL, "passwords in the URL" },
                { "http://[::1/", -EINVAL, "without its" },
                { "http://h/a b", -EINVAL, "space or a control character" },
                { "http://h\r\nX: y/", -EINVAL, "space or a control character" },
                { "http://h%41/", -EINVAL, "bad character in its host" },
        };
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct http_url u = { .host = (char *)"untouched" };
                struct diag d = {0};

                assert_int_equal(http_url_parse(bad[i].url, &u, &d), bad[i].err);
                assert_non_null(strstr(d.msg, bad[i].msg));
                assert_string_equal(u.host, "untouched");
        }
}

static void
test_status_ok(void **state)
{
        (void)state;
        assert_true(http_status_ok(200));
        assert_true(http_status_ok(204));
        assert_true(http_status_ok(299));
        assert_false(http_status_ok(199));
        assert_false(http_status_ok(301));
        assert_false(http_status_ok(404));
        assert_false(http_status_ok(503));
}

/* The listener --------------------------------------------------------- */

enum srv_mode {
        SRV_REPLY,              /* read the request, send the reply, close */
        SRV_TRICKLE,            /* the same, the reply one byte at a time */
        SRV_SILENT,             /* accept, then say nothing */
        SRV_HANGUP,             /* accept and close at once */
};

struct srv {
        pid_t pid;
        int   port;
        int   req_fd;           /* the request the child read comes back here */
        char  url[64];
};

static void
child(int lfd, int out, enum srv_mode mode, const char *reply)
{
        char req[4096];
        size_t len = 0;
        ssize_t n;
        int c = accept(lfd, NULL, NULL);

        if (c < 0)
                _exit(1);
        if (mode == SRV_HANGUP)
                _exit(0);
        if (mode == SRV_SILENT) {
                pause();
                _exit(0);
        }
        while (len < sizeof req - 1 && (n = read(c, req + len, sizeof req - 1 - len)) > 0) {
                len += (size_t)n;
                req[len] = '\0';
                if (strstr(req, "\r\n\r\n"))
                        break;
        }
        if (write_all(out, req, len) < 0)
                _exit(1);
        close(out);
        if (mode == SRV_TRICKLE) {
                for (const char *p = reply; *p; p++) {
                        if (write_all(c, p, 1) < 0)
                                _exit(1);
                        t_sleep_ms(2);
                }
        } else if (write_all(c, reply, strlen(reply)) < 0) {
                _exit(1);
        }
        close(c);
        _exit(0);
}

/* Start a one-connection server on 127.0.0.1 (or ::1 when v6). Returns
 * false when the address family is not available. */
static bool
srv_start(struct srv *s, enum srv_mode mode, const char *reply, bool v6)
{
        struct sockaddr_storage ss = {0};
        socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        int p[2], one = 1;
        int lfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (v6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

                a->sin6_family = AF_INET6;
                a->sin6_addr = in6addr_loopback;
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *)&ss;

                a->sin_family = AF_INET;
                a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) < 0) {
                assert_true(v6);
                if (lfd >= 0)
                        close(lfd);
                return false;
        }
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        assert_int_equal(listen(lfd, 4), 0);
        assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
        s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                           : ((struct sockaddr_in *)&ss)->sin_port);
        snprintf(s->url, sizeof s->url, v6 ? "http://[::1]:%d/ping" : "http://127.0.0.1:%d/ping",
                 s->port);
        assert_int_equal(pipe(p), 0);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0) {
                close(p[0]);
                child(lfd, p[1], mode, reply);
        }
        close(p[1]);
        close(lfd);
        s->req_fd = p[0];
        return true;
}

/* Stop the child (by its pid) and return the request it read (caller frees). */
static char *
srv_stop(struct srv *s)
{
        struct strbuf sb = {0};
        char buf[512];
        ssize_t n;

        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        while ((n = read(s->req_fd, buf, sizeof buf)) > 0)
                strbuf_add(&sb, buf, (size_t)n);
        close(s->req_fd);
        strbuf_adds(&sb, "");
        return strbuf_detach(&sb);
}

static int
get(const char *url, long timeout_ms, int *status, struct diag *d)
{
        struct http_opts o = { .timeout_ms = timeout_ms };

        return http_get_status(url, &o, status, d);
}

/* GET ----------------------------------------------------------------- */

static void
test_get_204(void **state)
{
        struct srv s;
        struct diag d = {0};
        char *req, host[64];
        int status = 0;

        (void)state;
        srv_start(&s, SRV_REPLY, "HTTP/1.1 204 No Content\r\nX-Influxdb-Version: 1.6.7\r\n\r\n",
                  false);
        assert_int_equal(get(s.url, 10000, &status, &d), 0);
        assert_int_equal(status, 204);
        assert_true(http_status_ok(status));
        req = srv_stop(&s);
        /* One well-formed request: path, Host with the port, Connection: close. */
        assert_true(str_startswith(req, "GET /ping HTTP/1.1\r\n"));
        snprintf(host, sizeof host, "\r\nHost: 127.0.0.1:%d\r\n", s.port);
        assert_non_null(strstr(req, host));
        assert_non_null(strstr(req, "\r\nConnection: close\r\n"));
        assert_true(str_endswith(req, "\r\n\r\n"));
        free(req);
}

static void
test_get_statuses(void **state)
{
        static const struct {
                const char *reply;
                int status;
        } cases[] = {
                { "HTTP/1.0 200 OK\r\n\r\nhello", 200 },
                { "HTTP/1.1 204\r\n\r\n", 204 },
                { "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404 },
                { "HTTP/1.1 500 Internal Server Error\r\n\r\n", 500 },
                { "HTTP/1.1 503 Service Unavailable\r\n\r\n", 503 },
        };
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct srv s;
                struct diag d = {0};
                int status = 0;

                srv_start(&s, SRV_REPLY, cases[i].reply, false);
                assert_int_equal(get(s.url, 10000, &status, &d), 0);
                assert_int_equal(status, cases[i].status);
                free(srv_stop(&s));
        }
}

static void
test_get_trickled(void **state)
{
        struct srv s;
        struct diag d = {0};
        int status = 0;

        (void)state;
        srv_start(&s, SRV_TRICKLE, "HTTP/1.1 202 Accepted\r\n\r\n", false);
        assert_int_equal(get(s.url, 10000, &status, &d), 0);
        assert_int_equal(status, 202);
        free(srv_stop(&s));
}

static void
test_get_garbage(void **state)
{
        static const char *const replies[] = {
                "SSH-2.0-OpenSSH_9.2p1 Debian\r\n",
                "HTTP/1.1 20 Short\r\n\r\n",
                "HTTP/1.1 2000 Long\r\n\r\n",
                "HTTP/1.1 abc OK\r\n\r\n",
                "\x01\x02\x03\xff\r\n",
        };
        (void)state;
        for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
                struct srv s;
                struct diag d = {0};
                int status = -7;

                srv_start(&s, SRV_REPLY, replies[i], false);
                assert_int_equal(get(s.url, 10000, &status, &d), -EPROTO);
                assert_int_equal(status, -7);
                assert_non_null(strstr(d.msg, "did not answer with HTTP"));
                free(srv_stop(&s));
        }
}

static void
test_get_long_line(void **state)
{
        char *line = xmalloc(20000);
        struct srv s;
        struct diag d = {0};
        int status = 0;

        (void)state;
        memset(line, 'A', 19999);
        line[19999] = '\0';
        srv_start(&s, SRV_REPLY, line, false);
        assert_int_equal(get(s.url, 10000, &status, &d), -EPROTO);
        assert_non_null(strstr(d.msg, "did not answer with HTTP"));
        free(srv_stop(&s));
        free(line);
}

static void
test_get_hangup(void **state)
{
        struct srv s;
        struct diag d = {0};
        int status = 0, r;

        (void)state;
        srv_start(&s, SRV_HANGUP, "", false);
        /* Closed before the request was read: an end of file, or a reset. */
        r = get(s.url, 10000, &status, &d);
        assert_true(r == -EPROTO || r == -ECONNRESET || r == -EPIPE);
        if (r == -EPROTO)
                assert_non_null(strstr(d.msg, "closed the connection without answering"));
        free(srv_stop(&s));
}

static void
test_get_timeout(void **state)
{
        struct srv s;
        struct diag d = {0};
        int status = 0;
        int64_t t0 = now_ms();

        (void)state;
        srv_start(&s, SRV_SILENT, "", false);
        assert_int_equal(get(s.url, 300, &status, &d), -ETIMEDOUT);
        assert_true(now_ms() - t0 >= 300);
        assert_non_null(strstr(d.msg, "did not answer within"));
        free(srv_stop(&s));
}

static void
test_get_refused(void **state)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t len = sizeof a;
        struct diag d = {0};
        char url[64];
        int status = 0;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        (void)state;
        /* A port that was free a moment ago and on which nothing listens. */
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        snprintf(url, sizeof url, "http://127.0.0.1:%d/ping", ntohs(a.sin_port));
        close(fd);
        assert_int_equal(get(url, 10000, &status, &d), -ECONNREFUSED);
        assert_non_null(strstr(d.msg, "cannot connect to 127.0.0.1 port"));
        assert_non_null(strstr(d.msg, strerror(ECONNREFUSED)));
}

static int cancel_calls;

static bool
cancel_after_three(void *ud)
{
        (void)ud;
        return ++cancel_calls > 3;
}

static void
test_get_cancelled(void **state)
{
        struct srv s;
        struct diag d = {0};
        struct http_opts o = { .timeout_ms = 60000, .cancelled = cancel_after_three };
        int status = 0;
        int64_t t0 = now_ms();

        (void)state;
        cancel_calls = 0;
        srv_start(&s, SRV_SILENT, "", false);
        assert_int_equal(http_get_status(s.url, &o, &status, &d), -ECANCELED);
        /* Polled in slices of at most 100 ms: far less than the minute. */
        assert_true(now_ms() - t0 < 30000);
        assert_non_null(strstr(d.msg, "interrupted"));
        free(srv_stop(&s));
}

static void
test_get_ipv6_and_names(void **state)
{
        struct srv s;
        struct diag d = {0};
        char url[64];
        int status = 0;

        (void)state;
        if (srv_start(&s, SRV_REPLY, "HTTP/1.1 200 OK\r\n\r\n", true)) {
                char *req;

                assert_int_equal(get(s.url, 10000, &status, &d), 0);
                assert_int_equal(status, 200);
                req = srv_stop(&s);
                assert_non_null(strstr(req, "\r\nHost: [::1]:"));
                free(req);
        }
        /* "localhost" may resolve to ::1 first: every address is tried. */
        srv_start(&s, SRV_REPLY, "HTTP/1.1 204 No Content\r\n\r\n", false);
        snprintf(url, sizeof url, "http://localhost:%d/ping", s.port);
        status = 0;
        assert_int_equal(get(url, 10000, &status, &d), 0);
        assert_int_equal(status, 204);
        free(srv_stop(&s));
        /* (A name that does not resolve is not tried: it would ask the
         * network's resolver, and tests stay on the loopback.) */
}

static void
test_get_body(void **state)
{
        struct srv s;
        struct diag d = {0};
        struct http_response resp = { .status = -7 };

        (void)state;
        srv_start(&s, SRV_REPLY, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 16\r\n\r\n"
                  "{\"health\":false}", false);
        assert_int_equal(http_get(s.url, NULL, &resp, &d), 0);
        assert_int_equal(resp.status, 503);
        assert_int_equal(resp.body_len, 16);
        assert_string_equal(resp.body, "{\"health\":false}");
        http_response_release(&resp);
        free(srv_stop(&s));
}

static void
test_get_redirect_not_followed(void **state)
{
        struct srv s;
        struct diag d = {0};
        int status = 0;

        (void)state;
        /* Followed, it would go to a port on which nothing listens. */
        srv_start(&s, SRV_REPLY, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\n"
                  "Content-Length: 0\r\n\r\n", false);
        assert_int_equal(get(s.url, 10000, &status, &d), 0);
        assert_int_equal(status, 302);
        assert_false(http_status_ok(status));
        free(srv_stop(&s));
}

static void
test_get_no_proxy_from_env(void **state)
{
        struct srv s;
        struct diag d = {0};
        char *req;
        int status = 0, r;

        (void)state;
        /* A proxy that does not exist: used, the GET would fail. */
        setenv("http_proxy", "http://127.0.0.1:1", 1);
        setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
        setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
        unsetenv("no_proxy");
        unsetenv("NO_PROXY");
        srv_start(&s, SRV_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
        r = get(s.url, 10000, &status, &d);
        /* the server stopped and the environment restored before asserting */
        req = srv_stop(&s);
        unsetenv("http_proxy");
        unsetenv("HTTP_PROXY");
        unsetenv("ALL_PROXY");
        assert_int_equal(r, 0);
        assert_int_equal(status, 200);
        /* Straight to the server: the request names the path, not the URL. */
        assert_true(str_startswith(req, "GET /ping HTTP/1.1\r\n"));
        free(req);
}

static void
test_get_tls_to_plain(void **state)
{
        struct srv s;
        struct diag d = {0};
        char url[64];
        int status = 0;

        (void)state;
        /* https:// to a server that closes without a handshake. */
        srv_start(&s, SRV_HANGUP, "", false);
        snprintf(url, sizeof url, "https://127.0.0.1:%d/ping", s.port);
        assert_int_equal(get(url, 10000, &status, &d), -ECONNABORTED);
        assert_non_null(strstr(d.msg, "TLS with 127.0.0.1 port"));
        free(srv_stop(&s));
}

static void
test_get_bad_url(void **state)
{
        struct diag d = {0};
        int status = 0;

        (void)state;
        assert_int_equal(get("ftp://127.0.0.1:1/", 1000, &status, &d), -EPROTONOSUPPORT);
        assert_int_equal(get("http://h:0/", 1000, &status, &d), -EINVAL);
}

int
main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_url_parts),
                cmocka_unit_test(test_url_refused),
                cmocka_unit_test(test_status_ok),
                cmocka_unit_test(test_get_204),
                cmocka_unit_test(test_get_statuses),
                cmocka_unit_test(test_get_trickled),
                cmocka_unit_test(test_get_garbage),
                cmocka_unit_test(test_get_long_line),
                cmocka_unit_test(test_get_hangup),
                cmocka_unit_test(test_get_timeout),
                cmocka_unit_test(test_get_refused),
                cmocka_unit_test(test_get_cancelled),
                cmocka_unit_test(test_get_ipv6_and_names),
                cmocka_unit_test(test_get_body),
                cmocka_unit_test(test_get_redirect_not_followed),
                cmocka_unit_test(test_get_no_proxy_from_env),
                cmocka_unit_test(test_get_tls_to_plain),
                cmocka_unit_test(test_get_bad_url),
        };

        /* SIGPIPE is left as it is: the client must not die of a peer that
         * closed (it sends with MSG_NOSIGNAL). */
        return cmocka_run_group_tests(tests, NULL, NULL);
}
