/* journal.h: the append-only journal of a plan instance.
 *
 * One record per line: "<crc32 hex, 8 digits> <one-line YAML flow mapping>\n",
 * for example
 *     1a2b3c4d {seq: 3, time: "2026-11-22T03:04:05Z", ev: step_start, step: backup}
 * The CRC (zlib crc32) covers the mapping text after the space, without the
 * newline. Values are written as YAML double-quoted scalars when they need
 * it (JSON-compatible escapes), so any string round-trips, newlines included.
 * The first record is the header {ev: journal, format: 1, ...}; a journal
 * whose format is newer than JOURNAL_FORMAT is refused.
 *
 * journal_append() writes and fsyncs the record before it returns: whoever
 * relies on the state it announces may do so afterwards; journal_append_many()
 * does the same for a batch of records with one write and one sync.
 */
#ifndef UPSHIFT_JOURNAL_H
#define UPSHIFT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/diag.h"
#include "lib/util.h"

#define JOURNAL_FORMAT 1

/* A record: an ordered list of key/value strings. */
struct jrec {
        struct kvlist kv;
};
void        jrec_set(struct jrec *r, const char *key, const char *value);
void        jrec_setf(struct jrec *r, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
const char *jrec_get(const struct jrec *r, const char *key);
void        jrec_release(struct jrec *r);

/* Encode a record as its line without newline ("<crc> {...}"); new string. */
char *journal_encode(const struct jrec *r);
/* Decode one line (without newline). Returns 0; -EBADMSG when the CRC does
 * not match or the text is not a flat one-line mapping. */
int   journal_decode(const char *line, size_t len, struct jrec *ret, struct diag *d);

struct journal;

/* Open DIR/journal for appending, creating it (0600, O_NOFOLLOW) with a
 * header record when absent; the directory is fsynced after creation.
 * plan_id goes into the header. */
int  journal_open(const char *dir, const char *plan_id, struct journal **ret,
                  struct diag *d);
/* Add "seq" and "time" to r, write it, fsync. Returns 0 or -errno. */
int  journal_append(struct journal *j, struct jrec *r, struct diag *d);
/* Group commit: the n records of rs, in order, in one write and one
 * fdatasync (consecutive seq numbers). All of them are written, or (on an
 * error) none is: a partial write is cut off again. After a crash, replay
 * may find a prefix of the batch (the tail torn off like any torn record):
 * write the records of a batch before what they name, as for one record. */
int  journal_append_many(struct journal *j, struct jrec *rs, size_t n, struct diag *d);
void journal_close(struct journal *j);

/* What replay found past the last good record. */
struct journal_damage {
        bool   damaged;
        size_t good_records;            /* records replayed */
        size_t bad_offset;              /* byte offset of the first bad record */
        char  *kept_copy;               /* where the damaged tail was copied, or NULL */
};

/* Read DIR/journal. *ret is a new array of *ret_n records (the header
 * included), in order. A missing journal gives 0 records and returns 0.
 * Replay stops at the first torn or CRC-failing line; when repair is true
 * the bytes from there to the end are first copied to
 * DIR/journal.damaged-<unix time> (0600) and the journal is truncated to its
 * good prefix, so appends go on from a clean end. A header with a newer format
 * is refused with -EPROTONOSUPPORT. */
int  journal_replay(const char *dir, bool repair, struct jrec **ret, size_t *ret_n,
                    struct journal_damage *ret_damage, struct diag *d);
void journal_records_free(struct jrec *v, size_t n);

#endif
