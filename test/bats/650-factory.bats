#!/usr/bin/env bats
# The warm pool (kpod factory): entries made ahead, adopted by play, refilled in the
# background; broken entries discarded; concurrency, crashes and destroy leave nothing.

load helpers

setup() {
    pod_setup
    # pulled once: the pods say IfNotPresent, so plays race and measure only the sandbox
    run_kpod pull --tls-verify=false "$IMAGE"
}

teardown() {
    local pids
    pids=$(factory_pids 2>/dev/null || true)
    basic_teardown
    # nothing of the pool may outlive its destroy (helpers.bash destroys it)
    local p
    for p in $pids; do
        if alive "$p"; then
            kill -9 "$p" 2>/dev/null || true
            die "pool process $p left running"
        fi
    done
}

# pod_yaml NAME CMD...: a one-container pod running "sh -c CMD"; its path on stdout.
pod_yaml() {
    local name=$1
    shift
    cat >"$BATS_TEST_TMPDIR/$name.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "$*"]
EOF
    echo "$BATS_TEST_TMPDIR/$name.yaml"
}

wait_for() {
    local i
    for i in $(seq 1 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out waiting for: $*"
}

# A process that runs (a zombie waiting for pid 1 to reap it does not).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ "$st" != Z* ]]
}
not_alive() { ! alive "$1"; }

status_json() { "$KPOD" factory status --format json; }
ready_count() { status_json | jq -r .Ready; }
ready_is() { [ "$(ready_count)" = "$1" ]; }
from_factory() { "$KPOD" pod inspect "$1" --format '{{.FromFactory}}'; }
# Infra and monitor pids of every entry.
factory_pids() { status_json | jq -r '.Entries[] | .InfraPid, .MonitorPid' | grep -v '^0$'; }
entry_dirs() { ls -d "$KPOD_RUNROOT"/factory/pods/*/ 2>/dev/null; }

@test "pool of 2: two plays adopt, the third creates directly; status shows the refill" {
    run_kpod factory status
    assert "${lines[0]}" =~ "none" "status without a pool"
    run_kpod factory init --size 2
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 2 "ready entries"
    assert "$(jq -r .Size <<<"$output")" == 2 "size"
    assert "$(jq -r .Network <<<"$output")" == kpod "network"
    local ids
    ids=$(jq -r '.Entries[].Id' <<<"$output" | sort)
    # entries are not pods
    run_kpod pod ps -q
    assert "$output" == "" "pod ps lists no entry"
    export KPOD_FACTORY_NOREFILL=1
    run_kpod play "$(pod_yaml p1 'sleep 100')"
    run_kpod play "$(pod_yaml p2 'sleep 100')"
    run_kpod play "$(pod_yaml p3 'sleep 100')"
    assert "$(from_factory p1)" == true "p1 adopted"
    assert "$(from_factory p2)" == true "p2 adopted"
    assert "$(from_factory p3)" == false "p3 created directly"
    local got
    got=$(for p in p1 p2; do "$KPOD" pod inspect $p --format '{{.Id}}'; done | sort)
    assert "$got" == "$ids" "the adopted pods are the entries"
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 0 "drained"
    # the next play finds the pool empty and starts the refill
    unset KPOD_FACTORY_NOREFILL
    run_kpod play "$(pod_yaml p4 'sleep 100')"
    assert "$(from_factory p4)" == false "p4 created directly"
    wait_for ready_is 2
    run_kpod factory status
    assert "${lines[0]}" =~ "2 ready of 2" "status after the refill"
    # pod rm -a leaves the pool alone
    run_kpod pod rm -a -f
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 2 "pool after pod rm -a"
}

# script_yaml NAME: a pod running the shell script read from stdin; its path on stdout.
script_yaml() {
    local f=$BATS_TEST_TMPDIR/$1.yaml
    cat >"$f" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c"]
    args:
    - |
EOF
    sed 's/^/      /' >>"$f"
    echo "$f"
}

@test "a pod from the pool and one created directly look the same" {
    local script
    script=$(
        cat <<'EOF'
hostname
cat /etc/hostname /etc/hosts /etc/resolv.conf
ip -4 -o addr show eth0 | cut -d" " -f2,4 | sed "s/[.][0-9]*[/]/.X\//"
grep " /dev/shm " /proc/mounts | cut -d" " -f1-4
echo pid $$
id
sleep 100
EOF
    )
    run_kpod factory init --size 1
    run_kpod play "$(script_yaml pool <<<"$script")"
    assert "$(from_factory pool)" == true "adopted"
    run_kpod factory destroy
    run_kpod play "$(script_yaml direct <<<"$script")"
    assert "$(from_factory direct)" == false "direct"
    local p ip out=() ex=()
    for p in pool direct; do
        wait_for sh -c "'$KPOD' logs $p-main | grep -q '^pid '"
        ip=$("$KPOD" pod inspect $p --format '{{.IP}}')
        [[ "$ip" == 10.88.* ]] || die "pod $p: IP '$ip' not on the network"
        out+=("$("$KPOD" logs $p-main | sed -e "s/$ip/IP/g" -e "s/$p/NAME/g")")
        ex+=("$("$KPOD" exec $p-main sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "' |
            sed "s/$p/NAME/g")")
    done
    assert "${out[0]}" == "${out[1]}" "logs of the pod from the pool"
    assert "${ex[0]}" == "${ex[1]}" "exec in the pod from the pool"
    assert "${out[0]}" =~ "NAME" "hostname"
    # the pool pod stops, starts and goes like any other
    run_kpod pod stop -t 0 pool
    run_kpod pod start pool
    run_kpod pod rm -f pool direct
}

@test "entries whose monitor died or whose netns vanished are skipped, discarded, replaced" {
    run_kpod factory init --size 2
    run_kpod factory status --format json
    local e1 e2 mon ns
    e1=$(jq -r '.Entries[0].Id' <<<"$output")
    e2=$(jq -r '.Entries[1].Id' <<<"$output")
    mon=$(jq -r '.Entries[0].MonitorPid' <<<"$output")
    kill -9 "$mon"
    ns=$(jq -r .netns "$KPOD_RUNROOT/factory/pods/$e2/pod.json")
    umount "$ns"
    rm -f "$ns"
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 0 "no ready entry"
    assert "$(jq -r ".Entries[] | select(.Id == \"$e1\") | .Reason" <<<"$output")" == \
        "its monitor died" "reason of the first"
    assert "$(jq -r ".Entries[] | select(.Id == \"$e2\") | .Reason" <<<"$output")" == \
        "its network namespace vanished" "reason of the second"
    run_kpod play "$(pod_yaml p1 'sleep 100')"
    assert "$(from_factory p1)" == false "broken entries are not adopted"
    wait_for ready_is 2
    run_kpod factory status --format json
    local now
    now=$(jq -r '.Entries[].Id' <<<"$output")
    [[ "$now" != *"$e1"* && "$now" != *"$e2"* ]] || die "broken entries were kept: $now"
    [ ! -e "$KPOD_RUNROOT/factory/pods/$e1" ] || die "entry dir $e1 left"
    run_kpod exec p1-main true
}

@test "concurrent plays: each entry is adopted once, none is lost" {
    local n=20 size=5
    run_kpod factory init --size $size
    local ids
    ids=$(status_json | jq -r '.Entries[].Id' | sort)
    export KPOD_FACTORY_NOREFILL=1
    local i pids=()
    for i in $(seq 1 $n); do
        "$KPOD" play "$(pod_yaml c$i 'sleep 100')" >"$BATS_TEST_TMPDIR/c$i.out" 2>&1 &
        pids+=($!)
    done
    local failed=0
    for i in "${pids[@]}"; do
        wait "$i" || failed=$((failed + 1))
    done
    assert "$failed" == 0 "failed plays"
    local adopted=() direct=0
    for i in $(seq 1 $n); do
        if [ "$(from_factory c$i)" = true ]; then
            adopted+=("$("$KPOD" pod inspect c$i --format '{{.Id}}')")
        else
            direct=$((direct + 1))
        fi
    done
    assert "${#adopted[@]}" == $size "adopted pods"
    assert "$direct" == $((n - size)) "pods created directly"
    assert "$(printf '%s\n' "${adopted[@]}" | sort)" == "$ids" "each entry adopted once"
    run_kpod pod ps -q
    assert "${#lines[@]}" == $n "pods"
    run_kpod factory status --format json
    assert "$(jq -r '.Entries | length' <<<"$output")" == 0 "entries left"
    # every pod has its own address
    local ips
    ips=$(for i in $(seq 1 $n); do "$KPOD" pod inspect c$i --format '{{.IP}}'; done | sort -u |
        wc -l)
    assert "$ips" == $n "distinct addresses"
}

@test "kill -9 during adoption: status shows the entry, refill and reset clean it" {
    run_kpod factory init --size 2
    export KPOD_FACTORY_NOREFILL=1
    # killed while claiming: the entry stays in the pool, idle, and serves the next play
    KPOD_FACTORY_PAUSE=claim "$KPOD" play "$(pod_yaml k1 'sleep 100')" >/dev/null 2>&1 &
    local pid=$!
    wait_for sh -c "'$KPOD' factory status --format json | jq -e '.Entries[] | select(.State == \"adopting\")'"
    kill -9 $pid
    wait $pid || true
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 2 "both entries ready again"
    run_kpod pod ps -q
    assert "$output" == "" "no pod"
    run_kpod play "$(pod_yaml k1 'sleep 100')"
    assert "$(from_factory k1)" == true "the entry serves the next play"
    # a half-made entry (a refiller killed while making it) is shown broken and discarded
    local e
    e=$(status_json | jq -r '.Entries[0].Id')
    jq '.extra.factory = "creating"' "$KPOD_RUNROOT/factory/pods/$e/pod.json" >"$BATS_TEST_TMPDIR/e.json"
    mv "$BATS_TEST_TMPDIR/e.json" "$KPOD_RUNROOT/factory/pods/$e/pod.json"
    run_kpod factory status --format json
    assert "$(jq -r ".Entries[] | select(.Id == \"$e\") | .State" <<<"$output")" == broken \
        "the half-made entry"
    run_kpod factory refill --wait
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 2 "refilled"
    [[ "$(jq -r '.Entries[].Id' <<<"$output")" != *"$e"* ]] || die "broken entry kept"
    # killed once adopted: a half-made pod, which reset removes with the pool
    KPOD_FACTORY_PAUSE=adopted "$KPOD" play "$(pod_yaml k2 'sleep 100')" >/dev/null 2>&1 &
    pid=$!
    wait_for sh -c "'$KPOD' pod ps --format json | jq -e '.[] | select(.Name == \"k2\")'"
    kill -9 $pid
    wait $pid || true
    local pids
    pids=$(factory_pids)
    local pod
    pod=$("$KPOD" pod inspect k2 --format '{{.InfraPid}} {{.MonitorPid}}')
    run_kpod system reset -f
    local p
    for p in $pids $pod; do
        wait_for not_alive "$p"
    done
    [ ! -e "$KPOD_RUNROOT" ] || die "runroot left: $(ls -R "$KPOD_RUNROOT")"
}

@test "factory destroy leaves nothing: processes, netns, veth, addresses, cgroups" {
    run_kpod factory init --size 3
    local pids nets veths ips
    pids=$(factory_pids)
    nets=$(jq -r .netns "$KPOD_RUNROOT"/factory/pods/*/pod.json)
    veths=$(jq -r '.network.interfaces[].hostVeth' "$KPOD_RUNROOT"/factory/pods/*/pod.json)
    ips=$(jq -r '.network.ip' "$KPOD_RUNROOT"/factory/pods/*/pod.json)
    assert "$(wc -w <<<"$pids")" == 6 "infra and monitor of each entry"
    # an entry whose state is lost goes too, found by its names
    local lost
    lost=$(entry_dirs | head -n 1)
    rm "$lost/pod.json"
    run_kpod factory destroy
    local x
    for x in $pids; do # killed (SIGKILL is delivered asynchronously)
        wait_for not_alive "$x"
    done
    for x in $nets; do
        [ ! -e "$x" ] || die "netns $x left"
    done
    for x in $veths; do
        ! ip link show "$x" >/dev/null 2>&1 || die "veth $x left"
    done
    for x in $ips; do
        ! jq -e --arg ip "$x" '.allocations[$ip]' "$KPOD_RUNROOT"/networks/kpod/ipam.json ||
            die "address $x left"
    done
    [ ! -e "$KPOD_RUNROOT/factory" ] || die "pool state left"
    run_kpod factory status --format json
    assert "$(jq -r .Configured <<<"$output")" == false "no pool"
    run_kpod factory destroy
}

@test "a corrupt pool warns once and plays directly; pods that do not fit skip it silently" {
    run_kpod factory init --size 1
    # does not fit: hostNetwork, --ip, hostPort → direct, no warning, entry kept
    cat >"$BATS_TEST_TMPDIR/hn.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: hn
spec:
  hostNetwork: true
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "100"]
EOF
    run_kpod play "$BATS_TEST_TMPDIR/hn.yaml"
    assert "$(from_factory hn)" == false "hostNetwork pod"
    run_kpod play --ip "10.88.$((200 + RANDOM % 50)).$((2 + RANDOM % 250))" "$(pod_yaml fixed 'sleep 100')"
    assert "$(from_factory fixed)" == false "pod with a fixed address"
    run_kpod factory status --format json
    assert "$(jq -r .Ready <<<"$output")" == 1 "the entry is still there"
    run_kpod pod rm -a -f
    # a corrupt configuration: one warning for two pods, both played
    echo '{' >"$KPOD_RUNROOT/factory/config.json"
    pod_yaml w1 'sleep 100' >/dev/null
    pod_yaml w2 'sleep 100' >/dev/null
    { cat "$BATS_TEST_TMPDIR/w1.yaml"; echo ---; cat "$BATS_TEST_TMPDIR/w2.yaml"; } \
        >"$BATS_TEST_TMPDIR/w.yaml"
    KPOD_ALLOW_WARNINGS=1 run_kpod play "$BATS_TEST_TMPDIR/w.yaml"
    assert "$(grep -c '^Warning: factory' <<<"$output")" == 1 "warnings"
    assert "$(from_factory w1)" == false "w1 direct"
    assert "$(from_factory w2)" == false "w2 direct"
    run_kpod 125 factory status
    # destroy still removes the entries of a corrupt pool
    run_kpod factory destroy
    [ ! -e "$KPOD_RUNROOT/factory" ] || die "pool state left"
}

@test "a failure after adoption undoes the adopted sandbox; a name in use keeps the entry" {
    run_kpod factory init --size 1
    export KPOD_FACTORY_NOREFILL=1
    local entry pids
    entry=$(status_json | jq -r '.Entries[0].Id')
    pids=$(factory_pids)
    KPOD_FAIL_STEP=bundles run_kpod 125 play "$(pod_yaml f1 'sleep 100')"
    run_kpod pod ps -q
    assert "$output" == "" "no pod after the failure"
    local p
    for p in $pids; do
        wait_for not_alive "$p"
    done
    [ ! -e "$KPOD_RUNROOT/pods/$entry" ] || die "pod dir left"
    run_kpod factory refill --wait
    run_kpod play "$(pod_yaml n1 'sleep 100')"
    assert "$(from_factory n1)" == true "adopted"
    run_kpod factory refill --wait
    entry=$(status_json | jq -r '.Entries[0].Id')
    run_kpod 125 play "$(pod_yaml n1 'sleep 100')"
    assert "$(error_line)" =~ "already exists" "error"
    assert "$(status_json | jq -r '.Entries[0].Id + " " + .Entries[0].State')" == "$entry ready" \
        "the entry stays the pool's"
}

@test "factory init: size from KPOD_FACTORY_SIZE, resize, bad input" {
    KPOD_FACTORY_SIZE=2 run_kpod factory init
    assert "$(ready_count)" == 2 "size from the environment"
    run_kpod factory init --size 1
    run_kpod factory status --format json
    assert "$(jq -r '.Size, .Ready, (.Entries | length)' <<<"$output" | xargs)" == "1 1 1" \
        "shrunk"
    run_kpod 125 factory init --size 100
    assert "$(error_line)" =~ "0..64" "size out of range"
    run_kpod 127 factory init --network nosuchnet
    assert "$(error_line)" =~ "nosuchnet" "unknown network"
    run_kpod 125 factory status --format yaml
    run_kpod factory refill
}

@test "a pod from the pool shares its pid namespace when asked, and keeps --start=false" {
    run_kpod factory init --size 2
    cat >"$BATS_TEST_TMPDIR/sp.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: sp
spec:
  shareProcessNamespace: true
  containers:
  - name: a
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "100"]
  - name: b
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "100"]
EOF2
    run_kpod play "$BATS_TEST_TMPDIR/sp.yaml"
    assert "$(from_factory sp)" == true "adopted"
    run_kpod exec sp-a ps -o comm
    assert "$(grep -c sleep <<<"$output")" == 2 "both containers in one pid namespace"
    assert "${lines[1]}" == kpod-infra "the infra is its pid 1"
    run_kpod play --start=false "$(pod_yaml ns 'sleep 100')"
    assert "$(from_factory ns)" == true "adopted"
    run_kpod pod ps --format json
    assert "$(jq -r '.[] | select(.Name == "ns") | .State' <<<"$output")" == Created "not started"
    run_kpod pod start ns
    run_kpod exec ns-main hostname
    assert "$output" == ns "hostname"
}
