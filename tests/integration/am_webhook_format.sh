#!/bin/bash
# The alertmanager webhook body against the real thing: the real
# Alertmanager 0.25 (prometheus-alertmanager) gets a firing and a resolved
# alert on /api/v2/alerts and posts its webhook body to a receiver this
# test runs; hostwatch's body for the same group (notify_body_dump) must
# have the same keys in the same order at every level and the same values
# -- and, given AM's externalURL, the same bytes. Then the
# alertmanager-api body is posted to the same Alertmanager, which must
# take it and show the alert with its labels, annotations and times.
. "$top_srcdir/tests/integration/lib.sh"

AM=${ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
DUMP="$top_builddir/tests/unit/notify_body_dump"
[ -x "$AM" ] || skip "no $AM"
[ -x "$DUMP" ] || skip "no $DUMP (make check builds it)"
command -v curl >/dev/null || skip "no curl"

mkdir -p "$TMP/bodies" "$TMP/am-data"

# The webhook receiver: each POST body into bodies/N.json (renamed into
# place, so a reader never sees half a body).
cat >"$TMP/receiver.py" <<'EOF'
import http.server, itertools, os, sys
out, n = sys.argv[1], itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        tmp = os.path.join(out, ".tmp")
        with open(tmp, "wb") as f:
            f.write(body)
        os.rename(tmp, os.path.join(out, "%d.json" % next(n)))
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print("listening", s.server_address[1], flush=True)
s.serve_forever()
EOF
$PY "$TMP/receiver.py" "$TMP/bodies" >"$TMP/receiver.log" 2>&1 &
PIDS+=($!)
RPORT=
for _ in $(seq 100); do
	RPORT=$(awk '/^listening/ {print $2}' "$TMP/receiver.log")
	[ -n "$RPORT" ] && break
	sleep 0.05
done
[ -n "$RPORT" ] || { cat "$TMP/receiver.log"; exit 1; }

cat >"$TMP/am.yml" <<EOF
route:
  receiver: hw
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1h
  repeat_interval: 1h
receivers:
  - name: hw
    webhook_configs:
      - url: http://127.0.0.1:$RPORT/hook
        send_resolved: true
EOF
spawn_on_port "$TMP/am.log" 'msg="Listening on" address=127.0.0.1:@PORT@' \
	"$AM" --config.file="$TMP/am.yml" --storage.path="$TMP/am-data" \
	--web.listen-address=127.0.0.1:@PORT@ --cluster.listen-address= ||
	exit 1
AMURL="http://127.0.0.1:$SPAWN_PORT"
wait_http "$AMURL/-/ready" || { cat "$TMP/am.log"; exit 1; }

# The group: one alert firing, one resolved (endsAt in the past), with
# the characters Go's encoder escapes in a label and non-ASCII in an
# annotation. Times fixed, in ms for hostwatch.
T0=1704164645123 # 2024-01-02T03:04:05.123Z
cat >"$TMP/alerts.json" <<'EOF'
[{"labels": {"alertname": "HostHighCpu", "severity": "warning",
             "instance": "web1", "note": "a<b>&c \"q\" \\ \u00e9"},
  "annotations": {"summary": "CPU high on web1", "runbook": "http://r",
                  "description": "caf\u00e9 \ud83d\ude00\nline 2"},
  "startsAt": "2024-01-02T03:04:05.123Z",
  "generatorURL": "http://web1:9100/graph?g0.expr=cpu"},
 {"labels": {"alertname": "HostHighCpu", "severity": "critical",
             "instance": "web2"},
  "annotations": {"summary": "CPU high on web2", "runbook": "http://r"},
  "startsAt": "2024-01-02T03:04:05.5Z",
  "endsAt": "2024-01-02T03:05:05.120Z",
  "generatorURL": "http://web1:9100/graph?g0.expr=cpu"}]
EOF
code=$(curl -sS -o "$TMP/post.out" -w '%{http_code}' -XPOST \
	-H 'Content-Type: application/json' --data-binary @"$TMP/alerts.json" \
	"$AMURL/api/v2/alerts")
expect_eq "Alertmanager takes the alerts" 200 "$code"

for _ in $(seq 200); do
	[ -e "$TMP/bodies/0.json" ] && break
	sleep 0.05
done
check "Alertmanager posted a webhook body" test -s "$TMP/bodies/0.json"
[ -s "$TMP/bodies/0.json" ] || { cat "$TMP/am.log"; finish; }

# The same group for notify_body_dump; externalURL as AM reported its
# own, so that the bytes can be compared too.
$PY - "$TMP/alerts.json" "$TMP/bodies/0.json" "$T0" >"$TMP/group.json" <<'EOF'
import json, sys
alerts = json.load(open(sys.argv[1]))
am = json.load(open(sys.argv[2]))
t0 = int(sys.argv[3])
print(json.dumps({
    "receiver": "hw", "groupKey": '{}:{alertname="HostHighCpu"}',
    "groupLabels": {"alertname": "HostHighCpu"},
    "externalURL": am["externalURL"], "now": t0 + 60000,
    "alerts": [
        dict(labels=alerts[0]["labels"], annotations=alerts[0]["annotations"],
             startsAt=t0, endsAt=t0 + 300000, value=93.2,
             generatorURL=alerts[0]["generatorURL"]),
        dict(labels=alerts[1]["labels"], annotations=alerts[1]["annotations"],
             startsAt=1704164645500, endsAt=1704164705120, resolved=True,
             value=1, generatorURL=alerts[1]["generatorURL"]),
    ]}))
EOF
"$DUMP" alertmanager "$TMP/group.json" >"$TMP/ours.json"
expect_eq "notify_body_dump makes the alertmanager body" 0 $?

# Keys in order at every level; the values that must agree.
$PY - "$TMP/bodies/0.json" "$TMP/ours.json" >"$TMP/compare.out" 2>&1 <<'EOF'
import json, sys
class Obj(list):  # an object's (key, value) pairs, in the text's order
    pass
def load(p):
    return json.load(open(p), object_pairs_hook=Obj)
am, ours = load(sys.argv[1]), load(sys.argv[2])
bad = []
def keys(a, b, path):
    if isinstance(a, Obj) != isinstance(b, Obj) or isinstance(a, list) != isinstance(b, list):
        bad.append("%s: different types" % path)
    elif isinstance(a, Obj):
        ka, kb = [k for k, _ in a], [k for k, _ in b]
        if ka != kb:
            bad.append("%s: keys %s vs %s" % (path, ka, kb))
        for (k, va), (_, vb) in zip(a, b):
            keys(va, vb, path + "." + k)
    elif isinstance(a, list):
        if len(a) != len(b):
            bad.append("%s: %d vs %d items" % (path, len(a), len(b)))
        for i, (va, vb) in enumerate(zip(a, b)):
            keys(va, vb, "%s[%d]" % (path, i))
keys(am, ours, "")
A, O = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("version", "status", "receiver", "groupLabels", "commonLabels",
          "commonAnnotations", "groupKey", "truncatedAlerts"):
    if A[k] != O[k]:
        bad.append("%s: %r vs %r" % (k, A[k], O[k]))
for i, (a, o) in enumerate(zip(A["alerts"], O["alerts"])):
    for k in ("status", "labels", "annotations", "startsAt", "endsAt",
              "fingerprint", "generatorURL"):
        if a[k] != o[k]:
            bad.append("alerts[%d].%s: %r vs %r" % (i, k, a[k], o[k]))
print("\n".join(bad) or "same")
EOF
expect_eq "same keys in the same order, same values" same "$(cat "$TMP/compare.out")"
if cmp -s "$TMP/bodies/0.json" "$TMP/ours.json"; then
	ok "byte for byte the body Alertmanager posted"
else
	not_ok "bytes differ"
	cat "$TMP/bodies/0.json" "$TMP/ours.json"
fi
expect_eq "the group key AM made" '{}:{alertname="HostHighCpu"}' \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["groupKey"])' "$TMP/bodies/0.json")"

# alertmanager-api: our POST /api/v2/alerts body, to the real AM. Times
# relative to now, so that AM keeps the alert active.
now=$(($(date +%s) * 1000))
cat >"$TMP/api-group.json" <<EOF
{"receiver": "hw", "groupKey": "k", "groupLabels": {"alertname": "HwApi"},
 "now": $now,
 "alerts": [{"labels": {"alertname": "HwApi", "instance": "web9"},
             "annotations": {"summary": "from hostwatch"},
             "startsAt": $((now - 60000)), "endsAt": $((now + 3600123)),
             "value": 1, "generatorURL": "http://web9:9100/graph"}]}
EOF
"$DUMP" alertmanager-api "$TMP/api-group.json" >"$TMP/api.json"
expect_eq "notify_body_dump makes the alertmanager-api body" 0 $?
code=$(curl -sS -o "$TMP/api.out" -w '%{http_code}' -XPOST \
	-H 'Content-Type: application/json' --data-binary @"$TMP/api.json" \
	"$AMURL/api/v2/alerts")
expect_eq "Alertmanager takes our alertmanager-api body" 200 "$code"
curl -sS "$AMURL/api/v2/alerts?filter=alertname%3D%22HwApi%22" >"$TMP/api-get.json"
got=$($PY - "$TMP/api-get.json" "$now" <<'EOF'
import json, sys, datetime
a = json.load(open(sys.argv[1]))
now = int(sys.argv[2])
def ms(s):
    return round(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
if len(a) != 1:
    print("%d alerts" % len(a)); sys.exit()
a = a[0]
print(a["labels"] == {"alertname": "HwApi", "instance": "web9"},
      a["annotations"] == {"summary": "from hostwatch"},
      ms(a["startsAt"]) == now - 60000, ms(a["endsAt"]) == now + 3600123,
      a["generatorURL"], a["status"]["state"])
EOF
)
expect_eq "Alertmanager shows our alert as sent" \
	"True True True True http://web9:9100/graph active" "$got"

finish
