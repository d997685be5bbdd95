#!/usr/bin/env python3
"""pcapng_addrs.py FILE IFACE - the addresses in IFACE's pcapng interface description blocks.

Prints each if_IPv4addr (option 4: address and netmask) as ADDR/PREFIX and each if_IPv6addr
(option 5: address and prefix length) as ADDR/PREFIX, one a line, in file order, for every IDB
whose if_name is IFACE (several sections: several blocks). A reader of the end-to-end tests'
own (draft-ietf-opsawg-pcapng section 4.2), independent of the analyzer's: neither tshark nor
capinfos prints these options. Exit 1 on a malformed file.
"""
import ipaddress
import struct
import sys


def main():
    path, want = sys.argv[1], sys.argv[2]
    d = open(path, "rb").read()
    o, e = 0, "<"
    while o + 12 <= len(d):
        if d[o:o + 4] == b"\x0a\x0d\x0d\x0a":
            e = "<" if d[o + 8:o + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        t, n = struct.unpack_from(e + "II", d, o)
        if n < 12 or o + n > len(d):
            sys.exit("%s: bad block length %d at offset %d" % (path, n, o))
        if t == 1:
            p, name, addrs = o + 16, None, []
            while p + 4 <= o + n - 4:
                c, vl = struct.unpack_from(e + "HH", d, p)
                v = d[p + 4:p + 4 + vl]
                if c == 0:
                    break
                if c == 2:
                    name = v.decode()
                elif c == 4 and vl == 8:
                    m = bin(int.from_bytes(v[4:], "big")).count("1")
                    addrs.append("%s/%d" % (ipaddress.IPv4Address(v[:4]), m))
                elif c == 5 and vl == 17:
                    addrs.append("%s/%d" % (ipaddress.IPv6Address(v[:16]), v[16]))
                p += 4 + (vl + 3) // 4 * 4
            if name == want:
                for a in addrs:
                    print(a)
        o += n


main()
