#!/bin/bash
# Docker containers' scrape cost next to its physical floor.
#
#   bench/docker.sh [BUILD_DIR] [SCRAPES]       (default: build, 1000)
#
# A private dockerd (tests/integration/docker_lib.sh: its own data, exec
# root, socket and --cgroup-parent /hwbench-PID; needs root) runs NCONT
# (default 100) containers of `sleep`; hostwatch runs with
#   --collector.disable-defaults --collector.docker --collector.cgroup
# (the walk's default include selects the root cgroup and the systemd
# units, not the containers' cgroups, which the collector reads because
# Docker names them) and is scraped SCRAPES times by bench/scrape_client.py
# (Prometheus 2.42's headers: OpenMetrics, gzip; one keep-alive connection).
# Measured, in ROUNDS (default 10) interleaved rounds of SCRAPES/ROUNDS:
#   - hostwatch's CPU time per scrape (every thread's, bench/lib.sh) and the
#     client's latency of each scrape;
#   - the physical floor, bench/docker_floor.c: open, read and close the
#     same cgroup files (those src/collectors/cgroup_read.c reads for each
#     container on each hierarchy it is in, and for the root cgroup the walk
#     selects), directories held open, in a tight loop;
#   - the same floor served, one pass per HTTP request, scraped by the same
#     client at the same pace (bench/floor_serve.h): its CPU and latency;
#   - the ratios within each round, reported as the median round [lowest-
#     highest] (bench/lib.sh says why);
#   - the Docker API requests hostwatch made during the scrapes
#     (hostwatch_docker_api_requests_total before and after): must be 0.
# With strace installed, one scrape is traced to count the cgroup files
# hostwatch opens, next to the floor's count.
# Every container, the daemon and everything else started here go on exit.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-1000}
NCONT=${NCONT:-100}
ROUNDS=${ROUNDS:-10}
[ -x "$BUILD/hostwatch" ] || { echo "build hostwatch first: $BUILD/hostwatch"; exit 1; }
export top_srcdir=$PWD HOSTWATCH=$(realpath "$BUILD/hostwatch")
. tests/integration/lib.sh
. tests/integration/docker_lib.sh
. bench/lib.sh
DK_PARENT=/hwbench-$$
DK_NS=hwbench-$$
PER=$((N / ROUNDS))
K=$((PER * ROUNDS))

cc -O2 -Wall -o "$TMP/docker_floor" bench/docker_floor.c || exit 1
dk_setup
: >"$TMP/empty.conf"

# the containers, four at a time
t0=$(date +%s.%N)
# (wait names them: dockerd is a child of this shell too)
RUNS=()
for i in $(seq "$NCONT"); do
	dk_run "bench-$i" "$DK_IMAGE" sleep 1000000 &
	RUNS+=($!)
	[ ${#RUNS[@]} = 4 ] && { wait "${RUNS[@]}"; RUNS=(); }
done
[ ${#RUNS[@]} = 0 ] || wait "${RUNS[@]}"
[ "$(dk ps -q | wc -l)" = "$NCONT" ] || { echo "only $(dk ps -q | wc -l) of $NCONT containers run"; exit 1; }
echo "# $NCONT containers started in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

start_hostwatch bench --config.file="$TMP/empty.conf" \
	--collector.disable-defaults --collector.docker --collector.cgroup \
	--collector.docker.socket="$DK_SOCK" || exit 1
HPID=$HW_PID
for _ in $(seq 100); do
	scrape && [ "$(grep -c '^container_processes{.*name="bench-' "$TMP/m")" = "$NCONT" ] && break
	sleep 0.1
done
[ "$(grep -c '^container_processes{.*name="bench-' "$TMP/m")" = "$NCONT" ] ||
	{ echo "hostwatch does not publish the $NCONT containers"; cat "$TMP/bench.log"; exit 1; }
for c in docker cgroup; do
	[ "$(val "node_scrape_collector_success{collector=\"$c\"}")" = 1 ] ||
		{ echo "the $c collector failed"; cat "$TMP/bench.log"; exit 1; }
done
SAMPLES=$(grep -vc '^#' "$TMP/m")

# The floor's plan: for each container's cgroup (from its /proc/PID/cgroup)
# and the root, on each hierarchy hostwatch reads (v1 cpu, cpuacct,
# memory, pids, blkio; the cgroup2 one), the files cgroup_read.c reads
# there, in its order; on the cgroup2 hierarchy of a hybrid host only what
# the v1 ones did not give (pressure, here).
for i in $(seq "$NCONT"); do dk inspect -f '{{.State.Pid}}' "bench-$i"; done >"$TMP/pids"
$PY - "$TMP/pids" >"$TMP/plan" <<'EOF'
import os, sys
mounts = []  # (path, set of roles)
for line in open("/proc/self/mountinfo"):
    f = line.split()
    sep = f.index("-")
    fstype, opts = f[sep + 1], f[sep + 3].split(",")
    if fstype == "cgroup2":
        mounts.append((f[4], {"unified"}))
    elif fstype == "cgroup":
        roles = {o for o in opts if o in ("cpu", "cpuacct", "memory", "pids", "blkio")}
        if roles:
            mounts.append((f[4], roles))
mounts.sort(key=lambda m: "unified" in m[1])  # v1 first, as the layout
def has(root, name):
    return os.path.exists(os.path.join(root, name))
def files(root, roles, done):
    out = []
    if roles == {"unified"}:
        ctl = open(os.path.join(root, "cgroup.controllers")).read().split()
        if "cpu" in ctl and "cfs" not in done:
            out += ["cpu.max"]; done.add("cfs")
        if "cpu" not in done:
            out += ["cpu.stat"]; done.add("cpu")
        if "memory" in ctl and "memory" not in done:
            out += ["memory.current", "memory.stat", "memory.swap.current",
                    "memory.max", "memory.events"]; done.add("memory")
        if "pids" in ctl and "pids" not in done:
            out += ["pids.current"]; done.add("pids")
        if "procs" not in done:
            out += ["cgroup.procs"]; done.add("procs")
        if "io" in ctl and "io" not in done:
            out += ["io.stat"]; done.add("io")
        if has(root, "cpu.pressure") and "psi" not in done:
            out += ["cpu.pressure", "memory.pressure", "io.pressure"]; done.add("psi")
        return out
    if "cpuacct" in roles and "cpu" not in done:
        out += ["cpuacct.usage", "cpuacct.stat"]; done.add("cpu")
    if "cpu" in roles and "cfs" not in done:
        out += ["cpu.cfs_quota_us"]; done.add("cfs")  # cpu.stat only under a quota
    if "memory" in roles and "memory" not in done:
        out += ["memory.usage_in_bytes", "memory.stat"]
        if has(root, "memory.memsw.usage_in_bytes"):
            out += ["memory.memsw.usage_in_bytes"]
        out += ["memory.limit_in_bytes", "memory.oom_control"]; done.add("memory")
    if "pids" in roles and "pids" not in done:
        out += ["pids.current", "cgroup.procs"]; done.update(("pids", "procs"))
    if "blkio" in roles and "io" not in done:
        if has(root, "blkio.throttle.io_service_bytes_recursive"):
            out += ["blkio.throttle.io_service_bytes_recursive"]
        elif has(root, "blkio.io_service_bytes_recursive"):
            out += ["blkio.io_service_bytes_recursive"]
        done.add("io")
    return out
def cgroup_paths(pid):
    paths = {}
    for line in open("/proc/%s/cgroup" % pid):
        _, ctl, path = line.rstrip("\n").split(":", 2)
        if ctl == "":
            paths["unified"] = path
        for c in ctl.split(","):
            paths.setdefault(c, path)
    return paths
everyone = [None] + [p.strip() for p in open(sys.argv[1]) if p.strip()]
for pid in everyone:
    paths = cgroup_paths(pid) if pid else None
    done = set()
    for root, roles in mounts:
        rel = "/" if pid is None else paths.get(sorted(roles)[0])
        if rel is None:
            continue
        fl = files(root, roles, done)
        if fl:
            print(os.path.normpath(root + rel), *fl)
EOF
[ -s "$TMP/plan" ] || { echo "no floor plan"; exit 1; }
"$TMP/docker_floor" "$TMP/plan" 1 >"$TMP/floor.out" || { echo "the floor failed"; exit 1; }
read -r _ FDIRS _ FFILES _ _ <"$TMP/floor.out"
"$TMP/docker_floor" --serve "$TMP/plan" >"$TMP/floor.port" &
FPID=$!
PIDS+=("$FPID")
for _ in $(seq 100); do
	FP=$(awk '$1 == "port" { print $2 }' "$TMP/floor.port")
	[ -n "$FP" ] && break
	sleep 0.05
done

# what hostwatch opens in one scrape, by strace: cgroupfs files (the root
# cgroup's and the containers'), not directories
TRACED="-"
if command -v strace >/dev/null; then
	$PY bench/scrape_client.py "$HW_PORT" 5 >/dev/null
	strace -f -qq -e trace=openat -y -o "$TMP/strace.out" -p "$HPID" &
	SPID=$!
	sleep 1
	$PY bench/scrape_client.py "$HW_PORT" 1 >/dev/null
	sleep 0.5
	kill -INT "$SPID"; wait "$SPID" 2>/dev/null
	TRACED=$(grep -E 'openat\([0-9]+</sys/fs/cgroup/' "$TMP/strace.out" |
		grep -v 'O_DIRECTORY\|O_PATH' | grep -vc '= -1 ')
fi

# warm both, then the interleaved rounds
$PY bench/scrape_client.py "$HW_PORT" 50 >/dev/null
$PY bench/scrape_client.py "$FP" 50 >/dev/null
scrape
REQ0=$(val hostwatch_docker_api_requests_total)
R_SV=(); R_FL=(); HWS=(); SVS=(); FLS=()
: >"$TMP/lat.hw"; : >"$TMP/lat.floor"
for _ in $(seq "$ROUNDS"); do
	a=$(cpu_ms "$HPID"); $PY bench/scrape_client.py "$HW_PORT" "$PER" >>"$TMP/lat.hw"; b=$(cpu_ms "$HPID")
	hw=$(awk -v a="$a" -v b="$b" -v n="$PER" 'BEGIN { print (b - a) / n }')
	a=$(cpu_ms "$FPID"); $PY bench/scrape_client.py "$FP" "$PER" >>"$TMP/lat.floor"; b=$(cpu_ms "$FPID")
	sv=$(awk -v a="$a" -v b="$b" -v n="$PER" 'BEGIN { print (b - a) / n }')
	fl=$("$TMP/docker_floor" "$TMP/plan" "$PER" | awk '{ print $6 }')
	HWS+=("$hw"); SVS+=("$sv"); FLS+=("$fl")
	R_SV+=("$(ratio "$hw" "$sv")"); R_FL+=("$(ratio "$hw" "$fl")")
done
scrape
REQ1=$(val hostwatch_docker_api_requests_total)
for c in docker cgroup; do
	[ "$(val "node_scrape_collector_success{collector=\"$c\"}")" = 1 ] ||
		{ echo "the $c collector failed during the bench"; exit 1; }
done

read -r HW _ _ < <(stats "${HWS[@]}")
read -r SV _ _ < <(stats "${SVS[@]}")
read -r FL _ _ < <(stats "${FLS[@]}")
read -r RSV SLO SHI < <(stats "${R_SV[@]}")
read -r RFL FLO FHI < <(stats "${R_FL[@]}")
# latency quantiles, milliseconds: median and p99 (nearest rank)
q() { sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int(p * NR + 0.999999); if (i < 1) i = 1; printf "%.3f", v[i] * 1000 }'; }
REQ=$(awk -v a="$REQ0" -v b="$REQ1" 'BEGIN { printf "%d", b - a }')

echo "$NCONT containers (sleep) on a private dockerd $(dk version -f '{{.Server.Version}}'), cgroup $(stat -fc %T /sys/fs/cgroup/ | sed 's/tmpfs/v1 or hybrid/; s/cgroup2fs/v2/')"
echo "hostwatch --collector.docker --collector.cgroup: $SAMPLES samples; $K scrapes, Prometheus 2.42 headers (gzip), $ROUNDS interleaved rounds"
echo "CPU: $CPUSRC; floor: $FFILES files in $FDIRS cgroup directories per pass (the root's and the containers'); hostwatch opens $TRACED (strace)"
printf '%-38s %10s %12s %10s\n' "per scrape" "CPU ms" "latency ms" "latency"
printf '%-38s %10s %12s %10s\n' "" "(med.round)" "median" "p99 ms"
printf '%-38s %10.3f %12s %10s\n' "hostwatch scrape" "$HW" "$(q "$TMP/lat.hw" 0.5)" "$(q "$TMP/lat.hw" 0.99)"
printf '%-38s %10.3f %12s %10s\n' "floor served (same client, same pace)" "$SV" "$(q "$TMP/lat.floor" 0.5)" "$(q "$TMP/lat.floor" 0.99)"
printf '%-38s %10.3f %12s %10s\n' "floor, tight loop" "$FL" "-" "-"
printf '%-38s %6.2fx [%.2f-%.2f]\n' "scrape / floor served" "$RSV" "$SLO" "$SHI"
printf '%-38s %6.2fx [%.2f-%.2f]\n' "scrape / floor tight" "$RFL" "$FLO" "$FHI"
printf '%-38s %10s\n' "Docker API requests in $K scrapes" "$REQ"
[ "$REQ" = 0 ] || { echo "FAIL: scrapes made Docker API requests"; exit 1; }
