/*
 * cmd_check.c - `pcapdomains check --allow POLICY CAPTURE...`: list every destination the
 * policy does not allow, with its evidence, and exit 1 when there is one (for CI jobs).
 *
 * A destination is allowed when the policy matches its attributed name or its server address
 * (with port and protocol). An unnamed or ambiguous destination is judged by the name the
 * attribution chose and by its address only: candidates do not make it allowed. A name from a
 * reverse lookup (PTR) is chosen by the address's owner: such a destination is judged by its
 * address only (pd_policy_name), as in reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "escape.h"
#include "load.h"
#include "policy.h"

static const char help[] =
        "usage: pcapdomains check --allow POLICY [options] CAPTURE...\n"
        "       pcapdomains check --allow POLICY --db FILE\n"
        "\n"
        "Ingests the captures (or reads the database), attributes every connection, and lists\n"
        "each destination the policy does not allow, with its evidence. Exit status 1 when\n"
        "there is at least one violation, 0 when there is none, 2 on error (a malformed\n"
        "policy line is reported as FILE:LINE: message).\n"
        "\n"
        "Policy file: one entry a line, '#' comments:\n"
        "  api.example.com          an exact name\n"
        "  *.example.com            any name below example.com\n"
        "  10.0.0.0/8  2001:db8::1  addresses and networks\n"
        "  ...:443  .../tcp  [2001:db8::1]:53/udp   optional port (or range) and protocol\n"
        "\n"
        "  --allow POLICY     the policy file (required)\n"
        "  --db FILE          add the captures to FILE and check only them; without\n"
        "                     captures, check every capture FILE holds\n"
        "  -f, --filter BPF   only packets matching this filter\n"
        "  --dns-grace SEC    seconds past a DNS TTL an answer still names a flow (default 60)\n"
        "  -o, --output FILE  write the result to FILE (repeatable): .json "
        "(doc/check-schema.json),\n"
        "                     .xml (JUnit: one test case per destination, a failure per\n"
        "                     violation), .txt (the text); '-' is stdout in --format\n"
        "  --format NAME      text, json or junit (stdout and '-o -'; default text)\n"
        "  -j, --jobs N       read up to N captures at once\n"
        "  --local ADDR|CIDR  the audited subject's address or network (repeatable); without\n"
        "                     it: the capture's interface addresses, else inferred\n"
        "  --inbound          also judge inbound connections (someone connecting to the subject)\n"
        "  --internal         also judge internal traffic (both ends local, loopback)\n"
        "  --control          also judge link-local control traffic (ND, DHCP, mDNS, ...)\n"
        "  --quiet            print nothing when there is no violation\n"
        "With GITHUB_ACTIONS=true each violation is also printed as a ::error annotation.\n"
        "CAPTURE may be a directory, '-' (standard input) or a compressed capture.\n"
        "Judged by default: egress (the subject connecting out) and transit flows (captures\n"
        "without a known subject); inbound, internal and control traffic only when asked.\n";

static void fmt_time(int64_t ns, char *buf, size_t n)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum check_fmt { CK_TEXT, CK_JSON, CK_JUNIT };

struct check_run {
	const struct pd_opts *o;
	struct pd_dest *d;
	size_t n;
	bool *bad;     /* per destination: outside the policy */
	bool *hop_bad; /* per destination: through a proxy the policy does not allow as a hop */
	size_t n_bad;
	enum check_fmt fmt;
};

/* As a policy entry would say it: [v6]:port/proto, no port for ICMP. */
static void where(const struct pd_dest *d, char *buf, size_t n)
{
	bool v6 = d->port && strchr(d->server_ip, ':');

	if (d->port)
		snprintf(buf, n, "%s%s%s:%u/%s", v6 ? "[" : "", d->server_ip, v6 ? "]" : "",
		         d->port, d->proto);
	else
		snprintf(buf, n, "%s/%s", d->server_ip, d->proto);
}

static void write_text(FILE *f, const struct check_run *c)
{
	char when[32], at[128];
	size_t i, k = 0;

	for (i = 0; i < c->n; i++) {
		const struct pd_dest *d = &c->d[i];
		if (!c->bad[i])
			continue;
		if (k++ == 0)
			fprintf(f, "Destinations not allowed by %s:\n", c->o->allow);
		fmt_time(d->first_ns, when, sizeof(when));
		fputs("  ", f);
		pd_esc_term(f, d->name ? d->name : "(no name)");
		where(d, at, sizeof(at));
		fprintf(f, "  %s  evidence %s  %llu flow%s  first %s", at, d->evidence,
		        (unsigned long long)d->flows, d->flows == 1 ? "" : "s", when);
		if (d->via_ip) {
			bool v6 = strchr(d->via_ip, ':') != NULL;

			fputs("  via ", f);
			if (d->via_name) {
				pd_esc_term(f, d->via_name);
				fputc(' ', f);
			}
			fprintf(f, "%s%s%s:%u%s", v6 ? "[" : "", d->via_ip, v6 ? "]" : "",
			        d->via_port, c->hop_bad[i] ? " (proxy not allowed as a hop)" : "");
		}
		/* Candidates name the attributed one first: worth printing only with others. */
		if (d->candidates && (!d->name || strcmp(d->candidates, d->name))) {
			fputs("  candidates ", f);
			pd_esc_term(f, d->candidates);
		}
		fputc('\n', f);
	}
	if (c->n_bad)
		fprintf(f, "%zu violation%s among %zu destination%s\n", c->n_bad,
		        c->n_bad == 1 ? "" : "s", c->n, c->n == 1 ? "" : "s");
	else if (!c->o->quiet)
		fprintf(f, "All %zu destination%s allowed by %s\n", c->n, c->n == 1 ? "" : "s",
		        c->o->allow);
}

/* doc/check-schema.json describes this. */
static void write_json(FILE *f, const struct check_run *c)
{
	char when[32], last[32];
	size_t i;

	fputs("{\n  \"schema_version\": 1,\n  \"generator\": \"pcapdomains " PD_VERSION "\",\n"
	      "  \"policy\": ",
	      f);
	pd_esc_json(f, c->o->allow);
	fprintf(f,
	        ",\n  \"result\": \"%s\",\n  \"destinations\": %zu,\n  \"violations\": %zu,\n"
	        "  \"items\": [",
	        c->n_bad ? "fail" : "pass", c->n, c->n_bad);
	for (i = 0; i < c->n; i++) {
		const struct pd_dest *d = &c->d[i];
		fmt_time(d->first_ns, when, sizeof(when));
		fmt_time(d->last_ns, last, sizeof(last));
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		pd_esc_json(f, d->name);
		fputs(", \"address\": ", f);
		pd_esc_json(f, d->server_ip);
		fprintf(f, ", \"port\": %u, \"proto\": ", d->port);
		pd_esc_json(f, d->proto);
		fputs(", \"evidence\": ", f);
		pd_esc_json(f, d->evidence);
		fputs(", \"candidates\": ", f);
		pd_esc_json(f, d->candidates);
		fputs(", \"via\": ", f);
		if (d->via_ip) {
			fputs("{\"ip\": ", f);
			pd_esc_json(f, d->via_ip);
			fprintf(f, ", \"port\": %u, \"name\": ", d->via_port);
			pd_esc_json(f, d->via_name);
			fprintf(f, ", \"allowed\": %s}", c->hop_bad[i] ? "false" : "true");
		} else {
			fputs("null", f);
		}
		fprintf(f,
		        ", \"flows\": %llu, \"bytes_out\": %llu, \"bytes_in\": %llu, "
		        "\"first_seen\": \"%s\", \"last_seen\": \"%s\", \"allowed\": %s}",
		        (unsigned long long)d->flows, (unsigned long long)d->bytes_out,
		        (unsigned long long)d->bytes_in, when, last, c->bad[i] ? "false" : "true");
	}
	fputs(c->n ? "\n  ]\n}\n" : "]\n}\n", f);
}

/* XML text and attribute values: markup escaped; control characters and non-ASCII bytes
 * (which may not be UTF-8) as '?', so the document is always well-formed. */
static void esc_xml(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else if (ch == '"')
			fputs("&quot;", f);
		else if (ch == '\'')
			fputs("&apos;", f);
		else if (ch < 0x20 || ch >= 0x7f)
			fputc('?', f);
		else
			fputc(ch, f);
	}
}

/*
 * JUnit XML as Jenkins, GitLab and GitHub test reporters read it (testdata/junit/junit.xsd):
 * one test case per destination, a failure for each violation.
 */
static void write_junit(FILE *f, const struct check_run *c)
{
	char when[32], at[128], now[32];
	size_t i;

	fmt_time((int64_t)time(NULL) * 1000000000, now, sizeof(now));
	now[19] = '\0'; /* xs:dateTime without the zone, as the schema wants */
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<testsuites name=\"pcapdomains check\" tests=\"%zu\" failures=\"%zu\" "
	        "errors=\"0\">\n",
	        c->n, c->n_bad);
	fputs("  <testsuite name=\"pcapdomains check ", f);
	esc_xml(f, c->o->allow);
	fprintf(f,
	        "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\" "
	        "timestamp=\"%s\" hostname=\"localhost\" id=\"0\" package=\"pcapdomains\">\n"
	        "    <properties>\n      <property name=\"policy\" value=\"",
	        c->n, c->n_bad, now);
	esc_xml(f, c->o->allow);
	fputs("\"/>\n    </properties>\n", f);
	for (i = 0; i < c->n; i++) {
		const struct pd_dest *d = &c->d[i];
		fmt_time(d->first_ns, when, sizeof(when));
		where(d, at, sizeof(at));
		fputs("    <testcase classname=\"pcapdomains.check\" name=\"", f);
		esc_xml(f, d->name ? d->name : "(no name)");
		fprintf(f, " %s\" time=\"0\"", at);
		if (!c->bad[i]) {
			fputs("/>\n", f);
			continue;
		}
		fputs(">\n      <failure type=\"policy-violation\" message=\"", f);
		esc_xml(f, d->name ? d->name : "(no name)");
		fprintf(f, " %s is not allowed by ", at);
		esc_xml(f, c->o->allow);
		fprintf(f, "\">evidence %s, %llu flow%s, first seen %s", d->evidence,
		        (unsigned long long)d->flows, d->flows == 1 ? "" : "s", when);
		if (d->candidates) {
			fputs(", candidates ", f);
			esc_xml(f, d->candidates);
		}
		fputs("</failure>\n    </testcase>\n", f);
	}
	fputs("    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n", f);
}

static void write_check(FILE *f, void *arg)
{
	const struct check_run *c = arg;

	if (c->fmt == CK_JSON)
		write_json(f, c);
	else if (c->fmt == CK_JUNIT)
		write_junit(f, c);
	else
		write_text(f, c);
}

/* A GitHub Actions workflow command value: % CR LF encoded (their documented escapes). */
static void esc_gha(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc('?', f);
		else
			fputc(*s, f);
	}
}

static void github_annotations(const struct check_run *c)
{
	char at[128];
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (!c->bad[i])
			continue;
		where(&c->d[i], at, sizeof(at));
		fputs("::error title=pcapdomains check::", stdout);
		esc_gha(stdout, c->d[i].name ? c->d[i].name : "(no name)");
		printf(" %s (evidence %s) is not allowed by ", at, c->d[i].evidence);
		esc_gha(stdout, c->o->allow);
		fputc('\n', stdout);
	}
}

static int parse_fmt(const char *s, bool by_ext, enum check_fmt *out)
{
	const char *dot = by_ext ? strrchr(s, '.') : NULL;

	if (by_ext) {
		if (!dot)
			return -1;
		s = dot + 1;
	}
	if (!strcmp(s, "json"))
		*out = CK_JSON;
	else if (!strcmp(s, "xml") || !strcmp(s, "junit"))
		*out = CK_JUNIT;
	else if (!strcmp(s, "txt") || !strcmp(s, "text"))
		*out = CK_TEXT;
	else
		return -1;
	return 0;
}

int pd_cmd_check(int argc, char **argv)
{
	char errbuf[PD_ERRBUF_SIZE], dirs[80];
	enum check_fmt fmts[PD_MAX_OUTPUTS], stdout_fmt = CK_TEXT;
	struct check_run c;
	struct pd_policy *policy;
	struct pd_store *store;
	struct pd_opts o;
	enum pd_err err;
	const char *gha = getenv("GITHUB_ACTIONS");
	char *sel;
	size_t i;
	unsigned k;
	int rc;

	if (pd_opts_parse(argc, argv, help, &o, &rc))
		return rc;
	if (!o.allow) {
		pd_opts_usage_error("check", help, "--allow: required (the policy file)");
		return PD_EXIT_ERROR;
	}
	if (o.format && parse_fmt(o.format, false, &stdout_fmt)) {
		pd_opts_usage_error("check", help,
		                    "--format: unknown format '%s' (text, json, junit)", o.format);
		return PD_EXIT_ERROR;
	}
	for (k = 0; k < o.n_outputs; k++) {
		struct stat sb;
		if (!strcmp(o.outputs[k], "-") ||
		    (stat(o.outputs[k], &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode) &&
		     parse_fmt(o.outputs[k], true, &fmts[k]))) {
			fmts[k] = stdout_fmt;
		} else if (parse_fmt(o.outputs[k], true, &fmts[k])) {
			if (!o.format) {
				pd_opts_usage_error(
				        "check", help,
				        "-o/--output %s: cannot tell the format from its "
				        "extension (.json .xml .txt); add --format",
				        o.outputs[k]);
				return PD_EXIT_ERROR;
			}
			fmts[k] = stdout_fmt;
		} else if (o.format && fmts[k] != stdout_fmt) {
			pd_opts_format_conflict(&o, help, o.outputs[k]);
			return PD_EXIT_ERROR;
		}
	}
	if (pd_policy_load(o.allow, &policy, errbuf)) {
		pd_cmd_error("%s", errbuf);
		return PD_EXIT_ERROR;
	}
	if (pd_policy_catch_all(policy))
		fprintf(stderr,
		        "pcapdomains: warning: %s: '%s' allows every address: the check passes "
		        "every destination it covers\n",
		        o.allow, pd_policy_catch_all(policy));
	rc = pd_load_inputs(&o, o.args, o.n_args, &store, &sel);
	if (rc) {
		pd_policy_free(policy);
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.o = &o;
	err = pd_load_dests(pd_store_db(store), sel, pd_load_dirs(&o, dirs), &c.d, &c.n, errbuf);
	free(sel);
	if (!err) {
		c.bad = calloc(c.n ? c.n : 1, sizeof(*c.bad));
		c.hop_bad = calloc(c.n ? c.n : 1, sizeof(*c.hop_bad));
	}
	if (err || !c.bad || !c.hop_bad) {
		pd_cmd_error("%s", err ? errbuf : "out of memory");
		free(c.bad);
		free(c.hop_bad);
		pd_load_dests_free(c.d, c.n);
		pd_store_close(store);
		pd_policy_free(policy);
		return PD_EXIT_ERROR;
	}
	for (i = 0; i < c.n; i++) {
		struct pd_addr a;
		bool have_addr = pd_addr_parse(c.d[i].server_ip, &a) == PD_OK, hop_ok = true;
		bool dest_ok =
		        pd_policy_allows(policy, pd_policy_name(c.d[i].name, c.d[i].evidence),
		                         have_addr ? &a : NULL, c.d[i].port, c.d[i].proto, NULL);
		if (c.d[i].via_ip) {
			/* through a proxy: the destination as if it were not there, and the hop */
			struct pd_addr va;
			bool have_va = pd_addr_parse(c.d[i].via_ip, &va) == PD_OK;
			hop_ok = pd_policy_allows_via(policy, c.d[i].via_name, have_va ? &va : NULL,
			                              c.d[i].via_port, NULL);
		}
		c.hop_bad[i] = !hop_ok;
		if (!dest_ok || !hop_ok) {
			c.bad[i] = true;
			c.n_bad++;
		}
	}
	rc = PD_EXIT_OK;
	if (gha && !strcmp(gha, "true"))
		github_annotations(&c);
	if (!o.n_outputs) {
		c.fmt = stdout_fmt;
		rc = pd_load_write(NULL, write_check, &c);
	}
	for (k = 0; k < o.n_outputs; k++) {
		c.fmt = fmts[k];
		if (pd_load_write(o.outputs[k], write_check, &c))
			rc = PD_EXIT_ERROR;
	}
	pd_load_dests_free(c.d, c.n);
	free(c.bad);
	free(c.hop_bad);
	pd_store_close(store);
	pd_policy_free(policy);
	if (rc)
		return rc;
	return c.n_bad ? PD_EXIT_VIOLATION : PD_EXIT_OK;
}
