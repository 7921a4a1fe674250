#!/usr/bin/env bats
# Manifest formats and platforms: OCI index / platform selection, unknown media types, and a
# store on a full file system.

load helpers

blob_put() { # layout file -> digest; copies file into the layout's blobs
    local layout=$1 file=$2 d
    d=$(sha256sum "$file" | cut -d' ' -f1)
    cp "$file" "$layout/blobs/sha256/$d"
    echo "sha256:$d"
}

# An OCI layout with an index of two platforms (amd64 = busybox, arm64 = the same layer with a
# config saying arm64/v8), pushed with skopeo --all as NAME.
push_multiarch() {
    local name=$1 l=$BATS_TEST_TMPDIR/multi
    cp -a "$KPOD_TEST_IMAGES/busybox" "$l"
    chmod -R u+w "$l"
    local m cfg
    m=$(jq -r '.manifests[0].digest' "$l/index.json")
    cfg=$(jq -r .config.digest "$l/blobs/sha256/${m#sha256:}")
    jq -c '.architecture = "arm64" | .variant = "v8"' "$l/blobs/sha256/${cfg#sha256:}" \
        >"$BATS_TEST_TMPDIR/cfg-arm64"
    local acfg asize
    acfg=$(blob_put "$l" "$BATS_TEST_TMPDIR/cfg-arm64")
    asize=$(stat -c %s "$BATS_TEST_TMPDIR/cfg-arm64")
    jq -c --arg d "$acfg" --argjson s "$asize" '.config.digest = $d | .config.size = $s' \
        "$l/blobs/sha256/${m#sha256:}" >"$BATS_TEST_TMPDIR/m-arm64"
    local am amsize msize
    am=$(blob_put "$l" "$BATS_TEST_TMPDIR/m-arm64")
    amsize=$(stat -c %s "$BATS_TEST_TMPDIR/m-arm64")
    msize=$(stat -c %s "$l/blobs/sha256/${m#sha256:}")
    jq -nc --arg a "$m" --argjson asz "$msize" --arg b "$am" --argjson bs "$amsize" '{
        schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $b, size: $bs,
           platform: {os: "linux", architecture: "arm64", variant: "v8"}},
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $a, size: $asz,
           platform: {os: "linux", architecture: "amd64"}}]}' >"$BATS_TEST_TMPDIR/index"
    local idx isize
    idx=$(blob_put "$l" "$BATS_TEST_TMPDIR/index")
    isize=$(stat -c %s "$BATS_TEST_TMPDIR/index")
    jq -nc --arg d "$idx" --argjson s "$isize" '{schemaVersion: 2, manifests: [{
        mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
        annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' >"$l/index.json"
    skopeo copy --quiet --all --insecure-policy --dest-tls-verify=false "oci:$l:latest" \
        "docker://$KPOD_TEST_REGISTRY/$name:latest" >&3
    echo "${cfg#sha256:} ${acfg#sha256:}"
}

@test "an OCI index: the host's platform by default, --arch/--platform choose another" {
    local ids amd arm
    ids=$(push_multiarch multiarch)
    amd=${ids% *}
    arm=${ids#* }
    run_kpod pull -q --tls-verify=false "$KPOD_TEST_REGISTRY/multiarch"
    assert "$output" == "$amd" "amd64 chosen on this host"
    run_kpod pull -q --tls-verify=false --arch arm64 "$KPOD_TEST_REGISTRY/multiarch"
    assert "$output" == "$arm" "--arch arm64"
    run_kpod image inspect --format '{{.Architecture}}/{{.Variant}}' "$arm"
    assert "$output" == "arm64/v8" "its config"
    run_kpod pull -q --tls-verify=false --platform linux/arm64/v8 "$KPOD_TEST_REGISTRY/multiarch"
    assert "$output" == "$arm" "--platform with variant"
    run_kpod 125 pull --tls-verify=false --platform linux/s390x "$KPOD_TEST_REGISTRY/multiarch"
    assert "$output" =~ "no image found in manifest list for platform linux/s390x" "no match"
    run_kpod images --format json
    assert "$(jq length <<<"$output")" == 2 "two images, the layer shared"
    assert "$(ls "$KPOD_ROOT/image/layers" | wc -l)" == 1 "one layer"
}

@test "an unknown layer media type is refused with its name" {
    local reg=http://$KPOD_TEST_REGISTRY
    local m
    m=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "$reg/v2/busybox/manifests/latest")
    local d
    for d in $(jq -r '.config.digest, .layers[].digest' <<<"$m"); do
        curl -sf -X POST "$reg/v2/weird/blobs/uploads/?mount=$d&from=busybox" -o /dev/null
    done
    jq -c '.layers[0].mediaType = "application/x-kpod-unknown"' <<<"$m" >"$BATS_TEST_TMPDIR/m"
    run curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary "@$BATS_TEST_TMPDIR/m" "$reg/v2/weird/manifests/latest"
    assert "$status" == 0 "registry took the manifest: $output"
    run_kpod 125 pull --tls-verify=false "$KPOD_TEST_REGISTRY/weird"
    assert "$output" =~ "unsupported layer media type 'application/x-kpod-unknown'" "named"
    run_kpod images -q
    assert "$output" == "" "nothing stored"
}

@test "a full file system: the pull fails cleanly and leaves nothing named" {
    local tiny=$BATS_TEST_TMPDIR/tiny
    mkdir -p "$tiny"
    mount -t tmpfs -o size=600k tmpfs "$tiny"
    export KPOD_ROOT=$tiny/root
    run_kpod 125 pull --retry 0 --tls-verify=false "$KPOD_TEST_REGISTRY/busybox"
    local out=$output
    run_kpod images -q
    local imgs=$output
    umount "$tiny"
    assert "$out" =~ "No space left on device|Failure writing output" "ENOSPC reported: $out"
    assert "$imgs" == "" "nothing named"
}
