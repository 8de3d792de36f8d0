/*
 * codec: the only caller of protobuf-c pack/unpack in the daemon, and the
 * builder of the JSON the daemon stores and publishes for each message.
 *
 * Decoding is bounded: the input is at most WIRE_FRAME_MAX_PAYLOAD bytes and
 * protobuf-c allocates from a fixed arena inside struct codec_msg, never from
 * the heap, so a hostile node cannot make the daemon allocate. Repeated
 * fields are capped as node.proto says (ops 32, sensors 4, scores 16, slots 4).
 */
#ifndef TF_DAEMON_CODEC_H
#define TF_DAEMON_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "tinyfleet/v1/node.pb-c.h"

#define CODEC_ARENA_BYTES 8192

/* A decoded node message; the protobuf-c structures live in arena. */
struct codec_msg {
	Tinyfleet__V1__NodeMessage *msg; /* NULL until decoded */
	size_t used;                     /* arena bytes in use */
	_Alignas(16) unsigned char arena[CODEC_ARENA_BYTES];
};

/*
 * Decodes a NodeMessage envelope of len bytes into m (which must stay in place
 * while msg is used). Returns 0, -EBADMSG (malformed, unknown body, limits
 * exceeded), -EMSGSIZE (too long), or -EINVAL.
 */
int codec_decode_node(struct codec_msg *m, const uint8_t *buf, size_t len);

/* The application seq of a decoded message; 0 for bodies without one (ChunkRequest). */
uint32_t codec_seq(const Tinyfleet__V1__NodeMessage *msg);

/*
 * Checks a GatewayMessage against what the node's decoder accepts
 * (node-firmware/wire/msg.h): strings at most 31 bytes (WIRE_MSG_STR_MAX - 1),
 * ops at most 32, ModelOffer.sha256 exactly 32 bytes and chunk_size at most
 * 400, Chunk.data at most 400 bytes, and a known body. A node rejects a whole
 * frame with WIRE_EFIELD for any of these, so the gateway must not send one.
 * Returns 0, or -EINVAL with *ret_field (may be NULL) naming the field, e.g.
 * "model_offer.name" (a static string).
 */
int codec_check_gateway(const Tinyfleet__V1__GatewayMessage *g, const char **ret_field);

/*
 * Encodes any GatewayMessage after codec_check_gateway(). Returns the length,
 * -EINVAL (*ret_field names the field; may be NULL) or -ENOSPC.
 */
int codec_encode_gateway(const Tinyfleet__V1__GatewayMessage *g, uint8_t *buf, size_t size,
                         const char **ret_field);

/* Encodes a GatewayMessage{Ack}. Returns the length or -ENOSPC. */
int codec_encode_ack(uint32_t cumulative, uint64_t sack, uint8_t *buf, size_t size);
/* Encodes a GatewayMessage{TimeSync}. Returns the length or -ENOSPC. */
int codec_encode_time_sync(uint64_t unix_ms, uint64_t echo_mono_ms, uint8_t *buf, size_t size);

/*
 * JSON of a Hello's capabilities (board, ops, arena, slots, sensors, reset
 * reason) for the node row. Returns the length or -ENOSPC.
 */
int codec_json_hello_caps(const Tinyfleet__V1__Hello *h, char *buf, size_t size);
/* JSON of a ModelStatus. Returns the length or -ENOSPC. */
int codec_json_model_status(uint32_t node_id, const Tinyfleet__V1__ModelStatus *ms, int64_t time_ms,
                            char *buf, size_t size);
/* Dequantized top score of an Inference (scores[label], or from scores_raw). */
double codec_inference_score(const Tinyfleet__V1__Inference *inf);

#endif
