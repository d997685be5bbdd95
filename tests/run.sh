#!/usr/bin/env bash
# Builds pcapdomains and runs the whole test suite: Check unit tests and the end-to-end tests
# (those need root for network namespaces and say so when they skip).
# PD_BUILD=DIR picks the build directory (default build); PD_SANITIZE=1 builds with ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PD_BUILD:-build}
san=OFF
[ "${PD_SANITIZE:-0}" = 1 ] && san=ON
cmake -S . -B "$build" -DPD_WERROR=ON -DPD_SANITIZE=$san >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure --no-tests=error "$@"
