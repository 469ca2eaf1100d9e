#!/bin/bash
# hostwatch.service's hardening: `systemd-analyze security --offline=yes`
# rates the built unit 2.0 or better (Debian's node_exporter unit is
# measured too, for comparison), the settings it leaves open are exactly
# the relaxed ones the unit comments on and README "Installing" lists, the
# service settings issue 7 asks for are there; and the one capability the
# unit keeps does what it is kept for, shown with real processes: an
# unprivileged user with only CAP_DAC_READ_SEARCH counts the open files of
# root's processes, cannot without it, and still cannot resolve their exe.
. "$top_srcdir/tests/integration/lib.sh"

: "${top_builddir:?}"
UNIT="$top_builddir/systemd/hostwatch.service"
NE_UNIT=/lib/systemd/system/prometheus-node-exporter.service
[ -f "$UNIT" ] || skip "$UNIT not built"
command -v systemd-analyze >/dev/null || skip "systemd-analyze not found (Debian package systemd)"

# C locale: "+"/"-" instead of check marks. Offline, User= is judged by
# its value (set, not root): the hostwatch user need not exist here.
security() { LC_ALL=C systemd-analyze security --offline=yes "$1" 2>&1; }
exposure() { sed -n 's/^-> Overall exposure level for .*: \([0-9.]*\) .*/\1/p'; }
security "$UNIT" >"$TMP/ours"
ours=$(exposure <"$TMP/ours")
echo "# systemd-analyze security hostwatch.service: ${ours:-?}"
if [ -f "$NE_UNIT" ]; then
	theirs=$(security "$NE_UNIT" | exposure)
	echo "# systemd-analyze security prometheus-node-exporter.service: ${theirs:-?}"
	check "node_exporter's unit is rated too (${theirs:-none})" test -n "$theirs"
	check "ours ($ours) is lower than node_exporter's ($theirs)" \
		awk -v a="$ours" -v b="$theirs" 'BEGIN { exit !(a < b) }'
else
	echo "# $NE_UNIT not installed (Debian package prometheus-node-exporter): not compared"
fi
check "the unit is rated (${ours:-none})" test -n "$ours"
check "exposure $ours <= 2.0" awk -v a="${ours:-99}" 'BEGIN { exit !(a <= 2.0) }'

# What systemd-analyze finds open is exactly what the unit relaxes on
# purpose (each with a comment in the unit): a new weakness fails here.
sed -n 's/^- \([^ ]*\) .*/\1/p' "$TMP/ours" | sort >"$TMP/open"
sort >"$TMP/expected_open" <<'EOF'
AmbientCapabilities=
CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)
DeviceAllow=
IPAddressDeny=
PrivateNetwork=
PrivateUsers=
ProcSubset=
ProtectHome=
ProtectHostname=
ProtectProc=
RestrictAddressFamilies=~AF_(INET|INET6)
RestrictAddressFamilies=~AF_NETLINK
RestrictAddressFamilies=~AF_UNIX
RootDirectory=/RootImage=
EOF
expect_eq "the settings left open are the documented ones" \
	"$(cat "$TMP/expected_open")" "$(cat "$TMP/open")"

# Directives, as the unit must have them.
has() { grep -qxF "$1" "$UNIT"; }
for d in Type=notify NotifyAccess=main WatchdogSec=30s Restart=on-failure \
	'ExecReload=/bin/kill -HUP $MAINPID' User=hostwatch StateDirectory=hostwatch \
	StateDirectoryMode=0750 NoNewPrivileges=yes ProtectSystem=strict \
	ProtectHome=read-only PrivateTmp=yes PrivateDevices=yes \
	ProtectKernelTunables=yes ProtectControlGroups=yes \
	CapabilityBoundingSet=CAP_DAC_READ_SEARCH AmbientCapabilities=CAP_DAC_READ_SEARCH \
	'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' \
	SystemCallFilter=@system-service; do
	check "unit has $d" has "$d"
done
# Writes go to the state directory only: no other writable path.
check "no ReadWritePaths= besides StateDirectory=" bash -c '! grep -q "^ReadWritePaths=" "$1"' _ "$UNIT"
# Not set, on purpose: each would break a collector or the notifier.
for d in ProtectProc= ProcSubset= PrivateNetwork= IPAddressDeny= PrivateUsers= DynamicUser=; do
	check "unit does not set $d" bash -c '! grep -q "^$2" "$1"' _ "$UNIT" "$d"
done
# Every relaxed setting is explained: the line above it is a comment.
for d in ProtectHome=read-only CapabilityBoundingSet= RestrictAddressFamilies=; do
	check "the comment above $d" awk -v d="$d" '
		index($0, d) == 1 { ok = prev ~ /^#/; found = 1; exit }
		{ prev = $0 } END { exit !(found && ok) }' "$UNIT"
done
check "ProtectProc= is commented on" grep -q '^#ProtectProc=invisible' "$UNIT"
check "ProtectHostname= is commented on" grep -q '^#ProtectHostname=yes' "$UNIT"

# The system call filter, against the calls hostwatch really makes: a run
# under strace with the default collectors, the rules, a reload and a
# webhook delivery attempt. A call outside the filter would fail with EPERM
# (SystemCallErrorNumber=) in the service, and nowhere else.
if command -v strace >/dev/null; then
	mkdir -p "$TMP/st-state"
	cat >"$TMP/st.conf" <<EOF
[rules]
evaluation_interval = 1s
defaults_file = $top_srcdir/etc/default.rules.yml
[paths]
state_directory = $TMP/st-state
[process self]
comm = ^hostwatch\$
[alert Always]
expr = node_load1 >= 0
[webhook nowhere]
url = http://127.0.0.1:1/hook
group_wait = 0s
EOF
	SAVED=$HOSTWATCH
	printf '#!/bin/sh\nexec strace -f -qq -o "%s" "%s" "$@"\n' "$TMP/trace" "$HOSTWATCH" >"$TMP/run-strace"
	chmod 755 "$TMP/run-strace"
	HOSTWATCH="$TMP/run-strace"
	if start_hostwatch strace --config.file="$TMP/st.conf"; then
		# Signals go to the daemon, strace's child: strace running a
		# program with -o blocks fatal signals itself (strace(1), -I).
		daemon=$(pgrep -P "$HW_PID" | head -n1)
		PIDS+=($daemon)
		curl -fsS -H 'Accept-Encoding: gzip' "$HW_URL/metrics" >/dev/null
		sleep 2
		kill -HUP "$daemon"
		curl -fsS "$HW_URL/api/v1/alerts" >/dev/null
		sleep 1
		kill "$daemon"; wait "$HW_PID" 2>/dev/null
	fi
	HOSTWATCH=$SAVED
	sed -n 's/^[0-9]* \{1,\}\([a-z_0-9]*\)(.*/\1/p' "$TMP/trace" | sort -u >"$TMP/used"
	check "strace saw the daemon's calls ($(wc -l <"$TMP/used"))" test "$(wc -l <"$TMP/used")" -ge 30
	$PY - "$UNIT" "$TMP/used" >"$TMP/filter.out" <<'EOF'
import subprocess, sys
def expand(name):
    if not name.startswith("@"):
        return {name}
    out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                         capture_output=True, text=True, check=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        w = line.strip()
        if w and not w.startswith("#"):
            calls |= expand(w)
    return calls
allow, deny = set(), set()
for line in open(sys.argv[1]):
    if line.startswith("SystemCallFilter="):
        v = line.split("=", 1)[1].split()
        if v[0].startswith("~"):
            v[0] = v[0][1:]
            for g in v:
                deny |= expand(g)
        else:
            for g in v:
                allow |= expand(g)
used = [l.strip() for l in open(sys.argv[2]) if l.strip()]
# execve is how strace starts the program; systemd's filter applies after.
print(" ".join(u for u in used if u != "execve" and (u not in allow or u in deny)))
EOF
	expect_eq "every system call made is allowed by SystemCallFilter=" "" "$(cat "$TMP/filter.out")"
else
	echo "# strace not installed (Debian package strace): the system call filter is not checked"
fi

# The capability, on real processes: root's sleeper with extra open files,
# and hostwatch run as nobody, as the unit runs it (setpriv gives the same
# ambient set systemd would).
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "# not root or no setpriv: the capability is not exercised"
	finish
fi
cp /bin/sleep "$TMP/hwcapsleeper"
(exec 7</dev/null 8</dev/null 9</dev/null; exec "$TMP/hwcapsleeper" 300) &
PIDS+=($!)
SLEEPER=$!
# nobody must reach the binary and its own state directory.
chmod 755 "$TMP"
mkdir -p "$TMP/state-cap" "$TMP/state-nocap"
chown nobody "$TMP/state-cap" "$TMP/state-nocap"
cat >"$TMP/cap.conf" <<EOF
[collectors]
disable_defaults = true
process_groups = true
[rules]
defaults = off
[process capsleeper]
comm = ^hwcapsleeper\$
EOF
chmod 644 "$TMP/cap.conf"
fds() { # the sleeper group's open_filedesc from one scrape
	curl -fsS "$HW_URL/metrics" | metric_value /dev/stdin \
		'namedprocess_namegroup_open_filedesc{groupname="capsleeper"}'
}
check "nobody without capabilities cannot list root's /proc/PID/fd" \
	bash -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups ls "/proc/$1/fd" >/dev/null 2>&1' _ "$SLEEPER"
check "nobody with CAP_DAC_READ_SEARCH can" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+dac_read_search \
	--ambient-caps=+dac_read_search ls "/proc/$SLEEPER/fd" >/dev/null
check "but not read its exe (that needs CAP_SYS_PTRACE, not granted)" \
	bash -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+dac_read_search \
		--ambient-caps=+dac_read_search readlink "/proc/$1/exe" >/dev/null 2>&1' _ "$SLEEPER"
# hostwatch itself, through a wrapper: start_hostwatch runs "$HOSTWATCH"
# as one word.
for mode in cap nocap; do
	caps=; [ "$mode" = cap ] && caps=dac_read_search
	cat >"$TMP/run-$mode" <<EOF
#!/bin/sh
exec setpriv --reuid=nobody --regid=nogroup --clear-groups ${caps:+--inh-caps=+$caps --ambient-caps=+$caps} "$HOSTWATCH" "\$@"
EOF
	chmod 755 "$TMP/run-$mode"
done
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$HOSTWATCH"; then
	echo "# nobody cannot reach $HOSTWATCH (a private build directory): hostwatch not run as nobody"
	finish
fi
SAVED=$HOSTWATCH
HOSTWATCH="$TMP/run-cap"
start_hostwatch cap --config.file="$TMP/cap.conf" --no-notify.journal \
	--path.state-directory="$TMP/state-cap" || finish
n=$(fds)
check "as nobody with CAP_DAC_READ_SEARCH: root's sleeper has >= 6 open files (${n:-none})" \
	test "${n:-0}" -ge 6
kill "$HW_PID"; wait "$HW_PID" 2>/dev/null
HOSTWATCH="$TMP/run-nocap"
start_hostwatch nocap --config.file="$TMP/cap.conf" --no-notify.journal \
	--path.state-directory="$TMP/state-nocap" || finish
expect_eq "as nobody without it: 0 open files (unreadable)" 0 "$(fds)"
HOSTWATCH=$SAVED
finish
