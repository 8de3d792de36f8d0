/*
 * check_replay: the replay window (highest + 64-bit bitmap) at its edges, and against a
 * simple model (a list of every counter ever accepted) over random traffic.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "wire/replay.h"
#include "wire/wire.h"

static uint64_t
rnd_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- core ------------------------------------------------------------------------- */

START_TEST(test_replay_fresh_window_accepts_any_counter_from_1)
{
	struct wire_replay w;

	wire_replay_init(&w);
	ck_assert_uint_eq(w.highest, 0);
	ck_assert_uint_eq(w.bitmap, 0);
	ck_assert_int_eq(wire_replay_check(&w, 1), 0);
	ck_assert_int_eq(wire_replay_check(&w, 1000000), 0);
	ck_assert_int_eq(wire_replay_check(&w, UINT64_MAX), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 1), 0);
	ck_assert_uint_eq(w.highest, 1);
}
END_TEST

START_TEST(test_replay_in_order_counters_are_accepted_once)
{
	struct wire_replay w = {0, 0};
	uint64_t c;

	for (c = 1; c <= 1000; c++) {
		ck_assert_int_eq(wire_replay_accept(&w, c), 0);
		ck_assert_int_eq(wire_replay_accept(&w, c), WIRE_EREPLAY);
		ck_assert_int_eq(wire_replay_check(&w, c - 1 ? c - 1 : 1), WIRE_EREPLAY);
	}
	ck_assert_uint_eq(w.highest, 1000);
	ck_assert_uint_eq(w.bitmap, UINT64_MAX);
}
END_TEST

START_TEST(test_replay_check_does_not_modify_the_window)
{
	struct wire_replay w = {100, 0x5}, before = w;

	ck_assert_int_eq(wire_replay_check(&w, 200), 0);
	ck_assert_int_eq(wire_replay_check(&w, 98), 0);
	ck_assert_int_eq(wire_replay_check(&w, 99), WIRE_EREPLAY);
	ck_assert_uint_eq(w.highest, before.highest);
	ck_assert_uint_eq(w.bitmap, before.bitmap);
}
END_TEST

START_TEST(test_replay_out_of_order_within_window_accepted_once)
{
	struct wire_replay w = {0, 0};
	uint64_t c;

	ck_assert_int_eq(wire_replay_accept(&w, 100), 0);
	/* 36..99, in reverse, all inside the window */
	for (c = 99; c >= 36; c--) {
		ck_assert_int_eq(wire_replay_accept(&w, c), 0);
		ck_assert_int_eq(wire_replay_accept(&w, c), WIRE_EREPLAY);
	}
	ck_assert_uint_eq(w.bitmap, UINT64_MAX);
	ck_assert_int_eq(wire_replay_check(&w, 35), WIRE_ESTALE);
	/* interleaved: 102 then 101 */
	ck_assert_int_eq(wire_replay_accept(&w, 102), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 101), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 101), WIRE_EREPLAY);
	ck_assert_int_eq(wire_replay_accept(&w, 100), WIRE_EREPLAY);
}
END_TEST

START_TEST(test_replay_matches_model_on_random_traffic)
{
	enum { N = 20000 };
	static uint64_t seen[N];
	size_t nseen = 0, k;
	struct wire_replay w = {0, 0};
	uint64_t seed = 0x4e91a7, c, highest = 0, r;
	int i, want, got, dup;
	int outcomes[3] = {0, 0, 0}; /* accepted, replayed, stale */

	for (i = 0; i < N; i++) {
		r = rnd_next(&seed);
		/* mostly near the top, sometimes jumps ahead or far back */
		if (r % 16 == 0)
			c = highest + 1 + (r >> 8) % 200;
		else if (r % 16 == 1)
			c = highest > 300 ? highest - 65 - (r >> 8) % 200 : 1;
		else
			c = highest + 8 - (r >> 8) % 80;
		if (c > highest + 8) /* wrapped below zero */
			c = 1;
		dup = 0;
		for (k = 0; k < nseen; k++)
			if (seen[k] == c)
				dup = 1;
		if (c == 0 || (highest > c && highest - c > 64))
			want = WIRE_ESTALE;
		else if (dup)
			want = WIRE_EREPLAY;
		else
			want = 0;
		ck_assert_int_eq(wire_replay_check(&w, c), want);
		got = wire_replay_accept(&w, c);
		ck_assert_msg(got == want, "counter %llu (highest %llu): got %d want %d",
		              (unsigned long long)c, (unsigned long long)highest, got, want);
		outcomes[got == 0 ? 0 : got == WIRE_EREPLAY ? 1 : 2]++;
		if (got == 0) {
			seen[nseen++] = c;
			if (c > highest)
				highest = c;
		}
		ck_assert_uint_eq(w.highest, highest);
	}
	/* the traffic mix exercises every outcome */
	ck_assert_int_gt(outcomes[0], 1000);
	ck_assert_int_gt(outcomes[1], 1000);
	ck_assert_int_gt(outcomes[2], 500);
}
END_TEST

/* ---- limits ----------------------------------------------------------------------- */

START_TEST(test_replay_exactly_64_back_is_in_window)
{
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_replay_accept(&w, 1000), 0);
	ck_assert_int_eq(wire_replay_check(&w, 1000 - 64), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 1000 - 64), 0);
	ck_assert_uint_eq(w.bitmap, (uint64_t)1 << 63);
	ck_assert_int_eq(wire_replay_accept(&w, 1000 - 64), WIRE_EREPLAY);
}
END_TEST

START_TEST(test_replay_65_back_is_stale)
{
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_replay_accept(&w, 1000), 0);
	ck_assert_int_eq(wire_replay_check(&w, 1000 - 65), WIRE_ESTALE);
	ck_assert_int_eq(wire_replay_accept(&w, 1000 - 65), WIRE_ESTALE);
	ck_assert_int_eq(wire_replay_accept(&w, 1), WIRE_ESTALE);
	ck_assert_uint_eq(w.highest, 1000);
	ck_assert_uint_eq(w.bitmap, 0);
}
END_TEST

START_TEST(test_replay_jump_of_exactly_64_keeps_old_highest)
{
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_replay_accept(&w, 10), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 74), 0);
	ck_assert_uint_eq(w.bitmap, (uint64_t)1 << 63);
	ck_assert_int_eq(wire_replay_accept(&w, 10), WIRE_EREPLAY);
	ck_assert_int_eq(wire_replay_accept(&w, 11), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 9), WIRE_ESTALE);
}
END_TEST

START_TEST(test_replay_jump_beyond_64_forgets_everything_below)
{
	struct wire_replay w = {0, 0};
	uint64_t c;

	for (c = 1; c <= 64; c++)
		ck_assert_int_eq(wire_replay_accept(&w, c), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 64 + 65), 0);
	ck_assert_uint_eq(w.bitmap, 0);
	/* 64 is now 65 back: stale, not replay */
	ck_assert_int_eq(wire_replay_accept(&w, 64), WIRE_ESTALE);
	/* 65..128 were never seen and are in the window */
	ck_assert_int_eq(wire_replay_accept(&w, 65), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 128), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 10000), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 129), WIRE_ESTALE);
}
END_TEST

START_TEST(test_replay_counter_top_of_range)
{
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_replay_accept(&w, UINT64_MAX - 1), 0);
	ck_assert_int_eq(wire_replay_accept(&w, UINT64_MAX), 0);
	ck_assert_int_eq(wire_replay_accept(&w, UINT64_MAX), WIRE_EREPLAY);
	ck_assert_int_eq(wire_replay_accept(&w, UINT64_MAX - 1), WIRE_EREPLAY);
	ck_assert_int_eq(wire_replay_accept(&w, UINT64_MAX - 64), 0);
	ck_assert_int_eq(wire_replay_accept(&w, UINT64_MAX - 65), WIRE_ESTALE);
}
END_TEST

/* ---- errors ----------------------------------------------------------------------- */

START_TEST(test_replay_counter_zero_is_always_stale)
{
	struct wire_replay w = {0, 0};

	ck_assert_int_eq(wire_replay_check(&w, 0), WIRE_ESTALE);
	ck_assert_int_eq(wire_replay_accept(&w, 0), WIRE_ESTALE);
	ck_assert_int_eq(wire_replay_accept(&w, 5), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 0), WIRE_ESTALE);
	ck_assert_uint_eq(w.highest, 5);
}
END_TEST

START_TEST(test_replay_rejects_null_window)
{
	ck_assert_int_eq(wire_replay_check(NULL, 1), WIRE_EINVAL);
	ck_assert_int_eq(wire_replay_accept(NULL, 1), WIRE_EINVAL);
	wire_replay_init(NULL);
}
END_TEST

START_TEST(test_replay_failed_accept_leaves_window_unchanged)
{
	struct wire_replay w = {0, 0}, before;

	ck_assert_int_eq(wire_replay_accept(&w, 500), 0);
	ck_assert_int_eq(wire_replay_accept(&w, 490), 0);
	before = w;
	ck_assert_int_eq(wire_replay_accept(&w, 490), WIRE_EREPLAY);
	ck_assert_int_eq(wire_replay_accept(&w, 500), WIRE_EREPLAY);
	ck_assert_int_eq(wire_replay_accept(&w, 400), WIRE_ESTALE);
	ck_assert_uint_eq(w.highest, before.highest);
	ck_assert_uint_eq(w.bitmap, before.bitmap);
}
END_TEST

static Suite *
replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *core = tcase_create("core");
	TCase *limits = tcase_create("limits");
	TCase *errors = tcase_create("errors");

	tcase_add_test(core, test_replay_fresh_window_accepts_any_counter_from_1);
	tcase_add_test(core, test_replay_in_order_counters_are_accepted_once);
	tcase_add_test(core, test_replay_check_does_not_modify_the_window);
	tcase_add_test(core, test_replay_out_of_order_within_window_accepted_once);
	tcase_add_test(core, test_replay_matches_model_on_random_traffic);
	tcase_set_timeout(core, 60);

	tcase_add_test(limits, test_replay_exactly_64_back_is_in_window);
	tcase_add_test(limits, test_replay_65_back_is_stale);
	tcase_add_test(limits, test_replay_jump_of_exactly_64_keeps_old_highest);
	tcase_add_test(limits, test_replay_jump_beyond_64_forgets_everything_below);
	tcase_add_test(limits, test_replay_counter_top_of_range);

	tcase_add_test(errors, test_replay_counter_zero_is_always_stale);
	tcase_add_test(errors, test_replay_rejects_null_window);
	tcase_add_test(errors, test_replay_failed_accept_leaves_window_unchanged);

	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
