#!/usr/bin/env bash
# Installs the real Workload API clients the interop tests drive, each with
# its ordinary package client, into a cache directory (default
# ${TMPDIR:-/tmp}/edge-runtime-interop). Quiet when already present.
#
#   scripts/interop-deps.sh node        # @grpc/grpc-js + @grpc/proto-loader (npm) for a Node.js client
#   scripts/interop-deps.sh go          # go-spiffe harness (Go module proxy) + spiffe-helper (go install) + ghostunnel
#   scripts/interop-deps.sh ghostunnel  # ghostunnel only (Go module proxy, pinned by tests/interop/ghostunnel/go.sum)
#   scripts/interop-deps.sh all         # everything above
#
# Prints the cache directory on stdout.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${EDGE_INTEROP_CACHE:-${TMPDIR:-/tmp}/edge-runtime-interop}"
GRPC_JS_VERSION=1.14.7
PROTO_LOADER_VERSION=0.8.1
GO_SPIFFE_VERSION=v2.9.0
SPIFFE_HELPER_VERSION=v0.10.1

mkdir -p "$cache"
chmod 0755 "$cache"

install_node() {
  local dir="$cache/node"
  if [ -f "$dir/node_modules/@grpc/grpc-js/package.json" ] &&
    grep -q "\"version\": \"$GRPC_JS_VERSION\"" "$dir/node_modules/@grpc/grpc-js/package.json"; then
    return
  fi
  command -v npm >/dev/null || { echo "interop-deps: npm is required" >&2; exit 1; }
  mkdir -p "$dir"
  (cd "$dir" && [ -f package.json ] || echo '{"name":"edge-runtime-interop","private":true}' > package.json)
  (cd "$dir" && npm install --silent --no-audit --no-fund \
    "@grpc/grpc-js@$GRPC_JS_VERSION" "@grpc/proto-loader@$PROTO_LOADER_VERSION" >&2)
  chmod -R a+rX "$dir"
}

install_go() {
  command -v go >/dev/null || { echo "interop-deps: go is required" >&2; exit 1; }
  local bin="$cache/bin"
  mkdir -p "$bin"
  if [ ! -x "$bin/x509source" ] || [ "$here/tests/interop/go/main.go" -nt "$bin/x509source" ]; then
    (cd "$here/tests/interop/go" && \
      GOFLAGS=-mod=mod go build -o "$bin/x509source" . >&2)
  fi
  # spiffe-helper is optional: the module proxy reachable here refuses it
  # (403), so a failure is reported and the go-spiffe harness still runs.
  if [ ! -x "$bin/spiffe-helper" ] && [ ! -e "$bin/.spiffe-helper-unavailable" ]; then
    GOBIN="$bin" go install "github.com/spiffe/spiffe-helper/cmd/spiffe-helper@$SPIFFE_HELPER_VERSION" >&2 || {
      echo "interop-deps: spiffe-helper $SPIFFE_HELPER_VERSION could not be installed; skipping it" >&2
      touch "$bin/.spiffe-helper-unavailable"
    }
  fi
  chmod -R a+rX "$bin"
}

# ghostunnel is built from our module tests/interop/ghostunnel, which names
# it with a `tool` directive: `go install …@version` needs the module's
# version list, which the proxy here refuses. The committed go.sum pins every
# dependency, so the build needs no checksum-database lookup (sum.golang.org
# as reached here lacks go-landlock; its go.sum lines match ghostunnel
# v1.8.4's own go.sum).
install_ghostunnel() {
  command -v go >/dev/null || { echo "interop-deps: go is required" >&2; exit 1; }
  local bin="$cache/bin" mod="$here/tests/interop/ghostunnel"
  mkdir -p "$bin"
  if [ ! -x "$bin/ghostunnel" ] || [ "$mod/go.mod" -nt "$bin/ghostunnel" ] ||
    [ "$mod/go.sum" -nt "$bin/ghostunnel" ]; then
    (cd "$mod" && GOFLAGS=-mod=mod go build -o "$bin/ghostunnel" \
      github.com/ghostunnel/ghostunnel >&2)
  fi
  chmod -R a+rX "$bin"
}

case "${1:-all}" in
  node) install_node ;;
  go) install_go; install_ghostunnel ;;
  ghostunnel) install_ghostunnel ;;
  all) install_node; install_go; install_ghostunnel ;;
  *) echo "usage: $0 node|go|ghostunnel|all" >&2; exit 2 ;;
esac
echo "$cache"
