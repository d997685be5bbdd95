/*
 * diff.c - the diff report in text, CSV, Markdown, JSON and HTML. Every string from a
 * capture goes through escape.c. The HTML page is self-contained under a CSP that forbids
 * every load (it has no script).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "diff.h"
#include "escape.h"

int pd_diff_evidence_rank(const char *e)
{
	static const char *const order[] = { "sni",
		                             "quic-sni",
		                             "http-host",
		                             "socks",
		                             "dns",
		                             "dns-earlier-capture",
		                             "dns-other-client",
		                             "dns-expired",
		                             "ptr-capture",
		                             "ptr-lookup" };
	size_t i;

	for (i = 0; e && i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(e, order[i]))
			return (int)i;
	return 99;
}

static int cmp_item(const struct pd_diff_item *x, const struct pd_diff_item *y)
{
	int c = strcasecmp(x->key, y->key);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

static int cmp_row(const void *a, const void *b)
{
	const struct pd_diff_item *x = a, *y = b;
	int c = cmp_item(x, y);

	return c ? c : strcmp(x->addresses, y->addresses);
}

enum pd_err pd_diff_fold(struct pd_diff_item *rows, size_t n, struct pd_diff_item **out,
                         size_t *n_out)
{
	struct pd_diff_item *items;
	size_t i, j, k, m = 0;

	*out = NULL;
	*n_out = 0;
	if (n) /* qsort(NULL, 0) is undefined */
		qsort(rows, n, sizeof(*rows), cmp_row);
	if (!(items = calloc(n ? n : 1, sizeof(*items))))
		return PD_ERR_NOMEM;
	/* Group [i, j): one pass for its size, one to fill, so many addresses cost linear time. */
	for (i = 0; i < n; i = j) {
		struct pd_diff_item *it = &items[m++];
		size_t len = 0;
		char *a;

		for (j = i; j < n && !cmp_item(&rows[i], &rows[j]); j++)
			if (j == i || strcmp(rows[j].addresses, rows[j - 1].addresses))
				len += strlen(rows[j].addresses) + 1;
		*it = rows[i];
		it->flows = it->bytes_out = it->bytes_in = 0;
		if (!(a = malloc(len ? len : 1))) {
			pd_diff_items_free(items, m - 1);
			return PD_ERR_NOMEM;
		}
		a[0] = 0;
		for (k = i, len = 0; k < j; k++) {
			const struct pd_diff_item *r = &rows[k];
			if (k == i || strcmp(r->addresses, rows[k - 1].addresses)) {
				size_t l = strlen(r->addresses);
				if (len)
					a[len++] = ' ';
				memcpy(a + len, r->addresses, l + 1);
				len += l;
			}
			if (pd_diff_evidence_rank(r->evidence) <
			    pd_diff_evidence_rank(it->evidence))
				it->evidence = r->evidence;
			it->flows += r->flows;
			it->bytes_out += r->bytes_out;
			it->bytes_in += r->bytes_in;
			if (r->first_ns < it->first_ns)
				it->first_ns = r->first_ns;
			if (r->last_ns > it->last_ns)
				it->last_ns = r->last_ns;
		}
		it->addresses = a;
	}
	*out = items;
	*n_out = m;
	return PD_OK;
}

void pd_diff_items_free(struct pd_diff_item *items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++)
		free(items[i].addresses);
	free(items);
}

enum pd_err pd_diff_compare(const struct pd_diff_item *old, size_t n_old,
                            const struct pd_diff_item *new_items, size_t n_new, struct pd_diff *d)
{
	struct pd_diff_item *added = calloc(n_new + 1, sizeof(*added));
	struct pd_diff_item *removed = calloc(n_old + 1, sizeof(*removed));
	size_t i = 0, j = 0;

	d->added = added;
	d->removed = removed;
	d->n_added = d->n_removed = d->n_same = 0;
	if (!added || !removed) {
		pd_diff_clear(d);
		return PD_ERR_NOMEM;
	}
	while (i < n_old || j < n_new) {
		int c = i == n_old ? 1 : j == n_new ? -1 : cmp_item(&old[i], &new_items[j]);
		if (c < 0)
			removed[d->n_removed++] = old[i++];
		else if (c > 0)
			added[d->n_added++] = new_items[j++];
		else
			i++, j++, d->n_same++;
	}
	return PD_OK;
}

void pd_diff_clear(struct pd_diff *d)
{
	free(d->added);
	free(d->removed);
	d->added = d->removed = NULL;
	d->n_added = d->n_removed = d->n_same = 0;
}

/* UTC ISO 8601 with milliseconds, as the report's CSV and JSON write times. */
static void iso_time(int64_t ns, char *buf, size_t n)
{
	int64_t sec = ns / 1000000000, ms = (ns % 1000000000) / 1000000;
	time_t t;
	struct tm tm;
	size_t len;

	if (ms < 0) { /* before 1970: floor, not truncation */
		sec--;
		ms += 1000;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm) || !(len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, n, "?");
		return;
	}
	snprintf(buf + len, n - len, ".%03dZ", (int)ms);
}

static void write_text(const struct pd_diff *d, FILE *f)
{
	const struct pd_diff_item *rows[2] = { d->added, d->removed };
	size_t counts[2] = { d->n_added, d->n_removed }, i, k;
	static const char *const head[2] = { "Added", "Removed" }, sign[2] = { '+', '-' };

	fputs("pcapdomains diff ", f);
	pd_esc_term(f, d->old_label);
	fputs(" -> ", f);
	pd_esc_term(f, d->new_label);
	fprintf(f, "\n%zu added, %zu removed, %zu unchanged\n", d->n_added, d->n_removed,
	        d->n_same);
	for (k = 0; k < 2; k++) {
		if (!counts[k])
			continue;
		fprintf(f, "\n%s (%zu):\n", head[k], counts[k]);
		for (i = 0; i < counts[k]; i++) {
			const struct pd_diff_item *r = &rows[k][i];
			fprintf(f, "  %c ", sign[k]);
			pd_esc_term(f, r->key);
			fprintf(f, "  %u/%s  evidence %s  %" PRIu64 " flow%s  ", r->port, r->proto,
			        r->evidence, r->flows, r->flows == 1 ? "" : "s");
			pd_esc_term(f, r->addresses);
			fputc('\n', f);
		}
	}
}

static void write_csv(const struct pd_diff *d, FILE *f)
{
	const struct pd_diff_item *rows[2] = { d->added, d->removed };
	size_t counts[2] = { d->n_added, d->n_removed }, i, k;
	static const char *const change[2] = { "added", "removed" };
	char t0[32], t1[32];

	fputs("change,destination,server_ips,port,proto,evidence,flows,bytes_out,bytes_in,"
	      "first_seen,last_seen\r\n",
	      f);
	for (k = 0; k < 2; k++)
		for (i = 0; i < counts[k]; i++) {
			const struct pd_diff_item *r = &rows[k][i];
			iso_time(r->first_ns, t0, sizeof(t0));
			iso_time(r->last_ns, t1, sizeof(t1));
			fprintf(f, "%s,", change[k]);
			pd_esc_csv(f, r->key);
			fputc(',', f);
			pd_esc_csv(f, r->addresses);
			fprintf(f, ",%u,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s\r\n",
			        r->port, r->proto, r->evidence, r->flows, r->bytes_out, r->bytes_in,
			        t0, t1);
		}
}

static void write_md(const struct pd_diff *d, FILE *f)
{
	const struct pd_diff_item *rows[2] = { d->added, d->removed };
	size_t counts[2] = { d->n_added, d->n_removed }, i, k;
	static const char *const head[2] = { "Added", "Removed" };

	fputs("### Destinations changed: ", f);
	pd_esc_md(f, d->old_label);
	fputs(" → ", f);
	pd_esc_md(f, d->new_label);
	fprintf(f, "\n\n**%zu added**, **%zu removed**, %zu unchanged.\n", d->n_added, d->n_removed,
	        d->n_same);
	for (k = 0; k < 2; k++) {
		if (!counts[k])
			continue;
		fprintf(f,
		        "\n#### %s\n\n| destination | port | evidence | flows | addresses |\n"
		        "|---|---|---|---:|---|\n",
		        head[k]);
		for (i = 0; i < counts[k]; i++) {
			const struct pd_diff_item *r = &rows[k][i];
			fputs("| ", f);
			pd_esc_md(f, r->key);
			fprintf(f, " | %u/%s | %s | %" PRIu64 " | ", r->port, r->proto, r->evidence,
			        r->flows);
			pd_esc_md(f, r->addresses);
			fputs(" |\n", f);
		}
	}
}

static void write_json_items(const struct pd_diff_item *rows, size_t n, FILE *f)
{
	char t0[32], t1[32];
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		const struct pd_diff_item *r = &rows[i];
		iso_time(r->first_ns, t0, sizeof(t0));
		iso_time(r->last_ns, t1, sizeof(t1));
		fputs(i ? ",\n    {\"destination\": " : "\n    {\"destination\": ", f);
		pd_esc_json(f, r->key);
		fputs(", \"server_ips\": ", f);
		pd_esc_json(f, r->addresses);
		fprintf(f,
		        ", \"port\": %u, \"proto\": \"%s\", \"evidence\": \"%s\", \"flows\": "
		        "%" PRIu64 ", \"bytes_out\": %" PRIu64 ", \"bytes_in\": %" PRIu64
		        ", \"first_seen\": \"%s\", \"last_seen\": \"%s\"}",
		        r->port, r->proto, r->evidence, r->flows, r->bytes_out, r->bytes_in, t0,
		        t1);
	}
	fputs(n ? "\n  ]" : "]", f);
}

static void write_json(const struct pd_diff *d, FILE *f)
{
	fputs("{\n  \"schema_version\": 1,\n  \"kind\": \"pcapdomains-diff\",\n  \"old\": ", f);
	pd_esc_json(f, d->old_label);
	fputs(",\n  \"new\": ", f);
	pd_esc_json(f, d->new_label);
	fprintf(f, ",\n  \"unchanged\": %zu,\n  \"added\": ", d->n_same);
	write_json_items(d->added, d->n_added, f);
	fputs(",\n  \"removed\": ", f);
	write_json_items(d->removed, d->n_removed, f);
	fputs("\n}\n", f);
}

static void write_html(const struct pd_diff *d, FILE *f)
{
	const struct pd_diff_item *rows[2] = { d->added, d->removed };
	size_t counts[2] = { d->n_added, d->n_removed }, i, k;
	static const char *const head[2] = { "Added", "Removed" };

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>pcapdomains diff</title>\n<style>body{font:14px/1.4 system-ui,sans-serif;"
	      "margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
	      "padding:.2em .5em;text-align:left}.add{color:#070}.rm{color:#a00}"
	      ".wrap{overflow-x:auto}</style></head><body>\n<h1>Destinations changed</h1>\n<p>",
	      f);
	pd_esc_html(f, d->old_label);
	fputs(" &rarr; ", f);
	pd_esc_html(f, d->new_label);
	fprintf(f,
	        "</p>\n<p><b class=\"add\">%zu added</b>, <b class=\"rm\">%zu removed</b>, "
	        "%zu unchanged.</p>\n",
	        d->n_added, d->n_removed, d->n_same);
	for (k = 0; k < 2; k++) {
		fprintf(f,
		        "<h2>%s</h2>\n<div class=\"wrap\"><table><thead><tr><th>destination</th>"
		        "<th>port</th><th>evidence</th><th>flows</th><th>addresses</th></tr>"
		        "</thead><tbody>\n",
		        head[k]);
		for (i = 0; i < counts[k]; i++) {
			const struct pd_diff_item *r = &rows[k][i];
			fprintf(f, "<tr class=\"%s\"><td>", k ? "rm" : "add");
			pd_esc_html(f, r->key);
			fprintf(f, "</td><td>%u/%s</td><td>%s</td><td>%" PRIu64 "</td><td>",
			        r->port, r->proto, r->evidence, r->flows);
			pd_esc_html(f, r->addresses);
			fputs("</td></tr>\n", f);
		}
		fputs("</tbody></table></div>\n", f);
	}
	fputs("</body></html>\n", f);
}

void pd_diff_write(const struct pd_diff *d, enum pd_format fmt, FILE *f)
{
	switch (fmt) {
	case PD_FMT_CSV:
		write_csv(d, f);
		break;
	case PD_FMT_MD:
		write_md(d, f);
		break;
	case PD_FMT_JSON:
		write_json(d, f);
		break;
	case PD_FMT_HTML:
		write_html(d, f);
		break;
	default:
		write_text(d, f);
		break;
	}
}
