/*
 * check_codec: the gateway encodes only what the node's decoder accepts
 * (node-firmware/wire/msg.h limits: strings 31 bytes, ops 32, chunk data 400,
 * sha256 exactly 32 bytes) and names the field it refuses; messages at the
 * limits decode on the node side, and one byte over is what the node would
 * have rejected with WIRE_EFIELD. On the receive side, strings longer than the
 * node's buffers are rejected.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "wire/msg.h"
#include "wire/wire.h"

static uint8_t sha[32], data[WIRE_MSG_CHUNK_MAX + 1];
static uint32_t ops[WIRE_MSG_OPS_MAX + 1];
static char name[WIRE_MSG_STR_MAX + 1];

static void
offer(Tinyfleet__V1__GatewayMessage *g, Tinyfleet__V1__ModelOffer *o)
{
	tinyfleet__v1__gateway_message__init(g);
	tinyfleet__v1__model_offer__init(o);
	memset(sha, 0xab, sizeof(sha));
	memset(name, 'm', WIRE_MSG_STR_MAX - 1);
	name[WIRE_MSG_STR_MAX - 1] = '\0';
	for (size_t i = 0; i < WIRE_MSG_OPS_MAX + 1; i++)
		ops[i] = (uint32_t)i + 1;
	o->model_id = 7;
	o->model_version = 2;
	o->size_bytes = 12345;
	o->sha256.data = sha;
	o->sha256.len = sizeof(sha);
	o->chunk_size = WIRE_MSG_CHUNK_MAX;
	o->arena_bytes = 4096;
	o->ops = ops;
	o->n_ops = WIRE_MSG_OPS_MAX;
	o->name = name;
	g->body_case = TINYFLEET__V1__GATEWAY_MESSAGE__BODY_MODEL_OFFER;
	g->model_offer = o;
}

static void
chunk(Tinyfleet__V1__GatewayMessage *g, Tinyfleet__V1__Chunk *c, size_t len)
{
	tinyfleet__v1__gateway_message__init(g);
	tinyfleet__v1__chunk__init(c);
	memset(data, 0x5c, sizeof(data));
	c->model_id = 7;
	c->model_version = 2;
	c->index = 3;
	c->data.data = data;
	c->data.len = len;
	g->body_case = TINYFLEET__V1__GATEWAY_MESSAGE__BODY_CHUNK;
	g->chunk = c;
}

/* Packs g with protobuf-c alone (no checks) and decodes it as the node does. */
static int
node_decodes(const Tinyfleet__V1__GatewayMessage *g)
{
	uint8_t buf[1024];
	struct wire_gw_msg m;
	size_t n = tinyfleet__v1__gateway_message__get_packed_size(g);

	ck_assert_uint_le(n, sizeof(buf));
	n = tinyfleet__v1__gateway_message__pack(g, buf);
	return wire_msg_gw_decode(buf, n, &m);
}

/* ---- core ---- */

START_TEST(test_codec_offer_and_chunk_at_the_limits_decode_on_the_node)
{
	Tinyfleet__V1__GatewayMessage g;
	Tinyfleet__V1__ModelOffer o;
	Tinyfleet__V1__Chunk c;
	uint8_t buf[WIRE_MSG_MAX];
	struct wire_gw_msg m;
	const char *field = NULL;
	int n;

	offer(&g, &o);
	n = codec_encode_gateway(&g, buf, sizeof(buf), &field);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(field);
	ck_assert_int_eq(wire_msg_gw_decode(buf, (size_t)n, &m), 0);
	ck_assert_int_eq(m.type, WIRE_GW_MODEL_OFFER);
	ck_assert_uint_eq(m.u.model_offer.n_ops, WIRE_MSG_OPS_MAX);
	ck_assert_str_eq(m.u.model_offer.name, name);
	ck_assert_int_eq(memcmp(m.u.model_offer.sha256, sha, 32), 0);

	chunk(&g, &c, WIRE_MSG_CHUNK_MAX);
	n = codec_encode_gateway(&g, buf, sizeof(buf), &field);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_msg_gw_decode(buf, (size_t)n, &m), 0);
	ck_assert_int_eq(m.type, WIRE_GW_CHUNK);
	ck_assert_uint_eq(m.u.chunk.len, WIRE_MSG_CHUNK_MAX);
}
END_TEST

START_TEST(test_codec_ack_and_time_sync_still_encode)
{
	uint8_t buf[64];
	struct wire_gw_msg m;
	int n;

	n = codec_encode_ack(41, 0x5, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_msg_gw_decode(buf, (size_t)n, &m), 0);
	ck_assert_uint_eq(m.u.ack.cumulative, 41);
	n = codec_encode_time_sync(1700000000000ull, 99, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_msg_gw_decode(buf, (size_t)n, &m), 0);
	ck_assert_uint_eq(m.u.time_sync.echo_mono_ms, 99);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_codec_encode_refuses_a_name_over_31_bytes)
{
	Tinyfleet__V1__GatewayMessage g;
	Tinyfleet__V1__ModelOffer o;
	uint8_t buf[WIRE_MSG_MAX];
	const char *field = NULL;

	offer(&g, &o);
	memset(name, 'm', WIRE_MSG_STR_MAX);
	name[WIRE_MSG_STR_MAX] = '\0'; /* 32 bytes */
	ck_assert_int_eq(node_decodes(&g), WIRE_EFIELD);
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "model_offer.name");
}
END_TEST

START_TEST(test_codec_encode_refuses_more_than_32_ops)
{
	Tinyfleet__V1__GatewayMessage g;
	Tinyfleet__V1__ModelOffer o;
	uint8_t buf[WIRE_MSG_MAX];
	const char *field = NULL;

	offer(&g, &o);
	o.n_ops = WIRE_MSG_OPS_MAX + 1;
	ck_assert_int_eq(node_decodes(&g), WIRE_EFIELD);
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "model_offer.ops");
}
END_TEST

START_TEST(test_codec_encode_refuses_sha256_not_32_bytes)
{
	Tinyfleet__V1__GatewayMessage g;
	Tinyfleet__V1__ModelOffer o;
	uint8_t buf[WIRE_MSG_MAX];
	const char *field = NULL;

	offer(&g, &o);
	o.sha256.len = 31;
	ck_assert_int_eq(node_decodes(&g), WIRE_EFIELD);
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "model_offer.sha256");
	/* Absent is no digest either: an offer without one cannot be verified. */
	o.sha256.len = 0;
	field = NULL;
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "model_offer.sha256");
	offer(&g, &o);
	o.chunk_size = WIRE_MSG_CHUNK_MAX + 1;
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "model_offer.chunk_size");
}
END_TEST

START_TEST(test_codec_encode_refuses_chunk_data_over_400_bytes)
{
	Tinyfleet__V1__GatewayMessage g;
	Tinyfleet__V1__Chunk c;
	uint8_t buf[WIRE_MSG_MAX];
	const char *field = NULL;

	chunk(&g, &c, WIRE_MSG_CHUNK_MAX + 1);
	ck_assert_int_eq(node_decodes(&g), WIRE_EFIELD);
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "chunk.data");
}
END_TEST

/* A NodeMessage{Hello or Inference} packed by protobuf-c with the given strings. */
static int
decode_with(const char *firmware, const char *board, const char *sensor, const char *top_label)
{
	static struct codec_msg cm;
	Tinyfleet__V1__NodeMessage nm = TINYFLEET__V1__NODE_MESSAGE__INIT;
	Tinyfleet__V1__Hello h = TINYFLEET__V1__HELLO__INIT;
	Tinyfleet__V1__Inference inf = TINYFLEET__V1__INFERENCE__INIT;
	Tinyfleet__V1__Sensor s = TINYFLEET__V1__SENSOR__INIT, *sp = &s;
	uint8_t buf[1024];
	size_t n;

	if (top_label != NULL) {
		inf.seq = 1;
		inf.top_label = (char *)top_label;
		nm.body_case = TINYFLEET__V1__NODE_MESSAGE__BODY_INFERENCE;
		nm.inference = &inf;
	} else {
		h.seq = 1;
		h.firmware = (char *)firmware;
		h.board = (char *)board;
		s.name = (char *)sensor;
		h.sensors = &sp;
		h.n_sensors = 1;
		nm.body_case = TINYFLEET__V1__NODE_MESSAGE__BODY_HELLO;
		nm.hello = &h;
	}
	n = tinyfleet__v1__node_message__pack(&nm, buf);
	return codec_decode_node(&cm, buf, n);
}

START_TEST(test_codec_decode_rejects_strings_longer_than_the_node_sends)
{
	char s31[32], s32[33], s15[16], s16[17];

	memset(s31, 'a', 31);
	s31[31] = '\0';
	memset(s32, 'a', 32);
	s32[32] = '\0';
	memset(s15, 's', 15);
	s15[15] = '\0';
	memset(s16, 's', 16);
	s16[16] = '\0';
	ck_assert_int_eq(decode_with(s31, s31, s15, NULL), 0);
	ck_assert_int_eq(decode_with(s32, s31, s15, NULL), -EBADMSG);
	ck_assert_int_eq(decode_with(s31, s32, s15, NULL), -EBADMSG);
	ck_assert_int_eq(decode_with(s31, s31, s16, NULL), -EBADMSG);
	ck_assert_int_eq(decode_with(NULL, NULL, NULL, s31), 0);
	ck_assert_int_eq(decode_with(NULL, NULL, NULL, s32), -EBADMSG);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_codec_encode_refuses_a_message_without_body)
{
	Tinyfleet__V1__GatewayMessage g = TINYFLEET__V1__GATEWAY_MESSAGE__INIT;
	uint8_t buf[64];
	const char *field = NULL;

	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), &field), -EINVAL);
	ck_assert_str_eq(field, "body");
	ck_assert_int_eq(codec_check_gateway(&g, NULL), -EINVAL);
}
END_TEST

START_TEST(test_codec_encode_reports_a_small_buffer)
{
	Tinyfleet__V1__GatewayMessage g;
	Tinyfleet__V1__Chunk c;
	uint8_t buf[64];

	chunk(&g, &c, WIRE_MSG_CHUNK_MAX);
	ck_assert_int_eq(codec_encode_gateway(&g, buf, sizeof(buf), NULL), -ENOSPC);
}
END_TEST

static Suite *
codec_suite(void)
{
	Suite *s = suite_create("codec");
	TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
	      *errors = tcase_create("errors");

	tcase_add_test(core, test_codec_offer_and_chunk_at_the_limits_decode_on_the_node);
	tcase_add_test(core, test_codec_ack_and_time_sync_still_encode);
	tcase_add_test(limits, test_codec_encode_refuses_a_name_over_31_bytes);
	tcase_add_test(limits, test_codec_encode_refuses_more_than_32_ops);
	tcase_add_test(limits, test_codec_encode_refuses_sha256_not_32_bytes);
	tcase_add_test(limits, test_codec_encode_refuses_chunk_data_over_400_bytes);
	tcase_add_test(limits, test_codec_decode_rejects_strings_longer_than_the_node_sends);
	tcase_add_test(errors, test_codec_encode_refuses_a_message_without_body);
	tcase_add_test(errors, test_codec_encode_reports_a_small_buffer);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(codec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
