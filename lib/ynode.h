/* ynode.h: a YAML document as a small tree of nodes.
 *
 * ynode_parse_file() reads one YAML document with libyaml's event API into a
 * tree of scalars, sequences and mappings. Every node keeps the position where
 * it starts (1-based line and column) so that callers can report
 * "FILE:LINE:COL: message". Mappings keep their keys in file order; a key
 * given twice is an error. Aliases are refused, keys must be scalars, and a
 * stream must hold at most one document.
 *
 * The tree is owned by the caller and released with ynode_free().
 */
#ifndef UPSHIFT_YNODE_H
#define UPSHIFT_YNODE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/diag.h"

enum ynode_kind {
        YNODE_SCALAR,
        YNODE_SEQ,
        YNODE_MAP,
};

struct ynode;

struct ynode_pair {
        struct ynode *key;              /* always a scalar */
        struct ynode *value;
};

struct ynode {
        enum ynode_kind kind;
        unsigned        line;           /* 1-based */
        unsigned        col;            /* 1-based */
        /* YNODE_SCALAR */
        char           *str;            /* the text, NUL-terminated */
        size_t          len;
        bool            plain;          /* unquoted (plain style) */
        /* YNODE_SEQ: items; YNODE_MAP: pairs. n counts either. */
        struct ynode      **items;
        struct ynode_pair  *pairs;
        size_t              n;
};

/* What a plan or answers file may hold: a whole file of more than
 * YNODE_MAX_FILE bytes is refused before it is parsed (-EFBIG), a value
 * longer than YNODE_MAX_SCALAR and a mapping of more than YNODE_MAX_KEYS
 * keys at their position (-EINVAL). Duplicate keys are found by hash. */
#define YNODE_MAX_FILE   (4u << 20)
#define YNODE_MAX_SCALAR 65536u
#define YNODE_MAX_KEYS   10000u

/* Parse the file at path. On success *ret is the document's root node, or
 * NULL when the file holds no document (empty or only comments); 0 is
 * returned. On error returns -EINVAL (or -errno when the file cannot be read)
 * with "PATH:LINE:COL: problem (context)" in d. */
int  ynode_parse_file(const char *path, struct ynode **ret, struct diag *d);

/* Same for text in memory; name is used in messages in place of a path. */
int  ynode_parse_string(const char *name, const char *text, size_t len,
                        struct ynode **ret, struct diag *d);

void ynode_free(struct ynode *n);

/* True for a plain scalar "", "~", "null", "Null" or "NULL" (YAML null); a
 * quoted "null" is a string. NULL counts as null too. */
bool ynode_is_null(const struct ynode *n);

/* The value for key in a mapping, or NULL (also when n is not a mapping). */
struct ynode *ynode_get(const struct ynode *n, const char *key);

/* The pair for key in a mapping, or NULL. */
const struct ynode_pair *ynode_get_pair(const struct ynode *n, const char *key);

/* A plain scalar that is a YAML boolean: true/false, yes/no, on/off in
 * lower, capitalised or upper case. Returns 0 and sets *ret, or -1. */
int  ynode_bool(const struct ynode *n, bool *ret);

/* "a scalar", "a list" or "a mapping", for messages (translated). */
const char *ynode_kind_text(const struct ynode *n);

#endif
