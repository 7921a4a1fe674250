/* httpGet and tcpSocket handlers, checked by a short-lived child of the monitor that joins the
 * pod's network namespace: a non-blocking connect and a minimal HTTP/1.1 GET, each bounded by
 * the timeout. The monitor is static and small: no libcurl, and the child does the work. */
#include "monitor/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define MSG_MAX 512
#define REQ_MAX 8192

/* Waits for events on fd until deadline; 1 ready, 0 timed out. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - kpod_clock_mono_ns();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)((left + 999999) / 1000000));
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* let the following call report the error */
    }
}

/* The address to connect to: the handler's host, else the pod's first IPv4 address (what the
 * kubelet uses, the pod IP), else the loopback. */
static int
pick_addr(const struct kpod_monitor_handler *h, struct sockaddr_storage *ss, socklen_t *sl,
          char *text, size_t len)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (h->host != NULL && inet_pton(AF_INET6, h->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)h->port);
        *sl = sizeof(*in6);
        snprintf(text, len, "[%s]:%d", h->host, h->port);
        return 0;
    }
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)h->port);
    *sl = sizeof(*in4);
    in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (h->host != NULL) {
        if (inet_pton(AF_INET, h->host, &in4->sin_addr) != 1)
            return -1;
    } else {
        struct ifaddrs *ifs = NULL;
        if (getifaddrs(&ifs) == 0) {
            for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
                if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
                    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
                    continue;
                in4->sin_addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
                break;
            }
            freeifaddrs(ifs);
        }
    }
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a));
    snprintf(text, len, "%s:%d", a, h->port);
    return 0;
}

static int
dial(const struct sockaddr_storage *ss, socklen_t sl, const char *addr, int64_t deadline, char *msg,
     size_t len)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(msg, len, "dial tcp %s: socket: %s", addr, strerror(errno));
        return -1;
    }
    int r = connect(fd, (const struct sockaddr *)ss, sl);
    if (r < 0 && errno == EINPROGRESS) {
        if (!wait_fd(fd, POLLOUT, deadline)) {
            snprintf(msg, len, "dial tcp %s: i/o timeout", addr);
            close(fd);
            return -1;
        }
        int soerr = 0;
        socklen_t el = sizeof(soerr);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
        errno = soerr;
        r = soerr ? -1 : 0;
    }
    if (r < 0) {
        snprintf(msg, len, "dial tcp %s: connect: %s", addr, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static bool
has_header(char *const *headers, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
            return true;
    return false;
}

/* Sends the GET and reads the status line: 0 for 200-399 (any status for a hook), else -1. */
static int
http_get(int fd, const struct kpod_monitor_handler *h, const char *addr, bool hook,
         int64_t deadline, char *msg, size_t len)
{
    static char req[REQ_MAX];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n", h->path ? h->path : "/");
    const char *defaults[][2] = {
        {"Host", addr}, {"User-Agent", "kube-probe/kpod"}, {"Accept", "*/*"}};
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
        if (!has_header(h->headers, defaults[i][0]))
            n += snprintf(req + n, sizeof(req) - (size_t)n, "%s: %s\r\n", defaults[i][0],
                          defaults[i][1]);
    for (size_t i = 0; h->headers != NULL && h->headers[i] != NULL && n < REQ_MAX; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n", h->headers[i]);
    if (n < REQ_MAX)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "Connection: close\r\n\r\n");
    if (n >= REQ_MAX) {
        snprintf(msg, len, "request too large");
        return -1;
    }
    const char *url_path = h->path ? h->path : "/";
    for (size_t off = 0; off < (size_t)n;) {
        ssize_t w = send(fd, req + off, (size_t)n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline))
            continue;
        if (w <= 0) {
            snprintf(msg, len, "Get \"http://%s%s\": write: %s", addr, url_path,
                     w < 0 && errno != EAGAIN ? strerror(errno) : "i/o timeout");
            return -1;
        }
        off += (size_t)w;
    }
    char resp[1024];
    size_t got = 0;
    while (got < sizeof(resp) - 1 && memchr(resp, '\n', got) == NULL) {
        if (!wait_fd(fd, POLLIN, deadline)) {
            snprintf(msg, len, "Get \"http://%s%s\": context deadline exceeded", addr, url_path);
            return -1;
        }
        ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0) {
            snprintf(msg, len, "Get \"http://%s%s\": %s", addr, url_path,
                     r < 0 ? strerror(errno) : "EOF");
            return -1;
        }
        got += (size_t)r;
    }
    resp[got] = '\0';
    int major = 0, minor = 0, status = 0;
    if (sscanf(resp, "HTTP/%d.%d %d", &major, &minor, &status) != 3 || status < 100 ||
        status > 999) {
        snprintf(msg, len, "Get \"http://%s%s\": malformed HTTP response", addr, url_path);
        return -1;
    }
    if (hook || (status >= 200 && status < 400))
        return 0;
    snprintf(msg, len, "HTTP probe failed with statuscode: %d", status);
    return -1;
}

/* In the child: 0 success, else -1 with msg. */
static int
net_check(pid_t ctr_pid, const struct kpod_monitor_handler *h, int timeout_s, bool hook, char *msg,
          size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)ctr_pid);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
        snprintf(msg, len, "enter the pod's network namespace: %s", strerror(errno));
        return -1;
    }
    close(nsfd);
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    char addr[INET6_ADDRSTRLEN + 16];
    if (pick_addr(h, &ss, &sl, addr, sizeof(addr)) < 0) {
        snprintf(msg, len, "invalid host '%s'", h->host);
        return -1;
    }
    int64_t deadline = kpod_clock_mono_ns() + (int64_t)timeout_s * NS;
    char dmsg[256];
    int fd = dial(&ss, sl, addr, deadline, dmsg, sizeof(dmsg));
    if (fd < 0) {
        if (h->type == KPOD_MH_HTTP)
            snprintf(msg, len, "Get \"http://%s%s\": %s", addr, h->path ? h->path : "/", dmsg);
        else
            snprintf(msg, len, "%s", dmsg);
        return -1;
    }
    int r = h->type == KPOD_MH_HTTP ? http_get(fd, h, addr, hook, deadline, msg, len) : 0;
    close(fd);
    return r;
}

int
probe_net_start(pid_t ctr_pid, const struct kpod_monitor_handler *h, int timeout_s, bool hook,
                pid_t *ret_pid, int *ret_fd, char **ret_msg)
{
    int p[2] = {-1, -1};
    if (pipe2(p, O_CLOEXEC) < 0) {
        *ret_msg = xasprintf("create pipe: %m");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *ret_msg = xasprintf("fork: %m");
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm((unsigned)timeout_s + 2); /* a last resort; the watcher kills it at the deadline */
        /* none of the monitor's fds (container stdin, sockets, logs) stays open in here: the
         * message pipe becomes stdin's slot, everything from 3 up is closed */
        if (dup2(p[1], STDIN_FILENO) < 0)
            _exit(2);
        close_range(3, ~0U, 0);
        char msg[MSG_MAX] = "";
        int rc = net_check(ctr_pid, h, timeout_s, hook, msg, sizeof(msg));
        if (write(STDIN_FILENO, msg, strlen(msg)) < 0)
            _exit(2);
        _exit(rc == 0 ? 0 : 1);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *ret_pid = pid;
    *ret_fd = p[0];
    return 0;
}
