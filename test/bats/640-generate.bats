#!/usr/bin/env bats
# kpod generate kube: the YAML of running pods, and the round trip play → generate → down →
# play the generated YAML, for every example.

load helpers

EXAMPLES=$KPOD_TOP/manifests/examples

setup() {
    basic_setup
    IMAGE=$KPOD_TEST_REGISTRY/busybox:latest
    export KPOD_RESTART_BACKOFF_MS=100
}

# The example with its images taken from the test registry (no internet here: "busybox" would
# be pulled from docker.io, "localhost/busybox" would need a load) and its host port moved to
# a free one (other suites run on this machine at the same time). Only the input is changed:
# the original and the generated YAML are then compared as they are.
example_copy() {
    local src=$1 dst=$2 port
    port=$(random_ports 1)
    sed -E -e "s#image: (localhost/)?busybox(:latest)?\$#image: $IMAGE#" \
        -e "s#hostPort: 18080#hostPort: $port#" "$src" >"$dst"
}

# kpod play --dry-run --format json, normalised with jq -S (key order only).
dry_json() {
    local out
    out=$("$KPOD" play --dry-run --format json "$@" 2>/dev/null) || die "dry run of $*"
    jq -S . <<<"$out"
}

# The warnings of a play without their file:line:column (the two files differ there).
warnings_of() {
    grep '^Warning:' <<<"$1" | sed -E 's/^Warning: [^:]*:[0-9]+:[0-9]+: /Warning: /' | sort || true
}

# The round trip of one example: play it, generate its pods, down, play the generated YAML;
# the dry runs of both, and the warnings of both plays, must be the same.
round_trip() {
    local ex=$1 type=$2
    local in=$BATS_TEST_TMPDIR/in.yaml gen=$BATS_TEST_TMPDIR/gen.yaml
    rm -f "$gen"
    example_copy "$ex" "$in"
    KPOD_ALLOW_WARNINGS=1 run_kpod play --tls-verify=false "$in"
    local warn_in
    warn_in=$(warnings_of "$output")
    local pods
    pods=$("$KPOD" play --dry-run --format json "$in" 2>/dev/null | jq -r '.pods[].name')
    local pods_no_jobs
    pods_no_jobs=$("$KPOD" play --dry-run --format json "$in" 2>/dev/null |
        jq -r '.pods[] | select(.kind != "Job") | .name')
    dry_json "$in" >"$BATS_TEST_TMPDIR/in.json"
    # shellcheck disable=SC2086
    run_kpod generate kube -t "$type" -f "$gen" $pods
    [ -s "$gen" ] || die "$(basename "$ex"): nothing generated"
    run_kpod down "$in"
    KPOD_ALLOW_WARNINGS=1 run_kpod play --tls-verify=false "$gen"
    assert "$(warnings_of "$output")" == "$warn_in" "$(basename "$ex"): warnings of the replay"
    # a Job's controller makes pods of its own: those are compared through the dry runs
    run_kpod pod ps --format json
    assert "$(jq -r '[.[] | select(.Labels["job-name"] == null) | .Name] | sort | join(" ")' <<<"$output")" == \
        "$(tr '\n' ' ' <<<"$pods_no_jobs" | xargs -n1 | sort | xargs)" "$(basename "$ex"): pods of the replay"
    dry_json "$gen" >"$BATS_TEST_TMPDIR/gen.json"
    run diff "$BATS_TEST_TMPDIR/in.json" "$BATS_TEST_TMPDIR/gen.json"
    assert "$status" == 0 "$(basename "$ex"): dry runs of the original and the generated YAML differ: $output"
    run_kpod down "$gen"
}

@test "generate kube: the round trip holds for every example" {
    local ex n=0 kind type
    for ex in "$EXAMPLES"/*.yaml; do
        kind=$("$KPOD" play --dry-run --format json "$ex" 2>/dev/null | jq -r '.pods[0].kind')
        case "$kind" in
        Deployment) type=deployment ;;
        Job) type=job ;;
        *) type=pod ;;
        esac
        round_trip "$ex" "$type"
        n=$((n + 1))
    done
    assert "$n" -ge 10 "examples round-tripped"
}

@test "generate kube: a workload as a plain pod keeps everything but the kind" {
    local in=$BATS_TEST_TMPDIR/in.yaml gen=$BATS_TEST_TMPDIR/gen.yaml
    example_copy "$EXAMPLES/deployment.yaml" "$in"
    sed -i 's/^  replicas: 2$/  replicas: 1/' "$in" # one pod, to compare with one Pod
    KPOD_ALLOW_WARNINGS=1 run_kpod play --tls-verify=false "$in"
    run_kpod generate kube api-0
    echo "$output" >"$gen"
    assert "$(grep -c '^kind: Pod$' "$gen")" == 1 "a Pod"
    assert "$output" =~ "example.com/owner: platform-team" "the template's annotation"
    # the kind is the one thing that must differ: the rest of the dry run is the same
    dry_json "$in" | jq 'del(.pods[].kind)' >"$BATS_TEST_TMPDIR/a.json"
    dry_json "$gen" | jq 'del(.pods[].kind)' >"$BATS_TEST_TMPDIR/b.json"
    run diff "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
    assert "$status" == 0 "dry runs differ: $output"
}

pod_yaml() {
    cat >"$BATS_TEST_TMPDIR/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {app: $1, tier: "yes"}
  annotations: {example.com/port: "8080"}
spec:
  restartPolicy: ${2:-Always}
  containers:
  - name: main
    image: $IMAGE
    command: ["sh", "-c", "echo \$GREETING; sleep 1000"]
    env:
    - {name: GREETING, value: "on"}
    - {name: N, value: "0755"}
    - name: SECRET
      valueFrom: {secretKeyRef: {name: $1-secret, key: token}}
    ports:
    - {containerPort: 8080, hostPort: $((20000 + RANDOM % 10000)), name: http}
    - {containerPort: 5353, protocol: UDP}
---
apiVersion: v1
kind: Secret
metadata: {name: $1-secret}
stringData: {token: "no"}
EOF
    echo "$BATS_TEST_TMPDIR/$1.yaml"
}

@test "generate kube -t deployment -r 3, -t job, -s: valid YAML kpod plays again" {
    local yaml
    yaml=$(pod_yaml gen)
    run_kpod play --tls-verify=false "$yaml"

    run_kpod generate kube -t deployment --replicas 3 gen
    local dep=$output
    assert "$dep" =~ "apiVersion: apps/v1" "Deployment apiVersion"
    assert "$dep" =~ "name: gen-deployment" "Deployment name"
    assert "$dep" =~ "replicas: 3" "replicas"
    assert "$dep" =~ $'matchLabels:\n      app: gen\n      tier: "yes"' "selector on the pod's labels"
    assert "$dep" =~ "value: \"on\"" "an env value YAML 1.1 reads as a boolean is quoted"
    assert "$dep" =~ "value: \"0755\"" "an octal-looking env value is quoted"
    assert "$dep" =~ $'kind: Secret\nmetadata:\n  name: gen-secret\ndata:\n  token: bm8=' \
        "the Secret, base64 in data"
    echo "$dep" >"$BATS_TEST_TMPDIR/dep.yaml"
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run --format json "$BATS_TEST_TMPDIR/dep.yaml"
    assert "$(jq -r '[.pods[].name] | join(" ")' <<<"$(sed -n '/^{/,$p' <<<"$output")")" == \
        "gen-deployment-0 gen-deployment-1 gen-deployment-2" "replicas reach play: the Deployment's pods"

    run_kpod generate kube -t job gen
    assert "$output" =~ "apiVersion: batch/v1" "Job apiVersion"
    assert "$output" =~ "restartPolicy: OnFailure" "a Job's pod does not restart Always"
    echo "$output" >"$BATS_TEST_TMPDIR/job.yaml"
    run_kpod play --dry-run --format json "$BATS_TEST_TMPDIR/job.yaml"
    assert "$(jq -r '.pods[0].kind + " " + .pods[0].name' <<<"$output")" == "Job gen-job-0" "the Job"

    run_kpod generate kube --service gen
    local svc=$output
    assert "$svc" =~ "kind: Service" "a Service"
    assert "$svc" =~ "type: NodePort" "NodePort: the pod publishes a host port"
    assert "$svc" =~ $'selector:\n    app: gen\n    tier: "yes"' "selector = the pod's labels"
    assert "$svc" =~ $'name: 8080-tcp\n    protocol: TCP\n    port: 8080\n    targetPort: 8080' \
        "the TCP port"
    assert "$svc" =~ $'name: 5353-udp\n    protocol: UDP\n    port: 5353' "the UDP port"
    echo "$svc" >"$BATS_TEST_TMPDIR/svc.yaml"
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run --format json "$BATS_TEST_TMPDIR/svc.yaml"
    assert "$output" =~ "kind 'Service' is not supported by kpod, skipped" "play skips the Service"
    assert "$(grep -c '^Warning:' <<<"$output")" == 1 "no other warning"
    run_kpod pod rm -f gen
}

@test "generate kube: several pods, -f FILE, stdout" {
    local a b
    a=$(pod_yaml one)
    b=$(pod_yaml two Never)
    run_kpod play --tls-verify=false "$a" "$b"
    run_kpod generate kube one two
    assert "$(grep -c '^kind: Pod$' <<<"$output")" == 2 "two Pod documents"
    assert "$(grep -c '^kind: Secret$' <<<"$output")" == 2 "two Secrets"
    assert "$(grep -c '^---$' <<<"$output")" == 4 "four documents"
    local out=$output

    run_kpod generate kube -f "$BATS_TEST_TMPDIR/out.yaml" one two
    assert "$output" == "" "nothing on stdout with -f"
    assert "$(cat "$BATS_TEST_TMPDIR/out.yaml")" == "$out" "the file holds the YAML"
    assert "$(stat -c %a "$BATS_TEST_TMPDIR/out.yaml")" == 600 "mode 0600: it holds secrets"
    run_kpod 125 generate kube -f "$BATS_TEST_TMPDIR/out.yaml" one
    assert "$(error_line)" == "Error: generate kube: cannot write to '$BATS_TEST_TMPDIR/out.yaml': file exists" \
        "an existing file is not overwritten"

    # a Deployment needs restartPolicy Always
    run_kpod 125 generate kube -t deployment two
    assert "$(error_line)" =~ "restartPolicy is Never, a Deployment needs Always" "Never as a Deployment"
    run_kpod pod rm -f one two
}

@test "generate kube: the stored manifest goes with the pod; failures of play leave none" {
    local yaml id
    yaml=$(pod_yaml kept)
    run_kpod play -q --tls-verify=false "$yaml"
    id=$output
    [ -f "$KPOD_ROOT/pods/$id/kube.yaml" ] || die "no stored kube.yaml"
    assert "$(stat -c %a "$KPOD_ROOT/pods/$id/kube.yaml")" == 600 "stored mode"
    run_kpod pod stop kept
    run_kpod generate kube kept
    assert "$output" =~ "name: kept" "a stopped pod still generates"
    # a pod played before kpod stored what it played
    mv "$KPOD_ROOT/pods/$id/kube.yaml" "$BATS_TEST_TMPDIR/kube.yaml"
    run_kpod 125 generate kube kept
    assert "$output" == "Error: generate kube: pod 'kept' was played by a kpod without 'generate kube': play it again" \
        "no stored manifest"
    mv "$BATS_TEST_TMPDIR/kube.yaml" "$KPOD_ROOT/pods/$id/kube.yaml"
    run_kpod pod rm kept
    [ ! -e "$KPOD_ROOT/pods/$id" ] || die "pod data dir left after rm"
    run_kpod 125 generate kube kept
    KPOD_FAIL_STEP=kube run "$KPOD" play --tls-verify=false "$yaml"
    assert "$status" == 125 "exit code with step 'kube' failing"
    assert "$output" =~ "Error: play pod 'kept': kube: injected failure" "error of 'kube'"
    assert "$(ls "$KPOD_ROOT/pods" 2>/dev/null)" == "" "nothing left of the pod"
}

@test "generate kube: errors" {
    run_kpod 125 generate kube nosuch
    assert "$output" == "Error: generate kube: no such pod 'nosuch'" "no such pod"
    assert "${#lines[@]}" == 1 "one line"
    run_kpod 125 generate kube -t service nosuch
    assert "$output" == "Error: generate kube: unknown type 'service': want pod, deployment or job" \
        "bad -t"
    run_kpod 125 generate kube -r 2 nosuch
    assert "$output" == "Error: generate kube: --replicas 2: only with --type deployment" \
        "--replicas without deployment"
    run_kpod 125 generate kube
    assert "$(error_line)" =~ "Error:" "no pod given"
    run_kpod generate --help
    assert "$output" =~ "kube" "the group lists kube"
}
