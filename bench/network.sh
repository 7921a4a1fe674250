#!/bin/bash
# Network setup + teardown time per pod with lib/network (through `kpod __net`), on a private
# network (own bridge and subnet) in a throwaway root/runroot. Prints milliseconds per pod.
#   bench/network.sh [N] [KPOD]
set -euo pipefail
N=${1:-20}
KPOD=${2:-$(dirname "$0")/../kpod}
work=$(mktemp -d /tmp/kpod-bench-net.XXXXXX)
export KPOD_ROOT=$work/root KPOD_RUNROOT=$work/run
net=bench$RANDOM br=kpb$RANDOM
cleanup() {
    local i
    for i in warm $(seq 1 "$N"); do "$KPOD" __net teardown "b$i" 2>/dev/null || true; done
    "$KPOD" network rm -f "$net" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
"$KPOD" network create --subnet "10.$((200 + RANDOM % 50)).$((RANDOM % 256)).0/24" \
    --interface-name "$br" "$net" >/dev/null
now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n / 1000000 }'; }
measure() { # label, "ports" to publish one hostPort per pod
    local label=$1 ports=${2:-} base=$((30000 + RANDOM % 20000)) i t0 t1 t2
    t0=$(now)
    for i in $(seq 1 "$N"); do
        "$KPOD" __net setup "b$i" --network "$net" ${ports:+--port $((base + i)):80} >/dev/null
    done
    t1=$(now)
    for i in $(seq 1 "$N"); do "$KPOD" __net teardown "b$i"; done
    t2=$(now)
    printf '%-22s setup %6s ms/pod   teardown %6s ms/pod   (%d pods)\n' "$label" \
        "$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")" "$N"
}
"$KPOD" __net setup bwarm --network "$net" >/dev/null # the bridge exists from here on
measure "bridge + veth + IP"
measure "... + 1 hostPort" ports
"$KPOD" __net teardown bwarm
