/* fuzz-answers.c: libFuzzer target for the answers loader (lib/answers.c).
 *
 * The input is an answers file, loaded against two fixed plans of
 * tests/data/plans: full.yaml (every question type) and toy-hops.yaml
 * (per_hop questions over three hops), with missing answers an error for
 * inputs of odd length. What loads is applied to a variable table and
 * checked against the hops.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "lib/answers.h"
#include "lib/plan.h"
#include "lib/vars.h"
#include "steps/step.h"
#include "tests/fuzz/fuzz.h"

static struct plan *plans[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
        static const char *const files[] = {
                FUZZ_DATA "/plans/full.yaml", FUZZ_DATA "/plans/toy-hops.yaml",
        };

        for (size_t i = 0; i < 2; i++) {
                struct diag d = {0};

                if (step_plan_load(files[i], &plans[i], &d) < 0) {
                        fprintf(stderr, "fuzz-answers: %s\n", d.msg);
                        abort();
                }
        }
        return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *const hops[] = { "0.30.0", "0.80.2", "1.0.0" };
        const char *path = fuzz_memfd(data, size);

        for (size_t i = 0; i < 2; i++) {
                struct diag d = {0};
                struct vars vs = {0};
                struct answers *a = NULL;

                if (answers_load(path, plans[i], size % 2 == 1, &a, &d) < 0)
                        continue;
                vars_set(&vs, "plan", plans[i]->id);
                vars_set(&vs, "target", "1.0.0");
                if (answers_apply(plans[i], a, &vs, &d) == 0 &&
                    answers_check_hops(plans[i], a, hops, 3, &d) == 0)
                        answers_apply_hop(plans[i], &vs, hops[0], &d);
                vars_release(&vs);
                answers_free(a);
        }
        return 0;
}
