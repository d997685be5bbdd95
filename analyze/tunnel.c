/*
 * tunnel.c - tunnel and PPP headers peeled off by the decoder (tunnel.h says how it is called).
 *
 * Tunnels:
 *  - VXLAN (RFC 7348): UDP to 4789 or 8472 (Linux's and Flannel's default); 8-byte header,
 *    I flag (0x08) required, 24-bit VNI; an Ethernet frame follows. Other flag bits (group
 *    policy) are ignored as the RFC asks of receivers.
 *  - Geneve (RFC 8926): UDP to 6081; version 0, options (length in 4-byte words, each option
 *    class/type/length walked and skipped), protocol type as an EtherType, 24-bit VNI. O
 *    (OAM control) packets carry no inner packet for us.
 *  - GRE (RFC 2784, RFC 2890 key and sequence number): checksum, key and sequence fields by
 *    their flags; routing (RFC 1701) is refused; protocol types IPv4, IPv6, 0x6558 (transparent
 *    Ethernet bridging), MPLS, ERSPAN type I/II (0x88BE; type II when the sequence number is
 *    present: 8-byte header, version 1, 10-bit session ID) and type III (0x22EB: 12-byte header,
 *    version 2, an 8-byte platform subheader when O is set, frame type 0 Ethernet or 2 IP).
 *    Version 1 is PPTP's enhanced GRE (RFC 2637): key (payload length, call ID), optional
 *    sequence and acknowledgement numbers, a PPP frame.
 *  - IP protocol 4 (IPv4 inside, RFC 2003 / RFC 2473) and 41 (IPv6 inside, RFC 4213 / RFC 2473)
 *    in IPv4 or IPv6.
 * PPP (RFC 1661: protocol field, compressed to one byte when odd; RFC 1662: 0xff 0x03 address
 * and control), Cisco HDLC (address 0x0f/0x8f, control 0, EtherType), PPPoE sessions (RFC 2516:
 * version/type 0x11, code 0, session ID, length).
 *
 * Every byte is read through the cursor over the outer packet's captured payload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel.h"

#define PD_IPPROTO_IPIP 4
#define PD_IPPROTO_IPV6 41
#define PD_IPPROTO_GRE  47

#define GRE_C   0x8000
#define GRE_R   0x4000
#define GRE_K   0x2000
#define GRE_S   0x1000
#define GRE_A   0x0080 /* version 1: acknowledgement number present */
#define GRE_VER 0x0007

#define ETH_ERSPAN2 0x88BE
#define ETH_ERSPAN3 0x22EB

static enum pd_err vxlan(struct pd_cur *c, struct pd_tun_layer *l, uint16_t *type)
{
	uint8_t flags = pd_cur_u8(c);
	uint32_t vni;

	pd_cur_skip(c, 3);
	vni = pd_cur_be24(c);
	pd_cur_skip(c, 1);
	if (c->err)
		return PD_ERR_TRUNCATED;
	if (!(flags & 0x08))
		return PD_ERR_MALFORMED; /* no valid VNI: RFC 7348 5 */
	l->kind = PD_TUN_VXLAN;
	l->has_id = true;
	l->id = vni;
	*type = PD_ETH_TEB;
	return PD_OK;
}

static enum pd_err geneve(struct pd_cur *c, struct pd_tun_layer *l, uint16_t *type)
{
	uint8_t b0 = pd_cur_u8(c), b1 = pd_cur_u8(c);
	uint16_t proto = pd_cur_be16(c);
	uint32_t vni = pd_cur_be24(c);
	struct pd_cur opts;
	uint8_t olen;

	pd_cur_skip(c, 1);
	if (c->err)
		return PD_ERR_TRUNCATED;
	if (b0 >> 6)
		return PD_ERR_MALFORMED; /* version 0 only */
	opts = pd_cur_sub(c, (size_t)(b0 & 0x3f) * 4);
	if (c->err)
		return PD_ERR_TRUNCATED;
	/* At most 63 options fit in 252 bytes: the walk is bounded by the length field. */
	while (pd_cur_left(&opts)) {
		pd_cur_skip(&opts, 3); /* class, type */
		olen = pd_cur_u8(&opts) & 0x1f;
		pd_cur_skip(&opts, (size_t)olen * 4);
		if (opts.err)
			return PD_ERR_MALFORMED; /* an option past the options length */
	}
	l->kind = PD_TUN_GENEVE;
	l->has_id = true;
	l->id = vni;
	if (b1 & 0x80)
		return PD_ERR_UNSUPPORTED; /* OAM control message */
	*type = proto;
	return PD_OK;
}

static enum pd_err erspan2(struct pd_cur *c, bool has_seq, struct pd_tun_layer *l)
{
	uint32_t w;

	l->kind = PD_TUN_ERSPAN2;
	if (!has_seq)
		return PD_OK; /* type I: the frame follows the GRE header */
	w = pd_cur_be32(c);
	pd_cur_skip(c, 4); /* reserved, index */
	if (c->err)
		return PD_ERR_TRUNCATED;
	if (w >> 28 != 1)
		return PD_ERR_MALFORMED;
	l->has_id = true;
	l->id = w & 0x3ff;
	return PD_OK;
}

static enum pd_err erspan3(struct pd_cur *c, struct pd_tun_layer *l, uint16_t *type)
{
	uint32_t w = pd_cur_be32(c), w3;
	unsigned ft;

	pd_cur_skip(c, 4); /* timestamp */
	w3 = pd_cur_be32(c);
	if (c->err)
		return PD_ERR_TRUNCATED;
	if (w >> 28 != 2)
		return PD_ERR_MALFORMED;
	if (w3 & 1)
		pd_cur_skip(c, 8); /* platform-specific subheader */
	if (c->err)
		return PD_ERR_TRUNCATED;
	ft = (w3 >> 10) & 0x1f;
	if (ft == 0)
		*type = PD_ETH_TEB;
	else if (ft == 2)
		*type = PD_ETH_IP_ANY;
	else
		return PD_ERR_MALFORMED;
	l->kind = PD_TUN_ERSPAN3;
	l->has_id = true;
	l->id = w & 0x3ff;
	return PD_OK;
}

static enum pd_err gre(struct pd_cur *c, struct pd_tun_layer *l, uint16_t *type)
{
	uint16_t flags = pd_cur_be16(c), proto = pd_cur_be16(c);
	uint32_t key = 0;

	if (c->err)
		return PD_ERR_TRUNCATED;
	l->kind = PD_TUN_GRE;
	if ((flags & GRE_VER) == 1) {
		/* PPTP (RFC 2637 4.1): key always, PPP inside */
		if (!(flags & GRE_K) || proto != PD_ETH_PPP || (flags & (GRE_C | GRE_R)))
			return PD_ERR_MALFORMED;
		key = pd_cur_be32(c);
		if (flags & GRE_S)
			pd_cur_skip(c, 4);
		if (flags & GRE_A)
			pd_cur_skip(c, 4);
		if (c->err)
			return PD_ERR_TRUNCATED;
		l->has_id = true;
		l->id = key & 0xffff; /* call ID */
		if (!pd_cur_left(c))
			return PD_ERR_UNSUPPORTED; /* an acknowledgement alone */
		*type = PD_ETH_PPP;
		return PD_OK;
	}
	if ((flags & GRE_VER) || (flags & GRE_R))
		return PD_ERR_MALFORMED; /* unknown version; RFC 1701 routing is not parsed */
	if (flags & GRE_C)
		pd_cur_skip(c, 4); /* checksum, reserved1 */
	if (flags & GRE_K)
		key = pd_cur_be32(c);
	if (flags & GRE_S)
		pd_cur_skip(c, 4);
	if (c->err)
		return PD_ERR_TRUNCATED;
	if (flags & GRE_K) {
		l->has_id = true;
		l->id = key;
	}
	switch (proto) {
	case ETH_ERSPAN2:
		*type = PD_ETH_TEB;
		return erspan2(c, (flags & GRE_S) != 0, l);
	case ETH_ERSPAN3:
		return erspan3(c, l, type);
	default:
		*type = proto;
		return PD_OK;
	}
}

/* IP protocol 4 or 41: the inner packet's version must be the one the protocol says. */
static enum pd_err ip_in_ip(struct pd_cur *c, const struct pd_pkt *o, struct pd_tun_layer *l,
                            uint16_t *type)
{
	bool v6 = o->proto == PD_IPPROTO_IPV6;

	if (!pd_cur_need(c, 1))
		return PD_ERR_TRUNCATED;
	if ((c->p[0] >> 4) != (v6 ? 6 : 4))
		return PD_ERR_MALFORMED;
	if (o->src.family == 6)
		l->kind = v6 ? PD_TUN_6IN6 : PD_TUN_4IN6;
	else
		l->kind = v6 ? PD_TUN_6IN4 : PD_TUN_IPIP;
	*type = v6 ? 0x86DD : 0x0800;
	return PD_OK;
}

enum pd_err pd_tunnel_peel(const struct pd_pkt *o, struct pd_tun_layer *l, uint16_t *type,
                           struct pd_cur *inner)
{
	struct pd_cur c = pd_cur_make(o->payload, o->payload_len);
	enum pd_err e;

	memset(l, 0, sizeof(*l));
	l->src = o->src;
	l->dst = o->dst;
	switch (o->proto) {
	case PD_L4_UDP:
		if (o->dport == PD_PORT_VXLAN || o->dport == PD_PORT_VXLAN_LINUX)
			e = vxlan(&c, l, type);
		else if (o->dport == PD_PORT_GENEVE)
			e = geneve(&c, l, type);
		else
			return PD_ERR_NOTFOUND;
		break;
	case PD_IPPROTO_GRE:
		e = gre(&c, l, type);
		break;
	case PD_IPPROTO_IPIP:
	case PD_IPPROTO_IPV6:
		e = ip_in_ip(&c, o, l, type);
		break;
	default:
		return PD_ERR_NOTFOUND;
	}
	if (e == PD_OK)
		*inner = c;
	return e;
}

/* PPP protocol field (RFC 1661 2: odd first byte = compressed to one byte). */
static uint16_t ppp_protocol(struct pd_cur *c)
{
	uint8_t b = pd_cur_u8(c);

	if (b & 1)
		return b;
	return (uint16_t)(b << 8 | pd_cur_u8(c));
}

enum pd_err pd_ppp_peel(struct pd_cur *c, enum pd_ppp_framing framing, uint16_t *type,
                        uint16_t *ppp_proto)
{
	uint8_t vt, code;
	uint16_t len, proto;

	*ppp_proto = 0;
	switch (framing) {
	case PD_PPP_PPPOE:
		vt = pd_cur_u8(c);
		code = pd_cur_u8(c);
		pd_cur_skip(c, 2); /* session ID */
		len = pd_cur_be16(c);
		if (c->err)
			return PD_ERR_TRUNCATED;
		if (vt != 0x11)
			return PD_ERR_MALFORMED;
		if (code != 0)
			return PD_ERR_UNSUPPORTED; /* a discovery packet */
		if (len < pd_cur_left(c))
			c->end = c->p + len; /* Ethernet padding follows */
		break;
	case PD_PPP_HDLC:
	case PD_PPP_BARE_OR_HDLC:
		if (!pd_cur_need(c, 2))
			return PD_ERR_TRUNCATED;
		if (c->p[0] == 0xff && c->p[1] == 0x03) {
			pd_cur_skip(c, 2);
		} else if ((c->p[0] == 0x0f || c->p[0] == 0x8f) && c->p[1] == 0x00) {
			/* Cisco HDLC: an EtherType follows */
			pd_cur_skip(c, 2);
			*type = pd_cur_be16(c);
			if (c->err)
				return PD_ERR_TRUNCATED;
			return PD_OK;
		} else if (framing == PD_PPP_HDLC) {
			return PD_ERR_MALFORMED;
		}
		break;
	}
	proto = ppp_protocol(c);
	if (c->err)
		return PD_ERR_TRUNCATED;
	*ppp_proto = proto;
	switch (proto) {
	case 0x0021:
		*type = 0x0800;
		return PD_OK;
	case 0x0057:
		*type = 0x86DD;
		return PD_OK;
	case 0x0281:
		*type = 0x8847;
		return PD_OK;
	case 0x0283:
		*type = 0x8848;
		return PD_OK;
	default:
		return PD_ERR_UNSUPPORTED;
	}
}

const char *pd_tunnel_kind_name(unsigned kind)
{
	static const char *const names[] = {
		[PD_TUN_VXLAN] = "vxlan",     [PD_TUN_GENEVE] = "geneve",   [PD_TUN_GRE] = "gre",
		[PD_TUN_ERSPAN2] = "erspan2", [PD_TUN_ERSPAN3] = "erspan3", [PD_TUN_IPIP] = "ipip",
		[PD_TUN_6IN4] = "6in4",       [PD_TUN_4IN6] = "4in6",       [PD_TUN_6IN6] = "6in6",
	};

	if (kind < sizeof(names) / sizeof(names[0]) && names[kind])
		return names[kind];
	return "?";
}

static const char *id_name(unsigned kind)
{
	switch (kind) {
	case PD_TUN_VXLAN:
	case PD_TUN_GENEVE:
		return "vni";
	case PD_TUN_GRE:
		return "key";
	default:
		return "session";
	}
}

char *pd_tunnel_str(const struct pd_tun_layer *l, unsigned n, bool reverse, bool unordered,
                    char *buf, size_t len)
{
	char a[64], b[64];
	const struct pd_addr *x, *y, *t;
	size_t used = 0;
	unsigned i;
	int w;

	if (len > PD_TUNNEL_STR_MAX)
		len = PD_TUNNEL_STR_MAX;
	if (!len)
		return buf;
	buf[0] = 0;
	for (i = 0; i < n && i < PD_MAX_TUNNEL_DEPTH && used < len; i++) {
		x = &l[i].src;
		y = &l[i].dst;
		if (reverse) {
			t = x;
			x = y;
			y = t;
		}
		if (unordered && memcmp(x, y, sizeof(*x)) > 0) {
			t = x;
			x = y;
			y = t;
		}
		pd_addr_str(x, a, sizeof(a));
		pd_addr_str(y, b, sizeof(b));
		w = snprintf(buf + used, len - used, "%s%s:%s%s%s", i ? " / " : "",
		             pd_tunnel_kind_name(l[i].kind), a, unordered ? "<>" : ">", b);
		if (w < 0)
			break;
		used += (size_t)w;
		if (l[i].has_id && used < len) {
			w = snprintf(buf + used, len - used, " %s %lu", id_name(l[i].kind),
			             (unsigned long)l[i].id);
			if (w < 0)
				break;
			used += (size_t)w;
		}
	}
	return buf;
}

/* ---- the set of tunnel paths --------------------------------------------------------- */

struct tun_path {
	uint8_t n;
	struct pd_tun_layer l[PD_MAX_TUNNEL_DEPTH];
	uint8_t key[PD_MAX_TUNNEL_DEPTH * 40]; /* the layers packed: no padding compared */
	uint16_t key_len;
	uint32_t hash;
};

struct pd_tunnel_set {
	struct tun_path *paths; /* paths[id - 1] */
	uint32_t n, cap;
	uint32_t *slots; /* id, 0 empty; n_slots a power of two, at most half full */
	uint32_t n_slots;
};

struct pd_tunnel_set *pd_tunnel_set_new(void)
{
	return calloc(1, sizeof(struct pd_tunnel_set));
}

void pd_tunnel_set_free(struct pd_tunnel_set *s)
{
	if (!s)
		return;
	free(s->paths);
	free(s->slots);
	free(s);
}

static void pack(struct tun_path *t)
{
	uint8_t *k = t->key;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		*k++ = t->l[i].kind;
		*k++ = t->l[i].has_id;
		memcpy(k, &t->l[i].id, 4);
		k += 4;
		*k++ = t->l[i].src.family;
		memcpy(k, t->l[i].src.a, 16);
		k += 16;
		*k++ = t->l[i].dst.family;
		memcpy(k, t->l[i].dst.a, 16);
		k += 16;
	}
	t->key_len = (uint16_t)(k - t->key);
	t->hash = 2166136261u; /* FNV-1a */
	for (i = 0; i < t->key_len; i++)
		t->hash = (t->hash ^ t->key[i]) * 16777619u;
}

static bool grow_slots(struct pd_tunnel_set *s)
{
	uint32_t nn = s->n_slots ? s->n_slots * 2 : 64, i, k;
	uint32_t *ns = calloc(nn, sizeof(*ns));

	if (!ns)
		return false;
	for (i = 0; i < s->n; i++) {
		for (k = s->paths[i].hash & (nn - 1); ns[k]; k = (k + 1) & (nn - 1))
			;
		ns[k] = i + 1;
	}
	free(s->slots);
	s->slots = ns;
	s->n_slots = nn;
	return true;
}

uint32_t pd_tunnel_set_add(struct pd_tunnel_set *s, const struct pd_tun_layer *l, unsigned n,
                           bool reverse)
{
	struct tun_path t, *p;
	struct pd_addr a;
	uint32_t k;
	unsigned i;

	if (!n)
		return 0;
	if (n > PD_MAX_TUNNEL_DEPTH)
		n = PD_MAX_TUNNEL_DEPTH;
	memset(&t, 0, sizeof(t));
	t.n = (uint8_t)n;
	for (i = 0; i < n; i++) {
		t.l[i].kind = l[i].kind;
		t.l[i].has_id = l[i].has_id;
		t.l[i].id = l[i].has_id ? l[i].id : 0;
		t.l[i].src = l[i].src;
		t.l[i].dst = l[i].dst;
		if (reverse) {
			a = t.l[i].src;
			t.l[i].src = t.l[i].dst;
			t.l[i].dst = a;
		}
	}
	pack(&t);
	if (s->n_slots)
		for (k = t.hash & (s->n_slots - 1); s->slots[k]; k = (k + 1) & (s->n_slots - 1)) {
			p = &s->paths[s->slots[k] - 1];
			if (p->hash == t.hash && p->key_len == t.key_len &&
			    !memcmp(p->key, t.key, t.key_len))
				return s->slots[k];
		}
	if (s->n >= PD_MAX_TUNNELS)
		return 0;
	if (s->n == s->cap) {
		uint32_t nc = s->cap ? s->cap * 2 : 16;
		p = realloc(s->paths, (size_t)nc * sizeof(*p));
		if (!p)
			return 0;
		s->paths = p;
		s->cap = nc;
	}
	s->paths[s->n++] = t;
	if (2 * s->n > s->n_slots) {
		if (!grow_slots(s)) {
			s->n--;
			return 0;
		}
	} else {
		for (k = t.hash & (s->n_slots - 1); s->slots[k]; k = (k + 1) & (s->n_slots - 1))
			;
		s->slots[k] = s->n;
	}
	return s->n;
}

const struct pd_tun_layer *pd_tunnel_set_get(const struct pd_tunnel_set *s, uint32_t id,
                                             unsigned *n)
{
	if (!s || !id || id > s->n)
		return NULL;
	*n = s->paths[id - 1].n;
	return s->paths[id - 1].l;
}
