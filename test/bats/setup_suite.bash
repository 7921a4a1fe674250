# Suite setup for kpod's bats tests, once per run: builds the test images offline from Debian's
# busybox-static, starts Debian's docker-registry on a free 127.0.0.1 port with its storage in a
# temp dir, and pushes the images with skopeo. Any failure fails the whole suite loudly.
# Exports:
#   KPOD_TEST_WORK      the suite's scratch dir (removed at the end)
#   KPOD_TEST_IMAGES    OCI layouts: $KPOD_TEST_IMAGES/busybox, $KPOD_TEST_IMAGES/multilayer
#   KPOD_TEST_REGISTRY  127.0.0.1:PORT serving busybox:latest and multilayer:latest (plain HTTP)
#   KPOD_TEST_REGISTRY_DIR  the registry's storage (tests may tamper with blobs there)

suite_die() {
    echo "# kpod test suite setup failed: $*" >&3
    echo "Error: test suite setup: $*" >&2
    return 1
}

start_registry() {
    local dir=$1 port tries
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + (RANDOM % 20000)))
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
        cat >"$dir/registry.yml" <<EOC
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOC
        docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
        echo $! >"$dir/registry.pid"
        local i
        for i in $(seq 1 100); do
            if curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
                export KPOD_TEST_REGISTRY=127.0.0.1:$port
                return 0
            fi
            kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
            sleep 0.05
        done
        kill "$(cat "$dir/registry.pid")" 2>/dev/null
        wait "$(cat "$dir/registry.pid")" 2>/dev/null
    done
    suite_die "docker-registry did not start: $(tail -n 3 "$dir/registry.log" 2>/dev/null)"
}

setup_suite() {
    local top
    top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
    export KPOD_TOP=$top
    export KPOD=${KPOD_BINARY:-$top/kpod}
    [ -x "$KPOD" ] || suite_die "no kpod binary at '$KPOD': run 'make'" || return 1
    local missing=() t
    for t in docker-registry skopeo umoci curl jq busybox; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] || suite_die "missing tools: ${missing[*]}: run 'make deps'" || return 1

    KPOD_TEST_WORK=$(mktemp -d "${TMPDIR:-/tmp}/kpod-suite.XXXXXX")
    export KPOD_TEST_WORK
    export KPOD_TEST_IMAGES=$KPOD_TEST_WORK/images
    "$top/hack/build-test-images.sh" "$KPOD_TEST_IMAGES" >"$KPOD_TEST_WORK/images.log" 2>&1 ||
        suite_die "building test images failed: $(tail -n 3 "$KPOD_TEST_WORK/images.log")" || return 1

    mkdir -p "$KPOD_TEST_WORK/registry"
    export KPOD_TEST_REGISTRY_DIR=$KPOD_TEST_WORK/registry/storage
    start_registry "$KPOD_TEST_WORK/registry" || return 1
    local img
    for img in busybox multilayer; do
        skopeo copy --quiet --insecure-policy --dest-tls-verify=false \
            "oci:$KPOD_TEST_IMAGES/$img:latest" "docker://$KPOD_TEST_REGISTRY/$img:latest" \
            >"$KPOD_TEST_WORK/push.log" 2>&1 ||
            suite_die "pushing '$img' failed: $(tail -n 3 "$KPOD_TEST_WORK/push.log")" || return 1
    done
}

teardown_suite() {
    if [ -n "${KPOD_TEST_WORK:-}" ]; then
        local pidfile=$KPOD_TEST_WORK/registry/registry.pid
        if [ -f "$pidfile" ]; then
            kill "$(cat "$pidfile")" 2>/dev/null
            wait "$(cat "$pidfile")" 2>/dev/null
        fi
        rm -rf "$KPOD_TEST_WORK"
    fi
    return 0
}
