#!/usr/bin/env python3
"""Development check: compares pd_dns_parse (through dns_dump) with tshark on real captures.

Usage: dns_compare.py DNS_DUMP_BINARY CAPTURE...
DNS messages are taken from tshark: udp.payload for UDP port 53/5353/5355 (tshark reassembles
IP fragments), and for TCP port 53 the segments of each direction concatenated in sequence
order and split at the 2-byte length prefixes (each message is attributed to the frame that
completed it, as tshark does). For every message it compares the question name, the A, AAAA
and CNAME answers and the answer TTLs with tshark's dns.* fields of the same frame. tshark's
lists also hold authority/additional records, so ours must be a prefix of tshark's (for TTLs
only when no answer record was dropped). Prints each difference and a summary line.
"""
import subprocess
import sys

PORTS = {53, 5353, 5355}


def tshark(path, fields, filt):
    cmd = ["tshark", "-n", "-r", path, "-Y", filt, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout  # rc 2: cut file
    return [line.split("\t") for line in out.splitlines()]


def messages(path):
    msgs = []
    for fr, sp, dp, pl in tshark(path, ["frame.number", "udp.srcport", "udp.dstport",
                                        "udp.payload"], "udp && !icmp && !icmpv6"):
        if pl and (int(sp.split(",")[0]) in PORTS or int(dp.split(",")[0]) in PORTS):
            msgs.append((int(fr), pl.split(",")[0]))
    streams = {}
    for fr, st, sp, dp, seq, pl in tshark(path, ["frame.number", "tcp.stream", "tcp.srcport",
                                                "tcp.dstport", "tcp.seq_raw", "tcp.payload"],
                                          "tcp.port == 53 && tcp.len > 0"):
        key = (st, sp, dp)
        s = streams.setdefault(key, {"next": None, "buf": b"", "seen": set()})
        seq = int(seq)
        if seq in s["seen"]:
            continue
        s["seen"].add(seq)
        s["buf"] += bytes.fromhex(pl)
        while len(s["buf"]) >= 2:
            n = int.from_bytes(s["buf"][:2], "big")
            if len(s["buf"]) < 2 + n:
                break
            msgs.append((int(fr), s["buf"][2:2 + n].hex()))
            s["buf"] = s["buf"][2 + n:]
    return msgs


def split(v):
    return [x for x in v.split(",") if x] if v else []


def main():
    dump, caps = sys.argv[1], sys.argv[2:]
    total = diffs = answers = 0
    for cap in caps:
        msgs = messages(cap)
        inp = "".join(f"{fr} {h}\n" for fr, h in msgs)
        ours = subprocess.run([dump], input=inp, capture_output=True, text=True,
                              check=True).stdout.splitlines()
        ref = {}
        for row in tshark(cap, ["frame.number", "dns.qry.name", "dns.a", "dns.aaaa",
                                "dns.cname", "dns.resp.ttl"], "dns || mdns || llmnr"):
            row += [""] * (6 - len(row))
            ref.setdefault(int(row[0]), []).append(row[1:])
        for line in ours:
            f = line.split("\t")
            fr = int(f[0])
            total += 1
            kept = int(f[8])
            answers += kept
            cands = ref.get(fr, [])
            ok = False
            why = "no tshark DNS row for this frame"
            for r in cands:
                qn = split(r[0])
                why = ""
                if f[1] != (qn[0].lower().rstrip(".") if qn else ""):
                    if not (qn and qn[0] == "<Root>" and f[1] == "."):
                        why += f" qname {f[1]!r} vs {qn[:1]}"
                for i, name in ((2, "A"), (3, "AAAA"), (4, "CNAME")):
                    mine, theirs = split(f[i]), split(r[i - 1])
                    if name == "CNAME":
                        theirs = [t.lower() for t in theirs]
                    if theirs[:len(mine)] != mine:
                        why += f" {name} {mine} vs {theirs}"
                if f[9] == "0" and split(r[4])[:len(split(f[5]))] != split(f[5]):
                    why += f" TTL {split(f[5])} vs {split(r[4])}"
                if not why:
                    ok = True
                    break
            if not ok:
                diffs += 1
                print(f"{cap} frame {fr}: {why.strip()} [ours: {f[6]} {f[7]} kept={f[8]} "
                      f"dropped={f[9]} {f[10]}]")
    print(f"SUMMARY messages={total} answers_kept={answers} differences={diffs}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
