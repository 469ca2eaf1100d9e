#!/bin/bash
# Build every libFuzzer target in fuzz/ (clang, ASan, UBSan) and run each for
# SECONDS (default 30), starting from its committed seeds in
# fuzz/corpus/<target>/. Exits non-zero when any target crashes, leaks, hits
# undefined behaviour or times out, after printing the reproducer's path.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]     e.g. tools/fuzz.sh 3600 fuzz_promql
#
# The library is configured and built once in $HW_FUZZ_BUILD (default
# ${TMPDIR:-/tmp}/hostwatch-fuzz-build; reused, rebuilt by make when the
# sources change) with the project's own configure:
#   CC=clang configure --enable-sanitizers \
#     CFLAGS="-O1 -g -fsanitize=fuzzer-no-link -fno-sanitize-recover=all"
# and each fuzz/fuzz_X.c is linked with -fsanitize=fuzzer,address,undefined
# against its libhostwatch.a (libraries: `make print-fuzz-libs`, mk/fuzz.am).
#
# New inputs found during the run go to $HW_FUZZ_BUILD/corpus/<target>/
# (never into the tree); crashes to $HW_FUZZ_BUILD/crashes/<target>/
# (crash-*, leak-*, timeout-*, oom-*). To reproduce one:
#   $HW_FUZZ_BUILD/fuzz/fuzz_X path/to/crash-...
# To keep it as a regression seed, once fixed: copy it into
# fuzz/corpus/fuzz_X/ under a name saying what it was.
#
# Needs clang and libclang-rt-dev (libFuzzer's runtime) on Debian 12:
# packages clang and libclang-rt-14-dev.
set -u

seconds=${1:-30}
shift 2>/dev/null || true
case $seconds in
'' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
build=${HW_FUZZ_BUILD:-${TMPDIR:-/tmp}/hostwatch-fuzz-build}
cc=${CC_FUZZ:-clang}
jobs=${HW_FUZZ_MAKE_JOBS:-2}

command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

# libFuzzer's runtime comes with compiler-rt, a package of its own on Debian.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' >"$probe/p.c"
if ! "$cc" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
	cat "$probe/err" >&2
	echo "fuzz: $cc cannot link libFuzzer (Debian: apt-get install libclang-rt-14-dev)" >&2
	exit 2
fi

mkdir -p "$build" || exit 2
if [ ! -f "$build/Makefile" ]; then
	echo "fuzz: configuring $build"
	(cd "$build" && CC="$cc" "$top/configure" --enable-sanitizers \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
		>configure.log 2>&1) || { tail -20 "$build/configure.log" >&2; exit 2; }
fi
echo "fuzz: building libhostwatch.a in $build"
make -s -C "$build" -j"$jobs" libhostwatch.a >"$build/make.log" 2>&1 ||
	{ tail -30 "$build/make.log" >&2; exit 2; }
# The last line: make may first print its own regeneration output.
cflags=$(make -s -C "$build" print-fuzz-cflags 2>/dev/null | tail -1)
libs=$(make -s -C "$build" print-fuzz-libs 2>/dev/null | tail -1)
[ -n "$libs" ] || { echo "fuzz: make print-fuzz-libs gave nothing" >&2; exit 2; }

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for f in "$top"/fuzz/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

mkdir -p "$build/fuzz"
san="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
for t in "${targets[@]}"; do
	src=$top/fuzz/$t.c
	[ -f "$src" ] || { echo "fuzz: no such target: $src" >&2; exit 2; }
	if [ "$build/fuzz/$t" -nt "$src" ] && [ "$build/fuzz/$t" -nt "$build/libhostwatch.a" ] &&
		[ "$build/fuzz/$t" -nt "$top/fuzz/fuzz_util.h" ]; then
		continue
	fi
	echo "fuzz: linking $t"
	# libhostwatch.a is named relative to the build directory.
	(cd "$build" && $cc -std=c11 -O1 -g -Wall -Wextra -Werror $san $cflags \
		-I"$top/fuzz" -DHW_FUZZ_FIXTURES="\"$top/tests/fixtures\"" \
		"$src" -o "fuzz/$t" $libs) || exit 2
done

# ASan/UBSan: abort on the first error, check leaks; libFuzzer keeps its
# own copy of stderr for reports, so the targets' logging can be closed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
	seeds=$top/fuzz/corpus/$t
	work=$build/corpus/$t
	crashes=$build/crashes/$t
	mkdir -p "$work" "$crashes"
	dict=()
	[ -f "$top/fuzz/$t.dict" ] && dict=("-dict=$top/fuzz/$t.dict")
	log=$build/$t.log
	echo "fuzz: $t for ${seconds}s"
	# New inputs go to $work (first dir); the seeds are only read.
	"$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "${dict[@]}" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -2 | sed 's/^/    /'
	if [ $rc -ne 0 ]; then
		failed+=("$t")
		echo "fuzz: $t FAILED (exit $rc); log $log" >&2
		grep -E 'ERROR: |runtime error:|SUMMARY:' "$log" | head -5 | sed 's/^/    /' >&2
		grep -E 'Test unit written to' "$log" | sed 's/^/    /' >&2
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each, no crash"
