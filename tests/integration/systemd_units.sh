#!/bin/bash
# The systemd collector against a real systemd: the user manager
# (`systemd --user`, the same org.freedesktop.systemd1 API as PID 1) run in
# a private mount namespace (where a tmpfs /run/systemd/system makes it
# believe the host booted with systemd) and in a cgroup of its own (else it
# would move its cgroup's processes, the whole host's on a container-less
# VM, into its init.scope). A crash-looping service gives NRestarts.
# Checked: over its private socket and over the bus its dbus.socket
# activates, hostwatch's node_systemd_* equal what systemctl says and,
# when prometheus-node-exporter is installed, what node_exporter 1.5
# prints; a connection systemd drops is made again; no systemd at all, or
# one that goes away, gives success 0 and one log line.
# The system manager itself, in a container, is tests/integration/systemd_*'s
# end-to-end test.
. "$top_srcdir/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (a mount namespace and cgroups)"
SYSTEMD=/lib/systemd/systemd
[ -x "$SYSTEMD" ] || SYSTEMD=/usr/lib/systemd/systemd
[ -x "$SYSTEMD" ] || skip "systemd is not installed"
for t in unshare busctl systemctl systemd-run; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
unshare -m --propagation private true 2>/dev/null ||
	skip "cannot make a mount namespace here"

RT=$TMP/rt
mkdir -m 700 "$RT"
export XDG_RUNTIME_DIR=$RT
CGNAME="hw-sdu-$$"
UCTL() { systemctl --user "$@"; }

# Runs in the namespace: a cgroup of its own in every hierarchy (a child of
# the current one, so limits still hold), then systemd --user.
cat >"$TMP/launch.sh" <<'EOF'
#!/bin/bash
set -e
name=$1 list=$2
while IFS=: read -r _ ctrls path; do
	m=$(awk -v c="$ctrls" '{
		for (i = 7; $i != "-"; i++);
		if (c == "" && $(i+1) == "cgroup2") { print $5; exit }
		if (c != "" && $(i+1) == "cgroup") {
			n = split(c, want, ","); ok = 1
			for (k = 1; k <= n; k++)
				if (("," $(i+3) ",") !~ ("," want[k] ",")) ok = 0
			if (ok) { print $5; exit }
		}
	}' /proc/self/mountinfo)
	[ -n "$m" ] || continue
	d="$m${path%/}/$name"
	mkdir -p "$d"
	echo "$d" >>"$list"
	# v1 cpuset: a new cgroup has no CPUs or memory nodes until given.
	for f in cpuset.cpus cpuset.mems; do
		[ -f "$d/$f" ] && cat "$(dirname "$d")/$f" >"$d/$f"
	done
	echo $$ >"$d/cgroup.procs"
done <<<"$(cat /proc/self/cgroup)" # read whole: it changes as we move
mount -t tmpfs tmpfs /run/systemd
mkdir /run/systemd/system
exec "$SYSTEMD" --user --log-target=console
EOF
: >"$TMP/cgroups"
SYSTEMD=$SYSTEMD unshare -m --propagation private bash "$TMP/launch.sh" \
	"$CGNAME" "$TMP/cgroups" >"$TMP/manager.log" 2>&1 &
MANAGER=$!

sdu_cleanup() {
	if kill -0 "$MANAGER" 2>/dev/null; then
		UCTL exit 2>/dev/null || kill "$MANAGER"
		for _ in $(seq 100); do
			kill -0 "$MANAGER" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$MANAGER" 2>/dev/null
	fi
	wait "$MANAGER" 2>/dev/null
	# Whatever systemd left: its processes killed, its cgroups removed.
	local d p
	while read -r d; do
		[ -d "$d" ] || continue
		for p in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done <"$TMP/cgroups"
}
trap 'sdu_cleanup; cleanup' EXIT

for _ in $(seq 200); do
	# (not is-system-running: it says "offline" outside a systemd host)
	state=$(UCTL show -P SystemState 2>/dev/null)
	case $state in running | degraded) break ;; esac
	kill -0 "$MANAGER" 2>/dev/null || break
	sleep 0.05
done
case ${state:-} in
running | degraded) ;;
*) cat "$TMP/manager.log"; skip "systemd --user does not start here (${state:-no state})" ;;
esac
ok "systemd --user runs ($(UCTL show -P Version))"

# The bus: dbus.socket activates dbus-daemon, which systemd then joins as
# org.freedesktop.systemd1 (waited for, so that the states stay put).
BUS="unix:path=$RT/bus"
for _ in $(seq 100); do
	busctl --address="$BUS" get-property org.freedesktop.systemd1 \
		/org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
		Version >/dev/null 2>&1 && break
	sleep 0.05
done

# A service that fails at once and is restarted until its start limit (5
# in 10 s) fails it for good: NRestarts 5 (4 when the limit counts
# differently), stable from then on.
systemd-run --user --quiet --unit=hw-crash -p Restart=always \
	-p RestartSec=20ms /bin/false
for _ in $(seq 200); do
	[ "$(UCTL show -P ActiveState hw-crash.service)" = failed ] && break
	sleep 0.05
done
NRESTARTS=$(UCTL show -P NRestarts hw-crash.service)
check "the crash-looping unit restarted and failed ($NRESTARTS restarts)" \
	test "$(UCTL show -P ActiveState hw-crash.service)" = failed -a \
	"${NRESTARTS:-0}" -ge 1
VERSION=$(UCTL show -P Version)
STATE=$(UCTL show -P SystemState)

scrape() { curl -fsS "$HW_URL/metrics" >"$TMP/$1"; }
systemd_lines() { grep -E '^(# (HELP|TYPE) )?node_systemd_' "$1" | grep -v '_socket_'; }
COMMON=(--config.file= --rules.defaults=false --collector.disable-defaults
	--collector.systemd)

# 1. Over systemd's private socket.
start_hostwatch private "${COMMON[@]}" \
	--collector.systemd.private-socket="$RT/systemd/private"
scrape private.prom
scrape private.prom
F=$TMP/private.prom
expect_eq "success over the private socket" 1 \
	"$(metric_value "$F" 'node_scrape_collector_success{collector="systemd"}')"
expect_eq "restart_total is systemd's NRestarts" "$NRESTARTS" \
	"$(metric_value "$F" 'node_systemd_service_restart_total{name="hw-crash.service"}')"
expect_eq "the failed unit's state" 1 \
	"$(metric_value "$F" 'node_systemd_unit_state{name="hw-crash.service",state="failed",type="simple"}')"
expect_eq "one sample per state" 5 "$(grep -c '^node_systemd_unit_state{name="hw-crash.service"' "$F")"
expect_eq "the version, labelled" 1 \
	"$(grep -c "^node_systemd_version{version=\"$VERSION\"} [0-9.]*$" "$F")"
expect_eq "system_running follows SystemState ($STATE)" \
	"$([ "$STATE" = running ] && echo 1 || echo 0)" \
	"$(metric_value "$F" 'node_systemd_system_running')"
expect_eq "slices, scopes and targets left out by default" 0 \
	"$(grep -cE '^node_systemd_unit_state\{name="[^"]*\.(slice|scope|target)"' "$F")"
expect_eq "the unit counts cover every unit" \
	"$(busctl --address="$BUS" call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
		org.freedesktop.systemd1.Manager ListUnits | awk '{print $2}')" \
	"$(awk '/^node_systemd_units\{/ { n += $2 } END { print n }' "$F")"

# 2. systemd drops its private connections when it re-executes: the next
# scrapes connect again.
UCTL daemon-reexec
for _ in $(seq 100); do
	UCTL show -P Version >/dev/null 2>&1 && break
	sleep 0.05
done
back=
for _ in 1 2 3; do
	scrape reexec.prom
	[ "$(metric_value "$TMP/reexec.prom" 'node_scrape_collector_success{collector="systemd"}')" = 1 ] &&
		back=1 && break
done
check "connected again after systemd re-executed" test -n "$back"
systemd_lines "$TMP/private.prom" | grep -v '^node_systemd_units{' >"$TMP/a"
systemd_lines "$TMP/reexec.prom" | grep -v '^node_systemd_units{' >"$TMP/b"
check "the same units and states after it" diff "$TMP/a" "$TMP/b"
kill "$HW_PID"

# 3. Over the bus, as an unprivileged hostwatch would (the private socket
# is not there): the same bytes.
export DBUS_SYSTEM_BUS_ADDRESS=$BUS
start_hostwatch bus "${COMMON[@]}" \
	--collector.systemd.private-socket="$TMP/none/private"
scrape bus.prom
systemd_lines "$TMP/private.prom" >"$TMP/a"
systemd_lines "$TMP/bus.prom" >"$TMP/b"
check "over the bus: the same as over the private socket" diff "$TMP/a" "$TMP/b"
kill "$HW_PID"

# 4. node_exporter 1.5 on the same bus (it has no private-socket path).
NE=${NODE_EXPORTER:-}
if [ -n "$NE" ] && [ -x "$NE" ]; then
	spawn_on_port "$TMP/ne.log" "address=127.0.0.1:@PORT@" \
		"$NE" --web.listen-address=127.0.0.1:@PORT@ --collector.disable-defaults \
		--collector.systemd --collector.systemd.enable-restarts-metrics
	curl -fsS "http://127.0.0.1:$SPAWN_PORT/metrics" >"$TMP/ne.prom"
	kill "$SPAWN_PID"
	systemd_lines "$TMP/ne.prom" >"$TMP/a"
	check "node_systemd_* byte for byte as node_exporter prints them" \
		diff "$TMP/a" "$TMP/b"
else
	echo "# prometheus-node-exporter not installed: comparison skipped"
fi

# 5. No systemd at all (nor a system bus, even on a host that has one):
# success 0 at every scrape, said once.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TMP/none/bus"
start_hostwatch nobus "${COMMON[@]}" --collector.systemd.private-socket="$TMP/none/private"
for i in 1 2 3; do scrape nobus$i.prom; done
expect_eq "no systemd: success 0" 0 \
	"$(metric_value "$TMP/nobus3.prom" 'node_scrape_collector_success{collector="systemd"}')"
expect_eq "no systemd: no node_systemd_*" 0 "$(grep -c '^node_systemd_' "$TMP/nobus3.prom")"
expect_eq "no systemd: said once in three scrapes" 1 \
	"$(grep -c 'cannot reach systemd' "$TMP/nobus.log")"
kill "$HW_PID"

# 6. systemd going away under a connected hostwatch.
start_hostwatch gone "${COMMON[@]}" \
	--collector.systemd.private-socket="$RT/systemd/private"
scrape gone1.prom
UCTL exit
for _ in $(seq 100); do
	kill -0 "$MANAGER" 2>/dev/null || break
	sleep 0.05
done
for i in 2 3 4; do scrape gone$i.prom; done
expect_eq "connected before systemd went away" 1 \
	"$(metric_value "$TMP/gone1.prom" 'node_scrape_collector_success{collector="systemd"}')"
expect_eq "success 0 once it is gone" 0 \
	"$(metric_value "$TMP/gone4.prom" 'node_scrape_collector_success{collector="systemd"}')"
check "hostwatch still serves" kill -0 "$HW_PID"
expect_eq "its absence said once" 1 "$(grep -c 'cannot reach systemd' "$TMP/gone.log")"

finish
