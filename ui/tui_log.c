/* tui_log.c: the wizard's log: a ring of the last TUI_LOG_LINES lines (the
 * whole log is in the run's log file), drawn under the screen or full
 * screen, scrolled, and searched with /. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/i18n.h"
#include "ui/tui_int.h"

static struct tui_logline *
push(struct tui_log *l)
{
        struct tui_logline *x;

        if (l->n < TUI_LOG_LINES) {
                x = &l->line[(l->head + l->n++) % TUI_LOG_LINES];
        } else {
                x = &l->line[l->head];
                l->head = (l->head + 1) % TUI_LOG_LINES;
                free(x->text);
                free(x->label);
                x->text = x->label = NULL;
        }
        /* Keep a scrolled view where it is. */
        if (l->scroll > 0 && l->scroll + 1 < l->n)
                l->scroll++;
        if (l->have_match)
                l->match++;
        return x;
}

const struct tui_logline *
tui_log_at(const struct tui_log *l, size_t up)
{
        if (up >= l->n)
                return NULL;
        return &l->line[(l->head + l->n - 1 - up) % TUI_LOG_LINES];
}

void
tui_log_add(struct tui_log *l, enum out_kind kind, const char *label, const char *text)
{
        struct tui_logline *x = push(l);
        size_t len = strlen(text);

        x->kind = (unsigned char)kind;
        x->skipped = 0;
        x->label = label ? xstrdup(label) : NULL;
        x->text = xstrndup(text, len > TUI_LOG_WIDTH ? TUI_LOG_WIDTH : len);
}

void
tui_log_skip(struct tui_log *l, uint64_t n)
{
        struct tui_logline *x;

        if (n == 0)
                return;
        if (l->n > 0 && (x = (struct tui_logline *)tui_log_at(l, 0))->kind == TUI_SKIP) {
                x->skipped += n;
                return;
        }
        x = push(l);
        x->kind = TUI_SKIP;
        x->skipped = n;
        x->text = x->label = NULL;
}

void
tui_log_release(struct tui_log *l)
{
        for (size_t i = 0; i < TUI_LOG_LINES; i++) {
                free(l->line[i].text);
                free(l->line[i].label);
                l->line[i].text = l->line[i].label = NULL;
        }
        l->n = l->head = l->scroll = 0;
        l->have_match = false;
        free(l->pattern);
        l->pattern = NULL;
        strbuf_release(&l->search.buf);
        l->search.cur = l->search.scroll = 0;
        l->searching = false;
        free(l->file);
        l->file = NULL;
}

/* Show a log file (the last TUI_LOG_LINES lines of it) full screen. */
void
tui_log_load_file(struct tui_log *l, const char *path)
{
        FILE *f = path ? fopen(path, "re") : NULL;
        char *line = NULL;
        size_t cap = 0;

        tui_log_release(l);
        l->file = xstrdup(path);
        l->full = true;
        if (f == NULL) {
                /* TRANSLATORS: a log file's path */
                char *msg = xasprintf(_("cannot open the log %s"), path ? path : "");

                tui_log_add(l, OUT_WARN, NULL, msg);
                free(msg);
                return;
        }
        while (getline(&line, &cap, f) >= 0)
                tui_log_add(l, OUT_STDOUT, NULL, str_rtrim(line));
        free(line);
        fclose(f);
}

static bool
line_matches(const struct tui_logline *x, const char *pat)
{
        return x && x->text && pat && *pat && strcasestr(x->text, pat) != NULL;
}

/* Search older lines (dir 1) or newer ones (dir -1) from the current match,
 * or from the bottom of the view; scroll to it. */
static void
search(struct tui *t, int dir, bool from_view)
{
        struct tui_log *l = &t->log;
        size_t start = from_view || !l->have_match ? l->scroll : l->match + (size_t)dir;

        if (l->pattern == NULL || *l->pattern == '\0')
                return;
        if (!from_view && l->have_match && dir < 0 && l->match == 0)
                goto none;
        for (size_t up = start; up < l->n; up += (size_t)dir) {
                if (line_matches(tui_log_at(l, up), l->pattern)) {
                        l->match = up;
                        l->have_match = true;
                        if (up < l->scroll || up >= l->scroll + 5)
                                l->scroll = up > 2 ? up - 2 : 0;
                        free(t->view.status);
                        t->view.status = NULL;
                        return;
                }
                if (dir < 0 && up == 0)
                        break;
        }
none:
        /* TRANSLATORS: %s is what was searched for */
        free(t->view.status);
        t->view.status = xasprintf(_("not found: %s"), l->pattern);
}

static const char *
prefix_of(const struct tui_logline *x)
{
        switch (x->kind) {
        case OUT_CMD: return "$ ";
        case OUT_STDOUT: case OUT_STDERR: return "  | ";
        case OUT_WARN: return "! ";
        default: return "";
        }
}

void
tui_log_draw(struct tui *t, int y, int x, int h, int w)
{
        struct tui_log *l = &t->log;
        int rows = h - 1;
        char *head;

        /* The header: a line with what it is and where the whole log is. */
        for (int c = 0; c < w; c++)
                mvaddstr(y, x + c, t->g.hline);
        if (l->searching) {
                tui_attr_on(t, TA_HEAD);
                mvaddstr(y, x + 1, " / ");
                tui_attr_off(t, TA_HEAD);
                tui_edit_draw(t, &l->search, y, x + 4, w - 6 > 40 ? 40 : w - 6, false, true);
        } else {
                if (l->file)
                        head = xasprintf(_(" Log %s "), l->file);
                else if (l->scroll)
                        /* TRANSLATORS: the log pane's title when scrolled up N lines */
                        head = xasprintf(_(" Log (%zu lines up; End follows) "), l->scroll);
                else if (t->run.log_path)
                        /* TRANSLATORS: the log pane's title: the file with the whole log */
                        head = xasprintf(_(" Log (all of it in %s) "), t->run.log_path);
                else
                        head = xstrdup(_(" Log "));
                tui_attr_on(t, TA_HEAD);
                tui_put(t, y, x + 2, w - 4, head);
                tui_attr_off(t, TA_HEAD);
                free(head);
        }
        for (int r = 0; r < rows; r++) {
                size_t up = l->scroll + (size_t)(rows - 1 - r);
                const struct tui_logline *xl = tui_log_at(l, up);
                bool hit = l->have_match && up == l->match;
                int used;

                if (xl == NULL)
                        continue;
                if (hit)
                        tui_attr_on(t, TA_MATCH);
                else if (xl->kind == OUT_WARN)
                        tui_attr_on(t, TA_WARN);
                else if (xl->kind == OUT_STDERR || xl->kind == TUI_SKIP)
                        tui_attr_on(t, TA_DIM);
                if (xl->kind == TUI_SKIP) {
                        /* TRANSLATORS: N log lines came too fast to be shown */
                        char *s = xasprintf(_("... %llu lines not shown here (they are in the log file)"),
                                            (unsigned long long)xl->skipped);

                        tui_put(t, y + 1 + r, x + 1, w - 2, s);
                        free(s);
                } else {
                        used = 0;
                        if (xl->label) {
                                used = tui_put(t, y + 1 + r, x + 1, w - 2, xl->label);
                                used += tui_put(t, y + 1 + r, x + 1 + used, w - 2 - used, ": ");
                        }
                        used += tui_put(t, y + 1 + r, x + 1 + used, w - 2 - used, prefix_of(xl));
                        tui_put(t, y + 1 + r, x + 1 + used, w - 2 - used, xl->text);
                }
                if (hit)
                        tui_attr_off(t, TA_MATCH);
                else if (xl->kind == OUT_WARN)
                        tui_attr_off(t, TA_WARN);
                else if (xl->kind == OUT_STDERR || xl->kind == TUI_SKIP)
                        tui_attr_off(t, TA_DIM);
        }
}

static int
page(struct tui *t)
{
        int rows = t->log.full ? t->rows - 3 : TUI_PANE_ROWS;

        return rows > 2 ? rows - 1 : 1;
}

bool
tui_log_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        struct tui_log *l = &t->log;
        size_t max = l->n > 0 ? l->n - 1 : 0;

        if (l->searching) {
                if (!is_key && (wc == '\r' || wc == '\n')) {
                        l->searching = false;
                        free(l->pattern);
                        l->pattern = xstrdup(l->search.buf.buf ? l->search.buf.buf : "");
                        l->have_match = false;
                        search(t, 1, true);
                } else if (!is_key && wc == 27) {
                        l->searching = false;
                } else {
                        tui_edit_key(&l->search, key, wc, is_key);
                }
                return true;
        }
        if (!is_key) {
                switch (wc) {
                case '/':
                        l->searching = true;
                        tui_edit_set(&l->search, "");
                        if (!l->full && !l->pane)
                                l->pane = true;
                        return true;
                case 'n':
                        search(t, 1, false);
                        return true;
                case 'N':
                        search(t, -1, false);
                        return true;
                case 'l':
                        if (!l->full)
                                l->pane = !l->pane;
                        return true;
                case 'f':
                        l->full = !l->full;
                        return true;
                case 27:
                case 'q':
                        if (l->full) {
                                l->full = false;
                                return true;
                        }
                        return false;
                default:
                        return false;
                }
        }
        switch (key) {
        case KEY_PPAGE:
                l->scroll = l->scroll + (size_t)page(t) > max ? max : l->scroll + (size_t)page(t);
                return true;
        case KEY_NPAGE:
                l->scroll = l->scroll > (size_t)page(t) ? l->scroll - (size_t)page(t) : 0;
                return true;
        case KEY_UP:
                if (l->scroll < max)
                        l->scroll++;
                return true;
        case KEY_DOWN:
                if (l->scroll > 0)
                        l->scroll--;
                return true;
        case KEY_HOME:
                l->scroll = max;
                return true;
        case KEY_END:
                l->scroll = 0;
                l->have_match = false;
                return true;
        default:
                return false;
        }
}
