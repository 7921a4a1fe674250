#!/usr/bin/env bats
# The bundles of `kpod play --dry-run -o DIR` run unchanged under crun and runc, over a busybox rootfs
# built from Debian's busybox-static: the init container's emptyDir writes are seen by the app
# container, configMap files, $(VAR) expansion, the user, capabilities and read-only root.

load helpers

setup() {
    basic_setup
    require_root
    command -v crun >/dev/null || die "crun is not installed (hack/packages.txt)"
    # crun refuses hybrid hosts whose cgroup2 owns a controller (hugetlb here): give it v1
    if [ -d /sys/fs/cgroup/unified ] && ! mountpoint -q /sys/fs/cgroup/hugetlb; then
        mkdir -p /sys/fs/cgroup/hugetlb
        mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || true
    fi
    CRUN_IDS=()
}

teardown() {
    local id
    for id in "${CRUN_IDS[@]}"; do
        crun delete -f "$id" >/dev/null 2>&1 || true
    done
    basic_teardown
}

# Fills a bundle's rootfs with busybox and its applets.
fill_rootfs() {
    local rootfs=$1
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
    cp /bin/busybox "$rootfs/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\napp:x:1000:\n' >"$rootfs/etc/group"
}

# Runs one bundle with crun; $output gets what the container printed.
crun_run() {
    local bundle=$1 id="kpod-bats-$$-$BATS_TEST_NUMBER-${#CRUN_IDS[@]}"
    CRUN_IDS+=("$id")
    run timeout 60 crun run --bundle "$bundle" "$id"
    echo "$output" | sed 's/^/# crun: /' >&2
}

@test "a generated pod runs under crun: init container, emptyDir, configMap, env" {
    cat >"$BATS_TEST_TMPDIR/pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: demo
spec:
  restartPolicy: Never
  initContainers:
  - name: prepare
    image: busybox
    command: ["sh", "-c", "echo prepared-by-init > /shared/note"]
    volumeMounts:
    - {name: shared, mountPath: /shared}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c"]
    args:
    - >-
      echo greeting=$(GREETING);
      echo note=$(cat /shared/note);
      echo mode=$(cat /etc/app/mode);
      echo host=$(hostname);
      echo user=$(id -u):$(id -g);
      echo 'literal=$$(GREETING)';
      touch /rootfs-write 2>/dev/null && echo root=rw || echo root=ro;
      echo ok > /shared/ok && echo shared=rw;
      grep -c kubernetes /etc/hosts >/dev/null; echo hosts=$(grep -c localhost /etc/hosts)
    env:
    - {name: NAME, value: kpod}
    - {name: GREETING, value: "hello-$(NAME)"}
    volumeMounts:
    - {name: shared, mountPath: /shared}
    - {name: config, mountPath: /etc/app}
    securityContext:
      runAsUser: 1000
      runAsGroup: 1000
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
  volumes:
  - {name: shared, emptyDir: {}}
  - {name: config, configMap: {name: demo-config}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: demo-config}
data: {mode: testing}
EOF
    local out=$BATS_TEST_TMPDIR/bundles
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run -o "$out" "$BATS_TEST_TMPDIR/pod.yaml"
    fill_rootfs "$out/demo/prepare/rootfs"
    fill_rootfs "$out/demo/app/rootfs"

    crun_run "$out/demo/prepare"
    assert "$status" == 0 "init container exit code: $output"
    assert "$(cat "$out/demo/pod/volumes/kubernetes.io~empty-dir/shared/note")" == "prepared-by-init" \
        "the init container wrote into the emptyDir on the host"

    crun_run "$out/demo/app"
    assert "$status" == 0 "app container exit code: $output"
    assert "$output" =~ "greeting=hello-kpod" "\$(VAR) expanded from an earlier env entry"
    assert "$output" =~ "note=prepared-by-init" "the app sees the init container's file"
    assert "$output" =~ "mode=testing" "configMap file"
    assert "$output" =~ "host=demo" "hostname is the pod name"
    assert "$output" =~ "user=1000:1000" "runAsUser/runAsGroup"
    assert "$output" =~ 'literal=\$\(GREETING\)' "\$\$ escapes"
    assert "$output" =~ "root=ro" "readOnlyRootFilesystem"
    assert "$output" =~ "shared=rw" "the emptyDir is writable for uid 1000 (mode 0777)"
    assert "$output" =~ "hosts=[1-9]" "the pod's /etc/hosts is mounted"
}

@test "the default security profile holds under crun" {
    cat >"$BATS_TEST_TMPDIR/pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  containers:
  - name: probe
    image: busybox
    command:
    - sh
    - -c
    - >-
      grep CapEff /proc/self/status;
      grep Seccomp: /proc/self/status;
      mount -t tmpfs none /mnt 2>/dev/null && echo mount=allowed || echo mount=denied;
      unshare -n true 2>/dev/null && echo unshare=allowed || echo unshare=denied;
      cat /proc/kcore 2>/dev/null | head -c 1 | wc -c | sed 's/^/kcore=/';
      ulimit -n
  - name: privileged
    image: busybox
    command: ["sh", "-c", "grep CapEff /proc/self/status; grep Seccomp: /proc/self/status"]
    securityContext: {privileged: true}
EOF
    local out=$BATS_TEST_TMPDIR/bundles
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run -o "$out" "$BATS_TEST_TMPDIR/pod.yaml"
    fill_rootfs "$out/sec/probe/rootfs"
    fill_rootfs "$out/sec/privileged/rootfs"
    crun_run "$out/sec/probe"
    assert "$status" == 0 "exit code: $output"
    # CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE SYS_CHROOT SETFCAP
    assert "$output" =~ "CapEff:	00000000800405fb" "podman's default capabilities"
    assert "$output" =~ "Seccomp:	2" "seccomp filter active"
    assert "$output" =~ "mount=denied" "mount is denied"
    assert "$output" =~ "unshare=denied" "new namespaces are denied"
    assert "$output" =~ "kcore=0" "/proc/kcore is masked"
    assert "${lines[-1]}" -le "$(ulimit -Hn)" "RLIMIT_NOFILE within the caller's hard limit"
    crun_run "$out/sec/privileged"
    assert "$status" == 0 "exit code: $output"
    assert "$output" =~ "Seccomp:	0" "privileged: no seccomp"
    assert "$output" !~ "CapEff:	00000000800405fb" "privileged: more capabilities"
}

@test "runc accepts the same bundles unchanged" {
    command -v runc >/dev/null || die "runc is not installed (hack/packages.txt)"
    cp "$KPOD_TOP/manifests/examples/configmap-secret.yaml" "$BATS_TEST_TMPDIR/pod.yaml"
    sed -i 's/sleep 3600/echo done/' "$BATS_TEST_TMPDIR/pod.yaml"
    local out=$BATS_TEST_TMPDIR/bundles id="kpod-bats-runc-$$"
    KPOD_ALLOW_WARNINGS=1 run_kpod play --dry-run -o "$out" "$BATS_TEST_TMPDIR/pod.yaml"
    fill_rootfs "$out/app-config/app/rootfs"
    run timeout 60 runc run --bundle "$out/app-config/app" "$id"
    runc delete -f "$id" >/dev/null 2>&1 || true
    echo "$output" | sed 's/^/# runc: /' >&2
    assert "$status" == 0 "runc exit code: $output"
    assert "$output" =~ "mode=production db=app" "env from the ConfigMap and the Secret"
    assert "$output" =~ "mode.txt" "configMap files listed"
    assert "$output" =~ "-r--------.*password" "secret file mode 0400"
    assert "$output" =~ "done" "ran to the end"
}
