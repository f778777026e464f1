#include <config.h>

#include <stdio.h>
#include <string.h>

#include "lib/diag.h"

/* Messages longer than DIAG_MAX are cut on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

void
diag_clear(struct diag *d)
{
        if (d == NULL)
                return;
        d->msg[0] = '\0';
        d->code = 0;
}

void
diag_vset(struct diag *d, const char *fmt, va_list ap)
{
        if (d == NULL)
                return;
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
}

void
diag_set(struct diag *d, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        diag_vset(d, fmt, ap);
        va_end(ap);
}

void
diag_set_at(struct diag *d, const char *file, unsigned line, unsigned col,
            const char *fmt, ...)
{
        char body[DIAG_MAX];
        va_list ap;

        if (d == NULL)
                return;
        va_start(ap, fmt);
        vsnprintf(body, sizeof body, fmt, ap);
        va_end(ap);
        if (line == 0)
                snprintf(d->msg, sizeof d->msg, "%s: %s", file, body);
        else if (col == 0)
                snprintf(d->msg, sizeof d->msg, "%s:%u: %s", file, line, body);
        else
                snprintf(d->msg, sizeof d->msg, "%s:%u:%u: %s", file, line, col, body);
}

void
diag_prefix(struct diag *d, const char *fmt, ...)
{
        char pre[DIAG_MAX], old[DIAG_MAX];
        va_list ap;

        if (d == NULL)
                return;
        va_start(ap, fmt);
        vsnprintf(pre, sizeof pre, fmt, ap);
        va_end(ap);
        memcpy(old, d->msg, sizeof old);
        if (old[0] == '\0')
                snprintf(d->msg, sizeof d->msg, "%s", pre);
        else
                snprintf(d->msg, sizeof d->msg, "%s: %s", pre, old);
}

void
diag_append(struct diag *d, const char *fmt, ...)
{
        size_t len;
        va_list ap;

        if (d == NULL)
                return;
        len = strlen(d->msg);
        va_start(ap, fmt);
        vsnprintf(d->msg + len, sizeof d->msg - len, fmt, ap);
        va_end(ap);
}

bool
diag_isset(const struct diag *d)
{
        return d != NULL && d->msg[0] != '\0';
}
