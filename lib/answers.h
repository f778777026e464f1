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

#include "lib/diag.h"
#include "lib/plan.h"
#include "lib/util.h"
#include "lib/vars.h"

/* Keys every plan accepts besides its own questions, NULL-terminated:
 * backup_dir (where backups go; default /var/backups/upshift/<plan>). */
extern const char *const answers_builtin_keys[];

/* Where a per_hop question was answered: with a map (hop version -> value)
 * or with one value. */
struct answer_map {
        char          *key;
        struct kvlist  byver;           /* version -> checked value (nulls left out) */
        bool           scalar;          /* answered with one value (in kv), not a map */
        unsigned       line, col;       /* of the value, for messages */
};

struct answers {
        char          *file;            /* NULL when not loaded from a file */
        struct kvlist  kv;              /* key -> value, as given (yes/no normalised) */
        struct answer_map *maps;        /* per_hop questions answered with a map */
        size_t         n_maps;
};

/* Per-hop answers. A question with per_hop: true may be answered with a
 * map from each hop's target version to its value
 *     package: {0.30.0: /p/a-0.30.0.tgz, 0.80.2: /p/a-0.80.2.tgz, 1.0.0: ...}
 * or with one value when the path has one hop. answers_apply() puts each
 * map entry in the variables as "KEY@VERSION" (names no plan can use), and
 * answers_apply_hop() sets KEY itself for one hop; a question answered by
 * neither gets its default, expanded again in each hop (so a default may
 * use ${target}). */
/* The map answering per_hop question key, or NULL (not answered by a map). */
const struct answer_map *answers_map(const struct answers *a, const char *key);
/* Every per_hop question can be answered in each of the n hops (targets):
 * a map needs an entry for each hop (unless the question has a default),
 * a single value needs exactly one hop. -EINVAL with "FILE:LINE:COL: ..."
 * naming the missing version and what to add. */
int  answers_check_hops(const struct plan *p, const struct answers *a,
                        char *const *hops, size_t n, struct diag *d);
/* Set each per_hop question's variable for the hop to target (vs holds
 * what answers_apply put there, and target). */
int  answers_apply_hop(const struct plan *p, struct vars *vs, const char *target,
                       struct diag *d);

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
