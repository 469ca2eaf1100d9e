#!/bin/bash
# The binary's own exits: --help, --version, --check-config, and exit code 2
# with FILE:LINE for bad configuration and bad flags.
. "$top_srcdir/tests/integration/lib.sh"

: >"$TMP/empty.conf"
run() { "$HOSTWATCH" "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }

expect_eq "--help exits 0" 0 "$(run --help)"
check "--help lists --web.listen-address" grep -q -- '--web.listen-address' "$TMP/out"
check "--help lists --collector.disable-defaults" grep -q -- 'collector.disable-defaults' "$TMP/out"
expect_eq "--version exits 0" 0 "$(run --version)"
check "--version names the version" grep -q '^hostwatch, version ' "$TMP/out"
# The gzip engine configure chose: libdeflate when its .pc was found.
if grep -q 'HAVE_LIBDEFLATE 1' "$top_builddir/config.h"; then want=libdeflate; else want=zlib; fi
check "--version names the gzip engine" grep -qx "  gzip: $want" "$TMP/out"
expect_eq "--check-config on the shipped file exits 0" 0 "$(run --check-config --config.file="$top_srcdir/etc/hostwatch.conf")"

bad() { # description, config text, expected line, expected message regex
	printf '%b' "$2" >"$TMP/bad.conf"
	expect_eq "$1: exit code 2" 2 "$(run --config.file="$TMP/bad.conf")"
	check "$1: message names $TMP/bad.conf:$3" grep -qE "^$TMP/bad.conf:$3: .*$4" "$TMP/err"
	expect_eq "$1: --check-config exits 2 too" 2 "$(run --check-config --config.file="$TMP/bad.conf")"
}
bad "unknown section" '[server]\nlisten = :9100\n[nosuch]\nx = 1\n' 3 'nosuch'
bad "unknown key" '[server]\nlisten = :9100\nbogus = 1\n' 3 'bogus'
bad "bad number" '[server]\nmax_connections = lots\n' 2 'max_connections'
bad "bad boolean" '[collectors]\ncpu = maybe\n' 2 'cpu'
bad "bad regex" '[filesystem]\nmount_points_exclude = ^(unclosed\n' 2 'mount_points_exclude'
bad "bad log level" '[log]\nlevel = loud\n' 2 'level'
bad "unknown collector" '[collectors]\nnosuch = true\n' 2 'nosuch'
long=$(printf 'x%.0s' $(seq 300))
bad "over-long line" "[paths]\nprocfs = /proc\nsysfs = /$long\n" 3 'long'
bad "syntax error" '[server\nlisten = :9100\n' 1 ''

expect_eq "missing named config file: exit 2" 2 "$(run --config.file="$TMP/does-not-exist.conf")"
check "missing file is named" grep -q "does-not-exist.conf" "$TMP/err"
expect_eq "unknown flag: exit 2" 2 "$(run --no-such-flag)"
check "unknown flag is named" grep -q -- "--no-such-flag" "$TMP/err"
expect_eq "bad flag value: exit 2" 2 "$(run --web.max-connections=abc)"
expect_eq "unknown collector flag: exit 2" 2 "$(run --collector.nosuch)"
expect_eq "unusable listen address: exit 1" 1 "$(run --config.file="$TMP/empty.conf" --web.listen-address=192.0.2.1:0)"
finish
