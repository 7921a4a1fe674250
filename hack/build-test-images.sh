#!/usr/bin/env bash
# Builds kpod's test and demo images offline from Debian's busybox-static, as OCI layouts:
#   OUT/busybox     tag latest: /bin/busybox + applet links, /etc/passwd, /etc/group; Cmd ["sh"]
#   OUT/multilayer  tag latest: busybox + a layer adding /data and /opaque + a layer that deletes
#                   /data/a (whiteout), replaces /data/b and makes /opaque opaque with one new file
# Usage: hack/build-test-images.sh OUT
set -euo pipefail
out=${1:?usage: build-test-images.sh OUTDIR}
bb=/bin/busybox
[ -x "$bb" ] || { echo "Error: build-test-images: '$bb' missing: run 'make deps'" >&2; exit 1; }
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/kpod-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

busybox_layout() {
    local layout=$1 bundle=$work/bundle
    rm -rf "$layout"
    umoci init --layout "$layout"
    umoci new --image "$layout:latest"
    umoci unpack --image "$layout:latest" "$bundle" >/dev/null
    local r=$bundle/rootfs
    mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/home" "$r/var" "$r/proc" "$r/sys" "$r/dev"
    chmod 1777 "$r/tmp"
    cp "$bb" "$r/bin/busybox"
    local applet
    for applet in $("$bb" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nwww:x:33:33:www:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\ndaemon:x:1:\nwww:x:33:\nusers:x:100:www\nnogroup:x:65534:\n' >"$r/etc/group"
    echo kpod-test >"$r/etc/hostname"
    umoci repack --image "$layout:latest" "$bundle"
    rm -rf "$bundle"
    umoci config --image "$layout:latest" --os linux --architecture amd64 \
        --config.cmd sh --config.workingdir / \
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --author kpod-tests
    umoci gc --layout "$layout"
}

add_layer() { # layout dir: adds the tree under dir as one uncompressed-then-gzipped layer
    local layout=$1 dir=$2
    tar -C "$dir" --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" .
    umoci raw add-layer --image "$layout:latest" "$work/layer.tar"
}

busybox_layout "$out/busybox"

rm -rf "$out/multilayer"
cp -a "$out/busybox" "$out/multilayer"
l1=$work/l1 l2=$work/l2
mkdir -p "$l1/data" "$l1/opaque"
echo a-old >"$l1/data/a"
echo b-old >"$l1/data/b"
echo x >"$l1/opaque/x"
echo y >"$l1/opaque/y"
add_layer "$out/multilayer" "$l1"
mkdir -p "$l2/data" "$l2/opaque"
: >"$l2/data/.wh.a"
echo b-new >"$l2/data/b"
: >"$l2/opaque/.wh..wh..opq"
echo z >"$l2/opaque/z"
add_layer "$out/multilayer" "$l2"
umoci config --image "$out/multilayer:latest" --config.cmd cat --config.cmd /data/b
umoci gc --layout "$out/multilayer"
