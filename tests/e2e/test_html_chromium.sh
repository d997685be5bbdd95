#!/usr/bin/env bash
# test_html_chromium.sh - the HTML report in a real browser: Debian's chromium, headless,
# driven by playwright-core (tests/e2e/html: package.json + package-lock.json; `npm ci` runs
# when node_modules is missing). Checks no console errors, no request but the page itself,
# no dialog from the hostile report, sorting and filtering, plain tables without JavaScript;
# the verdict in the first viewport at 1400 and 390 px, sticky headers, numeric and rank
# sorting, the filter's row count and whole-token digits, dark theme, and print (PDF) keeping
# the policy and confidence columns with violations in text.
# The reports: one pcapdomains writes from testdata/report/basic.sql, and the hostile golden
# file (testdata/report/hostile.golden.html).
# Artifacts: $PD_BIN/artifacts/report.png (1400 px), report-full.png, report-phone.png
# (390 px), report-dark.png, report.pdf, hostile.png.
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

# The report pcapdomains writes from the SQL fixture, and the hostile golden file (kept equal
# to the writer's output by tests/test_report.c).
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
ver=$(sed -n 's/^#define PD_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$src/analyze/store.h")
sqlite3 "$work/basic.db" <"$src/analyze/schema.sql"
sqlite3 "$work/basic.db" "PRAGMA user_version = $ver"
sqlite3 "$work/basic.db" <"$src/testdata/report/basic.sql"
report=$work/report.html
"$bin/pcapdomains" report --db "$work/basic.db" --no-resolve --title "chromium test" \
	--allow "$src/testdata/report/policy.txt" \
	-o "$report" || { echo "FAIL: pcapdomains report --db from the fixture"; exit 1; }
cp "$report" "$art/report.html"
node check.js "$art" "$report" "$src/testdata/report/hostile.golden.html"
rm -rf "$art"/chromium-profile-*
