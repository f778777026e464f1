/* state_load.c: the state of an upgrade, read from its state directory (state.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>

#include "engine/state.h"
#include "steps/facts.h"
#include "lib/hops.h"

int
engine_state_load(const char *state_dir, bool repair, struct run_state *ret,
                  struct strv *ret_hops, struct journal_damage *ret_damage, struct diag *d)
{
        struct journal_damage damage = {0};
        struct run_state st;
        struct jrec *recs = NULL;
        size_t n = 0;
        int r;

        state_init(&st);
        r = journal_replay(state_dir, repair, &recs, &n, &damage, d);
        if (r < 0)
                return r;
        if (state_replay(&st, recs, n, d) < 0) {
                r = -EBADMSG;
                goto out;
        }
        st.records = n;
        if (ret_hops) {
                strv_release(ret_hops);
                hops_split(kvlist_get(&st.facts, FACT_HOPS), ret_hops);
        }
        state_release(ret);
        *ret = st;
        state_init(&st);
        if (ret_damage) {
                *ret_damage = damage;
                damage.kept_copy = NULL;
        }
out:
        journal_records_free(recs, n);
        free(damage.kept_copy);
        state_release(&st);
        return r;
}
