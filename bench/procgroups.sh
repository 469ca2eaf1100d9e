#!/bin/bash
# process_groups benchmark: 2,000 real processes, 50 of them in five
# configured groups, and hostwatch running only the process_groups
# collector. Prints, from one run:
#   - the CPU time of a scrape (hostwatch's, all threads, over SCRAPES
#     Prometheus-style scrapes: gzip, one keep-alive connection),
#   - the physical floor: bench/procgroups_floor.c making the same system
#     calls as a steady-state scan (loadavg, the new part of the listing of
#     /proc and a full listing every 8th time, stat, status and fd/ of the
#     50 matched processes) in a tight loop, and nothing else,
#   - the floor of a scan that lists all of /proc every time, as
#     process-exporter does: what the incremental listing saves,
#   - the same floor served: one pass per HTTP request, scraped by the same
#     client at the same pace as hostwatch (bench/floor_serve.h), so that
#     it runs in a scrape's conditions (woken, caches cooled) and not hot,
#   - the collector itself in process, in the floor's tight loop,
#   - the ratios, each the median of ROUNDS (default 10) interleaved rounds
#     (bench/lib.sh; target: at most 1.5),
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
# the same program with the collector in it, linked as the daemon is
HWLIBS=$(make -s -C "$BUILD" hw-print-libs)
cc -O2 -Wall -DHW_COLLECTOR -I"$BUILD" -Iinclude -o "$TMP/collector" \
	bench/procgroups_floor.c "$BUILD/libhostwatch.a" $HWLIBS -lm

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
. bench/lib.sh
scrapes() { $PY bench/scrape_client.py "$1" "$2" >/dev/null; }
ms_per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.3f", (b - a) / n}'; }

start pg "$TMP/pg.conf"; PG_PID=$PID; PG_PORT=$PORT
start base "$TMP/empty.conf"; BASE_PID=$PID; BASE_PORT=$PORT
# the floor served over HTTP, scraped by the same client at the same pace
"$TMP/floor" --serve /proc "${MATCHED[@]}" >"$TMP/floor.port" &
FLOOR_PID=$!
HWPIDS+=($FLOOR_PID)
for _ in $(seq 100); do
	FLOOR_PORT=$(awk '$1 == "port" {print $2}' "$TMP/floor.port")
	[ -n "$FLOOR_PORT" ] && break
	sleep 0.05
done

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
scrapes $FLOOR_PORT 100

# Interleaved rounds so that all three see the same machine; each ratio is
# the median of the per-round ratios (bench/lib.sh says why).
ROUNDS=${ROUNDS:-10}
PER=$((N / ROUNDS))
HWS=(); BASES=(); FIS=(); FFS=(); FOS=(); FSS=(); COS=(); RI=(); RF=(); RO=(); RS=(); RC=(); RW=()
for r in $(seq $ROUNDS); do
	a=$(cpu_ms $PG_PID); scrapes $PG_PORT $PER; b=$(cpu_ms $PG_PID)
	hw=$(ms_per "$a" "$b" $PER)
	a=$(cpu_ms $BASE_PID); scrapes $BASE_PORT $PER; b=$(cpu_ms $BASE_PID)
	BASES+=("$(ms_per "$a" "$b" $PER)")
	a=$(cpu_ms $FLOOR_PID); scrapes $FLOOR_PORT $PER; b=$(cpu_ms $FLOOR_PID)
	fs=$(ms_per "$a" "$b" $PER)
	"$TMP/floor" /proc $PER "${MATCHED[@]}" >"$TMP/floor.out"
	fi=$(awk '$1 == "incr" {print $2}' "$TMP/floor.out")
	ff=$(awk '$1 == "full" {print $2}' "$TMP/floor.out")
	fo=$(awk '$1 == "open" {print $2}' "$TMP/floor.out")
	co=$("$TMP/collector" --collector "$TMP/pg.conf" $PER | awk '{print $2}')
	HWS+=("$hw"); FIS+=("$fi"); FFS+=("$ff"); FOS+=("$fo"); FSS+=("$fs"); COS+=("$co")
	RI+=("$(ratio "$hw" "$fi")"); RF+=("$(ratio "$hw" "$ff")"); RO+=("$(ratio "$hw" "$fo")")
	RS+=("$(ratio "$hw" "$fs")"); RC+=("$(ratio "$co" "$fi")"); RW+=("$(ratio "$fs" "$fi")")
done
read -r HWMS _ _ < <(stats "${HWS[@]}")
read -r BASEMS _ _ < <(stats "${BASES[@]}")
read -r FI _ _ < <(stats "${FIS[@]}")
read -r FF _ _ < <(stats "${FFS[@]}")
read -r FO _ _ < <(stats "${FOS[@]}")
read -r FS _ _ < <(stats "${FSS[@]}")
read -r CO _ _ < <(stats "${COS[@]}")
read -r RATIO RLO RHI < <(stats "${RI[@]}")
read -r RATIO_F FLO FHI < <(stats "${RF[@]}")
read -r RATIO_O _ _ < <(stats "${RO[@]}")
read -r RATIO_S SLO SHI < <(stats "${RS[@]}")
read -r RATIO_C CLO CHI < <(stats "${RC[@]}")
read -r RATIO_W WLO WHI < <(stats "${RW[@]}")

NALL=$(ls /proc | grep -c '^[0-9]')
echo "processes on the host: $NALL ($NPROC started here, $((${#GROUPS_[@]} * PER_GROUP)) of them in ${#GROUPS_[@]} groups)"
echo "scrapes: $((PER * ROUNDS)) of each hostwatch, Prometheus 2.42 scrape headers (gzip); CPU: $CPUSRC"
printf '%-58s %8s\n' "per round, median" "ms"
printf '%-58s %8.3f\n' "hostwatch CPU per scrape (process_groups, 5 groups)" "$HWMS"
printf '%-58s %8.3f\n' "floor: the same system calls, kept descriptors" "$FI"
printf '%-58s %8.3f\n' "floor: all of /proc listed every scan, kept descriptors" "$FF"
printf '%-58s %8.3f\n' "floor: all listed, files opened/read/closed each time" "$FO"
printf '%-58s %8.3f\n' "floor, kept, served: one pass per scrape, same client" "$FS"
printf '%-58s %8.3f\n' "the collector alone, in process, in a tight loop" "$CO"
printf '%-58s %8.3f\n' "hostwatch CPU per scrape with no [process] section" "$BASEMS"
printf '%-58s %8.3f\n' "first (cold) scrape: every process new, CPU" "$COLD"
r3() { awk -v m="$2" -v lo="$3" -v hi="$4" -v t="$1" -v n=$ROUNDS 'BEGIN {printf "%-44s %5.2fx [%.2f-%.2f]\n", t, m, lo, hi}'; }
echo "ratios: the median of $ROUNDS rounds [lowest-highest round]; target <= 1.5x"
r3 "scrape / floor (tight loop)" "$RATIO" "$RLO" "$RHI"
r3 "scrape / floor (served as the scrapes)" "$RATIO_S" "$SLO" "$SHI"
r3 "collector in process / floor (both tight)" "$RATIO_C" "$CLO" "$CHI"
r3 "scrape / floor listing all /proc (tight)" "$RATIO_F" "$FLO" "$FHI"
r3 "the floor itself: served / tight loop" "$RATIO_W" "$WLO" "$WHI"
awk -v m="$RATIO_O" 'BEGIN {printf "%-44s %5.2fx\n", "scrape / floor all listed, open/read/close", m}'
