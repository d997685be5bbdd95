/*
 * flow.c - bidirectional flow table, see flow.h.
 *
 * Chained hash table over a pool of entries allocated in chunks (a released entry goes to a
 * free list; chunks are freed with the table). The hash is symmetric in the two endpoints so
 * both directions of a flow land in the same chain. Two activity lists, open and closed,
 * ordered by last packet (moving an entry to the tail on each packet is O(1)); expiry looks
 * only at the heads. Capture time is taken from packets: a capture whose clock jumps back
 * simply expires nothing until it moves forward again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "ingest.h"
#include "subject.h"

#define CHUNK_FLOWS 1024
#define MIN_BUCKETS 1024

struct flow_list {
	struct pd_flow *head, *tail;
};

struct pd_flow_table {
	struct pd_flow **buckets;
	uint32_t n_buckets; /* power of two */
	unsigned live, peak, max_live;
	uint64_t limit_flushed;
	int64_t idle_ns;
	struct flow_list open, closed;
	struct pd_flow *free_list;
	struct pd_flow **chunks;
	size_t n_chunks, cap_chunks;
	pd_flow_emit_fn emit;
	void *arg;
	const struct pd_subject *subject; /* local addresses known up front, or NULL */
};

static const uint16_t service_ports[] = {
	1080, 1194, 1433, 1521, 1723, 1883, 2049,  2375,  2376,  2379,  2380,  3128,  3306,
	3389, 3478, 4222, 4443, 5060, 5061, 5222,  5353,  5355,  5432,  5671,  5672,  5900,
	5984, 6379, 6443, 6881, 8000, 8008, 8080,  8081,  8088,  8443,  8883,  8888,  9000,
	9042, 9092, 9093, 9200, 9300, 9418, 10250, 11211, 15672, 19302, 27017, 50051,
};

bool pd_flow_service_port(uint16_t port)
{
	size_t lo = 0, hi = sizeof(service_ports) / sizeof(service_ports[0]);

	if (port < 1024)
		return true;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (service_ports[mid] == port)
			return true;
		if (service_ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

const char *pd_flow_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case PD_L4_TCP:
		return "tcp";
	case PD_L4_UDP:
		return "udp";
	case PD_L4_ICMP:
		return "icmp";
	case PD_L4_ICMP6:
		return "icmp6";
	default:
		snprintf(buf, len, "ip-%u", proto);
		return buf;
	}
}

const char *pd_flow_tcp_state(const struct pd_flow *f)
{
	if (f->proto != PD_L4_TCP)
		return NULL;
	if (!(f->tcp & PD_FLOW_TCP_SYN))
		return "midstream";
	if ((f->tcp & PD_FLOW_TCP_SYNACK) && (f->tcp & PD_FLOW_TCP_ACK))
		return "established";
	if ((f->tcp & PD_FLOW_TCP_RST_SRV) && !(f->tcp & PD_FLOW_TCP_SYNACK))
		return "refused";
	return "syn-only";
}

/* Mixes one endpoint (address and port) into 32 bits. */
static inline uint32_t endpoint_hash(const struct pd_addr *a, uint16_t port)
{
	uint64_t x, y;

	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ULL;
	x ^= ((uint64_t)port << 8 | a->family) * 0xc2b2ae3d27d4eb4fULL;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (uint32_t)x;
}

static inline uint32_t flow_hash(const struct pd_pkt *p)
{
	/* symmetric: the same for both directions */
	uint32_t h = endpoint_hash(&p->src, p->sport) + endpoint_hash(&p->dst, p->dport);
	h ^= p->proto * 0x85ebca6bu;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 13;
	return h;
}

static inline bool addr_eq(const struct pd_addr *a, const struct pd_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void list_remove(struct flow_list *l, struct pd_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void list_append(struct flow_list *l, struct pd_flow *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

struct pd_flow_table *pd_flow_table_new(unsigned max_live, int64_t idle_ns, pd_flow_emit_fn emit,
                                        void *arg)
{
	struct pd_flow_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->n_buckets = MIN_BUCKETS;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->max_live = max_live ? max_live : PD_MAX_LIVE_FLOWS;
	t->idle_ns = idle_ns ? idle_ns : PD_FLOW_IDLE_NS;
	t->emit = emit;
	t->arg = arg;
	return t;
}

/* Doubles the bucket array when the load passes 1 (failure just keeps longer chains). */
static void grow_buckets(struct pd_flow_table *t)
{
	uint32_t n = t->n_buckets * 2, i;
	struct pd_flow **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;
	for (i = 0; i < t->n_buckets; i++) {
		struct pd_flow *f = t->buckets[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			f->hnext = nb[f->hash & (n - 1)];
			nb[f->hash & (n - 1)] = f;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->n_buckets = n;
}

static struct pd_flow *alloc_flow(struct pd_flow_table *t)
{
	struct pd_flow *f, *chunk;
	size_t i;

	if (!t->free_list) {
		if (t->n_chunks == t->cap_chunks) {
			size_t nc = t->cap_chunks ? t->cap_chunks * 2 : 16;
			struct pd_flow **c = realloc(t->chunks, nc * sizeof(*c));
			if (!c)
				return NULL;
			t->chunks = c;
			t->cap_chunks = nc;
		}
		chunk = malloc(CHUNK_FLOWS * sizeof(*chunk));
		if (!chunk)
			return NULL;
		t->chunks[t->n_chunks++] = chunk;
		for (i = CHUNK_FLOWS; i-- > 0;) {
			chunk[i].hnext = t->free_list;
			t->free_list = &chunk[i];
		}
	}
	f = t->free_list;
	t->free_list = f->hnext;
	return f;
}

/* Emits f, unlinks it from its chain and list, and returns it to the pool. */
static void release(struct pd_flow_table *t, struct pd_flow *f)
{
	struct pd_flow **pp = &t->buckets[f->hash & (t->n_buckets - 1)];

	t->emit(t->arg, f);
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	list_remove(f->closed ? &t->closed : &t->open, f);
	f->hnext = t->free_list;
	t->free_list = f;
	t->live--;
}

/* now - then > span, without overflow: capture timestamps are hostile and may lie anywhere in
 * the int64_t range (found by fuzz_ingest: -7.7e18 ns after 1.7e18 ns). */
static bool older_than(int64_t now, int64_t then, int64_t span)
{
	return now > then && (uint64_t)now - (uint64_t)then > (uint64_t)span;
}

static void expire(struct pd_flow_table *t, int64_t now)
{
	while (t->open.head && older_than(now, t->open.head->last_ns, t->idle_ns))
		release(t, t->open.head);
	while (t->closed.head && older_than(now, t->closed.head->last_ns, PD_FLOW_CLOSED_NS))
		release(t, t->closed.head);
}

/* Decides client and server for a new flow from its first packet (rules: subject.h). */
static void set_sides(const struct pd_flow_table *t, struct pd_flow *f, const struct pd_pkt *p)
{
	bool swap = !pd_subject_src_is_client(t->subject, p->proto, p->tcp_flags, &p->src, p->sport,
	                                      &p->dst, p->dport);

	if (swap) {
		f->cli = p->dst;
		f->cport = p->dport;
		f->srv = p->src;
		f->sport = p->sport;
	} else {
		f->cli = p->src;
		f->cport = p->sport;
		f->srv = p->dst;
		f->sport = p->dport;
	}
}

static void tcp_events(struct pd_flow *f, const struct pd_pkt *p, int dir)
{
	uint8_t fl = p->tcp_flags;

	if (fl & PD_TCP_SYN) {
		if (!(fl & PD_TCP_ACK) && dir == 0) {
			f->tcp |= PD_FLOW_TCP_SYN;
			f->syn_seq[0] = p->seq;
		} else if ((fl & PD_TCP_ACK) && dir == 1) {
			f->tcp |= PD_FLOW_TCP_SYNACK;
			f->syn_seq[1] = p->seq;
		}
	} else if ((fl & PD_TCP_ACK) && dir == 0 && (f->tcp & PD_FLOW_TCP_SYNACK)) {
		f->tcp |= PD_FLOW_TCP_ACK;
	}
	if (fl & PD_TCP_RST) {
		f->tcp |= PD_FLOW_TCP_RST;
		if (dir == 1)
			f->tcp |= PD_FLOW_TCP_RST_SRV;
	}
	if (fl & PD_TCP_FIN)
		f->tcp |= dir == 0 ? PD_FLOW_TCP_FIN_C : PD_FLOW_TCP_FIN_S;
}

struct pd_flow *pd_flow_packet(struct pd_flow_table *t, const struct pd_pkt *p, int *dir)
{
	uint32_t h = flow_hash(p);
	struct pd_flow *f;
	int d = 0;

	if (t->open.head || t->closed.head)
		expire(t, p->ts_ns);
	for (f = t->buckets[h & (t->n_buckets - 1)]; f; f = f->hnext) {
		if (f->hash != h || f->proto != p->proto)
			continue;
		if (f->cport == p->sport && f->sport == p->dport && addr_eq(&f->cli, &p->src) &&
		    addr_eq(&f->srv, &p->dst)) {
			d = 0;
			break;
		}
		if (f->cport == p->dport && f->sport == p->sport && addr_eq(&f->cli, &p->dst) &&
		    addr_eq(&f->srv, &p->src)) {
			d = 1;
			break;
		}
	}
	if (f) {
		list_remove(f->closed ? &t->closed : &t->open, f);
		if (p->ts_ns > f->last_ns)
			f->last_ns = p->ts_ns;
		if (p->ts_ns < f->first_ns)
			f->first_ns = p->ts_ns;
	} else {
		if (t->live >= t->max_live) {
			/* The least recently active flow, open or closing: a busy host's closed
			 * flows waiting out PD_FLOW_CLOSED_NS must not push out its live
			 * connections. */
			struct pd_flow *old = t->open.head, *c = t->closed.head;
			if (!old || (c && c->last_ns <= old->last_ns))
				old = c;
			release(t, old);
			t->limit_flushed++;
		}
		f = alloc_flow(t);
		if (!f)
			return NULL;
		memset(f, 0, sizeof(*f));
		f->hash = h;
		f->proto = p->proto;
		set_sides(t, f, p);
		d = addr_eq(&f->cli, &p->src) && f->cport == p->sport ? 0 : 1;
		f->first_ns = f->last_ns = p->ts_ns;
		f->hnext = t->buckets[h & (t->n_buckets - 1)];
		t->buckets[h & (t->n_buckets - 1)] = f;
		if (++t->live > t->peak)
			t->peak = t->live;
		if (t->live > t->n_buckets)
			grow_buckets(t);
	}
	f->packets[d]++;
	f->bytes[d] += p->ip_len;
	if (p->proto == PD_L4_TCP) {
		tcp_events(f, p, d);
		/* A FIN either way or a RST ends the connection as far as release goes: many
		 * clients close with a FIN the server never answers with its own, or with a RST.
		 * Packets that still follow within PD_FLOW_CLOSED_NS count into the same flow. */
		if (!f->closed &&
		    (f->tcp & (PD_FLOW_TCP_RST | PD_FLOW_TCP_FIN_C | PD_FLOW_TCP_FIN_S)))
			f->closed = true;
	}
	list_append(f->closed ? &t->closed : &t->open, f);
	*dir = d;
	return f;
}

void pd_flow_set_subject(struct pd_flow_table *t, const struct pd_subject *s)
{
	t->subject = s;
}

struct pd_flow *pd_flow_find(struct pd_flow_table *t, const struct pd_pkt *p, int *dir)
{
	uint32_t h = flow_hash(p);
	struct pd_flow *f;

	for (f = t->buckets[h & (t->n_buckets - 1)]; f; f = f->hnext) {
		if (f->hash != h || f->proto != p->proto)
			continue;
		if (f->cport == p->sport && f->sport == p->dport && addr_eq(&f->cli, &p->src) &&
		    addr_eq(&f->srv, &p->dst)) {
			*dir = 0;
			return f;
		}
		if (f->cport == p->dport && f->sport == p->sport && addr_eq(&f->cli, &p->dst) &&
		    addr_eq(&f->srv, &p->src)) {
			*dir = 1;
			return f;
		}
	}
	return NULL;
}

void pd_flow_count(struct pd_flow_table *t, struct pd_flow *f, int dir, int64_t ts_ns,
                   uint32_t ip_len)
{
	list_remove(f->closed ? &t->closed : &t->open, f);
	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	if (ts_ns < f->first_ns)
		f->first_ns = ts_ns;
	f->packets[dir & 1]++;
	f->bytes[dir & 1] += ip_len;
	list_append(f->closed ? &t->closed : &t->open, f);
}

void pd_flow_reverse(struct pd_flow *f)
{
	struct pd_addr a = f->cli;
	uint16_t port = f->cport;
	uint64_t n;
	uint32_t seq;
	uint8_t tcp = f->tcp;

	f->cli = f->srv;
	f->srv = a;
	f->cport = f->sport;
	f->sport = port;
	n = f->packets[0];
	f->packets[0] = f->packets[1];
	f->packets[1] = n;
	n = f->bytes[0];
	f->bytes[0] = f->bytes[1];
	f->bytes[1] = n;
	seq = f->syn_seq[0];
	f->syn_seq[0] = f->syn_seq[1];
	f->syn_seq[1] = seq;
	/* the one packet's events, seen from the other side */
	f->tcp = tcp & PD_FLOW_TCP_RST;
	if (tcp & PD_FLOW_TCP_FIN_C)
		f->tcp |= PD_FLOW_TCP_FIN_S;
	if (tcp & PD_FLOW_TCP_FIN_S)
		f->tcp |= PD_FLOW_TCP_FIN_C;
	if ((tcp & PD_FLOW_TCP_RST) && !(tcp & PD_FLOW_TCP_RST_SRV))
		f->tcp |= PD_FLOW_TCP_RST_SRV;
}

void pd_flow_close(struct pd_flow_table *t, struct pd_flow *f)
{
	if (f->closed)
		return;
	list_remove(&t->open, f);
	f->closed = true;
	list_append(&t->closed, f);
}

void pd_flow_flush_all(struct pd_flow_table *t)
{
	while (t->open.head)
		release(t, t->open.head);
	while (t->closed.head)
		release(t, t->closed.head);
}

void pd_flow_table_free(struct pd_flow_table *t)
{
	size_t i;

	if (!t)
		return;
	pd_flow_flush_all(t);
	for (i = 0; i < t->n_chunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->buckets);
	free(t);
}

unsigned pd_flow_live(const struct pd_flow_table *t)
{
	return t->live;
}

unsigned pd_flow_peak(const struct pd_flow_table *t)
{
	return t->peak;
}

uint64_t pd_flow_limit_flushed(const struct pd_flow_table *t)
{
	return t->limit_flushed;
}
