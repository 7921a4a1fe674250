/* Diagnostics on stderr. Only cmd/ prints errors; lib/ may log warnings and debug lines. */
#pragma once

#include <stdbool.h>

enum kpod_log_level {
    KPOD_LOG_ERROR = 0,
    KPOD_LOG_WARN,
    KPOD_LOG_INFO,
    KPOD_LOG_DEBUG,
    KPOD_LOG_TRACE,
};

/* Parses "error", "warn"/"warning", "info", "debug", "trace"; returns 0 or -1. */
int kpod_log_parse_level(const char *s, enum kpod_log_level *ret);
void kpod_log_set_level(enum kpod_log_level level);
enum kpod_log_level kpod_log_get_level(void);
bool kpod_log_enabled(enum kpod_log_level level);
/* Directs output to fd (default 2), e.g. the monitor's own log file. */
void kpod_log_set_fd(int fd);

void kpod_log(enum kpod_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define kpod_warn(...) kpod_log(KPOD_LOG_WARN, __VA_ARGS__)
#define kpod_info(...) kpod_log(KPOD_LOG_INFO, __VA_ARGS__)
#define kpod_debug(...)                                                                            \
    do {                                                                                           \
        if (kpod_log_enabled(KPOD_LOG_DEBUG))                                                      \
            kpod_log(KPOD_LOG_DEBUG, __VA_ARGS__);                                                 \
    } while (0)
