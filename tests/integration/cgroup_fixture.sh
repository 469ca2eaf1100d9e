#!/bin/bash
# The cgroup collector in the daemon, on copies of the fixture trees
# (tests/fixtures/cgroup-v2 and cgroup-v1, kernel 6.18): the exposition
# (text and OpenMetrics) passes promtool, a malformed file fails only this
# collector and the daemon serves the rest, a cgroup removed between
# scrapes simply disappears, and SIGHUP re-reads the layout.
. "$top_srcdir/tests/integration/lib.sh"

: >"$TMP/empty.conf"
cp -a "$top_srcdir/tests/fixtures/cgroup-v2" "$TMP/v2"
cp -a "$top_srcdir/tests/fixtures/cgroup-v1" "$TMP/v1"
SYSFS="$top_srcdir/tests/fixtures/cgroup-v1/sys"
PT=${PROMTOOL:-}
[ -n "$PT" ] || PT=$(command -v promtool || true)

scrape() { curl -s "$HW_URL/metrics" >"$TMP/$1.txt"; }
success() { metric_value "$TMP/$1.txt" 'node_scrape_collector_success{collector="cgroup"}'; }
NGINX='id="/system.slice/nginx.service"'

for layout in v2 v1; do
	start_hostwatch "$layout" --config.file="$TMP/empty.conf" \
		--collector.disable-defaults --collector.cgroup --collector.uname \
		--path.cgroupfs="$TMP/$layout" --path.sysfs="$SYSFS" || exit 1
	scrape "$layout"
	expect_eq "$layout: collector succeeds" 1 "$(success "$layout")"
	expect_eq "$layout: nginx memory limit" 5.36870912e+08 \
		"$(metric_value "$TMP/$layout.txt" "container_spec_memory_limit_bytes{$NGINX}")"
	expect_eq "$layout: nginx throttled periods" 97 \
		"$(metric_value "$TMP/$layout.txt" "container_cpu_cfs_throttled_periods_total{$NGINX}")"
	expect_eq "$layout: nginx bytes written to vda" 2.097152e+08 \
		"$(metric_value "$TMP/$layout.txt" "container_fs_writes_bytes_total{device=\"/dev/vda\",$NGINX}")"
	check "$layout: the scope is filtered out" \
		bash -c "! grep -q session-3.scope '$TMP/$layout.txt'"
	if [ -x "$PT" ]; then
		check "$layout: promtool check metrics is clean" \
			bash -c "'$PT' check metrics <'$TMP/$layout.txt'"
	fi
	curl -s -H 'Accept: application/openmetrics-text;version=1.0.0' \
		"$HW_URL/metrics" >"$TMP/$layout.om"
	check "$layout: OpenMetrics output has the counters" \
		grep -q '^container_cpu_usage_seconds_total{cpu="total",id="/"} ' "$TMP/$layout.om"

	# a malformed file fails this collector only, and recovers
	stat_file="$TMP/$layout/system.slice/nginx.service/memory.stat"
	[ "$layout" = v1 ] && stat_file="$TMP/v1/memory/system.slice/nginx.service/memory.stat"
	cp "$stat_file" "$TMP/saved"
	printf 'garbage\n' >"$stat_file"
	scrape broken
	expect_eq "$layout: malformed memory.stat fails the collector" 0 "$(success broken)"
	check "$layout: ... and the rest of the scrape is served" \
		grep -q '^node_scrape_collector_success{collector="uname"} 1$' "$TMP/broken.txt"
	cp "$TMP/saved" "$stat_file"
	scrape fixed
	expect_eq "$layout: restored, the collector succeeds" 1 "$(success fixed)"

	# a cgroup removed between scrapes: gone from the output, no failure
	if [ "$layout" = v2 ]; then
		rm -rf "$TMP/v2/system.slice/nginx.service"
	else
		for h in cpu cpuacct memory pids blkio unified; do
			rm -rf "$TMP/v1/$h/system.slice/nginx.service"
		done
	fi
	scrape removed
	expect_eq "$layout: removed cgroup: collector succeeds" 1 "$(success removed)"
	check "$layout: removed cgroup: its series are gone" \
		bash -c "! grep -q nginx.service '$TMP/removed.txt'"
	kill "$HW_PID"
done

# SIGHUP runs the collector's init again: a tree that changed from v2 to
# nothing, then back
start_hostwatch reload --config.file="$TMP/empty.conf" \
	--collector.disable-defaults --collector.cgroup \
	--path.cgroupfs="$TMP/v2" --path.sysfs="$SYSFS" || exit 1
mv "$TMP/v2" "$TMP/v2.away"
kill -HUP "$HW_PID"; sleep 0.5
scrape away
expect_eq "reload: no hierarchy: collector fails" 0 "$(success away)"
mv "$TMP/v2.away" "$TMP/v2"
kill -HUP "$HW_PID"; sleep 0.5
scrape back
expect_eq "reload: hierarchy back: collector succeeds" 1 "$(success back)"
check "daemon still running" kill -0 "$HW_PID"
finish
