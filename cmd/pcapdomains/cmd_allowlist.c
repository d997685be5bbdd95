/*
 * cmd_allowlist.c - `pcapdomains allowlist CAPTURE...`: write a policy (SPEC 2.7) from the
 * traffic observed, for a person to review and commit.
 *
 * Names where they are known, one entry per (name, port, protocol); when one registrable
 * domain shows PD_ALLOWLIST_WILDCARD or more different names on the same port and protocol,
 * they fold into "*.domain" (plus the domain itself when it was seen). Addresses appear only
 * where no name is known, each marked "REVIEW" with its evidence, because an address
 * allowlist breaks as soon as the service moves. A name from a reverse lookup does not count
 * as known: policies do not trust PTR names (pd_policy_name), so its address is listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "load.h"
#include "names.h"
#include "policy.h"

#define PD_ALLOWLIST_WILDCARD 3

static const char help[] =
        "usage: pcapdomains allowlist [options] CAPTURE...\n"
        "       pcapdomains allowlist --db FILE\n"
        "\n"
        "Writes a policy file (the format `check --allow` reads) from the destinations seen:\n"
        "names with their port and protocol, several names of one domain folded into\n"
        "'*.domain', and addresses only where no name is known, marked REVIEW. From several\n"
        "captures (runs), each entry says in how many it was seen, and one missing from some\n"
        "is marked ONLY-SOME. CAPTURE may be a directory, '-' or a compressed capture.\n"
        "\n"
        "  -o FILE            write the policy to FILE instead of stdout; the format follows\n"
        "                     the name: .cilium.yaml .netpol.yaml .harden-runner.txt\n"
        "                     .squid.conf/.acl, else pcapdomains' own (.policy, .txt)\n"
        "  --format NAME      policy (default), cilium (CiliumNetworkPolicy: toFQDNs, toPorts\n"
        "                     and the kube-dns rule), networkpolicy (Kubernetes: ipBlock per\n"
        "                     address seen), harden-runner (allowed-endpoints host:port),\n"
        "                     squid (dstdomain ACL)\n"
        "  --db FILE          add the captures to FILE and list only them; without\n"
        "                     captures, list every capture FILE holds\n"
        "  -f, --filter BPF   only packets matching this filter\n"
        "  --dns-grace SEC    seconds past a DNS TTL an answer still names a flow (default 60)\n"
        "  --local ADDR|CIDR  the audited subject's address or network (repeatable); without\n"
        "                     it: the capture's interface addresses, else inferred\n"
        "  --inbound          also judge inbound connections (someone connecting to the subject)\n"
        "  --internal         also judge internal traffic (both ends local, loopback)\n"
        "  --control          also judge link-local control traffic (ND, DHCP, mDNS, ...)\n"
        "\n"
        "Example: pcapdomains allowlist -o egress.policy ci-run.pcapng\n";

struct entry {
	char reg[256]; /* registrable domain */
	const struct pd_dest *d;
};

static int by_reg(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->reg, y->reg);

	if (c)
		return c;
	if ((c = strcmp(x->d->proto, y->d->proto)))
		return c;
	if (x->d->port != y->d->port)
		return x->d->port < y->d->port ? -1 : 1;
	return strcmp(x->d->name, y->d->name);
}

/* "host:port/proto" as the policy grammar reads it: IPv6 in brackets, no port for portless
 * protocols, no protocol the grammar does not name. */
static void format_entry(char *buf, size_t n, const char *prefix, const char *host,
                         const struct pd_dest *d)
{
	bool v6 = strchr(host, ':') != NULL;
	bool known = !strcmp(d->proto, "tcp") || !strcmp(d->proto, "udp") ||
	             !strcmp(d->proto, "icmp") || !strcmp(d->proto, "icmp6");
	char port[8] = "";

	if (d->port)
		snprintf(port, sizeof(port), ":%u", d->port);
	snprintf(buf, n, "%s%s%s%s%s%s%s", prefix, v6 && d->port ? "[" : "", host,
	         v6 && d->port ? "]" : "", port, known ? "/" : "", known ? d->proto : "");
}

/* The number of captures the policy is made from (0: one, or unknown). */
static unsigned total_captures;

/* ", seen in N of M captures" (marked ONLY-SOME when not in all of them); nothing for one. */
static void seen_in(FILE *f, unsigned n)
{
	if (total_captures <= 1)
		return;
	fprintf(f, ", seen in %u of %u captures%s", n, total_captures,
	        n < total_captures ? " (ONLY-SOME: missing from some runs)" : "");
}

static void print_addr(FILE *f, const struct pd_dest *d)
{
	char entry[128];

	format_entry(entry, sizeof(entry), "", d->server_ip, d);
	if (d->name && pd_policy_name_ok(d->name))
		fprintf(f,
		        "%-44s # REVIEW: named only by a reverse lookup (%s, evidence %s), "
		        "%llu flow%s",
		        entry, d->name, d->evidence, (unsigned long long)d->flows,
		        d->flows == 1 ? "" : "s");
	else
		fprintf(f, "%-44s # REVIEW: no name seen (evidence %s), %llu flow%s", entry,
		        d->evidence, (unsigned long long)d->flows, d->flows == 1 ? "" : "s");
	seen_in(f, d->captures);
	fputc('\n', f);
}

/* Writes entries [i, j) (one registrable domain, port and protocol). */
static void print_group(FILE *f, const struct entry *e, size_t i, size_t j)
{
	char entry[600];
	size_t k, distinct = 0, flows = 0;
	unsigned seen = 0;
	bool apex = false;

	for (k = i; k < j; k++) {
		flows += e[k].d->flows;
		if (e[k].d->captures > seen) /* a lower bound for the group: the most of any row */
			seen = e[k].d->captures;
		if (k == i || strcmp(e[k].d->name, e[k - 1].d->name))
			distinct++;
		if (!strcmp(e[k].d->name, e[k].reg))
			apex = true;
	}
	if (distinct - apex >= PD_ALLOWLIST_WILDCARD) {
		if (apex) {
			format_entry(entry, sizeof(entry), "", e[i].reg, e[i].d);
			fprintf(f, "%-44s # seen\n", entry);
		}
		format_entry(entry, sizeof(entry), "*.", e[i].reg, e[i].d);
		fprintf(f, "%-44s # %zu names, %zu flows, e.g. %s", entry, distinct - apex, flows,
		        e[i].d->name);
		seen_in(f, seen);
		fputc('\n', f);
		return;
	}
	for (k = i; k < j; k++) {
		unsigned n = e[k].d->captures;
		size_t m;
		if (k > i && !strcmp(e[k].d->name, e[k - 1].d->name))
			continue; /* same name on several addresses */
		for (m = k + 1; m < j && !strcmp(e[m].d->name, e[k].d->name); m++)
			if (e[m].d->captures > n)
				n = e[m].d->captures;
		format_entry(entry, sizeof(entry), "", e[k].d->name, e[k].d);
		fprintf(f, "%-44s # evidence %s", entry, e[k].d->evidence);
		seen_in(f, n);
		fputc('\n', f);
	}
}

struct policy_out {
	const struct pd_opts *o;
	const struct pd_dest *d;
	size_t n;
	const struct entry *e;
	size_t ne, unnamed, skipped;
};

/* A path in a '#' comment: bytes that could end the line or confuse a terminal become '?'. */
static void comment_path(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void write_policy(FILE *f, void *arg)
{
	const struct policy_out *w = arg;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, j;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "# pcapdomains allowlist, written %s by pcapdomains %s from:\n", when,
	        PD_VERSION);
	if (w->o->db && !w->o->n_args) {
		fputs("#   ", f);
		comment_path(f, w->o->db);
		fputc('\n', f);
	}
	for (i = 0; i < (size_t)w->o->n_args; i++) {
		fputs("#   ", f);
		comment_path(f, w->o->args[i]);
		fputc('\n', f);
	}
	fprintf(f, "# Review before committing; check it with: pcapdomains check --allow FILE "
	           "CAPTURE...\n\n");
	if (w->ne)
		fprintf(f, "# Names seen in the traffic\n");
	for (i = 0; i < w->ne; i = j) {
		for (j = i + 1; j < w->ne && !strcmp(w->e[j].reg, w->e[i].reg) &&
		                w->e[j].d->port == w->e[i].d->port &&
		                !strcmp(w->e[j].d->proto, w->e[i].d->proto);
		     j++)
			;
		print_group(f, w->e, i, j);
	}
	if (w->unnamed)
		fprintf(f, "%s# Addresses without any name: review each before allowing it\n",
		        w->ne ? "\n" : "");
	for (i = 0; i < w->n; i++) {
		struct pd_addr a;
		if (!pd_policy_name(w->d[i].name, w->d[i].evidence) &&
		    pd_addr_parse(w->d[i].server_ip, &a) == PD_OK)
			print_addr(f, &w->d[i]);
	}
	if (w->skipped)
		fprintf(f,
		        "\n# %zu name%s or address%s that a policy line cannot hold (characters "
		        "outside letters, digits, '-', '_', '.') left out: check lists them\n",
		        w->skipped, w->skipped == 1 ? "" : "s", w->skipped == 1 ? "" : "es");
}

/* ---- other formats: one item per policy entry (names as folded above, then addresses) ---- */

struct item {
	char host[300];          /* a name, "*.domain", or an address */
	bool pattern;            /* "*.domain" */
	bool addr;               /* no name: the address */
	const struct pd_dest *d; /* port, protocol, evidence (of the first row) */
	unsigned seen;
};

struct items {
	struct item *v;
	size_t n;
};

static void item_add(struct items *it, const char *prefix, const char *host, bool pattern,
                     bool addr, const struct pd_dest *d, unsigned seen)
{
	struct item *x = &it->v[it->n++];

	snprintf(x->host, sizeof(x->host), "%s%s", prefix, host);
	x->pattern = pattern;
	x->addr = addr;
	x->d = d;
	x->seen = seen;
}

/* The same entries write_policy writes (room: 2 per destination is enough). */
static void collect(const struct policy_out *w, struct items *it)
{
	size_t i, j, k;

	for (i = 0; i < w->ne; i = j) {
		size_t distinct = 0;
		unsigned seen = 0;
		bool apex = false;
		for (j = i + 1; j < w->ne && !strcmp(w->e[j].reg, w->e[i].reg) &&
		                w->e[j].d->port == w->e[i].d->port &&
		                !strcmp(w->e[j].d->proto, w->e[i].d->proto);
		     j++)
			;
		for (k = i; k < j; k++) {
			if (k == i || strcmp(w->e[k].d->name, w->e[k - 1].d->name))
				distinct++;
			if (!strcmp(w->e[k].d->name, w->e[k].reg))
				apex = true;
			if (w->e[k].d->captures > seen)
				seen = w->e[k].d->captures;
		}
		if (distinct - apex >= PD_ALLOWLIST_WILDCARD) {
			if (apex)
				item_add(it, "", w->e[i].reg, false, false, w->e[i].d, seen);
			item_add(it, "*.", w->e[i].reg, true, false, w->e[i].d, seen);
			continue;
		}
		for (k = i; k < j; k++)
			if (k == i || strcmp(w->e[k].d->name, w->e[k - 1].d->name))
				item_add(it, "", w->e[k].d->name, false, false, w->e[k].d,
				         w->e[k].d->captures);
	}
	for (i = 0; i < w->n; i++) {
		struct pd_addr a;
		if (!pd_policy_name(w->d[i].name, w->d[i].evidence) &&
		    pd_addr_parse(w->d[i].server_ip, &a) == PD_OK)
			item_add(it, "", w->d[i].server_ip, false, true, &w->d[i],
			         w->d[i].captures);
	}
}

static const char *k8s_proto(const char *p)
{
	return !strcmp(p, "tcp") ? "TCP" : !strcmp(p, "udp") ? "UDP" : NULL;
}

static void header(FILE *f, const struct policy_out *w, const char *what)
{
	size_t i;

	fprintf(f, "# %s written by pcapdomains %s from what these captures did:\n", what,
	        PD_VERSION);
	for (i = 0; i < (size_t)w->o->n_args; i++) {
		fputs("#   ", f);
		comment_path(f, w->o->args[i]);
		fputc('\n', f);
	}
	if (w->o->db && !w->o->n_args) {
		fputs("#   ", f);
		comment_path(f, w->o->db);
		fputc('\n', f);
	}
	fputs("# Review before applying it.\n", f);
}

static void note(FILE *f, const struct item *x)
{
	fprintf(f, "%sevidence %s", x->addr ? "REVIEW: no name seen, " : "", x->d->evidence);
	seen_in(f, x->seen);
}

static void seen_comment(FILE *f, const struct item *x)
{
	fputs(" # ", f);
	note(f, x);
}

/* CiliumNetworkPolicy (cilium.io/v2): toFQDNs (matchName, matchPattern) with toPorts, the DNS
 * rule to kube-dns that toFQDNs needs (Cilium learns names from the DNS proxy), toCIDR for
 * addresses seen without a name. */
static void write_cilium(FILE *f, const struct policy_out *w, const struct items *it)
{
	size_t i;

	header(f, w, "CiliumNetworkPolicy");
	fputs("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n"
	      "  name: pcapdomains-egress\nspec:\n  endpointSelector: {}\n  egress:\n"
	      "    # DNS through kube-dns, seen by Cilium's DNS proxy: toFQDNs needs it\n"
	      "    - toEndpoints:\n        - matchLabels:\n"
	      "            k8s:io.kubernetes.pod.namespace: kube-system\n"
	      "            k8s:k8s-app: kube-dns\n"
	      "      toPorts:\n        - ports:\n            - port: \"53\"\n"
	      "              protocol: ANY\n          rules:\n            dns:\n"
	      "              - matchPattern: \"*\"\n",
	      f);
	for (i = 0; i < it->n; i++) {
		const struct item *x = &it->v[i];
		const char *proto = k8s_proto(x->d->proto);
		if (!proto || !x->d->port) {
			fprintf(f, "    # left out (%s has no port rule here): %s\n", x->d->proto,
			        x->host);
			continue;
		}
		if (x->addr)
			fprintf(f, "    - toCIDR:\n        - %s/%d\n", x->host,
			        strchr(x->host, ':') ? 128 : 32);
		else
			fprintf(f, "    - toFQDNs:\n        - %s: \"%s\"\n",
			        x->pattern ? "matchPattern" : "matchName", x->host);
		fprintf(f,
		        "      toPorts:\n        - ports:\n            - port: \"%u\"\n"
		        "              protocol: %s\n",
		        x->d->port, proto);
		fputs("     ", f);
		seen_comment(f, x);
		fputc('\n', f);
	}
}

/* Kubernetes NetworkPolicy (networking.k8s.io/v1): the API has no names, so one ipBlock per
 * observed address (/32, /128), the name in a comment. */
static void write_netpol(FILE *f, const struct policy_out *w)
{
	size_t i;

	header(f, w, "Kubernetes NetworkPolicy");
	fputs("# NetworkPolicy cannot name hosts: these are the addresses seen, which change when\n"
	      "# a service moves. Add the DNS egress your cluster needs.\n"
	      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
	      "  name: pcapdomains-egress\nspec:\n  podSelector: {}\n  policyTypes:\n"
	      "    - Egress\n  egress:\n",
	      f);
	for (i = 0; i < w->n; i++) {
		const struct pd_dest *d = &w->d[i];
		const char *proto = k8s_proto(d->proto);
		struct pd_addr a;
		if (pd_addr_parse(d->server_ip, &a) != PD_OK)
			continue;
		if (!proto || !d->port) {
			fprintf(f,
			        "    # left out (%s: NetworkPolicy ports are TCP/UDP/SCTP): %s\n",
			        d->proto, d->server_ip);
			continue;
		}
		fprintf(f, "    # %s",
		        d->name && pd_policy_name_ok(d->name) ? d->name : "(no name)");
		fprintf(f, ", evidence %s", d->evidence);
		seen_in(f, d->captures);
		fprintf(f,
		        "\n    - to:\n        - ipBlock:\n            cidr: %s/%d\n      ports:\n"
		        "        - protocol: %s\n          port: %u\n",
		        d->server_ip, a.family == 6 ? 128 : 32, proto, d->port);
	}
}

/* StepSecurity Harden-Runner allowed-endpoints: host:port, one a line, nothing else (the value
 * is a YAML block scalar: a comment inside would be an endpoint); what was seen in only some
 * runs is listed in comments after it. */
static void write_harden(FILE *f, const struct policy_out *w, const struct items *it)
{
	size_t i, k;

	header(f, w, "Harden-Runner allowed-endpoints");
	fputs("# step-security/harden-runner: egress-policy: block, allowed-endpoints: >\n", f);
	for (i = 0; i < it->n; i++) {
		const struct item *x = &it->v[i];
		bool v6 = x->addr && strchr(x->host, ':'), dup = false;
		if (!x->d->port)
			continue;
		for (k = 0; k < i; k++) /* the same host:port over TCP and UDP: once */
			dup |= it->v[k].d->port == x->d->port && !strcmp(it->v[k].host, x->host);
		if (!dup)
			fprintf(f, "%s%s%s:%u\n", v6 ? "[" : "", x->host, v6 ? "]" : "",
			        x->d->port);
	}
	for (i = 0; i < it->n; i++) {
		const struct item *x = &it->v[i];
		if (x->d->port && (x->addr || (total_captures > 1 && x->seen < total_captures))) {
			fprintf(f, "# %s:%u", x->host, x->d->port);
			seen_comment(f, x);
			fputc('\n', f);
		}
	}
}

/* squid dstdomain ACL: ".domain" matches the domain and every name below it. squid.conf has
 * no trailing comments: each entry's note is the line above it. */
static void write_squid(FILE *f, const struct policy_out *w, const struct items *it)
{
	size_t i, k;
	bool any_addr = false;

	header(f, w, "squid ACL");
	for (i = 0; i < it->n; i++) {
		const struct item *x = &it->v[i];
		bool dup = false;
		for (k = 0; k < i; k++)
			dup |= !strcmp(it->v[k].host, x->host);
		if (dup)
			continue;
		fputs("# ", f);
		note(f, x);
		fputc('\n', f);
		if (x->addr) {
			any_addr = true;
			fprintf(f, "acl pcapdomains_allowed_ip dst %s\n", x->host);
		} else {
			fprintf(f, "acl pcapdomains_allowed dstdomain %s\n",
			        x->pattern ? x->host + 1 : x->host);
		}
	}
	fputs("http_access allow pcapdomains_allowed\n", f);
	if (any_addr)
		fputs("# REVIEW: addresses seen without a name\n"
		      "# http_access allow pcapdomains_allowed_ip\n",
		      f);
}

enum al_fmt { AL_POLICY, AL_CILIUM, AL_NETPOL, AL_HARDEN, AL_SQUID };

struct al_out {
	const struct policy_out *w;
	const struct items *it;
	enum al_fmt fmt;
};

static void write_any(FILE *f, void *arg)
{
	const struct al_out *a = arg;

	switch (a->fmt) {
	case AL_CILIUM:
		write_cilium(f, a->w, a->it);
		break;
	case AL_NETPOL:
		write_netpol(f, a->w);
		break;
	case AL_HARDEN:
		write_harden(f, a->w, a->it);
		break;
	case AL_SQUID:
		write_squid(f, a->w, a->it);
		break;
	default: {
		struct policy_out w = *a->w;
		write_policy(f, &w);
	}
	}
}

static int fmt_name(const char *s, enum al_fmt *f)
{
	static const struct {
		const char *name;
		enum al_fmt f;
	} t[] = { { "policy", AL_POLICY },
		  { "cilium", AL_CILIUM },
		  { "networkpolicy", AL_NETPOL },
		  { "harden-runner", AL_HARDEN },
		  { "squid", AL_SQUID } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].name)) {
			*f = t[i].f;
			return 0;
		}
	return -1;
}

/* By the end of the name: .cilium.yaml .netpol.yaml .harden-runner.txt .squid.conf/.acl,
 * .policy/.txt our own; -1 when it says nothing. */
static int fmt_ext(const char *p, enum al_fmt *f)
{
	static const struct {
		const char *ext;
		enum al_fmt f;
	} t[] = { { ".cilium.yaml", AL_CILIUM },
		  { ".cilium.yml", AL_CILIUM },
		  { ".cnp.yaml", AL_CILIUM },
		  { ".netpol.yaml", AL_NETPOL },
		  { ".netpol.yml", AL_NETPOL },
		  { ".networkpolicy.yaml", AL_NETPOL },
		  { ".harden-runner.txt", AL_HARDEN },
		  { ".squid.conf", AL_SQUID },
		  { ".acl", AL_SQUID },
		  { ".policy", AL_POLICY },
		  { ".txt", AL_POLICY } };
	size_t i, n = strlen(p);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t m = strlen(t[i].ext);
		if (n > m && !strcmp(p + n - m, t[i].ext)) {
			*f = t[i].f;
			return 0;
		}
	}
	return -1;
}

int pd_cmd_allowlist(int argc, char **argv)
{
	char errbuf[PD_ERRBUF_SIZE], dirs[80];
	struct policy_out w;
	struct pd_store *store;
	struct pd_dest *d;
	struct entry *e;
	struct pd_opts o;
	char *sel;
	size_t n, i, ne = 0, unnamed = 0, skipped = 0;
	enum al_fmt fmt = AL_POLICY, ext_fmt = AL_POLICY;
	struct items it = { NULL, 0 };
	struct al_out ao;
	int rc;

	if (pd_opts_parse(argc, argv, help, &o, &rc))
		return rc;
	if (o.n_outputs > 1) {
		pd_opts_usage_error("allowlist", help, "-o/--output: one at most");
		return PD_EXIT_ERROR;
	}
	if (o.format && fmt_name(o.format, &fmt)) {
		pd_opts_usage_error("allowlist", help,
		                    "--format: unknown format '%s' (policy, cilium, networkpolicy, "
		                    "harden-runner, squid)",
		                    o.format);
		return PD_EXIT_ERROR;
	}
	if (o.n_outputs && strcmp(o.outputs[0], "-") && !fmt_ext(o.outputs[0], &ext_fmt)) {
		if (o.format && ext_fmt != fmt) {
			pd_opts_format_conflict(&o, help, o.outputs[0]);
			return PD_EXIT_ERROR;
		}
		fmt = ext_fmt;
	}
	rc = pd_load_inputs(&o, o.args, o.n_args, &store, &sel);
	if (rc)
		return rc;
	if (pd_load_dests(pd_store_db(store), sel, pd_load_dirs(&o, dirs), &d, &n, errbuf)) {
		pd_cmd_error("%s", errbuf);
		free(sel);
		pd_store_close(store);
		return PD_EXIT_ERROR;
	}
	total_captures = pd_load_n_captures(pd_store_db(store), sel);
	free(sel);
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e) {
		pd_cmd_error("out of memory");
		pd_load_dests_free(d, n);
		pd_store_close(store);
		return PD_EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (!pd_policy_name(d[i].name, d[i].evidence)) {
			struct pd_addr a;
			if (pd_addr_parse(d[i].server_ip, &a) == PD_OK)
				unnamed++;
			else
				skipped++; /* not an address: only a foreign database holds such */
			continue;
		}
		if (!pd_policy_name_ok(d[i].name)) {
			skipped++;
			continue;
		}
		pd_registrable(d[i].name, e[ne].reg, sizeof(e[ne].reg));
		e[ne++].d = &d[i];
	}
	qsort(e, ne, sizeof(*e), by_reg);
	w.o = &o;
	w.d = d;
	w.n = n;
	w.e = e;
	w.ne = ne;
	w.unnamed = unnamed;
	w.skipped = skipped;
	if (!(it.v = calloc(2 * n + 1, sizeof(*it.v)))) {
		pd_cmd_error("out of memory");
		free(e);
		pd_load_dests_free(d, n);
		pd_store_close(store);
		return PD_EXIT_ERROR;
	}
	collect(&w, &it);
	ao.w = &w;
	ao.it = &it;
	ao.fmt = fmt;
	rc = pd_load_write(o.n_outputs ? o.outputs[0] : NULL, write_any, &ao);
	free(it.v);
	free(e);
	pd_load_dests_free(d, n);
	pd_store_close(store);
	return rc;
}
