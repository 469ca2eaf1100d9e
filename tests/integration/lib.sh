# Shared helpers for the integration tests (sourced by bash).
# Every daemon a test starts listens on 127.0.0.1 port 0 (the kernel picks a
# free port) and is killed on exit; nothing leaves loopback.
set -u
: "${top_srcdir:?}" "${HOSTWATCH:?}"
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-test.XXXXXX")
PIDS=()
FAILS=0
CHECKS=0

cleanup() {
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

ok() { CHECKS=$((CHECKS + 1)); echo "ok - $*"; }
not_ok() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected [$2], got [$3]"; fi
}
finish() {
	echo "$((CHECKS - FAILS)) passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}
skip() { echo "SKIP: $*"; exit 77; }

# start_hostwatch NAME ARGS...: starts hostwatch on 127.0.0.1:0 with ARGS,
# logging to $TMP/NAME.log; sets HW_PID and HW_PORT.
start_hostwatch() {
	local name=$1; shift
	"$HOSTWATCH" --web.listen-address=127.0.0.1:0 "$@" >"$TMP/$name.log" 2>&1 &
	HW_PID=$!
	PIDS+=("$HW_PID")
	HW_PORT=
	for _ in $(seq 100); do
		HW_PORT=$(sed -n 's/.*Listening on address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/$name.log" | head -n1)
		[ -n "$HW_PORT" ] && break
		kill -0 "$HW_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$HW_PORT" ]; then
		echo "hostwatch did not start:"; cat "$TMP/$name.log"; return 1
	fi
	HW_URL="http://127.0.0.1:$HW_PORT"
}

# A free loopback port for programs that cannot take port 0.
free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# spawn_on_port LOG READY CMD...: for programs that cannot listen on port 0.
# Picks a free port, runs CMD with every @PORT@ replaced, and waits until LOG
# shows READY (with @PORT@ replaced) -- proof that this program, and not a
# parallel test's that took the port between the pick and the bind, holds it.
# Retries on a new port when the program exits first. Sets SPAWN_PID, SPAWN_PORT.
spawn_on_port() {
	local log=$1 ready=$2; shift 2
	local attempt port args a
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		args=()
		for a in "$@"; do args+=("${a//@PORT@/$port}"); done
		"${args[@]}" >"$log" 2>&1 &
		SPAWN_PID=$!
		PIDS+=("$SPAWN_PID")
		for _ in $(seq 100); do
			if grep -qF -- "${ready//@PORT@/$port}" "$log"; then
				SPAWN_PORT=$port
				return 0
			fi
			kill -0 "$SPAWN_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$SPAWN_PID" 2>/dev/null
		wait "$SPAWN_PID" 2>/dev/null
	done
	echo "could not start on a free port: $*"; cat "$log"
	return 1
}

# wait_http URL: until it answers (5 s at most).
wait_http() {
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# metric_value FILE SERIES: the value of one exact series line.
metric_value() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print $NF }' "$1"
}
