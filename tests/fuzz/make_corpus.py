#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into tests/fuzz/corpus/<name>/.

Seeds come from RFC 9001 appendix A.2 and RFC 9369 appendix A.2 (the example ClientHello for
"example.com" and the protected client Initials) and from hand-written HTTP requests; each is
rebuilt here, so the corpus can be regenerated: python3 tests/fuzz/make_corpus.py

Building and running the harnesses (the library needs coverage instrumentation too):
  CC=clang CFLAGS=-fsanitize=fuzzer-no-link cmake -S . -B build-fuzz -DPD_FUZZ=ON \
      -DPD_SANITIZE=ON -DPD_TESTS=OFF
  cmake --build build-fuzz --target fuzz_tls fuzz_quic fuzz_http
  mkdir -p /tmp/corpus-quic && build-fuzz/tests/fuzz/fuzz_quic -max_total_time=300 \
      -max_len=4096 /tmp/corpus-quic tests/fuzz/corpus/quic
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# RFC 9001 A.2: the CRYPTO frame (type, offset 0, length 241) and its ClientHello.
RFC_PAYLOAD = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff")
HELLO = RFC_PAYLOAD[4:]


def test_file(name):
    """The protected RFC packets are kept once, in tests/test_quic.c; read them from there."""
    src = open(os.path.join(HERE, "..", "test_quic.c")).read()
    start = src.index("static const char %s[] =" % name)
    body = src[start:src.index(";", start)]
    return bytes.fromhex("".join(part.split('"')[1] for part in body.split("\n")[1:]))


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for fname, data in seeds.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def records(hs, frag, version=b"\x03\x01"):
    out = b""
    for i in range(0, len(hs), frag):
        part = hs[i:i + frag]
        out += b"\x16" + version + struct.pack(">H", len(part)) + part
    return out


def crypto(off, data):
    return b"\x06" + struct.pack(">H", 0x4000 | off) + struct.pack(">H", 0x4000 | len(data)) + data


def dgrams(mode, items):
    return bytes([mode]) + b"".join(struct.pack(">H", len(x)) + x for x in items)


def main():
    write("tls", {
        "rfc9001-hello-one-record": records(HELLO, len(HELLO)),
        "rfc9001-hello-3-records": records(HELLO, 100),
        "rfc9001-hello-7-byte-records": records(HELLO, 7),
        "rfc9001-hello-bare": HELLO,
    })
    v1 = test_file("rfc9001_packet_hex")
    v2 = test_file("rfc9369_packet_hex")
    ack = b"\x03\x05\x00\x01\x01\x00\x01\x02\x03\x04"
    write("quic", {
        "raw-rfc9001-initial": dgrams(0, [v1]),
        "raw-rfc9369-initial": dgrams(0, [v2]),
        "raw-rfc9001-twice": dgrams(0, [v1, v1]),
        "plain-v1-whole": dgrams(1, [RFC_PAYLOAD + bytes(40)]),
        "plain-v2-whole": dgrams(3, [RFC_PAYLOAD + bytes(40)]),
        "plain-v1-three-out-of-order": dgrams(1, [
            b"\x01" + ack + crypto(180, HELLO[180:]) + bytes(20),
            crypto(80, HELLO[80:180]) + bytes(20),
            crypto(0, HELLO[:100]) + b"\x1c\x00\x00\x00" + bytes(20),
        ]),
    })
    write("http", {
        "get-host": b"GET / HTTP/1.1\r\nHost: www.example.com:8080\r\nAccept: */*\r\n\r\n",
        "connect": b"CONNECT example.net:443 HTTP/1.1\r\nHost: example.net:443\r\n\r\n",
        "absolute-v6": b"GET http://[2001:db8::1]:81/x HTTP/1.1\r\nhost:\t[::1]\r\n\r\n",
        "lf-folded": b"POST /a HTTP/1.0\nX: y\n  z\nHost: a.example\n\n",
    })


if __name__ == "__main__":
    main()
