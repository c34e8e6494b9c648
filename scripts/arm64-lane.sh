#!/usr/bin/env bash
# arm64 test lane: runs the end-to-end smoke test (`deno task demo`: hub,
# bootstrap, SVID fetch, offline rotation, and the hub-link message once that
# exists) on aarch64 under qemu-user emulation, with the aarch64 Deno from npm.
#
#   bash scripts/arm64-lane.sh          # exit 0 when the demo passed on aarch64
#
# What it does (each step is skipped when already done, so reruns are quiet):
#   1. apt-get installs qemu-user, qemu-user-binfmt and the arm64 C libraries
#      (libc6-arm64-cross, libgcc-s1-arm64-cross -> /usr/aarch64-linux-gnu).
#   2. Registers qemu-aarch64 with binfmt_misc (mounting it if needed). This is
#      required: the demo starts the hub, the runtime and the workloads as child
#      processes of Deno.execPath(), which is the aarch64 deno, so the kernel
#      itself must hand aarch64 ELF files to qemu. Needs root (or sudo).
#   3. Unpacks the aarch64 Deno (`npm pack @deno/linux-arm64-glibc@VERSION`)
#      into the cache dir, trying 2.9.6 (the version we pin) first, then 2.9.5.
#   4. Prints Deno.build.target of the aarch64 deno and of a child process it
#      spawns, then runs `deno task demo` with it and fails if the demo fails.
#   5. Runs the libcrypto (FFI) P-256 test with Debian's arm64 libssl3
#      (downloaded from the Debian archive apt uses, unpacked into the cache).
#
# Environment:
#   EDGE_RUNTIME_ARM64_CACHE    cache dir (default ~/.cache/edge-runtime-arm64):
#                               unpacked deno, its DENO_DIR (npm packages, code cache)
#   EDGE_RUNTIME_TIMEOUT_SCALE  factor for the demo's waits (default 10 here;
#                               everything runs about 10x slower under qemu)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${EDGE_RUNTIME_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-runtime-arm64}"
VERSIONS=(2.9.6 2.9.5)
SYSROOT=/usr/aarch64-linux-gnu
BINFMT=/proc/sys/fs/binfmt_misc
TARGET=aarch64-unknown-linux-gnu

say() { echo "arm64-lane: $*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) for: $*"
  fi
}
started=$(date +%s)

# 1. Packages.
need=()
for p in qemu-user qemu-user-binfmt libc6-arm64-cross libgcc-s1-arm64-cross; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -e "$SYSROOT/lib/ld-linux-aarch64.so.1" ] || die "$SYSROOT/lib/ld-linux-aarch64.so.1 missing (libc6-arm64-cross)"

# 2. binfmt_misc: aarch64 ELF files run through qemu-aarch64, child processes too.
if [ ! -e "$BINFMT/register" ]; then
  say "mounting binfmt_misc on $BINFMT"
  as_root mount -t binfmt_misc binfmt_misc "$BINFMT" ||
    die "cannot mount binfmt_misc; child processes of the aarch64 deno could not run"
fi
if [ ! -e "$BINFMT/qemu-aarch64" ]; then
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -r "$conf" ] || die "$conf missing (qemu-user-binfmt)"
  say "registering qemu-aarch64 with binfmt_misc ($conf)"
  as_root sh -c "cat '$conf' > '$BINFMT/register'" || die "binfmt_misc registration refused"
fi
head -1 "$BINFMT/qemu-aarch64" | grep -qx enabled || die "$BINFMT/qemu-aarch64 is disabled"
[ "$(cat "$BINFMT/status")" = enabled ] || die "binfmt_misc is disabled ($BINFMT/status)"

# 3. The aarch64 Deno from npm, cached.
mkdir -p "$CACHE"
deno=""
for v in "${VERSIONS[@]}"; do
  if [ -x "$CACHE/deno-$v/deno" ]; then
    deno="$CACHE/deno-$v/deno"
    break
  fi
  tmp=$(mktemp -d "$CACHE/pack.XXXXXX")
  if (cd "$tmp" && npm pack --loglevel=error "@deno/linux-arm64-glibc@$v" >/dev/null 2>"$tmp/err"); then
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/deno
    mkdir -p "$CACHE/deno-$v"
    mv "$tmp/package/deno" "$CACHE/deno-$v/deno"
    rm -rf "$tmp"
    deno="$CACHE/deno-$v/deno"
    break
  fi
  say "@deno/linux-arm64-glibc@$v is not on the npm registry ($(grep -m1 -o 'notarget.*\|E[0-9][0-9][0-9].*' "$tmp/err" || echo 'npm pack failed'))"
  rm -rf "$tmp"
done
[ -n "$deno" ] || die "no aarch64 deno among ${VERSIONS[*]}"
version=$(basename "$(dirname "$deno")")
if [ "$version" = "deno-${VERSIONS[0]}" ]; then
  say "aarch64 deno ${VERSIONS[0]} (matches the pinned version): $deno"
else
  say "aarch64 deno ${version#deno-} (fallback: ${VERSIONS[0]} has no arm64 package on npm): $deno"
fi

export QEMU_LD_PREFIX="$SYSROOT"
export DENO_DIR="$CACHE/deno-dir"
export EDGE_RUNTIME_TIMEOUT_SCALE="${EDGE_RUNTIME_TIMEOUT_SCALE:-10}"
export NO_COLOR=1

# 4. Prove the architecture (the process and a child of Deno.execPath()).
arch=$("$deno" eval '
const child = await new Deno.Command(Deno.execPath(), {
  args: ["eval", "console.log(Deno.build.target)"],
}).output();
console.log(`Deno.build.target=${Deno.build.target} deno=${Deno.version.deno}`);
console.log(`child Deno.build.target=${new TextDecoder().decode(child.stdout).trim()}`);
')
echo "$arch"
grep -qx "Deno.build.target=$TARGET deno=.*" <<<"$arch" || die "the deno is not $TARGET"
grep -qx "child Deno.build.target=$TARGET" <<<"$arch" || die "child processes do not run as $TARGET"

say "running the end-to-end smoke test (deno task demo) on $TARGET under qemu-user"
cd "$ROOT"
rc=0
"$deno" task --quiet demo || rc=$?
elapsed=$(($(date +%s) - started))
if [ "$rc" -ne 0 ]; then
  die "the demo exited $rc on $TARGET (lane took ${elapsed} s)"
fi
say "OK: the demo passed on $TARGET in ${elapsed} s"

# 5. The native P-256 path (src/pki/_openssl.ts: OpenSSL's libcrypto over
#    FFI, which the runtime opens under load) on aarch64: Debian's arm64
#    libssl3 of the version apt offers this machine, unpacked into the cache
#    (not installed: the sysroot has no libssl).
ssl_dir="$CACHE/libssl3-arm64"
ssl_lib="$ssl_dir/usr/lib/aarch64-linux-gnu"
if [ ! -e "$ssl_lib/libcrypto.so.3" ]; then
  file=$(apt-cache show --no-all-versions libssl3 2>/dev/null | sed -n 's/^Filename: //p' | head -1)
  if [ -z "$file" ]; then
    as_root apt-get update -qq
    file=$(apt-cache show --no-all-versions libssl3 | sed -n 's/^Filename: //p' | head -1)
  fi
  [ -n "$file" ] || die "apt knows no libssl3 package"
  file="${file%_*.deb}_arm64.deb"
  got=""
  for base in $(apt-cache policy libssl3 | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^https?:/ {print $2}' | sort -u) \
    http://deb.debian.org/debian-security http://deb.debian.org/debian; do
    if curl -fsSL --max-time 120 -o "$CACHE/libssl3-arm64.deb" "$base/$file" 2>/dev/null; then
      got="$base/$file"
      break
    fi
  done
  [ -n "$got" ] || die "cannot download $file (arm64 libssl3) from Debian"
  say "unpacking $got"
  rm -rf "$ssl_dir"
  dpkg-deb -x "$CACHE/libssl3-arm64.deb" "$ssl_dir"
  rm -f "$CACHE/libssl3-arm64.deb"
fi
say "running the libcrypto (FFI) signer test on $TARGET"
LD_LIBRARY_PATH="$ssl_lib" "$deno" test --quiet --allow-all src/pki/_openssl_test.ts ||
  die "the libcrypto signer test failed on $TARGET"
say "OK: libcrypto keys and signatures work on $TARGET"
