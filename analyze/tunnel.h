/*
 * tunnel.h - encapsulations the decoder peels off: IP tunnels (VXLAN, Geneve, GRE with ERSPAN
 * types I/II/III and PPTP's enhanced GRE, IP-in-IP, 6in4, 4in6, 6in6) and PPP framings (bare
 * PPP, PPP in HDLC-like framing, Cisco HDLC, PPPoE sessions). tunnel.c says which RFCs.
 *
 * The decoder (decode.c) calls pd_tunnel_peel() on every packet it has decoded down to the
 * transport header; when it answers PD_OK the inner bytes are decoded as a packet of their own
 * and the outer layer is recorded in pd_pkt.tun. The flow is then the inner one; ingest.c
 * stores the layers as text (pd_tunnel_str) in flows.tunnel.
 */
#ifndef PD_TUNNEL_H
#define PD_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cur.h"
#include "decode.h"

/* What the inner bytes are, as an EtherType; two values are ours (not EtherTypes). */
#define PD_ETH_TEB    0x6558 /* an Ethernet frame (transparent Ethernet bridging) */
#define PD_ETH_PPP    0x880B /* a PPP frame, address/control optional (PPTP's GRE payload) */
#define PD_ETH_IP_ANY 0x0000 /* ours: IPv4 or IPv6 by the version nibble */

#define PD_PORT_VXLAN       4789 /* IANA (RFC 7348) */
#define PD_PORT_VXLAN_LINUX 8472 /* Linux's default before IANA's, used by Flannel */
#define PD_PORT_GENEVE      6081 /* IANA (RFC 8926) */
#define PD_TUNNEL_STR_MAX   512  /* longest pd_tunnel_str() text, NUL included */

/*
 * Whether the decoded packet outer carries a tunnel. Returns:
 *  PD_OK            a tunnel: *layer filled (outer addresses, kind, VNI/key/session), *inner
 *                   spans the inner bytes (into outer's payload) and *type says what they are
 *                   (an EtherType, PD_ETH_TEB, PD_ETH_PPP or PD_ETH_IP_ANY);
 *  PD_ERR_NOTFOUND  not a tunnel port or protocol;
 *  PD_ERR_MALFORMED a tunnel port or protocol whose header is not that tunnel's (VXLAN without
 *                   the I flag, Geneve version other than 0, GRE with routing or an unknown
 *                   version, ERSPAN with the wrong version, IP-in-IP whose inner version
 *                   differs): the caller keeps the outer packet as it is;
 *  PD_ERR_TRUNCATED the tunnel header is cut by the snapshot length;
 *  PD_ERR_UNSUPPORTED a tunnel control message with no inner packet (Geneve OAM, a PPTP GRE
 *                   acknowledgement without payload).
 * Only UDP destination ports PD_PORT_VXLAN, PD_PORT_VXLAN_LINUX and PD_PORT_GENEVE and IP
 * protocols 4, 41 and 47 are looked at.
 */
enum pd_err pd_tunnel_peel(const struct pd_pkt *outer, struct pd_tun_layer *layer, uint16_t *type,
                           struct pd_cur *inner);

/* PPP framings (pd_ppp_peel). */
enum pd_ppp_framing {
	PD_PPP_BARE_OR_HDLC, /* LINKTYPE_PPP (9), PPTP payload: 0xff 0x03 optional */
	PD_PPP_HDLC,         /* LINKTYPE_PPP_HDLC (50), LINKTYPE_C_HDLC (104): 0xff 0x03 PPP, or
	                        Cisco HDLC (0x0f/0x8f, 0x00, EtherType) */
	PD_PPP_PPPOE,        /* LINKTYPE_PPP_ETHER (51), EtherType 0x8864: PPPoE session header */
};

/*
 * Reads a PPP frame's header at c in the given framing and leaves c at the network-layer
 * packet. PD_OK: *type is the EtherType of what follows (IPv4, IPv6, MPLS). PD_ERR_UNSUPPORTED:
 * not a network packet of those (*ppp_proto tells which: LCP 0xc021, IPCP 0x8021, VJ-compressed
 * TCP 0x002d...; 0 for a PPPoE discovery code). PD_ERR_TRUNCATED or PD_ERR_MALFORMED otherwise.
 * A PPPoE length shorter than what is left trims c (Ethernet padding).
 */
enum pd_err pd_ppp_peel(struct pd_cur *c, enum pd_ppp_framing framing, uint16_t *type,
                        uint16_t *ppp_proto);

/* "vxlan", "geneve", "gre", "erspan2", "erspan3", "ipip", "6in4", "4in6", "6in6" ("?" else). */
const char *pd_tunnel_kind_name(unsigned kind);

/*
 * The layers l[0..n) (outermost first) as text into buf (at most PD_TUNNEL_STR_MAX bytes
 * used): "geneve:10.0.0.1>10.0.0.2 vni 7 / vxlan:10.1.0.1>10.1.0.2 vni 42". reverse swaps
 * every layer's source and destination (a flow's server-to-client packet); unordered writes
 * each layer with its lower address first and "<>" (the tunnel whatever the direction).
 * Returns buf.
 */
char *pd_tunnel_str(const struct pd_tun_layer *l, unsigned n, bool reverse, bool unordered,
                    char *buf, size_t len);

/*
 * A set of distinct tunnel paths (layer lists), so that a flow records its tunnel as a small
 * id. At most PD_MAX_TUNNELS paths; memory grows with distinct paths only.
 */
#define PD_MAX_TUNNELS 65536

struct pd_tunnel_set;

struct pd_tunnel_set *pd_tunnel_set_new(void);
void pd_tunnel_set_free(struct pd_tunnel_set *s);
/*
 * The id (from 1) of the path l[0..n) (reverse: with every layer's addresses swapped, as seen
 * from the other end), added when new. 0 when n is 0, the set holds PD_MAX_TUNNELS paths
 * already, or memory ran out.
 */
uint32_t pd_tunnel_set_add(struct pd_tunnel_set *s, const struct pd_tun_layer *l, unsigned n,
                           bool reverse);
/* The layers of id (outermost first) and their number in *n; NULL for an unknown id. */
const struct pd_tun_layer *pd_tunnel_set_get(const struct pd_tunnel_set *s, uint32_t id,
                                             unsigned *n);

#endif
