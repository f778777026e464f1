/* runlog.h: the full log of one run: STATE_DIR/log/run-N-<time>.log, 0600.
 * Every command's output goes here whole; the frontend only shows parts. */
#ifndef UPSHIFT_RUNLOG_H
#define UPSHIFT_RUNLOG_H

#include <stdarg.h>

#include "lib/diag.h"

struct runlog {
        int   fd;                       /* -1 when closed */
        char *path;
};

/* Create STATE_DIR/log (0700) and the log file (O_EXCL, 0600). */
int  runlog_open(struct runlog *l, const char *state_dir, int run, struct diag *d);
/* Append "[HH:MM:SS] text\n". Errors are ignored: the log never stops a run. */
void runlog_printf(struct runlog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The line runlog_printf writes, stamped now, for the caller to free. It
 * is written with one write(): lines from two threads never mix. */
char *runlog_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void runlog_close(struct runlog *l);

#endif
