#!/usr/bin/env bats
# kpod runtime: what a container must not escape, and the spec's process and Linux settings.

load runtime_helpers

setup_file() {
    runtime_setup_file
}

setup() {
    require_root
    basic_setup
    ID=ks$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
    runtime_teardown
}

# A writable copy of the rootfs for this test.
own_rootfs() {
    cp -a "$BATS_FILE_TMPDIR/rootfs" "$BATS_TEST_TMPDIR/rootfs"
    echo "$BATS_TEST_TMPDIR/rootfs"
}

@test "mount destinations through symlinks stay inside the rootfs" {
    r=$(own_rootfs)
    host=$BATS_TEST_TMPDIR/host
    mkdir -p "$host"
    ln -s "$host" "$r/abs"                  # absolute: resolved as if the rootfs were /
    ln -s ../../../../../../../../tmp "$r/rel" # relative: ".." stops at the rootfs root
    echo secret >"$BATS_TEST_TMPDIR/hostfile"
    ln -s "$BATS_TEST_TMPDIR/hostfile" "$r/filelink"
    echo data >"$BATS_TEST_TMPDIR/src"
    b=$(make_bundle ".root.path = \"$r\" | .root.readonly = false
        | .mounts += [{\"destination\": \"/abs/sub\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},
                      {\"destination\": \"/rel/escaped\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},
                      {\"destination\": \"/filelink\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}]
        | $(with_args sh -c 'mount | grep -c " on /.*/sub type tmpfs\| on /tmp/escaped type tmpfs"; cat /filelink')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "${lines[0]}" == 2 "both tmpfs mounted inside"
    assert "${lines[1]}" == data "the bind landed on the in-root target"
    [ ! -e "$host/sub" ] || die "a directory was created outside the rootfs: $host/sub"
    [ ! -e /tmp/escaped ] || die "a directory was created outside the rootfs: /tmp/escaped"
    [ -d "$r$host/sub" ] || die "the destination was not created inside the rootfs"
    [ -d "$r/tmp/escaped" ] || die "relative escape not folded into the rootfs"
    assert "$(cat "$BATS_TEST_TMPDIR/hostfile")" == secret "host file untouched"
    [ -f "$r$BATS_TEST_TMPDIR/hostfile" ] || die "the file destination was not made inside the rootfs"
    check_runtime_leaks
}

@test "/proc/sys and /sys are read-only; writes to /proc/sysrq-trigger fail" {
    b=$(make_bundle "$(with_args sh -c 'echo 1 > /proc/sys/vm/drop_caches || echo A; echo 1 > /sys/kernel/profiling || echo B; mkdir /sys/fs/cgroup/x || echo C')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "$output" =~ "Read-only file system.*A" "/proc/sys"
    assert "$output" =~ "B" "/sys"
    assert "$output" =~ "C" "/sys/fs/cgroup"
}

@test "bind mounts (ro, rbind), tmpfs with size and mode, devices from the spec" {
    mkdir -p "$BATS_TEST_TMPDIR/data"
    echo hello >"$BATS_TEST_TMPDIR/data/f"
    b=$(make_bundle ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"ro\", \"nosuid\"]},
                                {\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\", \"mode=1777\", \"noexec\"]}]
        | .linux.devices = [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 432, \"uid\": 0, \"gid\": 0}]
        | $(with_args sh -c 'cat /data/f; touch /data/g || true; stat -c %a /scratch; df -k /scratch | tail -1 | tr -s " " | cut -d" " -f2; ls -l /dev/fuse | cut -c1-10; ls /dev | tr "\n" " "')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "${lines[0]}" == hello
    assert "${lines[1]}" =~ "Read-only file system"
    assert "${lines[2]}" == 1777 "tmpfs mode"
    assert "${lines[3]}" == 1024 "tmpfs size in KiB"
    assert "${lines[4]}" == "crw-rw----" "device node and mode"
    assert "${lines[5]}" =~ "^core fd full fuse mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" "default /dev"
    check_runtime_leaks
}

@test "rlimits above the caller's hard limit are lowered to it, with a warning" {
    hard=$(ulimit -Hn)
    b=$(make_bundle ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"hard\": $((hard + 1000)), \"soft\": $((hard + 1000))}, {\"type\": \"RLIMIT_NPROC\", \"hard\": 500, \"soft\": 400}] | $(with_args sh -c 'ulimit -Hn; ulimit -Sn; ulimit -Su')")
    KPOD_ALLOW_WARNINGS=1 run_kpod runtime run --bundle "$b" "$ID"
    assert "${lines[0]}" == "Warning: rlimit 'RLIMIT_NOFILE': hard limit $((hard + 1000)) is above the caller's $hard: lowered to $hard"
    assert "${lines[1]}" == "$hard" "hard"
    assert "${lines[2]}" == "$hard" "soft"
    assert "${lines[3]}" == 400 "nproc soft"

    b=$(make_bundle '.process.rlimits = [{"type": "RLIMIT_NOPE", "hard": 1, "soft": 1}]')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': rlimit: unknown type 'RLIMIT_NOPE'"
}

@test "sysctls in the container's own namespaces; oom_score_adj; no_new_privs off keeps seccomp" {
    b=$(make_bundle ".linux.sysctl = {\"net.ipv4.ip_forward\": \"1\", \"kernel.shm_rmid_forced\": \"1\"}
        | .process.oomScoreAdj = 500 | .process.noNewPrivileges = false | $SECCOMP_PROFILE
        | $(with_args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced /proc/self/oom_score_adj; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "$output" == "1
1
500
NoNewPrivs:	0
Seccomp:	2"
    assert "$(cat /proc/sys/kernel/shm_rmid_forced)" == 0 "the host's value is untouched"

    b=$(make_bundle 'del(.linux.namespaces[] | select(.type == "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" =~ "sysctl 'net.ipv4.ip_forward': needs a network namespace"
}

@test "terminal: a pty with the spec's window size" {
    b=$(make_bundle ".process.terminal = true | .process.consoleSize = {\"height\": 40, \"width\": 120} | $(with_args sh -c 'tty; stty size; ls -l /dev/console | cut -c1')")
    run_kpod runtime run --bundle "$b" "$ID" </dev/null
    out=$(tr -d '\r' <<<"$output")
    assert "$out" == "/dev/pts/0
40 120
c"
    run_kpod 125 runtime create --bundle "$b" "$ID"
    assert "$output" == "Error: process.terminal is set: use --console-socket"
    check_runtime_leaks
}

@test "joining another container's namespaces by path" {
    a=$(make_bundle ".hostname = \"first\" | $(with_args sleep 1000)")
    mv "$a" "$BATS_TEST_TMPDIR/a"
    "$KPOD" runtime run -d --bundle "$BATS_TEST_TMPDIR/a" "$ID-a" </dev/null >/dev/null 2>&1
    pid=$("$KPOD" runtime state "$ID-a" | jq -r .pid)
    b=$(make_bundle "del(.hostname) | .linux.namespaces |= map(if .type == \"uts\" or .type == \"network\" or .type == \"ipc\" or .type == \"pid\" then .path = \"/proc/$pid/ns/\" + (if .type == \"network\" then \"net\" else .type end) else . end) | $(with_args sh -c 'hostname; readlink /proc/self/ns/net; cat /proc/1/cmdline | tr "\0" " "; echo')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "${lines[0]}" == first "the uts namespace is shared"
    assert "${lines[1]}" == "$(readlink /proc/$pid/ns/net)" "the network namespace is shared"
    assert "${lines[2]}" == "sleep 1000 " "the pid namespace is shared: pid 1 is the first container's"
    run_kpod runtime delete -f "$ID-a"
    check_runtime_leaks
}

@test "a child failure after clone removes everything (cgroup, state, mounts)" {
    b=$(make_bundle '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=nonsense"]}]')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" =~ "^Error: container '$ID': mount '/x' \(tmpfs\): Invalid argument$"
    check_runtime_leaks
}

@test "overlay root: writes land in the upper layer, the lower stays intact, nothing stays mounted" {
    mkdir -p "$BATS_TEST_TMPDIR"/{top,upper,work,merged}
    echo top >"$BATS_TEST_TMPDIR/top/layer"
    b=$(make_bundle ".root.path = \"$BATS_TEST_TMPDIR/merged\" | .root.readonly = false
        | $(with_args sh -c 'cat /layer; echo new > /newfile; rm /layer; ls /bin/busybox')")
    run_kpod runtime run --bundle "$b" --overlay-lower "$BATS_TEST_TMPDIR/top" \
        --overlay-lower "$BATS_FILE_TMPDIR/rootfs" --overlay-upper "$BATS_TEST_TMPDIR/upper" \
        --overlay-work "$BATS_TEST_TMPDIR/work" "$ID"
    assert "$output" == "top
/bin/busybox"
    assert "$(cat "$BATS_TEST_TMPDIR/upper/newfile")" == new "the write is in the upper layer"
    assert "$(cat "$BATS_TEST_TMPDIR/top/layer")" == top "the lower layer is intact"
    [ ! -e "$BATS_FILE_TMPDIR/rootfs/newfile" ] || die "the write reached the lower layer"
    [ -z "$(ls -A "$BATS_TEST_TMPDIR/merged")" ] || die "the overlay is still mounted on the host"
    run_kpod 125 runtime run --bundle "$b" --overlay-upper "$BATS_TEST_TMPDIR/upper" "$ID"
    assert "$output" == "Error: --overlay-upper and --overlay-work need --overlay-lower"
    check_runtime_leaks
}

@test "a cgroup failure (bad cpuset) is reported with the file and undone" {
    b=$(make_bundle '.linux.resources.cpu = {"cpus": "63"}')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" =~ "^Error: container '$ID': cgroup 'kpod-runtime-$ID': .*cpuset.cpus" "names the file"
    check_runtime_leaks
    ! pgrep -f "kpod runtime run --bundle $b" >/dev/null || die "a process was left"
}
