#!/usr/bin/env bash
# test_engine_docker.sh - pcapdomains-capture on a container of a real Docker engine (Debian's
# docker.io), end to end.
#
# A private dockerd: its own --host unix socket, --data-root, --exec-root and --pidfile under
# the test's directory, --iptables=false --ip-forward=false --bridge=none (no host firewall
# rule, no forwarding change, no docker0); it starts its own containerd (or, where a system
# containerd runs, uses it in containerd namespaces of its own). The image is imported
# offline (busybox, curl and their libraries). A user-defined network with its own bridge name
# (10.90.N.0/24, fd00:90:N::/64) gives the container Docker's embedded DNS at 127.0.0.11, which
# forwards to the test's dnsmasq (--dns) on the bridge address, where http.server and s_server
# listen too. The helper captures docker:NAME through DOCKER_HOST while the container joins a
# second network (eth1 appears during the capture) and resolves and calls the servers (docker
# exec /calls.sh); engines_lib.sh checks the file (eth1's block too) and the report.
# Everything (container, network and bridge, daemons, mounts, directory) is removed on exit.
# Exit 0 pass, 1 fail, 77 skip (not root, docker.io not installed, or dockerd cannot start).
set -u
. "$(dirname "$0")/engines_lib.sh"
eng_init docker 90

command -v dockerd >/dev/null 2>&1 || eng_skip "dockerd not installed (Debian package docker.io)"
# Debian's docker client (another one earlier on PATH may be of another version).
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker) || eng_skip "no docker client"
command -v busybox >/dev/null 2>&1 || eng_skip "busybox not installed"
SOCK=$ENG_TMP/docker.sock
DK=("$DOCKER" -H "unix://$SOCK")
CTR=pd-eng-$$
NET=pd-eng-net-$$

host_state() { # the host's firewall and forwarding, which this engine must leave alone
	iptables-save 2>/dev/null | grep -v '^#'
	ip6tables-save 2>/dev/null | grep -v '^#'
	sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
}
# test_engine_podman.sh holds this lock while netavark changes the same things: shared here.
exec 9>/run/lock/pcapdomains-e2e-podman.lock
flock -s -w 300 9 || eng_die "a podman test held the lock for 5 minutes"
host_state >"$ENG_TMP/host.before"
eng_certs || eng_die "openssl req"
eng_rootfs "$ENG_TMP/rootfs" || eng_die "building the image's directory"

t0=$(date +%s.%N)
dockerd --host "unix://$SOCK" --data-root "$ENG_TMP/data" --exec-root "$ENG_TMP/exec" \
	--pidfile "$ENG_TMP/docker.pid" --iptables=false --ip-forward=false --ip-masq=false \
	--bridge=none --containerd-namespace "pd-eng-$$" --containerd-plugins-namespace \
	"pd-eng-$$-plugins" --log-level warn >"$ENG_TMP/dockerd.log" 2>&1 &
ENG_PIDS+=($!)
DPID=$!
# Stopped first among the daemons: dockerd stops its containerd and unmounts its layers.
ENG_CLEANUP+=("kill $DPID; for _ in \$(seq 100); do kill -0 $DPID || break; sleep 0.1; done")
for _ in $(seq 150); do
	"${DK[@]}" version >/dev/null 2>&1 && break
	kill -0 $DPID 2>/dev/null || eng_skip "dockerd cannot start here: $(tail -3 "$ENG_TMP/dockerd.log")"
	sleep 0.1
done
"${DK[@]}" version >/dev/null 2>&1 || eng_skip "dockerd did not answer in 15 s: $(tail -3 "$ENG_TMP/dockerd.log")"
eng_ok "private dockerd ready in $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s"

tar -C "$ENG_TMP/rootfs" -c . | "${DK[@]}" import - pd-eng:1 >/dev/null || eng_die "docker import"
"${DK[@]}" network create -d bridge -o com.docker.network.bridge.name="$ENG_BR" \
	--subnet "$ENG_NET.0/24" --gateway "$ENG_GW" --ipv6 --subnet "${ENG_NET6}/64" \
	--gateway "${ENG_NET6}1" "$NET" >/dev/null || eng_die "docker network create"
ENG_CLEANUP+=("'${DK[0]}' -H 'unix://$SOCK' network rm $NET; ip link del $ENG_BR")
eng_servers
"${DK[@]}" run -d --name "$CTR" --network "$NET" --dns "$ENG_GW" pd-eng:1 /bin/sleep 600 \
	>/dev/null 2>"$ENG_TMP/run.err" || eng_die "docker run: $(cat "$ENG_TMP/run.err")"
ENG_CLEANUP+=("'${DK[0]}' -H 'unix://$SOCK' rm -f $CTR")
id=$("${DK[@]}" inspect -f '{{.Id}}' "$CTR")
pid=$("${DK[@]}" inspect -f '{{.State.Pid}}' "$CTR")
grep -q 127.0.0.11 <("${DK[@]}" exec "$CTR" cat /etc/resolv.conf) ||
	eng_fail "the container's resolver is not Docker's embedded DNS"

host_state | diff "$ENG_TMP/host.before" - >"$ENG_TMP/host.diff" &&
	eng_ok "host firewall and forwarding sysctls untouched by the engine" ||
	eng_fail "the engine changed the host: $(cat "$ENG_TMP/host.diff")"
flock -u 9
# A second network joined while the helper captures: eth1 appears in the namespace, and its
# interface block must carry the addresses Docker gave it.
NET2=pd-eng-net2-$$
BR2=${ENG_BR:0:13}x2
NET2_4=10.90.$(eng_free_net 90 $(($$ + 100)))
"${DK[@]}" network create -d bridge -o com.docker.network.bridge.name="$BR2" \
	--subnet "$NET2_4.0/24" --ipv6 --subnet "${ENG_NET6%::}:1::/64" "$NET2" >/dev/null ||
	eng_die "docker network create $NET2"
ENG_CLEANUP+=("'${DK[0]}' -H 'unix://$SOCK' network rm $NET2; ip link del $BR2")
calls() {
	"${DK[@]}" network connect "$NET2" "$CTR" || return 1
	sleep 1.5 # the helper looks for new interfaces every second
	"${DK[@]}" exec "$CTR" /calls.sh
}
EXEC_CMD=(calls)
eng_capture "docker:$CTR" "$ENG_TMP/docker.pcapng" DOCKER_HOST="unix://$SOCK"
grep -q "capturing on new interface eth1" "$ENG_TMP/cap.err" ||
	eng_fail "the helper did not pick up eth1: $(cat "$ENG_TMP/cap.err")"
eng_check "$ENG_TMP/docker.pcapng" docker "$id" "$CTR" pd-eng:1 "$pid"
eng_done
