#!/usr/bin/env python3
"""Writes tunnel and PPP seeds into tests/fuzz/corpus/decode/ (fuzz_decode's input format: one
byte picking the link type from its table, then frames as 2-byte length, 1-byte time step,
bytes). Each seed holds a small IPv4 UDP/53 packet and an IPv6 one wrapped by
tests/tools/encap.py's wrap() in one encapsulation, so the fuzzer starts inside every tunnel
and PPP framing. Regenerate with: python3 tests/fuzz/make_tunnel_corpus.py
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import encap  # noqa: E402

# fuzz_decode.c's links[] order
LINKS = {0: 0, 1: 1, 101: 2, 12: 3, 14: 4, 108: 5, 113: 6, 239: 7, 228: 8, 229: 9, 276: 10,
         147: 11, 9: 12, 50: 13, 51: 14, 104: 15}

KINDS = ["vxlan", "geneve", "vxlan-in-geneve", "gre", "gre-key", "gretap", "erspan2", "erspan3",
         "ipip", "sit", "ip6gre", "ip6tnl", "ppp", "ppp-hdlc", "pppoe", "pppoe-eth", "depth6"]


def main():
    dns = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\x01a\x04test\x00\x00\x01\x00\x01" \
          b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x01\x00\x05"
    u = encap.udp(53, 40000, dns)
    v4 = encap.ip4(17, bytes([10, 1, 0, 2]), bytes([10, 1, 0, 1]), u)
    v6 = encap.ip6(17, encap.UNDER6[1], encap.UNDER6[0], u)
    out = os.path.join(HERE, "corpus", "decode")
    os.makedirs(out, exist_ok=True)
    for kind in KINDS:
        frames = []
        link = None
        for i, inner in enumerate((v4, v6)):
            r = encap.wrap(kind, inner, i == 0, i)
            if r:
                link, f = r
                frames.append(struct.pack(">HB", len(f), 0) + f)
        with open(os.path.join(out, "tunnel-" + kind), "wb") as fh:
            fh.write(bytes([LINKS[link]]) + b"".join(frames))


if __name__ == "__main__":
    main()
