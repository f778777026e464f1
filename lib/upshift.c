#include <config.h>

#include <string.h>

#include "lib/upshift.h"

#define STEP_KEY_(id, key) [STEP_##id] = #key,
static const char *const step_keys[STEP_COUNT] = { STEP_LIST(STEP_KEY_) };
#undef STEP_KEY_

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
