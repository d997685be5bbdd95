/*
 * test_subject.c - the audited subject (analyze/subject.c, subject_db.c): --local parsing
 * (valid, truncated, hostile), local matching with loopback and ranges, directions, the
 * orientation rules for flows whose opening was not seen, the link-local control classes,
 * ICMP errors and the quoted flow (valid, truncated, hostile), inference and storage.
 */
#include <stdio.h>
#include <string.h>

#include "capbuild.h"
#include "decode.h"
#include "store.h"
#include "subject.h"
#include "testutil.h"

static struct pd_addr A(const char *s) {
	struct pd_addr a;
	ck_assert_int_eq(pd_addr_parse(s, &a), PD_OK);
	return a;
}

static struct pd_subject
subj(const char *const *locals)
{
	struct pd_subject s;
	struct pd_local l;
	char eb[PD_ERRBUF_SIZE];

	memset(&s, 0, sizeof(s));
	for (; *locals; locals++) {
		ck_assert_int_eq(pd_local_parse(*locals, &l, eb), PD_OK);
		ck_assert(pd_subject_add(&s, &l));
	}
	return s;
}

START_TEST(local_valid)
{
	static const char *const l[] = { "10.77.0.2", "fd00:77::/64", "192.168.0.0/16", NULL };
	struct pd_subject s = subj(l);
	struct pd_addr a;

	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(s.l[0].prefix, 32);
	ck_assert_uint_eq(s.l[0].source, PD_LOCAL_OPTION);
	ck_assert_uint_eq(s.l[1].prefix, 64);
	a = A("10.77.0.2");
	ck_assert(pd_subject_is_local(&s, &a));
	a = A("10.77.0.3");
	ck_assert(!pd_subject_is_local(&s, &a));
	a = A("fd00:77::1234");
	ck_assert(pd_subject_is_local(&s, &a));
	a = A("fd00:78::1");
	ck_assert(!pd_subject_is_local(&s, &a));
	a = A("192.168.200.9");
	ck_assert(pd_subject_is_local(&s, &a));
	/* loopback is always local, with or without a set */
	a = A("127.0.0.11");
	ck_assert(pd_subject_is_local(NULL, &a));
	a = A("::1");
	ck_assert(pd_subject_is_local(NULL, &a));
	a = A("::ffff:127.0.0.1");
	ck_assert(pd_subject_is_local(NULL, &a));
	/* a duplicate is not added twice; host bits of a range are cleared */
	{
		struct pd_local x;
		char eb[PD_ERRBUF_SIZE];
		ck_assert_int_eq(pd_local_parse("192.168.7.7/16", &x, eb), PD_OK);
		ck_assert(pd_subject_add(&s, &x));
		ck_assert_uint_eq(s.n, 3);
		ck_assert_int_eq(pd_local_parse("0.0.0.0/0", &x, eb), PD_OK);
		ck_assert_uint_eq(x.prefix, 0);
	}
}
END_TEST

START_TEST(local_truncated)
{
	static const char *const bad[] = { "", "10.77.0", "10.77.0.2/", "fd00::/", "/24", "fd00:" };
	struct pd_local l;
	char eb[PD_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(pd_local_parse(bad[i], &l, eb), PD_ERR_USAGE);
		ck_assert_msg(strstr(eb, "--local") != NULL, "%s", eb);
	}
}
END_TEST

START_TEST(local_hostile)
{
	static const char *const bad[] = { "10.0.0.1/33",
		                           "fd00::1/129",
		                           "10.0.0.1/-1",
		                           "10.0.0.1/24x",
		                           "10.0.0.1/99999999999999999999",
		                           "example.com",
		                           "10.0.0.1/ 8",
		                           NULL };
	char longs[200], eb[PD_ERRBUF_SIZE];
	struct pd_subject s;
	struct pd_local l;
	unsigned i;

	for (i = 0; bad[i]; i++)
		ck_assert_msg(pd_local_parse(bad[i], &l, eb) == PD_ERR_USAGE, "%s", bad[i]);
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = 0;
	ck_assert_int_eq(pd_local_parse(longs, &l, eb), PD_ERR_USAGE);
	ck_assert_int_eq(pd_local_parse(NULL, &l, eb), PD_ERR_USAGE);
	/* the set is bounded */
	memset(&s, 0, sizeof(s));
	for (i = 0; i < PD_SUBJECT_MAX + 10; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.9.%u.%u", i / 200, i % 200);
		ck_assert_int_eq(pd_local_parse(ip, &l, eb), PD_OK);
		ck_assert(pd_subject_add(&s, &l) == (i < PD_SUBJECT_MAX));
	}
	ck_assert_uint_eq(s.n, PD_SUBJECT_MAX);
}
END_TEST

START_TEST(direction)
{
	static const char *const l[] = { "10.77.0.2", "fd00:77::2", NULL };
	struct pd_subject s = subj(l), none = { 0 };
	struct pd_addr me = A("10.77.0.2"), me6 = A("fd00:77::2"), far = A("192.0.2.7"),
	               far2 = A("198.51.100.1"), lo = A("127.0.0.1"), dk = A("127.0.0.11");

	ck_assert_int_eq(pd_subject_direction(&s, &me, &far), PD_DIR_EGRESS);
	ck_assert_int_eq(pd_subject_direction(&s, &far, &me6), PD_DIR_INGRESS);
	ck_assert_int_eq(pd_subject_direction(&s, &me, &me6), PD_DIR_INTERNAL);
	ck_assert_int_eq(pd_subject_direction(&s, &lo, &dk), PD_DIR_INTERNAL);
	ck_assert_int_eq(pd_subject_direction(&s, &far, &far2), PD_DIR_TRANSIT);
	/* nothing known: transit, loopback pairs too (a loopback-only capture has destinations) */
	ck_assert_int_eq(pd_subject_direction(&none, &me, &far), PD_DIR_TRANSIT);
	ck_assert_int_eq(pd_subject_direction(&none, &lo, &dk), PD_DIR_TRANSIT);
	ck_assert_int_eq(pd_subject_direction(NULL, &lo, &dk), PD_DIR_TRANSIT);
	ck_assert_str_eq(pd_dir_name(PD_DIR_EGRESS), "egress");
	ck_assert_str_eq(pd_dir_name(PD_DIR_CONTROL), "control");
	ck_assert_str_eq(pd_dir_name((enum pd_dir)77), "transit");
	ck_assert_int_eq(pd_subject_flow_dir(&s, PD_L4_UDP, &me, 5353, &far, 5353), PD_DIR_CONTROL);
}
END_TEST

/* The server side of a flow whose opening was not seen (subject.h rules 1-6). */
START_TEST(orientation)
{
	static const char *const l[] = { "10.77.0.2", NULL };
	struct pd_subject s = subj(l);
	struct pd_addr me = A("10.77.0.2"), etcd = A("10.77.0.9"), far = A("192.0.2.7");

	/* 1: handshake flags */
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_SYN, &far, 443, &me, 50000));
	ck_assert(!pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_SYN | PD_TCP_ACK, &me, 50000,
	                                    &far, 443));
	/* 3: a service port */
	ck_assert(!pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_ACK, &far, 443, &me, 50000));
	/* 3: a DNS answer to a client whose ephemeral port happens to be a service port */
	ck_assert(!pd_subject_src_is_client(NULL, PD_L4_UDP, 0, &far, 53, &me, 50051));
	/* 3: etcd (2379) and gRPC (50051) are service ports */
	ck_assert(!pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_ACK, &etcd, 2379, &me, 49372));
	/* 4: a long-lived connection seen first from the server on an unlisted port: 4100 is
	 * not a service port, 49372 is ephemeral, so 4100 is the server whatever the order */
	ck_assert(!pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_ACK, &etcd, 4100, &me, 49372));
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_ACK, &me, 49372, &etcd, 4100));
	ck_assert(!pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_ACK, &far, 50051, &me, 60000));
	/* 5: both ports plain (neither service nor ephemeral): the local end is the client */
	ck_assert(!pd_subject_src_is_client(&s, PD_L4_TCP, PD_TCP_ACK, &far, 2000, &me, 3000));
	ck_assert(pd_subject_src_is_client(&s, PD_L4_TCP, PD_TCP_ACK, &me, 2000, &far, 3000));
	/* 6: nothing tells (no subject, both plain or both ephemeral): the first sender */
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_TCP, PD_TCP_ACK, &me, 3000, &far, 2000));
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_UDP, 0, &me, 40001, &far, 40000));
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_UDP, 0, &me, 40000, &far, 40001));
	/* 2: equal ports, and ICMP: the sender */
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_UDP, 0, &me, 123, &far, 123));
	ck_assert(pd_subject_src_is_client(NULL, PD_L4_ICMP, 0, &far, 0, &me, 0));
	ck_assert(pd_subject_ephemeral_port(49372));
	ck_assert(!pd_subject_ephemeral_port(50051));
	ck_assert(!pd_subject_ephemeral_port(4100));
	ck_assert(!pd_subject_ephemeral_port(8080));
}
END_TEST

START_TEST(control)
{
	struct pd_addr me = A("10.77.0.2"), gw = A("10.77.0.1"), me6 = A("fe80::2"),
	               bc = A("255.255.255.255"), mdns4 = A("224.0.0.251"), mdns6 = A("ff02::fb"),
	               ssdp = A("239.255.255.250"), ll6 = A("ff02::1:3"), far = A("192.0.2.1"),
	               allnodes = A("ff02::1"), gw6 = A("fd00:77::1");

	ck_assert_str_eq(pd_subject_control(PD_L4_ICMP6, &me6, 135, &allnodes, 135), "nd");
	ck_assert_str_eq(pd_subject_control(PD_L4_ICMP6, &me6, 143, &allnodes, 143), "mld");
	ck_assert_str_eq(pd_subject_control(PD_L4_ICMP6, &me6, 133, &allnodes, 133), "nd");
	ck_assert_str_eq(pd_subject_control(PD_L4_ICMP, &me, 10, &gw, 10), "router-discovery");
	ck_assert_str_eq(pd_subject_control(PD_L4_ICMP, &me, 3, &gw, 3), "icmp-error");
	ck_assert_str_eq(pd_subject_control(2, &me, 0, &mdns4, 0), "igmp");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me, 68, &bc, 67), "dhcp");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me6, 546, &allnodes, 547), "dhcpv6");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me, 5353, &mdns4, 5353), "mdns");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me6, 40000, &mdns6, 5353), "mdns");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me6, 40000, &ll6, 5355), "llmnr");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me, 40000, &ssdp, 1900), "ssdp");
	ck_assert_str_eq(pd_subject_control(PD_L4_UDP, &me, 40000, &bc, 9999), "multicast");
	/* echo and ordinary traffic are not control */
	ck_assert_ptr_null(pd_subject_control(PD_L4_ICMP6, &me6, 0, &gw6, 0));
	ck_assert_ptr_null(pd_subject_control(PD_L4_UDP, &me, 40000, &far, 53));
	ck_assert_ptr_null(pd_subject_control(PD_L4_TCP, &me, 40000, &far, 443));
}
END_TEST

/* An ICMP error quoting a UDP datagram 10.77.0.2:40000 -> 192.0.2.1:9. */
static size_t icmp_unreach(uint8_t *out, bool v6)
{
	static const uint8_t s4[4] = { 10, 77, 0, 2 }, d4[4] = { 192, 0, 2, 1 };
	uint8_t s6[16] = { 0xfd, 0x77, [15] = 2 }, d6[16] = { 0xfd, 0x99, [15] = 1 };
	uint8_t udp[16], ip[80];
	size_t u = pk_udp(udp, 40000, 9, "hi", 2), i;

	i = v6 ? pk_ip6(ip, 17, s6, d6, udp, u) : pk_ip4(ip, 17, s4, d4, 7, 0, udp, u);
	memset(out, 0, 8);
	out[0] = v6 ? 1 : 3; /* destination unreachable */
	out[1] = v6 ? 4 : 3; /* port unreachable */
	memcpy(out + 8, ip, i);
	return 8 + i;
}

START_TEST(icmp_valid)
{
	uint8_t m[200], type;
	struct pd_pkt q;
	size_t n;
	char buf[64];

	n = icmp_unreach(m, false);
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, n, &type, &q), PD_ICMP_ERROR);
	ck_assert_uint_eq(type, 3);
	ck_assert_uint_eq(q.proto, PD_L4_UDP);
	ck_assert_uint_eq(q.sport, 40000);
	ck_assert_uint_eq(q.dport, 9);
	ck_assert_str_eq(pd_addr_str(&q.src, buf, sizeof(buf)), "10.77.0.2");
	ck_assert_str_eq(pd_addr_str(&q.dst, buf, sizeof(buf)), "192.0.2.1");
	n = icmp_unreach(m, true);
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP6, m, n, &type, &q), PD_ICMP_ERROR);
	ck_assert_str_eq(pd_addr_str(&q.src, buf, sizeof(buf)), "fd77::2");
	ck_assert_uint_eq(q.sport, 40000);
	/* control and plain */
	m[0] = 135;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP6, m, 24, &type, &q), PD_ICMP_CONTROL);
	ck_assert_uint_eq(type, 135);
	m[0] = 128;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP6, m, 24, &type, &q), PD_ICMP_PLAIN);
	m[0] = 8;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, 24, &type, &q), PD_ICMP_PLAIN);
}
END_TEST

/* Errors cut anywhere before the quoted ports are plain ICMP, never a read past the end. */
START_TEST(icmp_truncated)
{
	uint8_t m[200], type;
	struct pd_pkt q;
	size_t n, cut;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		n = icmp_unreach(m, v6);
		for (cut = 0; cut < n; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);
			memcpy(copy, m, cut);
			enum pd_icmp_kind k = pd_icmp_classify(v6 ? PD_L4_ICMP6 : PD_L4_ICMP, copy,
			                                       cut, &type, &q);
			size_t need = 8 + (v6 ? 40 : 20) + 4;
			ck_assert_msg(k == (cut >= need ? PD_ICMP_ERROR : PD_ICMP_PLAIN),
			              "v6 %d cut %zu: %d", v6, cut, k);
			free(copy);
		}
	}
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, 0, &type, &q), PD_ICMP_PLAIN);
	ck_assert_uint_eq(type, 0);
}
END_TEST

START_TEST(icmp_hostile)
{
	uint8_t m[200], type;
	struct pd_pkt q;
	size_t n;

	/* IHL below 5, IHL past the data, version 7, an IPv6 datagram quoted by ICMPv4 */
	n = icmp_unreach(m, false);
	m[8] = 0x42;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, n, &type, &q), PD_ICMP_PLAIN);
	m[8] = 0x4f;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, n, &type, &q), PD_ICMP_PLAIN);
	m[8] = 0x75;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, n, &type, &q), PD_ICMP_PLAIN);
	n = icmp_unreach(m, true);
	m[0] = 3;
	ck_assert_int_eq(pd_icmp_classify(PD_L4_ICMP, m, n, &type, &q), PD_ICMP_PLAIN);
	/* not ICMP at all */
	ck_assert_int_eq(pd_icmp_classify(PD_L4_UDP, m, n, &type, &q), PD_ICMP_PLAIN);
}
END_TEST

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void flow(sqlite3 *db, const char *proto, const char *c, int cp, const char *s, int sp,
                 const char *state, const char *app)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
	         "INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, "
	         "server_port, first_ns, last_ns, packets_out, bytes_out, packets_in, bytes_in, "
	         "tcp_state, app_proto) VALUES (1, '%s', '%s', %d, '%s', %d, 0, 0, 1, 1, 1, 1, "
	         "%s%s%s, %s%s%s)",
	         proto, c, cp, s, sp, state ? "'" : "", state ? state : "NULL", state ? "'" : "",
	         app ? "'" : "", app ? app : "NULL", app ? "'" : "");
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* Inference from a capture's flows, storage in capture_locals, flows.direction. */
START_TEST(infer_store)
{
	struct pd_store *st;
	struct pd_subject s, back;
	char eb[PD_ERRBUF_SIZE];
	sqlite3 *db;
	int i;

	ck_assert_int_eq(pd_store_open(NULL, false, &st, eb), PD_OK);
	db = pd_store_db(st);
	ck_assert_int_eq(sqlite3_exec(db,
	                              "INSERT INTO captures(id, path, size, sha256, format, "
	                              "link_types, packets, bytes, ingested_at, tool_version) "
	                              "VALUES (1, 'x', 1, 'h', 'pcap', 'ether', 0, 0, 0, 't')",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	/* a web server 10.77.0.2: asks DNS once, makes one call, serves three clients */
	flow(db, "udp", "10.77.0.2", 40000, "10.77.0.1", 53, NULL, "dns");
	flow(db, "tcp", "10.77.0.2", 40001, "192.0.2.9", 443, "established", "tls");
	for (i = 0; i < 3; i++)
		flow(db, "tcp", "10.77.0.50", 50000 + i, "10.77.0.2", 443, "established", "tls");
	flow(db, "udp", "10.77.0.2", 5353, "224.0.0.251", 5353, NULL, "dns");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(pd_subject_infer(db, 1, NULL, &s, eb), PD_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.l[0].source, PD_LOCAL_INFERRED);
	ck_assert_int_eq(pd_subject_store(db, 1, &s, eb), PD_OK);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM flows WHERE direction = 'egress'"), 2);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM flows WHERE direction = 'ingress'"), 3);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM flows WHERE direction = 'control'"), 1);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM capture_locals WHERE source = "
	                            "'inferred' AND ip = '10.77.0.2'"),
	                 1);
	ck_assert_int_eq(pd_subject_load(db, 1, &back, eb), PD_OK);
	ck_assert_uint_eq(back.n, 1);
	ck_assert_uint_eq(back.l[0].source, PD_LOCAL_INFERRED);

	/* more DNS clients than PD_SUBJECT_MAX_INFERRED: nothing inferred, all transit */
	for (i = 0; i < PD_SUBJECT_MAX_INFERRED; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.78.0.%d", i + 2);
		flow(db, "udp", ip, 40000, "10.77.0.1", 53, NULL, "dns");
	}
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(pd_subject_infer(db, 1, NULL, &s, eb), PD_OK);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM capture_locals", NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(pd_subject_store(db, 1, &s, eb), PD_OK);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM flows WHERE direction NOT IN "
	                            "('transit', 'control')"),
	                 0);

	/* no DNS at all: the opener of most connections */
	ck_assert_int_eq(
	        sqlite3_exec(db, "DELETE FROM flows WHERE app_proto = 'dns'", NULL, NULL, NULL),
	        SQLITE_OK);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(pd_subject_infer(db, 1, NULL, &s, eb), PD_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.l[0].addr.a[3], 50);
	/* an option given: nothing inferred on top */
	{
		static const char *const l[] = { "10.77.0.2", NULL };
		s = subj(l);
		ck_assert_int_eq(pd_subject_infer(db, 1, NULL, &s, eb), PD_OK);
		ck_assert_uint_eq(s.n, 1);
		ck_assert_uint_eq(s.l[0].source, PD_LOCAL_OPTION);
	}
	pd_store_close(st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subject");
	TCase *tc = tcase_create("subject");

	tcase_add_test(tc, local_valid);
	tcase_add_test(tc, local_truncated);
	tcase_add_test(tc, local_hostile);
	tcase_add_test(tc, direction);
	tcase_add_test(tc, orientation);
	tcase_add_test(tc, control);
	tcase_add_test(tc, icmp_valid);
	tcase_add_test(tc, icmp_truncated);
	tcase_add_test(tc, icmp_hostile);
	tcase_add_test(tc, infer_store);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
