/* staging_stamp.c: detect's stamps of each entry's old target and new file
 * (staged.N.old, staged.N.new_stamp), and the swap's hash that trusts them
 * (steps/staging.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Hash and stamp every old target that is a file or a symlink; one that
 * cannot be read is left to the swap, as one without a stamp. */
void
staging_stamp_olds(struct step_ctx *ctx, const struct strv *targets)
{
        for (size_t i = 0; i < targets->n; i++) {
                char hex[SHA256_HEX_LEN + 1];
                struct stamp s;

                if (stamp_path(targets->v[i], &s) < 0 || !(S_ISREG(s.mode) || S_ISLNK(s.mode)))
                        continue;
                if (staging_hash(ctx, targets->v[i], hex) == 0)
                        staged_stamp_queue(ctx, i, STAGED_OLD, &s, hex);
                diag_clear(ctx->diag);
        }
}
