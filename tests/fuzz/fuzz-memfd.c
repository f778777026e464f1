/* fuzz-memfd.c: the memfd a target's input goes into (fuzz.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

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
        }
        if (ftruncate(fd, 0) < 0 ||
            (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size)) {
                perror("fuzz input");
                abort();
        }
        return path;
}
