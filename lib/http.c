/* http.c: one HTTP or HTTPS GET through libcurl, bounded in time, to tell
 * whether a service is up (http.h says what it does and does not do). */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "lib/http.h"
#include "lib/i18n.h"
#include "lib/util.h"

#define HTTP_SLICE_MS           100     /* longest poll between two cancelled() */
#define HTTP_DEFAULT_MS         10000
#define HTTP_MAX_REDIRECTS      5

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
        size_t skip = 7;

        for (p = url; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f) {
                        diag_set(d, _("the URL \"%s\" holds a space or a control character"), url);
                        return -EINVAL;
                }
        if (strncasecmp(url, "https://", 8) == 0) {
                u.tls = true;
                port = 443;
                skip = 8;
        } else if (strncasecmp(url, "http://", 7) != 0) {
                if (strstr(url, "://") != NULL) {
                        diag_set(d, _("cannot use \"%s\": only http:// and https:// URLs are supported"),
                                 url);
                        return -EPROTONOSUPPORT;
                }
                diag_set(d, _("\"%s\" is not an http:// or https:// URL"), url);
                return -EINVAL;
        }
        p = url + skip;
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

/* The body, kept up to HTTP_BODY_MAX bytes; the rest is read and dropped. */
static size_t
body_write(char *data, size_t size, size_t n, void *ud)
{
        struct strbuf *sb = ud;
        size_t len = size * n;

        if (sb->len < HTTP_BODY_MAX)
                strbuf_add(sb, data, len < HTTP_BODY_MAX - sb->len ? len : HTTP_BODY_MAX - sb->len);
        return len;
}

/* Set up e for one GET of url as o says. Returns false when libcurl refuses
 * an option (it lacks a protocol or TLS). */
static bool
setup(CURL *e, const char *url, const struct http_opts *o, long timeout_ms,
      struct curl_slist *hdrs, struct strbuf *body, char *errbuf)
{
        long connect_ms = o->connect_timeout_ms > 0 && o->connect_timeout_ms < timeout_ms
                          ? o->connect_timeout_ms : timeout_ms;
        bool ok = true;

#define SET(opt, val) (ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK)
        SET(CURLOPT_URL, url);
        SET(CURLOPT_PROTOCOLS_STR, "http,https");
        SET(CURLOPT_ERRORBUFFER, errbuf);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_NOPROXY, "*");              /* never a proxy from the environment */
        SET(CURLOPT_PROXY, "");
        SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        SET(CURLOPT_USERAGENT, "upshift/" PACKAGE_VERSION);
        SET(CURLOPT_HTTPHEADER, hdrs);
        SET(CURLOPT_FORBID_REUSE, 1L);
        SET(CURLOPT_TIMEOUT_MS, timeout_ms);
        SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        SET(CURLOPT_FOLLOWLOCATION, o->follow_redirects ? 1L : 0L);
        if (o->follow_redirects) {
                SET(CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS);
                SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        }
        SET(CURLOPT_WRITEFUNCTION, body_write);
        SET(CURLOPT_WRITEDATA, body);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->ca_file)
                SET(CURLOPT_CAINFO, o->ca_file);
        if (o->cert_file)
                SET(CURLOPT_SSLCERT, o->cert_file);
        if (o->key_file)
                SET(CURLOPT_SSLKEY, o->key_file);
#undef SET
        return ok;
}

/* Run the transfer, asking cancelled() between slices of HTTP_SLICE_MS. */
static CURLcode
perform(CURL *e, const struct http_opts *o)
{
        CURLM *m = curl_multi_init();
        CURLcode res = CURLE_FAILED_INIT;
        CURLMsg *msg;
        int running = 1, left;

        if (m == NULL || curl_multi_add_handle(m, e) != CURLM_OK) {
                curl_multi_cleanup(m);
                return CURLE_FAILED_INIT;
        }
        while (running) {
                if (curl_multi_perform(m, &running) != CURLM_OK)
                        break;
                if (!running)
                        break;
                if (o->cancelled != NULL && o->cancelled(o->ud)) {
                        res = CURLE_ABORTED_BY_CALLBACK;
                        running = -1;
                        break;
                }
                if (curl_multi_poll(m, NULL, 0, HTTP_SLICE_MS, NULL) != CURLM_OK)
                        break;
        }
        if (running == 0)
                while ((msg = curl_multi_info_read(m, &left)) != NULL)
                        if (msg->msg == CURLMSG_DONE && msg->easy_handle == e)
                                res = msg->data.result;
        curl_multi_remove_handle(m, e);
        curl_multi_cleanup(m);
        return res;
}

/* Say why the GET failed, naming the peer, from libcurl's result. Returns
 * the negative errno (http.h lists them). */
static int
fail(CURL *e, CURLcode res, const char *errbuf, const struct http_url *u, long timeout_ms,
     struct diag *d)
{
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(res);
        long oserr = 0;
        curl_off_t connected = 0;
        char dur[32];

        curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &oserr);
        curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connected);
        duration_format(dur, sizeof dur, timeout_ms);
        switch (res) {
        case CURLE_ABORTED_BY_CALLBACK:
                diag_set(d, _("interrupted while waiting for %s port %s"), u->host, u->port);
                return -ECANCELED;
        case CURLE_OPERATION_TIMEDOUT:
                if (connected > 0)
                        /* TRANSLATORS: host, port, a duration ("5.0s") */
                        diag_set(d, _("%s port %s did not answer within %s"), u->host, u->port,
                                 dur);
                else
                        /* TRANSLATORS: host, port, a duration ("5.0s") */
                        diag_set(d, _("cannot connect to %s port %s: no answer within %s"),
                                 u->host, u->port, dur);
                return -ETIMEDOUT;
        case CURLE_COULDNT_RESOLVE_HOST:
                /* TRANSLATORS: host name, then libcurl's message */
                diag_set(d, _("cannot resolve host \"%s\": %s"), u->host, why);
                return -EHOSTUNREACH;
        case CURLE_COULDNT_CONNECT:
                /* TRANSLATORS: host, port, the system's error message */
                diag_set(d, _("cannot connect to %s port %s: %s"), u->host, u->port,
                         strerror(oserr > 0 ? (int)oserr : ECONNREFUSED));
                return oserr > 0 ? -(int)oserr : -ECONNREFUSED;
        case CURLE_GOT_NOTHING:
                diag_set(d, _("%s port %s closed the connection without answering"), u->host,
                         u->port);
                return -EPROTO;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
                /* TRANSLATORS: host, port, libcurl's message */
                diag_set(d, _("%s port %s did not answer with HTTP: %s"), u->host, u->port, why);
                return -EPROTO;
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
                if (u->tls && oserr == 0 && strstr(why, "SSL") != NULL) {
                        /* the peer's TLS alert, e.g. "bad certificate" for none */
                        diag_set(d, _("TLS with %s port %s failed: %s"), u->host, u->port, why);
                        return -ECONNABORTED;
                }
                /* TRANSLATORS: host, port, the system's or libcurl's message */
                diag_set(d, _("cannot exchange with %s port %s: %s"), u->host, u->port,
                         oserr > 0 ? strerror((int)oserr) : why);
                return oserr > 0 ? -(int)oserr : -EPROTO;
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CRL_BADFILE:
                /* TRANSLATORS: libcurl's message, which names the file */
                diag_set(d, _("cannot use the TLS files for %s port %s: %s; check ca_file:, "
                              "cert_file: and key_file:"), u->host, u->port, why);
                return -ENOENT;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CLIENTCERT:
                /* TRANSLATORS: host, port, libcurl's message ("SSL certificate
                 * problem: unable to get local issuer certificate") */
                diag_set(d, _("TLS with %s port %s failed: %s"), u->host, u->port, why);
                return -ECONNABORTED;
        case CURLE_TOO_MANY_REDIRECTS:
                diag_set(d, _("%s port %s redirected more than %d times"), u->host, u->port,
                         HTTP_MAX_REDIRECTS);
                return -ELOOP;
        default:
                /* TRANSLATORS: host, port, libcurl's message */
                diag_set(d, _("GET from %s port %s failed: %s"), u->host, u->port, why);
                return -EIO;
        }
}

int
http_get(const char *url, const struct http_opts *o, struct http_response *ret,
         struct diag *d)
{
        static const struct http_opts none = {0};
        char errbuf[CURL_ERROR_SIZE] = "";
        struct strbuf body = {0};
        struct curl_slist *hdrs = NULL;
        struct http_url u;
        long timeout_ms, status = 0;
        CURLcode res;
        CURL *e;
        int r = 0;

        if (o == NULL)
                o = &none;
        timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : HTTP_DEFAULT_MS;
        if ((r = http_url_parse(url, &u, d)) < 0)
                return r;
        hdrs = curl_slist_append(NULL, "Connection: close");
        e = curl_easy_init();
        if (e == NULL || hdrs == NULL || !setup(e, url, o, timeout_ms, hdrs, &body, errbuf)) {
                diag_set(d, _("cannot set up a GET of %s: libcurl refused an option "
                              "(is it built with TLS?)"), url);
                r = -ENOSYS;
                goto out;
        }
        res = perform(e, o);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (res != CURLE_OK) {
                r = fail(e, res, errbuf, &u, timeout_ms, d);
                goto out;
        }
        if (status < 100 || status > 999) {
                diag_set(d, _("%s port %s did not answer with HTTP"), u.host, u.port);
                r = -EPROTO;
                goto out;
        }
        ret->status = (int)status;
        ret->body_len = body.len;
        ret->body = strbuf_detach(&body);
out:
        strbuf_release(&body);
        curl_easy_cleanup(e);
        curl_slist_free_all(hdrs);
        http_url_release(&u);
        return r;
}

void
http_response_release(struct http_response *r)
{
        if (r == NULL)
                return;
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
}

int
http_get_status(const char *url, const struct http_opts *o, int *ret_status, struct diag *d)
{
        struct http_response resp;
        int r = http_get(url, o, &resp, d);

        if (r < 0)
                return r;
        *ret_status = resp.status;
        http_response_release(&resp);
        return 0;
}
