#!/bin/bash
# The cgroup collector on this host's real hierarchies, found through
# libcgroup (no --path.cgroupfs): a cgroup hw-test-PID is made in the cgroup2
# mount and in each v1 cpu, cpuacct, memory and pids mount there is, a busy
# child that holds ~60 MB runs in it, and its CPU and memory must move in the
# scrape. Works on v2, hybrid (this VM: v1 controllers, a unified hierarchy
# without them) and v1 hosts; skipped (77) only when they are not writable.
. "$top_srcdir/tests/integration/lib.sh"

NAME="hw-test-$$"
ID="/$NAME"
: >"$TMP/empty.conf"

# The mounts from the mount table: "TYPE OPTIONS MOUNTPOINT" per cgroup mount.
awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) ~ /^cgroup2?$/) print $(i+1), $(i+3), $5 }' \
	/proc/self/mountinfo >"$TMP/mounts"
V2=$(awk '$1 == "cgroup2" { print $3; exit }' "$TMP/mounts")
v1_mount() { awk -v c="$1" '$1 == "cgroup" && ("," $2 ",") ~ ("," c ",") { print $3; exit }' "$TMP/mounts"; }
declare -A V1
for c in cpu cpuacct memory pids; do
	m=$(v1_mount "$c")
	[ -n "$m" ] && V1[$c]=$m
done
[ -n "$V2" ] || [ ${#V1[@]} -gt 0 ] || skip "no cgroup hierarchy mounted"
echo "# cgroup2: ${V2:-none}; v1: ${!V1[*]}"

CHILD=
DIRS=()
cg_cleanup() {
	[ -n "$CHILD" ] && kill "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
	local d
	for d in "${DIRS[@]:-}"; do
		[ -n "$d" ] && rmdir "$d" 2>/dev/null
	done
}
trap 'cg_cleanup; cleanup' EXIT

# One cgroup per distinct mount (cpu and cpuacct may share one).
declare -A SEEN
mkcg() {
	local m=$1
	[ -n "${SEEN[$m]:-}" ] && return 0
	SEEN[$m]=1
	mkdir "$m/$NAME" 2>/dev/null || return 1
	DIRS+=("$m/$NAME")
}
if [ -n "$V2" ]; then mkcg "$V2" || skip "$V2 is not writable"; fi
for c in "${!V1[@]}"; do mkcg "${V1[$c]}" || skip "${V1[$c]} is not writable"; done

# v2 controllers this cgroup has (from its parent's subtree_control)
V2CTL=
[ -n "$V2" ] && V2CTL=" $(cat "$V2/$NAME/cgroup.controllers") "
has_v2() { [[ "$V2CTL" == *" $1 "* ]]; }
MEMDIR= ; MEMLIMIT=
if [ -n "${V1[memory]:-}" ]; then
	MEMDIR="${V1[memory]}/$NAME"; MEMLIMIT=memory.limit_in_bytes
elif has_v2 memory; then
	MEMDIR="$V2/$NAME"; MEMLIMIT=memory.max
fi
# a bound on the child, and a value to find in the scrape
[ -n "$MEMDIR" ] && echo 268435456 >"$MEMDIR/$MEMLIMIT"

# The child moves itself into every cgroup, then allocates and spins, so
# that its memory is charged there (v1 does not move charges by default).
PROCS=()
for d in "${DIRS[@]}"; do PROCS+=("$d/cgroup.procs"); done
bash -c 'for f in "$@"; do echo $$ >"$f" || exit 1; done
	exec /usr/bin/python3 -c "
a = bytearray(60 << 20)
for i in range(0, len(a), 4096):
    a[i] = 1
while True:
    pass
"' child "${PROCS[@]}" &
CHILD=$!

start_hostwatch live --config.file="$TMP/empty.conf" --log.level=debug \
	--collector.disable-defaults --collector.cgroup \
	--collector.cgroup.include='hw-test' || exit 1
check "libcgroup found the hierarchies" grep -q 'cgroup: hierarchies' "$TMP/live.log"

series() { metric_value "$TMP/$1.txt" "$2{id=\"$ID\"}"; }
HZ=$(getconf CLK_TCK)
# the child's own CPU time (utime + stime), the truth to compare with
child_cpu() { awk -v hz="$HZ" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$CHILD/stat"; }
scrape() {
	child_cpu >"$TMP/$1.cpu0"
	curl -s "$HW_URL/metrics" >"$TMP/$1.txt"
	date +%s.%N >"$TMP/$1.time"
	child_cpu >"$TMP/$1.cpu"
}
ge() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "${1:-nan}" "$2" 2>/dev/null; }

# until the child has its memory
for _ in $(seq 50); do
	scrape s0
	ge "$(series s0 container_memory_usage_bytes)" 52428800 && break
	sleep 0.1
done
scrape s1
sleep 1
scrape s2
expect_eq "collector succeeds" 1 "$(metric_value "$TMP/s2.txt" 'node_scrape_collector_success{collector="cgroup"}')"
u1=$(metric_value "$TMP/s1.txt" "container_cpu_usage_seconds_total{cpu=\"total\",id=\"$ID\"}")
u2=$(metric_value "$TMP/s2.txt" "container_cpu_usage_seconds_total{cpu=\"total\",id=\"$ID\"}")
el=$($PY -c "print(float(open('$TMP/s2.time').read()) - float(open('$TMP/s1.time').read()))")
c1=$(cat "$TMP/s1.cpu0"); c2=$(cat "$TMP/s2.cpu")
echo "# cpu usage $u1 -> $u2 over ${el}s of wall time; the child's /proc stat: $c1 -> $c2"
# A busy thread gets up to the elapsed time, less on a loaded machine:
# the child's own utime+stime over the same interval (read before the
# first and after the second scrape) bounds the growth from above.
check "cpu usage grows by what the child used (0.7x..1x+tick of its /proc time)" \
	$PY -c "import sys; d = $u2 - $u1; c = $c2 - $c1; sys.exit(0 if 0.7 * c - 0.03 <= d <= c + 0.03 else 1)"
check "cpu usage grows by at least a quarter of the elapsed time" \
	$PY -c "import sys; sys.exit(0 if $u2 - $u1 >= 0.25 * $el else 1)"
us=$(series s2 container_cpu_user_seconds_total)
sy=$(series s2 container_cpu_system_seconds_total)
check "user + system is about usage" \
	$PY -c "import sys; sys.exit(0 if abs($us + $sy - $u2) <= 0.1 + 0.05 * $u2 else 1)"
check "memory usage >= 50 MB ($(series s2 container_memory_usage_bytes))" \
	ge "$(series s2 container_memory_usage_bytes)" 52428800
if [ -n "$MEMDIR" ]; then
	check "working set >= 50 MB" ge "$(series s2 container_memory_working_set_bytes)" 52428800
	check "rss >= 50 MB" ge "$(series s2 container_memory_rss)" 52428800
	expect_eq "memory limit" 2.68435456e+08 "$(series s2 container_spec_memory_limit_bytes)"
	expect_eq "no OOM kill" 0 "$(series s2 container_oom_events_total)"
fi
expect_eq "one process" 1 "$(series s2 container_processes)"
if [ -n "${V1[pids]:-}" ] || has_v2 pids; then
	check "threads >= 1" ge "$(series s2 container_threads)" 1
fi
if [ -n "$V2" ]; then
	check "pressure series from the cgroup2 hierarchy" \
		grep -q "^hostwatch_cgroup_pressure_cpu_waiting_seconds_total{id=\"$ID\"} " "$TMP/s2.txt"
fi

# a CFS quota: periods and throttling appear and count
QUOTA=
if [ -n "${V1[cpu]:-}" ]; then
	echo 20000 >"${V1[cpu]}/$NAME/cpu.cfs_quota_us" && QUOTA=1
elif has_v2 cpu; then
	echo "20000 100000" >"$V2/$NAME/cpu.max" && QUOTA=1
fi
if [ -n "$QUOTA" ]; then
	sleep 1
	scrape s3
	check "cfs periods counted under a quota" ge "$(series s3 container_cpu_cfs_periods_total)" 5
	check "cfs throttling counted under a quota" ge "$(series s3 container_cpu_cfs_throttled_periods_total)" 3
	check "throttled time counted" ge "$(series s3 container_cpu_cfs_throttled_seconds_total)" 0.1
fi

# the child ends and its cgroups go: the series go, the scrape succeeds
cg_cleanup
CHILD=
scrape s4
expect_eq "after rmdir: collector succeeds" 1 "$(metric_value "$TMP/s4.txt" 'node_scrape_collector_success{collector="cgroup"}')"
check "after rmdir: the series are gone" bash -c "! grep -q '$NAME' '$TMP/s4.txt'"
finish
