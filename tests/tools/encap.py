#!/usr/bin/env python3
"""Wraps every IP packet of a real capture in a tunnel or PPP framing, for the tunnel tests.

usage: encap.py KIND IN.pcap OUT.pcap
KIND: geneve | vxlan | vxlan-in-geneve | gre | gre-key | gretap | erspan2 | erspan3 | ipip |
      sit | ip6gre | ip6tnl | ppp | ppp-hdlc | pppoe | pppoe-eth | depth6

IN is a classic pcap (Ethernet, Linux cooked v1/v2 or raw IP, either byte order) as tcpdump
writes it; OUT is a little-endian microsecond pcap. Each IPv4/IPv6 packet of IN becomes one
packet of OUT with the same timestamp, carried between the underlay addresses 10.9.0.1 and
10.9.0.2 (fd00:9::1 and fd00:9::2 for ip6gre/ip6tnl): packets from the lower inner address go
from .1 to .2, the others back, as two tunnel endpoints would send them. Headers are written
field by field from the RFCs (VXLAN 7348, Geneve 8926 with one option, GRE 2784/2890, ERSPAN
draft-foschiano-erspan, PPP 1661/1662, PPPoE 2516). Non-IP frames are left out.
"""
import struct
import sys

UNDER4 = (bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
UNDER6 = (bytes.fromhex("fd000009" + "00" * 11 + "01"), bytes.fromhex("fd000009" + "00" * 11 + "02"))
MAC = bytes.fromhex("020000000001020000000002")


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        sys.exit("encap.py: %s is not a classic pcap" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        yield sec, frac // 1000 if nano else frac, ip_of(link, frame)


def ip_of(link, f):
    """The IP packet of a frame, or None."""
    if link == 1:
        t, p = struct.unpack(">H", f[12:14])[0], f[14:]
    elif link == 113:
        t, p = struct.unpack(">H", f[14:16])[0], f[16:]
    elif link == 276:
        t, p = struct.unpack(">H", f[0:2])[0], f[20:]
    elif link in (101, 12, 14):
        return f
    else:
        sys.exit("encap.py: link type %d not handled" % link)
    return p if t in (0x0800, 0x86DD) else None


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(proto, src, dst, payload):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack(">H", csum(h)) + h[12:]
    return h + payload


def ip6(nh, src, dst, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(inner):
    return MAC + struct.pack(">H", 0x86DD if inner[0] >> 4 == 6 else 0x0800) + inner


def ethertype(inner):
    return 0x86DD if inner[0] >> 4 == 6 else 0x0800


def vxlan(vni, inner):
    return struct.pack(">B3sI", 0x08, b"\0\0\0", vni << 8) + eth(inner)


def geneve(vni, inner_type, inner):
    opt = struct.pack(">HBB", 0x0102, 0x80, 1) + b"\xaa\xbb\xcc\xdd"  # one 4-byte option
    return struct.pack(">BBHI", len(opt) // 4, 0, inner_type, vni << 8) + opt + inner


def gre(flags, proto, key, seq, payload):
    h = struct.pack(">HH", flags, proto)
    if flags & 0x8000:
        h += b"\0\0\0\0"
    if flags & 0x2000:
        h += struct.pack(">I", key)
    if flags & 0x1000:
        h += struct.pack(">I", seq)
    return h + payload


def ppp(inner, hdlc=True):
    proto = 0x0057 if inner[0] >> 4 == 6 else 0x0021
    return (b"\xff\x03" if hdlc else b"") + struct.pack(">H", proto) + inner


def pppoe(inner):
    body = ppp(inner, hdlc=False)
    return struct.pack(">BBHH", 0x11, 0, 0x1234, len(body)) + body


def wrap(kind, inner, fwd, seq):
    """(link type, frame) for one inner packet."""
    a, b = UNDER4 if fwd else UNDER4[::-1]
    a6, b6 = UNDER6 if fwd else UNDER6[::-1]
    if kind == "vxlan":
        return 1, eth(ip4(17, a, b, udp(40000 + seq % 1000, 4789, vxlan(42, inner))))
    if kind == "geneve":
        return 1, eth(ip4(17, a, b, udp(40000 + seq % 1000, 6081, geneve(7, 0x6558, eth(inner)))))
    if kind == "vxlan-in-geneve":
        # DNS in VXLAN in Geneve, the outer on loopback as in the capture
        lo = bytes([127, 0, 0, 1])
        mid = ip4(17, a, b, udp(50000, 4789, vxlan(42, inner)))
        return 1, eth(ip4(17, lo, lo, udp(33000, 6081, geneve(0, 0x0800, mid))))
    if kind == "gre":
        return 1, eth(ip4(47, a, b, gre(0, ethertype(inner), 0, 0, inner)))
    if kind == "gre-key":
        return 1, eth(ip4(47, a, b, gre(0xB000, ethertype(inner), 77, seq, inner)))
    if kind == "gretap":
        return 1, eth(ip4(47, a, b, gre(0x2000, 0x6558, 5, 0, eth(inner))))
    if kind == "erspan2":
        hdr = struct.pack(">II", (1 << 28) | (12 << 16) | 12, 0)
        return 1, eth(ip4(47, a, b, gre(0x1000, 0x88BE, 0, seq, hdr + eth(inner))))
    if kind == "erspan3":
        hdr = struct.pack(">III", (2 << 28) | 13, seq, 0x0001)  # O set: subheader follows
        return 1, eth(ip4(47, a, b, gre(0x1000, 0x22EB, 0, seq, hdr + b"\0" * 8 + eth(inner))))
    if kind == "ipip":
        if inner[0] >> 4 != 4:
            return None
        return 1, eth(ip4(4, a, b, inner))
    if kind == "sit":
        if inner[0] >> 4 != 6:
            return None
        return 1, eth(ip4(41, a, b, inner))
    if kind == "ip6gre":
        return 1, eth(ip6(47, a6, b6, gre(0, ethertype(inner), 0, 0, inner)))
    if kind == "ip6tnl":
        return 1, eth(ip6(4 if inner[0] >> 4 == 4 else 41, a6, b6, inner))
    if kind == "ppp":
        return 9, ppp(inner)
    if kind == "ppp-hdlc":
        return 50, ppp(inner)
    if kind == "pppoe":
        return 51, pppoe(inner)
    if kind == "pppoe-eth":
        return 1, MAC + struct.pack(">H", 0x8864) + pppoe(inner)
    if kind == "depth6":
        p = inner
        for i in range(6):
            p = ip4(17, a, b, udp(40000 + i, 4789, vxlan(i, p)))
        return 1, eth(p)
    sys.exit("encap.py: unknown kind " + kind)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kind, src, dst = sys.argv[1:]
    out = []
    link = None
    for i, (sec, usec, inner) in enumerate(read_pcap(src)):
        if not inner:
            continue
        v6 = inner[0] >> 4 == 6
        s, d = (inner[8:24], inner[24:40]) if v6 else (inner[12:16], inner[16:20])
        r = wrap(kind, inner, s <= d, i)
        if not r:
            continue
        link, frame = r
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
    with open(dst, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link or 1))
        f.write(b"".join(out))


if __name__ == "__main__":
    main()
