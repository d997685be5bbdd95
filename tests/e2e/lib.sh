# shellcheck shell=bash
# lib.sh - helpers for pcapdomains end-to-end tests (sourced, not run).
#
# A test builds a tiny network of its own: two network namespaces (client and server) joined by
# a veth pair, with real programs in them (dnsmasq, openssl s_server, python3 http.server,
# gtlsserver for QUIC), real clients (curl, dig, openssl s_client, gtlsclient) and a real
# capture (tcpdump -i any: Linux cooked v2 pcap; dumpcap: pcapng). Nothing is configured in the
# host namespace: the veth ends are created directly inside the test's namespaces, and every
# packet goes to an address inside them. Everything is removed on exit (trap EXIT).
#
# Usage in a test:
#   . "$(dirname "$0")/lib.sh"
#   e2e_init flows 1          # tag, third octet: client 10.8.1.100, server 10.8.1.1 (fd00:8::1:*)
#   e2e_require_tools dnsmasq curl tcpdump
#   e2e_net_up
#   ...
#   e2e_check "what" EXPECTED ACTUAL ...
#   e2e_done                  # exit status 0 pass, 1 fail (e2e_skip: 77)
#
# Environment: PD_BIN (build directory, default $PD_SRC/build), PD_SRC (source directory,
# default two levels above this file), E2E_KEEP=1 keeps the temporary directory for inspection,
# E2E_VERBOSE=1 prints passing checks too.

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PD_SRC=${PD_SRC:-$(cd "$E2E_LIB_DIR/../.." && pwd)}
PD_BIN=${PD_BIN:-$PD_SRC/build}
PD=$PD_BIN/pcapdomains

E2E_PIDS=()       # every background process started by the helpers
E2E_NETNS=()      # namespaces created
E2E_FAILS=0
E2E_CHECKS=0

e2e_log() { printf '%s: %s\n' "${E2E_TAG:-e2e}" "$*" >&2; }

# e2e_skip MESSAGE: the test cannot run here (exit 77, ctest's SKIP_RETURN_CODE).
e2e_skip() {
	e2e_log "SKIP: $*"
	exit 77
}

e2e_require_root() {
	[ "$(id -u)" = 0 ] || e2e_skip "needs root (network namespaces, capture); run as root"
	ip netns add "e2e-probe-$$" 2>/dev/null || e2e_skip "cannot create network namespaces here"
	ip netns del "e2e-probe-$$"
}

# e2e_require_tools TOOL...: skip unless every tool is on PATH.
e2e_require_tools() {
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ ${#missing[@]} = 0 ] || e2e_skip "missing tools: ${missing[*]} (see .ci/packages)"
}

# e2e_require_pd: pcapdomains must be built (a missing binary is a failure, not a skip: the
# suite builds it before running the tests).
e2e_require_pd() {
	[ -x "$PD" ] || { echo "FAIL: pcapdomains not built at $PD (set PD_BIN)"; exit 1; }
}

# e2e_init TAG OCTET: names, addresses, a temporary directory and the EXIT trap.
# Sets: E2E_TAG, E2E_TMP, E2E_C/E2E_S (client/server namespaces), E2E_CIF/E2E_SIF (their veth
# ends), E2E_NET (10.8.OCTET), E2E_C4/E2E_S4 (client/server IPv4), E2E_C6/E2E_S6 (IPv6).
e2e_init() {
	E2E_TAG=$1
	local o=$2 id
	id=$(printf '%s%04x' "$(date +%s | tail -c 4)" $(($$ & 0xffff)))
	E2E_C=e2e-$E2E_TAG-$id-c
	E2E_S=e2e-$E2E_TAG-$id-s
	E2E_CIF=e2e-c
	E2E_SIF=e2e-s
	E2E_NET=10.8.$o
	E2E_S4=$E2E_NET.1
	E2E_C4=$E2E_NET.100
	E2E_NET6=fd00:8::$o
	E2E_S6=$E2E_NET6:1
	E2E_C6=$E2E_NET6:100
	E2E_TMP=$(mktemp -d "/tmp/e2e-$E2E_TAG-XXXXXX")
	chmod 755 "$E2E_TMP"
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM
}

e2e_cleanup() {
	local rc=$? p ns i
	set +e # every step must run, whatever failed before
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for p in "${E2E_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${E2E_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for ns in "${E2E_NETNS[@]}"; do
		# anything still running inside our own namespaces was started by this test
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		e2e_log "kept $E2E_TMP"
	else
		rm -rf "$E2E_TMP"
	fi
	exit $rc
}

# e2e_net_up: client and server namespaces, veth pair, IPv4 /24 and IPv6 /64, loopback up.
# Both namespaces' /etc/resolv.conf (ip netns exec bind-mounts /etc/netns/NS/) name the test's
# resolver address, so no program in them ever asks the host's resolvers.
e2e_net_up() {
	ip netns add "$E2E_C" || e2e_fail_now "ip netns add $E2E_C"
	E2E_NETNS+=("$E2E_C")
	ip netns add "$E2E_S" || e2e_fail_now "ip netns add $E2E_S"
	E2E_NETNS+=("$E2E_S")
	ip -n "$E2E_C" link add "$E2E_CIF" type veth peer name "$E2E_SIF" netns "$E2E_S" ||
		e2e_fail_now "veth pair"
	ip -n "$E2E_C" link set lo up
	ip -n "$E2E_S" link set lo up
	# no router solicitations or DAD noise in the captures beyond what the kernel must send
	ip netns exec "$E2E_C" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	ip -n "$E2E_C" addr add "$E2E_C4/24" dev "$E2E_CIF"
	ip -n "$E2E_S" addr add "$E2E_S4/24" dev "$E2E_SIF"
	ip -n "$E2E_C" addr add "$E2E_C6/64" dev "$E2E_CIF" nodad
	ip -n "$E2E_S" addr add "$E2E_S6/64" dev "$E2E_SIF" nodad
	ip -n "$E2E_C" link set "$E2E_CIF" up
	ip -n "$E2E_S" link set "$E2E_SIF" up
	local ns
	for ns in "$E2E_C" "$E2E_S"; do
		mkdir -p "/etc/netns/$ns"
		printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$E2E_S4" >"/etc/netns/$ns/resolv.conf"
	done
	local i
	for i in $(seq 50); do
		ip -n "$E2E_C" link show "$E2E_CIF" | grep -q 'state UP' &&
			ip -n "$E2E_S" link show "$E2E_SIF" | grep -q 'state UP' && return 0
		sleep 0.1
	done
	e2e_fail_now "veth link did not come up"
}

# e2e_server_addr ADDR...: more addresses on the server end (10.8.o.x or fd00:8::o:x).
e2e_server_addr() {
	local a
	for a in "$@"; do
		case $a in
		*:*) ip -n "$E2E_S" addr add "$a/64" dev "$E2E_SIF" nodad ;;
		*) ip -n "$E2E_S" addr add "$a/24" dev "$E2E_SIF" ;;
		esac
	done
}

# e2e_mtu N: both veth ends (forces TCP segments of at most N-40/60 bytes).
e2e_mtu() {
	ip -n "$E2E_C" link set dev "$E2E_CIF" mtu "$1"
	ip -n "$E2E_S" link set dev "$E2E_SIF" mtu "$1"
}

# e2e_c CMD...: run in the client namespace; e2e_s CMD...: in the server namespace.
e2e_c() { ip netns exec "$E2E_C" "$@"; }
e2e_s() { ip netns exec "$E2E_S" "$@"; }

# e2e_bg NS NAME CMD...: start CMD in namespace NS in the background, output in $E2E_TMP/NAME.log.
# Sets E2E_LAST_PID. (ip netns exec execs CMD, so the pid is CMD's own.)
e2e_bg() {
	local ns=$1 name=$2
	shift 2
	ip netns exec "$ns" "$@" >"$E2E_TMP/$name.log" 2>&1 &
	E2E_LAST_PID=$!
	E2E_PIDS+=("$E2E_LAST_PID")
}

# e2e_wait_port NS PROTO PORT [ADDR]: wait (5 s) until something listens there.
e2e_wait_port() {
	local ns=$1 proto=$2 port=$3 i opt=-ltnH
	[ "$proto" = udp ] && opt=-lunH
	for i in $(seq 100); do
		ip netns exec "$ns" ss $opt "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	e2e_fail_now "nothing listens on $proto/$port in $ns"
}

# e2e_stop PID: SIGTERM and wait.
e2e_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# --- servers -------------------------------------------------------------------------------

# e2e_dnsmasq [OPTION...]: dnsmasq in the server namespace answering only from its options
# (--address=/name/ip, --host-record=..., --cname=..., --ptr-record=..., --dns-rr=...), bound to
# the server's first addresses. Queries are logged to $E2E_TMP/dnsmasq.queries.
e2e_dnsmasq() {
	local conf=$E2E_TMP/dnsmasq.conf o
	{
		echo no-resolv
		echo no-hosts
		echo bind-interfaces
		echo "listen-address=$E2E_S4"
		echo "listen-address=$E2E_S6"
		echo except-interface=lo
		echo log-queries=extra
		echo "log-facility=$E2E_TMP/dnsmasq.queries"
		echo "pid-file=$E2E_TMP/dnsmasq.pid"
		echo user=root
		echo cache-size=0
		for o in "$@"; do
			echo "${o#--}"
		done
	} >"$conf"
	e2e_bg "$E2E_S" dnsmasq dnsmasq --keep-in-foreground --conf-file="$conf"
	E2E_DNSMASQ_PID=$E2E_LAST_PID
	e2e_wait_port "$E2E_S" udp 53
	e2e_wait_port "$E2E_S" tcp 53
}

# e2e_dnsmasq_has_dns_rr: dnsmasq accepts --dns-rr (arbitrary records such as HTTPS, type 65).
e2e_dnsmasq_has_dns_rr() {
	dnsmasq --test --no-resolv --dns-rr=probe.test,65,0001 >/dev/null 2>&1
}

# e2e_cert NAME...: a self-signed EC certificate for the names; sets E2E_CERT and E2E_KEY.
e2e_cert() {
	local san="" n
	for n in "$@"; do
		san="${san:+$san,}DNS:$n"
	done
	E2E_CERT=$E2E_TMP/cert.pem
	E2E_KEY=$E2E_TMP/key.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$E2E_KEY" -out "$E2E_CERT" -days 2 -subj "/CN=$1" \
		-addext "subjectAltName=$san" >/dev/null 2>&1 || e2e_fail_now "openssl req failed"
}

# e2e_tls_server PORT [OPTION...]: openssl s_server -www in the server namespace on every
# address (one IPv4 and one IPv6-only listener: s_server binds [::] with IPV6_V6ONLY).
e2e_tls_server() {
	local port=$1
	shift
	e2e_bg "$E2E_S" "s_server-$port-4" openssl s_server -www -accept "0.0.0.0:$port" \
		-cert "$E2E_CERT" -key "$E2E_KEY" -naccept 1000 "$@"
	e2e_bg "$E2E_S" "s_server-$port-6" openssl s_server -www -accept "[::]:$port" \
		-cert "$E2E_CERT" -key "$E2E_KEY" -naccept 1000 "$@"
	e2e_wait_port "$E2E_S" tcp "$port"
	sleep 0.1
}

# e2e_http_server PORT: python3 -m http.server in the server namespace (IPv4 and IPv6).
e2e_http_server() {
	local py
	py=$(command -v python3)
	[ -x /usr/bin/python3 ] && py=/usr/bin/python3
	mkdir -p "$E2E_TMP/www"
	echo "hello from the e2e web server" >"$E2E_TMP/www/index.html"
	e2e_bg "$E2E_S" "http-$1" "$py" -m http.server --bind :: --directory "$E2E_TMP/www" "$1"
	E2E_HTTP_PID=$E2E_LAST_PID
	e2e_wait_port "$E2E_S" tcp "$1"
}

# e2e_quic_server ADDR PORT: gtlsserver (ngtcp2, HTTP/3) on one address; needs e2e_cert first.
e2e_quic_server() {
	mkdir -p "$E2E_TMP/www"
	e2e_bg "$E2E_S" "quic-$2" gtlsserver --quiet -d "$E2E_TMP/www" "$1" "$2" "$E2E_KEY" "$E2E_CERT"
	E2E_QUIC_PID=$E2E_LAST_PID
	e2e_wait_port "$E2E_S" udp "$2"
}

# --- capture -------------------------------------------------------------------------------

# e2e_capture_start KIND FILE [IFACE]: KIND tcpdump (pcap; -i any gives Linux cooked v2) or
# dumpcap (pcapng), in the client namespace. Waits until the capture is running; sets
# E2E_CAP_PID. Stop with e2e_capture_stop.
e2e_capture_start() {
	local kind=$1 file=$2 ifc=${3:-any} i log
	log=cap-$(basename "$file")
	case $kind in
	tcpdump)
		e2e_bg "$E2E_C" "$log" tcpdump -n -i "$ifc" --immediate-mode -U -Z root -s 0 -w "$file" ;;
	dumpcap)
		e2e_bg "$E2E_C" "$log" dumpcap -q -i "$ifc" -s 0 -w "$file" ;;
	*) e2e_fail_now "unknown capture kind $kind" ;;
	esac
	E2E_CAP_PID=$E2E_LAST_PID
	for i in $(seq 100); do
		grep -qE 'listening on|Capturing on|File:' "$E2E_TMP/$log.log" 2>/dev/null && [ -s "$file" ] &&
			{ sleep 0.2; return 0; }
		kill -0 "$E2E_CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$E2E_TMP/$log.log" >&2
	e2e_fail_now "$kind did not start"
}

# e2e_capture_stop [PID]: SIGINT (tcpdump and dumpcap flush and close on it) and wait.
# dumpcap has no immediate mode: packets wait in the kernel ring up to its 1 s buffer timeout,
# so wait longer than that before stopping.
e2e_capture_stop() {
	local pid=${1:-$E2E_CAP_PID}
	sleep 1.2
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# --- checks --------------------------------------------------------------------------------

# e2e_fail_now MESSAGE: a setup step failed: stop the test (fail).
e2e_fail_now() {
	e2e_log "FAIL (setup): $*"
	exit 1
}

# e2e_check DESCRIPTION EXPECTED ACTUAL: one assertion (string equality); keeps going.
e2e_check() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	if [ "$2" = "$3" ]; then
		[ -n "${E2E_VERBOSE:-}" ] && e2e_log "ok: $1"
		return 0
	fi
	E2E_FAILS=$((E2E_FAILS + 1))
	e2e_log "FAIL: $1"
	e2e_log "  expected: $(printf '%s' "$2" | head -c 600)"
	e2e_log "  actual:   $(printf '%s' "$3" | head -c 600)"
	return 1
}

# e2e_check_true DESCRIPTION CMD...: the command must succeed.
e2e_check_true() {
	local d=$1
	shift
	E2E_CHECKS=$((E2E_CHECKS + 1))
	"$@" && return 0
	E2E_FAILS=$((E2E_FAILS + 1))
	e2e_log "FAIL: $d"
	return 1
}

# e2e_fail MESSAGE: one failed assertion without a comparison.
e2e_fail() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	E2E_FAILS=$((E2E_FAILS + 1))
	e2e_log "FAIL: $*"
}

# e2e_done: exit 0 when every check passed, else 1.
e2e_done() {
	if [ "$E2E_FAILS" = 0 ]; then
		e2e_log "PASS ($E2E_CHECKS checks)"
		exit 0
	fi
	e2e_log "$E2E_FAILS of $E2E_CHECKS checks failed"
	exit 1
}

# e2e_sql DB SQL: one query, '|'-separated rows.
e2e_sql() { sqlite3 -batch -noheader "$1" "$2"; }

# e2e_ingest DB CAPTURE...: pcapdomains ingest; fails the test when it exits non-zero.
e2e_ingest() {
	local db=$1
	shift
	if ! "$PD" ingest --db "$db" "$@" >"$E2E_TMP/ingest.out" 2>&1; then
		e2e_log "pcapdomains ingest --db $db $* failed:"
		cat "$E2E_TMP/ingest.out" >&2
		e2e_fail "pcapdomains ingest exited non-zero"
		return 1
	fi
}

# e2e_ipbytes FILE FILTER: "packets bytes" of IP traffic matching a tshark display filter,
# bytes counted as IP bytes (IPv4 total length, IPv6 payload length + 40).
e2e_ipbytes() {
	tshark -n -r "$1" -Y "$2" -T fields -E occurrence=f -e ip.len -e ipv6.plen 2>/dev/null |
		awk -F'\t' '{ n++; if ($1 != "") b += $1; else b += $2 + 40 } END { printf "%d %d\n", n, b }'
}
