#!/usr/bin/env bash
# test_proxy.sh - issue 15: a proxy is a hop, not the destination. Real proxies started here:
# Dante (danted) for SOCKS5 and SOCKS4, a small SOCKS4a server written below (python3), and
# tinyproxy for HTTP (CONNECT and absolute-form requests). curl goes through each of them to
# TLS and HTTP servers by name; openssl s_client sends a CONNECT whose target disagrees with
# its SNI. The capture is ingested and every flow must be reported under its real destination
# (name and port from the request, names from inside the tunnel) with the proxy as via (its
# address, port and DNS name); `check` with a policy that allows the proxies as hops but leaves
# out one real destination behind them must exit 1 and name it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init proxy 15
e2e_require_root
e2e_require_tools ip dnsmasq curl openssl python3 tcpdump sqlite3 danted tinyproxy
e2e_require_pd

N=$E2E_NET
SOCKS=$N.5 # socks.px.test: danted SOCKS5/SOCKS4 on 1080, the SOCKS4a server on 1081
HTTPP=$N.6 # proxy.px.test: tinyproxy on 8888
A=$N.10    # a.px.test (TLS)
B=$N.11    # b.px.test (TLS)
C=$N.12    # c.px.test (TLS, left out of the policy)
H=$N.13    # h.px.test (HTTP)
D=$N.14    # d.px.test (TLS through SOCKS4a)
G=$N.15    # g.px.test (HTTP through SOCKS4 by address)
e2e_net_up
e2e_server_addr $SOCKS $HTTPP $A $B $C $H $D $G
e2e_dnsmasq \
	--host-record=socks.px.test,$SOCKS \
	--host-record=proxy.px.test,$HTTPP \
	--host-record=a.px.test,$A \
	--host-record=b.px.test,$B \
	--host-record=c.px.test,$C \
	--host-record=h.px.test,$H \
	--host-record=d.px.test,$D \
	--host-record=g.px.test,$G \
	--host-record=evil.px.test,$B \
	--local=/px.test/
e2e_cert a.px.test b.px.test c.px.test d.px.test evil.px.test
e2e_tls_server 443
e2e_http_server 80

# Dante: SOCKS v4 and v5, no authentication, names resolved through the namespace's resolver
cat >"$E2E_TMP/danted.conf" <<EOF
logoutput: $E2E_TMP/danted.out
internal: $SOCKS port = 1080
external: $SOCKS
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: root
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 protocol: tcp }
EOF
e2e_bg "$E2E_S" danted danted -f "$E2E_TMP/danted.conf" -N 1 -p "$E2E_TMP/danted.pid"
e2e_wait_port "$E2E_S" tcp 1080

# A SOCKS4a server (SOCKS4 + the 4A extension: DSTIP 0.0.0.x, then the host name)
cat >"$E2E_TMP/socks4a.py" <<'EOF'
import socket, struct, sys, threading
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
def cstr(c, buf):
    while b"\0" not in buf:
        d = c.recv(512)
        if not d:
            raise OSError("closed")
        buf += d
    s, rest = buf.split(b"\0", 1)
    return s, rest
def handle(c):
    try:
        buf = b""
        while len(buf) < 8:
            buf += c.recv(512)
        vn, cd, port = buf[0], buf[1], struct.unpack("!H", buf[2:4])[0]
        ip = socket.inet_ntoa(buf[4:8])
        _user, rest = cstr(c, buf[8:])
        if buf[4:7] == b"\0\0\0" and buf[7]:
            host, rest = cstr(c, rest)
            ip = host.decode()
        s = socket.create_connection((ip, port))
        c.sendall(bytes([0, 90]) + buf[2:8])
        if rest:
            s.sendall(rest)
    except OSError:
        c.close()
        return
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
py=$(command -v python3)
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
e2e_bg "$E2E_S" socks4a "$py" "$E2E_TMP/socks4a.py" "$SOCKS" 1081
e2e_wait_port "$E2E_S" tcp 1081

# tinyproxy: HTTP proxy with CONNECT to 443
cat >"$E2E_TMP/tinyproxy.conf" <<EOF
User root
Group root
Port 8888
Listen $HTTPP
Timeout 30
LogLevel Info
LogFile "$E2E_TMP/tinyproxy.out"
MaxClients 20
Allow $N.0/24
ConnectPort 443
DisableViaHeader Yes
EOF
e2e_bg "$E2E_S" tinyproxy tinyproxy -d -c "$E2E_TMP/tinyproxy.conf"
e2e_wait_port "$E2E_S" tcp 8888

# an HTTP/1.1 server that keeps connections open (python's http.server speaks HTTP/1.0)
cat >"$E2E_TMP/keepalive.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
EOF
e2e_bg "$E2E_S" keepalive "$py" "$E2E_TMP/keepalive.py" "$H" 8080
e2e_wait_port "$E2E_S" tcp 8080

CAP=$E2E_TMP/proxy.pcap
e2e_capture_start tcpdump "$CAP" any

run() { "$@" >"$E2E_TMP/client.out" 2>&1 || { cat "$E2E_TMP/client.out" >&2; e2e_fail_now "client failed: $*"; }; }
cc() { run e2e_c curl -sS --max-time 10 -o /dev/null --cacert "$E2E_CERT" "$@"; }
# SOCKS5 with the name resolved by the proxy (curl --socks5-hostname): a.px.test inside TLS
cc --socks5-hostname socks.px.test:1080 https://a.px.test/
# SOCKS5 with the address resolved by the client: the Host inside names it
cc --socks5 socks.px.test:1080 http://h.px.test/
# SOCKS4 (address only) through Dante: the Host inside names it
cc --socks4 socks.px.test:1080 http://g.px.test/
# SOCKS4a through the small server: the name in the request
cc --socks4a socks.px.test:1081 https://d.px.test/
# HTTP proxy: CONNECT to b.px.test and c.px.test, an absolute-form request for h.px.test
cc -x http://proxy.px.test:8888 https://b.px.test/
cc -x http://proxy.px.test:8888 https://c.px.test/
cc -x http://proxy.px.test:8888 http://h.px.test/
# CONNECT a.px.test:443 whose ClientHello names evil.px.test
run e2e_c sh -c "echo Q | openssl s_client -proxy $HTTPP:8888 -connect a.px.test:443 -servername evil.px.test -brief"
# keep-alive: two requests on one connection to h.px.test, the second with Host evil.px.test
run e2e_c curl -sS --max-time 10 -o /dev/null http://h.px.test:8080/ --next -o /dev/null \
	-H "Host: evil.px.test" http://h.px.test:8080/
e2e_capture_stop

DB=$E2E_TMP/proxy.db
e2e_ingest "$DB" "$CAP" || e2e_done
q() { e2e_sql "$DB" "$1"; }
row() {
	q "SELECT name||' '||server_port||' '||evidence||' '||proxy||' '||via_ip||':'||via_port FROM flows
	   WHERE proxy IS NOT NULL AND $1 ORDER BY id"
}
e2e_check "SOCKS5 by name: a.px.test:443 via Dante" "a.px.test 443 sni socks5 $SOCKS:1080" \
	"$(row "proxy='socks5' AND proxy_target='a.px.test'")"
e2e_check "SOCKS5 by address: h.px.test:80 from the Host inside, address of the request" \
	"h.px.test 80 http-host socks5 $SOCKS:1080|$H" \
	"$(q "SELECT name||' '||server_port||' '||evidence||' '||proxy||' '||via_ip||':'||via_port, server_ip
	      FROM flows WHERE proxy='socks5' AND proxy_target='$H'")"
e2e_check "SOCKS4 by address: g.px.test:80 from the Host inside" \
	"g.px.test 80 http-host socks4 $SOCKS:1080|$G" \
	"$(q "SELECT name||' '||server_port||' '||evidence||' '||proxy||' '||via_ip||':'||via_port, server_ip
	      FROM flows WHERE proxy='socks4'")"
e2e_check "SOCKS4a: d.px.test:443" "d.px.test 443 sni socks4a $SOCKS:1081" "$(row "proxy='socks4a'")"
e2e_check "CONNECT through tinyproxy: b.px.test:443" "b.px.test 443 sni http-connect $HTTPP:8888" \
	"$(row "proxy_target='b.px.test'")"
e2e_check "CONNECT through tinyproxy: c.px.test:443" "c.px.test 443 sni http-connect $HTTPP:8888" \
	"$(row "proxy_target='c.px.test'")"
e2e_check "absolute-form request through tinyproxy: h.px.test:80" \
	"h.px.test 80 http-host http $HTTPP:8888" "$(row "proxy='http'")"
e2e_check "CONNECT a.px.test with SNI evil.px.test: named by the target, both as candidates" \
	"a.px.test 443 http-host http-connect $HTTPP:8888|a.px.test|evil.px.test|evil.px.test" \
	"$(q "SELECT name||' '||server_port||' '||evidence||' '||proxy||' '||via_ip||':'||via_port,
	      candidates, sni FROM flows WHERE proxy='http-connect' AND proxy_target='a.px.test'")"
e2e_check "the mismatch is a finding naming both" 1 \
	"$(q "SELECT count(*) FROM findings WHERE kind='proxy-mismatch' AND subject='a.px.test'
	      AND detail LIKE '%evil.px.test%'")"
e2e_check "no flow is named none" 0 \
	"$(q "SELECT count(*) FROM flows WHERE proto='tcp' AND server_port IN (80, 443) AND evidence='none'")"
e2e_check "no destination is reported at a proxy's port" 0 \
	"$(q "SELECT count(*) FROM flows WHERE server_port IN (1080, 1081, 8888)")"

e2e_check "keep-alive: one direct connection to h.px.test carries both Hosts" \
	"h.px.test|evil.px.test|h.px.test|evil.px.test" \
	"$(q "SELECT name, http_hosts, candidates FROM flows WHERE proxy IS NULL AND server_ip='$H'
	      AND server_port=8080")"

# Reports: every format shows via with the proxy's name
"$PD" report --db "$DB" -o "$E2E_TMP/r.csv" -o "$E2E_TMP/r.json" -o "$E2E_TMP/r.md" \
	-o "$E2E_TMP/r.html" -o "$E2E_TMP/r.txt" >/dev/null 2>&1
e2e_check "CSV: via and via_name columns at the end" \
	"a.px.test,$SOCKS:1080,socks.px.test" \
	"$(awk -F, 'NR > 1 && $1 == "a.px.test" && $(NF-1) ~ /1080$/ { print $1 "," $(NF-1) "," $NF }' "$E2E_TMP/r.csv" | tr -d '\r' | head -1)"
e2e_check "CSV header ends in via,via_name" "via,via_name" \
	"$(head -1 "$E2E_TMP/r.csv" | tr -d '\r' | awk -F, '{ print $(NF-1) "," $NF }')"
e2e_check "JSON: via object with the proxy's name" "proxy.px.test 8888" \
	"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["destinations"]:
    for c in x["connections"]:
        if c["domain"] == "c.px.test" and c["via"]:
            print(c["via"]["name"], c["via"]["port"])
' "$E2E_TMP/r.json")"
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
' "$E2E_TMP/r.json" "$PD_SRC/doc/report-schema.json"
	e2e_check "JSON report valid against doc/report-schema.json" 0 $?
fi
for f in md html txt; do
	e2e_check "$f report names the proxy as via" 1 \
		"$(grep -c "via.*proxy.px.test $HTTPP:8888" "$E2E_TMP/r.$f" | awk '{ print ($1 > 0) }')"
done

# check: the proxies allowed as hops, every destination but c.px.test allowed
cat >"$E2E_TMP/policy" <<EOF
# destinations as if there were no proxy
a.px.test:443
b.px.test:443
d.px.test:443
h.px.test:80
g.px.test:80
$H:8080
# the proxies, as hops
via socks.px.test:1080
via $SOCKS:1081
via proxy.px.test:8888
# the DNS resolver
$N.1:53
EOF
"$PD" check --db "$DB" --allow "$E2E_TMP/policy" >"$E2E_TMP/check.out" 2>&1
e2e_check "check with c.px.test left out exits 1" 1 $?
e2e_check "check names c.px.test (via the proxy)" 1 \
	"$(grep -c "c\.px\.test .*:443/tcp.*via proxy.px.test $HTTPP:8888" "$E2E_TMP/check.out")"
e2e_check "check names only c.px.test" "1 violation among" \
	"$(grep -o '^[0-9]* violations\? among' "$E2E_TMP/check.out")"
echo "c.px.test:443" >>"$E2E_TMP/policy"
"$PD" check --db "$DB" --allow "$E2E_TMP/policy" >"$E2E_TMP/check2.out" 2>&1
e2e_check "check with every destination and proxy allowed exits 0" 0 $?
# a policy that allows only the proxies passes nothing behind them
printf 'via socks.px.test:1080\nvia %s:1081\nvia proxy.px.test:8888\n%s:53\n' "$SOCKS" "$N.1" \
	>"$E2E_TMP/only-proxies"
"$PD" check --db "$DB" --allow "$E2E_TMP/only-proxies" >"$E2E_TMP/check3.out" 2>&1
e2e_check "a policy of proxies only exits 1" 1 $?
# every destination allowed, one proxy not
grep -v 'via proxy.px.test' "$E2E_TMP/policy" >"$E2E_TMP/no-http-proxy"
"$PD" check --db "$DB" --allow "$E2E_TMP/no-http-proxy" >"$E2E_TMP/check4.out" 2>&1
e2e_check "a proxy not allowed as a hop is a violation" 1 $?
e2e_check "... and says so" 1 \
	"$(grep -c 'b\.px\.test.*proxy not allowed as a hop' "$E2E_TMP/check4.out")"
e2e_done
