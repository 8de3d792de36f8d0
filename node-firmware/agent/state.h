/*
 * state: the node's small persistent record, kept in two flash sectors.
 *
 * The record holds what must survive a reboot besides the outbox and the model
 * slots: the frame counter reservation, the boot count, the active slot and the
 * gateway's Config. Records are appended to the current sector with a growing
 * generation number and a CRC; boot takes the valid record with the highest
 * generation. When a sector is full (or its tail was torn by a reset), the other
 * sector is erased and the next record goes to its start, so the newest valid
 * record is never erased before its successor is written.
 *
 * Counter reservation (docs/PROTOCOL.md "Node counters across reboots"): frame
 * counters are used in blocks of AGENT_COUNTER_BLOCK. Before the first counter of
 * a block is used, the record saying "the next block starts at X" is written.
 * On boot the node jumps to X and reserves the block after it, so no counter
 * (and so no nonce) is ever used twice, whatever the moment of a reset.
 */
#ifndef TF_AGENT_STATE_H
#define TF_AGENT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/layout.h"
#include "ports/port.h"

#define AGENT_STATE_MAGIC   0x31534654u /* "TFS1" */
#define AGENT_COUNTER_BLOCK 1024u

/* Slot index meaning "the built-in model". */
#define AGENT_SLOT_BUILTIN 0xffu

/* Stored little-endian as laid out here (no padding); rec_bytes is 96. */
struct agent_state {
	uint32_t magic;               /* AGENT_STATE_MAGIC */
	uint32_t gen;                 /* grows by one per save */
	uint64_t counter_next;        /* first frame counter not yet reserved */
	uint64_t gw_counter;          /* highest gateway counter accepted when saved */
	uint32_t boots;               /* boots since provisioning (this one included) */
	uint32_t reset_reason;        /* enum port_reset_reason the agent requested last */
	uint32_t active_slot;         /* 0, 1 or AGENT_SLOT_BUILTIN */
	uint32_t trial_boots;         /* boots of active_slot before it was confirmed */
	uint32_t confirmed;           /* 1: active_slot has run inferences fine */
	uint32_t inference_period_ms; /* Config; 0 = node default */
	uint32_t health_period_ms;
	uint32_t status_period_ms;
	uint32_t report_min_permille;
	uint32_t rto_initial_ms;
	uint32_t rto_max_ms;
	uint32_t battery_low_mv;
	uint32_t config_version;
	uint32_t drops_total; /* outbox drops over the node's life */
	uint32_t reserved[3]; /* zero; room for later fields */
	uint32_t crc;         /* CRC-32 of every byte before it */
};

/* Where the next record goes; filled by agent_state_load(). */
struct agent_state_log {
	uint32_t sector;   /* 0 or 1: the sector holding the newest record */
	uint32_t next_off; /* byte offset of the next free record place in it */
	uint32_t dirty;    /* 1: the place at next_off is not erased; move on save */
};

/*
 * Reads the newest valid record. On success *ret is it and 0 is returned; with
 * no valid record at all (fresh or wiped flash) *ret is a zeroed record and
 * AGENT_ENOENT is returned; *log is filled in both cases. AGENT_EIO on a
 * read error.
 */
int agent_state_load(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                     struct agent_state *ret, struct agent_state_log *log);

/*
 * Appends st as the newest record (st->gen is incremented, magic and crc set).
 * Returns 0, or AGENT_EIO when the port fails to erase or write; st's gen is
 * then still incremented, which is harmless.
 */
int agent_state_save(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                     struct agent_state_log *log, struct agent_state *st);

#endif
