/* http.h: one HTTP or HTTPS GET, bounded in time, to tell whether a
 * service is up, through libcurl.
 *
 * One GET with "Connection: close"; the status and (the first
 * HTTP_BODY_MAX bytes of) the body read back; the connection closed.
 * https:// uses TLS, its peer checked against the system's CA store or
 * the caller's CA file, with an optional client certificate and key.
 * Redirects are not followed unless asked; a proxy is never used, not even
 * one from the environment (http_proxy, HTTPS_PROXY, ALL_PROXY): a plan's
 * readiness is about the service itself. No credentials in the URL. Used
 * by verify's "ready: http:" (InfluxDB answers GET /ping with 204).
 *
 * Every wait is bounded by the caller's timeouts and cut into slices of at
 * most 100 ms, between which the caller's cancelled() is asked, so an
 * interrupt is seen at once. Name resolution is libcurl's (give numeric
 * addresses or names in /etc/hosts); every address a name resolves to is
 * tried in turn.
 */
#ifndef UPSHIFT_HTTP_H
#define UPSHIFT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/diag.h"

#define HTTP_BODY_MAX   (1024 * 1024)   /* the part of a body kept */

/* An http:// or https:// URL split up. All strings are owned by the struct. */
struct http_url {
        char *host;             /* name or address; an IPv6 literal without brackets */
        char *port;             /* digits, "80" (or "443" for https) when the URL gives none */
        char *target;           /* path and query, at least "/"; never the #fragment */
        bool  ipv6;             /* host is an IPv6 literal ("[::1]" in the URL) */
        bool  tls;              /* https:// */
};

/* Split url ("http[s]://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]"; the scheme
 * in any case). Returns 0 and fills *ret, or with a message in d and *ret
 * untouched: -EPROTONOSUPPORT for another scheme, -EINVAL for anything
 * malformed (no host, a port that is not 1 to 65535, user:password@,
 * spaces or control characters). */
int  http_url_parse(const char *url, struct http_url *ret, struct diag *d);
void http_url_release(struct http_url *u);

struct http_opts {
        long   timeout_ms;              /* the whole exchange; <= 0: 10 s */
        long   connect_timeout_ms;      /* connecting (TCP and TLS); <= 0 or
                                         * longer than timeout_ms: timeout_ms */
        bool   follow_redirects;        /* follow up to 5 redirects (http and
                                         * https only); false: a 3xx is the answer */
        /* TLS (https:// only; NULL: not used). */
        const char *ca_file;            /* PEM CA certificates to trust instead
                                         * of the system's CA store */
        const char *cert_file;          /* PEM client certificate */
        const char *key_file;           /* its PEM private key (NULL: in cert_file) */
        /* Asked at least every 100 ms while waiting; true gives up with
         * -ECANCELED. May be NULL. */
        bool (*cancelled)(void *ud);
        void  *ud;
};

/* What a server answered. */
struct http_response {
        int     status;                 /* 100 to 999 */
        char   *body;                   /* NUL-terminated, at most HTTP_BODY_MAX bytes */
        size_t  body_len;
};

/* GET url. Returns 0 with *ret filled (free it with http_response_release)
 * whenever the server answered with an HTTP status line, whatever the
 * status; otherwise *ret is untouched and the message is in d ("cannot
 * connect to 127.0.0.1 port 8086: Connection refused"): -ECONNREFUSED and
 * other connect errors, -ETIMEDOUT, -ECANCELED, -EPROTO (the answer is not
 * HTTP, or the connection closed first), -ECONNABORTED (TLS failed: the
 * peer's certificate is not trusted, or the handshake failed; the message
 * names libcurl's reason), -ENOENT (a CA, certificate or key file cannot
 * be used), -EHOSTUNREACH (the name does not resolve), or http_url_parse's
 * errors. */
int  http_get(const char *url, const struct http_opts *o, struct http_response *ret,
              struct diag *d);
void http_response_release(struct http_response *r);

/* http_get() for the status alone: 0 with *ret_status set, or as http_get. */
int  http_get_status(const char *url, const struct http_opts *o, int *ret_status,
                     struct diag *d);

/* True for a 2xx status: the service is ready. */
bool http_status_ok(int status);

#endif
