/* fuzz.h: what the libFuzzer targets of tests/fuzz/ share.
 *
 * The plan and answers loaders read a path, so a target writes its input
 * into a memfd (memory, no disk, no fsync) and passes /proc/self/fd/N.
 * FUZZ_DATA is tests/data/ of the source tree (set by mk/fuzz.am).
 */
#ifndef UPSHIFT_FUZZ_H
#define UPSHIFT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct kvlist;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replace the memfd's contents with data; returns its /proc path
 * (static storage). Aborts when the memfd cannot be made or written. */
const char *fuzz_memfd(const uint8_t *data, size_t size);

/* Abort, naming what, unless a and b hold the same keys and values in the
 * same order (a record or message decoded again after its encoding). */
void fuzz_same_kv(const struct kvlist *a, const struct kvlist *b, const char *what);

#endif
