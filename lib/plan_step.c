/* plan_step.c: the service, the eight step keys, checks and readiness of a
 * plan (man/upshift-plan.5), and plan_find(). Commands and scalars are read
 * by plan_cmd.c. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/i18n.h"
#include "lib/plan_int.h"

static const char *const check_keys[] = {
        "run", "shell", "env", "cwd", "timeout", "match", "ignore", "lines",
        "may_fail", "same", "fail", "warn", "when", NULL,
};

static const char *const ready_keys[] = {
        "run", "shell", "env", "cwd", "match", "ignore", "http", "timeout",
        "interval", NULL,
};

static const char *const service_keys[] = {
        "systemd", "sysv", "openrc", "manager", "name", "pidfile", "start", "stop",
        "port", "timeout", NULL,
};
static const char *const detect_keys[] = {
        "version", "facts", "checks", "checklist", "confirm", NULL,
};
static const char *const backup_keys[] = {
        "paths", "before", "cold", "compression", "level", "checklist", "confirm", NULL,
};
static const char *const disconnect_keys[] = {
        "clients", "drain", "kick", "timeout", "run", "disable", "checklist", "confirm", NULL,
};
static const char *const run_keys[] = { "run", "checklist", "confirm", NULL };
static const char *const swap_keys[] = {
        "package", "sha256", "files", "run", "allow_setid", "max_size", "checklist",
        "confirm", NULL,
};
static const char *const migrate_keys[] = { "steps", "checklist", "confirm", NULL };
static const char *const migration_keys[] = {
        "when", "run", "point_of_no_return", "probe", NULL,
};
static const char *const verify_keys[] = {
        "ready", "checks", "checklist", "confirm", NULL,
};

int
pcheck(struct pctx *c, const struct ynode *n, struct check *ck)
{
        static const char *const cmd_only[] = {
                "env", "cwd", "timeout", "match", "ignore", "lines", "may_fail", NULL,
        };
        struct ynode *v;
        int r;

        if ((r = pkeys(c, n, check_keys, _("a check"))) < 0)
                return r;
        ck->pos = pnode_pos(n);
        if (!popt(n, "run") && !popt(n, "shell") && !popt(n, "same") &&
            !popt(n, "fail") && !popt(n, "warn"))
                return perr(c, n, _("a check needs run:, shell:, same:, fail: or warn:"));
        if (popt(n, "fail") && popt(n, "warn"))
                return perr(c, popt(n, "warn"), _("a check takes fail: or warn:, not both"));
        if (popt(n, "run") || popt(n, "shell")) {
                ck->cmd = xcalloc(1, sizeof *ck->cmd);
                if ((r = pcmd_fields(c, n, ck->cmd, PCMD_NO_WHEN, -1)) < 0)
                        return r;
        } else {
                for (size_t i = 0; cmd_only[i]; i++)
                        if ((v = popt(n, cmd_only[i])))
                                /* TRANSLATORS: %s is a key such as "match". */
                                return perr(c, v, _("%s: needs run: or shell: in the "
                                                    "same check"), cmd_only[i]);
        }
        if ((v = popt(n, "same"))) {
                if (v->kind != YNODE_SCALAR)
                        return perr(c, v, _("expected the name of a fact"));
                ck->same = xstrdup(v->str);
                pname_add(&c->facts_used, v->str, v);
        }
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

int
pready(struct pctx *c, const struct ynode *n, struct ready_spec *rs)
{
        struct ynode *v;
        int given = 0, r;

        if (ynode_is_null(n))
                return 0;
        if ((r = pkeys(c, n, ready_keys, _("ready"))) < 0)
                return r;
        rs->pos = pnode_pos(n);
        given = !!popt(n, "run") + !!popt(n, "shell") + !!popt(n, "http");
        if (given != 1)
                return perr(c, n, _("ready: takes exactly one of run:, shell: or http:"));
        if ((v = popt(n, "http"))) {
                if ((r = pstr(c, v, &rs->http)) < 0)
                        return r;
                if (!str_startswith(rs->http, "http://") &&
                    !str_startswith(rs->http, "https://") &&
                    !str_startswith(rs->http, "${"))
                        return perr(c, v, _("expected an http:// or https:// URL"));
        } else {
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

static int
pdetect(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        const char *where = _("detect");
        struct ynode *v;
        int r;

        if (ynode_is_null(n))
                return pmissing(c, n, "version", where);
        if ((r = pkeys(c, n, detect_keys, where)) < 0)
                return r;
        if ((v = popt(n, "version")) == NULL)
                return pmissing(c, n, "version", where);
        if ((r = pcmd(c, v, &p->detect.version)) < 0)
                return r;
        if (p->detect.version.match == NULL)
                return perr(c, v, _("detect version: needs match: (a regular expression "
                                    "whose group 1 is the version)"));
        if ((v = popt(n, "facts"))) {
                if (v->kind != YNODE_MAP)
                        return perr(c, v, _("expected a mapping of fact names to commands"));
                p->detect.facts = xcalloc(v->n + 1, sizeof *p->detect.facts);
                for (size_t i = 0; i < v->n; i++) {
                        struct fact *f = &p->detect.facts[i];
                        const struct ynode *k = v->pairs[i].key;

                        p->detect.n_facts = i + 1;
                        if (!pis_key(k->str, false))
                                return perr(c, k, _("bad fact name (expected lower-case "
                                                    "letters, digits and \"_\")"));
                        f->name = xstrdup(k->str);
                        f->pos = pnode_pos(k);
                        if ((r = pcmd(c, v->pairs[i].value, &f->cmd)) < 0)
                                return r;
                }
        }
        if ((v = popt(n, "checks")) &&
            (r = pchecks(c, v, &p->detect.checks, &p->detect.n_checks)) < 0)
                return r;
        return 0;
}

static int
pbackup(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        long level;
        int r;

        if ((v = popt(n, "paths")) && (r = pstrv(c, v, &p->backup.paths)) < 0)
                return r;
        if ((v = popt(n, "before")) && (r = pcmdlist(c, v, &p->backup.before)) < 0)
                return r;
        if ((v = popt(n, "cold")) && (r = pbool(c, v, &p->backup.cold)) < 0)
                return r;
        if ((v = popt(n, "compression"))) {
                static const char *const comp[] = { "zstd", "gzip", "xz", "none", NULL };

                if (v->kind != YNODE_SCALAR || strv_find((char *const *)comp, 4, v->str) < 0)
                        return perr(c, v, _("unknown compression (expected one of: zstd, "
                                            "gzip, xz, none)"));
                free(p->backup.compression);
                p->backup.compression = xstrdup(v->str);
        }
        if ((v = popt(n, "level"))) {
                long max = strcmp(p->backup.compression, "zstd") == 0 ? 19 : 9;

                if (pint(c, v, &level) < 0 || level < 1 || level > max)
                        return perr(c, v, _("expected a compression level from 1 to %ld"),
                                    max);
                p->backup.level = (int)level;
        }
        return 0;
}

static int
pdisconnect(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        int r;

        if ((v = popt(n, "clients")) && (r = pcmd_new(c, v, &p->disconnect.clients)) < 0)
                return r;
        if ((v = popt(n, "drain")) && (r = pduration(c, v, &p->disconnect.drain_ms)) < 0)
                return r;
        if ((v = popt(n, "kick")) && (r = pcmdlist(c, v, &p->disconnect.kick)) < 0)
                return r;
        if ((v = popt(n, "timeout")) &&
            (r = pduration(c, v, &p->disconnect.timeout_ms)) < 0)
                return r;
        if ((v = popt(n, "run")) && (r = pcmdlist(c, v, &p->disconnect.run)) < 0)
                return r;
        if ((v = popt(n, "disable")) && (r = pdisable(c, v)) < 0)
                return r;
        return 0;
}

static int
pswap(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v, *files = popt(n, "files");
        int r;

        if (files == NULL && popt(n, "run") == NULL)
                return perr(c, n, _("swap needs files: (what to take from the package) "
                                    "or run: (an installer), or both"));
        if ((v = popt(n, "package")) && (r = pstr(c, v, &p->swap.package)) < 0)
                return r;
        if ((v = popt(n, "sha256")) && (r = pstr(c, v, &p->swap.sha256)) < 0)
                return r;
        if (p->swap.sha256 && !strstr(p->swap.sha256, "${") &&
            (strlen(p->swap.sha256) != 64 ||
             strspn(p->swap.sha256, "0123456789abcdefABCDEF") != 64))
                return perr(c, v, _("expected 64 hexadecimal digits (a SHA-256)"));
        if ((v = popt(n, "run")) && (r = pcmdlist(c, v, &p->swap.run)) < 0)
                return r;
        if ((v = popt(n, "allow_setid")) && (r = pbool(c, v, &p->swap.allow_setid)) < 0)
                return r;
        if ((v = popt(n, "max_size"))) {
                if (v->kind != YNODE_SCALAR || size_parse(v->str, &p->swap.max_bytes) < 0)
                        return perr(c, v, _("expected a size such as 512M or 2G"));
        }
        if (files == NULL)
                return 0;
        if (files->kind != YNODE_MAP)
                return perr(c, files, _("expected a mapping of package members to "
                                        "target paths"));
        if (p->swap.package == NULL)
                return pmissing(c, n, "package", _("swap (files: come from a package)"));
        p->swap.files = xcalloc(files->n + 1, sizeof *p->swap.files);
        for (size_t i = 0; i < files->n; i++) {
                struct filemap *fm = &p->swap.files[i];
                const struct ynode *k = files->pairs[i].key;
                const char *m = k->str;

                p->swap.n_files = i + 1;
                if (*m == '\0' || *m == '/' || strcmp(m, "..") == 0 ||
                    str_startswith(m, "../") || strstr(m, "/../") || str_endswith(m, "/.."))
                        return perr(c, k, _("bad package member \"%s\" (expected a "
                                            "relative path without \"..\")"), m);
                fm->member = xstrdup(m);
                fm->pos = pnode_pos(k);
                if ((r = pstr(c, files->pairs[i].value, &fm->target)) < 0)
                        return r;
                fm->dir = str_endswith(m, "/");
                if (fm->dir && !str_endswith(fm->target, "/"))
                        /* TRANSLATORS: a package member ending in "/", then its target. */
                        return perr(c, files->pairs[i].value,
                                    _("\"%s\" is a directory of the package, so its target "
                                      "must be a directory too: end \"%s\" with \"/\""),
                                    m, fm->target);
                if (!fm->dir && str_endswith(fm->target, "/"))
                        return perr(c, files->pairs[i].value,
                                    _("the target \"%s\" ends in \"/\" but \"%s\" is one "
                                      "file: end the member with \"/\" to map a directory, "
                                      "or name the target file"), fm->target, m);
        }
        return 0;
}

static int
pmigration(struct pctx *c, const struct ynode *n, struct migration *m)
{
        const char *where = _("a migration");
        struct ynode *v;
        int r;

        if (n->kind != YNODE_MAP)
                return perr(c, n, _("expected a migration: a mapping with run:"));
        if ((r = pkeys(c, n, migration_keys, where)) < 0)
                return r;
        m->pos = pnode_pos(n);
        if ((v = popt(n, "run")) == NULL)
                return pmissing(c, n, "run", where);
        if ((r = pcmdlist(c, v, &m->run)) < 0)
                return r;
        if ((v = popt(n, "when")) && (r = pcond(c, v, &m->when)) < 0)
                return r;
        if ((v = popt(n, "point_of_no_return")) &&
            (r = pstr(c, v, &m->point_of_no_return)) < 0)
                return r;
        if ((v = popt(n, "probe")) && (r = pcmd_new(c, v, &m->probe)) < 0)
                return r;
        return 0;
}

static int
pmigrate(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        const struct ynode *list = n;
        int r;

        if (n->kind == YNODE_MAP) {
                if ((r = pkeys(c, n, migrate_keys, _("migrate"))) < 0)
                        return r;
                list = popt(n, "steps");
        }
        if (ynode_is_null(list))
                return 0;
        if (list->kind != YNODE_SEQ)
                return perr(c, list, _("expected a list of migrations"));
        p->migrate.v = xcalloc(list->n + 1, sizeof *p->migrate.v);
        for (size_t i = 0; i < list->n; i++) {
                p->migrate.n = i + 1;
                if ((r = pmigration(c, list->items[i], &p->migrate.v[i])) < 0)
                        return r;
        }
        return 0;
}

static int
pverify(struct pctx *c, const struct ynode *n)
{
        struct plan *p = c->p;
        struct ynode *v;
        int r;

        if ((v = popt(n, "ready")) && (r = pready(c, v, &p->verify.ready)) < 0)
                return r;
        if ((v = popt(n, "checks")) &&
            (r = pchecks(c, v, &p->verify.checks, &p->verify.n_checks)) < 0)
                return r;
        return 0;
}

static int
pruncmds(struct pctx *c, const struct ynode *n, struct cmdlist *l)
{
        struct ynode *v = popt(n, "run");

        return v ? pcmdlist(c, v, l) : 0;
}

int
pstep_key(struct pctx *c, enum step_id id, const struct ynode *n)
{
        static const char *const *const keys[STEP_COUNT] = {
                [STEP_DETECT] = detect_keys, [STEP_BACKUP] = backup_keys,
                [STEP_DISCONNECT] = disconnect_keys, [STEP_STOP] = run_keys,
                [STEP_SWAP] = swap_keys, [STEP_MIGRATE] = migrate_keys,
                [STEP_VERIFY] = verify_keys, [STEP_RECONNECT] = run_keys,
        };
        struct plan *p = c->p;
        int r;

        if ((r = pstep(c, id, n)) < 0)
                return r;
        if (id == STEP_DETECT)
                return pdetect(c, n);
        if (id == STEP_MIGRATE)
                return pmigrate(c, n);
        if (ynode_is_null(n) && id != STEP_SWAP)
                return 0;
        if ((r = pkeys(c, n, keys[id], step_key(id))) < 0)
                return r;
        switch (id) {
        case STEP_BACKUP:       return pbackup(c, n);
        case STEP_DISCONNECT:   return pdisconnect(c, n);
        case STEP_STOP:         return pruncmds(c, n, &p->stop.run);
        case STEP_SWAP:         return pswap(c, n);
        case STEP_VERIFY:       return pverify(c, n);
        case STEP_RECONNECT:    return pruncmds(c, n, &p->reconnect.run);
        default:                return 0;
        }
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
