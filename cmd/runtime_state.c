/* `kpod runtime state`: the OCI state of a container, as JSON. */
#include "runtime.h"

static int
run_state(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct rt r;
    if (rt_open(ctx, argv[0], &r, err) < 0) {
        rt_release(&r);
        return -1;
    }
    const struct kpod_container_state *st = r.state;
    const char *status = kpod_container_state_status(r.dir, st);
    _cleanup_json_ json_t *j = json_object();
    kpod_json_set_str(j, "ociVersion", KPOD_OCI_VERSION);
    kpod_json_set_str(j, "id", st->id);
    kpod_json_set_str(j, "status", status);
    kpod_json_set_int(j, "pid", strcmp(status, "stopped") == 0 ? 0 : st->pid);
    kpod_json_set_str(j, "bundle", st->bundle);
    kpod_json_set_str(j, "rootfs", st->rootfs);
    kpod_json_set_str(j, "created", st->created);
    kpod_json_set_str(j, "cgroupPath", st->cgroup_path);
    json_object_set(j, "annotations", st->annotations);
    _cleanup_free_ char *s = kpod_json_dumps(j, true);
    printf("%s\n", s);
    rt_release(&r);
    return 0;
}

const struct kpod_cmd kpod_cmd_runtime_state = {
    .name = "state",
    .parent = "runtime",
    .summary = "show the state of a container as JSON",
    .usage = "ID",
    .run = run_state,
    .min_args = 1,
    .max_args = 1,
};
