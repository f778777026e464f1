/* plan_int.h: what plan.c and plan_step.c share besides the schema API. */
#ifndef UPSHIFT_PLAN_INT_H
#define UPSHIFT_PLAN_INT_H

#include "lib/plan_schema.h"

/* Mark step id present and read its checklist: and confirm:. */
int  pstep(struct pctx *c, enum step_id id, const struct ynode *n);
int  pservice(struct pctx *c, const struct ynode *n);

#endif
