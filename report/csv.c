/*
 * csv.c - the CSV report: RFC 4180 (CRLF line ends, header row, fields quoted when needed),
 * UTF-8, one row per (domain, server address, port, protocol); unattributed traffic has rows
 * with an empty domain. Columns (README "CSV columns"): the fixed list first, in this order,
 * then the extra columns. Every text cell goes through pd_esc_csv (formula neutralisation).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "model.h"

static const char header[] =
        "domain,registrable_domain,evidence,confidence,candidates,server_ip,port,proto,"
        "app_proto,flows,packets_out,bytes_out,packets_in,bytes_in,first_seen,last_seen,country,"
        "asn,as_org,cdn,policy,captures,city,special_range,shared_address,ambiguous,cname_chain,"
        "ech_flows,looked_up_at_report_time,ptr_status,via,via_name\r\n";

static void cell(FILE *f, const char *s)
{
	pd_esc_csv(f, s);
	fputc(',', f);
}

/* v and a comma, without printf (two thirds of the cells are numbers) */
static void num(FILE *f, int64_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	*--p = ',';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	fwrite(p, 1, (size_t)(b + sizeof(b) - p), f);
}

/* capture ids "1,2" as "1|2" (they are ours: digits and commas) */
static void captures_cell(FILE *f, const char *ids)
{
	for (; ids && *ids; ids++)
		if (*ids >= '0' && *ids <= '9')
			fputc(*ids, f);
		else if (*ids == ',')
			fputc('|', f);
	fputc(',', f);
}

static void row(FILE *f, const struct pd_rm_row *r)
{
	char t[32];

	cell(f, r->domain);
	cell(f, r->registrable);
	cell(f, r->evidence);
	cell(f, r->confidence);
	cell(f, r->candidates);
	cell(f, r->server_ip);
	num(f, r->port);
	cell(f, r->proto);
	cell(f, r->app_proto);
	num(f, r->flows);
	num(f, r->packets_out);
	num(f, r->bytes_out);
	num(f, r->packets_in);
	num(f, r->bytes_in);
	cell(f, pd_rm_time(r->first_ns, t));
	cell(f, pd_rm_time(r->last_ns, t));
	cell(f, r->country);
	if (r->asn)
		num(f, r->asn);
	else
		fputc(',', f);
	cell(f, r->as_org);
	cell(f, r->cdn);
	cell(f, r->policy);
	captures_cell(f, r->captures);
	cell(f, r->city);
	cell(f, r->label);
	cell(f, r->shared ? "yes" : "no");
	cell(f, r->ambiguous ? "yes" : "no");
	cell(f, r->cname_chain);
	num(f, r->ech_flows);
	cell(f, r->looked_up ? "yes" : "no");
	cell(f, r->ptr_status);
	if (r->via_ip) {
		/* the proxy as a policy entry would write it: [v6]:port */
		char v[80];
		snprintf(v, sizeof(v), strchr(r->via_ip, ':') ? "[%s]:%u" : "%s:%u", r->via_ip,
		         r->via_port);
		cell(f, v);
	} else {
		fputc(',', f);
	}
	pd_esc_csv(f, r->via_name);
	fputs("\r\n", f);
}

void pd_write_csv(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	size_t i, k;

	(void)o;
	fputs(header, f);
	for (i = 0; i < m->n_dests; i++)
		for (k = 0; k < m->dests[i].n; k++)
			row(f, &m->rows[m->dests[i].first + k]);
	for (i = m->n_attributed; i < m->n_rows; i++)
		row(f, &m->rows[i]);
}
