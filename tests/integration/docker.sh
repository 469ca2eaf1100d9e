#!/bin/bash
# The docker collector (and the cgroup collector's container_* families for
# Docker's containers) against a private dockerd (docker_lib.sh): restarts
# counted by hostwatch (a crash loop under --restart=on-failure:3, docker
# restart, docker start after an exit, where Docker's RestartCount goes back
# to 0), OOM kills (the container's init killed: exit 137; a child killed:
# the container runs on, and the cgroup's oom_kill agrees), paused and
# health states, the configured labels only (never another label or the
# environment), values against the container's cgroup files and Docker's
# own stats, a container removed while it is scraped, no API request from
# a scrape, promtool; then the same with the cgroup collector off (the
# docker collector writes the container_* families itself) and other label
# keys.
# Timing-sensitive (dockerd records an OOM kill after the exit; a pause
# takes effect asynchronously): tools/check.sh runs it alone after the
# parallel suite in its first pass (HW_HEAVY=later skips it inside it).
[ "${HW_HEAVY:-}" = later ] && { echo "SKIP: runs alone after the parallel suite (tools/check.sh)"; exit 77; }
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/docker_lib.sh"

PT=${PROMTOOL:-}
[ -n "$PT" ] || PT=$(command -v promtool || true)
dk_setup
: >"$TMP/empty.conf"

start_hostwatch dk --config.file="$TMP/empty.conf" \
	--collector.disable-defaults --collector.docker --collector.cgroup \
	--collector.docker.socket="$DK_SOCK" || exit 1

poll "docker_up 1 once the daemon answers" 1 10 hostwatch_docker_up
check "the log names the engine" grep -q 'docker: Docker Engine' "$TMP/dk.log"

# ---- the containers ----------------------------------------------------------
# compose labels, a label not configured and a secret in the environment
dk_run web2 --label com.docker.compose.project=shop \
	--label com.docker.compose.service=web --label hw.unlisted=topsecret \
	-e SECRET=hunter2 "$DK_IMAGE" sleep 1000
# exits 3 at once: restarted three times by Docker, then left exited
dk_run crash --restart=on-failure:3 "$DK_IMAGE" sh -c 'exit 3'
# its init fills the 8 MB limit: OOM-killed, exit 137
dk_run oom -m 8m --memory-swap 8m "$DK_IMAGE" \
	sh -c 'x=$(head -c 50000000 /dev/zero | tr "\0" a); echo survived'
# a child fills it, five times: five children killed, the container runs on
# (the children make themselves the OOM killer's choice, not the init)
dk_run oomchild -m 8m --memory-swap 8m "$DK_IMAGE" sh -c 'for i in 1 2 3 4 5; do
	(echo 1000 >/proc/self/oom_score_adj; x=$(head -c 50000000 /dev/zero | tr "\0" a)); done
	exec sleep 1000'
dk_run healthy --health-cmd true --health-interval 1s "$DK_IMAGE" sleep 1000
dk_run sick --health-cmd false --health-interval 1s --health-retries 1 "$DK_IMAGE" sleep 1000
dk_run paused "$DK_IMAGE" sleep 1000
dk pause paused >/dev/null
# ~20 MB held, a 64 MB limit; and one busy under a 0.2 CPU quota
dk_run mem -m 64m "$DK_IMAGE" sh -c 'x=$(head -c 20000000 /dev/zero | tr "\0" a); sleep 1000; echo "${#x}"'
dk_run busy --cpus 0.2 "$DK_IMAGE" sh -c 'while :; do :; done'

# ---- labels and the container_* families -------------------------------------
# The events are followed in order, each change inspected (a die waits for
# the state to settle): once the last container is known, all are.
poll "the last container started is known and running" 1 30 \
	"hostwatch_container_state{$(L busy),state=\"running\"}"
expect_eq "docker collector succeeds" 1 "$(val 'node_scrape_collector_success{collector="docker"}')"
expect_eq "cgroup collector succeeds" 1 "$(val 'node_scrape_collector_success{collector="cgroup"}')"
WEB_ID=$(dk inspect -f '{{.Id}}' web2)
WEB_CG=$(cid web2)
check "web2's id is its cgroup ($WEB_CG), under the cgroup parent and named by its ID" \
	test "$WEB_CG" = "$DK_PARENT/$WEB_ID"
W="$(LI web2 shop web)"
expect_eq "web2: the whole cpu usage series as cAdvisor labels it" 1 \
	"$(grep -c "^container_cpu_usage_seconds_total{$(keys shop web),cpu=\"total\",id=\"$DK_PARENT/$WEB_ID\",image=\"$DK_IMAGE\",name=\"web2\"} " "$TMP/m")"
for f in container_cpu_user_seconds_total container_cpu_system_seconds_total \
	container_memory_usage_bytes container_memory_working_set_bytes \
	container_memory_rss container_memory_cache container_processes \
	container_threads container_last_seen container_start_time_seconds; do
	check "web2 has $f" test -n "$(val "$f{$W}")"
done
expect_eq "web2: no memory limit is 0" 0 "$(val "container_spec_memory_limit_bytes{$W}")"
expect_eq "web2: no OOM kill" 0 "$(val "container_oom_events_total{$W}")"
expect_eq "web2: one process" 1 "$(val "container_processes{$W}")"
expect_eq "web2: one thread" 1 "$(val "container_threads{$W}")"
check "web2: no CFS series without a quota" bash -c "! grep -q '^container_cpu_cfs_periods_total{$W}' '$TMP/m'"
created=$(date -d "$(dk inspect -f '{{.Created}}' web2)" +%s)
check "web2: start time is the creation time in whole seconds ($created)" \
	num_in "$(val "container_start_time_seconds{$W}")" "$created" "$created"
now=$(date +%s)
check "web2: last seen is now" num_in "$(val "container_last_seen{$W}")" $((now - 5)) $((now + 1))
expect_eq "web2: running" 1 "$(val "hostwatch_container_state{$(L web2 shop web),state=\"running\"}")"
expect_eq "web2: not exited" 0 "$(val "hostwatch_container_state{$(L web2 shop web),state=\"exited\"}")"
expect_eq "web2: seven states, one series each" 7 "$(grep -c "^hostwatch_container_state{$(L web2 shop web)," "$TMP/m")"
expect_eq "web2: no healthcheck, no health series" 0 "$(grep -c "^hostwatch_container_health_status{$(L web2 shop web)," "$TMP/m")"
expect_eq "a container without the labels has them empty" 1 \
	"$(val "hostwatch_container_state{$(L paused),state=\"paused\"}")"
for s in topsecret hw_unlisted hw.unlisted hunter2 SECRET; do
	check "'$s' (a label not configured, the environment) is not in the output" \
		bash -c "! grep -q '$s' '$TMP/m'"
done
expect_eq "the container_* families are written once" 1 "$(grep -c '^# TYPE container_cpu_usage_seconds_total ' "$TMP/m")"
check "the host's cgroups are still there (id=\"/\")" grep -q '^container_cpu_usage_seconds_total{cpu="total",id="/"} ' "$TMP/m"

# ---- restarts ------------------------------------------------------------------
dk_wait crash '{{.State.Status}} {{.RestartCount}}' 'exited 3' 30
C=$(L crash)
poll "crash loop: restarts_total 3, as Docker's RestartCount" 3 10 "hostwatch_container_restarts_total{$C}"
expect_eq "crash loop: Docker's RestartCount 3" 3 "$(val "hostwatch_container_docker_restarts{$C}")"
expect_eq "crash loop: last exit code 3" 3 "$(val "hostwatch_container_last_exit_code{$C}")"
expect_eq "crash loop: state exited" 1 "$(val "hostwatch_container_state{$C,state=\"exited\"}")"
expect_eq "crash loop: not running" 0 "$(val "hostwatch_container_state{$C,state=\"running\"}")"
check "crash loop: exited, so no container_* series" bash -c "! grep -q '^container_[a-z_]*{.*name=\"crash\"' '$TMP/m'"
# started by hand without the policy: Docker's count goes back to 0, ours
# counts the start
dk update --restart=no crash >/dev/null
dk start crash >/dev/null
dk_wait crash '{{.State.Status}} {{.RestartCount}}' 'exited 0' 15
poll "docker start after the exit: Docker's RestartCount back to 0" 0 10 "hostwatch_container_docker_restarts{$C}"
expect_eq "docker start after the exit: restarts_total 4" 4 "$(val "hostwatch_container_restarts_total{$C}")"

WL=$(L web2 shop web)
expect_eq "web2: no restart yet" 0 "$(val "hostwatch_container_restarts_total{$WL}")"
pid0=$(dk inspect -f '{{.State.Pid}}' web2)
dk restart -t 0 web2 >/dev/null
poll "docker restart: restarts_total 1" 1 10 "hostwatch_container_restarts_total{$WL}"
expect_eq "docker restart: Docker's RestartCount 0" 0 "$(val "hostwatch_container_docker_restarts{$WL}")"
# the last run's exit code, although Docker's State.ExitCode reads 0 again
# while the container runs
expect_eq "docker restart: last exit code is the killed run's, 137" 137 "$(val "hostwatch_container_last_exit_code{$WL}")"
check "docker restart: a new process ($pid0 -> $(dk inspect -f '{{.State.Pid}}' web2))" \
	test "$(dk inspect -f '{{.State.Pid}}' web2)" != "$pid0"
poll "docker restart: the container_* series are back" 1 5 "container_processes{$W}"
dk stop -t 0 web2 >/dev/null
poll "docker stop: exited" 1 10 "hostwatch_container_state{$WL,state=\"exited\"}"
expect_eq "docker stop: restarts_total still 1" 1 "$(val "hostwatch_container_restarts_total{$WL}")"
expect_eq "docker stop: last exit code 137 (killed)" 137 "$(val "hostwatch_container_last_exit_code{$WL}")"
check "docker stop: its container_* series are gone" bash -c "! grep -q '^container_[a-z_]*{.*name=\"web2\"' '$TMP/m'"
dk start web2 >/dev/null
poll "docker start: restarts_total 2" 2 10 "hostwatch_container_restarts_total{$WL}"
expect_eq "docker start: Docker's RestartCount 0" 0 "$(val "hostwatch_container_docker_restarts{$WL}")"
poll "docker start: running" 1 5 "hostwatch_container_state{$WL,state=\"running\"}"

# ---- OOM ------------------------------------------------------------------------
# Docker 20.10 on cgroup v2 sets OOMKilled from containerd's oom event,
# which can lose the race with the exit: it then reads "exited false 137"
# although the kernel's oom_kill says otherwise. hostwatch follows Docker's
# word, so a run Docker got wrong proves nothing; run it again (twice at most).
for try in 1 2 3; do
	dk_wait oom '{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}}' 'exited true 137' 20 && break
	[ "$try" = 3 ] && break
	echo "# Docker missed the OOM kill (try $try); the container runs again"
	dk rm -f oom >/dev/null
	dk_run oom -m 8m --memory-swap 8m "$DK_IMAGE" \
		sh -c 'x=$(head -c 50000000 /dev/zero | tr "\0" a); echo survived'
done
poll "OOM: oom_killed_total 1" 1 10 "hostwatch_container_oom_killed_total{$(L oom)}"
expect_eq "OOM: last exit code 137" 137 "$(val "hostwatch_container_last_exit_code{$(L oom)}")"
expect_eq "OOM: exited" 1 "$(val "hostwatch_container_state{$(L oom),state=\"exited\"}")"
expect_eq "OOM: not a restart" 0 "$(val "hostwatch_container_restarts_total{$(L oom)}")"
# A child killed by the OOM killer: the kernel's count (oom_kill) is the
# truth for container_oom_events_total; the container itself was not
# OOM-killed, so hostwatch_container_oom_killed_total stays 0 (it counts
# deaths with State.OOMKilled, not Docker's oom events, which on cgroup v1
# come once per OOM episode: none, or hundreds)
OC=$(dk_cgroup_dir oomchild memory)
oom_kills() {
	if [ -r "$OC/memory.oom_control" ]; then
		awk '$1 == "oom_kill" { print $2 }' "$OC/memory.oom_control"
	else
		awk '$1 == "oom_kill" { print $2 }' "$OC/memory.events"
	fi
}
# once its init has become the sleep, and Docker's events had a second
for _ in $(seq 200); do
	[ "$(cat "/proc/$(dk inspect -f '{{.State.Pid}}' oomchild)/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.1
done
sleep 1
scrape
# (a kill may take two: the child and its command substitution's process)
k=$(oom_kills)
check "OOM of a child: the cgroup counted at least five kills ($k)" num_in "$k" 5 1000
expect_eq "OOM of a child: container_oom_events_total as the cgroup's oom_kill" "$k" \
	"$(val "container_oom_events_total{$(LI oomchild)}")"
expect_eq "OOM of a child: the container was not OOM-killed" 0 \
	"$(val "hostwatch_container_oom_killed_total{$(L oomchild)}")"
expect_eq "OOM of a child: still running" 1 "$(val "hostwatch_container_state{$(L oomchild),state=\"running\"}")"
expect_eq "OOM of a child: limit 8 MiB" 8.388608e+06 "$(val "container_spec_memory_limit_bytes{$(LI oomchild)}")"

# ---- paused, health -------------------------------------------------------------
expect_eq "paused: state paused 1" 1 "$(val "hostwatch_container_state{$(L paused),state=\"paused\"}")"
expect_eq "paused: state running 0" 0 "$(val "hostwatch_container_state{$(L paused),state=\"running\"}")"
expect_eq "paused: its cgroup is still published" 1 "$(val "container_processes{$(LI paused)}")"
poll "healthcheck true: healthy 1" 1 15 "hostwatch_container_health_status{$(L healthy),status=\"healthy\"}"
expect_eq "healthcheck true: starting 0" 0 "$(val "hostwatch_container_health_status{$(L healthy),status=\"starting\"}")"
expect_eq "healthcheck true: unhealthy 0" 0 "$(val "hostwatch_container_health_status{$(L healthy),status=\"unhealthy\"}")"
poll "healthcheck false: unhealthy 1" 1 15 "hostwatch_container_health_status{$(L sick),status=\"unhealthy\"}"
expect_eq "healthcheck false: healthy 0" 0 "$(val "hostwatch_container_health_status{$(L sick),status=\"healthy\"}")"

# ---- values against the cgroup files and Docker's stats ---------------------------
MD=$(dk_cgroup_dir mem memory)
if [ -e "$MD/memory.usage_in_bytes" ]; then MU=memory.usage_in_bytes; ML=memory.limit_in_bytes
else MU=memory.current; ML=memory.max; fi
# the shell holds its 20 MB once it sleeps
dk_wait mem '{{.State.Status}}' running 10
for _ in $(seq 100); do
	[ "$(cat "$MD/$MU")" -gt 20000000 ] && sleep 0.5 && break
	sleep 0.1
done
M=$(LI mem)
u0=$(cat "$MD/$MU")
dk_api 'containers/mem/stats?stream=false&one-shot=true' >"$TMP/stats.json"
scrape
u1=$(cat "$MD/$MU")
lo=$(min "$u0" "$u1"); hi=$(max "$u0" "$u1")
$PY -c 'import json, sys; s = json.load(open(sys.argv[1])); m = s["memory_stats"]
print(m["usage"], m["limit"], s["pids_stats"]["current"])' "$TMP/stats.json" >"$TMP/stats.txt"
read -r s_usage s_limit s_pids <"$TMP/stats.txt"
check "mem: memory usage as $MU ($lo..$hi): $(val "container_memory_usage_bytes{$M}")" \
	num_in "$(val "container_memory_usage_bytes{$M}")" "$lo" "$hi"
check "mem: Docker's memory_stats.usage as $MU ($s_usage)" num_in "$s_usage" "$lo" "$hi"
check "mem: memory usage over 20 MB" num_in "$(val "container_memory_usage_bytes{$M}")" 20000000 1e12
expect_eq "mem: limit as $ML" "$(cat "$MD/$ML")" "$(awk -v x="$(val "container_spec_memory_limit_bytes{$M}")" 'BEGIN { printf "%.0f\n", x }')"
expect_eq "mem: limit as Docker's memory_stats.limit" "$s_limit" "$(awk -v x="$(val "container_spec_memory_limit_bytes{$M}")" 'BEGIN { printf "%.0f\n", x }')"
expect_eq "mem: threads as Docker's pids_stats.current" "$s_pids" "$(val "container_threads{$M}")"
PD=$(dk_cgroup_dir mem pids)
expect_eq "mem: threads as pids.current" "$(cat "$PD/pids.current")" "$(val "container_threads{$M}")"
expect_eq "mem: processes as cgroup.procs" "$(wc -l <"$PD/cgroup.procs")" "$(val "container_processes{$M}")"

# CPU: the busy container's usage, read from the cgroup just before and
# just after the scrape, brackets the value
CD=$(dk_cgroup_dir busy cpuacct)
cpu_ns() {
	if [ -e "$CD/cpuacct.usage" ]; then cat "$CD/cpuacct.usage"
	else awk '$1 == "usage_usec" { print $2 * 1000 }' "$CD/cpu.stat"; fi
}
B=$(LI busy "" "" cpu)
c0=$(cpu_ns); scrape; c1=$(cpu_ns)
cu=$(val "container_cpu_usage_seconds_total{$B}")
check "busy: cpu usage $cu s within the cgroup's $c0..$c1 ns" \
	awk -v x="$cu" -v a="$c0" -v b="$c1" 'BEGIN { exit !(x != "" && x * 1e9 >= a - 1000 && x * 1e9 <= b + 1000) }'
check "busy: cpu usage grows" num_in "$cu" 0.05 1e9
B=$(LI busy)
check "busy: CFS periods counted under the quota" num_in "$(val "container_cpu_cfs_periods_total{$B}")" 1 1e12
check "busy: throttled under a 0.2 CPU quota" num_in "$(val "container_cpu_cfs_throttled_periods_total{$B}")" 1 1e12

# ---- scrapes make no API request --------------------------------------------------
scrape
r0=$(val hostwatch_docker_api_requests_total)
for _ in $(seq 50); do curl -fsS -o /dev/null "$HW_URL/metrics"; done
scrape
r1=$(val hostwatch_docker_api_requests_total)
check "some API requests were made ($r0)" num_in "$r0" 1 1e12
expect_eq "50 scrapes made no API request" "$r0" "$r1"

# ---- promtool ------------------------------------------------------------------------
# promtool_check PREFIX: it reads the output (no parse error), and finds nothing
promtool_check() {
	"$PT" check metrics <"$TMP/m" >"$TMP/promtool.out" 2>&1
	local rc=$?
	sed 's/^/# promtool: /' "$TMP/promtool.out"
	check "$1promtool parses the output" bash -c "! grep -qi 'error' '$TMP/promtool.out'"
	expect_eq "$1promtool check metrics: no finding (exit 0)" 0 "$rc"
}
if [ -x "$PT" ]; then
	promtool_check ""
else
	echo "# promtool not found: not checked"
fi

# ---- a container removed while it is scraped ------------------------------------------
rm -f "$TMP/stop"
(
	while [ ! -e "$TMP/stop" ]; do
		code=$(curl -s -o "$TMP/loop.txt" -w '%{http_code}' "$HW_URL/metrics")
		echo "$code $(metric_value "$TMP/loop.txt" 'node_scrape_collector_success{collector="docker"}')" \
			"$(metric_value "$TMP/loop.txt" 'node_scrape_collector_success{collector="cgroup"}')" \
			"$(grep -c '^container_processes{.*name="gone-' "$TMP/loop.txt")"
	done >"$TMP/loop.log"
) &
LOOP=$!
for i in $(seq 6); do
	dk_run "gone-$i" "$DK_IMAGE" sleep 1000
	dk_run "gone-$i-b" "$DK_IMAGE" sleep 1000
	sleep 0.2
	dk rm -f "gone-$i" "gone-$i-b" >/dev/null
done
touch "$TMP/stop"
wait "$LOOP"
n=$(wc -l <"$TMP/loop.log")
check "removal: scraped $n times meanwhile" test "$n" -ge 10
expect_eq "removal: every scrape 200, both collectors succeeded" "" \
	"$(awk '$1 != 200 || $2 != 1 || $3 != 1' "$TMP/loop.log" | sort | uniq -c | tr '\n' ';')"
check "removal: some scrapes saw the containers" awk '$4 > 0 { f = 1 } END { exit !f }' "$TMP/loop.log"
for _ in $(seq 50); do
	scrape && ! grep -q 'name="gone-' "$TMP/m" && break
	sleep 0.1
done
check "removal: their series are gone" bash -c "! grep -q 'name=\"gone-' '$TMP/m'"
expect_eq "removal: docker collector succeeds" 1 "$(val 'node_scrape_collector_success{collector="docker"}')"

# ---- the cgroup collector off: the docker collector writes container_* itself ------
# (other label keys: one a container lacks, one with a '-' in it)
kill "$HW_PID"; wait "$HW_PID" 2>/dev/null
dk_run lab --label hw.test-key=v1 --label com.docker.compose.service=api "$DK_IMAGE" sleep 1000
start_hostwatch solo --config.file="$TMP/empty.conf" \
	--collector.disable-defaults --collector.docker \
	--collector.docker.labels=hw.test-key,com.docker.compose.service \
	--collector.docker.socket="$DK_SOCK" || exit 1
poll "cgroup collector off: docker_up 1" 1 10 hostwatch_docker_up
K='container_label_com_docker_compose_service="api",container_label_hw_test_key="v1"'
expect_eq "cgroup collector off: the container's cpu usage, labels sorted, '-' as '_'" 1 \
	"$(grep -c "^container_cpu_usage_seconds_total{$K,cpu=\"total\",id=\"$(cid lab)\",image=\"$DK_IMAGE\",name=\"lab\"} " "$TMP/m")"
expect_eq "cgroup collector off: web2 lacks hw.test-key: empty" 1 \
	"$(val "container_processes{container_label_com_docker_compose_service=\"web\",container_label_hw_test_key=\"\",id=\"$WEB_CG\",image=\"$DK_IMAGE\",name=\"web2\"}")"
expect_eq "cgroup collector off: memory limit of mem" 6.7108864e+07 \
	"$(val "container_spec_memory_limit_bytes{container_label_com_docker_compose_service=\"\",container_label_hw_test_key=\"\",id=\"$(cid mem)\",image=\"$DK_IMAGE\",name=\"mem\"}")"
check "cgroup collector off: no host cgroup (id=\"/\")" bash -c "! grep -q 'id=\"/\"' '$TMP/m'"
check "cgroup collector off: no cgroup collector" bash -c "! grep -q 'collector=\"cgroup\"' '$TMP/m'"
expect_eq "cgroup collector off: docker collector succeeds" 1 "$(val 'node_scrape_collector_success{collector="docker"}')"
expect_eq "cgroup collector off: the container_* families are written once" 1 "$(grep -c '^# TYPE container_memory_usage_bytes ' "$TMP/m")"
check "cgroup collector off: the compose project key is not configured now" \
	bash -c "! grep -q 'compose_project' '$TMP/m'"
expect_eq "cgroup collector off: hostwatch_* series with the new keys" 1 \
	"$(val "hostwatch_container_state{$K,image=\"$DK_IMAGE\",name=\"lab\",state=\"running\"}")"
[ -x "$PT" ] && promtool_check "cgroup collector off: "
check "daemon still running" kill -0 "$HW_PID"
finish
