/* fuzz-plan.c: libFuzzer target for the plan loader (lib/plan*.c, lib/ynode.c).
 *
 * The input is a plan file. A plan that loads is also printed as its
 * answers template, which walks every question.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "lib/answers.h"
#include "lib/plan.h"
#include "steps/step.h"
#include "tests/fuzz/fuzz.h"

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
        devnull = fopen("/dev/null", "w");
        if (devnull == NULL)
                abort();
        return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct diag d = {0};
        struct plan *p = NULL;

        if (step_plan_load(fuzz_memfd(data, size), &p, &d) == 0) {
                answers_template(p, devnull);
                plan_free(p);
        }
        return 0;
}
