# Helpers for the lib/cgroup tests (400-419): drive `kpod __cgroup` on this host's real
# hierarchies, with one unique cgroup per test, removed in teardown with everything in it.

load helpers

CGROOT=/sys/fs/cgroup
V1_HIERARCHIES="cpu cpuacct cpuset memory pids blkio devices freezer systemd"

setup() {
    basic_setup
    require_root
    CG=kpod-test/t$$-${BATS_TEST_NUMBER}-$RANDOM
    BG_PIDS=()
}

teardown() {
    local p
    for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    "$KPOD" __cgroup destroy "$CG" >/dev/null 2>&1 || true
    [[ -n ${CG_V2_ROOT:-} ]] && "$KPOD" __cgroup --v2-root "$CG_V2_ROOT" destroy "$CG" >/dev/null 2>&1
    for p in $V1_HIERARCHIES; do rmdir "$CGROOT/$p/kpod-test" 2>/dev/null || true; done
    rmdir "$CGROOT/unified/kpod-test" 2>/dev/null || true
    basic_teardown
}

# Starts "$@" in the background, remembers its pid in $BG (killed in teardown).
bg() {
    "$@" </dev/null >/dev/null 2>&1 3>&- &
    BG=$!
    BG_PIDS+=("$BG")
}

# field NAME: a numeric field of the last `stats` JSON in $output.
field() {
    jq -r ".$1" <<<"$output"
}

# wait_for TRIES CMD...: retries CMD every 0.1 s.
wait_for() {
    local n=$1
    shift
    while ((n-- > 0)); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# The cgroup dirs of $CG that still exist in the v1 hierarchies.
leftover_dirs() {
    local h
    for h in $V1_HIERARCHIES; do
        [[ -d $CGROOT/$h/$CG ]] && echo "$CGROOT/$h/$CG"
    done
    return 0
}
