/* lib/spec internals shared by the builder's files. */
#pragma once

#include "spec/spec.h"

struct spec_user {
    uint32_t uid, gid;
    uint32_t *gids; /* additional */
    size_t n_gids;
    char *name, *home; /* NULL when unknown */
};

int spec_resolve_user(const struct kpod_spec_args *a, const char *image_user, struct spec_user *u,
                      struct kpod_err **err);
void spec_user_clear(struct spec_user *u);

/* Mounts of a container: the defaults, /dev/shm, etc files, then the volume mounts. */
int spec_add_mounts(struct kpod_oci_spec *spec, const struct kpod_spec_args *a,
                    struct kpod_err **err);
/* Capabilities, seccomp, masked paths, devices. */
int spec_add_security(struct kpod_oci_spec *spec, const struct kpod_spec_args *a, uint32_t uid,
                      char ***warnings, struct kpod_err **err);
