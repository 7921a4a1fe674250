#!/usr/bin/env bats
# TLS with a self-signed CA and htpasswd Basic auth on a second docker-registry: login,
# logout, --creds, --authfile, --cert-dir, and their failures.

load helpers

setup_file() {
    local dir=$BATS_FILE_TMPDIR/tlsreg
    mkdir -p "$dir/certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kpod test CA" \
        -keyout "$dir/ca.key" -out "$dir/certs/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" \
        -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/certs/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 2 -extfile "$dir/ext" -out "$dir/server.crt" 2>/dev/null
    /usr/bin/python3 -c 'import crypt; print("alice:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
        >"$dir/htpasswd" 2>/dev/null
    local port i
    for i in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 20000))
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
  addr: 127.0.0.1:$port
  tls:
    certificate: $dir/server.crt
    key: $dir/server.key
auth:
  htpasswd:
    realm: kpod-test
    path: $dir/htpasswd
EOC
        docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
        echo $! >"$dir/pid"
        local k
        for k in $(seq 1 100); do
            curl -s --cacert "$dir/certs/ca.crt" "https://127.0.0.1:$port/v2/" -o /dev/null &&
                break
            sleep 0.05
        done
        if curl -s --cacert "$dir/certs/ca.crt" "https://127.0.0.1:$port/v2/" -o /dev/null; then
            break
        fi
        kill "$(cat "$dir/pid")" 2>/dev/null || true
    done
    export TLS_REG=127.0.0.1:$port TLS_CERTS=$dir/certs
    skopeo copy --quiet --insecure-policy --dest-cert-dir "$dir/certs" --dest-creds alice:s3cret \
        "oci:$KPOD_TEST_IMAGES/busybox:latest" "docker://$TLS_REG/busybox:latest" >&3 2>&1
}

teardown_file() {
    local pid=$BATS_FILE_TMPDIR/tlsreg/pid
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
}

@test "TLS registry: unknown CA refused, anonymous refused, --creds with --cert-dir works" {
    run_kpod 125 pull --retry 0 "$TLS_REG/busybox"
    assert "$output" =~ "Error: pull '$TLS_REG/busybox': ping registry '$TLS_REG'" "CA unknown"
    assert "$output" =~ "certificate" "names the certificate problem"
    run_kpod 125 pull --retry 0 --cert-dir "$TLS_CERTS" "$TLS_REG/busybox"
    assert "$output" =~ "authentication required: use 'kpod login' or --creds" "anonymous"
    run_kpod 125 pull --retry 0 --cert-dir "$TLS_CERTS" --creds alice:wrong "$TLS_REG/busybox"
    assert "$output" =~ "invalid username or password" "wrong password"
    run_kpod images -q
    assert "$output" == "" "nothing stored"
    run_kpod pull -q --cert-dir "$TLS_CERTS" --creds alice:s3cret "$TLS_REG/busybox"
    assert "$output" =~ '^[0-9a-f]{64}$' "pulled with --creds"
}

@test "login stores credentials that pull uses; logout removes them" {
    local auth=$BATS_TEST_TMPDIR/auth.json
    run_kpod 125 login --cert-dir "$TLS_CERTS" --authfile "$auth" -u alice -p wrong "$TLS_REG"
    assert "$output" =~ "Error: login to '$TLS_REG': invalid username or password" "wrong"
    [ ! -e "$auth" ] || die "nothing written on failure"
    run bash -c "echo s3cret | '$KPOD' login --cert-dir '$TLS_CERTS' --authfile '$auth' -u alice --password-stdin '$TLS_REG'"
    assert "$status" == 0 "login: $output"
    assert "$output" == "Login Succeeded!" "login output"
    assert "$(stat -c %a "$auth")" == 600 "auth file mode"
    assert "$(jq -r --arg r "$TLS_REG" '.auths[$r].auth' "$auth" | base64 -d)" == "alice:s3cret"
    run_kpod pull -q --cert-dir "$TLS_CERTS" --authfile "$auth" "$TLS_REG/busybox"
    run_kpod images --format '{{.Repository}}'
    assert "$output" == "$TLS_REG/busybox" "pulled with the stored credentials"

    # REGISTRY_AUTH_FILE is the default auth file.
    REGISTRY_AUTH_FILE=$auth run_kpod logout "$TLS_REG"
    assert "$output" == "Removed login credentials for $TLS_REG"
    run_kpod 125 logout --authfile "$auth" "$TLS_REG"
    assert "$output" =~ "not logged into '$TLS_REG'" "second logout"
    run_kpod 125 pull --retry 0 --cert-dir "$TLS_CERTS" --authfile "$auth" "$TLS_REG/busybox:other"
    assert "$output" =~ "authentication required" "credentials gone"
    run_kpod logout --authfile "$auth" --all
}

@test "login argument errors" {
    run_kpod 125 login -u alice "$TLS_REG" </dev/null
    assert "$output" =~ "--password or --password-stdin is needed" "no password"
    run_kpod 125 login -u alice -p x --password-stdin "$TLS_REG"
    assert "$output" =~ "cannot be combined" "both"
    run_kpod 125 login -u alice -p x "$TLS_REG/busybox"
    assert "$output" =~ "is not a registry host" "a repository, not a registry"
    run_kpod 125 logout
    assert "$output" =~ "give either a registry or --all" "logout needs an argument"
}
