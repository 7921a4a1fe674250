# Environment of kpod's benchmark (sourced by bench/run): tools, the local registry with the
# images, a private podman configuration, and the timing and result helpers.
# Nothing here touches /etc/containers, ~/.config or kpod's default root.

bench_die() {
    echo "Error: bench: $*" >&2
    exit 1
}
note() { printf '# %s\n' "$*" >&2; }

# Debian packages the benchmark needs beyond `make deps` (hack/packages.txt stays lean).
BENCH_PKGS="podman conmon catatonit crun runc skopeo umoci docker-registry containernetworking-plugins"

bench_deps() {
    KPOD_DEPS_EXTRA="$BENCH_PKGS" "$TOP/hack/deps.sh" || bench_die "installing $BENCH_PKGS failed"
    local t
    for t in podman conmon crun runc skopeo umoci docker-registry curl jq; do
        command -v "$t" >/dev/null || bench_die "'$t' missing after installing the packages"
    done
}

# crun refuses a hybrid host whose cgroup2 owns a controller: give hugetlb a v1 hierarchy.
bench_cgroups() {
    [ -d /sys/fs/cgroup/unified ] || return 0
    if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null; then
        mkdir -p /sys/fs/cgroup/hugetlb &&
            mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb ||
            note "could not mount the hugetlb v1 hierarchy; crun/podman may refuse to run"
    fi
}

# The test images (busybox, multilayer) are built by hack/build-test-images.sh; "big" is
# busybox plus four layers of 25 MB of random (incompressible) data, about 100 MB in all.
# Both are cached under $BENCH_CACHE (build/bench/images) between runs.
bench_images() {
    local imgs=$BENCH_CACHE/images
    if [ ! -f "$imgs/.done" ]; then
        rm -rf "$imgs"
        mkdir -p "$imgs"
        note "building the test images"
        "$TOP/hack/build-test-images.sh" "$imgs" >"$BENCH_CACHE/images.log" 2>&1 ||
            bench_die "building the test images failed: $(tail -n 3 "$BENCH_CACHE/images.log")"
        note "generating the ~100 MB image of 4 random layers"
        cp -a "$imgs/busybox" "$imgs/big"
        local i d
        for i in 1 2 3 4; do
            d=$BENCH_CACHE/layer$i
            rm -rf "$d"
            mkdir -p "$d/data$i"
            local j
            for j in 1 2 3 4 5; do
                head -c $((5 * 1024 * 1024)) /dev/urandom >"$d/data$i/blob$j"
            done
            tar -C "$d" --owner=0 --group=0 --numeric-owner -cf "$d.tar" .
            umoci raw add-layer --image "$imgs/big:latest" "$d.tar" ||
                bench_die "adding layer $i to the big image failed"
            rm -rf "$d" "$d.tar"
        done
        umoci gc --layout "$imgs/big"
        touch "$imgs/.done"
    fi
    BENCH_IMAGES=$imgs
}

# Debian's docker-registry on a free 127.0.0.1 port (start_registry from the bats suite).
bench_registry() {
    # shellcheck source=../test/bats/setup_suite.bash
    . "$TOP/test/bats/setup_suite.bash"
    suite_die() { bench_die "$*"; }
    mkdir -p "$WORK/registry"
    start_registry "$WORK/registry"
    REG=$KPOD_TEST_REGISTRY
    local img
    for img in busybox big; do
        skopeo copy --quiet --insecure-policy --dest-tls-verify=false \
            "oci:$BENCH_IMAGES/$img:latest" "docker://$REG/$img:latest" \
            >"$WORK/push.log" 2>&1 || bench_die "pushing '$img' failed: $(tail -n 3 "$WORK/push.log")"
    done
}

bench_registry_stop() {
    local pidfile=$WORK/registry/registry.pid
    if [ -f "$pidfile" ]; then
        kill "$(cat "$pidfile")" 2>/dev/null
        wait "$(cat "$pidfile")" 2>/dev/null
    fi
    return 0
}

# podman with a private configuration: cgroupfs manager, file events logger, default ulimits
# within this machine's hard limits, the local registry as insecure, storage under $WORK.
bench_podman_conf() {
    local d=$WORK/podman hard
    mkdir -p "$d"
    hard=$(ulimit -Hn)
    [ "$hard" = unlimited ] && hard=1048576
    # crun fails setting RLIMIT_NPROC to the hard limit itself here (EPERM), 4096 works.
    local nproc_hard
    nproc_hard=$(ulimit -Hu)
    if [ "$nproc_hard" = unlimited ] || [ "$nproc_hard" -gt 4096 ]; then nproc_hard=4096; fi
    cat >"$d/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=$nproc_hard:$nproc_hard"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
runtime = "crun"
tmp_dir = "${RUNFS:-$d}/libpod-tmp"
[network]
network_config_dir = "$d/cni"
EOC
    cat >"$d/registries.conf" <<EOC
unqualified-search-registries = []
[[registry]]
location = "$REG"
insecure = true
EOC
    cat >"$d/storage.conf" <<EOC
[storage]
driver = "overlay"
graphroot = "$d/graph"
runroot = "${RUNFS:-$d}/containers-storage"
EOC
    export CONTAINERS_CONF=$d/containers.conf
    export CONTAINERS_REGISTRIES_CONF=$d/registries.conf
    export CONTAINERS_STORAGE_CONF=$d/storage.conf
    PODMAN=(podman --cgroup-manager cgroupfs --events-backend file)
}

pm() { "${PODMAN[@]}" "$@"; }

# ---- timing and results ----------------------------------------------------------------
# Samples are kept one a line (microseconds, or kB for memory) in $WORK/samples/KEY.
BENCH_WARM=0

# tm KEY CMD...: runs CMD (output to $WORK/out.log), records its wall time unless warming up.
# A failing CMD aborts the case (its caller decides) with the command's last output lines.
tm() {
    local key=$1 s e rc=0
    shift
    s=${EPOCHREALTIME/./}
    "$@" >>"${TM_OUT:-$WORK/out.log}" 2>&1 || rc=$?
    e=${EPOCHREALTIME/./}
    LAST_US=$((e - s))
    if [ "$rc" -ne 0 ]; then
        note "failed ($rc): $*: $(tail -n 2 "$WORK/out.log" | tr '\n' ' ')"
        return "$rc"
    fi
    [ "$BENCH_WARM" = 1 ] || echo "$LAST_US" >>"$WORK/samples/$key"
}

# record KEY VALUE: a sample measured otherwise (memory).
record() { echo "$2" >>"$WORK/samples/$1"; }

# quiet CMD...: untimed set-up or tear-down step; its output goes to the log.
quiet() {
    "$@" >>"$WORK/out.log" 2>&1 || {
        local rc=$?
        note "failed ($rc): $*: $(tail -n 2 "$WORK/out.log" | tr '\n' ' ')"
        return "$rc"
    }
}

# ab RUNS WARMUPS FUNC...: calls the FUNCs in turn, WARMUPS rounds unrecorded then RUNS rounds,
# so that kpod and its peers alternate (A B A B ...) and machine drift falls on both.
ab() {
    local runs=$1 warm=$2 i f
    shift 2
    for ((i = 0; i < warm + runs; i++)); do
        if [ "$i" -lt "$warm" ]; then BENCH_WARM=1; else BENCH_WARM=0; fi
        for f in "$@"; do
            "$f" || { BENCH_WARM=0; return 1; }
        done
    done
    BENCH_WARM=0
}

# stats KEY: "n median min max" of the samples (in their unit), or nothing.
stats() {
    local f=$WORK/samples/$1
    [ -s "$f" ] || return 0
    sort -n "$f" | awk '{ v[NR] = $1 } END {
        if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%d %.0f %d %d\n", NR, m, v[1], v[NR] }'
}

# row CASE TOOL KEY [REF_KEY TARGET]: one line of the table and of results.json. Times are
# shown in ms; ratio is kpod/peer (below 1: kpod is faster), speedup its inverse.
# For a peer row, REF_KEY is kpod's key and TARGET the wanted speedup (e.g. ">=10x").
# unit defaults to us (shown as ms); set UNIT=kB for memory rows.
row() {
    local case=$1 tool=$2 key=$3 ref=${4:-} target=${5:-} unit=${UNIT:-us}
    local s n med min max
    s=$(stats "$key")
    if [ -z "$s" ]; then
        printf '%-44s %-26s %s\n' "$case" "$tool" "(no samples: ${SKIP_NOTE:-failed or skipped})"
        jq -n --arg c "$case" --arg t "$tool" --arg note "${SKIP_NOTE:-failed or skipped}" \
            '{case:$c, tool:$t, skipped:$note}' >>"$WORK/rows.jsonl"
        return 0
    fi
    read -r n med min max <<<"$s"
    local ratio="" speed="" rs rm
    if [ -n "$ref" ] && rs=$(stats "$ref") && [ -n "$rs" ]; then
        rm=$(echo "$rs" | awk '{print $2}')
        if [ "$med" -gt 0 ] && [ "$rm" -gt 0 ]; then
            ratio=$(awk -v a="$rm" -v b="$med" 'BEGIN { printf "%.3f", a / b }')
            speed=$(awk -v a="$rm" -v b="$med" 'BEGIN { printf "%.1fx", b / a }')
        fi
    fi
    local verdict=""
    if [ "${target#abs}" != "$target" ]; then # an absolute bound on the median
        verdict=$(awk -v m="$med" -v t="${target#abs}" 'BEGIN {
            v = t; gsub(/[^0-9.]/, "", v); ok = (t ~ /^<=/) ? (m + 0 <= v + 0) : (m + 0 >= v + 0);
            printf "%s %s", t, ok ? "ok" : "MISS" }')
    elif [ -n "$target" ] && [ -n "$speed" ]; then
        verdict=$(awk -v s="${speed%x}" -v t="$target" 'BEGIN {
            op = t; gsub(/[0-9.x]/, "", op); v = t; gsub(/[^0-9.]/, "", v);
            ok = (op == "<=") ? (s + 0 <= v + 0) : (s + 0 >= v + 0);
            printf "%s %s", t, ok ? "ok" : "MISS" }')
    fi
    local shown_med shown_min shown_max
    if [ "$unit" = us ]; then
        shown_med=$(awk -v v="$med" 'BEGIN { printf "%.1f", v / 1000 }')
        shown_min=$(awk -v v="$min" 'BEGIN { printf "%.1f", v / 1000 }')
        shown_max=$(awk -v v="$max" 'BEGIN { printf "%.1f", v / 1000 }')
    else
        shown_med=$med shown_min=$min shown_max=$max
    fi
    printf '%-44s %-26s %9s %9s %9s %4s %7s %7s %s\n' "$case" "$tool" "$shown_med" "$shown_min" \
        "$shown_max" "$n" "$ratio" "$speed" "$verdict"
    jq -n --arg c "$case" --arg t "$tool" --arg unit "$unit" --argjson n "$n" \
        --argjson med "$med" --argjson min "$min" --argjson max "$max" \
        --arg ratio "$ratio" --arg target "$target" --arg verdict "$verdict" \
        --slurpfile samples <(jq -s . "$WORK/samples/$key") \
        '{case:$c, tool:$t, unit:$unit, n:$n, median:$med, min:$min, max:$max,
          samples:$samples[0]}
         + (if $ratio != "" then {ratio_kpod_over_peer: ($ratio|tonumber)} else {} end)
         + (if $target != "" then {target_speedup:$target, verdict:$verdict} else {} end)' \
        >>"$WORK/rows.jsonl"
}

table_header() {
    printf '\n%-44s %-26s %9s %9s %9s %4s %7s %7s %s\n' CASE TOOL MEDIAN MIN MAX N \
        KPOD/PEER SPEEDUP TARGET
}
