/*
 * test_report.c - report/model.c and the writers: databases filled from SQL fixtures
 * (testdata/report/NAME.sql) into an in-memory database made with pd_schema_sql, every format
 * compared with a golden file, and a hostile fixture checked format by format.
 *
 * Regenerating the golden files after an intended change:
 *   PD_UPDATE_GOLDEN=1 build/tests/test_report   (then review `git diff testdata/report`)
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "model.h"
#include "names.h"
#include "policy.h"
#include "store.h"
#include "testutil.h"

static sqlite3 *load_db(const char *fixture)
{
	char path[512], *err = NULL;
	uint8_t *sql;
	size_t len;
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, pd_schema_sql, NULL, NULL, &err), SQLITE_OK);
	snprintf(path, sizeof(path), "testdata/report/%s.sql", fixture);
	sql = pd_test_read_file(path, &len);
	sql = realloc(sql, len + 1);
	sql[len] = 0;
	if (sqlite3_exec(db, (const char *)sql, NULL, NULL, &err) != SQLITE_OK)
		ck_abort_msg("%s: %s", path, err);
	free(sql);
	return db;
}

static struct pd_report_opts default_opts(void)
{
	struct pd_report_opts o;

	memset(&o, 0, sizeof(o));
	o.top = 10;
	o.width = 100;
	return o;
}

/* Writes m in fmt into a malloc'd string. */
static char *render(const struct pd_model *m, enum pd_format fmt, const struct pd_report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	pd_report_write(m, fmt, o, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static const struct {
	enum pd_format fmt;
	const char *ext;
} formats[] = {
	{ PD_FMT_CSV, "csv" },   { PD_FMT_MD, "md" },    { PD_FMT_JSON, "json" },
	{ PD_FMT_HTML, "html" }, { PD_FMT_TEXT, "txt" },
};

/* Compares every format of fixture with testdata/report/FIXTURE.golden.EXT (or rewrites
 * them with PD_UPDATE_GOLDEN=1). */
static void check_golden(const char *fixture, const char *title, struct pd_geo *geo)
{
	struct pd_report_opts o = default_opts();
	char errbuf[PD_ERRBUF_SIZE], path[512], full[1024];
	struct pd_model *m = NULL;
	sqlite3 *db = load_db(fixture);
	uint8_t *want;
	size_t i, len;
	char *got;
	FILE *f;

	o.title = title;
	o.geo = geo;
	ck_assert_int_eq(pd_model_build(db, &o, &m, errbuf), PD_OK);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		got = render(m, formats[i].fmt, &o);
		snprintf(path, sizeof(path), "testdata/report/%s.golden.%s", fixture,
		         formats[i].ext);
		if (getenv("PD_UPDATE_GOLDEN")) {
			snprintf(full, sizeof(full), "%s/%s", PD_SOURCE_DIR, path);
			f = fopen(full, "w");
			ck_assert_ptr_nonnull(f);
			fputs(got, f);
			ck_assert_int_eq(fclose(f), 0);
		} else {
			want = pd_test_read_file(path, &len);
			if (len != strlen(got) || memcmp(want, got, len))
				ck_abort_msg("%s differs from the output (PD_UPDATE_GOLDEN=1 "
				             "rewrites it)",
				             path);
			free(want);
		}
		free(got);
	}
	pd_model_free(m);
	sqlite3_close(db);
}

static void check_schema(const char *json);

static struct pd_model *build(sqlite3 *db, const struct pd_report_opts *o)
{
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_model *m = NULL;

	if (pd_model_build(db, o, &m, errbuf) != PD_OK)
		ck_abort_msg("pd_model_build: %s", errbuf);
	return m;
}

/* The destination of name (grouped by its registrable domain, as names.c computes it). */
static const struct pd_rm_dest *find_dest(const struct pd_model *m, const char *name)
{
	char reg[256];
	size_t i;

	pd_registrable(name, reg, sizeof(reg));
	for (i = 0; i < m->n_dests; i++)
		if (!strcmp(m->dests[i].registrable, reg))
			return &m->dests[i];
	return NULL;
}

START_TEST(valid)
{
	struct pd_report_opts o = default_opts();
	char errbuf[PD_ERRBUF_SIZE];
	const struct pd_rm_dest *d;
	struct pd_policy *p = NULL;
	struct pd_model *m;
	int64_t sel = 2;
	sqlite3 *db;
	size_t i;

	check_golden("basic", "golden", NULL);

	/* The model itself: sums, evidence order, PTR results, unused names. */
	db = load_db("basic");
	m = build(db, &o);
	ck_assert_uint_eq(m->n_caps, 2);
	ck_assert_int_eq(m->sum.flows, 12);
	ck_assert_int_eq(m->sum.encrypted_dns_flows, 1);
	ck_assert_int_eq(m->sum.ech_flows, 1);
	ck_assert_int_eq(m->sum.ech_dns_answers, 1);
	ck_assert_uint_eq(m->sum.cut_captures, 1);
	d = find_dest(m, "host-9.example.net");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->evidence, "ptr-lookup");
	ck_assert(d->looked_up);
	ck_assert_uint_eq(m->n_unres, 2);
	ck_assert_str_eq(m->unres[0].ip, "198.51.100.7"); /* most bytes first */
	ck_assert_str_eq(m->unres[0].ptr_status, "nxdomain");
	ck_assert_uint_eq(m->n_unused, 2);
	ck_assert_str_eq(m->unused[0].qname, "nothere.example");
	ck_assert_str_eq(m->unused[1].qname, "telemetry.example.io");
	ck_assert_str_eq(m->unused[1].answers, "192.0.2.77");
	for (i = 0; i < m->n_shared; i++)
		if (!strcmp(m->shared[i].ip, "151.101.1.57"))
			break;
	ck_assert_uint_lt(i, m->n_shared);
	ck_assert_uint_eq(m->shared[i].n_names, 2);
	/* destinations come by bytes, largest first */
	for (i = 1; i < m->n_dests; i++)
		ck_assert_int_ge(m->dests[i - 1].bytes_in + m->dests[i - 1].bytes_out,
		                 m->dests[i].bytes_in + m->dests[i].bytes_out);

	{
		char *json = render(m, PD_FMT_JSON, &o);

		check_schema(json);
		free(json);
	}
	pd_model_free(m);

	/* Selecting capture 2 only. */
	o.capture_ids = &sel;
	o.n_capture_ids = 1;
	m = build(db, &o);
	ck_assert_uint_eq(m->n_caps, 1);
	ck_assert_int_eq(m->caps[0].id, 2);
	ck_assert_int_eq(m->sum.flows, 4);
	ck_assert_ptr_null(find_dest(m, "api.github.com"));
	pd_model_free(m);
	sel = 99;
	ck_assert_int_eq(pd_model_build(db, &o, &m, errbuf), PD_ERR_NOTFOUND);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(errbuf, "99"));
	o.capture_ids = NULL;
	o.n_capture_ids = 0;

	/* Policy status, when the policy module can parse the fixture's policy. */
	{
		size_t len;
		uint8_t *txt = pd_test_read_file("testdata/report/policy.txt", &len);

		if (pd_policy_parse((const char *)txt, len, "policy.txt", &p, errbuf) == PD_OK) {
			o.policy = p;
			m = build(db, &o);
			ck_assert(m->policy_checked);
			ck_assert_str_eq(find_dest(m, "api.github.com")->policy, "allowed");
			ck_assert_str_eq(find_dest(m, "www.google.com")->policy, "violation");
			ck_assert_str_eq(find_dest(m, "cloudflare-dns.com")->policy, "allowed");
			/* named only by a reverse lookup: judged by its address, not the PTR */
			ck_assert_str_eq(find_dest(m, "host-9.example.net")->policy, "violation");
			for (i = 0; i < m->n_unres; i++)
				ck_assert_str_eq(m->unres[i].policy, "violation");
			pd_model_free(m);
			/* Neighbour solicitation to a solicited-node group: exempt, as in check. */
			ck_assert_int_eq(
			        sqlite3_exec(db,
			                     "INSERT INTO flows (capture_id, proto, client_ip,"
			                     " client_port, server_ip, server_port, first_ns,"
			                     " last_ns, packets_out, bytes_out, packets_in,"
			                     " bytes_in) VALUES (1, 'icmp6', 'fd00:6::2', 0,"
			                     " 'ff02::1:ff00:1', 0, 1795487506000000000,"
			                     " 1795487506000000000, 1, 72, 0, 0)",
			                     NULL, NULL, NULL),
			        SQLITE_OK);
			m = build(db, &o);
			for (i = 0; i < m->n_unres; i++)
				ck_assert_str_eq(m->unres[i].policy,
				                 strcmp(m->unres[i].ip, "ff02::1:ff00:1")
				                         ? "violation"
				                         : "exempt");
			pd_model_free(m);
			pd_policy_free(p);
		}
		free(txt);
	}
	sqlite3_close(db);

	/* Formats by name and by extension. */
	{
		enum pd_format fmt;

		ck_assert_int_eq(pd_format_parse("out/report.HTML", true, &fmt), PD_OK);
		ck_assert_int_eq(fmt, PD_FMT_HTML);
		ck_assert_int_eq(pd_format_parse("a.b/report.md", true, &fmt), PD_OK);
		ck_assert_int_eq(fmt, PD_FMT_MD);
		ck_assert_int_eq(pd_format_parse("markdown", false, &fmt), PD_OK);
		ck_assert_int_eq(fmt, PD_FMT_MD);
		ck_assert_int_eq(pd_format_parse("a.b/report", true, &fmt), PD_ERR_USAGE);
		ck_assert_int_eq(pd_format_parse("report.xlsx", true, &fmt), PD_ERR_USAGE);
	}
	{
		char t[32];

		ck_assert_str_eq(pd_rm_time(1795487505123000000LL, t), "2026-11-24T02:31:45.123Z");
		ck_assert_str_eq(pd_rm_time(-1500000000LL, t), "1969-12-31T23:59:58.500Z");
		ck_assert_str_eq(pd_rm_time(PD_NS_NONE, t), "");
	}
}
END_TEST

/* GeoIP from the test databases (testdata/geoip): country, ASN, organisation, CDN from the
 * AS organisation or the CNAME chain, geo_cache filled and used. */
START_TEST(geo)
{
	static const char *const dbs[] = { PD_SOURCE_DIR "/testdata/geoip/pd-test-City.mmdb",
		                           PD_SOURCE_DIR "/testdata/geoip/pd-test-ASN.mmdb" };
	struct pd_report_opts o = default_opts();
	char errbuf[PD_ERRBUF_SIZE];
	struct pd_geo *g = NULL;
	const struct pd_rm_dest *d;
	const struct pd_rm_row *r;
	struct pd_model *m;
	sqlite3 *db;
	sqlite3_stmt *st;

	if (pd_geo_open(dbs, 2, &g, errbuf) != PD_OK)
		ck_abort_msg("pd_geo_open: %s", errbuf);
	ck_assert_uint_eq(pd_geo_count(g), 2);
	check_golden("geo", "geo", g);

	db = load_db("geo");
	o.geo = g;
	m = build(db, &o);
	ck_assert_uint_eq(m->n_geo, 2);
	d = find_dest(m, "static.shop.example");
	ck_assert_ptr_nonnull(d);
	r = &m->rows[d->first];
	ck_assert_str_eq(r->country, "FR");
	ck_assert_uint_eq(r->asn, 64502);
	ck_assert_str_eq(r->as_org, "Fastly, Inc.");
	ck_assert_ptr_nonnull(r->cdn); /* from the AS organisation */
	d = find_dest(m, "www.blog.example");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(m->rows[d->first].cdn); /* from the CNAME chain */
	d = find_dest(m, "api.hosted.example");
	ck_assert_str_eq(m->rows[d->first].country, "GB");
	ck_assert_uint_eq(m->n_unres, 1);
	ck_assert_str_eq(m->unres[0].country, "DE");
	pd_model_free(m);
	/* the lookups are in geo_cache now; a second report reads them from there */
	ck_assert_int_eq(
	        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM geo_cache WHERE country IS NOT NULL",
	                           -1, &st, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 4);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "UPDATE geo_cache SET country = 'XX' WHERE ip = '10.2.0.10'",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	m = build(db, &o);
	ck_assert_str_eq(m->rows[find_dest(m, "static.shop.example")->first].country, "XX");
	pd_model_free(m);
	sqlite3_close(db);
	pd_geo_close(g);
}
END_TEST

/* An empty database and a capture with nothing in it: every format still writes. */
START_TEST(truncated)
{
	struct pd_report_opts o = default_opts();
	struct pd_model *m;
	sqlite3 *db;
	size_t i;
	char *out;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, pd_schema_sql, NULL, NULL, NULL), SQLITE_OK);
	m = build(db, &o);
	ck_assert_uint_eq(m->n_caps, 0);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		free(render(m, formats[i].fmt, &o));
	pd_model_free(m);
	ck_assert_int_eq(
	        sqlite3_exec(db,
	                     "INSERT INTO captures(id, path, size, sha256, format, "
	                     "link_types, packets, bytes, ingested_at, tool_version, cut_at, "
	                     "error) VALUES (1, 'cut.pcap', 24, 'ab', 'pcap', '', 0, 0, 0, "
	                     "'0', 24, 'cut.pcap: truncated record header at offset 24')",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	m = build(db, &o);
	ck_assert_uint_eq(m->n_caps, 1);
	ck_assert_uint_eq(m->sum.cut_captures, 1);
	out = render(m, PD_FMT_MD, &o);
	ck_assert_ptr_nonnull(strstr(out, "offset 24"));
	free(out);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		free(render(m, formats[i].fmt, &o));
	pd_model_free(m);
	sqlite3_close(db);
}
END_TEST

/* True when s is valid UTF-8 (RFC 3629) with no C0 control other than \n, \r (CSV's CRLF)
 * and no raw C1. */
static bool clean_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (*p < 0x20 && *p != '\n' && *p != '\r')
			return false;
		if (*p == 0x7f)
			return false;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (p[0] >= 0xc2 && p[0] <= 0xdf && (p[1] & 0xc0) == 0x80)
			p += 2;
		else if (p[0] >= 0xe0 && p[0] <= 0xef && (p[1] & 0xc0) == 0x80 &&
		         (p[2] & 0xc0) == 0x80 && !(p[0] == 0xe0 && p[1] < 0xa0) &&
		         !(p[0] == 0xed && p[1] >= 0xa0))
			p += 3;
		else if (p[0] >= 0xf0 && p[0] <= 0xf4 && (p[1] & 0xc0) == 0x80 &&
		         (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 &&
		         !(p[0] == 0xf0 && p[1] < 0x90) && !(p[0] == 0xf4 && p[1] >= 0x90))
			p += 4;
		else
			return false;
	}
	return true;
}

/* HTML: outside the one <style> and <script>, every tag is one the writer makes and no
 * attribute is an event handler or points outside the file. */
static void check_html(const char *h)
{
	static const char *const tags[] = {
		"!DOCTYPE", "html",     "head",   "meta",       "title",   "style",   "body",
		"h1",       "h2",       "nav",    "a",          "dl",      "dt",      "dd",
		"p",        "div",      "figure", "figcaption", "svg",     "g",       "text",
		"rect",     "line",     "circle", "polyline",   "input",   "table",   "thead",
		"tbody",    "tr",       "th",     "td",         "code",    "span",    "script",
		"section",  "ul",       "li",     "b",          "details", "summary", "mark",
		"wbr",      "progress", "output", NULL
	};
	const char *p = h, *e;
	char name[32], attr[64];
	size_t n, i, scripts = 0;

	while ((p = strchr(p, '<'))) {
		p++;
		if (*p == '/')
			p++;
		n = strcspn(p, " >\n");
		ck_assert_uint_lt(n, sizeof(name));
		memcpy(name, p, n);
		name[n] = 0;
		for (i = 0; tags[i] && strcmp(tags[i], name); i++)
			;
		if (!tags[i])
			ck_abort_msg("unexpected tag <%s> in the HTML report", name);
		p += n;
		/* attributes up to '>' (values are quoted or unquoted without spaces) */
		while (*p && *p != '>') {
			while (*p == ' ' || *p == '\n')
				p++;
			n = strcspn(p, "= >");
			if (n && n < sizeof(attr)) {
				memcpy(attr, p, n);
				attr[n] = 0;
				ck_assert_msg(strncasecmp(attr, "on", 2) != 0, "event attribute %s",
				              attr);
				ck_assert_msg(strcasecmp(attr, "src") != 0, "src attribute");
			}
			p += n;
			if (*p == '=') {
				p++;
				if (*p == '"') {
					e = strchr(p + 1, '"');
					ck_assert_ptr_nonnull(e);
					if (!strcmp(attr, "href"))
						ck_assert(p[1] == '#');
					p = e + 1;
				} else {
					p += strcspn(p, " >");
				}
			}
		}
		if (!strcmp(name, "script") || !strcmp(name, "style")) {
			scripts += !strcmp(name, "script");
			e = strstr(p, !strcmp(name, "script") ? "</script>" : "</style>");
			ck_assert_ptr_nonnull(e);
			p = e + 2;
		}
	}
	ck_assert_uint_eq(scripts, 1);
	ck_assert_ptr_nonnull(strstr(h, "Content-Security-Policy\" content=\"default-src 'none'"));
}

/* CSV: a small RFC 4180 reader; every record has the header's field count and no field
 * starts with a formula character. */
static void check_csv(const char *s)
{
	size_t fields = 0, header = 0, records = 0;
	const char *p = s;
	bool start = true;
	char first;

	while (*p) {
		first = *p;
		if (*p == '"') {
			p++;
			first = *p;
			for (;;) {
				ck_assert_msg(*p != 0, "unterminated quoted field");
				if (*p == '"' && p[1] == '"')
					p += 2;
				else if (*p == '"')
					break;
				else
					p++;
			}
			p++;
		} else {
			p += strcspn(p, ",\r\n\"");
			ck_assert_msg(*p != '"', "quote inside an unquoted field");
		}
		if (!start || records > 0)
			ck_assert_msg(!strchr("=+-@\t", first) || first == 0,
			              "field starts with a formula character '%c'", first);
		fields++;
		if (*p == ',') {
			p++;
			continue;
		}
		ck_assert_msg(p[0] == '\r' && p[1] == '\n', "record does not end with CRLF");
		p += 2;
		if (!records)
			header = fields;
		else
			ck_assert_uint_eq(fields, header);
		records++;
		fields = 0;
		start = false;
	}
	ck_assert_uint_gt(records, 1);
}

/* Markdown: every table row has its header's number of unescaped pipes. */
static void check_md(const char *s)
{
	const char *line = s, *nl, *q;
	size_t pipes, want = 0;
	bool in_table = false;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		if (*line != '|') {
			in_table = false;
			continue;
		}
		for (pipes = 0, q = line; q < nl; q++) {
			if (*q == '\\') {
				q++;
				continue;
			}
			pipes += *q == '|';
		}
		if (!in_table)
			want = pipes;
		in_table = true;
		ck_assert_uint_eq(pipes, want);
	}
}

/* Runs a python3 check on text when python3 is there (a real parser, not ours). */
static void python_check(const char *text, const char *suffix, const char *code)
{
	char *path, cmd[1024];
	int rc;

	if (system("python3 -c pass >/dev/null 2>&1") != 0)
		return;
	path = pd_test_write_temp(text, strlen(text), suffix);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' %s", code, path);
	rc = system(cmd);
	unlink(path);
	free(path);
	ck_assert_msg(rc == 0, "python3 check failed: %s", code);
}

/* The JSON report against doc/report-schema.json (when python3-jsonschema is there). */
static void check_schema(const char *json)
{
	char code[1024];

	snprintf(code, sizeof(code),
	         "import json,sys\n"
	         "try:\n import jsonschema\n"
	         "except ImportError:\n print(\"jsonschema missing: schema not checked\"); "
	         "sys.exit(0)\n"
	         "jsonschema.validate(json.load(open(sys.argv[1])), "
	         "json.load(open(\"%s/doc/report-schema.json\")))\n",
	         PD_SOURCE_DIR);
	python_check(json, ".json", code);
}

START_TEST(hostile)
{
	struct pd_report_opts o = default_opts();
	struct pd_model *m;
	sqlite3 *db;
	char *out, *p;

	check_golden("hostile", NULL, NULL);
	db = load_db("hostile");
	o.top = 0;
	m = build(db, &o);

	out = render(m, PD_FMT_HTML, &o);
	ck_assert(clean_text(out));
	check_html(out);
	free(out);

	out = render(m, PD_FMT_CSV, &o);
	ck_assert(clean_text(out));
	check_csv(out);
	python_check(out, ".csv",
	             "import csv,sys\n"
	             "rows=list(csv.reader(open(sys.argv[1],newline=\"\",encoding=\"utf-8\")))\n"
	             "assert len(rows)==11, len(rows)\n"
	             "assert all(len(r)==len(rows[0]) for r in rows)\n"
	             "assert not any(c[:1] in (\"=\",\"+\",\"-\",\"@\",\"\\t\",\"\\r\") "
	             "for r in rows[1:] for c in r)\n");
	free(out);

	out = render(m, PD_FMT_MD, &o);
	ck_assert(clean_text(out));
	check_md(out);
	ck_assert_ptr_null(strstr(out, "<script"));
	ck_assert_ptr_null(strstr(out, "<img"));
	free(out);

	out = render(m, PD_FMT_JSON, &o);
	ck_assert(clean_text(out));
	ck_assert_ptr_null(strchr(out, '<'));
	python_check(out, ".json",
	             "import json,sys\n"
	             "d=json.load(open(sys.argv[1],encoding=\"utf-8\"))\n"
	             "assert d[\"schema_version\"]==1\n"
	             "assert len(d[\"destinations\"])==9\n"
	             "assert \"<script>\" in d[\"destinations\"][0][\"registrable_domain\"]\n");
	free(out);

	/* The terminal: no ESC from data, with and without colour. */
	out = render(m, PD_FMT_TEXT, &o);
	ck_assert(clean_text(out));
	ck_assert_ptr_null(strchr(out, 0x1b));
	free(out);
	o.color = true;
	out = render(m, PD_FMT_TEXT, &o);
	for (p = out; (p = strchr(p, 0x1b)); p++)
		ck_assert_msg(!strncmp(p, "\x1b[1m", 4) || !strncmp(p, "\x1b[0m", 4) ||
		                      !strncmp(p, "\x1b[2m", 4) || !strncmp(p, "\x1b[31m", 5) ||
		                      !strncmp(p, "\x1b[33m", 5),
		              "ESC not from the writer's colours");
	free(out);
	pd_model_free(m);
	sqlite3_close(db);
}
END_TEST

/* A million flows (many destinations, addresses and unattributed flows) build in seconds:
 * the aggregation runs in SQL. */
START_TEST(large)
{
	struct pd_report_opts o = default_opts();
	struct timespec t0, t1;
	struct pd_model *m;
	sqlite3 *db;
	double secs;
	char *out;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, pd_schema_sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(
	        sqlite3_exec(
	                db,
	                "INSERT INTO captures(id, path, size, sha256, format, link_types, packets, "
	                "bytes, ingested_at, tool_version) VALUES (1, 'big', 1, 'x', 'pcap', "
	                "'ether', 1, 1, 0, '0');"
	                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < "
	                "999999) INSERT INTO flows(capture_id, proto, client_ip, client_port, "
	                "server_ip, server_port, first_ns, last_ns, packets_out, bytes_out, "
	                "packets_in, bytes_in, name, evidence, confidence) SELECT 1, 'tcp', "
	                "'10.6.0.2', 1024 + i % 60000, '198.18.' || (i % 200) || '.' || (i / 200 % "
	                "250), 443, i * 1000000, i * 1000000 + 5, 3, 300, 3, 3000, CASE WHEN i % "
	                "10 "
	                "= 0 THEN NULL ELSE 'host' || (i % 5000) || '.d' || (i % 2000) || "
	                "'.example' END, CASE WHEN i % 10 = 0 THEN 'none' ELSE 'dns' END, 'medium' "
	                "FROM n;",
	                NULL, NULL, NULL),
	        SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	m = build(db, &o);
	out = render(m, PD_FMT_CSV, &o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		char *html = render(m, PD_FMT_HTML, &o);

		/* thousands of destinations: the timeline is a line, not one dot each */
		ck_assert_ptr_nonnull(strstr(html, "<polyline"));
		ck_assert_ptr_null(strstr(html, "<circle"));
		free(html);
	}
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "large: 1000000 flows -> %zu rows, %zu destinations in %.2f s\n", m->n_rows,
	        m->n_dests, secs);
	ck_assert_int_eq(m->sum.flows, 1000000);
	ck_assert_uint_eq(m->n_unres, 5000);
	ck_assert_uint_gt(m->n_dests, 0);
	ck_assert_msg(secs < 60, "report of 1M flows took %.1f s", secs);
	free(out);
	pd_model_free(m);
	sqlite3_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, geo);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, large);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
