#!/bin/sh
# Build the hostwatch .deb: packaging/build-deb.sh SRCDIR OUTDIR
#
# SRCDIR is a clean clone or an unpacked `make dist` tree (configured or
# not); it is never written to. The tree is copied without .git, build
# directories and build products, packaging/debian becomes debian/, and
# `dpkg-buildpackage -us -uc -b` builds it offline (dh_autoreconf
# regenerates configure). hostwatch_*.deb, hostwatch-dbgsym_*.deb, .changes and
# .buildinfo land in OUTDIR. DEB_BUILD_OPTIONS is honoured; it defaults to
# parallel=<cores>. Needs the Build-Depends of packaging/debian/control
# (dpkg-checkbuilddeps says which are missing).
set -eu

[ $# -eq 2 ] || { echo "usage: $0 SRCDIR OUTDIR" >&2; exit 2; }
src=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
[ -f "$src/configure.ac" ] && [ -d "$src/packaging/debian" ] ||
	{ echo "$0: $src is not a hostwatch source tree" >&2; exit 2; }

# The upstream version as debian/changelog has it, for the directory name.
version=$(dpkg-parsechangelog -l "$src/packaging/debian/changelog" -S Version)
upstream=${version%-*}
work=$(mktemp -d "${TMPDIR:-/tmp}/hostwatch-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/hostwatch-$upstream
mkdir "$tree"

# Out-of-tree build directories inside SRCDIR (build/, build-asan/...)
# are recognised by their config.status; an in-tree configure's products
# are left out by name so dh_auto_configure starts from scratch.
set --
for d in $(cd "$src" && find . -mindepth 2 -name config.status -printf '%h\n'); do
	set -- "$@" "--exclude=$d"
done
tar -C "$src" --anchored \
	--exclude=./.git --exclude=./debian --exclude=./autom4te.cache \
	--exclude=./config.status --exclude=./config.log --exclude=./config.h \
	--exclude=./stamp-h1 --exclude=./Makefile --exclude=./hostwatch \
	--exclude='./hostwatch-*.tar.*' --exclude='./*.deb' "$@" \
	--no-anchored --exclude='*.o' --exclude='*.a' --exclude=.deps \
	--exclude=.dirstamp --exclude='*.log' --exclude='*.trs' \
	-cf - . | tar -C "$tree" -xf -
cp -R "$src/packaging/debian" "$tree/debian"
# A read-only SRCDIR (make distcheck's) must not make the copy read-only.
chmod -R u+w "$tree"

# parallel= only: the caller adds nocheck when it wants it (dh_auto_test
# is a no-op anyway, see debian/rules).
: "${DEB_BUILD_OPTIONS:=parallel=$(nproc)}"
export DEB_BUILD_OPTIONS
(cd "$tree" && dpkg-buildpackage -us -uc -b)

for f in "$work"/hostwatch*_"$version"_*; do
	[ -e "$f" ] || continue
	mv -f "$f" "$out/"
done
ls "$out"/hostwatch_"$version"_*.deb >/dev/null
