/* kvlist.c: an ordered key/value list with an open-addressing hash index. */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kvlist.h"
#include "lib/util.h"

/* Below this many keys a scan is as fast as hashing. */
#define KVLIST_INDEX_MIN 16

/* FNV-1a, 64 bits. */
static uint64_t
hash_key(const char *s)
{
        uint64_t h = UINT64_C(14695981039346656037);

        for (; *s != '\0'; s++) {
                h ^= (unsigned char)*s;
                h *= UINT64_C(1099511628211);
        }
        return h;
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t
slot_of(const struct kvlist *l, const char *key)
{
        size_t mask = l->idx_cap - 1;
        size_t s = (size_t)hash_key(key) & mask;

        while (l->idx[s] != 0 && strcmp(l->v[l->idx[s] - 1].key, key) != 0)
                s = (s + 1) & mask;
        return s;
}

void
kvlist_reindex(struct kvlist *l)
{
        size_t cap = KVLIST_INDEX_MIN * 2;

        free(l->idx);
        l->idx = NULL;
        l->idx_cap = 0;
        if (l->n < KVLIST_INDEX_MIN)
                return;
        /* At most half full, so probes stay short. */
        while (cap < l->n * 2 + 2)
                cap *= 2;
        l->idx = xcalloc(cap, sizeof *l->idx);
        l->idx_cap = cap;
        for (size_t i = 0; i < l->n; i++) {
                size_t s = slot_of(l, l->v[i].key);

                if (l->idx[s] == 0)     /* a duplicate put in by hand: the first wins */
                        l->idx[s] = i + 1;
        }
}

size_t
kvlist_find(const struct kvlist *l, const char *key)
{
        if (l->idx != NULL) {
                size_t s = slot_of(l, key);

                return l->idx[s] != 0 ? l->idx[s] - 1 : SIZE_MAX;
        }
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].key, key) == 0)
                        return i;
        return SIZE_MAX;
}

void
kvlist_set(struct kvlist *l, const char *key, const char *value)
{
        size_t i = kvlist_find(l, key);

        if (i != SIZE_MAX) {
                char *v = xstrdup(value);

                free(l->v[i].value);
                l->v[i].value = v;
                return;
        }
        xgrow((void **)&l->v, &l->alloc, l->n + 1, sizeof *l->v);
        l->v[l->n].key = xstrdup(key);
        l->v[l->n].value = xstrdup(value);
        l->n++;
        if (l->idx == NULL ? l->n >= KVLIST_INDEX_MIN : l->n * 2 + 2 > l->idx_cap)
                kvlist_reindex(l);
        else if (l->idx != NULL)
                l->idx[slot_of(l, key)] = l->n;
}

void
kvlist_vsetf(struct kvlist *l, const char *key, const char *fmt, va_list ap)
{
        char *v = xvasprintf(fmt, ap);

        kvlist_set(l, key, v);
        free(v);
}

const char *
kvlist_get(const struct kvlist *l, const char *key)
{
        size_t i = kvlist_find(l, key);

        return i != SIZE_MAX ? l->v[i].value : NULL;
}

void
kvlist_move(struct kvlist *l, const char *key, size_t to)
{
        size_t i = kvlist_find(l, key);
        struct kv kv;

        if (i == SIZE_MAX || i < to || i == to)
                return;
        kv = l->v[i];
        memmove(&l->v[to + 1], &l->v[to], (i - to) * sizeof kv);
        l->v[to] = kv;
        if (l->idx != NULL)
                kvlist_reindex(l);
}

void
kvlist_release(struct kvlist *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].key);
                free(l->v[i].value);
        }
        free(l->v);
        free(l->idx);
        memset(l, 0, sizeof *l);
}
