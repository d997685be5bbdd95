#!/usr/bin/env bash
# test_limits.sh - SPEC 3 "never grow without bound" and SPEC 4 "peak memory under 64 MiB
# whatever the capture's size": captures crafted to exhaust memory (tests/tools/pdhostile.c,
# built here) must degrade with a warning instead of dying. For each: the run finishes, exit
# 0, the limit shows as a finding or parser counter in the database, and the peak RSS
# (/usr/bin/time) stays under 64 MiB.
#   flows       1,000,000 distinct single-packet flows within one second (PD_MAX_LIVE_FLOWS)
#   names       2000 registrable domains answered for one address (PD_MAX_NAMES_PER_ADDR)
#   candidates  2000 names for one address to one client before its flow (PD_MAX_CANDIDATES)
#   answers     500,000 DNS answers, each a new name for a new address (the DNS map and the
#               names table grow with the capture; attribution's memory must not)
#   reasm       250,000 concurrent TCP flows each holding half a ClientHello (reassembly
#               budget, with the flow table full at the same time)
#   frags       20,000 unfinished IPv4 fragment sets (PD_MAX_FRAG_SETS)
#   dnstcp      20,000 DNS/TCP flows announcing 65535-byte messages that never come
#   report      `pcapdomains report` without --db on the million flows (its database is
#               temporary, yet must not hold everything in memory)
# No root needed; needs a C compiler, sqlite3 and /usr/bin/time.
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
[ -x "$pd" ] || { echo "SKIP: $pd not built"; exit 77; }
cc=${CC:-cc}
command -v "$cc" >/dev/null || { echo "SKIP: no C compiler ($cc) for tests/tools/pdhostile.c"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time not installed (apt-get install time)"; exit 77; }

limit_kb=$((64 * 1024))
# Under ASan the shadow memory and quarantine dwarf the program's own: the runs and limits are
# still checked, the RSS bound only in a plain build.
sanitized=0
grep -q '^PD_SANITIZE:BOOL=ON' "$bin/CMakeCache.txt" 2>/dev/null && sanitized=1
# sizes: above every limit; smaller under the sanitizers (several times slower) to stay in time
n_flows=1000000 n_answers=500000 n_reasm=250000
[ "$sanitized" = 1 ] && n_flows=300000 n_answers=100000 n_reasm=210000
work=$(mktemp -d /tmp/robust-limits.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }

"$cc" -O2 -o "$work/pdhostile" "$src/tests/tools/pdhostile.c" || { bad "cannot build pdhostile"; exit 1; }

# measure NAME CMD...: runs CMD under /usr/bin/time; checks exit 0 and the peak RSS
measure() {
	local name=$1 rc=0 kb secs
	shift
	/usr/bin/time -o "$work/time" -f "%M %e" "$@" >"$work/out" 2>"$work/err" || rc=$?
	read -r kb secs <"$work/time"
	if [ "$rc" = 0 ]; then ok "$name: finished in ${secs}s, exit 0"; else bad "$name: exit $rc: $(tail -3 "$work/err")"; fi
	if [ "$sanitized" = 1 ]; then
		echo "     $name: peak RSS $((kb / 1024)) MiB (sanitizer build: not compared with 64 MiB)"
	elif [ "$kb" -lt "$limit_kb" ]; then
		ok "$name: peak RSS $((kb / 1024)) MiB < 64 MiB"
	else
		bad "$name: peak RSS $((kb / 1024)) MiB, over 64 MiB"
	fi
}
# ingest MODE N: a fresh database from pdhostile MODE N
ingest() {
	"$work/pdhostile" "$1" "$2" "$work/$1.pcap" || { bad "pdhostile $1 $2"; return 1; }
	rm -f "$work/$1.db"
	measure "$1 ($2)" "$pd" ingest --quiet --db "$work/$1.db" "$work/$1.pcap"
}
# expect NAME DB SQL WANT: a query on the database gives WANT (a shell pattern)
expect() {
	local got
	got=$(sqlite3 "$2" "$3" 2>&1 | tr '\n' ' ')
	# shellcheck disable=SC2254
	case $got in
	$4) ok "$1: $got" ;;
	*) bad "$1: got '$got', want '$4' from: $3" ;;
	esac
}
counter() { echo "SELECT coalesce(sum(n), 0) > 0 FROM counters WHERE kind = '$1' AND what = '$2'"; }
finding() { echo "SELECT count(*) > 0 FROM findings WHERE kind = 'limit' AND detail LIKE '%$1%'"; }

if ingest flows $n_flows; then
	expect "flows: limit finding" "$work/flows.db" "$(finding 'more than 200000 flows live')" "1 "
	expect "flows: flushed early" "$work/flows.db" "$(counter flow limit_flushed)" "1 "
	expect "flows: every flow written" "$work/flows.db" "SELECT count(*) FROM flows" "$n_flows "
	# the same capture through `report` with its temporary database
	measure "report without --db ($n_flows flows)" "$pd" report --no-resolve -o "$work/flows.json" \
		"$work/flows.pcap"
	grep -q 'more than 200000 flows live' "$work/flows.json" &&
		ok "report without --db: the limit finding is in the report" ||
		bad "report without --db: no limit finding in the JSON report"
fi
rm -f "$work/flows.pcap" "$work/flows.db"

if ingest names 2000; then
	expect "names: limit finding" "$work/names.db" "$(finding 'more than 256 names')" "1 "
	expect "names: the address is shared" "$work/names.db" \
		"SELECT count(DISTINCT registrable) >= 256 FROM names WHERE ip = '203.0.113.7'" "1 "
fi
if ingest candidates 2000; then
	expect "candidates: limit finding" "$work/candidates.db" "$(finding 'candidate lists cut at 16')" "1 "
	expect "candidates: the flow is named, with 16 candidates at most" "$work/candidates.db" \
		"SELECT name IS NOT NULL, length(candidates) - length(replace(candidates, '|', '')) < 16
		 FROM flows WHERE server_port = 9443" "1|1 "
fi
if ingest answers $n_answers; then
	expect "answers: every answer stored" "$work/answers.db" "SELECT count(*) FROM dns_answers" "$n_answers "
	expect "answers: the flow is named by DNS" "$work/answers.db" \
		"SELECT name, evidence FROM flows WHERE server_port = 9443" "host$((n_answers - 1)).answers.example.com|dns "
fi
rm -f "$work/answers.pcap" "$work/answers.db"
if ingest reasm $n_reasm; then
	expect "reasm: reassembly limit counted" "$work/reasm.db" "$(counter tcp reassembly_limit)" "1 "
	expect "reasm: flow limit finding" "$work/reasm.db" "$(finding 'more than 200000 flows live')" "1 "
	expect "reasm: unfinished ClientHellos counted" "$work/reasm.db" "$(counter tls truncated)" "1 "
fi
rm -f "$work/reasm.pcap"
if ingest frags 20000; then
	expect "frags: dropped fragment sets counted" "$work/frags.db" "$(counter decode fragments_dropped)" "1 "
fi
rm -f "$work/frags.pcap"
if ingest dnstcp 20000; then
	expect "dnstcp: streams given up counted" "$work/dnstcp.db" "$(counter dns tcp_gave_up)" "1 "
fi

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
