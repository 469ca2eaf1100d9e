#!/bin/bash
# The Debian package: packaging/build-deb.sh builds it (dpkg-buildpackage
# -us -uc -b, offline) from the source tree and from a `make dist` tree;
# the .deb holds exactly the install layout, its control fields, conffiles
# and maintainer scripts are what Debian 12 needs (user by systemd-sysusers,
# the service enabled and started, purge removes the state), the sysusers
# and tmpfiles files work with the real systemd tools, and lintian reports
# no error or warning that packaging/debian/hostwatch.lintian-overrides
# does not explain.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/package_lib.sh"
once_only
need_tools dpkg-buildpackage dh dpkg-deb lintian apt-get systemd-sysusers systemd-tmpfiles objdump ldd

export TMPDIR=$TMP
export DEB_BUILD_OPTIONS="nocheck parallel=2"
upstream=$(sed -n 's/^AC_INIT(\[hostwatch\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
version=$(dpkg-parsechangelog -l "$top_srcdir/packaging/debian/changelog" -S Version)
expect_eq "debian/changelog's upstream version is configure.ac's" "$upstream" "${version%-*}"
arch=$(dpkg --print-architecture)

# -- Build from the source tree (as a clean clone would have it). ---------
start=$(date +%s)
if "$top_srcdir/packaging/build-deb.sh" "$top_srcdir" "$TMP/out" >"$TMP/build.log" 2>&1; then
	ok "build-deb.sh builds from the source tree in $(elapsed "$start") s"
else
	not_ok "build-deb.sh from the source tree"; tail -n 40 "$TMP/build.log"; finish
fi
build_secs=$(elapsed "$start")
check "the build took under 4 minutes (nocheck, parallel=2): ${build_secs}s" test "$build_secs" -lt 240
deb=$TMP/out/hostwatch_${version}_$arch.deb
changes=$TMP/out/hostwatch_${version}_$arch.changes
for f in "$deb" "$changes" "$TMP/out/hostwatch_${version}_$arch.buildinfo"; do
	check "OUTDIR has $(basename "$f")" test -s "$f"
done
check "the build ran dh_installsysusers" grep -q '^   dh_installsysusers' "$TMP/build.log"

# -- Contents: exactly the layout, all root-owned. -------------------------
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' | sort; }
sort >"$TMP/want" <<EOF
/etc/default/hostwatch
/etc/hostwatch/default.rules.yml
/etc/hostwatch/hostwatch.conf
/lib/systemd/system/hostwatch.service
/lib/systemd/system/hostwatch.socket
/usr/lib/systemd/catalog/hostwatch.catalog
/usr/lib/sysusers.d/hostwatch.conf
/usr/lib/tmpfiles.d/hostwatch.conf
/usr/sbin/hostwatch
/usr/share/doc/hostwatch/README.md.gz
/usr/share/doc/hostwatch/changelog.Debian.gz
/usr/share/doc/hostwatch/copyright
/usr/share/doc/hostwatch/examples/alertmanager.yml
/usr/share/doc/hostwatch/examples/grafana-dashboard.json
/usr/share/doc/hostwatch/examples/hostwatch.rules.yml
/usr/share/doc/hostwatch/examples/prometheus.yml
/usr/share/lintian/overrides/hostwatch
/usr/share/man/man5/hostwatch.conf.5.gz
/usr/share/man/man8/hostwatch.8.gz
EOF
files "$deb" >"$TMP/have"
if diff -u "$TMP/want" "$TMP/have" >"$TMP/files.diff"; then
	ok "dpkg -c lists exactly the layout's $(wc -l <"$TMP/want") files"
else
	not_ok "dpkg -c differs from the layout (- missing, + extra):"; sed -n '3,$p' "$TMP/files.diff"
fi
expect_eq "every entry is owned by root:root (Rules-Requires-Root: no, fakeroot-free)" "" \
	"$(dpkg-deb -c "$deb" | awk '$2 != "root/root"')"
expect_eq "/usr/sbin/hostwatch is mode 0755" "-rwxr-xr-x" \
	"$(dpkg-deb -c "$deb" | awk '$6 == "./usr/sbin/hostwatch" { print $1 }')"

# -- Control fields. -------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
expect_eq "Package" hostwatch "$(field Package)"
expect_eq "Version (debian/changelog)" "$version" "$(field Version)"
expect_eq "Architecture" "$arch" "$(field Architecture)"
expect_eq "Maintainer" "hostwatch developers <hostwatch@example.org>" "$(field Maintainer)"
expect_eq "Section" net "$(field Section)"
expect_eq "Priority" optional "$(field Priority)"
expect_eq "Recommends: what hostwatch dlopen()s" \
	"libcgroup2, libcurl3-gnutls | libcurl4, libsystemd0" "$(field Recommends)"
depends=$(field Depends)
check "Depends: the sysusers provider dh_installsysusers adds" \
	grep -qF "systemd | systemd-standalone-sysusers | systemd-sysusers" <<<"$depends"
# ${shlibs:Depends}: every library the binary links, by the package that
# holds the file the dynamic linker picks here.
mkdir -p "$TMP/root"
dpkg-deb -x "$deb" "$TMP/root"
for lib in $(objdump -p "$TMP/root/usr/sbin/hostwatch" | awk '$1 == "NEEDED" { print $2 }'); do
	path=$(ldd "$TMP/root/usr/sbin/hostwatch" | awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }')
	pkg=$(dpkg -S "$path" 2>/dev/null | cut -d: -f1)
	[ -n "$pkg" ] || pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | cut -d: -f1)
	check "Depends names $pkg, which provides the linked $lib" \
		grep -qE "(^|, |\| )$pkg( |,|$)" <<<"$depends"
done
check "Depends does not name libcurl (dlopen()ed, a Recommends)" \
	test -z "$(grep -o 'libcurl[^ ,]*' <<<"$depends")"
# Installable on a bare Debian 12: apt resolves every dependency from the
# archive (simulated: nothing is installed).
if apt-get install -s -y "$deb" >"$TMP/apt-s.out" 2>&1; then
	ok "apt-get install -s resolves every Depends and Recommends from the archive"
else
	not_ok "apt-get install -s fails:"; tail -n 15 "$TMP/apt-s.out"
fi

# -- Conffiles: everything under /etc, nothing else. -----------------------
mkdir -p "$TMP/control"
dpkg-deb -e "$deb" "$TMP/control"
expect_eq "conffiles" "/etc/default/hostwatch
/etc/hostwatch/default.rules.yml
/etc/hostwatch/hostwatch.conf" "$(sort "$TMP/control/conffiles")"

# -- Maintainer scripts. ----------------------------------------------------
for s in preinst postinst prerm postrm; do
	[ -e "$TMP/control/$s" ] && check "$s is valid sh" sh -n "$TMP/control/$s"
done
has() { grep -qF -- "$2" "$TMP/control/$1"; }
check "postinst creates the user: systemd-sysusers hostwatch.conf" \
	grep -qE '^ *systemd-sysusers .*hostwatch\.conf$' "$TMP/control/postinst"
check "postinst creates /var/lib/hostwatch: systemd-tmpfiles --create hostwatch.conf" \
	grep -qE 'systemd-tmpfiles .*--create hostwatch\.conf' "$TMP/control/postinst"
check "postinst enables hostwatch.service" has postinst "deb-systemd-helper enable 'hostwatch.service'"
check "postinst starts (restarts on upgrade) hostwatch.service" \
	has postinst "deb-systemd-invoke \$_dh_action 'hostwatch.service'"
# The user must exist before the service starts as it.
expect_eq "postinst runs systemd-sysusers before it starts the service" 1 \
	"$(awk '/systemd-sysusers/ && !u { u = NR } /deb-systemd-invoke/ && !s { s = NR } END { print (u && s && u < s) }' "$TMP/control/postinst")"
# The socket: enabled only if the admin enabled it (was-enabled inside
# debian-installed), never on a fresh install.
check "postinst enables hostwatch.socket only when it was enabled before" \
	has postinst "deb-systemd-helper debian-installed 'hostwatch.socket'"
check "prerm stops hostwatch.service on remove" has prerm "deb-systemd-invoke stop 'hostwatch.service'"
check "prerm stops hostwatch.socket on remove" has prerm "deb-systemd-invoke stop 'hostwatch.socket'"
check "postrm purge removes /var/lib/hostwatch" \
	grep -qzE 'if \[ "\$1" = "purge" \]; then[[:space:]]+rm -rf /var/lib/hostwatch' "$TMP/control/postrm"
check "postrm purge forgets the service's enablement" has postrm "deb-systemd-helper purge 'hostwatch.service'"
check "postrm purge forgets the socket's enablement" has postrm "deb-systemd-helper purge 'hostwatch.socket'"

# -- The shipped sysusers.d and tmpfiles.d files, applied by the real
# tools to the unpacked tree as postinst applies them to /. --------------
mkdir -p "$TMP/root/etc"
: >"$TMP/root/etc/passwd"; : >"$TMP/root/etc/group"
if systemd-sysusers --root="$TMP/root" hostwatch.conf >"$TMP/sysusers.out" 2>&1; then
	ok "systemd-sysusers applies the packaged hostwatch.conf"
else
	not_ok "systemd-sysusers:"; cat "$TMP/sysusers.out"
fi
pw=$(grep '^hostwatch:' "$TMP/root/etc/passwd")
check "it creates the system user hostwatch ($pw)" test -n "$pw"
expect_eq "its home is /var/lib/hostwatch" /var/lib/hostwatch "$(cut -d: -f6 <<<"$pw")"
check "it is a system uid (< 1000)" test "$(cut -d: -f3 <<<"$pw")" -lt 1000
check "and the group hostwatch" grep -q '^hostwatch:' "$TMP/root/etc/group"
if systemd-tmpfiles --root="$TMP/root" --create hostwatch.conf >"$TMP/tmpfiles.out" 2>&1; then
	expect_eq "systemd-tmpfiles creates /var/lib/hostwatch 0750 hostwatch:hostwatch" \
		"750 $(cut -d: -f3,4 <<<"$pw")" "$(stat -c '%a %u:%g' "$TMP/root/var/lib/hostwatch" 2>&1)"
else
	not_ok "systemd-tmpfiles:"; cat "$TMP/tmpfiles.out"
fi

# -- lintian: no E: or W: that the overrides file does not explain. --------
overrides=$top_srcdir/packaging/debian/hostwatch.lintian-overrides
# --fail-on none: with --show-overrides, overridden tags would count too;
# the exit status says lintian itself ran, the E:/W: lines are the verdict.
lintian --fail-on none --show-overrides "$changes" >"$TMP/lintian.out" 2>"$TMP/lintian.err"
rc=$?
bad=$(grep -E '^[EW]: ' "$TMP/lintian.out")
if [ "$rc" -eq 0 ] && [ -z "$bad" ]; then
	ok "lintian: no E: or W: tag outside the overrides"
else
	not_ok "lintian exits $rc:"; echo "$bad"; grep -v 'root privileges' "$TMP/lintian.err"
fi
# Every override has a reason just above it and is still needed.
awk '/^#/ { c = 1; next } /^[[:space:]]*$/ { c = 0; next } { print c, $1 }' "$overrides" >"$TMP/overrides"
while read -r commented tag; do
	expect_eq "override $tag has a comment giving the reason" 1 "$commented"
	check "override $tag is still raised (O: in lintian's output)" \
		grep -qE "^O: hostwatch: $tag( |$)" "$TMP/lintian.out"
done <"$TMP/overrides"

# -- The same package from a `make dist` tree. -----------------------------
make_dist
mkdir -p "$TMP/disttree"
tar -C "$TMP/disttree" -xzf "$DIST_TARBALL"
start=$(date +%s)
if "$top_srcdir/packaging/build-deb.sh" "$TMP/disttree/hostwatch-$upstream" "$TMP/out-dist" >"$TMP/build-dist.log" 2>&1; then
	ok "build-deb.sh builds from the dist tree in $(elapsed "$start") s"
	files "$TMP/out-dist/hostwatch_${version}_$arch.deb" >"$TMP/have-dist"
	if diff -u "$TMP/want" "$TMP/have-dist" >"$TMP/files-dist.diff"; then
		ok "the dist tree's .deb has the same files"
	else
		not_ok "the dist tree's .deb differs (- missing, + extra):"; sed -n '3,$p' "$TMP/files-dist.diff"
	fi
else
	not_ok "build-deb.sh from the dist tree"; tail -n 40 "$TMP/build-dist.log"
fi
finish
