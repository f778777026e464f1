/* cmd_expand.h: a plan command with its variables filled in.
 *
 * The one place where a plan's struct cmd becomes something exec_run can
 * run: each argv element, each env: value and the cwd: are expanded with
 * vars_expand (a value never splits an argv element); a shell: script is
 * kept as written and gets the variables only through its environment
 * (every variable as NAME=VALUE, before the command's own env:; a "." in
 * NAME as "_": ${fact.rows} is fact_rows). Used by
 * the step modules' commands, the service's start and stop commands, and
 * the engine's early probe of the installed version.
 */
#ifndef UPSHIFT_CMD_EXPAND_H
#define UPSHIFT_CMD_EXPAND_H

#include "lib/diag.h"
#include "lib/plan.h"
#include "lib/util.h"
#include "lib/vars.h"

struct cmd_expanded {
        struct strv argv;               /* NULL-terminated; empty when shell is set */
        char       *shell;              /* the script, or NULL */
        struct strv env;                /* "K=V", NULL-terminated (v may be NULL) */
        char       *cwd;                /* or NULL */
};

/* Expand c with vs into *ret (caller-owned storage, released with
 * cmd_expanded_release). base_env, when not NULL, is expanded first into
 * ret->env (the plan's env:, for a command run without the engine).
 * Returns 0, or -ENOENT with 'unknown variable "${name}"' in d (which may
 * be NULL); *ret is untouched on failure. */
int  cmd_expand(const struct cmd *c, const struct vars *vs, const struct kvlist *base_env,
                struct cmd_expanded *ret, struct diag *d);
void cmd_expanded_release(struct cmd_expanded *x);

#endif
