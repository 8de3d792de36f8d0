/*
 * outbox: the bounded set of reportable messages not yet acked by the gateway,
 * mirrored in a flash log so that a reboot keeps it.
 *
 * Entries hold the encoded NodeMessage plaintext (not the frame): each
 * (re)transmission is sealed again with a fresh frame counter, so a nonce is
 * never reused. Each entry has its own retransmit timer: initial timeout, then
 * doubled per attempt up to a cap, each time with +-25% random jitter so that a
 * fleet rebooting together does not retransmit in lockstep.
 *
 * Acks are cumulative plus a 64-bit selective bitmap (node.proto Ack); both
 * remove entries. When the outbox is full, the oldest Inference is dropped to
 * make room (never Health, Hello or ModelStatus); drops are counted here and
 * reported in Health. If every entry is a kind that must not be dropped, a new
 * Inference is refused (counted as a drop), and a new non-Inference displaces
 * the oldest entry of its own kind (counted too). Nothing leaves the outbox
 * without either an ack or a count.
 *
 * Every frame the node sends carries the outbox's seq floor
 * (NodeMessage.seq_floor, agent_outbox_floor()): the oldest seq still here,
 * so every seq below it is acked or abandoned. A dropped seq thus never stalls
 * the gateway's ack window: the gateway moves its cumulative ack up to the
 * floor and counts the seqs it skips.
 *
 * The flash log: two halves, each starting with a 16-byte header written LAST
 * (so a half is only valid once complete) and followed by records:
 *   ENQ (seq, kind, message bytes) and DEL (a list of seqs removed).
 * Appends go to the active half. When it is full, the other half is erased and
 * a snapshot of the live entries is written to it, then its header with the
 * next generation; only then does it become active. Boot takes the valid half
 * with the highest generation and replays its records up to the first bad CRC.
 */
#ifndef TF_AGENT_OUTBOX_H
#define TF_AGENT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "agent/layout.h"
#include "ports/port.h"

#ifndef AGENT_OUTBOX_CAP
#define AGENT_OUTBOX_CAP 32 /* entries; <= 64 so one Ack bitmap can cover them */
#endif
#ifndef AGENT_MSG_MAX
#define AGENT_MSG_MAX 232 /* largest encoded reportable message kept */
#endif

/*
 * The gateway stores a seq only when it is at most 64 above its cumulative ack
 * (docs/PROTOCOL.md "Reliability fields"). The floor lets it move that ack past
 * dropped seqs, but never past the floor itself (the oldest entry here, which
 * it has not stored, or it would have acked it), so entries 64 or more above
 * the floor wait instead of being sent for nothing. Drops no longer hold them
 * back: only an entry that stays unacked does (until a retransmission of it
 * gets through).
 */
#define AGENT_SEQ_WINDOW 64u

/* Kinds, by drop policy. */
enum agent_msg_kind {
	AGENT_KIND_INFERENCE = 1, /* droppable when full, oldest first */
	AGENT_KIND_HEALTH = 2,
	AGENT_KIND_HELLO = 3,
	AGENT_KIND_STATUS = 4 /* ModelStatus */
};

struct agent_outbox_entry {
	uint32_t seq;         /* application seq; 0 = free entry */
	uint32_t next_due_ms; /* when to (re)transmit, agent ms clock (wraps after 49 days) */
	uint16_t len;         /* bytes used in msg */
	uint8_t kind;         /* enum agent_msg_kind */
	uint8_t tries;        /* transmissions so far */
	uint8_t msg[AGENT_MSG_MAX];
};

struct agent_outbox {
	struct agent_outbox_entry e[AGENT_OUTBOX_CAP];
	uint32_t count;       /* live entries */
	uint32_t next_seq;    /* seq of the next message, >= 1 */
	uint32_t drops;       /* messages dropped since boot because full */
	uint32_t retransmits; /* transmissions after the first, since boot */
	uint32_t rto_initial_ms;
	uint32_t rto_max_ms;
	/* flash log */
	const struct port_ops *ops;
	void *ctx;
	uint32_t log_off[2];                 /* first byte of each half */
	uint32_t log_half;                   /* bytes per half */
	uint32_t log_active;                 /* 0 or 1 */
	uint32_t log_gen;                    /* generation of the active half */
	uint32_t log_pos;                    /* next append offset inside the active half */
	uint32_t log_errors;                 /* flash writes that failed (entry kept in RAM) */
	uint32_t pend_del[AGENT_OUTBOX_CAP]; /* removals not yet in the log */
	uint32_t n_pend;
};

/* Bytes one half must hold: two snapshots of a full outbox. */
uint32_t agent_outbox_log_need(void);

/*
 * Binds the outbox to its flash log and restores it: entries and next_seq come
 * back as they were at the last append. Restored entries are due at now_ms.
 * A log without a valid half gives an empty outbox with next_seq 1. Returns 0
 * or AGENT_EIO.
 */
int agent_outbox_open(struct agent_outbox *ob, const struct port_ops *ops, void *ctx,
                      const struct agent_layout *lay, uint32_t now_ms);

/* Retransmit timing (Config); 0 keeps the built-in defaults (1 s, 60 s). */
void agent_outbox_set_rto(struct agent_outbox *ob, uint32_t initial_ms, uint32_t max_ms);

/*
 * Adds a message and logs it. The message must already carry seq; take it with
 * agent_outbox_take_seq(). Drops per the policy above when full. Returns 0 (or
 * 1 when something was dropped to make room), AGENT_EFULL when the message
 * itself was refused (counted as a drop), AGENT_EINVAL for len > AGENT_MSG_MAX.
 */
int agent_outbox_push(struct agent_outbox *ob, uint32_t seq, enum agent_msg_kind kind,
                      const uint8_t *msg, size_t len, uint32_t now_ms);

/* Writes pending removals to the log now (orderly shutdown). 0 or AGENT_EIO. */
int agent_outbox_flush(struct agent_outbox *ob);

/* Returns the next application seq and advances it (never 0). */
uint32_t agent_outbox_take_seq(struct agent_outbox *ob);

/*
 * Applies an Ack: removes every entry with seq <= cumulative and every seq
 * cumulative + 1 + i whose bit i is set. Returns the number removed. The
 * removals reach flash with the next push (in the same write) or
 * agent_outbox_flush(): a reset before that resends messages the gateway
 * already acked, which it acks again without storing them twice.
 */
int agent_outbox_ack(struct agent_outbox *ob, uint32_t cumulative, uint64_t sack);

/*
 * The entry due soonest at or before now_ms within the seq window, or NULL.
 * After sending it, call agent_outbox_sent() to schedule its retransmission.
 */
struct agent_outbox_entry *agent_outbox_due(struct agent_outbox *ob, uint32_t now_ms);

/* Records one transmission of e and schedules the next with backoff and jitter. */
void agent_outbox_sent(struct agent_outbox *ob, struct agent_outbox_entry *e, uint32_t now_ms);

/* Time of the earliest due entry, or now_ms + 0x7fffffff when empty. */
uint32_t agent_outbox_next_due(const struct agent_outbox *ob, uint32_t now_ms);

/* Moves every entry's timer to now_ms (e.g. after TimeSync: the gateway is back). */
void agent_outbox_kick(struct agent_outbox *ob, uint32_t now_ms);

/* Oldest live seq, or 0 when empty. */
uint32_t agent_outbox_oldest(const struct agent_outbox *ob);

/*
 * The seq floor every frame carries (NodeMessage.seq_floor): the oldest live
 * seq, or next_seq when the outbox is empty. Every seq below it is acked, or
 * abandoned (dropped when full, refused, or burnt by a failed encode) and
 * never sent again. It never decreases while the node runs; after a reboot it
 * may come back lower (removals not yet in flash), which the gateway ignores.
 */
uint32_t agent_outbox_floor(const struct agent_outbox *ob);

#endif
