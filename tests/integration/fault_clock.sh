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
# start_faked NAME ARGS...: start_hostwatch on the clock jump() moves
start_faked() {
	LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE="$TMP/offset" \
	FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 start_hostwatch "$@"
}
# Python's ts(): Go's RFC 3339 time (nanoseconds) as epoch seconds
PY_TS='import datetime, json, re, sys
def ts(t): return datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", t).replace("Z", "+00:00")).timestamp()'

start_faked hw --config.file="$TMP/hw.conf" \
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

# offset_s +3h: the offset in seconds
offset_s() { "$PY" -c 'import sys; v = sys.argv[1]; print(int(v[:-1]) * 3600 if v.endswith("h") else int(v))' "$1"; }
# active_at NAME [URL]: the alert's activeAt from /api/v1/alerts, in epoch
# seconds
active_at() {
	curl -fsS "${2:-$HW_URL}/api/v1/alerts" 2>/dev/null | "$PY" -c "$PY_TS"'
a = [x for x in json.load(sys.stdin)["data"]["alerts"] if x["labels"]["alertname"] == sys.argv[1]]
print("%.3f" % ts(a[0]["activeAt"]) if a else "")' "$1"
}
num_near() { awk -v x="$1" -v y="$2" -v d="$3" 'BEGIN { exit !(x != "" && x - y <= d && y - x <= d) }'; }
alert_state() { # alert_state [NAME]
	curl -fsS "$HW_URL/api/v1/alerts" 2>/dev/null | "$PY" -c 'import json, sys
a = [x for x in json.load(sys.stdin)["data"]["alerts"] if x["labels"]["alertname"] == sys.argv[1]]
print(a[0]["state"] if a else "inactive")' "${1:-ClockFor}"
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
# (Before the engine ran on clock.h's engine time, the +3h jump fired it
# at once.)
check "not before 5 s of monotonic time, whatever the jumps" test "${fired:-0}" -ge 50
check "within two evaluation intervals after" test "${fired:-999}" -le 75
# The API's activeAt is on the daemon's wall clock as it is now: when the
# condition began, whatever steps the clock took since (engine times are
# mapped out at the last moment, clock.h).
held=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
want=$(awk -v n="$EPOCHREALTIME" -v o="$(offset_s "$(cat "$TMP/offset")")" -v h="$held" \
	'BEGIN { printf "%.3f", n + o - h }')
got=$(active_at ClockFor)
echo "# activeAt $got, the daemon's clock less ${held}s held: $want"
check "activeAt is the daemon's wall clock less the time the condition held" \
	num_near "$got" "$want" 3
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
# (When samples were stamped with the wall clock, a backward jump left
# the window empty and rate() absent until the clock caught up.)
check "rate() recorded in 90 % of the scrapes after the window filled" \
	test $((none * 10)) -le "$n"
expect_eq "rate() over a window stays within [0, ncpu]" 0 "$bad"
check "the daemon is alive" alive "$HW_PID"
check "the daemon logged no error" bash -c "! grep -q 'level=error' '$TMP/hw.log'"
grep 'level=\(warn\|error\)' "$TMP/hw.log" | head -5 | sed 's/^/# /'
kill "$HW_PID" && wait "$HW_PID" 2>/dev/null

# ---- NTP steps the clock after an alert fired --------------------------------
# A host boots with its clock 2 h behind; hostwatch starts, an alert
# fires and is pushed to a real Alertmanager (whose clock is right); then
# NTP steps the clock. The next push must carry startsAt and endsAt on the
# corrected clock: with endsAt still 2 h behind, Alertmanager would take
# the alert for resolved. Then a restart: alerts.json holds wall times, so
# the restored alert's activeAt is still the true one.
AM=${ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}
if [ -z "$AM" ]; then
	not_ok "prometheus-alertmanager is installed (Debian package prometheus-alertmanager)"
	finish_pending
fi
printf '%s\n' "route:" "  receiver: none" "receivers:" "  - name: none" >"$TMP/am.yml"
spawn_on_port "$TMP/am.log" "address=127.0.0.1:@PORT@" "$AM" --config.file="$TMP/am.yml" \
	--storage.path="$TMP/am" --cluster.listen-address= \
	--web.listen-address=127.0.0.1:@PORT@ || exit 1
AM_URL="http://127.0.0.1:$SPAWN_PORT"
check "Alertmanager ready" wait_http "$AM_URL/-/ready"
# am_alert: "STATE STARTS ENDS" (epoch seconds) of SleeperUp in Alertmanager
am_alert() {
	curl -fsS "$AM_URL/api/v2/alerts?filter=alertname%3D%22SleeperUp%22" |
		"$PY" -c "$PY_TS"'
a = json.load(sys.stdin)
print("%s %.0f %.0f" % (a[0]["status"]["state"], ts(a[0]["startsAt"]), ts(a[0]["endsAt"])) if a else "none")'
}
mkdir -p "$TMP/state2"
notify_conf "$TMP/hw2.conf" "$TMP/state2" \
	"[webhook am]" "url = $AM_URL/api/v2/alerts" "format = alertmanager-api"
jump -2h
start_faked hw2 --config.file="$TMP/hw2.conf" "${NOTIFY_ARGS[@]}" || exit 1
sleeper_start
t1=$EPOCHREALTIME
for _ in $(seq 100); do [ "$(alert_state SleeperUp)" = firing ] && break; sleep 0.1; done
expect_eq "SleeperUp fires on a clock 2 h behind" firing "$(alert_state SleeperUp)"
for _ in $(seq 50); do
	[ "$(curl -fsS "$AM_URL/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true" |
		"$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" -gt 0 ] && break
	sleep 0.1
done
echo "# before the step, Alertmanager has: $(am_alert)"
jump +0
# resend_delay is 1 s: within a few seconds a push on the new clock
for _ in $(seq 60); do
	set -- $(am_alert)
	[ "$1" = active ] && break
	sleep 0.1
done
now=$(date +%s)
echo "# after the step: $*, now $now"
expect_eq "after the step Alertmanager holds the alert as active" active "$1"
check "its endsAt is ahead of the true clock" test "${3:-0}" -gt "$now"
check "its startsAt is when it fired, on the true clock" num_near "${2:-0}" "${t1%.*}" 3
act1=$(active_at SleeperUp)
check "the API's activeAt too" num_near "$act1" "${t1%.*}" 3

kill "$HW_PID" && wait "$HW_PID" 2>/dev/null
start_faked hw3 --config.file="$TMP/hw2.conf" "${NOTIFY_ARGS[@]}" || exit 1
for _ in $(seq 50); do [ -n "$(active_at SleeperUp)" ] && break; sleep 0.1; done
act2=$(active_at SleeperUp)
echo "# activeAt before the restart $act1, after $act2"
check "after a restart the restored activeAt is the same instant" num_near "$act2" "$act1" 1
sleeper_stop
check "the daemon is alive" alive "$HW_PID"
check "the daemons logged no error" bash -c "! grep -q 'level=error' '$TMP/hw2.log' '$TMP/hw3.log'"
finish_pending
