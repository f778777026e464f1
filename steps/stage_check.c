/* stage_check.c: the checks on the swap's package made while staging it
 * (stage_check.h), for detect and for `upshift plan`. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "steps/stage_check.h"

void
stage_check_targets_free(const struct plan *p, char **dir_targets)
{
        if (dir_targets == NULL)
                return;
        for (size_t i = 0; i < p->swap.n_files; i++)
                free(dir_targets[i]);
        free(dir_targets);
}

/* Each staged file against what it replaces. */
static int
check_files(const struct plan *p, struct vars *vs, const char *pkg, const struct staged *st,
            char **dir_targets, struct diag *d)
{
        for (size_t i = 0; i < st->n; i++) {
                const struct staged_file *f = &st->files[i];
                char *t = NULL;
                int r;

                if (f->rel != NULL && dir_targets[f->request] != NULL) {
                        r = package_target_check(dir_targets[f->request], f->rel, d);
                        if (r < 0) {
                                d->code = EXIT_INHIBITED;
                                return r;
                        }
                        t = xasprintf("%s%s", dir_targets[f->request], f->rel);
                } else if ((r = vars_expand(vs, p->swap.files[f->request].target, &t, d)) < 0) {
                        return r;
                }
                r = package_mode_check(pkg, f, t, d);
                free(t);
                if (r < 0) {
                        d->code = EXIT_USAGE;
                        return r;
                }
        }
        return 0;
}

int
stage_check(const struct plan *p, struct vars *vs, const char *staging_dir, bool strict,
            struct staged *ret, char ***ret_dir_targets, struct diag *d)
{
        struct staged st = {0};
        struct strv members = {0};
        char *pkg = NULL, *sum = NULL, **dir_targets;
        struct stage_opts opts = {
                .allow_setid = p->swap.allow_setid,
                .max_bytes = p->swap.max_bytes,
                .strict = strict,
                .want_version = vars_get(vs, "target"),
        };
        int r;

        if (p->swap.package == NULL || p->swap.n_files == 0)
                return 0;
        dir_targets = xcalloc(p->swap.n_files, sizeof *dir_targets);
        r = vars_expand(vs, p->swap.package, &pkg, d);
        if (r == 0 && p->swap.sha256 != NULL)
                r = vars_expand(vs, p->swap.sha256, &sum, d);
        for (size_t i = 0; r == 0 && i < p->swap.n_files; i++) {
                strv_push(&members, p->swap.files[i].member);
                if (p->swap.files[i].dir)
                        r = vars_expand(vs, p->swap.files[i].target, &dir_targets[i], d);
        }
        if (r == 0) {
                r = package_stage(pkg, sum, members.v, members.n, staging_dir, &opts, &st, d);
                if (r < 0)
                        d->code = EXIT_USAGE;   /* nothing was changed */
        }
        if (r == 0 && (r = check_files(p, vs, pkg, &st, dir_targets, d)) < 0) {
                for (size_t j = 0; j < st.n; j++)
                        if (st.files[j].link == NULL)
                                unlink(st.files[j].path);
                staged_release(&st);
        }
        if (r == 0) {
                *ret = st;
                if (ret_dir_targets != NULL) {
                        *ret_dir_targets = dir_targets;
                        dir_targets = NULL;
                }
        }
        stage_check_targets_free(p, dir_targets);
        strv_release(&members);
        free(pkg);
        free(sum);
        return r;
}

int
stage_check_dry(const struct plan *p, struct vars *vs, bool strict, char **ret_warning,
                struct diag *d)
{
        struct staged st = {0};
        struct stat sb;
        char *pkg = NULL, *sum = NULL, *dir;
        const char *tmp = getenv("TMPDIR");
        int r;

        if (p->swap.package == NULL || p->swap.n_files == 0 ||
            vars_expand(vs, p->swap.package, &pkg, NULL) < 0 || stat(pkg, &sb) < 0 ||
            !S_ISREG(sb.st_mode) ||
            (p->swap.sha256 != NULL && (vars_expand(vs, p->swap.sha256, &sum, NULL) < 0 ||
                                        sum[0] == '<'))) {
                free(pkg);
                free(sum);
                return 1;
        }
        free(sum);
        dir = xasprintf("%s/upshift-plan.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
                r = -errno;
                /* TRANSLATORS: a temporary directory, then the system's reason. */
                diag_set(d, _("cannot create \"%s\" to check the package in: %s"), dir,
                         strerror(-r));
                free(dir);
                free(pkg);
                return r;
        }
        r = stage_check(p, vs, dir, strict, &st, NULL, d);
        if (r == 0 && st.hostile.n > 0) {
                char *text = package_hostile_text(&st);

                /* TRANSLATORS: a package, then package_hostile_text(). */
                *ret_warning = xasprintf(_("package \"%s\" holds %s; --strict-packages "
                                           "refuses such a package"), pkg, text);
                free(text);
        }
        for (size_t j = 0; j < st.n; j++)
                if (st.files[j].link == NULL)
                        unlink(st.files[j].path);
        staged_release(&st);
        rmdir(dir);
        free(dir);
        free(pkg);
        return r;
}
