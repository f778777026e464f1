/* tui_msg.c: what the wizard does with the worker's messages (the
 * protocol of ui/proto.h, listed in doc/protocol.md), and the report it
 * prints when it gives the terminal back. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "steps/step.h"
#include "ui/plain.h"
#include "ui/tui_int.h"
#include "ui/worker.h"

static int
step_index(const char *key)
{
        enum step_id id = key ? step_from_key(key) : STEP_NONE;

        return id == STEP_NONE ? -1 : (int)id;
}

static void
msg_state(struct tui *t, const struct proto_msg *m)
{
        int i = step_index(proto_get(m, "step"));
        int st = proto_status_from_name(proto_get(m, "status"));

        if (i < 0 || st < 0)
                return;
        t->steps[i].st = (enum step_status)st;
        t->steps[i].ms = proto_get_int(m, "ms", -1);
        tui_set(&t->steps[i].note, proto_get(m, "note"));
        if (st == ST_RUNNING) {
                t->current = i;
                t->steps[i].t0 = now_ms();
                free(t->prog_what);
                t->prog_what = NULL;
        } else if (t->current < 0 || st == ST_FAILED) {
                t->current = i;
        }
}

static void
msg_progress(struct tui *t, const struct proto_msg *m)
{
        const char *what = proto_get(m, "what");
        uint64_t done = (uint64_t)proto_get_int(m, "done", 0);
        int64_t now = now_ms();

        if (what == NULL)
                return;
        if (t->prog_what == NULL || strcmp(t->prog_what, what) != 0 || done < t->prog_done) {
                tui_set(&t->prog_what, what);
                t->prog_t0 = now;
                t->prog_last = now;
                t->prog_rate = 0;
        } else if (now > t->prog_last) {
                double inst = (double)(done - t->prog_done) * 1000.0 / (double)(now - t->prog_last);

                t->prog_rate = t->prog_rate > 0 ? 0.7 * t->prog_rate + 0.3 * inst : inst;
                t->prog_last = now;
        }
        t->prog_done = done;
        t->prog_total = (uint64_t)proto_get_int(m, "total", 0);
        t->prog_ms = proto_get(m, "unit") != NULL && strcmp(proto_get(m, "unit"), "ms") == 0;
}

static void
msg_plan(struct tui *t, const struct proto_msg *m)
{
        for (int i = 0; i < STEP_COUNT; i++) {
                char k[32];

                snprintf(k, sizeof k, "s.%d.title", i);
                if (proto_get(m, k))
                        tui_set(&t->steps[i].title, proto_get(m, k));
                snprintf(k, sizeof k, "s.%d.what", i);
                if (proto_get(m, k))
                        tui_set(&t->steps[i].what, proto_get(m, k));
                snprintf(k, sizeof k, "s.%d.consequence", i);
                tui_set(&t->steps[i].consequence, proto_get(m, k));
                snprintf(k, sizeof k, "s.%d.risk", i);
                t->steps[i].destructive = proto_get(m, k) &&
                                          strcmp(proto_get(m, k), "destructive") == 0;
        }
        if (proto_get(m, "host"))
                tui_set(&t->host, proto_get(m, "host"));
}

static void
msg_begin(struct tui *t, const struct proto_msg *m)
{
        tui_set(&t->version, proto_get(m, "version"));
        if (proto_get(m, "target"))
                tui_set(&t->target, proto_get(m, "target"));
        tui_set(&t->log_path, proto_get(m, "log"));
        for (int i = 0; i < STEP_COUNT; i++) {
                char k[16];
                int st;

                snprintf(k, sizeof k, "st.%d", i);
                if ((st = proto_status_from_name(proto_get(m, k))) >= 0)
                        t->steps[i].st = (enum step_status)st;
        }
        if (t->req_id == 0)
                t->scr = SCR_RUN;
}

/* Another wizard is attached (busy), took over (detached), or the worker
 * will not have us (refused). */
static void
msg_attach(struct tui *t, const struct proto_msg *m)
{
        char *who = worker_who(m);

        if (proto_is(m, "busy")) {
                tui_set(&t->text, who);
                t->menu = 0;
                t->scr = SCR_BUSY;
        } else if (proto_is(m, "detached")) {
                tui_set(&t->text, who);
                free(t->farewell);
                t->farewell = xasprintf(_("detached: %s took over this upgrade; it goes on there"),
                                        who);
                t->code = EXIT_LOCKED;
                t->req_id = 0;
                t->quitting = false;
                t->log.full = false;
                t->scr = SCR_DETACHED;
        } else {
                const char *why = proto_get(m, "reason");

                free(t->farewell);
                t->farewell = xasprintf(_("error: the upgrade's worker refused this wizard: %s"),
                                        why ? why : "?");
                t->code = EXIT_USAGE;
                tui_leave(t);
        }
        free(who);
        if (!proto_is(m, "busy")) {
                close(t->fd);
                t->fd = -1;
        }
}

static void
handle_msg(struct tui *t, struct proto_msg *m)
{
        const char *type = m->type;

        if (strcmp(type, "hello") == 0) {
                const char *action = proto_get(m, "action");

                tui_set(&t->status, NULL);      /* "taking over..." */
                /* The title says what the worker does, whatever this
                 * wizard was started for (a resume screen's Roll back). */
                if (action)
                        t->o.rollback = strcmp(action, "rollback") == 0;
                if (proto_get_int(m, "v", 0) != PROTO_VERSION) {
                        tui_set(&t->status, _("the worker speaks another protocol version"));
                        close(t->fd);
                        t->fd = -1;
                }
        } else if (strcmp(type, "plan") == 0) {
                msg_plan(t, m);
        } else if (strcmp(type, "begin") == 0) {
                msg_begin(t, m);
        } else if (strcmp(type, "state") == 0) {
                msg_state(t, m);
        } else if (strcmp(type, "out") == 0) {
                int kind = proto_kind_from_name(proto_get(m, "kind"));
                const char *text = proto_get(m, "text") ? proto_get(m, "text") : "";

                if (kind < 0)
                        kind = OUT_INFO;
                tui_log_add(&t->log, (enum out_kind)kind, text);
                if (kind == OUT_INFO || kind == OUT_WARN)
                        tui_set(&t->info, text);
        } else if (strcmp(type, "skip") == 0) {
                tui_log_skip(&t->log, (uint64_t)proto_get_int(m, "n", 0));
        } else if (strcmp(type, "progress") == 0) {
                msg_progress(t, m);
        } else if (strcmp(type, "ask") == 0 || strcmp(type, "form") == 0) {
                tui_form_load(t, m, strcmp(type, "ask") == 0);
                t->req_id = (long)proto_get_int(m, "id", 0);
                t->scr = SCR_FORM;
        } else if (strcmp(type, "confirm") == 0) {
                tui_set(&t->what, proto_get(m, "what"));
                tui_set(&t->text, proto_get(m, "consequence"));
                tui_set(&t->req_step, proto_get(m, "step"));
                t->ponr = proto_get_int(m, "ponr", 0) != 0;
                t->req_id = (long)proto_get_int(m, "id", 0);
                t->menu = 0;
                t->scr = SCR_CONFIRM;
        } else if (strcmp(type, "failure") == 0) {
                tui_set(&t->req_step, proto_get(m, "step"));
                tui_set(&t->text, proto_get(m, "message"));
                tui_set(&t->fail_log, proto_get(m, "log"));
                t->req_id = (long)proto_get_int(m, "id", 0);
                t->menu = 0;
                t->scr = SCR_FAILURE;
        } else if (strcmp(type, "review") == 0) {
                tui_set(&t->text, proto_get(m, "text"));
                t->review_top = 0;
                t->req_id = (long)proto_get_int(m, "id", 0);
                t->menu = 0;
                t->scr = SCR_REVIEW;
        } else if (strcmp(type, "fact") == 0) {
                const char *k = proto_get(m, "key"), *v = proto_get(m, "value");

                if (k && v && strcmp(k, "version") == 0)
                        tui_set(&t->version, v);
                else if (k && v && strcmp(k, "target") == 0)
                        tui_set(&t->target, v);
        } else if (strcmp(type, "vars") == 0) {
                strv_release(&t->env);
                for (size_t i = 0; i < m->kv.n; i++)
                        strv_push(&t->env, m->kv.v[i].value);
        } else if (strcmp(type, "busy") == 0 || strcmp(type, "detached") == 0 ||
                   strcmp(type, "refused") == 0) {
                msg_attach(t, m);
        } else if (strcmp(type, "bye") == 0) {
                t->have_bye = true;
                t->bye_code = (int)proto_get_int(m, "code", EXIT_STEPFAIL);
                tui_set(&t->bye_message, proto_get(m, "message"));
        } else if (strcmp(type, "end") == 0) {
                proto_release(&t->end);
                t->end = *m;
                memset(m, 0, sizeof *m);
                t->ended = true;
                t->code = (int)proto_get_int(&t->end, "code", EXIT_STEPFAIL);
                t->req_id = 0;
                t->menu = 0;
                t->scr = SCR_END;
                free(t->status);
                t->status = NULL;
                if (t->leave_on_end)
                        tui_leave(t);
        }
        tui_dirty(t);
}

void
tui_read_worker(struct tui *t)
{
        for (unsigned i = 0; i < 16 && t->fd >= 0; i++) {
                struct proto_msg m = {0};
                struct diag d = {0};
                int n = proto_read(&t->rd, t->fd);

                if (n == -EAGAIN)
                        return;
                if (n <= 0) {
                        close(t->fd);
                        t->fd = -1;
                        break;
                }
                while ((n = proto_next(&t->rd, &m, &d)) != 0) {
                        if (n == 1)
                                handle_msg(t, &m);
                        proto_release(&m);
                        if (n == -EMSGSIZE)
                                break;
                }
        }
        if (t->fd < 0 && !t->ended && t->farewell == NULL) {
                int status = 0;

                /* The worker closed the socket without a report: either
                 * there was nothing to do (it said so, and bye) or it died.
                 * It closes the socket just before it exits. */
                if (!t->worker_gone && t->worker > 0 &&
                    waitpid(t->worker, &status, 0) == t->worker) {
                        t->worker_gone = true;
                        t->worker_status = status;
                }
                t->ended = true;
                t->code = t->have_bye ? t->bye_code
                          : t->worker_gone && WIFEXITED(t->worker_status)
                          ? WEXITSTATUS(t->worker_status) : EXIT_STEPFAIL;
                proto_release(&t->end);
                proto_init(&t->end, "end");
                if (t->code == EXIT_DONE && (t->bye_message || t->info)) {
                        proto_set(&t->end, "message", t->bye_message ? t->bye_message : t->info);
                } else {
                        if (t->code == EXIT_DONE)
                                t->code = EXIT_STEPFAIL;
                        proto_set(&t->end, "message", _("the engine's process stopped without finishing: what was done is kept in the journal"));
                        proto_set(&t->end, "resume", t->o.resume_cmd);
                }
                proto_set(&t->end, "state_dir", t->state_dir);
                proto_set(&t->end, "log", t->log_path);
                t->req_id = 0;
                t->scr = SCR_END;
                tui_dirty(t);
        }
}

/* After the terminal is given back: the report as the line frontend says it. */
void
tui_print_report(struct tui *t)
{
        struct run_report r = {0};
        struct frontend *fe;
        const struct proto_msg *m = &t->end;

        if (!t->ended || m->type == NULL)
                return;
        if (t->code == EXIT_DONE && proto_get(m, "version_after") == NULL) {
                if (proto_get(m, "message"))
                        printf("upshift: %s\n", proto_get(m, "message"));
                return;
        }
        r.plan_id = proto_get(m, "plan");
        r.plan_title = proto_get(m, "title") ? proto_get(m, "title") : t->title;
        r.version_before = proto_get(m, "version_before");
        r.version_after = proto_get(m, "version_after");
        r.package_version = proto_get(m, "package_version");
        r.backup_path = proto_get(m, "backup_path");
        r.backup_sha256 = proto_get(m, "backup_sha256");
        r.backup_size = (uint64_t)proto_get_int(m, "backup_size", 0);
        r.downtime_ms = proto_get_int(m, "downtime_ms", -1);
        r.log_path = proto_get(m, "log");
        r.state_dir = proto_get(m, "state_dir") ? proto_get(m, "state_dir") : t->state_dir;
        r.resume_hint = proto_get(m, "resume");
        r.exit_code = t->code;
        r.message = proto_get(m, "message");
        for (int i = 0; i < STEP_COUNT; i++) {
                char k[16];

                snprintf(k, sizeof k, "ms.%d", i);
                r.step_ms[i] = proto_get_int(m, k, -1);
                r.status[i] = t->steps[i].st;
        }
        fe = plain_new(stdout, stderr, stdin, false);
        fe->ops->end(fe, &r);
        plain_free(fe);
}
