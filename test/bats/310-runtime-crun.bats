#!/usr/bin/env bats
# kpod runtime against crun on the same bundle: the same observable result.

load runtime_helpers

setup_file() {
    runtime_setup_file
}

setup() {
    require_root
    command -v crun >/dev/null || skip "crun is not installed"
    basic_setup
    ID=kc$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
    runtime_teardown
}

# same_as_crun FILTER: runs the bundle with both and compares the output.
same_as_crun() {
    local b
    b=$(make_bundle "$1")
    run_crun "${2:-0}" "$ID" "$b"
    local want=$output
    run_kpod "${2:-0}" runtime run --bundle "$b" "$ID"
    assert "$output" == "$want" "kpod's output is crun's"
    check_runtime_leaks
}

@test "crun parity: id and hostname" {
    same_as_crun "$(with_args sh -c 'id; hostname; cat /etc/hostname 2>/dev/null; echo $HOME')"
}

@test "crun parity: capabilities, no_new_privs and seccomp in /proc/self/status" {
    same_as_crun "$SECCOMP_PROFILE | $(with_args sh -c 'grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status')"
    assert "$output" =~ "Seccomp:	2" "a seccomp filter is on"
    assert "$output" =~ "NoNewPrivs:	1"
    assert "$output" =~ "CapBnd:	0000000020000420" "the bundle's three capabilities"
}

@test "crun parity: non-root user, groups, umask, cwd, env, capabilities of a user" {
    same_as_crun '.process.user = {"uid": 65534, "gid": 65534, "additionalGids": [100], "umask": 63}
        | .process.cwd = "/tmp" | .process.env += ["FOO=bar baz"]
        | '"$(with_args sh -c 'id; umask; pwd; echo "$FOO"; grep -E "^Cap" /proc/self/status')"
    assert "${lines[0]}" == "uid=65534(nobody) gid=65534(nogroup) groups=100(users)"
    assert "${lines[1]}" == "0077"
}

@test "crun parity: pid namespace shows only the container's processes" {
    same_as_crun "$(with_args sh -c 'ls /proc | grep -E "^[0-9]+$" | sort -n | head -1; echo $$')"
    assert "$output" == "1
1" "the shell is pid 1"
}

@test "crun parity: mounts (no host mount visible), masked and read-only paths" {
    b=$(make_bundle "$(with_args sh -c 'mount | cut -d" " -f3,5 | grep -v ^/sys/fs/cgroup')")
    run_crun "$ID" "$b"
    want=$output
    run_kpod runtime run --bundle "$b" "$ID"
    assert "$output" == "$want" "mount points and types"
    assert "$output" !~ "/work|/tmp/bats" "no host paths"
    same_as_crun "$(with_args sh -c 'wc -c < /proc/timer_list; wc -c < /proc/keys; ls /sys/firmware | wc -l; cat /proc/kcore 2>&1 | head -c 0; echo x > /proc/sys/kernel/domainname; echo x > /proc/sysrq-trigger; touch /sys/x; echo end')" 0
    assert "$output" =~ "/proc/sys/kernel/domainname: Read-only file system"
    assert "$output" =~ "/sys/x: Read-only file system"
}

@test "crun parity: a read-only root gives EROFS; a writable one does not" {
    same_as_crun "$(with_args sh -c 'touch /newfile; echo rc=$?')"
    assert "$output" =~ "Read-only file system"
    mkdir -p "$BATS_TEST_TMPDIR/rw"
    cp -a "$BATS_FILE_TMPDIR/rootfs" "$BATS_TEST_TMPDIR/rw/"
    same_as_crun ".root.readonly = false | .root.path = \"$BATS_TEST_TMPDIR/rw/rootfs\" | $(with_args sh -c 'touch /newfile && echo written')"
    assert "$output" == "written"
}

@test "crun parity: a seccomp-blocked syscall fails with EPERM, errnoRet and argument rules apply" {
    same_as_crun "$SECCOMP_PROFILE | $(with_args sh -c 'unshare -U true; echo rc=$?')"
    assert "$output" =~ "Operation not permitted"
    # kill(_, SIGUSR1) matches the argument rule (EINVAL via errnoRet); signal 0 is allowed.
    same_as_crun "$SECCOMP_PROFILE | $(with_args sh -c 'kill -USR1 $$; echo rc=$?; kill -0 $$; echo rc=$?')"
    assert "$output" =~ "Invalid argument.*rc=1.*rc=0"
}

@test "crun parity: memory limit and pids limit land in the cgroup" {
    local res='.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 32}'
    same_as_crun "$res | $(with_args sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max')"
    assert "$output" == "67108864
32"
}

@test "crun parity: a fork bomb is stopped by the pids limit" {
    local res='.linux.resources.pids = {"limit": 16}'
    same_as_crun "$res | $(with_args sh -c 'for i in $(seq 40); do sleep 3 & done; echo not reached')" 2
    assert "$output" =~ "can't fork: Resource temporarily unavailable" "the fork failed"
}

@test "crun parity: exit codes" {
    same_as_crun "$(with_args sh -c 'exit 3')" 3
    same_as_crun "del(.linux.namespaces[] | select(.type == \"pid\")) | $(with_args sh -c 'kill -KILL $$')" 137
}

@test "crun parity: a new user namespace with id mappings" {
    local userns='.linux.namespaces += [{"type": "user"}]
        | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
    # The mapped root (host uid 100000) must be able to reach the rootfs and the bundle.
    local d=$BATS_FILE_TMPDIR
    while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
    d=$BATS_TEST_TMPDIR
    while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
    same_as_crun "$userns | $(with_args sh -c 'id; cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /bin/busybox; grep -E "^Cap(Eff|Bnd)" /proc/self/status; ls /dev | tr "\n" " "; echo x > /dev/null && echo ok')"
    assert "${lines[0]}" == "uid=0(root) gid=0(root)"
    assert "${lines[3]}" == "65534:65534" "host root's files are unmapped"
    b=$(make_bundle "$userns | $(with_args sleep 1000)")
    "$KPOD" runtime run -d --bundle "$b" "$ID" </dev/null >/dev/null 2>&1
    pid=$("$KPOD" runtime state "$ID" | jq -r .pid)
    assert "$(awk '{print $2}' /proc/$pid/uid_map)" == 100000 "the container's uid 0 is host 100000"
    run_kpod runtime exec "$ID" sh -c 'id; readlink /proc/self/ns/user'
    assert "${lines[0]}" == "uid=0(root) gid=0(root)" "exec joins the user namespace"
    assert "${lines[1]}" == "$(readlink /proc/$pid/ns/user)"
    run_kpod runtime delete -f "$ID"
    check_runtime_leaks
}

@test "crun parity: a cgroup namespace shows the container's cgroup as the root" {
    same_as_crun ".linux.namespaces += [{\"type\": \"cgroup\"}] | $(with_args sh -c 'grep -E ":(memory|pids):" /proc/self/cgroup | sort; ls /sys/fs/cgroup/memory | grep -c "^memory\."; mount | grep -c " on /sys/fs/cgroup/"')"
    assert "${lines[0]}" =~ ":memory:/$" "the container's memory cgroup is /"
}
