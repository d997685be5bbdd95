/*
 * test_community_id.c - report/community_id.c against the published test vectors of the
 * Community ID spec (corelight/community-id-spec, baseline/baseline_deflt.json, seed 0):
 * TCP, UDP, SCTP, ICMP and ICMPv6 over IPv4 and IPv6, both directions of each flow; ICMP
 * inputs are the (type, code) of the messages in the spec's pcaps/icmp*.pcap, mapped here.
 * Truncated: addresses and protocols a report row cannot hash. Hostile: text that is not
 * an address, out-of-range ports and protocol numbers.
 */
#include <arpa/inet.h>
#include <string.h>

#include "community_id.h"
#include "testutil.h"

static const char *ip_cid(const char *s, const char *d, uint8_t proto, uint16_t sp, uint16_t dp,
                          bool one_way, char out[PD_CID_LEN])
{
	uint8_t a[16], b[16];
	unsigned alen = strchr(s, ':') ? 16 : 4;

	ck_assert_int_eq(inet_pton(alen == 4 ? AF_INET : AF_INET6, s, a), 1);
	ck_assert_int_eq(inet_pton(alen == 4 ? AF_INET : AF_INET6, d, b), 1);
	return pd_cid_v1(0, a, b, alen, proto, sp, dp, one_way, out);
}

/* An ICMP/ICMPv6 message (type, code) from s to d. */
static const char *icmp_cid(const char *s, const char *d, uint8_t proto, uint8_t type, uint8_t code,
                            char out[PD_CID_LEN])
{
	uint16_t sp, dp;
	bool one_way;

	pd_cid_icmp_ports(proto, type, code, &sp, &dp, &one_way);
	return ip_cid(s, d, proto, sp, dp, one_way, out);
}

START_TEST(valid)
{
	char o[PD_CID_LEN];

	/* TCP over IPv4 and IPv6, both directions */
	ck_assert_str_eq(pd_cid_text("tcp", "128.232.110.120", 34855, "66.35.250.204", 80, o),
	                 "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	ck_assert_str_eq(pd_cid_text("tcp", "66.35.250.204", 80, "128.232.110.120", 34855, o),
	                 "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	ck_assert_str_eq(pd_cid_text("tcp", "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
	                             "2607:f8b0:400c:c03::1a", 25, o),
	                 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
	ck_assert_str_eq(pd_cid_text("tcp", "2607:f8b0:400c:c03::1a", 25,
	                             "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, o),
	                 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
	/* UDP */
	ck_assert_str_eq(pd_cid_text("udp", "192.168.1.52", 54585, "8.8.8.8", 53, o),
	                 "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	ck_assert_str_eq(pd_cid_text("udp", "8.8.8.8", 53, "192.168.1.52", 54585, o),
	                 "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	/* SCTP (equal ports: the addresses decide) */
	ck_assert_str_eq(pd_cid_text("sctp", "192.168.170.8", 7, "192.168.170.56", 7, o),
	                 "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
	ck_assert_str_eq(pd_cid_text("sctp", "192.168.170.56", 7, "192.168.170.8", 7, o),
	                 "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
	/* another IP protocol (46, RSVP): no ports hashed */
	ck_assert_str_eq(pd_cid_text("ip-46", "10.1.12.1", 0, "10.1.12.2", 0, o),
	                 "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
	ck_assert_str_eq(pd_cid_text("ip-46", "10.1.12.2", 0, "10.1.12.1", 0, o),
	                 "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");

	/* ICMP: echo request and its reply hash alike; time exceeded is one-way */
	ck_assert_str_eq(icmp_cid("192.168.0.89", "192.168.0.1", 1, 8, 0, o),
	                 "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	ck_assert_str_eq(icmp_cid("192.168.0.1", "192.168.0.89", 1, 0, 0, o),
	                 "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	ck_assert_str_eq(icmp_cid("10.0.0.1", "10.0.0.2", 1, 11, 0, o),
	                 "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
	/* ICMPv6: neighbour solicitation/advertisement pairs, from either side */
	ck_assert_str_eq(
	        icmp_cid("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 0, o),
	        "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	ck_assert_str_eq(
	        icmp_cid("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 0, o),
	        "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	ck_assert_str_eq(
	        icmp_cid("fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 0, o),
	        "1:zavyT/cezQr1fmImYCwYnMXbgck=");
	ck_assert_str_eq(
	        icmp_cid("fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 136, 0, o),
	        "1:zavyT/cezQr1fmImYCwYnMXbgck=");
	/* ICMPv6 one-way: time exceeded (3/0), destination unreachable (1/4) */
	ck_assert_str_eq(
	        icmp_cid("3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, o),
	        "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=");
	ck_assert_str_eq(icmp_cid("3ffe:501:410:0:2c0:dfff:fe47:33e",
	                          "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4, o),
	                 "1:hLZd0XGWojozrvxqE0dWB1iM6R0=");
	/* ICMPv6 echo request and reply */
	ck_assert_str_eq(
	        icmp_cid("3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 58, 128, 0, o),
	        "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");
	ck_assert_str_eq(
	        icmp_cid("3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 129, 0, o),
	        "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");
	/* router solicitation to ff02::2, advertisement to ff02::1 */
	ck_assert_str_eq(icmp_cid("fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 0, o),
	                 "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
	ck_assert_str_eq(icmp_cid("fe80::260:97ff:fe07:69ea", "ff02::1", 58, 134, 0, o),
	                 "1:pkvHqCL88/tg1k4cPigmZXUtL00=");
}
END_TEST

START_TEST(truncated)
{
	char o[PD_CID_LEN];
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };

	/* address lengths other than 4 and 16 */
	ck_assert_str_eq(pd_cid_v1(0, a, b, 3, 6, 1, 2, false, o), "");
	ck_assert_str_eq(pd_cid_v1(0, a, b, 0, 6, 1, 2, false, o), "");
	/* ICMP flows as stored (ports 0, type unknown): no ID rather than a wrong one */
	ck_assert_str_eq(pd_cid_text("icmp", "10.0.0.1", 0, "10.0.0.2", 0, o), "");
	ck_assert_str_eq(pd_cid_text("icmp6", "fd00::1", 0, "fd00::2", 0, o), "");
	/* missing parts */
	ck_assert_str_eq(pd_cid_text(NULL, "10.0.0.1", 1, "10.0.0.2", 2, o), "");
	ck_assert_str_eq(pd_cid_text("tcp", NULL, 1, "10.0.0.2", 2, o), "");
	ck_assert_str_eq(pd_cid_text("tcp", "10.0.0.1", 1, "", 2, o), "");
	ck_assert_str_eq(pd_cid_text("ip-", "10.0.0.1", 1, "10.0.0.2", 2, o), "");
}
END_TEST

START_TEST(hostile)
{
	char o[PD_CID_LEN];

	/* mixed families, non-addresses, ports and protocol numbers out of range */
	ck_assert_str_eq(pd_cid_text("tcp", "10.0.0.1", 1, "fd00::2", 2, o), "");
	ck_assert_str_eq(pd_cid_text("tcp", "10.0.0.1<script>", 1, "10.0.0.2", 2, o), "");
	ck_assert_str_eq(pd_cid_text("tcp", "10.0.0.1", 65536, "10.0.0.2", 2, o), "");
	ck_assert_str_eq(pd_cid_text("ip-256", "10.0.0.1", 0, "10.0.0.2", 0, o), "");
	ck_assert_str_eq(pd_cid_text("ip-6x", "10.0.0.1", 0, "10.0.0.2", 0, o), "");
	ck_assert_str_eq(pd_cid_text("ip-1", "10.0.0.1", 0, "10.0.0.2", 0, o), "");
	ck_assert_str_eq(pd_cid_text("TCP", "10.0.0.1", 1, "10.0.0.2", 2, o), "");
	/* equal addresses: the ports order the endpoints, so both directions agree */
	{
		char p[PD_CID_LEN];

		pd_cid_text("tcp", "127.0.0.1", 5000, "127.0.0.1", 80, o);
		pd_cid_text("tcp", "127.0.0.1", 80, "127.0.0.1", 5000, p);
		ck_assert_str_eq(o, p);
		ck_assert_uint_eq(strlen(o), 30);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("community_id");
	TCase *tc = tcase_create("community_id");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
