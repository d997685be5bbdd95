/*
 * names.c - attribution (SPEC 2.3): every flow of a capture gets a destination name, the
 * evidence behind it, a confidence, its CNAME chain and, when several names fit, candidates.
 * Also fills the names table (address -> name evidence) with registrable domains (psl.c).
 *
 * Works only on database rows (schema.sql): the ingest pipeline has filled flows and
 * dns_answers and calls pd_names_attribute() inside its transaction. One pass in memory:
 *   1. address answers (A, AAAA, HTTPS/SVCB hints) are loaded ordered by (answer, ts_ns)
 *      through the dns_answers_answer index, grouped per address;
 *   2. PTR answers seen in the capture are mapped back to their address (in-addr.arpa,
 *      ip6.arpa nibbles);
 *   3. names seen in flows (TLS/QUIC SNI, HTTP Host, CONNECT authority) are counted per
 *      server address; an address that carried names of several registrable domains is
 *      shared (CDN ambiguity);
 *   4. flows are read in id order in batches and updated; each flow's lookup is a binary
 *      search in its address's answers plus a backward scan bounded by the address's
 *      longest TTL window and by PD_ATTR_MAX_SCAN.
 * Memory grows with distinct addresses, names and address answers, not with flows.
 *
 * Evidence, strongest first, and confidence (README "Attribution"):
 *   sni, quic-sni, http-host  named in the flow itself (CONNECT authority counts as
 *                             http-host: it is the proxied destination)          high
 *   dns                       answer to the same client for this address, ts <= flow start
 *                             <= ts + ttl + grace; the asked name, most recent wins high
 *                             (an answer to a loopback client - a stub resolver on the
 *                             capture host such as Docker's 127.0.0.11 or systemd-resolved -
 *                             counts as an answer to every client of the capture: the host's
 *                             processes asked it, and their flows carry the host's address)
 *   dns-other-client          such an answer, but to another client                medium
 *   dns-expired               an answer before the flow, outside ttl + grace       low
 *   sni/quic-sni with ECH     the visible SNI may be only the outer public name:
 *                             used when no DNS answer names the address, and listed
 *                             as the flow's candidate                              medium
 *   ptr-capture               a PTR answer for the address seen in the capture     low
 *   none                      nothing names the address                            low
 * An ambiguous flow drops one step (high -> medium -> low). A flow is ambiguous when the
 * names that fit it belong to several registrable domains, or when it has no name of its own
 * (no non-ECH SNI/Host) and its address is shared; candidates then lists the names, the
 * attributed one first, then by count. Answers that arrive after a flow starts never name it.
 * Every growing set is capped: PD_MAX_NAMES_PER_ADDR name records per address,
 * PD_MAX_CANDIDATES candidates per flow, PD_ATTR_MAX_SCAN answers scanned per flow; reaching
 * a cap is recorded as a 'limit' finding with a count, never as unbounded memory.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

#define PD_ATTR_MAX_NAME   1024 /* longer strings are not names */
#define PD_ATTR_MAX_SCAN   1024 /* answers of one address scanned per flow */
#define PD_ATTR_BATCH      2048 /* flows read per query */
#define PD_ATTR_CAND_BYTES 4096 /* candidates string */
#define NS                 1000000000LL
#define PD_ATTR_MAX_GRACE  (10LL * 366 * 86400 * NS) /* a longer --dns-grace is this */

enum src { SRC_DNS, SRC_SNI, SRC_QUIC, SRC_HTTP, SRC_PTR, SRC__N };
static const char *const src_names[SRC__N] = { "dns", "sni", "quic-sni", "http-host",
	                                       "ptr-capture" };

enum conf { CONF_LOW, CONF_MEDIUM, CONF_HIGH };
static const char *const conf_names[] = { "low", "medium", "high" };

/* ---- string interning: id 0 is "none" ---- */

struct strtab {
	char **blocks;
	size_t nblocks, left;
	char *cur;
	const char **strs;
	uint32_t *hash;
	uint32_t n, cap;
	uint32_t *slots; /* ids, 0 = empty */
	uint32_t mask;
};

static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static void st_free(struct strtab *t)
{
	size_t i;

	for (i = 0; i < t->nblocks; i++)
		free(t->blocks[i]);
	free(t->blocks);
	free(t->strs);
	free(t->hash);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint32_t st_find_h(const struct strtab *t, const char *s, size_t n, uint32_t h)
{
	uint32_t i, id;

	if (!t->slots)
		return 0;
	for (i = h & t->mask;; i = (i + 1) & t->mask) {
		id = t->slots[i];
		if (!id)
			return 0;
		if (t->hash[id] == h && strncmp(t->strs[id], s, n) == 0 && t->strs[id][n] == 0)
			return id;
	}
}

static uint32_t st_find(const struct strtab *t, const char *s, size_t n)
{
	return st_find_h(t, s, n, str_hash(s, n));
}

static int st_grow_slots(struct strtab *t)
{
	uint32_t nmask = t->mask ? t->mask * 2 + 1 : 1023, i, j;
	uint32_t *ns = calloc((size_t)nmask + 1, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 1; i < t->n; i++) {
		for (j = t->hash[i] & nmask; ns[j]; j = (j + 1) & nmask)
			;
		ns[j] = i;
	}
	free(t->slots);
	t->slots = ns;
	t->mask = nmask;
	return 0;
}

static char *st_alloc(struct strtab *t, size_t n)
{
	char *p, **nb;
	size_t bs = 65536;

	if (n > t->left) {
		if (n > bs / 4)
			bs = n;
		p = malloc(bs);
		nb = realloc(t->blocks, (t->nblocks + 1) * sizeof(*nb));
		if (!p || !nb) {
			free(p);
			if (nb)
				t->blocks = nb;
			return NULL;
		}
		t->blocks = nb;
		t->blocks[t->nblocks++] = p;
		t->cur = p;
		t->left = bs;
	}
	p = t->cur;
	t->cur += n;
	t->left -= n;
	return p;
}

/* Interns s[0..n); returns its id or 0 when out of memory. */
static uint32_t st_intern(struct strtab *t, const char *s, size_t n)
{
	uint32_t h = str_hash(s, n), id, j;
	char *p;

	id = st_find_h(t, s, n, h);
	if (id)
		return id;
	if (!t->n)
		t->n = 1;
	if (t->n + 1 >= t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 1024;
		const char **nstrs = realloc(t->strs, ncap * sizeof(*nstrs));
		uint32_t *nh;

		if (!nstrs)
			return 0;
		t->strs = nstrs;
		nh = realloc(t->hash, ncap * sizeof(*nh));
		if (!nh)
			return 0;
		t->hash = nh;
		t->cap = ncap;
	}
	if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && st_grow_slots(t) < 0)
		return 0;
	p = st_alloc(t, n + 1);
	if (!p)
		return 0;
	memcpy(p, s, n);
	p[n] = 0;
	id = t->n++;
	t->strs[id] = p;
	t->hash[id] = h;
	for (j = h & t->mask; t->slots[j]; j = (j + 1) & t->mask)
		;
	t->slots[j] = id;
	return id;
}

/* ---- the in-memory model of one capture ---- */

struct ans {
	int64_t ts, expire, id;
	uint32_t client, name, chain;
	uint8_t local; /* asked from a loopback address: a stub resolver on the capture host */
};

struct nment { /* one names-table row */
	uint32_t ip, name, next;
	uint8_t src;
	uint32_t count;
	int64_t first, last;
};

struct addr {
	uint32_t ans_first, ans_n;
	int64_t max_window;
	uint32_t names; /* head of the nment list, 0 = none */
	uint32_t nnames;
	uint32_t dropped; /* name records not kept (cap) */
	uint32_t ptr_name;
	int64_t ptr_ts;
	uint32_t cand_first, cand_n; /* shared address: candidate names by count */
	uint8_t shared;
};

struct ctx {
	sqlite3 *db;
	int64_t capture_id, grace_ns;
	char *errbuf;
	struct strtab ips, names;
	struct addr *addrs;
	uint32_t naddrs;
	struct ans *ans;
	size_t nans, cap_ans;
	struct nment *nm;
	uint32_t nnm, cap_nm;
	uint32_t *nm_slots, nm_mask;
	uint32_t *reg; /* names id -> registrable id (names table), 0 = not computed */
	uint32_t nreg;
	uint32_t *cands;
	uint32_t ncands, cap_cands;
	uint64_t cand_cut, scan_cut;
};

static enum pd_err db_err(struct ctx *c, const char *what)
{
	return pd_errf(c->errbuf, PD_ERR_DB, "attribution: %s: %s", what, sqlite3_errmsg(c->db));
}

static enum pd_err nomem(struct ctx *c)
{
	return pd_errf(c->errbuf, PD_ERR_NOMEM, "attribution: out of memory");
}

static struct addr *addr_of(struct ctx *c, uint32_t ip)
{
	if (ip >= c->naddrs) {
		uint32_t n = c->naddrs ? c->naddrs : 1024;
		struct addr *na;

		while (n <= ip)
			n *= 2;
		na = realloc(c->addrs, (size_t)n * sizeof(*na));
		if (!na)
			return NULL;
		memset(na + c->naddrs, 0, (size_t)(n - c->naddrs) * sizeof(*na));
		c->addrs = na;
		c->naddrs = n;
	}
	return &c->addrs[ip];
}

/* Lowercases (ASCII) s[0..n) into out and drops one trailing dot. With host, s is an HTTP Host
 * or CONNECT authority: a :port is cut. Returns the length, or 0 when s is not a name (empty,
 * too long, or an address literal, which names nothing beyond the address itself). */
static size_t norm_name(const char *s, size_t n, int host, char out[PD_ATTR_MAX_NAME + 1])
{
	unsigned char tmp[16];
	size_t i, colons = 0, last_colon = 0;

	if (host) {
		if (n && s[0] == '[')
			return 0; /* [IPv6]:port */
		for (i = 0; i < n; i++)
			if (s[i] == ':') {
				colons++;
				last_colon = i;
			}
		if (colons > 1)
			return 0; /* a bare IPv6 address */
		if (colons == 1)
			n = last_colon;
	}
	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > PD_ATTR_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	out[n] = 0;
	if (host && (inet_pton(AF_INET, out, tmp) == 1 || inet_pton(AF_INET6, out, tmp) == 1))
		return 0;
	return n;
}

static uint32_t intern_name(struct ctx *c, const unsigned char *s, int host, int *oom)
{
	char buf[PD_ATTR_MAX_NAME + 1];
	size_t n;
	uint32_t id;

	if (!s)
		return 0;
	n = norm_name((const char *)s, strlen((const char *)s), host, buf);
	if (!n)
		return 0;
	id = st_intern(&c->names, buf, n);
	if (!id)
		*oom = 1;
	return id;
}

static uint32_t nm_hash(uint32_t ip, uint32_t name, uint8_t src)
{
	uint64_t k = ((uint64_t)ip << 32 | name) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32) ^ src;
}

static int nm_grow(struct ctx *c)
{
	uint32_t nmask = c->nm_mask ? c->nm_mask * 2 + 1 : 4095, i, j;
	uint32_t *ns = calloc((size_t)nmask + 1, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 1; i < c->nnm; i++) {
		for (j = nm_hash(c->nm[i].ip, c->nm[i].name, c->nm[i].src) & nmask; ns[j];
		     j = (j + 1) & nmask)
			;
		ns[j] = i;
	}
	free(c->nm_slots);
	c->nm_slots = ns;
	c->nm_mask = nmask;
	return 0;
}

/* Counts one sighting of (ip, name, src) at ts. Returns -1 when out of memory; a record over
 * the per-address cap is counted in addr.dropped instead. */
static int nm_add(struct ctx *c, uint32_t ip, uint32_t name, uint8_t src, int64_t ts)
{
	struct addr *a = addr_of(c, ip);
	struct nment *e;
	uint32_t j, id;

	if (!a)
		return -1;
	if (!c->nnm)
		c->nnm = 1;
	if ((uint64_t)(c->nnm + 1) * 2 > (uint64_t)c->nm_mask + 1 && nm_grow(c) < 0)
		return -1;
	for (j = nm_hash(ip, name, src) & c->nm_mask; (id = c->nm_slots[j]) != 0;
	     j = (j + 1) & c->nm_mask) {
		e = &c->nm[id];
		if (e->ip == ip && e->name == name && e->src == src) {
			e->count++;
			if (ts < e->first)
				e->first = ts;
			if (ts > e->last)
				e->last = ts;
			return 0;
		}
	}
	if (a->nnames >= PD_MAX_NAMES_PER_ADDR) {
		a->dropped++;
		return 0;
	}
	if (c->nnm + 1 >= c->cap_nm) {
		uint32_t ncap = c->cap_nm ? c->cap_nm * 2 : 4096;
		struct nment *nn = realloc(c->nm, (size_t)ncap * sizeof(*nn));

		if (!nn)
			return -1;
		c->nm = nn;
		c->cap_nm = ncap;
	}
	id = c->nnm++;
	e = &c->nm[id];
	e->ip = ip;
	e->name = name;
	e->src = src;
	e->count = 1;
	e->first = e->last = ts;
	e->next = a->names;
	a->names = id;
	a->nnames++;
	c->nm_slots[j] = id;
	return 0;
}

/* Registrable domain of a name (interned into the names table), cached per name. */
static uint32_t reg_of(struct ctx *c, uint32_t name)
{
	char buf[PD_ATTR_MAX_NAME + 1];
	uint32_t r;

	if (name >= c->nreg) {
		uint32_t n = c->nreg ? c->nreg : 1024, *nr;

		while (n <= name)
			n *= 2;
		nr = realloc(c->reg, (size_t)n * sizeof(*nr));
		if (!nr)
			return 0;
		memset(nr + c->nreg, 0, (size_t)(n - c->nreg) * sizeof(*nr));
		c->reg = nr;
		c->nreg = n;
	}
	if (c->reg[name])
		return c->reg[name];
	pd_registrable(c->names.strs[name], buf, sizeof(buf));
	r = st_intern(&c->names, buf, strlen(buf));
	if (r && r < c->nreg)
		c->reg[name] = r;
	return r;
}

/* Times come from the database: add without signed overflow. */
static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* ---- loading ---- */

/*
 * Only answers for addresses that carried a flow: the others cannot name a flow or make one
 * ambiguous, and a capture full of lookups (a crawler, a hostile DNS flood) would otherwise
 * hold every answer in memory (~145 bytes each). They stay in dns_answers for the report.
 */
static enum pd_err load_answers(struct ctx *c)
{
	static const char sql[] =
	        "SELECT id, ts_ns, client_ip, qname, ttl, chain, answer FROM dns_answers"
	        " WHERE capture_id = ?1 AND rr_type IN ('A', 'AAAA', 'HINT') AND answer IS NOT NULL"
	        " AND answer IN (SELECT server_ip FROM flows WHERE capture_id = ?1)"
	        " ORDER BY answer, ts_ns, id";
	sqlite3_stmt *st;
	uint32_t cur_ip = 0;
	int rc, oom = 0;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(c, "reading DNS answers");
	sqlite3_bind_int64(st, 1, c->capture_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *answer = (const char *)sqlite3_column_text(st, 6);
		const char *client = (const char *)sqlite3_column_text(st, 2);
		const unsigned char *chain = sqlite3_column_text(st, 5);
		int64_t ttl = sqlite3_column_int64(st, 4), ts = sqlite3_column_int64(st, 1);
		struct ans *an;
		struct addr *a;
		uint32_t ip, name;

		if (!answer || !client)
			continue;
		name = intern_name(c, sqlite3_column_text(st, 3), 0, &oom);
		ip = st_intern(&c->ips, answer, strlen(answer));
		if (oom || !ip || !(a = addr_of(c, ip)))
			goto oom;
		if (!name)
			continue;
		if (ip != cur_ip) {
			cur_ip = ip;
			a->ans_first = (uint32_t)c->nans;
			a->ans_n = 0;
		}
		if (c->nans == c->cap_ans) {
			size_t ncap = c->cap_ans ? c->cap_ans * 2 : 4096;
			struct ans *na;

			if (ncap > UINT32_MAX)
				goto oom;
			na = realloc(c->ans, ncap * sizeof(*na));
			if (!na)
				goto oom;
			c->ans = na;
			c->cap_ans = ncap;
		}
		an = &c->ans[c->nans++];
		a->ans_n++;
		if (ttl < 0)
			ttl = 0;
		if (ttl > INT32_MAX)
			ttl = INT32_MAX;
		an->id = sqlite3_column_int64(st, 0);
		an->ts = ts;
		/* window = ttl + grace: at most ~68 years + the clamped grace, no overflow */
		an->expire = sat_add(ts, ttl * NS + c->grace_ns);
		if (ttl * NS + c->grace_ns > a->max_window)
			a->max_window = ttl * NS + c->grace_ns;
		an->name = name;
		an->client = st_intern(&c->ips, client, strlen(client));
		an->local = strncmp(client, "127.", 4) == 0 || strcmp(client, "::1") == 0 ||
		            strncmp(client, "::ffff:127.", 11) == 0;
		an->chain = 0;
		if (chain && strchr((const char *)chain, '>'))
			an->chain = intern_name(c, chain, 0, &oom);
		if (oom || !an->client || nm_add(c, ip, name, SRC_DNS, ts) < 0)
			goto oom;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(c, "reading DNS answers");
	return PD_OK;
oom:
	sqlite3_finalize(st);
	return nomem(c);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * The address a reverse name stands for (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa),
 * as inet_ntop text into out (INET6_ADDRSTRLEN). Returns 0 on success, -1 when qname is not
 * a complete reverse name (a partial one names a network, not an address).
 */
int pd_names_ptr_addr(const char *qname, char *out, size_t len)
{
	size_t n = strlen(qname);
	uint8_t a[16];
	int i;

	if (n && qname[n - 1] == '.')
		n--;
	if (n > 13 && strncasecmp(qname + n - 13, ".in-addr.arpa", 13) == 0) {
		const char *p = qname, *end = qname + n - 13;

		for (i = 3; i >= 0; i--) {
			unsigned v = 0, digits = 0;

			while (p < end && *p >= '0' && *p <= '9' && digits < 4) {
				v = v * 10 + (unsigned)(*p++ - '0');
				digits++;
			}
			if (!digits || digits > 3 || v > 255)
				return -1;
			a[i] = (uint8_t)v;
			if (i > 0) {
				if (p >= end || *p != '.')
					return -1;
				p++;
			}
		}
		if (p != end)
			return -1;
		return inet_ntop(AF_INET, a, out, (socklen_t)len) ? 0 : -1;
	}
	if (n == 64 + 8 && strncasecmp(qname + 64, "ip6.arpa", 8) == 0) {
		for (i = 0; i < 32; i++) {
			int v = hexval(qname[2 * i]);

			if (v < 0 || qname[2 * i + 1] != '.')
				return -1;
			if (i % 2 == 0)
				a[15 - i / 2] = (uint8_t)v;
			else
				a[15 - i / 2] |= (uint8_t)(v << 4);
		}
		return inet_ntop(AF_INET6, a, out, (socklen_t)len) ? 0 : -1;
	}
	return -1;
}

static enum pd_err load_ptrs(struct ctx *c)
{
	static const char sql[] =
	        "SELECT qname, answer, ts_ns FROM dns_answers"
	        " WHERE capture_id = ?1 AND rr_type = 'PTR' AND answer IS NOT NULL";
	sqlite3_stmt *st;
	int rc, oom = 0;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(c, "reading PTR answers");
	sqlite3_bind_int64(st, 1, c->capture_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *qname = (const char *)sqlite3_column_text(st, 0);
		int64_t ts = sqlite3_column_int64(st, 2);
		char ipbuf[64];
		struct addr *a;
		uint32_t ip, name;

		if (!qname || pd_names_ptr_addr(qname, ipbuf, sizeof(ipbuf)) < 0)
			continue;
		name = intern_name(c, sqlite3_column_text(st, 1), 0, &oom);
		if (oom)
			goto oom;
		if (!name)
			continue;
		ip = st_intern(&c->ips, ipbuf, strlen(ipbuf));
		if (!ip || !(a = addr_of(c, ip)) || nm_add(c, ip, name, SRC_PTR, ts) < 0)
			goto oom;
		if (!a->ptr_name || ts >= a->ptr_ts) {
			a->ptr_name = name;
			a->ptr_ts = ts;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(c, "reading PTR answers");
	return PD_OK;
oom:
	sqlite3_finalize(st);
	return nomem(c);
}

/* Column order shared by the two flow queries, from col 0: server_ip, sni, ech, http_host,
 * http_connect, app_proto, quic_version, first_ns. */
struct inflow {
	uint32_t name; /* the flow's own name, 0 = none */
	uint8_t src;
	uint32_t outer; /* SNI of a ClientHello with ECH (maybe only the outer name), 0 = none */
	uint8_t outer_src;
};

static struct inflow inflow_of(struct ctx *c, sqlite3_stmt *st, int col, int *oom)
{
	struct inflow f = { 0, 0, 0, 0 };
	const unsigned char *app = sqlite3_column_text(st, col + 5);
	int quic = (app && strcmp((const char *)app, "quic") == 0) ||
	           sqlite3_column_type(st, col + 6) != SQLITE_NULL;
	uint32_t sni = intern_name(c, sqlite3_column_text(st, col + 1), 0, oom);

	if (sni && sqlite3_column_int(st, col + 2)) {
		f.outer = sni;
		f.outer_src = quic ? SRC_QUIC : SRC_SNI;
		sni = 0;
	}
	if (sni) {
		f.name = sni;
		f.src = quic ? SRC_QUIC : SRC_SNI;
		return f;
	}
	f.name = intern_name(c, sqlite3_column_text(st, col + 4), 1, oom);
	if (!f.name)
		f.name = intern_name(c, sqlite3_column_text(st, col + 3), 1, oom);
	f.src = SRC_HTTP;
	return f;
}

static enum pd_err load_inflow_names(struct ctx *c)
{
	static const char sql[] =
	        "SELECT server_ip, sni, ech, http_host, http_connect, app_proto, quic_version,"
	        " first_ns FROM flows WHERE capture_id = ?1 AND (sni IS NOT NULL OR"
	        " http_host IS NOT NULL OR http_connect IS NOT NULL)";
	sqlite3_stmt *st;
	int rc, oom = 0;

	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(c, "reading flow names");
	sqlite3_bind_int64(st, 1, c->capture_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *server = (const char *)sqlite3_column_text(st, 0);
		struct inflow f = inflow_of(c, st, 0, &oom);
		uint32_t ip;

		if (oom)
			goto oom;
		if (!f.name || !server)
			continue;
		ip = st_intern(&c->ips, server, strlen(server));
		if (!ip || nm_add(c, ip, f.name, f.src, sqlite3_column_int64(st, 7)) < 0)
			goto oom;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(c, "reading flow names");
	return PD_OK;
oom:
	sqlite3_finalize(st);
	return nomem(c);
}

/* ---- shared addresses ---- */

static int cand_push(struct ctx *c, uint32_t name)
{
	if (c->ncands == c->cap_cands) {
		uint32_t ncap = c->cap_cands ? c->cap_cands * 2 : 1024, *nc;

		nc = realloc(c->cands, (size_t)ncap * sizeof(*nc));
		if (!nc)
			return -1;
		c->cands = nc;
		c->cap_cands = ncap;
	}
	c->cands[c->ncands++] = name;
	return 0;
}

/* Marks addresses whose names (PTR names aside: they name the host, not the site) span
 * several registrable domains, and keeps their names ordered by count for candidates. */
static enum pd_err find_shared(struct ctx *c)
{
	uint32_t ip, i, j, e, n;
	uint32_t names[PD_MAX_NAMES_PER_ADDR], counts[PD_MAX_NAMES_PER_ADDR];

	for (ip = 1; ip < c->ips.n && ip < c->naddrs; ip++) {
		struct addr *a = &c->addrs[ip];
		uint32_t reg0 = 0;
		int shared = 0;

		if (a->nnames < 2)
			continue;
		n = 0;
		for (e = a->names; e; e = c->nm[e].next) {
			const struct nment *m = &c->nm[e];
			uint32_t r;

			if (m->src == SRC_PTR)
				continue;
			r = reg_of(c, m->name);
			if (!r)
				return nomem(c);
			if (!reg0)
				reg0 = r;
			else if (r != reg0)
				shared = 1;
			for (i = 0; i < n && names[i] != m->name; i++)
				;
			if (i == n) {
				names[n] = m->name;
				counts[n++] = 0;
			}
			counts[i] += m->count;
		}
		if (!shared)
			continue;
		/* insertion sort by count descending, then by name for a stable report */
		for (i = 1; i < n; i++) {
			uint32_t nm = names[i], ct = counts[i];

			for (j = i;
			     j > 0 && (counts[j - 1] < ct ||
			               (counts[j - 1] == ct && strcmp(c->names.strs[names[j - 1]],
			                                              c->names.strs[nm]) > 0));
			     j--) {
				names[j] = names[j - 1];
				counts[j] = counts[j - 1];
			}
			names[j] = nm;
			counts[j] = ct;
		}
		a->shared = 1;
		a->cand_first = c->ncands;
		a->cand_n = n;
		for (i = 0; i < n; i++)
			if (cand_push(c, names[i]) < 0)
				return nomem(c);
	}
	return PD_OK;
}

/* ---- per flow ---- */

struct result {
	int64_t id;
	uint32_t name, chain;
	const char *evidence;
	enum conf conf;
	int ambiguous;
	int64_t ans_id; /* 0 = none */
	uint32_t cands[PD_MAX_CANDIDATES];
	unsigned ncands;
};

static void add_cand(struct ctx *c, struct result *r, uint32_t name, int *cut)
{
	unsigned i;

	for (i = 0; i < r->ncands; i++)
		if (r->cands[i] == name)
			return;
	if (r->ncands == PD_MAX_CANDIDATES) {
		*cut = 1;
		return;
	}
	r->cands[r->ncands++] = name;
}

/*
 * Writes candidates '|'-joined into out; '|' inside a name (hostile bytes) is written as the
 * DNS presentation escape \124 so the list stays splittable. Returns the length.
 */
static size_t cands_str(const struct ctx *c, const struct result *r, char *out, size_t len)
{
	size_t o = 0;
	unsigned i;

	for (i = 0; i < r->ncands; i++) {
		const char *s = c->names.strs[r->cands[i]];
		size_t need = strlen(s) + 1;

		if (o + need + 4 * 8 >= len)
			break;
		if (i)
			out[o++] = '|';
		for (; *s && o + 5 < len; s++) {
			if (*s == '|') {
				memcpy(out + o, "\\124", 4);
				o += 4;
			} else {
				out[o++] = *s;
			}
		}
	}
	out[o] = 0;
	return o;
}

struct frow {
	int64_t id, first;
	uint32_t client, server;
	struct inflow f;
	int pristine;
};

static void attribute_one(struct ctx *c, const struct frow *fr, struct result *r)
{
	const struct ans *same = NULL, *other = NULL, *expired = NULL;
	struct addr *a = fr->server < c->naddrs ? &c->addrs[fr->server] : NULL;
	uint32_t fit[PD_MAX_CANDIDATES], nfit = 0, fit_reg = 0;
	int fit_multi_reg = 0, cut = 0;
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->id = fr->id;
	r->evidence = "none";
	r->conf = CONF_LOW;

	if (a && a->ans_n) {
		const struct ans *base = c->ans + a->ans_first;
		size_t lo = 0, hi = a->ans_n, steps = 0;

		/* first answer with ts > first: answers after the flow start never name it */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (base[mid].ts <= fr->first)
				lo = mid + 1;
			else
				hi = mid;
		}
		while (lo > 0) {
			const struct ans *an = &base[--lo];
			int in_window = fr->first <= an->expire;

			if (++steps > PD_ATTR_MAX_SCAN) {
				c->scan_cut++;
				break;
			}
			if (sat_add(an->ts, a->max_window) < fr->first) {
				if (!expired)
					expired = an;
				break; /* nothing earlier can be in its window */
			}
			if (!in_window) {
				if (!expired)
					expired = an;
				continue;
			}
			if (an->client == fr->client || an->local) {
				if (!same)
					same = an;
				for (i = 0; i < nfit && fit[i] != an->name; i++)
					;
				if (i == nfit && nfit < PD_MAX_CANDIDATES) {
					uint32_t rg = reg_of(c, an->name);

					fit[nfit++] = an->name;
					if (fit_reg && rg != fit_reg)
						fit_multi_reg = 1;
					fit_reg = rg;
				}
			} else if (!other) {
				other = an;
			}
		}
	}

	if (fr->f.name) {
		r->name = fr->f.name;
		r->evidence = src_names[fr->f.src];
		r->conf = CONF_HIGH;
		if (same && same->name == fr->f.name) {
			r->chain = same->chain;
			r->ans_id = same->id;
		}
		return;
	}
	if (same) {
		r->name = same->name;
		r->chain = same->chain;
		r->ans_id = same->id;
		r->evidence = "dns";
		r->conf = CONF_HIGH;
		if (nfit > 1) {
			for (i = 0; i < nfit; i++)
				add_cand(c, r, fit[i], &cut);
			r->ambiguous = fit_multi_reg;
		}
	} else if (other || expired) {
		const struct ans *an = other ? other : expired;

		r->name = an->name;
		r->chain = an->chain;
		r->ans_id = an->id;
		r->evidence = other ? "dns-other-client" : "dns-expired";
		r->conf = other ? CONF_MEDIUM : CONF_LOW;
	} else if (fr->f.outer) {
		/* ECH: the SNI is the provider's public name when ECH is real, the destination
		 * when the extension is GREASE (Chrome sends it by default): no DNS to tell */
		r->name = fr->f.outer;
		r->evidence = src_names[fr->f.outer_src];
		r->conf = CONF_MEDIUM;
		add_cand(c, r, fr->f.outer, &cut);
	} else if (a && a->ptr_name) {
		r->name = a->ptr_name;
		r->evidence = "ptr-capture";
		r->conf = CONF_LOW;
	}
	if (a && a->shared) {
		if (r->name && !r->ncands)
			add_cand(c, r, r->name, &cut);
		for (i = 0; i < a->cand_n; i++)
			add_cand(c, r, c->cands[a->cand_first + i], &cut);
		r->ambiguous = 1;
	}
	if (r->ambiguous && r->conf > CONF_LOW)
		r->conf--;
	if (cut)
		c->cand_cut++;
}

static enum pd_err write_flow(struct ctx *c, sqlite3_stmt *up, const struct result *r)
{
	char cand[PD_ATTR_CAND_BYTES];

	sqlite3_reset(up);
	if (r->name)
		sqlite3_bind_text(up, 1, c->names.strs[r->name], -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(up, 1);
	sqlite3_bind_text(up, 2, r->evidence, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, conf_names[r->conf], -1, SQLITE_STATIC);
	if (r->chain)
		sqlite3_bind_text(up, 4, c->names.strs[r->chain], -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(up, 4);
	if (r->ncands) {
		size_t n = cands_str(c, r, cand, sizeof(cand));

		sqlite3_bind_text(up, 5, cand, (int)n, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(up, 5);
	}
	sqlite3_bind_int(up, 6, r->ambiguous);
	if (r->ans_id)
		sqlite3_bind_int64(up, 7, r->ans_id);
	else
		sqlite3_bind_null(up, 7);
	sqlite3_bind_int64(up, 8, r->id);
	if (sqlite3_step(up) != SQLITE_DONE)
		return db_err(c, "updating flows");
	return PD_OK;
}

static enum pd_err attribute_flows(struct ctx *c)
{
	static const char sel_sql[] =
	        "SELECT server_ip, sni, ech, http_host, http_connect, app_proto, quic_version,"
	        " first_ns, id, client_ip, (name IS NULL AND evidence = 'none' AND"
	        " confidence = 'low' AND cname_chain IS NULL AND candidates IS NULL AND"
	        " ambiguous = 0 AND dns_answer_id IS NULL) FROM flows"
	        " WHERE capture_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
	static const char up_sql[] =
	        "UPDATE flows SET name = ?1, evidence = ?2, confidence = ?3, cname_chain = ?4,"
	        " candidates = ?5, ambiguous = ?6, dns_answer_id = ?7 WHERE id = ?8";
	sqlite3_stmt *sel = NULL, *up = NULL;
	struct frow *rows;
	int64_t last = INT64_MIN;
	enum pd_err err = PD_OK;
	int rc, oom = 0;

	rows = malloc(PD_ATTR_BATCH * sizeof(*rows));
	if (!rows)
		return nomem(c);
	if (sqlite3_prepare_v2(c->db, sel_sql, -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, up_sql, -1, &up, NULL) != SQLITE_OK) {
		err = db_err(c, "preparing flow attribution");
		goto out;
	}
	for (;;) {
		size_t n = 0, i;

		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, c->capture_id);
		sqlite3_bind_int64(sel, 2, last);
		sqlite3_bind_int(sel, 3, PD_ATTR_BATCH);
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			struct frow *fr = &rows[n++];
			const char *server = (const char *)sqlite3_column_text(sel, 0);
			const char *client = (const char *)sqlite3_column_text(sel, 9);

			fr->f = inflow_of(c, sel, 0, &oom);
			if (oom) {
				err = nomem(c);
				goto out;
			}
			fr->first = sqlite3_column_int64(sel, 7);
			fr->id = sqlite3_column_int64(sel, 8);
			fr->server = server ? st_find(&c->ips, server, strlen(server)) : 0;
			if (!fr->server && server && fr->f.outer) {
				/* an ECH outer name may end up in the names table */
				fr->server = st_intern(&c->ips, server, strlen(server));
				if (!fr->server) {
					err = nomem(c);
					goto out;
				}
			}
			fr->client = client ? st_find(&c->ips, client, strlen(client)) : 0;
			fr->pristine = sqlite3_column_int(sel, 10);
			last = fr->id;
		}
		if (rc != SQLITE_DONE) {
			err = db_err(c, "reading flows");
			goto out;
		}
		sqlite3_reset(sel);
		for (i = 0; i < n; i++) {
			struct result r;

			attribute_one(c, &rows[i], &r);
			if (r.name == rows[i].f.outer && r.name && rows[i].server &&
			    nm_add(c, rows[i].server, r.name, rows[i].f.outer_src, rows[i].first) <
			            0) {
				err = nomem(c);
				goto out;
			}
			if (rows[i].pristine && !r.name && !r.ncands && !r.ambiguous)
				continue; /* the row already says none */
			err = write_flow(c, up, &r);
			if (err)
				goto out;
		}
		if (n < PD_ATTR_BATCH)
			break;
	}
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(up);
	free(rows);
	return err;
}

/* ---- names table and findings ---- */

static enum pd_err add_finding(struct ctx *c, sqlite3_stmt *st, const char *subject,
                               const char *detail, uint64_t count)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, c->capture_id);
	if (subject)
		sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)count);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_err(c, "writing findings");
	return PD_OK;
}

static enum pd_err write_names(struct ctx *c)
{
	static const char ins_sql[] =
	        "INSERT INTO names (capture_id, ip, name, registrable, source, count, first_ns,"
	        " last_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	static const char find_sql[] =
	        "INSERT INTO findings (capture_id, kind, severity, subject, detail, count)"
	        " VALUES (?1, 'limit', 'warning', ?2, ?3, ?4)";
	sqlite3_stmt *ins = NULL, *fnd = NULL;
	enum pd_err err = PD_OK;
	char detail[256];
	uint32_t i, ip;

	if (sqlite3_prepare_v2(c->db, ins_sql, -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, find_sql, -1, &fnd, NULL) != SQLITE_OK) {
		err = db_err(c, "preparing names");
		goto out;
	}
	for (i = 1; i < c->nnm; i++) {
		const struct nment *e = &c->nm[i];
		uint32_t r = reg_of(c, e->name);

		if (!r) {
			err = nomem(c);
			goto out;
		}
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, c->capture_id);
		sqlite3_bind_text(ins, 2, c->ips.strs[e->ip], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, c->names.strs[e->name], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, c->names.strs[r], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, src_names[e->src], -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 6, e->count);
		sqlite3_bind_int64(ins, 7, e->first);
		sqlite3_bind_int64(ins, 8, e->last);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			err = db_err(c, "writing names");
			goto out;
		}
	}
	for (ip = 1; ip < c->ips.n && ip < c->naddrs; ip++) {
		if (!c->addrs[ip].dropped)
			continue;
		snprintf(detail, sizeof(detail),
		         "attribution: more than %d names for this address; %" PRIu32
		         " name records not kept",
		         PD_MAX_NAMES_PER_ADDR, c->addrs[ip].dropped);
		err = add_finding(c, fnd, c->ips.strs[ip], detail, c->addrs[ip].dropped);
		if (err)
			goto out;
	}
	if (c->cand_cut) {
		snprintf(detail, sizeof(detail), "attribution: candidate lists cut at %d names",
		         PD_MAX_CANDIDATES);
		err = add_finding(c, fnd, NULL, detail, c->cand_cut);
		if (err)
			goto out;
	}
	if (c->scan_cut) {
		snprintf(detail, sizeof(detail),
		         "attribution: DNS answer scan cut at %d answers for one address",
		         PD_ATTR_MAX_SCAN);
		err = add_finding(c, fnd, NULL, detail, c->scan_cut);
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(fnd);
	return err;
}

static enum pd_err clear_previous(struct ctx *c)
{
	static const char *const sqls[] = {
		"DELETE FROM names WHERE capture_id = ?1",
		"DELETE FROM findings WHERE capture_id = ?1 AND kind = 'limit'"
		" AND detail LIKE 'attribution: %'",
	};
	size_t i;

	for (i = 0; i < sizeof(sqls) / sizeof(sqls[0]); i++) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(c->db, sqls[i], -1, &st, NULL) != SQLITE_OK)
			return db_err(c, "clearing previous attribution");
		sqlite3_bind_int64(st, 1, c->capture_id);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(c, "clearing previous attribution");
	}
	return PD_OK;
}

/*
 * Re-running on the same capture recomputes everything (names rows and this module's
 * findings are replaced). Runs inside a savepoint so a failure leaves the rows as they were,
 * whether or not the caller holds a transaction.
 */
enum pd_err pd_names_attribute(sqlite3 *db, int64_t capture_id, const struct pd_attr_opts *opts,
                               char errbuf[PD_ERRBUF_SIZE])
{
	struct ctx c;
	enum pd_err err;

	memset(&c, 0, sizeof(c));
	c.db = db;
	c.capture_id = capture_id;
	c.errbuf = errbuf;
	c.grace_ns = PD_DNS_GRACE_DEFAULT_S * NS;
	if (opts && opts->dns_grace_ns > 0)
		c.grace_ns = opts->dns_grace_ns < PD_ATTR_MAX_GRACE ? opts->dns_grace_ns
		                                                    : PD_ATTR_MAX_GRACE;
	else if (opts && opts->dns_grace_ns < 0)
		c.grace_ns = 0; /* an explicit "no grace" */

	if (sqlite3_exec(db, "SAVEPOINT pd_names", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(&c, "starting");
	err = clear_previous(&c);
	if (!err)
		err = load_answers(&c);
	if (!err)
		err = load_ptrs(&c);
	if (!err)
		err = load_inflow_names(&c);
	if (!err)
		err = find_shared(&c);
	if (!err)
		err = attribute_flows(&c);
	if (!err)
		err = write_names(&c);
	if (err) {
		sqlite3_exec(db, "ROLLBACK TO pd_names", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE pd_names", NULL, NULL, NULL);
	} else if (sqlite3_exec(db, "RELEASE pd_names", NULL, NULL, NULL) != SQLITE_OK) {
		err = db_err(&c, "committing");
	}
	st_free(&c.ips);
	st_free(&c.names);
	free(c.addrs);
	free(c.ans);
	free(c.nm);
	free(c.nm_slots);
	free(c.reg);
	free(c.cands);
	return err;
}
