#!/usr/bin/env bash
# test_allowlist_formats.sh - `allowlist` in other systems' formats, from the bundled captures:
#  - Kubernetes NetworkPolicy validated by kubernetes-models (NetworkPolicy.validate(), npm,
#    installed here with `npm ci` from tests/node/package-lock.json into a temporary copy);
#  - CiliumNetworkPolicy checked field by field against Cilium's documented shape (cilium.io/v2,
#    spec.endpointSelector, egress rules with toFQDNs matchName/matchPattern and toPorts
#    ports[].port (string) / protocol (TCP|UDP|ANY), the kube-dns rule with rules.dns that
#    toFQDNs needs, toCIDR for unnamed addresses);
#  - Harden-Runner allowed-endpoints (host:port lines) and the squid dstdomain ACL;
#  - format by --format or by the output's name, and the conflict of the two.
# Needs python3 with yaml, node and npm (the NetworkPolicy part skips without them).
set -uo pipefail
src=${PD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PD_BIN:-$src/build}
pd=$bin/pcapdomains
[ -x "$pd" ] || { echo "FAIL: $pd not built"; exit 1; }
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml not installed"; exit 77; }
work=$(mktemp -d /tmp/allowfmt.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { fails=$((fails + 1)); echo "FAIL $*"; }
caps=("$src/testdata/sample.pcapng" "$src/testdata/sample-sll2.pcap")

"$pd" allowlist -o "$work/p.cilium.yaml" "${caps[@]}" 2>"$work/err" || bad "cilium by name: $(cat "$work/err")"
"$pd" allowlist --format networkpolicy -o "$work/np.yaml" "${caps[@]}" 2>/dev/null || bad "networkpolicy"
"$pd" allowlist --format harden-runner "${caps[@]}" >"$work/hr.txt" 2>/dev/null || bad "harden-runner"
"$pd" allowlist -o "$work/s.squid.conf" "${caps[@]}" 2>/dev/null || bad "squid by name"

# Cilium, field by field
if python3 - "$work/p.cilium.yaml" <<'PY'; then ok "CiliumNetworkPolicy has the documented shape"; else bad "CiliumNetworkPolicy shape"; fi
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["apiVersion"] == "cilium.io/v2" and d["kind"] == "CiliumNetworkPolicy", d
assert d["metadata"]["name"]
spec = d["spec"]
assert spec["endpointSelector"] == {}
eg = spec["egress"]
dns = eg[0]
assert dns["toEndpoints"][0]["matchLabels"] == {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}, dns
tp = dns["toPorts"][0]
assert tp["ports"][0] == {"port": "53", "protocol": "ANY"}, tp
assert tp["rules"]["dns"][0] == {"matchPattern": "*"}, tp
names, cidrs = set(), set()
for r in eg[1:]:
    keys = set(r) - {"toPorts"}
    assert keys in ({"toFQDNs"}, {"toCIDR"}), r
    for p in r["toPorts"]:
        for q in p["ports"]:
            assert isinstance(q["port"], str) and q["port"].isdigit() and 0 < int(q["port"]) < 65536, q
            assert q["protocol"] in ("TCP", "UDP", "ANY"), q
    if "toFQDNs" in r:
        for s in r["toFQDNs"]:
            assert set(s) <= {"matchName", "matchPattern"} and len(s) == 1, s
            names.add(list(s.values())[0])
    else:
        for c in r["toCIDR"]:
            assert "/" in c
            cidrs.add(c)
want = {"api.example.test", "shop.example.test", "quic.example.test", "www.media.test"}
assert want <= names, names
assert "10.8.0.30/32" in cidrs, cidrs
PY

# NetworkPolicy through kubernetes-models
if command -v node >/dev/null && command -v npm >/dev/null; then
	cp "$src/tests/node/package.json" "$src/tests/node/package-lock.json" "$src/tests/node/validate-netpol.mjs" "$work/"
	if (cd "$work" && timeout 180 npm ci --no-audit --no-fund >"$work/npm.log" 2>&1); then
		node "$work/validate-netpol.mjs" "$work/np.yaml" >"$work/v.out" 2>&1 &&
			ok "NetworkPolicy validates with kubernetes-models: $(cat "$work/v.out")" ||
			bad "NetworkPolicy invalid: $(cat "$work/v.out")"
		sed 's/protocol: TCP/protocol: TCPX/' "$work/np.yaml" >"$work/np-bad.yaml"
		node "$work/validate-netpol.mjs" "$work/np-bad.yaml" >/dev/null 2>&1 &&
			bad "a broken NetworkPolicy validated" || ok "kubernetes-models rejects a bad protocol"
		grep -q 'cidr: fd00:8::10/128' "$work/np.yaml" && grep -q 'cidr: 10.8.0.50/32' "$work/np.yaml" &&
			ok "NetworkPolicy: an ipBlock per address (/32, /128)" || bad "NetworkPolicy ipBlocks"
	else
		echo "SKIP (partly): npm ci failed (no registry?): $(tail -2 "$work/npm.log")"
	fi
else
	echo "SKIP (partly): node/npm not installed: NetworkPolicy not validated"
fi

# Harden-Runner: host:port lines only (comments are outside the YAML value)
grep -v '^#' "$work/hr.txt" | grep -Evq '^(\[[0-9a-f:]+\]|[A-Za-z0-9.*_-]+):[0-9]+$' &&
	bad "harden-runner: a line that is not host:port: $(grep -v '^#' "$work/hr.txt")" ||
	ok "harden-runner: host:port lines"
grep -qx 'api.example.test:443' "$work/hr.txt" && ok "harden-runner lists api.example.test:443" || bad "harden-runner content"

# squid: every non-comment line is an acl or http_access line, no trailing comments
grep -v '^#' "$work/s.squid.conf" | grep -Evq '^(acl pcapdomains_allowed dstdomain [A-Za-z0-9._-]+|acl pcapdomains_allowed_ip dst [0-9a-f.:]+|http_access allow pcapdomains_allowed)$' &&
	bad "squid: unexpected line" || ok "squid: dstdomain ACL lines"
grep -qx 'acl pcapdomains_allowed dstdomain www.media.test' "$work/s.squid.conf" && ok "squid lists www.media.test" || bad "squid content"

rc=0
"$pd" allowlist --format squid -o "$work/x.cilium.yaml" "${caps[@]}" >/dev/null 2>"$work/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'conflicts with' "$work/err" && ok "--format squid -o x.cilium.yaml: usage error" || bad "conflict: exit $rc"

[ "$fails" = 0 ] && { echo "PASS"; exit 0; }
echo "$fails failed"
exit 1
