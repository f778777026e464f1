#include <config.h>

#include <string.h>

#include "lib/i18n.h"
#include "steps/step.h"

extern const struct step_module step_detect, step_backup, step_disconnect, step_stop,
        step_swap, step_migrate, step_verify, step_reconnect;

const struct step_module *const step_registry[] = {
        &step_detect,
        &step_backup,
        &step_disconnect,
        &step_stop,
        &step_swap,
        &step_migrate,
        &step_verify,
        &step_reconnect,
        NULL,
};

int
step_plan_load(const char *path, struct plan **ret, struct diag *d)
{
        struct plan_section sections[STEP_COUNT] = {{0}};

        for (size_t i = 0; i < STEP_COUNT && step_registry[i]; i++)
                sections[step_registry[i]->id] = step_registry[i]->plan;
        return plan_load(path, sections, ret, d);
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
        size_t i;

        for (i = 0; step_registry[i] != NULL; i++) {
                const struct step_module *m = step_registry[i];

                if (i >= n || m->abi != STEP_ABI || m->run == NULL ||
                    m->id != (enum step_id)i || strcmp(m->name, step_key(m->id)) != 0) {
                        diag_set(d, _("step module \"%s\" is not usable (ABI %u, expected %u)"),
                                 m->name ? m->name : "?", m->abi, STEP_ABI);
                        return -1;
                }
                out[i] = *m;
                if (out[i].check == NULL)
                        out[i].check = default_check;
                if (out[i].probe == NULL)
                        out[i].probe = default_probe;
                if (out[i].undo == NULL)
                        out[i].undo = default_undo;
        }
        if (i != STEP_COUNT) {
                diag_set(d, _("%zu step modules registered, expected %d"), i, STEP_COUNT);
                return -1;
        }
        return 0;
}
