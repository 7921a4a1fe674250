#!/usr/bin/env bats
# Workloads for real: Deployment/ReplicaSet/StatefulSet replicas as N pods "<name>-<i>", and
# Jobs run by their own controller (completions, parallelism, backoffLimit,
# activeDeadlineSeconds) with pods "<job>-<n>" that end Succeeded or Failed.

load helpers

setup() {
    pod_setup
}

teardown() {
    "$KPOD" pod rm -a -f >/dev/null 2>&1 || true
    basic_teardown
}

# deploy_yaml KIND NAME REPLICAS: a workload whose pods sleep.
deploy_yaml() {
    local kind=$1 name=$2 replicas=$3
    cat >"$BATS_TEST_TMPDIR/$name.yaml" <<EOF
apiVersion: apps/v1
kind: $kind
metadata:
  name: $name
spec:
  replicas: $replicas
  selector:
    matchLabels:
      app: $name
  template:
    metadata:
      labels:
        app: $name
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: $IMAGE
        command: ["sh", "-c", "sleep 1000"]
EOF
    echo "$BATS_TEST_TMPDIR/$name.yaml"
}

# job_yaml NAME SPEC-LINES POLICY CMD: a Job; SPEC-LINES (already indented) go under spec:.
job_yaml() {
    local name=$1 spec=$2 policy=$3
    shift 3
    cat >"$BATS_TEST_TMPDIR/$name.yaml" <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
spec:
$(printf '%b' "$spec")
  template:
    spec:
      restartPolicy: $policy
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: $IMAGE
        command: ["sh", "-c", "$*"]
EOF
    echo "$BATS_TEST_TMPDIR/$name.yaml"
}

# wait_for [-t SECONDS] CMD...: retries (default 60 s: other suites share the machine).
wait_for() {
    local secs=60
    if [ "$1" = -t ]; then
        secs=$2
        shift 2
    fi
    local i
    for i in $(seq 1 $((secs * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out waiting for: $*"
}

# A field of the Job, as kpod inspect shows it.
job_field() { "$KPOD" inspect "$1" --format "{{.$2}}"; }
job_status_is() { [ "$(job_field "$1" Status)" = "$2" ]; }
# Phases of a Job's pods, sorted by name: "name=phase ..."
job_phases() {
    "$KPOD" pod ps --filter "label=job-name=$1" --format json |
        jq -r 'sort_by(.Name) | map(.Name + "=" + .Phase) | join(" ")'
}

no_leftovers() {
    run bash -c "ls '$KPOD_RUNROOT/pods' 2>/dev/null"
    assert "$output" == "" "pod state dirs"
    run bash -c "ls '$KPOD_RUNROOT/jobs' 2>/dev/null"
    assert "$output" == "" "job dirs"
    run bash -c "find /sys/fs/cgroup/*/$KPOD_CGROUP_PARENT -mindepth 1 -maxdepth 1 -type d 2>/dev/null"
    assert "$output" == "" "pod cgroups"
    assert "$(test_mounts)" == "" "mounts"
    run pgrep -f "__monitor.*$KPOD_RUNROOT"
    assert "$output" == "" "monitor processes"
    run pgrep -f -- "--runroot $KPOD_RUNROOT __job"
    assert "$output" == "" "job controllers"
}

@test "Deployment replicas 3: three pods web-0..2 with their own addresses; down removes all" {
    local f
    f=$(deploy_yaml Deployment web 3)
    run_kpod play --tls-verify=false "$f"
    run_kpod pod ps --format json
    assert "$(jq -r 'map(.Name) | sort | join(" ")' <<<"$output")" == "web-0 web-1 web-2" "names"
    assert "$(jq -r 'map(.State) | unique | join(" ")' <<<"$output")" == "Running" "all running"
    assert "$(jq -r 'map(.Annotations["kpod.io/owner"]) | unique | join(" ")' <<<"$output")" \
        == "Deployment/web" "owner annotation"
    assert "$(jq -r 'map(.IP) | unique | length' <<<"$output")" == "3" "three distinct addresses"
    assert "$(jq -r 'map(.NetNS) | unique | length' <<<"$output")" == "3" "three netns"
    run_kpod pod inspect web-1 --format '{{.Labels.app}}'
    assert "$output" == "web" "template labels on each replica"
    run_kpod down "$f"
    assert "${#lines[@]}" == "4" "header and three pods removed"
    no_leftovers
    run_kpod down "$f"
    assert "$output" == "" "down is idempotent"
}

@test "replicas: --replace scales down, 0 replicas plays nothing, StatefulSet names" {
    local f
    f=$(deploy_yaml ReplicaSet rs 2)
    run_kpod play --tls-verify=false "$f"
    f=$(deploy_yaml ReplicaSet rs 1)
    run_kpod play --replace --tls-verify=false "$f"
    run_kpod pod ps --format json
    assert "$(jq -r 'map(.Name) | join(" ")' <<<"$output")" == "rs-0" "rs-1 went with --replace"
    f=$(deploy_yaml ReplicaSet rs 0)
    KPOD_ALLOW_WARNINGS=1 run_kpod play --replace --tls-verify=false "$f"
    assert "$output" =~ "0 replicas: no pod is run for ReplicaSet 'rs'" "said"
    run_kpod pod ps -q
    assert "$output" == "" "no pod left"
    f=$(deploy_yaml StatefulSet db 2)
    run_kpod play --tls-verify=false "$f"
    run_kpod pod ps --format json
    assert "$(jq -r 'map(.Name) | sort | join(" ")' <<<"$output")" == "db-0 db-1" "StatefulSet"
    assert "$(jq -r '.[] | select(.Name == "db-1") | .Labels["apps.kubernetes.io/pod-index"] + " " + .Labels["statefulset.kubernetes.io/pod-name"]' <<<"$output")" \
        == "1 db-1" "StatefulSet labels"
    run_kpod pod inspect db-1 --format '{{.Labels.app}}'
    assert "$output" == "db" "template labels"
    run_kpod down "$f"
    no_leftovers
}

@test "a replica that fails to start: the play removes every pod it made" {
    # a pod already named bad-1: the second replica cannot be made
    sed -e 's/^kind: Deployment/kind: Pod/' -e 's/^apiVersion: apps\/v1/apiVersion: v1/' \
        "$(deploy_yaml Deployment bad 3)" >/dev/null
    cat >"$BATS_TEST_TMPDIR/taken.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: bad-1
spec:
  containers:
  - name: main
    image: $IMAGE
    command: ["sleep", "1000"]
EOF
    run_kpod play --tls-verify=false "$BATS_TEST_TMPDIR/taken.yaml"
    run_kpod 125 play --tls-verify=false "$BATS_TEST_TMPDIR/bad.yaml"
    assert "$output" =~ "pod 'bad-1' already exists" "the failure named"
    run_kpod pod ps --format json
    assert "$(jq -r 'map(.Name) | join(" ")' <<<"$output")" == "bad-1" "bad-0 went, nothing half-made"
    run_kpod pod rm -f bad-1
    no_leftovers
}

@test "replicas and Job fields: errors with positions" {
    local f
    f=$(deploy_yaml Deployment big 101)
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "big.yaml:6:13: spec.replicas: 101 replicas: kpod runs at most 100 pods per Deployment" "ceiling"
    f=$(job_yaml always "  completions: 1" Always 'true')
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "always.yaml:9:22: spec.template.spec.restartPolicy: 'Always' is not allowed: a Job needs OnFailure or Never" "restartPolicy"
    f=$(job_yaml zero "  completions: 0" Never 'true')
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "zero.yaml:6:16: spec.completions" "completions 0"
    f=$(job_yaml par "  parallelism: x" Never 'true')
    run_kpod 125 play --dry-run "$f"
    assert "$output" =~ "par.yaml:6:16: spec.parallelism" "parallelism not a number"
    f=$(job_yaml ttl "  suspend: true" Never 'true')
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run "$f"
    assert "$output" =~ "spec.suspend: not supported by kpod for a Job, ignored" "suspend warned"
    KPOD_ALLOW_WARNINGS=1 run_kpod 125 play --start=false --tls-verify=false "$f"
    assert "$output" =~ "--start=false cannot hold a Job back" "no Job with --start=false"
}

@test "Job completions 3, parallelism 1: three pods run one after the other to Succeeded" {
    local f
    f=$(job_yaml count "  completions: 3" Never 'echo done; hostname')
    run_kpod play --tls-verify=false "$f"
    assert "$output" =~ "Job:" "play says it is a Job"
    run_kpod wait count
    assert "$output" == "0" "kpod wait JOB: 0 when it completed"
    assert "$(job_field count Status)" == "Complete" "status"
    assert "$(job_phases count)" == "count-0=Succeeded count-1=Succeeded count-2=Succeeded" "phases"
    assert "$(job_field count Succeeded)" == "3" "succeeded count"
    assert "$(job_field count Reason)" == "Completed" "reason"
    run_kpod inspect count --format '{{.Kind}} {{.Status}} {{.Succeeded}}/{{.Completions}} {{.Failed}} {{.Active}}'
    assert "$output" == "Job Complete 3/3 0 0" "kpod inspect of a Job"
    [ "$(job_field count CompletionTime)" -gt "$(job_field count StartTime)" ] || die "times"
    run_kpod pod ps --filter label=job-name=count
    assert "$output" =~ "count-0 +Exited \(Succeeded\)" "STATUS shows the phase"
    run_kpod pod ps --filter status=succeeded -q
    assert "${#lines[@]}" == "3" "status filter takes the phase"
    run_kpod pod logs count-2
    assert "$output" =~ "count-2" "each pod ran the template"
    run_kpod down "$f"
    no_leftovers
}

@test "Job completions 3, parallelism 2: two at once, three Succeeded, no extra pod" {
    local f
    f=$(job_yaml par "  completions: 3\n  parallelism: 2" Never 'sleep 1')
    run_kpod play --tls-verify=false "$f"
    run_kpod pod ps --filter label=job-name=par -q
    assert "${#lines[@]}" == "2" "two pods at once"
    wait_for job_status_is par Complete
    assert "$(job_phases par)" == "par-0=Succeeded par-1=Succeeded par-2=Succeeded" "phases"
    run_kpod down "$f"
    no_leftovers
}

@test "Job backoffLimit 2: a failing pod is replaced until three failed, then Failed" {
    local f
    f=$(job_yaml fail "  backoffLimit: 2" Never 'echo try; exit 3')
    run_kpod play --tls-verify=false "$f"
    run_kpod wait fail
    assert "$output" == "1" "kpod wait JOB: 1 when it failed"
    assert "$(job_field fail Status)" == "Failed" "status"
    assert "$(job_field fail Reason)" == "BackoffLimitExceeded" "reason"
    assert "$(job_phases fail)" == "fail-0=Failed fail-1=Failed fail-2=Failed" "three pods, kept"
    run_kpod pod logs fail-0
    assert "$output" =~ "try" "a failed pod's logs are kept"
    run_kpod pod ps --filter label=job-name=fail
    assert "$output" =~ "fail-2 +Exited \(Failed\)" "STATUS"
    run_kpod down "$f"
    no_leftovers
}

@test "Job activeDeadlineSeconds stops a sleeping Job: DeadlineExceeded" {
    local f
    f=$(job_yaml slow "  activeDeadlineSeconds: 2" Never 'sleep 1000')
    run_kpod play --tls-verify=false "$f"
    wait_for job_status_is slow Failed
    assert "$(job_field slow Reason)" == "DeadlineExceeded" "reason"
    assert "$(job_phases slow)" == "slow-0=Failed" "the pod was stopped"
    run_kpod pod inspect slow-0 --format json
    assert "$(jq -r '.[0].Containers[0].State.Running' <<<"$output")" == "false" "not running"
    run_kpod down "$f"
    no_leftovers
}

@test "Job OnFailure: restarts in place count against backoffLimit" {
    local f
    f=$(job_yaml onf "  backoffLimit: 1" OnFailure 'echo try; exit 1')
    run_kpod play --tls-verify=false "$f"
    wait_for job_status_is onf Failed
    assert "$(job_field onf Reason)" == "BackoffLimitExceeded" "reason"
    assert "$(job_field onf Pods | jq length)" == "1" "one pod, restarted in place"
    run_kpod down "$f"
    no_leftovers
}

@test "kill -9 of a Job's controller: down, and pod rm -a -f, leave nothing" {
    local f
    f=$(job_yaml k9 "  completions: 5" Never 'sleep 1000')
    run_kpod play --tls-verify=false "$f"
    wait_for bash -c "[ \$('$KPOD' inspect k9 --format '{{.ControllerPid}}') -gt 0 ]"
    kill -9 "$(job_field k9 ControllerPid)"
    run_kpod 125 wait k9
    assert "$output" =~ "job 'k9': its controller \(pid [0-9]+\) is gone" "no endless wait"
    run_kpod down "$f"
    assert "$output" =~ "Pods removed:" "down removed the Job's pod"
    no_leftovers
    run_kpod play --tls-verify=false "$f"
    wait_for bash -c "[ \$('$KPOD' inspect k9 --format '{{.ControllerPid}}') -gt 0 ]"
    kill -9 "$(job_field k9 ControllerPid)"
    run_kpod pod rm -a -f
    no_leftovers
    # a live controller is stopped too, by pod rm -a -f and by system reset
    run_kpod play --tls-verify=false "$f"
    run_kpod pod rm -a -f
    no_leftovers
    run_kpod play --tls-verify=false "$f"
    run_kpod system reset -f
    no_leftovers
}

@test "Job already exists: refused; --replace starts it again" {
    local f
    f=$(job_yaml again "  completions: 1" Never 'sleep 1000')
    run_kpod play --tls-verify=false "$f"
    run_kpod 125 play --tls-verify=false "$f"
    assert "$output" =~ "job 'again' already exists" "refused"
    run_kpod play --replace --tls-verify=false "$f"
    run_kpod pod ps --filter label=job-name=again -q
    assert "${#lines[@]}" == "1" "one pod after replace"
    run_kpod down "$f"
    no_leftovers
}

@test "Job ttlSecondsAfterFinished: the Job and its pods go once it ended" {
    local f
    f=$(job_yaml short "  completions: 2\n  ttlSecondsAfterFinished: 1" Never 'echo ok')
    run_kpod play --tls-verify=false "$f"
    wait_for bash -c "[ ! -e '$KPOD_RUNROOT/jobs/short' ]"
    run_kpod pod ps -q
    assert "$output" == "" "the pods went with the Job"
    no_leftovers
    run_kpod down "$f"
    assert "$output" == "" "nothing left for down"
}
