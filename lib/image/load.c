/* Load and save: OCI layouts and archives. */
#include "image/image.h"

#include "image/internal.h"

int
kpod_image_load(const char *root, const char *src, char ***ret_names, struct kpod_err **err)
{
    return kpod_err_msg(err, "load '%s': not implemented yet", src);
}

int
kpod_image_save(const char *root, char *const *names, const char *dest, const char *format,
                struct kpod_err **err)
{
    return kpod_err_msg(err, "save: not implemented yet");
}
