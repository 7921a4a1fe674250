#!/usr/bin/env bats
# kpod logs: the k8s-file logs the monitor writes, read back whole, tailed, filtered, followed.

load helpers

setup() {
    basic_setup
    require_root
    IMAGE=$KPOD_TEST_REGISTRY/busybox:latest
}

teardown() {
    basic_teardown
}

# play_cmd NAME CMD [EXTRA-YAML]: a pod with one container "main" running sh -c CMD, Never.
play_cmd() {
    local name=$1 cmd=$2 extra=${3:-}
    cat >"$BATS_TEST_TMPDIR/$name.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: $IMAGE
    command: ["sh", "-c", "$cmd"]
$extra
EOF
    run_kpod play --tls-verify=false -q ${PLAY_OPTS:-} "$BATS_TEST_TMPDIR/$name.yaml"
}

@test "logs: every line, each on its stream, in order" {
    play_cmd out 'for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done'
    run_kpod wait out-main
    run bash -c "'$KPOD' logs out-main 2>/dev/null"
    assert "$output" == "$(printf 'out%s\n' 1 2 3 4 5)" "stdout only"
    run bash -c "'$KPOD' logs out-main 2>&1 >/dev/null"
    assert "$output" == "$(printf 'err%s\n' 1 2 3 4 5)" "stderr only"
    run_kpod logs --tail 3 out-main
    assert "${#lines[@]}" == 3 "--tail 3"
    assert "${lines[2]}" == "err5" "last line last"
    run_kpod logs --since 2099-01-01T00:00:00Z out-main
    assert "$output" == "" "--since in the future"
    run_kpod logs --until 2000-01-01T00:00:00Z out-main
    assert "$output" == "" "--until in the past"
    run_kpod logs --since 10m out-main
    assert "${#lines[@]}" == 10 "--since a duration"
    run_kpod logs -t --tail 1 out-main
    local ts=${output%% *}
    run date -d "$ts" +%s
    assert "$status" == 0 "timestamp '$ts' parses"
}

@test "logs: a 100 KB line comes back whole; output without a newline comes back" {
    play_cmd big "awk 'BEGIN { while (i++ < 102400) printf \\\"x\\\"; print \\\"\\\" }'; printf foo"
    run_kpod wait big-main
    run_kpod logs big-main
    assert "${#lines[0]}" == 102400 "the long line, whole"
    assert "${lines[1]}" == "foo" "the last line without a newline"
    run_kpod logs --tail 1 big-main
    assert "$output" == "foo"
}

@test "logs -f follows until the container exits; logs stay after stop, go with rm" {
    play_cmd fol 'for i in 1 2 3; do echo tick$i; sleep 0.3; done'
    run_kpod logs -f fol-main
    assert "$output" == "$(printf 'tick%s\n' 1 2 3)" "followed to the end"
    run_kpod pod stop fol
    run_kpod logs fol-main
    assert "${#lines[@]}" == 3 "logs remain after stop"
    local id
    id=$("$KPOD" pod inspect fol --format '{{.Id}}')
    run_kpod pod rm fol
    [ ! -e "$KPOD_ROOT/pods/$id/logs" ] || die "logs not removed with the pod"
}

@test "logs: rotation with a tiny max-size keeps every line" {
    PLAY_OPTS="--log-opt max-size=2k --log-opt max-file=50" play_cmd rot 'seq 1 500'
    run_kpod wait rot-main
    local id
    id=$("$KPOD" pod inspect rot --format '{{.Id}}')
    run bash -c "ls '$KPOD_ROOT/pods/$id/logs/' | wc -l"
    assert "$output" -gt 3 "rotated into several files"
    run_kpod logs rot-main
    assert "$output" == "$(seq 1 500)" "every line, in order, across files"
    run_kpod logs --tail 2 rot-main
    assert "$output" == "$(printf '499\n500')"
}

@test "logs of a hand-written k8s-file log with partial records" {
    PLAY_OPTS="--start=false" play_cmd hand 'true'
    local id
    id=$("$KPOD" pod inspect hand --format '{{.Id}}')
    cat >"$KPOD_ROOT/pods/$id/logs/main.log" <<'EOF'
2023-11-14T22:13:20.1+00:00 stdout F first
2023-11-14T22:13:21.1+00:00 stdout P sec
2023-11-14T22:13:21.2+00:00 stdout P o
2023-11-14T22:13:21.3+00:00 stdout F nd
2023-11-14T22:13:22Z stderr F third
EOF
    run_kpod logs --tail 2 hand-main
    assert "$output" == "$(printf 'second\nthird')"
    run_kpod logs --since 2023-11-14T22:13:21Z hand-main
    assert "$output" == "$(printf 'second\nthird')"
}

@test "pod logs: every container, named; -c one; --monitor the monitor's own log" {
    cat >"$BATS_TEST_TMPDIR/two.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  restartPolicy: Never
  containers:
  - name: a
    image: $IMAGE
    command: ["echo", "from-a"]
  - name: b
    image: $IMAGE
    command: ["echo", "from-b"]
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/two.yaml"
    run_kpod wait two-a two-b
    run_kpod pod logs two
    assert "$output" =~ "two-a from-a" "named line of a"
    assert "$output" =~ "two-b from-b" "named line of b"
    run_kpod pod logs -c b two
    assert "$output" == "from-b"
    run_kpod pod logs --monitor two
    assert "$output" =~ "container 'a' exited with 0" "monitor diagnostics"
    run_kpod 127 pod logs -c nosuch two
    run_kpod 127 logs nosuch
    run_kpod 125 logs --tail x two-a
    assert "$output" =~ "invalid --tail 'x'"
    run_kpod 125 logs --since yesterday two-a
    assert "$output" =~ "invalid time 'yesterday'"
}

@test "a tty container's output is logged" {
    play_cmd tty 'echo on-a-terminal; test -t 1 && echo is-a-tty' '    tty: true'
    run_kpod wait tty-main
    run_kpod logs tty-main
    assert "$output" =~ "on-a-terminal" "output through the pty"
    assert "$output" =~ "is-a-tty" "stdout was a terminal"
}

@test "a full disk drops output, counts it, and the container goes on" {
    require_root
    mkdir -p "$BATS_TEST_TMPDIR/small"
    mount -t tmpfs -o size=3m tmpfs "$BATS_TEST_TMPDIR/small"
    export KPOD_ROOT=$BATS_TEST_TMPDIR/small/root
    run_kpod load -q -i "oci:$KPOD_TEST_IMAGES/busybox:latest"
    cat >"$BATS_TEST_TMPDIR/full.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: full
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: localhost/busybox:latest
    command: ["sh", "-c", "i=0; while [ \$i -lt 40000 ]; do echo line-\$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=\$((i+1)); done; echo done"]
EOF
    run_kpod play -q "$BATS_TEST_TMPDIR/full.yaml"
    run_kpod wait full-main
    assert "$output" == 0 "the container finished despite the full disk"
    run_kpod inspect full-main --format '{{.State.LogDroppedBytes}}'
    assert "$output" -gt 0 "dropped bytes counted"
    KPOD_ALLOW_WARNINGS=1 run_kpod logs --tail 1 full-main
    assert "$output" =~ "bytes of output could not be logged" "said on stderr"
    run_kpod pod rm -f full
    umount "$BATS_TEST_TMPDIR/small" || umount -l "$BATS_TEST_TMPDIR/small"
}

@test "attach: live output, the exit code, stdin to a stdin: true container" {
    play_cmd att 'sleep 0.5; for i in 1 2 3; do echo tick$i; echo err$i >&2; sleep 0.2; done; exit 5'
    run bash -c "'$KPOD' attach --no-stdin att-main 2>/dev/null"
    assert "$status" == 5 "the container's exit code"
    assert "$output" =~ "tick3" "live stdout"
    assert "$output" !~ "err" "stderr kept apart"
    play_cmd cat 'while read l; do echo got:$l; done; echo closed' '    stdin: true'
    run bash -c "printf 'a\\nb\\n' | '$KPOD' attach cat-main"
    assert "$status" == 0
    assert "$output" == "$(printf 'got:a\ngot:b\nclosed')" "input in, EOF closed its stdin"
    run_kpod 126 attach cat-main
    assert "$output" =~ "cannot attach to container 'cat-main'"
    run_kpod 127 attach nosuch
}
