/*
 * check_agent: the agent end to end on the mock port: boot messages, the work
 * loop, and the gateway messages it honours (Ack, TimeSync, Config) or ignores.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent_test.h"
#include "wire/frame.h"

static struct mock_port *mp;
static struct agent *ag;

static void
setup(void)
{
	mp = malloc(sizeof(*mp));
	ag = malloc(sizeof(*ag));
	mock_port_init(mp);
	ck_assert_int_eq(at_boot(ag, mp), 0);
}

static void
teardown(void)
{
	free(mp);
	free(ag);
}

static uint64_t
now_ms(void)
{
	return mp->now_us / 1000;
}

static void
advance(uint32_t ms)
{
	uint32_t t;

	for (t = 0; t < ms; t += 10) {
		mp->now_us += 10000;
		(void)agent_step(ag, now_ms());
	}
}

static int
deliver(const struct wire_gw_msg *m, uint64_t ctr)
{
	uint8_t f[WIRE_MAX_FRAME];
	int n = at_seal_gw(m, ctr, f);

	ck_assert_int_gt(n, 0);
	return agent_on_frame(ag, f, (size_t)n, now_ms());
}

START_TEST(test_agent_boot_sends_hello_then_model_status_sealed_for_the_gateway)
{
	struct wire_node_msg m;
	uint64_t c0, c1;

	(void)agent_step(ag, now_ms());
	ck_assert_int_ge(mp->n_frames, 2);
	ck_assert_int_eq(at_open(mp, 0, &m, &c0), 0);
	ck_assert_int_eq(m.type, WIRE_NODE_HELLO);
	ck_assert_uint_eq(m.u.hello.seq, 1);
	ck_assert_uint_gt(m.u.hello.n_ops, 0);
	ck_assert_uint_eq(m.u.hello.arena_bytes, ag->arena_len);
	ck_assert_uint_eq(m.u.hello.slots, 2);
	ck_assert_uint_gt(m.u.hello.slot_size, 0);
	ck_assert_uint_eq(m.u.hello.n_sensors, 1);
	ck_assert_str_eq(m.u.hello.sensors[0].name, "accel");
	ck_assert_str_eq(m.u.hello.firmware, AGENT_FIRMWARE_VERSION);
	ck_assert_int_eq(m.u.hello.reset_reason, WIRE_RESET_POWER_ON);
	ck_assert_int_eq(at_open(mp, 1, &m, &c1), 0);
	ck_assert_int_eq(m.type, WIRE_NODE_MODEL_STATUS);
	ck_assert_uint_eq(m.u.model_status.seq, 2);
	ck_assert_uint_eq(m.u.model_status.active_slot, 2); /* built-in */
	ck_assert_uint_gt(c1, c0);
}
END_TEST

START_TEST(test_agent_inference_message_carries_model_scores_and_latency)
{
	struct wire_node_msg m;

	mp->extra_latency_us = 5000;
	advance(1100);
	ck_assert_int_ge(at_find(mp, 0, WIRE_NODE_INFERENCE, &m), 0);
	ck_assert_uint_eq(m.u.inference.model_id, AGENT_BUILTIN_MODEL_ID);
	ck_assert_uint_eq(m.u.inference.model_version, 1);
	ck_assert_uint_eq(m.u.inference.n_scores_raw, 4);
	ck_assert_uint_lt(m.u.inference.label, 4);
	ck_assert_uint_ge(m.u.inference.latency_us, 5000);
	ck_assert_uint_eq(m.u.inference.unix_ms, 0); /* not synced yet */
	ck_assert(m.u.inference.score_scale > 0.0f);
	ck_assert_uint_eq(ag->stats.inferences, 1);
}
END_TEST

START_TEST(test_agent_ack_cumulative_and_selective_empties_the_outbox)
{
	struct wire_gw_msg g;

	advance(3050); /* Hello, ModelStatus, 3 Inferences */
	ck_assert_uint_eq(ag->ob.count, 5);
	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_ACK;
	g.u.ack.cumulative = 2;
	g.u.ack.sack_bitmap = 1u << 1; /* seq 4 */
	ck_assert_int_eq(deliver(&g, 1), 0);
	ck_assert_uint_eq(ag->ob.count, 2);
	g.u.ack.cumulative = 5;
	g.u.ack.sack_bitmap = 0;
	ck_assert_int_eq(deliver(&g, 2), 0);
	ck_assert_uint_eq(ag->ob.count, 0);
	ck_assert_uint_eq(ag->stats.acks, 2);
}
END_TEST

START_TEST(test_agent_retransmits_unacked_with_a_fresh_counter)
{
	struct wire_node_msg m1, m2;
	uint64_t c1, c2;
	int i, j;

	(void)agent_step(ag, now_ms());
	i = at_find(mp, 0, WIRE_NODE_HELLO, &m1);
	ck_assert_int_ge(i, 0);
	advance(2000);
	j = at_find(mp, i + 1, WIRE_NODE_HELLO, &m2);
	ck_assert_int_gt(j, i);
	ck_assert_int_eq(at_open(mp, i, &m1, &c1), 0);
	ck_assert_int_eq(at_open(mp, j, &m2, &c2), 0);
	ck_assert_uint_eq(m1.u.hello.seq, m2.u.hello.seq);
	ck_assert_uint_ne(c1, c2); /* never the same nonce twice */
	ck_assert_uint_gt(ag->ob.retransmits, 0);
}
END_TEST

START_TEST(test_agent_every_frame_carries_the_outbox_floor_retransmits_too)
{
	struct wire_node_msg m;
	struct wire_gw_msg g;
	int i, retransmitted = 0;

	advance(3050); /* Hello 1, ModelStatus 2, Inferences 3..5: nothing acked */
	ck_assert_int_gt(mp->n_frames, 0);
	for (i = 0; i < mp->n_frames; i++) {
		ck_assert_int_eq(at_open(mp, i, &m, NULL), 0);
		ck_assert_uint_eq(m.seq_floor, 1);
	}
	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_ACK;
	g.u.ack.cumulative = 3;
	ck_assert_int_eq(deliver(&g, 1), 0);
	mock_port_clear_frames(mp);
	advance(4000); /* 4 and 5 go out again, with the floor as it is now */
	for (i = 0; i < mp->n_frames; i++) {
		ck_assert_int_eq(at_open(mp, i, &m, NULL), 0);
		ck_assert_uint_eq(m.seq_floor, 4);
		if (m.type == WIRE_NODE_INFERENCE && m.u.inference.seq == 4)
			retransmitted++;
	}
	ck_assert_int_gt(retransmitted, 0);
}
END_TEST

START_TEST(test_agent_time_sync_puts_unix_time_on_reports)
{
	struct wire_gw_msg g;
	struct wire_node_msg m;

	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_TIME_SYNC;
	g.u.time_sync.unix_ms = 1700000000000ull;
	ck_assert_int_eq(deliver(&g, 1), 0);
	ck_assert_int_eq(ag->synced, 1);
	mock_port_clear_frames(mp);
	advance(1100);
	ck_assert_int_ge(at_find(mp, 0, WIRE_NODE_INFERENCE, &m), 0);
	ck_assert_uint_ge(m.u.inference.unix_ms, 1700000001000ull);
	ck_assert_uint_le(m.u.inference.unix_ms, 1700000001200ull);
}
END_TEST

START_TEST(test_agent_config_changes_periods_and_survives_reboot)
{
	struct wire_gw_msg g;
	uint32_t before;

	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_CONFIG;
	g.u.config.inference_period_ms = 100;
	g.u.config.health_period_ms = 1500;
	g.u.config.config_version = 9;
	ck_assert_int_eq(deliver(&g, 1), 0);
	ck_assert_uint_eq(ag->infer_ms, 100);
	before = ag->stats.inferences;
	advance(1000);
	ck_assert_uint_ge(ag->stats.inferences - before, 9);
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_uint_eq(ag->infer_ms, 100);
	ck_assert_uint_eq(ag->health_ms, 1500);
	ck_assert_uint_eq(ag->st.config_version, 9);
}
END_TEST

START_TEST(test_agent_health_reports_uptime_reboots_and_outbox)
{
	struct wire_node_msg m;

	mp->extra_latency_us = 100; /* the mock clock stands still during invoke */
	advance(10050);
	ck_assert_int_ge(at_find(mp, 0, WIRE_NODE_HEALTH, &m), 0);
	ck_assert_uint_eq(m.u.health.reboots, 1);
	ck_assert_uint_ge(m.u.health.uptime_s, 9);
	ck_assert_uint_ge(m.u.health.inferences, 9);
	ck_assert_uint_gt(m.u.health.outbox_depth, 0);
	ck_assert_uint_eq(m.u.health.battery_mv, 3300);
	ck_assert_int_eq(m.u.health.rssi_dbm, -70);
	ck_assert_uint_gt(m.u.health.latency_max_us, 0);
}
END_TEST

START_TEST(test_agent_battery_below_config_threshold_sends_health_at_once)
{
	struct wire_gw_msg g;
	struct wire_node_msg m;
	uint32_t seq;
	int i;

	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_CONFIG;
	g.u.config.battery_low_mv = 3400; /* the mock reports 3300 */
	g.u.config.health_period_ms = 600000;
	ck_assert_int_eq(deliver(&g, 1), 0);
	mock_port_clear_frames(mp);
	advance(50);
	ck_assert_int_ge(at_find(mp, 0, WIRE_NODE_HEALTH, &m), 0);
	ck_assert_uint_eq(m.u.health.battery_mv, 3300);
	seq = m.u.health.seq;
	mock_port_clear_frames(mp);
	advance(5000); /* once per crossing, not every step: only retransmissions of it */
	for (i = 0; (i = at_find(mp, i, WIRE_NODE_HEALTH, &m)) >= 0; i++)
		ck_assert_uint_eq(m.u.health.seq, seq);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_agent_config_values_are_clamped)
{
	struct wire_gw_msg g;

	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_CONFIG;
	g.u.config.inference_period_ms = 1;
	g.u.config.health_period_ms = 5;
	g.u.config.retransmit_initial_ms = 1;
	g.u.config.retransmit_max_ms = 0xffffffffu;
	ck_assert_int_eq(deliver(&g, 1), 0);
	ck_assert_uint_eq(ag->infer_ms, AGENT_MIN_INFERENCE_MS);
	ck_assert_uint_eq(ag->health_ms, AGENT_MIN_HEALTH_MS);
	ck_assert_uint_eq(ag->ob.rto_initial_ms, AGENT_MIN_RTO_MS);
	ck_assert_uint_eq(ag->ob.rto_max_ms, AGENT_MAX_RTO_MS);
}
END_TEST

START_TEST(test_agent_outbox_overflow_is_counted_and_reported_in_health)
{
	struct wire_node_msg m;
	int i, last = -1;

	advance(120000); /* 120 inferences, nothing acked */
	ck_assert_uint_gt(ag->ob.drops, 0);
	ck_assert_uint_eq(ag->ob.count, AGENT_OUTBOX_CAP);
	for (i = 0; (i = at_find(mp, i, WIRE_NODE_HEALTH, &m)) >= 0; i++)
		last = i;
	ck_assert_int_ge(last, 0);
	ck_assert_int_eq(at_open(mp, last, &m, NULL), 0);
	ck_assert_uint_gt(m.u.health.outbox_drops, 0);
	/* Health and Hello were never dropped. */
	for (i = 0; i < AGENT_OUTBOX_CAP; i++)
		if (ag->ob.e[i].seq == 1)
			break;
	ck_assert_int_lt(i, AGENT_OUTBOX_CAP);
}
END_TEST

START_TEST(test_agent_floor_passes_inferences_dropped_from_a_full_outbox)
{
	struct wire_node_msg m;
	struct wire_gw_msg g;
	uint32_t floor, s;
	int i;

	advance(1050); /* Hello 1, ModelStatus 2, Inference 3 */
	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_ACK;
	g.u.ack.cumulative = 2;
	ck_assert_int_eq(deliver(&g, 1), 0);
	advance(120000); /* the gateway is gone: the outbox fills, inferences drop */
	ck_assert_uint_gt(ag->ob.drops, 0);
	floor = agent_outbox_floor(&ag->ob);
	ck_assert_uint_gt(floor, 3); /* 3 was dropped: the floor is past it */
	/* Everything from 3 up to the floor was dropped, never acked. */
	for (s = 3; s < floor; s++)
		for (i = 0; i < AGENT_OUTBOX_CAP; i++)
			ck_assert_uint_ne(ag->ob.e[i].seq, s);
	ck_assert_uint_ge(ag->ob.drops, floor - 3);
	mock_port_clear_frames(mp);
	agent_outbox_kick(&ag->ob, (uint32_t)now_ms()); /* as when the gateway is back */
	advance(100);
	ck_assert_int_gt(mp->n_frames, 0);
	for (i = 0; i < mp->n_frames; i++) {
		ck_assert_int_eq(at_open(mp, i, &m, NULL), 0);
		ck_assert_uint_ge(m.seq_floor, floor);
		ck_assert_uint_eq(m.seq_floor, agent_outbox_floor(&ag->ob));
	}
}
END_TEST

START_TEST(test_agent_step_sends_a_bounded_burst)
{
	int i;

	for (i = 0; i < 20; i++) {
		uint32_t s = agent_outbox_take_seq(&ag->ob);
		uint8_t msg[8] = {0};
		agent_outbox_push(&ag->ob, s, AGENT_KIND_INFERENCE, msg, sizeof(msg),
		                  (uint32_t)now_ms());
	}
	mock_port_clear_frames(mp);
	ck_assert_uint_eq(agent_step(ag, now_ms()), now_ms() + 1);
	ck_assert_int_eq(mp->n_frames, AGENT_SEND_BURST);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_agent_rejects_forged_replayed_and_misaddressed_frames)
{
	struct wire_gw_msg g;
	uint8_t f[WIRE_MAX_FRAME];
	int n;

	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_ACK;
	g.u.ack.cumulative = 100;
	n = at_seal_gw(&g, 5, f);
	f[n - 1] ^= 1; /* forged tag */
	ck_assert_int_eq(agent_on_frame(ag, f, (size_t)n, now_ms()), AGENT_EWIRE);
	f[n - 1] ^= 1;
	ck_assert_int_eq(agent_on_frame(ag, f, (size_t)n, now_ms()), 0);
	ck_assert_int_eq(agent_on_frame(ag, f, (size_t)n, now_ms()), AGENT_EWIRE); /* replay */
	f[2] ^= 1;                                                                 /* node id */
	ck_assert_int_eq(agent_on_frame(ag, f, (size_t)n, now_ms()), AGENT_EINVAL);
	ck_assert_int_eq(agent_on_frame(ag, f, 3, now_ms()), AGENT_EWIRE);
	ck_assert_uint_eq(ag->stats.frames_rejected, 4);
}
END_TEST

START_TEST(test_agent_ignores_and_counts_messages_it_does_not_honour)
{
	struct wire_gw_msg g;

	memset(&g, 0, sizeof(g));
	g.type = WIRE_GW_ACTIVATE;
	g.u.activate.model_id = 3;
	g.u.activate.model_version = 1;
	ck_assert_int_eq(deliver(&g, 1), 0);
	ck_assert_uint_eq(ag->stats.unknown_msgs, 1);
	ck_assert_uint_eq(ag->model_slot, AGENT_SLOT_BUILTIN);
}
END_TEST

START_TEST(test_agent_crash_hook_halts_until_the_port_reboots_it)
{
	mp->crash_on_model = 1;
	ck_assert_uint_eq(agent_step(ag, now_ms() + 1000), UINT64_MAX);
	ck_assert_int_eq(mp->resets, 1);
	ck_assert_int_eq(mp->last_reset, PORT_RESET_FAULT);
	ck_assert_int_eq(ag->halted, 1);
	mp->crash_on_model = 0;
	mp->boot_reason = PORT_RESET_FAULT;
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_uint_eq(ag->st.boots, 2);
	ck_assert_int_eq(ag->reset_reason, PORT_RESET_FAULT);
}
END_TEST

START_TEST(test_agent_sensor_failure_counts_an_inference_error)
{
	mp->sensor_fail = 1;
	advance(1100);
	ck_assert_uint_eq(ag->stats.infer_errors, 1);
	ck_assert_uint_eq(ag->stats.inferences, 0);
}
END_TEST

START_TEST(test_agent_init_rejects_bad_params)
{
	struct agent_params p;

	at_params(&p);
	p.node_id = 0;
	ck_assert_int_eq(agent_init(ag, &mock_port_ops, mp, &p), AGENT_EINVAL);
	ck_assert_int_eq(agent_init(ag, NULL, mp, &p), AGENT_EINVAL);
	ck_assert_str_eq(agent_strerror(AGENT_EIO), "flash or link I/O error");
	ck_assert_str_eq(agent_strerror(-99), "unknown agent error");
}
END_TEST

static Suite *
agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_set_timeout(tl, 30);
	tcase_add_test(tc, test_agent_boot_sends_hello_then_model_status_sealed_for_the_gateway);
	tcase_add_test(tc, test_agent_inference_message_carries_model_scores_and_latency);
	tcase_add_test(tc, test_agent_ack_cumulative_and_selective_empties_the_outbox);
	tcase_add_test(tc, test_agent_retransmits_unacked_with_a_fresh_counter);
	tcase_add_test(tc, test_agent_every_frame_carries_the_outbox_floor_retransmits_too);
	tcase_add_test(tc, test_agent_time_sync_puts_unix_time_on_reports);
	tcase_add_test(tc, test_agent_config_changes_periods_and_survives_reboot);
	tcase_add_test(tc, test_agent_health_reports_uptime_reboots_and_outbox);
	tcase_add_test(tc, test_agent_battery_below_config_threshold_sends_health_at_once);
	tcase_add_test(tl, test_agent_config_values_are_clamped);
	tcase_add_test(tl, test_agent_outbox_overflow_is_counted_and_reported_in_health);
	tcase_add_test(tl, test_agent_floor_passes_inferences_dropped_from_a_full_outbox);
	tcase_add_test(tl, test_agent_step_sends_a_bounded_burst);
	tcase_add_test(te, test_agent_rejects_forged_replayed_and_misaddressed_frames);
	tcase_add_test(te, test_agent_ignores_and_counts_messages_it_does_not_honour);
	tcase_add_test(te, test_agent_crash_hook_halts_until_the_port_reboots_it);
	tcase_add_test(te, test_agent_sensor_failure_counts_an_inference_error);
	tcase_add_test(te, test_agent_init_rejects_bad_params);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(agent_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
