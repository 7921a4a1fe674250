/* Shared between the monitor's own files; not for other modules. */
#pragma once

#include <sys/un.h>

/* The control socket's address through /proc/self/fd/DIRFD (short whatever the dir). */
int kpod_monitor_sockaddr(int dirfd, struct sockaddr_un *sa);

/* ---- probe.c: probes and lifecycle hooks of one container, driven by the watcher ---- */

#include <stdint.h>

#include "monitor/monitor.h"

/* One handler run in flight: an exec in the container, or a forked network check. Its output
 * (or the check's failure message) comes through out, read when it is reaped. */
struct prun {
    pid_t pid;                       /* 0: none */
    int out;                         /* read end, -1 */
    int64_t started_ns, deadline_ns; /* deadline 0: none */
};

enum { PHOOK_NONE = 0, PHOOK_POST_START, PHOOK_PRE_STOP };

struct mprobes {
    struct prun run[KPOD_PROBE_KINDS];
    int64_t next_ns[KPOD_PROBE_KINDS]; /* the next run; 0: not scheduled */
    int successes[KPOD_PROBE_KINDS];   /* in a row */
    struct prun hook;
    int hook_kind;      /* PHOOK_* in flight */
    bool hooked;        /* postStart done (or none): probes may run */
    int pending_sig;    /* sent when the preStop hook ends; 0: none */
    int64_t kill_at_ns; /* a restart by a failed probe: SIGKILL at the end of the grace */
    bool dying;         /* being killed for a restart: no more probes */
};

/* What probe.c needs of a container of the watcher. */
struct pctr {
    const struct kpod_monitor_ctr *cfg;
    struct kpod_ctr_status *st;
    struct mprobes *pr;
    const char *seccomp_cache;
};

/* probe_net.c: forks the check of an httpGet or tcpSocket handler from inside the network
 * namespace of ctr_pid; *ret_fd gets its failure message once it has exited (0 success, 1
 * failure). timeout_s bounds the whole check; with hook, any HTTP response is a success. */
int probe_net_start(pid_t ctr_pid, const struct kpod_monitor_handler *h, int timeout_s, bool hook,
                    pid_t *ret_pid, int *ret_fd, char **ret_msg);

/* Results: PR_SAVE when the status changed and should be saved. */
#define PR_SAVE 1
#define PR_STARTED 2 /* the container became started (postStart done, startupProbe passed) */

void probes_init(struct mprobes *pr);
void probes_fini(struct mprobes *pr);
/* The container just started: schedules probes, runs postStart. */
int probes_started(const struct pctr *c, int64_t now);
/* Timeouts, due probes, the end of a restart's grace. */
int probes_due(const struct pctr *c, int64_t now);
/* The earliest time probes_due wants to run for this container; 0: none. */
int64_t probes_next(const struct pctr *c);
/* A child ended: returns -1 when pid is none of this container's runs, else PR_* flags. */
int probes_reaped(const struct pctr *c, pid_t pid, int wstatus, int64_t now);
/* The container exited: runs in flight are killed, ready and started cleared. */
void probes_exited(const struct pctr *c);
/* The container is to be stopped with sig: runs its preStop hook first and sends sig when it
 * ends. Returns 1 when it took over sending sig, 0 when the caller sends it now. */
int probes_stop(const struct pctr *c, int sig, int64_t now);
