#!/bin/bash
# Access control on the HTTP endpoints, against the real daemon on loopback:
# TLS 1.2/1.3 and the minimum version, client certificates (none, from
# another CA, good), HTTP basic auth with htpasswd -B hashes and the failure
# counters, the allow-list (a client bound to 127.0.0.2), certificate and key
# replaced on SIGHUP (the fingerprint openssl s_client sees), a broken
# certificate at SIGHUP (the old one stays), bad settings at start (exit 2,
# FILE:LINE), the warning about a configuration file others can read, and a
# real Prometheus scraping over TLS with a client certificate and basic auth.
# Certificates are made here by openssl; nothing leaves loopback.
. "$top_srcdir/tests/integration/lib.sh"

for tool in openssl curl htpasswd; do
	command -v $tool >/dev/null || { not_ok "$tool missing (packages openssl, curl, apache2-utils)"; finish; }
done

# ---- certificates: a CA, the server (two, for the reload), clients from
# the CA and from another CA ---------------------------------------------
C="$TMP/certs"
mkdir -p "$C"
mkkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/$1.key" 2>/dev/null; }
ca() { # NAME
	mkkey "$1"
	openssl req -x509 -new -key "$C/$1.key" -out "$C/$1.crt" -days 2 -subj "/CN=$1" 2>/dev/null
}
leaf() { # NAME CA EXT
	mkkey "$1"
	openssl req -new -key "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$1" 2>/dev/null
	printf '%s\n' "$3" >"$C/$1.ext"
	openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.crt" -CAkey "$C/$2.key" -CAcreateserial \
		-out "$C/$1.crt" -days 2 -extfile "$C/$1.ext" 2>/dev/null
}
ca ca
ca other-ca
leaf server1 ca "subjectAltName=IP:127.0.0.1,DNS:localhost"
leaf server2 ca "subjectAltName=IP:127.0.0.1,DNS:localhost"
leaf client ca "extendedKeyUsage=clientAuth"
leaf stranger other-ca "extendedKeyUsage=clientAuth"
leaf serveronly ca "extendedKeyUsage=serverAuth"
chmod 600 "$C"/*.key
check "openssl made the certificates" test -s "$C/client.crt" -a -s "$C/stranger.crt" -a -s "$C/server2.crt"
cp "$C/server1.crt" "$C/live.crt"
cp "$C/server1.key" "$C/live.key"
chmod 600 "$C/live.key"

HASH=$(htpasswd -nbB -C 5 alice 'S3cret pass' | cut -d: -f2)
CONF="$TMP/hostwatch.conf"
cat >"$CONF" <<CFG
[server]
tls_cert_file = $C/live.crt
tls_key_file = $C/live.key
tls_client_ca_file = $C/ca.crt
tls_client_auth = RequireAndVerifyClientCert
basic_auth_user = alice $HASH
basic_auth_user = bob:$(htpasswd -nbB -C 5 bob other | cut -d: -f2)
allow = 127.0.0.1/32, ::1/128
[collectors]
disable_defaults = true
loadavg = true
[rules]
defaults = false
CFG
chmod 644 "$CONF"

start_hostwatch tls --config.file="$CONF" || finish
U="https://127.0.0.1:$HW_PORT"
GOOD=(--cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key")
AUTH=(-u 'alice:S3cret pass')
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
metrics() { curl -s "${GOOD[@]}" "${AUTH[@]}" "$U/metrics" >"$TMP/m"; }
val() { metric_value "$TMP/m" "$1"; }

check "start logs TLS enabled" grep -q 'TLS is enabled' "$TMP/tls.log"
check "start warns: the file with hashes is readable by others" \
	grep -q "$CONF holds basic_auth_user password hashes and is readable by every user: run chmod 640" "$TMP/tls.log"

# ---- TLS versions and client certificates ----------------------------------
expect_eq "TLS 1.2 + client cert + auth: 200" 200 "$(code --tls-max 1.2 "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"
expect_eq "TLS 1.3 + client cert + auth: 200" 200 "$(code --tlsv1.3 "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"
expect_eq "plain HTTP on the TLS port gets no answer" 000 "$(code "${AUTH[@]}" "http://127.0.0.1:$HW_PORT/metrics")"
expect_eq "no client certificate: refused in the handshake" 000 "$(code --cacert "$C/ca.crt" "${AUTH[@]}" "$U/metrics")"
expect_eq "no client certificate, TLS 1.2: refused" 000 "$(code --tls-max 1.2 --cacert "$C/ca.crt" "${AUTH[@]}" "$U/metrics")"
expect_eq "client certificate from another CA: refused" 000 \
	"$(code --cacert "$C/ca.crt" --cert "$C/stranger.crt" --key "$C/stranger.key" "${AUTH[@]}" "$U/metrics")"
expect_eq "client certificate from another CA, TLS 1.2: refused" 000 \
	"$(code --tls-max 1.2 --cacert "$C/ca.crt" --cert "$C/stranger.crt" --key "$C/stranger.key" "${AUTH[@]}" "$U/metrics")"
expect_eq "a certificate for servers only (EKU serverAuth): refused" 000 \
	"$(code --cacert "$C/ca.crt" --cert "$C/serveronly.crt" --key "$C/serveronly.key" "${AUTH[@]}" "$U/metrics")"
expect_eq "the server's certificate verifies against the CA (curl checks it)" 0 \
	"$(curl -s -o /dev/null "${GOOD[@]}" "${AUTH[@]}" "$U/metrics"; echo $?)"

# ---- basic auth --------------------------------------------------------------
expect_eq "no credentials: 401" 401 "$(code "${GOOD[@]}" "$U/metrics")"
check "401 carries the Basic challenge" bash -c \
	"curl -s -D - -o /dev/null --cacert '$C/ca.crt' --cert '$C/client.crt' --key '$C/client.key' '$U/metrics' | tr -d '\r' | grep -qx 'WWW-Authenticate: Basic realm=\"hostwatch\"'"
expect_eq "every path is protected: / is 401" 401 "$(code "${GOOD[@]}" "$U/")"
expect_eq "every path is protected: /-/healthy is 401" 401 "$(code "${GOOD[@]}" "$U/-/healthy")"
expect_eq "an unknown path is 401, not 404" 401 "$(code "${GOOD[@]}" "$U/nope")"
expect_eq "wrong password: 401" 401 "$(code "${GOOD[@]}" -u 'alice:wrong' "$U/metrics")"
expect_eq "wrong password again (cached): 401" 401 "$(code "${GOOD[@]}" -u 'alice:wrong' "$U/metrics")"
expect_eq "unknown user: 401" 401 "$(code "${GOOD[@]}" -u 'mallory:S3cret pass' "$U/metrics")"
expect_eq "not Basic: 401" 401 "$(code "${GOOD[@]}" -H 'Authorization: Bearer abc' "$U/metrics")"
expect_eq "bob, the second user: 200" 200 "$(code "${GOOD[@]}" -u bob:other "$U/-/healthy")"
expect_eq "alice, with auth: /-/healthy 200" 200 "$(code "${GOOD[@]}" "${AUTH[@]}" "$U/-/healthy")"
metrics
expect_eq "failures counted: missing (5 above)" 5 "$(val 'hostwatch_http_auth_failures_total{reason="missing"}')"
expect_eq "failures counted: bad_password" 2 "$(val 'hostwatch_http_auth_failures_total{reason="bad_password"}')"
expect_eq "failures counted: unknown_user" 1 "$(val 'hostwatch_http_auth_failures_total{reason="unknown_user"}')"
expect_eq "failures counted: malformed" 1 "$(val 'hostwatch_http_auth_failures_total{reason="malformed"}')"
expect_eq "client certificates that did not verify are counted (other CA twice, serverAuth only)" 3 \
	"$(val 'hostwatch_http_requests_denied_total{reason="client_cert"}')"
# bcrypt once, then the cache: 20 more requests with the same credentials
# run no bcrypt at all (counted by the daemon, not timed)
metrics
b0=$(val 'hostwatch_http_auth_bcrypt_total')
for _ in $(seq 20); do curl -s -o /dev/null "${GOOD[@]}" "${AUTH[@]}" "$U/-/healthy"; done
metrics
expect_eq "cached credentials: 20 requests, no bcrypt" "$b0" "$(val 'hostwatch_http_auth_bcrypt_total')"
curl -s -o /dev/null "${GOOD[@]}" -u 'alice:yet another wrong one' "$U/-/healthy"
metrics
expect_eq "new credentials: one bcrypt" "$((b0 + 1))" "$(val 'hostwatch_http_auth_bcrypt_total')"

# ---- allow-list ------------------------------------------------------------------
expect_eq "a client from 127.0.0.2 (not in allow) gets nothing" 000 \
	"$(code --interface 127.0.0.2 "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"
expect_eq "again" 000 "$(code --interface 127.0.0.2 "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"
metrics
expect_eq "allow-list refusals counted" 2 "$(val 'hostwatch_http_requests_denied_total{reason="allow_list"}')"
expect_eq "127.0.0.1 still in" 200 "$(code "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"

# ---- SIGHUP: a renewed certificate, then a broken one ---------------------------
served() {
	openssl s_client -connect "127.0.0.1:$HW_PORT" -CAfile "$C/ca.crt" -cert "$C/client.crt" \
		-key "$C/client.key" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1"; }
expect_eq "serving server1's certificate" "$(fp "$C/server1.crt")" "$(served)"
cp "$C/server2.crt" "$C/live.crt"
cp "$C/server2.key" "$C/live.key"
kill -HUP "$HW_PID"
for _ in $(seq 50); do grep -q 'configuration reloaded' "$TMP/tls.log" && break; sleep 0.1; done
expect_eq "after SIGHUP: server2's certificate" "$(fp "$C/server2.crt")" "$(served)"
expect_eq "after SIGHUP: scrapes work" 200 "$(code "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"
echo "not a certificate" >"$C/live.crt"
kill -HUP "$HW_PID"
for _ in $(seq 50); do grep -q 'reload failed' "$TMP/tls.log" && break; sleep 0.1; done
check "a broken certificate at SIGHUP is logged, with the file" \
	grep -q "reload failed, keeping the running configuration: $CONF:2: \[server\] tls_cert_file: $C/live.crt: No certificate was found" "$TMP/tls.log"
expect_eq "... and server2's certificate stays" "$(fp "$C/server2.crt")" "$(served)"
expect_eq "... and scrapes still work" 200 "$(code "${GOOD[@]}" "${AUTH[@]}" "$U/metrics")"
check "the daemon lives" kill -0 "$HW_PID"

# ---- tls_min_version = TLS13, no client certificates, auth from a flag -------------
cat >"$TMP/tls13.conf" <<CFG
[server]
tls_cert_file = $C/server1.crt
tls_key_file = $C/server1.key
tls_min_version = TLS13
[collectors]
disable_defaults = true
[rules]
defaults = false
CFG
chmod 640 "$TMP/tls13.conf"
start_hostwatch tls13 --config.file="$TMP/tls13.conf" "--web.basic-auth-user=carol $HASH" || finish
U13="https://127.0.0.1:$HW_PORT"
expect_eq "TLS13 minimum: TLS 1.2 refused" 000 "$(code --tls-max 1.2 --cacert "$C/ca.crt" -u 'carol:S3cret pass' "$U13/metrics")"
expect_eq "TLS13 minimum: TLS 1.3 accepted" 200 "$(code --tlsv1.3 --cacert "$C/ca.crt" -u 'carol:S3cret pass' "$U13/metrics")"
expect_eq "NoClientCert: no certificate needed" 200 "$(code --cacert "$C/ca.crt" -u 'carol:S3cret pass' "$U13/-/healthy")"
check "no warning when the hashes are not in the file" bash -c "! grep -q 'readable by every user' '$TMP/tls13.log'"

# ---- bad settings at start: exit 2, the file named ----------------------------------
bad_start() { # DESCRIPTION EXPECTED-MESSAGE CONFIG-TEXT
	printf '%s\n' "$3" >"$TMP/bad.conf"
	"$HOSTWATCH" --config.file="$TMP/bad.conf" --web.listen-address=127.0.0.1:0 >"$TMP/bad.out" 2>&1
	local rc=$?
	expect_eq "$1: exit 2" 2 "$rc"
	check "$1: says $2" grep -qF -- "$2" "$TMP/bad.out"
}
bad_start "a certificate file that is no certificate" \
	"$TMP/bad.conf:2: [server] tls_cert_file: $C/ca.key: No certificate was found." \
	"[server]
tls_cert_file = $C/ca.key
tls_key_file = $C/server1.key"
bad_start "a key that does not go with the certificate" \
	"$TMP/bad.conf:3: [server] tls_key_file: $C/server2.key does not go with tls_cert_file $C/server1.crt" \
	"[server]
tls_cert_file = $C/server1.crt
tls_key_file = $C/server2.key"
bad_start "a missing key file" \
	"$TMP/bad.conf:3: [server] tls_key_file: $C/nope.key: cannot read: No such file or directory" \
	"[server]
tls_cert_file = $C/server1.crt
tls_key_file = $C/nope.key"
bad_start "an unknown client auth type" \
	"$TMP/bad.conf:2: [server] tls_client_auth: \"RequireClientCert\" is not a client auth type" \
	"[server]
tls_client_auth = RequireClientCert"
bad_start "a bad network" \
	"$TMP/bad.conf:2: [server] allow: \"10.0.0.1/8\" has host bits set: did you mean 10.0.0.0/8?" \
	"[server]
allow = 10.0.0.1/8"
"$HOSTWATCH" --config.file= --web.tls-cert-file="$C/server1.crt" >"$TMP/bad.out" 2>&1
expect_eq "a certificate without a key (flags): exit 2" 2 "$?"
check "... named by its flag" grep -qF "flag --web.tls-cert-file: needs tls_key_file (--web.tls-key-file) too" "$TMP/bad.out"

# ---- a world-readable key is worth a warning ---------------------------------------
cp "$C/server1.key" "$TMP/open.key"
chmod 644 "$TMP/open.key"
start_hostwatch openkey --config.file= --web.tls-cert-file="$C/server1.crt" --web.tls-key-file="$TMP/open.key" \
	--collector.disable-defaults --no-rules.defaults || finish
check "a key readable by others: warned" grep -q "tls_key_file $TMP/open.key is readable by every user" "$TMP/openkey.log"
check "basic auth without TLS: warned" bash -c \
	"'$HOSTWATCH' --config.file= --web.listen-address=127.0.0.1:0 --collector.disable-defaults --no-rules.defaults '--web.basic-auth-user=a $HASH' >'$TMP/plain.log' 2>&1 & p=\$!; sleep 1; kill \$p; grep -q 'basic_auth_user without TLS' '$TMP/plain.log'"

# ---- Prometheus scrapes over TLS with a client certificate and basic auth ---------
PROM=$(command -v prometheus)
if [ -z "$PROM" ]; then
	not_ok "prometheus missing (package prometheus)"
else
	cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: hostwatch
    scheme: https
    tls_config:
      ca_file: $C/ca.crt
      cert_file: $C/client.crt
      key_file: $C/client.key
    basic_auth:
      username: bob
      password: other
    static_configs:
      - targets: ['127.0.0.1:$(sed -n 's/.*Listening on address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/tls.log" | head -n1)']
YML
	if spawn_on_port "$TMP/prom.log" "Server is ready to receive web requests" \
		"$PROM" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom-data" \
		--web.listen-address=127.0.0.1:@PORT@; then
		up=
		for _ in $(seq 100); do
			up=$(curl -s "http://127.0.0.1:$SPAWN_PORT/api/v1/query?query=up" |
				$PY -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null)
			[ "$up" = 1 ] && break
			sleep 0.2
		done
		expect_eq "Prometheus scrapes hostwatch over TLS + client cert + basic auth: up == 1" 1 "$up"
	else
		not_ok "prometheus did not start"
	fi
fi

finish
