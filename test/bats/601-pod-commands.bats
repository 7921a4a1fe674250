#!/usr/bin/env bats
# top, pod top, wait, ps/pod ps listings and JSON, inspect fields, system prune/reset.

load helpers

setup() {
    basic_setup
    require_root
    IMAGE=$KPOD_TEST_REGISTRY/busybox:latest
    cat >"$BATS_TEST_TMPDIR/web.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web, tier: front}
  annotations: {owner: team-a}
spec:
  restartPolicy: Never
  containers:
  - name: server
    image: $IMAGE
    command: ["sh", "-c", "sleep 1000 & sleep 1001"]
  - name: job
    image: $IMAGE
    command: ["sh", "-c", "sleep 0.5; exit 7"]
EOF
}

teardown() {
    basic_teardown
}

@test "top and pod top list the processes of containers" {
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/web.yaml"
    run_kpod top web-server
    assert "${lines[0]}" =~ "^USER +PID +PPID +%CPU +ELAPSED +TTY +TIME +COMMAND" "header"
    assert "$output" =~ "sleep 1000" "child process"
    assert "$output" =~ "sleep 1001" "second process"
    run_kpod top web-server pid comm
    assert "${lines[0]}" =~ "^PID +COMMAND$" "descriptors"
    run_kpod pod top web comm
    assert "$output" =~ "sleep" "pod top"
    run_kpod 125 top web-server nosuch
    assert "$output" =~ "unknown descriptor 'nosuch'"
    run_kpod 127 top nosuch
}

@test "wait prints the exit code; ps and pod ps filter and emit JSON; inspect fields" {
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/web.yaml"
    run_kpod wait web-job
    assert "$output" == 7 "exit code of the job container"
    run_kpod ps
    assert "$output" =~ "web-server" "running container listed"
    assert "$output" !~ "web-job" "exited container hidden without -a"
    run_kpod ps -a --format json
    assert "$(jq length <<<"$output")" == 2 "both containers in JSON"
    assert "$(jq -r '.[] | select(.ContainerName=="job") | .State.ExitCode' <<<"$output")" == 7
    run_kpod ps -q
    assert "$output" =~ "^[0-9a-f]{12}$" "quiet prints ids"
    run_kpod pod ps --filter label=app=web --format json
    assert "$(jq -r '.[0].Name' <<<"$output")" == web "label filter"
    assert "$(jq -r '.[0].Labels.tier' <<<"$output")" == front "labels kept"
    assert "$(jq -r '.[0].Annotations.owner' <<<"$output")" == team-a "annotations kept"
    run_kpod pod ps --filter label=app=db -q
    assert "$output" == "" "non-matching label"
    run_kpod pod ps --ctr-names --ctr-status
    assert "$output" =~ "Degraded" "one of two app containers exited"
    assert "$output" =~ "server=Up" "container status column"
    run_kpod inspect web-job --format '{{.State.Status}}/{{.State.ExitCode}}/{{.State.OOMKilled}}'
    assert "$output" == "exited/7/false"
    run_kpod 125 inspect web-job --format '{{.Nope}}'
    assert "$output" =~ "no field '.Nope'"
    run_kpod 125 ps --format yaml
    assert "$output" =~ "unknown format 'yaml'"
}

@test "system prune removes stopped pods; system reset removes everything" {
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/web.yaml"
    run_kpod pod stop -t 0 web
    run_kpod 125 system prune </dev/null
    assert "$output" =~ "not confirmed"
    run_kpod system prune -f
    assert "$output" =~ "Deleted Pods" "prune output"
    run_kpod pod ps -q
    assert "$output" == "" "stopped pod pruned"
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/web.yaml"
    run_kpod system reset --force
    run_kpod pod ps -q
    assert "$output" == "" "no pods after reset"
    assert "$(ls "$KPOD_ROOT" 2>/dev/null)" == "" "root emptied"
}
