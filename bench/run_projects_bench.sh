#!/usr/bin/env bash
# Load benchmark: `GET /api/v1/projects` (Bearer token) against clausterd, next to
# nginx serving a static file of the same size in the same run. Prints requests/s,
# p50 and p99 for both plus the clausterd/nginx ratio, and writes the same as JSON
# to bench/results/projects-<UTC stamp>.json. See docs/benchmarks.md.
#
# Loopback only (127.0.0.1); every step is bounded in time; everything it starts
# is stopped and its temp dir removed on exit, whatever happens.
#
# Environment (all optional):
#   CLAUSTER_BUILD_DIR   existing build dir holding apps/clausterd and apps/clauster
#                        (default: configure + build Release into <repo>/build/bench)
#   CLAUSTERD_BIN, CLAUSTER_BIN  the binaries (default: <build dir>/apps/clausterd, .../clauster)
#   BENCH_DURATION       seconds per measured wrk run          (default 10)
#   BENCH_ROUNDS         measured runs per server, alternating the order
#                        (n,c / c,n / ...); the best run of each counts  (default 2)
#   BENCH_CONNECTIONS    concurrent connections                (default 32)
#   BENCH_THREADS        wrk threads                           (default 1)
#   BENCH_WARMUP         seconds of warm-up per server         (default 2)
#   BENCH_PROJECTS       project directories to create         (default 50)
#   BENCH_PIN            1: pin servers to the last CPU and wrk to CPU 0 when
#                        there are >= 2 CPUs; 0: no pinning    (default 1)
#   BENCH_LOG_LEVEL      clausterd log_level (it logs every request at info;
#                        nginx's access_log is off)            (default info)
#   BENCH_RESULTS_DIR    where the JSON (and the raw wrk output) goes
#                                                              (default <repo>/bench/results)
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd -- "${script_dir}/.." && pwd)
# shellcheck source=../scripts/common.sh
source "${repo_dir}/scripts/common.sh"
# shellcheck source=lib.sh
source "${script_dir}/lib.sh"

duration=${BENCH_DURATION:-10}
duration=${duration%s}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-1}
rounds=${BENCH_ROUNDS:-2}
warmup=${BENCH_WARMUP:-2}
warmup=${warmup%s}
project_count=${BENCH_PROJECTS:-50}
pin=${BENCH_PIN:-1}
log_level=${BENCH_LOG_LEVEL:-info}
results_dir=${BENCH_RESULTS_DIR:-${repo_dir}/bench/results}

check_range BENCH_DURATION "${duration}" 1 600
check_range BENCH_CONNECTIONS "${connections}" 1 1000
check_range BENCH_THREADS "${threads}" 1 "${connections}"
check_range BENCH_ROUNDS "${rounds}" 1 5
check_range BENCH_WARMUP "${warmup}" 0 60
check_range BENCH_PROJECTS "${project_count}" 1 1000
[[ ${log_level} =~ ^(debug|info|warning|error)$ ]] || die "BENCH_LOG_LEVEL must be debug, info, warning or error"

# The load tools come from Debian, installed idempotently like the build's packages.
install_packages "${CLAUSTER_PACKAGES[@]}" "${CLAUSTER_BENCH_PACKAGES[@]}"
for tool in wrk nginx curl ss timeout; do
    command -v "${tool}" >/dev/null 2>&1 || die "'${tool}' not found (Debian: apt-get install wrk nginx-light curl iproute2 coreutils)"
done

# --- build -------------------------------------------------------------------
# Only the two binaries are needed: no tests or examples (and none of their deps).
bench_build OFF clausterd clauster
clausterd_bin=${CLAUSTERD_BIN:-${build_dir}/apps/clausterd}
clauster_bin=${CLAUSTER_BIN:-${build_dir}/apps/clauster}
[[ -x ${clausterd_bin} ]] || die "${clausterd_bin} not found or not executable"
[[ -x ${clauster_bin} ]] || die "${clauster_bin} not found or not executable"

# --- temp dir and cleanup ----------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/clauster-bench.XXXXXX")
clausterd_pid=
nginx_pid=
wrk_pid=

stop_pid() {  # stop_pid <pid>: SIGTERM, wait up to 5 s, then SIGKILL
    local pid=$1 i
    [[ -n ${pid} ]] || return 0
    kill -0 "${pid}" 2>/dev/null || { wait "${pid}" 2>/dev/null || true; return 0; }
    kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "${pid}" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "${pid}" 2>/dev/null && kill -KILL "${pid}" 2>/dev/null
    wait "${pid}" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "${wrk_pid}"
    stop_pid "${clausterd_pid}"
    stop_pid "${nginx_pid}"
    rm -rf -- "${work}"
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# CPU placement: servers share the last CPU (each is single-threaded and only one
# is loaded at a time), wrk gets CPU 0, so client and server never fight.
ncpu=$(nproc)
# Prefix arrays, not functions, so that `$!` is the server's own pid.
server_cpu=
client_cpu=
on_server_cpu=()
on_client_cpu=()
if [[ ${pin} == 1 ]] && ((ncpu >= 2)) && command -v taskset >/dev/null 2>&1; then
    server_cpu=$((ncpu - 1))
    client_cpu=0
    on_server_cpu=(taskset -c "${server_cpu}")
    on_client_cpu=(taskset -c "${client_cpu}")
fi

# Other work on the machine skews both servers, not necessarily by the same
# amount: measure how busy the CPUs are for one second before starting.
cpu_busy_pct() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    awk -v a="${a}" -v b="${b}" 'BEGIN {
        split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]
        printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}
busy_before=$(cpu_busy_pct)
if ((busy_before > 20)); then
    log "warning: the CPUs were ${busy_before}% busy before the run; expect noisy numbers"
fi

# --- projects, HOME, config --------------------------------------------------
projects_root=${work}/projects
home_dir=${work}/home
state_dir=${work}/state
mkdir -p "${projects_root}" "${home_dir}" "${state_dir}"
chmod 700 "${projects_root}" "${home_dir}" "${state_dir}"

trust_json=
for ((i = 0; i < project_count; i++)); do
    name=$(printf 'project-%03d' "${i}")
    dir=${projects_root}/${name}
    mkdir -p "${dir}"
    if ((i % 2 == 0)); then
        mkdir -p "${dir}/.git"
        printf 'ref: refs/heads/main\n' >"${dir}/.git/HEAD"
    fi
    if ((i % 3 == 0)); then
        printf '# %s\n\nProject notes for the agent.\n' "${name}" >"${dir}/CLAUDE.md"
    fi
    if ((i % 5 == 0)); then
        mkdir -p "${dir}/.claude"
    fi
    if ((i % 4 != 3)); then  # three in four trusted
        trust_json+="${trust_json:+,}\"${dir}\":{\"hasTrustDialogAccepted\":true}"
    fi
done
# Entries discovery must skip: a plain file, a dot directory, an invalid name.
: >"${projects_root}/README.txt"
mkdir -p "${projects_root}/.hidden" "${projects_root}/not valid"
printf '{"projects":{%s}}\n' "${trust_json}" >"${home_dir}/.claude.json"

config_file=${work}/clauster.yml
cat >"${config_file}" <<EOF
projects_root: ${projects_root}
state_dir: ${state_dir}
host: 127.0.0.1
log_level: ${log_level}
auth:
  enabled: true
EOF

# Same configuration for the server and the CLI, independent of the caller's env.
export HOME=${home_dir}
export CLAUSTER_CONFIG=${config_file}
export CLAUSTER_PROJECTS_ROOT=${projects_root}
export CLAUSTER_STATE_DIR=${state_dir}
export CLAUSTER_AUTH_ENABLED=true
export CLAUSTER_CLAUDE_BINARY=/nonexistent
unset CLAUSTER_HOME

# --- token (issued with the real CLI before the server starts) ----------------
token=$(timeout 30 "${clauster_bin}" api-token issue bench 2>"${work}/token.err") \
    || { cat "${work}/token.err" >&2; die "clauster api-token issue failed"; }
token=${token//[[:space:]]/}
[[ -n ${token} ]] || { cat "${work}/token.err" >&2; die "clauster api-token issue printed no token"; }
auth_header="Authorization: Bearer ${token}"

# --- clausterd -----------------------------------------------------------------
ready_file=${work}/clausterd.ready
clausterd_log=${work}/clausterd.log
log "starting clausterd"
"${on_server_cpu[@]}" "${clausterd_bin}" -c "${config_file}" --port 0 --ready-file "${ready_file}" \
    </dev/null >"${clausterd_log}" 2>&1 &
clausterd_pid=$!
for ((i = 0; i < 300; i++)); do
    [[ -s ${ready_file} ]] && break
    kill -0 "${clausterd_pid}" 2>/dev/null || { tail -n 40 "${clausterd_log}" >&2; die "clausterd exited during startup"; }
    sleep 0.1
done
[[ -s ${ready_file} ]] || { tail -n 40 "${clausterd_log}" >&2; die "clausterd not ready after 30 s"; }
clausterd_base=$(head -n 1 "${ready_file}")
clausterd_base=${clausterd_base%%[[:space:]]*}
[[ ${clausterd_base} =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || die "unexpected ready file content: ${clausterd_base}"
clausterd_url=${clausterd_base}/api/v1/projects

# --- the response once: status, exact size ------------------------------------
www=${work}/www
mkdir -p "${www}/api/v1"
static_file=${www}/api/v1/projects
status=$(curl -sS --max-time 10 -H "${auth_header}" -o "${static_file}" -w '%{http_code}' "${clausterd_url}") \
    || die "curl ${clausterd_url} failed"
[[ ${status} == 200 ]] || { cat "${static_file}" >&2; echo >&2; die "GET /api/v1/projects answered ${status}, not 200"; }
unauth_status=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "${clausterd_url}") || die "curl without token failed"
[[ ${unauth_status} == 401 ]] || log "warning: GET /api/v1/projects without a token answered ${unauth_status}, expected 401"
body_bytes=$(stat -c %s "${static_file}")
((body_bytes > 0)) || die "empty response body"
[[ $(head -c 1 "${static_file}") == '[' ]] || log "warning: response body does not start with '['"
listed=$(grep -o '"name"' "${static_file}" | wc -l || true)
log "clausterd at ${clausterd_base}: 200, ${body_bytes} bytes, ${listed} projects listed"
# The static file is that very body, so nginx sends the same bytes.

# --- nginx ---------------------------------------------------------------------
nginx_dir=${work}/nginx
mkdir -p "${nginx_dir}/tmp"
nginx_log=${nginx_dir}/error.log
low_port=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
((low_port > 11000)) || low_port=61000

start_nginx() {  # start_nginx <port>: 0 when it serves 200, 1 on failure (nginx stopped)
    local port=$1 i code
    cat >"${nginx_dir}/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid ${nginx_dir}/nginx.pid;
error_log ${nginx_log} warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${nginx_dir}/tmp/body;
    proxy_temp_path ${nginx_dir}/tmp/proxy;
    fastcgi_temp_path ${nginx_dir}/tmp/fastcgi;
    uwsgi_temp_path ${nginx_dir}/tmp/uwsgi;
    scgi_temp_path ${nginx_dir}/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=16 inactive=60s;
    default_type application/json;
    server {
        listen 127.0.0.1:${port};
        root ${www};
        location / { try_files \$uri =404; }
    }
}
EOF
    "${on_server_cpu[@]}" nginx -e "${nginx_log}" -p "${nginx_dir}" -c "${nginx_dir}/nginx.conf" </dev/null >>"${nginx_dir}/nginx.out" 2>&1 &
    nginx_pid=$!
    for ((i = 0; i < 50; i++)); do
        kill -0 "${nginx_pid}" 2>/dev/null || break
        code=$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port}/api/v1/projects" || true)
        # Still alive after answering: the 200 came from our nginx, not a squatter.
        if [[ ${code} == 200 ]] && sleep 0.2 && kill -0 "${nginx_pid}" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    stop_pid "${nginx_pid}"
    nginx_pid=
    return 1
}

# A port below the kernel's ephemeral range (so no client socket can take it),
# not listening now; nginx itself is the final judge: on a bind race, try another.
nginx_port=
for ((attempt = 0; attempt < 20; attempt++)); do
    candidate=$((10000 + RANDOM % (low_port - 10000)))
    [[ -z $(ss -Htln "sport = :${candidate}") ]] || continue
    if start_nginx "${candidate}"; then nginx_port=${candidate}; break; fi
done
[[ -n ${nginx_port} ]] || { tail -n 20 "${nginx_log}" >&2; die "could not start nginx on a free loopback port"; }
nginx_url=http://127.0.0.1:${nginx_port}/api/v1/projects
nginx_bytes=$(curl -sS --max-time 10 -H "${auth_header}" -o /dev/null -w '%{size_download}' "${nginx_url}")
[[ ${nginx_bytes} == "${body_bytes}" ]] || die "nginx body is ${nginx_bytes} bytes, clausterd's ${body_bytes}"
log "nginx at http://127.0.0.1:${nginx_port}: 200, ${nginx_bytes} bytes"

# --- load ----------------------------------------------------------------------
# Both get the same request line and the same Authorization header (nginx ignores it).
# In the background + `wait`, so that INT/TERM stop the run at once.
run_wrk() {  # run_wrk <seconds> <url> <outfile>
    local secs=$1 url=$2 out=$3 rc=0
    "${on_client_cpu[@]}" timeout $((secs + 30)) wrk -t"${threads}" -c"${connections}" -d"${secs}s" --timeout 5s \
        --latency -H "${auth_header}" "${url}" >"${out}" 2>&1 </dev/null &
    wrk_pid=$!
    wait "${wrk_pid}" || rc=$?
    wrk_pid=
    ((rc == 0)) || { cat "${out}" >&2; die "wrk against ${url} failed (exit ${rc})"; }
}

to_ms() {  # to_ms <wrk duration like 512.00us / 1.23ms / 2.00s / 1.00m>
    awk -v v="$1" 'BEGIN {
        if (match(v, /^[0-9.]+/) == 0) { print "nan"; exit }
        n = substr(v, 1, RLENGTH); u = substr(v, RLENGTH + 1)
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
        if (f < 0) { print "nan"; exit }
        printf "%.3f", n * f }'
}
check_num() {  # check_num <what> <value>: dies unless a number
    [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "could not parse $1 from wrk output: '$2'"
}

# parse_wrk <outfile> <label>: prints "req/s p50_ms p99_ms requests non2xx socket_errors"
parse_wrk() {
    local out=$1 p=$2 rps p50 p99 reqs non2xx sockerr
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "${out}")
    p50=$(awk '$1 == "50%" { print $2 }' "${out}")
    p99=$(awk '$1 == "99%" { print $2 }' "${out}")
    reqs=$(awk '/requests in/ { print $1 }' "${out}")
    non2xx=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2); print $2 }' "${out}")
    sockerr=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "${out}")
    [[ -n ${rps} && -n ${p50} && -n ${p99} && -n ${reqs} ]] || { cat "${out}" >&2; die "could not parse wrk output (${p})"; }
    p50=$(to_ms "${p50}")
    p99=$(to_ms "${p99}")
    check_num "${p} Requests/sec" "${rps}"
    check_num "${p} p50" "${p50}"
    check_num "${p} p99" "${p99}"
    printf '%s %s %s %s %s %s\n' "${rps}" "${p50}" "${p99}" "${reqs}" "${non2xx:-0}" "${sockerr:-0}"
}

target_json() {  # target_json <req/s> <p50> <p99> <requests> <non2xx> <socket errors>
    printf '{"requests_per_sec": %s, "p50_ms": %s, "p99_ms": %s, "requests": %s, "non_2xx": %s, "socket_errors": %s}' "$@"
}

declare -A best=() best_round=() rounds_json=()
measure() {  # measure <target> <url> <round>: one wrk run; keeps the best by req/s
    local t=$1 url=$2 r=$3 out parsed rps p50 p99 reqs non2xx sockerr
    out=${work}/wrk-${t}-${r}.txt
    run_wrk "${duration}" "${url}" "${out}"
    kill -0 "${clausterd_pid}" 2>/dev/null || { tail -n 40 "${clausterd_log}" >&2; die "clausterd died under load"; }
    printf '== %s, round %s ==\n' "${t}" "${r}" >>"${work}/wrk-all.txt"
    cat "${out}" >>"${work}/wrk-all.txt"
    parsed=$(parse_wrk "${out}" "${t}")
    read -r rps p50 p99 reqs non2xx sockerr <<<"${parsed}"
    # Every response under load must be a 2xx, on a connection that did not fail.
    if ((non2xx > 0 || sockerr > 0)); then
        cat "${out}" >&2
        [[ ${t} == clausterd ]] && tail -n 20 "${clausterd_log}" >&2
        die "${t}: ${non2xx} non-2xx responses and ${sockerr} socket errors under load; no result written"
    fi
    log "round ${r}: ${t}: ${rps} req/s, p50 ${p50} ms, p99 ${p99} ms"
    rounds_json[${t}]+="${rounds_json[${t}]:+, }$(target_json "${rps}" "${p50}" "${p99}" "${reqs}" "${non2xx}" "${sockerr}")"
    if [[ -z ${best[${t}]:-} ]] || awk -v a="${rps}" -v b="${best[${t}]%% *}" 'BEGIN { exit !(a > b) }'; then
        best[${t}]=${parsed}
        best_round[${t}]=${r}
    fi
}

if ((warmup > 0)); then
    log "warm-up: ${warmup}s each"
    run_wrk "${warmup}" "${nginx_url}" "${work}/warm-nginx.txt"
    run_wrk "${warmup}" "${clausterd_url}" "${work}/warm-clausterd.txt"
fi
# CPU time used during the measurement by anything but this script, its
# children (wrk, curl, ...) and the two servers: other work that skews the ratio.
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
own_ticks() {  # ticks used so far by both servers + this shell's reaped children
    local t c pid
    t=$(times | awk -v hz="${hz}" 'NR == 2 {
        n = 0
        for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += (a[1] * 60 + a[2]) * hz }
        printf "%d", n }')
    for pid in "${clausterd_pid}" "${nginx_pid}"; do
        c=$(awk '{ print $14 + $15 }' "/proc/${pid}/stat" 2>/dev/null || echo 0)
        t=$((t + c))
    done
    echo "${t}"
}
# Busy = user + nice + system + steal; irq/softirq time is left out (loopback
# traffic is mostly softirq work that no process is charged for).
system_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
read -r sys_busy0 sys_all0 <<<"$(system_ticks)"
own0=$(own_ticks)

log "measuring: ${rounds} x wrk -t${threads} -c${connections} -d${duration}s --latency per server"
for ((r = 1; r <= rounds; r++)); do
    if ((r % 2 == 1)); then
        measure nginx "${nginx_url}" "${r}"
        measure clausterd "${clausterd_url}" "${r}"
    else
        measure clausterd "${clausterd_url}" "${r}"
        measure nginx "${nginx_url}" "${r}"
    fi
done
read -r sys_busy1 sys_all1 <<<"$(system_ticks)"
own1=$(own_ticks)
foreign_pct=$(awk -v b=$((sys_busy1 - sys_busy0)) -v a=$((sys_all1 - sys_all0)) -v o=$((own1 - own0)) \
    'BEGIN { f = (a > 0) ? 100 * (b - o) / a : 0; if (f < 0) f = 0; printf "%.0f", f }')
if ((foreign_pct > 5)); then
    log "warning: other processes used ${foreign_pct}% of the machine's CPU time during the measurement; the ratio is unreliable, run again on a quiet machine"
fi
read -r nginx_rps nginx_p50 nginx_p99 _ <<<"${best[nginx]}"
read -r clausterd_rps clausterd_p50 clausterd_p99 _ <<<"${best[clausterd]}"

# The server must still answer correctly after the load.
status=$(curl -sS --max-time 10 -H "${auth_header}" -o /dev/null -w '%{http_code}' "${clausterd_url}") || status=000
[[ ${status} == 200 ]] || die "clausterd answered ${status} after the load run"

ratio() {  # ratio <a> <b>: a/b to 3 decimals (b == 0 is clamped to 0.001 ms / 1 req/s floor)
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) b = 0.001; printf "%.3f", a / b }'
}
ratio_rps=$(ratio "${clausterd_rps}" "${nginx_rps}")
ratio_p50=$(ratio "${clausterd_p50}" "${nginx_p50}")
ratio_p99=$(ratio "${clausterd_p99}" "${nginx_p99}")

# --- report ----------------------------------------------------------------------
printf '%-10s %10s %9s %9s\n' target 'req/s' p50_ms p99_ms
printf '%-10s %10.0f %9.3f %9.3f\n' nginx "${nginx_rps}" "${nginx_p50}" "${nginx_p99}"
printf '%-10s %10.0f %9.3f %9.3f\n' clausterd "${clausterd_rps}" "${clausterd_p50}" "${clausterd_p99}"
printf 'ratio (clausterd/nginx): req/s %.2f  p50 %.2f  p99 %.2f\n' "${ratio_rps}" "${ratio_p50}" "${ratio_p99}"
printf '(%s-byte body, %s projects, best of %s x wrk -t%s -c%s -d%ss, %s CPUs%s, other load %s%%)\n' \
    "${body_bytes}" "${listed}" "${rounds}" "${threads}" "${connections}" "${duration}" "${ncpu}" \
    "${server_cpu:+, servers on CPU ${server_cpu}, wrk on CPU ${client_cpu}}" "${foreign_pct}"

json_str() {  # JSON string literal of $1
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/}
    s=${s//$'\n'/\\n}
    printf '"%s"' "${s}"
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
clauster_version=$("${clausterd_bin}" --version 2>&1 | head -n 1 || true)
nginx_version=$(nginx -v 2>&1 | head -n 1 || true)
wrk_version=$(wrk -v 2>&1 | head -n 1 || true)
git_rev=$(git -C "${repo_dir}" rev-parse --short HEAD 2>/dev/null || true)
git_dirty=false
[[ -z $(git -C "${repo_dir}" status --porcelain --untracked-files=no 2>/dev/null) ]] || git_dirty=true

mkdir -p "${results_dir}"
result_file=${results_dir}/projects-${stamp}.json
target_result() {  # target_result <target>: the best run's figures, which round, every round
    local t=$1 fields one
    read -r -a fields <<<"${best[${t}]}"
    one=$(target_json "${fields[@]}")
    printf '%s, "best_round": %s, "rounds": [%s]}' "${one%\}}" "${best_round[${t}]}" "${rounds_json[${t}]}"
}
{
    printf '{\n'
    printf '  "benchmark": "projects",\n'
    printf '  "timestamp_utc": %s,\n' "$(json_str "${stamp}")"
    printf '  "request": {"method": "GET", "path": "/api/v1/projects", "auth": "Bearer", "body_bytes": %s, "projects": %s},\n' \
        "${body_bytes}" "${listed}"
    printf '  "load": {"tool": "wrk", "threads": %s, "connections": %s, "duration_s": %s, "rounds": %s, "pick": "best req/s per server", "warmup_s": %s, "client_cpu": %s, "server_cpu": %s},\n' \
        "${threads}" "${connections}" "${duration}" "${rounds}" "${warmup}" "${client_cpu:-null}" "${server_cpu:-null}"
    printf '  "clausterd_log_level": %s,\n' "$(json_str "${log_level}")"
    printf '  "machine": {"nproc": %s, "cpu_busy_pct_before": %s, "foreign_cpu_pct_during": %s, "cpu_model": %s, "kernel": %s, "clauster_version": %s, "git_rev": %s, "git_dirty": %s, "build_type": %s, "nginx_version": %s, "wrk_version": %s},\n' \
        "${ncpu}" "${busy_before}" "${foreign_pct}" "$(json_str "${cpu_model}")" "$(json_str "$(uname -srm)")" "$(json_str "${clauster_version}")" \
        "$(json_str "${git_rev}")" "${git_dirty}" "$(json_str "${build_type}")" \
        "$(json_str "${nginx_version}")" "$(json_str "${wrk_version}")"
    printf '  "results": {\n'
    printf '    "nginx": %s,\n' "$(target_result nginx)"
    printf '    "clausterd": %s\n' "$(target_result clausterd)"
    printf '  },\n'
    printf '  "ratio_clausterd_over_nginx": {"requests_per_sec": %s, "p50": %s, "p99": %s}\n' \
        "${ratio_rps}" "${ratio_p50}" "${ratio_p99}"
    printf '}\n'
} >"${result_file}"
cp "${work}/wrk-all.txt" "${results_dir}/projects-${stamp}.wrk.txt"
log "wrote ${result_file} (raw wrk output: projects-${stamp}.wrk.txt)"
