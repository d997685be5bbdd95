/*
 * names.c - attribution (SPEC 2.3): every flow of a capture gets a destination name, the
 * evidence behind it, a confidence, its CNAME chain and, when several names fit, candidates.
 * Also fills the names table (address -> name evidence) with registrable domains (psl.c).
 *
 * Works only on database rows (schema.sql): the ingest pipeline has filled flows and
 * dns_answers and calls pd_names_attribute() inside its transaction. Two passes over the
 * capture's flows (its rowid range), each one SQL statement calling a function of ours per row
 * (the per-row API cost of step/column/bind was most of the time):
 *   1. flows: the names seen in them (TLS/QUIC SNI, HTTP Host, CONNECT authority) per server
 *      address, and the flow addresses;
 *   2. address answers (A, AAAA, HTTPS/SVCB hints) of those addresses, by (answer, ts_ns),
 *      grouped per address; PTR answers seen in the capture, mapped back to their address
 *      (in-addr.arpa, ip6.arpa nibbles); an address whose names span several registrable
 *      domains (libpsl, asked once per distinct suffix) is shared (CDN ambiguity);
 *   3. one UPDATE attributes every flow in id order: a binary search in its address's answers
 *      plus a backward scan bounded by the address's longest TTL window and PD_ATTR_MAX_SCAN;
 *   4. one INSERT writes the names table.
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
 *                             processes asked it, and their flows carry the host's address;
 *                             and every local address of the capture's subject is the same
 *                             client - dual stack, several interfaces: capture_locals)
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
#include "session.h"
#include "subject.h"

#define PD_ATTR_MAX_NAME       1024  /* longer strings are not names */
#define PD_ATTR_MAX_SCAN       1024  /* answers of one address scanned per flow */
#define PD_ATTR_CAND_BYTES     4096  /* candidates string */
#define PD_ATTR_MAX_FLOW_ADDRS 65536 /* flow addresses kept for load_answers (~40 bytes each) */
#define NS                     1000000000LL
#define PD_ATTR_MAX_GRACE      (10LL * 366 * 86400 * NS) /* a longer --dns-grace is this */

enum src { SRC_DNS, SRC_SNI, SRC_QUIC, SRC_HTTP, SRC_PTR, SRC_SOCKS, SRC__N };
static const char *const src_names[SRC__N] = { "dns",       "sni",         "quic-sni",
	                                       "http-host", "ptr-capture", "socks" };

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

/* Where an answer was seen (session.c): this capture, an earlier file of its session (the
 * same DNS map), or an earlier capture of the same subject outside the session. */
enum scope { SCOPE_OWN, SCOPE_SESSION, SCOPE_EARLIER };

struct ans {
	int64_t ts, expire, id;
	uint32_t client, name, chain;
	uint8_t local; /* asked from a loopback address: a stub resolver on the capture host */
	uint8_t subj;  /* asked from one of the subject's local addresses (capture_locals) */
	uint8_t scope; /* enum scope */
};

struct nment { /* one names-table row */
	uint32_t ip, name, next;
	uint8_t src;
	uint32_t count;
	int64_t first, last;
};

struct rectab { /* nment records hashed by (ip, name, src); record 0 is unused */
	struct nment *e;
	uint32_t n, cap;
	uint32_t *slots, mask;
};

struct srvinfo {
	uint32_t keys; /* records in ctx.pend */
	uint32_t over; /* sightings of records past PD_MAX_NAMES_PER_ADDR */
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
	struct rectab nm; /* the names table */
	/* pass 1 over the flows (scan_flows) */
	struct strtab srv;    /* servers of flows that carried names */
	struct strtab fsrv;   /* servers of all flows, up to PD_ATTR_MAX_FLOW_ADDRS */
	int fsrv_over;        /* ... there were more */
	struct srvinfo *srvi; /* per srv id */
	uint32_t nsrvi;
	struct rectab pend; /* names seen in flows per (srv id, name, source), first seen first */
	int64_t flow_lo, flow_hi; /* rowid range of the capture's flows; lo > hi = none */
	/* the functions SQLite calls per row (fn_*) */
	enum pd_err fn_err; /* why one failed the statement */
	int fn_seen;        /* a row was seen: fn_last is its id */
	int64_t fn_last;
	struct rawans *raw; /* fn_ans: the answers of one address */
	size_t nraw, cap_raw;
	struct strtab tmp; /* their clients */
	struct result *q;  /* fn_flow results waiting for fn_out: [q_head, nq) */
	uint32_t q_head, nq, capq;
	uint32_t *reg; /* names id -> registrable id (names table), 0 = not computed */
	struct pd_psl_memo *psl;
	uint32_t nreg;
	uint32_t *cands;
	int64_t *cand_ts; /* per cands entry: when the name was first seen for the address */
	uint32_t ncands, cap_cands;
	uint64_t cand_cut, scan_cut;
	struct pd_subject subj; /* the capture's local addresses: one client for DNS evidence */
	/* captures whose answers count (session.c): JSON arrays, NULL = this capture alone */
	char *scope_all, *scope_earlier;
	char *scope_session; /* this capture and the members before it in its session */
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

static int rt_grow(struct rectab *t)
{
	uint32_t nmask = t->mask ? t->mask * 2 + 1 : 4095, i, j;
	uint32_t *ns = calloc((size_t)nmask + 1, sizeof(*ns));

	if (!ns)
		return -1;
	for (i = 1; i < t->n; i++) {
		for (j = nm_hash(t->e[i].ip, t->e[i].name, t->e[i].src) & nmask; ns[j];
		     j = (j + 1) & nmask)
			;
		ns[j] = i;
	}
	free(t->slots);
	t->slots = ns;
	t->mask = nmask;
	return 0;
}

/* The record of (ip, name, src) in t, or 0 with *slot where a new one goes; -1 when out of
 * memory. */
static int64_t rt_find(struct rectab *t, uint32_t ip, uint32_t name, uint8_t src, uint32_t *slot)
{
	uint32_t j, id;

	if (!t->n)
		t->n = 1;
	if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && rt_grow(t) < 0)
		return -1;
	for (j = nm_hash(ip, name, src) & t->mask; (id = t->slots[j]) != 0; j = (j + 1) & t->mask) {
		const struct nment *e = &t->e[id];

		if (e->ip == ip && e->name == name && e->src == src)
			return id;
	}
	*slot = j;
	return 0;
}

/* A new record for (ip, name, src) at slot (from rt_find); 0 when out of memory. */
static uint32_t rt_insert(struct rectab *t, uint32_t slot, uint32_t ip, uint32_t name, uint8_t src)
{
	struct nment *e;
	uint32_t id;

	if (t->n + 1 >= t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 4096;
		struct nment *nn = realloc(t->e, (size_t)ncap * sizeof(*nn));

		if (!nn)
			return 0;
		t->e = nn;
		t->cap = ncap;
	}
	id = t->n++;
	e = &t->e[id];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	e->name = name;
	e->src = src;
	t->slots[slot] = id;
	return id;
}

static void rt_free(struct rectab *t)
{
	free(t->e);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* Counts n sightings of (ip, name, src) between first and last. Returns -1 when out of memory;
 * a record over the per-address cap is counted in addr.dropped instead. */
static int nm_add_n(struct ctx *c, uint32_t ip, uint32_t name, uint8_t src, uint32_t n,
                    int64_t first, int64_t last)
{
	struct addr *a = addr_of(c, ip);
	struct nment *e;
	uint32_t slot = 0;
	int64_t id;

	if (!a)
		return -1;
	id = rt_find(&c->nm, ip, name, src, &slot);
	if (id < 0)
		return -1;
	if (id) {
		e = &c->nm.e[id];
		e->count += n;
		if (first < e->first)
			e->first = first;
		if (last > e->last)
			e->last = last;
		return 0;
	}
	if (a->nnames >= PD_MAX_NAMES_PER_ADDR) {
		a->dropped += n;
		return 0;
	}
	id = rt_insert(&c->nm, slot, ip, name, src);
	if (!id)
		return -1;
	e = &c->nm.e[id];
	e->count = n;
	e->first = first;
	e->last = last;
	e->next = a->names;
	a->names = (uint32_t)id;
	a->nnames++;
	return 0;
}

static int nm_add(struct ctx *c, uint32_t ip, uint32_t name, uint8_t src, int64_t ts)
{
	return nm_add_n(c, ip, name, src, 1, ts, ts);
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
	if (!c->psl && !(c->psl = pd_psl_memo_new()))
		return 0;
	if (!pd_registrable_memo(c->psl, c->names.strs[name], buf, sizeof(buf)))
		return 0;
	r = st_intern(&c->names, buf, strlen(buf));
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
 * The passes over flows and answers run inside one SQL statement each: SQLite calls these
 * functions per row
 * (no statement step, column fetch or bind per row through the API, which costs several
 * times the work done here). The ctx travels as a bound pointer (sqlite3_bind_pointer), so
 * the functions carry no state of their own and are harmless if left registered.
 */
#define PD_ATTR_PTR "pd_attr_ctx"

static struct ctx *fn_ctx(sqlite3_context *fc, sqlite3_value *v)
{
	struct ctx *c = sqlite3_value_pointer(v, PD_ATTR_PTR);

	if (!c)
		sqlite3_result_error(fc, "attribution function called outside attribution", -1);
	return c;
}

/* Fails the running statement; the reason is in c->fn_err (a PD_ERR_*). */
static void fn_fail(sqlite3_context *fc, struct ctx *c, enum pd_err e, const char *msg)
{
	c->fn_err = e;
	if (e == PD_ERR_NOMEM)
		sqlite3_result_error_nomem(fc);
	else
		sqlite3_result_error(fc, msg, -1);
}

/* A failed statement that ran our functions: their reason first, else SQLite's. */
static enum pd_err fn_err(struct ctx *c, const char *what)
{
	if (c->fn_err == PD_ERR_NOMEM)
		return nomem(c);
	return db_err(c, what);
}

/* Runs sql (one statement, ?1 = the ctx pointer, then the int64 parameters args[0..nargs))
 * to completion. */
static enum pd_err run_fn_sql(struct ctx *c, const char *sql, const int64_t *args, int nargs,
                              const char *what)
{
	sqlite3_stmt *st;
	int rc, i;

	c->fn_err = PD_OK;
	c->fn_seen = 0;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(c, what);
	sqlite3_bind_pointer(st, 1, c, PD_ATTR_PTR, NULL);
	for (i = 0; i < nargs; i++)
		sqlite3_bind_int64(st, i + 2, args[i]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		enum pd_err e = fn_err(c, what);

		sqlite3_finalize(st);
		return e;
	}
	sqlite3_finalize(st);
	return PD_OK;
}

/* The rowid range [lo, hi] holding the rows of capture_id in table (lo > hi when none), read
 * through an index on capture_id. A capture's rows are written in one transaction, so the
 * range is normally theirs alone; the scans below still check capture_id on every row. */
static enum pd_err id_range(struct ctx *c, const char *sql, int64_t *lo, int64_t *hi)
{
	sqlite3_stmt *st;
	int rc;

	*lo = 1;
	*hi = 0;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(c, "reading row ranges");
	sqlite3_bind_int64(st, 1, c->capture_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_type(st, 1) != SQLITE_NULL) {
		*lo = sqlite3_column_int64(st, 0);
		*hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_err(c, "reading row ranges");
	return PD_OK;
}

/* One address answer as read (fn_ans), before load_answers puts it in ctx.ans. */
struct rawans {
	int64_t id, ts, ttl;
	uint32_t answer, client; /* ids in ctx.tmp */
	uint32_t name, chain;
	uint8_t scope;
};

/* By (answer, ts_ns, id): the order of the dns_answers_answer index. arg: ctx.tmp. */
static int rawans_cmp(const void *a, const void *b, void *arg)
{
	const struct rawans *x = a, *y = b;
	const struct strtab *tmp = arg;

	if (x->answer != y->answer) {
		int d = strcmp(tmp->strs[x->answer], tmp->strs[y->answer]);

		if (d)
			return d;
	}
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* pd_attr_ans(ctx, id, ts_ns, client_ip, qname, ttl, chain, answer, scope): one address
 * answer for load_answers, kept in ctx.raw. */
static void fn_ans(sqlite3_context *fc, int argc, sqlite3_value **v)
{
	struct ctx *c = fn_ctx(fc, v[0]);
	const char *client, *answer;
	const unsigned char *chain;
	struct rawans *r;
	int oom = 0;

	if (!c)
		return;
	client = (const char *)sqlite3_value_text(v[3]);
	answer = (const char *)sqlite3_value_text(v[7]);
	if (!client || !answer)
		return;
	if (c->nraw == c->cap_raw) {
		size_t ncap = c->cap_raw ? c->cap_raw * 2 : 256;
		struct rawans *nr = realloc(c->raw, ncap * sizeof(*nr));

		if (!nr)
			goto oom;
		c->raw = nr;
		c->cap_raw = ncap;
	}
	r = &c->raw[c->nraw];
	r->id = sqlite3_value_int64(v[1]);
	r->ts = sqlite3_value_int64(v[2]);
	r->ttl = sqlite3_value_int64(v[5]);
	r->name = intern_name(c, sqlite3_value_text(v[4]), 0, &oom);
	r->chain = 0;
	chain = sqlite3_value_text(v[6]);
	if (r->name && chain && strchr((const char *)chain, '>'))
		r->chain = intern_name(c, chain, 0, &oom);
	r->client = st_intern(&c->tmp, client, strlen(client));
	r->answer = st_intern(&c->tmp, answer, strlen(answer));
	r->scope = (uint8_t)sqlite3_value_int(v[8]);
	if (r->scope > SCOPE_EARLIER)
		r->scope = SCOPE_EARLIER;
	if (oom || !r->client || !r->answer)
		goto oom;
	c->nraw++;
	return;
oom:
	fn_fail(fc, c, PD_ERR_NOMEM, NULL);
}

/* Puts the answers of one address, raw[from, to), into ctx.ans. */
/*
 * True when a DNS client or flow client is one of the subject's own addresses (dual stack,
 * several interfaces: an AAAA asked over IPv4 names a connection made over IPv6). Only with
 * a known subject: without one, each client is its own.
 */
static int subject_client(const struct ctx *c, const char *ip)
{
	struct pd_addr a;

	if (!c->subj.n || !ip || pd_addr_parse(ip, &a) != PD_OK)
		return 0;
	return pd_subject_is_local(&c->subj, &a);
}

static int add_answers(struct ctx *c, size_t from, size_t to)
{
	const char *answer = c->tmp.strs[c->raw[from].answer];
	struct addr *a;
	uint32_t ip;
	size_t i;

	ip = st_intern(&c->ips, answer, strlen(answer));
	if (!ip || !(a = addr_of(c, ip)))
		return -1;
	a->ans_first = (uint32_t)c->nans;
	a->ans_n = 0;
	for (i = from; i < to; i++) {
		const struct rawans *r = &c->raw[i];
		const char *client = c->tmp.strs[r->client];
		int64_t ttl = r->ttl;
		struct ans *an;

		if (!r->name)
			continue;
		if (c->nans == c->cap_ans) {
			size_t ncap = c->cap_ans ? c->cap_ans * 2 : 4096;
			struct ans *na;

			if (ncap > UINT32_MAX)
				return -1;
			na = realloc(c->ans, ncap * sizeof(*na));
			if (!na)
				return -1;
			c->ans = na;
			c->cap_ans = ncap;
		}
		an = &c->ans[c->nans++];
		a->ans_n++;
		if (ttl < 0)
			ttl = 0;
		if (ttl > INT32_MAX)
			ttl = INT32_MAX;
		an->id = r->id;
		an->ts = r->ts;
		/* window = ttl + grace: at most ~68 years + the clamped grace, no overflow */
		an->expire = sat_add(r->ts, ttl * NS + c->grace_ns);
		if (ttl * NS + c->grace_ns > a->max_window)
			a->max_window = ttl * NS + c->grace_ns;
		an->name = r->name;
		an->client = st_intern(&c->ips, client, strlen(client));
		an->local = strncmp(client, "127.", 4) == 0 || strcmp(client, "::1") == 0 ||
		            strncmp(client, "::ffff:127.", 11) == 0;
		an->subj = subject_client(c, client);
		an->chain = r->chain;
		an->scope = r->scope;
		/* the names table holds this capture's own evidence */
		if (!an->client ||
		    (r->scope == SCOPE_OWN && nm_add(c, ip, r->name, SRC_DNS, r->ts) < 0))
			return -1;
	}
	return 0;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Only answers for addresses that carried a flow: the others cannot name a flow or make one
 * ambiguous, and a capture full of lookups (a crawler, a hostile DNS flood) would otherwise
 * hold every answer in memory (~145 bytes each). They stay in dns_answers for the report.
 * The flow addresses come from scan_flows, one indexed query each in text order; past
 * PD_ATTR_MAX_FLOW_ADDRS of them (a scan), from an SQL subquery instead (SQLite keeps that
 * set, spilling to a temporary file: no memory here). Answers are taken in the order
 * (answer, ts_ns, id) the names table and the answer groups keep: the order SQLite reads them
 * in through dns_answers_answer, sorted here only if it did not.
 */
static enum pd_err load_answers(struct ctx *c)
{
	/* ?5: the captures whose answers count (this one alone, or its session and earlier
	 * captures of its subject, session.c), ?6: those outside the session */
#define PD_ATTR_SCOPE_SQL                                                                          \
	"CASE WHEN capture_id = ?2 THEN 0 WHEN ?6 IS NOT NULL AND capture_id IN (SELECT value "    \
	"FROM"                                                                                     \
	" json_each(?6)) THEN 2 ELSE 1 END"
#define PD_ATTR_CAPS_SQL                                                                           \
	"(capture_id = ?2 OR (?5 IS NOT NULL AND capture_id IN (SELECT value FROM "                \
	"json_each(?5))))"
	static const char all_sql[] =
	        "SELECT count(pd_attr_ans(?1, id, ts_ns, client_ip, qname, ttl, chain, "
	        "answer, " PD_ATTR_SCOPE_SQL ")) FROM dns_answers WHERE " PD_ATTR_CAPS_SQL
	        " AND rr_type IN ('A', 'AAAA', 'HINT')"
	        " AND answer IN (SELECT server_ip FROM flows WHERE id BETWEEN ?3 AND ?4"
	        " AND +capture_id = ?2)";
	static const char one_sql[] =
	        "SELECT count(pd_attr_ans(?1, id, ts_ns, client_ip, qname, ttl, chain, answer, 0))"
	        " FROM dns_answers WHERE capture_id = ?2 AND answer = ?3"
	        " AND rr_type IN ('A', 'AAAA', 'HINT')";
	static const char one_scoped_sql[] =
	        "SELECT count(pd_attr_ans(?1, id, ts_ns, client_ip, qname, ttl, chain, "
	        "answer, " PD_ATTR_SCOPE_SQL
	        ")) FROM dns_answers WHERE capture_id IN (SELECT value FROM"
	        " json_each(?5)) AND answer = ?3 AND rr_type IN ('A', 'AAAA', 'HINT')";
#undef PD_ATTR_SCOPE_SQL
#undef PD_ATTR_CAPS_SQL
	enum pd_err err = PD_OK;
	size_t i, j, sorted = 1;

	if (c->flow_lo > c->flow_hi)
		return PD_OK;
	c->nraw = 0;
	if (c->fsrv_over) {
		sqlite3_stmt *st;
		int rc;

		if (sqlite3_prepare_v2(c->db, all_sql, -1, &st, NULL) != SQLITE_OK)
			return db_err(c, "reading DNS answers");
		c->fn_err = PD_OK;
		sqlite3_bind_pointer(st, 1, c, PD_ATTR_PTR, NULL);
		sqlite3_bind_int64(st, 2, c->capture_id);
		sqlite3_bind_int64(st, 3, c->flow_lo);
		sqlite3_bind_int64(st, 4, c->flow_hi);
		if (c->scope_all)
			sqlite3_bind_text(st, 5, c->scope_all, -1, SQLITE_STATIC);
		if (c->scope_earlier)
			sqlite3_bind_text(st, 6, c->scope_earlier, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE)
			err = fn_err(c, "reading DNS answers");
		sqlite3_finalize(st);
	} else if (c->fsrv.n > 1) {
		uint32_t n = c->fsrv.n - 1;
		const char **order = malloc((size_t)n * sizeof(*order));
		sqlite3_stmt *st;
		int rc = SQLITE_DONE;

		if (!order)
			return nomem(c);
		for (i = 0; i < n; i++)
			order[i] = c->fsrv.strs[i + 1];
		qsort(order, n, sizeof(*order), strp_cmp);
		if (sqlite3_prepare_v2(c->db, c->scope_all ? one_scoped_sql : one_sql, -1, &st,
		                       NULL) != SQLITE_OK) {
			free(order);
			return db_err(c, "reading DNS answers");
		}
		sqlite3_bind_pointer(st, 1, c, PD_ATTR_PTR, NULL);
		sqlite3_bind_int64(st, 2, c->capture_id);
		if (c->scope_all) {
			sqlite3_bind_text(st, 5, c->scope_all, -1, SQLITE_STATIC);
			if (c->scope_earlier)
				sqlite3_bind_text(st, 6, c->scope_earlier, -1, SQLITE_STATIC);
		}
		c->fn_err = PD_OK;
		for (i = 0; i < n && rc == SQLITE_DONE; i++) {
			sqlite3_reset(st);
			sqlite3_bind_text(st, 3, order[i], -1, SQLITE_STATIC);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
		}
		if (rc != SQLITE_DONE)
			err = fn_err(c, "reading DNS answers");
		sqlite3_finalize(st);
		free(order);
	}
	if (err)
		return err;
	for (i = 1; i < c->nraw && sorted; i++)
		sorted = rawans_cmp(&c->raw[i - 1], &c->raw[i], &c->tmp) <= 0;
	if (!sorted)
		qsort_r(c->raw, c->nraw, sizeof(*c->raw), rawans_cmp, &c->tmp);
	for (i = 0; i < c->nraw; i = j) {
		for (j = i + 1; j < c->nraw && c->raw[j].answer == c->raw[i].answer; j++)
			;
		if (add_answers(c, i, j) < 0)
			return nomem(c);
	}
	free(c->raw);
	c->raw = NULL;
	c->nraw = c->cap_raw = 0;
	return PD_OK;
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
	/* through the partial index dns_answers_ptr (without it, as the order is the same,
	 * through dns_answers_answer) */
	static const char sql[] =
	        "SELECT qname, answer, ts_ns, capture_id = ?1 FROM dns_answers"
	        " WHERE capture_id = ?1 AND rr_type = 'PTR' AND answer IS NOT NULL"
	        " ORDER BY answer, ts_ns, id";
	/* a session's PTR answers name its flows as one file's would (session.c) */
	static const char session_sql[] =
	        "SELECT qname, answer, ts_ns, capture_id = ?1 FROM dns_answers"
	        " WHERE capture_id IN (SELECT value FROM json_each(?2)) AND rr_type = 'PTR'"
	        " AND answer IS NOT NULL ORDER BY answer, ts_ns, id";
	sqlite3_stmt *st;
	int rc, oom = 0;

	if (sqlite3_prepare_v2(c->db, c->scope_session ? session_sql : sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(c, "reading PTR answers");
	sqlite3_bind_int64(st, 1, c->capture_id);
	if (c->scope_session)
		sqlite3_bind_text(st, 2, c->scope_session, -1, SQLITE_STATIC);
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
		if (!ip || !(a = addr_of(c, ip)) ||
		    (sqlite3_column_int(st, 3) && nm_add(c, ip, name, SRC_PTR, ts) < 0))
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

/* A flow's own names, from its columns sni, ech, http_host, http_connect, app_proto,
 * quic_version (v[0..5]) and, for a flow through a proxy, proxy, proxy_target, via_ip and
 * server_ip (px[0..3], NULL when not read). */
struct inflow {
	uint32_t name; /* the flow's own name, 0 = none */
	uint8_t src;
	uint32_t outer; /* SNI of a ClientHello with ECH (maybe only the outer name), 0 = none */
	uint8_t outer_src;
	uint32_t alt;     /* proxied: the name inside the tunnel when it differs from the target */
	uint8_t via_self; /* proxied to a named host: server_ip is the proxy's, not the target's */
};

static struct inflow inflow_own(struct ctx *c, sqlite3_value **v, int *oom);

/*
 * A proxy is a hop (README "Proxies"): the host the client asked the proxy for (CONNECT
 * authority, SOCKS4a/5 name, absolute-form request) is the destination the proxy reached,
 * so it names the flow, with the evidence of the name inside the tunnel when that agrees
 * (sni), else http-host (HTTP proxies) or socks. A different SNI/Host inside is kept as a
 * candidate (alt). A target given as an address leaves the flow to its own names.
 */
static struct inflow inflow_of(struct ctx *c, sqlite3_value **v, sqlite3_value **px, int *oom)
{
	struct inflow f = inflow_own(c, v, oom);
	const unsigned char *proxy = px ? sqlite3_value_text(px[0]) : NULL;
	const unsigned char *via, *server;
	uint32_t target;

	if (!proxy)
		return f;
	via = sqlite3_value_text(px[2]);
	server = sqlite3_value_text(px[3]);
	f.via_self = via && server && !strcmp((const char *)via, (const char *)server);
	target = intern_name(c, sqlite3_value_text(px[1]), 1, oom);
	if (!target)
		return f;
	if (f.name && f.name != target)
		f.alt = f.name;
	else if (!f.name && f.outer && f.outer != target)
		f.alt = f.outer;
	if (f.name != target)
		f.src = strncmp((const char *)proxy, "socks", 5) ? SRC_HTTP : SRC_SOCKS;
	f.name = target;
	f.outer = 0;
	return f;
}

static struct inflow inflow_own(struct ctx *c, sqlite3_value **v, int *oom)
{
	struct inflow f = { 0, 0, 0, 0, 0, 0 };
	const unsigned char *app = sqlite3_value_text(v[4]);
	int quic = (app && strcmp((const char *)app, "quic") == 0) ||
	           sqlite3_value_type(v[5]) != SQLITE_NULL;
	uint32_t sni = intern_name(c, sqlite3_value_text(v[0]), 0, oom);

	if (sni && sqlite3_value_int(v[1])) {
		f.outer = sni;
		f.outer_src = quic ? SRC_QUIC : SRC_SNI;
		sni = 0;
	}
	if (sni) {
		f.name = sni;
		f.src = quic ? SRC_QUIC : SRC_SNI;
		return f;
	}
	f.name = intern_name(c, sqlite3_value_text(v[3]), 1, oom);
	if (!f.name)
		f.name = intern_name(c, sqlite3_value_text(v[2]), 1, oom);
	f.src = SRC_HTTP;
	return f;
}

/* Counts one sighting of name (from src) in a flow to server srv at ts, for apply_inflow. */
static int pend_add(struct ctx *c, uint32_t srv, uint32_t name, uint8_t src, int64_t ts)
{
	struct srvinfo *si;
	struct nment *e;
	uint32_t slot = 0;
	int64_t id;

	if (srv >= c->nsrvi) {
		uint32_t n = c->nsrvi ? c->nsrvi : 1024;
		struct srvinfo *ns;

		while (n <= srv)
			n *= 2;
		ns = realloc(c->srvi, (size_t)n * sizeof(*ns));
		if (!ns)
			return -1;
		memset(ns + c->nsrvi, 0, (size_t)(n - c->nsrvi) * sizeof(*ns));
		c->srvi = ns;
		c->nsrvi = n;
	}
	si = &c->srvi[srv];
	id = rt_find(&c->pend, srv, name, src, &slot);
	if (id < 0)
		return -1;
	if (!id) {
		if (si->keys >= PD_MAX_NAMES_PER_ADDR) {
			/* the address already has this many names: never kept (nm_add_n) */
			si->over++;
			return 0;
		}
		id = rt_insert(&c->pend, slot, srv, name, src);
		if (!id)
			return -1;
		si->keys++;
		e = &c->pend.e[id];
		e->first = e->last = ts;
	}
	e = &c->pend.e[id];
	e->count++;
	if (ts < e->first)
		e->first = ts;
	if (ts > e->last)
		e->last = ts;
	return 0;
}

/*
 * pd_attr_scan(ctx, id, capture_id, server_ip, sni, ech, http_host, http_connect, app_proto,
 * quic_version, first_ns), pass 1 over the capture's flows in id order: the names seen in
 * them (TLS/QUIC SNI, HTTP Host, CONNECT authority) counted per (server, name, source) in
 * order of first sighting (ctx.pend; ctx.srv holds those servers). apply_inflow adds these to the
 * names table after the DNS and PTR evidence, as one sighting at a time in flow order would:
 * records past the first PD_MAX_NAMES_PER_ADDR of a server can never fit under the per-address cap,
 * so only their sightings are counted.
 */
static void fn_scan(sqlite3_context *fc, int argc, sqlite3_value **v)
{
	struct ctx *c = fn_ctx(fc, v[0]);
	const char *server;
	int64_t id;
	struct inflow f;
	uint32_t srv;
	int oom = 0;

	if (!c)
		return;
	id = sqlite3_value_int64(v[1]);
	if (c->fn_seen && id <= c->fn_last) {
		fn_fail(fc, c, PD_ERR_DB, "flows not read in id order");
		return;
	}
	c->fn_seen = 1;
	c->fn_last = id;
	server = (const char *)sqlite3_value_text(v[3]);
	if (sqlite3_value_int64(v[2]) != c->capture_id || !server)
		return;
	if (!c->fsrv_over && c->fsrv.n < PD_ATTR_MAX_FLOW_ADDRS) {
		if (!st_intern(&c->fsrv, server, strlen(server)))
			goto oom;
	} else if (!c->fsrv_over && !st_find(&c->fsrv, server, strlen(server))) {
		c->fsrv_over = 1; /* load_answers asks SQL for the addresses instead */
	}
	f = inflow_of(c, v + 4, v + 11, &oom);
	if (oom)
		goto oom;
	if (sqlite3_value_type(v[13]) != SQLITE_NULL) {
		/* the proxy's address: its own DNS names (reports show them with via) */
		const char *via = (const char *)sqlite3_value_text(v[13]);

		if (via && !c->fsrv_over && c->fsrv.n < PD_ATTR_MAX_FLOW_ADDRS &&
		    !st_intern(&c->fsrv, via, strlen(via)))
			goto oom;
	}
	if (!f.name || f.via_self)
		return; /* names asked of a proxy do not name the proxy's address */
	srv = st_intern(&c->srv, server, strlen(server));
	if (!srv || pend_add(c, srv, f.name, f.src, sqlite3_value_int64(v[10])) < 0)
		goto oom;
	sqlite3_result_int(fc, 1);
	return;
oom:
	fn_fail(fc, c, PD_ERR_NOMEM, NULL);
}

static enum pd_err scan_flows(struct ctx *c)
{
	static const char range_sql[] =
	        "SELECT (SELECT id FROM flows WHERE capture_id = ?1 ORDER BY id LIMIT 1),"
	        " (SELECT id FROM flows WHERE capture_id = ?1 ORDER BY id DESC LIMIT 1)";
	static const char sql[] =
	        "SELECT count(pd_attr_scan(?1, id, capture_id, server_ip, sni, ech, http_host,"
	        " http_connect, app_proto, quic_version, first_ns, proxy, proxy_target, via_ip,"
	        " server_ip)) FROM flows"
	        " WHERE id BETWEEN ?2 AND ?3";
	enum pd_err err;
	int64_t args[2];

	err = id_range(c, range_sql, &c->flow_lo, &c->flow_hi);
	if (err || c->flow_lo > c->flow_hi)
		return err;
	args[0] = c->flow_lo;
	args[1] = c->flow_hi;
	return run_fn_sql(c, sql, args, 2, "reading flows");
}

/* Adds the names seen in flows (scan_flows) to the names table, after the DNS and PTR
 * evidence. */
static enum pd_err apply_inflow(struct ctx *c)
{
	uint32_t i;

	for (i = 1; i < c->pend.n; i++) {
		const struct nment *e = &c->pend.e[i];
		const char *server = c->srv.strs[e->ip];
		uint32_t ip = st_intern(&c->ips, server, strlen(server));

		if (!ip || nm_add_n(c, ip, e->name, e->src, e->count, e->first, e->last) < 0)
			return nomem(c);
	}
	for (i = 1; i < c->srv.n && i < c->nsrvi; i++) {
		const char *server = c->srv.strs[i];
		struct addr *a;

		if (!c->srvi[i].over)
			continue;
		/* interned above: it has PD_MAX_NAMES_PER_ADDR records */
		a = addr_of(c, st_find(&c->ips, server, strlen(server)));
		if (!a)
			return nomem(c);
		a->dropped += c->srvi[i].over;
	}
	return PD_OK;
}

/* ---- shared addresses ---- */

static int cand_push(struct ctx *c, uint32_t name, int64_t first)
{
	if (c->ncands == c->cap_cands) {
		uint32_t ncap = c->cap_cands ? c->cap_cands * 2 : 1024, *nc;
		int64_t *nt;

		nc = realloc(c->cands, (size_t)ncap * sizeof(*nc));
		if (!nc)
			return -1;
		c->cands = nc;
		nt = realloc(c->cand_ts, (size_t)ncap * sizeof(*nt));
		if (!nt)
			return -1;
		c->cand_ts = nt;
		c->cap_cands = ncap;
	}
	c->cand_ts[c->ncands] = first;
	c->cands[c->ncands++] = name;
	return 0;
}

/* Marks addresses whose names (PTR names aside: they name the host, not the site) span
 * several registrable domains, and keeps their names ordered by count for candidates. */
static enum pd_err find_shared(struct ctx *c)
{
	uint32_t ip, i, j, e, n;
	uint32_t names[PD_MAX_NAMES_PER_ADDR], counts[PD_MAX_NAMES_PER_ADDR];
	int64_t firsts[PD_MAX_NAMES_PER_ADDR];

	for (ip = 1; ip < c->ips.n && ip < c->naddrs; ip++) {
		struct addr *a = &c->addrs[ip];
		uint32_t reg0 = 0;
		int shared = 0;

		if (a->nnames < 2)
			continue;
		n = 0;
		for (e = a->names; e; e = c->nm.e[e].next) {
			const struct nment *m = &c->nm.e[e];
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
				firsts[n] = m->first;
				counts[n++] = 0;
			}
			counts[i] += m->count;
			if (m->first < firsts[i])
				firsts[i] = m->first;
		}
		if (!shared)
			continue;
		/* insertion sort by count descending, then by name for a stable report */
		for (i = 1; i < n; i++) {
			uint32_t nm = names[i], ct = counts[i];
			int64_t ft = firsts[i];

			for (j = i;
			     j > 0 && (counts[j - 1] < ct ||
			               (counts[j - 1] == ct && strcmp(c->names.strs[names[j - 1]],
			                                              c->names.strs[nm]) > 0));
			     j--) {
				names[j] = names[j - 1];
				counts[j] = counts[j - 1];
				firsts[j] = firsts[j - 1];
			}
			names[j] = nm;
			counts[j] = ct;
			firsts[j] = ft;
		}
		a->shared = 1;
		a->cand_first = c->ncands;
		a->cand_n = n;
		for (i = 0; i < n; i++)
			if (cand_push(c, names[i], firsts[i]) < 0)
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
	unsigned served; /* pd_attr_out: bit k = column k read */
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

#define PD_ATTR_MAX_FURTHER 8 /* further Hosts of one keep-alive connection */

struct frow {
	int64_t id, first, last;
	uint32_t client, server;
	struct inflow f;
	uint32_t further[PD_ATTR_MAX_FURTHER]; /* Hosts of later requests on the connection */
	unsigned nfurther;
	uint8_t subj; /* the client is one of the subject's local addresses */
};

/*
 * Every name a connection carries (README "Attribution"): the Hosts of later requests on a
 * keep-alive connection, and the names answered for its address while it was open and not
 * before it (a client reusing the open connection for them: HTTP/2 coalescing, keep-alive)
 * join its candidates after its own name. They do not make it ambiguous: the connection
 * served them all.
 */
static void add_further(struct ctx *c, const struct frow *fr, struct result *r, int *cut)
{
	const struct addr *a = fr->server < c->naddrs ? &c->addrs[fr->server] : NULL;
	unsigned i;
	uint32_t e;

	if (!r->name)
		return;
	for (i = 0; i < fr->nfurther; i++)
		if (fr->further[i] != r->name) {
			if (!r->ncands)
				add_cand(c, r, r->name, cut);
			add_cand(c, r, fr->further[i], cut);
		}
	for (e = a && a->nnames > 1 ? a->names : 0; e; e = c->nm.e[e].next) {
		const struct nment *m = &c->nm.e[e];
		uint32_t e2;
		int earlier = 0;

		if (m->src != SRC_DNS || m->name == r->name || m->first <= fr->first ||
		    m->first > fr->last)
			continue;
		/* seen for the address before the flow under another source: not a later name */
		for (e2 = a->names; e2 && !earlier; e2 = c->nm.e[e2].next)
			earlier = c->nm.e[e2].name == m->name && c->nm.e[e2].first <= fr->first;
		if (earlier)
			continue;
		if (!r->ncands)
			add_cand(c, r, r->name, cut);
		add_cand(c, r, m->name, cut);
	}
}

static void attribute_one(struct ctx *c, const struct frow *fr, struct result *r)
{
	const struct ans *same = NULL, *other = NULL, *expired = NULL, *earlier = NULL;
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
		if (fr->f.name) {
			/* The flow names itself: only the most recent same-client answer in its
			 * window matters (for chain and answer id). The scan below would look at
			 * every answer whose window can reach the flow, from b up, plus the one
			 * before (where it stops), cut at PD_ATTR_MAX_SCAN: the same count. */
			size_t b = 0, top = lo;

			for (hi = lo; b < hi;) {
				size_t mid = b + (hi - b) / 2;

				if (sat_add(base[mid].ts, a->max_window) < fr->first)
					b = mid + 1;
				else
					hi = mid;
			}
			if (top - b + (b > 0) > PD_ATTR_MAX_SCAN)
				c->scan_cut++;
			while (lo > b && top - lo < PD_ATTR_MAX_SCAN) {
				const struct ans *an = &base[--lo];

				if (fr->first <= an->expire && an->scope != SCOPE_EARLIER &&
				    (an->client == fr->client || an->local ||
				     (an->subj && fr->subj))) {
					same = an;
					break;
				}
			}
			lo = 0; /* done */
		}
		while (lo > 0) {
			const struct ans *an = &base[--lo];
			int in_window = fr->first <= an->expire;

			if (++steps > PD_ATTR_MAX_SCAN) {
				c->scan_cut++;
				break;
			}
			if (sat_add(an->ts, a->max_window) < fr->first) {
				if (!expired && an->scope != SCOPE_EARLIER)
					expired = an;
				break; /* nothing earlier can be in its window */
			}
			if (an->scope == SCOPE_EARLIER) {
				/* another capture of the subject: names the flow only when nothing
				 * of its own session does (dns-earlier-capture) */
				if (in_window && !earlier &&
				    (an->client == fr->client || an->local ||
				     (an->subj && fr->subj)))
					earlier = an;
				continue;
			}
			if (!in_window) {
				if (!expired)
					expired = an;
				continue;
			}
			if (an->client == fr->client || an->local || (an->subj && fr->subj)) {
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
		if (fr->f.alt) {
			/* through a proxy: the target, then the other name inside the tunnel */
			add_cand(c, r, fr->f.name, &cut);
			add_cand(c, r, fr->f.alt, &cut);
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
	} else if (earlier) {
		r->name = earlier->name;
		r->chain = earlier->chain;
		r->ans_id = earlier->id;
		r->evidence = "dns-earlier-capture";
		r->conf = CONF_MEDIUM;
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
		/* Only names seen for the address before the flow started are its candidates
		 * (an answer after the start never names it); the flow is ambiguous when those
		 * span several registrable domains. */
		uint32_t reg0 = r->name ? reg_of(c, r->name) : 0, rg;
		unsigned before = r->ncands;

		if (r->name && !r->ncands)
			add_cand(c, r, r->name, &cut);
		for (i = 0; i < a->cand_n; i++) {
			uint32_t nm = c->cands[a->cand_first + i];

			if (c->cand_ts[a->cand_first + i] > fr->first)
				continue;
			add_cand(c, r, nm, &cut);
			rg = reg_of(c, nm);
			if (!reg0)
				reg0 = rg;
			else if (rg != reg0)
				r->ambiguous = 1;
		}
		if (r->ncands == 1 && !before)
			r->ncands = 0; /* only the name itself */
	}
	if (r->ambiguous && r->conf > CONF_LOW)
		r->conf--;
	if (cut)
		c->cand_cut++;
}

/*
 * pd_attr_flow(ctx, id, capture_id, server_ip, sni, ech, http_host, http_connect, app_proto,
 * quic_version, first_ns, client_ip), in the WHERE of the UPDATE in attribute_flows:
 * attributes one flow (in id order). Returns 2 when the flow has a name, candidates or
 * ambiguity, its result queued for pd_attr_out; 1 when it has none (the row is written only
 * if it does not say so already: the WHERE reads those columns only then); 0 for a row of
 * another capture. SQLite updates each row right after its WHERE (one pass), so the queue
 * holds one result; were the rows collected first, it would hold them all, slower but right.
 */
static void fn_flow(sqlite3_context *fc, int argc, sqlite3_value **v)
{
	struct ctx *c = fn_ctx(fc, v[0]);
	const char *server, *client;
	struct frow fr;
	struct result *r;
	int oom = 0;

	if (!c)
		return;
	fr.id = sqlite3_value_int64(v[1]);
	if (c->fn_seen && fr.id <= c->fn_last) {
		fn_fail(fc, c, PD_ERR_DB, "flows not read in id order");
		return;
	}
	c->fn_seen = 1;
	c->fn_last = fr.id;
	sqlite3_result_int(fc, 0);
	if (sqlite3_value_int64(v[2]) != c->capture_id)
		return;
	server = (const char *)sqlite3_value_text(v[3]);
	fr.f = inflow_of(c, v + 4, v + 12, &oom);
	if (oom)
		goto oom;
	fr.first = sqlite3_value_int64(v[10]);
	fr.last = sqlite3_value_int64(v[17]);
	fr.nfurther = 0;
	{
		/* http_hosts: '|'-joined (ingest keeps no '|' inside a host) */
		const char *h = (const char *)sqlite3_value_text(v[16]);

		while (h && *h && fr.nfurther < PD_ATTR_MAX_FURTHER) {
			const char *bar = strchr(h, '|');
			size_t l = bar ? (size_t)(bar - h) : strlen(h);
			char one[PD_ATTR_MAX_NAME + 1];
			uint32_t id;

			if (l && l <= PD_ATTR_MAX_NAME) {
				memcpy(one, h, l);
				one[l] = 0;
				id = intern_name(c, (const unsigned char *)one, 1, &oom);
				if (oom)
					goto oom;
				if (id)
					fr.further[fr.nfurther++] = id;
			}
			h = bar ? bar + 1 : h + l;
		}
	}
	client = (const char *)sqlite3_value_text(v[11]);
	fr.server = server ? st_find(&c->ips, server, strlen(server)) : 0;
	if (!fr.server && server && fr.f.outer) {
		/* an ECH outer name may end up in the names table */
		fr.server = st_intern(&c->ips, server, strlen(server));
		if (!fr.server)
			goto oom;
	}
	fr.client = client ? st_find(&c->ips, client, strlen(client)) : 0;
	fr.subj = (uint8_t)subject_client(c, client);
	if (c->nq == c->capq) {
		uint32_t ncap = c->capq ? c->capq * 2 : 16;
		struct result *nq = realloc(c->q, (size_t)ncap * sizeof(*nq));

		if (!nq)
			goto oom;
		c->q = nq;
		c->capq = ncap;
	}
	r = &c->q[c->nq];
	attribute_one(c, &fr, r);
	{
		int cut = 0;

		add_further(c, &fr, r, &cut);
		if (cut)
			c->cand_cut++;
	}
	if (r->name == fr.f.outer && r->name && fr.server &&
	    nm_add(c, fr.server, r->name, fr.f.outer_src, fr.first) < 0)
		goto oom;
	if (!r->name && !r->ncands && !r->ambiguous) {
		sqlite3_result_int(fc, 1); /* none: pd_attr_out finds no result */
		return;
	}
	r->served = 0;
	c->nq++;
	sqlite3_result_int(fc, 2);
	return;
oom:
	fn_fail(fc, c, PD_ERR_NOMEM, NULL);
}

#define PD_ATTR_OUT_COLS 7

/* pd_attr_out(ctx, id, k), the SET of that UPDATE: column k of flow id's queued result (name,
 * evidence, confidence, cname_chain, candidates, ambiguous, dns_answer_id); a flow with no
 * queued result (pd_attr_flow returned 1) gets the none values. */
static void fn_out(sqlite3_context *fc, int argc, sqlite3_value **v)
{
	static const struct result none = { .evidence = "none", .conf = CONF_LOW };
	struct ctx *c = fn_ctx(fc, v[0]);
	int64_t id = sqlite3_value_int64(v[1]);
	int k = sqlite3_value_int(v[2]);
	const struct result *r = &none;
	struct result *q = NULL;
	uint32_t lo, hi;

	if (!c)
		return;
	if (k < 0 || k >= PD_ATTR_OUT_COLS) {
		fn_fail(fc, c, PD_ERR_DB, "no such attribution column");
		return;
	}
	/* the queue is in id order (pd_attr_flow checks): binary search */
	for (lo = c->q_head, hi = c->nq; lo < hi;) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->q[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nq && c->q[lo].id == id)
		r = q = &c->q[lo];
	switch (k) {
	case 0:
		if (r->name)
			sqlite3_result_text(fc, c->names.strs[r->name], -1, SQLITE_STATIC);
		break;
	case 1:
		sqlite3_result_text(fc, r->evidence, -1, SQLITE_STATIC);
		break;
	case 2:
		sqlite3_result_text(fc, conf_names[r->conf], -1, SQLITE_STATIC);
		break;
	case 3:
		if (r->chain)
			sqlite3_result_text(fc, c->names.strs[r->chain], -1, SQLITE_STATIC);
		break;
	case 4:
		if (r->ncands) {
			char cand[PD_ATTR_CAND_BYTES];
			size_t n = cands_str(c, r, cand, sizeof(cand));

			sqlite3_result_text(fc, cand, (int)n, SQLITE_TRANSIENT);
		}
		break;
	case 5:
		sqlite3_result_int(fc, r->ambiguous);
		break;
	default:
		if (r->ans_id)
			sqlite3_result_int64(fc, r->ans_id);
		break;
	}
	if (!q)
		return;
	q->served |= 1u << k;
	/* every column read: drop the results done from the head */
	while (c->q_head < c->nq && c->q[c->q_head].served == (1u << PD_ATTR_OUT_COLS) - 1)
		c->q_head++;
	if (c->q_head == c->nq)
		c->q_head = c->nq = 0;
}

/* Pass 2: attributes every flow of the capture in one UPDATE (fn_flow, fn_out). */
static enum pd_err attribute_flows(struct ctx *c)
{
	static const char sql[] =
	        "UPDATE flows SET name = pd_attr_out(?1, id, 0), evidence = pd_attr_out(?1, id, 1),"
	        " confidence = pd_attr_out(?1, id, 2), cname_chain = pd_attr_out(?1, id, 3),"
	        " candidates = pd_attr_out(?1, id, 4), ambiguous = pd_attr_out(?1, id, 5),"
	        " dns_answer_id = pd_attr_out(?1, id, 6)"
	        " WHERE id BETWEEN ?2 AND ?3 AND CASE pd_attr_flow(?1, id, capture_id, server_ip, "
	        "sni,"
	        " ech, http_host, http_connect, app_proto, quic_version, first_ns, client_ip,"
	        " proxy, proxy_target, via_ip, server_ip, http_hosts, last_ns)"
	        " WHEN 2 THEN 1 WHEN 1 THEN NOT (name IS NULL AND evidence = 'none' AND"
	        " confidence = 'low' AND cname_chain IS NULL AND candidates IS NULL AND"
	        " ambiguous = 0 AND dns_answer_id IS NULL) ELSE 0 END";
	int64_t args[2] = { c->flow_lo, c->flow_hi };
	enum pd_err err;

	if (c->flow_lo > c->flow_hi)
		return PD_OK;
	c->q_head = c->nq = 0;
	err = run_fn_sql(c, sql, args, 2, "updating flows");
	if (!err && c->nq)
		err = pd_errf(c->errbuf, PD_ERR_DB, "attribution: %u flow results not written",
		              (unsigned)(c->nq - c->q_head));
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

/*
 * pd_attr_names(ctx): the names records as a table-valued function (an eponymous virtual
 * table) in the order first seen, for the INSERT in write_names: SQLite reads each value
 * straight from ctx.nm. ctx is the bound pointer, so the module keeps no state.
 */
struct nm_cursor {
	sqlite3_vtab_cursor base;
	const struct ctx *c;
	uint32_t i; /* current record */
};

enum { NMV_IP, NMV_NAME, NMV_REG, NMV_SOURCE, NMV_COUNT, NMV_FIRST, NMV_LAST, NMV_CTX };

static int nmv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err)
{
	sqlite3_vtab *t;
	int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(ip, name, registrable, source, count,"
	                                  " first_ns, last_ns, ctx HIDDEN)");

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY); /* not from triggers or views */
	t = sqlite3_malloc(sizeof(*t));
	if (!t)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof(*t));
	*out = t;
	return SQLITE_OK;
}

static int nmv_disconnect(sqlite3_vtab *t)
{
	sqlite3_free(t);
	return SQLITE_OK;
}

/* Usable only with ctx = ? (the pointer attribution binds). */
static int nmv_best_index(sqlite3_vtab *t, sqlite3_index_info *info)
{
	int i;

	for (i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *k = &info->aConstraint[i];

		if (k->iColumn == NMV_CTX && k->op == SQLITE_INDEX_CONSTRAINT_EQ && k->usable) {
			info->aConstraintUsage[i].argvIndex = 1;
			info->aConstraintUsage[i].omit = 1;
			info->estimatedCost = 1000;
			info->estimatedRows = 1000;
			return SQLITE_OK;
		}
	}
	return SQLITE_CONSTRAINT;
}

static int nmv_open(sqlite3_vtab *t, sqlite3_vtab_cursor **out)
{
	struct nm_cursor *cur = sqlite3_malloc(sizeof(*cur));

	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	*out = &cur->base;
	return SQLITE_OK;
}

static int nmv_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int nmv_filter(sqlite3_vtab_cursor *vc, int idx, const char *idxs, int argc,
                      sqlite3_value **argv)
{
	struct nm_cursor *cur = (struct nm_cursor *)vc;

	cur->c = argc > 0 ? sqlite3_value_pointer(argv[0], PD_ATTR_PTR) : NULL;
	cur->i = 1;
	return SQLITE_OK;
}

static int nmv_next(sqlite3_vtab_cursor *vc)
{
	((struct nm_cursor *)vc)->i++;
	return SQLITE_OK;
}

static int nmv_eof(sqlite3_vtab_cursor *vc)
{
	const struct nm_cursor *cur = (const struct nm_cursor *)vc;

	return !cur->c || cur->i >= cur->c->nm.n;
}

static int nmv_column(sqlite3_vtab_cursor *vc, sqlite3_context *fc, int col)
{
	const struct nm_cursor *cur = (const struct nm_cursor *)vc;
	const struct ctx *c = cur->c;
	const struct nment *e = &c->nm.e[cur->i];

	switch (col) {
	case NMV_IP:
		sqlite3_result_text(fc, c->ips.strs[e->ip], -1, SQLITE_STATIC);
		break;
	case NMV_NAME:
		sqlite3_result_text(fc, c->names.strs[e->name], -1, SQLITE_STATIC);
		break;
	case NMV_REG: /* computed for every record before the INSERT (write_names) */
		sqlite3_result_text(fc, c->names.strs[c->reg[e->name]], -1, SQLITE_STATIC);
		break;
	case NMV_SOURCE:
		sqlite3_result_text(fc, src_names[e->src], -1, SQLITE_STATIC);
		break;
	case NMV_COUNT:
		sqlite3_result_int64(fc, e->count);
		break;
	case NMV_FIRST:
		sqlite3_result_int64(fc, e->first);
		break;
	case NMV_LAST:
		sqlite3_result_int64(fc, e->last);
		break;
	default:
		break;
	}
	return SQLITE_OK;
}

static int nmv_rowid(sqlite3_vtab_cursor *vc, sqlite3_int64 *rowid)
{
	*rowid = ((const struct nm_cursor *)vc)->i;
	return SQLITE_OK;
}

static const sqlite3_module nm_module = {
	.xConnect = nmv_connect,
	.xBestIndex = nmv_best_index,
	.xDisconnect = nmv_disconnect,
	.xOpen = nmv_open,
	.xClose = nmv_close,
	.xFilter = nmv_filter,
	.xNext = nmv_next,
	.xEof = nmv_eof,
	.xColumn = nmv_column,
	.xRowid = nmv_rowid,
};

/* The names table (records in the order first seen) in one INSERT, then the limit findings. */
static enum pd_err write_names(struct ctx *c)
{
	static const char ins_sql[] =
	        "INSERT INTO names (capture_id, ip, name, registrable, source, count, first_ns,"
	        " last_ns) SELECT ?2, ip, name, registrable, source, count, first_ns, last_ns"
	        " FROM pd_attr_names WHERE ctx = ?1";
	static const char find_sql[] =
	        "INSERT INTO findings (capture_id, kind, severity, subject, detail, count)"
	        " VALUES (?1, 'limit', 'warning', ?2, ?3, ?4)";
	sqlite3_stmt *fnd = NULL;
	enum pd_err err = PD_OK;
	char detail[256];
	uint32_t i, ip;

	for (i = 1; i < c->nm.n; i++)
		if (!reg_of(c, c->nm.e[i].name))
			return nomem(c);
	if (c->nm.n > 1) {
		int64_t args[1] = { c->capture_id };

		err = run_fn_sql(c, ins_sql, args, 1, "writing names");
		if (err)
			return err;
	}
	if (sqlite3_prepare_v2(c->db, find_sql, -1, &fnd, NULL) != SQLITE_OK) {
		err = db_err(c, "preparing names");
		goto out;
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

static const struct {
	const char *name;
	int nargs;
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
} fns[] = {
	{ "pd_attr_scan", 15, fn_scan },
	{ "pd_attr_flow", 18, fn_flow },
	{ "pd_attr_out", 3, fn_out },
	{ "pd_attr_ans", 9, fn_ans },
};

/* Registers the per-row functions on the connection (already there is fine: an earlier
 * removal may have been refused while another statement was running). */
static enum pd_err register_fns(struct ctx *c)
{
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		int rc = sqlite3_create_function_v2(c->db, fns[i].name, fns[i].nargs,
		                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
		                                    fns[i].fn, NULL, NULL, NULL);

		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			return PD_ERR_DB;
	}
	if (sqlite3_create_module_v2(c->db, "pd_attr_names", &nm_module, NULL, NULL) != SQLITE_OK)
		return PD_ERR_DB;
	return PD_OK;
}

/* Removes them again, leaving the connection as it was; a refusal (SQLITE_BUSY while the
 * caller has a statement running) leaves them registered, which is harmless: they need the
 * ctx pointer only attribution binds. */
static void unregister_fns(struct ctx *c)
{
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		sqlite3_create_function_v2(c->db, fns[i].name, fns[i].nargs, SQLITE_UTF8, NULL,
		                           NULL, NULL, NULL, NULL);
	sqlite3_create_module_v2(c->db, "pd_attr_names", NULL, NULL, NULL);
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
	c.flow_lo = 1; /* no flows until scan_flows finds some */
	c.errbuf = errbuf;
	c.grace_ns = PD_DNS_GRACE_DEFAULT_S * NS;
	if (opts && opts->dns_grace_ns > 0)
		c.grace_ns = opts->dns_grace_ns < PD_ATTR_MAX_GRACE ? opts->dns_grace_ns
		                                                    : PD_ATTR_MAX_GRACE;
	else if (opts && opts->dns_grace_ns < 0)
		c.grace_ns = 0; /* an explicit "no grace" */

	{
		char *ses = NULL, *ea = NULL;

		err = pd_session_answer_scope(db, capture_id, &ses, &ea, errbuf);
		if (err)
			return err;
		if (ses || ea) {
			/* both arrays joined: "[1,2]" + "[5]" -> "[1,2,5]" */
			char self[32];
			const char *a = ses;
			size_t la, lb;

			if (!a) {
				snprintf(self, sizeof(self), "[%" PRId64 "]", capture_id);
				a = self;
			}
			la = strlen(a);
			lb = ea ? strlen(ea) : 0;
			c.scope_all = malloc(la + lb + 2);
			if (c.scope_all) {
				memcpy(c.scope_all, a, la + 1);
				if (ea) {
					c.scope_all[la - 1] = ',';
					memcpy(c.scope_all + la, ea + 1, lb);
				}
			}
			c.scope_earlier = ea;
			c.scope_session = ses;
			if (!c.scope_all) {
				free(ea);
				free(ses);
				return nomem(&c);
			}
		}
	}
	if (register_fns(&c) != PD_OK) {
		free(c.scope_all);
		free(c.scope_earlier);
		free(c.scope_session);
		return db_err(&c, "registering functions");
	}
	if (sqlite3_exec(db, "SAVEPOINT pd_names", NULL, NULL, NULL) != SQLITE_OK) {
		unregister_fns(&c);
		free(c.scope_all);
		free(c.scope_earlier);
		free(c.scope_session);
		return db_err(&c, "starting");
	}
	err = clear_previous(&c);
	if (!err)
		err = pd_subject_load(db, capture_id, &c.subj, errbuf);
	if (!err)
		err = scan_flows(&c);
	if (!err)
		err = load_answers(&c);
	if (!err)
		err = load_ptrs(&c);
	if (!err)
		err = apply_inflow(&c);
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
	unregister_fns(&c);
	st_free(&c.ips);
	st_free(&c.names);
	free(c.addrs);
	free(c.ans);
	rt_free(&c.nm);
	rt_free(&c.pend);
	st_free(&c.srv);
	st_free(&c.fsrv);
	free(c.srvi);
	free(c.reg);
	pd_psl_memo_free(c.psl);
	free(c.cands);
	free(c.cand_ts);
	free(c.q);
	free(c.raw);
	st_free(&c.tmp);
	free(c.scope_all);
	free(c.scope_earlier);
	free(c.scope_session);
	return err;
}
