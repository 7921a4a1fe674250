#include "util/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

struct kpod_sha256 {
    EVP_MD_CTX *ctx;
};

struct kpod_sha256 *
kpod_sha256_new(void)
{
    struct kpod_sha256 *h = xzalloc(sizeof(*h));
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
        abort();
    return h;
}

void
kpod_sha256_update(struct kpod_sha256 *h, const void *data, size_t len)
{
    if (EVP_DigestUpdate(h->ctx, data, len) != 1)
        abort();
}

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void
kpod_sha256_final(struct kpod_sha256 *h, char out[KPOD_DIGEST_STR_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1 || mdlen != 32)
        abort();
    memcpy(out, "sha256:", 7);
    to_hex(md, mdlen, out + 7);
}

void
kpod_sha256_free(struct kpod_sha256 *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void
kpod_sha256_buf(const void *data, size_t len, char out[KPOD_DIGEST_STR_LEN])
{
    struct kpod_sha256 *h = kpod_sha256_new();
    kpod_sha256_update(h, data, len);
    kpod_sha256_final(h, out);
    kpod_sha256_free(h);
}

int
kpod_sha256_file(const char *path, char out[KPOD_DIGEST_STR_LEN], struct kpod_err **err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kpod_err_sys(err, "open '%s'", path);
    struct kpod_sha256 *h = kpod_sha256_new();
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            kpod_sha256_free(h);
            return kpod_err_sys(err, "read '%s'", path);
        }
        if (n == 0)
            break;
        kpod_sha256_update(h, buf, (size_t)n);
    }
    kpod_sha256_final(h, out);
    kpod_sha256_free(h);
    return 0;
}

bool
kpod_digest_valid(const char *digest)
{
    if (digest == NULL || strncmp(digest, "sha256:", 7) != 0)
        return false;
    const char *hex = digest + 7;
    size_t n = 0;
    for (; hex[n] != '\0'; n++) {
        char c = hex[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return n == KPOD_DIGEST_HEX_LEN;
}

void
kpod_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    while (nbytes > 0) {
        size_t n = nbytes > sizeof(buf) ? sizeof(buf) : nbytes;
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            abort();
        }
        to_hex(buf, (size_t)got, out);
        out += 2 * got;
        nbytes -= (size_t)got;
    }
    *out = '\0';
}
