/*
 * check_requant: the short Cortex-M requantization (nn__requant_short, five
 * DSP instructions) against the reference form (nn__mbqm) followed by the int8
 * clamp, on the host through the exact C equivalents of the instructions.
 * The saturating steps are where the two could differ, so the accumulators
 * include the int32 extremes and the neighbourhood of every saturation edge.
 */
#define NN_DSP_EMULATE 1

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/nn_internal.h"

static int8_t
clamp_ref(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo, int32_t hi)
{
	return nn__requant(acc, mult, shift, zp, lo, hi);
}

static int8_t
clamp_short(int32_t acc, int32_t mult, int shift, int32_t zp, int32_t lo, int32_t hi)
{
	int32_t r = -shift, v = nn__requant_short(acc, mult, r, (int32_t)((1u << r) >> 1));

	v = v < lo - zp ? lo - zp : v;
	v = v > hi - zp ? hi - zp : v;
	return (int8_t)(v + zp);
}

/* xorshift32: deterministic pseudo-random accumulators */
static uint32_t
next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static const int32_t mults[] = {0, 0x40000000, 0x40000001, 0x5a82799a, 0x7fffffff, 0x7ffffffe};
static const int32_t bounds[][3] = {
        /* zp, act_min, act_max */
        {0, -128, 127}, {-128, -128, 127},           {127, -128, 127}, {-5, -5, 127},
        {20, 20, 127},  {-128, -128, -128 + 6 * 21}, {127, 127, 127},  {-128, -128, -128},
};

START_TEST(test_requant_short_matches_reference_at_edges)
{
	static const int32_t edges[] = {
	        INT32_MIN, INT32_MIN + 1, -0x40000001, -0x40000000, -0x3fffffff,   -1,       0,
	        1,         0x3fffffff,    0x40000000,  0x40000001,  INT32_MAX - 1, INT32_MAX};
	int shift, m, b, e, d;

	for (shift = -21; shift <= -1; shift++)
		for (m = 0; m < (int)(sizeof(mults) / sizeof(mults[0])); m++)
			for (b = 0; b < (int)(sizeof(bounds) / sizeof(bounds[0])); b++)
				for (e = 0; e < (int)(sizeof(edges) / sizeof(edges[0])); e++)
					for (d = -2; d <= 2; d++) {
						int64_t a64 = (int64_t)edges[e] + d;
						int32_t acc, zp = bounds[b][0], lo = bounds[b][1],
						             hi = bounds[b][2];

						if (a64 < INT32_MIN || a64 > INT32_MAX)
							continue;
						acc = (int32_t)a64;
						ck_assert_msg(clamp_short(acc, mults[m], shift, zp,
						                          lo, hi) ==
						                      clamp_ref(acc, mults[m],
						                                shift, zp, lo, hi),
						              "acc %d mult %d shift %d zp %d",
						              (int)acc, (int)mults[m], shift,
						              (int)zp);
					}
}
END_TEST

START_TEST(test_requant_short_matches_reference_on_random_accumulators)
{
	uint32_t s = 0x9e3779b9u;
	int i;

	for (i = 0; i < 2000000; i++) {
		int32_t acc = (int32_t)next(&s);
		int32_t mult = (int32_t)(0x40000000u | (next(&s) & 0x3fffffffu));
		int shift = -1 - (int)(next(&s) % 21);
		int32_t zp = (int32_t)(next(&s) % 256) - 128;

		/* small accumulators are the common case: keep half of them in range */
		if (i & 1)
			acc >>= next(&s) % 24;
		ck_assert_int_eq(clamp_short(acc, mult, shift, zp, -128, 127),
		                 clamp_ref(acc, mult, shift, zp, -128, 127));
	}
}
END_TEST

START_TEST(test_requant_short_refuses_what_it_cannot_do_exactly)
{
	ck_assert(nn__requant_short_ok(0x40000000, -1));
	ck_assert(nn__requant_short_ok(0, -21));
	ck_assert(!nn__requant_short_ok(0x40000000, 0));
	ck_assert(!nn__requant_short_ok(0x40000000, 3));
	ck_assert(!nn__requant_short_ok(0x40000000, -22));
	ck_assert(!nn__requant_short_ok(0x3fffffff, -8));
	ck_assert(!nn__requant_short_ok(-1, -8));
}
END_TEST

static Suite *
requant_suite(void)
{
	Suite *s = suite_create("requant");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");

	tcase_add_test(core, test_requant_short_matches_reference_on_random_accumulators);
	tcase_add_test(limits, test_requant_short_matches_reference_at_edges);
	tcase_add_test(limits, test_requant_short_refuses_what_it_cannot_do_exactly);
	tcase_set_timeout(core, 60);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(requant_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
