/*
 * community_id.h - the Community ID flow hash, version 1 (corelight community-id-spec):
 * "1:" + base64(SHA-1(seed . addr_lo . addr_hi . proto . 0 . port_lo . port_hi)), the same
 * string Zeek, Suricata and Arkime log for a flow, so a report row pivots into them.
 */
#ifndef PD_COMMUNITY_ID_H
#define PD_COMMUNITY_ID_H

#include <stdbool.h>
#include <stdint.h>

#define PD_CID_LEN 32 /* "1:" + 28 base64 characters + NUL */

/* IP protocol numbers the hash treats specially (ports, ICMP type mapping). */
enum { PD_CID_ICMP = 1, PD_CID_TCP = 6, PD_CID_UDP = 17, PD_CID_ICMP6 = 58, PD_CID_SCTP = 132 };

/*
 * The hash of a flow from saddr:sport to daddr:dport (addresses in network byte order, both
 * of one family: alen 4 or 16). For TCP, UDP and SCTP sport/dport are the ports; for ICMP and
 * ICMPv6 they are what pd_cid_icmp_ports gave (one_way from it too); for other protocols they
 * are ignored. Writes out and returns it; "" when alen is neither 4 nor 16.
 */
const char *pd_cid_v1(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr, unsigned alen,
                      uint8_t proto, uint16_t sport, uint16_t dport, bool one_way,
                      char out[PD_CID_LEN]);

/*
 * The port equivalents of an ICMP (proto 1) or ICMPv6 (58) message: (type, counterpart type)
 * for request/reply pairs (echo, timestamp, information, router solicitation, address mask;
 * v6: echo, router and neighbour discovery, MLD, node information, home agent discovery),
 * else (type, code) and *one_way set: such a flow is hashed in the direction it was seen.
 */
void pd_cid_icmp_ports(uint8_t proto, uint8_t type, uint8_t code, uint16_t *sport, uint16_t *dport,
                       bool *one_way);

/*
 * The hash from text addresses (inet_pton) and a protocol name as the flows table stores it
 * ("tcp", "udp", "icmp", "icmp6", "sctp", "ip-N"). ICMP flows whose type is unknown (the
 * database keeps ports 0 for them) get "": the spec allows an empty ID for what a monitor
 * cannot hash, and a wrong one would pivot to another flow. "" also for unparseable input.
 */
const char *pd_cid_text(const char *proto, const char *saddr, unsigned sport, const char *daddr,
                        unsigned dport, char out[PD_CID_LEN]);

#endif
