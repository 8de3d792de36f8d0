/*
 * check_state: the persistent state record log and the frame counter
 * reservation across simulated reboots (agent_init() again on the same flash).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent/state.h"
#include "agent_test.h"

static struct mock_port *mp;
static struct agent *ag;
static struct agent_layout lay;

static void
setup(void)
{
	struct port_flash_info fi = {MOCK_FLASH_SIZE, MOCK_SECTOR};

	mp = malloc(sizeof(*mp));
	ag = malloc(sizeof(*ag));
	mock_port_init(mp);
	ck_assert_int_eq(agent_layout_compute(&fi, &lay), 0);
}

static void
teardown(void)
{
	free(mp);
	free(ag);
}

/* Highest frame counter among the captured frames. */
static uint64_t
max_counter(void)
{
	uint64_t mx = 0, c;
	int i, k;

	for (i = 0; i < mp->n_frames; i++) {
		c = 0;
		for (k = 7; k >= 0; k--)
			c = c << 8 | mp->frames[i][6 + k];
		if (c > mx)
			mx = c;
	}
	return mx;
}

static uint64_t
min_counter(void)
{
	uint64_t mn = UINT64_MAX, c;
	int i, k;

	for (i = 0; i < mp->n_frames; i++) {
		c = 0;
		for (k = 7; k >= 0; k--)
			c = c << 8 | mp->frames[i][6 + k];
		if (c < mn)
			mn = c;
	}
	return mn;
}

/* Runs the agent for `ms` of mock time in 10 ms steps, acking nothing. */
static void
run_for(uint32_t ms)
{
	uint32_t t;

	for (t = 0; t < ms; t += 10) {
		mp->now_us += 10000;
		(void)agent_step(ag, mp->now_us / 1000);
	}
}

START_TEST(test_state_fresh_flash_is_enoent_then_saved_record_reloads)
{
	struct agent_state st, back;
	struct agent_state_log log;

	ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &st, &log), AGENT_ENOENT);
	st.boots = 7;
	st.counter_next = 4096;
	ck_assert_int_eq(agent_state_save(&mock_port_ops, mp, &lay, &log, &st), 0);
	ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &back, &log), 0);
	ck_assert_uint_eq(back.boots, 7);
	ck_assert_uint_eq(back.counter_next, 4096);
	ck_assert_uint_eq(back.gen, 1);
}
END_TEST

START_TEST(test_state_newest_record_wins_across_sector_rollovers)
{
	struct agent_state st, back;
	struct agent_state_log log;
	uint32_t i;

	(void)agent_state_load(&mock_port_ops, mp, &lay, &st, &log);
	for (i = 1; i <= 500; i++) { /* about 12 sector switches */
		st.boots = i;
		ck_assert_int_eq(agent_state_save(&mock_port_ops, mp, &lay, &log, &st), 0);
		if (i % 37 == 0) {
			ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &back, &log),
			                 0);
			ck_assert_uint_eq(back.boots, i);
		}
	}
	ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &back, &log), 0);
	ck_assert_uint_eq(back.boots, 500);
}
END_TEST

START_TEST(test_counter_reservation_never_reuses_a_counter_across_reboots)
{
	uint64_t last = 0;
	int boot;

	for (boot = 0; boot < 6; boot++) {
		mock_port_clear_frames(mp);
		ck_assert_int_eq(at_boot(ag, mp), 0);
		run_for(3000 + 500 * (uint32_t)boot);
		ck_assert_int_gt(mp->n_frames, 0);
		ck_assert_uint_gt(min_counter(), last); /* strictly above every earlier one */
		last = max_counter();
		/* Simulated reset: RAM is lost, flash stays. */
		memset(ag, 0xa5, sizeof(*ag));
	}
}
END_TEST

START_TEST(test_counter_block_is_persisted_before_its_first_counter_is_used)
{
	struct agent_state st;
	struct agent_state_log log;
	int i;

	ck_assert_int_eq(at_boot(ag, mp), 0);
	/* Enough traffic to cross several 1024-counter blocks (MOCK_FRAMES_MAX keeps the oldest). */
	for (i = 0; i < 20000 && ag->counter <= 3 * AGENT_COUNTER_BLOCK + 10; i++) {
		mp->now_us += 200000; /* retransmits and inferences every step */
		(void)agent_step(ag, mp->now_us / 1000);
		if (i % 50 == 49) {
			/* Ack everything now and then, or the seq window stops new sends. */
			struct wire_gw_msg g;
			uint8_t f[WIRE_MAX_FRAME];
			int n;
			memset(&g, 0, sizeof(g));
			g.type = WIRE_GW_ACK;
			g.u.ack.cumulative = ag->ob.next_seq - 1;
			n = at_seal_gw(&g, (uint64_t)i + 1, f);
			ck_assert_int_eq(agent_on_frame(ag, f, (size_t)n, mp->now_us / 1000), 0);
		}
		ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &st, &log), 0);
		/* Every counter handed out so far is below the persisted reservation. */
		ck_assert_uint_le(ag->counter, st.counter_next);
	}
	ck_assert_uint_gt(ag->counter, 3 * AGENT_COUNTER_BLOCK);
}
END_TEST

START_TEST(test_boot_count_and_config_survive_reboot)
{
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_uint_eq(ag->st.boots, 1);
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_uint_eq(ag->st.boots, 3);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_state_torn_record_falls_back_to_the_previous_one)
{
	struct agent_state st, back;
	struct agent_state_log log;

	(void)agent_state_load(&mock_port_ops, mp, &lay, &st, &log);
	st.boots = 1;
	ck_assert_int_eq(agent_state_save(&mock_port_ops, mp, &lay, &log, &st), 0);
	st.boots = 2;
	mp->tear_next_write = 40;
	ck_assert_int_eq(agent_state_save(&mock_port_ops, mp, &lay, &log, &st), AGENT_EIO);
	ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &back, &log), 0);
	ck_assert_uint_eq(back.boots, 1);
	ck_assert_uint_eq(log.dirty, 1);
	/* The next save goes around the torn place and wins. */
	st = back;
	st.boots = 3;
	ck_assert_int_eq(agent_state_save(&mock_port_ops, mp, &lay, &log, &st), 0);
	ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &back, &log), 0);
	ck_assert_uint_eq(back.boots, 3);
}
END_TEST

START_TEST(test_counter_reservation_holds_when_reset_hits_the_reservation_write)
{
	uint64_t before;

	ck_assert_int_eq(at_boot(ag, mp), 0);
	run_for(2000);
	before = max_counter();
	/* Reboot while the boot-time reservation write is torn: boot fails, nothing is sent. */
	mock_port_clear_frames(mp);
	mp->tear_next_write = 20;
	mp->fail_writes_after = 1;
	ck_assert_int_eq(at_boot(ag, mp), AGENT_EIO);
	ck_assert_int_eq(mp->n_frames, 0);
	mp->fail_writes_after = -1;
	ck_assert_int_eq(at_boot(ag, mp), 0);
	run_for(1000);
	ck_assert_uint_gt(min_counter(), before);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_agent_init_refuses_to_run_when_the_reservation_cannot_be_written)
{
	mp->fail_writes_after = 0;
	mp->fail_erase = 1;
	ck_assert_int_eq(at_boot(ag, mp), AGENT_EIO);
	ck_assert_int_eq(mp->n_frames, 0);
}
END_TEST

START_TEST(test_state_junk_in_both_sectors_reads_as_fresh)
{
	struct agent_state st;
	struct agent_state_log log;

	memset(mp->flash, 0x3c, 2 * MOCK_SECTOR);
	ck_assert_int_eq(agent_state_load(&mock_port_ops, mp, &lay, &st, &log), AGENT_ENOENT);
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_uint_eq(ag->st.boots, 1);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_state_fresh_flash_is_enoent_then_saved_record_reloads);
	tcase_add_test(tc, test_state_newest_record_wins_across_sector_rollovers);
	tcase_add_test(tc, test_counter_reservation_never_reuses_a_counter_across_reboots);
	tcase_add_test(tc, test_counter_block_is_persisted_before_its_first_counter_is_used);
	tcase_add_test(tc, test_boot_count_and_config_survive_reboot);
	tcase_add_test(tl, test_state_torn_record_falls_back_to_the_previous_one);
	tcase_add_test(tl, test_counter_reservation_holds_when_reset_hits_the_reservation_write);
	tcase_add_test(te, test_agent_init_refuses_to_run_when_the_reservation_cannot_be_written);
	tcase_add_test(te, test_state_junk_in_both_sectors_reads_as_fresh);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
