/* serving.c: the process that serves runs the swapped file (serving.h). */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/service.h"
#include "lib/util.h"
#include "steps/serving.h"
#include "steps/staging.h"

/* How the service is named in messages: "port 6379", or its name. */
static char *
serving_where(const struct service *s)
{
        if (s->port > 0)
                /* TRANSLATORS: ends "the process serving ..."; %d is a TCP port. */
                return xasprintf(_("port %d"), s->port);
        if (s->name != NULL && s->name[0] != '\0')
                return xasprintf("\"%s\"", s->name);
        return xstrdup(_("the service"));
}

/* The pid serving, or 0 (said why) when it cannot be told. */
static pid_t
serving_pid(struct step_ctx *ctx, char **ret_where)
{
        struct service s = {0};
        struct diag why = {0};
        pid_t pid = 0;
        int r;

        if (step_service(ctx, &s, &why) < 0) {
                *ret_where = xstrdup(_("the service"));
                return 0;
        }
        *ret_where = serving_where(&s);
        r = service_status(&s, step_runner(ctx), &pid, &why);
        service_release(&s);
        if (r == 1 && pid > 0)
                return pid;
        /* TRANSLATORS: %s names the service ("port 6379"). */
        step_say(ctx, OUT_INFO, _("which process serves %s is not known (no pid file or "
                                  "main pid): its executable is not checked"), *ret_where);
        return 0;
}

/* The swap's entry whose target is path, or -1. */
static long
serving_entry(struct step_ctx *ctx, const char *path)
{
        size_t n = staged_count(ctx);
        const char *t;

        for (size_t i = 0; i < n; i++)
                if ((t = swap_rec(ctx, SWAP_TARGET, i)) != NULL && strcmp(t, path) == 0)
                        return (long)i;
        return -1;
}

/* The SHA-256 of entry i's old file: swap.old's, or when the swap never
 * reached it (the upgrade stopped before), the file still in place at
 * path (hashed into disk). NULL when neither can be told. */
static const char *
serving_old(struct step_ctx *ctx, long i, const char *path, char disk[SHA256_HEX_LEN + 1])
{
        const char *oldh = swap_rec(ctx, SWAP_OLD, (size_t)i);

        if (oldh == NULL && sha256_file(path, disk, NULL, NULL) == 0)
                oldh = disk;
        return oldh;
}

static int
serving_compare(struct step_ctx *ctx, enum serving_side side, const char *where,
                pid_t pid, const char *path, const char *shown, const char *hex, long i)
{
        const char *newh = staged_get(ctx, (size_t)i, "sha256");
        char disk[SHA256_HEX_LEN + 1];
        const char *oldh = serving_old(ctx, i, path, disk);
        const char *want = side == SERVING_NEW ? newh : oldh;
        const char *what;

        if (want != NULL && strcmp(hex, want) == 0) {
                /* TRANSLATORS: %1$s names the service ("port 6379"), %2$d is
                 * a pid, %3$s a file, %4$s "the new file" or "the old file". */
                step_say(ctx, OUT_INFO, _("the process serving %s (pid %d) runs %s: %s"), where,
                         (int)pid, shown, side == SERVING_NEW ? _("the new file") : _("the old file"));
                return STEP_OK;
        }
        if (oldh != NULL && strcmp(hex, oldh) == 0)
                what = _("the old file");
        else if (newh != NULL && strcmp(hex, newh) == 0)
                what = _("the new file");
        else
                what = _("neither the old file nor the new one");
        if (side == SERVING_NEW)
                /* TRANSLATORS: %1$s names the service, %2$d is a pid, %3$s a
                 * file, %4$s "the old file" (or another such phrase). */
                diag_set(ctx->diag, _("the process serving %s (pid %d) runs %s: %s, not the one "
                                      "the swap installed; restart it (the plan's service start "
                                      "must), then resume, or roll back"),
                         where, (int)pid, shown, what);
        else
                /* TRANSLATORS: as above, after a rollback. */
                diag_set(ctx->diag, _("the process serving %s (pid %d) runs %s: %s, not the old "
                                      "one put back; restart it (the plan's service stop and "
                                      "start) so that it runs the old file"),
                         where, (int)pid, shown, what);
        return STEP_FAILED;
}

int
serving_check(struct step_ctx *ctx, enum serving_side side)
{
        char hex[SHA256_HEX_LEN + 1], *where = NULL, *exe = NULL, *shown;
        struct diag why = {0};
        bool deleted = false;
        pid_t pid;
        long i;
        int r = STEP_OK;

        pid = serving_pid(ctx, &where);
        if (pid <= 0) {
                free(where);
                return STEP_OK;
        }
        if (service_exe(pid, &exe, &deleted, hex, &why) < 0) {
                /* TRANSLATORS: %s says why the executable could not be read. */
                step_say(ctx, OUT_INFO, _("%s: not checked"), why.msg);
                free(where);
                return STEP_OK;
        }
        shown = deleted ? xasprintf("%s (deleted)", exe) : xstrdup(exe);
        i = serving_entry(ctx, exe);
        if (i < 0)
                /* TRANSLATORS: %1$d is a pid, %2$s a file. */
                step_say(ctx, OUT_INFO, _("pid %d runs %s, which the swap does not replace: "
                                          "not checked"), (int)pid, shown);
        else
                r = serving_compare(ctx, side, where, pid, exe, shown, hex, i);
        free(shown);
        free(exe);
        free(where);
        return r;
}

int
serving_runs(struct step_ctx *ctx, enum serving_side side)
{
        char hex[SHA256_HEX_LEN + 1], disk[SHA256_HEX_LEN + 1], *exe = NULL;
        struct service s = {0};
        struct diag why = {0};
        const char *want;
        bool deleted = false;
        pid_t pid = 0;
        long i;
        int r;

        if (step_service(ctx, &s, &why) < 0)
                return -EINVAL;
        r = service_status(&s, step_runner(ctx), &pid, &why);
        service_release(&s);
        if (r != 1 || pid <= 0)
                return r == 0 ? 0 : -ESRCH;
        if (service_exe(pid, &exe, &deleted, hex, &why) < 0)
                return 0;       /* gone meanwhile: a reload replaces it */
        i = serving_entry(ctx, exe);
        if (i < 0) {
                free(exe);
                return -ENOENT;
        }
        want = side == SERVING_NEW ? staged_get(ctx, (size_t)i, "sha256")
                                   : serving_old(ctx, i, exe, disk);
        free(exe);
        return want != NULL && strcmp(want, hex) == 0;
}
