#!/usr/bin/env bats
# Native sidecars (Kubernetes 1.29+): initContainers with restartPolicy: Always start in the init
# sequence, run next to the app containers, are restarted when they exit, do not keep a
# completed pod alive, and are stopped after the app containers, in reverse order.

load helpers

setup() {
    pod_setup
    SHARED=$BATS_TEST_TMPDIR/shared
    mkdir -p "$SHARED"
}

teardown() {
    basic_teardown
}

# wait_for CMD...: retries for up to 30 s (other suites share the machine).
wait_for() {
    local i
    for i in $(seq 1 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out waiting for: $*"
}

inspect() { "$KPOD" inspect "$1" --format "$2"; }

no_leftovers() {
    run ls "$KPOD_RUNROOT/pods"
    assert "$output" == "" "pod state dirs"
    run bash -c "find /sys/fs/cgroup/*/$KPOD_CGROUP_PARENT -mindepth 1 -maxdepth 1 -type d 2>/dev/null"
    assert "$output" == "" "pod cgroups"
    assert "$(test_mounts)" == "" "mounts"
    run pgrep -f "__monitor.*$KPOD_RUNROOT"
    assert "$output" == "" "monitor processes"
}

# A shell loop that notes its stop signal in $SHARED/order (hostPath /shared) and exits.
# trap_loop NAME
trap_loop() {
    echo "trap 'echo $1 >>/shared/order; exit 0' TERM; echo $1 up; while true; do sleep 0.1; done"
}

# sidecar_pod NAME POLICY APP-CMD: an init container, two sidecars (tick writes a counter to the
# shared directory and its log; idle just waits) and one app container.
sidecar_pod() {
    cat >"$BATS_TEST_TMPDIR/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 10
  initContainers:
  - name: setup
    image: $IMAGE
    command: ["sh", "-c", "echo ready > /shared/setup"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: tick
    image: $IMAGE
    restartPolicy: Always
    command: ["sh", "-c", "trap 'echo tick >>/shared/order; exit 0' TERM; i=0; while true; do i=\$((i+1)); echo tick \$i; echo \$i >/shared/tick; sleep 0.1; done"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: idle
    image: $IMAGE
    restartPolicy: Always
    command: ["sh", "-c", "$(trap_loop idle)"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: app
    image: $IMAGE
    command: ["sh", "-c", "$3"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  volumes:
  - name: shared
    hostPath: {path: $SHARED, type: Directory}
EOF
    echo "$BATS_TEST_TMPDIR/$1.yaml"
}

log_lines() { "$KPOD" logs "$1" 2>/dev/null | wc -l; }

@test "sidecars start in the init sequence, stream while the app runs, and are visible" {
    run_kpod play --tls-verify=false "$(sidecar_pod side Always \
        'cat /shared/setup; while true; do echo seen $(cat /shared/tick); sleep 0.2; done')"

    # start order: setup ended before tick started, tick and idle before the app
    local setup_end tick_start idle_start app_start
    setup_end=$(inspect side-setup '{{.State.FinishedAt}}')
    tick_start=$(inspect side-tick '{{.State.StartedAt}}')
    idle_start=$(inspect side-idle '{{.State.StartedAt}}')
    app_start=$(inspect side-app '{{.State.StartedAt}}')
    assert "$setup_end" -le "$tick_start" "the plain init container ran to its end first"
    assert "$tick_start" -le "$idle_start" "sidecars start in order"
    assert "$idle_start" -le "$app_start" "sidecars start before the app"

    run_kpod inspect side-tick --format '{{.InitContainer}} {{.IsSidecar}} {{.InitContainerType}} {{.State.Status}}'
    assert "$output" == "true true sidecar running" "inspect marks the sidecar"
    run_kpod inspect side-setup --format '{{.IsSidecar}} {{.InitContainerType}} {{.State.Status}} {{.State.ExitCode}}'
    assert "$output" == "false regular exited 0" "the plain init container"
    run_kpod inspect side-app --format '{{.InitContainer}} {{.IsSidecar}}'
    assert "$output" == "false false" "the app container"

    # ps lists the sidecars among the running containers; the pod is Running
    run_kpod ps --format json
    assert "$(jq -r '[.[] | select(.State.Running) | .ContainerName] | sort | join(" ")' <<<"$output")" \
        == "app idle tick" "running containers"
    run_kpod ps
    assert "$output" =~ "side-tick" "ps table shows the sidecar"
    run_kpod pod ps --filter name=side
    assert "$output" =~ "side +Running" "pod status"

    # the sidecar streams: its log grows while the app runs
    wait_for bash -c "[ \$('$KPOD' logs side-tick | wc -l) -ge 3 ]"
    local n1
    n1=$(log_lines side-tick)
    wait_for bash -c "[ \$('$KPOD' logs side-tick | wc -l) -gt $((n1 + 3)) ]"
    run_kpod logs --tail 1 side-tick
    assert "$output" =~ "^tick [0-9]+$" "log line of the sidecar"
    run_kpod logs -t --tail 1 side-tick
    assert "$output" =~ "^20[0-9-]+T[0-9:.]+.* tick [0-9]+$" "with a timestamp"

    # the app reads what the sidecar writes
    wait_for bash -c "'$KPOD' logs side-app | grep -q '^seen [0-9]'"
    run_kpod logs side-app
    assert "${lines[0]}" == "ready" "the app saw the init container's file"

    # exec and stats work on a sidecar
    run_kpod exec side-tick cat /shared/setup
    assert "$output" == "ready" "exec in the sidecar"
    run_kpod stats --no-stream --format json side-tick
    assert "$(jq -r '.[0].Name // .[0].name // empty' <<<"$output")" =~ "tick" "stats of the sidecar"

    run_kpod pod rm -f side
    no_leftovers
}

@test "a sidecar is restarted whenever it exits, whatever the pod's restartPolicy" {
    run_kpod play --tls-verify=false "$(sidecar_pod rs Never 'sleep 1000')"
    assert "$(inspect rs-tick '{{.RestartCount}}')" == 0 "no restart yet"
    # attached to the sidecar: its live output, until it exits 0 (through its TERM trap, the
    # signal sent from inside)
    timeout 60 "$KPOD" attach --no-stdin rs-tick >"$BATS_TEST_TMPDIR/attach.out" 2>/dev/null &
    local attach=$!
    wait_for grep -q "^tick" "$BATS_TEST_TMPDIR/attach.out"
    run_kpod exec rs-tick kill 1
    local rc=0
    wait "$attach" || rc=$?
    assert "$rc" == 0 "attach ends with the sidecar's exit code"
    wait_for bash -c "[ \$('$KPOD' inspect rs-tick --format '{{.RestartCount}}') -ge 1 ]"
    wait_for bash -c "'$KPOD' inspect rs-tick --format '{{.State.Status}}' | grep -q running"
    # killed from outside
    local pid
    pid=$(inspect rs-tick '{{.State.Pid}}')
    kill -9 "$pid"
    wait_for bash -c "[ \$('$KPOD' inspect rs-tick --format '{{.RestartCount}}') -ge 2 ]"
    wait_for bash -c "'$KPOD' inspect rs-tick --format '{{.State.Status}}' | grep -q running"
    assert "$(inspect rs-tick '{{.State.Pid}}')" != "$pid" "a new process"
    # it streams again, and the app was never touched
    local n
    n=$(log_lines rs-tick)
    wait_for bash -c "[ \$('$KPOD' logs rs-tick | wc -l) -gt $((n + 2)) ]"
    run_kpod inspect rs-app --format '{{.State.Status}} {{.RestartCount}}'
    assert "$output" == "running 0" "the app keeps running"
    assert "$(inspect rs-setup '{{.RestartCount}}')" == 0 "the init container did not rerun"
    run_kpod pod rm -f rs
    no_leftovers
}

@test "a sidecar's livenessProbe restarts it" {
    cat >"$BATS_TEST_TMPDIR/live.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: live
spec:
  restartPolicy: Never
  initContainers:
  - name: proxy
    image: $IMAGE
    restartPolicy: Always
    command: ["sh", "-c", "touch /tmp/healthy; echo started; exec sleep 1000"]
    livenessProbe:
      exec:
        command: ["test", "-e", "/tmp/healthy"]
      periodSeconds: 1
      failureThreshold: 1
  containers:
  - name: app
    image: $IMAGE
    command: ["sleep", "1000"]
EOF
    run_kpod play --tls-verify=false "$BATS_TEST_TMPDIR/live.yaml"
    run_kpod exec live-proxy rm /tmp/healthy
    wait_for bash -c "[ \$('$KPOD' inspect live-proxy --format '{{.RestartCount}}') -ge 1 ]"
    wait_for bash -c "'$KPOD' inspect live-proxy --format '{{.State.Status}}' | grep -q running"
    wait_for bash -c "[ \$('$KPOD' logs live-proxy | grep -c started) -ge 2 ]"
    run_kpod inspect live-app --format '{{.State.Status}} {{.RestartCount}}'
    assert "$output" == "running 0" "the app is untouched"
    run_kpod pod rm -f live
    no_leftovers
}

@test "pod stop: the app container first, then the sidecars in reverse order" {
    run_kpod play --tls-verify=false "$(sidecar_pod order Always "$(trap_loop app)")"
    wait_for bash -c "'$KPOD' logs order-idle | grep -q 'idle up'"
    wait_for bash -c "'$KPOD' logs order-app | grep -q 'app up'"
    run_kpod pod stop -t 20 order
    assert "$(tr '\n' ' ' <"$SHARED/order")" == "app idle tick " "stop order"
    run_kpod ps -a --format json
    assert "$(jq -r '[.[] | "\(.ContainerName)=\(.State.ExitCode)"] | sort | join(" ")' <<<"$output")" \
        == "app=0 idle=0 setup=0 tick=0" "every container ended through its trap"
    run_kpod pod ps --filter name=order
    assert "$output" =~ "order +Stopped" "pod stopped"
    # started again: the whole init sequence reruns
    rm "$SHARED/setup" "$SHARED/order"
    run_kpod pod start order
    run_kpod ps --format json
    assert "$(jq -r '[.[] | select(.State.Running) | .ContainerName] | sort | join(" ")' <<<"$output")" \
        == "app idle tick" "running again"
    assert "$(cat "$SHARED/setup")" == "ready" "the init container ran again"
    wait_for bash -c "'$KPOD' logs order-app | grep -c 'app up' | grep -q 2"
    run_kpod pod stop -t 20 order
    assert "$(tr '\n' ' ' <"$SHARED/order")" == "app idle tick " "the same stop order"
    run_kpod pod rm -f order
    no_leftovers
}

@test "without its monitor (killed), pod stop keeps the order: app, then sidecars in reverse" {
    run_kpod play --tls-verify=false "$(sidecar_pod orphan Always "$(trap_loop app)")"
    wait_for bash -c "'$KPOD' logs orphan-idle | grep -q 'idle up'"
    wait_for bash -c "'$KPOD' logs orphan-app | grep -q 'app up'"
    kill -9 "$("$KPOD" pod inspect orphan --format '{{.MonitorPid}}')"
    run_kpod pod stop -t 20 orphan
    assert "$(tr '\n' ' ' <"$SHARED/order")" == "app idle tick " "stop order"
    run_kpod pod rm -f orphan
    no_leftovers
}

@test "restartPolicy Never: the app ends, the sidecars are stopped in reverse, the pod Exited" {
    run_kpod play --tls-verify=false "$(sidecar_pod done Never 'sleep 1; echo app done >>/shared/order')"
    wait_for bash -c "'$KPOD' inspect done-tick --format '{{.State.Status}}' | grep -q exited"
    wait_for bash -c "'$KPOD' inspect done-idle --format '{{.State.Status}}' | grep -q exited"
    assert "$(tr '\n' ' ' <"$SHARED/order")" == "app done idle tick " "sidecars stopped after the app, in reverse"
    run_kpod inspect done-app --format '{{.State.ExitCode}} {{.RestartCount}}'
    assert "$output" == "0 0" "the app succeeded once"
    run_kpod inspect done-tick --format '{{.State.ExitCode}} {{.RestartCount}} {{.State.Restarting}}'
    assert "$output" == "0 0 false" "the sidecar was stopped, not restarted"
    run_kpod pod ps --filter name=done
    assert "$output" =~ "done +Exited" "pod completed"
    run_kpod ps -q
    assert "$output" == "" "nothing runs"
    run_kpod wait done-tick done-idle done-app
    assert "$(echo $output)" == "0 0 0" "wait returns"
    # nothing of the pod runs any more: its cgroup holds no process
    local cg
    for cg in $(find /sys/fs/cgroup/pids/"$KPOD_CGROUP_PARENT" -name cgroup.procs 2>/dev/null); do
        case $cg in */infra/*) continue ;; esac
        assert "$(cat "$cg")" == "" "no process left in $cg"
    done
    run_kpod pod rm -f done
    no_leftovers
}

@test "restartPolicy OnFailure: a failing app is restarted, the sidecars run until it succeeds" {
    run_kpod play --tls-verify=false "$(sidecar_pod onf OnFailure \
        '[ -e /shared/again ] || { touch /shared/again; exit 3; }; echo app done >>/shared/order')"
    wait_for bash -c "'$KPOD' inspect onf-idle --format '{{.State.Status}}' | grep -q exited"
    wait_for bash -c "'$KPOD' inspect onf-tick --format '{{.State.Status}}' | grep -q exited"
    run_kpod inspect onf-app --format '{{.State.ExitCode}} {{.RestartCount}}'
    assert "$output" == "0 1" "the app failed once, then succeeded"
    assert "$(tr '\n' ' ' <"$SHARED/order")" == "app done idle tick " "sidecars stopped after the app"
    run_kpod pod ps --filter name=onf
    assert "$output" =~ "onf +Exited" "pod completed"
    run_kpod pod rm -f onf
    no_leftovers
}

@test "the example: an httpd sidecar serves what the app writes to a shared emptyDir" {
    sed "s|image: busybox|image: $IMAGE|" "$KPOD_TOP/manifests/examples/sidecar.yaml" \
        >"$BATS_TEST_TMPDIR/example.yaml"
    run_kpod play --tls-verify=false "$BATS_TEST_TMPDIR/example.yaml"
    run_kpod inspect sidecar-demo-web --format '{{.IsSidecar}} {{.State.Status}}'
    assert "$output" == "true running" "the web sidecar runs"
    wait_for bash -c "'$KPOD' inspect sidecar-demo-app --format '{{.State.Status}}' | grep -q exited"
    assert "$(inspect sidecar-demo-app '{{.State.ExitCode}}')" == 0 "wget from the app succeeded"
    run_kpod logs sidecar-demo-app
    assert "$output" =~ "20[0-9][0-9]" "the app fetched the date it wrote, through the sidecar"
    wait_for bash -c "'$KPOD' inspect sidecar-demo-web --format '{{.State.Status}}' | grep -q exited"
    run_kpod logs sidecar-demo-web
    assert "$output" =~ "response:200" "httpd logged the request"
    assert "$(inspect sidecar-demo-web '{{.State.ExitCode}}')" == 0 "stopped by SIGTERM, through its trap"
    run_kpod pod ps --filter name=sidecar-demo
    assert "$output" =~ "sidecar-demo +Exited" "pod completed"
    run_kpod pod rm -f sidecar-demo
    no_leftovers
}

@test "a sidecar that cannot start fails the pod start, and nothing is left" {
    cat >"$BATS_TEST_TMPDIR/bad.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  initContainers:
  - name: helper
    image: $IMAGE
    restartPolicy: Always
    command: ["/no/such/binary"]
  containers:
  - name: app
    image: $IMAGE
    command: ["sleep", "1000"]
EOF
    run_kpod 127 play --tls-verify=false "$BATS_TEST_TMPDIR/bad.yaml"
    assert "$(error_line)" =~ "container 'helper'" "the error names the sidecar"
    assert "$(error_line)" =~ "/no/such/binary" "and the cause"
    run_kpod pod ps -q
    assert "$output" == "" "no pod left"
    no_leftovers
}

@test "restartPolicy on containers: Always on an init container only" {
    cat >"$BATS_TEST_TMPDIR/app.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: m
spec:
  containers:
  - name: app
    image: busybox
    restartPolicy: Always
EOF
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/app.yaml"
    assert "$(error_line)" == "Error: play: $BATS_TEST_TMPDIR/app.yaml:9:20: spec.containers[0].restartPolicy: may not be set for app containers: only initContainers may set it (to Always, for a sidecar)"
    cat >"$BATS_TEST_TMPDIR/init.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: m
spec:
  initContainers:
  - name: i
    image: busybox
    restartPolicy: OnFailure
    command: [sleep, "1000"]
  containers:
  - {name: app, image: busybox, command: [sleep, "1000"]}
EOF
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/init.yaml"
    assert "$(error_line)" == "Error: play: $BATS_TEST_TMPDIR/init.yaml:9:20: spec.initContainers[0].restartPolicy: 'OnFailure' is not supported: an init container's restartPolicy must be Always"
    # a sidecar may have probes; a plain init container may not
    sed 's/    restartPolicy: OnFailure/    readinessProbe: {exec: {command: [true]}}/' \
        "$BATS_TEST_TMPDIR/init.yaml" >"$BATS_TEST_TMPDIR/probe.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/probe.yaml"
    assert "$(error_line)" =~ "probes and lifecycle hooks are not allowed in init containers" "plain init"
    sed 's/    restartPolicy: OnFailure/    restartPolicy: Always\n    livenessProbe: {exec: {command: [true]}}/' \
        "$BATS_TEST_TMPDIR/init.yaml" >"$BATS_TEST_TMPDIR/side.yaml"
    # (with a warning: the images are not in the store, so their configs are empty)
    output=$("$KPOD" play --dry-run --format json "$BATS_TEST_TMPDIR/side.yaml" 2>/dev/null)
    assert "$(jq -r '[.pods[0].containers[] | "\(.name):\(.init):\(.sidecar)"] | join(" ")' <<<"$output")" \
        == "i:true:true app:false:false" "dry-run marks the sidecar"
    output=$("$KPOD" play --dry-run "$BATS_TEST_TMPDIR/side.yaml" 2>/dev/null)
    mapfile -t lines <<<"$output"
    assert "${lines[1]}" =~ "^m +Pod +i +sidecar +busybox" "dry-run table"
}
