#!/bin/bash
# process_groups benchmark: 2,000 real processes, 50 of them in five
# configured groups, and hostwatch running only the process_groups
# collector. Prints, from one run:
#   - the CPU time of a scrape (hostwatch's, all threads, over SCRAPES
#     Prometheus-style scrapes: gzip, one keep-alive connection),
#   - the physical floor: bench/procgroups_floor.c making the same system
#     calls as a steady-state scan (getdents64 of /proc, stat, status and
#     fd/ of the 50 matched processes) in a tight loop, and nothing else,
#   - their ratio (target: at most 1.5),
#   - the same scrape with no [process] section (HTTP, gzip, process_* and
#     node_scrape_* alone), and the first, cold scan, which reads the
#     selectors of every process.
#
#   bench/procgroups.sh [BUILD_DIR] [SCRAPES]      (default: build, 2000)
#
# Every process it starts is killed on exit, by PID.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-2000}
HW="$BUILD/hostwatch"
PY=/usr/bin/python3
NPROC=2000
GROUPS_=(web db cache queue cron)
PER_GROUP=10
[ -x "$HW" ] || { echo "build hostwatch first (tools/check.sh builds into build/)"; exit 1; }

TMP=$(mktemp -d)
SPAWNED=()
HWPIDS=()
cleanup() {
	set +e
	if [ ${#HWPIDS[@]} -gt 0 ]; then kill "${HWPIDS[@]}" 2>/dev/null; fi
	local i
	for ((i = 0; i < ${#SPAWNED[@]}; i += 500)); do
		kill "${SPAWNED[@]:i:500}" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -Wall -o "$TMP/floor" bench/procgroups_floor.c

# The processes: argv[0] carries a marker (exec -a), the program is sleep.
M="hwbench$$"
spawn() { (exec -a "$1" sleep 3600) </dev/null >/dev/null 2>&1 & SPAWNED+=($!); }
MATCHED=()
for g in "${GROUPS_[@]}"; do
	for i in $(seq $PER_GROUP); do
		spawn "$M-$g-$i"
		MATCHED+=("${SPAWNED[-1]}")
	done
done
for i in $(seq $((NPROC - ${#MATCHED[@]}))); do spawn "$M-idle-$i"; done
# Wait until every one of them has called execve.
for p in "${SPAWNED[@]}"; do
	for _ in $(seq 500); do
		case "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in "$M-"*) break ;; esac
		sleep 0.01
	done
done

# Five groups, each selector kind once: cmdline, comm AND cmdline, cmdline
# AND user, exe AND cmdline, cmdline.
cat >"$TMP/pg.conf" <<EOF
[process web]
cmdline = ^$M-web-
[process db]
comm = ^sleep\$
cmdline = ^$M-db-
[process cache]
cmdline = ^$M-cache-
user = $(id -u)
[process queue]
exe = /sleep\$
cmdline = ^$M-queue-
[process cron]
cmdline = ^$M-cron-
EOF
: >"$TMP/empty.conf"

start() { # NAME CONFIG -> sets PORT, PID
	"$HW" --config.file="$2" --web.listen-address=127.0.0.1:0 \
		--collector.disable-defaults --collector.process_groups \
		>"$TMP/$1.log" 2>&1 &
	PID=$!
	HWPIDS+=($PID)
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*Listening on address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$1.log" | head -n1)
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	echo "hostwatch did not start:"; cat "$TMP/$1.log"; exit 1
}
# CPU milliseconds of every thread of a process: se.sum_exec_runtime of
# /proc/PID/task/*/sched (ns resolution) when the kernel has it, else
# utime+stime in clock ticks.
if [ -r /proc/self/sched ] && grep -q sum_exec_runtime /proc/self/sched; then
	cpu_ms() { cat /proc/"$1"/task/*/sched 2>/dev/null | awk '/^se.sum_exec_runtime/ {s += $3} END {printf "%.6f\n", s}'; }
	CPUSRC="se.sum_exec_runtime of every thread"
else
	HZ=$(getconf CLK_TCK)
	cpu_ms() { awk -v hz="$HZ" '{printf "%.6f\n", ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }
	CPUSRC="utime+stime (clock ticks)"
fi
scrapes() { $PY bench/scrape_client.py "$1" "$2" >/dev/null; }
ms_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.3f", (b - a) / n}'; }

start pg "$TMP/pg.conf"; PG_PID=$PID; PG_PORT=$PORT
start base "$TMP/empty.conf"; BASE_PID=$PID; BASE_PORT=$PORT

# The first scrape is the cold scan: every process is new.
c0=$(cpu_ms $PG_PID)
scrapes $PG_PORT 1
c1=$(cpu_ms $PG_PID)
COLD=$(ms_per "$c0" "$c1" 1)
curl -fsS -o "$TMP/m" "http://127.0.0.1:$PG_PORT/metrics"
for g in "${GROUPS_[@]}"; do
	n=$(awk -v s="namedprocess_namegroup_num_procs{groupname=\"$g\"}" '$1 == s {print $2}' "$TMP/m")
	[ "$n" = "$PER_GROUP" ] || { echo "group $g has [$n] processes, expected $PER_GROUP"; exit 1; }
done
scrapes $PG_PORT 100
scrapes $BASE_PORT 100

# Interleaved rounds so that all three see the same machine.
ROUNDS=10
PER=$((N / ROUNDS))
FLOOR_ITERS=$PER
hw=0; base=0; fk=0; fo=0
for r in $(seq $ROUNDS); do
	a=$(cpu_ms $PG_PID); scrapes $PG_PORT $PER; b=$(cpu_ms $PG_PID)
	hw=$(awk -v s="$hw" -v a="$a" -v b="$b" 'BEGIN {printf "%.6f", s + b - a}')
	a=$(cpu_ms $BASE_PID); scrapes $BASE_PORT $PER; b=$(cpu_ms $BASE_PID)
	base=$(awk -v s="$base" -v a="$a" -v b="$b" 'BEGIN {printf "%.6f", s + b - a}')
	"$TMP/floor" /proc $FLOOR_ITERS "${MATCHED[@]}" >"$TMP/floor.out"
	fk=$(awk -v s="$fk" '$1 == "kept" {printf "%.6f", s + $2}' "$TMP/floor.out")
	fo=$(awk -v s="$fo" '$1 == "open" {printf "%.6f", s + $2}' "$TMP/floor.out")
done
HWMS=$(ms_per 0 "$hw" $((PER * ROUNDS)))
BASEMS=$(ms_per 0 "$base" $((PER * ROUNDS)))
FK=$(ms_per 0 "$fk" $ROUNDS)
FO=$(ms_per 0 "$fo" $ROUNDS)

NALL=$(ls /proc | grep -c '^[0-9]')
echo "processes on the host: $NALL ($NPROC started here, $((${#GROUPS_[@]} * PER_GROUP)) of them in ${#GROUPS_[@]} groups)"
echo "scrapes: $((PER * ROUNDS)) of each hostwatch, Prometheus 2.42 scrape headers (gzip); CPU: $CPUSRC"
printf '%-58s %8s\n' "" "ms"
printf '%-58s %8s\n' "hostwatch CPU per scrape (process_groups, 5 groups)" "$HWMS"
printf '%-58s %8s\n' "floor: the same system calls, kept descriptors" "$FK"
printf '%-58s %8s\n' "floor: the same files opened/read/closed each time" "$FO"
printf '%-58s %8s\n' "hostwatch CPU per scrape with no [process] section" "$BASEMS"
printf '%-58s %8s\n' "first (cold) scrape: every process new, CPU" "$COLD"
RATIO=$(awk -v a="$HWMS" -v b="$FK" 'BEGIN {printf "%.2f", a / b}')
echo "ratio scrape / floor (kept): ${RATIO}x (target <= 1.5x)"
awk -v a="$HWMS" -v b="$FO" 'BEGIN {printf "ratio scrape / floor (open/read/close): %.2fx\n", a / b}'
