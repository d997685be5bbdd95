/*
 * dns.c - DNS message parser: header, questions, answers (decoded), authority and additional
 * sections (walked and checked, not kept).
 *
 * Implements RFC 1035 (message format, name compression), RFC 3596 (AAAA), RFC 2181 section 8
 * (a TTL with the top bit set is 0), RFC 9460 (SVCB/HTTPS: priority, TargetName, SvcParams
 * ipv4hint/ech/ipv6hint, keys in strictly increasing order), RFC 6762 (mDNS cache-flush and
 * unicast-response bits) and RFC 4795 (LLMNR: same wire format).
 * Assumes nothing about the bytes: every read goes through the cursor, every loop is bounded
 * by the bytes it consumes (a question takes >= 5 bytes, a record >= 11, a SvcParam >= 4, a
 * label >= 1, a compression jump must land strictly lower than the last one) and by
 * PD_DNS_MAX_JUMPS. Only the fields it fills are written, so the 130 KB result is never
 * cleared as a whole (this runs on every DNS packet).
 */
#include <stdio.h>
#include <string.h>

#include "cur.h"
#include "dns.h"

#define DNS_HEADER_LEN    12
#define DNS_WIRE_NAME_MAX 255 /* RFC 1035 2.3.4, including length bytes and the root */
#define DNS_LABEL_MAX     63

#define SVC_KEY_ALPN     1
#define SVC_KEY_IPV4HINT 4
#define SVC_KEY_ECH      5
#define SVC_KEY_IPV6HINT 6

/* Appends one label's bytes in presentation form; out has room (checked by the caller). */
static size_t name_put_label(char *out, size_t o, const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t b = s[i];
		if (b >= 'A' && b <= 'Z') {
			out[o++] = (char)(b + ('a' - 'A'));
		} else if (b == '.' || b == '\\') {
			out[o++] = '\\';
			out[o++] = (char)b;
		} else if (b < 0x21 || b > 0x7e) {
			out[o++] = '\\';
			out[o++] = (char)('0' + b / 100);
			out[o++] = (char)('0' + b / 10 % 10);
			out[o++] = (char)('0' + b % 10);
		} else {
			out[o++] = (char)b;
		}
	}
	return o;
}

/*
 * Reads the name at c's position and leaves c after it (after the first compression pointer
 * when there is one). out (PD_DNS_NAME_MAX bytes) receives the presentation form; with out
 * NULL the name is only walked in place and pointers are checked but not followed.
 * Pointers are followed within [c->base, end). A pointer must land strictly before the first
 * byte of the labels being read (the name's start, or where the previous jump landed): a
 * target at or after that point would repeat labels forever or read a label from the middle
 * of another. Returns PD_OK, PD_ERR_TRUNCATED (c ends inside the name) or PD_ERR_MALFORMED;
 * on failure c->err is set and out holds "".
 */
static enum pd_err name_read(struct pd_cur *c, const uint8_t *end, char *out)
{
	struct pd_cur r = *c;          /* reads labels: first in place, then at each jump */
	size_t seg = pd_cur_offset(c); /* offset where the labels now being read start */
	size_t wire = 1;               /* wire length so far, counting the root byte */
	size_t o = 0;
	unsigned jumps = 0;
	enum pd_err err = PD_OK;

	if (out)
		out[0] = '\0';
	for (;;) {
		uint8_t len = pd_cur_u8(&r);
		const uint8_t *s;

		if (r.err) {
			err = r.err;
			break;
		}
		if (len == 0)
			break;
		if ((len & 0xc0) == 0xc0) {
			size_t target = ((size_t)(len & 0x3f) << 8) | pd_cur_u8(&r);
			if (r.err) {
				err = r.err;
				break;
			}
			if (target >= seg || ++jumps > PD_DNS_MAX_JUMPS) {
				err = PD_ERR_MALFORMED;
				break;
			}
			if (jumps == 1)
				c->p = r.p; /* the name's in-place part ends after the first pointer
				             */
			if (!out)
				return PD_OK;
			/* target < seg <= offset of r.p: inside the message, before end */
			r.p = r.base + target;
			r.end = end;
			seg = target;
			continue;
		}
		if (len & 0xc0) { /* 0x40 extended (RFC 6891 deprecated it), 0x80 reserved */
			err = PD_ERR_MALFORMED;
			break;
		}
		wire += 1 + (size_t)len;
		if (wire > DNS_WIRE_NAME_MAX) {
			err = PD_ERR_MALFORMED;
			break;
		}
		s = pd_cur_bytes(&r, len);
		if (!s) {
			err = r.err;
			break;
		}
		if (out) {
			/* <= 4 bytes per label byte plus the dot; 4*253+1 < PD_DNS_NAME_MAX */
			if (o)
				out[o++] = '.';
			o = name_put_label(out, o, s, len);
		}
	}
	if (err) {
		if (out)
			out[0] = '\0';
		if (jumps && err == PD_ERR_TRUNCATED)
			err = PD_ERR_MALFORMED; /* the jump's target lies before the pointer */
		pd_cur_fail(c, err);
		return err;
	}
	if (!jumps)
		c->p = r.p;
	if (out) {
		if (o == 0)
			out[o++] = '.';
		out[o] = '\0';
	}
	return PD_OK;
}

static bool rr_type_kept(uint16_t type)
{
	switch (type) {
	case PD_DNS_A:
	case PD_DNS_AAAA:
	case PD_DNS_CNAME:
	case PD_DNS_PTR:
	case PD_DNS_NS:
	case PD_DNS_MX:
	case PD_DNS_SVCB:
	case PD_DNS_HTTPS:
		return true;
	default:
		return false;
	}
}

/* A name that must fill the rest of rd exactly (CNAME, PTR, NS, MX exchange). */
static enum pd_err rdata_name(struct pd_cur *rd, const uint8_t *end, char *out)
{
	if (name_read(rd, end, out) != PD_OK || pd_cur_left(rd) != 0)
		return PD_ERR_MALFORMED;
	return PD_OK;
}

/* RFC 9460 2.2: SvcPriority, TargetName (read leniently even if compressed), SvcParams. */
static enum pd_err rdata_svcb(struct pd_cur *rd, const uint8_t *end, struct pd_dns_rr *rr)
{
	long prev = -1;

	rr->svc_priority = pd_cur_be16(rd);
	if (rd->err || name_read(rd, end, rr->target) != PD_OK)
		return PD_ERR_MALFORMED;
	if (rr->svc_priority == 0)
		return PD_OK; /* AliasMode: "recipients MUST ignore any SvcParams" (2.4.2) */
	while (pd_cur_left(rd) > 0) { /* each turn consumes >= 4 bytes */
		uint16_t key = pd_cur_be16(rd);
		uint16_t vlen = pd_cur_be16(rd);
		struct pd_cur v = pd_cur_sub(rd, vlen);
		size_t step = 0;
		uint8_t fam = 0;

		if (rd->err || (long)key <= prev)
			return PD_ERR_MALFORMED;
		prev = key;
		if (key == SVC_KEY_IPV4HINT) {
			step = 4;
			fam = 4;
		} else if (key == SVC_KEY_IPV6HINT) {
			step = 16;
			fam = 6;
		} else if (key == SVC_KEY_ECH) {
			rr->ech = vlen > 0;
			continue;
		} else {
			continue; /* mandatory, alpn, port, ...: not evidence we keep */
		}
		if (vlen == 0 || vlen % step)
			return PD_ERR_MALFORMED;
		while (pd_cur_left(&v) >= step) {
			const uint8_t *a = pd_cur_bytes(&v, step);
			struct pd_addr *h;
			if (rr->n_hints >= PD_DNS_MAX_HINTS)
				break;
			h = &rr->hints[rr->n_hints++];
			memset(h, 0, sizeof(*h));
			h->family = fam;
			memcpy(h->a, a, step);
		}
	}
	return PD_OK;
}

/*
 * Reads one resource record. With rr non-NULL and a kept type, decodes it into *rr and sets
 * *kept; otherwise the record is walked and skipped. Errors inside a record's data are
 * PD_ERR_MALFORMED (rdlength said the data is all there); running out of message is
 * PD_ERR_TRUNCATED.
 */
static enum pd_err rr_read(struct pd_cur *c, const uint8_t *end, struct pd_dns_rr *rr, bool *kept)
{
	uint16_t type, rclass, rdlen;
	uint32_t ttl;
	struct pd_cur rd;
	enum pd_err err;

	*kept = false;
	if (name_read(c, end, rr ? rr->name : NULL) != PD_OK)
		return c->err;
	type = pd_cur_be16(c);
	rclass = pd_cur_be16(c);
	ttl = pd_cur_be32(c);
	rdlen = pd_cur_be16(c);
	rd = pd_cur_sub(c, rdlen);
	if (c->err)
		return c->err;
	if (!rr || !rr_type_kept(type)) {
		*kept = !rr && rr_type_kept(type); /* a record of interest with no room left */
		return PD_OK;
	}

	rr->type = type;
	rr->rclass = rclass & 0x7fff;
	rr->cache_flush = (rclass & 0x8000) != 0;
	rr->ttl = (ttl & 0x80000000u) ? 0 : ttl;
	memset(&rr->addr, 0, sizeof(rr->addr));
	rr->target[0] = '\0';
	rr->svc_priority = 0;
	rr->n_hints = 0;
	rr->ech = false;

	switch (type) {
	case PD_DNS_A:
	case PD_DNS_AAAA: {
		size_t n = type == PD_DNS_A ? 4 : 16;
		if (rdlen != n)
			return PD_ERR_MALFORMED;
		rr->addr.family = type == PD_DNS_A ? 4 : 6;
		pd_cur_copy(&rd, rr->addr.a, n);
		err = PD_OK;
		break;
	}
	case PD_DNS_MX:
		pd_cur_skip(&rd, 2); /* preference */
		err = rd.err ? PD_ERR_MALFORMED : rdata_name(&rd, end, rr->target);
		break;
	case PD_DNS_SVCB:
	case PD_DNS_HTTPS:
		err = rdata_svcb(&rd, end, rr);
		break;
	default: /* CNAME, PTR, NS */
		err = rdata_name(&rd, end, rr->target);
		break;
	}
	if (err)
		return err;
	*kept = true;
	return PD_OK;
}

enum pd_err pd_dns_parse(const uint8_t *msg, size_t len, struct pd_dns_msg *out)
{
	struct pd_cur c;
	const uint8_t *end;
	uint16_t flags;
	unsigned i;
	unsigned long total;
	enum pd_err err;

	if (len > 65535)
		len = 65535; /* compression offsets cannot reach further; no DNS message is longer
		              */
	c = pd_cur_make(msg, len);
	end = msg + len;

	out->id = 0;
	out->qr = out->tc = out->aa = out->rd = out->ra = out->qu = false;
	out->opcode = out->rcode = 0;
	out->qdcount = out->ancount = out->nscount = out->arcount = 0;
	out->qname[0] = '\0';
	out->qtype = out->qclass = 0;
	out->n_rr = out->n_rr_dropped = out->n_rr_over = 0;

	out->id = pd_cur_be16(&c);
	flags = pd_cur_be16(&c);
	out->qdcount = pd_cur_be16(&c);
	out->ancount = pd_cur_be16(&c);
	out->nscount = pd_cur_be16(&c);
	out->arcount = pd_cur_be16(&c);
	if (c.err)
		return c.err;
	out->qr = (flags & 0x8000) != 0;
	out->opcode = (uint8_t)((flags >> 11) & 0x0f);
	out->aa = (flags & 0x0400) != 0;
	out->tc = (flags & 0x0200) != 0;
	out->rd = (flags & 0x0100) != 0;
	out->ra = (flags & 0x0080) != 0;
	out->rcode = (uint8_t)(flags & 0x0f);

	for (i = 0; i < out->qdcount; i++) { /* each question consumes >= 5 bytes */
		uint16_t qtype, qclass;
		if (name_read(&c, end, i == 0 ? out->qname : NULL) != PD_OK)
			return c.err;
		qtype = pd_cur_be16(&c);
		qclass = pd_cur_be16(&c);
		if (c.err)
			return c.err;
		if (i == 0) {
			out->qtype = qtype;
			out->qclass = qclass & 0x7fff;
			out->qu = (qclass & 0x8000) != 0;
		}
	}

	for (i = 0; i < out->ancount; i++) { /* each record consumes >= 11 bytes */
		struct pd_dns_rr *rr = out->n_rr < PD_DNS_MAX_RR ? &out->rr[out->n_rr] : NULL;
		bool kept;
		err = rr_read(&c, end, rr, &kept);
		if (err)
			return err;
		if (kept && rr)
			out->n_rr++;
		else if (kept)
			out->n_rr_over++;
		else
			out->n_rr_dropped++;
	}

	total = (unsigned long)out->nscount + out->arcount;
	for (i = 0; i < total; i++) {
		bool kept;
		err = rr_read(&c, end, NULL, &kept);
		if (err)
			return err;
	}
	return PD_OK;
}

const char *pd_dns_type_name(uint16_t type)
{
	static _Thread_local char buf[sizeof("TYPE65535")];

	switch (type) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 12:
		return "PTR";
	case 13:
		return "HINFO";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 28:
		return "AAAA";
	case 33:
		return "SRV";
	case 35:
		return "NAPTR";
	case 39:
		return "DNAME";
	case 41:
		return "OPT";
	case 43:
		return "DS";
	case 46:
		return "RRSIG";
	case 47:
		return "NSEC";
	case 48:
		return "DNSKEY";
	case 50:
		return "NSEC3";
	case 64:
		return "SVCB";
	case 65:
		return "HTTPS";
	case 252:
		return "AXFR";
	case 255:
		return "ANY";
	case 257:
		return "CAA";
	default:
		snprintf(buf, sizeof(buf), "TYPE%u", (unsigned)type);
		return buf;
	}
}

const char *pd_dns_rcode_name(uint8_t rcode)
{
	static _Thread_local char buf[sizeof("RCODE255")];
	static const char *const names[] = {
		"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
	};

	if (rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, sizeof(buf), "RCODE%u", (unsigned)rcode);
	return buf;
}
