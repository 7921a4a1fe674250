/* kpod: run Kubernetes Pod manifests on one Linux machine, without a daemon. */
#include "cli.h"

int
main(int argc, char **argv)
{
    return kpod_cli_main(argc, argv);
}
