#!/usr/bin/python3
"""Scrape one exporter N times over one keep-alive connection, as Prometheus
does, and print the client-side latency of each scrape (seconds, one a line).

usage: scrape_client.py PORT N
"""
import http.client
import sys
import time

# Prometheus 2.42's own scrape headers.
HEADERS = {
    "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
              "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    "Accept-Encoding": "gzip",
    "User-Agent": "Prometheus/2.42.0",
}


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", "/metrics", headers=HEADERS)
        r = conn.getresponse()
        body = r.read()
        out.append(time.perf_counter() - t0)
        if r.status != 200 or not body:
            sys.exit("scrape failed: %d" % r.status)
    sys.stdout.write("".join("%.9f\n" % x for x in out))


main()
