/* The state machine: the seed's exact transition table and the container preconditions. */
#include "sandbox/sandbox.h"

#include <string.h>

static const char *const names[] = {
    [KPOD_STATE_READY] = "ready",
    [KPOD_STATE_RUNNING] = "running",
    [KPOD_STATE_PAUSED] = "paused",
    [KPOD_STATE_STOPPED] = "stopped",
};

const char *
kpod_state_name(enum kpod_state s)
{
    return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

int
kpod_state_parse(const char *s, enum kpod_state *ret)
{
    for (size_t i = 0; s != NULL && i < ARRAY_SIZE(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *ret = (enum kpod_state)i;
            return 0;
        }
    }
    return -1;
}

bool
kpod_state_can_move(enum kpod_state from, enum kpod_state to)
{
    switch (from) {
    case KPOD_STATE_READY:
        return to == KPOD_STATE_RUNNING || to == KPOD_STATE_STOPPED;
    case KPOD_STATE_RUNNING:
        return to == KPOD_STATE_PAUSED || to == KPOD_STATE_STOPPED;
    case KPOD_STATE_PAUSED:
        return to == KPOD_STATE_RUNNING || to == KPOD_STATE_STOPPED;
    case KPOD_STATE_STOPPED:
        return to == KPOD_STATE_RUNNING;
    }
    return false;
}

int
kpod_state_transition(enum kpod_state cur, enum kpod_state from, enum kpod_state to,
                      const char *what, struct kpod_err **err)
{
    if (cur != from)
        return kpod_err_invoke(err, "%s: invalid state %s (expecting %s)", what,
                               kpod_state_name(cur), kpod_state_name(from));
    if (!kpod_state_can_move(from, to))
        return kpod_err_invoke(err, "%s: cannot move from %s to %s", what, kpod_state_name(from),
                               kpod_state_name(to));
    return 0;
}

#define S(x) (1u << KPOD_STATE_##x)
#define ANY 0u

/* Allowed pod states and container states per operation; 0 means any. */
static const struct {
    const char *verb;
    unsigned pod, ctr;
} preconditions[] = {
    [KPOD_CTR_OP_START] = {"start", S(RUNNING), S(READY) | S(STOPPED)},
    [KPOD_CTR_OP_STOP] = {"stop", ANY, ANY},
    [KPOD_CTR_OP_DELETE] = {"delete", ANY, S(READY) | S(STOPPED)},
    [KPOD_CTR_OP_ENTER] = {"exec in", S(RUNNING), S(READY) | S(RUNNING)},
    [KPOD_CTR_OP_WAIT] = {"wait for", ANY, S(READY) | S(RUNNING)},
    [KPOD_CTR_OP_SIGNAL] = {"signal", S(READY) | S(RUNNING), S(READY) | S(RUNNING) | S(PAUSED)},
    [KPOD_CTR_OP_UPDATE] = {"update", S(RUNNING), S(RUNNING) | S(READY)},
    [KPOD_CTR_OP_PAUSE] = {"pause", ANY, S(RUNNING)},
    [KPOD_CTR_OP_RESUME] = {"unpause", ANY, S(PAUSED)},
    [KPOD_CTR_OP_STATS] = {"read stats of", S(RUNNING), ANY},
    [KPOD_CTR_OP_TOP] = {"list processes of", ANY, S(RUNNING)},
};

int
kpod_ctr_op_check(enum kpod_ctr_op op, enum kpod_state pod_state, enum kpod_state ctr_state,
                  const char *ctr_name, struct kpod_err **err)
{
    if ((unsigned)op >= ARRAY_SIZE(preconditions))
        return kpod_err_msg(err, "unknown container operation %d", (int)op);
    unsigned pod = preconditions[op].pod, ctr = preconditions[op].ctr;
    if (pod != ANY && !(pod & (1u << pod_state)))
        return kpod_err_invoke(err, "cannot %s container '%s': its pod is %s",
                               preconditions[op].verb, ctr_name, kpod_state_name(pod_state));
    if (ctr != ANY && !(ctr & (1u << ctr_state)))
        return kpod_err_invoke(err, "cannot %s container '%s': it is %s", preconditions[op].verb,
                               ctr_name, kpod_state_name(ctr_state));
    return 0;
}
