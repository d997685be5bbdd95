/*
 * ingest.c - one capture file into the database (SPEC 2.1, 2.2, 2.5, 3):
 *   reader -> pd_decode -> flow table -> evidence (DNS, TLS, QUIC, HTTP) -> rows -> SQLite,
 * then attribution (names.c), all inside one BEGIN IMMEDIATE ... COMMIT: a capture is in or
 * out. The file's SHA-256 is computed on a second thread (filehash.c) while this thread parses
 * and attributes; a hash already in captures rolls the work back and the capture is reported
 * as `already` (re-ingesting the same bytes is a no-op).
 *
 * Evidence per flow (struct pd_flow_ev, allocated only for flows that need it):
 *  - DNS over UDP (53, 5353 mDNS, 5355 LLMNR): every response is parsed; a response's
 *    destination is the client and its source the resolver. DNS over TCP/53: the server's
 *    byte stream is reassembled (reasm.c) and split at the 2-byte length prefixes (RFC 1035
 *    4.2.2), so several messages per stream and messages split across segments parse.
 *  - TCP: the client's first bytes (at most PD_TLS_MAX_HELLO, contiguous only, never guessed
 *    across a gap) go to the TLS ClientHello parser or the HTTP/1.x request parser, called
 *    only when new contiguous bytes arrive, until it answers.
 *  - UDP: client payloads that look like QUIC Initials are fed to quic.c until it answers.
 * Once a flow's evidence is settled its packets are only counted (bulk data costs a hash
 * lookup and a few adds). ICMP/ICMPv6 and other IP protocols are flows too (ports 0).
 *
 * Tunnels (tunnel.c): the decoder hands out the innermost packet, so flows are the inner ones;
 * a flow keeps the tunnel path of its first tunnelled packet, seen from its client, as text in
 * flows.tunnel. The outer (carrier) packets make no flow of their own: each distinct carrier
 * path is one info finding ('tunnel') counting the packets decapsulated from it, at most
 * PD_MAX_TUNNEL_FINDINGS of them (the rest under one '(other tunnels)' finding).
 *
 * Encrypted-DNS indicators and ECH become findings, aggregated per (kind, subject, detail).
 * Row writing goes through struct sink (prepared statements on one connection, reused for the
 * whole capture).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "dns.h"
#include "encdns.h"
#include "filehash.h"
#include "flow.h"
#include "http.h"
#include "ingest.h"
#include "interrupt.h"
#include "pcapng.h"
#include "quic.h"
#include "reasm.h"
#include "socks.h"
#include "session.h"
#include "tls.h"
#include "tunnel.h"

#define PD_MAX_FINDINGS 1024 /* distinct findings kept per capture */
#define PD_REASM_BUDGET                                                                            \
	(16ull << 20) /* bytes of reassembly buffers over all flows: with a full flow table this   \
	                 keeps the peak under 64 MiB */
#define PD_DNS_TCP_WINDOW      (65535u + 2u) /* one whole DNS/TCP message with its prefix */
#define PD_QUIC_PROBES         4             /* client datagrams without an Initial: not QUIC */
#define PD_PROGRESS_EVERY      4096          /* frames between progress callbacks */
#define PD_MAX_TUNNEL_FINDINGS 64            /* distinct tunnel carriers listed as findings */
#define PD_HTTP_MAX_REQUESTS   64            /* requests followed on one keep-alive connection */
#define PD_HTTP_MAX_HOSTS      8             /* further distinct Hosts kept per connection */
#define PD_HTTP_MAX_BODY       (1u << 20)    /* a request body longer than this: stop following */

/* pd_flow.user bits */
enum {
	U_INIT = 1 << 0,    /* classified */
	U_SETTLED = 1 << 1, /* no more evidence work */
	U_DNS = 1 << 2,     /* DNS port flow */
	U_PROBE1 = 1 << 4,  /* bits 4-6: UDP client datagrams seen without a QUIC Initial */
	U_PROBES = 7 << 4,
};

enum app { APP_NONE, APP_TLS, APP_QUIC, APP_HTTP, APP_DNS, APP_DOT, APP_DOQ, APP_DOH };
static const char *const app_names[] = { NULL, "tls", "quic", "http", "dns", "dot", "doq", "doh" };

/* CS_TUNNEL: after a CONNECT request head or a SOCKS handshake (socks.c), the tunnelled bytes
 * (a ClientHello or an HTTP request naming the real destination through the proxy). */
enum cs_mode { CS_UNKNOWN, CS_TLS, CS_HTTP, CS_SOCKS, CS_TUNNEL };

struct pd_flow_ev {
	struct pd_reasm cs; /* client -> server first bytes (TLS/HTTP) */
	struct pd_reasm sc; /* server -> client stream (DNS over TCP) */
	struct pd_quic *quic;
	char *sni, *alpn, *http_host, *http_connect;
	char *target;  /* proxied flow: the destination asked of the proxy (name or address) */
	char *hosts;   /* keep-alive: Hosts of later requests unlike the first, '|'-joined */
	uint32_t skip; /* request body bytes still to pass before the next request */
	uint8_t n_req; /* requests read at this layer (in a tunnel: inside it) */
	uint8_t n_hosts;
	const char *proxy; /* ours: "socks4" | "socks4a" | "socks5" | "http-connect" | "http" */
	uint16_t target_port;
	uint32_t quic_version;
	uint8_t mode; /* enum cs_mode */
	uint8_t app;  /* enum app */
	bool ech;
	bool tunnel; /* the bytes parsed now are inside a proxy's tunnel */
};

/* Counters written to the counters table (kind, what). */
enum ctr {
	C_DNS_SEEN,
	C_DNS_QUERIES,
	C_DNS_RESPONSES,
	C_DNS_MALFORMED,
	C_DNS_TRUNCATED,
	C_DNS_RR_DROPPED,
	C_DNS_TCP_MSGS,
	C_DNS_TCP_OVERFLOW,
	C_TLS_SEEN,
	C_TLS_OK,
	C_TLS_MALFORMED,
	C_TLS_UNSUPPORTED,
	C_TLS_INCOMPLETE,
	C_QUIC_SEEN,
	C_QUIC_OK,
	C_QUIC_CRYPTO,
	C_QUIC_MALFORMED,
	C_QUIC_UNSUPPORTED,
	C_QUIC_INCOMPLETE,
	C_HTTP_SEEN,
	C_HTTP_OK,
	C_HTTP_MALFORMED,
	C_HTTP_UNSUPPORTED,
	C_HTTP_INCOMPLETE,
	C_HTTP_KEEPALIVE,
	C_HTTP_REQ_LIMIT,
	C_SOCKS_SEEN,
	C_SOCKS_OK,
	C_SOCKS_MALFORMED,
	C_SOCKS_UNSUPPORTED,
	C_SOCKS_INCOMPLETE,
	C_REASM_OVERFLOW,
	C_FLOW_WRITTEN,
	C_FLOW_LIMIT,
	C_FLOW_PEAK,
	C_NOMEM,
	C_TUN_FLOWS,
	C_TUN_PATHS_FULL,
	C_ICMP_QUOTED,
	C__COUNT
};
static const char *const ctr_names[C__COUNT][2] = {
	[C_DNS_SEEN] = { "dns", "seen" },
	[C_DNS_QUERIES] = { "dns", "queries" },
	[C_DNS_RESPONSES] = { "dns", "responses" },
	[C_DNS_MALFORMED] = { "dns", "malformed" },
	[C_DNS_TRUNCATED] = { "dns", "truncated" },
	[C_DNS_RR_DROPPED] = { "dns", "records_skipped" },
	[C_DNS_TCP_MSGS] = { "dns", "tcp_messages" },
	[C_DNS_TCP_OVERFLOW] = { "dns", "tcp_gave_up" },
	[C_TLS_SEEN] = { "tls", "seen" },
	[C_TLS_OK] = { "tls", "client_hello" },
	[C_TLS_MALFORMED] = { "tls", "malformed" },
	[C_TLS_UNSUPPORTED] = { "tls", "unsupported" },
	[C_TLS_INCOMPLETE] = { "tls", "truncated" },
	[C_QUIC_SEEN] = { "quic", "seen" },
	[C_QUIC_OK] = { "quic", "client_hello" },
	[C_QUIC_CRYPTO] = { "quic", "decrypt_failed" },
	[C_QUIC_MALFORMED] = { "quic", "malformed" },
	[C_QUIC_UNSUPPORTED] = { "quic", "unsupported" },
	[C_QUIC_INCOMPLETE] = { "quic", "truncated" },
	[C_HTTP_SEEN] = { "http", "seen" },
	[C_HTTP_OK] = { "http", "request" },
	[C_HTTP_MALFORMED] = { "http", "malformed" },
	[C_HTTP_UNSUPPORTED] = { "http", "unsupported" },
	[C_HTTP_INCOMPLETE] = { "http", "truncated" },
	[C_HTTP_KEEPALIVE] = { "http", "keepalive_requests" },
	[C_HTTP_REQ_LIMIT] = { "http", "requests_not_followed" },
	[C_SOCKS_SEEN] = { "socks", "seen" },
	[C_SOCKS_OK] = { "socks", "request" },
	[C_SOCKS_MALFORMED] = { "socks", "malformed" },
	[C_SOCKS_UNSUPPORTED] = { "socks", "unsupported" },
	[C_SOCKS_INCOMPLETE] = { "socks", "truncated" },
	[C_REASM_OVERFLOW] = { "tcp", "reassembly_limit" },
	[C_FLOW_WRITTEN] = { "flow", "written" },
	[C_FLOW_LIMIT] = { "flow", "limit_flushed" },
	[C_FLOW_PEAK] = { "flow", "peak_live" },
	[C_NOMEM] = { "ingest", "out_of_memory" },
	[C_TUN_FLOWS] = { "tunnel", "flows" },
	[C_TUN_PATHS_FULL] = { "tunnel", "paths_dropped" },
	[C_ICMP_QUOTED] = { "icmp", "errors_in_quoted_flow" },
};

struct finding {
	const char *kind, *severity;
	char subject[256];
	char detail[256];
	uint64_t count;
	int64_t first_ns;
};

/* Where rows go: prepared statements on one connection, reused for the whole capture. */
struct sink {
	sqlite3 *db;
	const char *dbname; /* for messages */
	int64_t capture_id;
	sqlite3_stmt *flow, *dns, *finding, *counter, *iface, *carry;
	enum pd_err err; /* first failure; later writes are skipped */
	char errbuf[PD_ERRBUF_SIZE];
};

struct ictx {
	struct sink sink;
	const char *path;
	struct pd_flow_table *flows;
	struct pd_dns_msg *dns; /* one message, reused (large: kept off the stack) */
	uint64_t reasm_budget;
	uint64_t ctr[C__COUNT];
	struct finding *findings;
	unsigned n_findings;
	uint64_t findings_dropped;
	uint64_t n_flows, n_dns;
	struct pd_tunnel_set *tunnels;
	unsigned tun_findings;  /* distinct carriers among the findings */
	struct pd_subject subj; /* local addresses known so far (option, file) */
	struct pd_subject host; /* sources of packets the capturing host marked as sent */
	bool host_recv[PD_SUBJECT_MAX_HOST]; /* ... also the source of a received packet */
	bool host_over;                      /* more than PD_SUBJECT_MAX_HOST of them */
	struct pd_addr recent[8];            /* sources of the last received packets */
	unsigned n_recent;
	unsigned subj_ifaces; /* interfaces of the file already added to subj */
	/* capture sessions (session.c): flows carried in from the file this one continues, and
	 * out of this one at its end */
	struct pd_session_carry *carry;
	bool session_looked, at_end;
	char prev_sha[80];
};

/* ---- row writing ---------------------------------------------------------------------- */

static void sink_fail(struct sink *k, int rc, const char *what)
{
	if (k->err)
		return;
	k->err = PD_ERR_DB;
	if ((rc & 0xff) == SQLITE_FULL)
		snprintf(k->errbuf, sizeof(k->errbuf), "%s: disk full while %s", k->dbname, what);
	else
		snprintf(k->errbuf, sizeof(k->errbuf), "%s: %s while %s", k->dbname,
		         sqlite3_errmsg(k->db), what);
}

static void sink_prepare(struct sink *k, sqlite3_stmt **st, const char *sql, const char *what)
{
	int rc;

	if (k->err)
		return;
	rc = sqlite3_prepare_v3(k->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK)
		sink_fail(k, rc, what);
}

static void sink_open(struct sink *k, sqlite3 *db, const char *dbname, int64_t capture_id)
{
	memset(k, 0, sizeof(*k));
	k->db = db;
	k->dbname = dbname;
	k->capture_id = capture_id;
	sink_prepare(
	        k, &k->flow,
	        "INSERT INTO flows(capture_id, proto, client_ip, client_port, server_ip, "
	        "server_port, first_ns, last_ns, packets_out, bytes_out, packets_in, bytes_in, "
	        "tcp_state, app_proto, sni, alpn, ech, http_host, http_connect, quic_version, "
	        "direction, tunnel, continued, proxy, proxy_target, via_ip, via_port, http_hosts) "
	        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        "preparing the flow insert");
	sink_prepare(
	        k, &k->dns,
	        "INSERT INTO dns_answers(capture_id, ts_ns, client_ip, resolver_ip, "
	        "resolver_port, transport, qname, qtype, rcode, rr_name, rr_type, answer, ttl, "
	        "chain, ech) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        "preparing the DNS answer insert");
	sink_prepare(k, &k->finding,
	             "INSERT INTO findings(capture_id, kind, severity, subject, detail, count, "
	             "first_ns) VALUES (?,?,?,?,?,?,?)",
	             "preparing the finding insert");
	sink_prepare(k, &k->counter,
	             "INSERT INTO counters(capture_id, kind, what, n) VALUES (?,?,?,?) "
	             "ON CONFLICT(capture_id, kind, what) DO UPDATE SET n = n + excluded.n",
	             "preparing the counter insert");
	sink_prepare(k, &k->iface,
	             "INSERT INTO interfaces(capture_id, idx, name, description, link_type, "
	             "snaplen, received, dropped) VALUES (?,?,?,?,?,?,?,?)",
	             "preparing the interface insert");
	if (!k->err) {
		int rc = pd_session_carry_prepare(db, &k->carry);
		if (rc != SQLITE_OK)
			sink_fail(k, rc, "preparing the carried flow insert");
	}
}

static void sink_close(struct sink *k)
{
	sqlite3_finalize(k->flow);
	sqlite3_finalize(k->dns);
	sqlite3_finalize(k->finding);
	sqlite3_finalize(k->counter);
	sqlite3_finalize(k->iface);
	sqlite3_finalize(k->carry);
	k->flow = k->dns = k->finding = k->counter = k->iface = k->carry = NULL;
}

/* Steps and resets a bound statement. */
static void sink_step(struct sink *k, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		sink_fail(k, rc, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *addr_str(const struct pd_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- findings and counters --------------------------------------------------------- */

static void finding_add(struct ictx *x, const char *kind, const char *severity, const char *subject,
                        const char *detail, uint64_t count, int64_t ts)
{
	struct finding *fd;
	unsigned i;

	for (i = x->n_findings; i-- > 0;) {
		fd = &x->findings[i];
		if (fd->kind == kind && !strcmp(fd->subject, subject ? subject : "") &&
		    !strcmp(fd->detail, detail)) {
			fd->count += count;
			if (ts < fd->first_ns)
				fd->first_ns = ts;
			return;
		}
	}
	if (x->n_findings == PD_MAX_FINDINGS) {
		x->findings_dropped += count;
		return;
	}
	fd = &x->findings[x->n_findings++];
	fd->kind = kind;
	fd->severity = severity;
	snprintf(fd->subject, sizeof(fd->subject), "%s", subject ? subject : "");
	snprintf(fd->detail, sizeof(fd->detail), "%s", detail);
	fd->count = count;
	fd->first_ns = ts;
}

/* ---- DNS ------------------------------------------------------------------------------ */

/*
 * The CNAME path from the question name to owner within one message ('>'-joined), following
 * CNAME records in any order; owner alone when it is not reachable from the question.
 */
static void dns_chain(const struct pd_dns_msg *m, const char *qname, const char *owner, char *out,
                      size_t len)
{
	const char *cur = qname;
	size_t used;
	unsigned steps, i;

	if (!*qname || !strcmp(qname, owner)) {
		snprintf(out, len, "%s", owner);
		return;
	}
	used = (size_t)snprintf(out, len, "%s", qname);
	for (steps = 0; steps < m->n_rr && used < len; steps++) {
		const char *next = NULL;

		for (i = 0; i < m->n_rr; i++)
			if (m->rr[i].type == PD_DNS_CNAME && !strcmp(m->rr[i].name, cur)) {
				next = m->rr[i].target;
				break;
			}
		if (!next)
			break;
		used += (size_t)snprintf(out + used, len - used, ">%s", next);
		if (!strcmp(next, owner))
			return;
		cur = next;
	}
	snprintf(out, len, "%s", owner);
}

static void dns_row(struct ictx *x, const struct pd_pkt *p, const char *transport,
                    const struct pd_dns_msg *m, const char *client, const char *resolver,
                    const struct pd_dns_rr *rr, const char *rr_type, const char *answer,
                    const char *chain, bool ech)
{
	struct sink *k = &x->sink;
	sqlite3_stmt *st = k->dns;
	const char *qname = m->qname[0] ? m->qname : (rr ? rr->name : "");

	if (k->err)
		return;
	sqlite3_bind_int64(st, 1, k->capture_id);
	sqlite3_bind_int64(st, 2, p->ts_ns);
	sqlite3_bind_text(st, 3, client, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, resolver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, p->sport);
	sqlite3_bind_text(st, 6, transport, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, qname, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, m->qdcount ? pd_dns_type_name(m->qtype) : "", -1,
	                  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, pd_dns_rcode_name(m->rcode), -1, SQLITE_TRANSIENT);
	if (rr) {
		sqlite3_bind_text(st, 10, rr->name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 11, rr_type, -1, SQLITE_STATIC);
		bind_text(st, 12, answer);
		sqlite3_bind_int64(st, 13, rr->ttl);
		bind_text(st, 14, chain);
	}
	sqlite3_bind_int(st, 15, ech);
	sink_step(k, st, "storing a DNS answer");
	x->n_dns++;
}

/* Writes the rows of one DNS response (see the schema: one per A/AAAA/CNAME/PTR/HTTPS/SVCB
 * record and HINT address, or one row for an answerless response). */
static void dns_response(struct ictx *x, const struct pd_pkt *p, const char *transport,
                         const struct pd_dns_msg *m)
{
	char client[64], resolver[64], ans[64], chain[PD_DNS_NAME_MAX * 2];
	const char *qname = m->qname;
	unsigned i, h, rows = 0;

	addr_str(&p->dst, client, sizeof(client));
	addr_str(&p->src, resolver, sizeof(resolver));
	for (i = 0; i < m->n_rr; i++) {
		const struct pd_dns_rr *rr = &m->rr[i];

		switch (rr->type) {
		case PD_DNS_A:
		case PD_DNS_AAAA:
			if (rr->addr.family != 4 && rr->addr.family != 6)
				break;
			dns_chain(m, qname, rr->name, chain, sizeof(chain));
			dns_row(x, p, transport, m, client, resolver, rr,
			        rr->type == PD_DNS_A ? "A" : "AAAA",
			        addr_str(&rr->addr, ans, sizeof(ans)), chain, false);
			rows++;
			break;
		case PD_DNS_CNAME:
		case PD_DNS_PTR:
			dns_row(x, p, transport, m, client, resolver, rr,
			        rr->type == PD_DNS_CNAME ? "CNAME" : "PTR", rr->target, NULL,
			        false);
			rows++;
			break;
		case PD_DNS_HTTPS:
		case PD_DNS_SVCB:
			dns_row(x, p, transport, m, client, resolver, rr,
			        rr->type == PD_DNS_HTTPS ? "HTTPS" : "SVCB", rr->target, NULL,
			        rr->ech);
			rows++;
			if (rr->n_hints)
				dns_chain(m, qname, rr->name, chain, sizeof(chain));
			for (h = 0; h < rr->n_hints && h < PD_DNS_MAX_HINTS; h++) {
				dns_row(x, p, transport, m, client, resolver, rr, "HINT",
				        addr_str(&rr->hints[h], ans, sizeof(ans)), chain, rr->ech);
				rows++;
			}
			break;
		default:
			break;
		}
	}
	if (!rows && (m->qname[0] || m->qdcount))
		dns_row(x, p, transport, m, client, resolver, NULL, NULL, NULL, NULL, false);
}

static const char *dns_transport(const struct pd_pkt *p)
{
	if (p->proto == PD_L4_TCP)
		return "tcp";
	if (p->sport == 5353 || p->dport == 5353)
		return "mdns";
	if (p->sport == 5355 || p->dport == 5355)
		return "llmnr";
	return "udp";
}

/* One DNS message (UDP payload or one TCP message without its prefix). */
static void dns_message(struct ictx *x, const struct pd_pkt *p, const uint8_t *msg, size_t len)
{
	enum pd_err e;

	x->ctr[C_DNS_SEEN]++;
	if (len < 12) {
		x->ctr[C_DNS_TRUNCATED]++;
		return;
	}
	if (!(msg[2] & 0x80)) {
		x->ctr[C_DNS_QUERIES]++; /* queries carry no answers: not parsed */
		return;
	}
	x->ctr[C_DNS_RESPONSES]++;
	e = pd_dns_parse(msg, len, x->dns);
	if (e == PD_ERR_MALFORMED || e == PD_ERR_UNSUPPORTED) {
		x->ctr[C_DNS_MALFORMED]++;
		return;
	}
	if (e == PD_ERR_TRUNCATED)
		x->ctr[C_DNS_TRUNCATED]++;
	else if (e != PD_OK)
		return;
	if (!x->dns->qr)
		return;
	x->ctr[C_DNS_RR_DROPPED] += x->dns->n_rr_dropped;
	if (x->dns->n_rr_over) {
		char detail[160], who[64];

		snprintf(detail, sizeof(detail),
		         "DNS responses with more than %d answer records: the records past the "
		         "%dth were not kept",
		         PD_DNS_MAX_RR, PD_DNS_MAX_RR);
		finding_add(x, "limit", "warning", addr_str(&p->src, who, sizeof(who)), detail,
		            x->dns->n_rr_over, p->ts_ns);
	}
	dns_response(x, p, dns_transport(p), x->dns);
}

/* ---- per-flow evidence -------------------------------------------------------------- */

static struct pd_flow_ev *flow_ev(struct ictx *x, struct pd_flow *f)
{
	if (!f->ev) {
		f->ev = calloc(1, sizeof(*f->ev));
		if (!f->ev) {
			x->ctr[C_NOMEM]++;
			f->user |= U_SETTLED;
			return NULL;
		}
		pd_reasm_init(&f->ev->cs, PD_TLS_MAX_HELLO, &x->reasm_budget);
		pd_reasm_init(&f->ev->sc, PD_DNS_TCP_WINDOW, &x->reasm_budget);
	}
	return f->ev;
}

static char *dup_str(struct ictx *x, const char *s)
{
	char *d;

	if (!s || !*s)
		return NULL;
	d = strdup(s);
	if (!d)
		x->ctr[C_NOMEM]++;
	return d;
}

static void take_hello(struct ictx *x, struct pd_flow_ev *ev, const struct pd_hello *h)
{
	free(ev->sni);
	free(ev->alpn);
	ev->sni = dup_str(x, h->sni);
	ev->alpn = dup_str(x, h->alpn);
	ev->ech = h->ech;
}

/* No more evidence work on f: buffers go, and the evidence state too when it holds nothing. */
static void settle(struct pd_flow *f)
{
	struct pd_flow_ev *ev = f->ev;

	f->user |= U_SETTLED;
	if (!ev)
		return;
	pd_reasm_clear(&ev->cs);
	pd_reasm_clear(&ev->sc);
	pd_quic_free(ev->quic);
	ev->quic = NULL;
	if (!ev->sni && !ev->alpn && !ev->http_host && !ev->http_connect && !ev->ech &&
	    !ev->quic_version && !ev->proxy && !ev->hosts) {
		free(ev);
		f->ev = NULL;
	}
}

static const char proxy_connect[] = "http-connect";

/* A further Host of a keep-alive connection, kept when new (at most PD_HTTP_MAX_HOSTS). */
static void add_host(struct ictx *x, struct pd_flow_ev *ev, const char *host)
{
	size_t have = ev->hosts ? strlen(ev->hosts) : 0, n = strlen(host);
	const char *p;
	char *nh;

	for (p = ev->hosts; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);

		if (l == n && !memcmp(p, host, n))
			return;
		p = bar ? bar + 1 : p + l;
	}
	if (ev->n_hosts >= PD_HTTP_MAX_HOSTS || strchr(host, '|')) {
		x->ctr[C_HTTP_REQ_LIMIT]++;
		return;
	}
	nh = realloc(ev->hosts, have + n + 2);
	if (!nh) {
		x->ctr[C_NOMEM]++;
		return;
	}
	if (have)
		nh[have++] = '|';
	memcpy(nh + have, host, n + 1);
	ev->hosts = nh;
	ev->n_hosts++;
}

/* Length of an HTTP request head (through its blank line), 0 when not all there. */
static size_t http_head_len(const uint8_t *d, uint32_t len)
{
	const uint8_t *crlf = memmem(d, len, "\r\n\r\n", 4), *lf = memmem(d, len, "\n\n", 2);

	if (crlf && (!lf || crlf < lf))
		return (size_t)(crlf - d) + 4;
	return lf ? (size_t)(lf - d) + 2 : 0;
}

/*
 * After a request head (req, parsed from d[0..len)) on a keep-alive connection: its Host
 * joins the connection's names when it is new, the head and body are passed over, and the
 * next request is read (RFC 9112 9.3: several requests in sequence on one connection).
 * Returns true when the caller should parse on (the next request's bytes, or the wait for
 * them, start at the reassembly window), false to stop following the stream: a CONNECT, a
 * body of unknown length (Transfer-Encoding) or longer than PD_HTTP_MAX_BODY, or the
 * PD_HTTP_MAX_REQUESTS-th request (a counter and a finding).
 */
static bool next_request(struct ictx *x, struct pd_flow *f, struct pd_flow_ev *ev, const uint8_t *d,
                         uint32_t len, const struct pd_http_req *req)
{
	size_t head = http_head_len(d, len);
	char detail[160];

	if (ev->n_req) {
		x->ctr[C_HTTP_KEEPALIVE]++;
		if (req->host[0] && (!ev->http_host || strcmp(req->host, ev->http_host)))
			add_host(x, ev, req->host);
	}
	if (ev->n_req < UINT8_MAX)
		ev->n_req++;
	if (req->connect || req->chunked || !head || head > len ||
	    req->content_length > (int64_t)PD_HTTP_MAX_BODY)
		return false;
	if (ev->n_req >= PD_HTTP_MAX_REQUESTS) {
		x->ctr[C_HTTP_REQ_LIMIT]++;
		snprintf(detail, sizeof(detail),
		         "HTTP connections with more than %d requests: the Hosts of later requests "
		         "were not read",
		         PD_HTTP_MAX_REQUESTS);
		finding_add(x, "limit", "warning", NULL, detail, 1, f->first_ns);
		return false;
	}
	pd_reasm_consume(&ev->cs, (uint32_t)head);
	ev->skip = req->content_length > 0 ? (uint32_t)req->content_length : 0;
	return true;
}

/* New contiguous client bytes: try TLS or HTTP on the prefix. */
static void client_stream(struct ictx *x, struct pd_flow *f, struct pd_flow_ev *ev)
{
	uint32_t len;
	const uint8_t *d = pd_reasm_data(&ev->cs, &len);
	struct pd_hello hello;
	struct pd_http_req req;
	struct pd_socks_req sreq;
	enum pd_err e;

	if (d && len && ev->skip) {
		/* the body of the previous request on a keep-alive connection */
		uint32_t n = len < ev->skip ? len : ev->skip;

		pd_reasm_consume(&ev->cs, n);
		ev->skip -= n;
		d = pd_reasm_data(&ev->cs, &len);
	}
	if (!d || !len) {
		/* nothing contiguous (a gap at the start that the window cannot bridge) */
		if (ev->cs.overflow)
			settle(f);
		return;
	}
	if (ev->mode == CS_UNKNOWN || ev->mode == CS_TUNNEL) {
		if (len < 6 && !ev->cs.overflow)
			return; /* too few bytes to tell */
		if (pd_tls_maybe(d, len)) {
			if (ev->mode == CS_UNKNOWN || ev->proxy != proxy_connect)
				f->app = APP_TLS; /* a CONNECT tunnel stays an HTTP (proxy) flow */
			ev->mode = CS_TLS;
			x->ctr[C_TLS_SEEN]++;
		} else if (pd_http_maybe((const char *)d, len)) {
			ev->mode = CS_HTTP;
			x->ctr[C_HTTP_SEEN]++;
		} else if (ev->mode == CS_UNKNOWN && pd_socks_maybe(d, len)) {
			ev->mode = CS_SOCKS;
			x->ctr[C_SOCKS_SEEN]++;
		} else {
			settle(f);
			return;
		}
	}
	if (ev->mode == CS_SOCKS) {
		e = pd_socks_parse(d, len, &sreq);
		if (e == PD_OK) {
			x->ctr[C_SOCKS_OK]++;
			ev->proxy = pd_socks_name(sreq.version);
			ev->target = dup_str(x, sreq.host);
			ev->target_port = sreq.port;
			pd_reasm_consume(&ev->cs, (uint32_t)sreq.head_len);
			ev->mode = CS_TUNNEL;
			ev->tunnel = true;
			client_stream(x, f, ev);
			return;
		} else if (e == PD_ERR_NEED_MORE) {
			if (len < ev->cs.max && !ev->cs.overflow)
				return;
			x->ctr[C_SOCKS_INCOMPLETE]++;
		} else if (e == PD_ERR_UNSUPPORTED) {
			x->ctr[C_SOCKS_UNSUPPORTED]++;
		} else {
			x->ctr[C_SOCKS_MALFORMED]++;
		}
	} else if (ev->mode == CS_TLS) {
		memset(&hello, 0, sizeof(hello));
		e = pd_tls_parse_stream(d, len, &hello);
		if (e == PD_OK) {
			x->ctr[C_TLS_OK]++;
			take_hello(x, ev, &hello);
		} else if (e == PD_ERR_NEED_MORE) {
			if (len < ev->cs.max && !ev->cs.overflow)
				return;
			x->ctr[C_TLS_INCOMPLETE]++;
		} else if (e == PD_ERR_UNSUPPORTED) {
			x->ctr[C_TLS_UNSUPPORTED]++;
		} else {
			x->ctr[C_TLS_MALFORMED]++;
		}
	} else {
		memset(&req, 0, sizeof(req));
		e = pd_http_parse_request((const char *)d, len, &req);
		if (e == PD_OK && ev->n_req) {
			if (next_request(x, f, ev, d, len, &req))
				client_stream(x, f, ev);
			else
				settle(f);
			return;
		}
		if (e == PD_OK) {
			x->ctr[C_HTTP_OK]++;
			f->app = APP_HTTP;
			free(ev->http_host);
			ev->http_host = dup_str(x, req.host);
			if (!req.connect && next_request(x, f, ev, d, len, &req)) {
				if (req.absolute) {
					ev->proxy = "http";
					ev->target = dup_str(x, req.host);
					ev->target_port = (uint16_t)(req.port    ? req.port
					                             : req.https ? 443
					                                         : 80);
				}
				client_stream(x, f, ev);
				return;
			}
			if (ev->tunnel) {
				/* a request inside a tunnel names the destination; not a proxy
				 * again */
			} else if (req.connect) {
				size_t head = http_head_len(d, len);
				ev->http_connect = dup_str(x, req.authority);
				ev->proxy = proxy_connect;
				ev->target = dup_str(x, req.authority);
				ev->target_port = (uint16_t)req.port;
				if (head && head <= len) {
					/* What follows the head goes through the tunnel. */
					pd_reasm_consume(&ev->cs, (uint32_t)head);
					ev->mode = CS_TUNNEL;
					ev->tunnel = true;
					ev->n_req = 0;
					client_stream(x, f, ev);
					return;
				}
			} else if (req.absolute) {
				ev->proxy = "http";
				ev->target = dup_str(x, req.host);
				ev->target_port = (uint16_t)(req.port    ? req.port
				                             : req.https ? 443
				                                         : 80);
			}
		} else if (ev->n_req) {
			/* a later request: not one more malformed or truncated request */
			if (e == PD_ERR_NEED_MORE && len < ev->cs.max && !ev->cs.overflow)
				return;
		} else if (e == PD_ERR_NEED_MORE) {
			if (len < ev->cs.max && !ev->cs.overflow)
				return;
			x->ctr[C_HTTP_INCOMPLETE]++;
		} else if (e == PD_ERR_UNSUPPORTED) {
			x->ctr[C_HTTP_UNSUPPORTED]++;
		} else {
			x->ctr[C_HTTP_MALFORMED]++;
		}
	}
	settle(f);
}

/* Server bytes of a DNS/TCP flow: split into length-prefixed messages. */
static void dns_tcp_stream(struct ictx *x, struct pd_flow *f, struct pd_flow_ev *ev,
                           const struct pd_pkt *p)
{
	uint32_t len, mlen;
	const uint8_t *d;

	for (;;) {
		d = pd_reasm_data(&ev->sc, &len);
		if (len < 2)
			break;
		mlen = (uint32_t)d[0] << 8 | d[1];
		if (len - 2 < mlen)
			break;
		x->ctr[C_DNS_TCP_MSGS]++;
		dns_message(x, p, d + 2, mlen);
		pd_reasm_consume(&ev->sc, 2 + mlen);
	}
	if (ev->sc.overflow) {
		/* a hole that never fills or a missing segment: stop rather than guess */
		x->ctr[C_DNS_TCP_OVERFLOW]++;
		settle(f);
	}
}

static void tcp_payload(struct ictx *x, struct pd_flow *f, int dir, const struct pd_pkt *p)
{
	struct pd_flow_ev *ev;
	struct pd_reasm *r;

	if (f->user & U_DNS) {
		if (dir != 1)
			return; /* queries carry no answers */
		if (!(ev = flow_ev(x, f)))
			return;
		r = &ev->sc;
	} else {
		if (dir != 0)
			return;
		if (!(ev = flow_ev(x, f)))
			return;
		r = &ev->cs;
	}
	if (!r->have_base && (f->tcp & (dir ? PD_FLOW_TCP_SYNACK : PD_FLOW_TCP_SYN)))
		pd_reasm_set_base(r, f->syn_seq[dir] + 1);
	if (!pd_reasm_add(r, p->seq, p->payload, p->payload_len)) {
		if (r->overflow) {
			x->ctr[C_REASM_OVERFLOW]++;
			if (f->user & U_DNS) {
				x->ctr[C_DNS_TCP_OVERFLOW]++;
				settle(f);
			} else {
				client_stream(x, f, ev);
			}
		}
		return;
	}
	if (f->user & U_DNS)
		dns_tcp_stream(x, f, ev, p);
	else
		client_stream(x, f, ev);
}

static void udp_payload(struct ictx *x, struct pd_flow *f, int dir, const struct pd_pkt *p)
{
	struct pd_flow_ev *ev;
	struct pd_hello hello;
	uint32_t version = 0;
	enum pd_err e;

	if (f->user & U_DNS) {
		dns_message(x, p, p->payload, p->payload_len);
		if (dir == 1)
			pd_flow_close(x->flows, f); /* answered: release it sooner */
		return;
	}
	if (dir != 0)
		return;
	if (!pd_quic_maybe_initial(p->payload, p->payload_len)) {
		if (!f->ev || !f->ev->quic) {
			f->user += U_PROBE1; /* counted in the flow: no allocation for plain UDP */
			if ((f->user & U_PROBES) >= PD_QUIC_PROBES * U_PROBE1)
				settle(f);
		}
		return;
	}
	if (!(ev = flow_ev(x, f)))
		return;
	if (!ev->quic)
		x->ctr[C_QUIC_SEEN]++;
	memset(&hello, 0, sizeof(hello));
	e = pd_quic_feed(&ev->quic, p->payload, p->payload_len, &hello, &version);
	if (e == PD_ERR_NEED_MORE)
		return;
	if (e == PD_OK) {
		x->ctr[C_QUIC_OK]++;
		f->app = APP_QUIC;
		ev->quic_version = version;
		take_hello(x, ev, &hello);
	} else if (e == PD_ERR_CRYPTO) {
		x->ctr[C_QUIC_CRYPTO]++;
	} else if (e == PD_ERR_UNSUPPORTED) {
		x->ctr[C_QUIC_UNSUPPORTED]++;
	} else {
		x->ctr[C_QUIC_MALFORMED]++;
	}
	settle(f);
}

static bool dns_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

static void classify(struct pd_flow *f)
{
	f->user |= U_INIT;
	if (f->proto == PD_L4_UDP) {
		if (dns_port(f->sport) || (f->cport == 5353 && f->sport == 5353))
			f->user |= U_DNS;
		else if (dns_port(f->cport) && f->cport != 53)
			f->user |= U_DNS; /* mDNS/LLMNR answers to a service-port source */
	} else if (f->proto == PD_L4_TCP) {
		if (f->sport == 53)
			f->user |= U_DNS;
	} else {
		f->user |= U_SETTLED;
	}
}

/* 127.0.0.11: the address of Docker's embedded DNS server inside a container. */
static bool docker_dns(const struct pd_addr *a)
{
	return a->family == 4 && a->a[0] == 127 && a->a[1] == 0 && a->a[2] == 0 && a->a[3] == 11;
}

/*
 * Packets that are not a flow of their own (subject.h): an ICMP error counts into the flow it
 * quotes (returns true: done); link-local control ICMP (ND, MLD, router discovery) is keyed
 * by its type so it never folds into an echo flow between the same addresses; a query to
 * Docker's embedded DNS, DNAT-ed from 127.0.0.11:53 to a random port, is keyed by port 53,
 * where its replies come from, so the pair is one DNS flow.
 */
static bool special(struct ictx *x, struct pd_pkt *p)
{
	struct pd_pkt q;
	struct pd_flow *f;
	uint8_t type;
	int dir;

	if (p->proto == PD_L4_ICMP || p->proto == PD_L4_ICMP6) {
		switch (pd_icmp_classify(p->proto, p->payload, p->payload_len, &type, &q)) {
		case PD_ICMP_ERROR:
			f = pd_flow_find(x->flows, &q, &dir);
			if (!f) {
				/* its flow is not live: a control flow keyed by the type */
				p->sport = p->dport = type;
				return false;
			}
			/* the error travels back to the quoted datagram's sender */
			pd_flow_count(x->flows, f, !dir, p->ts_ns, p->ip_len);
			x->ctr[C_ICMP_QUOTED]++;
			return true;
		case PD_ICMP_CONTROL:
			p->sport = p->dport = type;
			return false;
		default:
			return false;
		}
	}
	if ((p->proto == PD_L4_UDP || p->proto == PD_L4_TCP) && docker_dns(&p->dst) &&
	    p->dport != 53 && p->src.family == 4 && p->src.a[0] == 127 && p->sport != 53 &&
	    !pd_flow_service_port(p->dport))
		p->dport = 53;
	return false;
}

/*
 * The capture's own word on which addresses are the host's (subject_db.c inference rule 0):
 * the sources of packets it sent, except any address it also received packets from (a
 * router or bridge forwards other hosts' packets: they are received, then sent). The
 * forwarded copy follows the received one at once, so a ring of the last received sources
 * catches a new address; later packets mark it too.
 */
static void host_addr(struct ictx *x, const struct pd_pkt *p)
{
	const struct pd_addr *a = &p->src;
	struct pd_local l;
	unsigned i;

	if (x->host_over || pd_subject_is_local(NULL, a))
		return;
	if (p->host_dir == 2) {
		for (i = 0; i < x->host.n; i++)
			if (!memcmp(&x->host.l[i].addr, a, sizeof(*a)))
				x->host_recv[i] = true;
		x->recent[x->n_recent++ % 8] = *a;
		return;
	}
	for (i = 0; i < x->host.n; i++)
		if (!memcmp(&x->host.l[i].addr, a, sizeof(*a)))
			return;
	if ((a->family == 6 && a->a[0] == 0xff) || (a->family == 4 && a->a[0] >= 224))
		return;
	for (i = 0; i < 16 && !a->a[i]; i++)
		;
	if (i == 16)
		return; /* unspecified (duplicate address detection) */
	if (x->host.n >= PD_SUBJECT_MAX_HOST) {
		x->host_over = true;
		return;
	}
	memset(&l, 0, sizeof(l));
	l.addr = *a;
	l.prefix = l.link_prefix = a->family == 4 ? 32 : 128;
	l.source = PD_LOCAL_INFERRED;
	x->host_recv[x->host.n] = false;
	for (i = 0; i < 8 && i < x->n_recent; i++)
		if (!memcmp(&x->recent[i], a, sizeof(*a)))
			x->host_recv[x->host.n] = true;
	pd_subject_add(&x->host, &l);
}

/* The addresses host_addr kept that were never a received packet's source. */
static void host_only(struct ictx *x, struct pd_subject *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; !x->host_over && i < x->host.n; i++)
		if (!x->host_recv[i])
			pd_subject_add(out, &x->host.l[i]);
}

/*
 * A new flow that continues one open at the end of the file before (session.c): its
 * orientation, TCP events, evidence and unparsed stream bytes go on from there. A TCP SYN
 * without ACK opens a new connection on the same ports and continues nothing.
 */
static void carry_in(struct ictx *x, struct pd_flow *f, const struct pd_pkt *p, int *dir)
{
	const struct pd_carry_flow *cf;
	struct pd_flow_ev *ev;
	bool rev;

	if (p->proto == PD_L4_TCP && (p->tcp_flags & (PD_TCP_SYN | PD_TCP_ACK)) == PD_TCP_SYN)
		return;
	cf = pd_session_carry_take(x->carry, p->proto, &p->src, p->sport, &p->dst, p->dport,
	                           p->ts_ns, &rev);
	if (!cf)
		return;
	if (f->cport != cf->cport || memcmp(&f->cli, &cf->cli, sizeof(f->cli))) {
		pd_flow_reverse(f);
		*dir = !*dir;
	}
	f->tcp |= cf->tcp;
	if (cf->tcp & PD_FLOW_TCP_SYN)
		f->syn_seq[0] = cf->syn_seq[0];
	if (cf->tcp & PD_FLOW_TCP_SYNACK)
		f->syn_seq[1] = cf->syn_seq[1];
	f->carried = 1;
	f->app = cf->app;
	f->user = (uint8_t)(cf->state | U_INIT);
	if (!cf->sni && !cf->alpn && !cf->http_host && !cf->http_connect && !cf->quic_version &&
	    !cf->ech && !cf->mode && !cf->has_cs && !cf->has_sc)
		return;
	if (!(ev = flow_ev(x, f)))
		return;
	ev->sni = dup_str(x, cf->sni);
	ev->alpn = dup_str(x, cf->alpn);
	ev->http_host = dup_str(x, cf->http_host);
	ev->http_connect = dup_str(x, cf->http_connect);
	ev->quic_version = cf->quic_version;
	ev->ech = cf->ech;
	ev->mode = cf->mode <= CS_TUNNEL ? cf->mode : CS_UNKNOWN;
	if (f->user & U_SETTLED)
		return;
	if (cf->has_cs) {
		pd_reasm_set_base(&ev->cs, cf->cs_seq);
		pd_reasm_add(&ev->cs, cf->cs_seq, cf->cs, cf->cs_len);
	}
	if (cf->has_sc) {
		pd_reasm_set_base(&ev->sc, cf->sc_seq);
		pd_reasm_add(&ev->sc, cf->sc_seq, cf->sc, cf->sc_len);
	}
}

/* At the end of the file: f is still open, a following file of the session may continue it. */
static void carry_out(struct ictx *x, struct pd_flow *f)
{
	struct sink *k = &x->sink;
	struct pd_flow_ev *ev = f->ev;
	struct pd_carry_flow cf;
	int rc;

	if (k->err || !k->carry)
		return;
	memset(&cf, 0, sizeof(cf));
	cf.proto = f->proto;
	cf.cli = f->cli;
	cf.srv = f->srv;
	cf.cport = f->cport;
	cf.sport = f->sport;
	cf.last_ns = f->last_ns;
	cf.tcp = f->tcp;
	cf.syn_seq[0] = f->syn_seq[0];
	cf.syn_seq[1] = f->syn_seq[1];
	cf.state = f->user;
	cf.app = f->app;
	if (ev) {
		cf.mode = ev->mode;
		cf.sni = ev->sni;
		cf.alpn = ev->alpn;
		cf.http_host = ev->http_host;
		cf.http_connect = ev->http_connect;
		cf.quic_version = ev->quic_version;
		cf.ech = ev->ech;
		if (!(f->user & U_SETTLED) && ev->cs.have_base) {
			cf.has_cs = true;
			cf.cs_seq = ev->cs.base;
			cf.cs = pd_reasm_data(&ev->cs, &cf.cs_len);
		}
		if (!(f->user & U_SETTLED) && ev->sc.have_base) {
			cf.has_sc = true;
			cf.sc_seq = ev->sc.base;
			cf.sc = pd_reasm_data(&ev->sc, &cf.sc_len);
		}
	}
	rc = pd_session_carry_write(k->carry, k->capture_id, &cf);
	if (rc != SQLITE_DONE)
		sink_fail(k, rc, "storing a flow open at the end");
}

static void packet(struct ictx *x, struct pd_pkt *p)
{
	struct pd_flow *f;
	int dir;

	if (p->host_dir)
		host_addr(x, p);
	if (special(x, p))
		return;
	f = pd_flow_packet(x->flows, p, &dir);
	if (!f) {
		x->ctr[C_NOMEM]++;
		return;
	}
	if (!(f->user & U_INIT) && x->carry)
		carry_in(x, f, p, &dir);
	if (p->n_tun && !f->tunnel) {
		f->tunnel = pd_tunnel_set_add(x->tunnels, p->tun, p->n_tun, dir == 1);
		if (!f->tunnel)
			x->ctr[C_TUN_PATHS_FULL]++;
	}
	if (!(f->user & U_INIT))
		classify(f);
	if (!p->payload_len || (f->user & U_SETTLED))
		return;
	if (p->proto == PD_L4_TCP)
		tcp_payload(x, f, dir, p);
	else if (p->proto == PD_L4_UDP)
		udp_payload(x, f, dir, p);
}

/* ---- writing a flow ------------------------------------------------------------------ */

static void flow_findings(struct ictx *x, struct pd_flow *f, enum app *app, const char *server,
                          const char *sni)
{
	char detail[256];
	const char *op;

	if (f->proto == PD_L4_TCP && f->sport == 853) {
		*app = APP_DOT;
		snprintf(detail, sizeof(detail),
		         "DNS over TLS (tcp/853): lookups on this connection are hidden from the "
		         "DNS map");
		finding_add(x, "encrypted-dns", "warning", server, detail, 1, f->first_ns);
		return;
	}
	if (f->proto == PD_L4_UDP && f->sport == 853 && (*app == APP_QUIC || f->packets[1])) {
		*app = APP_DOQ;
		snprintf(detail, sizeof(detail),
		         "DNS over QUIC (udp/853): lookups on this connection are hidden from the "
		         "DNS map");
		finding_add(x, "encrypted-dns", "warning", server, detail, 1, f->first_ns);
		return;
	}
	if (*app == APP_TLS || *app == APP_QUIC || (f->proto == PD_L4_TCP && f->sport == 443) ||
	    (f->proto == PD_L4_UDP && f->sport == 443)) {
		op = pd_encdns_by_name(sni);
		if (!op && (*app == APP_TLS || *app == APP_QUIC || f->tcp & PD_FLOW_TCP_SYNACK))
			op = pd_encdns_by_addr(&f->srv);
		if (op) {
			*app = APP_DOH;
			snprintf(detail, sizeof(detail),
			         "likely DNS over HTTPS: %s to %s's public resolver (%s); lookups "
			         "are "
			         "hidden from the DNS map",
			         f->proto == PD_L4_UDP ? "QUIC" : "TLS", op,
			         sni && *sni ? sni : server);
			finding_add(x, "encrypted-dns", "warning", server, detail, 1, f->first_ns);
		}
	}
}

/*
 * A proxied flow whose tunnel names another host than the one asked of the proxy (CONNECT
 * api.example.test, then SNI evil.attacker.test): the proxy reached the target, and the
 * client told the server inside another name. Both are kept (the flow row has the target and
 * the SNI/Host); this finding says so.
 */
static void proxy_mismatch(struct ictx *x, const struct pd_flow *f, const struct pd_flow_ev *ev,
                           const char *via)
{
	const char *inner = ev->sni ? ev->sni : ev->tunnel ? ev->http_host : NULL, *what;
	char detail[512];
	struct pd_addr a;

	if (!ev->target || !inner || !*inner || pd_addr_parse(ev->target, &a) == PD_OK ||
	    !strcasecmp(ev->target, inner))
		return;
	what = ev->sni ? "the TLS server name" : "the HTTP Host";
	snprintf(detail, sizeof(detail),
	         "%s request through the proxy %s:%u for %.100s:%u, but %s inside is %.100s",
	         ev->proxy, via, f->sport, ev->target, ev->target_port, what, inner);
	finding_add(x, "proxy-mismatch", "warning", ev->target, detail, 1, f->first_ns);
}

/*
 * The tunnel text of a flow (NULL when none) into buf, and its carrier counted: the carrier's
 * packets are the flow's, under the path written with "<>" (either direction).
 */
static const char *flow_tunnel(struct ictx *x, struct pd_flow *f, char *buf, size_t len)
{
	static const char detail[] =
	        "tunnel carrier: packets decapsulated from it (count); the flows inside are "
	        "reported under their own destinations, with this path in flows.tunnel";
	const struct pd_tun_layer *l;
	char carrier[PD_TUNNEL_STR_MAX];
	unsigned n, i;
	bool known = false;

	l = pd_tunnel_set_get(x->tunnels, f->tunnel, &n);
	if (!l)
		return NULL;
	x->ctr[C_TUN_FLOWS]++;
	pd_tunnel_str(l, n, false, true, carrier, sizeof(carrier));
	for (i = 0; i < x->n_findings && !known; i++) {
		const struct finding *fd = &x->findings[i];
		known = !strcmp(fd->kind, "tunnel") &&
		        !strncmp(fd->subject, carrier, sizeof(fd->subject) - 1);
	}
	if (!known && x->tun_findings >= PD_MAX_TUNNEL_FINDINGS)
		snprintf(carrier, sizeof(carrier), "(other tunnels)");
	else if (!known)
		x->tun_findings++;
	finding_add(x, "tunnel", "info", carrier, detail, f->packets[0] + f->packets[1],
	            f->first_ns);
	return pd_tunnel_str(l, n, false, false, buf, len);
}

static void flow_emit(void *arg, struct pd_flow *f)
{
	struct ictx *x = arg;
	struct sink *k = &x->sink;
	struct pd_flow_ev *ev = f->ev;
	sqlite3_stmt *st = k->flow;
	char cli[64], srv[64], tbuf[64], pbuf[16], detail[512], tunbuf[PD_TUNNEL_STR_MAX];
	enum app app = (enum app)f->app;
	const char *sni = ev ? ev->sni : NULL, *dst, *tun;
	unsigned dport;

	if (ev && !(f->user & U_SETTLED)) {
		/* ended before its evidence was complete */
		if (ev->mode == CS_TLS)
			x->ctr[C_TLS_INCOMPLETE]++;
		else if (ev->mode == CS_HTTP && !ev->n_req)
			x->ctr[C_HTTP_INCOMPLETE]++;
		if (ev->quic)
			x->ctr[C_QUIC_INCOMPLETE]++;
	}
	if ((f->user & U_DNS) && app == APP_NONE)
		app = APP_DNS;
	addr_str(&f->cli, cli, sizeof(cli));
	addr_str(&f->srv, srv, sizeof(srv));
	dst = srv;
	dport = f->sport;
	if (ev && ev->proxy) {
		/* A proxy is a hop: the row is the destination asked of it, the proxy is via. */
		struct pd_addr ta;

		if (ev->target && pd_addr_parse(ev->target, &ta) == PD_OK)
			dst = addr_str(&ta, tbuf, sizeof(tbuf));
		if (ev->target_port)
			dport = ev->target_port;
		proxy_mismatch(x, f, ev, srv);
	}
	flow_findings(x, f, &app, srv, sni);
	tun = flow_tunnel(x, f, tunbuf, sizeof(tunbuf));
	if (ev && ev->ech) {
		snprintf(detail, sizeof(detail),
		         "ClientHello offered Encrypted Client Hello (real ECH or GREASE); with "
		         "real "
		         "ECH the destination is hidden and %s is only the outer (public) name",
		         sni && *sni ? sni : "the SNI");
		finding_add(x, "ech", "info", sni && *sni ? sni : srv, detail, 1, f->first_ns);
	}
	if (!k->err) {
		sqlite3_bind_int64(st, 1, k->capture_id);
		sqlite3_bind_text(st, 2, pd_flow_proto_name(f->proto, pbuf, sizeof(pbuf)), -1,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, cli, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, f->cport);
		sqlite3_bind_text(st, 5, dst, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 6, dport);
		sqlite3_bind_int64(st, 7, f->first_ns);
		sqlite3_bind_int64(st, 8, f->last_ns);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)f->packets[0]);
		sqlite3_bind_int64(st, 10, (sqlite3_int64)f->bytes[0]);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)f->packets[1]);
		sqlite3_bind_int64(st, 12, (sqlite3_int64)f->bytes[1]);
		bind_text(st, 13, pd_flow_tcp_state(f));
		bind_text(st, 14, app_names[app]);
		if (ev) {
			bind_text(st, 15, ev->sni);
			bind_text(st, 16, ev->alpn);
			sqlite3_bind_int(st, 17, ev->ech);
			bind_text(st, 18, ev->http_host);
			bind_text(st, 19, ev->http_connect);
			if (ev->quic_version)
				sqlite3_bind_int64(st, 20, ev->quic_version);
			bind_text(st, 28, ev->hosts);
			if (ev->proxy) {
				sqlite3_bind_text(st, 24, ev->proxy, -1, SQLITE_STATIC);
				bind_text(st, 25, ev->target);
				sqlite3_bind_text(st, 26, srv, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int(st, 27, f->sport);
			}
		} else {
			sqlite3_bind_int(st, 17, 0);
		}
		sqlite3_bind_text(st, 21,
		                  pd_dir_name(pd_subject_flow_dir(&x->subj, f->proto, &f->cli,
		                                                  f->cport, &f->srv, f->sport)),
		                  -1, SQLITE_STATIC);
		if (tun)
			sqlite3_bind_text(st, 22, tun, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 23, f->carried);
		sink_step(k, st, "storing a flow");
	}
	x->n_flows++;
	if (x->at_end)
		carry_out(x, f);
	if (ev) {
		pd_reasm_clear(&ev->cs);
		pd_reasm_clear(&ev->sc);
		pd_quic_free(ev->quic);
		free(ev->sni);
		free(ev->alpn);
		free(ev->http_host);
		free(ev->http_connect);
		free(ev->target);
		free(ev->hosts);
		free(ev);
		f->ev = NULL;
	}
}

/* ---- the capture row ------------------------------------------------------------------ */

static int64_t query_id(sqlite3 *db, const char *sql, const char *arg, int64_t other)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, other);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

struct capinfo_row {
	uint64_t size, packets, bytes;
	int64_t first_ns, last_ns;
	bool have_time;
	int linktypes[32];
	unsigned n_linktypes;
	bool cut;
	uint64_t cut_at;
	const char *error;
};

static void add_linktype(struct capinfo_row *c, int lt)
{
	unsigned i;

	for (i = 0; i < c->n_linktypes; i++)
		if (c->linktypes[i] == lt)
			return;
	if (c->n_linktypes < sizeof(c->linktypes) / sizeof(c->linktypes[0]))
		c->linktypes[c->n_linktypes++] = lt;
}

static void bind_meta(sqlite3_stmt *st, int i, const struct pd_capinfo *ci, const char *key)
{
	bind_text(st, i, pd_capinfo_meta(ci, key));
}

static void bind_meta_int(sqlite3_stmt *st, int i, const struct pd_capinfo *ci, const char *key)
{
	const char *v = pd_capinfo_meta(ci, key);
	char *end;
	long long n;

	if (!v || !*v) {
		sqlite3_bind_null(st, i);
		return;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT); /* keep what was written */
	else
		sqlite3_bind_int64(st, i, n);
}

/* Fills in the capture row (inserted early with a placeholder hash) and its interfaces. */
static void write_capture(struct ictx *x, const struct pd_capinfo *ci, const struct capinfo_row *c,
                          const char *sha)
{
	struct sink *k = &x->sink;
	sqlite3_stmt *st = NULL;
	char links[512] = "", comments[PD_MAX_COMMENTS * 257] = "";
	size_t used = 0;
	uint64_t drops = 0;
	bool have_drops = false;
	unsigned i;
	int rc;

	for (i = 0; i < c->n_linktypes; i++)
		used += (size_t)snprintf(links + used,
		                         used < sizeof(links) ? sizeof(links) - used : 0, "%s%s",
		                         i ? "," : "", pd_link_name(c->linktypes[i]));
	used = 0;
	for (i = 0; ci && i < ci->n_comments && i < PD_MAX_COMMENTS; i++)
		used += (size_t)snprintf(comments + used,
		                         used < sizeof(comments) ? sizeof(comments) - used : 0,
		                         "%s%.*s", i ? "\n" : "", 256, ci->comments[i]);
	for (i = 0; ci && i < ci->n_ifaces && i < PD_MAX_IFACES; i++)
		if (ci->ifaces[i].has_stats) {
			have_drops = true;
			drops += ci->ifaces[i].dropped;
		}
	if (k->err)
		return;
	rc = sqlite3_prepare_v2(
	        k->db,
	        "UPDATE captures SET size=?2, sha256=?3, format=?4, link_types=?5, "
	        "first_ns=?6, last_ns=?7, packets=?8, bytes=?9, drops=?10, cut_at=?11, "
	        "error=?12, runtime=?13, container_id=?14, container_name=?15, "
	        "image=?16, pid=?17, netns_inode=?18, capture_host=?19, "
	        "capture_filter=?20, capture_app=?21, comment=?22 WHERE id=?1",
	        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		sink_fail(k, rc, "preparing the capture update");
		return;
	}
	sqlite3_bind_int64(st, 1, k->capture_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)c->size);
	sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ci && ci->format ? ci->format : "pcap", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, links, -1, SQLITE_STATIC);
	if (c->have_time) {
		sqlite3_bind_int64(st, 6, c->first_ns);
		sqlite3_bind_int64(st, 7, c->last_ns);
	}
	sqlite3_bind_int64(st, 8, (sqlite3_int64)c->packets);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)c->bytes);
	if (have_drops)
		sqlite3_bind_int64(st, 10, (sqlite3_int64)drops);
	if (c->cut) {
		sqlite3_bind_int64(st, 11, (sqlite3_int64)c->cut_at);
		bind_text(st, 12, c->error);
	}
	if (ci) {
		bind_meta(st, 13, ci, PD_META_RUNTIME);
		bind_meta(st, 14, ci, PD_META_ID);
		bind_meta(st, 15, ci, PD_META_NAME);
		bind_meta(st, 16, ci, PD_META_IMAGE);
		bind_meta_int(st, 17, ci, PD_META_PID);
		bind_meta_int(st, 18, ci, PD_META_NETNS);
		bind_meta(st, 19, ci, PD_META_HOST);
		bind_meta(st, 20, ci, PD_META_FILTER);
		bind_text(st, 21, ci->userappl);
	}
	bind_text(st, 22, comments);
	sink_step(k, st, "storing the capture");
	sqlite3_finalize(st);

	for (i = 0; ci && i < ci->n_ifaces && i < PD_MAX_IFACES && !k->err; i++) {
		const struct pd_iface *fc = &ci->ifaces[i];

		st = k->iface;
		sqlite3_bind_int64(st, 1, k->capture_id);
		sqlite3_bind_int(st, 2, (int)i);
		bind_text(st, 3, fc->name);
		bind_text(st, 4, fc->description);
		sqlite3_bind_text(st, 5, pd_link_name(fc->linktype), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 6, fc->snaplen);
		if (fc->has_stats) {
			sqlite3_bind_int64(st, 7, (sqlite3_int64)fc->received);
			sqlite3_bind_int64(st, 8, (sqlite3_int64)fc->dropped);
		}
		sink_step(k, st, "storing an interface");
	}
	if ((!ci || !ci->n_ifaces) && c->n_linktypes && !k->err) {
		/* classic pcap: the file header describes its one interface */
		st = k->iface;
		sqlite3_bind_int64(st, 1, k->capture_id);
		sqlite3_bind_int(st, 2, 0);
		sqlite3_bind_text(st, 5, pd_link_name(c->linktypes[0]), -1, SQLITE_TRANSIENT);
		if (ci && ci->snaplen)
			sqlite3_bind_int64(st, 6, ci->snaplen);
		sink_step(k, st, "storing an interface");
	}
	if (have_drops && drops) {
		char detail[128];
		snprintf(detail, sizeof(detail),
		         "the capturing kernel dropped %" PRIu64
		         " packets: evidence may be missing",
		         drops);
		finding_add(x, "drops", "warning", x->path, detail, 1, c->first_ns);
	}
}

/* The capture row's content hash and the bytes it covers, once the hash thread is done. */
static void write_hash(struct ictx *x, const char *hex, uint64_t size)
{
	struct sink *k = &x->sink;
	sqlite3_stmt *st = NULL;
	int rc;

	if (k->err)
		return;
	rc = sqlite3_prepare_v2(k->db, "UPDATE captures SET sha256 = ?2, size = ?3 WHERE id = ?1",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		sink_fail(k, rc, "preparing the content hash update");
		return;
	}
	sqlite3_bind_int64(st, 1, k->capture_id);
	sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)size);
	sink_step(k, st, "storing the content hash");
	sqlite3_finalize(st);
}

static void write_counters(struct ictx *x, struct pd_decoder *dec, uint64_t frames)
{
	struct sink *k = &x->sink;
	const struct pd_decode_stats *ds = dec ? pd_decoder_stats(dec) : NULL;
	struct {
		const char *kind, *what;
		uint64_t n;
	} extra[] = {
		{ "frame", "seen", frames },
		{ "decode", "not_ip", ds ? ds->not_ip : 0 },
		{ "decode", "truncated", ds ? ds->truncated : 0 },
		{ "decode", "malformed", ds ? ds->malformed : 0 },
		{ "decode", "unsupported_link", ds ? ds->unsupported_link : 0 },
		{ "decode", "fragments", ds ? ds->fragments : 0 },
		{ "decode", "reassembled", ds ? ds->reassembled : 0 },
		{ "decode", "fragments_dropped", ds ? ds->frag_dropped : 0 },
		{ "decode", "icmp", ds ? ds->icmp : 0 },
		{ "tunnel", "layers_peeled", ds ? ds->tun_peeled : 0 },
		{ "tunnel", "too_deep", ds ? ds->tun_too_deep : 0 },
		{ "tunnel", "not_a_tunnel", ds ? ds->tun_invalid : 0 },
		{ "tunnel", "control", ds ? ds->tun_control : 0 },
		{ "tunnel", "inner_undecodable", ds ? ds->tun_inner_bad : 0 },
		{ "ppp", "control", ds ? ds->ppp_control : 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]) + C__COUNT && !k->err; i++) {
		const char *kind, *what;
		uint64_t n;

		if (i < sizeof(extra) / sizeof(extra[0])) {
			kind = extra[i].kind;
			what = extra[i].what;
			n = extra[i].n;
			if (!n && i)
				continue;
		} else {
			unsigned c = i - (unsigned)(sizeof(extra) / sizeof(extra[0]));
			kind = ctr_names[c][0];
			what = ctr_names[c][1];
			n = x->ctr[c];
			if (!n)
				continue;
		}
		sqlite3_bind_int64(k->counter, 1, k->capture_id);
		sqlite3_bind_text(k->counter, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(k->counter, 3, what, -1, SQLITE_STATIC);
		sqlite3_bind_int64(k->counter, 4, (sqlite3_int64)n);
		sink_step(k, k->counter, "storing a counter");
	}
}

static void write_findings(struct ictx *x)
{
	struct sink *k = &x->sink;
	unsigned i;

	if (x->findings_dropped) {
		char detail[128];
		snprintf(detail, sizeof(detail),
		         "more than %d distinct findings: %" PRIu64 " further ones only counted",
		         PD_MAX_FINDINGS, x->findings_dropped);
		x->n_findings--; /* the last slot reports the overflow */
		finding_add(x, "limit", "warning", NULL, detail, x->findings_dropped, 0);
	}
	for (i = 0; i < x->n_findings && !k->err; i++) {
		const struct finding *fd = &x->findings[i];
		sqlite3_stmt *st = k->finding;

		sqlite3_bind_int64(st, 1, k->capture_id);
		sqlite3_bind_text(st, 2, fd->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, fd->severity, -1, SQLITE_STATIC);
		bind_text(st, 4, fd->subject);
		sqlite3_bind_text(st, 5, fd->detail, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)fd->count);
		if (fd->first_ns)
			sqlite3_bind_int64(st, 7, fd->first_ns);
		sink_step(k, st, "storing a finding");
	}
}

/* ---- the whole file --------------------------------------------------------------------- */

enum pd_err pd_ingest_file(struct pd_store *s, const char *path, const struct pd_ingest_opts *opts,
                           struct pd_ingest_result *res, char errbuf[PD_ERRBUF_SIZE])
{
	struct ictx x;
	struct pd_filehash *fh = NULL;
	struct capinfo_row c;
	struct pd_reader *rd = NULL;
	struct pd_decoder *dec = NULL;
	struct pd_frame fr;
	struct pd_pkt pkt;
	struct stat sb;
	sqlite3 *db = pd_store_db(s);
	const char *dbname = db ? sqlite3_db_filename(db, "main") : NULL;
	char pending[96], hex[65], rerr[PD_ERRBUF_SIZE] = "";
	bool in_tx = false;
	int fd = -1;
	enum pd_err e = PD_OK, re;
	int64_t id, existing;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	memset(&c, 0, sizeof(c));
	if (!dbname || !*dbname)
		dbname = "the temporary database (in $TMPDIR)";
	x.path = path;
	x.reasm_budget = PD_REASM_BUDGET;
	for (size_t i = 0; opts && opts->locals && i < opts->n_locals; i++)
		pd_subject_add(&x.subj, &opts->locals[i]);

	rd = pd_reader_open(path, opts ? opts->bpf : NULL, &e, errbuf);
	if (!rd)
		return e ? e : PD_ERR_IO;
	/* A stream (stdin, pipe, compressed file) is hashed by its reader as it reads. */
	if (!pd_reader_is_stream(rd)) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) != 0) {
			e = pd_errf(errbuf, PD_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		c.size = (uint64_t)sb.st_size;
		if ((e = pd_filehash_start(&fh, fd, path, errbuf)) != PD_OK)
			goto out;
	}

	x.dns = malloc(sizeof(*x.dns));
	x.findings = calloc(PD_MAX_FINDINGS, sizeof(*x.findings));
	dec = pd_decoder_new();
	x.tunnels = pd_tunnel_set_new();
	x.flows = pd_flow_table_new(0, PD_FLOW_IDLE_NS, flow_emit, &x);
	if (!x.dns || !x.findings || !dec || !x.tunnels || !x.flows) {
		e = pd_errf(errbuf, PD_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	pd_flow_set_subject(x.flows, &x.subj);

	/* The capture row goes in first (rows reference it); its hash is filled in at the end. */
	if ((e = pd_store_exec(s, "BEGIN IMMEDIATE", "starting the capture transaction", errbuf)) !=
	    PD_OK)
		goto out;
	in_tx = true;
	snprintf(pending, sizeof(pending), "pending:%ld:%p:%lld", (long)getpid(), (void *)&x,
	         (long long)time(NULL));
	{
		sqlite3_stmt *st = NULL;
		int rc =
		        sqlite3_prepare_v2(db,
		                           "INSERT INTO captures(path, size, sha256, format, "
		                           "link_types, packets, bytes, ingested_at, tool_version) "
		                           "VALUES (?, ?, ?, '', '', 0, 0, ?, ?)",
		                           -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)c.size);
			sqlite3_bind_text(st, 3, pending, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
			sqlite3_bind_text(st, 5, PD_VERSION, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			e = pd_errf(errbuf, PD_ERR_DB, "%s: %s while storing the capture", dbname,
			            sqlite3_errmsg(db));
			goto out;
		}
		id = sqlite3_last_insert_rowid(db);
	}
	sink_open(&x.sink, db, dbname, id);

	for (;;) {
		re = pd_reader_next(rd, &fr, rerr);
		if (re != PD_OK)
			break;
		if (!c.have_time || fr.ts_ns < c.first_ns)
			c.first_ns = fr.ts_ns;
		if (!c.have_time || fr.ts_ns > c.last_ns)
			c.last_ns = fr.ts_ns;
		c.have_time = true;
		c.packets++;
		c.bytes += fr.origlen;
		add_linktype(&c, fr.linktype);
		if (fr.iface >= x.subj_ifaces) {
			/* a new interface block (hot-plugged ones too): its addresses are local */
			const struct pd_capinfo *ci = pd_reader_info(rd);

			for (; x.subj_ifaces < ci->n_ifaces && x.subj_ifaces < PD_MAX_IFACES;
			     x.subj_ifaces++)
				pd_subject_add_iface(&x.subj, &ci->ifaces[x.subj_ifaces]);
		}
		if (opts && opts->progress && !(c.packets % PD_PROGRESS_EVERY))
			opts->progress(opts->progress_arg, pd_reader_tell(rd), c.size);
		if (!x.session_looked) {
			/* the first frame: interfaces and metadata are read, the start is known */
			x.session_looked = true;
			e = pd_session_open(db, pd_reader_info(rd), fr.linktype, fr.ts_ns, &x.carry,
			                    x.prev_sha, errbuf);
			if (e != PD_OK)
				goto out;
		}
		if (pd_decode(dec, &fr, &pkt) == PD_OK)
			packet(&x, &pkt);
		if (x.sink.err)
			break;
		if (pd_interrupted()) { /* SIGINT/SIGTERM: the transaction is rolled back */
			e = pd_errf(errbuf, PD_ERR_INTERRUPTED, "%s: interrupted", path);
			goto out;
		}
	}
	if (re != PD_OK && re != PD_ERR_NOTFOUND && !x.sink.err) {
		if (re == PD_ERR_IO) {
			e = pd_errf(errbuf, PD_ERR_IO, "%s", rerr[0] ? rerr : path);
			goto out;
		}
		/* truncated or corrupt: what came before the cut stays */
		c.cut = true;
		c.cut_at = pd_reader_tell(rd);
		c.error = rerr[0] ? rerr : pd_strerror(re);
		res->cut = true;
		snprintf(res->cut_msg, sizeof(res->cut_msg), "%s", c.error);
		finding_add(&x, "truncated-capture", "warning", path, c.error, 1, c.last_ns);
	}
	if (opts && opts->progress)
		opts->progress(opts->progress_arg, c.size, c.size);
	if (!x.session_looked && !x.sink.err) {
		/* no frame at all: a quiet file of a helper run still passes on what the one before
		 * it carried (its run id and sequence number find that one) */
		e = pd_session_open(db, pd_reader_info(rd), 0, INT64_MIN, &x.carry, x.prev_sha,
		                    errbuf);
		if (e != PD_OK)
			goto out;
	}
	if (x.carry && x.sink.carry && !x.sink.err) {
		int rc = pd_session_carry_rest(x.carry, x.sink.carry, id,
		                               c.have_time ? c.last_ns : INT64_MIN);
		if (rc != SQLITE_DONE)
			sink_fail(&x.sink, rc, "storing a flow open at the end");
	}
	x.at_end = true; /* flows still open are carried out (session.c) */
	pd_flow_flush_all(x.flows);
	x.at_end = false;
	pd_session_carry_free(x.carry);
	x.carry = NULL;
	x.ctr[C_FLOW_WRITTEN] = x.n_flows;
	x.ctr[C_FLOW_LIMIT] = pd_flow_limit_flushed(x.flows);
	x.ctr[C_FLOW_PEAK] = pd_flow_peak(x.flows);
	if (x.ctr[C_FLOW_LIMIT]) {
		char detail[160];
		snprintf(detail, sizeof(detail),
		         "more than %d flows live at once: %" PRIu64
		         " flows were written out early and may be split",
		         PD_MAX_LIVE_FLOWS, x.ctr[C_FLOW_LIMIT]);
		finding_add(&x, "limit", "warning", NULL, detail, x.ctr[C_FLOW_LIMIT], 0);
	}
	if (pd_decoder_stats(dec)->tun_too_deep) {
		char detail[200];
		uint64_t n = pd_decoder_stats(dec)->tun_too_deep;
		snprintf(detail, sizeof(detail),
		         "%" PRIu64 " packets carried more than %d tunnel layers: each counts as "
		         "a flow of its %dth layer's tunnel packet, what is inside is not read",
		         n, PD_MAX_TUNNEL_DEPTH, PD_MAX_TUNNEL_DEPTH);
		finding_add(&x, "limit", "warning", NULL, detail, n, 0);
	}
	if (x.ctr[C_TUN_PATHS_FULL]) {
		char detail[200];
		snprintf(detail, sizeof(detail),
		         "more than %d distinct tunnel paths: %" PRIu64
		         " tunnelled packets went into flows without their tunnel path",
		         PD_MAX_TUNNELS, x.ctr[C_TUN_PATHS_FULL]);
		finding_add(&x, "limit", "warning", NULL, detail, x.ctr[C_TUN_PATHS_FULL], 0);
	}

	/* The subject's local addresses (inferred when neither the file nor --local gave any)
	 * and every flow's direction, before attribution reads them. */
	if (!x.sink.err) {
		struct pd_subject subj = x.subj, host;

		host_only(&x, &host);
		e = pd_subject_infer(db, id, &host, &subj, errbuf);
		if (e == PD_OK)
			e = pd_subject_store(db, id, &subj, errbuf);
		if (e != PD_OK)
			goto out;
	}

	{
		/* link types: those of the frames, then interfaces that carried none */
		const struct pd_capinfo *ci = pd_reader_info(rd);
		unsigned i;

		for (i = 0; ci && i < ci->n_ifaces && i < PD_MAX_IFACES; i++)
			add_linktype(&c, ci->ifaces[i].linktype);
	}
	write_capture(&x, pd_reader_info(rd), &c, pending);
	if (!x.sink.err) {
		e = pd_session_note(db, id, pd_reader_info(rd), x.prev_sha, errbuf);
		if (e != PD_OK)
			goto out;
	}

	/* Attribution reads only flows, DNS rows and the capture row, all written now: it runs
	 * while the hash thread finishes (wasted, and rolled back, only when the capture is
	 * already present). */
	if (!x.sink.err && (!opts || !opts->no_attribute)) {
		struct pd_attr_opts none = { 0 };
		e = pd_session_attribute(db, id, opts ? &opts->attr : &none, errbuf);
		if (e != PD_OK) {
			char m[PD_ERRBUF_SIZE];

			memcpy(m, errbuf,
			       sizeof(m)); /* name the database, as every write error does */
			pd_errf(errbuf, e, "%s: %.400s", dbname, m);
			goto out;
		}
	}

	write_counters(&x, dec, c.packets);
	write_findings(&x);
	sink_close(&x.sink);
	if (x.sink.err) {
		e = pd_errf(errbuf, x.sink.err, "%s", x.sink.errbuf);
		goto out;
	}
	/* Every row is in but the hash: the caller's work on them overlaps the hash thread. */
	if (opts && opts->rows_written)
		opts->rows_written(opts->rows_written_arg, id);

	/* The hash decides whether this capture is new. */
	if (pd_reader_is_stream(rd))
		e = pd_reader_stream_hash(rd, hex, &c.size, errbuf);
	else
		e = pd_filehash_finish(fh, hex, &c.size, errbuf);
	fh = NULL;
	if (e != PD_OK)
		goto out;
	existing = query_id(db, "SELECT id FROM captures WHERE sha256 = ?1 AND id != ?2", hex, id);
	if (existing < 0) {
		e = pd_errf(errbuf, PD_ERR_DB, "%s: %s while looking up the content hash", dbname,
		            sqlite3_errmsg(db));
		goto out;
	}
	if (existing > 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		in_tx = false;
		res->already = true;
		res->capture_id = existing;
		memcpy(res->sha256, hex, sizeof(res->sha256));
		res->size = c.size;
		res->packets = c.packets;
		res->bytes = c.bytes;
		goto out;
	}
	write_hash(&x, hex, c.size);
	if (x.sink.err) {
		e = pd_errf(errbuf, x.sink.err, "%s", x.sink.errbuf);
		goto out;
	}
	if ((e = pd_store_exec(s, "COMMIT", "committing the capture", errbuf)) != PD_OK)
		goto out;
	in_tx = false;
	res->capture_id = id;
	memcpy(res->sha256, hex, sizeof(res->sha256));
	res->size = c.size;
	res->packets = c.packets;
	res->bytes = c.bytes;
	res->flows = x.n_flows;
	res->dns_answers = x.n_dns;
out:
	if (x.flows) {
		/* on failure the remaining flows are released without writing */
		if (e != PD_OK && !x.sink.err)
			x.sink.err = e;
		pd_flow_table_free(x.flows);
	}
	pd_session_carry_free(x.carry);
	sink_close(&x.sink);
	if (in_tx)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	pd_filehash_cancel(fh);
	if (fd >= 0)
		close(fd);
	pd_decoder_free(dec);
	pd_tunnel_set_free(x.tunnels);
	pd_reader_free(rd);
	free(x.dns);
	free(x.findings);
	return e;
}
