/* tui.c: the wizard's life: the terminal, the poll loop over the keyboard,
 * the worker's socket and the signals, and the worker's messages (tui.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "steps/step.h"
#include "ui/proto_msg.h"
#include "ui/tui_int.h"
#include "ui/worker.h"

/* The self-pipe's write end, for the signal handler: the one place a
 * handler can find it. */
static volatile sig_atomic_t sig_fd = -1;

static void
on_signal(int sig)
{
        int saved = errno;
        unsigned char c = (unsigned char)sig;

        if (sig_fd >= 0 && write(sig_fd, &c, 1) < 0) {
                /* full pipe: a signal is already waiting */
        }
        errno = saved;
}

static const int tui_signals[] = { SIGWINCH, SIGCHLD, SIGHUP, SIGINT, SIGTERM };

void
tui_set(char **slot, const char *value)
{
        free(*slot);
        *slot = xstrdup(value);
}

void
tui_dirty(struct tui *t)
{
        t->view.dirty = true;
}

void
tui_leave(struct tui *t)
{
        t->quit_loop = true;
}

static void
resize(struct tui *t)
{
        struct winsize ws;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
                resizeterm(ws.ws_row, ws.ws_col);
        getmaxyx(stdscr, t->rows, t->cols);
        clearok(curscr, TRUE);
        tui_dirty(t);
}

static void
handle_signals(struct tui *t)
{
        unsigned char buf[64];
        ssize_t n;

        while ((n = read(t->sig[0], buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < n; i++) {
                        int status;

                        switch (buf[i]) {
                        case SIGWINCH:
                                resize(t);
                                break;
                        case SIGCHLD:
                                if (t->conn.worker > 0 && !t->conn.worker_gone &&
                                    waitpid(t->conn.worker, &status, WNOHANG) == t->conn.worker) {
                                        t->conn.worker_gone = true;
                                        t->conn.worker_status = status;
                                }
                                break;
                        case SIGHUP:
                                /* The terminal is gone: the worker stops at its
                                 * next safe point when it sees the socket close. */
                                t->quit_loop = true;
                                t->run.code = EXIT_STEPFAIL;
                                t->view.resume_choice = TUI_QUIT;
                                t->hangup = true;
                                break;
                        default:
                                tui_interrupt(t);
                                break;
                        }
                }
        }
}

const char *
tui_resume_cmd(const struct tui *t)
{
        return t->o.rollback && t->o.rollback_cmd ? t->o.rollback_cmd : t->o.resume_cmd;
}

bool
tui_can_detach(const struct tui *t)
{
        enum tui_screen s = t->view.scr;

        return t->conn.fd >= 0 && !t->conn.interrupt_sent && s != SCR_RESUME && s != SCR_END &&
               s != SCR_BUSY && s != SCR_DETACHED;
}

/* Leave the upgrade running without this wizard: the worker goes on and
 * waits for the next one. */
static void
detach(struct tui *t)
{
        free(t->farewell);
        t->farewell = xasprintf(_("detached: the upgrade goes on without this wizard; re-attach with:\n  %s"),
                                tui_resume_cmd(t) ? tui_resume_cmd(t) : "upshift attach");
        t->run.code = EXIT_LOCKED;
        t->view.quitting = false;
        close(t->conn.fd);
        t->conn.fd = -1;
        tui_leave(t);
}

/* The quit question: Quit, Detach or Go on, by their action. */
static void
quit_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        size_t n;
        const struct tui_item *items = tui_quit_items(t, &n);
        enum tui_action act;

        if (is_key && (key == KEY_UP || key == KEY_BTAB)) {
                t->view.quit_menu = (t->view.quit_menu + (int)n - 1) % (int)n;
                return;
        }
        if ((is_key && key == KEY_DOWN) || (!is_key && wc == '\t')) {
                t->view.quit_menu = (t->view.quit_menu + 1) % (int)n;
                return;
        }
        if (is_key)
                return;
        if (wc == 27 || wc == 'n') {
                t->view.quitting = false;
                return;
        }
        if (wc == 'd')
                act = tui_can_detach(t) ? ACT_DETACH : ACT_NONE;
        else if (wc == 'y')
                act = ACT_QUIT;
        else if (wc == '\n' || wc == '\r' || wc == ' ')
                act = items[t->view.quit_menu].act;
        else
                act = ACT_NONE;
        if (act == ACT_DETACH) {
                detach(t);
                return;
        }
        if (act == ACT_NONE)
                return;
        t->view.quitting = false;
        if (act != ACT_QUIT)
                return;
        if (t->view.scr == SCR_RESUME) {
                t->view.resume_choice = TUI_QUIT;
                tui_leave(t);
        } else if (t->view.scr == SCR_END) {
                tui_leave(t);
        } else {
                /* Before the run began there is nothing to show at the
                 * end: leave with it. */
                t->leave_on_end = t->run.log_path == NULL;
                if (t->view.req_id)
                        tui_reply(t, "abort", NULL);
                tui_interrupt(t);
        }
}

/* F1/?, q/F10/Ctrl-C and the log keys; the rest to the screen. */
static void
handle_key(struct tui *t, int key, wint_t wc, bool is_key)
{
        const struct tui_form *f = &t->view.form;
        bool typing = t->view.scr == SCR_FORM && !t->log.full && f->focus < f->n &&
                      f->f[f->focus].type != Q_YESNO && f->f[f->focus].type != Q_CONFIRM &&
                      f->f[f->focus].type != Q_CHOICE;
        bool ctrl_c = !is_key && wc == 3;
        size_t n;

        if (is_key && key == KEY_RESIZE) {
                /* curses has the new size already (resizeterm queues this key). */
                getmaxyx(stdscr, t->rows, t->cols);
                tui_dirty(t);
                return;
        }
        tui_dirty(t);
        if (t->view.help) {
                t->view.help = false;
                return;
        }
        if (t->view.quitting) {
                quit_key(t, key, wc, is_key);
                return;
        }
        if (t->log.searching || t->log.full) {
                if (tui_log_key(t, key, wc, is_key))
                        return;
        }
        if ((is_key && key == KEY_F(1)) || (!typing && !is_key && wc == '?')) {
                t->view.help = true;
                return;
        }
        if ((is_key && key == KEY_F(10)) || ctrl_c || (!typing && !is_key && wc == 'q')) {
                if (t->view.scr == SCR_END || t->view.scr == SCR_DETACHED) {
                        tui_leave(t);
                        return;
                }
                if (t->view.scr == SCR_BUSY) {
                        /* Leave it attached to the other wizard. */
                        tui_busy_leave(t);
                        return;
                }
                t->view.quitting = true;
                tui_quit_items(t, &n);
                t->view.quit_menu = (int)n - 1;         /* Go on */
                return;
        }
        if (tui_screen_key(t, key, wc, is_key))
                return;
        tui_log_key(t, key, wc, is_key);
}

static void
read_keys(struct tui *t)
{
        for (unsigned i = 0; i < 256; i++) {
                wint_t wc;
                int r = get_wch(&wc);

                if (r == ERR)
                        return;
                handle_key(t, r == KEY_CODE_YES ? (int)wc : 0, wc, r == KEY_CODE_YES);
                if (t->quit_loop)
                        return;
        }
}

static bool
running(const struct tui *t)
{
        return t->run.current >= 0 && t->run.steps[t->run.current].st == ST_RUNNING;
}

static void
stamp(struct tui *t, const char *what)
{
        struct timespec ts;

        if (t->trace == NULL)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        fprintf(t->trace, "%s %lld\n", what, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
        fflush(t->trace);
}

static void
draw_now(struct tui *t)
{
        tui_draw(t);
        t->view.dirty = false;
        t->view.last_draw = now_ms();
        if (!t->drawn) {
                t->drawn = true;
                stamp(t, "first_frame");
        }
}

static void
loop(struct tui *t)
{
        int64_t tick = now_ms();

        while (!t->quit_loop) {
                struct pollfd pfd[3];
                int64_t now = now_ms();
                int timeout = -1;

                if (t->view.dirty && now - t->view.last_draw >= TUI_FRAME_MS)
                        draw_now(t);
                if (t->view.dirty)
                        timeout = (int)(t->view.last_draw + TUI_FRAME_MS - now);
                else if (running(t) || t->run.prog_what)
                        timeout = (int)(tick + 1000 - now);
                if (timeout < -1 || (timeout < 0 && (t->view.dirty || running(t))))
                        timeout = 0;
                pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
                pfd[1] = (struct pollfd){ .fd = t->conn.fd, .events = POLLIN };
                if (t->conn.fd >= 0 && t->conn.outq.len)
                        pfd[1].events |= POLLOUT;
                pfd[2] = (struct pollfd){ .fd = t->sig[0], .events = POLLIN };
                if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
                        break;
                if (pfd[2].revents & POLLIN)
                        handle_signals(t);
                if (t->quit_loop)
                        break;
                if (pfd[0].revents & (POLLHUP | POLLERR)) {
                        t->quit_loop = true;    /* the terminal is gone */
                        t->hangup = true;
                        break;
                }
                if (pfd[0].revents & POLLIN)
                        read_keys(t);
                if (pfd[1].revents & POLLOUT)
                        tui_flush_out(t);
                if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
                        tui_read_worker(t);
                if (now_ms() - tick >= 1000) {
                        tick = now_ms();
                        if (running(t) || t->run.prog_what)
                                tui_dirty(t);
                }
        }
}

static void
init_plan(struct tui *t)
{
        const struct plan *p = t->o.plan;
        char host[256] = "";

        gethostname(host, sizeof host - 1);
        t->run.plan_id = xstrdup(p->id);
        t->run.title = xstrdup(p->title);
        t->run.host = xstrdup(host);
        t->run.target = xstrdup(p->target);
        t->run.state_dir = xstrdup(t->o.state_dir);
        t->run.current = -1;
        for (int i = 0; i < STEP_COUNT && step_registry[i]; i++) {
                const struct step_module *s = step_registry[i];

                t->run.steps[i].title = xstrdup(_(s->title));
                t->run.steps[i].what = xstrdup(_(s->what));
                t->run.steps[i].consequence = s->consequence ? xstrdup(_(s->consequence)) : NULL;
                t->run.steps[i].destructive = s->risk == RISK_DESTRUCTIVE;
                t->run.steps[i].ms = -1;
                t->run.steps[i].st = ST_PENDING;
        }
}

struct tui *
tui_new(const struct tui_opts *o, struct diag *d)
{
        struct tui *t;
        struct sigaction sa;
        const char *tr = getenv("UPSHIFT_TUI_TRACE");

        if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
                diag_set(d, _("the wizard needs a terminal"));
                return NULL;
        }
        t = xcalloc(1, sizeof *t);
        t->o = *o;
        t->conn.fd = -1;
        t->sig[0] = t->sig[1] = -1;
        if (tr && *tr)
                t->trace = fopen(tr, "ae");
        stamp(t, "start");
        if (pipe2(t->sig, O_CLOEXEC | O_NONBLOCK) < 0) {
                diag_set(d, _("cannot make a pipe: %s"), strerror(errno));
                goto fail;
        }
        sig_fd = t->sig[1];
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ARRAY_SIZE(tui_signals); i++)
                sigaction(tui_signals[i], &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        t->screen = newterm(NULL, stdout, stdin);
        if (t->screen == NULL) {
                diag_set(d, _("cannot use the terminal \"%s\" (see TERM)"),
                         getenv("TERM") ? getenv("TERM") : "");
                goto fail;
        }
        t->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
        raw();
        noecho();
        nonl();
        keypad(stdscr, TRUE);
        nodelay(stdscr, TRUE);
        set_escdelay(25);
        curs_set(0);
        tui_init_look(t);
        getmaxyx(stdscr, t->rows, t->cols);
        init_plan(t);
        t->view.scr = SCR_START;
        draw_now(t);
        return t;
fail:
        if (t->sig[0] >= 0) {
                close(t->sig[0]);
                close(t->sig[1]);
        }
        sig_fd = -1;
        if (t->trace)
                fclose(t->trace);
        free(t);
        return NULL;
}

enum tui_resume
tui_resume(struct tui *t, const struct run_state *st, const char *log_path)
{
        t->view.resume = st;
        t->view.resume_choice = TUI_QUIT;
        tui_set(&t->run.log_path, log_path);
        for (int i = 0; i < STEP_COUNT; i++) {
                t->run.steps[i].st = st->status[i];
                t->run.steps[i].ms = st->ms[i];
        }
        if (kvlist_get(&st->facts, "version"))
                tui_set(&t->run.version, kvlist_get(&st->facts, "version"));
        if (st->target)
                tui_set(&t->run.target, st->target);
        t->view.scr = SCR_RESUME;
        t->view.menu = 0;
        t->quit_loop = false;
        tui_dirty(t);
        loop(t);
        t->quit_loop = false;
        t->view.resume = NULL;
        free(t->run.log_path);
        t->run.log_path = NULL;
        tui_log_release(&t->log);
        t->log.full = false;
        t->view.scr = SCR_START;
        tui_dirty(t);
        return t->view.resume_choice;
}

int
tui_run(struct tui *t, int fd, pid_t worker)
{
        struct proto_msg m;

        t->conn.fd = fd;
        t->conn.worker = worker;
        t->run.code = EXIT_STEPFAIL;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        worker_hello(&m, "client");
        tui_send(t, &m);
        proto_release(&m);
        t->log.pane = true;
        loop(t);
        if (t->conn.fd >= 0) {
                close(t->conn.fd);
                t->conn.fd = -1;
        }
        if (!t->hangup && !t->conn.worker_gone && t->conn.worker > 0) {
                int status;

                /* The run has ended: the worker is writing its last bytes. */
                if (t->run.ended && waitpid(t->conn.worker, &status, 0) == t->conn.worker) {
                        t->conn.worker_gone = true;
                        t->conn.worker_status = status;
                }
        }
        if (!t->run.ended && t->conn.worker_gone && WIFEXITED(t->conn.worker_status))
                t->run.code = WEXITSTATUS(t->conn.worker_status);
        stamp(t, "end");
        if (t->trace) {
                struct rusage self, kids;

                /* For bench/tui.sh: the wizard's CPU and peak RSS, and the
                 * CPU of the worker and its commands (reaped above). */
                getrusage(RUSAGE_SELF, &self);
                getrusage(RUSAGE_CHILDREN, &kids);
                fprintf(t->trace, "cpu_self_us %lld\ncpu_children_us %lld\nmaxrss_kb %ld\n",
                        (long long)(self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1000000 +
                        self.ru_utime.tv_usec + self.ru_stime.tv_usec,
                        (long long)(kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1000000 +
                        kids.ru_utime.tv_usec + kids.ru_stime.tv_usec, self.ru_maxrss);
                fflush(t->trace);
        }
        return t->run.code;
}

void
tui_forget(struct tui *t)
{
        sig_fd = -1;
        for (size_t i = 0; i < ARRAY_SIZE(tui_signals); i++)
                signal(tui_signals[i], SIG_DFL);
        close(t->sig[0]);
        close(t->sig[1]);
        if (t->trace)
                fclose(t->trace);
        t->trace = NULL;
}

void
tui_free(struct tui *t)
{
        if (t == NULL)
                return;
        endwin();
        delscreen(t->screen);
        sig_fd = -1;
        for (size_t i = 0; i < ARRAY_SIZE(tui_signals); i++)
                if (tui_signals[i] != SIGINT && tui_signals[i] != SIGTERM &&
                    tui_signals[i] != SIGHUP)
                        signal(tui_signals[i], SIG_DFL);
        if (t->farewell)
                printf("upshift: %s\n", t->farewell);
        else if (!t->hangup)
                tui_print_report(t);
        close(t->sig[0]);
        close(t->sig[1]);
        if (t->conn.fd >= 0)
                close(t->conn.fd);
        if (t->trace)
                fclose(t->trace);
        free(t->run.plan_id);
        free(t->run.title);
        free(t->run.host);
        free(t->run.version);
        free(t->run.target);
        free(t->run.state_dir);
        free(t->run.log_path);
        for (int i = 0; i < STEP_COUNT; i++) {
                free(t->run.steps[i].title);
                free(t->run.steps[i].what);
                free(t->run.steps[i].consequence);
                free(t->run.steps[i].note);
        }
        free(t->run.info);
        free(t->conn.bye_message);
        free(t->run.prog_what);
        strv_release(&t->run.env);
        tui_log_release(&t->log);
        tui_form_release(&t->view.form);
        free(t->view.text);
        free(t->view.confirm.what);
        free(t->view.req_step);
        free(t->view.failure.log);
        free(t->view.status);
        free(t->farewell);
        proto_release(&t->run.end);
        proto_reader_release(&t->conn.rd);
        strbuf_release(&t->conn.outq);
        free(t);
}
