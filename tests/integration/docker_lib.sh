# A private Docker daemon for a test (sourced after lib.sh, by bash, as root).
#
# The daemon has everything of its own, under $TMP: --data-root,
# --exec-root (the containerd dockerd starts keeps its socket there),
# --pidfile, the API socket $DK_SOCK, an empty --config-file (so
# /etc/docker/daemon.json does not apply), containerd namespaces
# hwtest-PID (should a system containerd be used), --cgroup-parent /hwtest-PID,
# so that nothing clashes with a system dockerd on /var/run/docker.sock or
# with a parallel test. No network: a bridge of its own, hwdkPID (with
# --bridge=none dockerd would delete the host's docker0), no iptables rules,
# and every container runs with --network none. The image hw-busybox:test is
# made here with `docker import` from /bin/busybox (busybox-static) and a
# symlink per applet: no registry is needed.
#
#   dk_setup          start the daemon and build the image; skips (77) with
#                     the reason when dockerd cannot be had on this machine
#   dk_start          start it again with the same data (0, or 1 and why)
#   dk_stop           SIGTERM, 20 s at most, then SIGKILL
#   dk_kill           SIGKILL, as a crash (its containers run on)
#   dk ARGS...        the docker CLI against it
#   dk_api PATH       GET /PATH of its API (curl --unix-socket)
#   dk_run NAME ARGS  docker run -d --network none --name NAME ARGS
#   dk_cgroup_dir NAME CONTROLLER
#                     the container's cgroup directory holding CONTROLLER's
#                     files (the v1 hierarchy of it, else the cgroup2 one)
# and, to read hostwatch: scrape, val, the label sets L (hostwatch_*) and LI
# (container_*), cid (a container's cgroup id), poll (a bounded wait for a
# value, then its assertion), dk_wait (a bounded wait on docker inspect).
# On exit every container, the daemon, its containerd and their cgroups go
# (also after a failure), before lib.sh removes $TMP.

DK_SOCK=$TMP/docker.sock
DK_ROOT=$TMP/docker-root
DK_EXEC=$TMP/docker-exec
DK_PIDFILE=$TMP/docker.pid
DK_LOG=$TMP/dockerd.log
DK_PARENT=/hwtest-$$
DK_NS=hwtest-$$
DK_BRIDGE=hwdk$$ # at most 15 bytes: an interface name
DK_IMAGE=hw-busybox:test
DK_PID=
export DOCKER_CONFIG=$TMP/docker-cli
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

dk() { docker -H "unix://$DK_SOCK" "$@"; }
dk_api() { curl -sS --max-time 20 --unix-socket "$DK_SOCK" "http://docker/$1"; }
dk_run() { local n=$1; shift; dk run -d --network none --name "$n" "$@" >/dev/null; }

# A process that has not exited (a zombie has).
dk_alive() {
	[ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
}

# Start dockerd and wait (30 s at most) until its API answers _ping.
# 0, or 1 with the reason in DK_WHY.
dk_start() {
	DK_WHY=
	echo "{}" >"$TMP/daemon.json"
	echo "== dockerd start $(date +%T.%N)" >>"$DK_LOG"
	"$DOCKERD" --config-file="$TMP/daemon.json" \
		--data-root="$DK_ROOT" --exec-root="$DK_EXEC" \
		--pidfile="$DK_PIDFILE" -H "unix://$DK_SOCK" \
		--bridge="$DK_BRIDGE" --iptables=false --ip-masq=false \
		--cgroup-parent="$DK_PARENT" \
		--containerd-namespace="$DK_NS" \
		--containerd-plugins-namespace="$DK_NS-plugins" \
		>>"$DK_LOG" 2>&1 </dev/null &
	DK_PID=$!
	local i
	for i in $(seq 300); do
		[ "$(curl -s --max-time 2 --unix-socket "$DK_SOCK" http://docker/_ping 2>/dev/null)" = OK ] &&
			return 0
		dk_alive "$DK_PID" || break
		sleep 0.1
	done
	if dk_alive "$DK_PID"; then
		DK_WHY="dockerd did not answer within 30 s"
		dk_stop
	else
		wait "$DK_PID" 2>/dev/null
		DK_WHY="dockerd exited: $(grep -E 'level=(fatal|error)|^failed|Error' "$DK_LOG" | tail -n 1)"
	fi
	DK_PID=
	return 1
}

# SIGTERM (dockerd stops its containers and its containerd), 20 s at most,
# then SIGKILL.
dk_stop() {
	[ -n "$DK_PID" ] || return 0
	kill -TERM "$DK_PID" 2>/dev/null
	local i
	for i in $(seq 200); do
		dk_alive "$DK_PID" || break
		sleep 0.1
	done
	if dk_alive "$DK_PID"; then
		echo "# dockerd did not stop within 20 s: SIGKILL"
		kill -KILL "$DK_PID" 2>/dev/null
	fi
	wait "$DK_PID" 2>/dev/null
	DK_PID=
}

# SIGKILL (a crash): the containers and their shims live on. Its
# containerd goes with it (parent-death signal) but takes a moment, during
# which a new one would lose its socket to the old one's exit: wait for it.
# Then its pid file goes: dockerd would take a zombie that init has not
# reaped yet for a live containerd, and wait for it in vain.
dk_kill() {
	[ -n "$DK_PID" ] || return 0
	local cpid i
	cpid=$(cat "$DK_EXEC/containerd/containerd.pid" 2>/dev/null)
	kill -KILL "$DK_PID" 2>/dev/null
	wait "$DK_PID" 2>/dev/null
	DK_PID=
	if [ -n "$cpid" ] && grep -qF "$DK_EXEC" "/proc/$cpid/cmdline" 2>/dev/null; then
		for i in $(seq 100); do
			dk_alive "$cpid" || break
			sleep 0.1
		done
		dk_alive "$cpid" && kill -KILL "$cpid"
	fi
	rm -f "$DK_EXEC/containerd/containerd.pid"
}

# The image: busybox and its applets, nothing else.
dk_image() {
	local r=$TMP/rootfs a
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/root"
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	tar -C "$r" -c . | dk import -c 'CMD ["sh"]' - "$DK_IMAGE" >/dev/null
}

dk_setup() {
	[ "$(id -u)" = 0 ] || skip "a private dockerd needs root"
	DOCKERD=$(command -v dockerd) ||
		skip "dockerd is not installed (tools/deps.sh installs docker.io)"
	command -v docker >/dev/null ||
		skip "the docker CLI is not installed (tools/deps.sh installs docker.io)"
	[ -x /bin/busybox ] ||
		skip "/bin/busybox is missing (tools/deps.sh installs busybox-static)"
	# a dynamically linked busybox cannot run alone in the image
	ldd /bin/busybox >/dev/null 2>&1 &&
		skip "/bin/busybox is dynamically linked: install busybox-static"
	command -v ip >/dev/null ||
		skip "ip is missing (tools/deps.sh installs iproute2)"
	mkdir -p "$DOCKER_CONFIG"
	trap 'dk_cleanup; cleanup' EXIT
	# A bridge of our own: with --bridge=none dockerd deletes docker0, the
	# host's real Docker's bridge. Containers run with --network none; the
	# bridge only has to exist, with an address.
	ip link add "$DK_BRIDGE" type bridge ||
		skip "cannot make a bridge for the private dockerd"
	DK_BRIDGE_MADE=1
	ip addr add "10.254.$(($$ % 200 + 20)).1/24" dev "$DK_BRIDGE" ||
		skip "cannot give the private dockerd's bridge an address"
	trap 'exit 130' INT TERM
	dk_start || skip "dockerd cannot run on this machine: $DK_WHY"
	echo "# private dockerd $(dk version -f '{{.Server.Version}}' 2>/dev/null) at $DK_SOCK, cgroup parent $DK_PARENT"
	dk_image || { echo "docker import failed"; exit 1; }
}

# The mount points of the cgroup hierarchies: "TYPE OPTIONS MOUNTPOINT".
dk_cgroup_mounts() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i+1) ~ /^cgroup2?$/) print $(i+1), $(i+3), $5 }' \
		/proc/self/mountinfo
}

# dk_cgroup_dir NAME CONTROLLER: from the container's /proc/PID/cgroup.
dk_cgroup_dir() {
	local pid
	pid=$(dk inspect -f '{{.State.Pid}}' "$1") || return 1
	[ "$pid" -gt 0 ] 2>/dev/null || return 1
	dk_cgroup_mounts >"$TMP/cgroup.mounts"
	awk -v c="$2" '
		NR == FNR {
			if ($1 == "cgroup2") v2 = $3
			else { k = split($2, o, ","); for (j = 1; j <= k; j++) v1[o[j]] = $3 }
			next
		}
		{ split($0, f, ":") }
		f[1] == "0" && f[2] == "" { u = f[3] }
		f[2] != "" { k = split(f[2], o, ","); for (j = 1; j <= k; j++) if (o[j] == c && (c in v1)) d = v1[c] f[3] }
		END { if (d == "" && v2 != "" && u != "") d = v2 u; if (d == "") exit 1; print d }
	' "$TMP/cgroup.mounts" "/proc/$pid/cgroup"
}

# ---- reading hostwatch (HW_URL from start_hostwatch) -------------------------
# scrape: into $TMP/m; val SERIES: its value there
scrape() { curl -fsS -o "$TMP/m" "$HW_URL/metrics"; }
val() { metric_value "$TMP/m" "$1"; }
# The labels of a container's samples: the two default keys (values "" when
# it lacks them), then image and name; container_* add cpu and id between.
keys() { printf 'container_label_com_docker_compose_project="%s",container_label_com_docker_compose_service="%s"' "${1:-}" "${2:-}"; }
L() { local n=$1; shift; printf '%s,image="%s",name="%s"' "$(keys "$@")" "$DK_IMAGE" "$n"; }
# the cgroup path Docker gave the container, as /proc/PID/cgroup says: the
# memory hierarchy's on v1, else the unified one
cid() {
	local pid
	pid=$(dk inspect -f '{{.State.Pid}}' "$1")
	awk -F: '$2 ~ /(^|,)memory(,|$)/ { m = $3 } $1 == "0" && $2 == "" { u = $3 }
		END { print (m != "" ? m : u) }' "/proc/$pid/cgroup"
}
# LI NAME [PROJECT SERVICE] [cpu]: container_* labels
LI() {
	local n=$1 p=${2:-} s=${3:-} cpu=${4:-}
	printf '%s,%sid="%s",image="%s",name="%s"' "$(keys "$p" "$s")" \
		"${cpu:+cpu=\"total\",}" "$(cid "$n")" "$DK_IMAGE" "$n"
}
# poll DESCRIPTION EXPECTED SECONDS SERIES: scrape until SERIES has the
# value (bounded), then assert it.
poll() {
	local got i
	for ((i = 0; i < $3 * 10; i++)); do
		scrape && got=$(val "$4")
		[ "$got" = "$2" ] && break
		sleep 0.1
	done
	expect_eq "$1" "$2" "$got"
}
# dk_wait NAME TEMPLATE VALUE SECONDS: until docker inspect says so
dk_wait() {
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(dk inspect -f "$2" "$1" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.1
	done
	echo "# $1: $2 is [$(dk inspect -f "$2" "$1" 2>&1)], not [$3] after $4 s"
	return 1
}
num_in() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x != "" && x + 0 >= lo + 0 && x + 0 <= hi + 0) }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (a < b ? a : b) }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (a > b ? a : b) }'; }

dk_cleanup() {
	set +e
	# a signal now (make check's, a timeout's) must not cut the cleanup short
	trap '' INT TERM
	# hostwatch first: no inspection of containers being removed (dockerd
	# 20.10 can wedge there); lib.sh's cleanup kills them again, harmlessly
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	if [ -n "$DK_PID" ] && dk_alive "$DK_PID"; then
		local ids
		ids=$(timeout 20 docker -H "unix://$DK_SOCK" ps -aq 2>/dev/null)
		[ -n "$ids" ] && timeout 60 docker -H "unix://$DK_SOCK" rm -f $ids >/dev/null 2>&1
		dk_stop
	fi
	# what a SIGKILLed dockerd leaves: its containerd, the shims (they name
	# our containerd's socket), the containers' processes, mounts
	if [ -r "$DK_EXEC/containerd/containerd.pid" ]; then
		p=$(cat "$DK_EXEC/containerd/containerd.pid")
		[ -n "$p" ] && dk_alive "$p" && grep -qF "$DK_EXEC" "/proc/$p/cmdline" 2>/dev/null &&
			kill -KILL "$p"
	fi
	# a shim killed leaves its socket /run/containerd/s/HASH, HASH the
	# sha256 of ADDRESS/NAMESPACE/ID (containerd 1.6 shim.SocketAddress)
	local sock=$DK_EXEC/containerd/containerd.sock id h
	for p in /proc/[0-9]*; do
		grep -qF -- "$sock" "$p/cmdline" 2>/dev/null || continue
		id=$(tr '\0' '\n' <"$p/cmdline" | sed -n '/^-id$/{n;p;}')
		kill -KILL "${p#/proc/}" 2>/dev/null
		[ -n "$id" ] || continue
		h=$(printf '%s' "$sock/$DK_NS/$id" | sha256sum | cut -d' ' -f1)
		rm -f "/run/containerd/s/$h"
	done
	local m d
	for m in $(dk_cgroup_mounts | awk '{ print $3 }' | sort -u); do
		[ -d "$m$DK_PARENT" ] || continue
		while read -r d; do
			[ -f "$d/cgroup.procs" ] && for p in $(cat "$d/cgroup.procs"); do kill -KILL "$p" 2>/dev/null; done
		done < <(find "$m$DK_PARENT" -type d)
	done
	sleep 0.1
	for m in $(dk_cgroup_mounts | awk '{ print $3 }' | sort -u); do
		[ -d "$m$DK_PARENT" ] && find "$m$DK_PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	awk -v t="$TMP/" 'substr($5, 1, length(t)) == t { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r d; do umount -l "$d" 2>/dev/null; done
	[ -n "${DK_BRIDGE_MADE:-}" ] && ip link del "$DK_BRIDGE" 2>/dev/null
	return 0
}
