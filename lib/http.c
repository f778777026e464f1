/* http.c: one plain-HTTP GET, bounded in time, to tell whether a service is
 * up (http.h says what it does and does not do). */
#include <config.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define HTTP_SLICE_MS           100     /* longest poll between two cancelled() */
#define HTTP_DEFAULT_MS         10000
#define HTTP_LINE_MAX           8192    /* a status line longer than this is not HTTP */

static bool
host_char(char c, bool ipv6)
{
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                return true;
        return ipv6 ? c == ':' || c == '.' : c == '-' || c == '.' || c == '_';
}

int
http_url_parse(const char *url, struct http_url *ret, struct diag *d)
{
        const char *p, *end, *host, *host_end, *after, *frag;
        struct http_url u = {0};
        long port = 80;

        for (p = url; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f) {
                        diag_set(d, _("the URL \"%s\" holds a space or a control character"), url);
                        return -EINVAL;
                }
        if (strncasecmp(url, "https://", 8) == 0) {
                diag_set(d, _("cannot use \"%s\": https:// is not supported, upshift speaks plain HTTP only; use an http:// URL (a local port without TLS) or a ready: run: command"),
                         url);
                return -EPROTONOSUPPORT;
        }
        if (strncasecmp(url, "http://", 7) != 0) {
                if (strstr(url, "://") != NULL) {
                        diag_set(d, _("cannot use \"%s\": only http:// URLs are supported"), url);
                        return -EPROTONOSUPPORT;
                }
                diag_set(d, _("\"%s\" is not an http:// URL"), url);
                return -EINVAL;
        }
        p = url + 7;
        end = p + strcspn(p, "/?#");
        if (memchr(p, '@', (size_t)(end - p)) != NULL) {
                diag_set(d, _("cannot use \"%s\": user names and passwords in the URL are not supported"),
                         url);
                return -EINVAL;
        }
        if (*p == '[') {
                host = p + 1;
                host_end = memchr(host, ']', (size_t)(end - host));
                if (host_end == NULL) {
                        diag_set(d, _("the URL \"%s\" has a \"[\" without its \"]\""), url);
                        return -EINVAL;
                }
                after = host_end + 1;
                u.ipv6 = true;
        } else {
                host = p;
                host_end = memchr(p, ':', (size_t)(end - p));
                if (host_end == NULL)
                        host_end = end;
                after = host_end;
        }
        if (host_end == host) {
                diag_set(d, _("the URL \"%s\" names no host"), url);
                return -EINVAL;
        }
        for (p = host; p < host_end; p++)
                if (!host_char(*p, u.ipv6)) {
                        diag_set(d, _("the URL \"%s\" has a bad character in its host"), url);
                        return -EINVAL;
                }
        if (after < end) {
                size_t n = (size_t)(end - after - 1);

                if (*after != ':' || n == 0 || n > 5 ||
                    strspn(after + 1, "0123456789") < n ||
                    (port = strtol(after + 1, NULL, 10)) < 1 || port > 65535) {
                        diag_set(d, _("the URL \"%s\" has a bad port: expected a number from 1 to 65535"),
                                 url);
                        return -EINVAL;
                }
        }
        frag = end + strcspn(end, "#");
        u.host = xstrndup(host, (size_t)(host_end - host));
        u.port = xasprintf("%ld", port);
        u.target = *end == '/' ? xstrndup(end, (size_t)(frag - end))
                               : xasprintf("/%.*s", (int)(frag - end), end);
        *ret = u;
        return 0;
}

void
http_url_release(struct http_url *u)
{
        if (u == NULL)
                return;
        free(u->host);
        free(u->port);
        free(u->target);
        u->host = u->port = u->target = NULL;
}

bool
http_status_ok(int status)
{
        return status >= 200 && status <= 299;
}

/* Wait until fd is ready for events, the deadline passes (-ETIMEDOUT) or
 * the caller gives up (-ECANCELED). */
static int
wait_fd(int fd, short events, int64_t deadline, const struct http_opts *o)
{
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = events };
                int64_t left = deadline - now_ms();
                int r;

                if (o->cancelled != NULL && o->cancelled(o->ud))
                        return -ECANCELED;
                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, (int)(left < HTTP_SLICE_MS ? left : HTTP_SLICE_MS));
                if (r > 0)
                        return 0;
                if (r < 0 && errno != EINTR)
                        return -errno;
        }
}

enum http_phase { PH_CONNECT, PH_SEND, PH_READ };

/* Say why a wait or a call failed, naming the peer. Returns r. */
static int
fail(struct diag *d, const struct http_url *u, enum http_phase ph, int r, long timeout_ms)
{
        char dur[32];

        duration_format(dur, sizeof dur, timeout_ms);
        if (r == -ECANCELED)
                diag_set(d, _("interrupted while waiting for %s port %s"), u->host, u->port);
        else if (r == -ETIMEDOUT && ph == PH_CONNECT)
                /* TRANSLATORS: host, port, a duration ("5.0s") */
                diag_set(d, _("cannot connect to %s port %s: no answer within %s"), u->host,
                         u->port, dur);
        else if (r == -ETIMEDOUT)
                /* TRANSLATORS: host, port, a duration ("5.0s") */
                diag_set(d, _("%s port %s did not answer within %s"), u->host, u->port, dur);
        else if (ph == PH_CONNECT)
                /* TRANSLATORS: host, port, the system's error message */
                diag_set(d, _("cannot connect to %s port %s: %s"), u->host, u->port, strerror(-r));
        else if (ph == PH_SEND)
                /* TRANSLATORS: host, port, the system's error message */
                diag_set(d, _("cannot send the request to %s port %s: %s"), u->host, u->port,
                         strerror(-r));
        else
                /* TRANSLATORS: host, port, the system's error message */
                diag_set(d, _("cannot read the answer of %s port %s: %s"), u->host, u->port,
                         strerror(-r));
        return r;
}

/* A connected socket to one of the addresses of u, in *ret_fd. */
static int
http_connect(const struct http_url *u, int64_t deadline, const struct http_opts *o,
             int *ret_fd, struct diag *d)
{
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_NUMERICSERV };
        struct addrinfo *res = NULL, *ai;
        int r, err = -ECONNREFUSED;

        if (u->ipv6)
                hints.ai_flags |= AI_NUMERICHOST;
        r = getaddrinfo(u->host, u->port, &hints, &res);
        if (r != 0) {
                /* TRANSLATORS: host name, then getaddrinfo's message */
                diag_set(d, _("cannot resolve host \"%s\": %s"), u->host,
                         r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
                return -EHOSTUNREACH;
        }
        for (ai = res; ai != NULL; ai = ai->ai_next) {
                int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                ai->ai_protocol);
                int soerr = 0;
                socklen_t len = sizeof soerr;

                if (fd < 0) {
                        err = -errno;
                        continue;
                }
                if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                        *ret_fd = fd;
                        freeaddrinfo(res);
                        return 0;
                }
                err = -errno;
                if (err == -EINPROGRESS) {
                        err = wait_fd(fd, POLLOUT, deadline, o);
                        if (err == 0) {
                                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
                                        err = -errno;
                                else
                                        err = -soerr;
                        }
                        if (err == 0) {
                                *ret_fd = fd;
                                freeaddrinfo(res);
                                return 0;
                        }
                }
                close(fd);
                if (err == -ETIMEDOUT || err == -ECANCELED)
                        break;
        }
        freeaddrinfo(res);
        return err;
}

static int
send_all(int fd, const char *buf, size_t len, int64_t deadline, const struct http_opts *o)
{
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                int r;

                if (n > 0) {
                        buf += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                if ((r = wait_fd(fd, POLLOUT, deadline, o)) < 0)
                        return r;
        }
        return 0;
}

/* "HTTP/1.1 204 No Content": the status, or -1 when it is not a status line. */
static int
parse_status(const char *s, size_t len)
{
        size_t i = 5;
        int status;

        if (len < 12 || strncmp(s, "HTTP/", 5) != 0)
                return -1;
        if (s[i] < '0' || s[i] > '9')
                return -1;
        while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        if (i >= len || s[i++] != '.' || i >= len || s[i] < '0' || s[i] > '9')
                return -1;
        while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        if (i >= len || s[i] != ' ')
                return -1;
        while (i < len && s[i] == ' ')
                i++;
        if (len - i < 3)
                return -1;
        for (int k = 0; k < 3; k++)
                if (s[i + k] < '0' || s[i + k] > '9')
                        return -1;
        if (s[i] == '0')
                return -1;
        status = (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
        i += 3;
        if (i < len && s[i] != ' ' && s[i] != '\r' && s[i] != '\n')
                return -1;
        return status;
}

/* What came back, shown safely: at most 40 bytes, non-printables as '?'. */
static void
show_bytes(char *out, size_t size, const char *s, size_t len)
{
        size_t n = 0;

        for (size_t i = 0; i < len && i < 40 && n + 1 < size; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '\r' || c == '\n')
                        break;
                out[n++] = c >= ' ' && c < 0x7f ? (char)c : '?';
        }
        out[n] = '\0';
}

/* Read until the status line is complete, then parse it. */
static int
read_status(int fd, const struct http_url *u, int64_t deadline, const struct http_opts *o,
            long timeout_ms, int *ret_status, struct diag *d)
{
        char buf[HTTP_LINE_MAX + 1], shown[64];
        size_t len = 0;
        int status, r;

        for (;;) {
                ssize_t n = recv(fd, buf + len, HTTP_LINE_MAX - len, 0);

                if (n > 0) {
                        len += (size_t)n;
                        if (memchr(buf, '\n', len) != NULL || len == HTTP_LINE_MAX)
                                break;
                        continue;
                }
                if (n == 0)
                        break;
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        return fail(d, u, PH_READ, -errno, timeout_ms);
                if ((r = wait_fd(fd, POLLIN, deadline, o)) < 0)
                        return fail(d, u, PH_READ, r, timeout_ms);
        }
        if (len == 0) {
                diag_set(d, _("%s port %s closed the connection without answering"), u->host,
                         u->port);
                return -EPROTO;
        }
        buf[len] = '\0';
        status = parse_status(buf, strcspn(buf, "\r\n"));
        if (status < 0) {
                show_bytes(shown, sizeof shown, buf, len);
                /* TRANSLATORS: host, port, the start of what it sent */
                diag_set(d, _("%s port %s did not answer with HTTP: \"%s\""), u->host, u->port,
                         shown);
                return -EPROTO;
        }
        *ret_status = status;
        return 0;
}

int
http_get_status(const char *url, const struct http_opts *o, int *ret_status, struct diag *d)
{
        static const struct http_opts none = {0};
        struct http_url u;
        char *req;
        long timeout_ms;
        int64_t deadline;
        int fd = -1, r;

        if (o == NULL)
                o = &none;
        timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : HTTP_DEFAULT_MS;
        deadline = now_ms() + timeout_ms;
        if ((r = http_url_parse(url, &u, d)) < 0)
                return r;
        r = http_connect(&u, deadline, o, &fd, d);
        if (r < 0) {
                if (r != -EHOSTUNREACH)
                        fail(d, &u, PH_CONNECT, r, timeout_ms);
                http_url_release(&u);
                return r;
        }
        req = xasprintf("GET %s HTTP/1.1\r\n"
                        "Host: %s%s%s%s%s\r\n"
                        "User-Agent: upshift/" PACKAGE_VERSION "\r\n"
                        "Accept: */*\r\n"
                        "Connection: close\r\n"
                        "\r\n",
                        u.target, u.ipv6 ? "[" : "", u.host, u.ipv6 ? "]" : "",
                        strcmp(u.port, "80") != 0 ? ":" : "",
                        strcmp(u.port, "80") != 0 ? u.port : "");
        r = send_all(fd, req, strlen(req), deadline, o);
        free(req);
        if (r < 0)
                fail(d, &u, PH_SEND, r, timeout_ms);
        else
                r = read_status(fd, &u, deadline, o, timeout_ms, ret_status, d);
        close(fd);
        http_url_release(&u);
        return r;
}
