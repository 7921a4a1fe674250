/* The registry client over libcurl (OCI distribution spec / Docker Registry HTTP API v2).
 * Private to lib/image. */
#pragma once

#include "image/internal.h"

struct registry {
    char *name;   /* as referenced: "docker.io", "127.0.0.1:5000" */
    char *host;   /* where to connect: "registry-1.docker.io" */
    char *repo;   /* "library/busybox" */
    char *scheme; /* "https" or "http", set by registry_ping */
    bool tls_verify;
    char *cert_dir;
    char *ca_pem; /* the *.crt of cert_dir, concatenated; NULL: the system's CAs */
    size_t ca_len;
    char *client_cert, *client_key; /* *.cert and *.key of cert_dir */
    char *user, *pass;
    char *auth;      /* "Authorization: ..." header once authenticated */
    char *challenge; /* WWW-Authenticate from the ping */
    int retries, retry_delay_ms, parallel;
};

struct http_resp {
    long code;
    char *body;
    size_t len, max;
    bool too_large;
    char *ctype;
    char *digest; /* Docker-Content-Digest */
    char *www_auth;
};

void http_resp_free(struct http_resp *r);

struct registry *registry_new(const char *name, const char *host, const char *repo, bool tls_verify,
                              const char *cert_dir);
void registry_free(struct registry *r);
KPOD_DEFINE_CLEANUP(struct registry, registry_free)

/* GET /v2/: picks the scheme (https; with tls_verify off, http when https fails) and records
 * the auth challenge. */
int registry_ping(struct registry *r, struct kpod_err **err);
/* GETs /v2/<repo>/<kind>/<ref> into memory (at most max bytes), authenticating on 401 and
 * retrying on 5xx and transport errors. A 404 is an error of kind NOTFOUND. */
int registry_get(struct registry *r, const char *kind, const char *ref, const char *accept,
                 size_t max, struct http_resp *ret, struct kpod_err **err);

/* One blob to fetch into dest (renamed there only after its digest and size are verified). */
struct blob_job {
    const char *digest;
    int64_t size;
    const char *dest;
    /* After the blob is verified and stored, in a thread; may be NULL. */
    int (*done)(void *data, struct blob_job *job, struct kpod_err **err);
    /* When set, runs in a thread from the start of the download, reading the blob's bytes
     * through fl as they arrive (follow_wait gives the verdict). Used instead of done,
     * except when a download resumes an earlier partial file. */
    int (*stream)(void *data, struct blob_job *job, struct follow *fl, struct kpod_err **err);
    void *done_data;
};
/* Fetches the blobs, at most r->parallel at once, resuming broken transfers with Range and
 * retrying with backoff. Stops at the first failure (the others are aborted). */
int registry_fetch_blobs(struct registry *r, struct blob_job *jobs, size_t n, const char *tmpdir,
                         kpod_pull_progress_fn progress, void *pdata, struct kpod_err **err);

/* Reads the registry's error JSON ({"errors":[{"code","message"}]}) for a message. */
char *registry_error_text(const struct http_resp *resp);
