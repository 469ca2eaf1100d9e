#!/bin/bash
# At run time a broken or vanished file fails one collector
# (node_scrape_collector_success 0), never the daemon; the rest of the scrape
# is served, and the collector recovers when the file does.
. "$top_srcdir/tests/integration/lib.sh"

TREE="$TMP/tree"
cp -a "$top_srcdir/tests/fixtures/kernel-6.18/." "$TREE/"
: >"$TMP/empty.conf"
start_hostwatch main --config.file="$TMP/empty.conf" \
	--path.procfs="$TREE/proc" --path.sysfs="$TREE/sys" --path.rootfs="$TREE/root" \
	--no-collector.netdev.netlink || exit 1

success() { # collector -> its node_scrape_collector_success in a fresh scrape
	curl -s "$HW_URL/metrics" >"$TMP/scrape.txt" || { echo down; return; }
	metric_value "$TMP/scrape.txt" "node_scrape_collector_success{collector=\"$1\"}"
}
all_ok() {
	curl -s "$HW_URL/metrics" >"$TMP/scrape.txt"
	! grep -q '^node_scrape_collector_success{.*} 0$' "$TMP/scrape.txt"
}
check "every collector succeeds on the intact tree" all_ok

# break FILE HOW COLLECTOR...: break the file, expect those collectors at 0,
# the others at 1 and the daemon alive; restore, expect all at 1 again.
break_file() {
	local file=$1 how=$2; shift 2
	cp -a "$TREE/$file" "$TMP/saved"
	case $how in
	empty) : >"$TREE/$file" ;;
	vanish) rm -f "$TREE/$file" ;;
	truncate) # cut mid-line: the first half, never ending on a newline
		$PY -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d[:len(d) // 2].rstrip(b"\n"))' \
			"$TMP/saved" "$TREE/$file" ;;
	garbage) printf '\xff\xfe garbage \x01\x02 line\n%s\n' "$(printf 'x%.0s' $(seq 300))" >"$TREE/$file" ;;
	esac
	for c in "$@"; do
		expect_eq "$file $how: collector $c fails" 0 "$(success "$c")"
	done
	check "$file $how: the rest of the scrape is served" grep -q '^node_scrape_collector_success{collector="uname"} 1$' "$TMP/scrape.txt"
	check "$file $how: daemon alive" kill -0 "$HW_PID"
	cp -a "$TMP/saved" "$TREE/$file"
	check "$file restored: every collector succeeds again" all_ok
}

break_file proc/meminfo empty meminfo
break_file proc/meminfo vanish meminfo
break_file proc/loadavg garbage loadavg
break_file proc/loadavg truncate loadavg
break_file proc/stat vanish cpu stat
break_file proc/stat truncate cpu stat
break_file proc/stat empty cpu stat
break_file proc/meminfo truncate meminfo
break_file proc/pressure/memory truncate pressure
break_file proc/stat garbage cpu stat
break_file proc/diskstats garbage diskstats
break_file proc/net/dev truncate netdev
break_file proc/net/dev vanish netdev
break_file proc/1/mounts garbage filesystem
break_file proc/1/mounts truncate filesystem
break_file proc/pressure/cpu vanish pressure

# Many scrapes while a file flips between broken and intact: never a crash.
for i in $(seq 50); do
	if [ $((i % 2)) = 0 ]; then : >"$TREE/proc/meminfo"; else cp "$top_srcdir/tests/fixtures/kernel-6.18/proc/meminfo" "$TREE/proc/meminfo"; fi
	curl -s -o /dev/null "$HW_URL/metrics" &
	curl -s -o /dev/null "$HW_URL/metrics"
done
wait_http "$HW_URL/-/healthy"
check "alive after 100 scrapes racing a flipping file" kill -0 "$HW_PID"
finish
