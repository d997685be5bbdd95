/*
 * test_session.c - capture sessions (analyze/session.c, README "Capture sessions"): files that
 * continue one another carry flows, stream reassembly and the DNS map across the boundary.
 *
 * Every capture is built here (pcapng through capbuild.h, Ethernet + IPv4 + TCP/UDP): a DNS
 * answer, a TCP handshake and the first half of a TLS ClientHello in one file, the second half
 * in the next; a connection without SNI opened in the second file (named by the first file's
 * answer); a connection whose first packet in the second file comes from its server; a DNS
 * over TCP response split across the boundary; captures of one container far apart in time
 * (dns-earlier-capture); hand-made flow_carry rows and a session cycle (hostile).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capbuild.h"
#include "flow.h"
#include "ingest.h"
#include "session.h"
#include "store.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/session-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* ---- building captures (pcapng, microsecond timestamps) ------------------------------- */

struct cap {
	struct cb b;
	int64_t t_us;
};

/* A new file; meta ("key=value", NULL-terminated) become pcapdomains.* SHB comments. */
static void cap_open(struct cap *c, int64_t t_us, const char *const *meta)
{
	size_t shb, n;
	char kv[256];

	memset(c, 0, sizeof(*c));
	c->t_us = t_us;
	shb = cb_shb_begin(&c->b);
	for (n = 0; meta && meta[n]; n++) {
		snprintf(kv, sizeof(kv), "pcapdomains.%s", meta[n]);
		cb_opt_str(&c->b, 1, kv);
	}
	if (n)
		cb_opt_end(&c->b);
	cb_block_end(&c->b, shb);
	cb_idb(&c->b, 1, 65535, "eth0", -1);
}

/* Writes the file as dir/name and returns its path (static buffer per call site). */
static const char *cap_close(struct cap *c, const char *name, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(c->b.b, 1, c->b.len, f), c->b.len);
	fclose(f);
	free(c->b.b);
	return path;
}

struct ep {
	int fam;
	uint8_t a[16];
	uint16_t port;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* Builds one frame into b: Ethernet, IPv4 or IPv6, TCP (proto 6) or UDP (17), payload. */
static size_t build_frame(uint8_t *b, size_t cap, const struct ep *s, const struct ep *d, int proto,
                          uint8_t flags, uint32_t seq, uint32_t ack, const void *payload,
                          size_t len)
{
	size_t l4 = proto == 6 ? 20 : 8, ipl = s->fam == 4 ? 20 : 40, n = 14 + ipl + l4 + len;
	uint8_t *ip = b + 14, *t = ip + ipl;

	ck_assert_uint_le(n, cap);
	memset(b, 0, n);
	memcpy(b, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (s->fam == 4) {
		put16(b + 12, 0x0800);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(ipl + l4 + len));
		ip[8] = 64;
		ip[9] = (uint8_t)proto;
		memcpy(ip + 12, s->a, 4);
		memcpy(ip + 16, d->a, 4);
	} else {
		put16(b + 12, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(l4 + len));
		ip[6] = (uint8_t)proto;
		ip[7] = 64;
		memcpy(ip + 8, s->a, 16);
		memcpy(ip + 24, d->a, 16);
	}
	put16(t, s->port);
	put16(t + 2, d->port);
	if (proto == 6) {
		put32(t + 4, seq);
		put32(t + 8, ack);
		t[12] = 5 << 4;
		t[13] = flags;
		put16(t + 14, 65535);
	} else {
		put16(t + 4, (unsigned)(8 + len));
	}
	if (len)
		memcpy(t + l4, payload, len);
	return n;
}

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define RST 0x04

/* Writes one frame (see build_frame), 1 ms after the previous one. */
static void frame(struct cap *c, const struct ep *s, const struct ep *d, int proto, uint8_t flags,
                  uint32_t seq, uint32_t ack, const void *payload, size_t len)
{
	uint8_t b[4096];
	size_t n = build_frame(b, sizeof(b), s, d, proto, flags, seq, ack, payload, len);

	c->t_us += 1000;
	cb_epb(&c->b, 0, (uint64_t)c->t_us, b, (uint32_t)n, (uint32_t)n, 0);
}

static int64_t q_int(struct pd_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_msg(sqlite3_prepare_v2(pd_store_db(s), sql, -1, &st, NULL) == SQLITE_OK, "%s",
	              sql);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *q_text(struct pd_store *s, const char *sql)
{
	static char out[1024];
	sqlite3_stmt *st;

	out[0] = 0;
	ck_assert_msg(sqlite3_prepare_v2(pd_store_db(s), sql, -1, &st, NULL) == SQLITE_OK, "%s",
	              sql);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	else
		snprintf(out, sizeof(out), "(null)");
	sqlite3_finalize(st);
	return out;
}

static struct pd_store *open_db(const char *name)
{
	char path[128], err[PD_ERRBUF_SIZE];
	struct pd_store *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg(pd_store_open(path, false, &s, err) == PD_OK, "%s", err);
	return s;
}

static void ingest(struct pd_store *s, const char *path)
{
	struct pd_ingest_opts o;
	struct pd_ingest_result res;
	char err[PD_ERRBUF_SIZE];

	memset(&o, 0, sizeof(o));
	ck_assert_msg(pd_ingest_file(s, path, &o, &res, err) == PD_OK, "%s", err);
	ck_assert(!res.already);
}

static void on_done(void *arg, size_t i, enum pd_err e, const struct pd_ingest_result *res,
                    const char *errbuf)
{
	(void)arg;
	(void)i;
	(void)res;
	ck_assert_msg(e == PD_OK, "%s", errbuf);
}

/* ---- the scenario ---------------------------------------------------------------------- */

#define T0 (1700000000LL * 1000000)

static const struct ep cl = { 4, { 10, 4, 0, 2 }, 40000 }, rs = { 4, { 10, 4, 0, 53 }, 53 },
                       tls_c = { 4, { 10, 4, 0, 2 }, 40001 },
                       srv = { 4, { 93, 184, 216, 34 }, 443 },
                       nosni_c = { 4, { 10, 4, 0, 2 }, 40002 },
                       srv2 = { 4, { 93, 184, 216, 34 }, 8443 },
                       quiet_c = { 4, { 10, 4, 0, 2 }, 40003 },
                       quiet_s = { 4, { 10, 4, 0, 9 }, 5555 }, dt_c = { 4, { 10, 4, 0, 2 }, 40004 };

/* File A: a DNS answer for www.example.com, a TLS handshake with the first half of the
 * ClientHello, a connection to a non-service port with one client packet, and DNS over TCP
 * whose response is cut after its length prefix and 10 bytes. File B (100 ms later): the
 * ClientHello's second half, a connection without SNI, the quiet connection's server speaking
 * first, the rest of the DNS/TCP response. */
static void build_pair(const char *const *meta_a, const char *const *meta_b, int64_t gap_us,
                       char *a, char *b, size_t len)
{
	struct cap c;
	uint8_t m[512], ch[512], tcpdns[600];
	size_t n, h, half, dn;

	cap_open(&c, T0, meta_a);
	n = pd_test_dns_response(m, 7, "www.example.com");
	frame(&c, &rs, &cl, 17, 0, 0, 0, m, n);
	frame(&c, &tls_c, &srv, 6, SYN, 1000, 0, NULL, 0);
	frame(&c, &srv, &tls_c, 6, SYN | ACK, 5000, 1001, NULL, 0);
	frame(&c, &tls_c, &srv, 6, ACK, 1001, 5001, NULL, 0);
	h = pd_test_client_hello(ch, "www.example.com");
	half = h / 2;
	frame(&c, &tls_c, &srv, 6, ACK | PSH, 1001, 5001, ch, half);
	frame(&c, &quiet_c, &quiet_s, 6, SYN, 7000, 0, NULL, 0);
	frame(&c, &quiet_s, &quiet_c, 6, SYN | ACK, 9000, 7001, NULL, 0);
	frame(&c, &quiet_c, &quiet_s, 6, ACK, 7001, 9001, NULL, 0);
	frame(&c, &quiet_c, &quiet_s, 6, ACK | PSH, 7001, 9001, "hello", 5);
	frame(&c, &dt_c, &rs, 6, SYN, 3000, 0, NULL, 0);
	frame(&c, &rs, &dt_c, 6, SYN | ACK, 4000, 3001, NULL, 0);
	frame(&c, &dt_c, &rs, 6, ACK, 3001, 4001, NULL, 0);
	dn = pd_test_dns_response(tcpdns + 2, 9, "tcp.example.com");
	put16(tcpdns, (unsigned)dn);
	frame(&c, &rs, &dt_c, 6, ACK | PSH, 4001, 3001, tcpdns, 12);
	cap_close(&c, "a.pcapng", a, len);

	cap_open(&c, c.t_us + gap_us, meta_b);
	frame(&c, &tls_c, &srv, 6, ACK | PSH, 1001 + (uint32_t)half, 5001, ch + half, h - half);
	frame(&c, &srv, &tls_c, 6, ACK | PSH, 5001, 1001 + (uint32_t)h, "\x16\x03\x03\x00\x01\x02",
	      6);
	frame(&c, &nosni_c, &srv2, 6, SYN, 100, 0, NULL, 0);
	frame(&c, &srv2, &nosni_c, 6, SYN | ACK, 200, 101, NULL, 0);
	frame(&c, &nosni_c, &srv2, 6, ACK, 101, 201, NULL, 0);
	frame(&c, &nosni_c, &srv2, 6, ACK | PSH, 101, 201, "\x00\x01\x02\x03\x04\x05\x06", 7);
	frame(&c, &quiet_s, &quiet_c, 6, ACK | PSH, 9001, 7006, "world", 5);
	frame(&c, &quiet_c, &quiet_s, 6, ACK, 7006, 9006, NULL, 0);
	frame(&c, &rs, &dt_c, 6, ACK | PSH, 4013, 3001, tcpdns + 12, dn + 2 - 12);
	cap_close(&c, "b.pcapng", b, len);
}

#define FLOW_B(s, cond) q_int(s, "SELECT count(*) FROM flows WHERE capture_id = 2 AND " cond)

START_TEST(valid)
{
	char a[128], b[128];
	struct pd_store *s;

	build_pair(NULL, NULL, 100000, a, b, sizeof(a));
	s = open_db("seq.db");
	ingest(s, a);
	ingest(s, b);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures c JOIN captures p ON"
	                          " p.sha256 = c.session_prev WHERE c.id = 2 AND p.id = 1"),
	                 1);
	/* the ClientHello cut by the boundary parses whole: both segments named by their SNI */
	ck_assert_str_eq(q_text(s, "SELECT group_concat(capture_id || ':' || continued || ':' ||"
	                           " name || ':' || evidence, ' ') FROM flows WHERE"
	                           " server_port = 443 AND proto = 'tcp'"),
	                 "1:0:www.example.com:sni 2:1:www.example.com:sni");
	ck_assert_str_eq(
	        q_text(s, "SELECT sni FROM flows WHERE capture_id = 2 AND server_port = 443"),
	        "www.example.com");
	/* the first file's answer names the second file's connection as in one file */
	ck_assert_str_eq(q_text(s, "SELECT name || ':' || evidence || ':' || confidence FROM flows"
	                           " WHERE server_port = 8443"),
	                 "www.example.com:dns:high");
	/* the server speaking first after the boundary does not turn the connection around */
	ck_assert_int_eq(FLOW_B(s, "client_ip = '10.4.0.2' AND client_port = 40003 AND"
	                           " server_port = 5555 AND continued = 1 AND packets_out = 1 AND"
	                           " packets_in = 1 AND tcp_state = 'established'"),
	                 1);
	/* a DNS/TCP response cut by the boundary is one answer */
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers WHERE capture_id = 2 AND"
	                          " qname = 'tcp.example.com' AND rr_type = 'A'"),
	                 1);
	ck_assert_int_eq(q_int(s, "SELECT sum(continued) FROM flows"), 3);
	pd_store_close(s);

	/* not one session (another container): the second file stands alone */
	{
		static const char *const ma[] = { "container_id=aaa", NULL };
		static const char *const mb[] = { "container_id=bbb", NULL };

		build_pair(ma, mb, 100000, a, b, sizeof(a));
		s = open_db("apart.db");
		ingest(s, a);
		ingest(s, b);
		ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures WHERE session_prev IS NOT"
		                          " NULL"),
		                 0);
		ck_assert_int_eq(q_int(s, "SELECT sum(continued) FROM flows"), 0);
		/* standing alone, the midstream flow's sides come from its ports (subject.c):
		 * 40003, in the ephemeral range, is the client's, whoever spoke first */
		ck_assert_str_eq(q_text(s, "SELECT client_ip FROM flows WHERE capture_id = 2 AND"
		                           " 5555 IN (client_port, server_port)"),
		                 "10.4.0.2");
		pd_store_close(s);
	}
}
END_TEST

/* -j 2: the captures are parsed apart and linked on their rows when stored. */
START_TEST(parallel)
{
	char a[128], b[128];
	char *paths[2] = { a, b };
	struct pd_ingest_opts o;
	struct pd_store *s;

	build_pair(NULL, NULL, 100000, a, b, sizeof(a));
	s = open_db("j.db");
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(pd_ingest_batch(s, paths, 2, 2, &o, on_done, NULL), PD_OK);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures WHERE session_prev IS NOT NULL"),
	                 1);
	ck_assert_int_eq(FLOW_B(s, "client_ip = '10.4.0.2' AND client_port = 40003 AND"
	                           " server_port = 5555 AND continued = 1 AND packets_out = 1 AND"
	                           " packets_in = 1"),
	                 1);
	ck_assert_str_eq(q_text(s, "SELECT name || ':' || evidence || ':' || confidence FROM flows"
	                           " WHERE server_port = 8443"),
	                 "www.example.com:dns:high");
	ck_assert_int_eq(FLOW_B(s, "server_port = 443 AND continued = 1"), 1);
	/* the second file's carried rows took the first file's orientation for a third file */
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flow_carry WHERE capture_id = 2 AND"
	                          " client_port = 40003 AND server_port = 5555 AND (tcp & 7) = 7"),
	                 1);
	pd_store_close(s);
}
END_TEST

/* The same subject captured again later (not contiguous): its earlier answers still name
 * flows, with their own evidence and a lower confidence. */
START_TEST(earlier_capture)
{
	static const char *const meta[] = { "container_id=c0ffee", "host=h1", NULL };
	char a[128], b[128];
	struct pd_store *s;

	build_pair(meta, meta, 330LL * 1000000, a, b, sizeof(a));
	s = open_db("earlier.db");
	ingest(s, a);
	ingest(s, b);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures WHERE session_prev IS NOT NULL"),
	                 0);
	ck_assert_str_eq(q_text(s, "SELECT name || ':' || evidence || ':' || confidence FROM flows"
	                           " WHERE server_port = 8443"),
	                 "www.example.com:dns-earlier-capture:medium");
	pd_store_close(s);
}
END_TEST

/* A file cut in the middle of the first half still carries what it read. */
START_TEST(truncated)
{
	char a[128], b[128], err[PD_ERRBUF_SIZE];
	struct pd_ingest_opts o;
	struct pd_ingest_result res;
	struct pd_store *s;

	build_pair(NULL, NULL, 100000, a, b, sizeof(a));
	ck_assert_int_eq(truncate(a, 0), 0);
	s = open_db("cut.db");
	memset(&o, 0, sizeof(o));
	ck_assert_int_ne(pd_ingest_file(s, a, &o, &res, err), PD_OK); /* empty: not a capture */
	ingest(s, b);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures WHERE session_prev IS NOT NULL"),
	                 0);
	ck_assert_int_eq(q_int(s, "SELECT sum(continued) FROM flows"), 0);
	pd_store_close(s);
}
END_TEST

/* Carried rows and session links come from the database: a merged or hand-edited one may
 * hold anything (bytes written here by SQL, not by ingest). */
START_TEST(hostile)
{
	char a[128], b[128], err[PD_ERRBUF_SIZE];
	char *ses = NULL, *ea = NULL;
	struct pd_store *s;
	sqlite3 *db;

	build_pair(NULL, NULL, 100000, a, b, sizeof(a));
	s = open_db("hostile.db");
	db = pd_store_db(s);
	ingest(s, a);
	ck_assert_int_eq(
	        sqlite3_exec(
	                db,
	                "UPDATE flow_carry SET cs = zeroblob(1000000) WHERE server_port = 443;"
	                "INSERT INTO flow_carry (capture_id, proto, client_ip, client_port,"
	                " server_ip, server_port, last_ns, tcp, syn_seq_c, syn_seq_s, state, app,"
	                " mode, cs_seq, cs) VALUES (1, 'ip-999', 'x', -1, '::1', 70000, 0, 255,"
	                " -5, 1e30, 255, 255, 255, 'seq', x'00'),"
	                " (1, 'tcp', '10.4.0.2', 40002, '93.184.216.34', 8443, 0, 255, 0, 0,"
	                " 255, 255, 255, NULL, x'16030100')",
	                NULL, NULL, NULL),
	        SQLITE_OK);
	ingest(s, b);
	/* the oversized buffer was not taken: no name from it, and nothing crashed */
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows WHERE capture_id = 2"), 4);
	ck_assert_int_eq(FLOW_B(s, "server_port = 443 AND continued = 1 AND sni IS NULL"), 1);
	/* a session cycle ends the walk */
	ck_assert_int_eq(sqlite3_exec(db,
	                              "UPDATE captures SET session_prev = (SELECT sha256 FROM"
	                              " captures WHERE id = 2) WHERE id = 1",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(pd_session_answer_scope(db, 2, &ses, &ea, err), PD_OK);
	ck_assert_str_eq(ses, "[2,1]");
	ck_assert_ptr_null(ea);
	free(ses);
	free(ea);
	ck_assert_int_eq(pd_session_attribute(db, 2, NULL, err), PD_OK);
	pd_store_close(s);
}
END_TEST

START_TEST(reverse)
{
	struct pd_flow f;

	memset(&f, 0, sizeof(f));
	f.cli.family = f.srv.family = 4;
	f.cli.a[0] = 1;
	f.srv.a[0] = 2;
	f.cport = 5555;
	f.sport = 40003;
	f.packets[0] = 1;
	f.bytes[0] = 45;
	f.syn_seq[0] = 9;
	f.tcp = PD_FLOW_TCP_FIN_C | PD_FLOW_TCP_RST;
	pd_flow_reverse(&f);
	ck_assert_int_eq(f.cli.a[0], 2);
	ck_assert_int_eq(f.srv.a[0], 1);
	ck_assert_int_eq(f.cport, 40003);
	ck_assert_int_eq(f.sport, 5555);
	ck_assert_int_eq(f.packets[1], 1);
	ck_assert_int_eq(f.packets[0], 0);
	ck_assert_int_eq(f.bytes[1], 45);
	ck_assert_int_eq(f.syn_seq[1], 9);
	ck_assert_int_eq(f.tcp, PD_FLOW_TCP_FIN_S | PD_FLOW_TCP_RST | PD_FLOW_TCP_RST_SRV);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("session");
	TCase *t = tcase_create("session");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, valid);
	tcase_add_test(t, parallel);
	tcase_add_test(t, earlier_capture);
	tcase_add_test(t, truncated);
	tcase_add_test(t, hostile);
	tcase_add_test(t, reverse);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
