/*
 * check_outbox: the outbox's retransmit timing, acks, overflow policy, seq
 * floor and send window, and its flash log across reboots
 * (tests/unit/agent/mock_port.c is the flash).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent/err.h"
#include "agent/outbox.h"
#include "mock_port.h"

static struct mock_port *mp;
static struct agent_layout lay;
static struct agent_outbox ob;

static void
setup(void)
{
	struct port_flash_info fi = {MOCK_FLASH_SIZE, MOCK_SECTOR};

	mp = malloc(sizeof(*mp));
	mock_port_init(mp);
	ck_assert_int_eq(agent_layout_compute(&fi, &lay), 0);
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
}

static void
teardown(void)
{
	free(mp);
}

/* Pushes a message of `kind` whose bytes are its seq repeated; returns the seq. */
static uint32_t
push(enum agent_msg_kind kind, uint32_t now)
{
	uint8_t msg[40];
	uint32_t seq = agent_outbox_take_seq(&ob);

	memset(msg, (int)(seq & 0xff), sizeof(msg));
	ck_assert_int_ge(agent_outbox_push(&ob, seq, kind, msg, sizeof(msg), now), 0);
	return seq;
}

static int
has(uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ob.e[i].seq == seq)
			return 1;
	return 0;
}

START_TEST(test_outbox_new_entry_is_due_at_once_and_seqs_start_at_1)
{
	struct agent_outbox_entry *e;
	uint32_t s = push(AGENT_KIND_INFERENCE, 100);

	ck_assert_uint_eq(s, 1);
	e = agent_outbox_due(&ob, 100);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->seq, 1);
	ck_assert_uint_eq(e->len, 40);
	agent_outbox_sent(&ob, e, 100);
	ck_assert_ptr_null(agent_outbox_due(&ob, 100));
	ck_assert_uint_eq(ob.count, 1);
}
END_TEST

START_TEST(test_outbox_cumulative_ack_removes_everything_up_to_it)
{
	int i;

	for (i = 0; i < 5; i++)
		push(AGENT_KIND_INFERENCE, 0);
	ck_assert_int_eq(agent_outbox_ack(&ob, 3, 0), 3);
	ck_assert(!has(1) && !has(2) && !has(3) && has(4) && has(5));
	ck_assert_uint_eq(ob.count, 2);
	/* A repeated (duplicated) ack changes nothing. */
	ck_assert_int_eq(agent_outbox_ack(&ob, 3, 0), 0);
}
END_TEST

START_TEST(test_outbox_selective_ack_removes_only_marked_seqs)
{
	int i;

	for (i = 0; i < 6; i++)
		push(AGENT_KIND_INFERENCE, 0);
	/* cumulative 1; bits 1 and 3 -> seqs 3 and 5. */
	ck_assert_int_eq(agent_outbox_ack(&ob, 1, (1u << 1) | (1u << 3)), 3);
	ck_assert(!has(1) && has(2) && !has(3) && has(4) && !has(5) && has(6));
}
END_TEST

START_TEST(test_outbox_backoff_doubles_with_jitter_up_to_the_cap)
{
	struct agent_outbox_entry *e;
	uint32_t now = 0, rto = 1000, k;

	agent_outbox_set_rto(&ob, 1000, 8000);
	push(AGENT_KIND_HEALTH, 0);
	for (k = 0; k < 8; k++) {
		uint32_t gap;
		e = agent_outbox_due(&ob, now);
		ck_assert_ptr_nonnull(e);
		agent_outbox_sent(&ob, e, now);
		gap = e->next_due_ms - now;
		/* rto +- 25% */
		ck_assert_uint_ge(gap, rto - rto / 4);
		ck_assert_uint_le(gap, rto + rto / 4);
		now = e->next_due_ms;
		if (rto < 8000)
			rto *= 2;
	}
	ck_assert_uint_eq(ob.retransmits, 7);
}
END_TEST

START_TEST(test_outbox_jitter_spreads_retransmissions)
{
	uint32_t lo = 0xffffffffu, hi = 0, i;

	for (i = 0; i < 20; i++)
		push(AGENT_KIND_INFERENCE, 0);
	for (i = 0; i < 20; i++) {
		struct agent_outbox_entry *e = agent_outbox_due(&ob, 0);
		ck_assert_ptr_nonnull(e);
		agent_outbox_sent(&ob, e, 0);
		if (e->next_due_ms < lo)
			lo = e->next_due_ms;
		if (e->next_due_ms > hi)
			hi = e->next_due_ms;
	}
	ck_assert_uint_gt(hi - lo, 100); /* not in lockstep */
}
END_TEST

START_TEST(test_outbox_survives_reboot_with_entries_and_next_seq)
{
	int i;

	for (i = 0; i < 10; i++)
		push(i % 3 ? AGENT_KIND_INFERENCE : AGENT_KIND_HEALTH, 0);
	agent_outbox_ack(&ob, 4, 1u << 1); /* removes 1-4 and 6 */
	ck_assert_int_eq(agent_outbox_flush(&ob), 0);
	memset(&ob, 0x5a, sizeof(ob)); /* RAM is lost */
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 77), 0);
	ck_assert_uint_eq(ob.count, 5);
	ck_assert(has(5) && !has(6) && has(7) && has(8) && has(9) && has(10));
	ck_assert_uint_eq(ob.next_seq, 11);
	ck_assert_ptr_nonnull(agent_outbox_due(&ob, 77));
	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ob.e[i].seq == 8) {
			ck_assert_uint_eq(ob.e[i].msg[0], 8);
			ck_assert_uint_eq(ob.e[i].kind, AGENT_KIND_INFERENCE);
		}
}
END_TEST

START_TEST(test_outbox_compaction_keeps_live_entries_over_many_cycles)
{
	uint32_t i, gen0 = ob.log_gen, s;

	for (i = 0; i < 2000; i++) {
		s = push(AGENT_KIND_INFERENCE, i);
		if (i % 4 == 3)
			agent_outbox_ack(&ob, s - 2, 0); /* keep two live */
	}
	ck_assert_uint_gt(ob.log_gen, gen0 + 5);
	ck_assert_uint_eq(ob.log_errors, 0);
	ck_assert_int_eq(agent_outbox_flush(&ob), 0);
	memset(&ob, 0, sizeof(ob));
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert_uint_eq(ob.next_seq, 2001);
	ck_assert(has(1999) && has(2000));
	ck_assert_uint_eq(ob.count, 2);
}
END_TEST

START_TEST(test_outbox_seq_continues_after_reboot_when_everything_was_acked)
{
	int i;

	for (i = 0; i < 3; i++)
		push(AGENT_KIND_INFERENCE, 0);
	agent_outbox_ack(&ob, 3, 0);
	ck_assert_int_eq(agent_outbox_flush(&ob), 0);
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert_uint_eq(ob.count, 0);
	ck_assert_uint_eq(agent_outbox_take_seq(&ob), 4);
}
END_TEST

START_TEST(test_outbox_acks_reach_flash_with_the_next_push_in_one_write)
{
	uint32_t w;

	push(AGENT_KIND_INFERENCE, 0);
	push(AGENT_KIND_INFERENCE, 0);
	w = mp->writes;
	agent_outbox_ack(&ob, 1, 0);
	ck_assert_uint_eq(mp->writes, w); /* deferred */
	push(AGENT_KIND_INFERENCE, 0);
	ck_assert_uint_eq(mp->writes, w + 1); /* DEL and ENQ together */
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert(!has(1) && has(2) && has(3));
}
END_TEST

START_TEST(test_outbox_unflushed_ack_only_resends_after_a_reset)
{
	push(AGENT_KIND_INFERENCE, 0);
	push(AGENT_KIND_INFERENCE, 0);
	agent_outbox_ack(&ob, 2, 0);
	/* Reset before any flush: the entries come back and are sent again (the
	 * gateway acks them as duplicates); the seq counter does not go back. */
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert(has(1) && has(2));
	ck_assert_uint_eq(agent_outbox_take_seq(&ob), 3);
}
END_TEST

START_TEST(test_outbox_floor_is_oldest_live_seq_or_next_seq)
{
	ck_assert_uint_eq(agent_outbox_floor(&ob), 1); /* empty: next_seq */
	push(AGENT_KIND_INFERENCE, 0);
	push(AGENT_KIND_INFERENCE, 0);
	push(AGENT_KIND_INFERENCE, 0);
	ck_assert_uint_eq(agent_outbox_floor(&ob), 1);
	ck_assert_int_eq(agent_outbox_ack(&ob, 1, 0), 1);
	ck_assert_uint_eq(agent_outbox_floor(&ob), 2);
	ck_assert_int_eq(agent_outbox_ack(&ob, 1, 1ull << 1), 1); /* seq 3 */
	ck_assert_uint_eq(agent_outbox_floor(&ob), 2);
	ck_assert_int_eq(agent_outbox_ack(&ob, 2, 0), 1);
	ck_assert_uint_eq(agent_outbox_floor(&ob), 4); /* empty again: next_seq */
}
END_TEST

START_TEST(test_outbox_floor_passes_dropped_inferences_and_never_decreases)
{
	uint32_t i, floor, last = 0;

	push(AGENT_KIND_HELLO, 0); /* seq 1 */
	for (i = 0; i < AGENT_OUTBOX_CAP - 1 + 100; i++)
		push(AGENT_KIND_INFERENCE, 0); /* 2 .. CAP + 100; 2..101 dropped */
	ck_assert_uint_eq(ob.drops, 100);
	ck_assert_uint_eq(agent_outbox_floor(&ob), 1);
	ck_assert_int_eq(agent_outbox_ack(&ob, 1, 0), 1);
	/* Every seq below the floor is acked (1) or dropped (2..101). */
	ck_assert_uint_eq(agent_outbox_floor(&ob), 102);
	ck_assert_uint_eq(agent_outbox_floor(&ob) - 2, ob.drops);

	/* Any mix of pushes, drops and acks: the floor only rises. */
	for (i = 0; i < 3000; i++) {
		uint32_t r = (i * 2654435761u) >> 16;
		uint32_t oldest = agent_outbox_oldest(&ob);

		if (r % 5 == 0 && oldest != 0)
			(void)agent_outbox_ack(&ob, oldest - 1 + r % 3, (uint64_t)r * 0x9e3779b9u);
		else
			push(r % 7 == 0 ? AGENT_KIND_HEALTH : AGENT_KIND_INFERENCE, 0);
		floor = agent_outbox_floor(&ob);
		ck_assert_uint_ge(floor, last);
		ck_assert(agent_outbox_oldest(&ob) == 0 || agent_outbox_oldest(&ob) == floor);
		last = floor;
	}
}
END_TEST

/* ---- limits ---- */

START_TEST(test_outbox_full_drops_oldest_inference_never_health)
{
	uint8_t m[4] = {0};
	uint32_t i, s;

	push(AGENT_KIND_HEALTH, 0); /* seq 1: the oldest, but Health */
	for (i = 1; i < AGENT_OUTBOX_CAP; i++)
		push(AGENT_KIND_INFERENCE, 0); /* 2 .. CAP */
	ck_assert_uint_eq(ob.count, AGENT_OUTBOX_CAP);
	s = agent_outbox_take_seq(&ob);
	ck_assert_int_eq(agent_outbox_push(&ob, s, AGENT_KIND_INFERENCE, m, 4, 0), 1);
	ck_assert(has(1));  /* Health kept */
	ck_assert(!has(2)); /* oldest Inference dropped */
	ck_assert(has(s));
	ck_assert_uint_eq(ob.drops, 1);
	ck_assert_uint_eq(ob.count, AGENT_OUTBOX_CAP);
	/* The drop is in the log too. */
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert(has(1) && !has(2) && has(s));
}
END_TEST

START_TEST(test_outbox_full_of_health_refuses_new_inference_and_counts_it)
{
	uint8_t m[4] = {0};
	uint32_t i, s;

	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		push(AGENT_KIND_HEALTH, 0);
	s = agent_outbox_take_seq(&ob);
	ck_assert_int_eq(agent_outbox_push(&ob, s, AGENT_KIND_INFERENCE, m, 4, 0), AGENT_EFULL);
	ck_assert_uint_eq(ob.drops, 1);
	ck_assert(has(1) && !has(s));
	/* A new Health displaces the oldest Health, counted. */
	s = agent_outbox_take_seq(&ob);
	ck_assert_int_eq(agent_outbox_push(&ob, s, AGENT_KIND_HEALTH, m, 4, 0), 1);
	ck_assert(!has(1) && has(s));
	ck_assert_uint_eq(ob.drops, 2);
}
END_TEST

START_TEST(test_outbox_ack_far_above_window_and_unknown_seqs_is_harmless)
{
	push(AGENT_KIND_INFERENCE, 0);
	push(AGENT_KIND_INFERENCE, 0);
	ck_assert_int_eq(agent_outbox_ack(&ob, 0, 0), 0);
	ck_assert_int_eq(agent_outbox_ack(&ob, 0, 1ull << 63), 0); /* seq 64: not here */
	ck_assert_uint_eq(ob.count, 2);
	ck_assert_int_eq(agent_outbox_ack(&ob, 0, 3), 2);
}
END_TEST

START_TEST(test_outbox_largest_message_fits_and_round_trips)
{
	uint8_t m[AGENT_MSG_MAX];
	uint32_t s = agent_outbox_take_seq(&ob), i;

	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	ck_assert_int_eq(agent_outbox_push(&ob, s, AGENT_KIND_HELLO, m, sizeof(m), 0), 0);
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert_uint_eq(ob.count, 1);
	ck_assert_uint_eq(ob.e[0].len, AGENT_MSG_MAX);
	ck_assert_mem_eq(ob.e[0].msg, m, sizeof(m));
}
END_TEST

START_TEST(test_outbox_holds_back_seqs_64_above_the_oldest_unacked)
{
	struct agent_outbox_entry *e;
	uint32_t i, s;

	push(AGENT_KIND_HEALTH, 0); /* seq 1 lingers unacked */
	for (i = 0; i < 70; i++) {
		s = push(AGENT_KIND_INFERENCE, 0);
		agent_outbox_ack(&ob, 0, 0); /* nothing */
		if (s < 60)
			ck_assert_int_eq(agent_outbox_ack(&ob, 0, 1ull << (s - 1)),
			                 1); /* sack it */
	}
	/* Live: 1, 60..71. Only seqs 1..64 may go out. */
	while ((e = agent_outbox_due(&ob, 0)) != NULL) {
		ck_assert_uint_lt(e->seq, 65);
		agent_outbox_sent(&ob, e, 0);
	}
	ck_assert(has(65) && has(71));
	ck_assert_int_eq(agent_outbox_ack(&ob, 1, 0), 1);
	ck_assert_ptr_nonnull(agent_outbox_due(&ob, 0)); /* 65.. are free to go now */
}
END_TEST

START_TEST(test_outbox_drops_do_not_hold_back_later_seqs_once_the_floor_moves)
{
	struct agent_outbox_entry *e;
	uint32_t i, n;

	push(AGENT_KIND_HELLO, 0); /* seq 1, unacked: the gateway cannot pass it */
	for (i = 0; i < 200; i++)
		push(AGENT_KIND_INFERENCE, 0); /* 2..201; the oldest are dropped */
	ck_assert_uint_eq(agent_outbox_floor(&ob), 1);
	n = 0;
	while ((e = agent_outbox_due(&ob, 0)) != NULL) {
		ck_assert_uint_lt(e->seq, 1 + AGENT_SEQ_WINDOW);
		agent_outbox_sent(&ob, e, 0);
		n++;
	}
	ck_assert_uint_eq(n, 1); /* only the Hello: the rest is 64 or more above it */
	/* The Hello is acked: the floor passes every dropped seq, all may go. */
	ck_assert_int_eq(agent_outbox_ack(&ob, 1, 0), 1);
	ck_assert_uint_eq(agent_outbox_floor(&ob), 201 - (AGENT_OUTBOX_CAP - 1) + 1);
	agent_outbox_kick(&ob, 0);
	n = 0;
	while ((e = agent_outbox_due(&ob, 0)) != NULL) {
		agent_outbox_sent(&ob, e, 0);
		n++;
	}
	ck_assert_uint_eq(n, ob.count);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_outbox_rejects_oversized_message_and_seq_zero)
{
	uint8_t m[AGENT_MSG_MAX + 1] = {0};

	ck_assert_int_eq(agent_outbox_push(&ob, 1, AGENT_KIND_INFERENCE, m, sizeof(m), 0),
	                 AGENT_EINVAL);
	ck_assert_int_eq(agent_outbox_push(&ob, 0, AGENT_KIND_INFERENCE, m, 4, 0), AGENT_EINVAL);
	ck_assert_uint_eq(ob.count, 0);
}
END_TEST

START_TEST(test_outbox_torn_append_loses_only_that_record)
{
	uint8_t m[40];
	uint32_t s;

	push(AGENT_KIND_INFERENCE, 0);
	push(AGENT_KIND_INFERENCE, 0);
	memset(m, 3, sizeof(m));
	s = agent_outbox_take_seq(&ob);
	mp->tear_next_write = 10;  /* the reset hits in the middle of the record */
	mp->fail_writes_after = 1; /* ... and nothing after it reaches flash */
	(void)agent_outbox_push(&ob, s, AGENT_KIND_INFERENCE, m, sizeof(m), 0);
	mp->fail_writes_after = -1;
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert(has(1) && has(2) && !has(3));
	/* After recovery appends work again (the junk tail was compacted away). */
	push(AGENT_KIND_INFERENCE, 0);
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &lay, 0), 0);
	ck_assert(has(1) && has(2) && has(3));
}
END_TEST

START_TEST(test_outbox_flash_failure_keeps_entry_in_ram_and_counts)
{
	mp->fail_writes_after = 0;
	mp->fail_erase = 1;
	push(AGENT_KIND_INFERENCE, 0);
	ck_assert_uint_eq(ob.count, 1);
	ck_assert_uint_gt(ob.log_errors, 0);
}
END_TEST

START_TEST(test_outbox_open_on_too_small_layout_fails)
{
	struct agent_layout small = lay;

	small.outbox_half = MOCK_SECTOR;
	ck_assert_int_eq(agent_outbox_open(&ob, &mock_port_ops, mp, &small, 0), AGENT_ENOSPC);
}
END_TEST

static Suite *
outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(tc, test_outbox_new_entry_is_due_at_once_and_seqs_start_at_1);
	tcase_add_test(tc, test_outbox_cumulative_ack_removes_everything_up_to_it);
	tcase_add_test(tc, test_outbox_selective_ack_removes_only_marked_seqs);
	tcase_add_test(tc, test_outbox_backoff_doubles_with_jitter_up_to_the_cap);
	tcase_add_test(tc, test_outbox_jitter_spreads_retransmissions);
	tcase_add_test(tc, test_outbox_survives_reboot_with_entries_and_next_seq);
	tcase_add_test(tc, test_outbox_compaction_keeps_live_entries_over_many_cycles);
	tcase_add_test(tc, test_outbox_seq_continues_after_reboot_when_everything_was_acked);
	tcase_add_test(tc, test_outbox_acks_reach_flash_with_the_next_push_in_one_write);
	tcase_add_test(tc, test_outbox_unflushed_ack_only_resends_after_a_reset);
	tcase_add_test(tc, test_outbox_floor_is_oldest_live_seq_or_next_seq);
	tcase_add_test(tc, test_outbox_floor_passes_dropped_inferences_and_never_decreases);
	tcase_add_test(tl, test_outbox_full_drops_oldest_inference_never_health);
	tcase_add_test(tl, test_outbox_full_of_health_refuses_new_inference_and_counts_it);
	tcase_add_test(tl, test_outbox_ack_far_above_window_and_unknown_seqs_is_harmless);
	tcase_add_test(tl, test_outbox_largest_message_fits_and_round_trips);
	tcase_add_test(tl, test_outbox_holds_back_seqs_64_above_the_oldest_unacked);
	tcase_add_test(tl, test_outbox_drops_do_not_hold_back_later_seqs_once_the_floor_moves);
	tcase_add_test(te, test_outbox_rejects_oversized_message_and_seq_zero);
	tcase_add_test(te, test_outbox_torn_append_loses_only_that_record);
	tcase_add_test(te, test_outbox_flash_failure_keeps_entry_in_ram_and_counts);
	tcase_add_test(te, test_outbox_open_on_too_small_layout_fails);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(outbox_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
