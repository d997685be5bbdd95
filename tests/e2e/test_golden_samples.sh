#!/usr/bin/env bash
# Golden reports of the bundled captures (testdata/sample.pcapng, testdata/sample-sll2.pcap,
# recorded from real traffic by testdata/record-sample.sh): every format must match
# testdata/golden/<capture>.<ext> byte for byte. Offline (--no-resolve), no root needed.
# After an intended change of output: PD_UPDATE_GOLDEN=1 bash tests/e2e/test_golden_samples.sh
# rewrites them; review the diff before committing.
set -u
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}/pcapdomains
[ -x "$bin" ] || { echo "FAIL: $bin not built"; exit 1; }
cd "$src" || exit 1
out=$(mktemp -d /tmp/pd-golden.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0 n=0
for cap in testdata/sample.pcapng testdata/sample-sll2.pcap; do
	base=$(basename "$cap")
	for ext in csv md json html txt; do
		n=$((n + 1))
		# The path as given appears in the report: always the same relative one.
		if ! "$bin" report --no-resolve --quiet -o "$out/$base.$ext" "$cap"; then
			echo "FAIL: report -o .$ext $cap exited $?"
			fail=1
			continue
		fi
		gold=testdata/golden/$base.$ext
		if [ "${PD_UPDATE_GOLDEN:-0}" = 1 ]; then
			cp "$out/$base.$ext" "$gold"
		elif ! cmp -s "$out/$base.$ext" "$gold"; then
			echo "FAIL: $cap as .$ext differs from $gold (PD_UPDATE_GOLDEN=1 rewrites it):"
			diff "$gold" "$out/$base.$ext" | head -20
			fail=1
		fi
	done
done
# The same traffic recorded two ways names the same destinations.
cut -d, -f1-9 "$out/sample.pcapng.csv" | sort >"$out/a"
cut -d, -f1-9 "$out/sample-sll2.pcap.csv" | sort >"$out/b"
if ! diff -q "$out/a" "$out/b" >/dev/null; then
	echo "FAIL: sample.pcapng and sample-sll2.pcap name different destinations:"
	diff "$out/a" "$out/b" | head
	fail=1
fi
[ $fail = 0 ] && echo "PASS: $n golden reports of the bundled captures"
exit $fail
