/*
 * community_id.c - Community ID v1 flow hashing (corelight community-id-spec, "Community ID
 * Flow Hashing"; ICMP type mapping after Zeek's ICMP4_counterpart/ICMP6_counterpart as the
 * spec says). The endpoints are ordered so that both directions of a flow hash alike: the
 * numerically smaller (address, port) goes first, unless an ICMP message has no counterpart
 * type (one-way), which keeps the direction seen. Input is our own database's text: the
 * addresses came from inet_ntop, but are parsed again (inet_pton) and refused when they do not.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "community_id.h"

const char *pd_cid_v1(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr, unsigned alen,
                      uint8_t proto, uint16_t sport, uint16_t dport, bool one_way,
                      char out[PD_CID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], md[EVP_MAX_MD_SIZE];
	const uint8_t *a = saddr, *b = daddr;
	uint16_t pa = sport, pb = dport;
	size_t n = 0;
	int c;

	out[0] = 0;
	if (alen != 4 && alen != 16)
		return out;
	if (!one_way) {
		c = memcmp(saddr, daddr, alen);
		if (c > 0 || (c == 0 && sport > dport)) {
			a = daddr;
			b = saddr;
			pa = dport;
			pb = sport;
		}
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	switch (proto) {
	case PD_CID_ICMP:
	case PD_CID_TCP:
	case PD_CID_UDP:
	case PD_CID_ICMP6:
	case PD_CID_SCTP:
		buf[n++] = (uint8_t)(pa >> 8);
		buf[n++] = (uint8_t)pa;
		buf[n++] = (uint8_t)(pb >> 8);
		buf[n++] = (uint8_t)pb;
		break;
	default:
		break;
	}
	/* the one-shot SHA1(): EVP_Digest fetches the algorithm on every call, a third of the
	 * time of a report with a million flows */
	SHA1(buf, n, md);
	memcpy(out, "1:", 2);
	EVP_EncodeBlock((unsigned char *)out + 2, md, 20); /* 28 characters + NUL */
	return out;
}

void pd_cid_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport,
                       bool *one_way)
{
	/* (type, counterpart) pairs; a type absent here is one-way */
	static const uint8_t v4[][2] = { { 8, 0 },   { 0, 8 },  { 13, 14 }, { 14, 13 }, { 15, 16 },
		                         { 16, 15 }, { 10, 9 }, { 17, 18 }, { 18, 17 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 }, { 133, 134 }, { 134, 133 },
		                         { 135, 136 }, { 136, 135 }, { 130, 131 }, { 131, 130 },
		                         { 139, 140 }, { 140, 139 }, { 144, 145 }, { 145, 144 } };
	const uint8_t(*t)[2] = proto == PD_CID_ICMP6 ? v6 : v4;
	size_t i,
	        n = proto == PD_CID_ICMP6 ? sizeof(v6) / sizeof(v6[0]) : sizeof(v4) / sizeof(v4[0]);

	*sport = type;
	for (i = 0; i < n; i++)
		if (t[i][0] == type) {
			*dport = t[i][1];
			*one_way = false;
			return;
		}
	*dport = code;
	*one_way = true;
}

const char *pd_cid_text(const char *proto, const char *saddr, unsigned sport, const char *daddr,
                        unsigned dport, char out[PD_CID_LEN])
{
	uint8_t a[16], b[16];
	unsigned alen, pnum;
	char *end;

	out[0] = 0;
	if (!proto || !saddr || !daddr || sport > 65535 || dport > 65535)
		return out;
	if (!strcmp(proto, "tcp"))
		pnum = PD_CID_TCP;
	else if (!strcmp(proto, "udp"))
		pnum = PD_CID_UDP;
	else if (!strcmp(proto, "sctp"))
		pnum = PD_CID_SCTP;
	else if (!strncmp(proto, "ip-", 3) && proto[3] >= '0' && proto[3] <= '9') {
		unsigned long v = strtoul(proto + 3, &end, 10);

		if (*end || v > 255 || v == PD_CID_ICMP || v == PD_CID_ICMP6)
			return out;
		pnum = (unsigned)v;
	} else
		return out; /* icmp, icmp6: type not stored; anything else: not ours */
	if (inet_pton(AF_INET, saddr, a) == 1 && inet_pton(AF_INET, daddr, b) == 1)
		alen = 4;
	else if (inet_pton(AF_INET6, saddr, a) == 1 && inet_pton(AF_INET6, daddr, b) == 1)
		alen = 16;
	else
		return out;
	return pd_cid_v1(0, a, b, alen, (uint8_t)pnum, (uint16_t)sport, (uint16_t)dport, false,
	                 out);
}
