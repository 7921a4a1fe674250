/* sha256 digests over OpenSSL libcrypto, in the OCI "sha256:<64 hex>" form; random IDs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define KPOD_DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define KPOD_DIGEST_STR_LEN (7 + KPOD_DIGEST_HEX_LEN + 1)

struct kpod_sha256;

struct kpod_sha256 *kpod_sha256_new(void);
void kpod_sha256_update(struct kpod_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out; the hasher may not be updated afterwards. */
void kpod_sha256_final(struct kpod_sha256 *h, char out[KPOD_DIGEST_STR_LEN]);
void kpod_sha256_free(struct kpod_sha256 *h);

void kpod_sha256_buf(const void *data, size_t len, char out[KPOD_DIGEST_STR_LEN]);
int kpod_sha256_file(const char *path, char out[KPOD_DIGEST_STR_LEN], struct kpod_err **err);

/* True for "sha256:" followed by exactly 64 lowercase hex digits. */
bool kpod_digest_valid(const char *digest);

/* Fills out with 2*nbytes random lowercase hex digits and a NUL (getrandom). */
void kpod_random_hex(char *out, size_t nbytes);
