/* References: podman's normalisation and the errors for malformed input. */
#include "image/image.h"
#include "tap.h"

static void
check(const char *in, const char *want)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    struct kpod_image_ref *r = kpod_image_ref_parse(in, &err);
    if (!ok(r != NULL, "parse '%s'", in)) {
        diag("%s", err ? err->msg : "?");
        return;
    }
    _cleanup_free_ char *s = kpod_image_ref_string(r);
    is_str(s, want, "'%s' -> '%s'", in, want);
    kpod_image_ref_free(r);
}

static void
bad(const char *in, const char *needle)
{
    _cleanup_err_ struct kpod_err *err = NULL;
    struct kpod_image_ref *r = kpod_image_ref_parse(in, &err);
    ok(r == NULL && err != NULL && strstr(err->msg, needle) != NULL, "'%s' refused: %s", in,
       err ? err->msg : "(accepted)");
    kpod_image_ref_free(r);
}

int
main(void)
{
    check("busybox", "docker.io/library/busybox:latest");
    check("busybox:1.36", "docker.io/library/busybox:1.36");
    check("library/busybox", "docker.io/library/busybox:latest");
    check("user/app:v1", "docker.io/user/app:v1");
    check("docker.io/busybox", "docker.io/library/busybox:latest");
    check("index.docker.io/library/busybox", "docker.io/library/busybox:latest");
    check("localhost/busybox", "localhost/busybox:latest");
    check("localhost:5000/a/b:c", "localhost:5000/a/b:c");
    check("127.0.0.1:5000/busybox", "127.0.0.1:5000/busybox:latest");
    check("quay.io/a/b-c_d.e__f:1.0-x", "quay.io/a/b-c_d.e__f:1.0-x");
    check("Example.com/a", "Example.com/a:latest");
    check("busybox@sha256:"
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          "docker.io/library/busybox@sha256:"
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    check("r.io/a:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          "r.io/a:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

    _cleanup_err_ struct kpod_err *err = NULL;
    struct kpod_image_ref *r = kpod_image_ref_parse("busybox", &err);
    ok(r && r->short_name, "busybox is a short name");
    kpod_image_ref_free(r);
    r = kpod_image_ref_parse("localhost/busybox", &err);
    ok(r && !r->short_name && strcmp(r->registry, "localhost") == 0, "localhost is a registry");
    kpod_image_ref_free(r);

    bad("", "empty");
    bad("BusyBox", "lowercase");
    bad("busybox:", "invalid tag");
    bad("busybox:-x", "invalid tag");
    bad("busybox@sha256:abc", "invalid digest");
    bad("busybox@md5:0123", "unsupported digest algorithm");
    bad("a b", "space");
    bad("r.io/a//b", "invalid repository name");
    bad("r.io/a..b", "invalid repository name");
    bad("r.io/-a", "invalid repository name");
    bad("r.io/", "no repository name");
    bad("r.io/a/", "invalid repository name");
    return tap_done();
}
