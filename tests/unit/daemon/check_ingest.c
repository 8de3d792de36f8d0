/*
 * check_ingest: the data path between a link and the store. Group commit by
 * size and by time, acks only after the commit, duplicates re-acked and never
 * stored twice, and a failing database (disk full through the fault VFS):
 * nothing acked, retries with backoff instead of spinning, a bounded batch,
 * a store_error alert, and recovery when the disk has room again.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <uv.h>

#include "config.h"
#include "faultvfs.h"
#include "ingest.h"
#include "mqtt.h"
#include "session.h"
#include "store.h"
#include "wire/frame.h"
#include "wire/msg.h"

static uv_loop_t loop;
static struct config cfg;
static char dir[64], path[128];
static struct store *st;
static struct session *sess;
static struct ingest *in;
static struct alerts *al;
static const uint8_t key1[32] = {5, 4, 3};
static uint64_t counter;
static struct wire_msg_ack last_ack;
static int n_acks;

static int
fake_send(struct transport *t, const struct transport_peer *to, const uint8_t *f, size_t len)
{
	uint8_t pt[WIRE_MAX_FRAME];
	struct wire_gw_msg g;
	int n;

	(void)t;
	(void)to;
	n = wire_frame_open(key1, WIRE_DIR_G2N, f, len, NULL, pt, sizeof(pt));
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(wire_msg_gw_decode(pt, (size_t)n, &g), 0);
	if (g.type == WIRE_GW_ACK) {
		last_ack = g.u.ack;
		n_acks++;
	}
	return 0;
}

static const struct transport_ops fake_ops = {.name = "fake", .send = fake_send};
static struct transport fake = {.ops = &fake_ops};
static struct transport_peer peer = {.t = &fake};

static void
setup(void)
{
	struct store_opts o = {.path = path, .vfs = "faulty", .synchronous = 1};

	snprintf(dir, sizeof(dir), "/tmp/check_ingest.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tf.db", dir);
	fault_vfs_register();
	fault_rc = 0;
	uv_loop_init(&loop);
	config_defaults(&cfg);
	snprintf(cfg.mqtt.gateway_id, sizeof(cfg.mqtt.gateway_id), "gw");
	cfg.batch_size = 10;
	cfg.batch_ms = 20;
	cfg.retry_min_ms = 10;
	cfg.retry_max_ms = 40;
	cfg.retention_age_s = 0;
	ck_assert_int_eq(store_open(&o, &st), 0);
	ck_assert_int_eq(store_node_add(st, 0, "n1", "", key1, NULL), 0);
	ck_assert_int_eq(session_new(&sess), 0);
	ck_assert_int_eq(session_load(sess, st), 0);
	ck_assert_int_eq(ingest_new(&loop, &cfg, st, sess, &in), 0);
	counter = 1;
	n_acks = 0;
	memset(&last_ack, 0, sizeof(last_ack));
}

static void
teardown(void)
{
	char cmd[128];

	fault_rc = 0;
	alerts_free(al);
	al = NULL;
	ingest_free(in);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	session_free(sess);
	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

/* An Inference with seq, carrying the node's seq floor (0 = none). */
static void
feed_floor(uint32_t seq, uint32_t seq_floor)
{
	struct wire_node_msg m;
	uint8_t buf[WIRE_MSG_MAX], frame[WIRE_MAX_FRAME];
	int n;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_INFERENCE;
	m.u.inference.seq = seq;
	m.u.inference.label = 1;
	m.u.inference.n_scores = 2;
	m.u.inference.scores[1] = 0.75f;
	m.seq_floor = seq_floor;
	n = wire_msg_node_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	n = wire_frame_seal(key1, WIRE_DIR_N2G, 1, ++counter, buf, (size_t)n, frame, sizeof(frame));
	ck_assert_int_gt(n, 0);
	ingest_rx(in, frame, (size_t)n, &peer);
}

static void
feed(uint32_t seq)
{
	feed_floor(seq, 0);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop for ms milliseconds, or until *flag becomes want. */
static void
run_for(int ms, const int *flag, int want)
{
	int64_t end = mono_ms() + ms;

	while (mono_ms() < end && (flag == NULL || *flag < want)) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

static int64_t
count(const char *sql)
{
	sqlite3_stmt *s;
	int64_t n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(store__db(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* ---- core ---- */

START_TEST(test_ingest_commits_by_size_and_acks_only_after_commit)
{
	for (uint32_t i = 1; i <= 9; i++)
		feed(i);
	ck_assert_int_eq(n_acks, 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 0);
	feed(10); /* batch_size reached: committed at once, no timer needed */
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 10);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM outbox"), 10);
	ck_assert_int_eq(n_acks, 1);
	ck_assert_uint_eq(last_ack.cumulative, 10);
}
END_TEST

START_TEST(test_ingest_commits_by_time)
{
	int64_t t0 = mono_ms();

	feed(1);
	ck_assert_int_eq(n_acks, 0);
	run_for(2000, &n_acks, 1);
	ck_assert_int_eq(n_acks, 1);
	ck_assert_int_ge(mono_ms() - t0, cfg.batch_ms - 2);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 1);
}
END_TEST

START_TEST(test_ingest_duplicate_is_reacked_never_stored_twice)
{
	for (uint32_t i = 1; i <= 10; i++)
		feed(i);
	ck_assert_int_eq(n_acks, 1);
	feed(5);
	run_for(2000, &n_acks, 2);
	ck_assert_int_eq(n_acks, 2);
	ck_assert_uint_eq(last_ack.cumulative, 10);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 10);
}
END_TEST

/* Hooks the alert rules to the ingest as main.c does, outbox_drops clearing after clear_ms. */
static void
attach_alerts(int64_t clear_ms)
{
	struct alerts_config ac;

	alerts_config_defaults(&ac);
	ac.outbox_drops_clear_ms = clear_ms;
	ck_assert_int_eq(alerts_new(&ac, &ingest_alerts_ops, in, &al), 0);
	ingest_set_alerts(in, al);
}

/* Marks every outbox row delivered, as the publisher does when the broker is back. */
static void
drain_outbox(void)
{
	struct store_outbox_row rows[64];
	int64_t after = 0;
	size_t n;

	do {
		ck_assert_int_eq(store_outbox_fetch(st, after, rows, 64, &n), 0);
		for (size_t i = 0; i < n; i++) {
			ck_assert_int_eq(store_outbox_done(st, rows[i].id), 0);
			after = rows[i].id;
		}
	} while (n > 0);
	ck_assert_int_eq(ingest_flush(in), 0);
}

START_TEST(test_ingest_alerts_and_node_status_are_qos1_even_at_qos0)
{
	cfg.mqtt.qos = 0;
	cfg.mqtt.outbox_max_rows = 5;
	store_set_outbox_max(st, 5);
	attach_alerts(1000);
	/* The first frame turns the node online (retained status); drops raise outbox_drops. */
	for (uint32_t i = 1; i <= 10; i++)
		feed(i);
	ck_assert_int_eq(ingest_flush(in), 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM outbox WHERE topic = "
	                       "'tinyfleet/gw/nodes/1/status' AND retain = 1 AND qos = 1"),
	                 1);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM outbox WHERE topic = "
	                       "'tinyfleet/gw/alerts/critical' AND retain = 0 AND qos = 1"),
	                 1);
	/* Readings keep the configured QoS 0. */
	ck_assert_int_gt(count("SELECT COUNT(*) FROM outbox WHERE topic = "
	                       "'tinyfleet/gw/nodes/1/inference' AND qos = 0"),
	                 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM outbox WHERE topic = "
	                       "'tinyfleet/gw/nodes/1/inference' AND qos <> 0"),
	                 0);
	/* At qos = 2 they follow it up. */
	cfg.mqtt.qos = 2;
	ck_assert_int_eq(mqtt_qos_reliable(&cfg.mqtt), 2);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_ingest_outbox_drops_alert_stays_raised_while_the_outbox_is_full)
{
	int64_t t = ingest_now_ms();
	uint32_t seq = 1;

	cfg.mqtt.outbox_max_rows = 20;
	store_set_outbox_max(st, 20);
	attach_alerts(1000);
	/* The broker is away (no publisher): every commit drops the oldest rows. */
	for (; seq <= 40; seq++)
		feed(seq);
	ck_assert_int_eq(ingest_flush(in), 0);
	ck_assert(alerts_is_active(al, ALERT_OUTBOX_DROPS, 0, NULL));
	/* Long past outbox_drops_clear_s, several times over, with more drops between. */
	for (int round = 1; round <= 5; round++) {
		alerts_tick(al, t + round * 5000);
		ck_assert_int_eq(ingest_flush(in), 0);
		ck_assert(alerts_is_active(al, ALERT_OUTBOX_DROPS, 0, NULL));
		for (int i = 0; i < 10; i++, seq++)
			feed(seq);
		ck_assert_int_eq(ingest_flush(in), 0);
	}
	/* One raise, no clear/raise pairs. */
	ck_assert_int_eq(count("SELECT COUNT(*) FROM alerts WHERE kind = 'outbox_drops'"), 1);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), seq - 1);
	/* The broker is back and takes everything: quiet for clear_s, the alert clears once. */
	drain_outbox();
	alerts_tick(al, ingest_now_ms() + 2000);
	ck_assert_int_eq(ingest_flush(in), 0);
	ck_assert(!alerts_is_active(al, ALERT_OUTBOX_DROPS, 0, NULL));
	ck_assert_int_eq(
	        count("SELECT COUNT(*) FROM alerts WHERE kind = 'outbox_drops' AND raised = 0"), 1);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM alerts WHERE kind = 'outbox_drops'"), 2);
}
END_TEST

START_TEST(test_ingest_batch_is_bounded_while_the_store_fails)
{
	struct ingest_stats is;

	fault_rc = SQLITE_FULL;
	for (uint32_t i = 1; i <= 100; i++)
		feed(i);
	ingest_get_stats(in, &is);
	ck_assert_uint_le(is.pending, (size_t)cfg.batch_size * 8 + 1); /* + the store_error alert */
	ck_assert_uint_ge(is.backpressure, 19);
	fault_rc = 0;
	run_for(2000, &n_acks, 1);
	ck_assert_int_eq(n_acks, 1);
	/* What was dropped was never acked: the window ends where the stored rows end. */
	ck_assert_uint_eq(last_ack.cumulative, count("SELECT COUNT(*) FROM readings"));
}
END_TEST

START_TEST(test_ingest_node_status_is_not_lost_when_the_batch_is_full)
{
	int64_t t = ingest_now_ms();
	struct ingest_stats is;
	uint32_t seq = 1;

	attach_alerts(1000);
	fault_rc = SQLITE_FULL;
	/* Fill the batch to one below its cap while commits fail. */
	do {
		feed(seq++);
		ingest_get_stats(in, &is);
	} while (is.pending < (size_t)cfg.batch_size * 8 - 1);
	/* The node goes silent: node_offline takes the last slot, its status finds none. */
	alerts_tick(al, t + 400 * 1000);
	ck_assert(alerts_is_active(al, ALERT_NODE_OFFLINE, 1, NULL));
	ingest_get_stats(in, &is);
	ck_assert_uint_eq(is.pending, (size_t)cfg.batch_size * 8);
	fault_rc = 0;
	run_for(2000, &n_acks, 1);
	ck_assert_int_eq(n_acks, 1);
	/* The next evaluation stages the status. */
	alerts_tick(al, t + 401 * 1000);
	ck_assert_int_eq(ingest_flush(in), 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM outbox WHERE topic = "
	                       "'tinyfleet/gw/nodes/1/status' AND retain = 1 AND "
	                       "CAST(payload AS TEXT) LIKE '%\"state\":\"offline\"%'"),
	                 1);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_ingest_disk_full_stops_acking_backs_off_and_recovers)
{
	struct ingest_stats is;

	fault_rc = SQLITE_FULL;
	for (uint32_t i = 1; i <= 10; i++)
		feed(i);
	run_for(300, NULL, 0);
	ingest_get_stats(in, &is);
	ck_assert_int_eq(n_acks, 0);
	ck_assert_int_eq(is.store_failing, 1);
	/* Backoff 10, 20, 40, 40 ... ms: a handful of attempts in 300 ms, not thousands. */
	ck_assert_uint_ge(is.commit_failures, 3);
	ck_assert_uint_le(is.commit_failures, 15);
	fault_rc = 0; /* the disk has room again */
	run_for(2000, &n_acks, 1);
	ck_assert_int_eq(n_acks, 1);
	ck_assert_uint_eq(last_ack.cumulative, 10);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 10);
	ingest_get_stats(in, &is);
	ck_assert_int_eq(is.store_failing, 0);
	/* The alert: raised with the batch, cleared by the next commit. */
	run_for(500, NULL, 0);
	ck_assert_int_eq(
	        count("SELECT COUNT(*) FROM alerts WHERE kind = 'store_error' AND raised = 1"), 1);
	ck_assert_int_eq(
	        count("SELECT COUNT(*) FROM alerts WHERE kind = 'store_error' AND raised = 0"), 1);
}
END_TEST

START_TEST(test_ingest_abandoned_seqs_are_persisted_only_with_the_commit_that_acks_them)
{
	for (uint32_t i = 1; i <= 3; i++)
		feed(i);
	run_for(2000, &n_acks, 1);
	ck_assert_uint_eq(last_ack.cumulative, 3);
	n_acks = 0;
	/* The node dropped 4..80 from its full outbox; the disk is full meanwhile. */
	fault_rc = SQLITE_FULL;
	feed_floor(90, 81);
	feed_floor(91, 81); /* every frame repeats the floor */
	run_for(200, NULL, 0);
	ck_assert_int_eq(n_acks, 0);
	ck_assert_int_eq(count("SELECT seqs_abandoned FROM nodes WHERE id = 1"), 0);
	fault_rc = 0;
	run_for(2000, &n_acks, 1);
	ck_assert_int_ge(n_acks, 1);
	ck_assert_uint_eq(last_ack.cumulative, 80);
	ck_assert_uint_eq(last_ack.sack_bitmap, 0x3ull << (90 - 81));
	ck_assert_int_eq(count("SELECT seqs_abandoned FROM nodes WHERE id = 1"), 77);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 5);
}
END_TEST

START_TEST(test_ingest_io_error_keeps_every_reading_for_the_retry)
{
	fault_rc = SQLITE_IOERR_WRITE;
	for (uint32_t i = 1; i <= 10; i++)
		feed(i);
	run_for(100, NULL, 0);
	ck_assert_int_eq(n_acks, 0);
	fault_rc = 0;
	run_for(2000, &n_acks, 1);
	ck_assert_uint_eq(last_ack.cumulative, 10);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM readings"), 10);
	ck_assert_int_eq(count("SELECT COUNT(DISTINCT seq) FROM readings"), 10);
}
END_TEST

static Suite *
ingest_suite(void)
{
	Suite *s = suite_create("ingest");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_ingest_commits_by_size_and_acks_only_after_commit);
	tcase_add_test(core, test_ingest_commits_by_time);
	tcase_add_test(core, test_ingest_duplicate_is_reacked_never_stored_twice);
	tcase_add_test(core, test_ingest_alerts_and_node_status_are_qos1_even_at_qos0);
	tcase_add_test(limits, test_ingest_batch_is_bounded_while_the_store_fails);
	tcase_add_test(limits, test_ingest_node_status_is_not_lost_when_the_batch_is_full);
	tcase_add_test(limits,
	               test_ingest_outbox_drops_alert_stays_raised_while_the_outbox_is_full);
	tcase_add_test(errors, test_ingest_disk_full_stops_acking_backs_off_and_recovers);
	tcase_add_test(errors, test_ingest_io_error_keeps_every_reading_for_the_retry);
	tcase_add_test(
	        errors,
	        test_ingest_abandoned_seqs_are_persisted_only_with_the_commit_that_acks_them);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ingest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
