#!/usr/bin/env bash
# seed-from-captures.sh - adds seed inputs to tests/fuzz/corpus/<name>/ from the project's own
# recorded captures (testdata/*.pcap, testdata/*.pcapng, made by the scripts in testdata/):
#   reader/  each capture file whole
#   dns/     every DNS message (UDP payload to or from port 53; TCP payloads with the
#            2-byte length prefix removed)
#   tls/     every TLS ClientHello as the client's TCP bytes (reassembled when split)
#   quic/    every QUIC long-header packet datagram (UDP payload)
#   http/    every HTTP/1.x request as the client's TCP payload
# Files are named cap-<sha1 of the bytes>, so running it again adds nothing twice and never
# touches seeds written by other generators. Needs tshark and xxd.
# usage: tests/fuzz/seed-from-captures.sh [CAPTURE...]   (default: testdata/*.pcap*)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tshark >/dev/null && command -v xxd >/dev/null ||
	{ echo "seed-from-captures.sh: needs tshark and xxd" >&2; exit 2; }
caps=("$@")
[ ${#caps[@]} = 0 ] && caps=(testdata/*.pcap testdata/*.pcapng)

# put NAME: bytes (hex on stdin, one item) into corpus/NAME
put() {
	local dir=tests/fuzz/corpus/$1 tmp sum
	mkdir -p "$dir"
	tmp=$(mktemp)
	xxd -r -p >"$tmp"
	if [ -s "$tmp" ]; then
		sum=$(sha1sum "$tmp" | cut -c1-16)
		[ -f "$dir/cap-$sum" ] || { mv "$tmp" "$dir/cap-$sum"; return; }
	fi
	rm -f "$tmp"
}

# each HEX... : one put per line of hex
each() {
	local name=$1 line
	while read -r line; do
		[ -n "$line" ] && printf '%s\n' "$line" | put "$name"
	done
}

count() { find tests/fuzz/corpus -name 'cap-*' -type f 2>/dev/null | wc -l; }
before=$(count)
for c in "${caps[@]}"; do
	[ -f "$c" ] || continue
	xxd -p "$c" | put reader
	tshark -n -r "$c" -Y 'udp.port==53 && dns && !icmp && !icmpv6' -T fields -e udp.payload \
		2>/dev/null | each dns
	# DNS over TCP: strip the 2-byte length (one message per segment in these captures)
	tshark -n -r "$c" -Y 'tcp.port==53 && dns' -T fields -e tcp.payload 2>/dev/null |
		sed 's/^....//' | each dns
	tshark -n -r "$c" -Y 'tcp && tls.handshake.type==1' -T fields -E occurrence=f \
		-e tcp.reassembled.data -e tcp.payload 2>/dev/null | awk -F'\t' '{ print ($1 != "") ? $1 : $2 }' |
		each tls
	tshark -n -r "$c" -Y 'quic.header_form==1' -T fields -e udp.payload 2>/dev/null | each quic
	tshark -n -r "$c" -Y 'http.request' -T fields -e tcp.payload 2>/dev/null | each http
done
echo "seed-from-captures.sh: $(($(count) - before)) new seed files in tests/fuzz/corpus/"
