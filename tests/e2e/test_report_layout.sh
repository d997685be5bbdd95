#!/usr/bin/env bash
# test_report_layout.sh - report layouts a reviewer reads: the terminal table on a real pty
# (util-linux `script`, stty cols 60, 80 and 160) against golden files
# testdata/report/term-N.golden.txt, with no line wider than the terminal and DOMAIN, CONF and
# POLICY always there; and the Markdown report of 30 captures (thousands of names, addresses,
# findings) within GitHub's 65,536-character comment limit with --top 0, its captures by file
# name, --top bounding every section. PD_UPDATE_GOLDEN=1 rewrites the terminal goldens.
# Needs sqlite3, python3 and script.
set -euo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
[ -x "$pd" ] || { echo "SKIP: $pd not built"; exit 77; }
for t in sqlite3 python3 script stty; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

work=$(mktemp -d /tmp/report-layout.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }

ver=$(sed -n 's/^#define PD_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$src/analyze/store.h")
newdb() { # newdb FILE [SQL FILE]
	sqlite3 "$1" <"$src/analyze/schema.sql"
	sqlite3 "$1" "PRAGMA user_version = $ver"
	[ -z "${2:-}" ] || sqlite3 "$1" <"$2"
}

# ---- terminal: a pty of 60, 80 and 160 columns ----
newdb "$work/basic.db" "$src/testdata/report/basic.sql"
for cols in 60 80 160; do
	golden=$src/testdata/report/term-$cols.golden.txt
	NO_COLOR=1 script -qec "stty cols $cols rows 60; '$pd' report --db '$work/basic.db' \
		--no-resolve --title 'terminal $cols' --allow '$src/testdata/report/policy.txt'" \
		/dev/null | tr -d '\r' >"$work/term-$cols.txt"
	if [ -n "${PD_UPDATE_GOLDEN:-}" ]; then
		cp "$work/term-$cols.txt" "$golden"
	fi
	if diff -u "$golden" "$work/term-$cols.txt" >"$work/diff"; then
		ok "terminal at $cols columns equals $(basename "$golden")"
	else
		bad "terminal at $cols columns differs from $(basename "$golden"):"
		head -40 "$work/diff"
	fi
	wide=$(python3 -c '
import sys, unicodedata
w = int(sys.argv[2])
def cols(s): return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
print(sum(1 for l in open(sys.argv[1], encoding="utf-8") if cols(l.rstrip("\n")) > w))' \
		"$work/term-$cols.txt" "$cols")
	[ "$wide" = 0 ] && ok "no line wider than $cols columns" || bad "$wide lines wider than $cols columns"
	head=$(grep -m1 '^DOMAIN' "$work/term-$cols.txt" || true)
	case $head in
	*CONF*POLICY*) ok "$cols columns keep DOMAIN, CONF and POLICY" ;;
	*) bad "$cols columns: header '$head' lost CONF or POLICY" ;;
	esac
	grep -q '^VERDICT' "$work/term-$cols.txt" && [ "$(sed -n 2p "$work/term-$cols.txt")" = VERDICT ] &&
		ok "$cols columns: the verdict comes first" || bad "$cols columns: no verdict on line 2"
	if grep -Eq '(^|[^0-9])1 (flows|destinations|addresses|violations|warnings)' "$work/term-$cols.txt"; then
		bad "$cols columns: a wrong plural: $(grep -E '(^|[^0-9])1 (flows|destinations|addresses|violations|warnings)' "$work/term-$cols.txt" | head -2)"
	else
		ok "$cols columns: singular for one"
	fi
done
grep -q 'PORTS' "$work/term-80.txt" && ok "80 columns keep PORTS" || bad "80 columns lost PORTS"

# ---- Markdown over 30 captures: under 65,536 characters whatever --top says ----
newdb "$work/big.db"
sqlite3 "$work/big.db" <<'SQL'
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30)
INSERT INTO captures(id, path, size, sha256, format, link_types, first_ns, last_ns, packets,
	bytes, ingested_at, tool_version)
SELECT i, '/srv/ci/run-' || i || '/capture-of-a-long-job-name-' || i || '.pcapng', 1000,
	printf('%064x', i), 'pcapng', 'ether', 1700000000000000000 + i * 1000000000,
	1700000000000000000 + i * 1000000000 + 600000000000, 100, 100000, 0, 'test' FROM c;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 5999)
INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, server_port, first_ns,
	last_ns, packets_out, bytes_out, packets_in, bytes_in, tcp_state, name, evidence,
	confidence, candidates)
SELECT 1 + i % 30, 'tcp', '10.9.0.' || (i % 200), 30000 + i,
	CASE WHEN i % 7 = 0 THEN '2001:db8:' || printf('%x', i) || '::' || printf('%x', i % 999)
	     ELSE '198.18.' || (i % 250) || '.' || (i / 250 % 250) END,
	443 + i % 23, 1700000000000000000 + i * 100000000, 1700000000000000000 + i * 100000000 + 5000,
	5, 500 + i, 5, 5000 + i, 'established',
	CASE WHEN i % 5 = 0 THEN NULL
	     ELSE 'service-' || (i % 1500) || '.region-' || (i % 17) || '.d' || (i % 900) || '.example' END,
	CASE WHEN i % 5 = 0 THEN 'none' ELSE 'sni' END,
	CASE WHEN i % 3 = 0 THEN 'medium' ELSE 'high' END,
	CASE WHEN i % 11 = 0 THEN 'a-very-long-candidate-name-' || i || '.example|another-' || i || '.example' END
FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 499)
INSERT INTO findings(capture_id, kind, severity, subject, detail, count, first_ns)
SELECT 1 + i % 30, CASE WHEN i % 2 THEN 'ech' ELSE 'encrypted-dns' END,
	CASE WHEN i % 2 THEN 'info' ELSE 'warning' END, '198.18.0.' || (i % 250),
	'TLS ClientHello with encrypted_client_hello: the real name is hidden', 1, 1700000000000000000 FROM n;
SQL
"$pd" report --db "$work/big.db" --no-resolve --top 0 -o "$work/big.md" -o "$work/big.csv"
chars=$(python3 -c 'import sys; print(len(open(sys.argv[1], encoding="utf-8").read()))' "$work/big.md")
rows=$(($(wc -l <"$work/big.csv") - 1))
[ "$chars" -le 65536 ] && ok "Markdown of 30 captures, $rows CSV rows, --top 0: $chars characters (<= 65,536)" ||
	bad "Markdown of 30 captures is $chars characters (> 65,536)"
[ "$rows" -gt 1000 ] && ok "the fixture is big ($rows rows)" || bad "fixture too small ($rows rows)"
grep -q 'more .* not shown' "$work/big.md" && ok "rows past the budget are summarised with a count" ||
	bad "no 'N more ... not shown' line"
head -12 "$work/big.md" | grep -q '^## Verdict' && ok "the Markdown opens with the verdict" ||
	bad "no verdict at the top of the Markdown"
caps=$(sed -n '/^## Captures/,$p' "$work/big.md" | grep -c '^| capture-of-a-long-job-name-[0-9]*\.pcapng' || true)
[ "$caps" -ge 20 ] && ok "--top 0 lists $caps captures by file name" ||
	bad "--top 0 lists $caps captures by file name"
! grep -q '/srv/ci/run-' "$work/big.md" && ok "no capture directories in the Markdown" ||
	bad "capture directories in the Markdown"
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$work/big.md")
[ "$longest" -le 1200 ] && ok "longest Markdown row $longest characters (bounded cells)" ||
	bad "a Markdown row of $longest characters"
"$pd" report --db "$work/big.db" --no-resolve --top 5 -o "$work/top5.md"
caps=$(sed -n '/^## Captures/,$p' "$work/top5.md" | grep -c '^| capture-of' || true)
[ "$caps" = 5 ] && ok "--top 5 lists 5 captures" || bad "--top 5 lists $caps captures"
grep -q '25 more captures not shown' "$work/top5.md" && ok "--top 5 counts the other 25 captures" ||
	bad "--top 5 does not count the other captures"

[ "$fails" = 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
exit $((fails > 0))
