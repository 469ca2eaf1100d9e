#!/bin/bash
# The wall clock jumping back and forward (issue 8, point 4), as NTP or an
# operator's `date -s` does on a real host: libfaketime LD_PRELOADed into
# the daemon only, its offset read from a file at every call
# (FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE=1) so that the test moves
# it while the daemon runs; CLOCK_MONOTONIC left alone
# (FAKETIME_DONT_FAKE_MONOTONIC=1), as on a real host. While the wall
# clock goes +1h, -2h, +3h, -1h:
#   - an alert with `for = 5s` fires 5 s (of monotonic time, plus at most
#     two evaluation intervals) after its condition holds, never at once
#     and never hours later;
#   - a recording rule of sum(rate(node_cpu_seconds_total[10s])) stays
#     within [0, ncpu] (a 2 % margin for the collector's own timing) and
#     keeps being recorded;
#   - the daemon logs no error.
# First pass only: libfaketime's LD_PRELOAD and ASan's interceptors do
# not mix.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/robust_lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"
once_only

FAKETIME_LIB=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
	[ -e "$f" ] && FAKETIME_LIB=$f && break
done
[ -n "$FAKETIME_LIB" ] || { echo "libfaketime is not installed (Debian package faketime)"; exit 99; }
NCPU=$(nproc --all)

notify_conf "$TMP/hw.conf" "$TMP/state" \
	"[alert ClockFor]" \
	'expr = namedprocess_namegroup_num_procs{groupname="sleeper"} > 0' \
	"for = 5s" \
	"[record hw_test:cpu_rate]" \
	"expr = sum(rate(node_cpu_seconds_total[10s]))"
mkdir -p "$TMP/state"
echo "+0" >"$TMP/offset"
jump() { echo "$1" >"$TMP/offset"; echo "# wall clock now $1"; }

LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE="$TMP/offset" \
FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
	start_hostwatch hw --config.file="$TMP/hw.conf" \
	--collector.disable-defaults --collector.cpu --collector.process_groups || exit 1
check "libfaketime is loaded into the daemon" grep -q faketime "/proc/$HW_PID/maps"

# the daemon's wall clock really moves: its /api/v1/alerts activeAt and
# the Date header follow the offset
jump +1h
date_hdr=$(curl -fsSI "$HW_URL/metrics" | sed -n 's/^Date: //Ip' | tr -d '\r')
skew=$(( $(date -d "$date_hdr" +%s) - $(date +%s) ))
check "the daemon's wall clock is an hour ahead (Date: header, skew $skew s)" \
	test "$skew" -ge 3500 -a "$skew" -le 3700

# rate samples, every 0.5 s, in the background, while the clock jumps
( while :; do
	v=$(curl -fsS "$HW_URL/metrics" 2>/dev/null | awk '$1 == "hw_test:cpu_rate" { print $2 }')
	echo "${v:-none}"
	sleep 0.5
  done ) >"$TMP/rates" &
SAMPLER=$!
PIDS+=("$SAMPLER")
sleep 12 # the 10 s window fills

alert_state() {
	curl -fsS "$HW_URL/api/v1/alerts" 2>/dev/null | "$PY" -c 'import json, sys
a = [x for x in json.load(sys.stdin)["data"]["alerts"] if x["labels"]["alertname"] == "ClockFor"]
print(a[0]["state"] if a else "inactive")'
}
sleeper_start
t0=$EPOCHREALTIME
fired=
jumped=0
for _ in $(seq 150); do
	el=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 10 }')
	case "$jumped:$el" in
	0:1[0-9]) jump -2h; jumped=1 ;;
	1:2[5-9]) jump +3h; jumped=2 ;;
	2:4[0-9]) jump -1h; jumped=3 ;;
	esac
	if [ "$(alert_state)" = firing ]; then fired=$el; break; fi
	sleep 0.1
done
echo "# ClockFor fired $(awk -v d="${fired:-0}" 'BEGIN { print d / 10 }') s after its condition held"
check "for = 5s fired, not never (15 s)" test -n "$fired"
# Found: the rule engine's clock is the wall clock (main.c's now_ms(),
# CLOCK_REALTIME, passed to engine_tick): the +3h jump fires it at once.
pending "not before 5 s of monotonic time, whatever the jumps" \
	"engine_tick on a monotonic clock (src/main.c now_ms)" test "${fired:-0}" -ge 50
check "within two evaluation intervals after" test "${fired:-999}" -le 75
sleeper_stop
jump +0
sleep 5
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null

n=$(grep -c . "$TMP/rates")
none=$(grep -c '^none$' "$TMP/rates")
bad=$(grep -v '^none$' "$TMP/rates" | awk -v n="$NCPU" '$1 < 0 || $1 > n * 1.02 { c++ } END { print c + 0 }')
echo "# rate samples: $n, absent: $none, out of [0, $NCPU]: $bad; range $(grep -v '^none$' "$TMP/rates" | sort -g | sed -n '1p;$p' | paste -sd' ' -)"
check "at least 30 rate samples" test "$n" -ge 30
# Found: samples are stamped with the wall clock; after a backward jump
# the window holds none (the newer ones sort before the old), and rate()
# is absent until the clock passes the old samples again.
pending "rate() recorded in 90 % of the scrapes after the window filled" \
	"sample timestamps from a monotonic clock (src/main.c now_ms)" \
	test $((none * 10)) -le "$n"
expect_eq "rate() over a window stays within [0, ncpu]" 0 "$bad"
check "the daemon is alive" alive "$HW_PID"
check "the daemon logged no error" bash -c "! grep -q 'level=error' '$TMP/hw.log'"
grep 'level=\(warn\|error\)' "$TMP/hw.log" | head -5 | sed 's/^/# /'
finish_pending
