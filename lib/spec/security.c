/* The default security profile: capabilities, seccomp, masked and read-only paths, device
 * rules, no_new_privs. privileged lifts all of it. */
#include "spec/internal.h"

#include <string.h>

static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
    "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
    "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL,
};

static const char *const all_caps[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    NULL,
};

const char *const *
kpod_spec_default_caps(void)
{
    return default_caps;
}

const char *const *
kpod_spec_all_caps(void)
{
    return all_caps;
}

static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/fs/selinux",
    "/sys/dev/block",
    "/proc/interrupts",
    NULL,
};

static const char *const readonly_paths[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static bool
known_cap(const char *c)
{
    for (size_t i = 0; all_caps[i]; i++)
        if (strcmp(all_caps[i], c) == 0)
            return true;
    return false;
}

/* Every capability the caller can grant, in kernel order. */
static char **
grantable_caps(const struct kpod_spec_args *a)
{
    char **v = xzalloc(sizeof(char *));
    for (size_t i = 0; all_caps[i]; i++)
        if (!a->has_host_caps || (i < 64 && (a->host_caps >> i) & 1))
            kpod_strv_push(&v, all_caps[i]);
    return v;
}

/* The effective capability set from the defaults, drop and add (drop first, as CRI does). */
static int
cap_set(const struct kpod_spec_args *a, char ***ret, struct kpod_err **err)
{
    const struct kpod_container *c = a->ctr;
    _cleanup_strv_ char **caps = NULL;
    const struct kpod_security_context *s = &c->sec;
    if (s->privileged == 1) {
        *ret = grantable_caps(a);
        return 0;
    }
    bool drop_all = kpod_strv_contains(s->cap_drop, "ALL");
    for (size_t i = 0; !drop_all && default_caps[i]; i++)
        if (!kpod_strv_contains(s->cap_drop, default_caps[i]))
            kpod_strv_push(&caps, default_caps[i]);
    for (char **d = s->cap_drop; d && *d; d++)
        if (strcmp(*d, "ALL") != 0 && !known_cap(*d))
            return kpod_err_input(err, "container '%s': unknown capability '%s' in drop", c->name,
                                  *d);
    for (char **add = s->cap_add; add && *add; add++) {
        if (strcmp(*add, "ALL") == 0) {
            kpod_strv_free(caps);
            caps = grantable_caps(a);
            break;
        }
        if (!known_cap(*add))
            return kpod_err_input(err, "container '%s': unknown capability '%s' in add", c->name,
                                  *add);
        if (!kpod_strv_contains(caps, *add))
            kpod_strv_push(&caps, *add);
    }
    if (caps == NULL)
        caps = xzalloc(sizeof(char *));
    *ret = TAKE_PTR(caps);
    return 0;
}

static void
add_devices(struct kpod_oci_spec *spec, bool privileged)
{
    struct kpod_oci_resources *r = kpod_oci_spec_resources(spec);
    static const struct {
        const char *type;
        int64_t major, minor;
        const char *access;
    } allow[] = {
        {"c", 1, 3, "rwm"},    {"c", 1, 5, "rwm"}, {"c", 1, 7, "rwm"},
        {"c", 1, 8, "rwm"},    {"c", 1, 9, "rwm"}, {"c", 5, 0, "rwm"},
        {"c", 5, 1, "rwm"},    {"c", 5, 2, "rwm"}, {"c", 136, KPOD_OCI_UNSET, "rwm"},
        {"c", 10, 200, "rwm"},
    };
    size_t n = privileged ? 1 : 1 + ARRAY_SIZE(allow);
    r->devices = xcalloc(n, sizeof(*r->devices));
    r->n_devices = n;
    r->devices[0] = (struct kpod_oci_device_rule){.allow = privileged,
                                                  .major = KPOD_OCI_UNSET,
                                                  .minor = KPOD_OCI_UNSET,
                                                  .access = xstrdup("rwm")};
    for (size_t i = 1; i < n; i++) {
        struct kpod_oci_device_rule *d = &r->devices[i];
        d->allow = true;
        d->type = xstrdup(allow[i - 1].type);
        d->major = allow[i - 1].major;
        d->minor = allow[i - 1].minor;
        d->access = xstrdup(allow[i - 1].access);
    }
}

static int
add_seccomp(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, char **caps,
            struct kpod_err **err)
{
    const struct kpod_container *c = a->ctr;
    struct kpod_seccomp_profile sp =
        c->sec.seccomp.type != KPOD_SECCOMP_UNSET ? c->sec.seccomp : a->pod->seccomp;
    if (c->sec.privileged == 1 || sp.type == KPOD_SECCOMP_UNCONFINED)
        return 0;
    if (sp.type == KPOD_SECCOMP_LOCALHOST) {
        if (a->seccomp_root == NULL)
            return kpod_err_input(err,
                                  "container '%s': Localhost seccomp profile '%s': no "
                                  "profile directory configured",
                                  c->name, sp.localhost_profile);
        _cleanup_free_ char *path = kpod_fs_join_in_root(a->seccomp_root, sp.localhost_profile);
        _cleanup_json_ json_t *j = kpod_json_load_file(path, 1u << 20, err);
        if (j == NULL)
            return kpod_err_prefix(err, "container '%s': seccomp profile", c->name);
        _cleanup_json_ json_t *wrap =
            json_pack("{s:s, s:{s:O}}", "ociVersion", KPOD_OCI_VERSION, "linux", "seccomp", j);
        _cleanup_oci_spec_ struct kpod_oci_spec *tmp = kpod_oci_spec_from_json(wrap, err);
        if (tmp == NULL)
            return kpod_err_prefix(err, "container '%s': seccomp profile '%s'", c->name, path);
        kpod_oci_spec_linux(spec)->seccomp = TAKE_PTR(tmp->linux_->seccomp);
        return 0;
    }
    kpod_oci_spec_linux(spec)->seccomp = kpod_spec_default_seccomp(caps);
    return 0;
}

int
spec_add_security(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, uint32_t uid,
                  char ***warnings, struct kpod_err **err)
{
    const struct kpod_container *c = a->ctr;
    bool priv = c->sec.privileged == 1;
    _cleanup_strv_ char **caps = NULL;
    if (cap_set(a, &caps, err) < 0)
        return -1;
    for (size_t i = 0; a->has_host_caps && warnings && caps[i]; i++) {
        size_t bit = 0;
        while (all_caps[bit] && strcmp(all_caps[bit], caps[i]) != 0)
            bit++;
        if (bit >= 64 || !((a->host_caps >> bit) & 1))
            kpod_strv_push_take(warnings,
                                xasprintf("container '%s': capability %s is not in kpod's own "
                                          "bounding set, the container cannot get it",
                                          c->name, caps[i]));
    }
    struct kpod_oci_process *p = kpod_oci_spec_process(spec);
    p->capabilities = xzalloc(sizeof(*p->capabilities));
    p->capabilities->bounding = kpod_strv_dup(caps);
    if (uid == 0 || priv) {
        p->capabilities->effective = kpod_strv_dup(caps);
        p->capabilities->permitted = kpod_strv_dup(caps);
    } else {
        /* a non-root user gets only what was added explicitly, as ambient capabilities */
        char **added = xzalloc(sizeof(char *));
        for (char **x = c->sec.cap_add; x && *x; x++)
            if (kpod_strv_contains(caps, *x))
                kpod_strv_push(&added, *x);
        p->capabilities->effective = kpod_strv_dup(added);
        p->capabilities->permitted = kpod_strv_dup(added);
        p->capabilities->inheritable = kpod_strv_dup(added);
        p->capabilities->ambient = added;
    }
    p->no_new_privileges = c->sec.allow_privilege_escalation == 0;
    struct kpod_oci_linux *l = kpod_oci_spec_linux(spec);
    bool unmasked = c->sec.proc_mount != NULL && strcmp(c->sec.proc_mount, "Unmasked") == 0;
    if (!priv && !unmasked) {
        l->masked_paths = kpod_strv_dup((char *const *)masked_paths);
        l->readonly_paths = kpod_strv_dup((char *const *)readonly_paths);
    }
    add_devices(spec, priv);
    return add_seccomp(spec, a, caps, err);
}
