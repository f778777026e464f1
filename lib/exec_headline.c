/* exec_headline.c: the line of a failed command's output that says why
 * (exec.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/exec.h"
#include "lib/util.h"

/* How strongly a line says why a command failed: 10 for each strong word,
 * 1 for each weak one. */
static int
headline_weight(const char *line, size_t len)
{
        static const char *const strong[] = { "fatal", "error", "panic", NULL };
        static const char *const weak[] = {
                "cannot", "can't", "could not", "couldn't", "unable", "failed", "failure",
                "denied", "refused", "not found", "no such", "invalid", "already",
                "not permitted", "timed out", "timeout", "missing", NULL,
        };
        char *low = xstrndup(line, len);
        int w = 0;

        for (char *p = low; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        for (size_t i = 0; strong[i]; i++)
                if (strstr(low, strong[i]))
                        w += 10;
        for (size_t i = 0; weak[i]; i++)
                if (strstr(low, weak[i]))
                        w += 1;
        free(low);
        return w;
}

char *
exec_headline(const char *text)
{
        const char *best = NULL, *last = NULL;
        size_t best_len = 0, last_len = 0;
        int best_w = 0;

        for (const char *p = text ? text : ""; *p; ) {
                size_t len = strcspn(p, "\n");
                size_t blank = strspn(p, " \t\r");
                int w;

                if (blank < len) {
                        while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
                                len--;
                        last = p;
                        last_len = len;
                        w = headline_weight(p, len);
                        if (w > best_w) {
                                best = p;
                                best_len = len;
                                best_w = w;
                        }
                }
                p += strcspn(p, "\n");
                p += *p == '\n';
        }
        if (best == NULL) {
                best = last;
                best_len = last_len;
        }
        return best ? xstrndup(best, best_len) : xstrdup("");
}
