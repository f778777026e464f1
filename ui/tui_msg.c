/* tui_msg.c: the wizard's side of the worker protocol (ui/proto_msg.h,
 * listed in doc/protocol.md): what it does with each message the worker
 * sends (a table of handlers), what it sends back (replies, interrupt),
 * and the report it prints when it gives the terminal back. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "steps/step.h"
#include "ui/plain.h"
#include "ui/proto_msg.h"
#include "ui/tui_int.h"
#include "ui/worker.h"

static void
msg_state(struct tui *t, struct proto_msg *m)
{
        struct pmsg_state x;
        int i;

        pmsg_state_decode(m, &x);
        if (x.step == STEP_NONE || x.status < 0)
                return;
        i = (int)x.step;
        t->run.steps[i].st = (enum step_status)x.status;
        t->run.steps[i].ms = x.ms;
        tui_set(&t->run.steps[i].note, x.note);
        if (x.status == ST_RUNNING) {
                t->run.current = i;
                t->run.steps[i].t0 = now_ms();
                free(t->run.prog_what);
                t->run.prog_what = NULL;
        } else if (t->run.current < 0 || x.status == ST_FAILED) {
                t->run.current = i;
        }
}

static void
msg_progress(struct tui *t, struct proto_msg *m)
{
        struct tui_run *r = &t->run;
        struct pmsg_progress x;
        int64_t now = now_ms();

        pmsg_progress_decode(m, &x);
        if (x.what == NULL)
                return;
        if (r->prog_what == NULL || strcmp(r->prog_what, x.what) != 0 || x.done < r->prog_done) {
                tui_set(&r->prog_what, x.what);
                r->prog_t0 = now;
                r->prog_last = now;
                r->prog_rate = 0;
        } else if (now > r->prog_last) {
                double inst = (double)(x.done - r->prog_done) * 1000.0 / (double)(now - r->prog_last);

                r->prog_rate = r->prog_rate > 0 ? 0.7 * r->prog_rate + 0.3 * inst : inst;
                r->prog_last = now;
        }
        r->prog_done = x.done;
        r->prog_total = x.total;
        r->prog_ms = x.unit != NULL && strcmp(x.unit, "ms") == 0;
}

static void
msg_plan(struct tui *t, struct proto_msg *m)
{
        struct pmsg_plan x;

        pmsg_plan_decode(m, &x);
        for (int i = 0; i < STEP_COUNT; i++) {
                const struct pmsg_plan_step *s = &x.step[i];

                if (s->title)
                        tui_set(&t->run.steps[i].title, s->title);
                if (s->what)
                        tui_set(&t->run.steps[i].what, s->what);
                tui_set(&t->run.steps[i].consequence, s->consequence);
                t->run.steps[i].destructive = s->risk && strcmp(s->risk, "destructive") == 0;
        }
        if (x.host)
                tui_set(&t->run.host, x.host);
}

static void
msg_begin(struct tui *t, struct proto_msg *m)
{
        struct pmsg_begin x;

        pmsg_begin_decode(m, &x);
        tui_set(&t->run.version, x.ri.version);
        if (x.ri.target)
                tui_set(&t->run.target, x.ri.target);
        tui_set(&t->run.log_path, x.ri.log_path);
        for (int i = 0; i < STEP_COUNT; i++)
                if (x.has_status[i])
                        t->run.steps[i].st = x.ri.status[i];
        if (t->view.req_id == 0)
                t->view.scr = SCR_RUN;
}

static void
msg_busy(struct tui *t, struct proto_msg *m)
{
        char *who = worker_who(m);

        tui_set(&t->view.text, who);
        t->view.menu = 0;
        t->view.scr = SCR_BUSY;
        free(who);
}

/* Another wizard took over: this one says so and lets go of the socket. */
static void
msg_detached(struct tui *t, struct proto_msg *m)
{
        char *who = worker_who(m);

        tui_set(&t->view.text, who);
        free(t->farewell);
        t->farewell = xasprintf(_("detached: %s took over this upgrade; it goes on there"), who);
        t->run.code = EXIT_LOCKED;
        t->view.req_id = 0;
        t->view.quitting = false;
        t->log.full = false;
        t->view.scr = SCR_DETACHED;
        free(who);
        close(t->conn.fd);
        t->conn.fd = -1;
}

static void
msg_refused(struct tui *t, struct proto_msg *m)
{
        struct pmsg_refused x;

        pmsg_refused_decode(m, &x);
        free(t->farewell);
        t->farewell = xasprintf(_("error: the upgrade's worker refused this wizard: %s"),
                                x.reason ? x.reason : "?");
        t->run.code = EXIT_USAGE;
        tui_leave(t);
        close(t->conn.fd);
        t->conn.fd = -1;
}

static void
msg_hello(struct tui *t, struct proto_msg *m)
{
        struct pmsg_hello x;

        pmsg_hello_decode(m, &x);
        tui_set(&t->view.status, NULL);      /* "taking over..." */
        /* The title says what the worker does, whatever this wizard was
         * started for (a resume screen's Roll back). */
        if (x.action)
                t->o.rollback = strcmp(x.action, "rollback") == 0;
        if (x.v != PROTO_VERSION) {
                tui_set(&t->view.status, _("the worker speaks another protocol version"));
                close(t->conn.fd);
                t->conn.fd = -1;
        }
}

static void
msg_out(struct tui *t, struct proto_msg *m)
{
        struct pmsg_out x;
        const char *label;

        pmsg_out_decode(m, &x);
        /* A line about something else than the step on screen (the
         * restore, the check after a rollback) says what it is about. */
        label = x.label && (t->run.current < 0 ||
                            strcmp(x.label, step_key((enum step_id)t->run.current)) != 0)
                ? x.label : NULL;
        tui_log_add(&t->log, x.kind, label, x.text);
        if ((x.kind == OUT_INFO || x.kind == OUT_WARN) && label) {
                char *s = xasprintf("%s: %s", label, x.text);

                tui_set(&t->run.info, s);
                free(s);
        } else if (x.kind == OUT_INFO || x.kind == OUT_WARN) {
                tui_set(&t->run.info, x.text);
        }
}

static void
msg_skip(struct tui *t, struct proto_msg *m)
{
        struct pmsg_skip x;

        pmsg_skip_decode(m, &x);
        tui_log_skip(&t->log, x.n);
}

static void
msg_ask(struct tui *t, struct proto_msg *m)
{
        tui_form_load(t, m, pmsg_type_of(m) == PMSG_ASK);
        t->view.req_id = (long)proto_get_int(m, "id", 0);
        t->view.scr = SCR_FORM;
}

/* A request waits for its reply on screen scr, its menu at the top. */
static void
show_request(struct tui *t, long id, enum tui_screen scr)
{
        t->view.req_id = id;
        t->view.menu = 0;
        t->view.scr = scr;
}

static void
msg_confirm(struct tui *t, struct proto_msg *m)
{
        struct pmsg_confirm x;

        pmsg_confirm_decode(m, &x);
        tui_set(&t->view.confirm.what, x.what);
        tui_set(&t->view.text, x.consequence);
        tui_set(&t->view.req_step, x.step);
        t->view.confirm.ponr = x.ponr;
        show_request(t, x.id, SCR_CONFIRM);
}

static void
msg_failure(struct tui *t, struct proto_msg *m)
{
        struct pmsg_failure x;

        pmsg_failure_decode(m, &x);
        tui_set(&t->view.req_step, x.step);
        tui_set(&t->view.text, x.message);
        tui_set(&t->view.failure.log, x.log);
        show_request(t, x.id, SCR_FAILURE);
}

static void
msg_review(struct tui *t, struct proto_msg *m)
{
        struct pmsg_review x;

        pmsg_review_decode(m, &x);
        tui_set(&t->view.text, x.text);
        t->view.review.top = 0;
        show_request(t, x.id, SCR_REVIEW);
}

static void
msg_fact(struct tui *t, struct proto_msg *m)
{
        struct pmsg_fact x;

        pmsg_fact_decode(m, &x);
        if (x.key && x.value && strcmp(x.key, "version") == 0)
                tui_set(&t->run.version, x.value);
        else if (x.key && x.value && strcmp(x.key, "target") == 0)
                tui_set(&t->run.target, x.value);
}

static void
msg_vars(struct tui *t, struct proto_msg *m)
{
        strv_release(&t->run.env);
        pmsg_vars_decode(m, &t->run.env);
}

static void
msg_bye(struct tui *t, struct proto_msg *m)
{
        struct pmsg_bye x;

        pmsg_bye_decode(m, &x);
        t->conn.have_bye = true;
        t->conn.bye_code = x.code;
        tui_set(&t->conn.bye_message, x.message);
}

void
tui_flush_out(struct tui *t)
{
        while (t->conn.fd >= 0 && t->conn.outq.len > 0) {
                ssize_t n = send(t->conn.fd, t->conn.outq.buf, t->conn.outq.len,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;         /* later, on POLLOUT; a lost worker shows at read */
                memmove(t->conn.outq.buf, t->conn.outq.buf + n, t->conn.outq.len - (size_t)n);
                t->conn.outq.len -= (size_t)n;
        }
}

void
tui_send(struct tui *t, struct proto_msg *m)
{
        if (t->conn.fd < 0)
                return;
        proto_encode(m, &t->conn.outq);
        tui_flush_out(t);
}

void
tui_reply(struct tui *t, const char *result, const struct pmsg_reply *extra)
{
        struct pmsg_reply r = {0};
        struct proto_msg m;

        if (extra)
                r = *extra;
        r.id = t->view.req_id;
        r.result = result;
        pmsg_reply_encode(&r, &m);
        tui_send(t, &m);
        proto_release(&m);
        t->view.req_id = 0;
        t->view.scr = t->run.log_path ? SCR_RUN : SCR_START;
        t->view.help = false;
        tui_dirty(t);
}

void
tui_interrupt(struct tui *t)
{
        struct proto_msg m;

        if (t->conn.interrupt_sent || t->conn.fd < 0)
                return;
        proto_init(&m, pmsg_name(PMSG_INTERRUPT));
        tui_send(t, &m);
        proto_release(&m);
        t->conn.interrupt_sent = true;
        tui_set(&t->view.status, _("stopping at the next safe point..."));
        tui_dirty(t);
}

/* Keep the report: m is moved into t->run.end, t->run.report points into it. */
static void
keep_end(struct tui *t, struct proto_msg *m)
{
        proto_release(&t->run.end);
        t->run.end = *m;
        memset(m, 0, sizeof *m);
        pmsg_end_decode(&t->run.end, &t->run.report);
}

static void
msg_end(struct tui *t, struct proto_msg *m)
{
        keep_end(t, m);
        t->run.ended = true;
        t->run.code = t->run.report.exit_code;
        t->view.req_id = 0;
        t->view.menu = 0;
        t->view.scr = SCR_END;
        free(t->view.status);
        t->view.status = NULL;
        if (t->leave_on_end)
                tui_leave(t);
}

/* What the wizard does with each message the worker sends; a type without
 * a handler (one a client sends, or a newer one) is ignored. */
static void (*const msg_handlers[PMSG_COUNT])(struct tui *, struct proto_msg *) = {
        [PMSG_HELLO] = msg_hello,       [PMSG_BUSY] = msg_busy,
        [PMSG_DETACHED] = msg_detached, [PMSG_REFUSED] = msg_refused,
        [PMSG_PLAN] = msg_plan,         [PMSG_BEGIN] = msg_begin,
        [PMSG_STATE] = msg_state,       [PMSG_OUT] = msg_out,
        [PMSG_SKIP] = msg_skip,         [PMSG_PROGRESS] = msg_progress,
        [PMSG_FACT] = msg_fact,         [PMSG_VARS] = msg_vars,
        [PMSG_ASK] = msg_ask,           [PMSG_FORM] = msg_ask,
        [PMSG_CONFIRM] = msg_confirm,   [PMSG_FAILURE] = msg_failure,
        [PMSG_REVIEW] = msg_review,     [PMSG_END] = msg_end,
        [PMSG_BYE] = msg_bye,
};

static void
handle_msg(struct tui *t, struct proto_msg *m)
{
        enum pmsg_type type = pmsg_type_of(m);

        if (type != PMSG_UNKNOWN && msg_handlers[type] != NULL)
                msg_handlers[type](t, m);
        tui_dirty(t);
}

/* The worker closed the socket without a report: the wizard makes one. */
static void
worker_gone_report(struct tui *t)
{
        struct proto_msg m;

        proto_init(&m, "end");
        if (t->run.code == EXIT_DONE && (t->conn.bye_message || t->run.info)) {
                proto_set(&m, "message", t->conn.bye_message ? t->conn.bye_message : t->run.info);
        } else {
                if (t->run.code == EXIT_DONE)
                        t->run.code = EXIT_STEPFAIL;
                proto_set(&m, "message", _("the engine's process stopped without finishing: what was done is kept in the journal"));
                proto_set(&m, "resume", t->o.resume_cmd);
        }
        proto_set(&m, "state_dir", t->run.state_dir);
        proto_set(&m, "log", t->run.log_path);
        keep_end(t, &m);
}

void
tui_read_worker(struct tui *t)
{
        for (unsigned i = 0; i < 16 && t->conn.fd >= 0; i++) {
                struct proto_msg m = {0};
                struct diag d = {0};
                int n = proto_read(&t->conn.rd, t->conn.fd);

                if (n == -EAGAIN)
                        return;
                if (n <= 0) {
                        close(t->conn.fd);
                        t->conn.fd = -1;
                        break;
                }
                while ((n = proto_next(&t->conn.rd, &m, &d)) != 0) {
                        if (n == 1)
                                handle_msg(t, &m);
                        proto_release(&m);
                        if (n == -EMSGSIZE)
                                break;
                }
        }
        if (t->conn.fd < 0 && !t->run.ended && t->farewell == NULL) {
                int status = 0;

                /* The worker closed the socket without a report: either
                 * there was nothing to do (it said so, and bye) or it died.
                 * It closes the socket just before it exits. */
                if (!t->conn.worker_gone && t->conn.worker > 0 &&
                    waitpid(t->conn.worker, &status, 0) == t->conn.worker) {
                        t->conn.worker_gone = true;
                        t->conn.worker_status = status;
                }
                t->run.ended = true;
                t->run.code = t->conn.have_bye ? t->conn.bye_code
                          : t->conn.worker_gone && WIFEXITED(t->conn.worker_status)
                          ? WEXITSTATUS(t->conn.worker_status) : EXIT_STEPFAIL;
                worker_gone_report(t);
                t->view.req_id = 0;
                t->view.scr = SCR_END;
                tui_dirty(t);
        }
}

/* After the terminal is given back: the report as the line frontend says it. */
void
tui_print_report(struct tui *t)
{
        struct run_report r;
        struct frontend *fe;

        if (!t->run.ended || t->run.end.type == NULL)
                return;
        r = t->run.report;
        if (t->run.code == EXIT_DONE && r.version_after == NULL) {
                if (r.message)
                        printf("upshift: %s\n", r.message);
                return;
        }
        if (r.plan_title == NULL)
                r.plan_title = t->run.title;
        if (r.state_dir == NULL)
                r.state_dir = t->run.state_dir;
        r.exit_code = t->run.code;
        /* As the wizard printed it before the report was decoded whole:
         * without the hops and the declined step (the screen shows them). */
        r.hops = 0;
        r.declined = false;
        for (int i = 0; i < STEP_COUNT; i++)
                r.status[i] = t->run.steps[i].st;
        fe = plain_new(stdout, stderr, stdin, false);
        fe->ops->end(fe, &r);
        plain_free(fe);
}
