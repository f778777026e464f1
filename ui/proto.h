/* proto.h: the framing of the protocol between the engine's worker and the
 * wizard.
 *
 * The worker (ui/remote.c) runs the engine and sends what the frontend is
 * told: step states, log lines, progress, questions, confirmations,
 * failures, the report. The wizard (ui/tui*.c) draws them and sends the
 * replies back. doc/protocol.md ("The worker protocol") lists every message;
 * ui/proto_msg.h types them (a struct and an encode/decode pair each), on
 * top of the generic message below.
 *
 * A message is one line of text:
 *
 *     TYPE KEY=VALUE KEY=VALUE ...\n
 *
 * TYPE and KEY are made of [a-z0-9_.]; VALUE is any byte string, escaped:
 * "\\" for a backslash, "\s" a space, "\n" "\t" "\r", and "\xHH" for any
 * other byte below 0x20 and 0x7f. A key that is absent is a NULL value; an
 * empty value is written "KEY=". Unknown types and keys are ignored, so
 * that a newer side can add some; the first message each way is
 * "hello v=PROTO_VERSION", and a side that gets another version stops.
 * A line is at most PROTO_MAX_LINE bytes.
 */
#ifndef UPSHIFT_PROTO_H
#define UPSHIFT_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/frontend.h"
#include "lib/diag.h"
#include "lib/util.h"

#define PROTO_VERSION   2
#define PROTO_MAX_LINE  (1u << 20)

struct proto_msg {
        char          *type;
        struct kvlist  kv;              /* decoded values, in the order sent */
};

/* Set up m (caller-owned) as an empty message of that type. */
void        proto_init(struct proto_msg *m, const char *type);
/* Free what m holds; m can be initialised again. */
void        proto_release(struct proto_msg *m);
/* Set a field (copied); a NULL value leaves the key out. */
void        proto_set(struct proto_msg *m, const char *key, const char *value);
void        proto_setf(struct proto_msg *m, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void        proto_set_int(struct proto_msg *m, const char *key, long long v);
/* The value of key, or NULL when absent. */
const char *proto_get(const struct proto_msg *m, const char *key);
/* The value as an integer, or def when absent or not a number. */
long long   proto_get_int(const struct proto_msg *m, const char *key, long long def);
/* True when m is of that type. */
bool        proto_is(const struct proto_msg *m, const char *type);

/* Append m, encoded, with its newline, to sb. */
void        proto_encode(const struct proto_msg *m, struct strbuf *sb);
/* Decode one line (len bytes, without its newline) into *ret (which must
 * not hold a message). Returns 0, or -EBADMSG with the reason in d. */
int         proto_decode(const char *line, size_t len, struct proto_msg *ret,
                         struct diag *d);

/* Escape one value into sb, and back (the unescaped value is new). */
void        proto_escape(struct strbuf *sb, const char *s, size_t len);
int         proto_unescape(const char *s, size_t len, char **ret, size_t *ret_len);

/* Names of the frontend's enums in messages ("running", "stdout"), and
 * back (-1 when unknown). */
const char *proto_status_name(enum step_status st);
int         proto_status_from_name(const char *s);
const char *proto_kind_name(enum out_kind k);
int         proto_kind_from_name(const char *s);

/* Reading messages from a non-blocking descriptor. */
struct proto_reader {
        struct strbuf buf;
        size_t        off;              /* start of the first unread line */
};

/* Read what fd has. Returns the number of bytes read, 0 at end of file,
 * -EAGAIN when nothing is there, or -errno. */
int  proto_read(struct proto_reader *r, int fd);
/* The next whole line as a message: 1 with *ret filled (release it), 0
 * when no whole line is there yet, -EBADMSG (the line is dropped; d says
 * why) or -EMSGSIZE when a line is longer than PROTO_MAX_LINE. */
int  proto_next(struct proto_reader *r, struct proto_msg *ret, struct diag *d);
void proto_reader_release(struct proto_reader *r);

#endif
