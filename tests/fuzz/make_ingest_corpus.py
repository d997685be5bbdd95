#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_ingest into tests/fuzz/corpus/ingest/ from the other
harnesses' seeds (each made by its own generator): python3 tests/fuzz/make_ingest_corpus.py

fuzz_ingest's input (see the top of fuzz_ingest.c): byte 0 = 0xff and a whole capture file
(the reader seeds), or byte 0 = a server port selector and records
[dir:1][tcp flags:1][seq offset:2][len:2][payload] (dir 0 = client to server). Here: DNS
responses over UDP and mDNS, length-prefixed over TCP/53, a ClientHello on TCP/443 (whole and in
two segments, out of order), HTTP requests on TCP/80, QUIC Initials on UDP/443.
Files named regress-* in that directory are inputs fuzz_ingest found (each fixed, with a Check
regression test named in the commit); this script leaves them alone.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
OUT = os.path.join(CORPUS, "ingest")

SEL = {"udp53": 0, "tcp443": 1, "tcp80": 2, "tcp53": 3, "udp5353": 4, "udp443": 5, "tcp853": 6}
SYN, ACK, PSH = 0x02, 0x10, 0x08


def rec(direction, flags, seq, payload):
    return struct.pack(">BBHH", direction, flags, seq, len(payload)) + payload


def seeds(name):
    d = os.path.join(CORPUS, name)
    if not os.path.isdir(d):
        return []
    return [(f, open(os.path.join(d, f), "rb").read()) for f in sorted(os.listdir(d))]


def main():
    os.makedirs(OUT, exist_ok=True)
    out = {}
    for f, b in seeds("reader"):
        out["file-" + f] = b"\xff" + b
    for f, b in seeds("dns"):
        query_id = b[:2] if len(b) >= 2 else b"\0\0"
        out["udp53-" + f] = bytes([SEL["udp53"]]) + rec(0, 0, 0, query_id + b"\1\0") + rec(1, 0, 0, b)
        out["mdns-" + f] = bytes([SEL["udp5353"]]) + rec(1, 0, 0, b)
        msg = struct.pack(">H", len(b)) + b
        out["tcp53-" + f] = bytes([SEL["tcp53"]]) + rec(0, SYN, 0, b"") + rec(1, SYN | ACK, 0, b"") + \
            rec(1, PSH | ACK, 1, msg[:7]) + rec(1, PSH | ACK, 1 + 7, msg[7:])
    for f, b in seeds("tls"):
        out["tls-" + f] = bytes([SEL["tcp443"]]) + rec(0, SYN, 0, b"") + rec(0, PSH | ACK, 1, b)
        half = len(b) // 2
        out["tls-split-" + f] = bytes([SEL["tcp443"]]) + rec(0, SYN, 0, b"") + \
            rec(0, PSH | ACK, 1 + half, b[half:]) + rec(0, PSH | ACK, 1, b[:half])
        out["dot-" + f] = bytes([SEL["tcp853"]]) + rec(0, SYN, 0, b"") + rec(0, PSH | ACK, 1, b)
    for f, b in seeds("http"):
        out["http-" + f] = bytes([SEL["tcp80"]]) + rec(0, SYN, 0, b"") + rec(0, PSH | ACK, 1, b)
    for f, b in seeds("quic"):
        # fuzz_quic's raw seeds: a mode byte, then datagrams as [len:2][bytes]
        if not f.startswith("raw-"):
            continue
        recs, i = b"", 1
        while i + 2 <= len(b):
            n = struct.unpack(">H", b[i:i + 2])[0]
            recs += rec(0, 0, 0, b[i + 2:i + 2 + n])
            i += 2 + n
        out["quic-" + f] = bytes([SEL["udp443"]]) + recs
    for name, data in sorted(out.items()):
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)
    print("%d seeds in %s" % (len(out), OUT))


if __name__ == "__main__":
    main()
