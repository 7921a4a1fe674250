/* Capabilities (names → masks, libcap-ng) and seccomp filters (libseccomp) built from the spec
 * in the parent, so the child only applies them. */
#include "container/internal.h"

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

int
cap_from_name(const char *name)
{
    const char *n = name;
    if (strncasecmp(n, "CAP_", 4) == 0)
        n += 4;
    char lower[64];
    size_t len = strlen(n);
    if (len == 0 || len >= sizeof(lower))
        return -1;
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)n[i]);
    int c = capng_name_to_capability(lower);
    return c >= 0 && c < 64 ? c : -1;
}

static int
caps_mask(char *const *names, const char *set, uint64_t *ret, struct kpod_err **err)
{
    uint64_t m = 0;
    for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
        int c = cap_from_name(names[i]);
        if (c < 0)
            return kpod_err_input(err, "capabilities: %s: unknown capability '%s'", set, names[i]);
        if (c > CAP_LAST_CAP) {
            kpod_warn("capability '%s' is not supported by this kernel: ignored", names[i]);
            continue;
        }
        m |= UINT64_C(1) << c;
    }
    *ret = m;
    return 0;
}

int
caps_plan_init(struct caps_plan *c, const struct kpod_oci_caps *caps, struct kpod_err **err)
{
    memset(c, 0, sizeof(*c));
    if (caps == NULL)
        return 0;
    c->present = true;
    if (caps_mask(caps->bounding, "bounding", &c->bounding, err) < 0 ||
        caps_mask(caps->effective, "effective", &c->effective, err) < 0 ||
        caps_mask(caps->inheritable, "inheritable", &c->inheritable, err) < 0 ||
        caps_mask(caps->permitted, "permitted", &c->permitted, err) < 0 ||
        caps_mask(caps->ambient, "ambient", &c->ambient, err) < 0)
        return -1;
    /* Ambient capabilities must be permitted and inheritable (the kernel refuses others). */
    uint64_t bad = c->ambient & ~(c->permitted & c->inheritable);
    if (bad != 0) {
        for (int i = 0; i < 64; i++)
            if (bad & (UINT64_C(1) << i))
                kpod_debug("ambient capability %s dropped: not permitted and inheritable",
                           capng_capability_to_name(i));
        c->ambient &= ~bad;
    }
    return 0;
}

/* Seccomp. */

struct name_val {
    const char *name;
    uint32_t val;
};

static int
seccomp_action(const char *name, bool has_errno, uint32_t errno_ret, uint32_t *ret,
               struct kpod_err **err)
{
    uint32_t e = has_errno ? errno_ret : EPERM;
    if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
        *ret = SCMP_ACT_ALLOW;
    else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
        *ret = SCMP_ACT_ERRNO(e);
    else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
        *ret = SCMP_ACT_KILL_THREAD;
    else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
        *ret = SCMP_ACT_KILL_PROCESS;
    else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
        *ret = SCMP_ACT_TRAP;
    else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
        *ret = SCMP_ACT_TRACE(e);
    else if (strcmp(name, "SCMP_ACT_LOG") == 0)
        *ret = SCMP_ACT_LOG;
    else
        return kpod_err_input(err, "seccomp: unsupported action '%s'", name);
    return 0;
}

static int
seccomp_op(const char *name, enum scmp_compare *ret)
{
    static const struct name_val ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        if (strcmp(name, ops[i].name) == 0) {
            *ret = (enum scmp_compare)ops[i].val;
            return 0;
        }
    }
    return -1;
}

static int
seccomp_arches(scmp_filter_ctx ctx, char *const *arches, struct kpod_err **err)
{
    for (size_t i = 0; arches != NULL && arches[i] != NULL; i++) {
        const char *a = arches[i];
        if (strncmp(a, "SCMP_ARCH_", 10) == 0)
            a += 10;
        char lower[32];
        size_t len = strlen(a);
        if (len >= sizeof(lower))
            return kpod_err_input(err, "seccomp: unknown architecture '%s'", arches[i]);
        for (size_t j = 0; j <= len; j++)
            lower[j] = (char)tolower((unsigned char)a[j]);
        uint32_t arch = seccomp_arch_resolve_name(lower);
        if (arch == 0)
            return kpod_err_input(err, "seccomp: unknown architecture '%s'", arches[i]);
        int r = seccomp_arch_add(ctx, arch);
        if (r < 0 && r != -EEXIST)
            return kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: add architecture '%s'",
                                arches[i]);
    }
    return 0;
}

static int
seccomp_flags(scmp_filter_ctx ctx, char *const *flags, struct kpod_err **err)
{
    for (size_t i = 0; flags != NULL && flags[i] != NULL; i++) {
        int r;
        if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
        else
            return kpod_err_input(err, "seccomp: unsupported flag '%s'", flags[i]);
        if (r < 0)
            return kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: flag '%s'", flags[i]);
    }
    return 0;
}

/* Adds the rule of one syscall. Comparisons on distinct arguments are ANDed in one rule; when an
 * argument index repeats, libseccomp cannot AND them, so each becomes its own rule (OR), as
 * other runtimes do. */
static int
seccomp_add_rule(scmp_filter_ctx ctx, int nr, uint32_t action,
                 const struct kpod_oci_seccomp_syscall *sc, const char *name, struct kpod_err **err)
{
    struct scmp_arg_cmp cmps[6];
    bool seen[6] = {false};
    bool repeat = false;
    if (sc->n_args > 6)
        return kpod_err_input(err, "seccomp: syscall '%s': more than 6 argument rules", name);
    for (size_t i = 0; i < sc->n_args; i++) {
        const struct kpod_oci_seccomp_arg *a = &sc->args[i];
        enum scmp_compare op;
        if (seccomp_op(a->op, &op) < 0)
            return kpod_err_input(err, "seccomp: syscall '%s': unknown operator '%s'", name, a->op);
        cmps[i] = (struct scmp_arg_cmp){a->index, op, a->value, a->value_two};
        repeat = repeat || seen[a->index];
        seen[a->index] = true;
    }
    int r = 0;
    if (!repeat) {
        r = seccomp_rule_add_array(ctx, action, nr, (unsigned)sc->n_args, cmps);
    } else {
        for (size_t i = 0; i < sc->n_args && r >= 0; i++)
            r = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[i]);
    }
    if (r < 0)
        return kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: add rule for '%s'", name);
    return 0;
}

static int
seccomp_syscalls(scmp_filter_ctx ctx, uint32_t def, const struct kpod_oci_seccomp *s,
                 struct kpod_err **err)
{
    for (size_t i = 0; i < s->n_syscalls; i++) {
        const struct kpod_oci_seccomp_syscall *sc = &s->syscalls[i];
        uint32_t action = 0;
        if (seccomp_action(sc->action, sc->has_errno_ret, sc->errno_ret, &action, err) < 0)
            return -1;
        if (action == def)
            continue; /* libseccomp refuses rules equal to the default */
        for (size_t j = 0; sc->names[j] != NULL; j++) {
            int nr = seccomp_syscall_resolve_name(sc->names[j]);
            if (nr == __NR_SCMP_ERROR) {
                kpod_debug("seccomp: syscall '%s' unknown here: skipped", sc->names[j]);
                continue;
            }
            if (seccomp_add_rule(ctx, nr, action, sc, sc->names[j], err) < 0)
                return -1;
        }
    }
    return 0;
}

scmp_filter_ctx
seccomp_build(const struct kpod_oci_seccomp *s, struct kpod_err **err)
{
    uint32_t def = 0;
    if (seccomp_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret, &def,
                       err) < 0)
        return NULL;
    scmp_filter_ctx ctx = seccomp_init(def);
    if (ctx == NULL) {
        kpod_err_msg(err, "seccomp: cannot initialise a filter");
        return NULL;
    }
    /* kpod sets no_new_privs itself, as the spec says. */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (r < 0 || seccomp_arches(ctx, s->architectures, err) < 0 ||
        seccomp_flags(ctx, s->flags, err) < 0 || seccomp_syscalls(ctx, def, s, err) < 0) {
        if (r < 0)
            kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: attribute");
        seccomp_release(ctx);
        return NULL;
    }
    return ctx;
}
