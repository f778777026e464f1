/* remote.c: the worker's frontend: engine calls as protocol messages
 * (remote.h, ui/proto.h). The engine's thread queues messages and waits
 * for replies; the I/O thread writes the queue, batches log lines, and
 * reads the replies and interrupt requests. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "steps/step.h"
#include "ui/proto.h"
#include "ui/proto_msg.h"
#include "ui/remote.h"
#include "ui/remote_int.h"


static void
wake_locked(struct remote *r)
{
        if (!r->woken) {
                char c = 1;

                r->woken = write(r->wake[1], &c, 1) == 1;
        }
}

void
remote_set_snap(char **slot, const struct proto_msg *m)
{
        struct strbuf sb = {0};

        free(*slot);
        *slot = NULL;
        if (m) {
                proto_encode(m, &sb);
                *slot = strbuf_detach(&sb);
        }
}

static void
encode_line(const struct remote *r, uint64_t seq, struct strbuf *to)
{
        const struct remote_line *l = &r->ring[seq % REMOTE_RING];
        struct pmsg_out out = { .kind = (enum out_kind)l->kind, .label = l->label, .text = l->text };
        struct proto_msg m;

        pmsg_out_encode(&out, &m);
        proto_encode(&m, to);
        proto_release(&m);
}

/* Move the log lines not sent yet into the queue: the newest REMOTE_BATCH,
 * after a skip message for the others. */
void
remote_flush_lines_locked(struct remote *r)
{
        uint64_t first = r->seq_sent;

        if (r->seq_sent == r->seq_next)
                return;
        if (r->lost) {                  /* a client attaching later gets the ring */
                r->seq_sent = r->seq_next;
                return;
        }
        if (r->seq_next - first > REMOTE_BATCH)
                first = r->seq_next - REMOTE_BATCH;
        if (r->lost || r->q.len - r->q_off > REMOTE_BACKLOG)
                first = r->seq_next;            /* the client does not keep up */
        if (first > r->seq_sent) {
                struct proto_msg m;

                pmsg_skip_encode(&(struct pmsg_skip){ .n = first - r->seq_sent }, &m);
                proto_encode(&m, &r->q);
                proto_release(&m);
        }
        for (uint64_t s = first; s < r->seq_next; s++)
                encode_line(r, s, &r->q);
        r->seq_sent = r->seq_next;
        r->last_flush = now_ms();
}

/* Queue a message, after the log lines that came before it. */
void
remote_send_locked(struct remote *r, const struct proto_msg *m)
{
        remote_flush_lines_locked(r);
        if (!r->lost)
                proto_encode(m, &r->q);
        wake_locked(r);
}

static void
send_msg(struct remote *r, const struct proto_msg *m)
{
        pthread_mutex_lock(&r->mu);
        remote_send_locked(r, m);
        pthread_mutex_unlock(&r->mu);
}

/* Send m and keep it in a snapshot slot, for a client attaching later. */
static void
send_kept(struct remote *r, char **slot, const struct proto_msg *m)
{
        pthread_mutex_lock(&r->mu);
        remote_set_snap(slot, m);
        remote_send_locked(r, m);
        pthread_mutex_unlock(&r->mu);
}

static void
remote_begin(struct frontend *fe, const struct run_info *ri)
{
        struct remote *r = R(fe);
        struct proto_msg m;

        pmsg_begin_encode(ri, &m);
        send_kept(r, &r->snap_begin, &m);
        proto_release(&m);
        /* The run log is open: the wizards attached so far go in at its top. */
        pthread_mutex_lock(&r->mu);
        remote_audit_flush_locked(r);
        pthread_mutex_unlock(&r->mu);
}

static void
remote_step_state(struct frontend *fe, enum step_id step, enum step_status st, int64_t ms,
                  const char *note)
{
        struct remote *r = R(fe);
        struct pmsg_state s = { .step = step, .status = (int)st, .ms = ms, .note = note };
        struct proto_msg m;

        if (step < 0 || step >= STEP_COUNT)
                return;
        pmsg_state_encode(&s, &m);
        pthread_mutex_lock(&r->mu);
        remote_set_snap(&r->snap_state[step], &m);
        if (st == ST_RUNNING)
                remote_set_snap(&r->snap_progress, NULL);
        remote_send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

void
remote_note_locked(struct remote *r, enum out_kind kind, const char *label, const char *line)
{
        struct remote_line *l = &r->ring[r->seq_next % REMOTE_RING];
        size_t len = strlen(line);

        free(l->label);
        l->label = label ? xstrdup(label) : NULL;
        free(l->text);
        l->text = len > REMOTE_LINE_MAX ? xasprintf("%.*s...", REMOTE_LINE_MAX, line)
                                        : xstrdup(line);
        l->kind = (unsigned char)kind;
        /* The thread is woken for the first line; after it, its timer runs. */
        if (r->seq_next++ == r->seq_sent)
                wake_locked(r);
}

static void
remote_output(struct frontend *fe, enum out_kind kind, const char *label, const char *line)
{
        struct remote *r = R(fe);

        pthread_mutex_lock(&r->mu);
        remote_note_locked(r, kind, label, line);
        pthread_mutex_unlock(&r->mu);
        if (kind == OUT_INFO) {
                free(r->last_info);
                r->last_info = xstrdup(line);
        }
}

static void send_progress(struct remote *r, const char *what, uint64_t done,
                          uint64_t total, const char *unit);

static void
remote_progress(struct frontend *fe, const char *what, uint64_t done, uint64_t total)
{
        send_progress(R(fe), what, done, total, NULL);
}

/* A countdown is a progress message in milliseconds: done is the time
 * waited, total the limit. */
static void
remote_countdown(struct frontend *fe, const char *what, int64_t left_ms, int64_t total_ms)
{
        uint64_t total = total_ms > 0 ? (uint64_t)total_ms : 0;
        uint64_t left = left_ms > 0 ? (uint64_t)left_ms : 0;

        send_progress(R(fe), what, left < total ? total - left : 0, total, "ms");
}

static void
send_progress(struct remote *r, const char *what, uint64_t done, uint64_t total,
              const char *unit)
{
        int64_t now = now_ms();
        struct proto_msg m;

        /* At most ten a second; the last one (done == total) always. */
        if (now - r->last_progress < 100 && !(total && done >= total) &&
            r->last_progress_what && strcmp(r->last_progress_what, what) == 0)
                return;
        r->last_progress = now;
        free(r->last_progress_what);
        r->last_progress_what = xstrdup(what);
        pmsg_progress_encode(&(struct pmsg_progress){ .what = what, .done = done,
                                                      .total = total, .unit = unit }, &m);
        send_kept(r, &r->snap_progress, &m);
        proto_release(&m);
}

static void
remote_vars(struct frontend *fe, const struct vars *vs)
{
        struct proto_msg m;

        pmsg_vars_encode(&vs->kv, &m);
        send_kept(R(fe), &R(fe)->snap_vars, &m);
        proto_release(&m);
}

static void
remote_fact(struct frontend *fe, const char *key, const char *value)
{
        struct remote *r = R(fe);
        struct proto_msg m;

        /* Only what the screens show, and what a client connecting later needs. */
        if (strcmp(key, "version") != 0 && strcmp(key, "target") != 0 &&
            strcmp(key, "version_after") != 0 && strcmp(key, "backup.path") != 0)
                return;
        pmsg_fact_encode(&(struct pmsg_fact){ .key = key, .value = value }, &m);
        pthread_mutex_lock(&r->mu);
        kvlist_set(&r->facts, key, value);
        remote_send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

static void
remote_end(struct frontend *fe, const struct run_report *rep)
{
        struct remote *r = R(fe);
        struct proto_msg m;

        pmsg_end_encode(rep, &m);
        send_kept(r, &r->snap_end, &m);
        proto_release(&m);
}

/* Nobody watches when no client is attached to a worker that waits for
 * clients (a worker with one fixed client is interrupted when it goes). */
static bool
remote_attended(struct frontend *fe)
{
        return !remote_lost(fe) || R(fe)->o.listen_fd < 0;
}

static const struct frontend_ops remote_ops = {
        .name = "remote",
        .begin = remote_begin,
        .ask = remote_ask,
        .confirm = remote_confirm,
        .step_state = remote_step_state,
        .output = remote_output,
        .progress = remote_progress,
        .countdown = remote_countdown,
        .failure = remote_failure,
        .end = remote_end,
        .form = remote_form,
        .review = remote_review,
        .vars = remote_vars,
        .fact = remote_fact,
        .attended = remote_attended,
};

static void
send_plan(struct remote *r)
{
        struct pmsg_plan p = {
                .id = r->o.plan->id, .title = r->o.plan->title, .target = r->o.plan->target,
                .state_dir = r->o.state_dir,
        };
        struct proto_msg m;
        char host[256] = "";

        gethostname(host, sizeof host - 1);
        p.host = host;
        for (int i = 0; i < STEP_COUNT && step_registry[i]; i++) {
                const struct step_module *s = step_registry[i];

                p.step[i] = (struct pmsg_plan_step){
                        .title = _(s->title), .what = _(s->what),
                        .risk = s->risk == RISK_DESTRUCTIVE ? "destructive"
                                : s->risk == RISK_REVERSIBLE ? "reversible" : "none",
                        .consequence = s->consequence ? _(s->consequence) : NULL,
                };
        }
        pmsg_plan_encode(&p, &m);
        send_kept(r, &r->snap_plan, &m);
        proto_release(&m);
}

void
remote_hello(const struct remote *r, struct proto_msg *m)
{
        struct pmsg_hello h = { .v = PROTO_VERSION, .role = "worker", .pid = (long)getpid(),
                                .action = remote_action(r) };

        pmsg_hello_encode(&h, m);
}

const char *
remote_action(const struct remote *r)
{
        return r->o.rollback ? "rollback" : "run";
}

struct frontend *
remote_new(const struct remote_opts *o)
{
        struct remote *r = xcalloc(1, sizeof *r);
        struct proto_msg m;

        r->fe.ops = &remote_ops;
        r->fe.priv = r;
        r->o = *o;
        r->pend_fd = -1;
        r->lost = o->fd < 0;            /* no client yet: it will connect */
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) < 0)
                r->wake[0] = r->wake[1] = -1;
        if (o->fd >= 0) {
                fcntl(o->fd, F_SETFL, fcntl(o->fd, F_GETFL) | O_NONBLOCK);
                fcntl(o->fd, F_SETFD, FD_CLOEXEC);
        }
        remote_hello(r, &m);
        send_msg(r, &m);
        proto_release(&m);
        send_plan(r);
        if (r->wake[0] < 0 || remote_thread_start(r) < 0)
                r->lost = true;         /* no thread: nobody can answer */
        return &r->fe;
}

bool
remote_lost(struct frontend *fe)
{
        struct remote *r = R(fe);
        bool lost;

        pthread_mutex_lock(&r->mu);
        lost = r->lost;
        pthread_mutex_unlock(&r->mu);
        return lost;
}

void
remote_snapshot(struct frontend *fe, struct strbuf *out)
{
        struct remote *r = R(fe);

        pthread_mutex_lock(&r->mu);
        remote_snapshot_locked(r, out);
        pthread_mutex_unlock(&r->mu);
}

void
remote_snapshot_locked(struct remote *r, struct strbuf *out)
{
        uint64_t first;

        strbuf_adds(out, "");
        if (r->snap_plan)
                strbuf_adds(out, r->snap_plan);
        if (r->snap_begin)
                strbuf_adds(out, r->snap_begin);
        if (r->snap_vars)
                strbuf_adds(out, r->snap_vars);
        for (int i = 0; i < STEP_COUNT; i++)
                if (r->snap_state[i])
                        strbuf_adds(out, r->snap_state[i]);
        for (size_t i = 0; i < r->facts.n; i++) {
                struct proto_msg m;

                proto_init(&m, "fact");
                proto_set(&m, "key", r->facts.v[i].key);
                proto_set(&m, "value", r->facts.v[i].value);
                proto_encode(&m, out);
                proto_release(&m);
        }
        first = r->seq_next > REMOTE_RING ? r->seq_next - REMOTE_RING : 0;
        for (uint64_t s = first; s < r->seq_next; s++)
                encode_line(r, s, out);
        if (r->snap_progress)
                strbuf_adds(out, r->snap_progress);
        if (r->snap_pending)
                strbuf_adds(out, r->snap_pending);
        if (r->snap_end)
                strbuf_adds(out, r->snap_end);
        if (r->snap_bye)
                strbuf_adds(out, r->snap_bye);
}

void
remote_bye(struct frontend *fe, int code)
{
        struct proto_msg m;

        /* A run that ends without a report (nothing to do) says why here. */
        pmsg_bye_encode(&(struct pmsg_bye){ .code = code, .message = R(fe)->last_info }, &m);
        send_kept(R(fe), &R(fe)->snap_bye, &m);
        proto_release(&m);
}

void
remote_free(struct frontend *fe)
{
        struct remote *r;

        if (fe == NULL)
                return;
        r = R(fe);
        remote_thread_stop(r);
        if (r->o.fd >= 0)
                close(r->o.fd);
        if (r->pend_fd >= 0)
                close(r->pend_fd);
        if (r->wake[0] >= 0) {
                close(r->wake[0]);
                close(r->wake[1]);
        }
        for (size_t i = 0; i < REMOTE_RING; i++) {
                free(r->ring[i].text);
                free(r->ring[i].label);
        }
        free(r->snap_plan);
        free(r->snap_begin);
        for (int i = 0; i < STEP_COUNT; i++)
                free(r->snap_state[i]);
        free(r->snap_progress);
        free(r->snap_pending);
        free(r->snap_end);
        free(r->snap_vars);
        free(r->snap_bye);
        free(r->pending_what);
        strbuf_release(&r->audit_held);
        free(r->last_info);
        proto_release(&r->client);
        proto_release(&r->pend);
        proto_reader_release(&r->pend_rd);
        free(r->last_progress_what);
        kvlist_release(&r->facts);
        proto_release(&r->reply);
        strbuf_release(&r->q);
        proto_reader_release(&r->rd);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
}
