/* plan_disable.c: disconnect: disable: in plans (man/upshift-plan.5): the
 * systemd units and timers, and the crontab lines, that disconnect turns off
 * and reconnect turns back on. What they do at run time is in
 * steps/disable.c. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"

static const char *const disable_keys[] = { "systemd", "crontab", "match", "when", NULL };

void
disable_release(struct disable_item *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].unit);
                free(v[i].file);
                free(v[i].match);
                cond_release(&v[i].when);
        }
        free(v);
}

static int
pdisable_item(struct pctx *c, const struct ynode *n, struct disable_item *it)
{
        const char *where = _("a disable: item");
        struct ynode *sd, *ct, *v;
        int r;

        if (n->kind != YNODE_MAP)
                return perr(c, n, _("expected a disable: item: a mapping with systemd: UNIT, "
                                    "or crontab: FILE and match: REGEX"));
        if ((r = pkeys(c, n, disable_keys, where)) < 0)
                return r;
        it->pos = pnode_pos(n);
        sd = popt(n, "systemd");
        ct = popt(n, "crontab");
        if (!!sd + !!ct != 1)
                return perr(c, n, _("a disable: item takes exactly one of systemd: (a unit, "
                                    "timer or pattern) and crontab: (a crontab file)"));
        if (sd) {
                it->kind = DISABLE_SYSTEMD;
                if ((r = pstr(c, sd, &it->unit)) < 0)
                        return r;
                if (it->unit[0] == '\0' || strpbrk(it->unit, " \t/"))
                        return perr(c, sd, _("expected a systemd unit name such as "
                                             "kopia-server.service or a pattern such as "
                                             "'kopia*.timer'"));
                if ((v = popt(n, "match")))
                        return perr(c, v, _("match: is for crontab: items (a systemd: item "
                                            "names its unit or pattern)"));
        } else {
                it->kind = DISABLE_CRONTAB;
                if ((r = pstr(c, ct, &it->file)) < 0)
                        return r;
                if (it->file[0] == '\0')
                        return perr(c, ct, _("expected the path of a crontab file"));
                if ((v = popt(n, "match")) == NULL)
                        return pmissing(c, n, "match", _("a crontab: item"));
                if ((r = pregex(c, v, &it->match)) < 0)
                        return r;
        }
        if ((v = popt(n, "when")) && (r = pcond(c, v, &it->when)) < 0)
                return r;
        return 0;
}

int
pdisable(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        int r;

        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of things to disable (systemd: or "
                                    "crontab: items)"));
        p->disconnect.disable = xcalloc(n->n + 1, sizeof *p->disconnect.disable);
        for (size_t i = 0; i < n->n; i++) {
                p->disconnect.n_disable = i + 1;
                if ((r = pdisable_item(c, n->items[i], &p->disconnect.disable[i])) < 0)
                        return r;
        }
        return 0;
}
