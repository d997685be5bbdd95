#!/usr/bin/env bash
# Records real TLS, QUIC and HTTP/1.1 client traffic for tests/test_tls_real.c:
#   real.pcap  client-to-server packets of each connection (Ethernet, veth), and
#   real.tsv   the reference: destination, port, proto, name, ALPN (method for HTTP), QUIC
#              version (hex; "-" for TCP) of every ClientHello or request, as tshark reads them (tshark 4.0 cannot read QUIC v2-draft Initials:
#              that flow is listed with the SNI the same client sent over v1).
# Clients: curl and openssl s_client (TLS 1.3/1.2, no SNI), curl HTTP (Host, CONNECT via a
# proxy), ngtcp2's gtlsclient (QUIC v1, after a Retry, over IPv6, v2-draft) and, when
# installed, chromium (TCP with post-quantum key share and ECH GREASE, QUIC with the hello
# spread over several Initials). Needs root (network namespaces tls-a, tls-b; 10.3.0.0/24 and
# fd00:3::/64 on a veth pair), openssl, curl, python3, tcpdump, tshark, gtlsserver/gtlsclient.
# Run: sudo testdata/tls/record.sh   (rewrites real.pcap and real.tsv next to this script)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/tls-record.XXXXXX)
A=tls-a B=tls-b
cleanup() {
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for t in openssl curl python3 tcpdump tshark gtlsserver gtlsclient; do
	command -v $t >/dev/null || { echo "record.sh: $t is missing" >&2; exit 1; }
done
ip netns add $A
ip netns add $B
ip link add tls-va netns $A type veth peer name tls-vb netns $B
ip -n $A addr add 10.3.0.1/24 dev tls-va
ip -n $B addr add 10.3.0.2/24 dev tls-vb
ip -n $A addr add fd00:3::1/64 dev tls-va nodad
ip -n $B addr add fd00:3::2/64 dev tls-vb nodad
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set tls-va up
ip -n $B link set tls-vb up

cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
	-subj /CN=tls-test >/dev/null 2>&1
mkdir htdocs && echo hi >htdocs/index.html
chmod -R a+rX "$work"
ip netns exec $B tcpdump -i tls-vb -w full.pcap -U -s 0 >/dev/null 2>&1 &
sleep 1
ip netns exec $B openssl s_server -accept 443 -cert cert.pem -key key.pem -www -quiet >/dev/null 2>&1 &
ip netns exec $B openssl s_server -accept [::]:4434 -cert cert.pem -key key.pem -www -quiet \
	>/dev/null 2>&1 &
ip netns exec $B python3 -m http.server 8080 --bind 10.3.0.2 >/dev/null 2>&1 &
ip netns exec $B gtlsserver -q -d htdocs 10.3.0.2 4443 key.pem cert.pem >/dev/null 2>&1 &
ip netns exec $B gtlsserver -q -V -d htdocs 10.3.0.2 4444 key.pem cert.pem >/dev/null 2>&1 &
ip netns exec $B gtlsserver -q -d htdocs fd00:3::2 4445 key.pem cert.pem >/dev/null 2>&1 &
sleep 1
inA() { ip netns exec $A "$@" >/dev/null 2>&1 </dev/null || true; }
inA curl -sk --max-time 3 --resolve www.Curl-Test.example:443:10.3.0.2 https://www.Curl-Test.example/
inA curl -sk --http1.1 --max-time 3 --resolve v6.curl-test.example:4434:[fd00:3::2] \
	https://v6.curl-test.example:4434/
inA timeout 3 openssl s_client -connect 10.3.0.2:443 -servername s-client.example -alpn h2,http/1.1
inA timeout 3 openssl s_client -connect 10.3.0.2:443 -servername tls12.example -tls1_2
inA timeout 3 openssl s_client -connect 10.3.0.2:443 -noservername
inA curl -s --max-time 3 --resolve plain.http-test.example:8080:10.3.0.2 \
	http://plain.http-test.example:8080/
inA curl -s --max-time 3 -H 'Host: [fd00:3::9]:8080' http://10.3.0.2:8080/
inA curl -s --max-time 3 -p -x http://10.3.0.2:8080 https://connect-target.example/
inA timeout 5 gtlsclient -q --exit-on-first-stream-close 10.3.0.2 4443 https://quic-v1.example:4443/
inA timeout 5 gtlsclient -q --exit-on-first-stream-close 10.3.0.2 4444 https://quic-retry.example:4444/
inA timeout 5 gtlsclient -q --exit-on-first-stream-close fd00:3::2 4445 https://quic-v6.example:4445/
inA timeout 5 gtlsclient -q -v v2draft --exit-on-first-stream-close 10.3.0.2 4443 \
	https://quic-v2draft.example:4443/
if command -v chromium >/dev/null; then
	for h in tcp-chrome.example www.Chrome-Quic.example; do
		extra=() port=443
		[ $h = www.Chrome-Quic.example ] && port=4443 &&
			extra=(--enable-quic --origin-to-force-quic-on=www.chrome-quic.example:4443)
		inA timeout 20 chromium --headless=new --no-sandbox --disable-gpu \
			--user-data-dir="$work/chr-$h" --ignore-certificate-errors \
			--disable-background-networking --disable-component-update \
			--host-resolver-rules="MAP * 10.3.0.2" "${extra[@]}" --dump-dom "https://$h:$port/"
	done
fi
sleep 1
kill %1 2>/dev/null || true
sleep 0.5
# Keep the client's side only, and of TCP only segments with payload: small and enough.
tcpdump -r full.pcap -w "$here/real.pcap" \
	'(dst host 10.3.0.2 or dst host fd00:3::2) and (udp or (tcp[tcpflags] & tcp-syn != 0) or (ip and tcp and (ip[2:2] - ((ip[0]&0xf)<<2) - ((tcp[12]&0xf0)>>2)) > 0) or (ip6 and tcp))' \
	2>/dev/null
{
	tshark -r full.pcap -Y 'tls.handshake.type == 1' -T fields -E separator=/t \
		-e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport -e tls.handshake.extensions_server_name \
		-e tls.handshake.extensions_alpn_str -e quic.version 2>/dev/null |
		awk -F'\t' '{ d = $1 != "" ? $1 : $2; p = $3 != "" ? $3 : $4;
			pr = $3 != "" ? "tcp" : "udp"; v = $7; sub(/,.*/, "", v);
			if (v == "") v = "-"; else { sub(/^0x0*/, "", v); }
			print d "\t" p "\t" pr "\t" $5 "\t" $6 "\t" v }'
	tshark -r full.pcap -Y 'http.request' -T fields -E separator=/t -e ip.dst -e tcp.dstport \
		-e http.request.method -e http.host -e http.request.uri 2>/dev/null |
		awk -F'\t' '{ h = $3 == "CONNECT" ? $5 : $4;
			if (h ~ /^\[/) { sub(/^\[/, "", h); sub(/\].*$/, "", h) } else sub(/:[0-9]+$/, "", h);
			print $1 "\t" $2 "\ttcp\t" tolower(h) "\t" $3 "\t-" }'
	# The v2-draft flow: tshark 4.0 cannot decrypt it; gtlsclient sends the SNI it sent on v1.
	v1sni=$(tshark -r full.pcap -Y 'udp.dstport == 4444 && tls.handshake.type == 1' -T fields \
		-e tls.handshake.extensions_server_name 2>/dev/null | head -1)
	if tshark -r full.pcap -Y 'udp.dstport == 4443 && udp.payload[1:4] == 70:9a:50:c4' 2>/dev/null |
		grep -q .; then
		printf '10.3.0.2\t4443\tudp\t%s\th3\t709a50c4\n' "$v1sni"
	fi
} | sort | uniq >"$here/real.tsv"
echo "record.sh: $(wc -l <"$here/real.tsv") hellos/requests in $here/real.pcap"
