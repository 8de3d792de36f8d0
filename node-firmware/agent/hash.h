/*
 * hash: the two digests the agent needs and nobody else provides to it.
 *
 *   - CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) guards every record the
 *     agent writes to flash, so a write torn by a reset is recognised.
 *   - SHA-256 (FIPS 180-4) identifies a model image: slot headers store it, the
 *     gateway's ModelOffer names it, and boot recomputes it before running a slot.
 *
 * Portable C99, no tables indexed by secret data (nothing here is secret), byte
 * order independent, no allocation.
 */
#ifndef TF_AGENT_HASH_H
#define TF_AGENT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC-32: start with crc = 0; agent_crc32(agent_crc32(0, a), b) == crc of a||b. */
uint32_t agent_crc32(uint32_t crc, const void *data, size_t len);

struct agent_sha256 {
	uint32_t h[8];    /* chaining state */
	uint64_t bytes;   /* message bytes so far */
	uint8_t buf[64];  /* partial block */
	uint32_t buf_len; /* bytes used in buf */
};

#define AGENT_SHA256_BYTES 32

void agent_sha256_init(struct agent_sha256 *s);
void agent_sha256_update(struct agent_sha256 *s, const void *data, size_t len);
/* Writes the digest; s must be re-initialised before reuse. */
void agent_sha256_final(struct agent_sha256 *s, uint8_t out[AGENT_SHA256_BYTES]);
/* One-shot helper. */
void agent_sha256(const void *data, size_t len, uint8_t out[AGENT_SHA256_BYTES]);

#endif
