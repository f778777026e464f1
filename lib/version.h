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

/* How two versions are ordered (a plan's version_scheme:).
 * VERSION_SEMANTIC: as above.
 * VERSION_DEBIAN: as dpkg orders them: [epoch:]upstream[-revision]; the
 *   epoch numerically (none is 0), then the upstream part, then the revision
 *   (after the last "-"; none is ""), each compared in runs of non-digits
 *   (letters before other characters, "~" before everything, even the end)
 *   and of digits (numerically): 1.6.18 < 1.6.18-1 < 1.6.18-1+deb12u1,
 *   1.0~rc1 < 1.0.
 * VERSION_RPM: as rpmvercmp: [epoch:]version[-release], each part compared
 *   in runs of letters and of digits (digits newer), other characters only
 *   separate; "~" sorts before everything, "^" after the end. */
enum version_scheme {
        VERSION_SEMANTIC,
        VERSION_DEBIAN,
        VERSION_RPM,
};

/* "semantic", "debian", "rpm"; and back (-1 if unknown). */
const char *version_scheme_name(enum version_scheme s);
int         version_scheme_from_name(const char *name);

/* True when s looks like a version: optional "v", then a digit. */
bool version_valid(const char *s);

/* <0, 0, >0 like strcmp. Both must be version_valid. */
int version_compare(const char *a, const char *b);
/* The same, in scheme s. */
int version_compare_as(enum version_scheme s, const char *a, const char *b);

/* What changed from before to after, shortly, when they differ only in
 * their Debian or RPM revision: "deb12u3 -> deb12u4" for 2.6.12-1+deb12u3
 * and 2.6.12-1+deb12u4 (the revisions without their common leading parts,
 * cut at a "+", "~" or "."). A new string, or NULL when the upstream
 * versions differ, a side has no revision, or s is VERSION_SEMANTIC. */
char *version_change(enum version_scheme s, const char *before, const char *after);

/* A range: alternatives separated by "||", each a list of comparators
 * separated by spaces, all of which must hold: ">=0.10 <0.12", "=1.4.3",
 * "1.4.3" (same as "="), "!=1.0", ">1 || <0.5". */
struct vrange;

/* Parse a range. On error returns -EINVAL with a message in d that says
 * which part is wrong (no file position: the caller adds it). */
int  vrange_parse(const char *text, struct vrange **ret, struct diag *d);
bool vrange_match(const struct vrange *r, const char *version);
/* The same, comparing in scheme s. */
bool vrange_match_as(const struct vrange *r, enum version_scheme s, const char *version);
/* The text it was parsed from. */
const char *vrange_text(const struct vrange *r);
void vrange_free(struct vrange *r);

#endif
