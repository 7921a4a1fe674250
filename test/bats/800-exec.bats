#!/usr/bin/env bats
# kpod exec: enter a running container, with podman's exit codes.

load helpers

setup() {
    basic_setup
    require_root
    IMAGE=$KPOD_TEST_REGISTRY/busybox:latest
    cat >"$BATS_TEST_TMPDIR/ex.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ex
spec:
  containers:
  - name: main
    image: $IMAGE
    command: ["sleep", "1000"]
    env:
    - {name: GREETING, value: hello}
    workingDir: /tmp
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/ex.yaml"
}

teardown() {
    basic_teardown
}

@test "exec runs in the container's namespaces with its env, cwd and security" {
    run_kpod exec ex-main sh -c 'echo $GREETING $(pwd) $(hostname) $(readlink /proc/1/ns/pid) $(readlink /proc/self/ns/pid)'
    local -a f=($output)
    assert "${f[0]}" == hello "container env"
    assert "${f[1]}" == /tmp "container cwd"
    assert "${f[2]}" == ex "pod hostname"
    assert "${f[3]}" == "${f[4]}" "same pid namespace as the container"
    run_kpod exec ex-main sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'
    assert "$output" =~ "Seccomp:.2" "seccomp filter applied"
    run_kpod exec -d ex-main sleep 7
    run_kpod top ex-main
    assert "$output" =~ "sleep 7" "the exec'd process is in the container's cgroup (kpod top)"
    run_kpod exec -e GREETING=bye -e EXTRA=1 -w / ex-main sh -c 'echo $GREETING $EXTRA $(pwd)'
    assert "$output" == "bye 1 /" "-e and -w override"
    printf 'A=from-file\n# comment\n' >"$BATS_TEST_TMPDIR/env"
    run_kpod exec --env-file "$BATS_TEST_TMPDIR/env" ex-main sh -c 'echo $A'
    assert "$output" == "from-file"
    run_kpod exec -u nobody ex-main id -un
    assert "$output" == nobody "user by name"
    run_kpod exec -u 33:100 ex-main id
    assert "$output" =~ "uid=33.*gid=100" "uid:gid"
    run_kpod exec --privileged ex-main sh -c 'grep -E "^Seccomp:" /proc/self/status'
    assert "$output" =~ "Seccomp:.0" "--privileged drops the filter"
}

@test "exec: stdin, separate streams, exit codes" {
    run bash -c "echo hi | '$KPOD' exec -i ex-main cat"
    assert "$output" == hi "stdin forwarded"
    run bash -c "'$KPOD' exec ex-main sh -c 'echo out; echo err >&2' 2>/dev/null"
    assert "$output" == out "stdout alone"
    run_kpod 3 exec ex-main sh -c 'exit 3'
    run_kpod 137 exec ex-main sh -c 'kill -9 $$'
    run_kpod 127 exec ex-main /bin/nosuch
    assert "$output" =~ "exec '/bin/nosuch': No such file or directory"
    run_kpod 126 exec ex-main /etc
    run_kpod 125 exec nosuch true
    assert "$output" =~ "no such container 'nosuch'"
    run_kpod 125 exec ex-main
    assert "$output" =~ "no command given"
    run_kpod 125 exec -u nosuchuser ex-main true
    assert "$output" =~ "unknown user 'nosuchuser'"
}

@test "exec refuses paused and stopped pods with 126" {
    run_kpod pod pause ex
    run_kpod 126 exec ex-main true
    assert "$output" =~ "cannot exec in container 'main': its pod is paused"
    run_kpod pod unpause ex
    run_kpod pod stop -t 0 ex
    run_kpod 126 exec ex-main true
}

@test "exec -d returns at once; exec -t runs on a terminal" {
    run_kpod exec -d ex-main sh -c 'sleep 0.2; touch /tmp/detached'
    assert "$output" =~ "^[0-9a-f]{64}$" "an exec id"
    sleep 0.5
    run_kpod exec ex-main ls /tmp/detached
    run_kpod exec -t ex-main sh -c 'test -t 0 && test -t 1 && echo tty'
    assert "$output" =~ "tty" "a terminal"
}

@test "exec: the process dies with kpod; --preserve-fds passes descriptors on" {
    "$KPOD" exec ex-main sleep 47 &
    local kp=$!
    local i
    for i in $(seq 1 50); do
        "$KPOD" top ex-main | grep -q "sleep 47" && break
        sleep 0.1
    done
    kill -9 $kp
    wait $kp 2>/dev/null || true
    for i in $(seq 1 50); do
        "$KPOD" top ex-main | grep -q "sleep 47" || break
        sleep 0.1
    done
    run_kpod top ex-main
    assert "$output" !~ "sleep 47" "the exec'd process went with kpod"
    run bash -c "exec 3<<<'through fd 3'; '$KPOD' exec --preserve-fds 1 ex-main cat /proc/self/fd/3"
    assert "$output" == "through fd 3" "fd 3 passed on"
}
