/* engine_open.c: a run's start and end: the inputs checked, the state
 * directory locked and replayed, the run log and {ev: run_start}; then
 * {ev: run_end}, the report and the release of it all. */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/i18n.h"

/* A hot swap's downtime: the sum of every hop's measured one, or -1 when
 * none was journaled. */
static int64_t
hot_down_ms(const struct engine *e)
{
        int64_t sum = -1;
        unsigned n = e->st.n_hops > 1 ? e->st.n_hops : 1;
        const char *v;

        for (unsigned hop = 1; hop <= n; hop++)
                if ((v = engine_hop_fact(e, hop, FACT_HOT_DOWN_MS)) != NULL)
                        sum = (sum < 0 ? 0 : sum) + strtoll(v, NULL, 10);
        return sum;
}

void
engine_report(struct engine *e, struct run_report *rep, enum run_outcome o, const char *msg)
{
        const char *a = engine_fact(e, FACT_STOP_AT), *b = engine_fact(e, FACT_VERIFY_READY_AT);
        const char *size = engine_fact(e, FACT_BACKUP_SIZE);
        int64_t hot;

        memset(rep, 0, sizeof *rep);
        rep->plan_id = e->plan->id;
        rep->plan_title = e->plan->title;
        rep->version_before = engine_fact(e, FACT_VERSION);
        rep->version_after = engine_fact(e, FACT_VERSION_AFTER);
        /* Several packages: every one with its version (FACT_PACKAGES). */
        rep->package_version = engine_fact(e, FACT_PACKAGES);
        if (rep->package_version == NULL)
                rep->package_version = engine_fact(e, FACT_PACKAGE_VERSION);
        free(e->version_change);
        e->version_change = version_change(e->plan->version_scheme, rep->version_before,
                                           rep->version_after);
        rep->version_change = e->version_change;
        rep->backup_path = engine_fact(e, FACT_BACKUP_PATH);
        rep->backup_sha256 = engine_fact(e, FACT_BACKUP_SHA256);
        rep->backup_size = size ? strtoull(size, NULL, 10) : 0;
        for (int i = 0; i < STEP_COUNT; i++) {
                rep->status[i] = e->st.status[i];
                rep->step_ms[i] = e->st.ms_all[i];
        }
        rep->hops = e->st.n_hops;
        rep->downtime_ms = a && b ? strtoll(b, NULL, 10) - strtoll(a, NULL, 10) : -1;
        /* A hot swap never stops: its downtime is the reload's, measured. */
        if (a == NULL && (hot = hot_down_ms(e)) >= 0)
                rep->downtime_ms = hot;
        /* A cold backup's second part is backup time, though stop made it. */
        if (engine_fact(e, FACT_DELTA_MS) != NULL && rep->step_ms[STEP_BACKUP] >= 0) {
                int64_t x = strtoll(engine_fact(e, FACT_DELTA_MS), NULL, 10);

                rep->backup_delta_ms = x;
                rep->step_ms[STEP_BACKUP] += x;
                if (rep->step_ms[STEP_STOP] >= x)
                        rep->step_ms[STEP_STOP] -= x;
        }
        rep->log_path = e->log.path;
        rep->state_dir = e->opts->state_dir;
        rep->resume_hint = o == RUN_DONE || o == RUN_ROLLED_BACK ? NULL
                           : e->st.rolling_back && e->opts->rollback_cmd ? e->opts->rollback_cmd
                           : e->opts->resume_cmd;
        rep->declined = o == RUN_DECLINED;
        rep->exit_code = run_outcome_exit(o);
        rep->message = msg;
}

/* Read-only checks of what the operator gave, before the state directory or
 * the journal is touched: bad input must leave both as they were. */
int
engine_validate_inputs(const struct plan *p, const struct answers *a, const struct engine_opts *o,
                struct diag *d)
{
        struct vars vs = {0};
        int r;

        r = engine_vars(p, a, o->state_dir, o->target, NULL, &vs, d);
        if (r == 0 && engine_plan_has_hops(p))
                r = engine_validate_hops(p, a, o, &vs, d);
        else if (r == 0)
                r = engine_check_package(p, &vs, d);
        vars_release(&vs);
        return r;
}

/* The checks before the state directory is touched, and the directory. */
static enum run_outcome
open_dir(struct engine *e, bool rollback, struct diag *d)
{
        const struct engine_opts *o = e->opts;

        if (step_registry_init(e->mods, STEP_COUNT, d) < 0)
                return RUN_STEP_FAILED;
        if (!o->yes && !o->interactive) {
                diag_set(d, _("this run cannot ask for confirmation (no terminal): give --yes to confirm the steps that stop the service and change data"));
                return RUN_BAD_INPUT;
        }
        if (!rollback && !o->interactive && engine_validate_inputs(e->plan, e->answers, o, d) < 0)
                return RUN_BAD_INPUT;
        if (engine_check_state_parents(o->state_dir, d) < 0 ||
            mkdir_p(o->state_dir, 0700, d) < 0 || engine_check_state_dir(o->state_dir, d) < 0)
                return RUN_BAD_INPUT;
        if (chmod(o->state_dir, 0700) < 0) {
                diag_set(d, _("cannot make state directory \"%s\" private: %s"), o->state_dir,
                         strerror(errno));
                return RUN_BAD_INPUT;
        }
        return RUN_DONE;
}

/* Take the state directory's lock. */
static enum run_outcome
open_lock(struct engine *e, struct diag *d)
{
        const char *dir = e->opts->state_dir;
        struct lock_holder holder;
        int r = lock_take(dir, &e->lock, &holder, d);

        if (r == -EWOULDBLOCK) {
                char *sock = path_join(dir, WORKER_SOCK);

                /* The wizard's worker holds it: say where to go. */
                if (path_exists(sock)) {
                        char *msg = xstrdup(d->msg);

                        diag_set(d, _("%s; it is a wizard's worker: see it with: %s"), msg,
                                 e->opts->attach_cmd ? e->opts->attach_cmd : "upshift attach");
                        free(msg);
                }
                free(sock);
                return RUN_LOCKED;
        }
        return r < 0 ? RUN_STEP_FAILED : RUN_DONE;
}

/* What the replayed journal allows: *ret_over when there is nothing to do
 * (said through the frontend). */
static enum run_outcome
open_state(struct engine *e, bool rollback, bool *ret_over, struct diag *d)
{
        if (!rollback && e->st.rolling_back) {
                diag_set(d, _("a rollback of this upgrade was interrupted: finish it first, with upshift rollback"));
                return RUN_BAD_INPUT;
        }
        if (e->clean) {
                if ((e->st.started && !e->st.complete) || e->st.rolling_back) {
                        diag_set(d, _("the upgrade in %s has not finished: rollback still needs its old files; finish it or roll it back, then clean"),
                                 e->opts->state_dir);
                        return RUN_INHIBITED;
                }
                if (!e->st.complete) {
                        char *hist = path_join(e->opts->state_dir, "history");

                        if (!path_exists(hist)) {
                                e->fe->ops->output(e->fe, OUT_INFO, NULL, _("nothing to clean: no finished upgrade kept old files"));
                                *ret_over = true;
                        }
                        free(hist);
                }
                return RUN_DONE;
        }
        if (!rollback && e->st.complete) {
                const char *want = e->opts->target ? e->opts->target : e->plan->target;

                /* Another target: the next upgrade (its old files go first). */
                if (want && e->st.target && strcmp(want, e->st.target) != 0) {
                        e->next_upgrade = true;
                        return RUN_DONE;
                }
                e->fe->ops->output(e->fe, OUT_INFO, NULL, _("nothing left to do: this upgrade has finished"));
                *ret_over = true;
                return RUN_DONE;
        }
        if (rollback && !e->st.started && !e->st.rolling_back) {
                e->fe->ops->output(e->fe, OUT_INFO, NULL, e->st.rolled_back
                                   ? _("nothing to roll back: the upgrade was rolled back already")
                                   : _("nothing to roll back: no step of an upgrade has started"));
                *ret_over = true;
                return RUN_DONE;
        }
        return RUN_DONE;
}

/* The answers (asked now in an interactive run), the journal, the vars and
 * the run log. */
static enum run_outcome
open_run(struct engine *e, const char *action, bool rollback, struct diag *d)
{
        const struct engine_opts *o = e->opts;
        enum run_outcome out;

        if (!rollback && o->interactive && (out = engine_ask(e, d)) != RUN_DONE)
                return out;
        /* Resuming a path of several hops: every hop still needs its answers. */
        e->hop = e->st.hop;
        if (!rollback && e->hops.n > 0 &&
            answers_check_hops(e->plan, e->answers, e->hops.v, e->hops.n, d) < 0)
                return RUN_BAD_INPUT;
        /* A journal naming paths the plan does not is refused before it is
         * written to (engine_trust.c). */
        if (engine_vars(e->plan, e->answers, o->state_dir, o->target, &e->st.facts, &e->vars, d) < 0 ||
            engine_check_journal_paths(e, &e->vars, d) < 0)
                return RUN_BAD_INPUT;
        if (journal_open(o->state_dir, e->plan->id, &e->journal, d) < 0)
                return RUN_STEP_FAILED;
        /* The finished upgrade's old files go to history; the next starts. */
        if (e->next_upgrade) {
                if (engine_history_keep(e, false, d) < 0)
                        return RUN_STEP_FAILED;
                strv_release(&e->hops);
                e->hop = e->st.hop;
                vars_release(&e->vars);
                if (engine_vars(e->plan, e->answers, o->state_dir, o->target, &e->st.facts, &e->vars, d) < 0)
                        return RUN_BAD_INPUT;
        }
        if (runlog_open(&e->log, o->state_dir, e->st.runs + 1, d) < 0)
                return RUN_STEP_FAILED;
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
                int r = answers_save(e->plan, e->answers, ans, d);

                free(ans);
                if (r < 0)
                        return RUN_STEP_FAILED;
        }
        return RUN_DONE;
}

/* {ev: run_start}, and the frontend's begin. */
static int
open_start(struct engine *e, const char *action, struct diag *d)
{
        struct jrec start = {0};
        struct passwd *pw = getpwuid(geteuid());
        char host[256] = "";
        struct run_info ri = {
                .plan_id = e->plan->id, .plan_title = e->plan->title, .host = host,
                .state_dir = e->opts->state_dir,
                .resuming = e->st.started && strcmp(action, "run") == 0,
        };

        gethostname(host, sizeof host - 1);
        jrec_set(&start, "ev", "run_start");
        jrec_setf(&start, "run", "%d", e->st.runs + 1);
        jrec_set(&start, "action", action);
        jrec_setf(&start, "pid", "%ld", (long)getpid());
        jrec_set(&start, "user", pw ? pw->pw_name : "?");
        if (vars_get(&e->vars, "target"))
                jrec_set(&start, "target", vars_get(&e->vars, "target"));
        if (e->plan_text)
                jrec_set(&start, "plan_sha256", e->plan_sha256);
        if (engine_journal(e, &start, d) < 0)
                return -EIO;
        ri.version = engine_fact(e, FACT_VERSION);
        ri.target = vars_get(&e->vars, "target");
        ri.log_path = e->log.path;
        for (int i = 0; i < STEP_COUNT; i++)
                ri.status[i] = e->st.status[i];
        e->fe->ops->begin(e->fe, &ri);
        return 0;
}

enum run_outcome
engine_open(struct engine *e, const char *action, bool *ret_over, struct diag *d)
{
        struct journal_damage damage = {0};
        /* clean, like rollback, asks and saves no answers */
        bool rollback = strcmp(action, "run") != 0, over = false;
        enum run_outcome out;
        char *was;
        int r;

        e->clean = strcmp(action, "clean") == 0;
        e->log.fd = -1;
        state_init(&e->st);
        e->new_state_dir = e->opts->new_state_dir || !path_exists(e->opts->state_dir);
        if ((out = open_dir(e, rollback, d)) != RUN_DONE || (out = open_lock(e, d)) != RUN_DONE)
                return out;
        r = engine_state_load(e->opts->state_dir, true, &e->st, &e->hops, &damage, d);
        if (r < 0)
                return r == -EPROTONOSUPPORT ? RUN_BAD_INPUT : RUN_STEP_FAILED;
        out = open_state(e, rollback, &over, d);
        if (out == RUN_DONE && !over)
                out = open_run(e, action, rollback, d);
        if (out == RUN_DONE && !over && engine_plan_read(e, d) < 0)
                out = RUN_BAD_INPUT;
        was = xstrdup(e->st.started ? e->st.plan_sha256 : NULL);
        if (out == RUN_DONE && !over && open_start(e, action, d) < 0)
                out = RUN_STEP_FAILED;
        if (out == RUN_DONE && !over)
                engine_plan_note(e, was);
        free(was);
        if (out == RUN_DONE && !over && engine_set_hop(e, e->st.hop, d) < 0)
                out = RUN_BAD_INPUT;
        if (out == RUN_DONE && !over && damage.damaged)
                engine_say(e, OUT_WARN, _("the journal was damaged after record %zu; the damaged part was kept in %s"),
                           damage.good_records, damage.kept_copy ? damage.kept_copy : "?");
        free(damage.kept_copy);
        *ret_over = over;
        return out;
}

/* A preflight refusal in the run that made the state directory, before
 * any step but detect began, changed nothing: the directory goes too. */
static bool
refusal_changed_nothing(const struct engine *e, enum run_outcome o)
{
        if (o != RUN_INHIBITED || !e->new_state_dir)
                return false;
        for (int i = 0; i < STEP_COUNT; i++)
                if (i != STEP_DETECT && e->st.begun[i])
                        return false;
        return true;
}

enum run_outcome
engine_close(struct engine *e, enum run_outcome o, struct diag *d)
{
        struct run_report rep;
        bool remove_dir = refusal_changed_nothing(e, o);
        char *down = NULL, *note = NULL;

        if (e->journal) {
                struct jrec end = {0};

                jrec_set(&end, "ev", "run_end");
                jrec_set(&end, "result", run_outcome_name(o));
                jrec_setf(&end, "exit", "%d", run_outcome_exit(o));
                engine_journal(e, &end, NULL);
        }
        if (o != RUN_DONE || e->journal) {
                engine_report(e, &rep, o, o == RUN_DONE ? NULL : d->msg);
                /* Stopped before anything was journaled: nothing to resume,
                 * but an interrupted rollback to finish. */
                if (e->journal == NULL && !e->st.rolling_back)
                        rep.resume_hint = NULL;
                /* Nothing to resume: a new run starts afresh. */
                if (remove_dir)
                        rep.resume_hint = rep.log_path = rep.state_dir = NULL;
                /* The service down and the journal failing: say so last. */
                if (engine_down_after_failure(e)) {
                        down = engine_down_message(e, rep.message, &note);
                        rep.message = down;
                        rep.log_path = note;
                        rep.resume_hint = NULL;
                }
                e->fe->ops->end(e->fe, &rep);
                free(down);
                free(note);
        }
        journal_close(e->journal);
        runlog_close(&e->log);
        /* The online backup's work directory, when nothing was left in it. */
        if (vars_get(&e->vars, "backup_work"))
                (void)rmdir(vars_get(&e->vars, "backup_work"));
        lock_release(e->lock);
        if (remove_dir)
                (void)rm_tree(e->opts->state_dir, NULL);
        vars_release(&e->vars);
        strv_release(&e->hops);
        state_release(&e->st);
        answers_free(e->asked);
        free(e->plan_text);
        free(e->version_change);
        e->version_change = NULL;
        strv_release(&e->queued_keys);
        strv_release(&e->queued_values);
        kvlist_release(&e->notes);
        return o;
}

static enum run_outcome
engine_start(const struct plan *p, const struct answers *a, const struct engine_opts *o,
             struct frontend *fe, const char *action, struct diag *d)
{
        struct engine e = {
                .plan = p, .answers = a, .opts = o, .fe = fe, .current = STEP_NONE,
        };
        enum run_outcome out;
        bool over = false;

        e.runner.run = engine_runner_run;
        e.runner.ud = &e;
        out = engine_open(&e, action, &over, d);
        if (out == RUN_DONE && !over && e.clean)
                out = engine_history_keep(&e, true, d) < 0 ? RUN_STEP_FAILED : RUN_DONE;
        else if (out == RUN_DONE && !over)
                out = strcmp(action, "rollback") == 0 ? engine_undo_all(&e, d) : engine_loop(&e, d);
        return engine_close(&e, out, d);
}

enum run_outcome
engine_run(const struct plan *p, const struct answers *a, const struct engine_opts *o,
           struct frontend *fe, struct diag *d)
{
        return engine_start(p, a, o, fe, "run", d);
}

enum run_outcome
engine_rollback(const struct plan *p, const struct answers *a, const struct engine_opts *o,
                struct frontend *fe, struct diag *d)
{
        return engine_start(p, a, o, fe, "rollback", d);
}

enum run_outcome
engine_clean(const struct plan *p, const struct answers *a, const struct engine_opts *o,
             struct frontend *fe, struct diag *d)
{
        return engine_start(p, a, o, fe, "clean", d);
}
