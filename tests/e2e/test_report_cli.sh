#!/usr/bin/env bash
# test_report_cli.sh - `pcapdomains report` as a user runs it: usage errors, every output
# format from a database filled from the SQL fixtures (testdata/report/*.sql), format by
# extension, '-' with --format, write failures (/dev/full, a directory that cannot hold
# files) as exit 2 with the old report left intact and no temporary file left behind, no
# colour into a pipe, hostile data never reaching the terminal raw.
# Also real traffic: testdata/tls/real.pcap, its names, -j 2 against -j 1, a cut capture.
# Needs sqlite3 and python3.
set -euo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
[ -x "$pd" ] || { echo "SKIP: $pd not built"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

work=$(mktemp -d /tmp/report-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
expect_rc() { # expect_rc WANT DESCRIPTION CMD...
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else bad "$what: exit $rc, want $want: $(head -3 "$work/err")"; fi
}

# Usage: no capture, unknown option, unknown format, --help.
expect_rc 2 "no capture and no --db" "$pd" report
expect_rc 2 "unknown option" "$pd" report --bogus x.pcap
expect_rc 2 "unknown --format" "$pd" report --format xls x.pcap
expect_rc 2 "-o with an unknown extension" "$pd" report -o out.xlsx x.pcap
expect_rc 2 "--capture without --db" "$pd" report --capture 1 x.pcap
expect_rc 0 "--help" "$pd" report --help
for opt in --output --format --db --capture --geoip --resolver --no-resolve --allow --filter \
	--jobs --dns-grace --title --top --quiet --help; do
	grep -q -- "$opt" "$work/out" || bad "--help does not list $opt"
done
ok "--help lists every option"

mkdb() { # mkdb FIXTURE DB
	sqlite3 "$2" <"$src/analyze/schema.sql"
	sqlite3 "$2" "PRAGMA user_version = $(sed -n 's/^#define PD_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$src/analyze/store.h")"
	sqlite3 "$2" <"$src/testdata/report/$1.sql"
}
mkdb basic "$work/basic.db"
mkdb hostile "$work/hostile.db"

# Every format from one run, by extension.
expect_rc 0 "five outputs in one run" "$pd" report --db "$work/basic.db" --no-resolve \
	-o "$work/r.html" -o "$work/r.csv" -o "$work/r.md" -o "$work/r.json" -o "$work/r.txt"
head -1 "$work/r.csv" | grep -q '^domain,registrable_domain,evidence,confidence,candidates,server_ip,port,proto,app_proto,flows,packets_out,bytes_out,packets_in,bytes_in,first_seen,last_seen,country,asn,as_org,cdn,policy,captures' &&
	ok "CSV header starts with the documented columns" || bad "CSV header"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema_version"]==1 and d["summary"]["flows"]==12' "$work/r.json" &&
	ok "JSON parses and holds the summary" || bad "JSON"
grep -q '^## Destinations' "$work/r.md" && ok "Markdown report" || bad "Markdown"
grep -q 'Content-Security-Policy' "$work/r.html" && ok "HTML report with a CSP" || bad "HTML"
grep -q 'www.example.com' "$work/r.txt" && ok "text report to a file" || bad "text file"
[ "$(stat -c %a "$work/r.html")" != 600 ] && ok "report files get normal permissions" || bad "report file mode 600"

# stdout: the table without colour into a pipe; --format json -o -.
expect_rc 0 "table on stdout" "$pd" report --db "$work/basic.db" --no-resolve
grep -q $'\x1b' "$work/out" && bad "ESC in piped output" || ok "no colour into a pipe"
expect_rc 0 "--format json -o -" "$pd" report --db "$work/basic.db" --no-resolve --format json -o -
python3 -c 'import json,sys; json.load(sys.stdin)' <"$work/out" && ok "JSON on stdout" || bad "JSON on stdout"

# On a terminal (a pty from script(1)): colour, none with NO_COLOR, width from the terminal.
if command -v script >/dev/null; then
	script -qec "'$pd' report --db '$work/basic.db' --no-resolve" /dev/null >"$work/tty" </dev/null
	grep -q $'\x1b\[1m' "$work/tty" && ok "colour on a terminal" || bad "no colour on a terminal"
	NO_COLOR=1 script -qec "'$pd' report --db '$work/basic.db' --no-resolve" /dev/null \
		>"$work/tty" </dev/null
	grep -q $'\x1b' "$work/tty" && bad "colour despite NO_COLOR" || ok "NO_COLOR honoured"
	script -qec "stty cols 60; '$pd' report --db '$work/basic.db' --no-resolve" /dev/null \
		>"$work/tty" </dev/null
	awk '{ sub(/\r$/, ""); gsub(/\x1b\[[0-9;]*m/, ""); if (length($0) > 60 && $0 ~ /^[a-z]/) bad = 1 }
		END { exit bad }' "$work/tty" && ok "table rows fit a 60-column terminal" ||
		bad "table wider than the terminal"
fi

# Selection by id, SHA-256 and path.
sha=$(sqlite3 "$work/basic.db" "SELECT sha256 FROM captures WHERE id = 2")
for sel in 2 "$sha" /captures/app.pcapng; do
	expect_rc 0 "--capture $sel" "$pd" report --db "$work/basic.db" --no-resolve --capture "$sel" --format json -o -
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert [c["id"] for c in d["captures"]]==[2]' <"$work/out" &&
		ok "selection $sel reports capture 2 only" || bad "selection $sel"
done
expect_rc 2 "--capture that is not there" "$pd" report --db "$work/basic.db" --no-resolve --capture 42

# Write failures: exit 2, a clear message, the old file intact, no temporary file left.
echo OLD >"$work/keep.html"
expect_rc 2 "failing run keeps the old report" "$pd" report --db "$work/basic.db" --no-resolve --capture 42 -o "$work/keep.html"
[ "$(cat "$work/keep.html")" = OLD ] && ok "old report untouched" || bad "old report changed"
expect_rc 2 "writing to /dev/full" "$pd" report --db "$work/basic.db" --no-resolve --format csv -o /dev/full
grep -q "cannot write /dev/full" "$work/err" && ok "message names the file" || bad "message: $(cat "$work/err")"
expect_rc 2 "stdout on /dev/full" sh -c "'$pd' report --db '$work/basic.db' --no-resolve >/dev/full"
expect_rc 2 "directory that does not exist" "$pd" report --db "$work/basic.db" --no-resolve -o "$work/nodir/r.html"
expect_rc 2 "directory that cannot hold files" "$pd" report --db "$work/basic.db" --no-resolve -o /proc/r.html
ls -a "$work" | grep -q '^\.pcapdomains-' && bad "temporary file left behind" || ok "no temporary file left"

# Hostile data: nothing raw reaches the terminal, CSV stays parseable.
expect_rc 0 "hostile database" "$pd" report --db "$work/hostile.db" --no-resolve --top 0 -o "$work/h.csv" -o -
LC_ALL=C grep -q $'\x1b' "$work/out" && bad "ESC from data on stdout" || ok "no ESC from data on stdout"
python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert all(len(r) == len(rows[0]) for r in rows), "column counts"
assert not any(c[:1] in ("=", "+", "-", "@") for r in rows[1:] for c in r), "formula"
' "$work/h.csv" && ok "hostile CSV parses with python csv, no formula cells" || bad "hostile CSV"

# Real traffic: testdata/tls/real.pcap (recorded by testdata/tls/record.sh, names in real.tsv).
real=$src/testdata/tls/real.pcap
expect_rc 0 "report on a real capture" "$pd" report --no-resolve --format json -o - "$real"
cp "$work/out" "$work/real.json"
python3 - "$work/real.json" "$src/testdata/tls/real.tsv" <<'PY' && ok "every name in real.tsv is a destination" || bad "names of real.tsv missing"
import ipaddress, json, sys
d = json.load(open(sys.argv[1]))
seen = {c["domain"] for x in d["destinations"] for c in x["connections"]}
want = set()
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if len(f) > 3 and f[3]:
        try:
            ipaddress.ip_address(f[3])
        except ValueError:
            want.add(f[3])
missing = want - seen
assert not missing, missing
PY
# -j 2 into a database gives the report -j 1 gives.
head -c 20000 "$real" >"$work/cut.pcap"
expect_rc 0 "-j 2 with --db" env PCAPDOMAINS_STAGE_MIN=0 "$pd" report --no-resolve -j 2 --db "$work/j2.db" --format json -o - "$real" "$work/cut.pcap"
cp "$work/out" "$work/j2.json"
grep -q "warning" "$work/err" && ok "a cut capture is warned about" || bad "no warning for the cut capture"
expect_rc 0 "-j 1" "$pd" report --no-resolve -j 1 --format json -o - "$real" "$work/cut.pcap"
python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for c in d["captures"]:
        c.pop("path")
assert a["summary"] == b["summary"] and a["destinations"] == b["destinations"], "differ"
assert [c["cut"] for c in a["captures"]] == [False, True]
' "$work/j2.json" "$work/out" && ok "-j 2 and -j 1 report the same" || bad "-j 2 and -j 1 differ"
printf 'not a capture at all\n' >"$work/text.pcap"
expect_rc 2 "not a capture" "$pd" report --no-resolve "$work/text.pcap"
grep -q "text.pcap" "$work/err" && ok "the error names the file" || bad "error: $(cat "$work/err")"

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
