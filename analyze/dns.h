/*
 * dns.h - DNS message parser (RFC 1035, 3596 AAAA, 9460 SVCB/HTTPS, 6762 mDNS, 4795 LLMNR).
 *
 * One call parses one whole message (UDP payload, or one length-prefixed TCP message without
 * its 2-byte prefix). Names come out in presentation form: lowercase ASCII, no trailing dot,
 * "." for the root, bytes outside 0x21-0x7e and '.' or '\' inside a label escaped as \DDD /
 * \. / \\ (so a name from a packet is always printable ASCII).
 * Compression pointers must point strictly backwards; names over 255 wire bytes, labels over
 * 63, pointer loops and counts beyond what the message holds are rejected as PD_ERR_MALFORMED.
 */
#ifndef PD_DNS_H
#define PD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "err.h"

#define PD_DNS_NAME_MAX 1024  /* presentation form: 255 wire bytes can escape to 4x */
#define PD_DNS_MAX_RR 64      /* answer records kept per message (more are counted, skipped) */
#define PD_DNS_MAX_HINTS 8    /* ipv4hint/ipv6hint addresses kept per SVCB/HTTPS record */

enum {
	PD_DNS_A = 1,
	PD_DNS_NS = 2,
	PD_DNS_CNAME = 5,
	PD_DNS_SOA = 6,
	PD_DNS_PTR = 12,
	PD_DNS_MX = 15,
	PD_DNS_TXT = 16,
	PD_DNS_AAAA = 28,
	PD_DNS_OPT = 41,
	PD_DNS_SVCB = 64,
	PD_DNS_HTTPS = 65,
	PD_DNS_ANY = 255,
};

struct pd_dns_rr {
	char name[PD_DNS_NAME_MAX]; /* owner name */
	uint16_t type, rclass;      /* rclass without the mDNS cache-flush bit */
	uint32_t ttl;
	struct pd_addr addr;        /* A, AAAA */
	char target[PD_DNS_NAME_MAX]; /* CNAME, PTR, NS, MX exchange, SVCB/HTTPS target */
	uint16_t svc_priority;      /* SVCB/HTTPS */
	unsigned n_hints;           /* SVCB/HTTPS ipv4hint + ipv6hint addresses */
	struct pd_addr hints[PD_DNS_MAX_HINTS];
	bool ech;                   /* SVCB/HTTPS carries an ech= config */
};

struct pd_dns_msg {
	uint16_t id;
	bool qr;                    /* response */
	bool tc, aa, rd, ra;
	uint8_t opcode, rcode;
	uint16_t qdcount, ancount, nscount, arcount; /* as announced */
	char qname[PD_DNS_NAME_MAX]; /* first question ("" when none) */
	uint16_t qtype, qclass;
	unsigned n_rr;              /* answer-section records kept in rr[] */
	unsigned n_rr_dropped;      /* answer records beyond PD_DNS_MAX_RR or of no interest */
	struct pd_dns_rr rr[PD_DNS_MAX_RR];
};

/*
 * Parses msg. Returns PD_OK; PD_ERR_TRUNCATED when the message ends early (answers completely
 * read before the cut are in out->rr, so snaplen-cut responses still yield what they hold);
 * PD_ERR_MALFORMED for broken names, pointers or counts. out is always safe to read.
 */
enum pd_err pd_dns_parse(const uint8_t *msg, size_t len, struct pd_dns_msg *out);

/* "A", "AAAA", "CNAME", ... or "TYPE123" into a static/thread-local buffer. */
const char *pd_dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ... or "RCODE12". */
const char *pd_dns_rcode_name(uint8_t rcode);

#endif
