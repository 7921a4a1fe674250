/* Shared between lib/image's files; not for other modules. */
#pragma once

#include <curl/curl.h>
#include <stdio.h>

#include "image/image.h"

#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MEDIA_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

#define MANIFEST_MAX (4u << 20) /* manifests and indexes */
#define CONFIG_MAX (8u << 20)   /* image configs */
#define MAX_LAYERS 127
#define LINK_HEX 16 /* <root>/image/l/<16 hex of the chain id> -> ../layers/<chain>/diff */

KPOD_DEFINE_CLEANUP(CURL, curl_easy_cleanup)
KPOD_DEFINE_CLEANUP(struct curl_slist, curl_slist_free_all)

/* Paths under <root>/image. All returned strings are new. */
struct store {
    char *dir;    /* <root>/image */
    char *blobs;  /* <root>/image/blobs/sha256 */
    char *layers; /* <root>/image/layers */
    char *tmp;    /* <root>/image/tmp */
    int lock_fd;  /* store.lock held shared or exclusive */
};

int store_open(const char *root, enum kpod_lock_mode mode, struct store *ret,
               struct kpod_err **err);
void store_close(struct store *s);
char *store_blob_path(const struct store *s, const char *digest);
char *store_layer_dir(const struct store *s, const char *chain_id);
bool store_has_blob(const struct store *s, const char *digest);
bool store_has_layer(const struct store *s, const char *chain_id);
/* Verifies data's digest, then writes it atomically as a blob. */
int store_put_blob(const struct store *s, const char *digest, const void *data, size_t len,
                   struct kpod_err **err);
/* Reads and verifies a blob (at most max bytes). */
int store_read_blob(const struct store *s, const char *digest, size_t max, char **ret,
                    size_t *ret_len, struct kpod_err **err);
/* Loads index.json (an object {"images": [...]}) under index.lock, calls fn, and saves when
 * fn returns > 0. */
typedef int (*index_fn)(json_t *images, void *data, struct kpod_err **err);
int store_index_update(const struct store *s, index_fn fn, void *data, struct kpod_err **err);
json_t *store_index_read(const struct store *s, struct kpod_err **err);
/* Finds an entry of images matching name (see kpod_image_lookup); returns a borrowed
 * reference and sets *ret_idx; with ret_exact_name set to the matched name when it matched a
 * name. */
json_t *index_find(json_t *images, const char *name, size_t *ret_idx, char **ret_name,
                   struct kpod_err **err);
/* Adds an image (taking a reference of entry) or merges names into an existing one with the
 * same id; a name moves from any other image to this one. */
void index_add(json_t *images, json_t *entry);
/* Commits an unpacked layer directory (tmpdir holds "diff") as layers/<chain>. */
int store_commit_layer(const struct store *s, const char *tmpdir, const char *chain_id,
                       json_t *meta, struct kpod_err **err);
/* Makes a unique temporary path under tmp. */
char *store_tmp_path(const struct store *s, const char *what);
/* Builds the index entry from manifest + config and records blobs. */
json_t *store_make_entry(const char *manifest_digest, const char *manifest_media, json_t *manifest,
                         const char *config_digest, json_t *config, char **chain_ids,
                         uint64_t size);
/* Chain ids from the config's rootfs.diff_ids. */
int chain_ids_from_config(json_t *config, char ***ret, struct kpod_err **err);
/* Parses and checks a manifest's config and layers descriptors. */
int manifest_check(json_t *m, const char *media, struct kpod_err **err);

/* Imports an image whose blobs (manifest, config, layers) are readable through get_blob,
 * unpacking layers that are not in the store yet. Used by load (OCI layout, archives). */
typedef int (*blob_open_fn)(void *data, const char *digest, int *ret_fd, struct kpod_err **err);
int store_import(const struct store *s, const char *manifest_digest, blob_open_fn open_blob,
                 void *data, char **names, char **ret_id, struct kpod_err **err);
/* A blob file followed while it downloads (follow.c). */
struct follow;
struct follow *follow_new(void);
void follow_free(struct follow *f);
int follow_open(struct follow *f, const char *path, struct kpod_err **err);
void follow_notify(struct follow *f);
/* Ends the download: verdict 1 (verified and stored) or -1 (failed). */
void follow_end(struct follow *f, int verdict);
/* Reads on from the file, blocking at its end until more bytes or the end; 0 at the end. */
ssize_t follow_read(void *f, void *buf, size_t len);
/* Waits for the verdict. */
int follow_wait(struct follow *f);

/* Unpacks a layer read through fn (see kpod_image_unpack_fd). */
typedef ssize_t (*unpack_read_fn)(void *data, void *buf, size_t len);
int unpack_reader(unpack_read_fn fn, void *data, int dirfd, const struct kpod_unpack_opts *opts,
                  char ret_diff_id[KPOD_DIGEST_STR_LEN], uint64_t *ret_size, struct kpod_err **err);

/* Unpacks one layer blob (from fd, or with fl from a download in progress) into
 * layers/<chain>, verifying its diff id. With fl, commits only when the download's verdict is
 * 1, else discards and returns 1. */
int store_unpack_layer(const struct store *s, int fd, struct follow *fl, const char *chain_id,
                       const char *parent, const char *diff_id, const char *blob_digest,
                       struct kpod_err **err);

/* Base64 (standard alphabet, padded) over libcrypto; decode returns NULL on bad input. */
char *kpod_image_base64(const char *s);
char *kpod_image_unbase64(const char *s);

/* The host platform in OCI terms. */
const char *host_arch(void);
const char *host_variant(void);
