# Helpers for kpod's bats tests, modelled on podman's system tests.
#   run_kpod [EXPECTED_RC] ARGS...   runs kpod, sets $output/$status/$lines; fails on an
#                                    unexpected exit code, and on a "Warning:" line when success
#                                    is expected (set KPOD_ALLOW_WARNINGS=1 to permit them)
#   assert ACTUAL OP EXPECTED "what" OP: == != =~ !~ -gt -ge -lt -le
#   die MESSAGE                      fails the test with a message
# Each test runs with its own KPOD_ROOT and KPOD_RUNROOT under $BATS_TEST_TMPDIR; the teardown
# removes what the test left and fails it if anything leaked (mounts below the test dir).
# A test file that defines setup()/teardown() calls basic_setup/basic_teardown in them.

bats_load_library bats-support 2>/dev/null || load /usr/lib/bats/bats-support/load
bats_load_library bats-assert 2>/dev/null || load /usr/lib/bats/bats-assert/load

KPOD=${KPOD:-${KPOD_BINARY:-$BATS_TEST_DIRNAME/../../kpod}}
KPOD_TOP=${KPOD_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

die() {
    echo "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv" >&2
    echo "#| FAIL: $*" >&2
    echo "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^" >&2
    false
}

basic_setup() {
    export KPOD_ROOT=$BATS_TEST_TMPDIR/root
    export KPOD_RUNROOT=$BATS_TEST_TMPDIR/runroot
    # Pods of this test go under their own cgroup parent, so leaks are this test's own.
    export KPOD_CGROUP_PARENT=kpod-test-$$-${BATS_TEST_NUMBER:-0}
    mkdir -p "$KPOD_ROOT" "$KPOD_RUNROOT"
}

# Mount points below the test's temp dir (leaks).
test_mounts() {
    awk -v d="$BATS_TEST_TMPDIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

# The live processes whose environment holds this test's KPOD_RUNROOT (bash and bats excluded).
test_processes() {
    local e pid
    for e in $(grep -lzxF "KPOD_RUNROOT=$KPOD_RUNROOT" /proc/[0-9]*/environ 2>/dev/null); do
        pid=${e#/proc/}
        pid=${pid%/environ}
        [ "$pid" = $$ ] && continue
        case $(cat "/proc/$pid/comm" 2>/dev/null) in
        bash | bats* | sleep | timeout | grep | "") continue ;;
        esac
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && continue
        echo "$pid"
    done
}

basic_teardown() {
    local leaked=""
    # The test's warm pool first (its refiller would make entries while the pods go).
    if "$KPOD" factory destroy --help >/dev/null 2>&1; then
        "$KPOD" factory destroy >/dev/null 2>&1 || true
    fi
    # Remove whatever pods the test left, once kpod can list them.
    if "$KPOD" pod --help >/dev/null 2>&1 && "$KPOD" pod rm --help >/dev/null 2>&1; then
        "$KPOD" pod rm -a -f >/dev/null 2>&1 || true
    fi
    local m
    for m in $(test_mounts | sort -r); do
        leaked="$leaked mount:$m"
        umount -l "$m" 2>/dev/null || true
    done
    local cg
    for cg in $(find /sys/fs/cgroup/*/"$KPOD_CGROUP_PARENT" /sys/fs/cgroup/"$KPOD_CGROUP_PARENT" \
        -mindepth 1 -maxdepth 1 -type d 2>/dev/null); do
        leaked="$leaked cgroup:$cg"
    done
    for cg in /sys/fs/cgroup/*/"$KPOD_CGROUP_PARENT" /sys/fs/cgroup/"$KPOD_CGROUP_PARENT"; do
        [ -d "$cg" ] && rmdir "$cg" 2>/dev/null
    done
    # Processes kpod started for this test (monitors, infra holders, Job controllers, pool
    # refillers) inherit its KPOD_RUNROOT: none may outlive the removal of its pods.
    local pid left
    for _ in $(seq 20); do
        left=$(test_processes)
        [ -z "$left" ] && break
        sleep 0.1
    done
    for pid in $left; do
        leaked="$leaked process:$pid($(cat "/proc/$pid/comm" 2>/dev/null))"
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ -n "$leaked" ] && [ -z "${KPOD_IGNORE_LEAKS:-}" ]; then
        die "resources leaked:$leaked"
    fi
}

setup() {
    basic_setup
}

teardown() {
    basic_teardown
}

run_kpod() {
    local expected_rc=0
    case "${1:-}" in
    [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) expected_rc=$1; shift ;;
    '?') expected_rc='?'; shift ;;
    esac
    echo "# $ kpod $*" >&2
    # Captured by hand (not bats' run): 126/127 are kpod's own exit codes here.
    status=0
    output=$("$KPOD" "$@" 2>&1) || status=$?
    mapfile -t lines <<<"$output"
    [ -n "$output" ] || lines=()
    echo "$output" | sed 's/^/# /' >&2
    if [ "$expected_rc" != '?' ] && [ "$status" -ne "$expected_rc" ]; then
        die "exit code is $status; expected $expected_rc (kpod $*)"
    fi
    if [ "$expected_rc" = 0 ] && [ -z "${KPOD_ALLOW_WARNINGS:-}" ] &&
        grep -q '^Warning:' <<<"$output"; then
        die "unexpected warning from 'kpod $*'"
    fi
    return 0
}

assert() {
    local actual=$1 op=$2 expected=$3 what=${4:-value}
    local ok=1
    case "$op" in
    '==') [ "$actual" == "$expected" ] && ok=0 ;;
    '!=') [ "$actual" != "$expected" ] && ok=0 ;;
    '=~') [[ "$actual" =~ $expected ]] && ok=0 ;;
    '!~') [[ ! "$actual" =~ $expected ]] && ok=0 ;;
    -gt | -ge | -lt | -le) [ "$actual" "$op" "$expected" ] && ok=0 ;;
    *) die "assert: unknown operator '$op'" ;;
    esac
    if [ $ok -ne 0 ]; then
        die "$what: expected $op '$expected', got '$actual'"
    fi
}

# The setup of the pod suites: basic_setup, root, a fast restart backoff, the registry's busybox.
pod_setup() {
    basic_setup
    require_root
    export KPOD_RESTART_BACKOFF_MS=100
    IMAGE=$KPOD_TEST_REGISTRY/busybox:latest
}

# random_ports N: the first of N consecutive ports, all free on the host, outside the kernel's
# ephemeral range (32768-60999), where a client connection could take one at any moment.
random_ports() {
    local n=${1:-1} base i used
    used=$(ss -Htan 2>/dev/null | awk '{ sub(/.*:/, "", $4); print $4 }')
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        base=$((61000 + RANDOM % (4400 - n)))
        for ((i = 0; i < n; i++)); do
            grep -qx "$((base + i))" <<<"$used" && continue 2
        done
        echo "$base"
        return 0
    done
    die "random_ports: no $n free ports found"
}

require_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
}

# The Error: line of the last run (kpod prints exactly one).
error_line() {
    grep '^Error: ' <<<"$output" | tail -n 1
}
