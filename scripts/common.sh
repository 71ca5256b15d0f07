# Shared by the scripts in this directory: sourced, not run.
# shellcheck shell=bash

CLAUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages the build, the tests and the benchmark need.
CLAUSTER_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlitecpp-dev libsqlite3-dev libcli11-dev catch2 libyaml-cpp-dev libsodium-dev
)

# Only bench/ needs these: a load generator, the nginx baseline and curl.
CLAUSTER_BENCH_PACKAGES=(wrk nginx-light curl iproute2)

log() { printf '==> %s\n' "$*" >&2; }

# Installs what is missing, and only that: a second run touches nothing.
install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages already installed"
    return 0
  fi
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  log "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_jobs() { nproc 2>/dev/null || echo 2; }
