#!/usr/bin/env bash
# test_rdns_dnsmasq.sh - reverse lookups (analyze/rdns.c) against a real dnsmasq: two network
# namespaces of this test joined by a veth pair (10.5.0.1 / 10.5.0.2, fd00:5::1 / fd00:5::2);
# dnsmasq answers PTR queries from --ptr-record in one, the test_rdns "e2e" case runs in the
# other with PD_RDNS_E2E_RESOLVER=10.5.0.1. Nothing is configured in the host namespace.
# Exit 77 (skip) without root or a tool, 0 on pass, 1 on fail.
set -u
PD_BIN=${PD_BIN:-build}
if [ "$(id -u)" != 0 ]; then echo "skip: needs root for network namespaces"; exit 77; fi
for t in ip dnsmasq; do
	command -v $t >/dev/null || { echo "skip: $t not installed"; exit 77; }
done
[ -x "$PD_BIN/tests/test_rdns" ] || { echo "skip: $PD_BIN/tests/test_rdns not built"; exit 77; }

srv=attr-rdns-srv-$$
cli=attr-rdns-cli-$$
tmp=$(mktemp -d /tmp/attr-rdns-XXXXXX)
cleanup() {
	[ -f "$tmp/dnsmasq.pid" ] && kill "$(cat "$tmp/dnsmasq.pid")" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
	ip netns del "$cli" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$srv" && ip netns add "$cli" || exit 1
ip -n "$srv" link add attr-rd0 type veth peer name attr-rd1 netns "$cli" || exit 1
ip -n "$srv" addr add 10.5.0.1/24 dev attr-rd0
ip -n "$srv" addr add fd00:5::1/64 dev attr-rd0 nodad
ip -n "$cli" addr add 10.5.0.2/24 dev attr-rd1
ip -n "$cli" addr add fd00:5::2/64 dev attr-rd1 nodad
for ns in "$srv" "$cli"; do
	ip -n "$ns" link set lo up
done
ip -n "$srv" link set attr-rd0 up
ip -n "$cli" link set attr-rd1 up

ip netns exec "$srv" dnsmasq --no-resolv --no-hosts --no-daemon --bogus-priv \
	--listen-address=10.5.0.1,fd00:5::1 --bind-interfaces --port=53 --log-queries \
	--log-facility="$tmp/dnsmasq.log" --pid-file="$tmp/dnsmasq.pid" \
	--ptr-record=5.0.5.10.in-addr.arpa,web.attr.test \
	--ptr-record=5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.5.0.0.0.0.0.d.f.ip6.arpa,web6.attr.test \
	2>"$tmp/dnsmasq.err" &
echo $! >"$tmp/dnsmasq.pid"
for _ in $(seq 50); do
	ip netns exec "$srv" ss -uln 2>/dev/null | grep -q 'fd00:5::1\]:53' && break
	sleep 0.1
done

# over IPv4 (port implied) and over IPv6 with an explicit port
for resolver in 10.5.0.1 '[fd00:5::1]:53'; do
	if ! ip netns exec "$cli" env PD_RDNS_E2E_RESOLVER="$resolver" CK_RUN_CASE=e2e \
		"$PD_BIN/tests/test_rdns"; then
		echo "FAIL: resolver $resolver; dnsmasq log:"
		cat "$tmp/dnsmasq.log" "$tmp/dnsmasq.err" 2>/dev/null
		exit 1
	fi
done
grep -q 'query\[PTR\] 5.0.5.10.in-addr.arpa from 10.5.0.2' "$tmp/dnsmasq.log" &&
	grep -q 'query\[PTR\] 5.0.5.10.in-addr.arpa from fd00:5::2' "$tmp/dnsmasq.log" || {
	echo "FAIL: dnsmasq saw no PTR query from the client namespace"
	cat "$tmp/dnsmasq.log"
	exit 1
}
echo "PASS: reverse lookups against dnsmasq"
exit 0
