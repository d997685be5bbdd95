#!/usr/bin/env bash
# test_html_chromium.sh - the HTML report in a real browser: Debian's chromium, headless,
# driven by playwright-core (tests/e2e/html: package.json + package-lock.json; `npm ci` runs
# when node_modules is missing). Checks no console errors, no request but the page itself,
# no dialog from the hostile report, sorting and filtering, plain tables without JavaScript.
# The reports are the golden files that tests/test_report.c keeps equal to the writer's
# output (testdata/report/*.golden.html); with a real store, one made by
# `pcapdomains report --db` from the SQL fixture is checked too.
# Screenshots: $PD_BIN/artifacts/report.png, report-phone.png, hostile.png.
# Exit 77 (skip) when chromium or node is missing.
set -euo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
command -v node >/dev/null || { echo "SKIP: node not installed"; exit 77; }
command -v npm >/dev/null || { echo "SKIP: npm not installed"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium not installed"; exit 77; }

art=$bin/artifacts
mkdir -p "$art"
work=$(mktemp -d /tmp/report-chromium.XXXXXX)
trap 'rm -rf "$work"' EXIT

cd "$src/tests/e2e/html"
if [ ! -d node_modules/playwright-core ]; then
	npm ci --no-audit --no-fund >"$work/npm.log" 2>&1 || {
		cat "$work/npm.log"
		echo "FAIL: npm ci in tests/e2e/html"
		exit 1
	}
fi

report=$src/testdata/report/basic.golden.html
# A report made by the program itself, when the store module is in (not a placeholder).
if ! grep -q PD_PLACEHOLDER "$src/analyze/store.c" && command -v sqlite3 >/dev/null; then
	sqlite3 "$work/basic.db" <"$src/analyze/schema.sql"
	ver=$(sed -n 's/^#define PD_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$src/analyze/store.h")
	sqlite3 "$work/basic.db" "PRAGMA user_version = $ver"
	sqlite3 "$work/basic.db" <"$src/testdata/report/basic.sql"
	if "$bin/pcapdomains" report --db "$work/basic.db" --no-resolve --title "chromium test" \
		-o "$work/report.html"; then
		report=$work/report.html
	else
		echo "FAIL: pcapdomains report --db from the fixture"
		exit 1
	fi
fi
cp "$report" "$art/report.html"
node check.js "$art" "$report" "$src/testdata/report/hostile.golden.html"
rm -rf "$art"/chromium-profile-*
