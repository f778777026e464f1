#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/state.h"
#include "lib/i18n.h"
#include "steps/facts.h"
#include "steps/step.h"

void
state_init(struct run_state *s)
{
        memset(s, 0, sizeof *s);
        for (int i = 0; i < STEP_COUNT; i++)
                s->ms[i] = s->ms_all[i] = -1;
        s->hop = 1;
        s->n_hops = 1;
}

bool
state_is_hop_step(enum step_id id)
{
        return id >= 0 && id < STEP_COUNT && step_registry[id]->per_hop;
}

/* Swap, migrate and verify begin again for hop. */
static void
enter_hop(struct run_state *s, unsigned hop)
{
        if (hop <= s->hop)
                return;
        s->hop = hop;
        for (int i = 0; i < STEP_COUNT; i++) {
                if (!state_is_hop_step((enum step_id)i))
                        continue;
                s->status[i] = ST_PENDING;
                s->ms[i] = -1;
                free(s->error[i]);
                s->error[i] = NULL;
        }
}

/* The hop a step record names (1 without one). */
static unsigned
record_hop(const struct jrec *r)
{
        const char *h = jrec_get(r, "hop");
        unsigned long n = h ? strtoul(h, NULL, 10) : 1;

        return n >= 1 && n < 100000 ? (unsigned)n : 1;
}

void
state_release(struct run_state *s)
{
        for (int i = 0; i < STEP_COUNT; i++)
                free(s->error[i]);
        free(s->target);
        free(s->last_result);
        free(s->first_time);
        free(s->rolled_back_at);
        free(s->history);
        free(s->finished_at);
        free(s->plan_id);
        free(s->plan_sha256);
        free(s->last_time);
        kvlist_release(&s->facts);
        state_init(s);
}

static void
replace(char **slot, const char *v)
{
        char *n = xstrdup(v);

        free(*slot);
        *slot = n;
}

static int
record_step(const struct jrec *r, enum step_id *ret, struct diag *d)
{
        const char *k = jrec_get(r, "step");
        enum step_id id;

        if (k == NULL || (id = step_from_key(k)) == STEP_NONE) {
                diag_set(d, _("journal record %s has no valid step"),
                         jrec_get(r, "seq") ? jrec_get(r, "seq") : "?");
                return -EBADMSG;
        }
        *ret = id;
        return 0;
}

/* The events of a run and of a rollback as a whole. */
static void
apply_run(struct run_state *s, const char *ev, const struct jrec *r, const char *t)
{
        if (strcmp(ev, "run_start") == 0) {
                if (jrec_get(r, "action") && strcmp(jrec_get(r, "action"), "run") == 0)
                        s->rolled_back = false;
                s->runs++;
                s->upgrade_runs++;
                s->live = true;
                if (jrec_get(r, "target"))
                        replace(&s->target, jrec_get(r, "target"));
                if (jrec_get(r, "plan_sha256"))
                        replace(&s->plan_sha256, jrec_get(r, "plan_sha256"));
                if (s->first_time == NULL && t != NULL)
                        replace(&s->first_time, t);
        } else if (strcmp(ev, "run_end") == 0) {
                s->live = false;
                replace(&s->last_result, jrec_get(r, "result") ? jrec_get(r, "result") : "?");
        } else if (strcmp(ev, "hop_start") == 0) {
                enter_hop(s, record_hop(r));
        } else if (strcmp(ev, "rollback_start") == 0) {
                s->rolling_back = true;
        } else if (strcmp(ev, "journal") == 0 && jrec_get(r, "plan")) {
                replace(&s->plan_id, jrec_get(r, "plan"));
        }
}

/* {ev: rollback_end, result: done}: the upgrade is over (history: when it
 * was rolled back), the next run starts afresh. */
static void
apply_rolled_back(struct run_state *s, const struct jrec *kept)
{
        int runs = s->runs;
        char *last = s->last_time, *plan = s->plan_id, *back = s->rolled_back_at;
        char *hist = s->history, *fin = s->finished_at;

        s->last_time = s->plan_id = s->rolled_back_at = s->history = s->finished_at = NULL;
        state_release(s);
        s->runs = runs;
        s->last_time = last;
        s->plan_id = plan;
        s->rolled_back_at = back;
        s->history = hist;
        s->finished_at = fin;
        if (kept == NULL) {
                replace(&s->rolled_back_at, last);
                s->rolled_back = true;
                return;
        }
        /* {ev: upgrade_kept}: a finished upgrade, its old files in history. */
        replace(&s->finished_at, last ? last : "?");
        replace(&s->history, jrec_get(kept, "history") ? jrec_get(kept, "history") : "");
}

/* The events of one step and of its undo: 1 when ev is not one of them. */
static int
apply_step(struct run_state *s, const char *ev, const struct jrec *r, struct diag *d)
{
        enum step_id id;

        if (strncmp(ev, "step_", 5) != 0 && strncmp(ev, "undo_", 5) != 0)
                return 1;
        if (strcmp(ev, "step_start") != 0 && strcmp(ev, "step_done") != 0 &&
            strcmp(ev, "step_skipped") != 0 && strcmp(ev, "step_failed") != 0 &&
            strcmp(ev, "step_reset") != 0 && strcmp(ev, "undo_done") != 0 &&
            strcmp(ev, "undo_start") != 0 && strcmp(ev, "undo_failed") != 0)
                return 1;
        if (record_step(r, &id, d) < 0)
                return -EBADMSG;
        if (strcmp(ev, "step_start") == 0) {
                if (state_is_hop_step(id))
                        enter_hop(s, record_hop(r));
                s->status[id] = ST_RUNNING;
                s->begun[id] = true;
                s->started = true;
        } else if (strcmp(ev, "step_done") == 0 || strcmp(ev, "step_skipped") == 0) {
                s->status[id] = ev[5] == 'd' ? ST_DONE : ST_SKIPPED;
                s->ms[id] = jrec_get(r, "ms") ? strtoll(jrec_get(r, "ms"), NULL, 10) : 0;
                s->ms_all[id] = (s->ms_all[id] > 0 ? s->ms_all[id] : 0) + s->ms[id];
                free(s->error[id]);
                s->error[id] = NULL;
        } else if (strcmp(ev, "step_failed") == 0) {
                s->status[id] = ST_FAILED;
                replace(&s->error[id], jrec_get(r, "error") ? jrec_get(r, "error") : "");
        } else if (strcmp(ev, "step_reset") == 0) {
                s->status[id] = ST_PENDING;
                s->ms[id] = -1;
        } else if (strcmp(ev, "undo_done") == 0) {
                s->undone[id] = true;
                s->status[id] = ST_UNDONE;
        } else if (strcmp(ev, "undo_failed") == 0) {
                replace(&s->error[id], jrec_get(r, "error") ? jrec_get(r, "error") : "");
        }
        return 0;
}

/* {ev: fact}: the fact, and the number of hops when it is "hops". */
static int
apply_fact(struct run_state *s, const struct jrec *r, struct diag *d)
{
        const char *k = jrec_get(r, "key"), *v = jrec_get(r, "value");

        if (k == NULL || v == NULL) {
                diag_set(d, _("journal fact record without key or value"));
                return -EBADMSG;
        }
        kvlist_set(&s->facts, k, v);
        if (strcmp(k, FACT_HOPS) == 0) {
                unsigned n = 0;

                for (const char *p = v; *p; ) {
                        size_t l = strcspn(p, " ");

                        n += l > 0;
                        p += l;
                        p += strspn(p, " ");
                }
                s->n_hops = n > 0 ? n : 1;
        }
        return 0;
}

int
state_apply(struct run_state *s, const struct jrec *r, struct diag *d)
{
        const char *ev = jrec_get(r, "ev");
        const char *t = jrec_get(r, "time");
        int ret;

        if (ev == NULL) {
                diag_set(d, _("journal record without an event"));
                return -EBADMSG;
        }
        if (t != NULL)
                replace(&s->last_time, t);
        if (strcmp(ev, "rollback_end") == 0) {
                const char *res = jrec_get(r, "result");

                if (res && strcmp(res, "done") == 0) {
                        apply_rolled_back(s, NULL);
                        return 0;
                }
        } else if (strcmp(ev, "upgrade_kept") == 0) {
                apply_rolled_back(s, r);
                return 0;
        } else if (strcmp(ev, "old_files_removed") == 0) {
                s->old_files_removed = true;
        } else if (strcmp(ev, "fact") == 0) {
                if ((ret = apply_fact(s, r, d)) < 0)
                        return ret;
        } else if ((ret = apply_step(s, ev, r, d)) < 0) {
                return ret;
        } else if (ret > 0) {
                apply_run(s, ev, r, t);
        }
        s->complete = state_next_step(s) == STEP_COUNT && !s->rolling_back;
        return 0;
}

int
state_replay(struct run_state *s, const struct jrec *recs, size_t n, struct diag *d)
{
        int r;

        for (size_t i = 0; i < n; i++)
                if ((r = state_apply(s, &recs[i], d)) < 0)
                        return r;
        return 0;
}

enum step_id
state_next_step(const struct run_state *s)
{
        enum step_id first, last;

        step_hop_range(&first, &last);
        for (int i = 0; i < STEP_COUNT; i++) {
                if (s->status[i] == ST_DONE || s->status[i] == ST_SKIPPED)
                        continue;
                if (i > (int)last && s->hop < s->n_hops)
                        return first;           /* of the next hop */
                return (enum step_id)i;
        }
        return s->hop < s->n_hops ? first : STEP_COUNT;
}

const char *
state_status_name(enum step_status st)
{
        switch (st) {
        case ST_PENDING: return _("pending");
        case ST_RUNNING: return _("in progress");
        case ST_DONE:    return _("done");
        case ST_FAILED:  return _("failed");
        case ST_SKIPPED: return _("skipped");
        case ST_UNDONE:  return _("rolled back");
        }
        return "?";
}
