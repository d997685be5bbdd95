/*
 * test_pcapng.c - our pcapng block reader: sections in both byte orders, interfaces with
 * different link types in one file, timestamp resolutions, comments and container metadata,
 * statistics, simple and obsolete packet blocks, per-interface BPF, and every block-length and
 * option-length check. Files are built by tests/capbuild.h (documented there).
 */
#include <stdio.h>
#include <unistd.h>

#include "capbuild.h"
#include "capture.h"
#include "pcapng.h"
#include "testutil.h"

static const uint8_t A4[4] = { 10, 1, 0, 1 }, B4[4] = { 10, 1, 0, 2 };

/* An Ethernet/IPv4/UDP frame (len returned) with a payload of n bytes of 'x'. */
static size_t eth_udp(uint8_t *out, size_t n)
{
	uint8_t pl[256], udp[300], ip[340];
	memset(pl, 'x', n);
	size_t u = pk_udp(udp, 5353, 53, pl, n);
	size_t i = pk_ip4(ip, 17, A4, B4, 1, 0x4000, udp, u);
	return pk_eth(out, 0x0800, ip, i);
}

static size_t sll2_tcp(uint8_t *out)
{
	uint8_t tcp[40], ip[80];
	size_t t = pk_tcp(tcp, 40000, 443, 1, 0, 0x02, NULL, 0);
	size_t i = pk_ip4(ip, 6, A4, B4, 2, 0x4000, tcp, t);
	return pk_sll2(out, 0x0800, ip, i);
}

/* Opens a temp file holding the built bytes; the path is unlinked right away. */
static struct pd_reader *open_buf(struct cb *c, const char *bpf, enum pd_err *err, char *eb)
{
	char *path = pd_test_write_temp(c->b, c->len, ".pcapng");
	struct pd_reader *r = pd_reader_open(path, bpf, err, eb);
	unlink(path);
	free(path);
	return r;
}

/* Reads all frames; returns the count and the final status in *last. */
static unsigned read_all(struct pd_reader *r, enum pd_err *last, char *eb)
{
	struct pd_frame f;
	unsigned n = 0;
	while ((*last = pd_reader_next(r, &f, eb)) == PD_OK)
		n++;
	return n;
}

/*
 * Section 1 (little-endian): comments with metadata, Ethernet if "eth0" at nanoseconds,
 * Linux-cooked-v2 "any" at microseconds with if_tsoffset, an EPB on each, an ISB, a name
 * resolution block and a custom block. Section 2 (big-endian): an Ethernet interface at 2^-10 s,
 * an EPB, a simple packet block and an obsolete packet block.
 */
static void build_mixed(struct cb *c)
{
	uint8_t fr[400], v8[8];
	size_t s, n;

	c->be = false;
	s = cb_shb_begin(c);
	cb_opt_str(c, PD_OPT_COMMENT, "pcapdomains.container_name=web-1");
	cb_opt_str(c, PD_OPT_COMMENT, "pcapdomains.runtime=docker");
	cb_opt_str(c, PD_OPT_COMMENT, "recorded by a test");
	cb_opt_str(c, PD_SHB_HARDWARE, "x86_64");
	cb_opt_str(c, PD_SHB_OS, "Linux 6.1");
	cb_opt_str(c, PD_SHB_USERAPPL, "capbuild");
	cb_opt_end(c);
	cb_block_end(c, s);
	cb_idb(c, PD_LINK_ETHERNET, 65535, "eth0", 9);
	/* Linux cooked v2 with description and if_tsoffset = 10 s. */
	s = cb_block_begin(c, PD_PCAPNG_IDB);
	cb_u16(c, PD_LINK_LINUX_SLL2);
	cb_u16(c, 0);
	cb_u32(c, 262144);
	cb_opt_str(c, PD_IF_NAME, "any");
	cb_opt_str(c, PD_IF_DESCRIPTION, "all interfaces");
	n = c->len;
	cb_u64(c, 10);
	memcpy(v8, c->b + n, 8);
	c->len = n;
	cb_opt(c, PD_IF_TSOFFSET, v8, 8);
	cb_opt_end(c);
	cb_block_end(c, s);

	n = eth_udp(fr, 20);
	cb_epb(c, 0, 1700000000123456789ull, fr, (uint32_t)n, (uint32_t)n, 2);
	n = sll2_tcp(fr);
	cb_epb(c, 1, 1700000000123456ull, fr, (uint32_t)n, (uint32_t)n + 100, 0);
	/* Interface statistics for interface 0: ifrecv 7, ifdrop 3. */
	s = cb_block_begin(c, PD_PCAPNG_ISB);
	cb_u32(c, 0);
	cb_u64(c, 0);
	n = c->len;
	cb_u64(c, 7);
	memcpy(v8, c->b + n, 8);
	c->len = n;
	cb_opt(c, PD_ISB_IFRECV, v8, 8);
	n = c->len;
	cb_u64(c, 3);
	memcpy(v8, c->b + n, 8);
	c->len = n;
	cb_opt(c, PD_ISB_IFDROP, v8, 8);
	cb_opt_end(c);
	cb_block_end(c, s);
	/* Name resolution block and a custom block: skipped. */
	s = cb_block_begin(c, PD_PCAPNG_NRB);
	cb_u16(c, 1);
	cb_u16(c, 8);
	cb_bytes(c,
	         "\x0a\x01\x00\x02"
	         "a.b",
	         8);
	cb_u32(c, 0);
	cb_block_end(c, s);
	s = cb_block_begin(c, PD_PCAPNG_CB);
	cb_u32(c, 32473);
	cb_bytes(c, "private", 7);
	cb_block_end(c, s);

	c->be = true;
	s = cb_shb_begin(c);
	cb_block_end(c, s);
	cb_idb(c, PD_LINK_ETHERNET, 64, NULL, 0x80 | 10);
	n = eth_udp(fr, 100);
	cb_epb(c, 0, 2048, fr, 64, (uint32_t)n, 1);
	/* Simple packet block: origlen 142, the block holds the whole frame, snaplen cuts to 64. */
	s = cb_block_begin(c, PD_PCAPNG_SPB);
	cb_u32(c, (uint32_t)n);
	cb_bytes(c, fr, n);
	cb_block_end(c, s);
	/* Obsolete packet block. */
	s = cb_block_begin(c, PD_PCAPNG_PB);
	cb_u16(c, 0);
	cb_u16(c, 0);
	cb_u32(c, 0);
	cb_u32(c, 4096);
	cb_u32(c, 60);
	cb_u32(c, 60);
	cb_bytes(c, fr, 60);
	cb_block_end(c, s);
}

START_TEST(valid)
{
	struct cb c = { 0 };
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	const struct pd_capinfo *ci;
	struct pd_frame f;
	enum pd_err e;

	build_mixed(&c);
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);

	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(f.linktype, PD_LINK_ETHERNET);
	ck_assert_uint_eq(f.iface, 0);
	ck_assert_int_eq(f.ts_ns, 1700000000123456789ll);
	ck_assert_uint_eq(f.epb_flags, 2);
	ck_assert_uint_eq(f.caplen, 14 + 20 + 8 + 20);
	ck_assert_uint_eq(f.data[12], 0x08);

	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(f.linktype, PD_LINK_LINUX_SLL2);
	ck_assert_uint_eq(f.iface, 1);
	ck_assert_int_eq(f.ts_ns, 1700000010123456000ll); /* microseconds + 10 s offset */
	ck_assert_uint_eq(f.epb_flags, 0);
	ck_assert_uint_eq(f.origlen, f.caplen + 100);

	/* Section 2: interface numbering restarts, global index 2; 2048 units of 2^-10 s. */
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_uint_eq(f.iface, 2);
	ck_assert_int_eq(f.ts_ns, 2000000000ll);
	ck_assert_uint_eq(f.caplen, 64);
	ck_assert_uint_eq(f.origlen, 142);
	ck_assert_uint_eq(f.epb_flags, 1);

	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK); /* SPB */
	ck_assert_uint_eq(f.iface, 2);
	ck_assert_uint_eq(f.caplen, 64);
	ck_assert_uint_eq(f.origlen, 142);
	ck_assert_int_eq(f.ts_ns, 2000000000ll); /* no time of its own: the last one */

	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK); /* obsolete PB */
	ck_assert_uint_eq(f.caplen, 60);
	ck_assert_int_eq(f.ts_ns, 4000000000ll);
	ck_assert_uint_eq(f.offset + 92, c.len);

	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
	ck_assert_uint_eq(pd_reader_tell(r), c.len);

	ci = pd_reader_info(r);
	ck_assert_str_eq(ci->format, "pcapng");
	ck_assert_uint_eq(ci->sections, 2);
	ck_assert_uint_eq(ci->n_ifaces, 3);
	ck_assert_str_eq(ci->ifaces[0].name, "eth0");
	ck_assert_str_eq(ci->ifaces[1].name, "any");
	ck_assert_str_eq(ci->ifaces[1].description, "all interfaces");
	ck_assert_int_eq(ci->ifaces[1].linktype, PD_LINK_LINUX_SLL2);
	ck_assert_uint_eq(ci->ifaces[1].snaplen, 262144);
	ck_assert(ci->ifaces[0].has_stats);
	ck_assert_uint_eq(ci->ifaces[0].received, 7);
	ck_assert_uint_eq(ci->ifaces[0].dropped, 3);
	ck_assert(!ci->ifaces[1].has_stats);
	ck_assert_uint_eq(ci->n_meta, 2);
	ck_assert_str_eq(pd_capinfo_meta(ci, PD_META_NAME), "web-1");
	ck_assert_str_eq(pd_capinfo_meta(ci, PD_META_RUNTIME), "docker");
	ck_assert_ptr_null(pd_capinfo_meta(ci, PD_META_IMAGE));
	ck_assert_uint_eq(ci->n_comments, 1);
	ck_assert_str_eq(ci->comments[0], "recorded by a test");
	ck_assert_str_eq(ci->hardware, "x86_64");
	ck_assert_str_eq(ci->os, "Linux 6.1");
	ck_assert_str_eq(ci->userappl, "capbuild");
	pd_reader_free(r);
	free(c.b);
}
END_TEST

/* A BPF filter is compiled per interface: "tcp" matches on the cooked-v2 interface only,
 * "udp" on both Ethernet interfaces. */
START_TEST(filter)
{
	struct cb c = { 0 };
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	struct pd_frame f;
	enum pd_err e;

	build_mixed(&c);
	r = open_buf(&c, "tcp", &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_OK);
	ck_assert_int_eq(f.linktype, PD_LINK_LINUX_SLL2);
	ck_assert_int_eq(pd_reader_next(r, &f, eb), PD_ERR_NOTFOUND);
	pd_reader_free(r);

	r = open_buf(&c, "udp and dst port 53", &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_uint_eq(read_all(r, &e, eb), 4); /* EPB, EPB, SPB, PB on Ethernet */
	ck_assert_int_eq(e, PD_ERR_NOTFOUND);
	pd_reader_free(r);

	r = open_buf(&c, "udp and and", &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, PD_ERR_USAGE);
	ck_assert_msg(strstr(eb, "bad filter") != NULL, "%s", eb);
	free(c.b);
}
END_TEST

/* A file ending inside a block, or inside the first bytes of one. */
START_TEST(truncated)
{
	struct cb c = { 0 };
	char eb[PD_ERRBUF_SIZE], want[200];
	struct pd_reader *r;
	enum pd_err e;
	size_t full;
	uint8_t fr[200];

	build_mixed(&c);
	full = c.len;
	c.len = full - 10; /* the obsolete packet block (92 bytes) loses 10 */
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(read_all(r, &e, eb), 4);
	ck_assert_int_eq(e, PD_ERR_TRUNCATED);
	snprintf(want, sizeof(want), "truncated at offset %zu: block needs 92 bytes, 82 left",
	         full - 92);
	ck_assert_msg(strstr(eb, want) != NULL, "%s", eb);
	pd_reader_free(r);

	c.len = full - 92 + 6; /* 6 bytes of a block header */
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_uint_eq(read_all(r, &e, eb), 4);
	ck_assert_int_eq(e, PD_ERR_TRUNCATED);
	ck_assert_msg(strstr(eb, "block needs at least 12 bytes, 6 left") != NULL, "%s", eb);
	pd_reader_free(r);

	/* Snaplen-cut packets are fine: caplen < origlen. */
	free(c.b);
	memset(&c, 0, sizeof(c));
	cb_block_end(&c, cb_shb_begin(&c));
	cb_idb(&c, PD_LINK_ETHERNET, 50, NULL, -1);
	cb_epb(&c, 0, 1, fr, 50, (uint32_t)eth_udp(fr, 100), 0);
	r = open_buf(&c, NULL, &e, eb);
	ck_assert_uint_eq(read_all(r, &e, eb), 1);
	ck_assert_int_eq(e, PD_ERR_NOTFOUND);
	pd_reader_free(r);
	free(c.b);
}
END_TEST

/* Builds SHB + IDB + one EPB; returns the EPB offset. */
static size_t small_file(struct cb *c, bool be)
{
	uint8_t fr[200];
	size_t n = eth_udp(fr, 10), off;
	memset(c, 0, sizeof(*c));
	c->be = be;
	cb_block_end(c, cb_shb_begin(c));
	cb_idb(c, PD_LINK_ETHERNET, 0, "eth0", -1);
	off = c->len;
	cb_epb(c, 0, 1, fr, (uint32_t)n, (uint32_t)n, 0);
	return off;
}

static void expect_err(struct cb *c, unsigned frames, enum pd_err want, const char *text)
{
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	enum pd_err e;

	eb[0] = 0;
	r = open_buf(c, NULL, &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_uint_eq(read_all(r, &e, eb), frames);
	ck_assert_int_eq(e, want);
	ck_assert_msg(strstr(eb, text) != NULL, "got \"%s\", want \"%s\"", eb, text);
	pd_reader_free(r);
}

/* A broken first section header fails the open itself. */
static void expect_open_err(struct cb *c, enum pd_err want, const char *text)
{
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	enum pd_err e;

	r = open_buf(c, NULL, &e, eb);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(e, want);
	ck_assert_msg(strstr(eb, text) != NULL, "got \"%s\", want \"%s\"", eb, text);
}

/*
 * Hostile files: each made by small_file()/build_mixed() and then one field overwritten, as a
 * corrupt or malicious writer would leave it.
 */
START_TEST(hostile)
{
	struct cb c;
	size_t epb, i;
	char want[100];
	bool be;

	for (i = 0; i < 2; i++) {
		be = i == 1;
		epb = small_file(&c, be);
		cb_put32(&c, epb + 4, 0xFFFFFFFCu); /* block length near 4 GiB */
		snprintf(want, sizeof(want), "offset %zu: corrupt block length 4294967292", epb);
		expect_err(&c, 0, PD_ERR_MALFORMED, want);
		cb_put32(&c, epb + 4, 14); /* not a multiple of 4 */
		expect_err(&c, 0, PD_ERR_MALFORMED, "corrupt block length 14");
		cb_put32(&c, epb + 4, 8); /* shorter than a block header */
		expect_err(&c, 0, PD_ERR_MALFORMED, "corrupt block length 8");
		cb_put32(&c, epb + 4, 0);
		expect_err(&c, 0, PD_ERR_MALFORMED, "corrupt block length 0");
		free(c.b);

		epb = small_file(&c, be);
		cb_put32(&c, c.len - 4, 12); /* trailing length differs */
		expect_err(&c, 0, PD_ERR_MALFORMED, "at its end");
		free(c.b);

		epb = small_file(&c, be);
		cb_put32(&c, epb + 20, 4000); /* captured length past the block */
		expect_err(&c, 0, PD_ERR_MALFORMED, "claims 4000 captured bytes");
		free(c.b);

		epb = small_file(&c, be);
		cb_put32(&c, epb + 8, 5); /* interface 5 was never described */
		expect_err(&c, 0, PD_ERR_MALFORMED, "packet on interface 5");
		free(c.b);

		/* Option running past its block: the IDB's if_name claims 200 bytes. */
		small_file(&c, be);
		c.len = 28; /* SHB only */
		{
			size_t s = cb_block_begin(&c, PD_PCAPNG_IDB);
			cb_u16(&c, 1);
			cb_u16(&c, 0);
			cb_u32(&c, 0);
			cb_u16(&c, PD_IF_NAME);
			cb_u16(&c, 200);
			cb_bytes(&c, "eth0", 4);
			cb_block_end(&c, s);
		}
		expect_err(&c, 0, PD_ERR_MALFORMED, "option runs past the block");
		free(c.b);
	}

	/* if_tsresol 10^-127: no such clock. */
	memset(&c, 0, sizeof(c));
	cb_block_end(&c, cb_shb_begin(&c));
	cb_idb(&c, PD_LINK_ETHERNET, 0, NULL, 127);
	expect_err(&c, 0, PD_ERR_MALFORMED, "impossible if_tsresol 0x7f");
	free(c.b);

	/* Bad byte-order magic in the SHB. */
	small_file(&c, false);
	cb_put32(&c, 8, 0x11223344u);
	expect_open_err(&c, PD_ERR_MALFORMED, "offset 0: bad byte-order magic 44332211");
	c.len = 20; /* a section header cut short */
	cb_put32(&c, 8, 0x1A2B3C4Du);
	expect_open_err(&c, PD_ERR_TRUNCATED,
	                "truncated at offset 0: block needs 28 bytes, 20 left");
	free(c.b);

	/* Version 2.0 section. */
	small_file(&c, false);
	c.b[12] = 2;
	expect_open_err(&c, PD_ERR_UNSUPPORTED, "pcapng version 2.0");
	free(c.b);

	/* More interfaces than PD_MAX_IFACES. */
	memset(&c, 0, sizeof(c));
	cb_block_end(&c, cb_shb_begin(&c));
	for (i = 0; i <= PD_MAX_IFACES; i++)
		cb_idb(&c, PD_LINK_ETHERNET, 0, NULL, -1);
	expect_err(&c, 0, PD_ERR_LIMIT, "more than 256 interfaces");
	free(c.b);

	/* A block bigger than the 1 MiB buffer but within PD_MAX_BLOCK: read whole (the buffer
	 * grows), and a frame of unknown link type 147 is still returned. */
	memset(&c, 0, sizeof(c));
	cb_block_end(&c, cb_shb_begin(&c));
	cb_idb(&c, 147, 0, NULL, -1);
	{
		uint8_t *big = calloc(1, 3u << 20);
		cb_epb(&c, 0, 1, big, 3u << 20, 3u << 20, 0);
		cb_epb(&c, 0, 2, big, 10, 10, 0);
		free(big);
	}
	expect_err(&c, 2, PD_ERR_NOTFOUND, "");
	free(c.b);
}
END_TEST

/*
 * Interface addresses: if_IPv4addr (address + netmask) and if_IPv6addr (address + prefix),
 * repeated, in both byte orders (the values are network order either way).
 */
static void build_addrs(struct cb *c, bool be)
{
	static const uint8_t m24[4] = { 255, 255, 255, 0 }, m32[4] = { 255, 255, 255, 255 };
	static const uint8_t a6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t ll6[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
	static const uint8_t lo4[4] = { 127, 0, 0, 1 };
	uint8_t fr[200];
	size_t s, n;

	memset(c, 0, sizeof(*c));
	c->be = be;
	cb_block_end(c, cb_shb_begin(c));
	s = cb_block_begin(c, PD_PCAPNG_IDB);
	cb_u16(c, PD_LINK_ETHERNET);
	cb_u16(c, 0);
	cb_u32(c, 0);
	cb_opt_str(c, PD_IF_NAME, "eth0");
	cb_opt_ip4addr(c, A4, m24);
	cb_opt_ip6addr(c, a6, 64);
	cb_opt_ip6addr(c, ll6, 64);
	cb_opt_end(c);
	cb_block_end(c, s);
	s = cb_block_begin(c, PD_PCAPNG_IDB);
	cb_u16(c, PD_LINK_ETHERNET);
	cb_u16(c, 0);
	cb_u32(c, 0);
	cb_opt_str(c, PD_IF_NAME, "lo");
	cb_opt_ip4addr(c, lo4, m32);
	cb_opt_end(c);
	cb_block_end(c, s);
	n = eth_udp(fr, 10);
	cb_epb(c, 0, 1, fr, (uint32_t)n, (uint32_t)n, 0);
}

START_TEST(addrs_valid)
{
	struct cb c;
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	const struct pd_capinfo *ci;
	enum pd_err e;
	int be;

	for (be = 0; be < 2; be++) {
		build_addrs(&c, be);
		r = open_buf(&c, NULL, &e, eb);
		ck_assert_msg(r != NULL, "%s", eb);
		ck_assert_uint_eq(read_all(r, &e, eb), 1);
		ck_assert_int_eq(e, PD_ERR_NOTFOUND);
		ci = pd_reader_info(r);
		ck_assert_uint_eq(ci->n_ifaces, 2);
		ck_assert_uint_eq(ci->ifaces[0].n_addrs, 3);
		ck_assert_uint_eq(ci->ifaces[0].addrs[0].family, 4);
		ck_assert_uint_eq(ci->ifaces[0].addrs[0].prefix, 24);
		ck_assert_mem_eq(ci->ifaces[0].addrs[0].addr, A4, 4);
		ck_assert_uint_eq(ci->ifaces[0].addrs[1].family, 6);
		ck_assert_uint_eq(ci->ifaces[0].addrs[1].prefix, 64);
		ck_assert_uint_eq(ci->ifaces[0].addrs[1].addr[0], 0xfd);
		ck_assert_uint_eq(ci->ifaces[0].addrs[1].addr[15], 2);
		ck_assert_uint_eq(ci->ifaces[0].addrs[2].addr[0], 0xfe);
		ck_assert_uint_eq(ci->ifaces[1].n_addrs, 1);
		ck_assert_uint_eq(ci->ifaces[1].addrs[0].prefix, 32);
		ck_assert_uint_eq(ci->ifaces[1].addrs[0].addr[0], 127);
		pd_reader_free(r);
		free(c.b);
	}
}
END_TEST

/* An address option cut by the end of its block is a corrupt block, like any other option. */
START_TEST(addrs_truncated)
{
	struct cb c;
	size_t s;

	memset(&c, 0, sizeof(c));
	cb_block_end(&c, cb_shb_begin(&c));
	s = cb_block_begin(&c, PD_PCAPNG_IDB);
	cb_u16(&c, PD_LINK_ETHERNET);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	cb_u16(&c, PD_IF_IPV6ADDR);
	cb_u16(&c, 17);
	cb_bytes(&c, "\xfd\0\0\0\0\0\0\0", 8); /* 8 of 17 bytes, then the block ends */
	cb_block_end(&c, s);
	expect_err(&c, 0, PD_ERR_MALFORMED, "option runs past the block");
	free(c.b);
}
END_TEST

/*
 * Hostile address options: wrong lengths (7, 9, 16, 18, 0 bytes), a netmask with a hole, a
 * prefix of 129 and more than PD_MAX_IFACE_ADDRS options. Each bad one is left out; the
 * interface and its good addresses are kept and the packets still read.
 */
START_TEST(addrs_hostile)
{
	static const uint8_t hole[4] = { 255, 0, 255, 0 }, m16[4] = { 255, 255, 0, 0 };
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	uint8_t junk[32], a6[16], fr[200];
	char eb[PD_ERRBUF_SIZE];
	struct pd_reader *r;
	const struct pd_capinfo *ci;
	struct cb c;
	enum pd_err e;
	size_t s, n;
	unsigned i;

	memset(junk, 0x41, sizeof(junk));
	memset(a6, 0xfd, sizeof(a6));
	memset(&c, 0, sizeof(c));
	cb_block_end(&c, cb_shb_begin(&c));
	s = cb_block_begin(&c, PD_PCAPNG_IDB);
	cb_u16(&c, PD_LINK_ETHERNET);
	cb_u16(&c, 0);
	cb_u32(&c, 0);
	cb_opt(&c, PD_IF_IPV4ADDR, junk, 7);
	cb_opt(&c, PD_IF_IPV4ADDR, junk, 9);
	cb_opt(&c, PD_IF_IPV4ADDR, junk, 0);
	cb_opt(&c, PD_IF_IPV6ADDR, junk, 16);
	cb_opt(&c, PD_IF_IPV6ADDR, junk, 18);
	cb_opt_ip4addr(&c, A4, hole);
	cb_opt_ip6addr(&c, a6, 129);
	cb_opt_ip4addr(&c, B4, m16);  /* good */
	cb_opt_ip4addr(&c, A4, zero); /* good: /0 */
	for (i = 0; i < PD_MAX_IFACE_ADDRS + 5; i++)
		cb_opt_ip6addr(&c, a6, 128);
	cb_opt_end(&c);
	cb_block_end(&c, s);
	n = eth_udp(fr, 10);
	cb_epb(&c, 0, 1, fr, (uint32_t)n, (uint32_t)n, 0);

	r = open_buf(&c, NULL, &e, eb);
	ck_assert_msg(r != NULL, "%s", eb);
	ck_assert_uint_eq(read_all(r, &e, eb), 1);
	ck_assert_int_eq(e, PD_ERR_NOTFOUND);
	ci = pd_reader_info(r);
	ck_assert_uint_eq(ci->ifaces[0].n_addrs, PD_MAX_IFACE_ADDRS);
	ck_assert_uint_eq(ci->ifaces[0].addrs[0].family, 4);
	ck_assert_uint_eq(ci->ifaces[0].addrs[0].prefix, 16);
	ck_assert_mem_eq(ci->ifaces[0].addrs[0].addr, B4, 4);
	ck_assert_uint_eq(ci->ifaces[0].addrs[1].prefix, 0);
	for (i = 2; i < PD_MAX_IFACE_ADDRS; i++) {
		ck_assert_uint_eq(ci->ifaces[0].addrs[i].family, 6);
		ck_assert_uint_eq(ci->ifaces[0].addrs[i].prefix, 128);
	}
	pd_reader_free(r);
	free(c.b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("pcapng");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, filter);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, addrs_valid);
	tcase_add_test(tc, addrs_truncated);
	tcase_add_test(tc, addrs_hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
