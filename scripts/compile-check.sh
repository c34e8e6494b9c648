#!/usr/bin/env bash
# Compile-ready check without denort: proves that `deno compile` of
# src/main.ts would give a working binary, on machines that cannot download
# Deno's denort base binary.
#
#   bash scripts/compile-check.sh     # as root; exit 0 when the smoke test passed
#
# 1. Copies the repository (the files git knows: tracked, plus untracked files
#    that are not ignored) to a temp dir outside the source tree.
# 2. Reads the binary's permission/unstable flags from the `cli` task
#    (scripts/_build.ts cliFlags, the same source `deno task compile` uses).
# 3. In a private mount + network namespace (unshare -m -n):
#    - the network is loopback only (no route anywhere else);
#    - every file system is remounted read-only; the only writable place is a
#      fresh tmpfs that becomes TMPDIR, where the demo puts the state dirs,
#      sockets and configs of the hub and the runtime;
#    - the source tree is hidden under an empty read-only tmpfs, so nothing
#      can reach back into it (as a binary could not);
#    then runs `deno task cli version` and the end-to-end smoke test
#    (`deno task demo`, which starts the hub and the runtime from src/main.ts
#    with exactly the cli task's flags) from the copy.
#
# Environment: DENO  the deno executable (default: the one `npx -y deno@2.9.6` runs)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
say() { echo "compile-check: $*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (it uses unshare -m -n and mount)"
for c in unshare mount ip git; do
  command -v "$c" >/dev/null 2>&1 || die "$c is missing"
done
DENO="${DENO:-$(npx -y deno@2.9.6 eval 'console.log(Deno.execPath())')}"
[ -x "$DENO" ] || die "DENO=$DENO is not executable"

work="$(mktemp -d /tmp/edge-runtime-compile-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
copy="$work/repo"
case "$copy/" in "$ROOT"/*) die "the copy $copy is inside the source tree $ROOT" ;; esac
mkdir -p "$copy" "$work/rw"

# 1. The copy.
n=0
while IFS= read -r -d '' f; do
  [ -e "$ROOT/$f" ] || continue # deleted in the work tree
  mkdir -p "$copy/$(dirname "$f")"
  cp -p "$ROOT/$f" "$copy/$f"
  n=$((n + 1))
done < <(git -C "$ROOT" ls-files -z --cached --others --exclude-standard)
say "copied $n files to $copy"

# Dependencies come from the lockfile into DENO_DIR now, like on a build host;
# the run below has no network and a read-only DENO_DIR.
(cd "$copy" && "$DENO" install --quiet --entrypoint src/main.ts scripts/demo.ts scripts/demo_workload.ts) ||
  die "deno install failed: cannot fetch the dependencies"

# 2. The flags.
flags="$(cd "$copy" && "$DENO" eval --quiet \
  'import { cliFlags } from "./scripts/_build.ts"; console.log((await cliFlags(Deno.cwd())).join(" "))')"
say "flags of the cli task: $flags"

# 3. The sandboxed run.
say "running from the copy: no network but loopback, read-only file systems except TMPDIR=$work/rw"
started=$(date +%s)
rc=0
unshare --mount --net --propagation private env \
  ROOT="$ROOT" COPY="$copy" RW="$work/rw" DENO="$DENO" NO_COLOR=1 \
  bash -euo pipefail -c '
ip link set lo up
# Every writable mount becomes read-only (already read-only ones stay as they are).
awk '"'"'$6 ~ /(^|,)rw(,|$)/ { print $5 }'"'"' /proc/self/mountinfo | sort -ru |
  while IFS= read -r m; do
    case "$m" in /proc | /proc/* | *\\*) continue ;; esac # procfs; escaped names
    mount -o remount,bind,ro "$m"
  done
mount -t tmpfs -o mode=1777,size=256m tmpfs "$RW"
mount -t tmpfs -o ro,size=4k tmpfs "$ROOT"
export TMPDIR="$RW"
# The sandbox holds, or the check means nothing.
fail() { echo "sandbox: $*" >&2; exit 1; }
for p in / "$HOME" "$COPY" /var/tmp /dev/shm; do
  if touch "$p/.compile-check-probe" 2>/dev/null; then fail "$p is writable"; fi
done
touch "$RW/.probe" && rm "$RW/.probe" || fail "TMPDIR $RW is not writable"
[ ! -e "$ROOT/deno.json" ] || fail "the source tree $ROOT is visible"
[ "$(ip -o link show up | cut -d: -f2 | tr -d " ")" = lo ] || fail "an interface other than lo is up"
if ip route get 192.0.2.1 >/dev/null 2>&1; then fail "a non-loopback address is routable"; fi
echo "sandbox: read-only except $RW; source tree hidden; network: lo only"
cd "$COPY"
echo "--- deno task cli version"
"$DENO" task --quiet cli version
echo "--- deno task demo"
"$DENO" task --quiet demo
' || rc=$?
elapsed=$(($(date +%s) - started))
[ "$rc" -eq 0 ] || die "the smoke test failed in the sandbox (exit $rc, ${elapsed} s)"
say "OK: the program runs from a copy outside the source tree with the cli task's flags, no network and no writes outside its state dir (${elapsed} s)"
