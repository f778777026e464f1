/* engine_history.c: the old files of a finished upgrade.
 *
 * The swap keeps each replaced file as TARGET.upshift-old, for rollback.
 * Once the upgrade has finished nothing needs them, but the next upgrade's
 * swap refuses to start beside them. So when a run starts the next upgrade
 * in the same state directory, they move into STATE/history/TIME/ (the
 * target's path below it) and the journal says where
 * ({ev: upgrade_kept, history, files}, which starts the next upgrade
 * afresh); `upshift clean` removes them instead
 * ({ev: old_files_removed, files}). Only the journal's own swap targets
 * are looked at, after engine_check_journal_paths() accepted them, and
 * only while the upgrade has finished: an unfinished one keeps them. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"
#include "lib/i18n.h"

#define OLD_SUFFIX ".upshift-old"

/* A key "[hopN.]swap.target.N": 1, with the key of its old file's hash. */
static int
target_key(const char *key, char *ret_old, size_t size)
{
        unsigned hop, idx;
        int n = 0, pre = 0;

        if (sscanf(key, "hop%u.%n", &hop, &pre) == 1 && pre > 0)
                key += pre;
        else
                pre = 0;
        if (sscanf(key, "swap.target.%u%n", &idx, &n) != 1 || key[n] != '\0')
                return 0;
        snprintf(ret_old, size, "%.*sswap.old.%u.sha256", pre, key - pre, idx);
        return 1;
}

/* Copy a regular file or a symlink from to to (another filesystem). */
static int
copy_out(const char *from, const char *to, const struct stat *st, struct diag *d)
{
        char buf[65536];
        ssize_t n = 0;
        int in, out, r = 0;

        if (S_ISLNK(st->st_mode)) {
                char link[4096];
                ssize_t l = readlink(from, link, sizeof link - 1);

                if (l < 0 || (link[l] = '\0', symlink(link, to) < 0))
                        r = -errno;
        } else if ((in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
                r = -errno;
        } else {
                out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 0700);
                while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
                        if (write(out, buf, (size_t)n) != n)
                                break;
                if (out < 0 || n != 0 || fsync(out) < 0)
                        r = errno ? -errno : -EIO;
                if (out >= 0 && close(out) < 0 && r == 0)
                        r = -errno;
                close(in);
        }
        if (r < 0)
                diag_set(d, _("cannot copy \"%s\" to \"%s\": %s"), from, to, strerror(-r));
        return r;
}

/* One old file: into dir (NULL: removed). 1 when it was there. */
static int
keep_one(const char *target, const char *dir, struct diag *d)
{
        char *old = xasprintf("%s%s", target, OLD_SUFFIX), *to = NULL, *up;
        struct stat so, st;
        int r = 0;

        if (lstat(old, &so) < 0) {
                free(old);
                return 0;
        }
        /* The same inode as the target (a swap cut short between the link
         * and the rename): nothing of the old version to keep. */
        if (dir == NULL || (lstat(target, &st) == 0 && st.st_dev == so.st_dev && st.st_ino == so.st_ino)) {
                r = unlink(old) < 0 ? -errno : 0;
        } else {
                to = xasprintf("%s%s", dir, old);
                up = path_dirname(to);
                r = mkdir_p(up, 0700, d);
                free(up);
                if (r == 0 && rename(old, to) < 0) {
                        r = -errno;
                        if (r == -EXDEV && (r = copy_out(old, to, &so, d)) == 0)
                                r = unlink(old) < 0 ? -errno : 0;
                }
        }
        if (r < 0 && !diag_isset(d))
                diag_set(d, _("cannot move \"%s\" out of the way: %s"), old, strerror(-r));
        if (r == 0)
                r = fsync_dir_of(old, d);
        free(old);
        free(to);
        return r < 0 ? r : 1;
}

int
engine_history_keep(struct engine *e, bool remove, struct diag *d)
{
        char stamp[32], *dir = NULL, *hist = path_join(e->opts->state_dir, "history");
        const char *t = e->st.first_time ? e->st.first_time : "upgrade";
        struct strv targets = {0};
        struct jrec r = {0};
        size_t files = 0;
        int ret = 0;

        /* The facts change as records are journaled: copy the paths first. */
        for (size_t i = 0; i < e->st.facts.n; i++) {
                char oldkey[64];
                const char *h;

                if (target_key(e->st.facts.v[i].key, oldkey, sizeof oldkey) &&
                    ((h = kvlist_get(&e->st.facts, oldkey)) == NULL || strcmp(h, "none") != 0))
                        strv_push(&targets, e->st.facts.v[i].value);
        }
        snprintf(stamp, sizeof stamp, "%s", t);
        for (char *c = stamp; *c; c++)
                if (*c == ':')
                        *c = '-';
        if (!remove)
                dir = path_join(hist, stamp);
        for (size_t i = 0; i < targets.n && ret >= 0; i++)
                if ((ret = keep_one(targets.v[i], dir, d)) > 0)
                        files++;
        if (ret >= 0) {
                jrec_set(&r, "ev", remove ? "old_files_removed" : "upgrade_kept");
                if (!remove)
                        jrec_set(&r, "history", files > 0 ? dir : "");
                jrec_setf(&r, "files", "%zu", files);
                ret = engine_journal(e, &r, d);
        }
        if (ret >= 0 && files > 0 && remove)
                engine_say(e, OUT_INFO, _("removed the %zu old file(s) of the finished upgrade"), files);
        else if (ret >= 0 && files > 0)
                /* TRANSLATORS: a number of files, then a directory. */
                engine_say(e, OUT_INFO, _("the %zu old file(s) of the finished upgrade were moved to %s"),
                           files, dir);
        if (ret >= 0 && remove && path_exists(hist))
                ret = rm_tree(hist, d);
        strv_release(&targets);
        free(dir);
        free(hist);
        return ret < 0 ? ret : 0;
}
