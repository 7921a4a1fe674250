#!/usr/bin/env bats
# Pod networking through play, and the interface/route commands on a running pod.

load helpers

setup() {
    basic_setup
    require_root
    IMAGE=$KPOD_TEST_REGISTRY/busybox:latest
}

teardown() {
    basic_teardown
}

# pod NAME CMD: a pod running sh -c CMD
pod() {
    cat >"$BATS_TEST_TMPDIR/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  containers:
  - name: main
    image: $IMAGE
    command: ["sh", "-c", "$2"]
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/$1.yaml"
}

@test "two pods get distinct addresses and reach each other; hostPort on 127.0.0.1" {
    local port
    port=$(random_ports 1)
    cat >"$BATS_TEST_TMPDIR/srv.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: srv
spec:
  containers:
  - name: web
    image: $IMAGE
    command: ["sh", "-c", "mkdir -p /www && echo served-by-srv > /www/index.html && httpd -f -p 8080 -h /www"]
    ports:
    - {containerPort: 8080, hostPort: $port}
EOF
    run_kpod play --tls-verify=false -q "$BATS_TEST_TMPDIR/srv.yaml"
    pod cli 'sleep 1000'
    local ip_srv ip_cli
    ip_srv=$("$KPOD" pod inspect srv --format '{{.IP}}')
    ip_cli=$("$KPOD" pod inspect cli --format '{{.IP}}')
    assert "$ip_srv" =~ "^10\.88\." "srv address"
    assert "$ip_cli" != "$ip_srv" "distinct addresses"
    local i
    for i in $(seq 1 50); do
        "$KPOD" exec cli-main timeout 2 wget -qO- "http://$ip_srv:8080/" >/dev/null 2>&1 && break
        sleep 0.1
    done
    run_kpod exec cli-main timeout 5 wget -qO- "http://$ip_srv:8080/"
    assert "$output" == served-by-srv "pod to pod by IP"
    run curl -s --max-time 5 "http://127.0.0.1:$port/"
    assert "$output" == served-by-srv "hostPort on 127.0.0.1"
    run_kpod exec cli-main cat /etc/hosts
    assert "$output" =~ "$ip_cli" "own address in /etc/hosts"
    local netns
    netns=$("$KPOD" pod inspect srv --format '{{.NetNS}}')
    run_kpod pod rm -f srv cli
    [ ! -e "$netns" ] || die "netns pin left: $netns"
    run curl -s --max-time 2 "http://127.0.0.1:$port/"
    assert "$status" != 0 "hostPort gone with the pod"
}

@test "pod interface add/ls/rm and route ls/update on a running pod" {
    pod net 'sleep 1000'
    local netns
    netns=$("$KPOD" pod inspect net --format '{{.NetNS}}')
    run_kpod pod interface add --name eth1 --mac 02:00:00:00:00:11 --ip 192.168.177.5/24 \
        --ip 192.168.178.5/24 --mtu 1400 net
    assert "$output" =~ "eth1 +02:00:00:00:00:11 +1400" "the new interface"
    run nsenter --net="$netns" ip -o addr show dev eth1
    assert "$output" =~ "192.168.177.5/24" "first address, as ip sees it"
    assert "$output" =~ "192.168.178.5/24" "second address"
    run_kpod pod interface ls --format json net
    assert "$(jq -r '.[] | select(.name=="eth1") | .mtu' <<<"$output")" == 1400
    run_kpod pod route update --route 'dest=192.168.180.0/24,gw=192.168.177.1,dev=eth1' \
        --route 'dest=192.168.177.0/24,dev=eth1,scope=link' net
    run_kpod pod route ls net
    assert "$output" =~ "192.168.180.0/24 +192.168.177.1 +eth1" "the route through eth1"
    run nsenter --net="$netns" ip route
    assert "$output" =~ "192.168.180.0/24 via 192.168.177.1 dev eth1" "ip agrees"
    run_kpod pod route update --route 'dest=192.168.190.0/24,gw=192.168.178.1,dev=eth1' net
    run_kpod pod route ls net
    assert "$output" !~ "192.168.180.0" "update replaced the old table"
    assert "$output" =~ "192.168.190.0/24" "with the new one"
    run_kpod 125 pod interface add --ip 10.1.2.300/24 net
    assert "$output" =~ "10.1.2.300" "invalid CIDR named"
    run_kpod 125 pod interface add --name eth1 --ip 192.168.179.5/24 net
    run_kpod 125 pod interface rm --mac 02:00:00:00:00:99 net
    assert "$output" =~ "no interface with MAC '02:00:00:00:00:99'"
    run_kpod pod interface rm --mac 02:00:00:00:00:11 net
    run nsenter --net="$netns" ip link show eth1
    assert "$status" != 0 "eth1 gone"
    run_kpod pod stop -t 0 net
    run_kpod 126 pod interface ls net
    assert "$output" =~ "not running"
    run_kpod 125 pod interface rm net
    assert "$output" =~ "give --mac or --name"
}

@test "added interfaces and routes come back after pod stop and start" {
    pod keep 'sleep 1000'
    run_kpod pod interface add --name eth1 --ip 192.168.177.9/24 keep
    run_kpod pod route update --route 'dest=192.168.181.0/24,gw=192.168.177.1,dev=eth1' \
        --route 'dest=192.168.177.0/24,dev=eth1,scope=link' keep
    run_kpod pod stop -t 0 keep
    run_kpod pod start keep
    run_kpod pod interface ls keep
    assert "$output" =~ "eth1.*192.168.177.9/24" "interface restored"
    run_kpod pod route ls keep
    assert "$output" =~ "192.168.181.0/24" "route restored"
}
