#!/bin/bash
# A full disk under the spool (issue 8, point 4): the state directory is a
# 64 KiB tmpfs, the webhook receiver is down, eight alerts fire and
# resolve (a sleeper started and stopped every 1.2 s) until the spool's writes fail with ENOSPC. hostwatch says
# so clearly in its log, counts the notifications it could not spool as
# dropped, and stays alive and scraping.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/robust_lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (mount -t tmpfs)"

STATE="$TMP/state"
mkdir -p "$STATE"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$STATE" || skip "cannot mount a tmpfs here"
MOUNTED=1
full_cleanup() {
	local rc=$? p
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "$MOUNTED" ] && { umount "$STATE" || umount -l "$STATE"; }
	cleanup
	exit "$rc"
}
trap full_cleanup EXIT

P1=$(free_port)
alerts=()
for i in $(seq 2 8); do
	alerts+=("[alert SleeperUp$i]"
		 'expr = namedprocess_namegroup_num_procs{groupname="sleeper"} > 0'
		 "labels.n = $i" "annotations.pad = $(printf 'x%.0s' $(seq 150))")
done
notify_conf "$TMP/hw.conf" "$STATE" "${alerts[@]}" \
	"[webhook ops]" "url = http://127.0.0.1:$P1/hook" "format = json" \
	"group_by = ..." "group_wait = 0s" "group_interval = 1s"
start_hostwatch hw --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1

D='hostwatch_notifications_total{channel="ops",result="dropped"}'
dropped=
for i in $(seq 40); do
	if [ $((i % 2)) = 1 ]; then sleeper_start; else sleeper_stop; fi
	sleep 1.2
	dropped=$(scrape_metric "$D")
	[ -n "$dropped" ] && [ "${dropped%.*}" -gt 0 ] && break
done
sleeper_start
echo "# after the disk filled: df $(df -k "$STATE" | awk 'NR == 2 { print $3 "/" $2 " KiB" }'), dropped $dropped, queued $(scrape_metric 'hostwatch_notification_queue_length{channel="ops"}')"
check "notifications that could not be spooled counted as dropped ($dropped)" \
	test "${dropped%.*}" -gt 0
check "the log says why, clearly (not spooled: No space left on device)" \
	grep -q 'level=error.*not spooled: No space left on device' "$TMP/hw.log"
grep 'level=error' "$TMP/hw.log" | head -2 | sed 's/^/# /'
sleep 3 # more evaluations against the full disk
check "the daemon is alive" alive "$HW_PID"
expect_eq "and scraping (10 of 10)" 10 "$(scrapes "$HW_URL/metrics" 10)"
check "node metrics still served" \
	bash -c "curl -fsS '$HW_URL/metrics' | grep -q '^namedprocess_namegroup_num_procs{groupname=\"sleeper\"} 1'"
sleeper_stop
finish
