/* tui_draw.c: the frame (title line, step list, key bar), text helpers,
 * colours and glyphs, the help and quit boxes, and the too-small notice. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "ui/tui_int.h"

static const struct tui_glyphs glyphs_utf8 = {
        .vline = "\u2502", .hline = "\u2500", .tl = "\u250c", .tr = "\u2510",
        .bl = "\u2514", .br = "\u2518", .arrow = "\u2192", .done = "\u2713",
        .fail = "\u2717", .run = "\u25b6", .skip = "\u2013", .undone = "\u21ba",
        .pend = "\u00b7", .bar_full = "\u2588", .bar_empty = "\u2591", .ell = "\u2026",
        .pointer = "\u25b8",
};

static const struct tui_glyphs glyphs_ascii = {
        .vline = "|", .hline = "-", .tl = "+", .tr = "+", .bl = "+", .br = "+",
        .arrow = "->", .done = "+", .fail = "x", .run = ">", .skip = "-", .undone = "<",
        .pend = ".", .bar_full = "#", .bar_empty = ".", .ell = "~", .pointer = ">",
};

void
tui_init_look(struct tui *t)
{
        t->g = t->utf8 ? glyphs_utf8 : glyphs_ascii;
        t->color = !t->o.no_color && has_colors();
        if (!t->color)
                return;
        start_color();
        use_default_colors();
        init_pair(TA_TITLE, COLOR_WHITE, COLOR_BLUE);
        init_pair(TA_DONE, COLOR_GREEN, -1);
        init_pair(TA_FAIL, COLOR_RED, -1);
        init_pair(TA_RUN, COLOR_CYAN, -1);
        init_pair(TA_WARN, COLOR_YELLOW, -1);
        init_pair(TA_DIM, -1, -1);
        init_pair(TA_SEL, COLOR_BLACK, COLOR_CYAN);
        init_pair(TA_FIELD, -1, -1);
        init_pair(TA_MATCH, COLOR_BLACK, COLOR_YELLOW);
        init_pair(TA_HEAD, -1, -1);
}

static attr_t
attr_of(const struct tui *t, enum tui_attr a)
{
        static const attr_t mono[] = {
                [TA_TITLE] = A_REVERSE, [TA_DONE] = A_NORMAL, [TA_FAIL] = A_BOLD,
                [TA_RUN] = A_BOLD, [TA_WARN] = A_BOLD, [TA_DIM] = A_DIM,
                [TA_SEL] = A_REVERSE, [TA_FIELD] = A_UNDERLINE,
                [TA_MATCH] = A_REVERSE | A_BOLD, [TA_HEAD] = A_BOLD,
        };
        static const attr_t extra[] = {
                [TA_TITLE] = A_BOLD, [TA_FAIL] = A_BOLD, [TA_RUN] = A_BOLD,
                [TA_DIM] = A_DIM, [TA_FIELD] = A_UNDERLINE, [TA_HEAD] = A_BOLD,
        };

        if (!t->color)
                return mono[a];
        return COLOR_PAIR(a) | ((size_t)a < ARRAY_SIZE(extra) ? extra[a] : 0);
}

void
tui_attr_on(struct tui *t, enum tui_attr a)
{
        attron(attr_of(t, a));
}

void
tui_attr_off(struct tui *t, enum tui_attr a)
{
        attroff(attr_of(t, a));
}

/* Next character of s: its length in bytes and its width in columns; a
 * byte that is not printable (or not valid here) is shown as '?'. */
static size_t
next_char(const char *s, int *ret_w, bool *ret_bad)
{
        mbstate_t st;
        wchar_t wc;
        size_t n;
        int w;

        memset(&st, 0, sizeof st);
        n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
        if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
                *ret_w = 1;
                *ret_bad = true;
                return 1;
        }
        w = wcwidth(wc);
        *ret_bad = w < 0 || (wc < 0x20) || wc == 0x7f;
        *ret_w = *ret_bad ? 1 : w;
        return n;
}

int
tui_text_width(const char *s)
{
        int total = 0;

        while (*s) {
                int w;
                bool bad;

                s += next_char(s, &w, &bad);
                total += w;
        }
        return total;
}

int
tui_put(struct tui *t, int y, int x, int w, const char *s)
{
        int used = 0;

        if (s == NULL || w <= 0)
                return 0;
        move(y, x);
        while (*s) {
                int cw;
                bool bad;
                size_t n = next_char(s, &cw, &bad);

                if (used + cw > w)
                        break;
                if (bad)
                        addch(*s == '\t' ? ' ' : '?');
                else
                        addnstr(s, (int)n);
                used += cw;
                s += n;
        }
        return used;
}

size_t
tui_wrap(const char *s, int w, struct strv *ret)
{
        size_t before = ret->n;

        if (w < 1)
                w = 1;
        while (s && *s) {
                const char *line_end = strchr(s, '\n');
                int indent = (int)strspn(s, " ");
                bool first = true;

                if (line_end == NULL)
                        line_end = s + strlen(s);
                /* Continuation lines of an indented line are indented a bit more. */
                indent = indent + 2 < w / 2 ? indent + 2 : 0;
                do {
                        const char *p = s, *brk = NULL;
                        int room = first ? w : w - indent, used = 0;

                        while (p < line_end) {
                                int cw;
                                bool bad;
                                size_t n = next_char(p, &cw, &bad);

                                if (used + cw > room)
                                        break;
                                if (*p == ' ' && p > s)
                                        brk = p;
                                used += cw;
                                p += n;
                        }
                        if (p < line_end && brk)
                                p = brk;
                        if (p == s && p < line_end) {
                                int cw;
                                bool bad;

                                p += next_char(p, &cw, &bad);   /* wider than the room */
                        }
                        strv_push_take(ret, first ? xstrndup(s, (size_t)(p - s))
                                                  : xasprintf("%*s%.*s", indent, "",
                                                              (int)(p - s), s));
                        s = p;
                        if (s < line_end)
                                while (*s == ' ')
                                        s++;
                        first = false;
                } while (s < line_end);
                if (*s == '\n')
                        s++;
        }
        return ret->n - before;
}

static void
hline_at(struct tui *t, int y, int x, int w)
{
        for (int i = 0; i < w; i++)
                mvaddstr(y, x + i, t->g.hline);
}

void
tui_box(struct tui *t, int y, int x, int h, int w, const char *title)
{
        for (int r = y; r < y + h; r++) {
                move(r, x);
                for (int c = 0; c < w; c++)
                        addch(' ');
        }
        mvaddstr(y, x, t->g.tl);
        hline_at(t, y, x + 1, w - 2);
        mvaddstr(y, x + w - 1, t->g.tr);
        for (int r = y + 1; r < y + h - 1; r++) {
                mvaddstr(r, x, t->g.vline);
                mvaddstr(r, x + w - 1, t->g.vline);
        }
        mvaddstr(y + h - 1, x, t->g.bl);
        hline_at(t, y + h - 1, x + 1, w - 2);
        mvaddstr(y + h - 1, x + w - 1, t->g.br);
        if (title) {
                tui_attr_on(t, TA_HEAD);
                mvaddstr(y, x + 2, " ");
                tui_put(t, y, x + 3, w - 6, title);
                addstr(" ");
                tui_attr_off(t, TA_HEAD);
        }
}

int
tui_menu(struct tui *t, int y, int x, int w, const char *const *items, int focus)
{
        int i;

        for (i = 0; items[i]; i++) {
                bool f = i == focus;

                if (f)
                        tui_attr_on(t, TA_SEL);
                move(y + i, x);
                for (int c = 0; c < w; c++)
                        addch(' ');
                mvaddstr(y + i, x, f ? t->g.pointer : " ");
                tui_put(t, y + i, x + 2, w - 3, items[i]);
                if (f)
                        tui_attr_off(t, TA_SEL);
        }
        return i;
}

void
tui_body(struct tui *t, int *y, int *x, int *h, int *w)
{
        bool pane = t->log.pane && (t->view.scr == SCR_RUN || t->view.scr == SCR_START ||
                                    t->view.scr == SCR_CONFIRM || t->view.scr == SCR_FAILURE);

        *y = 1;
        *x = TUI_SIDEBAR + 1;
        *h = t->rows - 2 - (pane ? TUI_PANE_ROWS + 1 : 0);
        *w = t->cols - *x - 1;
}

static void
draw_title(struct tui *t)
{
        char *s;
        const char *v = t->run.version ? t->run.version : "?";
        const char *to = t->run.target ? t->run.target : "?";

        tui_attr_on(t, TA_TITLE);
        move(0, 0);
        for (int c = 0; c < t->cols; c++)
                addch(' ');
        /* TRANSLATORS: the title line: plan title, host, version now, arrow,
         * target version: "upshift: Redis on db1, 7.0.15 -> 7.2.4" */
        s = xasprintf(_(" upshift%s: %s on %s, %s %s %s"), t->o.rollback ? _(" rollback") : "",
                      t->run.title ? t->run.title : "", t->run.host ? t->run.host : "", v,
                      t->g.arrow, to);
        tui_put(t, 0, 0, t->cols, s);
        free(s);
        tui_attr_off(t, TA_TITLE);
}

static void
step_glyph(struct tui *t, enum step_status st, const char **g, enum tui_attr *a)
{
        switch (st) {
        case ST_RUNNING: *g = t->g.run; *a = TA_RUN; break;
        case ST_DONE:    *g = t->g.done; *a = TA_DONE; break;
        case ST_FAILED:  *g = t->g.fail; *a = TA_FAIL; break;
        case ST_SKIPPED: *g = t->g.skip; *a = TA_DIM; break;
        case ST_UNDONE:  *g = t->g.undone; *a = TA_WARN; break;
        default:         *g = t->g.pend; *a = TA_DIM; break;
        }
}

static void
draw_sidebar(struct tui *t, int h)
{
        for (int r = 1; r <= h; r++)
                mvaddstr(r, TUI_SIDEBAR - 1, t->g.vline);
        tui_attr_on(t, TA_HEAD);
        tui_put(t, 1, 1, TUI_SIDEBAR - 3, _("Steps"));
        tui_attr_off(t, TA_HEAD);
        for (int i = 0; i < STEP_COUNT && i + 3 <= h; i++) {
                const struct tui_step *s = &t->run.steps[i];
                const char *g;
                enum tui_attr a;
                char d[32] = "", num[8];
                int y = 2 + i, dw;

                step_glyph(t, s->st, &g, &a);
                if (s->st == ST_RUNNING)
                        duration_format(d, sizeof d, now_ms() - s->t0);
                else if (s->ms >= 0 && (s->st == ST_DONE || s->st == ST_FAILED))
                        duration_format(d, sizeof d, s->ms);
                if (i == t->run.current)
                        tui_attr_on(t, TA_HEAD);
                tui_attr_on(t, a);
                mvaddstr(y, 1, g);
                tui_attr_off(t, a);
                snprintf(num, sizeof num, "%d", i + 1);
                mvaddstr(y, 3, num);
                dw = (int)strlen(d);
                tui_put(t, y, 5, TUI_SIDEBAR - 7 - dw - (dw ? 1 : 0), s->title ? s->title : "");
                if (dw)
                        mvaddstr(y, TUI_SIDEBAR - 2 - dw, d);
                if (i == t->run.current)
                        tui_attr_off(t, TA_HEAD);
        }
}

static void
draw_keys(struct tui *t)
{
        const char *keys;
        int y = t->rows - 1, used;

        if (t->log.full)
                keys = _("Up/Down/PgUp/PgDn scroll  / search  n next  End follow  f or Esc close");
        else if (t->view.scr == SCR_FORM && t->view.form.no_back)
                keys = _("Tab/Down next  Up previous  PgDn button  F1 help  F10 quit");
        else if (t->view.scr == SCR_FORM)
                keys = _("Tab/Down next  Up previous  PgDn buttons  Esc back form  F1 help  F10 quit");
        else if (t->view.scr == SCR_RUN || t->view.scr == SCR_START)
                keys = _("l log  f full log  / search  PgUp/PgDn scroll  ? help  q quit");
        else if (t->view.scr == SCR_END || t->view.scr == SCR_DETACHED)
                keys = _("Enter or q leave  f full log  ? help");
        else
                keys = _("Up/Down choose  Enter confirm  l log  f full log  ? help  q quit");
        tui_attr_on(t, TA_TITLE);
        move(y, 0);
        for (int c = 0; c < t->cols; c++)
                addch(' ');
        used = tui_put(t, y, 1, t->cols - 2, keys);
        if (t->view.status) {
                int sw = tui_text_width(t->view.status);
                int x = t->cols - 1 - sw;

                if (x < used + 3)
                        x = used + 3;
                tui_put(t, y, x, t->cols - 1 - x, t->view.status);
        }
        tui_attr_off(t, TA_TITLE);
}

static void
draw_help(struct tui *t)
{
        static const char *const lines[] = {
                N_("Arrows, Tab, Shift-Tab  move between fields and choices"),
                N_("Enter                   next field; choose"),
                N_("Esc                     back to the previous form"),
                N_("PgDn / PgUp in a form   to its Next button / its first field"),
                N_("Tab in a file field     complete the path"),
                N_("Space, Left, Right      change a yes/no or a choice"),
                N_("l                       show or hide the log"),
                N_("f                       the log full screen"),
                N_("/  n  N                 search the log, next, previous"),
                N_("PgUp PgDn Home End      scroll the log"),
                N_("F1 or ?                 this help"),
                N_("q, F10 or Ctrl-C        quit or detach (asks first)"),
                N_("The whole log of the run is in the file the end screen names."),
        };
        int n = (int)ARRAY_SIZE(lines), w = 66, h = n + 4;
        int y = (t->rows - h) / 2, x = (t->cols - w) / 2;

        tui_box(t, y, x, h, w, _("Keys"));
        for (int i = 0; i < n; i++)
                tui_put(t, y + 2 + i, x + 2, w - 4, _(lines[i]));
}

static const struct tui_item quit_menu[] = {
        { N_("Quit"), ACT_QUIT },
        { N_("Detach"), ACT_DETACH },
        { N_("Go on"), ACT_GO_ON },
};

static const struct tui_item quit_menu_no_detach[] = {
        { N_("Quit"), ACT_QUIT },
        { N_("Go on"), ACT_GO_ON },
};

const struct tui_item *
tui_quit_items(const struct tui *t, size_t *ret_n)
{
        if (tui_can_detach(t)) {
                *ret_n = ARRAY_SIZE(quit_menu);
                return quit_menu;
        }
        *ret_n = ARRAY_SIZE(quit_menu_no_detach);
        return quit_menu_no_detach;
}

static void
draw_quit(struct tui *t)
{
        struct strv v = {0};
        const struct tui_item *menu;
        const char *why;
        int w = 64, h, y, x;
        size_t n;
        char *msg;

        if (t->view.scr == SCR_RESUME || t->view.scr == SCR_FORM || t->view.scr == SCR_REVIEW ||
            (t->view.scr == SCR_START && t->run.log_path == NULL))
                why = _("Nothing has been changed by this run.");
        else
                why = _("The run stops at the next safe point (a running migration is let finish) and can be resumed later.");
        msg = tui_resume_cmd(t) ? xasprintf(_("%s Resume with:\n  %s"), why, tui_resume_cmd(t))
                                : xstrdup(why);
        if (tui_can_detach(t)) {
                char *more = xasprintf(_("%s Detach leaves the upgrade running without this wizard: a running step goes on, and the next question waits until you re-attach with the same command."),
                                       msg);

                free(msg);
                msg = more;
        }
        menu = tui_quit_items(t, &n);
        tui_wrap(msg, w - 4, &v);
        h = (int)v.n + 4 + (int)n;
        y = (t->rows - h) / 2;
        x = (t->cols - w) / 2;
        tui_box(t, y, x, h, w, _("Quit?"));
        for (size_t i = 0; i < v.n; i++)
                tui_put(t, y + 2 + (int)i, x + 2, w - 4, v.v[i]);
        tui_menu_items(t, y + 2 + (int)v.n + 1, x + 2, w - 4, menu, n, t->view.quit_menu);
        strv_release(&v);
        free(msg);
}

static void
draw_too_small(struct tui *t)
{
        struct strv v = {0};
        char *msg;

        /* TRANSLATORS: columns x rows of the terminal, then the minimum */
        msg = xasprintf(_("This terminal is %dx%d; upshift needs at least %dx%d. Make it larger (the run goes on meanwhile), or press q to quit."),
                        t->cols, t->rows, TUI_MIN_COLS, TUI_MIN_ROWS);
        tui_wrap(msg, t->cols > 2 ? t->cols - 2 : 1, &v);
        for (size_t i = 0; i < v.n && (int)i < t->rows; i++)
                tui_put(t, (int)i, 1, t->cols - 1, v.v[i]);
        strv_release(&v);
        free(msg);
}

void
tui_draw(struct tui *t)
{
        int y, x, h, w;

        erase();
        t->view.cur_on = false;
        if (t->rows < TUI_MIN_ROWS || t->cols < TUI_MIN_COLS) {
                draw_too_small(t);
                if (t->view.quitting)
                        tui_put(t, t->rows - 1, 0, t->cols, _("Quit? y: yes, Esc: no"));
                curs_set(0);
                refresh();
                return;
        }
        draw_title(t);
        if (t->log.full) {
                tui_log_draw(t, 1, 0, t->rows - 2, t->cols);
        } else {
                tui_body(t, &y, &x, &h, &w);
                draw_sidebar(t, h);
                tui_draw_screen(t, y, x, h, w);
                if (y + h < t->rows - 1) {
                        tui_log_draw(t, y + h, 0, t->rows - 1 - (y + h), t->cols);
                }
        }
        draw_keys(t);
        if (t->view.help)
                draw_help(t);
        if (t->view.quitting)
                draw_quit(t);
        if (t->view.cur_on && !t->view.help && !t->view.quitting && !t->log.full) {
                move(t->view.cur_y, t->view.cur_x);
                curs_set(1);
        } else {
                curs_set(0);
        }
        refresh();
}
