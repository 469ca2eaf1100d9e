# Shared by the bench/*.sh scripts (sourced, not run).
#
# Why rounds and medians: this class of VM drifts by a third within a minute
# (node_exporter's scrape measured 3.2 to 5.5 ms across runs of one day), so
# two totals taken one after the other compare two machines. Each bench
# therefore measures its programs in many short interleaved rounds, takes the
# ratio within each round (the same machine for all of them), and reports
# the median ratio with the lowest and highest round next to it.

# CPU milliseconds of every thread of process PID so far: the scheduler's
# se.sum_exec_runtime (nanosecond resolution) of /proc/PID/task/*/sched when
# the kernel has it, else utime+stime in clock ticks (10 ms resolution).
if [ -r /proc/self/sched ] && grep -q sum_exec_runtime /proc/self/sched; then
	cpu_ms() { cat /proc/"$1"/task/*/sched 2>/dev/null | awk '/^se.sum_exec_runtime/ {s += $3} END {printf "%.6f\n", s}'; }
	CPUSRC="se.sum_exec_runtime of every thread"
else
	_HZ=$(getconf CLK_TCK)
	cpu_ms() { awk -v hz="$_HZ" '{printf "%.6f\n", ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }
	CPUSRC="utime+stime (clock ticks)"
fi

# stats NUMBER... -> "MEDIAN MIN MAX"
stats() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
		END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		     printf "%.6f %.6f %.6f\n", m, v[1], v[NR]}'
}

# ratio A B -> A/B with 4 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f\n", a / b}'; }
