#!/usr/bin/env bash
# seed-from-captures.sh - adds seed inputs to tests/fuzz/corpus/<name>/ from the project's own
# recorded captures (testdata/*.pcap, testdata/*.pcapng, made by the scripts in testdata/):
#   reader/  each capture file whole
#   dns/     every DNS message (UDP payload to or from port 53; TCP payloads with the
#            2-byte length prefix removed)
#   tls/     every TLS ClientHello as the client's TCP bytes (reassembled when split)
#   quic/    every QUIC long-header datagram, in fuzz_quic's format (mode byte 0, then a 2-byte
#            big-endian length and the UDP payload)
#   http/    every HTTP/1.x request as the client's TCP payload
#   decode/  runs of up to 16 frames in fuzz_decode's format (a link-type index byte, then per
#            frame a 2-byte big-endian length, a 1-byte time step and the frame)
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

# decode_seeds FILE: hex lines for fuzz_decode from a pcap or pcapng file (frames of its first
# link type; the index is fuzz_decode.c's links[] position: 1 Ethernet, 6 SLL, 10 SLL2)
decode_seeds() {
	python3 - "$1" <<'PY'
import struct, sys
IDX = {0: 0, 1: 1, 101: 2, 108: 5, 113: 6, 239: 7, 228: 8, 229: 9, 276: 10}
data = open(sys.argv[1], "rb").read()
frames, link = [], None
if data[:4] == b"\x0a\x0d\x0d\x0a":
    bo, off, links = "<", 0, []
    while off + 12 <= len(data):
        btype = struct.unpack_from("<I", data, off)[0]
        if btype == 0x0A0D0D0A:
            bo = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack_from(bo + "I", data, off + 4)[0]
        if blen < 12:
            break
        if btype == 1:
            links.append(struct.unpack_from(bo + "H", data, off + 8)[0])
        elif btype == 6:
            ifc, _, _, cap = struct.unpack_from(bo + "IIII", data, off + 8)
            if ifc < len(links) and link in (None, links[ifc]):
                link = links[ifc]
                frames.append(data[off + 28:off + 28 + cap])
        off += blen
else:
    bo = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack_from(bo + "I", data, 20)[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        cap = struct.unpack_from(bo + "I", data, off + 8)[0]
        frames.append(data[off + 16:off + 16 + cap])
        off += 16 + cap
if link in IDX:
    for i in range(0, len(frames), 16):
        out = bytes([IDX[link]])
        for f in frames[i:i + 16]:
            out += struct.pack(">HB", len(f), 0) + f
        print(out.hex())
PY
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
	tshark -n -r "$c" -Y 'quic.header_form==1' -T fields -e udp.payload 2>/dev/null |
		awk '{ printf "00%04x%s\n", length($1) / 2, $1 }' | each quic
	tshark -n -r "$c" -Y 'http.request' -T fields -e tcp.payload 2>/dev/null | each http
	decode_seeds "$c" | each decode
done
echo "seed-from-captures.sh: $(($(count) - before)) new seed files in tests/fuzz/corpus/"
