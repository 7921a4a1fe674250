#!/usr/bin/env bats
# kpod pull against the suite's real registry: digests, layers, whiteouts, failures.

load helpers

REG_OPTS=(--tls-verify=false)

# A single-layer image with unique content, pushed under its own name, so that a test may
# tamper with its blobs in the registry's storage without touching the shared images.
# Prints the layer digest. Usage: push_unique NAME [TAR_BUILDER]
push_unique() {
    local name=$1 work=$BATS_TEST_TMPDIR/unique-$1
    mkdir -p "$work"
    umoci init --layout "$work/oci" >/dev/null
    umoci new --image "$work/oci:latest" >/dev/null
    mkdir -p "$work/tree/etc"
    echo "$name $RANDOM $RANDOM $(date +%s%N)" >"$work/tree/etc/unique"
    head -c 300000 /dev/urandom >"$work/tree/etc/blob"
    tar -C "$work/tree" --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" .
    umoci raw add-layer --image "$work/oci:latest" "$work/layer.tar" >/dev/null
    skopeo copy --quiet --insecure-policy --dest-tls-verify=false "oci:$work/oci:latest" \
        "docker://$KPOD_TEST_REGISTRY/$name:latest" >/dev/null
    curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "http://$KPOD_TEST_REGISTRY/v2/$name/manifests/latest" | jq -r '.layers[0].digest'
}

registry_blob() { # digest -> path of its data in the registry's storage
    local hex=${1#sha256:}
    echo "$KPOD_TEST_REGISTRY_DIR/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

assert_store_empty() {
    run_kpod images -q
    assert "$output" == "" "no image listed"
    local n
    n=$(find "$KPOD_ROOT/image/layers" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    assert "$n" == 0 "no layer in the store"
}

@test "pull busybox: images shows the digest skopeo reports, inspect shows its config" {
    run_kpod pull "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    local id=${lines[-1]}
    assert "$id" =~ '^[0-9a-f]{64}$' "pull prints the image id"
    assert "$output" =~ "Copying blob [0-9a-f]{12} done" "a line per layer when not a tty"
    assert "$output" =~ "Writing manifest to image destination" "podman-like progress"

    local want
    want=$(skopeo inspect --tls-verify=false "docker://$KPOD_TEST_REGISTRY/busybox" | jq -r .Digest)
    run_kpod images --digests --format json
    assert "$(jq -r '.[0].Digest' <<<"$output")" == "$want" "manifest digest as skopeo"
    assert "$(jq -r '.[0].Id' <<<"$output")" == "$id" "id"
    assert "$(jq -r '.[0].Names[0]' <<<"$output")" == "$KPOD_TEST_REGISTRY/busybox:latest" "name"

    run_kpod images
    assert "${lines[0]}" =~ "^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE" "table heading"
    assert "${lines[1]}" =~ "^$KPOD_TEST_REGISTRY/busybox +latest +${id:0:12} " "table row"
    run_kpod images -q
    assert "$output" == "${id:0:12}" "images -q"
    run_kpod images -q --no-trunc
    assert "$output" == "$id" "images -q --no-trunc"

    run_kpod image inspect --format '{{.Config.Cmd}} {{.Os}}/{{.Architecture}}' busybox
    assert "$output" == '["sh"] linux/amd64' "short name finds the image; config shown"
    run_kpod image inspect "${id:0:8}"
    assert "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" == "/" "config via id prefix"
    assert "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" == 1 "one diff id"

    # The layer is unpacked with modes, links and owners.
    local layer
    layer=$(echo "$KPOD_ROOT"/image/layers/*/diff)
    assert "$(stat -c %a "$layer/tmp")" == 1777 "sticky /tmp"
    assert "$(readlink "$layer/bin/sh")" == busybox "applet symlink"
    "$layer/bin/busybox" true

    # A second pull finds everything in place.
    run_kpod pull "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox:latest"
    assert "$output" =~ "skipped: already exists" "layer not fetched again"
    assert "${lines[-1]}" == "$id" "same id"
}

@test "pull -q prints only the id; pull by digest" {
    local digest
    digest=$(skopeo inspect --tls-verify=false "docker://$KPOD_TEST_REGISTRY/busybox" | jq -r .Digest)
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox@$digest"
    assert "${#lines[@]}" == 1 "one line"
    assert "$output" =~ '^[0-9a-f]{64}$' "only the id"
    run_kpod images --format json
    assert "$(jq -r '.[0].RepoDigests[0]' <<<"$output")" == "$KPOD_TEST_REGISTRY/busybox@$digest"
    assert "$(jq -r '.[0].Dangling' <<<"$output")" == true "pulled by digest: no tag"
}

@test "multi-layer image: whiteouts and opaque directory honoured in the overlay rootfs" {
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/multilayer"
    local layers lower="" l
    layers=$(jq -r '.images[0].layers | reverse | .[]' "$KPOD_ROOT/image/index.json")
    assert "$(wc -l <<<"$layers")" == 3 "three layers"
    for l in $layers; do
        lower="$lower${lower:+:}$KPOD_ROOT/image/layers/$l/diff"
    done
    local top=$KPOD_ROOT/image/layers/$(head -n1 <<<"$layers")/diff
    assert "$(stat -c %F "$top/data/a")" == "character special file" "whiteout as 0/0 device"
    assert "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$top/opaque")" == y \
        "opaque xattr"
    local m=$BATS_TEST_TMPDIR/merged
    mkdir -p "$m"
    mount -t overlay overlay -o "lowerdir=$lower" "$m"
    local a_exists=no b opaque
    [ -e "$m/data/a" ] && a_exists=yes
    b=$(cat "$m/data/b")
    opaque=$(ls -A "$m/opaque" | tr '\n' ' ')
    umount "$m"
    assert "$a_exists" == no "deleted file gone"
    assert "$b" =~ "new|replaced|b2" "replaced file has the new content"
    assert "$(wc -w <<<"$opaque")" == 1 "opaque dir holds only the new file: '$opaque'"
}

@test "rmi frees the layers not shared with another image" {
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    local bb=$output
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/multilayer"
    local ml=$output
    assert "$(ls "$KPOD_ROOT/image/layers" | wc -l)" == 3 "busybox's layer is shared"
    run_kpod rmi multilayer
    assert "$output" =~ "Untagged: $KPOD_TEST_REGISTRY/multilayer:latest" "untagged"
    assert "$output" =~ "Deleted: $ml" "deleted"
    assert "$(ls "$KPOD_ROOT/image/layers" | wc -l)" == 1 "only the shared layer is left"
    run_kpod image inspect busybox
    "$KPOD_ROOT/image/layers/$(ls "$KPOD_ROOT/image/layers")/diff/bin/busybox" true
    run_kpod rmi "${bb:0:12}"
    assert_store_empty
    assert "$(ls "$KPOD_ROOT/image/blobs/sha256" | wc -l)" == 0 "no blob left"
}

@test "tag adds names; rmi of one of several names only untags" {
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    local id=$output
    run_kpod tag busybox mybox:1 "$KPOD_TEST_REGISTRY/other:x"
    run_kpod images --format '{{.Repository}}:{{.Tag}}'
    assert "$output" =~ "localhost/mybox:1" "short tag goes under localhost/"
    assert "$output" =~ "$KPOD_TEST_REGISTRY/other:x" "qualified tag"
    run_kpod 125 rmi "${id:0:12}"
    assert "$output" =~ "has 3 names" "by id with several names needs --force"
    run_kpod rmi mybox:1
    assert "$output" == "Untagged: localhost/mybox:1" "only untagged"
    run_kpod images -q
    assert "$output" == "${id:0:12}" "image still there"
    run_kpod 127 tag nosuchimage foo
    assert "$output" =~ "image 'nosuchimage' not known" "unknown image"
    run_kpod 125 tag busybox 'Bad:Name'
    run_kpod rmi -a
    assert_store_empty
    run_kpod 1 rmi nosuchimage
    assert "$output" =~ "Error: rmi 'nosuchimage': image 'nosuchimage' not known"
    run_kpod rmi -i nosuchimage
}

@test "digest mismatch: a tampered blob in the registry fails the pull, nothing stored" {
    local layer
    layer=$(push_unique tampered)
    local data
    data=$(registry_blob "$layer")
    [ -f "$data" ] || die "no blob data at $data"
    # Same size, other bytes.
    printf 'XXXXXXXX' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
    run_kpod 125 pull --retry 0 "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/tampered"
    assert "$output" =~ "Error: pull '$KPOD_TEST_REGISTRY/tampered': .*digest mismatch" "error"
    assert_store_empty
    assert "$(ls "$KPOD_ROOT/image/blobs/sha256" | grep -c "${layer#sha256:}")" == 0 "no blob"
}

@test "truncated blob: the pull fails after its retries, nothing stored" {
    local layer data
    layer=$(push_unique truncated)
    data=$(registry_blob "$layer")
    truncate -s 1000 "$data"
    run_kpod 125 pull --retry 1 --retry-delay 10ms "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/truncated"
    assert "$output" =~ "Error: pull '$KPOD_TEST_REGISTRY/truncated': " "error"
    assert_store_empty
}

@test "registry down: clear error, exit 125, nothing stored" {
    local port
    port=$(random_ports 1)
    run_kpod 125 pull --retry 0 "${REG_OPTS[@]}" "127.0.0.1:$port/busybox"
    assert "$output" =~ "Error: pull '127.0.0.1:$port/busybox': ping registry '127.0.0.1:$port'" \
        "names the registry"
    assert "$output" =~ "(Connection refused|Couldn't connect)" "names the cause"
    assert_store_empty
}

@test "404: unknown repository and unknown tag" {
    run_kpod 125 pull "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/nosuchimage"
    assert "$output" =~ "Error: pull '$KPOD_TEST_REGISTRY/nosuchimage': fetch manifest: HTTP 404" \
        "404 on the manifest"
    run_kpod 125 pull "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox:nosuchtag"
    assert "$output" =~ "MANIFEST_UNKNOWN|404" "unknown tag"
    assert_store_empty
}

@test "TLS is verified by default: a plain-HTTP registry is refused without --tls-verify=false" {
    run_kpod 125 pull --retry 0 "$KPOD_TEST_REGISTRY/busybox"
    assert "$output" =~ "Error: pull '$KPOD_TEST_REGISTRY/busybox': ping registry" "refused"
    assert_store_empty
}

@test "registries.conf: short names, insecure and blocked registries" {
    local conf=$BATS_TEST_TMPDIR/registries.conf
    cat >"$conf" <<EOC
# kpod test
unqualified-search-registries = ["127.0.0.1:1", "$KPOD_TEST_REGISTRY"]

[[registry]]
location = "$KPOD_TEST_REGISTRY"
insecure = true

[[registry]]
location = "127.0.0.1:1"
insecure = true

[[registry]]
prefix = "blocked.example.com"
location = "blocked.example.com"
blocked = true
EOC
    export CONTAINERS_REGISTRIES_CONF=$conf
    run_kpod pull --retry 0 busybox
    assert "$output" =~ "Trying to pull 127.0.0.1:1/busybox:latest" "first search registry tried"
    assert "$output" =~ "Trying to pull $KPOD_TEST_REGISTRY/busybox:latest" "then the second"
    run_kpod images --format '{{.Repository}}'
    assert "$output" == "$KPOD_TEST_REGISTRY/busybox" "pulled from the insecure registry"
    run_kpod 125 pull blocked.example.com/foo
    assert "$output" =~ "registry 'blocked.example.com' is blocked" "blocked"
}

@test "localhost/ images are never pulled; malformed references are refused" {
    run_kpod 125 pull localhost/nosuchimage
    assert "$output" =~ "localhost images are never pulled" "localhost"
    run_kpod 125 pull 'Busybox'
    assert "$output" =~ "Error: pull 'Busybox': invalid reference 'Busybox': repository name must be lowercase"
    run_kpod 125 pull 'busybox@sha256:1234'
    assert "$output" =~ "invalid digest" "bad digest"
    run_kpod 125 pull --platform linux "$KPOD_TEST_REGISTRY/busybox"
    assert "$output" =~ "invalid platform 'linux'" "bad platform"
    run_kpod 125 pull --retry-delay soon "$KPOD_TEST_REGISTRY/busybox"
    assert "$output" =~ "invalid --retry-delay 'soon'" "bad delay"
}

@test "a layer that escapes with '..' is refused and discarded" {
    local work=$BATS_TEST_TMPDIR/evil
    mkdir -p "$work"
    umoci init --layout "$work/oci" >/dev/null
    umoci new --image "$work/oci:latest" >/dev/null
    python3 - "$work/layer.tar" <<'EOP'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"pwned\n"
    i = tarfile.TarInfo("etc/ok"); i.size = len(data); t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("../../../../tmp/kpod-evil-escape"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
EOP
    umoci raw add-layer --image "$work/oci:latest" "$work/layer.tar" >/dev/null
    skopeo copy --quiet --insecure-policy --dest-tls-verify=false "oci:$work/oci:latest" \
        "docker://$KPOD_TEST_REGISTRY/evil:latest" >/dev/null
    run_kpod 125 pull "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/evil"
    assert "$output" =~ "path with '..'" "the traversal is named"
    [ ! -e /tmp/kpod-evil-escape ] || die "file written outside the layer"
    assert_store_empty
    assert "$(ls -A "$KPOD_ROOT/image/tmp" | wc -l)" == 0 "no partial layer left"
}

@test "concurrent pulls of the same image into one store" {
    local i
    for i in 1 2 3; do
        "$KPOD" pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/multilayer" >"$BATS_TEST_TMPDIR/p$i" 2>&1 &
    done
    wait
    assert "$(sort -u "$BATS_TEST_TMPDIR"/p? | wc -l)" == 1 "all three print the same id"
    run_kpod images -q
    assert "${#lines[@]}" == 1 "one image"
    assert "$(ls "$KPOD_ROOT/image/layers" | wc -l)" == 3 "three layers"
}

@test "an interrupted download resumes from the partial file" {
    local layer
    layer=$(push_unique resumed)
    local hex=${layer#sha256:}
    mkdir -p "$KPOD_ROOT/image/tmp"
    head -c 150000 "$(registry_blob "$layer")" >"$KPOD_ROOT/image/tmp/$hex.partial"
    run_kpod --log-level debug pull "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/resumed"
    assert "$output" =~ "resuming '$layer' at 150000 bytes" "resumed with Range"
    run_kpod images --format '{{.Repository}}'
    assert "$output" == "$KPOD_TEST_REGISTRY/resumed" "image stored"
}

@test "image prune removes dangling images and stale temporary files" {
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    local id=$output
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/multilayer"
    touch "$KPOD_ROOT/image/tmp/leftover.partial"
    run_kpod image prune
    assert "$output" == "" "nothing dangling"
    run_kpod tag "$KPOD_TEST_REGISTRY/multilayer" "$KPOD_TEST_REGISTRY/busybox:latest"
    run_kpod images --format json
    assert "$(jq -r '[.[] | select(.Dangling)] | .[0].Id' <<<"$output")" == "$id" "busybox dangling"
    run_kpod image prune
    assert "$output" == "$id" "dangling image pruned"
    assert "$(ls -A "$KPOD_ROOT/image/tmp" | wc -l)" == 0 "temporary files removed"
    run_kpod image prune -a
    assert_store_empty
}

@test "image ls is images; completion offers image names" {
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    local id=$output
    run_kpod image ls --noheading --format '{{.Repository}} {{.ID}}'
    assert "$output" == "$KPOD_TEST_REGISTRY/busybox ${id:0:12}" "image ls with a template"
    run_kpod image list -q
    assert "$output" == "${id:0:12}" "alias list"
    run_kpod __complete images "$KPOD_TEST_REGISTRY/b"
    assert "$output" == "$KPOD_TEST_REGISTRY/busybox:latest" "name completion"
    run_kpod __complete images "${id:0:4}"
    assert "$output" == "${id:0:12}" "id completion"
    run_kpod 125 images --format '{{.Nope}}'
    assert "$output" =~ "no field '.Nope'" "bad template field"
    run_kpod image tag busybox again:1
    run_kpod image rm localhost/again:1
    assert "$output" == "Untagged: localhost/again:1" "image rm"
    run_kpod image pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    assert "$output" == "$id" "image pull"
}

@test "rmi refuses an image a container holds (exit 2) unless --force" {
    run_kpod pull -q "${REG_OPTS[@]}" "$KPOD_TEST_REGISTRY/busybox"
    local id=$output
    # The runtime marks images in use with kpod_image_hold(): holds/<id>/<container>.
    mkdir -p "$KPOD_ROOT/image/holds/$id"
    touch "$KPOD_ROOT/image/holds/$id/ctr1"
    run_kpod 2 rmi busybox
    assert "$output" =~ "image 'busybox' is in use by a container" "in use"
    run_kpod image prune -a
    assert "$output" == "" "prune keeps held images"
    run_kpod rmi -f busybox
    assert "$output" =~ "Deleted: $id" "forced"
}

@test "registries.conf: a mirror is tried first; a location rewrites the name's prefix" {
    local conf=$BATS_TEST_TMPDIR/registries.conf
    cat >"$conf" <<EOC
[[registry]]
prefix = "mirrored.invalid"
location = "mirrored.invalid"
insecure = true
[[registry.mirror]]
location = "$KPOD_TEST_REGISTRY"

[[registry]]
prefix = "alias.invalid/tools/box"
location = "$KPOD_TEST_REGISTRY/busybox"
insecure = true

[[registry]]
location = "$KPOD_TEST_REGISTRY"
insecure = true

[aliases]
  "bb" = "$KPOD_TEST_REGISTRY/busybox"
EOC
    export CONTAINERS_REGISTRIES_CONF=$conf
    run_kpod pull -q --retry 0 mirrored.invalid/multilayer
    local ml=$output
    run_kpod pull -q --retry 0 alias.invalid/tools/box
    run_kpod images --format '{{.Repository}}:{{.Tag}}'
    assert "$output" =~ "mirrored.invalid/multilayer:latest" "named as asked, fetched from the mirror"
    assert "$output" =~ "alias.invalid/tools/box:latest" "named as asked, fetched from the location"
    run_kpod image inspect --format '{{.Config.Cmd}}' alias.invalid/tools/box
    assert "$output" == '["sh"]' "it is busybox"
    assert "$ml" =~ '^[0-9a-f]{64}$' "mirror pull"
    run_kpod pull --retry 0 bb:latest
    assert "$output" =~ "Trying to pull $KPOD_TEST_REGISTRY/busybox:latest" "short-name alias"
    run_kpod image inspect --format '{{.RepoTags}}' bb
    assert "$output" =~ "\"$KPOD_TEST_REGISTRY/busybox:latest\"" "stored under the full name"
}
