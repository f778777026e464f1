/* swap_plan.h: the plan's swap: section, read at load (steps/swap_plan.c).
 *
 * Two forms: package:, sha256: and files: (one package), or packages:, a
 * mapping of names to {package:, sha256:, files:}. Either way the plan's
 * swap.pkgs holds every package and swap.files every mapping, in the
 * packages' order (struct swap_pkg says which are whose). */
#ifndef UPSHIFT_STEPS_SWAP_PLAN_H
#define UPSHIFT_STEPS_SWAP_PLAN_H

#include "lib/plan_schema.h"

/* The swap: section n into c->p. 0, or a negative errno with the message
 * (file:line:column) in c's diag. */
int swap_parse(struct pctx *c, const struct ynode *n);

#endif
