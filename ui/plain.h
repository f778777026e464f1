/* plain.h: the line frontend. One timestamped line per event on out, errors
 * and the final failure on err. Used without a terminal and with --answers.
 * When interactive (stdin is a terminal) it can ask for confirmation on
 * stdin; otherwise every question must come from the answers file. */
#ifndef UPSHIFT_PLAIN_H
#define UPSHIFT_PLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/frontend.h"

struct frontend *plain_new(FILE *out, FILE *err, FILE *in, bool interactive);
void             plain_free(struct frontend *fe);

#endif
