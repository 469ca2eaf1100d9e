# Shared by the notification tests (sourced by bash, after lib.sh): alerts
# driven by real processes, receivers, and reading hostwatch's metrics.
#
# The alert: [process sleeper] counts copies of /bin/sleep under a name of
# this test's own (tests run in parallel, and a process group sees every
# process on the host: another test's sleepers must not count); SleeperUp
# fires while one runs (evaluation every 1 s, no `for`), so a test fires
# and resolves it by starting and killing one.

RECEIVER="$top_srcdir/tests/unit/deliver_receiver.py"
SLEEPER="hwn$(($$ % 100000))r$RANDOM" # comm: at most 15 characters
cp /bin/sleep "$TMP/$SLEEPER"
SLEEPERS=()

# notify_conf FILE STATE_DIR EXTRA...: a configuration with the sleeper
# alert and the sections given as further arguments (one line each).
notify_conf() {
	local file=$1 state=$2
	shift 2
	{
		cat <<EOF
[rules]
evaluation_interval = 1s
defaults = off

[paths]
state_directory = $state

[notify]
resend_delay = 1s
retry_initial_interval = 200ms
retry_max_interval = 1s
external_labels = instance=testhost

[process sleeper]
comm = ^$SLEEPER\$

[alert SleeperUp]
expr = namedprocess_namegroup_num_procs{groupname="sleeper"} > 0
labels.severity = warning
annotations.summary = {{ \$value }} sleepers run
EOF
		printf '%s\n' "$@"
	} >"$file"
}

NOTIFY_ARGS=(--collector.disable-defaults --collector.process_groups)

sleeper_start() {
	"$TMP/$SLEEPER" 3600 &
	SLEEPERS+=($!)
	PIDS+=($!)
}

sleeper_stop() {
	local p
	for p in "${SLEEPERS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	SLEEPERS=()
}

# scrape_metric SERIES: its value on hostwatch's /metrics now ("" if none).
scrape_metric() {
	curl -fsS "$HW_URL/metrics" >"$TMP/m.txt" 2>/dev/null || return 1
	metric_value "$TMP/m.txt" "$1"
}

# wait_metric SERIES VALUE [TRIES]: poll every 0.2 s until it equals VALUE.
wait_metric() {
	local i v
	for i in $(seq "${3:-100}"); do
		v=$(scrape_metric "$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.2
	done
	echo "# $1 is [$v], waited for [$2]"
	return 1
}

# start_receiver LOG PORT ARGS...: the test receiver on 127.0.0.1:PORT.
start_receiver() {
	local log=$1 port=$2
	shift 2
	"$PY" "$RECEIVER" --log "$log" --port "$port" "$@" >"$log.out" 2>&1 &
	RECEIVER_PID=$!
	PIDS+=("$RECEIVER_PID")
	for _ in $(seq 100); do
		[ -s "$log.out" ] && return 0
		sleep 0.05
	done
	echo "receiver did not start"; cat "$log.out"
	return 1
}

# wait_lines FILE N [TRIES]: until FILE has at least N lines.
wait_lines() {
	local i
	for i in $(seq "${3:-150}"); do
		[ -f "$1" ] && [ "$(grep -c . "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
