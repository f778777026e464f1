#include <config.h>

#include <string.h>

#include "lib/upshift.h"

static const char *const step_keys[STEP_COUNT] = {
        [STEP_DETECT]     = "detect",
        [STEP_BACKUP]     = "backup",
        [STEP_DISCONNECT] = "disconnect",
        [STEP_STOP]       = "stop",
        [STEP_SWAP]       = "swap",
        [STEP_MIGRATE]    = "migrate",
        [STEP_VERIFY]     = "verify",
        [STEP_RECONNECT]  = "reconnect",
};

const char *
step_key(enum step_id id)
{
        if ((int)id < 0 || id >= STEP_COUNT)
                return NULL;
        return step_keys[id];
}

enum step_id
step_from_key(const char *key)
{
        for (int i = 0; i < STEP_COUNT; i++)
                if (strcmp(step_keys[i], key) == 0)
                        return (enum step_id)i;
        return STEP_NONE;
}
