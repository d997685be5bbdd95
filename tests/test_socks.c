/*
 * test_socks.c - the client side of SOCKS4, SOCKS4a and SOCKS5 handshakes (socks.c): requests
 * by address and by name, RFC 1929 auth skipped, tunnelled bytes after the head, every prefix
 * of a handshake, and hostile bytes. Handshakes are written out byte by byte in each test
 * (field layout from the SOCKS4/4a documents and RFC 1928/1929; the hostile ones say what
 * they break).
 */
#include <string.h>

#include "socks.h"
#include "testutil.h"

/* SOCKS4 CONNECT 93.184.215.14:80, USERID "alice", then "GET" through the tunnel. */
static const uint8_t s4[] = { 4,   1,   0,   80,  93, 184, 215, 14, 'a',
	                      'l', 'i', 'c', 'e', 0,  'G', 'E', 'T' };
/* SOCKS4a CONNECT www.example.com:443, empty USERID. */
static const uint8_t s4a[] = { 4,   1,   0x01, 0xbb, 0,   0,    0,   1,   0,   'w',
	                       'w', 'w', '.',  'e',  'x', 'a',  'm', 'p', 'l', 'e',
	                       '.', 'c', 'o',  'm',  0,   0x16, 3,   1 };
/* SOCKS5: greeting (no auth), request DOMAINNAME "API.Example.test":8443, a TLS record. */
static const uint8_t s5name[] = { 5,   1,   0,   5,   1,    0,    3,    16,  'A', 'P',
	                          'I', '.', 'E', 'x', 'a',  'm',  'p',  'l', 'e', '.',
	                          't', 'e', 's', 't', 0x20, 0xfb, 0x16, 3,   1 };
/* SOCKS5 with username/password offered and used (RFC 1929), request IPv6 [2001:db8::5]:53. */
static const uint8_t s5auth[] = { 5,   2,   0, 2, 1, 3, 'b',  'o',  'b',  4,    's', 'e',
	                          'c', 'r', 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0,   0,
	                          0,   0,   0, 0, 0, 0, 0,    0,    0,    5,    0,   53 };

START_TEST(valid)
{
	struct pd_socks_req r;

	ck_assert_int_eq(pd_socks_parse(s4, sizeof(s4), &r), PD_OK);
	ck_assert_int_eq(r.version, PD_SOCKS4);
	ck_assert_str_eq(pd_socks_name(r.version), "socks4");
	ck_assert_uint_eq(r.command, 1);
	ck_assert_str_eq(r.host, "93.184.215.14");
	ck_assert_uint_eq(r.addr.family, 4);
	ck_assert_uint_eq(r.port, 80);
	ck_assert_uint_eq(r.head_len, 14);
	ck_assert(pd_socks_maybe(s4, sizeof(s4)));

	ck_assert_int_eq(pd_socks_parse(s4a, sizeof(s4a), &r), PD_OK);
	ck_assert_int_eq(r.version, PD_SOCKS4A);
	ck_assert_str_eq(pd_socks_name(r.version), "socks4a");
	ck_assert_str_eq(r.host, "www.example.com");
	ck_assert_uint_eq(r.addr.family, 0);
	ck_assert_uint_eq(r.port, 443);
	ck_assert_uint_eq(r.head_len, sizeof(s4a) - 3);
	ck_assert_uint_eq(s4a[r.head_len], 0x16);

	ck_assert_int_eq(pd_socks_parse(s5name, sizeof(s5name), &r), PD_OK);
	ck_assert_int_eq(r.version, PD_SOCKS5);
	ck_assert_str_eq(r.host, "api.example.test"); /* lower-cased like SNI and Host */
	ck_assert_uint_eq(r.port, 8443);
	ck_assert(!r.auth);
	ck_assert_uint_eq(r.head_len, sizeof(s5name) - 3);

	ck_assert_int_eq(pd_socks_parse(s5auth, sizeof(s5auth), &r), PD_OK);
	ck_assert(r.auth);
	ck_assert_str_eq(r.host, "2001:db8::5");
	ck_assert_uint_eq(r.addr.family, 6);
	ck_assert_uint_eq(r.port, 53);
	ck_assert_uint_eq(r.head_len, sizeof(s5auth));
	/* the password never reaches the result */
	ck_assert_ptr_null(memmem(&r, sizeof(r), "secr", 4));

	/* SOCKS5 request by IPv4 with BIND and a private method offered */
	{
		static const uint8_t b[] = { 5, 2, 0x80, 0, 5, 2, 0, 1, 10, 0, 0, 1, 0x1f, 0x90 };
		ck_assert_int_eq(pd_socks_parse(b, sizeof(b), &r), PD_OK);
		ck_assert_uint_eq(r.command, 2);
		ck_assert_str_eq(r.host, "10.0.0.1");
		ck_assert_uint_eq(r.port, 8080);
	}
}
END_TEST

/* Every proper prefix of each handshake's head asks for more, never succeeds or fails. */
START_TEST(truncated)
{
	const struct {
		const uint8_t *d;
		size_t head;
	} cases[] = { { s4, 14 },
		      { s4a, sizeof(s4a) - 3 },
		      { s5name, sizeof(s5name) - 3 },
		      { s5auth, sizeof(s5auth) } };
	struct pd_socks_req r;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (n = 0; n < cases[i].head; n++) {
			ck_assert_msg(pd_socks_parse(cases[i].d, n, &r) == PD_ERR_NEED_MORE,
			              "case %zu prefix %zu", i, n);
			ck_assert_str_eq(r.host, "");
			ck_assert(pd_socks_maybe(cases[i].d, n));
		}
}
END_TEST

START_TEST(hostile)
{
	struct pd_socks_req r;
	uint8_t big[2048];

	/* Not SOCKS: TLS, HTTP, a version 5 greeting with zero methods, 0xFF "no acceptable". */
	{
		static const uint8_t tls[] = { 0x16, 3, 1, 0, 5 }, http[] = "GET / HTTP/1.1\r\n";
		static const uint8_t zero[] = { 5, 0, 5, 1 }, ff[] = { 5, 1, 0xff };
		ck_assert_int_eq(pd_socks_parse(tls, sizeof(tls), &r), PD_ERR_UNSUPPORTED);
		ck_assert_int_eq(pd_socks_parse(http, sizeof(http) - 1, &r), PD_ERR_UNSUPPORTED);
		ck_assert_int_eq(pd_socks_parse(zero, sizeof(zero), &r), PD_ERR_UNSUPPORTED);
		ck_assert_int_eq(pd_socks_parse(ff, sizeof(ff), &r), PD_ERR_UNSUPPORTED);
		ck_assert(!pd_socks_maybe(tls, sizeof(tls)));
	}
	/* SOCKS4 command 9 (no such command). */
	{
		static const uint8_t b[] = { 4, 9, 0, 80, 1, 2, 3, 4, 0 };
		ck_assert_int_eq(pd_socks_parse(b, sizeof(b), &r), PD_ERR_UNSUPPORTED);
	}
	/* A GSSAPI method chosen: its sub-negotiation (byte 1 = GSSAPI version 1 is ambiguous, so
	 * use the message type 3 of RFC 1961) cannot be followed. */
	{
		static const uint8_t b[] = { 5, 1, 1, 3, 1, 0, 0 };
		ck_assert_int_eq(pd_socks_parse(b, sizeof(b), &r), PD_ERR_UNSUPPORTED);
	}
	/* SOCKS5 request: ATYP 7, command 0, a zero-length name. */
	{
		static const uint8_t a7[] = { 5, 1, 0, 5, 1, 0, 7, 1, 2, 3, 4, 0, 80 };
		static const uint8_t c0[] = { 5, 1, 0, 5, 0, 0, 1, 1, 2, 3, 4, 0, 80 };
		static const uint8_t n0[] = { 5, 1, 0, 5, 1, 0, 3, 0, 0, 80 };
		ck_assert_int_eq(pd_socks_parse(a7, sizeof(a7), &r), PD_ERR_MALFORMED);
		ck_assert_int_eq(pd_socks_parse(c0, sizeof(c0), &r), PD_ERR_MALFORMED);
		ck_assert_int_eq(pd_socks_parse(n0, sizeof(n0), &r), PD_ERR_MALFORMED);
	}
	/* SOCKS4 USERID that never ends: refused at its bound, not read past. */
	memset(big, 'u', sizeof(big));
	memcpy(big, (const uint8_t[]){ 4, 1, 0, 80, 1, 2, 3, 4 }, 8);
	ck_assert_int_eq(pd_socks_parse(big, sizeof(big), &r), PD_ERR_LIMIT);
	ck_assert_int_eq(pd_socks_parse(big, 100, &r), PD_ERR_NEED_MORE);
	/* SOCKS4a name that never ends. */
	memcpy(big, (const uint8_t[]){ 4, 1, 0, 80, 0, 0, 0, 9, 0 }, 9);
	ck_assert_int_eq(pd_socks_parse(big, sizeof(big), &r), PD_ERR_LIMIT);
	/* SOCKS5 name with control bytes, '\' and a NUL: escaped, one printable string. */
	{
		static const uint8_t b[] = { 5,   1,    0, 5,    1,    0,   3, 6,
			                     'a', '\n', 0, '\\', 0x1b, 'b', 0, 80 };
		ck_assert_int_eq(pd_socks_parse(b, sizeof(b), &r), PD_OK);
		ck_assert_str_eq(r.host, "a\\x0a\\x00\\x5c\\x1bb");
	}
	/* SOCKS5 greeting with 255 methods then RFC 1929 with 255-byte user and password:
	 * the largest head there is, read whole. */
	{
		size_t n = 0;
		big[n++] = 5;
		big[n++] = 255;
		memset(big + n, 2, 255);
		n += 255;
		big[n++] = 1;
		big[n++] = 255;
		memset(big + n, 'u', 255);
		n += 255;
		big[n++] = 255;
		memset(big + n, 'p', 255);
		n += 255;
		memcpy(big + n, (const uint8_t[]){ 5, 1, 0, 3, 1, 'h', 0, 1 }, 8);
		n += 8;
		ck_assert_int_eq(pd_socks_parse(big, n, &r), PD_OK);
		ck_assert_str_eq(r.host, "h");
		ck_assert_uint_eq(r.head_len, n);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("socks");
	TCase *tc = tcase_create("socks");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
