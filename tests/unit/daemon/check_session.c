/*
 * check_session: frame checks and ack bookkeeping. Frames are built with the
 * node's own code (wire_frame_seal, wire_msg) and opened by the session with
 * libsodium, and the session's Acks are opened with wire_frame_open: the two
 * AEAD implementations check each other in both directions. The seq floor
 * (NodeMessage.seq_floor) cases show the gap a node's dropped messages leave
 * is skipped, never stalls the window and never moves it back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "session.h"
#include "store.h"
#include "wire/frame.h"
#include "wire/msg.h"

static char dir[64], path[128];
static struct store *st;
static struct session *sess;
static const uint8_t key1[32] = {7, 7, 7};
static uint64_t counter;

/* A transport that records what the session sends. */
static uint8_t sent[8][WIRE_MAX_FRAME];
static size_t sent_len[8], n_sent;

static int
fake_send(struct transport *t, const struct transport_peer *to, const uint8_t *f, size_t len)
{
	(void)t;
	(void)to;
	if (n_sent < 8) {
		memcpy(sent[n_sent], f, len);
		sent_len[n_sent++] = len;
	}
	return 0;
}

static const struct transport_ops fake_ops = {.name = "fake", .send = fake_send};
static struct transport fake = {.ops = &fake_ops};
static struct transport_peer peer = {.t = &fake};

static void
setup(void)
{
	struct store_opts o = {.path = path, .synchronous = 1};

	snprintf(dir, sizeof(dir), "/tmp/check_session.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tf.db", dir);
	ck_assert_int_eq(store_open(&o, &st), 0);
	ck_assert_int_eq(store_node_add(st, 0, "n1", "", key1, NULL), 0);
	ck_assert_int_eq(session_new(&sess), 0);
	ck_assert_int_eq(session_load(sess, st), 0);
	counter = 100;
	n_sent = 0;
}

static void
teardown(void)
{
	char cmd[128];

	session_free(sess);
	store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
}

/* A message sealed by wire/ (the node's AEAD): an Inference with seq, or a
 * ChunkRequest when seq is 0; seq_floor 0 = none (a node from before it). */
static size_t
frame_msg(uint8_t *out, uint32_t node, const uint8_t *key, uint32_t seq, uint32_t seq_floor,
          uint64_t ctr)
{
	struct wire_node_msg m;
	uint8_t buf[WIRE_MSG_MAX];
	int n;

	memset(&m, 0, sizeof(m));
	m.seq_floor = seq_floor;
	if (seq == 0) {
		m.type = WIRE_NODE_CHUNK_REQUEST;
		m.u.chunk_request.model_id = 1;
	} else {
		m.type = WIRE_NODE_INFERENCE;
		m.u.inference.seq = seq;
		m.u.inference.label = 1;
	}
	n = wire_msg_node_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	n = wire_frame_seal(key, WIRE_DIR_N2G, node, ctr, buf, (size_t)n, out, WIRE_MAX_FRAME);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* An Inference from node with seq, without a seq floor. */
static size_t
frame_inference(uint8_t *out, uint32_t node, const uint8_t *key, uint32_t seq, uint64_t ctr)
{
	return frame_msg(out, node, key, seq, 0, ctr);
}

/* Staging as ingest does it: the node goes on the dirty list first. */
static void
stage(struct session_node *n, uint32_t seq)
{
	ck_assert_int_eq(session_touch(sess, n), 0);
	session_stage_seq(sess, n, seq);
}

static int
rx(uint32_t seq, struct session_rx *ret)
{
	uint8_t f[WIRE_MAX_FRAME];
	size_t len = frame_inference(f, 1, key1, seq, ++counter);

	return session_receive(sess, f, len, &peer, 1000, ret);
}

/* An Inference (or a ChunkRequest for seq 0) from node 1 with a seq floor. */
static int
rx_floor(uint32_t seq, uint32_t seq_floor, struct session_rx *ret)
{
	uint8_t f[WIRE_MAX_FRAME];
	size_t len = frame_msg(f, 1, key1, seq, seq_floor, ++counter);

	return session_receive(sess, f, len, &peer, 1000, ret);
}

static uint64_t
abandoned(void)
{
	struct session_stats ss;

	session_get_stats(sess, &ss);
	return ss.abandoned;
}

/* Commit what is staged (as ingest does) and decode the Ack that went out. */
static void
commit_and_read_ack(uint32_t *cum, uint64_t *sack)
{
	struct store_node_state *ns;
	size_t nn;
	bool need;
	uint8_t pt[WIRE_MAX_FRAME];
	struct wire_gw_msg g;
	int n;

	ck_assert_int_eq(session_prepare_commit(sess, &ns, &nn, &need), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0, ns, nn), 0);
	n_sent = 0;
	session_commit_done(sess, 5000);
	ck_assert_uint_ge(n_sent, 1);
	n = wire_frame_open(key1, WIRE_DIR_G2N, sent[0], sent_len[0], NULL, pt, sizeof(pt));
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(wire_msg_gw_decode(pt, (size_t)n, &g), 0);
	ck_assert_int_eq(g.type, WIRE_GW_ACK);
	*cum = g.u.ack.cumulative;
	*sack = g.u.ack.sack_bitmap;
}

/* Seqs 1..n received, staged and committed, as a node's first messages are. */
static void
store_first(uint32_t n)
{
	struct session_rx r;
	uint32_t cum, seq;
	uint64_t sack;

	for (seq = 1; seq <= n; seq++) {
		ck_assert_int_eq(rx(seq, &r), 0);
		ck_assert(!r.duplicate);
		stage(r.node, seq);
	}
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, n);
}

/* ---- core ---- */

START_TEST(test_session_accepts_authentic_frame_and_acks_after_commit)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	ck_assert_int_eq(rx(1, &r), 0);
	ck_assert(!r.duplicate);
	ck_assert_uint_eq(r.seq, 1);
	ck_assert_int_eq(r.msg->body_case, TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE);
	stage(r.node, r.seq);
	ck_assert_uint_eq(n_sent, 0); /* nothing before the commit */
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 1);
	ck_assert_uint_eq(sack, 0);
}
END_TEST

START_TEST(test_session_sack_reports_out_of_order_seqs)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	ck_assert_int_eq(rx(1, &r), 0);
	stage(r.node, 1);
	ck_assert_int_eq(rx(3, &r), 0);
	stage(r.node, 3);
	ck_assert_int_eq(rx(5, &r), 0);
	stage(r.node, 5);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 1);
	ck_assert_uint_eq(sack, 0xa); /* bit i = seq cum + 1 + i: seqs 3 and 5 */
}
END_TEST

START_TEST(test_session_duplicate_seq_is_flagged_and_acked_again)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	ck_assert_int_eq(rx(1, &r), 0);
	stage(r.node, 1);
	commit_and_read_ack(&cum, &sack);
	ck_assert_int_eq(rx(1, &r), 0); /* a retransmission: new counter, same seq */
	ck_assert(r.duplicate);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 1);
}
END_TEST

START_TEST(test_session_dedup_survives_restart)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	ck_assert_int_eq(rx(1, &r), 0);
	stage(r.node, 1);
	commit_and_read_ack(&cum, &sack);
	session_free(sess);
	ck_assert_int_eq(session_new(&sess), 0);
	ck_assert_int_eq(session_load(sess, st), 0);
	ck_assert_int_eq(rx(1, &r), 0);
	ck_assert(r.duplicate);
}
END_TEST

START_TEST(test_session_tx_counters_never_repeat_across_restart)
{
	struct session_rx r;
	struct wire_frame_hdr h1, h2;
	uint32_t cum;
	uint64_t sack;

	ck_assert_int_eq(rx(1, &r), 0);
	stage(r.node, 1);
	commit_and_read_ack(&cum, &sack);
	ck_assert_int_ge(wire_frame_parse(sent[0], sent_len[0], &h1), 0);
	/* Restart without a clean shutdown: the next counter is above the reserved block. */
	session_free(sess);
	ck_assert_int_eq(session_new(&sess), 0);
	ck_assert_int_eq(session_load(sess, st), 0);
	ck_assert_int_eq(rx(2, &r), 0);
	stage(r.node, 2);
	commit_and_read_ack(&cum, &sack);
	ck_assert_int_ge(wire_frame_parse(sent[0], sent_len[0], &h2), 0);
	ck_assert_uint_gt(h2.counter, h1.counter + SESSION_TX_BLOCK - 2);
}
END_TEST

START_TEST(test_session_reload_node_applies_new_key_and_removal)
{
	static const uint8_t key2[32] = {8, 8, 8};
	struct session_rx r;
	uint8_t f[WIRE_MAX_FRAME];
	size_t len;

	ck_assert_int_eq(rx(1, &r), 0);
	/* An operator gives node 1 a new key (control socket) and the session re-reads it. */
	ck_assert_int_eq(
	        sqlite3_exec(store__db(st),
	                     "UPDATE nodes SET key = "
	                     "x'0808080000000000000000000000000000000000000000000000000000000000', "
	                     "rx_highest = 0, ack_cum = 0 WHERE id = 1",
	                     NULL, NULL, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(session_reload_node(sess, st, 1), 0);
	len = frame_inference(f, 1, key1, 2, 9000);
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r), -(SESSION_DROP_FORGED + 1));
	len = frame_inference(f, 1, key2, 1, 1);
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r), 0);
	ck_assert(!r.duplicate); /* windows were reset with the key */
	ck_assert_int_eq(
	        sqlite3_exec(store__db(st), "DELETE FROM nodes WHERE id = 1", NULL, NULL, NULL),
	        SQLITE_OK);
	ck_assert_int_eq(session_reload_node(sess, st, 1), 0);
	len = frame_inference(f, 1, key2, 2, 2);
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r),
	                 -(SESSION_DROP_UNKNOWN_NODE + 1));
}
END_TEST

START_TEST(test_session_seq_floor_skips_gap_and_later_seqs_are_stored_and_acked)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(3);
	/* The node dropped 4..80 from its full outbox. Without a floor, 120 is
	 * more than 64 above the window and never acked: the old deadlock. */
	ck_assert_int_eq(rx(120, &r), -(SESSION_DROP_AHEAD + 1));
	ck_assert_int_eq(rx_floor(120, 81, &r), 0);
	ck_assert(!r.duplicate);
	stage(r.node, 120);
	ck_assert_uint_eq(r.node->abandoned, 77);
	ck_assert_uint_eq(abandoned(), 77);
	ck_assert_int_eq(rx_floor(81, 81, &r), 0);
	ck_assert(!r.duplicate);
	stage(r.node, 81);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 81);
	ck_assert_uint_eq(sack, 1ull << (120 - 82));
	/* And on from there: the rest of the node's outbox. */
	for (uint32_t seq = 82; seq < 120; seq++) {
		ck_assert_int_eq(rx_floor(seq, 82, &r), 0);
		ck_assert(!r.duplicate);
		stage(r.node, seq);
	}
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 120);
	ck_assert_uint_eq(sack, 0);
	ck_assert_uint_eq(abandoned(), 77);
}
END_TEST

START_TEST(test_session_seq_floor_folds_in_selective_acks_above_it)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(1);
	/* 5 and 6 stored out of order; 2..4 were dropped by the node. */
	ck_assert_int_eq(rx(5, &r), 0);
	stage(r.node, 5);
	ck_assert_int_eq(rx(6, &r), 0);
	stage(r.node, 6);
	ck_assert_int_eq(rx_floor(7, 5, &r), 0);
	ck_assert(!r.duplicate);
	stage(r.node, 7);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 7);
	ck_assert_uint_eq(sack, 0);
	ck_assert_uint_eq(abandoned(), 3);
}
END_TEST

START_TEST(test_session_seq_floor_never_moves_back)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(2);
	ck_assert_int_eq(rx_floor(50, 40, &r), 0);
	stage(r.node, 50);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 39);
	/* An older frame (reordered, or a node that rebooted before its acks
	 * reached flash) carries a lower floor: nothing moves, nothing counts. */
	ck_assert_int_eq(rx_floor(45, 10, &r), 0);
	ck_assert(!r.duplicate);
	stage(r.node, 45);
	ck_assert_int_eq(rx_floor(50, 40, &r), 0);
	ck_assert(r.duplicate);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 39);
	ck_assert_uint_eq(sack, (1ull << (45 - 40)) | (1ull << (50 - 40)));
	ck_assert_uint_eq(abandoned(), 37);
}
END_TEST

START_TEST(test_session_late_arrival_below_floor_is_a_duplicate)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(3);
	ck_assert_int_eq(rx_floor(30, 30, &r), 0);
	stage(r.node, 30);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 30);
	/* 12 was sent before the node dropped it and arrives late: acked, not stored. */
	ck_assert_int_eq(rx(12, &r), 0);
	ck_assert(r.duplicate);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 30);
}
END_TEST

START_TEST(test_session_seq_floor_survives_restart)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(1);
	/* A floor alone (nothing new to store) still reaches the database. */
	ck_assert_int_eq(rx(1, &r), 0);
	ck_assert(r.duplicate);
	ck_assert_int_eq(rx_floor(0, 20, &r), 0); /* a ChunkRequest carries it too */
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 19);
	session_free(sess);
	ck_assert_int_eq(session_new(&sess), 0);
	ck_assert_int_eq(session_load(sess, st), 0);
	ck_assert_int_eq(rx(7, &r), 0);
	ck_assert(r.duplicate);
	ck_assert_int_eq(rx(20, &r), 0);
	ck_assert(!r.duplicate);
}
END_TEST

/* nodes.seqs_abandoned of node 1 as the database holds it (committed). */
static int64_t
db_abandoned(void)
{
	struct store_node sn;

	ck_assert_int_eq(store_node_get(st, 1, &sn), 0);
	return (int64_t)sn.seqs_abandoned;
}

START_TEST(test_session_abandoned_count_is_committed_with_the_window_and_survives_restart)
{
	struct session_rx r;
	struct store_node_state *ns;
	size_t nn;
	bool need;
	uint32_t cum;
	uint64_t sack;

	store_first(3);
	ck_assert_int_eq(db_abandoned(), 0);
	ck_assert_int_eq(rx_floor(120, 81, &r), 0); /* 4..80 dropped by the node: 77 */
	stage(r.node, 120);
	/* Staged, not committed: the database does not have it yet... */
	ck_assert_uint_eq(r.node->abandoned, 77);
	ck_assert_int_eq(db_abandoned(), 0);
	/* ...the batch's node state carries it, and a write is due. */
	ck_assert_int_eq(session_prepare_commit(sess, &ns, &nn, &need), 0);
	ck_assert_uint_eq(nn, 1);
	ck_assert_uint_eq(ns[0].seqs_abandoned, 77);
	ck_assert(need);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 80);
	ck_assert_int_eq(db_abandoned(), 77);
	/* A restart starts from the database's count and adds to it. */
	session_free(sess);
	ck_assert_int_eq(session_new(&sess), 0);
	ck_assert_int_eq(session_load(sess, st), 0);
	ck_assert_uint_eq(session_find(sess, 1)->abandoned, 77);
	ck_assert_uint_eq(abandoned(), 0); /* the gateway-wide figure is since start */
	/* 81..124 but 120 (stored): 43 more. */
	ck_assert_int_eq(rx_floor(130, 125, &r), 0);
	stage(r.node, 130);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 124);
	ck_assert_uint_eq(r.node->abandoned, 120);
	ck_assert_uint_eq(abandoned(), 43);
	ck_assert_int_eq(db_abandoned(), 120);
}
END_TEST

START_TEST(test_session_abandoned_count_not_committed_is_retried_not_lost_or_doubled)
{
	struct session_rx r;
	struct store_node_state *ns;
	size_t nn;
	bool need;
	uint32_t cum;
	uint64_t sack;

	store_first(1);
	ck_assert_int_eq(rx_floor(12, 10, &r), 0); /* 2..9: 8 */
	stage(r.node, 12);
	/* A commit that fails leaves the batch as it was (ingest retries it as is). */
	ck_assert_int_eq(session_prepare_commit(sess, &ns, &nn, &need), 0);
	ck_assert_uint_eq(ns[0].seqs_abandoned, 8);
	ck_assert_int_eq(db_abandoned(), 0);
	/* The node repeats its floor with every frame: counted once. */
	ck_assert_int_eq(rx_floor(13, 10, &r), 0);
	stage(r.node, 13);
	ck_assert_int_eq(rx_floor(11, 10, &r), 0);
	stage(r.node, 11);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 9); /* 10 is still on its way */
	ck_assert_uint_eq(sack, 0x7ull << 1);
	ck_assert_int_eq(db_abandoned(), 8);
	ck_assert_uint_eq(abandoned(), 8);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_session_seq_beyond_window_is_dropped_unacked)
{
	struct session_rx r;

	ck_assert_int_eq(rx(1, &r), 0);
	stage(r.node, 1);
	ck_assert_int_eq(rx(66, &r), -(SESSION_DROP_AHEAD + 1));
	ck_assert_int_eq(rx(65, &r), 0);
}
END_TEST

START_TEST(test_session_first_contact_starts_window_at_first_seq)
{
	struct session_rx r;

	ck_assert_int_eq(rx(5000, &r), 0);
	ck_assert(!r.duplicate);
}
END_TEST

START_TEST(test_session_seq_floor_far_above_window_clears_selective_acks)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(1);
	ck_assert_int_eq(rx(3, &r), 0);
	stage(r.node, 3);
	/* 200 - 1 - 1 = 198 seqs skipped, 3 of them stored: 197 abandoned. */
	ck_assert_int_eq(rx_floor(230, 200, &r), 0);
	ck_assert(!r.duplicate);
	stage(r.node, 230);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 199);
	ck_assert_uint_eq(sack, 1ull << (230 - 200));
	ck_assert_uint_eq(abandoned(), 197);
}
END_TEST

START_TEST(test_session_first_contact_floor_starts_window_uncounted)
{
	struct session_rx r;

	/* A node that ran before it was enrolled here: its newest message may
	 * arrive first, and the floor keeps the older unacked ones storable. */
	ck_assert_int_eq(rx_floor(5000, 4990, &r), 0);
	ck_assert(!r.duplicate);
	ck_assert_int_eq(rx_floor(4990, 4990, &r), 0);
	ck_assert(!r.duplicate);
	ck_assert_int_eq(rx_floor(4989, 4990, &r), 0);
	ck_assert(r.duplicate);
	ck_assert_uint_eq(abandoned(), 0);
}
END_TEST

START_TEST(test_session_seq_floor_of_zero_or_at_window_changes_nothing)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(3);
	ck_assert_int_eq(rx_floor(4, 4, &r), 0); /* floor = cum + 1: nothing skipped */
	ck_assert(!r.duplicate);
	stage(r.node, 4);
	ck_assert_int_eq(rx_floor(5, 0, &r), 0);
	stage(r.node, 5);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 5);
	ck_assert_uint_eq(abandoned(), 0);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_session_seq_floor_above_its_own_seq_is_ignored)
{
	struct session_rx r;
	uint32_t cum;
	uint64_t sack;

	store_first(3);
	/* A node never sends a message below its own floor: believing this one
	 * would throw 4 away as a duplicate. */
	ck_assert_int_eq(rx_floor(4, 9, &r), 0);
	ck_assert(!r.duplicate);
	stage(r.node, 4);
	commit_and_read_ack(&cum, &sack);
	ck_assert_uint_eq(cum, 4);
	ck_assert_uint_eq(abandoned(), 0);
}
END_TEST

START_TEST(test_session_drops_replayed_frame)
{
	struct session_rx r;
	struct session_stats ss;
	uint8_t f[WIRE_MAX_FRAME], copy[WIRE_MAX_FRAME];
	size_t len = frame_inference(f, 1, key1, 1, 500);

	memcpy(copy, f, len);
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r), 0);
	ck_assert_int_eq(session_receive(sess, copy, len, &peer, 1, &r),
	                 -(SESSION_DROP_REPLAY + 1));
	session_get_stats(sess, &ss);
	ck_assert_uint_eq(ss.dropped[SESSION_DROP_REPLAY], 1);
}
END_TEST

START_TEST(test_session_drops_forged_frame_without_moving_window)
{
	static const uint8_t wrong[32] = {9};
	struct session_rx r;
	struct session_stats ss;
	uint8_t f[WIRE_MAX_FRAME];
	size_t len = frame_inference(f, 1, wrong, 1, 900);

	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r), -(SESSION_DROP_FORGED + 1));
	/* A lower counter with the right key still passes: the forgery moved nothing. */
	len = frame_inference(f, 1, key1, 1, 800);
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r), 0);
	len = frame_inference(f, 1, key1, 2, 801);
	f[len - 1] ^= 1; /* tag bit */
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r), -(SESSION_DROP_FORGED + 1));
	session_get_stats(sess, &ss);
	ck_assert_uint_eq(ss.dropped[SESSION_DROP_FORGED], 2);
}
END_TEST

START_TEST(test_session_drops_unknown_node)
{
	struct session_rx r;
	uint8_t f[WIRE_MAX_FRAME];
	size_t len = frame_inference(f, 42, key1, 1, 1);

	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r),
	                 -(SESSION_DROP_UNKNOWN_NODE + 1));
}
END_TEST

START_TEST(test_session_drops_malformed_and_gateway_direction_frames)
{
	struct session_rx r;
	uint8_t f[WIRE_MAX_FRAME];
	size_t len = frame_inference(f, 1, key1, 1, 1);

	ck_assert_int_eq(session_receive(sess, f, 10, &peer, 1, &r), -(SESSION_DROP_MALFORMED + 1));
	f[1] = WIRE_FRAME_FLAG_G2N; /* a reflected gateway frame */
	ck_assert_int_eq(session_receive(sess, f, len, &peer, 1, &r),
	                 -(SESSION_DROP_MALFORMED + 1));
}
END_TEST

START_TEST(test_session_drops_undecodable_plaintext)
{
	struct session_rx r;
	uint8_t f[WIRE_MAX_FRAME], junk[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	int n = wire_frame_seal(key1, WIRE_DIR_N2G, 1, 77, junk, sizeof(junk), f, sizeof(f));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(session_receive(sess, f, (size_t)n, &peer, 1, &r),
	                 -(SESSION_DROP_DECODE + 1));
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_add_test(core, test_session_accepts_authentic_frame_and_acks_after_commit);
	tcase_add_test(core, test_session_sack_reports_out_of_order_seqs);
	tcase_add_test(core, test_session_duplicate_seq_is_flagged_and_acked_again);
	tcase_add_test(core, test_session_dedup_survives_restart);
	tcase_add_test(core, test_session_tx_counters_never_repeat_across_restart);
	tcase_add_test(core, test_session_reload_node_applies_new_key_and_removal);
	tcase_add_test(core, test_session_seq_floor_skips_gap_and_later_seqs_are_stored_and_acked);
	tcase_add_test(core, test_session_seq_floor_folds_in_selective_acks_above_it);
	tcase_add_test(core, test_session_seq_floor_never_moves_back);
	tcase_add_test(core, test_session_late_arrival_below_floor_is_a_duplicate);
	tcase_add_test(core, test_session_seq_floor_survives_restart);
	tcase_add_test(
	        core,
	        test_session_abandoned_count_is_committed_with_the_window_and_survives_restart);
	tcase_add_test(core,
	               test_session_abandoned_count_not_committed_is_retried_not_lost_or_doubled);
	tcase_add_test(limits, test_session_seq_beyond_window_is_dropped_unacked);
	tcase_add_test(limits, test_session_first_contact_starts_window_at_first_seq);
	tcase_add_test(limits, test_session_seq_floor_far_above_window_clears_selective_acks);
	tcase_add_test(limits, test_session_first_contact_floor_starts_window_uncounted);
	tcase_add_test(limits, test_session_seq_floor_of_zero_or_at_window_changes_nothing);
	tcase_add_test(errors, test_session_drops_replayed_frame);
	tcase_add_test(errors, test_session_drops_forged_frame_without_moving_window);
	tcase_add_test(errors, test_session_drops_unknown_node);
	tcase_add_test(errors, test_session_drops_malformed_and_gateway_direction_frames);
	tcase_add_test(errors, test_session_drops_undecodable_plaintext);
	tcase_add_test(errors, test_session_seq_floor_above_its_own_seq_is_ignored);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
