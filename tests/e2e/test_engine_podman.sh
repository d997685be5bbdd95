#!/usr/bin/env bash
# test_engine_podman.sh - pcapdomains-capture on a container of a real Podman engine (Debian's
# podman with runc and netavark), end to end.
#
# A private Podman: --root, --runroot, --tmpdir under the test's directory, a CONTAINERS_CONF
# of its own (runtime runc: crun refuses a hybrid cgroup layout; cgroupfs; default_ulimits
# nofile 1024:4096 and nproc 4096:4096; events and network definitions in our directory), and
# `podman system service` on a socket of its own for the helper (CONTAINER_HOST). The image is
# imported offline (busybox, curl and their libraries). A bridge network of the test's own
# (bridge name set in its definition, 10.91.N.0/24 and fd00:91:N::/64, internal: no NAT rule)
# joins the container to the test's dnsmasq (--dns), http.server and s_server on the bridge
# address. engines_lib.sh checks the capture and the report.
#
# netavark changes the host: it creates NETAVARK_* iptables chains and sets the forwarding
# sysctls. Runs of this test hold a lock for their whole length, note what was there before,
# and restore it on exit (chains deleted only when none existed before; sysctls put back).
# Exit 0 pass, 1 fail, 77 skip (not root, podman not installed, or it cannot run a container).
set -u
. "$(dirname "$0")/engines_lib.sh"
eng_init podman 91

command -v podman >/dev/null 2>&1 || eng_skip "podman not installed (Debian package podman)"
command -v runc >/dev/null 2>&1 || eng_skip "runc not installed"
command -v busybox >/dev/null 2>&1 || eng_skip "busybox not installed"
command -v iptables >/dev/null 2>&1 || eng_skip "iptables not installed"
CTR=pd-eng-$$
NET=pd-eng-net-$$
SOCK=$ENG_TMP/podman.sock

# One podman test at a time on this machine: the chains and sysctls netavark touches are shared.
exec 9>/run/lock/pcapdomains-e2e-podman.lock
flock -w 300 9 || eng_die "another podman test held the lock for 5 minutes"

# What netavark may change, as it is now.
fwd4=$(sysctl -n net.ipv4.ip_forward)
fwd6=$(sysctl -n net.ipv6.conf.all.forwarding)
had_chains4=$(iptables-save 2>/dev/null | grep -c NETAVARK)
had_chains6=$(ip6tables-save 2>/dev/null | grep -c NETAVARK)
had_run_nets=0
[ -e /run/containers/networks ] && had_run_nets=1
had_cache=0
[ -e /var/lib/containers/cache ] && had_cache=1
# Deletes the NETAVARK_* chains and the rules that jump to them (with cmd iptables/ip6tables).
drop_chains() {
	local cmd=$1 t r c
	for t in filter nat mangle; do
		"$cmd" -t $t -S 2>/dev/null | grep -- '-j NETAVARK' | grep '^-A' | while read -r r; do
			# shellcheck disable=SC2086
			eval "$cmd -t $t -D ${r#-A }"
		done
		for c in $("$cmd" -t $t -S 2>/dev/null | awk '/^-N NETAVARK/ { print $2 }'); do
			"$cmd" -t $t -F "$c"
		done
		for c in $("$cmd" -t $t -S 2>/dev/null | awk '/^-N NETAVARK/ { print $2 }'); do
			"$cmd" -t $t -X "$c"
		done
	done
}
restore_host() {
	sysctl -qw net.ipv4.ip_forward="$fwd4" net.ipv6.conf.all.forwarding="$fwd6"
	[ "$had_chains4" = 0 ] && drop_chains iptables
	[ "$had_chains6" = 0 ] && drop_chains ip6tables
	[ $had_run_nets = 0 ] && rm -rf /run/containers/networks && rmdir /run/containers
	[ $had_cache = 0 ] && rm -rf /var/lib/containers/cache && rmdir /var/lib/containers
	ip link del "$ENG_BR"
}
ENG_CLEANUP+=(restore_host)

export CONTAINERS_CONF=$ENG_TMP/containers.conf
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$ENG_TMP/events.log"
[network]
network_backend = "netavark"
network_config_dir = "$ENG_TMP/networks"
EOF
PM=(podman --root "$ENG_TMP/root" --runroot "$ENG_TMP/run" --tmpdir "$ENG_TMP/tmp"
	--storage-driver overlay)
ENG_CLEANUP+=("podman --root '$ENG_TMP/root' --runroot '$ENG_TMP/run' --tmpdir '$ENG_TMP/tmp' --storage-driver overlay rmi -a -f")

eng_certs || eng_die "openssl req"
eng_rootfs "$ENG_TMP/rootfs" || eng_die "building the image's directory"
tar -C "$ENG_TMP/rootfs" -c . | "${PM[@]}" import - pd-eng:1 >/dev/null 2>"$ENG_TMP/import.err" ||
	eng_skip "podman cannot import an image here: $(tail -2 "$ENG_TMP/import.err")"

"${PM[@]}" network create --internal --disable-dns --subnet "$ENG_NET.0/24" --gateway "$ENG_GW" \
	--subnet "${ENG_NET6}/64" --gateway "${ENG_NET6}1" "$NET" >/dev/null ||
	eng_die "podman network create"
# Podman 4.3 has no option for the bridge's name: it is written into the definition.
sed -i "s/\"network_interface\": \"[^\"]*\"/\"network_interface\": \"$ENG_BR\"/" \
	"$ENG_TMP/networks/$NET.json"
grep -q "\"$ENG_BR\"" "$ENG_TMP/networks/$NET.json" || eng_die "setting the bridge name"
ENG_CLEANUP+=("podman --root '$ENG_TMP/root' --runroot '$ENG_TMP/run' --tmpdir '$ENG_TMP/tmp' --storage-driver overlay network rm -f $NET")

"${PM[@]}" run -d --name "$CTR" --network "$NET" --dns "$ENG_GW" pd-eng:1 /bin/sleep 600 \
	>/dev/null 2>"$ENG_TMP/run.err" ||
	eng_skip "podman cannot run a container here: $(tail -3 "$ENG_TMP/run.err")"
ENG_CLEANUP+=("podman --root '$ENG_TMP/root' --runroot '$ENG_TMP/run' --tmpdir '$ENG_TMP/tmp' --storage-driver overlay rm -f -t 0 $CTR")
eng_servers # the bridge exists once a container is on the network

"${PM[@]}" system service --time=0 "unix://$SOCK" >"$ENG_TMP/service.log" 2>&1 &
ENG_PIDS+=($!)
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	sleep 0.1
done
[ -S "$SOCK" ] || eng_die "podman system service did not open $SOCK: $(cat "$ENG_TMP/service.log")"

id=$("${PM[@]}" inspect -f '{{.Id}}' "$CTR")
pid=$("${PM[@]}" inspect -f '{{.State.Pid}}' "$CTR")
image=$("${PM[@]}" inspect -f '{{.ImageName}}' "$CTR")
EXEC_CMD=("${PM[@]}" exec "$CTR" /calls.sh)
eng_capture "podman:$CTR" "$ENG_TMP/podman.pcapng" CONTAINER_HOST="unix://$SOCK"
eng_check "$ENG_TMP/podman.pcapng" podman "$id" "$CTR" "$image" "$pid"
eng_done
