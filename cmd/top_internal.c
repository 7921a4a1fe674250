/* The process table behind `kpod top` and `kpod pod top`, read from /proc. */
#include "common.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

struct proc {
    pid_t pid, ppid;
    char state;
    char comm[64];
    unsigned long long utime, stime, start, vsize;
    long rss;
    int tty;
    uid_t uid;
    gid_t gid;
    char *args;
};

static int
read_proc(pid_t pid, struct proc *p)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
    if (lp == NULL || rp == NULL)
        return -1;
    memset(p, 0, sizeof(*p));
    p->pid = pid;
    snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(rp - lp - 1), lp + 1);
    int ppid = 0, tty = 0;
    if (sscanf(rp + 2,
               "%c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
               "%llu %llu %ld",
               &p->state, &ppid, &tty, &p->utime, &p->stime, &p->start, &p->vsize, &p->rss) < 8)
        return -1;
    p->ppid = ppid;
    p->tty = tty;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "re");
    while (f != NULL && fgets(buf, sizeof(buf), f) != NULL) {
        unsigned u;
        if (sscanf(buf, "Uid: %u", &u) == 1)
            p->uid = u;
        else if (sscanf(buf, "Gid: %u", &u) == 1)
            p->gid = u;
    }
    if (f != NULL)
        fclose(f);
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    char *cmd = NULL;
    size_t len = 0;
    struct kpod_err *e = NULL;
    if (kpod_fs_read_file(path, 1 << 16, &cmd, &len, &e) == 0 && len > 0) {
        for (size_t i = 0; i + 1 < len; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        p->args = cmd;
    } else {
        free(cmd);
        p->args = xasprintf("[%s]", p->comm);
    }
    kpod_err_free(&e);
    return 0;
}

static void
fmt_secs(unsigned long long s, char *buf, size_t len)
{
    if (s >= 86400)
        snprintf(buf, len, "%llu-%02llu:%02llu:%02llu", s / 86400, s % 86400 / 3600, s % 3600 / 60,
                 s % 60);
    else
        snprintf(buf, len, "%02llu:%02llu:%02llu", s / 3600, s % 3600 / 60, s % 60);
}

static const struct {
    const char *name, *alias, *header;
} descs[] = {
    {"user", "uname", "USER"},  {"pid", NULL, "PID"},       {"ppid", NULL, "PPID"},
    {"pcpu", "%cpu", "%CPU"},   {"etime", NULL, "ELAPSED"}, {"tty", NULL, "TTY"},
    {"time", NULL, "TIME"},     {"args", NULL, "COMMAND"},  {"comm", NULL, "COMMAND"},
    {"group", NULL, "GROUP"},   {"vsz", NULL, "VSZ"},       {"rss", NULL, "RSS"},
    {"state", "stat", "STATE"},
};

static int
desc_index(const char *d)
{
    for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
        if (strcmp(d, descs[i].name) == 0 || (descs[i].alias && strcmp(d, descs[i].alias) == 0))
            return (int)i;
    return -1;
}

static void
field(const struct proc *p, int d, double uptime, long hz, char *buf, size_t len)
{
    double elapsed = uptime - (double)p->start / (double)hz;
    switch (d) {
    case 0: {
        struct passwd *pw = getpwuid(p->uid);
        snprintf(buf, len, "%s", pw ? pw->pw_name : "");
        if (pw == NULL)
            snprintf(buf, len, "%u", (unsigned)p->uid);
        return;
    }
    case 1:
        snprintf(buf, len, "%d", (int)p->pid);
        return;
    case 2:
        snprintf(buf, len, "%d", (int)p->ppid);
        return;
    case 3:
        snprintf(buf, len, "%.3f",
                 elapsed > 0 ? 100.0 * (double)(p->utime + p->stime) / (double)hz / elapsed : 0);
        return;
    case 4:
        fmt_secs(elapsed > 0 ? (unsigned long long)elapsed : 0, buf, len);
        return;
    case 5:
        snprintf(buf, len, "%s", p->tty ? "pts" : "?");
        return;
    case 6:
        fmt_secs((p->utime + p->stime) / (unsigned long long)hz, buf, len);
        return;
    case 7:
        snprintf(buf, len, "%s", p->args);
        return;
    case 8:
        snprintf(buf, len, "%s", p->comm);
        return;
    case 9: {
        struct group *gr = getgrgid(p->gid);
        snprintf(buf, len, "%s", gr ? gr->gr_name : "");
        if (gr == NULL)
            snprintf(buf, len, "%u", (unsigned)p->gid);
        return;
    }
    case 10:
        snprintf(buf, len, "%llu", p->vsize / 1024);
        return;
    case 11:
        snprintf(buf, len, "%ld", p->rss * (sysconf(_SC_PAGESIZE) / 1024));
        return;
    default:
        snprintf(buf, len, "%c", p->state);
    }
}

int
kpod_cmd_print_top(pid_t *pids, size_t n, char **descriptors, struct kpod_err **err)
{
    static const int defaults[] = {0, 1, 2, 3, 4, 5, 6, 7};
    int want[32];
    size_t nw = 0;
    if (descriptors == NULL || descriptors[0] == NULL) {
        memcpy(want, defaults, sizeof(defaults));
        nw = ARRAY_SIZE(defaults);
    } else {
        for (size_t i = 0; descriptors[i] != NULL && nw < ARRAY_SIZE(want); i++) {
            int d = desc_index(descriptors[i]);
            if (d < 0)
                return kpod_err_usage(err,
                                      "top: unknown descriptor '%s': want user, pid, ppid, "
                                      "pcpu, etime, tty, time, args, comm, group, vsz, rss "
                                      "or state",
                                      descriptors[i]);
            want[nw++] = d;
        }
    }
    double uptime = 0;
    FILE *f = fopen("/proc/uptime", "re");
    if (f != NULL) {
        if (fscanf(f, "%lf", &uptime) != 1)
            uptime = 0;
        fclose(f);
    }
    long hz = sysconf(_SC_CLK_TCK);
    for (size_t i = 0; i < nw; i++)
        printf(i + 1 < nw ? "%-10s " : "%s\n", descs[want[i]].header);
    for (size_t k = 0; k < n; k++) {
        struct proc p;
        if (read_proc(pids[k], &p) < 0)
            continue; /* gone meanwhile */
        for (size_t i = 0; i < nw; i++) {
            char buf[4096];
            field(&p, want[i], uptime, hz, buf, sizeof(buf));
            printf(i + 1 < nw ? "%-10s " : "%s\n", buf);
        }
        free(p.args);
    }
    return 0;
}

static int
cmp_pid(const void *a, const void *b)
{
    return *(const pid_t *)a - *(const pid_t *)b;
}

int
kpod_cmd_ctr_pids(const struct kpod_ctr_state *c, pid_t **ret, size_t *ret_n, struct kpod_err **err)
{
    struct kpod_cgroup *cg = kpod_cgroup_open(c->cgroup, false, err);
    if (cg == NULL)
        return -1;
    pid_t *pids = NULL;
    int n = kpod_cgroup_pids(cg, &pids, err);
    kpod_cgroup_free(cg);
    if (n < 0)
        return -1;
    qsort(pids, (size_t)n, sizeof(pid_t), cmp_pid);
    *ret = pids;
    *ret_n = (size_t)n;
    return 0;
}
