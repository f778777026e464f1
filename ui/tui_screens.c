/* tui_screens.c: the screens right of the step list: the running step
 * with its progress, the review, a confirmation, a failure, the resume
 * screen and the end; their keys; and the operator's shell. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "ui/tui_int.h"

/* Print wrapped text from row y; returns the rows used (at most max). */
static int
para(struct tui *t, int y, int x, int w, int max, const char *s, enum tui_attr a)
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

static void
heading(struct tui *t, int y, int x, int w, int step, const char *what)
{
        char *s;

        if (step >= 0 && step < STEP_COUNT)
                /* TRANSLATORS: "Step 4 of 8: Stop the service" */
                s = xasprintf(_("Step %d of %d: %s"), step + 1, STEP_COUNT,
                              what ? what : t->steps[step].title);
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
        int64_t now = now_ms();

        if (t->prog_total == 0) {
                duration_format(a, sizeof a, now - t->prog_t0);
                /* TRANSLATORS: what is being waited for, and for how long so far */
                snprintf(line, sizeof line, _("%s: %s so far"), t->prog_what, a);
                tui_put(t, y, x, w, line);
                return;
        }
        {
                uint64_t done = t->prog_done < t->prog_total ? t->prog_done : t->prog_total;
                int pct = (int)(done * 100 / t->prog_total);
                int bw = w - 8 - tui_text_width(t->prog_what) - 2, fill;

                if (bw > 50)
                        bw = 50;
                if (bw < 10)
                        bw = 10;
                fill = (int)((uint64_t)bw * done / t->prog_total);
                tui_put(t, y, x, w, t->prog_what);
                move(y, x + tui_text_width(t->prog_what) + 1);
                tui_attr_on(t, TA_RUN);
                for (int i = 0; i < bw; i++)
                        addstr(i < fill ? t->g.bar_full : t->g.bar_empty);
                tui_attr_off(t, TA_RUN);
                printw(" %3d%%", pct);
                if (t->prog_ms) {
                        duration_format(a, sizeof a, (int64_t)(t->prog_total - done));
                        duration_format(b, sizeof b, (int64_t)t->prog_total);
                        /* TRANSLATORS: a countdown: time left, then the whole wait */
                        snprintf(line, sizeof line, _("%s left of %s"), a, b);
                        tui_put(t, y + 1, x + 2, w - 2, line);
                        return;
                }
                bytes_format(a, sizeof a, done);
                bytes_format(b, sizeof b, t->prog_total);
                bytes_format(rate, sizeof rate, (uint64_t)t->prog_rate);
                duration_format(eta, sizeof eta, t->prog_rate > 0
                                ? (int64_t)((double)(t->prog_total - done) / t->prog_rate * 1000) : 0);
                /* TRANSLATORS: done, total, rate, time left */
                snprintf(line, sizeof line, _("%s of %s, %s/s, %s left"), a, b, rate,
                         t->prog_rate > 0 ? eta : "?");
                tui_put(t, y + 1, x + 2, w - 2, line);
        }
}

static void
draw_run(struct tui *t, int y, int x, int h, int w)
{
        int i = t->current, row = 0;
        const struct tui_step *s;

        if (i < 0) {
                heading(t, y, x, w, -1, t->title);
                para(t, y + 2, x, w, h - 3, t->log_path ? _("Working...")
                                                         : _("Starting the engine..."), 0);
                return;
        }
        s = &t->steps[i];
        heading(t, y, x, w, i, NULL);
        row = 2 + para(t, y + 2, x, w, 4, s->note && s->st == ST_RUNNING ? s->note : s->what, 0);
        if (s->destructive && s->consequence && row + 2 < h) {
                char *c = xasprintf(_("Cost: %s"), s->consequence);

                row += 1 + para(t, y + row + 1, x, w, 3, c, TA_WARN);
                free(c);
        }
        if (s->st == ST_FAILED && s->note)
                row += 1 + para(t, y + row + 1, x, w, 3, s->note, TA_FAIL);
        if (t->prog_what && s->st == ST_RUNNING && row + 3 < h) {
                draw_progress(t, y + row + 1, x, w);
                row += 3;
        }
        if (t->info && row + 2 < h) {
                mvaddstr(y + row + 1, x, t->g.pointer);
                para(t, y + row + 1, x + 2, w - 2, h - row - 1, t->info, TA_DIM);
        }
}

static void
draw_review(struct tui *t, int y, int x, int h, int w)
{
        static const char *items[4];
        struct strv v = {0};
        int rows = h - 6;

        items[0] = _("Start the upgrade");
        items[1] = _("Back to the questions");
        items[2] = _("Quit (nothing is changed)");
        items[3] = NULL;
        heading(t, y, x, w, -1, _("What will be done"));
        tui_wrap(t->text, w - 1, &v);
        if (t->review_top > (int)v.n - rows)
                t->review_top = (int)v.n - rows > 0 ? (int)v.n - rows : 0;
        for (int r = 0; r < rows && t->review_top + r < (int)v.n; r++)
                tui_put(t, y + 1 + r, x, w - 1, v.v[t->review_top + r]);
        if ((int)v.n > rows) {
                char pos[64];

                /* TRANSLATORS: lines shown, of how many */
                snprintf(pos, sizeof pos, _("(lines %d-%d of %zu; Up/Down, PgUp/PgDn scroll)"),
                         t->review_top + 1, t->review_top + rows, v.n);
                tui_attr_on(t, TA_DIM);
                tui_put(t, y + 1 + rows, x, w, pos);
                tui_attr_off(t, TA_DIM);
        }
        tui_menu(t, y + h - 3, x, w, items, t->menu);
        strv_release(&v);
}

static void
draw_confirm(struct tui *t, int y, int x, int h, int w)
{
        const char *items[3];
        int step = t->req_step ? (int)step_from_key(t->req_step) : -1;
        int row;
        char *yes;

        if (t->ponr) {
                tui_attr_on(t, TA_FAIL);
                tui_put(t, y, x, w, _("POINT OF NO RETURN"));
                tui_attr_off(t, TA_FAIL);
                heading(t, y + 1, x, w, step, t->what);
                row = 3;
        } else {
                heading(t, y, x, w, step, t->what);
                row = 2;
        }
        row += para(t, y + row, x, w, 2, _("This step needs your confirmation:"), 0);
        row += 1 + para(t, y + row + 1, x + 2, w - 2, h - row - 5, t->text, TA_WARN);
        /* TRANSLATORS: a confirmation's button: "Yes: Stop the service" */
        yes = xasprintf(_("Yes: %s"), t->what ? t->what : "");
        items[0] = _("No: stop here (nothing more is changed)");
        items[1] = yes;
        items[2] = NULL;
        tui_menu(t, y + row + 1 < y + h - 2 ? y + row + 1 : y + h - 2, x, w, items, t->menu);
        free(yes);
}

static void
draw_failure(struct tui *t, int y, int x, int h, int w)
{
        const char *items[5];
        int step = t->req_step ? (int)step_from_key(t->req_step) : -1;
        int row = 1, shown = 0;
        char *s;

        items[0] = _("Retry the step");
        items[1] = _("Roll back the upgrade");
        items[2] = _("Open a shell (exit it to come back here)");
        items[3] = _("Quit and resume later");
        items[4] = NULL;
        /* TRANSLATORS: "Step 7 of 8: Verify failed" */
        s = xasprintf(_("%s failed"), step >= 0 ? t->steps[step].title : _("The run"));
        tui_attr_on(t, TA_FAIL);
        mvaddstr(y, x, t->g.fail);
        tui_attr_off(t, TA_FAIL);
        heading(t, y, x + 2, w - 2, step, s);
        free(s);
        row += para(t, y + row, x, w, 4, t->text, TA_FAIL);
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
        if (t->fail_log) {
                s = xasprintf(_("Full log: %s"), t->fail_log);
                row += para(t, y + row, x, w, 2, s, 0);
                free(s);
        }
        tui_menu(t, y + h - 4, x, w, items, t->menu);
}

static char *
names_with(const struct run_state *st, enum step_status want)
{
        struct strv v = {0};
        char *s;

        for (int i = 0; i < STEP_COUNT; i++)
                if (st->status[i] == want)
                        strv_push(&v, step_key((enum step_id)i));
        s = v.n ? strv_join(v.v, v.n, ", ") : xstrdup(_("none"));
        strv_release(&v);
        return s;
}

static const char *const *
resume_items(const struct tui *t)
{
        static const char *items[5];

        if (t->resume->rolling_back) {
                items[0] = _("Finish the rollback");
                items[1] = _("Show the log");
                items[2] = _("Quit");
                items[3] = NULL;
        } else {
                items[0] = _("Resume the upgrade");
                items[1] = _("Roll back");
                items[2] = _("Show the log");
                items[3] = _("Quit");
                items[4] = NULL;
        }
        return items;
}

static void
draw_resume(struct tui *t, int y, int x, int h, int w)
{
        const struct run_state *st = t->resume;
        char *done = names_with(st, ST_DONE), *s;
        int row = 2;

        heading(t, y, x, w, -1, st->rolling_back ? _("A rollback did not finish")
                                                 : _("An upgrade did not finish"));
        /* TRANSLATORS: when it started, when it stopped */
        s = xasprintf(_("Started %s; last recorded %s."), st->first_time ? st->first_time : "?",
                      st->last_time ? st->last_time : "?");
        row += para(t, y + row, x, w, 2, s, 0);
        free(s);
        s = xasprintf(_("Done: %s."), done);
        row += 1 + para(t, y + row + 1, x, w, 3, s, TA_DONE);
        free(s);
        free(done);
        for (int i = 0; i < STEP_COUNT; i++) {
                if (st->status[i] != ST_RUNNING && st->status[i] != ST_FAILED)
                        continue;
                if (st->status[i] == ST_RUNNING)
                        /* TRANSLATORS: a step that was running when the process stopped */
                        s = xasprintf(_("In progress: %s (interrupted; checked before it goes on)"),
                                      step_key((enum step_id)i));
                else
                        s = xasprintf(_("In progress: %s, failed: %s"), step_key((enum step_id)i),
                                      st->error[i] ? st->error[i] : "?");
                row += para(t, y + row, x, w, 4, s, TA_WARN);
                free(s);
        }
        if (kvlist_get(&st->facts, "backup.path")) {
                s = xasprintf(_("Backup: %s"), kvlist_get(&st->facts, "backup.path"));
                row += para(t, y + row, x, w, 2, s, 0);
                free(s);
        }
        tui_menu(t, y + h - 5, x, w, resume_items(t), t->menu);
}

static void
draw_end(struct tui *t, int y, int x, int h, int w)
{
        const struct run_report *r = &t->report;
        const char *items[] = { _("Leave"), NULL };
        int row = 2;
        char *s, size[32], d[32];

        if (t->code == 0 && r->version_after) {
                /* TRANSLATORS: plan title, version before, version after */
                s = xasprintf(_("%s upgraded: %s %s %s"), t->title,
                              r->version_before ? r->version_before : "?",
                              t->g.arrow, r->version_after);
                tui_attr_on(t, TA_DONE);
                mvaddstr(y, x, t->g.done);
                tui_attr_off(t, TA_DONE);
                heading(t, y, x + 2, w - 2, -1, s);
                free(s);
        } else if (t->code == 0) {
                heading(t, y, x, w, -1, r->message ? r->message : _("Nothing left to do"));
        } else if (t->code == EXIT_ROLLEDBACK) {
                heading(t, y, x, w, -1, _("Rolled back"));
                row += para(t, y + row, x, w, 3, r->message, TA_WARN);
        } else {
                tui_attr_on(t, TA_FAIL);
                mvaddstr(y, x, t->g.fail);
                tui_attr_off(t, TA_FAIL);
                heading(t, y, x + 2, w - 2, -1, _("Stopped"));
                row += para(t, y + row, x, w, 4, r->message, TA_FAIL);
        }
        if (r->backup_path != NULL) {
                bytes_format(size, sizeof size, r->backup_size);
                s = xasprintf(_("Backup: %s (%s, SHA-256 %s)"), r->backup_path, size,
                              r->backup_sha256 ? r->backup_sha256 : "?");
                /* Six rows: at 80 columns a long path and the whole SHA-256. */
                row += 1 + para(t, y + row + 1, x, w, 6, s, 0);
                free(s);
        }
        if (t->code == 0 && r->downtime_ms >= 0) {
                duration_format(d, sizeof d, r->downtime_ms);
                s = xasprintf(_("Downtime: %s (from the stop until it was ready)"), d);
                row += para(t, y + row, x, w, 2, s, 0);
                free(s);
        }
        if (r->hops > 1) {
                /* TRANSLATORS: the number of hops of an upgrade path */
                s = xasprintf(_("Path of %lld hops: the times of swap, migrate and verify are their sums."),
                              (long long)r->hops);
                row += para(t, y + row, x, w, 2, s, 0);
                free(s);
        }
        if (r->log_path != NULL) {
                s = xasprintf(_("Log: %s"), r->log_path);
                row += para(t, y + row, x, w, 3, s, 0);
                free(s);
        }
        if (r->resume_hint != NULL && t->code != 0 && t->code != EXIT_ROLLEDBACK) {
                s = xasprintf(r->declined
                              ? _("What was done is kept; when you are ready, resume with: %s")
                              : _("What was done is kept; fix the cause, then resume with: %s"),
                              r->resume_hint);
                row += 1 + para(t, y + row + 1, x, w, 4, s, 0);
                free(s);
        } else if (t->code == 0 && r->version_after && t->o.rollback_cmd) {
                s = xasprintf(_("To roll back: %s (data from the backup, old files back)"),
                              t->o.rollback_cmd);
                row += 1 + para(t, y + row + 1, x, w, 4, s, 0);
                free(s);
        }
        tui_menu(t, y + h - 2, x, w, items, 0);
}

/* Another wizard is attached: take over, or leave it. */
static void
draw_busy(struct tui *t, int y, int x, int h, int w)
{
        const char *items[] = {
                _("Take over: that wizard is detached, this one controls the upgrade"),
                _("Leave it: quit this wizard, nothing changes"),
                NULL,
        };
        char *s;
        int row = 2;

        heading(t, y, x, w, -1, _("This upgrade is attached to another wizard"));
        /* TRANSLATORS: who: "root on /dev/pts/1, pid 123, since ..." */
        s = xasprintf(_("Attached: %s."), t->text ? t->text : "?");
        row += para(t, y + row, x, w, 3, s, TA_WARN);
        free(s);
        row += 1 + para(t, y + row + 1, x, w, 4, _("One wizard controls an upgrade at a time. Taking over changes nothing in the upgrade: it goes on where it stands, and the other wizard says it was detached."), 0);
        tui_menu(t, y + row + 1 < y + h - 3 ? y + row + 1 : y + h - 3, x, w, items, t->menu);
}

/* Another wizard took over. */
static void
draw_detached(struct tui *t, int y, int x, int h, int w)
{
        const char *items[] = { _("Leave"), NULL };
        char *s;
        int row = 2;

        heading(t, y, x, w, -1, _("Detached"));
        s = xasprintf(_("%s took over this upgrade. It goes on there; this wizard no longer controls it."),
                      t->text ? t->text : "?");
        row += para(t, y + row, x, w, 4, s, TA_WARN);
        free(s);
        para(t, y + row + 1, x, w, 3, _("Nothing was stopped or changed by the takeover."), 0);
        tui_menu(t, y + h - 2, x, w, items, 0);
}

void
tui_draw_screen(struct tui *t, int y, int x, int h, int w)
{
        switch (t->scr) {
        case SCR_FORM:
                tui_form_draw(t, y, x, h, w);
                break;
        case SCR_REVIEW:
                draw_review(t, y, x, h, w);
                break;
        case SCR_CONFIRM:
                draw_confirm(t, y, x, h, w);
                break;
        case SCR_FAILURE:
                draw_failure(t, y, x, h, w);
                break;
        case SCR_RESUME:
                draw_resume(t, y, x, h, w);
                break;
        case SCR_END:
                draw_end(t, y, x, h, w);
                break;
        case SCR_BUSY:
                draw_busy(t, y, x, h, w);
                break;
        case SCR_DETACHED:
                draw_detached(t, y, x, h, w);
                break;
        default:
                draw_run(t, y, x, h, w);
                break;
        }
}

/* Up/Down/Tab/Shift-Tab over n items. */
static bool
menu_key(struct tui *t, int n, int key, wint_t wc, bool is_key)
{
        if ((is_key && (key == KEY_DOWN || key == KEY_RIGHT)) || (!is_key && wc == '\t')) {
                t->menu = (t->menu + 1) % n;
                return true;
        }
        if (is_key && (key == KEY_UP || key == KEY_LEFT || key == KEY_BTAB)) {
                t->menu = (t->menu + n - 1) % n;
                return true;
        }
        return false;
}

static bool
enter(wint_t wc, bool is_key, int key)
{
        return (!is_key && (wc == '\r' || wc == '\n')) || (is_key && key == KEY_ENTER);
}

static bool
review_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        static const char *const results[] = { "ok", "back", "abort" };
        int page = t->rows - 12;

        if (is_key && (key == KEY_DOWN || key == KEY_UP || key == KEY_NPAGE || key == KEY_PPAGE ||
                       key == KEY_HOME)) {
                int d = key == KEY_DOWN ? 1 : key == KEY_UP ? -1 : key == KEY_NPAGE ? page
                        : key == KEY_PPAGE ? -page : -100000;

                t->review_top = t->review_top + d < 0 ? 0 : t->review_top + d;
                return true;
        }
        if ((is_key && (key == KEY_LEFT || key == KEY_RIGHT || key == KEY_BTAB)) ||
            (!is_key && wc == '\t')) {
                t->menu = (t->menu + (is_key && key != KEY_RIGHT ? 2 : 1)) % 3;
                return true;
        }
        if (!is_key && wc == 27) {
                tui_reply(t, "back", NULL);
                return true;
        }
        if (enter(wc, is_key, key)) {
                tui_reply(t, results[t->menu], NULL);
                return true;
        }
        return false;
}

static void
failure_choice(struct tui *t)
{
        static const char *const choices[] = { "retry", "rollback", NULL, "quit" };
        struct proto_msg extra = {0};

        if (t->menu == 2) {
                tui_open_shell(t);
                return;
        }
        proto_set(&extra, "choice", choices[t->menu]);
        tui_reply(t, "ok", &extra);
        kvlist_release(&extra.kv);
}

bool
tui_screen_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        int n;

        switch (t->scr) {
        case SCR_REVIEW:
                return review_key(t, key, wc, is_key);
        case SCR_CONFIRM:
                if (menu_key(t, 2, key, wc, is_key))
                        return true;
                if (enter(wc, is_key, key)) {
                        tui_reply(t, t->menu == 1 ? "ok" : "abort", NULL);
                        return true;
                }
                return false;
        case SCR_FAILURE:
                if (menu_key(t, 4, key, wc, is_key))
                        return true;
                if (enter(wc, is_key, key)) {
                        failure_choice(t);
                        return true;
                }
                return false;
        case SCR_RESUME:
                n = t->resume->rolling_back ? 3 : 4;
                if (menu_key(t, n, key, wc, is_key))
                        return true;
                if (enter(wc, is_key, key)) {
                        int c = t->resume->rolling_back && t->menu > 0 ? t->menu + 1 : t->menu;

                        if (c == 2) {
                                tui_log_load_file(&t->log, t->log_path);
                                return true;
                        }
                        t->resume_choice = c == 0 ? (t->resume->rolling_back ? TUI_ROLLBACK
                                                                              : TUI_RESUME)
                                         : c == 1 ? TUI_ROLLBACK : TUI_QUIT;
                        tui_leave(t);
                        return true;
                }
                return false;
        case SCR_END:
        case SCR_DETACHED:
                if (enter(wc, is_key, key)) {
                        tui_leave(t);
                        return true;
                }
                return false;
        case SCR_BUSY:
                if (menu_key(t, 2, key, wc, is_key))
                        return true;
                if (enter(wc, is_key, key)) {
                        struct proto_msg m;

                        if (t->menu == 0) {
                                proto_init(&m, "takeover");
                                tui_send(t, &m);
                                proto_release(&m);
                                tui_set(&t->status, _("taking over..."));
                                t->scr = SCR_START;
                        } else {
                                free(t->farewell);
                                t->farewell = xasprintf(_("the upgrade stays with %s"), t->text);
                                t->code = EXIT_LOCKED;
                                tui_leave(t);
                        }
                        return true;
                }
                return false;
        default:
                return false;
        }
}

/* The operator's $SHELL with the run's variables in its environment; the
 * wizard comes back when it exits. The engine waits at the failure. */
void
tui_open_shell(struct tui *t)
{
        const char *sh = getenv("SHELL");
        struct sigaction ign, old_int, old_quit;
        pid_t pid;

        if (sh == NULL || *sh == '\0')
                sh = "/bin/sh";
        def_prog_mode();
        endwin();
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        pid = fork();
        if (pid == 0) {
                signal(SIGINT, SIG_DFL);
                signal(SIGQUIT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                signal(SIGCHLD, SIG_DFL);
                signal(SIGWINCH, SIG_DFL);
                signal(SIGPIPE, SIG_DFL);
                for (size_t i = 0; i < t->env.n; i++)
                        putenv(t->env.v[i]);
                if (t->fail_log)
                        setenv("UPSHIFT_LOG", t->fail_log, 1);
                printf("\n%s\n", _("upshift: a shell with the plan's variables in its environment "
                                   "(env shows them); the wizard comes back when it exits."));
                if (t->fail_log)
                        printf(_("upshift: the log of the run is %s\n"), t->fail_log);
                fflush(stdout);
                execl(sh, sh, (char *)NULL);
                _exit(127);
        }
        if (pid > 0) {
                int status;

                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        }
        {
                struct sigaction ttou, old_ttou;

                memset(&ttou, 0, sizeof ttou);
                ttou.sa_handler = SIG_IGN;
                sigaction(SIGTTOU, &ttou, &old_ttou);
                tcsetpgrp(STDIN_FILENO, getpgrp());
                sigaction(SIGTTOU, &old_ttou, NULL);
        }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        reset_prog_mode();
        clearok(curscr, TRUE);
        tui_dirty(t);
}
