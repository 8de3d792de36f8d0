/*
 * frame: the v1 frame that carries one encrypted protobuf message between a node and
 * the gateway (DESIGN.md, docs/PROTOCOL.md "Frame"):
 *
 *   off  size  field
 *   0    1     version = 1
 *   1    1     flags: bit0 = gateway-to-node, bits 1..7 reserved (must be 0)
 *   2    4     node_id, u32 little endian
 *   6    8     counter, u64 little endian, >= 1, strictly increasing per node and direction
 *   14   n     ChaCha20-Poly1305 ciphertext of the message
 *   14+n 16    tag; AAD = bytes 0..13; nonce = 4-byte direction constant || counter (LE)
 *
 * A frame is 30..512 bytes, so a message is 0..482 bytes.
 *
 * Receiving, in this order (wire_frame_receive() does 2-5 for one known key):
 *   1. wire_frame_parse(): header only, no key needed; look the node's key and replay
 *      window up by hdr.node_id (unknown node: drop).
 *   2. wire_replay_check(&window, hdr.counter): cheap early drop of replays.
 *   3. wire_frame_open(): direction check, tag check, then decrypt.
 *   4. wire_replay_accept(&window, hdr.counter): only now does the window move.
 */
#ifndef TF_WIRE_FRAME_H
#define TF_WIRE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "wire/aead.h"
#include "wire/replay.h"
#include "wire/wire.h"

#define WIRE_FRAME_VERSION     1
#define WIRE_FRAME_HDR_BYTES   14
#define WIRE_FRAME_TAG_BYTES   16
#define WIRE_FRAME_OVERHEAD    (WIRE_FRAME_HDR_BYTES + WIRE_FRAME_TAG_BYTES) /* 30 */
#define WIRE_FRAME_MIN         WIRE_FRAME_OVERHEAD                           /* empty message */
#define WIRE_FRAME_MAX_PAYLOAD (WIRE_MAX_FRAME - WIRE_FRAME_OVERHEAD)        /* 482 */

#define WIRE_FRAME_FLAG_G2N       0x01u /* flags bit0: gateway-to-node */
#define WIRE_FRAME_FLAGS_RESERVED 0xfeu

/* Direction of a frame; equals flags bit0. */
enum wire_dir {
	WIRE_DIR_N2G = 0, /* node to gateway */
	WIRE_DIR_G2N = 1  /* gateway to node */
};

/*
 * The nonce's first 4 bytes, per direction (docs/PROTOCOL.md): ASCII "TFup" for node
 * to gateway and "TFdn" for gateway to node. Distinct constants keep the two
 * directions' key streams apart even though both use the node's one key and both
 * counters start at 1.
 */
#define WIRE_FRAME_NONCE_N2G "TFup"
#define WIRE_FRAME_NONCE_G2N "TFdn"

struct wire_frame_hdr {
	uint8_t version;  /* always WIRE_FRAME_VERSION after a successful parse */
	uint8_t flags;    /* WIRE_FRAME_FLAG_G2N or 0 */
	uint32_t node_id; /* sender (N2G) or addressee (G2N) */
	uint64_t counter; /* the per-node, per-direction frame counter */
};

/*
 * Parses and validates the cleartext header of a received frame of len bytes without
 * decrypting anything. On success fills *ret_hdr and returns the ciphertext (message)
 * length, len - 30. Errors, first match wins: WIRE_EINVAL (NULL), WIRE_ETOOBIG (len >
 * 512), WIRE_ETRUNC (len < 30), WIRE_EVERSION, WIRE_EFLAGS (reserved bits set).
 * *ret_hdr is not written on failure.
 */
int wire_frame_parse(const uint8_t *frame, size_t len, struct wire_frame_hdr *ret_hdr);

/*
 * Builds a frame: header, ciphertext of msg, tag. Writes msg_len + 30 bytes to out and
 * returns that count. msg may be NULL when msg_len is 0, and may be exactly
 * out + WIRE_FRAME_HDR_BYTES (encode the message there first, then seal in place);
 * any other overlap of msg and out is not allowed.
 * Errors: WIRE_EINVAL (NULL, dir not a wire_dir, counter 0), WIRE_ETOOBIG (msg_len >
 * 482), WIRE_ENOSPC (out_size < msg_len + 30). out is not written on failure.
 */
int wire_frame_seal(const uint8_t key[WIRE_AEAD_KEY_BYTES], enum wire_dir dir, uint32_t node_id,
                    uint64_t counter, const uint8_t *msg, size_t msg_len, uint8_t *out,
                    size_t out_size);

/*
 * Authenticates and decrypts a frame that must travel in direction dir (a node passes
 * WIRE_DIR_G2N, the gateway WIRE_DIR_N2G). Parses the header as wire_frame_parse(),
 * checks the direction bit, verifies the tag and only then decrypts the message into
 * out. out may be frame + WIRE_FRAME_HDR_BYTES (decrypt in place) or a separate,
 * non-overlapping buffer. Fills *ret_hdr (may be NULL) and returns the message length.
 * Errors: those of wire_frame_parse(), WIRE_EFLAGS (wrong direction), WIRE_ENOSPC
 * (out_size < len - 30), WIRE_EAUTH (tag mismatch: forged, corrupted, wrong key or
 * direction). Neither out nor *ret_hdr is written on failure.
 * Replay protection is the caller's (wire_replay_*), or use wire_frame_receive().
 */
int wire_frame_open(const uint8_t key[WIRE_AEAD_KEY_BYTES], enum wire_dir dir, const uint8_t *frame,
                    size_t len, struct wire_frame_hdr *ret_hdr, uint8_t *out, size_t out_size);

/*
 * wire_frame_open() plus the replay window: rejects a replayed or stale counter before
 * any crypto (WIRE_EREPLAY, WIRE_ESTALE), opens the frame, and records the counter in
 * *window only when the tag verified. The caller must already know that the frame is
 * for this key (after wire_frame_parse() and a lookup by node_id, or on a node with
 * one gateway). Returns the message length or a negative WIRE_E* code; on failure
 * *window, out and *ret_hdr are unchanged.
 */
int wire_frame_receive(const uint8_t key[WIRE_AEAD_KEY_BYTES], enum wire_dir dir,
                       struct wire_replay *window, const uint8_t *frame, size_t len,
                       struct wire_frame_hdr *ret_hdr, uint8_t *out, size_t out_size);

#endif
