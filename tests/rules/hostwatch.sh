#!/bin/bash
# make check: the rule conformance corpus (tests/rules/*.test.yml) must pass
# `hostwatch test-rules` as it passes `promtool test rules`. The subcommand
# exists: its absence is a failure here, not a skip.
HW=${HOSTWATCH:-$top_builddir/hostwatch}
if ! "$HW" test-rules --help >/dev/null 2>&1; then
	echo "not ok - $HW test-rules --help failed"
	echo "0 passed, 1 failed"
	exit 1
fi
HOSTWATCH=$HW exec bash "$top_srcdir/tests/rules/run.sh" hostwatch
