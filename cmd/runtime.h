/* Shared by the `kpod runtime` plumbing commands (cmd/runtime_*.c): the state directory
 * <runroot>/runtime/<id>, its lock, the bundle's spec. */
#pragma once

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "container/container.h"

/* A runtime container being worked on: its state dir, held lock, state and spec. */
struct rt {
    char *dir;  /* <runroot>/runtime/<id> */
    int lockfd; /* exclusive lock on <dir>/lock */
    struct kpod_container_state *state;
    struct kpod_oci_spec *spec; /* from the bundle, when loaded */
};

void rt_release(struct rt *r);

/* Checks the id (letters, digits, "_.-", at most 128) and returns the state dir path. */
char *rt_dir(const struct kpod_ctx *ctx, const char *id, struct kpod_err **err);
/* Opens an existing container: locks and loads its state; NOTFOUND when there is none. */
int rt_open(const struct kpod_ctx *ctx, const char *id, struct rt *r, struct kpod_err **err);
/* Loads <bundle>/config.json and warns about fields kpod does not handle. */
struct kpod_oci_spec *rt_load_spec(const char *bundle, struct kpod_err **err);
/* Absolute bundle path (default: the working directory). */
char *rt_bundle(const char *bundle, struct kpod_err **err);

/* The shared core of create and run: makes the state dir, creates the container, saves the
 * state. On failure nothing is left. */
struct rt_create_opts {
    const char *id;
    const char *bundle;
    const char *console_socket; /* path or NULL */
    const char *pid_file;       /* path or NULL */
    bool want_console;          /* run: keep the pty master */
    char **overlay_lower;       /* --overlay-lower (top-most first), NULL: none */
    const char *overlay_upper;
    const char *overlay_work;
};
int rt_create(const struct kpod_ctx *ctx, const struct rt_create_opts *o, struct rt *r,
              struct kpod_container **ret, struct kpod_err **err);
/* Starts a created container and runs the poststart hooks. */
int rt_start(struct rt *r, struct kpod_err **err);
/* Waits for pid (a child of kpod), relaying the pty master console_fd (-1: none) and forwarding
 * SIGINT/TERM/HUP/QUIT/USR1/USR2 (SIGWINCH resizes the pty). Returns the exit code (128+N for
 * a signal). */
int rt_wait(pid_t pid, int console_fd);
/* Removes a stopped container: cgroup, poststop hooks, state dir. */
int rt_delete(struct rt *r, struct kpod_err **err);
