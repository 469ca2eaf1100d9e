#!/bin/bash
# Every HTTP route and status, content negotiation, gzip, collect[] filtering,
# the connection limits and timeout, signals and reload, sd_notify, and socket
# activation -- against the real daemon on loopback.
. "$top_srcdir/tests/integration/lib.sh"

FIX="$top_srcdir/tests/fixtures/kernel-6.18"
CONF="$TMP/hostwatch.conf"
cat >"$CONF" <<CFG
[server]
max_connections_per_ip = 4
connection_timeout = 2
[paths]
procfs = $FIX/proc
sysfs = $FIX/sys
rootfs = $FIX/root
[collectors]
uname = false
CFG

# sd_notify: a datagram socket we read, as systemd would.
NOTIFY="$TMP/notify.sock"
$PY - "$NOTIFY" >"$TMP/notify.out" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
try:
    while True:
        print(s.recv(4096).decode().replace("\n", "|"), flush=True)
except Exception:
    pass
PYEOF
PIDS+=($!)
for _ in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.05; done

NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=400000 start_hostwatch main --config.file="$CONF" || exit 1
U="$HW_URL"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
header() { curl -s -D - -o /dev/null "${@:2}" | tr -d '\r' | sed -n "s/^$1: //Ip" | head -n1; }

expect_eq "GET /metrics is 200" 200 "$(code "$U/metrics")"
expect_eq "HEAD /metrics is 200" 200 "$(code -I "$U/metrics")"
expect_eq "HEAD /metrics has no body" 0 "$(curl -s -I "$U/metrics" | sed '1,/^\r$/d' | wc -c)"
expect_eq "GET / is 200" 200 "$(code "$U/")"
check "landing page links the metrics" bash -c "curl -s '$U/' | grep -q 'href=\"/metrics\"'"
expect_eq "GET /-/healthy is 200" 200 "$(code "$U/-/healthy")"
expect_eq "GET /-/ready is 200" 200 "$(code "$U/-/ready")"
expect_eq "unknown path is 404" 404 "$(code "$U/nope")"
expect_eq "/metrics/ is 404" 404 "$(code "$U/metrics/")"
for m in POST PUT DELETE PATCH; do
	expect_eq "$m /metrics is 405" 405 "$(code -X $m "$U/metrics")"
done
expect_eq "POST with a body is 405" 405 "$(code --data-binary 'x=1' "$U/metrics")"
expect_eq "405 says what is allowed" "GET, HEAD" "$(header Allow -X POST "$U/metrics")"
expect_eq "POST /nope is 404" 404 "$(code -X POST "$U/nope")"

# Keep-alive: two scrapes on one connection, as Prometheus does.
check "keep-alive: the connection is reused" bash -c \
	"curl -sv -o /dev/null -o /dev/null '$U/metrics' '$U/metrics' 2>&1 | grep -q 'Re-using existing connection'"

# Text format by default, OpenMetrics when asked for.
expect_eq "text content type" "text/plain; version=0.0.4; charset=utf-8" "$(header Content-Type "$U/metrics")"
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
expect_eq "OpenMetrics content type for Prometheus's Accept" \
	"application/openmetrics-text; version=1.0.0; charset=utf-8" \
	"$(header Content-Type -H "Accept: $PROM_ACCEPT" "$U/metrics")"
expect_eq "text when OpenMetrics is less wanted" "text/plain; version=0.0.4; charset=utf-8" \
	"$(header Content-Type -H 'Accept: application/openmetrics-text;q=0.2, text/plain' "$U/metrics")"
curl -s -H "Accept: $PROM_ACCEPT" "$U/metrics" >"$TMP/om.txt"
expect_eq "OpenMetrics ends with # EOF" "# EOF" "$(tail -n1 "$TMP/om.txt")"
check "OpenMetrics parses with prometheus_client's strict parser" \
	$PY -c 'import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as p
fams = list(p(open(sys.argv[1]).read()))
assert any(f.name == "node_cpu_seconds" and f.type == "counter" for f in fams), "no node_cpu_seconds counter"
' "$TMP/om.txt"
curl -s "$U/metrics" >"$TMP/text.txt"
check "text format parses with prometheus_client" \
	$PY -c 'import sys
from prometheus_client.parser import text_string_to_metric_families as p
n = sum(len(f.samples) for f in p(open(sys.argv[1]).read()))
assert n > 50, n' "$TMP/text.txt"

# gzip
expect_eq "gzip when accepted" gzip "$(header Content-Encoding -H 'Accept-Encoding: gzip' "$U/metrics")"
expect_eq "Vary: Accept-Encoding" Accept-Encoding "$(header Vary -H 'Accept-Encoding: gzip' "$U/metrics")"
expect_eq "no gzip when not accepted" "" "$(header Content-Encoding "$U/metrics")"
expect_eq "no gzip with q=0" "" "$(header Content-Encoding -H 'Accept-Encoding: gzip;q=0' "$U/metrics")"
curl -s -H 'Accept-Encoding: gzip' "$U/metrics" | gunzip >"$TMP/gz.txt"
check "gzip body decompresses to the same families" \
	bash -c "diff <(grep '^# TYPE' '$TMP/gz.txt') <(grep '^# TYPE' '$TMP/text.txt')"

# collect[] filtering, as node_exporter's filtered handler
curl -s "$U/metrics?collect[]=cpu&collect[]=loadavg" >"$TMP/filtered.txt"
expect_eq "collect[] runs only the named collectors" "cpu loadavg" \
	"$(sed -n 's/^node_scrape_collector_success{collector="\(.*\)"}.*/\1/p' "$TMP/filtered.txt" | sort | tr '\n' ' ' | sed 's/ $//')"
check "collect[] output has node_load1" grep -q '^node_load1 ' "$TMP/filtered.txt"
check "collect[] output has no meminfo" bash -c "! grep -q '^node_memory_' '$TMP/filtered.txt'"
expect_eq "collect[] of an unknown collector is 400" 400 "$(code "$U/metrics?collect[]=nosuch")"
check "400 names the unknown collector" bash -c "curl -s '$U/metrics?collect[]=nosuch' | grep -q 'missing collector: nosuch'"
expect_eq "collect[] of a disabled collector is 400" 400 "$(code "$U/metrics?collect[]=uname")"
check "400 says disabled" bash -c "curl -s '$U/metrics?collect[]=uname' | grep -q 'disabled collector: uname'"

# Per-IP connection limit (4): the fifth concurrent connection is refused
# while four idle ones are held; all are closed by the 2 s timeout.
$PY - "$HW_PORT" >"$TMP/limit.out" <<'PYEOF'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
time.sleep(0.3)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(2)
extra.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
try:
    data = extra.recv(100)
except ConnectionResetError:
    data = b""  # closed with our request unread: a reset
except Exception:
    data = b"timeout"
print("extra:", "refused" if data == b"" else data[:12].decode(errors="replace"))
# Idle connections must be closed by the server within the timeout (+slack).
start = time.time()
closed = 0
for s in held:
    s.settimeout(5)
    try:
        if s.recv(1) == b"":
            closed += 1
    except Exception:
        pass
print("idle closed:", closed, "after %.1f s" % (time.time() - start))
PYEOF
check "fifth connection from one IP is refused" grep -q '^extra: refused' "$TMP/limit.out"
check "idle connections are closed by the timeout" grep -q '^idle closed: 4 ' "$TMP/limit.out"
expect_eq "still serving after the limit test" 200 "$(code "$U/metrics")"

# SIGHUP with a broken file keeps the old configuration.
cp "$CONF" "$CONF.good"
echo "bogus_line_without_equals" >>"$CONF"
kill -HUP "$HW_PID"; sleep 0.5
check "invalid reload is logged with FILE:LINE" grep -q "reload failed, keeping the running configuration: $CONF:" "$TMP/main.log"
expect_eq "still serving after a failed reload" 200 "$(code "$U/metrics")"
check "old collectors still in use" bash -c "! curl -s '$U/metrics' | grep -q '^node_uname_info'"
# A valid reload takes effect: uname on.
sed 's/^uname = false/uname = true/' "$CONF.good" >"$CONF"
kill -HUP "$HW_PID"; sleep 0.5
check "valid reload is logged" grep -q "configuration reloaded" "$TMP/main.log"
check "reloaded configuration is used" bash -c "curl -s '$U/metrics' | grep -q '^node_uname_info'"

# sd_notify: READY, STATUS, WATCHDOG, RELOADING, STOPPING.
sleep 0.5
kill -TERM "$HW_PID"
for _ in $(seq 50); do kill -0 "$HW_PID" 2>/dev/null || break; sleep 0.1; done
wait "$HW_PID"; rc=$?
expect_eq "SIGTERM exits 0" 0 "$rc"
check "READY=1 with STATUS sent" grep -q '^READY=1|STATUS=Serving metrics on 127.0.0.1:' "$TMP/notify.out"
check "WATCHDOG=1 sent" grep -q '^WATCHDOG=1' "$TMP/notify.out"
check "RELOADING=1 sent on SIGHUP" grep -q '^RELOADING=1' "$TMP/notify.out"
check "STOPPING=1 sent" grep -q '^STOPPING=1' "$TMP/notify.out"

# SIGINT exits cleanly too.
start_hostwatch int --config.file="$CONF" || exit 1
kill -INT "$HW_PID"; wait "$HW_PID"; expect_eq "SIGINT exits 0" 0 "$?"

# Socket activation: systemd-socket-activate passes the listening socket.
if command -v systemd-socket-activate >/dev/null; then
	spawn_on_port "$TMP/sa.log" "Listening on 127.0.0.1:@PORT@ as 3." \
		systemd-socket-activate -l "127.0.0.1:@PORT@" "$HOSTWATCH" --config.file="$CONF" || exit 1
	P=$SPAWN_PORT
	check "socket-activated hostwatch serves /metrics" wait_http "http://127.0.0.1:$P/metrics"
	check "it logs the inherited socket" grep -q "Listening on address=127.0.0.1:$P" "$TMP/sa.log"
else
	not_ok "systemd-socket-activate missing (package systemd)"
fi

# Two listen addresses, IPv4 and IPv6.
if [ -e /proc/net/if_inet6 ]; then
	"$HOSTWATCH" --config.file="$CONF" --web.listen-address=127.0.0.1:0 --web.listen-address='[::1]:0' >"$TMP/dual.log" 2>&1 &
	PIDS+=($!)
	sleep 0.5
	P6=$(sed -n 's/.*Listening on address=\[::1\]:\([0-9]*\).*/\1/p' "$TMP/dual.log")
	P4=$(sed -n 's/.*Listening on address=127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/dual.log")
	expect_eq "IPv6 listener answers" 200 "$(code "http://[::1]:$P6/metrics")"
	expect_eq "IPv4 listener answers" 200 "$(code "http://127.0.0.1:$P4/metrics")"
fi

finish
