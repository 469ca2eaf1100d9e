#!/bin/bash
# The rule engine inside the daemon: sampling real collectors every second,
# recording and alerting rules from hostwatch.conf sections and from a
# Prometheus rule file, pending -> firing, ALERTS on /metrics (checked by
# promtool), /api/v1/alerts and /api/v1/rules in Prometheus's shapes,
# hysteresis (`clear`) with real processes, states surviving a restart
# (not announced twice) and a SIGHUP reload, the store's series cap, and
# bad rules refused at start-up with FILE:LINE and exit code 2.
. "$top_srcdir/tests/integration/lib.sh"

PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
STATE="$TMP/state"
mkdir -p "$STATE" "$TMP/rules.d"
cp /bin/sleep "$TMP/hwsleeper"

cat >"$TMP/rules.d/file.yml" <<'EOF'
groups:
  - name: from-a-file
    rules:
      - record: hw_test:memory_total_mib
        expr: node_memory_MemTotal_bytes / 1024 / 1024
        labels:
          source: file
EOF

write_conf() { # FOR_OF_TestFiring
	cat >"$TMP/hw.conf" <<EOF
[rules]
evaluation_interval = 1s
defaults = off
files = rules.d/*.yml

[paths]
state_directory = $STATE

[process sleeper]
comm = ^hwsleeper\$

[record hw_test:load_series]
expr = count(node_load1 >= 0)
labels.kind = test

[alert TestFiring]
expr = node_load1 >= 0
for = $1
labels.severity = page
annotations.summary = load is {{ \$value }}
# \$labels are the expression's labels, as in Prometheus: not the rule's
annotations.severity = [{{ \$labels.severity }}]

[alert TestNever]
expr = node_load1 < 0

# Down while no process runs; resolved only once two run again.
[alert SleeperDown]
expr = hostwatch_process_group_up{groupname="sleeper"} == 0
clear = namedprocess_namegroup_num_procs{groupname="sleeper"} >= 2
labels.severity = critical
annotations.summary = {{ \$labels.groupname }} is down
EOF
}
write_conf 2s
ARGS=(--config.file="$TMP/hw.conf" --collector.disable-defaults
	--collector.loadavg --collector.meminfo --collector.process_groups)

# alerts_json NAME: "state activeAt value" of alert NAME, or "none"
alert_of() {
	curl -fsS "$HW_URL/api/v1/alerts" | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success"
for a in d["data"]["alerts"]:
    if a["labels"]["alertname"] == sys.argv[1]:
        print(a["state"], a["activeAt"], a["value"]); break
else:
    print("none")' "$1"
}
# wait_state NAME STATE [TRIES]: poll every 0.2 s
wait_state() {
	local i s
	for i in $(seq "${3:-50}"); do
		s=$(alert_of "$1" | cut -d' ' -f1)
		[ "$s" = "$2" ] && return 0
		sleep 0.2
	done
	echo "# $1 is '$s', not '$2'"
	return 1
}

start_hostwatch rules "${ARGS[@]}" || exit 1
check "TestFiring becomes pending" wait_state TestFiring pending
check "TestFiring fires after for: 2s" wait_state TestFiring firing 30
check "SleeperDown fires without a sleeper" wait_state SleeperDown firing
expect_eq "TestNever stays inactive" none "$(alert_of TestNever)"
check "\$labels in an annotation" sh -c "curl -fsS '$HW_URL/api/v1/alerts' | grep -q '\"summary\":\"sleeper is down\"'"

# /api/v1/alerts: Prometheus's fields and formats
curl -fsS "$HW_URL/api/v1/alerts" >"$TMP/alerts.json"
check "/api/v1/alerts has Prometheus's shape" $PY - "$TMP/alerts.json" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
a = [x for x in d["data"]["alerts"] if x["labels"]["alertname"] == "TestFiring"][0]
assert set(a) == {"labels", "annotations", "state", "activeAt", "value"}, a
assert a["labels"]["severity"] == "page" and "instance" not in a["labels"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", a["activeAt"]), a
v = float(a["value"])
assert re.fullmatch(r"-?\d(\.\d+)?e[+-]\d\d", a["value"]), a["value"]
assert a["annotations"]["severity"] == "[]", a
assert a["annotations"]["summary"].startswith("load is "), a
EOF

# /metrics: recorded series, ALERTS, the engine's own metrics; valid text
curl -fsS "$HW_URL/metrics" >"$TMP/metrics.txt"
check "ALERTS of the firing alert" grep -q '^ALERTS{alertname="TestFiring",alertstate="firing",severity="page"} 1$' "$TMP/metrics.txt"
check "ALERTS_FOR_STATE of the firing alert" grep -q '^ALERTS_FOR_STATE{alertname="TestFiring",severity="page"} [0-9]' "$TMP/metrics.txt"
check "recording rule from the config file" grep -q '^hw_test:load_series{kind="test"} 1$' "$TMP/metrics.txt"
check "recording rule from a rule file" grep -q '^hw_test:memory_total_mib{source="file"} [0-9]' "$TMP/metrics.txt"
check "hostwatch_rule_series published" grep -q '^hostwatch_rule_series [1-9]' "$TMP/metrics.txt"
check "hostwatch_rule_samples published" grep -q '^hostwatch_rule_samples [1-9]' "$TMP/metrics.txt"
if [ -n "$PROMTOOL" ]; then
	# node_exporter's own camelCase names and recording rules' colons
	# (Prometheus's naming convention for them) are lints, not errors
	check "promtool check metrics accepts /metrics with rules" \
		sh -c "'$PROMTOOL' check metrics <'$TMP/metrics.txt' 2>&1 | grep -v -e \"should be written in 'snake_case'\" -e \"should not contain ':'\" | { ! grep -q .; }"
fi
# a collect[] filter asks for collectors only
check "collect[] leaves the rules' series out" sh -c "curl -fsS '$HW_URL/metrics?collect[]=loadavg' | { ! grep -q '^ALERTS'; }"

# /api/v1/rules
curl -fsS "$HW_URL/api/v1/rules" >"$TMP/rules.json"
check "/api/v1/rules has Prometheus's shape" $PY - "$TMP/rules.json" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))["data"]["groups"]
names = [x["name"] for x in g]
assert names == ["hw.conf", "from-a-file"], names
assert g[0]["file"].endswith("/hw.conf") and g[0]["interval"] == 1, g[0]
rules = {r["name"]: r for r in g[0]["rules"]}
r = rules["TestFiring"]
assert r["type"] == "alerting" and r["state"] == "firing" and r["health"] == "ok", r
assert r["duration"] == 2 and r["query"] == "node_load1 >= 0", r
assert r["labels"] == {"severity": "page"} and len(r["alerts"]) == 1, r
assert rules["TestNever"]["state"] == "inactive" and rules["TestNever"]["alerts"] == []
rec = rules["hw_test:load_series"]
assert rec["type"] == "recording" and rec["labels"] == {"kind": "test"}, rec
assert rec["query"] == "count(node_load1 >= 0)", rec
for x in g[0]["rules"] + g[1]["rules"]:
    assert x["lastEvaluation"] != "0001-01-01T00:00:00Z", x
EOF
check "?type=record lists recording rules only" sh -c "curl -fsS '$HW_URL/api/v1/rules?type=record' | $PY -c 'import json,sys; g=json.load(sys.stdin)[\"data\"][\"groups\"]; assert {r[\"type\"] for x in g for r in x[\"rules\"]} == {\"recording\"}'"
expect_eq "?type=nonsense is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$HW_URL/api/v1/rules?type=nonsense")"

# Hysteresis: one sleeper ends the condition but not `clear`
"$TMP/hwsleeper" 300 & S1=$!; PIDS+=("$S1")
sleep 3
expect_eq "SleeperDown keeps firing with one process (clear needs two)" firing "$(alert_of SleeperDown | cut -d' ' -f1)"
"$TMP/hwsleeper" 300 & S2=$!; PIDS+=("$S2")
check "SleeperDown resolves once clear matches" wait_state SleeperDown none
check "the resolution is logged" grep -q 'alert SleeperDown resolved' "$TMP/rules.log"

# SIGHUP with the same rules keeps every state
before=$(alert_of TestFiring)
kill -HUP "$HW_PID"
for _ in $(seq 50); do grep -q "configuration reloaded" "$TMP/rules.log" && break; sleep 0.1; done
sleep 1.5
after=$(alert_of TestFiring)
expect_eq "reload keeps a firing alert's activeAt" "$(echo "$before" | cut -d' ' -f1,2)" "$(echo "$after" | cut -d' ' -f1,2)"

# Restart: the firing alert comes back as it was, and is not announced again
kill -TERM "$HW_PID"; wait "$HW_PID" 2>/dev/null
check "states saved at exit" grep -q TestFiring "$STATE/alerts.json"
start_hostwatch rules2 "${ARGS[@]}" || exit 1
sleep 1.5
after=$(alert_of TestFiring)
expect_eq "a restart keeps the firing alert and its activeAt" "$(echo "$before" | cut -d' ' -f1,2)" "$(echo "$after" | cut -d' ' -f1,2)"
check "not announced again after the restart" sh -c "! grep -q 'alert TestFiring firing' '$TMP/rules2.log'"

# A changed rule starts again (pending), as Prometheus's reload does
write_conf 30s
kill -HUP "$HW_PID"
for _ in $(seq 50); do grep -q "configuration reloaded" "$TMP/rules2.log" && break; sleep 0.1; done
check "a rule whose for changed starts pending again" wait_state TestFiring pending 20
kill -TERM "$HW_PID"; wait "$HW_PID" 2>/dev/null

# The series cap: a rule selecting everything, a cap of 100
cat >"$TMP/cap.conf" <<EOF
[rules]
evaluation_interval = 1s
defaults = off
max_series = 100
[paths]
state_directory = $STATE
[record everything]
expr = count({__name__=~".+"})
EOF
start_hostwatch cap --config.file="$TMP/cap.conf" || exit 1
sleep 2.5
curl -fsS "$HW_URL/metrics" >"$TMP/cap.txt"
expect_eq "the store holds at most max_series" 100 "$(sed -n 's/^hostwatch_rule_series \([0-9]*\)$/\1/p' "$TMP/cap.txt")"
check "series beyond the cap are counted" grep -q '^hostwatch_rule_series_dropped_total [1-9]' "$TMP/cap.txt"
expect_eq "the cap is logged once" 1 "$(grep -c 'series cap 100 reached' "$TMP/cap.log")"
kill -TERM "$HW_PID"; wait "$HW_PID" 2>/dev/null

# Bad rules: exit code 2, FILE:LINE (and the column in the expression)
bad() { # DESCRIPTION EXPECTED-MESSAGE-REGEX CONFIG-TEXT
	printf '%s\n' "$3" >"$TMP/bad.conf"
	"$HOSTWATCH" --config.file="$TMP/bad.conf" --check-config >"$TMP/bad.out" 2>&1
	local rc=$?
	if [ $rc -eq 2 ] && grep -Eq -- "$2" "$TMP/bad.out"; then ok "$1"; else
		not_ok "$1: exit $rc: $(cat "$TMP/bad.out")"; fi
}
bad "a range vector where an instant vector is needed" \
	"bad.conf:3: \[alert X\] expr: .*range vector" \
	$'[rules]\n[alert X]\nexpr = node_load1[5m]'
bad "a PromQL syntax error names the column" \
	"bad.conf:2: \[record r\] expr: column 15: unexpected end of input" \
	$'[record r]\nexpr = sum(node_load1'
bad "a function outside the subset" \
	"bad.conf:2: \[record r\] expr: column 1: function \"histogram_quantile\" is not supported" \
	$'[record r]\nexpr = histogram_quantile(0.9, x)'
bad "a section without expr" \
	"bad.conf:1: \[alert X\]: no expr" \
	$'[alert X]\nfor = 5m'
bad "a bad duration" \
	"bad.conf:3: \[alert X\] for: \"5 minutes\" is not a duration" \
	$'[alert X]\nexpr = up == 0\nfor = 5 minutes'
bad "a bad template" \
	"bad.conf:3: \[alert X\] annotations.summary: " \
	$'[alert X]\nexpr = up == 0\nannotations.summary = {{ $value | nosuchfunc }}'
bad "an unknown key" \
	"bad.conf:3: \[record r\] for: unknown key" \
	$'[record r]\nexpr = up\nfor = 5m'
printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n' >"$TMP/rules.d/broken.yml"
bad "a broken rule file names its FILE:LINE" \
	"broken.yml:5: " \
	$'[rules]\nfiles = '"$TMP"$'/rules.d/broken.yml'
bad "a missing rule file" \
	"missing.yml: No such file" \
	$'[rules]\nfiles = '"$TMP"$'/missing.yml'

finish
