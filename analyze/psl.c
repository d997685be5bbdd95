/*
 * psl.c - registrable domain (eTLD+1) of a name by the Public Suffix List
 * (https://publicsuffix.org/list/), through libpsl.
 *
 * Debian's libpsl 0.21 carries a built-in list (psl_builtin(), from the publicsuffix package at
 * build time); when a build has none, the distribution's list file is loaded once through
 * psl_latest(NULL). Both the ICANN and the private sections count, as browsers do, so
 * "foo.github.io" and "d1.cloudfront.net" are registrable domains of their own.
 * Names come from packets: only lowercase LDH/underscore ASCII names are given to libpsl;
 * host names come back lowercased without a trailing dot; addresses and anything that is not
 * a host name come back as they are.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "names.h"

#define PSL_CACHE_SLOTS 4096 /* entries per thread (a power of two): about 560 KiB */
#define PSL_CACHE_NAME  128  /* longer names are not cached */

struct psl_entry {
	char name[PSL_CACHE_NAME]; /* the name as asked (its first len bytes) */
	uint32_t len;              /* 0 = unused */
	uint32_t reg_off;          /* answer: the lowercased name from this offset on */
	bool as_is;                /* answer: not a host name, the name as asked */
};

static const psl_ctx_t *psl_ctx;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key; /* this thread's struct psl_entry[PSL_CACHE_SLOTS] */
static bool cache_ok;

static void psl_init(void)
{
	psl_ctx = psl_builtin();
	if (!psl_ctx)
		psl_ctx = psl_latest(NULL); /* kept for the life of the process */
	cache_ok = pthread_key_create(&cache_key, free) == 0;
}

/* This thread's cache slot for name (its first n bytes), or NULL when there is no cache. */
static struct psl_entry *cache_slot(const char *name, size_t n)
{
	struct psl_entry *c;
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	if (!cache_ok || n >= PSL_CACHE_NAME)
		return NULL;
	c = pthread_getspecific(cache_key);
	if (!c) {
		c = calloc(PSL_CACHE_SLOTS, sizeof(*c));
		if (!c || pthread_setspecific(cache_key, c) != 0) {
			free(c);
			return NULL;
		}
	}
	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return &c[h & (PSL_CACHE_SLOTS - 1)];
}

static int is_ldh_name(const char *s)
{
	const char *p;

	if (!*s || *s == '.')
		return 0;
	for (p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
		if (c == '.' && p[1] == '.')
			return 0;
	}
	return 1;
}

static int is_addr_literal(const char *s)
{
	unsigned char buf[16];
	char tmp[64];
	size_t n = strlen(s);

	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return 1;
	if (n > 2 && n < sizeof(tmp) && s[0] == '[' && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = 0;
		return inet_pton(AF_INET6, tmp, buf) == 1;
	}
	return 0;
}

/* name lower-cased into out (len > 0 bytes, cut to fit), without a trailing dot; returns the
 * length copied before that dot was dropped. */
static size_t lower_copy(const char *name, char *out, size_t len)
{
	size_t n = strlen(name), i;

	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++) {
		char c = name[i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = 0;
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = 0;
	return n;
}

char *pd_registrable(const char *name, char *out, size_t len)
{
	struct psl_entry *slot;
	const char *reg;
	size_t n;

	if (!len)
		return out;
	n = lower_copy(name, out, len);
	pthread_once(&psl_once, psl_init);
	slot = n ? cache_slot(name, n) : NULL;
	if (slot && slot->len == n && !memcmp(slot->name, name, n)) {
		if (slot->as_is) {
			memcpy(out, name, n);
			out[n] = 0;
		} else if (slot->reg_off) {
			memmove(out, out + slot->reg_off, strlen(out + slot->reg_off) + 1);
		}
		return out;
	}
	if (slot) {
		memcpy(slot->name, name, n);
		slot->len = (uint32_t)n;
		slot->as_is = false;
		slot->reg_off = 0;
	}
	if (!is_ldh_name(out) || is_addr_literal(out)) {
		/* not a host name: the name as it came */
		memcpy(out, name, n);
		out[n] = 0;
		if (slot)
			slot->as_is = true;
		return out;
	}
	if (!psl_ctx)
		return out;
	reg = psl_registrable_domain(psl_ctx, out);
	/* reg points into out (a suffix of it): move it to the front. */
	if (reg && reg > out && reg <= out + n) {
		if (slot)
			slot->reg_off = (uint32_t)(reg - out);
		memmove(out, reg, strlen(reg) + 1);
	}
	return out;
}

/*
 * The memo: whether a suffix is public, asked of libpsl once per distinct suffix. libpsl's
 * psl_registrable_domain() walks a name's suffixes from the left, asking
 * _psl_is_public_suffix(type 0) of each until one is public (0.21; psl_is_public_suffix2 with
 * type 0 is that question), and returns the suffix one label longer. Names of a capture share
 * most suffixes ("x.cdn.example.com", "y.cdn.example.com"), so all but the first question per
 * name are answered here. tests/test_names.c compares the results with pd_registrable().
 */
struct pd_psl_memo {
	struct memo_ent *ents; /* open addressing, a power of two */
	uint32_t mask, n;
	char **blocks; /* suffix strings */
	size_t nblocks, left;
	char *cur;
};

struct memo_ent {
	const char *s; /* NULL = empty */
	uint32_t hash, len;
	bool ps;
};

struct pd_psl_memo *pd_psl_memo_new(void)
{
	return calloc(1, sizeof(struct pd_psl_memo));
}

void pd_psl_memo_free(struct pd_psl_memo *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nblocks; i++)
		free(m->blocks[i]);
	free(m->blocks);
	free(m->ents);
	free(m);
}

static char *memo_copy(struct pd_psl_memo *m, const char *s, size_t n)
{
	size_t bs = n + 1 > 16384 ? n + 1 : 16384;
	char *p, **nb;

	if (n + 1 > m->left) {
		p = malloc(bs);
		nb = realloc(m->blocks, (m->nblocks + 1) * sizeof(*nb));
		if (!p || !nb) {
			free(p);
			if (nb)
				m->blocks = nb;
			return NULL;
		}
		m->blocks = nb;
		m->blocks[m->nblocks++] = p;
		m->cur = p;
		m->left = bs;
	}
	p = m->cur;
	memcpy(p, s, n);
	p[n] = 0;
	m->cur += n + 1;
	m->left -= n + 1;
	return p;
}

static int memo_grow(struct pd_psl_memo *m)
{
	uint32_t nmask = m->mask ? m->mask * 2 + 1 : 1023, i, j;
	struct memo_ent *ne = calloc((size_t)nmask + 1, sizeof(*ne));

	if (!ne)
		return -1;
	for (i = 0; m->ents && i <= m->mask; i++) {
		if (!m->ents[i].s)
			continue;
		for (j = m->ents[i].hash & nmask; ne[j].s; j = (j + 1) & nmask)
			;
		ne[j] = m->ents[i];
	}
	free(m->ents);
	m->ents = ne;
	m->mask = nmask;
	return 0;
}

/* Whether suffix s is public (1, 0), -1 when out of memory. */
static int memo_ps(struct pd_psl_memo *m, const char *s)
{
	uint32_t h = 2166136261u, j;
	size_t n = strlen(s), i;
	struct memo_ent *e;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	if ((uint64_t)(m->n + 1) * 2 > (uint64_t)m->mask + 1 && memo_grow(m) < 0)
		return -1;
	for (j = h & m->mask; (e = &m->ents[j])->s; j = (j + 1) & m->mask)
		if (e->hash == h && e->len == n && !memcmp(e->s, s, n))
			return e->ps;
	e->s = memo_copy(m, s, n);
	if (!e->s)
		return -1;
	e->hash = h;
	e->len = (uint32_t)n;
	e->ps = psl_is_public_suffix2(psl_ctx, s, 0) != 0;
	m->n++;
	return e->ps;
}

char *pd_registrable_memo(struct pd_psl_memo *m, const char *name, char *out, size_t len)
{
	const char *d, *p, *regdom = NULL;
	int ps;

	if (!len)
		return out;
	lower_copy(name, out, len);
	pthread_once(&psl_once, psl_init);
	if (!psl_ctx || !is_ldh_name(out) || is_addr_literal(out))
		return pd_registrable(name, out, len);
	for (d = out;;) {
		ps = memo_ps(m, d);
		if (ps < 0)
			return NULL;
		if (ps || !(p = strchr(d, '.')))
			break;
		regdom = d;
		d = p + 1;
	}
	if (regdom && regdom > out)
		memmove(out, regdom, strlen(regdom) + 1);
	return out;
}
