/* exec_spawn.c: how a child is started (exec.h: exec_vfork, exec_env_new),
 * for exec_run and exec_spawn_detached. */
#include <config.h>

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/exec.h"
#include "lib/util.h"

pid_t
exec_vfork(void (*child)(void *arg), void *arg)
{
        pid_t pid = vfork();

        if (pid == 0) {
                struct sigaction sa;
                sigset_t none;

                /* Our handlers and mask are not the command's. */
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = SIG_DFL;
                for (int sig = 1; sig < NSIG; sig++)
                        sigaction(sig, &sa, NULL);      /* fails harmlessly for KILL, STOP */
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                child(arg);
                _exit(127);
        }
        return pid;
}

/* Built before the child starts, so that the child does not allocate. */
char **
exec_env_new(char *const *add)
{
        size_t nenv = 0, nadd = 0, n = 0, i, j;
        char **v;

        while (environ != NULL && environ[nenv] != NULL)
                nenv++;
        while (add != NULL && add[nadd] != NULL)
                nadd++;
        v = xcalloc(nenv + nadd + 1, sizeof *v);
        for (i = 0; i < nenv; i++) {
                const char *eq = strchr(environ[i], '=');
                size_t klen = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);
                bool replaced = false;

                for (j = 0; j < nadd && !replaced; j++)
                        replaced = strncmp(add[j], environ[i], klen) == 0 &&
                                   add[j][klen] == '=';
                if (!replaced)
                        v[n++] = environ[i];
        }
        for (j = 0; j < nadd; j++)
                if (strchr(add[j], '=') != NULL)
                        v[n++] = add[j];
        v[n] = NULL;
        return v;
}
