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
                if (!isalnum((unsigned char)*s) && strchr(".~+-_", *s) == NULL)
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
vcmp_holds(const struct vcmp *c, const char *version)
{
        int r = version_compare(version, c->version);

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
        if (r == NULL || version == NULL || !version_valid(version))
                return false;
        for (size_t i = 0; i < r->n; i++) {
                bool all = true;

                for (size_t j = 0; j < r->alt[i].n && all; j++)
                        all = vcmp_holds(&r->alt[i].v[j], version);
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
