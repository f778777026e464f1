/* engine_down.c: a run that stops with the service down and its journal
 * failing (a disk gone read-only or full): the last lines say that the
 * service is down, how to start the old version by hand, and where a log
 * off the failed disk is (or that none could be written). */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/i18n.h"
#include "lib/service.h"

/* True when a shell script names the variable ($name or ${name}). */
static bool
script_names(const char *script, const char *name, size_t len)
{
        for (const char *p = strchr(script, '$'); p; p = strchr(p + 1, '$')) {
                const char *n = p + 1 + (p[1] == '{');

                if (strncmp(n, name, len) == 0 &&
                    strspn(n + len, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == 0)
                        return true;
        }
        return false;
}

/* "env NAME=VALUE ..." from the start command's environment, so that it
 * runs by hand as the engine runs it: for a shell script, the entries it
 * names. */
static void
env_prefix(const struct service *s, struct strv *argv)
{
        strv_push(argv, "env");
        for (size_t i = 0; s->start_env && s->start_env[i]; i++) {
                const char *kv = s->start_env[i];

                if (s->start_shell == NULL || script_names(s->start_shell, kv, strcspn(kv, "=")))
                        strv_push(argv, kv);
        }
}

/* The command that starts the service by hand; NULL when unknown. */
static char *
start_command(struct engine *e)
{
        struct service s = {0};
        struct strv v = {0};
        struct diag quiet = {0};
        char *cmd = NULL;

        if (engine_service(e, &s, &quiet) < 0)
                return NULL;
        if (s.start_argv || s.start_shell) {
                if (s.start_shell) {
                        env_prefix(&s, &v);
                        strv_push(&v, "sh");
                        strv_push(&v, "-c");
                        strv_push(&v, s.start_shell);
                } else {
                        if (s.start_env)
                                env_prefix(&s, &v);
                        for (size_t i = 0; s.start_argv[i]; i++)
                                strv_push(&v, s.start_argv[i]);
                }
        } else if (s.manager == SVC_SYSTEMD) {
                strv_push(&v, "systemctl");
                strv_push(&v, "start");
                strv_push(&v, s.name);
        } else if (s.manager == SVC_SYSV || s.manager == SVC_OPENRC) {
                strv_push(&v, s.manager == SVC_SYSV ? "service" : "rc-service");
                strv_push(&v, s.name);
                strv_push(&v, "start");
        }
        if (v.n > 0)
                cmd = exec_argv_display(v.v);
        strv_release(&v);
        service_release(&s);
        return cmd;
}

/* What happened, in a file off the state directory's disk. Its path, or
 * NULL when it could not be written either. */
static char *
write_note(struct engine *e, const char *text)
{
        const char *tmp = getenv("TMPDIR");
        char *path = xasprintf("%s/upshift-%s-%lld.log", tmp && *tmp ? tmp : "/tmp",
                               e->plan->id, (long long)time(NULL));
        struct diag quiet = {0};

        if (write_file_atomic(path, text, strlen(text), 0600, &quiet) < 0) {
                free(path);
                return NULL;
        }
        return path;
}

bool
engine_down_after_failure(const struct engine *e)
{
        return e->journal_failed && engine_fact(e, FACT_STOP_AT) != NULL &&
               engine_fact(e, FACT_VERIFY_READY_AT) == NULL &&
               !(e->st.rolling_back && e->st.undone[STEP_STOP]);
}

char *
engine_down_message(struct engine *e, const char *msg, char **ret_log)
{
        struct strbuf sb = {0};
        char *start = start_command(e), *note;

        strbuf_addf(&sb, "%s\n", msg ? msg : "");
        strbuf_addf(&sb, _("the service is DOWN: this upgrade stopped it, and the journal in %s cannot be written, so upshift cannot go on\n"),
                    e->opts->state_dir);
        if (e->st.begun[STEP_SWAP])
                strbuf_addf(&sb, _("the new files may be in place (the old ones are kept beside them as FILE.upshift-old); when the disk is writable again, roll back with:\n  %s\n"),
                            e->opts->rollback_cmd ? e->opts->rollback_cmd : "upshift rollback");
        if (start && !e->st.begun[STEP_SWAP])
                strbuf_addf(&sb, _("the old version's files are in place: start it by hand with:\n  %s\n"), start);
        else if (start)
                strbuf_addf(&sb, _("with the old files back, start it by hand with:\n  %s\n"), start);
        free(start);
        note = write_note(e, sb.buf);
        if (note)
                strbuf_addf(&sb, _("this is also written to %s (the log in the state directory may be incomplete)"), note);
        else
                strbuf_addf(&sb, _("no log could be written (the log in the state directory may be incomplete)"));
        *ret_log = note;
        return strbuf_detach(&sb);
}
