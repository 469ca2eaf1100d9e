#!/bin/bash
# hostwatch pushing to real Alertmanagers (Debian's prometheus-alertmanager)
# as Prometheus does: POST /api/v2/alerts to every Alertmanager of a
# cluster of two on loopback, re-sent while firing, endsAt on resolve.
# Alertmanager routes them through its own webhook_config to a receiver
# the test runs: firing, then resolved. Then one Alertmanager is killed
# (-9) and the next firing and resolved still arrive, through the other.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"

AM=${ALERTMANAGER:-$(command -v prometheus-alertmanager || command -v alertmanager || true)}
[ -n "$AM" ] || skip "prometheus-alertmanager is not installed"

STATE="$TMP/state"
mkdir -p "$STATE"
RP=$(free_port)
start_receiver "$TMP/am-hook.jsonl" "$RP" || exit 1

cat >"$TMP/am.yml" <<EOF
route:
  receiver: test
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: http://127.0.0.1:$RP/from-am
        send_resolved: true
EOF

# start_am NAME PEER_PORT: one Alertmanager of the cluster (gossip on a
# free port, peering with PEER_PORT when given); sets AM_PORT, AM_PID.
start_am() {
	local name=$1 peer=$2 cport args
	cport=$(free_port)
	eval "CPORT_$name=$cport"
	args=(--config.file="$TMP/am.yml" --storage.path="$TMP/$name"
		--cluster.listen-address="127.0.0.1:$cport"
		--cluster.advertise-address="127.0.0.1:$cport"
		--cluster.peer-timeout=1s --cluster.gossip-interval=100ms
		--cluster.pushpull-interval=1s)
	[ -n "$peer" ] && args+=(--cluster.peer="127.0.0.1:$peer")
	spawn_on_port "$TMP/$name.log" "address=127.0.0.1:@PORT@" \
		"$AM" "${args[@]}" --web.listen-address=127.0.0.1:@PORT@ || return 1
	AM_PORT=$SPAWN_PORT
	AM_PID=$SPAWN_PID
}

start_am am1 "" || exit 1
AM1=$AM_PORT AM1_PID=$AM_PID
start_am am2 "$CPORT_am1" || exit 1
AM2=$AM_PORT
check "Alertmanager 1 ready" wait_http "http://127.0.0.1:$AM1/-/ready"
check "Alertmanager 2 ready" wait_http "http://127.0.0.1:$AM2/-/ready"
# both see two members before alerts flow
for _ in $(seq 100); do
	n=$(curl -fsS "http://127.0.0.1:$AM2/api/v2/status" |
		"$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["cluster"]["peers"]))')
	[ "$n" = 2 ] && break
	sleep 0.1
done
expect_eq "the Alertmanagers formed a cluster of two" 2 "$n"

notify_conf "$TMP/hw.conf" "$STATE" \
	"[webhook am]" \
	"url = http://127.0.0.1:$AM1/api/v2/alerts, http://127.0.0.1:$AM2/api/v2/alerts" \
	"format = alertmanager-api"
start_hostwatch hw --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1

# what the receiver got from Alertmanager: "status:alertname:instance
# startsAt" lines, in order
received() {
	"$PY" - "$TMP/am-hook.jsonl" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    b = json.loads(json.loads(l)["body"])
    for a in b["alerts"]:
        print("%s:%s:%s %s" % (a["status"], a["labels"]["alertname"],
                               a["labels"].get("instance", ""), a["startsAt"]))
EOF
}
# wait_line PATTERN: until a received line matches the (grep -E) pattern.
# Alertmanager's cluster delivers at least once: a member taking over may
# repeat what the other sent, so lines are looked for, not counted.
wait_line() {
	for _ in $(seq 150); do
		received | grep -qE "$1" && return 0
		sleep 0.2
	done
	received | sed 's/^/# /'
	return 1
}
alerts_in() { # alerts_in PORT: SleeperUp alerts an Alertmanager holds
	curl -fsS "http://127.0.0.1:$1/api/v2/alerts?filter=alertname%3D%22SleeperUp%22" |
		"$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

sleeper_start
check "firing delivered by Alertmanager, with hostwatch's labels" \
	wait_line '^firing:SleeperUp:testhost '
starts1=$(received | sed -n 's/^firing:SleeperUp:testhost //p' | head -n1)
expect_eq "Alertmanager 1 holds the alert" 1 "$(alerts_in "$AM1")"
expect_eq "Alertmanager 2 holds the alert" 1 "$(alerts_in "$AM2")"
sleeper_stop
check "then resolved" wait_line "^resolved:SleeperUp:testhost $starts1\$"
ok_before=$(scrape_metric 'hostwatch_notifications_total{channel="am",result="success"}')
check "pushes counted as successes ($ok_before)" test "${ok_before%.*}" -ge 2

# One Alertmanager of the cluster dies: alerts still get through. The new
# episode is told apart by its start.
kill -9 "$AM1_PID"
wait "$AM1_PID" 2>/dev/null
sleeper_start
starts2=
for _ in $(seq 150); do
	starts2=$(received | sed -n 's/^firing:SleeperUp:testhost //p' |
		grep -vxF "$starts1" | head -n1)
	[ -n "$starts2" ] && break
	sleep 0.2
done
check "firing delivered with one Alertmanager down (a new episode: $starts1 -> $starts2)" \
	test -n "$starts2"
sleeper_stop
check "resolved delivered with one Alertmanager down" \
	wait_line "^resolved:SleeperUp:testhost $starts2\$"
# Resolved alerts are re-sent every resend_delay (1 s here) for 15
# minutes, so a batch may be on its way at any moment: nothing may be
# stuck, though, with one Alertmanager of the two refusing connections.
sleep 2
oldest=$(scrape_metric 'hostwatch_notification_oldest_seconds{channel="am"}')
check "nothing stuck in the queue (oldest: ${oldest}s)" \
	"$PY" -c "import sys; sys.exit(0 if float('$oldest') < 3 else 1)"
finish
