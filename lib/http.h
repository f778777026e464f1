/* http.h: the smallest HTTP/1.1 client, to tell whether a service is up.
 *
 * It speaks plain HTTP over TCP and nothing else: one GET with "Host:" and
 * "Connection: close", the status line read back, the connection closed.
 * No TLS (an https:// URL is refused with -EPROTONOSUPPORT), no redirects,
 * no proxies, no credentials in the URL. Used by verify's "ready: http:"
 * (InfluxDB answers GET /ping with 204 once it is up).
 *
 * Every wait (connect, send, receive) is a poll(2) bounded by the caller's
 * timeout and cut into slices of at most 100 ms, between which the caller's
 * cancelled() is asked, so an interrupt is seen at once. Name resolution is
 * getaddrinfo(3), which cannot be bounded: give numeric addresses or names
 * in /etc/hosts. Every address a name resolves to is tried in turn.
 */
#ifndef UPSHIFT_HTTP_H
#define UPSHIFT_HTTP_H

#include <stdbool.h>

#include "lib/diag.h"

/* An http:// URL split up. All strings are owned by the struct. */
struct http_url {
        char *host;             /* name or address; an IPv6 literal without brackets */
        char *port;             /* digits, "80" when the URL gives none */
        char *target;           /* path and query, at least "/"; never the #fragment */
        bool  ipv6;             /* host is an IPv6 literal ("[::1]" in the URL) */
};

/* Split url ("http://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]"; the scheme in
 * any case). Returns 0 and fills *ret, or with a message in d and *ret
 * untouched: -EPROTONOSUPPORT for https:// (or another scheme), -EINVAL for
 * anything malformed (no host, a port that is not 1 to 65535, user:password@,
 * spaces or control characters). */
int  http_url_parse(const char *url, struct http_url *ret, struct diag *d);
void http_url_release(struct http_url *u);

struct http_opts {
        long   timeout_ms;              /* the whole exchange; <= 0: 10 s */
        /* Asked at least every 100 ms while waiting; true gives up with
         * -ECANCELED. May be NULL. */
        bool (*cancelled)(void *ud);
        void  *ud;
};

/* GET url and read the status line. Returns 0 with *ret_status set (100 to
 * 999) whenever the server answered with an HTTP status line, whatever the
 * status; otherwise *ret_status is untouched and the message is in d
 * ("cannot connect to 127.0.0.1 port 8086: Connection refused"):
 * -ECONNREFUSED and other connect errors, -ETIMEDOUT, -ECANCELED,
 * -EPROTO (the answer is not HTTP, or the connection closed first),
 * -EHOSTUNREACH (the name does not resolve), or http_url_parse's errors. */
int  http_get_status(const char *url, const struct http_opts *o, int *ret_status,
                     struct diag *d);

/* True for a 2xx status: the service is ready. */
bool http_status_ok(int status);

#endif
