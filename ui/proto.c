/* proto.c: encoding and decoding the worker protocol (proto.h). */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "ui/proto.h"

void
proto_init(struct proto_msg *m, const char *type)
{
        memset(m, 0, sizeof *m);
        m->type = xstrdup(type);
}

void
proto_release(struct proto_msg *m)
{
        free(m->type);
        m->type = NULL;
        kvlist_release(&m->kv);
}

void
proto_set(struct proto_msg *m, const char *key, const char *value)
{
        if (value != NULL)
                kvlist_set(&m->kv, key, value);
}

void
proto_setf(struct proto_msg *m, const char *key, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        kvlist_vsetf(&m->kv, key, fmt, ap);
        va_end(ap);
}

void
proto_set_int(struct proto_msg *m, const char *key, long long v)
{
        proto_setf(m, key, "%lld", v);
}

const char *
proto_get(const struct proto_msg *m, const char *key)
{
        return kvlist_get(&m->kv, key);
}

long long
proto_get_int(const struct proto_msg *m, const char *key, long long def)
{
        const char *s = kvlist_get(&m->kv, key);
        char *end;
        long long v;

        if (s == NULL || *s == '\0')
                return def;
        errno = 0;
        v = strtoll(s, &end, 10);
        return *end != '\0' || errno ? def : v;
}

bool
proto_is(const struct proto_msg *m, const char *type)
{
        return m->type != NULL && strcmp(m->type, type) == 0;
}

void
proto_escape(struct strbuf *sb, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        size_t run = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[4] = {'\\', 0, 0, 0};
                size_t n = 2;

                switch (c) {
                case '\\': esc[1] = '\\'; break;
                case ' ':  esc[1] = 's'; break;
                case '\n': esc[1] = 'n'; break;
                case '\t': esc[1] = 't'; break;
                case '\r': esc[1] = 'r'; break;
                default:
                        if (c >= 0x20 && c != 0x7f) {
                                run++;
                                continue;
                        }
                        esc[1] = 'x';
                        esc[2] = hex[c >> 4];
                        esc[3] = hex[c & 15];
                        n = 4;
                        break;
                }
                if (run)
                        strbuf_add(sb, s + i - run, run);
                run = 0;
                strbuf_add(sb, esc, n);
        }
        if (run)
                strbuf_add(sb, s + len - run, run);
        if (sb->buf == NULL)
                strbuf_adds(sb, "");
}

static int
hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int
proto_unescape(const char *s, size_t len, char **ret, size_t *ret_len)
{
        char *out = xmalloc(len + 1);
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                int hi, lo;

                if (s[i] != '\\') {
                        out[o++] = s[i];
                        continue;
                }
                if (++i >= len)
                        goto bad;
                switch (s[i]) {
                case '\\': out[o++] = '\\'; break;
                case 's':  out[o++] = ' '; break;
                case 'n':  out[o++] = '\n'; break;
                case 't':  out[o++] = '\t'; break;
                case 'r':  out[o++] = '\r'; break;
                case 'x':
                        if (i + 2 >= len)
                                goto bad;
                        hi = hexval(s[i + 1]);
                        lo = hexval(s[i + 2]);
                        if (hi < 0 || lo < 0)
                                goto bad;
                        out[o++] = (char)(hi << 4 | lo);
                        i += 2;
                        break;
                default:
                        goto bad;
                }
        }
        out[o] = '\0';
        *ret = out;
        if (ret_len)
                *ret_len = o;
        return 0;
bad:
        free(out);
        return -EBADMSG;
}

static bool
is_name(const char *s, size_t len)
{
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '_' || s[i] == '.'))
                        return false;
        return true;
}

void
proto_encode(const struct proto_msg *m, struct strbuf *sb)
{
        strbuf_adds(sb, m->type);
        for (size_t i = 0; i < m->kv.n; i++) {
                strbuf_addch(sb, ' ');
                strbuf_adds(sb, m->kv.v[i].key);
                strbuf_addch(sb, '=');
                proto_escape(sb, m->kv.v[i].value, strlen(m->kv.v[i].value));
        }
        strbuf_addch(sb, '\n');
}

int
proto_decode(const char *line, size_t len, struct proto_msg *ret, struct diag *d)
{
        const char *p = line, *end = line + len, *sp;
        struct proto_msg m = {0};

        sp = memchr(p, ' ', len);
        if (sp == NULL)
                sp = end;
        if (!is_name(p, (size_t)(sp - p))) {
                diag_set(d, _("protocol: a message must start with its type"));
                return -EBADMSG;
        }
        m.type = xstrndup(p, (size_t)(sp - p));
        p = sp;
        while (p < end) {
                const char *eq;
                char *key, *val;

                p++;                    /* the space */
                sp = memchr(p, ' ', (size_t)(end - p));
                if (sp == NULL)
                        sp = end;
                eq = memchr(p, '=', (size_t)(sp - p));
                if (eq == NULL || !is_name(p, (size_t)(eq - p))) {
                        diag_set(d, _("protocol: a %s message has a field that is not KEY=VALUE"),
                                 m.type);
                        proto_release(&m);
                        return -EBADMSG;
                }
                if (proto_unescape(eq + 1, (size_t)(sp - eq - 1), &val, NULL) < 0) {
                        diag_set(d, _("protocol: a %s message has a bad escape"), m.type);
                        proto_release(&m);
                        return -EBADMSG;
                }
                key = xstrndup(p, (size_t)(eq - p));
                kvlist_set(&m.kv, key, val);
                free(key);
                free(val);
                p = sp;
        }
        *ret = m;
        return 0;
}

int
proto_read(struct proto_reader *r, int fd)
{
        char buf[65536];
        ssize_t n;

        do
                n = read(fd, buf, sizeof buf);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EWOULDBLOCK ? -EAGAIN : -errno;
        if (n > 0) {
                /* Move what was consumed out of the way first. */
                if (r->off > 0 && r->off == r->buf.len) {
                        r->buf.len = 0;
                        r->off = 0;
                } else if (r->off > 65536) {
                        memmove(r->buf.buf, r->buf.buf + r->off, r->buf.len - r->off);
                        r->buf.len -= r->off;
                        r->off = 0;
                }
                strbuf_add(&r->buf, buf, (size_t)n);
        }
        return (int)n;
}

int
proto_next(struct proto_reader *r, struct proto_msg *ret, struct diag *d)
{
        const char *start, *nl;
        size_t avail;
        int rc;

        if (r->buf.buf == NULL || r->off >= r->buf.len)
                return 0;
        start = r->buf.buf + r->off;
        avail = r->buf.len - r->off;
        nl = memchr(start, '\n', avail);
        if (nl == NULL) {
                if (avail > PROTO_MAX_LINE) {
                        r->off = r->buf.len;
                        diag_set(d, _("protocol: a message is longer than %u bytes"),
                                 PROTO_MAX_LINE);
                        return -EMSGSIZE;
                }
                return 0;
        }
        r->off += (size_t)(nl - start) + 1;
        rc = proto_decode(start, (size_t)(nl - start), ret, d);
        return rc < 0 ? rc : 1;
}

void
proto_reader_release(struct proto_reader *r)
{
        strbuf_release(&r->buf);
        r->off = 0;
}

static const char *const status_names[] = {
        [ST_PENDING] = "pending", [ST_RUNNING] = "running", [ST_DONE] = "done",
        [ST_FAILED] = "failed", [ST_SKIPPED] = "skipped", [ST_UNDONE] = "undone",
};

static const char *const kind_names[] = {
        [OUT_INFO] = "info", [OUT_CMD] = "cmd", [OUT_STDOUT] = "stdout",
        [OUT_STDERR] = "stderr", [OUT_WARN] = "warn",
};

static int
name_index(const char *const *names, size_t n, const char *s)
{
        for (size_t i = 0; s && i < n; i++)
                if (names[i] && strcmp(names[i], s) == 0)
                        return (int)i;
        return -1;
}

const char *
proto_status_name(enum step_status st)
{
        return (size_t)st < ARRAY_SIZE(status_names) ? status_names[st] : "pending";
}

int
proto_status_from_name(const char *s)
{
        return name_index(status_names, ARRAY_SIZE(status_names), s);
}

const char *
proto_kind_name(enum out_kind k)
{
        return (size_t)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "info";
}

int
proto_kind_from_name(const char *s)
{
        return name_index(kind_names, ARRAY_SIZE(kind_names), s);
}
