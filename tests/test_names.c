/*
 * test_names.c - attribution (SPEC 2.3) on constructed timelines: an in-memory database made
 * from pd_schema_sql, captures/flows/dns_answers rows inserted directly, then
 * pd_names_attribute() and the flows/names/findings rows checked. Also the registrable-domain,
 * reverse-name and CDN tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "store.h"
#include "testutil.h"

#define S  1000000000LL
#define T0 (1700000000LL * S)

static sqlite3 *db;

static void exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("%s: %s", sql, msg);
}

static void setup(void)
{
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec(pd_schema_sql);
	exec("INSERT INTO captures (id, path, size, sha256, format, link_types, packets, bytes,"
	     " ingested_at, tool_version) VALUES (1, 't.pcap', 0, 'x', 'pcap', 'ether', 0, 0, 0,"
	     " 'test'), (2, 'u.pcap', 0, 'y', 'pcap', 'ether', 0, 0, 0, 'test')");
}

static void teardown(void)
{
	sqlite3_close(db);
	db = NULL;
}

static sqlite3_stmt *prep(const char *sql)
{
	sqlite3_stmt *st;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	return st;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* A flow of capture cap; app is 'tls', 'quic', 'http' or NULL. Returns its id. */
static int64_t flow_full(int64_t cap, const char *client, const char *server, int64_t first,
                         const char *app, const char *sni, int ech, const char *host,
                         const char *connect)
{
	sqlite3_stmt *st = prep(
	        "INSERT INTO flows (capture_id, proto, client_ip, client_port, server_ip,"
	        " server_port, first_ns, last_ns, packets_out, bytes_out, packets_in, bytes_in,"
	        " app_proto, sni, ech, http_host, http_connect, quic_version) VALUES (?1, ?2, ?3,"
	        " 40000, ?4, 443, ?5, ?5, 1, 60, 1, 60, ?6, ?7, ?8, ?9, ?10, ?11)");
	int64_t id;

	sqlite3_bind_int64(st, 1, cap);
	sqlite3_bind_text(st, 2, app && !strcmp(app, "quic") ? "udp" : "tcp", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, server, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, first);
	bind_opt(st, 6, app);
	bind_opt(st, 7, sni);
	sqlite3_bind_int(st, 8, ech);
	bind_opt(st, 9, host);
	bind_opt(st, 10, connect);
	if (app && !strcmp(app, "quic"))
		sqlite3_bind_int(st, 11, 1);
	else
		sqlite3_bind_null(st, 11);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	id = sqlite3_last_insert_rowid(db);
	return id;
}

static int64_t flow(const char *client, const char *server, int64_t first)
{
	return flow_full(1, client, server, first, NULL, NULL, 0, NULL, NULL);
}

/* A DNS answer row: type 'A', 'AAAA', 'HINT', 'PTR', 'CNAME'. Returns its id. */
static int64_t answer_full(int64_t cap, int64_t ts, const char *client, const char *qname,
                           const char *type, const char *answer, int64_t ttl, const char *chain)
{
	sqlite3_stmt *st = prep(
	        "INSERT INTO dns_answers (capture_id, ts_ns, client_ip, resolver_ip, resolver_port,"
	        " transport, qname, qtype, rcode, rr_name, rr_type, answer, ttl, chain) VALUES (?1,"
	        " ?2, ?3, '10.5.0.53', 53, 'udp', ?4, ?5, 'NOERROR', ?4, ?5, ?6, ?7, ?8)");
	int64_t id;

	sqlite3_bind_int64(st, 1, cap);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, qname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, type, -1, SQLITE_STATIC);
	bind_opt(st, 6, answer);
	sqlite3_bind_int64(st, 7, ttl);
	bind_opt(st, 8, chain);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	id = sqlite3_last_insert_rowid(db);
	return id;
}

static int64_t answer(int64_t ts, const char *client, const char *qname, const char *addr,
                      int64_t ttl)
{
	return answer_full(1, ts, client, qname, strchr(addr, ':') ? "AAAA" : "A", addr, ttl, NULL);
}

static void attribute_grace(int64_t cap, int64_t grace_ns)
{
	struct pd_attr_opts o = { grace_ns };
	char errbuf[PD_ERRBUF_SIZE] = "";

	ck_assert_msg(pd_names_attribute(db, cap, &o, errbuf) == PD_OK, "%s", errbuf);
}

static void attribute(void)
{
	attribute_grace(1, 0);
}

struct got {
	char name[512], evidence[32], confidence[16], chain[512], cands[4096];
	int ambiguous;
	int64_t ans_id;
};

static struct got get(int64_t id)
{
	sqlite3_stmt *st = prep("SELECT name, evidence, confidence, cname_chain, candidates,"
	                        " ambiguous, dns_answer_id FROM flows WHERE id = ?1");
	struct got g;
	const char *s;

	memset(&g, 0, sizeof(g));
	sqlite3_bind_int64(st, 1, id);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	if ((s = (const char *)sqlite3_column_text(st, 0)))
		snprintf(g.name, sizeof(g.name), "%s", s);
	snprintf(g.evidence, sizeof(g.evidence), "%s", sqlite3_column_text(st, 1));
	snprintf(g.confidence, sizeof(g.confidence), "%s", sqlite3_column_text(st, 2));
	if ((s = (const char *)sqlite3_column_text(st, 3)))
		snprintf(g.chain, sizeof(g.chain), "%s", s);
	if ((s = (const char *)sqlite3_column_text(st, 4)))
		snprintf(g.cands, sizeof(g.cands), "%s", s);
	g.ambiguous = sqlite3_column_int(st, 5);
	g.ans_id = sqlite3_column_int64(st, 6);
	sqlite3_finalize(st);
	return g;
}

static int64_t query_int(const char *sql)
{
	sqlite3_stmt *st = prep(sql);
	int64_t v;

	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void expect(int64_t id, const char *name, const char *evidence, const char *conf,
                   int ambiguous)
{
	struct got g = get(id);

	ck_assert_str_eq(g.name, name);
	ck_assert_str_eq(g.evidence, evidence);
	ck_assert_str_eq(g.confidence, conf);
	ck_assert_int_eq(g.ambiguous, ambiguous);
}

START_TEST(dns_same_client)
{
	int64_t a = answer(T0, "10.5.0.2", "www.Example.com.", "93.184.216.34", 300);
	int64_t f = flow("10.5.0.2", "93.184.216.34", T0 + 5 * S);
	int64_t g = flow("10.5.0.2", "93.184.216.34", T0); /* same nanosecond: still before */
	struct got r;

	attribute();
	expect(f, "www.example.com", "dns", "high", 0);
	r = get(f);
	ck_assert_int_eq(r.ans_id, a);
	ck_assert_str_eq(r.cands, "");
	expect(g, "www.example.com", "dns", "high", 0);
}
END_TEST

START_TEST(loopback_stub_resolver)
{
	/* a container: the application asks Docker's embedded resolver over lo (127.0.0.1 ->
	 * 127.0.0.11) and connects from its eth0 address */
	int64_t a = answer(T0, "127.0.0.1", "api.example.org", "192.0.2.90", 60);
	int64_t f = flow("172.17.0.2", "192.0.2.90", T0 + S);
	int64_t g, h;

	answer(T0, "10.5.0.9", "api.example.org", "192.0.2.91", 60);
	g = flow("172.17.0.2", "192.0.2.91", T0 + S);
	answer(T0, "::1", "v6.example.org", "2001:db8::91", 60);
	h = flow("2001:db8::2", "2001:db8::91", T0 + S);
	attribute();
	expect(f, "api.example.org", "dns", "high", 0);
	ck_assert_int_eq(get(f).ans_id, a);
	expect(g, "api.example.org", "dns-other-client", "medium", 0);
	expect(h, "v6.example.org", "dns", "high", 0);
}
END_TEST

START_TEST(answer_after_flow)
{
	int64_t f = flow("10.5.0.2", "93.184.216.34", T0);
	int64_t g = flow("10.5.0.2", "93.184.216.35", T0);

	answer(T0 + 1, "10.5.0.2", "late.site.example", "93.184.216.34", 300);
	answer(T0 - 10 * S, "10.5.0.2", "early.site.example", "93.184.216.35", 300);
	answer(T0 + 1, "10.5.0.2", "late.site.example", "93.184.216.35", 300);
	attribute();
	expect(f, "", "none", "low", 0);
	expect(g, "early.site.example", "dns", "high", 0);
}
END_TEST

START_TEST(ttl_expiry)
{
	int64_t in_ttl, in_grace, out, out0;

	answer(T0, "10.5.0.2", "a.example", "192.0.2.1", 30);
	in_ttl = flow("10.5.0.2", "192.0.2.1", T0 + 30 * S);
	in_grace = flow("10.5.0.2", "192.0.2.1", T0 + 90 * S); /* 30 s TTL + 60 s default grace */
	out = flow("10.5.0.2", "192.0.2.1", T0 + 90 * S + 1);
	attribute();
	expect(in_ttl, "a.example", "dns", "high", 0);
	expect(in_grace, "a.example", "dns", "high", 0);
	expect(out, "a.example", "dns-expired", "low", 0);

	/* --dns-grace 5 s: 36 s after the answer is outside; a negative grace means none */
	out0 = flow("10.5.0.2", "192.0.2.1", T0 + 31 * S);
	attribute_grace(1, 5 * S);
	expect(in_ttl, "a.example", "dns", "high", 0);
	expect(in_grace, "a.example", "dns-expired", "low", 0);
	expect(out0, "a.example", "dns", "high", 0);
	attribute_grace(1, -1);
	expect(out0, "a.example", "dns-expired", "low", 0);
	expect(in_ttl, "a.example", "dns", "high", 0);
}
END_TEST

START_TEST(other_client)
{
	int64_t f, g;

	answer(T0, "10.5.0.3", "b.example", "192.0.2.2", 300);
	f = flow("10.5.0.2", "192.0.2.2", T0 + S);
	g = flow("10.5.0.2", "192.0.2.2", T0 + 1000 * S);
	attribute();
	expect(f, "b.example", "dns-other-client", "medium", 0);
	expect(g, "b.example", "dns-expired", "low", 0);
}
END_TEST

START_TEST(address_reused)
{
	int64_t f1, f2;

	answer(T0, "10.5.0.2", "first.example", "198.51.100.7", 60);
	answer(T0 + 1000 * S, "10.5.0.2", "second.example", "198.51.100.7", 60);
	f1 = flow("10.5.0.2", "198.51.100.7", T0 + S);
	f2 = flow("10.5.0.2", "198.51.100.7", T0 + 1001 * S);
	attribute();
	/* each flow its own name; the address carried two registrable domains, but when f1
	 * started only first.example had been answered: candidates come only from answers
	 * before a flow (issue 15), so f1 is not ambiguous; f2 came after both */
	expect(f1, "first.example", "dns", "high", 0);
	expect(f2, "second.example", "dns", "medium", 1);
	ck_assert_str_eq(get(f1).cands, "");
	ck_assert_str_eq(get(f2).cands, "second.example|first.example");
}
END_TEST

START_TEST(two_names_one_address)
{
	int64_t f, h, s;

	answer(T0, "10.5.0.2", "a.shop.example", "203.0.113.5", 300);
	answer(T0 + 2 * S, "10.5.0.2", "b.other.test", "203.0.113.5", 300);
	answer(T0 + 3 * S, "10.5.0.4", "b.other.test", "203.0.113.5", 300);
	f = flow("10.5.0.2", "203.0.113.5", T0 + 10 * S);
	h = flow("10.5.0.2", "203.0.113.5", T0 + S); /* only the first was known then */
	s = flow_full(1, "10.5.0.2", "203.0.113.5", T0 + 11 * S, "tls", "a.shop.example", 0, NULL,
	              NULL);
	attribute();
	expect(f, "b.other.test", "dns", "medium", 1);
	ck_assert_str_eq(get(f).cands, "b.other.test|a.shop.example");
	/* an address shared in the capture, but b.other.test was answered only after h
	 * started: no candidate from the future, and not ambiguous (issue 15) */
	expect(h, "a.shop.example", "dns", "high", 0);
	ck_assert_str_eq(get(h).cands, "");
	/* a name of its own is not ambiguous */
	expect(s, "a.shop.example", "sni", "high", 0);
	ck_assert_int_eq(query_int("SELECT count FROM names WHERE ip = '203.0.113.5' AND"
	                           " name = 'b.other.test' AND source = 'dns'"),
	                 2);
}
END_TEST

/* Every name a connection carries (issue 15): the Hosts of later requests on a keep-alive
 * connection, and a name answered for the address while the connection was open (reused),
 * join its candidates after its own name, without making it ambiguous. */
START_TEST(further_names)
{
	int64_t f, k;

	answer(T0, "10.5.0.2", "www.shop.example", "203.0.113.8", 300);
	f = flow("10.5.0.2", "203.0.113.8", T0 + S);
	answer(T0 + 3 * S, "10.5.0.2", "api.other.test", "203.0.113.8", 300);
	k = flow_full(1, "10.5.0.2", "198.51.100.9", T0 + S, "http", NULL, 0, "h.example", NULL);
	exec("UPDATE flows SET last_ns = first_ns + 10000000000");
	exec("UPDATE flows SET http_hosts = 'evil.attacker.test|h.example' WHERE server_ip = "
	     "'198.51.100.9'");
	attribute();
	expect(f, "www.shop.example", "dns", "high", 0);
	ck_assert_str_eq(get(f).cands, "www.shop.example|api.other.test");
	expect(k, "h.example", "http-host", "high", 0);
	ck_assert_str_eq(get(k).cands, "h.example|evil.attacker.test");
}
END_TEST

START_TEST(same_domain_not_ambiguous)
{
	int64_t f;

	answer(T0, "10.5.0.2", "example.com", "192.0.2.9", 300);
	answer(T0 + S, "10.5.0.2", "www.example.com", "192.0.2.9", 300);
	f = flow("10.5.0.2", "192.0.2.9", T0 + 2 * S);
	attribute();
	expect(f, "www.example.com", "dns", "high", 0);
	ck_assert_str_eq(get(f).cands, "www.example.com|example.com");
}
END_TEST

START_TEST(cname_chain)
{
	int64_t f, g;

	answer_full(1, T0, "10.5.0.2", "www.shop.example", "A", "192.0.2.20", 20,
	            "www.shop.example>shop.example.edgekey.net>e1.a.akamaiedge.net");
	answer_full(1, T0, "10.5.0.2", "img.shop.example", "HINT", "192.0.2.21", 20,
	            "img.shop.example");
	f = flow("10.5.0.2", "192.0.2.20", T0 + S);
	g = flow("10.5.0.2", "192.0.2.21", T0 + S);
	attribute();
	expect(f, "www.shop.example", "dns", "high", 0);
	ck_assert_str_eq(get(f).chain,
	                 "www.shop.example>shop.example.edgekey.net>e1.a.akamaiedge.net");
	ck_assert_str_eq(pd_cdn_from_name(get(f).chain), "Akamai");
	expect(g, "img.shop.example", "dns", "high", 0);
	ck_assert_str_eq(get(g).chain, "");
}
END_TEST

START_TEST(in_flow_names)
{
	int64_t t, q, h, c, e1, e2, e3, ip;

	answer(T0, "10.5.0.2", "dns.example", "192.0.2.30", 300);
	t = flow_full(1, "10.5.0.2", "192.0.2.30", T0 + S, "tls", "Sni.Example.", 0, NULL, NULL);
	q = flow_full(1, "10.5.0.2", "192.0.2.31", T0 + S, "quic", "quic.example", 0, NULL, NULL);
	h = flow_full(1, "10.5.0.2", "192.0.2.32", T0 + S, "http", NULL, 0, "host.example:8080",
	              NULL);
	c = flow_full(1, "10.5.0.2", "192.0.2.33", T0 + S, "http", NULL, 0, "proxy.example",
	              "target.example:443");
	ip = flow_full(1, "10.5.0.2", "192.0.2.34", T0 + S, "http", NULL, 0, "192.0.2.34:80", NULL);
	/* ECH: the outer name is the provider's; a DNS name for the address wins */
	answer(T0, "10.5.0.2", "real.example", "192.0.2.35", 300);
	e1 = flow_full(1, "10.5.0.2", "192.0.2.35", T0 + S, "tls", "public.ech.example", 1, NULL,
	               NULL);
	e2 = flow_full(1, "10.5.0.2", "192.0.2.36", T0 + S, "tls", "public.ech.example", 1, NULL,
	               NULL);
	/* QUIC with an ECH extension (GREASE in Chrome's case) and no DNS */
	e3 = flow_full(1, "10.5.0.2", "192.0.2.37", T0 + S, "quic", "grease.example", 1, NULL,
	               NULL);
	attribute();
	expect(t, "sni.example", "sni", "high", 0);
	expect(q, "quic.example", "quic-sni", "high", 0);
	expect(h, "host.example", "http-host", "high", 0);
	expect(c, "target.example", "http-host", "high", 0);
	expect(ip, "", "none", "low", 0);
	expect(e1, "real.example", "dns", "high", 0);
	expect(e2, "public.ech.example", "sni", "medium", 0);
	ck_assert_str_eq(get(e2).cands, "public.ech.example");
	expect(e3, "grease.example", "quic-sni", "medium", 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE name = 'grease.example' AND"
	                           " source = 'quic-sni'"),
	                 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE name = 'public.ech.example'"),
	                 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE ip = '192.0.2.30' AND"
	                           " name = 'sni.example' AND source = 'sni'"),
	                 1);
	/* the flow's name and the DNS name differ in registrable domain: the address is shared */
	ck_assert_int_eq(get(t).ambiguous, 0);
}
END_TEST

START_TEST(ptr_in_capture)
{
	int64_t f4, f6, fd;

	answer_full(1, T0, "10.5.0.2", "7.100.51.198.in-addr.arpa", "PTR", "host7.Example.NET.",
	            3600, NULL);
	answer_full(1, T0, "10.5.0.2",
	            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	            "PTR", "v6host.example.net", 3600, NULL);
	f4 = flow("10.5.0.2", "198.51.100.7", T0 - 100 * S);
	f6 = flow("10.5.0.2", "2001:db8::1", T0 + S);
	answer(T0, "10.5.0.2", "fwd.example", "2001:db8::2", 60);
	answer_full(1, T0, "10.5.0.2",
	            "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	            "PTR", "ptr.example.net", 3600, NULL);
	fd = flow("10.5.0.2", "2001:db8::2", T0 + S);
	attribute();
	expect(f4, "host7.example.net", "ptr-capture", "low", 0);
	expect(f6, "v6host.example.net", "ptr-capture", "low", 0);
	expect(fd, "fwd.example", "dns", "high", 0); /* a PTR name does not make it shared */
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE ip = '2001:db8::1' AND"
	                           " source = 'ptr-capture' AND registrable = 'example.net'"),
	                 1);
}
END_TEST

START_TEST(names_table)
{
	answer(T0, "10.5.0.2", "www.bbc.co.uk", "192.0.2.40", 60);
	answer(T0 + 5 * S, "10.5.0.3", "www.bbc.co.uk", "192.0.2.40", 60);
	answer(T0, "10.5.0.2", "foo.github.io", "192.0.2.41", 60);
	answer(T0, "10.5.0.2", "never.example", "192.0.2.42", 60);
	flow("10.5.0.2", "192.0.2.40", T0 + S);
	flow("10.5.0.2", "192.0.2.41", T0 + S);
	attribute();
	/* an address no flow went to has no names rows (its answer stays in dns_answers) */
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE ip = '192.0.2.42'"), 0);
	ck_assert_int_eq(query_int("SELECT count FROM names WHERE ip = '192.0.2.40' AND"
	                           " registrable = 'bbc.co.uk' AND first_ns = 1700000000000000000"
	                           " AND last_ns = 1700000005000000000"),
	                 2);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE ip = '192.0.2.41' AND"
	                           " registrable = 'foo.github.io'"),
	                 1);
	/* attributing again replaces, never doubles */
	attribute();
	ck_assert_int_eq(query_int("SELECT count(*) FROM names"), 2);
	ck_assert_int_eq(query_int("SELECT sum(count) FROM names"), 3);
}
END_TEST

START_TEST(captures_separate)
{
	int64_t f1, f2;

	answer_full(2, T0, "10.5.0.2", "other.example", "A", "192.0.2.50", 60, NULL);
	f1 = flow("10.5.0.2", "192.0.2.50", T0 + S);
	f2 = flow_full(2, "10.5.0.2", "192.0.2.50", T0 + S, NULL, NULL, 0, NULL, NULL);
	attribute();
	attribute_grace(2, 0);
	expect(f1, "", "none", "low", 0);
	expect(f2, "other.example", "dns", "high", 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE capture_id = 1"), 0);
}
END_TEST

START_TEST(registrable)
{
	static const char *const cases[][2] = {
		{ "www.bbc.co.uk", "bbc.co.uk" },
		{ "WWW.Example.COM.", "example.com" },
		{ "a.b.c.example.org", "example.org" },
		{ "example.com", "example.com" },
		{ "co.uk", "co.uk" },
		{ "localhost", "localhost" },
		{ "foo.github.io", "foo.github.io" },
		{ "d111.cloudfront.net", "d111.cloudfront.net" },
		{ "192.0.2.1", "192.0.2.1" },
		{ "2001:db8::1", "2001:db8::1" },
		{ "x.y.example.co.jp", "example.co.jp" },
	};
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(pd_registrable(cases[i][0], out, sizeof(out)), cases[i][1]);
	/* not host names: as they came */
	ck_assert_str_eq(pd_registrable("'=HYPERLINK(\"x\")", out, sizeof(out)),
	                 "'=HYPERLINK(\"x\")");
	ck_assert_str_eq(pd_registrable("2001:DB8::1", out, sizeof(out)), "2001:DB8::1");
	/* a short buffer truncates, never overflows */
	ck_assert_str_eq(pd_registrable("www.example.com", out, 4), "www");
}
END_TEST

/* pd_registrable_memo (one libpsl question per distinct suffix) against pd_registrable, on
 * names built from every rule of the system's Public Suffix List (wildcards and exceptions
 * included) when the file is there, and on fixed cases. */
static void memo_check(struct pd_psl_memo *m, const char *name)
{
	char want[1100], got[1100];

	pd_registrable(name, want, sizeof(want));
	ck_assert_ptr_nonnull(pd_registrable_memo(m, name, got, sizeof(got)));
	ck_assert_msg(strcmp(want, got) == 0, "%s: memo %s, libpsl %s", name, got, want);
}

START_TEST(registrable_memo)
{
	static const char *const fixed[] = {
		"www.bbc.co.uk",
		"WWW.Example.COM.",
		"a.b.c.example.org",
		"example.com",
		"co.uk",
		"uk",
		"localhost",
		"foo.github.io",
		"github.io",
		"d111.cloudfront.net",
		"192.0.2.1",
		"2001:db8::1",
		"x.y.example.co.jp",
		"www.ck",
		"a.www.ck",
		"b.a.ck",
		"ck",
		"a.b.c.kawasaki.jp",
		"city.kawasaki.jp",
		"x.city.kawasaki.jp",
		"'=HYPERLINK(\"x\")",
		"a..b.com",
		".a.com",
		"a.com.",
		"x_y.example.com",
		"-.-",
		"svc0.bench0.example",
		"svc1.bench0.example",
		"bench0.example",
		"example",
		"",
	};
	struct pd_psl_memo *m = pd_psl_memo_new();
	char line[512], name[600];
	FILE *f;
	size_t i;
	int rules = 0;

	ck_assert_ptr_nonnull(m);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		memo_check(m, fixed[i]);
	f = fopen("/usr/share/publicsuffix/public_suffix_list.dat", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *r = line, *e = line + strcspn(line, " \t\r\n");

		*e = 0;
		if (!*r || (r[0] == '/' && r[1] == '/'))
			continue;
		if (*r == '!')
			r++;
		if (r[0] == '*' && r[1] == '.')
			r += 2;
		memo_check(m, r);
		snprintf(name, sizeof(name), "a.%s", r);
		memo_check(m, name);
		snprintf(name, sizeof(name), "b.a.%s", r);
		memo_check(m, name);
		snprintf(name, sizeof(name), "c.b.a.%s", r);
		memo_check(m, name);
		rules++;
	}
	if (f)
		fclose(f);
	/* repeated: answered from the memo this time */
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		memo_check(m, fixed[i]);
	pd_psl_memo_free(m);
	if (!rules)
		fprintf(stderr, "registrable_memo: no Public Suffix List file, fixed cases only\n");
}
END_TEST

/* The answer scan per flow stops at PD_ATTR_MAX_SCAN (1024) answers, counted once per flow in
 * a limit finding, for flows with their own name (SNI) as for those named by DNS: it visits
 * the answers whose window can reach the flow plus the one before, where it stops. */
START_TEST(scan_cut)
{
	static const struct {
		const char *ip;
		int recent, old; /* answers reaching the flow, and older ones */
	} addrs[] = {
		{ "192.0.2.10", 1023, 5 }, /* 1023 + 1 visited: no cut */
		{ "192.0.2.11", 1024, 5 }, /* 1024 + 1: cut */
		{ "192.0.2.12", 1024, 0 }, /* 1024, nothing before: no cut */
	};
	char name[64];
	int64_t last = 0;
	size_t k;
	int i;

	exec("BEGIN");
	for (k = 0; k < sizeof(addrs) / sizeof(addrs[0]); k++) {
		for (i = 0; i < addrs[k].old; i++) {
			snprintf(name, sizeof(name), "old%d.example", i);
			answer(T0 - 1000 * S + i, "10.5.0.2", name, addrs[k].ip, 300);
		}
		for (i = 0; i < addrs[k].recent; i++) {
			snprintf(name, sizeof(name), "n%d.example", i);
			last = answer(T0 + i * 1000, "10.5.0.2", name, addrs[k].ip, 300);
		}
		flow_full(1, "10.5.0.2", addrs[k].ip, T0 + S, "tls", "n1.example", 0, NULL, NULL);
		flow("10.5.0.2", addrs[k].ip, T0 + S);
	}
	/* the most recent answer names the flow: its id is the flow's answer */
	flow_full(1, "10.5.0.2", "192.0.2.12", T0 + S, "tls", "n1023.example", 0, NULL, NULL);
	exec("COMMIT");
	attribute();
	ck_assert_int_eq(query_int("SELECT sum(count) FROM findings WHERE kind = 'limit' AND"
	                           " detail LIKE 'attribution: DNS answer scan cut%'"),
	                 2);
	ck_assert_int_eq(query_int("SELECT count(*) FROM flows WHERE sni = 'n1.example' AND"
	                           " evidence = 'sni' AND dns_answer_id IS NULL"),
	                 3);
	ck_assert_int_eq(query_int("SELECT count(*) FROM flows WHERE sni IS NULL AND"
	                           " evidence = 'dns' AND name = 'n1023.example'"),
	                 2);
	ck_assert_int_eq(query_int("SELECT dns_answer_id FROM flows WHERE sni = 'n1023.example'"),
	                 last);
}
END_TEST

/* More flow addresses than load_answers keeps (PD_ATTR_MAX_FLOW_ADDRS, 65536), as a scan of a
 * network makes: their answers come through the SQL subquery instead, with the same results.
 * Rows built here in C (10.100.0.0 upwards), no capture bytes. */
START_TEST(many_flow_addresses)
{
	char ip[64];
	int i;

	exec("BEGIN");
	for (i = 0; i < 66000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", 100 + i / 65536, (i / 256) % 256, i % 256);
		if (i % 1000 == 7)
			answer(T0, "10.5.0.2", "far.example", ip, 300);
		flow("10.5.0.2", ip, T0 + S);
	}
	exec("COMMIT");
	attribute();
	ck_assert_int_eq(query_int("SELECT count(*) FROM flows WHERE evidence = 'dns' AND"
	                           " name = 'far.example'"),
	                 66);
	ck_assert_int_eq(query_int("SELECT count(*) FROM flows WHERE evidence = 'none'"),
	                 66000 - 66);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE name = 'far.example'"), 66);
}
END_TEST

START_TEST(cdn_table)
{
	const char *suffix, *cdn;
	size_t i, n = pd_cdn_table(0, &suffix, &cdn);
	char name[300];

	ck_assert_uint_gt(n, 20);
	for (i = 0; i < n; i++) {
		pd_cdn_table(i, &suffix, &cdn);
		snprintf(name, sizeof(name), "edge-1.%s.", suffix);
		ck_assert_msg(pd_cdn_from_name(name) && !strcmp(pd_cdn_from_name(name), cdn), "%s",
		              name);
		ck_assert_str_eq(pd_cdn_from_name(suffix), cdn);
		snprintf(name, sizeof(name), "not%s", suffix); /* label boundary */
		ck_assert_ptr_null(pd_cdn_from_name(name));
	}
	ck_assert_str_eq(pd_cdn_from_name("D1234.CloudFront.NET"), "Amazon CloudFront");
	ck_assert_str_eq(pd_cdn_from_name("www.python.org>dualstack.python.map.fastly.net"),
	                 "Fastly");
	ck_assert_str_eq(pd_cdn_from_name("a.example>a.example.cdn.cloudflare.net"), "Cloudflare");
	ck_assert_ptr_null(pd_cdn_from_name("www.example.com>example.com"));
	ck_assert_ptr_null(pd_cdn_from_name(""));
	ck_assert_ptr_null(pd_cdn_from_name(NULL));
	ck_assert_str_eq(pd_cdn_from_as_org("Fastly, Inc."), "Fastly");
	ck_assert_str_eq(pd_cdn_from_as_org("CLOUDFLARENET"), "Cloudflare");
	ck_assert_str_eq(pd_cdn_from_as_org("Akamai International B.V."), "Akamai");
	ck_assert_str_eq(pd_cdn_from_as_org("AMAZON-02"), "Amazon");
	ck_assert_ptr_null(pd_cdn_from_as_org("Bredband2 AB"));
	ck_assert_ptr_null(pd_cdn_from_as_org(NULL));
}
END_TEST

START_TEST(ptr_names)
{
	char out[64];

	ck_assert_int_eq(pd_names_ptr_addr("4.3.2.1.in-addr.arpa", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1.2.3.4");
	ck_assert_int_eq(pd_names_ptr_addr("255.0.0.10.IN-ADDR.ARPA.", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "10.0.0.255");
	ck_assert_int_eq(
	        pd_names_ptr_addr("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0."
	                          "1.2.3.4.ip6.arpa",
	                          out, sizeof(out)),
	        0);
	ck_assert_str_eq(out, "4321:0:1:2:3:4:567:89ab"); /* RFC 3596 2.5 example */
}
END_TEST

START_TEST(truncated)
{
	char out[64];
	int64_t f, g;

	/* partial reverse names name networks, not addresses */
	ck_assert_int_eq(pd_names_ptr_addr("3.2.1.in-addr.arpa", out, sizeof(out)), -1);
	ck_assert_int_eq(pd_names_ptr_addr("in-addr.arpa", out, sizeof(out)), -1);
	ck_assert_int_eq(pd_names_ptr_addr(".in-addr.arpa", out, sizeof(out)), -1);
	ck_assert_int_eq(pd_names_ptr_addr("0.0.8.b.d.0.1.0.0.2.ip6.arpa", out, sizeof(out)), -1);
	ck_assert_int_eq(pd_names_ptr_addr("", out, sizeof(out)), -1);
	/* rows with the optional fields missing: no ttl, no answer, an answerless response */
	exec("INSERT INTO dns_answers (capture_id, ts_ns, client_ip, resolver_ip, resolver_port,"
	     " transport, qname, qtype, rcode) VALUES (1, 1700000000000000000, '10.5.0.2',"
	     " '10.5.0.53', 53, 'udp', 'nx.example', 'A', 'NXDOMAIN')");
	exec("INSERT INTO dns_answers (capture_id, ts_ns, client_ip, resolver_ip, resolver_port,"
	     " transport, qname, qtype, rcode, rr_name, rr_type, answer) VALUES (1,"
	     " 1700000000000000000, '10.5.0.2', '10.5.0.53', 53, 'udp', 'nottl.example', 'A',"
	     " 'NOERROR', 'nottl.example', 'A', '192.0.2.60')");
	exec("INSERT INTO dns_answers (capture_id, ts_ns, client_ip, resolver_ip, resolver_port,"
	     " transport, qname, qtype, rcode, rr_name, rr_type, answer) VALUES (1,"
	     " 1700000000000000000, '10.5.0.2', '10.5.0.53', 53, 'udp', '3.2.1.in-addr.arpa',"
	     " 'PTR', 'NOERROR', '3.2.1.in-addr.arpa', 'PTR', 'net.example')");
	f = flow("10.5.0.2", "192.0.2.60", T0 + 60 * S); /* ttl NULL = 0, grace 60 s */
	g = flow("10.5.0.2", "1.2.3.4", T0 + S);
	attribute();
	expect(f, "nottl.example", "dns", "high", 0);
	expect(g, "", "none", "low", 0);
	/* an empty capture is fine */
	attribute_grace(2, 0);
	/* extreme times and a huge grace do not overflow */
	answer(INT64_MAX - 5, "10.5.0.2", "late.example", "192.0.2.61", INT32_MAX);
	answer(INT64_MIN + 5, "10.5.0.2", "early.example", "192.0.2.62", INT32_MAX);
	f = flow("10.5.0.2", "192.0.2.61", INT64_MAX);
	g = flow("10.5.0.2", "192.0.2.62", INT64_MIN + 10);
	attribute_grace(1, INT64_MAX);
	expect(f, "late.example", "dns", "high", 0);
	expect(g, "early.example", "dns", "high", 0);
}
END_TEST

START_TEST(hostile)
{
	/* Names as a hostile capture could carry them (DNS labels may hold any byte; the DNS
	 * parser hands them on as text): separators, markup, control bytes, UTF-8. */
	static const char *const odd[] = { "a|b.example",
		                           "<script>x</script>.example",
		                           "\x01\x7f\xff.example",
		                           "caf\xc3\xa9.example",
		                           "..",
		                           "." };
	char q[64];
	int64_t f, g, h, k, big;
	size_t i;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		answer(T0 + (int64_t)i, "10.5.0.2", odd[i], "192.0.2.70", 300);
	f = flow("10.5.0.2", "192.0.2.70", T0 + 10 * S);
	g = flow_full(1, "10.5.0.2", "192.0.2.71", T0, "http", NULL, 0, "[::1]:80", NULL);
	h = flow_full(1, "10.5.0.2", "192.0.2.72", T0, "http", NULL, 0, ":", NULL);
	k = flow_full(1, "10.5.0.2", "192.0.2.73", T0, "tls", "", 0, NULL, NULL);
	/* 10,000 names on one address: the caps hold, with counted findings */
	exec("BEGIN");
	for (i = 0; i < 10000; i++) {
		snprintf(q, sizeof(q), "n%zu.d%zu.example", i, i);
		answer(T0 + (int64_t)i * 1000, "10.5.0.2", q, "192.0.2.80", 3600);
	}
	exec("COMMIT");
	big = flow("10.5.0.2", "192.0.2.80", T0 + 20 * S);
	attribute();
	ck_assert_str_eq(get(f).evidence, "dns");
	ck_assert_int_eq(get(f).ambiguous, 1);
	ck_assert_ptr_nonnull(strstr(get(f).cands, "a\\124b.example"));
	expect(g, "", "none", "low", 0);
	expect(h, "", "none", "low", 0);
	expect(k, "", "none", "low", 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM names WHERE ip = '192.0.2.80'"),
	                 PD_MAX_NAMES_PER_ADDR);
	ck_assert_int_eq(query_int("SELECT count FROM findings WHERE kind = 'limit' AND"
	                           " subject = '192.0.2.80'"),
	                 10000 - PD_MAX_NAMES_PER_ADDR);
	ck_assert_int_eq(query_int("SELECT count FROM findings WHERE kind = 'limit' AND"
	                           " detail LIKE '%candidate%'"),
	                 1);
	{
		struct got b = get(big);
		int bars = 0;

		for (i = 0; b.cands[i]; i++)
			bars += b.cands[i] == '|';
		ck_assert_int_eq(bars, PD_MAX_CANDIDATES - 1);
		ck_assert_int_eq(b.ambiguous, 1);
		ck_assert_str_eq(b.evidence, "dns");
		/* the most recent answer before the flow wins */
		ck_assert_str_eq(b.name, "n9999.d9999.example");
	}
}
END_TEST

START_TEST(many_flows)
{
	/* Not a timed test: checks that batching covers every flow, past one batch. */
	char ip[64];
	int i;

	exec("BEGIN");
	for (i = 0; i < 300; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i % 250);
		if (i < 250)
			answer(T0, "10.5.0.2", "bulk.example", ip, 300);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i % 250);
		flow("10.5.0.2", ip, T0 + S + i);
	}
	exec("COMMIT");
	attribute();
	ck_assert_int_eq(query_int("SELECT count(*) FROM flows WHERE evidence = 'dns' AND"
	                           " name = 'bulk.example'"),
	                 5000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("names");
	TCase *v = tcase_create("valid"), *t = tcase_create("truncated"),
	      *h = tcase_create("hostile");

	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_set_timeout(h, 60);
	tcase_add_test(v, dns_same_client);
	tcase_add_test(v, answer_after_flow);
	tcase_add_test(v, loopback_stub_resolver);
	tcase_add_test(v, ttl_expiry);
	tcase_add_test(v, other_client);
	tcase_add_test(v, address_reused);
	tcase_add_test(v, two_names_one_address);
	tcase_add_test(v, same_domain_not_ambiguous);
	tcase_add_test(v, further_names);
	tcase_add_test(v, cname_chain);
	tcase_add_test(v, in_flow_names);
	tcase_add_test(v, ptr_in_capture);
	tcase_add_test(v, names_table);
	tcase_add_test(v, captures_separate);
	tcase_add_test(v, registrable);
	tcase_add_test(v, cdn_table);
	tcase_add_test(v, ptr_names);
	tcase_add_test(v, many_flows);
	tcase_add_test(v, registrable_memo);
	tcase_add_test(v, scan_cut);
	tcase_add_test(t, truncated);
	tcase_add_test(h, hostile);
	tcase_add_test(h, many_flow_addresses);
	suite_add_tcase(s, v);
	suite_add_tcase(s, t);
	suite_add_tcase(s, h);
	return pd_test_run(s);
}
