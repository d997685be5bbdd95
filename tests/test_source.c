/*
 * test_source.c - source.c: captures read once as a stream, decompressed by magic (gzip RFC
 * 1952, zstd RFC 8878, LZ4 frame, xz) and hashed as given. valid: each compression of a real
 * capture reads back byte for byte, the hash is the SHA-256 of the compressed bytes, concatenated
 * members/frames read as one; truncated: a cut compressed stream gives every byte before the cut
 * and then PD_ERR_TRUNCATED; hostile: corrupt data is PD_ERR_MALFORMED naming the offset (or,
 * where the format carries no checksum, bytes that differ), never a crash.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "source.h"
#include "testutil.h"

static uint8_t *plain;
static size_t plain_len;

static void setup(void)
{
	plain = pd_test_read_file("testdata/sample.pcapng", &plain_len);
	ck_assert_ptr_nonnull(plain);
}

static void teardown(void)
{
	free(plain);
}

/* Compresses plain with comp into a malloc'd buffer. */
static uint8_t *compress_as(enum pd_compress comp, size_t *out_len)
{
	size_t cap = plain_len + plain_len / 2 + 1024;
	uint8_t *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	switch (comp) {
	case PD_COMP_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof(z));
		ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
		                 Z_OK);
		z.next_in = plain;
		z.avail_in = (uInt)plain_len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		*out_len = cap - z.avail_out;
		deflateEnd(&z);
		break;
	}
	case PD_COMP_ZSTD:
		*out_len = ZSTD_compress(out, cap, plain, plain_len, 3);
		ck_assert(!ZSTD_isError(*out_len));
		break;
	case PD_COMP_LZ4:
		*out_len = LZ4F_compressFrame(out, cap, plain, plain_len, NULL);
		ck_assert(!LZ4F_isError(*out_len));
		break;
	case PD_COMP_XZ: {
		size_t pos = 0;
		ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, plain,
		                                         plain_len, out, &pos, cap),
		                 LZMA_OK);
		*out_len = pos;
		break;
	}
	default:
		memcpy(out, plain, plain_len);
		*out_len = plain_len;
	}
	return out;
}

/* Reads buf[0..len) through a source (as a file, in 1000-byte reads); returns the bytes and
 * the final status in *e. */
static uint8_t *read_all(const uint8_t *buf, size_t len, size_t *got, enum pd_err *e, char hex[65],
                         char errbuf[PD_ERRBUF_SIZE])
{
	char *path = pd_test_write_temp(buf, len, ".cap");
	int fd = open(path, O_RDONLY);
	struct pd_source *s = NULL;
	uint8_t *out = malloc(plain_len * 2 + 4096);
	uint8_t m[8];
	ssize_t n;
	uint64_t size = 0;

	ck_assert_int_ge(fd, 0);
	n = read(fd, m, sizeof(m));
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(
	        pd_source_new(fd, m, (size_t)n, pd_compress_sniff(m, (size_t)n), path, &s, errbuf),
	        PD_OK);
	*got = 0;
	*e = PD_OK;
	for (;;) {
		n = pd_source_read(s, out + *got, 1000, e, errbuf);
		if (n <= 0)
			break;
		*got += (size_t)n;
		ck_assert_uint_le(*got, plain_len * 2);
	}
	if (n == 0)
		*e = PD_OK;
	ck_assert_int_eq(pd_source_hash(s, hex, &size, errbuf), PD_OK);
	ck_assert_uint_eq(size, len);
	pd_source_free(s);
	unlink(path);
	free(path);
	return out;
}

static void sha256_hex(const uint8_t *b, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned i, l = 0;

	EVP_Digest(b, n, md, &l, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

START_TEST(valid)
{
	static const enum pd_compress kinds[] = { PD_COMP_NONE, PD_COMP_GZIP, PD_COMP_ZSTD,
		                                  PD_COMP_LZ4, PD_COMP_XZ };
	char errbuf[PD_ERRBUF_SIZE], hex[65], want[65];
	size_t clen, got;
	enum pd_err e;
	unsigned k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint8_t *c = compress_as(kinds[k], &clen), *two, *out;
		ck_assert_int_eq(pd_compress_sniff(c, clen), kinds[k]);
		out = read_all(c, clen, &got, &e, hex, errbuf);
		ck_assert_msg(e == PD_OK, "%s: %s", pd_compress_name(kinds[k]), errbuf);
		ck_assert_uint_eq(got, plain_len);
		ck_assert(!memcmp(out, plain, plain_len));
		sha256_hex(c, clen, want);
		ck_assert_str_eq(hex, want); /* the bytes as given */
		free(out);
		/* two members/frames/streams back to back read as one (gzip -d, zstd -d ...) */
		two = malloc(2 * clen);
		memcpy(two, c, clen);
		memcpy(two + clen, c, clen);
		out = read_all(two, 2 * clen, &got, &e, hex, errbuf);
		ck_assert_msg(e == PD_OK, "%s twice: %s", pd_compress_name(kinds[k]), errbuf);
		ck_assert_uint_eq(got, 2 * plain_len);
		ck_assert(!memcmp(out + plain_len, plain, plain_len));
		free(out);
		free(two);
		free(c);
	}
}
END_TEST

START_TEST(truncated)
{
	static const enum pd_compress kinds[] = { PD_COMP_GZIP, PD_COMP_ZSTD, PD_COMP_LZ4,
		                                  PD_COMP_XZ };
	char errbuf[PD_ERRBUF_SIZE], hex[65];
	size_t clen, got;
	enum pd_err e;
	unsigned k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint8_t *c = compress_as(kinds[k], &clen), *out;
		out = read_all(c, clen - clen / 3, &got, &e, hex, errbuf);
		ck_assert_msg(e == PD_ERR_TRUNCATED, "%s: %d %s", pd_compress_name(kinds[k]), e,
		              errbuf);
		ck_assert_msg(strstr(errbuf, "cut after"), "%s", errbuf);
		ck_assert_uint_lt(got, plain_len);
		ck_assert(!memcmp(out, plain, got)); /* what came before the cut is right */
		free(out);
		free(c);
	}
}
END_TEST

START_TEST(hostile)
{
	static const enum pd_compress kinds[] = { PD_COMP_GZIP, PD_COMP_ZSTD, PD_COMP_LZ4,
		                                  PD_COMP_XZ };
	char errbuf[PD_ERRBUF_SIZE], hex[65];
	size_t clen, got, i;
	enum pd_err e;
	unsigned k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint8_t *c = compress_as(kinds[k], &clen), *out;
		for (i = clen / 4; i < clen / 4 + 64 && i < clen; i++)
			c[i] ^= 0x5a; /* garbage in the middle */
		out = read_all(c, clen, &got, &e, hex, errbuf);
		/* an error, or (formats without a content checksum by default: zstd, lz4)
		 * bytes that are visibly not the capture; never a crash or an overrun */
		ck_assert_msg(
		        e == PD_ERR_MALFORMED || e == PD_ERR_TRUNCATED ||
		                (e == PD_OK && (got != plain_len || memcmp(out, plain, plain_len))),
		        "%s: %d %s", pd_compress_name(kinds[k]), e, errbuf);
		if (e == PD_ERR_MALFORMED)
			ck_assert_msg(strstr(errbuf, "near compressed offset"), "%s", errbuf);
		ck_assert_uint_le(got, plain_len * 2);
		free(out);
		free(c);
	}
	/* magic only, nothing after it */
	{
		static const uint8_t gz[] = { 0x1f, 0x8b };
		uint8_t *out = read_all(gz, sizeof(gz), &got, &e, hex, errbuf);
		ck_assert_int_eq(e, PD_ERR_TRUNCATED);
		ck_assert_uint_eq(got, 0);
		free(out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("source");
	TCase *v = tcase_create("valid"), *t = tcase_create("truncated"),
	      *h = tcase_create("hostile");
	SRunner *sr;
	int nf;

	/* xz level 6 of a capture takes seconds under ASan on a loaded machine */
	tcase_set_timeout(v, 120);
	tcase_set_timeout(t, 120);
	tcase_set_timeout(h, 120);
	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(v, valid);
	tcase_add_test(t, truncated);
	tcase_add_test(h, hostile);
	suite_add_tcase(s, v);
	suite_add_tcase(s, t);
	suite_add_tcase(s, h);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
