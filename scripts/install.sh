#!/usr/bin/env bash
# Install edge-runtime as a systemd service on a device (or into a device
# image mounted at --root). Idempotent: running it again updates the binary,
# the unit and the example config and keeps the operator's config and state.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh [options] BINARY

Installs BINARY (an edge-runtime single binary, e.g.
dist/edge-runtime-aarch64-linux) as a systemd service:

  /usr/local/bin/edge-runtime                     the binary (0755)
  system user and group edge-runtime              (no login, no home)
  /etc/edge-runtime/                              root:edge-runtime 0750
  /etc/edge-runtime/edge.yaml                     root:edge-runtime 0640, from the
                                                  example when missing (kept otherwise)
  /etc/edge-runtime/edge.example.yaml             every field with its default (0644)
  /etc/edge-runtime/join-token                    with --token-file: edge-runtime 0600
  /var/lib/edge-runtime/                          state, edge-runtime 0700
  /etc/systemd/system/edge-runtime.service        the unit, enabled (multi-user.target)

With --hub, the reference hub instead: user edge-runtime-hub,
/etc/edge-runtime-hub/hub.yaml, /var/lib/edge-runtime-hub,
edge-runtime-hub.service.

Options:
  --root DIR         install into the file system mounted at DIR (a device
                     image, or a test directory) instead of /; nothing is started
  --config FILE      install FILE as the config (replaces an existing one)
  --node-name NAME   node.name in a config generated from the example
  --token-file FILE  install FILE (a join token "<caHash>.<jwt>", from
                     `edge-runtime token create`) as /etc/edge-runtime/join-token;
                     the runtime enrolls with it on first start
  --hub              install the reference hub instead of the device runtime
  --start            on a live system (no --root): restart the service now
  --dry-run          print what would be done, change nothing
  -h, --help         this help

Must run as root (except --help and --dry-run).
Exit codes: 0 done, 1 failed, 2 usage error.
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}
usage_error() {
  echo "install.sh: $*" >&2
  echo "Run 'install.sh --help' for usage." >&2
  exit 2
}

SRC="$(cd "$(dirname "$0")/.." && pwd)"
argv=("$@")
root=/
binary=""
config=""
node_name=""
token_file=""
role=edge
start=no
dry=no
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help)
    usage
    exit 0
    ;;
  --root | --config | --node-name | --token-file)
    [ $# -ge 2 ] || usage_error "$1 needs a value"
    case "$1" in
    --root) root="$2" ;;
    --config) config="$2" ;;
    --node-name) node_name="$2" ;;
    --token-file) token_file="$2" ;;
    esac
    shift 2
    ;;
  --hub)
    role=hub
    shift
    ;;
  --start)
    start=yes
    shift
    ;;
  --dry-run)
    dry=yes
    shift
    ;;
  -*) usage_error "unknown option $1" ;;
  *)
    [ -z "$binary" ] || usage_error "unexpected argument $1 (one BINARY only)"
    binary="$1"
    shift
    ;;
  esac
done

[ -n "$binary" ] || usage_error "missing BINARY (e.g. dist/edge-runtime-aarch64-linux)"
if [ "$role" = hub ] && { [ -n "$token_file" ] || [ -n "$node_name" ]; }; then
  usage_error "--token-file and --node-name are for the device runtime, not --hub"
fi
if [ -n "$node_name" ] && ! [[ "$node_name" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ ]]; then
  usage_error "--node-name \"$node_name\" is not a lowercase DNS name"
fi
[ -f "$binary" ] && [ -s "$binary" ] || die "BINARY $binary: no such non-empty file"
[ -z "$config" ] || [ -f "$config" ] || die "--config $config: no such file"
if [ -n "$token_file" ]; then
  [ -f "$token_file" ] || die "--token-file $token_file: no such file"
  # Checked for shape only; never printed (it is a secret).
  if ! tr -d ' \n\r\t' <"$token_file" | grep -Eqx '[0-9a-f]{64}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+'; then
    die "--token-file $token_file does not hold a join token (<caHash>.<jwt> from 'edge-runtime token create')"
  fi
fi
[ -d "$root" ] || die "--root $root: no such directory"
root="$(cd "$root" && pwd)"
if [ "$dry" = no ] && [ "$(id -u)" -ne 0 ]; then
  die "must run as root (it creates a system user and writes /usr/local/bin, /etc and /var/lib); try: sudo $0 ${argv[*]}"
fi

if [ "$role" = hub ]; then
  name=edge-runtime-hub
  example="$SRC/config/hub.example.yaml"
  config_name=hub.yaml
else
  name=edge-runtime
  example="$SRC/config/edge.example.yaml"
  config_name=edge.yaml
fi
unit="$SRC/config/$name.service"
[ -f "$unit" ] || die "$unit missing (run install.sh from the edge-runtime source tree)"
[ -f "$example" ] || die "$example missing"
R="${root%/}" # prefix for paths on the target; "" for /
etc_dir="/etc/$name"
state_dir="/var/lib/$name"

# Every change goes through act: printed always, skipped with --dry-run.
act() {
  echo "+ $*"
  [ "$dry" = yes ] || "$@"
}

# The system user, in the target's /etc/passwd (useradd --prefix handles a
# mounted image as well as /).
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/passwd" 2>/dev/null; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/group" 2>/dev/null; }
if [ -z "$(uid_of "$name")" ]; then
  nologin=/usr/sbin/nologin
  [ -e "$R$nologin" ] || nologin=/bin/false
  act useradd --prefix "$root" --system --user-group --no-create-home \
    --home-dir "$state_dir" --shell "$nologin" --comment "$name service" "$name"
fi
if [ "$dry" = yes ] && [ -z "$(uid_of "$name")" ]; then
  owner="$name" # names are enough for printing
  group="$name"
else
  owner="$(uid_of "$name")"
  group="$(gid_of "$name")"
  [ -n "$owner" ] && [ -n "$group" ] || die "user $name missing from $R/etc/passwd or $R/etc/group after useradd"
fi

act install -d -m 0755 "$R/usr/local/bin" "$R/etc/systemd/system/multi-user.target.wants"
act install -m 0755 -o 0 -g 0 "$binary" "$R/usr/local/bin/edge-runtime"
act install -d -m 0750 -o 0 -g "$group" "$R$etc_dir"
act install -d -m 0700 -o "$owner" -g "$group" "$R$state_dir"
act install -m 0644 -o 0 -g 0 "$example" "$R$etc_dir/${config_name%.yaml}.example.yaml"

if [ -n "$config" ]; then
  act install -m 0640 -o 0 -g "$group" "$config" "$R$etc_dir/$config_name"
elif [ ! -e "$R$etc_dir/$config_name" ]; then
  # A config from the example; the device runtime waits for its token file.
  tmp="$(mktemp)"
  trap 'rm -f "$tmp"' EXIT
  if [ "$role" = hub ]; then
    cp "$example" "$tmp"
  else
    edits=(-e "/^identity:/,/^[a-z]/s|^  tokenFile: null\$|  tokenFile: $etc_dir/join-token|")
    [ -z "$node_name" ] || edits+=(-e "/^node:/,/^[a-z]/s|^  name: pi-1\$|  name: $node_name|")
    sed "${edits[@]}" "$example" >"$tmp"
  fi
  echo "+ generate $R$etc_dir/$config_name from ${example#"$SRC"/}${node_name:+ (node.name: $node_name)}"
  act install -m 0640 -o 0 -g "$group" "$tmp" "$R$etc_dir/$config_name"
else
  echo "= keep $R$etc_dir/$config_name"
fi

if [ -n "$token_file" ]; then
  act install -m 0600 -o "$owner" -g "$group" "$token_file" "$R$etc_dir/join-token"
fi

act install -m 0644 -o 0 -g 0 "$unit" "$R/etc/systemd/system/$name.service"
# What `systemctl enable` does for WantedBy=multi-user.target; works offline.
act ln -sfn "/etc/systemd/system/$name.service" \
  "$R/etc/systemd/system/multi-user.target.wants/$name.service"

if [ "$root" = / ] && [ -d /run/systemd/system ]; then
  act systemctl daemon-reload
  if [ "$start" = yes ]; then act systemctl restart "$name.service"; fi
fi

if [ "$dry" = yes ]; then
  echo "dry run: nothing was changed"
else
  echo "installed $name into $root"
  echo "next: edit $etc_dir/$config_name (check it: edge-runtime check-config --config $etc_dir/$config_name),"
  echo "      then: systemctl restart $name (on the device; it starts by itself on boot)"
fi
