#!/bin/bash
# The rule engine's cost next to its peer, Prometheus 2.42 evaluating the
# same rules, in one run:
#
#   bench/rules.sh [BUILD_DIR] [SECONDS]   (default: build, 120)
#
# 1. defaults: hostwatch with its default collectors and default rules
#    (etc/default.rules.yml) at a 10 s interval, not scraped: the engine
#    samples the collectors and evaluates 16 rules every 10 s. Peer: the
#    same hostwatch without rules, scraped every 10 s by Prometheus, which
#    evaluates the same rule file every 10 s (what users run today:
#    an exporter plus Prometheus for a handful of alerts).
# 2. large: 200 generated rules (recording and alerting: rate, sum by,
#    avg_over_time, ratios, comparisons) over the container_* series of a
#    generated tree of 220 cgroups (bench/gen_cgroup_tree.py, ~5,000
#    series), hostwatch alone (cgroup collector) vs hostwatch without rules
#    scraped by Prometheus evaluating the same 200 rules.
# Both sides run at the same time for SECONDS; CPU is se.sum_exec_runtime
# of every thread (bench/lib.sh) over that time, as a share of one core;
# memory is VmRSS at the end. hostwatch without rules and not scraped costs
# nothing measurable (it only waits), so the first column is the engine's
# cost; the peer's is the exporter's scrapes plus Prometheus.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECONDS_RUN=${2:-120}
HW="$BUILD/hostwatch"
PROM=${PROMETHEUS:-/usr/bin/prometheus}
PY=/usr/bin/python3
[ -x "$HW" ] || { echo "build hostwatch first: $HW"; exit 1; }
[ -x "$PROM" ] || { echo "Prometheus not found (Debian package prometheus)"; exit 1; }
. bench/lib.sh
TMP=$(mktemp -d)
cleanup() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_http() { for _ in $(seq 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer at $1"; exit 1; }

# 200 rules over container_* of the generated tree
gen_rules() {
	$PY - <<'EOF'
kinds = [
    ('record', 'sum by (id) (rate(container_cpu_usage_seconds_total{{id=~"/slice{s:03d}.*"}}[5m]))'),
    ('alert', 'container_memory_working_set_bytes{{id=~"/slice{s:03d}.*"}} / container_memory_usage_bytes > 0.{n}'),
    ('record', 'avg_over_time(container_memory_usage_bytes{{id=~"/slice{s:03d}.*"}}[5m])'),
    ('alert', 'sum without (device) (rate(container_fs_reads_bytes_total[5m])) > {n}'),
    ('record', 'max by (id) (increase(container_cpu_cfs_throttled_periods_total[10m]))'),
    ('alert', 'container_processes{{id=~"/slice{s:03d}.*"}} > {n}'),
    ('record', 'count(container_threads > 0)'),
    ('alert', 'rate(container_cpu_system_seconds_total[1m]) * 100 > {n}'),
    ('record', 'sum(rate(container_cpu_user_seconds_total[5m]))'),
    ('alert', 'container_memory_rss / container_spec_memory_limit_bytes > 0.{n}'),
    ('record', 'max by (id) (container_memory_cache)'),
    ('alert', 'increase(container_oom_events_total[10m]) > 0'),
    ('record', 'sum(rate(hostwatch_cgroup_pressure_cpu_waiting_seconds_total[5m])) + sum(rate(hostwatch_cgroup_pressure_cpu_stalled_seconds_total[5m]))'),
    ('record', 'sum(rate(hostwatch_cgroup_pressure_memory_waiting_seconds_total[5m])) + sum(rate(hostwatch_cgroup_pressure_memory_stalled_seconds_total[5m]))'),
    ('record', 'sum(rate(hostwatch_cgroup_pressure_io_waiting_seconds_total[5m])) + sum(rate(hostwatch_cgroup_pressure_io_stalled_seconds_total[5m]))'),
    ('alert', 'rate(container_fs_writes_bytes_total[5m]) > {n}'),
    ('record', 'sum(container_memory_swap) + sum(container_memory_events_high_total) + sum(container_memory_events_max_total)'),
    ('alert', 'rate(container_cpu_cfs_periods_total[5m]) > {n} or rate(container_cpu_cfs_throttled_seconds_total[5m]) > {n}'),
]
print("groups:\n  - name: bench\n    rules:")
for i in range(200):
    kind, expr = kinds[i % len(kinds)]
    expr = expr.format(s=i % 8, n=i % 9 + 1)
    if kind == 'record':
        print(f"      - record: bench:r{i}\n        expr: '{expr}'")
    else:
        print(f"      - alert: Bench{i}\n        expr: '{expr}'\n        for: 1m\n"
              f"        annotations:\n          summary: 'value {{{{ $value | humanize }}}}'")
EOF
}

# run_pair NAME RULEFILE HW-ARGS...: hostwatch with the rules, and hostwatch
# without them scraped by Prometheus with the rules, for SECONDS_RUN.
run_pair() {
	local name=$1 rules=$2; shift 2
	local p1 p2 p3 c1 c2 c3 e1 e2 e3 s1
	: >"$TMP/empty.conf"
	p1=$(port)
	"$HW" --config.file="$TMP/empty.conf" --web.listen-address=127.0.0.1:$p1 \
		--rules.evaluation-interval=10s --no-rules.defaults --rules.files="$rules" \
		--path.state-directory="$TMP" "$@" 2>"$TMP/$name-hw.log" &
	local H1=$!
	p2=$(port)
	"$HW" --config.file="$TMP/empty.conf" --web.listen-address=127.0.0.1:$p2 \
		--no-rules.defaults "$@" 2>"$TMP/$name-exp.log" &
	local H2=$!
	p3=$(port)
	cat >"$TMP/$name-prom.yml" <<EOF
global:
  scrape_interval: 10s
  evaluation_interval: 10s
rule_files: ['$rules']
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['127.0.0.1:$p2']}]
EOF
	"$PROM" --config.file="$TMP/$name-prom.yml" --storage.tsdb.path="$TMP/$name-tsdb" \
		--web.listen-address=127.0.0.1:$p3 >"$TMP/$name-prom.log" 2>&1 &
	local PR=$!
	wait_http "http://127.0.0.1:$p1/metrics"
	wait_http "http://127.0.0.1:$p2/metrics"
	wait_http "http://127.0.0.1:$p3/-/ready"
	# start-up (loading, the first cold collection) is not the steady state
	sleep 15
	c1=$(cpu_ms $H1); c2=$(cpu_ms $H2); c3=$(cpu_ms $PR)
	sleep "$SECONDS_RUN"
	e1=$(cpu_ms $H1); e2=$(cpu_ms $H2); e3=$(cpu_ms $PR)
	local ms=$((SECONDS_RUN * 1000))
	local hw peer
	hw=$(awk -v a="$c1" -v b="$e1" -v t="$ms" 'BEGIN {printf "%.4f", (b - a) / t * 100}')
	peer=$(awk -v a="$c2" -v b="$e2" -v c="$c3" -v d="$e3" -v t="$ms" 'BEGIN {printf "%.4f", ((b - a) + (d - c)) / t * 100}')
	s1=$(curl -fs "http://127.0.0.1:$p1/metrics" | awk '/^hostwatch_rule_series / {s=$2} /^hostwatch_rule_samples / {m=$2} END {print s, m}')
	local nrules
	nrules=$(curl -fs "http://127.0.0.1:$p1/api/v1/rules" | $PY -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
	local bad
	bad=$(curl -fs "http://127.0.0.1:$p1/api/v1/rules" | $PY -c 'import json,sys; print(sum(r["health"] != "ok" for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]))')
	printf '%-9s %5s %12s %9s %10s %12s %14s %9s %10s\n' "$name" "$nrules" "$s1" \
		"$hw%" "$(rss_kb $H1) kB" "$peer%" "$(( $(rss_kb $H2) + $(rss_kb $PR) )) kB" \
		"$(awk -v a="$hw" -v b="$peer" 'BEGIN {printf "%.3fx", a / b}')" "$bad"
	kill $H1 $H2 $PR
	wait $H1 $H2 $PR 2>/dev/null || true
}

echo "CPU: $CPUSRC over ${SECONDS_RUN}s, as a share of one core; memory: VmRSS"
printf '%-9s %5s %12s %9s %10s %12s %14s %9s %10s\n' "" rules "series samples" \
	"hostwatch" "memory" "exporter+Prom" "memory" "CPU ratio" "unhealthy"
run_pair defaults "$PWD/etc/default.rules.yml"
mkdir -p "$TMP/tree"
$PY bench/gen_cgroup_tree.py "$TMP/tree" 220 tests/fixtures/cgroup-v2
gen_rules >"$TMP/large.rules.yml"
run_pair large "$TMP/large.rules.yml" --path.cgroupfs="$TMP/tree" \
	--collector.disable-defaults --collector.cgroup --collector.cgroup.include= \
	--collector.cgroup.max-depth=3
