/*
 * provision.h: per-node identity in its own flash page, so one build serves
 * many nodes.
 *
 * The image carries an unprovisioned record (node id 0) in the .provision
 * section, a 4 KiB page of its own (node.ld). The host tool
 * tools/cm-provision patches the node id and key from the daemon's enrollment
 * output into a copy of the ELF (or of the raw .bin) for each node; the
 * firmware only ever reads the page, and never erases it (it lies outside the
 * flash region handed to the agent).
 *
 * The layout is fixed and little endian, so the host tool and the firmware
 * agree without sharing code: magic, version, node id, key, the node's
 * default inference and health periods (0: the agent's defaults; the
 * gateway's Config overrides them later), then a CRC-32 (the agent's CRC,
 * IEEE 802.3) of the CM_PROVISION_CRC_SPAN bytes before it.
 */
#ifndef TF_CM_PROVISION_H
#define TF_CM_PROVISION_H

#include <stdint.h>

#define CM_PROVISION_MAGIC   0x56505446u /* "FTPV" little endian: 46 54 50 56 */
#define CM_PROVISION_VERSION 1u
#define CM_PROVISION_SECTION ".provision"

struct cm_provision {
	uint32_t magic;        /* CM_PROVISION_MAGIC */
	uint32_t version;      /* CM_PROVISION_VERSION */
	uint32_t node_id;      /* 0: not provisioned */
	uint8_t key[32];       /* ChaCha20-Poly1305 key shared with the gateway */
	uint32_t inference_ms; /* default inference period; 0: AGENT_DEFAULT_INFERENCE_MS */
	uint32_t health_ms;    /* default Health period; 0: AGENT_DEFAULT_HEALTH_MS */
	uint32_t crc;          /* agent_crc32(0, bytes 0..CM_PROVISION_CRC_SPAN-1) */
};

#define CM_PROVISION_CRC_SPAN 52u /* bytes covered by the CRC; crc is at this offset */

/* The record in flash (startup image default: magic, version, node id 0). */
extern const struct cm_provision cm_provision;

/*
 * Checks the record: 0 when it is provisioned and intact; -1 for a bad magic,
 * version or CRC; -2 when it is intact but still carries node id 0.
 */
int cm_provision_check(const struct cm_provision *p);

#endif
