/*
 * test_tunnel.c - tunnel.c (VXLAN RFC 7348, Geneve RFC 8926, GRE RFC 2784/2890, ERSPAN II/III,
 * PPTP GRE RFC 2637, IP-in-IP, PPP RFC 1661/1662, PPPoE RFC 2516) and the decoder peeling them:
 * headers are written field by field here and around packets from tests/capbuild.h.
 */
#include <stdio.h>

#include "capbuild.h"
#include "decode.h"
#include "testutil.h"
#include "tunnel.h"

static const uint8_t A4[4] = { 10, 1, 0, 1 }, B4[4] = { 10, 1, 0, 2 };
static const uint8_t U4[4] = { 10, 9, 0, 1 }, V4[4] = { 10, 9, 0, 2 };
static const uint8_t U6[16] = { 0xfd, 0, 0, 9, [15] = 1 }, V6[16] = { 0xfd, 0, 0, 9, [15] = 2 };

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

/* The inner packet: IPv4/UDP 10.1.0.1:5353 > 10.1.0.2:53 "hello". */
static size_t inner(uint8_t *out)
{
	uint8_t u[64];
	return pk_ip4(out, 17, A4, B4, 1, 0x4000, u, pk_udp(u, 5353, 53, "hello", 5));
}

static void check_inner(const struct pd_pkt *p)
{
	char s[64];
	ck_assert_str_eq(pd_addr_str(&p->src, s, sizeof(s)), "10.1.0.1");
	ck_assert_str_eq(pd_addr_str(&p->dst, s, sizeof(s)), "10.1.0.2");
	ck_assert_uint_eq(p->proto, PD_L4_UDP);
	ck_assert_uint_eq(p->dport, 53);
	ck_assert_uint_eq(p->payload_len, 5);
	ck_assert_mem_eq(p->payload, "hello", 5);
}

static size_t vxlan_hdr(uint8_t *o, uint8_t flags, uint32_t vni)
{
	memset(o, 0, 8);
	o[0] = flags;
	o[4] = (uint8_t)(vni >> 16);
	o[5] = (uint8_t)(vni >> 8);
	o[6] = (uint8_t)vni;
	return 8;
}

/* Ethernet frame in a VXLAN header in UDP to dport in IPv4 U4 > V4, in Ethernet. */
static size_t vxlan_frame(uint8_t *out, uint16_t dport, uint8_t flags, uint32_t vni,
                          const uint8_t *in, size_t inlen)
{
	uint8_t v[2048], u[2048], ip[2048];
	size_t n = vxlan_hdr(v, flags, vni);
	n += pk_eth(v + n, 0x0800, in, inlen);
	n = pk_udp(u, 40000, dport, v, n);
	n = pk_ip4(ip, 17, U4, V4, 2, 0, u, n);
	return pk_eth(out, 0x0800, ip, n);
}

static size_t gre_frame(uint8_t *out, const uint8_t *gre, size_t glen, bool v6)
{
	uint8_t ip[2048];
	size_t n = v6 ? pk_ip6(ip, 47, U6, V6, gre, glen) : pk_ip4(ip, 47, U4, V4, 3, 0, gre, glen);
	return pk_eth(out, v6 ? 0x86DD : 0x0800, ip, n);
}

START_TEST(valid)
{
	uint8_t in[256], f[2048], g[2048], tmp[2048];
	size_t il = inner(in), n, k;
	struct pd_pkt p;
	char s[PD_TUNNEL_STR_MAX];

	/* VXLAN on 4789 and on Linux's 8472 */
	n = vxlan_frame(f, 4789, 0x08, 42, in, il);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.n_tun, 1);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_VXLAN);
	ck_assert_uint_eq(p.tun[0].id, 42);
	ck_assert_str_eq(pd_tunnel_str(p.tun, p.n_tun, false, false, s, sizeof(s)),
	                 "vxlan:10.9.0.1>10.9.0.2 vni 42");
	ck_assert_str_eq(pd_tunnel_str(p.tun, p.n_tun, true, false, s, sizeof(s)),
	                 "vxlan:10.9.0.2>10.9.0.1 vni 42");
	ck_assert_str_eq(pd_tunnel_str(p.tun, p.n_tun, true, true, s, sizeof(s)),
	                 "vxlan:10.9.0.1<>10.9.0.2 vni 42");
	n = vxlan_frame(f, 8472, 0x88, 1, in, il); /* group policy bit: ignored */
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].id, 1);

	/* Geneve with two options around an IPv4 packet (protocol type 0x0800) */
	memset(g, 0, 16);
	g[0] = 3; /* 12 bytes of options */
	g[2] = 0x08;
	g[6] = 7;                              /* VNI 7 */
	g[8] = 0x01, g[10] = 0x80, g[11] = 1;  /* option: class 0x0100, 4 bytes of data */
	g[16] = 0x01, g[18] = 0x81, g[19] = 0; /* option without data */
	memset(g + 12, 0xee, 4);
	n = 20;
	memcpy(g + n, in, il);
	n = pk_udp(tmp, 33000, 6081, g, n + il);
	n = pk_ip4(g, 17, U4, V4, 4, 0, tmp, n);
	ck_assert_int_eq(run(PD_LINK_RAW, g, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_GENEVE);
	ck_assert_uint_eq(p.tun[0].id, 7);

	/* VXLAN inside Geneve (the capture: DNS in VXLAN in Geneve on loopback) */
	n = vxlan_frame(f, 4789, 0x08, 42, in, il);
	memset(g, 0, 8);
	g[2] = 0x65, g[3] = 0x58; /* an Ethernet frame */
	memcpy(g + 8, f, n);
	n = pk_udp(tmp, 33000, 6081, g, 8 + n);
	{
		const uint8_t lo[4] = { 127, 0, 0, 1 };
		n = pk_ip4(g, 17, lo, lo, 5, 0, tmp, n);
	}
	ck_assert_int_eq(run(PD_LINK_RAW, g, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.n_tun, 2);
	ck_assert_str_eq(pd_tunnel_str(p.tun, p.n_tun, false, false, s, sizeof(s)),
	                 "geneve:127.0.0.1>127.0.0.1 vni 0 / vxlan:10.9.0.1>10.9.0.2 vni 42");

	/* GRE: plain IPv4; key + sequence + checksum; transparent Ethernet bridging; IPv6 outer */
	memcpy(g, "\x00\x00\x08\x00", 4);
	memcpy(g + 4, in, il);
	n = gre_frame(f, g, 4 + il, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_GRE);
	ck_assert(!p.tun[0].has_id);
	memcpy(g,
	       "\xb0\x00\x08\x00"
	       "\x12\x34\x00\x00"
	       "\x00\x00\x00\x4d"
	       "\x00\x00\x00\x09",
	       16);
	memcpy(g + 16, in, il);
	n = gre_frame(f, g, 16 + il, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert(p.tun[0].has_id);
	ck_assert_uint_eq(p.tun[0].id, 77);
	memcpy(g,
	       "\x20\x00\x65\x58"
	       "\x00\x00\x00\x05",
	       8);
	k = 8 + pk_eth(g + 8, 0x0800, in, il);
	n = gre_frame(f, g, k, true);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_str_eq(pd_tunnel_str(p.tun, p.n_tun, false, false, s, sizeof(s)),
	                 "gre:fd00:9::1>fd00:9::2 key 5");

	/* ERSPAN type II (sequence number present), type I (without), type III with subheader */
	memcpy(g,
	       "\x10\x00\x88\xbe"
	       "\x00\x00\x00\x01"
	       "\x10\x0c\x00\x0c"
	       "\x00\x00\x00\x00",
	       16);
	k = 16 + pk_eth(g + 16, 0x0800, in, il);
	n = gre_frame(f, g, k, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_ERSPAN2);
	ck_assert_uint_eq(p.tun[0].id, 12);
	memcpy(g, "\x00\x00\x88\xbe", 4);
	k = 4 + pk_eth(g + 4, 0x0800, in, il);
	n = gre_frame(f, g, k, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert(!p.tun[0].has_id);
	memcpy(g,
	       "\x10\x00\x22\xeb"
	       "\x00\x00\x00\x01"
	       "\x20\x00\x00\x0d"
	       "\x00\x00\x00\x00"
	       "\x00\x00\x00\x01"
	       "\0\0\0\0\0\0\0\0",
	       28);
	k = 28 + pk_eth(g + 28, 0x0800, in, il);
	n = gre_frame(f, g, k, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_ERSPAN3);
	ck_assert_uint_eq(p.tun[0].id, 13);
	/* ERSPAN III frame type 2: an IP packet without Ethernet */
	memcpy(g,
	       "\x10\x00\x22\xeb"
	       "\x00\x00\x00\x01"
	       "\x20\x00\x00\x0d"
	       "\x00\x00\x00\x00"
	       "\x00\x00\x08\x00",
	       20);
	memcpy(g + 20, in, il);
	n = gre_frame(f, g, 20 + il, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);

	/* PPTP: enhanced GRE version 1 with a PPP frame (address/control, IPv4) */
	memcpy(g,
	       "\x30\x81\x88\x0b"
	       "\x00\x20\x00\x09"
	       "\x00\x00\x00\x01"
	       "\x00\x00\x00\x00"
	       "\xff\x03\x00\x21",
	       20);
	memcpy(g + 20, in, il);
	n = gre_frame(f, g, 20 + il, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].id, 9);

	/* IP-in-IP, 6in4, 4in6 */
	n = pk_ip4(f, 4, U4, V4, 6, 0, in, il);
	ck_assert_int_eq(run(PD_LINK_RAW, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_IPIP);
	{
		uint8_t in6[128], u[64];
		k = pk_ip6(in6, 17, U6, V6, u, pk_udp(u, 1, 53, "x", 1));
		n = pk_ip4(f, 41, U4, V4, 7, 0, in6, k);
		ck_assert_int_eq(run(PD_LINK_RAW, f, n, &p), PD_OK);
		ck_assert_uint_eq(p.tun[0].kind, PD_TUN_6IN4);
		ck_assert_uint_eq(p.src.family, 6);
		ck_assert_uint_eq(p.dport, 53);
	}
	n = pk_ip6(f, 4, U6, V6, in, il);
	ck_assert_int_eq(run(PD_LINK_RAW, f, n, &p), PD_OK);
	check_inner(&p);
	ck_assert_uint_eq(p.tun[0].kind, PD_TUN_4IN6);

	/* A plain UDP packet to another port is no tunnel. */
	n = inner(f);
	ck_assert_int_eq(run(PD_LINK_RAW, f, n, &p), PD_OK);
	ck_assert_uint_eq(p.n_tun, 0);
	ck_assert_uint_eq(pd_decoder_stats(dec)->tun_peeled, 16);
}
END_TEST

START_TEST(ppp)
{
	uint8_t in[256], f[512];
	size_t il = inner(in), n;
	struct pd_pkt p;

	/* LINKTYPE_PPP with and without address/control, and protocol-field compression */
	memcpy(f, "\xff\x03\x00\x21", 4);
	memcpy(f + 4, in, il);
	ck_assert_int_eq(run(PD_LINK_PPP, f, 4 + il, &p), PD_OK);
	check_inner(&p);
	ck_assert_int_eq(run(PD_LINK_PPP, f + 2, 2 + il, &p), PD_OK);
	check_inner(&p);
	memcpy(f + 3, "\x21", 1);
	ck_assert_int_eq(run(PD_LINK_PPP, f + 3, 1 + il, &p), PD_OK);
	check_inner(&p);
	/* LINKTYPE_PPP_HDLC: PPP, and Cisco HDLC */
	memcpy(f, "\xff\x03\x00\x21", 4);
	ck_assert_int_eq(run(PD_LINK_PPP_HDLC, f, 4 + il, &p), PD_OK);
	check_inner(&p);
	memcpy(f, "\x0f\x00\x08\x00", 4);
	ck_assert_int_eq(run(PD_LINK_PPP_HDLC, f, 4 + il, &p), PD_OK);
	check_inner(&p);
	ck_assert_int_eq(run(PD_LINK_C_HDLC, f, 4 + il, &p), PD_OK);
	check_inner(&p);
	/* PPPoE session (LINKTYPE_PPP_ETHER) with Ethernet-style padding after it */
	memcpy(f, "\x11\x00\x12\x34", 4);
	f[4] = (uint8_t)((il + 2) >> 8);
	f[5] = (uint8_t)(il + 2);
	memcpy(f + 6, "\x00\x21", 2);
	memcpy(f + 8, in, il);
	memset(f + 8 + il, 0, 10);
	ck_assert_int_eq(run(PD_LINK_PPP_ETHER, f, 8 + il + 10, &p), PD_OK);
	check_inner(&p);
	/* ... and in Ethernet (0x8864) */
	{
		uint8_t e[600];
		n = pk_eth(e, 0x8864, f, 8 + il);
		ck_assert_int_eq(run(PD_LINK_ETHERNET, e, n, &p), PD_OK);
		check_inner(&p);
		/* discovery (0x8863) and LCP are control, not IP */
		n = pk_eth(e, 0x8863, "\x11\x09\x00\x00\x00\x00", 6);
		ck_assert_int_eq(run(PD_LINK_ETHERNET, e, n, &p), PD_ERR_UNSUPPORTED);
	}
	memcpy(f, "\xff\x03\xc0\x21\x01\x01\x00\x04", 8);
	ck_assert_int_eq(run(PD_LINK_PPP, f, 8, &p), PD_ERR_UNSUPPORTED);
	ck_assert_uint_eq(pd_decoder_stats(dec)->ppp_control, 2);
	/* IPv6 over PPP */
	{
		uint8_t u[64], i6[128];
		n = pk_ip6(i6, 17, U6, V6, u, pk_udp(u, 1, 53, "x", 1));
		memcpy(f, "\xff\x03\x00\x57", 4);
		memcpy(f + 4, i6, n);
		ck_assert_int_eq(run(PD_LINK_PPP, f, 4 + n, &p), PD_OK);
		ck_assert_uint_eq(p.src.family, 6);
	}
}
END_TEST

START_TEST(truncated)
{
	uint8_t in[256], f[2048];
	size_t il = inner(in), n, cut;
	struct pd_pkt p;

	/* Every cut inside the tunnel headers is truncated, never a flow to the tunnel port. */
	n = vxlan_frame(f, 4789, 0x08, 42, in, il);
	for (cut = 14 + 20 + 8; cut < 14 + 20 + 8 + 8 + 14; cut++) {
		enum pd_err e = run(PD_LINK_ETHERNET, f, cut, &p);
		ck_assert_msg(e == PD_ERR_TRUNCATED, "cut at %zu: %d", cut, e);
	}
	/* Cut inside the inner IP header: truncated too. */
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, 14 + 20 + 8 + 8 + 14 + 10, &p), PD_ERR_TRUNCATED);
	/* Cut inside the inner payload: the inner packet with what was captured. */
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n - 2, &p), PD_OK);
	ck_assert_uint_eq(p.payload_len, 3);
	ck_assert_uint_eq(p.n_tun, 1);
	/* GRE with the key flag but no key */
	{
		uint8_t g[8] = { 0x20, 0, 0x08, 0 };
		n = gre_frame(f, g, 6, false);
		ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_ERR_TRUNCATED);
	}
	/* PPP and PPPoE headers cut short */
	ck_assert_int_eq(run(PD_LINK_PPP, (const uint8_t *)"\xff", 1, &p), PD_ERR_TRUNCATED);
	ck_assert_int_eq(run(PD_LINK_PPP_HDLC, (const uint8_t *)"\xff\x03\x00", 3, &p),
	                 PD_ERR_TRUNCATED);
	ck_assert_int_eq(run(PD_LINK_PPP_ETHER, (const uint8_t *)"\x11\x00\x00", 3, &p),
	                 PD_ERR_TRUNCATED);
	/* Geneve options longer than the packet */
	{
		uint8_t g[64] = { 0x3f, 0, 0x65, 0x58 }, t[128], ip[160];
		n = pk_udp(t, 1, 6081, g, 16);
		n = pk_ip4(ip, 17, U4, V4, 1, 0, t, n);
		ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_ERR_TRUNCATED);
	}
}
END_TEST

START_TEST(hostile)
{
	uint8_t in[256], f[4096], g[4096];
	size_t il = inner(in), n, k;
	struct pd_pkt p;
	int i;

	/* VXLAN without the I flag: not VXLAN; the UDP packet stays what it is (counted). */
	n = vxlan_frame(f, 4789, 0x00, 42, in, il);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	ck_assert_uint_eq(p.n_tun, 0);
	ck_assert_uint_eq(p.dport, 4789);
	ck_assert_uint_eq(pd_decoder_stats(dec)->tun_invalid, 1);

	/* A depth bomb: VXLAN in VXLAN ten deep. Four layers are peeled, the packet is handed
	 * out at the fourth (a UDP packet to 4789), and counted. */
	memcpy(g, in, il);
	k = il;
	for (i = 0; i < 10; i++) {
		uint8_t v[4096], u[4096];
		size_t m = vxlan_hdr(v, 0x08, (uint32_t)i);
		m += pk_eth(v + m, 0x0800, g, k);
		m = pk_udp(u, 40000, 4789, v, m);
		k = pk_ip4(g, 17, U4, V4, 9, 0, u, m);
	}
	ck_assert_int_eq(run(PD_LINK_RAW, g, k, &p), PD_OK);
	ck_assert_uint_eq(p.n_tun, PD_MAX_TUNNEL_DEPTH);
	ck_assert_uint_eq(p.dport, 4789);
	ck_assert_uint_eq(pd_decoder_stats(dec)->tun_too_deep, 1);

	/* GRE with every flag bit: routing present, version 7: refused, left as protocol 47. */
	memset(g, 0xff, 64);
	n = gre_frame(f, g, 64, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	ck_assert_uint_eq(p.proto, 47);
	ck_assert_uint_eq(p.n_tun, 0);
	/* GRE with C, K, S and all reserved bits but no routing, version 0: parsed by its flags */
	memcpy(g,
	       "\xbf\xf8\x08\x00"
	       "\0\0\0\0"
	       "\0\0\0\x01"
	       "\0\0\0\x02",
	       16);
	memcpy(g + 16, in, il);
	n = gre_frame(f, g, 16 + il, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	check_inner(&p);
	/* ERSPAN with a wrong version, and type III with an unknown frame type */
	memcpy(g,
	       "\x10\x00\x88\xbe"
	       "\0\0\0\x01"
	       "\x70\x00\x00\x01"
	       "\0\0\0\0",
	       16);
	n = gre_frame(f, g, 16 + 20, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	ck_assert_uint_eq(p.n_tun, 0);
	memcpy(g,
	       "\x10\x00\x22\xeb"
	       "\0\0\0\x01"
	       "\x20\x00\x00\x01"
	       "\0\0\0\0"
	       "\0\0\x7c\x00",
	       20);
	n = gre_frame(f, g, 20 + 20, false);
	ck_assert_int_eq(run(PD_LINK_ETHERNET, f, n, &p), PD_OK);
	ck_assert_uint_eq(p.n_tun, 0);
	/* IP protocol 4 with an IPv6 packet inside */
	memset(g, 0x60, 40);
	n = pk_ip4(f, 4, U4, V4, 1, 0, g, 40);
	ck_assert_int_eq(run(PD_LINK_RAW, f, n, &p), PD_OK);
	ck_assert_uint_eq(p.proto, 4);
	ck_assert_uint_eq(p.n_tun, 0);
	/* Geneve version 1, an option running past the options, and an OAM packet */
	{
		uint8_t t[256], ip[300];
		uint8_t gv[24] = { 0x40, 0, 0x08, 0 };
		n = pk_ip4(ip, 17, U4, V4, 1, 0, t, pk_udp(t, 1, 6081, gv, 8));
		ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_OK);
		ck_assert_uint_eq(p.n_tun, 0);
		uint8_t go[24] = { 0x01, 0, 0x08, 0, 0, 0, 0, 0, 0, 1, 0, 0x1f };
		n = pk_ip4(ip, 17, U4, V4, 1, 0, t, pk_udp(t, 1, 6081, go, 24));
		ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_OK);
		ck_assert_uint_eq(p.n_tun, 0);
		uint8_t oam[24] = { 0x00, 0x80, 0x08, 0 };
		n = pk_ip4(ip, 17, U4, V4, 1, 0, t, pk_udp(t, 1, 6081, oam, 24));
		ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_ERR_UNSUPPORTED);
		ck_assert_uint_eq(pd_decoder_stats(dec)->tun_control, 1);
	}
	/* VXLAN carrying ARP: no packet (not IP), no flow to the tunnel */
	{
		uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 }, v[128], u[160], ip[200];
		size_t m = vxlan_hdr(v, 0x08, 1);
		m += pk_eth(v + m, 0x0806, arp, sizeof(arp));
		m = pk_udp(u, 1, 4789, v, m);
		n = pk_ip4(ip, 17, U4, V4, 1, 0, u, m);
		ck_assert_int_eq(run(PD_LINK_RAW, ip, n, &p), PD_ERR_UNSUPPORTED);
	}
	/* PPPoE length past the packet: what was captured is used; bad version/type refused */
	memcpy(f, "\x11\x00\x00\x01\xff\xff\x00\x21", 8);
	memcpy(f + 8, in, il);
	ck_assert_int_eq(run(PD_LINK_PPP_ETHER, f, 8 + il, &p), PD_OK);
	check_inner(&p);
	f[0] = 0x22;
	ck_assert_int_eq(run(PD_LINK_PPP_ETHER, f, 8 + il, &p), PD_ERR_MALFORMED);
	/* PPP-HDLC with neither PPP nor Cisco framing */
	ck_assert_int_eq(run(PD_LINK_PPP_HDLC, (const uint8_t *)"\x42\x42\x00\x21", 4, &p),
	                 PD_ERR_MALFORMED);
	/* Tunnel text stays bounded whatever the layers hold. */
	{
		struct pd_tun_layer l[PD_MAX_TUNNEL_DEPTH];
		char s[PD_TUNNEL_STR_MAX];
		memset(l, 0xff, sizeof(l));
		for (i = 0; i < PD_MAX_TUNNEL_DEPTH; i++) {
			l[i].src.family = l[i].dst.family = 6;
			l[i].has_id = true; /* a bool holds 0 or 1, whatever the other fields hold */
		}
		pd_tunnel_str(l, PD_MAX_TUNNEL_DEPTH, false, false, s, sizeof(s));
		ck_assert_uint_lt(strlen(s), sizeof(s));
		ck_assert_ptr_nonnull(strstr(s, "?:ffff:"));
	}
}
END_TEST

/* An outer IPv4 datagram in two fragments: reassembled, then peeled. */
START_TEST(fragmented)
{
	uint8_t in[256], v[512], u[600], fr[700];
	size_t il = inner(in), m, n;
	struct pd_pkt p;

	m = vxlan_hdr(v, 0x08, 42);
	m += pk_eth(v + m, 0x0800, in, il);
	m = pk_udp(u, 40000, 4789, v, m);
	n = pk_ip4(fr, 17, U4, V4, 0x77, 0x2000, u, 48); /* MF, offset 0 */
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n, &p), PD_ERR_NEED_MORE);
	n = pk_ip4(fr, 17, U4, V4, 0x77, 48 / 8, u + 48, m - 48);
	ck_assert_int_eq(run(PD_LINK_RAW, fr, n, &p), PD_OK);
	ck_assert(p.reassembled == false); /* the inner packet was not itself reassembled */
	check_inner(&p);
	ck_assert_uint_eq(p.n_tun, 1);
	ck_assert_uint_eq(pd_decoder_stats(dec)->reassembled, 1);
}
END_TEST

START_TEST(paths)
{
	struct pd_tunnel_set *s = pd_tunnel_set_new();
	struct pd_tun_layer l[2];
	const struct pd_tun_layer *g;
	unsigned n, i;
	uint32_t a, b, c;

	ck_assert_ptr_nonnull(s);
	memset(l, 0, sizeof(l));
	l[0].kind = PD_TUN_GENEVE;
	l[0].src.family = l[0].dst.family = 4;
	memcpy(l[0].src.a, U4, 4);
	memcpy(l[0].dst.a, V4, 4);
	l[1] = l[0];
	l[1].kind = PD_TUN_VXLAN;
	l[1].has_id = true;
	l[1].id = 42;
	a = pd_tunnel_set_add(s, l, 2, false);
	b = pd_tunnel_set_add(s, l, 2, true);
	c = pd_tunnel_set_add(s, l, 2, false);
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(b, 2);
	ck_assert_uint_eq(c, a);
	ck_assert_uint_eq(pd_tunnel_set_add(s, l, 0, false), 0);
	g = pd_tunnel_set_get(s, b, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(g[1].src.a, V4, 4);
	ck_assert_ptr_null(pd_tunnel_set_get(s, 99, &n));
	/* many distinct paths: ids stay distinct and stable through growth */
	for (i = 0; i < 5000; i++) {
		l[1].id = i + 1000;
		ck_assert_uint_eq(pd_tunnel_set_add(s, l, 2, false), i + 3);
	}
	l[1].id = 1000;
	ck_assert_uint_eq(pd_tunnel_set_add(s, l, 2, false), 3);
	pd_tunnel_set_free(s);
	pd_tunnel_set_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tunnel");
	TCase *tc = tcase_create("tunnel");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid);
	tcase_add_test(tc, ppp);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, fragmented);
	tcase_add_test(tc, paths);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
