#!/bin/bash
# hostwatch while its Docker daemon goes away and comes back
# (docker_lib.sh's private dockerd).
#  1. dockerd stopped (SIGTERM: it stops its containers first):
#     hostwatch_docker_up goes to 0 and hostwatch keeps serving; dockerd
#     started again: up is 1 again, the containers' series come back, the
#     --restart=always container that dockerd restarts on its start is
#     counted as a restart by hostwatch while Docker's RestartCount reads 0,
#     and events are followed again.
#  2. dockerd killed (SIGKILL, a crash): its containers run on (and stay
#     published); started again, it kills them (no live-restore) and
#     restarts the --restart=always one: hostwatch saw neither the die nor
#     the start (they happen before the API answers), and counts the
#     restart from the fresh list (StartedAt moved); the other container,
#     killed while hostwatch could not see it, counts a restart when it is
#     started again, like one whose death hostwatch saw.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/docker_lib.sh"

dk_setup
: >"$TMP/empty.conf"
start_hostwatch dr --config.file="$TMP/empty.conf" \
	--collector.disable-defaults --collector.docker --collector.cgroup \
	--collector.docker.socket="$DK_SOCK" || exit 1
poll "docker_up 1" 1 10 hostwatch_docker_up

# both end at once on the SIGTERM of dockerd's shutdown
dk_run always --restart=always "$DK_IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
dk_run plain "$DK_IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait'
A=$(L always); P=$(L plain)
ACG=$(cid always)
poll "always: running" 1 10 "hostwatch_container_state{$A,state=\"running\"}"
poll "plain: running" 1 10 "hostwatch_container_state{$P,state=\"running\"}"
expect_eq "always: no restart yet" 0 "$(val "hostwatch_container_restarts_total{$A}")"
poll "always: its cgroup is published" 2 5 "container_processes{$(LI always)}"
r0=$(val hostwatch_docker_api_requests_total)

# ---- dockerd stops ----------------------------------------------------------------
t0=$(date +%s.%N)
dk_stop
echo "# dockerd stopped in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
poll "dockerd stopped: docker_up 0" 0 10 hostwatch_docker_up
codes=
for _ in $(seq 5); do
	codes="$codes $(curl -s -o "$TMP/down.txt" -w '%{http_code}' "$HW_URL/metrics")"
	sleep 0.2
done
expect_eq "dockerd stopped: hostwatch keeps serving" " 200 200 200 200 200" "$codes"
check "dockerd stopped: /-/healthy answers" curl -fsS -o /dev/null "$HW_URL/-/healthy"
scrape
expect_eq "dockerd stopped: docker collector succeeds" 1 "$(val 'node_scrape_collector_success{collector="docker"}')"
expect_eq "dockerd stopped: cgroup collector succeeds" 1 "$(val 'node_scrape_collector_success{collector="cgroup"}')"
check "dockerd stopped: the containers it stopped have no container_* series" \
	bash -c "! grep -q '^container_[a-z_]*{.*name=\"\\(always\\|plain\\)\"' '$TMP/m'"
check "dockerd stopped: the log says so" grep -q 'docker: lost the daemon' "$TMP/dr.log"
check "dockerd stopped: hostwatch runs" kill -0 "$HW_PID"

# ---- dockerd starts again, with the same data -----------------------------------------
dk_start || { not_ok "dockerd started again: $DK_WHY"; finish; }
dk_wait always '{{.State.Status}}' running 15
DRC=$(dk inspect -f '{{.RestartCount}}' always)
echo "# always: Docker's RestartCount after the daemon's restart: $DRC"
poll "dockerd back: docker_up 1 (reconnected)" 1 45 hostwatch_docker_up
poll "dockerd back: always, restarted by dockerd, counted: restarts_total 1" 1 10 \
	"hostwatch_container_restarts_total{$A}"
expect_eq "dockerd back: Docker's RestartCount as docker inspect says ($DRC)" "$DRC" \
	"$(val "hostwatch_container_docker_restarts{$A}")"
expect_eq "dockerd back: always running" 1 "$(val "hostwatch_container_state{$A,state=\"running\"}")"
poll "dockerd back: always's container_* series are back" 2 10 "container_processes{$(LI always)}"
expect_eq "dockerd back: in the same cgroup" "$ACG" "$(cid always)"
expect_eq "dockerd back: plain was not restarted: exited" 1 "$(val "hostwatch_container_state{$P,state=\"exited\"}")"
expect_eq "dockerd back: plain: no restart" 0 "$(val "hostwatch_container_restarts_total{$P}")"
expect_eq "dockerd back: plain's exit code (exit 0 on SIGTERM)" 0 "$(val "hostwatch_container_last_exit_code{$P}")"
r1=$(val hostwatch_docker_api_requests_total)
check "dockerd back: the list was read again (API requests $r0 -> $r1)" num_in "$r1" $((r0 + 3)) 1e12

# events are followed again
dk restart -t 0 always >/dev/null
poll "events again: docker restart counted, restarts_total 2" 2 10 "hostwatch_container_restarts_total{$A}"
# plain was stopped with the daemon: started again, that is a restart
dk start plain >/dev/null
poll "plain started after it stopped with the daemon: running" 1 10 "hostwatch_container_state{$P,state=\"running\"}"
expect_eq "plain started after it stopped with the daemon: restarts_total 1" 1 \
	"$(val "hostwatch_container_restarts_total{$P}")"

# ---- dockerd killed ------------------------------------------------------------------
poll "before the crash: always's series" 2 5 "container_processes{$(LI always)}"
APID=$(dk inspect -f '{{.State.Pid}}' always)
AI="$(keys),id=\"$ACG\",image=\"$DK_IMAGE\",name=\"always\""
dk_kill
poll "dockerd killed: docker_up 0" 0 10 hostwatch_docker_up
expect_eq "dockerd killed: its containers run on, and stay published" 2 "$(val "container_processes{$AI}")"
check "dockerd killed: always's process is alive" kill -0 "$APID"
dk_start || { not_ok "dockerd started again after the crash: $DK_WHY"; finish; }
dk_wait always '{{.State.Status}}' running 15
echo "# after the crash: always $(dk inspect -f '{{.State.Status}} pid {{.State.Pid}} (was '"$APID"') RestartCount {{.RestartCount}}' always);" \
	"plain $(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' plain)"
poll "dockerd back after the crash: docker_up 1" 1 45 hostwatch_docker_up
check "dockerd back after the crash: always runs a new process" \
	test "$(dk inspect -f '{{.State.Status}}' always)" = running -a "$(dk inspect -f '{{.State.Pid}}' always)" != "$APID"
poll "dockerd back after the crash: always's restart counted from the list: restarts_total 3" 3 10 \
	"hostwatch_container_restarts_total{$A}"
expect_eq "dockerd back after the crash: Docker's RestartCount as docker inspect says" \
	"$(dk inspect -f '{{.RestartCount}}' always)" "$(val "hostwatch_container_docker_restarts{$A}")"
poll "dockerd back after the crash: always's series are back" 2 10 "container_processes{$(LI always)}"
poll "dockerd back after the crash: plain was killed: exited" 1 10 "hostwatch_container_state{$P,state=\"exited\"}"
expect_eq "dockerd back after the crash: plain: still 1 restart" 1 "$(val "hostwatch_container_restarts_total{$P}")"
dk start plain >/dev/null
poll "plain started after it died unseen: running" 1 10 "hostwatch_container_state{$P,state=\"running\"}"
expect_eq "plain started after it died unseen: restarts_total 2, as after a death seen" 2 \
	"$(val "hostwatch_container_restarts_total{$P}")"
finish
