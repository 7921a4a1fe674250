#!/usr/bin/env bats
# The suite's real registry serves the offline-built images.

load helpers

@test "the test registry serves the busybox manifest, config and layers" {
    local reg=http://$KPOD_TEST_REGISTRY
    run curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "$reg/v2/busybox/manifests/latest"
    assert "$status" == 0 "curl manifest"
    local manifest=$output
    assert "$(jq -r .schemaVersion <<<"$manifest")" == 2 "schemaVersion"
    assert "$(jq -r '.layers | length' <<<"$manifest")" == 1 "busybox has one layer"
    local cfg
    cfg=$(jq -r .config.digest <<<"$manifest")
    run curl -sf "$reg/v2/busybox/blobs/$cfg"
    assert "$status" == 0 "curl config blob"
    assert "$(jq -c .config.Cmd <<<"$output")" == '["sh"]' "Cmd is sh"
    assert "$(jq -r .config.Entrypoint <<<"$output")" == null "no Entrypoint"
    local layer
    layer=$(jq -r '.layers[0].digest' <<<"$manifest")
    curl -sf "$reg/v2/busybox/blobs/$layer" -o "$BATS_TEST_TMPDIR/layer.tgz"
    assert "sha256:$(sha256sum "$BATS_TEST_TMPDIR/layer.tgz" | cut -d' ' -f1)" == "$layer" \
        "layer digest"
    run tar -tzf "$BATS_TEST_TMPDIR/layer.tgz"
    assert "$output" =~ "bin/busybox" "layer holds busybox"
    assert "$output" =~ "etc/passwd" "layer holds /etc/passwd"
}

@test "the multi-layer image carries a whiteout and an opaque directory" {
    local reg=http://$KPOD_TEST_REGISTRY
    local manifest
    manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
        "$reg/v2/multilayer/manifests/latest")
    assert "$(jq -r '.layers | length' <<<"$manifest")" == 3 "three layers"
    local top
    top=$(jq -r '.layers[2].digest' <<<"$manifest")
    run bash -c "curl -sf '$reg/v2/multilayer/blobs/$top' | tar -tz"
    assert "$output" =~ "data/.wh.a" "whiteout of /data/a"
    assert "$output" =~ "opaque/.wh..wh..opq" "opaque marker"
}

@test "the registry answers 404 for a missing image" {
    run curl -s -o /dev/null -w '%{http_code}' "http://$KPOD_TEST_REGISTRY/v2/nosuch/manifests/latest"
    assert "$output" == 404
}
