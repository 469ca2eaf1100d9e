#!/bin/bash
# Rebuild the committed seed corpora in fuzz/corpus/<target>/ from the test
# fixtures, rule files and example configuration: `fuzz/make-seeds.sh`.
# Run it when a fixture worth fuzzing from is added; inputs kept as
# regression seeds (crash-*, leak-*, and the hand-written ones below) are
# left alone. Targets that pick a file by their first byte get that byte
# prepended: keep the numbers in step with the tables in fuzz_proc.c,
# fuzz_cgroup.c, fuzz_procpid.c and fuzz_docker.c.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
fx=$top/tests/fixtures
out=$top/fuzz/corpus

# seed TARGET SELECTOR NAME FILE: SELECTOR (a byte, -1 for none) + FILE
seed() {
	local dir=$out/$1
	mkdir -p "$dir"
	[ -f "$4" ] || return 0
	# nothing over 16 KiB: the corpus stays small, mutations stay fast
	[ "$(stat -c %s "$4")" -le 16384 ] || return 0
	if [ "$2" -ge 0 ]; then
		{ printf "\\x$(printf %02x "$2")"; cat "$4"; } >"$dir/$3"
	else
		cp "$4" "$dir/$3"
	fi
}

# fuzz_proc: the selector is the index in fuzz_proc.c's targets[]
k=$fx/kernel-6.18
seed fuzz_proc 0 stat "$k/proc/stat"
seed fuzz_proc 0 stat-procgroups "$fx/procgroups/proc/stat"
seed fuzz_proc 1 cpu-stat "$k/proc/stat"
seed fuzz_proc 2 meminfo "$k/proc/meminfo"
seed fuzz_proc 3 diskstats "$k/proc/diskstats"
seed fuzz_proc 4 netdev "$k/proc/net/dev"
seed fuzz_proc 5 loadavg "$k/proc/loadavg"
seed fuzz_proc 6 pressure-cpu "$k/proc/pressure/cpu"
seed fuzz_proc 7 pressure-memory "$k/proc/pressure/memory"
seed fuzz_proc 8 pressure-io "$k/proc/pressure/io"
seed fuzz_proc 9 mounts "$k/proc/1/mounts"
seed fuzz_proc 10 os-release "$k/root/etc/os-release"
seed fuzz_proc 11 current-clocksource "$k/sys/devices/system/clocksource/clocksource0/current_clocksource"
seed fuzz_proc 12 available-clocksource "$k/sys/devices/system/clocksource/clocksource0/available_clocksource"
seed fuzz_proc 13 cpu-isolated "$k/sys/devices/system/cpu/isolated"
for d in "$fx"/broken/*/; do
	b=$(basename "$d")
	case $b in
	stat-*) seed fuzz_proc 0 "broken-$b" "$d/proc/stat" ;;
	meminfo-*) seed fuzz_proc 2 "broken-$b" "$d/proc/meminfo" ;;
	diskstats-*) seed fuzz_proc 3 "broken-$b" "$d/proc/diskstats" ;;
	netdev-*) seed fuzz_proc 4 "broken-$b" "$d/proc/net/dev" ;;
	loadavg-*) seed fuzz_proc 5 "broken-$b" "$d/proc/loadavg" ;;
	pressure-*) seed fuzz_proc 6 "broken-$b" "$d/proc/pressure/cpu" ;;
	filesystem-*) seed fuzz_proc 9 "broken-$b" "$d/proc/1/mounts" ;;
	os-*)
		seed fuzz_proc 10 "broken-$b" "$d/root/etc/os-release"
		seed fuzz_proc 10 "broken-$b-usr" "$d/root/usr/lib/os-release" ;;
	time-*) seed fuzz_proc 12 "broken-$b" "$d/sys/devices/system/clocksource/clocksource0/available_clocksource" ;;
	cpu-*) seed fuzz_proc 13 "broken-$b" "$d/sys/devices/system/cpu/isolated" ;;
	esac
done

# fuzz_cgroup: the index in fuzz_cgroup.c's files[]
v2=$fx/cgroup-v2/system.slice/ssh.service
v1=$fx/cgroup-v1
i=0
for f in cgroup.controllers cgroup.procs cpu.stat cpu.max memory.current \
	memory.stat memory.max memory.events memory.swap.current pids.current \
	io.stat cpu.pressure memory.pressure io.pressure; do
	seed fuzz_cgroup $i "v2-$f" "$v2/$f"
	i=$((i + 1))
done
s=system.slice/ssh.service
for hf in pids/cgroup.procs cpuacct/cpuacct.usage cpuacct/cpuacct.stat \
	cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.stat \
	memory/memory.usage_in_bytes memory/memory.stat \
	memory/memory.limit_in_bytes memory/memory.oom_control \
	memory/memory.memsw.usage_in_bytes pids/pids.current \
	blkio/blkio.throttle.io_service_bytes_recursive \
	blkio/blkio.bfq.io_service_bytes_recursive; do
	seed fuzz_cgroup $i "v1-${hf#*/}" "$v1/${hf%%/*}/$s/${hf#*/}"
	i=$((i + 1))
done
# the root cgroup (no memory.current) and a v1 unified mount
seed fuzz_cgroup 0 v2-root-cgroup.controllers "$fx/cgroup-v2/cgroup.controllers"
seed fuzz_cgroup 2 v2-root-cpu.stat "$fx/cgroup-v2/cpu.stat"
seed fuzz_cgroup 5 v2-root-memory.stat "$fx/cgroup-v2/memory.stat"

# fuzz_procpid: 0 stat, 1 status, 2 cmdline, 3 and 4 cgroup
for p in "$fx"/procgroups/proc/[0-9]*/; do
	n=$(basename "$p")
	seed fuzz_procpid 0 "stat-$n" "$p/stat"
	seed fuzz_procpid 1 "status-$n" "$p/status"
	seed fuzz_procpid 2 "cmdline-$n" "$p/cmdline"
	seed fuzz_procpid 3 "cgroup-$n" "$p/cgroup"
	seed fuzz_procpid 4 "cgroup-docker-$n" "$p/cgroup"
done

# the configuration file
for f in "$fx"/config/*.conf; do
	seed fuzz_config -1 "$(basename "$f")" "$f"
done
seed fuzz_config -1 etc-hostwatch.conf "$top/etc/hostwatch.conf"

# rule files, and the expressions and templates in them
for f in "$top"/tests/rules/*.rules.yml "$fx"/rules/*.yml "$top"/etc/*.rules.yml; do
	seed fuzz_rulefile -1 "$(basename "$f")" "$f"
done
mkdir -p "$out/fuzz_promql" "$out/fuzz_template"
for f in "$top"/tests/rules/*.rules.yml "$top"/etc/*.rules.yml; do
	# expr: and clear: values on one line; annotations/labels with {{
	sed -n 's/^ *\(expr\|clear\): *//p' "$f" | sed "s/^'\(.*\)'$/\1/" |
		while IFS= read -r e; do
			[ -n "$e" ] && [ "$e" != '|' ] && [ "$e" != '>' ] || continue
			n=$((n + 1))
			printf '%s' "$e" >"$out/fuzz_promql/$(basename "$f" .rules.yml)-$(printf %s "$e" | md5sum | cut -c1-8)"
		done
	grep -h '{{' "$f" | sed 's/^ *[A-Za-z_]*: *//' | sed "s/^[\"']\(.*\)[\"']$/\1/" |
		while IFS= read -r t; do
			printf '%s' "$t" >"$out/fuzz_template/$(basename "$f" .rules.yml)-$(printf %s "$t" | md5sum | cut -c1-8)"
		done
done

# Docker: 0 version, 1 error message, 2 list, 3 inspect
d=$fx/docker
seed fuzz_docker 0 version "$d/version.json"
printf '\x01{"message":"No such container: 0123"}' >"$out/fuzz_docker/message"
seed fuzz_docker 2 list "$d/list.json"
seed fuzz_docker 3 inspect-running "$d/inspect_running.json"
seed fuzz_docker 3 inspect-exited "$d/inspect_exited.json"
# the event stream, in pieces of 20 lines (the whole file is 60 KiB)
mkdir -p "$out/fuzz_docker_events"
split -l 20 -d "$d/events.jsonl" "$out/fuzz_docker_events/events-"

# HTTP requests: every route, collect[], formats, gzip, bad methods
h=$out/fuzz_http
mkdir -p "$h"
req() { printf "$2" >"$h/$1"; }
req metrics 'GET /metrics HTTP/1.1\r\nHost: localhost:9100\r\n\r\n'
req metrics-collect 'GET /metrics?collect[]=loadavg&collect[]=loadavg HTTP/1.1\r\nHost: x\r\n\r\n'
req metrics-collect-missing 'GET /metrics?collect%%5B%%5D=nope HTTP/1.1\r\nHost: x\r\n\r\n'
req metrics-collect-disabled 'GET /metrics?collect[]=cpu HTTP/1.1\r\nHost: x\r\n\r\n'
req metrics-openmetrics 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n'
req metrics-protobuf 'GET /metrics HTTP/1.1\r\nAccept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3\r\n\r\n'
req metrics-gzip 'GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip, deflate;q=0.5\r\n\r\n'
req metrics-gzip-q0 'GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip;q=0, *\r\n\r\n'
req metrics-head 'HEAD /metrics HTTP/1.0\r\n\r\n'
req root 'GET / HTTP/1.0\r\n\r\n'
req healthy 'GET /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n'
req ready 'GET /-/ready HTTP/1.1\r\n\r\n'
req alerts 'GET /api/v1/alerts HTTP/1.1\r\n\r\n'
req rules 'GET /api/v1/rules?type=alert HTTP/1.1\r\n\r\n'
req rules-bad 'GET /api/v1/rules?type=x%%00y HTTP/1.1\r\n\r\n'
req post 'POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello'
req chunked 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
req notfound 'GET /nope/../metrics HTTP/1.1\r\n\r\n'
req auth 'GET /metrics HTTP/1.1\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n'
req pipelined 'GET /-/healthy HTTP/1.1\r\n\r\nGET /metrics?collect[]=loadavg HTTP/1.1\r\n\r\n'
