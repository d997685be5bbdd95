#!/usr/bin/env bash
# test_capture.sh - end-to-end test of pcapdomains-capture on real traffic in network namespaces.
#
# Two namespaces of our own joined by a veth pair: capture-e2e-srv (10.7.1.1, fd00:7::1) runs
# dnsmasq and python3 http.server; capture-e2e-cli (10.7.1.2, fd00:7::2) runs dig and curl. The
# helper captures the client namespace as netns:/run/netns/NAME and as pid:N (a sleep started in
# it), is stopped by SIGTERM, -c, --duration or SIGKILL, and its files are checked with capinfos
# and tshark: packet counts (equal to the helper's own count), interface names, the section
# header metadata, statistics blocks, ownership after the privilege drop, rotation rings, an
# interface added after the start, the addresses in each interface block, filters, and error
# messages. Nothing touches the host namespace's addresses or routes. Exit 0 pass, 1 fail,
# 77 skip.
set -u
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip dnsmasq dig curl capinfos tshark python3 setpriv stat; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
BIN=${PD_BIN:-build}/pcapdomains-capture
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }

N=capture
CLI=$N-e2e-cli-$$ # unique per run: parallel runs (other worktrees, CI retries) never collide
SRV=$N-e2e-srv-$$
tmp=$(mktemp -d /tmp/$N-e2e.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	ip netns del "$SRV" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -n "${cur_err:-}" ] && [ -f "$cur_err" ] && sed 's/^/  helper: /' "$cur_err"; exit 1; }
ok() { echo "ok: $*"; }

# ---- the two namespaces ----
ip netns add "$CLI" || fail "ip netns add"
ip netns add "$SRV" || fail "ip netns add"
ip -n "$CLI" link add $N-e0 type veth peer name $N-e1 netns "$SRV" || fail "veth"
ip -n "$CLI" link set lo up
ip -n "$SRV" link set lo up
ip -n "$CLI" addr add 10.7.1.2/24 dev $N-e0
ip -n "$CLI" addr add fd00:7::2/64 dev $N-e0 nodad
ip -n "$SRV" addr add 10.7.1.1/24 dev $N-e1
ip -n "$SRV" addr add fd00:7::1/64 dev $N-e1 nodad
ip -n "$CLI" link set $N-e0 up
ip -n "$SRV" link set $N-e1 up

mkdir -p "$tmp/www"
echo "hello from the capture test" >"$tmp/www/index.html"
head -c 2500000 /dev/urandom >"$tmp/www/big.bin"
ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
	--listen-address=10.7.1.1 --bind-interfaces --address=/www.capture.test/10.7.1.1 \
	--pid-file="$tmp/dnsmasq.pid" --user=root >"$tmp/dnsmasq.log" 2>&1 &
pids+=($!)
ip netns exec "$SRV" python3 -m http.server 8080 --bind 0.0.0.0 --directory "$tmp/www" \
	>"$tmp/http.log" 2>&1 &
pids+=($!)
for i in $(seq 50); do
	ip netns exec "$CLI" curl -s -m 1 -o /dev/null http://10.7.1.1:8080/ &&
		ip netns exec "$CLI" dig +short +time=1 +tries=1 @10.7.1.1 www.capture.test | grep -q . && break
	sleep 0.2
done
[ "$i" -lt 50 ] || fail "dnsmasq/http.server did not come up"

traffic() { # DNS then HTTP to the name it gave, as a container's program would
	local addr
	addr=$(ip netns exec "$CLI" dig +short @10.7.1.1 www.capture.test) || return 1
	ip netns exec "$CLI" dig +short @10.7.1.1 AAAA www.capture.test >/dev/null
	ip netns exec "$CLI" curl -s -m 5 -o /dev/null --resolve "www.capture.test:8080:$addr" \
		"http://www.capture.test:8080/${1:-index.html}"
}

# start_capture NAME ARGS...: runs the helper in the background, waits for its start line.
start_capture() {
	local name=$1
	shift
	cur_err=$tmp/$name.err
	"$BIN" "$@" 2>"$cur_err" &
	cap_pid=$!
	pids+=($cap_pid)
	for _ in $(seq 100); do
		grep -q "capturing" "$cur_err" && return 0
		kill -0 "$cap_pid" 2>/dev/null || fail "$name: helper exited early"
		sleep 0.05
	done
	fail "$name: helper did not start"
}
stop_capture() { # SIGTERM, expect exit 0
	kill -TERM "$cap_pid"
	wait "$cap_pid"
	local rc=$?
	[ "$rc" = 0 ] || fail "helper exited $rc after SIGTERM"
}
helper_count() { sed -n 's/^pcapdomains-capture: \([0-9]*\) packets.*/\1/p' "$cur_err" | tail -1; }
tshark_count() { tshark -r "$1" 2>/dev/null | wc -l; }
check_valid() { # capinfos reads it whole, no "cut short"
	capinfos "$1" >"$tmp/capinfos.out" 2>"$tmp/capinfos.err" || fail "capinfos $1: $(cat "$tmp/capinfos.err")"
	! grep -qi "cut short\|truncated\|error" "$tmp/capinfos.err" || fail "capinfos $1: $(cat "$tmp/capinfos.err")"
}
has() { grep -qF -- "$2" "$1" || fail "$3: '$2' not in $1"; }
# idb_addrs FILE IFACE: the if_IPv4addr/if_IPv6addr options of IFACE's interface blocks, one
# ADDR/PREFIX a line (a reader of the tests' own: neither tshark nor capinfos prints them).
idb_addrs() { python3 "$(dirname "$0")/pcapng_addrs.py" "$1" "$2"; }
# has_addrs FILE IFACE ADDR/PREFIX...: each address is in IFACE's interface block.
has_addrs() {
	local f=$1 i=$2 a
	shift 2
	idb_addrs "$f" "$i" >"$tmp/addrs.out" || fail "reading the interface blocks of $f"
	for a in "$@"; do
		grep -qxF -- "$a" "$tmp/addrs.out" || fail "$f: $i's block lacks address $a (has: $(tr '\n' ' ' <"$tmp/addrs.out"))"
	done
}

inode=$(stat -L -c %i /run/netns/"$CLI")

# ---- 1. netns:PATH, stopped by SIGTERM, default drop to nobody ----
f=$tmp/a.pcapng
start_capture a "netns:/run/netns/$CLI" -w "$f"
has "$cur_err" "as nobody" "start line"
traffic || fail "traffic"
traffic big.bin || fail "traffic"
sleep 0.3
stop_capture
check_valid "$f"
n=$(helper_count)
t=$(tshark_count "$f")
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "helper counted no packets"
[ "$n" = "$t" ] || fail "helper counted $n packets, tshark reads $t"
has "$tmp/capinfos.out" "Number of packets:   $n" "capinfos count"
dns=$(tshark -r "$f" -Y 'dns.qry.name == "www.capture.test"' 2>/dev/null | wc -l)
[ "$dns" -ge 4 ] || fail "expected DNS queries and answers for www.capture.test, got $dns"
http=$(tshark -r "$f" -Y 'http.host == "www.capture.test:8080"' 2>/dev/null | wc -l)
[ "$http" -ge 2 ] || fail "expected HTTP requests with Host www.capture.test, got $http"
for want in "Name = lo" "Name = $N-e0" "Description = $N-e0 in netns $CLI" \
	"pcapdomains.runtime=netns" "pcapdomains.container_name=$CLI" \
	"pcapdomains.netns_inode=$inode" "pcapdomains.helper_version=" "pcapdomains.host=" \
	"Captured by pcapdomains-capture" "Capture application: pcapdomains-capture" \
	"Time precision = nanoseconds (9)" "Number of stat entries = 1"; do
	has "$tmp/capinfos.out" "$want" "capinfos"
done
# Per-interface packet counts: tshark by interface equals the statistics block's usrdeliv.
e0=$(tshark -r "$f" -Y "frame.interface_name == \"$N-e0\"" 2>/dev/null | wc -l)
[ "$e0" -gt 0 ] || fail "no packets on $N-e0"
[ "$(stat -c %u:%g "$f")" = "65534:65534" ] || fail "owner $(stat -c %u:%g "$f"), want nobody"
# The addresses of each interface, read inside the namespace (not the host's).
has_addrs "$f" lo 127.0.0.1/8 ::1/128
has_addrs "$f" $N-e0 10.7.1.2/24 fd00:7::2/64
grep -q '^fe80::.*/64$' "$tmp/addrs.out" || fail "$N-e0: no link-local address in its block"
[ "$(wc -l <"$tmp/addrs.out")" = 3 ] || fail "$N-e0's block: $(tr '\n' ' ' <"$tmp/addrs.out"), want 3 addresses"
ok "netns: $n packets ($e0 on $N-e0), DNS+HTTP seen, metadata, interfaces, addresses, stats, owner nobody"

# ---- 2. pid:N with SUDO_UID/SUDO_GID: files belong to the invoking user ----
ip netns exec "$CLI" sleep 120 &
spid=$!
pids+=($spid)
sleep 0.2
f=$tmp/b.pcapng
SUDO_UID=4242 SUDO_GID=4243 start_capture b "pid:$spid" -w "$f"
has "$cur_err" "as uid 4242 (SUDO_UID)" "start line"
traffic || fail "traffic"
sleep 0.3
stop_capture
check_valid "$f"
n=$(helper_count)
[ "$n" -gt 0 ] && [ "$n" = "$(tshark_count "$f")" ] || fail "pid: counts differ ($n)"
has "$tmp/capinfos.out" "pcapdomains.runtime=pid" "capinfos"
has "$tmp/capinfos.out" "pcapdomains.pid=$spid" "capinfos"
has "$tmp/capinfos.out" "pcapdomains.netns_inode=$inode" "capinfos"
has "$tmp/capinfos.out" "pcapdomains.container_name=sleep" "capinfos"
[ "$(stat -c %u:%g "$f")" = "4242:4243" ] || fail "owner $(stat -c %u:%g "$f"), want 4242:4243"
ok "pid:$spid: $n packets, metadata, owner 4242:4243"

# The target process ending stops the capture by itself (exit 0, file whole).
f=$tmp/b2.pcapng
start_capture b2 "pid:$spid" -w "$f"
traffic || fail "traffic"
kill "$spid"
for _ in $(seq 40); do kill -0 "$cap_pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$cap_pid" 2>/dev/null && fail "helper still running after its target exited"
wait "$cap_pid" || fail "helper exited $? after its target exited"
has "$cur_err" "the target process $spid exited; stopping" "target exit"
check_valid "$f"
[ "$(tshark_count "$f")" -gt 0 ] || fail "target exit: no packets"
ok "target process exit stops the capture cleanly"

# ---- 3. rotation: -C 1 -W 3 is a ring of three whole files; -G with --duration ----
mkdir "$tmp/rot" && chown 4242 "$tmp/rot" # rotated files are made after the drop, as 4242
start_capture c "netns:/run/netns/$CLI" -w "$tmp/rot/ring.pcapng" -C 1 -W 3 -i $N-e0 -Z 4242
for _ in 1 2 3; do traffic big.bin || fail "traffic"; done
sleep 0.3
stop_capture
ls "$tmp"/rot/ring* >"$tmp/ring.list"
[ "$(wc -l <"$tmp/ring.list")" = 3 ] || fail "ring: want 3 files, got $(cat "$tmp/ring.list")"
for k in 000 001 002; do
	g=$tmp/rot/ring-$k.pcapng
	[ -f "$g" ] || fail "ring: no $g"
	check_valid "$g"
	has "$tmp/capinfos.out" "pcapdomains.runtime=netns" "ring file $k"
	has "$tmp/capinfos.out" "Name = $N-e0" "ring file $k"
	[ "$(tshark_count "$g")" -gt 0 ] || fail "ring file $k empty"
	sz=$(stat -c %s "$g")
	[ "$sz" -le 1300000 ] || fail "ring file $k is $sz bytes (limit 1 MB + one packet)"
	[ "$(stat -c %u "$g")" = 4242 ] || fail "ring file $k owner $(stat -c %u "$g")"
	has_addrs "$g" $N-e0 10.7.1.2/24 fd00:7::2/64
done
has "$cur_err" "files (last" "summary"
ok "rotation -C 1 -W 3: three valid files, each <= 1 MB with $N-e0's addresses, owned by -Z user"

cur_err=$tmp/d.err
"$BIN" "netns:/run/netns/$CLI" -w "$tmp/rot/tm.pcapng" -G 1 --duration 3.5 -Z 4242 2>"$cur_err" &
dpid=$!
for _ in $(seq 14); do traffic >/dev/null; sleep 0.25; done
wait $dpid || fail "-G/--duration: exit $?"
nf=$(ls "$tmp"/rot/tm-*.pcapng | wc -l)
[ "$nf" -ge 3 ] && [ "$nf" -le 5 ] || fail "-G 1 --duration 3.5: $nf files"
total=0
for g in "$tmp"/rot/tm-*.pcapng; do
	check_valid "$g"
	has "$tmp/capinfos.out" "Name = lo" "$g"
	total=$((total + $(tshark_count "$g")))
done
[ "$total" = "$(helper_count)" ] || fail "-G: files hold $total packets, helper counted $(helper_count)"
ok "rotation -G 1 --duration 3.5: $nf valid files, $total packets in all"

# ---- 4. an interface added after the start is captured; -c stops ----
f=$tmp/e.pcapng
start_capture e "netns:/run/netns/$CLI" -w "$f"
ip -n "$CLI" link add $N-x0 type veth peer name $N-x1 netns "$SRV"
ip -n "$CLI" addr add 10.7.2.2/24 dev $N-x0
ip -n "$CLI" addr add fd00:72::2/64 dev $N-x0 nodad
ip -n "$SRV" addr add 10.7.2.1/24 dev $N-x1
sleep 1.2 # a rescan while it is down: it waits until it is up
ip -n "$CLI" link set $N-x0 up
ip -n "$SRV" link set $N-x1 up
sleep 1.5
ip netns exec "$CLI" curl -s -m 3 -o /dev/null http://10.7.2.1:8080/ || fail "curl over $N-x0"
sleep 0.3
stop_capture
check_valid "$f"
has "$cur_err" "capturing on new interface $N-x0" "new interface"
has "$tmp/capinfos.out" "Name = $N-x0" "capinfos"
x0=$(tshark -r "$f" -Y "frame.interface_name == \"$N-x0\" && tcp.port == 8080" 2>/dev/null | wc -l)
[ "$x0" -gt 0 ] || fail "no HTTP packets on the new interface $N-x0"
has_addrs "$f" $N-x0 10.7.2.2/24 fd00:72::2/64
ok "interface added after the start: $x0 HTTP packets on $N-x0, its block has its addresses"

f=$tmp/g.pcapng
cur_err=$tmp/g.err
("$BIN" "netns:/run/netns/$CLI" -w "$f" -c 5 -f 'udp port 53' 2>"$cur_err"; echo $? >"$tmp/g.rc") &
gpid=$!
sleep 0.5
for _ in 1 2 3 4 5; do traffic >/dev/null; done
wait $gpid
[ "$(cat "$tmp/g.rc")" = 0 ] || fail "-c 5: exit $(cat "$tmp/g.rc")"
check_valid "$f"
[ "$(tshark_count "$f")" = 5 ] || fail "-c 5 -f 'udp port 53': $(tshark_count "$f") packets"
[ "$(tshark -r "$f" -Y 'dns' 2>/dev/null | wc -l)" = 5 ] || fail "-f 'udp port 53' let non-DNS through"
has "$tmp/capinfos.out" "pcapdomains.filter=udp port 53" "capinfos"
ok "-c 5 -f 'udp port 53': exactly 5 DNS packets, filter in the metadata"

# Inside the namespace already (as in a container sharing the target's network): no setns,
# so CAP_SYS_ADMIN is not needed; --name records the container's name.
f=$tmp/s.pcapng
cur_err=$tmp/s.err
(ip netns exec "$CLI" setpriv --bounding-set -sys_admin "$BIN" netns:/proc/self/ns/net --name web \
	-c 4 -w "$f" 2>"$cur_err"; echo $? >"$tmp/s.rc") &
spid2=$!
sleep 0.5
for _ in 1 2 3; do traffic >/dev/null; done
wait $spid2
[ "$(cat "$tmp/s.rc")" = 0 ] || fail "netns:/proc/self/ns/net without CAP_SYS_ADMIN: exit $(cat "$tmp/s.rc")"
check_valid "$f"
has "$tmp/capinfos.out" "pcapdomains.container_name=web" "--name"
has "$tmp/capinfos.out" "pcapdomains.netns_inode=$inode" "own namespace"
[ "$(tshark_count "$f")" = 4 ] || fail "own namespace: $(tshark_count "$f") packets"
ok "own namespace (netns:/proc/self/ns/net) without CAP_SYS_ADMIN, --name recorded"

# ---- 5. standard output, and a SIGKILL leaves a file that reads to its last whole block ----
cnt=$( (sleep 0.4; for _ in 1 2; do traffic >/dev/null; done) & "$BIN" -q "netns:/run/netns/$CLI" -w - -c 6 2>/dev/null | tshark -r - 2>/dev/null | wc -l)
[ "$cnt" = 6 ] || fail "-w - -c 6 piped into tshark: $cnt packets"
ok "-w - into tshark: 6 packets"

# A reader that goes away (EPIPE) ends the capture as a failure (exit 2) saying how much was
# written: what it did not read is lost.
( (sleep 0.5; for _ in 1 2 3 4; do traffic >/dev/null; done) &
	"$BIN" -q "netns:/run/netns/$CLI" -w - --duration 20 2>"$tmp/pipe.err" | head -c 3000 >/dev/null
	echo "${PIPESTATUS[0]}" >"$tmp/pipe.rc"; wait) &
ppid2=$!
for _ in $(seq 100); do [ -s "$tmp/pipe.rc" ] && break; sleep 0.1; done
wait $ppid2
[ "$(cat "$tmp/pipe.rc" 2>/dev/null)" = 2 ] || fail "-w - into a reader that quits: exit $(cat "$tmp/pipe.rc" 2>/dev/null) $(cat "$tmp/pipe.err")"
grep -Eq 'standard output was closed by its reader after [0-9]+ bytes' "$tmp/pipe.err" || fail "-w - into a reader that quits: no word of how much was written: $(cat "$tmp/pipe.err")"
ok "-w - into a reader that quits early: exit 2, says how much was written"

f=$tmp/k.pcapng
start_capture k "netns:/run/netns/$CLI" -w "$f"
traffic big.bin
sleep 1.5
kill -KILL "$cap_pid"
wait "$cap_pid" 2>/dev/null
check_valid "$f"
[ "$(tshark_count "$f")" -gt 0 ] || fail "SIGKILL: no packets reached the file"
ok "SIGKILL: file reads whole to its last block ($(tshark_count "$f") packets)"

# On a terminal: one live line per second, redrawn in place, then the summary.
if command -v script >/dev/null; then
	(sleep 1.3; traffic >/dev/null) &
	script -qfc "timeout -s INT 2.6 $BIN netns:/run/netns/$CLI -i $N-e0 -w $tmp/t.pcapng" /dev/null >"$tmp/tty.out"
	grep -q $'\r\e\[K[0-9]* pkts, .* dropped | '"$N-e0: [0-9]* pkts" "$tmp/tty.out" || fail "no live line: $(cat -v "$tmp/tty.out")"
	grep -q $'\r\e\[Kpcapdomains-capture: [1-9][0-9]* packets' "$tmp/tty.out" || fail "no summary after the live line: $(cat -v "$tmp/tty.out")"
	ok "live progress line on a terminal"
fi

# ---- 6. errors: one line, exit 2 ----
expect_err() { # expect_err WHAT-TO-GREP CMD...
	local want=$1
	shift
	"$@" >"$tmp/x.out" 2>"$tmp/x.err"
	local rc=$?
	[ "$rc" = 2 ] || fail "$*: exit $rc, want 2 ($(cat "$tmp/x.err"))"
	grep -qF -- "$want" "$tmp/x.err" || fail "$*: message '$(cat "$tmp/x.err")' lacks '$want'"
}
expect_err "pid:999999999: no process" "$BIN" pid:999999999 -w "$tmp/x.pcapng"
expect_err "does not exist" "$BIN" netns:/run/netns/$N-nosuch -w "$tmp/x.pcapng"
expect_err "no interface nosuch0 in its network namespace (it has: lo" \
	"$BIN" "netns:/run/netns/$CLI" -i nosuch0 -w "$tmp/x.pcapng"
expect_err "bad filter -f 'port nonsense'" "$BIN" "netns:/run/netns/$CLI" -f 'port nonsense' -w "$tmp/x.pcapng"
expect_err "no output file" "$BIN" "netns:/run/netns/$CLI"
expect_err "unknown target kind" "$BIN" lxc:foo -w "$tmp/x.pcapng"
expect_err "-W needs -C or -G" "$BIN" "netns:/run/netns/$CLI" -W 3 -w "$tmp/x.pcapng"
expect_err "missing capability CAP_NET_RAW" \
	setpriv --bounding-set -net_raw "$BIN" "netns:/run/netns/$CLI" -w "$tmp/x.pcapng"
cp "$BIN" "$tmp/helper" && chmod 755 "$tmp/helper"
expect_err "missing capability CAP_NET_RAW (to open packet sockets) and CAP_SYS_ADMIN" \
	setpriv --reuid 65534 --regid 65534 --clear-groups "$tmp/helper" "netns:/run/netns/$CLI" -w "$tmp/x.pcapng"
[ ! -e "$tmp/x.pcapng" ] || fail "a failed start left $tmp/x.pcapng"
"$BIN" --help | grep -q "usage: pcapdomains-capture" || fail "--help"
"$BIN" --version | grep -q "^pcapdomains-capture [0-9]" || fail "--version"
ok "errors: no process, no namespace, no interface, bad filter, usage, missing capabilities"

# ---- 7. the analyzer reads the helper's metadata (once its pcapng reader has landed) ----
PD=${PD_BIN:-build}/pcapdomains
if [ ! -x "$PD" ]; then
	echo "note: $PD is not built; the analyzer check is left out"
elif "$PD" ingest --db "$tmp/db.sqlite" "$tmp/a.pcapng" >"$tmp/ingest.out" 2>&1; then
	row=$(sqlite3 "$tmp/db.sqlite" "SELECT runtime, container_name, netns_inode, packets FROM captures")
	want="netns|$CLI|$inode|$(tshark_count "$tmp/a.pcapng")"
	[ "$row" = "$want" ] || fail "captures row '$row', want '$want'"
	ifs=$(sqlite3 "$tmp/db.sqlite" "SELECT group_concat(name, ',') FROM (SELECT name FROM interfaces ORDER BY idx)")
	[ "$ifs" = "lo,$N-e0" ] || fail "interfaces table '$ifs'"
	app=$(sqlite3 "$tmp/db.sqlite" "SELECT capture_app || '|' || ifnull(drops, 'NULL') FROM captures")
	drops=$(sed -n 's/.*, \([0-9]*\) dropped by the kernel.*/\1/p' "$tmp/a.err")
	[ "$app" = "pcapdomains-capture $("$BIN" --version | cut -d' ' -f2)|$drops" ] || fail "capture_app|drops '$app', helper said $drops dropped"
	ok "pcapdomains ingest: captures row $row, interfaces $ifs, $app"
elif grep -q "not built yet" "$tmp/ingest.out" 2>/dev/null; then
	echo "note: pcapdomains ingest is not built yet; the analyzer check is left out"
else
	fail "pcapdomains ingest failed on the helper's file: $(cat "$tmp/ingest.out")"
fi
echo "PASS"
