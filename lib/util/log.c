#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

/* Process-wide by nature (like errno): the level set by --log-level, and where lines go. */
static enum kpod_log_level current_level = KPOD_LOG_WARN;
static int log_fd = STDERR_FILENO;

int
kpod_log_parse_level(const char *s, enum kpod_log_level *ret)
{
    static const struct {
        const char *name;
        enum kpod_log_level level;
    } names[] = {
        {"error", KPOD_LOG_ERROR}, {"fatal", KPOD_LOG_ERROR},  {"panic", KPOD_LOG_ERROR},
        {"warn", KPOD_LOG_WARN},   {"warning", KPOD_LOG_WARN}, {"info", KPOD_LOG_INFO},
        {"debug", KPOD_LOG_DEBUG}, {"trace", KPOD_LOG_TRACE},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *ret = names[i].level;
            return 0;
        }
    }
    return -1;
}

void
kpod_log_set_level(enum kpod_log_level level)
{
    current_level = level;
}

enum kpod_log_level
kpod_log_get_level(void)
{
    return current_level;
}

bool
kpod_log_enabled(enum kpod_log_level level)
{
    return level <= current_level;
}

void
kpod_log_set_fd(int fd)
{
    log_fd = fd;
}

void
kpod_log(enum kpod_log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {"Error", "Warning", "Info", "Debug", "Trace"};
    if (!kpod_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    char *line;
    if (level >= KPOD_LOG_INFO) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        line =
            xasprintf("%s[%ld.%06ld] %s\n", prefix[level], (long)ts.tv_sec, ts.tv_nsec / 1000, msg);
    } else {
        line = xasprintf("%s: %s\n", prefix[level], msg);
    }
    /* One write per line so concurrent writers do not interleave. */
    ssize_t unused = write(log_fd, line, strlen(line));
    (void)unused;
    free(line);
    free(msg);
}
