#!/usr/bin/env bash
# Times `kpod runtime run` of /bin/true against `crun run` and `runc run` on the same bundle
# (busybox rootfs, crun's default spec): N runs each, interleaved, mean milliseconds and the
# ratios to crun. Usage: bench/runtime.sh [N] (as root).
set -euo pipefail
n=${1:-50}
top=$(cd "$(dirname "$0")/.." && pwd)
kpod=${KPOD:-$top/kpod}
work=$(mktemp -d "${TMPDIR:-/tmp}/kpod-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
r=$work/bundle/rootfs
mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/etc"
cp /bin/busybox "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
ln -s busybox "$r/bin/true"
(cd "$work/bundle" && crun spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$work/bundle/config.json" \
    >"$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"
if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null && [ -d /sys/fs/cgroup/memory ]; then
    mkdir -p /sys/fs/cgroup/hugetlb
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
fi
# Runtime state on tmpfs, as /run/kpod (and /run/crun, /run/runc) are.
runroot=$(mktemp -d /run/kpod-bench.XXXXXX)
trap 'rm -rf "$work" "$runroot"' EXIT
export KPOD_RUNROOT=$runroot/kpod KPOD_ROOT=$work/root

runners=(kpod crun)
command -v runc >/dev/null && runners+=(runc)
declare -A total
for x in "${runners[@]}"; do total[$x]=0; done
one() {
    case $1 in
    kpod) "$kpod" runtime run --bundle "$work/bundle" "b$2" ;;
    crun) crun --root "$runroot/crun" run --bundle "$work/bundle" "b$2" ;;
    runc) runc --root "$runroot/runc" run --bundle "$work/bundle" "b$2" ;;
    esac
}
for x in "${runners[@]}"; do one "$x" warm >/dev/null; done
for i in $(seq "$n"); do
    for x in "${runners[@]}"; do
        t0=$(date +%s%N)
        one "$x" "$i" >/dev/null
        t1=$(date +%s%N)
        total[$x]=$((total[$x] + t1 - t0))
    done
done
crun_ns=${total[crun]}
for x in "${runners[@]}"; do
    awk -v t="${total[$x]}" -v n="$n" -v c="$crun_ns" -v name="$x" \
        'BEGIN { printf "%-5s %7.2f ms/run  %.2fx crun\n", name, t / n / 1e6, t / c }'
done
