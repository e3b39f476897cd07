#!/usr/bin/env bash
# Makes (once) and caches the Debian bullseye roots the packaging scripts use,
# and fetches the official Node binaries they run. Nothing here lives in the
# repository: everything goes under $OFFHEAP_PLATFORM_CACHE
# (default ~/.cache/offheap-platforms), so a second run costs nothing and a
# fresh machine builds it all from scratch (needs root, debootstrap and the
# network to Debian's mirror and the npm registry).
#
#   bullseye-run    debootstrap --variant=minbase: glibc 2.31, libstdc++, no
#                   compiler. Where the x64 prebuild is installed and loaded.
#   bullseye-build  minbase + g++ make python3 g++-aarch64-linux-gnu: where
#                   both linux prebuilds are compiled (gcc 10, glibc 2.31
#                   headers), so they never bind to symbols newer than
#                   bullseye's. Its /usr/aarch64-linux-gnu (Debian's arm64
#                   cross glibc 2.31 + libstdc++) is also the sysroot qemu
#                   runs the arm64 Node in.
#   node-<ver>-<arch>  official Node from the npm registry's node-linux-<arch>
#
# Usage: scripts/platform-root.sh [run|build|node-x64|node-arm64|all]...
# Prints nothing on stdout but the paths asked for (one per line).
set -euo pipefail

CACHE="${OFFHEAP_PLATFORM_CACHE:-$HOME/.cache/offheap-platforms}"
SUITE=bullseye
MIRROR="${OFFHEAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_VERSION="${OFFHEAP_PLATFORM_NODE:-20.20.2}"
BUILD_PKGS=g++,make,python3,g++-aarch64-linux-gnu,binutils-aarch64-linux-gnu
mkdir -p "$CACHE/debs"

log() { echo "platform-root: $*" >&2; }

need_root() {
  if [ "$(id -u)" != 0 ]; then
    log "making a debootstrap root needs root (chroot, mknod); run as root or provide $CACHE/$1"
    exit 3
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "debootstrap is not installed (apt-get install debootstrap)"
    exit 3
  fi
}

# one maker at a time per cache (the pack test and test:platforms may race)
exec 9>"$CACHE/.lock"
flock 9

make_root() { # name include-list
  local name=$1 include=$2 dir="$CACHE/$SUITE-$1" stamp="$CACHE/$SUITE-$1/.offheap-ready"
  local want="$SUITE $include"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then echo "$dir"; return; fi
  need_root "$SUITE-$name"
  log "debootstrap $SUITE ($name: minbase${include:+ + $include}) into $dir"
  local t0=$SECONDS
  rm -rf "$dir" "$dir.tmp"
  debootstrap --variant=minbase ${include:+--include=$include} --cache-dir="$CACHE/debs" \
    "$SUITE" "$dir.tmp" "$MIRROR" >"$CACHE/$SUITE-$name.log" 2>&1 || {
    log "debootstrap failed; last lines of $CACHE/$SUITE-$name.log:"; tail -20 "$CACHE/$SUITE-$name.log" >&2; exit 1; }
  cp /etc/resolv.conf "$dir.tmp/etc/resolv.conf" 2>/dev/null || true
  mv "$dir.tmp" "$dir"
  echo "$want" >"$stamp"
  log "$SUITE-$name ready in $((SECONDS - t0)) s"
  echo "$dir"
}

fetch_node() { # arch
  local arch=$1 dir="$CACHE/node-$NODE_VERSION-$1"
  if [ -x "$dir/bin/node" ]; then echo "$dir"; return; fi
  log "fetching node-linux-$arch@$NODE_VERSION from the npm registry"
  local tmp; tmp=$(mktemp -d "$CACHE/.node.XXXXXX")
  # Inside an npm lifecycle (prepack of `npm pack --json --pack-destination X`,
  # `npm publish --dry-run`) the outer command's options arrive as npm_config_*
  # variables and would steer this inner npm: drop all but registry/TLS/cache.
  (
    for v in $(compgen -e | grep '^npm_config_' || true); do
      case "$v" in
        npm_config_registry | npm_config_cafile | npm_config_ca | npm_config_strict_ssl | npm_config_*proxy | npm_config_cache | npm_config_userconfig | npm_config_globalconfig) ;;
        *) unset "$v" ;;
      esac
    done
    cd "$tmp" && npm pack --loglevel=error "node-linux-$arch@$NODE_VERSION" >/dev/null
  )
  ls "$tmp"/node-linux-"$arch"-*.tgz >/dev/null 2>&1 || { log "npm pack node-linux-$arch@$NODE_VERSION gave no tarball"; exit 1; }
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp/x"
  rm -rf "$dir" && mv "$tmp/x/package" "$dir" && rm -rf "$tmp"
  echo "$dir"
}

[ $# -gt 0 ] || set -- all
for what in "$@"; do
  case "$what" in
    run) make_root run "" ;;
    build) make_root build "$BUILD_PKGS" ;;
    node-x64) fetch_node x64 ;;
    node-arm64) fetch_node arm64 ;;
    all) make_root run ""; make_root build "$BUILD_PKGS"; fetch_node x64; fetch_node arm64 ;;
    *) log "unknown: $what"; exit 2 ;;
  esac
done
