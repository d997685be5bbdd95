/*
 * session.c - capture sessions (see session.h and README "Capture sessions"): which capture a
 * new one continues, the flows carried across the boundary (flow_carry rows), linking flows
 * that were parsed without them (-j), the DNS answers that count for a session member, and
 * names carried along continued flows.
 *
 * Everything here reads database rows that ingest wrote; strings and blobs from the database
 * are treated as untrusted (a merged database may come from anywhere): addresses must parse,
 * blobs are capped at the reassembly windows ingest uses, counts are bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "ingest.h"
#include "pcapng.h"
#include "session.h"

#define CARRY_BLOB_MAX (65535u + 2u) /* the larger of ingest's two windows */

_Static_assert(PD_SESSION_GAP_NS == PD_FLOW_IDLE_NS, "a session gap is the flow idle timeout");

struct centry {
	struct pd_carry_flow f;
	char *strs[4]; /* owned sni, alpn, http_host, http_connect */
	uint8_t *cs, *sc;
	uint32_t hash;
	bool taken;
};

struct pd_session_carry {
	struct centry *e;
	size_t n, cap;
	uint32_t *slots; /* index + 1, 0 = empty */
	uint32_t mask;
};

/* ---- identity of a capture ---------------------------------------------------------- */

struct skey {
	const char *rt, *cid, *ns, *host, *sid;
	bool have_seq;
	int64_t seq;
	int64_t first_ns;
	char ifaces[PD_SESSION_KEY_MAX];
};

static enum pd_err dberr(sqlite3 *db, char *errbuf, const char *what)
{
	return pd_errf(errbuf, PD_ERR_DB, "capture session: %s: %s", what, sqlite3_errmsg(db));
}

/* Binds text that may be absent (NULL and "" alike, as ingest stores them). */
static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* A metadata number bound as ingest stores it: an integer when it is one, else the text. */
static void bind_num(sqlite3_stmt *st, int i, const char *s)
{
	char *end;
	long long v;

	if (!s || !*s) {
		sqlite3_bind_null(st, i);
		return;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, i, v);
}

static void key_from_ci(struct skey *k, const struct pd_capinfo *ci, int linktype, int64_t first)
{
	const char *seq;
	size_t used = 0;
	unsigned i;

	memset(k, 0, sizeof(*k));
	k->rt = pd_capinfo_meta(ci, PD_META_RUNTIME);
	k->cid = pd_capinfo_meta(ci, PD_META_ID);
	k->ns = pd_capinfo_meta(ci, PD_META_NETNS);
	k->host = pd_capinfo_meta(ci, PD_META_HOST);
	k->sid = pd_capinfo_meta(ci, PD_META_SESSION);
	seq = pd_capinfo_meta(ci, PD_META_FILE_SEQ);
	if (seq && *seq) {
		char *end;

		errno = 0;
		k->seq = strtoll(seq, &end, 10);
		k->have_seq = !errno && !*end && k->seq >= 0;
	}
	k->first_ns = first;
	if (!ci->n_ifaces) {
		/* classic pcap: ingest stores one unnamed interface */
		snprintf(k->ifaces, sizeof(k->ifaces), "/%s", pd_link_name(linktype));
		return;
	}
	for (i = 0; i < ci->n_ifaces && i < PD_MAX_IFACES && used < sizeof(k->ifaces); i++)
		used += (size_t)snprintf(k->ifaces + used, sizeof(k->ifaces) - used, "%s%s/%s",
		                         i ? "," : "", ci->ifaces[i].name,
		                         pd_link_name(ci->ifaces[i].linktype));
}

/* The interfaces of two files match when one list starts with the other (a file's list is
 * read up to its first frame; an interface added later appears in the later file's list). */
static bool ifaces_match(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	if (strncmp(a, b, n))
		return false;
	if (la == lb)
		return true;
	return (la > lb ? a : b)[n] == ',';
}

/*
 * The capture (other than self) that the capture with key k continues: its id and sha256,
 * or *id = 0. See session.h for the rules.
 */
static enum pd_err find_prev(sqlite3 *db, const struct skey *k, int64_t self, int64_t *id,
                             char sha[65], char *errbuf)
{
	static const char sql[] =
	        "SELECT id, sha256, session_id IS ?6 AND session_seq = ?7 - 1 AND ?6 IS NOT NULL,"
	        " (SELECT group_concat(k, ',') FROM (SELECT coalesce(name, '') || '/' ||"
	        " link_type AS k FROM interfaces i WHERE i.capture_id = c.id ORDER BY idx))"
	        " FROM captures c WHERE id != ?10 AND sha256 NOT LIKE 'pending:%' AND"
	        " ((?6 IS NOT NULL AND ?7 IS NOT NULL AND session_id = ?6 AND session_seq = ?7 - 1)"
	        " OR (runtime IS ?1 AND container_id IS ?2 AND netns_inode IS ?3 AND"
	        " capture_host IS ?4 AND session_id IS ?6 AND session_seq IS ?7 AND"
	        " first_ns < ?5 AND last_ns <= ?5 + ?8 AND last_ns >= ?5 - ?9))"
	        " ORDER BY 3 DESC, last_ns DESC, id DESC LIMIT 16";
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	sha[0] = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, errbuf, "finding the capture this one continues");
	bind_opt(st, 1, k->rt);
	bind_opt(st, 2, k->cid);
	bind_num(st, 3, k->ns);
	bind_opt(st, 4, k->host);
	sqlite3_bind_int64(st, 5, k->first_ns);
	bind_opt(st, 6, k->sid);
	if (k->have_seq)
		sqlite3_bind_int64(st, 7, k->seq);
	sqlite3_bind_int64(st, 8, PD_SESSION_OVERLAP_NS);
	sqlite3_bind_int64(st, 9, PD_SESSION_GAP_NS);
	sqlite3_bind_int64(st, 10, self);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 1);
		const char *ifs = (const char *)sqlite3_column_text(st, 3);

		if (!s || strlen(s) != 64)
			continue;
		if (!sqlite3_column_int(st, 2) && !ifaces_match(k->ifaces, ifs ? ifs : ""))
			continue;
		*id = sqlite3_column_int64(st, 0);
		memcpy(sha, s, 65);
		break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(db, errbuf, "finding the capture this one continues");
	return PD_OK;
}

/* ---- carried flows ----------------------------------------------------------------- */

static uint32_t ep_hash(const struct pd_addr *a, uint16_t port)
{
	uint32_t h = 2166136261u;
	unsigned i;

	for (i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 16777619u;
	h = (h ^ a->family) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	return (h ^ (port >> 8)) * 16777619u;
}

static uint32_t tuple_hash(uint8_t proto, const struct pd_addr *a, uint16_t ap,
                           const struct pd_addr *b, uint16_t bp)
{
	uint32_t h = ep_hash(a, ap) + ep_hash(b, bp); /* symmetric */

	h ^= proto * 0x85ebca6bu;
	h ^= h >> 15;
	return h * 0x2c1b3c6du;
}

static bool addr_eq(const struct pd_addr *a, const struct pd_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, 16);
}

static bool parse_addr(const char *s, struct pd_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return false;
	if (inet_pton(AF_INET, s, a->a) == 1) {
		a->family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->a) == 1) {
		a->family = 6;
		return true;
	}
	return false;
}

/* flows.proto text back to the protocol number; -1 when it is none of ours. */
static int proto_num(const char *s)
{
	char *end;
	long v;

	if (!s)
		return -1;
	if (!strcmp(s, "tcp"))
		return PD_L4_TCP;
	if (!strcmp(s, "udp"))
		return PD_L4_UDP;
	if (!strcmp(s, "icmp"))
		return PD_L4_ICMP;
	if (!strcmp(s, "icmp6"))
		return PD_L4_ICMP6;
	if (strncmp(s, "ip-", 3))
		return -1;
	errno = 0;
	v = strtol(s + 3, &end, 10);
	return errno || *end || v < 0 || v > 255 ? -1 : (int)v;
}

void pd_session_carry_free(struct pd_session_carry *c)
{
	size_t i;
	unsigned j;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		for (j = 0; j < 4; j++)
			free(c->e[i].strs[j]);
		free(c->e[i].cs);
		free(c->e[i].sc);
	}
	free(c->e);
	free(c->slots);
	free(c);
}

static char *col_dup(sqlite3_stmt *st, int i, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	char *d;

	if (!t || !*t)
		return NULL;
	if (!(d = strdup((const char *)t)))
		*oom = true;
	return d;
}

static uint8_t *blob_dup(sqlite3_stmt *st, int i, uint32_t *len, bool *oom)
{
	const void *b = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);
	uint8_t *d;

	*len = 0;
	if (!b || n <= 0 || (unsigned)n > CARRY_BLOB_MAX)
		return NULL;
	if (!(d = malloc((size_t)n))) {
		*oom = true;
		return NULL;
	}
	memcpy(d, b, (size_t)n);
	*len = (uint32_t)n;
	return d;
}

static int carry_index(struct pd_session_carry *c)
{
	uint32_t nslots = 1024, i, j;

	while (nslots < 2 * c->n)
		nslots *= 2;
	if (!(c->slots = calloc(nslots, sizeof(*c->slots))))
		return -1;
	c->mask = nslots - 1;
	for (i = 0; i < c->n; i++) {
		for (j = c->e[i].hash & c->mask; c->slots[j]; j = (j + 1) & c->mask)
			;
		c->slots[j] = i + 1;
	}
	return 0;
}

static enum pd_err load_carry(sqlite3 *db, int64_t prev, struct pd_session_carry **out,
                              char *errbuf)
{
	static const char sql[] =
	        "SELECT proto, client_ip, client_port, server_ip, server_port, last_ns, tcp,"
	        " syn_seq_c, syn_seq_s, state, app, mode, sni, alpn, http_host, http_connect,"
	        " quic_version, ech, cs_seq, cs, sc_seq, sc FROM flow_carry WHERE capture_id = ?1";
	struct pd_session_carry *c = calloc(1, sizeof(*c));
	sqlite3_stmt *st = NULL;
	bool oom = !c;
	int rc = SQLITE_DONE;

	if (c && sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		pd_session_carry_free(c);
		return dberr(db, errbuf, "reading carried flows");
	}
	if (st)
		sqlite3_bind_int64(st, 1, prev);
	while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct centry *e;
		int proto = proto_num((const char *)sqlite3_column_text(st, 0));
		int64_t cp = sqlite3_column_int64(st, 2), sp = sqlite3_column_int64(st, 4);
		unsigned j;

		if (c->n == PD_MAX_LIVE_FLOWS)
			break; /* more rows than ingest ever leaves live (a hand-made database) */
		if (c->n == c->cap) {
			size_t ncap = c->cap ? 2 * c->cap : 256;
			struct centry *ne;

			if (ncap > PD_MAX_LIVE_FLOWS)
				ncap = PD_MAX_LIVE_FLOWS;
			if (!(ne = realloc(c->e, ncap * sizeof(*ne)))) {
				oom = true;
				break;
			}
			c->e = ne;
			c->cap = ncap;
		}
		e = &c->e[c->n];
		memset(e, 0, sizeof(*e));
		if (proto < 0 || cp < 0 || cp > 65535 || sp < 0 || sp > 65535 ||
		    !parse_addr((const char *)sqlite3_column_text(st, 1), &e->f.cli) ||
		    !parse_addr((const char *)sqlite3_column_text(st, 3), &e->f.srv))
			continue;
		e->f.proto = (uint8_t)proto;
		e->f.cport = (uint16_t)cp;
		e->f.sport = (uint16_t)sp;
		e->f.last_ns = sqlite3_column_int64(st, 5);
		e->f.tcp = (uint8_t)sqlite3_column_int(st, 6);
		e->f.syn_seq[0] = (uint32_t)sqlite3_column_int64(st, 7);
		e->f.syn_seq[1] = (uint32_t)sqlite3_column_int64(st, 8);
		e->f.state = (uint8_t)sqlite3_column_int(st, 9);
		e->f.app = (uint8_t)sqlite3_column_int(st, 10);
		e->f.mode = (uint8_t)sqlite3_column_int(st, 11);
		for (j = 0; j < 4; j++)
			e->strs[j] = col_dup(st, 12 + (int)j, &oom);
		e->f.sni = e->strs[0];
		e->f.alpn = e->strs[1];
		e->f.http_host = e->strs[2];
		e->f.http_connect = e->strs[3];
		e->f.quic_version = (uint32_t)sqlite3_column_int64(st, 16);
		e->f.ech = sqlite3_column_int(st, 17) != 0;
		e->cs = blob_dup(st, 19, &e->f.cs_len, &oom);
		e->sc = blob_dup(st, 21, &e->f.sc_len, &oom);
		e->f.has_cs = sqlite3_column_type(st, 18) != SQLITE_NULL;
		e->f.has_sc = sqlite3_column_type(st, 20) != SQLITE_NULL;
		e->f.cs_seq = (uint32_t)sqlite3_column_int64(st, 18);
		e->f.sc_seq = (uint32_t)sqlite3_column_int64(st, 20);
		e->f.cs = e->cs;
		e->f.sc = e->sc;
		e->hash = tuple_hash(e->f.proto, &e->f.cli, e->f.cport, &e->f.srv, e->f.sport);
		c->n++;
	}
	sqlite3_finalize(st);
	if (!oom && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		pd_session_carry_free(c);
		return dberr(db, errbuf, "reading carried flows");
	}
	if (oom || carry_index(c) < 0) {
		pd_session_carry_free(c);
		return pd_errf(errbuf, PD_ERR_NOMEM, "capture session: out of memory");
	}
	*out = c;
	return PD_OK;
}

enum pd_err pd_session_open(sqlite3 *db, const struct pd_capinfo *ci, int first_linktype,
                            int64_t first_ns, struct pd_session_carry **out, char *prev_sha,
                            char errbuf[PD_ERRBUF_SIZE])
{
	struct skey k;
	int64_t prev = 0;
	enum pd_err e;

	*out = NULL;
	prev_sha[0] = 0;
	key_from_ci(&k, ci, first_linktype, first_ns);
	if ((e = find_prev(db, &k, 0, &prev, prev_sha, errbuf)) != PD_OK || !prev)
		return e;
	return load_carry(db, prev, out, errbuf);
}

const struct pd_carry_flow *pd_session_carry_take(struct pd_session_carry *c, uint8_t proto,
                                                  const struct pd_addr *src, uint16_t sport,
                                                  const struct pd_addr *dst, uint16_t dport,
                                                  int64_t ts, bool *reversed)
{
	uint32_t h, j, i;

	*reversed = false;
	if (!c || !c->n)
		return NULL;
	h = tuple_hash(proto, src, sport, dst, dport);
	for (j = h & c->mask; (i = c->slots[j]) != 0; j = (j + 1) & c->mask) {
		struct centry *e = &c->e[i - 1];
		bool fwd, rev;

		if (e->hash != h || e->f.proto != proto || e->taken)
			continue;
		fwd = e->f.cport == sport && e->f.sport == dport && addr_eq(&e->f.cli, src) &&
		      addr_eq(&e->f.srv, dst);
		rev = e->f.cport == dport && e->f.sport == sport && addr_eq(&e->f.cli, dst) &&
		      addr_eq(&e->f.srv, src);
		if (!fwd && !rev)
			continue;
		/* within the idle timeout of its last packet (no overflow: hostile times) */
		if (ts > e->f.last_ns && (uint64_t)ts - (uint64_t)e->f.last_ns > PD_SESSION_GAP_NS)
			return NULL;
		if (ts < e->f.last_ns &&
		    (uint64_t)e->f.last_ns - (uint64_t)ts > (uint64_t)PD_SESSION_OVERLAP_NS)
			return NULL;
		e->taken = true;
		*reversed = !fwd;
		return &e->f;
	}
	return NULL;
}

int pd_session_carry_rest(struct pd_session_carry *c, sqlite3_stmt *st, int64_t capture_id,
                          int64_t end_ns)
{
	size_t i;
	int rc;

	for (i = 0; c && i < c->n; i++) {
		const struct centry *e = &c->e[i];

		if (e->taken || (end_ns > e->f.last_ns &&
		                 (uint64_t)end_ns - (uint64_t)e->f.last_ns > PD_SESSION_GAP_NS))
			continue;
		if ((rc = pd_session_carry_write(st, capture_id, &e->f)) != SQLITE_DONE)
			return rc;
	}
	return SQLITE_DONE;
}

int pd_session_carry_prepare(sqlite3 *db, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(
	        db,
	        "INSERT OR REPLACE INTO flow_carry(capture_id, proto, client_ip, client_port,"
	        " server_ip, server_port, last_ns, tcp, syn_seq_c, syn_seq_s, state, app, mode,"
	        " sni, alpn, http_host, http_connect, quic_version, ech, cs_seq, cs, sc_seq, sc)"
	        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	        -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

static void bind_addr(sqlite3_stmt *st, int i, const struct pd_addr *a)
{
	char buf[64];

	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

int pd_session_carry_write(sqlite3_stmt *st, int64_t capture_id, const struct pd_carry_flow *f)
{
	char pbuf[16];
	int rc;

	sqlite3_bind_int64(st, 1, capture_id);
	sqlite3_bind_text(st, 2, pd_flow_proto_name(f->proto, pbuf, sizeof(pbuf)), -1,
	                  SQLITE_TRANSIENT);
	bind_addr(st, 3, &f->cli);
	sqlite3_bind_int(st, 4, f->cport);
	bind_addr(st, 5, &f->srv);
	sqlite3_bind_int(st, 6, f->sport);
	sqlite3_bind_int64(st, 7, f->last_ns);
	sqlite3_bind_int(st, 8, f->tcp);
	sqlite3_bind_int64(st, 9, f->syn_seq[0]);
	sqlite3_bind_int64(st, 10, f->syn_seq[1]);
	sqlite3_bind_int(st, 11, f->state);
	sqlite3_bind_int(st, 12, f->app);
	sqlite3_bind_int(st, 13, f->mode);
	bind_opt(st, 14, f->sni);
	bind_opt(st, 15, f->alpn);
	bind_opt(st, 16, f->http_host);
	bind_opt(st, 17, f->http_connect);
	if (f->quic_version)
		sqlite3_bind_int64(st, 18, f->quic_version);
	sqlite3_bind_int(st, 19, f->ech);
	if (f->has_cs) {
		sqlite3_bind_int64(st, 20, f->cs_seq);
		sqlite3_bind_blob(st, 21, f->cs_len ? (const void *)f->cs : "", (int)f->cs_len,
		                  SQLITE_TRANSIENT);
	}
	if (f->has_sc) {
		sqlite3_bind_int64(st, 22, f->sc_seq);
		sqlite3_bind_blob(st, 23, f->sc_len ? (const void *)f->sc : "", (int)f->sc_len,
		                  SQLITE_TRANSIENT);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

enum pd_err pd_session_note(sqlite3 *db, int64_t capture_id, const struct pd_capinfo *ci,
                            const char *prev_sha, char errbuf[PD_ERRBUF_SIZE])
{
	sqlite3_stmt *st;
	const char *sid = ci ? pd_capinfo_meta(ci, PD_META_SESSION) : NULL;
	const char *seq = ci ? pd_capinfo_meta(ci, PD_META_FILE_SEQ) : NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
	                       "UPDATE captures SET session_id = ?2, session_seq = ?3,"
	                       " session_prev = ?4 WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return dberr(db, errbuf, "storing the session");
	sqlite3_bind_int64(st, 1, capture_id);
	bind_opt(st, 2, sid);
	bind_num(st, 3, seq);
	bind_opt(st, 4, prev_sha);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(db, errbuf, "storing the session");
	return PD_OK;
}

/* ---- linking and names on stored rows ----------------------------------------------- */

static enum pd_err run2(sqlite3 *db, const char *sql, int64_t a, int64_t b, int *changes,
                        char *errbuf, const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, errbuf, what);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int64(st, 3, PD_SESSION_GAP_NS);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dberr(db, errbuf, what);
	if (changes)
		*changes = sqlite3_changes(db);
	return PD_OK;
}

/* A flow of ?1 that may continue a carried flow of ?2: not continued yet, and not opened anew
 * (for TCP: no SYN from its client in this capture). */
#define MAY_CONTINUE(f)                                                                            \
	f ".capture_id = ?1 AND " f ".continued = 0 AND (" f ".proto != 'tcp' OR " f               \
	  ".tcp_state = 'midstream')"
#define SAME_TUPLE(k, f)                                                                           \
	k ".proto = " f ".proto AND " k ".client_ip = " f ".client_ip AND " k ".client_port = " f  \
	  ".client_port AND " k ".server_ip = " f ".server_ip AND " k ".server_port = " f          \
	  ".server_port"
#define REV_TUPLE(k, f)                                                                            \
	k ".proto = " f ".proto AND " k ".client_ip = " f ".server_ip AND " k ".client_port = " f  \
	  ".server_port AND " k ".server_ip = " f ".client_ip AND " k ".server_port = " f          \
	  ".client_port"

/* Links the flows of capture c to the flows carried out of p on stored rows (the -j path):
 * re-orients reversed ones (flows and c's own carried rows), marks them continued and fills
 * the evidence and TCP state they lack from p. */
static enum pd_err link_rows(sqlite3 *db, int64_t c, int64_t p, char *errbuf)
{
	static const char *const sqls[] = {
		/* c's carried rows of flows about to be re-oriented, first */
		"UPDATE flow_carry SET client_ip = server_ip, client_port = server_port,"
		" server_ip = client_ip, server_port = client_port, syn_seq_c = syn_seq_s,"
		" syn_seq_s = syn_seq_c, tcp = (tcp & 16) | ((tcp & 32) << 1) | ((tcp & "
		"64) >> 1)"
		" WHERE capture_id = ?1 AND (tcp & 1) = 0 AND EXISTS (SELECT 1 FROM flows "
		"f WHERE " MAY_CONTINUE("f") " AND " SAME_TUPLE(
		        "flow_carry", "f") " AND EXISTS (SELECT 1 FROM flow_carry k"
		                           " WHERE k.capture_id = ?2 AND " REV_TUPLE(
		                                   "k", "f") " AND f.first_ns - k.last_ns <= ?3))",
		"UPDATE flows SET client_ip = server_ip, client_port = server_port,"
		" server_ip = client_ip, server_port = client_port, packets_out = "
		"packets_in,"
		" bytes_out = bytes_in, packets_in = packets_out, bytes_in = bytes_out,"
		" direction = CASE direction WHEN 'egress' THEN 'ingress' WHEN 'ingress' THEN"
		" 'egress' ELSE direction END"
		" WHERE " MAY_CONTINUE(
		        "flows") " AND EXISTS (SELECT 1 FROM flow_carry k WHERE"
		                 " k.capture_id = ?2 AND " REV_TUPLE(
		                         "k", "flows") " AND flows.first_ns - k.last_ns <= ?3)",
		/* c's carried rows take p's TCP opening */
		"UPDATE flow_carry SET tcp = flow_carry.tcp | (k.tcp & 7), syn_seq_c = "
		"k.syn_seq_c,"
		" syn_seq_s = k.syn_seq_s, sni = coalesce(flow_carry.sni, k.sni),"
		" alpn = coalesce(flow_carry.alpn, k.alpn), http_host = "
		"coalesce(flow_carry.http_host,"
		" k.http_host), http_connect = coalesce(flow_carry.http_connect, "
		"k.http_connect)"
		" FROM flow_carry k WHERE flow_carry.capture_id = ?1 AND (flow_carry.tcp & "
		"1) = 0"
		" AND k.capture_id = ?2 AND " SAME_TUPLE("k", "flow_carry"),
		"UPDATE flows SET continued = 1, tcp_state = CASE WHEN flows.proto != "
		"'tcp' THEN NULL"
		" WHEN (k.tcp & 1) = 0 THEN 'midstream' WHEN (k.tcp & 7) = 7 THEN "
		"'established'"
		" WHEN (k.tcp & 8) AND NOT (k.tcp & 2) THEN 'refused' ELSE 'syn-only' END,"
		" sni = coalesce(flows.sni, k.sni), alpn = coalesce(flows.alpn, k.alpn),"
		" http_host = coalesce(flows.http_host, k.http_host),"
		" http_connect = coalesce(flows.http_connect, k.http_connect),"
		" quic_version = coalesce(flows.quic_version, k.quic_version),"
		" ech = max(flows.ech, k.ech), app_proto = coalesce(flows.app_proto, "
		"(SELECT"
		" p.app_proto FROM flows p WHERE p.capture_id = ?2 AND " SAME_TUPLE(
		        "p", "flows") " ORDER BY p.last_ns DESC LIMIT 1))"
		                      " FROM flow_carry k WHERE " MAY_CONTINUE(
		                              "flows") " AND k.capture_id = ?2 "
		                                       "AND " SAME_TUPLE("k", "flows") " AND"
		                                                                       " flows."
		                                                                       "first_"
		                                                                       "ns - "
		                                                                       "k.last_"
		                                                                       "ns <= "
		                                                                       "?3",
		/* p's carried flows that c did not continue and that are still within the
		 * idle timeout at c's end go on to the next file */
		"INSERT OR IGNORE INTO flow_carry SELECT ?1, k.proto, k.client_ip, "
		"k.client_port,"
		" k.server_ip, k.server_port, k.last_ns, k.tcp, k.syn_seq_c, k.syn_seq_s, "
		"k.state,"
		" k.app, k.mode, k.sni, k.alpn, k.http_host, k.http_connect, "
		"k.quic_version, k.ech,"
		" k.cs_seq, k.cs, k.sc_seq, k.sc FROM flow_carry k, captures c WHERE"
		" k.capture_id = ?2 AND c.id = ?1 AND (c.last_ns IS NULL OR c.last_ns - k.last_ns "
		"<= ?3)"
		" AND NOT "
		"EXISTS"
		" (SELECT 1 FROM flows f WHERE f.capture_id = ?1 AND ((" SAME_TUPLE(
		        "k", "f") ") OR"
		                  " (" REV_TUPLE("k", "f") ")))",
	};
	size_t i;
	enum pd_err e;

	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++)
		if ((e = run2(db, sqls[i], c, p, NULL, errbuf, "linking continued flows")) != PD_OK)
			return e;
	return PD_OK;
}

#define OWN_NAME(f) f ".evidence IN ('sni', 'quic-sni', 'http-host')"
#define MEMBERS(f)  f ".capture_id IN (SELECT value FROM json_each(?2)) AND " f ".capture_id != ?1"

/* Runs sql with ?1 = capture c, ?2 = its session members (JSON). */
static enum pd_err run_members(sqlite3 *db, const char *sql, int64_t c, const char *members,
                               char *errbuf, const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, errbuf, what);
	sqlite3_bind_int64(st, 1, c);
	sqlite3_bind_text(st, 2, members, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(db, errbuf, what);
	return PD_OK;
}

/*
 * Names along continued flows. Forward: a continued flow of c takes the attribution of the
 * segment before it (the latest row of the same flow in the session: DNS evidence depends on
 * when the connection started, which that segment knows), unless it names itself (or has a
 * PTR name) and that segment does not. Backward: when it names itself and the segments before it
 * (from the latest one that opened the connection) do not, they take its name: a ClientHello
 * completed after a boundary names the connection from its start.
 */
static enum pd_err inherit(sqlite3 *db, int64_t c, const char *members, char *errbuf)
{
	static const char fwd[] =
	        "UPDATE flows SET name = p.name, evidence = p.evidence, confidence = "
	        "p.confidence,"
	        " cname_chain = p.cname_chain, candidates = p.candidates, ambiguous = "
	        "p.ambiguous,"
	        " dns_answer_id = p.dns_answer_id FROM flows p WHERE flows.capture_id "
	        "= ?1 AND"
	        " flows.continued = 1 AND p.id = (SELECT q.id FROM flows q "
	        "WHERE " MEMBERS("q") " AND " SAME_TUPLE(
	                "q", "flows") " ORDER BY q.last_ns DESC, q.id DESC"
	                              " LIMIT 1) AND NOT (" OWN_NAME("flows") " AND NOT " OWN_NAME(
	                                      "p") ") AND "
	                                           "NOT "
	                                           "(flows."
	                                           "evidence "
	                                           "= "
	                                           "'ptr-"
	                                           "capture' "
	                                           "AND "
	                                           "p."
	                                           "evidence "
	                                           "= "
	                                           "'none')";
	static const char
	        back
	                [] = "UPDATE flows SET name = n.name, evidence = n.evidence, confidence = "
	                     "n.confidence,"
	                     " cname_chain = n.cname_chain, candidates = n.candidates, ambiguous = "
	                     "n.ambiguous,"
	                     " dns_answer_id = n.dns_answer_id FROM flows n WHERE " MEMBERS("flows") " AND n.capture_id = ?1 AND n.continued = 1 AND " OWN_NAME(
	                             "n") " AND"
	                                  " NOT " OWN_NAME("flows") " AND " SAME_TUPLE(
	                                          "n",
	                                          "flows") " AND flows.first_ns >= coalesce((SELECT"
	                                                   " max(r.first_ns) FROM flows r "
	                                                   "WHERE " MEMBERS("r") " AND " SAME_TUPLE(
	                                                           "r",
	                                                           "n") " AND r.continued = 0), 0)";
	enum pd_err e =
	        run_members(db, fwd, c, members, errbuf, "carrying names to continued flows");

	return e ? e : run_members(db, back, c, members, errbuf, "carrying names back");
}

/* PTR answers name an address whenever they were seen in a capture (not only before a flow):
 * the flows of earlier members that nothing named take the names of c's PTR answers, as they
 * would in one file. */
static enum pd_err ptr_back(sqlite3 *db, int64_t c, const char *members, char *errbuf)
{
	static const char ptrs[] = "SELECT qname, answer FROM dns_answers WHERE capture_id = ?1"
	                           " AND rr_type = 'PTR' AND answer IS NOT NULL ORDER BY ts_ns, id";
	static const char upd[] =
	        "UPDATE flows SET name = lower(rtrim(?4, '.')), evidence = 'ptr-capture',"
	        " confidence = 'low' WHERE " MEMBERS("flows") " AND server_ip = ?3 AND"
	                                                      " evidence = 'none' AND name IS NULL";
	sqlite3_stmt *st = NULL, *up = NULL;
	enum pd_err e = PD_OK;
	int rc;

	if (sqlite3_prepare_v2(db, ptrs, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, upd, -1, &up, NULL) != SQLITE_OK) {
		e = dberr(db, errbuf, "naming by PTR answers");
		goto out;
	}
	sqlite3_bind_int64(st, 1, c);
	sqlite3_bind_int64(up, 1, c);
	sqlite3_bind_text(up, 2, members, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *q = (const char *)sqlite3_column_text(st, 0);
		const char *a = (const char *)sqlite3_column_text(st, 1);
		char ip[64];

		if (!q || !a || !*a || strlen(a) > 1024 || pd_names_ptr_addr(q, ip, sizeof(ip)) < 0)
			continue;
		sqlite3_reset(up);
		sqlite3_bind_text(up, 3, ip, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 4, a, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(up) != SQLITE_DONE) {
			e = dberr(db, errbuf, "naming by PTR answers");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		e = dberr(db, errbuf, "naming by PTR answers");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return e;
}

/* The capture's session key from its stored row and interfaces. */
struct crow {
	char rt[64], cid[256], ns[32], host[256], sid[256], prev[80];
	bool have_rt, have_cid, have_ns, have_host, have_sid, have_seq, have_first;
	int64_t seq, first_ns;
	char ifaces[PD_SESSION_KEY_MAX];
};

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t len, bool *have)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	*have = t && *t;
	snprintf(out, len, "%s", *have ? (const char *)t : "");
}

static enum pd_err read_capture(sqlite3 *db, int64_t id, struct crow *r, char *errbuf)
{
	static const char sql[] =
	        "SELECT runtime, container_id, netns_inode, capture_host, session_id, session_seq,"
	        " first_ns, session_prev, (SELECT group_concat(k, ',') FROM (SELECT"
	        " coalesce(name, '') || '/' || link_type AS k FROM interfaces i WHERE"
	        " i.capture_id = ?1 ORDER BY idx)) FROM captures WHERE id = ?1";
	sqlite3_stmt *st;
	bool have;
	int rc;

	memset(r, 0, sizeof(*r));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, errbuf, "reading the capture");
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_col(st, 0, r->rt, sizeof(r->rt), &r->have_rt);
		copy_col(st, 1, r->cid, sizeof(r->cid), &r->have_cid);
		copy_col(st, 2, r->ns, sizeof(r->ns), &r->have_ns);
		copy_col(st, 3, r->host, sizeof(r->host), &r->have_host);
		copy_col(st, 4, r->sid, sizeof(r->sid), &r->have_sid);
		r->have_seq = sqlite3_column_type(st, 5) == SQLITE_INTEGER;
		r->seq = sqlite3_column_int64(st, 5);
		r->have_first = sqlite3_column_type(st, 6) != SQLITE_NULL;
		r->first_ns = sqlite3_column_int64(st, 6);
		copy_col(st, 7, r->prev, sizeof(r->prev), &have);
		copy_col(st, 8, r->ifaces, sizeof(r->ifaces), &have);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return dberr(db, errbuf, "reading the capture");
	return PD_OK;
}

static enum pd_err prev_of(sqlite3 *db, const char *sha, int64_t *id, char *errbuf)
{
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if (!*sha)
		return PD_OK;
	if (sqlite3_prepare_v2(db, "SELECT id FROM captures WHERE sha256 = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return dberr(db, errbuf, "finding the previous capture");
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(db, errbuf, "finding the previous capture");
	return PD_OK;
}

enum pd_err pd_session_attribute(sqlite3 *db, int64_t capture_id, const struct pd_attr_opts *opts,
                                 char errbuf[PD_ERRBUF_SIZE])
{
	struct crow r;
	int64_t prev = 0;
	enum pd_err e;

	if ((e = read_capture(db, capture_id, &r, errbuf)) != PD_OK)
		return e;
	if (!r.prev[0]) {
		/* not linked while parsing (a parallel ingest): link the stored rows */
		struct skey k;
		char sha[65];

		memset(&k, 0, sizeof(k));
		k.rt = r.have_rt ? r.rt : NULL;
		k.cid = r.have_cid ? r.cid : NULL;
		k.ns = r.have_ns ? r.ns : NULL;
		k.host = r.have_host ? r.host : NULL;
		k.sid = r.have_sid ? r.sid : NULL;
		k.have_seq = r.have_seq;
		k.seq = r.seq;
		k.first_ns = r.have_first ? r.first_ns : INT64_MIN; /* no frame: by run id only */
		snprintf(k.ifaces, sizeof(k.ifaces), "%s", r.ifaces);
		if ((e = find_prev(db, &k, capture_id, &prev, sha, errbuf)) != PD_OK)
			return e;
		if (prev) {
			sqlite3_stmt *st;
			int rc;

			if (sqlite3_prepare_v2(
			            db, "UPDATE captures SET session_prev = ?2 WHERE id = ?1", -1,
			            &st, NULL) != SQLITE_OK)
				return dberr(db, errbuf, "storing the session");
			sqlite3_bind_int64(st, 1, capture_id);
			sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
			if (rc != SQLITE_DONE)
				return dberr(db, errbuf, "storing the session");
			if ((e = link_rows(db, capture_id, prev, errbuf)) != PD_OK)
				return e;
		}
	} else if ((e = prev_of(db, r.prev, &prev, errbuf)) != PD_OK) {
		return e;
	}
	if ((e = pd_names_attribute(db, capture_id, opts, errbuf)) != PD_OK)
		return e;
	if (!prev)
		return PD_OK;
	{
		char *members = NULL, *earlier = NULL;

		e = pd_session_answer_scope(db, capture_id, &members, &earlier, errbuf);
		free(earlier);
		if (!e && members)
			e = inherit(db, capture_id, members, errbuf);
		if (!e && members)
			e = ptr_back(db, capture_id, members, errbuf);
		free(members);
	}
	return e;
}

/* ---- the DNS answers that count ------------------------------------------------------ */

struct idlist {
	char *json;
	size_t len, cap;
	unsigned n;
};

static int idl_add(struct idlist *l, int64_t id)
{
	char num[32];
	int k = snprintf(num, sizeof(num), "%s%" PRId64, l->n ? "," : "[", id);

	if (l->len + (size_t)k + 2 > l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 256;
		char *nj;

		while (ncap < l->len + (size_t)k + 2)
			ncap *= 2;
		if (!(nj = realloc(l->json, ncap)))
			return -1;
		l->json = nj;
		l->cap = ncap;
	}
	memcpy(l->json + l->len, num, (size_t)k);
	l->len += (size_t)k;
	l->json[l->len] = ']';
	l->json[l->len + 1] = 0;
	l->n++;
	return 0;
}

enum pd_err pd_session_answer_scope(sqlite3 *db, int64_t capture_id, char **session, char **earlier,
                                    char errbuf[PD_ERRBUF_SIZE])
{
	static const char chain_sql[] =
	        "SELECT p.id, p.session_prev FROM captures p WHERE p.sha256 = ?1";
	static const char earlier_sql[] =
	        "SELECT e.id FROM captures c, captures e WHERE c.id = ?1 AND e.id != c.id AND"
	        " e.id NOT IN (SELECT value FROM json_each(?2)) AND e.sha256 NOT LIKE 'pending:%' "
	        "AND"
	        " e.last_ns <= c.first_ns + ?3 AND ((c.container_id IS NOT NULL AND"
	        " e.container_id = c.container_id) OR (c.netns_inode IS NOT NULL AND"
	        " e.netns_inode = c.netns_inode AND e.capture_host IS c.capture_host))"
	        " ORDER BY e.last_ns DESC LIMIT ?4";
	struct idlist s = { 0 }, ea = { 0 };
	struct crow r;
	char sha[80];
	sqlite3_stmt *st = NULL;
	enum pd_err e;
	int rc;

	*session = *earlier = NULL;
	if ((e = read_capture(db, capture_id, &r, errbuf)) != PD_OK)
		return e;
	if (idl_add(&s, capture_id) < 0)
		goto oom;
	snprintf(sha, sizeof(sha), "%s", r.prev);
	if (sha[0] && sqlite3_prepare_v2(db, chain_sql, -1, &st, NULL) != SQLITE_OK)
		return dberr(db, errbuf, "walking the session");
	while (sha[0] && s.n <= PD_SESSION_MAX_CHAIN) {
		const unsigned char *next;
		int64_t id;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			break;
		id = sqlite3_column_int64(st, 0);
		if (id == capture_id)
			break; /* a cycle (only a hand-made database has one); the bound ends others
			        */
		if (idl_add(&s, id) < 0) {
			sqlite3_finalize(st);
			goto oom;
		}
		next = sqlite3_column_text(st, 1);
		snprintf(sha, sizeof(sha), "%s", next ? (const char *)next : "");
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, earlier_sql, -1, &st, NULL) != SQLITE_OK) {
		free(s.json);
		return dberr(db, errbuf, "finding earlier captures");
	}
	sqlite3_bind_int64(st, 1, capture_id);
	sqlite3_bind_text(st, 2, s.json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, PD_SESSION_OVERLAP_NS);
	sqlite3_bind_int(st, 4, PD_SESSION_MAX_EARLIER);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (idl_add(&ea, sqlite3_column_int64(st, 0)) < 0) {
			sqlite3_finalize(st);
			goto oom;
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(s.json);
		free(ea.json);
		return dberr(db, errbuf, "finding earlier captures");
	}
	if (s.n > 1)
		*session = s.json;
	else
		free(s.json);
	*earlier = ea.json;
	return PD_OK;
oom:
	free(s.json);
	free(ea.json);
	return pd_errf(errbuf, PD_ERR_NOMEM, "capture session: out of memory");
}
