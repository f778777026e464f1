/* kvlist.h: an ordered list of key/value strings with an index.
 *
 * The pairs stay in v[0..n) in the order their keys were first set
 * (iterate v directly: the journal encodes records in that order, and the
 * report lists facts in it). A later set of a key replaces its value in
 * place. Lookups are by hash once the list holds more than a few keys, so
 * the fact store of a large swap (thousands of keys) is not a linear scan.
 *
 * Ownership: kvlist_set() copies key and value; the strings in v belong to
 * the list and go with kvlist_release(). A zeroed struct is an empty list.
 * Code that reorders v itself must use kvlist_move() (or rebuild the index
 * with kvlist_reindex()); code may build a list of borrowed strings by hand
 * for iteration only (it then frees v, never calls kvlist_release()).
 */
#ifndef UPSHIFT_KVLIST_H
#define UPSHIFT_KVLIST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct kv {
        char *key;
        char *value;
};

struct kvlist {
        struct kv *v;
        size_t     n;
        size_t     alloc;
        /* Open-addressing hash of the keys: slot holds position + 1, 0 is
         * empty; NULL while the list is short (looked up by scanning). */
        size_t    *idx;
        size_t     idx_cap;     /* a power of two, or 0 */
};

void        kvlist_set(struct kvlist *l, const char *key, const char *value);
/* kvlist_set with a printf-formatted value, for setters taking "...". */
void        kvlist_vsetf(struct kvlist *l, const char *key, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
const char *kvlist_get(const struct kvlist *l, const char *key); /* NULL if absent */
/* Position of key in v, or SIZE_MAX when absent. */
size_t      kvlist_find(const struct kvlist *l, const char *key);
/* Move key (when present at or after position to) to position to, keeping
 * the order of the others. */
void        kvlist_move(struct kvlist *l, const char *key, size_t to);
/* Rebuild the index after v was changed by hand. */
void        kvlist_reindex(struct kvlist *l);
void        kvlist_release(struct kvlist *l);

#endif
