#!/bin/bash
# The RPM: packaging/build-rpm.sh builds packaging/rpm/hostwatch.spec from
# a `make dist` tarball with rpmbuild (on Debian: --nodeps and the
# test-only packaging/rpm/macros.systemd-debian); the package holds exactly
# the expected files with their owners, modes and config flags, the
# scriptlets create the user and apply presets / disable / try-restart,
# and the library dependencies are declared.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/package_lib.sh"
once_only
need_tools rpmbuild rpm useradd groupadd
export TMPDIR=$TMP

upstream=$(sed -n 's/^AC_INIT(\[hostwatch\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
spec=$top_srcdir/packaging/rpm/hostwatch.spec
expect_eq "the spec's Version is configure.ac's" "$upstream" \
	"$(sed -n 's/^Version:[[:space:]]*//p' "$spec")"

make_dist
start=$(date +%s)
if "$top_srcdir/packaging/build-rpm.sh" "$DIST_TARBALL" "$TMP/out" >"$TMP/build.log" 2>&1; then
	ok "build-rpm.sh builds the RPMs from the dist tarball in $(elapsed "$start") s"
else
	not_ok "build-rpm.sh"; tail -n 40 "$TMP/build.log"; finish
fi
rpm=$(ls "$TMP"/out/hostwatch-"$upstream"-1.*.rpm 2>/dev/null | grep -v '\.src\.rpm$' | head -n1)
check "a binary RPM: $(basename "${rpm:-none}")" test -s "$rpm"
check "a source RPM" test -n "$(ls "$TMP"/out/hostwatch-"$upstream"-1.src.rpm 2>/dev/null)"
q() { rpm -qp "$@" "$rpm" 2>/dev/null; }

# -- Files, with owner, mode and flags: packaging/rpm/expected-files.txt. --
grep -v '^#' "$top_srcdir/packaging/rpm/expected-files.txt" | sort >"$TMP/want"
# Build-id links are named by the binary's build id: checked apart.
q --list | grep -v '^/usr/lib/\.build-id' | sort >"$TMP/have"
check "a /usr/lib/.build-id link to /usr/sbin/hostwatch" \
	test -n "$(q --qf '[%{FILENAMES} %{FILELINKTOS}\n]' | grep '^/usr/lib/\.build-id/.* .*/usr/sbin/hostwatch$')"
if diff -u <(cut -d' ' -f1 "$TMP/want") "$TMP/have" >"$TMP/files.diff"; then
	ok "rpm -qp --list lists exactly the $(wc -l <"$TMP/want") expected paths"
else
	not_ok "rpm -qp --list differs (- missing, + extra):"; sed -n '3,$p' "$TMP/files.diff"
fi
# path mode user group: rpm's own record of each.
q --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME}\n]' |
	grep -v '^/usr/lib/\.build-id' | sort >"$TMP/have-attrs"
if diff -u <(cut -d' ' -f1-4 "$TMP/want") "$TMP/have-attrs" >"$TMP/attrs.diff"; then
	ok "every path has the expected mode and owner"
else
	not_ok "modes or owners differ:"; sed -n '3,$p' "$TMP/attrs.diff"
fi
expect_eq "rpm -qp --configfiles: the noreplace configs" "/etc/hostwatch/default.rules.yml
/etc/hostwatch/hostwatch.conf
/etc/sysconfig/hostwatch" "$(q --configfiles | sort)"
# Every file under /etc, with rpm's flags: c = %config, n = noreplace.
expect_eq "each is %config(noreplace)" "/etc/hostwatch/default.rules.yml cn
/etc/hostwatch/hostwatch.conf cn
/etc/sysconfig/hostwatch cn" \
	"$(q --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' | awk '$1 ~ "^/etc/" && $1 != "/etc/hostwatch"' | sort)"
expect_eq "rpm -qp --docfiles: README, examples, man pages" "/usr/share/doc/hostwatch/README.md
/usr/share/doc/hostwatch/examples/alertmanager.yml
/usr/share/doc/hostwatch/examples/grafana-dashboard.json
/usr/share/doc/hostwatch/examples/hostwatch.rules.yml
/usr/share/doc/hostwatch/examples/prometheus.yml
/usr/share/man/man5/hostwatch.conf.5
/usr/share/man/man8/hostwatch.8" "$(q --docfiles | sed 's/\.gz$//' | sort)"

# -- Scriptlets. -----------------------------------------------------------
q --scripts >"$TMP/scripts"
section() { # the body of one scriptlet, e.g. "preinstall"
	awk -v s="$1" '/^[a-z]+ scriptlet/ { on = ($1 == s) ; next } on' "$TMP/scripts"
}
section preinstall >"$TMP/pre"
section postinstall >"$TMP/post"
section preuninstall >"$TMP/preun"
section postuninstall >"$TMP/postun"
for s in pre post preun postun; do check "%$s is valid sh" sh -n "$TMP/$s"; done
check "%pre creates the group: groupadd -r hostwatch (sysusers compat)" \
	grep -qF "getent group 'hostwatch' >/dev/null || groupadd -r 'hostwatch'" "$TMP/pre"
check "%pre creates the user with home /var/lib/hostwatch and no shell" \
	grep -qE "useradd -r -g 'hostwatch' -d '/var/lib/hostwatch' -s '/usr/sbin/nologin' .*'hostwatch'" "$TMP/pre"
check "%pre does not add it to docker (opt-in, commented out)" \
	test -z "$(grep -e docker "$TMP/pre")"
check "%post applies the presets on first install" \
	grep -qE 'systemctl --no-reload preset hostwatch.service hostwatch.socket' "$TMP/post"
check "%post does so only when \$1 is 1" grep -qF '[ $1 -eq 1 ]' "$TMP/post"
check "%preun disables and stops both units on removal" \
	grep -qE 'systemctl --no-reload disable --now hostwatch.service hostwatch.socket' "$TMP/preun"
check "%preun does so only when \$1 is 0" grep -qF '[ $1 -eq 0 ]' "$TMP/preun"
check "%postun try-restarts on upgrade" \
	grep -qE 'systemctl try-restart hostwatch.service hostwatch.socket' "$TMP/postun"
check "%postun does so only when \$1 >= 1" grep -qF '[ $1 -ge 1 ]' "$TMP/postun"

# The generated %pre, run by the real shadow tools against a scratch
# passwd and group (useradd --prefix), creates what systemd-sysusers would,
# and is idempotent (it runs again on every upgrade).
run_pre() (
	R=$TMP/root
	getent() { grep -q "^$2:" "$R/etc/$1"; }
	groupadd() { command groupadd --prefix "$R" "$@"; }
	useradd() { command useradd --prefix "$R" "$@"; }
	. "$TMP/pre"
)
mkdir -p "$TMP/root/etc"
for f in passwd group shadow gshadow; do : >"$TMP/root/etc/$f"; done
cp /etc/login.defs "$TMP/root/etc/"
run_pre >"$TMP/pre.out" 2>&1
pw=$(grep '^hostwatch:' "$TMP/root/etc/passwd")
check "%pre creates the user hostwatch ($pw)" test -n "$pw"
expect_eq "... with home /var/lib/hostwatch" /var/lib/hostwatch "$(cut -d: -f6 <<<"$pw")"
check "... as a system uid (< 1000)" test "$(cut -d: -f3 <<<"$pw")" -lt 1000
check "... and the group hostwatch" grep -q '^hostwatch:' "$TMP/root/etc/group"
run_pre >>"$TMP/pre.out" 2>&1
expect_eq "%pre run again (upgrade) leaves one user" 1 "$(grep -c '^hostwatch:' "$TMP/root/etc/passwd")"

# -- Dependencies. -----------------------------------------------------------
q --requires >"$TMP/requires"
for lib in libmicrohttpd.so libinih.so libz.so libdeflate.so libjansson.so libyaml-0.so libc.so; do
	check "requires $lib (elfdeps)" grep -q "^$lib" "$TMP/requires"
done
check "does not require libcurl (dlopen()ed, a weak dependency)" \
	test -z "$(grep libcurl "$TMP/requires")"
check "requires systemd for the scriptlets (%systemd_requires)" grep -qx 'systemd' "$TMP/requires"
check "requires shadow-utils for %pre (sysusers compat)" grep -qx 'shadow-utils' "$TMP/requires"
isa=$(rpm --eval '%{_isa}')
expect_eq "recommends what hostwatch dlopen()s" "libcgroup$isa libcurl$isa systemd-libs$isa" \
	"$(q --recommends | sort | xargs)"
srpm=$(ls "$TMP"/out/hostwatch-"$upstream"-1.src.rpm)
expect_eq "the source RPM's BuildRequires are the pkgconfig() names" \
	"pkgconfig(gnutls) pkgconfig(inih) pkgconfig(jansson) pkgconfig(libcgroup) pkgconfig(libcrypt) pkgconfig(libcurl) pkgconfig(libdeflate) pkgconfig(libmicrohttpd) pkgconfig(libsystemd) pkgconfig(systemd) pkgconfig(yaml-0.1) pkgconfig(zlib)" \
	"$(rpm -qp --requires "$srpm" 2>/dev/null | grep '^pkgconfig(' | sort | xargs)"
finish
