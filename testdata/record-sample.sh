#!/usr/bin/env bash
# record-sample.sh - records testdata/sample.pcapng (dumpcap, pcapng, Ethernet) and
# testdata/sample-sll2.pcap (tcpdump -i any, classic pcap, Linux cooked v2) from real traffic
# between two network namespaces made for the purpose: dnsmasq answers A/AAAA/CNAME/PTR/HTTPS
# queries, openssl s_server serves HTTPS, python3 http.server serves HTTP, gtlsserver (ngtcp2)
# serves QUIC; curl, dig and gtlsclient are the clients. Both files hold the same traffic.
# testdata/README.md lists the names and addresses. Needs root. Usage: testdata/record-sample.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/e2e/lib.sh
. "$here/../tests/e2e/lib.sh"

e2e_init sample 0
e2e_require_root
e2e_require_tools dnsmasq curl dig openssl tcpdump dumpcap gtlsserver gtlsclient

N=$E2E_NET      # 10.8.0
N6=$E2E_NET6    # fd00:8::0
SHOP4=$N.10 SHOP6=$N6:10         # shop.example.test: HTTPS by name (SNI), IPv4 and IPv6
CDN4=$N.20                       # www.media.test -> media.test.cdn.cloudfront.net: HTTP (Host)
LIT4=$N.30                       # an HTTPS server reached by IP literal (no name anywhere)
QUIC4=$N.40                      # quic.example.test: QUIC (gtlsserver)
API4=$N.50                       # api.example.test: resolved over TCP (dig +tcp), then HTTPS

e2e_net_up
e2e_server_addr $SHOP4 $SHOP6 $CDN4 $LIT4 $QUIC4 $API4
e2e_dnsmasq \
	--host-record=shop.example.test,$SHOP4,$SHOP6 \
	--host-record=media.test.cdn.cloudfront.net,$CDN4 \
	--cname=www.media.test,media.test.cdn.cloudfront.net \
	--host-record=quic.example.test,$QUIC4 \
	--host-record=api.example.test,$API4 \
	--ptr-record=30.0.8.10.in-addr.arpa,backend.example.test \
	--dns-rr=shop.example.test,65,0001000001000302683200040004$(printf '%02x%02x%02x%02x' ${SHOP4//./ })

e2e_cert shop.example.test api.example.test quic.example.test
e2e_tls_server 443
e2e_http_server 80
e2e_quic_server $QUIC4 443

e2e_capture_start dumpcap "$E2E_TMP/sample.pcapng" "$E2E_CIF"
pcapng_pid=$E2E_CAP_PID
e2e_capture_start tcpdump "$E2E_TMP/sample-sll2.pcap" any
sll2_pid=$E2E_CAP_PID

curl_c() { e2e_c curl -sS --max-time 5 -o /dev/null "$@"; }
# 1. HTTPS by name, over IPv4 and over IPv6 (getaddrinfo asks A and AAAA)
curl_c -4 --cacert "$E2E_CERT" https://shop.example.test/
curl_c -6 --cacert "$E2E_CERT" https://shop.example.test/
# 2. the HTTPS record of shop.example.test (alpn h2, ipv4hint)
e2e_c dig +short +time=2 @$E2E_S4 shop.example.test HTTPS >/dev/null
# 3. HTTP through a CNAME to a CDN-like name
curl_c http://www.media.test/
# 4. HTTPS to an IP literal (curl sends no SNI for an address), and its PTR lookup
curl_c -k https://$LIT4/
e2e_c dig +short +time=2 @$E2E_S4 -x $LIT4 >/dev/null
# 5. DNS over TCP, then HTTPS to the answer (curl given the address, so no second lookup)
e2e_c dig +short +tcp +time=2 @$E2E_S4 api.example.test >/dev/null
curl_c --cacert "$E2E_CERT" --resolve api.example.test:443:$API4 https://api.example.test/
# 6. QUIC (HTTP/3) by name
e2e_c timeout 10 gtlsclient --quiet --exit-on-all-streams-close quic.example.test 443 \
	https://quic.example.test/ >/dev/null 2>&1 || e2e_log "gtlsclient exited $? (QUIC may be partial)"

e2e_capture_stop "$sll2_pid"
e2e_capture_stop "$pcapng_pid"

cp "$E2E_TMP/sample.pcapng" "$here/sample.pcapng"
cp "$E2E_TMP/sample-sll2.pcap" "$here/sample-sll2.pcap"
chmod 644 "$here/sample.pcapng" "$here/sample-sll2.pcap"
ls -l "$here/sample.pcapng" "$here/sample-sll2.pcap"
