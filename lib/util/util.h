/* libkpod's util module: the one public header other modules include. */
#pragma once

#include "util/cleanup.h"
#include "util/clock.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/lock.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Paths and settings every command shares. */
struct kpod_ctx {
    char *root;    /* --root, KPOD_ROOT, default /var/lib/kpod */
    char *runroot; /* --runroot, KPOD_RUNROOT, default /run/kpod */
    char *self;    /* absolute path of the running kpod binary, for re-exec */
};
