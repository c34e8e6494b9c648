#!/usr/bin/env bash
# Installs what the test suite needs beyond Deno (fetched by npx) on a fresh
# Debian/Ubuntu machine: the openssl CLI (PKI interop proof), util-linux
# (mount, for the disk-full test on a small tmpfs) and curl (a real client of
# the hub's enrollment API). Quiet when all is present.
set -euo pipefail

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v mount >/dev/null 2>&1 || need+=(mount)
command -v curl >/dev/null 2>&1 || need+=(curl)
# ip (loopback in the compile-ready sandbox), systemd-analyze (unit verify).
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "test-deps: installing ${need[*]} (apt-get)" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "test-deps: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
