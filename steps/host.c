/* host.c: a step's calls to its host, the engine, through ctx->ops. */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/util.h"
#include "steps/step.h"

void
step_say(struct step_ctx *ctx, enum out_kind kind, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        ctx->ops->say(ctx->host, kind, msg);
        free(msg);
}

void
step_progress(struct step_ctx *ctx, const char *what, uint64_t done, uint64_t total)
{
        ctx->ops->progress(ctx->host, what, done, total);
}

void
step_countdown(struct step_ctx *ctx, const char *what, int64_t left_ms, int64_t total_ms)
{
        ctx->ops->countdown(ctx->host, what, left_ms, total_ms);
}

int
step_confirm(struct step_ctx *ctx, enum step_id step, const char *what, const char *consequence,
             const char *point_of_no_return)
{
        return ctx->ops->confirm(ctx->host, step, what, consequence, point_of_no_return);
}

int
step_fact_set(struct step_ctx *ctx, const char *key, const char *value, struct diag *d)
{
        return ctx->ops->fact_set(ctx->host, key, value, d);
}

void
step_fact_queue(struct step_ctx *ctx, const char *key, const char *value)
{
        ctx->ops->fact_queue(ctx->host, key, value);
}

void
step_note_set(struct step_ctx *ctx, const char *key, const char *value)
{
        ctx->ops->note_set(ctx->host, key, value);
}

const char *
step_note(const struct step_ctx *ctx, const char *key)
{
        return ctx->ops->note(ctx->host, key);
}

int
step_facts_commit(struct step_ctx *ctx, struct diag *d)
{
        return ctx->ops->facts_commit(ctx->host, d);
}

const char *
step_fact(const struct step_ctx *ctx, const char *key)
{
        return ctx->ops->fact(ctx->host, key);
}

int
step_exec(struct step_ctx *ctx, struct exec_opts *o, struct exec_result *ret, struct diag *d)
{
        return ctx->ops->exec(ctx->host, o, ret, d);
}

const struct runner *
step_runner(struct step_ctx *ctx)
{
        return ctx->ops->runner(ctx->host);
}

int
step_service(struct step_ctx *ctx, struct service *ret, struct diag *d)
{
        return ctx->ops->service(ctx->host, ret, d);
}

unsigned
step_hop(const struct step_ctx *ctx)
{
        return ctx->ops->hop(ctx->host);
}

unsigned
step_hop_count(const struct step_ctx *ctx)
{
        return ctx->ops->hop_count(ctx->host);
}

void
step_hop_key(const struct step_ctx *ctx, char *buf, size_t n, const char *fmt, ...)
{
        unsigned hop = step_hop(ctx);
        size_t used = 0;
        va_list ap;

        if (hop > 1) {
                int k = snprintf(buf, n, "hop%u.", hop);

                used = k > 0 && (size_t)k < n ? (size_t)k : 0;
        }
        va_start(ap, fmt);
        vsnprintf(buf + used, n - used, fmt, ap);
        va_end(ap);
}

void
step_set_hops(struct step_ctx *ctx, const struct strv *hops)
{
        ctx->ops->set_hops(ctx->host, hops);
}

int
step_set_hop(struct step_ctx *ctx, unsigned hop, struct diag *d)
{
        return ctx->ops->set_hop(ctx->host, hop, d);
}

const struct answers *
step_answers(const struct step_ctx *ctx)
{
        return ctx->ops->answers(ctx->host);
}

void
step_set_interruptible(struct step_ctx *ctx, bool yes)
{
        ctx->ops->set_interruptible(ctx->host, yes);
}

bool
step_strict_packages(const struct step_ctx *ctx)
{
        return ctx->ops->strict_packages != NULL && ctx->ops->strict_packages(ctx->host);
}

bool
step_interrupted(const struct step_ctx *ctx)
{
        return ctx->ops->interrupted(ctx->host);
}

bool
step_sleep(struct step_ctx *ctx, long ms)
{
        return ctx->ops->sleep(ctx->host, ms);
}
