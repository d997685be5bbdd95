/*
 * test_diff.c - `pcapdomains diff` without traffic: folding destination rows into
 * (name, port, protocol) items, comparing two lists, and the writers (report/diff.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "testutil.h"

/* A row as cmd_diff makes it from the database: one server address each. */
static struct pd_diff_item row(const char *key, const char *addr, uint16_t port, const char *proto,
                               const char *evidence, uint64_t flows, int64_t first, int64_t last)
{
	struct pd_diff_item r;

	memset(&r, 0, sizeof(r));
	r.key = key;
	r.addresses = strdup(addr); /* freed by free_rows: items own copies */
	ck_assert_ptr_nonnull(r.addresses);
	r.port = port;
	r.proto = proto;
	r.evidence = evidence;
	r.flows = flows;
	r.bytes_out = flows * 100;
	r.bytes_in = flows * 1000;
	r.first_ns = first;
	r.last_ns = last;
	return r;
}

static void free_rows(struct pd_diff_item *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rows[i].addresses);
}

static char *render(const struct pd_diff *d, enum pd_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	pd_diff_write(d, fmt, f);
	fclose(f);
	return buf;
}

START_TEST(valid)
{
	/* Old: a.test on two addresses (one listed twice, as two capture rows would), b.test
	 * on 443 and 80. New: A.TEST (case only) on a third address, b.test on 443 only,
	 * c.test new. */
	struct pd_diff_item old_rows[] = {
		row("a.test", "192.0.2.2", 443, "tcp", "dns", 2, 3000, 4000),
		row("b.test", "192.0.2.9", 80, "tcp", "http-host", 1, 5000, 5000),
		row("a.test", "192.0.2.1", 443, "tcp", "sni", 1, 1000, 2000),
		row("b.test", "192.0.2.9", 443, "tcp", "sni", 1, 6000, 6000),
		row("a.test", "192.0.2.2", 443, "tcp", "none", 1, 500, 600),
		row("a.test", "192.0.2.1", 443, "udp", "quic-sni", 1, 700, 800),
	};
	struct pd_diff_item new_rows[] = {
		row("A.TEST", "198.51.100.7", 443, "tcp", "sni", 5, 10, 20),
		row("b.test", "192.0.2.9", 443, "tcp", "sni", 1, 30, 40),
		row("c.test", "203.0.113.5", 8443, "tcp", "dns-other-client", 3, 50, 60),
		row("a.test", "192.0.2.1", 443, "udp", "quic-sni", 1, 700, 800),
	};
	struct pd_diff_item *o, *n;
	size_t no, nn;
	struct pd_diff d = { 0 };
	char *text, *csv, *json;

	ck_assert_int_eq(pd_diff_fold(old_rows, 6, &o, &no), PD_OK);
	ck_assert_uint_eq(no, 4);
	/* Sorted: a.test 443/tcp, a.test 443/udp, b.test 80/tcp, b.test 443/tcp. */
	ck_assert_str_eq(o[0].key, "a.test");
	ck_assert_uint_eq(o[0].port, 443);
	ck_assert_str_eq(o[0].proto, "tcp");
	ck_assert_str_eq(o[0].addresses, "192.0.2.1 192.0.2.2"); /* each address once */
	ck_assert_str_eq(o[0].evidence, "sni");                  /* the strongest */
	ck_assert_uint_eq(o[0].flows, 4);
	ck_assert_uint_eq(o[0].bytes_out, 400);
	ck_assert_int_eq(o[0].first_ns, 500);
	ck_assert_int_eq(o[0].last_ns, 4000);
	ck_assert_str_eq(o[1].proto, "udp");
	ck_assert_uint_eq(o[2].port, 80);
	ck_assert_uint_eq(o[3].port, 443);

	ck_assert_int_eq(pd_diff_fold(new_rows, 4, &n, &nn), PD_OK);
	ck_assert_uint_eq(nn, 4);
	ck_assert_int_eq(pd_diff_compare(o, no, n, nn, &d), PD_OK);
	/* a.test moved address and changed case: not drift. */
	ck_assert_uint_eq(d.n_same, 3);
	ck_assert_uint_eq(d.n_added, 1);
	ck_assert_str_eq(d.added[0].key, "c.test");
	ck_assert_uint_eq(d.n_removed, 1);
	ck_assert_str_eq(d.removed[0].key, "b.test");
	ck_assert_uint_eq(d.removed[0].port, 80);

	d.old_label = "old.pcapng";
	d.new_label = "new.db";
	text = render(&d, PD_FMT_TEXT);
	ck_assert_msg(strstr(text, "1 added, 1 removed, 3 unchanged"), "%s", text);
	ck_assert_msg(strstr(text, "  + c.test  8443/tcp  evidence dns-other-client  3 flows  "
	                           "203.0.113.5\n"),
	              "%s", text);
	ck_assert_msg(strstr(text, "  - b.test  80/tcp  evidence http-host  1 flow  192.0.2.9\n"),
	              "%s", text);
	csv = render(&d, PD_FMT_CSV);
	{
		static const char head[] =
		        "change,destination,server_ips,port,proto,evidence,flows,"
		        "bytes_out,bytes_in,first_seen,last_seen\r\n";
		ck_assert_msg(!strncmp(csv, head, strlen(head)), "%s", csv);
	}
	ck_assert_msg(strstr(csv, "added,c.test,203.0.113.5,8443,tcp,dns-other-client,3,300,3000,"
	                          "1970-01-01T00:00:00.000Z,1970-01-01T00:00:00.000Z\r\n"),
	              "%s", csv);
	json = render(&d, PD_FMT_JSON);
	ck_assert_msg(strstr(json, "\"kind\": \"pcapdomains-diff\""), "%s", json);
	ck_assert_msg(strstr(json, "\"unchanged\": 3"), "%s", json);
	ck_assert_msg(strstr(json, "{\"destination\": \"c.test\", \"server_ips\": \"203.0.113.5\", "
	                           "\"port\": 8443, \"proto\": \"tcp\""),
	              "%s", json);
	free(text);
	free(csv);
	free(json);
	pd_diff_clear(&d);
	ck_assert_ptr_null(d.added);
	pd_diff_items_free(o, no);
	pd_diff_items_free(n, nn);
	free_rows(old_rows, 6);
	free_rows(new_rows, 4);

	/* Times with milliseconds, in UTC. */
	{
		struct pd_diff_item r = row("t.test", "192.0.2.1", 1, "udp", "dns", 1,
		                            1795000000123456789LL, 1795000001999000000LL);
		struct pd_diff t = { "a", "b", &r, NULL, 1, 0, 0 };
		char *c = render(&t, PD_FMT_CSV);
		ck_assert_msg(strstr(c, ",2026-11-18T11:06:40.123Z,2026-11-18T11:06:41.999Z\r\n"),
		              "%s", c);
		free(c);
		free(r.addresses);
	}
	ck_assert_int_eq(pd_diff_evidence_rank("sni"), 0);
	ck_assert_int_lt(pd_diff_evidence_rank("dns"), pd_diff_evidence_rank("ptr-capture"));
	ck_assert_int_eq(pd_diff_evidence_rank("none"), 99);
	ck_assert_int_eq(pd_diff_evidence_rank(NULL), 99);
}
END_TEST

/* Nothing on one side or both: everything added, everything removed, or an empty diff. */
START_TEST(truncated)
{
	struct pd_diff_item rows[] = { row("x.test", "192.0.2.1", 53, "udp", "dns", 1, 1, 2) };
	struct pd_diff_item *items, *none;
	size_t n, n0;
	struct pd_diff d = { 0 };
	char *s;

	ck_assert_int_eq(pd_diff_fold(rows, 1, &items, &n), PD_OK);
	ck_assert_int_eq(pd_diff_fold(NULL, 0, &none, &n0), PD_OK);
	ck_assert_uint_eq(n0, 0);
	ck_assert_int_eq(pd_diff_compare(none, 0, items, n, &d), PD_OK);
	ck_assert_uint_eq(d.n_added, 1);
	ck_assert_uint_eq(d.n_removed + d.n_same, 0);
	pd_diff_clear(&d);
	ck_assert_int_eq(pd_diff_compare(items, n, none, 0, &d), PD_OK);
	ck_assert_uint_eq(d.n_removed, 1);
	pd_diff_clear(&d);
	ck_assert_int_eq(pd_diff_compare(none, 0, none, 0, &d), PD_OK);
	d.old_label = d.new_label = "empty";
	s = render(&d, PD_FMT_JSON);
	ck_assert_msg(strstr(s, "\"added\": [],\n  \"removed\": []"), "%s", s);
	free(s);
	s = render(&d, PD_FMT_MD);
	ck_assert_msg(strstr(s, "**0 added**, **0 removed**, 0 unchanged."), "%s", s);
	ck_assert_msg(!strstr(s, "####"), "no empty tables: %s", s);
	free(s);
	s = render(&d, PD_FMT_HTML);
	ck_assert_msg(strstr(s, "</html>"), "%s", s);
	free(s);
	pd_diff_clear(&d);
	pd_diff_items_free(items, n);
	pd_diff_items_free(none, n0);
	free_rows(rows, 1);
}
END_TEST

/*
 * Names from packets (an SNI or Host a hostile client sent, or a database merged from
 * elsewhere): a spreadsheet formula, markup, a terminal escape, quotes, a newline and a '|'.
 * Hand-made here; the e2e test feeds the same through a real database.
 */
START_TEST(hostile)
{
	static const char evil[] = "=cmd|'/c calc'!A1<script>\x1b[31m\"x\"\ny.test";
	struct pd_diff_item rows[] = { row(evil, "192.0.2.1", 443, "tcp", "sni", 1, 1, 2) };
	struct pd_diff_item *items;
	size_t n;
	struct pd_diff d = { 0 };
	char *s;

	ck_assert_int_eq(pd_diff_fold(rows, 1, &items, &n), PD_OK);
	ck_assert_int_eq(pd_diff_compare(NULL, 0, items, n, &d), PD_OK);
	d.old_label = "<old>\x1b";
	d.new_label = "new\n";
	s = render(&d, PD_FMT_TEXT);
	ck_assert_msg(!strchr(s, '\x1b'), "ESC on the terminal: %s", s);
	ck_assert_msg(!strstr(s, "\ny.test"), "a raw newline from a name: %s", s);
	free(s);
	s = render(&d, PD_FMT_CSV);
	ck_assert_msg(strstr(s, "added,\"'=cmd|"), "formula not neutralised: %s", s);
	ck_assert_msg(strstr(s, "\"\"x\"\""), "quotes not doubled: %s", s);
	free(s);
	s = render(&d, PD_FMT_HTML);
	ck_assert_msg(!strstr(s, "<script>") && !strstr(s, "<old>"), "markup: %s", s);
	ck_assert_msg(strstr(s, "&lt;script&gt;"), "%s", s);
	ck_assert_msg(!strchr(s, '\x1b'), "ESC in HTML: %s", s);
	free(s);
	s = render(&d, PD_FMT_MD);
	ck_assert_msg(!strstr(s, "'/c calc'!A1<script>"), "markup in Markdown: %s", s);
	ck_assert_msg(!strstr(s, "\ny.test"), "a newline breaks the table: %s", s);
	ck_assert_msg(strstr(s, "\\|"), "'|' not escaped in a table: %s", s);
	free(s);
	s = render(&d, PD_FMT_JSON);
	ck_assert_msg(strstr(s, "\\n") && strstr(s, "\\\"x\\\"") && !strchr(s, '\x1b'), "%s", s);
	free(s);
	pd_diff_clear(&d);
	pd_diff_items_free(items, n);
	free_rows(rows, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
