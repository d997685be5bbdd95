#!/usr/bin/env bash
# test_options.sh - the one option table (cmd/pcapdomains/opts.c): the README's option table is
# the one `pcapdomains --options-markdown` generates; every usage error names the option and
# prints the usage line; conflicts are errors; options marked "ignored" are accepted; devices
# are written in place; diff --quiet prints nothing; ingest says a failure once.
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
[ -x "$pd" ] || { echo "FAIL: $pd not built"; exit 1; }
work=$(mktemp -d /tmp/options.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
cap=$src/testdata/sample.pcapng

# README table == generated table
sed -n '/<!-- options-table: begin -->/,/<!-- options-table: end -->/p' "$src/README.md" | sed '1d;$d' >"$work/readme.md"
"$pd" --options-markdown >"$work/gen.md"
if cmp -s "$work/readme.md" "$work/gen.md"; then ok "README option table is the generated one"; else
	bad "README option table differs from 'pcapdomains --options-markdown' (regenerate it):"
	diff "$work/readme.md" "$work/gen.md" | head -20
fi

# err WANT_TEXT CMD...: exit 2, stderr names WANT_TEXT and has a usage line
err() {
	local want=$1 rc=0
	shift
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	if [ "$rc" = 2 ] && grep -qF -- "$want" "$work/err" && grep -q '^usage: pcapdomains' "$work/err"; then
		ok "$* -> '$want' + usage"
	else
		bad "$*: exit $rc, stderr: $(head -3 "$work/err")"
	fi
}
err "--geoip: not an option of merge" "$pd" merge --db "$work/m.db" --geoip "$src/testdata/geoip" x.db
err "-z: unknown option" "$pd" report --no-resolve -zz "$cap"
err "--no-such: unknown option" "$pd" check --no-such=3 "$cap"
err "--top: needs a number, got 'x'" "$pd" report --top x "$cap"
err "-j/--jobs: needs 1..256, got '0'" "$pd" ingest --db "$work/x.db" -j 0 "$cap"
err "--format csv conflicts with -o/--output $work/x.html" "$pd" report --format csv -o "$work/x.html" "$cap"
err "-o/--output: '-' given twice" "$pd" report -o - -o - "$cap"
err "'-' (standard input) given 2 times" "$pd" report - -
err "--db: needs an argument" "$pd" report --db
err "--resolver and --no-resolve: conflict" "$pd" report --resolver 127.0.0.1 --no-resolve "$cap"
[ ! -e "$work/x.html" ] && ok "nothing written on a conflict" || bad "x.html written despite the conflict"

# options marked ignored are accepted
"$pd" check --allow /dev/null --no-resolve --geoip "$src/testdata/geoip" "$cap" >/dev/null 2>&1
[ $? = 1 ] && ok "check accepts --no-resolve and --geoip (ignored)" || bad "check with ignored options"
"$pd" allowlist --no-resolve "$cap" >/dev/null 2>&1 && ok "allowlist accepts --no-resolve" || bad "allowlist --no-resolve"

# a character device is written in place
"$pd" report --no-resolve -o /dev/null "$cap" 2>"$work/err" && ok "report -o /dev/null" || bad "report -o /dev/null: $(cat "$work/err")"
"$pd" diff -o /dev/null "$cap" "$cap" 2>"$work/err" && ok "diff -o /dev/null" || bad "diff -o /dev/null: $(cat "$work/err")"
"$pd" report --no-resolve -o /dev/stdout "$cap" 2>"$work/err" | grep -q '^VERDICT' && ok "report -o /dev/stdout: the text table" || bad "report -o /dev/stdout: $(cat "$work/err")"

# diff --quiet prints nothing; the exit status still tells
out=$("$pd" diff --quiet --fail-on-new "$src/testdata/sample-sll2.pcap" "$cap" 2>&1; echo "rc=$?")
case $out in rc=[01]) ok "diff --quiet prints nothing ($out)" ;; *) bad "diff --quiet printed: $(echo "$out" | head -3)" ;; esac

# ingest says a failure once
printf 'not a capture at all' >"$work/bad.pcap"
"$pd" ingest --db "$work/i.db" "$work/bad.pcap" >/dev/null 2>"$work/err"
n=$(grep -c 'bad.pcap' "$work/err")
[ "$n" = 1 ] && ok "ingest names a failed capture once" || bad "ingest said it $n times: $(cat "$work/err")"

[ "$fails" = 0 ] && { echo "PASS"; exit 0; }
echo "$fails failed"
exit 1
