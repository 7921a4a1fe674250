/* Shared between the monitor's own files; not for other modules. */
#pragma once

#include <sys/un.h>

/* The control socket's address through /proc/self/fd/DIRFD (short whatever the dir). */
int kpod_monitor_sockaddr(int dirfd, struct sockaddr_un *sa);
