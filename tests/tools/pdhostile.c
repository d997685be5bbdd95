/*
 * pdhostile.c - generator of captures crafted to exhaust memory (SPEC 3: "never grow without
 * bound on any input"), for tests/e2e/test_limits.sh. Each mode aims at one growing set:
 *
 *   pdhostile flows N      N distinct single-packet UDP flows within N microseconds: the live
 *                          flow table (PD_MAX_LIVE_FLOWS) must flush instead of growing
 *   pdhostile names N      N DNS answers, each a different registrable domain (nameI.com),
 *                          all for one address, to 200 clients, then a flow to it
 *                          (PD_MAX_NAMES_PER_ADDR)
 *   pdhostile candidates N N such answers to one client, then its flow (PD_MAX_CANDIDATES)
 *   pdhostile answers N    N DNS answers, each a different name for a different address
 *                          (198.18.0.0/15), to one client: the DNS map and the names table
 *                          grow with the capture, attribution's memory must not
 *   pdhostile reasm N      N concurrent TCP flows to port 443, each sending the first 100
 *                          bytes of a ClientHello whose record claims 16 KiB, alternately in
 *                          order and after a 1400-byte gap, never finished: each holds a
 *                          reassembly buffer (the shared reassembly budget), and with N above
 *                          PD_MAX_LIVE_FLOWS the flow table is full at the same time
 *   pdhostile frags N      N first fragments of IPv4 UDP datagrams (MF set, distinct ids), never
 *                          completed (PD_MAX_FRAG_SETS)
 *   pdhostile dnstcp N     N TCP flows to port 53, each a DNS message length prefix of 65535
 *                          followed by 1000 bytes and nothing more
 *
 * usage: pdhostile MODE N FILE   (classic pcap, microseconds, Ethernet; FILE "-" = stdout)
 * Addresses: clients in 10.11.0.0/16 (this test's range), servers in 203.0.113.0/24
 * (documentation). Checksums are zero (nothing checks them). Same arguments, same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *out;
static uint64_t now_us = 1764000000ull * 1000000ull;
static uint8_t frame[2048];

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void emit(size_t len)
{
	uint8_t rh[16];

	le32(rh, (uint32_t)(now_us / 1000000));
	le32(rh + 4, (uint32_t)(now_us % 1000000));
	le32(rh + 8, (uint32_t)len);
	le32(rh + 12, (uint32_t)len);
	if (fwrite(rh, 1, 16, out) != 16 || fwrite(frame, 1, len, out) != len) {
		perror("pdhostile: write");
		exit(1);
	}
	now_us++;
}

/* Ethernet + IPv4 header for proto from src to dst with l4len bytes after it; returns the L4
 * start. frag: the IPv4 flags/fragment-offset field; id: the identification. */
static uint8_t *ip4(uint32_t src, uint32_t dst, int proto, size_t l4len, unsigned id, unsigned frag)
{
	uint8_t *ip = frame + 14;

	memset(frame, 0, 14 + 20);
	memcpy(frame, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	put16(frame + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + l4len));
	put16(ip + 4, id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	return ip + 20;
}

static size_t udp(uint32_t src, uint32_t dst, unsigned sport, unsigned dport, const uint8_t *pl,
                  size_t n)
{
	uint8_t *u = ip4(src, dst, 17, 8 + n, 1, 0x4000);

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + n));
	put16(u + 6, 0);
	memcpy(u + 8, pl, n);
	return 14 + 20 + 8 + n;
}

static size_t tcp(uint32_t src, uint32_t dst, unsigned sport, unsigned dport, uint32_t seq,
                  uint8_t flags, const uint8_t *pl, size_t n)
{
	uint8_t *t = ip4(src, dst, 6, 20 + n, 1, 0x4000);

	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	memcpy(t + 20, pl, n);
	return 14 + 20 + 20 + n;
}

#define SERVER 0xcb007107u /* 203.0.113.7 */
#define CLIENT 0x0a0b0102u /* 10.11.1.2 */

/* A DNS response to client: name -> A addr, TTL 3600. */
static void dns_answer(uint32_t client, const char *name, unsigned id, uint32_t addr)
{
	uint8_t m[512], *p = m + 12;
	const char *s = name, *dot;

	memset(m, 0, 12);
	put16(m, id);
	put16(m + 2, 0x8180);
	put16(m + 4, 1);
	put16(m + 6, 1);
	do {
		size_t l;

		dot = strchr(s, '.');
		l = dot ? (size_t)(dot - s) : strlen(s);
		*p++ = (uint8_t)l;
		memcpy(p, s, l);
		p += l;
		s = dot ? dot + 1 : NULL;
	} while (s);
	*p++ = 0;
	put16(p, 1); /* A */
	put16(p + 2, 1);
	p += 4;
	put16(p, 0xc00c);
	put16(p + 2, 1);
	put16(p + 4, 1);
	put32(p + 6, 3600);
	put16(p + 10, 4);
	put32(p + 12, addr);
	p += 16;
	emit(udp(0x0a0b0035u, client, 53, 40000 + (id % 20000), m, (size_t)(p - m)));
}

static void mode_flows(unsigned long n)
{
	static const uint8_t pl[8] = "pdhostil";
	unsigned long i;

	for (i = 0; i < n; i++)
		emit(udp(0x0a0b0000u | (uint32_t)(i & 0xffff), SERVER,
		         1024 + (unsigned)(i >> 16) % 60000, 9999, pl, sizeof(pl)));
}

static void mode_names(unsigned long n, int one_client)
{
	char name[64];
	unsigned long i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "name%lu.com", i);
		dns_answer(one_client ? CLIENT : 0x0a0b0100u + 2 + (uint32_t)(i % 200), name,
		           (unsigned)(i & 0xffff), SERVER);
	}
	emit(tcp(CLIENT, SERVER, 50000, 9443, 1000, 0x02, NULL, 0)); /* SYN */
	emit(tcp(CLIENT, SERVER, 50000, 9443, 1001, 0x18, (const uint8_t *)"x", 1));
}

static void mode_answers(unsigned long n)
{
	char name[64];
	unsigned long i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "host%lu.answers.example.com", i);
		dns_answer(CLIENT, name, (unsigned)(i & 0xffff),
		           0xc6120000u + (uint32_t)(i % 131072));
	}
	/* and a connection to the last address answered */
	emit(tcp(CLIENT, 0xc6120000u + (uint32_t)((n - 1) % 131072), 50000, 9443, 1000, 0x02, NULL,
	         0));
}

static void mode_reasm(unsigned long n)
{
	uint8_t hello[100];
	unsigned long i;
	uint32_t src;
	unsigned sport;

	/* TLS record header: handshake, TLS 1.0, length 16383; ClientHello of 16379 bytes */
	memset(hello, 0xab, sizeof(hello));
	memcpy(hello, "\x16\x03\x01\x3f\xff\x01\x00\x3f\xfb\x03\x03", 11);
	for (i = 0; i < n; i++) {
		src = 0x0a0b0000u | (uint32_t)(i & 0xffff);
		sport = 1024 + (unsigned)(i >> 16);
		emit(tcp(src, SERVER + (uint32_t)(i % 200), sport, 443, 5000, 0x02, NULL, 0));
		/* odd flows: the first segment is missing, the second arrives (a gap) */
		emit(tcp(src, SERVER + (uint32_t)(i % 200), sport, 443, 5001 + (i & 1 ? 1400 : 0),
		         0x18, hello, sizeof(hello)));
	}
}

static void mode_frags(unsigned long n)
{
	unsigned long i;
	uint8_t *u;

	for (i = 0; i < n; i++) {
		/* first fragment of a 3000-byte UDP/53 datagram: 1480 bytes, MF set */
		u = ip4(0x0a0b0000u | (uint32_t)(i & 0xffff), SERVER, 17, 1480,
		        (unsigned)((i >> 16) * 7919 + i) & 0xffff, 0x2000);
		memset(u, 0x5a, 1480);
		put16(u, 53);
		put16(u + 2, 40000);
		put16(u + 4, 3000);
		emit(14 + 20 + 1480);
	}
}

static void mode_dnstcp(unsigned long n)
{
	uint8_t m[1002];
	unsigned long i;
	uint32_t src;
	unsigned sport;

	memset(m, 0x3f, sizeof(m));
	put16(m, 0xffff); /* the length prefix: 65535 bytes follow (they never do) */
	for (i = 0; i < n; i++) {
		src = 0x0a0b0000u | (uint32_t)(i & 0xffff);
		sport = 1024 + (unsigned)(i >> 16);
		emit(tcp(src, SERVER, sport, 53, 7000, 0x02, NULL, 0));
		emit(tcp(src, SERVER, sport, 53, 7001, 0x18, m, sizeof(m)));
		/* and the server answers with the same kind of prefix */
		emit(tcp(SERVER, src, 53, sport, 9001, 0x18, m, sizeof(m)));
	}
}

int main(int argc, char **argv)
{
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	unsigned long n;
	char *end;

	if (argc != 4) {
		fprintf(stderr, "usage: pdhostile "
		                "flows|names|candidates|answers|reasm|frags|dnstcp N FILE\n");
		return 2;
	}
	n = strtoul(argv[2], &end, 10);
	if (*end || n == 0 || n > 100000000ul) {
		fprintf(stderr, "pdhostile: N must be 1..100000000\n");
		return 2;
	}
	out = strcmp(argv[3], "-") ? fopen(argv[3], "wb") : stdout;
	if (!out) {
		perror(argv[3]);
		return 1;
	}
	le32(hdr + 16, 65535);
	le32(hdr + 20, 1);
	if (fwrite(hdr, 1, sizeof(hdr), out) != sizeof(hdr)) {
		perror("pdhostile: write");
		return 1;
	}
	if (!strcmp(argv[1], "flows"))
		mode_flows(n);
	else if (!strcmp(argv[1], "names"))
		mode_names(n, 0);
	else if (!strcmp(argv[1], "candidates"))
		mode_names(n, 1);
	else if (!strcmp(argv[1], "answers"))
		mode_answers(n);
	else if (!strcmp(argv[1], "reasm"))
		mode_reasm(n);
	else if (!strcmp(argv[1], "frags"))
		mode_frags(n);
	else if (!strcmp(argv[1], "dnstcp"))
		mode_dnstcp(n);
	else {
		fprintf(stderr, "pdhostile: unknown mode %s\n", argv[1]);
		return 2;
	}
	if (fclose(out) != 0) {
		perror("pdhostile: close");
		return 1;
	}
	return 0;
}
