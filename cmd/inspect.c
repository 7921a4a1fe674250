/* `kpod inspect`: containers or pods, by name or id, as JSON or one field. */
#include "common.h"

#include <string.h>

struct inspect_opts {
    char *format;
};

static const struct kpod_opt inspect_opts[] = {
    {"format", 'f', KPOD_OPT_STRING, offsetof(struct inspect_opts, format), "FORMAT",
     "json (the default) or fields such as {{.State.ExitCode}}", "=json", NULL, false},
    KPOD_OPTS_END,
};

/* A Job's record as `kpod inspect` shows it (the controller's play options left out). */
static json_t *
job_view(const json_t *job)
{
    const json_t *spec = json_object_get(job, "spec");
    json_t *pods = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(job, "pods"), i, rec)
    {
        json_array_append_new(
            pods, json_pack("{s:s?, s:s?, s:s?}", "Name", kpod_json_str(rec, "name"), "Id",
                            kpod_json_str(rec, "id"), "Phase", kpod_json_str(rec, "phase")));
    }
    json_t *j = json_pack(
        "{s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I}", "Kind",
        "Job", "Name", kpod_json_str(job, "name"), "Namespace", kpod_json_str(job, "namespace"),
        "Status", kpod_json_str(job, "status"), "Completions",
        (json_int_t)kpod_json_int(spec, "completions", 1), "Parallelism",
        (json_int_t)kpod_json_int(spec, "parallelism", 1), "BackoffLimit",
        (json_int_t)kpod_json_int(spec, "backoffLimit", 6), "ActiveDeadlineSeconds",
        (json_int_t)kpod_json_int(spec, "activeDeadlineSeconds", -1), "Succeeded",
        (json_int_t)kpod_json_int(job, "succeeded", 0), "Failed",
        (json_int_t)(kpod_json_int(job, "failed", 0) + kpod_json_int(job, "playFailures", 0)),
        "Active", (json_int_t)kpod_json_int(job, "active", 0), "StartTime",
        (json_int_t)kpod_json_int(job, "startTime", 0), "CompletionTime",
        (json_int_t)kpod_json_int(job, "completionTime", 0), "Pods", pods, "ControllerPid",
        (json_int_t)kpod_json_int(job, "controllerPid", 0));
    kpod_json_set_str(j, "Reason",
                      kpod_json_str(job, "reason") ? kpod_json_str(job, "reason") : "");
    kpod_json_set_str(j, "Message",
                      kpod_json_str(job, "message") ? kpod_json_str(job, "message") : "");
    json_object_set_new(
        j, "ControllerRunning",
        json_boolean(kpod_proc_alive((pid_t)kpod_json_int(job, "controllerPid", 0),
                                     (uint64_t)kpod_json_int(job, "controllerStart", 0))));
    if (kpod_json_str(job, "lastError"))
        kpod_json_set_str(j, "LastError", kpod_json_str(job, "lastError"));
    return j;
}

static json_t *
lookup(struct kpod_ctx *ctx, const char *name, struct kpod_err **err)
{
    struct kpod_pod_state *p = NULL;
    struct kpod_ctr_state *c = NULL;
    struct kpod_err *ce = NULL;
    if (kpod_cmd_find_ctr(ctx, name, &p, &c, &ce) == 0) {
        json_t *j = kpod_cmd_ctr_json(p, c);
        kpod_pod_state_free(p);
        return j;
    }
    struct kpod_err *pe = NULL;
    p = kpod_cmd_find_pod(ctx, name, &pe);
    if (p != NULL) {
        kpod_err_free(&ce);
        json_t *j = kpod_cmd_pod_json(p);
        kpod_pod_state_free(p);
        return j;
    }
    kpod_err_free(&pe);
    struct kpod_err *je = NULL;
    _cleanup_json_ json_t *job =
        strchr(name, '/') || name[0] == '.' ? NULL : kpod_job_load(ctx, name, &je);
    kpod_err_free(&je);
    if (job != NULL) {
        kpod_err_free(&ce);
        return job_view(job);
    }
    kpod_err_move(err, &ce);
    if (err && *err && (*err)->kind == KPOD_ERR_NOTFOUND) {
        kpod_err_free(err);
        kpod_err_notfound(err, "no such container or pod '%s'", name);
    }
    return NULL;
}

static int
run_inspect(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct inspect_opts *o = data;
    _cleanup_json_ json_t *all = json_array();
    for (int i = 0; i < argc; i++) {
        json_t *j = lookup(ctx, argv[i], err);
        if (j == NULL)
            return -1;
        json_array_append_new(all, j);
    }
    return kpod_cmd_print_inspect(all, o->format, err);
}

const struct kpod_cmd kpod_cmd_inspect = {
    .name = "inspect",
    .summary = "show the state and configuration of containers, pods or Jobs",
    .usage = "[options] NAME...",
    .opts = inspect_opts,
    .opts_size = sizeof(struct inspect_opts),
    .run = run_inspect,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "containers",
};
