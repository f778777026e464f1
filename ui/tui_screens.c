/* tui_screens.c: the screens right of the step list, as a table
 * (tui_screen_table[]): the running step with its progress, the review, a
 * confirmation and a failure here, the others in tui_end.c and
 * tui_form.c; menus and their keys. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "ui/proto_msg.h"
#include "ui/tui_int.h"

int
tui_para(struct tui *t, int y, int x, int w, int max, const char *s, enum tui_attr a)
{
        struct strv v = {0};
        int n = 0;

        tui_wrap(s, w, &v);
        if (a)
                tui_attr_on(t, a);
        for (size_t i = 0; i < v.n && n < max; i++, n++)
                tui_put(t, y + n, x, w, v.v[i]);
        if (a)
                tui_attr_off(t, a);
        strv_release(&v);
        return n;
}

void
tui_heading(struct tui *t, int y, int x, int w, int step, const char *what)
{
        char *s;

        if (step >= 0 && step < STEP_COUNT)
                /* TRANSLATORS: "Step 4 of 8: Stop the service" */
                s = xasprintf(_("Step %d of %d: %s"), step + 1, STEP_COUNT,
                              what ? what : t->run.steps[step].title);
        else
                s = xstrdup(what ? what : "");
        tui_attr_on(t, TA_HEAD);
        tui_put(t, y, x, w, s);
        tui_attr_off(t, TA_HEAD);
        free(s);
}

static void
draw_progress(struct tui *t, int y, int x, int w)
{
        char a[32], b[32], rate[32], eta[32], line[160];
        const struct tui_run *r = &t->run;
        int64_t now = now_ms();

        if (r->prog_total == 0) {
                duration_format(a, sizeof a, now - r->prog_t0);
                /* TRANSLATORS: what is being waited for, and for how long so far */
                snprintf(line, sizeof line, _("%s: %s so far"), r->prog_what, a);
                tui_put(t, y, x, w, line);
                return;
        }
        {
                uint64_t done = r->prog_done < r->prog_total ? r->prog_done : r->prog_total;
                int pct = (int)(done * 100 / r->prog_total);
                int bw = w - 8 - tui_text_width(r->prog_what) - 2, fill;

                if (bw > 50)
                        bw = 50;
                if (bw < 10)
                        bw = 10;
                fill = (int)((uint64_t)bw * done / r->prog_total);
                tui_put(t, y, x, w, r->prog_what);
                move(y, x + tui_text_width(r->prog_what) + 1);
                tui_attr_on(t, TA_RUN);
                for (int i = 0; i < bw; i++)
                        addstr(i < fill ? t->g.bar_full : t->g.bar_empty);
                tui_attr_off(t, TA_RUN);
                printw(" %3d%%", pct);
                if (r->prog_ms) {
                        duration_format(a, sizeof a, (int64_t)(r->prog_total - done));
                        duration_format(b, sizeof b, (int64_t)r->prog_total);
                        /* TRANSLATORS: a countdown: time left, then the whole wait */
                        snprintf(line, sizeof line, _("%s left of %s"), a, b);
                        tui_put(t, y + 1, x + 2, w - 2, line);
                        return;
                }
                bytes_format(a, sizeof a, done);
                bytes_format(b, sizeof b, r->prog_total);
                bytes_format(rate, sizeof rate, (uint64_t)r->prog_rate);
                duration_format(eta, sizeof eta, r->prog_rate > 0
                                ? (int64_t)((double)(r->prog_total - done) / r->prog_rate * 1000) : 0);
                /* TRANSLATORS: done, total, rate, time left */
                snprintf(line, sizeof line, _("%s of %s, %s/s, %s left"), a, b, rate,
                         r->prog_rate > 0 ? eta : "?");
                tui_put(t, y + 1, x + 2, w - 2, line);
        }
}

static void
draw_run(struct tui *t, int y, int x, int h, int w)
{
        int i = t->run.current, row = 0;
        const struct tui_step *s;

        if (i < 0) {
                tui_heading(t, y, x, w, -1, t->run.title);
                tui_para(t, y + 2, x, w, h - 3, t->run.log_path ? _("Working...")
                                                         : _("Starting the engine..."), 0);
                return;
        }
        s = &t->run.steps[i];
        tui_heading(t, y, x, w, i, NULL);
        row = 2 + tui_para(t, y + 2, x, w, 4, s->note && s->st == ST_RUNNING ? s->note : s->what,
                           0);
        if (s->destructive && s->consequence && row + 2 < h) {
                char *c = xasprintf(_("Cost: %s"), s->consequence);

                row += 1 + tui_para(t, y + row + 1, x, w, 3, c, TA_WARN);
                free(c);
        }
        if (s->st == ST_FAILED && s->note)
                row += 1 + tui_para(t, y + row + 1, x, w, 3, s->note, TA_FAIL);
        if (t->run.prog_what && s->st == ST_RUNNING && row + 3 < h) {
                draw_progress(t, y + row + 1, x, w);
                row += 3;
        }
        if (t->run.info && row + 2 < h) {
                mvaddstr(y + row + 1, x, t->g.pointer);
                tui_para(t, y + row + 1, x + 2, w - 2, h - row - 1, t->run.info, TA_DIM);
        }
}

static const struct tui_item review_menu[] = {
        { N_("Start the upgrade"), ACT_START },
        { N_("Back to the questions"), ACT_BACK },
        { N_("Quit (nothing is changed)"), ACT_ABORT },
};

static void
draw_review(struct tui *t, int y, int x, int h, int w)
{
        struct strv v = {0};
        int rows = h - 6;

        tui_heading(t, y, x, w, -1, _("What will be done"));
        tui_wrap(t->view.text, w - 1, &v);
        if (t->view.review.top > (int)v.n - rows)
                t->view.review.top = (int)v.n - rows > 0 ? (int)v.n - rows : 0;
        for (int r = 0; r < rows && t->view.review.top + r < (int)v.n; r++)
                tui_put(t, y + 1 + r, x, w - 1, v.v[t->view.review.top + r]);
        if ((int)v.n > rows) {
                char pos[64];

                /* TRANSLATORS: lines shown, of how many */
                snprintf(pos, sizeof pos, _("(lines %d-%d of %zu; Up/Down, PgUp/PgDn scroll)"),
                         t->view.review.top + 1, t->view.review.top + rows, v.n);
                tui_attr_on(t, TA_DIM);
                tui_put(t, y + 1 + rows, x, w, pos);
                tui_attr_off(t, TA_DIM);
        }
        tui_menu_items(t, y + h - 3, x, w, review_menu, ARRAY_SIZE(review_menu), t->view.menu);
        strv_release(&v);
}

static const struct tui_item confirm_menu[] = {
        { N_("No: stop here (nothing more is changed)"), ACT_NO },
        { NULL, ACT_YES },                      /* "Yes: " and the step's title */
};

static void
draw_confirm(struct tui *t, int y, int x, int h, int w)
{
        const char *items[3];
        int step = t->view.req_step ? (int)step_from_key(t->view.req_step) : -1;
        int row;
        char *yes;

        if (t->view.confirm.ponr) {
                tui_attr_on(t, TA_FAIL);
                tui_put(t, y, x, w, _("POINT OF NO RETURN"));
                tui_attr_off(t, TA_FAIL);
                tui_heading(t, y + 1, x, w, step, t->view.confirm.what);
                row = 3;
        } else {
                tui_heading(t, y, x, w, step, t->view.confirm.what);
                row = 2;
        }
        row += tui_para(t, y + row, x, w, 2, _("This step needs your confirmation:"), 0);
        row += 1 + tui_para(t, y + row + 1, x + 2, w - 2, h - row - 5, t->view.text, TA_WARN);
        /* TRANSLATORS: a confirmation's button: "Yes: Stop the service" */
        yes = xasprintf(_("Yes: %s"), t->view.confirm.what ? t->view.confirm.what : "");
        items[0] = _(confirm_menu[0].label);
        items[1] = yes;
        items[2] = NULL;
        tui_menu(t, y + row + 1 < y + h - 2 ? y + row + 1 : y + h - 2, x, w, items, t->view.menu);
        free(yes);
}

static const struct tui_item failure_menu[] = {
        { N_("Retry the step"), ACT_RETRY },
        { N_("Roll back the upgrade"), ACT_ROLLBACK },
        { N_("Open a shell (exit it to come back here)"), ACT_SHELL },
        { N_("Quit and resume later"), ACT_QUIT },
};

static void
draw_failure(struct tui *t, int y, int x, int h, int w)
{
        int step = t->view.req_step ? (int)step_from_key(t->view.req_step) : -1;
        int row = 1, shown = 0;
        char *s;

        /* TRANSLATORS: "Step 7 of 8: Verify failed" */
        s = xasprintf(_("%s failed"), step >= 0 ? t->run.steps[step].title : _("The run"));
        tui_attr_on(t, TA_FAIL);
        mvaddstr(y, x, t->g.fail);
        tui_attr_off(t, TA_FAIL);
        tui_heading(t, y, x + 2, w - 2, step, s);
        free(s);
        row += tui_para(t, y + row, x, w, 4, t->view.text, TA_FAIL);
        row++;
        /* The last lines of output (not the wizard's own info lines). */
        {
                const struct tui_logline *l[5];
                int want = h - row - 8 > 5 ? 5 : h - row - 8;

                for (size_t up = 0; shown < want && up < t->log.n; up++) {
                        const struct tui_logline *x1 = tui_log_at(&t->log, up);

                        if (x1->kind != OUT_INFO && x1->kind != TUI_SKIP)
                                l[shown++] = x1;
                }
                if (shown) {
                        tui_put(t, y + row++, x, w, _("Last lines of output:"));
                        tui_attr_on(t, TA_DIM);
                        for (int i = shown - 1; i >= 0; i--) {
                                tui_put(t, y + row, x + 2, 2, l[i]->kind == OUT_CMD ? "$ " : "| ");
                                tui_put(t, y + row++, x + 4, w - 4, l[i]->text);
                        }
                        tui_attr_off(t, TA_DIM);
                }
        }
        if (t->view.failure.log) {
                s = xasprintf(_("Full log: %s"), t->view.failure.log);
                row += tui_para(t, y + row, x, w, 2, s, 0);
                free(s);
        }
        tui_menu_items(t, y + h - 4, x, w, failure_menu, ARRAY_SIZE(failure_menu), t->view.menu);
}


int
tui_menu_items(struct tui *t, int y, int x, int w, const struct tui_item *items, size_t n,
               int focus)
{
        const char *labels[8];

        if (n >= ARRAY_SIZE(labels))
                n = ARRAY_SIZE(labels) - 1;
        for (size_t i = 0; i < n; i++)
                labels[i] = _(items[i].label);
        labels[n] = NULL;
        return tui_menu(t, y, x, w, labels, focus);
}

bool
tui_menu_key(struct tui *t, int n, int key, wint_t wc, bool is_key)
{
        if ((is_key && (key == KEY_DOWN || key == KEY_RIGHT)) || (!is_key && wc == '\t')) {
                t->view.menu = (t->view.menu + 1) % n;
                return true;
        }
        if (is_key && (key == KEY_UP || key == KEY_LEFT || key == KEY_BTAB)) {
                t->view.menu = (t->view.menu + n - 1) % n;
                return true;
        }
        return false;
}

bool
tui_enter(wint_t wc, bool is_key, int key)
{
        return (!is_key && (wc == '\r' || wc == '\n')) || (is_key && key == KEY_ENTER);
}

static bool
review_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        int page = t->rows - 12;

        if (is_key && (key == KEY_DOWN || key == KEY_UP || key == KEY_NPAGE || key == KEY_PPAGE ||
                       key == KEY_HOME)) {
                int d = key == KEY_DOWN ? 1 : key == KEY_UP ? -1 : key == KEY_NPAGE ? page
                        : key == KEY_PPAGE ? -page : -100000;

                t->view.review.top = t->view.review.top + d < 0 ? 0 : t->view.review.top + d;
                return true;
        }
        if ((is_key && (key == KEY_LEFT || key == KEY_RIGHT || key == KEY_BTAB)) ||
            (!is_key && wc == '\t')) {
                t->view.menu = (t->view.menu + (is_key && key != KEY_RIGHT ? 2 : 1)) % 3;
                return true;
        }
        if (!is_key && wc == 27) {
                tui_reply(t, "back", NULL);
                return true;
        }
        if (!tui_enter(wc, is_key, key))
                return false;
        tui_reply(t, review_menu[t->view.menu].act == ACT_START ? "ok"
                     : review_menu[t->view.menu].act == ACT_BACK ? "back" : "abort", NULL);
        return true;
}

static bool
confirm_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        if (tui_menu_key(t, (int)ARRAY_SIZE(confirm_menu), key, wc, is_key))
                return true;
        if (!tui_enter(wc, is_key, key))
                return false;
        tui_reply(t, confirm_menu[t->view.menu].act == ACT_YES ? "ok" : "abort", NULL);
        return true;
}

static bool
failure_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        enum tui_action act;

        if (tui_menu_key(t, (int)ARRAY_SIZE(failure_menu), key, wc, is_key))
                return true;
        if (!tui_enter(wc, is_key, key))
                return false;
        act = failure_menu[t->view.menu].act;
        if (act == ACT_SHELL) {
                tui_open_shell(t);
                return true;
        }
        tui_reply(t, "ok", &(struct pmsg_reply){
                .choice = act == ACT_RETRY ? "retry" : act == ACT_ROLLBACK ? "rollback" : "quit",
        });
        return true;
}

/* Every screen, by enum tui_screen. */
const struct tui_screen_def tui_screen_table[] = {
        [SCR_START]    = { "start",    draw_run,          NULL },
        [SCR_FORM]     = { "form",     tui_form_draw,     tui_form_key },
        [SCR_REVIEW]   = { "review",   draw_review,       review_key },
        [SCR_RUN]      = { "run",      draw_run,          NULL },
        [SCR_CONFIRM]  = { "confirm",  draw_confirm,      confirm_key },
        [SCR_FAILURE]  = { "failure",  draw_failure,      failure_key },
        [SCR_RESUME]   = { "resume",   tui_draw_resume,   tui_resume_key },
        [SCR_END]      = { "end",      tui_draw_end,      tui_leave_key },
        [SCR_BUSY]     = { "busy",     tui_draw_busy,     tui_busy_key },
        [SCR_DETACHED] = { "detached", tui_draw_detached, tui_leave_key },
};

void
tui_draw_screen(struct tui *t, int y, int x, int h, int w)
{
        tui_screen_table[t->view.scr].draw(t, y, x, h, w);
}

bool
tui_screen_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        const struct tui_screen_def *s = &tui_screen_table[t->view.scr];

        return s->key != NULL && s->key(t, key, wc, is_key);
}
