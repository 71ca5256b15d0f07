# Shared by the bench/run_*_bench.sh scripts (sourced after scripts/common.sh).

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

check_range() {  # check_range <NAME> <value> <min> <max>
    [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3 && $2 <= $4)) && return 0
    die "$1 must be an integer in $3..$4, got '$2'"
}

# bench_build <ON|OFF: configure the tests (the fake claude lives there)> <targets...>
# Sets build_dir ($CLAUSTER_BUILD_DIR when given, else a Release build of the
# targets into <repo>/build/bench) and build_type; warns when it is not Release.
bench_build() {
    local tests=$1
    shift
    if [[ -n ${CLAUSTER_BUILD_DIR:-} ]]; then
        build_dir=$(cd -- "${CLAUSTER_BUILD_DIR}" && pwd) || die "CLAUSTER_BUILD_DIR=${CLAUSTER_BUILD_DIR} does not exist"
    else
        build_dir=${repo_dir}/build/bench
        log "building Release into ${build_dir}"
        cmake -S "${repo_dir}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
            -DCLAUSTER_BUILD_TESTS="${tests}" -DCLAUSTER_BUILD_EXAMPLES=OFF -DCLAUSTER_BUILD_BENCH=ON >&2
        cmake --build "${build_dir}" --target "$@" >&2
    fi
    build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "${build_dir}/CMakeCache.txt" 2>/dev/null || true)
    [[ ${build_type} == Release ]] ||
        log "warning: ${build_dir} is a '${build_type:-unknown}' build, not Release; numbers are not comparable"
}
