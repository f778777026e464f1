/* staging_beneath.c: where the files of a mapped directory are written,
 * removed and renamed: in directories opened beneath it (fs_open_beneath:
 * openat2 RESOLVE_BENEATH, or O_NOFOLLOW at every component), so that no
 * link planted below it, by an earlier package or by anyone since detect
 * looked, is ever written through (staging.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/package.h"
#include "lib/util.h"
#include "steps/staging.h"

/* The mapped directory of entry e, as the plan says it now (ends in "/").
 * New string, or NULL with the message in ctx->diag. */
static char *
map_root(struct step_ctx *ctx, const struct staged_entry *e)
{
        char *root = NULL;

        if (e->map >= ctx->plan->swap.n_files ||
            step_expand(ctx, ctx->plan->swap.files[e->map].target, &root) < 0)
                return NULL;
        return root;
}

/* path below root (root ending in "/", or where it leads): what follows. */
static const char *
below_root(const char *root, const char *path)
{
        size_t n = strlen(root);
        char *real;
        const char *rel = NULL;

        if (strncmp(path, root, n) == 0)
                return path + n;
        real = realpath(root, NULL);
        if (real != NULL) {
                n = strlen(real);
                if (strncmp(path, real, n) == 0 && path[n] == '/')
                        rel = path + n + 1;
        }
        free(real);
        return rel;
}

const char *
staging_path_last(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}

int
staging_open_dir(struct step_ctx *ctx, const struct staged_entry *e, const char *path,
                 const char **ret_name, bool *ret_missing)
{
        const char *slash = strrchr(path, '/'), *rel;
        char *dir, *root;
        int fd;

        *ret_name = slash ? slash + 1 : path;
        if (ret_missing)
                *ret_missing = false;
        if (!e->dir) {
                dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                            : xstrdup(".");
                fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                fd = fd < 0 ? -errno : fd;
        } else {
                if ((root = map_root(ctx, e)) == NULL)
                        return STEP_FAILED;
                if ((rel = below_root(root, path)) == NULL) {
                        /* TRANSLATORS: a file, then the directory of the plan it
                         * should be below. */
                        diag_set(ctx->diag, _("\"%s\" is not below the mapped directory \"%s\": was the plan or its answers changed since detect?"),
                                 path, root);
                        free(root);
                        return STEP_FAILED;
                }
                dir = xstrndup(rel, (size_t)(*ret_name - rel));
                fd = fs_open_beneath(root, dir, FS_BENEATH_ANY);
                if (fd == -ELOOP || fd == -EXDEV || fd == -ENOTDIR) {
                        if (package_target_check(root, rel, ctx->diag) == 0)
                                /* TRANSLATORS: a file, then the directory of the plan
                                 * it is below. */
                                diag_set(ctx->diag, _("\"%s\" would be written through a symlink below the mapped directory \"%s\": replace it with a directory (or remove it) and run again"),
                                         path, root);
                        free(root);
                        free(dir);
                        return STEP_FAILED;
                }
                free(root);
        }
        free(dir);
        if (fd == -ENOENT && ret_missing) {
                *ret_missing = true;
                return STEP_FAILED;
        }
        if (fd < 0) {
                diag_set(ctx->diag, _("cannot open the directory of \"%s\": %s"), path,
                         strerror(-fd));
                return STEP_FAILED;
        }
        return fd;
}

/* mkdir d, 0755: beneath entry e's mapped directory when d is below it.
 * 0 (made, or there already) or STEP_FAILED. */
int
staging_make_dir(struct step_ctx *ctx, const struct staged_entry *e, const char *d)
{
        char *root = map_root(ctx, e);
        const char *rel = root ? below_root(root, d) : NULL, *name;
        int fd, r;

        free(root);
        if (rel == NULL || *rel == '\0') {
                r = mkdir(d, 0755);
        } else {
                if ((fd = staging_open_dir(ctx, e, d, &name, NULL)) < 0)
                        return STEP_FAILED;
                r = mkdirat(fd, name, 0755);
                close(fd);
        }
        if (r < 0 && errno != EEXIST) {
                diag_set(ctx->diag, _("cannot create directory \"%s\": %s"), d, strerror(errno));
                return STEP_FAILED;
        }
        return 0;
}
