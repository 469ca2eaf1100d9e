#!/bin/bash
# Run the rule conformance corpus (tests/rules/*.test.yml).
#   tests/rules/run.sh [promtool|hostwatch] [FILES...]
# promtool (default): "$PROMTOOL test rules FILE" (PROMTOOL defaults to
#   promtool) -- the reference: every file must pass with Prometheus 2.42.
# hostwatch: "$HOSTWATCH test-rules FILE" (HOSTWATCH defaults to ./hostwatch);
#   exits 77 (skip) while hostwatch has no test-rules subcommand.
# Prints one TAP-like line per file; exits 0 only if every file passes.
# Each file runs from its own directory (rule_files paths are relative).
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-promtool}
[ $# -gt 0 ] && shift

case $mode in
promtool)
	tool=${PROMTOOL:-promtool}
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: promtool not found (set PROMTOOL)"
		exit 77
	fi
	run() { "$tool" test rules "$1"; }
	;;
hostwatch)
	tool=${HOSTWATCH:-./hostwatch}
	case $tool in /*) ;; */*) tool="$PWD/$tool" ;; esac
	if ! "$tool" test-rules --help >/dev/null 2>&1; then
		echo "SKIP: $tool has no test-rules subcommand (yet)"
		exit 77
	fi
	run() { "$tool" test-rules "$1"; }
	;;
*)
	echo "usage: $0 [promtool|hostwatch] [FILES...]" >&2
	exit 2
	;;
esac

if [ $# -eq 0 ]; then
	set -- "$here"/[0-9]*.test.yml
fi

echo "1..$#"
n=0 failed=0
for f in "$@"; do
	n=$((n + 1))
	case $f in /*) abs=$f ;; *) abs="$PWD/$f" ;; esac
	name=$(basename "$f")
	if out=$(cd "$(dirname "$abs")" && run "$(basename "$abs")" 2>&1); then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
# the summary line tools/check.sh adds up
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
exit 0
