/* version.h: version numbers and ranges.
 *
 * Versions compare numerically by dotted parts ("1.10" > "1.9"); a leading
 * "v" is ignored; missing parts count as 0 ("1.4" == "1.4.0"). A pre-release
 * suffix introduced by "~" or "-" ("1.4.0~rc1", "1.4.0-beta1") orders before
 * the release without it; two suffixes compare part by part, digits
 * numerically. A Debian-style epoch ("5:") is ignored.
 */
#ifndef UPSHIFT_VERSION_H
#define UPSHIFT_VERSION_H

#include <stdbool.h>

#include "lib/diag.h"

/* True when s looks like a version: optional "v", then a digit. */
bool version_valid(const char *s);

/* <0, 0, >0 like strcmp. Both must be version_valid. */
int version_compare(const char *a, const char *b);

/* A range: alternatives separated by "||", each a list of comparators
 * separated by spaces, all of which must hold: ">=0.10 <0.12", "=1.4.3",
 * "1.4.3" (same as "="), "!=1.0", ">1 || <0.5". */
struct vrange;

/* Parse a range. On error returns -EINVAL with a message in d that says
 * which part is wrong (no file position: the caller adds it). */
int  vrange_parse(const char *text, struct vrange **ret, struct diag *d);
bool vrange_match(const struct vrange *r, const char *version);
/* The text it was parsed from. */
const char *vrange_text(const struct vrange *r);
void vrange_free(struct vrange *r);

#endif
