/* The CLI side of the monitor: spawning it as a daemon and talking to its control socket.
 * Socket paths go through /proc/self/fd/N so that deep run roots never hit the 108-byte
 * sun_path limit. */
#include "monitor/monitor.h"

#include "monitor/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 65536

int
kpod_monitor_sockaddr(int dirfd, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/monitor.sock", dirfd);
    return 0;
}

json_t *
kpod_monitor_call(const char *pod_dir, const json_t *req, int timeout_ms, struct kpod_err **err)
{
    _cleanup_close_ int dirfd = open(pod_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        kpod_err_sys(err, "open pod directory '%s'", pod_dir);
        return NULL;
    }
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa;
    kpod_monitor_sockaddr(dirfd, &sa);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        kpod_err_set(err, KPOD_ERR_INTERNAL, errno, "connect to the pod's monitor");
        return NULL;
    }
    _cleanup_free_ char *msg = kpod_json_dumps(req, false);
    if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0) {
        kpod_err_sys(err, "send to the pod's monitor");
        return NULL;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (r == 0) {
        kpod_err_msg(err, "the pod's monitor did not answer within %d ms", timeout_ms);
        return NULL;
    }
    _cleanup_free_ char *buf = xmalloc(MSG_MAX);
    ssize_t n;
    while ((n = recv(fd, buf, MSG_MAX, 0)) < 0 && errno == EINTR)
        ;
    if (n <= 0) {
        kpod_err_set(err, KPOD_ERR_INTERNAL, n < 0 ? errno : 0,
                     "the pod's monitor closed the connection");
        return NULL;
    }
    return kpod_json_loadb(buf, (size_t)n, "monitor reply", err);
}

/* The last line of the monitor's log, for an error message. */
static char *
last_log_line(const char *pod_dir)
{
    _cleanup_free_ char *path = xasprintf("%s/monitor.log", pod_dir);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    struct kpod_err *e = NULL;
    if (kpod_fs_read_file(path, 1 << 20, &buf, &len, &e) < 0) {
        kpod_err_free(&e);
        return xstrdup("no diagnostics");
    }
    while (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    char *nl = strrchr(buf, '\n');
    return xstrdup(nl ? nl + 1 : buf);
}

static void __attribute__((noreturn))
exec_monitor(const char *self, const char *pod_dir, const char *log_level, int ready)
{
    if (setsid() < 0)
        _exit(1);
    pid_t pid = fork();
    if (pid != 0)
        _exit(pid < 0 ? 1 : 0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    _cleanup_free_ char *logpath = xasprintf("%s/monitor.log", pod_dir);
    int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0 ||
        dup2(ready, 3) < 0)
        _exit(1);
    close_range(4, ~0U, 0); /* only stdio and the ready pipe go into the monitor */
    if (chdir("/") < 0)
        _exit(1);
    _cleanup_free_ char *helper = kpod_fs_helper_path(self, "kpod-monitor");
    if (helper != NULL)
        execl(helper, "kpod-monitor", "--log-level", log_level, "--ready-fd", "3", pod_dir,
              (char *)NULL);
    else /* no helper binary: the monitor built into kpod */
        execl(self, "kpod", "--log-level", log_level, "__monitor", "--ready-fd", "3", pod_dir,
              (char *)NULL);
    _exit(127);
}

int
kpod_monitor_spawn(const char *self, const char *pod_dir, const char *log_level, pid_t *ret_pid,
                   unsigned long long *ret_start, struct kpod_err **err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return kpod_err_sys(err, "create pipe for the monitor");
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return kpod_err_sys(err, "fork the monitor");
    }
    if (pid == 0) {
        close(fds[0]);
        exec_monitor(self, pod_dir, log_level, fds[1]);
    }
    close(fds[1]);
    _cleanup_close_ int rfd = fds[0];
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char buf[64] = "";
    struct pollfd p = {.fd = rfd, .events = POLLIN};
    ssize_t n = 0;
    if (poll(&p, 1, 10000) > 0)
        n = read(rfd, buf, sizeof(buf) - 1);
    if (n <= 0) {
        _cleanup_free_ char *why = last_log_line(pod_dir);
        return kpod_err_msg(err, "start the pod's monitor: %s", why);
    }
    buf[n] = '\0';
    pid_t mpid = (pid_t)strtol(buf, NULL, 10);
    char *sp = strchr(buf, ' ');
    *ret_pid = mpid;
    *ret_start = sp ? strtoull(sp + 1, NULL, 10) : 0;
    return 0;
}

int
kpod_monitor_configure(const char *pod_dir, struct kpod_err **err)
{
    _cleanup_json_ json_t *req = json_pack("{s:s, s:s}", "op", "configure", "dir", pod_dir);
    _cleanup_json_ json_t *rep = kpod_monitor_call(pod_dir, req, 30000, err);
    if (rep == NULL)
        return kpod_err_prefix(err, "configure the pod's monitor");
    if (!kpod_json_bool(rep, "ok", false)) {
        const char *msg = kpod_json_str(rep, "error");
        return kpod_err_msg(err, "configure the pod's monitor: %s", msg ? msg : "refused");
    }
    return 0;
}
