#include <config.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "i18n.h"
#include "journal.h"
#include "lock.h"
#include "runlog.h"
#include "sha256.h"
#include "state.h"
#include "step.h"

struct engine {
        const struct plan        *plan;
        const struct answers     *answers;
        const struct engine_opts *opts;
        struct frontend          *fe;
        struct vars               vars;
        struct run_state          st;
        struct journal           *journal;
        struct lock              *lock;
        struct runlog             log;
        struct runner             runner;
        struct step_module        mods[STEP_COUNT];
        enum step_id              current;
};

char *
engine_default_state_dir(const char *plan_id)
{
        return xasprintf("%s/%s", ENGINE_STATE_ROOT, plan_id);
}

char *
engine_default_backup_dir(const char *plan_id)
{
        return xasprintf("/var/backups/upshift/%s", plan_id);
}

int
engine_vars(const struct plan *p, const struct answers *a, const char *state_dir,
            const char *target, const struct kvlist *facts, struct vars *vs, struct diag *d)
{
        char *s;

        vars_set(vs, "plan", p->id);
        vars_set(vs, "state_dir", state_dir);
        s = path_join(state_dir, "staging");
        vars_set(vs, "staging", s);
        free(s);
        s = engine_default_backup_dir(p->id);
        vars_set(vs, "backup_dir", s);
        free(s);
        if (facts && kvlist_get(facts, "target"))
                target = kvlist_get(facts, "target");
        else if (target == NULL)
                target = p->target;
        if (target)
                vars_set(vs, "target", target);
        if (facts && kvlist_get(facts, "version"))
                vars_set(vs, "version", kvlist_get(facts, "version"));
        return answers_apply(p, a, vs, d);
}

const struct plan *
engine_plan(const struct engine *e)
{
        return e->plan;
}

struct vars *
engine_vars_of(struct engine *e)
{
        return &e->vars;
}

bool
engine_assume_yes(const struct engine *e)
{
        return e->opts->yes;
}

bool
engine_interrupted(const struct engine *e)
{
        return e->opts->interrupt != NULL && *e->opts->interrupt != 0;
}

bool
engine_sleep(struct engine *e, long ms)
{
        while (ms > 0 && !engine_interrupted(e)) {
                long step = ms < 100 ? ms : 100;
                struct timespec ts = {step / 1000, (step % 1000) * 1000000L};

                nanosleep(&ts, NULL);
                ms -= step;
        }
        return !engine_interrupted(e);
}

void
engine_say(struct engine *e, enum out_kind kind, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        runlog_printf(&e->log, "%s%s%s", step_key(e->current) ? step_key(e->current) : "upshift",
                      kind == OUT_CMD ? ": $ " : kind == OUT_WARN ? ": warning: " : ": ", msg);
        e->fe->ops->output(e->fe, kind, msg);
        free(msg);
}

void
engine_progress(struct engine *e, const char *what, uint64_t done, uint64_t total)
{
        e->fe->ops->progress(e->fe, what, done, total);
}

int
engine_confirm(struct engine *e, enum step_id step, const char *what, const char *consequence)
{
        if (e->opts->yes) {
                runlog_printf(&e->log, "%s: confirmed by --yes: %s", step_key(step), what);
                return STEP_OK;
        }
        return e->fe->ops->confirm(e->fe, step, what, consequence);
}

static int
journal_event(struct engine *e, struct jrec *r, struct diag *d)
{
        struct diag local;
        int ret;

        if (d == NULL)
                d = &local;
        ret = journal_append(e->journal, r, d);
        if (ret == 0)
                ret = state_apply(&e->st, r, d);
        jrec_release(r);
        return ret;
}

int
engine_fact_set(struct engine *e, const char *key, const char *value, struct diag *d)
{
        struct jrec r = {0};

        jrec_set(&r, "ev", "fact");
        jrec_set(&r, "step", step_key(e->current) ? step_key(e->current) : "none");
        jrec_set(&r, "key", key);
        jrec_set(&r, "value", value);
        return journal_event(e, &r, d);
}

const char *
engine_fact(const struct engine *e, const char *key)
{
        return kvlist_get(&e->st.facts, key);
}

struct line_ctx {
        struct engine *e;
};

static void
on_line(void *ud, int fd, const char *line)
{
        struct engine *e = ud;

        e->fe->ops->output(e->fe, fd == 2 ? OUT_STDERR : OUT_STDOUT, line);
}

int
engine_exec(struct engine *e, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        struct strv env = {0};
        int r;

        for (size_t i = 0; i < e->plan->env.n; i++) {
                char *v = NULL;

                if (vars_expand(&e->vars, e->plan->env.v[i].value, &v, d) < 0) {
                        strv_release(&env);
                        return -EINVAL;
                }
                strv_push_take(&env, xasprintf("%s=%s", e->plan->env.v[i].key, v));
                free(v);
        }
        for (size_t i = 0; o->env && o->env[i]; i++)
                strv_push(&env, o->env[i]);
        o->env = env.v;
        o->log_fd = e->log.fd;
        o->on_line = on_line;
        o->ud = e;
        o->interrupt = e->opts->interrupt;
        r = exec_run(o, ret, d);
        o->env = NULL;
        strv_release(&env);
        return r;
}

static int
runner_run(void *ud, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        struct engine *e = ud;
        char *shown = o->argv ? exec_argv_display(o->argv) : exec_shell_display(o->shell);

        engine_say(e, OUT_CMD, "%s", shown);
        free(shown);
        return engine_exec(e, o, ret, d);
}

const struct runner *
engine_runner(struct engine *e)
{
        return &e->runner;
}

static int
expand_cmd(struct engine *e, const struct cmd *c, char ***ret_argv, char **ret_shell,
           struct diag *d)
{
        struct strv argv = {0};

        if (c == NULL)
                return 0;
        if (c->shell) {
                *ret_shell = xstrdup(c->shell);
                return 0;
        }
        for (size_t i = 0; i < c->argv.n; i++) {
                char *s;

                if (vars_expand(&e->vars, c->argv.v[i], &s, d) < 0) {
                        strv_release(&argv);
                        return -EINVAL;
                }
                strv_push_take(&argv, s);
        }
        *ret_argv = argv.v;
        return 0;
}

int
engine_service(struct engine *e, struct service *ret, struct diag *d)
{
        const struct service_spec *sp = &e->plan->service;
        struct service s = {0};
        char *port = NULL;

        s.manager = sp->manager;
        if (sp->manager == SVC_FROM_VAR) {
                char *name = NULL;
                int m;

                if (vars_expand(&e->vars, sp->manager_var, &name, d) < 0)
                        return -EINVAL;
                m = service_manager_from_name(name);
                if (m < 0 || m == SVC_FROM_VAR) {
                        diag_set(d, _("service manager \"%s\" (from %s) is not one of systemd, sysv, openrc, pidfile, none"),
                                 name, sp->manager_var);
                        free(name);
                        return -EINVAL;
                }
                free(name);
                s.manager = (enum svc_manager)m;
        }
        s.timeout_ms = sp->timeout_ms ? sp->timeout_ms : 60000;
        if (vars_expand(&e->vars, sp->name ? sp->name : "", &s.name, d) < 0 ||
            (sp->pidfile && vars_expand(&e->vars, sp->pidfile, &s.pidfile, d) < 0) ||
            (sp->port && vars_expand(&e->vars, sp->port, &port, d) < 0) ||
            expand_cmd(e, sp->start, &s.start_argv, &s.start_shell, d) < 0 ||
            expand_cmd(e, sp->stop, &s.stop_argv, &s.stop_shell, d) < 0)
                goto fail;
        if (port) {
                char *end;
                long n = strtol(port, &end, 10);

                if (*port == '\0' || *end != '\0' || n <= 0 || n > 65535) {
                        diag_set(d, _("service port \"%s\" is not a TCP port number"), port);
                        goto fail;
                }
                s.port = (int)n;
        }
        if (s.manager == SVC_PIDFILE && (s.pidfile == NULL || *s.pidfile == '\0')) {
                diag_set(d, _("the pidfile service manager needs service: pidfile:"));
                goto fail;
        }
        if ((s.manager == SVC_SYSTEMD || s.manager == SVC_SYSV || s.manager == SVC_OPENRC) &&
            *s.name == '\0') {
                diag_set(d, _("the %s service manager needs service: name:"),
                         service_manager_name(s.manager));
                goto fail;
        }
        free(port);
        *ret = s;
        return 0;
fail:
        free(port);
        service_release(&s);
        return -EINVAL;
}

/* Build the report from the journal's facts. */
static void
report_fill(struct engine *e, struct run_report *rep, int code, const char *msg)
{
        const char *a = engine_fact(e, "stop.at"), *b = engine_fact(e, "verify.ready_at");
        const char *size = engine_fact(e, "backup.size");

        memset(rep, 0, sizeof *rep);
        rep->plan_id = e->plan->id;
        rep->plan_title = e->plan->title;
        rep->version_before = engine_fact(e, "version");
        rep->version_after = engine_fact(e, "version_after");
        rep->package_version = engine_fact(e, "package.version");
        rep->backup_path = engine_fact(e, "backup.path");
        rep->backup_sha256 = engine_fact(e, "backup.sha256");
        rep->backup_size = size ? strtoull(size, NULL, 10) : 0;
        for (int i = 0; i < STEP_COUNT; i++) {
                rep->status[i] = e->st.status[i];
                rep->step_ms[i] = e->st.ms[i];
        }
        rep->downtime_ms = a && b ? strtoll(b, NULL, 10) - strtoll(a, NULL, 10) : -1;
        rep->log_path = e->log.path;
        rep->state_dir = e->opts->state_dir;
        rep->resume_hint = code == EXIT_DONE ? NULL : e->opts->resume_cmd;
        rep->exit_code = code;
        rep->message = msg;
}

static int
run_event(struct engine *e, const char *ev, enum step_id id, const char *k, const char *v)
{
        struct jrec r = {0};

        jrec_set(&r, "ev", ev);
        if (id != STEP_NONE)
                jrec_set(&r, "step", step_key(id));
        if (k)
                jrec_set(&r, k, v);
        return journal_event(e, &r, NULL);
}

static int
preflight(struct engine *e, struct step_ctx *ctx)
{
        for (int i = STEP_DETECT + 1; i < STEP_COUNT; i++) {
                if (e->st.status[i] == ST_DONE || e->st.status[i] == ST_SKIPPED)
                        continue;
                e->current = (enum step_id)i;
                ctx->id = (enum step_id)i;
                if (e->mods[i].check(ctx) != STEP_OK) {
                        if (ctx->diag->code == 0)
                                ctx->diag->code = EXIT_INHIBITED;
                        return -1;
                }
        }
        return 0;
}

/* Run one step to its end. Returns 0 or an exit code. */
static int
run_step(struct engine *e, struct step_ctx *ctx, enum step_id id)
{
        const struct step_module *m = &e->mods[id];
        int64_t t0;
        int r;

        e->current = id;
        ctx->id = id;
        diag_clear(ctx->diag);
        if (e->st.status[id] == ST_RUNNING) {
                /* In doubt: the last process died inside this step. */
                engine_say(e, OUT_WARN, _("step %s was interrupted last time: checking whether it finished"),
                           m->name);
                if (m->probe(ctx) == STEP_OK) {
                        engine_say(e, OUT_INFO, _("step %s had finished"), m->name);
                        run_event(e, "step_done", id, "ms", "0");
                        e->fe->ops->step_state(e->fe, id, ST_DONE, 0, NULL);
                        return 0;
                }
                diag_clear(ctx->diag);
        }
        if (m->risk == RISK_DESTRUCTIVE && !m->confirms_itself) {
                const char *extra = e->plan->step[id].confirm;
                char *why = extra ? xasprintf("%s %s", _(m->consequence), extra)
                                  : xstrdup(_(m->consequence));

                r = engine_confirm(e, id, _(m->title), why);
                free(why);
                if (r != STEP_OK) {
                        diag_set(ctx->diag, _("step %s was not confirmed: nothing more was changed"),
                                 m->name);
                        return EXIT_STEPFAIL;
                }
        }
        if (run_event(e, "step_start", id, NULL, NULL) < 0) {
                diag_set(ctx->diag, _("cannot write the journal: stopping before step %s"), m->name);
                return EXIT_STEPFAIL;
        }
        e->fe->ops->step_state(e->fe, id, ST_RUNNING, 0, _(m->what));
        t0 = now_ms();
        r = m->run(ctx);
        if (r == STEP_OK && engine_interrupted(e))
                r = STEP_FAILED;
        if (r == STEP_OK) {
                char ms[32];

                snprintf(ms, sizeof ms, "%lld", (long long)(now_ms() - t0));
                if (run_event(e, "step_done", id, "ms", ms) < 0)
                        return EXIT_STEPFAIL;
                e->fe->ops->step_state(e->fe, id, ST_DONE, now_ms() - t0, NULL);
                return 0;
        }
        if (engine_interrupted(e) && !diag_isset(ctx->diag))
                diag_set(ctx->diag, _("interrupted"));
        if (!diag_isset(ctx->diag))
                diag_set(ctx->diag, _("step %s failed"), m->name);
        run_event(e, "step_failed", id, "error", ctx->diag->msg);
        e->fe->ops->step_state(e->fe, id, ST_FAILED, now_ms() - t0, ctx->diag->msg);
        return ctx->diag->code ? ctx->diag->code : EXIT_STEPFAIL;
}

/* Read-only checks of what the operator gave, before the state directory or
 * the journal is touched: bad input must leave both as they were. */
static int
validate_inputs(const struct plan *p, const struct answers *a, const struct engine_opts *o,
                struct diag *d)
{
        struct vars vs = {0};
        char *pkg = NULL, *sum = NULL, got[SHA256_HEX_LEN + 1];
        int r = 0;

        if (engine_vars(p, a, o->state_dir, o->target, NULL, &vs, d) < 0) {
                vars_release(&vs);
                return -1;
        }
        if (p->swap.package && p->swap.n_files > 0) {
                if (vars_expand(&vs, p->swap.package, &pkg, d) < 0 ||
                    (p->swap.sha256 && vars_expand(&vs, p->swap.sha256, &sum, d) < 0)) {
                        r = -1;
                } else if (access(pkg, R_OK) != 0) {
                        diag_set(d, _("cannot read package \"%s\": %s"), pkg, strerror(errno));
                        r = -1;
                } else if (sum && *sum) {
                        if (sha256_file(pkg, got, NULL, d) < 0) {
                                r = -1;
                        } else if (strcasecmp(got, sum) != 0) {
                                /* TRANSLATORS: package file, SHA-256 found, SHA-256 expected */
                                diag_set(d, _("package \"%s\": SHA-256 is %s, expected %s: nothing was changed; check that this is the right file"),
                                         pkg, got, sum);
                                r = -1;
                        }
                }
        }
        free(pkg);
        free(sum);
        vars_release(&vs);
        return r;
}

static const char *
result_name(int code)
{
        switch (code) {
        case EXIT_DONE:      return "done";
        case EXIT_INHIBITED: return "inhibited";
        case EXIT_USAGE:     return "refused";
        default:             return "failed";
        }
}

static int
engine_loop(struct engine *e, struct diag *d)
{
        struct step_ctx ctx = {
                .eng = e, .plan = e->plan, .vars = &e->vars, .diag = d,
        };
        bool checked = false;
        int code = 0;

        for (int i = 0; i < STEP_COUNT && code == 0; i++) {
                enum step_id id = (enum step_id)i;

                if (id > STEP_DETECT && !checked) {
                        e->current = STEP_NONE;
                        engine_say(e, OUT_INFO, _("preflight checks"));
                        if (preflight(e, &ctx) < 0) {
                                code = d->code;
                                break;
                        }
                        checked = true;
                }
                if (e->st.status[id] == ST_DONE || e->st.status[id] == ST_SKIPPED) {
                        e->fe->ops->step_state(e->fe, id, e->st.status[id], e->st.ms[id],
                                               _("done in an earlier run"));
                        continue;
                }
                for (unsigned tries = 0; tries < 100; tries++) {
                        code = run_step(e, &ctx, id);
                        if (code == 0 || code == EXIT_USAGE || code == EXIT_INHIBITED ||
                            engine_interrupted(e))
                                break;
                        if (e->fe->ops->failure(e->fe, id, d->msg, e->log.path) != FAIL_RETRY)
                                break;
                        code = 0;
                }
        }
        e->current = STEP_NONE;
        return code;
}

int
engine_run(const struct plan *p, const struct answers *a, const struct engine_opts *o,
           struct frontend *fe, struct diag *d)
{
        struct engine e = {
                .plan = p, .answers = a, .opts = o, .fe = fe, .current = STEP_NONE,
        };
        struct lock_holder holder;
        struct journal_damage damage = {0};
        struct jrec *recs = NULL, start = {0};
        struct run_report rep;
        struct passwd *pw;
        size_t n = 0;
        bool ended = false;
        int code = EXIT_STEPFAIL, r;
        char host[256] = "";

        e.log.fd = -1;
        e.runner.run = runner_run;
        e.runner.ud = &e;
        state_init(&e.st);
        if (step_registry_init(e.mods, STEP_COUNT, d) < 0)
                return EXIT_STEPFAIL;
        code = EXIT_USAGE;
        if (!o->yes && !o->interactive) {
                diag_set(d, _("this run cannot ask for confirmation (no terminal): give --yes to confirm the steps that stop the service and change data"));
                goto out;
        }
        if (validate_inputs(p, a, o, d) < 0 || mkdir_p(o->state_dir, 0700, d) < 0)
                goto out;
        if (chmod(o->state_dir, 0700) < 0) {
                diag_set(d, _("cannot make state directory \"%s\" private: %s"), o->state_dir,
                         strerror(errno));
                goto out;
        }
        r = lock_take(o->state_dir, &e.lock, &holder, d);
        code = r == -EWOULDBLOCK ? EXIT_LOCKED : EXIT_STEPFAIL;
        if (r < 0)
                goto out;
        r = journal_replay(o->state_dir, true, &recs, &n, &damage, d);
        if (r < 0 || state_replay(&e.st, recs, n, d) < 0) {
                code = r == -EPROTONOSUPPORT ? EXIT_USAGE : EXIT_STEPFAIL;
                goto out;
        }
        if (e.st.complete) {
                fe->ops->output(fe, OUT_INFO, _("nothing left to do: this upgrade has finished"));
                code = EXIT_DONE;
                goto out;
        }
        if (journal_open(o->state_dir, p->id, &e.journal, d) < 0)
                goto out;
        if (engine_vars(p, a, o->state_dir, o->target, &e.st.facts, &e.vars, d) < 0) {
                code = EXIT_USAGE;
                goto out;
        }
        if (runlog_open(&e.log, o->state_dir, e.st.runs + 1, d) < 0)
                goto out;
        {
                char *ans = path_join(o->state_dir, "answers.yaml");

                r = answers_save(p, a, ans, d);
                free(ans);
                if (r < 0)
                        goto out;
        }
        gethostname(host, sizeof host - 1);
        pw = getpwuid(geteuid());
        jrec_set(&start, "ev", "run_start");
        jrec_setf(&start, "run", "%d", e.st.runs + 1);
        jrec_set(&start, "action", "run");
        jrec_setf(&start, "pid", "%ld", (long)getpid());
        jrec_set(&start, "user", pw ? pw->pw_name : "?");
        if (vars_get(&e.vars, "target"))
                jrec_set(&start, "target", vars_get(&e.vars, "target"));
        if (journal_event(&e, &start, d) < 0)
                goto out;
        {
                struct run_info ri = {
                        .plan_id = p->id, .plan_title = p->title, .host = host,
                        .version = engine_fact(&e, "version"),
                        .target = vars_get(&e.vars, "target"),
                        .state_dir = o->state_dir, .log_path = e.log.path,
                        .resuming = e.st.started,
                };

                for (int i = 0; i < STEP_COUNT; i++)
                        ri.status[i] = e.st.status[i];
                fe->ops->begin(fe, &ri);
        }
        if (damage.damaged)
                engine_say(&e, OUT_WARN, _("the journal was damaged after record %zu; the damaged part was kept in %s"),
                           damage.good_records, damage.kept_copy ? damage.kept_copy : "?");
        runlog_printf(&e.log, "upshift %s: plan %s (%s), state %s", PACKAGE_VERSION, p->id,
                      p->file, o->state_dir);
        code = engine_loop(&e, d);
        {
                struct jrec end = {0};

                jrec_set(&end, "ev", "run_end");
                jrec_set(&end, "result", result_name(code));
                jrec_setf(&end, "exit", "%d", code);
                journal_event(&e, &end, NULL);
        }
        report_fill(&e, &rep, code, code == EXIT_DONE ? NULL : d->msg);
        fe->ops->end(fe, &rep);
        ended = true;
out:
        if (!ended && code != EXIT_DONE) {
                /* Stopped before the first step: say why, no resume hint. */
                report_fill(&e, &rep, code, d->msg);
                rep.resume_hint = NULL;
                fe->ops->end(fe, &rep);
        }
        journal_records_free(recs, n);
        free(damage.kept_copy);
        journal_close(e.journal);
        runlog_close(&e.log);
        lock_release(e.lock);
        vars_release(&e.vars);
        state_release(&e.st);
        return code;
}
