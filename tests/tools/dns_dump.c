/*
 * dns_dump.c - development tool: reads lines "FRAME HEX" (a DNS message as hex, no TCP length
 * prefix) on stdin, parses each with pd_dns_parse and prints one tab-separated line per message
 * in the order of `tshark -T fields -e frame.number -e dns.qry.name -e dns.a -e dns.aaaa
 * -e dns.cname -e dns.resp.ttl`, plus the result, rcode, kept/dropped counts and the
 * HTTPS/SVCB/PTR details tshark prints in other fields. Used by tests/tools/dns_compare.py.
 * Build: cc -Ianalyze analyze/dns.c analyze/err.c tests/tools/dns_dump.c -o dns_dump
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static void put_list_sep(int *first)
{
	if (!*first)
		putchar(',');
	*first = 0;
}

static void print_addr(const struct pd_addr *a)
{
	char s[INET6_ADDRSTRLEN];
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->a, s, sizeof(s));
	fputs(s, stdout);
}

int main(void)
{
	static char line[300000];
	static uint8_t msg[140000];
	static struct pd_dns_msg m;

	while (fgets(line, sizeof(line), stdin)) {
		char *frame = strtok(line, " \t\n");
		char *hex = strtok(NULL, " \t\n");
		size_t n = 0, i;
		enum pd_err err;
		int first;

		if (!frame)
			continue;
		while (hex && hex[2 * n] && hex[2 * n + 1] && n < sizeof(msg)) {
			unsigned v;
			sscanf(hex + 2 * n, "%2x", &v);
			msg[n++] = (uint8_t)v;
		}
		err = pd_dns_parse(msg, n, &m);
		printf("%s\t%s\t", frame, m.qdcount ? m.qname : "");
		first = 1;
		for (i = 0; i < m.n_rr; i++)
			if (m.rr[i].type == PD_DNS_A) {
				put_list_sep(&first);
				print_addr(&m.rr[i].addr);
			}
		putchar('\t');
		first = 1;
		for (i = 0; i < m.n_rr; i++)
			if (m.rr[i].type == PD_DNS_AAAA) {
				put_list_sep(&first);
				print_addr(&m.rr[i].addr);
			}
		putchar('\t');
		first = 1;
		for (i = 0; i < m.n_rr; i++)
			if (m.rr[i].type == PD_DNS_CNAME) {
				put_list_sep(&first);
				fputs(m.rr[i].target, stdout);
			}
		putchar('\t');
		first = 1;
		for (i = 0; i < m.n_rr; i++) {
			put_list_sep(&first);
			printf("%u", m.rr[i].ttl);
		}
		printf("\t%s\t%s\t%u\t%u\t", pd_strerror(err), pd_dns_rcode_name(m.rcode), m.n_rr,
		       m.n_rr_dropped);
		first = 1;
		for (i = 0; i < m.n_rr; i++) {
			const struct pd_dns_rr *r = &m.rr[i];
			size_t h;
			if (r->type != PD_DNS_HTTPS && r->type != PD_DNS_SVCB &&
			    r->type != PD_DNS_PTR)
				continue;
			put_list_sep(&first);
			printf("%s %s %s prio=%u target=%s ech=%d hints=",
			       pd_dns_type_name(r->type), r->name, r->cache_flush ? "flush" : "",
			       r->svc_priority, r->target, r->ech);
			for (h = 0; h < r->n_hints; h++) {
				print_addr(&r->hints[h]);
				putchar(' ');
			}
		}
		putchar('\n');
	}
	return 0;
}
