#!/bin/bash
# kill -9 in the middle of spool writes, 100 times (issue 8, point 4).
# Two webhook channels whose receivers are down; eight alerts, each its own group
# (group_by = ...), resent every second (resend_delay = 1s) and toggled
# firing/resolved by a sleeper started or stopped before every run, so
# every run writes spool records. 100 times: hostwatch starts on the
# same state directory and is killed with -9 after a random 50-400 ms.
# Every start must open the spool cleanly: no "corrupt" record, no
# level=error line, no "not spooled" in its log (the wording of src/notify/spool.c
# and deliver.c; "deleted N unfinished record(s)" -- a *.rec.tmp never
# renamed, so never accepted -- is allowed).
#
# Measured: 16 records per run (1600 in all), the loop in ~28 s; the
# writes of a run cluster at its first evaluation, so most kills land
# between batches (the count of starts finding an unfinished *.rec.tmp is
# printed).
#
# The accounting. A notification is accepted when its record file is
# renamed into place (spool_file.c: tmp, fsync, rename, fsync the
# directory); the receiver is down and the spool far below its bounds,
# so no accepted record is ever deleted during the loop (checked: no
# "dropped" in any log). The accepted notifications are therefore
# exactly the *.rec files left in the spool after the loop; their ids are
# read from the records themselves (header, then the id). A last
# hostwatch then starts with the receiver up: every one of those ids
# must arrive exactly once with a 200 (webhook-id), the spool must be
# empty, and nothing counted dropped. (A kill between a spool write and
# the save of notify.json may repeat a notification under a new id: that
# is at-least-once, allowed; a loss is not.)
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/robust_lib.sh"
. "$top_srcdir/tests/integration/notify_lib.sh"

STATE="$TMP/state"
mkdir -p "$STATE"
P1=$(free_port)
P2=$(free_port)
KEY_B64=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
alerts=()
for i in $(seq 2 8); do
	alerts+=("[alert SleeperUp$i]"
		 'expr = namedprocess_namegroup_num_procs{groupname="sleeper"} > 0'
		 "labels.n = $i")
done
notify_conf "$TMP/hw.conf" "$STATE" "${alerts[@]}" \
	"[webhook ops]" "url = http://127.0.0.1:$P1/hook" "format = json" \
	"group_by = ..." "group_wait = 0s" "group_interval = 1s" \
	"signature = standard" "secret = whsec_$KEY_B64" \
	"[webhook dev]" "url = http://127.0.0.1:$P2/hook" "format = json" \
	"group_by = ..." "group_wait = 0s" "group_interval = 1s" \
	"signature = standard" "secret = whsec_$KEY_B64"

BAD='corrupt|level=error|not spooled|cannot|dropped'
t0=$(date +%s)
bad_runs=0
for i in $(seq 100); do
	# a transition for every run: the alerts fire or resolve
	if [ $((i % 2)) = 1 ]; then sleeper_start; else sleeper_stop; fi
	start_hostwatch "run$i" --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || { not_ok "run $i started"; break; }
	sleep "0.$(printf '%03d' $((50 + RANDOM % 351)))"
	kill -9 "$HW_PID"
	wait "$HW_PID" 2>/dev/null
	if grep -Eiq "$BAD" "$TMP/run$i.log"; then
		bad_runs=$((bad_runs + 1))
		echo "# run $i:"; grep -Ei "$BAD" "$TMP/run$i.log" | head -5 | sed 's/^/#   /'
	fi
done
t1=$(date +%s)
sleeper_stop
echo "# 100 kill -9 runs in $((t1 - t0)) s"
expect_eq "every start opened the spool cleanly (no corrupt record, no error)" 0 "$bad_runs"
check "the loop took under 200 s" test $((t1 - t0)) -lt 200
unfinished=$(cat "$TMP"/run*.log | grep -c 'unfinished record')
echo "# starts that found an unfinished *.rec.tmp: $unfinished"

for ch in ops dev; do
"$PY" - "$STATE/spool/$ch" >"$TMP/accepted.$ch" <<'PYEOF'
import os, struct, sys
d = sys.argv[1]
for n in sorted(os.listdir(d)):
    if not n.endswith(".rec"):
        continue
    b = open(os.path.join(d, n), "rb").read()
    id_len = struct.unpack_from("<I", b, 24)[0]
    print(b[48:48 + id_len].decode())
PYEOF
done
accepted=$(cat "$TMP"/accepted.* | grep -c .)
echo "# accepted notifications (spooled records, both channels): $accepted"
check "kill -9 interrupted many spool writes (at least 100 accepted)" \
	test "$accepted" -ge 100
check "no record set aside" bash -c "! ls '$STATE'/spool/* | grep -q '\\.bad$'"

# the receivers up, a last hostwatch: everything accepted arrives once
start_receiver "$TMP/ops.jsonl" "$P1" --standard-key "$KEY_B64" || exit 1
start_receiver "$TMP/dev.jsonl" "$P2" --standard-key "$KEY_B64" || exit 1
start_hostwatch last --config.file="$TMP/hw.conf" "${NOTIFY_ARGS[@]}" || exit 1
check "the last start opened the spool cleanly" \
	bash -c "! grep -Eiq '$BAD' '$TMP/last.log'"
for ch in ops dev; do
	check "$ch: queue drained" \
		wait_metric "hostwatch_notification_queue_length{channel=\"$ch\"}" 0 600
done
sleep 1
for ch in ops dev; do
"$PY" - "$TMP/$ch.jsonl" "$TMP/accepted.$ch" >"$TMP/acc.check" <<'PYEOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r["headers"].get("webhook-id") for r in reqs if r["status"] == 200]
acc = [l.strip() for l in open(sys.argv[2]) if l.strip()]
print("accepted", len(acc))
print("delivered", len(ok))
print("duplicates", len(ok) - len(set(ok)))
print("missing", len(set(acc) - set(ok)))
PYEOF
sed "s/^/# $ch: /" "$TMP/acc.check"
v() { sed -n "s/^$1 //p" "$TMP/acc.check"; }
expect_eq "$ch: every accepted notification delivered" 0 "$(v missing)"
expect_eq "$ch: none delivered twice" 0 "$(v duplicates)"
expect_eq "$ch: nothing counted dropped" 0 \
	"$(scrape_metric "hostwatch_notifications_total{channel=\"$ch\",result=\"dropped\"}")"
check "$ch: spool directory empty of records" \
	bash -c "! ls '$STATE/spool/$ch' | grep -q '\\.rec'"
done
finish
