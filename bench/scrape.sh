#!/bin/bash
# Side-by-side scrape benchmark: hostwatch and Debian's prometheus-node-exporter
# with the same collectors on this host, in one run. Prints, for each, CPU time
# per scrape (the server's utime+stime over the run / scrapes), median and p99
# client latency, VmRSS and RssAnon after 1,000 and after 10,000 scrapes, and
# the ratios.
#
#   bench/scrape.sh [BUILD_DIR] [SCRAPES]      (default: build, 10000)
#
# Each exporter is scraped the way Prometheus does it (same Accept and gzip
# headers, one keep-alive connection, one scrape at a time).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-10000}
HW="$BUILD/hostwatch"
NE=$(command -v prometheus-node-exporter)
PY=/usr/bin/python3
[ -x "$HW" ] || { echo "build hostwatch first (tools/check.sh builds into build/)"; exit 1; }
COLLECTORS="cpu diskstats filesystem loadavg meminfo netdev os pressure stat time uname"
FLAGS=(--collector.disable-defaults)
for c in $COLLECTORS; do FLAGS+=(--collector.$c); done
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
: >"$TMP/empty.conf"

HP=$(port); NP=$(port)
"$HW" --config.file="$TMP/empty.conf" --web.listen-address=127.0.0.1:$HP "${FLAGS[@]}" 2>"$TMP/hw.log" &
HPID=$!
"$NE" --web.listen-address=127.0.0.1:$NP "${FLAGS[@]}" 2>"$TMP/ne.log" &
NPID=$!
for _ in $(seq 100); do
	curl -fs -o /dev/null "http://127.0.0.1:$HP/metrics" && curl -fs -o /dev/null "http://127.0.0.1:$NP/metrics" && break
	sleep 0.1
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mem() { awk '/^VmRSS|^RssAnon/ {printf "%s ", $2}' "/proc/$1/status"; }
HZ=$(getconf CLK_TCK)

# run NAME PID PORT COUNT -> appends "cpu_s lat_file" for that phase
phase() {
	local name=$1 pid=$2 p=$3 count=$4 t0 t1
	t0=$(ticks "$pid")
	$PY bench/scrape_client.py "$p" "$count" >>"$TMP/$name.lat"
	t1=$(ticks "$pid")
	echo $((t1 - t0)) >>"$TMP/$name.ticks"
}
# Interleave the two in rounds so that both see the same machine load.
ROUND=500
first=1000
for name in hw ne; do : >"$TMP/$name.lat"; : >"$TMP/$name.ticks"; done
done_n=0
while [ $done_n -lt "$N" ]; do
	phase hw $HPID $HP $ROUND
	phase ne $NPID $NP $ROUND
	done_n=$((done_n + ROUND))
	if [ $done_n -eq $first ]; then
		HM1=$(mem $HPID); NM1=$(mem $NPID)
	fi
done
HM2=$(mem $HPID); NM2=$(mem $NPID)
[ -n "${HM1:-}" ] || { HM1=$HM2; NM1=$NM2; }

GZ=$("$HW" --version | awk '/gzip:/ {print $2}')
$PY - "$TMP" "$N" "$HZ" "$HM1" "$HM2" "$NM1" "$NM2" "$GZ" <<'PYEOF'
import statistics, sys
tmp, n, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
gz = sys.argv[8]
hm1, hm2, nm1, nm2 = [list(map(int, a.split())) for a in sys.argv[4:8]]
def stats(name):
    lat = sorted(float(x) for x in open(f"{tmp}/{name}.lat"))
    cpu = sum(int(x) for x in open(f"{tmp}/{name}.ticks")) / hz
    return cpu / n, statistics.median(lat), lat[int(len(lat) * 0.99) - 1]
h, e = stats("hw"), stats("ne")
print(f"scrapes per exporter: {n}, same collectors, Prometheus 2.42 scrape headers (gzip)")
print(f"hostwatch gzip engine: {gz}")
print(f"{'':34}{'hostwatch':>14}{'node_exporter':>16}{'ratio':>10}")
rows = [
    ("CPU time per scrape (ms)", h[0] * 1e3, e[0] * 1e3),
    ("median scrape latency (ms)", h[1] * 1e3, e[1] * 1e3),
    ("p99 scrape latency (ms)", h[2] * 1e3, e[2] * 1e3),
    ("VmRSS after 1,000 scrapes (MB)", hm1[0] / 1024, nm1[0] / 1024),
    ("RssAnon after 1,000 scrapes (MB)", hm1[1] / 1024, nm1[1] / 1024),
    (f"VmRSS after {n:,} scrapes (MB)", hm2[0] / 1024, nm2[0] / 1024),
    (f"RssAnon after {n:,} scrapes (MB)", hm2[1] / 1024, nm2[1] / 1024),
]
for label, a, b in rows:
    print(f"{label:34}{a:14.3f}{b:16.3f}{(b / a if a else float('inf')):9.1f}x")
print(f"hostwatch RSS growth 1,000 -> {n:,} scrapes: {hm2[0] - hm1[0]} kB VmRSS, {hm2[1] - hm1[1]} kB RssAnon")
PYEOF
