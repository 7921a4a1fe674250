/* Pulling: resolve the reference (search registries, mirrors, insecure, blocked), fetch the
 * manifest (picking the platform from an index), the config, then the missing layers in
 * parallel, unpacking each as soon as it is verified; the image is named in the index only
 * when everything is in place. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image/registry.h"

#define ACCEPT_MANIFESTS                                                                           \
    MEDIA_OCI_MANIFEST ", " MEDIA_OCI_INDEX ", " MEDIA_DOCKER_MANIFEST ", " MEDIA_DOCKER_LIST      \
                       ", " MEDIA_DOCKER_SCHEMA1_SIGNED ";q=0.5"

const char *
host_arch(void)
{
    struct utsname u;
    uname(&u);
    static const struct {
        const char *machine, *arch;
    } map[] = {{"x86_64", "amd64"},    {"aarch64", "arm64"}, {"armv7l", "arm"},     {"i686", "386"},
               {"ppc64le", "ppc64le"}, {"s390x", "s390x"},   {"riscv64", "riscv64"}};
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (strcmp(u.machine, map[i].machine) == 0)
            return map[i].arch;
    return "amd64";
}

const char *
host_variant(void)
{
    const char *a = host_arch();
    return strcmp(a, "arm64") == 0 ? "v8" : strcmp(a, "arm") == 0 ? "v7" : NULL;
}

struct layer_job {
    const struct store *store;
    char **chain;    /* of the image */
    char **diff_ids; /* of the image */
    size_t *idx;     /* layers (positions) this blob unpacks to */
    size_t nidx;
    char *blob_path;
    const char *digest;
};

int
store_unpack_layer(const struct store *s, int fd, struct follow *fl, const char *chain_id,
                   const char *parent, const char *diff_id, const char *blob_digest,
                   struct kpod_err **err)
{
    _cleanup_free_ char *tmp = store_tmp_path(s, "layer");
    _cleanup_free_ char *diff = xasprintf("%s/diff", tmp);
    if (kpod_fs_mkdir_p(diff, 0755, err) < 0)
        return -1;
    _cleanup_close_ int dirfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return kpod_err_sys(err, "open '%s'", diff);
    struct kpod_unpack_opts o = {.allow_devices = geteuid() == 0, .whiteouts_as_overlay = true};
    char got[KPOD_DIGEST_STR_LEN];
    uint64_t size = 0;
    _cleanup_err_ struct kpod_err *e = NULL;
    int r = fl != NULL ? unpack_reader(follow_read, fl, dirfd, &o, got, &size, &e)
                       : kpod_image_unpack_fd(fd, dirfd, &o, got, &size, &e);
    if (fl != NULL) {
        /* Unpacked during the download: commit only once the blob's digest is verified. */
        if (follow_wait(fl) != 1) {
            _cleanup_err_ struct kpod_err *rmerr = NULL;
            kpod_fs_rm_rf(tmp, &rmerr);
            return 1;
        }
    }
    if (r == 0 && strcmp(got, diff_id) != 0)
        r = kpod_err_input(&e, "diff id mismatch: config says '%s', layer has '%s'", diff_id, got);
    if (r == 0) {
        _cleanup_json_ json_t *meta =
            json_pack("{s:s, s:s, s:s?, s:s, s:I}", "chainId", chain_id, "diffId", diff_id,
                      "parent", parent, "compressedDigest", blob_digest, "size", (json_int_t)size);
        r = store_commit_layer(s, tmp, chain_id, meta, &e);
    }
    if (r < 0) {
        _cleanup_err_ struct kpod_err *rmerr = NULL;
        kpod_fs_rm_rf(tmp, &rmerr);
        kpod_err_move(err, &e);
        return kpod_err_prefix(err, "layer '%.19s'", blob_digest);
    }
    return 0;
}

static int
unpack_from(struct layer_job *lj, struct blob_job *job, size_t first, struct kpod_err **err)
{
    for (size_t k = first; k < lj->nidx; k++) {
        size_t i = lj->idx[k];
        if (store_has_layer(lj->store, lj->chain[i]))
            continue;
        _cleanup_close_ int fd = open(job->dest, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return kpod_err_sys(err, "open blob '%s'", job->digest);
        if (store_unpack_layer(lj->store, fd, NULL, lj->chain[i], i ? lj->chain[i - 1] : NULL,
                               lj->diff_ids[i], job->digest, err) < 0)
            return -1;
    }
    return 0;
}

/* After the download, from the blob file. */
static int
unpack_job(void *data, struct blob_job *job, struct kpod_err **err)
{
    return unpack_from(data, job, 0, err);
}

/* During the download, from the stream of its bytes; the other layers made of the same blob
 * (rare) from the file afterwards. */
static int
stream_job(void *data, struct blob_job *job, struct follow *fl, struct kpod_err **err)
{
    struct layer_job *lj = data;
    size_t i = lj->idx[0];
    int r = 0;
    if (!store_has_layer(lj->store, lj->chain[i]))
        r = store_unpack_layer(lj->store, -1, fl, lj->chain[i], i ? lj->chain[i - 1] : NULL,
                               lj->diff_ids[i], job->digest, err);
    else if (follow_wait(fl) != 1)
        r = 1;
    if (r != 0)
        return r < 0 ? -1 : 0; /* not verified: the download reports why */
    return unpack_from(lj, job, 1, err);
}

struct pull {
    const struct kpod_pull_opts *o;
    struct store store;
    struct registry *reg;
    json_t *manifest, *config;
    char manifest_digest[KPOD_DIGEST_STR_LEN];
    char *manifest_media;
    char *manifest_body;
    size_t manifest_len;
};

static void
progress(const struct pull *p, enum kpod_pull_event ev, const char *what, int64_t done,
         int64_t total)
{
    if (p->o->progress != NULL)
        p->o->progress(p->o->progress_data, ev, what, done, total);
}

static char *
media_of(const struct http_resp *resp, json_t *j)
{
    if (resp->ctype != NULL && *resp->ctype != '\0' &&
        strncmp(resp->ctype, "application/json", 16) != 0 &&
        strncmp(resp->ctype, "text/plain", 10) != 0)
        return xstrndup(resp->ctype, strcspn(resp->ctype, "; "));
    const char *mt = kpod_json_str(j, "mediaType");
    if (mt != NULL)
        return xstrdup(mt);
    if (kpod_json_int(j, "schemaVersion", 0) == 1)
        return xstrdup(MEDIA_DOCKER_SCHEMA1);
    return xstrdup(json_is_array(json_object_get(j, "manifests")) ? MEDIA_OCI_INDEX
                                                                  : MEDIA_OCI_MANIFEST);
}

/* Fetches the manifest (or index) at ref into p; verifies it against want_digest if given. */
static int
fetch_manifest(struct pull *p, const char *ref, const char *want_digest, struct kpod_err **err)
{
    struct http_resp resp;
    if (registry_get(p->reg, "manifests", ref, ACCEPT_MANIFESTS, MANIFEST_MAX, &resp, err) < 0)
        return kpod_err_prefix(err, "fetch manifest");
    free(p->manifest_body);
    p->manifest_body = TAKE_PTR(resp.body);
    p->manifest_len = resp.len;
    kpod_sha256_buf(p->manifest_body, p->manifest_len, p->manifest_digest);
    json_decref(p->manifest);
    p->manifest = kpod_json_loadb(p->manifest_body, p->manifest_len, "manifest", err);
    free(p->manifest_media);
    p->manifest_media = p->manifest ? media_of(&resp, p->manifest) : NULL;
    http_resp_free(&resp);
    if (p->manifest == NULL)
        return -1;
    if (want_digest != NULL && strcmp(want_digest, p->manifest_digest) != 0)
        return kpod_err_input(err, "manifest digest mismatch: want '%s', got '%s'", want_digest,
                              p->manifest_digest);
    return 0;
}

static int
pick_platform(struct pull *p, char ret[KPOD_DIGEST_STR_LEN], struct kpod_err **err)
{
    const char *os = p->o->os ? p->o->os : "linux";
    const char *arch = p->o->arch ? p->o->arch : host_arch();
    const char *variant = p->o->variant ? p->o->variant : (p->o->arch ? NULL : host_variant());
    json_t *list = json_object_get(p->manifest, "manifests");
    size_t i;
    json_t *m;
    const char *fallback = NULL;
    json_array_foreach(list, i, m)
    {
        json_t *pl = json_object_get(m, "platform");
        const char *d = kpod_json_str(m, "digest");
        if (!kpod_digest_valid(d) || kpod_json_str(pl, "os") == NULL ||
            strcmp(kpod_json_str(pl, "os"), os) != 0 || kpod_json_str(pl, "architecture") == NULL ||
            strcmp(kpod_json_str(pl, "architecture"), arch) != 0)
            continue;
        const char *v = kpod_json_str(pl, "variant");
        if (variant == NULL || (v != NULL && strcmp(v, variant) == 0)) {
            memcpy(ret, d, KPOD_DIGEST_STR_LEN);
            return 0;
        }
        if (fallback == NULL && v == NULL)
            fallback = d;
    }
    if (fallback != NULL) {
        memcpy(ret, fallback, KPOD_DIGEST_STR_LEN);
        return 0;
    }
    return kpod_err_input(err, "no image found in manifest list for platform %s/%s%s%s", os, arch,
                          variant ? "/" : "", variant ? variant : "");
}

static int
resolve_manifest(struct pull *p, const struct kpod_image_ref *ref, struct kpod_err **err)
{
    if (fetch_manifest(p, ref->digest ? ref->digest : ref->tag, ref->digest, err) < 0)
        return -1;
    const char *mt = p->manifest_media;
    if (strcmp(mt, MEDIA_OCI_INDEX) == 0 || strcmp(mt, MEDIA_DOCKER_LIST) == 0) {
        char d[KPOD_DIGEST_STR_LEN];
        if (pick_platform(p, d, err) < 0 || fetch_manifest(p, d, d, err) < 0)
            return -1;
        mt = p->manifest_media;
    }
    if (strcmp(mt, MEDIA_DOCKER_SCHEMA1) == 0 || strcmp(mt, MEDIA_DOCKER_SCHEMA1_SIGNED) == 0)
        return kpod_err_input(err, "manifest is Docker schema 1, which kpod does not support: "
                                   "push the image again with a current client");
    if (strcmp(mt, MEDIA_OCI_MANIFEST) != 0 && strcmp(mt, MEDIA_DOCKER_MANIFEST) != 0)
        return kpod_err_input(err, "unsupported manifest media type '%s'", mt);
    return manifest_check(p->manifest, mt, err);
}

static int
fetch_config(struct pull *p, const char *digest, struct kpod_err **err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    if (!store_has_blob(&p->store, digest)) {
        struct http_resp resp;
        if (registry_get(p->reg, "blobs", digest, NULL, CONFIG_MAX, &resp, err) < 0)
            return kpod_err_prefix(err, "fetch config '%.19s'", digest);
        int r = store_put_blob(&p->store, digest, resp.body, resp.len, err);
        http_resp_free(&resp);
        if (r < 0)
            return kpod_err_prefix(err, "fetch config");
    }
    if (store_read_blob(&p->store, digest, CONFIG_MAX, &buf, &len, err) < 0)
        return -1;
    p->config = kpod_json_loadb(buf, len, "image config", err);
    return p->config ? 0 : -1;
}

/* Queues one job per distinct blob of the layers not in the store yet. */
static size_t
plan_layers(struct pull *p, char **chain, char **diff_ids, struct blob_job *jobs,
            struct layer_job *ljobs)
{
    json_t *layers = json_object_get(p->manifest, "layers");
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(layers); i++) {
        json_t *l = json_array_get(layers, i);
        const char *d = kpod_json_str(l, "digest");
        if (store_has_layer(&p->store, chain[i])) {
            progress(p, KPOD_PULL_BLOB_EXISTS, d, 0, 0);
            continue;
        }
        size_t k = 0;
        while (k < n && strcmp(jobs[k].digest, d) != 0)
            k++;
        if (k == n) {
            ljobs[n] = (struct layer_job){.store = &p->store,
                                          .chain = chain,
                                          .diff_ids = diff_ids,
                                          .idx = xcalloc(json_array_size(layers), sizeof(size_t)),
                                          .digest = d};
            jobs[n] = (struct blob_job){.digest = d,
                                        .size = kpod_json_int(l, "size", 0),
                                        .dest = store_blob_path(&p->store, d),
                                        .done = unpack_job,
                                        .stream = stream_job,
                                        .done_data = &ljobs[n]};
            n++;
        }
        ljobs[k].idx[ljobs[k].nidx++] = i;
    }
    return n;
}

static int
fetch_layers(struct pull *p, char **chain, char **diff_ids, struct kpod_err **err)
{
    size_t nl = json_array_size(json_object_get(p->manifest, "layers"));
    struct blob_job *jobs = xcalloc(nl + 1, sizeof(*jobs));
    struct layer_job *ljobs = xcalloc(nl + 1, sizeof(*ljobs));
    size_t n = plan_layers(p, chain, diff_ids, jobs, ljobs);
    /* Blobs already stored (a pull cut short after the download) are unpacked directly. */
    size_t nfetch = 0;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        if (store_has_blob(&p->store, jobs[i].digest)) {
            progress(p, KPOD_PULL_BLOB_EXISTS, jobs[i].digest, 0, 0);
            r = unpack_from(&ljobs[i], &jobs[i], 0, err);
        } else {
            struct blob_job tj = jobs[nfetch];
            struct layer_job tl = ljobs[nfetch];
            jobs[nfetch] = jobs[i];
            ljobs[nfetch] = ljobs[i];
            jobs[i] = tj;
            ljobs[i] = tl;
            jobs[nfetch].done_data = &ljobs[nfetch];
            jobs[i].done_data = &ljobs[i];
            nfetch++;
        }
    }
    if (r == 0)
        r = registry_fetch_blobs(p->reg, jobs, nfetch, p->store.tmp, p->o->progress,
                                 p->o->progress_data, err);
    for (size_t i = 0; i < n; i++) {
        free((char *)jobs[i].dest);
        free(ljobs[i].idx);
    }
    free(jobs);
    free(ljobs);
    return r;
}

struct add_data {
    json_t *entry;
};

static int
add_entry(json_t *images, void *data, struct kpod_err **err)
{
    struct add_data *a = data;
    index_add(images, json_incref(a->entry));
    return 1;
}

static int
record_image(struct pull *p, const struct kpod_image_ref *ref, char **chain, char **ret_id,
             struct kpod_err **err)
{
    if (store_put_blob(&p->store, p->manifest_digest, p->manifest_body, p->manifest_len, err) < 0)
        return -1;
    uint64_t size = 0;
    for (size_t i = 0; chain[i] != NULL; i++) {
        _cleanup_free_ char *d = store_layer_dir(&p->store, chain[i]);
        _cleanup_free_ char *mp = xasprintf("%s/layer.json", d);
        _cleanup_err_ struct kpod_err *e = NULL;
        _cleanup_json_ json_t *m = kpod_json_load_file(mp, 1 << 16, &e);
        size += (uint64_t)kpod_json_int(m, "size", 0);
    }
    const char *cfg = kpod_json_str(json_object_get(p->manifest, "config"), "digest");
    json_t *e = store_make_entry(p->manifest_digest, p->manifest_media, p->manifest, cfg, p->config,
                                 chain, size);
    _cleanup_free_ char *base = kpod_image_ref_name(ref);
    if (ref->tag != NULL) {
        _cleanup_free_ char *n = xasprintf("%s:%s", base, ref->tag);
        json_array_append_new(json_object_get(e, "names"), json_string(n));
    }
    _cleanup_free_ char *rd = xasprintf("%s@%s", base, p->manifest_digest);
    json_array_append_new(json_object_get(e, "repoDigests"), json_string(rd));
    struct add_data a = {.entry = e};
    int r = store_index_update(&p->store, add_entry, &a, err);
    json_decref(e);
    if (r < 0)
        return -1;
    *ret_id = xstrdup(cfg + 7);
    return 0;
}

static int
pull_image(struct pull *p, const struct kpod_image_ref *ref, char **ret_id, struct kpod_err **err)
{
    if (registry_ping(p->reg, err) < 0 || resolve_manifest(p, ref, err) < 0)
        return -1;
    const char *cfg = kpod_json_str(json_object_get(p->manifest, "config"), "digest");
    if (fetch_config(p, cfg, err) < 0)
        return -1;
    _cleanup_strv_ char **chain = NULL;
    if (chain_ids_from_config(p->config, &chain, err) < 0)
        return -1;
    json_t *diffs = json_object_get(json_object_get(p->config, "rootfs"), "diff_ids");
    size_t nl = json_array_size(json_object_get(p->manifest, "layers"));
    if (json_array_size(diffs) != nl)
        return kpod_err_input(err, "image has %zu layers but its config lists %zu diff ids", nl,
                              json_array_size(diffs));
    _cleanup_strv_ char **diff_ids = xcalloc(nl + 1, sizeof(char *));
    for (size_t i = 0; i < nl; i++)
        diff_ids[i] = xstrdup(json_string_value(json_array_get(diffs, i)));
    const char *arch = kpod_json_str(p->config, "architecture");
    const char *want = p->o->arch ? p->o->arch : host_arch();
    if (arch != NULL && strcmp(arch, want) != 0)
        kpod_warn("image platform (%s/%s) does not match the expected platform (linux/%s)",
                  kpod_json_str(p->config, "os") ? kpod_json_str(p->config, "os") : "?", arch,
                  want);
    if (fetch_layers(p, chain, diff_ids, err) < 0)
        return -1;
    progress(p, KPOD_PULL_MANIFEST, p->manifest_digest, 0, 0);
    return record_image(p, ref, chain, ret_id, err);
}

static void
pull_reset(struct pull *p)
{
    registry_free(p->reg);
    p->reg = NULL;
    json_decref(p->manifest);
    json_decref(p->config);
    p->manifest = p->config = NULL;
    free(p->manifest_media);
    free(p->manifest_body);
    p->manifest_media = p->manifest_body = NULL;
}

static int
set_creds(struct registry *reg, const struct kpod_pull_opts *o, struct kpod_err **err)
{
    if (o->creds != NULL) {
        const char *colon = strchr(o->creds, ':');
        reg->user = colon ? xstrndup(o->creds, (size_t)(colon - o->creds)) : xstrdup(o->creds);
        reg->pass = xstrdup(colon ? colon + 1 : "");
        if (*reg->user == '\0')
            return kpod_err_usage(err, "--creds: empty user name");
        return 0;
    }
    return kpod_auth_lookup(o->authfile, reg->name, &reg->user, &reg->pass, err) < 0 ? -1 : 0;
}

/* Pulls ref from its registry, trying its mirrors first. */
static int
pull_from(struct pull *p, const struct kpod_registry_conf *conf, const struct kpod_image_ref *ref,
          char **ret_id, struct kpod_err **err)
{
    _cleanup_free_ char *name = kpod_image_ref_name(ref);
    const struct kpod_registry_entry *e = kpod_registry_conf_find(conf, name);
    if (e != NULL && e->blocked)
        return kpod_err_input(err, "registry '%s' is blocked in registries.conf", ref->registry);
    bool tls = p->o->tls_verify >= 0 ? p->o->tls_verify != 0 : !(e != NULL && e->insecure);
    /* Endpoints: the mirrors, then the location; each replaces the matched prefix of the
     * name ("prefix/rest" -> "location/rest"). */
    const char *rest = e != NULL ? name + strlen(e->prefix) : "";
    _cleanup_strv_ char **hosts = NULL;
    for (size_t i = 0; e != NULL && e->mirrors && e->mirrors[i]; i++)
        kpod_strv_push_take(&hosts, xasprintf("%s%s", e->mirrors[i], rest));
    kpod_strv_push_take(&hosts, e != NULL ? xasprintf("%s%s", e->location, rest) : xstrdup(name));
    _cleanup_err_ struct kpod_err *first = NULL;
    for (size_t i = 0; hosts[i] != NULL; i++) {
        _cleanup_free_ char *h = xstrdup(hosts[i]);
        char *slash = strchr(h, '/');
        if (slash == NULL || slash[1] == '\0')
            return kpod_err_input(err, "registries.conf rewrites '%s' to '%s': no repository", name,
                                  hosts[i]);
        *slash = '\0';
        const char *repo = slash + 1;
        pull_reset(p);
        p->reg = registry_new(ref->registry, h, repo, tls, p->o->cert_dir);
        p->reg->retries = p->o->retries;
        p->reg->retry_delay_ms = p->o->retry_delay_ms;
        p->reg->parallel = p->o->parallel;
        if (set_creds(p->reg, p->o, err) < 0)
            return -1;
        _cleanup_err_ struct kpod_err *e2 = NULL;
        if (pull_image(p, ref, ret_id, &e2) == 0)
            return 0;
        if (hosts[i + 1] != NULL)
            kpod_debug("pull from mirror '%s' failed: %s", hosts[i], e2->msg);
        kpod_err_free(&first);
        kpod_err_move(&first, &e2);
    }
    kpod_err_move(err, &first);
    return -1;
}

static int
pull_candidates(struct pull *p, const char *input, struct kpod_image_ref *ref, char **ret_id,
                struct kpod_err **err)
{
    _cleanup_(kpod_cleanup_kpod_registry_conf_free) struct kpod_registry_conf *conf = NULL;
    if (kpod_registry_conf_load(&conf, err) < 0)
        return -1;
    if (ref->short_name) {
        /* A short-name alias decides the registry: "name[:tag][@digest]" -> "alias...". */
        _cleanup_free_ char *base = xstrndup(input, strcspn(input, "@"));
        char *colon = strrchr(base, ':');
        if (colon != NULL && strchr(colon, '/') == NULL)
            *colon = '\0';
        const char *alias = kpod_registry_conf_alias(conf, base);
        if (alias != NULL) {
            _cleanup_free_ char *full = xasprintf("%s%s", alias, input + strlen(base));
            _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
                kpod_image_ref_parse(full, err);
            if (r == NULL)
                return kpod_err_prefix(err, "short-name alias '%s'", base);
            _cleanup_free_ char *s = kpod_image_ref_string(r);
            progress(p, KPOD_PULL_RESOLVED, s, 0, 0);
            return pull_from(p, conf, r, ret_id, err);
        }
    }
    if (!ref->short_name || conf->search == NULL || conf->search[0] == NULL) {
        _cleanup_free_ char *s = kpod_image_ref_string(ref);
        progress(p, KPOD_PULL_RESOLVED, s, 0, 0);
        return pull_from(p, conf, ref, ret_id, err);
    }
    _cleanup_free_ char *msgs = xstrdup("");
    for (size_t i = 0; conf->search[i] != NULL; i++) {
        _cleanup_free_ char *full = xasprintf("%s/%s", conf->search[i], input);
        _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *r =
            kpod_image_ref_parse(full, err);
        if (r == NULL)
            return -1;
        _cleanup_free_ char *s = kpod_image_ref_string(r);
        progress(p, KPOD_PULL_RESOLVED, s, 0, 0);
        _cleanup_err_ struct kpod_err *e = NULL;
        if (pull_from(p, conf, r, ret_id, &e) == 0)
            return 0;
        char *m = xasprintf("%s%s%s: %s", msgs, *msgs ? "; " : "", s, e->msg);
        free(msgs);
        msgs = m;
    }
    return kpod_err_msg(err, "short name resolved to no image: %s", msgs);
}

int
kpod_image_pull(const char *root, const char *input, const struct kpod_pull_opts *opts,
                char **ret_id, struct kpod_err **err)
{
    struct kpod_pull_opts o = *opts;
    if (o.retries < 0 || o.retries > 100)
        return kpod_err_usage(err, "pull '%s': --retry must be within 0..100", input);
    if (o.retry_delay_ms <= 0)
        o.retry_delay_ms = 1000;
    if (o.parallel <= 0)
        o.parallel = 4;
    _cleanup_(kpod_cleanup_kpod_image_ref_free) struct kpod_image_ref *ref =
        kpod_image_ref_parse(input, err);
    if (ref == NULL)
        return kpod_err_prefix(err, "pull '%s'", input);
    if (strcmp(ref->registry, "localhost") == 0) {
        /* localhost/ images are built or loaded locally, never pulled. */
        _cleanup_json_ json_t *img = kpod_image_lookup(root, input, err);
        if (img == NULL) {
            (*err)->kind = KPOD_ERR_INTERNAL;
            return kpod_err_prefix(err, "pull '%s': localhost images are never pulled", input);
        }
        *ret_id = xstrdup(kpod_json_str(img, "id"));
        return 0;
    }
    struct pull p = {.o = &o};
    if (store_open(root, KPOD_LOCK_SHARED, &p.store, err) < 0)
        return kpod_err_prefix(err, "pull '%s'", input);
    int r = pull_candidates(&p, input, ref, ret_id, err);
    pull_reset(&p);
    store_close(&p.store);
    if (r < 0) {
        if ((*err)->kind == KPOD_ERR_NOTFOUND || (*err)->kind == KPOD_ERR_INVOKE)
            (*err)->kind = KPOD_ERR_INTERNAL;
        return kpod_err_prefix(err, "pull '%s'", input);
    }
    return 0;
}
