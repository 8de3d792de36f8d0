/*
 * codec: protobuf-c with a fixed arena, and the JSON built from messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "wire/frame.h"
#include "wire/msg.h"

/* A string the node's decoder takes: shorter than its buffer (room for the NUL). */
static int
codec_str_ok(const char *s, size_t cap)
{
	return s == NULL || strnlen(s, cap) < cap;
}

static void *
codec_alloc(void *data, size_t size)
{
	struct codec_msg *m = data;
	size_t off = (m->used + 15u) & ~(size_t)15u;

	if (size > sizeof(m->arena) || off > sizeof(m->arena) - size)
		return NULL;
	m->used = off + size;
	return m->arena + off;
}

static void
codec_free(void *data, void *p)
{
	(void)data;
	(void)p; /* the arena goes as a whole */
}

/* node.proto's caps: reject what the node side could never have sent. */
static int
codec_check_limits(const Tinyfleet__V1__NodeMessage *msg)
{
	switch (msg->body_case) {
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO:
		if (msg->hello->n_ops > WIRE_MSG_OPS_MAX ||
		    msg->hello->n_sensors > WIRE_MSG_SENSORS_MAX)
			return -EBADMSG;
		/* Stored and shown: no longer than the node's own buffers. */
		if (!codec_str_ok(msg->hello->firmware, WIRE_MSG_STR_MAX) ||
		    !codec_str_ok(msg->hello->board, WIRE_MSG_STR_MAX))
			return -EBADMSG;
		for (size_t i = 0; i < msg->hello->n_sensors; i++)
			if (!codec_str_ok(msg->hello->sensors[i]->name, WIRE_MSG_NAME_MAX))
				return -EBADMSG;
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE:
		if (msg->inference->n_scores > WIRE_MSG_SCORES_MAX ||
		    msg->inference->n_scores_raw > WIRE_MSG_SCORES_MAX)
			return -EBADMSG;
		/* Alert rules match it against labels of at most 31 bytes (ALERTS_LABEL_MAX). */
		if (!codec_str_ok(msg->inference->top_label, WIRE_MSG_STR_MAX))
			return -EBADMSG;
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_MODEL_STATUS:
		if (msg->model_status->n_slots > WIRE_MSG_SLOTS_MAX)
			return -EBADMSG;
		break;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HEALTH:
	case TINYFLEET__V1__NODE_MESSAGE__BODY_CHUNK_REQUEST:
		break;
	default:
		return -EBADMSG; /* no body, or one this side does not know */
	}
	return 0;
}

int
codec_decode_node(struct codec_msg *m, const uint8_t *buf, size_t len)
{
	ProtobufCAllocator a = {.alloc = codec_alloc, .free = codec_free, .allocator_data = m};
	Tinyfleet__V1__NodeMessage *msg;

	if (m == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (len > WIRE_FRAME_MAX_PAYLOAD)
		return -EMSGSIZE;
	m->used = 0;
	m->msg = NULL;
	msg = tinyfleet__v1__node_message__unpack(&a, len, buf);
	if (msg == NULL)
		return -EBADMSG;
	if (codec_check_limits(msg) < 0)
		return -EBADMSG;
	m->msg = msg;
	return 0;
}

uint32_t
codec_seq(const Tinyfleet__V1__NodeMessage *msg)
{
	switch (msg->body_case) {
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO:
		return msg->hello->seq;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE:
		return msg->inference->seq;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_HEALTH:
		return msg->health->seq;
	case TINYFLEET__V1__NODE_MESSAGE__BODY_MODEL_STATUS:
		return msg->model_status->seq;
	default:
		return 0;
	}
}

/* Fails the check naming field (codec_check_gateway only). */
#define CHECK(cond, field)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			bad = (field);                                                             \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

int
codec_check_gateway(const Tinyfleet__V1__GatewayMessage *g, const char **ret_field)
{
	const char *bad = NULL;

	CHECK(g != NULL, "body");
	switch (g->body_case) {
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ACK:
		CHECK(g->ack != NULL, "ack");
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_TIME_SYNC:
		CHECK(g->time_sync != NULL, "time_sync");
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_MODEL_OFFER: {
		const Tinyfleet__V1__ModelOffer *o = g->model_offer;

		CHECK(o != NULL, "model_offer");
		CHECK(o->sha256.len == WIRE_MSG_SHA256_LEN && o->sha256.data != NULL,
		      "model_offer.sha256");
		CHECK(o->chunk_size <= WIRE_MSG_CHUNK_MAX, "model_offer.chunk_size");
		CHECK(o->n_ops <= WIRE_MSG_OPS_MAX, "model_offer.ops");
		CHECK(codec_str_ok(o->name, WIRE_MSG_STR_MAX), "model_offer.name");
		break;
	}
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_CHUNK:
		CHECK(g->chunk != NULL, "chunk");
		CHECK(g->chunk->data.len <= WIRE_MSG_CHUNK_MAX &&
		              (g->chunk->data.len == 0 || g->chunk->data.data != NULL),
		      "chunk.data");
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ACTIVATE:
		CHECK(g->activate != NULL, "activate");
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ROLLBACK:
		CHECK(g->rollback != NULL, "rollback");
		break;
	case TINYFLEET__V1__GATEWAY_MESSAGE__BODY_CONFIG:
		CHECK(g->config != NULL, "config");
		break;
	default:
		bad = "body"; /* none, or one the node does not know */
		break;
	}
out:
	if (bad != NULL) {
		if (ret_field != NULL)
			*ret_field = bad;
		return -EINVAL;
	}
	return 0;
}

#undef CHECK

int
codec_encode_gateway(const Tinyfleet__V1__GatewayMessage *g, uint8_t *buf, size_t size,
                     const char **ret_field)
{
	size_t n;
	int r;

	if ((r = codec_check_gateway(g, ret_field)) < 0)
		return r;
	n = tinyfleet__v1__gateway_message__get_packed_size(g);
	if (n > size || n > WIRE_MSG_MAX)
		return -ENOSPC;
	return (int)tinyfleet__v1__gateway_message__pack(g, buf);
}

static int
codec_pack(const Tinyfleet__V1__GatewayMessage *g, uint8_t *buf, size_t size)
{
	return codec_encode_gateway(g, buf, size, NULL);
}

int
codec_encode_ack(uint32_t cumulative, uint64_t sack, uint8_t *buf, size_t size)
{
	Tinyfleet__V1__GatewayMessage g = TINYFLEET__V1__GATEWAY_MESSAGE__INIT;
	Tinyfleet__V1__Ack ack = TINYFLEET__V1__ACK__INIT;

	ack.cumulative = cumulative;
	ack.sack_bitmap = sack;
	g.body_case = TINYFLEET__V1__GATEWAY_MESSAGE__BODY_ACK;
	g.ack = &ack;
	return codec_pack(&g, buf, size);
}

int
codec_encode_time_sync(uint64_t unix_ms, uint64_t echo_mono_ms, uint8_t *buf, size_t size)
{
	Tinyfleet__V1__GatewayMessage g = TINYFLEET__V1__GATEWAY_MESSAGE__INIT;
	Tinyfleet__V1__TimeSync ts = TINYFLEET__V1__TIME_SYNC__INIT;

	ts.unix_ms = unix_ms;
	ts.echo_mono_ms = echo_mono_ms;
	g.body_case = TINYFLEET__V1__GATEWAY_MESSAGE__BODY_TIME_SYNC;
	g.time_sync = &ts;
	return codec_pack(&g, buf, size);
}

/* A tiny appender: once it overflows, every later append is a no-op. */
struct jbuf {
	char *p;
	size_t size, len;
	int over;
};

static void __attribute__((format(printf, 2, 3))) jb(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len) {
		b->over = 1;
		return;
	}
	b->len += (size_t)n;
}

/* A JSON string from node bytes: escapes quotes, backslashes and controls. */
static void
jb_str(struct jbuf *b, const char *s)
{
	jb(b, "\"");
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			jb(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			jb(b, "\\u%04x", c);
		else
			jb(b, "%c", c);
	}
	jb(b, "\"");
}

static int
jb_end(struct jbuf *b)
{
	return b->over ? -ENOSPC : (int)b->len;
}

static const char *const codec_reset_names[] = {"unknown",  "power_on", "brownout", "watchdog",
                                                "software", "pin",      "fault",    "update"};

static const char *
codec_reset_name(int r)
{
	return r >= 0 && r < 8 ? codec_reset_names[r] : "unknown";
}

int
codec_json_hello_caps(const Tinyfleet__V1__Hello *h, char *buf, size_t size)
{
	struct jbuf b = {buf, size, 0, 0};
	size_t i;

	jb(&b, "{\"board\":");
	jb_str(&b, h->board);
	jb(&b,
	   ",\"arena_bytes\":%u,\"slot_size\":%u,\"slots\":%u,\"reset_reason\":\"%s\",\"ops\":[",
	   h->arena_bytes, h->slot_size, h->slots, codec_reset_name(h->reset_reason));
	for (i = 0; i < h->n_ops; i++)
		jb(&b, "%s%u", i ? "," : "", h->ops[i]);
	jb(&b, "],\"sensors\":[");
	for (i = 0; i < h->n_sensors; i++) {
		jb(&b, "%s{\"name\":", i ? "," : "");
		jb_str(&b, h->sensors[i]->name);
		jb(&b, ",\"rate_mhz\":%u,\"channels\":%u}", h->sensors[i]->rate_mhz,
		   h->sensors[i]->channels);
	}
	jb(&b, "]}");
	return jb_end(&b);
}

int
codec_json_model_status(uint32_t node_id, const Tinyfleet__V1__ModelStatus *ms, int64_t time_ms,
                        char *buf, size_t size)
{
	static const char *const states[] = {"empty", "downloading", "ready", "active", "failed"};
	struct jbuf b = {buf, size, 0, 0};

	jb(&b, "{\"node\":%u,\"seq\":%u,\"time_ms\":%lld,\"active_slot\":%u,\"slots\":[", node_id,
	   ms->seq, (long long)time_ms, ms->active_slot);
	for (size_t i = 0; i < ms->n_slots; i++) {
		const Tinyfleet__V1__Slot *s = ms->slots[i];
		int st = s->state;

		jb(&b,
		   "%s{\"index\":%u,\"model_id\":%u,\"model_version\":%u,\"state\":\"%s\","
		   "\"size_bytes\":%u}",
		   i ? "," : "", s->index, s->model_id, s->model_version,
		   st >= 0 && st < 5 ? states[st] : "unknown", s->size_bytes);
	}
	jb(&b,
	   "],\"download_model_id\":%u,\"download_version\":%u,\"download_bytes\":%u,"
	   "\"download_total\":%u,\"last_error\":%d}",
	   ms->download_model_id, ms->download_version, ms->download_bytes, ms->download_total,
	   ms->last_error);
	return jb_end(&b);
}

double
codec_inference_score(const Tinyfleet__V1__Inference *inf)
{
	if (inf->label < inf->n_scores)
		return inf->scores[inf->label];
	if (inf->label < inf->n_scores_raw)
		return (double)inf->score_scale *
		       ((double)inf->scores_raw[inf->label] - (double)inf->score_zero_point);
	return 0.0;
}
