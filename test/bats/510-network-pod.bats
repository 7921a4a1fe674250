#!/usr/bin/env bats
# Pod networking through the hidden `kpod __net` plumbing (what the sandbox calls): netns,
# veth on the network's bridge, addresses, routes, hostPort rules, teardown.

load helpers
load network_helpers

setup() {
    net_setup
}

teardown() {
    net_teardown
}

@test "two pods get distinct addresses and reach each other by IP" {
    run_kpod __net setup a --network "$NET"
    local ipa nsa table
    ipa=$(jq -r .ip <<<"$output")
    nsa=$(jq -r .netnsPath <<<"$output")
    assert "$nsa" == "$KPOD_RUNROOT/netns/a" "netns pinned under the runroot"
    assert "$(jq -r '.interfaces[0] | .name + " " + .network + " " + .gateway' <<<"$output")" == \
        "eth0 $NET $SUBNET_PREFIX.1"
    assert "$(jq -r '.routes[] | select(.dest == "") | .gateway' <<<"$output")" == "$SUBNET_PREFIX.1" \
        "default route via the bridge"
    run_kpod __net setup b --network "$NET"
    local ipb
    ipb=$(jq -r .ip <<<"$output")
    assert "$ipa" =~ "^$SUBNET_PREFIX\.[0-9]+$" "address in the subnet"
    assert "$ipa" != "$ipb" "distinct addresses"

    # the kernel agrees
    assert "$(in_pod a ip -4 -o addr show dev eth0 | awk '{print $4}')" == "$ipa/24"
    assert "$(in_pod a ip route show default)" =~ "default via $SUBNET_PREFIX.1 dev eth0"
    assert "$(in_pod a ip -o link show lo)" =~ "UP" "lo up"
    assert "$(ip -o -4 addr show dev "$BR" | awk '{print $4}')" == "$SUBNET_PREFIX.1/24" "bridge"
    assert "$(ip -o link show master "$BR" | wc -l)" == 2 "two veths on the bridge"
    run nft list table ip "kpod-net-$BR"
    assert "$output" =~ "ip saddr $SUBNET_PREFIX.0/24 ip daddr != $SUBNET_PREFIX.0/24 masquerade" \
        "outbound NAT of the subnet"

    start_httpd b 8080 "hello from b"
    run fetch a "http://$ipb:8080/"
    assert "$status" == 0 "a fetches from b: $output"
    assert "$output" == "hello from b"
    # and the host reaches the pod through the bridge
    run fetch "http://$ipb:8080/"
    assert "$output" == "hello from b"

    run_kpod __net teardown a
    run_kpod __net teardown b
    assert_no_leaks
}

@test "hostPort is reachable on 127.0.0.1 and removed with the pod" {
    run_kpod __net setup web --network "$NET" --port $((PB)):8080 --port 127.0.0.1:$((PB + 1)):8081/tcp
    local table ip
    table=$(jq -r .nftTable <<<"$output")
    ip=$(jq -r .ip <<<"$output")
    assert "$table" =~ "^kpod-[0-9a-f]{16}$" "a table per pod"
    assert "$(jq -r '.ports[0].hostPort' <<<"$output")" == $((PB))
    run nft list table ip "$table"
    assert "$output" =~ "dnat to $ip:8080" "DNAT rule"
    start_httpd web 8080 "published"
    start_httpd web 8081 "loopback only"
    run fetch "http://127.0.0.1:$((PB))/"
    assert "$status" == 0 "fetch 127.0.0.1:$((PB))"
    assert "$output" == "published"
    run fetch "http://127.0.0.1:$((PB + 1))/"
    assert "$output" == "loopback only"
    run_kpod __net teardown web
    run fetch "http://127.0.0.1:$((PB))/"
    assert "$status" != 0 "port closed after teardown"
    assert_no_leaks "$table"
}

@test "udp hostPort" {
    run_kpod __net setup dns --network "$NET" --port $((PB + 2)):5353/udp
    local table
    table=$(jq -r .nftTable <<<"$output")
    run nft list table ip "$table"
    assert "$output" =~ "udp dport $((PB + 2)) dnat to" "udp DNAT"
    run_kpod __net teardown dns
    assert_no_leaks "$table"
}

@test "static IP and MAC; a taken static IP fails and leaves nothing" {
    run_kpod __net setup s1 --network "$NET" --ip "$SUBNET_PREFIX.77" --mac 02:00:00:aa:bb:cc
    assert "$(jq -r .ip <<<"$output")" == "$SUBNET_PREFIX.77"
    assert "$(in_pod s1 ip -o link show eth0)" =~ "link/ether 02:00:00:aa:bb:cc " "MAC set"
    run_kpod 125 __net setup s2 --network "$NET" --ip "$SUBNET_PREFIX.77"
    assert "$(error_line)" =~ "address '$SUBNET_PREFIX.77' is already allocated to pod"
    assert "$(ls "$KPOD_RUNROOT/netns")" == "s1" "no netns left for s2"
    run_kpod 125 __net setup s3 --network "$NET" --ip 10.1.1.1
    assert "$(error_line)" =~ "is not in subnet"
    run_kpod 125 __net setup s4 --network "$NET" --port 99999:80
    assert "$(error_line)" =~ "ports must be 1-65535"
    run_kpod 127 __net setup s5 --network nosuchnet
    assert "$(ls "$KPOD_RUNROOT/netns")" == "s1" "still only s1"
    assert "$(ip -o link show master "$BR" | wc -l)" == 1 "one veth"
    assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 1 "one IP"
    run_kpod __net teardown s1
    assert_no_leaks
}

@test "concurrent setups never share an address" {
    local i
    for i in 1 2 3 4 5 6; do
        "$KPOD" __net setup "c$i" --network "$NET" >"$BATS_TEST_TMPDIR/c$i.json" 2>&1 3>&- &
    done
    wait
    local ips
    ips=$(for i in 1 2 3 4 5 6; do jq -r .ip "$BATS_TEST_TMPDIR/c$i.json"; done | sort)
    assert "$(wc -l <<<"$ips")" == 6 "six addresses"
    assert "$(sort -u <<<"$ips" | wc -l)" == 6 "all distinct: $ips"
    assert "$(ip -o link show master "$BR" | wc -l)" == 6 "six veths"
    for i in 1 2 3 4 5 6; do
        "$KPOD" __net teardown "c$i" 3>&- &
    done
    wait
    assert_no_leaks
}

@test "teardown is idempotent and works after the pod's processes were killed" {
    run_kpod __net setup k --network "$NET" --port $((PB + 3)):80
    local table
    table=$(jq -r .nftTable <<<"$output")
    start_httpd k 80 x
    kill -9 "${PIDS[0]}"
    run_kpod __net teardown k
    run_kpod __net teardown k
    run_kpod __net teardown never-set-up
    assert_no_leaks "$table"
}

@test "the network's bridge stays while another pod uses it" {
    run_kpod __net setup p1 --network "$NET"
    run_kpod __net setup p2 --network "$NET"
    run_kpod __net teardown p1
    run ip link show "$BR"
    assert "$status" == 0 "bridge kept for p2"
    run_kpod 126 network rm "$NET"
    assert "$(error_line)" =~ "network '$NET' is in use by 1 pod address"
    run_kpod __net teardown p2
    assert_no_leaks
    run_kpod network rm "$NET"
}

@test "network none gives loopback only; host network creates nothing" {
    run_kpod __net setup lonely --network none
    assert "$(jq -r .ip <<<"$output")" == ""
    assert "$(in_pod lonely ip -o link show | awk -F': ' '{print $2}')" == "lo"
    run_kpod 125 __net setup lonely2 --network none --port 80:80
    run_kpod __net setup hosty --host-network
    assert "$(jq -r '.hostNetwork' <<<"$output")/$(jq -r .netnsPath <<<"$output")" == 'true/'
    run_kpod 126 __net iface-ls hosty
    run_kpod __net teardown lonely
    run_kpod __net teardown hosty
    assert_no_leaks
}

@test "a failure at any setup step undoes every step before it" {
    run_kpod __net setup keep --network "$NET"
    local step
    for step in netns ipam bridge veth address ports record; do
        KPOD_TEST_NET_FAIL=$step run_kpod 125 __net setup "f-$step" --network "$NET" --port $((PB + 4)):80
        assert "$(error_line)" == "Error: setup 'f-$step': network setup of pod 'f-$step': injected failure at '$step'"
        assert "$(ls "$KPOD_RUNROOT/netns")" == "keep" "no netns left after '$step'"
        assert "$(ip -o link show master "$BR" | wc -l)" == 1 "no veth left after '$step'"
        assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 1 \
            "no address left after '$step'"
        local id
        id=$(printf '%s' "$KPOD_RUNROOT/f-$step" | sha256sum | cut -c1-64)
        run nft list table ip "kpod-$(printf '%s' "$id" | sha256sum | cut -c1-16)"
        assert "$status" != 0 "no hostPort table left after '$step'"
    done
    run nft list ruleset
    assert "$output" !~ "dport $((PB + 4))" "no hostPort rule left"
    run_kpod __net teardown keep
    assert_no_leaks
}

@test "teardown without a persisted result cleans up by name (kpod killed after setup)" {
    run_kpod __net setup lost --network "$NET" --port $((PB + 5)):80
    local table
    table=$(jq -r .nftTable <<<"$output")
    rm "$KPOD_RUNROOT/netdebug/lost.json"
    run_kpod __net teardown lost
    assert_no_leaks "$table"
}

@test "a bridge shared with another runroot stays until its last port leaves" {
    run_kpod __net setup r1 --network "$NET"
    local other=$BATS_TEST_TMPDIR/runroot2
    mkdir -p "$other"
    KPOD_RUNROOT=$other run_kpod __net setup r2 --network "$NET"
    run_kpod __net teardown r1
    run ip link show "$BR"
    assert "$status" == 0 "bridge kept for the other runroot's pod"
    assert "$(ip -o link show master "$BR" | wc -l)" == 1
    KPOD_RUNROOT=$other run_kpod __net teardown r2
    assert_no_leaks
}

@test "hostPort conflicts are refused and leave nothing" {
    run_kpod __net setup first --network "$NET" --port $((PB + 6)):80
    run_kpod 125 __net setup second --network "$NET" --port $((PB + 6)):80
    assert "$(error_line)" == "Error: setup 'second': network setup of pod 'second': hostPort $((PB + 6))/tcp is already published by another pod"
    run_kpod 125 __net setup second --network "$NET" --port $((PB + 7)):80 --port $((PB + 7)):81
    assert "$(error_line)" =~ "hostPort $((PB + 7))/tcp given twice"
    busybox httpd -f -p 127.0.0.1:$((PB + 8)) -h "$BATS_TEST_TMPDIR" 3>&- </dev/null >/dev/null 2>&1 &
    PIDS+=($!)
    local i
    for i in $(seq 1 50); do
        ss -Hltn "sport = :$((PB + 8))" | grep -q . && break
        sleep 0.1
    done
    run_kpod 125 __net setup second --network "$NET" --port $((PB + 8)):80
    assert "$(error_line)" =~ "hostPort $((PB + 8))/tcp is in use on the host"
    run_kpod 125 __net setup second --network "$NET" --port 192.0.2.77:$((PB + 9)):80
    assert "$(error_line)" =~ "hostIP '192.0.2.77' is not an address of this host"
    # udp on the same number is another port
    run_kpod __net setup second --network "$NET" --port $((PB + 6)):80/udp
    assert "$(ls "$KPOD_RUNROOT/netns" | sort | paste -sd' ')" == "first second"
    run_kpod __net teardown first
    run_kpod __net teardown second
    assert_no_leaks
}

@test "a stale netns file left by a crash is replaced; removing eth0 clears the pod IP" {
    mkdir -p "$KPOD_RUNROOT/netns"
    touch "$KPOD_RUNROOT/netns/stale"
    run_kpod __net setup stale --network "$NET"
    assert "$(jq -r .ip <<<"$output")" =~ "^$SUBNET_PREFIX\." "set up over the stale file"
    run_kpod __net iface-rm stale --name eth0
    run_kpod __net show stale
    assert "$(jq -r '.ip, (.interfaces | length)' <<<"$output" | paste -sd' ')" == " 0"
    assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 0 "IP freed"
    run_kpod __net teardown stale
    assert_no_leaks
}

@test "dual stack: IPv6 addresses from the network, pods reach each other over IPv6" {
    local net6=d$RANDOM br6=kpu$(printf '%05d' $RANDOM) p6=fd00:$(printf %x $((RANDOM % 28672 + 4096))):$(printf %x $((RANDOM % 28672 + 4096)))
    run_kpod network create --subnet "10.$((200 + RANDOM % 50)).$((RANDOM % 256)).0/24" \
        --subnet "$p6::/64" --interface-name "$br6" "$net6"
    run_kpod __net setup v1 --network "$net6"
    local a6
    a6=$(jq -r .ip6 <<<"$output")
    assert "$a6" == "$p6::2" "first IPv6 address"
    assert "$(jq -r '.routes[] | select(.family == 1 and .dest == "") | .gateway' <<<"$output")" == "$p6::1"
    run_kpod __net setup v2 --network "$net6" --ip "$p6::99"
    local b6
    b6=$(jq -r .ip6 <<<"$output")
    assert "$b6" == "$p6::99" "static IPv6 address"
    assert "$(in_pod v2 ip -o -6 addr show dev eth0 scope global | awk '{print $4}')" == "$p6::99/64"
    assert "$(in_pod v2 ip -6 route show default)" =~ "default via $p6::1 dev eth0"
    run nft list table ip6 "kpod-net-$br6"
    assert "$output" =~ "ip6 saddr $p6::/64 ip6 daddr != $p6::/64 masquerade" "IPv6 NAT"
    start_httpd v2 8080 "over v6"
    run fetch v1 "http://[$b6]:8080/"
    assert "$output" == "over v6" "v1 fetches from v2 over IPv6"
    run_kpod 125 __net setup v3 --network "$net6" --ip "$p6::99"
    assert "$(error_line)" =~ "address '$p6::99' is already allocated"
    run_kpod 125 __net setup v3 --network "$NET" --ip fd00::1
    assert "$(error_line)" =~ "network '$NET' has no IPv6 subnet"
    run_kpod __net stop v2
    run_kpod __net start v2
    assert "$(jq -r .ip6 <<<"$output")" == "$p6::99" "IPv6 address kept over stop/start"
    run_kpod __net teardown v1
    run_kpod __net teardown v2
    assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$net6/ipam.json")" == 0
    run ip link show "$br6"
    assert "$status" != 0 "bridge gone"
    run nft list table ip6 "kpod-net-$br6"
    assert "$status" != 0 "IPv6 NAT table gone"
    run_kpod network rm "$net6"
    assert_no_leaks
}
