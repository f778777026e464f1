#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "ui/plain.h"

#define PROGRESS_EVERY_MS 2000

struct plain {
        struct frontend fe;
        FILE           *out, *err, *in;
        bool            interactive;
        enum step_id    step;
        char           *label;          /* the last output line's label (its
                                           progress lines take it), or NULL */
        int64_t         last_progress;
        int64_t         progress_t0;
        char           *progress_what;
};

static struct plain *
P(struct frontend *fe)
{
        return fe->priv;
}

static void
stamp(struct plain *p, FILE *f)
{
        char buf[16];
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(buf, sizeof buf, "%H:%M:%S", &tm);
        fprintf(f, "[%s] ", buf);
}

static void
plain_begin(struct frontend *fe, const struct run_info *ri)
{
        struct plain *p = P(fe);

        stamp(p, p->out);
        /* TRANSLATORS: plan title, host, target version */
        fprintf(p->out, _("upshift: %s on %s, target %s\n"), ri->plan_title, ri->host,
                ri->target ? ri->target : "?");
        stamp(p, p->out);
        fprintf(p->out, _("state: %s, log: %s\n"), ri->state_dir, ri->log_path);
        if (ri->resuming) {
                stamp(p, p->out);
                fprintf(p->out, _("resuming an upgrade that was started earlier\n"));
        }
        fflush(p->out);
}

static int
read_line(struct plain *p, char **ret)
{
        char *line = NULL;
        size_t cap = 0;

        if (getline(&line, &cap, p->in) < 0) {
                free(line);
                return -1;
        }
        *ret = str_rtrim(line);
        return 0;
}

static int
plain_ask(struct frontend *fe, const struct question *q, const char *def, char **ret_value)
{
        struct plain *p = P(fe);
        char *line;

        if (!p->interactive)
                return STEP_ABORT;
        fprintf(p->out, "%s%s%s%s: ", q->text, def ? " [" : "", def ? def : "", def ? "]" : "");
        fflush(p->out);
        if (read_line(p, &line) < 0)
                return STEP_ABORT;
        if (*line == '\0' && def) {
                free(line);
                line = xstrdup(def);
        }
        *ret_value = line;
        return STEP_OK;
}

static int
plain_confirm(struct frontend *fe, enum step_id step, const char *what, const char *consequence,
              const char *ponr)
{
        struct plain *p = P(fe);
        char *line;
        int r;

        if (!p->interactive)
                return STEP_ABORT;
        if (ponr)
                /* TRANSLATORS: a confirmation; %s says what cannot be undone */
                fprintf(p->out, _("%s: %s\nPOINT OF NO RETURN: %s\nType \"yes\" to go on, anything else stops here: "),
                        step_key(step) ? step_key(step) : "upshift", what, ponr);
        else
                fprintf(p->out, _("%s: %s\n%s\nType \"yes\" to go on, anything else stops here: "),
                        step_key(step) ? step_key(step) : "upshift", what,
                        consequence ? consequence : "");
        fflush(p->out);
        if (read_line(p, &line) < 0)
                return STEP_ABORT;
        r = strcmp(line, "yes") == 0 || strcmp(line, _("yes")) == 0 ? STEP_OK : STEP_ABORT;
        free(line);
        return r;
}

static void
plain_step_state(struct frontend *fe, enum step_id step, enum step_status st, int64_t ms,
                 const char *note)
{
        struct plain *p = P(fe);
        char d[32];

        p->step = step;
        free(p->label);
        p->label = NULL;
        stamp(p, p->out);
        duration_format(d, sizeof d, ms);
        switch (st) {
        case ST_RUNNING:
                /* TRANSLATORS: step number, step count, step name, what it does */
                fprintf(p->out, _("==> step %d/%d %s: %s\n"), (int)step + 1, STEP_COUNT,
                        step_key(step), note ? note : "");
                break;
        case ST_DONE:
                if (note)
                        fprintf(p->out, _("    %s: %s\n"), step_key(step), note);
                else
                        fprintf(p->out, _("<== %s done (%s)\n"), step_key(step), d);
                break;
        case ST_SKIPPED:
                fprintf(p->out, _("    %s: skipped\n"), step_key(step));
                break;
        case ST_UNDONE:
                fprintf(p->out, _("<== %s undone\n"), step_key(step));
                break;
        case ST_FAILED:
                fprintf(p->out, _("!!! %s failed after %s: %s\n"), step_key(step), d,
                        note ? note : "");
                break;
        default:
                fprintf(p->out, "    %s\n", step_key(step));
                break;
        }
        fflush(p->out);
}

static void
plain_output(struct frontend *fe, enum out_kind kind, const char *label, const char *line)
{
        struct plain *p = P(fe);
        const char *who = label ? label : "upshift";

        free(p->label);
        p->label = label ? xstrdup(label) : NULL;
        stamp(p, p->out);
        switch (kind) {
        case OUT_CMD:
                fprintf(p->out, "%s: $ %s\n", who, line);
                break;
        case OUT_STDOUT:
        case OUT_STDERR:
                fprintf(p->out, "%s:   | %s\n", who, line);
                break;
        case OUT_WARN:
                fprintf(p->out, _("%s: warning: %s\n"), who, line);
                break;
        default:
                fprintf(p->out, "%s: %s\n", who, line);
                break;
        }
        fflush(p->out);
}

static void
plain_progress(struct frontend *fe, const char *what, uint64_t done, uint64_t total)
{
        struct plain *p = P(fe);
        const char *who = p->label ? p->label : step_key(p->step) ? step_key(p->step) : "upshift";
        int64_t now = now_ms();
        char a[32], b[32], rate[32], eta[32];

        if (p->progress_what == NULL || strcmp(p->progress_what, what) != 0) {
                free(p->progress_what);
                p->progress_what = xstrdup(what);
                p->progress_t0 = now;
                p->last_progress = now;
                return;
        }
        if (now - p->last_progress < PROGRESS_EVERY_MS && !(total && done >= total))
                return;
        p->last_progress = now;
        stamp(p, p->out);
        if (total == 0) {
                duration_format(a, sizeof a, now - p->progress_t0);
                fprintf(p->out, _("%s: %s... (%s)\n"), who, what, a);
        } else {
                double secs = (double)(now - p->progress_t0) / 1000.0;
                double bps = secs > 0 ? (double)done / secs : 0;

                bytes_format(a, sizeof a, done);
                bytes_format(b, sizeof b, total);
                bytes_format(rate, sizeof rate, (uint64_t)bps);
                duration_format(eta, sizeof eta,
                                bps > 0 ? (int64_t)((double)(total - (done < total ? done : total)) / bps * 1000) : 0);
                /* TRANSLATORS: label, percent, done, total, rate, time left */
                fprintf(p->out, _("%s: %s %3d%% (%s of %s, %s/s, %s left)\n"), who,
                        what, (int)(done * 100 / total), a, b, rate, eta);
        }
        fflush(p->out);
}

static enum fail_choice
plain_failure(struct frontend *fe, enum step_id step, const char *message, const char *log_path)
{
        return FAIL_QUIT;
}

static void
plain_end(struct frontend *fe, const struct run_report *r)
{
        struct plain *p = P(fe);
        char d[32], size[32];

        if (r->exit_code == EXIT_ROLLEDBACK) {
                fprintf(p->out, "\n%s\n", r->message ? r->message : _("rolled back"));
                if (r->backup_path)
                        fprintf(p->out, _("  backup:   %s (kept)\n"), r->backup_path);
                if (r->log_path)
                        fprintf(p->out, _("  log:      %s\n"), r->log_path);
                fflush(p->out);
                return;
        }
        if (r->exit_code != 0) {
                fprintf(p->err, _("upshift: error: %s\n"), r->message ? r->message : _("failed"));
                if (r->log_path)
                        fprintf(p->err, _("upshift: full output in %s\n"), r->log_path);
                /* The command on a line of its own, to be pasted. */
                if (r->resume_hint && r->declined)
                        fprintf(p->err, _("upshift: what was done is kept in %s; when you are ready, resume with:\n  %s\n"),
                                r->state_dir, r->resume_hint);
                else if (r->resume_hint)
                        fprintf(p->err, _("upshift: what was done is kept in %s; fix the cause, then resume with:\n  %s\n"),
                                r->state_dir, r->resume_hint);
                fflush(p->err);
                return;
        }
        fprintf(p->out, "\n");
        /* TRANSLATORS: plan title, version before, version after */
        fprintf(p->out, _("%s upgraded: %s -> %s"), r->plan_title,
                r->version_before ? r->version_before : "?",
                r->version_after ? r->version_after : "?");
        /* A version has no space; several packages ("NAME VERSION, ...") do. */
        if (r->package_version && strchr(r->package_version, ' '))
                fprintf(p->out, _(" (packages %s)"), r->package_version);
        else if (r->package_version)
                fprintf(p->out, _(" (package %s)"), r->package_version);
        fprintf(p->out, "\n");
        if (r->version_change)
                /* TRANSLATORS: the revisions before and after ("deb12u3 ->
                 * deb12u4"): only the package's revision changed. */
                fprintf(p->out, _("  revision: %s\n"), r->version_change);
        if (r->backup_path) {
                bytes_format(size, sizeof size, r->backup_size);
                fprintf(p->out, _("  backup:   %s\n            %s, SHA-256 %s\n"), r->backup_path,
                        size, r->backup_sha256 ? r->backup_sha256 : "?");
        }
        fprintf(p->out, _("  steps:   "));
        for (int i = 0; i < STEP_COUNT; i++) {
                if (r->step_ms[i] < 0)
                        snprintf(d, sizeof d, "-");
                else
                        duration_format(d, sizeof d, r->step_ms[i]);
                fprintf(p->out, " %s %s%s", step_key((enum step_id)i), d,
                        i + 1 < STEP_COUNT ? "," : "\n");
        }
        if (r->hops > 1)
                fprintf(p->out, _("            (swap, migrate and verify: the sum over the %u hops)\n"),
                        r->hops);
        if (r->downtime_ms == 0 && r->status[STEP_STOP] == ST_SKIPPED) {
                fprintf(p->out, _("  downtime: none (hot swap: the readiness check answered "
                                  "throughout the reload)\n"));
        } else if (r->downtime_ms > 0 && r->status[STEP_STOP] == ST_SKIPPED) {
                duration_format(d, sizeof d, r->downtime_ms);
                /* TRANSLATORS: a duration */
                fprintf(p->out, _("  downtime: %s (hot swap: the readiness check failed "
                                  "during the reload)\n"), d);
        } else if (r->downtime_ms >= 0 && r->backup_delta_ms > 0) {
                char b[32];

                duration_format(d, sizeof d, r->downtime_ms);
                duration_format(b, sizeof b, r->backup_delta_ms);
                /* TRANSLATORS: downtime, the part of it the backup took */
                fprintf(p->out, _("  downtime: %s (from stop to ready; %s of it the cold backup's second part)\n"),
                        d, b);
        } else if (r->downtime_ms >= 0) {
                duration_format(d, sizeof d, r->downtime_ms);
                fprintf(p->out, _("  downtime: %s (from stop to ready)\n"), d);
        }
        if (r->log_path)
                fprintf(p->out, _("  log:      %s\n"), r->log_path);
        fprintf(p->out, _("  state:    %s\n"), r->state_dir);
        fflush(p->out);
}

static const struct frontend_ops plain_ops = {
        .name = "plain",
        .begin = plain_begin,
        .ask = plain_ask,
        .confirm = plain_confirm,
        .step_state = plain_step_state,
        .output = plain_output,
        .progress = plain_progress,
        .failure = plain_failure,
        .end = plain_end,
};

struct frontend *
plain_new(FILE *out, FILE *err, FILE *in, bool interactive)
{
        struct plain *p = xcalloc(1, sizeof *p);

        p->fe.ops = &plain_ops;
        p->fe.priv = p;
        p->out = out;
        p->err = err;
        p->in = in;
        p->interactive = interactive;
        p->step = STEP_NONE;
        return &p->fe;
}

void
plain_free(struct frontend *fe)
{
        struct plain *p;

        if (fe == NULL)
                return;
        p = P(fe);
        free(p->progress_what);
        free(p->label);
        free(p);
}
