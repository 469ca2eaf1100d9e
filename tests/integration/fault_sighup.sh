#!/bin/bash
# SIGHUP storms (issue 8): storms of 200 SIGHUPs in a tight loop, one
# after another while /metrics is scraped 150 times (at most 50 storms),
# the configuration file changing between the signals. No crash, every
# scrape answered 200, RSS bounded (within 10 % of its value after a first
# storm), and the configuration in force at the end is the last one written
# (the collectors it enables: loadavg only in the last, written at the
# 200th signal).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/robust_lib.sh"
once_only
conf() { # N: the config written at the Nth signal (loadavg only at the 200th)
	local la=false; [ "$1" = 200 ] && la=true
	printf '# %s\n[collectors]\ndisable_defaults = true\ncpu = true\nloadavg = %s\n' "$1" "$la" >"$TMP/hw.conf.new"
	mv "$TMP/hw.conf.new" "$TMP/hw.conf"
}
conf 0
start_hostwatch hw --config.file="$TMP/hw.conf" || exit 1
storm() { # N: N SIGHUPs, a new config every 10th, scraping meanwhile
	local i
	for i in $(seq 200); do
		[ $((i % 10)) = 0 ] && conf "$i"
		kill -HUP "$HW_PID" || return 1
	done
}
scrape_loop() { # while the storm runs: every scrape of the current path
	local ok=0 bad=0 code
	for _ in $(seq 150); do
		code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$HW_URL/metrics")
		case $code in 200) ok=$((ok + 1)) ;; *) bad=$((bad + 1)) ;; esac
	done
	echo "$ok $bad"
}
storm 1; conf 0; kill -HUP "$HW_PID"; sleep 1
expect_eq "between storms, loadavg is off" "" "$(curl -fsS "$HW_URL/metrics" | grep -m1 '^node_load1 ')"
first=$(rss_kb "$HW_PID")
scrape_loop >"$TMP/scr" & sp=$!
rounds=0 # storms of 200 for as long as the scrapes run (at most 50)
while kill -0 "$sp" 2>/dev/null && [ $rounds -lt 50 ]; do storm 2; rounds=$((rounds + 1)); done
wait "$sp"
echo "# $rounds storms of 200 SIGHUPs during the scrapes"; read -r good bad <"$TMP/scr"
sleep 1
after=$(rss_kb "$HW_PID")
echo "# scrapes during the storm: $good answered 200, $bad failed; VmRSS $first kB -> $after kB"
check "daemon alive after $(( (rounds + 1) * 200 )) SIGHUPs" alive "$HW_PID"
expect_eq "every one of 150 scrapes during the storm answered 200" 150 "$good"
check "RSS bounded ($first kB -> $after kB, within 10 %)" within_pct "$first" "$after" 10
check "the last configuration is in force: loadavg on" bash -c "curl -fsS '$HW_URL/metrics' | grep -q '^node_load1 '"
check "and cpu still on" bash -c "curl -fsS '$HW_URL/metrics' | grep -q '^node_cpu_seconds_total'"
check "no crash or sanitizer report in the log" bash -c "! grep -qE 'AddressSanitizer|runtime error' '$TMP/hw.log'"
finish
