#!/bin/bash
# Webhooks end to end, through the daemon: an alert driven by a real
# process fires, resolves and fires again while the receivers are down;
# hostwatch is killed with -9 and started again; then the receivers come
# up, one answering 500 three times first. Every notification arrives
# exactly once (by webhook-id), in order, signed (Standard Webhooks and
# GitHub, verified by the receiver), with the configured header; nothing
# is notified twice after the restart; the journal has one entry per
# transition; secrets appear neither in the log nor on /metrics.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/journal_lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"

ensure_journald

STATE="$TMP/state"
mkdir -p "$STATE"
KEY_B64=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
GH_SECRET="gh-$RANDOM-secret-$RANDOM"
P1=$(free_port)
P2=$(free_port)
INSTANCE="notify-test-$$-$RANDOM"

notify_conf "$TMP/hw.conf" "$STATE" \
	"[notify]" "external_labels = instance=$INSTANCE" \
	"[webhook ops]" "url = http://127.0.0.1:$P1/hook" "format = json" \
	"group_by = ..." "group_wait = 0s" "group_interval = 1s" \
	"signature = standard" "secret = whsec_$KEY_B64" "header = X-Team: ops" \
	"[webhook gh]" "url = http://127.0.0.1:$P2/gh" "format = alertmanager" \
	"group_by = ..." "group_wait = 0s" "group_interval = 1s" \
	"signature = github" "secret = $GH_SECRET"

start_hostwatch hw1 --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1
Q='hostwatch_notification_queue_length{channel="ops"}'
QG='hostwatch_notification_queue_length{channel="gh"}'

# Three transitions while both receivers are down: firing, resolved,
# firing again; each one queued (spooled) before the next.
sleeper_start
check "firing queued" wait_metric "$Q" 1
sleeper_stop
check "resolved queued" wait_metric "$Q" 2
sleeper_start
check "firing again queued" wait_metric "$Q" 3
check "github channel queued all three" wait_metric "$QG" 3
retry=$(scrape_metric 'hostwatch_notifications_total{channel="ops",result="retry"}')
check "attempts against the dead receiver counted as retries ($retry)" \
	test "${retry%.*}" -ge 1
curl -fsS "$HW_URL/metrics" >"$TMP/metrics1.txt"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -n "$PROMTOOL" ]; then
	check "promtool check metrics accepts /metrics with the notifier's families" \
		bash -c "'$PROMTOOL' check metrics <'$TMP/metrics1.txt'"
fi
check "no secret on /metrics" \
	bash -c "! grep -qF -e '$KEY_B64' -e '$GH_SECRET' '$TMP/metrics1.txt'"

# kill -9, and a new process on the same state directory
sleep 0.5
kill -9 "$HW_PID"
wait "$HW_PID" 2>/dev/null
start_hostwatch hw2 --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1
check "the spool survived kill -9" wait_metric "$Q" 3
sleep 3 # several evaluations and resends of the firing alert
expect_eq "nothing notified twice after the restart" 3 "$(scrape_metric "$Q")"

start_receiver "$TMP/ops.jsonl" "$P1" --standard-key "$KEY_B64" \
	--script '[{"status": 500, "times": 3}]' || exit 1
start_receiver "$TMP/gh.jsonl" "$P2" --github-secret "$GH_SECRET" || exit 1
check "queue drained" wait_metric "$Q" 0 150
check "github queue drained" wait_metric "$QG" 0 150
sleep 2 # anything extra would arrive now

"$PY" - "$TMP/ops.jsonl" >"$TMP/ops.check" <<'EOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in reqs if r["status"] == 200]
ids = [r["headers"].get("webhook-id") for r in ok]
print("requests", len(reqs))
print("delivered", len(ok))
print("unique", len(set(ids)))
print("failed_ids_retried", all(r["headers"].get("webhook-id") == ids[0]
      for r in reqs if r["status"] != 200))
print("signed", all(r.get("sig_standard") for r in reqs))
print("header", all(r["headers"].get("X-Team") == "ops" for r in reqs))
bodies = [json.loads(r["body"]) for r in ok]
print("statuses", ",".join(b["status"] for b in bodies))
starts = [b["alerts"][0]["startsAt"] for b in bodies]
print("order", starts[0] == starts[1] and starts[2] > starts[0])
EOF
cat "$TMP/ops.check" | sed 's/^/# /'
v() { sed -n "s/^$1 //p" "$TMP/ops.check"; }
expect_eq "500 three times, then three deliveries" 6 "$(v requests)"
expect_eq "each notification delivered once" 3 "$(v delivered)"
expect_eq "three distinct webhook-ids" 3 "$(v unique)"
expect_eq "the failed attempts carried the first one's id" True "$(v failed_ids_retried)"
expect_eq "every attempt signed (Standard Webhooks, verified)" True "$(v signed)"
expect_eq "configured header sent" True "$(v header)"
expect_eq "in order: firing, resolved, firing" firing,resolved,firing "$(v statuses)"
expect_eq "the resolved one is the first episode's, the last a new one" True "$(v order)"

"$PY" - "$TMP/gh.jsonl" >"$TMP/gh.check" <<'EOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
print("requests", len(reqs))
print("signed", all(r.get("sig_github") for r in reqs))
bodies = [json.loads(r["body"]) for r in reqs]
print("am", all(b["version"] == "4" for b in bodies))
print("statuses", ",".join(b["status"] for b in bodies))
EOF
v() { sed -n "s/^$1 //p" "$TMP/gh.check"; }
expect_eq "github channel: three requests" 3 "$(v requests)"
expect_eq "GitHub signature verified" True "$(v signed)"
expect_eq "Alertmanager webhook body (version 4)" True "$(v am)"
expect_eq "github channel in order" firing,resolved,firing "$(v statuses)"

expect_eq "successes counted" 3 \
	"$(scrape_metric 'hostwatch_notifications_total{channel="ops",result="success"}')"
check "no secret in the logs" \
	bash -c "! grep -qF -e '$KEY_B64' -e '$GH_SECRET' '$TMP/hw1.log' '$TMP/hw2.log'"

# The journal: firing, resolved, firing; once each despite the restart.
check "journal entries" journal_json "$TMP/j.json" 3 \
	ALERT_LABEL_INSTANCE="$INSTANCE"
"$PY" - "$TMP/j.json" >"$TMP/j.check" <<'EOF'
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
print("states", ",".join(e["ALERT_STATE"] for e in es))
print("prio", ",".join(e["PRIORITY"] for e in es))
EOF
v() { sed -n "s/^$1 //p" "$TMP/j.check"; }
expect_eq "journal: one entry per transition" firing,resolved,firing "$(v states)"
expect_eq "journal priorities (warning 4, resolved 5)" 4,5,4 "$(v prio)"

sleeper_stop
finish
