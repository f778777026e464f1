/* hops.h: the path of an upgrade, from the installed version to the target.
 *
 * A plan may name mandatory intermediate versions (path: stops:). The
 * upgrade then runs swap, migrate and verify once per hop: to every stop
 * strictly above the installed version and below the target, in increasing
 * order, then to the target. Installed 0.25.0, stops 0.30.0 and 0.80.2,
 * target 1.0.0: hops 0.30.0, 0.80.2, 1.0.0. The target equal to the
 * installed version is one hop (a rebuild of the same version).
 */
#ifndef UPSHIFT_HOPS_H
#define UPSHIFT_HOPS_H

#include "lib/diag.h"
#include "lib/plan.h"
#include "lib/util.h"

/* Fill ret (empty) with the target of each hop. Returns 0; or -EDOM when
 * the target is older than the installed version (upshift does not
 * downgrade), -ERANGE when the installed version is older than the plan's
 * min_version, -EINVAL when a version is not one; the message in d says
 * what to do. */
int   hops_compute(const struct plan *p, const char *installed, const char *target,
                   struct strv *ret, struct diag *d);

/* The hops as journaled ("0.30.0 0.80.2 1.0.0"): a new string; and back,
 * appending to ret. */
char *hops_join(const struct strv *hops);
void  hops_split(const char *s, struct strv *ret);

#endif
