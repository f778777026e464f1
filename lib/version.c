/* version.c: version comparison and ranges (version.h). */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "lib/version.h"

/* Skip a Debian-style epoch ("5:") and a leading "v". */
static const char *
version_skip_prefix(const char *s)
{
        const char *p = s;

        while (isdigit((unsigned char)*p))
                p++;
        if (p != s && *p == ':')
                s = p + 1;
        if (*s == 'v' || *s == 'V')
                s++;
        return s;
}

bool
version_valid(const char *s)
{
        if (s == NULL)
                return false;
        s = version_skip_prefix(s);
        if (!isdigit((unsigned char)*s))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && strchr(".~+-_^", *s) == NULL)
                        return false;
        return true;
}

/* Compare a[0..na) with b[0..nb): digit runs numerically, other runs byte by
 * byte. An empty string compares like "0". */
static int
part_compare(const char *a, size_t na, const char *b, size_t nb)
{
        size_t i = 0, j = 0;

        while (i < na || j < nb) {
                bool da = i < na && isdigit((unsigned char)a[i]);
                bool db = j < nb && isdigit((unsigned char)b[j]);

                if ((i >= na || da) && (j >= nb || db)) {
                        size_t si, sj, li, lj;
                        int c;

                        /* Numbers; leading zeros and an empty run count as 0. */
                        while (i < na && a[i] == '0')
                                i++;
                        while (j < nb && b[j] == '0')
                                j++;
                        si = i;
                        sj = j;
                        while (i < na && isdigit((unsigned char)a[i]))
                                i++;
                        while (j < nb && isdigit((unsigned char)b[j]))
                                j++;
                        li = i - si;
                        lj = j - sj;
                        if (li != lj)
                                return li < lj ? -1 : 1;
                        c = memcmp(a + si, b + sj, li);
                        if (c != 0)
                                return c < 0 ? -1 : 1;
                        continue;
                }
                /* At least one side has a non-digit here. */
                if (i >= na)
                        return -1;
                if (j >= nb)
                        return 1;
                if (da)                 /* digits sort before letters */
                        return -1;
                if (db)
                        return 1;
                if (a[i] != b[j])
                        return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
                i++;
                j++;
        }
        return 0;
}

/* Compare dot-separated lists; a missing part counts as "0". */
static int
dotted_compare(const char *a, size_t na, const char *b, size_t nb)
{
        size_t i = 0, j = 0;

        while (i < na || j < nb) {
                size_t ei = i, ej = j;
                int c;

                while (ei < na && a[ei] != '.')
                        ei++;
                while (ej < nb && b[ej] != '.')
                        ej++;
                c = part_compare(a + i, ei - i, b + j, ej - j);
                if (c != 0)
                        return c;
                i = ei < na ? ei + 1 : ei;
                j = ej < nb ? ej + 1 : ej;
        }
        return 0;
}

static size_t
release_len(const char *s)
{
        return strcspn(s, "~-");
}

int
version_compare(const char *a, const char *b)
{
        size_t ra, rb;
        int c;

        a = version_skip_prefix(a);
        b = version_skip_prefix(b);
        ra = release_len(a);
        rb = release_len(b);
        c = dotted_compare(a, ra, b, rb);
        if (c != 0)
                return c;
        /* Same release: no suffix is newer than any pre-release suffix. */
        if (a[ra] == '\0' || b[rb] == '\0') {
                if (a[ra] == '\0' && b[rb] == '\0')
                        return 0;
                return a[ra] == '\0' ? 1 : -1;
        }
        a += ra + 1;
        b += rb + 1;
        return dotted_compare(a, strlen(a), b, strlen(b));
}

/* Package managers' orderings ----------------------------------------------- */

const char *
version_scheme_name(enum version_scheme s)
{
        switch (s) {
        case VERSION_DEBIAN: return "debian";
        case VERSION_RPM:    return "rpm";
        case VERSION_SEMANTIC: break;
        }
        return "semantic";
}

int
version_scheme_from_name(const char *name)
{
        for (int s = VERSION_SEMANTIC; s <= VERSION_RPM; s++)
                if (strcmp(name, version_scheme_name((enum version_scheme)s)) == 0)
                        return s;
        return -1;
}

/* The parts of [epoch:]main[-revision]: the epoch's value, main's bounds and
 * the revision (after the last "-", or NULL). */
struct evr {
        unsigned long long epoch;
        const char        *main;
        size_t             n_main;
        const char        *rev;
};

static void
evr_split(const char *v, struct evr *ret)
{
        const char *p = v, *dash;

        ret->epoch = 0;
        while (isdigit((unsigned char)*p))
                p++;
        if (p != v && *p == ':') {
                ret->epoch = strtoull(v, NULL, 10);
                v = p + 1;
        }
        dash = strrchr(v, '-');
        ret->main = v;
        ret->n_main = dash ? (size_t)(dash - v) : strlen(v);
        ret->rev = dash ? dash + 1 : NULL;
}

/* dpkg's order of a non-digit: "~" first, the end and digits next, then
 * letters, then everything else. */
static int
dpkg_order(int c)
{
        if (isdigit(c))
                return 0;
        if (isalpha(c))
                return c;
        if (c == '~')
                return -1;
        return c ? c + 256 : 0;
}

/* dpkg's verrevcmp over a[0..na) and b[0..nb). */
static int
dpkg_part_compare(const char *a, size_t na, const char *b, size_t nb)
{
        size_t i = 0, j = 0;

        while (i < na || j < nb) {
                int first_diff = 0;

                while ((i < na && !isdigit((unsigned char)a[i])) ||
                       (j < nb && !isdigit((unsigned char)b[j]))) {
                        int ac = dpkg_order(i < na ? (unsigned char)a[i] : 0);
                        int bc = dpkg_order(j < nb ? (unsigned char)b[j] : 0);

                        if (ac != bc)
                                return ac < bc ? -1 : 1;
                        i++;
                        j++;
                }
                while (i < na && a[i] == '0')
                        i++;
                while (j < nb && b[j] == '0')
                        j++;
                while (i < na && j < nb && isdigit((unsigned char)a[i]) &&
                       isdigit((unsigned char)b[j])) {
                        if (!first_diff)
                                first_diff = a[i] - b[j];
                        i++;
                        j++;
                }
                if (i < na && isdigit((unsigned char)a[i]))
                        return 1;
                if (j < nb && isdigit((unsigned char)b[j]))
                        return -1;
                if (first_diff)
                        return first_diff < 0 ? -1 : 1;
        }
        return 0;
}

static bool
rpm_sep(int c)
{
        return c && !isalnum(c) && c != '~' && c != '^';
}

/* rpmvercmp over a[0..na) and b[0..nb). */
static int
rpm_part_compare(const char *a, size_t na, const char *b, size_t nb)
{
        size_t i = 0, j = 0;

        for (;;) {
                int ca, cb;
                size_t si, sj;
                bool num;

                while (i < na && rpm_sep((unsigned char)a[i]))
                        i++;
                while (j < nb && rpm_sep((unsigned char)b[j]))
                        j++;
                ca = i < na ? (unsigned char)a[i] : 0;
                cb = j < nb ? (unsigned char)b[j] : 0;
                if (ca == '~' || cb == '~') {
                        if (ca != cb)
                                return ca == '~' ? -1 : 1;
                } else if (ca == '^' || cb == '^') {
                        if (ca == 0 || cb == 0)
                                return ca == 0 ? -1 : 1;
                        if (ca != cb)
                                return ca == '^' ? -1 : 1;
                } else if (ca == 0 || cb == 0) {
                        return ca == cb ? 0 : ca == 0 ? -1 : 1;
                } else {
                        num = isdigit(ca);
                        si = i;
                        sj = j;
                        while (i < na && (num ? isdigit((unsigned char)a[i])
                                              : isalpha((unsigned char)a[i])))
                                i++;
                        while (j < nb && (num ? isdigit((unsigned char)b[j])
                                              : isalpha((unsigned char)b[j])))
                                j++;
                        if (j == sj)            /* a number against letters */
                                return num ? 1 : -1;
                        if (num) {
                                int c = part_compare(a + si, i - si, b + sj, j - sj);

                                if (c != 0)
                                        return c;
                        } else {
                                size_t la = i - si, lb = j - sj;
                                int c = memcmp(a + si, b + sj, la < lb ? la : lb);

                                if (c != 0 || la != lb)
                                        return c < 0 || (c == 0 && la < lb) ? -1 : 1;
                        }
                        continue;
                }
                i++;
                j++;
        }
}

int
version_compare_as(enum version_scheme s, const char *a, const char *b)
{
        int (*part)(const char *, size_t, const char *, size_t);
        struct evr ea, eb;
        int c;

        if (s == VERSION_SEMANTIC)
                return version_compare(a, b);
        part = s == VERSION_DEBIAN ? dpkg_part_compare : rpm_part_compare;
        evr_split(a, &ea);
        evr_split(b, &eb);
        if (ea.epoch != eb.epoch)
                return ea.epoch < eb.epoch ? -1 : 1;
        if ((c = part(ea.main, ea.n_main, eb.main, eb.n_main)) != 0)
                return c;
        return part(ea.rev ? ea.rev : "", ea.rev ? strlen(ea.rev) : 0,
                    eb.rev ? eb.rev : "", eb.rev ? strlen(eb.rev) : 0);
}

char *
version_change(enum version_scheme s, const char *before, const char *after)
{
        struct evr ea, eb;
        size_t k = 0, cut = 0;

        if (s == VERSION_SEMANTIC || before == NULL || after == NULL)
                return NULL;
        evr_split(before, &ea);
        evr_split(after, &eb);
        if (ea.rev == NULL || eb.rev == NULL || ea.epoch != eb.epoch ||
            ea.n_main != eb.n_main || memcmp(ea.main, eb.main, ea.n_main) != 0 ||
            strcmp(ea.rev, eb.rev) == 0)
                return NULL;
        /* The common leading parts, cut after their last separator. */
        while (ea.rev[k] && ea.rev[k] == eb.rev[k]) {
                if (strchr("+~.", ea.rev[k]))
                        cut = k + 1;
                k++;
        }
        return xasprintf("%s -> %s", ea.rev + cut, eb.rev + cut);
}

/* Ranges ------------------------------------------------------------------ */

enum vop { VOP_EQ, VOP_NE, VOP_LT, VOP_LE, VOP_GT, VOP_GE };

struct vcmp {
        enum vop  op;
        char     *version;
};

struct valt {
        struct vcmp *v;
        size_t       n;
        size_t       alloc;
};

struct vrange {
        char        *text;
        struct valt *alt;
        size_t       n;
        size_t       alloc;
};

static const struct {
        const char *text;
        enum vop    op;
} vops[] = {
        { ">=", VOP_GE }, { "<=", VOP_LE }, { "==", VOP_EQ }, { "!=", VOP_NE },
        { ">", VOP_GT }, { "<", VOP_LT }, { "=", VOP_EQ },
};

void
vrange_free(struct vrange *r)
{
        if (r == NULL)
                return;
        for (size_t i = 0; i < r->n; i++) {
                for (size_t j = 0; j < r->alt[i].n; j++)
                        free(r->alt[i].v[j].version);
                free(r->alt[i].v);
        }
        free(r->alt);
        free(r->text);
        free(r);
}

/* Parse one alternative (s[0..n), no "||" inside) into alt. */
static int
valt_parse(struct valt *alt, const char *s, size_t n, struct diag *d)
{
        size_t i = 0;

        for (;;) {
                size_t opstart, vstart;
                const char *optext = "";
                enum vop op = VOP_EQ;
                char *ver;

                while (i < n && isspace((unsigned char)s[i]))
                        i++;
                if (i >= n)
                        break;
                opstart = i;
                for (size_t k = 0; k < ARRAY_SIZE(vops); k++) {
                        size_t l = strlen(vops[k].text);

                        if (n - i >= l && memcmp(s + i, vops[k].text, l) == 0) {
                                op = vops[k].op;
                                optext = vops[k].text;
                                i += l;
                                break;
                        }
                }
                while (i < n && isspace((unsigned char)s[i]))
                        i++;                    /* allow ">= 1.0" */
                vstart = i;
                while (i < n && !isspace((unsigned char)s[i]))
                        i++;
                ver = xstrndup(s + vstart, i - vstart);
                if (!version_valid(ver)) {
                        char *part = xstrndup(s + opstart, i - opstart);

                        if (*ver == '\0')
                                /* TRANSLATORS: %s is a comparison such as ">=". */
                                diag_set(d, _("\"%s\" is not followed by a version"),
                                         optext);
                        else
                                /* TRANSLATORS: "%s" is a part of a version
                                 * range, such as ">=1.x". */
                                diag_set(d, _("\"%s\" is not a comparison with a version "
                                              "(expected >=, <=, >, <, =, != and a version "
                                              "such as 1.4.3)"), part);
                        free(part);
                        free(ver);
                        return -EINVAL;
                }
                xgrow((void **)&alt->v, &alt->alloc, alt->n + 1, sizeof *alt->v);
                alt->v[alt->n].op = op;
                alt->v[alt->n].version = ver;
                alt->n++;
        }
        return 0;
}

int
vrange_parse(const char *text, struct vrange **ret, struct diag *d)
{
        struct vrange *r = xcalloc(1, sizeof *r);
        const char *p = text;

        r->text = xstrdup(text);
        for (;;) {
                const char *bar = strstr(p, "||");
                size_t n = bar ? (size_t)(bar - p) : strlen(p);
                struct valt *alt;

                xgrow((void **)&r->alt, &r->alloc, r->n + 1, sizeof *r->alt);
                alt = &r->alt[r->n++];
                memset(alt, 0, sizeof *alt);
                if (valt_parse(alt, p, n, d) < 0)
                        goto fail;
                if (alt->n == 0) {
                        if (r->n == 1 && bar == NULL)
                                diag_set(d, _("the range is empty"));
                        else
                                diag_set(d, _("an alternative around \"||\" is empty"));
                        goto fail;
                }
                if (bar == NULL)
                        break;
                p = bar + 2;
        }
        *ret = r;
        return 0;
fail:
        vrange_free(r);
        return -EINVAL;
}

static bool
vcmp_holds(const struct vcmp *c, enum version_scheme s, const char *version)
{
        int r = version_compare_as(s, version, c->version);

        switch (c->op) {
        case VOP_EQ: return r == 0;
        case VOP_NE: return r != 0;
        case VOP_LT: return r < 0;
        case VOP_LE: return r <= 0;
        case VOP_GT: return r > 0;
        case VOP_GE: return r >= 0;
        }
        return false;
}

bool
vrange_match(const struct vrange *r, const char *version)
{
        return vrange_match_as(r, VERSION_SEMANTIC, version);
}

bool
vrange_match_as(const struct vrange *r, enum version_scheme s, const char *version)
{
        if (r == NULL || version == NULL || !version_valid(version))
                return false;
        for (size_t i = 0; i < r->n; i++) {
                bool all = true;

                for (size_t j = 0; j < r->alt[i].n && all; j++)
                        all = vcmp_holds(&r->alt[i].v[j], s, version);
                if (all)
                        return true;
        }
        return false;
}

const char *
vrange_text(const struct vrange *r)
{
        return r ? r->text : NULL;
}
