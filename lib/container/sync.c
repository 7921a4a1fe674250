/* The parent/child sync protocol: fixed-size messages over a SOCK_SEQPACKET socket pair, with
 * an optional fd passed by SCM_RIGHTS (the pty master). */
#include "container/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static int
send_msg(int fd, const struct sync_msg *m, int passfd)
{
    struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (passfd >= 0) {
        memset(&u, 0, sizeof(u));
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof(u.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passfd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int
sync_send(int fd, int type, int passfd)
{
    struct sync_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    return send_msg(fd, &m, passfd);
}

int
sync_send_err(int fd, const struct kpod_err *e)
{
    struct sync_msg m;
    memset(&m, 0, sizeof(m));
    m.type = SYNC_ERROR;
    if (e != NULL) {
        m.kind = e->kind;
        m.errnum = e->errnum;
        snprintf(m.text, sizeof(m.text), "%s", e->msg ? e->msg : "unknown error");
    } else {
        snprintf(m.text, sizeof(m.text), "unknown error");
    }
    return send_msg(fd, &m, -1);
}

int
sync_recv(int fd, struct sync_msg *m, int *ret_fd)
{
    struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    if (ret_fd != NULL)
        *ret_fd = -1;
    ssize_t n;
    do
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(*m))
        return -1;
    m->text[sizeof(m->text) - 1] = '\0';
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got = -1;
            memcpy(&got, CMSG_DATA(c), sizeof(int));
            if (ret_fd != NULL)
                *ret_fd = got;
            else
                close(got);
        }
    }
    return 0;
}

int
sync_to_err(const struct sync_msg *m, struct kpod_err **err)
{
    /* The message already carries ": strerror"; keep errnum for callers. */
    int r = kpod_err_set(err, (enum kpod_err_kind)m->kind, 0, "%s", m->text);
    if (err != NULL && *err != NULL)
        (*err)->errnum = m->errnum;
    return r;
}

int
console_send(int sock, int master)
{
    /* The OCI console-socket protocol: the pty master by SCM_RIGHTS, with a name as payload. */
    static const char name[] = "/dev/ptmx";
    struct iovec iov = {.iov_base = (void *)name, .iov_len = sizeof(name) - 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}
