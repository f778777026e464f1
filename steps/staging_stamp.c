/* staging_stamp.c: detect's stamps of each entry's old target and new file
 * (staged.N.old, staged.N.new_stamp), the read-back that takes them, the
 * wait for them to settle, and the swap's hash that trusts them
 * (steps/staging.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/stamp.h"
#include "lib/util.h"
#include "steps/staging.h"

void
staged_stamp_queue(struct step_ctx *ctx, size_t i, enum staged_side side,
                   const struct stamp *s, const char *hex)
{
        char text[STAMP_TEXT_MAX], *v;

        stamp_format(s, text);
        if (side == STAGED_NEW) {
                staged_set(ctx, i, "new_stamp", text);
                return;
        }
        v = xasprintf("%s %s", hex, text);
        staged_set(ctx, i, "old", v);
        free(v);
}

/* Detect's stamp of entry i's target or new file, and the hash it vouches
 * for. False when there is none (or it does not parse). */
static bool
staged_stamp_load(struct step_ctx *ctx, size_t i, enum staged_side side, struct stamp *ret,
                  char hex[SHA256_HEX_LEN + 1])
{
        const char *v = staged_get(ctx, i, side == STAGED_NEW ? "new_stamp" : "old");
        const char *h = side == STAGED_NEW ? staged_get(ctx, i, "sha256") : v;

        if (v == NULL || h == NULL || strlen(h) < SHA256_HEX_LEN ||
            strspn(h, "0123456789abcdef") != SHA256_HEX_LEN)
                return false;
        if (side == STAGED_OLD) {
                if (v[SHA256_HEX_LEN] != ' ')
                        return false;
                v += SHA256_HEX_LEN + 1;
        } else if (h[SHA256_HEX_LEN] != '\0') {
                return false;
        }
        memcpy(hex, h, SHA256_HEX_LEN);
        hex[SHA256_HEX_LEN] = '\0';
        return stamp_parse(v, ret) == 0;
}

int
staging_hash_stamped(struct step_ctx *ctx, size_t i, enum staged_side side, const char *path,
                     char hex[SHA256_HEX_LEN + 1])
{
        char known[SHA256_HEX_LEN + 1];
        struct stamp s;

        if (staged_stamp_load(ctx, i, side, &s, known) && stamp_unchanged(&s, path)) {
                memcpy(hex, known, sizeof known);
                return 0;
        }
        return staging_hash(ctx, path, hex);
}

int
staging_check_new(struct step_ctx *ctx, const struct staged_entry *e, const char *new,
            struct stamp *ret_stamp)
{
        char now[SHA256_HEX_LEN + 1] = "";
        struct stamp s = {0};
        int h;

        if (ret_stamp)
                stamp_path(new, &s);    /* on failure, all 0: never settled */
        h = staging_hash(ctx, new, now);
        if (h == 1)
                diag_set(ctx->diag, _("the staged copy \"%s\" is gone: run detect again"), new);
        if (h != 0)
                return STEP_FAILED;
        if (strcmp(now, e->sha256) != 0) {
                diag_set(ctx->diag, _("the staged copy of \"%s\" changed: SHA-256 is %s, expected %s"),
                         e->member, now, e->sha256);
                unlink(new);
                return STEP_FAILED;
        }
        if (ret_stamp)
                *ret_stamp = s;
        return 0;
}

void
staging_stamp_olds(struct step_ctx *ctx, const struct strv *targets, bool *ret_same)
{
        for (size_t i = 0; i < targets->n; i++) {
                char hex[SHA256_HEX_LEN + 1];
                struct staged_entry e;
                struct stamp s;

                ret_same[i] = false;
                if (stamp_path(targets->v[i], &s) < 0 || !(S_ISREG(s.mode) || S_ISLNK(s.mode)))
                        continue;
                if (staging_hash(ctx, targets->v[i], hex) == 0) {
                        staged_stamp_queue(ctx, i, STAGED_OLD, &s, hex);
                        /* A later hop's targets change before its swap. */
                        ret_same[i] = step_hop(ctx) == 1 && staged_load(ctx, i, &e) == 0 &&
                                      strcmp(hex, e.sha256) == 0;
                }
                diag_clear(ctx->diag);
        }
}

/* Below this many bytes, the files written are read again in the swap in a
 * few milliseconds: not worth waiting in detect for their stamps to settle. */
#define SETTLE_MIN_BYTES (4u << 20)

void
staging_settle(struct step_ctx *ctx, const struct strv *paths, int64_t written_ns)
{
        uint64_t bytes = 0;
        int64_t left, racy = STAMP_RACY_NS;
        struct stamp s;

        for (size_t i = 0; i < paths->n && bytes < SETTLE_MIN_BYTES; i++)
                if (stamp_path(paths->v[i], &s) == 0) {
                        bytes += s.size;
                        racy = stamp_racy_ns(&s);       /* the filesystem's tick */
                }
        /* A file's ctime is at most the clock read after it was written:
         * once the filesystem's tick (and a margin) has passed since then,
         * a stamp taken is settled. */
        left = written_ns + racy + 10000000LL - stamp_clock_ns();
        if (bytes >= SETTLE_MIN_BYTES && left > 0)
                step_sleep(ctx, (long)(left / 1000000) + 1);
}
