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

#include "engine/engine_int.h"
#include "lib/cmd_expand.h"
#include "lib/i18n.h"
#include "steps/facts.h"


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
        if (facts && kvlist_get(facts, FACT_TARGET))
                target = kvlist_get(facts, FACT_TARGET);
        else if (target == NULL)
                target = p->target;
        if (target)
                vars_set(vs, "target", target);
        if (facts && kvlist_get(facts, FACT_VERSION))
                vars_set(vs, "version", kvlist_get(facts, FACT_VERSION));
        for (size_t i = 0; facts && i < facts->n; i++)         /* ${fact.NAME} */
                if (str_startswith(facts->v[i].key, FACT_PLAN_PREFIX))
                        vars_set(vs, facts->v[i].key, facts->v[i].value);
        if (facts && kvlist_get(facts, FACT_PACKAGE_VERSION))
                vars_set(vs, "package_version", kvlist_get(facts, FACT_PACKAGE_VERSION));
        if (answers_apply(p, a, vs, d) < 0)
                return -EINVAL;
        /* A directory answered with a trailing slash ("/srv/redis/") joins
         * "${dir}/x" into "/srv/redis//x": drop it. */
        for (size_t i = 0; i <= p->n_ask; i++) {
                const char *key = i < p->n_ask ? p->ask[i].key : "backup_dir";
                const char *v = vars_get(vs, key);
                size_t n = v ? strlen(v) : 0;

                if ((i < p->n_ask && p->ask[i].type != Q_DIR) || n < 2 || v[n - 1] != '/')
                        continue;
                while (n > 1 && v[n - 1] == '/')
                        n--;
                s = xstrndup(v, n);
                vars_set(vs, key, s);
                free(s);
        }
        /* Where online backup commands write; archived with the data. */
        s = xasprintf("%s/%s.work", vars_get(vs, "backup_dir"), p->id);
        vars_set(vs, "backup_work", s);
        free(s);
        return 0;
}

void
engine_set_interruptible(struct engine *e, bool yes)
{
        e->uninterruptible = !yes;
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

const char *
engine_line_label(const struct engine *e)
{
        return e->label ? e->label : step_key(e->current);
}

void
engine_say(struct engine *e, enum out_kind kind, const char *fmt, ...)
{
        const char *label = engine_line_label(e);
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        runlog_printf(&e->log, "%s%s%s", label ? label : "upshift",
                      kind == OUT_CMD ? ": $ " : kind == OUT_WARN ? ": warning: " : ": ", msg);
        e->fe->ops->output(e->fe, kind, label, msg);
        free(msg);
}

void
engine_progress(struct engine *e, const char *what, uint64_t done, uint64_t total)
{
        e->fe->ops->progress(e->fe, what, done, total);
}

void
engine_countdown(struct engine *e, const char *what, int64_t left_ms, int64_t total_ms)
{
        if (left_ms < 0)
                left_ms = 0;
        if (e->fe->ops->countdown != NULL)
                e->fe->ops->countdown(e->fe, what, left_ms, total_ms);
        else
                e->fe->ops->progress(e->fe, what, 0, 0);
}

static int
confirm_ponr(struct engine *e, enum step_id step, const char *what, const char *consequence,
             const char *ponr)
{
        if (e->opts->yes) {
                runlog_printf(&e->log, "%s: confirmed by --yes: %s",
                              step_key(step) ? step_key(step) : "upshift", what);
                return STEP_OK;
        }
        return e->fe->ops->confirm(e->fe, step, what, consequence, ponr);
}

int
engine_confirm(struct engine *e, enum step_id step, const char *what, const char *consequence)
{
        return confirm_ponr(e, step, what, consequence, NULL);
}

static int facts_commit_with(struct engine *e, struct jrec *last, struct diag *d);

int
engine_journal(struct engine *e, struct jrec *r, struct diag *d)
{
        struct diag local;
        int ret;

        if (d == NULL)
                d = &local;
        /* What was queued comes first, as it was said first: in the same
         * write and sync as r. */
        if (e->queued_keys.n > 0)
                return facts_commit_with(e, r, d);
        ret = journal_append(e->journal, r, d);
        if (ret < 0)
                e->journal_failed = true;
        if (ret == 0)
                ret = state_apply(&e->st, r, d);
        jrec_release(r);
        return ret;
}

static void
fact_record(struct engine *e, struct jrec *r, const char *key, const char *value)
{
        jrec_set(r, "ev", "fact");
        jrec_set(r, "step", step_key(e->current) ? step_key(e->current) : "none");
        jrec_set(r, "key", key);
        jrec_set(r, "value", value);
}

int
engine_fact_set(struct engine *e, const char *key, const char *value, struct diag *d)
{
        struct jrec r = {0};
        int ret;

        fact_record(e, &r, key, value);
        ret = engine_journal(e, &r, d);
        if (ret == 0 && e->fe->ops->fact)
                e->fe->ops->fact(e->fe, key, value);
        return ret;
}

void
engine_fact_queue(struct engine *e, const char *key, const char *value)
{
        strv_push(&e->queued_keys, key);
        strv_push(&e->queued_values, value);
}

void
engine_note_set(struct engine *e, const char *key, const char *value)
{
        kvlist_set(&e->notes, key, value);
}

const char *
engine_note(const struct engine *e, const char *key)
{
        return kvlist_get(&e->notes, key);
}

/* The queued facts, then last (when not NULL: taken), in one batch. */
static int
facts_commit_with(struct engine *e, struct jrec *last, struct diag *d)
{
        size_t nq = e->queued_keys.n, n = nq + (last != NULL);
        struct jrec *rs;
        int ret = 0;

        if (n == 0)
                return 0;
        rs = xcalloc(n, sizeof *rs);
        for (size_t i = 0; i < nq; i++)
                fact_record(e, &rs[i], e->queued_keys.v[i], e->queued_values.v[i]);
        if (last != NULL)
                rs[nq] = *last;         /* moved: released below */
        ret = journal_append_many(e->journal, rs, n, d);
        if (ret < 0 && last != NULL)
                e->journal_failed = true;
        for (size_t i = 0; i < n; i++) {
                if (ret == 0)
                        ret = state_apply(&e->st, &rs[i], d);
                if (ret == 0 && i < nq && e->fe->ops->fact)
                        e->fe->ops->fact(e->fe, e->queued_keys.v[i], e->queued_values.v[i]);
                jrec_release(&rs[i]);
        }
        if (last != NULL)
                *last = (struct jrec){0};
        free(rs);
        strv_release(&e->queued_keys);
        strv_release(&e->queued_values);
        return ret;
}

int
engine_facts_commit(struct engine *e, struct diag *d)
{
        return facts_commit_with(e, NULL, d);
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

        e->fe->ops->output(e->fe, fd == 2 ? OUT_STDERR : OUT_STDOUT, engine_line_label(e), line);
}

/* A command that runs for long says so, in the log and to the operator. */
static void
on_notice(void *ud, const char *text)
{
        engine_say(ud, OUT_INFO, "%s", text);
}

int
engine_exec(struct engine *e, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        struct strv env = {0}, mask = {0};
        int r;

        if (vars_expand_env(&e->vars, &e->plan->env, &env, d) < 0) {
                strv_release(&env);
                return -EINVAL;
        }
        /* Secrets are masked in what the command prints, before anyone sees it. */
        for (size_t i = 0; i < e->vars.secret.n; i++) {
                const char *v = vars_get(&e->vars, e->vars.secret.v[i]);

                if (v && v[0])
                        strv_push(&mask, v);
        }
        o->mask = mask.v;
        for (size_t i = 0; o->env && o->env[i]; i++)
                strv_push(&env, o->env[i]);
        o->env = env.v;
        o->log_fd = e->log.fd;
        o->on_line = on_line;
        o->on_notice = on_notice;
        o->ud = e;
        o->interrupt = e->uninterruptible ? NULL : e->opts->interrupt;
        r = exec_run(o, ret, d);
        o->env = NULL;
        o->mask = NULL;
        strv_release(&env);
        strv_release(&mask);
        return r;
}

int
engine_runner_run(void *ud, struct exec_opts *o, struct exec_result *ret, struct diag *d)
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

/* A service command with its variables expanded, as a step's command is
 * (lib/cmd_expand.h). */
static int
expand_cmd(struct engine *e, const struct cmd *c, char ***ret_argv, char **ret_shell,
           char ***ret_env, struct diag *d)
{
        struct cmd_expanded x;

        if (c == NULL)
                return 0;
        if (cmd_expand(c, &e->vars, NULL, &x, d) < 0)
                return -EINVAL;
        if (x.shell) {
                *ret_shell = x.shell;
                x.shell = NULL;
        } else {
                *ret_argv = x.argv.v;
                x.argv = (struct strv){0};
        }
        *ret_env = x.env.v;
        x.env = (struct strv){0};
        cmd_expanded_release(&x);
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
        s.start_log = path_join(e->opts->state_dir, "service.log");
        if (vars_expand(&e->vars, sp->name ? sp->name : "", &s.name, d) < 0 ||
            (sp->pidfile && vars_expand(&e->vars, sp->pidfile, &s.pidfile, d) < 0) ||
            (sp->port && vars_expand(&e->vars, sp->port, &port, d) < 0) ||
            expand_cmd(e, sp->start, &s.start_argv, &s.start_shell, &s.start_env, d) < 0 ||
            expand_cmd(e, sp->stop, &s.stop_argv, &s.stop_shell, &s.stop_env, d) < 0)
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


/* struct step_host_ops: the engine as its step modules see it. The host
 * pointer a module gets is the engine itself. */
#define HOST(h) ((struct engine *)(void *)(h))
#define CHOST(h) ((const struct engine *)(const void *)(h))

static void
host_say(struct step_host *h, enum out_kind kind, const char *msg)
{
        engine_say(HOST(h), kind, "%s", msg);
}

static void
host_progress(struct step_host *h, const char *what, uint64_t done, uint64_t total)
{
        engine_progress(HOST(h), what, done, total);
}

static void
host_countdown(struct step_host *h, const char *what, int64_t left_ms, int64_t total_ms)
{
        engine_countdown(HOST(h), what, left_ms, total_ms);
}

static int
host_confirm(struct step_host *h, enum step_id step, const char *what, const char *consequence,
             const char *ponr)
{
        return confirm_ponr(HOST(h), step, what, consequence, ponr);
}

static int
host_fact_set(struct step_host *h, const char *key, const char *value, struct diag *d)
{
        return engine_fact_set(HOST(h), key, value, d);
}

static void
host_fact_queue(struct step_host *h, const char *key, const char *value)
{
        engine_fact_queue(HOST(h), key, value);
}

static void
host_note_set(struct step_host *h, const char *key, const char *value)
{
        engine_note_set(HOST(h), key, value);
}

static const char *
host_note(const struct step_host *h, const char *key)
{
        return engine_note(CHOST(h), key);
}

static int
host_facts_commit(struct step_host *h, struct diag *d)
{
        return engine_facts_commit(HOST(h), d);
}

static const char *
host_fact(const struct step_host *h, const char *key)
{
        return engine_fact(CHOST(h), key);
}

static int
host_exec(struct step_host *h, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        return engine_exec(HOST(h), o, ret, d);
}

static const struct runner *
host_runner(struct step_host *h)
{
        return engine_runner(HOST(h));
}

static int
host_service(struct step_host *h, struct service *ret, struct diag *d)
{
        return engine_service(HOST(h), ret, d);
}

static unsigned
host_hop(const struct step_host *h)
{
        return engine_hop(CHOST(h));
}

static unsigned
host_hop_count(const struct step_host *h)
{
        return engine_hop_count(CHOST(h));
}

static void
host_set_hops(struct step_host *h, const struct strv *hops)
{
        engine_set_hops(HOST(h), hops);
}

static int
host_set_hop(struct step_host *h, unsigned hop, struct diag *d)
{
        return engine_set_hop(HOST(h), hop, d);
}

static const struct answers *
host_answers(const struct step_host *h)
{
        return engine_answers(CHOST(h));
}

static void
host_set_interruptible(struct step_host *h, bool yes)
{
        engine_set_interruptible(HOST(h), yes);
}

static bool
host_interrupted(const struct step_host *h)
{
        return engine_interrupted(CHOST(h));
}

static bool
host_strict_packages(const struct step_host *h)
{
        return CHOST(h)->opts->strict_packages;
}

static bool
host_sleep(struct step_host *h, long ms)
{
        return engine_sleep(HOST(h), ms);
}

const struct step_host_ops engine_step_ops = {
        .say = host_say,
        .progress = host_progress,
        .countdown = host_countdown,
        .confirm = host_confirm,
        .fact_set = host_fact_set,
        .fact = host_fact,
        .fact_queue = host_fact_queue,
        .facts_commit = host_facts_commit,
        .note_set = host_note_set,
        .note = host_note,
        .exec = host_exec,
        .runner = host_runner,
        .service = host_service,
        .hop = host_hop,
        .hop_count = host_hop_count,
        .set_hops = host_set_hops,
        .set_hop = host_set_hop,
        .answers = host_answers,
        .set_interruptible = host_set_interruptible,
        .interrupted = host_interrupted,
        .sleep = host_sleep,
        .strict_packages = host_strict_packages,
};
