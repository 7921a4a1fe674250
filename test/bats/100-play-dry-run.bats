#!/usr/bin/env bats
# kpod play --dry-run: validation with positions, warnings, the examples, JSON specs, bundles.

load helpers

EXAMPLES=$KPOD_TOP/manifests/examples
IMAGE_NOTE="dry run: not in the image store (a dry run never pulls)"

# Runs kpod with stdout and stderr apart: $output is stdout, $stderr_out stderr.
kpod_split() {
    local rc=0
    "$KPOD" "$@" >"$BATS_TEST_TMPDIR/stdout" 2>"$BATS_TEST_TMPDIR/stderr" || rc=$?
    output=$(cat "$BATS_TEST_TMPDIR/stdout")
    stderr_out=$(cat "$BATS_TEST_TMPDIR/stderr")
    status=$rc
}

# Warnings other than the dry-run image note.
other_warnings() {
    grep '^Warning:' <<<"$1" | grep -vF "$IMAGE_NOTE" || true
}

# Structural checks of an OCI runtime spec (runtime-spec 1.0 config.json) with jq.
check_oci_spec() {
    jq -e '
        (.ociVersion | type == "string" and test("^1\\.0\\."))
        and (.root.path | type == "string" and length > 0)
        and (.process.args | type == "array" and length > 0 and all(type == "string"))
        and (.process.cwd | startswith("/"))
        and (.process.env | all(test("^[^=]+=")))
        and (.process.user.uid | type == "number") and (.process.user.gid | type == "number")
        and ([.mounts[] | (.destination | startswith("/")) and (.type | type == "string")
              and (.options // [] | type == "array")] | all)
        and ([.linux.namespaces[].type] | all(IN("pid","network","mount","ipc","uts","user","cgroup")))
        and ([.linux.namespaces[].type] | length == (unique | length))
        and ((.process.capabilities // {}) | to_entries | all(.value | all(startswith("CAP_"))))
        and ((.linux.seccomp // {defaultAction: "SCMP_ACT_ALLOW"}).defaultAction | startswith("SCMP_ACT_"))
        and ((.linux.resources.devices // []) | all(has("allow")))
        and ((.annotations // {}) | to_entries | all(.value | type == "string"))
    ' >/dev/null
}

# Validates JSON specs, one a line on stdin, against kpod's JSON schema of the OCI runtime
# spec (test/unit/fixtures/spec/oci-config.schema.json) with Debian's python3-jsonschema.
schema_check() {
    /usr/bin/python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
bad = 0
for n, line in enumerate(sys.stdin):
    for e in v.iter_errors(json.loads(line)):
        bad += 1
        print("spec %d: %s: %s" % (n, "/".join(map(str, e.path)), e.message[:300]))
sys.exit(1 if bad else 0)
' "$KPOD_TOP/test/unit/fixtures/spec/oci-config.schema.json"
}

@test "play without --dry-run of an image that must not be pulled fails clearly" {
    sed 's/imagePullPolicy: .*//; s/image: .*/image: localhost\/nosuch:1\n    imagePullPolicy: Never/' \
        "$EXAMPLES/web-hostport.yaml" >"$BATS_TEST_TMPDIR/never.yaml"
    run_kpod 127 play "$BATS_TEST_TMPDIR/never.yaml"
    assert "$(error_line)" =~ "image 'localhost/nosuch:1'" "error names the image"
    run_kpod pod ps -q
    assert "$output" == "" "nothing left"
}

@test "every example validates and gives a valid OCI spec per container" {
    local f n
    n=0
    for f in "$EXAMPLES"/*.yaml; do
        kpod_split play --dry-run --format json "$f"
        assert "$status" == 0 "exit code of $f: $stderr_out"
        assert "$(other_warnings "$stderr_out")" == "" "warnings of $f"
        local specs
        specs=$(jq -c '.pods[].containers[].spec' <<<"$output")
        [ -n "$specs" ] || die "$f: no specs"
        while read -r spec; do
            check_oci_spec <<<"$spec" || die "$f: invalid OCI spec: $spec"
        done <<<"$specs"
        n=$((n + 1))
    done
    assert "$n" -ge 8 "number of examples"
    # and all at once, as one multi-file input, against the JSON schema
    kpod_split play --dry-run --format json "$EXAMPLES"/*.yaml
    assert "$status" == 0 "all examples at once: $stderr_out"
    jq -c '.pods[].containers[].spec' <<<"$output" >"$BATS_TEST_TMPDIR/specs.jsonl"
    assert "$(wc -l <"$BATS_TEST_TMPDIR/specs.jsonl")" -ge 14 "number of container specs"
    run schema_check <"$BATS_TEST_TMPDIR/specs.jsonl"
    assert "$status" == 0 "JSON schema check: $output"
}

@test "examples: the fields that matter reach the specs" {
    kpod_split play --dry-run --format json "$EXAMPLES/init-containers.yaml"
    assert "$(jq -r '[.pods[0].containers[] | "\(.name):\(.init)"] | join(" ")' <<<"$output")" \
        == "render:true check:true app:false" "init containers first, in order"
    assert "$(jq -r '.pods[0].containers[0].spec.mounts[] | select(.destination == "/work") | .type' <<<"$output")" \
        == "local" "emptyDir mount type"

    kpod_split play --dry-run --format json "$EXAMPLES/memory-emptydir.yaml"
    assert "$(jq -r '[.pods[0].containers[].spec.mounts[] | select(.destination == "/scratch") | .type] | join(",")' <<<"$output")" \
        == "ephemeral,ephemeral" "Memory emptyDir is ephemeral in init and app containers"
    assert "$(jq -r '.pods[0].plan.volumes[0].size' <<<"$output")" == 67108864 "sizeLimit"
    assert "$(jq -r '[.pods[0].containers[1].spec.mounts[] | select(.destination == "/dev/shm")] | length' <<<"$output")" \
        == 1 "one /dev/shm mount"

    kpod_split play --dry-run --format json "$EXAMPLES/configmap-secret.yaml"
    local env
    env=$(jq -r '.pods[0].containers[0].spec.process.env | join(" ")' <<<"$output")
    assert "$env" =~ "APP_MODE=production" "envFrom with prefix"
    assert "$env" =~ "DB_USER=app" "secretKeyRef, base64 decoded"
    assert "$env" =~ "DB_PASSWORD=s3cr3t-passw0rd" "stringData"
    assert "$env" !~ "FEATURE_FLAGS" "optional missing key leaves the variable unset"
    assert "$(jq -r '.pods[0].plan.volumes[1].files | map("\(.path):\(.mode)") | join(" ")' <<<"$output")" \
        == "username:256 password:256" "secret files with defaultMode 0400"

    kpod_split play --dry-run --format json "$EXAMPLES/resources.yaml"
    assert "$(jq -r '.pods[0].containers[0].spec.linux.resources.cpu.quota' <<<"$output")" == 150000 "cpu 1.5"
    assert "$(jq -r '.pods[0].containers[0].spec.process.env | map(select(startswith("CPU_LIMIT=") or startswith("MEM_LIMIT_MI="))) | join(" ")' <<<"$output")" \
        == "CPU_LIMIT=1500 MEM_LIMIT_MI=256" "resourceFieldRef with divisors"

    kpod_split play --dry-run --format json "$EXAMPLES/security-context.yaml"
    assert "$(jq -r '.pods[0].containers[0].spec.process | "\(.user.uid):\(.user.gid) \(.noNewPrivileges) \(.capabilities.bounding | join(","))"' <<<"$output")" \
        == "1000:1000 true CAP_NET_BIND_SERVICE" "hardened process"
    assert "$(jq -r '.pods[0].containers[0].spec.root.readonly' <<<"$output")" == true "read-only root"

    kpod_split play --dry-run --format json "$EXAMPLES/deployment.yaml"
    assert "$(jq -r '.pods | map(.name) | join(" ")' <<<"$output")" == "api-0 api-1" \
        "Deployment replicas named <name>-<i>"
    assert "$(jq -r '.pods[0].containers[0].spec.process.env | map(select(startswith("GREETING="))) | .[0]' <<<"$output")" \
        == "GREETING=hello from api-0" "\$(VAR) expansion of a fieldRef"
    assert "$(jq -r '.pods[0].containers[0].spec.annotations["io.kpod.stop-signal"]' <<<"$output")" == SIGINT "stopSignal"

    kpod_split play --dry-run --format json "$EXAMPLES/job.yaml"
    assert "$(jq -r '.pods[0] | "\(.name) \(.job.completions) \(.job.parallelism) \(.job.backoffLimit) \(.job.activeDeadlineSeconds)"' <<<"$output")" \
        == "report-0 3 2 2 120" "the Job's template pod and spec"
}

@test "errors carry file:line:column and the field path" {
    cat >"$BATS_TEST_TMPDIR/pod.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  containers:
  - name: first
    image: busybox
  - name: second
    command: ["true"]
EOF
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/pod.yaml"
    assert "$(error_line)" == "Error: play: $BATS_TEST_TMPDIR/pod.yaml:9:5: spec.containers[1].image: required" "error"
    assert "${#lines[@]}" == 1 "exactly one line"

    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: b\n    ports: [{containerPort: -80}]\n' >"$BATS_TEST_TMPDIR/port.yaml"
    run_kpod 125 play --dry-run - <"$BATS_TEST_TMPDIR/port.yaml"
    assert "$(error_line)" =~ "stdin:8:29: spec.containers\[0\].ports\[0\].containerPort: port -80 must be between 1 and 65535" "stdin error"

    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: b\n    volumeMounts: [{name: nope, mountPath: /x}]\n' >"$BATS_TEST_TMPDIR/v.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/v.yaml"
    assert "$(error_line)" =~ "v.yaml:8:20: spec.containers\[0\].volumeMounts\[0\]: volumeMount '/x': no volume named 'nope'" "undefined volume"

    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: b\n    resources: {limits: {memory: 12apples}}\n' >"$BATS_TEST_TMPDIR/q.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/q.yaml"
    assert "$(error_line)" =~ "resources.limits.memory: invalid quantity '12apples'" "bad quantity"

    printf 'a: [\n' >"$BATS_TEST_TMPDIR/syntax.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/syntax.yaml"
    assert "$(error_line)" =~ "syntax.yaml:2:1: " "YAML syntax error position"

    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    imgae: busybox\n' >"$BATS_TEST_TMPDIR/typo.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/typo.yaml"
    assert "${lines[0]}" =~ "^Warning: .*typo.yaml:7:5: spec.containers\[0\].imgae: unknown field, ignored \(did you mean 'image'\?\)" "the typo is shown with the error"
    assert "$(error_line)" =~ "typo.yaml:6:5: spec.containers\[0\].image: required" "error after the warning"

    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/missing.yaml"
    assert "$(error_line)" =~ "missing.yaml" "missing file named"
}

@test "unknown fields and kinds are warned about, never dropped silently" {
    cat >"$BATS_TEST_TMPDIR/pod.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: svc}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  nodeSelector: {disk: ssd}
  containers:
  - name: a
    image: busybox
    command: [sh]
    imagePullPolcy: Always
EOF
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run "$BATS_TEST_TMPDIR/pod.yaml"
    assert "$output" =~ "Warning: $BATS_TEST_TMPDIR/pod.yaml:1:1: kind 'Service' is not supported by kpod, skipped" "kind"
    assert "$output" =~ "pod.yaml:9:3: spec.nodeSelector: not supported by kpod, ignored" "unsupported field"
    assert "$output" =~ "pod.yaml:14:5: spec.containers\[0\].imagePullPolcy: unknown field, ignored \(did you mean 'imagePullPolicy'\?\)" "typo"

    printf 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\n' >"$BATS_TEST_TMPDIR/svc.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/svc.yaml"
    assert "$(error_line)" =~ "no Pod, Deployment, Job or DaemonSet found" "nothing to run"
}

@test "YAML bombs, deep nesting and huge input fail fast" {
    {
        echo 'a: &a [x, x, x, x, x, x, x, x, x, x]'
        local prev=a l
        for l in b c d e f g h i j; do
            echo "$l: &$l [*$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev, *$prev]"
            prev=$l
        done
    } >"$BATS_TEST_TMPDIR/bomb.yaml"
    # refused at the alias that crosses the limit, before expanding (no timing asserted: the
    # position proves it stopped early; the timeout only guards the suite against a hang)
    run timeout 120 "$KPOD" play --dry-run "$BATS_TEST_TMPDIR/bomb.yaml"
    assert "$status" == 125 "exit code"
    assert "$(error_line)" =~ "bomb.yaml:6:[0-9]+: aliases expand the document to more than 400000 nodes \(a YAML bomb\?\)" "bomb"

    printf 'a: %s\n' "$(printf '[%.0s' $(seq 100))" >"$BATS_TEST_TMPDIR/deep.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/deep.yaml"
    assert "$(error_line)" =~ "nesting deeper than 64 levels" "depth"

    head -c 9000000 /dev/zero | tr '\0' '#' >"$BATS_TEST_TMPDIR/huge.yaml"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/huge.yaml"
    assert "$(error_line)" =~ "huge.yaml" "oversized file named"
}

@test "several files and stdin; ConfigMaps may come later" {
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: busybox\n    command: [env]\n    envFrom: [{configMapRef: {name: later}}]\n' >"$BATS_TEST_TMPDIR/pod.yaml"
    printf -- '---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {X: "1"}\n' >"$BATS_TEST_TMPDIR/cm.yaml"
    kpod_split play --dry-run --format json "$BATS_TEST_TMPDIR/pod.yaml" - <"$BATS_TEST_TMPDIR/cm.yaml"
    assert "$status" == 0 "status: $stderr_out"
    assert "$(jq -r '.pods[0].containers[0].spec.process.env | map(select(. == "X=1")) | length' <<<"$output")" == 1 "env from the later ConfigMap"
    run_kpod 125 play --dry-run "$BATS_TEST_TMPDIR/pod.yaml"
    assert "$(error_line)" =~ "envFrom: ConfigMap 'later' not found in the input" "missing ConfigMap"
    run_kpod 125 play --dry-run --format yaml "$BATS_TEST_TMPDIR/pod.yaml"
    assert "$(error_line)" =~ "unknown format 'yaml'" "bad format"
}

@test "--dry-run -o writes one bundle per container and the pod's files" {
    local out=$BATS_TEST_TMPDIR/out
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run -o "$out" "$EXAMPLES/configmap-secret.yaml"
    assert "$output" =~ "Wrote 1 pod\(s\) to '$out'" "summary"
    [ -f "$out/app-config/app/config.json" ] || die "no config.json"
    [ -d "$out/app-config/app/rootfs" ] || die "no rootfs dir"
    check_oci_spec <"$out/app-config/app/config.json" || die "invalid config.json"
    local cm=$out/app-config/pod/volumes/kubernetes.io~configmap/settings
    assert "$(cat "$cm/mode.txt")" == "production" "configMap item"
    assert "$(cat "$cm/logging/level")" == "info" "nested item path"
    local sec=$out/app-config/pod/volumes/kubernetes.io~secret/credentials
    assert "$(stat -c %a "$sec/password")" == 400 "secret file mode"
    assert "$(cat "$sec/username")" == "app" "secret decoded"
    assert "$(cat "$out/app-config/run/hostname")" == "app-config" "hostname file"
    grep -q '^127.0.0.1' "$out/app-config/run/hosts" || die "hosts file"
    assert "$(jq -r '[.mounts[].type] | map(select(. == "local" or . == "ephemeral")) | length' "$out/app-config/app/config.json")" \
        == 0 "bundles carry no fake mount types"
    assert "$(jq -r '[.linux.namespaces[] | select(has("path"))] | length' "$out/app-config/app/config.json")" \
        == 0 "bundles make their own namespaces"
}

@test "--dry-run -o is all or nothing and never overwrites" {
    local out=$BATS_TEST_TMPDIR/out
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers: [{name: a, image: busybox, command: ["true"]}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers: [{name: a, image: busybox}]\n' >"$BATS_TEST_TMPDIR/two.yaml"
    KPOD_ALLOW_WARNINGS=1 run_kpod 125 play --dry-run -o "$out" "$BATS_TEST_TMPDIR/two.yaml"
    assert "$(error_line)" =~ "pod 'bad': container 'a': no command" "error"
    [ ! -e "$out/good" ] || die "a failed run left '$out/good' behind"

    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run -o "$out" "$EXAMPLES/job.yaml"
    KPOD_ALLOW_WARNINGS=1 run_kpod 125 play --dry-run -o "$out" "$EXAMPLES/job.yaml"
    assert "$(error_line)" =~ "output '$out/report-0' exists" "existing output refused"
}
