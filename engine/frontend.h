/* frontend.h: what the engine asks of a frontend (plain, tui, remote).
 *
 * The engine calls these methods in this order: begin, then any number of
 * step_state / output / progress / ask / confirm / failure, then end.
 * A frontend renders and answers; it never runs commands. Strings passed in
 * are only valid during the call: copy them to keep them.
 */
#ifndef UPSHIFT_FRONTEND_H
#define UPSHIFT_FRONTEND_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/diag.h"
#include "lib/plan.h"
#include "lib/upshift.h"
#include "lib/vars.h"

enum step_status {
        ST_PENDING,
        ST_RUNNING,             /* started; after a crash: in doubt */
        ST_DONE,
        ST_FAILED,
        ST_SKIPPED,             /* nothing to do in this plan */
        ST_UNDONE,              /* rolled back */
};

/* Choices on the failure screen. */
enum fail_choice {
        FAIL_QUIT,              /* stop here; resume later */
        FAIL_RETRY,
        FAIL_ROLLBACK,          /* undo what was done (upshift rollback) */
};

struct run_info {
        const char *plan_id;
        const char *plan_title;
        const char *host;
        const char *version;            /* installed, or NULL before detect */
        const char *target;
        const char *state_dir;
        const char *log_path;
        bool        resuming;
        enum step_status status[STEP_COUNT];   /* from the journal */
};

struct run_report {
        const char *plan_id;
        const char *plan_title;
        const char *version_before;
        const char *version_after;
        const char *package_version;    /* or NULL */
        const char *version_change;     /* "deb12u3 -> deb12u4" when only the
                                           revision changed (version_change()),
                                           or NULL */
        const char *backup_path;        /* or NULL */
        const char *backup_sha256;
        uint64_t    backup_size;
        enum step_status status[STEP_COUNT];
        int64_t     step_ms[STEP_COUNT];        /* -1: not run; summed over the hops */
        unsigned    hops;                       /* hops of the path (1: none) */
        int64_t     downtime_ms;                /* -1: unknown */
        int64_t     backup_delta_ms;            /* 0: none; a cold backup's second part,
                                                   made in stop: in backup's step_ms
                                                   (not stop's) and in the downtime */
        const char *log_path;
        const char *state_dir;
        const char *resume_hint;        /* command that resumes, or NULL */
        bool        declined;           /* the operator said no to a step: nothing to fix */
        int         exit_code;
        const char *message;            /* the error, or NULL when done */
};

/* A form: the questions of one group, asked on one screen (engine_ask.c).
 * The engine owns every string; a frontend replaces a field's value by
 * freeing it and storing a new string (xstrdup). */
struct form_field {
        const struct question *q;
        char                  *value;   /* in: what to show (answer, default or ""); out: what was entered */
        const char            *error;   /* why the last value was refused, or NULL */
};

struct form {
        const char        *title;       /* "Questions", "Checklist before disconnect" */
        const char        *intro;       /* text above the fields, or NULL */
        const char        *error;       /* about the whole form (the package's SHA-256), or NULL */
        unsigned           index;       /* this form's place, 1-based, among count */
        unsigned           count;
        bool               no_back;     /* nothing to go back to (a step's checklist) */
        struct form_field *fields;
        size_t             n;
};

/* What the review screen shows before anything runs. */
struct review {
        const struct plan *plan;
        struct vars       *vars;        /* the answers applied: expands every command */
        const char        *state_dir;
        const char        *backup_dir;
        uint64_t           data_bytes;  /* size of the data paths now */
        bool               data_known;  /* data_bytes was measured */
        uint64_t           free_bytes;  /* free in backup_dir (or its parent); 0: unknown */
};

struct frontend;

struct frontend_ops {
        const char *name;
        void (*begin)(struct frontend *fe, const struct run_info *ri);
        /* Ask one question. def is the default (expanded) or NULL. Returns
         * STEP_OK with *ret_value (new string), STEP_BACK or STEP_ABORT. */
        int  (*ask)(struct frontend *fe, const struct question *q, const char *def,
                    char **ret_value);
        /* Confirm a destructive action. point_of_no_return is NULL, or what
         * cannot be undone once this is confirmed (a migration's
         * point_of_no_return): then it is the consequence, and consequence
         * is NULL. Returns STEP_OK or STEP_ABORT. */
        int  (*confirm)(struct frontend *fe, enum step_id step, const char *what,
                        const char *consequence, const char *point_of_no_return);
        void (*step_state)(struct frontend *fe, enum step_id step, enum step_status st,
                           int64_t ms, const char *note);
        /* label: what the line is about, as the run log labels it: a
         * step's key, an undo's label (migrate's "restore": the data
         * restore), "check" (the check after a rollback that the old
         * version answers as before), or NULL: the run itself (the run
         * log's "upshift"). */
        void (*output)(struct frontend *fe, enum out_kind kind, const char *label,
                       const char *line);
        /* what: short label; total 0 when unknown. */
        void (*progress)(struct frontend *fe, const char *what, uint64_t done,
                         uint64_t total);
        enum fail_choice (*failure)(struct frontend *fe, enum step_id step,
                                    const char *message, const char *log_path);
        void (*end)(struct frontend *fe, const struct run_report *rep);
        /* Optional (NULL: the engine asks question by question with ask, and
         * shows no review). Ask a whole form; values are replaced in place.
         * Returns STEP_OK, STEP_BACK (to the previous form) or STEP_ABORT. */
        int  (*form)(struct frontend *fe, struct form *f);
        /* Show what will be done. STEP_OK starts, STEP_BACK returns to the
         * last form, STEP_ABORT stops before anything was changed. */
        int  (*review)(struct frontend *fe, const struct review *rv);
        /* The run's variables once the questions are answered (secrets
         * included): the wizard gives them to the operator's shell. */
        void (*vars)(struct frontend *fe, const struct vars *vs);
        /* A fact was journaled (engine.h lists them: version, backup.path...). */
        void (*fact)(struct frontend *fe, const char *key, const char *value);
        /* Optional (NULL: shown as progress with no total). A wait with a
         * limit: left_ms of total_ms remain (a drain, a readiness wait). */
        void (*countdown)(struct frontend *fe, const char *what, int64_t left_ms,
                          int64_t total_ms);
        /* Optional (NULL: always). False when nobody watches the run (the
         * wizard went away, issue 8): the engine then lets the running step
         * finish but asks before it starts another one, and that question
         * waits for an operator to attach. */
        bool (*attended)(struct frontend *fe);
};

struct frontend {
        const struct frontend_ops *ops;
        void *priv;
};

#endif
