#!/usr/bin/env bats
# Transient faults between kpod and the real registry, injected by a small HTTP proxy written
# here: a 503 on the first request of each blob, a connection cut halfway through the second;
# kpod must retry with backoff, resume with Range, and verify the result.

load helpers

setup_file() {
    local dir=$BATS_FILE_TMPDIR/faults
    mkdir -p "$dir"
    cat >"$dir/proxy.py" <<'EOP'
import http.client, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
upstream, log, mode = sys.argv[2], open(sys.argv[3], "a", buffering=1), sys.argv[4]
seen = {}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        n = seen[self.path] = seen.get(self.path, 0) + 1
        blob = "/blobs/" in self.path
        log.write(json.dumps({"path": self.path, "n": n, "range": self.headers.get("Range")}) + "\n")
        if blob and mode == "always503":
            return self.fail()
        if mode == "manifests" and "/manifests/" in self.path:
            return self.crafted()
        if blob and n == 1:
            return self.fail()
        c = http.client.HTTPConnection(upstream)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() in ("accept", "range", "authorization")}
        c.request("GET", self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if blob and n == 2 and len(body) > 1000:
            self.wfile.write(body[: len(body) // 2]); self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)
    def crafted(self):
        repo = self.path.split("/")[2]
        if repo == "big":
            body, ctype = b'{"schemaVersion": 2, "pad": "' + b"x" * (5 << 20) + b'"}', \
                "application/vnd.oci.image.manifest.v1+json"
        elif repo == "schema1":
            body, ctype = b'{"schemaVersion": 1, "name": "schema1", "tag": "latest", "fsLayers": []}', \
                "application/vnd.docker.distribution.manifest.v1+prettyjws"
        else:
            body, ctype = b'{"schemaVersion": 2}', "application/vnd.example.unknown+json"
        self.send_response(200); self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def fail(self):
        self.send_response(503); self.send_header("Content-Length", "0"); self.end_headers()
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOP
    local p1=$((20000 + RANDOM % 20000)) p2=$((20000 + RANDOM % 20000))
    /usr/bin/python3 "$dir/proxy.py" "$p1" "$KPOD_TEST_REGISTRY" "$dir/flaky.log" flaky \
        >"$dir/p1.out" 2>&1 &
    echo $! >"$dir/p1.pid"
    /usr/bin/python3 "$dir/proxy.py" "$p2" "$KPOD_TEST_REGISTRY" "$dir/down.log" always503 \
        >"$dir/p2.out" 2>&1 &
    echo $! >"$dir/p2.pid"
    local i
    for i in $(seq 1 100); do
        curl -s "http://127.0.0.1:$p1/v2/" -o /dev/null && curl -s "http://127.0.0.1:$p2/v2/" -o /dev/null && break
        sleep 0.05
    done
    local p3=$((20000 + RANDOM % 20000))
    /usr/bin/python3 "$dir/proxy.py" "$p3" "$KPOD_TEST_REGISTRY" "$dir/m.log" manifests \
        >"$dir/p3.out" 2>&1 &
    echo $! >"$dir/p3.pid"
    for i in $(seq 1 100); do
        curl -s "http://127.0.0.1:$p3/v2/" -o /dev/null && break
        sleep 0.05
    done
    export FLAKY_REG=127.0.0.1:$p1 FLAKY_LOG=$dir/flaky.log DOWN_REG=127.0.0.1:$p2
    export CRAFTED_REG=127.0.0.1:$p3
}

teardown_file() {
    local f
    for f in p1.pid p2.pid p3.pid; do
        [ -f "$BATS_FILE_TMPDIR/faults/$f" ] && kill "$(cat "$BATS_FILE_TMPDIR/faults/$f")" 2>/dev/null
    done
    return 0
}

@test "503 then a cut connection: retried with backoff, resumed with Range, verified" {
    run_kpod pull -q --tls-verify=false --retry-delay 50ms "$FLAKY_REG/multilayer"
    local id=$output
    assert "$id" =~ '^[0-9a-f]{64}$' "pulled despite the faults"
    run jq -r 'select(.path | test("/blobs/")) | select(.n == 3) | .range' "$FLAKY_LOG"
    assert "$output" =~ "bytes=[1-9][0-9]*-" "third request of the big layer asks for the rest"
    run_kpod image inspect --format '{{.RootFS.Layers}}' "$id"
    assert "$output" =~ "sha256:" "layers recorded"
    "$KPOD_ROOT/image/layers/$(jq -r '.images[0].layers[0]' "$KPOD_ROOT/image/index.json")/diff/bin/busybox" true
}

@test "a registry that keeps failing: the pull gives up after --retry attempts" {
    run_kpod 125 pull --tls-verify=false --retry 2 --retry-delay 10ms "$DOWN_REG/busybox"
    assert "$output" =~ "Error: pull '$DOWN_REG/busybox': fetch config" "names the step"
    assert "$output" =~ "HTTP 503" "names the status"
    run_kpod images -q
    assert "$output" == "" "nothing stored"
}

@test "manifests: too large, Docker schema 1, unknown media type" {
    run_kpod 125 pull --tls-verify=false "$CRAFTED_REG/big"
    assert "$output" =~ "Error: pull '$CRAFTED_REG/big': fetch manifest: .*response larger than 4194304 bytes" \
        "too large"
    run_kpod 125 pull --tls-verify=false "$CRAFTED_REG/schema1"
    assert "$output" =~ "manifest is Docker schema 1, which kpod does not support" "schema 1"
    run_kpod 125 pull --tls-verify=false "$CRAFTED_REG/weirdtype"
    assert "$output" =~ "unsupported manifest media type 'application/vnd.example.unknown\+json'" \
        "unknown type"
    run_kpod images -q
    assert "$output" == "" "nothing stored"
}
