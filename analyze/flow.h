/*
 * flow.h - the bidirectional flow table (SPEC 2.1): one entry per 5-tuple (protocol, two
 * addresses, two ports; ICMP and other protocols with ports 0), client = initiator.
 *
 * Who is the client: the sender of a SYN without ACK; the receiver of a SYN-ACK; otherwise
 * decided from ports (service port, ephemeral range) and the subject's local addresses, never
 * by packet order alone (pd_subject_src_is_client, subject.h: a capture that starts
 * midstream, or a DNS response whose query was not seen).
 *
 * Memory grows with live flows only: entries come from a pool (no malloc per packet or per
 * flow once the pool has grown), flows idle for PD_FLOW_IDLE_NS of capture time (closing TCP
 * flows, those that saw a RST or a FIN in either direction: PD_FLOW_CLOSED_NS) are handed to
 * the emit callback and released, and when the table holds max_live flows the least recently
 * active one, open or closing, is emitted early (counted in limit_flushed so the caller can
 * report it).
 */
#ifndef PD_FLOW_H
#define PD_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

#define PD_FLOW_CLOSED_NS (30LL * 1000000000LL) /* RST or a FIN either way: released sooner */

/* TCP events seen (pd_flow.tcp). */
enum {
	PD_FLOW_TCP_SYN = 1 << 0,     /* SYN without ACK from the client */
	PD_FLOW_TCP_SYNACK = 1 << 1,  /* SYN+ACK from the server */
	PD_FLOW_TCP_ACK = 1 << 2,     /* client ACK after the SYN-ACK */
	PD_FLOW_TCP_RST_SRV = 1 << 3, /* RST from the server */
	PD_FLOW_TCP_RST = 1 << 4,     /* RST either way */
	PD_FLOW_TCP_FIN_C = 1 << 5,
	PD_FLOW_TCP_FIN_S = 1 << 6,
};

struct pd_flow_ev; /* per-flow evidence state, owned by the caller (ingest.c) */
struct pd_subject;

struct pd_flow {
	struct pd_flow *hnext;       /* hash chain */
	struct pd_flow *prev, *next; /* activity list (least recent first) */
	uint32_t hash;
	uint8_t proto;
	uint8_t tcp;             /* PD_FLOW_TCP_* */
	bool closed;             /* on the closed list */
	uint8_t user;            /* free for the caller (ingest: evidence flags) */
	uint8_t app;             /* free for the caller (ingest: application protocol) */
	uint32_t tunnel;         /* free for the caller (ingest: tunnel path id, 0 none) */
	uint8_t carried;         /* free for the caller (ingest: continues a flow of the file
	                            before, session.c) */
	uint16_t cport, sport;   /* client and server ports */
	struct pd_addr cli, srv; /* client (initiator) and server */
	uint32_t syn_seq[2];     /* ISN per direction (0 client, 1 server) when SYN seen */
	int64_t first_ns, last_ns;
	uint64_t packets[2], bytes[2]; /* [0] client->server (out), [1] server->client (in) */
	struct pd_flow_ev *ev;         /* caller's; the emit callback must release it */
};

/* Called once per flow when it is written out (idle, limit, or the final flush). */
typedef void (*pd_flow_emit_fn)(void *arg, struct pd_flow *f);

struct pd_flow_table;

/* max_live: at most this many live flows (0: PD_MAX_LIVE_FLOWS). NULL when out of memory. */
struct pd_flow_table *pd_flow_table_new(unsigned max_live, int64_t idle_ns, pd_flow_emit_fn emit,
                                        void *arg);
/* Emits every live flow, then frees the table. */
void pd_flow_table_free(struct pd_flow_table *t);

/*
 * Finds or creates the flow of pkt and counts the packet (packets, IP bytes, times, TCP
 * events). *dir is 0 when pkt goes client->server, 1 otherwise. First emits flows idle
 * at pkt's time. Returns NULL only when out of memory (the packet is then not counted).
 */
struct pd_flow *pd_flow_packet(struct pd_flow_table *t, const struct pd_pkt *pkt, int *dir);

/* Local addresses known before the first packet (file, --local), for orienting flows whose
 * opening was not seen; NULL (the default) for none. s must outlive the table's use. */
void pd_flow_set_subject(struct pd_flow_table *t, const struct pd_subject *s);

/* The live flow p belongs to (*dir as pd_flow_packet), or NULL; counts nothing. */
struct pd_flow *pd_flow_find(struct pd_flow_table *t, const struct pd_pkt *p, int *dir);

/* Counts a packet of ip_len bytes at ts_ns into f in direction dir (an ICMP error quoting f). */
void pd_flow_count(struct pd_flow_table *t, struct pd_flow *f, int dir, int64_t ts_ns,
                   uint32_t ip_len);

/*
 * Marks f as finished (e.g. a DNS exchange that got its answer): it is then released after
 * PD_FLOW_CLOSED_NS of capture time without packets instead of the full idle time. A later
 * packet still counts into it.
 */
void pd_flow_close(struct pd_flow_table *t, struct pd_flow *f);

/*
 * Swaps client and server of a flow that has counted one packet (a flow continued from an
 * earlier file takes that file's orientation, session.c): sides, ports, counters, initial
 * sequence numbers and the TCP events of that packet. The hash is symmetric: f stays where it
 * is in the table.
 */
void pd_flow_reverse(struct pd_flow *f);

/* Emits and releases every live flow (end of capture). */
void pd_flow_flush_all(struct pd_flow_table *t);

/* Live flows now, the most ever live, and flows emitted early because the table was full. */
unsigned pd_flow_live(const struct pd_flow_table *t);
unsigned pd_flow_peak(const struct pd_flow_table *t);
uint64_t pd_flow_limit_flushed(const struct pd_flow_table *t);

/* 'established', 'syn-only', 'refused', 'midstream' for TCP; NULL for other protocols. */
const char *pd_flow_tcp_state(const struct pd_flow *f);

/* True for ports below 1024 and well-known service ports above (3306, 8080, ...). */
bool pd_flow_service_port(uint16_t port);

/* "tcp", "udp", "icmp", "icmp6" or "ip-N" (buf at least 8 bytes). */
const char *pd_flow_proto_name(uint8_t proto, char *buf, size_t len);

#endif
