#!/usr/bin/env bash
# Installs every build, test and runtime dependency of kpod from Debian's packages.
# Idempotent and non-interactive: when everything is present it only checks, in well under
# a second. Set KPOD_DEPS_EXTRA to install more (the benchmark adds podman and friends).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(grep -v '^\s*\(#\|$\)' "$here/packages.txt")
# shellcheck disable=SC2206
pkgs+=(${KPOD_DEPS_EXTRA:-})

missing=()
while read -r name status; do
    [ "$status" = "installed" ] || missing+=("$name")
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${pkgs[@]}" 2>/dev/null || true)
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
# unique
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Error: deps: missing packages (${missing[*]}): run 'make deps' as root" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
