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

@test "network create: dual stack with a given or a generated IPv6 subnet" {
    run_kpod network create --subnet 10.231.6.0/24 --subnet fd00:231:6::7/64 \
        --gateway fd00:231:6::fe --interface-name kptf$RANDOM dual
    run_kpod network inspect dual
    assert "$(jq -r '.[0] | [.ipv6_enabled, .ipv6_subnet, .ipv6_gateway, .gateway] | join(" ")' <<<"$output")" \
        == "true fd00:231:6::/64 fd00:231:6::fe 10.231.6.1" "canonical IPv6 subnet, given gateway"
    run_kpod network create --subnet 10.231.7.0/24 --ipv6 --interface-name kptg$RANDOM ula
    run_kpod network inspect ula
    assert "$(jq -r '.[0].ipv6_subnet' <<<"$output")" =~ "^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64$" "ULA /64"
    assert "$(jq -r '.[0].ipv6_gateway' <<<"$output")" =~ "::1$"
    run_kpod 125 network create --subnet 10.231.8.0/24 --subnet fd00:231:6:0:1::/80 --interface-name kpth$RANDOM ov6
    assert "$(error_line)" =~ "subnet 'fd00:231:6:0:1::/80' overlaps network 'dual'"
    run_kpod 125 network create --subnet 10.231.8.0/24 --subnet fd00:231:8::/48 bad6
    assert "$(error_line)" =~ "want IPv6 with a prefix of 64-120"
    run_kpod 125 network create --subnet fd00:231:8::/64 --subnet fd00:231:9::/64 two6
    assert "$(error_line)" =~ "more than one IPv6 subnet"
    run_kpod 125 network create --subnet 10.231.8.0/24 --subnet fd00:231:8::/64 --gateway fd00:231:9::1 gw6
    assert "$(error_line)" =~ "gateway 'fd00:231:9::1' is not a host address of subnet 'fd00:231:8::/64'"
    run_kpod 125 network create --subnet 10.231.8.0/24 --gateway fd00:231:9::1 nogw6
    assert "$(error_line)" =~ "IPv6 gateway 'fd00:231:9::1' without an IPv6 subnet"
    run_kpod network ls -q
    assert "$output" == $'kpod\ndual\nula'
}
