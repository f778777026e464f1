/* ynode.c: YAML into a tree of nodes with positions (ynode.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "lib/ynode.h"

#define YNODE_MAX_DEPTH 64

struct yparse {
        yaml_parser_t  parser;
        const char    *name;
        const char    *text;            /* the input, for the reader's errors */
        size_t         len;
        struct diag   *d;
};

static void
yparse_error(struct yparse *yp)
{
        const yaml_parser_t *p = &yp->parser;
        const char *problem = p->problem ? p->problem : _("cannot parse YAML");
        yaml_mark_t m = p->problem_mark;

        /* The reader (encodings, control characters) gives a byte offset
         * only: its line and column are counted here. */
        if (p->error == YAML_READER_ERROR) {
                m.line = m.column = 0;
                for (size_t i = 0; i < p->problem_offset && i < yp->len; i++) {
                        if (yp->text[i] == '\n') {
                                m.line++;
                                m.column = 0;
                        } else if (((unsigned char)yp->text[i] & 0xc0) != 0x80) {
                                m.column++;     /* characters, not UTF-8 bytes */
                        }
                }
        }
        if (p->context)
                diag_set_at(yp->d, yp->name, (unsigned)m.line + 1, (unsigned)m.column + 1,
                            "%s (%s)", problem, p->context);
        else
                diag_set_at(yp->d, yp->name, (unsigned)m.line + 1, (unsigned)m.column + 1,
                            "%s", problem);
}

static int
next_event(struct yparse *yp, yaml_event_t *ev)
{
        if (!yaml_parser_parse(&yp->parser, ev)) {
                yparse_error(yp);
                return -EINVAL;
        }
        return 0;
}

static void
error_at(struct yparse *yp, const yaml_mark_t *m, const char *msg)
{
        diag_set_at(yp->d, yp->name, (unsigned)m->line + 1, (unsigned)m->column + 1,
                    "%s", msg);
}

void
ynode_free(struct ynode *n)
{
        if (n == NULL)
                return;
        free(n->str);
        for (size_t i = 0; n->items && i < n->n; i++)
                ynode_free(n->items[i]);
        free(n->items);
        for (size_t i = 0; n->pairs && i < n->n; i++) {
                ynode_free(n->pairs[i].key);
                ynode_free(n->pairs[i].value);
        }
        free(n->pairs);
        free(n);
}

static struct ynode *
node_new(enum ynode_kind kind, const yaml_mark_t *m)
{
        struct ynode *n = xcalloc(1, sizeof *n);

        n->kind = kind;
        n->line = (unsigned)m->line + 1;
        n->col = (unsigned)m->column + 1;
        return n;
}

static int parse_node(struct yparse *yp, yaml_event_t *ev, int depth,
                      struct ynode **ret);

static int
parse_seq(struct yparse *yp, struct ynode *seq, int depth)
{
        size_t alloc = 0;

        for (;;) {
                yaml_event_t ev;
                struct ynode *item;
                int r;

                if ((r = next_event(yp, &ev)) < 0)
                        return r;
                if (ev.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&ev);
                        return 0;
                }
                if ((r = parse_node(yp, &ev, depth + 1, &item)) < 0)
                        return r;
                xgrow((void **)&seq->items, &alloc, seq->n + 1, sizeof *seq->items);
                seq->items[seq->n++] = item;
        }
}

/* Keys seen (key -> its line), indexed: no scan per key. */
static int
parse_map_pairs(struct yparse *yp, struct ynode *map, int depth, struct kvlist *seen)
{
        size_t alloc = 0;

        for (;;) {
                yaml_event_t ev;
                struct ynode *key, *value;
                const char *first;
                int r;

                if ((r = next_event(yp, &ev)) < 0)
                        return r;
                if (ev.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&ev);
                        return 0;
                }
                if (map->n >= YNODE_MAX_KEYS) {
                        /* TRANSLATORS: %u is the limit. */
                        diag_set_at(yp->d, yp->name, (unsigned)ev.start_mark.line + 1,
                                    (unsigned)ev.start_mark.column + 1,
                                    _("too many keys: a mapping may hold at most %u keys"),
                                    YNODE_MAX_KEYS);
                        yaml_event_delete(&ev);
                        return -EINVAL;
                }
                if (ev.type == YAML_SEQUENCE_START_EVENT ||
                    ev.type == YAML_MAPPING_START_EVENT) {
                        error_at(yp, &ev.start_mark,
                                 _("a key must be a plain string, not a list or mapping"));
                        yaml_event_delete(&ev);
                        return -EINVAL;
                }
                if ((r = parse_node(yp, &ev, depth + 1, &key)) < 0)
                        return r;
                first = kvlist_get(seen, key->str);
                if (first != NULL) {
                        /* TRANSLATORS: %s is a key, then a line number. */
                        diag_set_at(yp->d, yp->name, key->line, key->col,
                                    _("duplicate key \"%s\" (first given at line %s)"),
                                    key->str, first);
                        ynode_free(key);
                        return -EINVAL;
                }
                {
                        char line[16];

                        snprintf(line, sizeof line, "%u", key->line);
                        kvlist_set(seen, key->str, line);
                }
                if ((r = next_event(yp, &ev)) < 0) {
                        ynode_free(key);
                        return r;
                }
                if ((r = parse_node(yp, &ev, depth + 1, &value)) < 0) {
                        ynode_free(key);
                        return r;
                }
                xgrow((void **)&map->pairs, &alloc, map->n + 1, sizeof *map->pairs);
                map->pairs[map->n].key = key;
                map->pairs[map->n].value = value;
                map->n++;
        }
}

static int
parse_map(struct yparse *yp, struct ynode *map, int depth)
{
        struct kvlist seen = {0};
        int r = parse_map_pairs(yp, map, depth, &seen);

        kvlist_release(&seen);
        return r;
}

/* Build the node that starts with ev (which this function deletes). */
static int
parse_node(struct yparse *yp, yaml_event_t *ev, int depth, struct ynode **ret)
{
        struct ynode *n = NULL;
        int r = 0;

        if (depth > YNODE_MAX_DEPTH) {
                error_at(yp, &ev->start_mark, _("the document is nested too deeply"));
                yaml_event_delete(ev);
                return -EINVAL;
        }
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                if (ev->data.scalar.length > YNODE_MAX_SCALAR) {
                        /* TRANSLATORS: a size in bytes, then the limit. */
                        diag_set_at(yp->d, yp->name, (unsigned)ev->start_mark.line + 1,
                                    (unsigned)ev->start_mark.column + 1,
                                    _("a value of %zu bytes is longer than the %u a value may hold"),
                                    ev->data.scalar.length, YNODE_MAX_SCALAR);
                        r = -EINVAL;
                        break;
                }
                n = node_new(YNODE_SCALAR, &ev->start_mark);
                n->len = ev->data.scalar.length;
                n->str = xstrndup((const char *)ev->data.scalar.value, n->len);
                n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
                break;
        case YAML_SEQUENCE_START_EVENT:
                n = node_new(YNODE_SEQ, &ev->start_mark);
                r = parse_seq(yp, n, depth);
                break;
        case YAML_MAPPING_START_EVENT:
                n = node_new(YNODE_MAP, &ev->start_mark);
                r = parse_map(yp, n, depth);
                break;
        case YAML_ALIAS_EVENT:
                error_at(yp, &ev->start_mark, _("aliases are not supported"));
                r = -EINVAL;
                break;
        default:
                error_at(yp, &ev->start_mark, _("unexpected YAML event"));
                r = -EINVAL;
                break;
        }
        yaml_event_delete(ev);
        if (r < 0) {
                ynode_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

static int
parse_stream(struct yparse *yp, struct ynode **ret)
{
        yaml_event_t ev;
        struct ynode *root = NULL;
        int r;

        if ((r = next_event(yp, &ev)) < 0)
                return r;
        yaml_event_delete(&ev);                 /* STREAM-START */
        if ((r = next_event(yp, &ev)) < 0)
                return r;
        if (ev.type == YAML_STREAM_END_EVENT) {
                yaml_event_delete(&ev);
                *ret = NULL;
                return 0;
        }
        yaml_event_delete(&ev);                 /* DOCUMENT-START */
        if ((r = next_event(yp, &ev)) < 0)
                return r;
        if ((r = parse_node(yp, &ev, 0, &root)) < 0)
                return r;
        if ((r = next_event(yp, &ev)) < 0)      /* DOCUMENT-END */
                goto fail;
        yaml_event_delete(&ev);
        if ((r = next_event(yp, &ev)) < 0)
                goto fail;
        if (ev.type != YAML_STREAM_END_EVENT) {
                error_at(yp, &ev.start_mark,
                         _("only one YAML document is allowed (remove the second \"---\")"));
                yaml_event_delete(&ev);
                r = -EINVAL;
                goto fail;
        }
        yaml_event_delete(&ev);
        *ret = root;
        return 0;
fail:
        ynode_free(root);
        return r;
}

int
ynode_parse_string(const char *name, const char *text, size_t len,
                   struct ynode **ret, struct diag *d)
{
        struct yparse yp = { .name = name, .text = text, .len = len, .d = d };
        int r;

        if (!yaml_parser_initialize(&yp.parser)) {
                diag_set(d, _("cannot parse \"%s\": out of memory"), name);
                return -ENOMEM;
        }
        yaml_parser_set_input_string(&yp.parser, (const unsigned char *)text, len);
        r = parse_stream(&yp, ret);
        yaml_parser_delete(&yp.parser);
        return r;
}

/* Read at most YNODE_MAX_FILE bytes of path (a FIFO or a growing file
 * too): -EFBIG past them. */
static int
read_bounded(const char *path, char **ret_buf, size_t *ret_len, struct diag *d)
{
        struct strbuf sb = {0};
        char chunk[65536];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        int r = 0;

        if (fd < 0) {
                r = -errno;
                diag_set(d, _("cannot open \"%s\": %s"), path, strerror(-r));
                return r;
        }
        strbuf_adds(&sb, "");
        while (sb.len <= YNODE_MAX_FILE) {
                ssize_t n = read(fd, chunk, sizeof chunk);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        diag_set(d, _("cannot read \"%s\": %s"), path, strerror(-r));
                }
                if (n <= 0)
                        break;
                strbuf_add(&sb, chunk, (size_t)n);
        }
        close(fd);
        if (r == 0 && sb.len > YNODE_MAX_FILE) {
                /* TRANSLATORS: a file; keep "4 MiB" as it is in the limit. */
                diag_set(d, _("\"%s\" is larger than the 4 MiB a plan or answers file may hold"),
                         path);
                r = -EFBIG;
        }
        if (r < 0) {
                strbuf_release(&sb);
                return r;
        }
        *ret_len = sb.len;
        *ret_buf = strbuf_detach(&sb);
        return 0;
}

int
ynode_parse_file(const char *path, struct ynode **ret, struct diag *d)
{
        char *buf = NULL;
        size_t len = 0;
        int r;

        if ((r = read_bounded(path, &buf, &len, d)) < 0)
                return r;
        r = ynode_parse_string(path, buf, len, ret, d);
        free(buf);
        return r;
}

bool
ynode_is_null(const struct ynode *n)
{
        static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

        if (n == NULL)
                return true;
        if (n->kind != YNODE_SCALAR || !n->plain)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
                if (strcmp(n->str, nulls[i]) == 0)
                        return true;
        return false;
}

const struct ynode_pair *
ynode_get_pair(const struct ynode *n, const char *key)
{
        if (n == NULL || n->kind != YNODE_MAP)
                return NULL;
        for (size_t i = 0; i < n->n; i++)
                if (strcmp(n->pairs[i].key->str, key) == 0)
                        return &n->pairs[i];
        return NULL;
}

struct ynode *
ynode_get(const struct ynode *n, const char *key)
{
        const struct ynode_pair *p = ynode_get_pair(n, key);

        return p ? p->value : NULL;
}

int
ynode_bool(const struct ynode *n, bool *ret)
{
        static const struct {
                const char *text;
                bool        value;
        } words[] = {
                { "true", true }, { "True", true }, { "TRUE", true },
                { "yes", true }, { "Yes", true }, { "YES", true },
                { "on", true }, { "On", true }, { "ON", true },
                { "false", false }, { "False", false }, { "FALSE", false },
                { "no", false }, { "No", false }, { "NO", false },
                { "off", false }, { "Off", false }, { "OFF", false },
        };

        if (n == NULL || n->kind != YNODE_SCALAR || !n->plain)
                return -1;
        for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
                if (strcmp(n->str, words[i].text) == 0) {
                        *ret = words[i].value;
                        return 0;
                }
        }
        return -1;
}

const char *
ynode_kind_text(const struct ynode *n)
{
        if (n == NULL || ynode_is_null(n))
                return _("nothing");
        switch (n->kind) {
        case YNODE_SCALAR:
                return _("a scalar");
        case YNODE_SEQ:
                return _("a list");
        case YNODE_MAP:
                return _("a mapping");
        }
        return "?";
}
