#!/usr/bin/env bash
# test_subject.sh - issue 14 "the audited subject": direction of every flow relative to the
# container whose namespace is captured, control traffic, inbound services.
#
# The "container" is the client namespace (10.8.14.100, fd00:8::14:100): it runs an HTTPS
# service (openssl s_server, SNI shop.mycompany.test) and an HTTP service (python3), captured
# there. From the other namespace (10.8.14.1) several inbound clients call both services. The
# container makes one egress call (curl https://api.egress.test, its name from dnsmasq), has a
# long-lived connection to 10.8.14.1:4100 opened before the capture started (the server speaks
# first in the capture), answers a UDP probe of a closed port with ICMP port-unreachable, is
# pinged over IPv6 (with neighbour discovery), sends an mDNS query, and asks AAAA for
# v6.egress.test over IPv4 before connecting to it over IPv6 (happy eyeballs).
#
# Checked, on a pcap from tcpdump -i any (local addresses inferred) and a pcapng from dumpcap
# with --local: `check` with an egress-only policy exits 0; the inbound clients are in the
# Inbound section (JSON inbound[], CSV direction ingress) with the name they asked for; the
# long-lived connection's server is 10.8.14.1:4100 (egress), not the container's ephemeral
# port; ICMP error, ND and mDNS are no violation and no destination; the IPv6 connection is
# named by the AAAA asked over IPv4 with evidence dns, high.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init subj 14
e2e_require_root
e2e_require_tools ip dnsmasq curl dig openssl python3 tcpdump dumpcap sqlite3 ping
e2e_require_pd

ME4=$E2E_C4 ME6=$E2E_C6 OUT4=$E2E_S4 OUT6=$E2E_S6
e2e_net_up
e2e_dnsmasq --host-record=api.egress.test,$OUT4 --host-record=v6.egress.test,$OUT6 \
	--local-ttl=300 --local=/test/
e2e_cert shop.mycompany.test api.egress.test v6.egress.test
# the outside world's TLS server (egress target)
e2e_tls_server 443
# the container's own services
e2e_bg "$E2E_C" c-tls openssl s_server -www -accept "0.0.0.0:443" -cert "$E2E_CERT" \
	-key "$E2E_KEY" -naccept 1000
mkdir -p "$E2E_TMP/www" && echo hello >"$E2E_TMP/www/index.html"
py=$(command -v python3)
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
e2e_bg "$E2E_C" c-http "$py" -m http.server --bind 0.0.0.0 --directory "$E2E_TMP/www" 8080
e2e_wait_port "$E2E_C" tcp 443
e2e_wait_port "$E2E_C" tcp 8080

# A long-lived connection (on an unlisted port, 4100) opened before the capture: the server pushes
# a few bytes every 200 ms, the container only reads.
cat >"$E2E_TMP/push.py" <<EOF
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("$OUT4", 4100))
s.listen(1)
c, _ = s.accept()
while True:
    c.sendall(b"event\n")
    time.sleep(0.2)
EOF
cat >"$E2E_TMP/read.py" <<EOF
import socket
s = socket.create_connection(("$OUT4", 4100))
while s.recv(100):
    pass
EOF
e2e_bg "$E2E_S" push "$py" "$E2E_TMP/push.py"
e2e_wait_port "$E2E_S" tcp 4100
e2e_bg "$E2E_C" read "$py" "$E2E_TMP/read.py"
sleep 0.5

traffic() {
	local i
	# inbound: three clients of the container's HTTPS (with SNI) and HTTP services
	for i in 1 2 3; do
		e2e_s curl -sk -m 5 -o /dev/null --resolve "shop.mycompany.test:443:$ME4" \
			https://shop.mycompany.test/ || e2e_fail "inbound https $i"
		e2e_s curl -s -m 5 -o /dev/null "http://$ME4:8080/" || e2e_fail "inbound http $i"
	done
	# egress: one call by name
	e2e_c curl -sk -m 5 -o /dev/null https://api.egress.test/ || e2e_fail "egress curl"
	# happy eyeballs: AAAA over IPv4, the connection over IPv6
	e2e_c dig +short +time=2 @"$OUT4" v6.egress.test AAAA >/dev/null
	# (to the address literal: no SNI, the name can only come from the DNS answer)
	e2e_c curl -sk -6 -m 5 -o /dev/null "https://[$OUT6]/" || e2e_fail "egress curl over IPv6"
	# a UDP probe of a closed port of the container: ICMP port unreachable back
	e2e_s "$py" -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'probe', ('$ME4', 9999))"
	# ping6 to the container (neighbour discovery on the way)
	e2e_s ip -6 neigh flush dev "$E2E_SIF" 2>/dev/null
	e2e_s ping -6 -c 2 -i 0.2 -W 2 "$ME6" >/dev/null || e2e_fail "ping6"
	# an mDNS query from the container
	e2e_c "$py" -c "
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton('$ME4'))
q = struct.pack('>HHHHHH', 0, 0, 1, 0, 0, 0) + b'\x07printer\x05local\x00' + struct.pack('>HH', 1, 1)
s.sendto(q, ('224.0.0.251', 5353))"
	sleep 0.5
}

e2e_capture_start tcpdump "$E2E_TMP/c.pcap"
traffic
e2e_capture_stop
e2e_capture_start dumpcap "$E2E_TMP/c.pcapng" "$E2E_CIF"
traffic
e2e_capture_stop

cat >"$E2E_TMP/policy" <<EOF
# egress only: the named API, the resolver, the long-lived peer
api.egress.test
v6.egress.test
$OUT4:53
$OUT4:4100/tcp
EOF

judge() { # judge NAME CAPTURE [OPTION...]
	local name=$1 cap=$2 db=$E2E_TMP/$1.db rc
	shift 2
	"$PD" check --allow "$E2E_TMP/policy" --db "$db" "$@" "$cap" >"$E2E_TMP/$name.check" 2>&1
	rc=$?
	e2e_check "$name: check with an egress-only policy exits 0" 0 "$rc" ||
		cat "$E2E_TMP/$name.check" >&2
	"$PD" report --db "$db" -o "$E2E_TMP/$name.json" -o "$E2E_TMP/$name.csv" \
		-o "$E2E_TMP/$name.txt" >/dev/null 2>&1 || e2e_fail "$name: report"
	e2e_check "$name: the container's addresses are local" "$ME4" \
		"$(e2e_sql "$db" "SELECT ip FROM capture_locals WHERE ip = '$ME4'")"
	e2e_check "$name: the inbound HTTPS service, with the name asked, is an Inbound row" \
		"shop.mycompany.test 3" \
		"$(e2e_sql "$db" "SELECT sni, count(*) FROM flows WHERE direction = 'ingress' AND server_ip = '$ME4' AND server_port = 443 GROUP BY sni" | tr '|' ' ')"
	e2e_check "$name: the inbound HTTP service is ingress" 3 \
		"$(e2e_sql "$db" "SELECT count(*) FROM flows WHERE direction = 'ingress' AND server_ip = '$ME4' AND server_port = 8080")"
	e2e_check "$name: JSON lists the services in inbound[], never in destinations" \
		"inbound 443 8080; dest-local 0" \
		"$(python3 -c "
import json, sys
r = json.load(open('$E2E_TMP/$name.json'))
ports = sorted({x['port'] for x in r['inbound'] if x['server_ip'] == '$ME4' and x['proto'] == 'tcp'})
local = [row for d in r['destinations'] for row in d['connections'] if row['server_ip'] in ('$ME4', '$ME6')]
local += [u for u in r['unresolved'] if u['ip'] in ('$ME4', '$ME6')]
print('inbound', ' '.join(map(str, ports)) + '; dest-local', len(local))")"
	e2e_check "$name: CSV rows of the inbound services say ingress" "ingress" \
		"$(tr -d '\r' <"$E2E_TMP/$name.csv" | awk -F, -v ip="$ME4" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "direction") d = i; next } $6 == ip && $7 == 443 { print $d }' | sort -u)"
	e2e_check_true "$name: the text report has an Inbound section" \
		grep -q '^Inbound' "$E2E_TMP/$name.txt"
	e2e_check "$name: the long-lived connection's server is $OUT4:4100 (egress)" \
		"$ME4 $OUT4 4100 egress midstream" \
		"$(e2e_sql "$db" "SELECT client_ip, server_ip, server_port, direction, tcp_state FROM flows WHERE server_port = 4100 OR client_port = 4100" | tr '|' ' ')"
	e2e_check "$name: the ICMP port-unreachable is counted in the UDP flow it quotes" \
		"udp 9999 ingress 1 1" \
		"$(e2e_sql "$db" "SELECT proto, server_port, direction, packets_out, packets_in FROM flows WHERE server_port = 9999" | tr '|' ' ')"
	e2e_check "$name: no ICMP flow of its own is an egress or transit destination" 0 \
		"$(e2e_sql "$db" "SELECT count(*) FROM flows WHERE proto IN ('icmp', 'icmp6') AND direction IN ('egress', 'transit')")"
	e2e_check "$name: neighbour discovery and mDNS are control traffic" "mdns nd" \
		"$(python3 -c "
import json
r = json.load(open('$E2E_TMP/$name.json'))
print(' '.join(sorted({x['label'] for x in r['control'] if x['label'] in ('nd', 'mdns')})))")"
	e2e_check "$name: the ping6 to the container is inbound, not a destination" "ingress" \
		"$(e2e_sql "$db" "SELECT DISTINCT direction FROM flows WHERE proto = 'icmp6' AND server_ip = '$ME6' AND server_port = 0")"
	e2e_check "$name: the IPv6 connection is named by the AAAA asked over IPv4: dns high" \
		"v6.egress.test dns high" \
		"$(e2e_sql "$db" "SELECT name, evidence, confidence FROM flows WHERE server_ip = '$OUT6' AND server_port = 443" | tr '|' ' ')"
	# --inbound judges the inbound services too: the policy does not allow them
	"$PD" check --allow "$E2E_TMP/policy" --inbound "$db" >"$E2E_TMP/$name.inbound" 2>&1
	e2e_check "$name: check --inbound judges the inbound services (exit 1)" 1 "$?"
	e2e_check_true "$name: ... naming the container's own service" \
		grep -q "shop.mycompany.test" "$E2E_TMP/$name.inbound"
	"$PD" check --allow "$E2E_TMP/policy" --control "$db" >"$E2E_TMP/$name.control" 2>&1
	e2e_check "$name: check --control judges mDNS too (exit 1)" 1 "$?"
}

# pcap (Linux cooked v2): no addresses in the file, inferred
judge pcap "$E2E_TMP/c.pcap"
e2e_check "pcap: the local addresses were inferred" "inferred" \
	"$(e2e_sql "$E2E_TMP/pcap.db" "SELECT DISTINCT source FROM capture_locals")"
# pcapng from dumpcap (no if_IPv4addr): --local gives both addresses
judge pcapng "$E2E_TMP/c.pcapng" --local "$ME4/32" --local "$ME6"
e2e_check "pcapng: the local addresses came from --local" "option" \
	"$(e2e_sql "$E2E_TMP/pcapng.db" "SELECT DISTINCT source FROM capture_locals")"
e2e_check "--local rejects what is not an address" 2 \
	"$("$PD" check --allow "$E2E_TMP/policy" --local 10.0.0.300 "$E2E_TMP/c.pcap" >/dev/null 2>&1; echo $?)"

e2e_done
