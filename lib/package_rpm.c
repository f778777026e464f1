/* package_rpm.c: the version of an .rpm, from its header.
 *
 * An .rpm is a 96-byte lead, a signature header padded to 8 bytes, the
 * main header, then the compressed cpio payload (which libarchive reads).
 * A header is: magic 8e ad e8 01, 4 reserved bytes, the number of index
 * entries and the size of the data store (32-bit big-endian each), the
 * entries (tag, type, offset, count: 16 bytes each), then the store. */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/package_int.h"
#include "lib/util.h"

#define RPM_LEAD 96
#define RPM_MAX_HEADER (16u * 1024 * 1024)
#define TAG_VERSION 1001
#define TAG_RELEASE 1002
#define TAG_EPOCH 1003
#define TYPE_INT32 4
#define TYPE_STRING 6

static uint32_t
be32(const unsigned char *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool
read_at(int fd, off_t off, void *buf, size_t len)
{
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, (char *)buf + done, len - done, off + (off_t)done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                done += (size_t)n;
        }
        return true;
}

/* Read the header at *off: its index and store; *off moves past it. */
static bool
read_header(int fd, off_t *off, unsigned char **ret_index, uint32_t *ret_n,
            unsigned char **ret_store, uint32_t *ret_size)
{
        unsigned char h[16];
        uint32_t n, size;

        if (!read_at(fd, *off, h, sizeof h) || memcmp(h, "\x8e\xad\xe8\x01", 4) != 0)
                return false;
        n = be32(h + 8);
        size = be32(h + 12);
        if (n > RPM_MAX_HEADER / 16 || size > RPM_MAX_HEADER)
                return false;
        *ret_index = xmalloc(n * 16 + 1);
        *ret_store = xmalloc(size + 1);
        if (!read_at(fd, *off + 16, *ret_index, n * 16) ||
            !read_at(fd, *off + 16 + (off_t)n * 16, *ret_store, size)) {
                free(*ret_index);
                free(*ret_store);
                return false;
        }
        (*ret_store)[size] = '\0';
        *ret_n = n;
        *ret_size = size;
        *off += 16 + (off_t)n * 16 + (off_t)size;
        return true;
}

/* The string (or, for an int32, its decimal) of tag; NULL when absent. */
static char *
tag_value(const unsigned char *index, uint32_t n, const unsigned char *store, uint32_t size,
          uint32_t tag)
{
        for (uint32_t i = 0; i < n; i++) {
                const unsigned char *e = index + 16 * i;
                uint32_t type = be32(e + 4), off = be32(e + 8);

                if (be32(e) != tag || off >= size)
                        continue;
                if (type == TYPE_STRING)
                        return xstrndup((const char *)store + off, size - off);
                if (type == TYPE_INT32 && off + 4 <= size)
                        return xasprintf("%u", (unsigned)be32(store + off));
        }
        return NULL;
}

char *
pkg_rpm_version(int fd)
{
        unsigned char lead[4], *index = NULL, *store = NULL;
        char *version = NULL, *release, *epoch;
        uint32_t n, size;
        off_t off = RPM_LEAD;

        if (!read_at(fd, 0, lead, sizeof lead) || memcmp(lead, "\xed\xab\xee\xdb", 4) != 0)
                return NULL;
        /* the signature header, padded to a multiple of 8 */
        if (!read_header(fd, &off, &index, &n, &store, &size))
                return NULL;
        free(index);
        free(store);
        off = (off + 7) & ~(off_t)7;
        if (!read_header(fd, &off, &index, &n, &store, &size))
                return NULL;
        version = tag_value(index, n, store, size, TAG_VERSION);
        release = tag_value(index, n, store, size, TAG_RELEASE);
        epoch = tag_value(index, n, store, size, TAG_EPOCH);
        if (version != NULL && release != NULL) {
                char *v = xasprintf("%s%s%s-%s", epoch != NULL ? epoch : "",
                                    epoch != NULL ? ":" : "", version, release);

                free(version);
                version = v;
        }
        free(release);
        free(epoch);
        free(index);
        free(store);
        return version;
}
