/* `kpod wait CTR...`: block until containers stop, print their exit codes. */
#include "common.h"

#include <string.h>
#include <time.h>

struct wait_opts {
    char *condition;
    long long interval;
};

static const struct kpod_opt wait_opts[] = {
    {"condition", 0, KPOD_OPT_STRING, offsetof(struct wait_opts, condition), "STATE",
     "the state to wait for: stopped (exited) or running", "=stopped exited running", "stopped",
     false},
    {"interval", 'i', KPOD_OPT_INT, offsetof(struct wait_opts, interval), "MS",
     "how often to check, in milliseconds", NULL, "250", false},
    KPOD_OPTS_END,
};

/* A Job: until it ended (Complete: 0, Failed: 1); an error when its controller is gone. */
static int
wait_job(struct kpod_ctx *ctx, const char *name, bool running, long long interval,
         struct kpod_err **err)
{
    for (;;) {
        _cleanup_json_ json_t *job = kpod_job_load(ctx, name, err);
        if (job == NULL)
            return -1;
        const char *status = kpod_json_str(job, "status");
        bool active = status != NULL && strcmp(status, "Running") == 0;
        if (running || !active) {
            printf("%d\n", running || strcmp(status, "Complete") == 0 ? 0 : 1);
            return 0;
        }
        pid_t pid = (pid_t)kpod_json_int(job, "controllerPid", 0);
        uint64_t start = (uint64_t)kpod_json_int(job, "controllerStart", 0);
        if (pid > 0 && !kpod_proc_alive(pid, start))
            return kpod_err_msg(err, "wait: job '%s': its controller (pid %d) is gone", name,
                                (int)pid);
        struct timespec ts = {interval / 1000, (interval % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

static int
wait_one(struct kpod_ctx *ctx, const char *name, bool running, long long interval,
         struct kpod_err **err)
{
    for (;;) {
        struct kpod_pod_state *p = NULL;
        struct kpod_ctr_state *c = NULL;
        if (kpod_cmd_find_ctr(ctx, name, &p, &c, err) < 0) {
            if ((*err)->kind != KPOD_ERR_NOTFOUND || strchr(name, '/') || name[0] == '.')
                return -1;
            _cleanup_free_ char *dir = kpod_job_dir(ctx, name);
            if (!kpod_fs_exists(dir))
                return -1;
            kpod_err_free(err);
            return wait_job(ctx, name, running, interval, err);
        }
        bool done =
            running ? c->state == KPOD_STATE_RUNNING
                    : c->state == KPOD_STATE_STOPPED && !kpod_json_bool(c->extra, "waiting", false);
        int code = c->exit_code;
        kpod_pod_state_free(p);
        if (done) {
            if (running)
                printf("0\n");
            else
                printf("%d\n", code);
            return 0;
        }
        struct timespec ts = {interval / 1000, (interval % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

static int
run_wait(struct kpod_ctx *ctx, void *data, int argc, char **argv, struct kpod_err **err)
{
    struct wait_opts *o = data;
    bool running = strcmp(o->condition, "running") == 0;
    if (!running && strcmp(o->condition, "stopped") != 0 && strcmp(o->condition, "exited") != 0)
        return kpod_err_usage(err, "wait: unknown condition '%s': want stopped or running",
                              o->condition);
    if (o->interval <= 0)
        return kpod_err_usage(err, "wait: --interval must be positive");
    for (int i = 0; i < argc; i++)
        if (wait_one(ctx, argv[i], running, o->interval, err) < 0)
            return -1;
    return 0;
}

const struct kpod_cmd kpod_cmd_wait = {
    .name = "wait",
    .summary = "wait for containers to stop and print their exit codes",
    .usage = "[options] CONTAINER...",
    .opts = wait_opts,
    .opts_size = sizeof(struct wait_opts),
    .run = run_wait,
    .min_args = 1,
    .max_args = -1,
    .args_complete = "containers",
};
