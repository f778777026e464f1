#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

static void
oom(void)
{
        fputs("upshift: out of memory\n", stderr);
        exit(70);
}

void *
xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (p == NULL)
                oom();
        return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

        if (p == NULL)
                oom();
        return p;
}

void *
xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (p == NULL)
                oom();
        return p;
}

void
xgrow(void **p, size_t *alloc, size_t need, size_t sz)
{
        size_t n;

        if (need <= *alloc)
                return;
        n = *alloc ? *alloc : 8;
        while (n < need)
                n *= 2;
        *p = xrealloc(*p, n * sz);
        *alloc = n;
}

char *
xstrdup(const char *s)
{
        return s == NULL ? NULL : xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
        char *p = xmalloc(n + 1);

        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
        char *p;

        if (vasprintf(&p, fmt, ap) < 0)
                oom();
        return p;
}

char *
xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p;

        va_start(ap, fmt);
        p = xvasprintf(fmt, ap);
        va_end(ap);
        return p;
}

void
strv_push_take(struct strv *sv, char *s)
{
        xgrow((void **)&sv->v, &sv->alloc, sv->n + 2, sizeof *sv->v);
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
}

void
strv_push(struct strv *sv, const char *s)
{
        strv_push_take(sv, xstrdup(s));
}

void
strv_release(struct strv *sv)
{
        for (size_t i = 0; i < sv->n; i++)
                free(sv->v[i]);
        free(sv->v);
        sv->v = NULL;
        sv->n = sv->alloc = 0;
}

void
strv_keep(struct strv *sv, size_t n)
{
        while (sv->n > n) {
                free(sv->v[--sv->n]);
                sv->v[sv->n] = NULL;
        }
}

char *
strv_join(char *const *v, size_t n, const char *sep)
{
        struct strbuf sb = {0};

        strbuf_adds(&sb, "");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        strbuf_adds(&sb, sep);
                strbuf_adds(&sb, v[i]);
        }
        return strbuf_detach(&sb);
}

ssize_t
strv_find(char *const *v, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], s) == 0)
                        return (ssize_t)i;
        return -1;
}

int
strv_split_nul(struct strv *sv, const char *buf, size_t len)
{
        size_t was = sv->n;

        for (size_t i = 0; i < len;) {
                const char *end = memchr(buf + i, '\0', len - i);

                if (end == NULL) {
                        strv_keep(sv, was);
                        return -1;
                }
                strv_push(sv, buf + i);
                i = (size_t)(end - buf) + 1;
        }
        return 0;
}

void
strbuf_add(struct strbuf *sb, const char *s, size_t n)
{
        xgrow((void **)&sb->buf, &sb->alloc, sb->len + n + 1, 1);
        memcpy(sb->buf + sb->len, s, n);
        sb->len += n;
        sb->buf[sb->len] = '\0';
}

void
strbuf_adds(struct strbuf *sb, const char *s)
{
        strbuf_add(sb, s, strlen(s));
}

void
strbuf_addch(struct strbuf *sb, char c)
{
        strbuf_add(sb, &c, 1);
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
        va_list ap;
        char *p;

        va_start(ap, fmt);
        p = xvasprintf(fmt, ap);
        va_end(ap);
        strbuf_adds(sb, p);
        free(p);
}

char *
strbuf_detach(struct strbuf *sb)
{
        char *p = sb->buf ? sb->buf : xstrdup("");

        sb->buf = NULL;
        sb->len = sb->alloc = 0;
        return p;
}

void
strbuf_release(struct strbuf *sb)
{
        free(sb->buf);
        sb->buf = NULL;
        sb->len = sb->alloc = 0;
}

char *
str_rtrim(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
                         s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        return s;
}

char *
str_mask(const char *buf, size_t *len, char *const *secrets)
{
        static const char mask[] = "********";
        struct strbuf sb = {0};
        bool hit = false;

        if (secrets == NULL || secrets[0] == NULL)
                return NULL;
        strbuf_adds(&sb, "");
        for (size_t at = 0; at < *len; ) {
                size_t n = 0;

                for (size_t i = 0; secrets && secrets[i] && n == 0; i++) {
                        size_t k = strlen(secrets[i]);

                        if (k > 0 && k <= *len - at && memcmp(buf + at, secrets[i], k) == 0)
                                n = k;
                }
                if (n > 0) {
                        strbuf_add(&sb, mask, sizeof mask - 1);
                        at += n;
                        hit = true;
                } else {
                        strbuf_addch(&sb, buf[at++]);
                }
        }
        if (!hit) {
                strbuf_release(&sb);
                return NULL;
        }
        *len = sb.len;
        return sb.buf;
}

bool
str_startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && strcmp(s + a - b, suffix) == 0;
}

size_t
str_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        size_t *row = xcalloc(lb + 1, sizeof *row);
        size_t res;

        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                size_t diag = row[0];

                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t up = row[j];
                        size_t best = diag + (a[i - 1] != b[j - 1]);

                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        if (up + 1 < best)
                                best = up + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        res = row[lb];
        free(row);
        return res;
}

int64_t
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
time_iso8601(char *buf, size_t size, time_t t)
{
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
duration_parse(const char *s, long *ret_ms)
{
        long total = 0;
        const char *p = s;

        if (s == NULL || *s == '\0')
                return -EINVAL;
        while (*p) {
                char *end;
                long n, mult;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                n = strtol(p, &end, 10);
                if (errno || n < 0)
                        return -EINVAL;
                if (*end == '\0' && p == s) {
                        mult = 1000;            /* bare number: seconds */
                        p = end;
                } else if (str_startswith(end, "ms")) {
                        mult = 1;
                        p = end + 2;
                } else if (*end == 's') {
                        mult = 1000;
                        p = end + 1;
                } else if (*end == 'm') {
                        mult = 60000;
                        p = end + 1;
                } else if (*end == 'h') {
                        mult = 3600000;
                        p = end + 1;
                } else {
                        return -EINVAL;
                }
                if (n > (long)(INT32_MAX / (mult > 1000 ? mult / 1000 : 1)))
                        return -EINVAL;
                total += n * mult;
        }
        *ret_ms = total;
        return 0;
}

int
size_parse(const char *s, uint64_t *ret_bytes)
{
        unsigned long long n;
        unsigned shift = 0;
        char *end;

        if (s == NULL || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno)
                return -EINVAL;
        switch (*end) {
        case '\0': break;
        case 'K': shift = 10; end++; break;
        case 'M': shift = 20; end++; break;
        case 'G': shift = 30; end++; break;
        case 'T': shift = 40; end++; break;
        default: return -EINVAL;
        }
        if (*end != '\0' || n > (UINT64_MAX >> shift))
                return -EINVAL;
        *ret_bytes = (uint64_t)n << shift;
        return 0;
}

void
duration_format(char *buf, size_t size, int64_t ms)
{
        if (ms < 0)
                ms = 0;
        if (ms < 10000)
                snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
        else if (ms < 60000)
                snprintf(buf, size, "%llds", (long long)(ms / 1000));
        else if (ms < 3600000)
                snprintf(buf, size, "%lldm%02llds", (long long)(ms / 60000),
                         (long long)(ms / 1000 % 60));
        else
                snprintf(buf, size, "%lldh%02lldm", (long long)(ms / 3600000),
                         (long long)(ms / 60000 % 60));
}

void
bytes_format(char *buf, size_t size, uint64_t bytes)
{
        static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = (double)bytes;
        size_t u = 0;

        while (v >= 1024.0 && u + 1 < ARRAY_SIZE(units)) {
                v /= 1024.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%llu B", (unsigned long long)bytes);
        else
                snprintf(buf, size, "%.1f %s", v, units[u]);
}
