/* The device allowlist: rules in v1 devices.allow syntax ("c 1:3 rwm", "b *:* m", "a"),
 * parsed once; on cgroup v2 compiled into a BPF_PROG_TYPE_CGROUP_DEVICE program (deny unless a
 * rule allows) attached to the cgroup, replacing the one kpod attached before. */
#include "cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
cg_parse_device_rule(const char *text, struct cg_device_rule *ret, struct kpod_err **err)
{
    struct cg_device_rule r = {.type = 'a', .major = -1, .minor = -1, .access = CG_DEV_RWM};
    const char *p = text;
    if (*p != 'a' && *p != 'b' && *p != 'c')
        return kpod_err_input(err, "invalid device rule '%s': type must be a, b or c", text);
    r.type = *p++;
    if (*p == '\0' && r.type == 'a')
        return *ret = r, 0;
    if (*p++ != ' ')
        return kpod_err_input(err, "invalid device rule '%s': want 'TYPE MAJOR:MINOR ACCESS'",
                              text);
    for (int i = 0; i < 2; i++) {
        long long *field = i == 0 ? &r.major : &r.minor;
        if (*p == '*') {
            p++;
        } else {
            char *end = NULL;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (end == p || errno != 0 || v < 0 || v > 0xfffff)
                return kpod_err_input(err, "invalid device rule '%s': bad %s number", text,
                                      i == 0 ? "major" : "minor");
            *field = v;
            p = end;
        }
        if (i == 0 && *p++ != ':')
            return kpod_err_input(err, "invalid device rule '%s': want MAJOR:MINOR", text);
    }
    if (*p == ' ') {
        p++;
        r.access = 0;
        for (; *p == 'r' || *p == 'w' || *p == 'm'; p++)
            r.access |= *p == 'r' ? CG_DEV_READ : *p == 'w' ? CG_DEV_WRITE : CG_DEV_MKNOD;
        if (r.access == 0)
            return kpod_err_input(err, "invalid device rule '%s': access must be of r, w, m", text);
    }
    if (*p != '\0')
        return kpod_err_input(err, "invalid device rule '%s': unexpected '%s'", text, p);
    *ret = r;
    return 0;
}

static void
emit(struct bpf_insn *out, size_t *n, struct bpf_insn insn)
{
    out[(*n)++] = insn;
}

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU_K(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define MOV_X(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define JNE_K(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* One rule: jumps past itself unless the access matches, else returns 1 (allow).
 * Registers: r2 type, r3 access, r4 major, r5 minor. */
static void
emit_rule(struct bpf_insn *out, size_t *n, const struct cg_device_rule *r)
{
    struct bpf_insn body[8];
    size_t b = 0;
    if (r->type != 'a')
        emit(body, &b, JNE_K(2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    if (r->access != CG_DEV_RWM) {
        emit(body, &b, MOV_X(1, 3));
        emit(body, &b, ALU_K(BPF_AND, 1, ~r->access & CG_DEV_RWM));
        emit(body, &b, JNE_K(1, 0, 0));
    }
    if (r->type != 'a' && r->major >= 0)
        emit(body, &b, JNE_K(4, (int32_t)r->major, 0));
    if (r->type != 'a' && r->minor >= 0)
        emit(body, &b, JNE_K(5, (int32_t)r->minor, 0));
    emit(body, &b, ALU_K(BPF_MOV, 0, 1));
    emit(body, &b, EXIT());
    /* every conditional jump goes to the instruction after this rule */
    for (size_t i = 0; i < b; i++) {
        if (body[i].code == (BPF_JMP | BPF_JNE | BPF_K))
            body[i].off = (int16_t)(b - i - 1);
        emit(out, n, body[i]);
    }
}

size_t
cg_device_program(const struct cg_device_rule *rules, size_t nrules, struct bpf_insn *out)
{
    size_t n = 0;
    /* access_type = (access << 16) | type; then major, minor */
    emit(out, &n, LDX_W(2, 1, 0));
    emit(out, &n, ALU_K(BPF_AND, 2, 0xffff));
    emit(out, &n, LDX_W(3, 1, 0));
    emit(out, &n, ALU_K(BPF_RSH, 3, 16));
    emit(out, &n, LDX_W(4, 1, 4));
    emit(out, &n, LDX_W(5, 1, 8));
    for (size_t i = 0; i < nrules; i++)
        emit_rule(out, &n, &rules[i]);
    emit(out, &n, ALU_K(BPF_MOV, 0, 0));
    emit(out, &n, EXIT());
    return n;
}

static int
sys_bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int
load_once(const struct bpf_insn *insns, size_t n, char *log, size_t logsize)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uintptr_t) "GPL";
    if (log != NULL) {
        attr.log_buf = (uintptr_t)log;
        attr.log_size = (uint32_t)logsize;
        attr.log_level = 1;
        log[0] = '\0';
    }
    return sys_bpf(BPF_PROG_LOAD, &attr);
}

/* Loads without a verifier log (a long one could overflow and fail a good program); on
 * failure loads again with the log to say why. */
static int
load_program(const struct bpf_insn *insns, size_t n, struct kpod_err **err)
{
    int fd = load_once(insns, n, NULL, 0);
    if (fd >= 0)
        return fd;
    int e = errno;
    char log[1024];
    fd = load_once(insns, n, log, sizeof(log));
    if (fd >= 0)
        return fd;
    if (log[0] != '\0') {
        log[strcspn(log, "\n")] = '\0';
        return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "load the BPF device program: %s", log);
    }
    return kpod_err_set(err, KPOD_ERR_INTERNAL, e, "load the BPF device program");
}

/* The ids of the device programs attached to cgfd now. */
static int
query_programs(int cgfd, uint32_t *ids, uint32_t max, struct kpod_err **err)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uintptr_t)ids;
    attr.query.prog_cnt = max;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return kpod_err_sys(err, "query the BPF device programs");
    return (int)attr.query.prog_cnt;
}

static void
detach_id(int cgfd, uint32_t id)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (fd < 0)
        return;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
        kpod_debug("cgroup: detach BPF program %u: %s", id, strerror(errno));
    close(fd);
}

int
cg_v2_apply_devices(struct kpod_cgroup *cg, char **allow, struct kpod_err **err)
{
    size_t nrules = kpod_strv_len(allow);
    if (nrules > 4096)
        return kpod_err_input(err, "too many device rules (%zu, at most 4096)", nrules);
    _cleanup_free_ struct cg_device_rule *rules = xcalloc(nrules + 1, sizeof(*rules));
    for (size_t i = 0; i < nrules; i++) {
        if (cg_parse_device_rule(allow[i], &rules[i], err) < 0)
            return -1;
    }
    _cleanup_free_ struct bpf_insn *insns = xcalloc(8 + nrules * 8, sizeof(*insns));
    size_t n = cg_device_program(rules, nrules, insns);
    _cleanup_close_ int cgfd = open(cg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return kpod_err_sys(err, "open cgroup '%s'", cg->dir);
    uint32_t old[64];
    int nold = query_programs(cgfd, old, ARRAY_SIZE(old), err);
    if (nold < 0)
        return -1;
    _cleanup_close_ int prog = load_program(insns, n, err);
    if (prog < 0)
        return -1;
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgfd;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return kpod_err_sys(err, "attach the BPF device program to '%s'", cg->dir);
    /* The new program is in force: the old ones (an earlier apply) can go. */
    for (int i = 0; i < nold; i++)
        detach_id(cgfd, old[i]);
    return 0;
}

int
cg_v2_device_programs(struct kpod_cgroup *cg, struct kpod_err **err)
{
    _cleanup_close_ int cgfd = open(cg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return kpod_err_sys(err, "open cgroup '%s'", cg->dir);
    uint32_t ids[64];
    return query_programs(cgfd, ids, ARRAY_SIZE(ids), err);
}
