#!/usr/bin/python3
"""A small webhook receiver for tests/unit/test_deliver.c.

Answers requests as a script says, and records every request (arrival
time, method, path, headers, body, the answer given, and whether its
signature verified) as one JSON line. Written for the test because what
it must do on purpose (fail N times, ask for Retry-After, stall past the
client's timeout) is what no real receiver does on demand.

  deliver_receiver.py --log FILE [--port N] [--script JSON]
                      [--standard-key B64] [--github-secret S]
                      [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]

With --tls-client-ca a client certificate signed by that CA is required
(the TLS handshake fails without one), and its subject's CN is recorded.

--script is a JSON list of answers consumed one per request; each is
{"status": 500, "times": 3, "headers": {"Retry-After": "2"},
 "sleep": 5.0, "body": "..."} (all optional but status). When the list is
used up, requests get 200. The bound port is printed on stdout's first
line.

Signatures are checked as the specs say receivers should:
  Standard Webhooks (https://www.standardwebhooks.com/): HMAC-SHA256 over
  "id.timestamp.body" with the base64-decoded secret, base64, "v1,"
  prefix, any of the space-separated signatures may match;
  GitHub: "sha256=" + hex HMAC-SHA256(secret, body).
"""
import argparse
import base64
import hashlib
import hmac
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, script, log):
        self.answers = []
        for a in script:
            for _ in range(int(a.get("times", 1))):
                self.answers.append(a)
        self.log = log
        self.lock = threading.Lock()

    def next_answer(self):
        with self.lock:
            if self.answers:
                return self.answers.pop(0)
        return {"status": 200}


def verify_standard(key, headers, body):
    wid = headers.get("webhook-id")
    ts = headers.get("webhook-timestamp")
    sigs = headers.get("webhook-signature")
    if wid is None or ts is None or sigs is None:
        return False
    mac = hmac.new(key, wid.encode() + b"." + ts.encode() + b"." + body,
                   hashlib.sha256).digest()
    want = "v1," + base64.b64encode(mac).decode()
    # a tolerance of 5 minutes, as the spec's reference libraries use
    if abs(time.time() - int(ts)) > 300:
        return False
    return any(hmac.compare_digest(s, want) for s in sigs.split(" "))


def verify_github(secret, headers, body):
    got = headers.get("X-Hub-Signature-256")
    if got is None:
        return False
    want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(got, want)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_POST(self):
        self.handle_any()

    def do_GET(self):
        self.handle_any()

    def handle_any(self):
        arrived = time.time()
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n) if n else b""
        st = self.server.state
        a = st.next_answer()
        rec = {
            "t": arrived,
            "method": self.command,
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "status": a["status"],
        }
        peer = getattr(self.connection, "getpeercert", lambda: None)()
        if peer:
            rec["client_cn"] = dict(x[0] for x in peer["subject"])["commonName"]
        args = self.server.args
        if args.standard_key is not None:
            rec["sig_standard"] = verify_standard(
                base64.b64decode(args.standard_key), self.headers, body)
        if args.github_secret is not None:
            rec["sig_github"] = verify_github(
                args.github_secret.encode(), self.headers, body)
        with st.lock:
            st.log.write(json.dumps(rec) + "\n")
            st.log.flush()
        if a.get("sleep"):
            time.sleep(float(a["sleep"]))
        out = a.get("body", "ok\n").encode()
        try:
            self.send_response(int(a["status"]))
            for k, v in a.get("headers", {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--script", default="[]")
    p.add_argument("--standard-key")
    p.add_argument("--github-secret")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-client-ca")
    args = p.parse_args()
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.tls_client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(args.tls_client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.args = args
    srv.state = State(json.loads(args.script), open(args.log, "a"))
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
