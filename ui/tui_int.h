/* tui_int.h: what the wizard's files share (ui/tui*.c). Only these files
 * include curses. */
#ifndef UPSHIFT_TUI_INT_H
#define UPSHIFT_TUI_INT_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "engine/frontend.h"
#include "lib/util.h"
#include "ui/proto.h"
#include "ui/tui.h"

#define TUI_MIN_COLS    80
#define TUI_MIN_ROWS    24
#define TUI_SIDEBAR     26              /* columns of the step list, its border included */
#define TUI_LOG_LINES   2000            /* log lines kept in memory */
#define TUI_LOG_WIDTH   1024            /* bytes of a log line kept */
#define TUI_PANE_ROWS   8               /* rows of the log pane under a screen */
#define TUI_FRAME_MS    40              /* at most 25 frames a second */

enum tui_screen {
        SCR_START,              /* waiting for the worker */
        SCR_FORM,               /* questions (a form, or one ask) */
        SCR_REVIEW,             /* what will be done; start from here */
        SCR_RUN,                /* the steps run */
        SCR_CONFIRM,            /* a destructive step or a point of no return */
        SCR_FAILURE,
        SCR_RESUME,
        SCR_END,
        SCR_BUSY,               /* another wizard is attached: take over? */
        SCR_DETACHED,           /* another wizard took over */
};

/* Colour pairs (attributes only when there is no colour). */
enum tui_attr {
        TA_TITLE = 1,           /* the title and key bars */
        TA_DONE,
        TA_FAIL,
        TA_RUN,
        TA_WARN,
        TA_DIM,
        TA_SEL,                 /* the focused item */
        TA_FIELD,               /* an input field */
        TA_MATCH,               /* a search match */
        TA_HEAD,                /* a heading */
};

/* Glyphs: UTF-8 line drawing, or ASCII. */
struct tui_glyphs {
        const char *vline, *hline, *tl, *tr, *bl, *br, *arrow, *done, *fail, *run,
                   *skip, *undone, *pend, *bar_full, *bar_empty, *ell, *pointer;
};

/* A line editor over a UTF-8 buffer. */
struct tui_edit {
        struct strbuf buf;
        size_t        cur;              /* byte offset of the cursor */
        size_t        scroll;           /* first byte shown */
};

struct tui_field {
        char            *key, *text, *help, *def;
        enum qtype       type;
        bool             required;
        struct strv      choices;
        struct tui_edit  ed;
        char            *error;         /* from the worker, or NULL */
        char            *hint;          /* completion candidates, or NULL */
};

struct tui_form {
        long              id;
        bool              single;       /* an ask: one question, value in "value" */
        char             *title, *intro, *error;
        int               index, count;
        bool              no_back;      /* no Back button; Esc does nothing */
        struct tui_field *f;
        size_t            n;
        size_t            focus;        /* a field, or n: the buttons */
        int               button;       /* 0 Next, 1 Back */
        int               top;          /* first row shown */
};

struct tui_step {
        char             *title, *what, *consequence;
        bool              destructive;
        enum step_status  st;
        int64_t           ms;           /* -1: none */
        int64_t           t0;           /* when it started running (now_ms) */
        char             *note;
};

struct tui_logline {
        unsigned char  kind;            /* enum out_kind, or TUI_SKIP */
        uint64_t       skipped;
        char          *label;           /* shown before the line, or NULL */
        char          *text;
};
#define TUI_SKIP 255

struct tui_log {
        struct tui_logline line[TUI_LOG_LINES];
        size_t             head;        /* index of the oldest */
        size_t             n;
        size_t             scroll;      /* lines up from the newest; 0 follows */
        bool               pane;        /* shown under the screen */
        bool               full;        /* shown full screen */
        bool               searching;   /* typing a search */
        struct tui_edit    search;
        char              *pattern;     /* the last search */
        size_t             match;       /* lines up from the newest of the match */
        bool               have_match;
        char              *file;        /* shown from a file (resume: Show log) */
};

/* The connection to the worker. */
struct tui_conn {
        int                fd;          /* -1: none */
        pid_t              worker;
        bool               worker_gone;
        int                worker_status;
        struct proto_reader rd;
        struct strbuf      outq;
        bool               interrupt_sent;
        bool               have_bye;    /* the worker said it exits with bye_code */
        int                bye_code;
        char              *bye_message; /* the engine's last info line, from bye */
};

/* The run, as the worker tells it. */
struct tui_run {
        char              *plan_id, *title, *host, *version, *target, *state_dir, *log_path;
        struct tui_step    steps[STEP_COUNT];
        int                current;     /* the step shown, or -1 */
        char              *info;        /* the last info line */
        char              *prog_what;
        uint64_t           prog_done, prog_total;
        int64_t            prog_t0, prog_last;
        double             prog_rate;   /* bytes a second, smoothed */
        bool               prog_ms;     /* a countdown: done and total are ms */
        struct strv        env;         /* NAME=VALUE for the operator's shell */
        struct proto_msg   end;         /* the report as it came */
        struct run_report  report;      /* decoded from end: points into it */
        bool               ended;
        int                code;        /* the exit code */
};

/* What is on the screen: the screen (tui_screen_table[]) and its state. */
struct tui_view {
        enum tui_screen    scr;
        long               req_id;      /* the request waiting for its reply, or 0 */
        char              *req_step;    /* the step of a confirm or failure */
        char              *text;        /* review / failure message / confirm consequence / who */
        int                menu;        /* focused item of the screen's menu */
        struct tui_form    form;
        struct {
                char      *what;
                bool       ponr;        /* a point of no return */
        }                  confirm;
        struct {
                char      *log;
        }                  failure;
        struct {
                int        top;         /* first line shown */
        }                  review;
        const struct run_state *resume;
        enum tui_resume    resume_choice;
        bool               help;
        bool               quitting;    /* the quit question is shown */
        int                quit_menu;
        char              *status;      /* a line for the key bar ("stopping...") */
        bool               dirty;
        int64_t            last_draw;
        bool               cur_on;      /* show the cursor at (cur_y, cur_x) */
        int                cur_y, cur_x;
};

struct tui {
        struct tui_opts    o;
        SCREEN            *screen;
        bool               color, utf8;
        struct tui_glyphs  g;
        int                rows, cols;
        int                sig[2];      /* self-pipe: signal numbers */
        bool               quit_loop;   /* leave the loop */
        FILE              *trace;       /* UPSHIFT_TUI_TRACE: times for bench/tui.sh */
        bool               drawn;
        bool               hangup;      /* the terminal went away */
        char              *farewell;    /* printed instead of the report, or NULL */
        bool               leave_on_end;        /* quit before the run began */
        struct tui_log     log;
        struct tui_conn    conn;
        struct tui_run     run;
        struct tui_view    view;
};

/* tui_msg.c: to the worker */
void tui_send(struct tui *t, struct proto_msg *m);
/* Write what waits in t->conn.outq, as far as the socket takes it. */
void tui_flush_out(struct tui *t);
struct pmsg_reply;
/* Reply to the request on the screen with result ("ok", "back", "abort")
 * and extra's value, choice or fields (extra may be NULL). */
void tui_reply(struct tui *t, const char *result, const struct pmsg_reply *extra);
void tui_interrupt(struct tui *t);

/* tui.c */
void tui_set(char **slot, const char *value);
void tui_dirty(struct tui *t);
void tui_leave(struct tui *t);          /* the operator leaves the last screen */
/* The command that goes on with this run: upshift rollback when the worker
 * rolls back, else the resume command; NULL when there is none. */
const char *tui_resume_cmd(const struct tui *t);
/* The quit question offers Detach: a worker is there to leave running. */
bool tui_can_detach(const struct tui *t);

/* tui_msg.c */
/* Read what the worker sent and act on each message. */
void tui_read_worker(struct tui *t);
/* The run's report on stdout, as the line frontend says it (after endwin). */
void tui_print_report(struct tui *t);

/* tui_draw.c */
void tui_draw(struct tui *t);
/* The quit question's menu: Quit, Detach (when tui_can_detach), Go on. */
const struct tui_item *tui_quit_items(const struct tui *t, size_t *ret_n);
void tui_attr_on(struct tui *t, enum tui_attr a);
void tui_attr_off(struct tui *t, enum tui_attr a);
void tui_init_look(struct tui *t);
/* Print s from (y, x) in at most w columns; returns the columns used. */
int  tui_put(struct tui *t, int y, int x, int w, const char *s);
/* Wrap s into lines of at most w columns; returns the number of lines. */
size_t tui_wrap(const char *s, int w, struct strv *ret);
int  tui_text_width(const char *s);
void tui_box(struct tui *t, int y, int x, int h, int w, const char *title);
/* The area right of the step list: top row, left column, height, width. */
void tui_body(struct tui *t, int *y, int *x, int *h, int *w);
/* A vertical menu; items NULL-terminated. Returns the rows used. */
int  tui_menu(struct tui *t, int y, int x, int w, const char *const *items, int focus);

/* tui_form.c */
void tui_form_load(struct tui *t, const struct proto_msg *m, bool single);
void tui_form_release(struct tui_form *f);
void tui_form_draw(struct tui *t, int y, int x, int h, int w);
bool tui_form_key(struct tui *t, int key, wint_t wc, bool is_key);

/* tui_edit.c */
void tui_edit_set(struct tui_edit *e, const char *s);
const char *tui_edit_text(const struct tui_edit *e);
/* Complete the path in a file or directory field: true when it changed the
 * text or listed the candidates (in f->hint); false when there was nothing
 * to do (Tab then moves on). */
bool tui_complete_path(struct tui_field *f);
bool tui_edit_key(struct tui_edit *e, int key, wint_t wc, bool is_key);
/* Draw the editor in w columns at (y, x); masked shows '*'. */
void tui_edit_draw(struct tui *t, struct tui_edit *e, int y, int x, int w, bool masked,
                   bool focused);

/* tui_log.c */
/* A line; label (or NULL) is shown before it ("restore: "). */
void tui_log_add(struct tui_log *l, enum out_kind kind, const char *label, const char *text);
void tui_log_skip(struct tui_log *l, uint64_t n);
void tui_log_release(struct tui_log *l);
void tui_log_load_file(struct tui_log *l, const char *path);
void tui_log_draw(struct tui *t, int y, int x, int h, int w);
bool tui_log_key(struct tui *t, int key, wint_t wc, bool is_key);
/* The last n lines as text (the failure screen). */
const struct tui_logline *tui_log_at(const struct tui_log *l, size_t up);

/* What a menu item does: menus act by name, not by position. */
enum tui_action {
        ACT_NONE,
        ACT_START,              /* review: start the upgrade */
        ACT_BACK,               /* review: back to the questions */
        ACT_ABORT,              /* review: quit, nothing changed */
        ACT_YES,                /* confirm */
        ACT_NO,
        ACT_RETRY,              /* failure */
        ACT_ROLLBACK,           /* failure, resume */
        ACT_SHELL,              /* failure: the operator's shell */
        ACT_QUIT,               /* failure, resume */
        ACT_RESUME,             /* resume: resume, or finish the rollback */
        ACT_SHOW_LOG,           /* resume */
        ACT_TAKEOVER,           /* busy */
        ACT_LEAVE,              /* busy, end, detached */
        ACT_DETACH,             /* the quit question */
        ACT_GO_ON,              /* the quit question */
};

struct tui_item {
        const char      *label;         /* N_(): translated when drawn */
        enum tui_action  act;
};

/* One screen right of the step list: tui_screen_table[] has one for each
 * enum tui_screen. key returns true when it took the key; NULL: none. */
struct tui_screen_def {
        const char *name;
        void      (*draw)(struct tui *t, int y, int x, int h, int w);
        bool      (*key)(struct tui *t, int key, wint_t wc, bool is_key);
};

/* tui_screens.c */
extern const struct tui_screen_def tui_screen_table[];
void tui_draw_screen(struct tui *t, int y, int x, int h, int w);
bool tui_screen_key(struct tui *t, int key, wint_t wc, bool is_key);
/* Print wrapped text from row y; returns the rows used (at most max). */
int  tui_para(struct tui *t, int y, int x, int w, int max, const char *s, enum tui_attr a);
/* "Step N of 8: what" (step -1: what alone) as a heading. */
void tui_heading(struct tui *t, int y, int x, int w, int step, const char *what);
/* A menu of n items (labels translated here); returns the rows used. */
int  tui_menu_items(struct tui *t, int y, int x, int w, const struct tui_item *items, size_t n,
                    int focus);
/* Up/Down/Tab/Shift-Tab over n items of t->menu; Enter. */
bool tui_menu_key(struct tui *t, int n, int key, wint_t wc, bool is_key);
bool tui_enter(wint_t wc, bool is_key, int key);

/* tui_end.c: the screens beside a run: resume, end, busy, detached. */
void tui_draw_resume(struct tui *t, int y, int x, int h, int w);
bool tui_resume_key(struct tui *t, int key, wint_t wc, bool is_key);
void tui_draw_end(struct tui *t, int y, int x, int h, int w);
bool tui_leave_key(struct tui *t, int key, wint_t wc, bool is_key);
void tui_draw_busy(struct tui *t, int y, int x, int h, int w);
bool tui_busy_key(struct tui *t, int key, wint_t wc, bool is_key);
/* Busy: leave the upgrade to the wizard attached, quit this one. */
void tui_busy_leave(struct tui *t);
void tui_draw_detached(struct tui *t, int y, int x, int h, int w);

/* tui_shell.c */
void tui_open_shell(struct tui *t);

#endif
