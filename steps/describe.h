/* describe.h: what a step module writes for `upshift plan` and for the
 * wizard's review (both print cli_plan_write's text).
 *
 * describe_step() writes one step: its number, name, title and what it does,
 * then the module's describe method, then its checklist. A describe method
 * writes the plan's part for its step with the describe_* helpers below,
 * every line indented by six spaces. Values are shown expanded against
 * s->vars, secrets masked; nothing is run and nothing fails.
 */
#ifndef UPSHIFT_DESCRIBE_H
#define UPSHIFT_DESCRIBE_H

#include <stdio.h>

#include "lib/plan.h"
#include "lib/vars.h"

struct step_describe {
        const struct plan *p;
        struct vars       *vars;        /* the values shown; the caller's */
        FILE              *out;
        unsigned           hop, n_hops; /* describing hop N of n_hops of a path, or 0 */
};

/* Write step id of s->p. */
void  describe_step(struct step_describe *s, enum step_id id);

/* in expanded for display: each ${name} on its own, so an unknown one stays
 * as written. A new string ("" for NULL). */
char *describe_str(struct step_describe *s, const char *in);
/* "      when ...:" for a condition that is set. */
void  describe_cond(struct step_describe *s, const struct cond *c);
/* A command (label: $ argv ...), with its when: and foreach:; nothing for NULL. */
void  describe_cmd(struct step_describe *s, const char *label, const struct cmd *c);
void  describe_cmds(struct step_describe *s, const char *label, const struct cmdlist *l);
void  describe_checks(struct step_describe *s, const struct check *v, size_t n);
/* "      VERB the service (manager ...)", then command c when given. */
void  describe_service(struct step_describe *s, const char *verb, const struct cmd *c);

#endif
