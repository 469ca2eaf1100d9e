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
# and once plain (text format, no gzip); its CPU time (utime+stime from
# /proc/PID/stat) per scrape is set next to bench/cgroup_floor.c, compiled
# here, which opens, reads and closes the same files K times in a tight loop,
# and to the collector alone (the same program linked with libhostwatch.a:
# the walk, reads and parsing, no HTTP, formatting or gzip). All three are
# measured in interleaved rounds, so that they see the same machine load.
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
HWLIBS=$(sed -n 's/^\(MHD\|INIH\|ZLIB\|LIBDEFLATE\|PTHREAD\)_LIBS = //p' "$BUILD/Makefile" | tr '\n' ' ')
cc -O2 -Wall -DHW_COLLECTOR -I"$BUILD" -Iinclude -o "$TMP/cgroup_collector" \
	bench/cgroup_floor.c "$BUILD/libhostwatch.a" $HWLIBS -lm
HZ=$(getconf CLK_TCK)
ROUNDS=5
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# generate TREE N: N cgroups, the root included
generate() {
	$PY - "$1" "$2" tests/fixtures/cgroup-v2 <<'EOF'
import os, sys
tree, n, fx = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tpl = {f: open(os.path.join(fx, "system.slice/nginx.service", f)).read()
       for f in ("cpu.stat", "memory.current", "memory.stat", "memory.swap.current",
                 "memory.max", "memory.events", "pids.current", "cgroup.procs",
                 "io.stat", "cpu.pressure", "memory.pressure", "io.pressure",
                 "cgroup.controllers", "cgroup.type", "memory.high", "pids.max")}
root = {f: open(os.path.join(fx, f)).read()
        for f in ("cgroup.controllers", "cgroup.procs", "cpu.stat", "memory.stat",
                  "io.stat", "cpu.pressure", "memory.pressure", "io.pressure",
                  "cgroup.subtree_control")}
def write(d, files):
    os.makedirs(d, exist_ok=True)
    for k, v in files.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v)
count = 0
def cg(path, i):
    global count
    files = dict(tpl)
    files["cpu.max"] = "50000 100000\n" if i % 4 == 0 else "max 100000\n"
    # numbers of the same length, different per cgroup
    files["memory.current"] = "%d\n" % (150994944 + i * 4096)
    files["pids.current"] = "%d\n" % (1 + i % 9)
    write(os.path.join(tree, path), files)
    count += 1
write(tree, root)
count = 1
slices = max(1, n // 25)
i = 0
for s in range(slices):
    if count >= n: break
    cg("slice%03d.slice" % s, i); i += 1
per = (n - 1 - slices) // slices + 1
for s in range(slices):
    for j in range(per):
        if count >= n: break
        svc = "slice%03d.slice/svc%04d.service" % (s, j)
        cg(svc, i); i += 1
        if j % 10 == 0 and count < n:
            cg(svc + "/payload.scope", i); i += 1
assert count == n, (count, n)
EOF
}

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

printf '%-7s %5s %10s %10s %10s %10s %8s %8s %8s %9s %9s\n' \
	cgroups K floor collector "scrape" "scrape" collector scrape scrape \
	"scrape" samples
printf '%-7s %5s %10s %10s %10s %10s %8s %8s %8s %9s %9s\n' \
	"" "" ms ms "txt ms" "gzip ms" "/floor" "txt/fl" "gzip/fl" "us/cgroup" ""
for N in 250 500 1000; do
	rm -rf "${TREE:?}"/*
	generate "$TREE" "$N"
	P=$(port)
	"$HW" --config.file="$TMP/empty.conf" --web.listen-address=127.0.0.1:$P \
		--path.cgroupfs="$TREE" --collector.disable-defaults --collector.cgroup \
		--collector.cgroup.include= --collector.cgroup.max-depth=3 2>"$TMP/hw.log" &
	HPID=$!
	for _ in $(seq 100); do curl -fs -o "$TMP/out.txt" "http://127.0.0.1:$P/metrics" && break; sleep 0.05; done
	grep -q 'node_scrape_collector_success{collector="cgroup"} 1' "$TMP/out.txt" || { echo "scrape failed"; cat "$TMP/hw.log"; exit 1; }
	SAMPLES=$(grep -c '^container_\|^hostwatch_cgroup' "$TMP/out.txt")
	# K for about TARGET seconds of hostwatch CPU, from a first estimate
	t0=$(ticks $HPID); $PY bench/scrape_client.py "$P" 20 >/dev/null; t1=$(ticks $HPID)
	K=$($PY -c "print(max(50, int($TARGET * $HZ * 20 / max(1, $t1 - $t0)) // $ROUNDS * $ROUNDS))")
	# in rounds, interleaved, so that all three see the same machine load
	GZT=0; TXTT=0; FLS=0; COLS=0
	for _ in $(seq $ROUNDS); do
		t0=$(ticks $HPID); $PY bench/scrape_client.py "$P" $((K / ROUNDS)) >/dev/null; t1=$(ticks $HPID)
		GZT=$((GZT + t1 - t0))
		t0=$(ticks $HPID); $PY "$TMP/plain.py" "$P" $((K / ROUNDS)); t1=$(ticks $HPID)
		TXTT=$((TXTT + t1 - t0))
		f=$("$TMP/cgroup_floor" "$TREE" 3 $((K / ROUNDS)) | awk '{print $6}')
		FLS=$($PY -c "print($FLS + $f)")
		c=$("$TMP/cgroup_collector" --collector "$TREE" 3 $((K / ROUNDS)) | awk '{print $4}')
		COLS=$($PY -c "print($COLS + $c)")
	done
	kill $HPID; wait $HPID 2>/dev/null || true
	GZ=$($PY -c "print($GZT * 1000.0 / $HZ / $K)")
	TXT=$($PY -c "print($TXTT * 1000.0 / $HZ / $K)")
	FLOOR=$($PY -c "print($FLS / $ROUNDS)")
	COLL=$($PY -c "print($COLS / $ROUNDS)")
	$PY -c "
n, k, gz, txt, fl, co, s = $N, $K, $GZ, $TXT, $FLOOR, $COLL, $SAMPLES
print('%-7d %5d %10.3f %10.3f %10.3f %10.3f %7.2fx %7.2fx %7.2fx %9.2f %9d' % (n, k, fl, co, txt, gz, co / fl, txt / fl, gz / fl, gz * 1000 / n, s))"
done
