/*
 * slots: model slots A and B in flash.
 *
 * A slot is one flash region (layout.h): a header in its first
 * AGENT_SLOT_HDR_BYTES, then the .tflite image. The header (id, version, size,
 * SHA-256, CRC) is written LAST, only after the whole image is in flash and its
 * SHA-256 checks out, so a slot either has a complete verified image or no
 * header at all; a reset in the middle of a download leaves an empty slot.
 * After the header comes one "failed" word that starts erased (0xFFFFFFFF) and
 * is cleared to 0 when the model fails to open or crashes the node: NOR flash
 * lets the agent clear bits without an erase, so marking a slot failed cannot
 * damage its header.
 *
 * Download (the rollout issue) uses agent_slot_erase(), agent_slot_write() per
 * chunk and agent_slot_commit(); boot uses agent_slot_read() and
 * agent_slot_verify(); which slot is active lives in the state record.
 */
#ifndef TF_AGENT_SLOTS_H
#define TF_AGENT_SLOTS_H

#include <stdint.h>

#include "agent/layout.h"
#include "ports/port.h"

#define AGENT_SLOT_MAGIC     0x314d4654u /* "TFM1" */
#define AGENT_SLOT_HDR_BYTES 128u

/* What a slot holds, from its header. */
struct agent_slot_info {
	uint32_t magic;         /* AGENT_SLOT_MAGIC */
	uint32_t model_id;      /* gateway-assigned id, never 0 */
	uint32_t model_version; /* never 0 */
	uint32_t size;          /* image bytes */
	uint8_t sha256[32];     /* SHA-256 of the image */
	uint32_t arena_bytes;   /* from the offer; informational */
	uint32_t reserved[3];   /* zero */
	uint32_t crc;           /* CRC-32 of the fields above */
	uint32_t failed;        /* 0xFFFFFFFF: fine; 0: marked failed (outside the CRC) */
};

/* Largest image a slot can hold. */
uint32_t agent_slot_capacity(const struct agent_layout *lay);

/*
 * Reads slot idx's header. Returns 0 with *ret filled; AGENT_ENOENT for an
 * empty slot (erased header); AGENT_ECORRUPT for a header with a bad magic or
 * CRC or an impossible size; AGENT_EIO; AGENT_EINVAL for idx > 1.
 * A header marked failed is returned with ret->failed == 0.
 */
int agent_slot_read(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                    unsigned idx, struct agent_slot_info *ret);

/* Recomputes the image's SHA-256: 0 when it matches, AGENT_ECORRUPT, AGENT_EIO. */
int agent_slot_verify(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                      unsigned idx, const struct agent_slot_info *info);

/* Clears the failed word. 0 or AGENT_EIO. */
int agent_slot_mark_failed(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                           unsigned idx);

/* Erases the whole slot (start of a download). 0 or AGENT_EIO. */
int agent_slot_erase(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                     unsigned idx);

/* Writes image bytes at image offset off. AGENT_ENOSPC past the capacity. */
int agent_slot_write(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                     unsigned idx, uint32_t off, const void *data, uint32_t len);

/*
 * Verifies the image against info (size, SHA-256) and writes the header.
 * 0, AGENT_ECORRUPT (SHA mismatch: nothing written), AGENT_ENOSPC, AGENT_EIO.
 */
int agent_slot_commit(const struct port_ops *ops, void *ctx, const struct agent_layout *lay,
                      unsigned idx, const struct agent_slot_info *info);

#endif
