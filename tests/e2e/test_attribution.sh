#!/usr/bin/env bash
# test_attribution.sh - issue "Attribution" (SPEC 2.3): real traffic built so that each flow has
# one known right answer, then `pcapdomains ingest` and `pcapdomains report` are asked for it.
#
#   server          how the client reached it                    expected
#   10.8.3.10       curl https://www.shop.test (A, then SNI)     name www.shop.test, evidence sni, high
#   10.8.3.20       dig www.cdnsite.test (CNAME d111.cloudfront.net), TLS without SNI
#                                                                name www.cdnsite.test, evidence dns,
#                                                                cname_chain kept, CSV names the CDN
#   10.8.3.30       alpha.test and beta.test both answer this address (a shared address):
#                   curl http://alpha.test                       name alpha.test, evidence http-host
#                   TLS to the IP literal, no SNI                ambiguous, candidates alpha|beta,
#                                                                the most recent (beta.test) wins
#   10.8.3.40       TLS to the IP literal, no DNS at all         none in the capture; report
#                                                                --resolver: ptr-lookup rev.ptrzone.test
#   10.8.3.45       dig -x (PTR in the capture), then TLS        evidence ptr-capture ptr45.ptrzone.test
#   10.8.3.60       TLS to the IP literal, nothing else          evidence none; GeoIP country in CSV
#   fd00:8::3:70    dig AAAA v6.shop.test (over IPv6), TLS without SNI      name v6.shop.test, evidence dns
#   10.8.3.80       dig +tcp tcpdns.test, TLS without SNI        name tcpdns.test, evidence dns (tcp answer)
#   10.8.3.90       TLS to the IP literal, then dig late.test    the later answer is not used: none
#   10.8.3.95       dig other.test from another client address   evidence dns-other-client
#                   (10.8.3.101), TLS from 10.8.3.100
#   10.8.3.96       dig old.test (TTL 1 s), 3 s later TLS        with --dns-grace 1: dns-expired
#   10.8.3.15       gtlsclient quic.shop.test (QUIC)             name quic.shop.test, evidence quic-sni
# dnsmasq answers with TTL 300 (--local-ttl) except old.test (1 s).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init attr 3
e2e_require_root
e2e_require_tools ip dnsmasq curl dig openssl python3 tcpdump tshark sqlite3
e2e_require_pd

N=$E2E_NET
SHOP=$N.10 CDN=$N.20 SHARED=$N.30 PTRL=$N.40 PTRC=$N.45 NONE=$N.60 V6=$E2E_NET6:70 TCPD=$N.80 LATE=$N.90
OTHER=$N.95 OLD=$N.96 QUIC=$N.15 C2=$N.101
have_quic=1
command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null || have_quic=0
e2e_net_up
e2e_server_addr $SHOP $CDN $SHARED $PTRL $PTRC $NONE $V6 $TCPD $LATE $OTHER $OLD $QUIC
ip -n "$E2E_C" addr add "$C2/24" dev "$E2E_CIF"
e2e_dnsmasq \
	--host-record=www.shop.test,$SHOP \
	--host-record=d111.cloudfront.net,$CDN \
	--cname=www.cdnsite.test,d111.cloudfront.net \
	--host-record=alpha.test,$SHARED \
	--host-record=beta.test,$SHARED \
	--ptr-record=40.3.8.10.in-addr.arpa,rev.ptrzone.test \
	--ptr-record=45.3.8.10.in-addr.arpa,ptr45.ptrzone.test \
	--host-record=v6.shop.test,$V6 \
	--host-record=tcpdns.test,$TCPD \
	--host-record=late.test,$LATE \
	--host-record=other.test,$OTHER \
	--host-record=old.test,$OLD,1 \
	--host-record=quic.shop.test,$QUIC \
	--local-ttl=300 \
	--local=/test/
e2e_cert www.shop.test alpha.test quic.shop.test
e2e_tls_server 443
e2e_http_server 80
[ $have_quic = 1 ] && e2e_quic_server $QUIC 443

CAP=$E2E_TMP/attribution.pcap
e2e_capture_start tcpdump "$CAP" any

run() { "$@" >/dev/null 2>&1 || e2e_fail_now "client failed: $*"; }
# tls_nosni ADDR: a TLS connection by address without SNI (openssl s_client -noservername)
tls_nosni() { run e2e_c sh -c "echo Q | openssl s_client -connect '$1' -noservername -brief"; }
dig_c() { run e2e_c dig +time=2 @$E2E_S4 "$@"; }

run e2e_c curl -sS --max-time 5 -o /dev/null --cacert "$E2E_CERT" https://www.shop.test/
dig_c www.cdnsite.test A
tls_nosni $CDN:443
run e2e_c curl -sS --max-time 5 -o /dev/null http://alpha.test/
dig_c beta.test A
sleep 0.05
tls_nosni $SHARED:443
tls_nosni $PTRL:443
dig_c -x $PTRC
tls_nosni $PTRC:443
tls_nosni $NONE:443
# asked over IPv6, so the answer went to the same client address that then connects
run e2e_c dig +time=2 @$E2E_S6 v6.shop.test AAAA
tls_nosni "[$V6]:443"
dig_c +tcp tcpdns.test A
tls_nosni $TCPD:443
tls_nosni $LATE:443
sleep 0.05
dig_c late.test A
dig_c -b $C2 other.test A
tls_nosni $OTHER:443
if [ $have_quic = 1 ]; then
	e2e_c timeout 10 gtlsclient --quiet --exit-on-all-streams-close quic.shop.test 443 \
		https://quic.shop.test/ >"$E2E_TMP/gtlsclient.log" 2>&1 || e2e_log "gtlsclient exited $?"
fi
dig_c old.test A
sleep 3
tls_nosni $OLD:443
e2e_capture_stop

DB=$E2E_TMP/attribution.db
# the client namespace also holds $C2, another client: --local names the audited one
e2e_ingest "$DB" --local "$E2E_C4" --local "$E2E_C6" "$CAP" || e2e_done

# flow SERVER_IP [PORT]: "name<TAB>evidence<TAB>confidence<TAB>ambiguous<TAB>candidates<TAB>
# cname_chain" of the client's TCP connection to it (exactly one expected)
flow() {
	local n
	n=$(e2e_sql "$DB" "SELECT count(*) FROM flows WHERE proto='tcp' AND server_ip='$1' AND server_port=${2:-443}")
	[ "$n" = 1 ] || { echo "($n flows to $1:${2:-443})"; return; }
	sqlite3 -batch -noheader -separator $'\t' "$DB" "SELECT ifnull(name,'NULL'), evidence, confidence, ambiguous, ifnull(candidates,''), ifnull(cname_chain,'') FROM flows WHERE proto='tcp' AND server_ip='$1' AND server_port=${2:-443}"
}
# field ROW LIST: those tab-separated fields of a flow() row, joined by '|'
field() { printf '%s\n' "$1" | cut -f"$2" | tr '\t' '|'; }

f=$(flow $SHOP)
e2e_check "HTTPS by name: name, evidence sni, confidence high" "www.shop.test|sni|high" "$(field "$f" 1-3)"

f=$(flow $CDN)
e2e_check "CNAME to a CDN name: the asked name, evidence dns" "www.cdnsite.test|dns" "$(field "$f" 1-2)"
e2e_check "CNAME to a CDN name: cname_chain kept" "www.cdnsite.test>d111.cloudfront.net" "$(field "$f" 6)"

f=$(flow $SHARED 80)
e2e_check "HTTP Host on a shared address: evidence http-host" "alpha.test|http-host" "$(field "$f" 1-2)"

f=$(flow $SHARED)
e2e_check "IP literal to a shared address: most recent DNS name, evidence dns, ambiguous" \
	"beta.test|dns|1" "$(field "$f" 1-2)|$(field "$f" 4)"
e2e_check "IP literal to a shared address: both candidates" "alpha.test|beta.test" \
	"$(field "$f" 5 | tr '|' '\n' | sort | paste -sd'|')"

f=$(flow $PTRL)
e2e_check "no DNS, no SNI: nothing in the capture" "NULL|none" "$(field "$f" 1-2)"

f=$(flow $PTRC)
e2e_check "PTR answer in the capture: evidence ptr-capture" "ptr45.ptrzone.test|ptr-capture" "$(field "$f" 1-2)"

f=$(flow $NONE)
e2e_check "nothing at all: evidence none, confidence low" "NULL|none|low" "$(field "$f" 1-3)"

f=$(flow "$V6")
e2e_check "IPv6 via AAAA: name, evidence dns" "v6.shop.test|dns" "$(field "$f" 1-2)"

f=$(flow $TCPD)
e2e_check "DNS answer over TCP: name, evidence dns" "tcpdns.test|dns" "$(field "$f" 1-2)"
e2e_check "DNS answer over TCP: dns_answer_id is the TCP answer" "tcp|tcpdns.test" \
	"$(e2e_sql "$DB" "SELECT a.transport, a.qname FROM flows f JOIN dns_answers a ON a.id=f.dns_answer_id WHERE f.proto='tcp' AND f.server_ip='$TCPD'")"

f=$(flow $LATE)
e2e_check "an answer after the connection is not used" "NULL|none" "$(field "$f" 1-2)"

f=$(flow $OTHER)
e2e_check "answer to another client: evidence dns-other-client" "other.test|dns-other-client" "$(field "$f" 1-2)"

if [ $have_quic = 1 ]; then
	f=$(sqlite3 -batch -noheader -separator '|' "$DB" "SELECT ifnull(name,'NULL'), evidence FROM flows WHERE proto='udp' AND server_ip='$QUIC' AND server_port=443")
	e2e_check "QUIC by name: evidence quic-sni" "quic.shop.test|quic-sni" "$f"
fi

f=$(flow $OLD)
e2e_check "an answer 3 s old with TTL 1, default grace: still dns" "old.test|dns" "$(field "$f" 1-2)"
DBG=$E2E_TMP/attribution-grace1.db
if "$PD" ingest --db "$DBG" --local "$E2E_C4" --dns-grace 1 "$CAP" >"$E2E_TMP/ingest-grace.log" 2>&1; then
	e2e_check "the same answer with --dns-grace 1: dns-expired" "old.test|dns-expired" \
		"$(e2e_sql "$DBG" "SELECT ifnull(name,'NULL'), evidence FROM flows WHERE proto='tcp' AND server_ip='$OLD'")"
	e2e_check "--dns-grace 1 does not touch answers within their TTL (300 s)" "tcpdns.test|dns" \
		"$(e2e_sql "$DBG" "SELECT ifnull(name,'NULL'), evidence FROM flows WHERE proto='tcp' AND server_ip='$TCPD'")"
else
	cat "$E2E_TMP/ingest-grace.log" >&2
	e2e_fail "pcapdomains ingest --dns-grace 1 exited non-zero"
fi

# names table: the shared address carried two registrable domains
e2e_check "names: both DNS names for the shared address" "alpha.test|beta.test" \
	"$(e2e_sql "$DB" "SELECT DISTINCT name FROM names WHERE ip='$SHARED' AND source='dns' ORDER BY name" | paste -sd'|')"

# --- reports ---------------------------------------------------------------------------------
# csv_row CSV SERVER_IP PORT COLUMN...: the columns of the row for that endpoint, '|'-joined
csv_row() {
	python3 - "$@" <<'EOF'
import csv, sys
path, ip, port, cols = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
try:
    rows = [r for r in csv.DictReader(open(path, newline="", encoding="utf-8"))
            if r.get("server_ip") == ip and r.get("port") == port and r.get("proto", "").lower() == "tcp"]
except FileNotFoundError:
    rows = []
if len(rows) != 1:
    print("(%d rows for %s:%s)" % (len(rows), ip, port))
else:
    print("|".join(rows[0].get(c, "(no column %s)" % c) for c in cols))
EOF
}

CSV=$E2E_TMP/report.csv
if "$PD" report --db "$DB" --no-resolve -o "$CSV" >"$E2E_TMP/report.log" 2>&1; then
	e2e_check "CSV: HTTPS by name" "www.shop.test|sni" "$(csv_row "$CSV" $SHOP 443 domain evidence)"
	e2e_check "CSV: CNAME to a CDN name" "www.cdnsite.test|dns" "$(csv_row "$CSV" $CDN 443 domain evidence)"
	cdn=$(csv_row "$CSV" $CDN 443 cdn)
	case ${cdn,,} in
	*cloudfront*) e2e_check "CSV: the CDN is named" ok ok ;;
	*) e2e_check "CSV: the CDN is named (cdn column mentions CloudFront)" "*cloudfront*" "$cdn" ;;
	esac
	e2e_check "CSV: shared address candidates" "alpha.test|beta.test" \
		"$(csv_row "$CSV" $SHARED 443 candidates | tr '|' '\n' | sort | paste -sd'|')"
	ev=$(csv_row "$CSV" $PTRL 443 evidence)
	e2e_check "CSV with --no-resolve: no reverse lookup" "none" "$ev"
else
	cat "$E2E_TMP/report.log" >&2
	e2e_fail "pcapdomains report --db --no-resolve -o report.csv exited non-zero"
fi

# reverse lookup at analysis time, against the test's dnsmasq (reachable from the client side)
CSV2=$E2E_TMP/report-ptr.csv
if e2e_c "$PD" report --db "$DB" --resolver "$E2E_S4" -o "$CSV2" >"$E2E_TMP/report-ptr.log" 2>&1; then
	e2e_check "CSV with --resolver: ptr-lookup for the address with no evidence" \
		"rev.ptrzone.test|ptr-lookup" "$(csv_row "$CSV2" $PTRL 443 domain evidence)"
	e2e_check "ptr_cache holds the lookup" "rev.ptrzone.test|ok" \
		"$(e2e_sql "$DB" "SELECT name, status FROM ptr_cache WHERE ip='$PTRL'")"
	e2e_check "the sni flow is still sni after lookups" "www.shop.test|sni" "$(csv_row "$CSV2" $SHOP 443 domain evidence)"
else
	cat "$E2E_TMP/report-ptr.log" >&2
	e2e_fail "ip netns exec CLIENT pcapdomains report --db --resolver $E2E_S4 exited non-zero"
fi

# GeoIP: a Country database covering the "nothing" address. testdata/geoip/ (made by the
# project) when one of its databases covers it, else one written now with MaxMind::DB::Writer.
geo=""
for m in "$PD_SRC"/testdata/geoip/*.mmdb; do
	[ -f "$m" ] || continue
	c=$(mmdblookup --file "$m" --ip $NONE country iso_code 2>/dev/null | sed -n 's/.*"\(.*\)".*/\1/p')
	[ -n "$c" ] && { geo=$m; want=$c; break; }
done
if [ -z "$geo" ] && perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null; then
	geo=$E2E_TMP/e2e-country.mmdb
	want=DE
	perl - "$geo" "$N.0/24" <<'EOF'
use MaxMind::DB::Writer::Tree;
my ($out, $net) = @ARGV;
my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6, record_size => 24,
	database_type => 'GeoLite2-Country', languages => ['en'],
	description => { en => 'pcapdomains e2e test: ' . $net . ' is DE' },
	remove_reserved_networks => 0,
	map_key_type_callback => sub { { country => 'map', iso_code => 'utf8_string',
		names => 'map', en => 'utf8_string' }->{ $_[0] } });
$t->insert_network($net, { country => { iso_code => 'DE', names => { en => 'Germany' } } });
open my $fh, '>', $out or die; $t->write_tree($fh); close $fh;
EOF
fi
if [ -n "$geo" ]; then
	CSV3=$E2E_TMP/report-geo.csv
	if "$PD" report --db "$DB" --no-resolve --geoip "$geo" -o "$CSV3" >"$E2E_TMP/report-geo.log" 2>&1; then
		e2e_check "CSV with --geoip ($(basename "$geo")): country of the address with no name" \
			"none|$want" "$(csv_row "$CSV3" $NONE 443 evidence country)"
	else
		cat "$E2E_TMP/report-geo.log" >&2
		e2e_fail "pcapdomains report --geoip $geo exited non-zero"
	fi
else
	e2e_log "no GeoIP database covering $NONE and no MaxMind::DB::Writer: GeoIP not tested"
fi
e2e_done
