// validate-netpol.mjs FILE: parses a Kubernetes NetworkPolicy (YAML) and validates it with
// kubernetes-models (NetworkPolicy.validate(), the OpenAPI schema of networking.k8s.io/v1).
// Exit 0 valid, 1 invalid (the error printed), 2 usage.
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";

if (process.argv.length !== 3) {
	console.error("usage: node validate-netpol.mjs FILE");
	process.exit(2);
}
const doc = YAML.parse(readFileSync(process.argv[2], "utf8"));
try {
	new NetworkPolicy(doc).validate();
} catch (e) {
	console.error(String(e && e.message ? e.message : e));
	process.exit(1);
}
console.log(`valid: ${doc.spec.egress.length} egress rules`);
