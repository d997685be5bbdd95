/*
 * test_decode.c - link layers, IPv4/IPv6, TCP/UDP/ICMP and fragment reassembly. Frames are
 * built in C by tests/capbuild.h (pk_* functions: fields written one by one per RFC 791, 8200,
 * 768, 9293) and wrapped in each link layer here.
 */
#include <stdio.h>

#include "capbuild.h"
#include "decode.h"
#include "testutil.h"

static const uint8_t A4[4] = { 10, 1, 0, 1 }, B4[4] = { 10, 1, 0, 2 };
static const uint8_t A6[16] = { 0xfd, 0, 0, 1, [15] = 1 }, B6[16] = { 0xfd, 0, 0, 1, [15] = 2 };

static struct pd_decoder *dec;

static void setup(void)
{
	dec = pd_decoder_new();
	ck_assert_ptr_nonnull(dec);
}

static void teardown(void)
{
	pd_decoder_free(dec);
}

static enum pd_err run(int linktype, const uint8_t *b, size_t len, struct pd_pkt *p)
{
	struct pd_frame f = { 0 };
	f.ts_ns = 1000;
	f.caplen = f.origlen = (uint32_t)len;
	f.linktype = linktype;
	f.data = b;
	return pd_decode(dec, &f, p);
}

/* IPv4/UDP 10.1.0.1:5353 > 10.1.0.2:53 with payload "hello". */
static size_t ip4_udp(uint8_t *out)
{
	uint8_t u[64];
	return pk_ip4(out, 17, A4, B4, 1, 0x4000, u, pk_udp(u, 5353, 53, "hello", 5));
}

/* IPv6/TCP fd00:1::1:40000 > fd00:1::2:443 SYN|ACK with payload "hi". */
static size_t ip6_tcp(uint8_t *out)
{
	uint8_t t[64];
	return pk_ip6(out, 6, A6, B6, t, pk_tcp(t, 40000, 443, 100, 200, 0x12, "hi", 2));
}

static void check_udp4(const struct pd_pkt *p)
{
	char s[64];
	ck_assert_str_eq(pd_addr_str(&p->src, s, sizeof(s)), "10.1.0.1");
	ck_assert_str_eq(pd_addr_str(&p->dst, s, sizeof(s)), "10.1.0.2");
	ck_assert_uint_eq(p->proto, PD_L4_UDP);
	ck_assert_uint_eq(p->sport, 5353);
	ck_assert_uint_eq(p->dport, 53);
	ck_assert_uint_eq(p->ip_len, 33);
	ck_assert_uint_eq(p->payload_len, 5);
	ck_assert_uint_eq(p->payload_wire_len, 5);
	ck_assert_mem_eq(p->payload, "hello", 5);
	ck_assert_int_eq(p->ts_ns, 1000);
}

static void check_tcp6(const struct pd_pkt *p)
{
	char s[64];
	ck_assert_str_eq(pd_addr_str(&p->src, s, sizeof(s)), "fd00:1::1");
	ck_assert_str_eq(pd_addr_str(&p->dst, s, sizeof(s)), "fd00:1::2");
	ck_assert_uint_eq(p->proto, PD_L4_TCP);
	ck_assert_uint_eq(p->sport, 40000);
	ck_assert_uint_eq(p->dport, 443);
	ck_assert_uint_eq(p->seq, 100);
	ck_assert_uint_eq(p->ack, 200);
	ck_assert_uint_eq(p->tcp_flags, PD_TCP_SYN | PD_TCP_ACK);
	ck_assert_uint_eq(p->payload_len, 2);
	ck_assert_mem_eq(p->payload, "hi", 2);
}

START_TEST(valid)
{
	uint8_t ip[200], ip6[200], fr[300], tmp[300];
	size_t n4 = ip4_udp(ip), n6 = ip6_tcp(ip6), n;
	struct pd_pkt p;
	int lt;

	/* Ethernet. */
	n = pk_eth(fr, 0x0800, ip, n4);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_OK);
	check_udp4(&p);
	n = pk_eth(fr, 0x86DD, ip6, n6);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_OK);
	check_tcp6(&p);
	/* Ethernet padding after a short datagram is not payload. */
	memset(fr + n4 + 14, 0xee, 20);
	n = pk_eth(fr, 0x0800, ip, n4);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n + 20, &p), PD_OK);
	check_udp4(&p);

	/* 802.1ad outer tag, 802.1Q inner tag, then IPv6. */
	memcpy(tmp, "\x00\x64\x81\x00\x00\xc8\x86\xdd", 8);
	memcpy(tmp + 8, ip6, n6);
	n = pk_eth(fr, 0x88A8, tmp, 8 + n6);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_OK);
	check_tcp6(&p);

	/* A VLAN tag, then MPLS with two labels (bottom of stack on the second), then IPv4. */
	memcpy(tmp,
	       "\x00\x0a\x88\x47"
	       "\x00\x01\x00\x40"
	       "\x00\x02\x01\x40",
	       12);
	memcpy(tmp + 12, ip, n4);
	n = pk_eth(fr, 0x8100, tmp, 12 + n4);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_OK);
	check_udp4(&p);

	/* PPP link types (RFC 1661/1662): bare PPP, HDLC-like framing, PPPoE (RFC 2516). */
	memcpy(fr, "\xff\x03\x00\x57", 4);
	memcpy(fr + 4, ip6, n6);
	ck_assert_int_eq(run(PD_LINK_PPP, fr, 4 + n6, &p), PD_OK);
	check_tcp6(&p);
	ck_assert_int_eq(run(PD_LINK_PPP_HDLC, fr, 4 + n6, &p), PD_OK);
	check_tcp6(&p);
	memcpy(fr, "\x11\x00\x00\x07\x00\x00\x00\x21", 8);
	fr[5] = (uint8_t)(n4 + 2);
	memcpy(fr + 8, ip, n4);
	ck_assert_int_eq(run(PD_LINK_PPP_ETHER, fr, 8 + n4, &p), PD_OK);
	check_udp4(&p);
	/* PPPoE session inside a VLAN tag in Ethernet */
	memcpy(tmp, "\x00\x0a\x88\x64", 4);
	memcpy(tmp + 4, fr, 8 + n4);
	n = pk_eth(fr, 0x8100, tmp, 4 + 8 + n4);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_OK);
	check_udp4(&p);

	/* Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
	memset(fr, 0, 16);
	fr[14] = 0x86;
	fr[15] = 0xdd;
	memcpy(fr + 16, ip6, n6);
	ck_assert_int_eq(run(PD_LINK_LINUX_SLL, fr, 16 + n6, &p), PD_OK);
	check_tcp6(&p);

	/* Linux cooked v2. */
	n = pk_sll2(fr, 0x0800, ip, n4);
	ck_assert_int_eq(run(PD_LINK_LINUX_SLL2, fr, n, &p), PD_OK);
	check_udp4(&p);

	/* Raw IP under every number it goes by, and the IPv4/IPv6 link types. */
	for (lt = 0; lt < 3; lt++) {
		static const int raw[] = { PD_LINK_RAW, 12, 14 };
		ck_assert_int_eq(run(raw[lt], ip, n4, &p), PD_OK);
		check_udp4(&p);
		ck_assert_int_eq(run(raw[lt], ip6, n6, &p), PD_OK);
		check_tcp6(&p);
	}
	ck_assert_int_eq(run(PD_LINK_IPV4, ip, n4, &p), PD_OK);
	check_udp4(&p);
	ck_assert_int_eq(run(PD_LINK_IPV6, ip6, n6, &p), PD_OK);
	check_tcp6(&p);

	/* NULL/LOOP: AF_INET 2 little-endian, AF_INET6 of the BSDs (24, 28, 30) either order. */
	memcpy(fr, "\x02\x00\x00\x00", 4);
	memcpy(fr + 4, ip, n4);
	ck_assert_int_eq(run(PD_LINK_NULL, fr, 4 + n4, &p), PD_OK);
	check_udp4(&p);
	memcpy(fr + 4, ip6, n6);
	for (lt = 0; lt < 3; lt++) {
		static const uint8_t afs[] = { 24, 28, 30 };
		memset(fr, 0, 4);
		fr[3] = afs[lt]; /* big-endian */
		ck_assert_int_eq(run(PD_LINK_LOOP, fr, 4 + n6, &p), PD_OK);
		check_tcp6(&p);
		memset(fr, 0, 4);
		fr[0] = afs[lt]; /* little-endian */
		ck_assert_int_eq(run(PD_LINK_NULL, fr, 4 + n6, &p), PD_OK);
		check_tcp6(&p);
	}

	/* NFLOG (little-endian TLVs): header, NFULA_PREFIX "x" (len 5, padded), NFULA_PAYLOAD. */
	memcpy(fr,
	       "\x02\x00\x00\x01"
	       "\x05\x00\x0a\x00"
	       "x\0\0\0",
	       12);
	fr[12] = (uint8_t)(4 + n4);
	fr[13] = 0;
	fr[14] = 9;
	fr[15] = 0;
	memcpy(fr + 16, ip, n4);
	ck_assert_int_eq(run(PD_LINK_NFLOG, fr, 16 + n4, &p), PD_OK);
	check_udp4(&p);
	/* The same written by a big-endian host. */
	memcpy(fr,
	       "\x0a\x00\x00\x01"
	       "\x00\x05\x00\x0a"
	       "x\0\0\0",
	       12);
	fr[12] = 0;
	fr[13] = (uint8_t)(4 + n6);
	fr[14] = 0;
	fr[15] = 9;
	memcpy(fr + 16, ip6, n6);
	ck_assert_int_eq(run(PD_LINK_NFLOG, fr, 16 + n6, &p), PD_OK);
	check_tcp6(&p);
	/* Big-endian TLVs in a frame longer than 2048 bytes: the first TLV's length 8 read
	 * little-endian is 2048 and fits, but its type then reads 0x0a00, not a NFULA type. */
	{
		static uint8_t big[2400];
		memcpy(big,
		       "\x0a\x00\x00\x01"
		       "\x00\x08\x00\x0a"
		       "abcd",
		       12);
		big[12] = 0;
		big[13] = (uint8_t)(4 + n6);
		big[14] = 0;
		big[15] = 9;
		memcpy(big + 16, ip6, n6);
		ck_assert_int_eq(run(PD_LINK_NFLOG, big, sizeof(big), &p), PD_OK);
		check_tcp6(&p);
	}
}
END_TEST

/* IPv4 options, TCP options, IPv6 extension headers, ICMP, snaplen-cut payloads. */
START_TEST(layers)
{
	uint8_t ip[300], t[200], ext[300];
	struct pd_pkt p;
	size_t n, tl;
	char s[64];
	struct pd_addr a, b;

	/* IPv4 with 4 bytes of options (IHL 6): header rebuilt with the option inserted. */
	n = ip4_udp(t);
	memcpy(ip, t, 20);
	ip[0] = 0x46;
	ip[3] += 4;
	memcpy(ip + 20, "\x01\x01\x01\x00", 4); /* NOP NOP NOP EOL */
	memcpy(ip + 24, t + 20, n - 20);
	ck_assert_int_eq(run(PD_LINK_RAW, ip, n + 4, &p), PD_OK);
	ck_assert_uint_eq(p.ip_len, 37);
	ck_assert_mem_eq(p.payload, "hello", 5);

	/* TCP with 12 bytes of options (data offset 8). */
	tl = pk_tcp(t, 1, 2, 3, 4, PD_TCP_PSH | PD_TCP_ACK, NULL, 0);
	t[12] = 8 << 4;
	memset(t + 20, 1, 12);
	memcpy(t + 32, "data", 4);
	n = pk_ip4(ip, 6, A4, B4, 9, 0, t, tl + 16);
	ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_OK);
	ck_assert_uint_eq(p.tcp_flags, PD_TCP_PSH | PD_TCP_ACK);
	ck_assert_uint_eq(p.payload_len, 4);
	ck_assert_mem_eq(p.payload, "data", 4);

	/* Snaplen cut in the payload: payload_len < payload_wire_len. */
	ck_assert_int_eq(run(PD_LINK_RAW, ip, n - 3, &p), PD_OK);
	ck_assert_uint_eq(p.payload_len, 1);
	ck_assert_uint_eq(p.payload_wire_len, 4);
	ck_assert_uint_eq(p.ip_len, n);

	/* IPv6: hop-by-hop (8) -> destination options (16) -> AH (12 + 4 ICV = 16) -> UDP. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 60;
	ext[1] = 0;
	ext[8] = 51;
	ext[9] = 1;
	ext[24] = 17;
	ext[25] = 2; /* (2 + 2) * 4 = 16 bytes */
	tl = pk_udp(ext + 40, 53, 5353, "answer", 6);
	n = pk_ip6(ip, 0, A6, B6, ext, 40 + tl);
	ck_assert_int_eq(run(PD_LINK_IPV6, ip, n, &p), PD_OK);
	ck_assert_uint_eq(p.proto, PD_L4_UDP);
	ck_assert_uint_eq(p.sport, 53);
	ck_assert_mem_eq(p.payload, "answer", 6);
	ck_assert_uint_eq(p.ip_len, n);

	/* ICMP and ICMPv6 are counted and passed on. */
	n = pk_ip4(ip, 1, A4, B4, 1, 0, "\x08\x00\x00\x00\x00\x01\x00\x01", 8);
	ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_OK);
	ck_assert_uint_eq(p.proto, PD_L4_ICMP);
	n = pk_ip6(ip, 58, A6, B6, "\x80\x00\x00\x00\x00\x01\x00\x01", 8);
	ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_OK);
	ck_assert_uint_eq(p.proto, PD_L4_ICMP6);
	ck_assert_uint_eq(pd_decoder_stats(dec)->icmp, 2);

	/* ARP is not IP; an unknown link type is unsupported; both counted. */
	memset(t, 0, 28);
	n = pk_eth(ip, 0x0806, t, 28);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, ip, n, &p), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(run(147, ip, n, &p), PD_ERR_UNSUPPORTED);
	ck_assert_uint_eq(pd_decoder_stats(dec)->not_ip, 1);
	ck_assert_uint_eq(pd_decoder_stats(dec)->unsupported_link, 1);

	/* Addresses. */
	ck_assert_int_eq(pd_addr_parse("10.1.2.3", &a), PD_OK);
	ck_assert_uint_eq(a.family, 4);
	ck_assert_str_eq(pd_addr_str(&a, s, sizeof(s)), "10.1.2.3");
	ck_assert_int_eq(pd_addr_parse("fd00:1::2", &b), PD_OK);
	ck_assert_uint_eq(b.family, 6);
	ck_assert_mem_eq(b.a, B6, 16);
	ck_assert_int_eq(pd_addr_parse("10.1.2", &a), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_addr_parse("", &a), PD_ERR_MALFORMED);
	ck_assert_int_eq(pd_addr_parse("fd00::1::2", &a), PD_ERR_MALFORMED);
	/* Decoded and parsed addresses compare equal on all 17 bytes. */
	n = ip4_udp(ip);
	ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_OK);
	ck_assert_int_eq(pd_addr_parse("10.1.0.1", &a), PD_OK);
	ck_assert_mem_eq(&a, &p.src, sizeof(a));
}
END_TEST

/* Every header cut short by the capture, at every length. */
START_TEST(truncated)
{
	uint8_t ip[200], ip6[200], fr[300];
	size_t n4 = ip4_udp(ip), n6 = ip6_tcp(ip6), n, cut;
	struct pd_pkt p;
	uint64_t before;

	/* Ethernet/IPv4/UDP: cut anywhere before the end of the UDP header. */
	n = pk_eth(fr, 0x0800, ip, n4);
	for (cut = 0; cut < 14 + 20 + 8; cut++)
		ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, cut, &p), PD_ERR_TRUNCATED);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, 14 + 20 + 8, &p), PD_OK);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(p.payload_wire_len, 5);
	/* SLL2/IPv6/TCP: cut before the end of the TCP header. */
	n = pk_sll2(fr, 0x86DD, ip6, n6);
	for (cut = 0; cut < 20 + 40 + 20; cut++)
		ck_assert_int_eq(run(PD_LINK_LINUX_SLL2, fr, cut, &p), PD_ERR_TRUNCATED);
	/* SLL v1, NULL and NFLOG headers cut. */
	for (cut = 0; cut < 16; cut++)
		ck_assert_int_eq(run(PD_LINK_LINUX_SLL, fr, cut, &p), PD_ERR_TRUNCATED);
	for (cut = 0; cut < 4; cut++) {
		ck_assert_int_eq(run(PD_LINK_NULL, fr, cut, &p), PD_ERR_TRUNCATED);
		ck_assert_int_eq(run(PD_LINK_NFLOG, fr, cut, &p), PD_ERR_TRUNCATED);
	}
	/* PPP and PPPoE headers cut at every length before the IP header. */
	memcpy(fr, "\x11\x00\x00\x07\x00\x1f\x00\x21", 8);
	memcpy(fr + 8, ip, n4);
	for (cut = 0; cut < 8; cut++)
		ck_assert_int_eq(run(PD_LINK_PPP_ETHER, fr, cut, &p), PD_ERR_TRUNCATED);
	memcpy(fr + 4, "\xff\x03\x00\x21", 4);
	for (cut = 0; cut < 4; cut++) {
		ck_assert_int_eq(run(PD_LINK_PPP, fr + 4, cut, &p), PD_ERR_TRUNCATED);
		ck_assert_int_eq(run(PD_LINK_PPP_HDLC, fr + 4, cut, &p), PD_ERR_TRUNCATED);
	}
	/* A VLAN tag cut in half. */
	n = pk_eth(fr, 0x8100, "\x00\x01", 2);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_ERR_TRUNCATED);
	ck_assert_int_eq(run(PD_LINK_RAW, fr, 0, &p), PD_ERR_TRUNCATED);
	before = pd_decoder_stats(dec)->truncated;
	ck_assert_uint_gt(before, 100);
	(void)n;
}
END_TEST

/* Impossible field values, hand-made from valid frames by overwriting one field each. */
START_TEST(hostile)
{
	uint8_t ip[200], ip6[200], fr[400], t[64];
	size_t n4 = ip4_udp(ip), n6 = ip6_tcp(ip6), n, i;
	struct pd_pkt p;

	memcpy(fr, ip, n4);
	fr[0] = 0x44; /* IHL 4 < 5 */
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n4, &p), PD_ERR_MALFORMED);
	fr[0] = 0x4f; /* IHL 15: 60 bytes, more than captured */
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n4, &p), PD_ERR_TRUNCATED);
	memcpy(fr, ip, n4);
	fr[2] = 0;
	fr[3] = 10; /* total length 10 < header */
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n4, &p), PD_ERR_MALFORMED);
	memcpy(fr, ip, n4);
	fr[0] = 0x65; /* IPv4 link type carrying version 6 */
	ck_assert_int_eq(run(PD_LINK_IPV4, fr, n4, &p), PD_ERR_MALFORMED);
	memcpy(fr, ip, n4);
	fr[0] = 0x55; /* version 5 on raw IP */
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n4, &p), PD_ERR_UNSUPPORTED);
	memcpy(fr, ip, n4);
	fr[24] = 0;
	fr[25] = 3; /* UDP length 3 < 8: the IP length is used */
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n4, &p), PD_OK);
	ck_assert_uint_eq(p.payload_len, 5);

	/* TCP data offset 4 (< 5) and 15 (60 bytes, past the datagram). */
	memcpy(fr, ip6, n6);
	fr[40 + 12] = 4 << 4;
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n6, &p), PD_ERR_MALFORMED);
	fr[40 + 12] = 15 << 4;
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n6, &p), PD_ERR_MALFORMED);

	/* Nine stacked VLAN tags (more than PD_MAX_VLAN_TAGS). */
	for (i = 0; i < 9; i++)
		memcpy(t + 4 * i, "\x00\x01\x81\x00", 4);
	n = pk_eth(fr, 0x8100, t, 36);
	memcpy(fr + n, ip, n4);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n + n4, &p), PD_ERR_MALFORMED);
	/* MPLS labels never reaching the bottom of the stack. */
	memset(t, 0, 64);
	n = pk_eth(fr, 0x8847, t, 64);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, fr, n, &p), PD_ERR_MALFORMED);

	/* IPv6: a chain of 20 destination-options headers (more than PD_MAX_IP6_EXT). */
	memset(t, 0, sizeof(t));
	{
		uint8_t chain[200];
		for (i = 0; i < 20; i++) {
			chain[8 * i] = 60;
			memset(chain + 8 * i + 1, 0, 7);
		}
		n = pk_ip6(fr, 60, A6, B6, chain, 160);
		ck_assert_int_eq(run(PD_LINK_RAW, fr, n, &p), PD_ERR_MALFORMED);
		/* An extension header longer than the payload length. */
		chain[0] = 17;
		chain[1] = 200;
		n = pk_ip6(fr, 60, A6, B6, chain, 16);
		ck_assert_int_eq(run(PD_LINK_RAW, fr, n, &p), PD_ERR_MALFORMED);
	}

	/* NFLOG: a TLV with length 0 either way; TLVs without a payload. */
	memcpy(fr,
	       "\x02\x00\x00\x01"
	       "\x00\x00\x09\x00",
	       8);
	ck_assert_int_eq(run(PD_LINK_NFLOG, fr, 8, &p), PD_ERR_MALFORMED);
	memcpy(fr,
	       "\x02\x00\x00\x01"
	       "\x08\x00\x01\x00"
	       "abcd",
	       12);
	ck_assert_int_eq(run(PD_LINK_NFLOG, fr, 12, &p), PD_ERR_UNSUPPORTED);
	/* NULL with an unknown address family. */
	memcpy(fr, "\x00\x00\x00\x07", 4);
	ck_assert_int_eq(run(PD_LINK_NULL, fr, 4 + n4, &p), PD_ERR_UNSUPPORTED);
	/* PPP: VJ-compressed TCP (0x002d) is not IP to us; an unknown protocol neither; a PPPoE
	 * session in a session in a session (0x8864 is no PPP protocol): refused, not looped. */
	memcpy(fr, "\xff\x03\x00\x2d", 4);
	ck_assert_int_eq(run(PD_LINK_PPP, fr, 4 + n4, &p), PD_ERR_UNSUPPORTED);
	memcpy(fr, "\x88\x64\x11\x00\x00\x01\x00\x20\x88\x64", 10);
	ck_assert_int_eq(run(PD_LINK_PPP, fr, 10 + n4, &p), PD_ERR_UNSUPPORTED);
	for (i = 0; i < 12; i++)
		memcpy(fr + 4 * i, "\x81\x00\x00\x01", 4); /* VLAN tags past the limit */
	n = pk_eth(t, 0x8864, fr, 8); /* PPPoE whose version/type is not 0x11 */
	ck_assert_int_eq(run(PD_LINK_ETHERNET, t, n, &p), PD_ERR_MALFORMED);
	ck_assert_uint_gt(pd_decoder_stats(dec)->malformed, 5);
}
END_TEST

/* Fragment frames of one IPv4/UDP datagram of plen payload bytes, 'size' bytes each. */
static enum pd_err frag4(uint16_t id, const uint8_t *udp, size_t ulen, size_t off, size_t len,
                         bool more, int64_t ts, struct pd_pkt *p)
{
	uint8_t ip[2000];
	struct pd_frame f = { 0 };
	size_t n = pk_ip4(ip, 17, A4, B4, id, (uint16_t)((off / 8) | (more ? 0x2000 : 0)),
	                  udp + off, len);
	(void)ulen;
	f.ts_ns = ts;
	f.caplen = f.origlen = (uint32_t)n;
	f.linktype = PD_LINK_RAW;
	f.data = ip;
	return pd_decode(dec, &f, p);
}

START_TEST(fragments)
{
	uint8_t pl[3000], udp[3100], fr[3200], ext[3200];
	struct pd_pkt p;
	size_t ul, i, n;
	const struct pd_decode_stats *st = pd_decoder_stats(dec);

	for (i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7);
	ul = pk_udp(udp, 53, 5353, pl, 2992); /* 3000 bytes of UDP */

	/* In order: 0-1479, 1480-2959, 2960-2999. */
	ck_assert_int_eq(frag4(1, udp, ul, 0, 1480, true, 1, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(1, udp, ul, 1480, 1480, true, 2, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(1, udp, ul, 2960, 40, false, 3, &p), PD_OK);
	ck_assert(p.reassembled);
	ck_assert_uint_eq(p.sport, 53);
	ck_assert_uint_eq(p.payload_len, 2992);
	ck_assert_mem_eq(p.payload, pl, 2992);
	ck_assert_uint_eq(p.ip_len, 3020);

	/* Out of order, with an exact duplicate. */
	ck_assert_int_eq(frag4(2, udp, ul, 2960, 40, false, 1, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(2, udp, ul, 1480, 1480, true, 2, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(2, udp, ul, 1480, 1480, true, 2, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(2, udp, ul, 0, 1480, true, 3, &p), PD_OK);
	ck_assert_mem_eq(p.payload, pl, 2992);
	ck_assert_uint_eq(st->reassembled, 2);

	/* Overlap with different bytes (hostile: the classic Teardrop-style rewrite, made here by
	 * sending bytes 8.. of the datagram at offset 0): the datagram is dropped. */
	ck_assert_int_eq(frag4(3, udp, ul, 0, 1480, true, 1, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(3, udp + 8, ul, 0, 1480, true, 1, &p), PD_ERR_NEED_MORE);
	ck_assert_uint_eq(st->frag_dropped, 1);
	ck_assert_int_eq(frag4(3, udp, ul, 1480, 1480, true, 2, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(3, udp, ul, 2960, 40, false, 3, &p), PD_ERR_NEED_MORE);

	/* Past PD_MAX_FRAG_BYTES: offset 65528 + 16 bytes. */
	{
		uint8_t ip[100];
		struct pd_frame f = { 0 };
		n = pk_ip4(ip, 17, A4, B4, 4, 8191, pl, 16);
		f.caplen = (uint32_t)n;
		f.linktype = PD_LINK_RAW;
		f.data = ip;
		ck_assert_int_eq(pd_decode(dec, &f, &p), PD_ERR_NEED_MORE);
		ck_assert_uint_eq(st->frag_dropped, 2);
		/* A non-final fragment whose length is not a multiple of 8. */
		n = pk_ip4(ip, 17, A4, B4, 5, 0x2000, pl, 15);
		f.caplen = (uint32_t)n;
		ck_assert_int_eq(pd_decode(dec, &f, &p), PD_ERR_NEED_MORE);
		ck_assert_uint_eq(st->frag_dropped, 3);
		/* A fragment cut by the snaplen. */
		n = pk_ip4(ip, 17, A4, B4, 6, 0x2000, pl, 16);
		f.caplen = (uint32_t)n - 4;
		ck_assert_int_eq(pd_decode(dec, &f, &p), PD_ERR_TRUNCATED);
	}

	/* Timeout by capture time: the first half is forgotten 31 s later. */
	ck_assert_int_eq(frag4(7, udp, ul, 0, 1480, true, 0, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(7, udp, ul, 1480, 1480, true, 31000000000ll, &p), PD_ERR_NEED_MORE);
	ck_assert_int_eq(frag4(7, udp, ul, 2960, 40, false, 31000000001ll, &p), PD_ERR_NEED_MORE);

	/* More datagrams in progress than PD_MAX_FRAG_SETS: the oldest are evicted. */
	n = st->frag_dropped;
	for (i = 0; i < PD_MAX_FRAG_SETS + 10; i++)
		ck_assert_int_eq(frag4((uint16_t)(100 + i), udp, ul, 0, 8, true,
		                       40000000000ll + (int64_t)i, &p),
		                 PD_ERR_NEED_MORE);
	ck_assert_uint_ge(st->frag_dropped, n + 10);

	/* IPv6: fragment header then a destination-options header inside the fragmentable part.
	 * Fragmentable part: 8 bytes of dest options + 3000 bytes of UDP. */
	memset(ext, 0, 8);
	ext[0] = 17;
	memcpy(ext + 8, udp, ul);
	{
		size_t tot = 8 + ul, off = 0, chunk;
		uint8_t fh[1500];
		while (off < tot) {
			chunk = tot - off > 1232 ? 1232 : tot - off;
			fh[0] = 60; /* next header of the fragmentable part */
			fh[1] = 0;
			fh[2] = (uint8_t)(off >> 8);
			fh[3] = (uint8_t)((off & 0xF8) | (off + chunk < tot ? 1 : 0));
			memcpy(fh + 4, "\x12\x34\x56\x78", 4);
			memcpy(fh + 8, ext + off, chunk);
			n = pk_ip6(fr, 44, A6, B6, fh, 8 + chunk);
			off += chunk;
			ck_assert_int_eq(run(PD_LINK_IPV6, fr, n, &p),
			                 off < tot ? PD_ERR_NEED_MORE : PD_OK);
		}
	}
	ck_assert(p.reassembled);
	ck_assert_uint_eq(p.proto, PD_L4_UDP);
	ck_assert_uint_eq(p.payload_len, 2992);
	ck_assert_mem_eq(p.payload, pl, 2992);
	ck_assert_uint_eq(p.ip_len, 40 + 8 + ul);

	/* An atomic fragment (offset 0, M clear) is an ordinary packet (RFC 6946). */
	memcpy(fr, "\x11\x00\x00\x00\x00\x00\x00\x01", 8);
	n = pk_udp(fr + 8, 1, 2, "z", 1);
	memcpy(ext, fr, 8 + n);
	n = pk_ip6(fr, 44, A6, B6, ext, 8 + n);
	ck_assert_int_eq(run(PD_LINK_IPV6, fr, n, &p), PD_OK);
	ck_assert_uint_eq(p.dport, 2);
	ck_assert(!p.reassembled);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, layers);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, fragments);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
