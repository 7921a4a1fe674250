#!/usr/bin/env bats
# Interface and route operations on a pod netns (Kata AddInterface/RemoveInterface/
# ListInterfaces/UpdateRoutes/ListRoutes), through the hidden `kpod __net` plumbing.

load helpers
load network_helpers

setup() {
    net_setup
    run_kpod __net setup p --network "$NET"
    POD_IP=$(jq -r .ip <<<"$output")
}

teardown() {
    [ -n "${DUMMY:-}" ] && ip link del "$DUMMY" 2>/dev/null
    net_teardown
}

# The observable state: links with addresses, and routes, from the kernel.
pod_state() {
    in_pod p ip -o addr show | awk '{print $2, $4}' | sort
    in_pod p ip route show | sort
    in_pod p ip -6 route show | sort
}

@test "iface add with two addresses: ls and the kernel agree; rm by MAC removes it" {
    run_kpod __net iface-add p --name eth1 --ip 10.251.1.5/24 --ip fd00:51::5/64 --mtu 1400 \
        --mac 02:00:00:00:51:05
    assert "$(jq -r .name <<<"$output")" == eth1
    assert "$(jq -r .hwAddr <<<"$output")" == 02:00:00:00:51:05
    assert "$(jq -r .mtu <<<"$output")" == 1400
    assert "$(jq -r '[.IPAddresses[] | select(.address | startswith("fe80") | not) | "\(.family) \(.address)/\(.mask)"] | join(",")' <<<"$output")" \
        == "0 10.251.1.5/24,1 fd00:51::5/64" "Kata IPAddresses"
    local host_veth
    host_veth=$(jq -r .hostVeth <<<"$output")
    assert "$(ip -o link show "$host_veth")" =~ "master $BR" "host end on the bridge"

    run_kpod __net iface-ls p
    assert "$(jq -r '[.[].name] | sort | join(" ")' <<<"$output")" == "eth0 eth1 lo" "every link"
    assert "$(jq -r '.[] | select(.name == "eth1") | .state' <<<"$output")" == up
    assert "$(in_pod p ip -o -4 addr show dev eth1 | awk '{print $4}')" == "10.251.1.5/24"
    assert "$(in_pod p ip -o -6 addr show dev eth1 scope global | awk '{print $4}')" == "fd00:51::5/64"
    assert "$(in_pod p ip -o link show eth1)" =~ "mtu 1400 .* state UP" "kernel: mtu and up"

    # a route through the new interface
    run_kpod __net route-update p --route dest=default,gw="$SUBNET_PREFIX.1",dev=eth0 \
        --route dest=10.252.0.0/16,gw=10.251.1.1,dev=eth1
    run_kpod __net route-ls p
    assert "$(jq -r '.[] | select(.dest == "10.252.0.0/16") | .gateway + " " + .device' <<<"$output")" \
        == "10.251.1.1 eth1" "route ls shows it"
    assert "$(in_pod p ip route show 10.252.0.0/16)" =~ "via 10.251.1.1 dev eth1" "kernel agrees"

    run_kpod __net iface-rm p --mac 02:00:00:00:51:05
    run_kpod __net iface-ls p
    assert "$(jq -r '[.[].name] | sort | join(" ")' <<<"$output")" == "eth0 lo" "removed"
    run ip link show "$host_veth"
    assert "$status" != 0 "host end gone"
    assert "$(in_pod p ip route show 10.252.0.0/16)" == "" "its routes went with it"
}

@test "route update replaces the table, gateway-less routes first, kernel routes kept" {
    run_kpod __net iface-add p --name eth1 --ip 10.251.2.5/24
    run_kpod __net route-update p --route dest=10.253.0.0/16,gw=10.251.2.1 \
        --route dest=10.251.3.0/24,dev=eth1 --route dest=default,gw="$SUBNET_PREFIX.1"
    assert "$(jq -r '.[] | select(.dest == "10.251.3.0/24") | .scope' <<<"$output")" == 253 \
        "device route added with link scope"
    assert "$(in_pod p ip route show 10.253.0.0/16)" =~ "via 10.251.2.1 dev eth1"
    # replace with a new set: the old static routes go, kernel routes stay
    run_kpod __net route-update p --route dest=10.254.0.0/16,gw="$SUBNET_PREFIX.1"
    local rt
    rt=$(in_pod p ip -4 route show)
    assert "$rt" =~ "10.254.0.0/16 via $SUBNET_PREFIX.1 dev eth0" "new route"
    assert "$rt" !~ "10.253.0.0" "old gateway route gone"
    assert "$rt" !~ "default" "old default route gone"
    assert "$rt" =~ "10.251.2.0/24 dev eth1 proto kernel" "kernel route kept"
    assert "$rt" =~ "$SUBNET_PREFIX.0/24 dev eth0 proto kernel" "kernel route kept"
    run_kpod __net route-ls p
    assert "$(jq -r '.[] | select(.family == 0) | .dest' <<<"$output" | sort | paste -sd' ')" == \
        "$(printf '%s\n' 10.251.2.0/24 10.254.0.0/16 "$SUBNET_PREFIX.0/24" | sort | paste -sd' ')" \
        "route ls"
}

@test "route update from a Kata JSON file and from stdin" {
    cat >"$BATS_TEST_TMPDIR/routes.json" <<EOJ
[{"dest": "10.244.0.0/16", "gateway": "$SUBNET_PREFIX.1", "device": "eth0", "family": 0},
 {"dest": "", "gateway": "$SUBNET_PREFIX.1", "device": "eth0"}]
EOJ
    run_kpod __net route-update p --file "$BATS_TEST_TMPDIR/routes.json"
    assert "$(jq -r '[.[] | select(.gateway != "") | .dest] | sort | join(",")' <<<"$output")" == \
        ",10.244.0.0/16"
    run bash -c "echo '[{\"dest\": \"10.245.0.0/16\", \"gateway\": \"$SUBNET_PREFIX.1\"}]' | \
        $KPOD __net route-update p --file -"
    assert "$status" == 0 "$output"
    assert "$(in_pod p ip -4 route show | grep -c via)" == 1 "only the stdin route"
    assert "$(in_pod p ip route show 10.245.0.0/16)" =~ "via $SUBNET_PREFIX.1 dev eth0"
}

@test "errors exit 125 and change nothing" {
    run_kpod __net iface-add p --name eth1 --ip 10.251.4.5/24 --mac 02:00:00:00:51:44
    local before
    before=$(pod_state)
    run_kpod 125 __net iface-add p --name eth2 --ip 10.251.5.300/24
    assert "$(error_line)" == "Error: iface-add 'p': invalid CIDR '10.251.5.300/24': not an IP address"
    run_kpod 125 __net iface-add p --name eth2 --ip 10.251.5.3
    assert "$(error_line)" =~ "missing /prefix"
    run_kpod 125 __net iface-add p --name eth1 --ip 10.251.5.3/24
    assert "$(error_line)" == "Error: iface-add 'p': interface 'eth1' already exists in the pod"
    run_kpod 125 __net iface-add p --name eth2 --mac 02:00:00:00:51:44 --ip 10.251.5.3/24
    assert "$(error_line)" =~ "MAC address '02:00:00:00:51:44' already in the pod"
    run_kpod 125 __net iface-add p --name eth2 --mac zz:00 --ip 10.251.5.3/24
    assert "$(error_line)" =~ "invalid MAC address 'zz:00'"
    run_kpod 125 __net iface-add p --name eth2 --mtu 20 --ip 10.251.5.3/24
    assert "$(error_line)" =~ "invalid MTU 20"
    run_kpod 125 __net iface-rm p --mac 02:00:00:00:99:99
    assert "$(error_line)" == "Error: iface-rm 'p': no interface with MAC '02:00:00:00:99:99'"
    run_kpod 125 __net iface-rm p --name eth9
    assert "$(error_line)" == "Error: iface-rm 'p': no interface named 'eth9'"
    run_kpod 125 __net iface-rm p --name lo
    assert "$(error_line)" =~ "the loopback cannot be removed"
    run_kpod 125 __net route-update p --route dest=10.9.0.0/16,dev=eth7
    assert "$(error_line)" =~ "no device 'eth7' in the pod"
    run_kpod 125 __net route-update p --route dest=10.9.0.0/99,dev=eth0
    assert "$(error_line)" =~ "invalid CIDR|invalid address"
    run_kpod 125 __net route-update p --route dest=10.9.0.0/16,bogus=1
    assert "$(error_line)" =~ "unknown key 'bogus'"
    # accepted by the parser, refused by the kernel: the old table comes back
    run_kpod 125 __net route-update p --route dest=10.9.0.0/16,dev=eth0 \
        --route dest=10.10.0.0/16,gw=10.77.7.7
    assert "$(error_line)" =~ "add route '10.10.0.0/16'"
    assert "$(pod_state)" == "$before" "interfaces and routes unchanged"
    run_kpod __net iface-ls p
    assert "$(jq -r '[.[].name] | sort | join(" ")' <<<"$output")" == "eth0 eth1 lo"
    assert "$(ip -o link show master "$BR" | wc -l)" == 2 "no stray veth"
}

@test "iface add without --ip takes an address from the network; rm returns it" {
    run_kpod __net iface-add p
    local name ip
    name=$(jq -r .name <<<"$output")
    ip=$(jq -r '.IPAddresses[] | select(.family == 0) | .address' <<<"$output")
    assert "$name" == eth1 "first free ethN"
    assert "$ip" =~ "^$SUBNET_PREFIX\." "address from $NET"
    assert "$ip" != "$POD_IP"
    assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 2
    run_kpod __net iface-rm p --name eth1
    assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 1 "freed"
}

@test "iface add --link moves a host device in; rm gives it back" {
    DUMMY=kptd$RANDOM
    ip link add "$DUMMY" type veth peer name "${DUMMY}p"
    run_kpod __net iface-add p --link "$DUMMY" --name ext0 --ip 10.251.6.2/24
    run ip link show "$DUMMY"
    assert "$status" != 0 "left the host"
    assert "$(in_pod p ip -o -4 addr show dev ext0 | awk '{print $4}')" == 10.251.6.2/24
    run_kpod __net iface-rm p --name ext0
    run ip -o link show "$DUMMY"
    assert "$status" == 0 "back on the host under its name"
    run_kpod 125 __net iface-add p --link nosuchdev0
    assert "$(error_line)" =~ "host interface 'nosuchdev0' not found"
}

@test "iface add --noarp sets NOARP; ls reports it as raw_flags" {
    run_kpod __net iface-add p --name eth1 --ip 10.251.9.2/24 --noarp
    assert "$(jq -r .raw_flags <<<"$output")" == 128 "IFF_NOARP"
    assert "$(in_pod p ip -o link show eth1)" =~ "NOARP" "kernel agrees"
}

@test "teardown removes added interfaces and their addresses" {
    run_kpod __net iface-add p --name eth1 --ip 10.251.7.2/24
    run_kpod __net iface-add p --name eth2
    run_kpod __net teardown p
    assert_no_leaks
}

@test "after stop and start the address, MAC, added interfaces and routes come back" {
    run_kpod __net iface-add p --name eth1 --ip 10.251.8.2/24 --mac 02:00:00:00:58:02 --mtu 1450
    run_kpod __net iface-add p --name eth2
    local ip2
    ip2=$(jq -r '.IPAddresses[] | select(.family == 0) | .address' <<<"$output")
    run_kpod __net route-update p --route dest=default,gw="$SUBNET_PREFIX.1" \
        --route dest=10.252.8.0/24,gw=10.251.8.1,dev=eth1
    local mac0 before
    mac0=$(in_pod p ip -o link show eth0 | grep -o 'link/ether [^ ]*')
    before=$(pod_state)
    run_kpod __net stop p
    run ls "$KPOD_RUNROOT/netns"
    assert "$output" == "" "netns gone while stopped"
    assert "$(jq '.allocations | length' "$KPOD_RUNROOT/networks/$NET/ipam.json")" == 0 "addresses freed"
    run_kpod __net start p
    assert "$(jq -r .ip <<<"$output")" == "$POD_IP" "same address"
    assert "$(in_pod p ip -o link show eth0 | grep -o 'link/ether [^ ]*')" == "$mac0" "same MAC"
    assert "$(in_pod p ip -o link show eth1)" =~ "mtu 1450 .*link/ether 02:00:00:00:58:02" "eth1 back"
    assert "$(pod_state | sed 's/@if[0-9]*//')" == "$(sed 's/@if[0-9]*//' <<<"$before")" \
        "addresses and routes as before the stop"
    assert "$(jq -r '.allocations | keys | sort | join(" ")' "$KPOD_RUNROOT/networks/$NET/ipam.json")" \
        == "$(printf '%s\n' "$POD_IP" "$ip2" | sort | paste -sd' ')" "both addresses reserved again"
}
