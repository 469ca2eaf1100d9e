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
	zlib:zlib1g-dev libcurl:libcurl4-openssl-dev jansson:libjansson-dev; do
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
finish
