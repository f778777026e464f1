/* upshift status: the journal of an upgrade, summarised, and what its
 * worker says when one runs (ui/worker.h). Reads only, but for removing
 * the socket of a worker that died. */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/state.h"
#include "lib/i18n.h"
#include "lib/journal.h"
#include "lib/lock.h"
#include "lib/util.h"
#include "ui/worker.h"

/* What the worker running the upgrade says: who is attached, and whether
 * it waits for the operator. attach: the command that attaches. */
static void
worker_status(const char *dir, const char *attach)
{
        struct worker_info wi;
        struct diag d = {0};
        int r = worker_query(dir, &wi, &d);

        if (r < 0) {
                printf(_("  worker: %s\n"), d.msg);
                return;
        }
        if (r == 0)
                return;
        if (wi.client)
                printf(_("  worker pid %ld; wizard attached: %s\n"), wi.pid, wi.client);
        else
                printf(_("  worker pid %ld; no wizard attached (its terminal went away)\n"), wi.pid);
        if (wi.rollback)
                printf(_("  the worker rolls the upgrade back\n"));
        if (wi.waiting && wi.client == NULL)
                printf(_("  waiting for the operator: %s; attach with:\n    %s\n"),
                       wi.what ? wi.what : "?", attach);
        else if (wi.waiting)
                printf(_("  waiting for an answer in the wizard: %s\n"), wi.what ? wi.what : "?");
        worker_info_release(&wi);
}

/* The run holding the lock, if any, and what its worker says. 1 when a
 * process holds it. */
static int
running(const char *dir, const char *attach)
{
        struct lock_holder h;

        if (lock_peek(dir, &h) != 1)
                return 0;
        printf(_("  running now: pid %ld, user %s, tty %s, since %s\n"), (long)h.pid, h.user,
               h.tty, h.since);
        worker_status(dir, attach);
        return 1;
}

/* A journal time (UTC, "2026-12-05T08:20:35Z") from wall-clock ms. */
static void
time_of_ms(char *buf, size_t size, const char *ms)
{
        time_t t = ms ? (time_t)(strtoll(ms, NULL, 10) / 1000) : 0;
        struct tm tm;

        if (ms == NULL || gmtime_r(&t, &tm) == NULL ||
            strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "?");
}

/* Whether the service is up, on which version, or down since when, as the
 * journal tells it. */
static void
service_line(const struct run_state *st)
{
        const char *old = kvlist_get(&st->facts, FACT_VERSION);
        const char *new = kvlist_get(&st->facts, FACT_VERSION_AFTER);
        char at[64];

        if (st->rolling_back && st->undone[STEP_STOP]) {
                printf(_("  service: up on the old version %s (started again by the rollback)\n"),
                       old ? old : "?");
        } else if (!st->begun[STEP_STOP] || (st->status[STEP_STOP] == ST_FAILED &&
                                              kvlist_get(&st->facts, FACT_STOP_AT) == NULL)) {
                printf(_("  service: up on the old version %s (not stopped by the upgrade)\n"),
                       old ? old : "?");
        } else if (st->status[STEP_VERIFY] == ST_DONE && !st->rolling_back && st->hop >= st->n_hops) {
                time_of_ms(at, sizeof at, kvlist_get(&st->facts, FACT_VERIFY_READY_AT));
                printf(_("  service: up on the new version %s since %s\n"), new ? new : "?", at);
        } else {
                time_of_ms(at, sizeof at, kvlist_get(&st->facts, FACT_STOP_AT));
                printf(_("  service: down since %s (stopped by the upgrade)\n"), at);
        }
}

/* How the upgrade stands, and the command that goes on, on a line of its
 * own. */
static void
standing(const struct run_state *st, bool held, const char *resume, const char *rollback)
{
        enum step_id next = state_next_step(st);
        const char *failed = NULL;

        for (int i = 0; i < STEP_COUNT; i++)
                if (st->status[i] == ST_FAILED)
                        failed = step_key((enum step_id)i);
        if (st->rolling_back && held)
                printf(_("  a rollback is in progress\n"));
        else if (st->rolling_back)
                printf(_("  a rollback was interrupted; finish it with:\n    %s\n"), rollback);
        else if (st->complete)
                printf(_("  finished: nothing left to do\n"));
        else if (held)
                printf(_("  in progress\n"));
        else if (st->live)
                printf(_("  interrupted in %s (the process that ran it died); resume with:\n    %s\n"),
                       step_key(next), resume);
        else if (failed)
                printf(_("  failed in %s; fix the cause, then resume with:\n    %s\n"), failed, resume);
        else if (st->last_result && strcmp(st->last_result, "declined") == 0)
                printf(_("  stopped before %s: the operator said no; when you are ready, resume with:\n    %s\n"),
                       step_key(next), resume);
        else if (st->last_result && strcmp(st->last_result, "inhibited") == 0)
                printf(_("  refused by a preflight check before %s; when that is fixed, resume with:\n    %s\n"),
                       step_key(next), resume);
        else
                printf(_("  stopped before %s; resume with:\n    %s\n"), step_key(next), resume);
}

static void
steps_table(const struct run_state *st)
{
        for (int i = 0; i < STEP_COUNT; i++) {
                char d2[32] = "";

                if (st->ms[i] >= 0)
                        duration_format(d2, sizeof d2, st->ms[i]);
                printf("  %-11s %-12s %s\n", step_key((enum step_id)i), state_status_name(st->status[i]), d2);
                if (st->status[i] == ST_FAILED && st->error[i])
                        printf(_("              error: %s\n"), st->error[i]);
        }
}

static int
status_of(const struct cli *c, const char *label, const char *dir)
{
        struct journal_damage damage = {0};
        struct run_state st;
        struct strv hops = {0};
        struct diag d = {0};
        struct cli hc = *c;
        char *resume = NULL, *rollback = NULL, *attach = NULL;
        int held;

        state_init(&st);
        if (engine_state_load(dir, false, &st, &hops, &damage, &d) < 0) {
                cli_error(d.msg);
                return EXIT_USAGE;
        }
        /* The hints name the plan and the state directory status was given. */
        if (hc.plan_arg == NULL)
                hc.plan_arg = st.plan_id ? st.plan_id : label;
        if (c->state_dir == NULL && c->plan_arg == NULL)
                hc.state_dir = dir;
        resume = cli_command(&hc, "run");
        rollback = cli_command(&hc, "rollback");
        attach = cli_command(&hc, "attach");
        if (st.records == 0) {
                printf(_("%s: no upgrade has been started (state %s)\n"), label, dir);
                running(dir, attach);
                goto out;
        }
        printf(_("%s: state %s\n"), label, dir);
        if (st.rolled_back_at)
                printf(_("  history: an earlier upgrade was rolled back (%s)\n"), st.rolled_back_at);
        if (st.finished_at && st.history && *st.history)
                /* TRANSLATORS: a time, then a directory. */
                printf(_("  history: an earlier upgrade finished (kept %s); its old files are in %s\n"),
                       st.finished_at, st.history);
        else if (st.finished_at)
                printf(_("  history: an earlier upgrade finished (kept %s); it left no old files\n"),
                       st.finished_at);
        if (st.rolled_back && !st.started) {
                printf(_("  no upgrade in progress: the last one was rolled back; the next run starts a new one\n"));
                printf(_("  service: up on the old version (the rollback checked it)\n"));
                running(dir, attach);
                goto out;
        }
        held = running(dir, attach);
        printf(_("  started %s, last record %s\n"), st.first_time ? st.first_time : "?",
               st.last_time ? st.last_time : "?");
        printf(_("  version %s -> target %s\n"),
               kvlist_get(&st.facts, FACT_VERSION) ? kvlist_get(&st.facts, FACT_VERSION) : "?",
               st.target ? st.target : "?");
        if (kvlist_get(&st.facts, FACT_PACKAGES))
                /* TRANSLATORS: each package of the swap with its version (FACT_PACKAGES). */
                printf(_("  packages %s\n"), kvlist_get(&st.facts, FACT_PACKAGES));
        if (st.n_hops > 1) {
                char *list = strv_join(hops.v, hops.n, ", ");

                /* TRANSLATORS: the hop's number, how many, then the hops' targets. */
                printf(_("  hop %u of %u (path: %s); swap, migrate and verify below are this hop's\n"),
                       st.hop, st.n_hops, list);
                free(list);
        }
        steps_table(&st);
        if (kvlist_get(&st.facts, FACT_BACKUP_PATH))
                printf(_("  backup %s (SHA-256 %s)\n"), kvlist_get(&st.facts, FACT_BACKUP_PATH),
                       kvlist_get(&st.facts, FACT_BACKUP_SHA256) ? kvlist_get(&st.facts, FACT_BACKUP_SHA256) : "?");
        if (damage.damaged)
                printf(_("  warning: the journal is damaged after record %zu; the next run keeps the damaged part aside\n"),
                       damage.good_records);
        service_line(&st);
        standing(&st, held == 1, resume, rollback);
        if (st.complete && st.old_files_removed)
                printf(_("  its old files (*.upshift-old) were removed by upshift clean\n"));
        else if (st.complete)
                printf(_("  its old files stay beside the new ones as *.upshift-old until the next upgrade moves them into %s/history, or upshift clean removes them\n"),
                       dir);
out:
        free(resume);
        free(rollback);
        free(attach);
        strv_release(&hops);
        free(damage.kept_copy);
        state_release(&st);
        return EXIT_DONE;
}

int
cli_status(struct cli *c)
{
        struct plan *p = NULL;
        char *dir;
        int r;

        if (c->plan_arg) {
                if ((r = cli_load_plan(c, &p)) != 0)
                        return r;
                dir = cli_state_dir(c, p->id);
                r = status_of(c, p->id, dir);
                free(dir);
                plan_free(p);
                return r;
        }
        if (c->state_dir)
                return status_of(c, c->state_dir, c->state_dir);
        {
                char *root = xstrdup(ENGINE_STATE_ROOT);
                struct dirent **names = NULL;
                int n = scandir(root, &names, NULL, alphasort), shown = 0;

                for (int i = 0; i < n; i++) {
                        if (names[i]->d_name[0] != '.') {
                                dir = path_join(root, names[i]->d_name);
                                status_of(c, names[i]->d_name, dir);
                                free(dir);
                                shown++;
                        }
                        free(names[i]);
                }
                free(names);
                if (shown == 0)
                        printf(_("no upgrades recorded in %s\n"), root);
                free(root);
        }
        return EXIT_DONE;
}
