/* sha256.c: SHA-256 through OpenSSL's EVP interface. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/i18n.h"
#include "lib/sha256.h"
#include "lib/util.h"

#define SHA256_FILE_BUF (1024 * 1024)

struct sha256 {
        EVP_MD_CTX *ctx;
};

/* Start c->ctx on a new message. */
/* The first time with the digest, then (md NULL) with the one the context
 * holds: naming it again would make OpenSSL 3 look it up again, under a
 * lock, for each of a backup's members. */
static void
init_or_die(struct sha256 *c, const EVP_MD *md)
{
        if (c->ctx == NULL || EVP_DigestInit_ex2(c->ctx, md, NULL) != 1) {
                /* Only fails when memory runs out: treat it like xmalloc does. */
                fputs("upshift: out of memory (EVP_MD_CTX)\n", stderr);
                exit(70);
        }
}

struct sha256 *
sha256_new(void)
{
        struct sha256 *c = xmalloc(sizeof *c);

        c->ctx = EVP_MD_CTX_new();
        init_or_die(c, EVP_sha256());
        return c;
}

void
sha256_update(struct sha256 *c, const void *buf, size_t len)
{
        if (len > 0)
                EVP_DigestUpdate(c->ctx, buf, len);
}

/* Finish c's message into hex; c is then spent until initialised again. */
static void
final_hex(struct sha256 *c, char hex[SHA256_HEX_LEN + 1])
{
        static const char digits[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;

        EVP_DigestFinal_ex(c->ctx, md, &len);
        for (unsigned int i = 0; i < len && i < SHA256_HEX_LEN / 2; i++) {
                hex[2 * i] = digits[md[i] >> 4];
                hex[2 * i + 1] = digits[md[i] & 0xf];
        }
        hex[SHA256_HEX_LEN] = '\0';
}

void
sha256_final_hex(struct sha256 *c, char hex[SHA256_HEX_LEN + 1])
{
        final_hex(c, hex);
        EVP_MD_CTX_free(c->ctx);
        free(c);
}

void
sha256_final_reset(struct sha256 *c, char hex[SHA256_HEX_LEN + 1])
{
        final_hex(c, hex);
        init_or_die(c, NULL);
}

void
sha256_buf(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1])
{
        struct sha256 *c = sha256_new();

        sha256_update(c, len > 0 ? buf : "", len);
        sha256_final_hex(c, hex);
}

int
sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *ret_size,
            struct diag *d)
{
        struct sha256 *c;
        uint64_t size = 0;
        char *buf;
        int fd, r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                /* TRANSLATORS: %s is a file name, then the system's reason. */
                diag_set(d, _("cannot open \"%s\": %s"), path, strerror(-r));
                return r;
        }
        buf = xmalloc(SHA256_FILE_BUF);
        c = sha256_new();
        for (;;) {
                ssize_t n = read(fd, buf, SHA256_FILE_BUF);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        /* TRANSLATORS: %s is a file name, then the system's reason. */
                        diag_set(d, _("cannot read \"%s\": %s"), path, strerror(-r));
                        break;
                }
                if (n == 0)
                        break;
                sha256_update(c, buf, (size_t)n);
                size += (uint64_t)n;
        }
        close(fd);
        free(buf);
        if (r < 0) {
                char junk[SHA256_HEX_LEN + 1];

                sha256_final_hex(c, junk);
                return r;
        }
        sha256_final_hex(c, hex);
        if (ret_size != NULL)
                *ret_size = size;
        return 0;
}

int
sha256_valid_hex(const char *s)
{
        size_t i;

        if (s == NULL)
                return 0;
        for (i = 0; s[i] != '\0'; i++) {
                char ch = s[i];

                if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                      (ch >= 'A' && ch <= 'F')))
                        return 0;
        }
        return i == SHA256_HEX_LEN;
}
