#!/bin/bash
# process_groups against real processes: a group whose only process is
# killed and started again (restarts_total goes up by exactly one per
# restart, also when the kill and the new start both fall between two
# scrapes), CPU that stays a counter across exits, a busy process whose CPU
# moves, and bad [process] sections refused with FILE:LINE and exit 2.
. "$top_srcdir/tests/integration/lib.sh"

G="hwtest-$$"
B="hwbusy-$$"
MARK="hw-pg-marker-$$"
BUSY="hw-pg-busy-$$"
cat >"$TMP/pg.conf" <<EOF
[process $G]
cmdline = ^$MARK( |\$)

[process $B]
cmdline = ^$BUSY( |\$)
EOF

start_hostwatch pg --config.file="$TMP/pg.conf" \
	--collector.disable-defaults --collector.process_groups || exit 1

scrape() { curl -fsS -o "$TMP/m" "$HW_URL/metrics"; }
# val GROUP FAMILY [LABEL VALUE]
val() {
	if [ $# -gt 2 ]; then
		metric_value "$TMP/m" "$2{groupname=\"$1\",$3=\"$4\"}"
	else
		metric_value "$TMP/m" "$2{groupname=\"$1\"}"
	fi
}
cpu() { # user + system of group $1
	awk -v u="$(val "$1" namedprocess_namegroup_cpu_seconds_total mode user)" \
		-v s="$(val "$1" namedprocess_namegroup_cpu_seconds_total mode system)" \
		'BEGIN { printf "%.2f\n", u + s }'
}
# A process whose command line is NAME ARGS (exec -a), once it has called
# execve: until then it is still the forked bash. Sets CHILD.
spawn() {
	local name=$1; shift
	bash -c "exec -a $name $*" </dev/null >/dev/null 2>&1 &
	CHILD=$!
	PIDS+=("$CHILD")
	for _ in $(seq 200); do
		[ "$(tr '\0' ' ' <"/proc/$CHILD/cmdline" 2>/dev/null | cut -d' ' -f1)" = "$name" ] && return 0
		sleep 0.01
	done
	echo "$name did not start"
	return 1
}
stop_child() { kill "$1" && wait "$1" 2>/dev/null; true; }

LAST_CPU=0
cpu_not_down() {
	local now
	now=$(cpu "$G")
	check "$1: cpu_seconds_total did not go down ($LAST_CPU -> $now)" \
		awk -v a="$LAST_CPU" -v b="$now" 'BEGIN { exit !(b >= a) }'
	LAST_CPU=$now
}

# Nothing runs yet: every series is there, at zero.
scrape
expect_eq "no process yet: up 0" 0 "$(val "$G" hostwatch_process_group_up)"
expect_eq "no process yet: num_procs 0" 0 "$(val "$G" namedprocess_namegroup_num_procs)"
expect_eq "no process yet: states Other 0" 0 "$(val "$G" namedprocess_namegroup_states state Other)"
expect_eq "collector succeeded" 1 "$(metric_value "$TMP/m" 'node_scrape_collector_success{collector="process_groups"}')"

spawn "$MARK" sleep 1000 || exit 1
A=$CHILD
scrape
expect_eq "first process: up 1" 1 "$(val "$G" hostwatch_process_group_up)"
expect_eq "first process: num_procs 1" 1 "$(val "$G" namedprocess_namegroup_num_procs)"
expect_eq "first process: restarts 0 (first appearance)" 0 "$(val "$G" hostwatch_process_group_restarts_total)"
expect_eq "first process: num_threads 1" 1 "$(val "$G" namedprocess_namegroup_num_threads)"
expect_eq "first process: Sleeping 1" 1 "$(val "$G" namedprocess_namegroup_states state Sleeping)"
expect_eq "first process: open files as in /proc/PID/fd" "$(ls "/proc/$A/fd" | wc -l)" "$(val "$G" namedprocess_namegroup_open_filedesc)"
rss=$(val "$G" namedprocess_namegroup_memory_bytes memtype resident)
check "first process: resident memory > 0 ($rss)" awk -v r="$rss" 'BEGIN { exit !(r > 0) }'
start=$(val "$G" namedprocess_namegroup_oldest_start_time_seconds)
now=$(date +%s)
check "oldest_start_time_seconds is now ($start vs $now)" \
	awk -v s="$start" -v n="$now" 'BEGIN { exit !(s + 0 > n - 10 && s + 0 <= n + 1) }'
cpu_not_down "first process"
scrape
expect_eq "scraped again: still no restart" 0 "$(val "$G" hostwatch_process_group_restarts_total)"

stop_child "$A"
scrape
expect_eq "killed: up 0" 0 "$(val "$G" hostwatch_process_group_up)"
expect_eq "killed: num_procs 0" 0 "$(val "$G" namedprocess_namegroup_num_procs)"
expect_eq "killed: oldest_start_time_seconds 0" 0 "$(val "$G" namedprocess_namegroup_oldest_start_time_seconds)"
expect_eq "killed: restarts still 0" 0 "$(val "$G" hostwatch_process_group_restarts_total)"
cpu_not_down "killed"

spawn "$MARK" sleep 1000 || exit 1
C=$CHILD
scrape
expect_eq "restarted: up 1" 1 "$(val "$G" hostwatch_process_group_up)"
expect_eq "restarted: restarts 1" 1 "$(val "$G" hostwatch_process_group_restarts_total)"
cpu_not_down "restarted"

stop_child "$C"
scrape
expect_eq "killed again: up 0" 0 "$(val "$G" hostwatch_process_group_up)"
spawn "$MARK" sleep 1000 || exit 1
C=$CHILD
scrape
expect_eq "restarted again: restarts 2" 2 "$(val "$G" hostwatch_process_group_restarts_total)"
cpu_not_down "restarted again"

# Killed and started again with no scrape in between: the new process
# shares nothing with the old one, so it is still one restart.
stop_child "$C"
spawn "$MARK" sleep 1000 || exit 1
C=$CHILD
scrape
expect_eq "restart between two scrapes: restarts 3" 3 "$(val "$G" hostwatch_process_group_restarts_total)"
expect_eq "restart between two scrapes: up 1" 1 "$(val "$G" hostwatch_process_group_up)"
expect_eq "restart between two scrapes: num_procs 1" 1 "$(val "$G" namedprocess_namegroup_num_procs)"
cpu_not_down "restart between two scrapes"
# A second process joining is not a restart.
spawn "$MARK" sleep 1000 || exit 1
D=$CHILD
scrape
expect_eq "second process: num_procs 2" 2 "$(val "$G" namedprocess_namegroup_num_procs)"
expect_eq "second process: restarts still 3" 3 "$(val "$G" hostwatch_process_group_restarts_total)"
stop_child "$C"
scrape
expect_eq "first of two gone: restarts still 3" 3 "$(val "$G" hostwatch_process_group_restarts_total)"
stop_child "$D"

# A busy process: its CPU moves, and stays in the counter after it exits.
spawn "$BUSY" sh -c "'while :; do :; done'" || exit 1
Z=$CHILD
scrape
c0=$(cpu "$B")
sleep 1
scrape
c1=$(cpu "$B")
check "busy process: cpu moved ($c0 -> $c1)" awk -v a="$c0" -v b="$c1" 'BEGIN { exit !(b - a >= 0.05) }'
expect_eq "busy process: Running or Sleeping, never Other" 0 "$(val "$B" namedprocess_namegroup_states state Other)"
stop_child "$Z"
scrape
c2=$(cpu "$B")
check "busy process gone: cpu kept ($c1 -> $c2)" awk -v a="$c1" -v b="$c2" 'BEGIN { exit !(b >= a) }'
expect_eq "busy process gone: up 0" 0 "$(val "$B" hostwatch_process_group_up)"
check "daemon still running" kill -0 "$HW_PID"

# Bad [process] sections: refused at start-up with FILE:LINE, exit 2.
bad() { # description, config text, line, message regex
	printf '%b' "$2" >"$TMP/bad.conf"
	"$HOSTWATCH" --config.file="$TMP/bad.conf" --web.listen-address=127.0.0.1:0 \
		>"$TMP/bad.out" 2>"$TMP/bad.err"
	expect_eq "$1: exit code 2" 2 "$?"
	check "$1: message names $TMP/bad.conf:$3" grep -qE "^$TMP/bad.conf:$3: .*$4" "$TMP/bad.err"
}
bad "bad regex" '[process web]\ncomm = (unclosed\n' 2 'comm'
bad "no selector" '[server]\nmax_connections = 5\n\n[process web]\n\n[paths]\nprocfs = /proc\n' 4 'no selector'
bad "bad regex on a later line" '[process ok]\ncomm = ^ok$\n[process web]\nuser = root\ncmdline = ^a(b\n' 5 'cmdline'
finish
