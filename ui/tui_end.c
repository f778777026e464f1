/* tui_end.c: the screens beside a run: the resume screen of a run that
 * did not finish, the end, and another wizard attached (busy) or taking
 * over (detached); their keys. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "ui/proto_msg.h"
#include "ui/tui_int.h"

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

static const struct tui_item resume_menu[] = {
        { N_("Resume the upgrade"), ACT_RESUME },
        { N_("Roll back"), ACT_ROLLBACK },
        { N_("Show the log"), ACT_SHOW_LOG },
        { N_("Quit"), ACT_QUIT },
};

static const struct tui_item rollback_resume_menu[] = {
        { N_("Finish the rollback"), ACT_ROLLBACK },
        { N_("Show the log"), ACT_SHOW_LOG },
        { N_("Quit"), ACT_QUIT },
};

/* The resume screen's menu: a rollback that did not finish is finished. */
static const struct tui_item *
resume_items(const struct tui *t, size_t *ret_n)
{
        if (t->view.resume->rolling_back) {
                *ret_n = ARRAY_SIZE(rollback_resume_menu);
                return rollback_resume_menu;
        }
        *ret_n = ARRAY_SIZE(resume_menu);
        return resume_menu;
}

void
tui_draw_resume(struct tui *t, int y, int x, int h, int w)
{
        const struct run_state *st = t->view.resume;
        char *done = names_with(st, ST_DONE), *s;
        const struct tui_item *items;
        int row = 2;
        size_t n;

        tui_heading(t, y, x, w, -1, st->rolling_back ? _("A rollback did not finish")
                                                 : _("An upgrade did not finish"));
        /* TRANSLATORS: when it started, when it stopped */
        s = xasprintf(_("Started %s; last recorded %s."), st->first_time ? st->first_time : "?",
                      st->last_time ? st->last_time : "?");
        row += tui_para(t, y + row, x, w, 2, s, 0);
        free(s);
        s = xasprintf(_("Done: %s."), done);
        row += 1 + tui_para(t, y + row + 1, x, w, 3, s, TA_DONE);
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
                row += tui_para(t, y + row, x, w, 4, s, TA_WARN);
                free(s);
        }
        if (kvlist_get(&st->facts, "backup.path")) {
                s = xasprintf(_("Backup: %s"), kvlist_get(&st->facts, "backup.path"));
                row += tui_para(t, y + row, x, w, 2, s, 0);
                free(s);
        }
        items = resume_items(t, &n);
        tui_menu_items(t, y + h - 5, x, w, items, n, t->view.menu);
}

bool
tui_resume_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        size_t n;
        const struct tui_item *items = resume_items(t, &n);

        if (tui_menu_key(t, (int)n, key, wc, is_key))
                return true;
        if (!tui_enter(wc, is_key, key))
                return false;
        switch (items[t->view.menu].act) {
        case ACT_SHOW_LOG:
                tui_log_load_file(&t->log, t->run.log_path);
                return true;
        case ACT_RESUME:
                t->view.resume_choice = TUI_RESUME;
                break;
        case ACT_ROLLBACK:
                t->view.resume_choice = TUI_ROLLBACK;
                break;
        default:
                t->view.resume_choice = TUI_QUIT;
                break;
        }
        tui_leave(t);
        return true;
}

/* The heading of an upgrade that finished, and under it what the plain
 * report says beside it: the versions when they do not fit the heading,
 * and the revision when only it changed. Returns the rows used below the
 * heading's blank row. */
static int
draw_end_upgraded(struct tui *t, int y, int x, int w)
{
        const struct run_report *r = &t->run.report;
        const char *before = r->version_before ? r->version_before : "?";
        char *s, *v = NULL;
        int row = 0;

        /* TRANSLATORS: plan title, version before, version after */
        s = xasprintf(_("%s upgraded: %s %s %s"), t->run.title, before, t->g.arrow,
                      r->version_after);
        if (tui_text_width(s) > w - 2) {
                free(s);
                /* TRANSLATORS: the end screen's heading when the versions
                 * do not fit in it: they follow on a line of their own */
                s = xasprintf(_("%s upgraded"), t->run.title);
                /* TRANSLATORS: version before, an arrow, version after */
                v = xasprintf(_("Version: %s %s %s"), before, t->g.arrow, r->version_after);
        }
        tui_attr_on(t, TA_DONE);
        mvaddstr(y, x, t->g.done);
        tui_attr_off(t, TA_DONE);
        tui_heading(t, y, x + 2, w - 2, -1, s);
        free(s);
        if (v)
                row += tui_para(t, y + 2 + row, x, w, 2, v, 0);
        free(v);
        if (r->version_change) {
                /* TRANSLATORS: the revisions before and after ("deb12u3 ->
                 * deb12u4"): only the package's revision changed */
                s = xasprintf(_("Revision: %s"), r->version_change);
                row += tui_para(t, y + 2 + row, x, w, 1, s, 0);
                free(s);
        }
        return row;
}

/* What the downtime was, as the plain report says it (new string). */
static char *
downtime_text(const struct run_report *r)
{
        char d[32], b[32];

        duration_format(d, sizeof d, r->downtime_ms);
        if (r->status[STEP_STOP] == ST_SKIPPED && r->downtime_ms == 0)
                return xstrdup(_("No downtime: a hot swap, and the readiness check "
                                 "answered throughout the reload."));
        if (r->status[STEP_STOP] == ST_SKIPPED)
                /* TRANSLATORS: a duration */
                return xasprintf(_("Downtime: %s (a hot swap: the readiness check failed "
                                   "during the reload)"), d);
        if (r->backup_delta_ms <= 0)
                return xasprintf(_("Downtime: %s (from the stop until it was ready)"), d);
        duration_format(b, sizeof b, r->backup_delta_ms);
        /* TRANSLATORS: the downtime, then the part of it the backup took */
        return xasprintf(_("Downtime: %s (from the stop until it was ready; %s of it the "
                           "cold backup's second part)"), d, b);
}

/* Rows for a paragraph of at most want rows from row: it stops above the
 * menu (at h - 2). */
static int
end_rows(int want, int row, int h)
{
        int room = h - 2 - row;

        return room < want ? (room > 0 ? room : 0) : want;
}

void
tui_draw_end(struct tui *t, int y, int x, int h, int w)
{
        const struct run_report *r = &t->run.report;
        const char *items[] = { _("Leave"), NULL };
        int row = 2;
        char *s, size[32];

        if (t->run.code == 0 && r->version_after) {
                row += draw_end_upgraded(t, y, x, w);
        } else if (t->run.code == 0) {
                tui_heading(t, y, x, w, -1, r->message ? r->message : _("Nothing left to do"));
        } else if (t->run.code == EXIT_ROLLEDBACK) {
                tui_heading(t, y, x, w, -1, _("Rolled back"));
                /* Six rows: where the replaced data is kept, a long path. */
                row += tui_para(t, y + row, x, w, 6, r->message, TA_WARN);
        } else {
                tui_attr_on(t, TA_FAIL);
                mvaddstr(y, x, t->g.fail);
                tui_attr_off(t, TA_FAIL);
                tui_heading(t, y, x + 2, w - 2, -1, _("Stopped"));
                row += tui_para(t, y + row, x, w, 4, r->message, TA_FAIL);
        }
        if (r->backup_path != NULL) {
                bytes_format(size, sizeof size, r->backup_size);
                s = xasprintf(_("Backup: %s (%s, SHA-256 %s)"), r->backup_path, size,
                              r->backup_sha256 ? r->backup_sha256 : "?");
                /* Six rows: at 80 columns a long path and the whole SHA-256. */
                row += 1 + tui_para(t, y + row + 1, x, w, 6, s, 0);
                free(s);
        }
        if (t->run.code == 0 && r->downtime_ms >= 0) {
                s = downtime_text(r);
                row += tui_para(t, y + row, x, w, end_rows(3, row, h), s, 0);
                free(s);
        }
        if (r->hops > 1) {
                /* TRANSLATORS: the number of hops of an upgrade path */
                s = xasprintf(_("Path of %lld hops: the times of swap, migrate and verify are their sums."),
                              (long long)r->hops);
                row += tui_para(t, y + row, x, w, end_rows(2, row, h), s, 0);
                free(s);
        }
        if (r->log_path != NULL) {
                s = xasprintf(_("Log: %s"), r->log_path);
                row += tui_para(t, y + row, x, w, end_rows(3, row, h), s, 0);
                free(s);
        }
        if (r->resume_hint != NULL && t->run.code != 0 && t->run.code != EXIT_ROLLEDBACK) {
                s = xasprintf(r->declined
                              ? _("What was done is kept; when you are ready, resume with:\n  %s")
                              : _("What was done is kept; fix the cause, then resume with:\n  %s"),
                              r->resume_hint);
                row += 1 + tui_para(t, y + row + 1, x, w, end_rows(4, row + 1, h), s, 0);
                free(s);
        } else if (t->run.code == 0 && r->version_after && t->o.rollback_cmd) {
                s = xasprintf(_("To roll back: %s (data from the backup, old files back)"),
                              t->o.rollback_cmd);
                row += 1 + tui_para(t, y + row + 1, x, w, end_rows(4, row + 1, h), s, 0);
                free(s);
        }
        tui_menu(t, y + h - 2, x, w, items, 0);
}

/* Another wizard is attached: take over, or leave it. */
static const struct tui_item busy_menu[] = {
        { N_("Take over: that wizard is detached, this one controls the upgrade"), ACT_TAKEOVER },
        { N_("Leave it: quit this wizard, nothing changes"), ACT_LEAVE },
};

void
tui_draw_busy(struct tui *t, int y, int x, int h, int w)
{
        char *s;
        int row = 2;

        tui_heading(t, y, x, w, -1, _("This upgrade is attached to another wizard"));
        /* TRANSLATORS: who: "root on /dev/pts/1, pid 123, since ..." */
        s = xasprintf(_("Attached: %s."), t->view.text ? t->view.text : "?");
        row += tui_para(t, y + row, x, w, 3, s, TA_WARN);
        free(s);
        row += 1 + tui_para(t, y + row + 1, x, w, 4, _("One wizard controls an upgrade at a time. Taking over changes nothing in the upgrade: it goes on where it stands, and the other wizard says it was detached."), 0);
        tui_menu_items(t, y + row + 1 < y + h - 3 ? y + row + 1 : y + h - 3, x, w, busy_menu,
                       ARRAY_SIZE(busy_menu), t->view.menu);
}

bool
tui_busy_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        struct proto_msg m;

        if (tui_menu_key(t, (int)ARRAY_SIZE(busy_menu), key, wc, is_key))
                return true;
        if (!tui_enter(wc, is_key, key))
                return false;
        if (busy_menu[t->view.menu].act == ACT_TAKEOVER) {
                proto_init(&m, pmsg_name(PMSG_TAKEOVER));
                tui_send(t, &m);
                proto_release(&m);
                tui_set(&t->view.status, _("taking over..."));
                t->view.scr = SCR_START;
        } else {
                tui_busy_leave(t);
        }
        return true;
}

void
tui_busy_leave(struct tui *t)
{
        free(t->farewell);
        t->farewell = xasprintf(_("the upgrade stays with %s"), t->view.text);
        t->run.code = EXIT_LOCKED;
        tui_leave(t);
}

/* The end and detached screens: Enter leaves. */
bool
tui_leave_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        if (!tui_enter(wc, is_key, key))
                return false;
        tui_leave(t);
        return true;
}

/* Another wizard took over. */
void
tui_draw_detached(struct tui *t, int y, int x, int h, int w)
{
        const char *items[] = { _("Leave"), NULL };
        char *s;
        int row = 2;

        tui_heading(t, y, x, w, -1, _("Detached"));
        s = xasprintf(_("%s took over this upgrade. It goes on there; this wizard no longer controls it."),
                      t->view.text ? t->view.text : "?");
        row += tui_para(t, y + row, x, w, 4, s, TA_WARN);
        free(s);
        tui_para(t, y + row + 1, x, w, 3, _("Nothing was stopped or changed by the takeover."), 0);
        tui_menu(t, y + h - 2, x, w, items, 0);
}

