/* engine_plan.c: the plan a run works from, kept with the journal. Each
 * {ev: run_start} carries the plan file's SHA-256 (plan_sha256) and the
 * state directory keeps a copy of the file (plan.yaml), so that a plan
 * edited between an interrupted run and its resume is noticed and the
 * operator told which lines changed, before anything else runs. Journals
 * without the hash (older releases) resume without the check. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "lib/i18n.h"
#include "lib/sha256.h"

#define PLAN_COPY       "plan.yaml"
#define CHANGES_SHOWN   40      /* changed lines said at most */

int
engine_plan_read(struct engine *e, struct diag *d)
{
        size_t len = 0;

        free(e->plan_text);
        e->plan_text = NULL;
        if (e->plan->file == NULL)
                return 0;
        if (read_file(e->plan->file, &e->plan_text, &len, d) < 0)
                return -EIO;
        sha256_buf(e->plan_text, len, e->plan_sha256);
        return 0;
}

/* The lines of text, split (the text is changed in place). */
static void
split_lines(char *text, struct strv *ret)
{
        char *save = NULL;

        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                strv_push(ret, l);
}

/* Say each line of a that b lacks, marked with sign; *shown counts. */
static void
say_missing(struct engine *e, const struct strv *a, const struct strv *b, char sign,
            unsigned *shown)
{
        for (size_t i = 0; i < a->n; i++) {
                if (strv_find(b->v, b->n, a->v[i]) >= 0)
                        continue;
                if (++*shown <= CHANGES_SHOWN)
                        /* TRANSLATORS: a line number, - or +, a line of the plan. */
                        engine_say(e, OUT_WARN, _("  line %zu: %c %s"), i + 1, sign, a->v[i]);
        }
}

/* Which lines changed: those of the copy the new plan lacks (-), then
 * those of the new plan the copy lacks (+). */
static void
say_changes(struct engine *e, const char *copy_path)
{
        char *old = NULL, *new = xstrdup(e->plan_text);
        struct strv a = {0}, b = {0};
        unsigned shown = 0;
        size_t len;

        if (read_file(copy_path, &old, &len, NULL) < 0) {
                engine_say(e, OUT_WARN, _("  (no copy of the earlier plan is kept to show what changed)"));
                free(new);
                return;
        }
        split_lines(old, &a);
        split_lines(new, &b);
        say_missing(e, &a, &b, '-', &shown);
        say_missing(e, &b, &a, '+', &shown);
        if (shown > CHANGES_SHOWN)
                engine_say(e, OUT_WARN, _("  ... and %u more changed lines"), shown - CHANGES_SHOWN);
        strv_release(&a);
        strv_release(&b);
        free(old);
        free(new);
}

void
engine_plan_note(struct engine *e, const char *was_sha256)
{
        char *copy;
        struct diag quiet = {0};

        if (e->plan_text == NULL)
                return;
        copy = path_join(e->opts->state_dir, PLAN_COPY);
        if (was_sha256 && strcmp(was_sha256, e->plan_sha256) != 0) {
                e->current = STEP_NONE;
                engine_say(e, OUT_WARN, _("the plan changed since the last run of this upgrade (%s); the run goes on with the plan as it is now, changed lines:"),
                           e->plan->file);
                say_changes(e, copy);
        }
        (void)write_file_atomic(copy, e->plan_text, strlen(e->plan_text), 0600, &quiet);
        free(copy);
}
