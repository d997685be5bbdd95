/*
 * text.c - the readable table on stdout: summary, the top N destinations, unresolved
 * addresses and findings, fitted to the terminal width (o->width: TIOCGWINSZ or COLUMNS,
 * decided by cmd/). Colour (ANSI SGR) only when o->color (a terminal without NO_COLOR).
 * Untrusted text goes through pd_esc_term/pd_esc_term_fit: no byte from a capture can
 * reach the terminal as a control character.
 */
#include <inttypes.h>
#include <string.h>

#include "escape.h"
#include "model.h"

#define SGR_BOLD   "\x1b[1m"
#define SGR_RED    "\x1b[31m"
#define SGR_YELLOW "\x1b[33m"
#define SGR_DIM    "\x1b[2m"
#define SGR_OFF    "\x1b[0m"

struct col {
	const char *head;
	size_t width;
	int right;
	int optional; /* dropped first when the terminal is narrow (higher: earlier) */
	bool on;
	bool last; /* the line's last column: not padded */
};

enum {
	C_DOMAIN,
	C_EVID,
	C_CONF,
	C_ADDR,
	C_PORTS,
	C_FLOWS,
	C_OUT,
	C_IN,
	C_CC,
	C_ORG,
	C_POLICY,
	C_N
};

static void sgr(FILE *f, const struct pd_report_opts *o, const char *code)
{
	if (o->color)
		fputs(code, f);
}

/* A section heading: a blank line, the title in bold. */
static void heading(FILE *f, const struct pd_report_opts *o, const char *title)
{
	fputc('\n', f);
	sgr(f, o, SGR_BOLD);
	fputs(title, f);
	sgr(f, o, SGR_OFF);
	fputc('\n', f);
}

/*
 * Columns that fit width, dropping optional ones (highest level first); POLICY only with a
 * policy (then never dropped), CC and ORG/CDN only when GeoIP or a CDN name gave something.
 */
static void layout(struct col *c, size_t width, bool policy, bool geo)
{
	static const struct col init[C_N] = {
		[C_DOMAIN] = { "DOMAIN", 0, 0, 0, true }, [C_EVID] = { "EVIDENCE", 10, 0, 0, true },
		[C_CONF] = { "CONF", 6, 0, 3, true },     [C_ADDR] = { "ADDRESS", 17, 0, 5, true },
		[C_PORTS] = { "PORTS", 9, 0, 4, true },   [C_FLOWS] = { "FLOWS", 6, 1, 0, true },
		[C_OUT] = { "OUT", 8, 1, 0, true },       [C_IN] = { "IN", 8, 1, 0, true },
		[C_CC] = { "CC", 2, 0, 2, true },         [C_ORG] = { "ORG/CDN", 16, 0, 6, true },
		[C_POLICY] = { "POLICY", 9, 0, 1, true },
	};
	size_t used, i;
	int level;

	memcpy(c, init, sizeof(init));
	c[C_POLICY].on = policy;
	c[C_POLICY].optional = 0;
	c[C_CC].on = geo;
	c[C_ORG].on = geo;
	for (level = 6; level >= 0; level--) {
		used = 0;
		for (i = 1; i < C_N; i++)
			if (c[i].on)
				used += c[i].width + 2;
		if (used + 24 <= width || level == 0)
			break;
		for (i = 1; i < C_N; i++)
			if (c[i].optional == level)
				c[i].on = false;
	}
	for (i = C_N; i-- > 0;)
		if (c[i].on) {
			c[i].last = true;
			break;
		}
	c[C_DOMAIN].width = width > used + 12 ? width - used : 12;
	if (c[C_DOMAIN].width > 60)
		c[C_DOMAIN].width = 60;
}

/* s cut to at most width columns, without padding. */
static void fit_nopad(FILE *f, const char *s, size_t width)
{
	if (pd_esc_term_width(s) <= width)
		pd_esc_term(f, s);
	else
		pd_esc_term_fit(f, s, width, 0);
}

static void put(FILE *f, const struct col *c, int i, const char *s)
{
	if (!c[i].on)
		return;
	if (i != C_DOMAIN && !(c[i].last && (!s || !*s)))
		fputs("  ", f); /* separators go before a cell: no blanks at line ends */
	if (c[i].last && !c[i].right)
		fit_nopad(f, s, c[i].width);
	else
		pd_esc_term_fit(f, s, c[i].width, c[i].right);
}

static void put_num(FILE *f, const struct col *c, int i, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRId64, v);
	put(f, c, i, b);
}

static void put_bytes(FILE *f, const struct col *c, int i, int64_t v)
{
	char b[32];

	put(f, c, i, pd_rm_bytes(v, b));
}

static void end_line(FILE *f)
{
	fputc('\n', f);
}

void pd_write_text(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	const struct pd_rm_summary *s = &m->sum;
	const struct pd_rm_dest *d;
	const struct pd_rm_unres *u;
	const struct pd_rm_row *r;
	struct col c[C_N];
	char b1[32], b2[32], t1[32], t2[32], addr[128], org[300];
	size_t i, n;
	unsigned g;
	const size_t W = o->width ? o->width : 100;
	bool geo = false;

	for (i = 0; i < m->n_dests && !geo; i++)
		geo = m->dests[i].cdn || m->dests[i].countries[0];
	layout(c, W, m->policy_checked, geo || m->n_geo > 0);
	sgr(f, o, SGR_BOLD);
	pd_esc_term(f, m->title);
	sgr(f, o, SGR_OFF);
	fputc('\n', f);
	for (i = 0; i < m->n_caps; i++) {
		fprintf(f, "  capture %" PRId64 ": ", m->caps[i].id);
		pd_esc_term(f, m->caps[i].path);
		fputs("  sha256 ", f);
		if (m->caps[i].sha256 && strspn(m->caps[i].sha256, "0123456789abcdef") >= 16)
			fprintf(f, "%.16s", m->caps[i].sha256);
		else
			pd_esc_term_fit(f, m->caps[i].sha256, 16, 0);
		fprintf(f, "  %" PRId64 " packets  %s", m->caps[i].packets,
		        pd_rm_bytes(m->caps[i].bytes, b1));
		if (m->caps[i].drops != PD_NS_NONE && m->caps[i].drops)
			fprintf(f, "  %" PRId64 " dropped", m->caps[i].drops);
		if (m->caps[i].container_name) {
			fputs("  container ", f);
			pd_esc_term(f, m->caps[i].container_name);
		}
		if (m->caps[i].image) {
			fputs(" (", f);
			pd_esc_term(f, m->caps[i].image);
			fputc(')', f);
		}
		if (m->caps[i].cut_at != PD_NS_NONE) {
			sgr(f, o, SGR_YELLOW);
			fprintf(f, "  CUT at offset %" PRId64, m->caps[i].cut_at);
			sgr(f, o, SGR_OFF);
		}
		fputc('\n', f);
	}
	fprintf(f,
	        "  %zu destinations (%zu domains), %zu unresolved addresses, %zu shared addresses; "
	        "%" PRId64 " flows, %s out, %s in\n  %s .. %s; encrypted DNS flows %" PRId64
	        ", ECH flows %" PRId64 "; ",
	        s->destinations, s->domains, s->unresolved, s->shared, s->flows,
	        pd_rm_bytes(s->bytes_out, b1), pd_rm_bytes(s->bytes_in, b2),
	        s->first_ns == PD_NS_NONE ? "?" : pd_rm_time(s->first_ns, t1),
	        s->last_ns == PD_NS_NONE ? "?" : pd_rm_time(s->last_ns, t2), s->encrypted_dns_flows,
	        s->ech_flows);
	if (!m->n_geo) {
		fputs("GeoIP not configured", f);
	} else {
		fputs("GeoIP:", f);
		for (g = 0; g < m->n_geo; g++) {
			fputc(' ', f);
			pd_esc_term(f, m->geo_types[g]);
		}
	}
	fputc('\n', f);
	for (i = 0; i < m->n_notes; i++) {
		fputs("  note: ", f);
		pd_esc_term(f, m->notes[i]);
		fputc('\n', f);
	}
	fputc('\n', f);

	sgr(f, o, SGR_BOLD);
	for (i = 0; i < C_N; i++)
		put(f, c, (int)i, c[i].head);
	sgr(f, o, SGR_OFF);
	end_line(f);
	n = o->top && o->top < m->n_dests ? o->top : m->n_dests;
	for (i = 0; i < n; i++) {
		d = &m->dests[i];
		r = &m->rows[d->first];
		if (d->n_addresses > 1)
			snprintf(addr, sizeof(addr), "%s +%zu", r->server_ip, d->n_addresses - 1);
		else
			snprintf(addr, sizeof(addr), "%s", r->server_ip);
		snprintf(org, sizeof(org), "%s%s%s", r->as_org ? r->as_org : "",
		         r->as_org && d->cdn ? " / " : "", d->cdn ? d->cdn : "");
		put(f, c, C_DOMAIN, d->registrable);
		put(f, c, C_EVID, d->evidence);
		if (c[C_CONF].on && strcmp(d->confidence, "high"))
			sgr(f, o, SGR_YELLOW);
		put(f, c, C_CONF, d->confidence);
		if (c[C_CONF].on && strcmp(d->confidence, "high"))
			sgr(f, o, SGR_OFF);
		put(f, c, C_ADDR, addr);
		put(f, c, C_PORTS, d->ports);
		put_num(f, c, C_FLOWS, d->flows);
		put_bytes(f, c, C_OUT, d->bytes_out);
		put_bytes(f, c, C_IN, d->bytes_in);
		put(f, c, C_CC, d->countries);
		put(f, c, C_ORG, org);
		if (c[C_POLICY].on && !strcmp(d->policy, "violation"))
			sgr(f, o, SGR_RED);
		put(f, c, C_POLICY, d->policy);
		if (c[C_POLICY].on && !strcmp(d->policy, "violation"))
			sgr(f, o, SGR_OFF);
		end_line(f);
		/* the names under a registrable domain, when more than the domain itself */
		if (strcmp(d->names, d->registrable)) {
			fputs("  ", f);
			sgr(f, o, SGR_DIM);
			fit_nopad(f, d->names, W - 2);
			sgr(f, o, SGR_OFF);
			end_line(f);
		}
		if (d->vias) {
			fputs("  via ", f);
			fit_nopad(f, d->vias, W - 6);
			end_line(f);
		}
		if (d->looked_up || d->shared || d->candidates) {
			fputs("  ", f);
			sgr(f, o, SGR_DIM);
			if (d->looked_up)
				fputs("(name from a reverse lookup at report time)", f);
			if (d->shared) {
				fputs(d->looked_up ? " (shared address" : "(shared address", f);
				if (d->shared_with) {
					fputs(" with ", f);
					fit_nopad(f, d->shared_with, W > 60 ? W - 40 : 20);
				}
				fputs(")", f);
			}
			if (d->candidates) {
				fputs(d->looked_up || d->shared ? "\n  (candidates: "
				                                : "(candidates: ",
				      f);
				fit_nopad(f, d->candidates, W > 60 ? W - 20 : 20);
				fputs(")", f);
			}
			sgr(f, o, SGR_OFF);
			end_line(f);
		}
	}
	if (n < m->n_dests)
		fprintf(f, "... %zu more destinations (--top 0 shows all)\n", m->n_dests - n);

	if (m->n_unres) {
		heading(f, o, "Unresolved addresses");
	}
	n = o->top && o->top < m->n_unres ? o->top : m->n_unres;
	for (i = 0; i < n; i++) {
		u = &m->unres[i];
		fputs("  ", f);
		pd_esc_term_fit(f, u->ip, 40, 0);
		fputs("  ", f);
		pd_esc_term_fit(f, u->ports, 16, 0);
		fprintf(f, "  %6" PRId64 " flows  %8s out  %8s in", u->flows,
		        pd_rm_bytes(u->bytes_out, b1), pd_rm_bytes(u->bytes_in, b2));
		if (u->country[0]) {
			fputs("  ", f);
			pd_esc_term(f, u->country);
		}
		if (u->label) {
			fputs("  ", f);
			pd_esc_term(f, u->label);
		}
		if (u->asn)
			fprintf(f, "  AS%" PRIu32, u->asn);
		if (u->as_org) {
			fputc(' ', f);
			pd_esc_term(f, u->as_org);
		}
		if (u->ptr_status) {
			fputs("  ptr: ", f);
			pd_esc_term(f, u->ptr_status);
		}
		if (!strcmp(u->policy, "violation")) {
			sgr(f, o, SGR_RED);
			fputs("  violation", f);
			sgr(f, o, SGR_OFF);
		}
		fputc('\n', f);
	}
	if (n < m->n_unres)
		fprintf(f, "  ... %zu more addresses\n", m->n_unres - n);

	if (m->n_unused) {
		fputs("\nNames looked up but never connected to: ", f);
		n = o->top && o->top < m->n_unused ? o->top : m->n_unused;
		for (i = 0; i < n; i++) {
			if (i)
				fputs(", ", f);
			pd_esc_term(f, m->unused[i].qname);
			if (m->unused[i].rcodes && strcmp(m->unused[i].rcodes, "NOERROR")) {
				fputs(" (", f);
				pd_esc_term(f, m->unused[i].rcodes);
				fputc(')', f);
			}
		}
		if (n < m->n_unused)
			fprintf(f, " ... %zu more", m->n_unused - n);
		fputc('\n', f);
	}
	if (m->n_findings) {
		heading(f, o, "Findings");
	}
	for (i = 0; i < m->n_findings; i++) {
		fputs("  ", f);
		if (m->findings[i].severity && !strcmp(m->findings[i].severity, "warning"))
			sgr(f, o, SGR_YELLOW);
		pd_esc_term(f, m->findings[i].severity);
		sgr(f, o, SGR_OFF);
		fputs(" ", f);
		pd_esc_term(f, m->findings[i].kind);
		fputs(" ", f);
		pd_esc_term(f, m->findings[i].subject);
		fputs(": ", f);
		pd_esc_term(f, m->findings[i].detail);
		if (m->findings[i].count > 1)
			fprintf(f, " (x%" PRId64 ")", m->findings[i].count);
		fputc('\n', f);
	}
}
