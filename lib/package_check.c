/* package_check.c: checks made before anything is extracted: a package's
 * own version against the target, the links of a mapped directory, and the
 * directories below a mapped target (never a symlink). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int
pkg_check_mapped(struct pkg *p, const char *dir, const struct pkg_entry *e, const char *rel)
{
        size_t base = strlen(e->key) - strlen(rel);
        char *to;

        if (e->type == AE_IFLNK && !e->hard) {
                to = e->link[0] == '/' ? NULL : pkg_link_resolve(rel, e->link);
                free(to);
                if (to == NULL) {
                        /* TRANSLATORS: a package, a member, its link text, then
                         * the directory of the package the plan maps. */
                        diag_set(p->d, _("package \"%s\": member \"%s\" is a link to \"%s\" "
                                         "that leads outside the mapped directory \"%s\" and "
                                         "is refused"), p->name, e->key, e->link, dir);
                        return -EPERM;
                }
        }
        /* a directory between dir and e that is a link: e would be written
         * through it */
        for (const char *s = strchr(rel, '/'); s != NULL; s = strchr(s + 1, '/')) {
                char *parent = xstrndup(e->key, base + (size_t)(s - rel));
                const struct pkg_entry *l = pkg_find_last(p, parent);
                bool link = l != NULL && !l->hard && l->type == AE_IFLNK;

                if (link)
                        /* TRANSLATORS: a package, a member, then a directory above
                         * it in the package. */
                        diag_set(p->d, _("package \"%s\": member \"%s\" is under \"%s\", a link, "
                                         "and is refused (a mapped directory's files are "
                                         "never installed through a link)"), p->name, e->key,
                                 parent);
                free(parent);
                if (link)
                        return -EPERM;
        }
        return 0;
}

int
package_target_check(const char *root, const char *rel, struct diag *d)
{
        struct strbuf path = {0};
        int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return 0;       /* made when the files are staged */
        strbuf_adds(&path, root);
        for (const char *c = rel, *s; r == 0 && (s = strchr(c, '/')) != NULL; c = s + 1) {
                char *name = xstrndup(c, (size_t)(s - c));
                struct stat st;
                int next;

                if (path.len > 0 && path.buf[path.len - 1] != '/')
                        strbuf_addch(&path, '/');
                strbuf_adds(&path, name);
                if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = errno == ENOENT ? 1 : -errno;
                } else if (S_ISLNK(st.st_mode)) {
                        r = -ELOOP;
                } else if (!S_ISDIR(st.st_mode)) {
                        r = -ENOTDIR;
                } else {
                        next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        r = next < 0 ? -errno : 0;
                        close(fd);
                        fd = next;
                }
                free(name);
        }
        if (r == -ELOOP)
                /* TRANSLATORS: a symlink, a directory, then a file below it. */
                diag_set(d, _("\"%s\" is a symlink below the mapped directory \"%s\", and "
                              "\"%s\" would be written through it: replace it with a "
                              "directory (or remove it) and run again"), path.buf, root, rel);
        else if (r == -ENOTDIR)
                /* TRANSLATORS: a path, a directory, then a file below it. */
                diag_set(d, _("\"%s\" below the mapped directory \"%s\" is not a directory, "
                              "but \"%s\" goes below it: remove it and run again"), path.buf,
                         root, rel);
        else if (r < 0)
                diag_set(d, _("cannot look at \"%s\": %s"), path.buf, strerror(-r));
        if (fd >= 0)
                close(fd);
        strbuf_release(&path);
        return r < 0 ? r : 0;
}

int
package_mode_check(const char *pkg, const struct staged_file *f, const char *target,
                   struct diag *d)
{
        struct stat st;

        if (f->link != NULL || (f->mode & 0111) != 0 || stat(target, &st) < 0 ||
            !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
                return 0;
        /* TRANSLATORS: a package, a member, its mode in octal, then the file
         * it replaces. */
        diag_set(d, _("package \"%s\": member \"%s\" has mode %04o, without the x bit, but its "
                      "target \"%s\" is executable: the service could not start from it; give "
                      "a package that keeps the members' modes"), pkg, f->member,
                 (unsigned)(f->mode & 07777), target);
        return -EPERM;
}

/* Why entry e would be refused if it were staged, or NULL. */
static const char *
hostile_why(const struct pkg *p, const struct pkg_entry *e)
{
        char *to;

        if (e->unsafe)
                return _("an absolute path or \"..\"");
        if (e->hard)
                return e->link_unsafe ? _("a link out of the package") : NULL;
        switch (e->type) {
        case AE_IFLNK:
                if (e->link == NULL || e->link[0] == '/')
                        return _("a link out of the package");
                to = pkg_link_resolve(e->key, e->link);
                free(to);
                return to == NULL ? _("a link out of the package") : NULL;
        case AE_IFCHR:
        case AE_IFBLK:
                return _("a device node");
        case AE_IFIFO:
                return _("a FIFO");
        case AE_IFSOCK:
                return _("a socket");
        case AE_IFREG:
                return (e->perm & (S_ISUID | S_ISGID)) != 0 && !p->allow_setid
                               ? _("setuid or setgid") : NULL;
        default:
                return NULL;
        }
}

int
pkg_find_hostile(struct pkg *p, struct staged *s)
{
        char *text;

        for (size_t i = 0; i < p->n; i++) {
                const struct pkg_entry *e = &p->v[i];
                const char *why;

                if (pkg_find_last(p, e->key) != e || (why = hostile_why(p, e)) == NULL)
                        continue;
                /* a hostile entry that was asked for has been refused already */
                strv_push_take(&s->hostile, xasprintf("%s (%s)", e->key, why));
        }
        if (!p->strict || s->hostile.n == 0)
                return 0;
        text = package_hostile_text(s);
        /* TRANSLATORS: a package, then a list of its entries and why. */
        diag_set(p->d, _("package \"%s\" is refused (--strict-packages): it holds %s; give a "
                         "package without them, or run without --strict-packages"), p->name,
                 text);
        free(text);
        return -EPERM;
}

#define HOSTILE_NAMED 5

char *
package_hostile_text(const struct staged *s)
{
        struct strbuf sb = {0};
        size_t n = s->hostile.n;

        if (n == 0)
                return NULL;
        if (n == 1) {
                /* TRANSLATORS: followed by a list of entries of a package. */
                strbuf_adds(&sb, _("1 entry the plan does not map that would be refused if "
                                   "it did: "));
        } else {
                /* TRANSLATORS: a number, followed by a list of entries of a package. */
                char *head = xasprintf(_("%zu entries the plan does not map that would be "
                                         "refused if it did: "), n);

                strbuf_adds(&sb, head);
                free(head);
        }
        for (size_t i = 0; i < n && i < HOSTILE_NAMED; i++) {
                if (i > 0)
                        strbuf_adds(&sb, ", ");
                strbuf_adds(&sb, s->hostile.v[i]);
        }
        if (n > HOSTILE_NAMED) {
                /* TRANSLATORS: how many entries were not named. */
                char *more = xasprintf(_(", and %zu more"), n - HOSTILE_NAMED);

                strbuf_adds(&sb, more);
                free(more);
        }
        return strbuf_detach(&sb);
}
