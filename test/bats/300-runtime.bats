#!/usr/bin/env bats
# kpod runtime: lifecycle (create/start/state/kill/delete, run), exit codes, errors, cleanup.

load runtime_helpers

setup_file() {
    runtime_setup_file
}

setup() {
    require_root
    basic_setup
    ID=kt$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
    runtime_teardown
}

@test "runtime run: output, exit code 0, nothing left" {
    b=$(make_bundle "$(with_args sh -c 'echo hello from $(hostname)')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "$output" == "hello from crun" "container output"
    check_runtime_leaks
}

@test "runtime run: exit codes 3, 126, 127, 137, 143" {
    b=$(make_bundle "$(with_args sh -c 'exit 3')")
    run_kpod 3 runtime run --bundle "$b" "$ID"

    b=$(make_bundle "$(with_args /bin/nosuch)")
    run_kpod 127 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': exec '/bin/nosuch': No such file or directory"

    b=$(make_bundle "$(with_args nosuchcmd)")
    run_kpod 127 runtime run --bundle "$b" "$ID"
    assert "$(error_line)" =~ "exec 'nosuchcmd': No such file or directory"

    b=$(make_bundle "$(with_args /etc/passwd)")
    run_kpod 126 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': exec '/etc/passwd': Permission denied"

    # Killed by a signal: 128 + N. Without a pid namespace sh is not an init that ignores it.
    b=$(make_bundle "del(.linux.namespaces[] | select(.type == \"pid\")) | $(with_args sh -c 'kill -KILL $$')")
    run_kpod 137 runtime run --bundle "$b" "$ID"
    b=$(make_bundle "del(.linux.namespaces[] | select(.type == \"pid\")) | $(with_args sh -c 'kill -TERM $$')")
    run_kpod 143 runtime run --bundle "$b" "$ID"
    check_runtime_leaks
}

@test "runtime create/start/state/kill/delete: the OCI lifecycle" {
    b=$(make_bundle "$(with_args sh -c 'trap "exit 7" TERM; echo started > /dev/shm/x; while :; do sleep 0.1; done')")
    "$KPOD" runtime create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
    run_kpod runtime state "$ID"
    assert "$(jq -r .status <<<"$output")" == created "status after create"
    pid=$(jq -r .pid <<<"$output")
    assert "$pid" == "$(cat "$BATS_TEST_TMPDIR/pid")" "pid file"
    assert "$(jq -r .bundle <<<"$output")" == "$b" "bundle"
    # The process waits on the exec fifo, already in its namespaces and cgroup.
    assert "$(readlink /proc/$pid/ns/uts)" != "$(readlink /proc/self/ns/uts)" "own uts namespace"
    grep -q "kpod-runtime-$ID" /proc/$pid/cgroup || die "not in its cgroup: $(cat /proc/$pid/cgroup)"

    run_kpod 126 runtime delete "$ID"
    assert "$output" == "Error: container '$ID': is created: stop it or use --force"

    run_kpod runtime list --format json
    assert "$(jq -r '.[] | .id + " " + .status' <<<"$output")" == "$ID created" "list --format json"
    run_kpod runtime list
    assert "${lines[0]}" =~ "^ID +PID +STATUS +CREATED +BUNDLE$" "table header"
    assert "${lines[1]}" =~ "^$ID +$pid +created " "table row"
    run_kpod runtime list -q
    assert "$output" == "$ID" "ids only"
    run_kpod runtime start "$ID"
    run_kpod runtime state "$ID"
    assert "$(jq -r .status <<<"$output")" == running "status after start"
    run_kpod 126 runtime start "$ID"
    assert "$output" =~ "is running, not created"

    run_kpod runtime kill "$ID" TERM
    for i in $(seq 50); do
        [ "$(kpod_status)" = stopped ] && break
        sleep 0.1
    done
    run_kpod runtime state "$ID"
    assert "$(jq -r .status <<<"$output")" == stopped "status after kill"
    assert "$(jq -r .pid <<<"$output")" == 0 "no pid once stopped"
    run_kpod runtime delete "$ID"
    run_kpod 127 runtime state "$ID"
    assert "$output" == "Error: container '$ID': no such container"
    check_runtime_leaks
}

kpod_status() {
    "$KPOD" runtime state "$ID" | jq -r .status
}

@test "runtime delete --force kills a running container and its processes" {
    b=$(make_bundle "$(with_args sh -c 'sleep 1000 & sleep 1000')")
    "$KPOD" runtime run -d --bundle "$b" "$ID" </dev/null >/dev/null 2>&1
    pid=$("$KPOD" runtime state "$ID" | jq -r .pid)
    kill -0 "$pid"
    run_kpod runtime kill --all "$ID" 0
    run_kpod runtime delete --force "$ID"
    gone_or_zombie "$pid" || die "process $pid survived delete --force"
    check_runtime_leaks
}

@test "runtime kill: signals by name and number; bad signal; not running" {
    b=$(make_bundle "$(with_args sh -c 'trap "exit 5" USR1; while :; do sleep 0.1; done')")
    "$KPOD" runtime run -d --bundle "$b" "$ID" </dev/null >/dev/null 2>&1
    run_kpod 125 runtime kill "$ID" NOSIG
    assert "$output" == "Error: invalid signal 'NOSIG'"
    run_kpod runtime kill "$ID" SIGUSR1
    for i in $(seq 50); do
        [ "$(kpod_status)" = stopped ] && break
        sleep 0.1
    done
    run_kpod 126 runtime kill "$ID" 9
    assert "$output" == "Error: container '$ID': is not running"
    run_kpod runtime delete "$ID"
    check_runtime_leaks
}

@test "runtime: errors name their cause and leave nothing" {
    run_kpod 125 runtime run --bundle "$BATS_TEST_TMPDIR/nope" "$ID"
    assert "$output" =~ "^Error: bundle '.*/nope': No such file or directory$"

    b=$(make_bundle '.process.user.uid = "0"')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: $b/config.json: 'process.user.uid': expected an integer"

    run_kpod 125 runtime run --bundle "$b" "bad/id"
    assert "$output" =~ "invalid container id 'bad/id'"

    b=$(make_bundle '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent-src"}]')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': mount '/data': source '/nonexistent-src': No such file or directory"

    b=$(make_bundle '.linux.namespaces |= map(if .type == "ipc" then .path = "/nonexistent-ns" else . end)')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" =~ "namespace 'ipc': open '/nonexistent-ns': No such file or directory"

    # A failure inside the child (after clone) comes back with its cause.
    b=$(make_bundle '.linux.sysctl = {"kernel.panic": "1"}')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': sysctl 'kernel.panic': not namespaced: refusing to change the host"
    b=$(make_bundle '.mounts += [{"destination": "/mnt", "type": "nosuchfs", "source": "x"}]')
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': mount '/mnt' (nosuchfs): No such device"

    b=$(make_bundle "$(with_args sleep 100)")
    "$KPOD" runtime create --bundle "$b" "$ID" </dev/null >/dev/null 2>&1
    run_kpod 126 runtime create --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': already exists"
    run_kpod runtime delete -f "$ID"
    run_kpod 127 runtime delete "$ID"
    check_runtime_leaks
}

@test "runtime: unknown spec fields are warned about, by name" {
    b=$(make_bundle '.linux.intelRdt = {"closID": "x"} | .process.apparmorProfile = "p"')
    KPOD_ALLOW_WARNINGS=1 run_kpod runtime run --bundle "$b" "$ID"
    assert "$output" =~ "Warning: .*config.json: ignoring unsupported field 'process.apparmorProfile'"
    assert "$output" =~ "Warning: .*config.json: ignoring unsupported field 'linux.intelRdt'"
    b=$(make_bundle '.mounts += [{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]},
                                 {"destination": "/b", "type": "bind", "source": "/etc", "options": ["bind", "size=1m"]}]')
    KPOD_ALLOW_WARNINGS=1 run_kpod runtime run --bundle "$b" "$ID"
    assert "$output" =~ "Warning: mount '/t': option 'tmpcopyup' is not supported: ignored"
    assert "$output" =~ "Warning: mount '/b': options 'size=1m' have no effect on a bind mount: ignored"
}

@test "runtime: hooks get the state on stdin, in order; failures and timeouts" {
    local log=$BATS_TEST_TMPDIR/hooks.log
    cat >"$BATS_TEST_TMPDIR/hook" <<EOS
#!/bin/sh
echo "\$1 \$(cat | jq -r '.id + " " + .status + " " + (.pid|tostring)')" >> $log
EOS
    chmod +x "$BATS_TEST_TMPDIR/hook"
    h=$BATS_TEST_TMPDIR/hook
    filter=".hooks = {}"
    for k in prestart createRuntime poststart poststop; do
        filter+=" | .hooks.$k = [{\"path\": \"$h\", \"args\": [\"hook\", \"$k\"]}]"
    done
    b=$(make_bundle "$filter | $(with_args true)")
    run_kpod runtime run --bundle "$b" "$ID"
    run cut -d' ' -f1-3 "$log"
    assert "$output" == "prestart $ID creating
createRuntime $ID creating
poststart $ID running
poststop $ID stopped" "hooks in order with their state"

    # createContainer runs in the container's mount namespace (before pivot_root);
    # startContainer inside the container, right before the process.
    b=$(make_bundle ".mounts += [{\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]
        | .hooks.createContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"readlink /proc/self/ns/mnt > $BATS_TEST_TMPDIR/cc-ns\"]}]
        | .hooks.startContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat > /tmp/state\"]}]
        | $(with_args sh -c 'readlink /proc/self/ns/mnt; cat /tmp/state')")
    run_kpod runtime run --bundle "$b" "$ID"
    assert "${lines[0]}" == "$(cat "$BATS_TEST_TMPDIR/cc-ns")" "createContainer in the container's mount namespace"
    assert "$(jq -r .status <<<"${lines[1]}")" == running "startContainer got the state"

    b=$(make_bundle ".hooks.createRuntime = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo broken >&2; exit 4\"]}]")
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': createRuntime hook '/bin/sh': exit status 4: broken"

    b=$(make_bundle ".hooks.prestart = [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"10\"], \"timeout\": 1}]")
    run_kpod 125 runtime run --bundle "$b" "$ID"
    assert "$output" == "Error: container '$ID': prestart hook '/bin/sleep': timed out after 1s"
    check_runtime_leaks
}

@test "runtime exec: joins the namespaces and cgroup, applies the spec, propagates exit codes" {
    b=$(make_bundle "$SECCOMP_PROFILE | $(with_args sleep 1000)")
    "$KPOD" runtime run -d --bundle "$b" "$ID" </dev/null >/dev/null 2>&1
    pid=$("$KPOD" runtime state "$ID" | jq -r .pid)
    run_kpod runtime exec "$ID" sh -c 'hostname; echo $$; readlink /proc/self/ns/mnt; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; grep pids /proc/self/cgroup'
    assert "${lines[0]}" == crun "uts namespace"
    assert "${lines[1]}" -gt 1 "a new pid in the container's pid namespace"
    assert "${lines[2]}" == "$(readlink /proc/$pid/ns/mnt)" "mount namespace"
    assert "${lines[3]}" == "CapEff:	0000000020000420"
    assert "${lines[4]}" == "NoNewPrivs:	1"
    assert "${lines[5]}" == "Seccomp:	2"
    assert "${lines[6]}" =~ "pids:/kpod-runtime-$ID$" "cgroup"
    run_kpod 4 runtime exec -u 65534:100 -w /tmp -e FOO=bar "$ID" sh -c 'id; pwd; echo $FOO; exit 4'
    assert "$output" == "uid=65534(nobody) gid=100(users)
/tmp
bar"
    run_kpod 127 runtime exec "$ID" /nope
    assert "$output" == "Error: container '$ID': exec '/nope': No such file or directory"
    run_kpod runtime exec -t "$ID" tty </dev/null
    assert "$(tr -d '\r' <<<"$output")" =~ "^/dev/pts/[0-9]+$" "a pty"
    run_kpod runtime delete -f "$ID"
    run_kpod 127 runtime exec "$ID" true
    check_runtime_leaks
}

@test "runtime delete --force removes a container whose state file is unreadable" {
    b=$(make_bundle "$(with_args true)")
    "$KPOD" runtime create --bundle "$b" "$ID" </dev/null >/dev/null 2>&1
    pid=$("$KPOD" runtime state "$ID" | jq -r .pid)
    kill -9 "$pid"
    echo '{"id": ' >"$KPOD_RUNROOT/runtime/$ID/state.json"
    run_kpod 125 runtime delete "$ID"
    assert "$output" =~ "state.json:"
    KPOD_ALLOW_WARNINGS=1 run_kpod runtime delete --force "$ID"
    assert "$output" =~ "Warning: container '$ID': .*state.json.*: removing its state anyway"
    [ ! -e "$KPOD_RUNROOT/runtime/$ID" ] || die "state left"
    check_runtime_leaks
}
