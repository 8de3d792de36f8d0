/*
 * session: what the gateway knows about each enrolled node while it runs,
 * and the checks every received frame passes before anything acts on it.
 *
 * Receiving, in order: parse the clear header (wire_frame_parse); look the
 * node up (unknown: drop); replay window check (wire_replay_check); decrypt
 * and verify with libsodium's ChaCha20-Poly1305 (deliberately NOT wire/aead,
 * so the node's and the gateway's implementations check each other); only
 * then move the replay window; decode with protobuf-c (codec); check the
 * application seq against the node's ack window.
 *
 * The ack window is (cumulative, 64-bit selective bitmap) exactly as the Ack
 * message carries it. A seq at or below cumulative, or with its bit set, is
 * a duplicate: it is acked again and never stored twice. A seq more than 64
 * above cumulative is refused (not stored, not acked): the node retransmits
 * it once the gap below it is filled. The window is kept twice: `staged`
 * includes seqs waiting in the current batch, `committed` only what the
 * database holds; acks always report `committed`, and the committed window
 * is persisted in the same transaction as the rows, so dedup survives a
 * restart (and a kill -9) exactly.
 *
 * Seq floor (NodeMessage.seq_floor, docs/PROTOCOL.md): a node says that every
 * seq below its floor is acked or abandoned (dropped from its full outbox) and
 * will never be sent again. Before the window check, a floor above the staged
 * window moves it up to floor - 1 (selective bits above fold in); the seqs it
 * skips that were never stored here are counted per node (`abandoned`),
 * persisted with the window in the batch's transaction (nodes.seqs_abandoned:
 * it survives restarts, and what the database holds is what was committed)
 * and logged at debug level. A floor never moves the window back, a floor above
 * the frame's own seq is impossible and ignored, and on first contact the
 * jump is not counted (the node numbered those before it reached us). Seqs
 * below the floor that arrive later are duplicates: acked, not stored.
 *
 * Gateway-to-node frames use their own counter per node. Counters are
 * reserved in blocks in the database (like the node does in flash) before
 * any of them is used, so a counter never repeats across restarts.
 */
#ifndef TF_DAEMON_SESSION_H
#define TF_DAEMON_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "store.h"
#include "transport.h"
#include "wire/replay.h"

#define SESSION_TX_BLOCK 1024 /* gateway->node counters reserved per database write */

struct session_node {
	uint32_t id;
	char name[STORE_NAME_MAX];
	uint8_t key[STORE_KEY_BYTES]; /* secret: never logged */
	struct wire_replay rx;        /* node->gateway replay window (live) */
	uint32_t cum;                 /* committed ack window */
	uint64_t sack;
	uint32_t staged_cum; /* committed + staged in the current batch */
	uint64_t staged_sack;
	uint64_t tx_next;     /* next gateway->node counter */
	uint64_t tx_reserved; /* counters < this are reserved in the database */
	int64_t last_seen_ms;
	struct transport_peer peer; /* where its last authentic frame came from */
	bool has_peer;
	bool dirty;         /* in the session's dirty list (state to persist / acks to send) */
	bool removed;       /* deleted by an operator: its frames count as unknown */
	bool ack_due;       /* send an Ack after the next commit */
	bool time_sync_due; /* send a TimeSync after the next commit */
	uint64_t echo_mono_ms;
	uint64_t abandoned; /* seqs below the node's seq_floor never stored here, in all (staged
	                       included; committed with the window) */
};

/* Why a frame was dropped. */
enum session_drop {
	SESSION_DROP_MALFORMED = 0, /* header does not parse, wrong direction */
	SESSION_DROP_UNKNOWN_NODE,
	SESSION_DROP_FORGED, /* tag does not verify */
	SESSION_DROP_REPLAY, /* counter replayed or older than the window */
	SESSION_DROP_DECODE, /* plaintext is not a valid NodeMessage */
	SESSION_DROP_AHEAD,  /* seq more than 64 above the ack window */
	SESSION_DROP__MAX
};

struct session_stats {
	uint64_t accepted;   /* authentic, decoded, new */
	uint64_t duplicates; /* authentic, decoded, already stored or staged */
	uint64_t dropped[SESSION_DROP__MAX];
	uint64_t abandoned; /* seqs skipped by nodes' seq_floor, never stored (all nodes) */
	uint64_t acks_sent, time_syncs_sent, tx_errors;
};

struct session;

/* A frame that passed every check. msg lives in the session's codec buffer until the next call. */
struct session_rx {
	struct session_node *node;
	const Tinyfleet__V1__NodeMessage *msg;
	uint32_t seq;
	bool duplicate; /* already stored or staged: do not store again (it is acked) */
};

int session_new(struct session **ret);
void session_free(struct session *s);

/*
 * Loads every enrolled node from the store (or the ones added since the last
 * call: nodes already known keep their live state). Returns 0 or an error.
 */
int session_load(struct session *s, struct store *st);
size_t session_count(const struct session *s);
struct session_node *session_find(struct session *s, uint32_t node_id);

/*
 * Runs a received frame through every check. Returns 0 and fills *ret when
 * the frame is authentic and decoded, or a negative value with the reason
 * counted (-(SESSION_DROP_x + 1)). frame may be modified (decrypted in place).
 */
int session_receive(struct session *s, uint8_t *frame, size_t len,
                    const struct transport_peer *from, int64_t now_ms, struct session_rx *ret);

/*
 * Adds n to the dirty list (idempotent): its state goes into the next commit
 * and its acks out after it. Call BEFORE staging a record of n, so that a
 * record is never committed without the window that says it is stored.
 * Returns 0 or -ENOMEM.
 */
int session_touch(struct session *s, struct session_node *n);
/* The message with seq was staged for the batch (n touched): mark it in the staged window. */
void session_stage_seq(struct session *s, struct session_node *n, uint32_t seq);
/*
 * Re-reads one node from the store after an operator changed it (new key:
 * windows reset; removed: frames from it are dropped as unknown from now on;
 * new: added). For the control socket. Returns 0 or a store error.
 */
int session_reload_node(struct session *s, struct store *st, uint32_t node_id);

/*
 * Before a commit: fills nodes[] (capacity max) with the state of every dirty
 * node, reserving another block of tx counters where one is running low.
 * *ret_n is the count; *ret_need_write is true when something must reach the
 * database even without rows (new seqs, a counter reservation).
 */
int session_prepare_commit(struct session *s, struct store_node_state **ret_nodes, size_t *ret_n,
                           bool *ret_need_write);
/*
 * After a successful commit: committed := staged; sends the due Acks and
 * TimeSyncs (now_ms is the gateway unix time for TimeSync); clears the dirty
 * list.
 */
void session_commit_done(struct session *s, int64_t now_ms);
/* Nodes waiting in the dirty list. */
size_t session_dirty_count(const struct session *s);

void session_get_stats(const struct session *s, struct session_stats *ret);
const char *session_drop_name(enum session_drop d);

/* Builds a sealed gateway->node frame with libsodium (also used by tests). */
int session_seal(const uint8_t key[32], uint32_t node_id, uint64_t counter, const uint8_t *msg,
                 size_t msg_len, uint8_t *out, size_t out_size);

#endif
