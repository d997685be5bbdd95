/*
 * md.c - the Markdown report (GitHub-flavoured: pipe tables), compact enough to paste into a
 * review comment: the verdict first (a table: violations, the unnamed share, findings by
 * severity, weak names), then violations, unnamed addresses, findings, destinations, shared
 * addresses, names never connected to, the summary and the captures by file name.
 *
 * Bounded whatever the input: GitHub refuses a comment over 65,536 characters, so table rows
 * share a byte budget (MD_ROW_BUDGET, the captures MD_CAP_BUDGET; bytes >= characters) and every
 * cell is bounded (text cut to MD_CELL bytes before escaping, lists to their first MD_LIST values
 * and "+N more"); rows past --top or past the budget are summarised with a count. Everything
 * outside rows is a bounded constant. Every untrusted string goes through pd_esc_md, so a row
 * always keeps its column count.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "model.h"
#include "verdict.h"

#define MD_ROW_BUDGET 46000 /* bytes of table rows in one report, captures aside */
#define MD_CAP_BUDGET 8000  /* bytes of capture rows */
#define MD_CELL       80    /* bytes of untrusted text per cell, before escaping */
#define MD_LIST       3     /* values of a list shown in a cell */
#define MD_VERDICT    10    /* violations named in the verdict */

struct md {
	FILE *f;
	size_t rows_used; /* bytes of rows written */
	size_t budget;    /* what rows may use */
	unsigned top;
	FILE *row; /* the row being built */
	char *rbuf;
	size_t rlen;
};

/* text cut to MD_CELL bytes at a UTF-8 boundary ("..." when cut), escaped */
static void esc_cut(FILE *f, const char *s)
{
	char b[MD_CELL + 4];
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	if (n <= MD_CELL) {
		pd_esc_md(f, s);
		return;
	}
	n = MD_CELL;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(b, s, n);
	memcpy(b + n, "...", 4);
	pd_esc_md(f, b);
}

static void cell(FILE *f, const char *s)
{
	fputs(" ", f);
	if (s && *s)
		esc_cut(f, s);
	else
		fputs("-", f);
	fputs(" |", f);
}

/* A ", "-joined list: its first MD_LIST values, then "+N more". */
static void cell_list(FILE *f, const char *s, const char *sep)
{
	const char *p = s, *e;
	size_t i = 0, n = 0, sl = strlen(sep);
	char item[MD_CELL + 1];

	for (e = s; e && *e; n++) {
		e = strstr(e, sep);
		if (e)
			e += sl;
	}
	fputs(" ", f);
	if (!n)
		fputs("-", f);
	for (; p && *p && i < MD_LIST; i++) {
		e = strstr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);

		snprintf(item, sizeof(item), "%.*s", (int)(len < MD_CELL ? len : MD_CELL), p);
		if (i)
			fputs(", ", f);
		esc_cut(f, item);
		p = e ? e + sl : NULL;
	}
	if (n > MD_LIST)
		fprintf(f, " +%zu more", n - MD_LIST);
	fputs(" |", f);
}

/* A policy status (ours), a violation in bold. */
static void cell_policy(FILE *f, const char *policy)
{
	fprintf(f, strcmp(policy, "violation") ? " %s |" : " **%s** |", policy);
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

/* Starts a row (written to a buffer; row_end decides whether it fits). */
static FILE *row_begin(struct md *w)
{
	w->rbuf = NULL;
	w->rlen = 0;
	w->row = open_memstream(&w->rbuf, &w->rlen);
	if (w->row)
		fputc('|', w->row);
	return w->row;
}

/* Ends a row: written when it fits the budget. Returns whether it was written. */
static bool row_end(struct md *w)
{
	bool ok = false;

	if (!w->row)
		return false;
	fputc('\n', w->row);
	if (fclose(w->row) == 0 && w->rows_used + w->rlen <= w->budget) {
		fwrite(w->rbuf, 1, w->rlen, w->f);
		w->rows_used += w->rlen;
		ok = true;
	}
	free(w->rbuf);
	w->row = NULL;
	w->rbuf = NULL;
	return ok;
}

static size_t limit(size_t n, unsigned top)
{
	return top && top < n ? top : n;
}

static void more(struct md *w, size_t shown, size_t n, const char *one, const char *many)
{
	if (shown < n)
		fprintf(w->f,
		        "\n_%zu more %s not shown (--top 0 shows more; the CSV/JSON/HTML reports "
		        "have all)._\n",
		        n - shown, pd_rm_plural((int64_t)(n - shown), one, many));
}

struct capw {
	FILE *f;
};

static void cap_name(void *ctx, const char *name, size_t i)
{
	FILE *f = ((struct capw *)ctx)->f;

	if (i < MD_LIST) {
		if (i)
			fputs(", ", f);
		esc_cut(f, name);
	} else if (i == MD_LIST) {
		fputs(" +more", f);
	}
}

/* Captures of a row by file name. */
static void cell_caps(FILE *f, const struct pd_model *m, const char *ids)
{
	struct capw c = { f };

	fputs(" ", f);
	pd_rm_capture_files(m, ids, cap_name, &c);
	fputs(" |", f);
}

static void verdict(struct md *w, const struct pd_model *m)
{
	struct pd_rm_verdict v;
	struct pd_rm_viol vl[MD_VERDICT];
	char p1[16], p2[16], b1[32];
	size_t i, n;
	FILE *f = w->f;

	pd_rm_verdict_get(m, &v);
	fputs("\n## Verdict\n\n| | |\n|---|---|\n", f);
	if (!m->policy_checked) {
		fputs("| policy | not checked (no `--allow`) |\n", f);
	} else {
		n = pd_rm_violations(m, vl, MD_VERDICT);
		fprintf(f, "| **%s** | %zu", v.violations ? "violations" : "policy", v.violations);
		for (i = 0; i < n && i < MD_VERDICT; i++) {
			fputs(i ? ", " : ": ", f);
			esc_cut(f, vl[i].what);
		}
		if (n > MD_VERDICT)
			fprintf(f, " +%zu more", n - MD_VERDICT);
		fputs(v.violations ? " |\n" : " (all allowed) |\n", f);
	}
	fprintf(f,
	        "| unnamed traffic | %s%% of flows, %s%% of bytes (%" PRId64 " of %" PRId64
	        " %s, %s) |\n",
	        pd_rm_pct(v.unres_flows, v.flows, p1), pd_rm_pct(v.unres_bytes, v.bytes, p2),
	        v.unres_flows, v.flows, pd_rm_plural(v.flows, "flow", "flows"),
	        pd_rm_bytes(v.unres_bytes, b1));
	fprintf(f, "| findings | %s%zu %s%s, %zu info, %zu other |\n", v.warnings ? "**" : "",
	        v.warnings, pd_rm_plural((int64_t)v.warnings, "warning", "warnings"),
	        v.warnings ? "**" : "", v.infos, v.others);
	fprintf(f, "| confidence | %zu %s: %zu low, %zu medium |\n", m->n_dests,
	        pd_rm_plural((int64_t)m->n_dests, "destination", "destinations"), v.low, v.medium);
}

static void violations(struct md *w, const struct pd_model *m)
{
	struct pd_rm_viol *vl;
	size_t n, i, shown = 0;
	FILE *r;

	if (!m->policy_checked || !(n = pd_rm_violations(m, NULL, 0)))
		return;
	vl = calloc(n, sizeof(*vl));
	if (!vl)
		return;
	n = pd_rm_violations(m, vl, n);
	fputs("\n## Policy violations\n\n| name or address | kind | flows | bytes |\n"
	      "|---|---|---:|---:|\n",
	      w->f);
	for (i = 0; i < limit(n, w->top); i++) {
		if (!(r = row_begin(w)))
			break;
		cell(r, vl[i].what);
		cell(r, vl[i].address ? "unnamed address" : "name");
		cnum(r, vl[i].flows);
		cbytes(r, vl[i].bytes);
		if (!row_end(w))
			break;
		shown++;
	}
	more(w, shown, n, "violation", "violations");
	free(vl);
}

static void unresolved(struct md *w, const struct pd_model *m)
{
	const struct pd_rm_unres *u;
	size_t i, shown = 0;
	char t[32];
	FILE *r;

	fputs("\n## Unnamed addresses\n\n", w->f);
	if (!m->n_unres) {
		fputs("None: every connection has a name.\n", w->f);
		return;
	}
	fputs("| address | policy | ports | flows | out | in | first seen | country | ASN | "
	      "range | reverse lookup |\n"
	      "|---|---|---|---:|---:|---:|---|---|---|---|---|\n",
	      w->f);
	for (i = 0; i < limit(m->n_unres, w->top); i++) {
		u = &m->unres[i];
		if (!(r = row_begin(w)))
			break;
		cell(r, u->ip);
		cell_policy(r, u->policy);
		cell_list(r, u->ports, ", ");
		cnum(r, u->flows);
		cbytes(r, u->bytes_out);
		cbytes(r, u->bytes_in);
		cell(r, pd_rm_time(u->first_ns, t));
		cell(r, u->country);
		if (u->asn) {
			fprintf(r, " AS%" PRIu32 " ", u->asn);
			esc_cut(r, u->as_org);
			fputs(" |", r);
		} else {
			cell(r, NULL);
		}
		cell(r, u->label);
		cell(r, u->ptr_status ? u->ptr_status : "not looked up");
		if (!row_end(w))
			break;
		shown++;
	}
	more(w, shown, m->n_unres, "address", "addresses");
}

/* Findings grouped by (severity, kind), warnings first: one row each, with counts. */
static void findings(struct md *w, const struct pd_model *m)
{
	bool *done;
	size_t i, j, rows, groups = 0, shown = 0;
	int64_t events;
	int pass;
	const struct pd_rm_finding *x, *y;
	FILE *r;

	fputs("\n## Findings\n\n", w->f);
	if (!m->n_findings) {
		fputs("None.\n", w->f);
		return;
	}
	done = calloc(m->n_findings, 1);
	if (!done)
		return;
	fputs("| severity | kind | findings | count | example subject | example detail |\n"
	      "|---|---|---:|---:|---|---|\n",
	      w->f);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < m->n_findings; i++) {
			x = &m->findings[i];
			if (done[i] ||
			    (pass == 0) != (x->severity && !strcmp(x->severity, "warning")))
				continue;
			rows = 0;
			events = 0;
			for (j = i; j < m->n_findings; j++) {
				y = &m->findings[j];
				if (done[j] || !x->kind || !y->kind || strcmp(x->kind, y->kind) ||
				    !x->severity || !y->severity ||
				    strcmp(x->severity, y->severity))
					continue;
				done[j] = true;
				rows++;
				events += y->count;
			}
			if (!rows) {
				rows = 1;
				events = x->count;
			}
			done[i] = true;
			groups++;
			if ((w->top && shown >= w->top) || !(r = row_begin(w)))
				continue;
			if (pass == 0)
				fputs(" **warning** |", r);
			else
				cell(r, x->severity);
			cell(r, x->kind);
			cnum(r, (int64_t)rows);
			cnum(r, events);
			cell(r, x->subject);
			cell(r, x->detail);
			if (row_end(w))
				shown++;
		}
	free(done);
	more(w, shown, groups, "kind of finding", "kinds of findings");
}

static void destinations(struct md *w, const struct pd_model *m)
{
	const struct pd_rm_dest *d;
	size_t i, shown = 0;
	char t[32], mix[256];
	FILE *r;

	fputs("\n## Destinations\n\n| domain | policy | confidence | evidence mix | names | "
	      "addresses | ports | flows | out | in | first seen | country | ASN | CDN | shared | "
	      "captures |\n"
	      "|---|---|---|---|---|---|---|---:|---:|---:|---|---|---|---|---|---|\n",
	      w->f);
	for (i = 0; i < limit(m->n_dests, w->top); i++) {
		d = &m->dests[i];
		if (!(r = row_begin(w)))
			break;
		cell(r, d->registrable);
		cell_policy(r, d->policy);
		fputs(" ", r);
		fputs(d->confidence, r);
		if (strcmp(d->confidence, "high")) {
			char why[256];

			for (size_t k = d->first; k < d->first + d->n; k++)
				if (strcmp(m->rows[k].confidence, "high")) {
					fputs(" (", r);
					esc_cut(r, pd_rm_why(&m->rows[k], why, sizeof(why)));
					fputs(")", r);
					break;
				}
		}
		fputs(" |", r);
		cell(r, pd_rm_evidence_mix(d->ev_flows, mix, sizeof(mix)));
		cell_list(r, d->names, ", ");
		if (d->vias) { /* through a proxy (README "Proxies") */
			fputs(" (via ", r);
			esc_cut(r, d->vias);
			fputs(")", r);
		}
		cell_list(r, d->addresses, ", ");
		cell_list(r, d->ports, ", ");
		cnum(r, d->flows);
		cbytes(r, d->bytes_out);
		cbytes(r, d->bytes_in);
		cell(r, pd_rm_time(d->first_ns, t));
		cell(r, d->countries);
		if (d->asns[0] && m->rows[d->first].as_org) {
			fputc(' ', r);
			esc_cut(r, d->asns);
			fputc(' ', r);
			esc_cut(r, m->rows[d->first].as_org);
			fputs(" |", r);
		} else {
			cell(r, d->asns);
		}
		cell(r, d->cdn);
		if (d->shared) {
			fputs(" yes", r);
			if (d->shared_with) {
				fputs(", with ", r);
				esc_cut(r, d->shared_with);
			}
			fputs(" |", r);
		} else {
			cell(r, "no");
		}
		cell_caps(r, m, d->captures);
		if (!row_end(w))
			break;
		shown++;
	}
	more(w, shown, m->n_dests, "destination", "destinations");
}

static void rest(struct md *w, const struct pd_model *m)
{
	size_t i, k, shown;
	char t[32];
	FILE *r;

	if (m->n_shared) {
		fputs("\n## Shared addresses\n\n| address | CDN | names (count) |\n|---|---|---|\n",
		      w->f);
		for (i = shown = 0; i < limit(m->n_shared, w->top); i++) {
			if (!(r = row_begin(w)))
				break;
			cell(r, m->shared[i].ip);
			cell(r, m->shared[i].cdn);
			fputs(" ", r);
			for (k = 0; k < m->shared[i].n_names && k < MD_LIST; k++) {
				if (k)
					fputs(", ", r);
				esc_cut(r, m->shared[i].names[k].name);
				fprintf(r, " (%" PRId64 ")", m->shared[i].names[k].count);
			}
			if (m->shared[i].n_names > MD_LIST)
				fprintf(r, " +%zu more", m->shared[i].n_names - MD_LIST);
			fputs(" |", r);
			if (!row_end(w))
				break;
			shown++;
		}
		more(w, shown, m->n_shared, "shared address", "shared addresses");
	}
	if (m->n_unused) {
		fputs("\n## Names looked up but never connected to\n\n| name | type | result | "
		      "answers | first seen |\n|---|---|---|---|---|\n",
		      w->f);
		for (i = shown = 0; i < limit(m->n_unused, w->top); i++) {
			if (!(r = row_begin(w)))
				break;
			cell(r, m->unused[i].qname);
			cell(r, m->unused[i].qtypes);
			cell(r, m->unused[i].rcodes);
			cell_list(r, m->unused[i].answers, ",");
			cell(r, pd_rm_time(m->unused[i].first_ns, t));
			if (!row_end(w))
				break;
			shown++;
		}
		more(w, shown, m->n_unused, "name", "names");
	}
}

/* A short section of traffic that is not a destination (model.h pd_rm_side); its rows share
 * the report's row budget like every table. */
static void sides(struct md *w, const struct pd_model *m, const char *dir, const char *title)
{
	size_t first, n = pd_rm_sides_of(m, dir, &first), i, shown = 0;
	char port[16];
	FILE *r;

	if (!n)
		return;
	fprintf(w->f,
	        "\n## %s\n\n| service | kind | names asked | clients | flows | out | in |\n"
	        "|---|---|---|---|---:|---:|---:|\n",
	        title);
	for (i = first; i < first + limit(n, w->top); i++) {
		const struct pd_rm_side *sd = &m->sides[i];

		if (!(r = row_begin(w)))
			break;
		fputc(' ', r);
		pd_esc_md(r, sd->server_ip);
		snprintf(port, sizeof(port), ":%u/", sd->port);
		fputs(sd->port ? port : "/", r);
		pd_esc_md(r, sd->proto);
		fputs(" |", r);
		cell(r, sd->label ? sd->label : sd->app_proto);
		cell(r, sd->names);
		cell(r, sd->clients);
		cnum(r, sd->flows);
		cbytes(r, sd->bytes_out);
		cbytes(r, sd->bytes_in);
		if (!row_end(w))
			break;
		shown++;
	}
	more(w, shown, n, "row", "rows");
}

static void summary(FILE *f, const struct pd_model *m)
{
	const struct pd_rm_summary *s = &m->sum;
	char b1[32], b2[32], t1[32], t2[32];
	unsigned i;

	fprintf(f,
	        "\n## Summary\n\n"
	        "- **%zu %s** (%zu %s), %zu unnamed %s, %zu shared %s\n"
	        "- %" PRId64 " %s, %s out, %s in, from %s to %s\n"
	        "- encrypted DNS: %" PRId64 " %s, %" PRId64 " %s; ECH: %" PRId64 " %s, %" PRId64
	        " DNS %s\n",
	        s->destinations,
	        pd_rm_plural((int64_t)s->destinations, "destination", "destinations"), s->domains,
	        pd_rm_plural((int64_t)s->domains, "domain", "domains"), s->unresolved,
	        pd_rm_plural((int64_t)s->unresolved, "address", "addresses"), s->shared,
	        pd_rm_plural((int64_t)s->shared, "address", "addresses"), s->flows,
	        pd_rm_plural(s->flows, "flow", "flows"), pd_rm_bytes(s->bytes_out, b1),
	        pd_rm_bytes(s->bytes_in, b2),
	        s->first_ns == PD_NS_NONE ? "?" : pd_rm_time(s->first_ns, t1),
	        s->last_ns == PD_NS_NONE ? "?" : pd_rm_time(s->last_ns, t2), s->encrypted_dns_flows,
	        pd_rm_plural(s->encrypted_dns_flows, "flow", "flows"), s->encrypted_dns_findings,
	        pd_rm_plural(s->encrypted_dns_findings, "finding", "findings"), s->ech_flows,
	        pd_rm_plural(s->ech_flows, "flow", "flows"), s->ech_dns_answers,
	        pd_rm_plural(s->ech_dns_answers, "answer", "answers"));
	if (!m->n_geo) {
		fputs("- GeoIP not configured\n", f);
	} else {
		fputs("- GeoIP:", f);
		for (i = 0; i < m->n_geo && i < 8; i++) {
			fputs(i ? ", " : " ", f);
			esc_cut(f, m->geo_types[i]);
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
		esc_cut(f, m->notes[i]);
		fputc('\n', f);
	}
}

static void captures(struct md *w, const struct pd_model *m)
{
	const struct pd_rm_capture *c;
	char t1[32], t2[32];
	size_t i, shown = 0, cut = 0;
	FILE *r;
	const char *file;

	fputs("\n## Captures\n\n| file | sha256 | from | to | packets | bytes | drops | container "
	      "| status |\n"
	      "|---|---|---|---|---:|---:|---:|---|---|\n",
	      w->f);
	for (i = 0; i < m->n_caps; i++)
		cut += m->caps[i].cut_at != PD_NS_NONE;
	for (i = 0; i < limit(m->n_caps, w->top); i++) {
		c = &m->caps[i];
		if (!(r = row_begin(w)))
			break;
		file = pd_rm_capture_file(m, c->id);
		cell(r, file);
		fprintf(r, " `%.12s` |",
		        c->sha256 && strspn(c->sha256, "0123456789abcdef") >= 12 ? c->sha256 : "?");
		cell(r, pd_rm_time(c->first_ns, t1));
		cell(r, pd_rm_time(c->last_ns, t2));
		cnum(r, c->packets);
		cbytes(r, c->bytes);
		if (c->drops == PD_NS_NONE)
			cell(r, "?");
		else
			cnum(r, c->drops);
		if (c->container_name || c->image) {
			fputs(" ", r);
			esc_cut(r, c->container_name ? c->container_name : "");
			if (c->image) {
				fputs(" (", r);
				esc_cut(r, c->image);
				fputs(")", r);
			}
			fputs(" |", r);
		} else {
			cell(r, NULL);
		}
		if (c->cut_at != PD_NS_NONE) {
			fprintf(r, " **cut** at offset %" PRId64 ": ", c->cut_at);
			esc_cut(r, c->error);
			fputs(" |", r);
		} else {
			cell(r, "complete");
		}
		if (!row_end(w))
			break;
		shown++;
	}
	more(w, shown, m->n_caps, "capture", "captures");
	if (cut)
		fprintf(w->f, "\n**%zu %s cut** (see the status column or the HTML report).\n", cut,
		        pd_rm_plural((int64_t)cut, "capture was", "captures were"));
}

void pd_write_md(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	struct md w = { .f = f, .top = o->top, .budget = MD_ROW_BUDGET };

	fputs("# ", f);
	esc_cut(f, m->title);
	fputc('\n', f);
	verdict(&w, m);
	violations(&w, m);
	unresolved(&w, m);
	findings(&w, m);
	destinations(&w, m);
	rest(&w, m);
	summary(f, m);
	sides(&w, m, "ingress", "Inbound (connections to the subject)");
	sides(&w, m, "internal", "Internal (both ends local)");
	sides(&w, m, "control", "Link-local control traffic (not judged by policies)");
	w.rows_used = 0; /* the captures have a budget of their own */
	w.budget = MD_CAP_BUDGET;
	captures(&w, m);
	fputs("\n**Local addresses** (the audited subject):", f);
	for (size_t i = 0; i < m->n_caps && i < limit(m->n_caps, o->top) && i < MD_LIST; i++) {
		char buf[1024];

		fprintf(f, "%s ", i ? ";" : "");
		esc_cut(f, pd_rm_capture_file(m, m->caps[i].id));
		fputs(": ", f);
		esc_cut(f, pd_rm_locals_str(&m->caps[i], buf, sizeof(buf)));
	}
	if (m->n_caps > MD_LIST)
		fprintf(f, "; %zu more %s", m->n_caps - MD_LIST,
		        pd_rm_plural((int64_t)(m->n_caps - MD_LIST), "capture", "captures"));
	fputc('\n', f);
}
