/* engine_run.c: a run from its start to its end: the inputs checked, the
 * state directory locked and replayed, the steps in order, the report. */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/fault.h"
#include "lib/i18n.h"
#include "lib/sha256.h"

/* The run ends because the operator said no to a step ("No: stop here"). */
static bool
ended_declined(const struct engine *e, int code)
{
        return e->declined && code == EXIT_STEPFAIL;
}

void
engine_report(struct engine *e, struct run_report *rep, int code, const char *msg)
{
        const char *a = engine_fact(e, FACT_STOP_AT), *b = engine_fact(e, FACT_VERIFY_READY_AT);
        const char *size = engine_fact(e, FACT_BACKUP_SIZE);

        memset(rep, 0, sizeof *rep);
        rep->plan_id = e->plan->id;
        rep->plan_title = e->plan->title;
        rep->version_before = engine_fact(e, FACT_VERSION);
        rep->version_after = engine_fact(e, FACT_VERSION_AFTER);
        rep->package_version = engine_fact(e, FACT_PACKAGE_VERSION);
        rep->backup_path = engine_fact(e, FACT_BACKUP_PATH);
        rep->backup_sha256 = engine_fact(e, FACT_BACKUP_SHA256);
        rep->backup_size = size ? strtoull(size, NULL, 10) : 0;
        for (int i = 0; i < STEP_COUNT; i++) {
                rep->status[i] = e->st.status[i];
                rep->step_ms[i] = e->st.ms_all[i];
        }
        rep->hops = e->st.n_hops;
        rep->downtime_ms = a && b ? strtoll(b, NULL, 10) - strtoll(a, NULL, 10) : -1;
        rep->log_path = e->log.path;
        rep->state_dir = e->opts->state_dir;
        rep->resume_hint = code == EXIT_DONE || code == EXIT_ROLLEDBACK ? NULL : e->opts->resume_cmd;
        rep->declined = ended_declined(e, code);
        rep->exit_code = code;
        rep->message = msg;
}

int
engine_event(struct engine *e, const char *ev, enum step_id id, const char *k, const char *v,
             struct diag *d)
{
        struct jrec r = {0};

        jrec_set(&r, "ev", ev);
        if (id != STEP_NONE)
                jrec_set(&r, "step", step_key(id));
        if (id != STEP_NONE && state_is_hop_step(id) && engine_hop_count(e) > 1 &&
            strncmp(ev, "undo", 4) != 0)
                jrec_setf(&r, "hop", "%u", engine_hop(e));
        if (k)
                jrec_set(&r, k, v);
        return engine_journal(e, &r, d);
}

static bool
step_finished(const struct engine *e, enum step_id id)
{
        return e->st.status[id] == ST_DONE || e->st.status[id] == ST_SKIPPED;
}

/* Every pending step's check; swap, migrate and verify once for each hop
 * still to come (with that hop's variables). */
static int
preflight(struct engine *e, struct step_ctx *ctx)
{
        unsigned n = engine_hop_count(e), first = e->st.hop;
        int r = 0;

        for (int i = STEP_DETECT + 1; i < STEP_COUNT && r == 0; i++) {
                enum step_id id = (enum step_id)i;
                bool hop_step = state_is_hop_step(id);

                for (unsigned h = first; h <= (hop_step ? n : first) && r == 0; h++) {
                        if (h == e->st.hop && step_finished(e, id))
                                continue;
                        if (hop_step && engine_set_hop(e, h, ctx->diag) < 0)
                                return -1;
                        e->current = id;
                        ctx->id = id;
                        if (e->mods[i].check(ctx) != STEP_OK) {
                                if (ctx->diag->code == 0)
                                        ctx->diag->code = EXIT_INHIBITED;
                                if (hop_step && n > 1)
                                        /* TRANSLATORS: a hop's number, then its target. */
                                        diag_prefix(ctx->diag, _("hop %u (to %s)"), h,
                                                    vars_get(&e->vars, "target"));
                                r = -1;
                        }
                }
        }
        /* Steps outside the hops see the last hop's target. */
        if (r == 0 && engine_set_hop(e, n, ctx->diag) < 0)
                return -1;
        return r;
}

/* A preflight refusal changes nothing: what detect staged beside the
 * targets (TARGET.upshift-new) is removed again, for every hop. The staged
 * copies in the state directory stay, so a later run swaps from them. */
static void
preflight_unstage(struct engine *e, struct step_ctx *ctx)
{
        struct diag quiet = {0};
        struct diag *keep = ctx->diag;

        ctx->diag = &quiet;
        for (unsigned h = 1; h <= engine_hop_count(e); h++) {
                if (engine_set_hop(e, h, &quiet) < 0)
                        break;
                e->current = STEP_DETECT;
                ctx->id = STEP_DETECT;
                if (e->mods[STEP_DETECT].undo != NULL)
                        (void)e->mods[STEP_DETECT].undo(ctx);
        }
        ctx->diag = keep;
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
                r = m->probe(ctx);
                if (r == STEP_OK) {
                        engine_say(e, OUT_INFO, _("step %s had finished"), m->name);
                        if (engine_event(e, "step_done", id, "ms", "0", ctx->diag) < 0)
                                return EXIT_STEPFAIL;
                        e->fe->ops->step_state(e->fe, id, ST_DONE, 0, NULL);
                        return 0;
                }
                if (r == STEP_ABORT) {
                        /* The probe cannot tell and running it again could do harm. */
                        engine_event(e, "step_failed", id, "error", ctx->diag->msg, NULL);
                        e->fe->ops->step_state(e->fe, id, ST_FAILED, 0, ctx->diag->msg);
                        return EXIT_STEPFAIL;
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
                        e->declined = true;     /* "No: stop here": no failure screen */
                        return EXIT_STEPFAIL;
                }
        }
        if (engine_event(e, "step_start", id, NULL, NULL, ctx->diag) < 0) {
                diag_prefix(ctx->diag, _("stopping before step %s"), m->name);
                return EXIT_STEPFAIL;
        }
        e->fe->ops->step_state(e->fe, id, ST_RUNNING, 0, _(m->what));
        t0 = now_ms();
        r = m->run(ctx);
        e->uninterruptible = false;
        if (r == STEP_OK) {
                char ms[32];

                snprintf(ms, sizeof ms, "%lld", (long long)(now_ms() - t0));
                if (engine_event(e, "step_done", id, "ms", ms, ctx->diag) < 0)
                        return EXIT_STEPFAIL;
                e->fe->ops->step_state(e->fe, id, ST_DONE, now_ms() - t0, NULL);
                return 0;
        }
        if (engine_interrupted(e) && !diag_isset(ctx->diag))
                diag_set(ctx->diag, _("interrupted"));
        if (!diag_isset(ctx->diag))
                diag_set(ctx->diag, _("step %s failed"), m->name);
        engine_event(e, "step_failed", id, "error", ctx->diag->msg, NULL);
        e->fe->ops->step_state(e->fe, id, ST_FAILED, now_ms() - t0, ctx->diag->msg);
        return ctx->diag->code ? ctx->diag->code : EXIT_STEPFAIL;
}

/* Nobody watches the run (the wizard went away): before a step starts,
 * wait for an operator, unless the step asks for a confirmation anyway.
 * The step that was running when the wizard went has finished. Returns 0,
 * or an exit code with d set when the operator said no or a signal came. */
static int
await_operator(struct engine *e, enum step_id id, struct diag *d)
{
        const struct step_module *m = &e->mods[id];
        bool asks = m->risk == RISK_DESTRUCTIVE && !m->confirms_itself && !e->opts->yes;

        if (e->fe->ops->attended == NULL || e->fe->ops->attended(e->fe) || asks)
                return 0;
        e->current = id;
        engine_say(e, OUT_WARN, _("nobody is attached: waiting for an operator before step %s (attach with: %s)"),
                   m->name, e->opts->resume_cmd ? e->opts->resume_cmd : "upshift run");
        if (e->fe->ops->confirm(e->fe, id, _(m->title),
                                _("Nobody was watching when this step was due, so upshift waited for you. The step before it has finished; this one has not started.")) == STEP_OK)
                return 0;
        diag_set(d, engine_interrupted(e) ? _("interrupted before step %s")
                                          : _("step %s was not started: nothing more was changed"),
                 m->name);
        return EXIT_STEPFAIL;
}

/* One step of the run, unless it finished before: preflight first when it
 * is the first step after detect; a failure offers retry or rollback.
 * Returns 0 or an exit code; *ret_over when a rollback ended the run. */
static int
loop_step(struct engine *e, struct step_ctx *ctx, enum step_id id, bool *checked,
          bool *ret_over, struct diag *d)
{
        int code = 0;

        if (engine_interrupted(e)) {
                diag_set(d, _("interrupted before step %s"), step_key(id));
                return EXIT_STEPFAIL;
        }
        if (id > STEP_DETECT && !*checked) {
                e->current = STEP_NONE;
                engine_say(e, OUT_INFO, _("preflight checks"));
                if (preflight(e, ctx) < 0) {
                        preflight_unstage(e, ctx);
                        return d->code;
                }
                *checked = true;
        }
        if (step_finished(e, id)) {
                e->fe->ops->step_state(e->fe, id, e->st.status[id], e->st.ms[id],
                                       _("done in an earlier run"));
                return 0;
        }
        if ((code = await_operator(e, id, d)) != 0 || (code = engine_ask_checklist(e, id, d)) != 0)
                return code;
        for (unsigned tries = 0; tries < 100; tries++) {
                enum fail_choice choice;

                code = run_step(e, ctx, id);
                if (code == 0 || code == EXIT_USAGE || code == EXIT_INHIBITED ||
                    engine_interrupted(e) || e->declined)
                        break;
                choice = e->fe->ops->failure(e->fe, id, d->msg, e->log.path);
                if (choice == FAIL_ROLLBACK) {
                        *ret_over = true;
                        return engine_undo_all(e, d);
                }
                if (choice != FAIL_RETRY)
                        break;
                code = 0;
        }
        return code;
}

/* Swap, migrate and verify for each hop from the current one. A hop after
 * the first begins with {ev: hop_start}, journaled before its swap. */
static int
run_hops(struct engine *e, struct step_ctx *ctx, bool *checked, bool *ret_over,
         struct diag *d)
{
        unsigned n = engine_hop_count(e);
        int code = 0;

        for (unsigned h = e->st.hop; h <= n && code == 0; h++) {
                if (engine_set_hop(e, h, d) < 0)
                        return EXIT_STEPFAIL;
                if (h > e->st.hop) {
                        char num[16];
                        struct jrec r = {0};

                        if (engine_interrupted(e)) {
                                diag_set(d, _("interrupted before hop %u"), h);
                                return EXIT_STEPFAIL;
                        }
                        snprintf(num, sizeof num, "%u", h);
                        jrec_set(&r, "ev", "hop_start");
                        jrec_set(&r, "hop", num);
                        jrec_set(&r, "target", vars_get(&e->vars, "target"));
                        if (engine_journal(e, &r, d) < 0)
                                return EXIT_STEPFAIL;
                }
                if (n > 1) {
                        e->current = STEP_NONE;
                        /* TRANSLATORS: hop number, how many, then two versions. */
                        engine_say(e, OUT_INFO, _("hop %u of %u: %s to %s"), h, n,
                                   vars_get(&e->vars, "hop_from"), vars_get(&e->vars, "target"));
                }
                for (int i = STEP_SWAP; i <= STEP_VERIFY && code == 0 && !*ret_over; i++)
                        code = loop_step(e, ctx, (enum step_id)i, checked, ret_over, d);
                if (*ret_over)
                        return code;
        }
        if (code == 0 && engine_set_hop(e, n, d) < 0)
                return EXIT_STEPFAIL;
        return code;
}

static int
engine_loop(struct engine *e, struct diag *d)
{
        struct step_ctx ctx = {
                .host = (struct step_host *)(void *)e, .ops = &engine_step_ops,
                .plan = e->plan, .vars = &e->vars, .diag = d,
        };
        bool checked = false, over = false;
        int code = 0;

        for (int i = 0; i < STEP_COUNT && code == 0 && !over; i++) {
                if (i == STEP_SWAP) {
                        code = run_hops(e, &ctx, &checked, &over, d);
                        i = STEP_VERIFY;
                        continue;
                }
                code = loop_step(e, &ctx, (enum step_id)i, &checked, &over, d);
        }
        e->current = STEP_NONE;
        return code;
}

/* Read-only checks of what the operator gave, before the state directory or
 * the journal is touched: bad input must leave both as they were. */
int
engine_validate_inputs(const struct plan *p, const struct answers *a, const struct engine_opts *o,
                struct diag *d)
{
        struct vars vs = {0};
        int r;

        if (engine_vars(p, a, o->state_dir, o->target, NULL, &vs, d) < 0) {
                vars_release(&vs);
                return -1;
        }
        if (engine_plan_has_hops(p))
                r = engine_validate_hops(p, a, o, &vs, d);
        else
                r = engine_check_package(p, &vs, d);
        vars_release(&vs);
        return r;
}

static const char *
result_name(const struct engine *e, int code)
{
        if (ended_declined(e, code))
                return "declined";
        switch (code) {
        case EXIT_DONE:       return "done";
        case EXIT_INHIBITED:  return "inhibited";
        case EXIT_USAGE:      return "refused";
        case EXIT_ROLLEDBACK: return "rolled_back";
        default:              return "failed";
        }
}

int
engine_open(struct engine *e, const char *action, struct diag *d)
{
        const struct engine_opts *o = e->opts;
        struct journal_damage damage = {0};
        struct lock_holder holder;
        struct jrec *recs = NULL, start = {0};
        struct passwd *pw;
        size_t n = 0;
        char host[256] = "";
        bool rollback = strcmp(action, "rollback") == 0;
        int r, code = EXIT_USAGE;

        e->log.fd = -1;
        state_init(&e->st);
        if (step_registry_init(e->mods, STEP_COUNT, d) < 0)
                return EXIT_STEPFAIL;
        if (!o->yes && !o->interactive) {
                diag_set(d, _("this run cannot ask for confirmation (no terminal): give --yes to confirm the steps that stop the service and change data"));
                return EXIT_USAGE;
        }
        if (!rollback && !o->interactive && engine_validate_inputs(e->plan, e->answers, o, d) < 0)
                return EXIT_USAGE;
        if (mkdir_p(o->state_dir, 0700, d) < 0)
                return EXIT_USAGE;
        if (chmod(o->state_dir, 0700) < 0) {
                diag_set(d, _("cannot make state directory \"%s\" private: %s"), o->state_dir,
                         strerror(errno));
                return EXIT_USAGE;
        }
        r = lock_take(o->state_dir, &e->lock, &holder, d);
        if (r == -EWOULDBLOCK) {
                char *sock = path_join(o->state_dir, WORKER_SOCK);

                /* The wizard's worker holds it: say where to go. */
                if (path_exists(sock)) {
                        char *msg = xstrdup(d->msg);

                        diag_set(d, _("%s; it is a wizard's worker: see it with: upshift attach %s"),
                                 msg, e->plan->id);
                        free(msg);
                }
                free(sock);
        }
        if (r < 0)
                return r == -EWOULDBLOCK ? EXIT_LOCKED : EXIT_STEPFAIL;
        r = journal_replay(o->state_dir, true, &recs, &n, &damage, d);
        if (r < 0 || state_replay(&e->st, recs, n, d) < 0) {
                code = r == -EPROTONOSUPPORT ? EXIT_USAGE : EXIT_STEPFAIL;
                goto out;
        }
        if (!rollback && e->st.rolling_back) {
                diag_set(d, _("a rollback of this upgrade was interrupted: finish it first with: upshift rollback %s"),
                         e->plan->id);
                goto out;
        }
        if (!rollback && e->st.complete) {
                e->fe->ops->output(e->fe, OUT_INFO, _("nothing left to do: this upgrade has finished"));
                code = -1;
                goto out;
        }
        if (rollback && !e->st.started && !e->st.rolling_back) {
                e->fe->ops->output(e->fe, OUT_INFO, e->st.rolled_back
                                   ? _("nothing to roll back: the upgrade was rolled back already")
                                   : _("nothing to roll back: no step of an upgrade has started"));
                code = -1;
                goto out;
        }
        if (!rollback && o->interactive && (code = engine_ask(e, d)) != 0)
                goto out;
        /* Resuming a path of several hops: every hop still needs its answers. */
        engine_load_hops(e);
        if (!rollback && e->hops.n > 0 &&
            answers_check_hops(e->plan, e->answers, e->hops.v, e->hops.n, d) < 0) {
                code = EXIT_USAGE;
                goto out;
        }
        code = EXIT_STEPFAIL;
        if (journal_open(o->state_dir, e->plan->id, &e->journal, d) < 0)
                goto out;
        if (engine_vars(e->plan, e->answers, o->state_dir, o->target, &e->st.facts, &e->vars, d) < 0) {
                code = EXIT_USAGE;
                goto out;
        }
        if (runlog_open(&e->log, o->state_dir, e->st.runs + 1, d) < 0)
                goto out;
        runlog_printf(&e->log, "upshift %s: %s of plan %s (%s), state %s", PACKAGE_VERSION, action,
                      e->plan->id, e->plan->file, o->state_dir);
        /* The wizard's worker has no terminal: whatever else writes to its
         * stdout or stderr lands in the run log too. */
        if (o->stdio_to_log) {
                dup2(e->log.fd, STDOUT_FILENO);
                dup2(e->log.fd, STDERR_FILENO);
        }
        if (!rollback) {
                char *ans = path_join(o->state_dir, "answers.yaml");

                r = answers_save(e->plan, e->answers, ans, d);
                free(ans);
                if (r < 0)
                        goto out;
        }
        gethostname(host, sizeof host - 1);
        pw = getpwuid(geteuid());
        jrec_set(&start, "ev", "run_start");
        jrec_setf(&start, "run", "%d", e->st.runs + 1);
        jrec_set(&start, "action", action);
        jrec_setf(&start, "pid", "%ld", (long)getpid());
        jrec_set(&start, "user", pw ? pw->pw_name : "?");
        if (vars_get(&e->vars, "target"))
                jrec_set(&start, "target", vars_get(&e->vars, "target"));
        if (engine_journal(e, &start, d) < 0)
                goto out;
        {
                struct run_info ri = {
                        .plan_id = e->plan->id, .plan_title = e->plan->title, .host = host,
                        .version = engine_fact(e, FACT_VERSION),
                        .target = vars_get(&e->vars, "target"),
                        .state_dir = o->state_dir, .log_path = e->log.path,
                        .resuming = e->st.started,
                };

                for (int i = 0; i < STEP_COUNT; i++)
                        ri.status[i] = e->st.status[i];
                e->fe->ops->begin(e->fe, &ri);
        }
        if (engine_set_hop(e, e->st.hop, d) < 0) {
                code = EXIT_USAGE;
                goto out;
        }
        if (damage.damaged)
                engine_say(e, OUT_WARN, _("the journal was damaged after record %zu; the damaged part was kept in %s"),
                           damage.good_records, damage.kept_copy ? damage.kept_copy : "?");
        code = 0;
out:
        journal_records_free(recs, n);
        free(damage.kept_copy);
        return code;
}

int
engine_close(struct engine *e, int code, struct diag *d)
{
        struct run_report rep;

        if (e->journal) {
                struct jrec end = {0};

                jrec_set(&end, "ev", "run_end");
                jrec_set(&end, "result", result_name(e, code));
                jrec_setf(&end, "exit", "%d", code);
                engine_journal(e, &end, NULL);
        }
        if (code != EXIT_DONE || e->journal) {
                engine_report(e, &rep, code, code == EXIT_DONE ? NULL : d->msg);
                if (e->journal == NULL)
                        rep.resume_hint = NULL; /* stopped before anything was journaled */
                e->fe->ops->end(e->fe, &rep);
        }
        journal_close(e->journal);
        runlog_close(&e->log);
        lock_release(e->lock);
        vars_release(&e->vars);
        strv_release(&e->hops);
        state_release(&e->st);
        answers_free(e->asked);
        return code;
}

static int
engine_start(const struct plan *p, const struct answers *a, const struct engine_opts *o,
             struct frontend *fe, const char *action, struct diag *d)
{
        struct engine e = {
                .plan = p, .answers = a, .opts = o, .fe = fe, .current = STEP_NONE,
        };
        int code;

        e.runner.run = engine_runner_run;
        e.runner.ud = &e;
        code = engine_open(&e, action, d);
        if (code == -1)
                return engine_close(&e, EXIT_DONE, d);   /* nothing to do */
        if (code == 0)
                code = strcmp(action, "rollback") == 0 ? engine_undo_all(&e, d) : engine_loop(&e, d);
        return engine_close(&e, code, d);
}

int
engine_run(const struct plan *p, const struct answers *a, const struct engine_opts *o,
           struct frontend *fe, struct diag *d)
{
        return engine_start(p, a, o, fe, "run", d);
}

int
engine_rollback(const struct plan *p, const struct answers *a, const struct engine_opts *o,
                struct frontend *fe, struct diag *d)
{
        return engine_start(p, a, o, fe, "rollback", d);
}
