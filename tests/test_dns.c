/*
 * test_dns.c - the DNS message parser: answers of every kept type, compression, mDNS bits,
 * names in presentation form, cuts at every byte, and hostile messages.
 *
 * Messages are built in C by the small builder below (no binary test data). With
 * PD_DNS_WRITE_CORPUS=DIR in the environment the `valid` messages are also written to DIR
 * (tests/fuzz/corpus/dns is made this way: see tests/fuzz/make_dns_corpus.sh).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "testutil.h"

/* ---- builder ---- */

struct msgb {
	uint8_t m[65535];
	size_t n;
	size_t ends[PD_DNS_MAX_RR + 64]; /* end offset of each answer record, in order */
	unsigned n_ends;
};

static void put8(struct msgb *b, unsigned v)
{
	ck_assert_uint_lt(b->n, sizeof(b->m));
	b->m[b->n++] = (uint8_t)v;
}

static void put16(struct msgb *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void put32(struct msgb *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void putn(struct msgb *b, const void *s, size_t n)
{
	ck_assert_uint_le(n, sizeof(b->m) - b->n);
	memcpy(b->m + b->n, s, n);
	b->n += n;
}

static void hdr(struct msgb *b, unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                unsigned ar)
{
	memset(b, 0, sizeof(*b));
	put16(b, id);
	put16(b, flags);
	put16(b, qd);
	put16(b, an);
	put16(b, ns);
	put16(b, ar);
}

/* Writes the labels of dotted name s (no escapes) and, when ptr >= 0, a pointer instead of the
 * root byte. Returns the offset of the name's first byte. */
static size_t name_ptr(struct msgb *b, const char *s, int ptr)
{
	size_t at = b->n;

	while (*s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		put8(b, (unsigned)len);
		putn(b, s, len);
		s += len + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		put16(b, 0xc000u | (unsigned)ptr);
	else
		put8(b, 0);
	return at;
}

static size_t name(struct msgb *b, const char *s)
{
	return name_ptr(b, s, -1);
}

static void question(struct msgb *b, const char *qname, unsigned qtype, unsigned qclass)
{
	name(b, qname);
	put16(b, qtype);
	put16(b, qclass);
}

/* After the owner name: type, class, TTL, then a placeholder rdlength; returns its offset. */
static size_t rr_begin(struct msgb *b, unsigned type, unsigned rclass, uint32_t ttl)
{
	size_t at;
	put16(b, type);
	put16(b, rclass);
	put32(b, ttl);
	at = b->n;
	put16(b, 0);
	return at;
}

/* Fills in the rdlength at offset at (authority/additional records). */
static void rr_fix(struct msgb *b, size_t at)
{
	size_t len = b->n - at - 2;
	b->m[at] = (uint8_t)(len >> 8);
	b->m[at + 1] = (uint8_t)len;
}

/* Fills in the rdlength and records where this answer ends. */
static void rr_end(struct msgb *b, size_t at)
{
	rr_fix(b, at);
	b->ends[b->n_ends++] = b->n;
}

static void rr_a(struct msgb *b, uint32_t ttl, uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3)
{
	size_t at = rr_begin(b, PD_DNS_A, 1, ttl);
	put8(b, a0);
	put8(b, a1);
	put8(b, a2);
	put8(b, a3);
	rr_end(b, at);
}

static const uint8_t v6_db8_1[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

static struct pd_dns_msg *msg_new(void)
{
	struct pd_dns_msg *m = malloc(sizeof(*m));
	ck_assert_ptr_nonnull(m);
	memset(m, 0xa5, sizeof(*m)); /* garbage: the parser must not rely on a cleared result */
	return m;
}

static void corpus_write(const struct msgb *b, const char *tag)
{
	const char *dir = getenv("PD_DNS_WRITE_CORPUS");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, tag);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b->m, 1, b->n, f), b->n);
	fclose(f);
}

static void check_addr4(const struct pd_addr *a, uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3)
{
	ck_assert_uint_eq(a->family, 4);
	ck_assert_uint_eq(a->a[0], a0);
	ck_assert_uint_eq(a->a[1], a1);
	ck_assert_uint_eq(a->a[2], a2);
	ck_assert_uint_eq(a->a[3], a3);
}

/*
 * A recursive resolver's answer: www.example.com A, answered through a two-step CNAME chain,
 * two A, one AAAA (a real resolver would not mix, the parser does not care), an SOA in
 * authority and an OPT in additional. Owner names and targets use compression pointers.
 */
static void build_chain(struct msgb *b)
{
	size_t at, q, t1, t2;

	hdr(b, 0x1234, 0x8180, 1, 5, 1, 1);
	q = b->n;
	question(b, "WWW.Example.com", PD_DNS_A, 1);
	name_ptr(b, "", (int)q); /* owner: pointer to the question */
	at = rr_begin(b, PD_DNS_CNAME, 1, 300);
	t1 = b->n;
	name_ptr(b, "www.cdn", (int)q + 4); /* www.cdn.example.com */
	rr_end(b, at);
	name_ptr(b, "", (int)t1);
	at = rr_begin(b, PD_DNS_CNAME, 1, 300);
	t2 = b->n;
	name(b, "edge.cdn.example.net");
	rr_end(b, at);
	name_ptr(b, "", (int)t2);
	rr_a(b, 60, 192, 0, 2, 1);
	name_ptr(b, "", (int)t2);
	rr_a(b, 60, 192, 0, 2, 2);
	name_ptr(b, "", (int)t2);
	at = rr_begin(b, PD_DNS_AAAA, 1, 0x80000001u); /* top bit set: reads as 0 */
	putn(b, v6_db8_1, 16);
	rr_end(b, at);
	/* authority: SOA example.net */
	name_ptr(b, "", (int)t2 + 9);
	at = rr_begin(b, PD_DNS_SOA, 1, 3600);
	name_ptr(b, "ns1", (int)t2 + 9);
	name_ptr(b, "hostmaster", (int)t2 + 9);
	put32(b, 1);
	put32(b, 2);
	put32(b, 3);
	put32(b, 4);
	put32(b, 5);
	rr_fix(b, at);
	/* additional: OPT, root owner, UDP size 1232 */
	put8(b, 0);
	put16(b, PD_DNS_OPT);
	put16(b, 1232);
	put32(b, 0);
	put16(b, 0);
}

START_TEST(valid_chain)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	enum pd_err err;

	build_chain(&b);
	corpus_write(&b, "chain");
	err = pd_dns_parse(b.m, b.n, m);
	ck_assert_str_eq(pd_strerror(err), "success");
	ck_assert_uint_eq(m->id, 0x1234);
	ck_assert(m->qr && m->rd && m->ra && !m->aa && !m->tc);
	ck_assert_uint_eq(m->rcode, 0);
	ck_assert_str_eq(m->qname, "www.example.com");
	ck_assert_uint_eq(m->qtype, PD_DNS_A);
	ck_assert_uint_eq(m->n_rr, 5);
	ck_assert_uint_eq(m->n_rr_dropped, 0);
	ck_assert_str_eq(m->rr[0].name, "www.example.com");
	ck_assert_uint_eq(m->rr[0].type, PD_DNS_CNAME);
	ck_assert_str_eq(m->rr[0].target, "www.cdn.example.com");
	ck_assert_uint_eq(m->rr[0].ttl, 300);
	ck_assert_uint_eq(m->rr[0].addr.family, 0);
	ck_assert_str_eq(m->rr[1].name, "www.cdn.example.com");
	ck_assert_str_eq(m->rr[1].target, "edge.cdn.example.net");
	ck_assert_str_eq(m->rr[2].name, "edge.cdn.example.net");
	ck_assert_uint_eq(m->rr[2].type, PD_DNS_A);
	ck_assert_str_eq(m->rr[2].target, "");
	check_addr4(&m->rr[2].addr, 192, 0, 2, 1);
	ck_assert_uint_eq(m->rr[2].ttl, 60);
	check_addr4(&m->rr[3].addr, 192, 0, 2, 2);
	ck_assert_uint_eq(m->rr[4].type, PD_DNS_AAAA);
	ck_assert_uint_eq(m->rr[4].addr.family, 6);
	ck_assert_mem_eq(m->rr[4].addr.a, v6_db8_1, 16);
	ck_assert_uint_eq(m->rr[4].ttl, 0);
	ck_assert_uint_eq(m->rr[4].rclass, 1);
	ck_assert(!m->rr[4].cache_flush);
	free(m);
}
END_TEST

/* CNAME chain written out of order (A first, then the CNAMEs backwards): kept as sent. */
START_TEST(valid_order)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t at;

	hdr(&b, 7, 0x8180, 1, 3, 0, 0);
	question(&b, "a.example", PD_DNS_A, 1);
	name(&b, "c.example");
	rr_a(&b, 5, 198, 51, 100, 7);
	name(&b, "b.example");
	at = rr_begin(&b, PD_DNS_CNAME, 1, 10);
	name(&b, "c.example");
	rr_end(&b, at);
	name(&b, "a.example");
	at = rr_begin(&b, PD_DNS_CNAME, 1, 20);
	name(&b, "b.example");
	rr_end(&b, at);
	corpus_write(&b, "order");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert_uint_eq(m->n_rr, 3);
	ck_assert_str_eq(m->rr[0].name, "c.example");
	check_addr4(&m->rr[0].addr, 198, 51, 100, 7);
	ck_assert_str_eq(m->rr[1].name, "b.example");
	ck_assert_str_eq(m->rr[1].target, "c.example");
	ck_assert_str_eq(m->rr[2].name, "a.example");
	ck_assert_str_eq(m->rr[2].target, "b.example");
	ck_assert_uint_eq(m->rr[2].ttl, 20);
	free(m);
}
END_TEST

/* PTR, NS and MX targets; a TXT answer is counted as dropped. */
START_TEST(valid_ptr)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t at, q;

	hdr(&b, 9, 0x8580, 1, 4, 0, 0);
	q = b.n;
	question(&b, "1.2.0.192.in-addr.arpa", PD_DNS_PTR, 1);
	name_ptr(&b, "", (int)q);
	at = rr_begin(&b, PD_DNS_PTR, 1, 86400);
	name(&b, "Host.Example.");
	rr_end(&b, at);
	name(&b, "example");
	at = rr_begin(&b, PD_DNS_NS, 1, 1);
	name(&b, "ns.example");
	rr_end(&b, at);
	name(&b, "example");
	at = rr_begin(&b, PD_DNS_MX, 1, 2);
	put16(&b, 10);
	name(&b, "mail.example");
	rr_end(&b, at);
	name(&b, "example");
	at = rr_begin(&b, PD_DNS_TXT, 1, 2);
	putn(&b, "\x05hello", 6);
	rr_end(&b, at);
	corpus_write(&b, "ptr");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert(m->aa);
	ck_assert_str_eq(m->qname, "1.2.0.192.in-addr.arpa");
	ck_assert_uint_eq(m->n_rr, 3);
	ck_assert_uint_eq(m->n_rr_dropped, 1);
	ck_assert_str_eq(m->rr[0].name, "1.2.0.192.in-addr.arpa");
	ck_assert_uint_eq(m->rr[0].type, PD_DNS_PTR);
	ck_assert_str_eq(m->rr[0].target, "host.example");
	ck_assert_str_eq(m->rr[1].target, "ns.example");
	ck_assert_uint_eq(m->rr[2].type, PD_DNS_MX);
	ck_assert_str_eq(m->rr[2].target, "mail.example");
	free(m);
}
END_TEST

/* HTTPS in ServiceMode with alpn, ipv4hint (2), ech, ipv6hint (1); HTTPS in AliasMode. */
static void build_https(struct msgb *b)
{
	size_t at, q;

	hdr(b, 0x4242, 0x8180, 1, 2, 0, 0);
	q = b->n;
	question(b, "example.com", PD_DNS_HTTPS, 1);
	name_ptr(b, "", (int)q);
	at = rr_begin(b, PD_DNS_HTTPS, 1, 120);
	put16(b, 1); /* SvcPriority */
	put8(b, 0);  /* TargetName "." */
	put16(b, 1); /* alpn */
	put16(b, 6);
	putn(b, "\x02h2\x02h3", 6);
	put16(b, 4); /* ipv4hint */
	put16(b, 8);
	putn(b, "\xc0\x00\x02\x0a\xc0\x00\x02\x0b", 8);
	put16(b, 5); /* ech: an ECHConfigList, opaque here */
	put16(b, 3);
	putn(b, "\x00\x01\x00", 3);
	put16(b, 6); /* ipv6hint */
	put16(b, 16);
	putn(b, v6_db8_1, 16);
	rr_end(b, at);
	name(b, "alias.example.com");
	at = rr_begin(b, PD_DNS_HTTPS, 1, 30);
	put16(b, 0); /* AliasMode */
	name_ptr(b, "svc", (int)q);
	put16(b, 4); /* ignored in AliasMode, even though malformed */
	put16(b, 3);
	putn(b, "\x01\x02\x03", 3);
	rr_end(b, at);
}

START_TEST(valid_https)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();

	build_https(&b);
	corpus_write(&b, "https");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert_str_eq(m->qname, "example.com");
	ck_assert_uint_eq(m->qtype, PD_DNS_HTTPS);
	ck_assert_uint_eq(m->n_rr, 2);
	ck_assert_uint_eq(m->rr[0].type, PD_DNS_HTTPS);
	ck_assert_uint_eq(m->rr[0].svc_priority, 1);
	ck_assert_str_eq(m->rr[0].target, ".");
	ck_assert_uint_eq(m->rr[0].n_hints, 3);
	check_addr4(&m->rr[0].hints[0], 192, 0, 2, 10);
	check_addr4(&m->rr[0].hints[1], 192, 0, 2, 11);
	ck_assert_uint_eq(m->rr[0].hints[2].family, 6);
	ck_assert_mem_eq(m->rr[0].hints[2].a, v6_db8_1, 16);
	ck_assert(m->rr[0].ech);
	ck_assert_uint_eq(m->rr[0].addr.family, 0);
	ck_assert_uint_eq(m->rr[1].svc_priority, 0);
	ck_assert_str_eq(m->rr[1].target, "svc.example.com");
	ck_assert_uint_eq(m->rr[1].n_hints, 0);
	ck_assert(!m->rr[1].ech);
	free(m);
}
END_TEST

/* SVCB (e.g. _dns.resolver.arpa, RFC 9461) with more hints than kept, and an empty ech. */
START_TEST(valid_svcb)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t at;
	unsigned i;

	hdr(&b, 1, 0x8180, 1, 1, 0, 0);
	question(&b, "_dns.resolver.arpa", PD_DNS_SVCB, 1);
	name(&b, "_dns.resolver.arpa");
	at = rr_begin(&b, PD_DNS_SVCB, 1, 7);
	put16(&b, 2);
	name(&b, "dns.example.net");
	put16(&b, 4);
	put16(&b, 4 * 10);
	for (i = 0; i < 10; i++)
		put32(&b, 0x0a000000u + i);
	put16(&b, 5);
	put16(&b, 0);
	rr_end(&b, at);
	corpus_write(&b, "svcb");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert_uint_eq(m->n_rr, 1);
	ck_assert_uint_eq(m->rr[0].type, PD_DNS_SVCB);
	ck_assert_uint_eq(m->rr[0].svc_priority, 2);
	ck_assert_str_eq(m->rr[0].target, "dns.example.net");
	ck_assert_uint_eq(m->rr[0].n_hints, PD_DNS_MAX_HINTS);
	check_addr4(&m->rr[0].hints[7], 10, 0, 0, 7);
	ck_assert(!m->rr[0].ech);
	free(m);
}
END_TEST

/* NXDOMAIN with the SOA in authority: no answers, the rcode named. */
START_TEST(valid_nxdomain)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t at;

	hdr(&b, 2, 0x8183, 1, 0, 1, 0);
	question(&b, "nope.example", PD_DNS_AAAA, 1);
	name(&b, "example");
	at = rr_begin(&b, PD_DNS_SOA, 1, 900);
	name(&b, "ns.example");
	name(&b, "admin.example");
	put32(&b, 1);
	put32(&b, 2);
	put32(&b, 3);
	put32(&b, 4);
	put32(&b, 5);
	rr_fix(&b, at);
	corpus_write(&b, "nxdomain");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert_uint_eq(m->rcode, 3);
	ck_assert_str_eq(pd_dns_rcode_name(m->rcode), "NXDOMAIN");
	ck_assert_uint_eq(m->n_rr, 0);
	ck_assert_uint_eq(m->nscount, 1);
	ck_assert_str_eq(m->qname, "nope.example");
	free(m);
}
END_TEST

/* mDNS: a QU question, then a response with cache-flush A and AAAA (RFC 6762 5.4, 10.2). */
START_TEST(valid_mdns)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t at, o;

	hdr(&b, 0, 0, 1, 0, 0, 0);
	question(&b, "printer.local", PD_DNS_A, 0x8001);
	corpus_write(&b, "mdns_q");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert(!m->qr);
	ck_assert(m->qu);
	ck_assert_uint_eq(m->qclass, 1);

	hdr(&b, 0, 0x8400, 0, 2, 0, 0);
	o = name(&b, "printer.local");
	at = rr_begin(&b, PD_DNS_A, 0x8001, 120);
	putn(&b, "\xa9\xfe\x01\x02", 4);
	rr_end(&b, at);
	name_ptr(&b, "", (int)o);
	at = rr_begin(&b, PD_DNS_AAAA, 0x0001, 120);
	putn(&b, v6_db8_1, 16);
	rr_end(&b, at);
	corpus_write(&b, "mdns_r");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert(m->qr && m->aa);
	ck_assert_uint_eq(m->qdcount, 0);
	ck_assert_str_eq(m->qname, "");
	ck_assert_uint_eq(m->n_rr, 2);
	ck_assert(m->rr[0].cache_flush);
	ck_assert_uint_eq(m->rr[0].rclass, 1);
	check_addr4(&m->rr[0].addr, 169, 254, 1, 2);
	ck_assert(!m->rr[1].cache_flush);
	ck_assert_str_eq(m->rr[1].name, "printer.local");
	free(m);
}
END_TEST

/* Presentation form: case, escapes, the root, the longest legal name (255 wire bytes). */
START_TEST(valid_names)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	char label[63];
	size_t at, o;
	char want[300];

	hdr(&b, 3, 0x8180, 1, 2, 0, 0);
	/* labels "A.b\", "x\0\x7f y", "Com" */
	putn(&b,
	     "\x04"
	     "A.b\\"
	     "\x05"
	     "x\0\x7f y"
	     "\x03"
	     "Com"
	     "\x00",
	     4 + 1 + 5 + 1 + 3 + 1 + 1);
	put16(&b, PD_DNS_A);
	put16(&b, 1);
	put8(&b, 0); /* root owner */
	rr_a(&b, 1, 1, 2, 3, 4);
	/* 63 + 63 + 63 + 61 label bytes + 4 length bytes + root = 255 */
	memset(label, 'z', sizeof(label));
	o = b.n;
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 61);
	putn(&b, label, 61);
	put8(&b, 0);
	ck_assert_uint_eq(b.n - o, 255);
	at = rr_begin(&b, PD_DNS_CNAME, 1, 1);
	put8(&b, 0);
	rr_end(&b, at);
	corpus_write(&b, "names");
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert_str_eq(m->qname, "a\\.b\\\\.x\\000\\127\\032y.com");
	ck_assert_str_eq(m->rr[0].name, ".");
	snprintf(want, sizeof(want), "%.63s.%.63s.%.63s.%.61s", label, label, label, label);
	ck_assert_str_eq(m->rr[1].name, want);
	ck_assert_str_eq(m->rr[1].target, ".");
	free(m);
}
END_TEST

/* More answers than PD_DNS_MAX_RR: the first ones kept, the rest counted. */
START_TEST(valid_many)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	unsigned i;

	hdr(&b, 4, 0x8180, 0, PD_DNS_MAX_RR + 6, 0, 0);
	for (i = 0; i < PD_DNS_MAX_RR + 6; i++) {
		if (i == 0)
			name(&b, "many.example"); /* at offset 12 */
		else
			name_ptr(&b, "", 12);
		rr_a(&b, i, 10, 0, (uint8_t)(i >> 8), (uint8_t)i);
	}
	ck_assert_int_eq(pd_dns_parse(b.m, b.n, m), PD_OK);
	ck_assert_uint_eq(m->n_rr, PD_DNS_MAX_RR);
	ck_assert_uint_eq(m->n_rr_over, 6);
	ck_assert_uint_eq(m->n_rr_dropped, 0);
	ck_assert_str_eq(m->rr[PD_DNS_MAX_RR - 1].name, "many.example");
	check_addr4(&m->rr[PD_DNS_MAX_RR - 1].addr, 10, 0, (uint8_t)((PD_DNS_MAX_RR - 1) >> 8),
	            (uint8_t)(PD_DNS_MAX_RR - 1));
	/* record 70 (past the old bound of 64) is kept */
	check_addr4(&m->rr[69].addr, 10, 0, 0, 69);
	free(m);
}
END_TEST

static void *type_name_thread(void *arg)
{
	const char *s = pd_dns_type_name(4321);
	*(const char **)arg = s;
	ck_assert_str_eq(s, "TYPE4321");
	return NULL;
}

START_TEST(valid_type_names)
{
	const char *mine, *theirs = NULL;
	pthread_t t;

	ck_assert_str_eq(pd_dns_type_name(PD_DNS_A), "A");
	ck_assert_str_eq(pd_dns_type_name(PD_DNS_HTTPS), "HTTPS");
	ck_assert_str_eq(pd_dns_type_name(PD_DNS_SVCB), "SVCB");
	ck_assert_str_eq(pd_dns_type_name(65535), "TYPE65535");
	ck_assert_str_eq(pd_dns_rcode_name(0), "NOERROR");
	ck_assert_str_eq(pd_dns_rcode_name(2), "SERVFAIL");
	ck_assert_str_eq(pd_dns_rcode_name(15), "RCODE15");
	mine = pd_dns_type_name(1234);
	ck_assert_int_eq(pthread_create(&t, NULL, type_name_thread, &theirs), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_ptr_ne(mine, theirs); /* one buffer per thread */
	ck_assert_str_eq(mine, "TYPE1234");
}
END_TEST

/* A message cut at every byte: TRUNCATED, never a crash, exactly the answers before the cut. */
static void cut_everywhere(const struct msgb *b)
{
	struct pd_dns_msg *m = msg_new();
	size_t cut;

	for (cut = 0; cut < b->n; cut++) {
		/* a copy of exactly cut bytes, so ASan sees any read past the cut */
		uint8_t *copy = malloc(cut ? cut : 1);
		unsigned want = 0, i;
		enum pd_err err;

		memcpy(copy, b->m, cut);
		err = pd_dns_parse(copy, cut, m);
		for (i = 0; i < b->n_ends; i++)
			if (b->ends[i] <= cut)
				want++;
		ck_assert_msg(err == PD_ERR_TRUNCATED, "cut %zu: %s", cut, pd_strerror(err));
		ck_assert_msg(m->n_rr == want, "cut %zu: %u answers, want %u", cut, m->n_rr, want);
		free(copy);
	}
	free(m);
}

START_TEST(truncated)
{
	struct msgb b;

	build_chain(&b);
	cut_everywhere(&b);
	build_https(&b);
	cut_everywhere(&b);
}
END_TEST

/*
 * Like tcpdump's dns_udp_2.pcap (a resolver's answer to a snaplen-98 capture: 98 - 14 - 20 - 8
 * = 56 bytes of DNS): the question and the first answer fit, the second is cut in its rdata.
 */
START_TEST(truncated_snaplen)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t q;

	hdr(&b, 0xabcd, 0x8180, 1, 2, 0, 0);
	q = b.n;
	question(&b, "www.example.org", PD_DNS_A, 1);
	name_ptr(&b, "", (int)q);
	rr_a(&b, 3600, 93, 184, 215, 14);
	name_ptr(&b, "", (int)q);
	rr_a(&b, 3600, 93, 184, 215, 15);
	ck_assert_uint_eq(b.n, 65);
	ck_assert_int_eq(pd_dns_parse(b.m, 56, m), PD_ERR_TRUNCATED);
	ck_assert_str_eq(m->qname, "www.example.org");
	ck_assert_uint_eq(m->n_rr, 1);
	check_addr4(&m->rr[0].addr, 93, 184, 215, 14);
	free(m);
}
END_TEST

/* Parses a heap copy of exactly b->n bytes (ASan sees overreads) and checks the result. */
static struct pd_dns_msg *expect(const struct msgb *b, enum pd_err want)
{
	struct pd_dns_msg *m = msg_new();
	uint8_t *copy = malloc(b->n ? b->n : 1);
	enum pd_err err;

	memcpy(copy, b->m, b->n);
	err = pd_dns_parse(copy, b->n, m);
	free(copy);
	ck_assert_msg(err == want, "got %s, want %s", pd_strerror(err), pd_strerror(want));
	return m;
}

/* A response header and question "q.example A" at offset 12..28; answers follow. */
static size_t hostile_start(struct msgb *b, unsigned an)
{
	hdr(b, 0x6666, 0x8180, 1, an, 0, 0);
	question(b, "q.example", PD_DNS_A, 1);
	return b->n;
}

/* Compression pointers: made up to break the backwards rule in each way it can be broken. */
START_TEST(hostile_pointers)
{
	struct msgb b;
	size_t at, p1;

	/* pointer to itself: C0 0C at offset 12, the question name */
	hdr(&b, 1, 0x8180, 1, 0, 0, 0);
	put16(&b, 0xc00c);
	put16(&b, 1);
	put16(&b, 1);
	free(expect(&b, PD_ERR_MALFORMED));

	/* forward pointer: the answer owner points past itself, to the A rdata */
	hostile_start(&b, 1);
	put16(&b, 0xc000 | (unsigned)(b.n + 12));
	rr_a(&b, 1, 1, 0, 0, 0);
	free(expect(&b, PD_ERR_MALFORMED));

	/* a loop of two: answer 1's owner "x" + pointer to answer 2's owner, which points back */
	hostile_start(&b, 2);
	p1 = b.n;
	put8(&b, 1);
	put8(&b, 'x');
	put16(&b, 0xc000 | (unsigned)(p1 + 4 + 14)); /* answer 2's owner: forward */
	rr_a(&b, 1, 1, 0, 0, 0);
	put16(&b, 0xc000 | (unsigned)p1);
	rr_a(&b, 1, 1, 0, 0, 1);
	free(expect(&b, PD_ERR_MALFORMED));

	/* a pointer into its own name: "a" "b" then a pointer to "b" (would repeat b forever) */
	hostile_start(&b, 1);
	p1 = b.n;
	putn(&b,
	     "\x01"
	     "a"
	     "\x01"
	     "b",
	     4);
	put16(&b, 0xc000 | (unsigned)(p1 + 2));
	rr_a(&b, 1, 1, 0, 0, 0);
	free(expect(&b, PD_ERR_MALFORMED));

	/* jumps that go back but not below the previous landing: name at X = ptr->Y, Y = label +
	 * ptr->Y+... : Y "c" then pointer to Y (lands where the last jump landed) */
	hostile_start(&b, 2);
	p1 = b.n;
	putn(&b,
	     "\x01"
	     "c",
	     2);
	put16(&b, 0xc000 | (unsigned)p1); /* answer 1 owner: pointer to its own first label */
	rr_a(&b, 1, 1, 0, 0, 0);
	free(expect(&b, PD_ERR_MALFORMED));

	/* a chain of PD_DNS_MAX_JUMPS + 1 pointers, each to the one before (all backwards, so
	 * only the jump limit stops it), hidden in a TXT answer's rdata */
	{
		unsigned i;
		hdr(&b, 1, 0x8180, 0, 2, 0, 0);
		name(&b, "end");
		at = rr_begin(&b, PD_DNS_TXT, 1, 1); /* a TXT answer hides the chain in its rdata */
		p1 = 12;
		for (i = 0; i < PD_DNS_MAX_JUMPS + 1; i++) {
			size_t here = b.n;
			put16(&b, 0xc000 | (unsigned)p1);
			p1 = here;
		}
		rr_fix(&b, at);
		put16(&b, 0xc000 | (unsigned)p1); /* answer 2's owner */
		rr_a(&b, 1, 1, 0, 0, 0);
		free(expect(&b, PD_ERR_MALFORMED));
		/* one link fewer (PD_DNS_MAX_JUMPS jumps in all) is accepted */
		b.n -= 16;
		put16(&b, 0xc000 | (unsigned)(p1 - 4)); /* 1 + 127 jumps */
		rr_a(&b, 1, 1, 0, 0, 0);
		{
			struct pd_dns_msg *m = expect(&b, PD_OK);
			ck_assert_str_eq(m->rr[0].name, "end");
			free(m);
		}
	}

	/* a pointer into the header (offset 2: flags 81 80 = label type 0x80) */
	hostile_start(&b, 1);
	put16(&b, 0xc002);
	rr_a(&b, 1, 1, 0, 0, 0);
	free(expect(&b, PD_ERR_MALFORMED));

	/* a pointer into the header at offset 5: qdcount's low byte 01 is a label length, then
	 * 00 (ancount high byte) its content, 01 (ancount low) another length, 00 (nscount high)
	 * its content, 00 (nscount low) the root. Legal by the rules, so it decodes. */
	hostile_start(&b, 1);
	put16(&b, 0xc005);
	rr_a(&b, 1, 1, 0, 0, 0);
	{
		struct pd_dns_msg *m = expect(&b, PD_OK);
		ck_assert_str_eq(m->rr[0].name, "\\000.\\000");
		free(m);
	}

	/* a pointer cut in half at the end of the message */
	hostile_start(&b, 1);
	put8(&b, 0xc0);
	free(expect(&b, PD_ERR_TRUNCATED));

	/* a forward pointer in the authority section (walked, not decoded): still caught */
	hdr(&b, 1, 0x8180, 0, 0, 1, 0);
	put16(&b, 0xc000 | 20);
	rr_a(&b, 1, 1, 0, 0, 0);
	free(expect(&b, PD_ERR_MALFORMED));
}
END_TEST

/* Labels and names: lengths from RFC 1035 2.3.4 plus one, and the reserved label types. */
START_TEST(hostile_names)
{
	struct msgb b;
	uint8_t label[64];
	size_t p1;

	memset(label, 'y', sizeof(label));
	/* a 64-byte label: the length byte 0x40 is the extended label type (RFC 6891 9) */
	hdr(&b, 1, 0, 1, 0, 0, 0);
	put8(&b, 64);
	putn(&b, label, 64);
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	free(expect(&b, PD_ERR_MALFORMED));

	/* label type 0x80 (reserved) */
	hdr(&b, 1, 0, 1, 0, 0, 0);
	put8(&b, 0x81);
	put8(&b, 'a');
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	free(expect(&b, PD_ERR_MALFORMED));

	/* a 256-byte name: 63+63+63+62 label bytes + 4 length bytes + root */
	hdr(&b, 1, 0, 1, 0, 0, 0);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 62);
	putn(&b, label, 62);
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	free(expect(&b, PD_ERR_MALFORMED));

	/* over 255 bytes only once a pointer is followed: 200-byte name, then 62 bytes + pointer */
	hdr(&b, 1, 0x8180, 1, 1, 0, 0);
	p1 = b.n;
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 63);
	putn(&b, label, 63);
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	put8(&b, 62); /* 63 + 193 = 256 */
	putn(&b, label, 62);
	put16(&b, 0xc000 | (unsigned)p1);
	rr_a(&b, 1, 1, 2, 3, 4);
	free(expect(&b, PD_ERR_MALFORMED));

	/* 128 labels of 1 byte: 257 wire bytes, the most labels possible */
	hdr(&b, 1, 0, 1, 0, 0, 0);
	for (p1 = 0; p1 < 128; p1++) {
		put8(&b, 1);
		put8(&b, 'l');
	}
	put8(&b, 0);
	put16(&b, 1);
	put16(&b, 1);
	free(expect(&b, PD_ERR_MALFORMED));
}
END_TEST

/* Counts and lengths that do not match the bytes: made up for this test. */
START_TEST(hostile_counts)
{
	struct msgb b;
	struct pd_dns_msg *m;
	size_t at;

	/* ancount 65535 in a 28-byte message with one record: that one kept, then cut */
	hdr(&b, 1, 0x8180, 0, 65535, 0, 0);
	put8(&b, 0);
	rr_a(&b, 1, 127, 0, 0, 1);
	m = expect(&b, PD_ERR_TRUNCATED);
	ck_assert_uint_eq(m->n_rr, 1);
	ck_assert_uint_eq(m->ancount, 65535);
	free(m);

	/* every count 65535 in a bare header */
	hdr(&b, 1, 0xffff, 65535, 65535, 65535, 65535);
	m = expect(&b, PD_ERR_TRUNCATED);
	ck_assert_uint_eq(m->rcode, 15);
	ck_assert_uint_eq(m->n_rr, 0);
	free(m);

	/* rdlength past the end of the message */
	hostile_start(&b, 1);
	put8(&b, 0);
	put16(&b, PD_DNS_A);
	put16(&b, 1);
	put32(&b, 1);
	put16(&b, 4000);
	putn(&b, "\x01\x02\x03\x04", 4);
	free(expect(&b, PD_ERR_TRUNCATED));

	/* A with rdlength 5, AAAA with 4 */
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_A, 1, 1);
	putn(&b, "\x01\x02\x03\x04\x05", 5);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_AAAA, 1, 1);
	putn(&b, "\x01\x02\x03\x04", 4);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));

	/* CNAME whose name stops before its rdlength (trailing byte), and one running past it */
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_CNAME, 1, 1);
	name(&b, "t.example");
	put8(&b, 0x55);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));
	hostile_start(&b, 2);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_CNAME, 1, 1);
	name(&b, "t.example");
	rr_end(&b, at);
	b.m[at + 1] -= 3; /* rdlength 8: the name's last 3 bytes are read as the next record */
	put8(&b, 0);
	rr_a(&b, 1, 1, 1, 1, 1);
	free(expect(&b, PD_ERR_MALFORMED));

	/* an answer that is good before a malformed one: kept */
	hostile_start(&b, 2);
	put8(&b, 0);
	rr_a(&b, 1, 9, 9, 9, 9);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_A, 1, 1);
	rr_end(&b, at);
	m = expect(&b, PD_ERR_MALFORMED);
	ck_assert_uint_eq(m->n_rr, 1);
	check_addr4(&m->rr[0].addr, 9, 9, 9, 9);
	free(m);

	/* 5957 root-owner TXT records with empty rdata fill 65535 bytes: all walked, bounded */
	hdr(&b, 1, 0x8180, 0, 0, 0, 0);
	b.n = 0;
	{
		static uint8_t big[65535];
		size_t i, n = 0;
		memset(big, 0, sizeof(big));
		big[7] = 0x8c;
		big[6] = 0x17; /* ancount 0x178c = 6028 > what fits; count and walk */
		for (i = 12; i + 11 <= sizeof(big); i += 11) {
			big[i + 2] = PD_DNS_TXT;
			big[i + 4] = 1;
			n++;
		}
		m = msg_new();
		ck_assert_int_eq(pd_dns_parse(big, sizeof(big), m), PD_ERR_TRUNCATED);
		ck_assert_uint_eq(m->n_rr, 0);
		ck_assert_uint_eq(m->n_rr_dropped, n);
		free(m);
	}
}
END_TEST

/* SVCB/HTTPS rdata broken in each length it carries: made up from RFC 9460 2.2's rules. */
START_TEST(hostile_svcb)
{
	static const struct {
		const char *what;
		const char *params;
		size_t len;
	} cases[] = {
		{ "param length past the rdata", "\x00\x04\x00\x08\x01\x02\x03\x04", 8 },
		{ "ipv4hint of 5 bytes", "\x00\x04\x00\x05\x01\x02\x03\x04\x05", 9 },
		{ "ipv6hint of 4 bytes", "\x00\x06\x00\x04\x01\x02\x03\x04", 8 },
		{ "empty ipv4hint", "\x00\x04\x00\x00", 4 },
		{ "keys out of order", "\x00\x06\x00\x00\x00\x04\x00\x04\x01\x02\x03\x04", 12 },
		{ "key repeated", "\x00\x05\x00\x00\x00\x05\x00\x00", 8 },
		{ "half a key", "\x00", 1 },
		{ "key without length", "\x00\x01", 2 },
	};
	struct msgb b;
	struct pd_dns_msg *m;
	size_t i, at;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hostile_start(&b, 1);
		put8(&b, 0);
		at = rr_begin(&b, PD_DNS_HTTPS, 1, 1);
		put16(&b, 1);
		put8(&b, 0);
		putn(&b, cases[i].params, cases[i].len);
		rr_end(&b, at);
		m = msg_new();
		ck_assert_msg(pd_dns_parse(b.m, b.n, m) == PD_ERR_MALFORMED, "%s", cases[i].what);
		free(m);
	}

	/* zero-length rdata; a priority without a target; a target running past the rdata */
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_SVCB, 1, 1);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_SVCB, 1, 1);
	put16(&b, 1);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_SVCB, 1, 1);
	put16(&b, 1);
	put8(&b, 5);
	putn(&b, "ab", 2);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));
}
END_TEST

/* Zero-length everything: made up. */
START_TEST(hostile_empty)
{
	struct msgb b;
	struct pd_dns_msg *m = msg_new();
	size_t at;

	ck_assert_int_eq(pd_dns_parse(NULL, 0, m), PD_ERR_TRUNCATED);
	ck_assert_str_eq(m->qname, "");
	ck_assert_uint_eq(m->n_rr, 0);
	ck_assert_int_eq(pd_dns_parse((const uint8_t *)"\x12", 1, m), PD_ERR_TRUNCATED);
	hdr(&b, 0, 0, 0, 0, 0, 0);
	free(m);
	m = expect(&b, PD_OK);
	ck_assert_uint_eq(m->n_rr, 0);
	ck_assert_str_eq(m->qname, "");
	free(m);

	/* empty question name (root), empty rdata for CNAME / PTR / MX / A */
	hdr(&b, 0, 0x8180, 1, 1, 0, 0);
	question(&b, "", 0, 0);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_CNAME, 0, 0);
	rr_end(&b, at);
	m = expect(&b, PD_ERR_MALFORMED);
	ck_assert_str_eq(m->qname, ".");
	free(m);
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_MX, 1, 1);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));
	hostile_start(&b, 1);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_PTR, 1, 1);
	rr_end(&b, at);
	free(expect(&b, PD_ERR_MALFORMED));

	/* empty rdata of a skipped type (TXT) is fine; an empty OPT in the answer section too */
	hostile_start(&b, 2);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_TXT, 1, 1);
	rr_end(&b, at);
	put8(&b, 0);
	at = rr_begin(&b, PD_DNS_OPT, 512, 0);
	rr_end(&b, at);
	m = expect(&b, PD_OK);
	ck_assert_uint_eq(m->n_rr, 0);
	ck_assert_uint_eq(m->n_rr_dropped, 2);
	free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tv = tcase_create("valid");
	TCase *tt = tcase_create("truncated");
	TCase *th = tcase_create("hostile");

	tcase_add_test(tv, valid_chain);
	tcase_add_test(tv, valid_order);
	tcase_add_test(tv, valid_ptr);
	tcase_add_test(tv, valid_https);
	tcase_add_test(tv, valid_svcb);
	tcase_add_test(tv, valid_nxdomain);
	tcase_add_test(tv, valid_mdns);
	tcase_add_test(tv, valid_names);
	tcase_add_test(tv, valid_many);
	tcase_add_test(tv, valid_type_names);
	tcase_add_test(tt, truncated);
	tcase_add_test(tt, truncated_snaplen);
	tcase_add_test(th, hostile_pointers);
	tcase_add_test(th, hostile_names);
	tcase_add_test(th, hostile_counts);
	tcase_add_test(th, hostile_svcb);
	tcase_add_test(th, hostile_empty);
	suite_add_tcase(s, tv);
	suite_add_tcase(s, tt);
	suite_add_tcase(s, th);
	return pd_test_run(s);
}
