/* outcome.c: what an outcome of a run is called, and its exit code (engine.h). */
#include <config.h>

#include "engine/engine.h"
#include "lib/upshift.h"

static const struct {
        const char *name;
        int         exit;
} outcomes[] = {
        [RUN_DONE]        = { "done",        EXIT_DONE },
        [RUN_STEP_FAILED] = { "failed",      EXIT_STEPFAIL },
        [RUN_DECLINED]    = { "declined",    EXIT_STEPFAIL },
        [RUN_BAD_INPUT]   = { "refused",     EXIT_USAGE },
        [RUN_INHIBITED]   = { "inhibited",   EXIT_INHIBITED },
        [RUN_ROLLED_BACK] = { "rolled_back", EXIT_ROLLEDBACK },
        [RUN_LOCKED]      = { "failed",      EXIT_LOCKED },
};

int
run_outcome_exit(enum run_outcome o)
{
        return (unsigned)o < sizeof outcomes / sizeof *outcomes ? outcomes[o].exit : EXIT_STEPFAIL;
}

const char *
run_outcome_name(enum run_outcome o)
{
        return (unsigned)o < sizeof outcomes / sizeof *outcomes ? outcomes[o].name : "failed";
}
