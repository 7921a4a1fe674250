# Helpers for the lib/cgroup tests (400-419): drive `kpod __cgroup` on this host's real
# hierarchies, with one unique cgroup per test, removed in teardown with everything in it.

if [[ -f "$BATS_TEST_DIRNAME/helpers.bash" ]]; then
    load helpers
fi
if [[ -d /usr/lib/bats/bats-support ]] && ! declare -F assert_output >/dev/null; then
    load /usr/lib/bats/bats-support/load
    load /usr/lib/bats/bats-assert/load
fi

KPOD=${KPOD_BINARY:-kpod}
CGROOT=/sys/fs/cgroup
V1_HIERARCHIES="cpu cpuacct cpuset memory pids blkio devices freezer systemd"

# run_kpod [expected-rc] args...: the suite's version when helpers.bash provides it.
if ! declare -F run_kpod >/dev/null; then
    run_kpod() {
        local expected=0
        if [[ $1 =~ ^[0-9]+$ ]]; then
            expected=$1
            shift
        fi
        run "$KPOD" "$@"
        if [[ $status -ne $expected ]]; then
            echo "kpod $*: exit $status, expected $expected" >&2
            echo "$output" >&2
            return 1
        fi
    }
fi

# Keep the suite's own setup/teardown (if any) and add ours around them.
if declare -F setup >/dev/null; then
    eval "$(declare -f setup | sed '1s/^setup/_suite_setup/')"
fi
if declare -F teardown >/dev/null; then
    eval "$(declare -f teardown | sed '1s/^teardown/_suite_teardown/')"
fi

setup() {
    if declare -F _suite_setup >/dev/null; then _suite_setup; fi
    [[ $(id -u) -eq 0 ]] || skip "needs root"
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
    if declare -F _suite_teardown >/dev/null; then _suite_teardown; fi
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
