/* kpod-monitor: the per-pod monitor as its own small binary (linked statically with only what
 * it needs), so that an idle pod costs little memory. Started by kpod_monitor_spawn:
 *   kpod-monitor --log-level LEVEL --ready-fd FD POD_DIR */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/util.h"

extern char __executable_start, etext;

/* Called once the monitor is set up: drops the code pages that start-up touched (they stay in
 * the page cache, shared) and asks the kernel to map back only the pages the event loop uses,
 * one at a time, instead of 64 KiB around each fault. */
static void
shrink(void)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)&__executable_start & ~(uintptr_t)(page - 1);
    uintptr_t end = ((uintptr_t)&etext + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
    madvise((void *)start, end - start, MADV_RANDOM);
    if (madvise((void *)start, end - start, MADV_DONTNEED) < 0)
        kpod_debug("shrink: madvise %lx-%lx: %m", (unsigned long)start, (unsigned long)end);
}

int
main(int argc, char **argv)
{
    int ready = -1;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc) {
            ready = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            enum kpod_log_level l;
            if (kpod_log_parse_level(argv[++i], &l) == 0)
                kpod_log_set_level(l);
        } else if (argv[i][0] != '-' && dir == NULL) {
            dir = argv[i];
        } else {
            fprintf(stderr, "Error: kpod-monitor: unexpected argument '%s'\n", argv[i]);
            return 125;
        }
    }
    if (dir == NULL) {
        fprintf(stderr, "Error: kpod-monitor: usage: kpod-monitor [--log-level L] "
                        "[--ready-fd FD] POD_DIR\n");
        return 125;
    }
    return kpod_monitor_run(dir, ready, shrink);
}
