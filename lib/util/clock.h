/* Clocks in nanoseconds, the unit every timestamp of kpod's state and logs uses. */
#pragma once

#include <stdint.h>

/* CLOCK_REALTIME: wall time since the epoch (timestamps shown to users, stored in state). */
int64_t kpod_clock_real_ns(void);
/* CLOCK_MONOTONIC: for deadlines and intervals, immune to clock changes. */
int64_t kpod_clock_mono_ns(void);
/* Sleeps ms milliseconds (a signal may end it early). */
void kpod_clock_sleep_ms(long ms);
