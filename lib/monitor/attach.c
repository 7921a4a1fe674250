/* `kpod attach`: each running container's monitor listens on <state dir>/attach.sock and copies
 * the container's output, as it logs it, to every attached client; a client's input goes to
 * the container's stdin (stdin: true) or its terminal (tty: true). Frames both ways: one byte
 * of stream (0 stdin, 1 stdout, 2 stderr, 3 exit code), four bytes of length (little endian),
 * the data. A client that cannot keep up is dropped: the container never waits for it. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/internal.h"

static int
attach_addr(const char *state_dir, int *ret_dirfd, struct sockaddr_un *sa, struct kpod_err **err)
{
    int dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return kpod_err_sys(err, "open '%s'", state_dir);
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/attach.sock", dirfd);
    *ret_dirfd = dirfd;
    return 0;
}

int
kpod_attach_listen(struct kpod_attach *a, const char *state_dir, struct kpod_err **err)
{
    memset(a, 0, sizeof(*a));
    a->lfd = -1;
    struct sockaddr_un sa;
    _cleanup_close_ int dirfd = -1;
    if (attach_addr(state_dir, &dirfd, &sa, err) < 0)
        return -1;
    unlink(sa.sun_path);
    a->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (a->lfd < 0 || bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(a->lfd, 8) < 0) {
        kpod_err_sys(err, "attach socket in '%s'", state_dir);
        if (a->lfd >= 0)
            close(a->lfd);
        a->lfd = -1;
        return -1;
    }
    return 0;
}

int
kpod_attach_accept(struct kpod_attach *a)
{
    int fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return -1;
    if (a->n == KPOD_ATTACH_MAX) {
        close(fd);
        return -1;
    }
    a->clients[a->n++] = fd;
    return fd;
}

void
kpod_attach_drop(struct kpod_attach *a, int fd)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->clients[i] != fd)
            continue;
        close(fd);
        a->clients[i] = a->clients[--a->n];
        return;
    }
}

static bool
send_frame(int fd, int stream, const void *buf, size_t len)
{
    unsigned char hdr[5] = {(unsigned char)stream, (unsigned char)(len & 0xff),
                            (unsigned char)((len >> 8) & 0xff), (unsigned char)((len >> 16) & 0xff),
                            (unsigned char)((len >> 24) & 0xff)};
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)buf, len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n == (ssize_t)(sizeof(hdr) + len); /* a partial frame: the client is too slow */
}

void
kpod_attach_broadcast(struct kpod_attach *a, int stream, const void *buf, size_t len)
{
    for (size_t i = 0; i < a->n;) {
        if (send_frame(a->clients[i], stream, buf, len)) {
            i++;
            continue;
        }
        close(a->clients[i]);
        a->clients[i] = a->clients[--a->n];
    }
}

void
kpod_attach_close(struct kpod_attach *a, int exit_code)
{
    uint32_t code = (uint32_t)exit_code;
    unsigned char le[4] = {code & 0xff, (code >> 8) & 0xff, (code >> 16) & 0xff, code >> 24};
    kpod_attach_broadcast(a, KPOD_ATTACH_EXIT, le, sizeof(le));
    for (size_t i = 0; i < a->n; i++)
        close(a->clients[i]);
    a->n = 0;
}

void
kpod_attach_fini(struct kpod_attach *a)
{
    for (size_t i = 0; i < a->n; i++)
        close(a->clients[i]);
    a->n = 0;
    if (a->lfd >= 0)
        close(a->lfd);
    a->lfd = -1;
}

int
kpod_attach_connect(const char *state_dir, struct kpod_err **err)
{
    struct sockaddr_un sa;
    _cleanup_close_ int dirfd = -1;
    if (attach_addr(state_dir, &dirfd, &sa, err) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        kpod_err_sys(err, "connect to the container's output");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* send(2) without SIGPIPE: the monitor may have closed the connection (the container ended)
 * while the client still forwards input; that is an end, not a signal that kills kpod. */
static int
send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
kpod_attach_send(int fd, int stream, const void *buf, size_t len)
{
    unsigned char hdr[5] = {(unsigned char)stream, (unsigned char)(len & 0xff),
                            (unsigned char)((len >> 8) & 0xff), (unsigned char)((len >> 16) & 0xff),
                            (unsigned char)((len >> 24) & 0xff)};
    if (send_all(fd, hdr, sizeof(hdr)) < 0 || send_all(fd, buf, len) < 0)
        return -1;
    return 0;
}

int
kpod_attach_recv(int fd, int *ret_stream, char **ret_buf, size_t *ret_len)
{
    unsigned char hdr[5];
    ssize_t n = kpod_fs_read_all(fd, hdr, sizeof(hdr));
    if (n <= 0)
        return 0;
    if (n != sizeof(hdr))
        return -1;
    size_t len = hdr[1] | (size_t)hdr[2] << 8 | (size_t)hdr[3] << 16 | (size_t)hdr[4] << 24;
    if (len > (1u << 24))
        return -1;
    char *buf = xmalloc(len + 1);
    if (kpod_fs_read_all(fd, buf, len) != (ssize_t)len) {
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *ret_stream = hdr[0];
    *ret_buf = buf;
    *ret_len = len;
    return 1;
}
