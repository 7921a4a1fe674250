#!/usr/bin/env bats
# kpod load and kpod save: OCI layouts, OCI archives, docker archives; round trips.

load helpers

@test "load an OCI layout, save it as an OCI archive skopeo reads, load that back" {
    run_kpod load -i "oci:$KPOD_TEST_IMAGES/busybox:latest"
    assert "$output" == "Loaded image: localhost/busybox:latest" "named after the layout"
    run_kpod images --format json
    local id digest
    id=$(jq -r '.[0].Id' <<<"$output")
    digest=$(jq -r '.[0].Digest' <<<"$output")
    assert "$digest" == "$(jq -r '.manifests[0].digest' "$KPOD_TEST_IMAGES/busybox/index.json")" \
        "manifest digest kept"
    run_kpod image inspect --format '{{.Config.Cmd}}' localhost/busybox
    assert "$output" == '["sh"]' "config"

    run_kpod save -o "$BATS_TEST_TMPDIR/bb.tar" busybox
    run skopeo inspect "oci-archive:$BATS_TEST_TMPDIR/bb.tar"
    assert "$status" == 0 "skopeo reads the archive: $output"
    assert "$(jq -r .Digest <<<"$output")" == "$digest" "same manifest digest"

    export KPOD_ROOT=$BATS_TEST_TMPDIR/root2
    run_kpod load -i "$BATS_TEST_TMPDIR/bb.tar"
    assert "$output" == "Loaded image: localhost/busybox:latest" "name from the annotation"
    run_kpod images -q --no-trunc
    assert "$output" == "$id" "same id after the round trip"
}

@test "docker-archive round trip keeps names and layers, whiteouts included" {
    run_kpod load -q -i "$KPOD_TEST_IMAGES/multilayer"
    assert "$output" == "" "quiet"
    run_kpod save --format docker-archive -o "$BATS_TEST_TMPDIR/ml.tar" localhost/multilayer
    run tar -xOf "$BATS_TEST_TMPDIR/ml.tar" manifest.json
    assert "$(jq -r '.[0].RepoTags[0]' <<<"$output")" == "localhost/multilayer:latest" "RepoTags"
    assert "$(jq -r '.[0].Layers | length' <<<"$output")" == 3 "three layers"
    run skopeo inspect "docker-archive:$BATS_TEST_TMPDIR/ml.tar"
    assert "$status" == 0 "skopeo reads the docker archive: $output"

    export KPOD_ROOT=$BATS_TEST_TMPDIR/root2
    run_kpod load -i "docker-archive:$BATS_TEST_TMPDIR/ml.tar"
    assert "$output" == "Loaded image: localhost/multilayer:latest"
    local top
    top=$(jq -r '.images[0].layers[-1]' "$KPOD_ROOT/image/index.json")
    assert "$(stat -c %F "$KPOD_ROOT/image/layers/$top/diff/data/a")" == "character special file" \
        "whiteout in overlay form"
}

@test "save to an OCI directory with several images" {
    run_kpod load -q -i "$KPOD_TEST_IMAGES/busybox"
    run_kpod load -q -i "$KPOD_TEST_IMAGES/multilayer"
    run_kpod save --format oci-dir -o "$BATS_TEST_TMPDIR/dir" localhost/busybox localhost/multilayer
    run jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' \
        "$BATS_TEST_TMPDIR/dir/index.json"
    assert "$output" == $'localhost/busybox:latest\nlocalhost/multilayer:latest' "both named"
    run skopeo inspect "oci:$BATS_TEST_TMPDIR/dir:localhost/multilayer:latest"
    assert "$status" == 0 "skopeo reads the layout: $output"
}

@test "load and save failures" {
    run_kpod 125 load
    assert "$output" =~ "--input FILE is needed" "no input"
    run_kpod 125 load -i "$BATS_TEST_TMPDIR/nothere.tar"
    assert "$output" =~ "Error: load '$BATS_TEST_TMPDIR/nothere.tar': No such file" "missing"
    echo "not an archive" >"$BATS_TEST_TMPDIR/junk"
    run_kpod 125 load -i "$BATS_TEST_TMPDIR/junk"
    assert "$output" =~ "Unrecognized archive format" "junk"
    run_kpod 125 load -i "oci:$KPOD_TEST_IMAGES/busybox:nosuchtag"
    assert "$output" =~ "no image tagged 'nosuchtag'" "unknown tag"
    # A layout whose blob does not match its digest.
    cp -a "$KPOD_TEST_IMAGES/busybox" "$BATS_TEST_TMPDIR/bad"
    local layer
    layer=$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/bad/index.json")
    layer=$(jq -r '.layers[0].digest' "$BATS_TEST_TMPDIR/bad/blobs/sha256/${layer#sha256:}")
    chmod u+w "$BATS_TEST_TMPDIR/bad/blobs/sha256/${layer#sha256:}"
    printf 'XXXX' | dd of="$BATS_TEST_TMPDIR/bad/blobs/sha256/${layer#sha256:}" bs=1 seek=50 \
        conv=notrunc status=none
    run_kpod 125 load -i "$BATS_TEST_TMPDIR/bad"
    assert "$output" =~ "digest mismatch" "tampered layout blob"
    run_kpod images -q
    assert "$output" == "" "nothing loaded"
    run_kpod 127 save -o "$BATS_TEST_TMPDIR/x.tar" nosuchimage
    assert "$output" =~ "image 'nosuchimage' not known" "unknown image"
    [ ! -e "$BATS_TEST_TMPDIR/x.tar" ] || die "no archive left behind"
    run_kpod 125 save --format zip -o "$BATS_TEST_TMPDIR/x.zip" nosuchimage
    assert "$output" =~ "unknown format 'zip'" "bad format"
}

@test "a docker archive whose files are symlinks out of it reads nothing outside" {
    local d=$BATS_TEST_TMPDIR/evil
    mkdir -p "$d"
    echo '{"rootfs": {"type": "layers", "diff_ids": []}}' >"$d/config.json"
    ln -s /etc/shadow "$d/layer.tar"
    echo '[{"Config": "config.json", "RepoTags": ["evil:latest"], "Layers": ["layer.tar"]}]' \
        >"$d/manifest.json"
    tar -C "$d" -cf "$BATS_TEST_TMPDIR/evil.tar" .
    run_kpod 125 load -i "docker-archive:$BATS_TEST_TMPDIR/evil.tar"
    assert "$output" =~ "layer.tar.*No such file or directory" "the symlink resolves inside"
    local shadow
    shadow=$(sha256sum /etc/shadow | cut -d' ' -f1)
    [ ! -e "$KPOD_ROOT/image/blobs/sha256/$shadow" ] || die "/etc/shadow copied into the store"
    run_kpod images -q
    assert "$output" == "" "nothing loaded"
}
