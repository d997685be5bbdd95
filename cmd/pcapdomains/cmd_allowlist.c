/*
 * cmd_allowlist.c - `pcapdomains allowlist CAPTURE...`: write a policy (SPEC 2.7) from the
 * traffic observed, for a person to review and commit.
 *
 * Names where they are known, one entry per (name, port, protocol); when one registrable
 * domain shows PD_ALLOWLIST_WILDCARD or more different names on the same port and protocol,
 * they fold into "*.domain" (plus the domain itself when it was seen). Addresses appear only
 * where no name is known, each marked "REVIEW" with its evidence, because an address
 * allowlist breaks as soon as the service moves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "load.h"
#include "names.h"

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
        "  --db FILE          keep the database in FILE (or read it, without captures)\n"
        "  -f, --filter BPF   only packets matching this filter\n"
        "  --dns-grace SEC    seconds past a DNS TTL an answer still names a flow (default 60)\n"
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
	fprintf(f, "%-44s # REVIEW: no name seen (evidence %s), %llu flow%s\n", entry, d->evidence,
	        (unsigned long long)d->flows, d->flows == 1 ? "" : "s");
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

/* Names from packets are printable ASCII (the parsers escape the rest), but a policy line
 * must also parse back: skip names the policy grammar cannot express. */
static bool policy_safe(const char *name)
{
	for (; *name; name++)
		if (!((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9') ||
		      *name == '-' || *name == '_' || *name == '.' ||
		      (*name >= 'A' && *name <= 'Z')))
			return false;
	return true;
}

int pd_cmd_allowlist(int argc, char **argv)
{
	char errbuf[PD_ERRBUF_SIZE], when[32];
	struct pd_store *store;
	struct pd_dest *d;
	struct entry *e;
	struct pd_opts o;
	size_t n, i, j, ne = 0, unnamed = 0, skipped = 0;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = stdout;
	int rc;

	if (pd_opts_parse(argc, argv, PD_O_DB | PD_O_OUTPUT | PD_O_BPF | PD_O_GRACE, help, &o, &rc))
		return rc;
	if (o.n_outputs > 1) {
		pd_cmd_error("allowlist: one -o at most");
		return PD_EXIT_ERROR;
	}
	rc = pd_load_inputs(&o, o.args, o.n_args, &store);
	if (rc)
		return rc;
	if (pd_load_dests(pd_store_db(store), &d, &n, errbuf)) {
		pd_cmd_error("%s", errbuf);
		pd_store_close(store);
		return PD_EXIT_ERROR;
	}
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e) {
		pd_cmd_error("out of memory");
		pd_load_dests_free(d, n);
		pd_store_close(store);
		return PD_EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		if (!d[i].name) {
			unnamed++;
			continue;
		}
		if (!policy_safe(d[i].name)) {
			skipped++;
			continue;
		}
		pd_registrable(d[i].name, e[ne].reg, sizeof(e[ne].reg));
		e[ne++].d = &d[i];
	}
	qsort(e, ne, sizeof(*e), by_reg);
	if (o.n_outputs == 1 && strcmp(o.outputs[0], "-")) {
		f = fopen(o.outputs[0], "w");
		if (!f) {
			pd_cmd_error("%s: cannot write", o.outputs[0]);
			free(e);
			pd_load_dests_free(d, n);
			pd_store_close(store);
			return PD_EXIT_ERROR;
		}
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "# pcapdomains allowlist, written %s by pcapdomains %s from:\n", when,
	        PD_VERSION);
	for (i = 0; i < (size_t)o.n_args; i++)
		fprintf(f, "#   %s\n", o.args[i]);
	fprintf(f, "# Review before committing; check it with: pcapdomains check --allow FILE "
	           "CAPTURE...\n\n");
	if (ne)
		fprintf(f, "# Names seen in the traffic\n");
	for (i = 0; i < ne; i = j) {
		for (j = i + 1;
		     j < ne && !strcmp(e[j].reg, e[i].reg) && e[j].d->port == e[i].d->port &&
		     !strcmp(e[j].d->proto, e[i].d->proto);
		     j++)
			;
		print_group(f, e, i, j);
	}
	if (unnamed)
		fprintf(f, "%s# Addresses without any name: review each before allowing it\n",
		        ne ? "\n" : "");
	for (i = 0; i < n; i++)
		if (!d[i].name)
			print_addr(f, &d[i]);
	if (skipped)
		fprintf(f, "\n# %zu name%s with characters a policy cannot hold were left out\n",
		        skipped, skipped == 1 ? "" : "s");
	rc = PD_EXIT_OK;
	if (ferror(f) || (f != stdout ? fclose(f) : fflush(f))) {
		pd_cmd_error("%s: write failed", f == stdout ? "stdout" : o.outputs[0]);
		rc = PD_EXIT_ERROR;
	}
	free(e);
	pd_load_dests_free(d, n);
	pd_store_close(store);
	return rc;
}
