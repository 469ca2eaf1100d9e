#!/usr/bin/env python3
"""Slowloris on loopback, for load_slowloris.sh: COUNT TCP connections to
127.0.0.1:PORT, each from one of the given source addresses (127.0.0.0/8
only), each sending the start of a request and never finishing it. Then
watches them: when the server closes one (EOF or reset) the time since it
was opened is recorded. Writes READY_FILE once every connection is
attempted, and exits when all are closed or after --hold seconds, printing
one summary line per fact ("key value").

Bounded: at most --count connections (refused above 10,000), --hold
seconds, loopback addresses only."""
import argparse
import ipaddress
import os
import selectors
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--count", type=int, default=2000)
ap.add_argument("--sources", default="127.0.0.2",
                help="first source address; --per-source each, then the next")
ap.add_argument("--per-source", type=int, default=0,
                help="connections per source address (0: all from one)")
ap.add_argument("--hold", type=float, default=30.0)
ap.add_argument("--ready-file", required=True)
ap.add_argument("--split", type=float, default=1.0,
                help="closes before this many seconds count as 'early'")
a = ap.parse_args()
if a.count > 10000:
    sys.exit("at most 10,000 connections")
first = ipaddress.IPv4Address(a.sources)

def source(i):
    addr = first + (i // a.per_source if a.per_source else 0)
    if addr not in ipaddress.IPv4Network("127.0.0.0/8"):
        sys.exit(f"{addr} is not a loopback address")
    return str(addr)

sel = selectors.DefaultSelector()
opened = {}
connect_failed = 0
start = time.monotonic()
# Non-blocking connects in batches, so that a server which stops accepting
# does not stall the client: a connection not established within 3 s is
# counted as not connected.
pending = {}


def settle(timeout):
    """Move the connects that completed within timeout from pending to
    opened; returns how many of them failed."""
    failed = 0
    for key, _ in sel.select(timeout):
        sk = key.fileobj
        sel.unregister(sk)
        if sk.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            failed += 1
            sk.close()
        else:
            opened[sk] = pending[sk]
        del pending[sk]
    return failed


for i in range(a.count):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((source(i), 0))
    err = s.connect_ex(("127.0.0.1", a.port))
    if err not in (0, 115):  # EINPROGRESS
        connect_failed += 1
        s.close()
        continue
    pending[s] = time.monotonic()
    sel.register(s, selectors.EVENT_WRITE)
    connect_failed += settle(0)  # drain completions as we go
deadline = time.monotonic() + 3
while pending and time.monotonic() < deadline:
    connect_failed += settle(0.1)
for sk in list(pending):
    sel.unregister(sk)
    sk.close()
    connect_failed += 1
pending.clear()

# The start of a request, never finished: the request line and one
# header, no blank line.
closed_at = []
for sk in list(opened):
    try:
        sk.send(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    except OSError:
        closed_at.append(time.monotonic() - opened.pop(sk))
        sk.close()
        continue
    sel.register(sk, selectors.EVENT_READ)
connected = len(opened) + len(closed_at)
with open(a.ready_file, "w") as f:
    f.write(f"{connected}\n")

end = start + a.hold
while opened and time.monotonic() < end:
    for key, _ in sel.select(0.1):
        sk = key.fileobj
        try:
            data = sk.recv(4096)
        except OSError:
            data = b""
        if data:  # an answer (e.g. 408/503): read on until EOF
            continue
        sel.unregister(sk)
        closed_at.append(time.monotonic() - opened.pop(sk))
        sk.close()

closed_at.sort()
print("attempted", a.count)
print("connected", connected)
print("connect_failed", connect_failed)
print("closed", len(closed_at))
print("closed_early", sum(1 for t in closed_at if t < a.split))
print("closed_late", sum(1 for t in closed_at if t >= a.split))
print("first_late_close_s",
      next((f"{t:.2f}" for t in closed_at if t >= a.split), "-"))
print("last_close_s", f"{closed_at[-1]:.2f}" if closed_at else "-")
print("still_open", len(opened))
for sk in opened:
    sk.close()
