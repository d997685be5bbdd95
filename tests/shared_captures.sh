#!/usr/bin/env bash
# shared_captures.sh - scores build/pcapdomains against the real public captures in
# ../shared/captures (relative to the repository root) with ../shared/tools/score-captures:
# for each capture, the names tshark sees per flow (TLS SNI, QUIC SNI, HTTP Host) must be the
# domain of that endpoint's row in the CSV report. A development check, not part of ctest (the
# captures are not in the repository). usage: tests/shared_captures.sh [PD_BINARY]
# Exit status: score-captures' (0 when it ran); 2 when pcapdomains is not built.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
pd=${1:-build/pcapdomains}
# ../shared next to the repository; ../../shared from a worktree under a sibling folder;
# $PD_SHARED overrides both
shared=""
for d in ${PD_SHARED:-} ../shared ../../shared; do
	[ -x "$d/tools/score-captures" ] && [ -d "$d/captures" ] && { shared=$d; break; }
done
if [ -z "$shared" ]; then
	echo "shared_captures.sh: no ../shared/captures with tools/score-captures here; nothing scored"
	exit 0
fi
tool=$shared/tools/score-captures
[ -x "$pd" ] || { echo "shared_captures.sh: $pd not built (tests/run.sh)" >&2; exit 2; }
exec "$tool" "$(cd "$(dirname "$pd")" && pwd)/$(basename "$pd")"
