/*
 * decode.c - link layer to IP to TCP/UDP/ICMP, with bounded IPv4/IPv6 fragment reassembly.
 *
 * Link layers (LINKTYPE_* numbers, tcpdump.org/linktypes.html): Ethernet with stacked 802.1Q /
 * 802.1ad tags (IEEE 802.1Q) and MPLS label stacks (RFC 3032) carrying IP; Linux cooked v1 and
 * v2; raw IP (101, and the DLT values 12 and 14 some files carry); IPv4 and IPv6 link types;
 * BSD NULL and LOOP (an address family in either byte order: 2 is IPv4, 24/28/30 are IPv6 on
 * the BSDs and macOS); NFLOG (TLVs in the capturing host's byte order, NFULA_PAYLOAD = 9).
 * IPv4 (RFC 791, options skipped by IHL), IPv6 (RFC 8200, extension headers skipped: hop-by-
 * hop, routing, destination options, fragment, AH per RFC 4302), TCP (RFC 9293), UDP (RFC 768).
 *
 * Reassembly (RFC 791, RFC 8200 section 4.5): at most PD_MAX_FRAG_SETS datagrams in progress,
 * each at most PD_MAX_FRAG_BYTES, expired after PD_FRAG_TIMEOUT_NS of capture time. Fragments
 * that overlap with different bytes make the whole datagram be dropped (RFC 5722); exact
 * duplicates are ignored. The buffers are allocated once, at the first fragment.
 *
 * PPP link types (LINKTYPE_PPP 9, LINKTYPE_PPP_HDLC 50, LINKTYPE_PPP_ETHER 51, LINKTYPE_C_HDLC
 * 104) and PPPoE sessions in Ethernet (0x8864; discovery, 0x8863, is control) go through
 * pd_ppp_peel (tunnel.c). After the transport header, tunnels (tunnel.c) are peeled off, at
 * most PD_MAX_TUNNEL_DEPTH layers: the inner packet is decoded in place of the outer one, whose
 * addresses go into pkt->tun. A tunnel port or protocol whose header is not that tunnel's
 * leaves the outer packet as it is (tun_invalid); a packet with more layers than the limit is
 * handed out at the limit's depth (tun_too_deep), so its bytes still count somewhere.
 *
 * Every byte is read through the cursor; the frame is trusted for nothing but f->caplen.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cur.h"
#include "decode.h"
#include "reader_impl.h"
#include "tunnel.h"

#define PD_MAX_VLAN_TAGS   8  /* stacked 802.1Q/802.1ad tags followed */
#define PD_MAX_MPLS_LABELS 16 /* MPLS labels followed before giving up */
#define PD_MAX_IP6_EXT     16 /* IPv6 extension headers skipped before giving up */
#define PD_MAX_NFLOG_TLVS  64 /* NFLOG TLVs examined */

#define FRAG_UNITS (PD_MAX_FRAG_BYTES / 8 + 1) /* 8-byte units of one datagram */

#define ETH_IPV4     0x0800
#define ETH_IPV6     0x86DD
#define ETH_VLAN     0x8100
#define ETH_QINQ     0x88A8
#define ETH_QINQ_OLD 0x9100
#define ETH_MPLS     0x8847
#define ETH_MPLS_MC  0x8848
#define ETH_PPPOE_D  0x8863 /* PPPoE discovery */
#define ETH_PPPOE_S  0x8864 /* PPPoE session */

struct frag_set {
	bool used;
	uint8_t family, proto;
	struct pd_addr src, dst;
	uint32_t id;
	int64_t first_ts;
	uint32_t total;      /* payload length once the last fragment is seen, else 0 */
	uint32_t units_have; /* 8-byte units received */
	uint8_t map[FRAG_UNITS / 8 + 1];
	uint8_t *data; /* PD_MAX_FRAG_BYTES bytes */
};

struct pd_decoder {
	struct pd_decode_stats st;
	struct frag_set sets[PD_MAX_FRAG_SETS];
	uint8_t *out;  /* the reassembled datagram handed out */
	uint8_t *pool; /* PD_MAX_FRAG_SETS * PD_MAX_FRAG_BYTES */
};

struct pd_decoder *pd_decoder_new(void)
{
	return calloc(1, sizeof(struct pd_decoder));
}

/* The reassembly buffers, allocated at the first fragment: most captures never need them. */
static bool frag_pool(struct pd_decoder *d)
{
	unsigned i;

	if (d->pool)
		return true;
	d->pool = calloc(PD_MAX_FRAG_SETS + 1, PD_MAX_FRAG_BYTES);
	if (!d->pool)
		return false;
	for (i = 0; i < PD_MAX_FRAG_SETS; i++)
		d->sets[i].data = d->pool + (size_t)i * PD_MAX_FRAG_BYTES;
	d->out = d->pool + (size_t)PD_MAX_FRAG_SETS * PD_MAX_FRAG_BYTES;
	return true;
}

void pd_decoder_free(struct pd_decoder *d)
{
	if (!d)
		return;
	free(d->pool);
	free(d);
}

const struct pd_decode_stats *pd_decoder_stats(const struct pd_decoder *d)
{
	return &d->st;
}

static enum pd_err count(struct pd_decoder *d, enum pd_err e)
{
	switch (e) {
	case PD_ERR_TRUNCATED:
		d->st.truncated++;
		break;
	case PD_ERR_MALFORMED:
		d->st.malformed++;
		break;
	default:
		break;
	}
	return e;
}

/* TCP/UDP/ICMP header of an IP payload c (captured bytes); wire = payload length announced. */
static enum pd_err decode_l4(struct pd_decoder *d, struct pd_cur *c, uint32_t wire,
                             struct pd_pkt *pkt)
{
	uint32_t hl, ulen;
	uint8_t off;

	switch (pkt->proto) {
	case PD_L4_TCP:
		pkt->sport = pd_cur_be16(c);
		pkt->dport = pd_cur_be16(c);
		pkt->seq = pd_cur_be32(c);
		pkt->ack = pd_cur_be32(c);
		off = pd_cur_u8(c);
		pkt->tcp_flags = pd_cur_u8(c);
		pd_cur_skip(c, 6); /* window, checksum, urgent pointer */
		if (c->err)
			return PD_ERR_TRUNCATED;
		hl = (uint32_t)(off >> 4) * 4;
		if (hl < 20 || hl > wire)
			return PD_ERR_MALFORMED;
		pd_cur_skip(c, hl - 20); /* options */
		if (c->err)
			return PD_ERR_TRUNCATED;
		wire -= hl;
		break;
	case PD_L4_UDP:
		pkt->sport = pd_cur_be16(c);
		pkt->dport = pd_cur_be16(c);
		ulen = pd_cur_be16(c);
		pd_cur_skip(c, 2);
		if (c->err)
			return PD_ERR_TRUNCATED;
		if (wire < 8)
			return PD_ERR_MALFORMED;
		/* UDP length 0 is legal in jumbograms; otherwise trust the smaller. */
		if (ulen >= 8 && ulen < wire)
			wire = ulen;
		wire -= 8;
		break;
	case PD_L4_ICMP:
	case PD_L4_ICMP6:
		d->st.icmp++;
		break;
	default:
		break;
	}
	pkt->payload = c->p;
	pkt->payload_len = (uint32_t)pd_cur_left(c);
	if (pkt->payload_len > wire)
		pkt->payload_len = wire;
	pkt->payload_wire_len = wire;
	return PD_OK;
}

/* Capture times are hostile too: no signed overflow, and a jump backwards also expires. */
static bool expired(int64_t now, int64_t first)
{
	int64_t delta;

	if (__builtin_sub_overflow(now, first, &delta))
		return true;
	return delta > PD_FRAG_TIMEOUT_NS || delta < -PD_FRAG_TIMEOUT_NS;
}

static void frag_free(struct frag_set *s)
{
	s->used = false;
	s->total = 0;
	s->units_have = 0;
	memset(s->map, 0, sizeof(s->map));
}

/*
 * Files one fragment: payload bytes [off, off + len) of the datagram keyed by (family, src, dst,
 * id, proto); last is true when no more fragments follow. Returns the set when the datagram is
 * complete, else NULL (held or dropped).
 */
static struct frag_set *frag_add(struct pd_decoder *d, const struct pd_pkt *pkt, uint32_t id,
                                 uint32_t off, const uint8_t *data, uint32_t len, bool last)
{
	struct frag_set *s = NULL, *oldest = NULL, *free_set = NULL;
	uint32_t u, u0, u1, i;
	unsigned k;

	d->st.fragments++;
	if (!frag_pool(d)) {
		d->st.frag_dropped++; /* out of memory: the fragment cannot be kept */
		return NULL;
	}
	for (k = 0; k < PD_MAX_FRAG_SETS; k++) {
		struct frag_set *t = &d->sets[k];
		if (!t->used) {
			if (!free_set)
				free_set = t;
			continue;
		}
		if (expired(pkt->ts_ns, t->first_ts)) {
			d->st.frag_dropped++;
			frag_free(t);
			if (!free_set)
				free_set = t;
			continue;
		}
		if (t->id == id && t->family == pkt->src.family && t->proto == pkt->proto &&
		    memcmp(&t->src, &pkt->src, sizeof(t->src)) == 0 &&
		    memcmp(&t->dst, &pkt->dst, sizeof(t->dst)) == 0) {
			s = t;
			break;
		}
		if (!oldest || t->first_ts < oldest->first_ts)
			oldest = t;
	}
	if (!s) {
		if (!free_set) {
			d->st.frag_dropped++; /* every set busy: the oldest gives way */
			frag_free(oldest);
			free_set = oldest;
		}
		s = free_set;
		s->used = true;
		s->family = pkt->src.family;
		s->proto = pkt->proto;
		s->src = pkt->src;
		s->dst = pkt->dst;
		s->id = id;
		s->first_ts = pkt->ts_ns;
	}
	/* Only the last fragment may end off an 8-byte boundary. */
	if ((uint64_t)off + len > PD_MAX_FRAG_BYTES || (!last && (len & 7u)) ||
	    (last && s->total && s->total != off + len) ||
	    (!last && s->total && off + len > s->total) || (last && off + len == 0)) {
		d->st.frag_dropped++;
		frag_free(s);
		return NULL;
	}
	if (last) {
		s->total = off + len;
		/* Data already held beyond the end: inconsistent, drop. */
		for (u = (s->total + 7) / 8; u < FRAG_UNITS; u++)
			if (s->map[u / 8] & (1u << (u % 8))) {
				d->st.frag_dropped++;
				frag_free(s);
				return NULL;
			}
	}
	u0 = off / 8;
	u1 = (off + len + 7) / 8;
	for (u = u0; u < u1; u++) {
		if (!(s->map[u / 8] & (1u << (u % 8))))
			continue;
		/* Overlap: tolerated only when the bytes are the same (a duplicate). */
		i = u * 8;
		{
			uint32_t a = i < off ? off : i, b = i + 8 > off + len ? off + len : i + 8;
			if (memcmp(s->data + a, data + (a - off), b - a) != 0) {
				d->st.frag_dropped++;
				frag_free(s);
				return NULL;
			}
		}
	}
	memcpy(s->data + off, data, len);
	for (u = u0; u < u1; u++) {
		if (!(s->map[u / 8] & (1u << (u % 8)))) {
			s->map[u / 8] |= (uint8_t)(1u << (u % 8));
			s->units_have++;
		}
	}
	if (s->total && s->units_have == (s->total + 7) / 8)
		return s;
	return NULL;
}

static enum pd_err decode_ip6_rest(struct pd_decoder *d, struct pd_cur *c, uint8_t nh,
                                   uint32_t wire, struct pd_pkt *pkt, int depth);

/* Delivers a completed datagram: copies it out so the set can be reused at once. */
static enum pd_err frag_done(struct pd_decoder *d, struct frag_set *s, struct pd_pkt *pkt,
                             uint32_t hdr_len)
{
	struct pd_cur c;
	uint32_t total = s->total;
	enum pd_err e;

	memcpy(d->out, s->data, total);
	frag_free(s);
	d->st.reassembled++;
	pkt->reassembled = true;
	pkt->ip_len = hdr_len + total;
	c = pd_cur_make(d->out, total);
	if (pkt->src.family == 6)
		e = decode_ip6_rest(d, &c, pkt->proto, total, pkt, 1);
	else
		e = decode_l4(d, &c, total, pkt);
	return e;
}

static enum pd_err decode_ip4(struct pd_decoder *d, struct pd_cur *c, struct pd_pkt *pkt)
{
	uint8_t vihl;
	uint32_t hl, tot, avail, id, off;
	uint16_t fo;
	struct frag_set *s;

	vihl = pd_cur_u8(c);
	pd_cur_skip(c, 1);
	tot = pd_cur_be16(c);
	id = pd_cur_be16(c);
	fo = pd_cur_be16(c);
	pd_cur_skip(c, 1); /* TTL */
	pkt->proto = pd_cur_u8(c);
	pd_cur_skip(c, 2); /* checksum */
	pkt->src.family = pkt->dst.family = 4;
	pd_cur_copy(c, pkt->src.a, 4);
	pd_cur_copy(c, pkt->dst.a, 4);
	if (c->err)
		return PD_ERR_TRUNCATED;
	if ((vihl >> 4) != 4)
		return PD_ERR_MALFORMED;
	hl = (uint32_t)(vihl & 15) * 4;
	if (hl < 20)
		return PD_ERR_MALFORMED;
	pd_cur_skip(c, hl - 20); /* options */
	if (c->err)
		return PD_ERR_TRUNCATED;
	avail = (uint32_t)pd_cur_left(c) + hl;
	if (tot == 0)
		tot = avail; /* TCP segmentation offload leaves 0 in captures */
	if (tot < hl)
		return PD_ERR_MALFORMED;
	if (tot < avail)
		c->end = c->p + (tot - hl); /* link-layer padding follows the datagram */
	pkt->ip_len = tot;
	if (fo & 0x3FFF) {
		/* A fragment: MF set or offset non-zero. */
		off = (uint32_t)(fo & 0x1FFF) * 8;
		if (tot > avail) {
			d->st.frag_dropped++; /* a cut fragment cannot be reassembled */
			return PD_ERR_TRUNCATED;
		}
		s = frag_add(d, pkt, id, off, c->p, tot - hl, !(fo & 0x2000));
		if (!s)
			return PD_ERR_NEED_MORE;
		return frag_done(d, s, pkt, hl);
	}
	return decode_l4(d, c, tot - hl, pkt);
}

/* From next header nh at c (wire bytes announced) through extension headers to L4. */
static enum pd_err decode_ip6_rest(struct pd_decoder *d, struct pd_cur *c, uint8_t nh,
                                   uint32_t wire, struct pd_pkt *pkt, int depth)
{
	uint32_t hl, fo, id, unfrag;
	const uint8_t *start;
	struct frag_set *s;
	int n;

	for (n = 0; n < PD_MAX_IP6_EXT; n++) {
		start = c->p;
		switch (nh) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			nh = pd_cur_u8(c);
			hl = ((uint32_t)pd_cur_u8(c) + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units minus 2 */
			nh = pd_cur_u8(c);
			hl = ((uint32_t)pd_cur_u8(c) + 2) * 4;
			break;
		case 44: /* fragment */
			if (depth > 0)
				return PD_ERR_MALFORMED; /* a fragment inside a fragment */
			nh = pd_cur_u8(c);
			pd_cur_skip(c, 1);
			fo = pd_cur_be16(c);
			id = pd_cur_be32(c);
			if (c->err)
				return PD_ERR_TRUNCATED;
			if (wire < 8)
				return PD_ERR_MALFORMED;
			wire -= 8;
			if ((fo & 0xFFF8) == 0 && !(fo & 1)) {
				/* An atomic fragment (RFC 6946): process as a whole packet. */
				continue;
			}
			if (wire > pd_cur_left(c)) {
				d->st.frag_dropped++;
				return PD_ERR_TRUNCATED;
			}
			pkt->proto = nh;
			s = frag_add(d, pkt, id, fo & 0xFFF8, c->p, wire, !(fo & 1));
			if (!s)
				return PD_ERR_NEED_MORE;
			/* ip_len: the unfragmentable part plus the reassembled rest. */
			unfrag = pkt->ip_len - wire - 8;
			return frag_done(d, s, pkt, unfrag);
		default:
			pkt->proto = nh;
			return decode_l4(d, c, wire, pkt);
		}
		if (c->err)
			return PD_ERR_TRUNCATED;
		if (hl > wire)
			return PD_ERR_MALFORMED;
		pd_cur_skip(c, hl - (uint32_t)(c->p - start));
		if (c->err)
			return PD_ERR_TRUNCATED;
		wire -= hl;
	}
	return PD_ERR_MALFORMED; /* more extension headers than anyone sends */
}

static enum pd_err decode_ip6(struct pd_decoder *d, struct pd_cur *c, struct pd_pkt *pkt)
{
	uint32_t vtf, plen, avail;
	uint8_t nh;

	vtf = pd_cur_be32(c);
	plen = pd_cur_be16(c);
	nh = pd_cur_u8(c);
	pd_cur_skip(c, 1); /* hop limit */
	pkt->src.family = pkt->dst.family = 6;
	pd_cur_copy(c, pkt->src.a, 16);
	pd_cur_copy(c, pkt->dst.a, 16);
	if (c->err)
		return PD_ERR_TRUNCATED;
	if ((vtf >> 28) != 6)
		return PD_ERR_MALFORMED;
	avail = (uint32_t)pd_cur_left(c);
	if (plen == 0)
		plen = avail; /* jumbogram or offloaded: what was captured */
	if (plen < avail)
		c->end = c->p + plen;
	pkt->ip_len = 40 + plen;
	return decode_ip6_rest(d, c, nh, plen, pkt, 0);
}

/* By the version nibble: raw IP link types and MPLS payloads. */
static enum pd_err decode_ip_any(struct pd_decoder *d, struct pd_cur *c, struct pd_pkt *pkt)
{
	if (!pd_cur_need(c, 1))
		return PD_ERR_TRUNCATED;
	switch (c->p[0] >> 4) {
	case 4:
		return decode_ip4(d, c, pkt);
	case 6:
		return decode_ip6(d, c, pkt);
	default:
		d->st.not_ip++;
		return PD_ERR_UNSUPPORTED;
	}
}

/* From an EtherType at c (VLAN tags and MPLS labels followed) to IP. */
static enum pd_err decode_ethertype(struct pd_decoder *d, struct pd_cur *c, uint16_t type,
                                    struct pd_pkt *pkt)
{
	int n;
	uint32_t label;
	uint16_t ppp;
	enum pd_err e;

	for (n = 0; n <= PD_MAX_VLAN_TAGS; n++) {
		switch (type) {
		case PD_ETH_IP_ANY:
			return decode_ip_any(d, c, pkt);
		case ETH_IPV4:
			return decode_ip4(d, c, pkt);
		case ETH_IPV6:
			return decode_ip6(d, c, pkt);
		case PD_ETH_TEB:
			/* an Ethernet frame inside a tunnel: skip the MAC addresses */
			pd_cur_skip(c, 12);
			type = pd_cur_be16(c);
			if (c->err)
				return PD_ERR_TRUNCATED;
			break;
		case ETH_PPPOE_D:
			d->st.ppp_control++;
			return PD_ERR_UNSUPPORTED;
		case ETH_PPPOE_S:
		case PD_ETH_PPP:
			e = pd_ppp_peel(c, type == PD_ETH_PPP ? PD_PPP_BARE_OR_HDLC : PD_PPP_PPPOE,
			                &type, &ppp);
			if (e == PD_ERR_UNSUPPORTED) {
				/* LCP, NCPs, authentication, discovery */
				if (ppp >= 0x4000 || !ppp)
					d->st.ppp_control++;
				else
					d->st.not_ip++;
			}
			if (e != PD_OK)
				return e;
			break;
		case ETH_VLAN:
		case ETH_QINQ:
		case ETH_QINQ_OLD:
			pd_cur_skip(c, 2); /* tag control information */
			type = pd_cur_be16(c);
			if (c->err)
				return PD_ERR_TRUNCATED;
			break;
		case ETH_MPLS:
		case ETH_MPLS_MC:
			for (n = 0; n < PD_MAX_MPLS_LABELS; n++) {
				label = pd_cur_be32(c);
				if (c->err)
					return PD_ERR_TRUNCATED;
				if (label & 0x100) /* bottom of stack */
					return decode_ip_any(d, c, pkt);
			}
			return PD_ERR_MALFORMED;
		default:
			d->st.not_ip++;
			return PD_ERR_UNSUPPORTED;
		}
	}
	return PD_ERR_MALFORMED; /* more tags than anyone stacks */
}

/* Whether a TLV header at p (4 bytes) reads sensibly in one byte order with left bytes. */
static bool nflog_tlv_fits(const uint8_t *p, size_t left, bool be)
{
	uint16_t len = be ? (uint16_t)((p[0] << 8) | p[1]) : (uint16_t)(p[0] | (p[1] << 8));
	uint16_t type = be ? (uint16_t)((p[2] << 8) | p[3]) : (uint16_t)(p[2] | (p[3] << 8));

	return len >= 4 && len <= left && (type & 0x3FFF) <= PD_NFLOG_MAX_TYPE;
}

enum pd_err pd_nflog_payload(const uint8_t *data, size_t len, struct pd_cur *payload)
{
	struct pd_cur c = pd_cur_make(data, len);
	uint16_t tlen, type;
	bool be;
	size_t pad;
	int n;

	pd_cur_skip(&c, 4); /* family, version, resource id */
	if (c.err || pd_cur_left(&c) < 4)
		return PD_ERR_TRUNCATED;
	/* TLVs are in the capturing host's byte order, which the file does not record: take the
	 * order in which the first TLV makes sense (little-endian when both do). */
	if (nflog_tlv_fits(c.p, pd_cur_left(&c), false))
		be = false;
	else if (nflog_tlv_fits(c.p, pd_cur_left(&c), true))
		be = true;
	else
		return PD_ERR_MALFORMED;
	for (n = 0; n < PD_MAX_NFLOG_TLVS && pd_cur_left(&c) >= 4; n++) {
		tlen = be ? pd_cur_be16(&c) : pd_cur_le16(&c);
		type = be ? pd_cur_be16(&c) : pd_cur_le16(&c);
		if (tlen < 4)
			return PD_ERR_MALFORMED;
		*payload = pd_cur_sub(&c, tlen - 4u);
		if (c.err)
			return PD_ERR_MALFORMED;
		if ((type & 0x3FFF) == PD_NFULA_PAYLOAD)
			return PD_OK;
		pad = (4u - (tlen & 3u)) & 3u;
		pd_cur_skip(&c, pad > pd_cur_left(&c) ? pd_cur_left(&c) : pad);
	}
	return PD_ERR_UNSUPPORTED;
}

/* A PPP link type: the PPP header, then the network packet. */
static enum pd_err decode_ppp(struct pd_decoder *d, struct pd_cur *c, enum pd_ppp_framing fr,
                              struct pd_pkt *pkt)
{
	uint16_t type, ppp;
	enum pd_err e = pd_ppp_peel(c, fr, &type, &ppp);

	if (e == PD_ERR_UNSUPPORTED) {
		if (ppp >= 0x4000 || !ppp)
			d->st.ppp_control++;
		else
			d->st.not_ip++;
	}
	if (e != PD_OK)
		return e;
	return decode_ethertype(d, c, type, pkt);
}

/*
 * Peels tunnels off a decoded packet (see the top of the file). Returns PD_OK with pkt the
 * innermost packet reached, or the inner packet's decoding error (the packet is then not
 * handed out: a fragment held, ARP inside VXLAN, a cut inner header).
 */
static enum pd_err decode_tunnels(struct pd_decoder *d, struct pd_pkt *pkt)
{
	struct pd_tun_layer layer;
	struct pd_cur in;
	uint16_t type = 0;
	int64_t ts;
	uint8_t n;
	enum pd_err e;

	for (;;) {
		e = pd_tunnel_peel(pkt, &layer, &type, &in);
		switch (e) {
		case PD_OK:
			break;
		case PD_ERR_NOTFOUND:
			return PD_OK;
		case PD_ERR_UNSUPPORTED:
			d->st.tun_control++;
			return PD_ERR_UNSUPPORTED;
		case PD_ERR_TRUNCATED:
			return PD_ERR_TRUNCATED;
		default:
			/* not a tunnel after all: the outer packet is the flow */
			d->st.tun_invalid++;
			return PD_OK;
		}
		if (pkt->n_tun >= PD_MAX_TUNNEL_DEPTH) {
			d->st.tun_too_deep++;
			return PD_OK;
		}
		/* The inner packet replaces the outer one; in points into the frame or d->out,
		 * which decoding the inner packet reads before it could overwrite them. */
		ts = pkt->ts_ns;
		n = pkt->n_tun;
		memset(pkt, 0, offsetof(struct pd_pkt, n_tun));
		pkt->ts_ns = ts;
		pkt->tun[n] = layer;
		pkt->n_tun = (uint8_t)(n + 1);
		d->st.tun_peeled++;
		e = decode_ethertype(d, &in, type, pkt);
		if (e != PD_OK) {
			if (e != PD_ERR_NEED_MORE && e != PD_ERR_UNSUPPORTED)
				d->st.tun_inner_bad++;
			return e;
		}
	}
}

static enum pd_err decode_nflog(struct pd_decoder *d, struct pd_cur *c, struct pd_pkt *pkt)
{
	struct pd_cur v;
	enum pd_err e = pd_nflog_payload(c->p, pd_cur_left(c), &v);

	if (e == PD_OK)
		return decode_ip_any(d, &v, pkt);
	if (e == PD_ERR_UNSUPPORTED)
		d->st.not_ip++;
	return e;
}

enum pd_err pd_decode(struct pd_decoder *d, const struct pd_frame *f, struct pd_pkt *pkt)
{
	struct pd_cur c = pd_cur_make(f->data, f->caplen);
	uint32_t af;
	uint16_t type, pkttype;
	enum pd_err e;

	memset(pkt, 0, offsetof(struct pd_pkt, tun));
	pkt->ts_ns = f->ts_ns;
	pkttype = 0xffff;
	switch (f->linktype) {
	case PD_LINK_ETHERNET:
		pd_cur_skip(&c, 12);
		type = pd_cur_be16(&c);
		if (c.err)
			return count(d, PD_ERR_TRUNCATED);
		e = decode_ethertype(d, &c, type, pkt);
		break;
	case PD_LINK_LINUX_SLL:
		/* packet type: 0 to us, 4 sent by us */
		pkttype = pd_cur_be16(&c);
		pd_cur_skip(&c, 12);
		type = pd_cur_be16(&c);
		if (c.err)
			return count(d, PD_ERR_TRUNCATED);
		e = decode_ethertype(d, &c, type, pkt);
		break;
	case PD_LINK_LINUX_SLL2:
		type = pd_cur_be16(&c);
		pd_cur_skip(&c, 8);
		pkttype = pd_cur_u8(&c);
		pd_cur_skip(&c, 9);
		if (c.err)
			return count(d, PD_ERR_TRUNCATED);
		e = decode_ethertype(d, &c, type, pkt);
		break;
	case PD_LINK_RAW:
	case 12:
	case 14:
		e = decode_ip_any(d, &c, pkt);
		break;
	case PD_LINK_IPV4:
		e = decode_ip4(d, &c, pkt);
		break;
	case PD_LINK_IPV6:
		e = decode_ip6(d, &c, pkt);
		break;
	case PD_LINK_NULL:
	case PD_LINK_LOOP:
		af = pd_cur_be32(&c);
		if (c.err)
			return count(d, PD_ERR_TRUNCATED);
		if (af > 0xFFFF)
			af = __builtin_bswap32(af); /* written in the other byte order */
		if (af == 2)
			e = decode_ip4(d, &c, pkt);
		else if (af == 24 || af == 28 || af == 30)
			e = decode_ip6(d, &c, pkt);
		else {
			d->st.not_ip++;
			e = PD_ERR_UNSUPPORTED;
		}
		break;
	case PD_LINK_NFLOG:
		e = decode_nflog(d, &c, pkt);
		break;
	case PD_LINK_PPP:
		e = decode_ppp(d, &c, PD_PPP_BARE_OR_HDLC, pkt);
		break;
	case PD_LINK_PPP_HDLC:
	case PD_LINK_C_HDLC:
		e = decode_ppp(d, &c, PD_PPP_HDLC, pkt);
		break;
	case PD_LINK_PPP_ETHER:
		e = decode_ppp(d, &c, PD_PPP_PPPOE, pkt);
		break;
	default:
		d->st.unsupported_link++;
		return PD_ERR_UNSUPPORTED;
	}
	if (e == PD_OK)
		e = decode_tunnels(d, pkt);
	if (pkttype == 4 || (pkttype == 0xffff && (f->epb_flags & 3) == 2))
		pkt->host_dir = 1;
	else if (pkttype == 0 || (pkttype == 0xffff && (f->epb_flags & 3) == 1))
		pkt->host_dir = 2;
	return count(d, e);
}

char *pd_addr_str(const struct pd_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

enum pd_err pd_addr_parse(const char *s, struct pd_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = 4;
		return PD_OK;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = 6;
		return PD_OK;
	}
	memset(a, 0, sizeof(*a));
	return PD_ERR_MALFORMED;
}
