/*
 * testutil.c - see testutil.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

uint8_t *pd_test_read_file(const char *path, size_t *len)
{
	char full[4096];
	uint8_t *buf;
	FILE *f;
	long n;

	if (path[0] == '/')
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", PD_SOURCE_DIR, path);
	f = fopen(full, "rb");
	if (!f) {
		perror(full);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

char *pd_test_write_temp(const void *buf, size_t len, const char *suffix)
{
	char *path = malloc(256);
	int fd;

	snprintf(path, 256, "/tmp/pdtest-XXXXXX%s", suffix ? suffix : "");
	fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	return path;
}

int pd_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Big-endian stores for the message builders below. */
static void tu_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void tu_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* DNS name in wire form (no compression). */
size_t pd_test_dname(uint8_t *p, const char *name)
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

/* A DNS response to qname/qtype: CNAME www.example.com -> cdn.example.net given after the A
 * record of cdn.example.net (order must not matter), TTL 300. */
size_t pd_test_dns_response(uint8_t *m, uint16_t id, const char *qname)
{
	size_t n = 12, k;

	tu_put16(m, id);
	tu_put16(m + 2, 0x8180); /* QR, RD, RA, NOERROR */
	tu_put16(m + 4, 1);
	tu_put16(m + 6, 2);
	tu_put16(m + 8, 0);
	tu_put16(m + 10, 0);
	n += pd_test_dname(m + n, qname);
	tu_put16(m + n, 1); /* A */
	tu_put16(m + n + 2, 1);
	n += 4;
	/* A cdn.example.net 93.184.216.34 */
	n += pd_test_dname(m + n, "cdn.example.net");
	tu_put16(m + n, 1);
	tu_put16(m + n + 2, 1);
	tu_put32(m + n + 4, 300);
	tu_put16(m + n + 8, 4);
	memcpy(m + n + 10, "\x5d\xb8\xd8\x22", 4);
	n += 14;
	/* CNAME qname -> cdn.example.net */
	n += pd_test_dname(m + n, qname);
	tu_put16(m + n, 5);
	tu_put16(m + n + 2, 1);
	tu_put32(m + n + 4, 300);
	k = pd_test_dname(m + n + 10, "cdn.example.net");
	tu_put16(m + n + 8, (unsigned)k);
	n += 10 + k;
	return n;
}

/* A TLS 1.2-style ClientHello record with SNI and ALPN "h2" (RFC 8446 4.1.2, RFC 6066 3,
 * RFC 7301 3.1). */
size_t pd_test_client_hello_ech(uint8_t *r, const char *sni, int ech)
{
	uint8_t *h = r + 5, *b = h + 4, *e;
	size_t n = 0, sl = strlen(sni), ext, body;

	r[0] = 0x16;
	tu_put16(r + 1, 0x0301);
	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x11, 32);
	n += 32;
	b[n++] = 0;         /* session id */
	tu_put16(b + n, 2); /* cipher suites */
	tu_put16(b + n + 2, 0x1301);
	n += 4;
	b[n++] = 1; /* compression methods */
	b[n++] = 0;
	e = b + n + 2;
	ext = 0;
	tu_put16(e + ext, 0); /* server_name */
	tu_put16(e + ext + 2, (unsigned)(sl + 5));
	tu_put16(e + ext + 4, (unsigned)(sl + 3));
	e[ext + 6] = 0;
	tu_put16(e + ext + 7, (unsigned)sl);
	memcpy(e + ext + 9, sni, sl);
	ext += 9 + sl;
	tu_put16(e + ext, 16); /* ALPN */
	tu_put16(e + ext + 2, 5);
	tu_put16(e + ext + 4, 3);
	e[ext + 6] = 2;
	memcpy(e + ext + 7, "h2", 2);
	ext += 9;
	if (ech) {
		/* encrypted_client_hello (0xfe0d), outer: type 0, kdf/aead, config id, enc, payload
		 */
		static const uint8_t e_body[] = { 0,    0,    1, 0, 1, 7, 0, 2,
			                          0xaa, 0xbb, 0, 4, 1, 2, 3, 4 };
		tu_put16(e + ext, 0xfe0d);
		tu_put16(e + ext + 2, sizeof(e_body));
		memcpy(e + ext + 4, e_body, sizeof(e_body));
		ext += 4 + sizeof(e_body);
	}
	tu_put16(b + n, (unsigned)ext);
	n += 2 + ext;
	body = n;
	h[0] = 1;
	h[1] = (uint8_t)(body >> 16);
	tu_put16(h + 2, (unsigned)(body & 0xffff));
	tu_put16(r + 3, (unsigned)(body + 4));
	return 5 + 4 + body;
}

size_t pd_test_client_hello(uint8_t *r, const char *sni)
{
	return pd_test_client_hello_ech(r, sni, 0);
}

/* ---- checking rows ---------------------------------------------------------------------- */
