#!/usr/bin/env bash
# Installs the Debian packages, builds clausterd in Release and runs it.
# Without -c it serves the embedded defaults on 127.0.0.1:7621 (projects under
# ~/projects, state in ~/.clauster). Extra arguments go to clausterd.
set -euo pipefail
source "$(dirname "$0")/common.sh"

install_packages "${CLAUSTER_PACKAGES[@]}"
build_dir="${CLAUSTER_BUILD_DIR:-$CLAUSTER_ROOT/build/release}"
log "building Release in $build_dir"
cmake -S "$CLAUSTER_ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCLAUSTER_BUILD_TESTS=OFF -DCLAUSTER_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target clausterd clauster -j "$(build_jobs)"
log "starting clausterd (Ctrl-C or SIGTERM stops it; agents it supervises keep running)"
exec "$build_dir/apps/clausterd" "$@"
