#!/usr/bin/env bash
# test_session.sh - capture sessions (issue 14, README "Capture sessions"): files that continue
# one another give the same destinations and the same `check` result as the whole capture.
#
# The client namespace is captured by pcapdomains-capture -G 2 (rotated files, each carrying the
# run's id and its sequence number) while it
#   - looks up www.long.test and dnsonly.test (dnsmasq; answers in the first file),
#   - holds one TLS connection to www.long.test open for ~8 s, sending a line every second
#     (openssl s_client to openssl s_server): it spans at least three files,
#   - after 3 s (a later file) opens a TLS connection without SNI to dnsonly.test's address:
#     only the DNS answer of the first file names it (`dns`, high),
# then the rotated files are joined (mergecap) into the whole capture, and cut again with editcap
# into 2 pieces and into ~200. Every variant - the rotated files, 2 pieces, ~200 pieces - is
# reported in one `report` run, ingested file by file into one database in separate runs, and
# ingested with -j 2; each must give the whole capture's destination rows (name, address,
# port, protocol, evidence, flows, bytes) and its `check` result (exit 0 with a policy that
# allows the two names and the resolver). The share of bytes with a name is printed for each.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init session 14
e2e_require_root
e2e_require_tools ip dnsmasq dig openssl tcpdump mergecap editcap capinfos sqlite3 python3
e2e_require_pd
CAPBIN=$PD_BIN/pcapdomains-capture
[ -x "$CAPBIN" ] || e2e_fail_now "pcapdomains-capture not built at $CAPBIN"

N=$E2E_NET
LONG=$N.10 DNSONLY=$N.20
e2e_net_up
e2e_server_addr $LONG $DNSONLY
e2e_dnsmasq --host-record=www.long.test,$LONG --host-record=dnsonly.test,$DNSONLY \
	--local-ttl=300 --local=/test/
e2e_cert www.long.test dnsonly.test
e2e_tls_server 443
# the long connection's server: s_server without -www keeps a connection open until the client
# ends it (its own stdin, which it would send, stays open and silent)
e2e_bg "$E2E_S" s_server-long sh -c "sleep 60 | openssl s_server -quiet -naccept 1 \
	-accept 0.0.0.0:8443 -cert '$E2E_CERT' -key '$E2E_KEY'"
e2e_wait_port "$E2E_S" tcp 8443

T=$E2E_TMP
mkdir -p "$T/rot"
e2e_bg "$E2E_C" helper "$CAPBIN" -q -Z root -G 2 "netns:/run/netns/$E2E_C" -w "$T/rot/rot.pcapng"
HELPER=$E2E_LAST_PID
for i in $(seq 100); do
	[ -s "$T/rot/rot-000.pcapng" ] && break
	kill -0 $HELPER 2>/dev/null || { cat "$T/helper.log" >&2; e2e_fail_now "helper exited"; }
	sleep 0.05
done
sleep 0.3

e2e_c dig +time=2 @$E2E_S4 www.long.test A >/dev/null || e2e_fail_now "dig www.long.test"
e2e_c dig +time=2 @$E2E_S4 dnsonly.test A >/dev/null || e2e_fail_now "dig dnsonly.test"
# the long connection: one line a second for 8 s
e2e_bg "$E2E_C" long sh -c "(for i in 1 2 3 4 5 6 7 8; do printf 'line %s\n' \$i; sleep 1; done) |
	openssl s_client -connect $LONG:8443 -servername www.long.test -brief"
LONGPID=$E2E_LAST_PID
sleep 3
e2e_c sh -c "echo Q | openssl s_client -connect $DNSONLY:443 -noservername -brief" \
	>/dev/null 2>&1 || e2e_fail_now "TLS to dnsonly.test"
wait $LONGPID
sleep 0.5
kill -TERM $HELPER
wait $HELPER

ROT=("$T"/rot/rot-*.pcapng)
e2e_check_true "the helper rotated into at least 4 files" [ ${#ROT[@]} -ge 4 ]
mergecap -w "$T/whole.pcapng" "${ROT[@]}" || e2e_fail_now "mergecap"
pk=$(capinfos -Mc "$T/whole.pcapng" | awk '/Number of packets/ { print $NF }')
mkdir -p "$T/two" "$T/many"
editcap -c $(((pk + 1) / 2)) "$T/whole.pcapng" "$T/two/p.pcapng" >/dev/null || e2e_fail_now editcap
per=$(((pk + 199) / 200))
editcap -c "$per" "$T/whole.pcapng" "$T/many/p.pcapng" >/dev/null || e2e_fail_now editcap
TWO=("$T"/two/p*.pcapng)
MANY=("$T"/many/p*.pcapng)
e2e_log "whole: $pk packets; rotated ${#ROT[@]} files, 2 pieces: ${#TWO[@]}, many: ${#MANY[@]}"

printf '%s\n' www.long.test dnsonly.test "$E2E_S4" "$E2E_S6" >"$T/policy.txt"

# rows FILE.csv: the destination rows that must not change, sorted
rows() {
	python3 - "$1" <<'EOF'
import csv, sys
out = []
for r in csv.DictReader(open(sys.argv[1], newline='')):
    out.append('|'.join(r[k] for k in ('domain', 'server_ip', 'port', 'proto', 'evidence',
                                       'confidence', 'flows', 'bytes_out', 'bytes_in')))
print('\n'.join(sorted(out)))
EOF
}
# named FILE.csv: the share of bytes (out + in) in rows with a name, in percent
named() {
	python3 - "$1" <<'EOF'
import csv, sys
a = n = 0
for r in csv.DictReader(open(sys.argv[1], newline='')):
    b = int(r['bytes_out']) + int(r['bytes_in'])
    a += b
    n += b if r['domain'] else 0
print('%.1f' % (100.0 * n / a if a else 0))
EOF
}

"$PD" report --no-resolve --format csv -o "$T/whole.csv" "$T/whole.pcapng" 2>"$T/whole.err" ||
	e2e_fail_now "report of the whole capture"
WHOLE=$(rows "$T/whole.csv")
e2e_check "whole: the long connection is one flow named by its SNI" \
	"www.long.test|$LONG|8443|tcp|sni|high|1" "$(grep "|$LONG|" <<<"$WHOLE" | cut -d'|' -f1-7)"
e2e_check "whole: the connection without SNI is named by DNS" \
	"dnsonly.test|$DNSONLY|443|tcp|dns|high|1" "$(grep "|$DNSONLY|" <<<"$WHOLE" | cut -d'|' -f1-7)"
"$PD" check --allow "$T/policy.txt" "$T/whole.pcapng" >"$T/check-whole.out" 2>&1
e2e_check "whole: check passes" 0 $?
e2e_log "share of bytes named: whole capture $(named "$T/whole.csv")%"

# variant NAME FILE...: one report of all, separate ingests into one database, -j 2
variant() {
	local name=$1 f rc
	shift
	"$PD" report --no-resolve --format csv -o "$T/$name.csv" "$@" 2>"$T/$name.err" ||
		e2e_fail "$name: report failed: $(cat "$T/$name.err")"
	e2e_check "$name ($# files), one report: the whole capture's destinations" "$WHOLE" \
		"$(rows "$T/$name.csv")"
	"$PD" check --allow "$T/policy.txt" "$@" >"$T/check-$name.out" 2>&1
	rc=$?
	e2e_check "$name, one check run: passes like the whole capture" 0 $rc
	[ $rc = 0 ] || sed 's/^/  /' "$T/check-$name.out" | head -20 >&2
	for f in "$@"; do
		"$PD" ingest --db "$T/$name-sep.db" "$f" >/dev/null 2>>"$T/$name-sep.err" ||
			e2e_fail "$name: ingest $f failed"
	done
	"$PD" report --no-resolve --db "$T/$name-sep.db" --format csv -o "$T/$name-sep.csv" ||
		e2e_fail "$name: report --db failed"
	e2e_check "$name, separate ingests into one database: the whole capture's destinations" \
		"$WHOLE" "$(rows "$T/$name-sep.csv")"
	"$PD" check --allow "$T/policy.txt" --db "$T/$name-sep.db" >/dev/null 2>&1
	e2e_check "$name, separate ingests: check passes" 0 $?
	"$PD" ingest -j 2 --db "$T/$name-j.db" "$@" >/dev/null 2>&1 || e2e_fail "$name: ingest -j 2"
	"$PD" report --no-resolve --db "$T/$name-j.db" --format csv -o "$T/$name-j.csv" ||
		e2e_fail "$name: report --db failed"
	e2e_check "$name, ingest -j 2: the whole capture's destinations" "$WHOLE" \
		"$(rows "$T/$name-j.csv")"
	e2e_log "share of bytes named: $name ($# files) $(named "$T/$name.csv")%," \
		"separate ingests $(named "$T/$name-sep.csv")%, -j 2 $(named "$T/$name-j.csv")%"
}

variant rotated "${ROT[@]}"
variant two "${TWO[@]}"
variant many "${MANY[@]}"

# the helper's files are linked by its run id and sequence numbers
DB=$T/rotated-sep.db
e2e_check "rotated files share one run id" 1 \
	"$(e2e_sql "$DB" "SELECT count(DISTINCT session_id) FROM captures WHERE session_id IS NOT NULL")"
e2e_check "each rotated file after the first continues the one before" "$((${#ROT[@]} - 1))" \
	"$(e2e_sql "$DB" "SELECT count(*) FROM captures c JOIN captures p ON p.sha256 = c.session_prev AND p.session_seq = c.session_seq - 1")"
spans=$(e2e_sql "$DB" "SELECT count(DISTINCT capture_id) FROM flows WHERE server_ip = '$LONG' AND proto = 'tcp'")
e2e_check_true "the long connection spans at least 3 rotated files ($spans)" [ "$spans" -ge 3 ]
e2e_check "its segments after the first are continued, all named by SNI, client side kept" \
	"$((spans - 1))|$spans|$spans" \
	"$(e2e_sql "$DB" "SELECT sum(continued), sum(name = 'www.long.test' AND evidence = 'sni'), sum(client_ip = '$E2E_C4' AND server_port = 8443) FROM flows WHERE server_ip = '$LONG' AND proto = 'tcp'")"
e2e_done
