/* plan_int.h: what plan.c, plan_ask.c and plan_step.c share besides the
 * schema API. */
#ifndef UPSHIFT_PLAN_INT_H
#define UPSHIFT_PLAN_INT_H

#include "lib/plan_schema.h"

/* plan_ask.c */
/* Mark step id present and read its checklist: and confirm:. */
int  pstep(struct pctx *c, enum step_id id, const struct ynode *n);
/* ask: a list of questions. */
int  pask(struct pctx *c, const struct ynode *n);
/* Is name a built-in variable (vars_builtin)? */
bool pis_builtin(const char *name);

/* plan_step.c */
int  pservice(struct pctx *c, const struct ynode *n);

#endif
