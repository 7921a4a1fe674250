/* Seccomp filters as ready BPF programs. libseccomp needs milliseconds to turn a profile of a
 * few hundred rules into BPF — more than the rest of `kpod exec` together. A profile is
 * compiled once: the program is kept under a cache directory, named by the sha256 of the
 * profile, and every later container or exec with the same profile loads it as it is. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/internal.h"

#define MAX_INSNS 65536 /* BPF_MAXINSNS is 4096; the kernel refuses more anyway */

static void
hash_str(struct kpod_sha256 *h, const char *s)
{
    kpod_sha256_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void
hash_u64(struct kpod_sha256 *h, uint64_t v)
{
    kpod_sha256_update(h, &v, sizeof(v));
}

static void
hash_strv(struct kpod_sha256 *h, char *const *v)
{
    size_t n = kpod_strv_len(v);
    hash_u64(h, n);
    for (size_t i = 0; i < n; i++)
        hash_str(h, v[i]);
}

/* The cache key: every field that shapes the program, in order. */
static void
profile_key(const struct kpod_oci_seccomp *s, char out[KPOD_DIGEST_STR_LEN])
{
    struct kpod_sha256 *h = kpod_sha256_new();
    hash_str(h, "kpod-seccomp-1");
    hash_str(h, s->default_action);
    hash_u64(h, s->has_default_errno_ret ? s->default_errno_ret : UINT64_MAX);
    hash_strv(h, s->architectures);
    hash_strv(h, s->flags);
    hash_u64(h, s->n_syscalls);
    for (size_t i = 0; i < s->n_syscalls; i++) {
        const struct kpod_oci_seccomp_syscall *sc = &s->syscalls[i];
        hash_strv(h, sc->names);
        hash_str(h, sc->action);
        hash_u64(h, sc->has_errno_ret ? sc->errno_ret : UINT64_MAX);
        hash_u64(h, sc->n_args);
        for (size_t k = 0; k < sc->n_args; k++) {
            hash_u64(h, sc->args[k].index);
            hash_u64(h, sc->args[k].value);
            hash_u64(h, sc->args[k].value_two);
            hash_str(h, sc->args[k].op);
        }
    }
    kpod_sha256_final(h, out);
    kpod_sha256_free(h);
}

static unsigned
kernel_flags(char *const *flags)
{
    unsigned f = 0;
    for (size_t i = 0; flags != NULL && flags[i] != NULL; i++) {
        if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
            f |= SECCOMP_FILTER_FLAG_LOG;
        else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            f |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        else if (strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            f |= SECCOMP_FILTER_FLAG_TSYNC;
    }
    return f;
}

static int
read_program(int fd, struct seccomp_prog *ret, struct kpod_err **err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return kpod_err_sys(err, "seccomp: stat the program");
    size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
    if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 || n > MAX_INSNS)
        return kpod_err_msg(err, "seccomp: corrupt program (%lld bytes)", (long long)st.st_size);
    struct sock_filter *f = xcalloc(n, sizeof(*f));
    if (pread(fd, f, (size_t)st.st_size, 0) != st.st_size) {
        free(f);
        return kpod_err_sys(err, "seccomp: read the program");
    }
    ret->filter = f;
    ret->len = (unsigned short)n;
    return 0;
}

/* Compiles with libseccomp into fd. */
static int
compile(const struct kpod_oci_seccomp *s, int fd, struct kpod_err **err)
{
    scmp_filter_ctx ctx = seccomp_build(s, err);
    if (ctx == NULL)
        return -1;
    int r = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (r < 0)
        return kpod_err_set(err, KPOD_ERR_INTERNAL, -r, "seccomp: export the program");
    return 0;
}

int
seccomp_prepare(const struct kpod_oci_seccomp *s, const char *cache_dir, struct seccomp_prog *ret,
                struct kpod_err **err)
{
    memset(ret, 0, sizeof(*ret));
    ret->flags = kernel_flags(s->flags);
    char key[KPOD_DIGEST_STR_LEN];
    profile_key(s, key);
    _cleanup_free_ char *path =
        cache_dir != NULL ? xasprintf("%s/%s.bpf", cache_dir, key + 7) : NULL;
    if (path != NULL) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct kpod_err *ignored = NULL;
        if (fd >= 0 && read_program(fd, ret, &ignored) == 0)
            return 0;
        kpod_err_free(&ignored); /* missing or damaged: compile it again */
    }
    _cleanup_close_ int mfd = memfd_create("kpod-seccomp", MFD_CLOEXEC);
    if (mfd < 0)
        return kpod_err_sys(err, "seccomp: memfd");
    if (compile(s, mfd, err) < 0 || read_program(mfd, ret, err) < 0)
        return -1;
    if (path != NULL) {
        struct kpod_err *ignored = NULL; /* the cache only speeds things up */
        if (kpod_fs_mkdir_p(cache_dir, 0700, &ignored) == 0)
            kpod_fs_write_atomic(path, ret->filter, ret->len * sizeof(struct sock_filter), 0600,
                                 &ignored);
        kpod_err_free(&ignored);
    }
    return 0;
}

int
seccomp_apply(const struct seccomp_prog *p)
{
    struct sock_fprog prog = {.len = p->len, .filter = p->filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog) < 0)
        return -errno;
    return 0;
}

void
seccomp_prog_free(struct seccomp_prog *p)
{
    free(p->filter);
    p->filter = NULL;
    p->len = 0;
}
