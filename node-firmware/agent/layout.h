/*
 * layout: how the agent carves the port's flash into regions, in sectors.
 *
 *   [state A][state B][outbox half 0 ...][outbox half 1 ...][slot A ...][slot B ...]
 *
 * - Two state sectors hold the persistent state record log (state.h).
 * - The outbox log has two halves of equal size, each big enough for two full
 *   snapshots of the outbox (outbox.h), so compaction always fits.
 * - The rest is split evenly between model slots A and B (slots.h); a slot
 *   starts with a header sector's first bytes, the image follows at offset
 *   AGENT_SLOT_HDR_BYTES.
 *
 * The layout is a pure function of the geometry and the outbox capacity, so a
 * restart with the same flash finds everything where it was.
 */
#ifndef TF_AGENT_LAYOUT_H
#define TF_AGENT_LAYOUT_H

#include <stdint.h>

#include "ports/port.h"

struct agent_layout {
	uint32_t sector;      /* sector size */
	uint32_t state_off;   /* first of the two state sectors */
	uint32_t outbox_off;  /* first byte of outbox half 0 */
	uint32_t outbox_half; /* bytes per half (whole sectors) */
	uint32_t slot_off[2]; /* first byte of slot A and B */
	uint32_t slot_len;    /* bytes per slot, header included */
};

/*
 * Computes the layout for `fi`. Returns 0, or AGENT_ENOSPC when the device
 * cannot hold state, outbox and two slots of at least one sector of image.
 */
int agent_layout_compute(const struct port_flash_info *fi, struct agent_layout *ret);

#endif
