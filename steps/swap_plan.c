/* swap_plan.c: the plan's swap: section (swap_plan.h): one package
 * (package:, sha256:, files:) or several (packages:), every file of every
 * package swapped in one step. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/plan.h"
#include "lib/util.h"
#include "steps/hot.h"
#include "steps/swap_plan.h"

static const char *const swap_keys[] = {
        "package", "sha256", "packages", "files", "run", "allow_setid", "max_size", "hot",
        "reload", NULL,
};

static const char *const pkg_keys[] = { "package", "sha256", "files", NULL };

/* sha256: v into *ret: 64 hex digits, or text with ${...}. */
static int
parse_sha256(struct pctx *c, const struct ynode *v, char **ret)
{
        int r = pstr(c, v, ret);

        if (r < 0)
                return r;
        if (!strstr(*ret, "${") &&
            (strlen(*ret) != 64 || strspn(*ret, "0123456789abcdefABCDEF") != 64))
                return perr(c, v, _("expected 64 hexadecimal digits (a SHA-256)"));
        return 0;
}

/* The target of fm (the last mapping, of package fm->pkg), unless another
 * package maps it already, maps a directory it is below, or maps a target
 * below it when it is a directory: files of two packages could then land on
 * one path, and a rollback could not tell whose old file to put back. The
 * targets are compared as written (before ${...} is expanded). */
static int
check_target(struct pctx *c, const struct ynode *v, const struct filemap *fm)
{
        static const char into_one[] = N_("two packages cannot install into one directory; "
                                          "map the files of one of them by name, or a "
                                          "directory the other does not install into");
        const struct plan *p = c->p;
        const char *t = fm->target;

        for (size_t i = 0; i + 1 < p->swap.n_files; i++) {
                const struct filemap *o = &p->swap.files[i];
                const char *name = p->swap.pkgs[o->pkg].name;

                if (o->pkg == fm->pkg)
                        continue;
                if (strcmp(o->target, t) == 0)
                        /* TRANSLATORS: a target path, two package names, a line number. */
                        return perr(c, v, _("\"%s\" is a target of package \"%s\" already "
                                             "(line %u): two packages cannot install the "
                                             "same file"), t, name, o->pos.line);
                if (o->dir && str_startswith(t, o->target))
                        /* TRANSLATORS: a target path, a directory, a package name, a
                         * line number, then "two packages cannot install into...". */
                        return perr(c, v, _("\"%s\" is below \"%s\", which package \"%s\" "
                                             "maps as a directory (line %u): %s"),
                                    t, o->target, name, o->pos.line, _(into_one));
                if (fm->dir && str_startswith(o->target, t))
                        /* TRANSLATORS: a directory, a target path, a package name, a
                         * line number, then "two packages cannot install into...". */
                        return perr(c, v, _("the directory \"%s\" holds \"%s\", a target "
                                             "of package \"%s\" (line %u): %s"),
                                    t, o->target, name, o->pos.line, _(into_one));
        }
        return 0;
}

/* One mapping of files (member: target) of package pkg, appended. */
static int
parse_filemap(struct pctx *c, const struct ynode *k, const struct ynode *v, size_t pkg)
{
        struct plan *p = c->p;
        struct filemap *fm;
        const char *m = k->str;
        int r;

        p->swap.files = xrealloc(p->swap.files, (p->swap.n_files + 1) * sizeof *p->swap.files);
        fm = &p->swap.files[p->swap.n_files++];
        *fm = (struct filemap){ .pkg = pkg, .pos = pnode_pos(k) };
        if (*m == '\0' || *m == '/' || strcmp(m, "..") == 0 ||
            str_startswith(m, "../") || strstr(m, "/../") || str_endswith(m, "/.."))
                return perr(c, k, _("bad package member \"%s\" (expected a "
                                    "relative path without \"..\")"), m);
        fm->member = xstrdup(m);
        if ((r = pstr(c, v, &fm->target)) < 0)
                return r;
        fm->dir = str_endswith(m, "/");
        if (fm->dir && !str_endswith(fm->target, "/"))
                /* TRANSLATORS: a package member ending in "/", then its target. */
                return perr(c, v, _("\"%s\" is a directory of the package, so its target "
                                    "must be a directory too: end \"%s\" with \"/\""),
                            m, fm->target);
        if (!fm->dir && str_endswith(fm->target, "/"))
                return perr(c, v, _("the target \"%s\" ends in \"/\" but \"%s\" is one "
                                    "file: end the member with \"/\" to map a directory, "
                                    "or name the target file"), fm->target, m);
        return p->swap.n_pkgs > 1 ? check_target(c, v, fm) : 0;
}

/* A package: name (NULL for the package: form), its package:, sha256:
 * and files: in n. */
static int
parse_pkg(struct pctx *c, const char *name, const struct ynode *n)
{
        struct plan *p = c->p;
        struct swap_pkg *sp;
        const struct ynode *v, *files = popt(n, "files");
        size_t k = p->swap.n_pkgs;
        int r;

        p->swap.pkgs = xrealloc(p->swap.pkgs, (k + 1) * sizeof *p->swap.pkgs);
        sp = &p->swap.pkgs[p->swap.n_pkgs++];
        *sp = (struct swap_pkg){ .name = xstrdup(name), .first = p->swap.n_files,
                                 .pos = pnode_pos(n) };
        if ((v = popt(n, "package")) && (r = pstr(c, v, &sp->package)) < 0)
                return r;
        if ((v = popt(n, "sha256")) && (r = parse_sha256(c, v, &sp->sha256)) < 0)
                return r;
        if (files == NULL)
                return 0;
        if (files->kind != YNODE_MAP)
                return perr(c, files, _("expected a mapping of package members to "
                                        "target paths"));
        if (sp->package == NULL)
                return pmissing(c, n, "package", _("swap (files: come from a package)"));
        for (size_t i = 0; i < files->n; i++) {
                if ((r = parse_filemap(c, files->pairs[i].key, files->pairs[i].value, k)) < 0)
                        return r;
                p->swap.pkgs[k].n_files++;
        }
        return 0;
}

/* packages: name: {package:, sha256:, files:} each. */
static int
parse_packages(struct pctx *c, const struct ynode *n, const struct ynode *pkgs)
{
        static const char *const one[] = { "package", "sha256", "files" };
        int r;

        for (size_t i = 0; i < n->n; i++)
                for (size_t j = 0; j < sizeof one / sizeof *one; j++)
                        if (strcmp(n->pairs[i].key->str, one[j]) == 0)
                                /* TRANSLATORS: a key of swap: (package, sha256, files). */
                                return perr(c, n->pairs[i].key,
                                            _("swap has %s: beside packages:, where each "
                                              "package has its own: move it under its "
                                              "package"), one[j]);
        if (pkgs->kind != YNODE_MAP || pkgs->n == 0)
                return perr(c, pkgs, _("expected a mapping of package names to their "
                                       "package:, sha256: and files:"));
        for (size_t i = 0; i < pkgs->n; i++) {
                const struct ynode *k = pkgs->pairs[i].key, *v = pkgs->pairs[i].value;

                for (size_t j = 0; j < i; j++)
                        if (strcmp(pkgs->pairs[j].key->str, k->str) == 0)
                                return perr(c, k, _("duplicate package \"%s\""), k->str);
                if (v->kind != YNODE_MAP)
                        return perr(c, v, _("expected a mapping with package:, sha256: "
                                            "and files:"));
                if ((r = pkeys(c, v, pkg_keys, k->str)) < 0)
                        return r;
                if (popt(v, "files") == NULL)
                        return pmissing(c, v, "files",
                                        _("a package of swap: (which of its files go where)"));
                if ((r = parse_pkg(c, k->str, v)) < 0)
                        return r;
        }
        return 0;
}

int
swap_parse(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v, *files = popt(n, "files"), *pkgs = popt(n, "packages");
        int r;

        if ((r = psection_keys(c, n, swap_keys, "swap")) < 0)
                return r;
        if (files == NULL && pkgs == NULL && popt(n, "run") == NULL)
                return perr(c, n, _("swap needs files: (what to take from the package), "
                                    "packages: (several packages) or run: (an installer)"));
        if ((v = popt(n, "run")) && (r = pcmdlist(c, v, &p->swap.run)) < 0)
                return r;
        if ((r = hot_parse(c, n)) < 0)
                return r;
        if ((v = popt(n, "allow_setid")) && (r = pbool(c, v, &p->swap.allow_setid)) < 0)
                return r;
        if ((v = popt(n, "max_size"))) {
                if (v->kind != YNODE_SCALAR || size_parse(v->str, &p->swap.max_bytes) < 0)
                        return perr(c, v, _("expected a size such as 512M or 2G"));
        }
        if (pkgs != NULL)
                r = parse_packages(c, n, pkgs);
        else if (files != NULL || popt(n, "package") != NULL || popt(n, "sha256") != NULL)
                r = parse_pkg(c, NULL, n);
        if (p->swap.n_pkgs > 0) {
                p->swap.package = p->swap.pkgs[0].package;
                p->swap.sha256 = p->swap.pkgs[0].sha256;
        }
        return r;
}
