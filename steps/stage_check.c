/* stage_check.c: the checks on the swap's package made while staging it
 * (stage_check.h), for detect and for `upshift plan`. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/upshift.h"
#include "lib/util.h"
#include "steps/stage_check.h"

void
stage_pkgs_release(struct stage_pkgs *pkgs)
{
        strv_release(&pkgs->versions);
        strv_release(&pkgs->sha256);
}

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
check_files(const struct plan *p, struct vars *vs, const struct staged *st,
            char **dir_targets, struct diag *d)
{
        for (size_t i = 0; i < st->n; i++) {
                const struct staged_file *f = &st->files[i];
                const struct filemap *fm = &p->swap.files[f->request];
                char *t = NULL, *pkg = NULL;
                int r;

                if (f->rel != NULL && dir_targets[f->request] != NULL) {
                        r = package_target_check(dir_targets[f->request], f->rel, d);
                        if (r < 0) {
                                d->code = EXIT_INHIBITED;
                                return r;
                        }
                        t = xasprintf("%s%s", dir_targets[f->request], f->rel);
                } else if ((r = vars_expand(vs, fm->target, &t, d)) < 0) {
                        return r;
                }
                r = vars_expand(vs, p->swap.pkgs[fm->pkg].package, &pkg, d);
                if (r == 0)
                        r = package_mode_check(pkg, f, t, d);
                free(t);
                free(pkg);
                if (r < 0) {
                        d->code = EXIT_USAGE;
                        return r;
                }
        }
        return 0;
}

/* The files of a package after the first, staged in dir, moved to
 * staging_dir/<first + j>: ${staging}/i is the swap's file i whatever
 * package holds it. The renames are synced with the directory. */
static int
move_staged(struct staged *st, const char *dir, const char *staging_dir, size_t first,
            struct diag *d)
{
        int fd, r = 0;

        for (size_t j = 0; j < st->n; j++) {
                char *to = xasprintf("%s/%zu", staging_dir, first + j);

                if (st->files[j].link == NULL && rename(st->files[j].path, to) < 0) {
                        r = -errno;
                        /* TRANSLATORS: a staged file, then the system's reason. */
                        diag_set(d, _("cannot move \"%s\" into the staging directory: %s"),
                                 st->files[j].path, strerror(-r));
                        free(to);
                        return r;
                }
                free(st->files[j].path);
                st->files[j].path = to;
        }
        rmdir(dir);
        fd = open(staging_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0) {
                r = -errno;
                diag_set(d, _("cannot sync \"%s\": %s"), staging_dir, strerror(-r));
        }
        if (fd >= 0)
                close(fd);
        return r;
}

/* Package k of p staged and appended to all (its requests made indexes of
 * p->swap.files), its version and SHA-256 to pkgs. The first package is staged in staging_dir itself, the
 * others in staging_dir/pkg.K first. Its version and SHA-256 are the
 * swap's, and only its version is checked against ${target}. */
static int
stage_one(const struct plan *p, size_t k, struct vars *vs, const char *staging_dir,
          struct stage_opts o, struct staged *all, struct stage_pkgs *pkgs, struct diag *d)
{
        const struct swap_pkg *sp = &p->swap.pkgs[k];
        struct staged st = {0};
        struct strv members = {0};
        char *pkg = NULL, *sum = NULL;
        char *dir = k == 0 ? xstrdup(staging_dir) : xasprintf("%s/pkg.%zu", staging_dir, k);
        int r = vars_expand(vs, sp->package, &pkg, d);

        if (r == 0 && sp->sha256 != NULL)
                r = vars_expand(vs, sp->sha256, &sum, d);
        for (size_t i = 0; i < sp->n_files; i++)
                strv_push(&members, p->swap.files[sp->first + i].member);
        if (k > 0)
                o.want_version = NULL;
        if (r == 0 && (r = package_stage(pkg, sum, members.v, members.n, dir, &o, &st, d)) < 0)
                d->code = EXIT_USAGE;   /* nothing was changed */
        if (r == 0 && k > 0 && (r = move_staged(&st, dir, staging_dir, all->n, d)) < 0) {
                for (size_t j = 0; j < st.n; j++)
                        if (st.files[j].link == NULL)
                                unlink(st.files[j].path);
                rmdir(dir);
        }
        if (r == 0) {
                all->files = xrealloc(all->files, (all->n + st.n + 1) * sizeof *all->files);
                for (size_t j = 0; j < st.n; j++) {
                        st.files[j].request += sp->first;
                        all->files[all->n++] = st.files[j];
                }
                /* With several packages, each entry says whose it is. */
                for (size_t j = 0; j < st.hostile.n; j++)
                        if (p->swap.n_pkgs > 1)
                                /* TRANSLATORS: an entry of a package and why it would
                                 * be refused, then the package's name in the plan. */
                                strv_push_take(&all->hostile,
                                               xasprintf(_("%s in package %s"),
                                                         st.hostile.v[j], sp->name));
                        else
                                strv_push(&all->hostile, st.hostile.v[j]);
                strv_push(&pkgs->versions, st.version ? st.version : "");
                strv_push(&pkgs->sha256, st.sha256);
                if (k == 0) {
                        all->version = st.version;
                        st.version = NULL;
                        memcpy(all->sha256, st.sha256, sizeof all->sha256);
                }
                free(st.files);
                st.files = NULL;
                st.n = 0;
        }
        staged_release(&st);
        strv_release(&members);
        free(dir);
        free(pkg);
        free(sum);
        return r;
}

int
stage_check(const struct plan *p, struct vars *vs, const char *staging_dir, bool strict,
            struct staged *ret, struct stage_pkgs *ret_pkgs, char ***ret_dir_targets,
            struct diag *d)
{
        struct staged st = {0};
        struct stage_pkgs pkgs = {0};
        char **dir_targets;
        struct stage_opts opts = {
                .allow_setid = p->swap.allow_setid,
                .max_bytes = p->swap.max_bytes,
                .strict = strict,
                .want_version = vars_get(vs, "target"),
        };
        int r = 0;

        if (p->swap.package == NULL || p->swap.n_files == 0)
                return 0;
        dir_targets = xcalloc(p->swap.n_files, sizeof *dir_targets);
        for (size_t i = 0; r == 0 && i < p->swap.n_files; i++)
                if (p->swap.files[i].dir)
                        r = vars_expand(vs, p->swap.files[i].target, &dir_targets[i], d);
        for (size_t k = 0; r == 0 && k < p->swap.n_pkgs; k++)
                r = stage_one(p, k, vs, staging_dir, opts, &st, &pkgs, d);
        if (r == 0)
                r = check_files(p, vs, &st, dir_targets, d);
        if (r < 0) {
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
                if (ret_pkgs != NULL) {
                        *ret_pkgs = pkgs;
                        pkgs = (struct stage_pkgs){0};
                }
        }
        stage_pkgs_release(&pkgs);
        stage_check_targets_free(p, dir_targets);
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

        if (p->swap.package == NULL || p->swap.n_files == 0)
                return 1;
        for (size_t k = 0; k < p->swap.n_pkgs; k++) {
                const struct swap_pkg *sp = &p->swap.pkgs[k];
                bool ready = vars_expand(vs, sp->package, &pkg, NULL) == 0 &&
                             stat(pkg, &sb) == 0 && S_ISREG(sb.st_mode) &&
                             (sp->sha256 == NULL ||
                              (vars_expand(vs, sp->sha256, &sum, NULL) == 0 && sum[0] != '<'));

                free(sum);
                sum = NULL;
                if (!ready) {
                        free(pkg);
                        return 1;
                }
                if (k + 1 < p->swap.n_pkgs) {
                        free(pkg);
                        pkg = NULL;
                }
        }
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
        r = stage_check(p, vs, dir, strict, &st, NULL, NULL, d);
        if (r == 0 && st.hostile.n > 0) {
                char *text = package_hostile_text(&st);

                /* TRANSLATORS: a package, then package_hostile_text(). */
                *ret_warning = p->swap.n_pkgs > 1
                        /* TRANSLATORS: package_hostile_text(), each entry naming its package. */
                        ? xasprintf(_("the packages hold %s; --strict-packages refuses "
                                      "such a package"), text)
                        : xasprintf(_("package \"%s\" holds %s; --strict-packages "
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
