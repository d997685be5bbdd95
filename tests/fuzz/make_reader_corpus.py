#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_reader and fuzz_decode into tests/fuzz/corpus/{reader,decode}/.

Every seed is built here from the format descriptions (pcap-savefile(5), draft-ietf-opsawg-pcapng,
RFC 791/8200/768/9293, tcpdump.org/linktypes.html), the same layouts tests/capbuild.h writes, so
the corpus can be regenerated: python3 tests/fuzz/make_reader_corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
A4, B4 = bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2])
A6 = bytes.fromhex("fd000001000000000000000000000001")
B6 = bytes.fromhex("fd000001000000000000000000000002")


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, flags, payload):
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 2, 5 << 4, flags, 65535, 0, 0) + payload


def ip4(proto, payload, ident=1, frag=0x4000):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                       A4, B4) + payload


def ip6(nh, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), nh, 64, A6, B6) + payload


def eth(etype, l3):
    return bytes(range(12)) + struct.pack(">H", etype) + l3


def sll(etype, l3):
    return struct.pack(">HHH8sH", 4, 1, 6, bytes(8), etype) + l3


def sll2(etype, l3):
    return struct.pack(">HHIHBB8s", etype, 0, 1, 1, 4, 6, bytes(8)) + l3


DNS_Q = bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")
FRAMES = {
    1: [eth(0x0800, ip4(17, udp(5353, 53, DNS_Q))),
        eth(0x86DD, ip6(6, tcp(40000, 443, 0x02, b""))),
        eth(0x8100, b"\x00\x0a\x88\x47\x00\x01\x01\x40" + ip4(17, udp(1, 53, DNS_Q)))],
    113: [sll(0x86DD, ip6(17, udp(53, 5353, DNS_Q)))],
    276: [sll2(0x0800, ip4(6, tcp(40000, 80, 0x18, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")))],
    101: [ip4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01"), ip6(58, b"\x80\x00\x00\x00\x00\x01\x00\x01")],
    0: [struct.pack("<I", 2) + ip4(17, udp(1, 53, DNS_Q)), struct.pack("<I", 30) + ip6(17, udp(1, 53, DNS_Q))],
    108: [struct.pack(">I", 24) + ip6(17, udp(1, 53, DNS_Q))],
    239: [b"\x02\x00\x00\x05" + struct.pack("<HH", 4 + 48, 9) + ip4(17, udp(1, 53, DNS_Q))[:48]],
    228: [ip4(17, udp(1, 53, DNS_Q))],
    229: [ip6(17, udp(1, 53, DNS_Q))],
}


def pcap(order, nano, linktype, frames, snaplen=65535):
    out = struct.pack(order + "IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for i, f in enumerate(frames):
        out += struct.pack(order + "IIII", 1700000000 + i, 123, len(f), len(f)) + f
    return out


def opt(order, code, value):
    return struct.pack(order + "HH", code, len(value)) + value + bytes(-len(value) % 4)


def block(order, btype, body):
    n = 12 + len(body) + (-len(body) % 4)
    return struct.pack(order + "II", btype, n) + body + bytes(-len(body) % 4) + struct.pack(order + "I", n)


def shb(order, opts=b""):
    return block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts)


def idb(order, linktype, opts=b""):
    return block(order, 1, struct.pack(order + "HHI", linktype, 0, 262144) + opts)


def epb(order, iface, ts, frame, opts=b""):
    body = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame), len(frame))
    return block(order, 6, body + frame + bytes(-len(frame) % 4) + opts)


def pcapng_mixed():
    le, be = "<", ">"
    end = b"\x00\x00\x00\x00"
    out = shb(le, opt(le, 1, b"pcapdomains.runtime=docker") + opt(le, 1, b"a comment") +
              opt(le, 2, b"hw") + opt(le, 3, b"os") + opt(le, 4, b"app") + end)
    out += idb(le, 1, opt(le, 2, b"eth0") + opt(le, 9, b"\x09") + end)
    out += idb(le, 276, opt(le, 2, b"any") + opt(le, 14, struct.pack(le + "q", 10)) + end)
    out += epb(le, 0, 1700000000123456789, FRAMES[1][0], opt(le, 2, struct.pack(le + "I", 2)) + end)
    out += epb(le, 1, 1700000000123456, FRAMES[276][0])
    out += block(le, 5, struct.pack(le + "III", 0, 0, 0) + opt(le, 4, struct.pack(le + "Q", 7)) +
                 opt(le, 5, struct.pack(le + "Q", 1)) + end)
    out += block(le, 4, struct.pack(le + "HH", 1, 8) + A4 + b"a.b\x00" + end)
    out += shb(be)
    out += idb(be, 0, opt(be, 9, b"\x8a") + end)
    out += epb(be, 0, 2048, FRAMES[0][1])
    out += block(be, 3, struct.pack(be + "I", len(FRAMES[0][0])) + FRAMES[0][0])
    out += block(be, 2, struct.pack(be + "HHIIII", 0, 0, 0, 4096, 40, 40) + FRAMES[0][0][:40])
    return out


def decode_seed(linktype_index, frames):
    out = bytes([linktype_index])
    for f in frames:
        out += struct.pack(">HB", len(f), 0) + f
    return out


def main():
    rd = os.path.join(HERE, "corpus", "reader")
    dd = os.path.join(HERE, "corpus", "decode")
    os.makedirs(rd, exist_ok=True)
    os.makedirs(dd, exist_ok=True)
    seeds = {
        "pcap-le-micro-ether": pcap("<", False, 1, FRAMES[1]),
        "pcap-be-nano-sll": pcap(">", True, 113, FRAMES[113]),
        "pcap-le-nano-sll2": pcap("<", True, 276, FRAMES[276]),
        "pcap-be-micro-null": pcap(">", False, 0, FRAMES[0]),
        "pcap-le-nflog": pcap("<", False, 239, FRAMES[239]),
        "pcap-snaplen-cut": pcap("<", False, 1, FRAMES[1], snaplen=40),
        "pcapng-two-sections-mixed": pcapng_mixed(),
    }
    for name, data in seeds.items():
        with open(os.path.join(rd, name), "wb") as f:
            f.write(data)
    # fuzz_decode picks the link type by the first byte, an index into its links[] table.
    index = {0: 0, 1: 1, 101: 2, 108: 5, 113: 6, 239: 7, 228: 8, 229: 9, 276: 10}
    for lt, frames in FRAMES.items():
        with open(os.path.join(dd, "link-%d" % lt), "wb") as f:
            f.write(decode_seed(index[lt], frames))
    # IPv4 fragments of one UDP datagram (3000 bytes), out of order, on raw IP.
    dgram = udp(53, 5353, bytes(i * 7 & 0xFF for i in range(2992)))
    frags = [ip4(17, dgram[o:o + n], ident=9, frag=(o // 8) | (0x2000 if o + n < len(dgram) else 0))
             for o, n in ((1480, 1480), (0, 1480), (2960, 40))]
    with open(os.path.join(dd, "ip4-fragments"), "wb") as f:
        f.write(decode_seed(2, frags))
    # IPv6 fragments: fragment header, then a destination-options header in the fragmentable part.
    part = bytes([17, 0, 0, 0, 0, 0, 0, 0]) + dgram
    out = []
    for o in range(0, len(part), 1232):
        chunk = part[o:o + 1232]
        more = 1 if o + len(chunk) < len(part) else 0
        out.append(ip6(44, struct.pack(">BBHI", 60, 0, o | more, 0x12345678) + chunk))
    with open(os.path.join(dd, "ip6-fragments"), "wb") as f:
        f.write(decode_seed(9, out))
    print("\n".join(sorted(os.listdir(rd) + os.listdir(dd))))


if __name__ == "__main__":
    main()
