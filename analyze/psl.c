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

char *pd_registrable(const char *name, char *out, size_t len)
{
	struct psl_entry *slot;
	const char *reg;
	size_t n, i;

	if (!len)
		return out;
	n = strlen(name);
	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++) {
		char c = name[i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = 0;
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = 0;
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
