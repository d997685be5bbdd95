/*
 * html.c - the HTML report: one self-contained file (HTML Living Standard). No external
 * resource of any kind; a Content-Security-Policy meta element (CSP Level 3) allows only the
 * one inline stylesheet and the one inline script, each by its SHA-256 hash, so neither a
 * capture's text nor anything else can load or run code. Tables are plain HTML that a small
 * script makes sortable (click a header) and filterable (a search box shown only when the
 * script runs): without JavaScript the report is the same tables. Charts are inline SVG
 * (top destinations by bytes, first contact over time). Print stylesheet; viewport meta and
 * horizontally scrolling tables for phones. Untrusted text only through pd_esc_html.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "escape.h"
#include "model.h"

static const char css[] =
        "body{font:14px/1.4 system-ui,sans-serif;margin:1em auto;max-width:1400px;padding:0 1em;"
        "color:#222;background:#fff}"
        "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
        ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
        "table{border-collapse:collapse;font-size:13px;min-width:100%}"
        "th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top;"
        "white-space:nowrap}"
        "td.w{white-space:normal;overflow-wrap:anywhere;min-width:12em;max-width:32em}"
        "th{background:#f3f3f3;position:sticky;top:0}"
        "td.n,th.n{text-align:right;white-space:nowrap}"
        "th[data-sortable]{cursor:pointer}th[aria-sort=ascending]::after{content:' \\25b2'}"
        "th[aria-sort=descending]::after{content:' \\25bc'}"
        "tr.violation td{background:#fde8e8}.low{color:#a15c00}.muted{color:#777}"
        "input.filter{margin:.4em 0;padding:4px;width:min(30em,100%)}"
        "dl.sum{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}dt{font-weight:600}"
        "svg{max-width:100%;height:auto}.charts{display:flex;flex-wrap:wrap;gap:1em}"
        "@media (max-width:600px){body{padding:0 .3em}table{font-size:12px}}"
        "@media print{input.filter{display:none}.scroll{overflow:visible}th{position:static}"
        "body{max-width:none}tr{break-inside:avoid}a{color:inherit}}";

static const char js[] =
        "(function(){'use strict';"
        "function key(td,num){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;"
        "return num?parseFloat(v)||0:v.toLowerCase();}"
        "document.querySelectorAll('input.filter').forEach(function(inp){"
        "var t=document.getElementById(inp.getAttribute('data-table'));if(!t)return;"
        "inp.hidden=false;inp.addEventListener('input',function(){"
        "var q=inp.value.toLowerCase();"
        "Array.prototype.forEach.call(t.tBodies[0].rows,function(r){"
        "r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});});});"
        "document.querySelectorAll('table.sortable').forEach(function(t){"
        "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
        "th.setAttribute('data-sortable','');th.tabIndex=0;"
        "function sort(){var num=th.classList.contains('n');"
        "var asc=th.getAttribute('aria-sort')!=='ascending';"
        "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(o){"
        "o.removeAttribute('aria-sort');});"
        "th.setAttribute('aria-sort',asc?'ascending':'descending');"
        "var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows);"
        "rows.sort(function(x,y){var a=key(x.cells[i],num),c=key(y.cells[i],num);"
        "return (a<c?-1:a>c?1:0)*(asc?1:-1);});"
        "rows.forEach(function(r){b.appendChild(r);});}"
        "th.addEventListener('click',sort);"
        "th.addEventListener('keydown',function(e){if(e.key==='Enter')sort();});});});"
        "})();";

/* 'sha256-BASE64' of s for the CSP. */
static void csp_hash(const char *s, char out[64])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = 0;
	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return;
	EVP_EncodeBlock((unsigned char *)out, md, (int)n);
}

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	pd_esc_html(f, s);
	fputs("</td>", f);
}

/* A cell that may wrap (long names, lists, details). */
static void td_w(FILE *f, const char *s)
{
	fputs("<td class=w>", f);
	pd_esc_html(f, s);
	fputs("</td>", f);
}

static void td_num(FILE *f, int64_t v)
{
	fprintf(f, "<td class=n>%" PRId64 "</td>", v);
}

static void td_bytes(FILE *f, int64_t v)
{
	char b[32];

	fprintf(f, "<td class=n data-v=\"%" PRId64 "\">%s</td>", v, pd_rm_bytes(v, b));
}

static void td_time(FILE *f, int64_t ns)
{
	char t[32];

	fprintf(f, "<td data-v=\"%s\">%s</td>", pd_rm_time(ns, t), t);
}

static void th_row(FILE *f, const char *const *heads)
{
	fputs("<thead><tr>", f);
	for (; *heads; heads++)
		fprintf(f, "<th%s>%s</th>", (*heads)[0] == '#' ? " class=n" : "",
		        (*heads)[0] == '#' ? *heads + 1 : *heads);
	fputs("</tr></thead>\n<tbody>\n", f);
}

static void table_open(FILE *f, const char *id, const char *const *heads)
{
	fprintf(f,
	        "<input class=filter type=search hidden placeholder=\"Filter rows\" "
	        "aria-label=\"Filter rows\" data-table=\"%s\">\n"
	        "<div class=scroll><table class=sortable id=\"%s\">",
	        id, id);
	th_row(f, heads);
}

static void table_close(FILE *f)
{
	fputs("</tbody></table></div>\n", f);
}

static void summary(FILE *f, const struct pd_model *m)
{
	const struct pd_rm_summary *s = &m->sum;
	char b1[32], b2[32], t1[32], t2[32];
	unsigned i;

	fprintf(f,
	        "<h2 id=summary>Summary</h2>\n<dl class=sum>"
	        "<dt>Destinations</dt><dd>%zu (%zu domains)</dd>"
	        "<dt>Unresolved addresses</dt><dd>%zu</dd>"
	        "<dt>Shared addresses</dt><dd>%zu</dd>"
	        "<dt>Flows</dt><dd>%" PRId64 " (%s out, %s in)</dd>"
	        "<dt>Time span</dt><dd>%s – %s</dd>"
	        "<dt>Encrypted DNS</dt><dd>%" PRId64 " flows, %" PRId64 " findings</dd>"
	        "<dt>ECH</dt><dd>%" PRId64 " flows, %" PRId64 " DNS answers</dd>"
	        "<dt>Policy</dt><dd>%s</dd><dt>Reverse lookups</dt><dd>%s</dd><dt>GeoIP</dt><dd>",
	        s->destinations, s->domains, s->unresolved, s->shared, s->flows,
	        pd_rm_bytes(s->bytes_out, b1), pd_rm_bytes(s->bytes_in, b2),
	        s->first_ns == PD_NS_NONE ? "?" : pd_rm_time(s->first_ns, t1),
	        s->last_ns == PD_NS_NONE ? "?" : pd_rm_time(s->last_ns, t2), s->encrypted_dns_flows,
	        s->encrypted_dns_findings, s->ech_flows, s->ech_dns_answers,
	        m->policy_checked ? "checked" : "not checked",
	        m->resolved ? "made at report time (marked)" : "none made (cached results only)");
	if (!m->n_geo)
		fputs("GeoIP not configured", f);
	for (i = 0; i < m->n_geo; i++) {
		if (i)
			fputs(", ", f);
		pd_esc_html(f, m->geo_types[i]);
		fprintf(f, " (built %.10s)",
		        pd_rm_time(m->geo_built[i] == PD_NS_NONE ? PD_NS_NONE
		                                                 : m->geo_built[i] * 1000000000LL,
		                   t1));
	}
	fputs("</dd></dl>\n", f);
	for (i = 0; i < m->n_notes; i++) {
		fputs("<p class=low>Note: ", f);
		pd_esc_html(f, m->notes[i]);
		fputs("</p>\n", f);
	}
}

static void captures(FILE *f, const struct pd_model *m)
{
	static const char *const heads[] = { "#id",        "File",   "SHA-256",   "Format",
		                             "Link types", "First",  "Last",      "#Packets",
		                             "#Bytes",     "#Drops", "Container", "Interfaces",
		                             "Status",     NULL };
	const struct pd_rm_capture *c;
	size_t i, k;

	fputs("<h2 id=captures>Captures</h2>\n", f);
	table_open(f, "captures", heads);
	for (i = 0; i < m->n_caps; i++) {
		c = &m->caps[i];
		fputs("<tr>", f);
		td_num(f, c->id);
		td_w(f, c->path);
		fputs("<td class=w><code>", f);
		pd_esc_html(f, c->sha256);
		fputs("</code></td>", f);
		td(f, c->format);
		td(f, c->link_types);
		td_time(f, c->first_ns);
		td_time(f, c->last_ns);
		td_num(f, c->packets);
		td_bytes(f, c->bytes);
		if (c->drops == PD_NS_NONE)
			fputs("<td class=n>?</td>", f);
		else
			td_num(f, c->drops);
		fputs("<td class=w>", f);
		if (c->container_name || c->container_id || c->image) {
			pd_esc_html(f, c->container_name);
			fputs(" ", f);
			pd_esc_html(f, c->image);
			fputs(" <span class=muted>", f);
			pd_esc_html(f, c->runtime);
			fputs(" ", f);
			pd_esc_html(f, c->container_id);
			if (c->pid != PD_NS_NONE)
				fprintf(f, " pid %" PRId64, c->pid);
			if (c->capture_host) {
				fputs(" on ", f);
				pd_esc_html(f, c->capture_host);
			}
			fputs("</span>", f);
		}
		if (c->comment) {
			fputs(" <span class=muted>", f);
			pd_esc_html(f, c->comment);
			fputs("</span>", f);
		}
		fputs("</td><td>", f);
		for (k = 0; k < c->n_ifaces; k++) {
			if (k)
				fputs(", ", f);
			pd_esc_html(f, c->ifaces[k].name);
			fputs(" (", f);
			pd_esc_html(f, c->ifaces[k].link_type);
			if (c->ifaces[k].dropped != PD_NS_NONE && c->ifaces[k].dropped)
				fprintf(f, ", %" PRId64 " dropped", c->ifaces[k].dropped);
			fputs(")", f);
		}
		fputs("</td>", f);
		if (c->cut_at != PD_NS_NONE) {
			fprintf(f, "<td class=\"w low\">cut at offset %" PRId64 ": ", c->cut_at);
			pd_esc_html(f, c->error);
			fputs("</td>", f);
		} else {
			fputs("<td>complete</td>", f);
		}
		fputs("</tr>\n", f);
	}
	table_close(f);
}

/* Horizontal bars: the top destinations by bytes (in + out). */
static void chart_bytes(FILE *f, const struct pd_model *m)
{
	size_t i, n = m->n_dests < 10 ? m->n_dests : 10;
	int64_t max = 1, v;
	char b[32];
	double w;

	for (i = 0; i < n; i++)
		if (m->dests[i].bytes_out + m->dests[i].bytes_in > max)
			max = m->dests[i].bytes_out + m->dests[i].bytes_in;
	fprintf(f,
	        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 %zu\" "
	        "width=\"640\" height=\"%zu\" role=img aria-label=\"Top destinations by bytes\">\n",
	        n * 22 + 10, n * 22 + 10);
	for (i = 0; i < n; i++) {
		v = m->dests[i].bytes_out + m->dests[i].bytes_in;
		w = 360.0 * (double)v / (double)max;
		fputs("<g><title>", f);
		pd_esc_html(f, m->dests[i].registrable);
		fprintf(f, ": %s</title><text x=\"0\" y=\"%zu\" font-size=\"12\">",
		        pd_rm_bytes(v, b), i * 22 + 20);
		pd_esc_html(f, m->dests[i].registrable);
		fprintf(f,
		        "</text><rect x=\"210\" y=\"%zu\" width=\"%.1f\" height=\"16\" "
		        "fill=\"#3b6fb6\"/><text x=\"%.1f\" y=\"%zu\" "
		        "font-size=\"11\">%s</text></g>\n",
		        i * 22 + 7, w < 1 ? 1 : w, 215 + (w < 1 ? 1 : w), i * 22 + 20, b);
	}
	fputs("</svg><figcaption>Top destinations by bytes (in + out)</figcaption></figure>\n", f);
}

/* Order of destinations by first contact (qsort context through a file-scope pointer is
 * avoided: the array holds the times next to the indices). */
struct first_ix {
	int64_t t;
	size_t i;
};

static int cmp_first(const void *a, const void *b)
{
	const struct first_ix *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

#define CHART_MAX_POINTS 300 /* beyond this, a step line instead of one dot per destination */

/* Destinations contacted so far against time (first contact of each). */
static void chart_first(FILE *f, const struct pd_model *m)
{
	struct first_ix *v = malloc((m->n_dests ? m->n_dests : 1) * sizeof(*v));
	size_t i, n = 0, b;
	double x, y, span;
	char tb[32];

	for (i = 0; v && i < m->n_dests; i++)
		if (m->dests[i].first_ns != PD_NS_NONE) {
			v[n].t = m->dests[i].first_ns;
			v[n++].i = i;
		}
	fputs("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 240\" "
	      "width=\"640\" height=\"240\" role=img aria-label=\"First contact over time\">\n"
	      "<line x1=\"40\" y1=\"210\" x2=\"630\" y2=\"210\" stroke=\"#888\"/>"
	      "<line x1=\"40\" y1=\"10\" x2=\"40\" y2=\"210\" stroke=\"#888\"/>\n",
	      f);
	if (n) {
		qsort(v, n, sizeof(*v), cmp_first);
		span = v[n - 1].t > v[0].t ? (double)(v[n - 1].t - v[0].t) : 1.0;
		fprintf(f, "<text x=\"40\" y=\"228\" font-size=\"11\">%s</text>",
		        pd_rm_time(v[0].t, tb));
		fprintf(f,
		        "<text x=\"630\" y=\"228\" font-size=\"11\" text-anchor=\"end\">%s</text>",
		        pd_rm_time(v[n - 1].t, tb));
		fprintf(f,
		        "<text x=\"36\" y=\"16\" font-size=\"11\" text-anchor=\"end\">%zu</text>\n",
		        n);
		if (n <= CHART_MAX_POINTS) {
			for (i = 0; i < n; i++) {
				x = 40 + 590.0 * (double)(v[i].t - v[0].t) / span;
				y = 210 - 200.0 * (double)(i + 1) / (double)n;
				fprintf(f,
				        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#b63b3b\">"
				        "<title>",
				        x, y);
				pd_esc_html(f, m->dests[v[i].i].registrable);
				fprintf(f, " %s</title></circle>\n", pd_rm_time(v[i].t, tb));
			}
		} else {
			/* one point per horizontal pixel bucket: the count reached in it */
			fputs("<polyline fill=\"none\" stroke=\"#b63b3b\" stroke-width=\"2\" "
			      "points=\"40,210",
			      f);
			for (i = 0, b = 0; b <= 590; b++) {
				while (i < n &&
				       590.0 * (double)(v[i].t - v[0].t) / span <= (double)b)
					i++;
				fprintf(f, " %zu,%.1f", 40 + b,
				        210 - 200.0 * (double)i / (double)n);
			}
			fputs("\"/>\n", f);
		}
	}
	free(v);
	fputs("</svg><figcaption>First contact over time (destinations seen so far)"
	      "</figcaption></figure>\n",
	      f);
}

static void destinations(FILE *f, const struct pd_model *m)
{
	static const char *const heads[] = {
		"Domain",     "Names",        "Evidence",   "Confidence",
		"#Addresses", "Address list", "Ports",      "#Flows",
		"#Out",       "#In",          "First seen", "Last seen",
		"Country",    "ASN / org",    "CDN",        "Shared / candidates",
		"Policy",     "Captures",     NULL
	};
	const struct pd_rm_dest *d;
	const struct pd_rm_row *r;
	size_t i;

	fputs("<h2 id=destinations>Destinations</h2>\n", f);
	table_open(f, "dest", heads);
	for (i = 0; i < m->n_dests; i++) {
		d = &m->dests[i];
		r = &m->rows[d->first];
		fprintf(f, "<tr%s>", !strcmp(d->policy, "violation") ? " class=violation" : "");
		td(f, d->registrable);
		td_w(f, d->names);
		fputs("<td>", f);
		pd_esc_html(f, d->evidence);
		if (d->looked_up)
			fputs(" <span class=muted>(looked up at report time)</span>", f);
		fputs("</td>", f);
		fprintf(f, "<td%s>%s</td>", strcmp(d->confidence, "high") ? " class=low" : "",
		        d->confidence);
		fprintf(f, "<td class=n>%zu</td>", d->n_addresses);
		if (d->vias) {
			fputs("<td class=w>", f);
			pd_esc_html(f, d->addresses);
			fputs(" <span class=muted>via ", f);
			pd_esc_html(f, d->vias);
			fputs("</span></td>", f);
		} else {
			td_w(f, d->addresses);
		}
		td(f, d->ports);
		td_num(f, d->flows);
		td_bytes(f, d->bytes_out);
		td_bytes(f, d->bytes_in);
		td_time(f, d->first_ns);
		td_time(f, d->last_ns);
		td(f, d->countries);
		fputs("<td>", f);
		pd_esc_html(f, d->asns);
		if (r->as_org) {
			fputs(" ", f);
			pd_esc_html(f, r->as_org);
		}
		fputs("</td>", f);
		td(f, d->cdn);
		fputs("<td class=w>", f);
		if (d->shared) {
			fputs("shared address", f);
			if (d->shared_with) {
				fputs(" with ", f);
				pd_esc_html(f, d->shared_with);
			}
			fputs("; ", f);
		}
		if (d->candidates) {
			fputs("candidates: ", f);
			pd_esc_html(f, d->candidates);
		}
		fputs("</td>", f);
		td(f, d->policy);
		td(f, d->captures);
		fputs("</tr>\n", f);
	}
	table_close(f);
}

static void connections(FILE *f, const struct pd_model *m)
{
	static const char *const heads[] = { "Domain",     "Registrable", "Evidence",  "Confidence",
		                             "Candidates", "Server",      "#Port",     "Proto",
		                             "App",        "#Flows",      "#Pkts out", "#Out",
		                             "#Pkts in",   "#In",         "First",     "Last",
		                             "Country",    "#ASN",        "AS org",    "CDN",
		                             "Range",      "Shared",      "Policy",    "Captures",
		                             "Via",        NULL };
	const struct pd_rm_row *r;
	size_t i;

	fputs("<h2 id=connections>Connections</h2>\n<p>One row per (domain, server address, "
	      "port, protocol), as in the CSV report.</p>\n",
	      f);
	table_open(f, "conn", heads);
	for (i = 0; i < m->n_rows; i++) {
		r = &m->rows[i];
		fprintf(f, "<tr%s>", !strcmp(r->policy, "violation") ? " class=violation" : "");
		td(f, r->domain);
		td(f, r->registrable);
		fputs("<td>", f);
		pd_esc_html(f, r->evidence);
		if (r->looked_up)
			fputs(" <span class=muted>(looked up at report time)</span>", f);
		fputs("</td>", f);
		td(f, r->confidence);
		td_w(f, r->candidates);
		td(f, r->server_ip);
		td_num(f, r->port);
		td(f, r->proto);
		td(f, r->app_proto);
		td_num(f, r->flows);
		td_num(f, r->packets_out);
		td_bytes(f, r->bytes_out);
		td_num(f, r->packets_in);
		td_bytes(f, r->bytes_in);
		td_time(f, r->first_ns);
		td_time(f, r->last_ns);
		td(f, r->country);
		if (r->asn)
			td_num(f, r->asn);
		else
			fputs("<td class=n></td>", f);
		td(f, r->as_org);
		td(f, r->cdn);
		td(f, r->label);
		td(f, r->shared ? "yes" : "no");
		td(f, r->policy);
		td(f, r->captures);
		if (r->via_ip) {
			char v[80];
			fputs("<td>", f);
			if (r->via_name) {
				pd_esc_html(f, r->via_name);
				fputc(' ', f);
			}
			snprintf(v, sizeof(v), strchr(r->via_ip, ':') ? "[%s]:%u" : "%s:%u",
			         r->via_ip, r->via_port);
			pd_esc_html(f, v);
			fputs("</td>", f);
		} else {
			td(f, NULL);
		}
		fputs("</tr>\n", f);
	}
	table_close(f);
}

static void others(FILE *f, const struct pd_model *m)
{
	static const char *const uh[] = { "Address",   "Ports", "#Flows",         "#Out",
		                          "#In",       "First", "Last",           "Country",
		                          "ASN / org", "Range", "Reverse lookup", "Policy",
		                          "Captures",  NULL };
	static const char *const sh[] = { "Address", "#Domains", "CDN", "Names (count)", NULL };
	static const char *const nh[] = { "Name",       "Types",      "Result",   "Answers",
		                          "#Responses", "First seen", "Captures", NULL };
	static const char *const fh[] = { "Severity", "Kind",       "Subject",  "Detail",
		                          "#Count",   "First seen", "Captures", NULL };
	static const char *const ch[] = { "Kind", "What", "#Count", NULL };
	const struct pd_rm_unres *u;
	size_t i, k;

	fputs("<h2 id=unresolved>Unresolved addresses</h2>\n", f);
	if (!m->n_unres)
		fputs("<p>None: every connection has a name.</p>\n", f);
	table_open(f, "unres", uh);
	for (i = 0; i < m->n_unres; i++) {
		u = &m->unres[i];
		fprintf(f, "<tr%s>", !strcmp(u->policy, "violation") ? " class=violation" : "");
		td(f, u->ip);
		td(f, u->ports);
		td_num(f, u->flows);
		td_bytes(f, u->bytes_out);
		td_bytes(f, u->bytes_in);
		td_time(f, u->first_ns);
		td_time(f, u->last_ns);
		td(f, u->country);
		fputs("<td>", f);
		if (u->asn)
			fprintf(f, "AS%" PRIu32 " ", u->asn);
		pd_esc_html(f, u->as_org);
		fputs("</td>", f);
		td(f, u->label);
		td(f, u->ptr_status ? u->ptr_status : "not looked up");
		td(f, u->policy);
		td(f, u->captures);
		fputs("</tr>\n", f);
	}
	table_close(f);

	fputs("<h2 id=shared>Shared addresses</h2>\n<p>Addresses that carried names of several "
	      "registrable domains (CDNs): the name on such a connection is less certain.</p>\n",
	      f);
	table_open(f, "shared", sh);
	for (i = 0; i < m->n_shared; i++) {
		fputs("<tr>", f);
		td(f, m->shared[i].ip);
		fprintf(f, "<td class=n>%zu</td>", m->shared[i].n_domains);
		td(f, m->shared[i].cdn);
		fputs("<td class=w>", f);
		for (k = 0; k < m->shared[i].n_names; k++) {
			if (k)
				fputs(", ", f);
			pd_esc_html(f, m->shared[i].names[k].name);
			fprintf(f, " (%" PRId64 ")", m->shared[i].names[k].count);
		}
		fputs("</td></tr>\n", f);
	}
	table_close(f);

	fputs("<h2 id=unused>DNS names looked up but never connected to</h2>\n", f);
	table_open(f, "unused", nh);
	for (i = 0; i < m->n_unused; i++) {
		fputs("<tr>", f);
		td(f, m->unused[i].qname);
		td(f, m->unused[i].qtypes);
		td(f, m->unused[i].rcodes);
		td_w(f, m->unused[i].answers);
		td_num(f, m->unused[i].count);
		td_time(f, m->unused[i].first_ns);
		td(f, m->unused[i].captures);
		fputs("</tr>\n", f);
	}
	table_close(f);

	fputs("<h2 id=findings>Findings</h2>\n", f);
	table_open(f, "findings", fh);
	for (i = 0; i < m->n_findings; i++) {
		fputs("<tr>", f);
		td(f, m->findings[i].severity);
		td(f, m->findings[i].kind);
		td(f, m->findings[i].subject);
		td_w(f, m->findings[i].detail);
		td_num(f, m->findings[i].count);
		td_time(f, m->findings[i].first_ns);
		td(f, m->findings[i].captures);
		fputs("</tr>\n", f);
	}
	table_close(f);

	fputs("<h2 id=counters>Parser counters</h2>\n", f);
	table_open(f, "counters", ch);
	for (i = 0; i < m->n_counters; i++) {
		fputs("<tr>", f);
		td(f, m->counters[i].kind);
		td(f, m->counters[i].what);
		td_num(f, m->counters[i].n);
		fputs("</tr>\n", f);
	}
	table_close(f);
}

void pd_write_html(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	char hs[64], hj[64];

	(void)o;
	csp_hash(css, hs);
	csp_hash(js, hj);
	fputs("<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n"
	      "<meta name=viewport content=\"width=device-width, initial-scale=1\">\n",
	      f);
	fprintf(f,
	        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	        "style-src 'sha256-%s'; script-src 'sha256-%s'; base-uri 'none'; "
	        "form-action 'none'\">\n",
	        hs, hj);
	fputs("<meta name=referrer content=no-referrer>\n<meta name=generator "
	      "content=pcapdomains>\n"
	      "<title>",
	      f);
	pd_esc_html(f, m->title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	pd_esc_html(f, m->title);
	fputs("</h1>\n<nav><a href=\"#summary\">Summary</a> · <a href=\"#captures\">Captures</a> · "
	      "<a href=\"#destinations\">Destinations</a> · <a "
	      "href=\"#connections\">Connections</a>"
	      " · <a href=\"#unresolved\">Unresolved</a> · <a href=\"#shared\">Shared</a> · "
	      "<a href=\"#unused\">Unused names</a> · <a href=\"#findings\">Findings</a></nav>\n",
	      f);
	summary(f, m);
	fputs("<div class=charts>\n", f);
	chart_bytes(f, m);
	chart_first(f, m);
	fputs("</div>\n", f);
	captures(f, m);
	destinations(f, m);
	connections(f, m);
	others(f, m);
	fprintf(f, "<script>%s</script>\n</body>\n</html>\n", js);
}
