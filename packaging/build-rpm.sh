#!/bin/sh
# Build the hostwatch RPMs: packaging/build-rpm.sh SRC OUTDIR
#
# SRC is a `make dist` tarball (hostwatch-VERSION.tar.gz) or a source tree,
# from which a tarball is made first (configure and `make dist` in a
# private build directory; the tree is not written to). rpmbuild -ba
# builds packaging/rpm/hostwatch.spec from it in a private _topdir; the
# binary and source RPMs land in OUTDIR.
#
# On a system without systemd-rpm-macros (Debian), rpmbuild runs with
# --nodeps and packaging/rpm/macros.systemd-debian, a test-only stand-in
# for those macros: the result checks the spec, it is not for RHEL.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 SRC OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/hostwatch-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SOURCES" "$work/build"

if [ -d "$1" ]; then
	src=$(cd "$1" && pwd)
	(cd "$work/build" && "$src/configure" -q >configure.out && make -s dist >/dev/null) ||
		{ echo "$0: make dist failed (see above)" >&2; exit 1; }
	tarball=$(ls "$work"/build/hostwatch-*.tar.gz)
else
	tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fi
cp "$tarball" "$work/SOURCES/"
# Source1: the sysusers.d file, from the tarball itself.
top=$(basename "$tarball" .tar.gz)
tar -xzf "$tarball" -C "$work" "$top/systemd/hostwatch.sysusers"
cp "$work/$top/systemd/hostwatch.sysusers" "$work/SOURCES/"

# The spec's Version must be the tarball's.
spec_version=$(sed -n 's/^Version:[[:space:]]*//p' "$here/rpm/hostwatch.spec")
[ "$top" = "hostwatch-$spec_version" ] ||
	{ echo "$0: $top does not match the spec's Version $spec_version" >&2; exit 1; }

set -- --define "_topdir $work" --define "_hostwatch_rpmdir $here/rpm"
if [ -z "$(rpm --eval '%{?_unitdir}')" ]; then
	set -- "$@" --nodeps --load "$here/rpm/macros.systemd-debian"
	# Debian's rpm has no find-debuginfo: no -debuginfo package here.
	command -v find-debuginfo >/dev/null || set -- "$@" --define "debug_package %{nil}"
fi
rpmbuild "$@" -ba "$here/rpm/hostwatch.spec"

find "$work/RPMS" "$work/SRPMS" -name '*.rpm' -exec mv -f {} "$out/" \;
ls "$out"/hostwatch-"$spec_version"-*.rpm >/dev/null
