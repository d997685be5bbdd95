#!/usr/bin/env bash
# test_dns_live.sh - the DNS parser against real traffic: dnsmasq (serving host records, a
# CNAME chain, PTR, an HTTPS and an SVCB record, NXDOMAIN) in one network namespace, dig in
# another, tcpdump recording the veth. Every recorded DNS message (UDP and TCP) is parsed by
# tests/tools/dns_dump (built here from the sources) and compared with tshark by
# tests/tools/dns_compare.py; then the HTTPS/SVCB/PTR details are checked against what was
# served. Traffic stays inside the two namespaces (10.2.0.0/24, fd00:2::/64).
# Needs root, ip, dnsmasq, dig, tcpdump, tshark, cc, python3; skips (77) otherwise.
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in ip dnsmasq dig tcpdump tshark cc python3; do
	command -v "$t" >/dev/null || skip "$t not installed"
done

ns_srv=dns-e2e-srv
ns_cli=dns-e2e-cli
tmp=$(mktemp -d /tmp/dns-e2e.XXXXXX)
cleanup() {
	[ -f "$tmp/tcpdump.pid" ] && kill "$(cat "$tmp/tcpdump.pid")" 2>/dev/null
	[ -f "$tmp/dnsmasq.pid" ] && kill "$(cat "$tmp/dnsmasq.pid")" 2>/dev/null
	ip netns del $ns_srv 2>/dev/null
	ip netns del $ns_cli 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	cat "$tmp/tcpdump.log" 2>/dev/null
	ls -l "$tmp"
	exit 1
}

cc -O1 -I"$src/analyze" "$src/analyze/dns.c" "$src/analyze/err.c" \
	"$src/tests/tools/dns_dump.c" -o "$tmp/dns_dump" || fail "building dns_dump"

ip netns del $ns_srv 2>/dev/null
ip netns del $ns_cli 2>/dev/null
ip netns add $ns_srv && ip netns add $ns_cli || fail "netns add"
ip link add dnse2e0 netns $ns_srv type veth peer name dnse2e1 netns $ns_cli || fail "veth"
ip -n $ns_srv addr add 10.2.0.1/24 dev dnse2e0
ip -n $ns_cli addr add 10.2.0.2/24 dev dnse2e1
ip -n $ns_srv addr add fd00:2::1/64 dev dnse2e0 nodad
ip -n $ns_cli addr add fd00:2::2/64 dev dnse2e1 nodad
for n in $ns_srv $ns_cli; do ip -n $n link set lo up; done
ip -n $ns_srv link set dnse2e0 up
ip -n $ns_cli link set dnse2e1 up

# HTTPS (RFC 9460): priority 1, target ".", alpn h2, ipv4hint 10.2.0.30, ech (4 opaque bytes),
# ipv6hint fd00:2::30. SVCB: priority 2, target www.dns.test, ipv4hint 10.2.0.31 10.2.0.32.
https=0001:00:0001:0003:02:6832:0004:0004:0a02001e:0005:0004:deadbeef:0006:0010:fd000002000000000000000000000030
svcb=0002:03777777:03646e73:0474657374:00:0004:0008:0a02001f:0a020020
ip netns exec $ns_srv dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=10.2.0.1 --listen-address=fd00:2::1 --bind-interfaces \
	--local=/dns.test/ --pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" \
	--host-record=www.dns.test,10.2.0.20,fd00:2::20,300 \
	--host-record=Second.DNS.test,10.2.0.21,77 \
	--cname=mid.dns.test,www.dns.test --cname=alias.dns.test,mid.dns.test,600 \
	--ptr-record=40.0.2.10.in-addr.arpa,printer.dns.test \
	--dns-rr=svc.dns.test,65,$https --dns-rr=_dns.dns.test,64,$svcb &
ip netns exec $ns_cli tcpdump -i dnse2e1 --immediate-mode -U -w "$tmp/dns.pcap" -s 0 port 53 \
	2>"$tmp/tcpdump.log" &
tcpdump_pid=$!
echo $tcpdump_pid >"$tmp/tcpdump.pid"
for _ in $(seq 50); do
	ip netns exec $ns_cli dig +time=1 +tries=1 @10.2.0.1 www.dns.test >/dev/null 2>&1 &&
		grep -q listening "$tmp/tcpdump.log" && break
	sleep 0.1
done

q() { ip netns exec $ns_cli dig +time=2 +tries=1 "$@" >>"$tmp/dig.out" 2>&1; }
q @10.2.0.1 alias.dns.test A
q @10.2.0.1 alias.dns.test AAAA
q @fd00:2::1 www.dns.test AAAA
q @10.2.0.1 second.dns.test A
q @10.2.0.1 -x 10.2.0.20
q @10.2.0.1 -x 10.2.0.40
q @10.2.0.1 svc.dns.test TYPE65
q @10.2.0.1 _dns.dns.test TYPE64
q @10.2.0.1 nothere.dns.test A
q @10.2.0.1 +tcp alias.dns.test A
q @10.2.0.1 +noedns WWW.DNS.TEST A
sleep 1
kill "$(cat "$tmp/tcpdump.pid")"
rm -f "$tmp/tcpdump.pid"
wait "$tcpdump_pid" 2>/dev/null

python3 "$src/tests/tools/dns_compare.py" "$tmp/dns_dump" "$tmp/dns.pcap" >"$tmp/compare.out"
rc=$?
cat "$tmp/compare.out"
[ $rc = 0 ] || fail "parser and tshark differ"
grep -q "SUMMARY messages=2[0-9] " "$tmp/compare.out" || fail "expected 20-29 DNS messages"

python3 - "$src" "$tmp/dns.pcap" >"$tmp/dump.out" <<'PY' || fail "extracting messages"
import sys
sys.path.insert(0, sys.argv[1] + "/tests/tools")
import dns_compare
for fr, h in dns_compare.messages(sys.argv[2]):
    print(fr, h)
PY
"$tmp/dns_dump" <"$tmp/dump.out" >"$tmp/parsed.out"
expect() {
	grep -qF -- "$1" "$tmp/parsed.out" || { cat "$tmp/parsed.out"; fail "missing: $1"; }
}
tab=$'\t'
expect "alias.dns.test${tab}10.2.0.20${tab}${tab}mid.dns.test,www.dns.test${tab}600,"
expect "second.dns.test${tab}10.2.0.21${tab}${tab}${tab}77${tab}success"
expect "PTR 20.0.2.10.in-addr.arpa  prio=0 target=www.dns.test"
expect "PTR 40.0.2.10.in-addr.arpa  prio=0 target=printer.dns.test"
expect "HTTPS svc.dns.test  prio=1 target=. ech=1 hints=10.2.0.30 fd00:2::30 "
expect "SVCB _dns.dns.test  prio=2 target=www.dns.test ech=0 hints=10.2.0.31 10.2.0.32 "
expect "nothere.dns.test${tab}${tab}${tab}${tab}${tab}success${tab}NXDOMAIN${tab}0"
cat "$tmp/parsed.out"
echo PASS
exit 0
