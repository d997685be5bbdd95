/*
 * test_flow.c - the flow table: client/server sides (SYN, SYN-ACK, service-port tie break),
 * counters each way, TCP states, idle expiry, the live-flow cap; and the encrypted-DNS
 * resolver table (encdns.c).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "encdns.h"
#include "flow.h"
#include "testutil.h"

#define SEC 1000000000LL

struct emitted {
	unsigned n;
	struct pd_flow last[64];
};

static void on_emit(void *arg, struct pd_flow *f)
{
	struct emitted *e = arg;

	if (e->n < 64)
		e->last[e->n] = *f;
	e->n++;
}

static struct pd_addr v4(const char *s)
{
	struct pd_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	ck_assert_int_eq(inet_pton(AF_INET, s, a.a), 1);
	return a;
}

static struct pd_addr v6(const char *s)
{
	struct pd_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 6;
	ck_assert_int_eq(inet_pton(AF_INET6, s, a.a), 1);
	return a;
}

static struct pd_pkt pkt(struct pd_addr src, uint16_t sp, struct pd_addr dst, uint16_t dp,
                         uint8_t proto, uint8_t flags, int64_t ts, uint32_t len)
{
	struct pd_pkt p;

	memset(&p, 0, sizeof(p));
	p.src = src;
	p.dst = dst;
	p.sport = sp;
	p.dport = dp;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ts_ns = ts;
	p.ip_len = len;
	p.seq = 100;
	return p;
}

START_TEST(valid)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 0, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	struct pd_flow *f, *g;
	int dir;

	ck_assert_ptr_nonnull(t);
	/* handshake: SYN, SYN-ACK, ACK, then data both ways */
	p = pkt(c, 40000, s, 443, PD_L4_TCP, PD_TCP_SYN, 1 * SEC, 60);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_int_eq(dir, 0);
	p = pkt(s, 443, c, 40000, PD_L4_TCP, PD_TCP_SYN | PD_TCP_ACK, 2 * SEC, 60);
	g = pd_flow_packet(t, &p, &dir);
	ck_assert_ptr_eq(f, g);
	ck_assert_int_eq(dir, 1);
	ck_assert_str_eq(pd_flow_tcp_state(f), "syn-only");
	p = pkt(c, 40000, s, 443, PD_L4_TCP, PD_TCP_ACK, 3 * SEC, 52);
	pd_flow_packet(t, &p, &dir);
	ck_assert_str_eq(pd_flow_tcp_state(f), "established");
	p = pkt(s, 443, c, 40000, PD_L4_TCP, PD_TCP_ACK | PD_TCP_PSH, 4 * SEC, 1500);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(f->packets[0], 2);
	ck_assert_uint_eq(f->packets[1], 2);
	ck_assert_uint_eq(f->bytes[0], 112);
	ck_assert_uint_eq(f->bytes[1], 1560);
	ck_assert_int_eq(f->first_ns, 1 * SEC);
	ck_assert_int_eq(f->last_ns, 4 * SEC);
	ck_assert_uint_eq(f->cport, 40000);
	ck_assert_uint_eq(f->sport, 443);
	ck_assert_uint_eq(pd_flow_live(t), 1);

	/* first packet is a SYN-ACK: its receiver is the client */
	p = pkt(s, 8080, c, 50000, PD_L4_TCP, PD_TCP_SYN | PD_TCP_ACK, 5 * SEC, 60);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_int_eq(dir, 1);
	ck_assert_uint_eq(f->sport, 8080);
	ck_assert_str_eq(pd_flow_tcp_state(f), "midstream");

	/* UDP: a DNS response seen first (from 53 to an ephemeral port): 53 is the server */
	p = pkt(s, 53, c, 33333, PD_L4_UDP, 0, 6 * SEC, 100);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_int_eq(dir, 1);
	ck_assert_uint_eq(f->sport, 53);
	ck_assert_ptr_null(pd_flow_tcp_state(f));
	/* both ports ephemeral, no subject: nothing else tells, the first sender is the client */
	p = pkt(v6("fd00:4::1"), 40001, v6("fd00:4::2"), 40002, PD_L4_UDP, 0, 6 * SEC, 100);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_int_eq(dir, 0);
	ck_assert_uint_eq(f->cport, 40001);
	/* mDNS: 5353 to 5353, no swap */
	p = pkt(c, 5353, v4("224.0.0.251"), 5353, PD_L4_UDP, 0, 6 * SEC, 100);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_int_eq(dir, 0);
	ck_assert_uint_eq(pd_flow_live(t), 5);

	pd_flow_flush_all(t);
	ck_assert_uint_eq(e.n, 5);
	ck_assert_uint_eq(pd_flow_live(t), 0);
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 5);

	ck_assert(pd_flow_service_port(443));
	ck_assert(pd_flow_service_port(3306));
	ck_assert(!pd_flow_service_port(40000));
	{
		char b[16];
		ck_assert_str_eq(pd_flow_proto_name(47, b, sizeof(b)), "ip-47");
		ck_assert_str_eq(pd_flow_proto_name(PD_L4_ICMP6, b, sizeof(b)), "icmp6");
	}
}
END_TEST

START_TEST(states)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 0, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	struct pd_flow *f;
	int dir;

	/* refused: SYN answered by RST */
	p = pkt(c, 40000, s, 22, PD_L4_TCP, PD_TCP_SYN, SEC, 60);
	f = pd_flow_packet(t, &p, &dir);
	p = pkt(s, 22, c, 40000, PD_L4_TCP, PD_TCP_RST | PD_TCP_ACK, SEC, 40);
	pd_flow_packet(t, &p, &dir);
	ck_assert_str_eq(pd_flow_tcp_state(f), "refused");
	/* syn-only: no answer */
	p = pkt(c, 40001, s, 22, PD_L4_TCP, PD_TCP_SYN, SEC, 60);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_str_eq(pd_flow_tcp_state(f), "syn-only");
	/* midstream: data only */
	p = pkt(c, 40002, s, 22, PD_L4_TCP, PD_TCP_ACK, SEC, 60);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_str_eq(pd_flow_tcp_state(f), "midstream");
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 3);
}
END_TEST

START_TEST(expiry)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 10 * SEC, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	struct pd_flow *f;
	int dir;

	p = pkt(c, 40000, s, 80, PD_L4_TCP, PD_TCP_SYN, 0, 60);
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40001, s, 80, PD_L4_UDP, 0, 5 * SEC, 60);
	pd_flow_packet(t, &p, &dir);
	/* 11 s later: the first flow is idle past 10 s and is written out */
	p = pkt(c, 40002, s, 80, PD_L4_UDP, 0, 11 * SEC, 60);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_uint_eq(e.last[0].cport, 40000);
	/* the same 5-tuple again after expiry is a new flow */
	p = pkt(c, 40000, s, 80, PD_L4_TCP, PD_TCP_ACK, 12 * SEC, 60);
	f = pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(f->packets[0], 1);
	ck_assert_str_eq(pd_flow_tcp_state(f), "midstream");
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 4);
}
END_TEST

/* Closed flows (RST, FIN both ways, or marked by the caller) go after PD_FLOW_CLOSED_NS. */
START_TEST(closed)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 0, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	struct pd_flow *f;
	int dir;

	p = pkt(c, 40003, s, 53, PD_L4_UDP, 0, 0, 60);
	f = pd_flow_packet(t, &p, &dir);
	pd_flow_close(t, f);
	pd_flow_close(t, f); /* twice is fine */
	p = pkt(c, 40004, s, 53, PD_L4_UDP, 0, 0, 60);
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40005, s, 80, PD_L4_TCP, PD_TCP_SYN, 0, 60);
	pd_flow_packet(t, &p, &dir);
	p = pkt(s, 80, c, 40005, PD_L4_TCP, PD_TCP_RST | PD_TCP_ACK, 0, 40);
	pd_flow_packet(t, &p, &dir);
	/* 31 s later: the marked UDP flow and the reset TCP flow are gone, the open one stays */
	p = pkt(c, 40006, s, 53, PD_L4_UDP, 0, PD_FLOW_CLOSED_NS + SEC, 60);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_uint_eq(pd_flow_live(t), 2);
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 4);
}
END_TEST

/* A client FIN the server never answers with its own (a common way to end a connection) makes
 * the flow closing: released after PD_FLOW_CLOSED_NS, not the full idle time. */
START_TEST(half_closed)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 0, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	int dir;

	p = pkt(c, 40007, s, 80, PD_L4_TCP, PD_TCP_SYN, 0, 60);
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40007, s, 80, PD_L4_TCP, PD_TCP_FIN | PD_TCP_ACK, SEC, 40);
	pd_flow_packet(t, &p, &dir);
	p = pkt(s, 80, c, 40007, PD_L4_TCP, PD_TCP_ACK, 2 * SEC, 40); /* still the same flow */
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(pd_flow_live(t), 1);
	p = pkt(c, 40008, s, 80, PD_L4_TCP, PD_TCP_SYN, 2 * SEC + PD_FLOW_CLOSED_NS + SEC, 60);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_uint_eq(e.last[0].packets[0], 2);
	ck_assert_uint_eq(e.last[0].packets[1], 1);
	pd_flow_table_free(t);
}
END_TEST

/* A full table writes out the least recently active flow, whether open or closing: an open
 * connection is not pushed out ahead of an older finished one. */
START_TEST(limit_least_recent)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(2, 0, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	int dir;

	p = pkt(c, 40010, s, 443, PD_L4_TCP, PD_TCP_SYN, 0, 60); /* closed at 1 s */
	pd_flow_packet(t, &p, &dir);
	p = pkt(s, 443, c, 40010, PD_L4_TCP, PD_TCP_RST | PD_TCP_ACK, SEC, 40);
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40011, s, 443, PD_L4_TCP, PD_TCP_SYN, 2 * SEC, 60); /* open, active at 2 s */
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40012, s, 443, PD_L4_TCP, PD_TCP_SYN, 3 * SEC, 60); /* full: one goes */
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_uint_eq(e.last[0].cport, 40010);
	/* now the open 40011 (2 s) is older than the closing 40012 would be after a RST at 4 s */
	p = pkt(s, 443, c, 40012, PD_L4_TCP, PD_TCP_RST | PD_TCP_ACK, 4 * SEC, 40);
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40013, s, 443, PD_L4_TCP, PD_TCP_SYN, 5 * SEC, 60);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 2);
	ck_assert_uint_eq(e.last[1].cport, 40011);
	ck_assert_uint_eq(pd_flow_limit_flushed(t), 2);
	pd_flow_table_free(t);
}
END_TEST

START_TEST(truncated)
{
	/* a packet whose IP length is 0 (snaplen-cut header reported by the decoder) still counts
	 */
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 0, on_emit, &e);
	struct pd_pkt p = pkt(v4("10.4.0.2"), 1, v4("10.4.0.3"), 2, PD_L4_ICMP, 0, SEC, 0);
	struct pd_flow *f;
	int dir;

	f = pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(f->packets[0], 1);
	ck_assert_uint_eq(f->bytes[0], 0);
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 1);
}
END_TEST

START_TEST(hostile)
{
	/* a flood of distinct flows (port scan pattern, generated here): the table stays capped
	 * at max_live, the oldest are written out early and counted */
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(1000, 0, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	unsigned i;
	int dir;

	for (i = 0; i < 50000; i++) {
		p = pkt(c, (uint16_t)(1024 + i % 60000), s, (uint16_t)(i / 60000 + 1), PD_L4_TCP,
		        PD_TCP_SYN, SEC + i, 60);
		ck_assert_ptr_nonnull(pd_flow_packet(t, &p, &dir));
		ck_assert_uint_le(pd_flow_live(t), 1000);
	}
	ck_assert_uint_eq(pd_flow_peak(t), 1000);
	ck_assert_uint_eq(pd_flow_limit_flushed(t), 49000);
	ck_assert_uint_eq(e.n, 49000);
	/* the oldest went first */
	ck_assert_uint_eq(e.last[0].cport, 1024);
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 50000);
}
END_TEST

/*
 * Timestamps at the ends of the int64_t range (regression: fuzz_ingest's crash-82d9470d, a
 * pcapng whose timestamps jump from about 1.7e18 ns to -7.7e18 ns, made the idle check
 * now - last overflow): no overflow (UBSan in the sanitizer build), and time going backwards
 * or jumping forwards by more than half the range behaves like any other gap.
 */
START_TEST(hostile_timestamps)
{
	struct emitted e = { 0 };
	struct pd_flow_table *t = pd_flow_table_new(0, 10 * SEC, on_emit, &e);
	struct pd_addr c = v4("10.4.0.2"), s = v4("10.4.0.1");
	struct pd_pkt p;
	int dir;

	p = pkt(c, 40000, s, 53, PD_L4_UDP, 0, 1700000000123456789LL, 60);
	pd_flow_packet(t, &p, &dir);
	/* backwards by 9.4e18 ns: nothing is idle "since" a later time */
	p = pkt(c, 40001, s, 53, PD_L4_UDP, 0, -7709325831709551616LL, 60);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 0);
	/* from INT64_MIN to INT64_MAX: both earlier flows are idle and written out */
	p = pkt(c, 40002, s, 53, PD_L4_UDP, 0, INT64_MIN, 60);
	pd_flow_packet(t, &p, &dir);
	p = pkt(c, 40003, s, 53, PD_L4_UDP, 0, INT64_MAX, 60);
	pd_flow_packet(t, &p, &dir);
	ck_assert_uint_eq(e.n, 3);
	ck_assert_uint_eq(pd_flow_live(t), 1);
	pd_flow_table_free(t);
	ck_assert_uint_eq(e.n, 4);
}
END_TEST

START_TEST(encdns)
{
	struct pd_addr a;

	ck_assert_str_eq(pd_encdns_by_name("dns.google"), "Google");
	ck_assert_str_eq(pd_encdns_by_name("cloudflare-dns.com"), "Cloudflare");
	ck_assert_str_eq(pd_encdns_by_name("mozilla.cloudflare-dns.com"), "Cloudflare");
	ck_assert_str_eq(pd_encdns_by_name("dns.quad9.net"), "Quad9");
	ck_assert_str_eq(pd_encdns_by_name("doh.opendns.com"), "OpenDNS");
	ck_assert_str_eq(pd_encdns_by_name("abc123.dns.nextdns.io"), "NextDNS");
	ck_assert_ptr_null(pd_encdns_by_name("notcloudflare-dns.com"));
	ck_assert_ptr_null(pd_encdns_by_name("google.com"));
	ck_assert_ptr_null(pd_encdns_by_name("x.dns.quad9.net")); /* exact only */
	ck_assert_ptr_null(pd_encdns_by_name(""));
	ck_assert_ptr_null(pd_encdns_by_name(NULL));
	a = v4("1.1.1.1");
	ck_assert_str_eq(pd_encdns_by_addr(&a), "Cloudflare");
	a = v4("149.112.112.112");
	ck_assert_str_eq(pd_encdns_by_addr(&a), "Quad9");
	a = v6("2001:4860:4860::8888");
	ck_assert_str_eq(pd_encdns_by_addr(&a), "Google");
	a = v6("2606:4700:4700::1111");
	ck_assert_str_eq(pd_encdns_by_addr(&a), "Cloudflare");
	a = v4("1.1.1.4");
	ck_assert_ptr_null(pd_encdns_by_addr(&a));
	a = v6("::ffff:8.8.8.8"); /* a mapped address is not the v4 resolver */
	ck_assert_ptr_null(pd_encdns_by_addr(&a));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow");
	TCase *t = tcase_create("flow");

	tcase_add_test(t, valid);
	tcase_add_test(t, states);
	tcase_add_test(t, expiry);
	tcase_add_test(t, closed);
	tcase_add_test(t, half_closed);
	tcase_add_test(t, limit_least_recent);
	tcase_add_test(t, truncated);
	tcase_add_test(t, hostile);
	tcase_add_test(t, hostile_timestamps);
	tcase_add_test(t, encdns);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
