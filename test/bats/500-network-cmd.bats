#!/usr/bin/env bats
# kpod network ls|inspect|create|rm: named bridge networks.

load helpers
load network_helpers

setup() {
    basic_setup
}

@test "network ls shows the default network" {
    run_kpod network ls
    assert "${lines[0]}" =~ "^NETWORK ID +NAME +DRIVER +INTERFACE +SUBNET +GATEWAY" "header"
    assert "${lines[1]}" =~ "^[0-9a-f]{12}  kpod +bridge +kpod0 +10.88.0.0/16 +10.88.0.1$" "row"
    run_kpod network ls --format json
    assert "$(jq -r '.[0].name + " " + .[0].subnet + " " + .[0].gateway' <<<"$output")" == \
        "kpod 10.88.0.0/16 10.88.0.1" "json"
    assert "$(jq -r '.[0].id | length' <<<"$output")" == 64 "full id in json"
    run_kpod network ls --no-trunc
    assert "${lines[1]}" =~ "^[0-9a-f]{64}  kpod" "untruncated id"
    run_kpod network ls -q
    assert "$output" == "kpod" "quiet"
}

@test "network create, ls, inspect, rm" {
    run_kpod network create --subnet 10.231.4.0/24 --interface-name kptc$RANDOM mynet
    assert "$output" == "mynet" "create prints the name"
    run_kpod network ls -q
    assert "$output" == $'kpod\nmynet' "listed"
    run_kpod network inspect mynet
    assert "$(jq -r '.[0] | .name + " " + .subnet + " " + .gateway + " " + .driver' <<<"$output")" \
        == "mynet 10.231.4.0/24 10.231.4.1 bridge" "inspect"
    assert "$(jq -r '.[0].allocated_addresses' <<<"$output")" == 0 "no addresses in use"
    # the subnet is canonicalised and the gateway may be chosen
    run_kpod network create --subnet 10.231.5.77/24 --gateway 10.231.5.254 --interface-name kptd$RANDOM other
    run_kpod network inspect other
    assert "$(jq -r '.[0].subnet + " " + .[0].gateway' <<<"$output")" == "10.231.5.0/24 10.231.5.254"
    run_kpod network rm mynet other
    assert "$output" == $'mynet\nother' "rm prints the names"
    run_kpod network ls -q
    assert "$output" == "kpod" "gone"
    assert "$(ls "$KPOD_ROOT/networks")" == "" "config files gone"
}

@test "network create picks a free subnet and name" {
    run_kpod network create --interface-name kpta$RANDOM
    assert "$output" == "kpod1" "first free name"
    run_kpod network create --interface-name kptb$RANDOM
    assert "$output" == "kpod2"
    run_kpod network inspect kpod1 kpod2
    assert "$(jq -r '[.[].subnet] | join(" ")' <<<"$output")" == "10.89.0.0/24 10.89.1.0/24" \
        "distinct automatic subnets"
}

@test "network create errors change nothing" {
    run_kpod 125 network create --subnet 10.231.4.300/24 bad
    assert "$(error_line)" == "Error: network create: invalid CIDR '10.231.4.300/24': not an IP address"
    run_kpod 125 network create --subnet 10.231.4.0 bad
    assert "$(error_line)" =~ "missing /prefix"
    run_kpod 125 network create --subnet 10.231.4.0/24 --gateway 10.231.5.1 bad
    assert "$(error_line)" =~ "gateway '10.231.5.1' is not in subnet '10.231.4.0/24'"
    run_kpod 125 network create --subnet 10.231.4.0/24 --interface-name waytoolongbridgename bad
    assert "$(error_line)" =~ "invalid interface name"
    run_kpod 125 network create --subnet 10.231.4.0/24 --interface-name 'br@x' bad
    assert "$(error_line)" =~ "invalid interface name 'br@x'"
    run_kpod 125 network create --subnet 10.231.4.0/24 --interface-name lo bad
    assert "$(error_line)" =~ "interface 'lo' exists on the host and is not a bridge"
    run_kpod 125 network create --driver macvlan bad
    assert "$(error_line)" =~ "unsupported driver 'macvlan'"
    run_kpod 125 network create 'bad/name'
    assert "$(error_line)" =~ "invalid network name 'bad/name'"
    run_kpod network create --subnet 10.231.4.0/24 --interface-name kpte$RANDOM good
    run_kpod 125 network create --subnet 10.231.9.0/24 good
    assert "$(error_line)" == "Error: network create: network name 'good' already used"
    run_kpod 125 network create --subnet 10.231.0.0/16 overlap
    assert "$(error_line)" =~ "subnet '10.231.0.0/16' overlaps network 'good'"
    run_kpod 125 network create kpod
    assert "$(error_line)" =~ "network name 'kpod' is reserved"
    run_kpod network ls -q
    assert "$output" == $'kpod\ngood' "only the good network exists"
}

@test "network rm and inspect errors" {
    run_kpod 127 network rm nosuch
    assert "$(error_line)" == "Error: network rm: network 'nosuch': no such network"
    run_kpod 127 network inspect nosuch
    run_kpod 125 network rm kpod
    assert "$(error_line)" =~ "the default network cannot be removed"
    run_kpod 125 network ls --format yaml
}
