#!/usr/bin/env bats
# lib/cgroup's v2 backend on a real cgroup2 hierarchy: the hybrid host's unified mount (no
# memory/cpu/pids controllers there, but cgroup.procs, cgroup.freeze, cgroup.events,
# cgroup.kill and cpu.stat are core files of every v2 cgroup).

bats_require_minimum_version 1.5.0
load cgroup-helpers

setup_file() {
    local root
    root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
    [[ -n $root ]] || skip "no cgroup2 mount"
    export CG_V2_ROOT=$root
}


@test "cgroup v2: create nests cgroups and leaves the root's controllers alone" {
    local before=$(cat $CG_V2_ROOT/cgroup.subtree_control)
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG/pod/web"
    [[ -d $CG_V2_ROOT/$CG/pod/web ]]
    assert "$(cat $CG_V2_ROOT/cgroup.subtree_control)" == "$before" "root subtree_control"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" version
    [[ $output == v2 ]]
}

@test "cgroup v2: enter, pids, freeze and thaw through cgroup.freeze" {
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG/web"
    local f=$BATS_TEST_TMPDIR/ticks
    bg sh -c "while :; do echo x >> $f; sleep 0.02; done"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" enter "$CG/web" "$BG"
    grep -qx "0::/$CG/web" /proc/$BG/cgroup
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" pids "$CG"
    [[ $output == *"$BG"* ]]
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" freeze "$CG"
    grep -qx "frozen 1" $CG_V2_ROOT/$CG/cgroup.events
    grep -qx "frozen 1" $CG_V2_ROOT/$CG/web/cgroup.events
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" state "$CG/web"
    [[ $output == FROZEN ]]
    local before=$(wc -l <"$f")
    sleep 0.3
    [[ $(wc -l <"$f") -eq $before ]]
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" thaw "$CG"
    grep -qx "frozen 0" $CG_V2_ROOT/$CG/web/cgroup.events
    wait_for 30 eval '[[ $(wc -l <"$f") -gt $before ]]'
}

@test "cgroup v2: SIGKILL goes through cgroup.kill" {
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG/a"
    [[ -f $CG_V2_ROOT/$CG/cgroup.kill ]] || skip "kernel without cgroup.kill"
    bg sleep 1000; local p1=$BG
    bg sleep 1000; local p2=$BG
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" enter "$CG/a" "$p1"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" enter "$CG" "$p2"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" kill "$CG"
    [[ $output == 1 ]] # one write to cgroup.kill
    wait_for 30 eval '! kill -0 $p1 2>/dev/null && ! kill -0 $p2 2>/dev/null'
}

@test "cgroup v2: other signals go to every process" {
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG"
    bg sleep 1000
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" enter "$CG" "$BG"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" kill "$CG" --signal 15
    [[ $output == 1 ]]
    wait_for 30 eval '! kill -0 $BG 2>/dev/null'
}

@test "cgroup v2: destroy kills a frozen tree and removes it" {
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG/x/y"
    bg sh -c "while [ ! -e '$BATS_TEST_TMPDIR/go' ]; do sleep 0.05; done; sleep 1000 & sleep 1000 & wait"
    local p=$BG
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" enter "$CG/x/y" "$p"
    touch "$BATS_TEST_TMPDIR/go"
    wait_for 20 eval '[ "$(pgrep -c -P $p sleep)" -ge 2 ]'
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" freeze "$CG"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" destroy "$CG"
    [[ ! -e $CG_V2_ROOT/$CG ]]
    wait_for 20 eval '! kill -0 $p 2>/dev/null'
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" destroy "$CG"
}

@test "cgroup v2: stats read cpu.stat; absent controllers read as zero and max" {
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG"
    run sh -c "\"$KPOD\" __cgroup --v2-root $CG_V2_ROOT enter $CG \$\$ &&
        i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done" 3>&-
    assert "$status" == 0 "busy loop in the cgroup"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" stats "$CG"
    [[ $(field cpu_usage_ns) -gt 10000000 ]]
    [[ $(field memory_limit) == max ]]
    [[ $(field memory_usage) == 0 ]]
}

@test "cgroup v2: a limit whose controller is not enabled fails naming the file" {
    if grep -qw memory $CG_V2_ROOT/cgroup.controllers; then skip "memory is available here"; fi
    run_kpod 125 __cgroup --v2-root "$CG_V2_ROOT" create "$CG" --memory 64m
    [[ $output == *"memory.max"* && $output == *"'67108864'"* ]]
    [[ $output == *"controller not available"* ]]
    [[ ! -e $CG_V2_ROOT/$CG ]]
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG"
    run_kpod 125 __cgroup --v2-root "$CG_V2_ROOT" oom-wait "$CG" --timeout 1
    [[ $output == *"memory.events"* ]]
}

@test "cgroup v2: the device allowlist is a BPF program that update replaces" {
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" create "$CG" --device 'c 1:3 rwm' --device 'c 1:5 r'
    run sh -c "\"$KPOD\" __cgroup --v2-root $CG_V2_ROOT enter $CG \$\$ || exit 99
        echo x >/dev/null && echo null-ok
        head -c1 /dev/zero >/dev/null && echo zero-read-ok
        { echo x >/dev/zero; } 2>/dev/null || echo zero-write-denied
        head -c1 /dev/urandom >/dev/null 2>&1 || echo urandom-denied" 3>&-
    assert "$output" == $'null-ok\nzero-read-ok\nzero-write-denied\nurandom-denied' "access"
    run_kpod __cgroup --v2-root "$CG_V2_ROOT" update "$CG" --device 'c 1:9 r'
    run sh -c "\"$KPOD\" __cgroup --v2-root $CG_V2_ROOT enter $CG \$\$ || exit 99
        [ \"\$(head -c1 /dev/urandom | wc -c)\" = 1 ] && echo urandom-ok
        { echo x >/dev/null; } 2>&- || echo null-denied" 3>&-
    assert "$output" == $'urandom-ok\nnull-denied' "access after update"
    run_kpod 125 __cgroup --v2-root "$CG_V2_ROOT" update "$CG" --device 'c 1:9 rwx'
    assert "$output" =~ "invalid device rule 'c 1:9 rwx'" "bad rule"
}

@test "cgroup v2: --v2-root must be a cgroup2 mount" {
    run_kpod 125 __cgroup --v2-root "$BATS_TEST_TMPDIR" create "$CG"
    [[ $output == *"is not a cgroup2 mount"* ]]
}
