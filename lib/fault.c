#include <config.h>

#ifdef UPSHIFT_FAULT_INJECTION

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fault.h"

static struct {
        long          crash_after;      /* -1: none */
        long          crash_fsop;       /* 0: none */
        unsigned long fsops;
        long          fail_at;          /* 0: none */
        int           fail_errno;
        unsigned long writes;
        long          flush_fail_at;    /* 0: none */
        atomic_ulong  flushes;          /* counted on the flushers' threads */
} fault = {.crash_after = -1};

void
fault_init(void)
{
        const char *env = getenv("UPSHIFT_FAULT");
        char *copy, *save = NULL;

        /* Counted from here: a test may set faults again. */
        fault.crash_after = -1;
        fault.crash_fsop = fault.fail_at = fault.flush_fail_at = 0;
        fault.fsops = fault.writes = 0;
        atomic_store(&fault.flushes, 0);
        if (env == NULL)
                return;
        copy = strdup(env);
        if (copy == NULL)
                return;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(t, '=');
                long n;

                if (eq == NULL)
                        continue;
                *eq = '\0';
                n = strtol(eq + 1, NULL, 10);
                if (strcmp(t, "crash-after-record") == 0) {
                        fault.crash_after = n;
                } else if (strcmp(t, "crash-after-fsop") == 0) {
                        fault.crash_fsop = n;
                } else if (strcmp(t, "enospc-at-write") == 0) {
                        fault.fail_at = n;
                        fault.fail_errno = ENOSPC;
                } else if (strcmp(t, "eio-at-write") == 0) {
                        fault.fail_at = n;
                        fault.fail_errno = EIO;
                } else if (strcmp(t, "eio-at-flush") == 0) {
                        fault.flush_fail_at = n;
                }
        }
        free(copy);
}

bool
fault_crash_after(unsigned long seq)
{
        return fault.crash_after >= 0 && (unsigned long)fault.crash_after == seq;
}

void
fault_crash(void)
{
        raise(SIGKILL);
}

void
fault_fs_op(void)
{
        fault.fsops++;
        if (fault.crash_fsop > 0 && fault.fsops == (unsigned long)fault.crash_fsop)
                raise(SIGKILL);
}

int
fault_write(void)
{
        fault.writes++;
        if (fault.fail_at > 0 && fault.writes == (unsigned long)fault.fail_at)
                return -fault.fail_errno;
        return 0;
}

int
fault_flush(void)
{
        unsigned long n = atomic_fetch_add(&fault.flushes, 1) + 1;

        if (fault.flush_fail_at > 0 && n == (unsigned long)fault.flush_fail_at)
                return -EIO;
        return 0;
}

#else
/* ISO C wants a translation unit to hold something. */
typedef int fault_unused;
#endif
