/*
 * test_tls.c - the TLS ClientHello parser: records split anywhere, a hello fragmented over
 * several records, SNI/ALPN/supported_versions/ECH, every prefix of a valid stream, and hostile
 * lengths.
 *
 * The reference ClientHello is the one carried in RFC 9001 appendix A.2 (SNI "example.com",
 * ALPN "alpn", TLS 1.3 offered). Other hellos are built by mk_hello() below from extension
 * bytes written out in each test.
 */
#include <stdio.h>
#include <string.h>

#include "tls.h"
#include "testutil.h"

/* RFC 9001 appendix A.2, the CRYPTO frame's data: a 241-byte ClientHello handshake message. */
static const char rfc9001_hello_hex[] =
        "010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
        "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
        "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
        "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
        "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
        "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
        "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
        "75300901100f088394c8f03e51570806048000ffff";

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < cap) {
		ck_assert_int_eq(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Wraps handshake bytes into records of at most frag bytes each; returns the stream length. */
static size_t mk_records(const uint8_t *hs, size_t n, size_t frag, uint8_t *out)
{
	size_t at = 0, off = 0;

	while (off < n) {
		size_t k = n - off < frag ? n - off : frag;
		out[at++] = 22;
		out[at++] = 3;
		out[at++] = 1;
		out[at++] = (uint8_t)(k >> 8);
		out[at++] = (uint8_t)k;
		memcpy(out + at, hs + off, k);
		at += k;
		off += k;
	}
	return at;
}

/*
 * A ClientHello handshake message around the given extensions block (without its length):
 * legacy_version 0x0303, zero random, empty session id, one cipher suite (0x1301), null
 * compression.
 */
static size_t mk_hello(const uint8_t *ext, size_t ext_len, uint8_t *out)
{
	size_t n = 0, body;

	out[n++] = 1;
	n += 3; /* length, below */
	out[n++] = 3;
	out[n++] = 3;
	memset(out + n, 0, 32);
	n += 32;
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = 2;
	out[n++] = 0x13;
	out[n++] = 0x01;
	out[n++] = 1;
	out[n++] = 0;
	out[n++] = (uint8_t)(ext_len >> 8);
	out[n++] = (uint8_t)ext_len;
	if (ext_len)
		memcpy(out + n, ext, ext_len);
	n += ext_len;
	body = n - 4;
	out[1] = (uint8_t)(body >> 16);
	out[2] = (uint8_t)(body >> 8);
	out[3] = (uint8_t)body;
	return n;
}

START_TEST(valid)
{
	uint8_t hs[512], st[2048];
	size_t n = unhex(rfc9001_hello_hex, hs, sizeof(hs)), sl, frag;
	struct pd_hello h;

	ck_assert_uint_eq(n, 241);
	ck_assert_int_eq(pd_tls_parse_handshake(hs, n, &h), PD_OK);
	ck_assert_str_eq(h.sni, "example.com");
	ck_assert_str_eq(h.alpn, "alpn");
	ck_assert(h.tls13);
	ck_assert(!h.ech);
	ck_assert_uint_eq(h.legacy_version, 0x0303);

	/* One record, then the hello fragmented over records of every size from 1 byte up. */
	for (frag = 1; frag <= n; frag++) {
		sl = mk_records(hs, n, frag, st);
		ck_assert(pd_tls_maybe(st, sl));
		ck_assert_int_eq(pd_tls_parse_stream(st, sl, &h), PD_OK);
		ck_assert_str_eq(h.sni, "example.com");
		ck_assert_str_eq(h.alpn, "alpn");
	}
	/* Bytes after the hello (a second flight, application data) do not matter. */
	sl = mk_records(hs, n, n, st);
	memcpy(st + sl, "\x17\x03\x03\x00\x01\x00", 6);
	ck_assert_int_eq(pd_tls_parse_stream(st, sl + 6, &h), PD_OK);
}
END_TEST

START_TEST(extensions)
{
	/* ECH (0xfe0d) with an outer SNI, GREASE extension 0x0a0a, two ALPN names, an SNI with
	   upper case and a byte outside printable ASCII, supported_versions without 1.3. */
	static const uint8_t ext[] = {
		0x0a, 0x0a, 0x00, 0x00,                         /* GREASE, empty */
		0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, /* server_name, list 12, host 9 */
		0x09, 'P',  'u',  'b',  0x01, '.',  'E',  'x',  '\\', 'z',
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h',  '2', /* ALPN "h2","http/1.1" */
		0x08, 'h',  't',  't',  'p',  '/',  '1',  '.',  '1',  0x00,
		0x2b, 0x00, 0x03, 0x02, 0x03, 0x03,             /* supported_versions: 1.2 */
		0xfe, 0x0d, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00, /* ECH, opaque */
	};
	uint8_t hs[256], st[512];
	size_t n = mk_hello(ext, sizeof(ext), hs), sl = mk_records(hs, n, 7, st);
	struct pd_hello h;

	ck_assert_int_eq(pd_tls_parse_stream(st, sl, &h), PD_OK);
	ck_assert_str_eq(h.sni, "pub\\x01.ex\\x5cz");
	ck_assert_str_eq(h.alpn, "h2,http/1.1");
	ck_assert(h.ech);
	ck_assert(!h.tls13);

	/* No extensions at all (an SSL 3.0-style hello). */
	n = mk_hello(NULL, 0, hs) - 2;
	hs[3] = (uint8_t)(hs[3] - 2);
	ck_assert_int_eq(pd_tls_parse_handshake(hs, n, &h), PD_OK);
	ck_assert_str_eq(h.sni, "");
	ck_assert_str_eq(h.alpn, "");
}
END_TEST

START_TEST(long_names)
{
	/* A 300-byte host_name: sni is cut at a whole character and stays a C string. */
	uint8_t ext[400], hs[600];
	size_t i, n = 0;
	struct pd_hello h;

	ext[n++] = 0, ext[n++] = 0, ext[n++] = 0x01, ext[n++] = 0x31; /* server_name, 305 */
	ext[n++] = 0x01, ext[n++] = 0x2f, ext[n++] = 0, ext[n++] = 0x01, ext[n++] = 0x2c;
	for (i = 0; i < 300; i++)
		ext[n++] = i % 7 ? 'a' : 0xff;
	n = mk_hello(ext, n, hs);
	ck_assert_int_eq(pd_tls_parse_handshake(hs, n, &h), PD_OK);
	ck_assert_uint_lt(strlen(h.sni), sizeof(h.sni));
	ck_assert_uint_gt(strlen(h.sni), 240);
	ck_assert_uint_ge(strlen(strrchr(h.sni, '\\')), 4); /* the last escape is whole */
}
END_TEST

START_TEST(truncated)
{
	uint8_t hs[512], st[2048];
	size_t n = unhex(rfc9001_hello_hex, hs, sizeof(hs)), sl, i, frag;
	struct pd_hello h;

	/* Every prefix of a handshake message, and of record streams with several splits. */
	for (i = 0; i < n; i++)
		ck_assert_int_eq(pd_tls_parse_handshake(hs, i, &h), PD_ERR_NEED_MORE);
	for (frag = 1; frag <= n; frag += 37) {
		sl = mk_records(hs, n, frag, st);
		for (i = 0; i < sl; i++) {
			ck_assert_int_eq(pd_tls_parse_stream(st, i, &h), PD_ERR_NEED_MORE);
			ck_assert(i == 0 || pd_tls_maybe(st, i));
		}
		ck_assert_int_eq(pd_tls_parse_stream(st, sl, &h), PD_OK);
	}
}
END_TEST

/* Expects err from a hello built around ext, both bare and as a record stream. */
static void expect_ext(const uint8_t *ext, size_t ext_len, enum pd_err err)
{
	uint8_t hs[2048], st[2400];
	size_t n = mk_hello(ext, ext_len, hs), sl = mk_records(hs, n, 100, st);
	struct pd_hello h;

	ck_assert_int_eq(pd_tls_parse_handshake(hs, n, &h), err);
	ck_assert_int_eq(pd_tls_parse_stream(st, sl, &h), err);
}

START_TEST(hostile)
{
	struct pd_hello h;
	uint8_t hs[2048], st[4096], ext[1200];
	size_t n, sl, i;

	/* Hand-made extension blocks, each breaking one length (the shapes fuzzers and broken
	   middleboxes produce). An extension longer than the block: */
	expect_ext((const uint8_t[]){ 0x00, 0x00, 0xff, 0xff, 0x00 }, 5, PD_ERR_MALFORMED);
	/* server_name list longer than the extension: */
	expect_ext((const uint8_t[]){ 0x00, 0x00, 0x00, 0x05, 0x00, 0x09, 0x00, 0x00, 0x01 }, 9,
	           PD_ERR_MALFORMED);
	/* server_name entry whose name runs past the list: */
	expect_ext((const uint8_t[]){ 0x00, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0xff, 0xff, 'a' },
	           10, PD_ERR_MALFORMED);
	/* server_name list shorter than the extension (trailing bytes): */
	expect_ext((const uint8_t[]){ 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00 }, 7,
	           PD_ERR_MALFORMED);
	/* ALPN with an empty protocol name, and with a name past the list: */
	expect_ext((const uint8_t[]){ 0x00, 0x10, 0x00, 0x03, 0x00, 0x01, 0x00 }, 7,
	           PD_ERR_MALFORMED);
	expect_ext((const uint8_t[]){ 0x00, 0x10, 0x00, 0x04, 0x00, 0x02, 0x05, 'h' }, 8,
	           PD_ERR_MALFORMED);
	/* supported_versions with an odd length: */
	expect_ext((const uint8_t[]){ 0x00, 0x2b, 0x00, 0x02, 0x01, 0x03 }, 6, PD_ERR_MALFORMED);
	/* A non-host_name SNI entry type (0x01) is skipped; a zero-length list is fine. */
	expect_ext((const uint8_t[]){ 0x00, 0x00, 0x00, 0x05, 0x00, 0x03, 0x01, 0x00, 0x00 }, 9,
	           PD_OK);
	/* 300 empty extensions: over PD_TLS_MAX_EXTENSIONS. */
	for (i = 0; i < 300; i++)
		memcpy(ext + 4 * i, "\x0a\x0a\x00\x00", 4);
	expect_ext(ext, 1200, PD_ERR_MALFORMED);

	/* Header fields: a cipher suite length of 0xffff, session id of 33 bytes. */
	n = mk_hello(NULL, 0, hs);
	hs[39] = 0xff, hs[40] = 0xff;
	ck_assert_int_eq(pd_tls_parse_handshake(hs, n, &h), PD_ERR_MALFORMED);
	n = mk_hello(NULL, 0, hs);
	hs[38] = 33;
	ck_assert_int_eq(pd_tls_parse_handshake(hs, n, &h), PD_ERR_MALFORMED);
	/* Handshake length 0xffffff: more than PD_TLS_MAX_HELLO, decided from 4 bytes. */
	ck_assert_int_eq(pd_tls_parse_handshake((const uint8_t *)"\x01\xff\xff\xff", 4, &h),
	                 PD_ERR_LIMIT);
	ck_assert_int_eq(
	        pd_tls_parse_stream((const uint8_t *)"\x16\x03\x01\x00\x04\x01\xff\xff\xff", 9, &h),
	        PD_ERR_LIMIT);
	/* A handshake length too small for a hello. */
	ck_assert_int_eq(pd_tls_parse_handshake((const uint8_t *)"\x01\x00\x00\x01\x03", 5, &h),
	                 PD_ERR_MALFORMED);

	/* Not TLS, decided from the first bytes: HTTP, SSH, a server's ServerHello, an
	   application-data record, record version 0x0305, a zero-length record. */
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &h),
	                 PD_ERR_UNSUPPORTED);
	ck_assert(!pd_tls_maybe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"SSH-2.0-x\r\n", 11, &h),
	                 PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"\x16\x03\x03\x00\x30\x02", 6, &h),
	                 PD_ERR_UNSUPPORTED);
	ck_assert(!pd_tls_maybe((const uint8_t *)"\x16\x03\x03\x00\x30\x02", 6));
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"\x17\x03\x03\x00\x30", 5, &h),
	                 PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"\x16\x03\x05", 3, &h),
	                 PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"\x16\x03\x01\x00\x00", 5, &h),
	                 PD_ERR_UNSUPPORTED);
	ck_assert_int_eq(pd_tls_parse_stream((const uint8_t *)"\x16\x03\x01\xff\xff", 5, &h),
	                 PD_ERR_UNSUPPORTED);

	/* An alert record between two fragments of the hello: a damaged TLS stream. */
	n = unhex(rfc9001_hello_hex, hs, sizeof(hs));
	sl = mk_records(hs, 100, 100, st);
	memcpy(st + sl, "\x15\x03\x03\x00\x02\x02\x28", 7);
	sl += 7;
	sl += mk_records(hs + 100, n - 100, 200, st + sl);
	ck_assert_int_eq(pd_tls_parse_stream(st, sl, &h), PD_ERR_MALFORMED);

	/* A hello announced just under PD_TLS_MAX_HELLO, arriving in many 16-byte records:
	   incomplete, not an error. */
	memset(hs, 0, sizeof(hs));
	hs[0] = 1, hs[1] = 0, hs[2] = 0x3f, hs[3] = 0xf0;
	for (sl = 0; sl + 5 + 16 <= sizeof(st);)
		sl += mk_records(hs, 16, 16, st + sl);
	ck_assert_int_eq(pd_tls_parse_stream(st, sl, &h), PD_ERR_NEED_MORE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, extensions);
	tcase_add_test(tc, long_names);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
