/* proto_end.c: the worker protocol's end message, frontend.h's struct
 * run_report (proto_msg.h), encoded and decoded side by side. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "ui/proto_msg.h"

/* Key "PREFIX.N" into buf. */
static const char *
key_n(char *buf, size_t size, const char *prefix, int n)
{
        snprintf(buf, size, "%s.%d", prefix, n);
        return buf;
}

void
pmsg_end_encode(const struct run_report *x, struct proto_msg *ret)
{
        char k[16];

        proto_init(ret, "end");
        proto_set_int(ret, "code", x->exit_code);
        proto_set(ret, "message", x->message);
        proto_set(ret, "plan", x->plan_id);
        proto_set(ret, "title", x->plan_title);
        proto_set(ret, "version_before", x->version_before);
        proto_set(ret, "version_after", x->version_after);
        proto_set(ret, "package_version", x->package_version);
        proto_set(ret, "version_change", x->version_change);
        proto_set(ret, "backup_path", x->backup_path);
        proto_set(ret, "backup_sha256", x->backup_sha256);
        proto_set_int(ret, "backup_size", (long long)x->backup_size);
        proto_set_int(ret, "downtime_ms", x->downtime_ms);
        if (x->backup_delta_ms > 0)
                proto_set_int(ret, "backup_delta_ms", x->backup_delta_ms);
        proto_set(ret, "log", x->log_path);
        proto_set(ret, "state_dir", x->state_dir);
        proto_set(ret, "resume", x->resume_hint);
        if (x->declined)
                proto_set_int(ret, "declined", 1);
        if (x->hops > 1)
                proto_set_int(ret, "hops", x->hops);
        for (int i = 0; i < STEP_COUNT; i++) {
                proto_set(ret, key_n(k, sizeof k, "st", i), proto_status_name(x->status[i]));
                proto_set_int(ret, key_n(k, sizeof k, "ms", i), x->step_ms[i]);
        }
}

void
pmsg_end_decode(const struct proto_msg *m, struct run_report *ret)
{
        long long hops = proto_get_int(m, "hops", 1);
        char k[16];

        memset(ret, 0, sizeof *ret);
        ret->exit_code = (int)proto_get_int(m, "code", EXIT_STEPFAIL);
        ret->message = proto_get(m, "message");
        ret->plan_id = proto_get(m, "plan");
        ret->plan_title = proto_get(m, "title");
        ret->version_before = proto_get(m, "version_before");
        ret->version_after = proto_get(m, "version_after");
        ret->package_version = proto_get(m, "package_version");
        ret->version_change = proto_get(m, "version_change");
        ret->backup_path = proto_get(m, "backup_path");
        ret->backup_sha256 = proto_get(m, "backup_sha256");
        ret->backup_size = (uint64_t)proto_get_int(m, "backup_size", 0);
        ret->downtime_ms = proto_get_int(m, "downtime_ms", -1);
        ret->backup_delta_ms = proto_get_int(m, "backup_delta_ms", 0);
        ret->log_path = proto_get(m, "log");
        ret->state_dir = proto_get(m, "state_dir");
        ret->resume_hint = proto_get(m, "resume");
        ret->declined = proto_get_int(m, "declined", 0) != 0;
        ret->hops = hops > 1 ? (unsigned)hops : 1;
        for (int i = 0; i < STEP_COUNT; i++) {
                int st = proto_status_from_name(proto_get(m, key_n(k, sizeof k, "st", i)));

                ret->status[i] = st >= 0 ? (enum step_status)st : ST_PENDING;
                ret->step_ms[i] = proto_get_int(m, key_n(k, sizeof k, "ms", i), -1);
        }
}
