/* remote_ask.c: the worker frontend's calls that wait for the client's
 * reply: a question, a form, a confirmation, a failure's choice, the
 * review (remote.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/i18n.h"
#include "steps/step.h"
#include "ui/proto.h"
#include "ui/proto_msg.h"
#include "ui/remote_int.h"

/* What a request asks, for upshift status: "confirm: Stop the service". */
static char *
describe(const struct proto_msg *m)
{
        const char *what = proto_get(m, "what") ? proto_get(m, "what")
                         : proto_get(m, "title") ? proto_get(m, "title")
                         : proto_get(m, "text") && !proto_is(m, "review") ? proto_get(m, "text")
                         : proto_get(m, "step");

        return what ? xasprintf("%s: %s", m->type, what) : xstrdup(m->type);
}

/* Send a request and wait for its reply. Returns 0 with *ret filled, or -1
 * when it cannot come: the one client went away (a worker without a
 * listening socket), or the engine was interrupted (SIGTERM). A worker
 * that listens waits for the next client to answer. */
static int
request(struct remote *r, struct proto_msg *m, struct proto_msg *ret)
{
        long id;
        int rc = -1;

        pthread_mutex_lock(&r->mu);
        id = ++r->next_id;
        proto_set_int(m, "id", id);
        r->want_id = id;
        free(r->pending_what);
        r->pending_what = describe(m);
        remote_set_snap(&r->snap_pending, m);
        remote_send_locked(r, m);
        while (!r->have_reply && !(r->lost && r->o.listen_fd < 0) &&
               !(r->o.interrupt && *r->o.interrupt)) {
                struct timespec ts;

                /* Woken by a reply; every 200 ms to see a signal's flag. */
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 200 * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        }
        if (r->have_reply) {
                *ret = r->reply;
                memset(&r->reply, 0, sizeof r->reply);
                r->have_reply = false;
                rc = 0;
        }
        r->want_id = 0;
        remote_set_snap(&r->snap_pending, NULL);
        pthread_mutex_unlock(&r->mu);
        return rc;
}

static int
result_of(const struct proto_msg *m)
{
        struct pmsg_reply rep;
        const char *v;

        pmsg_reply_decode(m, &rep);
        v = rep.result;

        if (v && strcmp(v, "ok") == 0)
                return STEP_OK;
        if (v && strcmp(v, "back") == 0)
                return STEP_BACK;
        return STEP_ABORT;
}

/* A question as the protocol carries it (borrows from q). */
static struct pmsg_field
field_of(const struct question *q, const char *value)
{
        return (struct pmsg_field){
                .key = q->key, .text = q->text, .help = q->help, .type = qtype_name(q->type),
                .required = q->required, .def = q->def, .choices = q->choices, .value = value,
        };
}

int
remote_ask(struct frontend *fe, const struct question *q, const char *def, char **ret_value)
{
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        int rc;

        pmsg_ask_encode(&(struct pmsg_ask){ .f = field_of(q, def) }, &m);
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

int
remote_form(struct frontend *fe, struct form *f)
{
        struct pmsg_field *fields = xcalloc(f->n ? f->n : 1, sizeof *fields);
        struct pmsg_form pf = {
                .title = f->title, .intro = f->intro, .error = f->error, .index = f->index,
                .count = f->count, .no_back = f->no_back, .n = f->n, .fields = fields,
        };
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        int rc;

        for (size_t i = 0; i < f->n; i++) {
                fields[i] = field_of(f->fields[i].q, f->fields[i].value);
                fields[i].error = f->fields[i].error;
        }
        pmsg_form_encode(&pf, &m);
        free(fields);
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep);
        for (size_t i = 0; rc != STEP_ABORT && i < f->n; i++) {
                const char *v = pmsg_reply_field(&rep, i);

                if (v != NULL) {
                        free(f->fields[i].value);
                        f->fields[i].value = xstrdup(v);
                }
        }
        proto_release(&rep);
        return rc;
}

int
remote_confirm(struct frontend *fe, enum step_id step, const char *what, const char *consequence,
               const char *point_of_no_return)
{
        struct pmsg_confirm c = {
                .step = step_key(step), .what = what,
                .consequence = point_of_no_return ? point_of_no_return : consequence,
                .ponr = point_of_no_return != NULL,
        };
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        int rc;

        pmsg_confirm_encode(&c, &m);
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep) == STEP_OK ? STEP_OK : STEP_ABORT;
        proto_release(&rep);
        return rc;
}

enum fail_choice
remote_failure(struct frontend *fe, enum step_id step, const char *message, const char *log_path)
{
        struct pmsg_failure fm = { .step = step_key(step), .message = message, .log = log_path };
        struct remote *r = R(fe);
        struct proto_msg m, rep;
        enum fail_choice c = FAIL_QUIT;
        struct pmsg_reply rp;
        const char *v;

        pmsg_failure_encode(&fm, &m);
        if (request(r, &m, &rep) == 0) {
                pmsg_reply_decode(&rep, &rp);
                v = rp.choice;
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
        if (rv->plan->backup.paths.n && rv->backup_dir) {
                const char *free_s = rv->free_bytes ? room : _("unknown");

                if (rv->data_known)
                        /* TRANSLATORS: size of the data, backup directory, free space there */
                        fprintf(f, _("Backup: %s of data now, into %s (%s free there)."),
                                data, rv->backup_dir, free_s);
                else
                        /* TRANSLATORS: backup directory, free space there */
                        fprintf(f, _("Backup: into %s (%s free there); the size of the data cannot be read yet."),
                                rv->backup_dir, free_s);
                if (rv->plan->backup.before.n)
                        fprintf(f, " %s", _("The backup's own commands run first and may add to it."));
                fputc('\n', f);
        }
        {
                const struct plan *p = rv->plan;
                long stop = p->service.timeout_ms ? p->service.timeout_ms : 60000;
                long ready = p->verify.ready.timeout_ms ? p->verify.ready.timeout_ms : 60000;
                size_t migrations = 0;
                char bound[32];

                for (size_t i = 0; i < p->migrate.n; i++)
                        if (!p->migrate.v[i].online)    /* after ready: not downtime */
                                migrations += p->migrate.v[i].run.n;
                duration_format(bound, sizeof bound, stop + ready);
                if (migrations)
                        /* TRANSLATORS: a duration, then a number of commands */
                        fprintf(f, _("Downtime: from step 4 (stop) until step 7 (verify) finds the service ready; the waits allow up to %s, plus the time of %zu migration command(s).\n"),
                                bound, migrations);
                else
                        /* TRANSLATORS: a duration */
                        fprintf(f, _("Downtime: from step 4 (stop) until step 7 (verify) finds the service ready; the swap is renames, the waits allow up to %s.\n"),
                                bound);
        }
        fprintf(f, _("Nothing has been changed yet.\n\n"));
}

int
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
        pmsg_review_encode(&(struct pmsg_review){ .text = text, .backup_dir = rv->backup_dir,
                                                  .data_bytes = rv->data_bytes,
                                                  .free_bytes = rv->free_bytes }, &m);
        free(text);
        rc = request(r, &m, &rep);
        proto_release(&m);
        if (rc < 0)
                return STEP_ABORT;
        rc = result_of(&rep);
        proto_release(&rep);
        return rc;
}
