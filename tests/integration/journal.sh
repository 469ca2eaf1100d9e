#!/bin/bash
# Alert entries in the real systemd journal: tests/unit/journal_send sends
# firing, repeat and resolved entries of an alert with a unique name (and
# critical, info and severity-less ones, and a notifier event) over the
# native protocol; journalctl reads them back: every field, label names
# sanitised (the invalid ones absent), PRIORITY and MESSAGE_ID, the
# filters an operator uses (-t hostwatch -p warning, MESSAGE_ID=,
# ALERT_NAME=), and `journalctl -x` showing the catalog's text (the
# catalog built in a scratch root, bind-mounted in a private mount
# namespace so the system's catalog is left alone). Then journald goes
# away: the same entries go to stderr, one line each.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/journal_lib.sh"

SEND="$top_builddir/tests/unit/journal_send"
if [ ! -x "$SEND" ]; then
	echo "$SEND is not built (make check builds it)"
	exit 99
fi
HEADER="$top_srcdir/include/hostwatch/journal.h"
msgid() { sed -n "s/^#define JOURNAL_MSGID_$1 \"\([0-9a-f]*\)\"/\1/p" "$HEADER"; }
FIRING=$(msgid FIRING)
RESOLVED=$(msgid RESOLVED)
REPEAT=$(msgid REPEAT)
EVENT=$(msgid EVENT)

ensure_journald

NAME="HwJournalTest_$$_$RANDOM"
check "journald took every entry" "$SEND" "$NAME"
check "six alert entries come back" journal_json "$TMP/all.json" 6 ALERT_NAME="$NAME"
expect_eq "exactly six" 6 "$(grep -c . "$TMP/all.json")"

# Every check of the entries as "description<TAB>expected<TAB>actual"
# lines (values JSON-encoded, so newlines stay on one line).
$PY - "$TMP/all.json" "$NAME" "$FIRING" "$RESOLVED" "$REPEAT" >"$TMP/checks" <<'EOF'
import json, re, sys
path, name, firing, resolved, repeat = sys.argv[1:]

def text(v):
    # journalctl prints a value that is not printable UTF-8 as bytes
    return bytes(v).decode("utf-8", "replace") if isinstance(v, list) else v

entries = [{k: text(v) for k, v in json.loads(l).items()}
           for l in open(path) if l.strip()]

def out(desc, exp, got):
    print(f"{desc}\t{json.dumps(exp)}\t{json.dumps(got)}")

def find(msgid, instance):
    for e in entries:
        if e.get("MESSAGE_ID") == msgid and e.get("ALERT_LABEL_INSTANCE") == instance:
            return e
    return {}

fire, rep, res = find(firing, "web1"), find(repeat, "web1"), find(resolved, "web1")
crit, info, misc = find(firing, "db1"), find(firing, "cache1"), find(firing, "misc1")

labels = ('___="dropped", __meta_zone="eu-1", caf\u00e9-x="latte", '
          'instance="web1", kube_pod.name="pod-7", mode="user", '
          '\u00e9="dropped"')
summary = "CPU above 80% for 5 minutes\nsee the runbook"
expr = ('100 * (1 - avg by (instance, mode) '
        '(rate(node_cpu_seconds_total{mode="idle"}[1m]))) > 80')
out("firing MESSAGE",
    f"{name} firing (warning): value 93.2 > threshold 80 for {labels} "
    "\u2014 CPU above 80% for 5 minutes see the runbook", fire.get("MESSAGE"))
for k, v in [("PRIORITY", "4"), ("SYSLOG_IDENTIFIER", "hostwatch"),
             ("ALERT_NAME", name), ("ALERT_STATE", "firing"),
             ("ALERT_SEVERITY", "warning"), ("ALERT_VALUE", "93.2"),
             ("ALERT_EXPR", expr), ("ALERT_SUMMARY", summary),
             ("_TRANSPORT", "journal"),
             ("ALERT_LABEL_ALERTNAME", name), ("ALERT_LABEL_SEVERITY", "warning"),
             ("ALERT_LABEL_INSTANCE", "web1"), ("ALERT_LABEL_MODE", "user"),
             ("ALERT_LABEL_KUBE_POD_NAME", "pod-7"),
             ("ALERT_LABEL_META_ZONE", "eu-1"), ("ALERT_LABEL_CAF__X", "latte")]:
    out(f"firing {k}", v, fire.get(k))
out("firing ALERT_FINGERPRINT is 16 hex digits", True,
    bool(re.fullmatch(r"[0-9a-f]{16}", fire.get("ALERT_FINGERPRINT", ""))))
out("firing ALERT_STARTS_AT is RFC 3339 UTC with ms", True,
    bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123Z",
                      fire.get("ALERT_STARTS_AT", ""))))
out("label fields: the valid ones, and no others",
    sorted(["ALERT_LABEL_ALERTNAME", "ALERT_LABEL_SEVERITY", "ALERT_LABEL_INSTANCE",
            "ALERT_LABEL_MODE", "ALERT_LABEL_KUBE_POD_NAME", "ALERT_LABEL_META_ZONE",
            "ALERT_LABEL_CAF__X"]),
    sorted(k for k in fire if k.startswith("ALERT_LABEL")))
out("no field holds the dropped labels' values", [],
    [k for k, v in fire.items() if v == "dropped"])

out("repeat PRIORITY", "4", rep.get("PRIORITY"))
out("repeat ALERT_STATE", "firing", rep.get("ALERT_STATE"))
out("repeat says since when", True,
    bool(re.match(re.escape(name) + r" still firing since \d\d:\d\d:\d\dZ \(warning\): value 95 > threshold 80 for ",
                  rep.get("MESSAGE", ""))))
out("resolved PRIORITY", "5", res.get("PRIORITY"))
out("resolved ALERT_STATE", "resolved", res.get("ALERT_STATE"))
out("resolved says after how long", True,
    bool(re.match(re.escape(name) + r" resolved after 11m59s \(warning\): last value 95 \(alerting when > 80\) for ",
                  res.get("MESSAGE", ""))))
out("one fingerprint for firing, repeat, resolved",
    [fire.get("ALERT_FINGERPRINT")] * 2,
    [rep.get("ALERT_FINGERPRINT"), res.get("ALERT_FINGERPRINT")])
out("critical PRIORITY", "2", crit.get("PRIORITY"))
out("critical ALERT_SEVERITY lower-cased", "critical", crit.get("ALERT_SEVERITY"))
out("info PRIORITY", "6", info.get("PRIORITY"))
out("no severity: PRIORITY", "5", misc.get("PRIORITY"))
out("no severity: no ALERT_SEVERITY", None, misc.get("ALERT_SEVERITY"))
out("no severity: MESSAGE", f'{name} firing: value 1e+06 > threshold 80 for '
    'instance="misc1", mode="user" \u2014 CPU above 80% for 5 minutes see the runbook',
    misc.get("MESSAGE"))
EOF
while IFS=$'\t' read -r desc exp got; do
	expect_eq "$desc" "$exp" "$got"
done <"$TMP/checks"
expect_eq "every entry check ran" 34 "$(grep -c . "$TMP/checks")"

# The event: found by its MESSAGE_ID.
check "the event comes back" journal_json "$TMP/event.json" 1 \
	MESSAGE_ID="$EVENT" MESSAGE="$NAME test event"
expect_eq "event: priority 3, hostwatch" "3 hostwatch $EVENT" \
	"$(jq -r '[.PRIORITY, .SYSLOG_IDENTIFIER, .MESSAGE_ID] | join(" ")' "$TMP/event.json")"

# What an operator types.
journalctl --no-pager -t hostwatch -p warning -o cat >"$TMP/warning.txt"
check "-t hostwatch -p warning: the firing warning" \
	grep -qF "$NAME firing (warning)" "$TMP/warning.txt"
check "-t hostwatch -p warning: the repeat" \
	grep -qF "$NAME still firing since" "$TMP/warning.txt"
check "-t hostwatch -p warning: the critical one" \
	grep -qF "$NAME firing (critical)" "$TMP/warning.txt"
check "-t hostwatch -p warning: the event (err)" \
	grep -qxF "$NAME test event" "$TMP/warning.txt"
check "-t hostwatch -p warning: not the resolved one (5)" \
	bash -c '! grep -qF "$1 resolved" "$2"' _ "$NAME" "$TMP/warning.txt"
check "-t hostwatch -p warning: not info (6), nor no severity (5)" \
	bash -c '! grep -qE "^$1 firing(: | \\(info\\))" "$2"' _ "$NAME" "$TMP/warning.txt"
expect_eq "MESSAGE_ID=firing: the four firing ones" 4 \
	"$(journalctl --no-pager -o cat MESSAGE_ID="$FIRING" | grep -c "^$NAME firing")"
expect_eq "MESSAGE_ID=resolved" 1 \
	"$(journalctl --no-pager -o cat MESSAGE_ID="$RESOLVED" | grep -c "^$NAME resolved after")"
expect_eq "MESSAGE_ID=repeat" 1 \
	"$(journalctl --no-pager -o cat MESSAGE_ID="$REPEAT" | grep -c "^$NAME still firing")"
FP=$(jq -r 'select(.ALERT_LABEL_INSTANCE == "web1") | .ALERT_FINGERPRINT' "$TMP/all.json" | sort -u)
expect_eq "ALERT_FINGERPRINT= finds the alert's three entries" 3 \
	"$(journalctl --no-pager -o cat ALERT_FINGERPRINT="$FP" | grep -c "^$NAME ")"

# journalctl -x with the catalog of this tree.
ROOT="$TMP/root"
mkdir -p "$ROOT/usr/lib/systemd/catalog"
cp "$top_srcdir/etc/hostwatch.catalog" "$ROOT/usr/lib/systemd/catalog/"
journalctl --root="$ROOT" --update-catalog
if unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private bash -c '
		mount --bind "$1/var/lib/systemd/catalog" /var/lib/systemd/catalog &&
		journalctl --no-pager -x ALERT_NAME="$2"' _ "$ROOT" "$NAME" >"$TMP/x.txt" 2>&1
	check "-x: the firing entry's subject, with its name" \
		grep -qF "Subject: Alert $NAME is firing" "$TMP/x.txt"
	check "-x: the resolved entry's subject" \
		grep -qF "Subject: Alert $NAME is resolved" "$TMP/x.txt"
	check "-x: the repeat's subject" \
		grep -qF "Subject: Alert $NAME is still firing" "$TMP/x.txt"
	check "-x: fields substituted in the text" \
		grep -qF "journalctl ALERT_FINGERPRINT=$FP" "$TMP/x.txt"
	check "-x: no field left unsubstituted" \
		bash -c '! grep -q "@[A-Z_]*@" "$1"' _ "$TMP/x.txt"
else
	echo "# no mount namespace here: journalctl -x not checked"
fi

# An entry too large for a datagram: journald takes the sealed memfd.
check "journald took the 300 KB entry" "$SEND" --big "${NAME}_big"
check "the 300 KB entry comes back" journal_json "$TMP/big.json" 1 --all ALERT_NAME="${NAME}_big"
expect_eq "300 KB entry: ALERT_SUMMARY whole" "307200 $(printf 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu')" \
	"$(jq -r '.ALERT_SUMMARY | "\(length) \(split("\n")[0])"' "$TMP/big.json")"
expect_eq "300 KB entry: PRIORITY, via the native protocol" "4 journal" \
	"$(jq -r '"\(.PRIORITY) \(._TRANSPORT)"' "$TMP/big.json")"

# journald away (a socket file nobody listens on): the entries on stderr, one line
# each, and journal_send says journald took none.
mkdir -p "$TMP/gone"
$PY -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])' "$TMP/gone/socket"
"$SEND" "$NAME" "$TMP/gone/socket" 2>"$TMP/stderr.txt"
expect_eq "journald away: journal_send fails" 1 $?
expect_eq "journald away: seven lines on stderr" 7 "$(grep -c . "$TMP/stderr.txt")"
check "journald away: the firing line" \
	grep -qE "^hostwatch: warning: $NAME firing \(warning\): .* MESSAGE_ID=$FIRING ALERT_NAME=$NAME ALERT_STATE=firing " "$TMP/stderr.txt"
check "journald away: the resolved line" \
	grep -qE "^hostwatch: notice: $NAME resolved after .* MESSAGE_ID=$RESOLVED " "$TMP/stderr.txt"
check "journald away: the event line" \
	grep -qxF "hostwatch: err: $NAME test event MESSAGE_ID=$EVENT" "$TMP/stderr.txt"

finish
