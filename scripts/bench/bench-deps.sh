#!/usr/bin/env bash
# Installs what the benchmarks need beyond Deno on a fresh Debian/Ubuntu
# machine: GNU time (/usr/bin/time -v: max RSS and wall time of a process,
# used by scripts/bench/process.ts). Quiet when all is present.
set -euo pipefail

need=()
[ -x /usr/bin/time ] || need+=(time)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "bench-deps: installing ${need[*]} (apt-get)" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "bench-deps: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
