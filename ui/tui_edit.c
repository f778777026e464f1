/* tui_edit.c: the wizard's line editor over a UTF-8 buffer, and path
 * completion for file and directory fields. */
#include <config.h>

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/i18n.h"
#include "ui/tui_int.h"

/* Line editor ------------------------------------------------------------ */

void
tui_edit_set(struct tui_edit *e, const char *s)
{
        strbuf_release(&e->buf);
        strbuf_adds(&e->buf, s ? s : "");
        e->cur = e->buf.len;
        e->scroll = 0;
}

const char *
tui_edit_text(const struct tui_edit *e)
{
        return e->buf.buf ? e->buf.buf : "";
}

/* Length of the UTF-8 character before / at offset i. */
static size_t
char_before(const char *s, size_t i)
{
        size_t n = 0;

        while (i > 0) {
                i--;
                n++;
                if (((unsigned char)s[i] & 0xc0) != 0x80)
                        break;
        }
        return n;
}

static size_t
char_at(const char *s, size_t i)
{
        size_t n = 1;

        if (s[i] == '\0')
                return 0;
        while (s[i + n] && ((unsigned char)s[i + n] & 0xc0) == 0x80)
                n++;
        return n;
}

static void
edit_delete(struct tui_edit *e, size_t at, size_t n)
{
        memmove(e->buf.buf + at, e->buf.buf + at + n, e->buf.len - at - n + 1);
        e->buf.len -= n;
}

bool
tui_edit_key(struct tui_edit *e, int key, wint_t wc, bool is_key)
{
        const char *s;
        char mb[MB_LEN_MAX + 1];
        mbstate_t st;
        size_t n;

        strbuf_adds(&e->buf, "");
        s = tui_edit_text(e);
        if (is_key) {
                switch (key) {
                case KEY_LEFT:
                        e->cur -= char_before(s, e->cur);
                        return true;
                case KEY_RIGHT:
                        e->cur += char_at(s, e->cur);
                        return true;
                case KEY_HOME:
                        e->cur = 0;
                        return true;
                case KEY_END:
                        e->cur = e->buf.len;
                        return true;
                case KEY_BACKSPACE:
                        n = char_before(s, e->cur);
                        e->cur -= n;
                        edit_delete(e, e->cur, n);
                        return true;
                case KEY_DC:
                        edit_delete(e, e->cur, char_at(s, e->cur));
                        return true;
                default:
                        return false;
                }
        }
        switch (wc) {
        case 127: case 8:               /* Backspace sent as DEL or ^H */
                n = char_before(s, e->cur);
                e->cur -= n;
                edit_delete(e, e->cur, n);
                return true;
        case 1:                         /* ^A */
                e->cur = 0;
                return true;
        case 5:                         /* ^E */
                e->cur = e->buf.len;
                return true;
        case 21:                        /* ^U */
                edit_delete(e, 0, e->cur);
                e->cur = 0;
                return true;
        case 11:                        /* ^K */
                e->buf.len = e->cur;
                e->buf.buf[e->cur] = '\0';
                return true;
        default:
                break;
        }
        if (wc < 0x20 || wc == 0x7f)
                return false;
        memset(&st, 0, sizeof st);
        n = wcrtomb(mb, (wchar_t)wc, &st);
        if (n == (size_t)-1)
                return true;
        {
                struct strbuf nb = {0};

                strbuf_add(&nb, s, e->cur);
                strbuf_add(&nb, mb, n);
                strbuf_adds(&nb, s + e->cur);
                strbuf_release(&e->buf);
                e->buf = nb;
                e->cur += n;
        }
        return true;
}

void
tui_edit_draw(struct tui *t, struct tui_edit *e, int y, int x, int w, bool masked, bool focused)
{
        const char *s = tui_edit_text(e);
        char *shown;
        int cur_col;

        if (w < 2)
                return;
        if (masked) {
                size_t chars = 0, cur = 0;

                for (size_t i = 0; s[i]; i += char_at(s, i)) {
                        if (i < e->cur)
                                cur++;
                        chars++;
                }
                shown = xmalloc(chars + 1);
                memset(shown, '*', chars);
                shown[chars] = '\0';
                cur_col = (int)cur;
        } else {
                char *before = xstrndup(s, e->cur);

                shown = xstrdup(s);
                cur_col = tui_text_width(before);
                free(before);
        }
        /* Scroll so that the cursor is inside the field. */
        {
                int first = 0;

                if (cur_col >= w - 1)
                        first = cur_col - (w - 2);
                tui_attr_on(t, TA_FIELD);
                move(y, x);
                for (int c = 0; c < w; c++)
                        addch(' ');
                {
                        const char *p = shown;
                        int skipped = 0;

                        while (*p && skipped < first) {
                                p += masked ? 1 : char_at(p, 0);
                                skipped++;
                        }
                        tui_put(t, y, x, w, p);
                }
                tui_attr_off(t, TA_FIELD);
                if (focused) {
                        t->view.cur_on = true;
                        t->view.cur_y = y;
                        t->view.cur_x = x + cur_col - first;
                }
        }
        free(shown);
}

/* Complete the path in a file or directory field. Returns true when it
 * changed the text or listed candidates. */
bool
tui_complete_path(struct tui_field *f)
{
        const char *text = tui_edit_text(&f->ed);
        char *dir, *base, *expanded = NULL, *common = NULL;
        const char *slash;
        struct strv names = {0};
        DIR *dp;
        struct dirent *de;
        bool changed = false;

        if (text[0] == '~' && text[1] == '/' && getenv("HOME"))
                text = expanded = xasprintf("%s%s", getenv("HOME"), text + 1);
        {
                struct stat st;

                /* Already complete: Tab moves on. */
                if (*text && stat(text, &st) == 0 &&
                    ((f->type == Q_DIR && S_ISDIR(st.st_mode)) ||
                     (f->type == Q_FILE && S_ISREG(st.st_mode)))) {
                        free(expanded);
                        return false;
                }
        }
        slash = strrchr(text, '/');
        dir = slash ? xstrndup(text, (size_t)(slash - text) + 1) : xstrdup("");
        base = xstrdup(slash ? slash + 1 : text);
        dp = opendir(*dir ? dir : ".");
        while (dp && (de = readdir(dp)) != NULL && names.n < 10000) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_name[0] == '.' && base[0] != '.')
                        continue;
                if (str_startswith(de->d_name, base))
                        strv_push(&names, de->d_name);
        }
        if (dp)
                closedir(dp);
        free(f->hint);
        f->hint = NULL;
        if (names.n > 0) {
                size_t len = strlen(names.v[0]);

                for (size_t i = 1; i < names.n; i++) {
                        size_t k = 0;

                        while (k < len && names.v[i][k] == names.v[0][k])
                                k++;
                        len = k;
                }
                common = xstrndup(names.v[0], len);
        }
        if (common && strlen(common) > strlen(base)) {
                char *full = xasprintf("%s%s", dir, common);
                struct stat st;

                if (names.n == 1 && stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                        char *d2 = xasprintf("%s/", full);

                        free(full);
                        full = d2;
                }
                tui_edit_set(&f->ed, full);
                free(full);
                changed = true;
        } else if (names.n == 1) {
                char *full = xasprintf("%s%s", dir, names.v[0]);
                struct stat st;

                if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && !str_endswith(full, "/")) {
                        char *d2 = xasprintf("%s/", full);

                        tui_edit_set(&f->ed, d2);
                        free(d2);
                        changed = true;
                }
                free(full);
        } else if (names.n > 1) {
                struct strbuf sb = {0};

                /* TRANSLATORS: followed by a list of file names */
                strbuf_addf(&sb, _("%zu matches:"), names.n);
                for (size_t i = 0; i < names.n && i < 20; i++)
                        strbuf_addf(&sb, " %s", names.v[i]);
                f->hint = strbuf_detach(&sb);
                changed = true;
        }
        free(common);
        free(dir);
        free(base);
        free(expanded);
        strv_release(&names);
        return changed;
}
