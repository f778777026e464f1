/* stage_check.h: the checks detect makes on the swap's package while it
 * stages it, shared with `upshift plan`, which makes them without a run (so
 * that a package a run would refuse is refused there too).
 *
 * In order: the package's SHA-256 (when given), its own version against
 * ${target} (package_version_matches), every member as package_stage()
 * checks it (paths, links, device nodes, setuid, size), then each staged
 * file against what it replaces: no symlink among the directories below a
 * mapped target (package_target_check), no executable target replaced by a
 * file without an x bit (package_mode_check).
 */
#ifndef UPSHIFT_STAGE_CHECK_H
#define UPSHIFT_STAGE_CHECK_H

#include <stdbool.h>

#include "lib/diag.h"
#include "lib/package.h"
#include "lib/plan.h"
#include "lib/vars.h"

/* Each package of the swap, in the plan's order: its version ("" when it
 * says none) and its SHA-256 (stage_check). Release with
 * stage_pkgs_release. */
struct stage_pkgs {
        struct strv versions, sha256;
};
void stage_pkgs_release(struct stage_pkgs *pkgs);

/* Stage the swap's packages of p (each of swap.pkgs, in order: the files
 * of all of them numbered together, ${staging}/i being file i) into
 * staging_dir and check them, with vs the
 * (hop's) variables: package, sha256, target, the targets' own. Entries the
 * plan does not map that would be refused if it did are listed in
 * ret->hostile (package_hostile_text), or with strict (--strict-packages)
 * refuse the package. On success
 * *ret holds the staged files and *ret_dir_targets (when not NULL) one
 * string per mapping of p->swap.files: its target expanded for a directory
 * mapping, else NULL (free with stage_check_targets_free), and *ret_pkgs
 * (when not NULL) each package's version and SHA-256. Returns 0 (also
 * when the plan has no package to stage), or a negative errno with the
 * message in d and, for a refused package, d->code its exit code
 * (EXIT_USAGE: the package; EXIT_INHIBITED: what is in place). Nothing is
 * left in staging_dir on failure. */
int  stage_check(const struct plan *p, struct vars *vs, const char *staging_dir, bool strict,
                 struct staged *ret, struct stage_pkgs *ret_pkgs, char ***ret_dir_targets,
                 struct diag *d);
void stage_check_targets_free(const struct plan *p, char **dir_targets);

/* The same in a temporary directory removed afterwards. 1 when there is
 * nothing to check yet: no package, or a package that is not a file (a
 * question not answered), else as stage_check; on success *ret_warning is
 * package_hostile_text() of the package prefixed with its name (or NULL). */
int  stage_check_dry(const struct plan *p, struct vars *vs, bool strict, char **ret_warning,
                     struct diag *d);

#endif
