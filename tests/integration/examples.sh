#!/bin/bash
# The installed examples (examples/, README "Installing") against the real
# tools: the Prometheus scrape job with its rule file (promtool check
# config), the rule file that is the default rules themselves (promtool
# check rules), the Alertmanager receiver (amtool check-config), and the
# Grafana dashboard: valid JSON, every expression valid PromQL (promtool,
# as recording rules), and every metric name it uses published by a real
# hostwatch this test starts.
. "$top_srcdir/tests/integration/lib.sh"

EX="$top_srcdir/examples"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
AMTOOL=$(command -v amtool || true)
[ -n "$PROMTOOL" ] || skip "promtool not found (Debian package prometheus)"
[ -n "$AMTOOL" ] || skip "amtool not found (Debian package prometheus-alertmanager)"

# prometheus.yml loads hostwatch.rules.yml from its own directory, which is
# how `make install` lays them out ($(docdir)/examples): the rule file is
# etc/default.rules.yml installed under that name.
mkdir -p "$TMP/ex"
cp "$EX/prometheus.yml" "$TMP/ex/"
cp "$top_srcdir/etc/default.rules.yml" "$TMP/ex/hostwatch.rules.yml"
check "promtool check config prometheus.yml (with its rule file)" \
	"$PROMTOOL" check config "$TMP/ex/prometheus.yml"
check "prometheus.yml has the node job at :9100" \
	grep -qE '^  - job_name: node$' "$EX/prometheus.yml"
check "prometheus.yml targets HOST:9100" grep -q '"HOST:9100"' "$EX/prometheus.yml"
check "prometheus.yml scrapes every 15s" grep -q '^  scrape_interval: 15s$' "$EX/prometheus.yml"
check "promtool check rules hostwatch.rules.yml" \
	"$PROMTOOL" check rules "$TMP/ex/hostwatch.rules.yml"
# A second copy in examples/ would drift from the default rules.
check "no second copy of the rules in examples/" test ! -e "$EX/hostwatch.rules.yml"
check "amtool check-config alertmanager.yml" "$AMTOOL" check-config "$EX/alertmanager.yml"
check "alertmanager.yml explains format = alertmanager-api" \
	grep -q 'format = alertmanager-api' "$EX/alertmanager.yml"

DASH="$EX/grafana-dashboard.json"
check "grafana-dashboard.json is valid JSON" $PY -m json.tool "$DASH" /dev/null

# Every panel expression, with Grafana's variables replaced, as a recording
# rule: promtool parses it as Prometheus would.
$PY - "$DASH" "$TMP/dash.rules.yml" "$TMP/dash.names" <<'EOF'
import json, re, sys
dash = json.load(open(sys.argv[1]))
exprs = []
def walk(panels):
    for p in panels:
        walk(p.get("panels", []))
        for t in p.get("targets", []):
            exprs.append((p["title"], t["expr"]))
walk(dash["panels"])
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (_, e) in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$instance", ".*")
        f.write("      - record: dashboard:expr%d\n        expr: %s\n" % (i, json.dumps(e)))
# Metric names: drop strings, label matchers, ranges and grouping clauses,
# then every identifier not called as a function and not a keyword.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "bool", "offset", "inf", "nan"}
names = set()
for _, e in exprs:
    e = re.sub(r'"(\\.|[^"\\])*"', '""', e)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\w+", "", e)
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or m.group(0).lower() in KEYWORDS:
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue  # 1e3, 0.5
        names.add(m.group(0))
# Template variables: label_values(METRIC{...}, label).
for v in dash.get("templating", {}).get("list", []):
    for m in re.finditer(r"label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)", v.get("definition", "")):
        names.add(m.group(1))
open(sys.argv[3], "w").write("".join(n + "\n" for n in sorted(names)))
print("dashboard: %d expressions, %d metric names" % (len(exprs), len(names)))
EOF
check "every dashboard expression is valid PromQL (promtool check rules)" \
	"$PROMTOOL" check rules "$TMP/dash.rules.yml"
n_names=$(wc -l <"$TMP/dash.names")
check "the dashboard uses metric names ($n_names)" test "$n_names" -ge 20

# A real hostwatch with what the dashboard shows: a process group with a
# process in it, an alert that fires at once, the default rules.
cp /bin/sleep "$TMP/hwexsleeper"
"$TMP/hwexsleeper" 300 &
PIDS+=($!)
cat >"$TMP/hw.conf" <<EOF
[rules]
evaluation_interval = 1s
defaults_file = $top_srcdir/etc/default.rules.yml

[paths]
state_directory = $TMP/state

[process exsleeper]
comm = ^hwexsleeper\$

[alert ExampleAlwaysFiring]
expr = node_load1 >= 0
labels.severity = warning
EOF
mkdir -p "$TMP/state"
start_hostwatch ex --config.file="$TMP/hw.conf" --no-notify.journal || { finish; }
for _ in $(seq 100); do
	curl -fsS "$HW_URL/metrics" >"$TMP/scrape" 2>/dev/null
	grep -q '^ALERTS{' "$TMP/scrape" && break
	sleep 0.1
done
check "the scrape has ALERTS (the rule fired)" grep -q '^ALERTS{' "$TMP/scrape"
sed -n 's/^\([A-Za-z_:][A-Za-z0-9_:]*\)[{ ].*/\1/p' "$TMP/scrape" | sort -u >"$TMP/scraped"

# Names this host cannot show. The docker collector publishes these only
# for a container that exists (docker.sh starts a private dockerd for
# that); the systemd collector is off by default and needs a running
# systemd (the booted-container test checks it). Those must at least be in
# the source.
NOT_ON_THIS_HOST="
hostwatch_container_restarts_total
node_systemd_service_restart_total
"
missing=
for n in $(cat "$TMP/dash.names"); do
	if grep -qx "$n" "$TMP/scraped"; then
		continue
	elif printf '%s\n' $NOT_ON_THIS_HOST | grep -qx "$n"; then
		grep -rqF "\"$n" "$top_srcdir/src" || missing="$missing $n(not in src)"
	else
		missing="$missing $n"
	fi
done
expect_eq "every metric the dashboard uses is published" "" "$missing"
for n in $NOT_ON_THIS_HOST; do
	check "$n (not producible here) is used by the dashboard" grep -qx "$n" "$TMP/dash.names"
done
finish
