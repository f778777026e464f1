/* upshift.h: program-wide enums: exit codes, step ids, step results, line kinds. */
#ifndef UPSHIFT_UPSHIFT_H
#define UPSHIFT_UPSHIFT_H

/* Exit codes (man/upshift.1, DESIGN.md "Command line"). */
enum {
        EXIT_DONE       = 0,    /* done */
        EXIT_STEPFAIL   = 1,    /* a step failed; state kept, resumable */
        EXIT_USAGE      = 2,    /* bad usage or bad input; nothing changed */
        EXIT_INHIBITED  = 3,    /* a preflight check refused the upgrade */
        EXIT_ROLLEDBACK = 4,    /* rolled back */
        EXIT_LOCKED     = 75,   /* another run holds the lock (EX_TEMPFAIL) */
};

/* The eight steps, in the order the engine runs them: the one list of them.
 * X(ID, key) for each: ID names the enum constant STEP_ID, key is the plan
 * key and the step module's symbol step_<key> (steps/registry.c). */
#define STEP_LIST(X) \
        X(DETECT, detect) \
        X(BACKUP, backup) \
        X(DISCONNECT, disconnect) \
        X(STOP, stop) \
        X(SWAP, swap) \
        X(MIGRATE, migrate) \
        X(VERIFY, verify) \
        X(RECONNECT, reconnect)

#define STEP_ENUM_(id, key) STEP_##id,
enum step_id {
        STEP_LIST(STEP_ENUM_)
        STEP_COUNT,
        STEP_NONE = -1,
};
#undef STEP_ENUM_

/* What a step method returns: one enum for the whole program. */
enum step_result {
        STEP_OK     = 0,
        STEP_BACK   = 1,        /* the operator asked to go back */
        STEP_ABORT  = -1,       /* the operator declined; nothing more is done */
        STEP_FAILED = -2,       /* failed; the message is in the context's diag */
};

/* What a line said to the operator is (the frontend's output). */
enum out_kind {
        OUT_INFO,               /* what the step is doing, in words */
        OUT_CMD,                /* the command about to run (display form) */
        OUT_STDOUT,             /* a line of a command's output */
        OUT_STDERR,
        OUT_WARN,               /* something the operator should read */
};

/* Plan key of a step ("backup"), or NULL for an id out of range. */
const char *step_key(enum step_id id);
/* Step id from its plan key, or STEP_NONE. */
enum step_id step_from_key(const char *key);

#endif
