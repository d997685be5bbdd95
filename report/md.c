/*
 * md.c - the Markdown report (GitHub-flavoured: pipe tables), compact enough to paste into a
 * review comment: captures, summary, the top N destinations with totals, unresolved
 * addresses, shared addresses, names never connected to, findings. Every untrusted string
 * goes through pd_esc_md, so a row always keeps its column count.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "model.h"

static void cell(FILE *f, const char *s)
{
	fputs(" ", f);
	pd_esc_md(f, s && *s ? s : "-");
	fputs(" |", f);
}

static void cnum(FILE *f, int64_t v)
{
	fprintf(f, " %" PRId64 " |", v);
}

static void cbytes(FILE *f, int64_t v)
{
	char b[32];

	fprintf(f, " %s |", pd_rm_bytes(v, b));
}

static size_t limit(size_t n, unsigned top)
{
	return top && top < n ? top : n;
}

static void more(FILE *f, size_t shown, size_t n, const char *what)
{
	if (shown < n)
		fprintf(f, "\n_%zu more %s not shown (use --top 0, or the CSV/JSON report)._\n",
		        n - shown, what);
}

static void captures(FILE *f, const struct pd_model *m)
{
	const struct pd_rm_capture *c;
	char t1[32], t2[32];
	size_t i;

	fputs("\n## Captures\n\n| # | file | sha256 | from | to | packets | bytes | drops | "
	      "container |\n"
	      "|---|---|---|---|---|---:|---:|---:|---|\n",
	      f);
	for (i = 0; i < m->n_caps; i++) {
		c = &m->caps[i];
		fprintf(f, "| %" PRId64 " |", c->id);
		cell(f, c->path);
		fputs(" `", f);
		fprintf(f, "%.12s",
		        c->sha256 && strspn(c->sha256, "0123456789abcdef") >= 12 ? c->sha256 : "?");
		fputs("` |", f);
		cell(f, pd_rm_time(c->first_ns, t1));
		cell(f, pd_rm_time(c->last_ns, t2));
		cnum(f, c->packets);
		cbytes(f, c->bytes);
		if (c->drops == PD_NS_NONE)
			cell(f, "?");
		else
			cnum(f, c->drops);
		if (c->container_name || c->image) {
			fputs(" ", f);
			pd_esc_md(f, c->container_name ? c->container_name : "");
			if (c->image) {
				fputs(" (", f);
				pd_esc_md(f, c->image);
				fputs(")", f);
			}
			fputs(" |", f);
		} else {
			cell(f, NULL);
		}
		fputc('\n', f);
	}
	for (i = 0; i < m->n_caps; i++)
		if (m->caps[i].cut_at != PD_NS_NONE) {
			fprintf(f, "\n**Capture %" PRId64 " was cut** at offset %" PRId64 ": ",
			        m->caps[i].id, m->caps[i].cut_at);
			pd_esc_md(f, m->caps[i].error);
			fputc('\n', f);
		}
}

static void summary(FILE *f, const struct pd_model *m)
{
	const struct pd_rm_summary *s = &m->sum;
	char b1[32], b2[32], t1[32], t2[32];
	unsigned i;

	fprintf(f,
	        "\n## Summary\n\n"
	        "- **%zu destinations** (%zu domains), %zu unresolved addresses, %zu shared "
	        "addresses\n"
	        "- %" PRId64 " flows, %s out, %s in, from %s to %s\n"
	        "- encrypted DNS: %" PRId64 " flows, %" PRId64 " findings; ECH: %" PRId64
	        " flows, %" PRId64 " DNS answers\n",
	        s->destinations, s->domains, s->unresolved, s->shared, s->flows,
	        pd_rm_bytes(s->bytes_out, b1), pd_rm_bytes(s->bytes_in, b2),
	        s->first_ns == PD_NS_NONE ? "?" : pd_rm_time(s->first_ns, t1),
	        s->last_ns == PD_NS_NONE ? "?" : pd_rm_time(s->last_ns, t2), s->encrypted_dns_flows,
	        s->encrypted_dns_findings, s->ech_flows, s->ech_dns_answers);
	if (!m->n_geo) {
		fputs("- GeoIP not configured\n", f);
	} else {
		fputs("- GeoIP:", f);
		for (i = 0; i < m->n_geo; i++) {
			fputs(i ? ", " : " ", f);
			pd_esc_md(f, m->geo_types[i]);
			fprintf(f, " (built %.10s)",
			        pd_rm_time(m->geo_built[i] == PD_NS_NONE
			                           ? PD_NS_NONE
			                           : m->geo_built[i] * 1000000000LL,
			                   t1));
		}
		fputc('\n', f);
	}
	fprintf(f, "- policy: %s; reverse lookups at report time: %s\n",
	        m->policy_checked ? "checked" : "not checked", m->resolved ? "yes" : "no");
	for (i = 0; i < m->n_notes; i++) {
		fputs("- note: ", f);
		pd_esc_md(f, m->notes[i]);
		fputc('\n', f);
	}
}

void pd_write_md(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	const struct pd_rm_dest *d;
	const struct pd_rm_unres *u;
	size_t i, n, k;
	char t[32];

	fputs("# ", f);
	pd_esc_md(f, m->title);
	fputc('\n', f);
	summary(f, m);
	captures(f, m);

	fputs("\n## Destinations\n\n| domain | names | evidence | confidence | addresses | ports | "
	      "flows | out | in | first seen | country | ASN | CDN | shared | policy |\n"
	      "|---|---|---|---|---|---|---:|---:|---:|---|---|---|---|---|---|\n",
	      f);
	n = limit(m->n_dests, o->top);
	for (i = 0; i < n; i++) {
		d = &m->dests[i];
		fputc('|', f);
		cell(f, d->registrable);
		cell(f, d->names);
		fputs(" ", f);
		pd_esc_md(f, d->evidence);
		if (d->looked_up)
			fputs(" (looked up at report time)", f);
		fputs(" |", f);
		cell(f, d->confidence);
		fprintf(f, " %zu:", d->n_addresses);
		if (d->vias) {
			fputc(' ', f);
			pd_esc_md(f, d->addresses);
			fputs(" via ", f);
			pd_esc_md(f, d->vias);
			fputs(" |", f);
		} else {
			cell(f, d->addresses);
		}
		cell(f, d->ports);
		cnum(f, d->flows);
		cbytes(f, d->bytes_out);
		cbytes(f, d->bytes_in);
		cell(f, pd_rm_time(d->first_ns, t));
		cell(f, d->countries);
		if (d->asns[0] && m->rows[d->first].as_org) {
			fputc(' ', f);
			pd_esc_md(f, d->asns);
			fputc(' ', f);
			pd_esc_md(f, m->rows[d->first].as_org);
			fputs(" |", f);
		} else {
			cell(f, d->asns);
		}
		cell(f, d->cdn);
		if (d->shared) {
			fputs(" yes", f);
			if (d->shared_with) {
				fputs(", with ", f);
				pd_esc_md(f, d->shared_with);
			}
			fputs(" |", f);
		} else {
			cell(f, "no");
		}
		cell(f, d->policy);
		fputc('\n', f);
	}
	more(f, n, m->n_dests, "destinations");

	fputs("\n## Unresolved addresses\n\n", f);
	if (!m->n_unres)
		fputs("None: every connection has a name.\n", f);
	else
		fputs("| address | ports | flows | out | in | first seen | country | ASN | "
		      "range | reverse lookup | policy |\n"
		      "|---|---|---:|---:|---:|---|---|---|---|---|---|\n",
		      f);
	n = limit(m->n_unres, o->top);
	for (i = 0; i < n; i++) {
		u = &m->unres[i];
		fputc('|', f);
		cell(f, u->ip);
		cell(f, u->ports);
		cnum(f, u->flows);
		cbytes(f, u->bytes_out);
		cbytes(f, u->bytes_in);
		cell(f, pd_rm_time(u->first_ns, t));
		cell(f, u->country);
		if (u->asn) {
			fprintf(f, " AS%" PRIu32 " ", u->asn);
			pd_esc_md(f, u->as_org);
			fputs(" |", f);
		} else {
			cell(f, NULL);
		}
		cell(f, u->label);
		cell(f, u->ptr_status ? u->ptr_status : "not looked up");
		cell(f, u->policy);
		fputc('\n', f);
	}
	more(f, n, m->n_unres, "addresses");

	if (m->n_shared) {
		fputs("\n## Shared addresses\n\n| address | CDN | names (count) |\n|---|---|---|\n",
		      f);
		n = limit(m->n_shared, o->top);
		for (i = 0; i < n; i++) {
			fputc('|', f);
			cell(f, m->shared[i].ip);
			cell(f, m->shared[i].cdn);
			fputs(" ", f);
			for (k = 0; k < m->shared[i].n_names; k++) {
				if (k)
					fputs(", ", f);
				pd_esc_md(f, m->shared[i].names[k].name);
				fprintf(f, " (%" PRId64 ")", m->shared[i].names[k].count);
			}
			fputs(" |\n", f);
		}
		more(f, n, m->n_shared, "shared addresses");
	}

	if (m->n_unused) {
		fputs("\n## Names looked up but never connected to\n\n| name | type | result | "
		      "answers | first seen |\n|---|---|---|---|---|\n",
		      f);
		n = limit(m->n_unused, o->top);
		for (i = 0; i < n; i++) {
			fputc('|', f);
			cell(f, m->unused[i].qname);
			cell(f, m->unused[i].qtypes);
			cell(f, m->unused[i].rcodes);
			cell(f, m->unused[i].answers);
			cell(f, pd_rm_time(m->unused[i].first_ns, t));
			fputc('\n', f);
		}
		more(f, n, m->n_unused, "names");
	}

	fputs("\n## Findings\n\n", f);
	if (!m->n_findings)
		fputs("None.\n", f);
	else
		fputs("| severity | kind | subject | detail | count |\n|---|---|---|---|---:|\n",
		      f);
	for (i = 0; i < m->n_findings; i++) {
		fputc('|', f);
		cell(f, m->findings[i].severity);
		cell(f, m->findings[i].kind);
		cell(f, m->findings[i].subject);
		cell(f, m->findings[i].detail);
		cnum(f, m->findings[i].count);
		fputc('\n', f);
	}
}
