/*
 * test_http.c - the first HTTP/1.x request: Host forms (port, IPv6 literal, case, whitespace),
 * CONNECT authority, absolute-form targets, every prefix of a request, hostile heads.
 * Requests are written out in each test (RFC 9112 syntax; the hostile ones say what they break).
 */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "testutil.h"

static enum pd_err parse(const char *s, struct pd_http_req *r)
{
	return pd_http_parse_request(s, strlen(s), r);
}

START_TEST(valid)
{
	struct pd_http_req r;

	ck_assert_int_eq(
	        parse("GET / HTTP/1.1\r\nHost: www.Example.COM\r\nAccept: */*\r\n\r\n", &r), PD_OK);
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.host, "www.example.com");
	ck_assert_uint_eq(r.port, 0);
	ck_assert(!r.connect);
	ck_assert_str_eq(r.authority, "");

	/* Case-insensitive name, tabs and spaces around the value, a port, bare LF lines. */
	ck_assert_int_eq(
	        parse("POST /x HTTP/1.0\nUser-Agent: t\nhOsT:\t example.org:8080 \t\n\n", &r),
	        PD_OK);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.host, "example.org");
	ck_assert_uint_eq(r.port, 8080);

	/* IPv6 literal with and without port. */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: [FD00:3::1]:8443\r\n\r\n", &r), PD_OK);
	ck_assert_str_eq(r.host, "fd00:3::1");
	ck_assert_uint_eq(r.port, 8443);
	ck_assert_int_eq(parse("HEAD / HTTP/1.1\r\nHost: [::1]\r\n\r\n", &r), PD_OK);
	ck_assert_str_eq(r.host, "::1");

	/* CONNECT through a proxy: the authority names the destination. */
	ck_assert_int_eq(parse("CONNECT Secure.Example.net:443 HTTP/1.1\r\n"
	                       "Host: secure.example.net:443\r\n\r\n",
	                       &r),
	                 PD_OK);
	ck_assert(r.connect);
	ck_assert_str_eq(r.authority, "secure.example.net");
	ck_assert_str_eq(r.host, "secure.example.net");
	ck_assert_uint_eq(r.port, 443);
	ck_assert_int_eq(parse("CONNECT [2001:db8::2]:8443 HTTP/1.1\r\n\r\n", &r), PD_OK);
	ck_assert_str_eq(r.authority, "2001:db8::2");
	ck_assert_uint_eq(r.port, 8443);

	/* Absolute-form (to a forward proxy): the target's host wins over Host. */
	ck_assert_int_eq(parse("GET http://user@Origin.example:81/p?q HTTP/1.1\r\n"
	                       "Host: proxy.example\r\n\r\n",
	                       &r),
	                 PD_OK);
	ck_assert_str_eq(r.host, "origin.example");
	ck_assert_uint_eq(r.port, 81);

	/* No Host (HTTP/1.0): OK with an empty host. An empty line before the request. */
	ck_assert_int_eq(parse("\r\nGET / HTTP/1.0\r\n\r\n", &r), PD_OK);
	ck_assert_str_eq(r.host, "");
	/* Folded header lines are skipped; the first Host counts. */
	ck_assert_int_eq(
	        parse("GET / HTTP/1.1\r\nX: a\r\n  b\r\nHost: one\r\nHost: two\r\n\r\n", &r),
	        PD_OK);
	ck_assert_str_eq(r.host, "one");

	ck_assert(pd_http_maybe("GET", 3));
	ck_assert(pd_http_maybe("PROPFIND /", 10));
	ck_assert(!pd_http_maybe("\x16\x03\x01", 3));
	ck_assert(!pd_http_maybe("get / HTTP/1.1", 14));
}
END_TEST

START_TEST(truncated)
{
	static const char *reqs[] = {
		"GET /index.html HTTP/1.1\r\nHost: www.example.com:8080\r\nCookie: a=b\r\n\r\n",
		"CONNECT example.net:443 HTTP/1.1\r\nHost: example.net:443\r\n\r\n",
		"GET / HTTP/1.0\n\n",
	};
	struct pd_http_req r;
	size_t i, k;

	for (k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
		size_t n = strlen(reqs[k]);
		for (i = 0; i < n; i++)
			ck_assert_int_eq(pd_http_parse_request(reqs[k], i, &r), PD_ERR_NEED_MORE);
		ck_assert_int_eq(pd_http_parse_request(reqs[k], n, &r), PD_OK);
	}
	ck_assert_str_eq(r.method, "GET");
}
END_TEST

START_TEST(hostile)
{
	struct pd_http_req r;
	static char big[PD_HTTP_MAX_HEAD + 200];
	size_t n;

	/* Not HTTP: a TLS record, SSH banner, lower-case method, HTTP/2 preface, HTTP/0.9,
	   a method longer than the method field, control bytes in the target. */
	ck_assert_int_eq(pd_http_parse_request("\x16\x03\x01\x02\x00\x01", 6, &r),
	                 PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse("SSH-2.0-OpenSSH_9.2p1\r\n", &r), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse("get / HTTP/1.1\r\n\r\n", &r), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &r), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse("GET /\r\n", &r), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n", &r),
	                 PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse("GET /a\x01 HTTP/1.1\r\n", &r), PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse(" GET / HTTP/1.1\r\n", &r), PD_ERR_UNSUPPORTED);

	/* Broken Host values: a port over 65535, a non-digit port, an unclosed bracket,
	   junk after the bracket. */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n", &r), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", &r), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", &r), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", &r), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse("CONNECT :443 HTTP/1.1\r\n\r\n", &r), PD_ERR_MALFORMED);
	/* A header line without a colon, and whitespace before the colon (RFC 9112 5.1). */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost\r\n\r\n", &r), PD_ERR_MALFORMED);
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &r), PD_ERR_MALFORMED);
	/* Bytes outside printable ASCII in the host are escaped. */
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\x7f\xc3\xa9\\b\r\n\r\n", &r), PD_OK);
	ck_assert_str_eq(r.host, "a\\x7f\\xc3\\xa9\\x5cb");

	/* A head longer than PD_HTTP_MAX_HEAD: Host in the first line is still found; a head of
	   only a huge cookie is LIMIT. */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h.example\r\nCookie: ");
	memset(big + n, 'c', sizeof(big) - n);
	ck_assert_int_eq(pd_http_parse_request(big, sizeof(big), &r), PD_OK);
	ck_assert_str_eq(r.host, "h.example");
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nCookie: ");
	memset(big + n, 'c', sizeof(big) - n);
	ck_assert_int_eq(pd_http_parse_request(big, sizeof(big), &r), PD_ERR_LIMIT);
	/* A request target that never ends. */
	n = (size_t)snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', sizeof(big) - n);
	ck_assert_int_eq(pd_http_parse_request(big, sizeof(big), &r), PD_ERR_LIMIT);
	/* A 300-byte host is cut to the field, as a C string. */
	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: ");
	memset(big + n, 'h', 300);
	memcpy(big + n + 300, "\r\n\r\n", 4);
	ck_assert_int_eq(pd_http_parse_request(big, n + 304, &r), PD_OK);
	ck_assert_uint_eq(strlen(r.host), sizeof(r.host) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
