#!/usr/bin/env bash
# run.sh - builds the libFuzzer harnesses (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan into
# build-fuzz, and runs each for a bounded time over its seed corpus tests/fuzz/corpus/<name>/
# (<name> = harness name without fuzz_). Fails when any fuzzer finds a crash, a leak, a
# timeout or runs out of memory; the input that did it is kept in
# build-fuzz/fuzz-out/<name>/ (crash-*, leak-*, timeout-*, oom-*) and its path printed.
#
# usage: tests/fuzz/run.sh [--ci | --long | --time SECONDS] [NAME...]
#   --ci          30 s per harness (what .ci/run uses)
#   --long        10 min per harness (before a release, or after changing a parser)
#   --time N      N seconds per harness
#   default       60 s per harness
#   NAME...       only these harnesses (dns, tls, ...); default: every tests/fuzz/fuzz_*.c
# Environment: PD_FUZZ_BUILD (default build-fuzz), CC (default clang), PD_FUZZ_JOBS (parallel
# fuzzer processes per harness, default 1).
# New inputs found are kept in build-fuzz/fuzz-out/<name>/corpus (not committed); merge the
# interesting ones into the seed corpus with: build-fuzz/tests/fuzz/fuzz_<name> -merge=1
# tests/fuzz/corpus/<name> build-fuzz/fuzz-out/<name>/corpus
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
secs=60
names=()
while [ $# -gt 0 ]; do
	case $1 in
	--ci) secs=30 ;;
	--long) secs=600 ;;
	--time) secs=${2:?--time needs seconds}; shift ;;
	-h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "tests/fuzz/run.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("${1#fuzz_}") ;;
	esac
	shift
done
build=${PD_FUZZ_BUILD:-build-fuzz}
export CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "tests/fuzz/run.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

if [ ${#names[@]} = 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		[ -f "$f" ] || continue
		n=$(basename "$f" .c)
		names+=("${n#fuzz_}")
	done
fi
if [ ${#names[@]} = 0 ]; then
	echo "tests/fuzz/run.sh: no harnesses (tests/fuzz/fuzz_*.c)"
	exit 0
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPD_FUZZ=ON -DPD_TESTS=OFF >/dev/null ||
	exit 2
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" || exit 2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for n in "${names[@]}"; do
	bin=$build/tests/fuzz/fuzz_$n
	out=$build/fuzz-out/$n
	mkdir -p "$out/corpus"
	seeds=tests/fuzz/corpus/$n
	dirs=("$out/corpus")
	if [ -d "$seeds" ]; then
		dirs+=("$seeds")
	else
		echo "fuzz_$n: no seed corpus in $seeds, starting from nothing"
	fi
	dict=()
	jobs=()
	[ "${PD_FUZZ_JOBS:-1}" -gt 1 ] && jobs=(-jobs="$PD_FUZZ_JOBS" -workers="$PD_FUZZ_JOBS")
	[ -f "tests/fuzz/$n.dict" ] && dict=(-dict="tests/fuzz/$n.dict")
	echo "fuzz_$n: ${secs}s over ${dirs[*]}"
	# new inputs go to the first directory (the work corpus); the seeds are only read
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/" "${jobs[@]}" "${dict[@]}" "${dirs[@]}" >"$out/log" 2>&1
	rc=$?
	# -jobs writes fuzz-N.log files in the current directory
	for l in fuzz-[0-9]*.log; do [ -f "$l" ] && mv "$l" "$out/"; done
	found=$(cd "$out" && for a in crash-* leak-* timeout-* oom-* slow-unit-*; do
		[ -f "$a" ] && echo "$a"; done)
	if [ $rc != 0 ] || [ -n "$found" ]; then
		failed+=("$n")
		echo "fuzz_$n: FAILED (exit $rc); log $out/log"
		grep -E 'ERROR|SUMMARY|runtime error' "$out/log" | head -5
		for f in $found; do echo "  kept: $out/$f"; done
	else
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$out/log" | tail -1 |
			sed "s/^/fuzz_$n: ok, /"
	fi
done
if [ ${#failed[@]} != 0 ]; then
	echo "fuzzers that failed: ${failed[*]}"
	exit 1
fi
echo "all ${#names[@]} fuzzers ran ${secs}s without a finding"
