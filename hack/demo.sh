#!/usr/bin/env bash
# `make run`: plays manifests/examples/hello.yaml offline — the image is built here from
# Debian's busybox-static and loaded into kpod's store — then shows the pod running and its
# logs. Uses kpod's default --root/--runroot (or KPOD_ROOT/KPOD_RUNROOT), like a user would.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kpod=$top/kpod
work=$top/build/demo
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "kpod $*"; "$kpod" "$@"; }

[ "$(id -u)" -eq 0 ] || { echo "Error: make run: kpod needs root (namespaces, cgroups, mounts)" >&2; exit 1; }
mkdir -p "$work"
"$top/hack/build-test-images.sh" "$work/images" >"$work/images.log" 2>&1 ||
    { echo "Error: make run: building the image failed: $(tail -n 3 "$work/images.log")" >&2; exit 1; }
run load -i "oci:$work/images/busybox:latest"
run play --replace "$top/manifests/examples/hello.yaml"
sleep 3
run pod ps --ctr-status
run ps --pod
run exec hello-web wget -qO- http://127.0.0.1:8080/
run logs --tail 3 hello-greeter
run top hello-web
cat <<EOM

The pod keeps running. Try:
  ./kpod logs -f hello-greeter
  ./kpod exec -it hello-greeter sh
  ./kpod pod stop hello && ./kpod pod start hello
  ./kpod down manifests/examples/hello.yaml      # remove it
EOM
