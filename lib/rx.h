/* rx.h: PCRE2 regular expressions (8-bit, UTF off, multiline: ^ and $ match
 * at line ends, so a pattern can pick one line out of a command's output). */
#ifndef UPSHIFT_RX_H
#define UPSHIFT_RX_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/diag.h"

struct rx;

/* Compile. On error returns -EINVAL with "bad regular expression \"...\":
 * <PCRE2 message> at offset N" in d; *ret_offset (if given) is the offset. */
int  rx_compile(const char *pattern, struct rx **ret, size_t *ret_offset, struct diag *d);
void rx_free(struct rx *r);

/* Search subject. Returns 1 on a match, 0 on none, <0 on a matching error.
 * When ret_value is given and it matched, *ret_value is a new string: group 1
 * when the pattern has a group, else the whole match. */
int  rx_search(const struct rx *r, const char *subject, size_t len, char **ret_value);

/* Compile + search in one go (for one-off patterns). Same returns as
 * rx_search, or the compile error. */
int  rx_match_once(const char *pattern, const char *subject, char **ret_value,
                   struct diag *d);

#endif
