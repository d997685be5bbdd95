#!/usr/bin/env bash
# test_manpage.sh - the manual pages render without a single groff warning, and pcapdomains(1)
# cannot silently fall behind the program: every option that `pcapdomains SUB --help` prints
# must appear in the page, and every option of the help's option list must appear in that
# subcommand's own subsection (.SS "pcapdomains SUB").
# Pages: doc/pcapdomains.1, and cmd/pcapdomains-capture/pcapdomains-capture.1 when it exists
# (rendering only). Self-checks: a copy of the page with an option removed, and one with a bad
# macro, must each be caught, so the checks themselves are known to fail when they should.
# Needs groff (Debian: groff-base); no root, no network.
set -euo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
page=$src/doc/pcapdomains.1
capture_page=$src/cmd/pcapdomains-capture/pcapdomains-capture.1
command -v groff >/dev/null || { echo "SKIP: groff not installed (apt-get install groff-base)"; exit 77; }
[ -x "$pd" ] || { echo "SKIP: $pd not built"; exit 77; }
[ -f "$page" ] || { echo "FAIL: $page missing"; exit 1; }

work=$(mktemp -d /tmp/docs-manpage.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }

subs="report ingest check diff allowlist merge"

# render FILE: prints groff's warnings and errors (nothing when the page is clean).
render() {
	local rc=0
	LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$1" 2>&1 || rc=$?
	[ "$rc" = 0 ] || echo "groff exit status $rc"
	if command -v man >/dev/null; then
		# man adds preconv and its own checks (e.g. an encoding problem)
		rc=0
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null || rc=$?
		[ "$rc" = 0 ] || echo "man exit status $rc"
	fi
}

# plain FILE: the roff source with escapes a reader would not type undone (\- \f? \(aq \e \&).
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e "s/\\\\(aq/'/g" \
		-e 's/\\e/\\/g' -e 's/\\&//g' "$1"
}

# section TEXT SUB: the lines of subsection .SS "pcapdomains SUB" of a plain page.
section() {
	awk -v want=".SS \"pcapdomains $2\"" '
		$0 == want { on = 1; next }
		on && /^\.(SS|SH)( |$)/ { on = 0 }
		on { print }' "$1"
}

# mentioned TEXTFILE OPT: OPT appears as a whole word (not inside --dns-grace for -d).
mentioned() {
	grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|$)" "$1"
}

# help_opts TEXT: every option token in a help text (after space, bracket, quote or comma).
help_opts() {
	grep -oE -- "(^|[][[:space:](,|'\`])--?[A-Za-z][A-Za-z0-9-]*" | sed -E 's/^[^-]*//' |
		sort -u
}

# list_opts TEXT: the options of the help's option list (lines starting with spaces and '-').
list_opts() {
	grep -E '^[[:space:]]+-' | sed -E 's/^[[:space:]]+//; s/  .*//' | help_opts
}

# check_options PAGE: checks pcapdomains' help texts against PAGE; prints one line per miss.
check_options() {
	local p=$1 sub opt
	plain "$p" >"$work/plain"
	"$pd" --help | help_opts >"$work/top"
	while read -r opt; do
		mentioned "$work/plain" "$opt" || echo "pcapdomains --help: $opt not in the page"
	done <"$work/top"
	for sub in $subs; do
		"$pd" "$sub" --help >"$work/help.$sub"
		grep -qF ".SS \"pcapdomains $sub\"" "$p" ||
			echo "$sub: no subsection .SS \"pcapdomains $sub\""
		section "$work/plain" "$sub" >"$work/sec.$sub"
		help_opts <"$work/help.$sub" >"$work/all.$sub"
		while read -r opt; do
			mentioned "$work/plain" "$opt" || echo "$sub --help: $opt not in the page"
		done <"$work/all.$sub"
		list_opts <"$work/help.$sub" >"$work/list.$sub"
		while read -r opt; do
			mentioned "$work/sec.$sub" "$opt" ||
				echo "$sub --help: $opt not in the $sub subsection"
		done <"$work/list.$sub"
	done
}

# 1. The pages render cleanly.
out=$(render "$page")
if [ -z "$out" ]; then ok "doc/pcapdomains.1 renders without warnings"; else bad "doc/pcapdomains.1: $out"; fi
if [ -f "$capture_page" ]; then
	out=$(render "$capture_page")
	if [ -z "$out" ]; then
		ok "pcapdomains-capture.1 renders without warnings"
	else
		bad "pcapdomains-capture.1: $out"
	fi
else
	echo "note: $capture_page not there yet: not rendered"
fi

# 2. Every option of every --help is in the page, and in its subcommand's subsection.
for sub in $subs; do
	"$pd" "$sub" --help >/dev/null || bad "$sub --help exits non-zero"
done
out=$(check_options "$page")
if [ -z "$out" ]; then
	n=$(cat "$work"/all.* | sort -u | wc -l)
	ok "all $n options of the six --help texts are documented, each in its subsection"
else
	bad "options missing from the page:"
	echo "$out" | sed 's/^/       /'
fi
# the help texts really hold options (an empty extraction would make the check above vacuous)
for sub in $subs; do
	if [ "$(wc -l <"$work/list.$sub")" -ge 2 ]; then
		ok "$sub --help lists $(wc -l <"$work/list.$sub") options"
	else
		bad "$sub --help: found only $(wc -l <"$work/list.$sub") options in its option list"
	fi
done

# 3. The checks catch what they exist for.
sed -e 's/\\-\\-fail\\-on\\-new/--fail-on-nothing/g' "$page" >"$work/no-option.1"
out=$(check_options "$work/no-option.1")
if echo "$out" | grep -q -- "--fail-on-new not in"; then
	ok "self-check: a page without --fail-on-new is caught"
else
	bad "self-check: a page without --fail-on-new passed: $out"
fi
sed -e '/^\.SS "pcapdomains merge"/,/^\.SH/ s/^\.B \\-\\-quiet$/.B \\-\\-loud/' "$page" \
	>"$work/no-section-option.1"
out=$(check_options "$work/no-section-option.1")
if echo "$out" | grep -q -- "merge --help: --quiet not in the merge subsection"; then
	ok "self-check: an option missing only from its subsection is caught"
else
	bad "self-check: an option missing from the merge subsection passed: $out"
fi
{
	cat "$page"
	printf '.XX undefined macro\n.TP\n\\fBunclosed\n'
} >"$work/warning.1"
out=$(render "$work/warning.1")
if [ -n "$out" ]; then
	ok "self-check: a page with an undefined macro gives warnings"
else
	bad "self-check: a page with an undefined macro rendered silently"
fi

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
