#!/bin/bash
# The whole test suite, as CI runs it: install what is missing, build
# warning-free (-Werror), run unit tests under valgrind and the integration
# tests against the real peers; then the same suite once more from a build
# with ASan and UBSan, so that the daemon the integration tests start is
# checked too (valgrind only wraps the unit tests). One closing line:
#   hostwatch: N passed, N failed
# where N counts individual assertions across every test program and both
# passes.
set -u
cd "$(dirname "$0")/.."
tools/deps.sh || exit 1
autoreconf -fi >/dev/null || exit 1
passed=0; failed=0; rc=0

# count DIR: add the assertions of DIR's test logs to passed/failed
count() {
	local log line
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
	done < <(find "$1/tests" -name '*.log' ! -name test-suite.log)
}

# suite DIR CONFIGURE_FLAGS...: build in DIR and run make check there
suite() {
	local dir=$1
	shift
	mkdir -p "$dir" && (cd "$dir" && ../configure -q "$@") || return 1
	make -C "$dir" -j"$(nproc)" >/dev/null || { make -C "$dir"; return 1; }
	make -C "$dir" -j"$(nproc)" check VERBOSE=1
}

# The tests that load the whole machine, and docker.sh, which starves
# beside them, run alone after the others (robust_lib.sh, heavy_alone).
HEAVY_TESTS="tests/integration/docker.sh tests/integration/load_wrk.sh tests/integration/load_slowloris.sh tests/integration/load_cgroups_rules.sh"
export HW_HEAVY=later
suite build --enable-werror || rc=1
unset HW_HEAVY
echo "== the load tests, alone =="
make -C build check TESTS="$HEAVY_TESTS" VERBOSE=1 || rc=1
count build
# The tarball: it holds everything, builds out of tree from a read-only
# source, installs (units, sysusers, tmpfiles and catalog redirected under
# its own prefix) and uninstalls cleanly. Its inner make check runs one
# quick test: the whole suite has just run above.
echo "== make distcheck =="
if HW_ONCE_TESTS=no make -C build distcheck TESTS=tests/integration/cli.sh >build/distcheck.log 2>&1; then
	echo "distcheck: ok"; passed=$((passed + 1))
else
	tail -n 40 build/distcheck.log; echo "distcheck: FAILED"
	failed=$((failed + 1)); rc=1
fi
# Every parser under libFuzzer (clang, ASan, UBSan), 30 s per target from
# the committed corpora (fuzz/): a crash, leak or UB fails the run.
echo "== fuzzing: tools/fuzz.sh 30 =="
if tools/fuzz.sh 30 >build/fuzz.log 2>&1; then
	echo "fuzz: ok"; passed=$((passed + 1))
else
	tail -n 40 build/fuzz.log; echo "fuzz: FAILED"
	failed=$((failed + 1)); rc=1
fi
echo "== again with ASan and UBSan (integration daemons included) =="
export HW_VALGRIND=no HW_ONCE_TESTS=no
suite build-asan --enable-werror --enable-sanitizers CFLAGS="-O1 -g" || rc=1
count build-asan
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "hostwatch: $passed passed, $failed failed"
exit "$rc"
