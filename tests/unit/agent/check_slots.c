/*
 * check_slots: model slots A/B: writing and committing, and boot's fallback
 * from a corrupt, refused or crash-looping active slot to the other slot or to
 * the built-in model, reported in ModelStatus.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hash.h"
#include "agent/slots.h"
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

/* Stores `bytes` as model (id, version) in slot idx. */
static void
store(unsigned idx, uint32_t id, uint32_t version, const uint8_t *bytes, size_t len)
{
	struct agent_slot_info info;

	memset(&info, 0, sizeof(info));
	info.model_id = id;
	info.model_version = version;
	info.size = (uint32_t)len;
	agent_sha256(bytes, len, info.sha256);
	ck_assert_int_eq(agent_slot_erase(&mock_port_ops, mp, &lay, idx), 0);
	ck_assert_int_eq(agent_slot_write(&mock_port_ops, mp, &lay, idx, 0, bytes, (uint32_t)len),
	                 0);
	ck_assert_int_eq(agent_slot_commit(&mock_port_ops, mp, &lay, idx, &info), 0);
}

/* Makes slot idx the active one in the persistent state. */
static void
activate(uint32_t idx, uint32_t confirmed)
{
	struct agent_state st;
	struct agent_state_log log;

	(void)agent_state_load(&mock_port_ops, mp, &lay, &st, &log);
	st.active_slot = idx;
	st.confirmed = confirmed;
	st.trial_boots = 0;
	ck_assert_int_eq(agent_state_save(&mock_port_ops, mp, &lay, &log, &st), 0);
}

static struct wire_node_msg status;

static void
boot_and_status(void)
{
	struct wire_node_msg m;
	uint32_t best = 0;
	int i;

	mock_port_clear_frames(mp);
	ck_assert_int_eq(at_boot(ag, mp), 0);
	(void)agent_step(ag, mp->now_us / 1000);
	/* The newest ModelStatus: the outbox may still resend older ones first. */
	for (i = 0; (i = at_find(mp, i, WIRE_NODE_MODEL_STATUS, &m)) >= 0; i++)
		if (m.u.model_status.seq > best) {
			best = m.u.model_status.seq;
			status = m;
		}
	ck_assert_uint_gt(best, 0);
	mock_port_clear_frames(mp);
}

START_TEST(test_slot_committed_model_runs_when_active)
{
	size_t len;
	const uint8_t *m = at_model(&len);

	store(0, 17, 3, m, len);
	activate(0, 1);
	boot_and_status();
	ck_assert_uint_eq(ag->model_slot, 0);
	ck_assert_uint_eq(ag->model_id, 17);
	ck_assert_uint_eq(ag->model_version, 3);
	ck_assert_int_eq(status.u.model_status.slots[0].state, WIRE_SLOT_ACTIVE);
	ck_assert_int_eq(status.u.model_status.slots[1].state, WIRE_SLOT_EMPTY);
	ck_assert_uint_eq(status.u.model_status.active_slot, 0);
	ck_assert_ptr_nonnull(ag->ip);
}
END_TEST

START_TEST(test_slot_corrupt_active_slot_falls_back_to_the_other_slot)
{
	size_t len;
	const uint8_t *m = at_model(&len);
	uint8_t zero = 0;

	store(0, 17, 3, m, len);
	store(1, 18, 1, m, len);
	activate(0, 1);
	/* Flip bits inside slot 0's image (NOR: clearing bits needs no erase). */
	mock_port_ops.flash_write(mp, lay.slot_off[0] + AGENT_SLOT_HDR_BYTES + 100, &zero, 1);
	boot_and_status();
	ck_assert_uint_eq(ag->model_slot, 1);
	ck_assert_uint_eq(ag->model_id, 18);
	ck_assert_int_eq(ag->model_error, AGENT_ECORRUPT);
	ck_assert_uint_eq(ag->stats.fallbacks, 1);
	ck_assert_int_eq(status.u.model_status.slots[0].state, WIRE_SLOT_FAILED);
	ck_assert_int_eq(status.u.model_status.slots[1].state, WIRE_SLOT_ACTIVE);
	ck_assert_int_eq(status.u.model_status.last_error, AGENT_ECORRUPT);
	/* The choice is persisted: the next boot goes straight to slot 1. */
	ck_assert_uint_eq(ag->st.active_slot, 1);
	boot_and_status();
	ck_assert_uint_eq(ag->model_slot, 1);
	ck_assert_int_eq(ag->model_error, 0);
}
END_TEST

START_TEST(test_slot_both_unusable_falls_back_to_the_builtin_model)
{
	uint8_t junk[300];

	memset(junk, 0x42, sizeof(junk));
	store(0, 5, 1, junk, sizeof(junk)); /* verifies, but the core refuses it */
	activate(0, 0);
	boot_and_status();
	ck_assert_uint_eq(ag->model_slot, AGENT_SLOT_BUILTIN);
	ck_assert_int_eq(ag->model_error, AGENT_EMODEL);
	ck_assert_ptr_nonnull(ag->ip);
	ck_assert_int_eq(status.u.model_status.slots[0].state, WIRE_SLOT_FAILED);
	ck_assert_uint_eq(status.u.model_status.active_slot, 2);
}
END_TEST

START_TEST(test_slot_that_keeps_crashing_the_node_is_marked_failed)
{
	size_t len;
	const uint8_t *m = at_model(&len);
	int boot;

	store(1, 21, 2, m, len);
	activate(1, 0); /* freshly activated, not yet confirmed */
	mp->crash_on_model = 1;
	for (boot = 0; boot < AGENT_TRIAL_BOOTS_MAX; boot++) {
		ck_assert_int_eq(at_boot(ag, mp), 0);
		ck_assert_uint_eq(ag->model_slot, 1);
		(void)agent_step(ag, mp->now_us / 1000 + 5000); /* inference -> simulated crash */
		ck_assert_int_eq(ag->halted, 1);
	}
	mp->crash_on_model = 0;
	boot_and_status();
	ck_assert_uint_eq(ag->model_slot, AGENT_SLOT_BUILTIN);
	ck_assert_int_eq(status.u.model_status.slots[1].state, WIRE_SLOT_FAILED);
}
END_TEST

START_TEST(test_slot_confirmed_after_a_good_inference)
{
	size_t len;
	const uint8_t *m = at_model(&len);

	store(0, 30, 1, m, len);
	activate(0, 0);
	ck_assert_int_eq(at_boot(ag, mp), 0);
	ck_assert_uint_eq(ag->st.trial_boots, 1);
	(void)agent_step(ag, mp->now_us / 1000 + 2000);
	ck_assert_uint_eq(ag->st.confirmed, 1);
	ck_assert_uint_eq(ag->st.trial_boots, 0);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_slot_capacity_and_write_past_it)
{
	uint8_t b[16] = {0};
	uint32_t cap = agent_slot_capacity(&lay);

	ck_assert_uint_eq(cap, lay.slot_len - AGENT_SLOT_HDR_BYTES);
	ck_assert_int_eq(agent_slot_write(&mock_port_ops, mp, &lay, 0, cap - 16, b, 16), 0);
	ck_assert_int_eq(agent_slot_write(&mock_port_ops, mp, &lay, 0, cap - 15, b, 16),
	                 AGENT_ENOSPC);
	ck_assert_int_eq(agent_slot_write(&mock_port_ops, mp, &lay, 2, 0, b, 16), AGENT_EINVAL);
}
END_TEST

START_TEST(test_slot_layout_leaves_room_for_state_outbox_and_two_equal_slots)
{
	struct port_flash_info tiny = {8 * 4096, 4096};
	struct agent_layout l2;

	ck_assert_uint_eq(lay.slot_off[1], lay.slot_off[0] + lay.slot_len);
	ck_assert_uint_le(lay.slot_off[1] + lay.slot_len, MOCK_FLASH_SIZE);
	ck_assert_uint_ge(lay.outbox_half, agent_outbox_log_need());
	ck_assert_int_eq(agent_layout_compute(&tiny, &l2), AGENT_ENOSPC);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_slot_commit_refuses_an_image_whose_sha_does_not_match)
{
	struct agent_slot_info info, back;
	uint8_t b[64];

	memset(b, 7, sizeof(b));
	memset(&info, 0, sizeof(info));
	info.model_id = 1;
	info.model_version = 1;
	info.size = sizeof(b);
	agent_sha256(b, sizeof(b), info.sha256);
	info.sha256[0] ^= 1;
	ck_assert_int_eq(agent_slot_erase(&mock_port_ops, mp, &lay, 0), 0);
	ck_assert_int_eq(agent_slot_write(&mock_port_ops, mp, &lay, 0, 0, b, sizeof(b)), 0);
	ck_assert_int_eq(agent_slot_commit(&mock_port_ops, mp, &lay, 0, &info), AGENT_ECORRUPT);
	ck_assert_int_eq(agent_slot_read(&mock_port_ops, mp, &lay, 0, &back), AGENT_ENOENT);
}
END_TEST

START_TEST(test_slot_header_with_bad_crc_reads_as_corrupt)
{
	size_t len;
	const uint8_t *m = at_model(&len);
	struct agent_slot_info back;
	uint8_t zero = 0;

	store(0, 17, 3, m, len);
	mock_port_ops.flash_write(mp, lay.slot_off[0] + 4, &zero, 1); /* model_id's low byte */
	ck_assert_int_eq(agent_slot_read(&mock_port_ops, mp, &lay, 0, &back), AGENT_ECORRUPT);
	activate(0, 1);
	boot_and_status();
	ck_assert_uint_eq(ag->model_slot, AGENT_SLOT_BUILTIN);
	ck_assert_int_eq(ag->model_error, AGENT_ECORRUPT);
}
END_TEST

START_TEST(test_slot_empty_slot_reads_as_enoent_and_no_model_at_all_still_boots)
{
	struct agent_slot_info back;
	struct agent_params p;

	ck_assert_int_eq(agent_slot_read(&mock_port_ops, mp, &lay, 1, &back), AGENT_ENOENT);
	at_params(&p);
	p.builtin_model = NULL;
	p.builtin_len = 0;
	ck_assert_int_eq(agent_init(ag, &mock_port_ops, mp, &p), 0);
	ck_assert_ptr_null(ag->ip);
	ck_assert_int_eq(ag->model_error, AGENT_ENOENT);
	(void)agent_step(ag, mp->now_us / 1000 + 70000);
	ck_assert_int_ge(at_find(mp, 0, WIRE_NODE_HEALTH, &status), 0);
}
END_TEST

static Suite *
slots_suite(void)
{
	Suite *s = suite_create("slots");
	TCase *tc = tcase_create("core");
	TCase *tl = tcase_create("limits");
	TCase *te = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(tc, test_slot_committed_model_runs_when_active);
	tcase_add_test(tc, test_slot_corrupt_active_slot_falls_back_to_the_other_slot);
	tcase_add_test(tc, test_slot_both_unusable_falls_back_to_the_builtin_model);
	tcase_add_test(tc, test_slot_that_keeps_crashing_the_node_is_marked_failed);
	tcase_add_test(tc, test_slot_confirmed_after_a_good_inference);
	tcase_add_test(tl, test_slot_capacity_and_write_past_it);
	tcase_add_test(tl, test_slot_layout_leaves_room_for_state_outbox_and_two_equal_slots);
	tcase_add_test(te, test_slot_commit_refuses_an_image_whose_sha_does_not_match);
	tcase_add_test(te, test_slot_header_with_bad_crc_reads_as_corrupt);
	tcase_add_test(te, test_slot_empty_slot_reads_as_enoent_and_no_model_at_all_still_boots);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tl);
	suite_add_tcase(s, te);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(slots_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
