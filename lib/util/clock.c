#include "util/clock.h"

#include <time.h>

static int64_t
ns_of(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
kpod_clock_real_ns(void)
{
    return ns_of(CLOCK_REALTIME);
}

int64_t
kpod_clock_mono_ns(void)
{
    return ns_of(CLOCK_MONOTONIC);
}

void
kpod_clock_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
