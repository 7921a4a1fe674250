#!/usr/bin/env bats
# The sandbox pipeline: play, the pod lifecycle, the monitor, rollback, and no leftovers.

load helpers

setup() {
    pod_setup
}

teardown() {
    basic_teardown
}

# pod_yaml NAME POLICY CMD...: a one-container pod running "sh -c CMD".
pod_yaml() {
    local name=$1 policy=$2
    shift 2
    cat >"$BATS_TEST_TMPDIR/$name.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  labels:
    app: $name
spec:
  restartPolicy: $policy
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: $IMAGE
    command: ["sh", "-c", "$*"]
EOF
    echo "$BATS_TEST_TMPDIR/$name.yaml"
}

# The log of a container: ctr_log POD CTR
ctr_log() {
    local id
    id=$("$KPOD" pod inspect "$1" --format '{{.Id}}')
    cut -d' ' -f4- "$KPOD_ROOT/pods/$id/logs/$2.log" 2>/dev/null
}

# wait_for CMD...: retries for up to 10 s.
wait_for() {
    local i
    for i in $(seq 1 100); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out waiting for: $*"
}

log_has() { ctr_log "$1" "$2" | grep -q -- "$3"; }

no_leftovers() {
    run ls "$KPOD_RUNROOT/pods"
    assert "$output" == "" "pod state dirs"
    run bash -c "find /sys/fs/cgroup/*/$KPOD_CGROUP_PARENT -mindepth 1 -maxdepth 1 -type d 2>/dev/null"
    assert "$output" == "" "pod cgroups"
    assert "$(test_mounts)" == "" "mounts"
    run pgrep -f "__monitor.*$KPOD_RUNROOT"
    assert "$output" == "" "monitor processes"
    run bash -c "ls '$KPOD_RUNROOT/netns' 2>/dev/null"
    assert "$output" == "" "netns pins"
}

@test "play a two-container pod: running, shared namespaces, hostname, logs" {
    cat >"$BATS_TEST_TMPDIR/two.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  containers:
  - name: a
    image: $IMAGE
    command: ["sh", "-c", "echo net=\$(readlink /proc/self/ns/net) uts=\$(readlink /proc/self/ns/uts) pid=\$(readlink /proc/self/ns/pid) host=\$(hostname); sleep 1000"]
  - name: b
    image: $IMAGE
    command: ["sh", "-c", "echo net=\$(readlink /proc/self/ns/net) uts=\$(readlink /proc/self/ns/uts) pid=\$(readlink /proc/self/ns/pid); sleep 1000"]
EOF
    run_kpod play --tls-verify=false "$BATS_TEST_TMPDIR/two.yaml"
    assert "${lines[0]}" == "Pod:" "play output"
    assert "${lines[1]}" =~ "^[0-9a-f]{64}$" "pod id"
    run_kpod pod ps
    assert "$output" =~ "two +Running" "pod ps"
    run_kpod ps --pod
    assert "$output" =~ "two-a" "container a listed"
    assert "$output" =~ "two-b" "container b listed"
    wait_for log_has two a host=
    wait_for log_has two b net=
    local a b
    a=$(ctr_log two a) b=$(ctr_log two b)
    assert "$(grep -o 'net=[^ ]*' <<<"$a")" == "$(grep -o 'net=[^ ]*' <<<"$b")" "same netns"
    assert "$(grep -o 'uts=[^ ]*' <<<"$a")" == "$(grep -o 'uts=[^ ]*' <<<"$b")" "same uts ns"
    assert "$(grep -o 'pid=[^ ]*' <<<"$a")" != "$(grep -o 'pid=[^ ]*' <<<"$b")" "own pid ns"
    assert "$(grep -o 'net=[^ ]*' <<<"$a")" != "net=$(readlink /proc/self/ns/net)" "not the host's"
    assert "$a" =~ "host=two" "hostname is the pod name"
    run_kpod pod inspect two --format '{{.State}} {{.Name}}'
    assert "$output" == "Running two"
    run_kpod inspect two-a --format '{{.State.Status}} {{.PodName}}'
    assert "$output" == "running two"
    run_kpod pod rm -f two
    no_leftovers
}

@test "init containers run first, in order; a memory emptyDir is shared" {
    cat >"$BATS_TEST_TMPDIR/init.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: init
spec:
  volumes:
  - name: scratch
    emptyDir:
      medium: Memory
      sizeLimit: 16Mi
  initContainers:
  - name: first
    image: $IMAGE
    command: ["sh", "-c", "echo 1 > /scratch/order"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  - name: second
    image: $IMAGE
    command: ["sh", "-c", "echo 2 >> /scratch/order"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  containers:
  - name: writer
    image: $IMAGE
    command: ["sh", "-c", "echo shared > /scratch/msg; sleep 1000"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  - name: reader
    image: $IMAGE
    command: ["sh", "-c", "xargs < /scratch/order | tr -d ' '; until [ -f /scratch/msg ]; do sleep 0.1; done; cat /scratch/msg; df -T /scratch | tail -1; sleep 1000"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
EOF
    run_kpod play --tls-verify=false "$BATS_TEST_TMPDIR/init.yaml"
    wait_for log_has init reader tmpfs
    run ctr_log init reader
    assert "${lines[0]}" == "12" "init containers in order, before the app"
    assert "${lines[1]}" == "shared" "file written by the other container"
    assert "${lines[2]}" =~ "tmpfs" "medium Memory is a tmpfs"
    run_kpod inspect init-first --format '{{.State.Status}} {{.State.ExitCode}} {{.InitContainer}}'
    assert "$output" == "exited 0 true"
    run_kpod pod rm -f init
    no_leftovers
}

@test "restartPolicy Never: exit code kept, pod Exited; Always: restarts counted" {
    run_kpod play --tls-verify=false "$(pod_yaml never Never 'echo bye; exit 3')"
    wait_for bash -c "'$KPOD' inspect never-main --format '{{.State.Status}}' | grep -q exited"
    run_kpod inspect never-main --format '{{.State.ExitCode}} {{.RestartCount}}'
    assert "$output" == "3 0" "exit code 3, no restart"
    run_kpod pod ps --filter name=never
    assert "$output" =~ "never +Exited" "pod exited"
    run_kpod play --tls-verify=false "$(pod_yaml always Always 'echo run; exit 1')"
    wait_for bash -c "[ \$('$KPOD' inspect always-main --format '{{.RestartCount}}') -ge 2 ]"
    run ctr_log always main
    assert "$(grep -c run <<<"$output")" -ge 2 "each run logged"
    run_kpod pod rm -f never always
    no_leftovers
}

@test "pod stop, start, pause and unpause follow the state machine" {
    run_kpod play --tls-verify=false "$(pod_yaml life Always 'echo up; sleep 1000')"
    local pid
    pid=$("$KPOD" inspect life-main --format '{{.State.Pid}}')
    run_kpod pod pause life
    run_kpod pod ps
    assert "$output" =~ "life +Paused"
    run grep '^State:' /proc/$pid/status
    assert "$output" =~ "State:.(D|T)" "frozen process"
    run_kpod 126 pod pause life
    assert "$output" =~ "invalid state paused \(expecting running\)"
    run_kpod pod unpause life
    run grep '^State:' /proc/$pid/status
    assert "$output" =~ "State:.S" "thawed"
    run_kpod pod stop -t 1 life
    run_kpod pod ps
    assert "$output" =~ "life +Stopped"
    run_kpod pod stop life
    run_kpod pod start life
    run_kpod pod ps
    assert "$output" =~ "life +Running"
    wait_for bash -c "[ \$(grep -c up '$KPOD_ROOT'/pods/*/logs/main.log) -ge 2 ]"
    run_kpod 125 pod rm life
    assert "$output" =~ "pod 'life' is running: stop it first, or use --force"
    run_kpod pod rm -f life
    no_leftovers
}

@test "kill -9 of the monitor, then pod rm -f removes everything" {
    run_kpod play --tls-verify=false "$(pod_yaml crash Always 'sleep 1000')"
    local mon
    mon=$("$KPOD" pod inspect crash --format '{{.MonitorPid}}')
    kill -9 "$mon"
    run_kpod pod rm -f crash
    no_leftovers
    run_kpod pod ps -q
    assert "$output" == ""
}

@test "a failure at any step of play undoes every earlier step" {
    local yaml step
    yaml=$(pod_yaml fail Always 'sleep 1000')
    for step in state cgroup network infra volumes images bundles monitor start; do
        KPOD_FAIL_STEP=$step run "$KPOD" play --tls-verify=false "$yaml"
        assert "$status" == 125 "exit code with step '$step' failing"
        assert "$output" =~ "Error: play pod 'fail': $step: injected failure" "error of '$step'"
        no_leftovers
    done
    run_kpod play --tls-verify=false "$yaml"
    run_kpod pod rm -f fail
}

@test "names: a second play of the same pod fails; --replace replaces it; down is idempotent" {
    local yaml
    yaml=$(pod_yaml dup Always 'sleep 1000')
    run_kpod play --tls-verify=false "$yaml"
    local first=${lines[1]}
    run_kpod 125 play --tls-verify=false "$yaml"
    assert "$output" =~ "Error: play pod 'dup': pod 'dup' already exists"
    run_kpod play --tls-verify=false --replace "$yaml"
    assert "${lines[1]}" != "$first" "a new pod"
    run_kpod down "$yaml"
    assert "$output" =~ "Pods removed:" "down output"
    run_kpod down "$yaml"
    assert "$output" == "" "down again does nothing"
    no_leftovers
}

@test "concurrent plays: one name wins; distinct pods all run" {
    local yaml i
    yaml=$(pod_yaml race Always 'sleep 1000')
    for i in 1 2 3 4; do
        "$KPOD" play --tls-verify=false -q "$yaml" >"$BATS_TEST_TMPDIR/race.$i" 2>&1 &
    done
    wait
    run bash -c "cat '$BATS_TEST_TMPDIR'/race.* | grep -c 'already exists'"
    assert "$output" == 3 "three lose"
    for i in 1 2 3 4 5; do
        "$KPOD" play --tls-verify=false -q "$(pod_yaml many$i Always 'sleep 1000')" >/dev/null &
    done
    wait
    run_kpod pod ps --filter status=running -q
    assert "${#lines[@]}" == 6 "six pods running"
    run_kpod pod rm -a -f
    no_leftovers
}

@test "play --start=false creates; pod start runs it" {
    run_kpod play --tls-verify=false --start=false "$(pod_yaml later Always 'echo hi; sleep 1000')"
    run_kpod pod ps
    assert "$output" =~ "later +Created"
    run_kpod pod start later
    run_kpod pod ps
    assert "$output" =~ "later +Running"
    run_kpod pod rm -f later
    no_leftovers
}

@test "pod errors: unknown pods exit 127, bad state 126, bad usage 125" {
    run_kpod 127 pod stop nosuch
    assert "$output" == "Error: no such pod 'nosuch'"
    run_kpod 127 pod inspect nosuch
    run_kpod 127 inspect nosuch
    assert "$output" == "Error: no such container or pod 'nosuch'"
    run_kpod 125 pod stop
    assert "$output" =~ "name at least one pod, or use --all"
    run_kpod pod rm -i nosuch
    run_kpod 125 pod ps --filter color=red
    assert "$output" =~ "invalid filter 'color=red'"
    run_kpod 125 pod kill -s NOPE nosuch
    assert "$output" =~ "invalid signal 'NOPE'"
}

@test "a container whose command is not found fails play with 127 and leaves nothing" {
    cat >"$BATS_TEST_TMPDIR/nf.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: nf
spec:
  containers:
  - name: main
    image: $IMAGE
    command: ["/bin/nosuch"]
EOF
    run_kpod 127 play --tls-verify=false "$BATS_TEST_TMPDIR/nf.yaml"
    assert "$output" =~ "Error: play pod 'nf': container 'main'.*nosuch.*No such file or directory"
    no_leftovers
}

@test "kill -9 of kpod play at any moment, then pod rm -a -f removes everything" {
    local yaml delay
    yaml=$(pod_yaml half Always 'sleep 1000')
    for delay in 0.005 0.02 0.04 0.06 0.1; do
        "$KPOD" play --tls-verify=false -q "$yaml" >/dev/null 2>&1 &
        local pid=$!
        sleep $delay
        kill -9 $pid 2>/dev/null || true
        wait $pid 2>/dev/null || true
        run_kpod pod rm -a -f
        no_leftovers
        run pgrep -f "kpod-monitor.*$KPOD_RUNROOT"
        assert "$output" == "" "no stray monitor after a kill at ${delay}s"
        run_kpod play --tls-verify=false -q "$yaml"
        run_kpod pod rm -f half
    done
}

@test "OCI hooks from --hooks-dir run at their stages when they apply" {
    local hooks=$BATS_TEST_TMPDIR/hooks out=$BATS_TEST_TMPDIR/hook.out
    mkdir -p "$hooks"
    cat >"$BATS_TEST_TMPDIR/hook.sh" <<EOF
#!/bin/sh
echo "\$1 \$(jq -r .status)" >> "$out"
EOF
    chmod +x "$BATS_TEST_TMPDIR/hook.sh"
    local stage
    for stage in prestart poststart poststop; do
        cat >"$hooks/10-$stage.json" <<EOF
{"version": "1.0.0", "hook": {"path": "$BATS_TEST_TMPDIR/hook.sh", "args": ["hook.sh", "$stage"]},
 "when": {"commands": ["sh"]}, "stages": ["$stage"]}
EOF
    done
    cat >"$hooks/20-never.json" <<EOF
{"version": "1.0.0", "hook": {"path": "$BATS_TEST_TMPDIR/hook.sh", "args": ["hook.sh", "never"]},
 "when": {"annotations": {"^nosuch$": ".*"}}, "stages": ["prestart"]}
EOF
    run_kpod play --tls-verify=false --hooks-dir "$hooks" "$(pod_yaml hooked Never 'exit 0')"
    wait_for grep -q poststop "$out"
    run cat "$out"
    assert "${lines[0]}" =~ "^prestart " "prestart first"
    assert "$output" =~ "poststart running" "poststart with the running state"
    assert "$output" =~ "poststop stopped" "poststop after the exit"
    assert "$output" !~ "never" "a hook whose condition does not hold does not run"
    run_kpod pod rm -f hooked
    echo '{"version": "2.0.0"}' >"$hooks/30-bad.json"
    run_kpod 125 play --tls-verify=false --hooks-dir "$hooks" "$(pod_yaml hooked Never 'exit 0')"
    assert "$output" =~ "30-bad.json': unsupported version '2.0.0'" "bad hook file named"
    no_leftovers
}

@test "livenessProbe exec: a failing probe restarts the container per restartPolicy" {
    cat >"$BATS_TEST_TMPDIR/live.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: live
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    command: ["sh", "-c", "touch /tmp/healthy; sleep 1000"]
    livenessProbe:
      exec:
        command: ["test", "-f", "/tmp/healthy"]
      periodSeconds: 1
      failureThreshold: 2
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/live.yaml"
    sleep 2.5
    run_kpod inspect live-main --format '{{.RestartCount}}'
    assert "$output" == 0 "a passing probe restarts nothing"
    run_kpod exec live-main rm /tmp/healthy
    wait_for bash -c "[ \$('$KPOD' inspect live-main --format '{{.RestartCount}}') -ge 1 ]"
    run_kpod pod logs --monitor live
    assert "$output" =~ "liveness probe failed \(2 of 2\): exit code 1" "the monitor says why"
    run_kpod pod rm -f live
    no_leftovers
}
