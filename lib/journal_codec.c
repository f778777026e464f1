/* journal_codec.c: records of the journal as text lines (see journal.h).
 *
 * Values that are safe YAML plain scalars are written plain, the rest as
 * double-quoted scalars with JSON-compatible escapes. Bytes that are not
 * valid UTF-8 are written as "\xNN". YAML reads "\xNN" as U+00NN, so for a
 * double-quoted scalar holding "\x" the decoder unescapes the source text
 * itself (libyaml has already checked it) to give back the original byte.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>
#include <zlib.h>

#include "lib/i18n.h"
#include "lib/journal.h"

/* The longest key a record may have: escaped (4 bytes a byte at most), it
 * stays within libyaml's 1,024 characters for a simple key. */
#define JOURNAL_KEY_MAX 200

void
jrec_set(struct jrec *r, const char *key, const char *value)
{
        kvlist_set(&r->kv, key, value);
}

void
jrec_setf(struct jrec *r, const char *key, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        kvlist_vsetf(&r->kv, key, fmt, ap);
        va_end(ap);
}

const char *
jrec_get(const struct jrec *r, const char *key)
{
        return kvlist_get(&r->kv, key);
}

void
jrec_release(struct jrec *r)
{
        kvlist_release(&r->kv);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), its code point
 * in *ret_cp; 0 when the bytes there are not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *p, size_t n, unsigned long *ret_cp)
{
        unsigned long cp;
        size_t len;

        if (p[0] < 0x80) {
                *ret_cp = p[0];
                return 1;
        }
        if (p[0] >= 0xc2 && p[0] <= 0xdf) {
                len = 2;
                cp = p[0] & 0x1f;
        } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                len = 3;
                cp = p[0] & 0x0f;
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                len = 4;
                cp = p[0] & 0x07;
        } else {
                return 0;
        }
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return len;
}

static void
utf8_encode(struct strbuf *sb, unsigned long cp)
{
        if (cp < 0x80) {
                strbuf_addch(sb, (char)cp);
        } else if (cp < 0x800) {
                strbuf_addch(sb, (char)(0xc0 | cp >> 6));
                strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
                strbuf_addch(sb, (char)(0xe0 | cp >> 12));
                strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
                strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
        } else {
                strbuf_addch(sb, (char)(0xf0 | cp >> 18));
                strbuf_addch(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
                strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
                strbuf_addch(sb, (char)(0x80 | (cp & 0x3f)));
        }
}

static bool
plain_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' ||
               c == '+' || c == '-';
}

/* Whether s reads back as the same string when written plain, also for
 * readers that resolve YAML 1.1 types. */
static bool
scalar_is_plain(const char *s)
{
        static const char *const words[] = {
                "null", "true", "false", "yes", "no", "on", "off", "y", "n",
        };

        if (!plain_char(s[0]) || s[0] == '.' || s[0] == '+' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!plain_char(*p))
                        return false;
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (strcasecmp(s, words[i]) == 0)
                        return false;
        return true;
}

/* Code points written as \uXXXX although they are valid UTF-8: controls,
 * YAML line breaks, the byte order mark and non-characters libyaml refuses. */
static bool
needs_uescape(unsigned long cp)
{
        return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
               cp == 0x2028 || cp == 0x2029 || cp == 0xfeff ||
               cp == 0xfffe || cp == 0xffff;
}

static void
encode_scalar(struct strbuf *sb, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t n = strlen(s);

        if (scalar_is_plain(s)) {
                strbuf_add(sb, s, n);
                return;
        }
        strbuf_addch(sb, '"');
        while (n > 0) {
                unsigned long cp;
                size_t len = utf8_decode(p, n, &cp);

                if (len == 0) {
                        strbuf_addf(sb, "\\x%02x", p[0]);
                        len = 1;
                } else if (cp == '"' || cp == '\\') {
                        strbuf_addch(sb, '\\');
                        strbuf_addch(sb, (char)cp);
                } else if (cp == '\n') {
                        strbuf_adds(sb, "\\n");
                } else if (cp == '\t') {
                        strbuf_adds(sb, "\\t");
                } else if (cp == '\r') {
                        strbuf_adds(sb, "\\r");
                } else if (needs_uescape(cp)) {
                        strbuf_addf(sb, "\\u%04lx", cp);
                } else {
                        strbuf_add(sb, (const char *)p, len);
                }
                p += len;
                n -= len;
        }
        strbuf_addch(sb, '"');
}

char *
journal_encode(const struct jrec *r)
{
        struct strbuf body = {0};
        char *line;

        strbuf_addch(&body, '{');
        for (size_t i = 0; i < r->kv.n; i++) {
                if (i > 0)
                        strbuf_adds(&body, ", ");
                encode_scalar(&body, r->kv.v[i].key);
                strbuf_adds(&body, ": ");
                encode_scalar(&body, r->kv.v[i].value);
        }
        strbuf_addch(&body, '}');
        line = xasprintf("%08lx %s",
                         crc32(0L, (const Bytef *)body.buf, (uInt)body.len),
                         body.buf);
        strbuf_release(&body);
        return line;
}

/* Byte offset of character number chars in the valid UTF-8 text s. */
static size_t
utf8_offset(const char *s, size_t n, size_t chars)
{
        size_t i = 0;

        for (size_t k = 0; k < chars && i < n; k++) {
                i++;
                while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
                        i++;
        }
        return i;
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

static bool
parse_hex(const char *s, size_t n, unsigned long *ret)
{
        unsigned long v = 0;

        for (size_t i = 0; i < n; i++) {
                int h = hexval(s[i]);

                if (h < 0)
                        return false;
                v = v << 4 | (unsigned long)h;
        }
        *ret = v;
        return true;
}

/* Unescape the inside of a one-line double-quoted scalar, "\xNN" giving the
 * raw byte. Returns a new string, or NULL on an escape we do not take. */
static char *
unescape_quoted(const char *s, size_t n)
{
        struct strbuf sb = {0};
        size_t i = 0;

        strbuf_adds(&sb, "");
        while (i < n) {
                static const char simple[] = "abtnvfre \"/\\\t";
                static const char value[] = "\a\b\t\n\v\f\r\x1b \"/\\\t";
                unsigned long cp;
                const char *e;
                size_t w;

                if (s[i] != '\\') {
                        strbuf_addch(&sb, s[i++]);
                        continue;
                }
                if (i + 1 >= n)
                        goto fail;
                e = s[i + 1] ? strchr(simple, s[i + 1]) : NULL;
                if (e != NULL) {
                        strbuf_addch(&sb, value[e - simple]);
                        i += 2;
                        continue;
                }
                switch (s[i + 1]) {
                case 'x': w = 2; break;
                case 'u': w = 4; break;
                case 'U': w = 8; break;
                case 'N': cp = 0x85; w = 0; break;
                case '_': cp = 0xa0; w = 0; break;
                case 'L': cp = 0x2028; w = 0; break;
                case 'P': cp = 0x2029; w = 0; break;
                default: goto fail;
                }
                if (w > 0 && (i + 2 + w > n || !parse_hex(s + i + 2, w, &cp)))
                        goto fail;
                if (cp == 0)
                        goto fail;
                if (s[i + 1] == 'x')
                        strbuf_addch(&sb, (char)cp);
                else
                        utf8_encode(&sb, cp);
                i += 2 + w;
        }
        return strbuf_detach(&sb);
fail:
        strbuf_release(&sb);
        return NULL;
}

/* The string a scalar event stands for; NULL when it cannot be one of ours. */
static char *
scalar_value(const yaml_event_t *ev, const char *text, size_t len)
{
        const char *v = (const char *)ev->data.scalar.value;
        size_t vlen = ev->data.scalar.length;

        if (ev->data.scalar.anchor != NULL || ev->data.scalar.tag != NULL)
                return NULL;
        if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
                size_t a = utf8_offset(text, len, ev->start_mark.index);
                size_t b = utf8_offset(text, len, ev->end_mark.index);

                if (b >= a + 2 && memmem(text + a, b - a, "\\x", 2) != NULL)
                        return unescape_quoted(text + a + 1, b - a - 2);
        }
        if (memchr(v, '\0', vlen) != NULL)
                return NULL;
        return xstrndup(v, vlen);
}

/* Parse "{k: v, ...}" into r. Returns 0 or -EBADMSG with a message. */
static int
parse_mapping(const char *text, size_t len, struct jrec *r, struct diag *d)
{
        yaml_parser_t parser;
        yaml_event_t ev;
        char *key = NULL;
        int state = 0;          /* 0 stream, 1 document, 2 mapping, 3 after */
        int ret = -EBADMSG;

        yaml_parser_initialize(&parser);
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
        for (;;) {
                yaml_event_type_t t;

                if (!yaml_parser_parse(&parser, &ev)) {
                        diag_set(d, _("bad journal record: %s"),
                                 parser.problem ? parser.problem : "?");
                        break;
                }
                t = ev.type;
                if (t == YAML_STREAM_END_EVENT) {
                        if (state == 3)
                                ret = 0;
                        else
                                diag_set(d, _("bad journal record: not a mapping"));
                        yaml_event_delete(&ev);
                        break;
                }
                if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
                        yaml_event_delete(&ev);
                        continue;
                }
                if (t == YAML_DOCUMENT_START_EVENT && state == 0 &&
                    ev.data.document_start.implicit) {
                        state = 1;
                } else if (t == YAML_MAPPING_START_EVENT && state == 1 &&
                           ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE &&
                           ev.data.mapping_start.anchor == NULL &&
                           ev.data.mapping_start.tag == NULL) {
                        state = 2;
                } else if (t == YAML_MAPPING_END_EVENT && state == 2 && key == NULL) {
                        state = 3;
                } else if (t == YAML_SCALAR_EVENT && state == 2) {
                        char *s = scalar_value(&ev, text, len);

                        if (s == NULL) {
                                diag_set(d, _("bad journal record: unexpected scalar"));
                                yaml_event_delete(&ev);
                                break;
                        }
                        if (key == NULL && strlen(s) > JOURNAL_KEY_MAX) {
                                /* No key upshift writes is near this long, and
                                 * escaped it could pass YAML's 1,024-character
                                 * limit on a key, so it could not be written
                                 * back. */
                                diag_set(d, _("bad journal record: a key longer than %d bytes"),
                                         JOURNAL_KEY_MAX);
                                free(s);
                                yaml_event_delete(&ev);
                                break;
                        } else if (key == NULL) {
                                key = s;
                        } else if (kvlist_get(&r->kv, key) != NULL) {
                                /* TRANSLATORS: %s is a key of a journal record. */
                                diag_set(d, _("bad journal record: key \"%s\" appears twice"),
                                         key);
                                free(s);
                                yaml_event_delete(&ev);
                                break;
                        } else {
                                kvlist_set(&r->kv, key, s);
                                free(key);
                                free(s);
                                key = NULL;
                        }
                } else {
                        diag_set(d, _("bad journal record: not a flat one-line mapping"));
                        yaml_event_delete(&ev);
                        break;
                }
                yaml_event_delete(&ev);
        }
        free(key);
        yaml_parser_delete(&parser);
        return ret;
}

int
journal_decode(const char *line, size_t len, struct jrec *ret, struct diag *d)
{
        struct jrec r = {0};
        unsigned long want = 0, got;
        int e;

        if (len < 11 || line[8] != ' ') {
                diag_set(d, _("bad journal record: no checksum"));
                return -EBADMSG;
        }
        for (size_t i = 0; i < 8; i++) {
                if (hexval(line[i]) < 0 || (line[i] >= 'A' && line[i] <= 'F')) {
                        diag_set(d, _("bad journal record: no checksum"));
                        return -EBADMSG;
                }
        }
        if (memchr(line, '\0', len) != NULL || memchr(line, '\n', len) != NULL) {
                diag_set(d, _("bad journal record: not one line of text"));
                return -EBADMSG;
        }
        parse_hex(line, 8, &want);
        got = crc32(0L, (const Bytef *)line + 9, (uInt)(len - 9));
        if (want != got) {
                /* TRANSLATORS: the two numbers are checksums in hex. */
                diag_set(d, _("bad journal record: checksum %08lx does not match its text (%08lx)"),
                         want, got);
                return -EBADMSG;
        }
        e = parse_mapping(line + 9, len - 9, &r, d);
        if (e < 0) {
                jrec_release(&r);
                return e;
        }
        *ret = r;
        return 0;
}
