#!/usr/bin/env bash
# test_flows.sh - issue "Foundation": real traffic in two namespaces (dnsmasq, openssl s_server,
# python3 http.server; curl and dig as clients), captured at once by tcpdump -i any (pcap, Linux
# cooked v2) and dumpcap (pcapng, Ethernet). Both files are ingested with `pcapdomains ingest
# --db` and the flows table is checked against what the test sent and what tshark counts:
# 5-tuples, proto, TCP state, packets and IP bytes each way, DNS flows to the resolver; the
# captures row; idempotent re-ingest; both files in one database.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init flows 1
e2e_require_root
e2e_require_tools ip dnsmasq curl dig openssl python3 tcpdump dumpcap tshark sqlite3
e2e_require_pd

WEB4=$E2E_NET.10
WEB6=$E2E_NET6:10
e2e_net_up
e2e_server_addr $WEB4 $WEB6
e2e_dnsmasq --host-record=web.flows.test,$WEB4,$WEB6
e2e_cert web.flows.test
e2e_tls_server 443
e2e_http_server 80

PCAP=$E2E_TMP/flows-sll2.pcap
PCAPNG=$E2E_TMP/flows.pcapng
e2e_capture_start tcpdump "$PCAP" any
tcpdump_pid=$E2E_CAP_PID
e2e_capture_start dumpcap "$PCAPNG" "$E2E_CIF"
dumpcap_pid=$E2E_CAP_PID

# Each connection the test makes: "proto client_ip client_port server_ip server_port" (curl
# reports its own ends). Names are looked up by the client's resolver (dnsmasq) first.
CONNS=()
curl_c() {
	local out
	out=$(e2e_c curl -sS --max-time 5 -o /dev/null \
		-w '%{local_ip} %{local_port} %{remote_ip} %{remote_port}' "$@") ||
		e2e_fail_now "curl $* failed"
	CONNS+=("tcp $out")
}
curl_c -4 --cacert "$E2E_CERT" https://web.flows.test/
curl_c -6 --cacert "$E2E_CERT" https://web.flows.test/
curl_c -4 http://web.flows.test/
curl_c -6 http://web.flows.test/index.html
e2e_c dig +short +time=2 @$E2E_S4 web.flows.test A >/dev/null || e2e_fail_now "dig"
e2e_c dig +short +time=2 @$E2E_S6 web.flows.test AAAA >/dev/null || e2e_fail_now "dig -6"
e2e_c dig +short +tcp +time=2 @$E2E_S4 web.flows.test A >/dev/null || e2e_fail_now "dig +tcp"

e2e_capture_stop "$dumpcap_pid"
e2e_capture_stop "$tcpdump_pid"

# addr_filter PREFIX IP: the tshark field for an address of this family.
fam() { case $1 in *:*) echo ipv6 ;; *) echo ip ;; esac; }

# check_flow FILE DB CAPTURE_ID PROTO CIP CPORT SIP SPORT: one flow row, counts as tshark.
check_flow() {
	local f=$1 db=$2 cid=$3 proto=$4 cip=$5 cport=$6 sip=$7 sport=$8 fa out in row what
	fa=$(fam "$cip")
	what="$(basename "$f"): $proto $cip:$cport -> $sip:$sport"
	out=$(e2e_ipbytes "$f" "$fa.src==$cip && $proto.srcport==$cport && $fa.dst==$sip && $proto.dstport==$sport && !icmp && !icmpv6")
	in=$(e2e_ipbytes "$f" "$fa.src==$sip && $proto.srcport==$sport && $fa.dst==$cip && $proto.dstport==$cport && !icmp && !icmpv6")
	row=$(e2e_sql "$db" "SELECT count(*), ifnull(max(tcp_state),'NULL'), sum(packets_out), sum(bytes_out), sum(packets_in), sum(bytes_in) FROM flows WHERE capture_id=$cid AND proto='$proto' AND client_ip='$cip' AND client_port=$cport AND server_ip='$sip' AND server_port=$sport")
	local state=NULL
	[ "$proto" = tcp ] && state=established
	e2e_check "$what: one flow, state, packets/bytes out and in (tshark: out $out, in $in)" \
		"1|$state|${out% *}|${out#* }|${in% *}|${in#* }" "$row"
	case $out in 0\ *) e2e_fail "$what: tshark sees no packets out (test bug?)" ;; esac
	case $in in 0\ *) e2e_fail "$what: tshark sees no packets in" ;; esac
}

# tuples FILE: every TCP/UDP conversation tshark sees, as sorted "proto a:port b:port" lines.
tuples() {
	tshark -n -r "$1" -Y '(tcp || udp) && !icmp && !icmpv6' -T fields -E occurrence=f \
		-e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport \
		-e udp.srcport -e udp.dstport 2>/dev/null |
		awk -F'\t' '{ s = $1 $2; d = $3 $4; if ($5 != "") { p = "tcp"; sp = $5; dp = $6 }
			else { p = "udp"; sp = $7; dp = $8 }
			a = s "/" sp; b = d "/" dp; if (a > b) { t = a; a = b; b = t }
			print p, a, b }' | sort -u
}

# db_tuples DB CID: the same from the flows table (client and server ends sorted alike).
db_tuples() {
	e2e_sql "$1" "SELECT proto, client_ip||'/'||client_port, server_ip||'/'||server_port FROM flows WHERE capture_id=$2 AND proto IN ('tcp','udp')" |
		awk -F'|' '{ a = $2; b = $3; if (a > b) { t = a; a = b; b = t } print $1, a, b }' | sort -u
}

check_capture() {
	local f=$1 db=$2 format=$3 link=$4 cid c ip6 frames
	cid=$(e2e_sql "$db" "SELECT id FROM captures WHERE sha256='$(sha256sum "$f" | cut -d' ' -f1)'")
	[ -n "$cid" ] || { e2e_fail "$(basename "$f"): no captures row with its sha256"; return; }
	frames=$(tshark -n -r "$f" 2>/dev/null | wc -l)
	e2e_check "$(basename "$f"): captures row (format, link_types, packets, size)" \
		"$format|$link|$frames|$(stat -c %s "$f")" \
		"$(e2e_sql "$db" "SELECT format, link_types, packets, size FROM captures WHERE id=$cid")"
	for c in "${CONNS[@]}"; do
		# shellcheck disable=SC2086
		check_flow "$f" "$db" "$cid" $c
	done
	# DNS: every query the test made is a flow from the client to the resolver, port 53
	local dns
	while read -r proto cip cport sip sport; do
		check_flow "$f" "$db" "$cid" "$proto" "$cip" "$cport" "$sip" "$sport"
	done < <(tshark -n -r "$f" -Y 'dns.flags.response==0 && !icmp && !icmpv6' -T fields \
		-E occurrence=f -e ip.src -e ipv6.src -e udp.srcport -e tcp.srcport -e ip.dst \
		-e ipv6.dst 2>/dev/null |
		awk -F'\t' '{ p = ($3 != "") ? "udp" : "tcp"; print p, $1 $2, $3 $4, $5 $6, 53 }' | sort -u)
	dns=$(e2e_sql "$db" "SELECT count(*) FROM flows WHERE capture_id=$cid AND server_port=53 AND server_ip IN ('$E2E_S4','$E2E_S6') AND client_ip IN ('$E2E_C4','$E2E_C6')")
	local want_dns
	want_dns=$(tuples "$f" | grep -c '/53 \|/53$')
	e2e_check "$(basename "$f"): DNS flows to the resolver" "$want_dns" "$dns"
	e2e_check "$(basename "$f"): app_proto of the DNS, TLS and HTTP flows" "dns $want_dns|http 2|tls 2" \
		"$(e2e_sql "$db" "SELECT app_proto||' '||count(*) FROM flows WHERE capture_id=$cid AND server_port IN (53,80,443) AND proto IN ('tcp','udp') GROUP BY app_proto ORDER BY app_proto" | paste -sd'|')"
	e2e_check "$(basename "$f"): at least 3 DNS flows (2 UDP, 1 TCP)" 1 "$([ "$dns" -ge 3 ] && echo 1)"
	e2e_check "$(basename "$f"): TCP/UDP flows are exactly tshark's conversations" \
		"$(tuples "$f")" "$(db_tuples "$db" "$cid")"
	ip6=$(e2e_sql "$db" "SELECT count(*) FROM flows WHERE capture_id=$cid AND client_ip='$E2E_C6' AND proto='tcp'")
	e2e_check "$(basename "$f"): two IPv6 TCP connections" 2 "$ip6"
}

DB1=$E2E_TMP/pcap.db
DB2=$E2E_TMP/pcapng.db
DB3=$E2E_TMP/both.db
e2e_ingest "$DB1" "$PCAP" && check_capture "$PCAP" "$DB1" pcap linux-sll2
e2e_ingest "$DB2" "$PCAPNG" && check_capture "$PCAPNG" "$DB2" pcapng ether

# idempotence: the same file again adds nothing
if [ -f "$DB1" ]; then
	before=$(e2e_sql "$DB1" "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM flows), (SELECT count(*) FROM dns_answers)")
	e2e_ingest "$DB1" "$PCAP"
	e2e_check "re-ingesting the same pcap is a no-op (captures, flows, dns_answers)" "$before" \
		"$(e2e_sql "$DB1" "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM flows), (SELECT count(*) FROM dns_answers)")"
	cp "$PCAP" "$E2E_TMP/renamed.pcap"
	e2e_ingest "$DB1" "$E2E_TMP/renamed.pcap"
	e2e_check "the same bytes under another name are still one capture" 1 \
		"$(e2e_sql "$DB1" "SELECT count(*) FROM captures")"
	e2e_check "schema version" "$(sed -n 's/^#define PD_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$PD_SRC/analyze/store.h")" \
		"$(e2e_sql "$DB1" "PRAGMA user_version")"
fi

# both files in one database: two captures, each with its own flows
e2e_ingest "$DB3" "$PCAP" "$PCAPNG"
if [ -f "$DB3" ]; then
	e2e_check "both captures in one database" 2 "$(e2e_sql "$DB3" "SELECT count(*) FROM captures")"
	e2e_check "flows of both = flows of each" \
		"$(($(e2e_sql "$DB1" "SELECT count(*) FROM flows") + $(e2e_sql "$DB2" "SELECT count(*) FROM flows")))" \
		"$(e2e_sql "$DB3" "SELECT count(*) FROM flows")"
	check_capture "$PCAPNG" "$DB3" pcapng ether
fi

# the bundled samples (recorded by testdata/record-sample.sh) ingest too, with the same flows
DB4=$E2E_TMP/sample.db
if e2e_ingest "$DB4" "$PD_SRC/testdata/sample.pcapng" "$PD_SRC/testdata/sample-sll2.pcap"; then
	e2e_check "sample.pcapng: TCP/UDP flows are exactly tshark's conversations" \
		"$(tuples "$PD_SRC/testdata/sample.pcapng")" "$(db_tuples "$DB4" 1)"
	e2e_check "sample-sll2.pcap: TCP/UDP flows are exactly tshark's conversations" \
		"$(tuples "$PD_SRC/testdata/sample-sll2.pcap")" "$(db_tuples "$DB4" 2)"
fi
e2e_done
