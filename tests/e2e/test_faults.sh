#!/usr/bin/env bash
# test_faults.sh - SPEC 3 "faults": the database or the disk fails under `pcapdomains ingest` /
# `report`, and bad input files. For each fault: the exit code (2, README "Exit codes"), the
# error text (it names what failed), and that the database still opens with its previous
# content (row counts and PRAGMA integrity_check before and after).
#   * database directory not writable (as user nobody), read-only bind mount, read-only file
#   * database locked by another writer (a python3 sqlite3 holder in BEGIN EXCLUSIVE): readers
#     go on, a second ingest waits and then goes in
#   * disk full (a small tmpfs in a private mount namespace; and RLIMIT_FSIZE as well): the
#     capture is in or out, never half, the earlier captures stay
#   * the capture shrinking while it is read (another process truncates it; reads are slowed
#     with strace's fault injection so that the truncation lands mid-read): a cut capture with
#     its offset, the data before kept
#   * a pipe as the capture (not supported: a clear refusal, nothing stored)
#   * report output not writable (read-only directory, /dev/full): exit 2, no half report left
#   * not a capture, empty, truncated header, corrupt first block (exit 2, one line naming the
#     file and offset); cut or corrupt in the middle (stored up to the cut, warning, exit 0)
# Captures are made by tests/bench/pdgen. Needs root (mount namespaces, runuser), sqlite3 and
# python3; strace only for the truncation case (skipped alone without it).
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
gen=$bin/tests/bench/pdgen
[ -x "$pd" ] || { echo "SKIP: $pd not built"; exit 77; }
[ -x "$gen" ] || { echo "SKIP: $gen not built"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespaces, a second user)"; exit 77; }
for t in sqlite3 python3 unshare runuser mount; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

work=$(mktemp -d /tmp/robust-faults.XXXXXX)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
fails=0
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }

# state DB: row counts of every table the ingest writes, and the integrity check
state_sql="SELECT (SELECT count(*) FROM captures) || ' captures ' ||
	(SELECT count(*) FROM flows) || ' flows ' || (SELECT count(*) FROM dns_answers) ||
	' answers ' || (SELECT count(*) FROM names) || ' names ' ||
	(SELECT count(*) FROM findings) || ' findings ' || (SELECT count(*) FROM counters) ||
	' counters'; PRAGMA integrity_check;"
state() { sqlite3 "$1" "$state_sql" 2>&1 | tr '\n' ' '; }
# same_state WHAT DB BEFORE: the database opens with exactly its earlier content
same_state() {
	local now
	now=$(state "$2")
	if [ "$now" = "$3" ]; then ok "$1: database unchanged ($now)"; else bad "$1: database was '$3', now '$now'"; fi
}
# check WHAT WANT_RC REGEX: the last run's exit code ($rc) and stderr ($work/err)
check() {
	if [ "$rc" = "$2" ]; then ok "$1: exit $rc"; else bad "$1: exit $rc, want $2: $(head -3 "$work/err")"; fi
	if grep -Eq -- "$3" "$work/err"; then
		ok "$1: says '$(grep -E -m1 -- "$3" "$work/err")'"
	else
		bad "$1: no message matching /$3/ in: $(head -3 "$work/err")"
	fi
	if grep -v '^pcapdomains: ' "$work/err" | grep -q .; then
		bad "$1: stderr lines without the 'pcapdomains: ' prefix: $(grep -v '^pcapdomains: ' "$work/err" | head -2)"
	fi
}
run() { # run CMD...: $rc, stdout in $work/out, stderr in $work/err
	rc=0
	"$@" >"$work/out" 2>"$work/err" || rc=$?
}

# Captures: small (fits anywhere), big (its rows do not fit the small disk), long (pcapng, for
# the slowed-down truncation).
"$gen" -o "$work/small.pcap" -s 1 -b 2 -w 32 >/dev/null || { bad "pdgen small"; exit 1; }
"$gen" -o "$work/big.pcap" -s 8 -b 2 -w 64 >/dev/null || { bad "pdgen big"; exit 1; }
"$gen" -o "$work/long.pcapng" -F pcapng -s 24 -b 8 -w 64 >/dev/null || { bad "pdgen long"; exit 1; }
chmod 644 "$work"/*.pcap*

# A database owned by nobody, holding the small capture.
mkdir "$work/d"
cp "$work/small.pcap" "$work/big.pcap" "$work/d/"
chown -R nobody "$work/d"
run runuser -u nobody -- "$pd" ingest --quiet --db "$work/d/x.db" "$work/d/small.pcap"
[ "$rc" = 0 ] || { bad "setup ingest as nobody: exit $rc: $(cat "$work/err")"; exit 1; }
base=$(state "$work/d/x.db")
case $base in "1 captures "*" ok ") ;; *) bad "setup: database state '$base'"; exit 1 ;; esac
echo "     database: $base"

# 1. The database's directory is not writable (no journal can be created).
chmod 555 "$work/d"
run runuser -u nobody -- "$pd" ingest --db "$work/d/x.db" "$work/d/big.pcap"
chmod 755 "$work/d"
check "directory not writable" 2 "x\.db.*(readonly|read-only|not writable|permission|unable to open)"
same_state "directory not writable" "$work/d/x.db" "$base"

# 2. The database file is read-only.
chmod 444 "$work/d/x.db"
run runuser -u nobody -- "$pd" ingest --db "$work/d/x.db" "$work/d/big.pcap"
chmod 644 "$work/d/x.db"
check "database file read-only" 2 "x\.db.*(readonly|read-only|not writable|permission)"
same_state "database file read-only" "$work/d/x.db" "$base"

# 3. A read-only bind mount (root ignores permissions, not a read-only file system).
rc=0
unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" "$1" &&
	mount -o remount,ro,bind "$1" && exec "$2" ingest --db "$1/x.db" "$3"' sh "$work/d" "$pd" \
	"$work/big.pcap" >"$work/out" 2>"$work/err" || rc=$?
check "read-only file system" 2 "x\.db.*(readonly|read-only|not writable|Read-only)"
same_state "read-only file system" "$work/d/x.db" "$base"

# 4. Shared database (WAL): another process holds the write lock (BEGIN EXCLUSIVE with an
# uncommitted row) on a copy. A report from it runs at once and sees the committed state; an
# ingest waits in the queue saying so, then goes in once the holder is done.
cp "$work/d/x.db" "$work/lock.db"
python3 - "$work/lock.db" "$work/locked" <<'EOF' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("DELETE FROM flows")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
c.execute("ROLLBACK")
EOF
holder=$!
for _ in $(seq 100); do [ -e "$work/locked" ] && break; sleep 0.1; done
"$pd" ingest --db "$work/lock.db" "$work/big.pcap" >"$work/lock.out" 2>"$work/lock.err" &
ipid=$!
run "$pd" report --db "$work/lock.db" --no-resolve -o "$work/locked.csv"
if [ "$rc" = 0 ]; then ok "database locked by a writer: report runs"; else bad "database locked by a writer: report exit $rc: $(head -2 "$work/err")"; fi
[ -s "$work/locked.csv" ] || bad "database locked by a writer: no report written"
sleep 2
if kill -0 "$ipid" 2>/dev/null; then ok "database locked: the ingest waits"; else bad "database locked: the ingest did not wait"; fi
if grep -q "waiting" "$work/lock.err"; then ok "database locked: the ingest says it waits"; else bad "database locked: no waiting line: $(cat "$work/lock.err")"; fi
rm -f "$work/locked"
wait "$holder"
holder=
rc=0
wait "$ipid" || rc=$?
if [ "$rc" = 0 ]; then ok "database locked: the queued ingest went in after the holder"; else bad "database locked: queued ingest exit $rc: $(cat "$work/lock.err")"; fi
n=$(sqlite3 "$work/lock.db" "SELECT count(*) FROM captures")
if [ "$n" = 2 ]; then ok "database locked: 2 captures after"; else bad "database locked: $n captures"; fi

# 5. Disk full: the database on a tmpfs with 128 KiB to spare; the big capture's rows need more.
# Inside the namespace: the failing ingest, then what a later run sees (a report from the
# database, then sqlite3's state), all before the tmpfs goes away with the namespace.
cp "$work/d/x.db" "$work/full.db"
size_k=$(($(stat -c %s "$work/full.db") / 1024 + 128))
mkdir "$work/mnt"
rc=0
unshare -m sh -c '
	mount --make-rprivate / && mount -t tmpfs -o size=${1}k pd-robust "$2/mnt" || exit 99
	cp "$2/full.db" "$2/mnt/x.db" || exit 98
	rc=0; "$3" ingest --db "$2/mnt/x.db" "$2/big.pcap" >"$2/out" 2>"$2/err" || rc=$?
	echo $rc >"$2/rc"
	rc=0; "$3" report --db "$2/mnt/x.db" --no-resolve --format csv -o - >"$2/after.csv" \
		2>"$2/after.err" || rc=$?
	echo $rc >"$2/after.rc"
	sqlite3 "$2/mnt/x.db" "$4" 2>&1 | tr "\n" " " >"$2/after.state"
	sqlite3 "$2/full.db" "SELECT count(*) FROM flows" >"$2/flows.before"
' sh "$size_k" "$work" "$pd" "$state_sql" 2>"$work/ns.err" || rc=$?
if [ "$rc" != 0 ]; then
	bad "disk full: could not set up the tmpfs (exit $rc): $(cat "$work/ns.err")"
else
	rc=$(cat "$work/rc")
	check "disk full" 2 "x\.db.*(disk is full|No space|full)"
	now=$(cat "$work/after.state")
	if [ "$now" = "$base" ]; then ok "disk full: database unchanged ($now)"; else bad "disk full: database was '$base', now '$now'"; fi
	after_rc=$(cat "$work/after.rc")
	if [ "$after_rc" = 0 ]; then
		ok "disk full: a report from the database afterwards works"
	else
		bad "disk full: report afterwards: exit $after_rc: $(head -2 "$work/after.err")"
	fi
	# the CSV has one row per (domain, address, port, protocol): never more than the flows
	rows=$(($(wc -l <"$work/after.csv") - 1))
	if [ "$rows" -ge 1 ] && [ "$rows" -le "$(cat "$work/flows.before")" ]; then
		ok "disk full: the report holds the earlier capture ($rows rows)"
	else
		bad "disk full: the report has $rows rows"
	fi
fi

# 6. RLIMIT_FSIZE (ulimit -f): writes beyond the limit fail with EFBIG (pcapdomains ignores
# SIGXFSZ itself; no `trap "" XFSZ` here), the same all-or-nothing as a full disk.
cp "$work/d/x.db" "$work/fsize.db"
lim_blocks=$(($(stat -c %s "$work/fsize.db") / 1024 + 64))
run sh -c 'ulimit -f "$1" && exec "$2" ingest --db "$3" "$4"' sh "$lim_blocks" \
	"$pd" "$work/fsize.db" "$work/big.pcap"
check "file size limit" 2 "fsize\.db.*(disk|I/O|too large|full)"
same_state "file size limit" "$work/fsize.db" "$base"

# 7. The capture shrinks while it is read: another process truncates it mid-read. strace
# slows each read(2) by 100 ms so the truncation lands in the middle; the reader reports a
# cut capture with the offset, and what was read before is stored.
if command -v strace >/dev/null; then
	cp "$work/d/x.db" "$work/shrink.db"
	cp "$work/long.pcapng" "$work/shrink.pcapng"
	half=$(($(stat -c %s "$work/shrink.pcapng") / 2 + 12345))
	rc=0
	# (LeakSanitizer cannot run under ptrace: leaks are checked by every other case)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -o /dev/null -e trace=read -e inject=read:delay_exit=100000 \
		"$pd" ingest --db "$work/shrink.db" "$work/shrink.pcapng" >"$work/out" 2>"$work/err" &
	spid=$!
	sleep 1
	truncate -s "$half" "$work/shrink.pcapng"
	wait "$spid" || rc=$?
	check "capture truncated while read" 0 "warning: .*shrink\.pcapng.*offset [0-9]+"
	cut=$(sqlite3 "$work/shrink.db" "SELECT cut_at FROM captures WHERE path LIKE '%shrink.pcapng'")
	flows=$(sqlite3 "$work/shrink.db" "SELECT count(*) FROM flows f JOIN captures c ON
		c.id = f.capture_id WHERE c.path LIKE '%shrink.pcapng'")
	if [ -n "$cut" ] && [ "$cut" -gt 0 ] && [ "$cut" -le "$half" ] && [ "$flows" -gt 0 ]; then
		ok "capture truncated while read: stored up to offset $cut ($flows flows)"
	else
		bad "capture truncated while read: cut_at '$cut', $flows flows (file cut at $half)"
	fi
	n=$(sqlite3 "$work/shrink.db" "SELECT count(*) FROM captures; PRAGMA integrity_check" | tr '\n' ' ')
	[ "$n" = "2 ok " ] && ok "capture truncated while read: earlier capture kept" ||
		bad "capture truncated while read: database '$n'"
else
	echo "SKIP (partly): strace not installed: no truncation during the read"
fi

# 8. A pipe (FIFO) as the capture: read once and refused with a clear message, or read whole;
# a writer that stops halfway must never leave half a capture without saying so.
cp "$work/d/x.db" "$work/fifo.db"
mkfifo "$work/fifo.pcap"
head -c 300001 "$work/small.pcap" >"$work/fifo.pcap" 2>/dev/null &
wpid=$!
run timeout 60 "$pd" ingest --db "$work/fifo.db" "$work/fifo.pcap"
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
if [ "$rc" = 0 ]; then
	check "capture from a pipe cut halfway" 0 "warning: .*fifo\.pcap.*offset [0-9]+"
	n=$(sqlite3 "$work/fifo.db" "SELECT count(*) FROM captures WHERE cut_at IS NOT NULL")
	[ "$n" = 1 ] && ok "capture from a pipe cut halfway: stored as cut" ||
		bad "capture from a pipe cut halfway: $n cut captures"
else
	check "capture from a pipe" 2 "fifo\.pcap: cannot read a capture from a pipe"
	same_state "capture from a pipe" "$work/fifo.db" "$base"
fi

# 9. Report output that cannot be written: exit 2, the file named, nothing half-written left.
mkdir "$work/ro"
chown nobody "$work/ro"
cp "$work/d/x.db" "$work/ro.db"
chown nobody "$work/ro.db"
chmod 555 "$work/ro"
run runuser -u nobody -- "$pd" report --db "$work/ro.db" --no-resolve -o "$work/ro/r.html"
check "report into a read-only directory" 2 "ro/r\.html"
[ -z "$(ls -A "$work/ro")" ] && ok "report into a read-only directory: nothing left behind" ||
	bad "report into a read-only directory: left $(ls -A "$work/ro")"
chmod 755 "$work/ro"
run "$pd" report --no-resolve --format json -o /dev/full "$work/small.pcap"
check "report to /dev/full" 2 "/dev/full"
# the CSV: it grows with the flows (the Markdown report is bounded and may fit in 16k)
echo previous >"$work/ro/keep.csv"
rc=0
unshare -m sh -c 'mount --make-rprivate / && mount -t tmpfs -o size=16k pd-robust "$1" &&
	echo previous >"$1/keep.csv" && "$2" report --db "$3" --no-resolve -o "$1/keep.csv" -o "$1/big.html";
	echo $? >"$4/rc"; cat "$1/keep.csv" >"$4/keep.after"; ls -A "$1" >"$4/ls.after"' \
	sh "$work/ro" "$pd" "$work/ro.db" "$work" >"$work/out" 2>"$work/err" || true
rc=$(cat "$work/rc")
check "report onto a full disk" 2 "(keep\.csv|big\.html)"
[ "$(cat "$work/keep.after")" = previous ] && ok "report onto a full disk: the old report is intact" ||
	bad "report onto a full disk: old report now '$(head -c 80 "$work/keep.after")'"
left=$(grep -v '^keep\.csv$' "$work/ls.after" | grep -v '^big\.html$' | tr '\n' ' ')
[ -z "$left" ] && ok "report onto a full disk: no temporary file left" ||
	bad "report onto a full disk: left $left"

# 10. Bad inputs. Exit 2 with one line naming the file and the offset when nothing is
# readable; stored up to the cut with a warning (exit 0) when the damage is further in.
printf 'hello, not a capture\n' >"$work/text.pcap"
: >"$work/empty.pcap"
head -c 20 "$work/small.pcap" >"$work/header.pcap"
python3 - "$work" <<'EOF'
# corrupt copies of the generated captures: a pcapng whose first block length is absurd, and
# a pcap whose fourth record claims a 2 GiB capture length
import struct, sys
w = sys.argv[1]
d = bytearray(open(w + "/long.pcapng", "rb").read(200000))
d[4:8] = struct.pack("<I", 0x7FFFFFF0)
open(w + "/badblock.pcapng", "wb").write(d)
d = bytearray(open(w + "/small.pcap", "rb").read(300000))
off = 24
for _ in range(3):
    off += 16 + struct.unpack("<I", d[off + 8:off + 12])[0]
d[off + 8:off + 12] = struct.pack("<I", 0x7FFFFFFF)
open(w + "/badrecord.pcap", "wb").write(d)
open(w + "/badrecord.off", "w").write(str(off))
EOF
head -c 250001 "$work/small.pcap" >"$work/cut.pcap"
for c in "text.pcap:not a capture.*offset 0" "empty.pcap:empty" \
	"header.pcap:truncated at offset 0" "badblock.pcapng:offset 0: corrupt block length"; do
	f=${c%%:*}
	re=${c#*:}
	cp "$work/d/x.db" "$work/bad.db"
	run "$pd" ingest --db "$work/bad.db" "$work/$f"
	check "ingest $f" 2 "$f: $re"
	same_state "ingest $f" "$work/bad.db" "$base"
	run "$pd" report --no-resolve -o "$work/bad.csv" "$work/$f"
	check "report $f" 2 "$f: $re"
	[ "$(wc -l <"$work/err")" = 1 ] && ok "report $f: one line" ||
		bad "report $f: $(wc -l <"$work/err") lines of errors"
	[ -e "$work/bad.csv" ] && bad "report $f: wrote a report"
done
for c in "cut.pcap:truncated at offset [0-9]+" "badrecord.pcap:offset $(cat "$work/badrecord.off"): corrupt record"; do
	f=${c%%:*}
	re=${c#*:}
	rm -f "$work/bad.db"
	run "$pd" ingest --db "$work/bad.db" "$work/$f"
	check "ingest $f" 0 "warning: .*$f: $re"
	n=$(sqlite3 "$work/bad.db" "SELECT count(*) FROM captures WHERE cut_at > 0;
		SELECT count(*) > 0 FROM flows; SELECT count(*) FROM findings
		WHERE kind = 'truncated-capture'" | tr '\n' ' ')
	[ "$n" = "1 1 1 " ] && ok "ingest $f: stored up to the cut, with a finding" ||
		bad "ingest $f: cut captures / flows / findings: $n"
	run "$pd" report --no-resolve -o "$work/bad.json" "$work/$f"
	check "report $f" 0 "warning: .*$f: $re"
	grep -q '"cut' "$work/bad.json" && ok "report $f: the report says the capture was cut" ||
		bad "report $f: no cut in the JSON report"
done

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
