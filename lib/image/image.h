/* lib/image: image references, the registry client, the content-addressed store under --root,
 * safe layer unpacking, and what the runtime needs from an image (its config and the overlay
 * lower directories of its layers).
 *
 * On disk, under <root>/image:
 *   store.lock            flock: shared while pulling/using, exclusive to delete (rmi, prune)
 *   index.lock            flock: exclusive while index.json is rewritten
 *   index.json            the images: id, names, digests, layers (chain ids), sizes, times
 *   blobs/sha256/<hex>    manifests, configs, compressed layers (verified before rename)
 *   layers/<chain>/diff   one unpacked layer, overlay form (whiteouts as 0/0 char devices)
 *   layers/<chain>/layer.json  diff id, parent chain id, size
 *   l/<16 hex>            short symlink to layers/<chain>/diff for overlay's lowerdir option
 *   holds/<id>/<holder>   marks an image in use by a container (rmi refuses without -f)
 *   tmp/                  downloads and unpacks in progress; cleaned at the next pull
 * Reference counts of layers and blobs are derived from index.json under the exclusive store
 * lock, so a crash can never leave a count wrong. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

/* ---- references ------------------------------------------------------------------------- */

struct kpod_image_ref {
    char *registry;  /* "docker.io", "localhost", "127.0.0.1:5000" */
    char *repo;      /* "library/busybox" */
    char *tag;       /* "latest"; NULL when only a digest was given */
    char *digest;    /* "sha256:<hex>" or NULL */
    bool short_name; /* the input named no registry */
};

/* Parses "[registry/]repo[:tag][@sha256:hex]" with podman's normalisation: no registry means
 * docker.io (and "library/" for a single component), no tag and no digest means "latest".
 * Errors (kind INPUT) name the reference and what is wrong. */
struct kpod_image_ref *kpod_image_ref_parse(const char *s, struct kpod_err **err);
void kpod_image_ref_free(struct kpod_image_ref *r);
KPOD_DEFINE_CLEANUP(struct kpod_image_ref, kpod_image_ref_free)
/* "registry/repo:tag", "registry/repo@digest" or "registry/repo:tag@digest". */
char *kpod_image_ref_string(const struct kpod_image_ref *r);
/* "registry/repo" */
char *kpod_image_ref_name(const struct kpod_image_ref *r);

/* ---- registries.conf and auth.json ------------------------------------------------------- */

struct kpod_registry_conf {
    char **search; /* unqualified-search-registries */
    struct kpod_registry_entry {
        char *prefix;   /* "prefix" or "location" */
        char *location; /* where to connect */
        bool insecure;
        bool blocked;
        char **mirrors;
    } * entries;
    size_t n_entries;
    char **alias_names; /* [aliases]: short name -> full name */
    char **alias_values;
};

/* Loads $CONTAINERS_REGISTRIES_CONF, else /etc/containers/registries.conf and then the
 * drop-ins (the .conf files of /etc/containers/registries.conf.d) in name order (missing is fine:
 * an empty configuration). */
int kpod_registry_conf_load(struct kpod_registry_conf **ret, struct kpod_err **err);
int kpod_registry_conf_parse(const char *text, const char *path, struct kpod_registry_conf **ret,
                             struct kpod_err **err);
void kpod_registry_conf_free(struct kpod_registry_conf *c);
KPOD_DEFINE_CLEANUP(struct kpod_registry_conf, kpod_registry_conf_free)
/* The [aliases] value of a short name ("busybox"), or NULL. */
const char *kpod_registry_conf_alias(const struct kpod_registry_conf *c, const char *short_name);
/* The entry whose prefix matches "registry/repo" longest, or NULL. */
const struct kpod_registry_entry *kpod_registry_conf_find(const struct kpod_registry_conf *c,
                                                          const char *name);

/* The auth file used for writing: authfile if given, $REGISTRY_AUTH_FILE, else
 * ${XDG_RUNTIME_DIR}/containers/auth.json, else /run/containers/<uid>/auth.json. */
char *kpod_auth_default_path(const char *authfile);
/* Finds credentials for registry (or "registry/repo" entries) in authfile, or, when NULL, in
 * the default file and then ~/.docker/config.json. Returns 1 found, 0 none, -1 error. */
int kpod_auth_lookup(const char *authfile, const char *registry, char **ret_user, char **ret_pass,
                     struct kpod_err **err);
int kpod_auth_store(const char *authfile, const char *registry, const char *user, const char *pass,
                    struct kpod_err **err);
/* Returns 1 removed, 0 not logged in. registry NULL: remove all. */
int kpod_auth_remove(const char *authfile, const char *registry, struct kpod_err **err);

/* ---- pulling ----------------------------------------------------------------------------- */

enum kpod_pull_event {
    KPOD_PULL_RESOLVED,      /* name: the full reference being pulled */
    KPOD_PULL_BLOB_START,    /* digest, total */
    KPOD_PULL_BLOB_PROGRESS, /* digest, done, total */
    KPOD_PULL_BLOB_DONE,     /* digest; done == total */
    KPOD_PULL_BLOB_EXISTS,   /* digest: already in the store */
    KPOD_PULL_MANIFEST,      /* name: "Writing manifest to image destination" */
};

typedef void (*kpod_pull_progress_fn)(void *data, enum kpod_pull_event ev, const char *what,
                                      int64_t done, int64_t total);

struct kpod_pull_opts {
    int tls_verify;       /* 1 verify (default), 0 off (plain HTTP allowed), -1 registries.conf */
    const char *authfile; /* NULL: defaults */
    const char *creds;    /* "user[:pass]" or NULL */
    const char *cert_dir; /* CA certificates (*.crt) for the registry */
    const char *os, *arch, *variant; /* NULL: the host's */
    int retries;                     /* on 5xx, timeouts, broken transfers; default 3 */
    int retry_delay_ms;              /* first delay; doubles; default 1000 */
    int parallel;                    /* blobs at once; default 4 */
    kpod_pull_progress_fn progress;
    void *progress_data;
};

/* Pulls ref into the store at root and names it. Writes the image id (64 hex) to ret_id. */
int kpod_image_pull(const char *root, const char *ref, const struct kpod_pull_opts *opts,
                    char **ret_id, struct kpod_err **err);

enum kpod_image_pull_policy {
    KPOD_PULL_POLICY_DEFAULT =
        0, /* Kubernetes: Always for ":latest" or no tag, else IfNotPresent */
    KPOD_PULL_POLICY_ALWAYS,
    KPOD_PULL_POLICY_IF_NOT_PRESENT,
    KPOD_PULL_POLICY_NEVER,
};

/* Parses "Always", "IfNotPresent", "Never" (Kubernetes imagePullPolicy); -1 if unknown. */
int kpod_pull_policy_parse(const char *s, enum kpod_image_pull_policy *ret);
/* What `play` needs: the image id of ref under policy, pulling when the policy says so
 * (Never: kind NOTFOUND when missing). */
int kpod_image_ensure(const char *root, const char *ref, enum kpod_image_pull_policy policy,
                      const struct kpod_pull_opts *opts, char **ret_id, struct kpod_err **err);

/* ---- the store --------------------------------------------------------------------------- */

/* Finds an image by full or short name, "name@digest", id or unique id prefix (>= 3 hex).
 * Returns a new reference to its index entry (object with "id", "names", "digest",
 * "repoDigests", "created", "size", "layers", ...) or NULL with kind NOTFOUND. */
json_t *kpod_image_lookup(const char *root, const char *name, struct kpod_err **err);
/* All images (array of index entries, newest first). */
json_t *kpod_image_list(const char *root, struct kpod_err **err);
/* The image config (OCI image config JSON: "config", "rootfs", "history", ...). */
json_t *kpod_image_config(const char *root, const char *name, struct kpod_err **err);
/* The manifest as stored. */
json_t *kpod_image_manifest(const char *root, const char *name, struct kpod_err **err);
/* Adds name (normalised; short names get docker.io) to the image. */
int kpod_image_tag(const char *root, const char *image, const char *name, struct kpod_err **err);
/* Removes one name; 1 if the image lost its last name and was removed. */
int kpod_image_untag(const char *root, const char *name, struct kpod_err **err);

struct kpod_image_rm_result {
    char **untagged; /* names removed */
    char **deleted;  /* image ids removed */
};
void kpod_image_rm_result_free(struct kpod_image_rm_result *r);
/* Removes an image: by a name that is one of several, only that name; else the image and
 * its layers and blobs no other image uses. In use (holds) fails with kind INVOKE unless
 * force. */
int kpod_image_remove(const char *root, const char *name, bool force,
                      struct kpod_image_rm_result *res, struct kpod_err **err);
/* Removes dangling images (no names), or all unused images with all; then unreferenced
 * layers and blobs and stale temporary files. Adds removed ids to res->deleted. */
int kpod_image_prune(const char *root, bool all, struct kpod_image_rm_result *res,
                     struct kpod_err **err);

/* Marks / unmarks an image as used by holder (a container id). */
int kpod_image_hold(const char *root, const char *id, const char *holder, struct kpod_err **err);
int kpod_image_release(const char *root, const char *id, const char *holder, struct kpod_err **err);

/* ---- what the runtime needs -------------------------------------------------------------- */

/* The unpacked layer directories of an image, top-most first, as overlayfs's lowerdir wants
 * them ("lowerdir=" joined with ':'): short symlinks <root>/image/l/<16 hex> to the layers'
 * diff directories, so that many layers fit in the mount options' page. */
int kpod_image_rootfs_layers(const char *root, const char *name, char ***ret_lowerdirs,
                             struct kpod_err **err);

struct kpod_image_rootfs {
    char *lowerdir;   /* colon-joined, top-most first */
    char *upperdir;   /* <container_dir>/upper */
    char *workdir;    /* <container_dir>/work */
    char *mountpoint; /* <container_dir>/merged */
    char *image_id;
};
void kpod_image_rootfs_free(struct kpod_image_rootfs *r);
/* Creates upper, work and merged under container_dir and fills the overlay parameters. Does
 * not mount: the container module mounts "overlay" with
 * "lowerdir=...,upperdir=...,workdir=..." on mountpoint. */
int kpod_image_rootfs_prepare(const char *root, const char *name, const char *container_dir,
                              struct kpod_image_rootfs *ret, struct kpod_err **err);

/* Reads a file of the image (e.g. "/etc/passwd" for the spec builder) through its layers, top
 * first, honouring whiteouts and opaque directories, without mounting anything. Symlinks on
 * the way are not followed (an error). Not there: kind NOTFOUND. */
int kpod_image_read_file(const char *root, const char *name, const char *path, size_t max,
                         char **ret_buf, size_t *ret_len, struct kpod_err **err);

/* ---- load, save, unpack ------------------------------------------------------------------ */

/* Imports "oci:DIR[:tag]", "oci-archive:FILE[:tag]", "docker-archive:FILE" or a plain FILE
 * (format sniffed). Appends the ids loaded to *ret_ids and names given to *ret_names. */
int kpod_image_load(const char *root, const char *src, char ***ret_names, struct kpod_err **err);
/* Exports images to "oci-archive:FILE" (default), "oci:DIR" or "docker-archive:FILE". */
int kpod_image_save(const char *root, char *const *names, const char *dest, const char *format,
                    struct kpod_err **err);

struct kpod_unpack_opts {
    bool allow_devices;        /* char/block devices other than whiteouts */
    bool whiteouts_as_overlay; /* convert .wh. entries (else refused) */
    uint64_t max_bytes;        /* total file data; 0: 64 GiB */
    uint64_t max_entries;      /* 0: 1,000,000 */
};

/* Unpacks a (gzip, zstd, xz or plain) tar layer from fd into the empty directory dirfd.
 * Never creates or changes anything outside dirfd. Writes the sha256 of the uncompressed
 * stream to ret_diff_id and the bytes of file data to ret_size (either may be NULL). */
int kpod_image_unpack_fd(int fd, int dirfd, const struct kpod_unpack_opts *opts,
                         char ret_diff_id[KPOD_DIGEST_STR_LEN], uint64_t *ret_size,
                         struct kpod_err **err);

/* Checks user/pass against registry (GET /v2/ with the challenge answered), honouring
 * opts->tls_verify, cert_dir and registries.conf's insecure. Wrong credentials: kind INPUT. */
int kpod_registry_login(const char *registry, const char *user, const char *pass,
                        const struct kpod_pull_opts *opts, struct kpod_err **err);
