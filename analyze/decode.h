/*
 * decode.h - from a link-layer frame to an IP packet with its transport header: link layers
 * (Ethernet + 802.1Q/802.1ad + MPLS, Linux cooked v1/v2, raw IP, IPv4, IPv6, NULL/LOOP, NFLOG),
 * IPv4 (options), IPv6 (extension headers skipped), TCP, UDP, ICMP/ICMPv6; IPv4 and IPv6
 * fragments reassembled (bounded) so that fragmented DNS answers parse.
 */
#ifndef PD_DECODE_H
#define PD_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "err.h"

#define PD_MAX_FRAG_SETS 64       /* datagrams being reassembled at once */
#define PD_MAX_FRAG_BYTES 65535   /* largest reassembled datagram */
#define PD_FRAG_TIMEOUT_NS (30LL * 1000000000LL)

enum pd_l4 { PD_L4_OTHER = 0, PD_L4_TCP = 6, PD_L4_UDP = 17, PD_L4_ICMP = 1, PD_L4_ICMP6 = 58 };

#define PD_TCP_FIN 0x01
#define PD_TCP_SYN 0x02
#define PD_TCP_RST 0x04
#define PD_TCP_PSH 0x08
#define PD_TCP_ACK 0x10

/* An address: family 4 uses a[0..3], family 6 all 16 bytes. Compare with memcmp on all 17. */
struct pd_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];
};

struct pd_pkt {
	int64_t ts_ns;
	struct pd_addr src, dst;
	uint8_t proto;          /* IP protocol number (enum pd_l4 for the ones decoded) */
	uint16_t sport, dport;  /* TCP/UDP, 0 otherwise */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint32_t ip_len;        /* IP datagram length from its header (bytes counted for flows) */
	const uint8_t *payload; /* transport payload actually captured (or reassembled) */
	uint32_t payload_len;
	uint32_t payload_wire_len; /* payload length the headers announce (>= payload_len) */
	bool reassembled;       /* came out of fragment reassembly */
};

struct pd_decoder;

struct pd_decoder *pd_decoder_new(void);
void pd_decoder_free(struct pd_decoder *d);

/*
 * Decodes f into *pkt. Returns PD_OK (pkt filled; spans point into f->data or the decoder's
 * reassembly buffer, valid until the next call), PD_ERR_NEED_MORE (a fragment was held for
 * reassembly, or dropped: see frag_dropped), PD_ERR_UNSUPPORTED (not IP: ARP, unknown link type...), PD_ERR_TRUNCATED
 * (snaplen cut inside a header) or PD_ERR_MALFORMED.
 */
enum pd_err pd_decode(struct pd_decoder *d, const struct pd_frame *f, struct pd_pkt *pkt);

/* Counters kept by the decoder (for the counters table). */
struct pd_decode_stats {
	uint64_t not_ip, truncated, malformed, unsupported_link, fragments, reassembled,
		frag_dropped, icmp;
};
const struct pd_decode_stats *pd_decoder_stats(const struct pd_decoder *d);

/* inet_ntop for a pd_addr into buf (at least 46 bytes). Returns buf. */
char *pd_addr_str(const struct pd_addr *a, char *buf, size_t len);
/* Parses a textual IPv4/IPv6 address. */
enum pd_err pd_addr_parse(const char *s, struct pd_addr *a);

#endif
