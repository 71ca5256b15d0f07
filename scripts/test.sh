#!/usr/bin/env bash
# Installs the Debian packages, builds everything with warnings as errors,
# installs to a prefix and builds and runs examples/embed_core against it
# (find_package(clauster)), then runs the whole test suite.
# Soak/timeout tests carry the [soak] tag (ctest label `soak`) and run only with CLAUSTER_SLOW=1.
set -euo pipefail
source "$(dirname "$0")/common.sh"

install_packages "${CLAUSTER_PACKAGES[@]}"
build_dir="${CLAUSTER_BUILD_DIR:-$CLAUSTER_ROOT/build/ci}"
prefix="$build_dir-install"

log "configuring $build_dir"
cmake -S "$CLAUSTER_ROOT" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLAUSTER_WERROR=ON -DCMAKE_INSTALL_PREFIX="$prefix" >/dev/null
log "building"
cmake --build "$build_dir" -j "$(build_jobs)"

log "installing to $prefix and building examples/embed_core against it"
cmake --install "$build_dir" >/dev/null
cmake -S "$CLAUSTER_ROOT/examples/embed_core" -B "$build_dir/embed_core" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$build_dir/embed_core" -j "$(build_jobs)"
"$build_dir/embed_core/embed_core"
log "running tests"
exclude=()
[ "${CLAUSTER_SLOW:-0}" = 1 ] || exclude=(--label-exclude soak)
ctest --test-dir "$build_dir" --output-on-failure -j "$(build_jobs)" --timeout 300 "${exclude[@]}"

