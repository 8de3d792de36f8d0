/*
 * check_msg: the node.proto message codec (node-firmware/wire/msg.c) against
 * protobuf-c, the codec the daemon uses.
 *
 * core:   for every message, bytes from wire_msg_*_encode() unpack with
 *         protobuf-c to equal values and protobuf-c packs the same bytes; bytes
 *         packed by protobuf-c decode with wire_msg_*_decode() to equal values.
 *         Edge values (zero, maximum, negative zigzag, empty and full repeated,
 *         longest strings and bytes) and seeded random values, both directions.
 *         Unknown fields of every wire type are skipped; non-packed repeated
 *         fields and repeated/merged bodies read as protobuf-c reads them.
 *         NodeMessage.seq_floor (the envelope field) in every one of those,
 *         and appended to a kept encoding as a node does when it sends.
 * limits: the largest message of each kind fits WIRE_MSG_MAX; every capacity
 *         is accepted when full and refused one past it; every too-small output
 *         buffer gets WIRE_ENOSPC without a byte written past it.
 * errors: the bad-input table (name, bytes, expected code); bad arguments.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire/msg.h"
#include "wire/pb.h"
#include "tinyfleet/v1/node.pb-c.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- random and edge values (seeded: runs are repeatable) ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t
pick_u32(void)
{
	static const uint32_t edge[] = {0, 1, 127, 128, 16383, 16384, 0x7fffffffu, UINT32_MAX};

	if (rnd() % 2)
		return edge[rnd() % NITEMS(edge)];
	return (uint32_t)(rnd() >> (rnd() % 32));
}

static uint64_t
pick_u64(void)
{
	static const uint64_t edge[] = {0, 1, 128, UINT32_MAX, 1ull << 63, UINT64_MAX};

	if (rnd() % 2)
		return edge[rnd() % NITEMS(edge)];
	return rnd() >> (rnd() % 64);
}

static int32_t
pick_s32(void)
{
	static const int32_t edge[] = {0, 1, -1, 63, -64, 64, -65, INT32_MAX, INT32_MIN, -128, 127};

	if (rnd() % 2)
		return edge[rnd() % NITEMS(edge)];
	return (int32_t)(uint32_t)(rnd() >> (rnd() % 32));
}

static float
pick_float(void)
{
	static const float edge[] = {0.0f,     1.0f,    -1.5f,    0.00390625f, FLT_MAX,
	                             -FLT_MAX, FLT_MIN, INFINITY, -INFINITY};
	uint32_t bits;
	float f;

	if (rnd() % 2)
		return edge[rnd() % NITEMS(edge)];
	bits = (uint32_t)rnd();
	memcpy(&f, &bits, sizeof(f));
	if (f != f || f == 0.0f) /* NaN payloads and -0.0 get their own tests */
		return 0.5f;
	return f;
}

/* A string of 0..cap-1 printable bytes; sometimes exactly the longest. */
static void
pick_str(char *dst, size_t cap)
{
	size_t n = rnd() % 3 == 0 ? cap - 1 : rnd() % cap;
	size_t i;

	memset(dst, 0, cap);
	for (i = 0; i < n; i++)
		dst[i] = (char)(0x20 + rnd() % 95);
}

static uint16_t
pick_count(size_t cap)
{
	switch (rnd() % 4) {
	case 0:
		return 0;
	case 1:
		return (uint16_t)cap;
	default:
		return (uint16_t)(rnd() % (cap + 1));
	}
}

/* ---- filling our structs: mode 0 zero, 1 maximum, 2 random ---- */

enum fill { FILL_ZERO, FILL_MAX, FILL_RANDOM };

#define U32(mode)      ((mode) == FILL_MAX ? UINT32_MAX : (mode) == FILL_RANDOM ? pick_u32() : 0)
#define U64(mode)      ((mode) == FILL_MAX ? UINT64_MAX : (mode) == FILL_RANDOM ? pick_u64() : 0)
#define S32(mode)      ((mode) == FILL_MAX ? INT32_MIN : (mode) == FILL_RANDOM ? pick_s32() : 0)
#define CNT(mode, cap) ((mode) == FILL_MAX ? (cap) : (mode) == FILL_RANDOM ? pick_count(cap) : 0)

static void
fill_str(enum fill mode, char *dst, size_t cap)
{
	memset(dst, 0, cap);
	if (mode == FILL_MAX)
		memset(dst, 'z', cap - 1);
	else if (mode == FILL_RANDOM)
		pick_str(dst, cap);
}

static void
fill_node(enum fill mode, enum wire_node_msg_type type, struct wire_node_msg *m)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->seq_floor = U32(mode);
	switch (type) {
	case WIRE_NODE_HELLO: {
		struct wire_msg_hello *h = &m->u.hello;

		h->seq = U32(mode);
		fill_str(mode, h->firmware, sizeof(h->firmware));
		h->core_version = U32(mode);
		h->n_ops = CNT(mode, WIRE_MSG_OPS_MAX);
		for (i = 0; i < h->n_ops; i++)
			h->ops[i] = mode == FILL_MAX ? UINT32_MAX : pick_u32();
		h->arena_bytes = U32(mode);
		h->slot_size = U32(mode);
		h->n_sensors = CNT(mode, WIRE_MSG_SENSORS_MAX);
		for (i = 0; i < h->n_sensors; i++) {
			fill_str(mode, h->sensors[i].name, sizeof(h->sensors[i].name));
			h->sensors[i].rate_mhz = U32(mode);
			h->sensors[i].channels = U32(mode);
		}
		fill_str(mode, h->board, sizeof(h->board));
		h->slots = U32(mode);
		h->mono_ms = U64(mode);
		h->reset_reason = mode == FILL_RANDOM ? pick_s32() : mode == FILL_MAX ? -1 : 0;
		break;
	}
	case WIRE_NODE_INFERENCE: {
		struct wire_msg_inference *in = &m->u.inference;

		in->seq = U32(mode);
		in->mono_ms = U64(mode);
		in->unix_ms = U64(mode);
		in->model_id = U32(mode);
		in->model_version = U32(mode);
		in->label = U32(mode);
		fill_str(mode, in->top_label, sizeof(in->top_label));
		in->n_scores_raw = CNT(mode, WIRE_MSG_SCORES_MAX);
		for (i = 0; i < in->n_scores_raw; i++)
			in->scores_raw[i] = mode == FILL_MAX ? INT32_MIN : pick_s32();
		in->n_scores = CNT(mode, WIRE_MSG_SCORES_MAX);
		for (i = 0; i < in->n_scores; i++)
			in->scores[i] = mode == FILL_MAX ? -FLT_MAX : pick_float();
		in->latency_us = U32(mode);
		in->score_scale = mode == FILL_MAX      ? FLT_MAX
		                  : mode == FILL_RANDOM ? pick_float()
		                                        : 0;
		in->score_zero_point = S32(mode);
		break;
	}
	case WIRE_NODE_HEALTH: {
		struct wire_msg_health *h = &m->u.health;

		h->seq = U32(mode);
		h->mono_ms = U64(mode);
		h->unix_ms = U64(mode);
		h->battery_mv = U32(mode);
		h->rssi_dbm = S32(mode);
		h->uptime_s = U32(mode);
		h->reboots = U32(mode);
		h->reset_reason = mode == FILL_RANDOM ? pick_s32()
		                  : mode == FILL_MAX  ? INT32_MIN
		                                      : 0;
		h->free_mem_bytes = U32(mode);
		h->inferences = U32(mode);
		h->latency_mean_us = U32(mode);
		h->latency_max_us = U32(mode);
		h->inference_errors = U32(mode);
		h->outbox_depth = U32(mode);
		h->outbox_drops = U32(mode);
		h->retransmits = U32(mode);
		h->frames_rejected = U32(mode);
		h->temperature_dc = S32(mode);
		break;
	}
	case WIRE_NODE_MODEL_STATUS: {
		struct wire_msg_model_status *s = &m->u.model_status;

		s->seq = U32(mode);
		s->n_slots = CNT(mode, WIRE_MSG_SLOTS_MAX);
		for (i = 0; i < s->n_slots; i++) {
			s->slots[i].index = U32(mode);
			s->slots[i].model_id = U32(mode);
			s->slots[i].model_version = U32(mode);
			s->slots[i].state = mode == FILL_MAX ? INT32_MAX : (int32_t)(rnd() % 6);
			s->slots[i].size_bytes = U32(mode);
		}
		s->active_slot = U32(mode);
		s->download_model_id = U32(mode);
		s->download_version = U32(mode);
		s->download_bytes = U32(mode);
		s->download_total = U32(mode);
		s->last_error = S32(mode);
		s->mono_ms = U64(mode);
		break;
	}
	case WIRE_NODE_CHUNK_REQUEST: {
		struct wire_msg_chunk_request *c = &m->u.chunk_request;

		c->model_id = U32(mode);
		c->model_version = U32(mode);
		c->index = U32(mode);
		c->count = U32(mode);
		break;
	}
	default:
		break;
	}
}

static void
fill_gw(enum fill mode, enum wire_gw_msg_type type, struct wire_gw_msg *m)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case WIRE_GW_ACK:
		m->u.ack.cumulative = U32(mode);
		m->u.ack.sack_bitmap = U64(mode);
		break;
	case WIRE_GW_TIME_SYNC:
		m->u.time_sync.unix_ms = U64(mode);
		m->u.time_sync.echo_mono_ms = U64(mode);
		break;
	case WIRE_GW_MODEL_OFFER: {
		struct wire_msg_model_offer *o = &m->u.model_offer;

		o->model_id = U32(mode);
		o->model_version = U32(mode);
		o->size_bytes = U32(mode);
		if (mode != FILL_ZERO)
			for (i = 0; i < WIRE_MSG_SHA256_LEN; i++)
				o->sha256[i] = mode == FILL_MAX ? 0xff : (uint8_t)rnd();
		o->chunk_size = U32(mode);
		o->arena_bytes = U32(mode);
		o->n_ops = CNT(mode, WIRE_MSG_OPS_MAX);
		for (i = 0; i < o->n_ops; i++)
			o->ops[i] = mode == FILL_MAX ? UINT32_MAX : pick_u32();
		o->min_core_version = U32(mode);
		fill_str(mode, o->name, sizeof(o->name));
		o->rollout_id = U32(mode);
		break;
	}
	case WIRE_GW_CHUNK: {
		struct wire_msg_chunk *c = &m->u.chunk;

		c->model_id = U32(mode);
		c->model_version = U32(mode);
		c->index = U32(mode);
		c->len = CNT(mode, WIRE_MSG_CHUNK_MAX);
		for (i = 0; i < c->len; i++)
			c->data[i] = mode == FILL_MAX ? 0xff : (uint8_t)rnd();
		break;
	}
	case WIRE_GW_ACTIVATE:
		m->u.activate.model_id = U32(mode);
		m->u.activate.model_version = U32(mode);
		m->u.activate.rollout_id = U32(mode);
		break;
	case WIRE_GW_ROLLBACK:
		m->u.rollback.model_id = U32(mode);
		m->u.rollback.model_version = U32(mode);
		m->u.rollback.rollout_id = U32(mode);
		break;
	case WIRE_GW_CONFIG: {
		struct wire_msg_config *c = &m->u.config;

		c->inference_period_ms = U32(mode);
		c->health_period_ms = U32(mode);
		c->status_period_ms = U32(mode);
		c->report_min_score_permille = U32(mode);
		c->retransmit_initial_ms = U32(mode);
		c->retransmit_max_ms = U32(mode);
		c->battery_low_mv = U32(mode);
		c->config_version = U32(mode);
		break;
	}
	default:
		break;
	}
}

/* ---- our structs -> protobuf-c structs (pointing into ours) ---- */

struct pbc_node {
	Tinyfleet__V1__NodeMessage env;
	Tinyfleet__V1__Hello hello;
	Tinyfleet__V1__Sensor sensors[WIRE_MSG_SENSORS_MAX];
	Tinyfleet__V1__Sensor *sensor_ptrs[WIRE_MSG_SENSORS_MAX];
	Tinyfleet__V1__Inference inference;
	Tinyfleet__V1__Health health;
	Tinyfleet__V1__ModelStatus model_status;
	Tinyfleet__V1__Slot slots[WIRE_MSG_SLOTS_MAX];
	Tinyfleet__V1__Slot *slot_ptrs[WIRE_MSG_SLOTS_MAX];
	Tinyfleet__V1__ChunkRequest chunk_request;
};

static void
to_pbc_node(struct wire_node_msg *m, struct pbc_node *p)
{
	static const Tinyfleet__V1__NodeMessage env_init = TINYFLEET__V1__NODE_MESSAGE__INIT;
	unsigned i;

	p->env = env_init;
	p->env.body_case = (Tinyfleet__V1__NodeMessage__BodyCase)m->type;
	p->env.seq_floor = m->seq_floor;
	switch (m->type) {
	case WIRE_NODE_HELLO: {
		static const Tinyfleet__V1__Hello init = TINYFLEET__V1__HELLO__INIT;
		static const Tinyfleet__V1__Sensor sinit = TINYFLEET__V1__SENSOR__INIT;
		struct wire_msg_hello *h = &m->u.hello;

		p->hello = init;
		p->hello.seq = h->seq;
		p->hello.firmware = h->firmware;
		p->hello.core_version = h->core_version;
		p->hello.n_ops = h->n_ops;
		p->hello.ops = h->ops;
		p->hello.arena_bytes = h->arena_bytes;
		p->hello.slot_size = h->slot_size;
		p->hello.n_sensors = h->n_sensors;
		p->hello.sensors = p->sensor_ptrs;
		for (i = 0; i < h->n_sensors; i++) {
			p->sensors[i] = sinit;
			p->sensors[i].name = h->sensors[i].name;
			p->sensors[i].rate_mhz = h->sensors[i].rate_mhz;
			p->sensors[i].channels = h->sensors[i].channels;
			p->sensor_ptrs[i] = &p->sensors[i];
		}
		p->hello.board = h->board;
		p->hello.slots = h->slots;
		p->hello.mono_ms = h->mono_ms;
		p->hello.reset_reason = (Tinyfleet__V1__ResetReason)h->reset_reason;
		p->env.hello = &p->hello;
		break;
	}
	case WIRE_NODE_INFERENCE: {
		static const Tinyfleet__V1__Inference init = TINYFLEET__V1__INFERENCE__INIT;
		struct wire_msg_inference *in = &m->u.inference;

		p->inference = init;
		p->inference.seq = in->seq;
		p->inference.mono_ms = in->mono_ms;
		p->inference.unix_ms = in->unix_ms;
		p->inference.model_id = in->model_id;
		p->inference.model_version = in->model_version;
		p->inference.label = in->label;
		p->inference.top_label = in->top_label;
		p->inference.n_scores_raw = in->n_scores_raw;
		p->inference.scores_raw = in->scores_raw;
		p->inference.n_scores = in->n_scores;
		p->inference.scores = in->scores;
		p->inference.latency_us = in->latency_us;
		p->inference.score_scale = in->score_scale;
		p->inference.score_zero_point = in->score_zero_point;
		p->env.inference = &p->inference;
		break;
	}
	case WIRE_NODE_HEALTH: {
		static const Tinyfleet__V1__Health init = TINYFLEET__V1__HEALTH__INIT;
		struct wire_msg_health *h = &m->u.health;

		p->health = init;
		p->health.seq = h->seq;
		p->health.mono_ms = h->mono_ms;
		p->health.unix_ms = h->unix_ms;
		p->health.battery_mv = h->battery_mv;
		p->health.rssi_dbm = h->rssi_dbm;
		p->health.uptime_s = h->uptime_s;
		p->health.reboots = h->reboots;
		p->health.reset_reason = (Tinyfleet__V1__ResetReason)h->reset_reason;
		p->health.free_mem_bytes = h->free_mem_bytes;
		p->health.inferences = h->inferences;
		p->health.latency_mean_us = h->latency_mean_us;
		p->health.latency_max_us = h->latency_max_us;
		p->health.inference_errors = h->inference_errors;
		p->health.outbox_depth = h->outbox_depth;
		p->health.outbox_drops = h->outbox_drops;
		p->health.retransmits = h->retransmits;
		p->health.frames_rejected = h->frames_rejected;
		p->health.temperature_dc = h->temperature_dc;
		p->env.health = &p->health;
		break;
	}
	case WIRE_NODE_MODEL_STATUS: {
		static const Tinyfleet__V1__ModelStatus init = TINYFLEET__V1__MODEL_STATUS__INIT;
		static const Tinyfleet__V1__Slot sinit = TINYFLEET__V1__SLOT__INIT;
		struct wire_msg_model_status *s = &m->u.model_status;

		p->model_status = init;
		p->model_status.seq = s->seq;
		p->model_status.n_slots = s->n_slots;
		p->model_status.slots = p->slot_ptrs;
		for (i = 0; i < s->n_slots; i++) {
			p->slots[i] = sinit;
			p->slots[i].index = s->slots[i].index;
			p->slots[i].model_id = s->slots[i].model_id;
			p->slots[i].model_version = s->slots[i].model_version;
			p->slots[i].state = (Tinyfleet__V1__SlotState)s->slots[i].state;
			p->slots[i].size_bytes = s->slots[i].size_bytes;
			p->slot_ptrs[i] = &p->slots[i];
		}
		p->model_status.active_slot = s->active_slot;
		p->model_status.download_model_id = s->download_model_id;
		p->model_status.download_version = s->download_version;
		p->model_status.download_bytes = s->download_bytes;
		p->model_status.download_total = s->download_total;
		p->model_status.last_error = s->last_error;
		p->model_status.mono_ms = s->mono_ms;
		p->env.model_status = &p->model_status;
		break;
	}
	case WIRE_NODE_CHUNK_REQUEST: {
		static const Tinyfleet__V1__ChunkRequest init = TINYFLEET__V1__CHUNK_REQUEST__INIT;
		struct wire_msg_chunk_request *c = &m->u.chunk_request;

		p->chunk_request = init;
		p->chunk_request.model_id = c->model_id;
		p->chunk_request.model_version = c->model_version;
		p->chunk_request.index = c->index;
		p->chunk_request.count = c->count;
		p->env.chunk_request = &p->chunk_request;
		break;
	}
	default:
		ck_abort_msg("no such node message type %d", m->type);
	}
}

struct pbc_gw {
	Tinyfleet__V1__GatewayMessage env;
	Tinyfleet__V1__Ack ack;
	Tinyfleet__V1__TimeSync time_sync;
	Tinyfleet__V1__ModelOffer model_offer;
	Tinyfleet__V1__Chunk chunk;
	Tinyfleet__V1__Activate activate;
	Tinyfleet__V1__Rollback rollback;
	Tinyfleet__V1__Config config;
};

static void
to_pbc_gw(struct wire_gw_msg *m, struct pbc_gw *p)
{
	static const Tinyfleet__V1__GatewayMessage env_init = TINYFLEET__V1__GATEWAY_MESSAGE__INIT;

	p->env = env_init;
	p->env.body_case = (Tinyfleet__V1__GatewayMessage__BodyCase)m->type;
	switch (m->type) {
	case WIRE_GW_ACK: {
		static const Tinyfleet__V1__Ack init = TINYFLEET__V1__ACK__INIT;

		p->ack = init;
		p->ack.cumulative = m->u.ack.cumulative;
		p->ack.sack_bitmap = m->u.ack.sack_bitmap;
		p->env.ack = &p->ack;
		break;
	}
	case WIRE_GW_TIME_SYNC: {
		static const Tinyfleet__V1__TimeSync init = TINYFLEET__V1__TIME_SYNC__INIT;

		p->time_sync = init;
		p->time_sync.unix_ms = m->u.time_sync.unix_ms;
		p->time_sync.echo_mono_ms = m->u.time_sync.echo_mono_ms;
		p->env.time_sync = &p->time_sync;
		break;
	}
	case WIRE_GW_MODEL_OFFER: {
		static const Tinyfleet__V1__ModelOffer init = TINYFLEET__V1__MODEL_OFFER__INIT;
		static const uint8_t zero[WIRE_MSG_SHA256_LEN];
		struct wire_msg_model_offer *o = &m->u.model_offer;

		p->model_offer = init;
		p->model_offer.model_id = o->model_id;
		p->model_offer.model_version = o->model_version;
		p->model_offer.size_bytes = o->size_bytes;
		/* An all-zero digest is "absent" in our struct. */
		if (memcmp(o->sha256, zero, sizeof(zero)) != 0) {
			p->model_offer.sha256.len = WIRE_MSG_SHA256_LEN;
			p->model_offer.sha256.data = o->sha256;
		}
		p->model_offer.chunk_size = o->chunk_size;
		p->model_offer.arena_bytes = o->arena_bytes;
		p->model_offer.n_ops = o->n_ops;
		p->model_offer.ops = o->ops;
		p->model_offer.min_core_version = o->min_core_version;
		p->model_offer.name = o->name;
		p->model_offer.rollout_id = o->rollout_id;
		p->env.model_offer = &p->model_offer;
		break;
	}
	case WIRE_GW_CHUNK: {
		static const Tinyfleet__V1__Chunk init = TINYFLEET__V1__CHUNK__INIT;

		p->chunk = init;
		p->chunk.model_id = m->u.chunk.model_id;
		p->chunk.model_version = m->u.chunk.model_version;
		p->chunk.index = m->u.chunk.index;
		p->chunk.data.len = m->u.chunk.len;
		p->chunk.data.data = m->u.chunk.data;
		p->env.chunk = &p->chunk;
		break;
	}
	case WIRE_GW_ACTIVATE: {
		static const Tinyfleet__V1__Activate init = TINYFLEET__V1__ACTIVATE__INIT;

		p->activate = init;
		p->activate.model_id = m->u.activate.model_id;
		p->activate.model_version = m->u.activate.model_version;
		p->activate.rollout_id = m->u.activate.rollout_id;
		p->env.activate = &p->activate;
		break;
	}
	case WIRE_GW_ROLLBACK: {
		static const Tinyfleet__V1__Rollback init = TINYFLEET__V1__ROLLBACK__INIT;

		p->rollback = init;
		p->rollback.model_id = m->u.rollback.model_id;
		p->rollback.model_version = m->u.rollback.model_version;
		p->rollback.rollout_id = m->u.rollback.rollout_id;
		p->env.rollback = &p->rollback;
		break;
	}
	case WIRE_GW_CONFIG: {
		static const Tinyfleet__V1__Config init = TINYFLEET__V1__CONFIG__INIT;
		struct wire_msg_config *c = &m->u.config;

		p->config = init;
		p->config.inference_period_ms = c->inference_period_ms;
		p->config.health_period_ms = c->health_period_ms;
		p->config.status_period_ms = c->status_period_ms;
		p->config.report_min_score_permille = c->report_min_score_permille;
		p->config.retransmit_initial_ms = c->retransmit_initial_ms;
		p->config.retransmit_max_ms = c->retransmit_max_ms;
		p->config.battery_low_mv = c->battery_low_mv;
		p->config.config_version = c->config_version;
		p->env.config = &p->config;
		break;
	}
	default:
		ck_abort_msg("no such gateway message type %d", m->type);
	}
}

/* ---- protobuf-c structs -> ours (asserting they fit) ---- */

static void
copy_str(char *dst, size_t cap, const char *src)
{
	ck_assert_ptr_nonnull(src);
	ck_assert_uint_lt(strlen(src), cap);
	memset(dst, 0, cap);
	memcpy(dst, src, strlen(src));
}

#define COPY_REP(dst, n_dst, src, n_src)                                                           \
	do {                                                                                       \
		ck_assert_uint_le((n_src), NITEMS(dst));                                           \
		(n_dst) = (uint16_t)(n_src);                                                       \
		if ((n_src) > 0)                                                                   \
			memcpy((dst), (src), (n_src) * sizeof((dst)[0]));                          \
	} while (0)

static void
from_pbc_node(const Tinyfleet__V1__NodeMessage *p, struct wire_node_msg *m)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->type = (enum wire_node_msg_type)p->body_case;
	m->seq_floor = p->seq_floor;
	switch (p->body_case) {
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO: {
		const Tinyfleet__V1__Hello *s = p->hello;
		struct wire_msg_hello *h = &m->u.hello;

		h->seq = s->seq;
		copy_str(h->firmware, sizeof(h->firmware), s->firmware);
		h->core_version = s->core_version;
		COPY_REP(h->ops, h->n_ops, s->ops, s->n_ops);
		h->arena_bytes = s->arena_bytes;
		h->slot_size = s->slot_size;
		ck_assert_uint_le(s->n_sensors, WIRE_MSG_SENSORS_MAX);
		h->n_sensors = (uint16_t)s->n_sensors;
		for (i = 0; i < s->n_sensors; i++) {
			copy_str(h->sensors[i].name, sizeof(h->sensors[i].name),
			         s->sensors[i]->name);
			h->sensors[i].rate_mhz = s->sensors[i]->rate_mhz;
			h->sensors[i].channels = s->sensors[i]->channels;
		}
		copy_str(h->board, sizeof(h->board), s->board);
		h->slots = s->slots;
		h->mono_ms = s->mono_ms;
		h->reset_reason = (int32_t)s->reset_reason;
		break;
	}
	case TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE: {
		const Tinyfleet__V1__Inference *s = p->inference;
		struct wire_msg_inference *in = &m->u.inference;

		in->seq = s->seq;
		in->mono_ms = s->mono_ms;
		in->unix_ms = s->unix_ms;
		in->model_id = s->model_id;
		in->model_version = s->model_version;
		in->label = s->label;
		copy_str(in->top_label, sizeof(in->top_label), s->top_label);
		COPY_REP(in->scores_raw, in->n_scores_raw, s->scores_raw, s->n_scores_raw);
		COPY_REP(in->scores, in->n_scores, s->scores, s->n_scores);
		in->latency_us = s->latency_us;
		in->score_scale = s->score_scale;
		in->score_zero_point = s->score_zero_point;
		break;
	}
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HEALTH: {
		const Tinyfleet__V1__Health *s = p->health;
		struct wire_msg_health *h = &m->u.health;

		h->seq = s->seq;
		h->mono_ms = s->mono_ms;
		h->unix_ms = s->unix_ms;
		h->battery_mv = s->battery_mv;
		h->rssi_dbm = s->rssi_dbm;
		h->uptime_s = s->uptime_s;
		h->reboots = s->reboots;
		h->reset_reason = (int32_t)s->reset_reason;
		h->free_mem_bytes = s->free_mem_bytes;
		h->inferences = s->inferences;
		h->latency_mean_us = s->latency_mean_us;
		h->latency_max_us = s->latency_max_us;
		h->inference_errors = s->inference_errors;
		h->outbox_depth = s->outbox_depth;
		h->outbox_drops = s->outbox_drops;
		h->retransmits = s->retransmits;
		h->frames_rejected = s->frames_rejected;
		h->temperature_dc = s->temperature_dc;
		break;
	}
	case TINYFLEET__V1__NODE_MESSAGE__BODY_MODEL_STATUS: {
		const Tinyfleet__V1__ModelStatus *s = p->model_status;
		struct wire_msg_model_status *ms = &m->u.model_status;

		ms->seq = s->seq;
		ck_assert_uint_le(s->n_slots, WIRE_MSG_SLOTS_MAX);
		ms->n_slots = (uint16_t)s->n_slots;
		for (i = 0; i < s->n_slots; i++) {
			ms->slots[i].index = s->slots[i]->index;
			ms->slots[i].model_id = s->slots[i]->model_id;
			ms->slots[i].model_version = s->slots[i]->model_version;
			ms->slots[i].state = (int32_t)s->slots[i]->state;
			ms->slots[i].size_bytes = s->slots[i]->size_bytes;
		}
		ms->active_slot = s->active_slot;
		ms->download_model_id = s->download_model_id;
		ms->download_version = s->download_version;
		ms->download_bytes = s->download_bytes;
		ms->download_total = s->download_total;
		ms->last_error = s->last_error;
		ms->mono_ms = s->mono_ms;
		break;
	}
	case TINYFLEET__V1__NODE_MESSAGE__BODY_CHUNK_REQUEST: {
		const Tinyfleet__V1__ChunkRequest *s = p->chunk_request;

		m->u.chunk_request.model_id = s->model_id;
		m->u.chunk_request.model_version = s->model_version;
		m->u.chunk_request.index = s->index;
		m->u.chunk_request.count = s->count;
		break;
	}
	default:
		break;
	}
}

static void
from_pbc_gw(const Tinyfleet__V1__GatewayMessage *p, struct wire_gw_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = (enum wire_gw_msg_type)p->body_case;
	switch (p->body_case) {
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ACK:
		m->u.ack.cumulative = p->ack->cumulative;
		m->u.ack.sack_bitmap = p->ack->sack_bitmap;
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_TIME_SYNC:
		m->u.time_sync.unix_ms = p->time_sync->unix_ms;
		m->u.time_sync.echo_mono_ms = p->time_sync->echo_mono_ms;
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_MODEL_OFFER: {
		const Tinyfleet__V1__ModelOffer *s = p->model_offer;
		struct wire_msg_model_offer *o = &m->u.model_offer;

		o->model_id = s->model_id;
		o->model_version = s->model_version;
		o->size_bytes = s->size_bytes;
		ck_assert(s->sha256.len == 0 || s->sha256.len == WIRE_MSG_SHA256_LEN);
		if (s->sha256.len > 0)
			memcpy(o->sha256, s->sha256.data, s->sha256.len);
		o->chunk_size = s->chunk_size;
		o->arena_bytes = s->arena_bytes;
		COPY_REP(o->ops, o->n_ops, s->ops, s->n_ops);
		o->min_core_version = s->min_core_version;
		copy_str(o->name, sizeof(o->name), s->name);
		o->rollout_id = s->rollout_id;
		break;
	}
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_CHUNK:
		m->u.chunk.model_id = p->chunk->model_id;
		m->u.chunk.model_version = p->chunk->model_version;
		m->u.chunk.index = p->chunk->index;
		COPY_REP(m->u.chunk.data, m->u.chunk.len, p->chunk->data.data, p->chunk->data.len);
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ACTIVATE:
		m->u.activate.model_id = p->activate->model_id;
		m->u.activate.model_version = p->activate->model_version;
		m->u.activate.rollout_id = p->activate->rollout_id;
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ROLLBACK:
		m->u.rollback.model_id = p->rollback->model_id;
		m->u.rollback.model_version = p->rollback->model_version;
		m->u.rollback.rollout_id = p->rollback->rollout_id;
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_CONFIG: {
		const Tinyfleet__V1__Config *s = p->config;
		struct wire_msg_config *c = &m->u.config;

		c->inference_period_ms = s->inference_period_ms;
		c->health_period_ms = s->health_period_ms;
		c->status_period_ms = s->status_period_ms;
		c->report_min_score_permille = s->report_min_score_permille;
		c->retransmit_initial_ms = s->retransmit_initial_ms;
		c->retransmit_max_ms = s->retransmit_max_ms;
		c->battery_low_mv = s->battery_low_mv;
		c->config_version = s->config_version;
		break;
	}
	default:
		break;
	}
}

/* ---- interop checks ---- */

/*
 * Both directions for one node message: ours -> bytes -> protobuf-c equals the
 * input and protobuf-c packs the same bytes; protobuf-c -> bytes -> ours
 * equals the input.
 */
static void
check_node_interop(struct wire_node_msg *m, const char *what)
{
	uint8_t ours[1024], theirs[1024];
	struct pbc_node p;
	struct wire_node_msg back;
	Tinyfleet__V1__NodeMessage *u;
	size_t n_theirs;
	int n;

	n = wire_msg_node_encode(m, ours, sizeof(ours));
	ck_assert_msg(n > 0, "%s: encode %s", what, wire_strerror(n));
	u = tinyfleet__v1__node_message__unpack(NULL, (size_t)n, ours);
	ck_assert_msg(u != NULL, "%s: protobuf-c cannot unpack our bytes", what);
	from_pbc_node(u, &back);
	tinyfleet__v1__node_message__free_unpacked(u, NULL);
	ck_assert_msg(memcmp(&back, m, sizeof(back)) == 0, "%s: protobuf-c reads other values",
	              what);

	to_pbc_node(m, &p);
	n_theirs = tinyfleet__v1__node_message__get_packed_size(&p.env);
	ck_assert_uint_le(n_theirs, sizeof(theirs));
	ck_assert_uint_eq(tinyfleet__v1__node_message__pack(&p.env, theirs), n_theirs);
	ck_assert_msg(n_theirs == (size_t)n && memcmp(ours, theirs, n_theirs) == 0,
	              "%s: encodings differ (ours %d bytes, protobuf-c %zu)", what, n, n_theirs);
	memset(&back, 0xa5, sizeof(back));
	ck_assert_int_eq(wire_msg_node_decode(theirs, n_theirs, &back), 0);
	ck_assert_msg(memcmp(&back, m, sizeof(back)) == 0, "%s: we read other values", what);
}

static void
check_gw_interop(struct wire_gw_msg *m, const char *what)
{
	uint8_t ours[1024], theirs[1024];
	struct pbc_gw p;
	struct wire_gw_msg back;
	Tinyfleet__V1__GatewayMessage *u;
	size_t n_theirs;
	int n;

	n = wire_msg_gw_encode(m, ours, sizeof(ours));
	ck_assert_msg(n > 0, "%s: encode %s", what, wire_strerror(n));
	u = tinyfleet__v1__gateway_message__unpack(NULL, (size_t)n, ours);
	ck_assert_msg(u != NULL, "%s: protobuf-c cannot unpack our bytes", what);
	from_pbc_gw(u, &back);
	tinyfleet__v1__gateway_message__free_unpacked(u, NULL);
	ck_assert_msg(memcmp(&back, m, sizeof(back)) == 0, "%s: protobuf-c reads other values",
	              what);

	to_pbc_gw(m, &p);
	n_theirs = tinyfleet__v1__gateway_message__get_packed_size(&p.env);
	ck_assert_uint_le(n_theirs, sizeof(theirs));
	ck_assert_uint_eq(tinyfleet__v1__gateway_message__pack(&p.env, theirs), n_theirs);
	ck_assert_msg(n_theirs == (size_t)n && memcmp(ours, theirs, n_theirs) == 0,
	              "%s: encodings differ (ours %d bytes, protobuf-c %zu)", what, n, n_theirs);
	memset(&back, 0xa5, sizeof(back));
	ck_assert_int_eq(wire_msg_gw_decode(theirs, n_theirs, &back), 0);
	ck_assert_msg(memcmp(&back, m, sizeof(back)) == 0, "%s: we read other values", what);
}

/* Raw bytes both decoders must accept and agree on. */
static void
check_node_bytes_agree(const uint8_t *in, size_t len)
{
	Tinyfleet__V1__NodeMessage *u = tinyfleet__v1__node_message__unpack(NULL, len, in);
	struct wire_node_msg ours, theirs;

	ck_assert_ptr_nonnull(u);
	from_pbc_node(u, &theirs);
	tinyfleet__v1__node_message__free_unpacked(u, NULL);
	ck_assert_int_eq(wire_msg_node_decode(in, len, &ours), 0);
	ck_assert(memcmp(&ours, &theirs, sizeof(ours)) == 0);
}

static void
check_gw_bytes_agree(const uint8_t *in, size_t len)
{
	Tinyfleet__V1__GatewayMessage *u = tinyfleet__v1__gateway_message__unpack(NULL, len, in);
	struct wire_gw_msg ours, theirs;

	ck_assert_ptr_nonnull(u);
	from_pbc_gw(u, &theirs);
	tinyfleet__v1__gateway_message__free_unpacked(u, NULL);
	ck_assert_int_eq(wire_msg_gw_decode(in, len, &ours), 0);
	ck_assert(memcmp(&ours, &theirs, sizeof(ours)) == 0);
}

static const enum wire_node_msg_type node_types[] = {
        WIRE_NODE_HELLO,        WIRE_NODE_INFERENCE,     WIRE_NODE_HEALTH,
        WIRE_NODE_MODEL_STATUS, WIRE_NODE_CHUNK_REQUEST,
};
static const enum wire_gw_msg_type gw_types[] = {
        WIRE_GW_ACK,      WIRE_GW_TIME_SYNC, WIRE_GW_MODEL_OFFER, WIRE_GW_CHUNK,
        WIRE_GW_ACTIVATE, WIRE_GW_ROLLBACK,  WIRE_GW_CONFIG,
};

/* ---- core ---- */

START_TEST(test_msg_node_zero_values_interoperate)
{
	struct wire_node_msg m;

	fill_node(FILL_ZERO, node_types[_i], &m);
	check_node_interop(&m, wire_msg_node_type_name(m.type));
}
END_TEST

START_TEST(test_msg_node_max_values_interoperate)
{
	struct wire_node_msg m;

	fill_node(FILL_MAX, node_types[_i], &m);
	check_node_interop(&m, wire_msg_node_type_name(m.type));
}
END_TEST

START_TEST(test_msg_node_random_values_interoperate)
{
	struct wire_node_msg m;
	int k;

	rng = 0x1234567ull + (uint64_t)_i;
	for (k = 0; k < 300; k++) {
		fill_node(FILL_RANDOM, node_types[_i], &m);
		check_node_interop(&m, wire_msg_node_type_name(m.type));
	}
}
END_TEST

START_TEST(test_msg_gw_zero_values_interoperate)
{
	struct wire_gw_msg m;

	fill_gw(FILL_ZERO, gw_types[_i], &m);
	check_gw_interop(&m, wire_msg_gw_type_name(m.type));
}
END_TEST

START_TEST(test_msg_gw_max_values_interoperate)
{
	struct wire_gw_msg m;

	fill_gw(FILL_MAX, gw_types[_i], &m);
	check_gw_interop(&m, wire_msg_gw_type_name(m.type));
}
END_TEST

START_TEST(test_msg_gw_random_values_interoperate)
{
	struct wire_gw_msg m;
	int k;

	rng = 0x7654321ull + (uint64_t)_i;
	for (k = 0; k < 300; k++) {
		fill_gw(FILL_RANDOM, gw_types[_i], &m);
		check_gw_interop(&m, wire_msg_gw_type_name(m.type));
	}
}
END_TEST

START_TEST(test_msg_inference_encodes_known_bytes)
{
	/* Pinned by hand from the protobuf spec, independent of either codec. */
	static const uint8_t want[] = {
	        0x12, 0x12,                         /* NodeMessage.inference, 18 bytes */
	        0x08, 0x01,                         /* seq 1 */
	        0x30, 0x02,                         /* label 2 */
	        0x42, 0x04, 0x01, 0x00, 0xfe, 0x01, /* scores_raw packed: -1, 0, 127 */
	        0x50, 0xac, 0x02,                   /* latency_us 300 */
	        0x5d, 0x00, 0x00, 0x80, 0x3b,       /* score_scale 1/256 */
	};
	struct wire_node_msg m;
	uint8_t out[64];

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_INFERENCE;
	m.u.inference.seq = 1;
	m.u.inference.label = 2;
	m.u.inference.n_scores_raw = 3;
	m.u.inference.scores_raw[0] = -1;
	m.u.inference.scores_raw[1] = 0;
	m.u.inference.scores_raw[2] = 127;
	m.u.inference.latency_us = 300;
	m.u.inference.score_scale = 0.00390625f;
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), (int)sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_msg_ack_encodes_known_bytes)
{
	static const uint8_t want[] = {
	        0x42, 0x0b,                         /* GatewayMessage.ack, 11 bytes */
	        0x08, 0x07,                         /* cumulative 7 */
	        0x11, 0x05, 0, 0, 0, 0, 0, 0, 0x80, /* sack_bitmap: seq 8, 10 and 71 */
	};
	struct wire_gw_msg m;
	uint8_t out[32];

	memset(&m, 0, sizeof(m));
	m.type = WIRE_GW_ACK;
	m.u.ack.cumulative = 7;
	m.u.ack.sack_bitmap = 0x8000000000000005ull;
	ck_assert_int_eq(wire_msg_gw_encode(&m, out, sizeof(out)), (int)sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_msg_seq_floor_encodes_known_bytes)
{
	/* Inference{seq 70} with the envelope's seq_floor 7 after the body. */
	static const uint8_t want[] = {
	        0x12, 0x02, 0x08, 0x46, /* NodeMessage.inference {seq 70} */
	        0x80, 0x01, 0x07,       /* seq_floor (field 16, varint) 7 */
	};
	struct wire_node_msg m, back;
	uint8_t out[32];

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_INFERENCE;
	m.seq_floor = 7;
	m.u.inference.seq = 70;
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), (int)sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(wire_msg_node_decode(want, sizeof(want), &back), 0);
	ck_assert_uint_eq(back.seq_floor, 7);
	ck_assert_uint_eq(back.u.inference.seq, 70);
	check_node_bytes_agree(want, sizeof(want));
}
END_TEST

START_TEST(test_msg_seq_floor_anywhere_last_wins_like_protobuf_c)
{
	/* seq_floor 3 before the body, then Health{seq 9}, then seq_floor 300
	 * (a 2-byte varint): both codecs keep 300. */
	static const uint8_t in[] = {
	        0x80, 0x01, 0x03, 0x1a, 0x02, 0x08, 0x09, 0x80, 0x01, 0xac, 0x02,
	};
	/* The same without any seq_floor: 0, as old nodes send it. */
	static const uint8_t old[] = {0x1a, 0x02, 0x08, 0x09};
	struct wire_node_msg m;

	ck_assert_int_eq(wire_msg_node_decode(in, sizeof(in), &m), 0);
	ck_assert_int_eq(m.type, WIRE_NODE_HEALTH);
	ck_assert_uint_eq(m.u.health.seq, 9);
	ck_assert_uint_eq(m.seq_floor, 300);
	check_node_bytes_agree(in, sizeof(in));
	ck_assert_int_eq(wire_msg_node_decode(old, sizeof(old), &m), 0);
	ck_assert_uint_eq(m.seq_floor, 0);
	check_node_bytes_agree(old, sizeof(old));
}
END_TEST

START_TEST(test_msg_append_seq_floor_equals_encoding_with_it)
{
	uint8_t kept[WIRE_MSG_MAX], whole[WIRE_MSG_MAX];
	struct wire_node_msg m, back;
	Tinyfleet__V1__NodeMessage *u;
	uint32_t floor;
	int k, n, n_whole;

	rng = 0xf1002ull + (uint64_t)_i;
	for (k = 0; k < 300; k++) {
		fill_node(FILL_RANDOM, node_types[_i], &m);
		floor = k == 0 ? UINT32_MAX : k == 1 ? 0 : pick_u32();
		/* What a node keeps in its outbox: the message without a floor. */
		m.seq_floor = 0;
		n = wire_msg_node_encode(&m, kept, sizeof(kept) - WIRE_MSG_SEQ_FLOOR_MAX);
		ck_assert_int_gt(n, 0);
		n = wire_msg_node_append_seq_floor(kept, (size_t)n, sizeof(kept), floor);
		ck_assert_int_gt(n, 0);
		m.seq_floor = floor;
		n_whole = wire_msg_node_encode(&m, whole, sizeof(whole));
		ck_assert_int_eq(n, n_whole);
		ck_assert_mem_eq(kept, whole, (size_t)n);
		u = tinyfleet__v1__node_message__unpack(NULL, (size_t)n, kept);
		ck_assert_ptr_nonnull(u);
		ck_assert_uint_eq(u->seq_floor, floor);
		tinyfleet__v1__node_message__free_unpacked(u, NULL);
		ck_assert_int_eq(wire_msg_node_decode(kept, (size_t)n, &back), 0);
		ck_assert(memcmp(&back, &m, sizeof(m)) == 0);
	}
}
END_TEST

START_TEST(test_msg_gw_envelope_skips_field_16)
{
	/* Field 16 means nothing in a GatewayMessage: skipped by both codecs. */
	static const uint8_t in[] = {0x42, 0x02, 0x08, 0x07, 0x80, 0x01, 0x05};
	struct wire_gw_msg m;

	ck_assert_int_eq(wire_msg_gw_decode(in, sizeof(in), &m), 0);
	ck_assert_int_eq(m.type, WIRE_GW_ACK);
	ck_assert_uint_eq(m.u.ack.cumulative, 7);
	check_gw_bytes_agree(in, sizeof(in));
}
END_TEST

START_TEST(test_msg_decode_skips_unknown_fields_of_every_wiretype)
{
	/* Health{seq 5, battery_mv 3300} with unknown fields 99 of each wire type
	 * inside the body, and unknown fields 20 (varint) and 1000 (len) in the
	 * envelope around it. */
	static const uint8_t in[] = {
	        0xa0, 0x01, 0x2a,                              /* envelope field 20 varint 42 */
	        0x1a, 0x20,                                    /* health, 32 bytes */
	        0x08, 0x05,                                    /* seq 5 */
	        0x98, 0x06, 0xff, 0xff, 0x03,                  /* field 99 varint */
	        0x99, 0x06, 1,    2,    3,    4,   5, 6, 7, 8, /* field 99 fixed64 */
	        0x9a, 0x06, 0x03, 'x',  'y',  'z',             /* field 99 len */
	        0x9d, 0x06, 1,    2,    3,    4,               /* field 99 fixed32 */
	        0x20, 0xe4, 0x19,                              /* battery_mv 3300 */
	        0xc2, 0x3e, 0x02, 0x08, 0x01,                  /* envelope field 1000 len */
	};
	struct wire_node_msg m;

	ck_assert_int_eq(wire_msg_node_decode(in, sizeof(in), &m), 0);
	ck_assert_int_eq(m.type, WIRE_NODE_HEALTH);
	ck_assert_uint_eq(m.u.health.seq, 5);
	ck_assert_uint_eq(m.u.health.battery_mv, 3300);
	check_node_bytes_agree(in, sizeof(in));
}
END_TEST

START_TEST(test_msg_decode_accepts_unpacked_repeated_fields)
{
	/* Hello ops 7, 300 one key each, then a packed run 9; Inference floats
	 * one key each. */
	static const uint8_t hello[] = {
	        0x0a, 0x0a, 0x20, 0x07, 0x20, 0xac, 0x02, 0x22, 0x01, 0x09, 0x20, 0x00,
	};
	static const uint8_t inference[] = {
	        0x12, 0x0c, 0x4d, 0x00, 0x00, 0x80, 0x3f, 0x4d, 0x00, 0x00, 0x00, 0xc0, 0x30, 0x03,
	};
	struct wire_node_msg m;

	ck_assert_int_eq(wire_msg_node_decode(hello, sizeof(hello), &m), 0);
	ck_assert_uint_eq(m.u.hello.n_ops, 4);
	ck_assert_uint_eq(m.u.hello.ops[0], 7);
	ck_assert_uint_eq(m.u.hello.ops[1], 300);
	ck_assert_uint_eq(m.u.hello.ops[2], 9);
	ck_assert_uint_eq(m.u.hello.ops[3], 0);
	check_node_bytes_agree(hello, sizeof(hello));

	ck_assert_int_eq(wire_msg_node_decode(inference, sizeof(inference), &m), 0);
	ck_assert_uint_eq(m.u.inference.n_scores, 2);
	ck_assert(m.u.inference.scores[0] == 1.0f);
	ck_assert(m.u.inference.scores[1] == -2.0f);
	ck_assert_uint_eq(m.u.inference.n_scores_raw, 0);
	ck_assert_uint_eq(m.u.inference.label, 3);
	check_node_bytes_agree(inference, sizeof(inference));
}
END_TEST

START_TEST(test_msg_decode_repeated_body_replaces_like_protobuf_c)
{
	/* ModelStatus twice: seq 1 + a slot, then seq 2 + another slot and a
	 * download id. protobuf-c 1.4 keeps only the second oneof member (the
	 * spec would merge them); we agree with the daemon's codec. */
	static const uint8_t in[] = {
	        0x22, 0x06, 0x08, 0x01, 0x12, 0x02, 0x08, 0x00, 0x22,
	        0x08, 0x08, 0x02, 0x12, 0x02, 0x08, 0x01, 0x20, 0x09,
	};
	struct wire_node_msg m;

	ck_assert_int_eq(wire_msg_node_decode(in, sizeof(in), &m), 0);
	ck_assert_int_eq(m.type, WIRE_NODE_MODEL_STATUS);
	ck_assert_uint_eq(m.u.model_status.seq, 2);
	ck_assert_uint_eq(m.u.model_status.n_slots, 1);
	ck_assert_uint_eq(m.u.model_status.slots[0].index, 1);
	ck_assert_uint_eq(m.u.model_status.download_model_id, 9);
	check_node_bytes_agree(in, sizeof(in));
}
END_TEST

START_TEST(test_msg_decode_keeps_last_of_different_bodies)
{
	/* Chunk then Activate: the oneof ends up as the Activate alone. */
	static const uint8_t in[] = {
	        0x5a, 0x05, 0x08, 0x01, 0x22, 0x01, 0xaa, 0x62, 0x02, 0x10, 0x03,
	};
	struct wire_gw_msg m;

	ck_assert_int_eq(wire_msg_gw_decode(in, sizeof(in), &m), 0);
	ck_assert_int_eq(m.type, WIRE_GW_ACTIVATE);
	ck_assert_uint_eq(m.u.activate.model_id, 0);
	ck_assert_uint_eq(m.u.activate.model_version, 3);
	check_gw_bytes_agree(in, sizeof(in));
}
END_TEST

START_TEST(test_msg_decode_keeps_last_scalar_and_string)
{
	/* Hello with seq 1 then seq 2, firmware "abcdef" then "ab". */
	static const uint8_t in[] = {
	        0x0a, 0x10, 0x08, 0x01, 0x12, 0x06, 'a',  'b', 'c',
	        'd',  'e',  'f',  0x08, 0x02, 0x12, 0x02, 'a', 'b',
	};
	struct wire_node_msg m;

	ck_assert_int_eq(wire_msg_node_decode(in, sizeof(in), &m), 0);
	ck_assert_uint_eq(m.u.hello.seq, 2);
	ck_assert_str_eq(m.u.hello.firmware, "ab");
	check_node_bytes_agree(in, sizeof(in));
}
END_TEST

START_TEST(test_msg_narrows_wide_varints_like_protobuf)
{
	/* seq sent as a 64-bit value and a negative enum as 10 bytes. */
	static const uint8_t in[] = {
	        0x1a, 0x13, 0x08, 0x85, 0x80, 0x80, 0x80, 0x10,                   /* seq 2^32 + 5 */
	        0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* reset -1 */
	        0x28, 0x03, /* rssi_dbm zigzag 3 = -2 */
	};
	struct wire_node_msg m;

	ck_assert_int_eq(wire_msg_node_decode(in, sizeof(in), &m), 0);
	ck_assert_uint_eq(m.u.health.seq, 5);
	ck_assert_int_eq(m.u.health.reset_reason, -1);
	ck_assert_int_eq(m.u.health.rssi_dbm, -2);
	check_node_bytes_agree(in, sizeof(in));
}
END_TEST

START_TEST(test_msg_float_bits_survive_round_trip)
{
	/* -0.0 and a NaN payload: our codec keeps the exact bits. */
	static const uint32_t bits[] = {0x80000000u, 0x7fc00001u, 0xffffffffu, 0x00000001u};
	struct wire_node_msg m, back;
	uint8_t out[WIRE_MSG_MAX];
	unsigned i;
	int n;

	memset(&m, 0, sizeof(m));
	m.type = WIRE_NODE_INFERENCE;
	m.u.inference.n_scores = NITEMS(bits);
	for (i = 0; i < NITEMS(bits); i++)
		memcpy(&m.u.inference.scores[i], &bits[i], 4);
	memcpy(&m.u.inference.score_scale, &bits[0], 4);
	n = wire_msg_node_encode(&m, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_msg_node_decode(out, (size_t)n, &back), 0);
	ck_assert_mem_eq(&back, &m, sizeof(m));
}
END_TEST

START_TEST(test_msg_type_names_cover_every_body)
{
	unsigned i;

	for (i = 0; i < NITEMS(node_types); i++)
		ck_assert_str_ne(wire_msg_node_type_name(node_types[i]), "unknown");
	for (i = 0; i < NITEMS(gw_types); i++)
		ck_assert_str_ne(wire_msg_gw_type_name(gw_types[i]), "unknown");
	ck_assert_str_eq(wire_msg_node_type_name(WIRE_NODE_INFERENCE), "inference");
	ck_assert_str_eq(wire_msg_gw_type_name(WIRE_GW_CHUNK), "chunk");
	ck_assert_str_eq(wire_msg_node_type_name(WIRE_NODE_NONE), "unknown");
	ck_assert_str_eq(wire_msg_gw_type_name((enum wire_gw_msg_type)1), "unknown");
}
END_TEST

/* ---- limits ---- */

/* The largest message of each kind fits one frame, with room for growth. */
START_TEST(test_msg_largest_node_message_fits_frame)
{
	struct wire_node_msg m;
	uint8_t out[1024];
	int n;

	fill_node(FILL_MAX, node_types[_i], &m);
	n = wire_msg_node_encode(&m, out, sizeof(out));
	ck_assert_msg(n > 0 && n <= WIRE_MSG_MAX - 32, "%s: %d bytes, limit %d",
	              wire_msg_node_type_name(m.type), n, WIRE_MSG_MAX - 32);
	ck_assert_int_eq(wire_msg_node_encode(&m, out, WIRE_MSG_MAX), n);
}
END_TEST

START_TEST(test_msg_largest_gw_message_fits_frame)
{
	struct wire_gw_msg m;
	uint8_t out[1024];
	int n;

	fill_gw(FILL_MAX, gw_types[_i], &m);
	n = wire_msg_gw_encode(&m, out, sizeof(out));
	ck_assert_msg(n > 0 && n <= WIRE_MSG_MAX - 32, "%s: %d bytes, limit %d",
	              wire_msg_gw_type_name(m.type), n, WIRE_MSG_MAX - 32);
}
END_TEST

START_TEST(test_msg_encode_reports_enospc_for_every_short_buffer)
{
	struct wire_gw_msg m;
	uint8_t out[WIRE_MSG_MAX + 16];
	int n, cap;

	fill_gw(FILL_MAX, WIRE_GW_MODEL_OFFER, &m);
	n = wire_msg_gw_encode(&m, out, WIRE_MSG_MAX);
	ck_assert_int_gt(n, 0);
	for (cap = 0; cap < n; cap++) {
		memset(out, 0x5c, sizeof(out));
		ck_assert_int_eq(wire_msg_gw_encode(&m, out, (size_t)cap), WIRE_ENOSPC);
		for (size_t i = (size_t)cap; i < sizeof(out); i++)
			ck_assert_msg(out[i] == 0x5c, "cap %d: byte %zu written", cap, i);
	}
	ck_assert_int_eq(wire_msg_gw_encode(&m, out, (size_t)n), n);
}
END_TEST

START_TEST(test_msg_encode_enospc_on_node_messages)
{
	struct wire_node_msg m;
	uint8_t out[WIRE_MSG_MAX];
	int n, cap;

	fill_node(FILL_MAX, node_types[_i], &m);
	n = wire_msg_node_encode(&m, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	for (cap = 0; cap < n; cap++)
		ck_assert_int_eq(wire_msg_node_encode(&m, out, (size_t)cap), WIRE_ENOSPC);
}
END_TEST

/* Build an envelope around a body by hand (one-byte or two-byte lengths). */
static size_t
wrap(uint8_t *out, uint8_t key, const uint8_t *body, size_t n)
{
	size_t k = 0;

	out[k++] = key;
	if (n < 128) {
		out[k++] = (uint8_t)n;
	} else {
		out[k++] = (uint8_t)(n | 0x80);
		out[k++] = (uint8_t)(n >> 7);
	}
	memcpy(out + k, body, n);
	return k + n;
}

START_TEST(test_msg_chunk_data_limit_is_exact)
{
	uint8_t body[WIRE_MSG_CHUNK_MAX + 8], in[WIRE_MSG_CHUNK_MAX + 16];
	struct wire_gw_msg m;
	size_t n, len;

	for (len = WIRE_MSG_CHUNK_MAX; len <= WIRE_MSG_CHUNK_MAX + 1; len++) {
		body[0] = 0x22; /* data */
		body[1] = (uint8_t)(len | 0x80);
		body[2] = (uint8_t)(len >> 7);
		memset(body + 3, 0x11, len);
		n = wrap(in, 0x5a, body, 3 + len);
		ck_assert_int_eq(wire_msg_gw_decode(in, n, &m),
		                 len == WIRE_MSG_CHUNK_MAX ? 0 : WIRE_EFIELD);
	}
	ck_assert_uint_eq(m.u.chunk.len, WIRE_MSG_CHUNK_MAX);
}
END_TEST

START_TEST(test_msg_string_limit_is_exact)
{
	uint8_t body[40], in[48];
	struct wire_node_msg m;
	size_t n, len;

	for (len = WIRE_MSG_STR_MAX - 1; len <= WIRE_MSG_STR_MAX; len++) {
		body[0] = 0x12; /* firmware */
		body[1] = (uint8_t)len;
		memset(body + 2, 'v', len);
		n = wrap(in, 0x0a, body, 2 + len);
		ck_assert_int_eq(wire_msg_node_decode(in, n, &m),
		                 len < WIRE_MSG_STR_MAX ? 0 : WIRE_EFIELD);
	}
	ck_assert_uint_eq(strlen(m.u.hello.firmware), WIRE_MSG_STR_MAX - 1);
}
END_TEST

START_TEST(test_msg_repeated_limit_is_exact)
{
	/* WIRE_MSG_SCORES_MAX raw scores decode; one more, in a second run, fails. */
	uint8_t body[64], in[64];
	struct wire_node_msg m;
	size_t n, k = 0, i;

	body[k++] = 0x42;
	body[k++] = WIRE_MSG_SCORES_MAX;
	for (i = 0; i < WIRE_MSG_SCORES_MAX; i++)
		body[k++] = 0x01;
	n = wrap(in, 0x12, body, k);
	ck_assert_int_eq(wire_msg_node_decode(in, n, &m), 0);
	ck_assert_uint_eq(m.u.inference.n_scores_raw, WIRE_MSG_SCORES_MAX);
	ck_assert_int_eq(m.u.inference.scores_raw[WIRE_MSG_SCORES_MAX - 1], -1);
	body[k++] = 0x40; /* one more, unpacked */
	body[k++] = 0x02;
	n = wrap(in, 0x12, body, k);
	ck_assert_int_eq(wire_msg_node_decode(in, n, &m), WIRE_EFIELD);
}
END_TEST

START_TEST(test_msg_encode_refuses_counts_above_capacity)
{
	struct wire_node_msg m;
	struct wire_gw_msg g;
	uint8_t out[WIRE_MSG_MAX];

	fill_node(FILL_ZERO, WIRE_NODE_HELLO, &m);
	m.u.hello.n_ops = WIRE_MSG_OPS_MAX + 1;
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), WIRE_EFIELD);
	fill_node(FILL_ZERO, WIRE_NODE_HELLO, &m);
	m.u.hello.n_sensors = WIRE_MSG_SENSORS_MAX + 1;
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), WIRE_EFIELD);
	fill_node(FILL_ZERO, WIRE_NODE_INFERENCE, &m);
	m.u.inference.n_scores = WIRE_MSG_SCORES_MAX + 1;
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), WIRE_EFIELD);
	fill_node(FILL_ZERO, WIRE_NODE_MODEL_STATUS, &m);
	m.u.model_status.n_slots = 65535;
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), WIRE_EFIELD);
	fill_gw(FILL_ZERO, WIRE_GW_CHUNK, &g);
	g.u.chunk.len = WIRE_MSG_CHUNK_MAX + 1;
	ck_assert_int_eq(wire_msg_gw_encode(&g, out, sizeof(out)), WIRE_EFIELD);
}
END_TEST

START_TEST(test_msg_encode_refuses_unterminated_string)
{
	struct wire_node_msg m;
	uint8_t out[WIRE_MSG_MAX];

	fill_node(FILL_ZERO, WIRE_NODE_INFERENCE, &m);
	memset(m.u.inference.top_label, 'x', sizeof(m.u.inference.top_label));
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), WIRE_EFIELD);
	fill_node(FILL_ZERO, WIRE_NODE_HELLO, &m);
	m.u.hello.n_sensors = 1;
	memset(m.u.hello.sensors[0].name, 'x', sizeof(m.u.hello.sensors[0].name));
	ck_assert_int_eq(wire_msg_node_encode(&m, out, sizeof(out)), WIRE_EFIELD);
}
END_TEST

/* ---- errors ---- */

/* The bad-input table: hostile envelopes, each with its one expected code. */
static const struct bad_msg {
	const char *name;
	int gw; /* 1: GatewayMessage, 0: NodeMessage */
	uint8_t bytes[24];
	size_t n;
	int want;
} bad_msgs[] = {
        {"empty input", 0, {0}, 0, WIRE_ETYPE},
        {"only an unknown field", 0, {0x78, 0x01}, 2, WIRE_ETYPE},
        {"gateway body in a node envelope", 0, {0x42, 0x02, 0x08, 0x01}, 4, WIRE_ETYPE},
        {"node body in a gateway envelope", 1, {0x12, 0x02, 0x08, 0x01}, 4, WIRE_ETYPE},
        {"truncated envelope key", 0, {0x80}, 1, WIRE_ETRUNC},
        {"body key without length", 0, {0x0a}, 1, WIRE_ETRUNC},
        {"body length past the end", 0, {0x0a, 0x05, 0x08, 0x01}, 4, WIRE_ELENGTH},
        {"body length of 2^63",
         1,
         {0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
         11,
         WIRE_ELENGTH},
        {"body sent as a varint", 0, {0x08, 0x01}, 2, WIRE_EWIRETYPE},
        {"body sent as fixed32", 1, {0x45, 1, 2, 3, 4}, 5, WIRE_EWIRETYPE},
        {"field inside body truncated", 0, {0x0a, 0x01, 0x08}, 3, WIRE_ETRUNC},
        {"varint inside body of 11 bytes",
         0,
         {0x1a, 0x0c, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
         14,
         WIRE_EVARINT},
        {"varint overflowing 64 bits",
         1,
         {0x42, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
         13,
         WIRE_EVARINT},
        {"varint running past its body", 0, {0x1a, 0x02, 0x08, 0x80, 0x01}, 5, WIRE_ETRUNC},
        {"field number 0 in body", 0, {0x1a, 0x02, 0x00, 0x01}, 4, WIRE_EFIELD},
        {"field number 0 in envelope", 0, {0x02, 0x00}, 2, WIRE_EFIELD},
        {"group start in body", 0, {0x1a, 0x02, 0x0b, 0x0c}, 4, WIRE_EWIRETYPE},
        {"group start in envelope", 1, {0x4b, 0x4c}, 2, WIRE_EWIRETYPE},
        {"wiretype 6 unknown field", 0, {0x1a, 0x02, 0xfe, 0x07}, 4, WIRE_EWIRETYPE},
        {"wiretype 7 in envelope", 1, {0x7f}, 1, WIRE_EWIRETYPE},
        {"seq sent as bytes", 0, {0x1a, 0x03, 0x0a, 0x01, 0x00}, 5, WIRE_EWIRETYPE},
        {"varint field sent as fixed64",
         1,
         {0x4a, 0x09, 0x09, 1, 2, 3, 4, 5, 6, 7, 8},
         11,
         WIRE_EWIRETYPE},
        {"float sent as varint", 0, {0x12, 0x02, 0x58, 0x01}, 4, WIRE_EWIRETYPE},
        {"fixed64 sent as varint", 1, {0x42, 0x02, 0x10, 0x01}, 4, WIRE_EWIRETYPE},
        {"fixed64 truncated", 1, {0x42, 0x05, 0x11, 1, 2, 3, 4}, 7, WIRE_ETRUNC},
        {"float truncated", 0, {0x12, 0x03, 0x5d, 0x00, 0x00}, 5, WIRE_ETRUNC},
        {"string sent as varint", 0, {0x0a, 0x02, 0x10, 0x01}, 4, WIRE_EWIRETYPE},
        {"string length past its body", 0, {0x0a, 0x03, 0x12, 0x05, 'a'}, 5, WIRE_ELENGTH},
        {"string with a NUL", 0, {0x0a, 0x05, 0x12, 0x03, 'a', 0x00, 'b'}, 7, WIRE_EFIELD},
        {"sensor name of 16 bytes",
         0,
         {0x0a, 0x14, 0x3a, 0x12, 0x0a, 0x10, 's', 's', 's', 's', 's',
          's',  's',  's',  's',  's',  's',  's', 's', 's', 's', 's'},
         22,
         WIRE_EFIELD},
        {"sensor length past its parent", 0, {0x0a, 0x04, 0x3a, 0x05, 0x10, 0x01}, 6, WIRE_ELENGTH},
        {"sensor sent as varint", 0, {0x0a, 0x02, 0x38, 0x01}, 4, WIRE_EWIRETYPE},
        {"bad varint inside sensor", 0, {0x0a, 0x04, 0x3a, 0x02, 0x10, 0x80}, 6, WIRE_ETRUNC},
        {"five sensors",
         0,
         {0x0a, 0x0a, 0x3a, 0x00, 0x3a, 0x00, 0x3a, 0x00, 0x3a, 0x00, 0x3a, 0x00},
         12,
         WIRE_EFIELD},
        {"five slots",
         0,
         {0x22, 0x0a, 0x12, 0x00, 0x12, 0x00, 0x12, 0x00, 0x12, 0x00, 0x12, 0x00},
         12,
         WIRE_EFIELD},
        {"packed run past its body", 0, {0x0a, 0x04, 0x22, 0x05, 0x01, 0x02}, 6, WIRE_ELENGTH},
        {"packed run ends inside a varint",
         0,
         {0x0a, 0x04, 0x22, 0x02, 0x01, 0x81},
         6,
         WIRE_ETRUNC},
        {"packed floats not a multiple of 4",
         0,
         {0x12, 0x07, 0x4a, 0x05, 0x00, 0x00, 0x80, 0x3f, 0x00},
         9,
         WIRE_ELENGTH},
        {"repeated float sent as varint", 0, {0x12, 0x02, 0x48, 0x01}, 4, WIRE_EWIRETYPE},
        {"repeated uint32 sent as fixed32", 0, {0x0a, 0x05, 0x25, 1, 2, 3, 4}, 7, WIRE_EWIRETYPE},
        {"sha256 of 1 byte", 1, {0x52, 0x03, 0x22, 0x01, 0xab}, 5, WIRE_EFIELD},
        {"chunk data past the end", 1, {0x5a, 0x04, 0x22, 0x10, 0x01, 0x02}, 6, WIRE_ELENGTH},
        {"unknown field length past the end", 1, {0x42, 0x03, 0xfa, 0x01, 0x7f}, 5, WIRE_ELENGTH},
        {"seq_floor sent as bytes",
         0,
         {0x12, 0x02, 0x08, 0x01, 0x82, 0x01, 0x01, 0x00},
         8,
         WIRE_EWIRETYPE},
        {"seq_floor sent as fixed32",
         0,
         {0x12, 0x02, 0x08, 0x01, 0x85, 0x01, 1, 2, 3, 4},
         10,
         WIRE_EWIRETYPE},
        {"seq_floor truncated", 0, {0x12, 0x02, 0x08, 0x01, 0x80, 0x01, 0x80}, 7, WIRE_ETRUNC},
        {"seq_floor without a body", 0, {0x80, 0x01, 0x05}, 3, WIRE_ETYPE},
        {"trailing truncated field after a good body",
         1,
         {0x42, 0x02, 0x08, 0x01, 0x08},
         5,
         WIRE_ETRUNC},
};

START_TEST(test_msg_rejects_bad_input_with_distinct_code)
{
	const struct bad_msg *c = &bad_msgs[_i];
	struct wire_node_msg nm, nm_before;
	struct wire_gw_msg gm, gm_before;
	int got;

	memset(&nm, 0x5a, sizeof(nm));
	memset(&gm, 0x5a, sizeof(gm));
	nm_before = nm;
	gm_before = gm;
	if (c->gw)
		got = wire_msg_gw_decode(c->bytes, c->n, &gm);
	else
		got = wire_msg_node_decode(c->bytes, c->n, &nm);
	ck_assert_msg(got == c->want, "%s: got %d (%s), want %d (%s)", c->name, got,
	              wire_strerror(got), c->want, wire_strerror(c->want));
	/* Nothing is written to the output on failure. */
	ck_assert_msg(memcmp(&nm, &nm_before, sizeof(nm)) == 0, "%s: node output touched", c->name);
	ck_assert_msg(memcmp(&gm, &gm_before, sizeof(gm)) == 0, "%s: gw output touched", c->name);
}
END_TEST

START_TEST(test_msg_append_seq_floor_refuses_short_buffer_untouched)
{
	static const uint32_t floors[] = {1, 127, 128, 16384, UINT32_MAX};
	uint8_t buf[16];
	size_t need, room;
	unsigned f;

	for (f = 0; f < NITEMS(floors); f++) {
		need = 2 + wire_pb_varint_size(floors[f]);
		ck_assert_uint_le(need, WIRE_MSG_SEQ_FLOOR_MAX);
		for (room = 0; room < need; room++) {
			memset(buf, 0xa5, sizeof(buf));
			ck_assert_int_eq(
			        wire_msg_node_append_seq_floor(buf, 4, 4 + room, floors[f]),
			        WIRE_ENOSPC);
			for (size_t i = 0; i < sizeof(buf); i++)
				ck_assert_uint_eq(buf[i], 0xa5);
		}
		ck_assert_int_eq(wire_msg_node_append_seq_floor(buf, 4, 4 + need, floors[f]),
		                 (int)(4 + need));
	}
	/* A zero floor is not sent: nothing to append, even without room. */
	ck_assert_int_eq(wire_msg_node_append_seq_floor(buf, 4, 4, 0), 4);
}
END_TEST

START_TEST(test_msg_append_seq_floor_rejects_bad_arguments)
{
	uint8_t buf[8];

	ck_assert_int_eq(wire_msg_node_append_seq_floor(NULL, 0, 8, 1), WIRE_EINVAL);
	ck_assert_int_eq(wire_msg_node_append_seq_floor(buf, 9, 8, 1), WIRE_EINVAL);
}
END_TEST

START_TEST(test_msg_rejects_too_many_ops)
{
	/* 33 ops packed in one run: protobuf-c takes them, the node cannot. */
	uint8_t body[48], in[56];
	struct wire_node_msg m;
	size_t k = 0, n, i;

	body[k++] = 0x22;
	body[k++] = WIRE_MSG_OPS_MAX + 1;
	for (i = 0; i <= WIRE_MSG_OPS_MAX; i++)
		body[k++] = (uint8_t)i;
	n = wrap(in, 0x0a, body, k);
	ck_assert_int_eq(wire_msg_node_decode(in, n, &m), WIRE_EFIELD);
	n = wrap(in, 0x0a, body, k - 1);
	in[3] = WIRE_MSG_OPS_MAX;
	ck_assert_int_eq(wire_msg_node_decode(in, n, &m), 0);
	ck_assert_uint_eq(m.u.hello.n_ops, WIRE_MSG_OPS_MAX);
}
END_TEST

START_TEST(test_msg_rejects_bad_arguments)
{
	struct wire_node_msg m;
	struct wire_gw_msg g;
	uint8_t buf[16] = {0x2a, 0x00};

	memset(&m, 0, sizeof(m));
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(wire_msg_node_encode(NULL, buf, sizeof(buf)), WIRE_EINVAL);
	ck_assert_int_eq(wire_msg_gw_encode(NULL, buf, sizeof(buf)), WIRE_EINVAL);
	m.type = WIRE_NODE_HELLO;
	ck_assert_int_eq(wire_msg_node_encode(&m, NULL, 16), WIRE_EINVAL);
	ck_assert_int_eq(wire_msg_node_decode(buf, 2, NULL), WIRE_EINVAL);
	ck_assert_int_eq(wire_msg_gw_decode(NULL, 2, &g), WIRE_EINVAL);
	ck_assert_int_eq(wire_msg_node_decode(NULL, 0, &m), WIRE_ETYPE);
	m.type = WIRE_NODE_NONE;
	ck_assert_int_eq(wire_msg_node_encode(&m, buf, sizeof(buf)), WIRE_ETYPE);
	m.type = (enum wire_node_msg_type)8;
	ck_assert_int_eq(wire_msg_node_encode(&m, buf, sizeof(buf)), WIRE_ETYPE);
	g.type = (enum wire_gw_msg_type)WIRE_NODE_HELLO;
	ck_assert_int_eq(wire_msg_gw_encode(&g, buf, sizeof(buf)), WIRE_ETYPE);
}
END_TEST

START_TEST(test_msg_truncation_at_every_byte_fails_on_both_sides)
{
	/* Every proper prefix of a message is an error for us and for protobuf-c
	 * (except the empty one, which protobuf-c reads as "no body"). */
	Tinyfleet__V1__GatewayMessage *u;
	struct wire_gw_msg m, back;
	uint8_t out[WIRE_MSG_MAX];
	int n, len, err;

	fill_gw(FILL_MAX, WIRE_GW_MODEL_OFFER, &m);
	n = wire_msg_gw_encode(&m, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	for (len = 0; len < n; len++) {
		err = wire_msg_gw_decode(out, (size_t)len, &back);
		ck_assert_msg(err == WIRE_ETRUNC || err == WIRE_ELENGTH || err == WIRE_ETYPE,
		              "prefix %d: %s", len, wire_strerror(err));
		u = tinyfleet__v1__gateway_message__unpack(NULL, (size_t)len, out);
		if (len > 0)
			ck_assert_msg(u == NULL, "prefix %d: protobuf-c accepts it", len);
		else
			tinyfleet__v1__gateway_message__free_unpacked(u, NULL);
	}
}
END_TEST

START_TEST(test_msg_sha256_must_be_32_bytes)
{
	uint8_t body[40], in[48];
	struct wire_gw_msg m;
	size_t n, len;

	for (len = WIRE_MSG_SHA256_LEN - 1; len <= WIRE_MSG_SHA256_LEN + 1; len++) {
		body[0] = 0x22; /* sha256 */
		body[1] = (uint8_t)len;
		memset(body + 2, 0xab, len);
		n = wrap(in, 0x52, body, 2 + len);
		ck_assert_int_eq(wire_msg_gw_decode(in, n, &m),
		                 len == WIRE_MSG_SHA256_LEN ? 0 : WIRE_EFIELD);
	}
}
END_TEST

/* Mutate a valid encoding: flip, overwrite, insert, delete or truncate. */
static size_t
mutate(uint8_t *buf, size_t n, size_t cap)
{
	int k, rounds = 1 + (int)(rnd() % 3);

	for (k = 0; k < rounds; k++) {
		size_t at = n > 0 ? rnd() % n : 0;

		switch (rnd() % 5) {
		case 0:
			if (n > 0)
				buf[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			if (n > 0)
				buf[at] = (uint8_t)rnd();
			break;
		case 2:
			if (n < cap) {
				memmove(buf + at + 1, buf + at, n - at);
				buf[at] = (uint8_t)rnd();
				n++;
			}
			break;
		case 3:
			if (n > 0) {
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
			break;
		default:
			n = at;
			break;
		}
	}
	return n;
}

/* What protobuf-c accepts and we refuse must be a limit of the node (capacity,
 * string NUL, digest length, 64-bit overflow, no body); what we accept,
 * protobuf-c must accept and read the same way. */
static int
allowed_refusal(int err)
{
	return err == WIRE_EFIELD || err == WIRE_EVARINT || err == WIRE_ETYPE;
}

START_TEST(test_msg_mutated_node_input_decodes_like_protobuf_c)
{
	uint8_t buf[WIRE_MSG_MAX + 64];
	struct wire_node_msg m, ours, theirs;
	Tinyfleet__V1__NodeMessage *u;
	int k, err, n;

	rng = 0xfeedull + (uint64_t)_i;
	for (k = 0; k < 4000; k++) {
		fill_node(FILL_RANDOM, node_types[_i], &m);
		n = wire_msg_node_encode(&m, buf, WIRE_MSG_MAX);
		ck_assert_int_gt(n, 0);
		n = (int)mutate(buf, (size_t)n, sizeof(buf));
		err = wire_msg_node_decode(buf, (size_t)n, &ours);
		u = tinyfleet__v1__node_message__unpack(NULL, (size_t)n, buf);
		if (err == 0) {
			ck_assert_msg(u != NULL, "case %d: we accept, protobuf-c refuses", k);
			from_pbc_node(u, &theirs);
			ck_assert_msg(memcmp(&ours, &theirs, sizeof(ours)) == 0,
			              "case %d: values differ", k);
		} else if (u != NULL) {
			ck_assert_msg(allowed_refusal(err),
			              "case %d: protobuf-c accepts, we say %s", k,
			              wire_strerror(err));
		}
		if (u != NULL)
			tinyfleet__v1__node_message__free_unpacked(u, NULL);
	}
}
END_TEST

START_TEST(test_msg_mutated_gw_input_decodes_like_protobuf_c)
{
	uint8_t buf[WIRE_MSG_MAX + 64];
	struct wire_gw_msg m, ours, theirs;
	Tinyfleet__V1__GatewayMessage *u;
	int k, err, n;

	rng = 0xbeefull + (uint64_t)_i;
	for (k = 0; k < 4000; k++) {
		fill_gw(FILL_RANDOM, gw_types[_i], &m);
		n = wire_msg_gw_encode(&m, buf, WIRE_MSG_MAX);
		ck_assert_int_gt(n, 0);
		n = (int)mutate(buf, (size_t)n, sizeof(buf));
		err = wire_msg_gw_decode(buf, (size_t)n, &ours);
		u = tinyfleet__v1__gateway_message__unpack(NULL, (size_t)n, buf);
		if (err == 0) {
			ck_assert_msg(u != NULL, "case %d: we accept, protobuf-c refuses", k);
			from_pbc_gw(u, &theirs);
			ck_assert_msg(memcmp(&ours, &theirs, sizeof(ours)) == 0,
			              "case %d: values differ", k);
		} else if (u != NULL) {
			ck_assert_msg(allowed_refusal(err),
			              "case %d: protobuf-c accepts, we say %s", k,
			              wire_strerror(err));
		}
		if (u != NULL)
			tinyfleet__v1__gateway_message__free_unpacked(u, NULL);
	}
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc_core = tcase_create("core");
	TCase *tc_limits = tcase_create("limits");
	TCase *tc_errors = tcase_create("errors");
	int nn = (int)NITEMS(node_types), ng = (int)NITEMS(gw_types);

	tcase_add_loop_test(tc_core, test_msg_node_zero_values_interoperate, 0, nn);
	tcase_add_loop_test(tc_core, test_msg_node_max_values_interoperate, 0, nn);
	tcase_add_loop_test(tc_core, test_msg_node_random_values_interoperate, 0, nn);
	tcase_add_loop_test(tc_core, test_msg_gw_zero_values_interoperate, 0, ng);
	tcase_add_loop_test(tc_core, test_msg_gw_max_values_interoperate, 0, ng);
	tcase_add_loop_test(tc_core, test_msg_gw_random_values_interoperate, 0, ng);
	tcase_add_test(tc_core, test_msg_inference_encodes_known_bytes);
	tcase_add_test(tc_core, test_msg_ack_encodes_known_bytes);
	tcase_add_test(tc_core, test_msg_seq_floor_encodes_known_bytes);
	tcase_add_test(tc_core, test_msg_seq_floor_anywhere_last_wins_like_protobuf_c);
	tcase_add_loop_test(tc_core, test_msg_append_seq_floor_equals_encoding_with_it, 0, nn);
	tcase_add_test(tc_core, test_msg_gw_envelope_skips_field_16);
	tcase_add_test(tc_core, test_msg_decode_skips_unknown_fields_of_every_wiretype);
	tcase_add_test(tc_core, test_msg_decode_accepts_unpacked_repeated_fields);
	tcase_add_test(tc_core, test_msg_decode_repeated_body_replaces_like_protobuf_c);
	tcase_add_test(tc_core, test_msg_decode_keeps_last_of_different_bodies);
	tcase_add_test(tc_core, test_msg_decode_keeps_last_scalar_and_string);
	tcase_add_test(tc_core, test_msg_narrows_wide_varints_like_protobuf);
	tcase_add_test(tc_core, test_msg_float_bits_survive_round_trip);
	tcase_add_test(tc_core, test_msg_type_names_cover_every_body);
	suite_add_tcase(s, tc_core);

	tcase_add_loop_test(tc_limits, test_msg_largest_node_message_fits_frame, 0, nn);
	tcase_add_loop_test(tc_limits, test_msg_largest_gw_message_fits_frame, 0, ng);
	tcase_add_test(tc_limits, test_msg_encode_reports_enospc_for_every_short_buffer);
	tcase_add_loop_test(tc_limits, test_msg_encode_enospc_on_node_messages, 0, nn);
	tcase_add_test(tc_limits, test_msg_chunk_data_limit_is_exact);
	tcase_add_test(tc_limits, test_msg_string_limit_is_exact);
	tcase_add_test(tc_limits, test_msg_repeated_limit_is_exact);
	tcase_add_test(tc_limits, test_msg_encode_refuses_counts_above_capacity);
	tcase_add_test(tc_limits, test_msg_encode_refuses_unterminated_string);
	tcase_add_test(tc_limits, test_msg_append_seq_floor_refuses_short_buffer_untouched);
	suite_add_tcase(s, tc_limits);

	tcase_add_loop_test(tc_errors, test_msg_rejects_bad_input_with_distinct_code, 0,
	                    (int)NITEMS(bad_msgs));
	tcase_add_test(tc_errors, test_msg_rejects_too_many_ops);
	tcase_add_test(tc_errors, test_msg_append_seq_floor_rejects_bad_arguments);
	tcase_add_test(tc_errors, test_msg_rejects_bad_arguments);
	tcase_add_test(tc_errors, test_msg_truncation_at_every_byte_fails_on_both_sides);
	tcase_add_test(tc_errors, test_msg_sha256_must_be_32_bytes);
	tcase_add_loop_test(tc_errors, test_msg_mutated_node_input_decodes_like_protobuf_c, 0, nn);
	tcase_add_loop_test(tc_errors, test_msg_mutated_gw_input_decodes_like_protobuf_c, 0, ng);
	suite_add_tcase(s, tc_errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
