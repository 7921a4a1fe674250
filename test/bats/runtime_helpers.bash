# Helpers for the `kpod runtime` tests (300-399): a busybox rootfs built once per file from
# Debian's busybox-static, bundles made from `crun spec` with jq edits, crun for comparison,
# and leak checks (cgroups, state, processes).

load helpers

# Builds $BATS_FILE_TMPDIR/rootfs once per file (call from setup_file).
runtime_setup_file() {
    [ "$(id -u)" -eq 0 ] || return 0
    local r=$BATS_FILE_TMPDIR/rootfs
    mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/root" "$r/home"
    chmod 1777 "$r/tmp"
    cp /bin/busybox "$r/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\nusers:x:100:\nnogroup:x:65534:\n' >"$r/etc/group"
    # crun refuses hybrid hosts whose cgroup2 owns hugetlb: give hugetlb a v1 hierarchy.
    if ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null && [ -d /sys/fs/cgroup/memory ]; then
        mkdir -p /sys/fs/cgroup/hugetlb
        mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
    fi
}

# make_bundle [JQ-FILTER]: $BATS_TEST_TMPDIR/bundle with crun's default spec (no terminal,
# the shared rootfs), edited by the filter. Prints the bundle path.
make_bundle() {
    local filter=${1:-.} b=$BATS_TEST_TMPDIR/bundle
    mkdir -p "$b"
    (cd "$b" && rm -f config.json && crun spec)
    jq --arg root "$BATS_FILE_TMPDIR/rootfs" \
        ".process.terminal = false | .root.path = \$root | $filter" \
        "$b/config.json" >"$b/config.json.new"
    mv "$b/config.json.new" "$b/config.json"
    echo "$b"
}

# with_args ARG...: a jq filter setting process.args.
with_args() {
    printf '%s\n' "$@" | jq -R . | jq -cs . | sed 's/^/.process.args = /'
}

# The seccomp test profile: allow all but unshare/keyctl/mount (EPERM) and kill(_, SIGUSR1)
# (EINVAL, an argument rule with errnoRet).
SECCOMP_PROFILE='.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
  "syscalls": [{"names": ["unshare", "keyctl", "mount"], "action": "SCMP_ACT_ERRNO"},
               {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22,
                "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]}'

# run_crun [EXPECTED_RC] ID BUNDLE: crun run, output in $output.
run_crun() {
    local expected_rc=0
    case "$1" in [0-9]*) expected_rc=$1; shift ;; esac
    run crun --root "$BATS_TEST_TMPDIR/crun" run --bundle "$2" "$1"
    echo "$output" | sed 's/^/# crun: /' >&2
    [ "$status" -eq "$expected_rc" ] || die "crun exit code $status; expected $expected_rc"
}

# True when pid has exited (gone, or a zombie its new parent has not reaped yet).
gone_or_zombie() {
    [ ! -e "/proc/$1/stat" ] || [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# Fails when kpod left cgroups, state or processes of the runtime behind.
check_runtime_leaks() {
    local left=""
    left+=$(find /sys/fs/cgroup -maxdepth 2 -name 'kpod-runtime-*' 2>/dev/null | tr '\n' ' ')
    if [ -d "$KPOD_RUNROOT/runtime" ]; then
        left+=$(ls "$KPOD_RUNROOT/runtime" | tr '\n' ' ')
    fi
    [ -z "$left" ] || die "runtime leftovers: $left"
}

runtime_teardown() {
    local d id
    for d in "$KPOD_RUNROOT"/runtime/*/; do
        [ -d "$d" ] || continue
        id=$(basename "$d")
        "$KPOD" runtime delete --force "$id" >/dev/null 2>&1 || true
    done
    crun --root "$BATS_TEST_TMPDIR/crun" list -q 2>/dev/null | while read -r id; do
        crun --root "$BATS_TEST_TMPDIR/crun" delete -f "$id" >/dev/null 2>&1
    done
    basic_teardown
}
