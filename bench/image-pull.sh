#!/usr/bin/env bash
# Pull benchmark: a ~100 MB, 5-layer image from a local docker-registry, pulled and unpacked by
#   kpod pull            (parallel fetch, unpack while downloading, one pass)
#   skopeo copy + umoci unpack   (fetch to an OCI layout, then unpack)
#   podman pull          (when podman is installed)
# and unpack alone: kpod load -i oci:DIR against umoci unpack of the same layout.
# Usage: bench/image-pull.sh [SIZE_MB]   Prints one line per tool: seconds and MB/s.
set -euo pipefail
size_mb=${1:-100}
top=$(cd "$(dirname "$0")/.." && pwd)
kpod=${KPOD_BINARY:-$top/kpod}
work=$(mktemp -d "${TMPDIR:-/tmp}/kpod-bench.XXXXXX")
regpid=
cleanup() {
    [ -n "$regpid" ] && kill "$regpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# Image: busybox + 4 layers of size_mb/4 each, half random (incompressible), half text.
"$top/hack/build-test-images.sh" "$work/images" >/dev/null 2>&1
layout=$work/images/busybox
per=$((size_mb / 4))
for i in 1 2 3 4; do
    d=$work/layer$i
    mkdir -p "$d/data$i"
    head -c $((per * 1024 * 1024 / 2)) /dev/urandom >"$d/data$i/random.bin"
    for j in $(seq 1 200); do
        seq $((j * 1000)) $((j * 1000 + per * 1024 * 1024 / 2 / 200 / 6)) 
    done >"$d/data$i/text.txt"
    for j in $(seq 1 300); do echo "$i $j" >"$d/data$i/small$j"; done
    tar -C "$d" --owner=0 --group=0 --numeric-owner -cf "$work/layer$i.tar" .
    umoci raw add-layer --image "$layout:latest" "$work/layer$i.tar" >/dev/null
done
total=$(du -sb "$layout/blobs" | cut -f1)

port=$((20000 + RANDOM % 20000))
cat >"$work/reg.yml" <<EOC
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/regdata}}
http: {addr: 127.0.0.1:$port}
EOC
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
regpid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
reg=127.0.0.1:$port
skopeo copy --quiet --insecure-policy --dest-tls-verify=false "oci:$layout:latest" \
    "docker://$reg/bench:latest"

report() { # name seconds
    awk -v n="$1" -v s="$2" -v b="$total" \
        'BEGIN { printf "%-34s %7.2f s  %7.1f MB/s\n", n, s, b / 1e6 / s }'
}
timeit() { # command... -> seconds on stdout
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true

echo "image: $(awk -v b="$total" 'BEGIN { printf "%.1f MB", b / 1e6 }') compressed, 5 layers"
t=$(timeit env KPOD_ROOT="$work/kpod" "$kpod" pull -q --tls-verify=false "$reg/bench:latest")
report "kpod pull" "$t"
pull_skopeo_umoci() {
    skopeo copy --quiet --insecure-policy --src-tls-verify=false "docker://$reg/bench:latest" \
        "oci:$work/sk:latest" && umoci unpack --image "$work/sk:latest" "$work/sk-bundle"
}
t=$(timeit pull_skopeo_umoci)
report "skopeo copy + umoci unpack" "$t"
if command -v podman >/dev/null; then
    t=$(timeit podman --root "$work/podman" --runroot "$work/podman-run" pull --tls-verify=false \
        "$reg/bench:latest")
    report "podman pull" "$t"
else
    echo "podman pull                        (podman not installed)"
fi
t=$(timeit env KPOD_ROOT="$work/kpod-load" "$kpod" load -q -i "oci:$layout:latest")
report "unpack: kpod load oci:DIR" "$t"
t=$(timeit umoci unpack --image "$layout:latest" "$work/umoci-bundle")
report "unpack: umoci unpack" "$t"
