/* archive_hasher.c: hashing members on a thread of their own, for backup
 * (archive.c) and verify (archive_verify.c).
 *
 * The caller puts the members' data, one after the other, into a ring of
 * HASHER_SLOTS buffers and marks where each member ends; a full buffer
 * (which may hold many small members, or part of a big one) is handed to
 * the hasher thread, which hashes it with one reused SHA-256 context. So
 * the handing over costs a lock per buffer, not per member. The first
 * buffer is hashed where it is handed over, and the thread started only
 * for a second one: a backup of a few files (the delta of a cold backup,
 * inside the downtime) waits on no other thread. When the thread cannot be
 * started, each buffer is hashed where it is handed over.
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/archive_int.h"
#include "lib/util.h"

/* hasher_room() hands a buffer over rather than give less room than this. */
#define MIN_ROOM (64 * 1024)

static void
hash_slot(struct hasher *h, struct hslot *s)
{
        size_t pos = 0;

        for (size_t i = 0; i < s->nends; i++) {
                char hex[SHA256_HEX_LEN + 1];
                size_t at = h->manifest.len;

                sha256_update(h->c, s->buf + pos, s->ends[i] - pos);
                pos = s->ends[i];
                if (s->names[i] == NULL) {
                        xgrow((void **)&h->hex, &h->hex_alloc, h->nhex + 1, sizeof *h->hex);
                        sha256_final_reset(h->c, h->hex[h->nhex++]);
                        continue;
                }
                sha256_final_reset(h->c, hex);
                manifest_add_line(&h->manifest, hex, s->names[i]);
                sha256_update(h->mc, h->manifest.buf + at, h->manifest.len - at);
                free(s->names[i]);
                s->names[i] = NULL;
        }
        sha256_update(h->c, s->buf + pos, s->len - pos);
}

static void *
hasher_main(void *ud)
{
        struct hasher *h = ud;

        pthread_mutex_lock(&h->mu);
        for (;;) {
                struct hslot *s;

                while (h->full == 0 && !h->stop)
                        pthread_cond_wait(&h->cond, &h->mu);
                if (h->full == 0)
                        break;
                s = &h->slots[h->tail];
                pthread_mutex_unlock(&h->mu);
                hash_slot(h, s);
                pthread_mutex_lock(&h->mu);
                h->tail = (h->tail + 1) % HASHER_SLOTS;
                h->full--;
                pthread_cond_broadcast(&h->cond);
        }
        pthread_mutex_unlock(&h->mu);
        return NULL;
}

void
hasher_start(struct hasher *h)
{
        memset(h, 0, sizeof *h);
        for (size_t i = 0; i < HASHER_SLOTS; i++)
                h->slots[i].buf = xmalloc(HASHER_SLOT_SIZE);
        h->c = sha256_new();
        h->mc = sha256_new();
        pthread_mutex_init(&h->mu, NULL);
        pthread_cond_init(&h->cond, NULL);
}

/* Hand the slot being filled over (or hash it here without a thread) and
 * start on the next one. */
static void
hasher_push(struct hasher *h)
{
        struct hslot *s = &h->slots[h->head];

        if (!h->threaded && h->pushed++ == 1)
                h->threaded = pthread_create(&h->thread, NULL, hasher_main, h) == 0;
        if (!h->threaded) {
                hash_slot(h, s);
                s->len = 0;
                s->nends = 0;
                return;
        }
        pthread_mutex_lock(&h->mu);
        h->head = (h->head + 1) % HASHER_SLOTS;
        h->full++;
        pthread_cond_broadcast(&h->cond);
        while (h->full == HASHER_SLOTS)
                pthread_cond_wait(&h->cond, &h->mu);
        h->slots[h->head].len = 0;
        h->slots[h->head].nends = 0;
        pthread_mutex_unlock(&h->mu);
}

char *
hasher_room(struct hasher *h, size_t *ret_len)
{
        struct hslot *s = &h->slots[h->head];

        if (HASHER_SLOT_SIZE - s->len < MIN_ROOM) {
                hasher_push(h);
                s = &h->slots[h->head];
        }
        *ret_len = HASHER_SLOT_SIZE - s->len;
        return s->buf + s->len;
}

void
hasher_commit(struct hasher *h, size_t n)
{
        struct hslot *s = &h->slots[h->head];

        s->len += n;
        if (s->len == HASHER_SLOT_SIZE)
                hasher_push(h);
}

void
hasher_add(struct hasher *h, const void *data, size_t len)
{
        while (len > 0) {
                size_t room;
                char *p = hasher_room(h, &room);
                size_t n = room < len ? room : len;

                if (data != NULL) {
                        memcpy(p, data, n);
                        data = (const char *)data + n;
                } else {
                        memset(p, 0, n);
                }
                hasher_commit(h, n);
                len -= n;
        }
}

void
hasher_end(struct hasher *h, char *name)
{
        struct hslot *s = &h->slots[h->head];

        xgrow((void **)&s->ends, &s->ends_alloc, s->nends + 1, sizeof *s->ends);
        xgrow((void **)&s->names, &s->names_alloc, s->nends + 1, sizeof *s->names);
        s->names[s->nends] = name;
        s->ends[s->nends++] = s->len;
}

void
hasher_finish(struct hasher *h)
{
        char junk[SHA256_HEX_LEN + 1];
        struct hslot *s = &h->slots[h->head];

        if (s->len > 0 || s->nends > 0)
                hasher_push(h);
        if (h->threaded) {
                pthread_mutex_lock(&h->mu);
                h->stop = true;
                pthread_cond_broadcast(&h->cond);
                pthread_mutex_unlock(&h->mu);
                pthread_join(h->thread, NULL);
        }
        sha256_final_hex(h->c, junk);
        h->c = NULL;
        sha256_final_hex(h->mc, h->manifest_sha256);
        h->mc = NULL;
        for (size_t i = 0; i < HASHER_SLOTS; i++) {
                free(h->slots[i].buf);
                free(h->slots[i].ends);
                free(h->slots[i].names);
        }
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cond);
}
