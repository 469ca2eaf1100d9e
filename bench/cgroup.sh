#!/bin/bash
# The cgroup collector's scrape cost next to its physical floor, for 250,
# 500 and 1,000 cgroups, in one run.
#
#   bench/cgroup.sh [BUILD_DIR] [SCRAPE_CPU_SECONDS]   (default: build, 3)
#
# For each N a cgroup v2 tree of N cgroups is generated on a fresh tmpfs
# (root + slices + services, some with a child at depth 3; every file the
# collector reads, with the contents of tests/fixtures/cgroup-v2's
# nginx.service: a full 6.18 memory.stat, two devices in io.stat, a CPU
# quota on every fourth service). hostwatch runs on it with
#   --path.cgroupfs=TREE --collector.disable-defaults --collector.cgroup
#   --collector.cgroup.include= --collector.cgroup.max-depth=3
# and is scraped K times (K sized for about SCRAPE_CPU_SECONDS of its CPU),
# once with Prometheus's headers (OpenMetrics, gzip: bench/scrape_client.py)
# and once plain (text format, no gzip). Its CPU time per scrape (every
# thread's, bench/lib.sh) is set next to the physical floor,
# bench/cgroup_floor.c compiled here, which opens, reads and closes the same
# files in a tight loop; and next to the same program linked with
# libhostwatch.a running the collector alone (the walk, reads and parsing:
# no formatting, gzip or HTTP) and the whole scrape but HTTP (collector,
# OpenMetrics writer, gzip) in process; and next to the floor served, one
# pass per HTTP request scraped by the same client at the same pace
# (bench/floor_serve.h: in a scrape's conditions, not hot). All are measured in ROUNDS
# (default 10) interleaved rounds of K/ROUNDS passes; every ratio is the
# median of the per-round ratios (bench/lib.sh says why).
# Needs root for the tmpfs mount (falls back to /dev/shm).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TARGET=${2:-3}
HW="$BUILD/hostwatch"
PY=/usr/bin/python3
[ -x "$HW" ] || { echo "build hostwatch first: $HW"; exit 1; }
TMP=$(mktemp -d)
TREE="$TMP/tree"
mkdir -p "$TREE"
MOUNTED=
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=512m hw-bench "$TREE"; then
	MOUNTED=1
else
	TREE=$(mktemp -d /dev/shm/hw-bench.XXXXXX)
fi
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "$MOUNTED" ] && umount "$TREE"
	[ -z "$MOUNTED" ] && rm -rf "$TREE"
	rm -rf "$TMP"
}
trap cleanup EXIT
: >"$TMP/empty.conf"
cc -O2 -Wall -o "$TMP/cgroup_floor" bench/cgroup_floor.c
# the same program with the collector in it, linked as the daemon is
HWLIBS=$(make -s -C "$BUILD" hw-print-libs)
cc -O2 -Wall -DHW_COLLECTOR -I"$BUILD" -Iinclude -o "$TMP/cgroup_collector" \
	bench/cgroup_floor.c "$BUILD/libhostwatch.a" $HWLIBS -lm
. bench/lib.sh
ROUNDS=${ROUNDS:-10}
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# generate TREE N: N cgroups, the root included (bench/gen_cgroup_tree.py)
generate() { $PY bench/gen_cgroup_tree.py "$1" "$2" tests/fixtures/cgroup-v2; }

# plain.py PORT K: K scrapes without gzip, text format, one connection
cat >"$TMP/plain.py" <<'EOF'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("GET", "/metrics")
    r = c.getresponse()
    b = r.read()
    if r.status != 200 or not b:
        sys.exit("scrape failed")
EOF

echo "CPU of hostwatch: $CPUSRC; $ROUNDS interleaved rounds per size;"
echo "ratios to the floor: the median round [lowest-highest round]"
printf '%-7s %5s %8s %9s %9s %9s %21s %21s %9s %8s\n' \
	cgroups K floor collector "in-proc" "scrape" "scrape" "scrape gzip /" "scrape" samples
printf '%-7s %5s %8s %9s %9s %9s %21s %21s %9s %8s\n' \
	"" "" ms "/floor" "gzip/fl" "txt/fl" "gzip/floor" "served floor" "us/cgroup" ""
for N in 250 500 1000; do
	rm -rf "${TREE:?}"/*
	generate "$TREE" "$N"
	P=$(port)
	"$HW" --config.file="$TMP/empty.conf" --web.listen-address=127.0.0.1:$P \
		--path.cgroupfs="$TREE" --collector.disable-defaults --collector.cgroup \
		--collector.cgroup.include= --collector.cgroup.max-depth=3 2>"$TMP/hw.log" &
	HPID=$!
	# the floor served over HTTP, scraped by the same client at the same pace
	"$TMP/cgroup_floor" --serve "$TREE" 3 >"$TMP/floor.port" &
	FPID=$!
	for _ in $(seq 100); do curl -fs -o "$TMP/out.txt" "http://127.0.0.1:$P/metrics" && break; sleep 0.05; done
	FP=$(awk '$1 == "port" {print $2}' "$TMP/floor.port")
	grep -q 'node_scrape_collector_success{collector="cgroup"} 1' "$TMP/out.txt" || { echo "scrape failed"; cat "$TMP/hw.log"; exit 1; }
	SAMPLES=$(grep -c '^container_\|^hostwatch_cgroup' "$TMP/out.txt")
	# K for about TARGET seconds of hostwatch CPU, from a first estimate
	t0=$(cpu_ms $HPID); $PY bench/scrape_client.py "$P" 20 >/dev/null; t1=$(cpu_ms $HPID)
	PER=$($PY -c "print(max(5, int($TARGET * 1000 * 20 / max(1, $t1 - $t0)) // $ROUNDS))")
	K=$((PER * ROUNDS))
	# each round: the daemon (gzip, then plain), the floor, the collector
	# alone and the in-process scrape, PER passes each
	R_CO=(); R_IN=(); R_TXT=(); R_GZ=(); R_SV=(); FLS=(); GZS=()
	for _ in $(seq $ROUNDS); do
		t0=$(cpu_ms $HPID); $PY bench/scrape_client.py "$P" $PER >/dev/null; t1=$(cpu_ms $HPID)
		gz=$(awk -v a="$t0" -v b="$t1" -v n=$PER 'BEGIN {print (b - a) / n}')
		t0=$(cpu_ms $HPID); $PY "$TMP/plain.py" "$P" $PER; t1=$(cpu_ms $HPID)
		txt=$(awk -v a="$t0" -v b="$t1" -v n=$PER 'BEGIN {print (b - a) / n}')
		t0=$(cpu_ms $FPID); $PY bench/scrape_client.py "$FP" $PER >/dev/null; t1=$(cpu_ms $FPID)
		sv=$(awk -v a="$t0" -v b="$t1" -v n=$PER 'BEGIN {print (b - a) / n}')
		fl=$("$TMP/cgroup_floor" "$TREE" 3 $PER | awk '{print $6}')
		co=$("$TMP/cgroup_collector" --collector "$TREE" 3 $PER | awk '{print $4}')
		in=$("$TMP/cgroup_collector" --gzip "$TREE" 3 $PER | awk '{print $4}')
		R_CO+=("$(ratio "$co" "$fl")"); R_IN+=("$(ratio "$in" "$fl")")
		R_TXT+=("$(ratio "$txt" "$fl")"); R_GZ+=("$(ratio "$gz" "$fl")")
		R_SV+=("$(ratio "$gz" "$sv")")
		FLS+=("$fl"); GZS+=("$gz")
	done
	kill $HPID $FPID; wait $HPID $FPID 2>/dev/null || true
	read -r FL _ _ < <(stats "${FLS[@]}")
	read -r GZ _ _ < <(stats "${GZS[@]}")
	read -r CO _ _ < <(stats "${R_CO[@]}")
	read -r IN _ _ < <(stats "${R_IN[@]}")
	read -r TXT _ _ < <(stats "${R_TXT[@]}")
	read -r RGZ LO HI < <(stats "${R_GZ[@]}")
	read -r RSV SLO SHI < <(stats "${R_SV[@]}")
	awk -v n=$N -v k=$K -v fl="$FL" -v co="$CO" -v in_="$IN" -v txt="$TXT" \
		-v rgz="$RGZ" -v lo="$LO" -v hi="$HI" -v rsv="$RSV" -v slo="$SLO" \
		-v shi="$SHI" -v gz="$GZ" -v s=$SAMPLES 'BEGIN {
		printf "%-7d %5d %8.3f %8.2fx %8.2fx %8.2fx %6.2fx [%.2f-%.2f] %6.2fx [%.2f-%.2f] %9.2f %8d\n",
			n, k, fl, co, in_, txt, rgz, lo, hi, rsv, slo, shi, gz * 1000 / n, s}'
done
