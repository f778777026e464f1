/* remote_int.h: what remote.c and remote_io.c share. */
#ifndef UPSHIFT_REMOTE_INT_H
#define UPSHIFT_REMOTE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ui/proto.h"
#include "ui/remote.h"

/* Queued bytes beyond which log lines are skipped: the client is behind. */
#define REMOTE_BACKLOG   (1u << 20)
/* How long remote_free waits for a client that does not read. */
#define REMOTE_DRAIN_MS  10000

struct remote_line {
        char          *text;
        char          *label;           /* frontend.h's output label, or NULL */
        unsigned char  kind;            /* enum out_kind */
};

struct remote {
        struct frontend     fe;
        struct remote_opts  o;
        pthread_t           thread;
        bool                thread_started;
        pthread_mutex_t     mu;         /* guards everything below */
        pthread_cond_t      cv;         /* a reply came, or the client went away */
        int                 wake[2];    /* engine thread -> I/O thread */
        bool                woken;      /* a wake byte is unread */
        struct strbuf       q;          /* encoded messages not yet written */
        size_t              q_off;      /* written up to here */
        struct remote_line  ring[REMOTE_RING];
        uint64_t            seq_next;   /* sequence number of the next line */
        uint64_t            seq_sent;   /* lines before this were sent (or skipped) */
        int64_t             last_flush;
        bool                lost;       /* the client went away */
        bool                stopping;   /* remote_free: write what is left, then end */
        long                next_id;
        long                want_id;    /* the request waiting for its reply, or 0 */
        struct proto_msg    reply;
        bool                have_reply;
        struct proto_reader rd;
        /* Engine thread only. */
        int64_t             last_progress;
        char               *last_progress_what;
        char               *last_info;          /* the engine's last info line, for bye */
        /* What a client connecting now needs (remote_snapshot). */
        char               *snap_plan, *snap_begin, *snap_state[STEP_COUNT];
        char               *snap_progress, *snap_pending, *snap_end, *snap_vars, *snap_bye;
        /* Clients to come (o.listen_fd >= 0): the attached one is o.fd. */
        struct proto_msg    client;     /* who is attached: user, tty, pid, since */
        int                 pend_fd;    /* one more connecting, or -1 */
        struct proto_reader pend_rd;
        struct proto_msg    pend;       /* its hello, once it came (pend.type set) */
        char               *pending_what;       /* what request() waits for */
        bool                attached_once;      /* a client was attached once */
        unsigned            refused;    /* peers of another user turned away */
        struct kvlist       facts;      /* the facts sent */
        struct strbuf       audit_held; /* run log lines waiting for the log to open */
};

static inline struct remote *
R(struct frontend *fe)
{
        return fe->priv;
}

void        remote_flush_lines_locked(struct remote *r);
/* Write the held audit lines (who attached, took over, went away, was
 * refused) to the run log once it is open (mu held). */
void        remote_audit_flush_locked(struct remote *r);
/* The worker's hello (version, role, pid, action) into m. */
void        remote_hello(const struct remote *r, struct proto_msg *m);
/* "run" or "rollback": what the worker's engine does. */
const char *remote_action(const struct remote *r);
/* remote_snapshot with mu held. */
void        remote_snapshot_locked(struct remote *r, struct strbuf *out);
/* A line into the ring, as if the engine had said it (mu held); label as
 * frontend.h's output has it (NULL: the run itself). */
void        remote_note_locked(struct remote *r, enum out_kind kind, const char *label,
                               const char *text);
/* Queue m after the log lines before it (mu held). */
void        remote_send_locked(struct remote *r, const struct proto_msg *m);
/* Keep m, encoded, in a snapshot slot (NULL empties it; mu held). */
void        remote_set_snap(char **slot, const struct proto_msg *m);
/* The calls that wait for a reply (remote_ask.c). */
int         remote_ask(struct frontend *fe, const struct question *q, const char *def,
                       char **ret_value);
int         remote_form(struct frontend *fe, struct form *f);
int         remote_confirm(struct frontend *fe, enum step_id step, const char *what,
                           const char *consequence, const char *point_of_no_return);
enum fail_choice remote_failure(struct frontend *fe, enum step_id step, const char *message,
                                const char *log_path);
int         remote_review(struct frontend *fe, const struct review *rv);
int         remote_thread_start(struct remote *r);
/* Let the thread write what is queued (bounded by REMOTE_DRAIN_MS), then join it. */
void        remote_thread_stop(struct remote *r);

#endif
