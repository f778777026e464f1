/* upshift status: the journal of an upgrade, summarised, and what its
 * worker says when one runs (ui/worker.h). Reads only, but for removing
 * the socket of a worker that died. */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/state.h"
#include "lib/i18n.h"
#include "lib/journal.h"
#include "lib/lock.h"
#include "lib/util.h"
#include "ui/worker.h"

/* What the worker running the upgrade says: who is attached, and whether
 * it waits for the operator. */
static void
worker_status(const char *plan_id, const char *dir)
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
                printf(_("  waiting for the operator: %s; attach with: upshift attach %s\n"),
                       wi.what ? wi.what : "?", plan_id ? plan_id : "PLAN");
        else if (wi.waiting)
                printf(_("  waiting for an answer in the wizard: %s\n"), wi.what ? wi.what : "?");
        worker_info_release(&wi);
}

/* The run holding the lock, if any, and what its worker says. */
static void
running(const char *plan_id, const char *dir)
{
        struct lock_holder h;

        if (lock_peek(dir, &h) != 1)
                return;
        printf(_("  running now: pid %ld, user %s, tty %s, since %s\n"), (long)h.pid, h.user,
               h.tty, h.since);
        worker_status(plan_id, dir);
}

static int
status_of(const char *label, const char *plan_id, const char *dir)
{
        struct journal_damage damage = {0};
        struct run_state st;
        struct strv hops = {0};
        struct diag d = {0};
        int r = EXIT_DONE;

        state_init(&st);
        if (engine_state_load(dir, false, &st, &hops, &damage, &d) < 0) {
                cli_error(d.msg);
                return EXIT_USAGE;
        }
        if (st.records == 0) {
                printf(_("%s: no upgrade has been started (state %s)\n"), label, dir);
                running(plan_id, dir);
                goto out;
        }
        printf(_("%s: state %s\n"), label, dir);
        if (st.rolled_back && !st.started) {
                printf(_("  the last upgrade was rolled back (last record %s); the next run starts a new one\n"),
                       st.last_time ? st.last_time : "?");
                goto out;
        }
        if (st.rolling_back)
                printf(_("  a rollback is in progress or was interrupted: finish it with upshift rollback\n"));
        running(plan_id, dir);
        printf(_("  started %s, %d run(s), last record %s\n"), st.first_time ? st.first_time : "?",
               st.runs, st.last_time ? st.last_time : "?");
        printf(_("  version %s -> target %s\n"),
               kvlist_get(&st.facts, FACT_VERSION) ? kvlist_get(&st.facts, FACT_VERSION) : "?",
               st.target ? st.target : "?");
        if (st.n_hops > 1) {
                char *list = strv_join(hops.v, hops.n, ", ");

                /* TRANSLATORS: the hop's number, how many, then the hops' targets. */
                printf(_("  hop %u of %u (path: %s); swap, migrate and verify below are this hop's\n"),
                       st.hop, st.n_hops, list);
                free(list);
        }
        for (int i = 0; i < STEP_COUNT; i++) {
                char d2[32] = "";

                if (st.ms[i] >= 0)
                        duration_format(d2, sizeof d2, st.ms[i]);
                printf("  %-11s %-12s %s\n", step_key((enum step_id)i), state_status_name(st.status[i]), d2);
                if (st.status[i] == ST_FAILED && st.error[i])
                        printf(_("              error: %s\n"), st.error[i]);
        }
        if (kvlist_get(&st.facts, FACT_BACKUP_PATH))
                printf(_("  backup %s (SHA-256 %s)\n"), kvlist_get(&st.facts, FACT_BACKUP_PATH),
                       kvlist_get(&st.facts, FACT_BACKUP_SHA256) ? kvlist_get(&st.facts, FACT_BACKUP_SHA256) : "?");
        if (damage.damaged)
                printf(_("  warning: the journal is damaged after record %zu; the next run keeps the damaged part aside\n"),
                       damage.good_records);
        if (st.complete)
                printf(_("  finished: nothing left to do\n"));
        else if (st.live)
                printf(_("  in progress (or the process that ran it died: run it again to resume)\n"));
        else
                printf(_("  stopped (%s) before %s: run it again to resume\n"),
                       st.last_result ? st.last_result : "?", step_key(state_next_step(&st)));
out:
        strv_release(&hops);
        free(damage.kept_copy);
        state_release(&st);
        return r;
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
                r = status_of(p->id, p->id, dir);
                free(dir);
                plan_free(p);
                return r;
        }
        if (c->state_dir)
                return status_of(c->state_dir, NULL, c->state_dir);
        {
                char *root = xstrdup(ENGINE_STATE_ROOT);
                struct dirent **names = NULL;
                int n = scandir(root, &names, NULL, alphasort), shown = 0;

                for (int i = 0; i < n; i++) {
                        if (names[i]->d_name[0] != '.') {
                                dir = path_join(root, names[i]->d_name);
                                status_of(names[i]->d_name, names[i]->d_name, dir);
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
