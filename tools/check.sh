#!/bin/bash
# The whole test suite, as CI runs it: install what is missing, build
# warning-free (-Werror), run unit tests under valgrind and the integration
# tests against the real peers, and print one closing line:
#   hostwatch: N passed, N failed
# where N counts individual assertions across every test program.
set -u
cd "$(dirname "$0")/.."
tools/deps.sh || exit 1
autoreconf -fi >/dev/null || exit 1
mkdir -p build && cd build || exit 1
../configure --enable-werror -q || exit 1
make -j"$(nproc)" >/dev/null || { make; exit 1; }
make -j"$(nproc)" check VERBOSE=1
rc=$?
passed=0; failed=0
while IFS= read -r log; do
	# Check: "100%: Checks: 12, Failures: 0, Errors: 0"
	line=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n1)
	if [ -n "$line" ]; then
		set -- $(echo "$line" | tr -cd '0-9 ')
		passed=$((passed + $1 - $2 - $3)); failed=$((failed + $2 + $3))
		continue
	fi
	line=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
	if [ -n "$line" ]; then
		set -- $(echo "$line" | tr -cd '0-9 ')
		passed=$((passed + $1)); failed=$((failed + $2))
	fi
done < <(find tests -name '*.log' ! -name test-suite.log)
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "hostwatch: $passed passed, $failed failed"
exit "$rc"
