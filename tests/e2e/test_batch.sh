#!/usr/bin/env bash
# test_batch.sh - batch audits, policy and drift (SPEC 2.7, 5) on real traffic: dnsmasq, an
# openssl s_server and a python3 http.server in one network namespace, dig and curl in another,
# tcpdump recording the veth between them. Capture A reaches x.alpha.test (TLS), y.beta.test
# (HTTP, IPv4 and IPv6), w.delta.test (HTTP) and an unnamed IPv6 address; capture B reaches
# x, y and z.gamma.test (TLS, new), not w. Then `allowlist`, `check`, hand-written policies,
# malformed policies, `diff` (captures and databases, every format), `merge` against one
# `ingest` of both captures, `ingest -j 2` against `-j 1`, and `report --allow`.
# Traffic stays inside the two namespaces (10.9.0.0/24, fd00:9::/64).
# Needs root, ip, dnsmasq, dig, curl, openssl, tcpdump, python3; skips (77) otherwise.
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
for t in ip dnsmasq dig curl openssl tcpdump python3 sqlite3; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
[ -x "$pd" ] || skip "$pd not built"

ns_srv=batch-e2e-srv-$$ # per run: two runs at once must not share namespaces
ns_cli=batch-e2e-cli-$$
tmp=$(mktemp -d /tmp/batch-e2e.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del $ns_srv 2>/dev/null
	ip netns del $ns_cli 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
pass=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
die() {
	echo "FAIL: $*"
	cat "$tmp"/*.log 2>/dev/null | tail -40
	exit 1
}
# run WANT_RC DESCRIPTION CMD...: stdout to $tmp/out, stderr to $tmp/err.
run() {
	local want=$1 what=$2 rc=0
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$what (exit $rc)"
		return 0
	fi
	bad "$what: exit $rc, want $want"
	sed 's/^/     | /' "$tmp/out" "$tmp/err" | head -20
	return 1
}
has() { # has FILE TEXT DESCRIPTION
	if grep -qF -- "$2" "$1"; then ok "$3"; else
		bad "$3: '$2' not in $1"
		sed 's/^/     | /' "$1" | head -20
	fi
}
hasnt() {
	if grep -qF -- "$2" "$1"; then
		bad "$3: '$2' in $1"
		sed 's/^/     | /' "$1" | head -20
	else ok "$3"; fi
}

# ---------------------------------------------------------------- the network and the servers
ip netns del $ns_srv 2>/dev/null
ip netns del $ns_cli 2>/dev/null
ip netns add $ns_srv && ip netns add $ns_cli || die "netns add"
ip link add batche2e0 netns $ns_srv type veth peer name batche2e1 netns $ns_cli || die "veth"
for a in 10.9.0.1 10.9.0.10 10.9.0.11 10.9.0.12 10.9.0.13; do
	ip -n $ns_srv addr add $a/24 dev batche2e0
done
for a in fd00:9::1 fd00:9::11 fd00:9::14; do
	ip -n $ns_srv addr add $a/64 dev batche2e0 nodad
done
ip -n $ns_cli addr add 10.9.0.2/24 dev batche2e1
ip -n $ns_cli addr add fd00:9::2/64 dev batche2e1 nodad
for n in $ns_srv $ns_cli; do ip -n $n link set lo up; done
ip -n $ns_srv link set batche2e0 up
ip -n $ns_cli link set batche2e1 up

# Different registrable domains on purpose: names of one domain on one port fold into a
# wildcard in `allowlist`, and z must stay a new destination.
ip netns exec $ns_srv dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=10.9.0.1 --bind-interfaces --local=/test/ \
	--pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" \
	--host-record=x.alpha.test,10.9.0.10 --host-record=y.beta.test,10.9.0.11,fd00:9::11 \
	--host-record=z.gamma.test,10.9.0.12 --host-record=w.delta.test,10.9.0.13 \
	--host-record=one.fold.test,10.9.0.11 --host-record=two.fold.test,10.9.0.11 \
	--host-record=three.fold.test,10.9.0.11 \
	--ptr-record=4.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.9.0.0.0.0.0.d.f.ip6.arpa,v6.ptr.test &
pids+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=batch.test \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 || die "openssl req"
(cd "$tmp" && exec ip netns exec $ns_srv openssl s_server -quiet -www -accept 443 \
	-cert cert.pem -key key.pem >"$tmp/s_server.log" 2>&1) &
pids+=($!)
mkdir "$tmp/www" && echo hello >"$tmp/www/index.html"
(cd "$tmp/www" && exec ip netns exec $ns_srv python3 -m http.server --bind :: 8000 \
	>"$tmp/http.log" 2>&1) &
pids+=($!)

cli() { ip netns exec $ns_cli "$@"; }
for _ in $(seq 50); do
	cli dig +time=1 +tries=1 +short @10.9.0.1 x.alpha.test 2>/dev/null | grep -q 10.9.0.10 &&
		cli curl -s -o /dev/null --max-time 1 http://10.9.0.11:8000/ &&
		cli curl -sk -o /dev/null --max-time 1 https://10.9.0.10/ && break
	sleep 0.2
done
cli curl -sk -o /dev/null --max-time 2 https://10.9.0.10/ || die "servers did not start"

# record NAME CMDS...: runs the commands in the client namespace while tcpdump records.
# A and B leave ICMPv6 out (neighbour discovery, MLD reports at link-up): how much of it they
# would hold depends on timing, and the checks below count destinations exactly. C keeps it.
record() {
	local name=$1 pid
	shift
	ip netns exec $ns_cli tcpdump -i batche2e1 --immediate-mode -U -s 0 \
		-w "$tmp/$name.pcap" $filter 2>"$tmp/tcpdump-$name.log" &
	pid=$!
	pids+=($pid)
	for _ in $(seq 50); do
		grep -q listening "$tmp/tcpdump-$name.log" && break
		sleep 0.1
	done
	"$@"
	sleep 0.5
	kill $pid
	wait $pid 2>/dev/null
	[ -s "$tmp/$name.pcap" ] || die "capture $name is empty"
}
# visit NAME SCHEME PORT [curl options]: resolve with dig (the answer lands in the capture),
# then fetch with curl pinned to that answer, so SNI/Host and the DNS answer both name it.
visit() {
	local name=$1 scheme=$2 port=$3 ip qtype=A
	shift 3
	case " $* " in *" -6 "*) qtype=AAAA ;; esac
	ip=$(cli dig +short @10.9.0.1 "$name" $qtype | head -1)
	[ -n "$ip" ] || die "no $qtype answer for $name"
	case $ip in *:*) ip="[$ip]" ;; esac
	cli curl -sk -o /dev/null --max-time 3 --resolve "$name:$port:$ip" "$@" \
		"$scheme://$name:$port/" || die "curl $scheme://$name:$port/ failed"
}
traffic_a() {
	visit x.alpha.test https 443
	visit y.beta.test http 8000
	visit y.beta.test http 8000 -6
	visit w.delta.test http 8000
	visit one.fold.test http 8000
	visit two.fold.test http 8000
	visit three.fold.test http 8000
	# an address only a reverse lookup names: a TCP connection that sends nothing
	cli dig +short @10.9.0.1 -x fd00:9::14 | grep -q v6.ptr.test || die "no PTR for fd00:9::14"
	cli curl -s --max-time 1 telnet://[fd00:9::14]:8000 </dev/null >/dev/null 2>&1
	true
}
traffic_b() {
	visit x.alpha.test https 443
	visit y.beta.test http 8000
	visit y.beta.test http 8000 -6
	visit z.gamma.test https 443
	visit one.fold.test http 8000
	visit two.fold.test http 8000
	visit three.fold.test http 8000
	cli dig +short @10.9.0.1 -x fd00:9::14 >/dev/null
	cli curl -s --max-time 1 telnet://[fd00:9::14]:8000 </dev/null >/dev/null 2>&1
	true
}
traffic_c() { # a third capture for the -j test, with neighbour discovery in it
	visit x.alpha.test https 443
	visit z.gamma.test https 443
	cli ip -6 neigh flush dev batche2e1
	visit y.beta.test http 8000 -6
}
filter="not icmp6 and not ip6 multicast"
record A traffic_a
record B traffic_b
filter=
record C traffic_c
A=$tmp/A.pcap
B=$tmp/B.pcap
C=$tmp/C.pcap

cd "$tmp" || die "cd"
echo "== what the captures hold"
"$pd" report --no-resolve "$A" "$B" || die "report on the captures"

# ---------------------------------------------------------------- allowlist and check
echo "== allowlist and check"
run 0 "allowlist A -o a.policy" "$pd" allowlist -o a.policy "$A"
cat a.policy
has a.policy "x.alpha.test:443/tcp" "allowlist names X with port and protocol"
has a.policy "y.beta.test:8000/tcp" "allowlist names Y"
has a.policy "w.delta.test:8000/tcp" "allowlist names W"
has a.policy "*.fold.test:8000/tcp" "three names of one domain fold into *.fold.test"
grep -q '^[a-z]*\.fold\.test' a.policy && bad "folded names listed one by one" ||
	ok "folded names are not listed one by one"
has a.policy "[fd00:9::14]:8000/tcp" "the unnamed IPv6 address in brackets with its port"
grep -F "[fd00:9::14]:8000/tcp" a.policy | grep -q "REVIEW: named only by a reverse lookup (v6.ptr.test" &&
	ok "an address named only by PTR is listed by address, marked REVIEW" ||
	bad "PTR-named address not listed by address with REVIEW"
grep -q "^v6.ptr.test" a.policy && bad "a PTR name became a policy entry" || ok "no PTR name as an entry"
hasnt a.policy "10.9.0.10" "named destinations are not listed by address"
run 0 "allowlist to stdout is the same policy" "$pd" allowlist "$A"
diff <(grep -v '^# pcapdomains allowlist, written' a.policy | grep -v "^#   ") \
	<(grep -v '^# pcapdomains allowlist, written' out | grep -v "^#   ") >/dev/null &&
	ok "same entries on stdout" || bad "stdout and -o differ"

run 0 "check A against the allowlist of A" "$pd" check --allow a.policy "$A"
has out "allowed by a.policy" "check says all is allowed"
run 1 "check B against the allowlist of A" "$pd" check --allow a.policy "$B"
has out "z.gamma.test" "the violation names Z"
grep "z.gamma.test" out | grep -q "10.9.0.12:443/tcp  evidence sni" &&
	ok "the violation shows address, port, protocol and evidence" || bad "violation line: $(grep z.gamma out)"
[ "$(grep -c '^  ' out)" = 1 ] && ok "exactly one violation" || bad "violations: $(cat out)"
run 1 "check with --quiet still lists violations" "$pd" check --quiet --allow a.policy "$B"
has out "z.gamma.test" "--quiet lists the violation"
run 0 "check --quiet prints nothing when all is allowed" "$pd" check --quiet --allow a.policy "$A"
[ ! -s out ] && ok "--quiet: empty output" || bad "--quiet printed: $(cat out)"
run 1 "check on several captures" "$pd" check --allow a.policy "$A" "$B"
has out "z.gamma.test" "several captures: Z"
"$pd" ingest --quiet --db b-check.db "$B" || bad "ingest b-check.db"
run 1 "check on a database" "$pd" check --allow a.policy b-check.db
has out "z.gamma.test" "database: Z"
run 1 "check --db on a database" "$pd" check --allow a.policy --db b-check.db
run 0 "check --db DB CAPTURE looks at that capture only" "$pd" check --allow a.policy --db b-check.db "$A"
run 1 "...and the database then holds both" "$pd" check --allow a.policy b-check.db
run 0 "allowlist --db DB CAPTURE lists that capture only" "$pd" allowlist --db b-check.db "$A"
hasnt out "z.gamma.test" "allowlist --db DB A: no Z"
run 2 "allowlist into a directory that does not exist" "$pd" allowlist -o nodir/x.policy "$A"
has err "nodir/x.policy" "the message names the file"
run 2 "allowlist to /dev/full" "$pd" allowlist -o /dev/full "$A"
echo KEEP >keep.policy
run 2 "a failing allowlist run leaves the old file" "$pd" allowlist -o keep.policy nothere.pcap
[ "$(cat keep.policy)" = KEEP ] && ok "old policy intact" || bad "old policy overwritten"
run 2 "check without --allow" "$pd" check "$A"
run 2 "check with a missing policy file" "$pd" check --allow nothere.policy "$A"
has err "nothere.policy" "the message names the missing policy"

# violations FILE POLICY-TEXT: the destinations a policy rejects in capture A, sorted.
violations() {
	printf '%s\n' "$2" >"$1"
	"$pd" check --allow "$1" "$A" >"$tmp/v.out" 2>&1
	echo "rc=$?"
	grep '^  ' "$tmp/v.out" | sed 's/^  //; s/  evidence .*//; s/  / /' | sort
}
v6sel="[fd00:9::14]:8000/tcp"
base="y.beta.test:8000/tcp
w.delta.test:8000/tcp
*.fold.test:8000
$v6sel
10.9.0.1:53/udp"
want_v() { # want_v DESCRIPTION POLICY EXPECTED-VIOLATIONS(one per line: "name addr:port/proto")
	local got exp
	got=$(violations "$tmp/p.policy" "$2")
	if [ -z "$3" ]; then exp="rc=0"; else exp=$(printf 'rc=1\n%s' "$3"); fi
	if [ "$got" = "$exp" ]; then ok "$1"; else
		bad "$1"
		echo "     policy:"; sed 's/^/     | /' "$tmp/p.policy"
		echo "     want:"; echo "$exp" | sed 's/^/     | /'
		echo "     got:"; echo "$got" | sed 's/^/     | /'
	fi
}
X="x.alpha.test 10.9.0.10:443/tcp"
want_v "base policy without X rejects X only" "$base" "$X"
want_v "*.alpha.test allows x.alpha.test" "$base
*.alpha.test" ""
want_v "*.alpha.test:443/tcp allows it" "$base
*.alpha.test:443/tcp" ""
want_v "names compare case-insensitively, a trailing dot ignored" "$base
X.Alpha.TEST.:443/TCP" ""
want_v "alpha.test does not allow x.alpha.test" "$base
alpha.test" "$X"
want_v "*.x.alpha.test does not allow x.alpha.test" "$base
*.x.alpha.test" "$X"
want_v "a wrong port rejects" "$base
x.alpha.test:444" "$X"
want_v "a port range allows" "$base
x.alpha.test:400-500" ""
want_v "a wrong protocol rejects" "$base
x.alpha.test:443/udp" "$X"
want_v "/any allows" "$base
x.alpha.test/any" ""
want_v "a CIDR allows by address" "$base
10.9.0.8/29:443/tcp" ""
want_v "a CIDR not holding the address rejects" "$base
10.9.0.0/29:443/tcp" "$X"
want_v "an IPv6 CIDR allows the IPv6 address" "y.beta.test:8000/tcp
w.delta.test:8000/tcp
*.fold.test:8000
[fd00:9::/64]:8000/tcp
10.9.0.1:53/udp
x.alpha.test" ""
want_v "an unbracketed IPv6 network allows it on any port" "y.beta.test:8000/tcp
w.delta.test:8000/tcp
*.fold.test:8000
fd00:9::/120
10.9.0.1:53/udp
x.alpha.test" ""
want_v "without the IPv6 entry the unnamed address is rejected" "y.beta.test:8000/tcp
w.delta.test:8000/tcp
*.fold.test:8000
10.9.0.1:53/udp
x.alpha.test  # comment after an entry
# a comment line

" "v6.ptr.test [fd00:9::14]:8000/tcp"
want_v "a PTR name never satisfies a policy" "y.beta.test:8000/tcp
w.delta.test:8000/tcp
*.fold.test:8000
10.9.0.1:53/udp
x.alpha.test
v6.ptr.test
*.ptr.test" "v6.ptr.test [fd00:9::14]:8000/tcp"
want_v "an address entry for a named destination allows it" "$base
10.9.0.10" ""

# Malformed policies: exit 2 and FILE:LINE: in the message.
malformed() { # malformed LINE-TEXT EXPECTED-MESSAGE-PART
	printf '# ok\nx.alpha.test\n%s\n' "$1" >"$tmp/bad.policy"
	run 2 "malformed entry '$1'" "$pd" check --allow bad.policy "$A"
	has err "bad.policy:3: " "message for '$1' names file and line"
	has err "$2" "message for '$1' says '$2'"
}
malformed "example.com:0" "bad port"
malformed "example.com:70000" "bad port"
malformed "example.com:90-80" "bad port range"
malformed "example.com/sctp" "unknown protocol"
malformed "10.0.0.0/33" "bad address"
malformed "300.1.1.1" "bad address"
malformed "a.*.example.com" "'*'"
malformed "two entries.com" "one entry a line"
malformed "[fd00::1:53" "missing ']'"
malformed "exa\$mple.com" "bad name"
run 2 "report --allow with a malformed policy" "$pd" report --no-resolve --allow bad.policy "$A"
has err "bad.policy:3: " "report names file and line too"

# Neighbour discovery is link housekeeping, not a destination.
if [ "$("$pd" ingest --quiet --db c-nd.db "$C" >/dev/null 2>&1; sqlite3 c-nd.db \
	"SELECT count(*) FROM flows WHERE proto = 'icmp6' AND server_ip LIKE 'ff02::1:ff%'")" -gt 0 ]; then
	ok "capture C holds neighbour solicitations"
	run 0 "allowlist C" "$pd" allowlist c-nd.db
	hasnt out "ff02:" "allowlist leaves ICMPv6 to ff02::/16 out"
	# Unicast neighbour solicitations (reachability checks) go to the neighbour's own
	# address, in either direction: they are allowed by the network, not left out.
	printf 'x.alpha.test\nz.gamma.test\ny.beta.test\n10.9.0.1:53/udp\nfd00:9::/64/icmp6\n' >c.policy
	run 0 "check C with a policy that names no ICMPv6" "$pd" check --allow c.policy c-nd.db
else
	bad "capture C holds no neighbour solicitation (ip -6 neigh flush had no effect?)"
fi

# ---------------------------------------------------------------- diff
echo "== diff"
"$pd" ingest --quiet --db a.db "$A" || bad "ingest a.db"
"$pd" ingest --quiet --db b.db "$B" || bad "ingest b.db"
run 0 "diff A B (captures), text" "$pd" diff "$A" "$B"
cat out
grep -q '^  + z.gamma.test  443/tcp  evidence sni' out && ok "text: Z added" || bad "text: Z not added"
grep -q '^  - w.delta.test  8000/tcp' out && ok "text: W removed" || bad "text: W not removed"
has out "1 added, 1 removed" "text: the counts"
run 0 "diff a.db b.db (databases), text" "$pd" diff a.db b.db
sed 1d out >db.txt
"$pd" diff "$A" "$B" | sed 1d >cap.txt
cmp -s db.txt cap.txt && ok "databases and captures give the same diff" || bad "diff of databases differs"
run 0 "diff in every format" "$pd" diff -o d.csv -o d.json -o d.md -o d.html -o d.txt a.db "$B"
python3 - <<'PY' && ok "CSV and JSON parse back with Z added and W removed" || bad "CSV/JSON content"
import csv, json, re
rows = list(csv.DictReader(open("d.csv", newline="")))
got = sorted((r["change"], r["destination"], r["port"], r["proto"]) for r in rows)
assert got == [("added", "z.gamma.test", "443", "tcp"), ("removed", "w.delta.test", "8000", "tcp")], got
z = [r for r in rows if r["destination"] == "z.gamma.test"][0]
assert z["server_ips"] == "10.9.0.12" and z["evidence"] == "sni" and int(z["flows"]) >= 1, z
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", z["first_seen"]), z
assert z["first_seen"] <= z["last_seen"], z
d = json.load(open("d.json"))
assert d["kind"] == "pcapdomains-diff" and d["schema_version"] == 1, d
assert [a["destination"] for a in d["added"]] == ["z.gamma.test"], d["added"]
assert [r["destination"] for r in d["removed"]] == ["w.delta.test"], d["removed"]
assert d["added"][0]["port"] == 443 and d["added"][0]["proto"] == "tcp"
assert d["unchanged"] >= 5, d["unchanged"]
PY
has d.md "| z.gamma.test | 443/tcp | sni |" "Markdown: Z in the added table"
has d.md "#### Removed" "Markdown: a removed section"
has d.html "<tr class=\"add\"><td>z.gamma.test</td>" "HTML: Z added"
has d.html "<tr class=\"rm\"><td>w.delta.test</td>" "HTML: W removed"
has d.html "Content-Security-Policy" "HTML: a CSP"
has d.txt "+ z.gamma.test" "text file: Z added"
run 0 "diff --format json -o -" "$pd" diff --format json -o - "$A" "$B"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["added"][0]["destination"]=="z.gamma.test"' <out &&
	ok "JSON on stdout" || bad "JSON on stdout"
run 1 "diff --fail-on-new A B" "$pd" diff --fail-on-new "$A" "$B"
run 1 "diff --fail-on-new a.db b.db" "$pd" diff --fail-on-new -o f.md a.db b.db
[ -s f.md ] && ok "the report is written also when failing" || bad "no f.md"
run 0 "diff --fail-on-new A A" "$pd" diff --fail-on-new "$A" "$A"
has out "0 added, 0 removed" "A A: nothing changed"
"$pd" diff --fail-on-new b.db a.db >out 2>&1
rc=$?
[ $rc = 1 ] && grep -q '^  + w.delta.test' out && grep -q '^  - z.gamma.test' out &&
	ok "B -> A: W added, Z removed, exit 1" || bad "B -> A: exit $rc: $(cat out)"
run 2 "diff with one input" "$pd" diff "$A"
run 2 "diff with an unknown extension" "$pd" diff -o d.xls "$A" "$B"
run 2 "diff to /dev/full" "$pd" diff -o /dev/full "$A" "$B"
run 2 "diff into a directory that does not exist" "$pd" diff -o nodir/d.md "$A" "$B"
ls -a | grep -q '^\.pcapdomains-out' && bad "temporary file left behind" || ok "no temporary file left"
run 2 "diff with a missing input" "$pd" diff "$A" nothere.pcap
has err "nothere.pcap" "the message names the missing input"

# ---------------------------------------------------------------- merge
echo "== merge"
# norm_report DB OUT-PREFIX: CSV and JSON reports without the volatile fields.
norm_report() {
	"$pd" report --no-resolve --db "$1" -o "$2.csv" -o "$2.json" >/dev/null 2>"$2.err" ||
		{ bad "report --db $1: $(cat "$2.err")"; return; }
	python3 - "$2.json" >"$2.norm.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items()
                if k not in ("generated_at", "ingested_at", "tool_version", "database", "title")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
print(json.dumps(strip(d), indent=1, sort_keys=True))
PY
}
counts() {
	local t
	for t in captures interfaces flows dns_answers names findings counters ptr_cache geo_cache; do
		printf '%s=%s ' $t "$(sqlite3 "$1" "SELECT count(*) FROM $t")"
	done
}
dump() { # table contents without row ids and ingest times, sorted
	sqlite3 "$1" "SELECT path, size, sha256, format, link_types, first_ns, last_ns, packets, bytes FROM captures" | sort
	sqlite3 "$1" "SELECT c.sha256, f.proto, f.client_ip, f.client_port, f.server_ip, f.server_port,
		f.first_ns, f.last_ns, f.packets_out, f.bytes_out, f.packets_in, f.bytes_in, f.tcp_state,
		f.app_proto, f.sni, f.http_host, f.name, f.evidence, f.confidence, f.cname_chain,
		f.candidates, f.ambiguous, d.qname, d.answer
		FROM flows f JOIN captures c ON c.id = f.capture_id
		LEFT JOIN dns_answers d ON d.id = f.dns_answer_id" | sort
	sqlite3 "$1" "SELECT c.sha256, d.ts_ns, d.client_ip, d.qname, d.qtype, d.rcode, d.rr_type, d.answer, d.ttl, d.chain
		FROM dns_answers d JOIN captures c ON c.id = d.capture_id" | sort
	sqlite3 "$1" "SELECT c.sha256, n.ip, n.name, n.registrable, n.source, n.count, n.first_ns, n.last_ns
		FROM names n JOIN captures c ON c.id = n.capture_id" | sort
	sqlite3 "$1" "SELECT c.sha256, x.kind, x.severity, x.subject, x.detail, x.count
		FROM findings x JOIN captures c ON c.id = x.capture_id" | sort
	sqlite3 "$1" "SELECT c.sha256, x.kind, x.what, x.n FROM counters x JOIN captures c ON c.id = x.capture_id" | sort
	sqlite3 "$1" "SELECT c.sha256, i.idx, i.name, i.link_type, i.snaplen FROM interfaces i JOIN captures c ON c.id = i.capture_id" | sort
}
run 0 "merge --db m.db a.db b.db" "$pd" merge --db m.db a.db b.db
"$pd" ingest --quiet --db one.db "$A" "$B" || bad "ingest one.db A B"
norm_report m.db m
norm_report one.db one
cmp -s m.csv one.csv && ok "merged and single-ingest CSV reports are equal" ||
	{ bad "CSV reports differ"; diff m.csv one.csv | head -20; }
cmp -s m.norm.json one.norm.json && ok "merged and single-ingest JSON reports are equal" ||
	{ bad "JSON reports differ"; diff m.norm.json one.norm.json | head -20; }
[ "$(counts m.db)" = "$(counts one.db)" ] && ok "same row counts as one ingest: $(counts m.db)" ||
	bad "row counts: merged $(counts m.db), one ingest $(counts one.db)"
dump m.db >m.dump
dump one.db >one.dump
cmp -s m.dump one.dump && ok "merged and single-ingest databases hold the same rows (DNS answer links too)" ||
	{ bad "merged rows differ"; diff m.dump one.dump | head; }
linked=$(sqlite3 m.db "SELECT count(*) FROM flows f JOIN dns_answers d ON d.id = f.dns_answer_id
	JOIN captures c ON c.id = f.capture_id WHERE d.capture_id = f.capture_id AND c.path LIKE '%/B.pcap'")
[ "$linked" -gt 0 ] && ok "flows of the second merged capture link to its own DNS answers ($linked)" ||
	bad "no flow of B links to a DNS answer of B in m.db"
before=$(counts m.db)
run 0 "merging again" "$pd" merge --db m.db a.db b.db
has err "0 captures merged, 1 already present" "merging again skips"
[ "$(counts m.db)" = "$before" ] && ok "merging again changes nothing" || bad "merge not idempotent: $before -> $(counts m.db)"
run 0 "merging a database into itself" "$pd" merge --db m.db m.db
[ "$(counts m.db)" = "$before" ] && ok "self-merge changes nothing" || bad "self-merge: $(counts m.db)"
run 0 "merge into a fresh database in the other order" "$pd" merge --db r.db b.db a.db
run 0 "diff between merges in either order" "$pd" diff --fail-on-new m.db r.db
has out "0 added, 0 removed" "same destinations whatever the order"
run 2 "merge without --db" "$pd" merge a.db
run 2 "merge a missing input" "$pd" merge --db m.db nothere.db
[ ! -e nothere.db ] && ok "a missing input is not created" || bad "merge created nothere.db"
run 2 "merge a capture as if a database" "$pd" merge --db m.db "$A"
has err "A.pcap" "the message names the input"
[ "$(counts m.db)" = "$before" ] && ok "failed merges leave the output unchanged" || bad "output changed"

# A database from elsewhere (merge takes any): newlines and escape sequences in names,
# addresses and evidence must reach neither a policy line nor the terminal.
cp a.db hostile.db
sqlite3 hostile.db "UPDATE flows SET server_ip = '10.9.0.1'||char(10)||'evil.test'||char(27)||'[31m'
	WHERE server_port = 53; UPDATE flows SET name = 'w.delta.test'||char(10)||'evil2.test',
	evidence = 'sni'||char(27) WHERE name = 'w.delta.test'"
run 0 "allowlist of a hostile database" "$pd" allowlist -o hostile.policy hostile.db
grep -q evil hostile.policy && bad "a hostile name or address became a policy line" ||
	ok "nothing hostile in the policy"
has hostile.policy "2 names or addresses that a policy line cannot hold" "the left-out ones are counted"
run 1 "check of the hostile database against its own allowlist" "$pd" check --allow hostile.policy hostile.db
LC_ALL=C grep -q $'\x1b' out && bad "ESC reached the terminal" || ok "no ESC in check's output"
has out 'w.delta.test\x0aevil2.test' "the name is shown escaped"
run 0 "diff of the hostile database" "$pd" diff a.db hostile.db
LC_ALL=C grep -q $'\x1b' out && bad "ESC in diff's output" || ok "no ESC in diff's output"

# ---------------------------------------------------------------- ingest -j
echo "== ingest -j"
run 0 "ingest -j 1 A B C" "$pd" ingest --quiet -j 1 --db j1.db "$A" "$B" "$C"
# PCAPDOMAINS_STAGE_MIN=0: stage every capture whatever its size and the CPU count (the -j path)
run 0 "ingest -j 2 A B C" env PCAPDOMAINS_STAGE_MIN=0 "$pd" ingest --quiet -j 2 --db j2.db "$A" "$B" "$C"
dump j1.db >j1.dump
dump j2.db >j2.dump
[ "$(wc -l <j1.dump)" -gt 50 ] && ok "the dump holds the rows ($(wc -l <j1.dump) lines)" || bad "dump too small"
cmp -s j1.dump j2.dump && ok "-j 2 stores the same rows as -j 1" || { bad "-j 2 differs"; diff j1.dump j2.dump | head; }
norm_report j1.db j1
norm_report j2.db j2
cmp -s j1.csv j2.csv && cmp -s j1.norm.json j2.norm.json && ok "-j 2 gives the same reports as -j 1" ||
	bad "-j 2 reports differ"
[ "$(sqlite3 j2.db 'SELECT group_concat(path, " ") FROM (SELECT path FROM captures ORDER BY id)')" = "$A $B $C" ] &&
	ok "-j 2 keeps the input order of capture ids" || bad "-j 2 capture order"
run 0 "ingest -j 2 again skips everything" env PCAPDOMAINS_STAGE_MIN=0 "$pd" ingest -j 2 --db j2.db "$A" "$B" "$C"
[ "$(sqlite3 j2.db 'SELECT count(*) FROM captures')" = 3 ] && ok "still 3 captures" || bad "re-ingest added captures"

# ---------------------------------------------------------------- report --allow
echo "== report --allow"
run 0 "report --allow a.policy B (exit 0 even with a violation)" "$pd" report --no-resolve --allow a.policy -o rb.csv -o rb.json "$B"
python3 - <<'PY' && ok "CSV policy column: Z violation, the rest allowed" || bad "report policy column"
import csv, json
rows = list(csv.DictReader(open("rb.csv", newline="")))
pol = {(r["domain"] or r["server_ip"], r["port"], r["proto"]): r["policy"] for r in rows}
assert pol[("z.gamma.test", "443", "tcp")] == "violation", pol
assert pol[("x.alpha.test", "443", "tcp")] == "allowed", pol
assert pol[("y.beta.test", "8000", "tcp")] == "allowed", pol
assert pol[("one.fold.test", "8000", "tcp")] == "allowed", pol
assert pol[("v6.ptr.test", "8000", "tcp")] == "allowed", pol  # by its address entry
assert sorted(k for k, v in pol.items() if v == "violation") == [("z.gamma.test", "443", "tcp")], pol
d = json.load(open("rb.json"))
assert d["policy_checked"] is True, d["policy_checked"]
dp = {x["registrable_domain"]: x["policy"] for x in d["destinations"]}
assert dp["gamma.test"] == "violation" and dp["alpha.test"] == "allowed", dp
PY
run 0 "report without --allow" "$pd" report --no-resolve -o rn.csv "$B"
python3 -c '
import csv
rows = list(csv.DictReader(open("rn.csv", newline="")))
assert rows and all(r["policy"] == "unchecked" for r in rows)' && ok "without --allow: unchecked" ||
	bad "without --allow: not all unchecked"

# ---------------------------------------------------------------- the README's worked example
echo "== worked example (pcapdomains-capture netns: in place of docker:)"
cap=$bin/pcapdomains-capture
if [ ! -x "$cap" ]; then
	bad "pcapdomains-capture not built at $cap"
else
	# -w - keeps the file root's (the helper drops to nobody, who cannot write into $tmp).
	"$cap" "netns:/run/netns/$ns_cli" -w - --duration 60 >egress.pcapng 2>cap.log &
	cap_pid=$!
	pids+=($cap_pid)
	for _ in $(seq 50); do
		grep -q "capturing" cap.log && break
		sleep 0.1
	done
	traffic_b
	sleep 0.5
	kill -INT $cap_pid
	wait $cap_pid
	rc=$?
	[ $rc = 0 ] && ok "the capture helper stops cleanly on SIGINT" || bad "capture helper exit $rc: $(cat cap.log)"
	run 1 "check --allow a.policy egress.pcapng fails the job" "$pd" check --allow a.policy egress.pcapng
	has out "z.gamma.test" "the violation is Z"
	run 0 "report -o egress.html egress.pcapng" "$pd" report --no-resolve -o egress.html egress.pcapng
	has egress.html "z.gamma.test" "the HTML report names Z"
	run 0 "allowlist egress.pcapng proposes a policy" "$pd" allowlist egress.pcapng
	has out "z.gamma.test:443/tcp" "the proposal allows Z"
	cp out proposed.policy
	run 0 "the proposal accepts the capture it came from" "$pd" check --allow proposed.policy egress.pcapng
	run 1 "diff --fail-on-new last release -> egress.pcapng" "$pd" diff --fail-on-new "$A" egress.pcapng
	grep -q '^  + z.gamma.test  443/tcp' out && ok "the diff shows what the change added" || bad "diff: $(cat out)"
fi

echo "$pass passed, $fails failed"
[ "$fails" = 0 ] || exit 1
exit 0
