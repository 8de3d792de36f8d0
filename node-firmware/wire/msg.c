/*
 * wire/msg: encoders and decoders for the node.proto messages.
 *
 * Table driven, like nanopb: each message is a table of its fields (number,
 * kind, where it lives in the C struct, capacity), and one generic encoder and
 * one generic decoder walk the tables. Adding a field to node.proto means
 * adding its member to msg.h and one line to the table here, in field-number
 * order (the encoder emits in table order, which makes its output canonical
 * and byte-identical to protobuf-c's).
 *
 * Decoding reads duplicated fields the way protobuf-c (the daemon's codec)
 * does, so both sides always agree: a scalar or string seen twice keeps the
 * last value, repeated fields append across occurrences (packed or not), and
 * a body seen again replaces the previous body entirely. (The protobuf spec
 * would merge a repeated body; protobuf-c 1.4 replaces oneof members, and
 * agreeing with the peer matters more here. Encoders never emit either.)
 *
 * Divisions: field tables, decoder, encoder, envelopes.
 */
#include <string.h>

#include "wire/msg.h"
#include "wire/pb.h"

/* ---- field tables ---- */

enum msg_kind {
	K_U32,      /* uint32, varint */
	K_U64,      /* uint64, varint */
	K_S32,      /* sint32, zigzag varint */
	K_ENUM,     /* enum, varint of the sign-extended int32 */
	K_FLOAT,    /* float, fixed32 */
	K_FIX64,    /* fixed64 */
	K_STR,      /* string into char[cap], NUL-terminated */
	K_FIXBYTES, /* bytes of exactly cap length, or absent (all zero) */
	K_BYTES,    /* bytes into uint8_t[cap], length in a uint16_t */
	K_R_U32,    /* repeated uint32 */
	K_R_S32,    /* repeated sint32 */
	K_R_FLOAT,  /* repeated float */
	K_R_MSG     /* repeated message */
};

struct msg_desc;

struct msg_field {
	uint16_t num;               /* field number */
	uint8_t kind;               /* enum msg_kind */
	uint16_t off;               /* offsetof the member */
	uint16_t count_off;         /* offsetof the uint16_t count or length (K_R_*, K_BYTES) */
	uint16_t cap;               /* bytes (K_STR, K_*BYTES) or items (K_R_*) the member holds */
	const struct msg_desc *sub; /* element table (K_R_MSG) */
};

struct msg_desc {
	const struct msg_field *fields; /* in field-number order */
	uint8_t n_fields;
	uint16_t size; /* sizeof the struct: the stride of a K_R_MSG array */
};

/* clang-format off */
#define NITEMS(a)    (sizeof(a) / sizeof((a)[0]))
#define MEMBER(T, m) (((T *)0)->m)
/* A scalar; a string or fixed-size bytes; bytes with a length; a repeated
 * scalar with its count; a repeated message with its count and table. */
#define F(T, num, kind, m)      {num, kind, offsetof(T, m), 0, 0, NULL}
#define FSTR(T, num, kind, m)   {num, kind, offsetof(T, m), 0, sizeof(MEMBER(T, m)), NULL}
#define FBYTES(T, num, m, len)  {num, K_BYTES, offsetof(T, m), offsetof(T, len), sizeof(MEMBER(T, m)), NULL}
#define FREP(T, num, kind, m, n) {num, kind, offsetof(T, m), offsetof(T, n), NITEMS(MEMBER(T, m)), NULL}
#define FMSG(T, num, m, n, d)   {num, K_R_MSG, offsetof(T, m), offsetof(T, n), NITEMS(MEMBER(T, m)), &d}
#define DESC(T, tab)            {tab, NITEMS(tab), sizeof(T)}
/* clang-format on */

#define T struct wire_msg_sensor
static const struct msg_field sensor_fields[] = {
        FSTR(T, 1, K_STR, name),
        F(T, 2, K_U32, rate_mhz),
        F(T, 3, K_U32, channels),
};
static const struct msg_desc sensor_desc = DESC(T, sensor_fields);
#undef T

#define T struct wire_msg_hello
static const struct msg_field hello_fields[] = {
        F(T, 1, K_U32, seq),
        FSTR(T, 2, K_STR, firmware),
        F(T, 3, K_U32, core_version),
        FREP(T, 4, K_R_U32, ops, n_ops),
        F(T, 5, K_U32, arena_bytes),
        F(T, 6, K_U32, slot_size),
        FMSG(T, 7, sensors, n_sensors, sensor_desc),
        FSTR(T, 8, K_STR, board),
        F(T, 9, K_U32, slots),
        F(T, 10, K_U64, mono_ms),
        F(T, 11, K_ENUM, reset_reason),
};
static const struct msg_desc hello_desc = DESC(T, hello_fields);
#undef T

#define T struct wire_msg_inference
static const struct msg_field inference_fields[] = {
        F(T, 1, K_U32, seq),
        F(T, 2, K_U64, mono_ms),
        F(T, 3, K_U64, unix_ms),
        F(T, 4, K_U32, model_id),
        F(T, 5, K_U32, model_version),
        F(T, 6, K_U32, label),
        FSTR(T, 7, K_STR, top_label),
        FREP(T, 8, K_R_S32, scores_raw, n_scores_raw),
        FREP(T, 9, K_R_FLOAT, scores, n_scores),
        F(T, 10, K_U32, latency_us),
        F(T, 11, K_FLOAT, score_scale),
        F(T, 12, K_S32, score_zero_point),
};
static const struct msg_desc inference_desc = DESC(T, inference_fields);
#undef T

#define T struct wire_msg_health
static const struct msg_field health_fields[] = {
        F(T, 1, K_U32, seq),
        F(T, 2, K_U64, mono_ms),
        F(T, 3, K_U64, unix_ms),
        F(T, 4, K_U32, battery_mv),
        F(T, 5, K_S32, rssi_dbm),
        F(T, 6, K_U32, uptime_s),
        F(T, 7, K_U32, reboots),
        F(T, 8, K_ENUM, reset_reason),
        F(T, 9, K_U32, free_mem_bytes),
        F(T, 10, K_U32, inferences),
        F(T, 11, K_U32, latency_mean_us),
        F(T, 12, K_U32, latency_max_us),
        F(T, 13, K_U32, inference_errors),
        F(T, 14, K_U32, outbox_depth),
        F(T, 15, K_U32, outbox_drops),
        F(T, 16, K_U32, retransmits),
        F(T, 17, K_U32, frames_rejected),
        F(T, 18, K_S32, temperature_dc),
};
static const struct msg_desc health_desc = DESC(T, health_fields);
#undef T

#define T struct wire_msg_slot
static const struct msg_field slot_fields[] = {
        F(T, 1, K_U32, index),  F(T, 2, K_U32, model_id),   F(T, 3, K_U32, model_version),
        F(T, 4, K_ENUM, state), F(T, 5, K_U32, size_bytes),
};
static const struct msg_desc slot_desc = DESC(T, slot_fields);
#undef T

#define T struct wire_msg_model_status
static const struct msg_field model_status_fields[] = {
        F(T, 1, K_U32, seq),
        FMSG(T, 2, slots, n_slots, slot_desc),
        F(T, 3, K_U32, active_slot),
        F(T, 4, K_U32, download_model_id),
        F(T, 5, K_U32, download_version),
        F(T, 6, K_U32, download_bytes),
        F(T, 7, K_U32, download_total),
        F(T, 8, K_S32, last_error),
        F(T, 9, K_U64, mono_ms),
};
static const struct msg_desc model_status_desc = DESC(T, model_status_fields);
#undef T

#define T struct wire_msg_chunk_request
static const struct msg_field chunk_request_fields[] = {
        F(T, 1, K_U32, model_id),
        F(T, 2, K_U32, model_version),
        F(T, 3, K_U32, index),
        F(T, 4, K_U32, count),
};
static const struct msg_desc chunk_request_desc = DESC(T, chunk_request_fields);
#undef T

#define T struct wire_msg_ack
static const struct msg_field ack_fields[] = {
        F(T, 1, K_U32, cumulative),
        F(T, 2, K_FIX64, sack_bitmap),
};
static const struct msg_desc ack_desc = DESC(T, ack_fields);
#undef T

#define T struct wire_msg_time_sync
static const struct msg_field time_sync_fields[] = {
        F(T, 1, K_U64, unix_ms),
        F(T, 2, K_U64, echo_mono_ms),
};
static const struct msg_desc time_sync_desc = DESC(T, time_sync_fields);
#undef T

#define T struct wire_msg_model_offer
static const struct msg_field model_offer_fields[] = {
        F(T, 1, K_U32, model_id),        F(T, 2, K_U32, model_version),
        F(T, 3, K_U32, size_bytes),      FSTR(T, 4, K_FIXBYTES, sha256),
        F(T, 5, K_U32, chunk_size),      F(T, 6, K_U32, arena_bytes),
        FREP(T, 7, K_R_U32, ops, n_ops), F(T, 8, K_U32, min_core_version),
        FSTR(T, 9, K_STR, name),         F(T, 10, K_U32, rollout_id),
};
static const struct msg_desc model_offer_desc = DESC(T, model_offer_fields);
#undef T

#define T struct wire_msg_chunk
static const struct msg_field chunk_fields[] = {
        F(T, 1, K_U32, model_id),
        F(T, 2, K_U32, model_version),
        F(T, 3, K_U32, index),
        FBYTES(T, 4, data, len),
};
static const struct msg_desc chunk_desc = DESC(T, chunk_fields);
#undef T

#define T struct wire_msg_activate
static const struct msg_field activate_fields[] = {
        F(T, 1, K_U32, model_id),
        F(T, 2, K_U32, model_version),
        F(T, 3, K_U32, rollout_id),
};
static const struct msg_desc activate_desc = DESC(T, activate_fields);
#undef T

#define T struct wire_msg_rollback
static const struct msg_field rollback_fields[] = {
        F(T, 1, K_U32, model_id),
        F(T, 2, K_U32, model_version),
        F(T, 3, K_U32, rollout_id),
};
static const struct msg_desc rollback_desc = DESC(T, rollback_fields);
#undef T

#define T struct wire_msg_config
static const struct msg_field config_fields[] = {
        F(T, 1, K_U32, inference_period_ms),   F(T, 2, K_U32, health_period_ms),
        F(T, 3, K_U32, status_period_ms),      F(T, 4, K_U32, report_min_score_permille),
        F(T, 5, K_U32, retransmit_initial_ms), F(T, 6, K_U32, retransmit_max_ms),
        F(T, 7, K_U32, battery_low_mv),        F(T, 8, K_U32, config_version),
};
static const struct msg_desc config_desc = DESC(T, config_fields);
#undef T

/* An envelope body: its field number (= its type enum value) and table. */
struct msg_body {
	uint8_t num;
	const char *name;
	const struct msg_desc *desc;
};

static const struct msg_body node_bodies[] = {
        {WIRE_NODE_HELLO, "hello", &hello_desc},
        {WIRE_NODE_INFERENCE, "inference", &inference_desc},
        {WIRE_NODE_HEALTH, "health", &health_desc},
        {WIRE_NODE_MODEL_STATUS, "model_status", &model_status_desc},
        {WIRE_NODE_CHUNK_REQUEST, "chunk_request", &chunk_request_desc},
};

static const struct msg_body gw_bodies[] = {
        {WIRE_GW_ACK, "ack", &ack_desc},
        {WIRE_GW_TIME_SYNC, "time_sync", &time_sync_desc},
        {WIRE_GW_MODEL_OFFER, "model_offer", &model_offer_desc},
        {WIRE_GW_CHUNK, "chunk", &chunk_desc},
        {WIRE_GW_ACTIVATE, "activate", &activate_desc},
        {WIRE_GW_ROLLBACK, "rollback", &rollback_desc},
        {WIRE_GW_CONFIG, "config", &config_desc},
};

static const struct msg_body *
msg_body_find(const struct msg_body *bodies, size_t n, uint32_t num)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bodies[i].num == num)
			return &bodies[i];
	return NULL;
}

/* ---- decoder ---- */

static int msg_decode(const struct msg_desc *d, struct wire_pb_reader *r, uint8_t *s);

/* Append one repeated scalar taken from r (kind K_R_U32, K_R_S32, K_R_FLOAT). */
static int
msg_decode_item(const struct msg_field *f, struct wire_pb_reader *r, uint8_t *s)
{
	uint16_t *count = (uint16_t *)(void *)(s + f->count_off);
	uint64_t v64;
	uint32_t v32;
	int err;

	if (f->kind == K_R_FLOAT)
		err = wire_pb_read_fixed32(r, &v32);
	else
		err = wire_pb_read_varint(r, &v64);
	if (err < 0)
		return err;
	if (*count >= f->cap)
		return WIRE_EFIELD;
	if (f->kind == K_R_U32)
		((uint32_t *)(void *)(s + f->off))[*count] = (uint32_t)v64;
	else if (f->kind == K_R_S32)
		((int32_t *)(void *)(s + f->off))[*count] = wire_pb_unzigzag32((uint32_t)v64);
	else
		memcpy((float *)(void *)(s + f->off) + *count, &v32, sizeof(v32));
	(*count)++;
	return 0;
}

/* Repeated scalars come packed (one length-delimited run) or one per key. */
static int
msg_decode_repeated(const struct msg_field *f, struct wire_pb_reader *r, unsigned wt, uint8_t *s)
{
	unsigned item_wt = f->kind == K_R_FLOAT ? WIRE_PB_FIXED32 : WIRE_PB_VARINT;
	struct wire_pb_reader run;
	int err;

	if (wt == item_wt)
		return msg_decode_item(f, r, s);
	if (wt != WIRE_PB_LEN)
		return WIRE_EWIRETYPE;
	err = wire_pb_read_len(r, &run);
	if (err < 0)
		return err;
	if (f->kind == K_R_FLOAT && wire_pb_reader_left(&run) % 4 != 0)
		return WIRE_ELENGTH;
	while (wire_pb_reader_left(&run) > 0) {
		err = msg_decode_item(f, &run, s);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Length-delimited kinds: strings, bytes, sub-messages. */
static int
msg_decode_len(const struct msg_field *f, struct wire_pb_reader *r, uint8_t *s)
{
	struct wire_pb_reader v;
	uint16_t *count = (uint16_t *)(void *)(s + f->count_off);
	size_t n;
	int err;

	err = wire_pb_read_len(r, &v);
	if (err < 0)
		return err;
	n = wire_pb_reader_left(&v);
	switch (f->kind) {
	case K_STR:
		/* Room for the NUL; a NUL inside would not survive a round trip. */
		if (n >= f->cap || (n > 0 && memchr(v.p, 0, n) != NULL))
			return WIRE_EFIELD;
		memset(s + f->off, 0, f->cap);
		if (n > 0)
			memcpy(s + f->off, v.p, n);
		return 0;
	case K_FIXBYTES:
		if (n != 0 && n != f->cap)
			return WIRE_EFIELD;
		memset(s + f->off, 0, f->cap);
		if (n > 0)
			memcpy(s + f->off, v.p, n);
		return 0;
	case K_BYTES:
		if (n > f->cap)
			return WIRE_EFIELD;
		memset(s + f->off, 0, f->cap);
		if (n > 0)
			memcpy(s + f->off, v.p, n);
		*count = (uint16_t)n;
		return 0;
	default: /* K_R_MSG */
		if (*count >= f->cap)
			return WIRE_EFIELD;
		err = msg_decode(f->sub, &v, s + f->off + (size_t)*count * f->sub->size);
		if (err < 0)
			return err;
		(*count)++;
		return 0;
	}
}

/* One known field whose key has been read. */
static int
msg_decode_field(const struct msg_field *f, struct wire_pb_reader *r, unsigned wt, uint8_t *s)
{
	uint64_t v64;
	uint32_t v32;
	void *dst = s + f->off;
	int err;

	switch (f->kind) {
	case K_U32:
	case K_U64:
	case K_S32:
	case K_ENUM:
		if (wt != WIRE_PB_VARINT)
			return WIRE_EWIRETYPE;
		err = wire_pb_read_varint(r, &v64);
		if (err < 0)
			return err;
		/* Narrowing keeps the low bits, as protobuf specifies (so a field can
		 * grow from 32 to 64 bits compatibly). */
		if (f->kind == K_U32)
			*(uint32_t *)dst = (uint32_t)v64;
		else if (f->kind == K_U64)
			*(uint64_t *)dst = v64;
		else if (f->kind == K_S32)
			*(int32_t *)dst = wire_pb_unzigzag32((uint32_t)v64);
		else
			*(int32_t *)dst = (int32_t)(uint32_t)v64;
		return 0;
	case K_FLOAT:
		if (wt != WIRE_PB_FIXED32)
			return WIRE_EWIRETYPE;
		err = wire_pb_read_fixed32(r, &v32);
		if (err < 0)
			return err;
		memcpy(dst, &v32, sizeof(v32));
		return 0;
	case K_FIX64:
		if (wt != WIRE_PB_FIXED64)
			return WIRE_EWIRETYPE;
		return wire_pb_read_fixed64(r, (uint64_t *)dst);
	case K_R_U32:
	case K_R_S32:
	case K_R_FLOAT:
		return msg_decode_repeated(f, r, wt, s);
	default:
		if (wt != WIRE_PB_LEN)
			return WIRE_EWIRETYPE;
		return msg_decode_len(f, r, s);
	}
}

/* Decode the fields in r into the struct at s, merging into what is there. */
static int
msg_decode(const struct msg_desc *d, struct wire_pb_reader *r, uint8_t *s)
{
	while (wire_pb_reader_left(r) > 0) {
		const struct msg_field *f = NULL;
		uint32_t num;
		unsigned wt, i;
		int err;

		err = wire_pb_read_key(r, &num, &wt);
		if (err < 0)
			return err;
		for (i = 0; i < d->n_fields; i++) {
			if (d->fields[i].num == num) {
				f = &d->fields[i];
				break;
			}
		}
		if (f == NULL)
			err = wire_pb_skip(r, wt);
		else
			err = msg_decode_field(f, r, wt, s);
		if (err < 0)
			return err;
	}
	return 0;
}

/* ---- encoder ---- */

static void msg_encode(const struct msg_desc *d, struct wire_pb_writer *w, const uint8_t *s);

static void
msg_encode_repeated(const struct msg_field *f, struct wire_pb_writer *w, const uint8_t *s)
{
	uint16_t n = *(const uint16_t *)(const void *)(s + f->count_off);
	size_t i, mark;

	if (n > f->cap) {
		wire_pb_fail(w, WIRE_EFIELD);
		return;
	}
	if (n == 0)
		return;
	if (f->kind == K_R_MSG) {
		for (i = 0; i < n; i++) {
			mark = wire_pb_begin(w, f->num);
			msg_encode(f->sub, w, s + f->off + i * f->sub->size);
			wire_pb_end(w, mark);
		}
		return;
	}
	/* proto3 packs repeated scalars. */
	mark = wire_pb_begin(w, f->num);
	for (i = 0; i < n; i++) {
		if (f->kind == K_R_U32) {
			wire_pb_put_varint(w, ((const uint32_t *)(const void *)(s + f->off))[i]);
		} else if (f->kind == K_R_S32) {
			int32_t v = ((const int32_t *)(const void *)(s + f->off))[i];

			wire_pb_put_varint(w, wire_pb_zigzag32(v));
		} else {
			uint32_t bits;

			memcpy(&bits, (const float *)(const void *)(s + f->off) + i, sizeof(bits));
			wire_pb_put_fixed32(w, bits);
		}
	}
	wire_pb_end(w, mark);
}

/* Strings and bytes; empty ones are not sent. */
static void
msg_encode_bytes(const struct msg_field *f, struct wire_pb_writer *w, const uint8_t *s)
{
	const uint8_t *p = s + f->off;
	const uint8_t *nul;
	size_t n, i;

	switch (f->kind) {
	case K_STR:
		nul = memchr(p, 0, f->cap);
		if (nul == NULL) {
			wire_pb_fail(w, WIRE_EFIELD);
			return;
		}
		n = (size_t)(nul - p);
		break;
	case K_FIXBYTES:
		/* All zero is "absent"; a real digest is never all zero. */
		n = 0;
		for (i = 0; i < f->cap; i++)
			if (p[i] != 0)
				n = f->cap;
		break;
	default: /* K_BYTES */
		n = *(const uint16_t *)(const void *)(s + f->count_off);
		if (n > f->cap) {
			wire_pb_fail(w, WIRE_EFIELD);
			return;
		}
		break;
	}
	if (n == 0)
		return;
	wire_pb_put_key(w, f->num, WIRE_PB_LEN);
	wire_pb_put_varint(w, n);
	wire_pb_put_bytes(w, p, n);
}

/* Fields in table (= field number) order; zero scalars are not sent. */
static void
msg_encode(const struct msg_desc *d, struct wire_pb_writer *w, const uint8_t *s)
{
	unsigned i;

	for (i = 0; i < d->n_fields && w->err == 0; i++) {
		const struct msg_field *f = &d->fields[i];
		const void *src = s + f->off;
		uint64_t v = 0;
		uint32_t bits;

		switch (f->kind) {
		case K_U32:
			v = *(const uint32_t *)src;
			break;
		case K_U64:
			v = *(const uint64_t *)src;
			break;
		case K_S32:
			v = wire_pb_zigzag32(*(const int32_t *)src);
			break;
		case K_ENUM: {
			/* Negative enums go out as 10-byte varints, as int32 does. */
			int64_t e = *(const int32_t *)src;

			v = (uint64_t)e;
			break;
		}
		case K_FLOAT:
			/* Compare bits, not values, so -0.0 survives a round trip. */
			memcpy(&bits, src, sizeof(bits));
			if (bits != 0) {
				wire_pb_put_key(w, f->num, WIRE_PB_FIXED32);
				wire_pb_put_fixed32(w, bits);
			}
			continue;
		case K_FIX64:
			v = *(const uint64_t *)src;
			if (v != 0) {
				wire_pb_put_key(w, f->num, WIRE_PB_FIXED64);
				wire_pb_put_fixed64(w, v);
			}
			continue;
		case K_STR:
		case K_FIXBYTES:
		case K_BYTES:
			msg_encode_bytes(f, w, s);
			continue;
		default:
			msg_encode_repeated(f, w, s);
			continue;
		}
		if (v != 0) {
			wire_pb_put_key(w, f->num, WIRE_PB_VARINT);
			wire_pb_put_varint(w, v);
		}
	}
}

/* ---- envelopes ---- */

/*
 * The body, then the envelope's seq_floor (0: not sent; the gateway envelope
 * has none). Field-number order, as protobuf-c writes it: every body number
 * is below WIRE_MSG_SEQ_FLOOR_FIELD.
 */
static int
msg_env_encode(const struct msg_body *bodies, size_t n_bodies, int type, const void *u,
               uint32_t seq_floor, uint8_t *out, size_t cap)
{
	const struct msg_body *b = msg_body_find(bodies, n_bodies, (uint32_t)type);
	struct wire_pb_writer w;
	size_t mark;

	if (b == NULL)
		return WIRE_ETYPE;
	wire_pb_writer_init(&w, out, cap);
	mark = wire_pb_begin(&w, b->num);
	msg_encode(b->desc, &w, u);
	wire_pb_end(&w, mark);
	if (seq_floor != 0) {
		wire_pb_put_key(&w, WIRE_MSG_SEQ_FLOOR_FIELD, WIRE_PB_VARINT);
		wire_pb_put_varint(&w, seq_floor);
	}
	return wire_pb_writer_finish(&w);
}

/*
 * Decode an envelope into *type and the union at u (usize bytes), both zeroed
 * by the caller, and its seq_floor into *seq_floor (NULL: the envelope has no
 * such field, so field 16 is unknown there). Unknown bodies are skipped like
 * any unknown field; the last known body wins, and so does the last seq_floor.
 */
static int
msg_env_decode(const struct msg_body *bodies, size_t n_bodies, const uint8_t *in, size_t len,
               int *type, uint8_t *u, size_t usize, uint32_t *seq_floor)
{
	struct wire_pb_reader r, sub;

	wire_pb_reader_init(&r, in, len);
	while (wire_pb_reader_left(&r) > 0) {
		const struct msg_body *b;
		uint32_t num;
		unsigned wt;
		int err;

		err = wire_pb_read_key(&r, &num, &wt);
		if (err < 0)
			return err;
		if (seq_floor != NULL && num == WIRE_MSG_SEQ_FLOOR_FIELD) {
			uint64_t v;

			if (wt != WIRE_PB_VARINT)
				return WIRE_EWIRETYPE;
			err = wire_pb_read_varint(&r, &v);
			if (err < 0)
				return err;
			*seq_floor = (uint32_t)v; /* narrowed to the low bits, as protobuf does */
			continue;
		}
		b = msg_body_find(bodies, n_bodies, num);
		if (b == NULL) {
			err = wire_pb_skip(&r, wt);
			if (err < 0)
				return err;
			continue;
		}
		if (wt != WIRE_PB_LEN)
			return WIRE_EWIRETYPE;
		err = wire_pb_read_len(&r, &sub);
		if (err < 0)
			return err;
		memset(u, 0, usize);
		*type = b->num;
		err = msg_decode(b->desc, &sub, u);
		if (err < 0)
			return err;
	}
	return *type == 0 ? WIRE_ETYPE : 0;
}

int
wire_msg_node_encode(const struct wire_node_msg *m, uint8_t *out, size_t cap)
{
	if (m == NULL || out == NULL)
		return WIRE_EINVAL;
	return msg_env_encode(node_bodies, NITEMS(node_bodies), (int)m->type, &m->u, m->seq_floor,
	                      out, cap);
}

int
wire_msg_node_append_seq_floor(uint8_t *buf, size_t len, size_t cap, uint32_t seq_floor)
{
	struct wire_pb_writer w;
	size_t need;

	if (buf == NULL || len > cap)
		return WIRE_EINVAL;
	if (seq_floor == 0)
		return (int)len;
	need = wire_pb_varint_size((uint64_t)WIRE_MSG_SEQ_FLOOR_FIELD << 3) +
	       wire_pb_varint_size(seq_floor);
	if (cap - len < need)
		return WIRE_ENOSPC;
	wire_pb_writer_init(&w, buf + len, cap - len);
	wire_pb_put_key(&w, WIRE_MSG_SEQ_FLOOR_FIELD, WIRE_PB_VARINT);
	wire_pb_put_varint(&w, seq_floor);
	return (int)(len + (size_t)w.pos);
}

int
wire_msg_gw_encode(const struct wire_gw_msg *m, uint8_t *out, size_t cap)
{
	if (m == NULL || out == NULL)
		return WIRE_EINVAL;
	return msg_env_encode(gw_bodies, NITEMS(gw_bodies), (int)m->type, &m->u, 0, out, cap);
}

/* Decoding goes into a local copy so *ret is untouched on failure. */
int
wire_msg_node_decode(const uint8_t *in, size_t len, struct wire_node_msg *ret)
{
	struct wire_node_msg m;
	int type = 0, err;

	if ((in == NULL && len > 0) || ret == NULL)
		return WIRE_EINVAL;
	memset(&m, 0, sizeof(m));
	err = msg_env_decode(node_bodies, NITEMS(node_bodies), in, len, &type, (uint8_t *)&m.u,
	                     sizeof(m.u), &m.seq_floor);
	if (err < 0)
		return err;
	m.type = (enum wire_node_msg_type)type;
	memcpy(ret, &m, sizeof(m));
	return 0;
}

int
wire_msg_gw_decode(const uint8_t *in, size_t len, struct wire_gw_msg *ret)
{
	struct wire_gw_msg m;
	int type = 0, err;

	if ((in == NULL && len > 0) || ret == NULL)
		return WIRE_EINVAL;
	memset(&m, 0, sizeof(m));
	err = msg_env_decode(gw_bodies, NITEMS(gw_bodies), in, len, &type, (uint8_t *)&m.u,
	                     sizeof(m.u), NULL);
	if (err < 0)
		return err;
	m.type = (enum wire_gw_msg_type)type;
	memcpy(ret, &m, sizeof(m));
	return 0;
}

const char *
wire_msg_node_type_name(enum wire_node_msg_type type)
{
	const struct msg_body *b = msg_body_find(node_bodies, NITEMS(node_bodies), (uint32_t)type);

	return b != NULL ? b->name : "unknown";
}

const char *
wire_msg_gw_type_name(enum wire_gw_msg_type type)
{
	const struct msg_body *b = msg_body_find(gw_bodies, NITEMS(gw_bodies), (uint32_t)type);

	return b != NULL ? b->name : "unknown";
}
