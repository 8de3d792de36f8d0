/*
 * wire/msg: the node <-> gateway messages of proto/tinyfleet/v1/node.proto as
 * fixed-capacity C structs, with encoders and decoders built on wire/pb.
 *
 * The node cannot run protobuf-c, so this is its codec; the daemon uses
 * protobuf-c on the same .proto, and tests/unit/wire/check_msg.c proves the two
 * agree in both directions for every message.
 *
 * Field names, meanings and units are those of node.proto (read its comments).
 * Differences a C caller must know:
 *   - Strings are NUL-terminated char arrays; the capacity includes the NUL, so
 *     `char firmware[WIRE_MSG_STR_MAX]` holds at most 31 bytes. A decoded string
 *     that does not fit, or that contains a NUL byte, is WIRE_EFIELD.
 *   - Repeated fields are an array plus a `uint16_t n_<field>` count. Decoding
 *     more items than the array holds is WIRE_EFIELD: nothing is ever truncated.
 *   - Enums are stored as int32_t so values from a newer peer survive.
 *   - ModelOffer.sha256 is exactly 32 bytes on the wire or absent (all zero).
 *   - Decoders skip unknown fields; an envelope without a body this side knows
 *     is WIRE_ETYPE.
 *   - NodeMessage.seq_floor, the one envelope field beside the body, is
 *     struct wire_node_msg's seq_floor (0 = not sent).
 *
 * Nothing here allocates or keeps state; the structs are plain values
 * (struct wire_node_msg is 344 bytes, struct wire_gw_msg 424 on Cortex-M4 and
 * x86-64), so zero them with memset before filling them in. The decoders
 * build the result in a local copy first (so *ret is untouched on failure):
 * they need about 0.7 KiB of stack in all.
 */
#ifndef TF_WIRE_MSG_H
#define TF_WIRE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

/* Largest encoded envelope: a 512-byte frame minus its 14-byte header and
 * 16-byte tag. Encode into a buffer this big. */
#define WIRE_MSG_MAX (WIRE_MAX_FRAME - 14 - 16)

/* Capacities. Every one fits the largest message into WIRE_MSG_MAX with room
 * for fields added later (check_msg.c tests it). */
#define WIRE_MSG_STR_MAX     32  /* char arrays: 31 bytes + NUL */
#define WIRE_MSG_NAME_MAX    16  /* sensor names: 15 bytes + NUL */
#define WIRE_MSG_OPS_MAX     32  /* TFLite builtin op codes per Hello / ModelOffer */
#define WIRE_MSG_SENSORS_MAX 4   /* sensors per Hello */
#define WIRE_MSG_SCORES_MAX  16  /* scores per Inference (raw and float) */
#define WIRE_MSG_SLOTS_MAX   4   /* slots per ModelStatus */
#define WIRE_MSG_CHUNK_MAX   400 /* data bytes per Chunk (keeps a Chunk frame <= 512) */
#define WIRE_MSG_SHA256_LEN  32

/* ResetReason (node.proto). */
enum wire_msg_reset_reason {
	WIRE_RESET_UNKNOWN = 0,
	WIRE_RESET_POWER_ON = 1,
	WIRE_RESET_BROWNOUT = 2,
	WIRE_RESET_WATCHDOG = 3,
	WIRE_RESET_SOFTWARE = 4,
	WIRE_RESET_PIN = 5,
	WIRE_RESET_FAULT = 6,
	WIRE_RESET_UPDATE = 7
};

/* SlotState (node.proto). */
enum wire_msg_slot_state {
	WIRE_SLOT_EMPTY = 0,
	WIRE_SLOT_DOWNLOADING = 1,
	WIRE_SLOT_READY = 2,
	WIRE_SLOT_ACTIVE = 3,
	WIRE_SLOT_FAILED = 4
};

/* ---- node -> gateway ---- */

struct wire_msg_sensor {
	char name[WIRE_MSG_NAME_MAX];
	uint32_t rate_mhz; /* sample rate, millihertz */
	uint32_t channels;
};

struct wire_msg_hello {
	uint32_t seq;
	char firmware[WIRE_MSG_STR_MAX];
	uint32_t core_version; /* (major << 16) | (minor << 8) | patch */
	uint16_t n_ops;
	uint32_t ops[WIRE_MSG_OPS_MAX]; /* TFLite BuiltinOperator codes */
	uint32_t arena_bytes;
	uint32_t slot_size; /* bytes */
	uint16_t n_sensors;
	struct wire_msg_sensor sensors[WIRE_MSG_SENSORS_MAX];
	char board[WIRE_MSG_STR_MAX];
	uint32_t slots;
	uint64_t mono_ms;
	int32_t reset_reason; /* enum wire_msg_reset_reason */
};

struct wire_msg_inference {
	uint32_t seq;
	uint64_t mono_ms;
	uint64_t unix_ms; /* 0 = not synced */
	uint32_t model_id;
	uint32_t model_version;
	uint32_t label;
	char top_label[WIRE_MSG_STR_MAX];
	uint16_t n_scores_raw;
	int32_t scores_raw[WIRE_MSG_SCORES_MAX]; /* raw int8 values, sint32 on the wire */
	uint16_t n_scores;
	float scores[WIRE_MSG_SCORES_MAX]; /* dequantized; n_scores = 0 when not sent */
	uint32_t latency_us;
	float score_scale;
	int32_t score_zero_point;
};

struct wire_msg_health {
	uint32_t seq;
	uint64_t mono_ms;
	uint64_t unix_ms;
	uint32_t battery_mv;
	int32_t rssi_dbm;
	uint32_t uptime_s;
	uint32_t reboots;
	int32_t reset_reason; /* enum wire_msg_reset_reason */
	uint32_t free_mem_bytes;
	uint32_t inferences;
	uint32_t latency_mean_us;
	uint32_t latency_max_us;
	uint32_t inference_errors;
	uint32_t outbox_depth;
	uint32_t outbox_drops;
	uint32_t retransmits;
	uint32_t frames_rejected;
	int32_t temperature_dc; /* tenths of a degree Celsius */
};

struct wire_msg_slot {
	uint32_t index;
	uint32_t model_id;
	uint32_t model_version;
	int32_t state; /* enum wire_msg_slot_state */
	uint32_t size_bytes;
};

struct wire_msg_model_status {
	uint32_t seq;
	uint16_t n_slots;
	struct wire_msg_slot slots[WIRE_MSG_SLOTS_MAX];
	uint32_t active_slot;
	uint32_t download_model_id; /* 0 = no download */
	uint32_t download_version;
	uint32_t download_bytes;
	uint32_t download_total;
	int32_t last_error;
	uint64_t mono_ms;
};

struct wire_msg_chunk_request {
	uint32_t model_id;
	uint32_t model_version;
	uint32_t index;
	uint32_t count; /* 0 and 1 both mean one chunk */
};

/* The NodeMessage body; each value is the body's field number in node.proto. */
enum wire_node_msg_type {
	WIRE_NODE_NONE = 0,
	WIRE_NODE_HELLO = 1,
	WIRE_NODE_INFERENCE = 2,
	WIRE_NODE_HEALTH = 3,
	WIRE_NODE_MODEL_STATUS = 4,
	WIRE_NODE_CHUNK_REQUEST = 5
};

/* NodeMessage.seq_floor's field number (an envelope field, next to the body). */
#define WIRE_MSG_SEQ_FLOOR_FIELD 16
/* Bytes wire_msg_node_append_seq_floor() adds at most: a 2-byte key and a 5-byte varint. */
#define WIRE_MSG_SEQ_FLOOR_MAX 7

struct wire_node_msg {
	enum wire_node_msg_type type;
	/* Envelope field: every seq below it is acked or abandoned by the node; 0 = not sent. */
	uint32_t seq_floor;
	union {
		struct wire_msg_hello hello;
		struct wire_msg_inference inference;
		struct wire_msg_health health;
		struct wire_msg_model_status model_status;
		struct wire_msg_chunk_request chunk_request;
	} u;
};

/* ---- gateway -> node ---- */

struct wire_msg_ack {
	uint32_t cumulative;  /* every seq <= cumulative is committed */
	uint64_t sack_bitmap; /* bit i: seq cumulative + 1 + i committed too */
};

struct wire_msg_time_sync {
	uint64_t unix_ms;
	uint64_t echo_mono_ms;
};

struct wire_msg_model_offer {
	uint32_t model_id;
	uint32_t model_version;
	uint32_t size_bytes;
	uint8_t sha256[WIRE_MSG_SHA256_LEN];
	uint32_t chunk_size; /* <= WIRE_MSG_CHUNK_MAX */
	uint32_t arena_bytes;
	uint16_t n_ops;
	uint32_t ops[WIRE_MSG_OPS_MAX];
	uint32_t min_core_version;
	char name[WIRE_MSG_STR_MAX];
	uint32_t rollout_id;
};

struct wire_msg_chunk {
	uint32_t model_id;
	uint32_t model_version;
	uint32_t index;
	uint16_t len; /* bytes used in data */
	uint8_t data[WIRE_MSG_CHUNK_MAX];
};

struct wire_msg_activate {
	uint32_t model_id;
	uint32_t model_version;
	uint32_t rollout_id;
};

struct wire_msg_rollback {
	uint32_t model_id; /* 0 = whatever is active */
	uint32_t model_version;
	uint32_t rollout_id;
};

struct wire_msg_config {
	uint32_t inference_period_ms; /* every field: 0 = node default */
	uint32_t health_period_ms;
	uint32_t status_period_ms;
	uint32_t report_min_score_permille;
	uint32_t retransmit_initial_ms;
	uint32_t retransmit_max_ms;
	uint32_t battery_low_mv;
	uint32_t config_version;
};

/* The GatewayMessage body; each value is the body's field number in node.proto. */
enum wire_gw_msg_type {
	WIRE_GW_NONE = 0,
	WIRE_GW_ACK = 8,
	WIRE_GW_TIME_SYNC = 9,
	WIRE_GW_MODEL_OFFER = 10,
	WIRE_GW_CHUNK = 11,
	WIRE_GW_ACTIVATE = 12,
	WIRE_GW_ROLLBACK = 13,
	WIRE_GW_CONFIG = 14
};

struct wire_gw_msg {
	enum wire_gw_msg_type type;
	union {
		struct wire_msg_ack ack;
		struct wire_msg_time_sync time_sync;
		struct wire_msg_model_offer model_offer;
		struct wire_msg_chunk chunk;
		struct wire_msg_activate activate;
		struct wire_msg_rollback rollback;
		struct wire_msg_config config;
	} u;
};

/*
 * Encode a NodeMessage envelope into out[0..cap).
 *
 * Fields at zero are not sent (proto3); the output is the canonical encoding
 * protobuf-c would produce for the same values.
 *
 * Returns the number of bytes written, or
 *   WIRE_EINVAL  m or out is NULL
 *   WIRE_ETYPE   m->type is not a known body
 *   WIRE_EFIELD  a count above its capacity, or a string without its NUL
 *   WIRE_ENOSPC  cap is too small (out holds garbage then)
 */
int wire_msg_node_encode(const struct wire_node_msg *m, uint8_t *out, size_t cap);

/*
 * Decode a NodeMessage envelope from in[0..len). *ret is written only on
 * success; in is only borrowed.
 *
 * Returns 0, or
 *   WIRE_EINVAL     ret is NULL, or in is NULL with len > 0
 *   WIRE_ETRUNC     input ends inside a field
 *   WIRE_EVARINT    varint longer than 10 bytes or above 64 bits
 *   WIRE_ELENGTH    length prefix past the end of its enclosing message
 *   WIRE_EWIRETYPE  wire type 3, 4, 6 or 7, or the wrong one for a known field
 *   WIRE_EFIELD     field number 0, or a value that does not fit its C field
 *   WIRE_ETYPE      no body, or only bodies this side does not know
 */
int wire_msg_node_decode(const uint8_t *in, size_t len, struct wire_node_msg *ret);

/*
 * Appends NodeMessage.seq_floor to an envelope already encoded in buf[0..len)
 * (cap bytes in all), for a sender that keeps encoded messages and sets the
 * floor when it sends them. When buf came from wire_msg_node_encode() with
 * seq_floor 0, the result is byte-identical to encoding with seq_floor set
 * (the field's number is above every body's, so it goes last). seq_floor 0
 * appends nothing.
 *
 * Returns the new length, or
 *   WIRE_EINVAL  buf is NULL, or len > cap
 *   WIRE_ENOSPC  cap - len is too small (buf is untouched then); cap - len >=
 *                WIRE_MSG_SEQ_FLOOR_MAX always fits
 */
int wire_msg_node_append_seq_floor(uint8_t *buf, size_t len, size_t cap, uint32_t seq_floor);

/* Same as wire_msg_node_encode() for a GatewayMessage envelope. */
int wire_msg_gw_encode(const struct wire_gw_msg *m, uint8_t *out, size_t cap);

/* Same as wire_msg_node_decode() for a GatewayMessage envelope. */
int wire_msg_gw_decode(const uint8_t *in, size_t len, struct wire_gw_msg *ret);

/* Name of a message type for logs ("hello", "chunk", ...); "unknown" if none. */
const char *wire_msg_node_type_name(enum wire_node_msg_type type);
const char *wire_msg_gw_type_name(enum wire_gw_msg_type type);

#endif
