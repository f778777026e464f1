/* engine_hop.c: where the engine stands in a path of several hops. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

unsigned
engine_hop(const struct engine *e)
{
        return e->hop > 0 ? e->hop : 1;
}

unsigned
engine_hop_count(const struct engine *e)
{
        return e->hops.n > 0 ? (unsigned)e->hops.n : 1;
}

void
engine_hop_key(const struct engine *e, char *buf, size_t n, const char *fmt, ...)
{
        unsigned hop = engine_hop(e);
        size_t used = 0;
        va_list ap;

        if (hop > 1) {
                int k = snprintf(buf, n, "hop%u.", hop);

                used = k > 0 && (size_t)k < n ? (size_t)k : 0;
        }
        va_start(ap, fmt);
        vsnprintf(buf + used, n - used, fmt, ap);
        va_end(ap);
}
