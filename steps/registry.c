#include <config.h>

#include <string.h>

#include "lib/i18n.h"
#include "steps/step.h"

#define STEP_EXTERN_(id, key) extern const struct step_module step_##key;
STEP_LIST(STEP_EXTERN_)
#undef STEP_EXTERN_

#define STEP_ENTRY_(id, key) [STEP_##id] = &step_##key,
const struct step_module *const step_registry[STEP_COUNT + 1] = { STEP_LIST(STEP_ENTRY_) };
#undef STEP_ENTRY_

int
step_plan_load(const char *path, struct plan **ret, struct diag *d)
{
        struct plan_section sections[STEP_COUNT] = {{0}};

        for (size_t i = 0; i < STEP_COUNT; i++)
                sections[i] = step_registry[i]->plan;
        return plan_load(path, sections, ret, d);
}

void
step_hop_range(enum step_id *ret_first, enum step_id *ret_last)
{
        int first = STEP_COUNT, last = -1;

        for (int i = 0; i < STEP_COUNT; i++) {
                if (!step_registry[i]->per_hop)
                        continue;
                if (first == STEP_COUNT)
                        first = i;
                last = i;
        }
        *ret_first = (enum step_id)first;
        *ret_last = (enum step_id)last;
}

static int
default_check(struct step_ctx *ctx)
{
        return STEP_OK;
}

static int
default_probe(struct step_ctx *ctx)
{
        return STEP_FAILED;             /* not known to be done: run it again */
}

static int
default_undo(struct step_ctx *ctx)
{
        return STEP_OK;                 /* nothing to undo */
}

int
step_registry_init(struct step_module *out, size_t n, struct diag *d)
{
        for (size_t i = 0; i < STEP_COUNT && i < n; i++) {
                const struct step_module *m = step_registry[i];

                if (m->abi != STEP_ABI || m->run == NULL) {
                        diag_set(d, _("step module \"%s\" is not usable (ABI %u, expected %u)"),
                                 step_key((enum step_id)i), m->abi, STEP_ABI);
                        return -1;
                }
                out[i] = *m;
                out[i].id = (enum step_id)i;
                out[i].name = step_key((enum step_id)i);
                if (out[i].check == NULL)
                        out[i].check = default_check;
                if (out[i].probe == NULL)
                        out[i].probe = default_probe;
                if (out[i].undo == NULL)
                        out[i].undo = default_undo;
        }
        return 0;
}
