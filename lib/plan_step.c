/* plan_step.c: the service, what step sections share (their keys, checks,
 * readiness) (man/upshift-plan.5), and plan_find(). Commands and scalars
 * are read by plan_cmd.c; each step's own keys by its module in steps/. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"

/* A check's own keys, beside those of its command (pcmd_keys()). */
static const char *const check_own_keys[] = {
        "same", "fail", "warn", "when", "at_least", "at_most", "differs", "within",
        "changes_data", NULL,
};

/* ready:'s own keys, beside those of its command. */
static const char *const ready_own_keys[] = {
        "http", "timeout", "interval", "ca_file", "cert_file", "key_file",
        "follow_redirects", NULL,
};

/* The first key of n that is in keys (NULL-terminated, freed here), or NULL;
 * its name in *ret_key. */
static struct ynode *
pfirst_of(const struct ynode *n, const char **keys, const char **ret_key)
{
        struct ynode *v = NULL;

        for (size_t i = 0; keys[i] && v == NULL; i++)
                if ((v = popt(n, keys[i])))
                        *ret_key = keys[i];
        free(keys);
        return v;
}

static const char *const service_keys[] = {
        "systemd", "sysv", "openrc", "manager", "name", "pidfile", "start", "stop",
        "port", "timeout", NULL,
};

/* changes_data: of a check with a command. A check is never confirmed as a
 * data change nor a point of no return, and runs again on resume: false
 * says so (a configuration test, as in a migration); true is refused. */
static int
pcheck_changes_data(struct pctx *c, const struct ynode *n)
{
        struct ynode *v = popt(n, "changes_data");
        bool changes = false;
        int r;

        if (v == NULL)
                return 0;
        if (!popt(n, "run") && !popt(n, "shell"))
                return perr(c, v, _("changes_data: needs run: or shell: in the same check"));
        if ((r = pbool(c, v, &changes)) < 0)
                return r;
        if (changes)
                return perr(c, v, _("a check's command cannot change data (checks are not "
                                    "confirmed, journaled or undone): make it a migration, "
                                    "with online: true if it needs the service running"));
        return 0;
}

int
pcheck(struct pctx *c, const struct ynode *n, struct check *ck)
{
        const char **keys = pcmd_keys(PCMD_IN_CHECK, 0, check_own_keys), *key = NULL;
        struct ynode *v;
        int r;

        r = pkeys(c, n, keys, _("a check"));
        free(keys);
        if (r < 0)
                return r;
        ck->pos = pnode_pos(n);
        if (!popt(n, "run") && !popt(n, "shell") && !pcheck_has_compare(n) &&
            !popt(n, "fail") && !popt(n, "warn"))
                return perr(c, n, _("a check needs run:, shell:, same: (or at_least:, "
                                    "at_most:, differs:), fail: or warn:"));
        if (popt(n, "fail") && popt(n, "warn"))
                return perr(c, popt(n, "warn"), _("a check takes fail: or warn:, not both"));
        if (popt(n, "run") || popt(n, "shell")) {
                ck->cmd = xcalloc(1, sizeof *ck->cmd);
                if ((r = pcmd_fields(c, n, ck->cmd, PCMD_NO_WHEN, -1)) < 0)
                        return r;
        } else if ((v = pfirst_of(n, pcmd_keys(PCMD_IN_CHECK, PCMD_IN_RUN, NULL), &key))) {
                /* TRANSLATORS: %s is a key such as "match". */
                return perr(c, v, _("%s: needs run: or shell: in the same check"), key);
        }
        if ((v = popt(n, "same"))) {
                if (v->kind != YNODE_SCALAR)
                        return perr(c, v, _("expected the name of a fact"));
                ck->same = xstrdup(v->str);
                pname_add(&c->facts_used, v->str, v);
        }
        if ((r = pcheck_compare(c, n, ck)) < 0)
                return r;
        if ((r = pcheck_changes_data(c, n)) < 0)
                return r;
        if ((v = popt(n, "fail")) && (r = pstr(c, v, &ck->fail)) < 0)
                return r;
        if ((v = popt(n, "warn")) && (r = pstr(c, v, &ck->warn)) < 0)
                return r;
        if ((v = popt(n, "when")) && (r = pcond(c, v, &ck->when)) < 0)
                return r;
        return 0;
}

int
pchecks(struct pctx *c, const struct ynode *n, struct check **ret, size_t *ret_n)
{
        int r;

        if (ynode_is_null(n))
                return 0;
        if (n->kind != YNODE_SEQ)
                return perr(c, n, _("expected a list of checks"));
        *ret = xcalloc(n->n ? n->n : 1, sizeof **ret);
        for (size_t i = 0; i < n->n; i++) {
                r = pcheck(c, n->items[i], &(*ret)[i]);
                *ret_n = i + 1;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ready: http: URL and the keys that go with it (man/upshift-plan.5). */
static int
pready_http(struct pctx *c, const struct ynode *n, const struct ynode *url,
            struct ready_spec *rs)
{
        static const char *const tls[] = { "ca_file", "cert_file", "key_file", NULL };
        char **tls_ret[] = { &rs->ca_file, &rs->cert_file, &rs->key_file };
        const char *key = NULL;
        struct ynode *v;
        int r;

        if ((r = pstr(c, url, &rs->http)) < 0)
                return r;
        if (!str_startswith(rs->http, "http://") && !str_startswith(rs->http, "https://") &&
            !str_startswith(rs->http, "${"))
                return perr(c, url, _("expected an http:// or https:// URL"));
        v = pfirst_of(n, pcmd_keys(PCMD_IN_READY, PCMD_IN_HTTP | PCMD_IN_RUN, NULL), &key);
        if (v)
                /* TRANSLATORS: %s is a key such as "env". */
                return perr(c, v, _("%s: needs run: or shell: in the same ready"), key);
        for (size_t i = 0; tls[i]; i++) {
                if ((v = popt(n, tls[i])) == NULL)
                        continue;
                if (str_startswith(rs->http, "http://"))
                        /* TRANSLATORS: %s is a key such as "ca_file". */
                        return perr(c, v, _("%s: applies to an https:// URL only, and "
                                            "http: is an http:// URL"), tls[i]);
                if ((r = pstr(c, v, tls_ret[i])) < 0)
                        return r;
        }
        if ((v = popt(n, "key_file")) && !popt(n, "cert_file"))
                return perr(c, v, _("key_file: needs cert_file: (the client certificate "
                                    "it is the key of)"));
        if ((v = popt(n, "match")) && (r = pregex(c, v, &rs->match)) < 0)
                return r;
        if ((v = popt(n, "follow_redirects")) && (r = pbool(c, v, &rs->follow_redirects)) < 0)
                return r;
        return 0;
}

int
pready(struct pctx *c, const struct ynode *n, struct ready_spec *rs)
{
        const char **keys;
        struct ynode *v;
        int given = 0, r;

        if (ynode_is_null(n))
                return 0;
        keys = pcmd_keys(PCMD_IN_READY, 0, ready_own_keys);
        r = pkeys(c, n, keys, _("ready"));
        free(keys);
        if (r < 0)
                return r;
        rs->pos = pnode_pos(n);
        given = !!popt(n, "run") + !!popt(n, "shell") + !!popt(n, "http");
        if (given != 1)
                return perr(c, n, _("ready: takes exactly one of run:, shell: or http:"));
        if ((v = popt(n, "http"))) {
                if ((r = pready_http(c, n, v, rs)) < 0)
                        return r;
        } else {
                static const char *const http_only[] = {
                        "ca_file", "cert_file", "key_file", "follow_redirects", NULL,
                };

                for (size_t i = 0; http_only[i]; i++)
                        if ((v = popt(n, http_only[i])))
                                /* TRANSLATORS: %s is a key such as "ca_file". */
                                return perr(c, v, _("%s: needs http: in the same ready"),
                                            http_only[i]);
                rs->cmd = xcalloc(1, sizeof *rs->cmd);
                r = pcmd_fields(c, n, rs->cmd, PCMD_NO_TIMEOUT | PCMD_NO_WHEN, -1);
                if (r < 0)
                        return r;
        }
        if ((v = popt(n, "timeout")) && (r = pduration(c, v, &rs->timeout_ms)) < 0)
                return r;
        if ((v = popt(n, "interval")) && (r = pduration(c, v, &rs->interval_ms)) < 0)
                return r;
        return 0;
}

int
pservice(struct pctx *c, const struct ynode *n)
{
        static const struct {
                const char *name;
                enum svc_manager m;
        } mgrs[] = {
                { "systemd", SVC_SYSTEMD }, { "sysv", SVC_SYSV },
                { "openrc", SVC_OPENRC }, { "pidfile", SVC_PIDFILE }, { "none", SVC_NONE },
        };
        struct service_spec *s = &c->p->service;
        struct ynode *v, *mv;
        int r, shorthand = 0;

        if ((r = pkeys(c, n, service_keys, _("service"))) < 0)
                return r;
        s->pos = pnode_pos(n);
        for (size_t i = 0; i < 3; i++) {
                if ((v = popt(n, mgrs[i].name)) == NULL)
                        continue;
                if (shorthand++ || popt(n, "manager") || popt(n, "name"))
                        return perr(c, v, _("give the service as systemd:, sysv: or "
                                            "openrc: NAME, or as manager: and name:, "
                                            "not both"));
                s->manager = mgrs[i].m;
                if ((r = pstr(c, v, &s->name)) < 0)
                        return r;
        }
        if ((mv = popt(n, "manager"))) {
                if (mv->kind != YNODE_SCALAR)
                        return perr(c, mv, _("expected a string"));
                if (str_startswith(mv->str, "${")) {
                        s->manager = SVC_FROM_VAR;
                        if ((r = pstr(c, mv, &s->manager_var)) < 0)
                                return r;
                } else {
                        size_t i;

                        for (i = 0; i < ARRAY_SIZE(mgrs); i++)
                                if (strcmp(mgrs[i].name, mv->str) == 0)
                                        break;
                        if (i == ARRAY_SIZE(mgrs))
                                return perr(c, mv, _("unknown service manager (expected "
                                                     "one of: systemd, sysv, openrc, "
                                                     "pidfile, none, or \"${key}\")"));
                        s->manager = mgrs[i].m;
                }
        }
        if ((v = popt(n, "name")) && (r = pstr(c, v, &s->name)) < 0)
                return r;
        if ((v = popt(n, "pidfile")) && (r = pstr(c, v, &s->pidfile)) < 0)
                return r;
        if ((v = popt(n, "start")) && (r = pcmd_new(c, v, &s->start)) < 0)
                return r;
        if ((v = popt(n, "stop")) && (r = pcmd_new(c, v, &s->stop)) < 0)
                return r;
        if ((v = popt(n, "port"))) {
                long port;

                if ((r = pstr(c, v, &s->port)) < 0)
                        return r;
                if (!strstr(s->port, "${") &&
                    (pint(c, v, &port) < 0 || port < 1 || port > 65535))
                        return perr(c, v, _("expected a TCP port number (1 to 65535)"));
        }
        if ((v = popt(n, "timeout")) && (r = pduration(c, v, &s->timeout_ms)) < 0)
                return r;
        if ((s->manager == SVC_SYSTEMD || s->manager == SVC_SYSV ||
             s->manager == SVC_OPENRC) && s->name == NULL)
                return pmissing(c, n, "name", _("service"));
        if (s->manager == SVC_PIDFILE && s->pidfile == NULL)
                return pmissing(c, n, "pidfile", _("service"));
        if (s->manager == SVC_PIDFILE && s->start == NULL)
                return pmissing(c, n, "start", _("service"));
        return 0;
}

int
popt_cmdlist(struct pctx *c, const struct ynode *n, const char *key, struct cmdlist *l)
{
        struct ynode *v = popt(n, key);

        return v ? pcmdlist(c, v, l) : 0;
}

/* Refuse a plan that others than its owner may change. */
static int
check_not_writable(const char *name, const char *path, struct diag *d)
{
        struct stat st;

        if (stat(path, &st) < 0) {
                diag_set(d, _("cannot read \"%s\": %s"), path, strerror(errno));
                return -errno;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                /* TRANSLATORS: 'refusing plan "redis": "/etc/upshift/plans" is
                 * writable by others' */
                diag_set(d, _("refusing plan \"%s\": \"%s\" is writable by others"),
                         name, path);
                return -EPERM;
        }
        return 0;
}

char *
plan_find(const char *name, const char *const *dirs, struct diag *d)
{
        static const char *const exts[] = { ".yaml", ".yml" };
        char *looked;

        if (strchr(name, '/') || str_endswith(name, ".yaml") || str_endswith(name, ".yml"))
                return xstrdup(name);
        for (size_t i = 0; dirs && dirs[i]; i++) {
                for (size_t j = 0; j < ARRAY_SIZE(exts); j++) {
                        char *base = xasprintf("%s%s", name, exts[j]);
                        char *path = path_join(dirs[i], base);
                        struct stat st;

                        free(base);
                        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                                free(path);
                                continue;
                        }
                        if (check_not_writable(name, path, d) < 0 ||
                            check_not_writable(name, dirs[i], d) < 0) {
                                free(path);
                                return NULL;
                        }
                        return path;
                }
        }
        looked = strv_join((char *const *)dirs, 0, "");
        for (size_t i = 0; dirs && dirs[i]; i++) {
                char *t = xasprintf("%s%s%s", looked, i ? ", " : "", dirs[i]);

                free(looked);
                looked = t;
        }
        if (*looked == '\0')
                diag_set(d, _("no plan \"%s\" (no plan directory to look in)"), name);
        else
                /* TRANSLATORS: 'no plan "redis" in /a, /b (upshift list shows
                 * the plans found)' */
                diag_set(d, _("no plan \"%s\" in %s (upshift list shows the plans found)"),
                         name, looked);
        free(looked);
        return NULL;
}
