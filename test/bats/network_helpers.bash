# Helpers for the 5xx network tests: a test network on a random 10.2xx subnet with its own
# bridge (parallel runs never collide), pods made with the hidden `kpod __net`, background
# servers inside pod netns, and leak checks against the kernel (ip, nft, mounts).

# Creates network $NET (bridge $BR, subnet $SUBNET_PREFIX.0/24) with `kpod network create`, and
# picks $PB, the first of ten hostPorts for the test.
net_setup() {
    require_root
    basic_setup
    local a=$((200 + RANDOM % 50)) b=$((RANDOM % 256))
    SUBNET_PREFIX=10.$a.$b
    NET=t$RANDOM
    BR=kpt$(printf '%05d' $RANDOM)
    PIDS=()
    PB=$(random_ports 10) # hostPorts of this test: PB..PB+9
    run_kpod network create --subnet "$SUBNET_PREFIX.0/24" --interface-name "$BR" "$NET"
}

net_teardown() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        local i
        for i in $(seq 1 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
    done
    local left
    left=$(pgrep -f "busybox httpd -f -p [0-9]* -h $BATS_TEST_TMPDIR/" || true)
    if [ -n "$left" ]; then
        kill $left 2>/dev/null || true
        die "servers left running: $left"
    fi
    local f
    for f in "$KPOD_RUNROOT"/netdebug/*.json; do
        [ -e "$f" ] || continue
        "$KPOD" __net teardown "$(basename "$f" .json)" || true
    done
    "$KPOD" network rm -f "$NET" >/dev/null 2>&1 || true
    basic_teardown
}

# netns path of a pod set up with __net
netns_of() {
    echo "$KPOD_RUNROOT/netns/$1"
}

# Runs a command inside a pod's netns.
in_pod() {
    local pod=$1
    shift
    nsenter --net="$(netns_of "$pod")" "$@"
}

# Starts busybox httpd in the pod's netns on PORT serving a page with TEXT.
start_httpd() {
    local pod=$1 port=$2 text=$3
    local dir=$BATS_TEST_TMPDIR/www-$pod-$port
    mkdir -p "$dir"
    echo "$text" >"$dir/index.html"
    # nsenter execs httpd (no fork for a network namespace), so $! is the server itself
    nsenter --net="$(netns_of "$pod")" busybox httpd -f -p "$port" -h "$dir" 3>&- </dev/null \
        >/dev/null 2>&1 &
    PIDS+=($!)
    local i
    for i in $(seq 1 50); do
        in_pod "$pod" ss -Hltn "sport = :$port" | grep -q . && return 0
        sleep 0.1
    done
    die "httpd in $pod did not start"
}

# Fetches URL with busybox wget (optionally inside a pod netns: fetch POD URL); prints the body.
fetch() {
    local out=$BATS_TEST_TMPDIR/fetch.$RANDOM
    if [ $# -eq 2 ]; then
        timeout 10 nsenter --net="$(netns_of "$1")" busybox wget -q -O "$out" "$2"
    else
        timeout 10 busybox wget -q -O "$out" "$1"
    fi
    local rc=$?
    [ $rc -eq 0 ] && cat "$out"
    rm -f "$out"
    return $rc
}

# Host objects of the test: bridge, veths of our pods, nft tables.
host_links() {
    ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'
}

assert_no_leaks() {
    local what
    what=$(ip -o link show master "$BR" 2>/dev/null | wc -l)
    assert "$what" == 0 "veths left on $BR"
    run ip link show "$BR"
    assert "$status" != 0 "bridge $BR still exists"
    local t
    for t in "$@"; do
        run nft list table ip "$t"
        assert "$status" != 0 "nft table $t still exists"
    done
        run nft list table ip "kpod-net-$BR"
    assert "$status" != 0 "nft NAT table of $BR still exists"
    run nft list table ip6 "kpod-net-$BR"
    assert "$status" != 0 "nft IPv6 NAT table of $BR still exists"
    assert "$(ls "$KPOD_RUNROOT/netns" 2>/dev/null)" == "" "netns pins left"
    assert "$(test_mounts)" == "" "mounts left"
    if [ -f "$KPOD_RUNROOT/networks/$NET/ipam.json" ]; then
        assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 0 \
            "IPAM entries left"
    fi
}
