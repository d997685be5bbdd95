/*
 * test_ingest.c - a capture into the database end to end. Every capture here is built by this
 * file with libpcap's pcap_dump: Ethernet + IPv4/IPv6 + TCP/UDP packets assembled below
 * (a DNS response with a CNAME chain given out of order, a TCP handshake whose TLS
 * ClientHello arrives in two segments in reverse order, DNS over TCP with two messages split
 * across segments, an HTTP request), then the rows are checked with SQL.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <pcap/pcap.h>

#include "ingest.h"
#include "store.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ingest-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* ---- building packets ------------------------------------------------------------------ */

struct cap {
	pcap_t *p;
	pcap_dumper_t *d;
	int64_t t_us;
};

static void cap_open(struct cap *c, const char *path)
{
	c->p = pcap_open_dead(DLT_EN10MB, 65535);
	ck_assert_ptr_nonnull(c->p);
	c->d = pcap_dump_open(c->p, path);
	ck_assert_ptr_nonnull(c->d);
	c->t_us = 1700000000LL * 1000000;
}

static void cap_close(struct cap *c)
{
	pcap_dump_close(c->d);
	pcap_close(c->p);
}

struct ep {
	int fam;
	uint8_t a[16];
	uint16_t port;
};

static struct ep ep(const char *addr, uint16_t port)
{
	struct ep e;

	memset(&e, 0, sizeof(e));
	e.port = port;
	if (inet_pton(AF_INET, addr, e.a) == 1) {
		e.fam = 4;
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, e.a), 1);
		e.fam = 6;
	}
	return e;
}

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

/* Writes one frame (see build_frame), 1 ms after the previous one. */
static void frame(struct cap *c, const struct ep *s, const struct ep *d, int proto, uint8_t flags,
                  uint32_t seq, uint32_t ack, const void *payload, size_t len)
{
	uint8_t b[4096];
	size_t n = build_frame(b, sizeof(b), s, d, proto, flags, seq, ack, payload, len);
	struct pcap_pkthdr h;

	c->t_us += 1000;
	h.ts.tv_sec = c->t_us / 1000000;
	h.ts.tv_usec = c->t_us % 1000000;
	h.caplen = h.len = (bpf_u_int32)n;
	pcap_dump((u_char *)c->d, &h, b);
}

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define RST 0x04

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

static enum pd_err ingest(struct pd_store *s, const char *path, struct pd_ingest_result *res,
                          char *err)
{
	struct pd_ingest_opts o;

	memset(&o, 0, sizeof(o));
	return pd_ingest_file(s, path, &o, res, err);
}

/* The main scenario: DNS over UDP, then TLS over TCP with a reordered ClientHello, an IPv6
 * HTTP request, a refused connection. */
static void build_main(const char *path)
{
	struct cap c;
	struct ep cl = ep("10.4.0.2", 40000), rs = ep("10.4.0.53", 53);
	struct ep cl2 = ep("10.4.0.2", 40001), srv = ep("93.184.216.34", 443);
	struct ep c6 = ep("fd00:4::2", 40002), s6 = ep("fd00:4::80", 80);
	struct ep cl3 = ep("10.4.0.2", 40003), s3 = ep("10.4.0.9", 22);
	uint8_t m[512], ch[512];
	size_t n;
	const char *http = "GET / HTTP/1.1\r\nHost: Web.Example.ORG:8080\r\nAccept: */*\r\n\r\n";

	cap_open(&c, path);
	/* DNS query and response */
	memset(m, 0, 12);
	put16(m, 0x1234);
	put16(m + 2, 0x0100);
	put16(m + 4, 1);
	n = 12 + pd_test_dname(m + 12, "www.example.com");
	put16(m + n, 1);
	put16(m + n + 2, 1);
	frame(&c, &cl, &rs, 17, 0, 0, 0, m, n + 4);
	n = pd_test_dns_response(m, 0x1234, "www.example.com");
	frame(&c, &rs, &cl, 17, 0, 0, 0, m, n);
	/* TCP handshake, ClientHello split in two segments sent in reverse order */
	frame(&c, &cl2, &srv, 6, SYN, 1000, 0, NULL, 0);
	frame(&c, &srv, &cl2, 6, SYN | ACK, 5000, 1001, NULL, 0);
	frame(&c, &cl2, &srv, 6, ACK, 1001, 5001, NULL, 0);
	n = pd_test_client_hello(ch, "www.example.com");
	frame(&c, &cl2, &srv, 6, ACK | PSH, 1001 + 40, 5001, ch + 40, n - 40);
	frame(&c, &cl2, &srv, 6, ACK | PSH, 1001, 5001, ch, 40);
	frame(&c, &srv, &cl2, 6, ACK | PSH, 5001, 1001 + (uint32_t)n, "server-hello-bytes", 18);
	/* HTTP over IPv6, no handshake seen (midstream) */
	frame(&c, &c6, &s6, 6, ACK | PSH, 77, 1, http, strlen(http));
	/* refused */
	frame(&c, &cl3, &s3, 6, SYN, 1, 0, NULL, 0);
	frame(&c, &s3, &cl3, 6, RST | ACK, 0, 2, NULL, 0);
	cap_close(&c);
}

/* A proxied connection: CONNECT, then the tunnelled ClientHello in the same client stream
 * (the proxy's "200 Connection established" comes between); both names are kept. Bytes as
 * curl --proxy sends them (RFC 9110 9.3.6), regression for the e2e evidence test. */
START_TEST(connect_tunnel)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("t.db");
	struct pd_ingest_result res;
	struct ep cl = ep("10.4.0.2", 41000), px = ep("10.4.0.1", 3128);
	const char *req = "CONNECT a.ev.test:443 HTTP/1.1\r\nHost: a.ev.test:443\r\n"
	                  "User-Agent: curl/7.88.1\r\n\r\n";
	const char *ok = "HTTP/1.1 200 Connection established\r\n\r\n";
	uint8_t ch[512];
	size_t n = pd_test_client_hello(ch, "a.ev.test");
	uint32_t rl = (uint32_t)strlen(req);
	struct cap c;

	snprintf(path, sizeof(path), "%s/connect.pcap", dir);
	cap_open(&c, path);
	frame(&c, &cl, &px, 6, SYN, 100, 0, NULL, 0);
	frame(&c, &px, &cl, 6, SYN | ACK, 900, 101, NULL, 0);
	frame(&c, &cl, &px, 6, ACK, 101, 901, NULL, 0);
	frame(&c, &cl, &px, 6, ACK | PSH, 101, 901, req, rl);
	frame(&c, &px, &cl, 6, ACK | PSH, 901, 101 + rl, ok, strlen(ok));
	frame(&c, &cl, &px, 6, ACK | PSH, 101 + rl, 901 + (uint32_t)strlen(ok), ch, n);
	cap_close(&c);
	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	/* the row is the destination (port 443), the proxy is via */
	ck_assert_str_eq(q_text(s, "SELECT app_proto||' '||http_connect||' '||sni||' '||alpn||' '||"
	                           "server_ip||' '||proxy||' '||proxy_target||' '||via_ip||':'||"
	                           "via_port||' '||name||' '||evidence FROM flows WHERE "
	                           "server_port=443"),
	                 "http a.ev.test a.ev.test h2 10.4.0.1 http-connect a.ev.test "
	                 "10.4.0.1:3128 a.ev.test sni");
	pd_store_close(s);
}
END_TEST

/* SOCKS5 (RFC 1928) by name and SOCKS4 by address, each followed by the tunnelled bytes in
 * the same client stream (the proxy's replies come between, as curl --socks5-hostname and
 * a SOCKS4 client send them): the row is the destination, the proxy is via; a SOCKS5 target
 * that disagrees with the SNI inside is named by the target, the SNI a candidate, and a
 * proxy-mismatch finding says both. */
START_TEST(socks_tunnel)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("socks.db");
	struct pd_ingest_result res;
	struct ep cl = ep("10.5.0.2", 42000), cl2 = ep("10.5.0.2", 42001),
	          px = ep("10.5.0.1", 1080);
	static const uint8_t greet[] = { 5, 1, 0 }, choice[] = { 5, 0 };
	static const uint8_t req5[] = { 5,   1,   0,   3,   9,   'a', '.', 'e',
		                        'v', '.', 't', 'e', 's', 't', 1,   0xbb };
	static const uint8_t rep5[] = { 5, 0, 0, 1, 10, 5, 0, 1, 0x10, 0x00 };
	static const uint8_t req4[] = { 4, 1, 0, 80, 192, 0, 2, 7, 'u', 0 };
	static const uint8_t rep4[] = { 0, 90, 0, 0, 0, 0, 0, 0 };
	const char *get = "GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
	uint8_t ch[512];
	size_t n = pd_test_client_hello(ch, "evil.attacker.test");
	uint32_t cs = 101, ss = 901;
	struct cap c;

	snprintf(path, sizeof(path), "%s/socks.pcap", dir);
	cap_open(&c, path);
	frame(&c, &cl, &px, 6, SYN, 100, 0, NULL, 0);
	frame(&c, &px, &cl, 6, SYN | ACK, 900, 101, NULL, 0);
	frame(&c, &cl, &px, 6, ACK, 101, 901, NULL, 0);
	frame(&c, &cl, &px, 6, ACK | PSH, cs, ss, greet, sizeof(greet));
	cs += sizeof(greet);
	frame(&c, &px, &cl, 6, ACK | PSH, ss, cs, choice, sizeof(choice));
	ss += sizeof(choice);
	frame(&c, &cl, &px, 6, ACK | PSH, cs, ss, req5, sizeof(req5));
	cs += sizeof(req5);
	frame(&c, &px, &cl, 6, ACK | PSH, ss, cs, rep5, sizeof(rep5));
	ss += sizeof(rep5);
	frame(&c, &cl, &px, 6, ACK | PSH, cs, ss, ch, n);
	cs = 101;
	ss = 901;
	frame(&c, &cl2, &px, 6, SYN, 100, 0, NULL, 0);
	frame(&c, &px, &cl2, 6, SYN | ACK, 900, 101, NULL, 0);
	frame(&c, &cl2, &px, 6, ACK, 101, 901, NULL, 0);
	frame(&c, &cl2, &px, 6, ACK | PSH, cs, ss, req4, sizeof(req4));
	cs += sizeof(req4);
	frame(&c, &px, &cl2, 6, ACK | PSH, ss, cs, rep4, sizeof(rep4));
	ss += sizeof(rep4);
	frame(&c, &cl2, &px, 6, ACK | PSH, cs, ss, get, strlen(get));
	cap_close(&c);
	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert_str_eq(
	        q_text(s, "SELECT app_proto||' '||server_ip||':'||server_port||' '||proxy||' '||"
	                  "proxy_target||' '||via_ip||':'||via_port||' '||name||' '||"
	                  "evidence||' '||candidates||' '||sni FROM flows WHERE "
	                  "client_port=42000"),
	        "tls 10.5.0.1:443 socks5 a.ev.test 10.5.0.1:1080 a.ev.test socks "
	        "a.ev.test|evil.attacker.test evil.attacker.test");
	ck_assert_str_eq(
	        q_text(s, "SELECT app_proto||' '||server_ip||':'||server_port||' '||proxy||' '||"
	                  "proxy_target||' '||via_ip||':'||via_port||' '||name||' '||"
	                  "evidence FROM flows WHERE client_port=42001"),
	        "http 192.0.2.7:80 socks4 192.0.2.7 10.5.0.1:1080 www.example.com "
	        "http-host");
	ck_assert_str_eq(q_text(s, "SELECT kind||' '||subject FROM findings WHERE "
	                           "kind='proxy-mismatch'"),
	                 "proxy-mismatch a.ev.test");
	ck_assert_str_eq(q_text(s, "SELECT n FROM counters WHERE kind='socks' AND what='request'"),
	                 "2");
	pd_store_close(s);
}
END_TEST

START_TEST(valid)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("v.db");
	struct pd_ingest_result res;

	snprintf(path, sizeof(path), "%s/main.pcap", dir);
	build_main(path);
	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert(!res.already);
	ck_assert(!res.cut);
	ck_assert_uint_eq(res.packets, 11);
	ck_assert_uint_eq(res.flows, 4);

	/* capture row */
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 1);
	ck_assert_str_eq(q_text(s, "SELECT format || '/' || link_types FROM captures"),
	                 "pcap/ether");
	ck_assert_int_eq(q_int(s, "SELECT packets FROM captures"), 11);
	ck_assert_int_eq(q_int(s, "SELECT length(sha256) FROM captures"), 64);
	ck_assert_int_eq(q_int(s, "SELECT size FROM captures"), q_int(s, "SELECT size FROM "
	                                                                 "captures"));
	ck_assert_int_eq(q_int(s, "SELECT cut_at IS NULL AND drops IS NULL FROM captures"), 1);
	ck_assert_int_eq(q_int(s, "SELECT last_ns - first_ns FROM captures"), 10 * 1000000LL);
	ck_assert_str_eq(q_text(s, "SELECT idx||' '||link_type||' '||snaplen FROM interfaces"),
	                 "0 ether 65535");

	/* DNS rows: A with its CNAME chain, and the CNAME */
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers"), 2);
	ck_assert_str_eq(q_text(s, "SELECT client_ip||' '||resolver_ip||' '||resolver_port||' '||"
	                           "transport||' '||qname||' '||qtype||' '||rcode FROM dns_answers "
	                           "WHERE rr_type='A'"),
	                 "10.4.0.2 10.4.0.53 53 udp www.example.com A NOERROR");
	ck_assert_str_eq(q_text(s, "SELECT answer||' '||ttl||' '||chain FROM dns_answers WHERE "
	                           "rr_type='A'"),
	                 "93.184.216.34 300 www.example.com>cdn.example.net");
	ck_assert_str_eq(q_text(s, "SELECT rr_name||'>'||answer FROM dns_answers WHERE "
	                           "rr_type='CNAME'"),
	                 "www.example.com>cdn.example.net");

	/* TLS flow */
	ck_assert_str_eq(q_text(s,
	                        "SELECT client_ip||':'||client_port||' '||server_ip||':'||"
	                        "server_port||' '||tcp_state||' '||app_proto||' '||sni||' '||alpn||"
	                        "' '||ech FROM flows WHERE server_port=443"),
	                 "10.4.0.2:40001 93.184.216.34:443 established tls www.example.com h2 0");
	{
		uint8_t ch[512];
		size_t n = pd_test_client_hello(ch, "www.example.com");
		char want[64];

		/* out: SYN, ACK (40 each), two segments (40 + their bytes); in: SYN-ACK, data */
		snprintf(want, sizeof(want), "4 2 %zu %d", 160 + n, 40 + 40 + 18);
		ck_assert_str_eq(q_text(s,
		                        "SELECT packets_out||' '||packets_in||' '||bytes_out||' '||"
		                        "bytes_in FROM flows WHERE server_port=443"),
		                 want);
	}
	/* HTTP over IPv6, midstream */
	ck_assert_str_eq(q_text(s, "SELECT client_ip||' '||server_ip||' '||tcp_state||' '||"
	                           "app_proto||' '||http_host FROM flows WHERE server_port=80"),
	                 "fd00:4::2 fd00:4::80 midstream http web.example.org");
	ck_assert_str_eq(q_text(s, "SELECT tcp_state FROM flows WHERE server_port=22"), "refused");
	ck_assert_str_eq(q_text(s, "SELECT proto||' '||app_proto||' '||client_port FROM flows "
	                           "WHERE server_port=53"),
	                 "udp dns 40000");
	/* counters */
	ck_assert_int_eq(q_int(s, "SELECT n FROM counters WHERE kind='frame' AND what='seen'"), 11);
	ck_assert_int_eq(q_int(s, "SELECT n FROM counters WHERE kind='tls' AND "
	                          "what='client_hello'"),
	                 1);
	ck_assert_int_eq(q_int(s, "SELECT n FROM counters WHERE kind='dns' AND "
	                          "what='responses'"),
	                 1);
	pd_store_close(s);
}
END_TEST

/* DNS over TCP: two length-prefixed responses, the first split across two segments and the
 * second sharing a segment with the first's tail (RFC 1035 4.2.2, RFC 7766 6.2.1). */
START_TEST(dns_tcp)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("t.db");
	struct pd_ingest_result res;
	struct cap c;
	struct ep cl = ep("10.4.0.2", 41000), rs = ep("10.4.0.53", 53);
	uint8_t m1[512], m2[512], stream[1200];
	size_t n1, n2, n = 0, cut;

	snprintf(path, sizeof(path), "%s/dnstcp.pcap", dir);
	n1 = pd_test_dns_response(m1, 1, "www.example.com");
	n2 = pd_test_dns_response(m2, 2, "api.example.com");
	put16(stream, (unsigned)n1);
	memcpy(stream + 2, m1, n1);
	n = 2 + n1;
	put16(stream + n, (unsigned)n2);
	memcpy(stream + n + 2, m2, n2);
	n += 2 + n2;
	cut = 20;
	cap_open(&c, path);
	frame(&c, &cl, &rs, 6, SYN, 7000, 0, NULL, 0);
	frame(&c, &rs, &cl, 6, SYN | ACK, 9000, 7001, NULL, 0);
	frame(&c, &cl, &rs, 6, ACK, 7001, 9001, NULL, 0);
	frame(&c, &cl, &rs, 6, ACK | PSH, 7001, 9001, "\x00\x05query", 7);
	frame(&c, &rs, &cl, 6, ACK | PSH, 9001, 7008, stream, cut);
	frame(&c, &rs, &cl, 6, ACK | PSH, 9001 + (uint32_t)cut, 7008, stream + cut, n - cut);
	/* a retransmission of the tail changes nothing */
	frame(&c, &rs, &cl, 6, ACK | PSH, 9001 + (uint32_t)cut, 7008, stream + cut, n - cut);
	cap_close(&c);

	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers WHERE transport='tcp'"), 4);
	ck_assert_str_eq(q_text(s, "SELECT group_concat(qname||'='||answer, ',') FROM "
	                           "(SELECT * FROM dns_answers WHERE rr_type='A' ORDER BY qname)"),
	                 "api.example.com=93.184.216.34,www.example.com=93.184.216.34");
	ck_assert_str_eq(q_text(s, "SELECT chain FROM dns_answers WHERE rr_type='A' AND "
	                           "qname='api.example.com'"),
	                 "api.example.com>cdn.example.net");
	ck_assert_str_eq(q_text(s, "SELECT app_proto||' '||tcp_state FROM flows"),
	                 "dns established");
	pd_store_close(s);
}
END_TEST

START_TEST(idempotent)
{
	char p1[128], p2[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("i.db");
	struct pd_ingest_result res;
	struct cap c;
	struct ep a = ep("10.4.0.2", 42000), b = ep("10.4.0.3", 9999);
	int64_t id;

	snprintf(p1, sizeof(p1), "%s/one.pcap", dir);
	snprintf(p2, sizeof(p2), "%s/two.pcap", dir);
	build_main(p1);
	cap_open(&c, p2);
	frame(&c, &a, &b, 17, 0, 0, 0, "hello", 5);
	cap_close(&c);

	ck_assert_msg(ingest(s, p1, &res, err) == PD_OK, "%s", err);
	id = res.capture_id;
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows"), 4);
	/* the same file again: a no-op reporting the existing capture */
	ck_assert_msg(ingest(s, p1, &res, err) == PD_OK, "%s", err);
	ck_assert(res.already);
	ck_assert_int_eq(res.capture_id, id);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 1);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows"), 4);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers"), 2);
	/* a second capture in the same database */
	ck_assert_msg(ingest(s, p2, &res, err) == PD_OK, "%s", err);
	ck_assert(!res.already);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 2);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows"), 5);
	ck_assert_int_eq(q_int(s, "SELECT count(DISTINCT capture_id) FROM flows"), 2);
	/* deleting a capture cascades to its rows */
	ck_assert_int_eq(pd_store_exec(s, "DELETE FROM captures WHERE id=1", "deleting", err),
	                 PD_OK);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows"), 1);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers"), 0);
	pd_store_close(s);
}
END_TEST

START_TEST(truncated)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("c.db");
	struct pd_ingest_result res;
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/cut.pcap", dir);
	build_main(path);
	/* cut the file in the middle of the last record (the RST) */
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	ck_assert_int_eq(truncate(path, size - 20), 0);
	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert(res.cut);
	ck_assert_uint_eq(res.packets, 10);
	ck_assert_ptr_nonnull(strstr(res.cut_msg, "cut.pcap"));
	ck_assert_int_eq(q_int(s, "SELECT cut_at IS NOT NULL AND error IS NOT NULL FROM captures"),
	                 1);
	ck_assert_int_eq(q_int(s, "SELECT packets FROM captures"), 10);
	/* rows from before the cut are in */
	ck_assert_str_eq(q_text(s, "SELECT sni FROM flows WHERE server_port=443"),
	                 "www.example.com");
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers"), 2);
	ck_assert_str_eq(q_text(s, "SELECT tcp_state FROM flows WHERE server_port=22"), "syn-only");
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM findings WHERE kind='truncated-capture'"),
	                 1);
	pd_store_close(s);
}
END_TEST

static void *release_later(void *arg)
{
	sqlite3 *other = arg;

	usleep(1500000);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	return NULL;
}

/* A writer holding the lock makes an ingest wait (queued, issue 18), not fail after 5 s. */
START_TEST(locked)
{
	char path[128], dbp[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("l.db");
	struct pd_ingest_result res;
	struct timespec t0, t1;
	pthread_t th;
	sqlite3 *other;

	snprintf(path, sizeof(path), "%s/main.pcap", dir);
	snprintf(dbp, sizeof(dbp), "%s/l.db", dir);
	build_main(path);
	ck_assert_int_eq(sqlite3_open(dbp, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, other), 0);
	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	sqlite3_close(other);
	ck_assert_int_ge(t1.tv_sec - t0.tv_sec, 1); /* it did wait for the holder */
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 1);
	pd_store_close(s);
}
END_TEST

/* Encrypted-DNS indicators (DoT tcp/853, DoQ udp/853, DoH by resolver name and address) and
 * ECH become app_proto values and findings. */
START_TEST(encrypted_dns)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("e.db");
	struct pd_ingest_result res;
	struct cap c;
	struct ep cl = ep("10.4.0.2", 45000), cf = ep("1.1.1.1", 443);
	struct ep cl2 = ep("10.4.0.2", 45001), q9 = ep("9.9.9.9", 853);
	struct ep cl3 = ep("10.4.0.2", 45002), g8 = ep("8.8.8.8", 853);
	struct ep cl4 = ep("10.4.0.2", 45003), web = ep("10.4.0.8", 443);
	struct ep cl5 = ep("2001:db8::2", 45004), g6 = ep("2001:4860:4860::8888", 443);
	uint8_t ch[512];
	size_t n;

	snprintf(path, sizeof(path), "%s/encdns.pcap", dir);
	cap_open(&c, path);
	/* DoH: TLS to 1.1.1.1 naming cloudflare-dns.com */
	frame(&c, &cl, &cf, 6, SYN, 10, 0, NULL, 0);
	frame(&c, &cf, &cl, 6, SYN | ACK, 20, 11, NULL, 0);
	n = pd_test_client_hello(ch, "cloudflare-dns.com");
	frame(&c, &cl, &cf, 6, ACK | PSH, 11, 21, ch, n);
	/* DoT */
	frame(&c, &cl2, &q9, 6, SYN, 10, 0, NULL, 0);
	frame(&c, &q9, &cl2, 6, SYN | ACK, 20, 11, NULL, 0);
	/* DoQ: an answered UDP exchange on 853 */
	frame(&c, &cl3, &g8, 17, 0, 0, 0, "quic?", 5);
	frame(&c, &g8, &cl3, 17, 0, 0, 0, "quic!", 5);
	/* ECH to an ordinary server */
	n = pd_test_client_hello_ech(ch, "public.example.net", 1);
	frame(&c, &cl4, &web, 6, SYN, 10, 0, NULL, 0);
	frame(&c, &cl4, &web, 6, ACK | PSH, 11, 1, ch, n);
	/* DoH by address only: a completed TCP handshake to Google's IPv6 resolver on 443 */
	frame(&c, &cl5, &g6, 6, SYN, 10, 0, NULL, 0);
	frame(&c, &g6, &cl5, 6, SYN | ACK, 20, 11, NULL, 0);
	frame(&c, &cl5, &g6, 6, ACK, 11, 21, NULL, 0);
	cap_close(&c);

	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert_str_eq(
	        q_text(s, "SELECT app_proto||' '||sni FROM flows WHERE server_ip='1.1.1.1'"),
	        "doh cloudflare-dns.com");
	ck_assert_str_eq(q_text(s, "SELECT app_proto FROM flows WHERE server_ip='9.9.9.9'"), "dot");
	ck_assert_str_eq(q_text(s, "SELECT app_proto FROM flows WHERE server_ip='8.8.8.8'"), "doq");
	ck_assert_str_eq(q_text(s, "SELECT app_proto FROM flows WHERE server_ip LIKE '2001:4860%'"),
	                 "doh");
	ck_assert_str_eq(q_text(s, "SELECT app_proto||' '||ech||' '||sni FROM flows WHERE "
	                           "server_ip='10.4.0.8'"),
	                 "tls 1 public.example.net");
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM findings WHERE kind='encrypted-dns'"), 4);
	ck_assert_int_eq(q_int(s,
	                       "SELECT count(*) FROM findings WHERE kind='encrypted-dns' AND "
	                       "severity='warning' AND subject='9.9.9.9' AND detail LIKE '%TLS%'"),
	                 1);
	ck_assert_str_eq(q_text(s, "SELECT subject FROM findings WHERE kind='ech'"),
	                 "public.example.net");
	pd_store_close(s);
}
END_TEST

/* A full disk (simulated with SQLite's max_page_count, which fails exactly like a full disk:
 * SQLITE_FULL) mid-capture: a clear error and the database unchanged. */
START_TEST(disk_full)
{
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("full.db");
	struct pd_ingest_result res;
	int64_t pages;
	char sql[64];

	struct cap c;
	struct ep a = ep("10.4.0.2", 0), b = ep("10.4.0.3", 9999);
	unsigned i;

	/* enough flows that their rows need new pages */
	snprintf(path, sizeof(path), "%s/many.pcap", dir);
	cap_open(&c, path);
	for (i = 0; i < 3000; i++) {
		a.port = (uint16_t)(20000 + i);
		frame(&c, &a, &b, 17, 0, 0, 0, "x", 1);
	}
	cap_close(&c);
	pages = q_int(s, "PRAGMA page_count");
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages);
	ck_assert_int_eq(pd_store_exec(s, sql, "limiting", err), PD_OK);
	ck_assert_int_eq(ingest(s, path, &res, err), PD_ERR_DB);
	ck_assert_msg(strstr(err, "disk full") != NULL, "%s", err);
	ck_assert_ptr_nonnull(strstr(err, "full.db"));
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 0);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows"), 0);
	ck_assert_int_eq(q_int(s, "PRAGMA page_count"), pages);
	pd_store_close(s);
}
END_TEST

START_TEST(hostile)
{
	/* hostile evidence built here: a DNS response whose answer name is a compression pointer
	 * to itself (RFC 1035 4.1.4 loop), a TLS ClientHello whose middle segment never arrives,
	 * TLS-looking garbage, and a file that is not a capture */
	char path[128], junk[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("h.db");
	struct pd_ingest_result res;
	struct cap c;
	struct ep cl = ep("10.4.0.2", 43000), rs = ep("10.4.0.53", 53);
	struct ep cl2 = ep("10.4.0.2", 43001), srv = ep("10.4.0.7", 443);
	struct ep cl3 = ep("10.4.0.2", 43002);
	uint8_t m[64], ch[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/hostile.pcap", dir);
	memset(m, 0, sizeof(m));
	put16(m, 7);
	put16(m + 2, 0x8180);
	put16(m + 4, 1);
	put16(m + 6, 1);
	n = 12 + pd_test_dname(m + 12, "loop.example");
	put16(m + n, 1);
	put16(m + n + 2, 1);
	n += 4;
	put16(m + n, 0xc000 | (unsigned)n); /* pointer to itself */
	put16(m + n + 2, 1);
	put16(m + n + 4, 1);
	put32(m + n + 6, 60);
	put16(m + n + 10, 4);
	memcpy(m + n + 12, "\x01\x02\x03\x04", 4);
	n += 16;
	cap_open(&c, path);
	frame(&c, &rs, &cl, 17, 0, 0, 0, m, n);
	/* ClientHello in three segments, the middle one missing: no SNI may be reported */
	n = pd_test_client_hello(ch, "secret.example.com");
	frame(&c, &cl2, &srv, 6, SYN, 100, 0, NULL, 0);
	frame(&c, &cl2, &srv, 6, ACK | PSH, 101, 1, ch, 30);
	frame(&c, &cl2, &srv, 6, ACK | PSH, 101 + 60, 1, ch + 60, n - 60);
	/* a handshake record header announcing 16 KB then garbage */
	frame(&c, &cl3, &srv, 6, ACK | PSH, 1, 1, "\x16\x03\x01\x40\x00\x01\xff\xff\xff", 9);
	cap_close(&c);

	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM flows WHERE sni IS NOT NULL"), 0);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers WHERE answer='1.2.3.4'"), 0);
	ck_assert_int_ge(q_int(s, "SELECT n FROM counters WHERE kind='dns' AND what='malformed'"),
	                 1);

	/* not a capture: an error naming the file, nothing stored */
	snprintf(junk, sizeof(junk), "%s/junk.pcap", dir);
	f = fopen(junk, "wb");
	fputs("this is not a capture file at all, just some text to read\n", f);
	fclose(f);
	ck_assert_int_eq(ingest(s, junk, &res, err), PD_ERR_FORMAT);
	ck_assert_ptr_nonnull(strstr(err, "junk.pcap"));
	snprintf(junk, sizeof(junk), "%s/missing.pcap", dir);
	ck_assert_int_eq(ingest(s, junk, &res, err), PD_ERR_IO);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 1);
	pd_store_close(s);
}
END_TEST

/* ---- a pcapng file written by hand (draft-ietf-opsawg-pcapng), little endian ---------- */

struct ng {
	uint8_t b[8192];
	size_t n;
};

static void ng_u16(struct ng *g, unsigned v)
{
	g->b[g->n++] = (uint8_t)v;
	g->b[g->n++] = (uint8_t)(v >> 8);
}

static void ng_u32(struct ng *g, uint32_t v)
{
	ng_u16(g, v & 0xffff);
	ng_u16(g, v >> 16);
}

static void ng_opt(struct ng *g, unsigned code, const void *v, size_t len)
{
	ng_u16(g, code);
	ng_u16(g, (unsigned)len);
	memcpy(g->b + g->n, v, len);
	g->n += len;
	while (g->n % 4)
		g->b[g->n++] = 0;
}

static size_t ng_begin(struct ng *g, uint32_t type)
{
	size_t start = g->n;

	ng_u32(g, type);
	ng_u32(g, 0); /* total length, patched by ng_end */
	return start;
}

static void ng_end(struct ng *g, size_t start)
{
	uint32_t len = (uint32_t)(g->n - start + 4);

	ng_u32(g, len);
	g->b[start + 4] = (uint8_t)len;
	g->b[start + 5] = (uint8_t)(len >> 8);
	g->b[start + 6] = (uint8_t)(len >> 16);
	g->b[start + 7] = (uint8_t)(len >> 24);
}

/* The container metadata of pcapdomains-capture lands in the capture row; interfaces with
 * their statistics in interfaces; drops summed and reported. */
START_TEST(pcapng_meta)
{
	static const char *const meta[] = {
		"pcapdomains.runtime=docker",     "pcapdomains.container_id=abc123def456",
		"pcapdomains.container_name=web", "pcapdomains.image=nginx:1.25",
		"pcapdomains.pid=4242",           "pcapdomains.netns_inode=4026532000",
		"pcapdomains.host=builder-7",     "pcapdomains.filter=not port 22",
	};
	char path[128], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("ng.db");
	struct pd_ingest_result res;
	struct ep cl = ep("10.4.0.2", 40000), rs = ep("10.4.0.53", 53);
	struct ng *g = calloc(1, sizeof(*g));
	uint8_t fr[512], m[512];
	size_t blk, n, fl, i;
	uint64_t v;
	FILE *f;

	blk = ng_begin(g, 0x0A0D0D0A);
	ng_u32(g, 0x1A2B3C4D);
	ng_u16(g, 1);
	ng_u16(g, 0);
	ng_u32(g, 0xffffffff);
	ng_u32(g, 0xffffffff);
	for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
		ng_opt(g, 1, meta[i], strlen(meta[i]));
	ng_opt(g, 1, "recorded for the test", 21);
	ng_opt(g, 4, "pcapdomains-capture 0.1.0", 25);
	ng_opt(g, 0, "", 0);
	ng_end(g, blk);
	blk = ng_begin(g, 1); /* interface: Ethernet, eth0 */
	ng_u16(g, 1);
	ng_u16(g, 0);
	ng_u32(g, 262144);
	ng_opt(g, 2, "eth0", 4);
	ng_opt(g, 0, "", 0);
	ng_end(g, blk);
	n = pd_test_dns_response(m, 9, "www.example.com");
	fl = build_frame(fr, sizeof(fr), &rs, &cl, 17, 0, 0, 0, m, n);
	blk = ng_begin(g, 6); /* enhanced packet, microseconds */
	ng_u32(g, 0);
	v = 1700000000ull * 1000000;
	ng_u32(g, (uint32_t)(v >> 32));
	ng_u32(g, (uint32_t)v);
	ng_u32(g, (uint32_t)fl);
	ng_u32(g, (uint32_t)fl);
	memcpy(g->b + g->n, fr, fl);
	g->n += fl;
	while (g->n % 4)
		g->b[g->n++] = 0;
	ng_end(g, blk);
	blk = ng_begin(g, 5); /* interface statistics: 10 received, 3 dropped */
	ng_u32(g, 0);
	ng_u32(g, (uint32_t)(v >> 32));
	ng_u32(g, (uint32_t)v);
	ng_opt(g, 4, "\x0a\0\0\0\0\0\0\0", 8);
	ng_opt(g, 5, "\x03\0\0\0\0\0\0\0", 8);
	ng_opt(g, 0, "", 0);
	ng_end(g, blk);
	snprintf(path, sizeof(path), "%s/meta.pcapng", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(g->b, 1, g->n, f), g->n);
	fclose(f);
	free(g);

	ck_assert_msg(ingest(s, path, &res, err) == PD_OK, "%s", err);
	ck_assert_str_eq(
	        q_text(s, "SELECT format||' '||link_types||' '||runtime||' '||"
	                  "container_id||' '||container_name||' '||image||' '||pid||' '||"
	                  "netns_inode||' '||capture_host||' '||capture_filter FROM captures"),
	        "pcapng ether docker abc123def456 web nginx:1.25 4242 4026532000 builder-7 "
	        "not port 22");
	ck_assert_str_eq(q_text(s, "SELECT capture_app||'|'||comment||'|'||drops FROM captures"),
	                 "pcapdomains-capture 0.1.0|recorded for the test|3");
	ck_assert_int_eq(q_int(s, "SELECT typeof(pid) = 'integer' FROM captures"), 1);
	ck_assert_str_eq(q_text(s, "SELECT idx||' '||name||' '||link_type||' '||snaplen||' '||"
	                           "received||' '||dropped FROM interfaces"),
	                 "0 eth0 ether 262144 10 3");
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM findings WHERE kind='drops'"), 1);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM dns_answers WHERE rr_type='A'"), 1);
	pd_store_close(s);
}
END_TEST

struct done_log {
	char text[4096];
	size_t used;
};

static void on_done(void *arg, size_t i, enum pd_err e, const struct pd_ingest_result *res,
                    const char *errbuf)
{
	struct done_log *l = arg;

	l->used += (size_t)snprintf(l->text + l->used, sizeof(l->text) - l->used, "%zu:%d:%d:%lld;",
	                            i, (int)e, res->already, (long long)res->capture_id);
}

/* Every row of the tables ingest writes, in id order, without the ingest time. */
static char *dump(struct pd_store *s)
{
	static const char *const q[] = {
		"SELECT group_concat(id||path||sha256||packets||ifnull(cut_at,'-'),'|') FROM "
		"captures",
		"SELECT group_concat(id||capture_id||client_ip||client_port||server_ip||"
		"ifnull(sni,'')||ifnull(app_proto,''),'|') FROM flows",
		"SELECT "
		"group_concat(id||capture_id||qname||ifnull(answer,'')||ifnull(chain,''),'|') "
		"FROM dns_answers",
		"SELECT group_concat(capture_id||kind||what||n,'|') FROM counters",
	};
	char *out = calloc(1, 65536);
	size_t used = 0, i;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		used += (size_t)snprintf(out + used, 65536 - used, "%s\n", q_text(s, q[i]));
	return out;
}

/* -j 2 stores exactly what -j 1 stores, in the same order, with the same ids. */
START_TEST(batch)
{
	char p1[128], p2[128], p3[128], bad[128];
	char *paths[5];
	struct pd_store *s1 = open_db("b1.db"), *s2 = open_db("b2.db");
	struct pd_ingest_opts o;
	struct done_log l1 = { .used = 0 }, l2 = { .used = 0 };
	char *d1, *d2;
	FILE *f;

	snprintf(p1, sizeof(p1), "%s/b-main.pcap", dir);
	snprintf(p2, sizeof(p2), "%s/b-cut.pcap", dir);
	snprintf(p3, sizeof(p3), "%s/b-dup.pcap", dir);
	snprintf(bad, sizeof(bad), "%s/b-bad.pcap", dir);
	build_main(p1);
	build_main(p2);
	ck_assert_int_eq(truncate(p2, 300), 0);
	build_main(p3); /* same bytes as p1 */
	f = fopen(bad, "wb");
	fputs("not a capture, text written by the test\n", f);
	fclose(f);
	paths[0] = p1;
	paths[1] = bad;
	paths[2] = p2;
	paths[3] = p3;
	paths[4] = p1;
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(pd_ingest_batch(s1, paths, 5, 1, &o, on_done, &l1), PD_OK);
	setenv("PCAPDOMAINS_STAGE_MIN", "0", 1); /* the staging path, whatever size and CPUs */
	ck_assert_int_eq(pd_ingest_batch(s2, paths, 5, 2, &o, on_done, &l2), PD_OK);
	unsetenv("PCAPDOMAINS_STAGE_MIN");
	ck_assert_str_eq(l1.text, l2.text);
	ck_assert_str_eq(l1.text, "0:0:0:1;1:8:0:0;2:0:0:2;3:0:1:1;4:0:1:1;");
	d1 = dump(s1);
	d2 = dump(s2);
	ck_assert_str_eq(d1, d2);
	ck_assert_int_eq(q_int(s2, "SELECT count(*) FROM captures"), 2);
	free(d1);
	free(d2);
	pd_store_close(s1);
	pd_store_close(s2);
}
END_TEST

/* SHA-256 of a file, hex, computed here independently of ingest's hasher. */
static void file_sha256(const char *path, char hex[65])
{
	unsigned char md[32], buf[65536];
	unsigned mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_ptr_nonnull(f);
	ck_assert(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		ck_assert(EVP_DigestUpdate(ctx, buf, n));
	ck_assert(EVP_DigestFinal_ex(ctx, md, &mdlen));
	fclose(f);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Ingests path (with filter bpf) into a new database; the stored hash must be the file's. */
static void check_hash(const char *path, const char *bpf, const char *db, bool cut)
{
	char err[PD_ERRBUF_SIZE] = "", want[65], sql[128];
	struct pd_store *s = open_db(db);
	struct pd_ingest_result res;
	struct pd_ingest_opts o;

	memset(&o, 0, sizeof(o));
	o.bpf = bpf;
	ck_assert_msg(pd_ingest_file(s, path, &o, &res, err) == PD_OK, "%s", err);
	ck_assert_int_eq(res.cut, cut);
	file_sha256(path, want);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM captures WHERE sha256 = '%s'", want);
	ck_assert_msg(q_int(s, sql) == 1, "%s: hash differs from the file's", path);
	pd_store_close(s);
}

/*
 * The content hash is the whole file's (a 6 MB capture: two mapping windows of the hasher),
 * whatever the parser does: with a filter (libpcap reads), and when the parser stops early
 * (cut and corrupt files) while the hasher goes on to the end.
 */
START_TEST(content_hash)
{
	char path[128], path2[128];
	struct cap c;
	struct ep cl = ep("10.4.0.2", 40000), srv = ep("10.4.0.80", 80);
	uint8_t pl[1400];
	FILE *f;
	long size;
	int i;

	snprintf(path, sizeof(path), "%s/big.pcap", dir);
	cap_open(&c, path);
	for (i = 0; i < 4500; i++) {
		memset(pl, 'a' + i % 26, sizeof(pl));
		frame(&c, i % 2 ? &srv : &cl, i % 2 ? &cl : &srv, 6, ACK, (uint32_t)i * 1400, 1, pl,
		      sizeof(pl) - (size_t)(i % 7));
	}
	cap_close(&c);
	check_hash(path, NULL, "h1.db", false);
	check_hash(path, "tcp port 80", "h2.db", false);

	/* cut in the middle: the parser stops early, the hasher reads on to the end */
	snprintf(path2, sizeof(path2), "%s/big-cut.pcap", dir);
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	ck_assert_int_eq(link(path, path2), 0);
	ck_assert_int_eq(truncate(path2, size / 2 + 3), 0);
	check_hash(path2, NULL, "h3.db", true);

	/* a corrupt record header (caplen 0xFFFFFFFF) a third of the way in, the rest intact */
	build_main(path);
	{
		FILE *w = fopen(path, "r+b");
		uint8_t bad[4] = { 0xff, 0xff, 0xff, 0xff };
		/* the 3rd record header: file header, then 2 records of the main scenario */
		uint8_t rh[16];
		long off = 24;
		for (i = 0; i < 2; i++) {
			uint32_t cl_;
			ck_assert_int_eq(fseek(w, off, SEEK_SET), 0);
			ck_assert_uint_eq(fread(rh, 1, 16, w), 16);
			memcpy(&cl_, rh + 8, 4);
			off += 16 + (long)cl_;
		}
		ck_assert_int_eq(fseek(w, off + 8, SEEK_SET), 0);
		ck_assert_uint_eq(fwrite(bad, 1, 4, w), 4);
		fclose(w);
	}
	check_hash(path, NULL, "h4.db", true);
}
END_TEST

/* What rows_written saw: called once per stored-or-already capture, inside its transaction. */
struct seen_rows {
	struct pd_store *s;
	int calls;
	int64_t id, flows;
	char *sha;
};

static void on_rows(void *arg, int64_t capture_id)
{
	struct seen_rows *w = arg;
	char sql[96];

	w->calls++;
	w->id = capture_id;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM flows WHERE capture_id = %lld",
	         (long long)capture_id);
	w->flows = q_int(w->s, sql);
	snprintf(sql, sizeof(sql), "SELECT sha256 FROM captures WHERE id = %lld",
	         (long long)capture_id);
	free(w->sha);
	w->sha = strdup(q_text(w->s, sql));
}

/*
 * The rows_written hook (report builds its model there while the hash thread finishes): every
 * row is readable, the hash is still provisional; afterwards the row holds the real hash and
 * size, also in the result. The same bytes again: the hook runs, then all is rolled back.
 */
START_TEST(rows_written)
{
	char path[128], want[65], err[PD_ERRBUF_SIZE] = "";
	struct pd_store *s = open_db("rw.db");
	struct seen_rows w = { s, 0, 0, 0, NULL };
	struct pd_ingest_result res;
	struct pd_ingest_opts o;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/rw.pcap", dir);
	build_main(path);
	file_sha256(path, want);
	ck_assert_int_eq(stat(path, &sb), 0);
	memset(&o, 0, sizeof(o));
	o.rows_written = on_rows;
	o.rows_written_arg = &w;
	ck_assert_msg(pd_ingest_file(s, path, &o, &res, err) == PD_OK, "%s", err);
	ck_assert_int_eq(w.calls, 1);
	ck_assert_int_eq(w.id, res.capture_id);
	ck_assert_int_eq(w.flows, (int64_t)res.flows);
	ck_assert_int_gt(w.flows, 0);
	ck_assert_ptr_nonnull(w.sha);
	ck_assert_str_ne(w.sha, want); /* provisional while the hook ran */
	ck_assert_str_eq(res.sha256, want);
	ck_assert_uint_eq(res.size, (uint64_t)sb.st_size);
	ck_assert_str_eq(q_text(s, "SELECT sha256 FROM captures"), want);
	ck_assert_int_eq(q_int(s, "SELECT size FROM captures"), sb.st_size);

	ck_assert_msg(pd_ingest_file(s, path, &o, &res, err) == PD_OK, "%s", err);
	ck_assert_int_eq(w.calls, 2);
	ck_assert(res.already);
	ck_assert_int_ne(w.id, res.capture_id); /* the hook saw the new, rolled-back row */
	ck_assert_str_eq(res.sha256, want);
	ck_assert_int_eq(q_int(s, "SELECT count(*) FROM captures"), 1);
	snprintf(err, sizeof(err), "SELECT count(*) FROM flows WHERE capture_id = %lld",
	         (long long)w.id);
	ck_assert_int_eq(q_int(s, err), 0);
	free(w.sha);
	pd_store_close(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *t = tcase_create("ingest");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, valid);
	tcase_add_test(t, connect_tunnel);
	tcase_add_test(t, socks_tunnel);
	tcase_add_test(t, dns_tcp);
	tcase_add_test(t, idempotent);
	tcase_add_test(t, truncated);
	tcase_add_test(t, locked);
	tcase_add_test(t, hostile);
	tcase_add_test(t, disk_full);
	tcase_add_test(t, encrypted_dns);
	tcase_add_test(t, batch);
	tcase_add_test(t, pcapng_meta);
	tcase_add_test(t, content_hash);
	tcase_add_test(t, rows_written);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
