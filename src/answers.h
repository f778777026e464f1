/* answers.h: the answers file (man/upshift-answers.5).
 *
 * An answers file is a YAML mapping from question keys (the plan's ask:
 * keys, the checklist keys, and the built-in keys below) to scalar values.
 * answers_load() checks it against the plan before anything runs:
 *   - an unknown key is an error that suggests the closest known key:
 *       a.yaml:4:1: unknown key "pakage" (did you mean "package"?)
 *   - a value of the wrong type names the key and the type expected;
 *   - every missing required answer is listed in one error:
 *       a.yaml: missing required answers: package, data_dir
 */
#ifndef UPSHIFT_ANSWERS_H
#define UPSHIFT_ANSWERS_H

#include <stdio.h>

#include "diag.h"
#include "plan.h"
#include "util.h"
#include "vars.h"

/* Keys every plan accepts besides its own questions, NULL-terminated:
 * backup_dir (where backups go; default /var/backups/upshift/<plan>). */
extern const char *const answers_builtin_keys[];

struct answers {
        char          *file;            /* NULL when not loaded from a file */
        struct kvlist  kv;              /* key -> value, as given (yes/no normalised) */
};

/* Load and validate. Returns 0, or -EINVAL/-errno with the message in d.
 * Q_FILE answers must name an existing regular file; Q_SHA256 answers are
 * lower-cased. A missing required answer is only an error when check_required
 * is true (upshift plan shows placeholders instead). */
int  answers_load(const char *path, const struct plan *p, bool check_required,
                  struct answers **ret, struct diag *d);
void answers_free(struct answers *a);

/* Check one value for a question (used by the loader and by frontends that
 * ask interactively). On success *ret is the normalised value (new string). */
int  answers_check_value(const struct question *q, const char *value,
                         char **ret, struct diag *d);

/* Put into vs: every question's answer, or its default (expanded against
 * what is already in vs), or nothing for an unanswered question without a
 * default; secrets with vars_set_secret. Built-in keys are set too. */
int  answers_apply(const struct plan *p, const struct answers *a,
                   struct vars *vs, struct diag *d);

/* Write the commented template for p (upshift answers PLAN). Filled in, it loads. */
void answers_template(const struct plan *p, FILE *out);

/* Write the answers (secrets left out) as YAML to path, mode 0600, atomically. */
int  answers_save(const struct plan *p, const struct answers *a,
                  const char *path, struct diag *d);

#endif
