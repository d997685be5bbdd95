/*
 * cmd_check.c - `pcapdomains check --allow POLICY CAPTURE...`: list every destination the
 * policy does not allow, with its evidence, and exit 1 when there is one (for CI jobs).
 *
 * A destination is allowed when the policy matches its attributed name or its server address
 * (with port and protocol). An unnamed or ambiguous destination is judged by the name the
 * attribution chose and by its address only: candidates do not make it allowed. A name from a
 * reverse lookup (PTR) is chosen by the address's owner: such a destination is judged by its
 * address only (pd_policy_name), as in reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "escape.h"
#include "load.h"
#include "policy.h"

static const char help[] =
        "usage: pcapdomains check --allow POLICY [options] CAPTURE...\n"
        "       pcapdomains check --allow POLICY --db FILE\n"
        "\n"
        "Ingests the captures (or reads the database), attributes every connection, and lists\n"
        "each destination the policy does not allow, with its evidence. Exit status 1 when\n"
        "there is at least one violation, 0 when there is none, 2 on error (a malformed\n"
        "policy line is reported as FILE:LINE: message).\n"
        "\n"
        "Policy file: one entry a line, '#' comments:\n"
        "  api.example.com          an exact name\n"
        "  *.example.com            any name below example.com\n"
        "  10.0.0.0/8  2001:db8::1  addresses and networks\n"
        "  ...:443  .../tcp  [2001:db8::1]:53/udp   optional port (or range) and protocol\n"
        "\n"
        "  --allow POLICY     the policy file (required)\n"
        "  --db FILE          add the captures to FILE and check only them; without\n"
        "                     captures, check every capture FILE holds\n"
        "  -f, --filter BPF   only packets matching this filter\n"
        "  --dns-grace SEC    seconds past a DNS TTL an answer still names a flow (default 60)\n"
        "  --quiet            print nothing when there is no violation\n";

static void fmt_time(int64_t ns, char *buf, size_t n)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int pd_cmd_check(int argc, char **argv)
{
	char errbuf[PD_ERRBUF_SIZE], when[32];
	struct pd_policy *policy;
	struct pd_store *store;
	struct pd_dest *d;
	struct pd_opts o;
	enum pd_err err;
	char *sel;
	size_t n, i, bad = 0;
	int rc;

	if (pd_opts_parse(argc, argv, PD_O_DB | PD_O_ALLOW | PD_O_BPF | PD_O_GRACE, help, &o, &rc))
		return rc;
	if (!o.allow) {
		pd_cmd_error("check: --allow POLICY is required");
		return PD_EXIT_ERROR;
	}
	if (pd_policy_load(o.allow, &policy, errbuf)) {
		pd_cmd_error("%s", errbuf);
		return PD_EXIT_ERROR;
	}
	rc = pd_load_inputs(&o, o.args, o.n_args, &store, &sel);
	if (rc) {
		pd_policy_free(policy);
		return rc;
	}
	err = pd_load_dests(pd_store_db(store), sel, &d, &n, errbuf);
	free(sel);
	if (err) {
		pd_cmd_error("%s", errbuf);
		pd_store_close(store);
		pd_policy_free(policy);
		return PD_EXIT_ERROR;
	}
	for (i = 0; i < n; i++) {
		struct pd_addr a;
		bool have_addr = pd_addr_parse(d[i].server_ip, &a) == PD_OK, v6, hop_ok = true;
		bool dest_ok = pd_policy_allows(policy, pd_policy_name(d[i].name, d[i].evidence),
		                                have_addr ? &a : NULL, d[i].port, d[i].proto, NULL);
		if (d[i].via_ip) {
			/* through a proxy: the destination as if it were not there, and the hop */
			struct pd_addr va;
			bool have_va = pd_addr_parse(d[i].via_ip, &va) == PD_OK;
			hop_ok = pd_policy_allows_via(policy, d[i].via_name, have_va ? &va : NULL,
			                              d[i].via_port, NULL);
		}
		if (dest_ok && hop_ok)
			continue;
		if (bad++ == 0)
			printf("Destinations not allowed by %s:\n", o.allow);
		fmt_time(d[i].first_ns, when, sizeof(when));
		fputs("  ", stdout);
		pd_esc_term(stdout, d[i].name ? d[i].name : "(no name)");
		/* As a policy entry would say it: [v6]:port/proto, no port for ICMP. */
		v6 = d[i].port && strchr(d[i].server_ip, ':');
		printf("  %s%s%s", v6 ? "[" : "", d[i].server_ip, v6 ? "]" : "");
		if (d[i].port)
			printf(":%u", d[i].port);
		printf("/%s  evidence %s  %llu flow%s  first %s", d[i].proto, d[i].evidence,
		       (unsigned long long)d[i].flows, d[i].flows == 1 ? "" : "s", when);
		if (d[i].via_ip) {
			fputs("  via ", stdout);
			if (d[i].via_name) {
				pd_esc_term(stdout, d[i].via_name);
				fputc(' ', stdout);
			}
			v6 = strchr(d[i].via_ip, ':') != NULL;
			printf("%s%s%s:%u%s", v6 ? "[" : "", d[i].via_ip, v6 ? "]" : "",
			       d[i].via_port, hop_ok ? "" : " (proxy not allowed as a hop)");
		}
		/* Candidates name the attributed one first: worth printing only with others. */
		if (d[i].candidates && (!d[i].name || strcmp(d[i].candidates, d[i].name))) {
			fputs("  candidates ", stdout);
			pd_esc_term(stdout, d[i].candidates);
		}
		fputc('\n', stdout);
	}
	if (bad)
		printf("%zu violation%s among %zu destination%s\n", bad, bad == 1 ? "" : "s", n,
		       n == 1 ? "" : "s");
	else if (!o.quiet)
		printf("All %zu destination%s allowed by %s\n", n, n == 1 ? "" : "s", o.allow);
	pd_load_dests_free(d, n);
	pd_store_close(store);
	pd_policy_free(policy);
	if (fflush(stdout)) {
		pd_cmd_error("check: writing the result failed");
		return PD_EXIT_ERROR;
	}
	return bad ? PD_EXIT_VIOLATION : PD_EXIT_OK;
}
