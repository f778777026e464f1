/* upshift plan: what would be done, every command resolved; changes nothing. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/exec.h"
#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/service.h"
#include "lib/util.h"
#include "steps/step.h"

struct show {
        const struct plan *p;
        struct vars       *vars;
        FILE              *out;
        unsigned           hop, n_hops;        /* showing hop N of a path, or 0 */
};

/* Expand for display: secrets masked; never fails. Each ${name} is
 * expanded on its own, so an unknown one stays as written and the known
 * ones around it are still shown resolved. */
static char *
show_str(struct show *s, const char *in)
{
        struct strbuf sb = {0};
        const char *p = in;

        if (in == NULL)
                return xstrdup("");
        strbuf_adds(&sb, "");
        while (*p) {
                const char *end = p[0] == '$' && p[1] == '{' ? strchr(p + 2, '}') : NULL;
                char *one, *out = NULL;

                if (p[0] == '$' && p[1] == '$') {
                        strbuf_addch(&sb, '$');
                        p += 2;
                        continue;
                }
                if (end == NULL) {
                        size_t n = strcspn(p + 1, "$") + 1;

                        strbuf_add(&sb, p, n);
                        p += n;
                        continue;
                }
                one = xstrndup(p, (size_t)(end + 1 - p));
                if (vars_expand_masked(s->vars, one, &out, NULL) < 0)
                        strbuf_adds(&sb, one);
                else
                        strbuf_adds(&sb, out);
                free(out);
                free(one);
                p = end + 1;
        }
        return strbuf_detach(&sb);
}

static void
show_cond(struct show *s, const struct cond *c)
{
        if (!c->set)
                return;
        fprintf(s->out, _("      when"));
        if (c->version)
                fprintf(s->out, _(" version %s"), vrange_text(c->version));
        if (c->target)
                fprintf(s->out, _(" target %s"), vrange_text(c->target));
        for (size_t i = 0; i < c->facts.n; i++)
                fprintf(s->out, _(" fact %s =~ /%s/"), c->facts.v[i].key, c->facts.v[i].value);
        for (size_t i = 0; i < c->answers.n; i++)
                fprintf(s->out, _(" %s = %s"), c->answers.v[i].key, c->answers.v[i].value);
        fprintf(s->out, ":\n");
}

static void
show_cmd(struct show *s, const char *label, const struct cmd *c)
{
        char *line;

        if (c == NULL)
                return;
        show_cond(s, &c->when);
        if (c->foreach) {
                /* TRANSLATORS: %s is a fact name; ${item} is plan syntax. */
                fprintf(s->out, _("      for each line of %s, as ${item}:\n"), c->foreach);
                vars_set(s->vars, "item", "${item}");
        }
        if (c->shell) {
                line = exec_shell_display(c->shell);
        } else {
                struct strv v = {0};

                for (size_t i = 0; i < c->argv.n; i++)
                        strv_push_take(&v, show_str(s, c->argv.v[i]));
                line = exec_argv_display(v.v);
                strv_release(&v);
        }
        fprintf(s->out, "      %s%s$ %s", label ? label : "", label ? ": " : "", line);
        if (c->ignore)
                fprintf(s->out, _("   (leaving out lines matching /%s/)"), c->ignore);
        if (c->match) {
                char *m = show_str(s, c->match);

                fprintf(s->out, _("   (must match /%s/)"), m);
                free(m);
        }
        if (c->timeout_ms) {
                char d[32];

                duration_format(d, sizeof d, c->timeout_ms);
                fprintf(s->out, _("   (timeout %s)"), d);
        }
        fprintf(s->out, "\n");
        free(line);
}

static void
show_cmds(struct show *s, const char *label, const struct cmdlist *l)
{
        for (size_t i = 0; i < l->n; i++)
                show_cmd(s, label, &l->v[i]);
}

static void
show_checks(struct show *s, const struct check *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                show_cond(s, &v[i].when);
                if (v[i].cmd)
                        show_cmd(s, _("check"), v[i].cmd);
                if (v[i].same)
                        fprintf(s->out, _("      check: %s is the same as before the upgrade\n"), v[i].same);
                if (v[i].fail) {
                        char *m = show_str(s, v[i].fail);

                        fprintf(s->out, _("      otherwise stop: %s\n"), m);
                        free(m);
                }
                if (v[i].warn) {
                        char *m = show_str(s, v[i].warn);

                        fprintf(s->out, _("      otherwise warn: %s\n"), m);
                        free(m);
                }
        }
}

static void
show_service(struct show *s, const char *verb, const struct cmd *c)
{
        const struct service_spec *sp = &s->p->service;
        char *name = show_str(s, sp->name), *pid = show_str(s, sp->pidfile);
        char *mgr = sp->manager == SVC_FROM_VAR ? show_str(s, sp->manager_var)
                                                : xstrdup(service_manager_name(sp->manager));

        fprintf(s->out, _("      %s the service (manager %s%s%s%s%s)\n"), verb, mgr, *name ? ", " : "", name,
               *pid ? _(", pidfile ") : "", pid);
        if (c)
                show_cmd(s, NULL, c);
        free(name);
        free(pid);
        free(mgr);
}

/* A files: mapping of a directory: every file below it in the package,
 * when the package can be read now; else the mapping itself. */
static void
show_swap_dir(struct show *s, const struct filemap *fm, const char *t)
{
        struct strv members = {0}, rels = {0}, links = {0};
        char *pkg = show_str(s, s->p->swap.package), *const one[] = { fm->member };

        if (strstr(pkg, "${") != NULL || access(pkg, R_OK) != 0 ||
            package_list(pkg, one, 1, &members, &rels, &links, NULL) < 0) {
                fprintf(s->out, _("      %s <- %s (every file and symlink below it; old files kept as .upshift-old)\n"),
                        t, fm->member);
        } else {
                for (size_t j = 0; j < members.n; j++) {
                        if (*links.v[j])
                                fprintf(s->out, _("      %s%s <- %s (a symlink to %s)\n"), t,
                                        rels.v[j], members.v[j], links.v[j]);
                        else
                                fprintf(s->out, _("      %s%s <- %s (old file kept as %s%s.upshift-old)\n"),
                                        t, rels.v[j], members.v[j], t, rels.v[j]);
                }
        }
        strv_release(&members);
        strv_release(&rels);
        strv_release(&links);
        free(pkg);
}

static void
show_step(struct show *s, enum step_id id)
{
        const struct step_module *m = step_registry[id];
        const struct plan *p = s->p;

        fprintf(s->out, "\n%d. %s: %s%s\n   %s\n", (int)id + 1, m->name, _(m->title),
               m->risk == RISK_DESTRUCTIVE && (id != STEP_MIGRATE || p->migrate.n > 0)
                       ? _("  [asks for confirmation]") : "", _(m->what));
        if (m->consequence)
                fprintf(s->out, _("   Cost: %s\n"), _(m->consequence));
        switch (id) {
        case STEP_DETECT:
                show_cmd(s, _("version"), &p->detect.version);
                for (size_t i = 0; i < p->detect.n_facts; i++)
                        show_cmd(s, p->detect.facts[i].name, &p->detect.facts[i].cmd);
                show_checks(s, p->detect.checks, p->detect.n_checks);
                if (p->swap.package) {
                        char *pkg = show_str(s, p->swap.package), *sum = show_str(s, p->swap.sha256);

                        fprintf(s->out, _("      stage the package %s%s%s\n"), pkg, *sum ? _(", SHA-256 ") : "", sum);
                        free(pkg);
                        free(sum);
                }
                break;
        case STEP_BACKUP:
                show_cmds(s, NULL, &p->backup.before);
                if (p->backup.paths.n) {
                        char *dir = show_str(s, "${backup_dir}");

                        fprintf(s->out, _("      archive (%s%s) into %s:\n"),
                               p->backup.compression ? p->backup.compression : "zstd",
                               p->backup.cold ? _(", after the service has stopped") : "", dir);
                        for (size_t i = 0; i < p->backup.paths.n; i++) {
                                char *x = show_str(s, p->backup.paths.v[i]);

                                fprintf(s->out, "        %s\n", x);
                                free(x);
                        }
                        fprintf(s->out, _("      then read it back and check every member's SHA-256\n"));
                        free(dir);
                }
                break;
        case STEP_DISCONNECT:
                for (size_t i = 0; i < p->disconnect.n_disable; i++) {
                        const struct disable_item *it = &p->disconnect.disable[i];
                        char *x = show_str(s, it->unit ? it->unit : it->file);

                        show_cond(s, &it->when);
                        if (it->unit)
                                fprintf(s->out, _("      turn off (systemctl disable --now) the systemd units %s that are enabled or active\n"),
                                        x);
                        else
                                fprintf(s->out, _("      comment out the lines of %s matching /%s/\n"),
                                        x, it->match);
                        free(x);
                }
                show_cmd(s, _("clients"), p->disconnect.clients);
                show_cmds(s, _("disconnect"), &p->disconnect.kick);
                show_cmds(s, NULL, &p->disconnect.run);
                break;
        case STEP_STOP:
                show_cmds(s, NULL, &p->stop.run);
                show_service(s, _("stop"), p->service.stop);
                break;
        case STEP_SWAP:
                for (size_t i = 0; i < p->swap.n_files; i++) {
                        char *t = show_str(s, p->swap.files[i].target);

                        if (p->swap.files[i].dir)
                                show_swap_dir(s, &p->swap.files[i], t);
                        else
                                fprintf(s->out, _("      %s <- %s (old file kept as %s.upshift-old)\n"), t,
                                       p->swap.files[i].member, t);
                        free(t);
                }
                show_cmds(s, NULL, &p->swap.run);
                break;
        case STEP_MIGRATE:
                if (p->migrate.n == 0)
                        fprintf(s->out, _("      nothing to migrate\n"));
                for (size_t i = 0; i < p->migrate.n; i++) {
                        const struct vrange *t = p->migrate.v[i].when.target;

                        /* In a hop, only what its target runs. */
                        if (s->hop > 0 && t && !vrange_match(t, vars_get(s->vars, "target")))
                                continue;
                        show_cond(s, &p->migrate.v[i].when);
                        if (p->migrate.v[i].point_of_no_return) {
                                char *x = show_str(s, p->migrate.v[i].point_of_no_return);

                                fprintf(s->out, _("      POINT OF NO RETURN: %s\n"), x);
                                free(x);
                        }
                        show_cmds(s, NULL, &p->migrate.v[i].run);
                }
                break;
        case STEP_VERIFY:
                show_service(s, _("start"), p->service.start);
                show_cmd(s, _("ready"), p->verify.ready.cmd);
                if (p->verify.ready.http) {
                        char *u = show_str(s, p->verify.ready.http);

                        fprintf(s->out, _("      ready: GET %s\n"), u);
                        free(u);
                }
                show_cmd(s, _("version"), &p->detect.version);
                show_checks(s, p->verify.checks, p->verify.n_checks);
                if (s->hop > 0 && s->hop < s->n_hops)
                        show_service(s, _("then, for the next hop, stop"), p->service.stop);
                break;
        case STEP_RECONNECT:
                if (p->disconnect.n_disable)
                        fprintf(s->out, _("      turn back on exactly what disconnect turned off\n"));
                show_cmds(s, NULL, &p->reconnect.run);
                break;
        default:
                break;
        }
        for (size_t i = 0; i < p->step[id].checklist_keys.n; i++) {
                const struct question *q = plan_question(p, p->step[id].checklist_keys.v[i]);

                if (q) {
                        char *t = show_str(s, q->text);

                        fprintf(s->out, _("      checklist [%s]: %s\n"), q->key, t);
                        free(t);
                }
        }
}

/* A path with stops: swap, migrate and verify once per hop, each with the
 * hop's variables. The installed version is not known here, so the path is
 * shown from before the first stop. */
static void
show_hops(struct show *s, const char *state_dir)
{
        const struct plan *p = s->p;
        struct strv hops = {0};
        char *target = xstrdup(vars_get(s->vars, "target")), *list;
        const char *installed = vars_get(s->vars, "version");

        for (size_t i = 0; i < p->path_stops.n; i++)
                if (version_compare(p->path_stops.v[i], target) < 0)
                        strv_push(&hops, p->path_stops.v[i]);
        strv_push(&hops, target);
        list = strv_join(hops.v, hops.n, ", ");
        /* TRANSLATORS: a list of versions. */
        fprintf(s->out, _("Upgrade path: %s (a stop at or below the installed version is left out)\n"),
                list);
        free(list);
        for (int i = 0; i < STEP_SWAP; i++)
                show_step(s, (enum step_id)i);
        s->n_hops = (unsigned)hops.n;
        for (unsigned h = 1; h <= hops.n; h++) {
                s->hop = h;
                engine_hop_vars(p, &hops, h, installed, state_dir, s->vars, NULL);
                /* TRANSLATORS: hop number, how many, then two versions. */
                fprintf(s->out, _("\nHop %u of %zu: %s to %s\n"), h, hops.n,
                        vars_get(s->vars, "hop_from"), hops.v[h - 1]);
                if (p->swap.package) {
                        char *pkg = show_str(s, p->swap.package);

                        fprintf(s->out, _("      package %s\n"), pkg);
                        free(pkg);
                }
                for (int i = STEP_SWAP; i <= STEP_VERIFY; i++)
                        show_step(s, (enum step_id)i);
        }
        s->hop = 0;
        engine_hop_vars(p, &hops, (unsigned)hops.n, installed, state_dir, s->vars, NULL);
        for (int i = STEP_VERIFY + 1; i < STEP_COUNT; i++)
                show_step(s, (enum step_id)i);
        strv_release(&hops);
        free(target);
}

void
cli_plan_write(FILE *out, const struct plan *p, struct vars *vs, const char *state_dir)
{
        struct show s = {.p = p, .vars = vs, .out = out};

        fprintf(out, _("Plan %s: %s (%s)\n"), p->id, p->title, p->file);
        if (p->description)
                fprintf(out, "%s\n", p->description);
        fprintf(out, _("Target version: %s\n"), vars_get(vs, "target") ? vars_get(vs, "target")
                                                                       : _("none (give --target)"));
        fprintf(out, _("State directory: %s\nBackup directory: %s\n"), state_dir,
                vars_get(vs, "backup_dir"));
        if (p->path_stops.n > 0 && vars_get(vs, "target")) {
                show_hops(&s, state_dir);
                return;
        }
        for (int i = 0; i < STEP_COUNT; i++)
                show_step(&s, (enum step_id)i);
}

int
cli_plan(struct cli *c)
{
        struct vars vars = {0};
        struct plan *p = NULL;
        struct answers *a = NULL;
        struct diag d = {0};
        char *state;
        int r = cli_load_plan(c, &p);

        if (r)
                return r;
        /* With an answers file this is a dry run of it: check it as run would. */
        if (answers_load(c->answers, p, c->answers != NULL, &a, &d) < 0) {
                cli_error(d.msg);
                plan_free(p);
                return EXIT_USAGE;
        }
        state = cli_state_dir(c, p->id);
        /* Unanswered questions show as <key>; the version as detect finds it. */
        for (size_t i = 0; i < p->n_ask; i++) {
                char *ph = xasprintf("<%s>", p->ask[i].key);

                vars_set(&vars, p->ask[i].key, ph);
                free(ph);
        }
        vars_set(&vars, "version", _("<installed version>"));
        if (engine_vars(p, a, state, c->target, NULL, &vars, &d) < 0) {
                cli_error(d.msg);
                r = EXIT_USAGE;
                goto out;
        }
        cli_plan_write(stdout, p, &vars, state);
        printf(_("\nNothing has been changed. Run it with: upshift run %s%s%s\n"), c->plan_arg,
               c->answers ? " --answers " : "", c->answers ? c->answers : "");
out:
        free(state);
        vars_release(&vars);
        answers_free(a);
        plan_free(p);
        return r;
}
