/* Helpers the pod and container commands share: finding pods and containers, printing
 * tables and JSON, the real `kpod play`. */
#pragma once

#include "cli.h"
#include "sandbox/sandbox.h"

struct kpod_play_cli {
    bool quiet, no_start, replace, tls_verify;
    const char *network, *ip, *authfile, *creds;
    char **log_opts;
    char **hooks_dirs;
};

struct kpod_manifest;

/* `kpod play` without --dry-run: every pod of the files, all or nothing. */
int kpod_cmd_play_run(struct kpod_ctx *ctx, const struct kpod_play_cli *o, char **files,
                      struct kpod_err **err);

/* A pod by name, id or id prefix, fetched with its containers' live status. */
struct kpod_pod_state *kpod_cmd_find_pod(struct kpod_ctx *ctx, const char *name_or_id,
                                         struct kpod_err **err);
/* Every pod (unreadable ones skipped), fetched. */
struct kpod_pod_state **kpod_cmd_all_pods(struct kpod_ctx *ctx, size_t *ret_n,
                                          struct kpod_err **err);
void kpod_cmd_free_pods(struct kpod_pod_state **v, size_t n);
/* The pod ids named by args, or every pod with all. */
int kpod_cmd_pod_ids(struct kpod_ctx *ctx, int argc, char **argv, bool all, char ***ret_ids,
                     struct kpod_err **err);
/* A container as "<pod>-<ctr>", "<ctr>" (when unique), or an id / id prefix. */
int kpod_cmd_find_ctr(struct kpod_ctx *ctx, const char *name, struct kpod_pod_state **ret_pod,
                      struct kpod_ctr_state **ret_ctr, struct kpod_err **err);

/* Runs op on each named pod (or all); prints the id of each done, like podman; the first error
 * is returned after all were tried. */
typedef int (*kpod_pod_op)(struct kpod_ctx *ctx, const char *id, void *data, struct kpod_err **err);
int kpod_cmd_each_pod(struct kpod_ctx *ctx, int argc, char **argv, bool all, kpod_pod_op op,
                      void *data, struct kpod_err **err);

/* "Up 3 minutes", "Exited (0) 2 seconds ago", "Created". */
/* podman's health word for a running container with probes: "starting" (startup probe not
 * passed, or no readiness result yet), "healthy" (ready, liveness passing), "unhealthy"; NULL
 * for a container without probes or not running. */
const char *kpod_cmd_health(const struct kpod_ctr_state *c);
/* Ready app containers (Kubernetes' READY column) and all app containers of a pod. */
void kpod_cmd_pod_ready(const struct kpod_pod_state *p, size_t *ret_ready, size_t *ret_total);
void kpod_cmd_status_text(const struct kpod_ctr_state *c, char *buf, size_t len);
/* "3 minutes ago" */
void kpod_cmd_ago(int64_t ns, char *buf, size_t len);
/* Checks --format: json, table or NULL (table); returns true for json. */
int kpod_cmd_format_json(const char *format, const char *where, bool *ret_json,
                         struct kpod_err **err);
/* The JSON of a pod (inspect and ps --format json). */
json_t *kpod_cmd_pod_json(const struct kpod_pod_state *p);
json_t *kpod_cmd_ctr_json(const struct kpod_pod_state *p, const struct kpod_ctr_state *c);
/* Prints format with each {{.Field.Sub}} replaced by that value of j (strings raw, others as
 * compact JSON), and a newline — podman's --format for inspect. */
int kpod_cmd_print_json_field(const json_t *j, const char *format, struct kpod_err **err);
/* inspect's output: the array as JSON, or each element through a {{.Field}} format. */
int kpod_cmd_print_inspect(const json_t *all, const char *format, struct kpod_err **err);
/* Prints a ps-like table of pids with podman's top descriptors (user, pid, ppid, pcpu, etime,
 * tty, time, args, comm, group, vsz, rss, state); NULL descriptors: the default set. */
int kpod_cmd_print_top(pid_t *pids, size_t n, char **descriptors, struct kpod_err **err);
/* The pids of a container's cgroup. */
int kpod_cmd_ctr_pids(const struct kpod_ctr_state *c, pid_t **ret, size_t *ret_n,
                      struct kpod_err **err);
/* Asks "[y/N]" on stderr/stdin; false unless the answer starts with y. */
bool kpod_cmd_confirm(const char *what);

/* ---- logs (cmd/logs_internal.c) ---- */
struct kpod_logs_cli {
    bool follow, timestamps, names, color;
    char *tail, *since, *until;
};
/* Prints the logs of containers (pod/ctr pairs): one after the other, or all at once with
 * --follow until each has stopped. */
int kpod_cmd_print_logs(struct kpod_ctx *ctx, struct kpod_pod_state **pods,
                        struct kpod_ctr_state **ctrs, size_t n, const struct kpod_logs_cli *o,
                        struct kpod_err **err);

/* ---- pod interfaces and routes (cmd/net_internal.c) ---- */
struct kpod_net_iface;
struct kpod_net_route;
int kpod_cmd_pod_id(struct kpod_ctx *ctx, const char *name, char **ret_id, struct kpod_err **err);
void kpod_cmd_print_ifaces(const struct kpod_net_iface *v, size_t n, bool json);
void kpod_cmd_print_routes(const struct kpod_net_route *v, size_t n, bool json);
