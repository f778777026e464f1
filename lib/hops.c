/* hops.c: the path of an upgrade (hops.h). */
#include <config.h>

#include <errno.h>
#include <string.h>

#include "lib/hops.h"
#include "lib/i18n.h"
#include "lib/version.h"

int
hops_compute(const struct plan *p, const char *installed, const char *target,
             struct strv *ret, struct diag *d)
{
        struct strv v = {0};

        if (!version_valid(installed) || !version_valid(target)) {
                /* TRANSLATORS: two versions. */
                diag_set(d, _("cannot work out the upgrade path from \"%s\" to \"%s\": not version numbers"),
                         installed, target);
                return -EINVAL;
        }
        if (version_compare_as(p->version_scheme, installed, target) > 0) {
                /* TRANSLATORS: the installed version, then the target. */
                diag_set(d, _("the installed version %s is newer than the target %s: upshift does not downgrade (give a target of %s or later with --target, or restore an older installation from its backup)"),
                         installed, target, installed);
                return -EDOM;
        }
        if (p->min_version && version_compare_as(p->version_scheme, installed, p->min_version) < 0) {
                /* TRANSLATORS: the installed version, then the plan's oldest (twice). */
                diag_set(d, _("the installed version %s is older than %s, the oldest this plan upgrades: upgrade to %s first"),
                         installed, p->min_version, p->min_version);
                return -ERANGE;
        }
        for (size_t i = 0; i < p->path_stops.n; i++) {
                const char *s = p->path_stops.v[i];

                if (version_compare_as(p->version_scheme, s, installed) > 0 &&
                    version_compare_as(p->version_scheme, s, target) < 0)
                        strv_push(&v, s);
        }
        strv_push(&v, target);
        for (size_t i = 0; i < v.n; i++)
                strv_push(ret, v.v[i]);
        strv_release(&v);
        return 0;
}

char *
hops_join(const struct strv *hops)
{
        return strv_join(hops->v, hops->n, " ");
}

void
hops_split(const char *s, struct strv *ret)
{
        while (s && *s) {
                size_t n = strcspn(s, " ");

                if (n > 0)
                        strv_push_take(ret, xstrndup(s, n));
                s += n;
                while (*s == ' ')
                        s++;
        }
}
