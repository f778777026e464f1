/* sha256.h: SHA-256 through OpenSSL's EVP interface. */
#ifndef UPSHIFT_SHA256_H
#define UPSHIFT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"

#define SHA256_HEX_LEN 64

struct sha256;                         /* an incremental context */
struct sha256 *sha256_new(void);
void           sha256_update(struct sha256 *c, const void *buf, size_t len);
/* Finish into hex (65 bytes, lower case, NUL-terminated) and free c. */
void           sha256_final_hex(struct sha256 *c, char hex[SHA256_HEX_LEN + 1]);
/* Finish into hex like sha256_final_hex, but keep c, ready for the next
 * message: one context serves many. */
void           sha256_final_reset(struct sha256 *c, char hex[SHA256_HEX_LEN + 1]);

/* Hash len bytes of buf (buf may be NULL when len is 0) into hex. */
void sha256_buf(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1]);

/* Hash a whole file. Returns 0 or -errno (message in d). */
int sha256_file(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *ret_size,
                struct diag *d);
/* True when s is 64 hex digits. */
int sha256_valid_hex(const char *s);

#endif
