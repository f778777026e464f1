/* package_read.c: walking a package's archive (.deb, tar, zip) and
 * resolving requested members through links. */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/package_int.h"
#include "lib/util.h"

/* Split name into components without "" and "."; true when it was absolute
 * or has a ".." component. The key is the components joined with "/". */
char *
pkg_member_key(const char *name, bool *ret_unsafe)
{
        struct strbuf sb = {0};
        bool unsafe = name[0] == '/';

        for (const char *p = name; *p != '\0'; ) {
                size_t l = strcspn(p, "/");

                if (l == 2 && p[0] == '.' && p[1] == '.')
                        unsafe = true;
                if (l > 0 && !(l == 1 && p[0] == '.')) {
                        if (sb.len > 0)
                                strbuf_addch(&sb, '/');
                        strbuf_add(&sb, p, l);
                }
                p += l;
                while (*p == '/')
                        p++;
        }
        strbuf_adds(&sb, "");
        *ret_unsafe = unsafe;
        return strbuf_detach(&sb);
}

char *
pkg_link_resolve(const char *key, const char *target)
{
        char *dir = xstrdup(key), *slash = strrchr(dir, '/'), *joined;
        struct strbuf sb = {0};

        if (slash != NULL)
                *slash = '\0';
        else
                dir[0] = '\0';
        joined = xasprintf("%s/%s", dir, target);
        free(dir);
        for (const char *p = joined; *p != '\0'; ) {
                size_t l = strcspn(p, "/");

                if (l == 2 && p[0] == '.' && p[1] == '.') {
                        char *up;

                        if (sb.len == 0) {
                                free(joined);
                                strbuf_release(&sb);
                                return NULL;
                        }
                        up = strrchr(sb.buf, '/');
                        sb.len = up != NULL ? (size_t)(up - sb.buf) : 0;
                        sb.buf[sb.len] = '\0';
                } else if (l > 0 && !(l == 1 && p[0] == '.')) {
                        if (sb.len > 0)
                                strbuf_addch(&sb, '/');
                        strbuf_add(&sb, p, l);
                }
                p += l;
                while (*p == '/')
                        p++;
        }
        free(joined);
        strbuf_adds(&sb, "");
        return strbuf_detach(&sb);
}

int
pkg_read_error(struct pkg *p, struct archive *a, const char *member)
{
        int e = archive_errno(a);

        if (member != NULL)
                /* TRANSLATORS: a package, a member in it, then libarchive's reason. */
                diag_set(p->d, _("cannot read package \"%s\" at member \"%s\": %s"), p->name,
                         member, archive_error_string(a));
        else
                /* TRANSLATORS: a package, then libarchive's reason. */
                diag_set(p->d, _("cannot read package \"%s\": %s"), p->name,
                         archive_error_string(a));
        return e > 0 && e != EILSEQ && e != EINVAL ? -e : -EBADMSG;
}

/* Feeding an inner archive (data.tar.* of a .deb) from the outer one. */
struct inner_src {
        struct archive *outer;
        char            buf[64 * 1024];
};

static la_ssize_t
inner_read(struct archive *a, void *ud, const void **ret_buf)
{
        struct inner_src *s = ud;
        la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof s->buf);

        if (n < 0) {
                archive_set_error(a, archive_errno(s->outer) > 0 ? archive_errno(s->outer) : EIO,
                                  "%s", archive_error_string(s->outer));
                return -1;
        }
        *ret_buf = s->buf;
        return n;
}

static struct archive *
inner_open(struct inner_src *s)
{
        struct archive *a = archive_read_new();

        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open(a, s, NULL, inner_read, NULL) != ARCHIVE_OK)
                return a;               /* the first header read reports it */
        return a;
}

/* Call fn for every entry of a (until fn returns non-zero). */
static int
each_entry(struct pkg *p, struct archive *a, visit_fn fn, void *ud, size_t idx,
           const char *where)
{
        struct archive_entry *e;
        char *prev = NULL;
        int r;

        for (;;) {
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF) {
                        r = 0;
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        r = pkg_read_error(p, a, prev != NULL ? prev : where);
                        break;
                }
                free(prev);
                prev = xstrdup(archive_entry_pathname(e) != NULL ? archive_entry_pathname(e)
                                                                  : "");
                r = fn(p, a, e, idx++, ud);
                if (r != 0)
                        break;
        }
        free(prev);
        return r;
}

/* The Version: field of a .deb's control file. */
static int
read_control(struct pkg *p, struct archive *outer)
{
        struct inner_src *s = xmalloc(sizeof *s);
        struct archive *a;
        struct archive_entry *e;
        int r;

        s->outer = outer;
        a = inner_open(s);
        while ((r = archive_read_next_header(a, &e)) >= ARCHIVE_WARN) {
                struct strbuf sb = {0};
                bool unsafe;
                const char *name = archive_entry_pathname(e);
                char *key = pkg_member_key(name != NULL ? name : "", &unsafe);
                bool found = strcmp(key, "control") == 0;
                la_ssize_t n;

                free(key);
                if (!found)
                        continue;
                while ((n = archive_read_data(a, p->buf, PKG_BUF)) > 0 &&
                       sb.len < CONTROL_MAX)
                        strbuf_add(&sb, p->buf, (size_t)n);
                strbuf_adds(&sb, "");
                for (char *line = sb.buf; line != NULL && *line != '\0'; ) {
                        char *nl = strchr(line, '\n');

                        if (nl != NULL)
                                *nl = '\0';
                        if (strncasecmp(line, "Version:", 8) == 0) {
                                free(p->version);
                                p->version = xstrdup(line + 8 + strspn(line + 8, " \t"));
                                str_rtrim(p->version);
                        }
                        line = nl != NULL ? nl + 1 : NULL;
                }
                strbuf_release(&sb);
                break;
        }
        archive_read_free(a);
        free(s);
        return 0;
}

/* libarchive found no format and no compression: a bare file. */
static bool
not_an_archive(struct archive *a)
{
        return archive_format(a) == 0 && archive_errno(a) == EILSEQ &&
               archive_filter_count(a) == 1;
}

/* Open the package and call fn for every entry of its content: the tar or
 * zip itself, or a .deb's data.tar.*. Returns 0, PKG_BARE, or -errno. */
int
pkg_each(struct pkg *p, visit_fn fn, void *ud, bool want_version)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r;

        if (lseek(p->fd, 0, SEEK_SET) < 0) {
                r = -errno;
                diag_set(p->d, _("cannot read package \"%s\": %s"), p->name, strerror(-r));
                archive_read_free(a);
                return r;
        }
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        archive_read_support_format_zip(a);
        archive_read_support_format_ar(a);
        archive_read_support_format_cpio(a);    /* an .rpm's payload */
        r = archive_read_open_fd(a, p->fd, PKG_BUF);
        if (r == ARCHIVE_OK)
                r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_FATAL && not_an_archive(a)) {
                archive_read_free(a);
                return PKG_BARE;        /* not an archive: a bare executable */
        }
        if (r == ARCHIVE_EOF) {
                /* TRANSLATORS: %s is a package file. */
                diag_set(p->d, _("package \"%s\" is empty"), p->name);
                archive_read_free(a);
                return -EINVAL;
        }
        if (r < ARCHIVE_WARN) {
                r = pkg_read_error(p, a, NULL);
                archive_read_free(a);
                return r;
        }
        if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_AR) {
                r = fn(p, a, e, 0, ud);
                if (r == 0)
                        r = each_entry(p, a, fn, ud, 1, archive_entry_pathname(e));
                archive_read_free(a);
                return r < 0 ? r : 0;
        }
        /* A .deb: control.tar.* then data.tar.* inside an ar archive. */
        for (bool data = false; !data; ) {
                const char *name = archive_entry_pathname(e);

                if (want_version && name != NULL && str_startswith(name, "control.tar"))
                        read_control(p, a);
                if (name != NULL && str_startswith(name, "data.tar")) {
                        struct inner_src *s = xmalloc(sizeof *s);
                        struct archive *in;

                        s->outer = a;
                        in = inner_open(s);
                        r = each_entry(p, in, fn, ud, 0, name);
                        archive_read_free(in);
                        free(s);
                        data = true;
                        break;
                }
                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF) {
                        /* TRANSLATORS: %s is a package; keep "data.tar". */
                        diag_set(p->d, _("package \"%s\" is an ar archive without a data.tar "
                                         "member, not a .deb"), p->name);
                        r = -EINVAL;
                        break;
                }
                if (r < ARCHIVE_WARN) {
                        r = pkg_read_error(p, a, name);
                        break;
                }
        }
        archive_read_free(a);
        return r < 0 ? r : 0;
}

static int
list_entry(struct pkg *p, struct archive *a, struct archive_entry *e, size_t idx, void *ud)
{
        struct pkg_entry *pe;
        const char *hard = archive_entry_hardlink(e);
        const char *sym = archive_entry_symlink(e);

        xgrow((void **)&p->v, &p->alloc, p->n + 1, sizeof *p->v);
        pe = &p->v[p->n++];
        memset(pe, 0, sizeof *pe);
        pe->key = pkg_member_key(archive_entry_pathname(e) != NULL ? archive_entry_pathname(e) : "",
                             &pe->unsafe);
        pe->type = (int)archive_entry_filetype(e);
        pe->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
        pe->perm = archive_entry_perm(e);
        pe->idx = idx;
        if (hard != NULL) {
                bool unsafe;

                pe->hard = true;
                pe->link = pkg_member_key(hard, &unsafe);
                pe->link_unsafe = unsafe;
        } else if (pe->type == AE_IFLNK && sym != NULL) {
                pe->link = xstrdup(sym);
        }
        return 0;
}

/* Index p->v by name, so that resolving every member is not a scan each. */
static void
index_entries(struct pkg *p)
{
        size_t alloc = 0;

        for (size_t i = 0; i < p->n; i++) {
                size_t pos;

                kvlist_set(&p->names, p->v[i].key, "");
                pos = kvlist_find(&p->names, p->v[i].key);
                xgrow((void **)&p->last, &alloc, pos + 1, sizeof *p->last);
                p->last[pos] = i;       /* a later one wins */
        }
}

const struct pkg_entry *
pkg_find_last(const struct pkg *p, const char *key)
{
        size_t pos;

        if (p->last == NULL) {
                for (size_t i = p->n; i > 0; i--)
                        if (strcmp(p->v[i - 1].key, key) == 0)
                                return &p->v[i - 1];
                return NULL;
        }
        pos = kvlist_find(&p->names, key);
        return pos != SIZE_MAX ? &p->v[p->last[pos]] : NULL;
}

/* Where the link entry e leads (a key), or NULL when outside the package. */
static char *
link_next(const struct pkg_entry *e)
{
        if (e->link == NULL)
                return NULL;
        if (e->hard)
                return e->link_unsafe ? NULL : xstrdup(e->link);
        if (e->link[0] == '/')
                return NULL;
        return pkg_link_resolve(e->key, e->link);
}

/* When a parent directory of key is a symlink in the package: true, with
 * *ret_prefix that parent and *ret_next key as reached through the link
 * (NULL when the link leads outside the package); new strings. */
static bool
parent_link(const struct pkg *p, const char *key, char **ret_prefix, char **ret_next)
{
        for (const char *s = strchr(key, '/'); s != NULL; s = strchr(s + 1, '/')) {
                char *prefix = xstrndup(key, (size_t)(s - key));
                const struct pkg_entry *e = pkg_find_last(p, prefix);

                if (e != NULL && !e->hard && e->type == AE_IFLNK) {
                        char *to = link_next(e);

                        *ret_prefix = prefix;
                        *ret_next = to == NULL ? NULL
                                               : to[0] == '\0' ? xstrdup(s + 1)
                                                                : xasprintf("%s%s", to, s);
                        free(to);
                        return true;
                }
                free(prefix);
        }
        return false;
}

/* The checks on the regular file (or other non-link) a member ended on. */
static int
check_target(struct pkg *p, const char *member, const struct pkg_entry *e)
{
        char lim[32];

        switch (e->type) {
        case AE_IFREG:
                break;
        case AE_IFDIR:
                /* TRANSLATORS: a package, then a member. */
                diag_set(p->d, _("package \"%s\": member \"%s\" is a directory, not a file"),
                         p->name, member);
                return -EISDIR;
        case AE_IFCHR:
        case AE_IFBLK:
                /* TRANSLATORS: a package, then a member. */
                diag_set(p->d, _("package \"%s\": member \"%s\" is a device node and is "
                                 "refused"), p->name, member);
                return -EPERM;
        case AE_IFIFO:
                /* TRANSLATORS: a package, then a member. */
                diag_set(p->d, _("package \"%s\": member \"%s\" is a FIFO and is refused"),
                         p->name, member);
                return -EPERM;
        case AE_IFSOCK:
                /* TRANSLATORS: a package, then a member. */
                diag_set(p->d, _("package \"%s\": member \"%s\" is a socket and is refused"),
                         p->name, member);
                return -EPERM;
        default:
                diag_set(p->d, _("package \"%s\": member \"%s\" is not a regular file"),
                         p->name, member);
                return -EINVAL;
        }
        if ((e->perm & (S_ISUID | S_ISGID)) != 0 && !p->allow_setid) {
                /* TRANSLATORS: a package, a member, then its mode in octal. */
                diag_set(p->d, _("package \"%s\": member \"%s\" has the setuid or setgid bit "
                                 "(mode %04o) and is refused"), p->name, member,
                         (unsigned)(e->perm & 07777));
                return -EPERM;
        }
        if (e->size > 0 && (uint64_t)e->size > p->max_bytes) {
                bytes_format(lim, sizeof lim, p->max_bytes);
                /* TRANSLATORS: a package, a member, then a size like "4.0 GiB". */
                diag_set(p->d, _("package \"%s\": member \"%s\" is larger than the size limit "
                                 "of %s and is refused"), p->name, member, lim);
                return -EFBIG;
        }
        return 0;
}

/* Follow member through links to the entry holding its data. */
int
pkg_resolve(struct pkg *p, const char *member, const struct pkg_entry **ret)
{
        bool unsafe;
        char *key = pkg_member_key(member, &unsafe);
        int r = 0;

        for (int hop = 0; r == 0; hop++) {
                const struct pkg_entry *e = pkg_find_last(p, key);
                char *prefix = NULL, *next = NULL;

                if (hop > PKG_MAX_LINKS) {
                        /* TRANSLATORS: a package, a member, then the limit. */
                        diag_set(p->d, _("package \"%s\": member \"%s\" is a chain of more "
                                         "than %d links"), p->name, member, PKG_MAX_LINKS);
                        r = -ELOOP;
                } else if (parent_link(p, key, &prefix, &next) && next == NULL) {
                        /* TRANSLATORS: a package, the member asked for, then a
                         * directory above it in the package. */
                        diag_set(p->d, _("package \"%s\": member \"%s\" is under \"%s\", a link "
                                         "that leads outside the package"), p->name, member,
                                 prefix);
                        r = -EPERM;
                } else if (next != NULL && e == NULL) {
                        /* reached through a link among its parents */
                        free(key);
                        key = next;
                        next = NULL;
                } else if (e == NULL && hop == 0) {
                        /* TRANSLATORS: a package, then the member the plan asked for. */
                        diag_set(p->d, _("package \"%s\" has no member \"%s\""), p->name,
                                 member);
                        r = -ENOENT;
                } else if (e == NULL) {
                        /* TRANSLATORS: a package, a member, then where its link leads. */
                        diag_set(p->d, _("package \"%s\": member \"%s\" is a link to \"%s\", "
                                         "which is not in the package"), p->name, member, key);
                        r = -ENOENT;
                } else if (e->unsafe && hop == 0) {
                        /* TRANSLATORS: a package, then a member with "/" or ".." in it. */
                        diag_set(p->d, _("package \"%s\": member \"%s\" has an absolute path or "
                                         "\"..\" and is refused"), p->name, member);
                        r = -EPERM;
                } else if (e->unsafe) {
                        /* a link led to an entry with "/" or ".." in its name */
                        diag_set(p->d, _("package \"%s\": member \"%s\" is a link that "
                                         "leads outside the package"), p->name, member);
                        r = -EPERM;
                } else if (e->hard || e->type == AE_IFLNK) {
                        char *to = link_next(e);

                        if (to == NULL) {
                                /* TRANSLATORS: a package, then the member asked for. */
                                diag_set(p->d, _("package \"%s\": member \"%s\" is a link that "
                                                 "leads outside the package"), p->name, member);
                                r = -EPERM;
                        }
                        free(key);
                        key = to;
                } else {
                        r = check_target(p, member, e);
                        if (r == 0)
                                *ret = e;
                        free(prefix);
                        free(next);
                        break;
                }
                free(prefix);
                free(next);
        }
        free(key);
        return r;
}

int
pkg_list(struct pkg *p)
{
        int r = pkg_each(p, list_entry, NULL, true);

        if (r == 0)
                index_entries(p);
        return r;
}
