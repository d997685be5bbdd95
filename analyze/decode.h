/*
 * decode.h - from a link-layer frame to an IP packet with its transport header: link layers
 * (Ethernet + 802.1Q/802.1ad + MPLS + PPPoE sessions, Linux cooked v1/v2, raw IP, IPv4, IPv6,
 * NULL/LOOP, NFLOG, PPP, PPP in HDLC-like framing, PPPoE), IPv4 (options), IPv6 (extension
 * headers skipped), TCP, UDP, ICMP/ICMPv6; IPv4 and IPv6 fragments reassembled (bounded) so
 * that fragmented DNS answers parse; tunnels (VXLAN, Geneve, GRE, ERSPAN, IP-in-IP, 6in4)
 * peeled off up to PD_MAX_TUNNEL_DEPTH layers (tunnel.c), so the packet handed out is the
 * innermost one and the outer layers are listed in pd_pkt.tun.
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

#define PD_MAX_TUNNEL_DEPTH 4 /* tunnel layers peeled; a packet with more is left at this depth */

/* Tunnel kinds (pd_tun_layer.kind); pd_tunnel_kind_name() gives their text. */
enum pd_tun_kind {
	PD_TUN_VXLAN = 1, /* RFC 7348, UDP 4789 and Linux/Flannel's 8472 */
	PD_TUN_GENEVE,    /* RFC 8926, UDP 6081 */
	PD_TUN_GRE,       /* RFC 2784/2890 (and PPTP's enhanced GRE, RFC 2637) */
	PD_TUN_ERSPAN2,   /* GRE 0x88BE: ERSPAN type II (type I without sequence number) */
	PD_TUN_ERSPAN3,   /* GRE 0x22EB: ERSPAN type III */
	PD_TUN_IPIP,      /* IP protocol 4 in IPv4 (RFC 2003) */
	PD_TUN_6IN4,      /* IP protocol 41 in IPv4 (RFC 4213, Linux sit) */
	PD_TUN_4IN6,      /* IP protocol 4 in IPv6 (RFC 2473) */
	PD_TUN_6IN6,      /* IP protocol 41 in IPv6 (RFC 2473) */
};

/* One tunnel layer: the outer packet's addresses and the tunnel's identifier. */
struct pd_tun_layer {
	uint8_t kind;            /* enum pd_tun_kind */
	bool has_id;             /* id is meaningful */
	uint32_t id;             /* VXLAN/Geneve VNI, GRE key, ERSPAN session ID */
	struct pd_addr src, dst; /* outer IP source and destination */
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
	/* What the capturing host marked: 1 it sent the packet (Linux cooked PACKET_OUTGOING,
	 * pcapng epb_flags outbound), 2 it was addressed to it (PACKET_HOST, epb inbound),
	 * 0 unknown or other (broadcast, another host, forwarded). */
	uint8_t host_dir;
	uint8_t n_tun;          /* tunnel layers peeled off to reach this packet */
	struct pd_tun_layer tun[PD_MAX_TUNNEL_DEPTH]; /* outermost first */
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
	uint64_t tun_peeled;    /* tunnel layers taken off (all packets, all depths) */
	uint64_t tun_too_deep;  /* packets left at PD_MAX_TUNNEL_DEPTH with a tunnel inside */
	uint64_t tun_invalid;   /* tunnel port/protocol whose header is not one: left as is */
	uint64_t tun_control;   /* tunnel control (Geneve OAM): no inner packet */
	uint64_t tun_inner_bad; /* a valid tunnel header whose inner packet failed to decode */
	uint64_t ppp_control;   /* PPP LCP/IPCP/..., PPPoE discovery: not IP */
};
const struct pd_decode_stats *pd_decoder_stats(const struct pd_decoder *d);

/* inet_ntop for a pd_addr into buf (at least 46 bytes). Returns buf. */
char *pd_addr_str(const struct pd_addr *a, char *buf, size_t len);
/* Parses a textual IPv4/IPv6 address. */
enum pd_err pd_addr_parse(const char *s, struct pd_addr *a);

#endif
