#!/usr/bin/env bash
# test_tunnels.sh - issue 15 "Encapsulation": real tunnels between two namespaces over a veth
# underlay (VXLAN on 4789 and on Flannel's 8472, Geneve, GRE with a key, IP-in-IP, ip6gre: each
# made with `ip link add type ...` when this kernel has it), with DNS (dnsmasq), TLS (openssl
# s_server, curl) and HTTP (python3 http.server, curl) inside each tunnel, captured with tcpdump
# on the underlay veth. The flows must be the inner ones, named like their inner traffic (SNI,
# Host, DNS answers), carry their tunnel path, and no destination may sit at a tunnel port.
#
# Then the traffic captured inside the first VXLAN device (real packets) is wrapped by
# tests/tools/encap.py in every encapsulation, real kernel or not: Geneve, VXLAN in Geneve on
# loopback (the issue's capture), GRE, GRE with key and sequence, transparent Ethernet
# bridging, ERSPAN II and III, IP-in-IP, ip6gre, IPv4 in IPv6, PPP, PPP in HDLC framing, PPPoE
# (link type and Ethernet), and VXLAN six deep (the depth limit): each report must name what
# tshark names, with the same destinations as the unwrapped capture.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

e2e_init tun 21
e2e_require_root
e2e_require_tools ip dnsmasq curl dig openssl python3 tcpdump tshark sqlite3
e2e_require_pd
have_quic=1
command -v gtlsserver >/dev/null && command -v gtlsclient >/dev/null || have_quic=0
e2e_net_up

C=$E2E_C4 S=$E2E_S4 C6=$E2E_C6 S6=$E2E_S6
# kind:octet:device arguments (LOCAL/REMOTE replaced per side); octet k gives overlay 10.77.k.0/24
kinds=(
	"vxlan:1:type vxlan id 42 dstport 4789 local LOCAL remote REMOTE"
	"vxlan8472:2:type vxlan id 1 dstport 8472 local LOCAL remote REMOTE"
	"geneve:3:type geneve id 7 remote REMOTE"
	"gre:4:type gre key 5 local LOCAL remote REMOTE"
	"ipip:5:type ipip local LOCAL remote REMOTE"
	"ip6gre:6:type ip6gre local LOCAL6 remote REMOTE6"
)
real=()
dnsargs=()
for spec in "${kinds[@]}"; do
	k=${spec%%:*} rest=${spec#*:} o=${rest%%:*} args=${rest#*:}
	ca=${args//LOCAL6/$C6} ca=${ca//REMOTE6/$S6} ca=${ca//LOCAL/$C} ca=${ca//REMOTE/$S}
	sa=${args//LOCAL6/$S6} sa=${sa//REMOTE6/$C6} sa=${sa//LOCAL/$S} sa=${sa//REMOTE/$C}
	# shellcheck disable=SC2086
	if ! ip -n "$E2E_C" link add "t$o" $ca 2>"$E2E_TMP/link-$k.err"; then
		e2e_log "this kernel has no $k tunnels ($(head -1 "$E2E_TMP/link-$k.err")): $k only through encap.py below"
		continue
	fi
	# shellcheck disable=SC2086
	ip -n "$E2E_S" link add "t$o" $sa || e2e_fail_now "ip link add $k in the server namespace"
	ip -n "$E2E_C" addr add "10.77.$o.100/24" dev "t$o"
	ip -n "$E2E_S" addr add "10.77.$o.1/24" dev "t$o"
	for a in 10 11 12 13; do ip -n "$E2E_S" addr add "10.77.$o.$a/24" dev "t$o"; done
	ip -n "$E2E_C" link set "t$o" up
	ip -n "$E2E_S" link set "t$o" up
	real+=("$k:$o")
	dnsargs+=("--listen-address=10.77.$o.1"
		"--host-record=tls.$k.tun.test,10.77.$o.10"
		"--host-record=web.$k.tun.test,10.77.$o.11"
		"--host-record=plain.$k.tun.test,10.77.$o.12"
		"--host-record=quic.$k.tun.test,10.77.$o.13")
done
[ ${#real[@]} -gt 0 ] || e2e_skip "this kernel makes none of the tunnels (vxlan, geneve, gre, ipip, ip6gre)"
e2e_dnsmasq --local=/tun.test/ "${dnsargs[@]}"
names=()
for r in "${real[@]}"; do names+=("tls.${r%%:*}.tun.test"); done
first=${real[0]} fo=${real[0]#*:}
e2e_cert "${names[@]}" "quic.${first%%:*}.tun.test"
e2e_tls_server 443
e2e_http_server 80
# QUIC inside the first tunnel (its packets are then wrapped in PPP below: QUIC over PPP)
[ $have_quic = 1 ] && e2e_quic_server "10.77.$fo.13" 443
e2e_capture_start tcpdump "$E2E_TMP/under.pcap" "$E2E_CIF"
E2E_UNDER_PID=$E2E_CAP_PID
e2e_capture_start tcpdump "$E2E_TMP/inner.pcap" "t$fo"
E2E_INNER_PID=$E2E_CAP_PID
for r in "${real[@]}"; do
	k=${r%%:*} o=${r#*:} dns=10.77.$o.1
	a=$(e2e_c dig +short +time=2 +tries=2 "@$dns" "tls.$k.tun.test")
	e2e_check "$k: DNS through the tunnel" "10.77.$o.10" "$a"
	e2e_c dig +short +time=2 "@$dns" "web.$k.tun.test" >/dev/null
	e2e_c dig +short +time=2 "@$dns" "plain.$k.tun.test" >/dev/null
	e2e_c curl -sk --max-time 5 -o /dev/null --resolve "tls.$k.tun.test:443:10.77.$o.10" \
		"https://tls.$k.tun.test/" || e2e_fail "$k: curl https through the tunnel"
	e2e_c curl -s --max-time 5 -o /dev/null --resolve "web.$k.tun.test:80:10.77.$o.11" \
		"http://web.$k.tun.test/" || e2e_fail "$k: curl http through the tunnel"
	# an address literal: no SNI, the name can only come from the DNS answer
	e2e_c curl -sk --max-time 5 -o /dev/null "https://10.77.$o.12/" ||
		e2e_fail "$k: curl https to an address through the tunnel"
done
if [ $have_quic = 1 ]; then
	# gtlsclient resolves the name through the underlay resolver; the packets go to 10.77.x.13
	e2e_c timeout 10 gtlsclient --quiet --exit-on-all-streams-close "quic.${first%%:*}.tun.test" 443 \
		"https://quic.${first%%:*}.tun.test/" >"$E2E_TMP/gtlsclient.log" 2>&1 || e2e_log "gtlsclient exited $?"
fi
e2e_capture_stop "$E2E_INNER_PID"
e2e_capture_stop "$E2E_UNDER_PID"

db=$E2E_TMP/tun.db
e2e_ingest "$db" "$E2E_TMP/under.pcap"
for r in "${real[@]}"; do
	k=${r%%:*} o=${r#*:}
	case $k in
	vxlan) t="vxlan:$C>$S vni 42" ;;
	vxlan8472) t="vxlan:$C>$S vni 1" ;;
	geneve) t="geneve:$C>$S vni 7" ;;
	gre) t="gre:$C>$S key 5" ;;
	ipip) t="ipip:$C>$S" ;;
	ip6gre) t="gre:$C6>$S6" ;;
	esac
	e2e_check "$k: TLS flow named by its SNI, with its tunnel" "tls.$k.tun.test|sni|$t" \
		"$(e2e_sql "$db" "SELECT DISTINCT name, evidence, tunnel FROM flows WHERE server_ip = '10.77.$o.10' AND server_port = 443")"
	e2e_check "$k: HTTP flow named by its Host" "web.$k.tun.test|http-host|$t" \
		"$(e2e_sql "$db" "SELECT DISTINCT name, evidence, tunnel FROM flows WHERE server_ip = '10.77.$o.11' AND server_port = 80")"
	e2e_check "$k: flow to an address named by the DNS answer inside the tunnel" "plain.$k.tun.test|dns" \
		"$(e2e_sql "$db" "SELECT DISTINCT name, evidence FROM flows WHERE server_ip = '10.77.$o.12' AND server_port = 443")"
	e2e_check "$k: the DNS answers inside the tunnel" 3 \
		"$(e2e_sql "$db" "SELECT count(DISTINCT qname) FROM dns_answers WHERE resolver_ip = '10.77.$o.1' AND answer LIKE '10.77.$o.%'")"
	e2e_check "$k: the carrier is listed as a tunnel finding" 1 \
		"$(e2e_sql "$db" "SELECT count(*) > 0 FROM findings WHERE kind = 'tunnel' AND subject LIKE '${t%%:*}:%'")"
done
e2e_check "no flow to a tunnel endpoint's port" 0 \
	"$(e2e_sql "$db" "SELECT count(*) FROM flows WHERE (proto = 'udp' AND server_port IN (4789, 8472, 6081)) OR proto IN ('ip-47', 'ip-4', 'ip-41')")"
# tshark (which decodes VXLAN on 4789, Geneve, GRE and IP-in-IP by itself; 8472 needs telling)
# sees the same SNIs and Hosts
ts=$(tshark -n -r "$E2E_TMP/under.pcap" -d udp.port==8472,vxlan -T fields \
	-e tls.handshake.extensions_server_name -e http.host 2>/dev/null | tr '\t' '\n' | grep . | LC_ALL=C sort -u | tr '\n' ' ')
ours=$(e2e_sql "$db" "SELECT DISTINCT name FROM flows WHERE evidence IN ('sni', 'quic-sni', 'http-host') ORDER BY name" | tr '\n' ' ')
e2e_check "SNIs and Hosts as tshark sees them in the tunnels" "$ts" "$ours"

# CSV: the tunnels column, and no row at a tunnel port
"$PD" report --no-resolve --db "$db" -o "$E2E_TMP/under.csv" >/dev/null 2>&1
e2e_check "CSV has a tunnels column" 1 "$(head -1 "$E2E_TMP/under.csv" | tr -d '\r' | tr , '\n' | grep -cx tunnels)"
e2e_check "CSV row of tls.${first%%:*}.tun.test carries its tunnel" 1 \
	"$(grep -c "^tls.${first%%:*}.tun.test,.*,vxlan:$C>$S vni 42" "$E2E_TMP/under.csv")"
e2e_check "no CSV row at a tunnel port" 0 "$(awk -F, '$7 == 4789 || $7 == 8472 || $7 == 6081' "$E2E_TMP/under.csv" | wc -l)"

# The real inner packets wrapped in every encapsulation.
key() { tail -n +2 "$1" | awk -F, '{ print $1 "," $6 "," $7 "," $8 }' | LC_ALL=C sort; }
"$PD" report --no-resolve -o "$E2E_TMP/inner.csv" "$E2E_TMP/inner.pcap" >/dev/null 2>&1
want=$(key "$E2E_TMP/inner.csv")
sni_want="tls.${first%%:*}.tun.test "
[ $have_quic = 1 ] && sni_want="quic.${first%%:*}.tun.test $sni_want"
e2e_check "the inner capture names tls.${first%%:*}.tun.test" 1 "$(grep -c "^tls.${first%%:*}.tun.test," "$E2E_TMP/inner.csv")"
for w in geneve vxlan-in-geneve gre gre-key gretap erspan2 erspan3 ipip ip6gre ip6tnl ppp ppp-hdlc pppoe pppoe-eth; do
	f=$E2E_TMP/w-$w.pcap
	python3 "$PD_SRC/tests/tools/encap.py" "$w" "$E2E_TMP/inner.pcap" "$f" || { e2e_fail "encap.py $w"; continue; }
	"$PD" report --no-resolve -o "$E2E_TMP/w-$w.csv" "$f" >/dev/null 2>&1
	exp=$want
	# IP protocol 4 carries IPv4 only: the inner capture's IPv6 packets are not wrapped
	[ "$w" = ipip ] && exp=$(printf '%s\n' "$want" | awk -F, '$2 !~ /:/')
	e2e_check "$w: same destinations as the unwrapped packets" "$exp" "$(key "$E2E_TMP/w-$w.csv")"
	tsn=$(tshark -n -r "$f" -T fields -e tls.handshake.extensions_server_name 2>/dev/null | grep . | LC_ALL=C sort -u | tr '\n' ' ')
	e2e_check "$w: tshark sees the SNIs we name" "$sni_want" "$tsn"
	if [ $have_quic = 1 ]; then
		e2e_check "$w: QUIC inside named by its SNI" "quic.${first%%:*}.tun.test,quic-sni" \
			"$(tail -n +2 "$E2E_TMP/w-$w.csv" | awk -F, '$8 == "udp" && $7 == 443 { print $1 "," $3 }' | sort -u)"
	fi
	case $w in
	ppp*) e2e_check "$w: PPP is a link, not a tunnel" "" "$(tr -d '\r' <"$E2E_TMP/w-$w.csv" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "tunnels") t = i; next } { print $t }' | sort -u)" ;;
	# destination rows (egress/transit); the inbound/internal/control rows list no tunnels
	*) e2e_check "$w: every destination row has its tunnel" 0 "$(tr -d '\r' <"$E2E_TMP/w-$w.csv" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "direction") d = i; else if ($i == "tunnels") t = i; next } $d == "egress" || $d == "transit" { print $t }' | grep -c '^$')" ;;
	esac
done
# six VXLAN layers: the limit is four; the packets count as flows to the fourth layer and a
# finding says so
f=$E2E_TMP/w-depth6.pcap
python3 "$PD_SRC/tests/tools/encap.py" depth6 "$E2E_TMP/inner.pcap" "$f"
e2e_ingest "$E2E_TMP/depth.db" "$f"
e2e_check "six layers deep: counted" "$(tshark -n -r "$f" 2>/dev/null | wc -l)" \
	"$(e2e_sql "$E2E_TMP/depth.db" "SELECT n FROM counters WHERE kind = 'tunnel' AND what = 'too_deep'")"
e2e_check "six layers deep: a limit finding" 1 \
	"$(e2e_sql "$E2E_TMP/depth.db" "SELECT count(*) FROM findings WHERE kind = 'limit' AND detail LIKE '%more than 4 tunnel layers%'")"
e2e_done
