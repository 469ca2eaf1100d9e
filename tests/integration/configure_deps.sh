#!/bin/bash
# A missing dependency stops configure with a message naming the Debian
# package to install: each required .pc file is hidden in turn from a
# pkg-config search path that holds all the others.
. "$top_srcdir/tests/integration/lib.sh"

PCDIR="$TMP/pc"
mkdir -p "$PCDIR"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	[ -d "$d" ] && for f in "$d"/*.pc; do [ -e "$f" ] && ln -sf "$f" "$PCDIR/"; done
done

for pair in libmicrohttpd:libmicrohttpd-dev libsystemd:libsystemd-dev inih:libinih-dev \
	zlib:zlib1g-dev libcurl:libcurl4-openssl-dev jansson:libjansson-dev libcgroup:libcgroup-dev; do
	pc=${pair%%:*} pkg=${pair#*:}
	[ -e "$PCDIR/$pc.pc" ] || { not_ok "$pc.pc is not installed here"; continue; }
	mv "$PCDIR/$pc.pc" "$TMP/hidden.pc"
	mkdir -p "$TMP/build-$pc"
	(cd "$TMP/build-$pc" && PKG_CONFIG_LIBDIR="$PCDIR" PKG_CONFIG_PATH= "$top_srcdir/configure" -q >"$TMP/out-$pc" 2>&1)
	rc=$?
	mv "$TMP/hidden.pc" "$PCDIR/$pc.pc"
	check "without $pc.pc configure fails" test "$rc" -ne 0
	check "without $pc.pc configure names the Debian package $pkg" \
		grep -q "install the Debian package $pkg" "$TMP/out-$pc"
done

# libdeflate is optional: without it configure goes on with zlib, says so,
# and --with-libdeflate makes it required.
if [ -e "$PCDIR/libdeflate.pc" ]; then
	mv "$PCDIR/libdeflate.pc" "$TMP/hidden.pc"
	mkdir -p "$TMP/build-nold" "$TMP/build-ldyes"
	(cd "$TMP/build-nold" && PKG_CONFIG_LIBDIR="$PCDIR" PKG_CONFIG_PATH= "$top_srcdir/configure" -q >"$TMP/out-nold" 2>&1)
	rc=$?
	(cd "$TMP/build-ldyes" && PKG_CONFIG_LIBDIR="$PCDIR" PKG_CONFIG_PATH= "$top_srcdir/configure" -q --with-libdeflate >"$TMP/out-ldyes" 2>&1)
	rc_yes=$?
	mv "$TMP/hidden.pc" "$PCDIR/libdeflate.pc"
	expect_eq "without libdeflate.pc configure still succeeds" 0 "$rc"
	check "... and warns that gzip uses zlib" grep -q "gzip uses zlib" "$TMP/out-nold"
	expect_eq "... and config.h selects zlib" "#define HAVE_LIBDEFLATE 0" \
		"$(grep 'HAVE_LIBDEFLATE' "$TMP/build-nold/config.h")"
	check "--with-libdeflate without it fails" test "$rc_yes" -ne 0
	check "... naming the Debian package libdeflate-dev" \
		grep -q "install the Debian package libdeflate-dev" "$TMP/out-ldyes"
else
	not_ok "libdeflate.pc is not installed here"
fi
finish
