#!/usr/bin/env bash
# test_pipeline.sh - captures as streams and compressed files (issue 17), on real traffic in
# two network namespaces of the test's own (dnsmasq and python3 http.server in one, dig and curl
# in the other):
#  - pcapdomains-capture -w - piped into `report -`; SIGINT to the producer ends the report
#    cleanly (exit 0, the destinations seen so far);
#  - tcpdump -w - piped into `ingest --db X -`: stored, with the SHA-256 of the bytes streamed;
#  - a FIFO and <(...) read as streams;
#  - gzip, zstd, lz4 and xz copies of a pcap and a pcapng give the report of the plain files,
#    and so does a directory mixing them; the stored hash is of the compressed file;
#  - the same content twice is counted once and both paths are named;
#  - the helper exits 2 and says how much it wrote when its reader quits early.
# Needs root, ip, dnsmasq, dig, curl, tcpdump, python3, sqlite3, gzip, zstd, lz4, xz.
. "$(dirname "$0")/lib.sh"
e2e_require_root
e2e_require_tools dnsmasq dig curl tcpdump python3 sqlite3 gzip zstd lz4 xz sha256sum
e2e_require_pd
CAP=$PD_BIN/pcapdomains-capture
[ -x "$CAP" ] || e2e_fail_now "pcapdomains-capture not built at $CAP"
e2e_init pipe 57
e2e_net_up
e2e_dnsmasq "--address=/shop.pipe.test/$E2E_S4" "--address=/api.pipe.test/$E2E_S4"
e2e_http_server 8080
T=$E2E_TMP

traffic() { # traffic NAME: a DNS lookup and an HTTP request by name
	e2e_c dig +short "@$E2E_S4" "$1" A >/dev/null
	e2e_c curl -s -o /dev/null --max-time 5 "http://$1:8080/"
}

# norm JSON: the report without what names or measures the input files
norm() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("captures", "title", "generator", "notes"):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True, indent=1))' "$1"
}

# ---- 1. the helper into report -: SIGINT to the producer ends the report cleanly ----------
(
	"$CAP" -q "netns:/run/netns/$E2E_C" -w - 2>"$T/cap1.err" &
	echo $! >"$T/cap1.pid"
	wait $!
	echo $? >"$T/cap1.rc"
) | "$PD" report --no-resolve --format json -o - - >"$T/r1.json" 2>"$T/r1.err" &
rep=$!
for _ in $(seq 50); do [ -s "$T/cap1.pid" ] && grep -q . "$T/cap1.pid" && break; sleep 0.1; done
sleep 0.8
traffic shop.pipe.test
traffic api.pipe.test
sleep 0.5
kill -INT "$(cat "$T/cap1.pid")"
rc=0
wait "$rep" || rc=$?
e2e_check "report - exits 0 when the producer stops on SIGINT ($(head -c 300 "$T/r1.err"))" 0 "$rc"
e2e_check "the helper exits 0 on SIGINT" 0 "$(cat "$T/cap1.rc" 2>/dev/null)"
e2e_check "report - names shop.pipe.test (http-host) from the stream" yes \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("yes" if any("shop.pipe.test" in x.get("names",[]) for x in d["destinations"]) else json.dumps(d["destinations"])[:300])' "$T/r1.json" 2>&1)"
e2e_check "report - labels the capture '-' with the format pcapng" "-|pcapng" \
	"$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["captures"][0]; print(c["path"]+"|"+c["format"])' "$T/r1.json" 2>&1)"

# ---- 2. tcpdump -w - into ingest -: hashed as streamed ------------------------------------
(
	ip netns exec "$E2E_C" tcpdump -n -i any -U -s 0 -w - 2>"$T/td.err" &
	echo $! >"$T/td.pid"
	wait
) | tee "$T/td.pcap" | "$PD" ingest --db "$T/s.db" - >"$T/ing.out" 2>"$T/ing.err" &
ing=$!
for _ in $(seq 100); do grep -q 'listening on' "$T/td.err" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
traffic shop.pipe.test
traffic api.pipe.test
sleep 0.5
kill -INT "$(cat "$T/td.pid")"
rc=0
wait "$ing" || rc=$?
e2e_check "tcpdump -w - | ingest - exits 0 ($(head -c 300 "$T/ing.err"))" 0 "$rc"
e2e_check "the stream's stored SHA-256 and size are those of the bytes streamed" \
	"$(sha256sum <"$T/td.pcap" | cut -d' ' -f1)|$(stat -c %s "$T/td.pcap")" \
	"$(e2e_sql "$T/s.db" "SELECT sha256 || '|' || size FROM captures WHERE path = '-'")"
e2e_check "names from the tcpdump stream" "api.pipe.test shop.pipe.test" \
	"$(e2e_sql "$T/s.db" "SELECT DISTINCT name FROM flows WHERE name LIKE '%.pipe.test' ORDER BY name" | tr '\n' ' ' | sed 's/ $//')"

# a capture file of the same traffic in pcapng, for the compressed copies
"$CAP" -q "netns:/run/netns/$E2E_C" -w "$T/h.pcapng" 2>"$T/cap2.err" &
cp2=$!
sleep 0.8
traffic shop.pipe.test
sleep 0.3
kill -INT "$cp2"
wait "$cp2"
cp "$T/td.pcap" "$T/p.pcap"

# ---- 3. FIFO and <(...) -------------------------------------------------------------------
"$PD" report --no-resolve --format json -o "$T/plain.json" "$T/p.pcap" 2>/dev/null
mkfifo "$T/fifo"
cat "$T/p.pcap" >"$T/fifo" &
"$PD" report --no-resolve --format json -o "$T/fifo.json" "$T/fifo" 2>"$T/fifo.err"
e2e_check "a FIFO gives the report of the file ($(head -c 200 "$T/fifo.err"))" "$(norm "$T/plain.json")" "$(norm "$T/fifo.json")"
"$PD" report --no-resolve --format json -o "$T/ps.json" <(cat "$T/p.pcap") 2>"$T/ps.err"
e2e_check "<(...) gives the report of the file" "$(norm "$T/plain.json")" "$(norm "$T/ps.json")"
"$PD" report --no-resolve --format json -o "$T/stdin.json" /dev/stdin <"$T/p.pcap" 2>/dev/null
e2e_check "/dev/stdin gives the report of the file" "$(norm "$T/plain.json")" "$(norm "$T/stdin.json")"

# ---- 4. compressed copies of each kind ----------------------------------------------------
for f in p.pcap h.pcapng; do
	"$PD" report --no-resolve --format json -o "$T/$f.json" "$T/$f" 2>/dev/null
	gzip -kc "$T/$f" >"$T/$f.gz"
	zstd -qc "$T/$f" >"$T/$f.zst"
	lz4 -qc "$T/$f" >"$T/$f.lz4"
	xz -kc "$T/$f" >"$T/$f.xz"
	for c in gz zst lz4 xz; do
		"$PD" report --no-resolve --format json -o "$T/$f.$c.json" "$T/$f.$c" 2>"$T/c.err"
		e2e_check "$f.$c gives the report of $f ($(head -c 200 "$T/c.err"))" "$(norm "$T/$f.json")" "$(norm "$T/$f.$c.json")"
	done
	# renamed: the content decides, not the name
	cp "$T/$f.zst" "$T/$f.renamed"
	"$PD" report --no-resolve --format json -o "$T/ren.json" "$T/$f.renamed" 2>/dev/null
	e2e_check "$f zstd under another name" "$(norm "$T/$f.json")" "$(norm "$T/ren.json")"
	# compressed and piped
	"$PD" report --no-resolve --format json -o "$T/pz.json" - <"$T/$f.xz" 2>/dev/null
	e2e_check "$f xz on standard input" "$(norm "$T/$f.json")" "$(norm "$T/pz.json")"
done
"$PD" ingest --db "$T/c.db" "$T/p.pcap.gz" >/dev/null 2>&1
e2e_check "the stored hash of a compressed capture is of the file as given" \
	"$(sha256sum <"$T/p.pcap.gz" | cut -d' ' -f1)|$(stat -c %s "$T/p.pcap.gz")" \
	"$(e2e_sql "$T/c.db" "SELECT sha256 || '|' || size FROM captures")"

# ---- 5. a directory mixing them, and duplicates -------------------------------------------
mkdir "$T/mix"
cp "$T/p.pcap.lz4" "$T/mix/a"
cp "$T/h.pcapng.xz" "$T/mix/b.pcapng.xz"
echo "notes, not a capture" >"$T/mix/README"
"$PD" report --no-resolve --format json -o "$T/two.json" "$T/p.pcap" "$T/h.pcapng" 2>/dev/null
"$PD" report --no-resolve --format json -o "$T/mix.json" "$T/mix" 2>"$T/mix.err"
e2e_check "a directory mixing lz4 and xz gives the report of the plain files" "$(norm "$T/two.json")" "$(norm "$T/mix.json")"
e2e_check_true "the directory's other entry is named as skipped: $(cat "$T/mix.err")" grep -q 'mix: 1 entry that is not a capture' "$T/mix.err"
for sub in check allowlist; do
	args=()
	[ $sub = check ] && args=(--allow /dev/null)
	"$PD" $sub "${args[@]}" "$T/mix" >"$T/$sub.dir" 2>&1
	"$PD" $sub "${args[@]}" "$T/p.pcap" "$T/h.pcapng" >"$T/$sub.files" 2>&1
	e2e_check "$sub DIR lists what $sub FILES lists" "$(grep -v '^#\|skipped' "$T/$sub.files")" "$(grep -v '^#\|skipped' "$T/$sub.dir")"
done
"$PD" diff "$T/mix" "$T/mix" >"$T/diff.out" 2>&1
e2e_check_true "diff DIR DIR: no change ($(head -3 "$T/diff.out"))" grep -qi 'no change\|0 added' "$T/diff.out"
cp "$T/p.pcap" "$T/copy.pcap"
"$PD" report --no-resolve --format json -o "$T/dup.json" "$T/p.pcap" "$T/copy.pcap" 2>"$T/dup.err"
e2e_check_true "the same content twice names both paths: $(cat "$T/dup.err")" \
	grep -q "copy.pcap: same content (SHA-256) as $T/p.pcap: counted once" "$T/dup.err"
e2e_check "the same content twice is counted once" "$(norm "$T/plain.json")" "$(norm "$T/dup.json")"
"$PD" ingest --db "$T/c.db" "$T/mix" "$T/p.pcap.gz" >"$T/ingdup.out" 2>"$T/ingdup.err"
e2e_check_true "ingest names the earlier path of a capture already in the database: $(cat "$T/ingdup.err")" \
	grep -q "p.pcap.gz: same content (SHA-256) as $T/p.pcap.gz, capture 1 in the database" "$T/ingdup.err"

# ---- 6. the helper's reader quits early ---------------------------------------------------
(
	(sleep 0.5; for _ in 1 2 3 4 5 6; do traffic shop.pipe.test; done) &
	"$CAP" -q "netns:/run/netns/$E2E_C" -w - --duration 20 2>"$T/early.err" | head -c 2000 >/dev/null
	echo "${PIPESTATUS[0]}" >"$T/early.rc"
	wait
)
e2e_check "the helper exits 2 when its reader quits ($(cat "$T/early.err"))" 2 "$(cat "$T/early.rc")"
e2e_check_true "and says how much it wrote" grep -Eq 'closed by its reader after [0-9]+ bytes' "$T/early.err"

e2e_done
