#!/usr/bin/env bash
# pcapdomains benchmark (a benchmark, not a timed test). Generates its own captures with pdgen,
# then runs, on the same file and in the same invocation, the bare libpcap read loop (pdbare),
# our own reader loop alone and with decoding (pdread, pdread -d), the file's SHA-256 through
# the hasher every ingest runs on its second thread (pdsha: the floor), and `pcapdomains report`
# (ingest + attribute + report to a CSV file), REPS times each, and
# prints medians, MB/s, packets/s, peak RSS and the ratio to the bare loop.
#
#   tests/bench/run.sh [--size MB] [--reps N] [--tools] [--jobs] [--db-flows N] [--smoke]
#                      [--workload bulk|busy|scan|all] [--busy-size MB] [--scan-size MB]
#
#   --size MB      capture size (default 500, the SPEC 4 reference)
#   --reps N       repetitions per program (default 5; medians are reported)
#   --tools        also time `tcpdump -nn -r` and `tshark -T fields` once, for reference
#   --jobs         also time `ingest -j 1` and `ingest -j 2` over four captures
#   --db-flows N   also time `report --db` on a database holding N synthetic flows
#   --smoke        small files, 1 rep: only checks that the benchmark still works (CI); with
#                  every workload
#   --workload W   bulk (default: the 500 MB bulk-heavy capture above), busy (a flow-heavy
#                  container host, clean and RST/half-closed endings), scan (one client, one
#                  SYN to each of millions of addresses), or all
#   --busy-size MB size of each busy-host capture (default 1000)
#   --scan-size MB size of the scan capture (default 140: about 2 million SYNs)
#
# The busy and scan workloads time, besides the bare loop and the SHA-256 floor, `ingest` into a
# new database, `report -o out.csv`, and for the scan `report --db` of that database to HTML,
# CSV and JSON, each with its peak RSS; the busy workload also at 1x, 2x and 4x its size with
# --growth (report time per packet and peak RSS should stay flat).
#
# Files go to $PD_BENCH_DIR (default /tmp/pd-bench). Build: build-bench (Release).
set -euo pipefail
cd "$(dirname "$0")/../.."
size=500 reps=5 tools=0 jobs=0 dbflows=0 smoke=0 workload=bulk busysize=1000 scansize=140 growth=0
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2; shift ;;
	--reps) reps=$2; shift ;;
	--tools) tools=1 ;;
	--jobs) jobs=1 ;;
	--db-flows) dbflows=$2; shift ;;
	--smoke) size=20 reps=1 smoke=1 busysize=10 scansize=2 workload=all ;;
	--workload) workload=$2; shift ;;
	--busy-size) busysize=$2; shift ;;
	--scan-size) scansize=$2; shift ;;
	--growth) growth=1 ;;
	*) echo "usage: $0 [--size MB] [--reps N] [--tools] [--jobs] [--db-flows N] [--smoke] [--workload bulk|busy|scan|all] [--busy-size MB] [--scan-size MB] [--growth]" >&2; exit 2 ;;
	esac
	shift
done
case $workload in bulk | busy | scan | all) ;; *) echo "bench: unknown workload $workload" >&2; exit 2 ;; esac
dir=${PD_BENCH_DIR:-/tmp/pd-bench}
mkdir -p "$dir"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DPD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
pd=build-bench/pcapdomains gen=build-bench/tests/bench/pdgen bare=build-bench/tests/bench/pdbare
pdread=build-bench/tests/bench/pdread pdsha=build-bench/tests/bench/pdsha
timebin=/usr/bin/time
[ -x $timebin ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

# run LABEL CMD...: REPS runs; collects wall seconds (clock_gettime around the run: /usr/bin/time
# only has centiseconds) and max RSS (KiB, /usr/bin/time) of each.
declare -A med rss
run() {
	local label=$1; shift
	local times=() mems=() i t0 t1
	for ((i = 0; i < reps; i++)); do
		t0=$(date +%s%N)
		if ! $timebin -f '%M' -o "$dir/time.out" "$@" >/dev/null 2>"$dir/stderr.out"; then
			echo "bench: $label failed: $*" >&2
			tail -5 "$dir/stderr.out" >&2
			exit 1
		fi
		t1=$(date +%s%N)
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", (b - a) / 1e9}')")
		mems+=("$(tail -1 "$dir/time.out")")
	done
	med[$label]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
	rss[$label]=$(printf '%s\n' "${mems[@]}" | sort -g | tail -1)
}

# flow_workload NAME FILE...: the busy-host/scan table for each capture: the bare loop, the
# SHA-256 floor, ingest into a new database and report to CSV (and report --db to every format
# for the scan), medians of REPS runs, ratios to the bare loop of the same file.
flow_workload() {
	local name=$1 f b p k; shift
	for f in "$@"; do
		b=$(stat -c %s "$f")
		p=$($bare "$f" | cut -d' ' -f1)
		med=() rss=()
		run bare $bare "$f"
		run sha256 $pdsha "$f"
		run ingest sh -c "rm -f $dir/wl.db $dir/wl.db-journal $dir/wl.db-wal $dir/wl.db-shm && exec $pd ingest --quiet --db $dir/wl.db $f"
		run report $pd report --no-resolve --quiet -o "$dir/wl.csv" "$f"
		if [ "$name" = scan ]; then
			run db-html $pd report --no-resolve --quiet --db "$dir/wl.db" -o "$dir/wl.html"
			run db-csv $pd report --no-resolve --quiet --db "$dir/wl.db" -o "$dir/wl-db.csv"
			run db-json $pd report --no-resolve --quiet --db "$dir/wl.db" -o "$dir/wl.json"
		fi
		echo
		echo "workload $name: $f ($(awk -v b="$b" 'BEGIN {printf "%.1f", b / 1e6}') MB, $p packets, $(($(wc -l <"$dir/wl.csv") - 1)) CSV rows), $reps runs each, medians"
		printf '| %-14s | %9s | %11s | %11s | %13s |\n' program seconds packets/s "peak RSS" "ratio to bare"
		printf '|%s|%s|%s|%s|%s|\n' ---------------- ----------- ------------- ------------- ---------------
		for k in bare sha256 ingest report db-html db-csv db-json; do
			[ -n "${med[$k]:-}" ] || continue
			awk -v k="$k" -v t="${med[$k]}" -v p="$p" -v m="${rss[$k]}" -v base="${med[bare]}" 'BEGIN {
				if (t <= 0) t = 0.001
				printf "| %-14s | %9.3f | %11.0f | %7.1f MiB | %13.2f |\n", k, t, p / t, m / 1024, t / (base > 0 ? base : 0.001)
			}'
		done
	done
}

gen=$gen
if [ "$workload" = busy ] || [ "$workload" = all ]; then
	caps=()
	for end in clean rst; do
		f=$dir/busy-${busysize}MB-$end.pcap
		[ -s "$f" ] || $gen -m busy -e $end -s "$busysize" -o "$f" >/dev/null
		caps+=("$f")
	done
	if [ $growth = 1 ]; then
		for m in 2 4; do
			f=$dir/busy-$((busysize * m))MB-clean.pcap
			[ -s "$f" ] || $gen -m busy -s $((busysize * m)) -o "$f" >/dev/null
			caps+=("$f")
		done
	fi
	flow_workload busy "${caps[@]}"
fi
if [ "$workload" = scan ] || [ "$workload" = all ]; then
	f=$dir/scan-${scansize}MB.pcap
	[ -s "$f" ] || $gen -m scan -s "$scansize" -o "$f" >/dev/null
	flow_workload scan "$f"
fi
[ "$workload" = bulk ] || [ "$workload" = all ] || exit 0
med=() rss=()

cap=$dir/bench-${size}MB.pcap capng=$dir/bench-${size}MB.pcapng
[ -s "$cap" ] || $gen -o "$cap" -s "$size" -6 >/dev/null
[ -s "$capng" ] || $gen -o "$capng" -s "$size" -6 -F pcapng >/dev/null
bytes=$(stat -c %s "$cap")
packets=$($bare "$cap" | cut -d' ' -f1)

# The bare loop times itself (libpcap open to close), without process start-up; use /usr/bin/time
# for it too so both sides pay the same start-up cost.
run bare $bare "$cap"
run pdread $pdread "$cap"
run pdread-decode $pdread -d "$cap"
run sha256 $pdsha "$cap"
run report $pd report --no-resolve --quiet -o "$dir/out.csv" "$cap"
run report-pcapng $pd report --no-resolve --quiet -o "$dir/out-ng.csv" "$capng"
if [ $tools = 1 ]; then
	r=$reps; reps=1
	run tcpdump tcpdump -nn -r "$cap"
	run tshark tshark -n -r "$cap" -T fields -e tls.handshake.extensions_server_name -e dns.qry.name -e dns.a -e http.host
	reps=$r
fi

mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
echo
echo "pcapdomains benchmark: $(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "capture: $cap ($mb MB, $packets packets), $reps runs each, medians"
echo
printf '| %-22s | %9s | %9s | %11s | %9s | %13s |\n' program seconds MB/s packets/s "peak RSS" "ratio to bare"
printf '|%s|%s|%s|%s|%s|%s|\n' ------------------------ ----------- ----------- ------------- ----------- ---------------
for k in bare pdread pdread-decode sha256 report report-pcapng tcpdump tshark; do
	[ -n "${med[$k]:-}" ] || continue
	awk -v k="$k" -v t="${med[$k]}" -v b="$bytes" -v p="$packets" -v m="${rss[$k]}" -v base="${med[bare]}" 'BEGIN {
		if (t <= 0) t = 0.001
		printf "| %-22s | %9.4f | %9.0f | %11.0f | %6.1f MiB | %13.2f |\n", k, t, b / 1e6 / t, p / t, m / 1024, t / (base > 0 ? base : 0.001)
	}'
done
echo "(pdread = our own reader loop; pdread-decode = reader + decoder + flow table;"
echo " sha256 = the content hash alone, the hasher ingest runs beside its parser;"
echo " report = pcapdomains report --no-resolve -o out.csv: ingest + attribute + CSV report)"
echo
[ $smoke = 1 ] && echo "(smoke run: one 20 MB run, start-up dominates; the verdict below is not a measurement)"
awk -v r="${med[report]}" -v rn="${med[report-pcapng]}" -v s="${med[sha256]}" -v base="${med[bare]}" -v b="$bytes" 'BEGIN {
	if (base <= 0) base = 0.001
	if (s <= 0) s = 0.001
	w = (r > rn) ? r : rn
	if (w <= 0) w = 0.001
	mbs = b / 1e6 / w
	ratio = w / base
	printf "SPEC 4, slower of pcap/pcapng: %.0f MB/s (target >= 1000: %s), %.2fx bare (target <= 2.50: %s)\n",
		mbs, (mbs >= 1000) ? "met" : "NOT met", ratio, (ratio <= 2.5) ? "met" : "NOT met"
	printf "floor: the SHA-256 alone is %.2fx bare; report is %.2fx that floor\n", s / base, w / s
}'

if [ $jobs = 1 ]; then
	for i in 1 2 3 4; do
		f=$dir/bench-${size}MB-j$i.pcap
		# distinct seeds: identical captures would be "already present" after the first
		[ -s "$f" ] || $gen -o "$f" -s $((size / 4 > 0 ? size / 4 : 1)) -S $i >/dev/null
	done
	r=$reps; reps=$(( reps < 3 ? reps : 3 ))
	run j1 sh -c "rm -f $dir/j.db && $pd ingest --quiet --db $dir/j.db -j 1 $dir/bench-${size}MB-j[1-4].pcap"
	run j2 sh -c "rm -f $dir/j.db && $pd ingest --quiet --db $dir/j.db -j 2 $dir/bench-${size}MB-j[1-4].pcap"
	reps=$r
	echo
	echo "ingest of 4 captures: -j 1 ${med[j1]} s, -j 2 ${med[j2]} s, speed-up $(awk -v a="${med[j1]}" -v b="${med[j2]}" 'BEGIN {printf "%.2f", a / (b > 0 ? b : 0.001)}')x"
fi

if [ "$dbflows" -gt 0 ]; then
	db=$dir/flows-$dbflows.db
	if [ ! -s "$db" ]; then
		rm -f "$db"
		$pd ingest --quiet --db "$db" "$cap" >/dev/null
		# Synthetic flows spread over 50,000 server addresses and 5,000 names.
		sqlite3 "$db" "
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $dbflows)
		INSERT INTO flows (capture_id, proto, client_ip, client_port, server_ip, server_port,
			first_ns, last_ns, packets_out, bytes_out, packets_in, bytes_in, tcp_state,
			app_proto, sni, name, evidence, confidence)
		SELECT 1, 'tcp', '10.0.' || (i % 200) || '.' || (i % 250 + 1), 10000 + i % 50000,
			'10.' || (64 + i % 50) || '.' || (i / 50 % 250) || '.' || (i % 200 + 1), 443,
			1764000000000000000 + i * 1000000, 1764000000000000000 + i * 1000000 + 5000000,
			10, 1500, 12, 90000, 'established', 'tls',
			'h' || (i % 5000) || '.dom' || (i % 700) || '.example',
			'h' || (i % 5000) || '.dom' || (i % 700) || '.example', 'sni', 'high'
		FROM n;"
	fi
	r=$reps; reps=$(( reps < 3 ? reps : 3 ))
	run dbreport $pd report --no-resolve --quiet --db "$db" -o "$dir/db.csv"
	reps=$r
	echo
	echo "report --db from $(sqlite3 "$db" 'SELECT count(*) FROM flows') flows: ${med[dbreport]} s (median), peak RSS $((${rss[dbreport]} / 1024)) MiB"
fi
