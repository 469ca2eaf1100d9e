#!/bin/bash
# etc/hostwatch.catalog as systemd reads it: `journalctl --update-catalog`
# in a scratch root accepts it without a complaint, --list-catalog lists
# every MESSAGE_ID of include/hostwatch/journal.h (read from the header,
# so the two cannot drift apart) and no other, --dump-catalog shows each
# entry's subject and text, and `make install` puts the file in
# $(catalogdir).
. "$top_srcdir/tests/integration/lib.sh"

CATALOG="$top_srcdir/etc/hostwatch.catalog"
IDS=$(sed -n 's/^#define JOURNAL_MSGID_[A-Z_]* "\([0-9a-f]*\)"$/\1/p' \
	"$top_srcdir/include/hostwatch/journal.h" | sort)
expect_eq "journal.h defines four MESSAGE_IDs" 4 "$(echo "$IDS" | grep -c .)"
for id in $IDS; do
	check "$id is 128 bits in hex" bash -c '[[ $1 =~ ^[0-9a-f]{32}$ ]]' _ "$id"
done

ROOT="$TMP/root"
mkdir -p "$ROOT/usr/lib/systemd/catalog"
cp "$CATALOG" "$ROOT/usr/lib/systemd/catalog/"
journalctl --root="$ROOT" --update-catalog 2>"$TMP/update.err"
expect_eq "--update-catalog succeeds" 0 $?
expect_eq "--update-catalog has nothing to complain about" "" "$(cat "$TMP/update.err")"
check "the database was written" test -s "$ROOT/var/lib/systemd/catalog/database"

journalctl --root="$ROOT" --list-catalog >"$TMP/list.txt"
expect_eq "--list-catalog: exactly journal.h's ids" "$IDS" \
	"$(awk '{print $1}' "$TMP/list.txt" | sort)"
for id in $IDS; do
	subject=$(awk -v id="$id" '$0 == "-- " id { getline; sub(/^Subject: /, ""); print; exit }' "$CATALOG")
	check "$id has a subject" test -n "$subject"
	expect_eq "$id listed with its subject" "$id hostwatch: $subject" \
		"$(grep "^$id " "$TMP/list.txt")"
	journalctl --root="$ROOT" --dump-catalog "$id" >"$TMP/dump.txt"
	check "$id: --dump-catalog shows the subject" \
		grep -qxF "Subject: $subject" "$TMP/dump.txt"
	check "$id: --dump-catalog shows Defined-By" \
		grep -qxF "Defined-By: hostwatch" "$TMP/dump.txt"
	# the explanation: at least a paragraph after the headers
	expect_eq "$id: an explanation of some length" yes \
		"$(awk 'body && NF { n++ } /^$/ { body = 1 } END { print (n >= 3 ? "yes" : "no") }' "$TMP/dump.txt")"
done
# the alert entries name the alert in their subject; fields that the
# entries always carry are the only ones substituted
for id in $(sed -n 's/^#define JOURNAL_MSGID_\(FIRING\|RESOLVED\|REPEAT\) "\([0-9a-f]*\)"$/\2/p' \
	"$top_srcdir/include/hostwatch/journal.h"); do
	check "$id: subject names @ALERT_NAME@" \
		grep -q "^Subject: .*@ALERT_NAME@" <(journalctl --root="$ROOT" --dump-catalog "$id")
done
expect_eq "only always-present fields are substituted" \
	"@ALERT_EXPR@ @ALERT_FINGERPRINT@ @ALERT_NAME@ @ALERT_STARTS_AT@ @ALERT_VALUE@" \
	"$(grep -v '^#' "$CATALOG" | grep -o '@[A-Z_]*@' | sort -u | tr '\n' ' ' | sed 's/ $//')"

# make install: into $(catalogdir) (a DESTDIR of our own).
if [ -f "$top_builddir/Makefile" ]; then
	make -s -C "$top_builddir" install-dist_catalogDATA DESTDIR="$TMP/dest" >"$TMP/install.log" 2>&1
	expect_eq "make install-dist_catalogDATA" 0 $?
	want=$(sed -n 's/^catalogdir = //p' "$top_builddir/Makefile")
	installed=$(cd "$TMP/dest" && find . -name hostwatch.catalog | sed 's/^\.//')
	check "installed once, in catalogdir" test -n "$installed"
	case $want in
	*'$'*) ;; # ${prefix}/...: where exactly depends on the prefix
	*) expect_eq "installed in $want" "$want/hostwatch.catalog" "$installed" ;;
	esac
	check "installed unchanged" cmp -s "$CATALOG" "$TMP/dest$installed"
fi

finish
