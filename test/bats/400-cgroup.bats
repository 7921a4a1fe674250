#!/usr/bin/env bats
# lib/cgroup on this host's cgroup v1 hierarchies, through the hidden `kpod __cgroup`.

bats_require_minimum_version 1.5.0
load cgroup-helpers

setup_file() {
    [[ $("$KPOD" __cgroup version) == v1 ]] || skip "host is not cgroup v1"
}

@test "cgroup v1: the host is detected as v1" {
    run_kpod __cgroup version
    [[ $output == v1 ]]
}

@test "cgroup v1: create makes the cgroup in every hierarchy with the limits" {
    run_kpod __cgroup create "$CG/web" --memory 64m --memory-reservation 32m --pids 20 \
        --cpu-quota 50000 --cpu-period 100000 --cpu-shares 512 --cpuset-cpus 0 \
        --device 'c 1:3 rwm' --device 'c 1:5 rwm'
    for h in $V1_HIERARCHIES; do
        [[ -d $CGROOT/$h/$CG/web ]] || { echo "missing in $h"; false; }
    done
    [[ $(cat $CGROOT/memory/$CG/web/memory.limit_in_bytes) == 67108864 ]]
    [[ $(cat $CGROOT/memory/$CG/web/memory.soft_limit_in_bytes) == 33554432 ]]
    [[ $(cat $CGROOT/pids/$CG/web/pids.max) == 20 ]]
    [[ $(cat $CGROOT/cpu/$CG/web/cpu.cfs_quota_us) == 50000 ]]
    [[ $(cat $CGROOT/cpu/$CG/web/cpu.cfs_period_us) == 100000 ]]
    [[ $(cat $CGROOT/cpu/$CG/web/cpu.shares) == 512 ]]
    [[ $(cat $CGROOT/cpuset/$CG/web/cpuset.cpus) == 0 ]]
    run cat $CGROOT/devices/$CG/web/devices.list
    [[ $output == $'c 1:3 rwm\nc 1:5 rwm' ]]
    # the pod level inherited the parent's cpuset, so tasks can join it too
    [[ -n $(cat $CGROOT/cpuset/$CG/cpuset.cpus) ]]
    [[ $(cat $CGROOT/cpuset/$CG/cpuset.mems) == $(cat $CGROOT/cpuset/cpuset.mems) ]]
}

@test "cgroup v1: memory+swap goes to memory.memsw.limit_in_bytes" {
    [[ -f $CGROOT/memory/memory.memsw.limit_in_bytes ]] || skip "no swap accounting"
    run_kpod __cgroup create "$CG" --memory 32m --memory-swap 48m
    [[ $(cat $CGROOT/memory/$CG/memory.memsw.limit_in_bytes) == 50331648 ]]
    # raising both past the current memsw limit works (memsw is raised first)
    run_kpod __cgroup update "$CG" --memory 96m --memory-swap 128m
    [[ $(cat $CGROOT/memory/$CG/memory.limit_in_bytes) == 100663296 ]]
    [[ $(cat $CGROOT/memory/$CG/memory.memsw.limit_in_bytes) == 134217728 ]]
    # and lowering both again
    run_kpod __cgroup update "$CG" --memory 16m --memory-swap 16m
    [[ $(cat $CGROOT/memory/$CG/memory.memsw.limit_in_bytes) == 16777216 ]]
    run_kpod 125 __cgroup update "$CG" --memory 32m --memory-swap 16m
    [[ $output == *"below the memory limit"* ]]
}

@test "cgroup v1: enter moves a process into every hierarchy" {
    run_kpod __cgroup create "$CG"
    bg sleep 1000
    run_kpod __cgroup enter "$CG" "$BG"
    for h in cpu cpuacct cpuset memory pids blkio devices freezer name=systemd; do
        grep -q ":$h:/$CG\$" /proc/$BG/cgroup || { cat /proc/$BG/cgroup; false; }
    done
    run_kpod __cgroup pids "$CG"
    [[ $output == "$BG" ]]
}

@test "cgroup v1: freeze stops the processes, thaw resumes them" {
    run_kpod __cgroup create "$CG"
    local f=$BATS_TEST_TMPDIR/ticks
    bg sh -c "while :; do echo x >> $f; sleep 0.02; done"
    run_kpod __cgroup enter "$CG" "$BG"
    run_kpod __cgroup freeze "$CG"
    [[ $(cat $CGROOT/freezer/$CG/freezer.state) == FROZEN ]]
    run_kpod __cgroup state "$CG"
    [[ $output == FROZEN ]]
    local before=$(wc -l <"$f")
    sleep 0.3
    [[ $(wc -l <"$f") -eq $before ]]
    run_kpod __cgroup thaw "$CG"
    [[ $(cat $CGROOT/freezer/$CG/freezer.state) == THAWED ]]
    wait_for 30 eval '[[ $(wc -l <"$f") -gt $before ]]'
    run_kpod __cgroup state "$CG"
    [[ $output == THAWED ]]
}

@test "cgroup v1: stats report usage, limits and pids" {
    run_kpod __cgroup create "$CG" --memory 128m --pids 50
    # 20 MiB touched inside the cgroup, then a spin for some CPU time
    bg sh -c 'read x </dev/null; sleep 0.2; x=$(head -c 20000000 /dev/zero | tr "\0" a); i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 1000'
    run_kpod __cgroup enter "$CG" "$BG"
    sleep 1.5
    run_kpod __cgroup stats "$CG"
    echo "$output"
    [[ $(field memory_limit) == 134217728 ]]
    [[ $(field pids_limit) == 50 ]]
    [[ $(field pids_current) -ge 1 ]]
    [[ $(field memory_usage) -gt 1000000 ]]
    [[ $(field memory_working_set) -le $(field memory_usage) ]]
    [[ $(field cpu_usage_ns) -gt 10000000 ]]
    [[ $(field cpu_user_ns) -gt 0 ]]
    [[ $(field oom_kills) == 0 ]]
    [[ $(field memory_max_usage) -ge $(field memory_usage) ]]
}

@test "cgroup v1: a CPU quota throttles, and stats count it" {
    run_kpod __cgroup create "$CG" --cpu-quota 10000 --cpu-period 100000
    run sh -c "\"$KPOD\" __cgroup enter $CG \$\$ &&
        i=0; while [ \$i -lt 400000 ]; do i=\$((i+1)); done" 3>&-
    assert "$status" == 0 "busy loop"
    run_kpod __cgroup stats "$CG"
    assert "$(field cpu_periods)" -gt 0 "periods"
    assert "$(field cpu_throttled_periods)" -gt 0 "throttled periods"
    assert "$(field cpu_throttled_ns)" -gt 0 "throttled time"
}

@test "cgroup v1: stats of an unlimited cgroup say max" {
    run_kpod __cgroup create "$CG"
    run_kpod __cgroup stats "$CG"
    [[ $(field memory_limit) == max ]]
    [[ $(field pids_limit) == max ]]
    [[ $(field pids_current) == 0 ]]
}

@test "cgroup v1: a memory limit OOM-kills, the OOM fd and count see it" {
    run_kpod __cgroup create "$CG" --memory 32m --memory-swap 32m
    "$KPOD" __cgroup oom-wait "$CG" --timeout 30 >"$BATS_TEST_TMPDIR/oom" 2>&1 3>&- &
    local waiter=$!
    BG_PIDS+=("$waiter")
    sleep 0.3
    run sh -c "\"$KPOD\" __cgroup enter $CG \$\$ && exec tail /dev/zero"
    [[ $status -eq 137 ]]
    wait "$waiter"
    [[ $(cat "$BATS_TEST_TMPDIR/oom") == 1 ]]
    run_kpod __cgroup oom-count "$CG"
    [[ $output == 1 ]]
    run_kpod __cgroup stats "$CG"
    [[ $(field oom_kills) == 1 ]]
}

@test "cgroup v1: oom-wait times out without an OOM kill" {
    run_kpod __cgroup create "$CG" --memory 32m
    run_kpod 125 __cgroup oom-wait "$CG" --timeout 1
    [[ $output == *"no OOM kill within 1s"* ]]
}

@test "cgroup v1: a pids limit stops forks" {
    run_kpod __cgroup create "$CG" --pids 5
    # perl (Essential in Debian) forks until the kernel says no, and reports how far it got
    run sh -c "\"$KPOD\" __cgroup enter $CG \$\$ && exec perl -e '
        my (\$n, @kids) = (0);
        for (1..20) { my \$p = fork(); last unless defined \$p;
                      if (\$p == 0) { sleep 10; exit 0 } push @kids, \$p; \$n++ }
        print \"\$n \$!\\n\"; kill 9, @kids; waitpid(\$_, 0) for @kids;' 3>&-"
    echo "$output"
    assert "$status" == 0 "exit status"
    assert "$output" =~ "^4 Resource temporarily unavailable" "forks before the limit"
    assert "$(cat $CGROOT/pids/$CG/pids.events)" =~ "max [1-9]" "pids.events"
}

@test "cgroup v1: kill sends a signal to every process, nested ones too" {
    run_kpod __cgroup create "$CG/a"
    run_kpod __cgroup create "$CG/b"
    bg sleep 1000; local p1=$BG
    bg sleep 1000; local p2=$BG
    run_kpod __cgroup enter "$CG/a" "$p1"
    run_kpod __cgroup enter "$CG/b" "$p2"
    run_kpod __cgroup pids "$CG"
    [[ $(sort <<<"$output" | tr '\n' ' ') == "$(printf '%s\n' $p1 $p2 | sort | tr '\n' ' ')" ]]
    run_kpod __cgroup kill "$CG" --signal 15
    [[ $output == 2 ]]
    wait_for 30 eval '! kill -0 $p1 2>/dev/null && ! kill -0 $p2 2>/dev/null'
}

@test "cgroup v1: destroy kills everything, frozen too, and leaves no directories" {
    run_kpod __cgroup create "$CG/ctr1"
    run_kpod __cgroup create "$CG/ctr2/deeper"
    bg sleep 1000; local p1=$BG
    # the shell forks its children only once it is in the cgroup, so they are in it too
    bg sh -c "while [ ! -e '$BATS_TEST_TMPDIR/go' ]; do sleep 0.05; done; sleep 1000 & sleep 1000 & wait"
    local p2=$BG
    run_kpod __cgroup enter "$CG/ctr1" "$p1"
    run_kpod __cgroup enter "$CG/ctr2/deeper" "$p2"
    touch "$BATS_TEST_TMPDIR/go"
    wait_for 20 eval '[ "$(pgrep -c -P $p2 sleep)" -ge 2 ]'
    run_kpod __cgroup freeze "$CG"
    run_kpod __cgroup destroy "$CG"
    run leftover_dirs
    [[ -z $output ]]
    wait_for 20 eval '! kill -0 $p1 2>/dev/null && ! kill -0 $p2 2>/dev/null'
    # destroying what is gone is fine
    run_kpod __cgroup destroy "$CG"
}

@test "cgroup v1: errors name the file and the value, and nothing is left half-made" {
    run_kpod 125 __cgroup create "$CG" --cpuset-cpus 99
    [[ $output == *"cpuset.cpus"* && $output == *"'99'"* && $output == *"$CG"* ]]
    run leftover_dirs
    [[ -z $output ]]
    run_kpod 125 __cgroup create "$CG" --memory bogus
    [[ $output == *"invalid --memory 'bogus'"* ]]
    run_kpod 125 __cgroup create "$CG" --device 'c 1:3 rwx'
    [[ $output == *"invalid device rule 'c 1:3 rwx'"* ]]
    run leftover_dirs
    [[ -z $output ]]
    run_kpod 125 __cgroup create "kpod-test/../x"
    [[ $output == *"'..' is not allowed"* ]]
    run_kpod __cgroup create "$CG"
    run_kpod 125 __cgroup enter "$CG" 999999999
    [[ $output == *"cgroup.procs"* && $output == *"'999999999'"* ]]
    run -127 "$KPOD" __cgroup stats "kpod-test/nosuch-$$"
    [[ $output == *"not found"* ]]
}

@test "cgroup v1: the unified hierarchy is left alone" {
    local before=$(cat $CGROOT/unified/cgroup.subtree_control 2>/dev/null)
    run_kpod __cgroup create "$CG" --memory 64m --pids 10
    [[ ! -e $CGROOT/unified/$CG ]]
    [[ $(cat $CGROOT/unified/cgroup.subtree_control 2>/dev/null) == "$before" ]]
}
