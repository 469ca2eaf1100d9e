#!/bin/bash
# Exhaustion (issue 8): 10,000 containers' worth of cgroups and 100,000
# series for the rule store. A cgroup v2 tree (bench/gen_cgroup_tree.py) on
# a tmpfs under --path.cgroupfs, every cgroup published (empty include):
# - 10,000 cgroups: all 10,000 published; 12,000: still 10,000 (the
#   collector's bound, logged once) and the RSS no higher than at 10,000
#   (+5 %); the tree shrunk to 100: the RSS does not grow.
# - the rule store: a rule selecting every container_* series of the
#   10,000 cgroups (over 100,000 offered) with --rules.max-series=20000:
#   exactly 20,000 kept, the rest counted dropped, and the daemon's RSS
#   over the same daemon without the rule within 20,000 x (ring + 1 KiB).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/robust_lib.sh"
heavy_alone
GEN="$top_srcdir/bench/gen_cgroup_tree.py"
FX="$top_srcdir/tests/fixtures/cgroup-v2"
T="$TMP/cg"
mkdir -p "$T"
if mount -t tmpfs -o size=1g hw-test-cg "$T" 2>/dev/null; then
	trap 'umount -l "$T" 2>/dev/null; cleanup' EXIT
fi
tree() { rm -rf "${T:?}"/*; "$PY" "$GEN" "$T" "$1" "$FX"; }
ids() { curl -fsS "$HW_URL/metrics" | grep -c '^container_cpu_usage_seconds_total{'; }
CG=(--collector.disable-defaults --collector.cgroup --path.cgroupfs="$T" --collector.cgroup.include= --collector.cgroup.max-depth=3)

tree 100
start_hostwatch cg "${CG[@]}" || exit 1
scrapes "$HW_URL/metrics" 20 >/dev/null
small=$(rss_kb "$HW_PID")
tree 10000
n=$(ids); scrapes "$HW_URL/metrics" 5 >/dev/null
expect_eq "10,000 cgroups published" 10000 "$n"
r10k=$(rss_kb "$HW_PID")
tree 12000
n=$(ids); scrapes "$HW_URL/metrics" 5 >/dev/null
expect_eq "12,000 cgroups: 10,000 published (the bound)" 10000 "$n"
check "the bound logged once" test "$(grep -c 'more than 10000 cgroups selected' "$TMP/cg.log")" = 1
r12k=$(rss_kb "$HW_PID")
tree 100
scrapes "$HW_URL/metrics" 20 >/dev/null
back=$(rss_kb "$HW_PID")
echo "# VmRSS: 100 cgroups $small kB, 10,000 $r10k kB, 12,000 $r12k kB, back to 100 $back kB"
check "RSS at 12,000 ($r12k kB) within 5 % of RSS at 10,000 ($r10k kB)" \
	awk -v a="$r10k" -v b="$r12k" 'BEGIN { exit !(b <= a * 1.05) }'
check "RSS does not grow when the tree shrinks ($back kB)" test "$back" -le "$r12k"
check "daemon alive" alive "$HW_PID"

# The rule store, on 10,000 cgroups.
tree 10000
curl -fsS "$HW_URL/metrics" >"$TMP/m.txt"
offered=$(grep -c '^container_' "$TMP/m.txt")
check "over 100,000 container_* series offered ($offered)" test "$offered" -ge 100000
base=$(rss_kb "$HW_PID")
kill "$HW_PID"; wait "$HW_PID" 2>/dev/null
MAX=20000 INTERVAL=5
cat >"$TMP/rules.conf" <<EOF2
[rules]
evaluation_interval = ${INTERVAL}s
defaults = off
max_series = $MAX
[alert ManySeries]
expr = count({__name__=~"container_.+"}) > 0
EOF2
start_hostwatch rules "${CG[@]}" --config.file="$TMP/rules.conf" || exit 1
scrapes "$HW_URL/metrics" 5 >/dev/null
sleep $((INTERVAL * 3))
curl -fsS "$HW_URL/metrics" >"$TMP/m2.txt"
expect_eq "the store holds max_series ($MAX) series" "$MAX" "$(metric_value "$TMP/m2.txt" hostwatch_rule_series)"
dropped=$(metric_value "$TMP/m2.txt" hostwatch_rule_series_dropped_total)
check "the rest counted dropped ($dropped)" awk -v d="${dropped:-0}" 'BEGIN { exit !(d > 0) }'
check "the cap logged" grep -q 'series' "$TMP/rules.log"
withrules=$(rss_kb "$HW_PID")
# ring: 5m lookback / interval + 2 samples of 16 bytes
bound=$(( MAX * ((300 / INTERVAL + 2) * 16 + 1024) / 1024 ))
echo "# VmRSS without the rule $base kB, with it $withrules kB; bound: +$bound kB"
check "RSS with 20,000 stored series within the bound ($((withrules - base)) kB <= $bound kB)" \
	test $((withrules - base)) -le "$bound"
check "daemon alive" alive "$HW_PID"
finish
