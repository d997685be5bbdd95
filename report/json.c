/*
 * json.c - the JSON report (RFC 8259): everything in the model, for pipelines. The schema is
 * documented in doc/report-schema.json; "schema_version" changes when a field changes
 * meaning or goes away (adding fields does not change it).
 *
 * Output is deterministic (model order) and pretty-printed with two-space indents; strings
 * go through pd_esc_json, unknown values are null.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "model.h"
#include "verdict.h"

struct jw {
	FILE *f;
	int depth;
	bool first; /* no member written yet at this depth */
};

/* A new line indented two spaces per depth (one fwrite: this runs for every member). */
static void indent(struct jw *w)
{
	static const char line[] =
	        "\n                                                                ";
	size_t n = 1 + 2 * (size_t)(w->depth > 0 ? w->depth : 0);

	fwrite(line, 1, n < sizeof(line) - 1 ? n : sizeof(line) - 1, w->f);
}

/* Starts a member (key may be NULL inside arrays). */
static void key(struct jw *w, const char *k)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
	indent(w);
	if (k) {
		pd_esc_json(w->f, k);
		fputs(": ", w->f);
	}
}

static void open_(struct jw *w, const char *k, char c)
{
	key(w, k);
	fputc(c, w->f);
	w->depth++;
	w->first = true;
}

static void close_(struct jw *w, char c)
{
	w->depth--;
	if (!w->first)
		indent(w);
	fputc(c, w->f);
	w->first = false;
}

static void str(struct jw *w, const char *k, const char *v)
{
	key(w, k);
	pd_esc_json(w->f, v);
}

static void num(struct jw *w, const char *k, int64_t v)
{
	key(w, k);
	if (v == PD_NS_NONE)
		fputs("null", w->f);
	else
		fprintf(w->f, "%" PRId64, v);
}

static void boolean(struct jw *w, const char *k, bool v)
{
	key(w, k);
	fputs(v ? "true" : "false", w->f);
}

static void time_(struct jw *w, const char *k, int64_t ns)
{
	char t[32];

	key(w, k);
	if (ns == PD_NS_NONE)
		fputs("null", w->f);
	else
		pd_esc_json(w->f, pd_rm_time(ns, t));
}

static void opt_str(struct jw *w, const char *k, const char *v)
{
	str(w, k, v && *v ? v : NULL);
}

/* An array of the items of a list joined with sep (sep never occurs inside items: only used
 * for lists the model built from our own values or '|'-joined candidates). */
static void split_array(struct jw *w, const char *k, const char *s, const char *sep)
{
	char item[1024];
	const char *p = s, *e;
	size_t n, sl = strlen(sep);

	open_(w, k, '[');
	while (p && *p) {
		e = strstr(p, sep);
		n = e ? (size_t)(e - p) : strlen(p);
		if (n < sizeof(item)) {
			memcpy(item, p, n);
			item[n] = 0;
			str(w, NULL, item);
		}
		p = e ? e + sl : NULL;
	}
	close_(w, ']');
}

static void id_array(struct jw *w, const char *k, const char *ids)
{
	key(w, k);
	fputc('[', w->f);
	for (; ids && *ids; ids++) /* group_concat of integer ids: keep it that way */
		if ((*ids >= '0' && *ids <= '9') || *ids == ',')
			fputc(*ids, w->f);
	fputc(']', w->f);
}

/* Distinct values of a row field over rows[first .. first + n), in row order. */
static void row_set(struct jw *w, const char *k, const struct pd_model *m, size_t first, size_t n,
                    size_t off)
{
	size_t i, j;
	const char *v, *u;

	open_(w, k, '[');
	for (i = first; i < first + n; i++) {
		v = *(char *const *)((const char *)&m->rows[i] + off);
		if (!v)
			continue;
		for (j = first; j < i; j++) {
			u = *(char *const *)((const char *)&m->rows[j] + off);
			if (u && !strcmp(u, v))
				break;
		}
		if (j == i)
			str(w, NULL, v);
	}
	close_(w, ']');
}

static void geo_fields(struct jw *w, const char *country, uint32_t asn, const char *org,
                       const char *label)
{
	opt_str(w, "country", country);
	num(w, "asn", asn ? (int64_t)asn : PD_NS_NONE);
	opt_str(w, "as_org", org);
	str(w, "special_range", label);
}

static void evidence_mix(struct jw *w, const int64_t ev[PD_RM_N_EVIDENCE])
{
	int i;

	open_(w, "evidence_mix", '{');
	for (i = 0; i < PD_RM_N_EVIDENCE; i++)
		if (ev[i])
			num(w, pd_rm_evidence_names[i], ev[i]);
	close_(w, '}');
}

/* Per flow of a row: client, TCP state, duration, Community ID (first PD_RM_CONNS_MAX). */
static void conns(struct jw *w, const struct pd_rm_row *r)
{
	const struct pd_rm_conn *c;
	char cid[32], why[512];
	int i;

	str(w, "why",
	    r->domain && !strcmp(r->confidence, "high") ? NULL : pd_rm_why(r, why, sizeof(why)));
	evidence_mix(w, r->ev_flows);
	open_(w, "tcp_states", '{');
	for (i = 0; i < PD_RM_N_TCP; i++)
		if (r->tcp_flows[i])
			num(w, pd_rm_tcp_state_names[i], r->tcp_flows[i]);
	close_(w, '}');
	num(w, "max_duration_ms", r->max_duration_ns / 1000000);
	open_(w, "flow_records", '[');
	for (c = r->conns; c; c = c->next) {
		open_(w, NULL, '{');
		str(w, "client_ip", c->client_ip);
		num(w, "client_port", c->client_port);
		str(w, "tcp_state", c->tcp_state >= 0 ? pd_rm_tcp_state_names[c->tcp_state] : NULL);
		time_(w, "first_seen", c->first_ns);
		time_(w, "last_seen", c->last_ns);
		num(w, "duration_ms", pd_rm_duration_ns(c->first_ns, c->last_ns) / 1000000);
		num(w, "bytes_out", c->bytes_out);
		num(w, "bytes_in", c->bytes_in);
		opt_str(w, "community_id", pd_rm_conn_cid(r, c, cid));
		num(w, "capture", c->capture_id);
		close_(w, '}');
	}
	close_(w, ']');
	num(w, "flow_records_omitted", r->flows - (int64_t)r->n_conns);
}

static void row(struct jw *w, const struct pd_rm_row *r)
{
	open_(w, NULL, '{');
	str(w, "domain", r->domain);
	str(w, "registrable_domain", r->registrable);
	str(w, "evidence", r->evidence);
	str(w, "confidence", r->confidence);
	split_array(w, "candidates", r->candidates, "|");
	str(w, "server_ip", r->server_ip);
	num(w, "port", r->port);
	str(w, "proto", r->proto);
	str(w, "app_proto", r->app_proto);
	num(w, "flows", r->flows);
	num(w, "packets_out", r->packets_out);
	num(w, "bytes_out", r->bytes_out);
	num(w, "packets_in", r->packets_in);
	num(w, "bytes_in", r->bytes_in);
	time_(w, "first_seen", r->first_ns);
	time_(w, "last_seen", r->last_ns);
	geo_fields(w, r->country, r->asn, r->as_org, r->label);
	opt_str(w, "city", r->city);
	str(w, "cdn", r->cdn);
	boolean(w, "shared_address", r->shared);
	boolean(w, "ambiguous", r->ambiguous);
	str(w, "cname_chain", r->cname_chain);
	num(w, "ech_flows", r->ech_flows);
	boolean(w, "looked_up_at_report_time", r->looked_up);
	str(w, "ptr_status", r->ptr_status);
	str(w, "policy", r->policy);
	str(w, "policy_rule", r->policy_rule);
	id_array(w, "captures", r->captures);
	str(w, "direction", r->direction);
	conns(w, r);
	str(w, "tunnels", r->tunnels);
	if (r->via_ip) {
		open_(w, "via", '{');
		str(w, "ip", r->via_ip);
		num(w, "port", r->via_port);
		str(w, "name", r->via_name);
		str(w, "policy", r->via_policy ? r->via_policy : "unchecked");
		close_(w, '}');
	} else {
		str(w, "via", NULL);
	}
	close_(w, '}');
}

static void captures(struct jw *w, const struct pd_model *m)
{
	const struct pd_rm_capture *c;
	const struct pd_rm_iface *fi;
	size_t i, k;

	open_(w, "captures", '[');
	for (i = 0; i < m->n_caps; i++) {
		c = &m->caps[i];
		open_(w, NULL, '{');
		num(w, "id", c->id);
		str(w, "path", c->path);
		num(w, "size", c->size);
		str(w, "sha256", c->sha256);
		str(w, "format", c->format);
		str(w, "link_types", c->link_types);
		time_(w, "first_seen", c->first_ns);
		time_(w, "last_seen", c->last_ns);
		num(w, "packets", c->packets);
		num(w, "bytes", c->bytes);
		num(w, "drops", c->drops);
		boolean(w, "cut", c->cut_at != PD_NS_NONE);
		num(w, "cut_at", c->cut_at);
		str(w, "error", c->error);
		str(w, "tool_version", c->tool_version);
		open_(w, "container", '{');
		str(w, "runtime", c->runtime);
		str(w, "id", c->container_id);
		str(w, "name", c->container_name);
		str(w, "image", c->image);
		num(w, "pid", c->pid);
		str(w, "host", c->capture_host);
		str(w, "filter", c->capture_filter);
		str(w, "capture_app", c->capture_app);
		close_(w, '}');
		str(w, "comment", c->comment);
		open_(w, "interfaces", '[');
		for (k = 0; k < c->n_ifaces; k++) {
			fi = &c->ifaces[k];
			open_(w, NULL, '{');
			num(w, "index", fi->idx);
			str(w, "name", fi->name);
			str(w, "description", fi->description);
			str(w, "link_type", fi->link_type);
			num(w, "snaplen", fi->snaplen);
			num(w, "received", fi->received);
			num(w, "dropped", fi->dropped);
			close_(w, '}');
		}
		close_(w, ']');
		open_(w, "local_addresses", '[');
		for (k = 0; k < c->n_locals; k++) {
			open_(w, NULL, '{');
			str(w, "ip", c->locals[k].ip);
			num(w, "prefix", c->locals[k].prefix);
			str(w, "source", c->locals[k].source);
			str(w, "interface", c->locals[k].iface);
			close_(w, '}');
		}
		close_(w, ']');
		close_(w, '}');
	}
	close_(w, ']');
}

/* "inbound", "internal", "control": traffic that is not a destination. */
static void sides(struct jw *w, const struct pd_model *m, const char *k, const char *dir)
{
	size_t first, n = pd_rm_sides_of(m, dir, &first), i;

	open_(w, k, '[');
	for (i = first; i < first + n; i++) {
		const struct pd_rm_side *r = &m->sides[i];

		open_(w, NULL, '{');
		str(w, "direction", r->direction);
		str(w, "label", r->label);
		str(w, "server_ip", r->server_ip);
		num(w, "port", r->port);
		str(w, "proto", r->proto);
		str(w, "app_proto", r->app_proto);
		str(w, "names", r->names);
		str(w, "clients", r->clients);
		num(w, "client_count", r->n_clients);
		num(w, "flows", r->flows);
		num(w, "packets_out", r->packets_out);
		num(w, "bytes_out", r->bytes_out);
		num(w, "packets_in", r->packets_in);
		num(w, "bytes_in", r->bytes_in);
		time_(w, "first_seen", r->first_ns);
		time_(w, "last_seen", r->last_ns);
		id_array(w, "captures", r->captures);
		close_(w, '}');
	}
	close_(w, ']');
}

static void summary(struct jw *w, const struct pd_model *m)
{
	const struct pd_rm_summary *s = &m->sum;

	open_(w, "summary", '{');
	num(w, "captures", (int64_t)s->captures);
	num(w, "destinations", (int64_t)s->destinations);
	num(w, "domains", (int64_t)s->domains);
	num(w, "unresolved_addresses", (int64_t)s->unresolved);
	num(w, "shared_addresses", (int64_t)s->shared);
	num(w, "encrypted_dns_flows", s->encrypted_dns_flows);
	num(w, "encrypted_dns_findings", s->encrypted_dns_findings);
	num(w, "ech_flows", s->ech_flows);
	num(w, "ech_dns_answers", s->ech_dns_answers);
	num(w, "flows", s->flows);
	num(w, "packets_out", s->packets_out);
	num(w, "bytes_out", s->bytes_out);
	num(w, "packets_in", s->packets_in);
	num(w, "bytes_in", s->bytes_in);
	num(w, "capture_packets", s->packets);
	num(w, "capture_bytes", s->bytes);
	num(w, "drops", s->drops);
	num(w, "cut_captures", (int64_t)s->cut_captures);
	time_(w, "first_seen", s->first_ns);
	time_(w, "last_seen", s->last_ns);
	close_(w, '}');
}

static void destinations(struct jw *w, const struct pd_model *m)
{
	const struct pd_rm_dest *d;
	size_t i, k;

	open_(w, "destinations", '[');
	for (i = 0; i < m->n_dests; i++) {
		d = &m->dests[i];
		open_(w, NULL, '{');
		str(w, "registrable_domain", d->registrable);
		row_set(w, "names", m, d->first, d->n, offsetof(struct pd_rm_row, domain));
		str(w, "evidence", d->evidence);
		str(w, "confidence", d->confidence);
		row_set(w, "addresses", m, d->first, d->n, offsetof(struct pd_rm_row, server_ip));
		split_array(w, "ports", d->ports, ", ");
		num(w, "flows", d->flows);
		num(w, "packets_out", d->packets_out);
		num(w, "bytes_out", d->bytes_out);
		num(w, "packets_in", d->packets_in);
		num(w, "bytes_in", d->bytes_in);
		time_(w, "first_seen", d->first_ns);
		time_(w, "last_seen", d->last_ns);
		split_array(w, "countries", d->countries, ", ");
		split_array(w, "asns", d->asns, ", ");
		row_set(w, "as_orgs", m, d->first, d->n, offsetof(struct pd_rm_row, as_org));
		str(w, "cdn", d->cdn);
		boolean(w, "shared_address", d->shared);
		split_array(w, "shared_with", d->shared_with, ", ");
		split_array(w, "candidates", d->candidates, "|");
		boolean(w, "looked_up_at_report_time", d->looked_up);
		str(w, "policy", d->policy);
		id_array(w, "captures", d->captures);
		evidence_mix(w, d->ev_flows);
		open_(w, "connections", '[');
		for (k = 0; k < d->n; k++)
			row(w, &m->rows[d->first + k]);
		close_(w, ']');
		close_(w, '}');
	}
	close_(w, ']');
}

static void rest(struct jw *w, const struct pd_model *m)
{
	const struct pd_rm_unres *u;
	const struct pd_rm_shared *sh;
	const struct pd_rm_unused *un;
	const struct pd_rm_finding *fd;
	size_t i, k;

	open_(w, "unresolved", '[');
	for (i = 0; i < m->n_unres; i++) {
		u = &m->unres[i];
		open_(w, NULL, '{');
		str(w, "ip", u->ip);
		split_array(w, "ports", u->ports, ", ");
		num(w, "flows", u->flows);
		num(w, "bytes_out", u->bytes_out);
		num(w, "bytes_in", u->bytes_in);
		time_(w, "first_seen", u->first_ns);
		time_(w, "last_seen", u->last_ns);
		geo_fields(w, u->country, u->asn, u->as_org, u->label);
		str(w, "ptr_status", u->ptr_status);
		num(w, "ptr_looked_up_at", u->ptr_at);
		str(w, "policy", u->policy);
		id_array(w, "captures", u->captures);
		close_(w, '}');
	}
	close_(w, ']');
	open_(w, "unattributed_connections", '[');
	for (i = m->n_attributed; i < m->n_rows; i++)
		row(w, &m->rows[i]);
	close_(w, ']');

	open_(w, "shared_addresses", '[');
	for (i = 0; i < m->n_shared; i++) {
		sh = &m->shared[i];
		open_(w, NULL, '{');
		str(w, "ip", sh->ip);
		num(w, "registrable_domains", (int64_t)sh->n_domains);
		str(w, "cdn", sh->cdn);
		open_(w, "names", '[');
		for (k = 0; k < sh->n_names; k++) {
			open_(w, NULL, '{');
			str(w, "name", sh->names[k].name);
			num(w, "count", sh->names[k].count);
			close_(w, '}');
		}
		close_(w, ']');
		close_(w, '}');
	}
	close_(w, ']');

	open_(w, "unused_names", '[');
	for (i = 0; i < m->n_unused; i++) {
		un = &m->unused[i];
		open_(w, NULL, '{');
		str(w, "name", un->qname);
		str(w, "qtypes", un->qtypes);
		str(w, "rcodes", un->rcodes);
		str(w, "answers", un->answers);
		num(w, "responses", un->count);
		time_(w, "first_seen", un->first_ns);
		id_array(w, "captures", un->captures);
		close_(w, '}');
	}
	close_(w, ']');

	sides(w, m, "inbound", "ingress");
	sides(w, m, "internal", "internal");
	sides(w, m, "control", "control");
	num(w, "side_rows_cut", m->sides_cut);

	open_(w, "findings", '[');
	for (i = 0; i < m->n_findings; i++) {
		fd = &m->findings[i];
		open_(w, NULL, '{');
		str(w, "kind", fd->kind);
		str(w, "severity", fd->severity);
		str(w, "subject", fd->subject);
		str(w, "detail", fd->detail);
		num(w, "count", fd->count);
		time_(w, "first_seen", fd->first_ns);
		id_array(w, "captures", fd->captures);
		close_(w, '}');
	}
	close_(w, ']');

	open_(w, "counters", '[');
	for (i = 0; i < m->n_counters; i++) {
		open_(w, NULL, '{');
		str(w, "kind", m->counters[i].kind);
		str(w, "what", m->counters[i].what);
		num(w, "n", m->counters[i].n);
		close_(w, '}');
	}
	close_(w, ']');
}

/* What a reviewer reads first: violations, the unnamed share, findings by severity. */
static void verdict(struct jw *w, const struct pd_model *m)
{
	struct pd_rm_verdict v;
	struct pd_rm_viol *vl;
	size_t i, n;

	pd_rm_verdict_get(m, &v);
	open_(w, "verdict", '{');
	boolean(w, "policy_checked", m->policy_checked);
	num(w, "violations", (int64_t)v.violations);
	open_(w, "violation_list", '[');
	vl = calloc(v.violations ? v.violations : 1, sizeof(*vl));
	n = vl ? pd_rm_violations(m, vl, v.violations) : 0;
	for (i = 0; vl && i < n && i < v.violations; i++) {
		open_(w, NULL, '{');
		str(w, vl[i].address ? "address" : "name", vl[i].what);
		num(w, "flows", vl[i].flows);
		num(w, "bytes", vl[i].bytes);
		close_(w, '}');
	}
	free(vl);
	close_(w, ']');
	num(w, "flows", v.flows);
	num(w, "bytes", v.bytes);
	num(w, "unresolved_flows", v.unres_flows);
	num(w, "unresolved_bytes", v.unres_bytes);
	open_(w, "findings", '{');
	num(w, "warning", (int64_t)v.warnings);
	num(w, "info", (int64_t)v.infos);
	num(w, "other", (int64_t)v.others);
	close_(w, '}');
	num(w, "destinations_low_confidence", (int64_t)v.low);
	num(w, "destinations_medium_confidence", (int64_t)v.medium);
	close_(w, '}');
}

void pd_write_json(const struct pd_model *m, const struct pd_report_opts *o, FILE *f)
{
	struct jw w = { .f = f, .first = true };
	unsigned i;

	(void)o;
	fputc('{', f);
	w.depth = 1;
	num(&w, "schema_version", PD_REPORT_SCHEMA_VERSION);
	str(&w, "generator", "pcapdomains");
	str(&w, "title", m->title);
	open_(&w, "geoip", '{');
	boolean(&w, "configured", m->n_geo > 0);
	open_(&w, "databases", '[');
	for (i = 0; i < m->n_geo; i++) {
		open_(&w, NULL, '{');
		str(&w, "type", m->geo_types[i]);
		time_(&w, "built",
		      m->geo_built[i] == PD_NS_NONE ? PD_NS_NONE : m->geo_built[i] * 1000000000LL);
		close_(&w, '}');
	}
	close_(&w, ']');
	close_(&w, '}');
	verdict(&w, m);
	boolean(&w, "policy_checked", m->policy_checked);
	boolean(&w, "reverse_lookups", m->resolved);
	open_(&w, "notes", '[');
	for (i = 0; i < m->n_notes; i++)
		str(&w, NULL, m->notes[i]);
	close_(&w, ']');
	captures(&w, m);
	summary(&w, m);
	destinations(&w, m);
	rest(&w, m);
	fputs("\n}\n", f);
}
