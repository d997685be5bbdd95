#!/usr/bin/env bash
# Regenerates tests/fuzz/corpus/dns: the messages of test_dns's `valid` tests, written by the
# Check suite itself (PD_DNS_WRITE_CORPUS), so the seeds are built by the C builder in
# tests/test_dns.c. Usage: tests/fuzz/make_dns_corpus.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
out=tests/fuzz/corpus/dns
[ -x "$build/tests/test_dns" ] || { echo "build test_dns first (tests/run.sh)" >&2; exit 1; }
mkdir -p "$out"
CK_FORK=no CK_RUN_CASE=valid PD_DNS_WRITE_CORPUS="$out" "$build/tests/test_dns" >/dev/null
ls "$out"
