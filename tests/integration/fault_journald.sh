#!/bin/bash
# journald absent, then started: nothing lost (issue 8, point 4). The
# daemon always writes to /run/systemd/journal/socket (journal.c), so the
# test runs in a private mount namespace (unshare -m) with tmpfs over
# /run/systemd/journal and the journal directories: no journald there at
# first. The alert fires, resolves and fires again: three entries on the
# daemon's stderr (journal.c's fallback line). Then a real
# systemd-journald starts inside the namespace (standalone, as root it
# creates its sockets itself) and the alert resolves, fires and resolves:
# three entries in that journal. Every transition appears in exactly one
# of the two places, in order.
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace)"; exit 77; }
if [ -z "${HW_IN_MOUNT_NS:-}" ]; then
	unshare -m --propagation private true 2>/dev/null ||
		{ echo "SKIP: unshare -m is not allowed here"; exit 77; }
	HW_IN_MOUNT_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"

JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
# (empty directories under /run are what journald would create anyway;
# /var/log/journal is covered only if it exists)
mkdir -p /run/systemd/journal /run/log/journal
for d in /run/systemd/journal /run/log/journal /var/log/journal; do
	[ -d "$d" ] || continue
	mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "cannot mount tmpfs on $d"; exit 99; }
done
check "no journald in the namespace" test ! -e /run/systemd/journal/socket

INSTANCE="jfault-$$-$RANDOM"
notify_conf "$TMP/hw.conf" "$TMP/state" "[notify]" "external_labels = instance=$INSTANCE"
start_hostwatch hw --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1

# stderr_states: the alert's transitions in the fallback lines, in order
stderr_states() {
	grep -F "ALERT_LABEL_INSTANCE=$INSTANCE" "$TMP/hw.log" | grep -F 'ALERT_NAME=SleeperUp' |
		sed -n 's/.* ALERT_STATE=\([a-z]*\).*/\1/p' | paste -sd, -
}
# wait_states FUNC WANT: until FUNC prints WANT (10 s at most)
wait_states() {
	for _ in $(seq 100); do
		[ "$("$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "# $1 gives [$("$1")], waited for [$2]"
	return 1
}
wait_stderr() { wait_states stderr_states "$1"; }
sleeper_start
check "firing on stderr" wait_stderr firing
sleeper_stop
check "resolved on stderr" wait_stderr firing,resolved
sleeper_start
check "firing again on stderr" wait_stderr firing,resolved,firing

"$JOURNALD" >/dev/null 2>"$TMP/journald.log" &
JPID=$!
PIDS+=("$JPID")
for _ in $(seq 100); do
	[ -S /run/systemd/journal/socket ] && break
	sleep 0.05
done
check "journald started in the namespace" test -S /run/systemd/journal/socket

journal_states() {
	journalctl --sync 2>/dev/null
	journalctl --no-pager -o json ALERT_LABEL_INSTANCE="$INSTANCE" \
		ALERT_NAME=SleeperUp 2>/dev/null >"$TMP/j.json"
	"$PY" -c 'import json, sys
print(",".join(json.loads(l)["ALERT_STATE"] for l in open(sys.argv[1]) if l.strip()))' "$TMP/j.json"
}
wait_journal() { wait_states journal_states "$1"; }
sleeper_stop
check "resolved in the journal" wait_journal resolved
sleeper_start
check "firing in the journal" wait_journal resolved,firing
sleeper_stop
check "resolved again in the journal" wait_journal resolved,firing,resolved
sleep 2 # anything extra would come now
expect_eq "stderr: the three transitions before journald, once each" \
	firing,resolved,firing "$(stderr_states)"
expect_eq "journal: the three after, once each" \
	resolved,firing,resolved "$(journal_states)"
check "the daemon logged no error" bash -c "! grep -q 'level=error' '$TMP/hw.log'"
kill "$JPID" 2>/dev/null
finish
