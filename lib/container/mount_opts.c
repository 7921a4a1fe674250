/* OCI mount options → mount(2) flags, propagation and filesystem data (pure). */
#include "container/internal.h"

#include <string.h>
#include <sys/mount.h>

struct opt {
    const char *name;
    bool clear; /* the option clears the flag */
    unsigned long flag;
};

static const struct opt flag_opts[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

static const struct opt prop_opts[] = {
    {"private", false, MS_PRIVATE},       {"rprivate", false, MS_PRIVATE | MS_REC},
    {"slave", false, MS_SLAVE},           {"rslave", false, MS_SLAVE | MS_REC},
    {"shared", false, MS_SHARED},         {"rshared", false, MS_SHARED | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};

int
mount_propagation_parse(const char *s, unsigned long *ret)
{
    for (size_t i = 0; i < ARRAY_SIZE(prop_opts); i++) {
        if (strcmp(s, prop_opts[i].name) == 0) {
            *ret = prop_opts[i].flag;
            return 0;
        }
    }
    return -1;
}

/* Options of other runtimes that ask for nothing kpod would do anyway. */
static bool
noop_option(const char *o)
{
    return strcmp(o, "notmpcopyup") == 0 || strcmp(o, "nocopy") == 0;
}

/* Options of other runtimes that kpod does not implement (warned about). */
static bool
unsupported_option(const char *o)
{
    return strcmp(o, "tmpcopyup") == 0 || strcmp(o, "copy-symlink") == 0 ||
           strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0;
}

void
mount_flags_parse(char *const *options, struct mount_flags *ret)
{
    memset(ret, 0, sizeof(*ret));
    _cleanup_strv_ char **data = NULL;
    for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
        const char *o = options[i];
        bool done = false;
        if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
            ret->bind = true;
            ret->recursive = ret->recursive || o[0] == 'r';
            continue;
        }
        for (size_t j = 0; j < ARRAY_SIZE(flag_opts) && !done; j++) {
            if (strcmp(o, flag_opts[j].name) != 0)
                continue;
            if (flag_opts[j].clear) {
                ret->flags &= ~flag_opts[j].flag;
                ret->clear |= flag_opts[j].flag;
            } else {
                ret->flags |= flag_opts[j].flag;
                ret->clear &= ~flag_opts[j].flag;
            }
            done = true;
        }
        unsigned long prop = 0;
        if (!done && mount_propagation_parse(o, &prop) == 0) {
            ret->propagation = prop;
            done = true;
        }
        if (!done && unsupported_option(o))
            kpod_strv_push(&ret->ignored, o);
        else if (!done && !noop_option(o))
            kpod_strv_push(&data, o);
    }
    if (data != NULL)
        ret->data = kpod_strv_join(data, ",");
}

void
mount_flags_free(struct mount_flags *f)
{
    free(f->data);
    f->data = NULL;
    kpod_strv_free(f->ignored);
    f->ignored = NULL;
}
