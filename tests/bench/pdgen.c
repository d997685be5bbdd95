/*
 * pdgen.c - deterministic generator of large, realistic captures for the benchmark.
 *
 * The traffic is what a container's egress looks like: each "session" is a DNS lookup
 * (UDP query and an answer with a CNAME and an A record), then a TCP connection to the answered
 * address (three-way handshake, a TLS ClientHello with SNI and ALPN, or an HTTP request with a
 * Host header, a server reply), then bulk data both ways (full-size segments, each acknowledged
 * by a pure ACK, as with delayed ACKs off), then FIN/ACK. Sessions are interleaved over a
 * sliding window of concurrently open connections so the flow table sees realistic churn.
 * The same seed and size always give the same bytes.
 *
 *   pdgen -o FILE [-s MB] [-F pcap|pcapng] [-w CONCURRENT] [-b SEGMENTS] [-6] [-u] [-S SEED]
 *         [-m bulk|busy|scan] [-e clean|rst]
 *
 * -S picks another deterministic stream (distinct captures for the -j benchmark, whose content
 * hashes must differ or all but one would be "already present").
 *
 * -u writes something else: a flood of distinct one-packet UDP flows (each datagram from its own
 * client address and port to its own server address), the worst case for the flow table's
 * memory: nothing in the capture ever repeats a flow key.
 *
 * -m busy writes a busy container host instead (issue 19's flow-heavy workload): many short
 * connections from 300 clients to 200,000 server addresses, a DNS lookup before about a third
 * of them; 65% TLS, 10% HTTP, 5% other TCP, 20% UDP request/response. Each TCP connection is a
 * handshake, one request, one response of 200-1400 bytes and a close: a FIN each way with
 * -e clean (default), or, with -e rst, the way many clients end them (TLS: a client RST;
 * HTTP and other TCP: a client FIN acknowledged by the server, which never sends its own).
 * -m scan writes one client sending one SYN to each of as many distinct addresses as fit
 * (10.128.0.0 upwards, ports cycling over 80, 443, 22, 8080), nothing answered.
 *
 * Output is Ethernet, IPv4 (IPv6 with -6 for one session in four), microsecond classic pcap or
 * pcapng with nanosecond timestamps. Checksums are left zero (nothing here verifies them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSS        1448
#define MAX_WINDOW 4096

struct session {
	int active;
	int v6;
	uint32_t id;
	uint8_t cli[16], srv[16];
	uint16_t cport, sport;
	uint32_t cseq, sseq;
	int https;
	int state; /* 0 dns, 1 handshake, 2 hello, 3 bulk, 4 close */
	uint32_t bulk_left;
	char name[64];
};

static FILE *out;
static int pcapng;
static uint64_t now_ns = 1764000000ull * 1000000000ull; /* 2025-11-24 */
static uint64_t bytes_written, packets_written;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint8_t frame[65536];

static uint64_t rnd(void)
{
	/* xorshift64*: fast and deterministic. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void write_or_die(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		fprintf(stderr, "pdgen: write failed: %s\n", strerror(errno));
		exit(1);
	}
	bytes_written += n;
}

static void file_header(void)
{
	uint8_t h[28 + 20];

	if (!pcapng) {
		le32(h, 0xa1b2c3d4);
		h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0;
		le32(h + 8, 0);
		le32(h + 12, 0);
		le32(h + 16, 65535);
		le32(h + 20, 1);
		write_or_die(h, 24);
		return;
	}
	/* SHB (28 bytes, no options) then IDB with if_tsresol = 9 (nanoseconds). */
	le32(h, 0x0a0d0d0a);
	le32(h + 4, 28);
	le32(h + 8, 0x1a2b3c4d);
	h[12] = 1, h[13] = 0, h[14] = 0, h[15] = 0;
	memset(h + 16, 0xff, 8);
	le32(h + 24, 28);
	write_or_die(h, 28);
	le32(h, 1);
	le32(h + 4, 32);
	h[8] = 1, h[9] = 0, h[10] = 0, h[11] = 0; /* linktype 1, reserved */
	le32(h + 12, 65535);
	h[16] = 9, h[17] = 0, h[18] = 1, h[19] = 0, h[20] = 9, h[21] = h[22] = h[23] = 0;
	le32(h + 24, 0); /* opt_endofopt */
	le32(h + 28, 32);
	write_or_die(h, 32);
}

static void emit(size_t len)
{
	uint8_t h[28];
	static const uint8_t pad[4];

	now_ns += 2000 + rnd() % 20000; /* 2-22 us between packets */
	if (!pcapng) {
		le32(h, (uint32_t)(now_ns / 1000000000u));
		le32(h + 4, (uint32_t)(now_ns % 1000000000u / 1000u));
		le32(h + 8, (uint32_t)len);
		le32(h + 12, (uint32_t)len);
		write_or_die(h, 16);
		write_or_die(frame, len);
	} else {
		size_t padded = (len + 3) & ~(size_t)3;
		uint32_t total = (uint32_t)(32 + padded);
		le32(h, 6);
		le32(h + 4, total);
		le32(h + 8, 0);
		le32(h + 12, (uint32_t)(now_ns >> 32));
		le32(h + 16, (uint32_t)now_ns);
		le32(h + 20, (uint32_t)len);
		le32(h + 24, (uint32_t)len);
		write_or_die(h, 28);
		write_or_die(frame, len);
		write_or_die(pad, padded - len);
		le32(h, total);
		write_or_die(h, 4);
	}
	packets_written++;
}

/* Builds Ethernet + IP + L4 headers in frame for payload len; returns the payload offset. */
static size_t headers(const struct session *s, int from_client, int proto, size_t plen)
{
	const uint8_t *src = from_client ? s->cli : s->srv, *dst = from_client ? s->srv : s->cli;
	size_t l4 = proto == 6 ? 20 : 8, off;

	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (!s->v6) {
		uint8_t *ip = frame + 14;
		put16(frame + 12, 0x0800);
		ip[0] = 0x45, ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + l4 + plen));
		put16(ip + 4, (uint16_t)rnd());
		put16(ip + 6, 0x4000);
		ip[8] = 64, ip[9] = (uint8_t)proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		off = 34;
	} else {
		uint8_t *ip = frame + 14;
		put16(frame + 12, 0x86dd);
		put32(ip, 0x60000000);
		put16(ip + 4, (uint16_t)(l4 + plen));
		ip[6] = (uint8_t)proto, ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		off = 54;
	}
	put16(frame + off, from_client ? s->cport : s->sport);
	put16(frame + off + 2, from_client ? s->sport : s->cport);
	if (proto == 17) {
		put16(frame + off + 4, (uint16_t)(8 + plen));
		put16(frame + off + 6, 0);
	}
	return off + l4;
}

static void tcp(struct session *s, int from_client, uint8_t flags, const uint8_t *data, size_t len)
{
	size_t off = headers(s, from_client, 6, len);
	uint8_t *t = frame + off - 20;

	put32(t + 4, from_client ? s->cseq : s->sseq);
	put32(t + 8, (flags & 0x10) ? (from_client ? s->sseq : s->cseq) : 0);
	t[12] = 5 << 4, t[13] = flags;
	put16(t + 14, 65535);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (data)
		memcpy(frame + off, data, len);
	else
		memset(frame + off, 0xa5, len);
	emit(off + len);
	if (from_client)
		s->cseq += (uint32_t)len + ((flags & 0x03) ? 1 : 0);
	else
		s->sseq += (uint32_t)len + ((flags & 0x03) ? 1 : 0);
}

static size_t dns_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static void dns_exchange(struct session *s)
{
	struct session d = *s;
	uint8_t msg[512];
	size_t n = 12, qlen, off;
	char target[96];
	uint16_t id = (uint16_t)rnd();

	/* The resolver: 10.255.0.53 / fd00:ff::53, from an ephemeral port to 53. */
	memset(d.srv, 0, 16);
	if (s->v6) {
		d.srv[0] = 0xfd, d.srv[3] = 0xff, d.srv[15] = 0x53;
	} else {
		d.srv[0] = 10, d.srv[1] = 255, d.srv[3] = 53;
	}
	d.cport = (uint16_t)(20000 + rnd() % 40000);
	d.sport = 53;
	memset(msg, 0, 12);
	put16(msg, id);
	put16(msg + 2, 0x0100);
	put16(msg + 4, 1);
	qlen = dns_name(msg + 12, s->name);
	n += qlen;
	put16(msg + n, s->v6 ? 28 : 1);
	put16(msg + n + 2, 1);
	n += 4;
	off = headers(&d, 1, 17, n);
	memcpy(frame + off, msg, n);
	emit(off + n);

	/* Answer: name CNAME target, target A/AAAA address. */
	put16(msg + 2, 0x8180);
	put16(msg + 6, 2);
	put16(msg + n, 0xc00c);
	put16(msg + n + 2, 5);
	put16(msg + n + 4, 1);
	put32(msg + n + 8, 300);
	snprintf(target, sizeof(target), "edge%u.cdn-bench.net", s->id % 97);
	qlen = dns_name(msg + n + 12, target);
	put16(msg + n + 10, (uint16_t)qlen);
	{
		size_t tpos = n + 12;
		n += 12 + qlen;
		put16(msg + n, (uint16_t)(0xc000 | tpos));
	}
	put16(msg + n + 2, s->v6 ? 28 : 1);
	put16(msg + n + 4, 1);
	put32(msg + n + 6, 60);
	put16(msg + n + 10, s->v6 ? 16 : 4);
	memcpy(msg + n + 12, s->srv, s->v6 ? 16 : 4);
	n += 12 + (s->v6 ? 16 : 4);
	off = headers(&d, 0, 17, n);
	memcpy(frame + off, msg, n);
	emit(off + n);
}

static size_t client_hello(uint8_t *p, const char *sni)
{
	size_t n = 0, ext, hs, sl = strlen(sni), i;

	p[n++] = 0x16, p[n++] = 3, p[n++] = 1;
	n += 2; /* record length */
	hs = n;
	p[n++] = 1;
	n += 3; /* handshake length */
	p[n++] = 3, p[n++] = 3;
	for (i = 0; i < 32; i++)
		p[n++] = (uint8_t)rnd();
	p[n++] = 32;
	for (i = 0; i < 32; i++)
		p[n++] = (uint8_t)rnd();
	put16(p + n, 6), n += 2;
	put16(p + n, 0x1301), put16(p + n + 2, 0x1302), put16(p + n + 4, 0xc02f), n += 6;
	p[n++] = 1, p[n++] = 0;
	ext = n;
	n += 2;
	/* server_name */
	put16(p + n, 0), put16(p + n + 2, (uint16_t)(sl + 5)), put16(p + n + 4, (uint16_t)(sl + 3));
	p[n + 6] = 0, put16(p + n + 7, (uint16_t)sl), memcpy(p + n + 9, sni, sl), n += 9 + sl;
	/* ALPN h2, http/1.1 */
	put16(p + n, 16), put16(p + n + 2, 14), put16(p + n + 4, 12), n += 6;
	p[n++] = 2, memcpy(p + n, "h2", 2), n += 2;
	p[n++] = 8, memcpy(p + n, "http/1.1", 8), n += 8;
	/* supported_versions: TLS 1.3, 1.2 */
	put16(p + n, 43), put16(p + n + 2, 5), p[n + 4] = 4;
	put16(p + n + 5, 0x0304), put16(p + n + 7, 0x0303), n += 9;
	put16(p + ext, (uint16_t)(n - ext - 2));
	p[hs + 1] = (uint8_t)((n - hs - 4) >> 16);
	put16(p + hs + 2, (uint16_t)(n - hs - 4));
	put16(p + 3, (uint16_t)(n - 5));
	return n;
}

static void start(struct session *s, uint32_t id, int v6)
{
	memset(s, 0, sizeof(*s));
	s->active = 1;
	s->id = id;
	s->v6 = v6;
	if (v6) {
		s->cli[0] = 0xfd, s->cli[15] = (uint8_t)(2 + id % 50);
		s->srv[0] = 0xfd, s->srv[1] = 0x01, s->srv[15] = (uint8_t)(1 + id % 200);
	} else {
		s->cli[0] = 10, s->cli[1] = 0, s->cli[2] = 0, s->cli[3] = (uint8_t)(2 + id % 50);
		s->srv[0] = 10, s->srv[1] = 1, s->srv[2] = 0, s->srv[3] = (uint8_t)(1 + id % 200);
	}
	s->cport = (uint16_t)(32768 + (id * 7919u) % 28000);
	s->https = (id % 4) != 0;
	s->sport = s->https ? 443 : 80;
	s->cseq = (uint32_t)rnd();
	s->sseq = (uint32_t)rnd();
	snprintf(s->name, sizeof(s->name), "svc%u.bench%u.example", id % 200, id % 13);
}

static uint32_t bulk_segments = 64;

/* Advances session s by one step (a few packets). */
static void step(struct session *s)
{
	uint8_t buf[2048];
	size_t n;

	switch (s->state) {
	case 0:
		dns_exchange(s);
		s->state = 1;
		break;
	case 1:
		tcp(s, 1, 0x02, NULL, 0);
		tcp(s, 0, 0x12, NULL, 0);
		tcp(s, 1, 0x10, NULL, 0);
		s->state = 2;
		break;
	case 2:
		if (s->https) {
			n = client_hello(buf, s->name);
		} else {
			n = (size_t)snprintf((char *)buf, sizeof(buf),
			                     "GET /api/v1/items HTTP/1.1\r\nHost: %s\r\n"
			                     "User-Agent: bench/1\r\nAccept: */*\r\n\r\n",
			                     s->name);
		}
		tcp(s, 1, 0x18, buf, n);
		tcp(s, 0, 0x10, NULL, 0);
		s->bulk_left = bulk_segments / 2 + (uint32_t)(rnd() % bulk_segments);
		s->state = 3;
		break;
	case 3:
		/* Mostly downloads, some uploads: data one way, a pure ACK back. */
		if (rnd() % 4) {
			tcp(s, 0, 0x10, NULL, MSS);
			tcp(s, 1, 0x10, NULL, 0);
		} else {
			tcp(s, 1, 0x10, NULL, MSS);
			tcp(s, 0, 0x10, NULL, 0);
		}
		if (--s->bulk_left == 0)
			s->state = 4;
		break;
	default:
		tcp(s, 1, 0x11, NULL, 0);
		tcp(s, 0, 0x11, NULL, 0);
		tcp(s, 1, 0x10, NULL, 0);
		s->active = 0;
	}
}

/* -u: one 64-byte UDP datagram per flow; flow n never shares its 5-tuple with another. */
static void udp_flood(uint64_t target)
{
	struct session s;
	uint32_t n;
	size_t off;

	memset(&s, 0, sizeof(s));
	for (n = 0; bytes_written < target; n++) {
		s.cli[0] = 10, s.cli[1] = 2, s.cli[2] = (uint8_t)(n >> 8), s.cli[3] = (uint8_t)n;
		s.srv[0] = 10, s.srv[1] = (uint8_t)(128 + (n >> 24)), s.srv[2] = (uint8_t)(n >> 16),
		s.srv[3] = (uint8_t)(n >> 8);
		s.cport = (uint16_t)(1024 + n % 60000);
		s.sport = (uint16_t)(4000 + n % 1000);
		off = headers(&s, 1, 17, 64);
		memset(frame + off, 0x5a, 64);
		emit(off + 64);
	}
	printf("%u flows\n", n);
}

/* -m busy: the flow-heavy host. Deterministic like the rest: the same seed gives the same bytes. */
#define BUSY_CLIENTS 300u
#define BUSY_SERVERS 200000u
static int end_rst;

static void busy_addr(uint8_t a[16], uint32_t server)
{
	memset(a, 0, 16);
	a[0] = 10, a[1] = (uint8_t)(64 + server / 65536), a[2] = (uint8_t)(server / 256),
	a[3] = (uint8_t)server;
}

static void busy_name(char *buf, size_t len, uint32_t server)
{
	snprintf(buf, len, "h%u.dom%u.example", server, server % 5000);
}

static void busy_start(struct session *s, uint32_t id)
{
	uint32_t client = (uint32_t)(rnd() % BUSY_CLIENTS),
	         server = (uint32_t)(rnd() % BUSY_SERVERS);
	uint32_t kind = (uint32_t)(rnd() % 100);

	memset(s, 0, sizeof(*s));
	s->active = 1;
	s->id = id;
	s->cli[0] = 10, s->cli[1] = 0, s->cli[2] = (uint8_t)(client / 250),
	s->cli[3] = (uint8_t)(1 + client % 250);
	busy_addr(s->srv, server);
	s->cport = (uint16_t)(32768 + rnd() % 28000);
	s->cseq = (uint32_t)rnd();
	s->sseq = (uint32_t)rnd();
	busy_name(s->name, sizeof(s->name), server);
	/* https: 1 TLS, 2 HTTP, 3 other TCP, 4 UDP */
	if (kind < 65)
		s->https = 1, s->sport = 443;
	else if (kind < 75)
		s->https = 2, s->sport = 80;
	else if (kind < 80)
		s->https = 3, s->sport = (uint16_t)(5000 + server % 100);
	else
		s->https = 4, s->sport = (uint16_t)(9000 + server % 50);
	/* about a third of the connections look their server up first */
	s->state = rnd() % 10 < 3 ? 0 : 1;
}

static void busy_step(struct session *s)
{
	uint8_t buf[2048];
	size_t n, off;

	switch (s->state) {
	case 0:
		dns_exchange(s);
		s->state = 1;
		break;
	case 1:
		if (s->https == 4) {
			off = headers(s, 1, 17, 80);
			memset(frame + off, 0x33, 80);
			emit(off + 80);
			n = 100 + rnd() % 400;
			off = headers(s, 0, 17, n);
			memset(frame + off, 0x44, n);
			emit(off + n);
			s->active = 0;
			break;
		}
		tcp(s, 1, 0x02, NULL, 0);
		tcp(s, 0, 0x12, NULL, 0);
		tcp(s, 1, 0x10, NULL, 0);
		s->state = 2;
		break;
	case 2:
		if (s->https == 1)
			n = client_hello(buf, s->name);
		else if (s->https == 2)
			n = (size_t)snprintf(
			        (char *)buf, sizeof(buf),
			        "GET /v1/x HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n", s->name);
		else
			memset(buf, 0x66, n = 120);
		tcp(s, 1, 0x18, buf, n);
		tcp(s, 0, 0x18, NULL, 200 + rnd() % 1200);
		s->state = 3;
		break;
	default:
		if (!end_rst) {
			tcp(s, 1, 0x11, NULL, 0);
			tcp(s, 0, 0x11, NULL, 0);
			tcp(s, 1, 0x10, NULL, 0);
		} else if (s->https == 1) {
			tcp(s, 1, 0x14, NULL, 0); /* RST+ACK from the client */
		} else {
			tcp(s, 1, 0x11, NULL, 0); /* client FIN, the server only acknowledges */
			tcp(s, 0, 0x10, NULL, 0);
		}
		s->active = 0;
	}
}

/* -m scan: one SYN to each distinct address. */
static void scan(uint64_t target)
{
	static const uint16_t ports[] = { 80, 443, 22, 8080 };
	struct session s;
	uint32_t n;

	memset(&s, 0, sizeof(s));
	s.cli[0] = 10, s.cli[3] = 2;
	s.cport = 40000;
	for (n = 0; bytes_written < target; n++) {
		s.srv[0] = 10, s.srv[1] = (uint8_t)(128 + (n >> 16)), s.srv[2] = (uint8_t)(n >> 8),
		s.srv[3] = (uint8_t)n;
		s.sport = ports[n % 4];
		s.cseq = (uint32_t)rnd();
		tcp(&s, 1, 0x02, NULL, 0);
	}
	printf("%u destinations\n", n);
}

int main(int argc, char **argv)
{
	static struct session win[MAX_WINDOW];
	const char *path = NULL;
	uint64_t target = 100ull << 20;
	unsigned window = 256, i;
	uint32_t next_id = 0;
	int c, v6 = 0, flood = 0, mode = 0; /* 0 bulk, 1 busy, 2 scan */

	while ((c = getopt(argc, argv, "o:s:F:w:b:6uS:m:e:")) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 's':
			target = strtoull(optarg, NULL, 10) << 20;
			break;
		case 'F':
			pcapng = !strcmp(optarg, "pcapng");
			break;
		case 'w':
			window = (unsigned)atoi(optarg);
			break;
		case 'b':
			bulk_segments = (uint32_t)atoi(optarg);
			break;
		case '6':
			v6 = 1;
			break;
		case 'u':
			flood = 1;
			break;
		case 'm':
			mode = !strcmp(optarg, "busy")   ? 1
			       : !strcmp(optarg, "scan") ? 2
			       : !strcmp(optarg, "bulk") ? 0
			                                 : -1;
			break;
		case 'e':
			end_rst = !strcmp(optarg, "rst");
			break;
		case 'S':
			/* any non-zero state works for xorshift; mix the seed in */
			rng_state ^= strtoull(optarg, NULL, 10) * 0xbf58476d1ce4e5b9ull;
			if (!rng_state)
				rng_state = 1;
			break;
		default:
			fprintf(stderr,
			        "usage: pdgen -o FILE [-s MB] [-F pcap|pcapng] [-w N] [-b N] "
			        "[-6] [-u] [-S SEED] [-m bulk|busy|scan] [-e clean|rst]\n");
			return 2;
		}
	}
	if (mode < 0)
		path = NULL;
	if (mode == 1 && window == 256)
		window = 4096; /* many connections open at once */
	if (!path || window == 0 || window > MAX_WINDOW || bulk_segments == 0) {
		fprintf(stderr, "usage: pdgen -o FILE [-s MB] [-F pcap|pcapng] [-w N] [-b N] [-6] "
		                "[-u] [-S SEED] [-m bulk|busy|scan] [-e clean|rst]\n");
		return 2;
	}
	out = fopen(path, "wb");
	if (!out) {
		fprintf(stderr, "pdgen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	file_header();
	if (flood)
		udp_flood(target);
	if (mode == 2)
		scan(target);
	while (mode == 1 && bytes_written < target) {
		i = (unsigned)(rnd() % window);
		if (!win[i].active)
			busy_start(&win[i], next_id++);
		busy_step(&win[i]);
	}
	while (mode == 0 && bytes_written < target) {
		i = (unsigned)(rnd() % window);
		if (!win[i].active) {
			start(&win[i], next_id, v6 && next_id % 4 == 3);
			next_id++;
		}
		step(&win[i]);
	}
	for (i = 0; i < window; i++)
		while (win[i].active)
			mode == 1 ? busy_step(&win[i]) : step(&win[i]);
	if (fclose(out)) {
		fprintf(stderr, "pdgen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("%s: %llu packets, %llu bytes, %u sessions\n", path,
	       (unsigned long long)packets_written, (unsigned long long)bytes_written, next_id);
	return 0;
}
