/*
 * verdict.c - the verdict every report format opens with, and the explanations the writers
 * share. The verdict is computed from the model alone: violations are the rows whose policy
 * status is "violation" (per name, not per group: a destination group with one bad name shows
 * that name, not the group), unnamed traffic is the rows without a domain, and findings count
 * by severity. Nothing here prints; strings returned point into the model or the caller's
 * buffer, and model strings are untrusted (the writers escape them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community_id.h"
#include "verdict.h"

void pd_rm_verdict_get(const struct pd_model *m, struct pd_rm_verdict *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	v->violations = pd_rm_violations(m, NULL, 0);
	for (i = 0; i < m->n_rows; i++) {
		const struct pd_rm_row *r = &m->rows[i];

		v->flows = pd_rm_sat_sum(v->flows, r->flows);
		v->bytes = pd_rm_sat_sum(v->bytes, pd_rm_sat_sum(r->bytes_out, r->bytes_in));
		if (!r->domain) {
			v->unres_flows = pd_rm_sat_sum(v->unres_flows, r->flows);
			v->unres_bytes = pd_rm_sat_sum(v->unres_bytes,
			                               pd_rm_sat_sum(r->bytes_out, r->bytes_in));
		}
	}
	for (i = 0; i < m->n_findings; i++) {
		const char *s = m->findings[i].severity;

		if (s && !strcmp(s, "warning")) {
			v->warnings++;
			v->warning_events += m->findings[i].count;
		} else if (s && !strcmp(s, "info")) {
			v->infos++;
		} else {
			v->others++;
		}
	}
	for (i = 0; i < m->n_dests; i++) {
		if (!strcmp(m->dests[i].confidence, "low"))
			v->low++;
		else if (!strcmp(m->dests[i].confidence, "medium"))
			v->medium++;
	}
}

size_t pd_rm_violations(const struct pd_model *m, struct pd_rm_viol *out, size_t max)
{
	size_t n = 0, i, k, j;
	const struct pd_rm_dest *d;
	const struct pd_rm_row *r;

	for (i = 0; i < m->n_dests; i++) {
		d = &m->dests[i];
		if (strcmp(d->policy, "violation"))
			continue;
		for (k = d->first; k < d->first + d->n; k++) {
			r = &m->rows[k];
			if (strcmp(r->policy, "violation") || !r->domain)
				continue;
			for (j = d->first; j < k; j++) /* once per name */
				if (m->rows[j].domain && !strcmp(m->rows[j].domain, r->domain) &&
				    !strcmp(m->rows[j].policy, "violation"))
					break;
			if (j < k) {
				for (size_t q = 0; q < n && q < max; q++)
					if (!out[q].address && !strcmp(out[q].what, r->domain)) {
						out[q].flows =
						        pd_rm_sat_sum(out[q].flows, r->flows);
						out[q].bytes = pd_rm_sat_sum(
						        out[q].bytes,
						        pd_rm_sat_sum(r->bytes_out, r->bytes_in));
					}
				continue;
			}
			if (n < max) {
				out[n].what = r->domain;
				out[n].rule = r->policy_rule;
				out[n].address = false;
				out[n].flows = r->flows;
				out[n].bytes = pd_rm_sat_sum(r->bytes_out, r->bytes_in);
			}
			n++;
		}
	}
	for (i = 0; i < m->n_unres; i++) {
		if (strcmp(m->unres[i].policy, "violation"))
			continue;
		if (n < max) {
			out[n].what = m->unres[i].ip;
			out[n].rule = NULL;
			out[n].address = true;
			out[n].flows = m->unres[i].flows;
			out[n].bytes = pd_rm_sat_sum(m->unres[i].bytes_out, m->unres[i].bytes_in);
		}
		n++;
	}
	return n;
}

const char *pd_rm_pct(int64_t part, int64_t whole, char buf[16])
{
	double p;

	if (whole <= 0 || part <= 0) {
		snprintf(buf, 16, "0");
		return buf;
	}
	p = 100.0 * (double)part / (double)whole;
	if (p < 0.1)
		snprintf(buf, 16, "<0.1");
	else if (p < 10 && p != (int)p)
		snprintf(buf, 16, "%.1f", p);
	else
		snprintf(buf, 16, "%.0f", p);
	return buf;
}

static void add(char *buf, size_t n, size_t *len, const char *s)
{
	int w = snprintf(buf + *len, n - *len, "%s%s", *len ? "; " : "", s);

	if (w > 0)
		*len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

const char *pd_rm_why(const struct pd_rm_row *r, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	if (!r->domain) {
		add(buf, n, &len, "no name evidence");
		return buf;
	}
	if (!strcmp(r->confidence, "high"))
		return buf;
	if (!strcmp(r->evidence, "dns-other-client"))
		add(buf, n, &len, "DNS answer to another client");
	else if (!strcmp(r->evidence, "dns-expired"))
		add(buf, n, &len, "DNS answer past its TTL");
	else if (!strcmp(r->evidence, "ptr-capture"))
		add(buf, n, &len, "only a PTR answer in the capture");
	else if (!strcmp(r->evidence, "ptr-lookup"))
		add(buf, n, &len, "reverse lookup at report time");
	if (r->ech_flows > 0 && (!strcmp(r->evidence, "sni") || !strcmp(r->evidence, "quic-sni")))
		add(buf, n, &len, "ECH offered: the SNI may be the provider's outer name");
	if (r->shared)
		add(buf, n, &len, "shared address (names of several domains)");
	if (r->ambiguous || r->candidates)
		add(buf, n, &len, "several candidate names");
	if (!len)
		add(buf, n, &len, "weaker evidence");
	return buf;
}

const char *pd_rm_evidence_mix(const int64_t ev[PD_RM_N_EVIDENCE], char *buf, size_t n)
{
	size_t len = 0;
	int i, w;

	buf[0] = 0;
	for (i = 0; i < PD_RM_N_EVIDENCE; i++) {
		if (!ev[i])
			continue;
		w = snprintf(buf + len, n - len, "%s%s %" PRId64, len ? ", " : "",
		             pd_rm_evidence_names[i], ev[i]);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
	return buf;
}

const char *pd_rm_plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

const char *pd_rm_duration(int64_t ns, char buf[32])
{
	int64_t s;

	if (ns < 0) {
		buf[0] = 0;
		return buf;
	}
	s = ns / 1000000000;
	if (ns < 1000000000)
		snprintf(buf, 32, "%" PRId64 " ms", ns / 1000000);
	else if (s < 60)
		snprintf(buf, 32, "%.1f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(buf, 32, "%" PRId64 " min %02" PRId64 " s", s / 60, s % 60);
	else
		snprintf(buf, 32, "%" PRId64 " h %02" PRId64 " min", s / 3600, s / 60 % 60);
	return buf;
}

const char *pd_rm_capture_file(const struct pd_model *m, int64_t id)
{
	const char *p, *s;
	size_t i;

	for (i = 0; i < m->n_caps; i++) {
		if (m->caps[i].id != id)
			continue;
		p = m->caps[i].path;
		if (!p)
			return NULL;
		s = strrchr(p, '/');
		return s && s[1] ? s + 1 : p;
	}
	return NULL;
}

void pd_rm_capture_files(const struct pd_model *m, const char *ids,
                         void (*fn)(void *ctx, const char *name, size_t i), void *ctx)
{
	const char *p = ids, *name;
	char num[24];
	size_t i = 0, len;
	char *end;
	long long id;

	while (p && *p) {
		len = strcspn(p, ",");
		id = strtoll(p, &end, 10);
		snprintf(num, sizeof(num), "%.*s", (int)(len < 23 ? len : 23), p);
		name = end == p + len ? pd_rm_capture_file(m, id) : NULL;
		fn(ctx, name ? name : num, i++);
		p += len;
		if (*p == ',')
			p++;
	}
}

const char *pd_rm_conn_cid(const struct pd_rm_row *r, const struct pd_rm_conn *c, char out[32])
{
	return pd_cid_text(r->proto, c->client_ip, c->client_port, r->server_ip, r->port, out);
}
