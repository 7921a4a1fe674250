/* kpod-infra: the process that holds a pod's shared namespaces (podman's pause). kpod sets up
 * the namespaces and execs this; it only waits, and as pid 1 of a shared pid namespace it
 * reaps orphans. Built static and tiny: one per pod. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
on_term(int sig)
{
    (void)sig;
    _exit(0);
}

static void
on_child(int sig)
{
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
}

int
main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    for (;;)
        pause();
}
