#!/usr/bin/env bash
# test_shared_signals.sh - issue 18: one database shared by several processes, and SIGINT /
# SIGTERM at random moments.
#   * shared: an ingest of a large capture runs while `report --db`, `check DB` and a second
#     ingest use the same database; all succeed, the readers at once (WAL), the second ingest
#     after waiting its turn, and the database ends with every capture, complete.
#   * signals: SIGTERM or SIGINT at a random moment to `ingest -j 2`, `merge` and `report -o`;
#     the exit is 0 (finished first) or 128+signal with one "interrupted by" line, no staging
#     file in $TMPDIR, no .pcapdomains-out.* beside the report, the database intact (integrity
#     check, no half-stored capture), and a re-run without a signal gives the complete result.
# Captures are made by tests/bench/pdgen. Needs sqlite3.
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
gen=$bin/tests/bench/pdgen
[ -x "$pd" ] || { echo "SKIP: $pd not built"; exit 77; }
[ -x "$gen" ] || { echo "SKIP: $gen not built"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }

work=$(mktemp -d /tmp/pd-shared.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR" "$work/out"
fails=0
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
intact() { # intact WHAT DB: integrity, no pending (half-stored) capture
	local r
	r=$(sqlite3 "$2" "PRAGMA integrity_check; SELECT count(*) FROM captures WHERE sha256 LIKE 'pending:%';" 2>&1 | tr '\n' ' ')
	if [ "$r" = "ok 0 " ]; then ok "$1: database intact"; else bad "$1: database '$r'"; fi
}

"$gen" -o "$work/large.pcap" -s 48 -S 1 >/dev/null || { bad "pdgen large"; exit 1; }
for i in 1 2 3 4; do
	"$gen" -o "$work/c$i.pcap" -s 4 -S $((i + 10)) >/dev/null || { bad "pdgen c$i"; exit 1; }
done
printf 'example.com\n' >"$work/policy.txt"

# --- shared database -----------------------------------------------------------------------
db=$work/shared.db
"$pd" ingest --quiet --db "$db" "$work/c1.pcap" >/dev/null 2>&1 || bad "setup ingest"
"$pd" ingest --quiet --db "$db" "$work/large.pcap" >"$work/big.out" 2>"$work/big.err" &
big=$!
sleep 0.5
kill -0 "$big" 2>/dev/null || bad "shared: the large ingest finished too early to test sharing"
t0=$(date +%s%N)
rc=0; "$pd" report --db "$db" --no-resolve -o "$work/out/r.csv" 2>"$work/rep.err" || rc=$?
t1=$(date +%s%N)
if [ "$rc" = 0 ]; then ok "shared: report --db during an ingest ($(((t1 - t0) / 1000000)) ms)"; else bad "shared: report exit $rc: $(head -2 "$work/rep.err")"; fi
rc=0; "$pd" check --allow "$work/policy.txt" --quiet "$db" >/dev/null 2>"$work/chk.err" || rc=$?
if [ "$rc" = 0 ] || [ "$rc" = 1 ]; then ok "shared: check DB during an ingest (exit $rc)"; else bad "shared: check exit $rc: $(head -2 "$work/chk.err")"; fi
rc=0; "$pd" ingest --quiet --db "$db" "$work/c2.pcap" >/dev/null 2>"$work/second.err" || rc=$?
if [ "$rc" = 0 ]; then ok "shared: a second ingest waited its turn and went in"; else bad "shared: second ingest exit $rc: $(head -2 "$work/second.err")"; fi
rc=0; wait "$big" || rc=$?
if [ "$rc" = 0 ]; then ok "shared: the large ingest succeeded"; else bad "shared: large ingest exit $rc: $(head -2 "$work/big.err")"; fi
n=$(sqlite3 "$db" "SELECT count(*) FROM captures")
if [ "$n" = 3 ]; then ok "shared: 3 captures stored"; else bad "shared: $n captures stored, want 3"; fi
intact "shared" "$db"
# complete: the large capture has the same rows as when ingested alone
"$pd" ingest --quiet --db "$work/alone.db" "$work/large.pcap" >/dev/null 2>&1
q="SELECT count(*) FROM flows f JOIN captures c ON c.id = f.capture_id WHERE c.path LIKE '%large.pcap'"
a=$(sqlite3 "$work/alone.db" "$q"); b=$(sqlite3 "$db" "$q")
if [ "$a" = "$b" ] && [ "$a" -gt 0 ]; then ok "shared: large capture complete ($b flows)"; else bad "shared: large capture has $b flows, alone $a"; fi
if [ "$(sqlite3 "$db" 'PRAGMA journal_mode')" = wal ]; then ok "shared: WAL journal mode"; else bad "shared: journal mode $(sqlite3 "$db" 'PRAGMA journal_mode')"; fi

# --- signals at random moments -------------------------------------------------------------
"$pd" ingest --quiet --db "$work/m1.db" "$work/c3.pcap" "$work/large.pcap" >/dev/null 2>&1
"$pd" ingest --quiet --db "$work/m2.db" "$work/c4.pcap" >/dev/null 2>&1
leftovers() { # leftovers WHAT: no staging, temporary or output temp files
	local l
	l=$(ls -A "$TMPDIR"; ls -A "$work/out" | grep '^\.pcapdomains-out\.')
	if [ -z "$l" ]; then ok "$1: no leftover files"; else bad "$1: left $l"; rm -rf "${TMPDIR:?}"/* "$work/out"/.pcapdomains-out.*; fi
}
signalled() { # signalled WHAT RC ERRFILE SIG
	local want=$((128 + $([ "$4" = INT ] && echo 2 || echo 15)))
	if [ "$2" = 0 ]; then
		ok "$1: finished before SIG$4"
	elif [ "$2" = "$want" ] && [ ! -s "$3" ]; then
		ok "$1: SIG$4 before the handlers were installed (process start): exit $2, nothing begun"
	elif [ "$2" = "$want" ] && [ "$(grep -c 'interrupted by SIG' "$3")" = 1 ]; then
		ok "$1: SIG$4 -> exit $2, '$(grep 'interrupted by' "$3")'"
	else
		bad "$1: SIG$4 -> exit $2 (want 0 or $want, one line): $(head -3 "$3")"
	fi
}
for round in 1 2 3 4 5 6; do
	sig=$([ $((round % 2)) = 0 ] && echo INT || echo TERM)
	delay=0.$((RANDOM % 9 + 1))
	# ingest -j 2
	rm -f "$work/sig.db"*
	"$pd" ingest --quiet -j 2 --db "$work/sig.db" "$work/c1.pcap" "$work/large.pcap" \
		"$work/c2.pcap" "$work/c3.pcap" >/dev/null 2>"$work/sig.err" &
	p=$!
	sleep "$delay"; kill -s "$sig" "$p" 2>/dev/null
	rc=0; wait "$p" || rc=$?
	signalled "ingest -j 2 after ${delay}s" "$rc" "$work/sig.err" "$sig"
	leftovers "ingest -j 2 after ${delay}s"
	[ -e "$work/sig.db" ] && intact "ingest -j 2 after ${delay}s" "$work/sig.db"
	rc=0; "$pd" ingest --quiet -j 2 --db "$work/sig.db" "$work/c1.pcap" "$work/large.pcap" \
		"$work/c2.pcap" "$work/c3.pcap" >/dev/null 2>"$work/rerun.err" || rc=$?
	n=$(sqlite3 "$work/sig.db" "SELECT count(*) FROM captures")
	if [ "$rc" = 0 ] && [ "$n" = 4 ]; then ok "ingest -j 2: re-run complete (4 captures)"; else bad "ingest -j 2: re-run exit $rc, $n captures: $(head -2 "$work/rerun.err")"; fi

	# merge
	rm -f "$work/merged.db"*
	"$pd" merge --quiet --db "$work/merged.db" "$work/m2.db" "$work/m1.db" 2>"$work/sig.err" &
	p=$!
	sleep "0.0$((RANDOM % 9 + 1))"; kill -s "$sig" "$p" 2>/dev/null
	rc=0; wait "$p" || rc=$?
	signalled "merge" "$rc" "$work/sig.err" "$sig"
	leftovers "merge"
	[ -e "$work/merged.db" ] && intact "merge" "$work/merged.db"
	rc=0; "$pd" merge --quiet --db "$work/merged.db" "$work/m2.db" "$work/m1.db" 2>"$work/rerun.err" || rc=$?
	n=$(sqlite3 "$work/merged.db" "SELECT count(*) FROM captures")
	if [ "$rc" = 0 ] && [ "$n" = 3 ]; then ok "merge: re-run complete (3 captures)"; else bad "merge: re-run exit $rc, $n captures: $(head -2 "$work/rerun.err")"; fi

	# report -o
	rm -f "$work/out/"*
	"$pd" report --no-resolve -o "$work/out/r.html" -o "$work/out/r.json" "$work/large.pcap" \
		2>"$work/sig.err" &
	p=$!
	sleep "$delay"; kill -s "$sig" "$p" 2>/dev/null
	rc=0; wait "$p" || rc=$?
	signalled "report -o after ${delay}s" "$rc" "$work/sig.err" "$sig"
	leftovers "report -o after ${delay}s"
	rc=0; "$pd" report --no-resolve -o "$work/out/r.html" -o "$work/out/r.json" "$work/large.pcap" 2>"$work/rerun.err" || rc=$?
	if [ "$rc" = 0 ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$work/out/r.json" 2>/dev/null; then
		ok "report -o: re-run complete"
	else
		bad "report -o: re-run exit $rc: $(head -2 "$work/rerun.err")"
	fi
done

# SIGPIPE: a closed pipe is a write error (exit 2), not death by signal (141)
rc=0; "$pd" report --no-resolve --format csv "$work/large.pcap" 2>"$work/pipe.err" | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
if [ "$rc" = 2 ] || [ "$rc" = 0 ]; then ok "SIGPIPE: exit $rc"; else bad "SIGPIPE: exit $rc: $(head -2 "$work/pipe.err")"; fi

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
