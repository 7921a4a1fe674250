#!/usr/bin/env bats
# The Bearer token flow (WWW-Authenticate realm/service/scope) against Debian's docker-registry
# configured for token auth, with a minimal token server written here: it issues RS256 JWTs
# (signed by openssl) that the registry verifies against the certificate it trusts.

load helpers

setup_file() {
    local dir=$BATS_FILE_TMPDIR/token
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kpod token issuer" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
    cat >"$dir/server.py" <<'EOP'
# Token server: Basic alice:s3cret gets what it asks for; anonymous gets pull on public repos.
import base64, json, subprocess, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
key, cert, log = sys.argv[2], sys.argv[3], open(sys.argv[4], "a", buffering=1)
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], capture_output=True).stdout
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        log.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization", "")}) + "\n")
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            if base64.b64decode(auth[6:]).decode() != "alice:s3cret":
                self.send_response(401); self.end_headers(); return
            user = "alice"
        access = []
        for s in q.get("scope", []):
            typ, name, actions = s.split(":")
            acts = actions.split(",")
            if user is None:
                acts = [a for a in acts if a == "pull" and not name.startswith("private/")]
            access.append({"type": typ, "name": name, "actions": acts})
        now = int(time.time())
        hdr = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "kpod-test-issuer", "sub": user or "", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(now), "access": access}
        signing = (b64(json.dumps(hdr).encode()) + "." + b64(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing,
                             capture_output=True).stdout
        body = json.dumps({"token": signing.decode() + "." + b64(sig)}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOP
    local tport=$((20000 + RANDOM % 20000)) rport=$((20000 + RANDOM % 20000))
    /usr/bin/python3 "$dir/server.py" "$tport" "$dir/key.pem" "$dir/cert.pem" "$dir/token.log" \
        >"$dir/server.out" 2>&1 &
    echo $! >"$dir/token.pid"
    cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$rport
auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: kpod-test-registry
    issuer: kpod-test-issuer
    rootcertbundle: $dir/cert.pem
EOC
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! >"$dir/registry.pid"
    local i
    for i in $(seq 1 100); do
        curl -s "http://127.0.0.1:$rport/v2/" -o /dev/null && curl -s "http://127.0.0.1:$tport/token" -o /dev/null && break
        sleep 0.05
    done
    export TOKEN_REG=127.0.0.1:$rport TOKEN_LOG=$dir/token.log
    local name
    for name in busybox private/busybox; do
        skopeo copy --quiet --insecure-policy --dest-tls-verify=false --dest-creds alice:s3cret \
            "oci:$KPOD_TEST_IMAGES/busybox:latest" "docker://$TOKEN_REG/$name:latest" >&3 2>&1
    done
}

teardown_file() {
    local f
    for f in token.pid registry.pid; do
        [ -f "$BATS_FILE_TMPDIR/token/$f" ] && kill "$(cat "$BATS_FILE_TMPDIR/token/$f")" 2>/dev/null
    done
    return 0
}

@test "Bearer: anonymous token for a public repository, with service and scope" {
    : >"$TOKEN_LOG"
    run_kpod pull -q --tls-verify=false "$TOKEN_REG/busybox"
    assert "$output" =~ '^[0-9a-f]{64}$' "pulled through the token flow"
    run grep -c 'scope=repository%3Abusybox%3Apull' "$TOKEN_LOG"
    assert "$output" -ge 1 "scope asked for"
    run grep -c 'service=kpod-test-registry' "$TOKEN_LOG"
    assert "$output" -ge 1 "service passed on"
    run grep -c '"auth": "Basic' "$TOKEN_LOG"
    assert "$output" == 0 "no credentials sent when none are configured"
}

@test "Bearer: a private repository needs credentials; wrong ones are named" {
    run_kpod 125 pull --retry 0 --tls-verify=false "$TOKEN_REG/private/busybox"
    assert "$output" =~ "authentication required: use 'kpod login' or --creds" "anonymous"
    run_kpod 125 pull --retry 0 --tls-verify=false --creds alice:wrong "$TOKEN_REG/private/busybox"
    assert "$output" =~ "invalid username or password" "wrong password"
    run_kpod images -q
    assert "$output" == "" "nothing stored"
    local auth=$BATS_TEST_TMPDIR/auth.json
    run_kpod login --tls-verify=false --authfile "$auth" -u alice -p s3cret "$TOKEN_REG"
    assert "$output" == "Login Succeeded!" "login checks with the token server"
    run_kpod 125 login --tls-verify=false --authfile "$auth" -u alice -p nope "$TOKEN_REG"
    assert "$output" =~ "invalid username or password" "login with a wrong password"
    run_kpod pull -q --tls-verify=false --authfile "$auth" "$TOKEN_REG/private/busybox"
    assert "$output" =~ '^[0-9a-f]{64}$' "pulled with the stored credentials"
}
