#!/usr/bin/env bash
# test_check_outputs.sh - `check -o FILE` for CI systems: JSON validated against
# doc/check-schema.json (python3-jsonschema), JUnit XML validated against testdata/junit/junit.xsd
# (xmllint) with one test case per destination and a failure per violation, ::error annotations
# when GITHUB_ACTIONS=true, exit codes unchanged (1 with a violation, 0 without). Uses the bundled
# testdata/sample.pcapng; no root needed. Also allowlist across two runs: seen-in counts and
# entries missing from one run marked ONLY-SOME.
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
[ -x "$pd" ] || { echo "FAIL: $pd not built"; exit 1; }
command -v xmllint >/dev/null || { echo "SKIP: xmllint not installed (libxml2-utils)"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema not installed"; exit 77; }
work=$(mktemp -d /tmp/check-out.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
cap=$src/testdata/sample.pcapng
xsd=$src/testdata/junit/junit.xsd
schema=$src/doc/check-schema.json
validate_json() {
	python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "$1" "$schema"
}

printf '*.example.test\n' >"$work/some.txt"      # leaves unnamed DNS and ICMPv6 out
printf '*.test\n10.0.0.0/8\nfd00::/8\n' >"$work/all.txt" # everything in the sample

rc=0
GITHUB_ACTIONS=true "$pd" check --allow "$work/some.txt" -o "$work/r.json" -o "$work/r.xml" "$cap" >"$work/gha.out" 2>"$work/err" || rc=$?
[ "$rc" = 1 ] && ok "violations: exit 1 with -o" || bad "violations: exit $rc: $(cat "$work/err")"
validate_json "$work/r.json" 2>"$work/v.err" && ok "JSON validates against doc/check-schema.json" || bad "JSON schema: $(tail -3 "$work/v.err")"
xmllint --noout --schema "$xsd" "$work/r.xml" 2>"$work/x.err" && ok "JUnit XML validates against testdata/junit/junit.xsd" || bad "JUnit: $(cat "$work/x.err")"
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["destinations"])' "$work/r.json")
v=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["violations"]==sum(not i["allowed"] for i in d["items"]); print(d["violations"])' "$work/r.json")
[ "$v" -gt 0 ] && ok "JSON: $v violations among $n destinations" || bad "JSON violations $v"
tc=$(xmllint --xpath 'count(//testcase)' "$work/r.xml")
fl=$(xmllint --xpath 'count(//testcase/failure)' "$work/r.xml")
[ "$tc" = "$n" ] && [ "$fl" = "$v" ] && ok "JUnit: one test case per destination ($tc), a failure per violation ($fl)" || bad "JUnit: $tc test cases, $fl failures; want $n, $v"
[ "$(xmllint --xpath 'string(/testsuites/@failures)' "$work/r.xml")" = "$v" ] && ok "JUnit: testsuites failures attribute" || bad "JUnit failures attribute"
ga=$(grep -c '^::error title=pcapdomains check::' "$work/gha.out")
[ "$ga" = "$v" ] && ok "GITHUB_ACTIONS=true: one ::error per violation ($ga)" || bad "annotations: $ga, want $v: $(head -3 "$work/gha.out")"
"$pd" check --allow "$work/some.txt" "$cap" >"$work/plain.out" 2>&1
grep -q '^::error' "$work/plain.out" && bad "::error without GITHUB_ACTIONS" || ok "no annotations outside GitHub Actions"

rc=0
GITHUB_ACTIONS=true "$pd" check --allow "$work/all.txt" -o "$work/p.json" -o "$work/p.xml" "$cap" >"$work/gha2.out" 2>&1 || rc=$?
[ "$rc" = 0 ] && ok "no violation: exit 0 with -o" || bad "no violation: exit $rc"
validate_json "$work/p.json" && [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"])' "$work/p.json")" = pass ] && ok "JSON pass result" || bad "JSON pass"
xmllint --noout --schema "$xsd" "$work/p.xml" 2>/dev/null && [ "$(xmllint --xpath 'count(//failure)' "$work/p.xml")" = 0 ] && ok "JUnit without failures validates" || bad "JUnit pass"
[ ! -s "$work/gha2.out" ] && ok "no annotation when all is allowed" || bad "annotations on a pass: $(cat "$work/gha2.out")"

# --format to stdout, and conflicts
"$pd" check --allow "$work/some.txt" --format junit "$cap" >"$work/s.xml" 2>/dev/null
xmllint --noout --schema "$xsd" "$work/s.xml" 2>/dev/null && ok "--format junit on stdout" || bad "--format junit on stdout"
"$pd" check --allow "$work/some.txt" --format json -o - "$cap" >"$work/s.json" 2>/dev/null
validate_json "$work/s.json" && ok "--format json -o -" || bad "--format json -o -"
rc=0
"$pd" check --allow "$work/some.txt" --format junit -o "$work/x.json" "$cap" >/dev/null 2>"$work/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'conflicts with -o/--output' "$work/err" && ok "--format junit -o x.json: usage error" || bad "format conflict: exit $rc $(cat "$work/err")"

# allowlist across runs: each entry says in how many captures it was seen
if command -v editcap >/dev/null; then
	editcap -r "$cap" "$work/first.pcapng" 1-40 >/dev/null 2>&1
	"$pd" allowlist "$cap" "$work/first.pcapng" >"$work/al.txt" 2>/dev/null
	full=$("$pd" allowlist "$cap" 2>/dev/null | grep -c '^[^#]')
	all=$(grep -c 'seen in 2 of 2 captures' "$work/al.txt")
	some=$(grep -c 'seen in 1 of 2 captures (ONLY-SOME' "$work/al.txt")
	[ "$all" -gt 0 ] && [ "$some" -gt 0 ] && [ $((all + some)) = "$full" ] &&
		ok "allowlist of 2 runs: $all entries in both, $some marked ONLY-SOME" ||
		bad "allowlist seen-in: $all in both, $some only-some, $full entries: $(cat "$work/al.txt")"
else
	echo "SKIP (partly): editcap not installed: no allowlist seen-in check"
fi

# the validators are not rubber stamps
sed 's/"allowed": true/"allowed": "yes"/' "$work/r.json" >"$work/broken.json"
validate_json "$work/broken.json" 2>/dev/null && bad "a broken JSON validated" || ok "the JSON schema rejects a wrong type"
sed 's/<testcase classname/<testcase bogus="1" classname/' "$work/r.xml" >"$work/broken.xml"
xmllint --noout --schema "$xsd" "$work/broken.xml" 2>/dev/null && bad "a broken JUnit file validated" || ok "the XSD rejects an unknown attribute"

[ "$fails" = 0 ] && { echo "PASS"; exit 0; }
echo "$fails failed"
exit 1
