/*
 * model.c - database (analyze/schema.sql) -> one in-memory report model (model.h), plus the
 * format dispatch of report.h.
 *
 * How it works: the selected capture ids go into a temporary table; flows are aggregated per
 * (name, server address, port, protocol) in one scan into a hash table (load_rows), strings
 * interned. Registrable domains and CDNs are computed once per distinct name. Per distinct address
 * (rows sorted by address) GeoIP is looked up once (geo_cache first), PTR results come from
 * ptr_cache (after an optional pd_rdns_resolve), policy status from pd_policy_allows. Rows are then
 * grouped by registrable domain (pd_registrable) into destinations. SPEC 2.3 (evidence
 * order), 2.4, 2.6.
 *
 * Assumes: the database has the current schema; every string in it is untrusted (it came from
 * a packet or a file) and is stored as is: escaping happens in the writers only.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "subject.h"
#include "names.h"

/* ---- arena: every model string, freed at once ---- */

struct pd_arena {
	struct pd_arena *next;
	size_t used, cap;
	char data[];
};

#define ARENA_BLOCK (64 * 1024)

static void *arena_alloc(struct pd_model *m, size_t n)
{
	struct pd_arena *a = m->arena;
	size_t cap;

	n = (n + 7) & ~(size_t)7;
	if (!a || a->cap - a->used < n) {
		cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		a = malloc(sizeof(*a) + cap);
		if (!a)
			return NULL;
		a->next = m->arena;
		a->used = 0;
		a->cap = cap;
		m->arena = a;
	}
	a->used += n;
	return a->data + a->used - n;
}

static void arena_free(struct pd_arena *a)
{
	struct pd_arena *n;

	for (; a; a = n) {
		n = a->next;
		free(a);
	}
}

/* Copies s (NULL stays NULL); an allocation failure also yields NULL, checked by callers
 * through m_oom. */
static char *sdup(struct pd_model *m, const char *s)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	d = arena_alloc(m, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static char *col_str(struct pd_model *m, sqlite3_stmt *st, int i)
{
	return sdup(m, (const char *)sqlite3_column_text(st, i));
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return PD_NS_NONE;
	return sqlite3_column_int64(st, i);
}

/* Adds v to *acc, saturating at INT64_MIN/INT64_MAX: counts come from databases made
 * elsewhere (merge), and a hostile one must not overflow a signed sum. */
static void sat_add(int64_t *acc, int64_t v)
{
	if (__builtin_add_overflow(*acc, v, acc))
		*acc = v > 0 ? INT64_MAX : INT64_MIN;
}

int64_t pd_rm_duration_ns(int64_t first_ns, int64_t last_ns)
{
	int64_t d;

	return __builtin_sub_overflow(last_ns, first_ns, &d) || d < 0 ? 0 : d;
}

int64_t pd_rm_sat_sum(int64_t a, int64_t b)
{
	sat_add(&a, b);
	return a;
}

/* Grows *arr (elements of size sz) to hold n + 1; returns the new element or NULL. */
static void *grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	void *p;
	size_t c;

	if (n == *cap) {
		c = *cap ? *cap * 2 : 16;
		p = realloc(*arr, c * sz);
		if (!p)
			return NULL;
		*arr = p;
		*cap = c;
	}
	p = (char *)*arr + n * sz;
	memset(p, 0, sz);
	return p;
}

/* ---- a small string builder for joined lists ---- */

struct sb {
	char *s;
	size_t len, cap;
	bool oom;
	/* The set view of sb_addset: the list's pieces (split at sep) hashed into slot[], built
	 * once the list has SB_SCAN_MAX pieces. Scanning the joined string for every add made
	 * destinations with thousands of addresses quadratic: 34% of a 500 MB `report` (perf). */
	struct sb_slot *slot; /* open addressing, n_slots a power of two; len 0 = empty */
	size_t n_slots, n_pieces;
	const char *slot_sep; /* the separator the index was built for */
};

struct sb_slot {
	uint32_t off, len; /* a piece of s */
};

#define SB_SCAN_MAX 16 /* lists this short are scanned, as cheap as hashing */

static void sb_add(struct sb *b, const char *s, size_t n)
{
	char *p;
	size_t c;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		c = b->cap ? b->cap : 64;
		while (c < b->len + n + 1)
			c *= 2;
		p = realloc(b->s, c);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = c;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static uint32_t sb_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (n--)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

/* Finds the piece p[0..n) in the index; inserts it when insert. Returns whether it was there. */
static bool sb_slot_find(struct sb *b, const char *p, size_t n, bool insert)
{
	size_t mask = b->n_slots - 1, i = sb_hash(p, n) & mask;
	struct sb_slot *sl;

	for (;; i = (i + 1) & mask) {
		sl = &b->slot[i];
		if (!sl->len)
			break;
		if (sl->len == n && !memcmp(b->s + sl->off, p, n))
			return true;
	}
	if (insert) {
		sl->off = (uint32_t)(p - b->s);
		sl->len = (uint32_t)n;
		b->n_pieces++;
	}
	return false;
}

/*
 * (Re)builds the index from the pieces of the joined string, the way the scan in sb_addset
 * sees them (empty pieces never match a non-empty item and are left out). False when out of
 * memory or the list is too long for 32-bit offsets: the caller scans instead.
 */
static bool sb_index(struct sb *b, const char *sep)
{
	size_t sl = strlen(sep), n = 64, k;
	const char *p = b->s, *e;

	if (b->len >= UINT32_MAX)
		return false;
	while (n < 4 * (b->n_pieces + 1))
		n *= 2;
	free(b->slot);
	b->slot = calloc(n, sizeof(*b->slot));
	if (!b->slot)
		return false;
	b->n_slots = n;
	b->n_pieces = 0;
	b->slot_sep = sep;
	while (p && *p) {
		e = strstr(p, sep);
		k = e ? (size_t)(e - p) : strlen(p);
		if (k)
			(void)sb_slot_find(b, p, k, true);
		p = e ? e + sl : NULL;
	}
	return true;
}

/*
 * Adds item to a sep-joined list unless it is already in it: a list piece (split at sep) equal
 * to item. An item that itself contains sep is never equal to a piece, so it is always added
 * (and its pieces count from then on), as a plain scan of the joined string would do.
 */
static void sb_addset(struct sb *b, const char *item, const char *sep)
{
	size_t il = strlen(item), sl = strlen(sep);
	const char *p = b->s, *e;
	bool indexed = b->slot && b->slot_sep == sep;

	if (!indexed && b->n_pieces >= SB_SCAN_MAX)
		indexed = sb_index(b, sep);
	if (indexed && il) {
		if (!strstr(item, sep) && sb_slot_find(b, item, il, false))
			return;
	} else {
		while (p && *p) {
			e = strstr(p, sep);
			if ((size_t)((e ? e : p + strlen(p)) - p) == il && !memcmp(p, item, il))
				return;
			p = e ? e + sl : NULL;
		}
	}
	if (b->len)
		sb_str(b, sep);
	sb_str(b, item);
	if (b->oom)
		return;
	/* Count (and index) the pieces the item added; rebuild when the index gets half full. */
	if (indexed && 2 * (b->n_pieces + 1) > b->n_slots) {
		(void)sb_index(b, sep);
		return;
	}
	for (p = b->s + b->len - il; p;) {
		e = strstr(p, sep);
		il = e ? (size_t)(e - p) : strlen(p);
		if (!il)
			;
		else if (indexed)
			(void)sb_slot_find(b, p, il, true);
		else
			b->n_pieces++;
		p = e ? e + sl : NULL;
	}
}

static void sb_free(struct sb *s)
{
	free(s->s);
	free(s->slot);
}

/* ---- a string-keyed hash map (keys are not copied: they must outlive the map) ---- */

struct smap_ent {
	const char *key; /* NULL: empty slot */
	uint32_t hash;
	void *val;
};

struct smap {
	struct smap_ent *e;
	size_t n, cap; /* cap: 0 or a power of two */
};

/* The value slot of key, inserted (value NULL) when insert and missing; NULL when missing (or
 * out of memory: *oom is set). */
static void **smap_get(struct smap *m, const char *key, bool insert, bool *oom)
{
	uint32_t h = sb_hash(key, strlen(key));
	struct smap_ent *e, *ne;
	size_t i, j, nc;

	if (insert && 2 * (m->n + 1) > m->cap) {
		nc = m->cap ? 2 * m->cap : 64;
		ne = calloc(nc, sizeof(*ne));
		if (!ne) {
			*oom = true;
			return NULL;
		}
		for (i = 0; i < m->cap; i++) {
			if (!m->e[i].key)
				continue;
			for (j = m->e[i].hash & (nc - 1); ne[j].key; j = (j + 1) & (nc - 1))
				;
			ne[j] = m->e[i];
		}
		free(m->e);
		m->e = ne;
		m->cap = nc;
	}
	if (!m->cap)
		return NULL;
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		e = &m->e[i];
		if (!e->key)
			break;
		if (e->hash == h && !strcmp(e->key, key))
			return &e->val;
	}
	if (!insert)
		return NULL;
	e->key = key;
	e->hash = h;
	e->val = NULL;
	m->n++;
	return &e->val;
}

static void smap_free(struct smap *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* ---- time and byte formatting ---- */

/* Writes v as exactly n decimal digits (zero-padded) at p. */
static void put_digits(char *p, unsigned v, int n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

const char *pd_rm_time(int64_t ns, char buf[32])
{
	struct tm tm;
	time_t t;
	int64_t ms, days, secs, z, era, doe, yoe, doy, mp, y;
	char tmp[96];

	buf[0] = 0;
	if (ns == PD_NS_NONE)
		return buf;
	/* Times from 1970 (any ns >= 0: up to 2262) by hand, days to civil date (proleptic
	 * Gregorian); the writers call this twice a row and gmtime_r plus two snprintf were a
	 * fifth of writing a CSV file. Earlier times take the gmtime_r path below. */
	if (ns >= 0) {
		secs = ns / 1000000000LL;
		ms = (ns % 1000000000LL) / 1000000;
		days = secs / 86400;
		secs %= 86400;
		z = days + 719468;
		era = z / 146097;
		doe = z - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		y = yoe + era * 400;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		if (mp >= 10)
			y++;
		memcpy(buf, "0000-00-00T00:00:00.000Z", 25);
		put_digits(buf, (unsigned)y, 4);
		put_digits(buf + 5, (unsigned)(mp < 10 ? mp + 3 : mp - 9), 2);
		put_digits(buf + 8, (unsigned)(doy - (153 * mp + 2) / 5 + 1), 2);
		put_digits(buf + 11, (unsigned)(secs / 3600), 2);
		put_digits(buf + 14, (unsigned)(secs / 60 % 60), 2);
		put_digits(buf + 17, (unsigned)(secs % 60), 2);
		put_digits(buf + 20, (unsigned)ms, 3);
		return buf;
	}
	t = (time_t)(ns / 1000000000LL);
	ms = (ns % 1000000000LL) / 1000000;
	if (ms < 0) {
		t -= 1;
		ms += 1000;
	}
	if (!gmtime_r(&t, &tm))
		return buf;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	snprintf(buf, 32, "%.31s", tmp);
	return buf;
}

const char *pd_rm_bytes(int64_t n, char buf[32])
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	int u = -1;

	if (n < 1000) {
		snprintf(buf, 32, "%" PRId64 " B", n);
		return buf;
	}
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, 32, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* ---- evidence ranks (SPEC 2.3, strongest first) ---- */

/* Strongest first; the index is the evidence's rank (SQL_EVIDENCE_RANK gives 0..8, 10 for none;
 * ptr-lookup is only given at report time); ev_flows[] is indexed by it. */
const char *const pd_rm_evidence_names[PD_RM_N_EVIDENCE] = {
	"sni",
	"quic-sni",
	"http-host",
	"socks",
	"dns",
	"dns-earlier-capture",
	"dns-other-client",
	"dns-expired",
	"ptr-capture",
	"ptr-lookup",
	"none",
};
enum { EV_PTR_LOOKUP = 9 };
const char *const pd_rm_tcp_state_names[PD_RM_N_TCP] = { "established", "syn-only", "refused",
	                                                 "midstream", "other" };

static int tcp_state_ix(const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < PD_RM_N_TCP - 1; i++)
		if (!strcmp(s, pd_rm_tcp_state_names[i]))
			return i;
	return PD_RM_N_TCP - 1;
}
static const char *const confidence_names[] = { "high", "medium", "low" };

#define SQL_EVIDENCE_RANK                                                                          \
	"CASE evidence WHEN 'sni' THEN 0 WHEN 'quic-sni' THEN 1 WHEN 'http-host' THEN 2 "          \
	"WHEN 'socks' THEN 3 WHEN 'dns' THEN 4 WHEN 'dns-earlier-capture' THEN 5 "                 \
	"WHEN 'dns-other-client' THEN 6 WHEN 'dns-expired' THEN 7 WHEN 'ptr-capture' THEN 8 "      \
	"ELSE 10 END"
#define SQL_CONFIDENCE_RANK "CASE confidence WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"
#define SQL_SEL             "capture_id IN (SELECT id FROM temp.pd_report_sel)"
/* Destinations: the subject's egress, and transit flows (no subject known, or a bridge
 * capture where each client is its own subject). Inbound, internal and control: sides. */
#define SQL_DEST "direction IN ('egress', 'transit')"

static int rank_of(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s && !strcmp(names[i], s))
			return (int)i;
	return (int)n - 1;
}

/* ---- building ---- */

struct build {
	sqlite3 *db;
	const struct pd_report_opts *o;
	struct pd_model *m;
	char *errbuf;
	size_t cap_caps, cap_rows, cap_dests, cap_unres, cap_shared, cap_unused, cap_find, cap_cnt;
	/* Per distinct name (and AS organisation): its registrable domain and CDN, computed once
	 * (Public Suffix List and CDN table lookups were a quarter of a report's time). */
	struct smap names, orgs;
	bool map_oom;
};

struct nameinfo {
	char *reg;       /* pd_registrable, in the arena */
	const char *cdn; /* pd_cdn_from_name or pd_cdn_from_as_org */
	bool has_reg, has_cdn;
};

/* The cache entry of name in map (created on first use); NULL when out of memory. */
static struct nameinfo *name_info(struct build *b, struct smap *map, const char *name)
{
	void **slot = smap_get(map, name, false, &b->map_oom);
	char *key;

	if (!slot) {
		key = sdup(b->m, name);
		if (!key || !(slot = smap_get(map, key, true, &b->map_oom)))
			return NULL;
		*slot = arena_alloc(b->m, sizeof(struct nameinfo));
		if (!*slot)
			return NULL;
		memset(*slot, 0, sizeof(struct nameinfo));
	}
	return *slot;
}

/* Registrable domain of name (arena; cached), NULL when out of memory. */
static char *reg_of(struct build *b, const char *name)
{
	struct nameinfo *ni = name_info(b, &b->names, name);
	char reg[512];

	if (ni && !ni->has_reg) {
		ni->reg = sdup(b->m, pd_registrable(name, reg, sizeof(reg)));
		if (!ni->reg)
			return NULL;
		ni->has_reg = true;
	}
	return ni ? ni->reg : NULL;
}

/* lookup(key) (pd_cdn_from_name or pd_cdn_from_as_org), cached per key in map (b->names or
 * b->orgs); *oom set when out of memory. */
static const char *cdn_cached(struct build *b, struct smap *map, const char *key,
                              const char *(*lookup)(const char *), bool *oom)
{
	struct nameinfo *ni = name_info(b, map, key);

	if (!ni) {
		*oom = true;
		return NULL;
	}
	if (!ni->has_cdn) {
		ni->cdn = lookup(key);
		ni->has_cdn = true;
	}
	return ni->cdn;
}

/* SUM that saturates instead of failing with "integer overflow": a merged database may hold
 * counts whose sum passes INT64_MAX. TOTAL is exact up to 2^53; CAST clamps beyond INT64. */
#define SQL_SATSUM(x) "CAST(TOTAL(" x ") AS INTEGER)"

static enum pd_err db_err(struct build *b, const char *what)
{
	return pd_errf(b->errbuf, PD_ERR_DB, "report: %s: %s", what, sqlite3_errmsg(b->db));
}

static enum pd_err prep(struct build *b, const char *sql, sqlite3_stmt **st, const char *what)
{
	if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_err(b, what);
	return PD_OK;
}

static enum pd_err oom(struct build *b)
{
	return pd_errf(b->errbuf, PD_ERR_NOMEM, "report: out of memory");
}

static enum pd_err select_captures(struct build *b)
{
	sqlite3_stmt *q = NULL, *ins = NULL;
	enum pd_err e = PD_OK;
	size_t i;

	if (sqlite3_exec(b->db,
	                 "CREATE TEMP TABLE IF NOT EXISTS pd_report_sel(id INTEGER PRIMARY KEY);"
	                 "DELETE FROM temp.pd_report_sel;",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return db_err(b, "capture selection");
	if (!b->o->capture_ids || !b->o->n_capture_ids) {
		if (sqlite3_exec(b->db, "INSERT INTO temp.pd_report_sel SELECT id FROM captures",
		                 NULL, NULL, NULL) != SQLITE_OK)
			return db_err(b, "capture selection");
		return PD_OK;
	}
	e = prep(b, "SELECT 1 FROM captures WHERE id = ?", &q, "capture selection");
	if (!e)
		e = prep(b, "INSERT OR IGNORE INTO temp.pd_report_sel(id) VALUES (?)", &ins,
		         "capture selection");
	for (i = 0; !e && i < b->o->n_capture_ids; i++) {
		sqlite3_bind_int64(q, 1, b->o->capture_ids[i]);
		if (sqlite3_step(q) != SQLITE_ROW)
			e = pd_errf(b->errbuf, PD_ERR_NOTFOUND,
			            "report: no capture with id %" PRId64 " in the database",
			            b->o->capture_ids[i]);
		sqlite3_reset(q);
		if (e)
			break;
		sqlite3_bind_int64(ins, 1, b->o->capture_ids[i]);
		if (sqlite3_step(ins) != SQLITE_DONE)
			e = db_err(b, "capture selection");
		sqlite3_reset(ins);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	return e;
}

static enum pd_err load_captures(struct build *b)
{
	struct pd_model *m = b->m;
	sqlite3_stmt *st = NULL, *is = NULL, *ls = NULL;
	struct pd_rm_capture *c;
	struct pd_rm_iface *fi;
	struct pd_rm_local *lo;
	size_t cap_if, cap_lo;
	enum pd_err e;
	int rc;

	e = prep(b,
	         "SELECT id, size, first_ns, last_ns, packets, bytes, drops, cut_at, pid, path, "
	         "sha256, format, link_types, error, tool_version, runtime, container_id, "
	         "container_name, image, capture_host, capture_filter, capture_app, comment "
	         "FROM captures WHERE id IN (SELECT id FROM temp.pd_report_sel) ORDER BY id",
	         &st, "reading captures");
	if (!e)
		e = prep(b,
		         "SELECT idx, name, description, link_type, snaplen, received, dropped "
		         "FROM interfaces WHERE capture_id = ? ORDER BY idx",
		         &is, "reading interfaces");
	if (!e)
		e = prep(
		        b,
		        "SELECT ip, prefix, source, iface FROM capture_locals WHERE capture_id = ? "
		        "ORDER BY rowid",
		        &ls, "reading local addresses");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = grow((void **)&m->caps, &b->cap_caps, m->n_caps, sizeof(*c));
		if (!c) {
			e = oom(b);
			break;
		}
		m->n_caps++;
		c->id = sqlite3_column_int64(st, 0);
		c->size = col_i64(st, 1);
		c->first_ns = col_i64(st, 2);
		c->last_ns = col_i64(st, 3);
		c->packets = col_i64(st, 4);
		c->bytes = col_i64(st, 5);
		c->drops = col_i64(st, 6);
		c->cut_at = col_i64(st, 7);
		c->pid = col_i64(st, 8);
		c->path = col_str(m, st, 9);
		c->sha256 = col_str(m, st, 10);
		c->format = col_str(m, st, 11);
		c->link_types = col_str(m, st, 12);
		c->error = col_str(m, st, 13);
		c->tool_version = col_str(m, st, 14);
		c->runtime = col_str(m, st, 15);
		c->container_id = col_str(m, st, 16);
		c->container_name = col_str(m, st, 17);
		c->image = col_str(m, st, 18);
		c->capture_host = col_str(m, st, 19);
		c->capture_filter = col_str(m, st, 20);
		c->capture_app = col_str(m, st, 21);
		c->comment = col_str(m, st, 22);
		cap_if = 0;
		sqlite3_bind_int64(is, 1, c->id);
		while ((rc = sqlite3_step(is)) == SQLITE_ROW) {
			fi = grow((void **)&c->ifaces, &cap_if, c->n_ifaces, sizeof(*fi));
			if (!fi) {
				e = oom(b);
				break;
			}
			c->n_ifaces++;
			fi->idx = col_i64(is, 0);
			fi->name = col_str(m, is, 1);
			fi->description = col_str(m, is, 2);
			fi->link_type = col_str(m, is, 3);
			fi->snaplen = col_i64(is, 4);
			fi->received = col_i64(is, 5);
			fi->dropped = col_i64(is, 6);
		}
		if (!e && rc != SQLITE_DONE)
			e = db_err(b, "reading interfaces");
		sqlite3_reset(is);
		cap_lo = 0;
		sqlite3_bind_int64(ls, 1, c->id);
		while (!e && (rc = sqlite3_step(ls)) == SQLITE_ROW) {
			lo = grow((void **)&c->locals, &cap_lo, c->n_locals, sizeof(*lo));
			if (!lo) {
				e = oom(b);
				break;
			}
			c->n_locals++;
			lo->ip = col_str(m, ls, 0);
			lo->prefix = col_i64(ls, 1);
			lo->source = col_str(m, ls, 2);
			lo->iface = col_str(m, ls, 3);
		}
		if (!e && rc != SQLITE_DONE)
			e = db_err(b, "reading local addresses");
		sqlite3_reset(ls);
		rc = SQLITE_ROW;
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "reading captures");
	sqlite3_finalize(st);
	sqlite3_finalize(is);
	sqlite3_finalize(ls);
	return e;
}

/*
 * Splits a group_concat(DISTINCT x || char(30)) result ("a\x1e,b\x1e") and adds each item,
 * further split at '|' when split_pipe, to the set b.
 */
static void add_concat(struct sb *set, const char *s, bool split_pipe, const char *sep)
{
	char item[1024];
	const char *p = s, *e;
	size_t n;

	while (p && *p) {
		e = strchr(p, 0x1e);
		n = e ? (size_t)(e - p) : strlen(p);
		while (n) {
			const char *bar = split_pipe ? memchr(p, '|', n) : NULL;
			size_t k = bar ? (size_t)(bar - p) : n;

			if (k > 0 && k < sizeof(item)) {
				memcpy(item, p, k);
				item[k] = 0;
				sb_addset(set, item, sep);
			}
			p += k;
			n -= k;
			if (bar) {
				p++;
				n--;
			}
		}
		if (!e)
			break;
		p = e + 1;
		if (*p == ',')
			p++;
	}
}

/*
 * Flows aggregated per (name, server address, port, protocol) in C: one scan of the selected
 * flows and a hash table of groups. The GROUP BY this replaces sorted every flow in SQLite
 * (half of a report's time) and fed DISTINCT aggregates through temporary b-trees. The
 * results are the same: groups keep the order SQLite fed rows to the aggregates (the scan
 * order), and the distinct lists are rebuilt as the group_concat(DISTINCT ...) strings were.
 */

/* A distinct value of a group's list (candidates, app_proto, capture ids), in first-seen order;
 * strings are interned, so equal values are equal pointers. */
struct vnode {
	struct vnode *next;
	const char *s;
	int64_t v;
};

struct vlist {
	struct vnode *head, *tail;
	size_t n;
};

/* The aggregation side of a row. */
struct agg {
	int64_t port; /* as grouped; the row has it as unsigned (sqlite3_column_int) */
	uint32_t hash;
	int ev, conf;
	struct vlist cands, apps, caps, tuns;
	int64_t tuns_more; /* flows through tunnel paths past PD_RM_MAX_TUNNELS */
};

/* (group, list, value) triples of the lists longer than VLIST_SCAN: their dedup index. */
struct vkey {
	uint64_t gk; /* group << 2 | list; UINT64_MAX: empty */
	uint64_t v;
};

#define VLIST_SCAN 8

struct rows_build {
	struct pd_model tmp; /* its arena holds the vnodes, freed after the scan */
	struct smap strs;    /* interned strings (keys are arena copies, values the keys) */
	struct vkey *vk;
	size_t n_vk, cap_vk;
	bool oom;
};

static uint64_t vkey_hash(uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;

	return h ^ (h >> 32);
}

/* Looks (gk, v) up; inserts it when missing. Returns whether it was there. */
static bool vkey_add(struct rows_build *rb, uint64_t gk, uint64_t v)
{
	struct vkey *nv;
	size_t i, j, nc;

	if (2 * (rb->n_vk + 1) > rb->cap_vk) {
		nc = rb->cap_vk ? 2 * rb->cap_vk : 256;
		nv = malloc(nc * sizeof(*nv));
		if (!nv) {
			rb->oom = true;
			return true;
		}
		memset(nv, 0xff, nc * sizeof(*nv));
		for (i = 0; i < rb->cap_vk; i++) {
			if (rb->vk[i].gk == UINT64_MAX)
				continue;
			for (j = vkey_hash(rb->vk[i].gk, rb->vk[i].v) & (nc - 1);
			     nv[j].gk != UINT64_MAX; j = (j + 1) & (nc - 1))
				;
			nv[j] = rb->vk[i];
		}
		free(rb->vk);
		rb->vk = nv;
		rb->cap_vk = nc;
	}
	for (i = vkey_hash(gk, v) & (rb->cap_vk - 1); rb->vk[i].gk != UINT64_MAX;
	     i = (i + 1) & (rb->cap_vk - 1))
		if (rb->vk[i].gk == gk && rb->vk[i].v == v)
			return true;
	rb->vk[i].gk = gk;
	rb->vk[i].v = v;
	rb->n_vk++;
	return false;
}

/* Adds a value (string s, or integer v when s is NULL) to list `which` of group g unless it is
 * there (group_concat(DISTINCT)). */
static void vlist_add(struct rows_build *rb, struct vlist *l, size_t g, unsigned which,
                      const char *s, int64_t v)
{
	uint64_t gk = (uint64_t)g << 2 | which, key = s ? (uint64_t)(uintptr_t)s : (uint64_t)v;
	struct vnode *n;

	if (l->n <= VLIST_SCAN) {
		for (n = l->head; n; n = n->next)
			if (s ? n->s == s : n->v == v)
				return;
		if (l->n == VLIST_SCAN) /* from now on the index answers */
			for (n = l->head; n; n = n->next)
				(void)vkey_add(rb, gk,
				               n->s ? (uint64_t)(uintptr_t)n->s : (uint64_t)n->v);
	}
	if (l->n >= VLIST_SCAN && vkey_add(rb, gk, key))
		return;
	n = arena_alloc(&rb->tmp, sizeof(*n));
	if (!n) {
		rb->oom = true;
		return;
	}
	n->next = NULL;
	n->s = s;
	n->v = v;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	l->n++;
}

/* s as an interned model string (NULL stays NULL, as does an allocation failure: rb->oom). */
static char *intern(struct build *b, struct rows_build *rb, const char *s)
{
	void **slot;
	char *key;

	if (!s)
		return NULL;
	slot = smap_get(&rb->strs, s, false, &rb->oom);
	if (slot)
		return *slot;
	key = sdup(b->m, s);
	if (!key || !(slot = smap_get(&rb->strs, key, true, &rb->oom))) {
		rb->oom = true;
		return NULL;
	}
	*slot = key;
	return key;
}

/* Column i as an interned model string. */
static char *col_intern(struct build *b, struct rows_build *rb, sqlite3_stmt *st, int i)
{
	return intern(b, rb, (const char *)sqlite3_column_text(st, i));
}

/* The list as its group_concat(DISTINCT x || char(30)) text, split again by add_concat. */
static void vlist_concat(struct sb *set, struct sb *tmp, const struct vlist *l, bool split_pipe,
                         const char *sep)
{
	const struct vnode *n;

	set->len = 0;
	if (set->s)
		set->s[0] = 0;
	if (!l->head)
		return;
	tmp->len = 0;
	for (n = l->head; n; n = n->next) {
		if (tmp->len)
			sb_add(tmp, ",", 1);
		sb_str(tmp, n->s);
		sb_add(tmp, "\x1e", 1);
	}
	if (!tmp->oom)
		add_concat(set, tmp->s, split_pipe, sep);
}

/* Rows by (server address, name, port, protocol): the GROUP BY order (name, address, port,
 * protocol) followed by the stable sort by address enrich_addresses did. NULL names first. */
static int cmp_row_key(const void *a, const void *b)
{
	const struct pd_rm_row *x = a, *y = b;
	int c = strcmp(x->server_ip, y->server_ip);

	if (c)
		return c;
	if (!x->domain != !y->domain)
		return x->domain ? 1 : -1;
	if (x->domain && (c = strcmp(x->domain, y->domain)))
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if ((c = strcmp(x->proto, y->proto)))
		return c;
	if (!x->via_ip != !y->via_ip)
		return x->via_ip ? 1 : -1;
	if (x->via_ip && (c = strcmp(x->via_ip, y->via_ip)))
		return c;
	return x->via_port < y->via_port ? -1 : x->via_port > y->via_port;
}

static int evidence_rank(const char *s)
{
	int i;

	for (i = 0; s && i < 9; i++) /* sni .. ptr-capture (ptr-lookup is set later) */
		if (!strcmp(s, pd_rm_evidence_names[i]))
			return i;
	return 10;
}

static enum pd_err load_rows(struct build *b)
{
	struct pd_model *m = b->m;
	struct rows_build rb = { 0 };
	sqlite3_stmt *st = NULL;
	struct pd_rm_row *r;
	struct agg *ag = NULL, *a;
	uint32_t *slot = NULL, h; /* group index + 1; 0: empty */
	size_t n_slots = 0, cap_ag = 0, i, g, k, nc;
	struct sb set = { 0 }, tmp = { 0 };
	char *name, *ip, *proto, *via;
	const char *s;
	int64_t port, capid, via_port;
	enum pd_err e;
	int rc, rank;
	char num[24];
	bool overflow = false;

	e = prep(b,
	         "SELECT name, server_ip, server_port, proto, evidence, confidence, candidates, "
	         "app_proto, packets_out, bytes_out, packets_in, bytes_in, first_ns, last_ns, "
	         "cname_chain, ech, ambiguous, capture_id, direction = 'egress', client_ip, "
	         "client_port, tcp_state, tunnel, NOT (continued AND EXISTS (SELECT 1 FROM"
	         " captures cc JOIN captures pp ON pp.sha256 = cc.session_prev WHERE cc.id ="
	         " flows.capture_id AND pp.id IN (SELECT id FROM temp.pd_report_sel))), via_ip,"
	         " via_port FROM flows WHERE " SQL_SEL " AND " SQL_DEST,
	         &st, "aggregating flows");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = col_intern(b, &rb, st, 0);
		ip = col_intern(b, &rb, st, 1);
		port = sqlite3_column_int64(st, 2);
		proto = col_intern(b, &rb, st, 3);
		via = col_intern(b, &rb, st, 24);
		via_port = sqlite3_column_int64(st, 25);
		if (rb.oom || !ip || !proto) {
			e = oom(b);
			break;
		}
		/* interned: equal strings are equal pointers */
		h = (uint32_t)vkey_hash((uint64_t)(uintptr_t)name ^ (uint64_t)port << 48 ^
		                                (uint64_t)(uintptr_t)via ^ (uint64_t)via_port << 32,
		                        (uint64_t)(uintptr_t)ip * 31 + (uint64_t)(uintptr_t)proto);
		for (k = n_slots ? h & (n_slots - 1) : 0; n_slots && slot[k];
		     k = (k + 1) & (n_slots - 1)) {
			r = &m->rows[slot[k] - 1];
			if (ag[slot[k] - 1].hash == h && ag[slot[k] - 1].port == port &&
			    r->domain == name && r->server_ip == ip && r->proto == proto &&
			    r->via_ip == via && r->via_port == (unsigned)via_port)
				break;
		}
		if (n_slots && slot[k]) {
			g = slot[k] - 1;
		} else {
			if (m->n_rows >= UINT32_MAX - 1) {
				e = oom(b);
				break;
			}
			/* a new group; the table grows at half full */
			r = grow((void **)&m->rows, &b->cap_rows, m->n_rows, sizeof(*r));
			a = r ? grow((void **)&ag, &cap_ag, m->n_rows, sizeof(*a)) : NULL;
			if (!a) {
				e = oom(b);
				break;
			}
			g = m->n_rows++;
			r->domain = name;
			r->server_ip = ip;
			r->port = (unsigned)port;
			r->proto = proto;
			r->via_ip = via;
			r->via_port = via ? (unsigned)via_port : 0;
			r->policy = "unchecked";
			r->direction = "transit";
			r->first_ns = INT64_MAX;
			r->last_ns = INT64_MIN;
			a->hash = h;
			a->port = port;
			a->ev = 10;
			a->conf = 2;
			if (2 * m->n_rows > n_slots) {
				nc = n_slots ? 2 * n_slots : 1024;
				free(slot);
				slot = calloc(nc, sizeof(*slot));
				if (!slot) {
					e = oom(b);
					break;
				}
				n_slots = nc;
				for (i = 0; i < m->n_rows; i++) {
					for (k = ag[i].hash & (nc - 1); slot[k];
					     k = (k + 1) & (nc - 1))
						;
					slot[k] = (uint32_t)i + 1;
				}
			} else {
				slot[k] = (uint32_t)g + 1;
			}
		}
		r = &m->rows[g];
		a = &ag[g];
		rank = evidence_rank((const char *)sqlite3_column_text(st, 4));
		a->ev = rank < a->ev ? rank : a->ev;
		s = (const char *)sqlite3_column_text(st, 5);
		rank = s && !strcmp(s, "high") ? 0 : s && !strcmp(s, "medium") ? 1 : 2;
		a->conf = rank < a->conf ? rank : a->conf;
		if ((s = col_intern(b, &rb, st, 6)))
			vlist_add(&rb, &a->cands, g, 0, s, 0);
		if ((s = col_intern(b, &rb, st, 7)))
			vlist_add(&rb, &a->apps, g, 1, s, 0);
		/* a connection continued across files of a session counts once (session.c) */
		r->flows += (uint64_t)sqlite3_column_int(st, 23);
		overflow |= __builtin_add_overflow(r->packets_out, sqlite3_column_int64(st, 8),
		                                   &r->packets_out);
		overflow |= __builtin_add_overflow(r->bytes_out, sqlite3_column_int64(st, 9),
		                                   &r->bytes_out);
		overflow |= __builtin_add_overflow(r->packets_in, sqlite3_column_int64(st, 10),
		                                   &r->packets_in);
		overflow |= __builtin_add_overflow(r->bytes_in, sqlite3_column_int64(st, 11),
		                                   &r->bytes_in);
		if (sqlite3_column_int64(st, 12) < r->first_ns)
			r->first_ns = sqlite3_column_int64(st, 12);
		if (sqlite3_column_int64(st, 13) > r->last_ns)
			r->last_ns = sqlite3_column_int64(st, 13);
		s = (const char *)sqlite3_column_text(st, 14);
		if (s && (!r->cname_chain || strcmp(s, r->cname_chain) > 0))
			r->cname_chain = col_intern(b, &rb, st, 14);
		overflow |= __builtin_add_overflow(r->ech_flows, sqlite3_column_int64(st, 15),
		                                   &r->ech_flows);
		r->ambiguous |= sqlite3_column_int64(st, 16) != 0;
		capid = sqlite3_column_int64(st, 17);
		if (sqlite3_column_int(st, 18))
			r->direction = "egress";
		vlist_add(&rb, &a->caps, g, 2, NULL, capid);
		r->ev_flows[evidence_rank((const char *)sqlite3_column_text(st, 4)) < 9
		                    ? evidence_rank((const char *)sqlite3_column_text(st, 4))
		                    : PD_RM_N_EVIDENCE - 1]++;
		rank = tcp_state_ix((const char *)sqlite3_column_text(st, 21));
		if (rank >= 0)
			r->tcp_flows[rank]++;
		if (pd_rm_duration_ns(sqlite3_column_int64(st, 12), sqlite3_column_int64(st, 13)) >
		    r->max_duration_ns)
			r->max_duration_ns = pd_rm_duration_ns(sqlite3_column_int64(st, 12),
			                                       sqlite3_column_int64(st, 13));
		if (r->n_conns < PD_RM_CONNS_MAX) {
			struct pd_rm_conn *cn = arena_alloc(m, sizeof(*cn));

			if (!cn) {
				e = oom(b);
				break;
			}
			cn->next = NULL;
			cn->client_ip = col_intern(b, &rb, st, 19);
			cn->client_port = (unsigned)sqlite3_column_int(st, 20);
			cn->tcp_state = rank;
			cn->first_ns = sqlite3_column_int64(st, 12);
			cn->last_ns = sqlite3_column_int64(st, 13);
			cn->bytes_out = sqlite3_column_int64(st, 9);
			cn->bytes_in = sqlite3_column_int64(st, 11);
			cn->capture_id = capid;
			if (r->conns_tail)
				r->conns_tail->next = cn;
			else
				r->conns = cn;
			r->conns_tail = cn;
			r->n_conns++;
		}
		if ((s = col_intern(b, &rb, st, 22))) {
			const struct vnode *v = a->tuns.head;
			while (v && v->s != s) /* interned: equal strings are equal pointers */
				v = v->next;
			if (!v && a->tuns.n < PD_RM_MAX_TUNNELS)
				vlist_add(&rb, &a->tuns, g, 3, s, 0);
			else if (!v)
				a->tuns_more++;
		}
		if (rb.oom)
			e = oom(b);
		else if (overflow)
			e = pd_errf(b->errbuf, PD_ERR_DB,
			            "report: aggregating flows: integer overflow");
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "aggregating flows");
	sqlite3_finalize(st);
	free(slot);
	for (g = 0; !e && g < m->n_rows; g++) {
		r = &m->rows[g];
		a = &ag[g];
		/* ranks as SQL_EVIDENCE_RANK / SQL_CONFIDENCE_RANK gave them: 0..8 or 10; 0..2 */
		r->evidence = pd_rm_evidence_names[a->ev < 9 ? a->ev : 10];
		r->confidence = confidence_names[a->conf];
		if (!r->domain) {
			r->evidence = "none";
			r->confidence = "low";
		}
		vlist_concat(&set, &tmp, &a->cands, true, "|");
		r->candidates = set.len ? sdup(m, set.s) : NULL;
		vlist_concat(&set, &tmp, &a->apps, false, ",");
		r->app_proto = set.len ? sdup(m, set.s) : NULL;
		if (set.oom || (set.len && !r->app_proto)) {
			e = oom(b);
			break;
		}
		vlist_concat(&set, &tmp, &a->tuns, false, "|");
		if (set.len && a->tuns_more) {
			snprintf(num, sizeof(num), "|(+%" PRId64 " flows)", a->tuns_more);
			sb_str(&set, num);
		}
		r->tunnels = set.len ? sdup(m, set.s) : NULL;
		if (set.oom || (set.len && !r->tunnels)) {
			e = oom(b);
			break;
		}
		if (a->caps.head && !a->caps.head->next) {
			snprintf(num, sizeof(num), "%" PRId64, a->caps.head->v);
			r->captures = intern(b, &rb, num);
		} else {
			tmp.len = 0;
			for (const struct vnode *n = a->caps.head; n; n = n->next) {
				snprintf(num, sizeof(num), "%s%" PRId64, tmp.len ? "," : "", n->v);
				sb_str(&tmp, num);
			}
			r->captures = tmp.oom ? NULL : intern(b, &rb, tmp.s);
		}
		if (set.oom || tmp.oom || rb.oom || !r->captures)
			e = oom(b);
	}
	sb_free(&set);
	sb_free(&tmp);
	free(ag);
	free(rb.vk);
	smap_free(&rb.strs);
	arena_free(rb.tmp.arena);
	if (!e && m->n_rows)
		qsort(m->rows, m->n_rows, sizeof(*m->rows), cmp_row_key);
	return e;
}

/* "443/tcp"; a protocol without ports (ICMP, other IP) as its name alone, not "0/icmp6". */
static void port_text(char *buf, size_t n, const struct pd_rm_row *r)
{
	if (!r->port && strcmp(r->proto, "tcp") && strcmp(r->proto, "udp"))
		snprintf(buf, n, "%s", r->proto);
	else
		snprintf(buf, n, "%u/%s", r->port, r->proto);
}

static int cmp_row_ip(const void *a, const void *b)
{
	const struct pd_rm_row *x = a, *y = b;

	return strcmp(x->server_ip, y->server_ip);
}

/* inet_pton into a pd_addr; false for text that is not an address. */
static bool parse_addr(const char *s, struct pd_addr *a)
{
	memset(a, 0, sizeof(*a));
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

/* Binds s, or NULL for "" (unknown). */
static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/*
 * A row through a proxy: the proxy's name (the DNS name most answers gave its address) and,
 * with a policy, whether the hop is allowed (pd_policy_allows_via); a hop that is not makes
 * the row a violation whatever its destination. *vq is prepared on first use.
 */
static enum pd_err enrich_via(struct build *b, struct pd_rm_row *r, sqlite3_stmt **vq)
{
	const struct pd_report_opts *o = b->o;
	struct pd_addr va;
	const char *rule = NULL;
	enum pd_err e;
	bool have;

	if (!*vq && (e = prep(b,
	                      "SELECT name FROM names WHERE ip = ?1 AND source = 'dns' AND " SQL_SEL
	                      " GROUP BY name ORDER BY sum(count) DESC, name LIMIT 1",
	                      vq, "reading proxy names")))
		return e;
	sqlite3_reset(*vq);
	sqlite3_bind_text(*vq, 1, r->via_ip, -1, SQLITE_STATIC);
	if (sqlite3_step(*vq) == SQLITE_ROW && sqlite3_column_text(*vq, 0)) {
		r->via_name = sdup(b->m, (const char *)sqlite3_column_text(*vq, 0));
		if (!r->via_name)
			return oom(b);
	}
	sqlite3_reset(*vq);
	if (!o->policy)
		return PD_OK;
	have = parse_addr(r->via_ip, &va);
	if (pd_policy_allows_via(o->policy, r->via_name, have ? &va : NULL, (uint16_t)r->via_port,
	                         &rule)) {
		r->via_policy = "allowed";
	} else {
		r->via_policy = "violation";
		r->policy = "violation";
	}
	return PD_OK;
}

/*
 * PTR lookups (optional), PTR cache, GeoIP (geo_cache first), special ranges, per distinct
 * address; rows are sorted by address here.
 */
static enum pd_err enrich_addresses(struct build *b)
{
	struct pd_model *m = b->m;
	const struct pd_report_opts *o = b->o;
	sqlite3_stmt *gq = NULL, *gi = NULL, *pq = NULL, *vq = NULL;
	struct pd_geo_result gr;
	struct pd_addr addr;
	char key[1024], err2[PD_ERRBUF_SIZE], geo_err[400] = "";
	size_t geo_errors = 0; /* lookups a database failed (never silent: a note says so) */
	const char **ips = NULL;
	size_t i, n_ips = 0;
	bool have_geo = o->geo && pd_geo_count(o->geo) > 0, have_addr = false, cached;
	bool savepoint = false;
	const char *last = NULL;
	char *ptr_name = NULL, *ptr_status = NULL;
	int64_t ptr_at = PD_NS_NONE;
	struct pd_rm_row *r, *prev = NULL;
	enum pd_err e = PD_OK;

	if (m->n_rows)
		qsort(m->rows, m->n_rows, sizeof(*m->rows), cmp_row_ip);

	/* Active lookups for addresses with no name (SPEC 2.3 step 5). */
	if (o->resolve) {
		ips = calloc(m->n_rows ? m->n_rows : 1, sizeof(*ips));
		if (!ips)
			return oom(b);
		for (i = 0; i < m->n_rows; i++) {
			r = &m->rows[i];
			if (!r->domain && (!n_ips || strcmp(ips[n_ips - 1], r->server_ip)))
				ips[n_ips++] = r->server_ip;
		}
		if (n_ips && pd_rdns_resolve(b->db, ips, n_ips, &o->rdns, err2) != PD_OK &&
		    m->n_notes < sizeof(m->notes) / sizeof(m->notes[0]))
			m->notes[m->n_notes++] = sdup(m, err2);
		free(ips);
		m->resolved = true;
	}

	e = prep(b, "SELECT name, status, looked_up_at FROM ptr_cache WHERE ip = ?", &pq,
	         "reading ptr_cache");
	if (!e && have_geo) {
		pd_geo_key(o->geo, key, sizeof(key));
		e = prep(b,
		         "SELECT country, city, asn, as_org FROM geo_cache WHERE ip = ? AND db_key "
		         "= ?",
		         &gq, "reading geo_cache");
		/* Caching is best effort: a read-only database just is not updated. */
		if (!e &&
		    sqlite3_prepare_v2(b->db,
		                       "INSERT OR REPLACE INTO geo_cache(ip, db_key, country, "
		                       "city, asn, as_org) VALUES (?, ?, ?, ?, ?, ?)",
		                       -1, &gi, NULL) != SQLITE_OK)
			gi = NULL;
		if (gi &&
		    sqlite3_exec(b->db, "SAVEPOINT pd_report_geo", NULL, NULL, NULL) == SQLITE_OK)
			savepoint = true;
	}
	for (i = 0; !e && i < m->n_rows; i++) {
		r = &m->rows[i];
		if (last && !strcmp(last, r->server_ip)) {
			memcpy(r->country, prev->country, sizeof(r->country));
			r->city = prev->city;
			r->asn = prev->asn;
			r->as_org = prev->as_org;
			r->label = prev->label;
		} else {
			last = r->server_ip;
			have_addr = parse_addr(r->server_ip, &addr);
			r->label = have_addr ? pd_special_range(&addr) : NULL;
			ptr_name = ptr_status = NULL;
			ptr_at = PD_NS_NONE;
			sqlite3_bind_text(pq, 1, r->server_ip, -1, SQLITE_STATIC);
			if (sqlite3_step(pq) == SQLITE_ROW) {
				ptr_name = col_str(m, pq, 0);
				ptr_status = col_str(m, pq, 1);
				ptr_at = col_i64(pq, 2);
			}
			sqlite3_reset(pq);
			cached = false;
			if (have_geo && have_addr) {
				sqlite3_bind_text(gq, 1, r->server_ip, -1, SQLITE_STATIC);
				sqlite3_bind_text(gq, 2, key, -1, SQLITE_STATIC);
				if (sqlite3_step(gq) == SQLITE_ROW) {
					cached = true;
					snprintf(r->country, sizeof(r->country), "%s",
					         sqlite3_column_text(gq, 0)
					                 ? (const char *)sqlite3_column_text(gq, 0)
					                 : "");
					r->city = col_str(m, gq, 1);
					r->asn = (uint32_t)sqlite3_column_int64(gq, 2);
					r->as_org = col_str(m, gq, 3);
				}
				sqlite3_reset(gq);
				if (!cached) {
					pd_geo_lookup(o->geo, &addr, &gr);
					if (gr.error[0] && !geo_errors++)
						snprintf(geo_err, sizeof(geo_err), "%s", gr.error);
					snprintf(r->country, sizeof(r->country), "%s", gr.country);
					r->city = gr.city[0] ? sdup(m, gr.city) : NULL;
					r->asn = gr.asn;
					r->as_org = gr.as_org[0] ? sdup(m, gr.as_org) : NULL;
					if (gi &&
					    !gr.error[0]) { /* a failed lookup is not cached */
						sqlite3_bind_text(gi, 1, r->server_ip, -1,
						                  SQLITE_STATIC);
						sqlite3_bind_text(gi, 2, key, -1, SQLITE_STATIC);
						bind_opt(gi, 3, gr.country);
						bind_opt(gi, 4, gr.city);
						if (gr.asn)
							sqlite3_bind_int64(gi, 5, gr.asn);
						else
							sqlite3_bind_null(gi, 5);
						bind_opt(gi, 6, gr.as_org);
						(void)sqlite3_step(gi);
						sqlite3_reset(gi);
					}
				}
			}
		}
		prev = r;
		if (!r->domain && ptr_name && ptr_status && !strcmp(ptr_status, "ok")) {
			r->domain = ptr_name;
			r->evidence = "ptr-lookup";
			r->confidence = "low";
			r->looked_up = true;
			r->ev_flows[EV_PTR_LOOKUP] += r->ev_flows[PD_RM_N_EVIDENCE - 1];
			r->ev_flows[PD_RM_N_EVIDENCE - 1] = 0;
		}
		if (!r->domain) {
			r->ptr_status = ptr_status;
			r->ptr_at = ptr_at;
		}
		if (o->policy && !strcmp(r->proto, "icmp6") &&
		    (!strncmp(r->server_ip, "ff02:", 5) || !strncmp(r->server_ip, "fe80:", 5))) {
			/* Neighbour discovery and MLD keep the link alive: no destination, and
			 * `check` leaves them out too (cmd/pcapdomains/load.c). */
			r->policy = "exempt";
		} else if (have_addr && o->policy) {
			const char *rule = NULL;

			r->policy =
			        pd_policy_allows(o->policy, pd_policy_name(r->domain, r->evidence),
			                         &addr, (uint16_t)r->port, r->proto, &rule)
			                ? "allowed"
			                : "violation";
			r->policy_rule = rule ? sdup(m, rule) : NULL;
		} else if (o->policy) {
			r->policy = "violation";
		}
		if (r->via_ip && !e)
			e = enrich_via(b, r, &vq);
	}
	if (savepoint)
		(void)sqlite3_exec(b->db, "RELEASE pd_report_geo", NULL, NULL, NULL);
	{
		/* GeoIP: databases skipped in a directory, lookups that failed */
		unsigned k, nk = pd_geo_skipped_count(o->geo);
		char note[PD_ERRBUF_SIZE + 64];

		for (k = 0; k < nk && m->n_notes < sizeof(m->notes) / sizeof(m->notes[0]); k++) {
			snprintf(note, sizeof(note), "GeoIP: skipped %s",
			         pd_geo_skipped(o->geo, k));
			m->notes[m->n_notes++] = sdup(m, note);
		}
		if (geo_errors && m->n_notes < sizeof(m->notes) / sizeof(m->notes[0])) {
			snprintf(note, sizeof(note),
			         "GeoIP lookup failed for %zu address%s (%s): their country and AS "
			         "are unknown, not empty",
			         geo_errors, geo_errors == 1 ? "" : "es", geo_err);
			m->notes[m->n_notes++] = sdup(m, note);
		}
	}
	sqlite3_finalize(pq);
	sqlite3_finalize(gq);
	sqlite3_finalize(gi);
	sqlite3_finalize(vq);
	m->policy_checked = o->policy != NULL;
	return e;
}

/* A group's policy status from its rows': violation over allowed over exempt. */
static const char *policy_worst(const char *a, const char *b)
{
	static const char *const order[] = { "violation", "allowed", "exempt" };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(a, order[i]) || !strcmp(b, order[i]))
			return order[i];
	return a;
}

/* Registrable domain and CDN per row (CNAME chain first, then the AS organisation). */
static enum pd_err name_rows(struct build *b)
{
	struct pd_model *m = b->m;
	char hop[512];
	const char *p, *e;
	struct pd_rm_row *r;
	size_t i, n;
	bool no_mem = false;

	for (i = 0; i < m->n_rows; i++) {
		r = &m->rows[i];
		if (r->domain) {
			r->registrable = reg_of(b, r->domain);
			if (!r->registrable)
				return oom(b);
		}
		for (p = r->cname_chain; p && *p && !r->cdn; p = e ? e + 1 : NULL) {
			e = strchr(p, '>');
			n = e ? (size_t)(e - p) : strlen(p);
			if (n >= sizeof(hop))
				continue;
			memcpy(hop, p, n);
			hop[n] = 0;
			r->cdn = cdn_cached(b, &b->names, hop, pd_cdn_from_name, &no_mem);
		}
		if (!r->cdn && r->domain)
			r->cdn = cdn_cached(b, &b->names, r->domain, pd_cdn_from_name, &no_mem);
		if (!r->cdn && r->as_org)
			r->cdn = cdn_cached(b, &b->orgs, r->as_org, pd_cdn_from_as_org, &no_mem);
		if (no_mem)
			return oom(b);
	}
	return PD_OK;
}

struct ipname {
	char *ip;
	char *name;
	int64_t count;
};

static int cmp_ipname(const void *a, const void *b)
{
	const struct ipname *x = a, *y = b;
	int c = strcmp(x->ip, y->ip);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c && x->count != y->count)
		c = x->count > y->count ? -1 : 1; /* names-table counts (>= 0) before flow counts */
	return c;
}

static int cmp_reg(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Shared addresses: an address that carried names of several registrable domains (names
 * table of the selected captures, and the names flows were attributed to).
 */
static enum pd_err find_shared(struct build *b)
{
	struct pd_model *m = b->m;
	struct ipname *v = NULL, *x;
	size_t n = 0, cap = 0, i, j, k, nreg, ndist, cap_regs = 0;
	char **regs = NULL, **tmp;
	sqlite3_stmt *st = NULL;
	struct pd_rm_shared *sh;
	enum pd_err e;
	int rc;

	e = prep(b,
	         "SELECT ip, name, " SQL_SATSUM(
	                 "count") " FROM names WHERE " SQL_SEL
	                          " AND ip IN (SELECT server_ip FROM flows WHERE " SQL_SEL
	                          " AND " SQL_DEST ") GROUP BY ip, name",
	         &st, "reading names");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		x = grow((void **)&v, &cap, n, sizeof(*v));
		if (!x) {
			e = oom(b);
			break;
		}
		x->ip = col_str(m, st, 0);
		x->name = col_str(m, st, 1);
		x->count = sqlite3_column_int64(st, 2);
		if (x->ip && x->name)
			n++;
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "reading names");
	sqlite3_finalize(st);
	for (i = 0; !e && i < m->n_rows; i++) {
		if (!m->rows[i].domain || m->rows[i].looked_up)
			continue;
		x = grow((void **)&v, &cap, n, sizeof(*v));
		if (!x) {
			e = oom(b);
			break;
		}
		x->ip = m->rows[i].server_ip;
		x->name = m->rows[i].domain;
		x->count = -m->rows[i].flows; /* negative: flows, used when names has no row */
		n++;
	}
	if (!e && n)
		qsort(v, n, sizeof(*v), cmp_ipname);
	for (i = 0; !e && i < n; i = j) {
		/* one address: v[i .. j) */
		for (j = i; j < n && !strcmp(v[j].ip, v[i].ip); j++)
			;
		nreg = 0;
		for (k = i; k < j; k++) {
			if (nreg == cap_regs) {
				cap_regs = cap_regs ? cap_regs * 2 : 16;
				tmp = realloc(regs, cap_regs * sizeof(*regs));
				if (!tmp) {
					e = oom(b);
					break;
				}
				regs = tmp;
			}
			regs[nreg++] = reg_of(b, v[k].name);
			if (!regs[nreg - 1]) {
				e = oom(b);
				break;
			}
		}
		if (e)
			break;
		qsort(regs, nreg, sizeof(*regs), cmp_reg);
		for (k = 1, ndist = nreg ? 1 : 0; k < nreg; k++)
			if (strcmp(regs[k], regs[k - 1]))
				ndist++;
		if (ndist < 2)
			continue;
		sh = grow((void **)&m->shared, &b->cap_shared, m->n_shared, sizeof(*sh));
		if (!sh) {
			e = oom(b);
			break;
		}
		m->n_shared++;
		sh->ip = v[i].ip;
		sh->n_domains = ndist;
		sh->names = arena_alloc(m, (j - i) * sizeof(*sh->names));
		if (!sh->names) {
			e = oom(b);
			break;
		}
		for (k = i; k < j; k++) {
			/* a name seen in names and in flows: keep the first (names) count */
			if (k > i && !strcmp(v[k].name, v[k - 1].name))
				continue;
			sh->names[sh->n_names].name = v[k].name;
			sh->names[sh->n_names].registrable = reg_of(b, v[k].name);
			if (!sh->names[sh->n_names].registrable) {
				e = oom(b);
				break;
			}
			sh->names[sh->n_names++].count = v[k].count < 0 ? -v[k].count : v[k].count;
		}
	}
	free(v);
	free(regs);
	return e;
}

static int cmp_shared(const void *a, const void *b)
{
	return strcmp(((const struct pd_rm_shared *)a)->ip, ((const struct pd_rm_shared *)b)->ip);
}

/*
 * Flags rows on shared addresses and gives each shared address a CDN: from its rows' CNAME or
 * name CDN (the first row that has one), else from the AS organisation of the last of its rows
 * that has one. One pass over the rows with a binary search each; the AS organisation used to
 * be found by scanning every row for every shared address (O(rows x shared): 61% of a report
 * from a 1,000,000-flow database).
 */
static enum pd_err mark_shared(struct build *b)
{
	struct pd_model *m = b->m;
	struct pd_rm_shared key, *sh;
	const char **as_org;
	size_t i, j;

	if (!m->n_shared)
		return PD_OK;
	as_org = calloc(m->n_shared, sizeof(*as_org));
	if (!as_org)
		return oom(b);
	qsort(m->shared, m->n_shared, sizeof(*m->shared), cmp_shared);
	for (i = 0; i < m->n_rows; i++) {
		key.ip = m->rows[i].server_ip;
		sh = bsearch(&key, m->shared, m->n_shared, sizeof(*m->shared), cmp_shared);
		if (sh) {
			m->rows[i].shared = true;
			if (!sh->cdn)
				sh->cdn = m->rows[i].cdn;
			if (m->rows[i].as_org)
				as_org[sh - m->shared] = m->rows[i].as_org;
		}
	}
	for (j = 0; j < m->n_shared; j++)
		if (!m->shared[j].cdn && as_org[j])
			m->shared[j].cdn = pd_cdn_from_as_org(as_org[j]);
	free(as_org);
	return PD_OK;
}

/* Attributed rows by (registrable, bytes desc, domain, address, port), then unattributed by
 * bytes desc. */
static int cmp_row_dest(const void *a, const void *b)
{
	const struct pd_rm_row *x = a, *y = b;
	int64_t bx = pd_rm_sat_sum(x->bytes_out, x->bytes_in),
	        by = pd_rm_sat_sum(y->bytes_out, y->bytes_in);
	int c;

	if (!x->domain != !y->domain)
		return x->domain ? -1 : 1;
	if (x->domain && (c = strcmp(x->registrable, y->registrable)))
		return c;
	if (bx != by)
		return bx > by ? -1 : 1;
	if (x->domain && (c = strcmp(x->domain, y->domain)))
		return c;
	if ((c = strcmp(x->server_ip, y->server_ip)))
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

static int cmp_dest(const void *a, const void *b)
{
	const struct pd_rm_dest *x = a, *y = b;
	int64_t bx = pd_rm_sat_sum(x->bytes_out, x->bytes_in),
	        by = pd_rm_sat_sum(y->bytes_out, y->bytes_in);

	if (bx != by)
		return bx > by ? -1 : 1;
	return strcmp(x->registrable, y->registrable);
}

static void sb_reset(struct sb *s)
{
	s->len = 0;
	if (s->s)
		s->s[0] = 0;
	free(s->slot); /* rebuilt only for a list that grows long again */
	s->slot = NULL;
	s->n_slots = s->n_pieces = 0;
}

static void add_captures(struct sb *s, const char *ids)
{
	char item[32];
	const char *p = ids, *e;
	size_t n;

	while (p && *p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n && n < sizeof(item)) {
			memcpy(item, p, n);
			item[n] = 0;
			sb_addset(s, item, ",");
		}
		p = e ? e + 1 : NULL;
	}
}

static enum pd_err group_dests(struct build *b)
{
	struct pd_model *m = b->m;
	struct sb names = { 0 }, addrs = { 0 }, ports = { 0 }, ctry = { 0 }, asns = { 0 },
	          cands = { 0 }, caps = { 0 }, others = { 0 }, vias = { 0 };
	struct pd_rm_shared key, *sh;
	struct pd_rm_dest *d;
	struct pd_rm_row *r;
	size_t i, j, k, *seen;
	char buf[64], vbuf[320];
	enum pd_err e = PD_OK;
	int ev, conf;

	if (m->n_rows)
		qsort(m->rows, m->n_rows, sizeof(*m->rows), cmp_row_dest);
	/* seen[k]: the destination count when shared address k was last added to others */
	seen = calloc(m->n_shared ? m->n_shared : 1, sizeof(*seen));
	if (!seen)
		return oom(b);
	for (i = 0; i < m->n_rows && m->rows[i].domain; i = j) {
		for (j = i; j < m->n_rows && m->rows[j].domain &&
		            !strcmp(m->rows[j].registrable, m->rows[i].registrable);
		     j++)
			;
		d = grow((void **)&m->dests, &b->cap_dests, m->n_dests, sizeof(*d));
		if (!d) {
			free(seen);
			return oom(b);
		}
		m->n_dests++;
		d->registrable = m->rows[i].registrable;
		d->first = i;
		d->n = j - i;
		d->first_ns = d->last_ns = PD_NS_NONE;
		ev = PD_RM_N_EVIDENCE - 1;
		conf = 2;
		sb_reset(&names);
		sb_reset(&addrs);
		sb_reset(&ports);
		sb_reset(&ctry);
		sb_reset(&asns);
		sb_reset(&cands);
		sb_reset(&caps);
		sb_reset(&others);
		sb_reset(&vias);
		d->policy = m->rows[i].policy;
		d->looked_up = true;
		for (k = i; k < j; k++) {
			r = &m->rows[k];
			sat_add(&d->flows, r->flows);
			sat_add(&d->packets_out, r->packets_out);
			sat_add(&d->bytes_out, r->bytes_out);
			sat_add(&d->packets_in, r->packets_in);
			sat_add(&d->bytes_in, r->bytes_in);
			if (r->first_ns != PD_NS_NONE &&
			    (d->first_ns == PD_NS_NONE || r->first_ns < d->first_ns))
				d->first_ns = r->first_ns;
			if (r->last_ns != PD_NS_NONE &&
			    (d->last_ns == PD_NS_NONE || r->last_ns > d->last_ns))
				d->last_ns = r->last_ns;
			if (rank_of(pd_rm_evidence_names, PD_RM_N_EVIDENCE, r->evidence) < ev)
				ev = rank_of(pd_rm_evidence_names, PD_RM_N_EVIDENCE, r->evidence);
			if (rank_of(confidence_names, 3, r->confidence) < conf)
				conf = rank_of(confidence_names, 3, r->confidence);
			sb_addset(&names, r->domain, ", ");
			sb_addset(&addrs, r->server_ip, ", ");
			for (int x = 0; x < PD_RM_N_EVIDENCE; x++)
				d->ev_flows[x] += r->ev_flows[x];
			port_text(buf, sizeof(buf), r);
			sb_addset(&ports, buf, ", ");
			if (r->country[0])
				sb_addset(&ctry, r->country, ", ");
			if (r->asn) {
				snprintf(buf, sizeof(buf), "AS%" PRIu32, r->asn);
				sb_addset(&asns, buf, ", ");
			}
			if (r->candidates)
				add_concat(&cands, r->candidates, true, "|");
			add_captures(&caps, r->captures);
			if (!d->cdn)
				d->cdn = r->cdn;
			d->shared |= r->shared;
			d->looked_up &= r->looked_up;
			/* names of other registrable domains on this address (m->shared is sorted)
			 */
			key.ip = r->server_ip;
			sh = r->shared ? bsearch(&key, m->shared, m->n_shared, sizeof(*m->shared),
			                         cmp_shared)
			               : NULL;
			/* an address met again in this destination adds no new name */
			if (sh && seen[sh - m->shared] == m->n_dests)
				sh = NULL;
			else if (sh)
				seen[sh - m->shared] = m->n_dests;
			for (size_t q = 0; sh && q < sh->n_names; q++)
				if (strcmp(sh->names[q].registrable, d->registrable))
					sb_addset(&others, sh->names[q].name, ", ");
			d->policy = policy_worst(d->policy, r->policy);
			if (r->via_ip) {
				snprintf(vbuf, sizeof(vbuf),
				         strchr(r->via_ip, ':') ? "%.200s%s[%.64s]:%u"
				                                : "%.200s%s%.64s:%u",
				         r->via_name ? r->via_name : "", r->via_name ? " " : "",
				         r->via_ip, r->via_port);
				sb_addset(&vias, vbuf, ", ");
			}
		}
		d->evidence = pd_rm_evidence_names[ev];
		d->confidence = confidence_names[conf];
		d->names = sdup(m, names.s);
		d->addresses = sdup(m, addrs.s);
		d->ports = sdup(m, ports.s);
		d->countries = sdup(m, ctry.s ? ctry.s : "");
		d->asns = sdup(m, asns.s ? asns.s : "");
		d->candidates = cands.len ? sdup(m, cands.s) : NULL;
		d->captures = sdup(m, caps.s);
		d->shared_with = others.len ? sdup(m, others.s) : NULL;
		d->vias = vias.len ? sdup(m, vias.s) : NULL;
		/* distinct addresses: the set above is ", "-joined */
		d->n_addresses = 1;
		for (k = 0; addrs.s && addrs.s[k]; k++)
			d->n_addresses += addrs.s[k] == ',' && addrs.s[k + 1] == ' ';
	}
	m->n_attributed = i;
	if (names.oom || addrs.oom || ports.oom || ctry.oom || asns.oom || cands.oom || caps.oom ||
	    others.oom)
		e = oom(b);
	free(seen);
	sb_free(&others);
	sb_free(&vias);
	sb_free(&names);
	sb_free(&addrs);
	sb_free(&ports);
	sb_free(&ctry);
	sb_free(&asns);
	sb_free(&cands);
	sb_free(&caps);
	if (!e && m->n_dests)
		qsort(m->dests, m->n_dests, sizeof(*m->dests), cmp_dest);
	return e;
}

static int cmp_row_ip_only(const void *a, const void *b)
{
	const struct pd_rm_row *x = a, *y = b;
	int c = strcmp(x->server_ip, y->server_ip);

	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return strcmp(x->proto, y->proto);
}

static int cmp_unres(const void *a, const void *b)
{
	const struct pd_rm_unres *x = a, *y = b;
	int64_t bx = pd_rm_sat_sum(x->bytes_out, x->bytes_in),
	        by = pd_rm_sat_sum(y->bytes_out, y->bytes_in);

	if (bx != by)
		return bx > by ? -1 : 1;
	return strcmp(x->ip, y->ip);
}

/* Unattributed rows grouped per address (rows stay in their CSV order). */
static enum pd_err group_unresolved(struct build *b)
{
	struct pd_model *m = b->m;
	size_t n = m->n_rows - m->n_attributed, i, j, k;
	struct pd_rm_row *v, *r;
	struct pd_rm_unres *u;
	struct sb ports = { 0 }, caps = { 0 };
	char buf[64];
	enum pd_err e = PD_OK;

	if (!n)
		return PD_OK;
	v = malloc(n * sizeof(*v));
	if (!v)
		return oom(b);
	memcpy(v, m->rows + m->n_attributed, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_row_ip_only);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && !strcmp(v[j].server_ip, v[i].server_ip); j++)
			;
		u = grow((void **)&m->unres, &b->cap_unres, m->n_unres, sizeof(*u));
		if (!u) {
			e = oom(b);
			break;
		}
		m->n_unres++;
		u->ip = v[i].server_ip;
		memcpy(u->country, v[i].country, sizeof(u->country));
		u->asn = v[i].asn;
		u->as_org = v[i].as_org;
		u->label = v[i].label;
		u->ptr_status = v[i].ptr_status;
		u->ptr_at = v[i].ptr_status ? v[i].ptr_at : PD_NS_NONE;
		u->first_ns = u->last_ns = PD_NS_NONE;
		u->policy = v[i].policy;
		sb_reset(&ports);
		sb_reset(&caps);
		for (k = i; k < j; k++) {
			r = &v[k];
			sat_add(&u->flows, r->flows);
			sat_add(&u->bytes_out, r->bytes_out);
			sat_add(&u->bytes_in, r->bytes_in);
			if (r->first_ns != PD_NS_NONE &&
			    (u->first_ns == PD_NS_NONE || r->first_ns < u->first_ns))
				u->first_ns = r->first_ns;
			if (r->last_ns != PD_NS_NONE &&
			    (u->last_ns == PD_NS_NONE || r->last_ns > u->last_ns))
				u->last_ns = r->last_ns;
			port_text(buf, sizeof(buf), r);
			sb_addset(&ports, buf, ", ");
			add_captures(&caps, r->captures);
			u->policy = policy_worst(u->policy, r->policy);
		}
		u->ports = sdup(m, ports.s);
		u->captures = sdup(m, caps.s);
	}
	if (!e && (ports.oom || caps.oom))
		e = oom(b);
	sb_free(&ports);
	sb_free(&caps);
	free(v);
	if (!e)
		qsort(m->unres, m->n_unres, sizeof(*m->unres), cmp_unres);
	return e;
}

/* pd_report_in(set, x): 1 when text x is in sets[set] (0: flow names, 1: server addresses),
 * else 0 (also for a NULL x: the CASE WHEN x IN (...) THEN 1 ELSE 0 it replaces). */
static void sql_in_set(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct smap *sets = sqlite3_user_data(ctx);
	const char *x = (const char *)sqlite3_value_text(argv[1]);
	int which = sqlite3_value_int(argv[0]);
	bool oom = false;

	(void)argc;
	if (!x || which < 0 || which > 1)
		sqlite3_result_int(ctx, 0);
	else
		sqlite3_result_int(ctx, smap_get(&sets[which], x, false, &oom) != NULL);
}

/*
 * DNS names asked for whose answers no flow of the selection went to (PTR queries aside).
 * The flow names and addresses are the rows' (hash sets behind an SQL function): the NOT IN
 * subqueries over flows they replace built a temporary b-tree of every flow (15% of a report).
 */
static enum pd_err load_unused(struct build *b)
{
	struct pd_model *m = b->m;
	sqlite3_stmt *st = NULL;
	struct pd_rm_unused *u;
	struct smap sets[2] = { { 0 } };
	bool no_mem = false;
	enum pd_err e;
	size_t i;
	int rc;

	for (i = 0; i < m->n_rows; i++) {
		/* names of flows (a PTR lookup's name is not a flow's) and every server address */
		if (m->rows[i].domain && !m->rows[i].looked_up)
			(void)smap_get(&sets[0], m->rows[i].domain, true, &no_mem);
		(void)smap_get(&sets[1], m->rows[i].server_ip, true, &no_mem);
	}
	if (no_mem) {
		smap_free(&sets[0]);
		smap_free(&sets[1]);
		return oom(b);
	}
	if (sqlite3_create_function(b->db, "pd_report_in", 2,
	                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, sets,
	                            sql_in_set, NULL, NULL) != SQLITE_OK)
		e = db_err(b, "reading DNS names");
	else
		e = prep(
		        b,
		        "SELECT qname, group_concat(DISTINCT qtype), group_concat(DISTINCT rcode), "
		        "COUNT(DISTINCT ts_ns), MIN(ts_ns), "
		        "group_concat(DISTINCT CASE WHEN rr_type IN ('A','AAAA','HINT') THEN "
		        "answer "
		        "END), group_concat(DISTINCT capture_id) FROM dns_answers WHERE " SQL_SEL
		        " AND qtype <> 'PTR' AND NOT pd_report_in(0, qname) GROUP BY qname "
		        "HAVING SUM(pd_report_in(1, answer)) = 0 ORDER BY qname",
		        &st, "reading DNS names");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		u = grow((void **)&m->unused, &b->cap_unused, m->n_unused, sizeof(*u));
		if (!u) {
			e = oom(b);
			break;
		}
		m->n_unused++;
		u->qname = col_str(m, st, 0);
		u->qtypes = col_str(m, st, 1);
		u->rcodes = col_str(m, st, 2);
		u->count = sqlite3_column_int64(st, 3);
		u->first_ns = col_i64(st, 4);
		u->answers = col_str(m, st, 5);
		u->captures = col_str(m, st, 6);
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "reading DNS names");
	sqlite3_finalize(st);
	(void)sqlite3_create_function(b->db, "pd_report_in", 2, SQLITE_UTF8, NULL, NULL, NULL,
	                              NULL);
	smap_free(&sets[0]);
	smap_free(&sets[1]);
	return e;
}

static enum pd_err load_findings(struct build *b)
{
	struct pd_model *m = b->m;
	sqlite3_stmt *st = NULL;
	struct pd_rm_finding *fd;
	struct pd_rm_counter *c;
	enum pd_err e;
	int rc;

	e = prep(b,
	         "SELECT kind, severity, subject, detail, " SQL_SATSUM(
	                 "count") ", MIN(first_ns), "
	                          "group_concat(DISTINCT capture_id) FROM findings WHERE " SQL_SEL
	                          " GROUP BY kind, severity, subject, detail "
	                          "ORDER BY severity = 'info', kind, subject, detail",
	         &st, "reading findings");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fd = grow((void **)&m->findings, &b->cap_find, m->n_findings, sizeof(*fd));
		if (!fd) {
			e = oom(b);
			break;
		}
		m->n_findings++;
		fd->kind = col_str(m, st, 0);
		fd->severity = col_str(m, st, 1);
		fd->subject = col_str(m, st, 2);
		fd->detail = col_str(m, st, 3);
		fd->count = sqlite3_column_int64(st, 4);
		fd->first_ns = col_i64(st, 5);
		fd->captures = col_str(m, st, 6);
		if (fd->kind && !strcmp(fd->kind, "encrypted-dns"))
			sat_add(&m->sum.encrypted_dns_findings, fd->count);
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "reading findings");
	sqlite3_finalize(st);
	st = NULL;
	if (!e)
		e = prep(b,
		         "SELECT kind, what, " SQL_SATSUM(
		                 "n") " FROM counters WHERE " SQL_SEL
		                      " GROUP BY kind, what ORDER BY kind, what",
		         &st, "reading counters");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = grow((void **)&m->counters, &b->cap_cnt, m->n_counters, sizeof(*c));
		if (!c) {
			e = oom(b);
			break;
		}
		m->n_counters++;
		c->kind = col_str(m, st, 0);
		c->what = col_str(m, st, 1);
		c->n = sqlite3_column_int64(st, 2);
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "reading counters");
	sqlite3_finalize(st);
	st = NULL; /* a failed step above leaves e set: the last finalize must not free it again */
	if (!e &&
	    (rc = sqlite3_prepare_v2(
	             b->db, "SELECT COUNT(*) FROM dns_answers WHERE " SQL_SEL " AND ech <> 0", -1,
	             &st, NULL)) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		m->sum.ech_dns_answers = sqlite3_column_int64(st, 0);
	else if (!e)
		e = db_err(b, "counting ECH answers");
	sqlite3_finalize(st);
	return e;
}

static enum pd_err summarise(struct build *b)
{
	struct pd_model *m = b->m;
	struct pd_rm_summary *s = &m->sum;
	const struct pd_rm_capture *c;
	const struct pd_rm_row *r;
	char **dom;
	size_t i, n = 0;
	const char *base;
	char title[512];

	s->captures = m->n_caps;
	s->first_ns = s->last_ns = PD_NS_NONE;
	for (i = 0; i < m->n_caps; i++) {
		c = &m->caps[i];
		sat_add(&s->packets, c->packets);
		sat_add(&s->bytes, c->bytes);
		if (c->drops != PD_NS_NONE)
			sat_add(&s->drops, c->drops);
		if (c->cut_at != PD_NS_NONE)
			s->cut_captures++;
		if (c->first_ns != PD_NS_NONE &&
		    (s->first_ns == PD_NS_NONE || c->first_ns < s->first_ns))
			s->first_ns = c->first_ns;
		if (c->last_ns != PD_NS_NONE &&
		    (s->last_ns == PD_NS_NONE || c->last_ns > s->last_ns))
			s->last_ns = c->last_ns;
	}
	dom = malloc((m->n_rows ? m->n_rows : 1) * sizeof(*dom));
	if (!dom)
		return oom(b);
	for (i = 0; i < m->n_rows; i++) {
		r = &m->rows[i];
		sat_add(&s->flows, r->flows);
		sat_add(&s->packets_out, r->packets_out);
		sat_add(&s->bytes_out, r->bytes_out);
		sat_add(&s->packets_in, r->packets_in);
		sat_add(&s->bytes_in, r->bytes_in);
		sat_add(&s->ech_flows, r->ech_flows);
		if (r->app_proto && (strstr(r->app_proto, "dot") || strstr(r->app_proto, "doq") ||
		                     strstr(r->app_proto, "doh")))
			sat_add(&s->encrypted_dns_flows, r->flows);
		if (r->domain)
			dom[n++] = r->domain;
	}
	if (n)
		qsort(dom, n, sizeof(*dom), cmp_reg);
	for (i = 0; i < n; i++)
		s->domains += !i || strcmp(dom[i], dom[i - 1]);
	free(dom);
	s->destinations = m->n_dests;
	s->unresolved = m->n_unres;
	s->shared = m->n_shared;

	if (b->o->title) {
		m->title = sdup(m, b->o->title);
	} else {
		if (!m->n_caps) {
			snprintf(title, sizeof(title), "pcapdomains report");
		} else {
			base = m->caps[0].path ? strrchr(m->caps[0].path, '/') : NULL;
			base = base ? base + 1 : (m->caps[0].path ? m->caps[0].path : "?");
			if (m->n_caps > 1)
				snprintf(title, sizeof(title),
				         "pcapdomains report: %.400s and %zu more", base,
				         m->n_caps - 1);
			else
				snprintf(title, sizeof(title), "pcapdomains report: %.400s", base);
		}
		m->title = sdup(m, title);
	}
	return m->title ? PD_OK : oom(b);
}

/* Control class or runtime-resolver label of a side row (ours, static strings). */
static const char *side_label(const char *dir, const char *proto, const char *cip, int64_t cport,
                              const char *sip, int64_t sport)
{
	struct pd_addr c, s;
	uint8_t p = 0;

	if (!sip || !cip || pd_addr_parse(sip, &s) != PD_OK || pd_addr_parse(cip, &c) != PD_OK)
		return NULL;
	if (!strcmp(dir, "internal"))
		return s.family == 4 && s.a[0] == 127 && s.a[1] == 0 && s.a[2] == 0 &&
		                       s.a[3] == 11 && sport == 53
		               ? "container runtime DNS (Docker embedded resolver)"
		               : NULL;
	if (strcmp(dir, "control"))
		return NULL;
	if (!strcmp(proto, "tcp"))
		p = PD_L4_TCP;
	else if (!strcmp(proto, "udp"))
		p = PD_L4_UDP;
	else if (!strcmp(proto, "icmp"))
		p = PD_L4_ICMP;
	else if (!strcmp(proto, "icmp6"))
		p = PD_L4_ICMP6;
	else if (!strncmp(proto, "ip-", 3))
		p = (uint8_t)atoi(proto + 3);
	return pd_subject_control(p, &c, (uint16_t)cport, &s, (uint16_t)sport);
}

/* Cuts a ", "-joined list after about 200 bytes at a separator, adding " ...". */
static char *cut_list(struct pd_model *m, const char *s)
{
	char buf[240];
	size_t n = 0;

	if (!s)
		return NULL;
	/* group_concat joins with ','; addresses and names hold none */
	for (; *s && n < 200; s++) {
		buf[n++] = *s;
		if (*s == ',')
			buf[n++] = ' ';
	}
	if (*s) {
		while (n > 0 && buf[n - 1] != ' ')
			n--;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = 0;
	return sdup(m, buf);
}

static enum pd_err load_sides(struct build *b)
{
	struct pd_model *m = b->m;
	struct pd_rm_side *r;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	const char *dir;
	enum pd_err e;
	int rc;

	e = prep(b,
	         "SELECT direction, server_ip, server_port, proto, group_concat(DISTINCT "
	         "app_proto), "
	         " group_concat(DISTINCT client_ip), count(DISTINCT client_ip), "
	         " group_concat(DISTINCT coalesce(sni, http_host)), count(*), sum(packets_out), "
	         " sum(bytes_out), sum(packets_in), sum(bytes_in), min(first_ns), max(last_ns), "
	         " group_concat(DISTINCT capture_id), min(client_ip), min(client_port) "
	         "FROM flows WHERE " SQL_SEL " AND direction IN ('ingress', 'internal', 'control') "
	         "GROUP BY direction, server_ip, server_port, proto "
	         "ORDER BY CASE direction WHEN 'ingress' THEN 0 WHEN 'internal' THEN 1 ELSE 2 END, "
	         " sum(bytes_out) + sum(bytes_in) DESC, server_ip, server_port, proto",
	         &st, "reading inbound, internal and control traffic");
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (m->n_sides >= PD_RM_MAX_SIDES) {
			m->sides_cut++;
			continue;
		}
		r = grow((void **)&m->sides, &cap, m->n_sides, sizeof(*r));
		if (!r) {
			e = oom(b);
			break;
		}
		memset(r, 0, sizeof(*r));
		m->n_sides++;
		dir = (const char *)sqlite3_column_text(st, 0);
		r->direction = dir && !strcmp(dir, "ingress")    ? "ingress"
		               : dir && !strcmp(dir, "internal") ? "internal"
		                                                 : "control";
		if (r->direction[0] == 'i' && r->direction[1] == 'n' && r->direction[2] == 'g')
			m->n_ingress++;
		else if (r->direction[1] == 'n')
			m->n_internal++;
		else
			m->n_control++;
		r->server_ip = col_str(m, st, 1);
		r->port = (unsigned)sqlite3_column_int64(st, 2);
		r->proto = col_str(m, st, 3);
		r->app_proto = col_str(m, st, 4);
		r->clients = cut_list(m, (const char *)sqlite3_column_text(st, 5));
		r->n_clients = sqlite3_column_int64(st, 6);
		r->names = cut_list(m, (const char *)sqlite3_column_text(st, 7));
		r->flows = sqlite3_column_int64(st, 8);
		r->packets_out = sqlite3_column_int64(st, 9);
		r->bytes_out = sqlite3_column_int64(st, 10);
		r->packets_in = sqlite3_column_int64(st, 11);
		r->bytes_in = sqlite3_column_int64(st, 12);
		r->first_ns = sqlite3_column_int64(st, 13);
		r->last_ns = sqlite3_column_int64(st, 14);
		r->captures = col_str(m, st, 15);
		r->label = side_label(r->direction, r->proto ? r->proto : "",
		                      (const char *)sqlite3_column_text(st, 16),
		                      sqlite3_column_int64(st, 17), r->server_ip, r->port);
		if ((sqlite3_column_text(st, 5) && !r->clients) || !r->server_ip || !r->proto)
			e = oom(b);
	}
	if (!e && rc != SQLITE_DONE)
		e = db_err(b, "reading inbound, internal and control traffic");
	sqlite3_finalize(st);
	return e;
}

size_t pd_rm_sides_of(const struct pd_model *m, const char *direction, size_t *first)
{
	size_t i, n = 0;

	*first = 0;
	for (i = 0; i < m->n_sides; i++) {
		if (strcmp(m->sides[i].direction, direction))
			continue;
		if (!n)
			*first = i;
		n++;
	}
	return n;
}

const char *pd_rm_locals_str(const struct pd_rm_capture *c, char *buf, size_t len)
{
	size_t i, used = 0;
	bool range;

	buf[0] = 0;
	if (!c->n_locals) {
		snprintf(buf, len, "none known (every flow transit)");
		return buf;
	}
	for (i = 0; i < c->n_locals && used < len; i++) {
		const struct pd_rm_local *l = &c->locals[i];

		range = l->ip && (strchr(l->ip, ':') ? l->prefix != 128 : l->prefix != 32);
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		                         l->ip ? l->ip : "?");
		if (range && used < len)
			used += (size_t)snprintf(buf + used, len - used, "/%" PRId64, l->prefix);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, " (%s%s%s)",
			                         l->source ? l->source : "?", l->iface ? ", " : "",
			                         l->iface ? l->iface : "");
	}
	return buf;
}

static enum pd_err geo_info(struct build *b)
{
	struct pd_model *m = b->m;
	const struct pd_geo_db_info *in;
	unsigned i, n = b->o->geo ? pd_geo_count(b->o->geo) : 0;

	if (!n)
		return PD_OK;
	m->geo_types = arena_alloc(m, n * sizeof(*m->geo_types));
	m->geo_built = arena_alloc(m, n * sizeof(*m->geo_built));
	if (!m->geo_types || !m->geo_built)
		return oom(b);
	for (i = 0; i < n; i++) {
		in = pd_geo_info(b->o->geo, i);
		m->geo_types[m->n_geo] = sdup(m, in ? in->type : "?");
		m->geo_built[m->n_geo++] = in ? in->build_epoch : PD_NS_NONE;
	}
	return PD_OK;
}

enum pd_err pd_model_build(sqlite3 *db, const struct pd_report_opts *o, struct pd_model **out,
                           char errbuf[PD_ERRBUF_SIZE])
{
	struct build b = { .db = db, .o = o, .errbuf = errbuf };
	enum pd_err e;

	*out = NULL;
	b.m = calloc(1, sizeof(*b.m));
	if (!b.m)
		return oom(&b);
	e = select_captures(&b);
	if (!e)
		e = load_captures(&b);
	if (!e)
		e = load_rows(&b);
	if (!e)
		e = enrich_addresses(&b);
	if (!e)
		e = name_rows(&b);
	if (!e)
		e = find_shared(&b);
	if (!e)
		e = mark_shared(&b);
	if (!e)
		e = group_dests(&b);
	if (!e)
		e = group_unresolved(&b);
	if (!e)
		e = load_unused(&b);
	if (!e)
		e = load_findings(&b);
	if (!e)
		e = load_sides(&b);
	if (!e)
		e = geo_info(&b);
	if (!e)
		e = summarise(&b);
	smap_free(&b.names);
	smap_free(&b.orgs);
	if (e) {
		pd_model_free(b.m);
		return e;
	}
	*out = b.m;
	return PD_OK;
}

enum pd_err pd_model_set_hash(struct pd_model *m, int64_t capture_id, const char *sha256,
                              int64_t size)
{
	size_t i;

	for (i = 0; i < m->n_caps; i++)
		if (m->caps[i].id == capture_id) {
			if (!(m->caps[i].sha256 = sdup(m, sha256)))
				return PD_ERR_NOMEM;
			m->caps[i].size = size;
		}
	return PD_OK;
}

void pd_model_free(struct pd_model *m)
{
	struct pd_arena *a, *n;
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n_caps; i++) {
		free(m->caps[i].ifaces);
		free(m->caps[i].locals);
	}
	free(m->caps);
	free(m->sides);
	free(m->rows);
	free(m->dests);
	free(m->unres);
	free(m->shared);
	free(m->unused);
	free(m->findings);
	free(m->counters);
	for (a = m->arena; a; a = n) {
		n = a->next;
		free(a);
	}
	free(m);
}

void pd_report_write(const struct pd_model *m, enum pd_format fmt, const struct pd_report_opts *o,
                     FILE *f)
{
	switch (fmt) {
	case PD_FMT_TEXT:
		pd_write_text(m, o, f);
		break;
	case PD_FMT_HTML:
		pd_write_html(m, o, f);
		break;
	case PD_FMT_CSV:
		pd_write_csv(m, o, f);
		break;
	case PD_FMT_MD:
		pd_write_md(m, o, f);
		break;
	case PD_FMT_JSON:
		pd_write_json(m, o, f);
		break;
	}
}

enum pd_err pd_format_parse(const char *s, bool is_path, enum pd_format *fmt)
{
	static const struct {
		const char *name;
		enum pd_format fmt;
	} map[] = {
		{ "html", PD_FMT_HTML }, { "htm", PD_FMT_HTML },    { "csv", PD_FMT_CSV },
		{ "md", PD_FMT_MD },     { "markdown", PD_FMT_MD }, { "json", PD_FMT_JSON },
		{ "text", PD_FMT_TEXT }, { "txt", PD_FMT_TEXT },
	};
	const char *ext = s;
	size_t i;

	if (!s)
		return PD_ERR_USAGE;
	if (is_path) {
		ext = strrchr(s, '.');
		if (!ext || strchr(ext, '/'))
			return PD_ERR_USAGE;
		ext++;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(ext, map[i].name)) {
			*fmt = map[i].fmt;
			return PD_OK;
		}
	return PD_ERR_USAGE;
}
