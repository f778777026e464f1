/* proto_msg.c: each message of the worker protocol, encoded and decoded
 * side by side (proto_msg.h). */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "ui/proto_msg.h"

static const char *const type_names[PMSG_COUNT] = {
        [PMSG_HELLO] = "hello", [PMSG_BUSY] = "busy", [PMSG_TAKEOVER] = "takeover",
        [PMSG_DETACHED] = "detached", [PMSG_REFUSED] = "refused",
        [PMSG_STATUS] = "status", [PMSG_PLAN] = "plan", [PMSG_BEGIN] = "begin",
        [PMSG_STATE] = "state", [PMSG_OUT] = "out", [PMSG_SKIP] = "skip",
        [PMSG_PROGRESS] = "progress", [PMSG_FACT] = "fact", [PMSG_VARS] = "vars",
        [PMSG_ASK] = "ask", [PMSG_FORM] = "form", [PMSG_CONFIRM] = "confirm",
        [PMSG_FAILURE] = "failure", [PMSG_REVIEW] = "review", [PMSG_END] = "end",
        [PMSG_BYE] = "bye", [PMSG_REPLY] = "reply", [PMSG_INTERRUPT] = "interrupt",
};

const char *
pmsg_name(enum pmsg_type type)
{
        return type >= 0 && type < PMSG_COUNT ? type_names[type] : NULL;
}

enum pmsg_type
pmsg_type_of(const struct proto_msg *m)
{
        for (int i = 0; i < PMSG_COUNT && m->type; i++)
                if (strcmp(type_names[i], m->type) == 0)
                        return (enum pmsg_type)i;
        return PMSG_UNKNOWN;
}

/* Key "PREFIX.N" or "PREFIX.N.SUFFIX" into buf. */
static const char *
key_n(char *buf, size_t size, const char *prefix, int n, const char *suffix)
{
        snprintf(buf, size, suffix ? "%s.%d.%s" : "%s.%d", prefix, n, suffix ? suffix : "");
        return buf;
}

static void
set_id(struct proto_msg *m, long id)
{
        if (id != 0)
                proto_set_int(m, "id", id);
}

static long
get_id(const struct proto_msg *m)
{
        return (long)proto_get_int(m, "id", 0);
}

void
pmsg_hello_encode(const struct pmsg_hello *x, struct proto_msg *ret)
{
        proto_init(ret, "hello");
        proto_set_int(ret, "v", x->v);
        proto_set(ret, "role", x->role);
        proto_set(ret, "user", x->user);
        proto_set(ret, "tty", x->tty);
        proto_set_int(ret, "pid", x->pid);
        proto_set(ret, "action", x->action);
}

void
pmsg_hello_decode(const struct proto_msg *m, struct pmsg_hello *ret)
{
        ret->v = (long)proto_get_int(m, "v", 0);
        ret->role = proto_get(m, "role");
        ret->user = proto_get(m, "user");
        ret->tty = proto_get(m, "tty");
        ret->pid = (long)proto_get_int(m, "pid", 0);
        ret->action = proto_get(m, "action");
}

void
pmsg_who_encode(enum pmsg_type type, const struct pmsg_who *x, struct proto_msg *ret)
{
        proto_init(ret, pmsg_name(type) ? pmsg_name(type) : "busy");
        proto_set(ret, "user", x->user);
        proto_set(ret, "tty", x->tty);
        proto_set(ret, "pid", x->pid);
        proto_set(ret, "since", x->since);
}

void
pmsg_who_decode(const struct proto_msg *m, struct pmsg_who *ret)
{
        ret->user = proto_get(m, "user");
        ret->tty = proto_get(m, "tty");
        ret->pid = proto_get(m, "pid");
        ret->since = proto_get(m, "since");
}

void
pmsg_refused_encode(const struct pmsg_refused *x, struct proto_msg *ret)
{
        proto_init(ret, "refused");
        proto_set(ret, "reason", x->reason);
}

void
pmsg_refused_decode(const struct proto_msg *m, struct pmsg_refused *ret)
{
        ret->reason = proto_get(m, "reason");
}

void
pmsg_status_encode(const struct pmsg_status *x, struct proto_msg *ret)
{
        proto_init(ret, "status");
        proto_set_int(ret, "pid", x->pid);
        proto_set(ret, "action", x->action);
        proto_set_int(ret, "waiting", x->waiting);
        proto_set(ret, "what", x->what);
        proto_set(ret, "client", x->client);
}

void
pmsg_status_decode(const struct proto_msg *m, struct pmsg_status *ret)
{
        ret->pid = (long)proto_get_int(m, "pid", 0);
        ret->action = proto_get(m, "action");
        ret->waiting = proto_get_int(m, "waiting", 0) != 0;
        ret->what = proto_get(m, "what");
        ret->client = proto_get(m, "client");
}

void
pmsg_plan_encode(const struct pmsg_plan *x, struct proto_msg *ret)
{
        char k[32];

        proto_init(ret, "plan");
        proto_set(ret, "id", x->id);
        proto_set(ret, "title", x->title);
        proto_set(ret, "host", x->host);
        proto_set(ret, "target", x->target);
        proto_set(ret, "state_dir", x->state_dir);
        for (int i = 0; i < STEP_COUNT && x->step[i].title; i++) {
                const struct pmsg_plan_step *s = &x->step[i];

                proto_set(ret, key_n(k, sizeof k, "s", i, "title"), s->title);
                proto_set(ret, key_n(k, sizeof k, "s", i, "what"), s->what);
                proto_set(ret, key_n(k, sizeof k, "s", i, "risk"), s->risk);
                proto_set(ret, key_n(k, sizeof k, "s", i, "consequence"), s->consequence);
        }
}

void
pmsg_plan_decode(const struct proto_msg *m, struct pmsg_plan *ret)
{
        char k[32];

        ret->id = proto_get(m, "id");
        ret->title = proto_get(m, "title");
        ret->host = proto_get(m, "host");
        ret->target = proto_get(m, "target");
        ret->state_dir = proto_get(m, "state_dir");
        for (int i = 0; i < STEP_COUNT; i++) {
                struct pmsg_plan_step *s = &ret->step[i];

                s->title = proto_get(m, key_n(k, sizeof k, "s", i, "title"));
                s->what = proto_get(m, key_n(k, sizeof k, "s", i, "what"));
                s->risk = proto_get(m, key_n(k, sizeof k, "s", i, "risk"));
                s->consequence = proto_get(m, key_n(k, sizeof k, "s", i, "consequence"));
        }
}

void
pmsg_begin_encode(const struct run_info *x, struct proto_msg *ret)
{
        char k[16];

        proto_init(ret, "begin");
        proto_set(ret, "plan", x->plan_id);
        proto_set(ret, "title", x->plan_title);
        proto_set(ret, "host", x->host);
        proto_set(ret, "version", x->version);
        proto_set(ret, "target", x->target);
        proto_set(ret, "state_dir", x->state_dir);
        proto_set(ret, "log", x->log_path);
        proto_set_int(ret, "resuming", x->resuming);
        for (int i = 0; i < STEP_COUNT; i++)
                proto_set(ret, key_n(k, sizeof k, "st", i, NULL), proto_status_name(x->status[i]));
}

void
pmsg_begin_decode(const struct proto_msg *m, struct pmsg_begin *ret)
{
        struct run_info *ri = &ret->ri;
        char k[16];

        memset(ret, 0, sizeof *ret);
        ri->plan_id = proto_get(m, "plan");
        ri->plan_title = proto_get(m, "title");
        ri->host = proto_get(m, "host");
        ri->version = proto_get(m, "version");
        ri->target = proto_get(m, "target");
        ri->state_dir = proto_get(m, "state_dir");
        ri->log_path = proto_get(m, "log");
        ri->resuming = proto_get_int(m, "resuming", 0) != 0;
        for (int i = 0; i < STEP_COUNT; i++) {
                int st = proto_status_from_name(proto_get(m, key_n(k, sizeof k, "st", i, NULL)));

                ret->has_status[i] = st >= 0;
                ri->status[i] = st >= 0 ? (enum step_status)st : ST_PENDING;
        }
}

void
pmsg_state_encode(const struct pmsg_state *x, struct proto_msg *ret)
{
        proto_init(ret, "state");
        proto_set(ret, "step", step_key(x->step));
        proto_set(ret, "status", x->status >= 0 ? proto_status_name(x->status) : NULL);
        proto_set_int(ret, "ms", x->ms);
        proto_set(ret, "note", x->note);
}

void
pmsg_state_decode(const struct proto_msg *m, struct pmsg_state *ret)
{
        const char *step = proto_get(m, "step");

        ret->step = step ? step_from_key(step) : STEP_NONE;
        ret->status = proto_status_from_name(proto_get(m, "status"));
        ret->ms = proto_get_int(m, "ms", -1);
        ret->note = proto_get(m, "note");
}

void
pmsg_out_encode(const struct pmsg_out *x, struct proto_msg *ret)
{
        proto_init(ret, "out");
        proto_set(ret, "kind", proto_kind_name(x->kind));
        proto_set(ret, "text", x->text);
        proto_set(ret, "label", x->label);
}

void
pmsg_out_decode(const struct proto_msg *m, struct pmsg_out *ret)
{
        int kind = proto_kind_from_name(proto_get(m, "kind"));

        ret->kind = kind < 0 ? OUT_INFO : (enum out_kind)kind;
        ret->text = proto_get(m, "text") ? proto_get(m, "text") : "";
        ret->label = proto_get(m, "label");
}

void
pmsg_skip_encode(const struct pmsg_skip *x, struct proto_msg *ret)
{
        proto_init(ret, "skip");
        proto_set_int(ret, "n", (long long)x->n);
}

void
pmsg_skip_decode(const struct proto_msg *m, struct pmsg_skip *ret)
{
        ret->n = (uint64_t)proto_get_int(m, "n", 0);
}

void
pmsg_progress_encode(const struct pmsg_progress *x, struct proto_msg *ret)
{
        proto_init(ret, "progress");
        proto_set(ret, "what", x->what);
        proto_set_int(ret, "done", (long long)x->done);
        proto_set_int(ret, "total", (long long)x->total);
        proto_set(ret, "unit", x->unit);
}

void
pmsg_progress_decode(const struct proto_msg *m, struct pmsg_progress *ret)
{
        ret->what = proto_get(m, "what");
        ret->done = (uint64_t)proto_get_int(m, "done", 0);
        ret->total = (uint64_t)proto_get_int(m, "total", 0);
        ret->unit = proto_get(m, "unit");
}

void
pmsg_fact_encode(const struct pmsg_fact *x, struct proto_msg *ret)
{
        proto_init(ret, "fact");
        proto_set(ret, "key", x->key);
        proto_set(ret, "value", x->value);
}

void
pmsg_fact_decode(const struct proto_msg *m, struct pmsg_fact *ret)
{
        ret->key = proto_get(m, "key");
        ret->value = proto_get(m, "value");
}

void
pmsg_vars_encode(const struct kvlist *vars, struct proto_msg *ret)
{
        char k[32];

        proto_init(ret, "vars");
        for (size_t i = 0; i < vars->n; i++) {
                snprintf(k, sizeof k, "v.%zu", i);
                proto_setf(ret, k, "%s=%s", vars->v[i].key, vars->v[i].value);
        }
}

void
pmsg_vars_decode(const struct proto_msg *m, struct strv *ret)
{
        for (size_t i = 0; i < m->kv.n; i++)
                strv_push(ret, m->kv.v[i].value);
}

static void
field_encode(struct proto_msg *m, const char *pre, const struct pmsg_field *f, bool form)
{
        char k[64];

#define K(name) (snprintf(k, sizeof k, "%s%s", pre, name), k)
        proto_set(m, K("key"), f->key);
        proto_set(m, K("text"), f->text);
        proto_set(m, K("help"), f->help);
        proto_set(m, K("type"), f->type);
        proto_set_int(m, K("required"), f->required);
        proto_set(m, K("default"), f->def);
        for (size_t i = 0; i < f->choices.n; i++) {
                snprintf(k, sizeof k, "%sc.%zu", pre, i);
                proto_set(m, k, f->choices.v[i]);
        }
        proto_set(m, K("value"), f->value);
        if (form)
                proto_set(m, K("error"), f->error);
#undef K
}

static void
field_decode(const struct proto_msg *m, const char *pre, struct pmsg_field *ret)
{
        char k[64];

#define G(name) (snprintf(k, sizeof k, "%s%s", pre, name), proto_get(m, k))
        ret->key = G("key");
        ret->text = G("text");
        ret->help = G("help");
        ret->type = G("type");
        ret->required = G("required") && strcmp(G("required"), "1") == 0;
        ret->def = G("default");
        ret->value = G("value");
        ret->error = G("error");
#undef G
        for (int i = 0; i < 256; i++) {
                snprintf(k, sizeof k, "%sc.%d", pre, i);
                if (proto_get(m, k) == NULL)
                        break;
                strv_push(&ret->choices, proto_get(m, k));
        }
}

void
pmsg_ask_encode(const struct pmsg_ask *x, struct proto_msg *ret)
{
        proto_init(ret, "ask");
        field_encode(ret, "", &x->f, false);
        set_id(ret, x->id);
}

void
pmsg_ask_decode(const struct proto_msg *m, struct pmsg_ask *ret)
{
        ret->id = get_id(m);
        field_decode(m, "", &ret->f);
}

void
pmsg_form_encode(const struct pmsg_form *x, struct proto_msg *ret)
{
        proto_init(ret, "form");
        proto_set(ret, "title", x->title);
        proto_set(ret, "intro", x->intro);
        proto_set(ret, "error", x->error);
        proto_set_int(ret, "index", x->index);
        proto_set_int(ret, "count", x->count);
        if (x->no_back)
                proto_set_int(ret, "no_back", 1);
        proto_set_int(ret, "n", (long long)x->n);
        for (size_t i = 0; i < x->n; i++) {
                char pre[32];

                snprintf(pre, sizeof pre, "f%zu.", i);
                field_encode(ret, pre, &x->fields[i], true);
        }
        set_id(ret, x->id);
}

void
pmsg_form_decode(const struct proto_msg *m, struct pmsg_form *ret)
{
        long long n = proto_get_int(m, "n", 0);

        memset(ret, 0, sizeof *ret);
        ret->id = get_id(m);
        ret->title = proto_get(m, "title");
        ret->intro = proto_get(m, "intro");
        ret->error = proto_get(m, "error");
        ret->index = (unsigned)proto_get_int(m, "index", 1);
        ret->count = (unsigned)proto_get_int(m, "count", 1);
        ret->no_back = proto_get_int(m, "no_back", 0) != 0;
        ret->n = n < 0 || n > 256 ? 0 : (size_t)n;
}

void
pmsg_form_field(const struct proto_msg *m, size_t i, struct pmsg_field *ret)
{
        char pre[32];

        snprintf(pre, sizeof pre, "f%zu.", i);
        field_decode(m, pre, ret);
}

void
pmsg_confirm_encode(const struct pmsg_confirm *x, struct proto_msg *ret)
{
        proto_init(ret, "confirm");
        proto_set(ret, "step", x->step);
        proto_set(ret, "what", x->what);
        proto_set(ret, "consequence", x->consequence);
        proto_set_int(ret, "ponr", x->ponr);
        set_id(ret, x->id);
}

void
pmsg_confirm_decode(const struct proto_msg *m, struct pmsg_confirm *ret)
{
        ret->id = get_id(m);
        ret->step = proto_get(m, "step");
        ret->what = proto_get(m, "what");
        ret->consequence = proto_get(m, "consequence");
        ret->ponr = proto_get_int(m, "ponr", 0) != 0;
}

void
pmsg_failure_encode(const struct pmsg_failure *x, struct proto_msg *ret)
{
        proto_init(ret, "failure");
        proto_set(ret, "step", x->step);
        proto_set(ret, "message", x->message);
        proto_set(ret, "log", x->log);
        set_id(ret, x->id);
}

void
pmsg_failure_decode(const struct proto_msg *m, struct pmsg_failure *ret)
{
        ret->id = get_id(m);
        ret->step = proto_get(m, "step");
        ret->message = proto_get(m, "message");
        ret->log = proto_get(m, "log");
}

void
pmsg_review_encode(const struct pmsg_review *x, struct proto_msg *ret)
{
        proto_init(ret, "review");
        proto_set(ret, "text", x->text);
        proto_set(ret, "backup_dir", x->backup_dir);
        proto_set_int(ret, "data_bytes", (long long)x->data_bytes);
        proto_set_int(ret, "free_bytes", (long long)x->free_bytes);
        set_id(ret, x->id);
}

void
pmsg_review_decode(const struct proto_msg *m, struct pmsg_review *ret)
{
        ret->id = get_id(m);
        ret->text = proto_get(m, "text");
        ret->backup_dir = proto_get(m, "backup_dir");
        ret->data_bytes = (uint64_t)proto_get_int(m, "data_bytes", 0);
        ret->free_bytes = (uint64_t)proto_get_int(m, "free_bytes", 0);
}

void
pmsg_bye_encode(const struct pmsg_bye *x, struct proto_msg *ret)
{
        proto_init(ret, "bye");
        proto_set_int(ret, "code", x->code);
        proto_set(ret, "message", x->message);
}

void
pmsg_bye_decode(const struct proto_msg *m, struct pmsg_bye *ret)
{
        ret->code = (int)proto_get_int(m, "code", EXIT_STEPFAIL);
        ret->message = proto_get(m, "message");
}

void
pmsg_reply_encode(const struct pmsg_reply *x, struct proto_msg *ret)
{
        char k[32];

        proto_init(ret, "reply");
        proto_set_int(ret, "id", x->id);
        proto_set(ret, "result", x->result);
        proto_set(ret, "value", x->value);
        proto_set(ret, "choice", x->choice);
        for (size_t i = 0; i < x->n; i++) {
                snprintf(k, sizeof k, "f%zu", i);
                proto_set(ret, k, x->fields[i]);
        }
}

void
pmsg_reply_decode(const struct proto_msg *m, struct pmsg_reply *ret)
{
        memset(ret, 0, sizeof *ret);
        ret->id = (long)proto_get_int(m, "id", -1);
        ret->result = proto_get(m, "result");
        ret->value = proto_get(m, "value");
        ret->choice = proto_get(m, "choice");
}

const char *
pmsg_reply_field(const struct proto_msg *m, size_t i)
{
        char k[32];

        snprintf(k, sizeof k, "f%zu", i);
        return proto_get(m, k);
}
