/* Unit tests for lib/sandbox's state machine, persisted state, store and undo list. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "tap.h"

static void
test_transitions(void)
{
    /* The seed's exact table (seed-semantics §1.2). */
    static const bool want[4][4] = {
        /*               ready  running paused stopped */
        /* ready   */ {false, true, false, true},
        /* running */ {false, false, true, true},
        /* paused  */ {false, true, false, true},
        /* stopped */ {false, true, false, false},
    };
    for (int f = 0; f < 4; f++)
        for (int t = 0; t < 4; t++)
            is_int(kpod_state_can_move(f, t), want[f][t], "%s -> %s", kpod_state_name(f),
                   kpod_state_name(t));
    struct kpod_err *e = NULL;
    ok(kpod_state_transition(KPOD_STATE_READY, KPOD_STATE_READY, KPOD_STATE_RUNNING, "pod 'a'",
                             &e) == 0,
       "valid transition");
    ok(kpod_state_transition(KPOD_STATE_RUNNING, KPOD_STATE_READY, KPOD_STATE_RUNNING, "pod 'a'",
                             &e) < 0,
       "current state must match");
    is_str(e->msg, "pod 'a': invalid state running (expecting ready)", "seed's message");
    is_int(kpod_err_exit_code(e), 126, "wrong state exits 126");
    kpod_err_free(&e);
    kpod_state_transition(KPOD_STATE_READY, KPOD_STATE_READY, KPOD_STATE_PAUSED, "pod 'a'", &e);
    is_str(e ? e->msg : NULL, "pod 'a': cannot move from ready to paused", "invalid move");
    kpod_err_free(&e);
    enum kpod_state s;
    ok(kpod_state_parse("paused", &s) == 0 && s == KPOD_STATE_PAUSED, "parse");
    ok(kpod_state_parse("creating", &s) < 0, "creating is not a state");
}

static void
test_preconditions(void)
{
    struct kpod_err *e = NULL;
    ok(kpod_ctr_op_check(KPOD_CTR_OP_ENTER, KPOD_STATE_RUNNING, KPOD_STATE_RUNNING, "web", &e) == 0,
       "exec in a running container");
    ok(kpod_ctr_op_check(KPOD_CTR_OP_ENTER, KPOD_STATE_PAUSED, KPOD_STATE_PAUSED, "web", &e) < 0,
       "exec refused in a paused pod");
    is_str(e->msg, "cannot exec in container 'web': its pod is paused", "message names state");
    kpod_err_free(&e);
    ok(kpod_ctr_op_check(KPOD_CTR_OP_ENTER, KPOD_STATE_RUNNING, KPOD_STATE_STOPPED, "web", &e) < 0,
       "exec refused in a stopped container");
    kpod_err_free(&e);
    ok(kpod_ctr_op_check(KPOD_CTR_OP_START, KPOD_STATE_RUNNING, KPOD_STATE_STOPPED, "w", &e) == 0,
       "start a stopped container in a running pod");
    ok(kpod_ctr_op_check(KPOD_CTR_OP_DELETE, KPOD_STATE_RUNNING, KPOD_STATE_RUNNING, "w", &e) < 0,
       "delete refuses a running container");
    kpod_err_free(&e);
    ok(kpod_ctr_op_check(KPOD_CTR_OP_SIGNAL, KPOD_STATE_RUNNING, KPOD_STATE_PAUSED, "w", &e) == 0,
       "signal a paused container");
    ok(kpod_ctr_op_check(KPOD_CTR_OP_RESUME, KPOD_STATE_RUNNING, KPOD_STATE_RUNNING, "w", &e) < 0,
       "resume needs paused");
    kpod_err_free(&e);
    ok(kpod_ctr_op_check(KPOD_CTR_OP_STOP, KPOD_STATE_STOPPED, KPOD_STATE_STOPPED, "w", &e) == 0,
       "stop has no precondition");
}

static void
test_state_json(void)
{
    struct kpod_pod_state *p = xzalloc(sizeof(*p));
    p->id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    p->name = xstrdup("web");
    p->ns = xstrdup("default");
    p->state = KPOD_STATE_RUNNING;
    p->restart_policy = xstrdup("Always");
    p->infra_pid = 42;
    p->labels = json_pack("{s:s}", "app", "web");
    kpod_strv_push(&p->mounts, "/run/kpod/x");
    kpod_pod_state_add_ctr(p, "nginx");
    struct kpod_ctr_state *i = kpod_pod_state_add_ctr(p, "setup");
    struct kpod_ctr_state *c = &p->ctrs[0]; /* adding moves the array */
    c->state = KPOD_STATE_RUNNING;
    c->pid = 43;
    c->restart_count = 2;
    i->init = true;
    i->state = KPOD_STATE_STOPPED;
    i->exit_code = 0;
    is_int(strlen(c->id), 64, "container ids are 64 hex");
    ok(strcmp(c->id, i->id) != 0, "container ids differ");
    is_str(kpod_pod_status(p), "Running", "all app containers running");
    struct kpod_ctr_state *byname = kpod_pod_state_find_ctr(p, "web-nginx");
    ok(byname == c, "find by <pod>-<container>");
    ok(kpod_pod_state_find_ctr(p, c->id) == c, "find by id");
    ok(kpod_pod_state_find_ctr(p, "web-") == NULL, "no false match");

    json_t *j = kpod_pod_state_to_json(p);
    struct kpod_err *e = NULL;
    struct kpod_pod_state *q = kpod_pod_state_from_json(j, &e);
    ok(q != NULL, "round trip parses");
    json_t *j2 = kpod_pod_state_to_json(q);
    ok(json_equal(j, j2), "round trip is lossless");
    is_int(q->nctrs, 2, "containers kept in order");
    is_str(q->ctrs[1].name, "setup", "second container");
    ok(q->ctrs[1].init, "init flag kept");
    c->state = KPOD_STATE_STOPPED;
    is_str(kpod_pod_status(p), "Exited", "all app containers exited");
    json_decref(j);
    json_decref(j2);
    kpod_pod_state_free(q);

    json_t *bad = json_pack("{s:i, s:s, s:s, s:s}", "version", 1, "id", "x", "name", "y", "state",
                            "creating");
    ok(kpod_pod_state_from_json(bad, &e) == NULL && e != NULL, "invalid state rejected");
    kpod_err_free(&e);
    json_decref(bad);
    kpod_pod_state_free(p);
}

/* Sidecars count as running containers of the pod, but do not keep an ended pod alive. */
static void
test_sidecar_status(void)
{
    struct kpod_pod_state *p = xzalloc(sizeof(*p));
    p->id = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    p->name = xstrdup("web");
    p->state = KPOD_STATE_RUNNING;
    kpod_pod_state_add_ctr(p, "setup");
    kpod_pod_state_add_ctr(p, "proxy");
    kpod_pod_state_add_ctr(p, "app");
    struct kpod_ctr_state *setup = &p->ctrs[0], *proxy = &p->ctrs[1], *app = &p->ctrs[2];
    setup->init = true;
    setup->state = KPOD_STATE_STOPPED;
    proxy->init = proxy->sidecar = true;
    proxy->state = KPOD_STATE_RUNNING;
    app->state = KPOD_STATE_RUNNING;
    is_str(kpod_pod_status(p), "Running", "app and sidecar running");
    proxy->state = KPOD_STATE_STOPPED;
    is_str(kpod_pod_status(p), "Degraded", "a sidecar down (restarting): degraded");
    app->state = KPOD_STATE_STOPPED;
    is_str(kpod_pod_status(p), "Exited", "app and sidecar ended");
    proxy->state = KPOD_STATE_RUNNING;
    is_str(kpod_pod_status(p), "Exited", "app ended, the sidecar being stopped: exited");
    json_t *j = kpod_pod_state_to_json(p);
    struct kpod_err *e = NULL;
    struct kpod_pod_state *q = kpod_pod_state_from_json(j, &e);
    ok(q != NULL && q->ctrs[1].sidecar && !q->ctrs[0].sidecar && !q->ctrs[2].sidecar,
       "sidecar flag kept");
    json_decref(j);
    kpod_pod_state_free(q);
    kpod_pod_state_free(p);
}

static void
test_phase(void)
{
    struct kpod_pod_state *p = xzalloc(sizeof(*p));
    p->state = KPOD_STATE_READY;
    p->restart_policy = xstrdup("Never");
    struct kpod_ctr_state *i = kpod_pod_state_add_ctr(p, "init");
    i->init = true;
    i->state = KPOD_STATE_STOPPED;
    i->exit_code = 0;
    kpod_pod_state_add_ctr(p, "a");
    kpod_pod_state_add_ctr(p, "b");
    struct kpod_ctr_state *a = &p->ctrs[1], *b = &p->ctrs[2];
    is_str(kpod_pod_phase(p), "Pending", "created: Pending");
    p->state = KPOD_STATE_RUNNING;
    a->state = b->state = KPOD_STATE_RUNNING;
    is_str(kpod_pod_phase(p), "Running", "running");
    a->state = KPOD_STATE_STOPPED;
    a->exit_code = 0;
    is_str(kpod_pod_phase(p), "Running", "one still running");
    b->state = KPOD_STATE_STOPPED;
    b->exit_code = 0;
    is_str(kpod_pod_phase(p), "Succeeded", "all exited 0: Succeeded");
    is_str(kpod_pod_status(p), "Exited", "podman's status unchanged");
    b->exit_code = 2;
    is_str(kpod_pod_phase(p), "Failed", "one exited 2: Failed");
    free(p->restart_policy);
    p->restart_policy = xstrdup("OnFailure");
    b->extra = json_pack("{s:b}", "waiting", true);
    is_str(kpod_pod_phase(p), "Running", "OnFailure, waiting to restart: Running");
    json_decref(b->extra);
    b->extra = NULL;
    free(p->restart_policy);
    p->restart_policy = xstrdup("Always");
    b->exit_code = 0;
    is_str(kpod_pod_phase(p), "Running", "Always: exits are restarted, still Running");
    p->state = KPOD_STATE_STOPPED;
    b->exit_code = 137;
    is_str(kpod_pod_phase(p), "Failed", "stopped with a kill: Failed");
    kpod_pod_state_free(p);
}

static void
test_store(void)
{
    char dir[] = "/tmp/kpod-unit-store.XXXXXX";
    ok(mkdtemp(dir) != NULL, "temp dir");
    struct kpod_ctx ctx = {.root = dir, .runroot = dir};
    struct kpod_store s = {0};
    struct kpod_err *e = NULL;
    ok(kpod_store_init(&s, &ctx, &e) == 0, "store init");
    char *id = NULL;
    int lock = -1;
    ok(kpod_store_create_pod(&s, "web", &id, &lock, &e) == 0 && lock >= 0, "create pod");
    char *id2 = NULL;
    int lock2 = -1;
    ok(kpod_store_create_pod(&s, "web", &id2, &lock2, &e) < 0, "name taken");
    is_str(e ? e->msg : NULL, "pod 'web' already exists", "duplicate message");
    kpod_err_free(&e);
    struct kpod_pod_state p = {.id = id, .name = "web", .state = KPOD_STATE_READY};
    ok(kpod_store_save(&s, &p, &e) == 0, "save");
    kpod_lock_release(lock);
    char *found = NULL;
    ok(kpod_store_lookup(&s, "web", &found, &e) == 0 && strcmp(found, id) == 0, "by name");
    free(found);
    char prefix[8];
    snprintf(prefix, sizeof(prefix), "%.6s", id);
    ok(kpod_store_lookup(&s, prefix, &found, &e) == 0 && strcmp(found, id) == 0, "by prefix");
    free(found);
    ok(kpod_store_lookup(&s, "nosuch", &found, &e) < 0 && kpod_err_exit_code(e) == 127,
       "unknown pod exits 127");
    kpod_err_free(&e);
    ok(kpod_store_lookup(&s, "../etc", &found, &e) < 0, "path tricks refused");
    kpod_err_free(&e);
    struct kpod_pod_state *back = kpod_store_load(&s, id, &e);
    ok(back != NULL && back->state == KPOD_STATE_READY, "load");
    kpod_pod_state_free(back);
    int sl = kpod_store_lock_pod(&s, id, KPOD_LOCK_SHARED, &e);
    ok(sl >= 0, "shared lock");
    kpod_lock_release(sl);
    char **ids = NULL;
    is_int(kpod_store_list(&s, &ids, &e), 1, "list");
    kpod_strv_free(ids);
    ok(kpod_store_remove(&s, id, "web", &e) == 0, "remove");
    ok(kpod_store_lookup(&s, "web", &found, &e) < 0, "name freed");
    kpod_err_free(&e);
    ok(kpod_store_create_pod(&s, "web", &id2, &lock2, &e) == 0, "name reusable after remove");
    kpod_lock_release(lock2);
    free(id);
    free(id2);
    kpod_store_fini(&s);
    kpod_fs_rm_rf(dir, &e);
}

static char trail[16];

static int
step(void *data, struct kpod_err **err)
{
    size_t n = strlen(trail);
    trail[n] = *(char *)data;
    if (*(char *)data == 'b')
        return kpod_err_msg(err, "undo b fails");
    return 0;
}

static void
test_undo(void)
{
    struct kpod_undo u = {0};
    static char a = 'a', b = 'b', c = 'c';
    kpod_undo_push(&u, "a", step, &a, NULL);
    kpod_undo_push(&u, "b", step, &b, NULL);
    kpod_undo_push(&u, "c", step, &c, NULL);
    kpod_log_set_level(KPOD_LOG_ERROR);
    is_int(kpod_undo_run(&u), 1, "one undo failed");
    kpod_log_set_level(KPOD_LOG_WARN);
    is_str(trail, "cba", "undone in reverse, all of them despite a failure");
    is_int(u.n, 0, "list emptied");
    kpod_undo_push(&u, "a", step, &a, NULL);
    kpod_undo_clear(&u);
    is_str(trail, "cba", "clear runs nothing");
    struct kpod_err *e = NULL;
    setenv("KPOD_FAIL_STEP", "network", 1);
    ok(kpod_fault("cgroup", &e) == 0, "other steps do not fail");
    ok(kpod_fault("network", &e) < 0, "the named step fails");
    kpod_err_free(&e);
    unsetenv("KPOD_FAIL_STEP");
}

static void
test_proc(void)
{
    uint64_t st = kpod_proc_start_time(getpid());
    ok(st > 0, "own start time");
    /* field 22 of /proc/self/stat, counted independently */
    char buf[1024] = "";
    FILE *f = fopen("/proc/self/stat", "r");
    if (f != NULL) {
        if (fgets(buf, sizeof(buf), f) == NULL)
            buf[0] = '\0';
        fclose(f);
    }
    char *q = strrchr(buf, ')');
    unsigned long long want = 0;
    for (int field = 2; q != NULL && field < 22; field++)
        q = strchr(q + 1, ' ');
    if (q != NULL)
        want = strtoull(q + 1, NULL, 10);
    is_int(st, want, "start time is field 22");
    ok(kpod_proc_alive(getpid(), st), "alive with the right start time");
    pid_t z = fork();
    if (z == 0)
        _exit(0);
    usleep(50000);
    ok(!kpod_proc_alive(z, 0), "a zombie is not alive");
    waitpid(z, NULL, 0);
    ok(!kpod_proc_alive(getpid(), st + 1), "pid reuse detected by start time");
    ok(!kpod_proc_alive(0, 0), "pid 0 is not alive");
}

int
main(void)
{
    test_transitions();
    test_preconditions();
    test_state_json();
    test_sidecar_status();
    test_phase();
    test_store();
    test_undo();
    test_proc();
    return tap_done();
}
