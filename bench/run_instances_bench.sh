#!/usr/bin/env bash
# Supervision benchmark: clausterd spawning, supervising, listing and stopping
# many fake Server Mode bridges (tests/fake_claude), against a baseline of the
# same clausterd with no instances measured first in the same run. Prints the
# figures and writes them as JSON to bench/results/instances-<UTC stamp>.json.
# See docs/benchmarks.md.
#
# Phases, in order (one clausterd for the whole run):
#   baseline   idle window at 0 instances (RSS, CPU, wake-ups), then the latency
#              of GET /api/v1/instances at 0 instances (sequential, then wrk)
#   spawn      POST /api/v1/instances for p000..pNNN, BENCH_CONCURRENCY at a time,
#              until every answer is 201 + running; GET must then list N running
#   idle       the same idle window with N bridges supervised
#   list       the same latency measurement at N instances
#   stop       DELETE every instance, BENCH_CONCURRENCY at a time; no fake may
#              remain; then clausterd must exit 0 on SIGTERM
#
# Loopback only (127.0.0.1); every request and step is bounded in time, the
# whole run by BENCH_TIMEOUT; everything it starts (clausterd, the fakes it
# spawns, the clients) is stopped by pid and its temp dir removed on exit,
# whatever happens.
#
# Environment (all optional):
#   CLAUSTER_BUILD_DIR   existing build dir holding apps/clausterd, apps/clauster
#                        and tests/fake_claude/claude (default: configure + build
#                        Release into <repo>/build/bench)
#   CLAUSTERD_BIN, CLAUSTER_BIN, FAKE_CLAUDE_BIN   the binaries (default: in the build dir)
#   BENCH_INSTANCES      bridges (= projects p000..) to spawn        (default 200)
#   BENCH_CONCURRENCY    concurrent keep-alive connections for spawn
#                        and stop (one request in flight on each)    (default 8)
#   BENCH_IDLE_SECONDS   length of each idle window                  (default 30)
#   BENCH_LIST_REQUESTS  sequential GET /api/v1/instances per level  (default 200)
#   BENCH_WRK_DURATION   seconds of wrk per level; 0 skips wrk       (default 10)
#   BENCH_WRK_CONNECTIONS  wrk connections (wrk -t1)                 (default 8)
#   BENCH_LOG_LEVEL      clausterd log_level                         (default info)
#   BENCH_TIMEOUT        hard limit for the whole run after the build, seconds
#                                                                    (default 600)
#   BENCH_RESULTS_DIR    where the JSON goes            (default <repo>/bench/results)
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd -- "${script_dir}/.." && pwd)
# shellcheck source=../scripts/common.sh
source "${repo_dir}/scripts/common.sh"
# shellcheck source=lib.sh
source "${script_dir}/lib.sh"

instances=${BENCH_INSTANCES:-200}
concurrency=${BENCH_CONCURRENCY:-8}
idle_seconds=${BENCH_IDLE_SECONDS:-30}
idle_seconds=${idle_seconds%s}
list_requests=${BENCH_LIST_REQUESTS:-200}
wrk_duration=${BENCH_WRK_DURATION:-10}
wrk_duration=${wrk_duration%s}
wrk_connections=${BENCH_WRK_CONNECTIONS:-8}
log_level=${BENCH_LOG_LEVEL:-info}
overall_timeout=${BENCH_TIMEOUT:-600}
overall_timeout=${overall_timeout%s}
results_dir=${BENCH_RESULTS_DIR:-${repo_dir}/bench/results}

check_range BENCH_INSTANCES "${instances}" 1 1000
check_range BENCH_CONCURRENCY "${concurrency}" 1 64
check_range BENCH_IDLE_SECONDS "${idle_seconds}" 1 600
check_range BENCH_LIST_REQUESTS "${list_requests}" 1 100000
check_range BENCH_WRK_DURATION "${wrk_duration}" 0 600
check_range BENCH_WRK_CONNECTIONS "${wrk_connections}" 1 1000
check_range BENCH_TIMEOUT "${overall_timeout}" 30 7200
[[ ${log_level} =~ ^(debug|info|warning|error)$ ]] || die "BENCH_LOG_LEVEL must be debug, info, warning or error"

install_packages "${CLAUSTER_PACKAGES[@]}" "${CLAUSTER_BENCH_PACKAGES[@]}"
for tool in curl timeout; do
    command -v "${tool}" >/dev/null 2>&1 || die "'${tool}' not found (Debian: apt-get install curl coreutils)"
done
# Debian's python3 (standard library only), else whatever python3 is on PATH.
python=/usr/bin/python3
[[ -x ${python} ]] || python=$(command -v python3 || true)
[[ -n ${python} ]] || die "python3 not found (Debian: apt-get install python3)"
"${python}" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || die "${python} is older than 3.9"
use_wrk=0
if ((wrk_duration > 0)); then
    if command -v wrk >/dev/null 2>&1; then use_wrk=1; else log "wrk not found: the wrk runs are skipped"; fi
fi

# --- build -------------------------------------------------------------------
# The fake `claude` lives in tests/, so the tests are configured, but only the
# three executables are built.
bench_build ON clausterd clauster claude
clausterd_bin=${CLAUSTERD_BIN:-${build_dir}/apps/clausterd}
clauster_bin=${CLAUSTER_BIN:-${build_dir}/apps/clauster}
fake_src=${FAKE_CLAUDE_BIN:-${build_dir}/tests/fake_claude/claude}
for bin in "${clausterd_bin}" "${clauster_bin}" "${fake_src}"; do
    [[ -x ${bin} ]] || die "${bin} not found or not executable (the fake needs CLAUSTER_BUILD_TESTS=ON and the 'claude' target)"
done

# --- temp dir, watchdog and cleanup --------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/clauster-bench-inst.XXXXXX")
work=$(cd -- "${work}" && pwd -P)  # the fakes' argv[0] is matched literally below
clausterd_pid=
client_pid=
watchdog_pid=
# The fake runs from a private copy, so its path names exactly the bridges of
# this run and nothing else on the machine (other runs, other engineers' tests).
fake_bin=${work}/bin/claude

running() {  # running <pid>: the process exists and is not a zombie
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n ${st} && ${st:0:1} != Z ]]
}

# No `wait` in here: bash reaps its children by itself, and a `wait <pid>` run
# from a trap that interrupted another `wait` can block for ever (bash 5.2,
# when the child has just exited).
stop_pid() {  # stop_pid <pid>: SIGTERM, up to 5 s, then SIGKILL
    local pid=$1 i
    [[ -n ${pid} ]] || return 0
    running "${pid}" || return 0
    kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        running "${pid}" || return 0
        sleep 0.1
    done
    kill -KILL "${pid}" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        running "${pid}" || return 0
        sleep 0.1
    done
}

fake_pids() {  # pids whose argv[0] is this run's private fake
    pgrep -f -- "^${fake_bin} " 2>/dev/null || true
}

stop_fakes() {  # bridges outlive clausterd by design: end this run's ones, by pid
    local pids pid i
    pids=$(fake_pids)
    [[ -n ${pids} ]] || return 0
    log "cleanup: stopping $(wc -w <<<"${pids}") leftover fake bridge(s)"
    for pid in ${pids}; do kill -TERM "${pid}" 2>/dev/null || true; done
    for ((i = 0; i < 50; i++)); do
        [[ -n $(fake_pids) ]] || return 0
        sleep 0.1
    done
    for pid in $(fake_pids); do kill -KILL "${pid}" 2>/dev/null || true; done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -z ${watchdog_pid} ]] || kill -TERM "${watchdog_pid}" 2>/dev/null || true
    stop_pid "${client_pid}"
    stop_pid "${clausterd_pid}"
    stop_fakes
    rm -rf -- "${work}"
    exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'log "BENCH_TIMEOUT (${overall_timeout} s) reached; stopping"; exit 143' TERM

# The watchdog TERMs this script after BENCH_TIMEOUT; it ends its own sleep by pid.
main_pid=$$
(
    sleep "${overall_timeout}" &
    sleep_pid=$!
    trap 'kill "${sleep_pid}" 2>/dev/null; exit 0' TERM
    wait "${sleep_pid}" && kill -TERM "${main_pid}" 2>/dev/null
) &
watchdog_pid=$!

# --- the client ------------------------------------------------------------------
# One small standard-library Python program does the HTTP and the /proc sampling:
# keep-alive connections (no process per request to skew the CPU figures) and
# timestamps taken right around each request.
client=${work}/client.py
cat >"${client}" <<'PYEOF'
import http.client, json, math, os, subprocess, sys, threading, time

HZ = os.sysconf("SC_CLK_TCK")

def die(msg):
    print("bench: error: " + msg, file=sys.stderr)
    sys.exit(1)

def read(path):
    with open(path) as f:
        return f.read()

def proc_cpu(pid):
    """(utime+stime ticks, on-CPU ns from schedstat) of one process."""
    stat = read(f"/proc/{pid}/stat")
    rest = stat[stat.rindex(")") + 2:].split()
    ticks = int(rest[11]) + int(rest[12])
    try:
        ns = int(read(f"/proc/{pid}/schedstat").split()[0])
    except (OSError, ValueError, IndexError):
        ns = ticks * 1_000_000_000 // HZ
    return ticks, ns

def proc_status(pid):
    out = {}
    for line in read(f"/proc/{pid}/status").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.split()[0] if v.split() else ""
    return out

def machine_ticks():
    f = read("/proc/stat").splitlines()[0].split()[1:]
    v = [int(x) for x in f]
    busy = v[0] + v[1] + v[2] + v[7]          # user nice system steal
    total = sum(v[:8])                        # up to steal
    return busy, total

def fake_pids(fake):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            argv0 = read(f"/proc/{d}/cmdline").split("\0")[0]
        except OSError:
            continue
        if argv0 == fake:
            out.append(int(d))
    return out

def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, math.ceil(p / 100 * len(sorted_vals)) - 1)
    return sorted_vals[k]

def latency_summary(lat_s):
    v = sorted(x * 1000 for x in lat_s)
    if not v:
        return {}
    return {"n": len(v), "mean_ms": round(sum(v) / len(v), 3), "p50_ms": round(pct(v, 50), 3),
            "p90_ms": round(pct(v, 90), 3), "p99_ms": round(pct(v, 99), 3),
            "min_ms": round(v[0], 3), "max_ms": round(v[-1], 3)}

class Cpu:
    """clausterd's CPU time and the machine's busy share over a span."""
    def __init__(self, pid):
        self.pid = pid
        self.t0 = time.monotonic()
        self.ticks0, self.ns0 = proc_cpu(pid)
        self.mb0, self.mt0 = machine_ticks()
    def done(self):
        t = time.monotonic() - self.t0
        ticks, ns = proc_cpu(self.pid)
        mb, mt = machine_ticks()
        dns = ns - self.ns0
        return {"seconds": round(t, 3), "clausterd_cpu_ms": round(dns / 1e6, 3),
                "clausterd_cpu_ticks": ticks - self.ticks0,
                "clausterd_cpu_pct_of_core": round(100 * dns / 1e9 / t, 3) if t > 0 else None,
                "machine_busy_pct": round(100 * (mb - self.mb0) / (mt - self.mt0), 1) if mt > self.mt0 else 0.0}

def connect(base, timeout):
    hostport = base.split("//", 1)[1]
    host, port = hostport.rsplit(":", 1)
    if host != "127.0.0.1":
        die("refusing a non-loopback address: " + base)
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    c.connect()
    return c

def call(c, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    t0 = time.perf_counter()
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    t1 = time.perf_counter()
    return r.status, data, t0, t1

def parallel(base, items, concurrency, timeout, one):
    """Runs one(conn, item) -> (ok, record, t0, t1) over items on `concurrency`
    keep-alive connections, one request in flight on each."""
    results = [None] * len(items)
    errors = []
    lock = threading.Lock()
    nxt = [0]
    conns = [connect(base, timeout) for _ in range(min(concurrency, len(items)))]
    start = threading.Barrier(len(conns) + 1)
    def worker(c):
        start.wait()
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(items):
                return
            try:
                results[i] = one(c, items[i])
            except Exception as e:  # noqa: BLE001 - every failure is reported
                with lock:
                    errors.append(f"{items[i]}: {type(e).__name__}: {e}")
                try:
                    c.close()
                    c = connect(base, timeout)
                except OSError:
                    return
    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in conns]
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join()
    for c in conns:
        c.close()
    return results, errors

def phase_summary(results, errors, cpu, n, expect_code, expect_status):
    done = [r for r in results if r is not None]
    codes, statuses = {}, {}
    for r in done:
        codes[str(r["code"])] = codes.get(str(r["code"]), 0) + 1
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    ok = sum(1 for r in done if r["code"] == expect_code and r["status"] == expect_status)
    first = min((r["t0"] for r in done), default=0.0)
    last = max((r["t1"] for r in done), default=0.0)
    wall = last - first
    cpu_done = cpu.done()
    return {"requests": n, "concurrency": None, "ok": ok, "errors": errors[:10], "error_count": len(errors),
            "http_codes": codes, "statuses": statuses,
            "wall_s": round(wall, 3), "per_s": round(ok / wall, 2) if wall > 0 else None,
            "latency": latency_summary([r["t1"] - r["t0"] for r in done]),
            # clausterd polls readiness / exit every 250 ms: answers split into
            # "seen at the first check" and "one or more polls later".
            "answered_within_100ms": sum(1 for r in done if r["t1"] - r["t0"] < 0.1),
            "clausterd_cpu_ms": cpu_done["clausterd_cpu_ms"],
            "clausterd_cpu_ms_per_request": round(cpu_done["clausterd_cpu_ms"] / n, 3),
            "clausterd_cpu_pct_of_core": cpu_done["clausterd_cpu_pct_of_core"],
            "machine_busy_pct": cpu_done["machine_busy_pct"]}

def cmd_spawn(base, pid, n, concurrency, out, ids_out):
    names = [f"p{i:03d}" for i in range(n)]
    def one(c, name):
        code, data, t0, t1 = call(c, "POST", "/api/v1/instances", json.dumps({"project": name}))
        try:
            j = json.loads(data)
        except ValueError:
            j = {}
        status = j.get("status") if isinstance(j, dict) else None
        return {"code": code, "status": status or f"(body: {data[:200]!r})", "id": j.get("instance_id") if isinstance(j, dict) else None,
                "pid": j.get("bridge_pid") if isinstance(j, dict) else None, "t0": t0, "t1": t1}
    cpu = Cpu(pid)
    results, errors = parallel(base, names, concurrency, 60, one)
    s = phase_summary(results, errors, cpu, n, 201, "running")
    s["concurrency"] = concurrency
    with open(ids_out, "w") as f:
        for r in results:
            if r is not None and r["id"]:
                f.write(r["id"] + "\n")
    json.dump(s, open(out, "w"))

def cmd_stop(base, pid, ids_file, concurrency, out):
    ids = [l.strip() for l in open(ids_file) if l.strip()]
    def one(c, iid):
        code, data, t0, t1 = call(c, "DELETE", "/api/v1/instances/" + iid)
        try:
            j = json.loads(data)
        except ValueError:
            j = {}
        status = j.get("status") if isinstance(j, dict) else None
        return {"code": code, "status": status or f"(body: {data[:200]!r})", "t0": t0, "t1": t1}
    cpu = Cpu(pid)
    results, errors = parallel(base, ids, concurrency, 60, one)
    s = phase_summary(results, errors, cpu, len(ids), 200, "stopped")
    s["concurrency"] = concurrency
    json.dump(s, open(out, "w"))

def cmd_check(base, out):
    c = connect(base, 30)
    code, data, _, _ = call(c, "GET", "/api/v1/instances")
    c.close()
    if code != 200:
        die(f"GET /api/v1/instances answered {code}")
    items = json.loads(data)
    statuses = {}
    for it in items:
        statuses[it.get("status")] = statuses.get(it.get("status"), 0) + 1
    json.dump({"listed": len(items), "statuses": statuses, "body_bytes": len(data)}, open(out, "w"))

def cmd_list(base, pid, n, out):
    """n sequential GETs on one keep-alive connection."""
    c = connect(base, 30)
    lat, size, bad = [], None, 0
    cpu = Cpu(pid)
    for _ in range(n):
        code, data, t0, t1 = call(c, "GET", "/api/v1/instances")
        if code != 200:
            bad += 1
        size = len(data)
        lat.append(t1 - t0)
    cpu_done = cpu.done()
    c.close()
    s = {"requests": n, "non_200": bad, "body_bytes": size, "latency": latency_summary(lat),
         "per_s": round(n / sum(lat), 1) if sum(lat) > 0 else None,
         "clausterd_cpu_ms_per_request": round(cpu_done["clausterd_cpu_ms"] / n, 4),
         "machine_busy_pct": cpu_done["machine_busy_pct"]}
    json.dump(s, open(out, "w"))

def to_ms(v):
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
    for u in ("us", "ms", "s", "m", "h"):
        if v.endswith(u) and v[: -len(u)].replace(".", "", 1).isdigit():
            return round(float(v[: -len(u)]) * units[u], 3)
    return None

def cmd_wrk(base, pid, seconds, connections, out, raw_out):
    cpu = Cpu(pid)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency", base + "/api/v1/instances"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, stdin=subprocess.DEVNULL)
    cpu_done = cpu.done()
    text = p.stdout + p.stderr
    with open(raw_out, "a") as f:
        f.write(f"== {' '.join(cmd)} ==\n{text}\n")
    if p.returncode != 0:
        die(f"wrk failed (exit {p.returncode}):\n{text}")
    s = {"tool": "wrk", "threads": 1, "connections": connections, "duration_s": seconds}
    reqs = None
    for line in text.splitlines():
        f = line.split()
        if line.startswith("Requests/sec:"):
            s["requests_per_sec"] = float(f[1])
        elif len(f) >= 2 and f[0] in ("50%", "90%", "99%"):
            s["p" + f[0][:-1] + "_ms"] = to_ms(f[1])
        elif "requests in" in line:
            reqs = int(f[0])
        elif "Non-2xx or 3xx responses" in line:
            s["non_2xx"] = int(line.split(":")[1])
        elif line.strip().startswith("Socket errors:"):
            s["socket_errors"] = sum(int(x.strip(",")) for x in f[3::2])
    s.setdefault("non_2xx", 0)
    s.setdefault("socket_errors", 0)
    s["requests"] = reqs
    if not reqs or "requests_per_sec" not in s or "p99_ms" not in s:
        die("could not parse wrk output:\n" + text)
    s["clausterd_cpu_pct_of_core"] = cpu_done["clausterd_cpu_pct_of_core"]
    s["clausterd_cpu_ms_per_request"] = round(cpu_done["clausterd_cpu_ms"] / reqs, 4)
    s["machine_busy_pct"] = cpu_done["machine_busy_pct"]
    if s["non_2xx"] or s["socket_errors"]:
        die(f"wrk: {s['non_2xx']} non-2xx responses, {s['socket_errors']} socket errors:\n" + text)
    json.dump(s, open(out, "w"))

def cmd_idle(pid, seconds, fake, out):
    """No requests: samples clausterd once a second for `seconds`."""
    st0 = proc_status(pid)
    fds0 = len(os.listdir(f"/proc/{pid}/fd"))
    ctx0 = int(st0["voluntary_ctxt_switches"]) + int(st0["nonvoluntary_ctxt_switches"])
    fpids = fake_pids(fake)
    fcpu0 = {}
    for p in fpids:
        try:
            fcpu0[p] = proc_cpu(p)[1]
        except OSError:
            pass
    cpu = Cpu(pid)
    rss = [int(st0["VmRSS"])]
    deadline = cpu.t0 + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(1.0, left))
        rss.append(int(proc_status(pid)["VmRSS"]))
    c = cpu.done()
    st1 = proc_status(pid)
    ctx1 = int(st1["voluntary_ctxt_switches"]) + int(st1["nonvoluntary_ctxt_switches"])
    frss, fns, alive = 0, 0, 0
    for p in fpids:
        try:
            frss += int(proc_status(p)["VmRSS"])
            fns += proc_cpu(p)[1] - fcpu0.get(p, 0)
            alive += 1
        except (OSError, KeyError):
            pass
    s = {"seconds": c["seconds"], "rss_kib_start": rss[0], "rss_kib_end": rss[-1], "rss_kib_max": max(rss),
         "rss_kib_min": min(rss), "vmhwm_kib": int(st1["VmHWM"]), "threads": int(st1["Threads"]),
         "fds": len(os.listdir(f"/proc/{pid}/fd")), "fds_start": fds0,
         "cpu_ms": c["clausterd_cpu_ms"], "cpu_ticks": c["clausterd_cpu_ticks"],
         "cpu_pct_of_core": c["clausterd_cpu_pct_of_core"], "context_switches": ctx1 - ctx0,
         "wakeups_per_s": round((ctx1 - ctx0) / c["seconds"], 2), "machine_busy_pct": c["machine_busy_pct"],
         "fake_bridges": {"count_start": len(fpids), "count_end": alive, "rss_kib_total": frss,
                          "cpu_ms_total": round(fns / 1e6, 3)}}
    json.dump(s, open(out, "w"))

def cmd_busy(out):
    b0, t0 = machine_ticks()
    time.sleep(1)
    b1, t1 = machine_ticks()
    print(round(100 * (b1 - b0) / (t1 - t0)) if t1 > t0 else 0)

def ratio(a, b, floor=0.0):
    if a is None or b is None or b <= floor:
        return None
    return round(a / b, 3)

def cmd_report(work, out, meta_file):
    meta = json.load(open(meta_file))
    L = lambda name: json.load(open(os.path.join(work, name + ".json")))
    base_idle, idle = L("idle-0"), L("idle-n")
    base_list, lst = L("list-0"), L("list-n")
    spawn, stop = L("spawn"), L("stop")
    check_n, check_stopped = L("check-n"), L("check-stopped")
    wrk0 = L("wrk-0") if os.path.exists(os.path.join(work, "wrk-0.json")) else None
    wrkn = L("wrk-n") if os.path.exists(os.path.join(work, "wrk-n.json")) else None
    n = meta["instances"]
    res = {
        "benchmark": "instances",
        "timestamp_utc": meta["stamp"],
        "parameters": {k: meta[k] for k in ("instances", "concurrency", "idle_seconds", "list_requests",
                                            "wrk_duration_s", "wrk_connections", "log_level", "timeout_s")},
        "machine": meta["machine"],
        "spawn": dict(spawn, listed_after=check_n),
        "idle": {
            "baseline_0": base_idle, "at_n": idle,
            "rss_delta_kib": idle["rss_kib_end"] - base_idle["rss_kib_end"],
            "rss_delta_kib_per_bridge": round((idle["rss_kib_end"] - base_idle["rss_kib_end"]) / n, 2),
            "rss_ratio": ratio(idle["rss_kib_end"], base_idle["rss_kib_end"]),
            "cpu_ms_delta": round(idle["cpu_ms"] - base_idle["cpu_ms"], 3),
            # A ratio of two near-zero CPU times is noise: only above 1 ms of baseline.
            "cpu_ratio": ratio(idle["cpu_ms"], base_idle["cpu_ms"], 1.0),
            "fds_delta": idle["fds"] - base_idle["fds"],
        },
        "list": {
            "sequential": {"baseline_0": base_list, "at_n": lst,
                           "ratio_p50": ratio(lst["latency"]["p50_ms"], base_list["latency"]["p50_ms"]),
                           "ratio_p99": ratio(lst["latency"]["p99_ms"], base_list["latency"]["p99_ms"])},
        },
        "stop": dict(stop, listed_after=check_stopped, fakes_left=meta["fakes_left"],
                     rss_kib_after=meta["rss_kib_after_stop"], vmhwm_kib_after=meta["vmhwm_kib_after_stop"],
                     fds_after=meta["fds_after_stop"],
                     sigterm_exit_code=meta["sigterm_exit_code"], sigterm_exit_s=meta["sigterm_exit_s"]),
    }
    if wrk0 and wrkn:
        res["list"]["wrk"] = {"baseline_0": wrk0, "at_n": wrkn,
                              "ratio_requests_per_sec": ratio(wrkn["requests_per_sec"], wrk0["requests_per_sec"]),
                              "ratio_p50": ratio(wrkn["p50_ms"], wrk0["p50_ms"]),
                              "ratio_p99": ratio(wrkn["p99_ms"], wrk0["p99_ms"])}
    json.dump(res, open(out, "w"), indent=2)
    open(out, "a").write("\n")

    m = meta["machine"]
    P = print
    P(f"instances: {n} fake Server Mode bridges, concurrency {meta['concurrency']}, "
      f"idle windows {meta['idle_seconds']} s, {m['nproc']} CPUs, busy before {m['cpu_busy_pct_before']}%")
    P(f"spawn  : all {spawn['ok']}/{n} running in {spawn['wall_s']:.2f} s = {spawn['per_s']:.1f} spawns/s; "
      f"per request p50 {spawn['latency']['p50_ms']:.0f} ms p99 {spawn['latency']['p99_ms']:.0f} ms "
      f"({spawn['answered_within_100ms']} within 100 ms); "
      f"clausterd CPU {spawn['clausterd_cpu_ms_per_request']:.2f} ms/spawn "
      f"({spawn['clausterd_cpu_pct_of_core']:.0f}% of a core); machine busy {spawn['machine_busy_pct']}%")
    P(f"         GET lists {check_n['listed']} instances: {check_n['statuses']}")
    i0, i1 = base_idle, idle
    P(f"idle   : {'':9}{'RSS MiB':>9} {'CPU ms':>8} {'% core':>7} {'wakeups/s':>10} {'fds':>5}  machine busy")
    for label, x in (("0 inst", i0), (f"{n} inst", i1)):
        P(f"         {label:<9}{x['rss_kib_end'] / 1024:9.1f} {x['cpu_ms']:8.1f} {x['cpu_pct_of_core']:7.3f} "
          f"{x['wakeups_per_s']:10.2f} {x['fds']:5d}  {x['machine_busy_pct']}%")
    cr = res["idle"]["cpu_ratio"]
    P(f"         RSS x{res['idle']['rss_ratio']} (+{res['idle']['rss_delta_kib'] / 1024:.1f} MiB, "
      f"{res['idle']['rss_delta_kib_per_bridge']:.1f} KiB/bridge); CPU {res['idle']['cpu_ms_delta']:+.1f} ms"
      + (f" (x{cr})" if cr is not None else " (baseline < 1 ms: no ratio)")
      + f"; fakes: {i1['fake_bridges']['count_end']} alive, {i1['fake_bridges']['rss_kib_total'] / 1024:.0f} MiB RSS total")
    P(f"list   : {'':9}{'p50 ms':>9} {'p99 ms':>9} {'req/s':>9} {'bytes':>8} {'CPU ms/req':>11}")
    for label, x in (("seq 0", base_list), (f"seq {n}", lst)):
        P(f"         {label:<9}{x['latency']['p50_ms']:9.3f} {x['latency']['p99_ms']:9.3f} {x['per_s']:9.0f} "
          f"{x['body_bytes']:8d} {x['clausterd_cpu_ms_per_request']:11.3f}")
    if wrk0 and wrkn:
        for label, x in (("wrk 0", wrk0), (f"wrk {n}", wrkn)):
            P(f"         {label:<9}{x['p50_ms']:9.3f} {x['p99_ms']:9.3f} {x['requests_per_sec']:9.0f} "
              f"{'':8} {x['clausterd_cpu_ms_per_request']:11.3f}")
    s = res["list"]["sequential"]
    line = f"         ratio {n}/0: sequential p50 x{s['ratio_p50']} p99 x{s['ratio_p99']}"
    if "wrk" in res["list"]:
        w = res["list"]["wrk"]
        line += f"; wrk -c{meta['wrk_connections']} req/s x{w['ratio_requests_per_sec']} p50 x{w['ratio_p50']} p99 x{w['ratio_p99']}"
    P(line)
    P(f"stop   : all {stop['ok']}/{len(open(os.path.join(work, 'ids.txt')).read().split())} stopped in "
      f"{stop['wall_s']:.2f} s = {stop['per_s']:.1f} stops/s; per request p50 {stop['latency']['p50_ms']:.0f} ms "
      f"p99 {stop['latency']['p99_ms']:.0f} ms ({stop['answered_within_100ms']} within 100 ms); clausterd CPU {stop['clausterd_cpu_ms_per_request']:.2f} ms/stop "
      f"({stop['clausterd_cpu_pct_of_core']:.0f}% of a core); machine busy {stop['machine_busy_pct']}%")
    P(f"         fakes left: {meta['fakes_left']}; clausterd RSS after the stops {meta['rss_kib_after_stop'] / 1024:.1f} MiB "
      f"(peak {meta['vmhwm_kib_after_stop'] / 1024:.1f}), {meta['fds_after_stop']} fds; SIGTERM: exit {meta['sigterm_exit_code']} in {meta['sigterm_exit_s']} s")

def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "spawn":
        cmd_spawn(a[1], int(a[2]), int(a[3]), int(a[4]), a[5], a[6])
    elif cmd == "stop":
        cmd_stop(a[1], int(a[2]), a[3], int(a[4]), a[5])
    elif cmd == "check":
        cmd_check(a[1], a[2])
    elif cmd == "list":
        cmd_list(a[1], int(a[2]), int(a[3]), a[4])
    elif cmd == "wrk":
        cmd_wrk(a[1], int(a[2]), int(a[3]), int(a[4]), a[5], a[6])
    elif cmd == "idle":
        cmd_idle(int(a[1]), float(a[2]), a[3], a[4])
    elif cmd == "busy":
        cmd_busy(None)
    elif cmd == "report":
        cmd_report(a[1], a[2], a[3])
    else:
        die("unknown client command " + cmd)

main()
PYEOF

# client <timeout s> <args...>: in the background + `wait`, so INT/TERM act at once.
client() {
    local secs=$1 rc=0
    shift
    timeout "${secs}" "${python}" -I "${client}" "$@" </dev/null &
    client_pid=$!
    wait "${client_pid}" || rc=$?
    client_pid=
    ((rc == 0)) || die "client '$1' failed (exit ${rc})"
}

alive_or_die() {
    kill -0 "${clausterd_pid}" 2>/dev/null && return 0
    tail -n 40 "${clausterd_log}" >&2
    die "clausterd died"
}

json_field() {  # json_field <file> <python expression on j>
    "${python}" -I -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

busy_before=$("${python}" -I "${client}" busy)
if ((busy_before > 20)); then
    log "warning: the CPUs were ${busy_before}% busy before the run; expect noisy numbers"
fi
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- projects, HOME, config --------------------------------------------------
projects_root=${work}/projects
home_dir=${work}/home
state_dir=${work}/state
mkdir -p "${projects_root}" "${home_dir}" "${state_dir}" "${work}/bin"
chmod 700 "${projects_root}" "${home_dir}" "${state_dir}"
cp -- "${fake_src}" "${fake_bin}"

trust_json=
for ((i = 0; i < instances; i++)); do
    dir=${projects_root}/$(printf 'p%03d' "${i}")
    mkdir -p "${dir}"
    trust_json+="${trust_json:+,}\"${dir}\":{\"hasTrustDialogAccepted\":true}"
done
printf '{"projects":{%s}}\n' "${trust_json}" >"${home_dir}/.claude.json"

config_file=${work}/clauster.yml
cat >"${config_file}" <<EOF
projects_root: ${projects_root}
state_dir: ${state_dir}
host: 127.0.0.1
log_level: ${log_level}
auth:
  enabled: false
claude:
  binary: ${fake_bin}
EOF

# Same configuration whatever the caller's environment holds.
export HOME=${home_dir}
export CLAUSTER_CONFIG=${config_file}
export CLAUSTER_PROJECTS_ROOT=${projects_root}
export CLAUSTER_STATE_DIR=${state_dir}
export CLAUSTER_AUTH_ENABLED=false
export CLAUSTER_CLAUDE_BINARY=${fake_bin}
unset CLAUSTER_HOME
while IFS='=' read -r name _; do unset "${name}"; done < <(env | grep '^FAKE_CLAUDE_' || true)
# Default `ready` mode; the fakes end by themselves well after the run's hard limit.
export FAKE_CLAUDE_MAX_IDLE=$((overall_timeout + 300))

# --- clausterd -----------------------------------------------------------------
ready_file=${work}/clausterd.ready
clausterd_log=${work}/clausterd.log
log "starting clausterd"
"${clausterd_bin}" -c "${config_file}" --port 0 --ready-file "${ready_file}" --keeper-exe "${clauster_bin}" \
    </dev/null >"${clausterd_log}" 2>&1 &
clausterd_pid=$!
for ((i = 0; i < 300; i++)); do
    [[ -s ${ready_file} ]] && break
    alive_or_die
    sleep 0.1
done
[[ -s ${ready_file} ]] || { tail -n 40 "${clausterd_log}" >&2; die "clausterd not ready after 30 s"; }
base=$(head -n 1 "${ready_file}")
base=${base%%[[:space:]]*}
[[ ${base} =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || die "unexpected ready file content: ${base}"
health=$(curl -sS --max-time 10 "${base}/healthz") || die "GET /healthz failed"
[[ ${health} == *'"claude_ok":true'* ]] || log "warning: /healthz does not report claude_ok: ${health}"
status=$(curl -sS --max-time 10 -o "${work}/empty.json" -w '%{http_code}' "${base}/api/v1/instances") || die "GET /api/v1/instances failed"
[[ ${status} == 200 && $(tr -d '[:space:]' <"${work}/empty.json") == '[]' ]] \
    || die "GET /api/v1/instances at start: ${status} $(head -c 200 "${work}/empty.json")"
log "clausterd ${base} (pid ${clausterd_pid}): no instances"

# --- baseline: 0 instances -------------------------------------------------------
log "baseline: idle ${idle_seconds} s with 0 instances"
client $((idle_seconds + 30)) idle "${clausterd_pid}" "${idle_seconds}" "${fake_bin}" "${work}/idle-0.json"
alive_or_die
log "baseline: ${list_requests} sequential GET /api/v1/instances"
client 300 list "${base}" "${clausterd_pid}" "${list_requests}" "${work}/list-0.json"
if ((use_wrk)); then
    log "baseline: wrk -t1 -c${wrk_connections} -d${wrk_duration}s"
    client $((wrk_duration + 60)) wrk "${base}" "${clausterd_pid}" "${wrk_duration}" "${wrk_connections}" \
        "${work}/wrk-0.json" "${work}/wrk.txt"
fi
alive_or_die

# --- spawn -----------------------------------------------------------------------
log "spawning ${instances} bridges, ${concurrency} at a time"
client 600 spawn "${base}" "${clausterd_pid}" "${instances}" "${concurrency}" "${work}/spawn.json" "${work}/ids.txt"
alive_or_die
client 60 check "${base}" "${work}/check-n.json"
spawn_ok=$(json_field "${work}/spawn.json" 'j["ok"]')
listed_running=$(json_field "${work}/check-n.json" 'j["statuses"].get("running", 0)')
listed=$(json_field "${work}/check-n.json" 'j["listed"]')
live_fakes=$(fake_pids | wc -w)
log "spawn: ${spawn_ok}/${instances} answered 201 running; listed ${listed}, running ${listed_running}; ${live_fakes} fake processes"
if ((spawn_ok != instances || listed_running != instances || listed != instances)); then
    cat "${work}/spawn.json" >&2; echo >&2
    tail -n 20 "${clausterd_log}" >&2
    die "expected ${instances} instances, all running; no result written"
fi
# Each fake bridge runs one SDK worker child (its session), as the real one does.
((live_fakes == 2 * instances)) ||
    log "warning: ${live_fakes} fake processes for ${instances} running instances (expected 2 per bridge)"

# --- idle with N bridges ------------------------------------------------------------
log "idle ${idle_seconds} s with ${instances} bridges"
client $((idle_seconds + 60)) idle "${clausterd_pid}" "${idle_seconds}" "${fake_bin}" "${work}/idle-n.json"
alive_or_die

# --- list at N -----------------------------------------------------------------------
log "${list_requests} sequential GET /api/v1/instances at ${instances} instances"
client 600 list "${base}" "${clausterd_pid}" "${list_requests}" "${work}/list-n.json"
if ((use_wrk)); then
    log "wrk -t1 -c${wrk_connections} -d${wrk_duration}s at ${instances} instances"
    client $((wrk_duration + 60)) wrk "${base}" "${clausterd_pid}" "${wrk_duration}" "${wrk_connections}" \
        "${work}/wrk-n.json" "${work}/wrk.txt"
fi
alive_or_die

# --- stop ------------------------------------------------------------------------------
log "stopping ${instances} bridges, ${concurrency} at a time"
client 900 stop "${base}" "${clausterd_pid}" "${work}/ids.txt" "${concurrency}" "${work}/stop.json"
alive_or_die
client 60 check "${base}" "${work}/check-stopped.json"
stop_ok=$(json_field "${work}/stop.json" 'j["ok"]')
listed_stopped=$(json_field "${work}/check-stopped.json" 'j["statuses"].get("stopped", 0)')
fakes_left=0
for ((i = 0; i < 50; i++)); do  # a stop answers once the bridge is gone; allow reaping
    fakes_left=$(fake_pids | wc -w)
    ((fakes_left == 0)) && break
    sleep 0.1
done
log "stop: ${stop_ok}/${instances} answered 200 stopped; listed stopped ${listed_stopped}; fakes left ${fakes_left}"
if ((stop_ok != instances || listed_stopped != instances || fakes_left != 0)); then
    cat "${work}/stop.json" >&2; echo >&2
    die "expected ${instances} stopped instances and no fake left; no result written"
fi

rss_after_stop=$(awk '/^VmRSS:/ { print $2 }' "/proc/${clausterd_pid}/status")
hwm_after_stop=$(awk '/^VmHWM:/ { print $2 }' "/proc/${clausterd_pid}/status")
fds_after_stop=$(find "/proc/${clausterd_pid}/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)

# --- SIGTERM -----------------------------------------------------------------------------
t0=$(date +%s%N)
kill -TERM "${clausterd_pid}"
sigterm_rc=timeout
for ((i = 0; i < 100; i++)); do
    if ! running "${clausterd_pid}"; then
        sigterm_rc=0
        wait "${clausterd_pid}" || sigterm_rc=$?
        break
    fi
    sleep 0.05
done
t1=$(date +%s%N)
sigterm_s=$(awk -v a="${t0}" -v b="${t1}" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
[[ ${sigterm_rc} == timeout ]] || clausterd_pid=
[[ ${sigterm_rc} == 0 ]] || { tail -n 20 "${clausterd_log}" >&2; die "clausterd did not exit 0 within 5 s of SIGTERM (${sigterm_rc})"; }
log "clausterd exited 0, ${sigterm_s} s after SIGTERM"

# --- report -------------------------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem_total_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
clauster_version=$("${clausterd_bin}" --version 2>&1 | head -n 1 || true)
wrk_version=
if ((use_wrk)); then wrk_version=$(wrk -v 2>&1 | head -n 1 || true); fi
python_version=$("${python}" -V 2>&1)
kernel=$(uname -srm)
git_rev=$(git -C "${repo_dir}" rev-parse --short HEAD 2>/dev/null || true)
git_dirty=false
[[ -z $(git -C "${repo_dir}" status --porcelain --untracked-files=no 2>/dev/null) ]] || git_dirty=true
loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)

export BENCH_META_STAMP=${stamp} BENCH_META_CPU=${cpu_model} BENCH_META_VERSION=${clauster_version} \
    BENCH_META_REV=${git_rev} BENCH_META_BUILD=${build_type} BENCH_META_WRK=${wrk_version} \
    BENCH_META_PY=${python_version} BENCH_META_KERNEL=${kernel} BENCH_META_LOAD0=${loadavg_before} \
    BENCH_META_LOAD1=${loadavg_after}
"${python}" -I - "${work}/meta.json" <<EOF
import json, os, sys
e = os.environ
json.dump({
    "stamp": e["BENCH_META_STAMP"], "instances": ${instances}, "concurrency": ${concurrency},
    "idle_seconds": ${idle_seconds}, "list_requests": ${list_requests},
    "wrk_duration_s": ${wrk_duration} if ${use_wrk} else 0, "wrk_connections": ${wrk_connections},
    "log_level": "${log_level}", "timeout_s": ${overall_timeout},
    "fakes_left": ${fakes_left}, "rss_kib_after_stop": ${rss_after_stop}, "vmhwm_kib_after_stop": ${hwm_after_stop},
    "fds_after_stop": ${fds_after_stop},
    "sigterm_exit_code": ${sigterm_rc}, "sigterm_exit_s": ${sigterm_s},
    "machine": {"nproc": $(nproc), "cpu_model": e["BENCH_META_CPU"], "mem_total_kib": ${mem_total_kib},
                "kernel": e["BENCH_META_KERNEL"], "cpu_busy_pct_before": ${busy_before},
                "loadavg_before": e["BENCH_META_LOAD0"], "loadavg_after": e["BENCH_META_LOAD1"],
                "clauster_version": e["BENCH_META_VERSION"], "build_type": e["BENCH_META_BUILD"],
                "git_rev": e["BENCH_META_REV"], "git_dirty": ${git_dirty^}, "python": e["BENCH_META_PY"],
                "wrk_version": e["BENCH_META_WRK"] or None, "open_files_limit": $(ulimit -n)},
}, open(sys.argv[1], "w"))
EOF

mkdir -p "${results_dir}"
result_file=${results_dir}/instances-${stamp}.json
"${python}" -I "${client}" report "${work}" "${result_file}" "${work}/meta.json"

# Other work on the machine skews every figure here; the idle windows show it best
# (clausterd and the idle fakes use next to nothing there).
foreign=$(json_field "${result_file}" 'max(j["idle"]["baseline_0"]["machine_busy_pct"], j["idle"]["at_n"]["machine_busy_pct"])')
if awk -v f="${foreign}" 'BEGIN { exit !(f > 5) }'; then
    log "warning: the machine was ${foreign}% busy during an idle window (other work); timings are unreliable, run again on a quiet machine"
fi
[[ -f ${work}/wrk.txt ]] && cp "${work}/wrk.txt" "${results_dir}/instances-${stamp}.wrk.txt"
log "wrote ${result_file}"
