/* The pod plan: volumes in the kubelet layout under the pod directory, the pod's /dev/shm and
 * its hosts, hostname and resolv.conf files. */
#include "spec/spec.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

static void
plan_files(const struct kpod_manifest *m, const struct kpod_volume *v, struct kpod_spec_volume *sv)
{
    enum kpod_keyset_kind kind =
        v->type == KPOD_VOLUME_SECRET ? KPOD_KEYSET_SECRET : KPOD_KEYSET_CONFIGMAP;
    const struct kpod_keyset *ks = kpod_manifest_find_keyset(m, kind, v->source);
    if (ks == NULL)
        return; /* optional and missing: an empty directory */
    size_t n = v->n_items ? v->n_items : ks->data.n;
    sv->files = xcalloc(n + 1, sizeof(*sv->files));
    for (size_t i = 0; i < n; i++) {
        const char *key = v->n_items ? v->items[i].key : ks->data.items[i].key;
        const struct kpod_kv *kv = NULL;
        for (size_t j = 0; j < ks->data.n && kv == NULL; j++)
            if (strcmp(ks->data.items[j].key, key) == 0)
                kv = &ks->data.items[j];
        if (kv == NULL)
            continue; /* optional volume, missing key */
        struct kpod_spec_file *f = &sv->files[sv->n_files++];
        f->path = xstrdup(v->n_items ? v->items[i].path : key);
        f->data = xmemdup(kv->value, kv->len + 1);
        f->len = kv->len;
        f->mode = (v->n_items && v->items[i].mode >= 0) ? v->items[i].mode : v->default_mode;
    }
}

static const char *
plugin_dir(enum kpod_volume_type t)
{
    switch (t) {
    case KPOD_VOLUME_EMPTYDIR:
        return KPOD_SPEC_EMPTYDIR_PLUGIN;
    case KPOD_VOLUME_CONFIGMAP:
        return "kubernetes.io~configmap";
    case KPOD_VOLUME_SECRET:
        return "kubernetes.io~secret";
    default:
        return NULL;
    }
}

static void
plan_volume(const struct kpod_spec_pod_args *a, const struct kpod_volume *v,
            struct kpod_spec_volume *sv)
{
    sv->name = xstrdup(v->name);
    sv->type = v->type;
    sv->gid = a->pod->fs_group;
    sv->hostpath_type = v->hostpath_type;
    switch (v->type) {
    case KPOD_VOLUME_HOSTPATH:
        sv->host_path = xstrdup(v->path);
        sv->gid = KPOD_UNSET;
        return;
    case KPOD_VOLUME_PVC:
        sv->host_path = xasprintf("%s/%s/_data", a->volumes_root, v->claim);
        sv->read_only = v->read_only;
        sv->dir_mode = 0755;
        return;
    default:
        break;
    }
    sv->host_path = xasprintf("%s/volumes/%s/%s", a->pod_dir, plugin_dir(v->type), v->name);
    if (v->type == KPOD_VOLUME_EMPTYDIR) {
        sv->dir_mode = 0777;
        sv->tmpfs = v->memory;
        sv->size = v->memory && v->size_limit != KPOD_UNSET ? v->size_limit : 0;
        return;
    }
    /* configMap and secret: the kubelet keeps secrets on tmpfs so they never touch a disk */
    sv->tmpfs = v->type == KPOD_VOLUME_SECRET;
    sv->size = 0;
    sv->dir_mode = v->type == KPOD_VOLUME_SECRET ? 0750 : 0755;
    plan_files(a->manifest, v, sv);
}

struct kpod_spec_pod *
kpod_spec_pod_plan(const struct kpod_spec_pod_args *a, struct kpod_err **err)
{
    if (a->pod_dir == NULL || a->run_dir == NULL || a->volumes_root == NULL)
        return kpod_err_msg(err, "pod plan: pod_dir, run_dir and volumes_root are required"), NULL;
    struct kpod_spec_pod *p = xzalloc(sizeof(*p));
    p->pod_dir = xstrdup(a->pod_dir);
    p->run_dir = xstrdup(a->run_dir);
    p->volumes = xcalloc(a->pod->n_volumes + 1, sizeof(*p->volumes));
    for (size_t i = 0; i < a->pod->n_volumes; i++)
        plan_volume(a, &a->pod->volumes[i], &p->volumes[p->n_volumes++]);
    p->shm_path = xasprintf("%s/shm", a->run_dir);
    p->shm_size = a->shm_size > 0 ? a->shm_size : KPOD_SPEC_DEFAULT_SHM_SIZE;
    p->hostname = xstrdup(a->pod->hostname ? a->pod->hostname : a->pod->name);
    /* a DNS subdomain pod name is cut at 63 characters, as the kubelet does */
    if (strlen(p->hostname) > 63) {
        p->hostname[63] = '\0';
        for (size_t n = 63; n > 0 && (p->hostname[n - 1] == '-' || p->hostname[n - 1] == '.'); n--)
            p->hostname[n - 1] = '\0';
    }
    p->hosts_path = xasprintf("%s/hosts", a->run_dir);
    p->hostname_path = xasprintf("%s/hostname", a->run_dir);
    p->resolv_path = xasprintf("%s/resolv.conf", a->run_dir);
    return p;
}

void
kpod_spec_pod_free(struct kpod_spec_pod *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_volumes; i++) {
        struct kpod_spec_volume *v = &p->volumes[i];
        for (size_t j = 0; j < v->n_files; j++) {
            free(v->files[j].path);
            free(v->files[j].data);
        }
        free(v->files);
        free(v->name);
        free(v->host_path);
    }
    free(p->volumes);
    free(p->pod_dir);
    free(p->run_dir);
    free(p->shm_path);
    free(p->hostname);
    free(p->hosts_path);
    free(p->hostname_path);
    free(p->resolv_path);
    free(p);
}

const struct kpod_spec_volume *
kpod_spec_pod_volume(const struct kpod_spec_pod *p, const char *name)
{
    for (size_t i = 0; i < p->n_volumes; i++)
        if (strcmp(p->volumes[i].name, name) == 0)
            return &p->volumes[i];
    return NULL;
}

int
kpod_spec_hostpath_check(const struct kpod_spec_volume *v, bool exists, unsigned mode,
                         struct kpod_err **err)
{
    static const struct {
        enum kpod_hostpath_type type;
        unsigned fmt;
        const char *what;
    } want[] = {
        {KPOD_HOSTPATH_DIRECTORY_OR_CREATE, S_IFDIR, "a directory"},
        {KPOD_HOSTPATH_DIRECTORY, S_IFDIR, "a directory"},
        {KPOD_HOSTPATH_FILE_OR_CREATE, S_IFREG, "a file"},
        {KPOD_HOSTPATH_FILE, S_IFREG, "a file"},
        {KPOD_HOSTPATH_SOCKET, S_IFSOCK, "a socket"},
        {KPOD_HOSTPATH_CHAR_DEVICE, S_IFCHR, "a character device"},
        {KPOD_HOSTPATH_BLOCK_DEVICE, S_IFBLK, "a block device"},
    };
    if (v->hostpath_type == KPOD_HOSTPATH_UNSET)
        return KPOD_HOSTPATH_OK;
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        if (want[i].type != v->hostpath_type)
            continue;
        if (!exists && v->hostpath_type == KPOD_HOSTPATH_DIRECTORY_OR_CREATE)
            return KPOD_HOSTPATH_MKDIR;
        if (!exists && v->hostpath_type == KPOD_HOSTPATH_FILE_OR_CREATE)
            return KPOD_HOSTPATH_CREATE_FILE;
        if (!exists)
            return kpod_err_input(err, "volume '%s': hostPath '%s' does not exist (type wants %s)",
                                  v->name, v->host_path, want[i].what);
        if ((mode & S_IFMT) != want[i].fmt)
            return kpod_err_input(err, "volume '%s': hostPath '%s' is not %s", v->name,
                                  v->host_path, want[i].what);
        return KPOD_HOSTPATH_OK;
    }
    return KPOD_HOSTPATH_OK;
}

struct sbuf {
    char *s;
    size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *s = xvasprintf(fmt, ap);
    va_end(ap);
    size_t n = strlen(s);
    xgrow((void **)&b->s, &b->cap, b->len + n + 1, 1);
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

char *
kpod_spec_hosts_content(const struct kpod_pod *pod, const char *hostname, const char *pod_ip,
                        const char *host_hosts)
{
    struct sbuf b = {0};
    sb_printf(&b, "# Kubernetes-managed hosts file (kpod).\n");
    if (pod->host_network) {
        /* the host's names, as the kubelet does for hostNetwork pods */
        sb_printf(&b, "%s", host_hosts ? host_hosts : "127.0.0.1\tlocalhost\n");
        if (b.len > 0 && b.s[b.len - 1] != '\n')
            sb_printf(&b, "\n");
        pod_ip = NULL;
    } else {
        sb_printf(&b, "127.0.0.1\tlocalhost\n");
        sb_printf(&b, "::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb_printf(&b, "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n");
        sb_printf(&b, "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
    }
    if (pod_ip != NULL && *pod_ip != '\0') {
        if (pod->subdomain != NULL)
            sb_printf(&b, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", pod_ip, hostname, pod->subdomain,
                      pod->namespace, hostname);
        else
            sb_printf(&b, "%s\t%s\n", pod_ip, hostname);
    }
    if (pod->n_host_aliases > 0)
        sb_printf(&b, "\n# Entries added by HostAliases.\n");
    for (size_t i = 0; i < pod->n_host_aliases; i++) {
        _cleanup_free_ char *names = kpod_strv_join(pod->host_aliases[i].hostnames, "\t");
        sb_printf(&b, "%s\t%s\n", pod->host_aliases[i].ip, names);
    }
    return b.s;
}

/* The host's resolv.conf lines of one keyword ("nameserver", "search", "options"). */
static char **
resolv_values(const char *text, const char *keyword)
{
    char **out = NULL;
    _cleanup_strv_ char **lines = kpod_strv_split(text ? text : "", "\n", true);
    for (char **l = lines; l && *l; l++) {
        _cleanup_strv_ char **f = kpod_strv_split(*l, " \t", true);
        if (f == NULL || f[0] == NULL || strcmp(f[0], keyword) != 0)
            continue;
        for (char **v = f + 1; *v && **v != '#' && **v != ';'; v++)
            if (!kpod_strv_contains(out, *v))
                kpod_strv_push(&out, *v);
    }
    return out;
}

char *
kpod_spec_resolv_content(const struct kpod_pod *pod, const char *host_resolv_conf)
{
    bool none = pod->dns_policy != NULL && strcmp(pod->dns_policy, "None") == 0;
    _cleanup_strv_ char **host_ns = none ? NULL : resolv_values(host_resolv_conf, "nameserver");
    _cleanup_strv_ char **ns = NULL;
    /* a resolver on the host's loopback (systemd-resolved, dnsmasq) is out of reach from the
     * pod's network namespace */
    for (char **s = host_ns; s && *s; s++)
        if (pod->host_network || !(kpod_str_has_prefix(*s, "127.") || strcmp(*s, "::1") == 0))
            kpod_strv_push(&ns, *s);
    _cleanup_strv_ char **search = none ? NULL : resolv_values(host_resolv_conf, "search");
    _cleanup_strv_ char **opts = none ? NULL : resolv_values(host_resolv_conf, "options");
    for (char **s = pod->dns_nameservers; s && *s; s++)
        if (!kpod_strv_contains(ns, *s))
            kpod_strv_push(&ns, *s);
    for (char **s = pod->dns_searches; s && *s; s++)
        if (!kpod_strv_contains(search, *s))
            kpod_strv_push(&search, *s);
    for (size_t i = 0; i < pod->dns_options.n; i++) {
        const struct kpod_kv *o = &pod->dns_options.items[i];
        _cleanup_free_ char *opt =
            o->value && *o->value ? xasprintf("%s:%s", o->key, o->value) : xstrdup(o->key);
        /* a pod option replaces the host's option of the same name */
        size_t klen = strlen(o->key);
        for (char **h = opts; h && *h; h++) {
            if (strncmp(*h, o->key, klen) == 0 && ((*h)[klen] == '\0' || (*h)[klen] == ':')) {
                free(*h);
                *h = xstrdup("");
            }
        }
        kpod_strv_push(&opts, opt);
    }
    struct sbuf b = {0};
    sb_printf(&b, "# Generated by kpod for pod '%s'.\n", pod->name);
    for (size_t i = 0; ns && ns[i] && i < 3; i++)
        sb_printf(&b, "nameserver %s\n", ns[i]);
    if (search != NULL && search[0] != NULL) {
        _cleanup_free_ char *s = kpod_strv_join(search, " ");
        sb_printf(&b, "search %s\n", s);
    }
    _cleanup_strv_ char **nonempty = NULL;
    for (char **o = opts; o && *o; o++)
        if (**o != '\0')
            kpod_strv_push(&nonempty, *o);
    if (nonempty != NULL) {
        _cleanup_free_ char *s = kpod_strv_join(nonempty, " ");
        sb_printf(&b, "options %s\n", s);
    }
    return b.s;
}
