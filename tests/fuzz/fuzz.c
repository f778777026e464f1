/* fuzz.c: what the targets share (fuzz.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "tests/fuzz/fuzz.h"

const char *
fuzz_memfd(const uint8_t *data, size_t size)
{
        static int fd = -1;
        static char path[64];

        if (fd < 0) {
                fd = memfd_create("fuzz-input", MFD_CLOEXEC);
                if (fd < 0) {
                        perror("memfd_create");
                        abort();
                }
                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                /* Private, as an answers file holding a secret must be. */
                if (fchmod(fd, 0600) < 0) {
                        perror("fchmod");
                        abort();
                }
        }
        if (ftruncate(fd, 0) < 0 ||
            (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
                perror("fuzz input");
                abort();
        }
        return path;
}

void
fuzz_same_kv(const struct kvlist *a, const struct kvlist *b, const char *what)
{
        bool same = a->n == b->n;

        for (size_t i = 0; same && i < a->n; i++)
                same = strcmp(a->v[i].key, b->v[i].key) == 0 &&
                       strcmp(a->v[i].value, b->v[i].value) == 0;
        if (!same) {
                fprintf(stderr, "%s changed in a round trip\n", what);
                abort();
        }
}
