/* diag.h: the diagnostic slot.
 *
 * A function that fails fills the caller's struct diag with one line that
 * says what failed, then why, then (where it helps) what to do, and returns a
 * negative value. Library code (src/, steps/) never prints: the frontend shows
 * the message. The first message set wins unless diag_set is called again
 * explicitly; diag_prefix adds context in front of an existing message.
 */
#ifndef UPSHIFT_DIAG_H
#define UPSHIFT_DIAG_H

#include <stdarg.h>
#include <stdbool.h>

#define DIAG_MAX 2048

struct diag {
        char msg[DIAG_MAX];
        int  code;              /* an EXIT_* code suggested by whoever failed, or 0 */
};

/* Empty the slot. */
void diag_clear(struct diag *d);

/* Replace the message (printf-style). d may be NULL: then nothing happens. */
void diag_set(struct diag *d, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void diag_vset(struct diag *d, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

/* Replace the message with "FILE:LINE:COL: message". line/col are 1-based;
 * a zero line leaves out ":LINE:COL", a zero col leaves out ":COL". */
void diag_set_at(struct diag *d, const char *file, unsigned line, unsigned col,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Put "PREFIX: " in front of the current message. */
void diag_prefix(struct diag *d, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Add to the end of the current message (cut at DIAG_MAX). */
void diag_append(struct diag *d, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* True when a message is set. */
bool diag_isset(const struct diag *d);

#endif
