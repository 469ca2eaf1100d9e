# The real systemd-journald for the integration tests (sourced by bash,
# after lib.sh). ensure_journald makes sure one answers on
# /run/systemd/journal/socket: the system's, or, where none runs (a
# container, this CI), /lib/systemd/systemd-journald started standalone
# (as root it creates its sockets itself and keeps a runtime journal in
# /run/log/journal). Only a journald that a test started is ever stopped
# (its pid is recorded in $JOURNALD_LOCK.pid; the system's is not), by the
# last test using it: every test holds a shared flock on $JOURNALD_LOCK
# while it runs, and the one that can take it exclusively on exit stops
# the recorded journald.
#
# ensure_journald installs its own EXIT trap, which ends by calling
# lib.sh's cleanup; a test that sets its own EXIT trap afterwards must
# call journald_cleanup from it.

JOURNAL_SOCKET=/run/systemd/journal/socket
JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
JOURNALD_LOCK=${JOURNALD_LOCK:-/run/hostwatch-test-journald.lock}
JOURNALD_PID=
JOURNALD_LOCK_FD=

# Whether a journald receives datagrams on the socket (a socket file
# left by a stopped journald refuses them).
journald_alive() {
	"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])' "$JOURNAL_SOCKET" 2>/dev/null
}

ensure_journald() {
	exec {JOURNALD_LOCK_FD}>>"$JOURNALD_LOCK"
	trap journald_cleanup EXIT
	# exclusive while deciding and starting: two tests never start two
	flock -x "$JOURNALD_LOCK_FD"
	if ! journald_alive; then
		if [ ! -x "$JOURNALD" ]; then
			flock -u "$JOURNALD_LOCK_FD"
			skip "no journald running and no $JOURNALD"
		fi
		# not our child (lib.sh's cleanup waits for those, and another
		# test may still use it), and without the lock's descriptor
		( "$JOURNALD" >/dev/null 2>"$TMP/journald.log" {JOURNALD_LOCK_FD}>&- &
		  echo $! >"$JOURNALD_LOCK.pid" )
		JOURNALD_PID=$(cat "$JOURNALD_LOCK.pid")
		local i
		for i in $(seq 100); do
			journald_alive && break
			kill -0 "$JOURNALD_PID" 2>/dev/null || break
			sleep 0.05
		done
		if ! journald_alive; then
			echo "systemd-journald did not start:"
			cat "$TMP/journald.log"
			rm -f "$JOURNALD_LOCK.pid"
			flock -u "$JOURNALD_LOCK_FD"
			exit 99
		fi
	fi
	flock -s "$JOURNALD_LOCK_FD"
}

journald_cleanup() {
	local rc=$? pid i
	if [ -n "$JOURNALD_LOCK_FD" ]; then
		flock -u "$JOURNALD_LOCK_FD"
		# the last test out stops a journald that a test started
		if flock -xn "$JOURNALD_LOCK_FD" && [ -s "$JOURNALD_LOCK.pid" ]; then
			pid=$(cat "$JOURNALD_LOCK.pid")
			if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd-journal ]; then
				kill "$pid"
				for i in $(seq 100); do
					kill -0 "$pid" 2>/dev/null || break
					sleep 0.05
				done
			fi
			rm -f "$JOURNALD_LOCK.pid"
		fi
		exec {JOURNALD_LOCK_FD}>&-
	fi
	cleanup
	exit "$rc"
}

# journal_json OUT MIN ARGS...: `journalctl -o json ARGS` into OUT once it
# holds MIN entries (journald stores datagrams asynchronously: --sync,
# then retry for up to 5 s). 1 when it never does.
journal_json() {
	local out=$1 min=$2 i
	shift 2
	for i in $(seq 50); do
		journalctl --sync 2>/dev/null
		journalctl --no-pager -o json "$@" >"$out" 2>/dev/null
		[ "$(grep -c . "$out")" -ge "$min" ] && return 0
		sleep 0.1
	done
	return 1
}
