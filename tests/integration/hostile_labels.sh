#!/bin/bash
# A hostile container's label on every output path (issue 8, SECURITY.md):
# a container in a private dockerd carries a label value made to break
# formats (quotes, backslashes, newlines, braces, a C1 control, U+2028,
# a 4-byte character, a Slack @channel mention; 3,600 bytes in all), published as
# container_label_evil (--collector.docker.labels). A rule over the
# container's series fires an alert that carries it. Then each path must
# hold it escaped and cut at 1,023 bytes, on a character boundary:
#   /metrics (promtool check metrics; the value read back by
#   Prometheus's own parser, python3-prometheus-client), /api/v1/alerts
#   (JSON), the journal (the entry's field, byte for byte), a JSON webhook
#   and a Slack one (bodies parsed as JSON), and a real Alertmanager
#   (the alert read back from its API).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/docker_lib.sh"
. "$top_srcdir/tests/integration/journal_lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"

AM=${ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}
[ -n "$AM" ] || skip "prometheus-alertmanager is not installed"
PT=${PROMTOOL:-$(command -v promtool || true)}
[ -n "$PT" ] || skip "promtool is not installed"

dk_setup
ensure_journald
# both libraries' cleanups, whichever runs last (journald_cleanup ends in
# lib.sh's cleanup and the exit)
trap 'hl_rc=$?; dk_cleanup; (exit $hl_rc); journald_cleanup' EXIT

# The value: every character that has a meaning in one of the formats,
# then padding past the bound with 2- and 4-byte characters so that the
# cut falls inside one of them unless it is made at a boundary.
EVIL=$("$PY" -c '
import sys
head = "q\"uo\\te}{x=\"y\",\n{{ .Labels }}\t<b><!channel>&amp;\u0085\u2028\U0001F600 end"
pad = "\u00e9\U0001F600" * 600
sys.stdout.write(head + pad)')
printf '%s' "$EVIL" >"$TMP/evil.raw"
# What every output must hold: the first 1,023 bytes or fewer, cut at a
# character boundary (src/docker/parse.c).
"$PY" - "$TMP/evil.raw" "$TMP/evil.want" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
cut = b[:1023]
while True:
    try:
        cut.decode("utf-8")
        break
    except UnicodeDecodeError:
        cut = cut[:-1]
open(sys.argv[2], "wb").write(cut)
print("# label value: %d bytes offered, %d kept" % (len(b), len(cut)))
EOF
check "the offered value is longer than the bound" test "$(wc -c <"$TMP/evil.raw")" -gt 1023

dk_run evil --label "evil=$EVIL" "$DK_IMAGE" sleep 3600 ||
	{ echo "docker run failed"; exit 1; }

# A real Alertmanager, and a receiver of our own for the JSON and Slack
# bodies (what they are is checked by parsing them, not by the receiver).
RP=$(free_port)
start_receiver "$TMP/hooks.jsonl" "$RP" || exit 1
cat >"$TMP/am.yml" <<EOF
route:
  receiver: none
receivers:
  - name: none
EOF
spawn_on_port "$TMP/am.log" "address=127.0.0.1:@PORT@" "$AM" \
	--config.file="$TMP/am.yml" --storage.path="$TMP/am" \
	--cluster.listen-address= --web.listen-address=127.0.0.1:@PORT@ || exit 1
AMP=$SPAWN_PORT
check "Alertmanager ready" wait_http "http://127.0.0.1:$AMP/-/ready"

STATE=$TMP/state
mkdir -p "$STATE"
cat >"$TMP/hw.conf" <<EOF
[rules]
evaluation_interval = 1s
defaults = off
[paths]
state_directory = $STATE
[notify]
resend_delay = 1s
retry_initial_interval = 200ms
[alert EvilContainer]
expr = container_memory_usage_bytes{container_label_evil!=""} >= 0
labels.severity = warning
annotations.summary = container {{ \$labels.name }}: {{ \$labels.container_label_evil }}
[webhook json]
url = http://127.0.0.1:$RP/json
format = json
group_wait = 0s
[webhook slack]
url = http://127.0.0.1:$RP/slack
format = slack
group_wait = 0s
[webhook am]
url = http://127.0.0.1:$AMP
format = alertmanager-api
EOF
start_hostwatch hw --config.file="$TMP/hw.conf" \
	--collector.disable-defaults --collector.docker --collector.cgroup \
	--collector.docker.socket="$DK_SOCK" --collector.docker.labels=evil || exit 1

# ---- /metrics ----------------------------------------------------------------
for _ in $(seq 100); do
	curl -fsS -o "$TMP/m" "$HW_URL/metrics" &&
		grep -q '^container_memory_usage_bytes{.*name="evil"' "$TMP/m" && break
	sleep 0.2
done
check "the container is published with its label" \
	grep -q '^container_memory_usage_bytes{.*container_label_evil=.*name="evil"' "$TMP/m"
check "promtool check metrics accepts /metrics" bash -c "'$PT' check metrics <'$TMP/m'"
# Read back by Prometheus's Python parser: the label value unescaped must be
# the bounded value, byte for byte.
"$PY" - "$TMP/m" "$TMP/evil.want" >"$TMP/parsed" 2>&1 <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
want = open(sys.argv[2], "rb").read().decode()
found = 0
for fam in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    for s in fam.samples:
        if s.labels.get("name") == "evil" and "container_label_evil" in s.labels:
            found += 1
            if s.labels["container_label_evil"] != want:
                print("differs in", s.name)
                sys.exit(1)
print(found)
sys.exit(0 if found else 1)
EOF
rc=$?
check "every container sample's label parses back to the bounded value ($(tail -n1 "$TMP/parsed") samples)" \
	test "$rc" = 0

# ---- the alert: HTTP API, journal, webhooks, Alertmanager --------------------
for _ in $(seq 100); do
	curl -fsS -o "$TMP/alerts.json" "$HW_URL/api/v1/alerts" &&
		grep -q '"state":"firing"' "$TMP/alerts.json" && break
	sleep 0.2
done
label_in_json() { # FILE PYTHON-EXPRESSION-ON-doc: prints the value
	"$PY" -c '
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2])
sys.stdout.buffer.write(v.encode("utf-8"))' "$1" "$2"
}
label_in_json "$TMP/alerts.json" \
	'[a for a in doc["data"]["alerts"] if a["labels"]["alertname"] == "EvilContainer"][0]["labels"]["container_label_evil"]' \
	>"$TMP/api.value" 2>"$TMP/api.err"
check "/api/v1/alerts: valid JSON, the label is the bounded value" cmp -s "$TMP/api.value" "$TMP/evil.want"

# this daemon's entries only: the journal keeps earlier runs'
if journal_json "$TMP/journal.json" 1 ALERT_NAME=EvilContainer _PID="$HW_PID"; then
	"$PY" - "$TMP/journal.json" "$TMP/evil.want" >"$TMP/journal.check" 2>&1 <<'EOF'
import json, sys
want = open(sys.argv[2], "rb").read()
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    v = e.get("ALERT_LABEL_CONTAINER_LABEL_EVIL")
    if v is None:
        continue
    # journalctl -o json writes non-UTF-8 or control-bearing fields as
    # byte arrays, text otherwise
    b = bytes(v) if isinstance(v, list) else v.encode("utf-8")
    sys.exit(0 if b == want else 1)
sys.exit(1)
EOF
	rc=$?
	check "the journal's ALERT_LABEL_CONTAINER_LABEL_EVIL is the bounded value, byte for byte" \
		test "$rc" = 0
else
	not_ok "the alert reached the journal"
fi

for _ in $(seq 100); do
	[ "$(grep -c '"path": "/json"' "$TMP/hooks.jsonl" 2>/dev/null)" -ge 1 ] &&
		[ "$(grep -c '"path": "/slack"' "$TMP/hooks.jsonl" 2>/dev/null)" -ge 1 ] && break
	sleep 0.2
done
"$PY" - "$TMP/hooks.jsonl" "$TMP/evil.want" >"$TMP/hooks.check" 2>&1 <<'EOF'
import json, sys
want = open(sys.argv[2], "rb").read().decode()
ok_json = ok_slack = False
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    body = json.loads(r["body"])  # the body is JSON, or this raises
    if r["path"] == "/json":
        for a in body["alerts"]:
            ok_json |= a["labels"].get("container_label_evil") == want
    elif r["path"] == "/slack":
        # the summary's text, somewhere in the message's blocks
        def strings(x):
            if isinstance(x, str):
                yield x
            elif isinstance(x, dict):
                for v in x.values():
                    yield from strings(v)
            elif isinstance(x, list):
                for v in x:
                    yield from strings(v)
        # Slack's text escaping (its API: &, < and > as entities), so a
        # label cannot become a link or an @channel mention; the rest of
        # the value as it is
        texts = list(strings(body))
        marker = want[want.index(" end"):][:200]
        ok_slack |= (any("&lt;!channel&gt;" in t for t in texts) and
                     not any("<!channel>" in t for t in texts) and
                     any(marker in t for t in texts))
print("json", ok_json, "slack", ok_slack)
if not ok_slack:
    for line in open(sys.argv[1], encoding="utf-8"):
        r = json.loads(line)
        if r["path"] == "/slack":
            sys.stderr.write(r["body"][:1500] + "\n")
sys.exit(0 if ok_json and ok_slack else 1)
EOF
rc=$?
check "webhook bodies (json, slack) are valid JSON holding the bounded value ($(cat "$TMP/hooks.check"))" \
	test "$rc" = 0

for _ in $(seq 100); do
	curl -fsS -o "$TMP/am-alerts.json" "http://127.0.0.1:$AMP/api/v2/alerts" &&
		grep -q EvilContainer "$TMP/am-alerts.json" && break
	sleep 0.2
done
label_in_json "$TMP/am-alerts.json" \
	'[a for a in doc if a["labels"]["alertname"] == "EvilContainer"][0]["labels"]["container_label_evil"]' \
	>"$TMP/am.value" 2>"$TMP/am.err"
check "Alertmanager received the alert with the bounded value, byte for byte" \
	cmp -s "$TMP/am.value" "$TMP/evil.want"
check "hostwatch is alive and serving" curl -fsS -o /dev/null "$HW_URL/metrics"
finish
