#!/bin/bash
# Email end to end: an alert driven by a real process, notified through
# [email NAME] to a local SMTP server (python3-aiosmtpd, the protocol's
# real implementation): firing, then resolved, each one message with the
# configured envelope, Alertmanager's subject form, and a Message-ID that
# differs between the two.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"

"$PY" -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed"
STATE="$TMP/state"
mkdir -p "$STATE"
"$PY" "$top_srcdir/tests/unit/deliver_smtp.py" --log "$TMP/mail.jsonl" >"$TMP/smtp.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/smtp.out" ] && break; sleep 0.05; done
SP=$(head -n1 "$TMP/smtp.out")
check "SMTP server started" test -n "$SP"

notify_conf "$TMP/hw.conf" "$STATE" \
	"[email ops]" "url = smtp://127.0.0.1:$SP" "starttls = off" \
	"from = hostwatch@example.org" "to = ops@example.org, oncall@example.org" \
	"group_wait = 0s" "group_interval = 1s"
start_hostwatch hw --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1

sleeper_start
check "firing mail received" wait_lines "$TMP/mail.jsonl" 1
sleeper_stop
check "resolved mail received" wait_lines "$TMP/mail.jsonl" 2
sleep 2

"$PY" - "$TMP/mail.jsonl" >"$TMP/mail.check" <<'EOF'
import email, email.policy, json, sys
ms = [json.loads(l) for l in open(sys.argv[1])]
print("count", len(ms))
print("from", ",".join(m["mail_from"] for m in ms))
print("rcpt", ";".join(",".join(m["rcpt_tos"]) for m in ms))
msgs = [email.message_from_string(m["data"], policy=email.policy.default) for m in ms]
print("subjects", "|".join(str(x["Subject"]) for x in msgs))
print("ids", len({x["Message-ID"] for x in msgs}))
print("body", all("SleeperUp" in x.get_body().get_content() for x in msgs))
EOF
sed 's/^/# /' "$TMP/mail.check"
v() { sed -n "s/^$1 //p" "$TMP/mail.check"; }
expect_eq "two messages, no more" 2 "$(v count)"
expect_eq "envelope sender" "hostwatch@example.org,hostwatch@example.org" "$(v from)"
expect_eq "envelope recipients" \
	"ops@example.org,oncall@example.org;ops@example.org,oncall@example.org" "$(v rcpt)"
check "subjects: firing then resolved" \
	grep -q '^subjects \[FIRING:1\] SleeperUp.*|\[RESOLVED\] SleeperUp' "$TMP/mail.check"
expect_eq "a Message-ID each" 2 "$(v ids)"
expect_eq "the alert in each body" True "$(v body)"
expect_eq "counted" 2 "$(scrape_metric 'hostwatch_notifications_total{channel="ops",result="success"}')"
sleeper_stop
finish
