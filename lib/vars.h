/* vars.h: plan variables and ${name} substitution.
 *
 * A variable table maps names to values. "${name}" inside a string is
 * replaced by the value; the result is always one string, so a value can
 * never split an argv element. "$$" is a literal "$". A "$" followed by
 * anything else is kept as it is.
 */
#ifndef UPSHIFT_VARS_H
#define UPSHIFT_VARS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/diag.h"
#include "lib/util.h"

/* Built-in variable names, NULL-terminated: version, target, hop_from,
 * backup_dir, backup_work, staging, state_dir, plan. */
extern const char *const vars_builtin[];

struct vars {
        struct kvlist kv;
        struct strv   secret;           /* names whose values are secrets */
};

void        vars_set(struct vars *vs, const char *name, const char *value);
void        vars_set_secret(struct vars *vs, const char *name, const char *value);
const char *vars_get(const struct vars *vs, const char *name);
bool        vars_is_secret(const struct vars *vs, const char *name);
void        vars_release(struct vars *vs);

/* Replace every ${name} in in. An unknown name is an error:
 * returns -ENOENT with 'unknown variable "${name}"' in d. *ret is a new string. */
int vars_expand(const struct vars *vs, const char *in, char **ret, struct diag *d);

/* Same, but each value is quoted for a PCRE2 pattern (\Q...\E), so a version
 * such as "1.4.3" matches itself literally. */
int vars_expand_regex(const struct vars *vs, const char *in, char **ret, struct diag *d);

/* Same, but secret values are shown as "********" (for logs and screens). */
int vars_expand_masked(const struct vars *vs, const char *in, char **ret, struct diag *d);

/* Append "KEY=VALUE" to ret for each entry of env, its value expanded as by
 * vars_expand. Returns 0, or -ENOENT with the message in d (ret may then
 * hold the entries before the failing one). */
int vars_expand_env(const struct vars *vs, const struct kvlist *env, struct strv *ret,
                    struct diag *d);

/* Call fn for each ${name} reference in s, with the byte offset of the "$".
 * Stops and returns fn's value when it is non-zero. A "${" without "}" calls
 * fn with name NULL. Used by the plan loader to check names at load time. */
int vars_each_ref(const char *s, int (*fn)(void *ud, const char *name, size_t off),
                  void *ud);

#endif
