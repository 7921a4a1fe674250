#!/usr/bin/env bats
# Probes (liveness, readiness, startup; exec, httpGet, tcpSocket) and lifecycle hooks
# (postStart, preStop), run by the pod's monitor as Kubernetes runs them.

load helpers

setup() {
    pod_setup
}

teardown() {
    basic_teardown
}

# probe_pod NAME POLICY: writes a pod of one container "main" whose further fields (indented
# by 4) come on stdin, with a short grace period; prints the file name.
probe_pod() {
    local f="$BATS_TEST_TMPDIR/$1.yaml"
    printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  name: $1" "spec:" \
        "  restartPolicy: $2" "  terminationGracePeriodSeconds: 1" "  containers:" \
        "  - name: main" "    image: $IMAGE" >"$f"
    cat >>"$f"
    echo "$f"
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

# One inspect field of a container.
field() { "$KPOD" inspect "$1" --format "$2"; }
field_is() { [ "$(field "$1" "$2")" = "$3" ]; }
field_has() { field "$1" "$2" | grep -q -- "$3"; }
restarts_at_least() { [ "$(field "$1" '{{.RestartCount}}')" -ge "$2" ]; }
log_count() { "$KPOD" logs "$1" | grep -c -- "$2"; }
log_count_at_least() { [ "$(log_count "$1" "$2")" -ge "$3" ]; }

no_leftovers() {
    run ls "$KPOD_RUNROOT/pods"
    assert "$output" == "" "pod state dirs"
}

@test "readinessProbe exec: not ready until the file appears, then ready" {
    f=$(probe_pod rp Always <<'EOF'
    command: [sleep, "1000"]
    readinessProbe:
      exec:
        command: [test, -f, /tmp/ready]
      periodSeconds: 1
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is rp-main '{{.State.Health.Probes.Readiness.Result}}' failure
    run_kpod inspect rp-main --format '{{.State.Ready}} {{.State.Started}} {{.State.Running}}'
    assert "$output" == "false true true" "running, started, not ready"
    run_kpod ps
    assert "$output" =~ "Up .* \(unhealthy\)" "ps shows it unhealthy"
    run_kpod pod ps
    assert "$output" =~ "rp +Running +0/1" "pod ps READY 0/1"
    run_kpod pod ps --format json
    assert "$(jq -r '.[0].Ready, .[0].ReadyContainers' <<<"$output" | xargs)" == "0/1 0" "json"
    run_kpod exec rp-main touch /tmp/ready
    wait_for field_is rp-main '{{.State.Ready}}' true
    run_kpod ps
    assert "$output" =~ "Up .* \(healthy\)" "ps shows it healthy"
    run_kpod pod ps
    assert "$output" =~ "rp +Running +1/1" "pod ps READY 1/1"
    run_kpod pod ps --format json
    assert "$(jq -r '.[0].ReadyContainers' <<<"$output")" == 1 "json ready count"
    run_kpod inspect rp-main --format '{{.State.Health.Probes.Readiness.LastFailureMessage}}'
    assert "$output" == "exit code 1" "the last failure is kept"
    run_kpod exec rp-main rm /tmp/ready
    wait_for field_is rp-main '{{.State.Ready}}' false
    run_kpod inspect rp-main --format '{{.State.Health.Probes.Readiness.FailingStreak}} {{.State.Running}}'
    assert "$output" == "3 true" "not ready again after failureThreshold failures, still running"
    run_kpod inspect rp-main --format '{{.RestartCount}}'
    assert "$output" == 0 "readiness never restarts"
    run_kpod pod rm -f rp
    no_leftovers
}

@test "livenessProbe: an always failing probe restarts the container again and again" {
    f=$(probe_pod lp Always <<'EOF'
    command: [sleep, "1000"]
    livenessProbe:
      exec:
        command: ["false"]
      periodSeconds: 1
      failureThreshold: 1
      terminationGracePeriodSeconds: 1
EOF
)
    # the probe's grace period wins over the pod's
    sed -i 's/^  terminationGracePeriodSeconds: 1$/  terminationGracePeriodSeconds: 300/' "$f"
    grep -q '^  terminationGracePeriodSeconds: 300' "$f"
    run_kpod play --tls-verify=false -q "$f"
    wait_for restarts_at_least lp-main 3
    run_kpod inspect lp-main --format '{{.State.Health.Probes.Liveness.LastFailureMessage}}'
    assert "$output" == "exit code 1" "the failure message"
    run_kpod pod logs --monitor lp
    assert "$output" =~ "liveness probe failed \(1 of 1\): exit code 1" "the monitor says why"
    run_kpod pod rm -f lp
    no_leftovers
}

@test "httpGet and tcpSocket probes against busybox httpd, with no curl in the image" {
    cat >"$BATS_TEST_TMPDIR/web.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: $IMAGE
    command: [sh, -c, "mkdir -p /tmp/www && echo ok >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
    ports:
    - {name: http, containerPort: 8080}
    readinessProbe:
      httpGet: {path: /index.html, port: http, httpHeaders: [{name: X-Kpod, value: probe}]}
      periodSeconds: 1
    livenessProbe:
      httpGet: {path: /missing, port: 8080}
      periodSeconds: 1
      failureThreshold: 1000
  - name: side
    image: $IMAGE
    command: [sleep, "1000"]
    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8081, host: 127.0.0.1}
      periodSeconds: 1
      failureThreshold: 1000
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/web.yaml"
    run_kpod 127 exec web-side curl --version
    wait_for field_is web-httpd '{{.State.Ready}}' true
    wait_for field_has web-httpd '{{.State.Health.Probes.Liveness.LastFailureMessage}}' 404
    run_kpod inspect web-httpd --format '{{.State.Health.Probes.Liveness.LastFailureMessage}}'
    assert "$output" == "HTTP probe failed with statuscode: 404" "a 404 fails"
    run_kpod inspect web-httpd --format '{{.State.Health.Probes.Readiness.Result}}'
    assert "$output" == success "a 200 succeeds"
    wait_for field_is web-side '{{.State.Ready}}' true
    wait_for field_has web-side '{{.State.Health.Probes.Liveness.LastFailureMessage}}' refused
    run_kpod inspect web-side --format '{{.State.Health.Probes.Liveness.LastFailureMessage}}'
    assert "$output" == "dial tcp 127.0.0.1:8081: connect: Connection refused" "a closed port"
    run_kpod pod ps --format json
    assert "$(jq -r '.[0].Ready' <<<"$output")" == "2/2" "both ready"
    run_kpod inspect web-httpd --format '{{.RestartCount}}'
    assert "$output" == 0 "below the failure threshold nothing restarts"
    run_kpod pod rm -f web
    no_leftovers
}

@test "httpGet sends the probe's headers and kube-probe's defaults" {
    f=$(probe_pod hdr Always <<'EOF'
    command: [sh, -c, "while true; do nc -l -p 8081 >/tmp/req.new; mv /tmp/req.new /tmp/req; done"]
    readinessProbe:
      httpGet:
        path: /ready?x=1
        port: 8081
        httpHeaders:
        - {name: X-Kpod, value: probe}
        - {name: Accept, value: text/plain}
      periodSeconds: 1
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for "$KPOD" exec hdr-main test -s /tmp/req
    run_kpod exec hdr-main cat /tmp/req
    local req=${output//$'\r'/}
    assert "$req" =~ "^GET /ready\?x=1 HTTP/1.1" "request line"
    assert "$req" =~ "Host: 10\.[0-9.]+:8081" "Host is the pod's address"
    assert "$req" =~ "User-Agent: kube-probe/" "User-Agent"
    assert "$req" =~ "X-Kpod: probe" "the probe's header"
    assert "$req" =~ "Accept: text/plain" "a probe header replaces a default"
    assert "$req" !~ "Accept: \*/\*" "no default Accept then"
    run_kpod pod rm -f hdr
    no_leftovers
}

@test "startupProbe gates readiness and liveness" {
    f=$(probe_pod sp Always <<'EOF'
    command: [sleep, "1000"]
    startupProbe:
      exec:
        command: [test, -f, /tmp/started]
      periodSeconds: 1
      failureThreshold: 1000
    readinessProbe:
      exec:
        command: ["true"]
      periodSeconds: 1
    livenessProbe:
      exec:
        command: ["false"]
      periodSeconds: 1
      failureThreshold: 1
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is sp-main '{{.State.Health.Probes.Startup.Result}}' failure
    sleep 2
    run_kpod inspect sp-main --format \
        '{{.State.Started}} {{.State.Ready}} {{.State.Health.Probes.Readiness.Result}} {{.RestartCount}}'
    assert "$output" == "false false unknown 0" "nothing else runs before the start"
    run_kpod ps
    assert "$output" =~ "\(starting\)" "ps says starting"
    # once started, the failing liveness probe restarts it
    run_kpod exec sp-main touch /tmp/started
    wait_for restarts_at_least sp-main 1
    run_kpod inspect sp-main --format '{{.State.Health.Probes.Liveness.LastFailureMessage}}'
    assert "$output" == "exit code 1" "liveness ran after the start"
    run_kpod pod rm -f sp
    no_leftovers
}

@test "a failing startupProbe kills the container; restartPolicy Never leaves it exited" {
    f=$(probe_pod sf Never <<'EOF'
    command: [sleep, "1000"]
    startupProbe:
      exec:
        command: [sh, -c, "echo not yet; exit 2"]
      periodSeconds: 1
      failureThreshold: 2
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is sf-main '{{.State.Status}}' exited
    run_kpod inspect sf-main --format '{{.State.Error}}|{{.RestartCount}}|{{.State.Started}}'
    assert "$output" == "startup probe failed: exit code 2: not yet|0|false" "why, and no restart"
    run_kpod pod rm -f sf
    no_leftovers
}

@test "postStart exec runs in the container; a failing one kills it (PostStartHookError)" {
    f=$(probe_pod ps1 Always <<'EOF'
    command: [sleep, "1000"]
    lifecycle:
      postStart:
        exec:
          command: [sh, -c, "echo hooked >/tmp/poststart"]
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is ps1-main '{{.State.Started}}' true
    run_kpod exec ps1-main cat /tmp/poststart
    assert "$output" == hooked "the hook ran inside the container"
    f=$(probe_pod ps2 Never <<'EOF'
    command: [sleep, "1000"]
    lifecycle:
      postStart:
        exec:
          command: [sh, -c, "echo broken; exit 3"]
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is ps2-main '{{.State.Status}}' exited
    run_kpod inspect ps2-main --format '{{.State.Error}}'
    assert "$output" == "PostStartHookError: exec hook exited with 3: broken" "why it died"
    run_kpod pod logs --monitor ps2
    assert "$output" =~ "PostStartHookError" "the monitor log says it"
    f=$(probe_pod ps3 Never <<'EOF'
    command: [sleep, "1000"]
    lifecycle:
      postStart:
        httpGet: {port: 9, path: /started}
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is ps3-main '{{.State.Status}}' exited
    run_kpod inspect ps3-main --format '{{.State.Error}}'
    assert "$output" =~ "^PostStartHookError: Get \"http://10\.[0-9.]+:9/started\": dial tcp 10\.[0-9.]+:9: connect: Connection refused$" \
        "an httpGet hook to the pod's address"
    run_kpod pod rm -f ps1 ps2 ps3
    no_leftovers
}

@test "preStop runs before the stop signal and its output reaches the log first" {
    f=$(probe_pod pre Always <<'EOF'
    command: [sh, -c, "trap 'echo got-term; exit 0' TERM; echo started; while true; do sleep 0.2; done"]
    lifecycle:
      preStop:
        exec:
          command: [sh, -c, "sleep 0.5; echo bye > /proc/1/fd/1"]
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for log_count_at_least pre-main started 1
    run_kpod pod stop pre
    run_kpod logs pre-main
    assert "$(xargs <<<"$output")" == "started bye got-term" "preStop output, then the signal"
    run_kpod inspect pre-main --format '{{.State.ExitCode}}'
    assert "$output" == 0 "stopped by its own TERM handler"
    run_kpod pod rm -f pre
    no_leftovers
}

@test "a preStop hook that hangs is cut by terminationGracePeriodSeconds" {
    f=$(probe_pod hang Always <<'EOF'
    command: [sleep, "1000"]
    lifecycle:
      preStop:
        exec:
          command: [sleep, "1000"]
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is hang-main '{{.State.Started}}' true
    run_kpod pod stop hang
    run_kpod inspect hang-main --format '{{.State.Status}} {{.State.ExitCode}}'
    assert "$output" == "exited 137" "killed at the end of the grace period"
    run_kpod pod rm -f hang
    no_leftovers
}

@test "kpod pod rm -f and kpod down run preStop hooks too" {
    mkdir "$BATS_TEST_TMPDIR/out"
    f=$(probe_pod gone Always <<EOF
    command: [sleep, "1000"]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      preStop:
        httpGet: {port: 9}
  - name: second
    image: $IMAGE
    command: [sleep, "1000"]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      preStop:
        exec:
          command: [sh, -c, "echo removed > /out/prestop"]
  volumes:
  - {name: out, hostPath: {path: $BATS_TEST_TMPDIR/out}}
EOF
)
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is gone-second '{{.State.Started}}' true
    run_kpod pod rm -f gone
    assert "$(cat "$BATS_TEST_TMPDIR/out/prestop")" == removed "preStop ran on rm -f"
    rm "$BATS_TEST_TMPDIR/out/prestop"
    run_kpod play --tls-verify=false -q "$f"
    wait_for field_is gone-second '{{.State.Started}}' true
    run_kpod down "$f"
    assert "$(cat "$BATS_TEST_TMPDIR/out/prestop")" == removed "preStop ran on down"
    no_leftovers
}

@test "a sidecar's startupProbe holds the init sequence; sidecars count in READY" {
    cat >"$BATS_TEST_TMPDIR/side.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: side
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: proxy
    image: $IMAGE
    restartPolicy: Always
    command: [sh, -c, "sleep 2; touch /tmp/up; exec sleep 1000"]
    startupProbe:
      exec:
        command: [test, -f, /tmp/up]
      periodSeconds: 1
      failureThreshold: 60
    readinessProbe:
      exec:
        command: [test, -f, /tmp/up]
      periodSeconds: 1
  containers:
  - name: app
    image: $IMAGE
    command: [sleep, "1000"]
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/side.yaml"
    run_kpod inspect side-proxy --format '{{.State.Started}} {{.State.Health.Probes.Startup.Result}}'
    assert "$output" == "true success" "the sidecar is started"
    failed=$(field side-proxy '{{.State.Health.Probes.Startup.LastFailureTime}}')
    started=$(field side-app '{{.State.StartedAt}}')
    assert "$failed" -gt 0 "the startup probe failed at first"
    assert "$started" -gt "$failed" "the app container started after the sidecar's start"
    wait_for field_is side-proxy '{{.State.Ready}}' true
    run_kpod pod ps --format json
    assert "$(jq -r '.[0].Ready' <<<"$output")" == "2/2" "the sidecar counts"
    run_kpod pod rm -f side
    no_leftovers
}

@test "probe and hook errors in the manifest name file:line:column" {
    f="$BATS_TEST_TMPDIR/bad.yaml"
    printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  name: bad" "spec:" \
        "  containers:" "  - name: main" "    image: $IMAGE" "    readinessProbe:" \
        "      exec: {command: [\"true\"]}" "      tcpSocket: {port: 80}" >"$f"
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "$f:10:7: spec.containers\[0\].readinessProbe: may not specify more than one handler" \
        "two handlers"
    printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  name: bad" "spec:" \
        "  containers:" "  - name: main" "    image: $IMAGE" \
        "    ports: [{name: web, containerPort: 80}]" "    livenessProbe:" "      httpGet:" \
        "        port: http" >"$f"
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "$f:12:15: spec.containers\[0\].livenessProbe.httpGet.port: no port named 'http'" \
        "bad port name"
    printf '%s\n' "        scheme: HTTPS" >>"$f"
    sed -i 's/port: http/port: 80/' "$f"
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "livenessProbe.httpGet.scheme: HTTPS is not supported" "HTTPS refused"
}
