/* fuzz-journal.c: libFuzzer target for journal records (lib/journal_codec.c).
 *
 * In memory only: no journal file, no fsync. Each line of the input is
 * decoded twice, as it is (the checksum almost never matches) and behind
 * its own correct checksum, so the mapping parser sees every line. A
 * record that decodes must encode to a line that decodes to the same
 * record (journal.h: any string round-trips).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "lib/journal.h"
#include "lib/util.h"
#include "tests/fuzz/fuzz.h"

static void
roundtrip(const struct jrec *r)
{
        struct diag d = {0};
        struct jrec back = {0};
        char *line = journal_encode(r);

        if (journal_decode(line, strlen(line), &back, &d) < 0) {
                fprintf(stderr, "re-encoded record does not decode: %s\n%s\n", d.msg, line);
                abort();
        }
        fuzz_same_kv(&r->kv, &back.kv, "a journal record");
        jrec_release(&back);
        free(line);
}

static void
decode(const char *line, size_t len)
{
        struct diag d = {0};
        struct jrec r = {0};

        if (journal_decode(line, len, &r, &d) == 0) {
                roundtrip(&r);
                jrec_release(&r);
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
                /* Behind a correct checksum; if it already had one, that goes too. */
                const char *body = len > 9 && p[8] == ' ' ? p + 9 : p;
                size_t blen = len - (size_t)(body - p);
                char *fixed = xmalloc(blen + 10);

                decode(p, len);
                snprintf(fixed, 10, "%08lx ",
                         crc32(0L, (const Bytef *)body, (uInt)blen));
                memcpy(fixed + 9, body, blen);
                decode(fixed, blen + 9);
                free(fixed);
                p += len + 1;
        }
        return 0;
}
