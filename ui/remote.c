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

#include "i18n.h"
#include "proto.h"
#include "remote.h"
#include "remote_int.h"
#include "step.h"

static struct remote *
R(struct frontend *fe)
{
        return fe->priv;
}

static void
wake_locked(struct remote *r)
{
        if (!r->woken) {
                char c = 1;

                r->woken = write(r->wake[1], &c, 1) == 1;
        }
}

static void
set_snap(char **slot, const struct proto_msg *m)
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
        struct proto_msg m;

        proto_init(&m, "out");
        proto_set(&m, "kind", proto_kind_name(l->kind));
        proto_set(&m, "text", l->text);
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
        if (r->seq_next - first > REMOTE_BATCH)
                first = r->seq_next - REMOTE_BATCH;
        if (r->lost || r->q.len - r->q_off > REMOTE_BACKLOG)
                first = r->seq_next;            /* the client does not keep up */
        if (first > r->seq_sent) {
                struct proto_msg m;

                proto_init(&m, "skip");
                proto_set_int(&m, "n", (long long)(first - r->seq_sent));
                proto_encode(&m, &r->q);
                proto_release(&m);
        }
        for (uint64_t s = first; s < r->seq_next; s++)
                encode_line(r, s, &r->q);
        r->seq_sent = r->seq_next;
        r->last_flush = now_ms();
}

/* Queue a message, after the log lines that came before it. */
static void
send_locked(struct remote *r, const struct proto_msg *m)
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
        send_locked(r, m);
        pthread_mutex_unlock(&r->mu);
}

/* Send a request and wait for its reply. Returns 0 with *ret filled, or -1
 * when the client went away (or asked to stop) without answering. */
static int
request(struct remote *r, struct proto_msg *m, struct proto_msg *ret)
{
        long id;
        int rc = -1;

        pthread_mutex_lock(&r->mu);
        id = ++r->next_id;
        proto_set_int(m, "id", id);
        r->want_id = id;
        set_snap(&r->snap_pending, m);
        send_locked(r, m);
        while (!r->lost && !r->have_reply)
                pthread_cond_wait(&r->cv, &r->mu);
        if (r->have_reply) {
                *ret = r->reply;
                memset(&r->reply, 0, sizeof r->reply);
                r->have_reply = false;
                rc = 0;
        }
        r->want_id = 0;
        set_snap(&r->snap_pending, NULL);
        pthread_mutex_unlock(&r->mu);
        return rc;
}

static int
result_of(const struct proto_msg *m)
{
        const char *v = proto_get(m, "result");

        if (v && strcmp(v, "ok") == 0)
                return STEP_OK;
        if (v && strcmp(v, "back") == 0)
                return STEP_BACK;
        return STEP_ABORT;
}

static void
remote_begin(struct frontend *fe, const struct run_info *ri)
{
        struct remote *r = R(fe);
        struct proto_msg m;

        proto_init(&m, "begin");
        proto_set(&m, "plan", ri->plan_id);
        proto_set(&m, "title", ri->plan_title);
        proto_set(&m, "host", ri->host);
        proto_set(&m, "version", ri->version);
        proto_set(&m, "target", ri->target);
        proto_set(&m, "state_dir", ri->state_dir);
        proto_set(&m, "log", ri->log_path);
        proto_set_int(&m, "resuming", ri->resuming);
        for (int i = 0; i < STEP_COUNT; i++) {
                char k[16];

                snprintf(k, sizeof k, "st.%d", i);
                proto_set(&m, k, proto_status_name(ri->status[i]));
        }
        pthread_mutex_lock(&r->mu);
        set_snap(&r->snap_begin, &m);
        send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

static void
put_question(struct proto_msg *m, const char *pre, const struct question *q)
{
        char k[64];

#define K(name) (snprintf(k, sizeof k, "%s%s", pre, name), k)
        proto_set(m, K("key"), q->key);
        proto_set(m, K("text"), q->text);
        proto_set(m, K("help"), q->help);
        proto_set(m, K("type"), qtype_name(q->type));
        proto_set_int(m, K("required"), q->required);
        proto_set(m, K("default"), q->def);
        for (size_t i = 0; i < q->choices.n; i++) {
                snprintf(k, sizeof k, "%sc.%zu", pre, i);
                proto_set(m, k, q->choices.v[i]);
        }
#undef K
}

static int
remote_ask(struct frontend *fe, const struct question *q, const char *def, char **ret_value)
{
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        int rc;

        proto_init(&m, "ask");
        put_question(&m, "", q);
        proto_set(&m, "value", def);
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep);
        if (rc == STEP_OK)
                *ret_value = xstrdup(proto_get(&rep, "value") ? proto_get(&rep, "value") : "");
        proto_release(&rep);
        return rc;
}

static int
remote_form(struct frontend *fe, struct form *f)
{
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        int rc;

        proto_init(&m, "form");
        proto_set(&m, "title", f->title);
        proto_set(&m, "intro", f->intro);
        proto_set(&m, "error", f->error);
        proto_set_int(&m, "index", f->index);
        proto_set_int(&m, "count", f->count);
        proto_set_int(&m, "n", (long long)f->n);
        for (size_t i = 0; i < f->n; i++) {
                char pre[32], k[48];

                snprintf(pre, sizeof pre, "f%zu.", i);
                put_question(&m, pre, f->fields[i].q);
                snprintf(k, sizeof k, "%svalue", pre);
                proto_set(&m, k, f->fields[i].value);
                snprintf(k, sizeof k, "%serror", pre);
                proto_set(&m, k, f->fields[i].error);
        }
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep);
        for (size_t i = 0; rc != STEP_ABORT && i < f->n; i++) {
                char k[32];
                const char *v;

                snprintf(k, sizeof k, "f%zu", i);
                if ((v = proto_get(&rep, k)) != NULL) {
                        free(f->fields[i].value);
                        f->fields[i].value = xstrdup(v);
                }
        }
        proto_release(&rep);
        return rc;
}

static int
remote_confirm(struct frontend *fe, enum step_id step, const char *what, const char *consequence)
{
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        int rc;

        proto_init(&m, "confirm");
        proto_set(&m, "step", step_key(step));
        proto_set(&m, "what", what);
        proto_set(&m, "consequence", consequence);
        pthread_mutex_lock(&r->mu);
        proto_set_int(&m, "ponr", r->ponr_pending);
        r->ponr_pending = false;
        pthread_mutex_unlock(&r->mu);
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep) == STEP_OK ? STEP_OK : STEP_ABORT;
        proto_release(&rep);
        return rc;
}

static void
remote_step_state(struct frontend *fe, enum step_id step, enum step_status st, int64_t ms,
                  const char *note)
{
        struct remote *r = R(fe);
        struct proto_msg m;

        if (step < 0 || step >= STEP_COUNT)
                return;
        proto_init(&m, "state");
        proto_set(&m, "step", step_key(step));
        proto_set(&m, "status", proto_status_name(st));
        proto_set_int(&m, "ms", ms);
        proto_set(&m, "note", note);
        pthread_mutex_lock(&r->mu);
        set_snap(&r->snap_state[step], &m);
        if (st == ST_RUNNING)
                set_snap(&r->snap_progress, NULL);
        send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

static void
remote_output(struct frontend *fe, enum out_kind kind, const char *line)
{
        struct remote *r = R(fe);
        struct remote_line *l;
        size_t len = strlen(line);

        pthread_mutex_lock(&r->mu);
        l = &r->ring[r->seq_next % REMOTE_RING];
        free(l->text);
        l->text = len > REMOTE_LINE_MAX ? xasprintf("%.*s...", REMOTE_LINE_MAX, line)
                                        : xstrdup(line);
        l->kind = (unsigned char)kind;
        if (kind == OUT_WARN)
                r->ponr_pending = str_startswith(line, r->ponr_prefix);
        /* The thread is woken for the first line; after it, its timer runs. */
        if (r->seq_next++ == r->seq_sent)
                wake_locked(r);
        pthread_mutex_unlock(&r->mu);
}

static void
remote_progress(struct frontend *fe, const char *what, uint64_t done, uint64_t total)
{
        struct remote *r = R(fe);
        int64_t now = now_ms();
        struct proto_msg m;

        /* At most ten a second; the last one (done == total) always. */
        if (now - r->last_progress < 100 && !(total && done >= total) &&
            r->last_progress_what && strcmp(r->last_progress_what, what) == 0)
                return;
        r->last_progress = now;
        free(r->last_progress_what);
        r->last_progress_what = xstrdup(what);
        proto_init(&m, "progress");
        proto_set(&m, "what", what);
        proto_set_int(&m, "done", (long long)done);
        proto_set_int(&m, "total", (long long)total);
        pthread_mutex_lock(&r->mu);
        set_snap(&r->snap_progress, &m);
        send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

static enum fail_choice
remote_failure(struct frontend *fe, enum step_id step, const char *message, const char *log_path)
{
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        enum fail_choice c = FAIL_QUIT;
        const char *v;

        proto_init(&m, "failure");
        proto_set(&m, "step", step_key(step));
        proto_set(&m, "message", message);
        proto_set(&m, "log", log_path);
        if (request(r, &m, &rep) == 0) {
                v = proto_get(&rep, "choice");
                if (v && strcmp(v, "retry") == 0)
                        c = FAIL_RETRY;
                else if (v && strcmp(v, "rollback") == 0)
                        c = FAIL_ROLLBACK;
                proto_release(&rep);
        }
        proto_release(&m);
        return c;
}

/* What the review says before the plan: the backup's size and room, and
 * what the downtime spans. */
static void
review_summary(FILE *f, const struct review *rv)
{
        char data[32], room[32];

        bytes_format(data, sizeof data, rv->data_bytes);
        bytes_format(room, sizeof room, rv->free_bytes);
        if (rv->plan->backup.paths.n && rv->backup_dir)
                /* TRANSLATORS: size of the data, backup directory, free space there */
                fprintf(f, _("Backup: about %s of data now, into %s (%s free there).\n"),
                        rv->data_bytes ? data : _("an unknown amount"), rv->backup_dir,
                        rv->free_bytes ? room : _("unknown"));
        fprintf(f, _("Downtime: the service is down from step 4 (stop) until step 7 (verify) finds it ready: the swap and the migrations run in between.\n"));
        fprintf(f, _("Nothing has been changed yet.\n\n"));
}

static int
remote_review(struct frontend *fe, const struct review *rv)
{
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        char *text = NULL;
        size_t len = 0;
        FILE *f;
        int rc;

        f = open_memstream(&text, &len);
        if (f == NULL)
                return STEP_OK;
        review_summary(f, rv);
        if (r->o.show_plan)
                r->o.show_plan(f, rv->plan, rv->vars, rv->state_dir);
        fclose(f);
        proto_init(&m, "review");
        proto_set(&m, "text", text);
        proto_set(&m, "backup_dir", rv->backup_dir);
        proto_set_int(&m, "data_bytes", (long long)rv->data_bytes);
        proto_set_int(&m, "free_bytes", (long long)rv->free_bytes);
        free(text);
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep);
        proto_release(&rep);
        return rc;
}

static void
remote_vars(struct frontend *fe, const struct vars *vs)
{
        struct proto_msg m;

        proto_init(&m, "vars");
        for (size_t i = 0; i < vs->kv.n; i++) {
                char k[32];

                snprintf(k, sizeof k, "v.%zu", i);
                proto_setf(&m, k, "%s=%s", vs->kv.v[i].key, vs->kv.v[i].value);
        }
        send_msg(R(fe), &m);
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
        proto_init(&m, "fact");
        proto_set(&m, "key", key);
        proto_set(&m, "value", value);
        pthread_mutex_lock(&r->mu);
        kvlist_set(&r->facts, key, value);
        send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

static void
remote_end(struct frontend *fe, const struct run_report *rep)
{
        struct remote *r = R(fe);
        struct proto_msg m;

        proto_init(&m, "end");
        proto_set_int(&m, "code", rep->exit_code);
        proto_set(&m, "message", rep->message);
        proto_set(&m, "plan", rep->plan_id);
        proto_set(&m, "title", rep->plan_title);
        proto_set(&m, "version_before", rep->version_before);
        proto_set(&m, "version_after", rep->version_after);
        proto_set(&m, "package_version", rep->package_version);
        proto_set(&m, "backup_path", rep->backup_path);
        proto_set(&m, "backup_sha256", rep->backup_sha256);
        proto_set_int(&m, "backup_size", (long long)rep->backup_size);
        proto_set_int(&m, "downtime_ms", rep->downtime_ms);
        proto_set(&m, "log", rep->log_path);
        proto_set(&m, "state_dir", rep->state_dir);
        proto_set(&m, "resume", rep->resume_hint);
        for (int i = 0; i < STEP_COUNT; i++) {
                char k[16];

                snprintf(k, sizeof k, "st.%d", i);
                proto_set(&m, k, proto_status_name(rep->status[i]));
                snprintf(k, sizeof k, "ms.%d", i);
                proto_set_int(&m, k, rep->step_ms[i]);
        }
        pthread_mutex_lock(&r->mu);
        set_snap(&r->snap_end, &m);
        send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

static const struct frontend_ops remote_ops = {
        .name = "remote",
        .begin = remote_begin,
        .ask = remote_ask,
        .confirm = remote_confirm,
        .step_state = remote_step_state,
        .output = remote_output,
        .progress = remote_progress,
        .failure = remote_failure,
        .end = remote_end,
        .form = remote_form,
        .review = remote_review,
        .vars = remote_vars,
        .fact = remote_fact,
};

static void
send_plan(struct remote *r)
{
        struct proto_msg m;
        char host[256] = "";

        gethostname(host, sizeof host - 1);
        proto_init(&m, "plan");
        proto_set(&m, "id", r->o.plan->id);
        proto_set(&m, "title", r->o.plan->title);
        proto_set(&m, "host", host);
        proto_set(&m, "target", r->o.plan->target);
        proto_set(&m, "state_dir", r->o.state_dir);
        for (int i = 0; i < STEP_COUNT && step_registry[i]; i++) {
                const struct step_module *s = step_registry[i];
                char k[32];

                snprintf(k, sizeof k, "s.%d.title", i);
                proto_set(&m, k, _(s->title));
                snprintf(k, sizeof k, "s.%d.what", i);
                proto_set(&m, k, _(s->what));
                snprintf(k, sizeof k, "s.%d.risk", i);
                proto_set(&m, k, s->risk == RISK_DESTRUCTIVE ? "destructive"
                                 : s->risk == RISK_REVERSIBLE ? "reversible" : "none");
                if (s->consequence) {
                        snprintf(k, sizeof k, "s.%d.consequence", i);
                        proto_set(&m, k, _(s->consequence));
                }
        }
        pthread_mutex_lock(&r->mu);
        set_snap(&r->snap_plan, &m);
        send_locked(r, &m);
        pthread_mutex_unlock(&r->mu);
        proto_release(&m);
}

struct frontend *
remote_new(const struct remote_opts *o)
{
        struct remote *r = xcalloc(1, sizeof *r);
        const char *fmt = _("point of no return: %s");
        const char *pct = strstr(fmt, "%s");
        struct proto_msg m;

        r->fe.ops = &remote_ops;
        r->fe.priv = r;
        r->o = *o;
        r->ponr_prefix = pct ? xstrndup(fmt, (size_t)(pct - fmt)) : xstrdup(fmt);
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->cv, NULL);
        if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) < 0)
                r->wake[0] = r->wake[1] = -1;
        fcntl(o->fd, F_SETFL, fcntl(o->fd, F_GETFL) | O_NONBLOCK);
        fcntl(o->fd, F_SETFD, FD_CLOEXEC);
        proto_init(&m, "hello");
        proto_set_int(&m, "v", PROTO_VERSION);
        proto_set(&m, "role", "worker");
        proto_set_int(&m, "pid", getpid());
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
        uint64_t first;

        pthread_mutex_lock(&r->mu);
        strbuf_adds(out, "");
        if (r->snap_plan)
                strbuf_adds(out, r->snap_plan);
        if (r->snap_begin)
                strbuf_adds(out, r->snap_begin);
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
        pthread_mutex_unlock(&r->mu);
}

void
remote_free(struct frontend *fe)
{
        struct remote *r;

        if (fe == NULL)
                return;
        r = R(fe);
        remote_thread_stop(r);
        close(r->o.fd);
        if (r->wake[0] >= 0) {
                close(r->wake[0]);
                close(r->wake[1]);
        }
        for (size_t i = 0; i < REMOTE_RING; i++)
                free(r->ring[i].text);
        free(r->snap_plan);
        free(r->snap_begin);
        for (int i = 0; i < STEP_COUNT; i++)
                free(r->snap_state[i]);
        free(r->snap_progress);
        free(r->snap_pending);
        free(r->snap_end);
        free(r->last_progress_what);
        free(r->ponr_prefix);
        kvlist_release(&r->facts);
        proto_release(&r->reply);
        strbuf_release(&r->q);
        proto_reader_release(&r->rd);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r);
}
