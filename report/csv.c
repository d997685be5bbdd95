/*
 * csv.c - the CSV report: RFC 4180 (CRLF line ends, header row, fields quoted when needed),
 * UTF-8, one row per (domain, server address, port, protocol); unattributed traffic has rows
 * with an empty domain. Columns (README "CSV columns"): the fixed list first, in this order,
 * then the extra columns. Every text cell goes through pd_esc_csv (formula neutralisation).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "model.h"
#include "verdict.h"

static const char header[] =
        "domain,registrable_domain,evidence,confidence,candidates,server_ip,port,proto,"
        "app_proto,flows,packets_out,bytes_out,packets_in,bytes_in,first_seen,last_seen,country,"
        "asn,as_org,cdn,policy,captures,city,special_range,shared_address,ambiguous,cname_chain,"
        "ech_flows,looked_up_at_report_time,ptr_status,direction,clients,tcp_states,"
        "duration_ms,community_ids,why,evidence_mix,tunnels,via,via_name\r\n";

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

/*
 * The appended per-connection columns: clients ("addr port" of each flow, '|'-joined, at most
 * PD_RM_CONNS_MAX), tcp_states ("established=2|refused=1"), duration_ms (the longest flow),
 * community_ids (per kept flow, '|'-joined; empty where the spec gives none), why (medium/low),
 * evidence_mix (flows per evidence).
 */
static void conn_cells(FILE *f, const struct pd_rm_row *r)
{
	const struct pd_rm_conn *c;
	char *buf = NULL, cid[32], tmp[512];
	size_t len = 0;
	FILE *m;
	int i, part;
	bool any;

	for (part = 0; part < 3; part++) {
		buf = NULL;
		len = 0;
		m = open_memstream(&buf, &len);
		if (!m) {
			fputc(',', f);
			continue;
		}
		any = false;
		if (part == 0)
			for (c = r->conns; c; c = c->next)
				fprintf(m, "%s%s %u", c == r->conns ? "" : "|",
				        c->client_ip ? c->client_ip : "", c->client_port);
		else if (part == 1)
			for (i = 0; i < PD_RM_N_TCP; i++) {
				if (!r->tcp_flows[i])
					continue;
				fprintf(m, "%s%s=%" PRId64, any ? "|" : "",
				        pd_rm_tcp_state_names[i], r->tcp_flows[i]);
				any = true;
			}
		else
			for (c = r->conns; c; c = c->next)
				fprintf(m, "%s%s", c == r->conns ? "" : "|",
				        pd_rm_conn_cid(r, c, cid));
		if (fclose(m) == 0)
			cell(f, buf);
		else
			fputc(',', f);
		free(buf);
		if (part == 1)
			num(f, r->max_duration_ns / 1000000);
	}
	cell(f, pd_rm_why(r, tmp, sizeof(tmp)));
	pd_esc_csv(f, pd_rm_evidence_mix(r->ev_flows, tmp, sizeof(tmp)));
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
	cell(f, r->direction);
	conn_cells(f, r);
	fputc(',', f);
	pd_esc_csv(f, r->tunnels);
	fputc(',', f);
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

/*
 * Traffic that is not a destination (inbound, internal, control) after the destination rows,
 * one row per (direction, local or server address, port, protocol): domain empty, the names
 * clients asked for (SNI, Host) '|'-joined in candidates, evidence none, policy unchecked
 * (not judged), the control class or runtime resolver in special_range, and the direction.
 */
static void side_row(FILE *f, const struct pd_rm_side *r)
{
	char t[32], names[256];
	size_t i, n = 0;

	for (i = 0; r->names && r->names[i] && n + 1 < sizeof(names); i++)
		if (r->names[i] != ' ')
			names[n++] = r->names[i] == ',' ? '|' : r->names[i];
	names[n] = 0;
	cell(f, NULL);
	cell(f, NULL);
	cell(f, "none");
	cell(f, "low");
	cell(f, n ? names : NULL);
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
	cell(f, NULL);
	fputc(',', f);
	cell(f, NULL);
	cell(f, NULL);
	cell(f, "unchecked");
	captures_cell(f, r->captures);
	cell(f, NULL);
	cell(f, r->label);
	cell(f, "no");
	cell(f, "no");
	cell(f, NULL);
	num(f, 0);
	cell(f, "no");
	cell(f, NULL);
	cell(f, r->direction);
	fputs(",,,,,,,,", f); /* clients .. via_name: side rows carry no per-flow columns */
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
	for (i = 0; i < m->n_sides; i++)
		side_row(f, &m->sides[i]);
}
