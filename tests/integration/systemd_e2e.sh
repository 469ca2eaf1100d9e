#!/bin/bash
# The Debian package in a real systemd (issue 7): a Debian 12 root booted
# with systemd as PID 1 in a container (systemd_lib.sh), the .deb that
# packaging/build-deb.sh makes from this tree installed with apt, and then
# what an operator would do and see: the user and the service, READY, a
# scrape of :9100, an alert in `journalctl -u hostwatch` with its fields and
# its catalog text under -x, a crash-looping unit's restarts, a reload, the
# watchdog restarting a frozen hostwatch, remove and purge. Where Debian's
# node_exporter publishes the same series (node_systemd_*, the filesystems
# the hardened unit still sees) the two are compared in the same container.
#
# Expensive (a package build and a container): first pass of tools/check.sh
# only.
[ "${HW_ONCE_TESTS:-yes}" = no ] && { echo "SKIP: runs in the first pass only"; exit 77; }
source "$top_srcdir/tests/integration/lib.sh"
source "$top_srcdir/tests/integration/docker_lib.sh"
source "$top_srcdir/tests/integration/systemd_lib.sh"

command -v dpkg-buildpackage >/dev/null ||
	skip "dpkg-buildpackage is missing (tools/deps.sh installs dpkg-dev)"
sd_setup

# ---- the package ---------------------------------------------------------
DEB_OUT=$TMP/deb
if [ -n "${HW_E2E_DEB:-}" ]; then
	# a .deb built already (a developer's shortcut; CI builds it here)
	mkdir -p "$DEB_OUT" && cp "$HW_E2E_DEB" "$DEB_OUT/"
elif ! "$top_srcdir/packaging/build-deb.sh" "$top_srcdir" "$DEB_OUT" >"$TMP/build-deb.log" 2>&1; then
	tail -n 30 "$TMP/build-deb.log"
	echo "packaging/build-deb.sh failed"
	exit 1
fi
DEB=$(ls "$DEB_OUT"/hostwatch_*.deb | head -n 1)
[ -f "$DEB" ] || { echo "no hostwatch_*.deb in $DEB_OUT"; exit 1; }
echo "# $(basename "$DEB")"

C=hw-e2e-$$
sd_boot "$C" || { echo "the container did not boot"; exit 1; }
ct() { sd "$C" "$@"; }
# in_sh SCRIPT: a shell command line inside
in_sh() { sd "$C" sh -c "$1"; }
scrape_in() { ct curl -fsS --max-time 10 "http://127.0.0.1:${2:-9100}/metrics" >"$1"; }

# ---- install -------------------------------------------------------------
dk cp "$DEB" "$C:/opt/hostwatch.deb" >/dev/null
# No network in the container: every dependency is in the root already, so
# apt resolves them locally (and fails loudly if the package needs more).
if ct env DEBIAN_FRONTEND=noninteractive apt-get install -y \
	/opt/hostwatch.deb >"$TMP/apt-install.log" 2>&1; then
	ok "apt-get install of the .deb, offline, on a bare Debian 12"
else
	not_ok "apt-get install of the .deb"
	tail -n 20 "$TMP/apt-install.log"
	finish
fi

check "the hostwatch system user exists, with no login shell" \
	in_sh 'getent passwd hostwatch | grep -q ":/usr/sbin/nologin$"'
# Type=notify: active means READY=1 arrived (a unit that never notifies
# stays "activating" and then fails on its start timeout).
sd_wait "$C" 30 sh -c '[ "$(systemctl is-active hostwatch)" = active ]'
expect_eq "hostwatch.service is active after install (enabled and started)" \
	"active enabled" "$(ct systemctl is-active hostwatch) $(ct systemctl is-enabled hostwatch)"
expect_eq "it is Type=notify, running as hostwatch" "notify hostwatch" \
	"$(ct systemctl show -P Type hostwatch) $(in_sh 'ps -o user= -p $(systemctl show -P MainPID hostwatch)')"
check "its state directory exists, owned by hostwatch" \
	in_sh '[ "$(stat -c %U /var/lib/hostwatch)" = hostwatch ]'

sd_wait "$C" 20 curl -fsS -o /dev/null http://127.0.0.1:9100/metrics
scrape_in "$TMP/m1"
check "/metrics on :9100 has node_* samples" grep -q '^node_cpu_seconds_total{' "$TMP/m1"
# The hardened unit still reads what the collectors need: every default
# collector succeeds but docker (no Docker here).
failed=$(awk '/^node_scrape_collector_success\{/ && $2 == 0' "$TMP/m1" |
	grep -v 'collector="docker"' | sed 's/ 0$//' | tr '\n' ' ')
expect_eq "every collector succeeds under the hardened unit (docker aside)" "" "$failed"

# The same mount points as node_exporter (the reference, run as root
# outside any sandbox) for the filesystem collector: ProtectSystem,
# ProtectHome and PrivateTmp must not hide or add any.
in_sh 'prometheus-node-exporter --web.listen-address=127.0.0.1:9101 \
	--collector.systemd --collector.systemd.enable-restarts-metrics \
	>/tmp/ne.log 2>&1 &'
sd_wait "$C" 20 curl -fsS -o /dev/null http://127.0.0.1:9101/metrics
mounts() { grep '^node_filesystem_size_bytes{' "$1" | sed 's/ .*//' | sort; }
scrape_in "$TMP/ne1" 9101
if [ "$(mounts "$TMP/m1")" = "$(mounts "$TMP/ne1")" ] && [ -n "$(mounts "$TMP/m1")" ]; then
	ok "node_filesystem_size_bytes: the same $(mounts "$TMP/m1" | wc -l) series as node_exporter"
else
	not_ok "node_filesystem_size_bytes differ from node_exporter's"
	diff <(mounts "$TMP/ne1") <(mounts "$TMP/m1") | head -n 20
fi

# ---- a crash-looping unit ------------------------------------------------
# It fails at once and is restarted until it hits its start limit, then
# stays failed: its NRestarts no longer moves when it is compared.
in_sh 'cat >/etc/systemd/system/hw-crashloop.service <<EOF
[Unit]
Description=hostwatch test: a service that keeps failing
StartLimitIntervalSec=5min
StartLimitBurst=4
[Service]
ExecStart=/bin/sh -c "exit 3"
Restart=on-failure
RestartSec=100ms
EOF
systemctl daemon-reload && systemctl start hw-crashloop.service'
sd_wait "$C" 20 sh -c '[ "$(systemctl show -P Result hw-crashloop)" = start-limit-hit ]'
nrestarts=$(ct systemctl show -P NRestarts hw-crashloop)
check "the crash-looping unit was restarted at least 3 times (NRestarts $nrestarts)" \
	[ "${nrestarts:-0}" -ge 3 ]

# ---- a reload: a forced alert and the systemd collector ------------------
in_sh 'cat >/etc/hostwatch/e2e.rules.yml <<EOF
groups:
  - name: e2e
    rules:
      - alert: HostwatchE2EForced
        expr: node_time_seconds * 0 + 42
        labels:
          severity: warning
        annotations:
          summary: forced to fire by the end-to-end test
EOF
cat >>/etc/hostwatch/hostwatch.conf <<EOF
[collectors]
systemd = true
[rules]
files = e2e.rules.yml
evaluation_interval = 1s
EOF'
pid_before=$(ct systemctl show -P MainPID hostwatch)
if ct systemctl reload hostwatch; then ok "systemctl reload hostwatch"; else not_ok "systemctl reload hostwatch"; fi
expect_eq "a reload keeps the process (SIGHUP, not a restart)" "$pid_before active" \
	"$(ct systemctl show -P MainPID hostwatch) $(ct systemctl is-active hostwatch)"

# The alert, in the journal of the unit, with its fields.
J='journalctl -u hostwatch --no-pager -o verbose ALERT_NAME=HostwatchE2EForced'
if sd_wait "$C" 30 sh -c "$J | grep -q ALERT_STATE=firing"; then
	ok "the forced alert is in journalctl -u hostwatch"
	in_sh "$J" >"$TMP/journal"
	for f in MESSAGE_ID=a56dee9ceffd481b9eafee25f854019b PRIORITY=4 \
		ALERT_SEVERITY=warning ALERT_VALUE=42 'ALERT_EXPR=node_time_seconds * 0 + 42' \
		'ALERT_SUMMARY=forced to fire by the end-to-end test' \
		SYSLOG_IDENTIFIER=hostwatch _SYSTEMD_UNIT=hostwatch.service; do
		check "its journal entry has $f" grep -qF "    $f" "$TMP/journal"
	done
else
	not_ok "the forced alert is in journalctl -u hostwatch"
	ct journalctl -u hostwatch --no-pager | tail -n 20
fi
# The catalog came with the package; dpkg's trigger on the catalog
# directory ran journalctl --update-catalog (no manual step).
check "journalctl -x shows the catalog's text for it" \
	in_sh 'journalctl -x -u hostwatch --no-pager ALERT_NAME=HostwatchE2EForced | grep -q "Alert HostwatchE2EForced is firing"'

# node_systemd_*: as node_exporter publishes them, over the system bus, as
# the unprivileged hostwatch user. Units can change state between the two
# scrapes, so compare a few times before calling a difference one.
sd_series() { grep -E '^node_systemd_(unit_state|service_restart_total|units|system_running)\{?' "$1" | sort; }
same=
for i in $(seq 10); do
	scrape_in "$TMP/m2" && scrape_in "$TMP/ne2" 9101 || { sleep 0.5; continue; }
	[ -n "$(sd_series "$TMP/m2")" ] && [ "$(sd_series "$TMP/m2")" = "$(sd_series "$TMP/ne2")" ] &&
		{ same=1; break; }
	sleep 0.5
done
if [ -n "$same" ]; then
	ok "node_systemd_* equal node_exporter's, sample by sample ($(sd_series "$TMP/m2" | wc -l) samples)"
else
	not_ok "node_systemd_* differ from node_exporter's"
	diff <(sd_series "$TMP/ne2") <(sd_series "$TMP/m2") | head -n 30
fi
expect_eq "node_systemd_service_restart_total of the crash-looping unit is its NRestarts" \
	"$nrestarts" "$(metric_value "$TMP/m2" 'node_systemd_service_restart_total{name="hw-crashloop.service"}')"
expect_eq "the systemd collector succeeds" 1 \
	"$(metric_value "$TMP/m2" 'node_scrape_collector_success{collector="systemd"}')"

# ---- the watchdog --------------------------------------------------------
# A frozen hostwatch (SIGSTOP) stops pinging; systemd kills it (SIGABRT,
# then SIGCONT) and Restart=on-failure starts a new one. A drop-in shortens
# WatchdogSec so the test does not wait the unit's 30 s.
in_sh 'mkdir -p /etc/systemd/system/hostwatch.service.d &&
printf "[Service]\nWatchdogSec=3s\n" >/etc/systemd/system/hostwatch.service.d/e2e.conf &&
systemctl daemon-reload && systemctl restart hostwatch'
sd_wait "$C" 30 sh -c '[ "$(systemctl is-active hostwatch)" = active ]'
frozen=$(ct systemctl show -P MainPID hostwatch)
restarts=$(ct systemctl show -P NRestarts hostwatch)
ct kill -STOP "$frozen"
if sd_wait "$C" 40 sh -c "p=\$(systemctl show -P MainPID hostwatch); [ \"\$p\" != 0 ] && [ \"\$p\" != $frozen ] && [ \"\$(systemctl is-active hostwatch)\" = active ]"; then
	ok "the watchdog restarted a frozen hostwatch (a new main PID, active again)"
else
	not_ok "the watchdog restarted a frozen hostwatch"
	ct systemctl status hostwatch --no-pager | tail -n 15
fi
expect_eq "NRestarts of hostwatch went up by one" "$((restarts + 1))" \
	"$(ct systemctl show -P NRestarts hostwatch)"
check "the journal says it was the watchdog" \
	in_sh 'journalctl -u hostwatch --no-pager | grep -q "Watchdog timeout"'
sd_wait "$C" 20 curl -fsS -o /dev/null http://127.0.0.1:9100/metrics
check "the restarted hostwatch answers on :9100" scrape_in "$TMP/m3"

# ---- remove, purge -------------------------------------------------------
in_sh 'rm -rf /etc/systemd/system/hostwatch.service.d && systemctl daemon-reload'
if ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y hostwatch >"$TMP/apt-remove.log" 2>&1; then
	ok "apt-get remove hostwatch"
else
	not_ok "apt-get remove hostwatch"; tail -n 20 "$TMP/apt-remove.log"
fi
check "remove stopped it: nothing answers on :9100" \
	in_sh '! curl -fsS -o /dev/null --max-time 3 http://127.0.0.1:9100/metrics 2>/dev/null'
check "remove stopped it: no hostwatch process" in_sh '! pgrep -x hostwatch'
check "remove keeps the state directory and the configuration" \
	in_sh '[ -d /var/lib/hostwatch ] && [ -f /etc/hostwatch/hostwatch.conf ]'
if ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y hostwatch >"$TMP/apt-purge.log" 2>&1; then
	ok "apt-get purge hostwatch"
else
	not_ok "apt-get purge hostwatch"; tail -n 20 "$TMP/apt-purge.log"
fi
check "purge removes the state directory" in_sh '[ ! -e /var/lib/hostwatch ]'
check "purge removes the configuration" in_sh '[ ! -e /etc/hostwatch/hostwatch.conf ] && [ ! -e /etc/default/hostwatch ]'

dk rm -f "$C" >/dev/null 2>&1
finish
