/*
 * dns.h - DNS message parser (RFC 1035, 3596 AAAA, 9460 SVCB/HTTPS, 6762 mDNS, 4795 LLMNR).
 *
 * One call parses one whole message (UDP payload, or one length-prefixed TCP message without
 * its 2-byte prefix). Names come out in presentation form: lowercase ASCII, no trailing dot,
 * "." for the root, bytes outside 0x21-0x7e and '.' or '\' inside a label escaped as \DDD /
 * \. / \\ (so a name from a packet is always printable ASCII).
 * Compression pointers must point strictly backwards: before the first byte of the name being
 * read, and after each jump before the place the previous jump landed (so loops cannot exist);
 * names over 255 wire bytes, labels over 63, label types 0x40/0x80 are rejected as
 * PD_ERR_MALFORMED.
 * The answer section is decoded; the authority and additional sections are walked (names and
 * lengths checked, contents skipped). mDNS and LLMNR share the wire format: the top bit of a
 * record class (mDNS cache-flush) and of a question class (mDNS unicast-response) is taken off
 * the class and reported in its own flag, whatever the port.
 */
#ifndef PD_DNS_H
#define PD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "err.h"

#define PD_DNS_NAME_MAX  1024 /* presentation form: 255 wire bytes can escape to 4x */
#define PD_DNS_MAX_RR    1024 /* answer records kept per message (more are counted: n_rr_over) */
#define PD_DNS_MAX_HINTS 8    /* ipv4hint/ipv6hint addresses kept per SVCB/HTTPS record */
#define PD_DNS_MAX_JUMPS 128  /* compression pointers followed per name */

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

/*
 * One answer record. Only the fields of its type are meaningful: addr for A/AAAA (family 0
 * otherwise), target for CNAME/PTR/NS/MX/SVCB/HTTPS ("" otherwise), svc_priority, hints[0..
 * n_hints) and ech for SVCB/HTTPS (hints past n_hints are not cleared).
 */
struct pd_dns_rr {
	char name[PD_DNS_NAME_MAX];   /* owner name */
	uint16_t type, rclass;        /* rclass without the mDNS cache-flush bit */
	bool cache_flush;             /* mDNS: the class's top bit was set */
	uint32_t ttl;                 /* a TTL with the top bit set reads as 0 (RFC 2181 8) */
	struct pd_addr addr;          /* A, AAAA */
	char target[PD_DNS_NAME_MAX]; /* CNAME, PTR, NS, MX exchange, SVCB/HTTPS target */
	uint16_t svc_priority;        /* SVCB/HTTPS; 0 is AliasMode (its SvcParams are ignored) */
	unsigned n_hints;             /* SVCB/HTTPS ipv4hint + ipv6hint addresses */
	struct pd_addr hints[PD_DNS_MAX_HINTS];
	bool ech; /* SVCB/HTTPS carries a non-empty ech= config */
};

struct pd_dns_msg {
	uint16_t id;
	bool qr; /* response */
	bool tc, aa, rd, ra;
	uint8_t opcode, rcode; /* rcode: the header's 4 bits (no EDNS extension) */
	uint16_t qdcount, ancount, nscount, arcount; /* as announced */
	char qname[PD_DNS_NAME_MAX];                 /* first question ("" when none) */
	uint16_t qtype, qclass; /* qclass without the mDNS unicast-response bit */
	bool qu;                /* mDNS: the first question asks for a unicast response */
	unsigned n_rr;          /* answer-section records kept in rr[] */
	unsigned n_rr_dropped;  /* answer records of no interest (SOA, TXT, ...) */
	unsigned n_rr_over;     /* answer records of interest beyond PD_DNS_MAX_RR: not kept */
	struct pd_dns_rr rr[PD_DNS_MAX_RR];
};

/*
 * Parses msg (len bytes, at most 65535 are looked at). Kept answer types: A, AAAA, CNAME, PTR,
 * NS, MX, SVCB, HTTPS; others (SOA, TXT, OPT, ...) are counted in n_rr_dropped.
 * Returns PD_OK; PD_ERR_TRUNCATED when the message ends before what its header announces (a
 * snaplen cut, or counts larger than the message holds); PD_ERR_MALFORMED for broken names,
 * pointers or record data. Whatever the result, the header fields read so far, qname ("" if
 * not read) and rr[0..n_rr) are valid: every kept record was read completely before the stop,
 * so snaplen-cut responses still yield what they hold. Entries past n_rr are not cleared.
 * Strings are copies: out does not point into msg. Thread-safe (no shared state).
 */
enum pd_err pd_dns_parse(const uint8_t *msg, size_t len, struct pd_dns_msg *out);

/*
 * "A", "AAAA", "CNAME", ... or "TYPE123". Known names are static strings; the TYPEnnn form is
 * written into a thread-local buffer, valid until the calling thread's next call.
 */
const char *pd_dns_type_name(uint16_t type);
/* "NOERROR", "NXDOMAIN", ... or "RCODE12" (thread-local buffer, as above). */
const char *pd_dns_rcode_name(uint8_t rcode);

#endif
