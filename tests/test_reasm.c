/*
 * test_reasm.c - bounded TCP stream reassembly: in order, out of order, retransmissions,
 * gaps (never crossed), the sliding window, sequence wrap, budget and hole limits.
 */
#include <string.h>

#include "reasm.h"
#include "testutil.h"

static const uint8_t text[] = "0123456789abcdefghijklmnopqrstuvwxyz";

START_TEST(valid)
{
	struct pd_reasm r;
	uint32_t len;
	const uint8_t *d;

	pd_reasm_init(&r, 64, NULL);
	pd_reasm_set_base(&r, 1000);
	/* out of order: third, first, second segment */
	ck_assert_uint_eq(pd_reasm_add(&r, 1020, text + 20, 10), 0);
	ck_assert_uint_eq(pd_reasm_add(&r, 1000, text, 10), 10);
	d = pd_reasm_data(&r, &len);
	ck_assert_uint_eq(len, 10);
	ck_assert_int_eq(memcmp(d, text, 10), 0);
	ck_assert_uint_eq(pd_reasm_add(&r, 1010, text + 10, 10), 20);
	d = pd_reasm_data(&r, &len);
	ck_assert_uint_eq(len, 30);
	ck_assert_int_eq(memcmp(d, text, 30), 0);
	/* a retransmission (with different bytes) adds nothing and changes nothing */
	ck_assert_uint_eq(pd_reasm_add(&r, 1005, (const uint8_t *)"XXXXXXXXXX", 10), 0);
	ck_assert_int_eq(memcmp(pd_reasm_data(&r, &len), text, 30), 0);
	/* an overlapping segment adds only its new tail */
	ck_assert_uint_eq(pd_reasm_add(&r, 1025, text + 25, 10), 5);
	ck_assert_uint_eq(r.contig, 35);
	/* consume slides the window: sequence numbers stay absolute */
	pd_reasm_consume(&r, 30);
	d = pd_reasm_data(&r, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(d, text + 30, 5), 0);
	ck_assert_uint_eq(pd_reasm_add(&r, 1035, text + 35, 1), 1);
	ck_assert_uint_eq(r.contig, 6);
	ck_assert(!r.overflow);
	pd_reasm_clear(&r);
}
END_TEST

START_TEST(no_base_first_segment)
{
	struct pd_reasm r;
	uint32_t len;

	pd_reasm_init(&r, 64, NULL);
	ck_assert_uint_eq(pd_reasm_add(&r, 7, text, 4), 4);
	ck_assert_uint_eq(pd_reasm_add(&r, 11, text + 4, 4), 4);
	ck_assert_int_eq(memcmp(pd_reasm_data(&r, &len), text, 8), 0);
	/* zero-length segment: nothing */
	ck_assert_uint_eq(pd_reasm_add(&r, 15, text, 0), 0);
	pd_reasm_clear(&r);
}
END_TEST

START_TEST(truncated)
{
	struct pd_reasm r;
	uint32_t len;

	/* a missing segment: bytes after the gap are held, never handed out */
	pd_reasm_init(&r, 64, NULL);
	pd_reasm_set_base(&r, 0);
	ck_assert_uint_eq(pd_reasm_add(&r, 0, text, 10), 10);
	ck_assert_uint_eq(pd_reasm_add(&r, 20, text + 20, 10), 0);
	ck_assert_uint_eq(pd_reasm_add(&r, 30, text + 30, 5), 0);
	pd_reasm_data(&r, &len);
	ck_assert_uint_eq(len, 10);
	ck_assert_uint_eq(r.n_ranges, 1);
	/* the window ends at max: a segment past it is cut and flagged */
	ck_assert_uint_eq(pd_reasm_add(&r, 60, text, 10), 0);
	ck_assert(r.overflow);
	/* filling the gap releases everything held */
	ck_assert_uint_eq(pd_reasm_add(&r, 10, text + 10, 10), 25);
	pd_reasm_clear(&r);
}
END_TEST

START_TEST(hostile)
{
	struct pd_reasm r;
	uint64_t budget = 4096;
	uint8_t big[8192];
	uint32_t len;
	unsigned i;

	/* sequence numbers wrapping past 2^32 (RFC 9293 3.4) */
	pd_reasm_init(&r, 64, NULL);
	pd_reasm_set_base(&r, 0xfffffffau);
	ck_assert_uint_eq(pd_reasm_add(&r, 0xfffffffau, text, 6), 6);
	ck_assert_uint_eq(pd_reasm_add(&r, 0, text + 6, 6), 6);
	ck_assert_int_eq(memcmp(pd_reasm_data(&r, &len), text, 12), 0);
	/* a segment far before the window (old retransmission or forged) */
	ck_assert_uint_eq(pd_reasm_add(&r, 0x80000000u, text, 10), 0);
	pd_reasm_clear(&r);

	/* more holes than PD_REASM_MAX_HOLES: extra ones are dropped, no crash */
	pd_reasm_init(&r, 1024, NULL);
	pd_reasm_set_base(&r, 0);
	for (i = 0; i < 3 * PD_REASM_MAX_HOLES; i++)
		pd_reasm_add(&r, 10 + 20 * i, text, 5);
	ck_assert_uint_le(r.n_ranges, PD_REASM_MAX_HOLES);
	ck_assert(r.overflow);
	ck_assert_uint_eq(r.contig, 0);
	pd_reasm_clear(&r);

	/* the shared budget bounds the buffer and is given back on clear */
	memset(big, 'a', sizeof(big));
	pd_reasm_init(&r, 16384, &budget);
	ck_assert_uint_eq(pd_reasm_add(&r, 0, big, 2000), 2000);
	ck_assert_uint_lt(budget, 4096);
	ck_assert_uint_eq(pd_reasm_add(&r, 2000, big, 6000), 0);
	ck_assert(r.overflow);
	pd_reasm_clear(&r);
	ck_assert_uint_eq(budget, 4096);

	/* one segment larger than the window: kept up to max */
	pd_reasm_init(&r, 100, NULL);
	ck_assert_uint_eq(pd_reasm_add(&r, 5, big, sizeof(big)), 100);
	ck_assert(r.overflow);
	pd_reasm_consume(&r, 1000); /* more than held: clamps */
	ck_assert_uint_eq(r.contig, 0);
	pd_reasm_clear(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reasm");
	TCase *t = tcase_create("reasm");

	tcase_add_test(t, valid);
	tcase_add_test(t, no_base_first_segment);
	tcase_add_test(t, truncated);
	tcase_add_test(t, hostile);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pd_test_run(suite());
}
