/* package_check.c: checks on a package as a whole, made before anything is
 * extracted: its own version against the target. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/package_int.h"
#include "lib/util.h"
#include "lib/version.h"

/* v without its epoch ("5:"). */
static const char *
skip_epoch(const char *v)
{
        const char *p = v;

        while (isdigit((unsigned char)*p))
                p++;
        return p != v && *p == ':' ? p + 1 : v;
}

bool
package_version_matches(const char *pkg_version, const char *target)
{
        const char *full = skip_epoch(pkg_version), *t = skip_epoch(target);
        const char *dash = strrchr(full, '-');
        size_t up = dash != NULL ? (size_t)(dash - full) : strlen(full);
        size_t tl = strlen(t);
        char *upstream;
        bool ok;

        if (*t == 'v' || *t == 'V')
                t++, tl--;
        /* the whole version given as the target: "7.0.15-1~deb12u10" */
        if (strcmp(full, t) == 0)
                return true;
        /* the target followed by a suffix that is no further number:
         * "1.6.7~rc0", "1.2.3+dfsg" for 1.6.7 and 1.2.3 */
        if (tl > 0 && tl < up && strncmp(full, t, tl) == 0 &&
            !isdigit((unsigned char)full[tl]) && full[tl] != '.')
                return true;
        upstream = xstrndup(full, up);
        ok = version_valid(upstream) && version_valid(t) && version_compare(upstream, t) == 0;
        free(upstream);
        return ok;
}

int
pkg_check_version(struct pkg *p, const char *want)
{
        if (want == NULL || *want == '\0' || p->version == NULL ||
            package_version_matches(p->version, want))
                return 0;
        /* TRANSLATORS: a package, its own version, then the target version
         * (twice). */
        diag_set(p->d, _("package \"%s\" is version %s, not the target %s: give the package "
                         "of %s, or the target this package holds with --target"),
                 p->name, p->version, want, want);
        return -EPERM;
}
