#!/bin/bash
# gzip engines side by side on a real scrape body of this host (the same
# collectors as bench/scrape.sh), in one run: CPU time per body and size.
#
#   bench/gzip.sh [BUILD_DIR] [ROUNDS]      (default: build, 3000)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROUNDS=${2:-3000}
[ -x "$BUILD/hostwatch" ] || { echo "build hostwatch first (tools/check.sh builds into build/)"; exit 1; }
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
FLAGS=(--collector.disable-defaults)
for c in cpu diskstats filesystem loadavg meminfo netdev os pressure stat time uname; do
	FLAGS+=(--collector.$c)
done
: >"$TMP/empty.conf"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/hostwatch" --config.file="$TMP/empty.conf" --web.listen-address=127.0.0.1:$PORT "${FLAGS[@]}" 2>"$TMP/hw.log" &
for _ in $(seq 100); do
	curl -fs -o "$TMP/body" -H 'Accept: application/openmetrics-text;version=1.0.0' \
		"http://127.0.0.1:$PORT/metrics" && break
	sleep 0.1
done
cc -O2 -I include -I "$BUILD" bench/gzip.c "$BUILD/libhostwatch.a" \
	$(pkg-config --libs zlib) $(pkg-config --exists libdeflate && pkg-config --libs libdeflate) \
	-o "$TMP/gzip-bench"
"$TMP/gzip-bench" "$TMP/body" "$ROUNDS"
