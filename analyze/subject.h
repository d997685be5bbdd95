/*
 * subject.h - the audited subject of a capture (SPEC 2.3a): its local addresses, which side of
 * a flow is the server when the opening was not seen, the direction of every flow relative to
 * the subject, and the link-local control class.
 *
 * Local addresses come from the capture file (pcapng if_IPv4addr/if_IPv6addr, written by
 * pcapdomains-capture), from --local ADDR|CIDR, or are inferred from the traffic when neither
 * gives any (pd_subject_infer, rules in subject.c and the README). Loopback addresses are
 * always local.
 *
 * Directions: egress (a local client opened it to a remote server), ingress (a remote client
 * to a local server), internal (both ends local, loopback included), transit (neither end
 * local, or no subject known at all: a bridge or host capture; each client is then
 * its own subject and its flows are reported as destinations), control (link-local control
 * traffic: ND, MLD, router discovery, IGMP, DHCP, DHCPv6, mDNS, LLMNR, SSDP), whatever its
 * ends.
 */
#ifndef PD_SUBJECT_H
#define PD_SUBJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "decode.h"
#include "err.h"

#define PD_SUBJECT_MAX          64 /* local addresses/ranges kept per capture */
#define PD_SUBJECT_MAX_INFERRED 4  /* more DNS clients than this: no subject is inferred */
#define PD_SUBJECT_MAX_HOST     16 /* more host-marked addresses than this: not used */

enum pd_local_source { PD_LOCAL_FILE = 1, PD_LOCAL_OPTION = 2, PD_LOCAL_INFERRED = 3 };

enum pd_dir {
	PD_DIR_TRANSIT = 0,
	PD_DIR_EGRESS,
	PD_DIR_INGRESS,
	PD_DIR_INTERNAL,
	PD_DIR_CONTROL,
};

/* One local address (prefix = full length) or range (--local CIDR). */
struct pd_local {
	struct pd_addr addr; /* host bits cleared for a range */
	uint8_t prefix;      /* bits that must match: 32/128 for one address */
	uint8_t link_prefix; /* the interface's prefix length from the file, else = prefix */
	uint8_t source;      /* enum pd_local_source */
	char iface[64];      /* interface name from the file, "" otherwise */
};

struct pd_subject {
	unsigned n;
	struct pd_local l[PD_SUBJECT_MAX];
};

/* "file", "option", "inferred". */
const char *pd_local_source_name(uint8_t source);
/* "egress", "ingress", "internal", "transit", "control". */
const char *pd_dir_name(enum pd_dir d);

/*
 * Parses ADDR or ADDR/PREFIX (IPv4 or IPv6) into *out with source PD_LOCAL_OPTION. PD_ERR_USAGE
 * with a message naming s when it is neither.
 */
enum pd_err pd_local_parse(const char *s, struct pd_local *out, char errbuf[PD_ERRBUF_SIZE]);

/* Adds l unless an equal entry is there; false when the set is full. */
bool pd_subject_add(struct pd_subject *s, const struct pd_local *l);

/* Adds every address of an interface (source PD_LOCAL_FILE, matched exactly). */
void pd_subject_add_iface(struct pd_subject *s, const struct pd_iface *ifc);

/* True for loopback (127/8, ::1, ::ffff:127/104) and every address the set covers. */
bool pd_subject_is_local(const struct pd_subject *s, const struct pd_addr *a);

/*
 * Direction of a flow from client cli to server srv: internal when both ends are local,
 * egress / ingress when one is, transit when neither, and always when the set is empty (a
 * capture without a subject, loopback-only ones included, reports every server). Control traffic is decided by pd_subject_control, not here.
 */
enum pd_dir pd_subject_direction(const struct pd_subject *s, const struct pd_addr *cli,
                                 const struct pd_addr *srv);

/*
 * Which end of a flow's first packet (src:sport -> dst:dport, TCP flags) is the client.
 * Returns true when src is. The rules, in order (documented in the README):
 *   1. TCP SYN without ACK: the sender; SYN+ACK: the receiver.
 *   2. Equal ports, or a protocol other than TCP and UDP (ICMP echo): the sender.
 *   3. The port of the higher rank is the server's: a well-known port (below 1024) over
 *      another service port (pd_flow_service_port: 3306, 8080, 50051...) over any other.
 *   4. Exactly one port is ephemeral (pd_subject_ephemeral_port): that side is the client.
 *   5. s is known and exactly one end is local: the local end is the client (a subject's
 *      unexplained traffic is more often its own calls than someone else's).
 *   6. Nothing tells: the sender of the first packet (a UDP datagram between two ports that
 *      are neither service nor ephemeral, say).
 * s may be NULL (rule 5 skipped). Packet order decides only when every other rule is silent.
 */
bool pd_subject_src_is_client(const struct pd_subject *s, uint8_t proto, uint8_t tcp_flags,
                              const struct pd_addr *src, uint16_t sport, const struct pd_addr *dst,
                              uint16_t dport);

/* Ports operating systems hand out to clients: 32768-65535 (Linux 32768-60999, IANA and
 * Windows 49152-65535), minus the service ports above 32767. */
bool pd_subject_ephemeral_port(uint16_t port);

/*
 * Link-local control class of a flow, or NULL: "nd", "mld", "router-discovery" (ICMPv6 and
 * ICMP, with the ICMP type in the port columns, see pd_icmp_classify), "igmp", "dhcp",
 * "dhcpv6", "mdns", "llmnr", "ssdp", "icmp-error" (an ICMP error whose quoted flow was not
 * live: keyed by its type like control ICMP), "multicast" (any other flow to a link-local
 * multicast group or the broadcast address).
 */
const char *pd_subject_control(uint8_t proto, const struct pd_addr *cli, uint16_t cport,
                               const struct pd_addr *srv, uint16_t sport);

/* Direction of a flow with its control class: PD_DIR_CONTROL when pd_subject_control names
 * one, else pd_subject_direction. */
enum pd_dir pd_subject_flow_dir(const struct pd_subject *s, uint8_t proto,
                                const struct pd_addr *cli, uint16_t cport,
                                const struct pd_addr *srv, uint16_t sport);

/* ---- the database side (subject_db.c) ---- */

struct sqlite3;

/*
 * Infers the local addresses of capture_id when s is empty (rules in subject_db.c and the
 * README): host (may be NULL) holds the addresses the capture itself marked as the capturing
 * host's (Linux cooked packet type, pcapng epb_flags direction), else the flows decide. Adds
 * them with source PD_LOCAL_INFERRED; leaves s empty when nothing fits (a host or bridge
 * capture of many clients): every flow is then transit.
 */
PD_MUST_CHECK enum pd_err pd_subject_infer(struct sqlite3 *db, int64_t capture_id,
                                           const struct pd_subject *host, struct pd_subject *s,
                                           char errbuf[PD_ERRBUF_SIZE]);

/* Writes s into capture_locals and sets flows.direction of every flow of capture_id. */
PD_MUST_CHECK enum pd_err pd_subject_store(struct sqlite3 *db, int64_t capture_id,
                                           const struct pd_subject *s, char errbuf[PD_ERRBUF_SIZE]);

/* Reads capture_locals of capture_id into *s (empty when none). */
PD_MUST_CHECK enum pd_err pd_subject_load(struct sqlite3 *db, int64_t capture_id,
                                          struct pd_subject *s, char errbuf[PD_ERRBUF_SIZE]);

/* Kind of an ICMP/ICMPv6 message (pd_icmp_classify). */
enum pd_icmp_kind {
	PD_ICMP_PLAIN = 0, /* echo and everything else: a flow of its own with ports 0 */
	PD_ICMP_CONTROL,   /* ND, MLD, router discovery: ports = the ICMP type */
	PD_ICMP_ERROR,     /* unreachable, time exceeded, too big, parameter problem */
};

/*
 * Classifies an ICMP (proto 1) or ICMPv6 (58) message from its bytes (the ICMP header on).
 * For an error whose quoted datagram holds an IP header and, for TCP/UDP, the two ports,
 * fills *quoted (src, dst, proto, sport, dport; nothing else) and returns PD_ICMP_ERROR; an
 * error quoting too little to say which flow it belongs to is PD_ICMP_PLAIN. *type gets the
 * ICMP type (0 when the message is shorter than a type byte).
 */
enum pd_icmp_kind pd_icmp_classify(uint8_t proto, const uint8_t *msg, size_t len, uint8_t *type,
                                   struct pd_pkt *quoted);

#endif
