/* worker.c: the worker's socket in the state directory: listen, connect,
 * recognise a stale one, check the peer, ask the worker how it stands
 * (worker.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/i18n.h"
#include "lib/util.h"
#include "ui/proto_msg.h"
#include "ui/worker.h"

#define QUERY_MS 2000

/* The address of DIR/name. A path too long for sun_path goes through
 * /proc/self/fd of the directory, opened in *dirfd (close it after). */
static int
sock_addr(const char *state_dir, const char *name, struct sockaddr_un *sa, socklen_t *len,
          int *dirfd, struct diag *d)
{
        char *p = path_join(state_dir, name);

        *dirfd = -1;
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        if (strlen(p) < sizeof sa->sun_path) {
                memcpy(sa->sun_path, p, strlen(p) + 1);
        } else {
                *dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (*dirfd < 0) {
                        diag_set(d, _("cannot open state directory \"%s\": %s"), state_dir,
                                 strerror(errno));
                        free(p);
                        return -1;
                }
                snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", *dirfd, name);
        }
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
        free(p);
        return 0;
}

static void
close_dirfd(int fd)
{
        if (fd >= 0)
                close(fd);
}

int
worker_connect(const char *state_dir, int *ret_fd, bool *ret_stale, struct diag *d)
{
        struct sockaddr_un sa;
        socklen_t len;
        int fd, dirfd, r, err;
        char *path;

        *ret_fd = -1;
        if (ret_stale)
                *ret_stale = false;
        if (sock_addr(state_dir, WORKER_SOCK, &sa, &len, &dirfd, d) < 0)
                return -1;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                diag_set(d, _("cannot make a socket: %s"), strerror(errno));
                close_dirfd(dirfd);
                return -1;
        }
        r = connect(fd, (struct sockaddr *)&sa, len);
        err = errno;
        close_dirfd(dirfd);
        if (r == 0) {
                *ret_fd = fd;
                return 1;
        }
        close(fd);
        path = path_join(state_dir, WORKER_SOCK);
        if (err == ENOENT || err == ENOTDIR) {
                free(path);
                return 0;
        }
        if (err == ECONNREFUSED) {
                struct stat st;

                /* Nobody listens: the worker that made it is dead (a live
                 * worker's socket was listening before it had this name). */
                if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) == 0 &&
                    ret_stale)
                        *ret_stale = true;
                free(path);
                return 0;
        }
        if (err == EACCES || err == EPERM)
                diag_set(d, _("cannot reach the upgrade's worker at \"%s\": %s (it belongs to another user: run upshift as that user or as root)"),
                         path, strerror(err));
        else
                diag_set(d, _("cannot reach the upgrade's worker at \"%s\": %s"), path,
                         strerror(err));
        free(path);
        return -1;
}

int
worker_listen(const char *state_dir, struct worker_sock *ret, struct diag *d)
{
        struct sockaddr_un sa;
        struct stat st;
        socklen_t len;
        char name[64], *tmp = NULL, *path = NULL;
        int fd, dirfd = -1, r = -1;
        mode_t old;

        ret->fd = -1;
        snprintf(name, sizeof name, "%s.%ld", WORKER_SOCK, (long)getpid());
        tmp = path_join(state_dir, name);
        path = path_join(state_dir, WORKER_SOCK);
        unlink(tmp);
        if (sock_addr(state_dir, name, &sa, &len, &dirfd, d) < 0)
                goto out;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                diag_set(d, _("cannot make a socket: %s"), strerror(errno));
                goto out;
        }
        old = umask(0077);
        r = bind(fd, (struct sockaddr *)&sa, len);
        umask(old);
        if (r < 0 || chmod(tmp, 0600) < 0 || listen(fd, 8) < 0) {
                diag_set(d, _("cannot listen on \"%s\": %s"), tmp, strerror(errno));
                close(fd);
                r = -1;
                goto out;
        }
        if (link(tmp, path) < 0) {
                int err = errno;

                close(fd);
                if (err == EEXIST) {
                        r = 0;
                } else {
                        diag_set(d, _("cannot make \"%s\": %s"), path, strerror(err));
                        r = -1;
                }
                goto out;
        }
        if (lstat(path, &st) < 0) {
                diag_set(d, _("cannot read \"%s\": %s"), path, strerror(errno));
                unlink(path);
                close(fd);
                r = -1;
                goto out;
        }
        ret->fd = fd;
        ret->dev = st.st_dev;
        ret->ino = st.st_ino;
        r = 1;
out:
        unlink(tmp);
        close_dirfd(dirfd);
        free(tmp);
        free(path);
        return r;
}

void
worker_unlisten(const char *state_dir, struct worker_sock *ws)
{
        char *path;
        struct stat st;

        if (ws->fd < 0)
                return;
        path = path_join(state_dir, WORKER_SOCK);
        if (lstat(path, &st) == 0 && st.st_dev == ws->dev && st.st_ino == ws->ino)
                unlink(path);
        free(path);
        close(ws->fd);
        ws->fd = -1;
}

bool
worker_peer_ok(int fd, uid_t *ret_uid, pid_t *ret_pid)
{
        struct ucred cr;
        socklen_t len = sizeof cr;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
                return false;
        if (ret_uid)
                *ret_uid = cr.uid;
        if (ret_pid)
                *ret_pid = cr.pid;
        return cr.uid == geteuid() || cr.uid == 0;
}

void
worker_hello(struct proto_msg *m, const char *role)
{
        struct passwd *pw = getpwuid(geteuid());
        const char *tty = ttyname(STDIN_FILENO);
        char uid[32];
        struct pmsg_hello h = {
                .v = PROTO_VERSION, .role = role, .user = uid, .tty = tty ? tty : "",
                .pid = (long)getpid(),
        };

        snprintf(uid, sizeof uid, "%ld", (long)geteuid());
        if (pw)
                h.user = pw->pw_name;
        pmsg_hello_encode(&h, m);
}

char *
worker_who(const struct proto_msg *m)
{
        const char *user = proto_get(m, "user"), *tty = proto_get(m, "tty");
        const char *since = proto_get(m, "since");
        struct strbuf sb = {0};

        strbuf_adds(&sb, user && *user ? user : "?");
        if (tty && *tty)
                /* TRANSLATORS: "root on /dev/pts/1, pid 123" */
                strbuf_addf(&sb, _(" on %s"), tty);
        strbuf_addf(&sb, _(", pid %lld"), proto_get_int(m, "pid", 0));
        if (since && *since)
                strbuf_addf(&sb, _(", since %s"), since);
        return strbuf_detach(&sb);
}

/* Send m on a blocking fd, then read one message (QUERY_MS at most). */
static int
exchange(int fd, const struct proto_msg *m, struct proto_msg *ret, struct diag *d)
{
        struct proto_reader rd = {0};
        struct strbuf sb = {0};
        int64_t end = now_ms() + QUERY_MS;
        int r = -1;

        proto_encode(m, &sb);
        if (send(fd, sb.buf, sb.len, MSG_NOSIGNAL) != (ssize_t)sb.len) {
                diag_set(d, _("cannot talk to the upgrade's worker: %s"), strerror(errno));
                goto out;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        while (now_ms() < end) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                struct diag dd = {0};
                int n;

                if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
                        continue;
                n = proto_read(&rd, fd);
                if (n == -EAGAIN)
                        continue;
                if (n <= 0)
                        break;
                while ((n = proto_next(&rd, ret, &dd)) != 0) {
                        if (n == 1 && !proto_is(ret, "hello")) {
                                r = 0;
                                goto out;
                        }
                        proto_release(ret);
                        if (n < 0)
                                break;
                }
        }
        diag_set(d, _("the upgrade's worker did not answer"));
out:
        strbuf_release(&sb);
        proto_reader_release(&rd);
        return r;
}

int
worker_query(const char *state_dir, struct worker_info *ret, struct diag *d)
{
        struct proto_msg m, rep = {0};
        struct pmsg_status st;
        struct pmsg_refused no;
        int fd, r;

        memset(ret, 0, sizeof *ret);
        r = worker_connect(state_dir, &fd, NULL, d);
        if (r <= 0)
                return r;
        worker_hello(&m, "status");
        r = exchange(fd, &m, &rep, d);
        proto_release(&m);
        close(fd);
        if (r < 0)
                return -1;
        if (pmsg_type_of(&rep) != PMSG_STATUS) {
                pmsg_refused_decode(&rep, &no);
                diag_set(d, _("the upgrade's worker refused to say how it stands: %s"),
                         no.reason ? no.reason : rep.type);
                proto_release(&rep);
                return -1;
        }
        pmsg_status_decode(&rep, &st);
        ret->pid = st.pid;
        ret->rollback = st.action && strcmp(st.action, "rollback") == 0;
        ret->waiting = st.waiting;
        ret->what = xstrdup(st.what);
        ret->client = xstrdup(st.client);
        proto_release(&rep);
        return 1;
}

void
worker_info_release(struct worker_info *wi)
{
        free(wi->what);
        free(wi->client);
        memset(wi, 0, sizeof *wi);
}
