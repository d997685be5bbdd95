#!/usr/bin/env bash
# test_evidence.sh - issue "Evidence": real clients make every kind of evidence the analyzer
# extracts (TLS SNI from curl and from openssl s_client with ALPN, a ClientHello split across
# TCP segments by a small MTU, HTTP Host, HTTP CONNECT through a small proxy, QUIC SNI from
# gtlsclient, DNS A/AAAA/CNAME chains/PTR/HTTPS records over UDP and TCP); the capture is
# ingested, and every SNI, ALPN, Host, CONNECT authority and DNS answer that tshark shows is
# compared, flow by flow, with flows.sni, flows.alpn, flows.http_host, flows.http_connect and
# dns_answers.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init evid 2
e2e_require_root
e2e_require_tools ip dnsmasq curl dig openssl python3 tcpdump tshark sqlite3
e2e_require_pd
have_quic=1
command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null || have_quic=0

N=$E2E_NET
A4=$N.10 A6=$E2E_NET6:10   # a.ev.test (TLS by curl, v4 and v6)
B4=$N.11                   # b.ev.test (openssl s_client, ALPN)
H4=$N.12                   # h.ev.test (HTTP)
F4=$N.13                   # final.ev.test at the end of a CNAME chain
T4=$N.14                   # tcp.ev.test, resolved over TCP
Q4=$N.15                   # q.ev.test (QUIC)
S4=$N.16                   # split.ev.test (ClientHello in two segments)
V4=$N.17                   # svc.ev.test (HTTPS record hint)
e2e_net_up
e2e_server_addr $A4 $A6 $B4 $H4 $F4 $T4 $Q4 $S4 $V4
hint=$(printf '%02x%02x%02x%02x' ${V4//./ })
dnsrr=()
if e2e_dnsmasq_has_dns_rr; then
	# HTTPS (type 65): priority 1, target ".", alpn "h2", ipv4hint V4 (RFC 9460 wire format)
	dnsrr=("--dns-rr=svc.ev.test,65,0001000001000302683200040004$hint")
else
	e2e_log "dnsmasq has no --dns-rr: HTTPS records not tested"
fi
e2e_dnsmasq \
	--host-record=a.ev.test,$A4,$A6 \
	--host-record=b.ev.test,$B4 \
	--host-record=h.ev.test,$H4 \
	--host-record=final.ev.test,$F4 \
	--cname=chain1.ev.test,chain2.ev.test \
	--cname=chain2.ev.test,final.ev.test \
	--host-record=tcp.ev.test,$T4 \
	--host-record=q.ev.test,$Q4 \
	--host-record=split.ev.test,$S4 \
	--ptr-record=12.2.8.10.in-addr.arpa,h.ev.test \
	--local=/ev.test/ \
	"${dnsrr[@]}"
e2e_cert a.ev.test b.ev.test split.ev.test q.ev.test final.ev.test chain1.ev.test
e2e_tls_server 443
e2e_http_server 80
[ $have_quic = 1 ] && e2e_quic_server $Q4 443

# a minimal HTTP CONNECT proxy (RFC 9110 9.3.6) on the resolver address, port 3128
cat >"$E2E_TMP/proxy.py" <<'EOF'
import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def handle(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            return c.close()
        buf += d
    host, port = buf.split(b"\r\n")[0].split()[1].rsplit(b":", 1)
    s = socket.create_connection((host.decode(), int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(s, c), daemon=True).start()
    pipe(c, s)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(8)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
e2e_bg "$E2E_S" proxy python3 "$E2E_TMP/proxy.py" "$E2E_S4" 3128
e2e_wait_port "$E2E_S" tcp 3128

CAP=$E2E_TMP/evidence.pcap
e2e_capture_start tcpdump "$CAP" any

run() { "$@" >/dev/null 2>&1 || e2e_fail_now "client failed: $*"; }
cc() { run e2e_c curl -sS --max-time 5 -o /dev/null "$@"; }
# TLS SNI by curl, IPv4 and IPv6 (A and AAAA lookups through the client's resolver)
cc -4 --cacert "$E2E_CERT" https://a.ev.test/
cc -6 --cacert "$E2E_CERT" https://a.ev.test/
# openssl s_client with an explicit SNI and two ALPN protocols
run e2e_c sh -c "echo Q | openssl s_client -connect $B4:443 -servername b.ev.test -alpn h2,http/1.1 -brief"
# HTTP Host (after an A lookup)
cc http://h.ev.test/
# CONNECT through the proxy, then TLS inside the tunnel
cc --cacert "$E2E_CERT" -x "http://$E2E_S4:3128" https://a.ev.test/
# DNS: a CNAME chain, AAAA, PTR, over TCP, an HTTPS record, a name that does not exist
run e2e_c dig +time=2 @$E2E_S4 chain1.ev.test A
run e2e_c dig +time=2 @$E2E_S4 chain1.ev.test AAAA
run e2e_c dig +time=2 @$E2E_S6 a.ev.test AAAA
run e2e_c dig +time=2 @$E2E_S4 -x $H4
run e2e_c dig +tcp +time=2 @$E2E_S4 tcp.ev.test A
run e2e_c dig +tcp +time=2 @$E2E_S4 chain1.ev.test A
[ ${#dnsrr[@]} = 0 ] || run e2e_c dig +time=2 @$E2E_S4 svc.ev.test HTTPS
e2e_c dig +time=2 @$E2E_S4 nothing.ev.test A >/dev/null 2>&1
# QUIC SNI (gtlsclient takes the SNI from the host name it is given)
if [ $have_quic = 1 ]; then
	e2e_c timeout 10 gtlsclient --quiet --exit-on-all-streams-close q.ev.test 443 \
		https://q.ev.test/ >"$E2E_TMP/gtlsclient.log" 2>&1 || e2e_log "gtlsclient exited $?"
fi
# a ClientHello bigger than one segment: MTU 600 (MSS 560), no segmentation offload, and
# twelve 60-byte ALPN protocols (openssl 3.0 has no post-quantum key share to make it big)
e2e_mtu 600
ip -n "$E2E_C" link set dev "$E2E_CIF" gso_max_segs 1 2>/dev/null
alpn=$(for i in $(seq -w 12); do printf 'proto-%s-%s,' "$i" "$(printf 'x%.0s' $(seq 51))"; done)
alpn=${alpn%,}
run e2e_c sh -c "echo Q | openssl s_client -connect $S4:443 -servername split.ev.test -alpn $alpn -brief"

e2e_capture_stop

# the capture must really hold a split ClientHello, or this test tests nothing
split=$(tshark -n -r "$CAP" -Y 'tls.handshake.type==1 && tcp.segments' -T fields \
	-e tls.handshake.extensions_server_name 2>/dev/null)
[ "$split" = split.ev.test ] || e2e_fail_now "the capture holds no split ClientHello (got '$split')"

DB=$E2E_TMP/evidence.db
e2e_ingest "$DB" "$CAP" || e2e_done

# Every piece of evidence tshark shows, one line each: kind proto cip cport sip sport value
tshark -n -r "$CAP" -Y '(tls.handshake.type==1 || http.request) && !icmp && !icmpv6' -T fields \
	-E occurrence=f -E separator=/t -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport \
	-e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport -e tls.handshake.extensions_server_name \
	-e http.request.method -e http.request.uri -e http.host -e tcp.stream -e udp.stream \
	>"$E2E_TMP/flows.tsv" 2>/dev/null
tshark -n -r "$CAP" -Y 'tls.handshake.type==1' -T fields -E occurrence=a -E aggregator=, \
	-e tcp.stream -e udp.stream -e tls.handshake.extensions_alpn_str >"$E2E_TMP/alpn.tsv" 2>/dev/null
tshark -n -r "$CAP" -Y 'dns.flags.response==1 && !icmp && !icmpv6' -T fields -E occurrence=a \
	-E aggregator='|' -e ip.dst -e ipv6.dst -e ip.src -e ipv6.src -e udp.srcport -e tcp.srcport \
	-e dns.qry.name -e dns.count.answers -e dns.resp.name -e dns.resp.type -e dns.a -e dns.aaaa \
	-e dns.cname -e dns.ptr.domain_name -e dns.svcb.svcparam.ipv4hint.ip -e dns.flags.rcode \
	>"$E2E_TMP/dns.tsv" 2>/dev/null

python3 - "$DB" "$E2E_TMP" "$have_quic" "${#dnsrr[@]}" <<'EOF'
import sqlite3, sys
db, tmp, have_quic, have_rr = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] != "0"
con = sqlite3.connect(db)
fails = checks = 0
def check(what, ok, detail=""):
    global fails, checks
    checks += 1
    if not ok:
        fails += 1
        print("evid: FAIL: %s%s" % (what, (": " + detail) if detail else ""), file=sys.stderr)

def flow(proto, cip, cport, sip, sport):
    # a flow through a proxy is stored under its destination, the proxy (the wire's server
    # address and port) as via_ip/via_port
    return con.execute("SELECT sni, alpn, http_host, http_connect, app_proto FROM flows WHERE "
                       "proto=? AND client_ip=? AND client_port=? AND ((server_ip=? AND "
                       "server_port=? AND via_ip IS NULL) OR (via_ip=?4 AND via_port=?5))",
                       (proto, cip, int(cport), sip, int(sport))).fetchall()

alpn = {}
for line in open(tmp + "/alpn.tsv"):
    f = line.rstrip("\n").split("\t")
    alpn[f[0] or ("u" + f[1])] = f[2]
kinds = {"sni": 0, "quic-sni": 0, "host": 0, "connect": 0}
for line in open(tmp + "/flows.tsv"):
    f = line.rstrip("\n").split("\t")
    cip, cport_t, cport_u, sip, sport_t, sport_u = f[0] + f[1], f[2], f[3], f[4] + f[5], f[6], f[7]
    sni, method, uri, host, tstream, ustream = f[8], f[9], f[10], f[11], f[12], f[13]
    proto = "tcp" if cport_t else "udp"
    cport, sport = (cport_t, sport_t) if proto == "tcp" else (cport_u, sport_u)
    key = "%s %s:%s -> %s:%s" % (proto, cip, cport, sip, sport)
    rows = flow(proto, cip, cport, sip, sport)
    if len(rows) != 1:
        check("%s: exactly one flow" % key, False, "found %d" % len(rows))
        continue
    r_sni, r_alpn, r_host, r_connect, r_app = rows[0]
    if sni:
        kinds["sni" if proto == "tcp" else "quic-sni"] += 1
        check("%s: flows.sni" % key, r_sni == sni, "tshark %r, database %r" % (sni, r_sni))
        want = alpn.get(tstream or ("u" + ustream), "")
        if want and len(want) <= 255:
            check("%s: flows.alpn" % key, r_alpn == want, "tshark %r, database %r" % (want, r_alpn))
        elif want:
            # the split ClientHello's 12 x 60-byte ALPN list (about 730 characters) is longer
            # than a parser need keep (analyze/tls.h caps it): the kept part must be its start
            check("%s: flows.alpn (long list: a prefix of at least 200 characters)" % key,
                  r_alpn is not None and len(r_alpn) >= 200 and want.startswith(r_alpn),
                  "tshark %r..., database %r" % (want[:80], r_alpn))
        if proto == "udp":
            check("%s: app_proto quic" % key, r_app == "quic", "database %r" % r_app)
    if method == "CONNECT":
        kinds["connect"] += 1
        # the request-target is host:port (RFC 9110 9.3.6); analyze/http.h keeps the host
        # only (the flows table has no column for the port), so accept either
        check("%s: flows.http_connect" % key, r_connect in (uri, uri.rsplit(":", 1)[0]),
              "tshark %r, database %r" % (uri, r_connect))
    elif method:
        kinds["host"] += 1
        check("%s: flows.http_host" % key, r_host == host, "tshark %r, database %r" % (host, r_host))
        check("%s: app_proto http" % key, r_app == "http", "database %r" % r_app)
check("tshark saw TLS SNI in 6 TCP flows (curl x2, s_client x2, CONNECT tunnel... )",
      kinds["sni"] >= 5, str(kinds))
check("tshark saw HTTP Host and CONNECT", kinds["host"] >= 1 and kinds["connect"] == 1, str(kinds))
if have_quic:
    check("tshark saw a QUIC SNI", kinds["quic-sni"] >= 1, str(kinds))

TYPES = {"1": "A", "28": "AAAA", "5": "CNAME", "12": "PTR", "65": "HTTPS"}
RCODES = {"0": "NOERROR", "3": "NXDOMAIN"}
seen = {"A": 0, "AAAA": 0, "CNAME": 0, "PTR": 0, "HTTPS": 0, "tcp": 0, "nx": 0}
for line in open(tmp + "/dns.tsv"):
    f = line.rstrip("\n").split("\t")
    cip, rip, uport, tport, qname, nans = f[0] + f[1], f[2] + f[3], f[4], f[5], f[6], int(f[7] or 0)
    names, types = f[8].split("|") if f[8] else [], f[9].split("|") if f[9] else []
    vals = {t: (f[i].split("|") if f[i] else []) for t, i in
            (("1", 10), ("28", 11), ("5", 12), ("12", 13), ("65", 14))}
    rcode = RCODES.get(f[15], f[15])
    transport = "tcp" if tport else "udp"
    if transport == "tcp":
        seen["tcp"] += 1
    where = "capture_id=1 AND client_ip=? AND resolver_ip=? AND transport=? AND qname=?"
    base = (cip, rip, transport, qname)
    key = "%s answer to %s for %s" % (transport, cip, qname)
    n = con.execute("SELECT count(*) FROM dns_answers WHERE " + where + " AND rcode=?",
                    base + (rcode,)).fetchone()[0]
    check("%s: rows with rcode %s" % (key, rcode), n >= 1, "none in dns_answers")
    if rcode == "NXDOMAIN":
        seen["nx"] += 1
    for i in range(min(nans, len(types))):
        t = TYPES.get(types[i])
        if t is None:
            continue
        if t == "HTTPS":
            hints = vals["65"]
            vals["65"] = []
            seen[t] += 1
            for h in hints:
                n = con.execute("SELECT count(*) FROM dns_answers WHERE " + where +
                                " AND rr_type IN ('HINT','HTTPS') AND answer=?", base + (h,)).fetchone()[0]
                check("%s: HTTPS ipv4hint %s" % (key, h), n >= 1, "not in dns_answers")
            continue
        v = vals[types[i]].pop(0) if vals[types[i]] else None
        seen[t] += 1
        got = con.execute("SELECT rr_name, answer FROM dns_answers WHERE " + where + " AND rr_type=?",
                          base + (t,)).fetchall()
        check("%s: %s %s %s" % (key, names[i], t, v), (names[i], v) in got,
              "dns_answers has %r" % got)
for t in ("A", "AAAA", "CNAME", "PTR", "tcp", "nx") + (("HTTPS",) if have_rr else ()):
    check("tshark saw DNS %s" % t, seen[t] >= 1, str(seen))
# the CNAME chain: the address row for chain1.ev.test carries the whole chain
chains = [r[0] for r in con.execute("SELECT chain FROM dns_answers WHERE qname='chain1.ev.test' AND rr_type='A'")]
check("CNAME chain kept on the address row", "chain1.ev.test>chain2.ev.test>final.ev.test" in chains,
      "chains %r" % chains)
print("evid: %d of %d evidence checks failed" % (fails, checks) if fails else
      "evid: %d evidence checks passed" % checks, file=sys.stderr)
sys.exit(1 if fails else 0)
EOF
e2e_check "every SNI, ALPN, Host, CONNECT and DNS answer tshark shows is in the database" 0 $?
e2e_done
