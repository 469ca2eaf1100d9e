#!/bin/bash
# make check: the rule conformance corpus must pass Prometheus's own
# promtool (skipped, exit 77, when no promtool is available).
PT=${PROMTOOL:-}
[ -n "$PT" ] || PT=$(command -v promtool || true)
[ -n "$PT" ] || { echo "SKIP: no promtool"; exit 77; }
PROMTOOL=$PT exec bash "$top_srcdir/tests/rules/run.sh" promtool
