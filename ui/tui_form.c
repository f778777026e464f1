/* tui_form.c: the questions: a form of typed fields (or one question),
 * with the line editor and path completion of tui_edit.c. Values are checked for good by the engine (answers.c) when the form is
 * sent; here only what helps while typing (digits, hex, a count). */
#include <config.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "ui/proto_msg.h"
#include "ui/tui_int.h"

/* A label longer than this many rows is cut. */
#define FORM_LABEL_ROWS 8

static void
field_release(struct tui_field *f)
{
        free(f->key);
        free(f->text);
        free(f->help);
        free(f->def);
        free(f->error);
        free(f->hint);
        strv_release(&f->choices);
        strbuf_release(&f->ed.buf);
}

void
tui_form_release(struct tui_form *f)
{
        for (size_t i = 0; i < f->n; i++)
                field_release(&f->f[i]);
        free(f->f);
        free(f->title);
        free(f->intro);
        free(f->error);
        memset(f, 0, sizeof *f);
}

static void
load_field(struct tui_field *f, struct pmsg_field *x)
{
        int type = qtype_from_name(x->type ? x->type : "string");

        f->key = xstrdup(x->key);
        f->text = xstrdup(x->text ? x->text : x->key);
        f->help = xstrdup(x->help);
        f->def = xstrdup(x->def);
        f->type = type < 0 ? Q_STRING : (enum qtype)type;
        f->required = x->required;
        f->error = xstrdup(x->error);
        tui_edit_set(&f->ed, x->value);
        f->choices = x->choices;                /* moved */
        memset(&x->choices, 0, sizeof x->choices);
}

void
tui_form_load(struct tui *t, const struct proto_msg *m, bool single)
{
        struct tui_form *f = &t->view.form;
        struct pmsg_form pf = { .index = 1, .count = 1, .n = 1 };
        size_t first_bad = (size_t)-1;

        if (!single)
                pmsg_form_decode(m, &pf);
        tui_form_release(f);
        f->single = single;
        f->title = xstrdup(single ? _("Question") : pf.title);
        f->intro = xstrdup(pf.intro);
        f->error = xstrdup(pf.error);
        f->index = (int)pf.index;
        f->count = (int)pf.count;
        f->no_back = pf.no_back;
        f->n = pf.n;
        f->f = xcalloc(f->n ? f->n : 1, sizeof *f->f);
        for (size_t i = 0; i < f->n; i++) {
                struct pmsg_ask ask = {0};

                if (single)
                        pmsg_ask_decode(m, &ask);
                else
                        pmsg_form_field(m, i, &ask.f);
                load_field(&f->f[i], &ask.f);
                if (f->f[i].error && first_bad == (size_t)-1)
                        first_bad = i;
        }
        f->focus = first_bad != (size_t)-1 ? first_bad : 0;
        f->button = 0;
        f->top = 0;
}

static bool
is_toggle(const struct tui_field *f)
{
        return f->type == Q_YESNO || f->type == Q_CONFIRM || f->type == Q_CHOICE;
}

static void
send_form(struct tui *t, const char *result)
{
        struct tui_form *f = &t->view.form;
        const char **fields = xcalloc(f->n ? f->n : 1, sizeof *fields);
        struct pmsg_reply r = {0};

        for (size_t i = 0; i < f->n; i++)
                fields[i] = tui_edit_text(&f->f[i].ed);
        if (f->single) {
                r.value = f->n ? fields[0] : NULL;
        } else {
                r.fields = fields;
                r.n = f->n;
        }
        tui_reply(t, result, &r);
        free(fields);
}

/* Choices and yes/no: move to the next or previous value. */
static void
toggle(struct tui_field *f, int dir)
{
        const char *v = tui_edit_text(&f->ed);

        if (f->type == Q_CHOICE) {
                ssize_t i = strv_find(f->choices.v, f->choices.n, v);
                size_t n = f->choices.n;

                if (n == 0)
                        return;
                i = i < 0 ? 0 : (ssize_t)(((size_t)i + n + (size_t)(dir < 0 ? n - 1 : 1)) % n);
                tui_edit_set(&f->ed, f->choices.v[i]);
                return;
        }
        tui_edit_set(&f->ed, strcmp(v, "yes") == 0 ? "no" : "yes");
}

/* What typing may add to a field: digits for integers, hex for SHA-256. */
static bool
accepts(const struct tui_field *f, wint_t wc)
{
        if (f->type == Q_INTEGER)
                return (wc >= '0' && wc <= '9') || (wc == '-' && f->ed.cur == 0);
        if (f->type == Q_SHA256)
                return wc < 128 && isxdigit((int)wc) && f->ed.buf.len < 64;
        return true;
}

static void
move_focus(struct tui_form *f, int dir)
{
        size_t stops = f->n + (f->no_back ? 1 : 2);     /* fields, Next, Back */
        size_t pos = f->focus < f->n ? f->focus : f->n + (size_t)f->button;

        pos = (pos + stops + (size_t)(dir < 0 ? stops - 1 : 1)) % stops;
        if (pos < f->n) {
                f->focus = pos;
        } else {
                f->focus = f->n;
                f->button = (int)(pos - f->n);
        }
}

bool
tui_form_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        struct tui_form *f = &t->view.form;
        struct tui_field *fl = f->focus < f->n ? &f->f[f->focus] : NULL;

        if (!is_key && wc == 27) {
                if (!f->no_back)
                        send_form(t, "back");
                return true;
        }
        if ((is_key && key == KEY_DOWN) ||
            (!is_key && wc == '\t' && !(fl && (fl->type == Q_FILE || fl->type == Q_DIR) &&
                                          tui_complete_path(fl)))) {
                move_focus(f, 1);
                return true;
        }
        if (is_key && (key == KEY_UP || key == KEY_BTAB)) {
                move_focus(f, -1);
                return true;
        }
        if (is_key && (key == KEY_NPAGE || key == KEY_PPAGE)) {
                /* PgDn: to [ Next ]; PgUp: to the first field. */
                f->focus = key == KEY_NPAGE ? f->n : 0;
                f->button = 0;
                return true;
        }
        if (!is_key && wc == '\t')
                return true;            /* completed */
        if (!is_key && (wc == '\r' || wc == '\n')) {
                if (fl && f->focus + 1 < f->n) {
                        move_focus(f, 1);
                } else if (fl || f->button == 0) {
                        send_form(t, "ok");
                } else {
                        send_form(t, "back");
                }
                return true;
        }
        if (fl == NULL) {
                if ((is_key && (key == KEY_LEFT || key == KEY_RIGHT)) && !f->no_back)
                        f->button = !f->button;
                return is_key && (key == KEY_LEFT || key == KEY_RIGHT);
        }
        if (is_toggle(fl)) {
                if ((is_key && key == KEY_LEFT) || (!is_key && wc == ' ') ||
                    (is_key && key == KEY_RIGHT)) {
                        toggle(fl, is_key && key == KEY_LEFT ? -1 : 1);
                        return true;
                }
                if (!is_key && fl->type != Q_CHOICE && (wc == 'y' || wc == 'n')) {
                        tui_edit_set(&fl->ed, wc == 'y' ? "yes" : "no");
                        return true;
                }
                return false;
        }
        if (!is_key && wc >= 0x20 && wc != 0x7f && !accepts(fl, wc))
                return true;            /* refused as typed */
        if (tui_edit_key(&fl->ed, key, wc, is_key)) {
                free(fl->hint);
                fl->hint = NULL;
                return true;
        }
        return false;
}

/* What a field shows under itself: its error, a completion, a check as
 * typed, or its help. */
static const char *
field_note(struct tui_field *f, bool focused, char *buf, size_t size, enum tui_attr *a)
{
        *a = TA_DIM;
        if (f->error) {
                *a = TA_FAIL;
                return f->error;
        }
        if (focused && f->hint)
                return f->hint;
        if (f->type == Q_SHA256 && f->ed.buf.len > 0) {
                if (f->ed.buf.len == 64) {
                        *a = TA_DONE;
                        return _("a SHA-256: 64 hexadecimal digits");
                }
                /* TRANSLATORS: how many of the 64 hex digits were typed */
                snprintf(buf, size, _("%zu of 64 hexadecimal digits"), f->ed.buf.len);
                *a = TA_WARN;
                return buf;
        }
        return focused ? f->help : NULL;
}

static void
draw_value(struct tui *t, struct tui_field *f, int y, int x, int w, bool focused)
{
        const char *v = tui_edit_text(&f->ed);
        char *s;

        if (f->type == Q_YESNO || f->type == Q_CONFIRM) {
                bool yes = strcmp(v, "yes") == 0;

                s = f->type == Q_CONFIRM
                    ? xasprintf("[%s] %s", yes ? "x" : " ", yes ? _("done") : _("not done yet"))
                    : xasprintf("(%s) %s   (%s) %s", yes ? "*" : " ", _("yes"), yes ? " " : "*",
                                _("no"));
        } else if (f->type == Q_CHOICE) {
                s = xasprintf("< %s >", *v ? v : "?");
        } else {
                tui_edit_draw(t, &f->ed, y, x, w, f->type == Q_SECRET, focused);
                return;
        }
        if (focused)
                tui_attr_on(t, TA_SEL);
        tui_put(t, y, x, w, s);
        if (focused)
                tui_attr_off(t, TA_SEL);
        free(s);
}

/* The form's title and its intro or error (three rows at most); returns
 * the rows used. */
static int
draw_head(struct tui *t, int y, int x, int w)
{
        struct tui_form *f = &t->view.form;
        struct strv intro = {0};
        char *head;
        int rows;

        head = f->count > 1 ? xasprintf(_("%s (%d of %d)"), f->title, f->index, f->count)
                            : xstrdup(f->title);
        tui_attr_on(t, TA_HEAD);
        tui_put(t, y, x + 1, w - 2, head);
        tui_attr_off(t, TA_HEAD);
        free(head);
        if (f->error)
                tui_wrap(f->error, w - 2, &intro);
        else if (f->intro)
                tui_wrap(f->intro, w - 2, &intro);
        for (size_t i = 0; i < intro.n && i < 3; i++) {
                if (f->error)
                        tui_attr_on(t, TA_FAIL);
                tui_put(t, y + 1 + (int)i, x + 1, w - 2, intro.v[i]);
                if (f->error)
                        tui_attr_off(t, TA_FAIL);
        }
        rows = 2 + (int)(intro.n < 3 ? intro.n : 3);
        strv_release(&intro);
        return rows;
}

/* The fields' rows: labels, notes and where each field starts. */
struct form_rows {
        struct strv   *labels;
        struct strv   *notes;
        enum tui_attr *attrs;
        int           *start;           /* n + 1: field i's first row, then the end */
};

static void
lay_out(struct tui_form *f, int w, struct form_rows *ret)
{
        ret->labels = xcalloc(f->n ? f->n : 1, sizeof *ret->labels);
        ret->notes = xcalloc(f->n ? f->n : 1, sizeof *ret->notes);
        ret->attrs = xcalloc(f->n ? f->n : 1, sizeof *ret->attrs);
        ret->start = xcalloc(f->n + 1, sizeof *ret->start);
        for (size_t i = 0; i < f->n; i++) {
                char buf[64];
                const char *note = field_note(&f->f[i], i == f->focus, buf, sizeof buf,
                                              &ret->attrs[i]);

                tui_wrap(f->f[i].text, w - 4, &ret->labels[i]);
                strv_keep(&ret->labels[i], FORM_LABEL_ROWS);
                if (ret->labels[i].n == 0)
                        strv_push(&ret->labels[i], "");
                if (note)
                        tui_wrap(note, w - 6, &ret->notes[i]);
                strv_keep(&ret->notes[i], 3);
                ret->start[i + 1] = ret->start[i] + (int)ret->labels[i].n + 1 +
                                    (ret->notes[i].n ? (int)ret->notes[i].n : 1);
        }
}

static void
form_rows_release(struct form_rows *fr, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                strv_release(&fr->labels[i]);
                strv_release(&fr->notes[i]);
        }
        free(fr->labels);
        free(fr->notes);
        free(fr->attrs);
        free(fr->start);
}

/* Each field: its label wrapped (a checklist item is a sentence), its
 * value, and its note wrapped (at least one row, for air). Scroll so
 * that the focused one shows. */
static void
draw_fields(struct tui *t, int y, int x, int w, int bottom)
{
        struct tui_form *f = &t->view.form;
        struct form_rows fr;

        lay_out(f, w, &fr);
        if (f->focus < f->n) {
                int top = fr.start[f->focus], fh = fr.start[f->focus + 1] - top;

                if (top < f->top)
                        f->top = top;
                if (top + fh > f->top + bottom)
                        f->top = top + fh - bottom;
        } else {
                f->top = fr.start[f->n] > bottom ? fr.start[f->n] - bottom : 0;
        }
        for (size_t i = 0; i < f->n; i++) {
                bool focused = i == f->focus;
                int r = fr.start[i] - f->top, lr = (int)fr.labels[i].n;

                if (r < 0 || r + lr + 1 > bottom)
                        continue;
                if (focused)
                        tui_attr_on(t, TA_HEAD);
                mvaddstr(y + r, x + 1, focused ? t->g.pointer : " ");
                for (int k = 0; k < lr; k++)
                        tui_put(t, y + r + k, x + 3, w - 4, fr.labels[i].v[k]);
                if (focused)
                        tui_attr_off(t, TA_HEAD);
                draw_value(t, &f->f[i], y + r + lr, x + 3, w - 5, focused);
                tui_attr_on(t, fr.attrs[i]);
                for (size_t k = 0; k < fr.notes[i].n && r + lr + 1 + (int)k < bottom; k++)
                        tui_put(t, y + r + lr + 1 + (int)k, x + 5, w - 6, fr.notes[i].v[k]);
                tui_attr_off(t, fr.attrs[i]);
        }
        form_rows_release(&fr, f->n);
}

static void
draw_buttons(struct tui *t, int by, int x, int w)
{
        struct tui_form *f = &t->view.form;
        const char *next = f->index < f->count ? _("[ Next ]") : _("[ Go on ]");
        const char *back = _("[ Back ]");
        int bx = x + 3;

        if (f->focus >= f->n && f->button == 0)
                tui_attr_on(t, TA_SEL);
        bx += tui_put(t, by, bx, w - 4, next);
        if (f->focus >= f->n && f->button == 0)
                tui_attr_off(t, TA_SEL);
        bx += 3;
        if (f->no_back)
                back = "";
        if (f->focus >= f->n && f->button == 1)
                tui_attr_on(t, TA_SEL);
        tui_put(t, by, bx, w - (bx - x), back);
        if (f->focus >= f->n && f->button == 1)
                tui_attr_off(t, TA_SEL);
}

void
tui_form_draw(struct tui *t, int y, int x, int h, int w)
{
        int head = draw_head(t, y, x, w);

        y += head;
        h -= head;
        draw_fields(t, y, x, w, h - 2);
        draw_buttons(t, y + h - 1, x, w);
}
