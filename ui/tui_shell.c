/* tui_shell.c: the operator's shell, opened from the failure screen. */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "ui/tui_int.h"

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
                for (size_t i = 0; i < t->run.env.n; i++)
                        putenv(t->run.env.v[i]);
                if (t->view.failure.log)
                        setenv("UPSHIFT_LOG", t->view.failure.log, 1);
                printf("\n%s\n", _("upshift: a shell with the plan's variables in its environment "
                                   "(env shows them); the wizard comes back when it exits."));
                if (t->view.failure.log)
                        printf(_("upshift: the log of the run is %s\n"), t->view.failure.log);
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
