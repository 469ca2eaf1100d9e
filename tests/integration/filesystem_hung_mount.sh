#!/bin/bash
# The filesystem collector must not block on a hung mount: a FUSE mount
# whose daemon is SIGSTOPped makes statfs(2) hang, like a dead NFS server.
# fs_hung_driver runs the collector against it with a 0.5 s timeout and
# checks the timing and the series (see that file). Needs root, /dev/fuse
# and bindfs (installed with apt-get when missing); skips (77) otherwise.
set -u

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "not root"
[ -c /dev/fuse ] || skip "no /dev/fuse"
if ! command -v bindfs >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q bindfs fuse3 \
		>/dev/null 2>&1 || skip "bindfs is not installed and apt-get failed"
	command -v bindfs >/dev/null 2>&1 || skip "bindfs not available"
fi
driver="${top_builddir:-.}/tests/integration/fs_hung_driver"
[ -x "$driver" ] || { echo "FAIL: $driver not built"; exit 1; }

work=$(mktemp -d /tmp/hw-hung.XXXXXX)
fuse_pid=
cleanup() {
	# Wake the daemon before anything touches the mount, or we hang too.
	if [ -n "$fuse_pid" ]; then
		kill -CONT "$fuse_pid" 2>/dev/null
	fi
	if mountpoint -q "$work/root/hung" 2>/dev/null; then
		umount -l "$work/root/hung" 2>/dev/null ||
			fusermount3 -uz "$work/root/hung" 2>/dev/null
	fi
	if [ -n "$fuse_pid" ]; then
		kill "$fuse_pid" 2>/dev/null
		wait "$fuse_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$work/proc/1" "$work/root/hung" "$work/root/ok" "$work/src"
echo data >"$work/src/file"
# The collector sees only what proc/1/mounts lists; its mount points are
# relative to the rootfs $work/root.
cat >"$work/proc/1/mounts" <<EOM
okfs /ok tmpfs rw,relatime 0 0
hungfs /hung fuse.bindfs rw,nosuid,nodev,relatime 0 0
proc /proc proc rw 0 0
EOM

# -f: stay in the foreground, so $! is the daemon.
bindfs -f "$work/src" "$work/root/hung" 2>"$work/bindfs.log" &
fuse_pid=$!
for _ in $(seq 50); do
	mountpoint -q "$work/root/hung" && break
	sleep 0.1
done
mountpoint -q "$work/root/hung" ||
	skip "bindfs did not mount: $(cat "$work/bindfs.log")"
kill -STOP "$fuse_pid"

# The driver must finish well before this even if the collector hangs.
timeout 60 "$driver" "$work" /hung /ok "$fuse_pid"
rc=$?
[ $rc = 124 ] && echo "FAIL: the driver hung"
exit $rc
