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
        "'*.domain', and addresses only where no name is known, marked REVIEW.\n"
        "\n"
        "  -o FILE            write the policy to FILE instead of stdout\n"
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

static void print_addr(FILE *f, const struct pd_dest *d)
{
	char entry[128];

	format_entry(entry, sizeof(entry), "", d->server_ip, d);
	if (d->name && pd_policy_name_ok(d->name))
		fprintf(f,
		        "%-44s # REVIEW: named only by a reverse lookup (%s, evidence %s), "
		        "%llu flow%s\n",
		        entry, d->name, d->evidence, (unsigned long long)d->flows,
		        d->flows == 1 ? "" : "s");
	else
		fprintf(f, "%-44s # REVIEW: no name seen (evidence %s), %llu flow%s\n", entry,
		        d->evidence, (unsigned long long)d->flows, d->flows == 1 ? "" : "s");
}

/* Writes entries [i, j) (one registrable domain, port and protocol). */
static void print_group(FILE *f, const struct entry *e, size_t i, size_t j)
{
	char entry[600];
	size_t k, distinct = 0, flows = 0;
	bool apex = false;

	for (k = i; k < j; k++) {
		flows += e[k].d->flows;
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
		fprintf(f, "%-44s # %zu names, %zu flows, e.g. %s\n", entry, distinct - apex, flows,
		        e[i].d->name);
		return;
	}
	for (k = i; k < j; k++) {
		if (k > i && !strcmp(e[k].d->name, e[k - 1].d->name))
			continue; /* same name on several addresses */
		format_entry(entry, sizeof(entry), "", e[k].d->name, e[k].d);
		fprintf(f, "%-44s # evidence %s\n", entry, e[k].d->evidence);
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
	int rc;

	if (pd_opts_parse(argc, argv,
	                  PD_O_DB | PD_O_OUTPUT | PD_O_BPF | PD_O_GRACE | PD_O_LOCAL | PD_O_DIRS,
	                  help, &o, &rc))
		return rc;
	if (o.n_outputs > 1) {
		pd_cmd_error("allowlist: one -o at most");
		return PD_EXIT_ERROR;
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
	rc = pd_load_write(o.n_outputs ? o.outputs[0] : NULL, write_policy, &w);
	free(e);
	pd_load_dests_free(d, n);
	pd_store_close(store);
	return rc;
}
