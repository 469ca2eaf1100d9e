# A real systemd for a test (sourced after lib.sh and docker_lib.sh, by bash,
# as root): a Debian 12 root made with debootstrap from Debian's archive,
# imported into the test's private dockerd, booted with /lib/systemd/systemd
# as PID 1 in a container.
#
# Making the root takes minutes, so its tarball is cached outside the tree
# ($HW_ROOT_CACHE, default /var/cache/hostwatch-tests), named by a hash of
# what goes in it: a later run, CI's included, imports it in seconds. Two
# tests making it at once take turns (flock).
#
#   sd_setup           dk_setup, then the root image; skips (77) with the
#                      reason when debootstrap cannot run here
#   sd_boot NAME       boot a container from it (no network) and wait until
#                      systemd has finished starting up
#   sd NAME ARGS...    a command inside (docker exec)
#   sd_wait NAME SECONDS CMD...   run CMD inside until it succeeds (bounded)
#
# The container's options are those that work on this kind of machine
# (--privileged does not): all capabilities but SYS_RESOURCE, no seccomp or
# AppArmor profile, tmpfs on /run and /run/lock, the host's cgroup tree read
# only, and SIGRTMIN+3 (systemd's "halt") to stop it.

SD_SUITE=bookworm
SD_MIRROR=${HW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What the root holds beyond minbase: systemd and D-Bus (the systemd
# collector's bus), the runtime libraries hostwatch links and dlopen()s (so
# that `apt-get install ./hostwatch.deb` needs no network), curl to scrape
# from inside, and Debian's node_exporter as the reference for node_systemd_*.
SD_PACKAGES="systemd systemd-sysv dbus libpam-systemd procps curl ca-certificates
libmicrohttpd12 libinih1 zlib1g libdeflate0 libjansson4 libyaml-0-2
libcurl3-gnutls libcurl4 libcgroup2 libsystemd0 prometheus-node-exporter"
SD_CACHE=${HW_ROOT_CACHE:-/var/cache/hostwatch-tests}

# The root's tarball, made once per content: prints its path.
sd_root_tarball() {
	local key tar tmp
	key=$(printf '%s\n' "$SD_SUITE" "$SD_MIRROR" $SD_PACKAGES "v1" | sha256sum | cut -c1-16)
	tar=$SD_CACHE/debian-$SD_SUITE-systemd-$key.tar
	mkdir -p "$SD_CACHE" || return 1
	(
		flock 9
		[ -s "$tar" ] && exit 0
		echo "# making $tar with debootstrap (once; cached)" >&2
		tmp=$(mktemp -d "$SD_CACHE/root.XXXXXX") || exit 1
		# mktemp makes it 0700: the root's / must be 0755
		chmod 755 "$tmp"
		if ! debootstrap --variant=minbase \
			--include="$(echo $SD_PACKAGES | tr ' ' ,)" \
			"$SD_SUITE" "$tmp" "$SD_MIRROR" >"$SD_CACHE/debootstrap.log" 2>&1; then
			tail -n 20 "$SD_CACHE/debootstrap.log" >&2
			rm -rf "$tmp"
			exit 1
		fi
		# The reference exporter runs only when a test starts it, on a port
		# of its own: :9100 is hostwatch's.
		rm -f "$tmp"/etc/systemd/system/multi-user.target.wants/prometheus-node-exporter*.service \
			"$tmp"/etc/systemd/system/timers.target.wants/prometheus-node-exporter*
		# Let systemd make a machine ID at boot, as on a first boot.
		: >"$tmp/etc/machine-id"
		rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_*
		tar -C "$tmp" --numeric-owner -cf "$tar.part" . &&
			mv "$tar.part" "$tar"
		rm -rf "$tmp"
	) 9>"$SD_CACHE/.lock" || return 1
	echo "$tar"
}

SD_IMAGE=hw-debian-systemd:test

sd_setup() {
	command -v debootstrap >/dev/null ||
		skip "debootstrap is not installed (tools/deps.sh installs it)"
	dk_setup
	local tar
	tar=$(sd_root_tarball) || { echo "cannot make the Debian root (debootstrap, above)"; exit 1; }
	dk import -c 'CMD ["/lib/systemd/systemd"]' "$tar" "$SD_IMAGE" >/dev/null ||
		{ echo "docker import of $tar failed"; exit 1; }
}

sd() { local n=$1; shift; dk exec "$n" "$@"; }

# sd_wait NAME SECONDS CMD...: 0 once CMD succeeds inside, 1 after SECONDS.
sd_wait() {
	local n=$1 s=$2 i
	shift 2
	for i in $(seq $((s * 5))); do
		sd "$n" "$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

sd_boot() {
	local n=$1
	dk run -d --name "$n" --network none \
		--cap-add ALL --cap-drop SYS_RESOURCE \
		--security-opt seccomp=unconfined --security-opt apparmor=unconfined \
		--tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
		-v /sys/fs/cgroup:/sys/fs/cgroup:ro \
		--stop-signal SIGRTMIN+3 "$SD_IMAGE" >/dev/null || return 1
	# "running" or "degraded" (a unit that cannot run in a container,
	# which is not ours) once start-up is over.
	local i st
	for i in $(seq 300); do
		st=$(sd "$n" systemctl is-system-running 2>/dev/null)
		case $st in running | degraded) return 0 ;; esac
		sleep 0.2
	done
	echo "# $n: systemd did not finish starting within 60 s (state: ${st:-none})"
	sd "$n" systemctl --failed --no-pager 2>&1 | sed 's/^/# /'
	dk logs "$n" 2>&1 | tail -n 30 | sed 's/^/# /'
	return 1
}
