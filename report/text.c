/*
 * text.c - the readable table on stdout: the verdict first (violations, the unnamed share,
 * findings by severity), then the top N destinations, unnamed addresses and findings, every
 * line fitted to the terminal width (o->width: TIOCGWINSZ or COLUMNS, decided by cmd/) so
 * nothing wraps. Colour (ANSI SGR) only when o->color (a terminal without NO_COLOR).
 * Untrusted text goes through pd_esc_term/pd_esc_term_fit: no byte from a capture can reach
 * the terminal as a control character.
 *
 * Narrow terminals drop destination columns in this order (README "Terminal table"):
 * ORG/CDN, CC, ADDRESS, IN, FLOWS, PORTS, EVIDENCE; DOMAIN, CONF, OUT and POLICY always
 * stay. A name too long for its column loses its left part ("~" + the end), so the
 * registrable domain stays readable. Findings of one kind and severity are one line with a
 * count.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "model.h"
#include "verdict.h"

#define SGR_BOLD   "\x1b[1m"
#define SGR_RED    "\x1b[31m"
#define SGR_YELLOW "\x1b[33m"
#define SGR_DIM    "\x1b[2m"
#define SGR_OFF    "\x1b[0m"

#define DOMAIN_MIN 20 /* the DOMAIN column keeps at least this many columns */
#define DOMAIN_MAX 40

struct col {
	const char *head;
	size_t width;
	int right;
	int optional; /* dropped when the terminal is narrow (higher: earlier); 0: never */
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

/* Columns that fit width, dropping optional ones (highest level first); POLICY only with a
 * policy, CC and ORG/CDN only when GeoIP or a CDN name gave something. */
static void layout(struct col *c, size_t width, bool policy, bool geo)
{
	static const struct col init[C_N] = {
		[C_DOMAIN] = { "DOMAIN", 0, 0, 0, true }, [C_EVID] = { "EVIDENCE", 11, 0, 1, true },
		[C_CONF] = { "CONF", 6, 0, 0, true },     [C_ADDR] = { "ADDRESS", 17, 0, 5, true },
		[C_PORTS] = { "PORTS", 9, 0, 2, true },   [C_FLOWS] = { "FLOWS", 5, 1, 3, true },
		[C_OUT] = { "OUT", 7, 1, 0, true },       [C_IN] = { "IN", 7, 1, 4, true },
		[C_CC] = { "CC", 2, 0, 6, true },         [C_ORG] = { "ORG/CDN", 16, 0, 7, true },
		[C_POLICY] = { "POLICY", 9, 0, 0, true },
	};
	size_t used = 0, i;
	int level;

	memcpy(c, init, sizeof(init));
	c[C_POLICY].on = policy;
	c[C_CC].on = geo;
	c[C_ORG].on = geo;
	for (level = 7; level >= 0; level--) {
		used = 0;
		for (i = 1; i < C_N; i++)
			if (c[i].on)
				used += c[i].width + 2;
		if (used + DOMAIN_MIN <= width || level == 0)
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
	c[C_DOMAIN].width = width > used + 8 ? width - used : 8;
	if (c[C_DOMAIN].width > DOMAIN_MAX) {
		/* a wide terminal: room for the lists (ports, organisation) before the domain */
		size_t extra = c[C_DOMAIN].width - DOMAIN_MAX, k;

		c[C_DOMAIN].width = DOMAIN_MAX;
		k = c[C_PORTS].on ? (extra < 15 ? extra : 15) : 0;
		c[C_PORTS].width += k;
		extra -= k;
		k = c[C_ORG].on ? (extra < 14 ? extra : 14) : 0;
		c[C_ORG].width += k;
		extra -= k;
		c[C_DOMAIN].width += extra;
		if (c[C_DOMAIN].width > 60)
			c[C_DOMAIN].width = 60;
	}
}

/* s cut to at most width columns, without padding. */
static void fit_nopad(FILE *f, const char *s, size_t width)
{
	if (pd_esc_term_width(s) <= width)
		pd_esc_term(f, s);
	else
		pd_esc_term_fit(f, s, width, 0);
}

/* s in width columns, cut from the left ("~" + its end) when longer; padded unless nopad. */
static void fit_left(FILE *f, const char *s, size_t width, bool nopad)
{
	size_t w = pd_esc_term_width(s ? s : ""), k;
	const char *p;

	if (w <= width || width < 2) {
		if (nopad || w > width)
			fit_nopad(f, s, width);
		else
			pd_esc_term_fit(f, s, width, 0);
		return;
	}
	for (p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue; /* inside a UTF-8 sequence */
		if (pd_esc_term_width(p) <= width - 1)
			break;
	}
	fputc('~', f);
	pd_esc_term(f, p);
	for (k = 1 + pd_esc_term_width(p); !nopad && k < width; k++)
		fputc(' ', f);
}

static void put(FILE *f, const struct col *c, int i, const char *s)
{
	if (!c[i].on)
		return;
	if (i != C_DOMAIN && !(c[i].last && (!s || !*s)))
		fputs("  ", f); /* separators go before a cell: no blanks at line ends */
	if (i == C_DOMAIN)
		fit_left(f, s, c[i].width, c[i].last);
	else if (c[i].last && !c[i].right)
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

/* A line of our own text (with untrusted parts already in it) fitted to W columns. */
static void line(FILE *f, size_t W, const char *s)
{
	fit_nopad(f, s, W);
	fputc('\n', f);
}

static void verdict(FILE *f, const struct pd_model *m, const struct pd_report_opts *o, size_t W)
{
	struct pd_rm_verdict v;
	struct pd_rm_viol vl[8];
	char buf[1024], p1[16], p2[16], b1[32];
	size_t i, n, len;

	pd_rm_verdict_get(m, &v);
	sgr(f, o, SGR_BOLD);
	fputs("VERDICT", f);
	sgr(f, o, SGR_OFF);
	fputc('\n', f);
	if (!m->policy_checked) {
		line(f, W, "  policy: not checked (no --allow)");
	} else {
		n = pd_rm_violations(m, vl, 8);
		len = (size_t)snprintf(
		        buf, sizeof(buf), "  %zu %s", v.violations,
		        pd_rm_plural((int64_t)v.violations, "violation", "violations"));
		for (i = 0; i < n && i < 8 && len < sizeof(buf); i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
			                        i ? ", " : ": ", vl[i].what);
		if (n > 8 && len < sizeof(buf))
			snprintf(buf + len, sizeof(buf) - len, " +%zu more", n - 8);
		if (v.violations)
			sgr(f, o, SGR_RED);
		fputs("  ", f);
		fit_nopad(f, buf + 2, W - 2);
		if (v.violations)
			sgr(f, o, SGR_OFF);
		fputc('\n', f);
	}
	snprintf(buf, sizeof(buf),
	         "  unnamed: %s%% of flows, %s%% of bytes (%" PRId64 " of %" PRId64 " %s, %s)",
	         pd_rm_pct(v.unres_flows, v.flows, p1), pd_rm_pct(v.unres_bytes, v.bytes, p2),
	         v.unres_flows, v.flows, pd_rm_plural(v.flows, "flow", "flows"),
	         pd_rm_bytes(v.unres_bytes, b1));
	line(f, W, buf);
	snprintf(buf, sizeof(buf),
	         "  findings: %zu %s, %zu info%s; confidence: %zu low, %zu medium", v.warnings,
	         pd_rm_plural((int64_t)v.warnings, "warning", "warnings"), v.infos,
	         v.others ? ", others" : "", v.low, v.medium);
	if (v.warnings)
		sgr(f, o, SGR_YELLOW);
	line(f, W, buf);
	if (v.warnings)
		sgr(f, o, SGR_OFF);
}

/* Findings grouped by (severity, kind): one line each, with a count and the first subject. */
static void findings(FILE *f, const struct pd_model *m, const struct pd_report_opts *o, size_t W)
{
	bool *done = calloc(m->n_findings ? m->n_findings : 1, 1);
	const struct pd_rm_finding *x, *y;
	size_t i, j, rows;
	int64_t events;
	char head[160];
	int pass;

	if (!done || !m->n_findings) {
		free(done);
		return;
	}
	heading(f, o, "Findings");
	for (pass = 0; pass < 2; pass++) /* warnings first */
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
				events += y->count > 0 ? y->count : 1;
			}
			done[i] = true;
			if (!rows)
				rows = 1, events = x->count;
			fputs("  ", f);
			if (pass == 0)
				sgr(f, o, SGR_YELLOW);
			pd_esc_term_fit(f, x->severity, 7, 0);
			sgr(f, o, SGR_OFF);
			fputc(' ', f);
			if (rows > 1)
				snprintf(head, sizeof(head), " (%zu %s, %" PRId64 " %s), e.g. ",
				         rows, pd_rm_plural((int64_t)rows, "subject", "subjects"),
				         events, pd_rm_plural(events, "time", "times"));
			else if (events > 1)
				snprintf(head, sizeof(head), " (x%" PRId64 ") ", events);
			else
				snprintf(head, sizeof(head), " ");
			{
				char *buf = NULL;
				size_t len = 0;
				FILE *mf = open_memstream(&buf, &len);

				if (mf) {
					fprintf(mf, "%s%s%s: %s", x->kind ? x->kind : "", head,
					        x->subject ? x->subject : "",
					        x->detail ? x->detail : "");
					fclose(mf);
					fit_nopad(f, buf ? buf : "", W > 12 ? W - 10 : 2);
					free(buf);
				}
			}
			fputc('\n', f);
		}
	free(done);
}

static void unnamed(FILE *f, const struct pd_model *m, const struct pd_report_opts *o, size_t W)
{
	const struct pd_rm_unres *u;
	size_t i, n, aw = 7, rest, used;
	char b1[32], b2[32], num[64], extra[512];

	if (!m->n_unres)
		return;
	heading(f, o, "Unnamed addresses");
	n = o->top && o->top < m->n_unres ? o->top : m->n_unres;
	for (i = 0; i < n; i++)
		if (pd_esc_term_width(m->unres[i].ip) > aw)
			aw = pd_esc_term_width(m->unres[i].ip);
	/* ADDRESS FLOWS OUT IN: the fixed part; the rest of the line for ports and labels */
	if (aw > 39)
		aw = 39;
	if (W < aw + 2 + 28 + 8)
		aw = W > 46 ? W - 38 : 8;
	used = 2 + aw + 2 + 27; /* "%5d %-5s %7s %7s" */
	rest = W > used + 5 ? W - used - 2 : 0;
	for (i = 0; i < n; i++) {
		u = &m->unres[i];
		fputs("  ", f);
		pd_esc_term_fit(f, u->ip, aw, 0);
		snprintf(num, sizeof(num), "%5" PRId64 " %-5s %7s %7s", u->flows,
		         pd_rm_plural(u->flows, "flow", "flows"), pd_rm_bytes(u->bytes_out, b1),
		         pd_rm_bytes(u->bytes_in, b2));
		fputs("  ", f);
		fputs(num, f);
		if (!rest) {
			fputc('\n', f);
			continue;
		}
		if (!strcmp(u->policy, "violation")) {
			fputs("  ", f);
			sgr(f, o, SGR_RED);
			fputs("violation", f);
			sgr(f, o, SGR_OFF);
			if (rest <= 11) {
				fputc('\n', f);
				continue;
			}
		}
		snprintf(extra, sizeof(extra), "%s%s%s%s%s%s%s", u->ports ? u->ports : "",
		         u->country[0] ? " " : "", u->country, u->label ? " " : "",
		         u->label ? u->label : "", u->as_org ? " " : "",
		         u->as_org ? u->as_org : "");
		if (u->ptr_status && strlen(extra) + strlen(u->ptr_status) + 8 < sizeof(extra)) {
			strcat(extra, " ptr: ");
			strcat(extra, u->ptr_status);
		}
		fputs("  ", f);
		fit_nopad(f, extra, rest - (!strcmp(u->policy, "violation") ? 11 : 0));
		fputc('\n', f);
	}
	if (n < m->n_unres)
		fprintf(f, "  ... %zu more %s\n", m->n_unres - n,
		        pd_rm_plural((int64_t)(m->n_unres - n), "address", "addresses"));
}

/* One short section of traffic that is not a destination (model.h pd_rm_side). */
static void sides(FILE *f, const struct pd_report_opts *o, const struct pd_model *m,
                  const char *dir, const char *title, size_t W)
{
	FILE *out = f;
	char *lb = NULL;
	size_t ll = 0;

	size_t first, n = pd_rm_sides_of(m, dir, &first), i, shown;
	char b1[32], b2[32];

	if (!n)
		return;
	heading(f, o, title);
	shown = o->top && o->top < n ? o->top : n;
	for (i = first; i < first + shown; i++) {
		const struct pd_rm_side *r = &m->sides[i];

		/* the line into a buffer, then fitted to the terminal: nothing wraps */
		f = open_memstream(&lb, &ll);
		if (!f) {
			f = out;
			break;
		}
		fputs("  ", f);
		if (r->label) {
			pd_esc_term(f, r->label);
			fputs("  ", f);
		}
		pd_esc_term(f, r->server_ip);
		if (r->port && r->proto && (!strcmp(r->proto, "tcp") || !strcmp(r->proto, "udp")))
			fprintf(f, ":%u", r->port);
		fputc('/', f);
		pd_esc_term(f, r->proto);
		if (r->names) {
			fputs("  names asked: ", f);
			pd_esc_term(f, r->names);
		}
		fprintf(f, "  from %" PRId64 " client%s: ", r->n_clients,
		        r->n_clients == 1 ? "" : "s");
		pd_esc_term(f, r->clients);
		fprintf(f, "  %" PRId64 " %s, %s out, %s in", r->flows,
		        pd_rm_plural(r->flows, "flow", "flows"), pd_rm_bytes(r->bytes_out, b1),
		        pd_rm_bytes(r->bytes_in, b2));
		fclose(f);
		f = out;
		/* already escaped: cut by bytes at a character boundary */
		if (lb && strlen(lb) > W) {
			size_t cut = W - 1;

			while (cut && ((unsigned char)lb[cut] & 0xc0) == 0x80)
				cut--;
			fwrite(lb, 1, cut, f);
			fputc('~', f);
		} else if (lb) {
			fputs(lb, f);
		}
		fputc('\n', f);
		free(lb);
		lb = NULL;
	}
	if (shown < n)
		fprintf(f, "  ... %zu more\n", n - shown);
}

void pd_write_text(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	const struct pd_rm_summary *s = &m->sum;
	const struct pd_rm_dest *d;
	const struct pd_rm_row *r;
	struct col c[C_N];
	char b1[32], b2[32], t1[32], t2[32], addr[128], org[300], buf[1024], locals[1024];
	size_t i, n, len;
	unsigned g;
	const size_t W = o->width >= 20 ? o->width : o->width ? 20 : 100;
	bool geo = false;

	for (i = 0; i < m->n_dests && !geo; i++)
		geo = m->dests[i].cdn || m->dests[i].countries[0];
	layout(c, W, m->policy_checked, geo || m->n_geo > 0);
	sgr(f, o, SGR_BOLD);
	fit_nopad(f, m->title, W);
	sgr(f, o, SGR_OFF);
	fputc('\n', f);
	verdict(f, m, o, W);

	heading(f, o, "CAPTURES");
	n = o->top && o->top < m->n_caps ? o->top : m->n_caps;
	for (i = 0; i < n; i++) {
		const char *file = pd_rm_capture_file(m, m->caps[i].id);
		char cutbuf[24];

		snprintf(cutbuf, sizeof(cutbuf), "%" PRId64, m->caps[i].cut_at);

		len = (size_t)snprintf(buf, sizeof(buf), "  %" PRId64 " %s%s%s  %" PRId64 " %s, %s",
		                       m->caps[i].id, file ? file : "?",
		                       m->caps[i].cut_at != PD_NS_NONE ? "  CUT at offset " : "",
		                       m->caps[i].cut_at != PD_NS_NONE ? cutbuf : "",
		                       m->caps[i].packets,
		                       pd_rm_plural(m->caps[i].packets, "packet", "packets"),
		                       pd_rm_bytes(m->caps[i].bytes, b1));
		if (len < sizeof(buf) && m->caps[i].drops != PD_NS_NONE && m->caps[i].drops)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			                        ", %" PRId64 " dropped", m->caps[i].drops);
		if (len < sizeof(buf) && m->caps[i].container_name)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			                        "  container %s%s%s%s", m->caps[i].container_name,
			                        m->caps[i].image ? " (" : "",
			                        m->caps[i].image ? m->caps[i].image : "",
			                        m->caps[i].image ? ")" : "");
		if (len < sizeof(buf) && m->caps[i].sha256 &&
		    strspn(m->caps[i].sha256, "0123456789abcdef") >= 12)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "  sha256 %.12s",
			                        m->caps[i].sha256);
		if (m->caps[i].cut_at != PD_NS_NONE)
			sgr(f, o, SGR_YELLOW);
		fit_nopad(f, buf, W);
		if (m->caps[i].cut_at != PD_NS_NONE)
			sgr(f, o, SGR_OFF);
		fputc('\n', f);
		snprintf(buf, sizeof(buf), "    local addresses: %s",
		         pd_rm_locals_str(&m->caps[i], locals, sizeof(locals)));
		fit_nopad(f, buf, W);
		fputc('\n', f);
	}
	if (n < m->n_caps)
		fprintf(f, "  ... %zu more %s\n", m->n_caps - n,
		        pd_rm_plural((int64_t)(m->n_caps - n), "capture", "captures"));
	snprintf(buf, sizeof(buf), "  %zu %s (%zu %s), %zu unnamed %s, %zu shared %s",
	         s->destinations,
	         pd_rm_plural((int64_t)s->destinations, "destination", "destinations"), s->domains,
	         pd_rm_plural((int64_t)s->domains, "domain", "domains"), s->unresolved,
	         pd_rm_plural((int64_t)s->unresolved, "address", "addresses"), s->shared,
	         pd_rm_plural((int64_t)s->shared, "address", "addresses"));
	line(f, W, buf);
	snprintf(buf, sizeof(buf), "  %" PRId64 " %s, %s out, %s in; %s .. %s", s->flows,
	         pd_rm_plural(s->flows, "flow", "flows"), pd_rm_bytes(s->bytes_out, b1),
	         pd_rm_bytes(s->bytes_in, b2),
	         s->first_ns == PD_NS_NONE ? "?" : pd_rm_time(s->first_ns, t1),
	         s->last_ns == PD_NS_NONE ? "?" : pd_rm_time(s->last_ns, t2));
	line(f, W, buf);
	len = (size_t)snprintf(
	        buf, sizeof(buf), "  encrypted DNS: %" PRId64 " %s; ECH: %" PRId64 " %s; ",
	        s->encrypted_dns_flows, pd_rm_plural(s->encrypted_dns_flows, "flow", "flows"),
	        s->ech_flows, pd_rm_plural(s->ech_flows, "flow", "flows"));
	if (!m->n_geo) {
		snprintf(buf + len, sizeof(buf) - len, "GeoIP not configured");
	} else {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "GeoIP:");
		for (g = 0; g < m->n_geo && len < sizeof(buf); g++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %s",
			                        m->geo_types[g]);
	}
	line(f, W, buf);
	for (i = 0; i < m->n_notes; i++) {
		snprintf(buf, sizeof(buf), "  note: %s", m->notes[i]);
		line(f, W, buf);
	}
	fputc('\n', f);

	sgr(f, o, SGR_BOLD);
	for (i = 0; i < C_N; i++)
		put(f, c, (int)i, c[i].head);
	sgr(f, o, SGR_OFF);
	fputc('\n', f);
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
		fputc('\n', f);
		/* the names under a registrable domain, when more than the domain itself; the
		 * violating ones first when the group is in violation */
		if (strcmp(d->names, d->registrable)) {
			fputs("  ", f);
			sgr(f, o, SGR_DIM);
			fit_nopad(f, d->names, W - 2);
			sgr(f, o, SGR_OFF);
			fputc('\n', f);
		}
		if (d->vias) { /* through a proxy (README "Proxies") */
			fputs("  via ", f);
			fit_nopad(f, d->vias, W - 6);
			fputc('\n', f);
		}
		if (strcmp(d->confidence, "high")) {
			char why[512];

			for (size_t k = d->first; k < d->first + d->n; k++)
				if (strcmp(m->rows[k].confidence, "high")) {
					pd_rm_why(&m->rows[k], why, sizeof(why));
					break;
				}
			snprintf(buf, sizeof(buf), "  why %s: %s", d->confidence, why);
			sgr(f, o, SGR_DIM);
			fit_nopad(f, buf, W);
			sgr(f, o, SGR_OFF);
			fputc('\n', f);
		}
		if (d->shared || d->candidates) {
			len = (size_t)snprintf(buf, sizeof(buf), "  (%s%s%s%s%s)",
			                       d->shared ? "shared address" : "",
			                       d->shared && d->shared_with ? " with " : "",
			                       d->shared && d->shared_with ? d->shared_with : "",
			                       d->shared && d->candidates ? "; " : "",
			                       d->candidates ? "candidates: " : "");
			if (d->candidates && len >= 1 && len < sizeof(buf))
				snprintf(buf + len - 1, sizeof(buf) - len + 1, "%s)",
				         d->candidates);
			sgr(f, o, SGR_DIM);
			fit_nopad(f, buf, W);
			sgr(f, o, SGR_OFF);
			fputc('\n', f);
		}
	}
	if (n < m->n_dests)
		fprintf(f, "... %zu more %s (--top 0 shows all)\n", m->n_dests - n,
		        pd_rm_plural((int64_t)(m->n_dests - n), "destination", "destinations"));

	unnamed(f, m, o, W);

	sides(f, o, m, "ingress", "Inbound (connections to the subject; not destinations)", W);
	sides(f, o, m, "internal", "Internal (both ends local)", W);
	sides(f, o, m, "control", "Link-local control traffic (not judged by policies)", W);
	if (m->sides_cut)
		fprintf(f, "  ... %" PRId64 " more inbound/internal/control rows\n", m->sides_cut);

	if (m->n_unused) {
		len = (size_t)snprintf(buf, sizeof(buf),
		                       "Names looked up but never connected to: ");
		n = o->top && o->top < m->n_unused ? o->top : m->n_unused;
		for (i = 0; i < n && len < sizeof(buf); i++)
			len += (size_t)snprintf(
			        buf + len, sizeof(buf) - len, "%s%s%s%s%s", i ? ", " : "",
			        m->unused[i].qname,
			        m->unused[i].rcodes && strcmp(m->unused[i].rcodes, "NOERROR") ? " ("
			                                                                      : "",
			        m->unused[i].rcodes && strcmp(m->unused[i].rcodes, "NOERROR")
			                ? m->unused[i].rcodes
			                : "",
			        m->unused[i].rcodes && strcmp(m->unused[i].rcodes, "NOERROR") ? ")"
			                                                                      : "");
		if (n < m->n_unused && len < sizeof(buf))
			snprintf(buf + len, sizeof(buf) - len, " ... %zu more", m->n_unused - n);
		fputc('\n', f);
		line(f, W, buf);
	}
	findings(f, m, o, W);
}
