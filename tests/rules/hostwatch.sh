#!/bin/bash
# make check: the rule conformance corpus (tests/rules/*.test.yml) must pass
# `hostwatch test-rules` as it passes `promtool test rules`.
HW=${HOSTWATCH:-$top_builddir/hostwatch}
HOSTWATCH=$HW exec bash "$top_srcdir/tests/rules/run.sh" hostwatch
