/*
 * subject.c - the audited subject: local addresses, client/server orientation, direction,
 * link-local control traffic and ICMP errors (see subject.h; SPEC 2.3a).
 *
 * Control classes by protocol and port: DHCP (RFC 2131, udp 67/68), DHCPv6 (RFC 8415, udp
 * 546/547), mDNS (RFC 6762, udp 5353 or 224.0.0.251 / ff02::fb), LLMNR (RFC 4795, udp 5355 or
 * 224.0.0.252 / ff02::1:3), SSDP (UPnP, udp 1900 or 239.255.255.250 / ff0X::c), IGMP (proto 2),
 * and from ICMPv6 (RFC 4443, 4861, 3810) neighbour discovery (types 133-137), MLD (130-132,
 * 143) and multicast router discovery (151-153), from ICMP (RFC 1256) router discovery (9, 10).
 * ICMP errors (RFC 792 types 3, 4, 11, 12; RFC 4443 types 1-4) quote the IP header and at
 * least 8 bytes of the datagram that caused them: the ports of the flow they belong to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cur.h"
#include "flow.h"
#include "subject.h"

const char *pd_local_source_name(uint8_t source)
{
	switch (source) {
	case PD_LOCAL_FILE:
		return "file";
	case PD_LOCAL_OPTION:
		return "option";
	default:
		return "inferred";
	}
}

const char *pd_dir_name(enum pd_dir d)
{
	static const char *const names[] = { "transit", "egress", "ingress", "internal",
		                             "control" };
	return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "transit";
}

static void clear_host_bits(struct pd_addr *a, unsigned prefix)
{
	unsigned i, bits = a->family == 4 ? 32 : 128;

	for (i = prefix; i < bits; i++)
		a->a[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

enum pd_err pd_local_parse(const char *s, struct pd_local *out, char errbuf[PD_ERRBUF_SIZE])
{
	char buf[64], *slash, *end;
	unsigned long prefix;
	unsigned max;

	memset(out, 0, sizeof(*out));
	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (pd_addr_parse(buf, &out->addr) != PD_OK)
		goto bad;
	max = out->addr.family == 4 ? 32 : 128;
	prefix = max;
	if (slash) {
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			goto bad;
		prefix = strtoul(slash + 1, &end, 10);
		if (*end || prefix > max)
			goto bad;
	}
	out->prefix = (uint8_t)prefix;
	out->link_prefix = (uint8_t)prefix;
	out->source = PD_LOCAL_OPTION;
	clear_host_bits(&out->addr, out->prefix);
	return PD_OK;
bad:
	return pd_errf(errbuf, PD_ERR_USAGE,
	               "--local: '%s' is not an IPv4 or IPv6 address or CIDR range", s ? s : "");
}

bool pd_subject_add(struct pd_subject *s, const struct pd_local *l)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].prefix == l->prefix &&
		    !memcmp(&s->l[i].addr, &l->addr, sizeof(l->addr)))
			return true;
	if (s->n >= PD_SUBJECT_MAX)
		return false;
	s->l[s->n++] = *l;
	return true;
}

void pd_subject_add_iface(struct pd_subject *s, const struct pd_iface *ifc)
{
	struct pd_local l;
	unsigned j;

	for (j = 0; j < ifc->n_addrs && j < PD_MAX_IFACE_ADDRS; j++) {
		const struct pd_iface_addr *ia = &ifc->addrs[j];

		memset(&l, 0, sizeof(l));
		l.addr.family = ia->family == 4 ? 4 : 6;
		memcpy(l.addr.a, ia->addr, l.addr.family == 4 ? 4 : 16);
		l.prefix = l.addr.family == 4 ? 32 : 128;
		l.link_prefix = ia->prefix;
		l.source = PD_LOCAL_FILE;
		snprintf(l.iface, sizeof(l.iface), "%s", ifc->name);
		pd_subject_add(s, &l);
	}
}

static bool is_loopback(const struct pd_addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == 4)
		return a->a[0] == 127;
	if (!memcmp(a->a, v6lo, 16))
		return true;
	return !memcmp(a->a, mapped, 12) && a->a[12] == 127;
}

static bool in_range(const struct pd_local *l, const struct pd_addr *a)
{
	unsigned full, rest;

	if (l->addr.family != a->family)
		return false;
	full = l->prefix / 8u;
	rest = l->prefix % 8u;
	if (memcmp(l->addr.a, a->a, full))
		return false;
	return !rest || !((l->addr.a[full] ^ a->a[full]) & (uint8_t)(0xFF00u >> rest));
}

bool pd_subject_is_local(const struct pd_subject *s, const struct pd_addr *a)
{
	unsigned i;

	if (is_loopback(a))
		return true;
	for (i = 0; s && i < s->n; i++)
		if (in_range(&s->l[i], a))
			return true;
	return false;
}

enum pd_dir pd_subject_direction(const struct pd_subject *s, const struct pd_addr *cli,
                                 const struct pd_addr *srv)
{
	bool c, v;

	if (!s || !s->n)
		return PD_DIR_TRANSIT; /* no subject: each client is its own, loopback too */
	c = pd_subject_is_local(s, cli);
	v = pd_subject_is_local(s, srv);
	if (c && v)
		return PD_DIR_INTERNAL;
	if (c)
		return PD_DIR_EGRESS;
	if (v)
		return PD_DIR_INGRESS;
	return PD_DIR_TRANSIT;
}

enum pd_dir pd_subject_flow_dir(const struct pd_subject *s, uint8_t proto,
                                const struct pd_addr *cli, uint16_t cport,
                                const struct pd_addr *srv, uint16_t sport)
{
	if (pd_subject_control(proto, cli, cport, srv, sport))
		return PD_DIR_CONTROL;
	return pd_subject_direction(s, cli, srv);
}

bool pd_subject_ephemeral_port(uint16_t port)
{
	return port >= 32768 && !pd_flow_service_port(port);
}

/* 2: a well-known port (below 1024), 1: another service port, 0: neither. */
static int port_level(uint16_t port)
{
	return port < 1024 ? 2 : pd_flow_service_port(port) ? 1 : 0;
}

bool pd_subject_src_is_client(const struct pd_subject *s, uint8_t proto, uint8_t tcp_flags,
                              const struct pd_addr *src, uint16_t sport, const struct pd_addr *dst,
                              uint16_t dport)
{
	bool ss, ds, sl, dl;
	int ls, ld;

	if (proto == PD_L4_TCP && (tcp_flags & (PD_TCP_SYN | PD_TCP_ACK)) == PD_TCP_SYN)
		return true;
	if (proto == PD_L4_TCP &&
	    (tcp_flags & (PD_TCP_SYN | PD_TCP_ACK)) == (PD_TCP_SYN | PD_TCP_ACK))
		return false;
	if (sport == dport || (proto != PD_L4_TCP && proto != PD_L4_UDP))
		return true;
	ls = port_level(sport);
	ld = port_level(dport);
	if (ls != ld)
		return ld > ls;
	ss = pd_subject_ephemeral_port(sport);
	ds = pd_subject_ephemeral_port(dport);
	if (ss != ds)
		return ss;
	if (s && s->n) {
		sl = pd_subject_is_local(s, src);
		dl = pd_subject_is_local(s, dst);
		if (sl != dl)
			return sl;
	}
	return true;
}

static bool v4_is(const struct pd_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	return a->family == 4 && a->a[0] == b0 && a->a[1] == b1 && a->a[2] == b2 && a->a[3] == b3;
}

/* ff0X::<last two bytes> with nothing in between (X: any scope). */
static bool v6_group(const struct pd_addr *a, uint16_t group)
{
	unsigned i;

	if (a->family != 6 || a->a[0] != 0xff)
		return false;
	for (i = 2; i < 14; i++)
		if (a->a[i])
			return false;
	return a->a[14] == (group >> 8) && a->a[15] == (uint8_t)group;
}

/* 224.0.0.0/24 (local network control block), 255.255.255.255, ff02::/16. */
static bool link_multicast(const struct pd_addr *a)
{
	if (a->family == 4)
		return (a->a[0] == 224 && a->a[1] == 0 && a->a[2] == 0) ||
		       v4_is(a, 255, 255, 255, 255);
	return a->a[0] == 0xff && (a->a[1] & 0x0f) == 2;
}

static bool udp_is(uint16_t cport, uint16_t sport, uint16_t a, uint16_t b)
{
	return (cport == a && sport == b) || (cport == b && sport == a);
}

const char *pd_subject_control(uint8_t proto, const struct pd_addr *cli, uint16_t cport,
                               const struct pd_addr *srv, uint16_t sport)
{
	if (proto == PD_L4_ICMP6 && cport == sport) {
		if (sport >= 133 && sport <= 137)
			return "nd";
		if ((sport >= 130 && sport <= 132) || sport == 143)
			return "mld";
		if (sport >= 151 && sport <= 153)
			return "router-discovery";
		if (sport >= 1 && sport <= 4)
			return "icmp-error";
	}
	if (proto == PD_L4_ICMP && cport == sport && (sport == 9 || sport == 10))
		return "router-discovery";
	if (proto == PD_L4_ICMP && cport == sport &&
	    (sport == 3 || sport == 4 || sport == 11 || sport == 12))
		return "icmp-error";
	if (proto == 2)
		return "igmp";
	if (proto == PD_L4_UDP) {
		if (udp_is(cport, sport, 68, 67) || (sport == 67 && cport == 67))
			return "dhcp";
		if (udp_is(cport, sport, 546, 547))
			return "dhcpv6";
		if (sport == 5353 || cport == 5353 || v4_is(srv, 224, 0, 0, 251) ||
		    v6_group(srv, 0xfb))
			return "mdns";
		if (sport == 5355 || v4_is(srv, 224, 0, 0, 252) ||
		    (srv->family == 6 && srv->a[0] == 0xff && srv->a[1] == 0x02 &&
		     srv->a[11] == 1 && srv->a[15] == 3 && srv->a[14] == 0 && srv->a[13] == 0 &&
		     srv->a[12] == 0))
			return "llmnr";
		if (sport == 1900 || v4_is(srv, 239, 255, 255, 250) || v6_group(srv, 0x0c))
			return "ssdp";
	}
	if (link_multicast(srv) || link_multicast(cli))
		return "multicast";
	return NULL;
}

/* The IP header and ports quoted by an ICMP error (c at the quoted datagram). */
static bool quoted_flow(struct pd_cur *c, struct pd_pkt *q)
{
	uint8_t v, ihl;

	memset(q, 0, sizeof(*q));
	v = (uint8_t)(pd_cur_left(c) ? c->p[0] >> 4 : 0);
	if (v == 4) {
		if (pd_cur_left(c) < 20)
			return false;
		ihl = (uint8_t)(pd_cur_u8(c) & 0x0f);
		pd_cur_skip(c, 8);
		q->proto = pd_cur_u8(c);
		pd_cur_skip(c, 2);
		q->src.family = q->dst.family = 4;
		memcpy(q->src.a, pd_cur_bytes(c, 4), 4);
		memcpy(q->dst.a, pd_cur_bytes(c, 4), 4);
		if (c->err || ihl < 5)
			return false;
		pd_cur_skip(c, (size_t)(ihl - 5) * 4);
	} else if (v == 6) {
		pd_cur_skip(c, 6);
		q->proto = pd_cur_u8(c);
		pd_cur_skip(c, 1);
		q->src.family = q->dst.family = 6;
		if (pd_cur_left(c) < 32)
			return false;
		memcpy(q->src.a, pd_cur_bytes(c, 16), 16);
		memcpy(q->dst.a, pd_cur_bytes(c, 16), 16);
	} else {
		return false;
	}
	if (c->err)
		return false;
	if (q->proto == PD_L4_TCP || q->proto == PD_L4_UDP) {
		q->sport = pd_cur_be16(c);
		q->dport = pd_cur_be16(c);
		return !c->err;
	}
	/* another protocol: its flow has ports 0 (an ICMP echo that went unanswered, say) */
	return true;
}

enum pd_icmp_kind pd_icmp_classify(uint8_t proto, const uint8_t *msg, size_t len, uint8_t *type,
                                   struct pd_pkt *quoted)
{
	struct pd_cur c = pd_cur_make(msg, len);
	bool error;

	*type = pd_cur_u8(&c);
	if (c.err) {
		*type = 0;
		return PD_ICMP_PLAIN;
	}
	if (proto == PD_L4_ICMP6) {
		if ((*type >= 130 && *type <= 137) || *type == 143 ||
		    (*type >= 151 && *type <= 153))
			return PD_ICMP_CONTROL;
		error = *type >= 1 && *type <= 4;
	} else if (proto == PD_L4_ICMP) {
		if (*type == 9 || *type == 10)
			return PD_ICMP_CONTROL;
		error = *type == 3 || *type == 4 || *type == 11 || *type == 12;
	} else {
		return PD_ICMP_PLAIN;
	}
	if (!error)
		return PD_ICMP_PLAIN;
	pd_cur_skip(&c, 7); /* code, checksum, unused / MTU / pointer */
	if (c.err || !quoted_flow(&c, quoted))
		return PD_ICMP_PLAIN;
	/* the quoted datagram's family must match the error's own */
	if ((proto == PD_L4_ICMP) != (quoted->src.family == 4))
		return PD_ICMP_PLAIN;
	return PD_ICMP_ERROR;
}
