/*
 * capbuild.h - a tiny writer of capture files and packets for the reader and decoder tests.
 *
 * Classic pcap (pcap-savefile(5)): 24-byte file header, 16-byte record headers, in either byte
 * order, microsecond (0xA1B2C3D4) or nanosecond (0xA1B23C4D) magic. pcapng
 * (draft-ietf-opsawg-pcapng): blocks are type, total length, body, total length again; options
 * are code, length, value padded to 4 bytes. Every multi-byte field is written in the byte
 * order chosen in struct cb, so the same test builds big- and little-endian files.
 * Deliberately broken files are made by editing the bytes this writer produced, never by hand.
 */
#ifndef PD_CAPBUILD_H
#define PD_CAPBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cb {
	uint8_t *b;
	size_t len, cap;
	bool be; /* write big-endian */
};

static inline void cb_bytes(struct cb *c, const void *p, size_t n)
{
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2 + 64;
		c->b = realloc(c->b, c->cap);
		if (!c->b)
			abort();
	}
	if (n)
		memcpy(c->b + c->len, p, n);
	c->len += n;
}

static inline void cb_u8(struct cb *c, uint8_t v)
{
	cb_bytes(c, &v, 1);
}

static inline void cb_u16(struct cb *c, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	if (!c->be) {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
	}
	cb_bytes(c, b, 2);
}

static inline void cb_u32(struct cb *c, uint32_t v)
{
	if (c->be) {
		cb_u16(c, (uint16_t)(v >> 16));
		cb_u16(c, (uint16_t)v);
	} else {
		cb_u16(c, (uint16_t)v);
		cb_u16(c, (uint16_t)(v >> 16));
	}
}

static inline void cb_u64(struct cb *c, uint64_t v)
{
	if (c->be) {
		cb_u32(c, (uint32_t)(v >> 32));
		cb_u32(c, (uint32_t)v);
	} else {
		cb_u32(c, (uint32_t)v);
		cb_u32(c, (uint32_t)(v >> 32));
	}
}

static inline void cb_pad4(struct cb *c)
{
	while (c->len & 3)
		cb_u8(c, 0);
}

/* Overwrites a 32-bit field at off in the file's byte order. */
static inline void cb_put32(struct cb *c, size_t off, uint32_t v)
{
	size_t save = c->len;
	c->len = off;
	cb_u32(c, v);
	c->len = save;
}

/* ---- classic pcap ---- */

static inline void cb_pcap_header(struct cb *c, bool nano, uint32_t snaplen, uint32_t linktype)
{
	cb_u32(c, nano ? 0xA1B23C4Du : 0xA1B2C3D4u);
	cb_u16(c, 2);
	cb_u16(c, 4);
	cb_u32(c, 0); /* thiszone */
	cb_u32(c, 0); /* sigfigs */
	cb_u32(c, snaplen);
	cb_u32(c, linktype);
}

static inline void cb_pcap_record(struct cb *c, bool nano, int64_t ts_ns, const void *data,
                                  uint32_t caplen, uint32_t origlen)
{
	cb_u32(c, (uint32_t)(ts_ns / 1000000000));
	cb_u32(c, (uint32_t)(nano ? ts_ns % 1000000000 : ts_ns % 1000000000 / 1000));
	cb_u32(c, caplen);
	cb_u32(c, origlen);
	cb_bytes(c, data, caplen);
}

/* ---- pcapng ---- */

/* Starts a block; returns its offset for cb_block_end(). */
static inline size_t cb_block_begin(struct cb *c, uint32_t type)
{
	size_t start = c->len;
	cb_u32(c, type);
	cb_u32(c, 0); /* patched by cb_block_end */
	return start;
}

static inline void cb_block_end(struct cb *c, size_t start)
{
	uint32_t len;
	cb_pad4(c);
	len = (uint32_t)(c->len - start + 4);
	cb_u32(c, len);
	cb_put32(c, start + 4, len);
}

static inline void cb_opt(struct cb *c, uint16_t code, const void *v, uint16_t len)
{
	cb_u16(c, code);
	cb_u16(c, len);
	cb_bytes(c, v, len);
	cb_pad4(c);
}

static inline void cb_opt_str(struct cb *c, uint16_t code, const char *s)
{
	cb_opt(c, code, s, (uint16_t)strlen(s));
}

static inline void cb_opt_end(struct cb *c)
{
	cb_u32(c, 0);
}

/* A section header without options (the caller adds options and ends the block). */
static inline size_t cb_shb_begin(struct cb *c)
{
	size_t start = cb_block_begin(c, 0x0A0D0D0Au);
	cb_u32(c, 0x1A2B3C4Du);
	cb_u16(c, 1);
	cb_u16(c, 0);
	cb_u64(c, UINT64_MAX); /* section length unknown */
	return start;
}

/* An interface description; tsresol < 0 leaves if_tsresol out (microseconds). */
static inline void cb_idb(struct cb *c, uint16_t linktype, uint32_t snaplen, const char *name,
                          int tsresol)
{
	size_t start = cb_block_begin(c, 1);
	uint8_t r = (uint8_t)tsresol;
	cb_u16(c, linktype);
	cb_u16(c, 0);
	cb_u32(c, snaplen);
	if (name)
		cb_opt_str(c, 2, name);
	if (tsresol >= 0)
		cb_opt(c, 9, &r, 1);
	if (name || tsresol >= 0)
		cb_opt_end(c);
	cb_block_end(c, start);
}

/*
 * Interface address options (draft-ietf-opsawg-pcapng if_IPv4addr, if_IPv6addr): the address
 * and netmask/prefix in network byte order whatever the section's byte order. For an interface
 * description the caller builds itself (cb_block_begin, link type, snaplen, then these).
 */
static inline void cb_opt_ip4addr(struct cb *c, const uint8_t addr[4], const uint8_t mask[4])
{
	uint8_t v[8];
	memcpy(v, addr, 4);
	memcpy(v + 4, mask, 4);
	cb_opt(c, 4, v, 8);
}

static inline void cb_opt_ip6addr(struct cb *c, const uint8_t addr[16], uint8_t prefix)
{
	uint8_t v[17];
	memcpy(v, addr, 16);
	v[16] = prefix;
	cb_opt(c, 5, v, 17);
}

/* An enhanced packet block; flags 0 leaves epb_flags out. */
static inline void cb_epb(struct cb *c, uint32_t iface, uint64_t ts, const void *data,
                          uint32_t caplen, uint32_t origlen, uint32_t flags)
{
	size_t start = cb_block_begin(c, 6);
	cb_u32(c, iface);
	cb_u32(c, (uint32_t)(ts >> 32));
	cb_u32(c, (uint32_t)ts);
	cb_u32(c, caplen);
	cb_u32(c, origlen);
	cb_bytes(c, data, caplen);
	cb_pad4(c);
	if (flags) {
		uint8_t v[4];
		size_t save = c->len;
		cb_u32(c, flags);
		memcpy(v, c->b + save, 4);
		c->len = save;
		cb_opt(c, 2, v, 4);
		cb_opt_end(c);
	}
	cb_block_end(c, start);
}

/* ---- packets ---- */

/* IPv4 header (20 bytes, no options) + payload into out; returns the length. */
static inline size_t pk_ip4(uint8_t *out, uint8_t proto, const uint8_t src[4], const uint8_t dst[4],
                            uint16_t id, uint16_t frag, const void *payload, size_t plen)
{
	size_t tot = 20 + plen;
	out[0] = 0x45;
	out[1] = 0;
	out[2] = (uint8_t)(tot >> 8);
	out[3] = (uint8_t)tot;
	out[4] = (uint8_t)(id >> 8);
	out[5] = (uint8_t)id;
	out[6] = (uint8_t)(frag >> 8);
	out[7] = (uint8_t)frag;
	out[8] = 64;
	out[9] = proto;
	out[10] = out[11] = 0;
	memcpy(out + 12, src, 4);
	memcpy(out + 16, dst, 4);
	memcpy(out + 20, payload, plen);
	return tot;
}

/* IPv6 header (40 bytes) + payload into out; returns the length. */
static inline size_t pk_ip6(uint8_t *out, uint8_t nh, const uint8_t src[16], const uint8_t dst[16],
                            const void *payload, size_t plen)
{
	out[0] = 0x60;
	out[1] = out[2] = out[3] = 0;
	out[4] = (uint8_t)(plen >> 8);
	out[5] = (uint8_t)plen;
	out[6] = nh;
	out[7] = 64;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, dst, 16);
	memcpy(out + 40, payload, plen);
	return 40 + plen;
}

/* UDP header + payload into out; returns the length. */
static inline size_t pk_udp(uint8_t *out, uint16_t sport, uint16_t dport, const void *payload,
                            size_t plen)
{
	size_t len = 8 + plen;
	out[0] = (uint8_t)(sport >> 8);
	out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8);
	out[3] = (uint8_t)dport;
	out[4] = (uint8_t)(len >> 8);
	out[5] = (uint8_t)len;
	out[6] = out[7] = 0;
	if (plen)
		memcpy(out + 8, payload, plen);
	return len;
}

/* TCP header (20 bytes, no options) + payload into out; returns the length. */
static inline size_t pk_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq,
                            uint32_t ack, uint8_t flags, const void *payload, size_t plen)
{
	memset(out, 0, 20);
	out[0] = (uint8_t)(sport >> 8);
	out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8);
	out[3] = (uint8_t)dport;
	out[4] = (uint8_t)(seq >> 24);
	out[5] = (uint8_t)(seq >> 16);
	out[6] = (uint8_t)(seq >> 8);
	out[7] = (uint8_t)seq;
	out[8] = (uint8_t)(ack >> 24);
	out[9] = (uint8_t)(ack >> 16);
	out[10] = (uint8_t)(ack >> 8);
	out[11] = (uint8_t)ack;
	out[12] = 5 << 4;
	out[13] = flags;
	out[14] = 0xff;
	out[15] = 0xff;
	if (plen)
		memcpy(out + 20, payload, plen);
	return 20 + plen;
}

/* Ethernet header (14 bytes) with ethertype in front of l3 into out; returns the length. */
static inline size_t pk_eth(uint8_t *out, uint16_t type, const void *l3, size_t len)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	memcpy(out, macs, 12);
	out[12] = (uint8_t)(type >> 8);
	out[13] = (uint8_t)type;
	memcpy(out + 14, l3, len);
	return 14 + len;
}

/* Linux cooked v2 header (20 bytes) in front of l3 into out; returns the length. */
static inline size_t pk_sll2(uint8_t *out, uint16_t type, const void *l3, size_t len)
{
	memset(out, 0, 20);
	out[0] = (uint8_t)(type >> 8);
	out[1] = (uint8_t)type;
	out[7] = 1; /* ARPHRD_ETHER, low byte */
	out[8] = 4; /* PACKET_OUTGOING */
	out[9] = 6; /* address length */
	memcpy(out + 20, l3, len);
	return 20 + len;
}

#endif
