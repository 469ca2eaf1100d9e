#!/bin/sh
# Install what hostwatch needs to build, run and test on Debian 12 (as root).
# Idempotent: packages already present are left alone.
set -eu
BUILD="build-essential autoconf automake autoconf-archive pkg-config
libmicrohttpd-dev libsystemd-dev libinih-dev zlib1g-dev libdeflate-dev libcgroup-dev
libcurl4-openssl-dev libjansson-dev libyaml-dev libgnutls28-dev libcrypt-dev"
TEST="check valgrind curl python3 python3-prometheus-client
prometheus prometheus-node-exporter systemd bindfs fuse3 procps
docker.io busybox-static iproute2 podman libcurl3-gnutls
prometheus-alertmanager python3-aiosmtpd openssl
dbus debootstrap debhelper dpkg-dev lintian rpm mandoc strace bsdextrautils
groff-base man-db apache2-utils wrk faketime clang libclang-rt-14-dev"
missing=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	# apt-cache needs fresh lists on a new machine.
	[ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock | head -1)" ] || apt-get update
	apt-get install -y --no-install-recommends $missing || { apt-get update && apt-get install -y --no-install-recommends $missing; }
fi
# Debian starts node_exporter as a service when installed where systemd
# runs; the tests start their own on free ports, so that one is harmless.
# Likewise docker.io's dockerd and containerd: the Docker tests start a
# private dockerd of their own (own socket, data, exec root, containerd
# namespace and cgroup parent: tests/integration/docker_lib.sh), so none
# has to run, and one that runs is left alone. busybox-static is the whole
# of their image (made with `docker import`: no registry is needed).
# podman: test_docker_api runs the client against its Docker-compatible
# service too. libcurl3-gnutls: the libcurl the Docker client loads first.
# Issue 7: dbus (dbus-daemon for the systemd collector's test, a real
# `systemd --user` on a bus of its own); debootstrap (the Debian 12 root the
# end-to-end test boots with systemd as PID 1, made once and cached);
# debhelper, dpkg-dev, lintian (the .deb and its check), rpm (rpmbuild
# --nodeps of the spec); mandoc, groff-base, man-db, bsdextrautils (col)
# to lint and render the man pages; strace (the unit's system call filter
# is checked against what the daemon really calls).
# Issue 8: libgnutls28-dev (the certificate callback and client-certificate
# checks call GnuTLS directly) and libcrypt-dev (libxcrypt's crypt_rn for
# bcrypt); apache2-utils (htpasswd -B makes the tests' bcrypt hashes, as an
# operator would).
# wrk (the 64-connection load test), faketime (the daemon's wall clock made
# to jump, LD_PRELOAD), clang and libclang-rt-14-dev (libFuzzer's runtime:
# tools/fuzz.sh).
