/* proto_msg.h: the worker protocol's messages, typed (doc/protocol.md).
 *
 * ui/proto.h frames a message (TYPE KEY=VALUE ...); this header says what
 * each type carries. Every message has its type in enum pmsg_type, its
 * name in pmsg_name(), a struct, and an encode/decode pair side by side in
 * proto_msg.c (the end message's in proto_end.c):
 *
 *     pmsg_X_encode(const struct pmsg_X *x, struct proto_msg *ret)
 *             sets up *ret (caller-owned, release it) as that message; the
 *             keys come in the order doc/protocol.md lists, which is the
 *             order on the wire since protocol version 2.
 *     pmsg_X_decode(const struct proto_msg *m, struct pmsg_X *ret)
 *             fills *ret from m. The strings of *ret point into m: they
 *             live as long as m does (copy them to keep them). An absent
 *             key is NULL (a string) or the default the struct names.
 *
 * A message with no fields (takeover, interrupt) is proto_init(m, name).
 * The requests (ask, form, confirm, failure, review) carry an id, which
 * the worker sets as it sends them: encode leaves it out when it is 0,
 * and puts it last when it is not (where the worker puts it).
 */
#ifndef UPSHIFT_PROTO_MSG_H
#define UPSHIFT_PROTO_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/frontend.h"
#include "lib/util.h"
#include "ui/proto.h"

enum pmsg_type {
        PMSG_UNKNOWN = -1,              /* a type this side does not know: ignored */
        PMSG_HELLO,
        PMSG_BUSY,
        PMSG_TAKEOVER,
        PMSG_DETACHED,
        PMSG_REFUSED,
        PMSG_STATUS,
        PMSG_PLAN,
        PMSG_BEGIN,
        PMSG_STATE,
        PMSG_OUT,
        PMSG_SKIP,
        PMSG_PROGRESS,
        PMSG_FACT,
        PMSG_VARS,
        PMSG_ASK,
        PMSG_FORM,
        PMSG_CONFIRM,
        PMSG_FAILURE,
        PMSG_REVIEW,
        PMSG_END,
        PMSG_BYE,
        PMSG_REPLY,
        PMSG_INTERRUPT,
        PMSG_COUNT
};

/* "hello" for PMSG_HELLO...; NULL out of range. */
const char    *pmsg_name(enum pmsg_type type);
/* The type of m, or PMSG_UNKNOWN. */
enum pmsg_type pmsg_type_of(const struct proto_msg *m);

/* hello: the first message each way. A client sends role client (or
 * status), user, tty and pid; a worker role worker, pid and action. */
struct pmsg_hello {
        long        v;                  /* PROTO_VERSION; 0 when absent */
        const char *role;
        const char *user;               /* client */
        const char *tty;                /* client; "" when none */
        long        pid;
        const char *action;             /* worker: "run" or "rollback" */
};
void pmsg_hello_encode(const struct pmsg_hello *x, struct proto_msg *ret);
void pmsg_hello_decode(const struct proto_msg *m, struct pmsg_hello *ret);

/* busy (who is attached) and detached (who took over): one struct, the
 * type is given. pid is a text: it is passed on as the hello said it. */
struct pmsg_who {
        const char *user;
        const char *tty;
        const char *pid;
        const char *since;              /* "YYYY-MM-DD HH:MM:SS", local time */
};
void pmsg_who_encode(enum pmsg_type type, const struct pmsg_who *x, struct proto_msg *ret);
void pmsg_who_decode(const struct proto_msg *m, struct pmsg_who *ret);

struct pmsg_refused {
        const char *reason;
};
void pmsg_refused_encode(const struct pmsg_refused *x, struct proto_msg *ret);
void pmsg_refused_decode(const struct proto_msg *m, struct pmsg_refused *ret);

/* status: the answer to a hello role=status. */
struct pmsg_status {
        long        pid;
        const char *action;
        bool        waiting;            /* a request waits for a reply */
        const char *what;               /* "confirm: Verify", or NULL */
        const char *client;             /* who is attached, or NULL */
};
void pmsg_status_encode(const struct pmsg_status *x, struct proto_msg *ret);
void pmsg_status_decode(const struct proto_msg *m, struct pmsg_status *ret);

/* plan: the plan's steps, as the registry describes them. */
struct pmsg_plan_step {
        const char *title;              /* NULL: the step is not described */
        const char *what;
        const char *risk;               /* "none", "reversible", "destructive" */
        const char *consequence;        /* or NULL */
};
struct pmsg_plan {
        const char           *id;
        const char           *title;
        const char           *host;
        const char           *target;
        const char           *state_dir;
        struct pmsg_plan_step step[STEP_COUNT];
};
void pmsg_plan_encode(const struct pmsg_plan *x, struct proto_msg *ret);
void pmsg_plan_decode(const struct proto_msg *m, struct pmsg_plan *ret);

/* begin: frontend.h's struct run_info. A status absent or unknown is
 * ST_PENDING; has_status[i] says whether st.i was there. */
struct pmsg_begin {
        struct run_info ri;
        bool            has_status[STEP_COUNT];
};
void pmsg_begin_encode(const struct run_info *x, struct proto_msg *ret);
void pmsg_begin_decode(const struct proto_msg *m, struct pmsg_begin *ret);

/* state: a step's status changed. step is STEP_NONE and status -1 when
 * absent or unknown (the message is then to be ignored). */
struct pmsg_state {
        enum step_id step;
        int          status;            /* enum step_status, or -1 */
        int64_t      ms;                /* -1 when absent */
        const char  *note;
};
void pmsg_state_encode(const struct pmsg_state *x, struct proto_msg *ret);
void pmsg_state_decode(const struct proto_msg *m, struct pmsg_state *ret);

/* out: a log line. An unknown kind decodes as OUT_INFO, a missing text "". */
struct pmsg_out {
        enum out_kind kind;
        const char   *text;
        const char   *label;            /* frontend.h's output label, or NULL */
};
void pmsg_out_encode(const struct pmsg_out *x, struct proto_msg *ret);
void pmsg_out_decode(const struct proto_msg *m, struct pmsg_out *ret);

struct pmsg_skip {
        uint64_t n;                     /* log lines not sent */
};
void pmsg_skip_encode(const struct pmsg_skip *x, struct proto_msg *ret);
void pmsg_skip_decode(const struct proto_msg *m, struct pmsg_skip *ret);

/* progress: and a countdown (unit "ms": done waited of total). */
struct pmsg_progress {
        const char *what;
        uint64_t    done;
        uint64_t    total;              /* 0: unknown */
        const char *unit;               /* NULL, or "ms" */
};
void pmsg_progress_encode(const struct pmsg_progress *x, struct proto_msg *ret);
void pmsg_progress_decode(const struct proto_msg *m, struct pmsg_progress *ret);

struct pmsg_fact {
        const char *key;
        const char *value;
};
void pmsg_fact_encode(const struct pmsg_fact *x, struct proto_msg *ret);
void pmsg_fact_decode(const struct proto_msg *m, struct pmsg_fact *ret);

/* vars: v.N is "NAME=VALUE". Decoding pushes them, in order, onto *ret
 * (copies: release the strv). */
void pmsg_vars_encode(const struct kvlist *vars, struct proto_msg *ret);
void pmsg_vars_decode(const struct proto_msg *m, struct strv *ret);

/* A question of an ask (keys as they are) or a form (keys "fN."): its
 * type by name (qtype_name). choices: encode reads it; decode pushes
 * copies onto it (release it). */
struct pmsg_field {
        const char  *key;
        const char  *text;
        const char  *help;
        const char  *type;
        bool         required;
        const char  *def;
        struct strv  choices;
        const char  *value;             /* what to show, or NULL */
        const char  *error;             /* form only: why it was refused, or NULL */
};

/* ask: one question (the value to show in f.value). */
struct pmsg_ask {
        long              id;
        struct pmsg_field f;
};
void pmsg_ask_encode(const struct pmsg_ask *x, struct proto_msg *ret);
void pmsg_ask_decode(const struct proto_msg *m, struct pmsg_ask *ret);

/* form: n questions. Encode reads fields[0..n); decode fills the rest
 * and n (at most 256), and field i comes with pmsg_form_field(). */
struct pmsg_form {
        long                     id;
        const char              *title;
        const char              *intro;
        const char              *error;
        unsigned                 index;         /* 1 when absent */
        unsigned                 count;         /* 1 when absent */
        bool                     no_back;
        size_t                   n;
        const struct pmsg_field *fields;
};
void pmsg_form_encode(const struct pmsg_form *x, struct proto_msg *ret);
void pmsg_form_decode(const struct proto_msg *m, struct pmsg_form *ret);
void pmsg_form_field(const struct proto_msg *m, size_t i, struct pmsg_field *ret);

/* confirm: a destructive step, or a point of no return (ponr): then
 * consequence says what cannot be undone (frontend.h's confirm). */
struct pmsg_confirm {
        long        id;
        const char *step;               /* a step's key, or NULL (a rollback) */
        const char *what;
        const char *consequence;
        bool        ponr;
};
void pmsg_confirm_encode(const struct pmsg_confirm *x, struct proto_msg *ret);
void pmsg_confirm_decode(const struct proto_msg *m, struct pmsg_confirm *ret);

struct pmsg_failure {
        long        id;
        const char *step;
        const char *message;
        const char *log;
};
void pmsg_failure_encode(const struct pmsg_failure *x, struct proto_msg *ret);
void pmsg_failure_decode(const struct proto_msg *m, struct pmsg_failure *ret);

struct pmsg_review {
        long        id;
        const char *text;
        const char *backup_dir;
        uint64_t    data_bytes;
        uint64_t    free_bytes;
};
void pmsg_review_encode(const struct pmsg_review *x, struct proto_msg *ret);
void pmsg_review_decode(const struct proto_msg *m, struct pmsg_review *ret);

/* end: frontend.h's struct run_report. Decoded: exit_code EXIT_STEPFAIL,
 * downtime_ms and step_ms -1, hops 1, backup_delta_ms 0, status
 * ST_PENDING when absent. */
void pmsg_end_encode(const struct run_report *x, struct proto_msg *ret);
void pmsg_end_decode(const struct proto_msg *m, struct run_report *ret);

struct pmsg_bye {
        int         code;               /* EXIT_STEPFAIL when absent */
        const char *message;
};
void pmsg_bye_encode(const struct pmsg_bye *x, struct proto_msg *ret);
void pmsg_bye_decode(const struct proto_msg *m, struct pmsg_bye *ret);

/* reply: to request id. result is "ok", "back" or "abort"; value answers
 * an ask, choice a failure ("retry", "rollback", "quit"), and a form's
 * field N is fN: fields[N] (n of them; encode only). */
struct pmsg_reply {
        long               id;          /* -1 when absent */
        const char        *result;
        const char        *value;
        const char        *choice;
        const char *const *fields;
        size_t             n;
};
void pmsg_reply_encode(const struct pmsg_reply *x, struct proto_msg *ret);
void pmsg_reply_decode(const struct proto_msg *m, struct pmsg_reply *ret);
/* Field i of a form's reply, or NULL. */
const char *pmsg_reply_field(const struct proto_msg *m, size_t i);

#endif
