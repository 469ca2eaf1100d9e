#!/bin/bash
# `make install DESTDIR=...` from this build tree gives the agreed layout
# (README "Installing"), and every installed file works with the real tool
# that reads it: systemd-analyze verify (units), systemd-sysusers (the
# user, and the documented docker opt-in), systemd-tmpfiles (the state
# directory), journalctl (the catalog), groff/mandoc/man (the man pages,
# which must name every flag of --help and every key of hostwatch.conf).
. "$top_srcdir/tests/integration/lib.sh"

: "${top_builddir:?}"
MAKE=${MAKE:-make}
# The directories as this build's Makefile has them (distcheck's own
# prefix included).
eval "$($MAKE -s --no-print-directory -C "$top_builddir" hw-print-dirs)"
R="$TMP/root"
if $MAKE -s --no-print-directory -C "$top_builddir" install DESTDIR="$R" >"$TMP/install.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	not_ok "make install DESTDIR=..."; cat "$TMP/install.log"; finish
fi

EXPECTED="
$sbindir/hostwatch
$sysconfdir/hostwatch/hostwatch.conf
$sysconfdir/hostwatch/default.rules.yml
$sysconfdir/default/hostwatch
$systemdsystemunitdir/hostwatch.service
$systemdsystemunitdir/hostwatch.socket
$sysusersdir/hostwatch.conf
$tmpfilesdir/hostwatch.conf
$catalogdir/hostwatch.catalog
$mandir/man8/hostwatch.8
$mandir/man5/hostwatch.conf.5
$examplesdir/prometheus.yml
$examplesdir/hostwatch.rules.yml
$examplesdir/alertmanager.yml
$examplesdir/grafana-dashboard.json"
for f in $EXPECTED; do
	check "installed: $f" test -f "$R$f"
done
check "the binary is executable" test -x "$R$sbindir/hostwatch"
# Nothing else in sbin and etc: every file there is a conffile or a
# command, and the packages list them one by one.
expect_eq "only hostwatch in sbindir" "$R$sbindir/hostwatch" "$(find "$R$sbindir" ! -type d | sort)"
expect_eq "only the three configuration files in sysconfdir" \
	"$(printf '%s\n' "$R$sysconfdir/default/hostwatch" "$R$sysconfdir/hostwatch/default.rules.yml" \
		"$R$sysconfdir/hostwatch/hostwatch.conf")" \
	"$(find "$R$sysconfdir" ! -type d | sort)"
check "the example rule file is the default rules, byte for byte" \
	cmp "$R$sysconfdir/hostwatch/default.rules.yml" "$R$examplesdir/hostwatch.rules.yml"
check "/etc/default/hostwatch sets ARGS=\"\"" grep -qx 'ARGS=""' "$R$sysconfdir/default/hostwatch"
check "/etc/default/hostwatch explains itself" grep -q '^# .*flags' "$R$sysconfdir/default/hostwatch"

# The units: paths filled in, and systemd's own verification. The unit's
# ExecStart= names the installed binary; systemd-analyze checks that it
# exists, so the copy it reads points into DESTDIR.
UNIT="$R$systemdsystemunitdir/hostwatch.service"
check "ExecStart= is the configured sbindir's binary with \$ARGS" \
	grep -qxF "ExecStart=$sbindir/hostwatch \$ARGS" "$UNIT"
check "EnvironmentFile= /etc/default/hostwatch, optional" \
	grep -qxF "EnvironmentFile=-$sysconfdir/default/hostwatch" "$UNIT"
check "EnvironmentFile= /etc/sysconfig/hostwatch, optional" \
	grep -qxF "EnvironmentFile=-$sysconfdir/sysconfig/hostwatch" "$UNIT"
check "no @placeholder@ left in the unit" bash -c '! grep -q "@[a-z_]*@" "$1"' _ "$UNIT"
mkdir -p "$TMP/verify"
sed "s|^ExecStart=$sbindir/|ExecStart=$R$sbindir/|" "$UNIT" >"$TMP/verify/hostwatch.service"
cp "$R$systemdsystemunitdir/hostwatch.socket" "$TMP/verify/"
if systemd-analyze verify --man=no "$TMP/verify/hostwatch.service" "$TMP/verify/hostwatch.socket" \
	>"$TMP/verify.out" 2>&1 && [ ! -s "$TMP/verify.out" ]; then
	ok "systemd-analyze verify: both units, no warning"
else
	not_ok "systemd-analyze verify: both units, no warning"; cat "$TMP/verify.out"
fi
check "the socket listens on 9100" grep -qx 'ListenStream=9100' "$R$systemdsystemunitdir/hostwatch.socket"

# sysusers.d in a scratch root: a system user with nologin and its home.
S="$TMP/sysroot"
mkdir -p "$S/etc"
if systemd-sysusers --root="$S" "$R$sysusersdir/hostwatch.conf" >"$TMP/sysusers.out" 2>&1; then
	ok "systemd-sysusers accepts sysusers.d/hostwatch.conf"
else
	not_ok "systemd-sysusers accepts sysusers.d/hostwatch.conf"; cat "$TMP/sysusers.out"
fi
check "passwd: hostwatch, home /var/lib/hostwatch, shell nologin" \
	grep -qE '^hostwatch:x:[0-9]+:[0-9]+:hostwatch metrics exporter:/var/lib/hostwatch:/usr/sbin/nologin$' "$S/etc/passwd"
uid=$(awk -F: '$1 == "hostwatch" { print $3 }' "$S/etc/passwd")
check "a system uid ($uid < 1000)" test "${uid:-1000}" -lt 1000
check "group hostwatch exists" grep -q '^hostwatch:x:' "$S/etc/group"
check "not in the docker group unless the admin opts in" \
	bash -c '! grep -qE "^docker:.*hostwatch" "$1/etc/group"' _ "$S"
# The opt-in as hostwatch(8) documents it: an `m hostwatch docker` line.
mkdir -p "$S/etc/sysusers.d"
check "the commented opt-in line is in the file" grep -qx '#m hostwatch docker' "$R$sysusersdir/hostwatch.conf"
sed -n 's/^#\(m hostwatch docker\)$/\1/p' "$R$sysusersdir/hostwatch.conf" >"$S/etc/sysusers.d/hostwatch-docker.conf"
systemd-sysusers --root="$S" "$S/etc/sysusers.d/hostwatch-docker.conf" >/dev/null 2>&1
check "opted in: hostwatch is a member of docker" grep -qE '^docker:x:[0-9]+:(.*,)?hostwatch(,|$)' "$S/etc/group"

# tmpfiles.d creates the state directory owned by the new user.
if systemd-tmpfiles --root="$S" --create "$R$tmpfilesdir/hostwatch.conf" >"$TMP/tmpfiles.out" 2>&1; then
	ok "systemd-tmpfiles --create"
else
	not_ok "systemd-tmpfiles --create"; cat "$TMP/tmpfiles.out"
fi
check "/var/lib/hostwatch created" test -d "$S/var/lib/hostwatch"
expect_eq "/var/lib/hostwatch: 750 hostwatch:hostwatch" "750 $uid" \
	"$(stat -c '%a %u' "$S/var/lib/hostwatch" 2>/dev/null)"

# The catalog where journalctl --root looks, and every MESSAGE_ID of
# journal.h listed from the database it builds.
C="$TMP/catroot"
mkdir -p "$C/usr/lib/systemd/catalog"
cp "$R$catalogdir/hostwatch.catalog" "$C/usr/lib/systemd/catalog/"
check "journalctl --update-catalog" journalctl --root="$C" --update-catalog
journalctl --root="$C" --list-catalog >"$TMP/catalog.list" 2>&1
ids=$(grep -oiE '\b[0-9a-f]{32}\b' "$top_srcdir/include/hostwatch/journal.h" | tr A-F a-f | sort -u)
check "journal.h has MESSAGE_IDs" test -n "$ids"
for id in $ids; do
	check "catalog lists $id" grep -qi "^$id " "$TMP/catalog.list"
done

# Man pages: lint clean with groff (and mandoc when installed), readable
# by man.
for page in "$R$mandir/man8/hostwatch.8" "$R$mandir/man5/hostwatch.conf.5"; do
	name=${page##*/}
	expect_eq "groff -ww -z $name: no warning" "" "$(groff -man -ww -z "$page" 2>&1)"
	if command -v mandoc >/dev/null; then
		expect_eq "mandoc -T lint $name: no warning" "" "$(mandoc -T lint -W warning "$page" 2>&1)"
	else
		echo "# mandoc not installed: lint by groff only"
	fi
	check "man -l $name renders" bash -c 'MANWIDTH=80 man -l "$1" 2>&1 | grep -q "^NAME"' _ "$page"
	check "no @placeholder@ left in $name" bash -c '! grep -q "@[a-zA-Z_]*@" "$1"' _ "$page"
done
render() { groff -man -Tascii -rLL=300n -P-c "$1" 2>/dev/null | col -bx; }
render "$R$mandir/man8/hostwatch.8" >"$TMP/hostwatch.8.txt"
render "$R$mandir/man5/hostwatch.conf.5" >"$TMP/hostwatch.conf.5.txt"

# Every flag --help prints is in hostwatch(8), written as --help writes it
# (--[no-]name for booleans).
"$R$sbindir/hostwatch" --help >"$TMP/help" 2>&1
sed -n 's/^ *\(-h, \)\{0,1\}\(--[^= ]*\).*/\2/p' "$TMP/help" | sort -u >"$TMP/flags"
check "--help lists flags ($(wc -l <"$TMP/flags"))" test "$(wc -l <"$TMP/flags")" -ge 50
missing=
while read -r f; do
	grep -qF -- "$f" "$TMP/hostwatch.8.txt" || missing="$missing $f"
done <"$TMP/flags"
expect_eq "every --help flag is in hostwatch(8)" "" "$missing"

# Every section and key of the shipped hostwatch.conf (commented-out ones
# and those of the commented examples too) is in hostwatch.conf(5), in the
# part about its section, as a term: at a line's start, before " =" or in
# a comma list.
$PY - "$R$sysconfdir/hostwatch/hostwatch.conf" "$TMP/hostwatch.conf.5.txt" >"$TMP/keys.out" <<'EOF'
import re, sys
conf = open(sys.argv[1]).read().splitlines()
man = open(sys.argv[2]).read().splitlines()
keys, sect = {}, None
for line in conf:
    m = re.match(r"^#? ?\[([a-z]+)( [^]]+)?\]\s*$", line)
    if m:
        sect = m.group(1)
        keys.setdefault(sect, set())
        continue
    m = re.match(r"^#? ?([a-z_]+(\.[a-z_]+)?) ?= ?", line)
    if m and sect:
        keys[sect].add(m.group(1))
# The man page's blocks: a heading at column 0 names one or two sections.
blocks, cur = {}, None
for line in man:
    if line and not line[0].isspace():
        cur = re.findall(r"\[([a-z]+)[^]]*\]", line)
        for s in cur:
            blocks.setdefault(s, [])
        continue
    for s in cur or []:
        blocks[s].append(line)
bad = []
for s in sorted(keys):
    if s not in blocks:
        bad.append("[%s]" % s)
        continue
    text = "\n".join(blocks[s])
    for k in sorted(keys[s]):
        kk = re.escape(k)
        term = r"(^\s*%s\b|\b%s ?=|\b%s,|, %s\b)" % (kk, kk, kk, kk)
        if not re.search(term, text, re.M):
            bad.append("[%s] %s" % (s, k))
n = sum(len(v) for v in keys.values())
print("%d sections, %d keys" % (len(keys), n))
print("MISSING:" + " ".join(bad))
EOF
cat "$TMP/keys.out"
n_keys=$(sed -n 's/^[0-9]* sections, \([0-9]*\) keys$/\1/p' "$TMP/keys.out")
check "hostwatch.conf has keys (${n_keys:-0})" test "${n_keys:-0}" -ge 60
expect_eq "every section and key of hostwatch.conf is in hostwatch.conf(5)" "MISSING:" \
	"$(grep '^MISSING:' "$TMP/keys.out")"
finish
