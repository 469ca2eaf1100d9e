# Shared by the load_*.sh and fault_*.sh tests (sourced by bash, after
# lib.sh). Every daemon they start listens on 127.0.0.1; every loop they
# run is bounded in count and in time.

# once_only: these tests measure the daemon's memory and timing, which an
# ASan build changes (shadow memory, quarantine, a slower daemon): they run
# in the first pass of tools/check.sh only.
once_only() {
	[ "${HW_ONCE_TESTS:-yes}" = no ] && { echo "SKIP: runs in the first pass only"; exit 77; }
	return 0
}

# heavy_alone: these tests load the whole machine (wrk on both cores,
# 2,000 connections, a tree of 10,000 cgroups); beside them under make -j
# the timing-sensitive tests starve. tools/check.sh therefore runs them on
# their own after the parallel suite: HW_HEAVY=later skips them inside it.
heavy_alone() {
	once_only
	[ "${HW_HEAVY:-}" = later ] && { echo "SKIP: runs alone after the parallel suite (tools/check.sh)"; exit 77; }
	return 0
}

# rss_kb PID: its VmRSS in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# alive PID: the process still runs (and is not a zombie).
alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# scrapes URL N: N sequential GETs; prints how many answered 200.
scrapes() {
	local ok=0 i
	for i in $(seq "$2"); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && ok=$((ok + 1))
	done
	echo "$ok"
}

# within_pct A B PCT: |A - B| <= PCT % of A.
within_pct() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d * 100 <= a * p) }'; }

# pending DESCRIPTION WHAT COMMAND...: a check that waits for a change
# outside this test's owner's files (WHAT says which). Passing, it is an
# ok; failing, it is printed as "not ok ... # PENDING" and counted in
# PENDING, not in FAILS -- reported on the summary line, never silent.
# HW_PENDING_FAILS=yes makes it an ordinary failure.
PENDING=0
pending() {
	local d=$1 what=$2; shift 2
	if "$@"; then ok "$d"; return; fi
	if [ "${HW_PENDING_FAILS:-no}" = yes ]; then not_ok "$d"; return; fi
	PENDING=$((PENDING + 1))
	echo "not ok - $d # PENDING: $what"
}
finish_pending() {
	[ "$PENDING" -gt 0 ] && echo "# $PENDING check(s) PENDING (see above)"
	finish
}

# best_time URL N: the best of N curl total times for URL (1 s at most
# each), in ms (99999
# when none answered 200). This VM is shared: one try can be delayed by a
# neighbour, the best of three measures the server.
best_time() {
	local i t code best=99999
	for i in $(seq "$2"); do
		read -r code t < <(curl -s -o /dev/null -m 1 -w '%{http_code} %{time_total}\n' "$1")
		[ "$code" = 200 ] || continue
		t=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000 }')
		[ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
