/*
 * test_cur.c - the byte cursor: reads, sticky errors, sub-cursors, varints.
 */
#include "cur.h"
#include "testutil.h"

START_TEST(valid)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
				     0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11 };
	struct pd_cur c = pd_cur_make(b, sizeof(b)), s;

	ck_assert_uint_eq(pd_cur_u8(&c), 0x01);
	ck_assert_uint_eq(pd_cur_be16(&c), 0x0203);
	ck_assert_uint_eq(pd_cur_be24(&c), 0x040506);
	ck_assert_uint_eq(pd_cur_le16(&c), 0x0807);
	ck_assert_uint_eq(pd_cur_be32(&c), 0x090a0b0c);
	ck_assert_uint_eq(pd_cur_le32(&c), 0x100f0e0d);
	ck_assert_uint_eq(pd_cur_left(&c), 1);
	ck_assert_uint_eq(pd_cur_offset(&c), 16);
	ck_assert_int_eq(c.err, PD_OK);

	c = pd_cur_make(b, sizeof(b));
	ck_assert_uint_eq(pd_cur_be64(&c), 0x0102030405060708ull);
	ck_assert_uint_eq(pd_cur_le64(&c), 0x100f0e0d0c0b0a09ull);
	s = pd_cur_sub(&c, 1);
	ck_assert_uint_eq(pd_cur_u8(&s), 0x11);
	ck_assert_uint_eq(pd_cur_left(&c), 0);
	ck_assert_int_eq(s.err, PD_OK);
	ck_assert_int_eq(c.err, PD_OK);
}
END_TEST

START_TEST(varint)
{
	/* RFC 9000 section A.1 examples. */
	static const uint8_t v8[] = { 0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c };
	static const uint8_t v4[] = { 0x9d, 0x7f, 0x3e, 0x7d };
	static const uint8_t v2[] = { 0x7b, 0xbd };
	static const uint8_t v1[] = { 0x25 };
	struct pd_cur c;

	c = pd_cur_make(v8, sizeof(v8));
	ck_assert_uint_eq(pd_cur_varint(&c), 151288809941952652ull);
	c = pd_cur_make(v4, sizeof(v4));
	ck_assert_uint_eq(pd_cur_varint(&c), 494878333);
	c = pd_cur_make(v2, sizeof(v2));
	ck_assert_uint_eq(pd_cur_varint(&c), 15293);
	c = pd_cur_make(v1, sizeof(v1));
	ck_assert_uint_eq(pd_cur_varint(&c), 37);
	ck_assert_int_eq(c.err, PD_OK);
}
END_TEST

START_TEST(truncated)
{
	static const uint8_t b[] = { 0xaa, 0xbb, 0xcc };
	struct pd_cur c = pd_cur_make(b, sizeof(b)), s;

	ck_assert_uint_eq(pd_cur_be16(&c), 0xaabb);
	ck_assert_uint_eq(pd_cur_be16(&c), 0); /* one byte left: fails, consumes nothing */
	ck_assert_int_eq(c.err, PD_ERR_TRUNCATED);
	ck_assert_uint_eq(pd_cur_u8(&c), 0); /* sticky even though a byte remains */
	ck_assert_uint_eq(pd_cur_left(&c), 0);
	ck_assert_ptr_null(pd_cur_bytes(&c, 1));

	c = pd_cur_make(b, sizeof(b));
	s = pd_cur_sub(&c, 4);
	ck_assert_int_eq(c.err, PD_ERR_TRUNCATED);
	ck_assert_int_eq(s.err, PD_ERR_TRUNCATED);
	ck_assert_uint_eq(pd_cur_u8(&s), 0);

	/* A 4-byte varint with only 3 bytes present. */
	c = pd_cur_make((const uint8_t[]){ 0x9d, 0x7f, 0x3e }, 3);
	ck_assert_uint_eq(pd_cur_varint(&c), 0);
	ck_assert_int_eq(c.err, PD_ERR_TRUNCATED);

	c = pd_cur_make(NULL, 0);
	ck_assert_uint_eq(pd_cur_be32(&c), 0);
	ck_assert_int_eq(c.err, PD_ERR_TRUNCATED);
}
END_TEST

START_TEST(hostile)
{
	/* Lengths near SIZE_MAX must not wrap the bounds check (hand-made: a length field of
	 * 0xffffffff as a hostile TLS/pcapng record would carry). */
	static const uint8_t b[] = { 0xff, 0xff, 0xff, 0xff, 0x00 };
	struct pd_cur c = pd_cur_make(b, sizeof(b)), s;
	uint32_t n = pd_cur_be32(&c);

	s = pd_cur_sub(&c, n);
	ck_assert_int_eq(c.err, PD_ERR_TRUNCATED);
	ck_assert_uint_eq(pd_cur_left(&s), 0);
	c = pd_cur_make(b, sizeof(b));
	pd_cur_skip(&c, SIZE_MAX);
	ck_assert_int_eq(c.err, PD_ERR_TRUNCATED);
	c = pd_cur_make(b, sizeof(b));
	pd_cur_fail(&c, PD_ERR_MALFORMED);
	pd_cur_fail(&c, PD_ERR_LIMIT); /* the first error wins */
	ck_assert_int_eq(c.err, PD_ERR_MALFORMED);
	ck_assert_str_eq(pd_strerror(PD_ERR_MALFORMED), "malformed");
	ck_assert_str_eq(pd_strerror((enum pd_err)999), "unknown error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cur");
	TCase *tc = tcase_create("cur");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, varint);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return pd_test_run(s);
}
